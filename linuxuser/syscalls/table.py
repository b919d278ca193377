"""Syscall dispatch: number -> name (per-arch table) -> handler (by name).

Handlers register by name with `@syscall("name", ...)` in the area modules
(files, memory, process, time...).  A handler gets the calling vCPU and the raw
argument registers (unsigned words) and returns the result, a negative errno, or
`NO_RESULT` (the thread is gone).  OSError becomes -errno and GuestFault EFAULT,
so handlers call the host and check guest pointers without ceremony.
"""
from __future__ import annotations

import errno
import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from linuxuser.errors import GuestFault
from linuxuser.syscalls.numbers import syscall_names

if TYPE_CHECKING:
    from linuxuser.process import GuestProcess
    from linuxuser.translate.arch import Arch
    from linuxuser.translate.vcpu import Vcpu

Handler = Callable[..., int]
HANDLERS: dict[str, Handler] = {}
# Syscalls answered ENOSYS on purpose (glibc copes), without a log line.
QUIET_ENOSYS: set[str] = set()
NO_RESULT = object()

AREA_MODULES = ("fs", "paths", "fds", "mm", "process", "time", "signal", "children", "polling", "net")


def syscall(*names: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of these syscall names."""
    def register(fn: Handler) -> Handler:
        for name in names:
            HANDLERS[name] = fn
        return fn
    return register


def enosys(*names: str) -> None:
    """Declare syscalls that are deliberately not supported (ENOSYS, no log)."""
    QUIET_ENOSYS.update(names)


@dataclass(frozen=True)
class Entry:
    name: str
    handler: Handler | None
    nargs: int


class SyscallTable:
    """The per-process dispatcher for one guest arch."""

    def __init__(self, arch: Arch, process: GuestProcess) -> None:
        for module in AREA_MODULES:
            importlib.import_module(f"linuxuser.syscalls.{module}")
        self.process = process
        self.abi = arch.syscall_abi
        self.entries: dict[int, Entry] = {}
        for nr, name in syscall_names(arch.name).items():
            handler = HANDLERS.get(name)
            nargs = handler.__code__.co_argcount - 1 if handler else 0
            self.entries[nr] = Entry(name, handler, nargs)

    def name(self, nr: int) -> str:
        entry = self.entries.get(nr)
        return entry.name if entry else f"syscall_{nr}"

    def dispatch(self, vcpu: Vcpu) -> None:
        """Handle the syscall the vCPU is stopped at; write its result back."""
        regs = vcpu.regs
        nr = regs.read(self.abi.number)
        entry = self.entries.get(nr)
        if entry is None or entry.handler is None:
            result = self._unsupported(nr, entry)
            args: list[int] = []
        else:
            args = [regs.read(r) for r in self.abi.args[:entry.nargs]]
            try:
                result = entry.handler(vcpu, *args)
            except GuestFault:
                result = -errno.EFAULT
            except OSError as err:
                result = -(err.errno or errno.EIO)
        if self.process.options.strace:
            self._trace(vcpu, nr, args, result)
        if result is not NO_RESULT:
            regs.write(self.abi.result, result)

    def _unsupported(self, nr: int, entry: Entry | None) -> int:
        name = entry.name if entry else f"syscall_{nr}"
        if name not in QUIET_ENOSYS:
            self.process.log.once(("enosys", nr),
                                  f"linuxuser: unsupported syscall {name} (nr {nr}): ENOSYS")
        return -errno.ENOSYS

    def _trace(self, vcpu: Vcpu, nr: int, args: list[int], result) -> None:
        """A qemu -strace style line (issue #6 brings strace's own format)."""
        if result is NO_RESULT:
            shown = "?"
        elif isinstance(result, int) and -4096 < result < 0:
            shown = f"-1 {errno.errorcode.get(-result, str(-result))}"
        else:
            shown = f"{result:#x}" if isinstance(result, int) and result > 0xFFFF else str(result)
        text = ",".join(f"{a:#x}" for a in args)
        self.process.log.write(f"{self.process.pid} {self.name(nr)}({text}) = {shown}")
