"""-strace and friends, checked against Debian's strace.

For x86-64 guests the log linuxuser writes must equal real strace's log of the
same binary run natively, syscall by syscall, once the values that
legitimately differ are masked: addresses (linuxuser lays out memory its own
way), pids, random bytes and column padding (which follows the length of the
addresses).  The execve line strace prints first is the exec that started the
program, which has no counterpart in linuxuser.  For the other guest arches the
same programs must give the same lines as on x86-64 wherever the syscall is
the same one.

Both runs get GLIBC_TUNABLES=glibc.pthread.rseq=0: glibc then does not
register rseq (linuxuser answers it ENOSYS on purpose, the host kernel
registers it).
"""
from __future__ import annotations

import difflib
import re
import shutil
import time
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from conftest import Result

ARCHES = ("arm", "aarch64", "i386", "x86_64")
ENV = {"GLIBC_TUNABLES": "glibc.pthread.rseq=0"}

# (program, arguments; "{dir}" is a scratch directory)
NATIVE_CASES = {
    "startup": ("hello", []),
    "files": ("file_io", ["{dir}"]),
    "flags-and-structs": ("strace_calls", ["{dir}"]),
    "errors": ("syscall_errors", []),
    "kill": ("strace_calls", ["{dir}", "kill"]),
    "segv": ("fault", ["segv"]),
    "ill": ("fault", ["ill"]),
    "fpe": ("fault", ["fpe"]),
    "bus": ("fault", ["bus", "{dir}"]),
    "thread": ("strace_thread", []),
}

_PREFIX = re.compile(r"^\[pid +(\d+)\] ")
_RESUMED = re.compile(r"^<\.\.\. (\w+) resumed>")


def strace_binary() -> str:
    path = shutil.which("strace")
    if path is None:
        pytest.fail("strace not found: run 'make setup' (installs Debian's strace)", pytrace=False)
    return path


def describe(what: str, r: Result) -> str:
    return (f"{what}: exit {r.returncode}\nstdout: {r.stdout[-1500:]!r}\n"
            f"stderr: {r.stderr[-3000:]!r}")


def threads_of(log: str) -> dict[str, list[str]]:
    """A strace log as each thread's complete lines: '[pid N] ' prefixes taken off,
    '<unfinished ...>' lines joined with their '<... resumed>' rest, thread ids
    named T0 (the first seen), T1... everywhere they appear, values that
    legitimately differ masked."""
    log = re.sub(r"strace: Process \d+ attached\n?", "", log)
    # strace 6.1 now and then writes stale bytes of its own ("/usr/bin/") before a
    # line or a value; no program here uses that directory.
    log = re.sub(r'(?<!["\w/])/usr/bin/', "", log)
    m = re.search(r"^set_tid_address\(.*\)\s+= (\d+)(?: <[\d.]+>)?$", log, re.M)
    leader = m.group(1) if m else "leader"          # unprefixed lines are the leader's
    per_tid: dict[str, list[str]] = {}
    open_lines: dict[str, str] = {}
    for line in log.splitlines():
        if line.startswith(("linuxuser: ", "strace: ", "[ Process PID=")):
            continue                           # the tools' own messages
        m = _PREFIX.match(line)
        tid, line = (m.group(1), line[m.end():]) if m else (leader, line)
        if line.endswith(" <unfinished ...>"):
            open_lines[tid] = line[:-len(" <unfinished ...>")]
            continue
        m = _RESUMED.match(line)
        if m:
            line = open_lines.pop(tid, f"{m.group(1)}(") + line[m.end():]
        per_tid.setdefault(tid, []).append(line)
    labels = {tid: f"T{i}" for i, tid in enumerate(per_tid)}
    masked = {}
    for tid, lines in per_tid.items():
        out = []
        for line in lines:
            if line.startswith("execve("):
                continue
            for other, label in labels.items():
                if other.isdigit():
                    line = re.sub(rf"\b{other}\b", label, line)
            line = re.sub(r'getrandom\("[^"]*"', 'getrandom("RANDOM"', line)
            # strace 6.1 prints bytes past the struct clone_args it knows (glibc
            # passes 88, with set_tid and cgroup) as a string: stack garbage.
            line = re.sub(r"^(clone3\(\{.*\})[^ ]*( => )", r"\1\2", line)
            line = re.sub(r"0x[0-9a-f]+", "0xADDR", line)
            line = re.sub(r"<\d+\.\d+>$", "<DURATION>", line)
            line = line.replace(" <unfinished ...>)", ")")   # a call the process's end cut short
            line = re.sub(r"\) +=( |$)", r") =\1", line)
            out.append(line)
        masked[labels[tid]] = out
    return masked


def run_both(case, guest_program, run_linuxuser, run_native, tmp_path, options=(), arch="x86_64"):
    name, args = case
    prog = guest_program(name, arch)
    args = [a.replace("{dir}", str(tmp_path)) for a in args]
    native = run_native([strace_binary(), "-f", *options, prog, *args], arch=arch, env=ENV,
                        cwd=tmp_path)
    log = tmp_path / "linuxuser.log"
    lu = run_linuxuser(["-strace", "-D", log, *options, prog, *args], env=ENV, cwd=tmp_path)
    assert lu.returncode == native.returncode and lu.stdout == native.stdout, \
        describe("linuxuser", lu) + "\n" + describe("native", native)
    assert b"Traceback" not in lu.stderr, describe("linuxuser", lu)
    return native.stderr.decode(errors="replace"), log.read_text(errors="replace")


def assert_same_log(expected: str, actual: str, neutral=lambda line: line) -> None:
    want, got = ({tid: [neutral(x) for x in lines] for tid, lines in threads_of(log).items()}
                 for log in (expected, actual))
    if got != want:
        diff = []
        for tid in sorted(set(want) | set(got)):
            diff += difflib.unified_diff(want.get(tid, []), got.get(tid, []), f"strace {tid}",
                                         f"linuxuser {tid}", lineterm="", n=1)
        pytest.fail("logs differ (masked):\n" + "\n".join(diff)
                    + f"\n\nnative strace:\n{expected}\nlinuxuser -strace:\n{actual}", pytrace=False)


@pytest.mark.parametrize("case", list(NATIVE_CASES.values()), ids=list(NATIVE_CASES))
def test_x86_64_log_equals_native_strace(case, guest_program, run_linuxuser, run_native, tmp_path):
    native, ours = run_both(case, guest_program, run_linuxuser, run_native, tmp_path)
    assert_same_log(native, ours)


@pytest.mark.parametrize("case", list(NATIVE_CASES.values()), ids=list(NATIVE_CASES))
def test_i386_log_equals_native_strace(case, guest_program, run_linuxuser, run_native, tmp_path):
    """strace also traces i386 programs natively (the 32-bit ABI: _llseek, fcntl64,
    statx, ugetrlimit, set_thread_area, mmap2...).  One difference is not
    linuxuser's log but its process: it maps no vDSO, so i386 glibc installs
    its own signal restorer (SA_RESTORER), which it leaves to the vDSO natively."""
    native, ours = run_both(case, guest_program, run_linuxuser, run_native, tmp_path, arch="i386")
    assert_same_log(native, ours, abi_neutral)


# strace's own options, on the program that exercises the most decoders.
OPTION_CASES = {
    "trace=openat,close": ["-e", "trace=openat,close"],
    "trace=%file": ["-e", "trace=%file"],
    "trace=%memory": ["-e", "trace=%memory"],
    "trace=%process": ["-e", "trace=%process"],
    "trace=%network": ["-e", "trace=%network"],
    "trace=%signal": ["-e", "trace=%signal"],
    "trace=%desc": ["-e", "trace=%desc"],
    "bare-names": ["-e", "write,read"],
    "negated": ["-e", "trace=!write,brk,read"],
    "regex": ["-e", "trace=/^(read|write)$"],
    "status=failed,unfinished": ["-e", "status=failed,unfinished"],
    "-z": ["-z"],
    "-Z": ["-Z"],
    "-s 8": ["-s", "8"],
    "-s 100": ["-s", "100"],
    "-T": ["-T"],
}


# -s around and at each length strace_strings.c writes (and the default, 32).
STRING_LIMITS = [[], ["-s", "0"], ["-s", "1"], ["-s", "7"], ["-s", "8"], ["-s", "9"],
                 ["-s", "16"], ["-s", "31"], ["-s", "33"], ["-s", "100"]]


@pytest.mark.parametrize("arch", ["x86_64", "i386"])
@pytest.mark.parametrize("options", STRING_LIMITS, ids=[" ".join(o) or "default" for o in STRING_LIMITS])
def test_string_truncation_equals_native(options, arch, guest_program, run_linuxuser, run_native,
                                         tmp_path):
    """Byte buffers and C strings of every length from limit-2 to limit+2, plain
    and with escapes, cut (with "...") exactly where strace cuts them."""
    native, ours = run_both(("strace_strings", []), guest_program, run_linuxuser, run_native,
                            tmp_path, options, arch=arch)
    assert_same_log(native, ours, abi_neutral)


@pytest.mark.parametrize("options", list(OPTION_CASES.values()), ids=list(OPTION_CASES))
def test_strace_options_equal_native(options, guest_program, run_linuxuser, run_native, tmp_path):
    native, ours = run_both(("strace_calls", ["{dir}"]), guest_program, run_linuxuser,
                            run_native, tmp_path, options)
    assert_same_log(native, ours)


def test_signal_filter(guest_program, run_linuxuser, run_native, tmp_path):
    """-e signal=none hides the --- SIGSEGV --- line, as strace does."""
    native, ours = run_both(("fault", ["segv"]), guest_program, run_linuxuser, run_native,
                            tmp_path, ["-e", "signal=none"])
    assert "--- SIG" not in ours
    assert_same_log(native, ours)


# -- the other guest arches -------------------------------------------------------------

CROSS_CASES = {
    "files": ("file_io", ["{dir}"]),
    "flags-and-structs": ("strace_calls", ["{dir}"]),
    "errors": ("syscall_errors", []),
    "segv": ("fault", ["segv"]),
}


def program_part(lines: list[str]) -> list[str]:
    """The lines after start-up: static glibc's last start-up call protects the
    RELRO pages (the first mprotect); what follows is the program's own work."""
    for i, line in enumerate(lines):
        if line.startswith("mprotect("):
            return lines[i + 1:]
    raise AssertionError("no start-up mprotect in:\n" + "\n".join(lines))


def abi_neutral(line: str) -> str:
    """Remove what the ABIs (not linuxuser) make differ: AArch64's glibc sets no
    SA_RESTORER (x86, ARM and i386 do); an unknown syscall shows six argument
    registers, most of which the program did not set."""
    line = line.replace("SA_RESTORER|", "")
    line = re.sub(r", sa_restorer=0xADDR", "", line)
    return re.sub(r"^(syscall_0xADDR)\([^)]*\)", r"\1(...)", line)


def syscall_name(line: str) -> str:
    return line.split("(", 1)[0]


def linuxuser_log(arch, case, guest_program, run_linuxuser, tmp_path) -> tuple[Result, list[str]]:
    name, args = case
    prog = guest_program(name, arch)
    work = tmp_path / arch.ljust(7, "_")          # the same length for every arch (getcwd)
    work.mkdir()
    log = work / "linuxuser.log"
    r = run_linuxuser(["-strace", "-D", log, prog, *[a.replace("{dir}", str(work)) for a in args]],
                      env=ENV, cwd=work)
    assert b"Traceback" not in r.stderr, describe(f"linuxuser ({arch})", r)
    text = log.read_text().replace(str(work), "WORKDIR")
    (lines,) = threads_of(text).values()
    return r, [abi_neutral(line) for line in program_part(lines)]


@pytest.mark.parametrize("arch", ["arm", "aarch64", "i386"])
@pytest.mark.parametrize("case", list(CROSS_CASES.values()), ids=list(CROSS_CASES))
def test_arches_log_the_same_lines(arch, case, guest_program, run_linuxuser, tmp_path):
    """Wherever the guest makes the same syscall as on x86-64, the line is the
    same.  The two logs are aligned on syscall names (the 32-bit ABIs call
    _llseek, fcntl64, statx, ugetrlimit... where x86-64 has other calls), and
    every aligned pair must be equal."""
    ref_run, ref = linuxuser_log("x86_64", case, guest_program, run_linuxuser, tmp_path)
    run, lines = linuxuser_log(arch, case, guest_program, run_linuxuser, tmp_path)
    assert run.returncode == ref_run.returncode
    matcher = difflib.SequenceMatcher(None, [syscall_name(x) for x in ref],
                                      [syscall_name(x) for x in lines], autojunk=False)
    pairs = [(ref[b.a + i], lines[b.b + i]) for b in matcher.get_matching_blocks()
             for i in range(b.size)]
    context = "\n".join(["x86_64:", *ref, f"{arch}:", *lines])
    assert len(pairs) >= 0.6 * len(lines), context
    for want, got in pairs:
        assert got == want, context


@pytest.mark.parametrize("arch", ARCHES)
def test_strace_calls_output_matches_qemu(arch, guest_program, run_linuxuser, run_qemu, tmp_path):
    """The program the strace tests use is itself right: its stdout (which reads
    back a struct sigaction) is qemu's."""
    prog = guest_program("strace_calls", arch)
    expected = run_qemu(arch, [prog, tmp_path], cwd=tmp_path)
    actual = run_linuxuser([prog, tmp_path], cwd=tmp_path)
    assert (actual.returncode, actual.stdout) == (expected.returncode, expected.stdout), \
        describe("linuxuser", actual) + "\n" + describe("qemu", expected)


# -- -c, timestamps, -d ---------------------------------------------------------------------

def summary_rows(text: str) -> tuple[list[str], dict[str, tuple[int, int]]]:
    """strace -c's table: its header lines and {syscall: (calls, errors)}."""
    lines = [line for line in text.splitlines() if line and not line.startswith(("+++", "linuxuser:"))]
    header = lines[:2]
    rows = {}
    for line in lines[2:]:
        if line.startswith("-"):
            continue
        cells = line.split()
        name = cells[-1]
        numbers = cells[:-1]
        calls = int(numbers[3])
        errors = int(numbers[4]) if len(numbers) > 4 else 0
        rows[name] = (calls, errors)
    return header, rows


@pytest.mark.parametrize("flag", ["-c", "-C"])
def test_summary_counts_like_strace(flag, guest_program, run_linuxuser, run_native, tmp_path):
    """-c: the same table header, and per syscall the same calls and errors as
    strace counts (strace also counts the execve that started the program)."""
    prog = guest_program("strace_calls", "x86_64")
    native = run_native([strace_binary(), "-c", prog, tmp_path], env=ENV, cwd=tmp_path)
    log = tmp_path / "lu.log"
    lu = run_linuxuser([flag, "-D", log, prog, tmp_path], env=ENV, cwd=tmp_path)
    assert lu.returncode == native.returncode == 0, describe("linuxuser", lu)
    text = log.read_text()
    table = text[text.index("% time"):]
    n_header, n_rows = summary_rows(native.stderr.decode())
    header, rows = summary_rows(table)
    n_rows.pop("execve")
    n_total = n_rows.pop("total")
    total = rows.pop("total")
    assert header[0] == n_header[0] and len(header[1]) == len(n_header[1]), (header, n_header)
    assert rows == n_rows
    assert total[0] == n_total[0] - 1 and total[1] == n_total[1]
    if flag == "-C":
        assert re.search(r"^openat\(AT_FDCWD, .*= 3$", text, re.M), text
    else:
        assert "openat(" not in text


def test_summary_sorted_by_calls(guest_program, run_linuxuser, tmp_path):
    prog = guest_program("strace_calls", "x86_64")
    log = tmp_path / "lu.log"
    r = run_linuxuser(["-c", "-S", "calls", "-D", log, prog, tmp_path], env=ENV, cwd=tmp_path)
    assert r.returncode == 0, describe("linuxuser", r)
    _, rows = summary_rows(log.read_text())
    rows.pop("total")
    calls = [c for c, _ in rows.values()]
    assert calls == sorted(calls, reverse=True) and calls[0] > 1, rows


@pytest.mark.parametrize("flag,pattern", [
    ("-t", r"\d\d:\d\d:\d\d "),
    ("-tt", r"\d\d:\d\d:\d\d\.\d{6} "),
    ("-ttt", r"\d{10}\.\d{6} "),
])
def test_timestamps(flag, pattern, guest_program, run_linuxuser, tmp_path):
    """Every line starts with the time of day (strace's -t formats), and the
    times lie within the run, in order."""
    prog = guest_program("hello", "x86_64")
    log = tmp_path / "lu.log"
    before = time.time()
    r = run_linuxuser([flag, "-D", log, prog], cwd=tmp_path)
    after = time.time()
    assert r.returncode == 0, describe("linuxuser", r)
    lines = log.read_text().splitlines()
    assert len(lines) > 5
    stamps = []
    for line in lines:
        m = re.match(pattern, line)
        assert m, line
        stamp = m.group(0).strip()
        if flag == "-ttt":
            stamps.append(float(stamp))
        else:
            hms = time.strftime("%Y-%m-%d ", time.localtime(before)) + stamp.split(".")[0]
            stamps.append(time.mktime(time.strptime(hms, "%Y-%m-%d %H:%M:%S")))
    assert stamps == sorted(stamps)
    assert before - 1 <= stamps[0] and stamps[-1] <= after + 1, (before, stamps, after)


def test_durations_are_times(guest_program, run_linuxuser, tmp_path):
    """-T: each call that returned ends with <seconds>, and the sleep lasts long enough."""
    prog = guest_program("strace_calls", "x86_64")
    log = tmp_path / "lu.log"
    r = run_linuxuser(["-T", "-D", log, prog, tmp_path], cwd=tmp_path)
    assert r.returncode == 0, describe("linuxuser", r)
    for line in log.read_text().splitlines():
        if line.startswith("+++") or line.endswith("= ?"):
            continue
        assert re.search(r" <\d+\.\d{6}>$", line), line
    sleep = [line for line in log.read_text().splitlines() if line.startswith("clock_nanosleep(")]
    assert sleep and float(sleep[0].rsplit("<", 1)[1].rstrip(">")) >= 2500e-9, sleep


def elf_entry_bytes(path: Path, count: int) -> tuple[int, bytes]:
    """The entry point (without ARM's Thumb bit) and the code there."""
    with open(path, "rb") as f:
        elf = ELFFile(f)
        entry = elf.header.e_entry & ~1
        for seg in elf.iter_segments():
            if seg["p_type"] == "PT_LOAD" and seg["p_vaddr"] <= entry < seg["p_vaddr"] + seg["p_filesz"]:
                return entry, seg.data()[entry - seg["p_vaddr"]:][:count]
    raise AssertionError("entry point not in a PT_LOAD")


@pytest.mark.parametrize("arch", ["arm", "x86_64"])
def test_debug_in_asm_exec_cpu(arch, guest_program, run_linuxuser, tmp_path):
    """-d in_asm,exec,cpu: the first block is the ELF entry point, its first
    instruction's bytes are the file's, every disassembled block also runs
    (exec), and the registers before the first block show the entry PC."""
    prog = guest_program("hello", arch)
    log = tmp_path / "d.log"
    r = run_linuxuser(["-d", "in_asm,exec,cpu", "-D", log, prog], cwd=tmp_path)
    assert (r.returncode, r.stdout) == (0, b"Hello, world!\n"), describe("linuxuser", r)
    text = log.read_text()
    entry, code = elf_entry_bytes(prog, 16)
    blocks = re.findall(r"^IN: (\S*)\n0x([0-9a-f]+):  ([0-9a-f]+) ", text, re.M)
    assert blocks, text[:2000]
    name, addr, first_bytes = blocks[0]
    assert int(addr, 16) == entry and name == "_start", blocks[0]
    assert code.startswith(bytes.fromhex(first_bytes)), (first_bytes, code.hex())
    ran = {int(a, 16) for a in re.findall(r"^Trace \d+: \[([0-9a-f]+)\]", text, re.M)}
    assert {int(a, 16) for _, a, _ in blocks} <= ran
    pc_name = "RIP" if arch == "x86_64" else "PC"
    first_pc = re.search(rf"\b{pc_name}=([0-9a-f]+)", text)
    assert first_pc and int(first_pc.group(1), 16) == entry, text[:3000]


@pytest.mark.parametrize("arch", ["arm", "aarch64"])
def test_debug_page(arch, guest_program, run_linuxuser, tmp_path):
    """-d page: the map lists each PT_LOAD of the program with its permissions, and the stack."""
    prog = guest_program("hello", arch)
    log = tmp_path / "d.log"
    r = run_linuxuser(["-d", "page", "-D", log, prog], cwd=tmp_path)
    assert r.returncode == 0, describe("linuxuser", r)
    text = log.read_text()
    rows = re.findall(r"^([0-9a-f]+)-([0-9a-f]+) [0-9a-f]+ ([r-][w-][x-])(?: (.*))?$", text, re.M)
    with open(prog, "rb") as f:
        for seg in ELFFile(f).iter_segments():
            if seg["p_type"] != "PT_LOAD":
                continue
            start = seg["p_vaddr"] & ~0xFFF
            perms = ("r" if seg["p_flags"] & 4 else "-") + ("w" if seg["p_flags"] & 2 else "-") \
                + ("x" if seg["p_flags"] & 1 else "-")
            assert any(int(s, 16) <= start < int(e, 16) and p == perms and n == str(prog.resolve())
                       for s, e, p, n in rows), (hex(start), perms, text)
    assert any(n == "[stack]" for *_, n in rows), text


def test_debug_strace_is_strace(guest_program, run_linuxuser, run_native, tmp_path):
    """-d strace writes the -strace log: real strace's lines (masked as above)."""
    prog = guest_program("hello", "x86_64")
    r = run_linuxuser(["-d", "strace", prog], cwd=tmp_path, env=ENV)
    native = run_native([strace_binary(), "-f", prog], arch="x86_64", env=ENV, cwd=tmp_path)
    assert (r.returncode, r.stdout) == (native.returncode, native.stdout), describe("linuxuser", r)
    assert_same_log(native.stderr.decode(), r.stderr.decode())


def test_block_hooks_only_when_asked(guest_program, run_linuxuser, tmp_path):
    """Without -d nothing is logged, with -d page no block is logged either."""
    prog = guest_program("hello", "arm")
    log = tmp_path / "d.log"
    r = run_linuxuser(["-d", "page", "-D", log, prog], cwd=tmp_path)
    assert r.returncode == 0 and "IN:" not in log.read_text() and "Trace" not in log.read_text()


# -- bad options --------------------------------------------------------------------------

@pytest.mark.parametrize("args,needle", [
    (["-e", "trace=nosuchcall"], b"invalid system call"),
    (["-e", "trace=%nosuchclass"], b"invalid system call class"),
    (["-e", "signal=SIGNOTHING"], b"invalid signal"),
    (["-e", "frobnicate=1"], b"invalid -e qualifier"),
    (["-S", "colour"], b"invalid sortby"),
    (["-d", "nosuchitem"], b"unknown -d item"),
    (["-strace", "-s", "8M"], b"--stack-size"),
])
def test_bad_strace_options(args, needle, guest_program, run_linuxuser, tmp_path):
    prog = guest_program("hello", "x86_64")
    r = run_linuxuser([*args, prog], cwd=tmp_path)
    assert r.returncode == 2 and r.stdout == b"", describe("linuxuser", r)
    assert needle in r.stderr and len(r.stderr.splitlines()) == 1, describe("linuxuser", r)


def test_option_value_missing(run_linuxuser):
    r = run_linuxuser(["-strace", "-e"])
    assert r.returncode == 2 and r.stderr.count(b"\n") == 1 and b"needs a value" in r.stderr


def test_debug_help_lists_items(run_linuxuser):
    r = run_linuxuser(["-d", "help"])
    assert r.returncode == 0
    for item in (b"in_asm", b"exec", b"cpu", b"page", b"strace"):
        assert item in r.stdout


def test_s_is_the_stack_size_without_tracing(guest_program, run_linuxuser, tmp_path):
    """qemu's -s SIZE still sets the stack when no strace option is given."""
    prog = guest_program("hello", "arm")
    r = run_linuxuser(["-s", "16M", prog], cwd=tmp_path)
    assert (r.returncode, r.stdout, r.stderr) == (0, b"Hello, world!\n", b""), describe("linuxuser", r)
