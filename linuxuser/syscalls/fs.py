"""Files: open/close, read/write and their vector and positioned forms, stat, lseek,
ioctl, readlink.  Guest fds are host fds; buffers are handed to the host in place.
"""
from __future__ import annotations

import ctypes
import errno
import os
import struct

from linuxuser.memory import PROT_READ, PROT_WRITE
from linuxuser.syscalls import host, procfs
from linuxuser.syscalls.args import AT_FDCWD, arg64, dir_fd, s32, slong
from linuxuser.syscalls.structs import iovec_layout, pack_stat
from linuxuser.syscalls.table import syscall

AT_SYMLINK_NOFOLLOW = 0x100
AT_EMPTY_PATH = 0x1000
STATX_SIZE = 256
IOV_MAX = 1024
MAX_RW_COUNT = 0x7FFFF000          # the kernel's cap on one read or write


# -- paths ------------------------------------------------------------------------

def _is_self_exe(t, path: bytes) -> bool:
    """`path` (as the guest wrote it, relative to the cwd) is /proc/self/exe."""
    if b"exe" not in path:
        return False
    return procfs.own_entry(t, procfs.resolve(t, AT_FDCWD, path)) == (b"exe", b"")


def host_path_of(t, path: bytes) -> bytes:
    """A guest path as the host sees it (sysroot, /proc/self/exe)."""
    if _is_self_exe(t, path):
        return os.fsencode(t.process.exe_path)
    return t.process.host_path(path)


def guest_path(t, addr: int) -> bytes:
    """A path argument read from guest memory, mapped to the host."""
    return host_path_of(t, t.mem.read_cstring(addr, 4096))


def host_open_flags(t, flags: int) -> int:
    """Guest open(2) flags -> host flags (ARM and AArch64 differ from x86)."""
    table = t.arch.open_flag_map
    if not table:
        return flags
    out = flags
    for guest_bit in table:
        out &= ~guest_bit
    for guest_bit, host_bit in table.items():
        if flags & guest_bit:
            out |= host_bit
    return out


def guest_open_flags(t, flags: int) -> int:
    """Host flags (F_GETFL) -> the guest's bits."""
    table = t.arch.open_flag_map
    if not table:
        return flags
    out = flags
    for host_bit in table.values():
        out &= ~host_bit
    for guest_bit, host_bit in table.items():
        if flags & host_bit:
            out |= guest_bit
    return out


# -- open / close -----------------------------------------------------------------

@syscall("openat")
def sys_openat(t, dirfd, path, flags, mode):
    """The host opens the path, resolving it as the kernel does; what it reached
    in our own /proc directory (or linuxuser's interpreter, for a spelling of
    /proc/self/exe) is then looked at again and emulated."""
    raw = t.mem.read_cstring(path, 4096)
    host_flags = host_open_flags(t, s32(flags))
    fd = host.call("openat", s32(dirfd), host_path_of(t, raw), host_flags, mode & 0o7777)
    if not procfs.may_be_emulated(fd):
        return fd
    os.close(fd)
    emulated = procfs.open_emulated(t, procfs.resolve(t, s32(dirfd), raw),
                                    bool(host_flags & os.O_CLOEXEC))
    if emulated is not None:
        return emulated
    return host.call("openat", s32(dirfd), host_path_of(t, raw), host_flags, mode & 0o7777)


@syscall("open")
def sys_open(t, path, flags, mode):
    return sys_openat(t, AT_FDCWD, path, flags, mode)


@syscall("creat")
def sys_creat(t, path, mode):
    return sys_openat(t, AT_FDCWD, path, 0o1101, mode)      # O_CREAT|O_WRONLY|O_TRUNC


@syscall("close")
def sys_close(t, fd):
    os.close(s32(fd))
    t.process.guest_mem_fds.pop(s32(fd), None)
    return 0


# -- read / write ------------------------------------------------------------------

@syscall("read")
def sys_read(t, fd, buf, count):
    if t.process.guest_mem_fds and procfs.is_guest_mem(t, s32(fd)):
        return procfs.guest_mem_transfer(t, s32(fd), buf, count, None, write=False)
    count = min(count, MAX_RW_COUNT)
    return host.call("read", s32(fd), t.mem.user_pointer(buf, count), count)


@syscall("write")
def sys_write(t, fd, buf, count):
    if t.process.guest_mem_fds and procfs.is_guest_mem(t, s32(fd)):
        return procfs.guest_mem_transfer(t, s32(fd), buf, count, None, write=True)
    count = min(count, MAX_RW_COUNT)
    return host.call("write", s32(fd), t.mem.user_pointer(buf, count), count)


@syscall("pread64")
def sys_pread64(t, fd, buf, count, a3=0, a4=0, a5=0):
    offset = arg64(t.arch, (fd, buf, count, a3, a4, a5), 3)
    if t.process.guest_mem_fds and procfs.is_guest_mem(t, s32(fd)):
        return procfs.guest_mem_transfer(t, s32(fd), buf, count, offset, write=False)
    count = min(count, MAX_RW_COUNT)
    return host.call("pread64", s32(fd), t.mem.user_pointer(buf, count), count, offset)


@syscall("pwrite64")
def sys_pwrite64(t, fd, buf, count, a3=0, a4=0, a5=0):
    offset = arg64(t.arch, (fd, buf, count, a3, a4, a5), 3)
    if t.process.guest_mem_fds and procfs.is_guest_mem(t, s32(fd)):
        return procfs.guest_mem_transfer(t, s32(fd), buf, count, offset, write=True)
    count = min(count, MAX_RW_COUNT)
    return host.call("pwrite64", s32(fd), t.mem.user_pointer(buf, count), count, offset)


def host_iovecs(t, iov: int, iovcnt: int, prot: int) -> ctypes.Array:
    """The guest's iovec array as a host iovec array pointing into guest memory."""
    if iovcnt < 0 or iovcnt > IOV_MAX:
        raise OSError(errno.EINVAL, "iovcnt")
    layout = iovec_layout(t.arch)
    raw = t.mem.read(iov, layout.size * iovcnt)
    out = (ctypes.c_uint64 * (2 * iovcnt))()
    for i in range(iovcnt):
        v = layout.unpack(raw[i * layout.size:])
        out[2 * i] = t.mem.user_pointer(v["base"], v["len"]) if v["len"] else 0
        out[2 * i + 1] = v["len"]
    return out


@syscall("readv")
def sys_readv(t, fd, iov, iovcnt):
    vec = host_iovecs(t, iov, s32(iovcnt), PROT_WRITE)
    return host.call("readv", s32(fd), ctypes.addressof(vec), s32(iovcnt))


@syscall("writev")
def sys_writev(t, fd, iov, iovcnt):
    vec = host_iovecs(t, iov, s32(iovcnt), PROT_READ)
    return host.call("writev", s32(fd), ctypes.addressof(vec), s32(iovcnt))


# -- seek ------------------------------------------------------------------------

@syscall("lseek")
def sys_lseek(t, fd, offset, whence):
    pos = os.lseek(s32(fd), slong(t.arch, offset), s32(whence))
    if pos > t.arch.word_mask >> 1:
        return -errno.EOVERFLOW
    return pos


@syscall("_llseek")
def sys_llseek(t, fd, offset_high, offset_low, result, whence):
    offset = ((offset_high & 0xFFFFFFFF) << 32) | (offset_low & 0xFFFFFFFF)
    if offset >= 1 << 63:
        offset -= 1 << 64
    t.mem.check(result, 8, PROT_WRITE)
    pos = os.lseek(s32(fd), offset, s32(whence))
    t.mem.write(result, struct.pack("<q", pos))
    return 0


# -- stat ------------------------------------------------------------------------

def _stat_at(t, dirfd: int, path_addr: int, flags: int) -> os.stat_result:
    path = t.mem.read_cstring(path_addr, 4096)
    if not path and flags & AT_EMPTY_PATH:
        return os.stat(s32(dirfd))
    if not path:
        raise OSError(errno.ENOENT, "empty path")
    host_path = host_path_of(t, path)
    return os.stat(host_path, dir_fd=dir_fd(dirfd, host_path),
                   follow_symlinks=not flags & AT_SYMLINK_NOFOLLOW)


def _put_stat(t, kind: str, st: os.stat_result, buf: int) -> int:
    data = pack_stat(t.arch, kind, st)
    if data is None:
        return -errno.ENOSYS
    t.mem.write(buf, data)
    return 0


def _stat_kind(name: str) -> str:
    return "stat64" if name.endswith("64") else "stat"


def _fstat_handler(name: str):
    @syscall(name)
    def sys_fstat(t, fd, buf):
        if s32(fd) < 0:
            return -errno.EBADF          # os.stat(-1) would be a path lookup's EFAULT
        return _put_stat(t, _stat_kind(name), os.stat(s32(fd)), buf)
    return sys_fstat


def _stat_handler(name: str, nofollow: bool):
    @syscall(name)
    def sys_stat(t, path, buf):
        st = _stat_at(t, AT_FDCWD, path, AT_SYMLINK_NOFOLLOW if nofollow else 0)
        return _put_stat(t, _stat_kind(name), st, buf)
    return sys_stat


def _fstatat_handler(name: str):
    @syscall(name)
    def sys_fstatat(t, dirfd, path, buf, flags):
        return _put_stat(t, _stat_kind(name), _stat_at(t, dirfd, path, s32(flags)), buf)
    return sys_fstatat


for _name in ("fstat", "fstat64"):
    _fstat_handler(_name)
for _name, _nofollow in (("stat", False), ("stat64", False), ("lstat", True), ("lstat64", True)):
    _stat_handler(_name, _nofollow)
for _name in ("newfstatat", "fstatat64"):
    _fstatat_handler(_name)


@syscall("statx")
def sys_statx(t, dirfd, path, flags, mask, buf):
    # struct statx has one layout on every arch: the host fills guest memory directly.
    host_path = host_path_of(t, t.mem.read_cstring(path, 4096))
    return host.call("statx", s32(dirfd), host_path, s32(flags), mask & 0xFFFFFFFF,
                     t.mem.check(buf, STATX_SIZE, PROT_WRITE))


# -- links -----------------------------------------------------------------------

@syscall("readlinkat")
def sys_readlinkat(t, dirfd, path, buf, bufsiz):
    raw = t.mem.read_cstring(path, 4096)
    if s32(bufsiz) <= 0:
        return -errno.EINVAL
    resolved = procfs.resolve(t, s32(dirfd), raw)
    if procfs.own_entry(t, resolved) == (b"exe", b""):
        target = os.fsencode(t.process.exe_path)
    elif procfs.refused(t, resolved):
        return -errno.EACCES
    else:
        host_path = t.process.host_path(raw)
        target = os.readlink(host_path, dir_fd=dir_fd(dirfd, host_path))
    target = target[:bufsiz]
    t.mem.write(buf, target)
    return len(target)


@syscall("readlink")
def sys_readlink(t, path, buf, bufsiz):
    return sys_readlinkat(t, AT_FDCWD, path, buf, bufsiz)


# -- ioctl -----------------------------------------------------------------------

# Terminal ioctls whose argument is a struct with the same layout on every guest
# arch (asm-generic numbering, kernel struct termios of 36 bytes, termios2 of 44,
# winsize of 8): cmd -> size of what the pointer argument points to.
_IOCTL_IN = {0x5402: 36, 0x5403: 36, 0x5404: 36,        # TCSETS, TCSETSW, TCSETSF
             0x402C542B: 44, 0x402C542C: 44, 0x402C542D: 44,   # TCSETS2, TCSETSW2, TCSETSF2
             0x5414: 8, 0x5410: 4, 0x5421: 4,           # TIOCSWINSZ, TIOCSPGRP, FIONBIO
             0x5452: 4, 0x5423: 4, 0x5412: 1,           # FIOASYNC, TIOCSETD, TIOCSTI
             0x5418: 4, 0x5416: 4, 0x5417: 4,           # TIOCMSET, TIOCMBIS, TIOCMBIC
             0x40045431: 4}                             # TIOCSPTLCK
_IOCTL_OUT = {0x5401: 36, 0x802C542A: 44,               # TCGETS, TCGETS2
              0x5413: 8, 0x540F: 4, 0x541B: 4,          # TIOCGWINSZ, TIOCGPGRP, FIONREAD
              0x5429: 4, 0x5411: 4, 0x5424: 4,          # TIOCGSID, TIOCOUTQ, TIOCGETD
              0x5415: 4, 0x80045430: 4, 0x80045439: 4}  # TIOCMGET, TIOCGPTN, TIOCGPTLCK
_IOCTL_NOARG = {0x5422, 0x5450, 0x5451,                 # TIOCNOTTY, FIONCLEX, FIOCLEX
                0x540C, 0x540D}                         # TIOCEXCL, TIOCNXCL
# ... and those whose argument is a plain integer.
_IOCTL_VALUE = {0x540E, 0x5409, 0x540A, 0x540B,         # TIOCSCTTY, TCSBRK, TCXONC, TCFLSH
                0x5425, 0x5427, 0x5428, 0x5441}         # TCSBRKP, TIOCSBRK, TIOCCBRK, TIOCGPTPEER


@syscall("ioctl")
def sys_ioctl(t, fd, cmd, arg):
    cmd &= 0xFFFFFFFF
    if cmd in _IOCTL_OUT:
        ptr = t.mem.check(arg, _IOCTL_OUT[cmd], PROT_WRITE)
    elif cmd in _IOCTL_IN:
        ptr = t.mem.check(arg, _IOCTL_IN[cmd], PROT_READ)
    elif cmd in _IOCTL_NOARG:
        ptr = 0
    elif cmd in _IOCTL_VALUE:
        ptr = arg & 0xFFFFFFFF
    else:
        t.process.log.once(("ioctl", cmd), f"linuxuser: unsupported ioctl {cmd:#x}: ENOTTY")
        return -errno.ENOTTY
    return host.call("ioctl", s32(fd), cmd, ptr)
