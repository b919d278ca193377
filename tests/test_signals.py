"""Guest signals (tests/guest/signals.c): handlers, frames, sigreturn, faults,
asynchronous delivery, masks, waiting, default actions; compared with
qemu-user on the four arches and with native runs on x86-64 and i386."""
from __future__ import annotations

import re
import subprocess

import pytest

import guestbuild
from test_static_programs import assert_same

ARCHES = list(guestbuild.ARCHES)
NATIVE_ARCHES = [a for a, spec in guestbuild.ARCHES.items() if spec.native]
SCENARIOS = ["info", "faults", "skip", "fp", "flags", "altstack", "threads", "preempt", "wait",
             "child", "stop", "inherit"]
FATAL = ["blocked", "recursive"]
# Where qemu-user itself is not what the kernel does, qemu's line is replaced
# by the kernel's before comparing.  ARM and AArch64 Linux report an
# undefined instruction as ILL_ILLOPC (arch/arm/kernel/traps.c and
# arch/arm64/kernel/traps.c, do_undefinstr; qemu says ILL_ILLOPN), and
# qemu-arm 7.2 reports a SIGBUS past the end of a file one page too far.
QEMU_WRONG = {
    ("arm", "faults"): [(rb"sigill(-again)?: sig 4 code 2", rb"sigill\1: sig 4 code 1"),
                        (rb"sigbus-past-eof: sig 7 code 2 addr base\+8196",
                         b"sigbus-past-eof: sig 7 code 2 addr base+4100")],
    ("aarch64", "faults"): [(rb"sigill(-again)?: sig 4 code 2", rb"sigill\1: sig 4 code 1")],
    ("i386", "faults"): [(rb"sigbus-past-eof: sig 7 code 2 addr base\+8196",
                          b"sigbus-past-eof: sig 7 code 2 addr base+4100")],
}
# qemu-x86_64 7.2 itself dies of SIGSEGV in these (the native run, which
# linuxuser matches, is the reference there).
QEMU_CRASHES = {("x86_64", "skip"), ("x86_64", "flags"), ("x86_64", "threads")}
# qemu-user cannot execve an ARM program here (no binfmt_misc): "inherit"
# execs itself, so ARM and AArch64 are compared with the native x86-64 run
# (the output is the same on every arch) in test_inherit_matches_native.
QEMU_CANNOT = {("arm", "inherit"), ("aarch64", "inherit")}
QEMU_CASES = [(arch, scenario) for arch in ARCHES for scenario in SCENARIOS + FATAL
              if (arch, scenario) not in QEMU_CRASHES | QEMU_CANNOT]


def _kernel_facts(arch: str, scenario: str, out: bytes) -> bytes:
    for pattern, kernel in QEMU_WRONG.get((arch, scenario), []):
        out = re.sub(pattern, kernel, out)
    return out


@pytest.mark.parametrize("arch,scenario", QEMU_CASES)
def test_signals_match_qemu(arch, scenario, guest_program, run_linuxuser, run_qemu):
    prog = guest_program("signals", arch)
    expected = run_qemu(arch, [prog, scenario])
    expected = expected._replace(stdout=_kernel_facts(arch, scenario, expected.stdout))
    actual = run_linuxuser([prog, scenario])
    assert_same(actual, expected, fault=scenario in FATAL)


@pytest.mark.parametrize("scenario", SCENARIOS + FATAL)
@pytest.mark.parametrize("arch", NATIVE_ARCHES)
def test_signals_match_native(arch, scenario, guest_program, run_linuxuser, run_native):
    prog = guest_program("signals", arch)
    expected = run_native([prog, scenario], arch=arch)
    actual = run_linuxuser([prog, scenario])
    assert_same(actual, expected, labels=("linuxuser", "native"),
                compare_stderr=scenario not in FATAL)
    if scenario in FATAL:
        assert actual.stderr == b"linuxuser: uncaught target signal 11 (Segmentation fault)" \
            b" - core dumped\n"


def test_fatal_scenarios_really_die(guest_program, run_qemu):
    """The fatal scenarios die by SIGSEGV under qemu (the comparisons above
    are not between two survivals)."""
    for arch in ARCHES:
        for scenario in FATAL:
            r = run_qemu(arch, [guest_program("signals", arch), scenario])
            assert r.returncode == -11, (arch, scenario, r)


@pytest.mark.parametrize("arch", ["arm", "aarch64"])
def test_inherit_matches_native(arch, guest_program, run_linuxuser, run_native):
    expected = run_native([guest_program("signals", "x86_64"), "inherit"], arch="x86_64")
    actual = run_linuxuser([guest_program("signals", arch), "inherit"])
    assert_same(actual, expected, labels=("linuxuser", "native x86_64"))


SIGNAL_LINE = re.compile(rb"^(--- .*---|(rt_)?sigreturn\(.*|.*= \? ERESTART.*)$", re.M)


def _signal_lines(log: bytes, pid: int) -> list[bytes]:
    """The lines strace writes about signals, with this process's pid as PID
    (the pid of the run; every other value must be equal)."""
    lines = [re.sub(rb"\s+=", b" =", m.group(0)) for m in SIGNAL_LINE.finditer(log)]
    # An interrupted call's arguments hold stack addresses: its name and result count.
    lines = [re.sub(rb"^(\w+)\(.*\) = \?", rb"\1(...) = ?", line) for line in lines]
    return [re.sub(rb"\b%d\b" % pid, b"PID", line) for line in lines]


@pytest.mark.parametrize("arch", NATIVE_ARCHES)
def test_strace_signal_lines_match_strace(arch, guest_program, run_linuxuser, run_native,
                                          tmp_path):
    """-strace shows deliveries, sigreturns and interrupted calls as strace does."""
    prog = guest_program("signals", arch)
    native_log = tmp_path / "native.strace"
    native = run_native(["strace", "-o", native_log, prog, "strace"], arch=arch)
    lu_log = tmp_path / "lu.strace"
    actual = run_linuxuser(["-strace", "-D", lu_log, prog, "strace"])
    assert actual.stdout == native.stdout == b"strace: read -1 then 1 'z'\n"
    native_text, lu_text = native_log.read_bytes(), lu_log.read_bytes()
    native_pid = int(re.search(rb"si_pid=(\d+)", native_text).group(1))
    lu_pid = int(re.search(rb"si_pid=(\d+)", lu_text).group(1))
    expected = _signal_lines(native_text, native_pid)
    assert len(expected) == 12, native_text.decode()
    assert _signal_lines(lu_text, lu_pid) == expected, lu_text.decode()


# -- real programs: busybox sh (Debian's busybox-static) ----------------------------------------

SH_SCRIPT = """
trap 'echo got USR1' USR1
kill -USR1 $$
sleep 5 &
pid=$!
kill -TERM $pid
wait $pid
echo "wait status $?"
trap 'echo got INT; exit 3' INT
sleep 0.2 &
wait $!
echo "background job done $?"
(sleep 0.3; kill -INT $$) &
while :; do :; done
"""


@pytest.mark.parametrize("arch", ["arm", "aarch64", "i386"])
def test_busybox_sh_traps_and_jobs(arch, run_linuxuser, run_qemu):
    """trap, a background job killed and waited for, and a SIGINT reaching a
    shell that spins in a busy loop, as under qemu-user."""
    from test_busybox import busybox_path
    bb = busybox_path(arch)
    expected = run_qemu(arch, [bb, "sh", "-c", SH_SCRIPT])
    assert expected.returncode == 3 and b"got INT" in expected.stdout, expected
    actual = run_linuxuser([bb, "sh", "-c", SH_SCRIPT])
    assert_same(actual, expected)


def _interrupt_group(cmd: list, after: float) -> tuple[int, bytes]:
    """Run `cmd` in a process group of its own and send the group SIGINT, as a
    terminal's Ctrl-C does."""
    import os
    import signal
    import time
    from conftest import make_env
    proc = subprocess.Popen([str(c) for c in cmd], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True, env=make_env())
    time.sleep(after)
    os.killpg(proc.pid, signal.SIGINT)
    out, _err = proc.communicate(timeout=60)
    return proc.returncode, out


@pytest.mark.parametrize("arch", ["arm", "aarch64", "i386"])
def test_busybox_sh_sigint_to_the_process_group(arch):
    """Ctrl-C (SIGINT to the foreground process group) ends the foreground
    job and the non-interactive shell waiting for it, as under qemu-user; a
    trap in the shell survives it."""
    from conftest import linuxuser_command, qemu_binary
    from test_busybox import busybox_path
    bb = busybox_path(arch)
    for script in ("sleep 30; echo not reached", "trap 'echo trapped' INT; sleep 30; echo after"):
        expected = _interrupt_group([qemu_binary(arch), bb, "sh", "-c", script], 3)
        actual = _interrupt_group([*linuxuser_command(), bb, "sh", "-c", script], 3)
        assert actual == expected, (script, actual, expected)


# -- real programs: Go (Debian's golang-go, cross-built at test time) --------------------------

GOARCH = {"arm": "arm", "aarch64": "arm64", "i386": "386", "x86_64": "amd64"}


@pytest.fixture(scope="module")
def go_programs(tmp_path_factory):
    """tests/guest/gosignals built for every arch (CGO_ENABLED=0, static)."""
    import os
    import shutil
    from conftest import REPO
    go = shutil.which("go")
    if go is None:
        pytest.fail("go not found: make setup installs Debian's golang-go", pytrace=False)
    out = tmp_path_factory.mktemp("go")
    src = REPO / "tests" / "guest" / "gosignals"
    env = {**os.environ, "CGO_ENABLED": "0", "GO111MODULE": "off"}
    built = {}
    for arch, goarch in GOARCH.items():
        built[arch] = out / f"gosignals-{arch}"
        subprocess.run([go, "build", "-o", built[arch], "main.go"], cwd=src, check=True,
                       env={**env, "GOARCH": goarch}, capture_output=True)
    return built


# Go preempts goroutines with SIGURG on every thread at once (scenario
# "preempt" above is the same pattern in C): it needs each thread's frame
# built and restored with its own registers, in parallel.
@pytest.mark.parametrize("arch", ARCHES)
def test_go_program_matches_native(arch, go_programs, run_linuxuser, run_native):
    expected = run_native([go_programs["x86_64"]], arch="x86_64")
    assert expected.returncode == 0 and b"recovered" in expected.stdout, expected
    actual = run_linuxuser([go_programs[arch]])
    assert_same(actual, expected, labels=("linuxuser", "native x86_64"))


def _interactive(cmd: list, keys: list) -> tuple[bytes, int]:
    """Run `cmd` on a pseudo-terminal, typing each of `keys` (bytes, seconds to
    wait after); returns what the terminal showed and the exit status."""
    import os
    import pty
    import select
    import time
    from conftest import make_env
    env = make_env({"PS1": "$ ", "HOME": "/nonexistent", "ENV": ""})
    pid, fd = pty.fork()
    if pid == 0:
        os.execvpe(str(cmd[0]), [str(c) for c in cmd], env)
    out = b""

    def pump(seconds: float) -> None:
        nonlocal out
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if select.select([fd], [], [], 0.05)[0]:
                try:
                    out += os.read(fd, 4096)
                except OSError:
                    return
    pump(3)
    for text, wait in keys:
        os.write(fd, text)
        pump(wait)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return out, status


@pytest.mark.parametrize("arch", ["arm", "aarch64"])
def test_busybox_interactive_ctrl_c(arch):
    """An interactive shell: Ctrl-C ends the foreground job, not the shell,
    whose `$?` is then 130; as under qemu-user."""
    from conftest import linuxuser_command, qemu_binary
    from test_busybox import busybox_path
    keys = [(b"sleep 5\n", 2), (b"\x03", 1.5), (b"echo alive $?\n", 1.5), (b"exit\n", 1.5)]
    bb = busybox_path(arch)
    expected = _interactive([qemu_binary(arch), bb, "sh", "-i"], keys)
    assert b"alive 130" in expected[0], expected
    actual = _interactive([*linuxuser_command(), bb, "sh", "-i"], keys)
    assert actual == expected
