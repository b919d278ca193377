"""Argument kinds: how one syscall argument is printed, by name.

The signature table (signatures.py) lists the kinds of each syscall's
arguments.  A kind is a function (call, value, param) -> text, registered with
`@kind(name)`; `out=True` kinds are output arguments, printed after the
handler ran (strace prints a failed call's output pointers as addresses), the
others before it.  `wide` kinds are 64-bit values that 32-bit ABIs pass in a
register pair.  Struct layouts come from the arch descriptor and structs.py,
so one kind serves all four guest arches.  A kind that returns None drops its
argument and the ones after it (futex prints only the arguments its operation uses).
"""
from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from linuxuser.errors import GuestFault
from linuxuser.syscalls.args import s32, s64, slong
from linuxuser.syscalls.fs import host_open_flags
from linuxuser.syscalls.structs import STAT_LAYOUTS, iovec_layout, timespec_layout, timeval_layout
from linuxuser.syscalls.strace import format as F
from linuxuser.syscalls.strace import xlat

if TYPE_CHECKING:
    from linuxuser.translate.arch import Arch

MAX_IOVECS = 32        # like strace's default -X/array limit for iovec arrays
MAX_FDS_IN_SET = 1024


class Call:
    """One traced syscall of one thread, as the argument kinds see it."""

    __slots__ = ("arch", "mem", "process", "tid", "nr", "name", "raw", "values", "result",
                 "limit", "started", "entry_text", "after", "exit_args")

    def __init__(self, process, tid: int, nr: int, name: str, raw: list[int],
                 values: list[int], limit: int) -> None:
        self.process = process
        self.arch: Arch = process.arch
        self.mem = process.memory
        self.tid = tid
        self.nr = nr
        self.name = name
        self.raw = raw                  # the argument registers
        self.values = values            # logical argument values (pairs already joined)
        self.result: int | None = None  # None: the call did not return (exit)
        self.limit = limit              # strace -s
        self.started = 0.0
        self.entry_text = ""
        self.after: list[str] = []      # lines to print once this call's line is done
        self.exit_args: tuple[int, ...] = ()   # arguments printed when the call returns

    @property
    def failed(self) -> bool:
        """The call returned an error (a call that did not return has not failed)."""
        return self.result is not None and -4096 < self.result < 0

    @property
    def returned(self) -> int | None:
        """The successful result, or None."""
        return None if self.result is None or self.failed else self.result

    # -- guest memory, never raising -------------------------------------------------

    def read(self, addr: int, size: int) -> bytes | None:
        try:
            return self.mem.read(addr, size) if size > 0 else b""
        except (GuestFault, OverflowError, ValueError):
            return None

    def cstring(self, addr: int, limit: int) -> tuple[bytes, bool] | None:
        """Up to `limit` bytes of a C string, and whether its NUL was seen."""
        try:
            return self.mem.read_cstring(addr, limit - 1), True
        except (GuestFault, OverflowError, ValueError):
            data = self.read(addr, limit)
            return (data, False) if data is not None else None

    def word(self, data: bytes, i: int = 0) -> int:
        size = self.arch.word_size
        return int.from_bytes(data[i * size:(i + 1) * size], "little")


def _always(call: Call, param: str) -> bool:
    return True


@dataclass(frozen=True)
class Kind:
    fn: Callable[[Call, int, str], str | None]
    out: bool = False
    wide: str = ""       # "": one register; "off64": loff_t (a pair on 32-bit ABIs);
                         # "hilo": always two registers, high word first (_llseek);
                         # "alias": no register, the value of the argument `param` names
    # For an output kind: whether the argument is printed at all, decided when the
    # call starts (so the line written then knows whether a ", " follows).
    shown: Callable[[Call, str], bool] = _always
    glue: bool = False          # appended to the previous argument without ", "
    own_errors: bool = False    # an output kind that prints a failed call itself
                                # (the others then show the pointer, as strace does)


KINDS: dict[str, Kind] = {}


def kind(name: str, *, out: bool = False, wide: str = "", shown=_always, glue: bool = False,
         own_errors: bool = False):
    """Register a kind; `name` is what signatures.py writes."""
    def register(fn):
        KINDS[name] = Kind(fn, out, wide, shown, glue, own_errors)
        return fn
    return register


def struct_or_addr(call: Call, addr: int, size: int, show: Callable[[bytes], str]) -> str:
    """strace's umove_or_printaddr: the struct if readable, else its address."""
    if not addr:
        return "NULL"
    data = call.read(addr, size)
    return show(data) if data is not None else F.hexval(addr)


def arg(call: Call, param: str) -> int:
    """The value of the argument a parameter like "2" names."""
    return call.values[int(param)]


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
def _path(call, v, p):
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


def _buffer(call: Call, addr: int, length: int, hex_all: bool = False) -> str:
    if not addr:
        return "NULL"
    data = call.read(addr, min(length, call.limit + 1))
    if data is None:
        return F.hexval(addr)
    return F.buffer_text(data, length, call.limit, hex_all)


@kind("ibuf")
def _ibuf(call, v, p):
    """An input buffer whose length is argument `p`."""
    return _buffer(call, v, arg(call, p) & call.arch.word_mask)


@kind("obuf", out=True)
def _obuf(call, v, p):
    """An output buffer holding `result` bytes (read, readlink, getrandom...)."""
    if call.returned is None:
        return F.pointer(v)
    return _buffer(call, v, call.returned, hex_all=p == "hex")


@kind("path_out", out=True)
def _path_out(call, v, p):
    """A path the call wrote (getcwd): printed when it succeeded."""
    return F.pointer(v) if call.returned is None else _path(call, v, p)


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


@kind("futex_op")
def _futex_op(call, v, p):
    v &= 0xFFFFFFFF
    cmd = v & xlat.FUTEX_CMD_MASK
    name = xlat.FUTEX_OPS.get(cmd)
    if name is None:
        return F.hexval(v)
    if v & xlat.FUTEX_PRIVATE:
        name += "_PRIVATE"
    if v & xlat.FUTEX_CLOCK_REALTIME:
        name += "|FUTEX_CLOCK_REALTIME"
    rest = v & ~(xlat.FUTEX_CMD_MASK | xlat.FUTEX_PRIVATE | xlat.FUTEX_CLOCK_REALTIME)
    return name + (f"|{rest:#x}" if rest else "")


# futex command -> how many arguments after (uaddr, op) strace prints, and whether
# the fourth is a timeout (else a number).
_FUTEX_ARGS = {0: (2, True), 1: (1, False), 2: (1, False), 3: (3, False), 4: (4, False),
               5: (4, False), 6: (2, True), 7: (0, False), 8: (0, False), 9: (4, True),
               10: (4, False), 11: (3, True), 12: (4, False), 13: (2, True)}


def _futex_shape(call: Call) -> tuple[int, bool]:
    return _FUTEX_ARGS.get(call.values[1] & xlat.FUTEX_CMD_MASK, (4, False))


@kind("futex_val")
def _futex_val(call, v, p):
    count, _ = _futex_shape(call)
    return str(v & 0xFFFFFFFF) if count >= 1 else None


@kind("futex_timeout")
def _futex_timeout(call, v, p):
    count, timeout = _futex_shape(call)
    if count < 2:
        return None
    if timeout:
        return _timespec_in(call, v, "time64" if call.name == "futex_time64" else "")
    return str(v & 0xFFFFFFFF)


@kind("futex_uaddr2")
def _futex_uaddr2(call, v, p):
    count, _ = _futex_shape(call)
    return F.pointer(v) if count >= 3 else None


@kind("futex_val3")
def _futex_val3(call, v, p):
    count, _ = _futex_shape(call)
    if count < 4:
        return None
    v &= 0xFFFFFFFF
    if call.values[1] & xlat.FUTEX_CMD_MASK in (9, 10) and v == 0xFFFFFFFF:
        return "FUTEX_BITSET_MATCH_ANY"
    return F.hexval(v) if call.values[1] & xlat.FUTEX_CMD_MASK in (9, 10) else str(v)


@kind("arch_prctl_addr", out=True, own_errors=True)
def _arch_prctl_addr(call, v, p):
    code = arg(call, p)
    if code in (0x1003, 0x1004):                     # ARCH_GET_FS/GS: an output word
        data = call.read(v, 8) if call.returned is not None else None
        return f"[{F.hexval(int.from_bytes(data, 'little'))}]" if data else F.pointer(v)
    return F.hexval(v)


# -- structs in ------------------------------------------------------------------------

def timespec_text(sec: int, nsec: int) -> str:
    return f"{{tv_sec={sec}, tv_nsec={nsec}}}"


@kind("timespec")
def _timespec_in(call, v, p):
    layout = timespec_layout(call.arch, p == "time64")
    return struct_or_addr(call, v, layout.size,
                          lambda d: timespec_text(*layout.struct.unpack(d)))


@kind("timespec_rem", out=True)
def _timespec_rem(call, v, p):
    """nanosleep's remaining time: only meaningful when the sleep was interrupted."""
    if call.result == -4:                           # EINTR
        return _timespec_in(call, v, p)
    return F.pointer(v)


@kind("timespec_out", out=True)
def _timespec_out(call, v, p):
    return _timespec_in(call, v, p)


@kind("timeval_out", out=True)
def _timeval_out(call, v, p):
    layout = timeval_layout(call.arch)
    return struct_or_addr(call, v, layout.size,
                          lambda d: "{tv_sec=%d, tv_usec=%d}" % layout.struct.unpack(d))


@kind("timezone_out", out=True)
def _timezone_out(call, v, p):
    return struct_or_addr(call, v, 8, lambda d: "{tz_minuteswest=%d, tz_dsttime=%d}"
                          % struct.unpack("<ii", d))


def sigaction_text(call: Call, data: bytes) -> str:
    """struct sigaction of the kernel ABI: handler, flags, [restorer], mask."""
    handler, sa_flags = call.word(data, 0), call.word(data, 1)
    has_restorer = call.arch.sigaction_has_restorer
    mask_at = (3 if has_restorer else 2) * call.arch.word_size
    mask = int.from_bytes(data[mask_at:mask_at + 8], "little")
    text = (f"{{sa_handler={xlat.SIG_HANDLERS.get(handler) or F.hexval(handler)}, "
            f"sa_mask={F.sigset(mask)}, sa_flags={F.flags(sa_flags, xlat.SA_FLAGS, 'SA_???')}")
    if has_restorer and sa_flags & xlat.SA_RESTORER:
        text += f", sa_restorer={F.hexval(call.word(data, 2))}"
    return text + "}"


@kind("sigaction")
def _sigaction(call, v, p):
    from linuxuser.syscalls.signal import sigaction_size     # (it imports the process module)
    return struct_or_addr(call, v, sigaction_size(call), lambda d: sigaction_text(call, d))


@kind("sigaction_out", out=True)
def _sigaction_out(call, v, p):
    return _sigaction(call, v, p)


def _sigset_at(call: Call, addr: int, size: int) -> str:
    if not addr:
        return "NULL"
    if not 0 < size <= 8:
        return F.hexval(addr)
    data = call.read(addr, size)
    return F.hexval(addr) if data is None else F.sigset(int.from_bytes(data, "little"), size)


@kind("sigset")
def _sigset(call, v, p):
    """A sigset_t whose size is argument p (rt_sigprocmask's sigsetsize)."""
    return _sigset_at(call, v, arg(call, p) if p else 8)


@kind("sigset_out", out=True)
def _sigset_out(call, v, p):
    return _sigset(call, v, p)


def _rlimit(call: Call, addr: int, bits: int) -> str:
    fmt = "<QQ" if bits == 64 else "<II"
    return struct_or_addr(call, addr, struct.calcsize(fmt), lambda d: "{rlim_cur=%s, rlim_max=%s}"
                          % tuple(F.rlim(x, bits) for x in struct.unpack(fmt, d)))


@kind("rlimit64")
def _rlimit64(call, v, p):
    return _rlimit(call, v, 64)


@kind("rlimit64_out", out=True)
def _rlimit64_out(call, v, p):
    return _rlimit(call, v, 64)


@kind("rlimit")
def _rlimit_word(call, v, p):
    return _rlimit(call, v, call.arch.bits)


@kind("rlimit_out", out=True)
def _rlimit_word_out(call, v, p):
    return _rlimit(call, v, call.arch.bits)


def _iovecs(call: Call, addr: int, count: int, total: int | None) -> str:
    """[{iov_base="...", iov_len=N}, ...]; `total`: bytes the call moved (readv)."""
    layout = iovec_layout(call.arch)
    if not addr:
        return "NULL"
    count = s32(count)
    if count <= 0:
        return "[]" if count == 0 else F.hexval(addr)
    shown = min(count, MAX_IOVECS)
    raw = call.read(addr, layout.size * shown)
    if raw is None:
        return F.hexval(addr)
    items = []
    left = total
    for i in range(shown):
        iov = layout.unpack(raw[i * layout.size:])
        length = iov["len"]
        data_len = length if left is None else min(length, left)
        if left is not None:
            left -= data_len
        items.append(f"{{iov_base={_buffer(call, iov['base'], data_len)}, iov_len={length}}}")
    if count > shown:
        items.append("...")
    return "[" + ", ".join(items) + "]"


@kind("iovec")
def _iovec_in(call, v, p):
    """An input iovec array of argument-p entries (writev)."""
    return _iovecs(call, v, arg(call, p), None)


@kind("iovec_out", out=True)
def _iovec_out(call, v, p):
    return _iovecs(call, v, arg(call, p), call.result)


def sockaddr_text(data: bytes) -> str:
    """struct sockaddr by family: AF_UNIX, AF_INET, AF_INET6, others as sa_data."""
    if len(data) < 2:
        return "{sa_family=???}"
    family = int.from_bytes(data[:2], "little")
    head = f"{{sa_family={F.xval(family, xlat.ADDRESS_FAMILIES, 'AF_???', decimal=True)}"
    body = data[2:]
    if family == 1:
        abstract = body[:1] == b"\0" and len(body) > 1
        path = body[1:] if abstract else body.split(b"\0", 1)[0]
        text, _ = F.quote(path)
        return f"{head}, sun_path={'@' if abstract else ''}{text}}}"
    if family == 2 and len(body) >= 6:
        port = int.from_bytes(body[:2], "big")
        addr = ipaddress.IPv4Address(body[2:6])
        return f'{head}, sin_port=htons({port}), sin_addr=inet_addr("{addr}")}}'
    if family == 10 and len(body) >= 26:
        port = int.from_bytes(body[:2], "big")
        flow = int.from_bytes(body[2:6], "big")
        addr = ipaddress.IPv6Address(body[6:22])
        scope = int.from_bytes(body[22:26], "little")
        return (f"{head}, sin6_port=htons({port}), sin6_flowinfo=htonl({flow}), "
                f'inet_pton(AF_INET6, "{addr}", &sin6_addr), sin6_scope_id={scope}}}')
    text, _ = F.quote(body[:14])
    return f"{head}, sa_data={text}}}"


@kind("sockaddr")
def _sockaddr(call, v, p):
    """An input sockaddr whose length is argument p (connect, bind, sendto)."""
    length = s32(arg(call, p))
    if not v:
        return "NULL"
    if length <= 0 or length > 128:
        return F.hexval(v)
    return struct_or_addr(call, v, length, sockaddr_text)


@kind("sockaddr_out", out=True)
def _sockaddr_out(call, v, p):
    """An output sockaddr whose length is in the socklen_t argument p points at."""
    if not v:
        return "NULL"
    lenp = arg(call, p)
    raw = call.read(lenp, 4) if lenp else None
    if raw is None:
        return F.hexval(v)
    return struct_or_addr(call, v, min(int.from_bytes(raw, "little"), 128), sockaddr_text)


@kind("user_desc")
def _user_desc(call, v, p):
    """i386 struct user_desc (set_thread_area), entry_number shown as the call left it."""
    def show(d: bytes) -> str:
        entry, base, limit, bits = struct.unpack("<IIII", d)
        names = ("seg_32bit", "contents", "read_exec_only", "limit_in_pages",
                 "seg_not_present", "useable")
        widths = (1, 2, 1, 1, 1, 1)
        fields, shift = [], 0
        for name, width in zip(names, widths):
            fields.append(f"{name}={(bits >> shift) & ((1 << width) - 1)}")
            shift += width
        return (f"{{entry_number={s32(entry)}, base_addr={base:#08x}, limit={limit:#08x}, "
                + ", ".join(fields) + "}")
    return struct_or_addr(call, v, 16, show)


@kind("stack_t")
def _stack_t(call, v, p):
    size = 3 * call.arch.word_size
    return struct_or_addr(call, v, size, lambda d: _stack_text(call, d))


@kind("stack_t_out", out=True)
def _stack_t_out(call, v, p):
    return _stack_t(call, v, p)


def _stack_text(call: Call, d: bytes) -> str:
    w = call.arch.word_size
    sp = call.word(d, 0)
    ss_flags = int.from_bytes(d[w:w + 4], "little")
    ss_size = call.word(d, 2)
    return (f"{{ss_sp={F.pointer(sp)}, ss_flags={F.flags(ss_flags, xlat.SIGALTSTACK_FLAGS, 'SS_???')}, "
            f"ss_size={ss_size}}}")


@kind("pollfds")
def _pollfds(call, v, p):
    count = arg(call, p)
    if not v or count > 64:
        return F.pointer(v)
    def show(d: bytes) -> str:
        items = []
        for i in range(count):
            fd, events, _ = struct.unpack_from("<ihh", d, i * 8)
            items.append(f"{{fd={fd}, events={F.flags(events & 0xFFFF, xlat.POLL_EVENTS, 'POLL???')}}}")
        return "[" + ", ".join(items) + "]"
    return struct_or_addr(call, v, 8 * count, show)


# clone's register order: x86-64 passes the child tid pointer before tls; the others
# (CONFIG_CLONE_BACKWARDS) pass tls first.  Indices of (flags, stack, ptid, ctid, tls).
CLONE_ARG_ORDER = {"x86_64": (0, 1, 2, 3, 4)}
CLONE_BACKWARDS = (0, 1, 2, 4, 3)
CLONE_SETTLS, CLONE_PARENT_SETTID = 0x80000, 0x100000
CLONE_CHILD_SETTID_OR_CLEARTID = 0x1000000 | 0x200000


def clone_flags_text(flags: int) -> str:
    text = F.flags(flags & ~0xFF, xlat.CLONE_FLAGS, "CLONE_???") if flags & ~0xFF else ""
    sig = flags & 0xFF
    if sig:
        text = (text + "|" if text else "") + F.signal_name(sig)
    return text or "0"


def _clone_regs(call: Call) -> tuple[int, ...]:
    order = CLONE_ARG_ORDER.get(call.arch.name, CLONE_BACKWARDS)
    return tuple(call.raw[i] for i in order)


@kind("clone_entry")
def _clone_entry(call, v, p):
    """clone(2)'s stack and flags, named as strace names them."""
    flags, stack, _ptid, _ctid, _tls = _clone_regs(call)
    return f"child_stack={F.pointer(stack)}, flags={clone_flags_text(flags)}"


@kind("clone_exit", out=True, own_errors=True,
      shown=lambda call, p: bool(_clone_regs(call)[0] & (CLONE_PARENT_SETTID | CLONE_SETTLS
                                                          | CLONE_CHILD_SETTID_OR_CLEARTID)))
def _clone_exit(call, v, p):
    """clone(2)'s parent tid (as the kernel stored it), tls and child tid pointer."""
    flags, _stack, ptid, ctid, tls = _clone_regs(call)
    parts = []
    if flags & CLONE_PARENT_SETTID:
        got = call.read(ptid, 4) if call.returned is not None else None
        parts.append(f"parent_tid=[{struct.unpack('<i', got)[0]}]" if got
                     else f"parent_tid={F.pointer(ptid)}")
    if flags & CLONE_SETTLS:
        parts.append(f"tls={F.pointer(tls)}")
    if flags & CLONE_CHILD_SETTID_OR_CLEARTID:
        parts.append(f"child_tidptr={F.pointer(ctid)}")
    return ", ".join(parts)


_CLONE_ARGS = struct.Struct("<8Q")


@kind("clone3_args")
def _clone3_args(call, v, p):
    """struct clone_args (clone3)."""
    def show(d: bytes) -> str:
        flags, _pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls = \
            _CLONE_ARGS.unpack_from(d)
        return (f"{{flags={F.flags(flags, xlat.CLONE_FLAGS, 'CLONE_???')}, "
                f"child_tid={F.pointer(child_tid)}, parent_tid={F.pointer(parent_tid)}, "
                f"exit_signal={F.signal_name(exit_signal) if exit_signal else 0}, "
                f"stack={F.pointer(stack)}, stack_size={F.hexval(stack_size)}, "
                f"tls={F.pointer(tls)}}}")
    return struct_or_addr(call, v, _CLONE_ARGS.size, show)


@kind("clone3_parent", out=True, glue=True, own_errors=True, wide="alias")
def _clone3_parent(call, v, p):
    """The parent tid clone3 stored: strace's " => {parent_tid=[N]}"."""
    data = call.read(v, _CLONE_ARGS.size) if call.returned is not None else None
    if data is None:
        return ""
    flags, parent_tid = _CLONE_ARGS.unpack_from(data)[0], _CLONE_ARGS.unpack_from(data)[3]
    got = call.read(parent_tid, 4) if flags & CLONE_PARENT_SETTID else None
    return f" => {{parent_tid=[{struct.unpack('<i', got)[0]}]}}" if got else ""


# -- structs out -----------------------------------------------------------------------

@kind("stat_out", out=True)
def _stat_out(call, v, p):
    """struct stat / stat64 (which one: p) in the arch's layout, abbreviated as strace does."""
    layout = STAT_LAYOUTS.get((call.arch.name, p or "stat"))
    if layout is None:
        return F.pointer(v)

    def show(d: bytes) -> str:
        st = layout.unpack(d)
        mode = st["mode"]
        text = f"{{st_mode={F.file_mode(mode)}, "
        if mode & xlat.S_IFMT in (0o20000, 0o60000):
            text += f"st_rdev={F.makedev(st['rdev'])}"
        else:
            text += f"st_size={st['size']}"
        return text + ", ...}"
    return struct_or_addr(call, v, layout.size, show)


@kind("statx_out", out=True)
def _statx_out(call, v, p):
    def show(d: bytes) -> str:
        mask, _blksize, attrs = struct.unpack_from("<IIQ", d, 0)
        mode = struct.unpack_from("<H", d, 0x1C)[0]
        size = struct.unpack_from("<Q", d, 0x28)[0]
        text = f"{{stx_mask={F.flags(mask, xlat.STATX_MASK, 'STATX_???')}, stx_attributes={F.hexval(attrs)}"
        if mask & 3:
            text += f", stx_mode={F.file_mode(mode)}"
        if mask & 0x200:
            text += f", stx_size={size}"
        return text + ", ...}"
    return struct_or_addr(call, v, 256, show)


@kind("int_out", out=True)
def _int_out(call, v, p):
    return struct_or_addr(call, v, 4, lambda d: f"[{struct.unpack('<i', d)[0]}]")


@kind("off_out", out=True)
def _off_out(call, v, p):
    return struct_or_addr(call, v, 8, lambda d: f"[{struct.unpack('<q', d)[0]}]")


@kind("pipefd_out", out=True)
def _pipefd_out(call, v, p):
    return struct_or_addr(call, v, 8, lambda d: "[%d, %d]" % struct.unpack("<ii", d))


@kind("uname_out", out=True)
def _uname_out(call, v, p):
    def show(d: bytes) -> str:
        sysname, nodename = (d[i * 65:(i + 1) * 65].split(b"\0", 1)[0] for i in range(2))
        return f"{{sysname={F.quote(sysname)[0]}, nodename={F.quote(nodename)[0]}, ...}}"
    return struct_or_addr(call, v, 6 * 65, show)


@kind("sysinfo_out", out=True)
def _sysinfo_out(call, v, p):
    L, U = call.arch.long_fmt, call.arch.ulong_fmt
    fmt = f"<{L}3{U}6{U}HH"
    size = struct.calcsize(fmt)

    def show(d: bytes) -> str:
        v_ = struct.unpack(fmt, d[:size])
        return (f"{{uptime={v_[0]}, loads=[{v_[1]}, {v_[2]}, {v_[3]}], totalram={v_[4]}, "
                f"freeram={v_[5]}, sharedram={v_[6]}, bufferram={v_[7]}, totalswap={v_[8]}, "
                f"freeswap={v_[9]}, procs={v_[10]}, ...}}")
    return struct_or_addr(call, v, size, show)


@kind("affinity_out", out=True)
def _affinity_out(call, v, p):
    if call.returned is None or not v:
        return F.pointer(v)
    data = call.read(v, call.returned)
    if data is None:
        return F.hexval(v)
    bits = int.from_bytes(data, "little")
    return "[" + " ".join(str(i) for i in range(len(data) * 8) if bits >> i & 1) + "]"


@kind("dirents_out", out=True)
def _dirents_out(call, v, p):
    """getdents64: the address and how many entries came back."""
    if call.returned is None:
        return F.pointer(v)
    data = call.read(v, call.returned) or b""
    count, pos = 0, 0
    while pos + 19 <= len(data):
        reclen = int.from_bytes(data[pos + 16:pos + 18], "little")
        if reclen == 0:
            break
        count, pos = count + 1, pos + reclen
    return f"{F.hexval(v)} /* {count} entries */"


@kind("wait_status_out", out=True)
def _wait_status_out(call, v, p):
    def show(d: bytes) -> str:
        status = struct.unpack("<i", d)[0]
        if status & 0x7F == 0:
            return f"[{{WIFEXITED(s) && WEXITSTATUS(s) == {(status >> 8) & 0xFF}}}]"
        if status & 0xFF == 0x7F:
            return f"[{{WIFSTOPPED(s) && WSTOPSIG(s) == {F.signal_name((status >> 8) & 0xFF)}}}]"
        core = " && WCOREDUMP(s)" if status & 0x80 else ""
        return f"[{{WIFSIGNALED(s) && WTERMSIG(s) == {F.signal_name(status & 0x7F)}{core}}}]"
    return struct_or_addr(call, v, 4, show)


_IOCTL_NO_ARGUMENT = {0x5422, 0x5450, 0x5451}          # TIOCNOTTY, FIONCLEX, FIOCLEX


@kind("ioctl_arg", out=True,
      shown=lambda call, p: arg(call, p) & 0xFFFFFFFF not in _IOCTL_NO_ARGUMENT)
def _ioctl_arg(call, v, p):
    """ioctl's argument: decoded for the window size, else an address."""
    cmd = arg(call, p) & 0xFFFFFFFF
    if cmd in (0x5413, 0x5414):
        return struct_or_addr(call, v, 8, lambda d: "{ws_row=%d, ws_col=%d, ws_xpixel=%d, "
                              "ws_ypixel=%d}" % struct.unpack("<HHHH", d))
    return F.pointer(v)


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
