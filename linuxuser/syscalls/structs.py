"""Guest struct layouts, per ABI, and their packing from host values.

Tables keyed by arch name where the layout is arch-specific (struct stat);
layouts that follow the C `long` size come from the arch descriptor.
"""
from __future__ import annotations

import errno
import functools
import os
import struct
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from linuxuser.translate.arch import Arch


def _stat_fields(st: os.stat_result) -> dict[str, int]:
    return {
        "dev": st.st_dev, "ino": st.st_ino, "mode": st.st_mode, "nlink": st.st_nlink,
        "uid": st.st_uid, "gid": st.st_gid, "rdev": st.st_rdev, "size": st.st_size,
        "blksize": st.st_blksize, "blocks": st.st_blocks,
        "atime": st.st_atime_ns // 10**9, "atime_ns": st.st_atime_ns % 10**9,
        "mtime": st.st_mtime_ns // 10**9, "mtime_ns": st.st_mtime_ns % 10**9,
        "ctime": st.st_ctime_ns // 10**9, "ctime_ns": st.st_ctime_ns % 10**9,
    }


class Layout:
    """A C struct: a struct format and the field names it packs, in order."""

    def __init__(self, fmt: str, fields: str) -> None:
        self.struct = struct.Struct(fmt)
        self.fields = fields.split()
        self.size = self.struct.size
        self._kinds = [(name, struct.calcsize("<" + code) * 8, code.islower())
                       for code, name in zip(_codes(fmt), self.fields)]

    def pack(self, values: dict[str, int]) -> bytes:
        """Pack `values` (missing fields are 0), wrapping each to its C type."""
        out = []
        for name, bits, signed in self._kinds:
            v = values.get(name, 0) & ((1 << bits) - 1)
            out.append(v - (1 << bits) if signed and v >> (bits - 1) else v)
        return self.struct.pack(*out)

    def unpack(self, data: bytes) -> dict[str, int]:
        return dict(zip(self.fields, self.struct.unpack(data[:self.size])))


def _codes(fmt: str) -> list[str]:
    """The value-carrying format codes of a struct format (padding skipped)."""
    out, count = [], ""
    for ch in fmt.lstrip("<>=!@"):
        if ch.isdigit():
            count += ch
            continue
        if ch != "x":
            out.extend(ch * int(count or 1))
        count = ""
    return out


_STAT_TIMES = "atime atime_ns mtime mtime_ns ctime ctime_ns"

# struct stat (the 64-bit arches) and struct stat64 (the 32-bit ones), per ABI.
# ARM EABI aligns 64-bit members to 8 bytes, i386 to 4: the two stat64s differ.
STAT_LAYOUTS: dict[tuple[str, str], Layout] = {
    ("x86_64", "stat"): Layout("<QQQIIIxxxxQqqqqqqqqq24x",
                               f"dev ino nlink mode uid gid rdev size blksize blocks {_STAT_TIMES}"),
    ("aarch64", "stat"): Layout("<QQIIIIQ8xqi4xqqQqQqQ8x",
                                f"dev ino mode nlink uid gid rdev size blksize blocks {_STAT_TIMES}"),
    ("arm", "stat64"): Layout("<Q4xIIIIIQ8xqI4xQIIIIIIQ",
                              f"dev ino32 mode nlink uid gid rdev size blksize blocks {_STAT_TIMES} ino"),
    ("i386", "stat64"): Layout("<Q4xIIIIIQ4xqIQIIIIIIQ",
                               f"dev ino32 mode nlink uid gid rdev size blksize blocks {_STAT_TIMES} ino"),
}
# The 32-bit arches' struct stat of stat/fstat/lstat (106-108; glibc calls the
# 64 forms): 16-bit mode, nlink, uid and gid, 32-bit size.
for _arch in ("arm", "i386"):
    STAT_LAYOUTS[(_arch, "stat")] = Layout(
        "<IIHHHHIIIIIIIIII8x", f"dev ino mode nlink uid gid rdev size blksize blocks {_STAT_TIMES}")
_OLD_STAT_LIMITS = {"ino": 0xFFFFFFFF, "nlink": 0xFFFF, "size": 0x7FFFFFFF}
_OVERFLOW_ID = 65534                   # the kernel's overflowuid / overflowgid


def pack_stat(arch: Arch, kind: str, st: os.stat_result) -> bytes | None:
    """`st` as the guest's struct `kind` ("stat" or "stat64"); None if it has none."""
    layout = STAT_LAYOUTS.get((arch.name, kind))
    if layout is None:
        return None
    values = _stat_fields(st)
    values["ino32"] = values["ino"]
    if kind == "stat" and arch.bits == 32:            # the kernel's cp_new_stat checks
        if any(values[f] > limit for f, limit in _OLD_STAT_LIMITS.items()):
            raise OSError(errno.EOVERFLOW, "does not fit struct stat")
        for f in ("uid", "gid"):
            if values[f] > 0xFFFF:
                values[f] = _OVERFLOW_ID
        for f in ("dev", "rdev"):                     # the kernel's new_encode_dev
            major, minor = os.major(values[f]), os.minor(values[f])
            values[f] = (minor & 0xFF) | (major << 8) | ((minor & ~0xFF) << 12)
    return layout.pack(values)


@functools.lru_cache(maxsize=None)
def timespec_layout(arch: Arch, time64: bool = False) -> Layout:
    """struct timespec: {time_t tv_sec; long tv_nsec}; time64 variants use 64+64."""
    if time64 or arch.bits == 64:
        return Layout("<qq", "sec nsec")
    return Layout("<ii", "sec nsec")


@functools.lru_cache(maxsize=None)
def timeval_layout(arch: Arch) -> Layout:
    return Layout(f"<{arch.long_fmt}{arch.long_fmt}", "sec usec")


@functools.lru_cache(maxsize=None)
def iovec_layout(arch: Arch) -> Layout:
    return Layout(f"<{arch.ulong_fmt}{arch.ulong_fmt}", "base len")


# -- layouts that follow the C `long` (and pointer) size ---------------------------

def _longs(arch: Arch, n: int) -> str:
    return "<" + arch.long_fmt * n


@functools.lru_cache(maxsize=None)
def rusage_layout(arch: Arch) -> Layout:
    """struct rusage: two struct timevals, then fourteen longs."""
    return Layout(_longs(arch, 18), "utime utime_usec stime stime_usec " + " ".join(
        f"f{i}" for i in range(14)))


_HOST_RUSAGE = struct.Struct("<18q")


def pack_rusage(arch: Arch, host_raw: bytes) -> bytes:
    """A host (x86-64) struct rusage as the guest's."""
    return rusage_layout(arch).struct.pack(
        *(v if arch.bits == 64 else _wrap32(v) for v in _HOST_RUSAGE.unpack(host_raw[:144])))


def _wrap32(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v >> 31 else v


@functools.lru_cache(maxsize=None)
def tms_layout(arch: Arch) -> Layout:
    """struct tms: four clock_t (long)."""
    return Layout(_longs(arch, 4), "utime stime cutime cstime")


@functools.lru_cache(maxsize=None)
def itimerspec_layout(arch: Arch, time64: bool = False) -> Layout:
    """struct itimerspec: it_interval, it_value (two timespecs)."""
    fmt = "<qqqq" if time64 or arch.bits == 64 else "<iiii"
    return Layout(fmt, "interval interval_nsec value value_nsec")


@functools.lru_cache(maxsize=None)
def itimerval_layout(arch: Arch) -> Layout:
    """struct itimerval: it_interval, it_value (two timevals)."""
    return Layout(_longs(arch, 4), "interval interval_usec value value_usec")


@functools.lru_cache(maxsize=None)
def msghdr_layout(arch: Arch) -> Layout:
    """struct msghdr: name, namelen, iov, iovlen, control, controllen, flags."""
    P = arch.ulong_fmt
    pad = "x" * (arch.word_size - 4)
    return Layout(f"<{P}I{pad}{P}{P}{P}{P}i{pad}",
                  "name namelen iov iovlen control controllen flags")


@functools.lru_cache(maxsize=None)
def cmsghdr_layout(arch: Arch) -> Layout:
    """struct cmsghdr: size_t len; int level; int type (data aligned to long)."""
    return Layout(f"<{arch.ulong_fmt}ii", "len level type")


@functools.lru_cache(maxsize=None)
def mmsghdr_size(arch: Arch) -> int:
    """struct mmsghdr: a msghdr and an unsigned int, padded to the long."""
    return msghdr_layout(arch).size + arch.word_size


# struct epoll_event {u32 events; u64 data}: packed on x86-64 (and naturally 12
# bytes on i386, whose u64 is 4-aligned); ARM EABI and AArch64 align data to 8.
EPOLL_EVENT_LAYOUTS: dict[str, Layout] = {
    "x86_64": Layout("<IQ", "events data"),
    "i386": Layout("<IQ", "events data"),
    "arm": Layout("<I4xQ", "events data"),
    "aarch64": Layout("<I4xQ", "events data"),
}

# struct statfs: words of the guest's long; struct statfs64 (32-bit arches):
# 64-bit counts, packed to 4-byte alignment on both ARM EABI and i386 (84 bytes).
_STATFS_FIELDS = ("type bsize blocks bfree bavail files ffree fsid0 fsid1 namelen frsize "
                  "flags spare0 spare1 spare2 spare3")
STATFS64_LAYOUT = Layout("<II5QiiIIIIIII", _STATFS_FIELDS)
_HOST_STATFS = Layout("<qqQQQQQiiqqqqqqq", _STATFS_FIELDS)
_STATFS_COUNTS = ("blocks", "bfree", "bavail", "files", "ffree")


@functools.lru_cache(maxsize=None)
def statfs_layout(arch: Arch) -> Layout:
    L, U = arch.long_fmt, arch.ulong_fmt
    return Layout(f"<{L}{L}{U*5}ii{L}{L}{L}{L*4}", _STATFS_FIELDS)


def pack_statfs(arch: Arch, host_raw: bytes, kind: str) -> bytes:
    """A host (x86-64) struct statfs as the guest's `kind` ("statfs" or "statfs64").

    The 32-bit statfs cannot hold counts past 32 bits: EOVERFLOW, as the kernel.
    """
    values = _HOST_STATFS.unpack(host_raw)
    if kind == "statfs64":
        return STATFS64_LAYOUT.pack(values)
    if arch.bits == 32 and any(values[f] > 0xFFFFFFFF for f in _STATFS_COUNTS + ("bsize",)):
        raise OSError(errno.EOVERFLOW, "statfs counts overflow 32 bits")
    return statfs_layout(arch).pack(values)


# struct flock {short type, whence; off_t start, len; pid_t pid}: off_t is the
# guest's long in struct flock, 64 bits in struct flock64 (8-aligned on ARM
# EABI, 4-aligned on i386).
_FLOCK_FIELDS = "type whence start len pid"
FLOCK_HOST = Layout("<hh4xqqi4x", _FLOCK_FIELDS)
_FLOCK64_LAYOUTS = {"i386": Layout("<hhqqi", _FLOCK_FIELDS),
                    "arm": Layout("<hh4xqqi4x", _FLOCK_FIELDS)}


def flock_layout(arch: Arch, wide: bool) -> Layout:
    if arch.bits == 64:
        return FLOCK_HOST
    if wide:
        return _FLOCK64_LAYOUTS[arch.name]
    return Layout("<hhiii", _FLOCK_FIELDS)
