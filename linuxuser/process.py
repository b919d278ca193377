"""The emulated process: what all guest threads share, and how it ends."""
from __future__ import annotations

import ctypes
import errno
import os
import resource
import signal
import sys
import threading
from dataclasses import dataclass, field
from typing import NoReturn

from linuxuser.loader import sysroot
from linuxuser.log import Log
from linuxuser.memory import GuestMemory
from linuxuser.threads import ThreadRegistry
from linuxuser.syscalls import strace
from linuxuser.syscalls.strace import StraceOptions
from linuxuser.translate.arch import Arch

# Signals whose default action dumps core (qemu-user prints a line for these).
CORE_SIGNALS = {signal.SIGQUIT, signal.SIGILL, signal.SIGTRAP, signal.SIGABRT,
                signal.SIGBUS, signal.SIGFPE, signal.SIGSEGV, signal.SIGSYS,
                signal.SIGXCPU, signal.SIGXFSZ}
# Signals whose default action is to do nothing.
IGNORED_BY_DEFAULT = {signal.SIGCHLD, signal.SIGURG, signal.SIGWINCH, signal.SIGCONT}
SIG_DFL, SIG_IGN = 0, 1


@dataclass
class Options:
    """What the command line asked for, as the process needs it."""
    sysroot: str | None = None
    stack_size: int = 8 << 20
    strace: bool = False
    log_file: str | None = None
    log_append: bool = False      # -D FILE of an exec'd child: add to the parent's log
    debug: set[str] = field(default_factory=set)
    strace_options: StraceOptions = field(default_factory=StraceOptions)


class GuestProcess:
    """Memory, program image, brk, signal dispositions and the exit of the guest."""

    def __init__(self, arch: Arch, options: Options) -> None:
        from linuxuser.syscalls.table import SyscallTable

        self.arch = arch
        self.options = options
        # Absolute, so that a program the guest execs (after a chdir) finds them too.
        if options.log_file:
            options.log_file = os.path.abspath(options.log_file)
        if options.sysroot:
            options.sysroot = os.path.abspath(options.sysroot)
        self.log = Log(options.log_file, options.log_append)
        self.memory = GuestMemory(arch.address_space_size, arch.mappable_end)
        self.threads = ThreadRegistry()
        self.memory.exclusive = self.threads.exclusive_section
        self.tracer = strace.Tracer(self, options.strace_options) if options.strace else None
        self.debug_log = None
        if options.debug - {"strace"}:
            from linuxuser.translate.debuglog import DebugLog
            self.debug_log = DebugLog(self, options.debug)
        self.syscalls = SyscallTable(arch, self)
        self.pid = os.getpid()
        self.guest_mem_fds: dict[int, int] = {}   # the guest's /proc/self/mem fds -> inode
        # Other processes running linuxuser that this one knows of (its forked
        # children, the parent it was forked from): their /proc files that show
        # memory or addresses would show linuxuser's, not their guest's.
        self.linuxuser_pids: set[int] = set()
        self.exe_path = ""            # host path of the guest program (/proc/self/exe)
        self.argv: list[bytes] = []
        self.auxv = b""               # as placed on the initial stack (/proc/self/auxv)
        self.brk_start = self.brk = 0
        self.mmap_top = arch.stack_top
        self.sigactions: dict[int, bytes] = {}
        self.sigmask = 0
        self.exit_status: int | None = None
        self.killed_by: int | None = None
        self._ending = threading.Lock()

    def host_path(self, path: bytes) -> bytes:
        """Where a guest path is on the host: the sysroot first for absolute paths."""
        return sysroot.host_path(self.options.sysroot, path)

    @property
    def private_fds(self) -> set[int]:
        """linuxuser's own descriptors: out of the guest's reach (EBADF)."""
        return self.log.own_fds

    def release_fd(self, fd: int) -> None:
        """The guest makes descriptor `fd` its own (dup2 onto it): ours moves away,
        or, when the guest holds every other descriptor, dup2 fails with EBUSY
        (Linux's answer to a dup2 racing with an open)."""
        if not self.log.move_off(fd):
            raise OSError(errno.EBUSY, "linuxuser's log holds this descriptor")

    def disposition(self, sig: int) -> int:
        """SIG_DFL, SIG_IGN or a handler address, from the guest's sigaction."""
        act = self.sigactions.get(sig)
        if not act:
            return SIG_DFL
        return int.from_bytes(act[:self.arch.word_size], "little")

    def set_disposition(self, sig: int, act: bytes) -> None:
        """Record the guest's sigaction for `sig`; mirror SIG_IGN on the host.

        An ignored signal must be ignored by the host process too (a write to a
        closed pipe then fails with EPIPE instead of killing linuxuser, and
        children started by execve inherit it); anything else is the host's
        default action, since guest handlers are not run.
        """
        self.sigactions[sig] = act
        if sig in (signal.SIGKILL, signal.SIGSTOP):
            return
        try:
            signal.signal(sig, signal.SIG_IGN if self.disposition(sig) == SIG_IGN
                          else signal.SIG_DFL)
        except (OSError, ValueError):
            pass

    def inherit_host_dispositions(self) -> None:
        """Signals ignored by whoever started us stay ignored for the guest (nohup)."""
        ignored = (1).to_bytes(self.arch.word_size, "little")
        for sig in range(1, signal.NSIG):
            if sig in (signal.SIGPIPE, signal.SIGXFSZ):
                continue                  # Python itself ignores these at start-up
            try:
                if signal.getsignal(sig) == signal.SIG_IGN:
                    self.sigactions[sig] = ignored
            except (OSError, ValueError):
                pass

    def after_fork_child(self, vcpu) -> None:
        """In a forked child: a new process with one thread, the one that forked.

        Locks are new (another thread may have held one at fork time), and
        engines of the parent's other threads are forgotten.
        """
        self.pid = os.getpid()
        vcpu.tid = self.pid
        self.threads.after_fork_child(vcpu)
        self._ending = threading.Lock()
        self.memory.after_fork_child(vcpu.uc)
        self.log.after_fork_child()

    # -- ending ---------------------------------------------------------------

    def thread_exit(self, vcpu, status: int) -> None:
        """exit(2): end one thread; the last one to go ends the process."""
        vcpu.exit()
        if self.threads.remove(vcpu):
            self.exit_group(vcpu, status)

    def exit_group(self, vcpu, status: int) -> None:
        """exit_group(2): once the calling syscall has returned (and been traced),
        every thread ends at once and the process exits with `status`."""
        vcpu.ending = (status & 0xFF, None)

    def deliver_fatal_signal(self, vcpu, sig: int, addr: int | None, *,
                             sent_by_syscall: bool = False) -> None:
        """A signal the guest cannot survive here: its default action ends the process.

        A signal sent by a syscall (kill, tgkill to itself) ends it once that
        syscall has returned, as the kernel delivers it on the way back to user
        mode: its strace line shows `= 0` first.  (Guest signal handlers are not
        run yet: a handled synchronous fault also ends the process, as its
        default action would.)
        """
        if self.disposition(sig) == SIG_IGN and sig not in CORE_SIGNALS:
            return
        if sig in IGNORED_BY_DEFAULT:
            return
        if self.tracer is not None:
            self.tracer.signal(vcpu, sig, addr)
        if sent_by_syscall:
            vcpu.ending = (128 + sig, sig)
        else:
            self.end(128 + sig, sig)

    def end(self, status: int, killed_by: int | None) -> NoReturn:
        """The process ends now, with `status` or killed by `killed_by`.

        Guest output needs no flushing (guest writes are host writes), so the
        host process simply exits: threads in guest code and threads blocked in
        syscalls end with it, and no host thread outlives the guest.  The first
        thread to end the process does it; any other waits to die with it.
        """
        self._ending.acquire()
        self.exit_status, self.killed_by = status, killed_by
        if self.tracer is not None:
            current = self.threads.current
            self.tracer.settle(current.tid if current is not None else self.pid)
        self.finish()

    def wait_for_end(self) -> NoReturn:
        """The main host thread after the main guest thread exited alone."""
        while True:
            threading.Event().wait()

    def finish(self) -> NoReturn:
        """Leave the host process the way the guest ended: exit code or signal."""
        if sys.stdout is not None:          # None when started with stdout closed
            try:
                sys.stdout.flush()
            except OSError:
                pass
        if self.tracer is not None:
            self.tracer.finish(self.exit_status, self.killed_by)
        if self.killed_by is not None:
            sig = self.killed_by
            if sig in CORE_SIGNALS:
                msg = (f"linuxuser: uncaught target signal {sig} "
                       f"({signal.strsignal(sig)}) - core dumped\n")
                try:
                    os.write(2, msg.encode())
                except OSError:
                    pass
            die_by_signal(sig)
        os._exit(self.exit_status or 0)


_libc = ctypes.CDLL(None, use_errno=True)
_libc.signal.restype = ctypes.c_void_p
_libc.signal.argtypes = [ctypes.c_int, ctypes.c_void_p]


def die_by_signal(sig: int) -> NoReturn:
    """Kill the host process with `sig` (no host core file), as qemu-user does.

    Any thread may call this: libc's signal(), not Python's (main thread only).
    """
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ValueError, OSError):
        pass
    _libc.signal(sig, None)                          # SIG_DFL
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {sig})
    os.kill(os.getpid(), sig)
    os._exit(128 + sig)
