"""Child processes: fork, vfork, posix_spawn, wait*, execve (tests/guest/exec.c).

qemu-user without binfmt_misc cannot execve a guest program, so the reference
is a native run: the same program built for this host (x86-64, or i386 for the
i386 guest) prints the same lines, since its output does not depend on the arch.
"""
from __future__ import annotations

import pytest

import guestbuild
from test_static_programs import assert_same

# The native run that is the reference for each guest arch.
REFERENCE_ARCH = {"arm": "x86_64", "aarch64": "x86_64", "i386": "i386", "x86_64": "x86_64"}
@pytest.mark.parametrize("arch", list(guestbuild.ARCHES))
def test_exec_matches_native(arch, guest_program, run_linuxuser, run_native, tmp_path):
    ref_arch = REFERENCE_ARCH[arch]
    expected = run_native([guest_program("exec", ref_arch), tmp_path], arch=ref_arch, cwd=tmp_path)
    assert expected.returncode == 0 and b"\ndone\n" in expected.stdout, expected
    actual = run_linuxuser([guest_program("exec", arch), tmp_path], cwd=tmp_path)
    assert_same(actual, expected, labels=("linuxuser", f"native {ref_arch}"))
