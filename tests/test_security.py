"""The guest stays inside its box (tests/guest/escape.c, four arches).

Each mode of the guest tries one way out and prints what it got, never an
address.  The reference is the same program run natively by a host CPU of the
same word size (the i386 build for ARM, the x86-64 build for AArch64): qemu-user
7.2 passes /proc/self/mem, smaps, syscall and map_files of its own host process
through, which is the very leak under test, so it cannot be the reference here.
Lines a native process can never print (DIFFERENT, HOST ADDRESSES, SOMETHING
ELSE) are also refused outright.
"""
from __future__ import annotations

import pytest

import guestbuild
from test_static_programs import assert_same

# The native arch whose kernel ABI has the guest's word size.
NATIVE_TWIN = {"arm": "i386", "aarch64": "x86_64", "i386": "i386", "x86_64": "x86_64"}
MODES = ["mem", "spellings", "addresses", "exe"]
ESCAPED = (b"DIFFERENT", b"HOST ADDRESSES", b"SOMETHING ELSE")


def run_both(arch, mode, guest_program, run_linuxuser, run_native, cwd, via=None):
    prog = guest_program("escape", arch)
    twin = guest_program("escape", NATIVE_TWIN[arch])
    if via is not None:                   # started through a symlink to the program
        (cwd / "guest").symlink_to(prog)
        (cwd / "native").symlink_to(twin)
        prog, twin = cwd / "guest", cwd / "native"
    actual = run_linuxuser([prog, mode], cwd=cwd)
    expected = run_native([twin, mode], arch=NATIVE_TWIN[arch], cwd=cwd)
    return actual, expected


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("arch", list(guestbuild.ARCHES))
def test_the_guest_stays_in_its_box(arch, mode, guest_program, run_linuxuser, run_native,
                                    tmp_path):
    actual, expected = run_both(arch, mode, guest_program, run_linuxuser, run_native, tmp_path)
    assert_same(actual, expected, labels=("linuxuser", "native"))
    for word in ESCAPED:
        assert word not in actual.stdout, actual.stdout.decode()


@pytest.mark.parametrize("arch", list(guestbuild.ARCHES))
def test_proc_self_exe_through_a_symlink(arch, guest_program, run_linuxuser, run_native,
                                         tmp_path):
    actual, expected = run_both(arch, "exe", guest_program, run_linuxuser, run_native,
                                tmp_path, via="symlink")
    assert_same(actual, expected, labels=("linuxuser", "native"))
    assert b"SOMETHING ELSE" not in actual.stdout
