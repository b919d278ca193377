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
from linuxuser.syscalls.args import s32
from linuxuser.signals import delivery
from linuxuser.signals.hostside import ERESTARTSYS
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
NEGATIVE_FD_MESSAGES = ("file descriptor cannot be a negative integer",
                        "fd must be non-negative")

AREA_MODULES = ("fs", "paths", "fds", "mm", "process", "thread", "futex", "time", "signal",
                "children", "polling", "net", "shm")


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


# Arguments a syscall may name as a target it takes over rather than uses
# (dup2/dup3's new descriptor): the handler moves linuxuser's own fd away.
FD_TARGETS = {("dup2", 1), ("dup3", 1)}


@dataclass(frozen=True)
class Entry:
    name: str
    handler: Handler | None
    nargs: int
    fd_args: tuple[int, ...] = ()      # argument indices that are descriptors


def descriptor_arguments(name: str) -> tuple[int, ...]:
    """Which arguments of `name` are file descriptors (from strace's signatures)."""
    from linuxuser.syscalls.strace.signatures import SIGNATURES
    kinds = SIGNATURES.get(name, "").split()
    return tuple(i for i, kind in enumerate(kinds)
                 if kind.partition(":")[0] in ("fd", "dirfd") and (name, i) not in FD_TARGETS)


class SyscallTable:
    """The per-process dispatcher for one guest arch."""

    def __init__(self, arch: Arch, process: GuestProcess) -> None:
        for module in AREA_MODULES:
            importlib.import_module(f"linuxuser.syscalls.{module}")
        self.process = process
        self.abi = arch.syscall_abi
        self.entries: dict[int, Entry] = {}
        guard_fds = bool(process.private_fds)      # only a -D log makes any
        for nr, name in syscall_names(arch.name).items():
            handler = HANDLERS.get(name)
            nargs = handler.__code__.co_argcount - 1 if handler else 0
            fd_args = descriptor_arguments(name) if guard_fds and handler else ()
            self.entries[nr] = Entry(name, handler, nargs, fd_args)
        # Tracing costs nothing when off: the traced path replaces dispatch only
        # in a process that asked for it.
        self.tracer = process.tracer
        if self.tracer is not None:
            self.dispatch = self._dispatch_traced

    def name(self, nr: int) -> str:
        entry = self.entries.get(nr)
        return entry.name if entry else f"syscall_{nr}"

    def dispatch(self, vcpu: Vcpu) -> None:
        """Handle the syscall the vCPU is stopped at; write its result back."""
        regs = vcpu.regs
        nr = vcpu.syscall_nr = regs.read(self.abi.number)
        entry = self.entries.get(nr)
        if entry is None or entry.handler is None:
            result = self._unsupported(nr, entry)
        else:
            result = self._run(entry, vcpu)
        if result is not NO_RESULT:
            regs.write(self.abi.result, result)

    def _run(self, entry: Entry, vcpu: Vcpu):
        """Call the handler with its argument registers; errors become -errno.

        A call a signal interrupted (-ERESTARTSYS) runs again at once if that
        signal needs nothing from the thread (it was ignored); otherwise the
        vCPU delivers it and decides, as the kernel does, between EINTR and
        running the call again after the handler (linuxuser.signals.delivery).
        """
        regs = vcpu.regs
        args = [regs.read(r) for r in self.abi.args[:entry.nargs]]
        if entry.fd_args and self._names_private_fd(entry, args):
            return -errno.EBADF
        while True:
            try:
                result = entry.handler(vcpu, *args)
            except GuestFault:
                return -errno.EFAULT
            except OSError as err:
                result = -(err.errno or errno.EIO)
            except ValueError as err:
                # Python's os and fcntl refuse a negative descriptor before the host
                # sees it; the kernel's answer is EBADF.
                if str(err).startswith(NEGATIVE_FD_MESSAGES):
                    return -errno.EBADF
                raise
            if result != -ERESTARTSYS:
                return result
            if delivery.handler_due(vcpu):
                vcpu.interrupted = (entry.name, vcpu.syscall_nr, args[0] if args else 0)
                return delivery.interrupted_result(entry.name)

    def _names_private_fd(self, entry: Entry, args: list[int]) -> bool:
        private = self.process.private_fds
        return any(i < len(args) and s32(args[i]) in private for i in entry.fd_args)

    def _dispatch_traced(self, vcpu: Vcpu) -> None:
        """dispatch, with a strace line: the call is shown before its handler runs
        (input arguments) and finished after (output arguments, result)."""
        regs = vcpu.regs
        nr = vcpu.syscall_nr = regs.read(self.abi.number)
        entry = self.entries.get(nr)
        name = entry.name if entry else f"syscall_{nr:#x}"
        if entry is None or entry.handler is None:
            result = self._unsupported(nr, entry)       # its own line comes first
            call = self.tracer.enter(vcpu, nr, name)
        else:
            call = self.tracer.enter(vcpu, nr, name)
            result = self._run(entry, vcpu)
        if call is not None:
            self.tracer.leave(call, None if result is NO_RESULT else result)
        if result is not NO_RESULT:
            regs.write(self.abi.result, result)

    def _unsupported(self, nr: int, entry: Entry | None) -> int:
        name = entry.name if entry else f"syscall_{nr}"
        if name not in QUIET_ENOSYS:
            self.process.log.once(("enosys", nr),
                                  f"linuxuser: unsupported syscall {name} (nr {nr}): ENOSYS")
        return -errno.ENOSYS
