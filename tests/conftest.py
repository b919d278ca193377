"""Shared fixtures for the linuxuser test suite.

Fixtures
--------
guest_program(name, arch) -> Path
    Builds tests/guest/<name>.c for <arch> (cached in build/guest/, see
    tests/guestbuild.py).  All guest programs are built once, in parallel,
    on first use.
run_linuxuser(args, **kw) -> Result
    ``python -m linuxuser *args`` (the package from this checkout).
run_qemu(arch, args, **kw) -> Result
    ``qemu-<arch> *args`` (the reference).
run_native(args, arch=None, **kw) -> Result
    Runs the program directly (x86_64 and i386 guests only).  With
    arch="i386" it runs under the PER_LINUX32 personality, as on a real
    i386 machine (otherwise uname().machine says "x86_64").

Result is a (returncode, stdout, stderr) named tuple, stdout/stderr bytes;
returncode is negative (-signal) when the process was killed by a signal.

Keyword arguments of the run_* fixtures:
    env        dict of variables to set on top of the host environment
    unset_env  names of host variables to remove
    cwd        working directory
    stdin      bytes fed to stdin (default: empty stdin)
    timeout    seconds (default 60; 30 for linuxuser runs); a timeout fails
               the test.  linuxuser gets it as its LINUXUSER_DEADLINE: a run
               that reaches it fails with what each guest thread was doing
               (pc, state, last syscalls, host stack).

Missing cross compilers or qemu binaries make the tests FAIL, not skip:
``make setup`` installs them.
"""

from __future__ import annotations

import ctypes
import os
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

TESTS_DIR = Path(__file__).resolve().parent
REPO = TESTS_DIR.parent
sys.path.insert(0, str(TESTS_DIR))
# Unit tests import the linuxuser package from this checkout.
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import guestbuild  # noqa: E402

DEFAULT_TIMEOUT = 60
PER_LINUX32 = 0x0008
_libc = ctypes.CDLL(None, use_errno=True)


class Result(NamedTuple):
    returncode: int
    stdout: bytes
    stderr: bytes


def linuxuser_command() -> list[str]:
    """The command that starts the emulator under test: this checkout's package,
    or the installed command LINUXUSER_COMMAND names (make test-install)."""
    installed = os.environ.get("LINUXUSER_COMMAND")
    return [installed] if installed else [sys.executable, "-m", "linuxuser"]


def _child_setup(personality: int | None = None):
    def setup():
        # Guest faults must not leave core files (qemu writes its own
        # qemu_<prog>_<date>.core when RLIMIT_CORE allows it).
        try:
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        except (ValueError, OSError):
            pass
        # Restore default dispositions that Python changes (SIGPIPE, ...).
        for s in (signal.SIGPIPE, signal.SIGXFSZ):
            signal.signal(s, signal.SIG_DFL)
        if personality is not None:
            if _libc.personality(ctypes.c_ulong(personality)) == -1:
                os._exit(125)

    return setup


def make_env(env: dict | None = None, unset_env=()) -> dict:
    """Host environment for a run: the same for linuxuser, qemu and native
    runs, so that guests see identical environments."""
    # QEMU_* variables would change qemu's behaviour (QEMU_STRACE, ...).
    e = {k: v for k, v in os.environ.items() if not k.startswith("QEMU_")}
    # pytest's own variable changes from test to test.
    e.pop("PYTEST_CURRENT_TEST", None)
    # "python -m linuxuser" must find the package of this checkout (and an
    # installed command its own).
    pp = e.get("PYTHONPATH")
    if "LINUXUSER_COMMAND" not in e:
        e["PYTHONPATH"] = str(REPO) + (os.pathsep + pp if pp else "")
    for k in unset_env:
        e.pop(k, None)
    if env:
        e.update({k: str(v) for k, v in env.items()})
    return e


def run_command(
    cmd,
    *,
    env: dict | None = None,
    unset_env=(),
    cwd=None,
    stdin: bytes = b"",
    timeout: float = DEFAULT_TIMEOUT,
    personality: int | None = None,
    preexec_fn=None,
) -> Result:
    cmd = [str(c) for c in cmd]
    child_setup = _child_setup(personality)
    if preexec_fn is not None:
        first = child_setup

        def child_setup():
            first()
            preexec_fn()

    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd,
        env=make_env(env, unset_env),
        preexec_fn=child_setup,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, err = proc.communicate()
        pytest.fail(
            f"timed out after {timeout}s: {' '.join(cmd)}\n"
            f"stdout so far: {out[-2000:]!r}\nstderr so far: {err[-2000:]!r}",
            pytrace=False,
        )
    return Result(proc.returncode, out, err)


# ---------------------------------------------------------------- guests


_built_all = False


def _ensure_built():
    """Build every guest once, in parallel (failures are reported per test
    by the guestbuild.build() call that follows)."""
    global _built_all
    if not _built_all:
        _built_all = True
        try:
            guestbuild.build_all()
        except guestbuild.BuildError:
            pass


@pytest.fixture(scope="session")
def guest_program():
    """Factory: guest_program(name, arch) -> Path of the built binary."""

    def get(name: str, arch: str) -> Path:
        _ensure_built()
        try:
            return guestbuild.build(name, arch)
        except guestbuild.BuildError as e:
            pytest.fail(str(e), pytrace=False)

    return get


# ---------------------------------------------------------------- runners


def qemu_binary(arch: str) -> str:
    q = guestbuild.ARCHES[arch].qemu
    path = shutil.which(q)
    if path is None:
        pytest.fail(f"{q} not found on PATH: run 'make setup' (installs qemu-user)", pytrace=False)
    return path


# After this many linuxuser timeouts in a session, later linuxuser runs get
# only REDUCED_TIMEOUT seconds, so that a hanging emulator cannot push the
# whole suite past CI's time limit.
MAX_FULL_TIMEOUTS = 3
REDUCED_TIMEOUT = 10
_linuxuser_timeouts = 0
# A linuxuser run's deadline unless the test gives its own `timeout` (a few
# times what the slowest default run takes on a loaded machine).  linuxuser
# itself enforces it (LINUXUSER_DEADLINE, linuxuser/watchdog.py) and reports
# what each guest thread was doing; the harness kills it DEADLINE_GRACE later.
LINUXUSER_TIMEOUT = 30
DEADLINE_GRACE = 10
DEADLINE_REPORT = b"linuxuser: deadline of "


def deadline_report(r: Result) -> str | None:
    """linuxuser's account of a run that reached its deadline, if it did."""
    if r.returncode != 124 or DEADLINE_REPORT not in r.stderr:
        return None
    return r.stderr[r.stderr.rindex(DEADLINE_REPORT):].decode(errors="replace")


@pytest.fixture(scope="session")
def run_linuxuser():
    def run(args, **kw) -> Result:
        global _linuxuser_timeouts
        timeout = kw.pop("timeout", LINUXUSER_TIMEOUT)
        if _linuxuser_timeouts >= MAX_FULL_TIMEOUTS:
            timeout = min(timeout, REDUCED_TIMEOUT)
        kw["env"] = {**(kw.get("env") or {}), "LINUXUSER_DEADLINE": timeout}
        try:
            r = run_command([*linuxuser_command(), *args], timeout=timeout + DEADLINE_GRACE,
                            **kw)
        except pytest.fail.Exception as e:
            if str(e).startswith("timed out"):
                _linuxuser_timeouts += 1
            raise
        report = deadline_report(r)
        if report is not None:
            _linuxuser_timeouts += 1
            pytest.fail(f"timed out after {timeout}s: linuxuser {' '.join(map(str, args))}\n"
                        f"stdout so far: {r.stdout[-2000:]!r}\n{report}", pytrace=False)
        return r

    return run


@pytest.fixture(scope="session")
def run_qemu():
    def run(arch: str, args, **kw) -> Result:
        return run_command([qemu_binary(arch), *args], **kw)

    return run


@pytest.fixture(scope="session")
def run_native():
    def run(args, arch: str | None = None, **kw) -> Result:
        if arch is not None and not guestbuild.ARCHES[arch].native:
            raise ValueError(f"{arch} programs cannot run natively here")
        if arch == "i386":
            kw.setdefault("personality", PER_LINUX32)
        return run_command(list(args), **kw)

    return run


def pytest_report_header(config):
    lines = [f"linuxuser command: {' '.join(linuxuser_command())}"
             + ("" if os.environ.get("LINUXUSER_COMMAND") else f" (PYTHONPATH={REPO})")]
    missing = guestbuild.missing_tools()
    missing += [a.qemu for a in guestbuild.ARCHES.values() if shutil.which(a.qemu) is None]
    missing += [tool for tool in ("strace",) if shutil.which(tool) is None]
    if missing:
        lines.append("MISSING TOOLS (tests will fail; run 'make setup'): " + " ".join(missing))
    return lines
