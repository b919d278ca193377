"""The file namespace: unlink, rename, mkdir, rmdir, links, access, chmod, chown,
utimensat and friends, mknod, truncate, chdir, umask, statfs.  Paths go through
the sysroot lookup like open()."""
from __future__ import annotations

import ctypes
import errno
import os
import struct

from linuxuser.syscalls import host
from linuxuser.syscalls.args import AT_FDCWD, arg64, dir_fd, s32, slong
from linuxuser.syscalls.fs import guest_path, host_path_of
from linuxuser.syscalls.structs import pack_statfs, timespec_layout, timeval_layout
from linuxuser.syscalls.table import syscall

AT_SYMLINK_NOFOLLOW, AT_REMOVEDIR, AT_EACCESS = 0x100, 0x200, 0x200
RENAME_NOREPLACE = 1


@syscall("unlinkat")
def sys_unlinkat(t, dirfd, path, flags):
    if s32(flags) & ~AT_REMOVEDIR:
        return -errno.EINVAL
    p = guest_path(t, path)
    if s32(flags) & AT_REMOVEDIR:
        os.rmdir(p, dir_fd=dir_fd(dirfd, p))
    else:
        os.unlink(p, dir_fd=dir_fd(dirfd, p))
    return 0


@syscall("unlink")
def sys_unlink(t, path):
    return sys_unlinkat(t, AT_FDCWD, path, 0)


@syscall("rmdir")
def sys_rmdir(t, path):
    return sys_unlinkat(t, AT_FDCWD, path, AT_REMOVEDIR)


@syscall("renameat2")
def sys_renameat2(t, olddirfd, old, newdirfd, new, flags):
    src, dst = guest_path(t, old), guest_path(t, new)
    if s32(flags) & RENAME_NOREPLACE and os.path.lexists(dst):
        return -errno.EEXIST
    if s32(flags) & ~RENAME_NOREPLACE:
        return -errno.EINVAL
    os.rename(src, dst, src_dir_fd=dir_fd(olddirfd, src), dst_dir_fd=dir_fd(newdirfd, dst))
    return 0


@syscall("renameat")
def sys_renameat(t, olddirfd, old, newdirfd, new):
    return sys_renameat2(t, olddirfd, old, newdirfd, new, 0)


@syscall("rename")
def sys_rename(t, old, new):
    return sys_renameat2(t, AT_FDCWD, old, AT_FDCWD, new, 0)


@syscall("mkdirat")
def sys_mkdirat(t, dirfd, path, mode):
    p = guest_path(t, path)
    os.mkdir(p, mode & 0o7777, dir_fd=dir_fd(dirfd, p))
    return 0


@syscall("mkdir")
def sys_mkdir(t, path, mode):
    return sys_mkdirat(t, AT_FDCWD, path, mode)


@syscall("symlinkat")
def sys_symlinkat(t, target, newdirfd, linkpath):
    p = guest_path(t, linkpath)
    os.symlink(t.mem.read_cstring(target, 4096), p, dir_fd=dir_fd(newdirfd, p))
    return 0


@syscall("symlink")
def sys_symlink(t, target, linkpath):
    return sys_symlinkat(t, target, AT_FDCWD, linkpath)


@syscall("linkat")
def sys_linkat(t, olddirfd, old, newdirfd, new, flags):
    src, dst = guest_path(t, old), guest_path(t, new)
    os.link(src, dst, src_dir_fd=dir_fd(olddirfd, src), dst_dir_fd=dir_fd(newdirfd, dst),
            follow_symlinks=bool(s32(flags) & 0x400))          # AT_SYMLINK_FOLLOW
    return 0


@syscall("link")
def sys_link(t, old, new):
    return sys_linkat(t, AT_FDCWD, old, AT_FDCWD, new, 0)


@syscall("faccessat2")
def sys_faccessat2(t, dirfd, path, mode, flags):
    if s32(mode) & ~(os.R_OK | os.W_OK | os.X_OK):
        return -errno.EINVAL
    p = guest_path(t, path)
    ok = os.access(p, s32(mode), dir_fd=dir_fd(dirfd, p),
                   effective_ids=bool(s32(flags) & AT_EACCESS),
                   follow_symlinks=not s32(flags) & AT_SYMLINK_NOFOLLOW)
    if not ok:
        os.stat(p, dir_fd=dir_fd(dirfd, p))                     # ENOENT and friends
        return -errno.EACCES
    return 0


@syscall("faccessat")
def sys_faccessat(t, dirfd, path, mode):
    return sys_faccessat2(t, dirfd, path, mode, 0)


@syscall("access")
def sys_access(t, path, mode):
    return sys_faccessat2(t, AT_FDCWD, path, mode, 0)


@syscall("fchmodat")
def sys_fchmodat(t, dirfd, path, mode):
    p = guest_path(t, path)
    os.chmod(p, mode & 0o7777, dir_fd=dir_fd(dirfd, p))
    return 0


@syscall("chmod")
def sys_chmod(t, path, mode):
    return sys_fchmodat(t, AT_FDCWD, path, mode)


@syscall("fchmod")
def sys_fchmod(t, fd, mode):
    os.fchmod(s32(fd), mode & 0o7777)
    return 0


@syscall("truncate")
def sys_truncate(t, path, length):
    os.truncate(guest_path(t, path), slong(t.arch, length))
    return 0


@syscall("truncate64")
def sys_truncate64(t, path, a1, a2, a3):
    os.truncate(guest_path(t, path), arg64(t.arch, (path, a1, a2, a3), 1))
    return 0


@syscall("chdir")
def sys_chdir(t, path):
    os.chdir(guest_path(t, path))
    return 0


@syscall("fchdir")
def sys_fchdir(t, fd):
    os.fchdir(s32(fd))
    return 0


@syscall("umask")
def sys_umask(t, mask):
    return os.umask(mask & 0o777)


# -- owners ----------------------------------------------------------------------

def id_arg(value: int, legacy16: bool) -> int:
    """A uid/gid argument: -1 means "unchanged"; the legacy calls take 16 bits."""
    if legacy16:
        value &= 0xFFFF
        return -1 if value == 0xFFFF else value
    value &= 0xFFFFFFFF
    return -1 if value == 0xFFFFFFFF else value


def _legacy16(t, name: str) -> bool:
    """chown/lchown/fchown of the 32-bit arches take 16-bit ids (the *32 calls don't)."""
    return t.arch.bits == 32 and not name.endswith("32")


@syscall("fchownat")
def sys_fchownat(t, dirfd, path, owner, group, flags):
    raw = t.mem.read_cstring(path, 4096)
    if not raw and s32(flags) & AT_EMPTY_PATH:
        os.chown(s32(dirfd), id_arg(owner, False), id_arg(group, False))
        return 0
    p = guest_path(t, path)
    os.chown(p, id_arg(owner, False), id_arg(group, False), dir_fd=dir_fd(dirfd, p),
             follow_symlinks=not s32(flags) & AT_SYMLINK_NOFOLLOW)
    return 0


def _chown_handlers(suffix: str) -> None:
    @syscall("chown" + suffix)
    def sys_chown(t, path, owner, group):
        legacy = _legacy16(t, "chown" + suffix)
        os.chown(guest_path(t, path), id_arg(owner, legacy), id_arg(group, legacy))
        return 0

    @syscall("lchown" + suffix)
    def sys_lchown(t, path, owner, group):
        legacy = _legacy16(t, "lchown" + suffix)
        os.chown(guest_path(t, path), id_arg(owner, legacy), id_arg(group, legacy),
                 follow_symlinks=False)
        return 0

    @syscall("fchown" + suffix)
    def sys_fchown(t, fd, owner, group):
        legacy = _legacy16(t, "fchown" + suffix)
        os.chown(s32(fd), id_arg(owner, legacy), id_arg(group, legacy))
        return 0


_chown_handlers("")
_chown_handlers("32")


# -- times -----------------------------------------------------------------------

UTIME_NOW, UTIME_OMIT = (1 << 30) - 1, (1 << 30) - 2
AT_EMPTY_PATH = 0x1000


def _utimens(t, dirfd: int, path: int, times: list[tuple[int, int]] | None, flags: int) -> int:
    """utimensat with host timespecs (None: both now)."""
    from linuxuser.syscalls.polling import Timespec
    arr = None
    if times is not None:
        arr = (Timespec * 2)(*(Timespec(s, ns) for s, ns in times))
    if not path:
        # utimensat(fd, NULL, ...) is futimens() (glibc's utimensat refuses NULL)
        return host.call("futimens", s32(dirfd), arr)
    raw = t.mem.read_cstring(path, 4096)
    host_path = host_path_of(t, raw) if raw else raw
    return host.call("utimensat", s32(dirfd), host_path, arr, s32(flags))


def _utimensat_handler(name: str, time64: bool) -> None:
    @syscall(name)
    def sys_utimensat(t, dirfd, path, times, flags):
        pair = None
        if times:
            layout = timespec_layout(t.arch, time64)
            raw = t.mem.read(times, 2 * layout.size)
            pair = [tuple(layout.unpack(raw[i * layout.size:]).values()) for i in range(2)]
        return _utimens(t, dirfd, path, pair, flags)


_utimensat_handler("utimensat", False)
_utimensat_handler("utimensat_time64", True)


def _timeval_pair(t, addr: int) -> list[tuple[int, int]] | None:
    if not addr:
        return None
    layout = timeval_layout(t.arch)
    raw = t.mem.read(addr, 2 * layout.size)
    out = []
    for i in range(2):
        v = layout.unpack(raw[i * layout.size:])
        if not 0 <= v["usec"] < 10**6:
            raise OSError(errno.EINVAL, "timeval")
        out.append((v["sec"], v["usec"] * 1000))
    return out


@syscall("futimesat")
def sys_futimesat(t, dirfd, path, times):
    return _utimens(t, dirfd, path, _timeval_pair(t, times), 0)


@syscall("utimes")
def sys_utimes(t, path, times):
    return _utimens(t, AT_FDCWD, path, _timeval_pair(t, times), 0)


@syscall("utime")
def sys_utime(t, path, times):
    pair = None
    if times:
        fmt = "<2" + t.arch.long_fmt              # struct utimbuf {time_t actime, modtime}
        actime, modtime = struct.unpack(fmt, t.mem.read(times, struct.calcsize(fmt)))
        pair = [(actime, 0), (modtime, 0)]
    return _utimens(t, AT_FDCWD, path, pair, 0)


# -- special files, file systems -----------------------------------------------------

@syscall("mknodat")
def sys_mknodat(t, dirfd, path, mode, dev):
    p = guest_path(t, path)
    return host.call("mknodat", s32(dirfd) if not p.startswith(b"/") else AT_FDCWD, p,
                     mode & 0xFFFFFFFF, dev & 0xFFFFFFFF)


@syscall("mknod")
def sys_mknod(t, path, mode, dev):
    return sys_mknodat(t, AT_FDCWD, path, mode, dev)


_HOST_STATFS_SIZE = 120


def _host_statfs(t, path: int | None = None, fd: int | None = None) -> bytes:
    """The host's struct statfs of a guest path or of an fd."""
    buf = ctypes.create_string_buffer(_HOST_STATFS_SIZE)
    if path is not None:
        host.call("statfs", guest_path(t, path), buf)
    else:
        host.call("fstatfs", s32(fd), buf)
    return buf.raw


def _put_statfs64(t, size: int, buf: int, host_raw: bytes) -> int:
    if size not in t.arch.statfs64_sizes:
        return -errno.EINVAL
    t.mem.write(buf, pack_statfs(t.arch, host_raw, "statfs64"))
    return 0


@syscall("statfs")
def sys_statfs(t, path, buf):
    t.mem.write(buf, pack_statfs(t.arch, _host_statfs(t, path=path), "statfs"))
    return 0


@syscall("fstatfs")
def sys_fstatfs(t, fd, buf):
    t.mem.write(buf, pack_statfs(t.arch, _host_statfs(t, fd=fd), "statfs"))
    return 0


@syscall("statfs64")
def sys_statfs64(t, path, size, buf):
    return _put_statfs64(t, size, buf, _host_statfs(t, path=path))


@syscall("fstatfs64")
def sys_fstatfs64(t, fd, size, buf):
    return _put_statfs64(t, size, buf, _host_statfs(t, fd=fd))


@syscall("sync")
def sys_sync(t):
    os.sync()
    return 0
