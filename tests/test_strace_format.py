"""Unit tests of the strace formatters, argument decoders and the tracer's line
discipline.  Expected texts are strace's output format (strace(1), and lines
Debian's strace 6.1 printed for the same values), not this code's."""
from __future__ import annotations

import os
import re
import struct
import threading
from types import SimpleNamespace

import pytest

from linuxuser.log import Log
from linuxuser.memory import GuestMemory
from linuxuser.syscalls.numbers import syscall_names
from linuxuser.syscalls.strace import StraceOptions, Tracer
from linuxuser.syscalls.strace import format as F
from linuxuser.syscalls.strace import xlat
from linuxuser.syscalls.strace.kinds import KINDS, Call
from linuxuser.syscalls.strace.struct_decoders import sockaddr_text
from linuxuser.syscalls.strace.tracer import summary_table
from linuxuser.syscalls.structs import STAT_LAYOUTS
from linuxuser.translate.arch import all_arches

DATA = 0x10000          # where the tests put guest data


# -- pure formatters ---------------------------------------------------------------------

@pytest.mark.parametrize("data,text", [
    (b"plain", '"plain"'),
    (b'say "hi"\\', r'"say \"hi\"\\"'),
    (b"\t\n\r\v\f", r'"\t\n\r\v\f"'),
    (b"\x00\x01\x7f\xff", r'"\0\1\177\377"'),
    (b"\x001\x012", r'"\0001\0012"'),        # an octal escape before a digit: 3 digits
    (b"\x1b[0m", r'"\33[0m"'),
])
def test_quote_escapes_like_strace(data, text):
    assert F.quote(data) == (text, False)


def test_quote_looks_one_byte_ahead():
    assert F.quote(b"\x01", next_byte=ord("7"))[0] == r'"\001"'
    assert F.quote(b"\x01", next_byte=ord("8"))[0] == r'"\1"'


def test_quote_hex_and_nul_terminated():
    assert F.quote(b"\xff\x78", hex_all=True)[0] == r'"\xff\x78"'
    assert F.quote(b"ab\0cd", stop_at_nul=True) == ('"ab"', True)


def test_buffer_truncation_at_the_limit():
    text = b"0123456789abcdefghijklmnopqrstuvwxyz"
    assert F.buffer_text(text[:33], 36, 32) == '"0123456789abcdefghijklmnopqrstuv"...'
    assert F.buffer_text(text[:32], 32, 32) == '"0123456789abcdefghijklmnopqrstuv"'
    assert F.buffer_text(b"abcdefgh", 8, 4) == '"abcd"...'
    assert F.buffer_text(b"", 0, 32) == '""'


def test_cstring_truncation_at_the_limit():
    assert F.cstring_text(b"abcd", True, 4) == '"abcd"'        # exactly the limit: whole
    assert F.cstring_text(b"abcde", False, 4) == '"abcd"...'
    assert F.cstring_text(b"ab", True, 4) == '"ab"'


@pytest.mark.parametrize("value,table,text", [
    (3, xlat.PROT_FLAGS, "PROT_READ|PROT_WRITE"),
    (0, xlat.PROT_FLAGS, "PROT_NONE"),
    (0x10000001, xlat.PROT_FLAGS, "PROT_READ|0x10000000"),
    (0o4010000, xlat.OPEN_FLAGS, "O_SYNC"),              # O_SYNC before O_DSYNC
    (0o2004000, xlat.OPEN_FLAGS, "O_NONBLOCK|O_CLOEXEC"),
    (0x1100, xlat.AT_FLAGS, "AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH"),
])
def test_flags_in_stracs_order(value, table, text):
    zero = "PROT_NONE" if table is xlat.PROT_FLAGS else None
    assert F.flags(value, table, "X_???", zero) == text


def test_unknown_flags_and_values():
    assert F.flags(0x80, ((1, "A"),), "A_???") == "0x80 /* A_??? */"
    assert F.xval(0x3001, xlat.ARCH_PRCTL, "ARCH_???") == "0x3001 /* ARCH_??? */"
    assert F.xval(-1, xlat.CLOCKS, "CLOCK_???", decimal=True) == "-1 /* CLOCK_??? */"


def test_signal_names_and_sets():
    assert F.signal_name(11) == "SIGSEGV" and F.signal_name(32) == "SIGRTMIN"
    assert F.signal_name(33) == "SIGRT_1"
    assert F.sigset(0) == "[]"
    assert F.sigset((1 << 1) | (1 << 11)) == "[INT USR2]"
    everything = (1 << 64) - 1
    assert F.sigset(everything) == "~[]"
    assert F.sigset(everything & ~((1 << 31) | (1 << 32))) == "~[RTMIN RT_1]"


def test_modes_devices_limits():
    assert F.file_mode(0o100644) == "S_IFREG|0644"
    assert F.file_mode(0o104755) == "S_IFREG|S_ISUID|0755"
    assert F.file_mode(0o20666) == "S_IFCHR|0666"
    assert F.octal(0o22) == "022" and F.octal(0) == "000" and F.octal(0o640) == "0640"
    assert F.makedev(os.makedev(1, 3)) == "makedev(0x1, 0x3)"
    assert F.makedev(os.makedev(259, 70000)) == "makedev(0x103, 0x11170)"
    assert F.rlim(8 << 20, 64) == "8192*1024" and F.rlim((1 << 64) - 1, 64) == "RLIM64_INFINITY"
    assert F.rlim(0xFFFFFFFF, 32) == "RLIM_INFINITY" and F.rlim(1000, 32) == "1000"


def test_sockaddrs():
    unix = struct.pack("<H", 1) + b"/tmp/sock\0"
    assert sockaddr_text(unix) == '{sa_family=AF_UNIX, sun_path="/tmp/sock"}'
    abstract = struct.pack("<H", 1) + b"\0name"
    assert sockaddr_text(abstract) == '{sa_family=AF_UNIX, sun_path=@"name"}'
    inet = struct.pack("<H", 2) + struct.pack(">H", 8080) + bytes([127, 0, 0, 1]) + bytes(8)
    assert sockaddr_text(inet) == \
        '{sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr("127.0.0.1")}'
    inet6 = (struct.pack("<H", 10) + struct.pack(">H", 443) + bytes(4)
             + bytes(15) + b"\1" + struct.pack("<I", 0))
    assert sockaddr_text(inet6) == ('{sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), '
                                    'inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}')


def test_summary_table_layout():
    """The header, rules and columns of strace -c (errors blank when none)."""
    lines = summary_table({"read": [0, 3, 1, 0.000030], "write": [1, 4, 0, 0.000010]})
    assert lines[0] == "% time     seconds  usecs/call     calls    errors syscall"
    assert lines[1] == "------ ----------- ----------- --------- --------- ----------------"
    assert lines[2] == " 75.00    0.000030          10         3         1 read"
    assert lines[3] == " 25.00    0.000010           2         4           write"
    assert lines[4] == lines[1]
    assert lines[5] == "100.00    0.000040           5         7         1 total"


# -- decoders against guest memory, per arch ------------------------------------------------

MEMORIES: dict[str, GuestMemory] = {}


def call_for(arch_name: str, name: str, values: list[int], result: int | None = None,
             limit: int = 32) -> Call:
    arch = all_arches()[arch_name]
    mem = MEMORIES.get(arch_name)
    if mem is None:
        mem = MEMORIES[arch_name] = GuestMemory(1 << 32)
        mem.map(DATA, 0x10000, 3)
    process = SimpleNamespace(arch=arch, memory=mem)
    call = Call(process, 100, 0, name, list(values), list(values), limit)
    call.result = result
    return call


def put(arch_name: str, data: bytes, offset: int = 0) -> int:
    call_for(arch_name, "x", [])
    MEMORIES[arch_name].write(DATA + offset, data)
    return DATA + offset


def decode(kind: str, call: Call, index: int, param: str = "") -> str | None:
    return KINDS[kind].fn(call, call.values[index], param)


@pytest.mark.parametrize("arch", ["x86_64", "aarch64", "arm", "i386"])
def test_stat_struct_of_each_abi(arch, tmp_path):
    """st_mode and st_size (or st_rdev) found at each ABI's offsets."""
    kind = "stat64" if all_arches()[arch].bits == 32 else "stat"
    layout = STAT_LAYOUTS[(arch, kind)]
    addr = put(arch, layout.pack({"mode": 0o100640, "size": 0x123456789}))
    assert decode("stat_out", call_for(arch, "fstat", [3, addr], 0), 1, kind) == \
        "{st_mode=S_IFREG|0640, st_size=4886718345, ...}"
    addr = put(arch, layout.pack({"mode": 0o20620, "rdev": os.makedev(136, 2)}))
    assert decode("stat_out", call_for(arch, "fstat", [3, addr], 0), 1, kind) == \
        "{st_mode=S_IFCHR|0620, st_rdev=makedev(0x88, 0x2), ...}"
    # A failed call shows the pointer (the decoder is not even asked).
    assert KINDS["stat_out"].out


@pytest.mark.parametrize("arch,time64,fmt", [("x86_64", False, "<qq"), ("arm", False, "<ii"),
                                             ("arm", True, "<qq"), ("i386", False, "<ii")])
def test_timespec_of_each_abi(arch, time64, fmt):
    addr = put(arch, struct.pack(fmt, 1, 500000000))
    assert decode("timespec", call_for(arch, "nanosleep", [addr]), 0, "time64" if time64 else "") \
        == "{tv_sec=1, tv_nsec=500000000}"


@pytest.mark.parametrize("arch,word", [("x86_64", "Q"), ("arm", "I")])
def test_iovecs_in_and_out(arch, word):
    a = put(arch, b"abcdefg", 0x800)
    iov = put(arch, struct.pack(f"<{word}{word}{word}{word}", a, 3, a + 3, 4))
    call = call_for(arch, "writev", [1, iov, 2])
    assert decode("iovec", call, 1, "2") == \
        '[{iov_base="abc", iov_len=3}, {iov_base="defg", iov_len=4}]'
    call = call_for(arch, "readv", [1, iov, 2], result=5)          # readv: only 5 bytes came
    assert decode("iovec_out", call, 1, "2") == \
        '[{iov_base="abc", iov_len=3}, {iov_base="de", iov_len=4}]'


@pytest.mark.parametrize("arch", ["x86_64", "aarch64", "arm", "i386"])
def test_sigaction_layouts(arch):
    """handler, flags, restorer, then the mask: the kernel's struct on all four arches."""
    a = all_arches()[arch]
    w = "Q" if a.bits == 64 else "I"
    mask = (1 << 14) | (1 << 16)                                   # TERM, CHLD
    data = struct.pack(f"<{w}{w}{w}Q", 1, xlat.SA_RESTORER | 0x10000000, 0x401000, mask)
    addr = put(arch, data)
    assert decode("sigaction", call_for(arch, "rt_sigaction", [10, addr, 0, 8]), 1) == \
        ("{sa_handler=SIG_IGN, sa_mask=[TERM CHLD], sa_flags=SA_RESTORER|SA_RESTART, "
         "sa_restorer=0x401000}")
    data = struct.pack(f"<{w}{w}{w}Q", 0x1234, 4, 0, 0)
    addr = put(arch, data)
    assert decode("sigaction", call_for(arch, "rt_sigaction", [10, addr, 0, 8]), 1) == \
        "{sa_handler=0x1234, sa_mask=[], sa_flags=SA_SIGINFO}"


def test_open_flags_follow_the_guest_abi():
    """ARM and AArch64 number O_DIRECTORY, O_NOFOLLOW, O_DIRECT and O_LARGEFILE differently."""
    arm_directory, x86_directory = 0o40000, 0o200000
    assert decode("open_flags", call_for("arm", "openat", [0, 0, arm_directory]), 2) == \
        "O_RDONLY|O_DIRECTORY"
    assert decode("open_flags", call_for("x86_64", "openat", [0, 0, x86_directory]), 2) == \
        "O_RDONLY|O_DIRECTORY"
    assert decode("open_flags", call_for("aarch64", "openat", [0, 0, 0o400000 | 1]), 2) == \
        "O_WRONLY|O_LARGEFILE"
    assert decode("open_mode", call_for("arm", "openat", [0, 0, 0o100, 0o644]), 3, "2") == "0644"
    assert decode("open_mode", call_for("arm", "openat", [0, 0, 0, 0o644]), 3, "2") is None


def test_strings_paths_and_bad_pointers():
    addr = put("x86_64", b"/a/rather/long/path/name/that/is/longer/than/32\0")
    call = call_for("x86_64", "open", [addr], limit=32)
    assert decode("path", call, 0) == '"/a/rather/long/path/name/that/is/longer/than/32"'
    assert decode("str", call, 0) == '"/a/rather/long/path/name/that/is"...'
    bad = call_for("x86_64", "open", [0x10])
    assert decode("path", bad, 0) == "0x10" and decode("str", bad, 0) == "0x10"
    assert decode("path", call_for("x86_64", "open", [0]), 0) == "NULL"
    assert decode("ibuf", call_for("x86_64", "write", [1, 0x10, 8]), 1, "2") == "0x10"


def test_rlimits_by_abi():
    addr = put("arm", struct.pack("<II", 8 << 20, 0xFFFFFFFF))
    assert decode("rlimit", call_for("arm", "setrlimit", [3, addr]), 1) == \
        "{rlim_cur=8192*1024, rlim_max=RLIM_INFINITY}"
    addr = put("x86_64", struct.pack("<QQ", 1024, (1 << 64) - 1))
    assert decode("rlimit64", call_for("x86_64", "prlimit64", [0, 7, addr, 0]), 2) == \
        "{rlim_cur=1024, rlim_max=RLIM64_INFINITY}"


def test_loff_t_pairs_on_32_bit_abis():
    """pread64's offset: one register on 64-bit, an (aligned, on ARM EABI) pair on 32-bit."""
    from linuxuser.syscalls.strace.tracer import make_plan
    for arch, raw, expected in (("x86_64", [3, 0x100, 4, 12], 12),
                                ("i386", [3, 0x100, 4, 12, 1], (1 << 32) | 12),
                                ("arm", [3, 0x100, 4, 0xDEAD, 12, 1], (1 << 32) | 12)):
        a = all_arches()[arch]
        plan = make_plan(a, "pread64")
        assert plan.values(raw, a.bits)[3] == expected, arch


# -- the tracer: line discipline with simulated threads ---------------------------------------

class FakeRegs:
    def __init__(self, values: dict[int, int]) -> None:
        self.values = values

    def read(self, reg: int) -> int:
        return self.values.get(reg, 0)


def fake_process(tmp_path, arch_name: str = "x86_64", **strace):
    arch = all_arches()[arch_name]
    mem = GuestMemory(1 << 32)
    mem.map(DATA, 0x10000, 3)
    process = SimpleNamespace(arch=arch, memory=mem, log=Log(str(tmp_path / "trace.log")),
                              threads=SimpleNamespace(vcpus=[]), pid=100, exit_status=None)
    return process, Tracer(process, StraceOptions(**strace))


def thread(process, tid: int, name: str, *args: int):
    """A vCPU stopped at syscall `name` with `args`: (vcpu, nr)."""
    nr = {v: k for k, v in syscall_names(process.arch.name).items()}[name]
    abi = process.arch.syscall_abi
    regs = dict(zip(abi.args, args))
    regs[abi.number] = nr
    vcpu = SimpleNamespace(tid=tid, regs=FakeRegs(regs))
    return vcpu, nr


def log_lines(tmp_path) -> list[str]:
    return (tmp_path / "trace.log").read_text().splitlines()


def test_blocked_call_is_unfinished_then_resumed(tmp_path):
    """Thread 101 blocks in read while thread 102 writes: strace's
    '<unfinished ...>' and '<... read resumed>' lines, each with its [pid N]."""
    process, tracer = fake_process(tmp_path)
    process.memory.write(DATA, b"hello")
    reader, nr_read = thread(process, 101, "read", 3, DATA + 0x100, 64)
    writer, nr_write = thread(process, 102, "write", 1, DATA, 5)
    process.threads.vcpus = [SimpleNamespace(tid=100), reader, writer]
    blocked = tracer.enter(reader, nr_read, "read")
    done = tracer.enter(writer, nr_write, "write")
    tracer.leave(done, 5)
    process.memory.write(DATA + 0x100, b"data!")
    tracer.leave(blocked, 5)
    assert log_lines(tmp_path) == [
        "[pid   101] read(3,  <unfinished ...>",
        '[pid   102] write(1, "hello", 5)        = 5',
        '[pid   101] <... read resumed>"data!", 64) = 5',
    ]


def test_one_thread_lines_stay_whole_and_unprefixed(tmp_path):
    process, tracer = fake_process(tmp_path)
    process.memory.write(DATA, b"/etc/passwd\0")
    vcpu, nr = thread(process, 100, "openat", (-100) & (2**64 - 1), DATA, 0o2000000)
    process.threads.vcpus = [vcpu]
    tracer.leave(tracer.enter(vcpu, nr, "openat"), -2)
    assert log_lines(tmp_path) == [
        'openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)']


def test_other_log_lines_interrupt_an_open_call(tmp_path):
    """linuxuser's own messages never land in the middle of a syscall line."""
    process, tracer = fake_process(tmp_path)
    vcpu, nr = thread(process, 100, "ioctl", 1, 0x9999, 0)
    process.threads.vcpus = [vcpu]
    call = tracer.enter(vcpu, nr, "ioctl")
    process.log.write("linuxuser: unsupported ioctl 0x9999: ENOTTY")
    tracer.leave(call, -25)
    lines = log_lines(tmp_path)
    assert lines[0] == "ioctl(1, 0x9999 /* _IOC_??? */,  <unfinished ...>"
    assert lines[1] == "linuxuser: unsupported ioctl 0x9999: ENOTTY"
    assert lines[2].startswith("<... ioctl resumed>NULL)") and lines[2].endswith(
        "= -1 ENOTTY (Inappropriate ioctl for device)")


def test_signal_sent_by_a_syscall_follows_its_line(tmp_path):
    process, tracer = fake_process(tmp_path)
    vcpu, nr = thread(process, 100, "tgkill", 100, 100, 6)
    process.threads.vcpus = [vcpu]
    call = tracer.enter(vcpu, nr, "tgkill")
    from linuxuser.signals import siginfo         # delivered while tgkill runs
    tracer.delivered(vcpu, 6, siginfo.user(process.arch, 6, siginfo.SI_TKILL, pid=100))
    tracer.leave(call, 0)
    tracer.finish(None, 6)
    uid = os.getuid()
    assert log_lines(tmp_path) == [
        "tgkill(100, 100, SIGABRT)               = 0",
        f"--- SIGABRT {{si_signo=SIGABRT, si_code=SI_TKILL, si_pid=100, si_uid={uid}}} ---",
        "+++ killed by SIGABRT +++",
    ]


def test_threads_cut_short_at_the_end(tmp_path):
    """exit_group while another thread sleeps in read: strace's '= ?' lines and
    a '+++ exited' line per thread."""
    process, tracer = fake_process(tmp_path)
    sleeper, nr_read = thread(process, 101, "read", 7, DATA, 1)
    leader, nr_exit = thread(process, 100, "exit_group", 0)
    process.threads.vcpus = [leader, sleeper]
    tracer.enter(sleeper, nr_read, "read")
    tracer.leave(tracer.enter(leader, nr_exit, "exit_group"), None)
    process.threads.vcpus = [leader, sleeper]
    tracer.finish(0, None)
    assert log_lines(tmp_path) == [
        "[pid   101] read(7,  <unfinished ...>",
        "[pid   100] exit_group(0)               = ?",
        "[pid   101] <... read resumed> <unfinished ...>) = ?",
        "[pid   101] +++ exited with 0 +++",
        "+++ exited with 0 +++",
    ]


def test_concurrent_threads_never_mix_lines(tmp_path):
    """Eight host threads trace 300 writes each at the same time: every line in
    the log is one whole strace line, and each thread's calls all complete."""
    process, tracer = fake_process(tmp_path)
    for i in range(8):
        process.memory.write(DATA + 64 * i, b"T%d-payload" % i)
    vcpus = [thread(process, 200 + i, "write", 1, DATA + 64 * i, 10) for i in range(8)]
    process.threads.vcpus = [v for v, _ in vcpus]

    def work(vcpu, nr):
        for _ in range(300):
            tracer.leave(tracer.enter(vcpu, nr, "write"), 10)

    workers = [threading.Thread(target=work, args=v) for v in vcpus]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    whole = re.compile(r'^\[pid   (2\d\d)\] write\(1, "T(\d)-payload", 10\) += 10$')
    start = re.compile(r'^\[pid   (2\d\d)\] write\(1, "T(\d)-payload", 10 <unfinished \.\.\.>$')
    resumed = re.compile(r"^\[pid   (2\d\d)\] <\.\.\. write resumed>\) += 10$")
    done: dict[str, int] = {}
    pending: set[str] = set()
    for line in log_lines(tmp_path):
        m = whole.match(line) or resumed.match(line)
        if m:
            assert line.startswith("[pid") and (whole.match(line) or m.group(1) in pending), line
            pending.discard(m.group(1))
            done[m.group(1)] = done.get(m.group(1), 0) + 1
            continue
        m = start.match(line)
        assert m and m.group(1) not in pending, line
        pending.add(m.group(1))
    assert not pending and done == {str(200 + i): 300 for i in range(8)}


def test_tracing_off_costs_nothing(monkeypatch):
    """Without -strace the syscall table keeps its plain dispatch, and without
    -d no engine gets a block hook."""
    from unicorn import UC_HOOK_BLOCK, Uc

    from linuxuser.process import GuestProcess, Options
    from linuxuser.syscalls.table import SyscallTable
    from linuxuser.translate.vcpu import Vcpu
    kinds = []
    original = Uc.hook_add

    def record(self, htype, *args, **kw):
        kinds.append(htype)
        return original(self, htype, *args, **kw)

    monkeypatch.setattr(Uc, "hook_add", record)
    process = GuestProcess(all_arches()["arm"], Options())
    Vcpu(process)
    assert process.tracer is None and "dispatch" not in vars(process.syscalls)
    assert process.syscalls.dispatch.__func__ is SyscallTable.dispatch
    assert UC_HOOK_BLOCK not in kinds
    traced = GuestProcess(all_arches()["arm"], Options(strace=True, debug={"exec"}))
    Vcpu(traced)
    assert traced.syscalls.dispatch.__func__ is SyscallTable._dispatch_traced
    assert UC_HOOK_BLOCK in kinds


def test_futex_lines_as_strace_prints_them(tmp_path):
    """The lines Debian's strace printed for glibc's pthread_join and a wake:
    the arguments an operation does not use are left out."""
    process, tracer = fake_process(tmp_path)
    waiter, nr = thread(process, 100, "futex", DATA, 9 | 256, 11244, 0, 0, 0xFFFFFFFF)
    waker, _ = thread(process, 100, "futex", DATA, 1 | 128, 1, 0x1234, 0x5678, 9)
    process.threads.vcpus = [waiter]
    tracer.leave(tracer.enter(waiter, nr, "futex"), 0)
    tracer.leave(tracer.enter(waker, nr, "futex"), 0)
    assert log_lines(tmp_path) == [
        f"futex({DATA:#x}, FUTEX_WAIT_BITSET|FUTEX_CLOCK_REALTIME, 11244, NULL, "
        "FUTEX_BITSET_MATCH_ANY) = 0",
        f"futex({DATA:#x}, FUTEX_WAKE_PRIVATE, 1)   = 0",
    ]


def test_clone3_line_as_strace_prints_it(tmp_path):
    """struct clone_args, then the parent tid the call stored ('=> {parent_tid=[N]}')."""
    process, tracer = fake_process(tmp_path)
    flags = 0x3D0F00        # glibc's pthread_create flags
    tid_at = DATA + 0x990
    process.memory.write(DATA, struct.pack("<8Q", flags, 0, tid_at, tid_at, 0, DATA + 0x4000,
                                           0x800300, DATA + 0x6C0))
    process.memory.write(tid_at, struct.pack("<i", 30681))
    vcpu, nr = thread(process, 100, "clone3", DATA, 88)
    process.threads.vcpus = [vcpu]
    tracer.leave(tracer.enter(vcpu, nr, "clone3"), 30681)
    assert log_lines(tmp_path) == [
        "clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|"
        "CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, "
        f"child_tid={tid_at:#x}, parent_tid={tid_at:#x}, exit_signal=0, stack={DATA + 0x4000:#x}, "
        f"stack_size=0x800300, tls={DATA + 0x6C0:#x}}} => {{parent_tid=[30681]}}, 88) = 30681"]


def test_thread_exit_keeps_its_pid_prefix(tmp_path):
    """A thread that calls exit(2) while another lives: its lines keep [pid N]
    although it leaves the thread list during the call, and it gets its own
    '+++ exited' line (the process goes on)."""
    process, tracer = fake_process(tmp_path)
    worker, nr = thread(process, 101, "exit", 0)
    leader = SimpleNamespace(tid=100)
    process.threads.vcpus = [leader, worker]
    call = tracer.enter(worker, nr, "exit")
    process.threads.vcpus = [leader]                        # thread_exit removed it
    process.log.write("linuxuser: a line that interrupts")
    tracer.leave(call, None)
    resumed = "[pid   101] <... exit resumed>)"
    assert log_lines(tmp_path) == [
        "[pid   101] exit(0 <unfinished ...>",
        "linuxuser: a line that interrupts",
        resumed + " " * (40 - len(resumed)) + "= ?",        # '=' in column 40
        "[pid   101] +++ exited with 0 +++",
    ]
