"""Signals: actions, masks, pending sets, sending, waiting, sigreturn.

Delivery itself is linuxuser.signals.delivery's: these handlers change the
state it reads.  Signals are sent through the host kernel (guest PIDs and
TIDs are host ones), whose choice of thread follows the host masks, which
mirror the guest's; the receiving thread's host handler queues the signal
and the vCPU delivers it on the way back to guest code.
"""
from __future__ import annotations

import ctypes
import errno
import os
import signal as host_signal
import struct

from linuxuser.errors import GuestFault
from linuxuser.signals import (DEFAULT_IGNORE, MINSIGSTKSZ, NSIG, SIG_DFL, SIG_IGN,
                               SS_AUTODISARM, SS_DISABLE, SS_ONSTACK, UNBLOCKABLE,
                               SigAction, bit, delivery, hostside, siginfo)
from linuxuser.signals.frames import stack_t_size
from linuxuser.syscalls import host
from linuxuser.syscalls.args import s32, s64
from linuxuser.syscalls.futex import HostTimespec
from linuxuser.syscalls.structs import timespec_layout
from linuxuser.syscalls.table import NO_RESULT, syscall

SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK = 0, 1, 2
# Host (x86-64) syscall numbers of calls libc does not wrap as they are.
_SYS_RT_SIGQUEUEINFO, _SYS_RT_TGSIGQUEUEINFO, _SYS_TGKILL, _SYS_SIGNALFD4 = 129, 297, 234, 289


def _sigset(t, addr: int) -> int:
    return int.from_bytes(t.mem.read(addr, 8), "little")


def _check_signal(sig: int) -> None:
    if not 1 <= sig <= NSIG:
        raise OSError(errno.EINVAL, "signal number")


def _host_call(nr: int, *args) -> int:
    res = host.libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(a) if isinstance(a, int)
                                                 else a for a in args])
    if res == -1:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return res


# -- actions and masks ------------------------------------------------------------

@syscall("rt_sigaction")
def sys_rt_sigaction(t, sig, act, oldact, sigsetsize):
    sig = s32(sig)
    if not 1 <= sig <= NSIG or sigsetsize != 8:
        return -errno.EINVAL
    arch, process = t.arch, t.process
    new = SigAction.unpack(arch, t.mem.read(act, SigAction.size(arch))) if act else None
    if new is not None and sig in (host_signal.SIGKILL, host_signal.SIGSTOP):
        return -errno.EINVAL
    if oldact:
        t.mem.write(oldact, process.action(sig).pack(arch))
    if new is not None:
        new = SigAction(new.handler, new.flags, new.restorer, new.mask & ~UNBLOCKABLE)
        process.set_action(sig, new)
        if new.handler == SIG_IGN or new.handler == SIG_DFL and sig in DEFAULT_IGNORE:
            for vcpu in process.threads.vcpus:         # pending ones are discarded
                vcpu.pending = [p for p in vcpu.pending if p.sig != sig]
    return 0


@syscall("rt_sigprocmask")
def sys_rt_sigprocmask(t, how, nset, oldset, sigsetsize):
    if sigsetsize != 8:
        return -errno.EINVAL
    old = t.sigmask
    if nset:
        mask = _sigset(t, nset)
        how = s32(how)
        if how == SIG_BLOCK:
            new = old | mask
        elif how == SIG_UNBLOCK:
            new = old & ~mask
        elif how == SIG_SETMASK:
            new = mask
        else:
            return -errno.EINVAL
    if oldset:
        t.mem.write(oldset, old.to_bytes(8, "little"))
    if nset:
        delivery.set_mask(t, new)
    return 0


@syscall("rt_sigpending")
def sys_rt_sigpending(t, set_, sigsetsize):
    """Pending and blocked: this thread's, and what the host holds for the
    process (signals every thread blocks stay there)."""
    if sigsetsize > 8:
        return -errno.EINVAL
    delivery.take_host_queue(t)
    pending = sum(bit(p.sig) for p in t.pending)
    pending |= sum(bit(sig) for sig in host_signal.sigpending())
    t.mem.write(set_, (pending & t.sigmask).to_bytes(8, "little")[:sigsetsize])
    return 0


@syscall("sigaltstack")
def sys_sigaltstack(t, ss, old_ss):
    arch, alt = t.arch, t.altstack
    sp = t.regs.read(arch.sp_reg)
    new = t.mem.read(ss, stack_t_size(arch)) if ss else None
    if old_ss:
        t.mem.write(old_ss, alt.pack(arch, sp))
    if new is not None:
        if arch.bits == 64:
            ss_sp, flags, size = struct.unpack("<Qi4xQ", new)
        else:
            ss_sp, flags, size = struct.unpack("<IiI", new)
        if alt.on_stack(sp):
            return -errno.EPERM
        mode = flags & ~SS_AUTODISARM
        if mode not in (0, SS_ONSTACK, SS_DISABLE):
            return -errno.EINVAL
        if mode == SS_DISABLE:
            alt.sp, alt.size, alt.flags = 0, 0, SS_DISABLE
        else:
            if size < MINSIGSTKSZ[arch.name]:
                return -errno.ENOMEM
            alt.sp, alt.size, alt.flags = ss_sp, size, 0
    return 0


# -- sending ----------------------------------------------------------------------

@syscall("kill")
def sys_kill(t, pid, sig):
    sig = s32(sig)
    if sig:
        _check_signal(sig)
    os.kill(s32(pid), sig)
    return 0


def _guest_thread(t, tid: int) -> None:
    if tid <= 0:
        raise OSError(errno.EINVAL, "tid")
    if t.process.threads.by_tid(tid) is None:
        raise OSError(errno.ESRCH, "no such thread")


@syscall("tgkill")
def sys_tgkill(t, tgid, tid, sig):
    tgid, tid, sig = s32(tgid), s32(tid), s32(sig)
    if sig:
        _check_signal(sig)
    if tgid == t.process.pid:
        _guest_thread(t, tid)
    return _host_call(_SYS_TGKILL, tgid, tid, sig)


@syscall("tkill")
def sys_tkill(t, tid, sig):
    tid, sig = s32(tid), s32(sig)
    if sig:
        _check_signal(sig)
    _guest_thread(t, tid)
    return _host_call(_SYS_TGKILL, t.process.pid, tid, sig)


@syscall("rt_sigqueueinfo")
def sys_rt_sigqueueinfo(t, pid, sig, uinfo):
    sig = s32(sig)
    _check_signal(sig)
    info = ctypes.create_string_buffer(siginfo.to_host(t.arch, t.mem.read(uinfo, siginfo.SIZE)))
    return _host_call(_SYS_RT_SIGQUEUEINFO, s32(pid), sig, info)


@syscall("rt_tgsigqueueinfo")
def sys_rt_tgsigqueueinfo(t, tgid, tid, sig, uinfo):
    sig = s32(sig)
    _check_signal(sig)
    info = ctypes.create_string_buffer(siginfo.to_host(t.arch, t.mem.read(uinfo, siginfo.SIZE)))
    return _host_call(_SYS_RT_TGSIGQUEUEINFO, s32(tgid), s32(tid), sig, info)


# -- waiting ----------------------------------------------------------------------

@syscall("pause")
def sys_pause(t):
    return host.call("pause")


@syscall("rt_sigsuspend")
def sys_rt_sigsuspend(t, mask, sigsetsize):
    """Wait with the given mask; the handler's frame saves the old one, which
    comes back after it (delivery.deliver)."""
    if sigsetsize != 8:
        return -errno.EINVAL
    new = _sigset(t, mask) & ~UNBLOCKABLE
    if t.saved_sigmask is None:
        t.saved_sigmask = t.sigmask
    t.sigmask = new
    host_mask = ctypes.c_uint64(new & ~sum(bit(s) for s in hostside.FAULT_SIGNALS))
    return host.call("rt_sigsuspend", ctypes.byref(host_mask))


def _sigtimedwait(t, uthese: int, uinfo: int, uts: int, sigsetsize: int, time64: bool) -> int:
    """A signal of the set, already pending for the thread or from the host."""
    if sigsetsize != 8:
        return -errno.EINVAL
    these = _sigset(t, uthese) & ~UNBLOCKABLE
    delivery.take_host_queue(t)
    for i, p in enumerate(t.pending):
        if these & bit(p.sig):
            del t.pending[i]
            delivery.update_ready(t)
            if uinfo:
                t.mem.write(uinfo, p.info)
            return p.sig
    timeout = None
    if uts:
        layout = timespec_layout(t.arch, time64)
        ts = layout.unpack(t.mem.read(uts, layout.size))
        timeout = ctypes.byref(HostTimespec(ts["sec"], ts["nsec"]))
    host_set = ctypes.c_uint64(these)
    info = ctypes.create_string_buffer(siginfo.SIZE)
    sig = host.call("rt_sigtimedwait", ctypes.byref(host_set), info, timeout)
    if uinfo:
        t.mem.write(uinfo, siginfo.from_host(t.arch, info.raw))
    return sig


@syscall("rt_sigtimedwait")
def sys_rt_sigtimedwait(t, uthese, uinfo, uts, sigsetsize):
    return _sigtimedwait(t, uthese, uinfo, uts, sigsetsize, False)


@syscall("rt_sigtimedwait_time64")
def sys_rt_sigtimedwait_time64(t, uthese, uinfo, uts, sigsetsize):
    return _sigtimedwait(t, uthese, uinfo, uts, sigsetsize, True)


@syscall("signalfd4")
def sys_signalfd4(t, fd, mask, sizemask, flags):
    if sizemask != 8:
        return -errno.EINVAL
    host_mask = ctypes.c_uint64(_sigset(t, mask))
    return _host_call(_SYS_SIGNALFD4, s32(fd), ctypes.byref(host_mask), 8, s32(flags))


@syscall("signalfd")
def sys_signalfd(t, fd, mask, sizemask):
    return sys_signalfd4(t, fd, mask, sizemask, 0)


@syscall("restart_syscall")
def sys_restart_syscall(t):
    return -errno.EINTR


# -- returning from a handler -------------------------------------------------------

def _sigreturn(t, rt: bool) -> int:
    """The vCPU restores the frame once out of the hook; the call "returns" the
    result register's saved value, as the kernel's does (strace shows it)."""
    t.sigreturn_rt = rt
    try:
        _mask, result = t.arch.signal_frames.saved_state(t, rt)
    except GuestFault:
        return NO_RESULT                # restoring fails too: SIGSEGV then
    return s64(result) if t.arch.bits == 64 else s32(result)


@syscall("rt_sigreturn")
def sys_rt_sigreturn(t):
    return _sigreturn(t, True)


@syscall("sigreturn")
def sys_sigreturn(t):
    return _sigreturn(t, False)
