"""The file namespace: unlink, rename, mkdir, rmdir, links, access, chmod,
truncate, chdir, umask.  Paths go through the sysroot lookup like open()."""
from __future__ import annotations

import errno
import os

from linuxuser.syscalls.args import AT_FDCWD, arg64, dir_fd, s32, slong
from linuxuser.syscalls.fs import guest_path
from linuxuser.syscalls.table import syscall

AT_SYMLINK_NOFOLLOW, AT_REMOVEDIR, AT_EACCESS = 0x100, 0x200, 0x200
RENAME_NOREPLACE = 1


@syscall("unlinkat")
def sys_unlinkat(t, dirfd, path, flags):
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
