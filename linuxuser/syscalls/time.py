"""Clocks and sleeping, with the 32-bit time_t calls and their time64 twins;
process times (times, getrusage) and interval timers."""
from __future__ import annotations

import ctypes
import errno
import os
import signal
import struct
import time

from linuxuser.memory import PROT_WRITE
from linuxuser.syscalls import host
from linuxuser.signals import delivery
from linuxuser.signals.hostside import ERESTARTSYS
from linuxuser.syscalls.args import s32
from linuxuser.syscalls.futex import HostTimespec
from linuxuser.syscalls.polling import itimerspec_handlers
from linuxuser.syscalls.structs import (itimerval_layout, pack_rusage, timespec_layout,
                                        timeval_layout, tms_layout)
from linuxuser.syscalls.table import syscall

TIMER_ABSTIME = 1
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
        return _sleep(t, clock, flags & TIMER_ABSTIME, request, remain, time64)


_clock_handlers("clock_gettime", "clock_getres", "clock_nanosleep", False)
_clock_handlers("clock_gettime64", "clock_getres_time64", "clock_nanosleep_time64", True)


def _sleep(t, clock: int, flags: int, request: int, remain: int, time64: bool) -> int:
    """The host's clock_nanosleep (a signal interrupts it: `remain` then gets
    the time left, as the kernel writes it for a relative sleep).  The callers
    pass a clock that clock_nanosleep takes; the host refuses any other."""
    ns = _get_timespec_ns(t, request, time64)
    req = HostTimespec(ns // 10**9, ns % 10**9)
    left = HostTimespec()
    while True:
        try:
            return host.call("clock_nanosleep", clock, flags, ctypes.byref(req),
                             ctypes.byref(left))
        except OSError as err:
            if err.errno != ERESTARTSYS:
                raise
            if not delivery.handler_due(t):          # ignored: sleep on, for the time left
                if not flags:
                    req = HostTimespec(left.tv_sec, left.tv_nsec)
                continue
            if remain and not flags:
                _put_timespec(t, remain, left.tv_sec * 10**9 + left.tv_nsec, time64)
            raise


@syscall("nanosleep")
def sys_nanosleep(t, request, remain):
    return _sleep(t, time.CLOCK_MONOTONIC, 0, request, remain, False)


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


# -- POSIX timers: host timers, whose signals reach the guest like any other ------------

# Host (x86-64) syscall numbers.
_SYS_TIMER_CREATE, _SYS_TIMER_SETTIME, _SYS_TIMER_GETTIME = 222, 223, 224
_SYS_TIMER_GETOVERRUN, _SYS_TIMER_DELETE = 225, 226
SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD_ID = 0, 1, 4


class _HostSigevent(ctypes.Structure):
    _fields_ = [("value", ctypes.c_uint64), ("signo", ctypes.c_int), ("notify", ctypes.c_int),
                ("tid", ctypes.c_int), ("pad", ctypes.c_int * 11)]


def _timer_call(nr: int, *args) -> int:
    res = host.libc.syscall(ctypes.c_long(nr), *args)
    if res == -1:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return res


@syscall("timer_create")
def sys_timer_create(t, clock, sevp, timerid):
    """The guest's struct sigevent (sigval, signo, notify, thread id) on the host."""
    t.mem.check(timerid, 4, PROT_WRITE)
    event = None
    if sevp:
        w = t.arch.word_size
        value = int.from_bytes(t.mem.read(sevp, w), "little")
        signo, notify, tid = struct.unpack("<iii", t.mem.read(sevp + w, 12))
        if notify not in (SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD_ID):
            return -errno.EINVAL
        event = ctypes.byref(_HostSigevent(value, signo, notify, tid))
    host_id = ctypes.c_int()
    _timer_call(_SYS_TIMER_CREATE, ctypes.c_long(s32(clock)), event, ctypes.byref(host_id))
    t.mem.write(timerid, struct.pack("<i", host_id.value))
    return 0


for _names, _time64 in ((("timer_settime", "timer_gettime"), False),
                        (("timer_settime64", "timer_gettime64"), True)):
    itimerspec_handlers(*_names, _time64,
                        lambda timer, flags, new, old: _timer_call(
                            _SYS_TIMER_SETTIME, ctypes.c_long(timer), ctypes.c_long(flags), new, old),
                        lambda timer, cur: _timer_call(_SYS_TIMER_GETTIME, ctypes.c_long(timer), cur))


@syscall("timer_getoverrun")
def sys_timer_getoverrun(t, timerid):
    return _timer_call(_SYS_TIMER_GETOVERRUN, ctypes.c_long(s32(timerid)))


@syscall("timer_delete")
def sys_timer_delete(t, timerid):
    return _timer_call(_SYS_TIMER_DELETE, ctypes.c_long(s32(timerid)))
