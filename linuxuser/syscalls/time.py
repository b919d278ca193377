"""Clocks and sleeping, with the 32-bit time_t calls and their time64 twins;
process times (times, getrusage) and interval timers."""
from __future__ import annotations

import ctypes
import errno
import signal
import struct
import time

from linuxuser.memory import PROT_WRITE
from linuxuser.syscalls import host
from linuxuser.syscalls.args import s32
from linuxuser.syscalls.structs import (itimerval_layout, pack_rusage, timespec_layout,
                                        timeval_layout, tms_layout)
from linuxuser.syscalls.table import syscall

TIMER_ABSTIME = 1
_LONGEST_SLEEP_NS = 86400 * 10**9
# Clocks clock_nanosleep(2) accepts: REALTIME, MONOTONIC, PROCESS_CPUTIME_ID,
# BOOTTIME, REALTIME_ALARM, BOOTTIME_ALARM, TAI (not THREAD_CPUTIME_ID).
SLEEP_CLOCKS = {0, 1, 2, 7, 8, 9, 11}
CLOCK_THREAD_CPUTIME_ID = 3


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


def _sleep_ns(ns: int) -> None:
    """Sleep `ns` nanoseconds, however many (time.sleep takes at most a C time_t)."""
    while ns > 0:
        step = min(ns, _LONGEST_SLEEP_NS)
        time.sleep(step / 1e9)
        ns -= step


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
        clock = s32(clock)
        if clock == CLOCK_THREAD_CPUTIME_ID:
            return -errno.EOPNOTSUPP
        if clock not in SLEEP_CLOCKS:
            return -errno.EINVAL
        ns = _get_timespec_ns(t, request, time64)
        if flags & TIMER_ABSTIME:
            ns -= _now_ns(clock)
        _sleep_ns(ns)
        return 0


_clock_handlers("clock_gettime", "clock_getres", "clock_nanosleep", False)
_clock_handlers("clock_gettime64", "clock_getres_time64", "clock_nanosleep_time64", True)


@syscall("nanosleep")
def sys_nanosleep(t, request, remain):
    _sleep_ns(_get_timespec_ns(t, request, False))
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


# -- process times, interval timers -------------------------------------------------

@syscall("times")
def sys_times(t, buf):
    host_tms = ctypes.create_string_buffer(32)
    ticks = host.call("times", host_tms)
    if buf:
        values = struct.unpack("<4q", host_tms.raw)
        t.mem.write(buf, tms_layout(t.arch).pack(dict(zip(tms_layout(t.arch).fields, values))))
    return ticks & t.arch.word_mask


@syscall("getrusage")
def sys_getrusage(t, who, usage):
    host_ru = ctypes.create_string_buffer(144)
    host.call("getrusage", s32(who), host_ru)
    t.mem.write(usage, pack_rusage(t.arch, host_ru.raw))
    return 0


_HOST_ITIMERVAL = struct.Struct("<4q")


@syscall("setitimer")
def sys_setitimer(t, which, new, old):
    layout = itimerval_layout(t.arch)
    v = layout.unpack(t.mem.read(new, layout.size)) if new else dict.fromkeys(layout.fields, 0)
    if old:
        t.mem.check(old, layout.size, PROT_WRITE)
    host_new = ctypes.create_string_buffer(_HOST_ITIMERVAL.pack(*v.values()), 32)
    host_old = ctypes.create_string_buffer(32)
    host.call("setitimer", s32(which), host_new, host_old)
    if old:
        t.mem.write(old, layout.pack(dict(zip(layout.fields, _HOST_ITIMERVAL.unpack(host_old.raw)))))
    return 0


@syscall("getitimer")
def sys_getitimer(t, which, cur):
    layout = itimerval_layout(t.arch)
    host_cur = ctypes.create_string_buffer(32)
    host.call("getitimer", s32(which), host_cur)
    t.mem.write(cur, layout.pack(dict(zip(layout.fields, _HOST_ITIMERVAL.unpack(host_cur.raw)))))
    return 0


@syscall("alarm")
def sys_alarm(t, seconds):
    return signal.alarm(seconds & 0xFFFFFFFF)
