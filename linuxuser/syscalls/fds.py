"""File descriptors: dup, fcntl (with record locks), pipe, fsync, ftruncate,
getdents64, sendfile, copy_file_range, flock, fallocate, close_range, memfd_create."""
from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import struct

from linuxuser.memory import PROT_WRITE
from linuxuser.syscalls import host
from linuxuser.syscalls.args import arg64, s32, slong
from linuxuser.syscalls.fs import guest_open_flags, host_open_flags
from linuxuser.syscalls.structs import FLOCK_HOST, flock_layout
from linuxuser.syscalls.table import syscall

O_CLOEXEC = 0o2000000
F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL = 0, 1, 2, 3, 4
F_SETOWN, F_GETOWN = 8, 9
F_SETPIPE_SZ, F_GETPIPE_SZ, F_DUPFD_CLOEXEC = 1031, 1032, 1030
_INT_ARG_COMMANDS = {F_DUPFD, F_GETFD, F_SETFD, F_SETOWN, F_GETOWN, F_SETPIPE_SZ,
                     F_GETPIPE_SZ, F_DUPFD_CLOEXEC}


@syscall("dup")
def sys_dup(t, fd):
    return fcntl.fcntl(s32(fd), F_DUPFD, 0)


@syscall("dup3")
def sys_dup3(t, oldfd, newfd, flags):
    if s32(oldfd) == s32(newfd) or s32(flags) & ~O_CLOEXEC:
        return -errno.EINVAL
    os.fstat(s32(oldfd))                          # EBADF before anything moves
    t.process.release_fd(s32(newfd))
    return os.dup2(s32(oldfd), s32(newfd), inheritable=not s32(flags) & O_CLOEXEC)


@syscall("dup2")
def sys_dup2(t, oldfd, newfd):
    if s32(oldfd) == s32(newfd):
        os.fstat(s32(oldfd))                      # EBADF if not open
        return s32(newfd)
    os.fstat(s32(oldfd))
    t.process.release_fd(s32(newfd))
    return os.dup2(s32(oldfd), s32(newfd), inheritable=True)


@syscall("fcntl", "fcntl64")
def sys_fcntl(t, fd, cmd, arg):
    cmd = s32(cmd)
    if cmd == F_GETFL:
        return guest_open_flags(t, fcntl.fcntl(s32(fd), F_GETFL))
    if cmd == F_SETFL:
        return fcntl.fcntl(s32(fd), F_SETFL, host_open_flags(t, s32(arg)))
    if cmd in _INT_ARG_COMMANDS:
        return fcntl.fcntl(s32(fd), cmd, s32(arg))
    if cmd in _LOCK_COMMANDS:
        return fcntl_lock(t, fd, cmd, arg)
    t.process.log.once(("fcntl", cmd), f"linuxuser: unsupported fcntl command {cmd}: EINVAL")
    return -errno.EINVAL


@syscall("pipe2")
def sys_pipe2(t, fds, flags):
    t.mem.check(fds, 8, PROT_WRITE)
    r, w = os.pipe2(host_open_flags(t, s32(flags)))
    t.mem.write(fds, struct.pack("<ii", r, w))
    return 0


@syscall("pipe")
def sys_pipe(t, fds):
    return sys_pipe2(t, fds, 0)


@syscall("fsync")
def sys_fsync(t, fd):
    os.fsync(s32(fd))
    return 0


@syscall("fdatasync")
def sys_fdatasync(t, fd):
    os.fdatasync(s32(fd))
    return 0


@syscall("ftruncate")
def sys_ftruncate(t, fd, length):
    os.ftruncate(s32(fd), slong(t.arch, length))
    return 0


@syscall("ftruncate64")
def sys_ftruncate64(t, fd, a1, a2, a3):
    os.ftruncate(s32(fd), arg64(t.arch, (fd, a1, a2, a3), 1))
    return 0


@syscall("getdents64")
def sys_getdents64(t, fd, dirp, count):
    # struct linux_dirent64 is the same on every arch: the host fills guest memory.
    return host.call("getdents64", s32(fd), t.mem.check(dirp, count, PROT_WRITE), count)


# -- copying between fds ------------------------------------------------------------

def _sendfile(t, out_fd, in_fd, offset_ptr: int, count: int, offset_fmt: str) -> int:
    """sendfile(2); the offset is the guest's off_t (sendfile) or loff_t (sendfile64)."""
    if not offset_ptr:
        return host.call("sendfile", s32(out_fd), s32(in_fd), None, count)
    size = struct.calcsize(offset_fmt)
    offset = ctypes.c_int64(struct.unpack(offset_fmt, t.mem.read(offset_ptr, size))[0])
    t.mem.check(offset_ptr, size, PROT_WRITE)
    try:
        return host.call("sendfile", s32(out_fd), s32(in_fd), ctypes.byref(offset), count)
    finally:
        t.mem.write(offset_ptr, struct.pack(offset_fmt, offset.value))


@syscall("sendfile")
def sys_sendfile(t, out_fd, in_fd, offset, count):
    return _sendfile(t, out_fd, in_fd, offset, count, "<" + t.arch.long_fmt)


@syscall("sendfile64")
def sys_sendfile64(t, out_fd, in_fd, offset, count):
    return _sendfile(t, out_fd, in_fd, offset, count, "<q")


@syscall("copy_file_range")
def sys_copy_file_range(t, fd_in, off_in, fd_out, off_out, length, flags):
    # loff_t pointers: the same 8 bytes on every arch, updated in place.
    return host.call("copy_file_range", s32(fd_in), t.mem.check(off_in, 8, PROT_WRITE)
                     if off_in else None, s32(fd_out),
                     t.mem.check(off_out, 8, PROT_WRITE) if off_out else None,
                     length, flags & 0xFFFFFFFF)


# -- locks, seals, space -----------------------------------------------------------

F_GETLK, F_SETLK, F_SETLKW = 5, 6, 7
F_GETLK64, F_SETLK64, F_SETLKW64 = 12, 13, 14          # 32-bit arches: struct flock64
F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW = 36, 37, 38    # always struct flock64
F_ADD_SEALS, F_GET_SEALS = 1033, 1034
_INT_ARG_COMMANDS.update({F_ADD_SEALS, F_GET_SEALS})
_LOCK_COMMANDS = {F_GETLK: F_GETLK, F_SETLK: F_SETLK, F_SETLKW: F_SETLKW,
                  F_GETLK64: F_GETLK, F_SETLK64: F_SETLK, F_SETLKW64: F_SETLKW,
                  F_OFD_GETLK: F_OFD_GETLK, F_OFD_SETLK: F_OFD_SETLK,
                  F_OFD_SETLKW: F_OFD_SETLKW}


def fcntl_lock(t, fd: int, cmd: int, arg: int) -> int:
    """The record-lock commands: the guest's struct flock or flock64 <-> the host's."""
    wide = t.arch.bits == 64 or cmd not in (F_GETLK, F_SETLK, F_SETLKW)
    layout = flock_layout(t.arch, wide)
    lock = FLOCK_HOST.pack(layout.unpack(t.mem.read(arg, layout.size)))
    buf = ctypes.create_string_buffer(lock, len(lock))
    host_cmd = _LOCK_COMMANDS[cmd]
    host.call("fcntl", s32(fd), host_cmd, buf)
    if host_cmd in (F_GETLK, F_OFD_GETLK):
        t.mem.write(arg, layout.pack(FLOCK_HOST.unpack(buf.raw)))
    return 0


@syscall("flock")
def sys_flock(t, fd, operation):
    fcntl.flock(s32(fd), s32(operation))
    return 0


@syscall("fallocate")
def sys_fallocate(t, fd, mode, a2, a3, a4=0, a5=0):
    args = (fd, mode, a2, a3, a4, a5)
    offset = arg64(t.arch, args, 2)
    length = arg64(t.arch, args, 4 if t.arch.bits == 32 else 3)
    if s32(mode):
        return -errno.EOPNOTSUPP
    os.posix_fallocate(s32(fd), offset, length)
    return 0


@syscall("fadvise64", "fadvise64_64", "arm_fadvise64_64")
def sys_fadvise64(t, fd, a1=0, a2=0, a3=0, a4=0, a5=0):
    os.fstat(s32(fd))                                # advice only: EBADF is all we check
    return 0


CLOSE_RANGE_UNSHARE, CLOSE_RANGE_CLOEXEC = 2, 4
MFD_NAME_MAX = 249


@syscall("close_range")
def sys_close_range(t, first, last, flags):
    """The host's close_range over the guest's descriptors in [first, last]:
    linuxuser's own (the log) are not the guest's and stay open."""
    first, last = first & 0xFFFFFFFF, last & 0xFFFFFFFF
    if flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC) or first > last:
        return -errno.EINVAL
    start = first
    for private in sorted(fd for fd in t.process.private_fds if first <= fd <= last):
        if start < private:
            host.raw_syscall("close_range", start, private - 1, flags & CLOSE_RANGE_CLOEXEC)
        start = private + 1
    if start <= last:
        host.raw_syscall("close_range", start, last, flags & CLOSE_RANGE_CLOEXEC)
    return 0


@syscall("memfd_create")
def sys_memfd_create(t, name, flags):
    try:
        text = t.mem.read_cstring(name, MFD_NAME_MAX)
    except OSError:
        return -errno.EINVAL                         # a name past 249 bytes
    return os.memfd_create(text, flags & 0xFFFFFFFF)


@syscall("syncfs")
def sys_syncfs(t, fd):
    os.fsync(s32(fd))
    return 0
