"""The per-process strace tracer: one line per syscall, signals, the end, -c.

A call's name and input arguments are written when it starts and the line is
left open (Log.start_line); its output arguments and result are written when it
returns.  If anything else reaches the log in between (another thread's call,
a signal), the open line ends with " <unfinished ...>" and the call finishes
later on a "<... NAME resumed>" line, as strace prints it.  Lines carry a
"[pid TID] " prefix while the process has more than one thread.
"""
from __future__ import annotations

import errno
import os
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from linuxuser.syscalls.args import s32, s64
from linuxuser.syscalls.strace import format as F
from linuxuser.syscalls.strace import xlat
from linuxuser.syscalls.strace.decoders import RESULT_KINDS
from linuxuser.syscalls.strace.kinds import KINDS, Call, Kind
from linuxuser.syscalls.strace.options import StraceOptions
from linuxuser.syscalls.strace.signatures import RESULTS, signature

if TYPE_CHECKING:
    from linuxuser.process import GuestProcess

ALIGN_COLUMN = 40            # strace writes " = result" from this column on
# Names strace uses where Python's errno.errorcode picks an alias.
ERRNO_NAMES = {errno.EAGAIN: "EAGAIN", errno.EDEADLK: "EDEADLK", errno.EOPNOTSUPP: "EOPNOTSUPP"}
# How long the end of the process waits for other threads' calls to show their
# results (only while tracing).
SETTLE_SECONDS = 0.05
FORK_LIKE = frozenset({"fork", "vfork", "clone", "clone3"})
CLONE_THREAD = 0x10000
# Results the kernel gives a call a signal interrupted (include/linux/errno.h),
# as strace prints them.
RESTART_TEXTS = {512: "ERESTARTSYS (To be restarted if SA_RESTART is set)",
                 513: "ERESTARTNOINTR (To be restarted)",
                 514: "ERESTARTNOHAND (To be restarted if no handler)",
                 516: "ERESTART_RESTARTBLOCK (Interrupted by signal)"}
CLD_CODES = {1: "CLD_EXITED", 2: "CLD_KILLED", 3: "CLD_DUMPED", 4: "CLD_TRAPPED",
             5: "CLD_STOPPED", 6: "CLD_CONTINUED"}
FAULTS = frozenset({"SIGSEGV", "SIGBUS", "SIGILL", "SIGFPE", "SIGTRAP"})


@dataclass(frozen=True)
class Arg:
    kind: Kind
    param: str
    reg: int                 # first register
    wide: str


@dataclass(frozen=True)
class Plan:
    """How one syscall number is printed on this arch (computed once)."""
    name: str
    args: tuple[Arg, ...]
    result: str              # "dec", "hex", "octal"

    def values(self, raw: list[int], bits: int) -> list[int]:
        out = []
        for a in self.args:
            if a.wide == "off64" and bits == 32:
                out.append(s64(raw[a.reg] | raw[a.reg + 1] << 32))
            elif a.wide == "hilo":
                out.append(s64(raw[a.reg] << 32 | raw[a.reg + 1]))
            elif a.wide == "alias":
                out.append(out[int(a.param)])
            else:
                out.append(raw[a.reg] if a.reg < len(raw) else 0)
        return out


def make_plan(arch, name: str) -> Plan:
    args, reg = [], 0
    for kind_name, param in signature(arch.name, name):
        k = KINDS[kind_name]
        if k.wide == "off64" and arch.bits == 32:
            if arch.regpair_aligned and reg % 2:
                reg += 1
            args.append(Arg(k, param, reg, k.wide))
            reg += 2
        elif k.wide == "hilo":
            args.append(Arg(k, param, reg, k.wide))
            reg += 2
        elif k.wide == "alias":
            args.append(Arg(k, param, -1, k.wide))
        else:
            args.append(Arg(k, param, reg, ""))
            reg += 1
    return Plan(name, tuple(args), RESULTS.get(name, "dec"))


def error_text(err: int) -> str:
    name = ERRNO_NAMES.get(err) or errno.errorcode.get(err) or f"E{err}"
    return f"-1 {name} ({os.strerror(err)})"


class Tracer:
    """strace for one guest process: see the module docstring."""

    def __init__(self, process: GuestProcess, options: StraceOptions) -> None:
        self.process = process
        self.arch = process.arch
        self.log = process.log
        self.options = options
        self.lines = options.summary != "only"
        self.timed = options.durations or bool(options.summary)
        self.traced = options.traced
        self._plans: dict[int, Plan] = {}
        self._inflight: dict[int, Call] = {}       # tid -> its call in progress
        self._threads: set[int] = set()            # tids seen and not exited
        self._counts: dict[str, list] = {}         # name -> [nr, calls, errors, seconds]
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self.multi_process = False                 # a fork happened: always [pid N]

    # -- syscalls ----------------------------------------------------------------------

    def plan(self, nr: int, name: str) -> Plan:
        plan = self._plans.get(nr)
        if plan is None:
            plan = self._plans[nr] = make_plan(self.arch, name)
        return plan

    def enter(self, vcpu, nr: int, name: str) -> Call | None:
        """A syscall starts: print its name and input arguments (None: not traced)."""
        if self.traced is not None and name not in self.traced:
            return None
        plan = self.plan(nr, name)
        raw = [vcpu.regs.read(r) for r in self.arch.syscall_abi.args]
        call = Call(self.process, vcpu.tid, nr, name, raw, plan.values(raw, self.arch.bits),
                    self.options.string_limit)
        self._inflight[call.tid] = call
        self._threads.add(call.tid)
        if self.lines:
            pieces, rest = [], []
            for i, a in enumerate(plan.args):
                if a.kind.out:
                    rest = [j for j in range(i, len(plan.args))
                            if plan.args[j].kind.shown(call, plan.args[j].param)]
                    break
                text = a.kind.fn(call, call.values[i], a.param)
                if text is None:
                    break
                pieces.append(text)
            call.exit_args = tuple(rest)
            more = pieces and rest and not plan.args[rest[0]].kind.glue
            call.prefixed = self._several()
            call.entry_text = self.prefix(call.tid) + name + "(" + ", ".join(pieces) + (
                ", " if more else "")
            if self.options.statuses is None:
                self.log.start_line(call, call.entry_text)
        if self.timed:
            call.started = time.perf_counter()
        return call

    def leave(self, call: Call, result: int | None) -> None:
        """The syscall returned `result` (None: it did not return): finish its line."""
        elapsed = time.perf_counter() - call.started if self.timed else 0.0
        if os.getpid() != self._pid:
            self._became_child()
            return
        self._inflight.pop(call.tid, None)
        call.result = result
        failed = call.failed and result is not None
        if self.options.summary and result is not None:     # as strace: exit is not counted
            self._count(call, failed, elapsed)
        if call.name in FORK_LIKE and not call.failed and not call.raw[0] & CLONE_THREAD:
            self.multi_process = True
        if not self.lines:
            return
        plan = self._plans[call.nr]
        tail = self._exit_args(plan, call) + ")"
        suffix = "= " + self.result_text(plan, call)
        if self.options.durations and result is not None:
            suffix += f" <{elapsed:.6f}>"
        if self.options.statuses is not None:
            if self._status(result) in self.options.statuses:
                self.log.write(_aligned(call.entry_text + tail, suffix))
        else:
            self.log.finish_line(call, lambda still_open: self._rest(call, tail, suffix, still_open))
        if call.name == "exit" and result is None and self.process.exit_status is None:
            self._threads.discard(call.tid)          # one thread of several ended
            self.log.write(f"{self.prefix(call.tid, True)}+++ exited with {call.values[0] & 0xFF} +++")
        for line in call.after:
            self.log.write(line)

    @staticmethod
    def _exit_args(plan: Plan, call: Call) -> str:
        """The arguments printed when the call returns, separated as the entry left off."""
        out, separate = [], False
        for i in call.exit_args:
            a = plan.args[i]
            value = call.values[i]
            if a.kind.out and call.failed and not a.kind.own_errors:
                text = F.pointer(value)
            else:
                text = a.kind.fn(call, value, a.param)
            if text is None:
                break
            if separate and not a.kind.glue:
                out.append(", ")
            out.append(text)
            separate = True
        return "".join(out)

    def _rest(self, call: Call, tail: str, suffix: str, still_open: bool) -> str:
        if still_open:
            column = len(call.entry_text) + len(tail)
            return _pad(tail, column, suffix)
        # The thread is still there: keep its [pid N] even if it is about to go.
        head = f"{self.prefix(call.tid, call.prefixed or None)}<... {call.name} resumed>" + tail
        return _aligned(head, suffix)

    @staticmethod
    def result_text(plan: Plan, call: Call) -> str:
        result = call.result
        if result is None:
            return "?"
        if -result in RESTART_TEXTS:
            return "? " + RESTART_TEXTS[-result]
        if -4096 < result < 0:
            return error_text(-result)
        return RESULT_KINDS[plan.result](call, result)

    @staticmethod
    def _status(result: int | None) -> str:
        if result is None:
            return "unfinished"
        return "failed" if -4096 < result < 0 else "successful"

    def _several(self) -> bool:
        return self.multi_process or len(self.process.threads.vcpus) > 1

    def prefix(self, tid: int, with_pid: bool | None = None) -> str:
        """"[pid TID] " while there are several threads (or processes), then -t's time."""
        if with_pid is None:
            with_pid = self._several()
        text = f"[pid {tid:5d}] " if with_pid else ""
        stamps = self.options.timestamps
        if stamps:
            now = time.time()
            if stamps >= 3:
                text += f"{int(now)}.{int(now * 1e6) % 1000000:06d} "
            else:
                text += time.strftime("%H:%M:%S", time.localtime(now))
                text += f".{int(now * 1e6) % 1000000:06d} " if stamps == 2 else " "
        return text

    def _count(self, call: Call, failed: bool, elapsed: float) -> None:
        with self._lock:
            entry = self._counts.setdefault(call.name, [call.nr, 0, 0, 0.0])
            entry[1] += 1
            entry[2] += failed
            entry[3] += elapsed

    def _became_child(self) -> None:
        """First traced return in a forked child: the fork's own line is the parent's."""
        self._pid = os.getpid()
        self._inflight.clear()
        self.multi_process = True
        self.log.forget_open_line()

    # -- signals and the end -----------------------------------------------------------

    def delivered(self, vcpu, sig: int, info: bytes) -> None:
        """A signal reaches this thread: --- SIGUSR1 {si_signo=SIGUSR1, ...} ---."""
        if not self.lines or (self.options.signals is not None and sig not in self.options.signals):
            return
        line = f"{self.prefix(vcpu.tid)}--- {F.signal_name(sig)} {{{siginfo_text(self.arch, info)}}} ---"
        call = self._inflight.get(vcpu.tid)
        if call is not None:
            call.after.append(line)
        else:
            self.log.write(line)

    def settle(self, caller_tid: int, timeout: float = SETTLE_SECONDS) -> None:
        """Before the process ends: another thread's call that the host has
        completed (its handler is returning) gets to show its result, as the
        kernel would have finished it; a call blocked for good is cut short
        after `timeout`."""
        deadline = time.monotonic() + timeout
        while any(tid != caller_tid for tid in list(self._inflight)):
            if time.monotonic() >= deadline:
                return
            time.sleep(0.002)

    def finish(self, exit_status: int | None, killed_by: int | None) -> None:
        """The process ends: unfinished calls, +++ lines, then the -c summary."""
        if self.lines:
            for call in list(self._inflight.values()):       # threads killed mid-call
                self.log.finish_line(call, lambda still_open, c=call: self._rest(
                    c, " <unfinished ...>)", "= ?", still_open))
            end = (f"+++ killed by {F.signal_name(killed_by)} +++" if killed_by is not None
                   else f"+++ exited with {exit_status or 0} +++")
            shown = self.options.signals is None or killed_by is None \
                or killed_by in self.options.signals      # strace filters "killed by" too
            threads = self._threads | {vcpu.tid for vcpu in list(self.process.threads.vcpus)}
            for tid in sorted(threads - {self.process.pid}) if shown else ():
                self.log.write(f"{self.prefix(tid, True)}{end}")
            if shown:
                self.log.write(self.prefix(self.process.pid, self.multi_process) + end)
        if self.options.summary:
            for line in summary_table(self._counts, self.options.sort_by):
                self.log.write(line)


def _pad(text: str, column: int, suffix: str) -> str:
    """text, a space, spaces up to ALIGN_COLUMN, then suffix (strace's tabto)."""
    column += 1
    return text + " " + " " * max(0, ALIGN_COLUMN - column) + suffix


def _aligned(line: str, suffix: str) -> str:
    return _pad(line, len(line), suffix)


def summary_table(counts: dict[str, list], sort_by: str = "time") -> list[str]:
    """strace -c's table: % time, seconds, usecs/call, calls, errors, syscall."""
    rows = sorted(counts.items(), key=lambda kv: kv[1][0])          # by number first
    if sort_by == "time":
        rows.sort(key=lambda kv: -kv[1][3])
    elif sort_by == "calls":
        rows.sort(key=lambda kv: -kv[1][1])
    elif sort_by == "errors":
        rows.sort(key=lambda kv: -kv[1][2])
    elif sort_by == "name":
        rows.sort(key=lambda kv: kv[0])
    total_time = sum(v[3] for _, v in rows)
    total_calls = sum(v[1] for _, v in rows)
    total_errors = sum(v[2] for _, v in rows)
    avg_max = max((v[3] / v[1] for _, v in rows if v[1]), default=0.0)
    w_sec = max(11, len(f"{total_time:.6f}"))
    w_avg = max(11, len(str(int(avg_max * 1e6))))
    w_calls = max(9, len(str(total_calls)))
    w_err = max(9, len(str(total_errors)))
    w_name = max(16, max((len(n) for n, _ in rows), default=0) + 1)
    widths = (6, w_sec, w_avg, w_calls, w_err, w_name)

    def row(pct: float, secs: float, avg: int, calls: int, errors: int, name: str) -> str:
        return (f"{pct:6.2f} {secs:{w_sec}.6f} {avg:{w_avg}d} {calls:{w_calls}d} "
                f"{(str(errors) if errors else ''):>{w_err}} {name}")

    out = [f"{'% time':>6} {'seconds':>{w_sec}} {'usecs/call':>{w_avg}} {'calls':>{w_calls}} "
           f"{'errors':>{w_err}} syscall",
           " ".join("-" * w for w in widths)]
    for name, (_nr, calls, errors, secs) in rows:
        pct = 100.0 * secs / total_time if total_time else 0.0
        out.append(row(pct, secs, int(secs / calls * 1e6), calls, errors, name))
    out.append(" ".join("-" * w for w in widths))
    avg = int(total_time / total_calls * 1e6) if total_calls else 0
    out.append(row(100.0, total_time, avg, total_calls, total_errors, "total"))
    return out


def siginfo_text(arch, info: bytes) -> str:
    """A guest siginfo_t as strace prints it between the braces."""
    import struct
    sig, _errno, code = struct.unpack_from("<iii", info)
    name = F.signal_name(sig)
    u = 16 if arch.bits == 64 else 12
    w = arch.ulong_fmt
    word = struct.calcsize(w)
    if sig == 17 and code > 0:                              # SIGCHLD
        pid, uid, status = struct.unpack_from("<iIi", info, u)
        utime, stime = struct.unpack_from("<2" + arch.long_fmt, info, u + (16 if word == 8 else 12))
        status_text = F.signal_name(status) if code in (2, 3, 4, 5, 6) else str(status)
        return (f"si_signo={name}, si_code={CLD_CODES.get(code, code)}, si_pid={pid}, "
                f"si_uid={uid}, si_status={status_text}, si_utime={utime}, si_stime={stime}")
    code_text = (xlat.SIGNAL_SI_CODES.get(name, {}).get(code) if code > 0 and name in FAULTS
                 else None) or xlat.SI_CODES.get(code, str(code))
    text = f"si_signo={name}, si_code={code_text}"
    if code > 0 and name in FAULTS:
        addr, = struct.unpack_from("<" + w, info, u)
        return text + f", si_addr={F.pointer(addr)}"
    if code in (0, -6):                                     # SI_USER, SI_TKILL
        pid, uid = struct.unpack_from("<iI", info, u)
        return text + f", si_pid={pid}, si_uid={uid}"
    if code in (-1, -3, -4):                                # SI_QUEUE, SI_MESGQ, SI_ASYNCIO
        pid, uid = struct.unpack_from("<iI", info, u)
        val, = struct.unpack_from("<" + w, info, u + 8)
        return text + f", si_pid={pid}, si_uid={uid}, si_int={s32(val)}, si_ptr={F.pointer(val)}"
    if code == -2:                                          # SI_TIMER
        tid, overrun = struct.unpack_from("<ii", info, u)
        val, = struct.unpack_from("<" + w, info, u + 8)
        return text + (f", si_timerid={tid}, si_overrun={overrun}, "
                       f"si_int={s32(val)}, "
                       f"si_ptr={F.pointer(val)}")
    return text
