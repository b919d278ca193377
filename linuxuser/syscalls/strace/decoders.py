"""Argument kinds for numbers, strings and buffers, flags and named values, and
the results strace decorates (see kinds.py for what a kind is)."""
from __future__ import annotations

import struct
from typing import Callable

from linuxuser.syscalls.args import s32, s64, slong
from linuxuser.syscalls.fs import host_open_flags
from linuxuser.syscalls.strace import format as F
from linuxuser.syscalls.strace import xlat
from linuxuser.syscalls.strace.kinds import KINDS, Call, Kind, arg, kind


# -- numbers ---------------------------------------------------------------------------

@kind("d")
def _int(call, v, p):
    return str(s32(v))


@kind("u")
def _uint(call, v, p):
    return str(v & 0xFFFFFFFF)


@kind("ld")
def _long(call, v, p):
    return str(slong(call.arch, v))


@kind("lu")
def _ulong(call, v, p):
    return str(v)


@kind("x")
def _hex(call, v, p):
    return F.hexval(v)


@kind("ptr")
def _ptr(call, v, p):
    return F.pointer(v)


@kind("mode")
def _mode(call, v, p):
    return F.octal(v & 0xFFFFFFFF)


@kind("off64", wide="off64")
def _off64(call, v, p):
    return str(s64(v))


@kind("hilo", wide="hilo")
def _hilo(call, v, p):
    return str(s64(v))


@kind("pgoff")
def _pgoff(call, v, p):
    return F.hexval(v * 4096)


@kind("fd")
def _fd(call, v, p):
    return str(s32(v))


@kind("dirfd")
def _dirfd(call, v, p):
    return "AT_FDCWD" if s32(v) == xlat.AT_FDCWD else str(s32(v))


# -- strings and buffers --------------------------------------------------------------

@kind("path")
def path_text(call, v, p):
    if not v:
        return "NULL"
    got = call.cstring(v, F.PATH_MAX)
    if got is None:
        return F.hexval(v)
    data, terminated = got
    text, _ = F.quote(data)
    return text if terminated else text + "..."


@kind("str")
def _str(call, v, p):
    if not v:
        return "NULL"
    got = call.cstring(v, call.limit + 1)
    return F.hexval(v) if got is None else F.cstring_text(*got, call.limit)


def buffer_or_addr(call: Call, addr: int, length: int, hex_all: bool = False) -> str:
    if not addr:
        return "NULL"
    data = call.read(addr, min(length, call.limit + 1))
    if data is None:
        return F.hexval(addr)
    return F.buffer_text(data, length, call.limit, hex_all)


@kind("ibuf")
def _ibuf(call, v, p):
    """An input buffer whose length is argument `p`."""
    return buffer_or_addr(call, v, arg(call, p) & call.arch.word_mask)


@kind("obuf", out=True)
def _obuf(call, v, p):
    """An output buffer holding `result` bytes (read, readlink, getrandom...)."""
    if call.returned is None:
        return F.pointer(v)
    return buffer_or_addr(call, v, call.returned, hex_all=p == "hex")


@kind("path_out", out=True)
def _path_out(call, v, p):
    """A path the call wrote (getcwd): printed when it succeeded."""
    return F.pointer(v) if call.returned is None else path_text(call, v, p)


def _string_array(call: Call, addr: int) -> tuple[list[str], bool]:
    """The strings of a NULL-terminated pointer array (argv), at most call.limit of them."""
    items, size = [], call.arch.word_size
    for i in range(call.limit + 1):
        raw = call.read(addr + i * size, size)
        if raw is None:
            return items, False
        ptr = int.from_bytes(raw, "little")
        if ptr == 0:
            return items, True
        if i == call.limit:
            break
        items.append(_str(call, ptr, ""))
    return items, False


@kind("argv")
def _argv(call, v, p):
    if not v:
        return "NULL"
    items, complete = _string_array(call, v)
    if not items and not complete:
        return F.hexval(v)
    return "[" + ", ".join(items) + ("" if complete else ", ...") + "]"


@kind("envp")
def _envp(call, v, p):
    if not v:
        return "NULL"
    count, size = 0, call.arch.word_size
    while count < 1 << 16:
        raw = call.read(v + count * size, size)
        if raw is None or not int.from_bytes(raw, "little"):
            break
        count += 1
    return f"{F.hexval(v)} /* {count} var{'' if count == 1 else 's'} */"


# -- flags and named values -------------------------------------------------------------

@kind("open_flags")
def _open_flags(call, v, p):
    return F.field_and_flags(host_open_flags(call, v & 0xFFFFFFFF), xlat.O_ACCMODE,
                             xlat.OPEN_ACCESS, "O_???", xlat.OPEN_FLAGS)


@kind("open_mode")
def _open_mode(call, v, p):
    """open's mode: only printed with O_CREAT or O_TMPFILE (flags are argument p)."""
    flags = host_open_flags(call, arg(call, p))
    if flags & xlat.O_CREAT or flags & xlat.O_TMPFILE_BIT == xlat.O_TMPFILE_BIT:
        return F.octal(v & 0o7777777)
    return None


def _flag_kind(name: str, table: xlat.Flags, dflt: str, zero: str | None = None) -> None:
    KINDS[name] = Kind(lambda call, v, p: F.flags(v & 0xFFFFFFFF, table, dflt, zero))


def _value_kind(name: str, table: dict[int, str], dflt: str, decimal: bool = False) -> None:
    KINDS[name] = Kind(lambda call, v, p: F.xval(s32(v) if decimal else v & 0xFFFFFFFF,
                                                 table, dflt, decimal))


for _args in (("at_flags", xlat.AT_FLAGS, "AT_???"),
              ("faccess_flags", xlat.FACCESSAT_FLAGS, "AT_???"),
              ("access_mode", xlat.ACCESS_MODES, "?_OK", "F_OK"),
              ("prot", xlat.PROT_FLAGS, "PROT_???", "PROT_NONE"),
              ("mremap_flags", xlat.MREMAP_FLAGS, "MREMAP_???"),
              ("msync_flags", xlat.MSYNC_FLAGS, "MS_???"),
              ("grnd_flags", xlat.GRND_FLAGS, "GRND_???"),
              ("open_bits", xlat.OPEN_FLAGS, "O_???"),
              ("rename_flags", xlat.RENAME_FLAGS, "RENAME_???"),
              ("unlinkat_flags", xlat.UNLINKAT_FLAGS, "AT_???"),
              ("timer_flags", xlat.TIMER_FLAGS, "TIMER_???"),
              ("clone_flags", xlat.CLONE_FLAGS, "CLONE_???"),
              ("wait_options", xlat.WAIT_OPTIONS, "W???"),
              ("statx_mask", xlat.STATX_MASK, "STATX_???"),
              ("msg_flags", xlat.MSG_FLAGS, "MSG_???"),
              ("efd_flags", xlat.EFD_FLAGS, "EFD_???"),
              ("close_range_flags", xlat.CLOSE_RANGE_FLAGS, "CLOSE_RANGE_???"),
              ("sa_flags", xlat.SA_FLAGS, "SA_???")):
    _flag_kind(*_args)

for _args in (("whence", xlat.WHENCE, "SEEK_???"),
              ("rlimit_resource", xlat.RLIMITS, "RLIMIT_???"),
              ("sigprocmask_how", xlat.SIGPROCMASK_HOW, "SIG_???"),
              ("madvise", xlat.MADVISE, "MADV_???"),
              ("arch_prctl_code", xlat.ARCH_PRCTL, "ARCH_???"),
              ("prctl_option", xlat.PRCTL, "PR_???"),
              ("address_family", xlat.ADDRESS_FAMILIES, "AF_???"),
              ("shutdown_how", xlat.SHUTDOWN_HOW, "SHUT_???"),
              ("epoll_ctl", xlat.EPOLL_CTL, "EPOLL_CTL_???"),
              ("sched_policy", xlat.SCHED_POLICIES, "SCHED_???"),
              ("membarrier_cmd", xlat.MEMBARRIER, "MEMBARRIER_CMD_???")):
    _value_kind(*_args)
_value_kind("clock", xlat.CLOCKS, "CLOCK_???", decimal=True)
_value_kind("sockopt_level", xlat.SOCKOPT_LEVELS, "SOL_???", decimal=True)


@kind("signal")
def _signal(call, v, p):
    return F.signal_name(s32(v))


for _args in (("mmap_flags", xlat.MAP_TYPE_MASK, xlat.MAP_TYPES, "MAP_???", xlat.MAP_FLAGS),
              ("statx_flags", 0x6000, xlat.STATX_SYNC, "AT_STATX_???", xlat.AT_FLAGS),
              ("socket_type", 0xF, xlat.SOCKET_TYPES, "SOCK_???", xlat.SOCKET_TYPE_FLAGS)):
    KINDS[_args[0]] = Kind(lambda call, v, p, a=_args[1:]: F.field_and_flags(v & 0xFFFFFFFF, *a))


@kind("socket_protocol")
def _socket_protocol(call, v, p):
    family = s32(arg(call, p))
    if family in (2, 10):                       # AF_INET, AF_INET6
        return F.xval(s32(v), xlat.IP_PROTOCOLS, "IPPROTO_???", decimal=True)
    return str(s32(v))


@kind("sockopt_name")
def _sockopt_name(call, v, p):
    if s32(arg(call, p)) == 1:                  # SOL_SOCKET
        return F.xval(s32(v), xlat.SOL_SOCKET_OPTIONS, "SO_???", decimal=True)
    return str(s32(v))


@kind("ioctl_cmd")
def _ioctl_cmd(call, v, p):
    return F.xval(v & 0xFFFFFFFF, xlat.IOCTLS, "_IOC_???")


@kind("fcntl_cmd")
def _fcntl_cmd(call, v, p):
    return F.xval(s32(v), xlat.FCNTL_CMDS, "F_???")


@kind("fcntl_arg")
def _fcntl_arg(call, v, p):
    """fcntl's third argument, as its command (argument p) gives it meaning."""
    cmd = s32(arg(call, p))
    if cmd in (1, 3, 9, 11, 1025, 1032, 1034):      # the F_GET* that take no argument
        return None
    if cmd == 2:                                     # F_SETFD
        return F.flags(v & 0xFFFFFFFF, xlat.FD_FLAGS, "FD_???")
    if cmd == 4:                                     # F_SETFL
        return _open_flags(call, v, "")
    if cmd in (0, 1030, 8, 10, 1024, 1026, 1031, 1033):
        return str(s32(v))
    return F.pointer(v)


@kind("arch_prctl_addr", out=True, own_errors=True)
def _arch_prctl_addr(call, v, p):
    code = arg(call, p)
    if code in (0x1003, 0x1004):                     # ARCH_GET_FS/GS: an output word
        data = call.read(v, 8) if call.returned is not None else None
        return f"[{F.hexval(int.from_bytes(data, 'little'))}]" if data else F.pointer(v)
    return F.hexval(v)


# -- results ---------------------------------------------------------------------------

def _result_fcntl(call: Call, result: int) -> str:
    """fcntl's F_GETFD and F_GETFL results, with their flags (strace's auxstr)."""
    cmd = s32(call.values[1])
    if cmd == 1 and result:
        return f"{F.hexval(result)} (flags {F.flags(result, xlat.FD_FLAGS, 'FD_???')})"
    if cmd == 3:
        return f"{F.hexval(result)} (flags {_open_flags(call, result, '')})"
    return str(slong(call.arch, result))


def _result_thread_area(call: Call, result: int) -> str:
    """set_thread_area: the entry number the kernel chose (strace's auxstr)."""
    got = call.read(call.values[0], 4)
    return f"{result} (entry_number={struct.unpack('<I', got)[0]})" if got else str(result)


# How a successful result is printed, by the name RESULTS (signatures.py) gives.
RESULT_KINDS: dict[str, Callable[[Call, int], str]] = {
    "dec": lambda call, r: str(slong(call.arch, r)),
    "hex": lambda call, r: F.hexval(r & call.arch.word_mask),
    "octal": lambda call, r: F.octal(r),
    "fcntl": _result_fcntl,
    "thread_area": _result_thread_area,
}
