"""Guest threads run at the same time, exclusive sections stop them, and a hang
says where it is (issue #25).

tests/guest/parallel.c spins on shared words without syscalls, so that only
linuxuser's scheduling and exclusive sections are tested; every wait in it is
bounded by a spin count, so a failure is its message and exit status 1, never a
hang.  Its results are compared with qemu-user's (and natively for x86).
"""
from __future__ import annotations

import re

import pytest
from elftools.elf.elffile import ELFFile

import guestbuild
from conftest import run_command, linuxuser_command
from test_static_programs import assert_same, describe

ARCHES = list(guestbuild.ARCHES)
NATIVE = [a for a, spec in guestbuild.ARCHES.items() if spec.native]
# Rounds in a row that only threads running at once complete without a slow wait.
HANDSHAKE = ["handshake", "50"]
# Attempts: another job on this host can keep two threads off two cores at once
# for a while, natively and under qemu as well (taking turns fails every attempt).
ATTEMPTS = 3
CODESWAP = ["codeswap", "200"]


def first_success(run):
    """The first of ATTEMPTS runs that exits 0 (else the last)."""
    for _ in range(ATTEMPTS):
        r = run()
        if r.returncode == 0:
            break
    return r


@pytest.mark.parametrize("arch", ARCHES)
def test_guest_threads_run_at_the_same_time(arch, guest_program, run_linuxuser, run_qemu):
    """Two threads hand a word back and forth 50 times in a row, each wait
    shorter than a time slice: impossible when threads take turns on one
    guest CPU (LINUXUSER_ENGINE=stock fails this in ~11 s per attempt)."""
    prog = guest_program("parallel", arch)
    expected = first_success(lambda: run_qemu(arch, [prog, *HANDSHAKE]))
    assert expected.returncode == 0, describe("qemu", expected)
    assert_same(first_success(lambda: run_linuxuser([prog, *HANDSHAKE])), expected)


@pytest.mark.parametrize("arch", NATIVE)
def test_guest_threads_run_at_the_same_time_natively(arch, guest_program, run_linuxuser,
                                                     run_native):
    prog = guest_program("parallel", arch)
    expected = first_success(lambda: run_native([prog, *HANDSHAKE], arch=arch))
    assert expected.returncode == 0, describe("native", expected)
    assert_same(first_success(lambda: run_linuxuser([prog, *HANDSHAKE])), expected,
                labels=("linuxuser", "native"))


@pytest.mark.parametrize("arch", ARCHES)
def test_exclusive_sections_stop_threads_in_guest_code(arch, guest_program, run_linuxuser,
                                                       run_qemu):
    """A thread spinning in guest code while another rewrites the code it calls
    (mprotect RW, write, mprotect RX: exclusive sections) runs the new code
    afterwards: it was stopped, and brought up to date before it ran again."""
    prog = guest_program("parallel", arch)
    expected = run_qemu(arch, [prog, *CODESWAP])
    assert expected.returncode == 0, describe("qemu", expected)
    assert_same(run_linuxuser([prog, *CODESWAP]), expected)


@pytest.mark.parametrize("arch", NATIVE)
def test_exclusive_sections_stop_threads_natively(arch, guest_program, run_linuxuser,
                                                  run_native):
    prog = guest_program("parallel", arch)
    expected = run_native([prog, *CODESWAP], arch=arch)
    assert expected.returncode == 0, describe("native", expected)
    assert_same(run_linuxuser([prog, *CODESWAP]), expected, labels=("linuxuser", "native"))


def symbol_range(path, name: str) -> range:
    with open(path, "rb") as f:
        symbol = ELFFile(f).get_section_by_name(".symtab").get_symbol_by_name(name)[0]
        return range(symbol["st_value"], symbol["st_value"] + symbol["st_size"])


@pytest.mark.parametrize("arch,mode", [(a, "hang") for a in ARCHES] + [("arm", "exec-hang")])
def test_a_hang_reports_each_thread_at_the_deadline(arch, mode, guest_program):
    """LINUXUSER_DEADLINE: at the deadline linuxuser reports each guest thread
    (the spinning one with a pc inside spin_forever, the sleeping one in its
    syscall, with its last syscalls) and exits 124.  A program the guest
    exec's gets what is left of the deadline."""
    prog = guest_program("parallel", arch)
    r = run_command([*linuxuser_command(), prog, mode], env={"LINUXUSER_DEADLINE": "2"},
                    timeout=30)
    assert r.returncode == 124, describe("linuxuser", r)
    report = r.stderr.decode()
    assert re.search(r"^linuxuser: deadline of [\d.]+ s \(LINUXUSER_DEADLINE\) passed; "
                     r"2 guest thread\(s\):$", report, re.M), report
    threads = re.findall(r"^  thread (\d+): pc (0x[0-9a-f]+), ([^;]*);", report, re.M)
    assert len(threads) == 2, report
    spin = symbol_range(prog, "spin_forever")
    states = {state: int(pc, 16) for _tid, pc, state in threads}
    assert "in guest code" in states and states["in guest code"] in spin, report
    (sleeping,) = [s for s in states if s.startswith("in syscall ")]
    assert "nanosleep" in sleeping, report
    assert re.search(r"^    clone3?\(0x", report, re.M), report     # the main thread's history
    assert "| vcpu.py:" in report, report                           # host stacks

