#!/usr/bin/env python3
"""Corrupt ELF programs, field by field or at random, and what must happen to them.

Used by tests/test_elf_validation.py (the field-by-field table against the
native kernel, and a few hundred seeded fuzz cases in CI) and as a script
for long runs:

    python3 tests/elffuzz.py --fuzz 5000 [--seed 1] [--arch arm,aarch64,...]

Every case must end within a time limit with either the guest's own behaviour
(its output, its exit status, its signal after linuxuser's "uncaught target
signal" line) or one `linuxuser: ...` line and a nonzero status: no traceback,
no hang, no host signal.
"""
from __future__ import annotations

import argparse
import os
import random
import struct
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent
REPO = TESTS_DIR.parent
PT_LOAD, PT_DYNAMIC, PT_INTERP = 1, 2, 3


@dataclass(frozen=True)
class Layout:
    """Where the fields are in one ELF class (offset, struct format)."""
    header: dict
    phdr: dict
    phentsize: int
    dyn_entry: str


LAYOUTS = {
    32: Layout(
        header={"e_type": (16, "<H"), "e_machine": (18, "<H"), "e_version": (20, "<I"),
                "e_entry": (24, "<I"), "e_phoff": (28, "<I"), "e_flags": (36, "<I"),
                "e_ehsize": (40, "<H"), "e_phentsize": (42, "<H"), "e_phnum": (44, "<H")},
        phdr={"p_type": (0, "<I"), "p_offset": (4, "<I"), "p_vaddr": (8, "<I"),
              "p_paddr": (12, "<I"), "p_filesz": (16, "<I"), "p_memsz": (20, "<I"),
              "p_flags": (24, "<I"), "p_align": (28, "<I")},
        phentsize=32, dyn_entry="<iI"),
    64: Layout(
        header={"e_type": (16, "<H"), "e_machine": (18, "<H"), "e_version": (20, "<I"),
                "e_entry": (24, "<Q"), "e_phoff": (32, "<Q"), "e_flags": (48, "<I"),
                "e_ehsize": (52, "<H"), "e_phentsize": (54, "<H"), "e_phnum": (56, "<H")},
        phdr={"p_type": (0, "<I"), "p_flags": (4, "<I"), "p_offset": (8, "<Q"),
              "p_vaddr": (16, "<Q"), "p_paddr": (24, "<Q"), "p_filesz": (32, "<Q"),
              "p_memsz": (40, "<Q"), "p_align": (48, "<Q")},
        phentsize=56, dyn_entry="<qQ"),
}


class ElfImage:
    """A little-endian ELF file being edited in memory."""

    def __init__(self, data: bytes) -> None:
        self.data = bytearray(data)
        self.bits = 64 if self.data[4] == 2 else 32
        self.layout = LAYOUTS[self.bits]

    @property
    def word_max(self) -> int:
        return (1 << self.bits) - 1

    def get(self, name: str, phdr: int | None = None) -> int:
        off, fmt = self._where(name, phdr)
        return struct.unpack_from(fmt, self.data, off)[0]

    def set(self, name: str, value: int, phdr: int | None = None) -> None:
        off, fmt = self._where(name, phdr)
        bits = struct.calcsize(fmt) * 8
        struct.pack_into(fmt, self.data, off, value & ((1 << bits) - 1))

    def _where(self, name: str, phdr: int | None) -> tuple[int, str]:
        if phdr is None:
            return self.layout.header[name]
        off, fmt = self.layout.phdr[name]
        return self.get("e_phoff") + phdr * self.layout.phentsize + off, fmt

    def phdrs(self, p_type: int) -> list[int]:
        return [i for i in range(self.get("e_phnum")) if self.get("p_type", i) == p_type]

    def field_offsets(self) -> list[tuple[int, int]]:
        """(offset, size) of every header and program header field, and of each
        dynamic-section entry's tag and value: what the fuzzer mutates."""
        out = [(off, struct.calcsize(fmt)) for off, fmt in self.layout.header.values()]
        for i in range(self.get("e_phnum")):
            base = self.get("e_phoff") + i * self.layout.phentsize
            if base + self.layout.phentsize > len(self.data):
                break
            out += [(base + off, struct.calcsize(fmt)) for off, fmt in self.layout.phdr.values()]
        for i in self.phdrs(PT_DYNAMIC):
            start, size = self.get("p_offset", i), self.get("p_filesz", i)
            half = struct.calcsize(self.layout.dyn_entry) // 2
            for pos in range(start, min(start + size, len(self.data)) - 2 * half + 1, 2 * half):
                out += [(pos, half), (pos + half, half)]
        return out


# ------------------------------------------------------------ random mutations

INTERESTING = (0, 1, 2, 0x7F, 0x80, 0xFF, 0x1000, 0xFFFF, 0x7FFFFFFF, 0x80000000,
               0xFFFFFFFF, 1 << 40, 0x5F00000000, (1 << 63) - 1, (1 << 64) - 1)


def mutate(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """One to three mutations of header, program header or dynamic fields."""
    elf = ElfImage(data)
    fields = elf.field_offsets()
    notes = []
    for _ in range(rng.choice((1, 1, 2, 3))):
        off, size = rng.choice(fields)
        old = int.from_bytes(elf.data[off:off + size], "little")
        how = rng.randrange(4)
        if how == 0:
            new = old ^ (1 << rng.randrange(size * 8))
        elif how == 1:
            new = rng.choice(INTERESTING)
        elif how == 2:
            new = old + rng.choice((-4096, -1, 1, 4096, len(data)))
        else:
            new = rng.getrandbits(size * 8)
        new &= (1 << (size * 8)) - 1
        elf.data[off:off + size] = new.to_bytes(size, "little")
        notes.append(f"@{off:#x}:{old:#x}->{new:#x}")
    if rng.random() < 0.1:
        cut = rng.randrange(64, len(elf.data))
        del elf.data[cut:]
        notes.append(f"truncated at {cut:#x}")
    return bytes(elf.data), " ".join(notes)


# ------------------------------------------------------------ judging a run

def linuxuser_command() -> list[str]:
    return [sys.executable, "-m", "linuxuser"]


def run_case(path: Path, timeout: float, cwd: Path) -> tuple[int | None, bytes, bytes]:
    """(returncode or None on timeout, stdout, stderr) of linuxuser on `path`."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    env.pop("LINUXUSER_DEBUG", None)
    proc = subprocess.Popen([*linuxuser_command(), str(path)], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd, env=env,
                            start_new_session=True,
                            preexec_fn=lambda: __import__("resource").setrlimit(
                                __import__("resource").RLIMIT_CORE, (0, 0)))
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        out, err = proc.communicate()
        return None, out, err
    return proc.returncode, out, err


# linuxuser's lines that report the guest's behaviour, not a refusal of the file.
GUEST_REPORTS = ("uncaught target signal", "unsupported syscall", "unsupported ioctl",
                 "unsupported fcntl")


def verdict(returncode: int | None, stderr: bytes) -> str | None:
    """What is wrong with a run of linuxuser on a corrupt program, or None.

    A hang is judged by the caller (the guest may loop by itself)."""
    text = stderr.decode(errors="replace")
    if "Traceback" in text:
        return "Python traceback"
    if "internal error" in text:
        return "internal error"
    ours = [line for line in text.splitlines() if line.startswith("linuxuser: ")]
    refusals = [line for line in ours if not any(r in line for r in GUEST_REPORTS)]
    if returncode is not None and returncode < 0 and returncode != -9:
        # The guest's fatal signal comes after linuxuser's line; a host signal
        # (linuxuser itself crashing) has none.
        if not any("uncaught target signal" in line for line in ours):
            return f"host signal {-returncode} without the guest's line"
    if len(refusals) > 1 or refusals and (returncode == 0 or text.strip() != refusals[0]):
        return "a refusal that is not exactly one linuxuser: line and a nonzero status"
    return None


def qemu_also_hangs(arch: str, path: Path, timeout: float, cwd: Path) -> bool:
    """Whether qemu-user loops on the same program too (the guest's own loop)."""
    sys.path.insert(0, str(TESTS_DIR))
    import guestbuild
    qemu = [guestbuild.ARCHES[arch].qemu, str(path)]
    try:
        subprocess.run(qemu, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, cwd=cwd, timeout=timeout)
    except subprocess.TimeoutExpired:
        return True
    return False


def fuzz(count: int, seed: int, arches: list[str], timeout: float = 10.0,
         programs=("hello", "dynamic")) -> list[str]:
    """Run `count` mutated programs; return the failures (one line each)."""
    sys.path.insert(0, str(TESTS_DIR))
    import guestbuild
    rng = random.Random(seed)
    originals = [(arch, name, guestbuild.build(name, arch).read_bytes())
                 for arch in arches for name in programs]
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for n in range(count):
            arch, name, data = originals[n % len(originals)]
            mutated, notes = mutate(data, rng)
            path = work / f"case{n}"
            path.write_bytes(mutated)
            path.chmod(0o755)
            rc, _out, err = run_case(path, timeout, work)
            problem = verdict(rc, err)
            if rc is None and not problem and not qemu_also_hangs(arch, path, timeout, work):
                problem = "hang (qemu-user ends)"
            if problem:
                failures.append(f"seed {seed} case {n} ({arch} {name}: {notes}): {problem}: "
                                f"{err.decode(errors='replace')[-300:]!r}")
            path.unlink()
    return failures


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--fuzz", type=int, default=300, metavar="N", help="number of cases")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--arch", default="arm,aarch64,i386,x86_64")
    args = ap.parse_args()
    failures = fuzz(args.fuzz, args.seed, args.arch.split(","))
    print("\n".join(failures) if failures else f"{args.fuzz} cases: no failure")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
