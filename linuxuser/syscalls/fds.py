"""File descriptors: dup, fcntl, pipe, fsync, ftruncate, getdents64."""
from __future__ import annotations

import errno
import fcntl
import os
import struct

from linuxuser.memory import PROT_WRITE
from linuxuser.syscalls import host
from linuxuser.syscalls.args import arg64, s32, slong
from linuxuser.syscalls.fs import guest_open_flags, host_open_flags
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
    return os.dup2(s32(oldfd), s32(newfd), inheritable=not s32(flags) & O_CLOEXEC)


@syscall("dup2")
def sys_dup2(t, oldfd, newfd):
    if s32(oldfd) == s32(newfd):
        os.fstat(s32(oldfd))                      # EBADF if not open
        return s32(newfd)
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
