"""Sockets: the BSD calls, their i386 `socketcall` multiplexer, and struct msghdr.

struct sockaddr and socklen_t have the same bytes on every guest arch, so
addresses go to the host in place; struct msghdr, its iovecs and its control
messages (cmsghdr, aligned to the guest's long) are converted per ABI.
Socket option values are ints or structs of ints, except SO_RCVTIMEO and
SO_SNDTIMEO (a struct timeval of the guest's long).
"""
from __future__ import annotations

import ctypes
import errno
import os
import stat
import struct

from linuxuser.memory import PROT_READ, PROT_WRITE
from linuxuser.syscalls import host
from linuxuser.syscalls.args import s32
from linuxuser.syscalls.fs import host_iovecs
from linuxuser.syscalls.structs import Layout, cmsghdr_layout, msghdr_layout, timeval_layout
from linuxuser.syscalls.table import HANDLERS, syscall

SOL_SOCKET = 1
SO_RCVTIMEO_OLD, SO_SNDTIMEO_OLD = 20, 21
MSG_CTRUNC = 0x8
SOCKADDR_MAX = 128


def _addr(t, addr: int, addrlen: int):
    """A guest sockaddr handed to the host in place (None for NULL)."""
    if not addr:
        return None
    if s32(addrlen) < 0:
        raise OSError(errno.EINVAL, "addrlen")
    return t.mem.check(addr, min(s32(addrlen), SOCKADDR_MAX), PROT_READ)


def _addr_out(t, addr: int, addrlen_ptr: int):
    """(sockaddr buffer, socklen_t pointer) the host fills in place, or (None, None)."""
    if not addr or not addrlen_ptr:
        return None, None
    length = struct.unpack("<i", t.mem.read(addrlen_ptr, 4))[0]
    if length < 0:
        raise OSError(errno.EINVAL, "addrlen")
    return (t.mem.check(addr, length, PROT_WRITE),
            t.mem.check(addrlen_ptr, 4, PROT_READ | PROT_WRITE))


@syscall("socket")
def sys_socket(t, domain, type_, protocol):
    return host.call("socket", s32(domain), s32(type_), s32(protocol))


@syscall("socketpair")
def sys_socketpair(t, domain, type_, protocol, sv):
    return host.call("socketpair", s32(domain), s32(type_), s32(protocol),
                     t.mem.check(sv, 8, PROT_WRITE))


@syscall("bind")
def sys_bind(t, fd, addr, addrlen):
    return host.call("bind", s32(fd), _addr(t, addr, addrlen), addrlen & 0xFFFFFFFF)


@syscall("connect")
def sys_connect(t, fd, addr, addrlen):
    return host.call("connect", s32(fd), _addr(t, addr, addrlen), addrlen & 0xFFFFFFFF)


@syscall("listen")
def sys_listen(t, fd, backlog):
    return host.call("listen", s32(fd), s32(backlog))


@syscall("accept4")
def sys_accept4(t, fd, addr, addrlen, flags):
    buf, lenp = _addr_out(t, addr, addrlen)
    return host.call("accept4", s32(fd), buf, lenp, s32(flags))


@syscall("accept")
def sys_accept(t, fd, addr, addrlen):
    return sys_accept4(t, fd, addr, addrlen, 0)


def _name_handler(name: str) -> None:
    """getsockname, getpeername: the host fills the guest's sockaddr in place."""
    @syscall(name)
    def sys_getname(t, fd, addr, addrlen):
        buf, lenp = _addr_out(t, addr, addrlen)
        if buf is None:
            raise OSError(errno.EFAULT, "addr")
        return host.call(name, s32(fd), buf, lenp)


_name_handler("getsockname")
_name_handler("getpeername")


@syscall("sendto")
def sys_sendto(t, fd, buf, length, flags, addr, addrlen):
    return host.call("sendto", s32(fd), t.mem.check(buf, length, PROT_READ), length,
                     s32(flags), _addr(t, addr, addrlen), addrlen & 0xFFFFFFFF)


@syscall("send")
def sys_send(t, fd, buf, length, flags):
    return sys_sendto(t, fd, buf, length, flags, 0, 0)


@syscall("recvfrom")
def sys_recvfrom(t, fd, buf, length, flags, addr, addrlen):
    abuf, lenp = _addr_out(t, addr, addrlen)
    return host.call("recvfrom", s32(fd), t.mem.check(buf, length, PROT_WRITE), length,
                     s32(flags), abuf, lenp)


@syscall("recv")
def sys_recv(t, fd, buf, length, flags):
    return sys_recvfrom(t, fd, buf, length, flags, 0, 0)


@syscall("shutdown")
def sys_shutdown(t, fd, how):
    return host.call("shutdown", s32(fd), s32(how))


# -- options ---------------------------------------------------------------------

def _is_timeval_option(level: int, name: int) -> bool:
    return level == SOL_SOCKET and name in (SO_RCVTIMEO_OLD, SO_SNDTIMEO_OLD)


@syscall("setsockopt")
def sys_setsockopt(t, fd, level, name, value, length):
    level, name, length = s32(level), s32(name), s32(length)
    if length < 0:
        return -errno.EINVAL
    if _is_timeval_option(level, name):
        layout = timeval_layout(t.arch)
        if length < layout.size:
            return -errno.EINVAL
        tv = layout.unpack(t.mem.read(value, layout.size))
        data = struct.pack("<qq", tv["sec"], tv["usec"])
        return host.call("setsockopt", s32(fd), level, name, data, len(data))
    return host.call("setsockopt", s32(fd), level, name,
                     t.mem.check(value, length, PROT_READ) if value else None, length)


@syscall("getsockopt")
def sys_getsockopt(t, fd, level, name, value, length_ptr):
    level, name = s32(level), s32(name)
    if not stat.S_ISSOCK(os.fstat(s32(fd)).st_mode):
        return -errno.ENOTSOCK                       # before optlen is read, as Linux
    length = struct.unpack("<i", t.mem.read(length_ptr, 4))[0]
    if length < 0:
        return -errno.EINVAL
    if _is_timeval_option(level, name):
        host_val, host_len = ctypes.create_string_buffer(16), ctypes.c_uint32(16)
        host.call("getsockopt", s32(fd), level, name, host_val, ctypes.byref(host_len))
        sec, usec = struct.unpack("<qq", host_val.raw)
        data = timeval_layout(t.arch).pack({"sec": sec, "usec": usec})[:length]
        t.mem.write(value, data)
        t.mem.write(length_ptr, struct.pack("<i", len(data)))
        return 0
    return host.call("getsockopt", s32(fd), level, name,
                     t.mem.check(value, length, PROT_WRITE),
                     t.mem.check(length_ptr, 4, PROT_READ | PROT_WRITE))


# -- sendmsg / recvmsg -------------------------------------------------------------

class HostMsghdr(ctypes.Structure):
    _fields_ = [("name", ctypes.c_void_p), ("namelen", ctypes.c_uint32),
                ("iov", ctypes.c_void_p), ("iovlen", ctypes.c_size_t),
                ("control", ctypes.c_void_p), ("controllen", ctypes.c_size_t),
                ("flags", ctypes.c_int)]


HOST_CMSG = Layout("<Qii", "len level type")        # x86-64 struct cmsghdr


def _align(n: int, to: int) -> int:
    return (n + to - 1) & ~(to - 1)


def _guest_cmsgs(t, data: bytes) -> list[tuple[int, int, bytes]]:
    """Parse the guest's control buffer into (level, type, payload)."""
    layout, word = cmsghdr_layout(t.arch), t.arch.word_size
    out, pos = [], 0
    while pos + layout.size <= len(data):
        h = layout.unpack(data[pos:])
        if h["len"] < layout.size or pos + h["len"] > len(data):
            raise OSError(errno.EINVAL, "cmsg_len")       # the kernel's CMSG_OK
        out.append((h["level"], h["type"], data[pos + layout.size:pos + h["len"]]))
        pos += _align(h["len"], word)
    return out


def _pack_cmsgs(layout, word: int, msgs, limit: int) -> tuple[bytes, bool]:
    """Control messages in one ABI's layout, cut at `limit` bytes (truncated?)."""
    out = b""
    for level, type_, payload in msgs:
        length = layout.size + len(payload)
        if len(out) + length > limit:
            return out, True
        out += layout.pack({"len": length, "level": level, "type": type_}) + payload
        out = out.ljust(min(_align(len(out), word), limit), b"\0")
    return out, False


def _host_msghdr(t, msg: int, iov_prot: int):
    """The guest's msghdr as a host one (and what must stay alive with it)."""
    layout = msghdr_layout(t.arch)
    m = layout.unpack(t.mem.read(msg, layout.size))
    vec = host_iovecs(t, m["iov"], m["iovlen"], iov_prot)
    h = HostMsghdr()
    h.iov, h.iovlen = ctypes.addressof(vec), m["iovlen"]
    if m["name"]:
        h.name = t.mem.check(m["name"], m["namelen"], iov_prot)
        h.namelen = m["namelen"]
    h.flags = m["flags"]
    return h, m, vec


@syscall("sendmsg")
def sys_sendmsg(t, fd, msg, flags):
    h, m, vec = _host_msghdr(t, msg, PROT_READ)
    control = None
    if m["control"] and m["controllen"]:
        msgs = _guest_cmsgs(t, t.mem.read(m["control"], m["controllen"]))
        data, _ = _pack_cmsgs(HOST_CMSG, 8, msgs, 1 << 20)
        control = ctypes.create_string_buffer(data, len(data))
        h.control, h.controllen = ctypes.addressof(control), len(data)
    return host.call("sendmsg", s32(fd), ctypes.byref(h), s32(flags))


@syscall("recvmsg")
def sys_recvmsg(t, fd, msg, flags):
    layout = msghdr_layout(t.arch)
    h, m, vec = _host_msghdr(t, msg, PROT_WRITE)
    control = None
    if m["control"] and m["controllen"]:
        t.mem.check(m["control"], m["controllen"], PROT_WRITE)
        size = 2 * m["controllen"] + 64
        control = ctypes.create_string_buffer(size)
        h.control, h.controllen = ctypes.addressof(control), size
    n = host.call("recvmsg", s32(fd), ctypes.byref(h), s32(flags))
    out_flags, controllen = h.flags, 0
    if control is not None:
        host_msgs, pos, raw = [], 0, control.raw[:h.controllen]
        while pos + HOST_CMSG.size <= len(raw):
            c = HOST_CMSG.unpack(raw[pos:])
            if c["len"] < HOST_CMSG.size:
                break
            host_msgs.append((c["level"], c["type"], raw[pos + HOST_CMSG.size:pos + c["len"]]))
            pos += _align(c["len"], 8)
        data, cut = _pack_cmsgs(cmsghdr_layout(t.arch), t.arch.word_size, host_msgs,
                                m["controllen"])
        t.mem.write(m["control"], data)
        controllen = len(data)
        if cut:
            out_flags |= MSG_CTRUNC
    m.update(namelen=h.namelen if m["name"] else m["namelen"], controllen=controllen,
             flags=out_flags)
    t.mem.write(msg, layout.pack(m))
    return n


# -- i386's socketcall ---------------------------------------------------------------

# call number -> (handler, number of arguments), as in linux/net.h SYS_SOCKET...
_SOCKETCALLS = {1: (sys_socket, 3), 2: (sys_bind, 3), 3: (sys_connect, 3), 4: (sys_listen, 2),
                5: (sys_accept, 3), 6: (HANDLERS["getsockname"], 3),
                7: (HANDLERS["getpeername"], 3),
                8: (sys_socketpair, 4), 9: (sys_send, 4), 10: (sys_recv, 4),
                11: (sys_sendto, 6), 12: (sys_recvfrom, 6), 13: (sys_shutdown, 2),
                14: (sys_setsockopt, 5), 15: (sys_getsockopt, 5), 16: (sys_sendmsg, 3),
                17: (sys_recvmsg, 3), 18: (sys_accept4, 4)}


@syscall("socketcall")
def sys_socketcall(t, call, args):
    entry = _SOCKETCALLS.get(s32(call))
    if entry is None:
        return -errno.EINVAL
    handler, nargs = entry
    fmt = f"<{nargs}{t.arch.ulong_fmt}"
    return handler(t, *struct.unpack(fmt, t.mem.read(args, struct.calcsize(fmt))))
