"""Build linuxuser's Unicorn: the PyPI release's own sources with one patch.

    python3 linuxuser/atomics/engine.py [--force] [--jobs N]

Fetches the source distribution of the Unicorn release the `unicorn` Python
package is (pip download, checked against a known SHA-256), applies
unicorn-<version>-parallel.patch, builds the shared library for the x86, ARM
and AArch64 targets only (cmake), and installs it as lib/libunicorn.so.2 next
to this file, where `linuxuser.atomics.load_engine` finds it.  The Python
binding stays PyPI's; only the library it loads differs.

Needs cmake, make, a C compiler, GNU patch and network access to PyPI; `make
setup` (scripts/setup-debian.sh) installs those and runs this.  Takes about two
minutes on two cores.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

# linuxuser imports this module at every start (for ENGINE_DIR): the modules only
# a build needs are imported where they are used (8 ms of start-up otherwise).

HERE = Path(__file__).resolve().parent
ENGINE_DIR = HERE / "lib"
ENGINE_NAME = "libunicorn.so.2"
# The Unicorn release the patch is for (setup.cfg pins the binding to it) and
# the SHA-256 of its source distribution.
UNICORN_VERSION = "2.1.4"
SOURCE_SHA256 = "00567a70e323f749b419cd86bee4f9115beab7ebba32194581c090cbb7c59cff"
TARGETS = "x86;arm;aarch64"


class EngineBuildError(RuntimeError):
    pass


PATCH = HERE / f"unicorn-{UNICORN_VERSION}-parallel.patch"


def stamp() -> str:
    """What the installed library was built from (rebuilt when it changes)."""
    import hashlib
    digest = hashlib.sha256(PATCH.read_bytes()).hexdigest()[:16]
    return f"unicorn {UNICORN_VERSION} patch {digest} targets {TARGETS}\n"


def is_built() -> bool:
    stamp_file = ENGINE_DIR / "STAMP"
    return ((ENGINE_DIR / ENGINE_NAME).exists() and stamp_file.exists()
            and stamp_file.read_text() == stamp())


def _run(cmd: list[str], cwd: Path, log) -> None:
    import subprocess
    log(" ".join(cmd))
    proc = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)
    if proc.returncode:
        raise EngineBuildError(f"{cmd[0]} failed (exit {proc.returncode}):\n"
                               + proc.stdout[-4000:])


def fetch_source(into: Path, log) -> Path:
    """The release's sdist, downloaded with pip and checked."""
    import hashlib
    _run([sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps",
          "-q", "-d", str(into), f"unicorn=={UNICORN_VERSION}"], into, log)
    archive = into / f"unicorn-{UNICORN_VERSION}.tar.gz"
    if not archive.exists():
        raise EngineBuildError(f"pip download left no {archive.name}")
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    if digest != SOURCE_SHA256:
        raise EngineBuildError(f"{archive.name} has SHA-256 {digest}, expected {SOURCE_SHA256}")
    return archive


def build(jobs: int | None = None, force: bool = False, log=print) -> Path:
    """Build and install the engine unless it is up to date; returns its path."""
    import shutil
    import tarfile
    import tempfile
    if is_built() and not force:
        return ENGINE_DIR / ENGINE_NAME
    for tool in ("cmake", "make", "patch", "cc"):
        if shutil.which(tool) is None:
            raise EngineBuildError(f"{tool} not found (make setup installs it)")
    jobs = jobs or os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="linuxuser-engine-") as tmp:
        work = Path(tmp)
        archive = fetch_source(work, log)
        with tarfile.open(archive) as tar:
            tar.extractall(work, filter="data") if hasattr(tarfile, "data_filter") \
                else tar.extractall(work)
        src = work / f"unicorn-{UNICORN_VERSION}" / "src"
        _run(["patch", "-p1", "-i", str(PATCH)], src, log)
        build_dir = work / "build"
        _run(["cmake", "-B", str(build_dir), "-S", str(src), "-DCMAKE_BUILD_TYPE=Release",
              "-DUNICORN_BUILD_TESTS=off", f"-DUNICORN_ARCH={TARGETS}"], src, log)
        _run(["cmake", "--build", str(build_dir), "--target", "unicorn", f"-j{jobs}"], src, log)
        ENGINE_DIR.mkdir(exist_ok=True)
        tmp_lib = ENGINE_DIR / (ENGINE_NAME + ".new")
        shutil.copy2(build_dir / ENGINE_NAME, tmp_lib)
        os.replace(tmp_lib, ENGINE_DIR / ENGINE_NAME)
        (ENGINE_DIR / "STAMP").write_text(stamp())
    return ENGINE_DIR / ENGINE_NAME


def main(argv: list[str] | None = None) -> int:
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--force", action="store_true", help="rebuild even if up to date")
    ap.add_argument("--jobs", "-j", type=int, default=None)
    ap.add_argument("--quiet", "-q", action="store_true")
    args = ap.parse_args(argv)
    log = (lambda msg: None) if args.quiet else (lambda msg: print(f"engine: {msg}", flush=True))
    try:
        path = build(args.jobs, args.force, log)
    except EngineBuildError as err:
        print(f"linuxuser: building the parallel engine failed: {err}", file=sys.stderr)
        return 1
    log(f"{path} is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
