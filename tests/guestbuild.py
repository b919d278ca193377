#!/usr/bin/env python3
"""Build the guest test programs in tests/guest/ for every target arch.

Binaries go to build/guest/<arch>/<variant-name> (build/ is gitignored).
A binary is rebuilt only when its source is newer than it, or when the
compiler command line changed (recorded in a ``.cmd`` file next to it).

Usage as a script (``make guests`` runs this)::

    python tests/guestbuild.py                 # everything, all arches
    python tests/guestbuild.py -a arm hello    # one program for one arch
    python tests/guestbuild.py --list

Used as a module by tests/conftest.py::

    from guestbuild import build, ARCHES
    path = build("hello", "aarch64")
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SRC_DIR = REPO / "tests" / "guest"
BUILD_DIR = REPO / "build" / "guest"

BASE_FLAGS = ["-static", "-O2", "-Wall", "-g0"]


@dataclass(frozen=True)
class Arch:
    name: str  # our name: arm, aarch64, i386, x86_64
    cc: str  # compiler driver
    qemu: str  # qemu-user binary that runs it
    native: bool  # runs directly on this x86-64 host
    apt_packages: tuple  # Debian packages that provide cc and its libc
    static_pie: bool  # toolchain can link -static-pie (needs rcrt1.o)
    extra_flags: tuple = ()


ARCHES: dict[str, Arch] = {
    "arm": Arch(
        "arm",
        "arm-linux-gnueabihf-gcc",
        "qemu-arm",
        False,
        ("gcc-arm-linux-gnueabihf", "libc6-dev-armhf-cross"),
        # Debian's libc6-dev-armhf-cross ships no rcrt1.o, so
        # "-static-pie" fails to link for armhf.
        static_pie=False,
    ),
    "aarch64": Arch(
        "aarch64",
        "aarch64-linux-gnu-gcc",
        "qemu-aarch64",
        False,
        ("gcc-aarch64-linux-gnu", "libc6-dev-arm64-cross"),
        static_pie=True,
    ),
    "i386": Arch(
        "i386",
        "i686-linux-gnu-gcc",
        "qemu-i386",
        True,
        ("gcc-i686-linux-gnu", "libc6-dev-i386-cross"),
        static_pie=True,
    ),
    "x86_64": Arch(
        "x86_64",
        "gcc",
        "qemu-x86_64",
        True,
        ("gcc", "libc6-dev"),
        static_pie=True,
    ),
}

ARCH_NAMES = tuple(ARCHES)


@dataclass(frozen=True)
class Program:
    name: str  # name of the built binary
    source: str  # file in tests/guest/
    flags: tuple = ()  # extra flags for every arch
    arch_flags: dict = field(default_factory=dict)  # extra flags per arch
    libs: tuple = ()
    static_pie: bool = False  # link with -static-pie instead of -static
    dynamic: bool = False  # link with the C library's shared objects (run with -L)
    shared: bool = False  # a shared library (-shared -fPIC), e.g. for dlopen()
    arches: tuple = ARCH_NAMES  # arches it is built for
    src_dir: Path = SRC_DIR  # where `source` is (bench/guest/ for the benchmarks)
    out_dir: Path = BUILD_DIR  # binaries go to out_dir/<arch>/<name>

    def command(self, arch: str, out: Path) -> list[str]:
        a = ARCHES[arch]
        flags = list(BASE_FLAGS)
        if self.static_pie:
            flags[flags.index("-static")] = "-static-pie"
        elif self.shared:
            flags[flags.index("-static")] = "-shared"
            flags.append("-fPIC")
        elif self.dynamic:
            flags.remove("-static")
        flags += list(a.extra_flags) + list(self.flags)
        flags += list(self.arch_flags.get(arch, ()))
        return [a.cc, *flags, "-o", str(out), str(self.src_dir / self.source), *self.libs]


def _programs() -> dict[str, Program]:
    progs = [
        Program("hello", "hello.c"),
        Program(
            "hello-pie",
            "hello.c",
            static_pie=True,
            arches=tuple(a for a in ARCH_NAMES if ARCHES[a].static_pie),
        ),
        Program("args_env", "args_env.c"),
        Program("exit_code", "exit_code.c"),
        Program("file_io", "file_io.c"),
        Program(
            "float_simd",
            "float_simd.c",
            flags=("-O3", "-fopenmp-simd"),
            arch_flags={
                # Debian armhf defaults to -mfpu=vfpv3-d16: ask for NEON.
                "arm": ("-mfpu=neon",),
                # i686 defaults to x87 maths: use SSE2 registers instead.
                "i386": ("-msse2", "-mfpmath=sse"),
            },
            libs=("-lm",),
        ),
        Program("fenv", "fenv.c", libs=("-lm",)),
        Program("fpu_state", "fpu_state.c", arches=("i386", "x86_64")),
        Program("sysv_shm", "sysv_shm.c"),
        Program("vsyscall", "vsyscall.c", arches=("x86_64",)),
        Program("aarch64_features", "aarch64_features.c", arches=("aarch64",),
                flags=("-march=armv8.4-a+crypto+sha3+sm4+fp16+fp16fml",)),
        Program("x86_insns", "x86_insns.c", arches=("i386", "x86_64"),
                arch_flags={"i386": ("-msse2",)}),      # MMX and XMM registers in asm
        Program("syscall_errors", "syscall_errors.c"),
        Program("kuser", "kuser.c", arches=("arm",)),
        Program("it_block", "it_block.c", arches=("arm",), flags=("-mthumb",)),
        Program("selfmod", "selfmod.c"),
        Program("sysinfo", "sysinfo.c"),
        Program("big_alloc", "big_alloc.c"),
        Program("fault", "fault.c"),
        Program("clock", "clock.c"),
        Program("threads", "threads.c", libs=("-pthread",)),
        Program("futex", "futex.c", libs=("-pthread",)),
        Program("signals", "signals.c", libs=("-pthread",),
                arch_flags={"arm": ("-mfpu=neon",)}),    # clobbers every NEON register
        Program("atomics", "atomics.c", libs=("-pthread",),
                arch_flags={"x86_64": ("-mcx16",)}),
        Program("parallel", "parallel.c", libs=("-pthread",)),
        Program("initstack", "initstack.c"),
        Program("brk", "brk.c"),
        Program("mm_calls", "mm_calls.c"),
        Program("initstack-pie", "initstack.c", static_pie=True,
                arches=tuple(a for a in ARCH_NAMES if ARCHES[a].static_pie)),
        Program("strace_calls", "strace_calls.c"),
        Program("strace_strings", "strace_strings.c"),
        Program("strace_thread", "strace_thread.c", libs=("-lpthread",)),
        Program("structs_files", "structs_files.c"),
        Program("structs_io", "structs_io.c"),
        Program("structs_net", "structs_net.c"),
        Program("efault", "efault.c"),
        Program("exec", "exec.c"),
        Program("procfs", "procfs.c"),
        Program("escape", "escape.c"),
        Program("hostile", "hostile.c"),
        Program("dynamic", "dynamic.c", dynamic=True, libs=("-ldl", "-pthread")),
        Program("dynamic-nopie", "dynamic.c", dynamic=True, flags=("-fno-pie", "-no-pie"),
                libs=("-ldl", "-pthread")),
        Program("libplugin.so", "plugin.c", shared=True, libs=("-lm",)),
    ]
    return {p.name: p for p in progs}


PROGRAMS: dict[str, Program] = _programs()


class BuildError(RuntimeError):
    pass


_locks: dict[tuple[str, str], threading.Lock] = {}
_locks_guard = threading.Lock()


def output_path(name: str, arch: str) -> Path:
    return BUILD_DIR / arch / name


def missing_tools() -> list[str]:
    """Compilers (of ARCHES) that are not on PATH."""
    return [a.cc for a in ARCHES.values() if shutil.which(a.cc) is None]


def build(name: str, arch: str, *, verbose: bool = False) -> Path:
    """Build program ``name`` for ``arch`` if needed; return the binary path.

    Raises BuildError (with the compiler's output) when the compiler is
    missing or the build fails.
    """
    if name not in PROGRAMS:
        raise BuildError(f"unknown guest program {name!r} (known: {', '.join(PROGRAMS)})")
    return build_program(PROGRAMS[name], arch, verbose=verbose)


def build_program(prog: Program, arch: str, *, verbose: bool = False) -> Path:
    """Build `prog` (of PROGRAMS, or another list such as the benchmarks') for `arch`."""
    name = prog.name
    if arch not in ARCHES:
        raise BuildError(f"unknown arch {arch!r} (known: {', '.join(ARCHES)})")
    if arch not in prog.arches:
        raise BuildError(f"{name} is not built for {arch}")
    a = ARCHES[arch]
    if shutil.which(a.cc) is None:
        raise BuildError(
            f"cross compiler {a.cc!r} for {arch} not found on PATH; "
            f"run 'make setup' (installs {' '.join(a.apt_packages)})"
        )

    with _locks_guard:
        lock = _locks.setdefault((str(prog.out_dir), name, arch), threading.Lock())
    with lock:
        out = prog.out_dir / arch / name
        cmd_file = out.with_name(out.name + ".cmd")
        src = prog.src_dir / prog.source
        cmd = prog.command(arch, out)
        cmd_text = " ".join(cmd) + "\n"
        # The program's source and the headers next to it (jitcode.h...).
        newest = max(f.stat().st_mtime for f in (src, *prog.src_dir.glob("*.h")))
        if (
            out.exists()
            and cmd_file.exists()
            and out.stat().st_mtime >= newest
            and cmd_file.read_text() == cmd_text
        ):
            return out

        out.parent.mkdir(parents=True, exist_ok=True)
        # Build to a temporary name and rename, so that an interrupted or
        # concurrent build never leaves a half-written binary behind.
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=out.parent)
        os.close(fd)
        tmp_cmd = prog.command(arch, Path(tmp))
        if verbose:
            print(" ".join(cmd), flush=True)
        try:
            r = subprocess.run(tmp_cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            if r.returncode != 0:
                raise BuildError(
                    f"building {name} for {arch} failed (exit {r.returncode}):\n"
                    f"$ {' '.join(tmp_cmd)}\n{r.stdout}"
                )
            os.chmod(tmp, 0o755)
            os.replace(tmp, out)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        cmd_file.write_text(cmd_text)
        return out


def all_targets(names=None, arches=None) -> list[tuple[str, str]]:
    names = list(names or PROGRAMS)
    arches = list(arches or ARCHES)
    return [(n, a) for n in names for a in arches if a in PROGRAMS[n].arches]


def build_all(names=None, arches=None, *, jobs: int | None = None, verbose: bool = False):
    """Build many programs in parallel; returns {(name, arch): path}.

    Raises BuildError listing every failure.
    """
    targets = all_targets(names, arches)
    jobs = jobs or max(1, os.cpu_count() or 1)
    results, errors = {}, []
    with ThreadPoolExecutor(max_workers=jobs) as ex:
        futs = {t: ex.submit(build, *t, verbose=verbose) for t in targets}
        for t, f in futs.items():
            try:
                results[t] = f.result()
            except BuildError as e:
                errors.append(str(e))
    if errors:
        raise BuildError("\n\n".join(errors))
    return results


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("programs", nargs="*", help="program names (default: all)")
    ap.add_argument("-a", "--arch", action="append", choices=list(ARCHES), help="arch (repeatable; default: all)")
    ap.add_argument("-j", "--jobs", type=int, default=None)
    ap.add_argument("-B", "--force", action="store_true", help="rebuild everything")
    ap.add_argument("--list", action="store_true", help="list programs and arches")
    ap.add_argument("-q", "--quiet", action="store_true")
    args = ap.parse_args(argv)

    if args.list:
        for n, p in PROGRAMS.items():
            print(f"{n:12s} {' '.join(p.arches)}")
        return 0
    for n in args.programs:
        if n not in PROGRAMS:
            ap.error(f"unknown program {n!r}; known: {', '.join(PROGRAMS)}")
    if args.force:
        for n, a in all_targets(args.programs, args.arch):
            output_path(n, a).unlink(missing_ok=True)
    t0 = time.monotonic()
    try:
        res = build_all(args.programs, args.arch, jobs=args.jobs, verbose=not args.quiet)
    except BuildError as e:
        print(e, file=sys.stderr)
        return 1
    if not args.quiet:
        print(f"{len(res)} guest programs up to date in {BUILD_DIR.relative_to(REPO)}/ "
              f"({time.monotonic() - t0:.1f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
