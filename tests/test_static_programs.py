"""Differential tests: static guest programs under linuxuser vs qemu-user.

Every case runs a program from tests/guest/ for each of the four arches
under ``python -m linuxuser`` and under the matching qemu-user binary, and
requires the same stdout, stderr and exit status.  For x86_64 and i386 the
program is also run natively and must match too; test_qemu_matches_native
checks the reference itself (it does not involve linuxuser).

For the fault cases the emulator's own stderr line differs only by its
prefix ("qemu: uncaught target signal 11 ..." vs "linuxuser: ..."), which is
normalised before comparing; natively that line does not exist at all.
"""

from __future__ import annotations

import difflib
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest

import guestbuild
from conftest import Result

ARCHES = list(guestbuild.ARCHES)
NATIVE_ARCHES = [a for a, spec in guestbuild.ARCHES.items() if spec.native]


@dataclass(frozen=True)
class Case:
    id: str
    program: str
    # args(workdir) -> guest arguments (called at run time, once per run)
    args: Callable[[Path], list] = lambda wd: []
    env: dict = field(default_factory=dict)
    fault: bool = False  # may die by a signal: normalise the emulator prefix
    # Arches where linuxuser is known to differ, with the reason (a strict xfail:
    # the test fails if the difference goes away, so the list stays true).
    known_differences: dict = field(default_factory=dict)
    # What linuxuser alone adds on stderr (its own log lines), removed before comparing.
    known_stderr: bytes = b""


ARGS_ENV = {
    "LU_TEST_A": "alpha",
    "LU_TEST_B": "with space = and, comma",
    "LU_TEST_EMPTY": "",
}

CASES = [
    Case("hello", "hello"),
    Case("hello-pie", "hello-pie"),
    Case(
        "args_env",
        "args_env",
        lambda wd: ["one", "two words", "", "ünïcödé ✓", "--flag=x", "-E", "X=1"],
        env=ARGS_ENV,
    ),
    *[Case(f"exit_code-{c}", "exit_code", (lambda c: lambda wd: [str(c)])(c)) for c in (0, 1, 42, 255)],
    Case("file_io", "file_io", lambda wd: [str(wd)]),
    Case("float_simd", "float_simd"),
    Case("fenv", "fenv", known_differences=dict.fromkeys(
        ("x86_64", "i386"),
        "Unicorn (QEMU 5.0 TCG) does not record x87/SSE exception flags")),
    Case("big_alloc", "big_alloc"),
    Case("kuser", "kuser"),
    Case("it_block", "it_block"),
    Case("selfmod", "selfmod"),     # code rewritten in place (direct addressing: ic ivau)
    Case("sysinfo", "sysinfo"),
    Case("syscall_errors", "syscall_errors", known_stderr=(
        b"linuxuser: unsupported syscall syscall_1999 (nr 1999): ENOSYS\n")),
    *[
        Case(f"fault-{m}", "fault", (lambda m: lambda wd: [m, str(wd)])(m), fault=True)
        for m in ("segv", "ill", "trap", "fpe", "bus", "ro-write", "none-read", "nx-exec")
    ],
    Case("clock", "clock", lambda wd: [str(int(time.time()))]),
    # struct conversions per ABI (issue #3)
    Case("structs_files", "structs_files", lambda wd: [str(wd)]),
    Case("structs_io", "structs_io"),
    Case("structs_net", "structs_net", lambda wd: [str(wd)]),
    Case("efault", "efault"),
]


def _params(arches, linuxuser=True):
    out = []
    for arch in arches:
        for case in CASES:
            if arch in guestbuild.PROGRAMS[case.program].arches:
                marks = []
                if linuxuser and arch in case.known_differences:
                    marks.append(pytest.mark.xfail(reason=case.known_differences[arch],
                                                   strict=True))
                out.append(pytest.param(arch, case, id=f"{arch}-{case.id}", marks=marks))
    return out


QEMU_PREFIX_RE = re.compile(rb"^qemu: ", re.M)


def normalise_prefix(qemu_stderr: bytes) -> bytes:
    """qemu's "qemu: uncaught target signal ..." is linuxuser's
    "linuxuser: uncaught target signal ..."."""
    return QEMU_PREFIX_RE.sub(b"linuxuser: ", qemu_stderr)


def describe(label: str, r: Result) -> str:
    return (
        f"--- {label}: returncode={r.returncode}\n"
        f"stdout ({len(r.stdout)} bytes):\n{r.stdout.decode(errors='replace')[:4000]}\n"
        f"stderr ({len(r.stderr)} bytes):\n{r.stderr.decode(errors='replace')[:4000]}"
    )


def assert_same(actual: Result, expected: Result, *, labels=("linuxuser", "qemu"),
                fault: bool = False, compare_stderr: bool = True, linuxuser_log: bytes = b""):
    a_err, e_err = actual.stderr, expected.stderr
    if linuxuser_log:
        # linuxuser's own log lines (e.g. an unsupported syscall): exactly once.
        assert a_err.count(linuxuser_log) == 1, describe(labels[0], actual)
        a_err = a_err.replace(linuxuser_log, b"")
    if fault:
        e_err = normalise_prefix(e_err)
    ok = actual.returncode == expected.returncode and actual.stdout == expected.stdout
    if compare_stderr:
        ok = ok and a_err == e_err
    if not ok:
        diffs = []
        for what, a, e in (("stdout", actual.stdout, expected.stdout), ("stderr", a_err, e_err)):
            if a != e:
                d = difflib.unified_diff(
                    e.decode(errors="replace").splitlines(), a.decode(errors="replace").splitlines(),
                    f"{labels[1]} {what}", f"{labels[0]} {what}", lineterm="", n=1)
                diffs.append("\n".join(list(d)[:60]))
        pytest.fail(
            f"{labels[0]} and {labels[1]} differ "
            f"(returncode {actual.returncode} vs {expected.returncode})\n"
            + "\n".join(diffs)
            + f"\n{describe(labels[0], actual)}\n{describe(labels[1], expected)}",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("guest-work")


_lu_cache: dict = {}


@pytest.fixture
def linuxuser_result(guest_program, run_linuxuser, workdir):
    """linuxuser's result for (arch, case), computed once per session."""

    def get(arch: str, case: Case) -> Result:
        key = (arch, case.id)
        if key not in _lu_cache:
            prog = guest_program(case.program, arch)
            _lu_cache[key] = run_linuxuser([prog, *case.args(workdir)], env=case.env, cwd=workdir)
        return _lu_cache[key]

    return get


@pytest.mark.parametrize("arch,case", _params(ARCHES))
def test_matches_qemu(arch, case, linuxuser_result, guest_program, run_qemu, workdir):
    prog = guest_program(case.program, arch)
    expected = run_qemu(arch, [prog, *case.args(workdir)], env=case.env, cwd=workdir)
    actual = linuxuser_result(arch, case)
    assert_same(actual, expected, fault=case.fault, linuxuser_log=case.known_stderr)


@pytest.mark.parametrize("arch,case", _params(NATIVE_ARCHES))
def test_matches_native(arch, case, linuxuser_result, guest_program, run_native, workdir):
    prog = guest_program(case.program, arch)
    expected = run_native([prog, *case.args(workdir)], arch=arch, env=case.env, cwd=workdir)
    actual = linuxuser_result(arch, case)
    if case.fault and expected.returncode < 0:
        # Natively nothing is printed on stderr for the fault; linuxuser
        # prints its one "uncaught target signal" line (checked against
        # qemu in test_matches_qemu).
        assert_same(actual, expected, labels=("linuxuser", "native"), compare_stderr=False)
        lines = actual.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith(b"linuxuser: uncaught target signal "), \
            describe("linuxuser", actual)
    else:
        assert_same(actual, expected, labels=("linuxuser", "native"),
                    linuxuser_log=case.known_stderr)


@pytest.mark.parametrize("arch,case", _params(NATIVE_ARCHES, linuxuser=False))
def test_qemu_matches_native(arch, case, guest_program, run_qemu, run_native, workdir):
    """Sanity check of the reference itself (linuxuser is not involved)."""
    prog = guest_program(case.program, arch)
    q = run_qemu(arch, [prog, *case.args(workdir)], env=case.env, cwd=workdir)
    n = run_native([prog, *case.args(workdir)], arch=arch, env=case.env, cwd=workdir)
    assert_same(q, n, labels=("qemu", "native"), compare_stderr=not (case.fault and n.returncode < 0))


def test_fault_cases_really_fault(guest_program, run_qemu, workdir):
    """The fault programs die by the expected signals under qemu, so the
    differential fault tests above are not vacuous."""
    expected = {
        ("arm", "segv"): 11, ("arm", "ill"): 4, ("arm", "trap"): 4, ("arm", "fpe"): 8, ("arm", "bus"): 7,
        ("aarch64", "segv"): 11, ("aarch64", "ill"): 4, ("aarch64", "trap"): 5, ("aarch64", "fpe"): 0,
        ("aarch64", "bus"): 7,
        ("i386", "segv"): 11, ("i386", "ill"): 4, ("i386", "trap"): 4, ("i386", "fpe"): 8, ("i386", "bus"): 7,
        ("x86_64", "segv"): 11, ("x86_64", "ill"): 4, ("x86_64", "trap"): 4, ("x86_64", "fpe"): 8,
        ("x86_64", "bus"): 7,
        # Permissions changed (or never given) after the page was touched.
        **{(arch, mode): 11 for arch in ("arm", "aarch64", "i386", "x86_64")
           for mode in ("ro-write", "none-read", "nx-exec")},
    }
    wrong = []
    for (arch, mode), sig in expected.items():
        r = run_qemu(arch, [guest_program("fault", arch), mode, workdir])
        if r.returncode != -sig:
            wrong.append(f"{arch} {mode}: returncode {r.returncode}, expected {-sig}")
    assert not wrong, "\n".join(wrong)


# ------------------------------------------------------------ options
#
# qemu-user takes the same options, so every option case is compared with
# qemu given the same options.

HOST_ENV = {"LU_TEST_A": "host-a", "LU_TEST_B": "host-b", "LU_TEST_EMPTY": ""}


@dataclass(frozen=True)
class OptCase:
    id: str
    options: list
    program: str = "args_env"
    guest_args: list = field(default_factory=list)
    env: dict = field(default_factory=lambda: dict(HOST_ENV))
    cwd_is_build_dir: bool = False  # run with the program given as ./name


OPT_CASES = [
    OptCase("E-set", ["-E", "LU_TEST_A=from-E"]),
    OptCase("E-new-var", ["-E", "LU_TEST_C=new"], env={**HOST_ENV, "ARGS_ENV_VARS": "LU_TEST_A,LU_TEST_C"}),
    OptCase("E-twice", ["-E", "LU_TEST_A=1", "-E", "LU_TEST_B=two words"]),
    OptCase("E-empty-value", ["-E", "LU_TEST_A="]),
    OptCase("U-unset", ["-U", "LU_TEST_B"]),
    OptCase("U-not-set", ["-U", "LU_TEST_NEVER_SET_7f3a9c"]),
    OptCase("E-and-U", ["-U", "LU_TEST_A", "-E", "LU_TEST_B=bee"]),
    OptCase("argv0", ["-0", "custom-argv0"], guest_args=["x", "y"]),
    OptCase("argv0-empty-args", ["-0", "/some/other/name"]),
    OptCase("all-three", ["-0", "zero", "-E", "LU_TEST_EMPTY=full", "-U", "LU_TEST_A"], guest_args=["a"]),
    # options after the program belong to the guest
    OptCase("guest-options", [], guest_args=["-E", "LU_TEST_A=no", "-0", "no", "-U", "x", "--help"]),
    OptCase("relative-program", [], guest_args=["rel"], cwd_is_build_dir=True),
    OptCase("stack-size", ["-s", "16M"], program="hello"),
    OptCase("stack-size-bytes", ["-s", "2097152"], program="hello"),
    # a static program needs nothing from the sysroot (an existing, empty
    # directory: qemu also accepts a missing one, linuxuser may refuse it)
    OptCase("sysroot-L", ["-L", "{workdir}/empty-sysroot"], program="hello"),
]


@pytest.mark.parametrize("case", OPT_CASES, ids=[c.id for c in OPT_CASES])
@pytest.mark.parametrize("arch", ARCHES)
def test_option_matches_qemu(arch, case, guest_program, run_linuxuser, run_qemu, workdir):
    prog = guest_program(case.program, arch)
    cwd = workdir
    if case.cwd_is_build_dir:
        cwd, prog = prog.parent, f"./{prog.name}"
    (workdir / "empty-sysroot").mkdir(exist_ok=True)
    options = [o.replace("{workdir}", str(workdir)) for o in case.options]
    argv = [*options, prog, *case.guest_args]
    expected = run_qemu(arch, argv, env=case.env, cwd=cwd)
    assert expected.returncode == 0, describe("qemu", expected)
    actual = run_linuxuser(argv, env=case.env, cwd=cwd)
    assert_same(actual, expected)


def strace_quote(data: bytes) -> str:
    """A short printable buffer as strace quotes it."""
    escapes = {0x0A: "\\n", 0x09: "\\t", 0x22: '\\"', 0x5C: "\\\\"}
    return '"' + "".join(escapes.get(c, chr(c)) for c in data) + '"'


@pytest.mark.parametrize("arch", ARCHES)
def test_strace_option(arch, guest_program, run_linuxuser, run_qemu, workdir):
    """-strace: the guest's own stdout and status are unchanged, and the log
    on stderr ends with the program's write of what it printed under qemu, its
    exit_group and strace's last line, exactly (but strace's padding of the
    result to column 40).  (The x86 logs are compared
    with real strace line by line in test_strace.py.)"""
    prog = guest_program("hello", arch)
    plain = run_qemu(arch, [prog], cwd=workdir)
    r = run_linuxuser(["-strace", prog], cwd=workdir)
    assert (r.returncode, r.stdout) == (plain.returncode, plain.stdout), describe("linuxuser -strace", r)
    n = len(plain.stdout)
    lines = [re.sub(r"\) +=( |$)", r") =\1", line) for line in r.stderr.decode().splitlines()]
    assert lines[-3:] == [
        f"write(1, {strace_quote(plain.stdout)}, {n}) = {n}",
        f"exit_group({plain.returncode}) = ?",
        f"+++ exited with {plain.returncode} +++"], describe("linuxuser -strace", r)


@pytest.mark.parametrize("arch", ["arm", "x86_64"])
def test_strace_to_logfile(arch, guest_program, run_linuxuser, tmp_path):
    """-D LOGFILE -strace: the trace goes to LOGFILE (as with qemu), stdout
    is the guest's, stderr stays empty; the file holds the lines -strace alone
    writes on stderr."""
    from test_strace import threads_of

    prog = guest_program("hello", arch)
    log = tmp_path / "trace.log"
    r = run_linuxuser(["-D", log, "-strace", prog], cwd=tmp_path)
    assert (r.returncode, r.stdout, r.stderr) == (0, b"Hello, world!\n", b""), describe("linuxuser", r)
    on_stderr = run_linuxuser(["-strace", prog], cwd=tmp_path)
    assert threads_of(log.read_text()) == threads_of(on_stderr.stderr.decode()), \
        log.read_text() + "\n" + on_stderr.stderr.decode()


@pytest.mark.parametrize("arch", ARCHES)
def test_unsupported_syscall_logged_once_to_logfile(arch, guest_program, run_linuxuser, tmp_path):
    """-D LOGFILE: linuxuser's own log lines go to LOGFILE, the guest's stderr stays clean."""
    prog = guest_program("syscall_errors", arch)
    log = tmp_path / "lu.log"
    r = run_linuxuser(["-D", log, prog], cwd=tmp_path)
    assert r.returncode == 0 and r.stderr == b"", describe("linuxuser", r)
    assert r.stdout.count(b"ENOSYS") == 2 and r.stdout.endswith(b"still running\n")
    lines = log.read_bytes().splitlines()
    assert lines.count(b"linuxuser: unsupported syscall syscall_1999 (nr 1999): ENOSYS") == 1, lines
