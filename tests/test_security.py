"""The guest stays inside its box (tests/guest/escape.c, four arches).

/proc/self/mem, the /proc files that show addresses under every spelling,
/proc/self/exe, the top of the address space (the last page refused as qemu-user
refuses it, an access straddling the end of the highest mapping a SIGSEGV), and
on x86 the instructions only a kernel may run.

Each mode of the guest tries one way out and prints what it got, never an
address.  The reference is the same program run natively by a host CPU of the
same word size (the i386 build for ARM, the x86-64 build for AArch64): qemu-user
7.2 passes /proc/self/mem, smaps, syscall and map_files of its own host process
through, which is the very leak under test, so it cannot be the reference here.
Lines a native process can never print (DIFFERENT, HOST ADDRESSES, SOMETHING
ELSE) are also refused outright.
"""
from __future__ import annotations

import resource

import pytest

import guestbuild
from test_static_programs import assert_same

# The native arch whose kernel ABI has the guest's word size.
NATIVE_TWIN = {"arm": "i386", "aarch64": "x86_64", "i386": "i386", "x86_64": "x86_64"}
MODES = ["mem", "spellings", "addresses", "exe", "top", "child"]
# linuxuser's (and qemu-user's) line for a child killed by a fault; a native
# child dies without one.
CHILD_FAULT_LINE = b"linuxuser: uncaught target signal 11 (Segmentation fault) - core dumped\n"
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
    return actual._replace(stderr=actual.stderr.replace(CHILD_FAULT_LINE, b"")), expected


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("arch", list(guestbuild.ARCHES))
def test_the_guest_stays_in_its_box(arch, mode, guest_program, run_linuxuser, run_native,
                                    tmp_path):
    actual, expected = run_both(arch, mode, guest_program, run_linuxuser, run_native, tmp_path)
    assert_same(actual, expected, labels=("linuxuser", "native"))
    for word in ESCAPED:
        assert word not in actual.stdout, actual.stdout.decode()


@pytest.mark.parametrize("arch", list(guestbuild.ARCHES))
def test_the_log_descriptor_is_out_of_reach(arch, guest_program, run_linuxuser, run_native,
                                            tmp_path):
    """With -strace -D FILE, linuxuser's log descriptor is not the guest's: it
    cannot write to it, dup2 onto its number gives the guest that number, and
    the log goes on (to its end) without a byte of the guest's."""
    prog, twin = guest_program("escape", arch), guest_program("escape", NATIVE_TWIN[arch])
    log = tmp_path / "log"
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard <= 1024:
        pytest.fail(f"RLIMIT_NOFILE's hard limit {hard} leaves no room above 1024 soft")

    def nofile_1024():     # room above the soft limit, as on most systems (1024 / 2^19)
        resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard))
    actual = run_linuxuser(["-strace", "-D", log, prog, "fds"], cwd=tmp_path,
                           preexec_fn=nofile_1024)
    expected = run_native([twin, "fds"], arch=NATIVE_TWIN[arch], cwd=tmp_path,
                          preexec_fn=nofile_1024)
    assert_same(actual, expected, labels=("linuxuser", "native"))
    text = log.read_bytes()
    assert b"GUEST DATA" not in text.replace(b'"GUEST DATA\\n"', b"")
    assert text.rstrip().endswith(b"+++ exited with 0 +++"), text[-300:]


@pytest.mark.parametrize("arch", ["i386", "x86_64"])
def test_privileged_instructions_fault(arch, guest_program, run_linuxuser, run_native,
                                       tmp_path):
    """cli, hlt, in, out, lgdt, mov cr0, rdmsr, wbinvd (and i386's store into
    linuxuser's GDT page, above the guest's space): SIGSEGV, as natively."""
    actual, expected = run_both(arch, "privileged", guest_program, run_linuxuser, run_native,
                                tmp_path)
    assert_same(actual, expected, labels=("linuxuser", "native"))
    assert actual.stdout.count(b"killed by Segmentation fault") >= 9, actual.stdout.decode()


@pytest.mark.parametrize("arch", ["arm", "aarch64"])
def test_system_registers_are_undefined(arch, guest_program, run_linuxuser, run_qemu, tmp_path):
    """ARM guests run in user mode, AArch64 ones at EL0: reading SCTLR, a cache
    operation only a kernel may run, masking interrupts are SIGILL, as under
    qemu-user (which runs them where Linux does)."""
    prog = guest_program("escape", arch)
    actual = run_linuxuser([prog, "privileged"], cwd=tmp_path)
    expected = run_qemu(arch, [prog, "privileged"], cwd=tmp_path)
    assert (actual.returncode, actual.stdout) == (expected.returncode, expected.stdout), (
        actual.stdout.decode(), expected.stdout.decode())
    assert actual.stdout.count(b"killed by Illegal instruction") == 2, actual.stdout.decode()


@pytest.mark.parametrize("arch", list(guestbuild.ARCHES))
def test_proc_self_exe_through_a_symlink(arch, guest_program, run_linuxuser, run_native,
                                         tmp_path):
    actual, expected = run_both(arch, "exe", guest_program, run_linuxuser, run_native,
                                tmp_path, via="symlink")
    assert_same(actual, expected, labels=("linuxuser", "native"))
    assert b"SOMETHING ELSE" not in actual.stdout
