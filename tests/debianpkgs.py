#!/usr/bin/env python3
"""Debian packages for the tests and benchmarks, fetched and unpacked into build/.

The one place that downloads distribution binaries: `make setup` (through
scripts/setup-debian.sh) and `make bench` (bench/setup.py) both call it.  For
each guest arch it adds the Debian architecture (`dpkg --add-architecture`),
runs `apt-get download` and unpacks the .deb files with `dpkg-deb -x`: nothing
is installed into the system, nothing fetched is committed.

    python3 tests/debianpkgs.py busybox:armhf,arm64,i386 sysroot:armhf,arm64

Package sets:
  busybox   busybox-static                       -> build/busybox/<debian arch>/
  sysroot   pigz, xz-utils, lua5.4 and the libraries they load (libc6 included)
                                                 -> build/debian/<debian arch>/
The sysroot set is a small Debian root: give it to linuxuser and qemu-user with
-L.  A set that is unpacked with the same package list (a `.packages` file) is
left alone, so running this again is quick.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BUILD = REPO / "build"

# our arch name -> Debian's
DEBIAN_ARCH = {"arm": "armhf", "aarch64": "arm64", "i386": "i386", "x86_64": "amd64"}


@dataclass(frozen=True)
class PackageSet:
    name: str
    packages: tuple[str, ...]
    directory: str          # under build/, "{arch}" is the Debian arch
    marker: str             # a file that must be there once unpacked

    def root(self, deb_arch: str) -> Path:
        return BUILD / self.directory.format(arch=deb_arch)

    def up_to_date(self, deb_arch: str) -> bool:
        root = self.root(deb_arch)
        stamp = root / ".packages"
        return ((root / self.marker).exists() and stamp.exists()
                and stamp.read_text().split() == list(self.packages))


SETS = {s.name: s for s in (
    PackageSet("busybox", ("busybox-static",), "busybox/{arch}", "bin/busybox"),
    PackageSet("sysroot", ("libc6", "zlib1g", "pigz", "liblzma5", "xz-utils",
                           "lua5.4", "libreadline8", "libtinfo6"),
               "debian/{arch}", "usr/bin/pigz"),
)}


def sysroot(arch: str) -> Path:
    """The Debian sysroot (-L) for one of our arch names ("arm", "aarch64"...)."""
    return SETS["sysroot"].root(DEBIAN_ARCH[arch])


def log(msg: str) -> None:
    print(f"setup: {msg}", flush=True)


def _sudo() -> list[str]:
    return [] if os.geteuid() == 0 or not shutil.which("sudo") else ["sudo"]


def _add_architectures(deb_arches: set[str]) -> bool:
    """dpkg --add-architecture for the new ones; True if any was added."""
    def query(*args) -> list[str]:
        return subprocess.run(["dpkg", *args], capture_output=True, text=True).stdout.split()
    known = set(query("--print-architecture") + query("--print-foreign-architectures"))
    for a in sorted(deb_arches - known):
        log(f"dpkg --add-architecture {a}")
        subprocess.run([*_sudo(), "dpkg", "--add-architecture", a], check=True)
    return bool(deb_arches - known)


def _download(names: list[str], into: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["apt-get", "download", "-q", *names], cwd=into,
                          capture_output=True, text=True)


def fetch(wanted: list[tuple[PackageSet, str]], force: bool = False) -> None:
    """Download and unpack each (set, Debian arch) that is not already there."""
    todo = [(s, a) for s, a in wanted if force or not s.up_to_date(a)]
    done = [f"{s.name}:{a}" for s, a in wanted if (s, a) not in todo]
    if done:
        log(f"Debian packages already unpacked: {' '.join(done)}")
    if not todo:
        return
    added = _add_architectures({a for _, a in todo})
    names = sorted({f"{p}:{a}" for s, a in todo for p in s.packages})
    log(f"apt-get download {' '.join(names)}")
    BUILD.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=BUILD, prefix="debs.") as tmp:
        os.chmod(tmp, 0o755)               # apt's _apt user downloads into it
        # A new architecture needs its package lists; an old list may name a file
        # the mirror no longer has.  One index failing to update (this mirror's
        # i386 security suite does) must not stop us: the download is what counts.
        r = None if added else _download(names, Path(tmp))
        if r is None or r.returncode != 0:
            u = subprocess.run([*_sudo(), "apt-get", "update", "-q"], capture_output=True)
            if u.returncode != 0:
                log("apt-get update reported errors (continuing)")
            r = _download(names, Path(tmp))
            if r.returncode != 0:
                sys.exit(f"setup: apt-get download failed:\n{r.stderr.strip()}")
        for s, a in todo:
            _unpack(s, a, Path(tmp))


def _unpack(s: PackageSet, deb_arch: str, debs: Path) -> None:
    root = s.root(deb_arch)
    tmp = root.with_name(root.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for p in s.packages:
        found = sorted(debs.glob(f"{p}_*_{deb_arch}.deb"))
        if not found:
            sys.exit(f"setup: {p}:{deb_arch} was not downloaded")
        subprocess.run(["dpkg-deb", "-x", str(found[-1]), str(tmp)], check=True)
    if not (tmp / s.marker).exists():
        sys.exit(f"setup: no {s.marker} in {s.name}:{deb_arch}")
    (tmp / ".packages").write_text("\n".join(s.packages) + "\n")
    shutil.rmtree(root, ignore_errors=True)
    tmp.rename(root)
    log(f"{s.name}:{deb_arch} unpacked in {root.relative_to(REPO)}")


def parse_wanted(specs: list[str]) -> list[tuple[PackageSet, str]]:
    """["busybox:armhf,arm64", ...] -> [(SETS["busybox"], "armhf"), ...]."""
    wanted = []
    for spec in specs:
        name, _, arches = spec.partition(":")
        if name not in SETS or not arches:
            raise SystemExit(f"usage: debianpkgs.py SET:ARCH[,ARCH...]... (sets: {', '.join(SETS)})")
        wanted += [(SETS[name], a) for a in arches.split(",")]
    return wanted


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("specs", nargs="+", metavar="SET:ARCH[,ARCH...]")
    ap.add_argument("--force", action="store_true", help="fetch again even if unpacked")
    args = ap.parse_args(argv)
    fetch(parse_wanted(args.specs), args.force)
    return 0


if __name__ == "__main__":
    sys.exit(main())
