"""Build linuxuser's Unicorn: the PyPI release's own sources with one patch.

    python3 linuxuser/atomics/engine.py [--force] [--jobs N]

Fetches the source distribution of the Unicorn release the `unicorn` Python
package is (pip download, or the file LINUXUSER_UNICORN_SDIST names; checked
against a known SHA-256), applies unicorn-<version>-parallel.patch, builds the
shared library for the x86, ARM and AArch64 targets only (cmake, with ninja
when there is one), and installs it as lib/libunicorn.so.2 next to this file,
where `linuxuser.atomics.load_engine` finds it.  The Python binding stays
PyPI's; only the library it loads differs.

Needs a C compiler, cmake, pip and network access to PyPI.  `pip install`
runs this (setup.py; cmake, ninja and pip are build requirements, so the
compiler is all a system must have); `make setup` too.  Takes about two
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
# LINUXUSER_ENGINE=stock: install and run with PyPI's Unicorn (threads take turns).
ENGINE_VARIABLE = "LINUXUSER_ENGINE"
# LINUXUSER_UNICORN_SDIST=path: build from this copy of the release's sdist.
SOURCE_VARIABLE = "LINUXUSER_UNICORN_SDIST"
C_COMPILERS = ("cc", "gcc", "clang")


class EngineBuildError(RuntimeError):
    """What stopped the build, and what the user can do about it."""

    def __init__(self, problem: str, remedy: str = "", output: str = ""):
        super().__init__(problem)
        self.remedy, self.output = remedy, output


PATCH = HERE / f"unicorn-{UNICORN_VERSION}-parallel.patch"


def patch_digest() -> str:
    """The first 16 hex digits of the patch's SHA-256: which patch a build has."""
    import hashlib
    return hashlib.sha256(PATCH.read_bytes()).hexdigest()[:16]


def stamp() -> str:
    """What the installed library was built from (rebuilt when it changes)."""
    return f"unicorn {UNICORN_VERSION} patch {patch_digest()} targets {TARGETS}\n"


def built_patch_digest(lib_dir: Path) -> str | None:
    """The patch digest the STAMP beside a built library records."""
    stamp_file = lib_dir / "STAMP"
    words = stamp_file.read_text().split() if stamp_file.exists() else []
    return words[words.index("patch") + 1] if "patch" in words else None


def is_built() -> bool:
    stamp_file = ENGINE_DIR / "STAMP"
    return ((ENGINE_DIR / ENGINE_NAME).exists() and stamp_file.exists()
            and stamp_file.read_text() == stamp())


def failure_paragraph(err: EngineBuildError) -> str:
    """The one paragraph a failed build ends with (pip shows it)."""
    import textwrap
    text = (f"linuxuser: its parallel engine (Unicorn {UNICORN_VERSION} built with "
            f"linuxuser's patch) could not be built: {err}. {err.remedy} Without the engine, "
            "guest threads would take turns on one CPU and multi-threaded programs "
            "would give results that are not guaranteed, so the install stops here. "
            f"To install anyway with PyPI's stock Unicorn, set {ENGINE_VARIABLE}=stock "
            "(see README.md, \"pip install\").")
    return textwrap.fill(text, 80)


def _run(cmd: list[str], cwd: Path, log, problem: str, remedy: str = "") -> None:
    import subprocess
    log(" ".join(cmd))
    proc = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)
    if proc.returncode:
        raise EngineBuildError(f"{problem} (exit status {proc.returncode})", remedy,
                               proc.stdout[-4000:])


def fetch_source(into: Path, log) -> Path:
    """The release's sdist: the file LINUXUSER_UNICORN_SDIST names, or else
    downloaded with pip; checked against its SHA-256 either way."""
    import hashlib
    given = os.environ.get(SOURCE_VARIABLE)
    if given:
        archive = Path(given)
        if not archive.is_file():
            raise EngineBuildError(f"{SOURCE_VARIABLE}={given} names no file")
    else:
        # Its metadata is prepared too (pip checks the version): --no-binary
        # unicorn, not :all:, so that unicorn's own build tools come as wheels.
        _run([sys.executable, "-m", "pip", "download", "--no-binary", "unicorn",
              "--no-deps", "-q", "-d", str(into), f"unicorn=={UNICORN_VERSION}"], into, log,
             f"pip could not download unicorn-{UNICORN_VERSION}.tar.gz, Unicorn's source",
             "Is PyPI reachable? (pip's own settings, such as PIP_INDEX_URL, apply.) "
             f"If not, fetch unicorn-{UNICORN_VERSION}.tar.gz from PyPI some other way "
             f"and name it: {SOURCE_VARIABLE}=/path/to/unicorn-{UNICORN_VERSION}.tar.gz.")
        archive = into / f"unicorn-{UNICORN_VERSION}.tar.gz"
        if not archive.exists():
            raise EngineBuildError(f"pip download left no {archive.name}")
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    if digest != SOURCE_SHA256:
        raise EngineBuildError(f"{archive} has SHA-256 {digest}, not {SOURCE_SHA256}",
                               f"It is not PyPI's unicorn-{UNICORN_VERSION}.tar.gz.")
    return archive


def apply_patch(diff: str, root: Path) -> None:
    """Apply a unified diff with -p1, as GNU patch does without fuzz: each hunk's
    lines must match exactly, at their line or the nearest offset.  (So the
    build needs no `patch` program.)  Text is handled as Latin-1: byte for byte."""
    lines = diff.splitlines(keepends=True)
    i = 0
    while i < len(lines):
        if not (lines[i].startswith("--- ") and i + 1 < len(lines)
                and lines[i + 1].startswith("+++ ")):
            i += 1
            continue
        old_name, new_name = (line[4:].rstrip("\n").split("\t")[0] for line in lines[i:i + 2])
        i += 2
        target = root / (new_name if new_name != "/dev/null" else old_name).split("/", 1)[1]
        text = [] if old_name == "/dev/null" else \
            target.read_text(encoding="latin-1").splitlines(keepends=True)
        shift = 0                       # where the last hunk applied, against its header
        while i < len(lines) and lines[i].startswith("@@"):
            start, before, after, i = _read_hunk(lines, i)
            expected = start - 1 if before else start     # -N,0: insert after line N
            at = _find_lines(text, before, expected + shift)
            if at is None:
                raise EngineBuildError(f"{PATCH.name} does not apply to {target.name} "
                                       f"(hunk at line {start})",
                                       "The patch and the Unicorn release disagree.")
            text[at:at + len(before)] = after
            shift = at - expected + len(after) - len(before)
        if new_name == "/dev/null":
            target.unlink()
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("".join(text), encoding="latin-1")


HUNK_HEADER = r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@"


def _read_hunk(lines: list[str], i: int) -> tuple[int, list[str], list[str], int]:
    """The hunk at lines[i]: (its old start line, the lines it replaces, the
    lines it puts there, the index after it)."""
    import re
    header = re.match(HUNK_HEADER, lines[i])
    if header is None:
        raise EngineBuildError(f"bad hunk header in {PATCH.name}: {lines[i]!r}")
    start, old_count, new_count = int(header[1]), int(header[2] or 1), int(header[4] or 1)
    before: list[str] = []
    after: list[str] = []
    sides: list[list[str]] = []         # the lists the last line went into
    i += 1
    while len(before) < old_count or len(after) < new_count or \
            (i < len(lines) and lines[i].startswith("\\")):
        if i == len(lines):
            raise EngineBuildError(f"{PATCH.name} ends inside a hunk (line {start})")
        line = lines[i]
        i += 1
        tag, rest = (line[:1], line[1:]) if line != "\n" else (" ", "\n")
        if tag == "\\":                    # "\ No newline at end of file"
            for side in sides:
                side[-1] = side[-1].rstrip("\n")
            continue
        if tag not in " -+":
            raise EngineBuildError(f"bad line in {PATCH.name}: {line!r}")
        sides = {" ": [before, after], "-": [before], "+": [after]}[tag]
        for side in sides:
            side.append(rest)
    return start, before, after, i


def _find_lines(text: list[str], wanted: list[str], near: int) -> int | None:
    """Where `wanted` occurs in `text` nearest to line index `near`."""
    for distance in range(len(text) + 1):
        for at in (near - distance, near + distance):
            if 0 <= at <= len(text) - len(wanted) and text[at:at + len(wanted)] == wanted:
                return at
    return None


def c_compiler() -> str | None:
    """The C compiler cmake will use: $CC, or the first of cc, gcc, clang."""
    import shutil
    cc = os.environ.get("CC", "").split()
    if cc:
        return shutil.which(cc[0])
    return next(filter(None, map(shutil.which, C_COMPILERS)), None)


def build(jobs: int | None = None, force: bool = False, log=print) -> Path:
    """Build and install the engine unless it is up to date; returns its path."""
    import shutil
    import tarfile
    import tempfile
    if is_built() and not force:
        return ENGINE_DIR / ENGINE_NAME
    if c_compiler() is None:
        raise EngineBuildError(
            "no C compiler found (" + (f"CC={os.environ['CC']}" if os.environ.get("CC")
                                       else ", ".join(C_COMPILERS)) + ")",
            "Install one (Debian and Ubuntu: apt-get install gcc; Fedora: dnf install gcc), "
            "then install linuxuser again.")
    if shutil.which("cmake") is None:
        raise EngineBuildError("cmake not found",
                               "pip installs it for the build (a build requirement); by hand: "
                               "pip install cmake, or apt-get install cmake.")
    generator = ["-G", "Ninja"] if shutil.which("ninja") else []
    if not generator and shutil.which("make") is None:
        raise EngineBuildError("neither ninja nor make found",
                               "pip installs ninja for the build; by hand: pip install ninja.")
    jobs = jobs or os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="linuxuser-engine-") as tmp:
        work = Path(tmp)
        archive = fetch_source(work, log)
        with tarfile.open(archive) as tar:
            tar.extractall(work, filter="data") if hasattr(tarfile, "data_filter") \
                else tar.extractall(work)
        src = work / f"unicorn-{UNICORN_VERSION}" / "src"
        log(f"applying {PATCH.name}")
        apply_patch(PATCH.read_text(encoding="latin-1"), src)
        build_dir = work / "build"
        cmake_failed = ("cmake could not build Unicorn",
                        "The output above says why; the build needs a C compiler that "
                        "can build QEMU's TCG (gcc or clang).")
        _run(["cmake", *generator, "-B", str(build_dir), "-S", str(src),
              "-DCMAKE_BUILD_TYPE=Release", "-DUNICORN_BUILD_TESTS=off",
              f"-DUNICORN_ARCH={TARGETS}"], src, log, *cmake_failed)
        _run(["cmake", "--build", str(build_dir), "--target", "unicorn", f"-j{jobs}"], src, log,
             *cmake_failed)
        ENGINE_DIR.mkdir(exist_ok=True)
        tmp_lib = ENGINE_DIR / (ENGINE_NAME + ".new")
        shutil.copy2(build_dir / ENGINE_NAME, tmp_lib)
        os.replace(tmp_lib, ENGINE_DIR / ENGINE_NAME)
        (ENGINE_DIR / "STAMP").write_text(stamp())
    return ENGINE_DIR / ENGINE_NAME


def report_failure(err: EngineBuildError) -> None:
    """The tools' last output lines, then the paragraph that says what to do."""
    if err.output:
        tail = err.output.rstrip("\n").splitlines()[-30:]
        print("\n".join(tail) + "\n", file=sys.stderr)
    print(failure_paragraph(err), file=sys.stderr)


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
        report_failure(err)
        return 1
    log(f"{path} is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
