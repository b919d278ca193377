#!/usr/bin/env python3
"""What `make bench` needs beyond `make setup`: matplotlib, and pigz from Debian.

pigz (issue #7's real workload) and the libraries it loads (zlib1g, libc6) are
fetched for each guest arch with `dpkg --add-architecture` and `apt-get download`,
and unpacked into build/bench/debian/<arch>/root, the sysroot given to qemu-user
and linuxuser with -L (native runs use its own loader).  Nothing is installed
into the system but the foreign architectures' package lists.  Idempotent.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEBIAN_ROOTS = REPO / "build" / "bench" / "debian"
DEBIAN_ARCH = {"arm": "armhf", "aarch64": "arm64", "i386": "i386", "x86_64": "amd64"}
PACKAGES = ("pigz", "zlib1g", "libc6")


def log(msg: str) -> None:
    print(f"bench setup: {msg}", flush=True)


def sudo() -> list[str]:
    return [] if os.geteuid() == 0 or not shutil.which("sudo") else ["sudo"]


def ensure_matplotlib() -> None:
    try:
        import matplotlib  # noqa: F401
        return
    except ImportError:
        pass
    log("pip install matplotlib")
    cmd = [sys.executable, "-m", "pip", "install", "-q", "matplotlib"]
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_ROOT_USER_ACTION="ignore")
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if r.returncode != 0 and "externally-managed" in r.stderr + r.stdout:
        r = subprocess.run(cmd + ["--break-system-packages"], env=env, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"bench setup: pip install matplotlib failed:\n{r.stdout}{r.stderr}")


def ensure_pigz(arch: str) -> None:
    deb_arch = DEBIAN_ARCH[arch]
    root = DEBIAN_ROOTS / arch / "root"
    if (root / "usr" / "bin" / "pigz").exists():
        return
    foreign = subprocess.run(["dpkg", "--print-foreign-architectures"], capture_output=True,
                             text=True).stdout.split()
    native = subprocess.run(["dpkg", "--print-architecture"], capture_output=True,
                            text=True).stdout.strip()
    if deb_arch != native and deb_arch not in foreign:
        log(f"dpkg --add-architecture {deb_arch}")
        subprocess.run([*sudo(), "dpkg", "--add-architecture", deb_arch], check=True)
    debs = DEBIAN_ROOTS / arch / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    names = [f"{p}:{deb_arch}" for p in PACKAGES]
    download = ["apt-get", "download", "-q", *names]
    if subprocess.run(download, cwd=debs, capture_output=True).returncode != 0:
        log(f"apt-get update (package lists for {deb_arch})")
        subprocess.run([*sudo(), "apt-get", "update", "-q"], check=True, stdout=subprocess.DEVNULL)
        r = subprocess.run(download, cwd=debs, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"bench setup: {' '.join(download)} failed:\n{r.stderr}")
    tmp = root.with_name("root.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    for deb in sorted(debs.glob("*.deb")):
        subprocess.run(["dpkg-deb", "-x", str(deb), str(tmp)], check=True)
    shutil.rmtree(root, ignore_errors=True)
    tmp.rename(root)
    log(f"pigz for {arch} ({deb_arch}) unpacked in {root.relative_to(REPO)}")


def main() -> int:
    ensure_matplotlib()
    for arch in DEBIAN_ARCH:
        ensure_pigz(arch)
    return 0


if __name__ == "__main__":
    sys.exit(main())
