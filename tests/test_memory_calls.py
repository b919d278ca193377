"""mmap, munmap, mprotect, madvise and mremap as the kernel answers them (issue #25).

tests/guest/mm_calls.c prints each call's result or errno, with addresses
relative to an area it reserved, so every arch's output is the kernel's: it is
compared with the native x86-64 run (and i386 with its own native run).
qemu-user 7.2 is no reference here: it differs from the kernel on mprotect of
length 0, madvise of unmapped memory, mremap's errors and MAP_FIXED_NOREPLACE.
stderr is not compared: a forked child that faults on purpose makes linuxuser
print qemu-user's "uncaught target signal" line, where the kernel prints nothing.
"""
from __future__ import annotations

import pytest

import guestbuild
from test_static_programs import assert_same, describe

ARCHES = list(guestbuild.ARCHES)


@pytest.fixture(scope="module")
def kernel_answers(guest_program, run_native):
    r = run_native([guest_program("mm_calls", "x86_64")], arch="x86_64")
    assert r.returncode == 0 and b"EEXIST" in r.stdout, describe("native", r)
    return r


@pytest.mark.parametrize("arch", ARCHES)
def test_memory_calls_answer_as_the_kernel(arch, guest_program, run_linuxuser, kernel_answers):
    assert_same(run_linuxuser([guest_program("mm_calls", arch)]), kernel_answers,
                labels=("linuxuser", "native x86-64"), compare_stderr=False)


def test_memory_calls_of_i386_natively(guest_program, run_linuxuser, run_native):
    prog = guest_program("mm_calls", "i386")
    assert_same(run_linuxuser([prog]), run_native([prog], arch="i386"),
                labels=("linuxuser", "native"), compare_stderr=False)
