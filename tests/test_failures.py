"""How linuxuser itself fails: one line naming the cause, a status of its own.

70: a bug in linuxuser (here: a syscall handler made to raise), on the main
thread or on a guest thread's host thread; 71: the host refused memory; 74: the
log cannot be written.  LINUXUSER_DEBUG=1 adds the traceback.  And what is not a
failure of linuxuser's must not become one: a guest started with stdout closed,
or under a small RLIMIT_DATA, runs as it runs natively or under qemu-user.
"""
from __future__ import annotations

import os
import resource
import subprocess
import sys

import pytest

import guestbuild
from conftest import REPO, Result, make_env

ARCHES = list(guestbuild.ARCHES)


def one_line(r: Result, status: int, words: str) -> None:
    err = r.stderr.decode(errors="replace")
    assert "Traceback" not in err, err
    assert r.returncode == status, (r.returncode, err)
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("linuxuser: ") and words in lines[0], err


def run_with_broken_handler(syscall: str, args: list, env: dict | None = None) -> Result:
    """linuxuser with the handler of `syscall` replaced by one that raises (a bug)."""
    code = ("import sys; from linuxuser.syscalls import table\n"
            "from linuxuser.cli import main\n"
            "import linuxuser.syscalls.fs, linuxuser.syscalls.thread\n"
            "def broken(t, *a):\n    raise RuntimeError('planted bug')\n"
            f"table.HANDLERS[{syscall!r}] = broken\n"
            "raise SystemExit(main(sys.argv[1:]))\n")
    proc = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True,
                          env=make_env(env), cwd=REPO, timeout=60)
    return Result(proc.returncode, proc.stdout, proc.stderr)


@pytest.mark.parametrize("arch", ARCHES)
def test_a_bug_on_the_main_thread(arch, guest_program):
    r = run_with_broken_handler("write", [guest_program("hello", arch)])
    one_line(r, 70, "internal error: RuntimeError: planted bug")
    r = run_with_broken_handler("write", [guest_program("hello", arch)],
                                env={"LINUXUSER_DEBUG": "1"})
    err = r.stderr.decode()
    assert r.returncode == 70 and "Traceback" in err and "in broken" in err, err
    assert err.rstrip().splitlines()[-1].startswith("linuxuser: internal error"), err


@pytest.mark.parametrize("arch", ARCHES)
def test_a_bug_on_a_guest_thread(arch, guest_program):
    # Only secondary threads make the exit syscall (the main one ends with exit_group).
    r = run_with_broken_handler("exit", [guest_program("threads", arch), "compute", "2"])
    err = r.stderr.decode(errors="replace")
    assert r.returncode == 70 and "Traceback" not in err, err
    assert [line for line in err.splitlines() if line.startswith("linuxuser: ")] == [
        "linuxuser: internal error: RuntimeError: planted bug "
        "(set LINUXUSER_DEBUG=1 for a traceback)"], err


@pytest.mark.parametrize("arch", ARCHES)
def test_a_full_log_disk(arch, guest_program, run_linuxuser):
    r = run_linuxuser(["-strace", "-D", "/dev/full", guest_program("hello", arch)])
    one_line(r, 74, "cannot write the log /dev/full: No space left on device")


@pytest.mark.parametrize("arch", ARCHES)
def test_no_host_memory_for_the_guest(arch, guest_program, run_linuxuser):
    # 1 GiB of address space: Python fits, the guest's reservation (4 GiB, 64 TiB) does not.
    def small_address_space():
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
    r = run_linuxuser([guest_program("hello", arch)], preexec_fn=small_address_space)
    one_line(r, 71, "cannot reserve")


@pytest.mark.parametrize("arch", ARCHES)
def test_a_small_data_limit(arch, guest_program, run_linuxuser, run_qemu):
    """Under RLIMIT_DATA of 200 MiB qemu-user runs hello: so must linuxuser
    (Unicorn's 1 GiB translation buffer used to make it exit)."""
    def data_limit():
        resource.setrlimit(resource.RLIMIT_DATA, (200 << 20, 200 << 20))
    prog = guest_program("hello", arch)
    expected = run_qemu(arch, [prog], preexec_fn=data_limit)
    assert expected.returncode == 0, expected
    actual = run_linuxuser([prog], preexec_fn=data_limit)
    assert (actual.returncode, actual.stdout, actual.stderr) == (0, expected.stdout, b"")


@pytest.mark.parametrize("arch", ARCHES)
def test_stdout_closed(arch, guest_program, run_native, run_qemu, tmp_path):
    """`prog >&-`: the guest's writes fail with EBADF, and it exits as it would."""
    prog = guest_program("hello", arch)

    def run(cmd):
        return subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env=make_env(), cwd=tmp_path, timeout=60,
                               preexec_fn=lambda: os.close(1))
    actual = run([sys.executable, "-m", "linuxuser", prog])
    ref = [prog] if guestbuild.ARCHES[arch].native else [guestbuild.ARCHES[arch].qemu, prog]
    expected = run(ref)
    assert (actual.returncode, actual.stderr) == (expected.returncode, expected.stderr)
