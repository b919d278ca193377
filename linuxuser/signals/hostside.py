"""The host side of guest signals: linuxuser's Unicorn's signal entry points.

The patched engine (linuxuser_signals.c) holds the one host handler every
signal goes to: it queues the signal for the host thread that took it and
stops that thread's engine at the next block boundary; Python's own signal
handlers could not (they run only on the main thread, between bytecodes).
Blocking host calls go through `safe_syscall` so that a signal arriving
just before one starts still interrupts it.  PyPI's engine has none of this:
`available()` is then false and the guest gets the default actions only.
"""
from __future__ import annotations

import ctypes
import signal

from linuxuser.atomics import _patch_function

ERESTARTSYS = 512
SIGINFO_SIZE = 128
HANDLER, IGNORE, DEFAULT = 0, 1, 2
# Signals linuxuser keeps its own handler for whatever the guest asks: faults
# in translated code (direct addressing) and its own crashes.
FAULT_SIGNALS = frozenset({signal.SIGSEGV, signal.SIGBUS, signal.SIGILL, signal.SIGFPE,
                           signal.SIGTRAP})
NOT_CATCHABLE = frozenset({signal.SIGKILL, signal.SIGSTOP})

_action = _patch_function("uc_linuxuser_signal_action", ctypes.c_int, ctypes.c_int)
_bind = _patch_function("uc_linuxuser_signal_bind", ctypes.c_void_p)
_queued = _patch_function("uc_linuxuser_signal_queued")
_take = _patch_function("uc_linuxuser_take_signals", ctypes.c_void_p, ctypes.c_int)
_safe = _patch_function("uc_linuxuser_safe_syscall", *[ctypes.c_long] * 7)
if _queued is not None:
    _queued.restype = ctypes.c_void_p
    _safe.restype = ctypes.c_long


def available() -> bool:
    """True if the loaded engine delivers host signals to the guest."""
    return _action is not None


def set_host_action(sig: int, action: int) -> None:
    """Give host signal `sig` linuxuser's handler, SIG_IGN or SIG_DFL."""
    if _action is not None and sig not in NOT_CATCHABLE:
        _action(sig, action)


def catch_all(ignored: set[int]) -> None:
    """Every signal to linuxuser's handler, except those the guest ignores."""
    for sig in range(1, signal.NSIG):
        if sig not in NOT_CATCHABLE:
            set_host_action(sig, IGNORE if sig in ignored and sig not in FAULT_SIGNALS
                            else HANDLER)


_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
_SYS_RT_SIGPROCMASK, _SIG_SETMASK = 14, 2


def set_thread_mask(mask: int) -> None:
    """The calling host thread's signal mask, bit sig-1 for each signal (the
    raw syscall: glibc's pthread_sigmask leaves out its own signals 32 and 33,
    which a guest's glibc uses for thread cancellation and setxid)."""
    new = ctypes.c_uint64(mask & ~sum(1 << (s - 1) for s in FAULT_SIGNALS | NOT_CATCHABLE))
    _libc.syscall(ctypes.c_long(_SYS_RT_SIGPROCMASK), ctypes.c_long(_SIG_SETMASK),
                  ctypes.byref(new), None, ctypes.c_long(8))


def bind_thread(uc) -> ctypes.c_int | None:
    """This host thread runs `uc`; returns the thread's count of queued
    signals (read it to know whether any arrived: no call needed)."""
    if _bind is None:
        return None
    _bind(uc._uch)
    return ctypes.c_int.from_address(_queued())


def take_queued() -> list[bytes]:
    """The host siginfo_t of each signal queued for this thread, oldest first."""
    buf = ctypes.create_string_buffer(SIGINFO_SIZE * 64)
    n = _take(ctypes.addressof(buf), 64)
    return [buf.raw[i * SIGINFO_SIZE:(i + 1) * SIGINFO_SIZE] for i in range(n)]


def safe_syscall(nr: int, *args: int) -> int:
    """Host syscall `nr`: its result, -errno, or -ERESTARTSYS when a signal
    came first (queued before it started, or interrupting it)."""
    padded = [a if a is not None else 0 for a in args] + [0] * (6 - len(args))
    res = _safe(nr, *padded)
    return -ERESTARTSYS if res == -4 else res       # EINTR: a signal came
