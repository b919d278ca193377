"""What strace prints for each syscall: the kinds of its arguments, by name.

One entry per strace name: argument kinds (decoders.py) separated by spaces, a
kind's parameter after a colon (usually the index of the argument it depends
on: `ibuf:2` is a buffer whose length is argument 2).  Syscalls without an
entry are printed from python-ptrace's prototypes (types -> kinds) with
strace's argument count, and unknown numbers as six hex words.
"""
from __future__ import annotations

import functools

from ptrace.syscall.prototypes import FILENAME_ARGUMENTS, SYSCALL_PROTOTYPES

from linuxuser.syscalls.strace import decoders, struct_decoders  # noqa: F401  (they register kinds)
from linuxuser.syscalls.strace.kinds import KINDS
from linuxuser.syscalls.strace.sysent import ARCH_NARGS, NARGS

SIGNATURES: dict[str, str] = {
    # files: open, read, write
    "open": "path open_flags open_mode:1",
    "openat": "dirfd path open_flags open_mode:2",
    "creat": "path mode",
    "close": "fd",
    "read": "fd obuf lu",
    "write": "fd ibuf:2 lu",
    "pread64": "fd obuf lu off64",
    "pwrite64": "fd ibuf:2 lu off64",
    "readv": "fd iovec_out:2 d",
    "writev": "fd iovec:2 d",
    "preadv": "fd iovec_out:2 d off64",
    "pwritev": "fd iovec:2 d off64",
    "lseek": "fd ld whence",
    "_llseek": "fd hilo off_out whence",
    "sendfile": "fd fd ptr lu",
    "sendfile64": "fd fd ptr lu",
    # files: metadata
    "stat": "path stat_out:stat",
    "lstat": "path stat_out:stat",
    "fstat": "fd stat_out:stat",
    "stat64": "path stat_out:stat64",
    "lstat64": "path stat_out:stat64",
    "fstat64": "fd stat_out:stat64",
    "newfstatat": "dirfd path stat_out:stat at_flags",
    "fstatat64": "dirfd path stat_out:stat64 at_flags",
    "statx": "dirfd path statx_flags statx_mask statx_out",
    "access": "path access_mode",
    "faccessat": "dirfd path access_mode",
    "faccessat2": "dirfd path access_mode faccess_flags",
    "readlink": "path obuf d",
    "readlinkat": "dirfd path obuf d",
    "getcwd": "path_out lu",
    "chdir": "path",
    "fchdir": "fd",
    "chroot": "path",
    "umask": "mode",
    "chmod": "path mode",
    "fchmod": "fd mode",
    "fchmodat": "dirfd path mode",
    "chown": "path d d",
    "lchown": "path d d",
    "fchown": "fd d d",
    "chown32": "path d d",
    "lchown32": "path d d",
    "fchown32": "fd d d",
    "fchownat": "dirfd path d d at_flags",
    "truncate": "path ld",
    "ftruncate": "fd ld",
    "truncate64": "path off64",
    "ftruncate64": "fd off64",
    "fallocate": "fd d off64 off64",
    "fsync": "fd",
    "fdatasync": "fd",
    "sync": "",
    "flock": "fd d",
    "getdents64": "fd dirents_out u",
    "getdents": "fd dirents_out u",
    # files: the namespace
    "unlink": "path",
    "unlinkat": "dirfd path unlinkat_flags",
    "rmdir": "path",
    "mkdir": "path mode",
    "mkdirat": "dirfd path mode",
    "rename": "path path",
    "renameat": "dirfd path dirfd path",
    "renameat2": "dirfd path dirfd path rename_flags",
    "link": "path path",
    "linkat": "dirfd path dirfd path at_flags",
    "symlink": "path path",
    "symlinkat": "path dirfd path",
    # descriptors
    "dup": "fd",
    "dup2": "fd fd",
    "dup3": "fd fd open_bits",
    "fcntl": "fd fcntl_cmd fcntl_arg:1",
    "fcntl64": "fd fcntl_cmd fcntl_arg:1",
    "ioctl": "fd ioctl_cmd ioctl_arg:1",
    "pipe": "pipefd_out",
    "pipe2": "pipefd_out open_bits",
    "poll": "pollfds:1 u d",
    "close_range": "fd fd close_range_flags",
    "eventfd2": "u efd_flags",
    "epoll_create1": "open_bits",
    "epoll_ctl": "fd epoll_ctl fd ptr",
    "epoll_wait": "fd ptr d d",
    "epoll_pwait": "fd ptr d d ptr lu",
    # memory
    "brk": "ptr",
    "mmap": "ptr lu prot mmap_flags fd x",
    "mmap2": "ptr lu prot mmap_flags fd pgoff",
    "munmap": "ptr lu",
    "mprotect": "ptr lu prot",
    "mremap": "ptr lu lu mremap_flags ptr",
    "madvise": "ptr lu madvise",
    "msync": "ptr lu msync_flags",
    "mlock": "ptr lu",
    "munlock": "ptr lu",
    "membarrier": "membarrier_cmd u",
    # processes and threads
    "exit": "d",
    "exit_group": "d",
    "set_tid_address": "ptr",
    "set_robust_list": "ptr lu",
    "get_robust_list": "d ptr ptr",
    "rseq": "ptr x x x",
    "clone": "clone_entry clone_exit",
    "clone3": "clone3_args clone3_parent:0 lu",
    "execve": "path argv envp",
    "wait4": "d wait_status_out wait_options ptr",
    "kill": "d signal",
    "tkill": "d signal",
    "tgkill": "d d signal",
    "prlimit64": "d rlimit_resource rlimit64 rlimit64_out",
    "getrlimit": "rlimit_resource rlimit_out",
    "ugetrlimit": "rlimit_resource rlimit_out",
    "setrlimit": "rlimit_resource rlimit",
    "uname": "uname_out",
    "sysinfo": "sysinfo_out",
    "arch_prctl": "arch_prctl_code arch_prctl_addr:0",
    "set_thread_area": "user_desc",
    "set_tls": "x",
    "prctl": "prctl_option x x x x",
    "getresuid32": "int_out int_out int_out",
    "getresgid32": "int_out int_out int_out",
    "sched_getaffinity": "d u affinity_out",
    "sched_yield": "",
    "getrandom": "obuf:hex lu grnd_flags",
    "futex": "ptr futex_op futex_args",
    "futex_time64": "ptr futex_op futex_args",
    # signals
    "rt_sigaction": "signal sigaction sigaction_out lu",
    "rt_sigprocmask": "sigprocmask_how sigset:3 sigset_out:3 lu",
    "rt_sigsuspend": "sigset:1 lu",
    "sigaltstack": "stack_t stack_t_out",
    "rt_sigreturn": "sigreturn_frame",
    "sigreturn": "sigreturn_frame",
    # time
    "nanosleep": "timespec timespec_rem",
    "clock_nanosleep": "clock timer_flags timespec timespec_rem",
    "clock_nanosleep_time64": "clock timer_flags timespec:time64 timespec_rem:time64",
    "clock_gettime": "clock timespec_out",
    "clock_gettime64": "clock timespec_out:time64",
    "clock_getres": "clock timespec_out",
    "clock_getres_time64": "clock timespec_out:time64",
    "gettimeofday": "timeval_out timezone_out",
    "time": "ptr",
    # sockets
    "socket": "address_family socket_type socket_protocol:0",
    "socketpair": "address_family socket_type socket_protocol:0 pipefd_out",
    "connect": "fd sockaddr:2 u",
    "bind": "fd sockaddr:2 u",
    "listen": "fd d",
    "accept": "fd sockaddr_out:2 ptr",
    "accept4": "fd sockaddr_out:2 ptr socket_type",
    "getsockname": "fd sockaddr_out:2 ptr",
    "getpeername": "fd sockaddr_out:2 ptr",
    "sendto": "fd ibuf:2 lu msg_flags sockaddr:5 u",
    "recvfrom": "fd obuf lu msg_flags sockaddr_out:5 ptr",
    "sendmsg": "fd ptr msg_flags",
    "recvmsg": "fd ptr msg_flags",
    "setsockopt": "fd sockopt_level sockopt_name:1 ptr u",
    "getsockopt": "fd sockopt_level sockopt_name:1 ptr ptr",
    "shutdown": "fd shutdown_how",
}

# How the result is printed when it is not an error (default: signed decimal).
RESULTS = {"brk": "hex", "mmap": "hex", "mmap2": "hex", "mremap": "hex", "shmat": "hex",
           "umask": "octal", "fcntl": "fcntl", "fcntl64": "fcntl",
           "set_thread_area": "thread_area"}

# python-ptrace prototype types -> kinds, for syscalls without an entry above.
_TYPE_KINDS = {"int": "d", "pid_t": "d", "uid_t": "d", "gid_t": "d", "clockid_t": "d",
               "key_serial_t": "d", "mqd_t": "d", "timer_t": "d", "qid_t": "d",
               "unsigned int": "u", "u32": "u", "unsigned": "u", "umode_t": "mode",
               "mode_t": "mode", "size_t": "lu", "unsigned long": "lu", "u64": "lu",
               "long": "ld", "off_t": "ld", "loff_t": "ld", "ssize_t": "ld"}


def _prototype_kinds(name: str) -> list[str] | None:
    proto = SYSCALL_PROTOTYPES.get(name)
    if proto is None:
        return None
    kinds = []
    for ctype, argname in proto[1]:
        bare = ctype.replace("const ", "").strip()
        if bare == "char *" and argname in FILENAME_ARGUMENTS:
            kinds.append("path")
        elif bare.endswith("*"):
            kinds.append("ptr")
        else:
            kinds.append(_TYPE_KINDS.get(bare, "x"))
    return kinds


@functools.lru_cache(maxsize=None)
def signature(arch_name: str, name: str) -> tuple[tuple[str, str], ...]:
    """The (kind, parameter) list strace prints for `name` on this arch."""
    text = SIGNATURES.get(name)
    if text is not None:
        kinds = text.split()
    else:
        nargs = ARCH_NARGS.get(arch_name, {}).get(name, NARGS.get(name, 6))
        kinds = (_prototype_kinds(name) or [])[:nargs]
        kinds += ["x"] * (nargs - len(kinds))
    out = []
    for item in kinds:
        kind_name, _, param = item.partition(":")
        if kind_name not in KINDS:
            raise KeyError(f"strace signature of {name}: unknown kind {kind_name!r}")
        out.append((kind_name, param))
    return tuple(out)
