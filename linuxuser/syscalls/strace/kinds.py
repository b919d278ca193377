"""Argument kinds: how one syscall argument is printed, by name.

The signature table (signatures.py) lists the kinds of each syscall's
arguments.  A kind is a function (call, value, param) -> text, registered with
`@kind(name)`; `out=True` kinds are output arguments, printed after the
handler ran (strace prints a failed call's output pointers as addresses), the
others before it.  `wide` kinds are 64-bit values that 32-bit ABIs pass in a
register pair.  A kind that returns None drops its argument and the ones after
it (futex prints only the arguments its operation uses).  The kinds themselves
are in decoders.py (numbers, strings, flags) and struct_decoders.py (structs).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from linuxuser.errors import GuestFault
from linuxuser.syscalls.strace import format as F

if TYPE_CHECKING:
    from linuxuser.translate.arch import Arch


class Call:
    """One traced syscall of one thread, as the argument kinds see it."""

    __slots__ = ("arch", "mem", "process", "tid", "nr", "name", "raw", "values", "result",
                 "limit", "started", "entry_text", "after", "exit_args", "prefixed")

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
        self.prefixed = False           # its line started with [pid N]

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
        except (GuestFault, OSError, OverflowError, ValueError):     # OSError: too long
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
