"""Clocks and sleeping, with the 32-bit time_t calls and their time64 twins."""
from __future__ import annotations

import errno
import time

from linuxuser.syscalls.args import s32
from linuxuser.syscalls.structs import timespec_layout, timeval_layout
from linuxuser.syscalls.table import syscall

TIMER_ABSTIME = 1


def _now_ns(clock: int) -> int:
    try:
        return time.clock_gettime_ns(clock)
    except OSError:
        raise OSError(errno.EINVAL, "clock") from None


def _put_timespec(t, addr: int, ns: int, time64: bool) -> None:
    layout = timespec_layout(t.arch, time64)
    t.mem.write(addr, layout.pack({"sec": ns // 10**9, "nsec": ns % 10**9}))


def _get_timespec_ns(t, addr: int, time64: bool) -> int:
    layout = timespec_layout(t.arch, time64)
    ts = layout.unpack(t.mem.read(addr, layout.size))
    if ts["sec"] < 0 or not 0 <= ts["nsec"] < 10**9:
        raise OSError(errno.EINVAL, "timespec")
    return ts["sec"] * 10**9 + ts["nsec"]


def _clock_handlers(gettime: str, getres: str, nanosleep: str, time64: bool) -> None:
    @syscall(gettime)
    def sys_clock_gettime(t, clock, tp):
        _put_timespec(t, tp, _now_ns(s32(clock)), time64)
        return 0

    @syscall(getres)
    def sys_clock_getres(t, clock, res):
        ns = round(time.clock_getres(s32(clock)) * 10**9)
        if res:
            _put_timespec(t, res, ns, time64)
        return 0

    @syscall(nanosleep)
    def sys_clock_nanosleep(t, clock, flags, request, remain):
        ns = _get_timespec_ns(t, request, time64)
        if flags & TIMER_ABSTIME:
            ns -= _now_ns(s32(clock))
        if ns > 0:
            time.sleep(ns / 1e9)
        return 0


_clock_handlers("clock_gettime", "clock_getres", "clock_nanosleep", False)
_clock_handlers("clock_gettime64", "clock_getres_time64", "clock_nanosleep_time64", True)


@syscall("nanosleep")
def sys_nanosleep(t, request, remain):
    ns = _get_timespec_ns(t, request, False)
    time.sleep(ns / 1e9)
    return 0


@syscall("gettimeofday")
def sys_gettimeofday(t, tv, tz):
    ns = time.time_ns()
    if tv:
        layout = timeval_layout(t.arch)
        t.mem.write(tv, layout.pack({"sec": ns // 10**9, "usec": ns % 10**9 // 1000}))
    if tz:
        t.mem.write(tz, bytes(8))
    return 0


@syscall("time")
def sys_time(t, tloc):
    now = time.time_ns() // 10**9
    if tloc:
        t.mem.write(tloc, now.to_bytes(t.arch.word_size, "little"))
    return now
