"""Signals: dispositions and masks are recorded; kill/tgkill/tkill to the guest
itself take the default action.  (Running guest handlers comes with signal frames.)
"""
from __future__ import annotations

import ctypes
import errno
import os
import signal as host_signal

from linuxuser.process import SIG_DFL, SIG_IGN
from linuxuser.syscalls import host
from linuxuser.syscalls.args import s32
from linuxuser.syscalls.table import syscall

SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK = 0, 1, 2
NSIG = 64
_UNBLOCKABLE = (1 << (host_signal.SIGKILL - 1)) | (1 << (host_signal.SIGSTOP - 1))


def sigaction_size(t) -> int:
    """Kernel struct sigaction: handler, flags, [restorer], 64-bit mask."""
    words = 3 if t.arch.sigaction_has_restorer else 2
    return words * t.arch.word_size + 8


@syscall("rt_sigaction")
def sys_rt_sigaction(t, sig, act, oldact, sigsetsize):
    sig = s32(sig)
    if not 1 <= sig <= NSIG or sigsetsize != 8:
        return -errno.EINVAL
    size = sigaction_size(t)
    new = t.mem.read(act, size) if act else None
    if new is not None and sig in (host_signal.SIGKILL, host_signal.SIGSTOP):
        return -errno.EINVAL
    if oldact:
        t.mem.write(oldact, t.process.sigactions.get(sig, bytes(size)))
    if new is not None:
        t.process.set_disposition(sig, new)
    return 0


@syscall("rt_sigprocmask")
def sys_rt_sigprocmask(t, how, nset, oldset, sigsetsize):
    if sigsetsize != 8:
        return -errno.EINVAL
    old = t.sigmask
    if nset:
        mask = int.from_bytes(t.mem.read(nset, 8), "little")
        how = s32(how)
        if how == SIG_BLOCK:
            new = old | mask
        elif how == SIG_UNBLOCK:
            new = old & ~mask
        elif how == SIG_SETMASK:
            new = mask
        else:
            return -errno.EINVAL
        t.sigmask = new & ~_UNBLOCKABLE
    if oldset:
        t.mem.write(oldset, old.to_bytes(8, "little"))
    return 0


@syscall("sigaltstack")
def sys_sigaltstack(t, ss, old_ss):
    size = 3 * t.arch.word_size             # stack_t: ss_sp, ss_flags, ss_size
    if old_ss:
        t.mem.write(old_ss, t.sigaltstack or (b"\0" * t.arch.word_size
                                              + (2).to_bytes(4, "little")   # SS_DISABLE
                                              + bytes(size - t.arch.word_size - 4)))
    if ss:
        t.sigaltstack = t.mem.read(ss, size)
    return 0


def _signal_self(t, sig: int) -> int:
    if sig == 0:
        return 0
    if not 1 <= sig <= NSIG:
        return -errno.EINVAL
    if t.process.disposition(sig) == SIG_IGN:
        return 0
    if t.process.disposition(sig) != SIG_DFL:
        t.process.log.once(("handler", sig), f"linuxuser: guest handler for signal {sig} "
                           "not run (signal delivery is not implemented): default action")
    t.process.deliver_fatal_signal(t, sig, None, sent_by_syscall=True)
    return 0


@syscall("kill")
def sys_kill(t, pid, sig):
    pid = s32(pid)
    if pid in (t.process.pid, 0):
        return _signal_self(t, s32(sig))
    os.kill(pid, s32(sig))
    return 0


@syscall("tgkill")
def sys_tgkill(t, tgid, tid, sig):
    if s32(tgid) != t.process.pid or t.process.threads.by_tid(s32(tid)) is None:
        return -errno.ESRCH
    return _signal_self(t, s32(sig))


@syscall("tkill")
def sys_tkill(t, tid, sig):
    if t.process.threads.by_tid(s32(tid)) is None:
        return -errno.ESRCH
    return _signal_self(t, s32(sig))


@syscall("pause")
def sys_pause(t):
    """Sleep until a signal arrives (in the host: ctypes releases the GIL)."""
    return host.call("pause")
@syscall("rt_sigpending")
def sys_rt_sigpending(t, set_, sigsetsize):
    """Nothing is ever pending: signals the guest blocks are not held for it."""
    if sigsetsize != 8:
        return -errno.EINVAL
    t.mem.write(set_, bytes(8))
    return 0


@syscall("rt_sigsuspend")
def sys_rt_sigsuspend(t, mask, sigsetsize):
    """Wait for a signal with the guest's mask.  Guest handlers are not run, so
    only a signal whose action ends the process ends the wait."""
    if sigsetsize != 8:
        return -errno.EINVAL
    host_mask = ctypes.create_string_buffer(128)
    host_mask[:8] = t.mem.read(mask, 8)
    t.process.log.once(("sigsuspend",), "linuxuser: rt_sigsuspend waits for a signal that "
                       "ends the process (guest handlers are not run)")
    host.call("sigsuspend", host_mask)
    return -errno.EINTR
