"""Waiting for file descriptors: poll, select, epoll; eventfd and timerfd.

struct pollfd and fd_set have the same bytes on every guest arch (fd_set is
read in whole guest longs); struct epoll_event, timespec, timeval and
itimerspec are converted per ABI.  The host calls block without the GIL.
"""
from __future__ import annotations

import ctypes
import errno
import os
import resource
import struct

from linuxuser.memory import PROT_READ, PROT_WRITE
from linuxuser.syscalls import host
from linuxuser.syscalls.args import s32
from linuxuser.syscalls.structs import (EPOLL_EVENT_LAYOUTS, itimerspec_layout,
                                        timespec_layout, timeval_layout)
from linuxuser.syscalls.table import syscall

POLLFD_SIZE = 8
HOST_SIGSET_SIZE = 128                 # glibc's sigset_t (the kernel reads the first 8)
EPOLL_EVENT_HOST = EPOLL_EVENT_LAYOUTS["x86_64"]
EP_MAX_EVENTS = 0x7FFFFFFF // EPOLL_EVENT_HOST.size
FD_SETSIZE_MAX = 1 << 20


class Timespec(ctypes.Structure):
    _fields_ = [("sec", ctypes.c_int64), ("nsec", ctypes.c_int64)]


class Timeval(ctypes.Structure):
    _fields_ = [("sec", ctypes.c_int64), ("usec", ctypes.c_int64)]


def read_timespec(t, addr: int, time64: bool) -> Timespec | None:
    """A guest struct timespec as the host's (None for a NULL pointer)."""
    if not addr:
        return None
    layout = timespec_layout(t.arch, time64)
    v = layout.unpack(t.mem.read(addr, layout.size))
    return Timespec(v["sec"], v["nsec"])


def write_timespec(t, addr: int, ts: Timespec, time64: bool) -> None:
    t.mem.write(addr, timespec_layout(t.arch, time64).pack({"sec": ts.sec, "nsec": ts.nsec}))


def host_sigset(t, addr: int, size: int):
    """A guest kernel sigset (8 bytes) as a host sigset_t buffer, or None."""
    if not addr:
        return None
    if size != 8:
        raise OSError(errno.EINVAL, "sigsetsize")
    buf = ctypes.create_string_buffer(HOST_SIGSET_SIZE)
    buf[:8] = t.mem.read(addr, 8)
    return buf


# -- poll ------------------------------------------------------------------------

@syscall("poll")
def sys_poll(t, fds, nfds, timeout):
    _check_nfds(nfds)
    ptr = t.mem.check(fds, POLLFD_SIZE * nfds, PROT_READ | PROT_WRITE)
    return host.call("poll", ptr, nfds, s32(timeout))


def _check_nfds(nfds: int) -> None:
    """Linux refuses more pollfds than RLIMIT_NOFILE allows before reading any."""
    if nfds > resource.getrlimit(resource.RLIMIT_NOFILE)[0]:
        raise OSError(errno.EINVAL, "nfds")


def _ppoll_handler(name: str, time64: bool) -> None:
    @syscall(name)
    def sys_ppoll(t, fds, nfds, tmo, sigmask, sigsetsize):
        _check_nfds(nfds)
        ptr = t.mem.check(fds, POLLFD_SIZE * nfds, PROT_READ | PROT_WRITE)
        ts = read_timespec(t, tmo, time64)
        res = host.call("ppoll", ptr, nfds, ctypes.byref(ts) if ts else None,
                        host_sigset(t, sigmask, sigsetsize))
        if ts is not None:
            write_timespec(t, tmo, ts, time64)
        return res


_ppoll_handler("ppoll", False)
_ppoll_handler("ppoll_time64", True)


# -- select ----------------------------------------------------------------------

def _fd_sets(t, nfds: int, addrs) -> tuple[list, int]:
    """Host fd_set buffers for the guest's (None for NULL); the guest's byte count."""
    if not 0 <= nfds <= FD_SETSIZE_MAX:
        raise OSError(errno.EINVAL, "nfds")
    bits = t.arch.bits
    nbytes = (nfds + bits - 1) // bits * t.arch.word_size
    host_bytes = max(128, (nfds + 63) // 64 * 8)
    out = []
    for addr in addrs:
        if not addr:
            out.append(None)
            continue
        buf = ctypes.create_string_buffer(host_bytes)
        buf[:nbytes] = t.mem.read(addr, nbytes)
        t.mem.check(addr, nbytes, PROT_WRITE)
        out.append(buf)
    return out, nbytes


def _put_fd_sets(t, addrs, sets, nbytes: int) -> None:
    for addr, buf in zip(addrs, sets):
        if buf is not None:
            t.mem.write(addr, buf.raw[:nbytes])


def do_select(t, nfds, readfds, writefds, exceptfds, timeout) -> int:
    """select(2) with a guest struct timeval (updated with the time left, as Linux)."""
    nfds = s32(nfds)
    addrs = (readfds, writefds, exceptfds)
    sets, nbytes = _fd_sets(t, nfds, addrs)
    tv = None
    if timeout:
        layout = timeval_layout(t.arch)
        v = layout.unpack(t.mem.read(timeout, layout.size))
        if v["sec"] < 0 or v["usec"] < 0:
            return -errno.EINVAL
        tv = Timeval(v["sec"] + v["usec"] // 10**6, v["usec"] % 10**6)
    res = host.call("select", nfds, *sets, ctypes.byref(tv) if tv else None)
    _put_fd_sets(t, addrs, sets, nbytes)
    if tv is not None:
        t.mem.write(timeout, timeval_layout(t.arch).pack({"sec": tv.sec, "usec": tv.usec}))
    return res


@syscall("select")
def sys_select(t, nfds, readfds, writefds, exceptfds, timeout):
    if t.arch.select_takes_struct:
        # i386's old select: one pointer to the five arguments.
        fmt = "<5" + t.arch.ulong_fmt
        args = struct.unpack(fmt, t.mem.read(nfds, struct.calcsize(fmt)))
        return do_select(t, *args)
    return do_select(t, nfds, readfds, writefds, exceptfds, timeout)


@syscall("_newselect")
def sys_newselect(t, nfds, readfds, writefds, exceptfds, timeout):
    return do_select(t, nfds, readfds, writefds, exceptfds, timeout)


def _pselect_handler(name: str, time64: bool) -> None:
    @syscall(name)
    def sys_pselect6(t, nfds, readfds, writefds, exceptfds, tmo, sigdata):
        nfds = s32(nfds)
        addrs = (readfds, writefds, exceptfds)
        sets, nbytes = _fd_sets(t, nfds, addrs)
        ts = read_timespec(t, tmo, time64)
        mask = None
        if sigdata:
            fmt = "<2" + t.arch.ulong_fmt
            ss, ss_size = struct.unpack(fmt, t.mem.read(sigdata, struct.calcsize(fmt)))
            mask = host_sigset(t, ss, ss_size)
        res = host.call("pselect", nfds, *sets, ctypes.byref(ts) if ts else None, mask)
        _put_fd_sets(t, addrs, sets, nbytes)
        return res


_pselect_handler("pselect6", False)
_pselect_handler("pselect6_time64", True)


# -- epoll -----------------------------------------------------------------------

@syscall("epoll_create")
def sys_epoll_create(t, size):
    if s32(size) <= 0:
        return -errno.EINVAL
    return host.call("epoll_create1", 0)


@syscall("epoll_create1")
def sys_epoll_create1(t, flags):
    return host.call("epoll_create1", s32(flags))


@syscall("epoll_ctl")
def sys_epoll_ctl(t, epfd, op, fd, event):
    layout = EPOLL_EVENT_LAYOUTS[t.arch.name]
    host_event = None
    if event:
        host_event = ctypes.create_string_buffer(
            EPOLL_EVENT_HOST.pack(layout.unpack(t.mem.read(event, layout.size))))
    return host.call("epoll_ctl", s32(epfd), s32(op), s32(fd), host_event)


def _epoll_wait(t, epfd, events, maxevents, timeout_ms, sigmask=None, timeout_ts=None) -> int:
    maxevents = s32(maxevents)
    if not 0 < maxevents <= EP_MAX_EVENTS:
        return -errno.EINVAL
    layout = EPOLL_EVENT_LAYOUTS[t.arch.name]
    t.mem.check(events, layout.size * maxevents, PROT_WRITE)
    buf = ctypes.create_string_buffer(EPOLL_EVENT_HOST.size * maxevents)
    if timeout_ts is not None:
        n = host.call("epoll_pwait2", s32(epfd), buf, maxevents, timeout_ts, sigmask)
    else:
        n = host.call("epoll_pwait", s32(epfd), buf, maxevents, timeout_ms, sigmask)
    raw = buf.raw
    out = b"".join(layout.pack(EPOLL_EVENT_HOST.unpack(raw[i * EPOLL_EVENT_HOST.size:]))
                   for i in range(n))
    t.mem.write(events, out)
    return n


@syscall("epoll_wait")
def sys_epoll_wait(t, epfd, events, maxevents, timeout):
    return _epoll_wait(t, epfd, events, maxevents, s32(timeout))


@syscall("epoll_pwait")
def sys_epoll_pwait(t, epfd, events, maxevents, timeout, sigmask, sigsetsize):
    return _epoll_wait(t, epfd, events, maxevents, s32(timeout),
                       host_sigset(t, sigmask, sigsetsize))


@syscall("epoll_pwait2")
def sys_epoll_pwait2(t, epfd, events, maxevents, timeout, sigmask, sigsetsize):
    ts = read_timespec(t, timeout, True)          # always a 64-bit __kernel_timespec
    return _epoll_wait(t, epfd, events, maxevents, -1, host_sigset(t, sigmask, sigsetsize),
                       ctypes.byref(ts) if ts else None)


# -- eventfd, timerfd ------------------------------------------------------------

@syscall("eventfd2")
def sys_eventfd2(t, initval, flags):
    return os.eventfd(initval & 0xFFFFFFFF, s32(flags))


@syscall("eventfd")
def sys_eventfd(t, initval):
    return os.eventfd(initval & 0xFFFFFFFF, 0)


@syscall("timerfd_create")
def sys_timerfd_create(t, clockid, flags):
    return host.call("timerfd_create", s32(clockid), s32(flags))


class Itimerspec(ctypes.Structure):
    _fields_ = [("interval", Timespec), ("value", Timespec)]


def read_itimerspec(t, addr: int, time64: bool) -> Itimerspec:
    layout = itimerspec_layout(t.arch, time64)
    v = layout.unpack(t.mem.read(addr, layout.size))
    return Itimerspec(Timespec(v["interval"], v["interval_nsec"]),
                      Timespec(v["value"], v["value_nsec"]))


def write_itimerspec(t, addr: int, its: Itimerspec, time64: bool) -> None:
    t.mem.write(addr, itimerspec_layout(t.arch, time64).pack({
        "interval": its.interval.sec, "interval_nsec": its.interval.nsec,
        "value": its.value.sec, "value_nsec": its.value.nsec}))


def _timerfd_handlers(settime: str, gettime: str, time64: bool) -> None:
    @syscall(settime)
    def sys_timerfd_settime(t, fd, flags, new, old):
        its = read_itimerspec(t, new, time64)
        if old:
            t.mem.check(old, itimerspec_layout(t.arch, time64).size, PROT_WRITE)
        prev = Itimerspec()
        host.call("timerfd_settime", s32(fd), s32(flags), ctypes.byref(its), ctypes.byref(prev))
        if old:
            write_itimerspec(t, old, prev, time64)
        return 0

    @syscall(gettime)
    def sys_timerfd_gettime(t, fd, cur):
        its = Itimerspec()
        t.mem.check(cur, itimerspec_layout(t.arch, time64).size, PROT_WRITE)
        host.call("timerfd_gettime", s32(fd), ctypes.byref(its))
        write_itimerspec(t, cur, its, time64)
        return 0


_timerfd_handlers("timerfd_settime", "timerfd_gettime", False)
_timerfd_handlers("timerfd_settime64", "timerfd_gettime64", True)
