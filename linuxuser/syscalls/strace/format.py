"""strace's printing rules for values: numbers, flags, strings, signals, modes.

Pure functions of their inputs (no guest memory), so they are unit-tested on
their own.  The rules follow strace 6's default (abbreviated) output.
"""
from __future__ import annotations

from linuxuser.syscalls.strace import xlat

PATH_MAX = 4096


def hexval(value: int) -> str:
    """strace's %#x: 0 stays 0."""
    return f"{value:#x}" if value else "0"


def pointer(value: int) -> str:
    """An address argument: NULL or hex."""
    return f"{value:#x}" if value else "NULL"


def octal(value: int) -> str:
    """strace's %#03o (modes, umask): 0644, 022, 000."""
    return ("0%o" % value).rjust(3, "0")


def flags(value: int, table: xlat.Flags, dflt: str | None = None, zero: str | None = None) -> str:
    """Bits as NAME|NAME|0xrest, in the table's order (strace's printflags)."""
    if value == 0:
        return zero if zero is not None else "0"
    names = []
    for bits, name in table:
        if bits and value & bits == bits:
            names.append(name)
            value &= ~bits
    if value:
        names.append(hexval(value) if names or not dflt else f"{value:#x} /* {dflt} */")
    return "|".join(names)


def xval(value: int, table: dict[int, str], dflt: str, decimal: bool = False) -> str:
    """One of a set of named values; an unknown one as a number and a comment."""
    name = table.get(value)
    if name is not None:
        return name
    return f"{value if decimal else hexval(value)} /* {dflt} */"


def field_and_flags(value: int, mask: int, names: dict[int, str], dflt: str,
                    table: xlat.Flags) -> str:
    """A value in the `mask` bits, then flags in the others: O_RDWR|O_CREAT,
    MAP_PRIVATE|MAP_ANONYMOUS, SOCK_STREAM|SOCK_CLOEXEC."""
    text = xval(value & mask, names, dflt)
    rest = value & ~mask
    return text + "|" + flags(rest, table) if rest else text


def signal_name(sig: int) -> str:
    if 0 < sig < len(xlat.SIGNALS):
        return xlat.SIGNALS[sig]
    if xlat.SIGRTMIN < sig <= xlat.SIGRTMAX:
        return f"SIGRT_{sig - xlat.SIGRTMIN}"
    return str(sig)


def sigset(mask: int, nbytes: int = 8) -> str:
    """[INT TERM] or ~[...] when two thirds or more of the bits are set."""
    nbits = ((min(nbytes, 8) + 3) // 4) * 32
    mask &= (1 << nbits) - 1
    prefix = ""
    if bin(mask).count("1") >= nbits * 2 // 3:
        mask = ~mask & ((1 << nbits) - 1)
        prefix = "~"
    names = []
    for bit in range(nbits):
        if mask >> bit & 1:
            sig = bit + 1
            if sig < len(xlat.SIGNALS):
                names.append(xlat.SIGNALS[sig][3:])
            elif sig <= xlat.SIGRTMAX:
                names.append(f"RT_{sig - xlat.SIGRTMIN}")
    return f"{prefix}[{' '.join(names)}]"


def file_mode(mode: int) -> str:
    """st_mode: S_IFREG|S_ISUID|0755 (strace's print_symbolic_mode_t)."""
    ftype = xlat.FILE_TYPES.get(mode & xlat.S_IFMT) if mode & xlat.S_IFMT else ""
    if ftype is None:
        return octal(mode)
    parts = [ftype] if ftype else []
    parts += [name for bits, name in xlat.MODE_BITS if mode & bits]
    parts.append(octal(mode & 0o777))
    return "|".join(parts)


def makedev(dev: int) -> str:
    """A dev_t as makedev(major, minor) in hex (Linux's encoding)."""
    major = ((dev >> 8) & 0xFFF) | ((dev >> 32) & ~0xFFF)
    minor = (dev & 0xFF) | ((dev >> 12) & ~0xFF)
    return f"makedev({major:#x}, {minor:#x})"


def rlim(value: int, bits: int) -> str:
    """An rlimit value: RLIM64_INFINITY / RLIM_INFINITY, N*1024 or N."""
    if value == (1 << bits) - 1:
        return "RLIM64_INFINITY" if bits == 64 else "RLIM_INFINITY"
    if value > 1024 and value % 1024 == 0:
        return f"{value // 1024}*1024"
    return str(value)


# -- strings ------------------------------------------------------------------------

_ESCAPES = {ord('"'): '\\"', ord("\\"): "\\\\", ord("\f"): "\\f", ord("\n"): "\\n",
            ord("\r"): "\\r", ord("\t"): "\\t", ord("\v"): "\\v"}


def quote(data: bytes, *, hex_all: bool = False, stop_at_nul: bool = False,
          next_byte: int | None = None) -> tuple[str, bool]:
    """strace's string_quote: -> (quoted text, whether a NUL ended it).

    `next_byte` is the byte after `data` when known: an octal escape followed by
    a digit is written with three digits, as strace does.
    """
    out = ['"']
    for i, c in enumerate(data):
        if stop_at_nul and c == 0:
            out.append('"')
            return "".join(out), True
        if hex_all:
            out.append(f"\\x{c:02x}")
            continue
        esc = _ESCAPES.get(c)
        if esc is not None:
            out.append(esc)
        elif 0x20 <= c < 0x7F:
            out.append(chr(c))
        else:
            following = data[i + 1] if i + 1 < len(data) else next_byte
            if following is not None and 0x30 <= following <= 0x37:
                out.append(f"\\{c:03o}")
            else:
                out.append(f"\\{c:o}")
    out.append('"')
    return "".join(out), False


def buffer_text(data: bytes, length: int, limit: int, hex_all: bool = False) -> str:
    """A buffer of `length` bytes of which `data` (up to limit + 1 bytes) was read."""
    shown = data[:limit]
    text, _ = quote(shown, hex_all=hex_all,
                    next_byte=data[limit] if len(data) > limit else None)
    return text + "..." if length > limit else text


def cstring_text(data: bytes, terminated: bool, limit: int) -> str:
    """A NUL-terminated string: `data` before the NUL (`terminated`) or the first
    bytes read without finding one; more than `limit` characters end with '...'."""
    if terminated and len(data) <= limit:
        return quote(data)[0]
    text, _ = quote(data[:limit], next_byte=data[limit] if len(data) > limit else None)
    return text + "..."
