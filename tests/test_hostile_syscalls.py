"""Hostile syscalls (tests/guest/hostile.c): wild pointers, huge and negative
lengths and counts, bad descriptors and flags, for the fd, memory, partial
transfer, process, time, path and socket families.

x86-64 and i386: every line equals the native run's.  ARM and AArch64 against
qemu-user; where qemu-user answers otherwise than Linux (it checks guest
buffers whole, ignores madvise, accepts mprotect of unmapped pages...), the
line must be what Linux answers, i.e. the native run of the same program built
for the host CPU of the same word size.  What still differs is listed here and
in the README, with the reason.  linuxuser's own notes on stderr ("unsupported
fcntl command") are allowed; nothing else is.
"""
from __future__ import annotations

import pytest

import guestbuild

FAMILIES = ["fd", "mem", "partial", "process", "time", "path", "net", "wait", "misc"]
NATIVE_TWIN = {"arm": "i386", "aarch64": "x86_64"}
# (arch, case) -> why linuxuser's answer is not the kernel's (README: "Known differences").
KNOWN_DIFFERENCES = {
    ("i386", "partial write 0x7fffffff to /dev/null"):
        "a buffer running past 4 GiB is EFAULT (as qemu-user), the 64-bit host kernel "
        "lets /dev/null accept it",
}


def answers(stdout: bytes) -> dict[str, str]:
    out = {}
    for line in stdout.decode().splitlines():
        case, _, answer = line.rpartition(": ")
        out[case] = answer
    return out


@pytest.mark.parametrize("how", ["nanosleep", "clock"])
@pytest.mark.parametrize("arch", list(guestbuild.ARCHES))
def test_sleeping_for_the_largest_time(arch, how, guest_program, run_linuxuser, run_native,
                                       run_qemu, tmp_path):
    """nanosleep(TIME_T_MAX) sleeps (until the alarm's SIGALRM ends the process)."""
    prog = guest_program("hostile", arch)
    actual = run_linuxuser([prog, "forever", how], cwd=tmp_path, timeout=30)
    if guestbuild.ARCHES[arch].native:
        expected = run_native([prog, "forever", how], arch=arch, cwd=tmp_path, timeout=30)
    else:
        expected = run_qemu(arch, [prog, "forever", how], cwd=tmp_path, timeout=30)
    assert (actual.returncode, actual.stdout, actual.stderr) == \
        (expected.returncode, expected.stdout, expected.stderr)


def only_notes(stderr: bytes) -> bool:
    return all(line.startswith("linuxuser: unsupported ") for line in stderr.decode().splitlines())


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("arch", list(guestbuild.ARCHES))
def test_hostile_syscalls(arch, family, guest_program, run_linuxuser, run_native, run_qemu,
                          tmp_path):
    prog = guest_program("hostile", arch)
    actual = run_linuxuser([prog, family], cwd=tmp_path)
    assert actual.returncode == 0 and only_notes(actual.stderr), actual
    got = answers(actual.stdout)
    if guestbuild.ARCHES[arch].native:
        want = answers(run_native([prog, family], arch=arch, cwd=tmp_path).stdout)
        linux = want
    else:
        want = answers(run_qemu(arch, [prog, family], cwd=tmp_path).stdout)
        twin = NATIVE_TWIN[arch]
        linux = answers(run_native([guest_program("hostile", twin), family], arch=twin,
                                   cwd=tmp_path).stdout)
    assert set(got) == set(want), (sorted(got), sorted(want))
    wrong = [f"{case}: linuxuser {got[case]}, reference {want[case]}, Linux {linux.get(case)}"
             for case in got
             if got[case] not in (want[case], linux.get(case))
             and (arch, case) not in KNOWN_DIFFERENCES]
    assert not wrong, "\n".join(wrong)
    for (where, case), why in KNOWN_DIFFERENCES.items():
        if where == arch and case in got:     # still different, or the entry goes
            assert got[case] != linux[case], f"{case} now agrees: remove it ({why})"
