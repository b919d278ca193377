"""Host libc calls that Python's `os` lacks or that must take host pointers.

ctypes releases the GIL for the whole call, so a guest thread blocked in read()
or futex() does not stop the others.  Every wrapper raises OSError on failure.
"""
from __future__ import annotations

import ctypes
import errno as _errno

from linuxuser.signals import hostside as signals_hostside

libc = ctypes.CDLL(None, use_errno=True)

_c_int, _c_uint, _vp, _sz, _ssz, _off = (ctypes.c_int, ctypes.c_uint, ctypes.c_void_p,
                                         ctypes.c_size_t, ctypes.c_ssize_t, ctypes.c_int64)
_PROTOTYPES = {
    "read": (_ssz, [_c_int, _vp, _sz]),
    "mprotect": (_c_int, [_vp, _sz, _c_int]),
    "madvise": (_c_int, [_vp, _sz, _c_int]),
    "msync": (_c_int, [_vp, _sz, _c_int]),
    "mlock": (_c_int, [_vp, _sz]),
    "munlock": (_c_int, [_vp, _sz]),
    "write": (_ssz, [_c_int, _vp, _sz]),
    "pread64": (_ssz, [_c_int, _vp, _sz, _off]),
    "pwrite64": (_ssz, [_c_int, _vp, _sz, _off]),
    "readv": (_ssz, [_c_int, _vp, _c_int]),
    "writev": (_ssz, [_c_int, _vp, _c_int]),
    "openat": (_c_int, [_c_int, ctypes.c_char_p, _c_int, _c_uint]),
    "statx": (_c_int, [_c_int, ctypes.c_char_p, _c_int, _c_uint, _vp]),
    "ioctl": (_c_int, [_c_int, ctypes.c_ulong, _vp]),
    "getrandom": (_ssz, [_vp, _sz, _c_uint]),
    "prlimit64": (_c_int, [_c_int, _c_int, _vp, _vp]),
    "getdents64": (_ssz, [_c_int, _vp, _sz]),
    "sysinfo": (_c_int, [_vp]),
    "fcntl": (_c_int, [_c_int, _c_int, _vp]),
    "wait4": (_c_int, [_c_int, _vp, _c_int, _vp]),
    "statfs": (_c_int, [ctypes.c_char_p, _vp]),
    "fstatfs": (_c_int, [_c_int, _vp]),
    "sendfile": (_ssz, [_c_int, _c_int, _vp, _sz]),
    "poll": (_c_int, [_vp, ctypes.c_ulong, _c_int]),
    "ppoll": (_c_int, [_vp, ctypes.c_ulong, _vp, _vp]),
    "epoll_create1": (_c_int, [_c_int]),
    "epoll_ctl": (_c_int, [_c_int, _c_int, _c_int, _vp]),
    "epoll_pwait": (_c_int, [_c_int, _vp, _c_int, _c_int, _vp]),
    "epoll_pwait2": (_c_int, [_c_int, _vp, _c_int, _vp, _vp]),
    "select": (_c_int, [_c_int, _vp, _vp, _vp, _vp]),
    "pselect": (_c_int, [_c_int, _vp, _vp, _vp, _vp, _vp]),
    "times": (ctypes.c_long, [_vp]),
    "getrusage": (_c_int, [_c_int, _vp]),
    "setitimer": (_c_int, [_c_int, _vp, _vp]),
    "getitimer": (_c_int, [_c_int, _vp]),
    "timerfd_create": (_c_int, [_c_int, _c_int]),
    "timerfd_settime": (_c_int, [_c_int, _c_int, _vp, _vp]),
    "timerfd_gettime": (_c_int, [_c_int, _vp]),
    "futimens": (_c_int, [_c_int, _vp]),
    "utimensat": (_c_int, [_c_int, ctypes.c_char_p, _vp, _c_int]),
    "recvfrom": (_ssz, [_c_int, _vp, _sz, _c_int, _vp, _vp]),
    "sendto": (_ssz, [_c_int, _vp, _sz, _c_int, _vp, _c_uint]),
    "recvmsg": (_ssz, [_c_int, _vp, _c_int]),
    "sendmsg": (_ssz, [_c_int, _vp, _c_int]),
    "getsockopt": (_c_int, [_c_int, _c_int, _c_int, _vp, _vp]),
    "setsockopt": (_c_int, [_c_int, _c_int, _c_int, _vp, _c_uint]),
    "socket": (_c_int, [_c_int, _c_int, _c_int]),
    "socketpair": (_c_int, [_c_int, _c_int, _c_int, _vp]),
    "listen": (_c_int, [_c_int, _c_int]),
    "shutdown": (_c_int, [_c_int, _c_int]),
    "bind": (_c_int, [_c_int, _vp, _c_uint]),
    "connect": (_c_int, [_c_int, _vp, _c_uint]),
    "accept4": (_c_int, [_c_int, _vp, _vp, _c_int]),
    "getsockname": (_c_int, [_c_int, _vp, _vp]),
    "getpeername": (_c_int, [_c_int, _vp, _vp]),
    "copy_file_range": (_ssz, [_c_int, _vp, _c_int, _vp, _sz, _c_uint]),
    "getgroups": (_c_int, [_c_int, _vp]),
    "setgroups": (_c_int, [_sz, _vp]),
    "mknodat": (_c_int, [_c_int, ctypes.c_char_p, _c_uint, ctypes.c_ulong]),
    "fchownat": (_c_int, [_c_int, ctypes.c_char_p, _c_uint, _c_uint, _c_int]),
    "sigsuspend": (_c_int, [_vp]),
    "prctl": (_c_int, [_c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]),
    "shmget": (_c_int, [_c_int, _sz, _c_int]),
    "shmat": (ctypes.c_ssize_t, [_c_int, _vp, _c_int]),     # -1 on failure
    "shmdt": (_c_int, [_vp]),
    "shmctl": (_c_int, [_c_int, _c_int, _vp]),
}
for _name, (_res, _args) in _PROTOTYPES.items():
    _fn = getattr(libc, _name)
    _fn.restype, _fn.argtypes = _res, _args


# Host (x86-64) syscall numbers for calls whose libc wrapper differs from the syscall.
# The set*id calls are per thread in the kernel: glibc's wrappers make every
# host thread follow by signalling them (SIGSETXID, 33), a signal linuxuser's
# handler takes for the guest; the guest's own glibc does that broadcast
# between guest threads, each of which makes its raw call here.
HOST_SYSCALLS = {"waitid": 247, "syslog": 103, "ioprio_set": 251, "ioprio_get": 252,
                 "setuid": 105, "setgid": 106, "setreuid": 113, "setregid": 114,
                 "setgroups": 116, "setresuid": 117, "setresgid": 119,
                 "close_range": 436}
libc.syscall.restype = ctypes.c_long


def raw_syscall(name: str, *args) -> int:
    """The host's syscall `name` (HOST_SYSCALLS) through libc's syscall(); OSError on -1."""
    if name in INTERRUPTIBLE:
        return call(name, *args)
    return raw_syscall_nr(HOST_SYSCALLS[name], *args)


def raw_syscall_nr(nr: int, *args) -> int:
    """The host's syscall number `nr` through libc's syscall(); OSError on -1."""
    res = libc.syscall(ctypes.c_long(nr),
                       *(a if isinstance(a, (ctypes._SimpleCData, ctypes.Array)) or a is None
                         else ctypes.c_long(a) for a in args))
    if res == -1:
        err = ctypes.get_errno()
        raise OSError(err, _errno.errorcode.get(err, "error"))
    return res


# Calls that may block until a signal comes: host syscall number, and the
# arguments the syscall takes after libc's (the sigset size).  They go through
# the engine's safe_syscall, so that a guest signal arriving just before one
# starts still interrupts it (ERESTARTSYS: linuxuser.signals decides whether
# the guest sees EINTR or the call restarts).
INTERRUPTIBLE = {"read": (0, ()), "write": (1, ()), "readv": (19, ()), "writev": (20, ()),
                 "poll": (7, ()), "select": (23, ()), "pause": (34, ()),
                 "connect": (42, ()), "sendto": (44, ()), "recvfrom": (45, ()),
                 "sendmsg": (46, ()), "recvmsg": (47, ()), "wait4": (61, ()),
                 "ppoll": (271, (8,)), "epoll_pwait": (281, (8,)), "accept4": (288, ()),
                 "nanosleep": (35, ()), "clock_nanosleep": (230, ()),
                 "rt_sigsuspend": (130, (8,)), "rt_sigtimedwait": (128, (8,)),
                 "fcntl": (72, ()), "flock": (73, ()), "waitid": (247, ())}


def _word(arg) -> int:
    """A ctypes argument as the machine word a raw syscall takes."""
    if arg is None:
        return 0
    if isinstance(arg, int):
        return arg
    if isinstance(arg, (ctypes.Array, ctypes.Structure, ctypes.Union)):
        return ctypes.addressof(arg)
    if isinstance(arg, ctypes._SimpleCData):
        return arg.value or 0
    return ctypes.addressof(arg._obj)              # ctypes.byref(x)


def call(name: str, *args) -> int:
    """libc `name`(*args); a -1 result raises OSError with errno."""
    interruptible = INTERRUPTIBLE.get(name)
    if interruptible is not None:
        nr, extra = interruptible
        words = [_word(a) for a in args] + list(extra)
        if signals_hostside.available():
            res = signals_hostside.safe_syscall(nr, *words)
            if res < 0:
                raise OSError(-res, _errno.errorcode.get(-res, "ERESTARTSYS"))
            return res
        return raw_syscall_nr(nr, *words)
    res = getattr(libc, name)(*args)
    if res == -1:
        err = ctypes.get_errno()
        raise OSError(err, _errno.errorcode.get(err, "error"))
    return res


SYS_futex = 202                                  # x86-64 host
_futex_syscall = libc["syscall"]                 # an object of its own: its own prototype
_futex_syscall.restype = ctypes.c_long
_futex_syscall.argtypes = [ctypes.c_long, _vp, _c_int, _c_uint, _vp, _vp, _c_uint]


def futex(word: int, op: int, val: int, timeout_or_val2, word2: int, val3: int) -> int:
    """futex(2) on host addresses (releases the GIL while it waits)."""
    if signals_hostside.available():
        res = signals_hostside.safe_syscall(SYS_futex, word, op, val, _word(timeout_or_val2),
                                            word2, val3)
        if res < 0:
            raise OSError(-res, _errno.errorcode.get(-res, "ERESTARTSYS"))
        return res
    res = _futex_syscall(SYS_futex, word, op, val, timeout_or_val2, word2 or None, val3)
    if res == -1:
        err = ctypes.get_errno()
        raise OSError(err, _errno.errorcode.get(err, "error"))
    return res
