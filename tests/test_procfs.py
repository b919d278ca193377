"""/proc as the guest sees it (tests/guest/procfs.c).

/proc/self/maps, auxv, cmdline, exe and stat: against qemu-user for the ARM
guests and against a native run for the x86 ones (qemu-x86_64 and qemu-i386
7.2 list the program's code as r--p, and qemu-x86_64's map is not sorted).
/proc/cpuinfo: qemu-user 7.2 shows the host's for ARM guests, so the program
checks it against AT_HWCAP itself; natively the same check holds.
"""
from __future__ import annotations

import pytest

import guestbuild
from test_static_programs import assert_same

ARGS = ["one", "two words", ""]
CPUINFO_OK = b"cpuinfo: one block per online cpu=1 features consistent with AT_HWCAP=1\n"


@pytest.mark.parametrize("arch", list(guestbuild.ARCHES))
def test_proc_self(arch, guest_program, run_linuxuser, run_qemu, run_native, tmp_path):
    prog = guest_program("procfs", arch)
    actual = run_linuxuser([prog, *ARGS], cwd=tmp_path)
    if guestbuild.ARCHES[arch].native:
        expected = run_native([prog, *ARGS], arch=arch, cwd=tmp_path)
        assert_same(actual, expected, labels=("linuxuser", "native"))
    else:
        expected = run_qemu(arch, [prog, *ARGS], cwd=tmp_path)
        assert_same(actual, expected)
    # and the reference itself says what the guest asked for
    for line in actual.stdout.decode().splitlines():
        if "(want " in line:
            perms, want = line.split(" perms ")[1].split(" (want ")
            assert perms == want.rstrip(")") and "WRONG" not in line, line
        elif not line.startswith("maps: munmapped"):
            assert "=0" not in line, line


@pytest.mark.parametrize("arch", list(guestbuild.ARCHES))
def test_cpuinfo_is_the_guests(arch, guest_program, run_linuxuser, run_native, tmp_path):
    prog = guest_program("procfs", arch)
    r = run_linuxuser([prog, "cpuinfo"], cwd=tmp_path)
    assert (r.returncode, r.stdout, r.stderr) == (0, CPUINFO_OK, b""), r
    if guestbuild.ARCHES[arch].native:
        n = run_native([prog, "cpuinfo"], arch=arch, cwd=tmp_path)
        assert (n.returncode, n.stdout) == (0, CPUINFO_OK), n
