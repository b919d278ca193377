"""Host libc calls that Python's `os` lacks or that must take host pointers.

ctypes releases the GIL for the whole call, so a guest thread blocked in read()
or futex() does not stop the others.  Every wrapper raises OSError on failure.
"""
from __future__ import annotations

import ctypes
import errno as _errno

libc = ctypes.CDLL(None, use_errno=True)

_c_int, _c_uint, _vp, _sz, _ssz, _off = (ctypes.c_int, ctypes.c_uint, ctypes.c_void_p,
                                         ctypes.c_size_t, ctypes.c_ssize_t, ctypes.c_int64)
_PROTOTYPES = {
    "read": (_ssz, [_c_int, _vp, _sz]),
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
}
for _name, (_res, _args) in _PROTOTYPES.items():
    _fn = getattr(libc, _name)
    _fn.restype, _fn.argtypes = _res, _args


def call(name: str, *args) -> int:
    """libc `name`(*args); a -1 result raises OSError with errno."""
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
    res = _futex_syscall(SYS_futex, word, op, val, timeout_or_val2, word2 or None, val3)
    if res == -1:
        err = ctypes.get_errno()
        raise OSError(err, _errno.errorcode.get(err, "error"))
    return res
