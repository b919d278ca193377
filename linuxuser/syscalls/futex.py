"""futex(2), forwarded to the host futex on the host address of the guest word.

Guest threads are host threads of one process and guest memory is host memory,
so the host kernel does the queueing, the comparing and the waking: private and
shared futexes, requeueing, WAKE_OP and bitsets behave exactly as natively, and
a waiting thread sleeps in the kernel without holding the GIL.  Guest TIDs are
host TIDs, so even the priority-inheritance operations mean the same thing.
Only the timeout needs converting (the guest's struct timespec).
"""
from __future__ import annotations

import ctypes
import errno

from linuxuser.memory import PROT_READ, PROT_WRITE
from linuxuser.syscalls import host
from linuxuser.syscalls.structs import timespec_layout
from linuxuser.syscalls.table import syscall

FUTEX_WAIT, FUTEX_WAKE, FUTEX_FD, FUTEX_REQUEUE, FUTEX_CMP_REQUEUE = 0, 1, 2, 3, 4
FUTEX_WAKE_OP, FUTEX_LOCK_PI, FUTEX_UNLOCK_PI, FUTEX_TRYLOCK_PI = 5, 6, 7, 8
FUTEX_WAIT_BITSET, FUTEX_WAKE_BITSET, FUTEX_WAIT_REQUEUE_PI = 9, 10, 11
FUTEX_CMP_REQUEUE_PI, FUTEX_LOCK_PI2 = 12, 13
FUTEX_PRIVATE_FLAG, FUTEX_CLOCK_REALTIME = 128, 256
FUTEX_CMD_MASK = ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME)

# Per command: (4th argument is a timeout pointer, uses uaddr2, guest access to uaddr).
_COMMANDS = {
    FUTEX_WAIT: (True, False, PROT_READ),
    FUTEX_WAKE: (False, False, 0),
    FUTEX_REQUEUE: (False, True, 0),
    FUTEX_CMP_REQUEUE: (False, True, PROT_READ),
    FUTEX_WAKE_OP: (False, True, 0),
    FUTEX_LOCK_PI: (True, False, PROT_READ | PROT_WRITE),
    FUTEX_LOCK_PI2: (True, False, PROT_READ | PROT_WRITE),
    FUTEX_UNLOCK_PI: (False, False, PROT_READ | PROT_WRITE),
    FUTEX_TRYLOCK_PI: (False, False, PROT_READ | PROT_WRITE),
    FUTEX_WAIT_BITSET: (True, False, PROT_READ),
    FUTEX_WAKE_BITSET: (False, False, 0),
    FUTEX_WAIT_REQUEUE_PI: (True, True, PROT_READ),
    FUTEX_CMP_REQUEUE_PI: (False, True, PROT_READ),
}
# What uaddr2 must allow: WAKE_OP writes it, the PI requeues lock it.
_UADDR2_ACCESS = {FUTEX_WAKE_OP: PROT_READ | PROT_WRITE,
                  FUTEX_WAIT_REQUEUE_PI: PROT_READ | PROT_WRITE,
                  FUTEX_CMP_REQUEUE_PI: PROT_READ | PROT_WRITE}


class HostTimespec(ctypes.Structure):
    """struct timespec of the host (x86-64), for host calls that take one."""
    _fields_ = [("tv_sec", ctypes.c_int64), ("tv_nsec", ctypes.c_int64)]


def futex_word(t, addr: int, access: int) -> int:
    """Host address of a guest futex word: 4-aligned (EINVAL) and mapped (EFAULT)."""
    if addr % 4:
        raise OSError(errno.EINVAL, "unaligned futex")
    if access:
        return t.mem.check(addr, 4, access)
    if addr + 4 > t.mem.size:
        raise OSError(errno.EFAULT, "futex outside the guest")
    return t.mem.g2h(addr)


def do_futex(t, uaddr: int, op: int, val: int, arg4: int, uaddr2: int, val3: int,
             time64: bool) -> int:
    cmd = op & FUTEX_CMD_MASK
    if cmd not in _COMMANDS:
        return -errno.ENOSYS
    has_timeout, has_uaddr2, access = _COMMANDS[cmd]
    word = futex_word(t, uaddr, access)
    word2 = futex_word(t, uaddr2, _UADDR2_ACCESS.get(cmd, PROT_READ)) if has_uaddr2 else 0
    if has_timeout:
        timeout = None
        if arg4:
            layout = timespec_layout(t.arch, time64)
            ts = layout.unpack(t.mem.read(arg4, layout.size))
            timeout = ctypes.byref(HostTimespec(ts["sec"], ts["nsec"]))
        fourth = timeout
    else:
        fourth = arg4 & 0xFFFFFFFF               # val2: a count, passed in the pointer slot
    return host.futex(word, op & 0xFFFFFFFF, val & 0xFFFFFFFF, fourth, word2,
                      val3 & 0xFFFFFFFF)


@syscall("futex")
def sys_futex(t, uaddr, op, val, timeout, uaddr2, val3):
    return do_futex(t, uaddr, op, val, timeout, uaddr2, val3, False)


@syscall("futex_time64")
def sys_futex_time64(t, uaddr, op, val, timeout, uaddr2, val3):
    return do_futex(t, uaddr, op, val, timeout, uaddr2, val3, True)


def wake_all(t, addr: int) -> None:
    """Wake every waiter on a guest word, private or shared (CLONE_CHILD_CLEARTID)."""
    word = t.mem.g2h(addr)
    for op in (FUTEX_WAKE | FUTEX_PRIVATE_FLAG, FUTEX_WAKE):
        try:
            host.futex(word, op, 0x7FFFFFFF, None, 0, 0)
        except OSError:
            pass
