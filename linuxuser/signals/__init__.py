"""Guest signals: actions, per-thread masks and pending sets, delivery with
the kernel's frames, sigreturn.

How a signal reaches a guest handler (qemu-user's design): every host signal
goes to one handler in the patched engine (`hostside`), which queues it for
the host thread the kernel picked (host masks mirror the guest's, so the
kernel's choice is the guest's) and stops that thread's engine at the next
block boundary.  The vCPU loop then takes the queue (`delivery.deliver`),
builds the arch's frame (`frames_<arch>` modules) and enters the handler;
`rt_sigreturn`/`sigreturn` restore.  Synchronous faults never leave the
thread: the engine stops at the faulting instruction and the vCPU delivers
them itself.
"""
from __future__ import annotations

import signal
import struct
from dataclasses import dataclass

NSIG = 64
SA_NOCLDSTOP, SA_NOCLDWAIT, SA_SIGINFO = 1, 2, 4
SA_RESTORER, SA_ONSTACK, SA_RESTART = 0x04000000, 0x08000000, 0x10000000
SA_NODEFER, SA_RESETHAND = 0x40000000, 0x80000000
SIG_DFL, SIG_IGN = 0, 1
SS_ONSTACK, SS_DISABLE, SS_AUTODISARM = 1, 2, 1 << 31
MINSIGSTKSZ = {"arm": 2048, "i386": 2048, "x86_64": 2048, "aarch64": 5120}

# Default actions (signal(7)).
DEFAULT_IGNORE = frozenset({signal.SIGCHLD, signal.SIGURG, signal.SIGWINCH, signal.SIGCONT})
DEFAULT_STOP = frozenset({signal.SIGSTOP, signal.SIGTSTP, signal.SIGTTIN, signal.SIGTTOU})
DEFAULT_CORE = frozenset({signal.SIGQUIT, signal.SIGILL, signal.SIGTRAP, signal.SIGABRT,
                          signal.SIGBUS, signal.SIGFPE, signal.SIGSEGV, signal.SIGSYS,
                          signal.SIGXCPU, signal.SIGXFSZ})
UNBLOCKABLE = (1 << (signal.SIGKILL - 1)) | (1 << (signal.SIGSTOP - 1))
SIGRTMIN_KERNEL = 32          # signals from here on queue; lower ones are pending once


def bit(sig: int) -> int:
    return 1 << (sig - 1)


@dataclass(frozen=True)
class SigAction:
    """The kernel's struct sigaction of one guest arch: handler, flags,
    restorer, 64-bit mask (in that order on all four arches)."""
    handler: int
    flags: int
    restorer: int
    mask: int

    @staticmethod
    def size(arch) -> int:
        return 3 * arch.word_size + 8

    @classmethod
    def unpack(cls, arch, data: bytes) -> SigAction:
        fmt = "<3" + arch.ulong_fmt + "Q"
        return cls(*struct.unpack(fmt, data[:cls.size(arch)]))

    def pack(self, arch) -> bytes:
        return struct.pack("<3" + arch.ulong_fmt + "Q", self.handler, self.flags,
                           self.restorer, self.mask)


DEFAULT_ACTION = SigAction(SIG_DFL, 0, 0, 0)


@dataclass
class PendingSignal:
    """A signal waiting for delivery to one thread: its number and the guest's
    siginfo_t (128 bytes in the guest's layout)."""
    sig: int
    info: bytes
    fault_address: int | None = None      # synchronous faults: the guest address
