"""Guest CPU fidelity (issue #21): the CPU state a program starts with and the
instructions it may use behave as on real hardware.

Each program runs under linuxuser and natively (x86-64, i386: the host CPU is
the reference) and under qemu-user, and every run must give the same output.
"""
from __future__ import annotations

import pytest

import guestbuild
from test_static_programs import assert_same

X86 = [a for a, spec in guestbuild.ARCHES.items() if spec.native]


@pytest.mark.parametrize("arch", X86)
def test_fpu_start_state(arch, guest_program, run_linuxuser, run_native, run_qemu):
    """fcw=037f, mxcsr=1f80, empty x87 tags at start; fninit, fnstenv,
    fxsave and fxrstor see the same state as natively (long double maths too)."""
    prog = guest_program("fpu_state", arch)
    actual = run_linuxuser([prog])
    assert_same(actual, run_native([prog], arch=arch), labels=("linuxuser", "native"))
    assert_same(actual, run_qemu(arch, [prog]))
    assert b"at start               fcw=037f mxcsr=00001f80 ftw=ffff" in actual.stdout


# qemu-user 7.2's own SysV shm bugs, line by line (natively these lines read
# the same on every arch): qemu-arm (and qemu-i386, depending on where its
# own mappings fall) refuses shmat at a free address, with or without SHM_RND;
# qemu-aarch64 garbles shm_perm.mode after a fork.
_SHMAT_AT = (b"shmat at address: ", b"shmat misaligned, SHM_RND: ")
QEMU_SHM_BUGS = {"arm": _SHMAT_AT, "i386": _SHMAT_AT, "x86_64": (),
                 "aarch64": (b"two attaches ", b"removed, attached ")}


@pytest.mark.parametrize("arch", list(guestbuild.ARCHES))
def test_sysv_shm(arch, guest_program, run_linuxuser, run_native, run_qemu):
    """A segment shared with a forked child, shmat at an address (SHM_RND,
    SHM_REMAP), SHM_RDONLY, /proc/self/maps, IPC_STAT, shmdt, IPC_RMID, and
    i386's ipc(2) multiplexer: against the kernel (natively) and qemu-user."""
    prog = guest_program("sysv_shm", arch)
    actual = run_linuxuser([prog])
    assert actual.returncode == 0 and b'parent reads: "written by the child"' in actual.stdout
    native_arch = arch if guestbuild.ARCHES[arch].native else "x86_64"
    native = run_native([guest_program("sysv_shm", native_arch)], arch=native_arch)
    if native_arch == arch:
        assert_same(actual, native, labels=("linuxuser", "native"))
    expected = run_qemu(arch, [prog])
    ours, qemus = actual.stdout.splitlines(), expected.stdout.splitlines()
    assert (len(ours), actual.stderr) == (len(qemus), expected.stderr), (actual, expected)
    kernel = {line.split(b":")[0]: line for line in native.stdout.splitlines()}
    for mine, qemu in zip(ours, qemus):
        if mine != qemu:
            # only where qemu is known wrong, and there as the kernel says
            assert mine.startswith(QEMU_SHM_BUGS[arch]), (mine, qemu)
            assert kernel[mine.split(b":")[0]] == mine, (mine, qemu)


@pytest.mark.parametrize("arch", X86)
def test_x86_instructions(arch, guest_program, run_linuxuser, run_native, run_qemu):
    """cmpxchg's register effects in every operand size, bextr, and phadd/phsub
    on MMX and XMM registers (same register too) as the host CPU computes them
    (the engine patch's translator fixes; QEMU 5.0 got each wrong)."""
    prog = guest_program("x86_insns", arch)
    actual = run_linuxuser([prog])
    assert_same(actual, run_native([prog], arch=arch), labels=("linuxuser", "native"))
    assert_same(actual, run_qemu(arch, [prog]))


def test_vsyscall_page(guest_program, run_linuxuser, run_native, run_qemu):
    """x86-64's legacy gettimeofday/time/getcpu entries at 0xffffffffff600000,
    and the page is not the guest's to write."""
    prog = guest_program("vsyscall", "x86_64")
    actual = run_linuxuser([prog])
    assert_same(actual, run_native([prog], arch="x86_64"), labels=("linuxuser", "native"))
    assert_same(actual, run_qemu("x86_64", [prog]))


def test_aarch64_hwcaps(guest_program, run_linuxuser, run_qemu):
    """AT_HWCAP has HWCAP_CPUID and each bit the engine's ID registers give
    (as Linux derives them); the instructions of each bit run as under qemu."""
    prog = guest_program("aarch64_features", "aarch64")
    actual = run_linuxuser([prog])
    assert_same(actual, run_qemu("aarch64", [prog]))
    assert b"cpuid: 1" in actual.stdout and b"WRONG" not in actual.stdout
