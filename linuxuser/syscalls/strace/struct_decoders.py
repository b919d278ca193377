"""Argument kinds for structs: in guest memory, in the layout of the guest's ABI
(the arch descriptor and syscalls/structs.py), so one kind serves all four arches."""
from __future__ import annotations

import ipaddress
import struct
from dataclasses import replace

from linuxuser.errors import GuestFault
from linuxuser.syscalls.args import s32
from linuxuser.syscalls.strace import format as F
from linuxuser.syscalls.strace import xlat
from linuxuser.syscalls.strace.decoders import buffer_or_addr
from linuxuser.syscalls.strace.kinds import KINDS, Call, arg, kind, struct_or_addr
from linuxuser.syscalls.structs import STAT_LAYOUTS, iovec_layout, timespec_layout, timeval_layout

MAX_IOVECS = 32        # strace prints this many array elements by default


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
    from linuxuser.signals import SigAction
    return struct_or_addr(call, v, SigAction.size(call.arch), lambda d: sigaction_text(call, d))


def _sigset_at(call: Call, addr: int, size: int) -> str:
    if not addr:
        return "NULL"
    if not 0 < size <= 8:
        return F.hexval(addr)
    data = call.read(addr, size)
    return F.hexval(addr) if data is None else F.sigset(int.from_bytes(data, "little"), size)


@kind("sigreturn_frame")
def _sigreturn_frame(call, v, p):
    """(rt_)sigreturn's argument as strace shows it: the mask the frame restores."""
    vcpu = call.process.threads.by_tid(call.tid)
    try:
        mask, _result = call.arch.signal_frames.saved_state(vcpu, call.name == "rt_sigreturn")
    except GuestFault:
        return "{mask=?}"
    return "{mask=" + F.sigset(mask) + "}"


@kind("sigset")
def _sigset(call, v, p):
    """A sigset_t whose size is argument p (rt_sigprocmask's sigsetsize)."""
    return _sigset_at(call, v, arg(call, p) if p else 8)


def _rlimit(call: Call, addr: int, bits: int) -> str:
    fmt = "<QQ" if bits == 64 else "<II"
    return struct_or_addr(call, addr, struct.calcsize(fmt), lambda d: "{rlim_cur=%s, rlim_max=%s}"
                          % tuple(F.rlim(x, bits) for x in struct.unpack(fmt, d)))


@kind("rlimit64")
def _rlimit64(call, v, p):
    return _rlimit(call, v, 64)


@kind("rlimit")
def _rlimit_word(call, v, p):
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
        items.append(f"{{iov_base={buffer_or_addr(call, iov['base'], data_len)}, iov_len={length}}}")
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


def _user_desc_text(d: bytes) -> str:
    """struct user_desc as strace shows it."""
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


@kind("user_desc")
def _user_desc(call, v, p):
    """i386 struct user_desc (set_thread_area), entry_number shown as the call left it."""
    return struct_or_addr(call, v, 16, _user_desc_text)


@kind("stack_t")
def _stack_t(call, v, p):
    size = 3 * call.arch.word_size
    return struct_or_addr(call, v, size, lambda d: _stack_text(call, d))


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


CLONE_SETTLS, CLONE_PARENT_SETTID = 0x80000, 0x100000
CLONE_CHILD_SETTID_OR_CLEARTID = 0x1000000 | 0x200000


def clone_flags_text(flags: int) -> str:
    text = F.flags(flags & ~0xFF, xlat.CLONE_FLAGS, "CLONE_???") if flags & ~0xFF else ""
    sig = flags & 0xFF
    if sig:
        text = (text + "|" if text else "") + F.signal_name(sig)
    return text or "0"


def _clone_regs(call: Call) -> tuple[int, ...]:
    """(flags, stack, parent_tid, child_tid, tls), in the arch's clone argument order."""
    args = dict(zip(call.arch.clone_args, call.raw))
    return tuple(args[name] for name in ("flags", "stack", "parent_tid", "child_tid", "tls"))


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
        parts.append(f"tls={_clone_tls(call, flags, tls)}")
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
                f"tls={_clone_tls(call, flags, tls)}}}")
    return struct_or_addr(call, v, _CLONE_ARGS.size, show)


def _clone_tls(call, flags: int, tls: int) -> str:
    """CLONE_SETTLS's argument: a struct user_desc on i386, a thread pointer elsewhere."""
    if flags & CLONE_SETTLS and call.arch.clone_tls_is_user_desc:
        return struct_or_addr(call, tls, 16, _user_desc_text)
    return F.pointer(tls)


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


# -- futex (its timeout is a timespec) -------------------------------------------------

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


# futex command -> the arguments after (uaddr, op) strace prints for it.
_FUTEX_ARGS = {0: ("val", "timeout"), 1: ("val",), 2: ("val",),
               3: ("val", "val2", "uaddr2"), 4: ("val", "val2", "uaddr2", "val3"),
               5: ("val", "val2", "uaddr2", "val3x"), 6: ("timeout",), 7: (), 8: (),
               9: ("val", "timeout", "bitset"), 10: ("val", "bitset"),
               11: ("val", "timeout", "uaddr2"), 12: ("val", "val2", "uaddr2", "val3"),
               13: ("timeout",)}


@kind("futex_args")
def _futex_args(call, v, p):
    """futex's val, timeout, uaddr2 and val3 (registers 2-5), as its command uses them."""
    val, timeout, uaddr2, val3 = (call.raw[i] & call.arch.word_mask for i in range(2, 6))
    names = _FUTEX_ARGS.get(call.values[1] & xlat.FUTEX_CMD_MASK,
                            ("val", "timeout", "uaddr2", "val3x"))
    time64 = "time64" if call.name == "futex_time64" else ""
    text = {"val": lambda: str(val & 0xFFFFFFFF),
            "val2": lambda: str(timeout & 0xFFFFFFFF),
            "timeout": lambda: _timespec_in(call, timeout, time64),
            "uaddr2": lambda: F.pointer(uaddr2),
            "val3": lambda: str(val3 & 0xFFFFFFFF),
            "val3x": lambda: F.hexval(val3 & 0xFFFFFFFF),
            "bitset": lambda: "FUTEX_BITSET_MATCH_ANY" if val3 & 0xFFFFFFFF == 0xFFFFFFFF
            else F.hexval(val3 & 0xFFFFFFFF)}
    return ", ".join(text[name]() for name in names) or None


# Output twins: the same struct, read when the call has returned.
for _name in ("timespec", "sigaction", "sigset", "rlimit64", "rlimit", "stack_t"):
    KINDS[_name + "_out"] = replace(KINDS[_name], out=True)
