"""The initial stack, auxv and brk (issue #25): every value the program can see at
start-up, against the kernel (natively, x86-64 and i386) and qemu-user (ARM and
AArch64).

tests/guest/initstack.c prints argc, argv, the whole environment in order,
every auxv entry, the strings AT_EXECFN, AT_PLATFORM and AT_RANDOM point to,
and the layout as distances and yes/no.  What is masked, and why:
- addresses of stack strings (AT_EXECFN, AT_PLATFORM, AT_RANDOM) and of a
  static PIE (AT_PHDR, AT_ENTRY): linuxuser lays memory out its own way.  The
  "layout" lines check them instead (inside [stack], AT_PHDR at the program
  headers, AT_ENTRY at _start, the strings where the kernel puts them).
- entries for what linuxuser does not emulate (NOT_EMULATED: the vDSO, rseq,
  AT_MINSIGSTKSZ) -- qemu-user 7.2 gives none of them either.
- AT_HWCAP and AT_HWCAP2 of x86 programs natively: the host CPU's, not the
  emulated one's.
- the program's lines of /proc/self/maps (permissions, file offset) natively:
  the kernel shows the RELRO pages glibc made read-only as a mapping of their
  own; linuxuser's lines must be the kernel's, in order (against qemu-user: all).
The layout lines are the kernel's (fs/binfmt_elf.c create_elf_tables is the
same for the four arches), so they are compared with the native x86-64 run for
every arch: qemu-user aligns AT_PLATFORM, the kernel does not.  The
environment's order is the one the test passes (qemu-user 7.2 reverses it).
AT_RANDOM's 16 bytes must differ between two runs.
"""
from __future__ import annotations

import re

import pytest

import guestbuild
from conftest import make_env
from test_static_programs import describe

ARCHES = list(guestbuild.ARCHES)
NATIVE = [a for a, spec in guestbuild.ARCHES.items() if spec.native]
ARGS = ["one", "two three", "", "four\tfive"]
ENV = {"LINUXUSER_TEST_FIRST": "1", "ZZ_LAST": "z", "MIDDLE": "a=b=c"}
NOT_EMULATED = {"auxv AT_SYSINFO", "auxv AT_SYSINFO_EHDR", "auxv AT_MINSIGSTKSZ",
                "auxv AT_RSEQ_FEATURE_SIZE", "auxv AT_RSEQ_ALIGN"}
STACK_POINTERS = {"auxv AT_EXECFN", "auxv AT_PLATFORM", "auxv AT_RANDOM"}
PIE_POINTERS = {"auxv AT_PHDR", "auxv AT_ENTRY"}
HOST_CPU = {"auxv AT_HWCAP", "auxv AT_HWCAP2", "cpuid(1).edx"}
# The CPU linuxuser describes to ARM programs is a conservative subset of
# qemu-user 7.2's "max" (QEMU 5.0's engine): a Cortex-A15 (v7l) for 32-bit ARM,
# ARMv8.0 with crypto, CRC32 and LSE atomics for AArch64.  Its AT_HWCAP and
# AT_HWCAP2 bits must be a subset of qemu's; AT_PLATFORM names its ISA.
ENGINE_CPU = {"auxv AT_HWCAP", "auxv AT_HWCAP2", "AT_PLATFORM ->"}


def parse(stdout: bytes) -> dict[str, str]:
    """'key value' lines: key is up to the value ("auxv AT_PHDR", "env[3]",
    "layout ...:" lines keyed by their text)."""
    out = {}
    for line in stdout.decode().splitlines():
        m = re.match(r"(auxv \S+|argv\[\d+\]|env\[\d+\]|argc|AT_\w+ ->|cpuid\(1\).edx"
                     r"|mapping \d+ of the program:) ?(.*)$", line) or \
            re.match(r"(layout .*?)(:? (?:yes|no|\d+ bytes.*))$", line)
        assert m, line
        out[m.group(1)] = m.group(2)
    return out


def program(arch: str, pie: bool, guest_program):
    return guest_program("initstack-pie" if pie else "initstack", arch)


def run_initstack(run, prog) -> dict[str, str]:
    r = run([prog, *ARGS])
    assert r.returncode == 0, describe("initstack", r)
    return parse(r.stdout)


def expected_environment() -> list[str]:
    """The environment in the order execve passed it (the harness's own)."""
    return [f"{k}={v}" for k, v in make_env(ENV).items()]


def compare(ours: dict[str, str], ref: dict[str, str], kernel_layout: dict[str, str],
            masked: set[str]) -> None:
    ref = {k: v for k, v in ref.items() if k not in NOT_EMULATED and not k.startswith(
        ("layout", "env["))}
    ref.update({k: v for k, v in kernel_layout.items() if k.startswith("layout")})
    for i, var in enumerate(expected_environment()):
        ref[f"env[{i}]"] = var
    want = {k: ("MASKED" if k in masked else v) for k, v in ref.items() if k != "AT_RANDOM ->"}
    got = {k: ("MASKED" if k in masked else v) for k, v in ours.items() if k != "AT_RANDOM ->"}
    diff = [f"{k}: expected {want.get(k)!r}, linuxuser {got.get(k)!r}"
            for k in sorted(set(want) | set(got)) if want.get(k) != got.get(k)]
    assert not diff, "\n".join(diff)


def program_maps(run: dict[str, str]) -> list[str]:
    """The program's lines of /proc/self/maps (taken out of `run`)."""
    keys = [k for k in run if k.startswith("mapping ")]
    return [run.pop(k) for k in keys]


def check_random(run, prog, first: dict[str, str]) -> None:
    second = run_initstack(run, prog)
    assert first["AT_RANDOM ->"] != second["AT_RANDOM ->"], "AT_RANDOM is the same twice"
    assert first["AT_RANDOM ->"] != "00" * 16


@pytest.fixture(scope="module")
def kernel_layout(guest_program, run_native):
    """The native x86-64 run's "layout" lines: the kernel's rules."""
    ref = run_initstack(lambda a: run_native(a, arch="x86_64", env=ENV),
                        guest_program("initstack", "x86_64"))
    return {k: v for k, v in ref.items() if k.startswith("layout")}


VARIANTS = [pytest.param(arch, pie, id=f"{arch}-{'static-pie' if pie else 'static'}")
            for arch in ARCHES for pie in (False, True)
            if not pie or guestbuild.ARCHES[arch].static_pie]


@pytest.mark.parametrize("arch,pie", VARIANTS)
def test_initial_stack_and_auxv(arch, pie, guest_program, run_linuxuser, run_native, run_qemu,
                                kernel_layout):
    prog = program(arch, pie, guest_program)
    linuxuser = lambda a: run_linuxuser(a, env=ENV)
    ours = run_initstack(linuxuser, prog)
    masked = STACK_POINTERS | (PIE_POINTERS if pie else set())
    if arch in NATIVE:
        ref = run_initstack(lambda a: run_native(a, arch=arch, env=ENV), prog)
        masked |= HOST_CPU
        # The kernel keeps the RELRO pages glibc made read-only apart from the
        # read-only mapping before them (they have anonymous pages): each of
        # linuxuser's mappings must be one of the kernel's, in order.
        ours_maps, ref_maps = (program_maps(run) for run in (ours, ref))
        assert ours_maps and all(m in ref_maps for m in ours_maps), (ours_maps, ref_maps)
        assert ours_maps == sorted(ours_maps, key=ref_maps.index), (ours_maps, ref_maps)
        # What the engine's CPUID says, Linux says in AT_HWCAP.
        assert int(ours["auxv AT_HWCAP"], 16) == int(ours["cpuid(1).edx"], 16)
    else:
        ref = run_initstack(lambda a: run_qemu(arch, a, env=ENV), prog)
        masked |= ENGINE_CPU
        for tag in ("auxv AT_HWCAP", "auxv AT_HWCAP2"):
            extra = int(ours[tag], 16) & ~int(ref[tag], 16)
            assert not extra, f"{tag} {ours[tag]} has bits qemu-user's CPU lacks: {extra:#x}"
        assert ours["AT_PLATFORM ->"] == {"arm": "v7l", "aarch64": "aarch64"}[arch]
    compare(ours, ref, kernel_layout, masked)
    check_random(linuxuser, prog, ours)


# -- brk ------------------------------------------------------------------------------

@pytest.mark.parametrize("arch", ARCHES)
def test_brk_grows_shrinks_and_regrows_like_linux(arch, guest_program, run_linuxuser,
                                                  run_native):
    """tests/guest/brk.c prints only what is relative to the first break (pages
    of [heap] in /proc/self/maps, which touches fault, zeroed regrown pages),
    so its output is the kernel's on every arch: compared with its native run
    (x86-64's for ARM and AArch64).  (qemu-user 7.2 does not unmap on a shrink:
    it is no reference.)  A forked child touches each freed page: it must die
    of SIGSEGV."""
    native_arch = arch if arch in NATIVE else "x86_64"
    expected = run_native([guest_program("brk", native_arch)], arch=native_arch)
    assert expected.returncode == 0 and b"SIGSEGV" in expected.stdout, describe("native", expected)
    r = run_linuxuser([guest_program("brk", arch)])
    assert b"Traceback" not in r.stderr, describe("linuxuser", r)
    assert (r.returncode, r.stdout.decode()) == (0, expected.stdout.decode()), \
        describe("linuxuser", r)
