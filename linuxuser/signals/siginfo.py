"""siginfo_t in the guest's layout (128 bytes; after signo, errno and code the
union starts at 8 bytes on 32-bit guests, 16 on 64-bit ones)."""
from __future__ import annotations

import os
import signal
import struct

SI_USER, SI_KERNEL, SI_QUEUE, SI_TIMER, SI_MESGQ, SI_ASYNCIO, SI_SIGIO, SI_TKILL = (
    0, 0x80, -1, -2, -3, -4, -5, -6)
SEGV_MAPERR, SEGV_ACCERR = 1, 2
BUS_ADRALN, BUS_ADRERR = 1, 2
FPE_INTDIV = 1
TRAP_BRKPT = 1
SIZE = 128

FAULTS = frozenset({signal.SIGSEGV, signal.SIGBUS, signal.SIGILL, signal.SIGFPE,
                    signal.SIGTRAP})


def union_offset(arch) -> int:
    return 16 if arch.bits == 64 else 12


def build(arch, sig: int, code: int, fields: bytes = b"") -> bytes:
    """signo, errno 0, code, then the union's bytes as the guest lays them out."""
    head = struct.pack("<iii", sig, 0, code).ljust(union_offset(arch), b"\0")
    return (head + fields).ljust(SIZE, b"\0")


def user(arch, sig: int, code: int = SI_USER, pid: int | None = None,
         uid: int | None = None) -> bytes:
    """kill/tkill/tgkill by this process: the sender's pid and uid."""
    return build(arch, sig, code, struct.pack("<iI", os.getpid() if pid is None else pid,
                                              os.getuid() if uid is None else uid))


def fault(arch, sig: int, code: int, addr: int) -> bytes:
    return build(arch, sig, code, struct.pack("<" + arch.ulong_fmt, addr & arch.word_mask))


def from_host(arch, raw: bytes) -> bytes:
    """A host (x86-64) siginfo_t as the guest sees it."""
    if arch.bits == 64:
        return raw[:SIZE]
    sig, errno_, code = struct.unpack_from("<iii", raw)
    u = raw[16:]
    if code in (SI_USER, SI_TKILL) or code == SI_KERNEL and sig not in FAULTS:
        fields = u[:8]
    elif code in (SI_QUEUE, SI_MESGQ, SI_TIMER, SI_ASYNCIO):
        fields = u[:8] + u[8:12]                          # pid/uid or tid/overrun, sigval
    elif sig == signal.SIGCHLD and code > 0:
        pid, uid, status, utime, stime = struct.unpack_from("<iIi4xqq", u.ljust(32, b"\0"))
        fields = struct.pack("<iIiii", pid, uid, status, utime, stime)
    elif sig in (signal.SIGIO,) and code > 0:
        band, fd = struct.unpack_from("<qi", u)
        fields = struct.pack("<ii", band, fd)
    else:
        fields = u[:8]
    return struct.pack("<iii", sig, errno_, code) + fields.ljust(SIZE - 12, b"\0")


def to_host(arch, guest: bytes) -> bytes:
    """A guest siginfo_t (rt_sigqueueinfo's) in the host's layout."""
    if arch.bits == 64:
        return guest[:SIZE].ljust(SIZE, b"\0")
    sig, errno_, code = struct.unpack_from("<iii", guest)
    pid, uid, val = struct.unpack_from("<iIi", guest, 12)
    return (struct.pack("<iiii", sig, errno_, code, 0) + struct.pack("<iIq", pid, uid, val)
            ).ljust(SIZE, b"\0")


def signo(info: bytes) -> int:
    return struct.unpack_from("<i", info)[0]


def code_of(info: bytes) -> int:
    return struct.unpack_from("<i", info, 8)[0]
