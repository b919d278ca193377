"""Delivering signals to a guest thread: pick, act, build the frame, restart.

The vCPU calls `deliver` whenever its engine stopped with something pending
(a fault, a signal queued by the host handler, one sent by the thread to
itself).  A syscall that a signal interrupted returned -ERESTARTSYS; what the
guest then sees follows the kernel (arch/*/kernel/signal.c, handle_signal
and its syscall-restart switch): with a handler, EINTR, or the call again
after the handler if it was installed with SA_RESTART and the call is one
the kernel restarts; with no handler (the signal was ignored or blocked by
the time it was looked at), the call simply goes on.
"""
from __future__ import annotations

import errno
import os
import signal
import threading

from linuxuser.errors import GuestFault
from linuxuser.memory import PAGE_SIZE
from linuxuser.signals import (DEFAULT_ACTION, DEFAULT_IGNORE, DEFAULT_STOP, SA_NODEFER,
                               SA_RESETHAND, SA_RESTART, SA_RESTORER, SIG_DFL, SIG_IGN,
                               SIGRTMIN_KERNEL, UNBLOCKABLE, PendingSignal, bit, hostside,
                               siginfo)

ERESTARTSYS = hostside.ERESTARTSYS
FAULT_CODES = {signal.SIGBUS: siginfo.BUS_ADRERR, signal.SIGFPE: siginfo.FPE_INTDIV}
# Calls the kernel restarts after a handler installed with SA_RESTART (it ends
# them with -ERESTARTSYS); every other interrupted call gives the handler's
# thread EINTR (-ERESTARTNOHAND, -ERESTART_RESTARTBLOCK, or plain EINTR).
RESTARTED_WITH_SA_RESTART = frozenset({
    "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev",
    "ioctl", "wait4", "waitid", "waitpid", "futex", "futex_time64", "accept", "accept4",
    "connect", "recv", "recvfrom", "recvmsg", "send", "sendto", "sendmsg", "flock",
    "fcntl", "fcntl64", "open", "openat", "splice", "tee", "sendfile", "sendfile64"})


# What an interrupted call returns, by the kernel's rules (strace shows it):
# ERESTARTSYS for the calls above, ERESTARTNOHAND (restarted only if no handler
# runs), ERESTART_RESTARTBLOCK (sleeps: restarted for the time left), or EINTR
# at once (calls the kernel never restarts).
ERESTARTNOHAND, ERESTART_RESTARTBLOCK = 514, 516
INTERRUPTED_RESULT = {
    **dict.fromkeys(("pause", "rt_sigsuspend", "sigsuspend", "select", "_newselect",
                     "pselect6", "pselect6_time64", "poll", "ppoll", "ppoll_time64"),
                    ERESTARTNOHAND),
    **dict.fromkeys(("nanosleep", "clock_nanosleep", "clock_nanosleep_time64"),
                    ERESTART_RESTARTBLOCK),
    **dict.fromkeys(("rt_sigtimedwait", "rt_sigtimedwait_time64", "epoll_wait",
                     "epoll_pwait", "epoll_pwait2"), errno.EINTR),
}


def interrupted_result(name: str) -> int:
    """The negative value the interrupted call `name` leaves in the result register."""
    return -INTERRUPTED_RESULT.get(name, ERESTARTSYS)


def install(process) -> None:
    """Every host signal to linuxuser's handler, except those the guest ignores.

    The host's glibc installs its own handlers for its signals 32 and 33 when
    the process creates its first thread: a thread started and joined here
    first makes that happen before, not after, linuxuser's."""
    first = threading.Thread(target=lambda: None, name="linuxuser-glibc-late-init")
    first.start()
    first.join()
    hostside.catch_all({sig for sig in range(1, signal.NSIG)
                        if process.action(sig).handler == SIG_IGN})


def prepare_exec(vcpu) -> None:
    """Before execve: handlers end there, so every signal the guest does not
    ignore gets the host's default action (one arriving during the exec acts
    on the new program, as the kernel's would), and what is pending for this
    thread goes back to the host kernel, whose pending signals cross execve."""
    if not hostside.available():
        return
    process = vcpu.process
    take_host_queue(vcpu)
    for sig in range(1, signal.NSIG):
        if process.action(sig).handler != SIG_IGN and sig not in hostside.FAULT_SIGNALS:
            hostside.set_host_action(sig, hostside.DEFAULT)
    for p in vcpu.pending:
        if p.fault_address is None:
            signal.pthread_kill(threading.get_ident(), p.sig)
    vcpu.pending = []


def exec_failed(vcpu) -> None:
    """execve failed: linuxuser's handlers again (pending signals come back to them)."""
    if hostside.available():
        install(vcpu.process)


def _standard_pending(vcpu, sig: int) -> bool:
    return any(p.sig == sig for p in vcpu.pending)


def queue(vcpu, pending: PendingSignal, first: bool = False) -> None:
    """Make `pending` pending for this thread (a standard signal at most once)."""
    if pending.sig < SIGRTMIN_KERNEL and _standard_pending(vcpu, pending.sig):
        return
    if first:
        vcpu.pending.insert(0, pending)
    else:
        vcpu.pending.append(pending)
    update_ready(vcpu)


def take_host_queue(vcpu) -> None:
    """Signals the host handler queued for this thread join its pending list."""
    queued = vcpu.signal_queued
    if queued is None or not queued.value:
        return
    for raw in hostside.take_queued():
        info = siginfo.from_host(vcpu.arch, raw)
        queue(vcpu, PendingSignal(siginfo.signo(info), info))


def update_ready(vcpu) -> None:
    """Whether a pending signal is unblocked (the vCPU then stops to deliver it)."""
    mask = vcpu.sigmask
    vcpu.signal_ready = any(not mask & bit(p.sig) for p in vcpu.pending)


def set_mask(vcpu, mask: int) -> None:
    """The thread's guest mask, mirrored in its host thread's mask (so that the
    kernel sends process-directed signals to a thread that takes them).
    Faults stay unblocked on the host: linuxuser needs them."""
    mask &= ~UNBLOCKABLE
    vcpu.sigmask = mask
    hostside.set_thread_mask(mask)
    update_ready(vcpu)


def block_all(vcpu) -> None:
    """Hold every signal at the host (set_mask(vcpu, vcpu.sigmask) ends it)."""
    hostside.set_thread_mask(~0)


def is_ignored(process, sig: int) -> bool:
    act = process.action(sig)
    return act.handler == SIG_IGN or act.handler == SIG_DFL and sig in DEFAULT_IGNORE


def _next(vcpu) -> PendingSignal | None:
    mask = vcpu.sigmask
    for i, p in enumerate(vcpu.pending):
        if not mask & bit(p.sig):
            return vcpu.pending.pop(i)
    return None


def handler_due(vcpu) -> bool:
    """After a call a signal interrupted: does a signal now need the thread
    (a handler to run, or a default action that stops or ends the process)?
    Ignored signals are dropped here: the call then goes on as if nothing
    had come, as the kernel never wakes a thread for an ignored signal."""
    take_host_queue(vcpu)
    process = vcpu.process
    vcpu.pending = [p for p in vcpu.pending if p.fault_address is not None
                    or not is_ignored(process, p.sig)]
    update_ready(vcpu)
    return vcpu.signal_ready


def fault(vcpu, sig: int, address: int | None, code: int) -> None:
    """A synchronous fault of this thread.  Blocked or ignored, it kills the
    process (the kernel's force_sig_info resets the action to the default)."""
    process = vcpu.process
    if vcpu.sigmask & bit(sig) or process.action(sig).handler == SIG_IGN:
        process.set_action(sig, DEFAULT_ACTION)
        vcpu.sigmask &= ~bit(sig)
    pc = vcpu.arch.fault_pc(vcpu.uc)
    addr = address if address is not None else pc
    queue(vcpu, PendingSignal(sig, siginfo.fault(vcpu.arch, sig, code, addr), addr), first=True)


def deliver(vcpu) -> None:
    """Act on every deliverable signal: default actions, or frames for handlers
    (each handler's frame on top of the last, as the kernel stacks them)."""
    take_host_queue(vcpu)
    process = vcpu.process
    restart, vcpu.interrupted = vcpu.interrupted, None
    while True:
        p = _next(vcpu)
        if p is None:
            break
        act = process.action(p.sig)
        if act.handler == SIG_IGN or act.handler == SIG_DFL and p.sig in DEFAULT_IGNORE:
            continue
        if act.handler == SIG_DFL:
            _default_action(vcpu, p)
            continue
        if restart is not None:
            _after_interrupted_call(vcpu, restart, act)
            restart = None
        _enter_handler(vcpu, p, act)
    if restart is not None:          # only ignored or stopping signals came: go on
        _restart_call(vcpu, restart)
    if vcpu.saved_sigmask is not None:   # rt_sigsuspend's mask ends with the call
        set_mask(vcpu, vcpu.saved_sigmask)
        vcpu.saved_sigmask = None
    update_ready(vcpu)


def fault_code(vcpu, sig: int, address: int | None) -> int:
    """si_code of a fault: SIGSEGV says whether anything is mapped there."""
    if sig == signal.SIGSEGV:
        mapped = address is not None and vcpu.mem.region_at(address) is not None
        return siginfo.SEGV_ACCERR if mapped else siginfo.SEGV_MAPERR
    if sig == signal.SIGTRAP:
        return vcpu.arch.breakpoint_si_code
    if sig == signal.SIGILL:
        return vcpu.arch.undefined_si_code
    return FAULT_CODES.get(sig, siginfo.SI_KERNEL)


def _default_action(vcpu, p: PendingSignal) -> None:
    process = vcpu.process
    if process.tracer is not None:
        process.tracer.delivered(vcpu, p.sig, p.info)
    if p.sig in DEFAULT_STOP:
        _stop(p.sig)
        return
    process.end(128 + p.sig, p.sig)


def _stop(sig: int) -> None:
    """The whole process stops by `sig` (its parent's wait sees that signal),
    until a SIGCONT."""
    if hostside.available() and sig != signal.SIGSTOP:
        hostside.set_host_action(sig, hostside.DEFAULT)
        old = signal.pthread_sigmask(signal.SIG_UNBLOCK, {sig})
        signal.pthread_kill(threading.get_ident(), sig)
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
        hostside.set_host_action(sig, hostside.HANDLER)
    else:
        os.kill(os.getpid(), signal.SIGSTOP)


def _after_interrupted_call(vcpu, restart: tuple, act) -> None:
    """The kernel's choice for a call a handler interrupts: EINTR, or run it
    again after the handler (SA_RESTART and a call that allows it)."""
    name = restart[0]
    if act.flags & SA_RESTART and name in RESTARTED_WITH_SA_RESTART:
        _restart_call(vcpu, restart)
    else:
        vcpu.regs.write(vcpu.arch.syscall_abi.result, -errno.EINTR)


def _restart_call(vcpu, restart: tuple) -> None:
    """Back to the syscall instruction, with the register the result took."""
    _name, nr, arg0 = restart
    arch, uc = vcpu.arch, vcpu.uc
    abi = arch.syscall_abi
    vcpu.regs.write(abi.result, nr if abi.result == abi.number else arg0)
    arch.set_pc(uc, arch.get_pc(uc) - arch.syscall_insn_size(uc))


def _enter_handler(vcpu, p: PendingSignal, act) -> None:
    process = vcpu.process
    if process.tracer is not None:
        process.tracer.delivered(vcpu, p.sig, p.info)
    frames = vcpu.arch.signal_frames
    oldmask = vcpu.saved_sigmask if vcpu.saved_sigmask is not None else vcpu.sigmask
    vcpu.saved_sigmask = None
    trampoline = 0
    if not act.flags & SA_RESTORER and frames.trampoline:
        trampoline = sigreturn_page(process)
    try:
        frames.setup(vcpu, p.sig, p.info, act, oldmask, p.fault_address or 0, trampoline)
    except GuestFault:
        # No room for the frame (a stack overflow without an alternate stack):
        # the kernel's force_sigsegv.
        process.set_action(signal.SIGSEGV, DEFAULT_ACTION)
        _default_action(vcpu, PendingSignal(signal.SIGSEGV, siginfo.build(
            vcpu.arch, signal.SIGSEGV, siginfo.SI_KERNEL)))
        return
    newmask = oldmask | act.mask
    if not act.flags & SA_NODEFER:
        newmask |= bit(p.sig)
    if act.flags & SA_RESETHAND:
        process.set_action(p.sig, DEFAULT_ACTION)
    set_mask(vcpu, newmask)


def sigreturn_page(process) -> int:
    """The page holding the arch's sigreturn trampolines, mapped when first needed.

    Under the memory lock: threads taking their first signals at once would
    otherwise each map a page, and one's write-protect could land between
    another's map and write (a host fault in linuxuser)."""
    if process.sigreturn_page is None:
        frames = process.arch.signal_frames
        mem = process.memory
        with mem.lock:
            if process.sigreturn_page is None:
                addr = mem.find_free(PAGE_SIZE, process.mmap_top)
                mem.map(addr, PAGE_SIZE, 3, name=frames.trampoline_name)
                mem.write(addr, frames.trampoline)
                mem.protect(addr, PAGE_SIZE, 5)
                process.sigreturn_page = addr
    return process.sigreturn_page


def sigreturn(vcpu, rt: bool) -> None:
    """(rt_)sigreturn: registers and mask back from the frame; a bad frame is
    the kernel's SIGSEGV."""
    try:
        mask = vcpu.arch.signal_frames.restore(vcpu, rt)
    except GuestFault:
        fault(vcpu, signal.SIGSEGV, None, siginfo.SI_KERNEL)
        return
    set_mask(vcpu, mask)
