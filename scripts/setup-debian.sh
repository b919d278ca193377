#!/usr/bin/env bash
# Install everything linuxuser's tests need on Debian 12 (bookworm), then
# install this checkout (editable, with its engine) into a virtual environment
# inside it, .venv: nothing machine-wide is re-pointed at this checkout, and
# .venv/bin/linuxuser is its command.
#
# Idempotent and quick when everything is already there: the apt step is
# skipped when all packages are installed, the pip step when .venv already
# holds this checkout with unchanged packaging metadata.
#
# Environment:
#   PYTHON   the Python that makes the virtual environment (default: python3)
#   VENV     where it goes (default: .venv)
#   FORCE=1  run apt-get and pip even if everything looks installed
set -euo pipefail

cd "$(dirname "$0")/.."
REPO=$(pwd -P)
PYTHON=${PYTHON:-python3}
VENV=$(realpath -m "${VENV:-.venv}")
VPY="$VENV/bin/python"
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
    cmake
    strace
    golang-go
    python3 python3-venv
)
COMMANDS=(
    make gcc cmake go
    arm-linux-gnueabihf-gcc aarch64-linux-gnu-gcc i686-linux-gnu-gcc
    qemu-arm qemu-aarch64 qemu-i386 qemu-x86_64
    strace
)

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
STAMP="$VENV/.linuxuser-setup-stamp"

packaging_hash() {
    {
        echo "$REPO"
        for f in pyproject.toml setup.cfg setup.py; do
            if [ -f "$f" ]; then cat "$f"; fi
        done
    } | sha256sum | cut -d' ' -f1
}

# True when the venv's "import linuxuser" (from outside the checkout) finds
# this checkout and all runtime/test modules import.
python_ready() {
    (cd / && "$VPY" - "$REPO" $PY_MODULES <<'EOF'
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

if [ "$FORCE" != 1 ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(packaging_hash)" ] \
        && python_ready && [ -x "$VENV/bin/linuxuser" ]; then
    log "python packages already installed in $VENV ($("$VPY" --version 2>&1))"
else
    export PIP_DISABLE_PIP_VERSION_CHECK=1
    if [ ! -x "$VPY" ] || ! "$VPY" -c 'import pip' >/dev/null 2>&1; then
        log "making the virtual environment $VENV (with $PYTHON)"
        rm -rf "$VENV"
        "$PYTHON" -m venv "$VENV"
    fi
    # Editable: the tests and .venv/bin/linuxuser run this checkout's code.  The
    # build (setup.py) also builds the engine into linuxuser/atomics/lib: about
    # two minutes the first time, reused while the patch is unchanged.
    log "pip install -e . into $VENV (builds the engine the first time: ~2 minutes)"
    "$VPY" -m pip install -q -e ".[test]"
    packaging_hash >"$STAMP"
fi

# ---------------------------------------------------------------- engine

# linuxuser's Unicorn (PyPI's 2.1.4 sources with linuxuser/atomics' patch):
# guest threads in parallel with exact atomics.  pip install builds it too;
# this rebuilds it when the patch has changed since, and is quick otherwise.
if "$VPY" linuxuser/atomics/engine.py --quiet; then
    log "parallel engine up to date"
else
    log "building the parallel engine failed" >&2
    exit 1
fi
log "linuxuser's command: $VENV/bin/linuxuser (source $VENV/bin/activate puts it on PATH)"
