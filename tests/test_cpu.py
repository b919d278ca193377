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
