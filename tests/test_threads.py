"""Guest threads (issue #4): each guest thread on its own host thread and engine.

tests/guest/threads.c and tests/guest/futex.c run under linuxuser and under
qemu-user (and natively for x86-64 and i386) and must print the same and end the
same.  The tests that can race take a repeat count and run many rounds in one
process; the tests about how a process ends are started several times.
"""
from __future__ import annotations

import pytest

import guestbuild
from test_static_programs import assert_same, describe

ARCHES = list(guestbuild.ARCHES)
NATIVE = [a for a, spec in guestbuild.ARCHES.items() if spec.native]

# (name, guest arguments): "threads TEST [N]"; N repeats the racy ones in-process.
CASES = [
    ("basic", ["basic", "10"]),
    ("compute", ["compute", "4"]),
    ("barrier", ["barrier", "10"]),
    ("condvar", ["condvar", "10"]),
    ("mapping", ["mapping", "2"]),
    ("blocked", ["blocked", "2"]),
    ("jit", ["jit", "20"]),
    ("exit_group", ["exit_group"]),
    ("main_exits_first", ["main_exits_first"]),
    ("many", ["many", "64"]),
    ("names", ["names"]),
]
# Ending the process races with running threads: start these several times.
PROCESS_END_REPEATS = {"exit_group": 8, "main_exits_first": 8}


def _params(arches):
    return [pytest.param(arch, args, id=f"{arch}-{name}")
            for arch in arches for name, args in CASES]


def _runs(args) -> int:
    return PROCESS_END_REPEATS.get(args[0], 1)


@pytest.mark.parametrize("arch,args", _params(ARCHES))
def test_threads_match_qemu(arch, args, guest_program, run_linuxuser, run_qemu):
    prog = guest_program("threads", arch)
    expected = run_qemu(arch, [prog, *args])
    assert expected.returncode >= 0 and expected.stdout, describe("qemu", expected)
    for _ in range(_runs(args)):
        assert_same(run_linuxuser([prog, *args]), expected)


@pytest.mark.parametrize("arch,args", _params(NATIVE))
def test_threads_match_native(arch, args, guest_program, run_linuxuser, run_native):
    prog = guest_program("threads", arch)
    expected = run_native([prog, *args], arch=arch)
    assert_same(run_linuxuser([prog, *args]), expected, labels=("linuxuser", "native"))


@pytest.mark.parametrize("arch", ARCHES)
def test_futex_operations_match_qemu(arch, guest_program, run_linuxuser, run_qemu):
    prog = guest_program("futex", arch)
    expected = run_qemu(arch, [prog])
    assert expected.returncode == 0 and b"REQUEUE" in expected.stdout, describe("qemu", expected)
    assert_same(run_linuxuser([prog]), expected)


@pytest.mark.parametrize("arch", NATIVE)
def test_futex_operations_match_native(arch, guest_program, run_linuxuser, run_native):
    prog = guest_program("futex", arch)
    assert_same(run_linuxuser([prog]), run_native([prog], arch=arch),
                labels=("linuxuser", "native"))
