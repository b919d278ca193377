#!/usr/bin/env bash
# Install everything linuxuser's tests need on Debian 12 (bookworm), then
# install this checkout with "pip install -e .".
#
# Idempotent and quick when everything is already there: the apt step is
# skipped when all packages are installed, the pip step when this checkout
# is already installed (editable) with unchanged packaging metadata.
#
# Environment:
#   PYTHON   the Python to install into (default: python3)
#   FORCE=1  run apt-get and pip even if everything looks installed
set -euo pipefail

cd "$(dirname "$0")/.."
REPO=$(pwd -P)
PYTHON=${PYTHON:-python3}
FORCE=${FORCE:-0}

log() { printf 'setup: %s\n' "$*"; }

SUDO=
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO=sudo; fi
fi

# ---------------------------------------------------------------- apt

PACKAGES=(
    build-essential
    make
    gcc-arm-linux-gnueabihf libc6-dev-armhf-cross
    gcc-aarch64-linux-gnu libc6-dev-arm64-cross
    gcc-i686-linux-gnu libc6-dev-i386-cross
    qemu-user
    cmake patch
    strace
)
COMMANDS=(
    make gcc cmake patch
    arm-linux-gnueabihf-gcc aarch64-linux-gnu-gcc i686-linux-gnu-gcc
    qemu-arm qemu-aarch64 qemu-i386 qemu-x86_64
    strace
)

# A Debian system Python may lack pip; pyenv/venv Pythons bring their own.
if ! command -v "$PYTHON" >/dev/null 2>&1; then
    PACKAGES+=(python3 python3-pip)
elif ! "$PYTHON" -m pip --version >/dev/null 2>&1; then
    PACKAGES+=(python3-pip)
fi

pkg_installed() {
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

missing=()
for p in "${PACKAGES[@]}"; do
    pkg_installed "$p" || missing+=("$p")
done
for c in "${COMMANDS[@]}"; do
    if ! command -v "$c" >/dev/null 2>&1; then
        missing+=("(command $c)")
    fi
done

if [ "${#missing[@]}" -eq 0 ] && [ "$FORCE" != 1 ]; then
    log "system packages already installed"
else
    if ! command -v apt-get >/dev/null 2>&1; then
        log "missing: ${missing[*]}"
        log "apt-get not found: this script supports Debian/Ubuntu only" >&2
        exit 1
    fi
    log "installing system packages (missing: ${missing[*]})"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -q
    # Never gcc-multilib: on Debian it conflicts with the cross compilers.
    $SUDO apt-get install -y -q --no-install-recommends "${PACKAGES[@]}"
    for c in "${COMMANDS[@]}"; do
        command -v "$c" >/dev/null 2>&1 || { log "still missing after apt-get: $c" >&2; exit 1; }
    done
fi

# ---------------------------------------------------------------- Debian programs for the tests
#
# Debian's busybox-static for armhf, arm64 and i386 (build/busybox/<arch>/), and
# a small Debian sysroot for armhf and arm64 with pigz, xz-utils, lua5.4 and
# their libraries (build/debian/<arch>/): `apt-get download` + `dpkg-deb -x`,
# never committed.  tests/debianpkgs.py is the one place that fetches them
# (make bench uses it too); quick when they are already unpacked.

[ "$FORCE" = 1 ] && force=--force || force=
"$PYTHON" tests/debianpkgs.py $force busybox:armhf,arm64,i386 sysroot:armhf,arm64

# ---------------------------------------------------------------- pip

PY_MODULES="unicorn capstone elftools ptrace pytest"
STAMP="$REPO/build/.setup-pip-stamp"

packaging_hash() {
    {
        "$PYTHON" -c 'import sys; print(sys.executable)'
        for f in pyproject.toml setup.cfg setup.py; do
            if [ -f "$f" ]; then cat "$f"; fi
        done
    } | sha256sum | cut -d' ' -f1
}

# True when "import linuxuser" (from outside the checkout) finds this
# checkout and all runtime/test modules import.
python_ready() {
    (cd / && "$PYTHON" - "$REPO" $PY_MODULES <<'EOF'
import importlib, importlib.util, pathlib, sys
repo = pathlib.Path(sys.argv[1]).resolve()
spec = importlib.util.find_spec("linuxuser")
if spec is None or spec.origin is None:
    sys.exit(1)
if not pathlib.Path(spec.origin).resolve().is_relative_to(repo):
    sys.exit(1)
for m in sys.argv[2:]:
    importlib.import_module(m)
EOF
    ) >/dev/null 2>&1
}

pip_install() {
    # A Debian system Python refuses pip installs (PEP 668, "externally
    # managed") unless told --break-system-packages; pyenv and venv
    # Pythons take them as they are.  Try without, then with.
    local out rc=0
    out=$(mktemp)
    "$PYTHON" -m pip install -q "$@" >"$out" 2>&1 || rc=$?
    if [ "$rc" -ne 0 ] && grep -q externally-managed "$out"; then
        log "externally managed Python: retrying pip with --break-system-packages"
        rc=0
        "$PYTHON" -m pip install -q --break-system-packages "$@" >"$out" 2>&1 || rc=$?
    fi
    if [ "$rc" -ne 0 ]; then
        cat "$out" >&2
    fi
    rm -f "$out"
    return "$rc"
}

if [ "$FORCE" != 1 ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(packaging_hash)" ] \
        && python_ready && [ -x "$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_path("scripts"))')/linuxuser" ]; then
    log "python packages already installed ($("$PYTHON" --version 2>&1))"
else
    export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
    if [ -f pyproject.toml ] || [ -f setup.py ]; then
        log "pip install -e . (with $PYTHON)"
        pip_install -e .
    else
        log "no pyproject.toml/setup.py yet: installing the dependencies only"
        pip_install unicorn capstone pyelftools python-ptrace pytest
    fi
    # pytest may be only an optional ("test") dependency of the package.
    "$PYTHON" -c 'import pytest' >/dev/null 2>&1 || pip_install pytest
    mkdir -p "$(dirname "$STAMP")"
    packaging_hash >"$STAMP"
fi

# ---------------------------------------------------------------- engine

# linuxuser's Unicorn (PyPI's 2.1.4 sources with linuxuser/atomics' patch):
# guest threads in parallel with exact atomics.  pip install builds it too;
# this makes sure, and is quick when it is up to date.
if "$PYTHON" linuxuser/atomics/engine.py --quiet; then
    log "parallel engine up to date"
else
    log "building the parallel engine failed" >&2
    exit 1
fi
