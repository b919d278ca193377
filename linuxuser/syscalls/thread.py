"""Threads: clone/clone3 of a thread, exit, TIDs, robust lists, affinity.

A new guest thread is a new host thread with a new Unicorn engine: the parent's
CPU state is copied into it, then it gets its own stack pointer, TLS and a 0
return value, as the kernel's copy_thread does.  Its TID is the TID of its host
thread.  Forms of clone that make a process rather than a thread go to fork.
"""
from __future__ import annotations

import ctypes
import errno
import os
import struct
import threading
from dataclasses import dataclass

from linuxuser.atomics import ENGINE_VARIABLE, TAKE_TURNS_WARNING, parallel_atomics
from linuxuser.syscalls import host
from linuxuser.syscalls.args import s32
from linuxuser.syscalls.children import fork_child
from linuxuser.syscalls.futex import wake_all
from linuxuser.syscalls.table import NO_RESULT, syscall
from linuxuser.translate.vcpu import Vcpu

CLONE_VM, CLONE_FS, CLONE_FILES, CLONE_SIGHAND = 0x100, 0x200, 0x400, 0x800
CLONE_PIDFD, CLONE_VFORK, CLONE_THREAD, CLONE_SYSVSEM = 0x1000, 0x4000, 0x10000, 0x40000
CLONE_SETTLS, CLONE_PARENT_SETTID, CLONE_CHILD_CLEARTID = 0x80000, 0x100000, 0x200000
CLONE_DETACHED, CLONE_CHILD_SETTID = 0x400000, 0x1000000
CSIGNAL = 0xFF
# What makes a clone a thread of this process (glibc, musl and bionic all pass these).
THREAD_FLAGS = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD
# The flags a thread may carry besides: handled here, or meaningless for threads.
THREAD_OPTIONAL = (CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID
                   | CLONE_DETACHED | CLONE_CHILD_SETTID | CSIGNAL)
# The translated-code cache of each further thread's engine.
THREAD_TRANSLATION_BUFFER = 64 << 20
CLONE_ARGS_SIZE_VER0 = 64



@dataclass
class CloneRequest:
    """clone(2) or clone3(2), decoded."""
    flags: int
    stack: int = 0                   # the child's stack pointer (0: the parent's)
    parent_tid: int = 0
    child_tid: int = 0
    tls: int = 0


@syscall("clone")
def sys_clone(t, a0, a1, a2, a3, a4):
    args = dict(zip(t.arch.clone_args, (a0, a1, a2, a3, a4)))
    return do_clone(t, CloneRequest(**args))


@syscall("clone3")
def sys_clone3(t, uargs, size):
    """struct clone_args: every field a __u64, the same on every arch."""
    if size < CLONE_ARGS_SIZE_VER0:
        return -errno.EINVAL
    (flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size,
     tls) = struct.unpack("<8Q", t.mem.read(uargs, CLONE_ARGS_SIZE_VER0))
    if flags & CSIGNAL or exit_signal > 64:
        return -errno.EINVAL
    if size > CLONE_ARGS_SIZE_VER0 and any(t.mem.read(uargs + CLONE_ARGS_SIZE_VER0,
                                                      min(size, 4096) - CLONE_ARGS_SIZE_VER0)):
        # set_tid, cgroup...: not supported (glibc falls back to clone on ENOSYS).
        return -errno.E2BIG
    top = (stack + stack_size) & t.arch.word_mask if stack else 0
    return do_clone(t, CloneRequest(flags | exit_signal, top, parent_tid, child_tid, tls))


def do_clone(t, req: CloneRequest) -> int:
    if req.flags & CLONE_THREAD:
        if req.flags & THREAD_FLAGS != THREAD_FLAGS or req.flags & ~(THREAD_FLAGS | THREAD_OPTIONAL):
            return -errno.EINVAL
        return start_thread(t, req)
    if req.flags & CLONE_VM and not req.flags & CLONE_VFORK:
        # A process sharing our memory but not a thread (LinuxThreads, 1999).
        t.process.log.once(("clone", "vm"), "linuxuser: clone with CLONE_VM but not "
                           f"CLONE_THREAD (flags {req.flags:#x}) is not supported: ENOSYS")
        return -errno.ENOSYS
    return fork_child(t, req.flags, req.stack, req.parent_tid, req.child_tid, req.tls)


def start_thread(parent: Vcpu, req: CloneRequest) -> int:
    """A new guest thread on a new host thread; returns its TID."""
    process, arch = parent.process, parent.arch
    if not parallel_atomics():
        if os.environ.get(ENGINE_VARIABLE) != "stock":
            process.log.once("take-turns", TAKE_TURNS_WARNING)
        process.threads.take_turns()
    child = Vcpu(process, arch.new_engine(THREAD_TRANSLATION_BUFFER))
    arch.copy_engine_state(parent.uc, child.uc)
    uc = child.uc
    if arch.syscall_pc_lag:
        uc.reg_write(arch.pc_reg, uc.reg_read(arch.pc_reg) + arch.syscall_pc_lag)
    if req.stack:
        uc.reg_write(arch.sp_reg, req.stack)
    uc.reg_write(arch.syscall_abi.result, 0)
    if req.flags & CLONE_SETTLS:
        arch.set_clone_tls(uc, parent.mem, req.tls)
    child.sigmask = parent.sigmask
    child.comm = parent.comm                   # a new thread starts with its creator's name
    if req.flags & CLONE_CHILD_CLEARTID:
        child.clear_child_tid = req.child_tid
    child.attach_memory()

    started, go = threading.Event(), threading.Event()

    def host_thread() -> None:
        child.tid = threading.get_native_id()
        started.set()
        go.wait()
        if req.flags & CLONE_CHILD_SETTID:
            _put_tid(child, req.child_tid, child.tid)
        child.run()
        process.memory.detach(child.uc)

    threading.Thread(target=host_thread, name="guest-thread", daemon=True).start()
    started.wait()
    process.threads.add(child)
    if req.flags & CLONE_PARENT_SETTID:
        _put_tid(parent, req.parent_tid, child.tid)
    go.set()
    return child.tid


def _put_tid(t: Vcpu, addr: int, tid: int) -> None:
    """Store the new thread's TID for CLONE_PARENT_SETTID / CLONE_CHILD_SETTID."""
    try:
        t.mem.write(addr, struct.pack("<i", tid))
    except Exception:            # noqa: BLE001 - a bad pointer is the guest's problem
        pass


@syscall("exit")
def sys_exit(t, status):
    """End this thread; CLONE_CHILD_CLEARTID's word is cleared and woken (pthread_join)."""
    if t.clear_child_tid:
        try:
            t.mem.write(t.clear_child_tid, bytes(4))
            wake_all(t, t.clear_child_tid)
        except Exception:        # noqa: BLE001 - unmapped: nothing to clear, as Linux
            pass
    t.process.thread_exit(t, status & 0xFF)
    return NO_RESULT


@syscall("gettid")
def sys_gettid(t):
    return t.tid


@syscall("set_tid_address")
def sys_set_tid_address(t, tidptr):
    t.clear_child_tid = tidptr
    return t.tid


@syscall("set_robust_list")
def sys_set_robust_list(t, head, length):
    if length != 3 * t.arch.word_size:          # struct robust_list_head
        return -errno.EINVAL
    t.robust_list = (head, length)
    return 0


@syscall("get_robust_list")
def sys_get_robust_list(t, pid, head_ptr, len_ptr):
    target = t if s32(pid) == 0 else t.process.threads.by_tid(s32(pid))
    if target is None:
        return -errno.ESRCH
    fmt = "<" + t.arch.ulong_fmt
    t.mem.write(head_ptr, struct.pack(fmt, target.robust_list[0]))
    t.mem.write(len_ptr, struct.pack(fmt, target.robust_list[1] or 3 * t.arch.word_size))
    return 0


@syscall("sched_setaffinity")
def sys_sched_setaffinity(t, pid, size, mask):
    """Guest TIDs are host TIDs: the host scheduler places the guest thread."""
    data = t.mem.read(mask, size)
    cpus = {i * 8 + bit for i, byte in enumerate(data) if byte for bit in range(8)
            if byte >> bit & 1}
    os.sched_setaffinity(s32(pid), cpus)
    return 0


@syscall("getcpu")
def sys_getcpu(t, cpu, node, _cache):
    where = ctypes.c_uint(), ctypes.c_uint()
    host.call("getcpu", ctypes.byref(where[0]), ctypes.byref(where[1]))
    for addr, value in zip((cpu, node), where):
        if addr:
            t.mem.write(addr, struct.pack("<I", value.value))
    return 0
