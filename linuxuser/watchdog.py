"""`LINUXUSER_DEADLINE=SECONDS`: a guest still running at the deadline says where
it hangs, then ends.

Meant for test harnesses (and for anyone chasing a hang): when the deadline
passes, a watchdog thread writes to stderr what each guest thread was doing --
its TID, its pc, whether it was in guest code or in which syscall, its last
syscalls with their raw arguments and results, and the Python stack of its host
thread -- then ends the process with status 124 (as timeout(1) does).

A thread, not a signal handler: Python runs signal handlers only on the main
thread, which may be spinning in guest code, and the guest's signals stay the
guest's.  The variable is removed from the guest's environment; a guest program
the guest exec's gets what is left of the deadline, its forked children none.  Without the variable nothing here runs.
"""
from __future__ import annotations

import collections
import os
import sys
import threading
import time
import traceback
from typing import TYPE_CHECKING

from linuxuser.signals import hostside

if TYPE_CHECKING:
    from linuxuser.process import GuestProcess
    from linuxuser.translate.vcpu import Vcpu

DEADLINE_VARIABLE = "LINUXUSER_DEADLINE"
EXIT_STATUS = 124
# Syscalls remembered per guest thread, and Python frames shown per host thread.
HISTORY, FRAMES = 12, 8
# How long stopped vCPUs get to leave translated code before their pc is read.
_STOP_SETTLE_SECONDS = 0.05


def deadline_seconds(environ=os.environ) -> float | None:
    """The deadline the environment asks for (None: no watchdog)."""
    value = environ.get(DEADLINE_VARIABLE)
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds > 0 else None


class Watchdog:
    """Remembers each thread's last syscalls; reports and ends the process at the deadline."""

    def __init__(self, process: GuestProcess, seconds: float) -> None:
        self.process = process
        self.seconds = seconds
        self.history: dict[int, collections.deque] = {}
        table = process.syscalls
        self._dispatch = table.dispatch
        table.dispatch = self._dispatch_recorded

    def start(self) -> None:
        threading.Thread(target=self._wait, name="linuxuser-watchdog", daemon=True).start()

    def _dispatch_recorded(self, vcpu: Vcpu) -> None:
        table, regs = self.process.syscalls, vcpu.regs
        nr = regs.read(table.abi.number)
        entry = table.entries.get(nr)
        nargs = entry.nargs if entry is not None and entry.handler is not None else 6
        call = [table.name(nr), [regs.read(r) for r in table.abi.args[:nargs]], None]
        self.history.setdefault(vcpu.tid, collections.deque(maxlen=HISTORY)).append(call)
        self._dispatch(vcpu)
        call[2] = regs.read(table.abi.result)

    def _wait(self) -> None:
        # Signals for the guest must not land on this thread, which has no engine
        # to deliver them (the kernel gives a process-directed signal to any
        # thread that does not block it).
        hostside.set_thread_mask(~0)
        time.sleep(self.seconds)
        report = self.report()
        try:
            os.write(2, report.encode("utf-8", "backslashreplace"))
        finally:
            os._exit(EXIT_STATUS)

    def report(self) -> str:
        """What every guest thread is doing now."""
        vcpus = list(self.process.threads.vcpus)
        running = [v for v in vcpus if v.in_guest]
        for vcpu in running:           # so that each engine's pc is where it runs
            vcpu.uc.emu_stop()
        if running:
            time.sleep(_STOP_SETTLE_SECONDS)
        stacks = _host_stacks(vcpus)
        lines = [f"linuxuser: deadline of {self.seconds:g} s ({DEADLINE_VARIABLE}) passed; "
                 f"{len(vcpus)} guest thread(s):"]
        for vcpu in vcpus:
            calls = list(self.history.get(vcpu.tid, ()))
            if vcpu in running:
                state = "in guest code"
            elif calls and calls[-1][2] is None:
                state = f"in syscall {calls[-1][0]}"
            else:
                state = "not in guest code"
            try:
                pc = f"{self.process.arch.get_pc(vcpu.uc):#x}"
            except Exception as err:          # an engine being torn down
                pc = f"unknown ({err})"
            lines.append(f"  thread {vcpu.tid}: pc {pc}, {state}; last syscalls:")
            lines += [f"    {_format_call(call)}" for call in calls] or ["    (none)"]
            lines += [f"    | {frame}" for frame in stacks.get(id(vcpu), [])]
        return "\n".join(lines) + "\n"


def _format_call(call: list) -> str:
    name, args, result = call
    text = f"{name}({', '.join(hex(a) for a in args)})"
    return text + (" ..." if result is None else f" = {result:#x}")


def _host_stacks(vcpus: list[Vcpu]) -> dict[int, list[str]]:
    """id(vCPU) -> the innermost Python frames of the host thread running it."""
    from linuxuser.translate.vcpu import Vcpu

    stacks = {}
    for frame in sys._current_frames().values():
        outer = frame
        while outer is not None and outer.f_code is not Vcpu.run.__code__:
            outer = outer.f_back
        if outer is None or outer.f_locals.get("self") not in vcpus:
            continue
        summary = traceback.extract_stack(frame)[-FRAMES:]
        stacks[id(outer.f_locals["self"])] = [
            f"{os.path.basename(f.filename)}:{f.lineno} {f.name}" for f in summary]
    return stacks


_ends_at: float | None = None          # time.monotonic() of the deadline, once armed


def arm(process: GuestProcess) -> None:
    """Start the watchdog if the environment sets a deadline."""
    global _ends_at
    seconds = deadline_seconds()
    if seconds is not None:
        _ends_at = time.monotonic() + seconds
        Watchdog(process, seconds).start()


def carried_environment() -> list[bytes]:
    """For the linuxuser that runs a program the guest exec's: what is left of
    the deadline (nothing without one)."""
    if _ends_at is None:
        return []
    left = max(_ends_at - time.monotonic(), 0.1)
    return [f"{DEADLINE_VARIABLE}={left:.3f}".encode()]
