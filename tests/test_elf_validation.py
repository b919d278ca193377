"""ELF validation field by field, against the native kernel; and the ELF fuzzer.

Each case corrupts one field of a real guest program (tests/elffuzz.py edits
it).  The x86-64 and i386 builds run natively: where the kernel refuses the
file (execve fails, or the new program is killed by SIGSEGV before it runs),
linuxuser must refuse it with one `linuxuser:` line and a nonzero status (or
die of the same SIGSEGV); where the kernel runs it, linuxuser must give the same output
and status (a signal included).  qemu-user is no reference for corrupt files
(7.2 crashes on some and loses its message on others), so the ARM builds get
the same cases with the fuzzer's rule: the guest's behaviour or one line, never
a traceback, a hang or a host signal.
"""
from __future__ import annotations

import errno
import subprocess

import pytest

import elffuzz
import guestbuild
from elffuzz import PT_INTERP, PT_LOAD, ElfImage

NATIVE = [a for a in guestbuild.ARCHES if guestbuild.ARCHES[a].native]
TIMEOUT = 20


def first_load(e: ElfImage) -> int:
    return e.phdrs(PT_LOAD)[0]


def last_load(e: ElfImage) -> int:
    return e.phdrs(PT_LOAD)[-1]


def interp(e: ElfImage) -> int:
    return e.phdrs(PT_INTERP)[0]


def file_size(e: ElfImage) -> int:
    return len(e.data)


def huge_memsz(e: ElfImage) -> int:
    return 0x5F00000000 if e.bits == 64 else 0xF0000000     # 380 GiB / 3.75 GiB


# (case name, program, edit): every bound of every program header field,
# the ELF header's program-header fields, and the interpreter path.
CASES = [
    # PT_LOAD: where its bytes are in the file
    ("load offset at end of file", "hello",
     lambda e: e.set("p_offset", file_size(e), last_load(e))),
    ("load starts inside, ends past the end", "hello",
     lambda e: e.set("p_filesz", file_size(e) - e.get("p_offset", last_load(e)) + 4096,
                     last_load(e))),
    ("load offset huge", "hello", lambda e: e.set("p_offset", 0x7FFF0000, last_load(e))),
    ("load filesz > memsz", "hello",
     lambda e: e.set("p_filesz", e.get("p_memsz", first_load(e)) + 1, first_load(e))),
    ("load filesz 0", "hello", lambda e: e.set("p_filesz", 0, last_load(e))),
    # PT_LOAD: its memory
    ("load memsz 0", "hello", lambda e: e.set("p_memsz", 0, last_load(e))),
    ("every load memsz 0", "hello",
     lambda e: [e.set("p_memsz", 0, i) or e.set("p_filesz", 0, i) for i in e.phdrs(PT_LOAD)]),
    ("load memsz huge", "hello", lambda e: e.set("p_memsz", huge_memsz(e), last_load(e))),
    ("load memsz wraps", "hello", lambda e: e.set("p_memsz", e.word_max - 0xFFF, last_load(e))),
    ("load vaddr 0", "hello",
     lambda e: e.set("p_vaddr", e.get("p_offset", first_load(e)) % 4096, first_load(e))),
    ("load vaddr not congruent to offset", "hello",
     lambda e: e.set("p_vaddr", e.get("p_vaddr", last_load(e)) + 1, last_load(e))),
    ("load vaddr at the top", "hello",
     lambda e: e.set("p_vaddr", (e.word_max & ~0xFFF) + e.get("p_offset", last_load(e)) % 4096,
                     last_load(e))),
    ("load align 0", "hello", lambda e: e.set("p_align", 0, first_load(e))),
    ("load align 3", "hello", lambda e: e.set("p_align", 3, first_load(e))),
    ("load align 1 GiB", "hello", lambda e: e.set("p_align", 1 << 30, first_load(e))),
    ("load over linuxuser's stack", "hello",
     lambda e: e.set("p_vaddr", (0xFFFD0000 if e.bits == 32 else (1 << 46) - (1 << 32) - 0x10000)
                     + e.get("p_offset", last_load(e)) % 4096, last_load(e))),
    ("load flags 0", "hello", lambda e: e.set("p_flags", 0, last_load(e))),
    ("loads out of order", "hello",
     lambda e: e.set("p_vaddr", e.get("p_vaddr", first_load(e)) - 0x100000, last_load(e))),
    # ELF header: the program header table
    ("phnum 0", "hello", lambda e: e.set("e_phnum", 0)),
    ("phnum past the end of file", "hello", lambda e: e.set("e_phnum", 0xFFFF)),
    ("phentsize 0", "hello", lambda e: e.set("e_phentsize", 0)),
    ("phentsize + 1", "hello", lambda e: e.set("e_phentsize", e.get("e_phentsize") + 1)),
    ("phoff at end of file", "hello", lambda e: e.set("e_phoff", file_size(e))),
    ("phoff huge", "hello", lambda e: e.set("e_phoff", e.word_max - 8)),
    ("entry 0", "hello", lambda e: e.set("e_entry", 0)),
    ("entry unmapped", "hello", lambda e: e.set("e_entry", 0x12345678)),
    ("entry at the word's last byte", "hello", lambda e: e.set("e_entry", e.word_max)),
    ("type ET_REL", "hello", lambda e: e.set("e_type", 1)),
    ("type ET_CORE", "hello", lambda e: e.set("e_type", 4)),
    ("version 0", "hello", lambda e: e.set("e_version", 0)),
    # PT_INTERP: the interpreter path
    ("interp without its NUL", "dynamic",
     lambda e: e.set("p_filesz", e.get("p_filesz", interp(e)) - 1, interp(e))),
    ("interp empty", "dynamic", lambda e: e.set("p_filesz", 0, interp(e))),
    ("interp one byte", "dynamic", lambda e: e.set("p_filesz", 1, interp(e))),
    ("interp past the end of file", "dynamic",
     lambda e: e.set("p_offset", file_size(e) - 2, interp(e))),
    ("interp longer than PATH_MAX", "dynamic", lambda e: e.set("p_filesz", 5000, interp(e))),
    ("interp names no file", "dynamic",
     lambda e: e.data.__setitem__(slice(e.get("p_offset", interp(e)) + 1,
                                        e.get("p_offset", interp(e)) + 4), b"zzz")),
]
CASE_IDS = [c[0].replace(" ", "-") for c in CASES]


def make_case(tmp_path, guest_program, arch, program, edit):
    elf = ElfImage(guest_program(program, arch).read_bytes())
    edit(elf)
    path = tmp_path / "prog"
    path.write_bytes(bytes(elf.data))
    path.chmod(0o755)
    return path


def native_outcome(path, arch, run_native, cwd):
    """('refused', errno) or ('ran', Result) for the kernel's execve of `path`."""
    try:
        return "ran", run_native([path], arch=arch, cwd=cwd, timeout=TIMEOUT)
    except OSError as err:
        return "refused", err.errno


@pytest.mark.parametrize("name,program,edit", CASES, ids=CASE_IDS)
@pytest.mark.parametrize("arch", NATIVE)
def test_corrupt_field_as_the_kernel(arch, name, program, edit, guest_program, run_linuxuser,
                                     run_native, tmp_path):
    if program == "dynamic" and arch == "i386":
        pytest.xfail("no i386 dynamic loader on the host: the kernel cannot run the original")
    path = make_case(tmp_path, guest_program, arch, program, edit)
    kind, expected = native_outcome(path, arch, run_native, tmp_path)
    actual = run_linuxuser([path], cwd=tmp_path, timeout=TIMEOUT)
    err = actual.stderr.decode(errors="replace")
    assert elffuzz.verdict(actual.returncode, actual.stderr) is None, err
    # After execve's point of no return the kernel refuses a file by killing the
    # new program with SIGSEGV before it runs an instruction: a refusal too.
    if kind == "ran" and expected.returncode == -11 and not expected.stdout:
        if actual.returncode == 126:
            kind = "refused"
    if kind == "refused":
        lines = err.splitlines()
        assert actual.returncode > 0 and len(lines) == 1 and lines[0].startswith("linuxuser: "), (
            f"the kernel refuses ({errno.errorcode.get(expected)}); linuxuser: "
            f"{actual.returncode} {err!r} {actual.stdout[:200]!r}")
    else:
        assert (actual.returncode, actual.stdout) == (expected.returncode, expected.stdout), (
            f"the kernel runs it: {expected.returncode} {expected.stdout[:200]!r} "
            f"{expected.stderr[:200]!r}; linuxuser: {actual.returncode} {err!r}")


@pytest.mark.parametrize("name,program,edit", CASES, ids=CASE_IDS)
@pytest.mark.parametrize("arch", ["arm", "aarch64"])
def test_corrupt_field_is_handled(arch, name, program, edit, guest_program, run_linuxuser,
                                  tmp_path):
    path = make_case(tmp_path, guest_program, arch, program, edit)
    try:
        actual = run_linuxuser([path], cwd=tmp_path, timeout=TIMEOUT)
    except pytest.fail.Exception:
        if elffuzz.qemu_also_hangs(arch, path, TIMEOUT, tmp_path):
            return                       # the guest's own endless loop
        raise
    assert elffuzz.verdict(actual.returncode, actual.stderr) is None, actual


def test_elf_fuzzer_finds_nothing(guest_program):
    """A few hundred seeded cases (run `python3 tests/elffuzz.py --fuzz N` for more)."""
    for arch in guestbuild.ARCHES:        # built (and cached) through the fixture
        guest_program("hello", arch)
        guest_program("dynamic", arch)
    failures = elffuzz.fuzz(240, seed=14, arches=list(guestbuild.ARCHES))
    assert not failures, "\n".join(failures)
