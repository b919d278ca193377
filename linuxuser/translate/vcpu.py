"""The vCPU: one Unicorn engine running one guest thread on one host thread.

Syscalls are handled inside the engine's hook (measured 3.3 µs against 12.3 µs
for stopping the engine and handling them in the run loop).  Faults are noted by
the hooks and acted on when `emu_start` returns.

`in_guest` says whether the vCPU may be running guest code; it is false while a
syscall is handled and outside `emu_start`, so that exclusive sections
(linuxuser.threads) wait only for vCPUs that really run guest code.  Before guest
code runs again the engine is brought up to date with the memory map
(`resume_guest`).
"""
from __future__ import annotations

import signal
from typing import TYPE_CHECKING

from unicorn import (UC_ERR_EXCEPTION, UC_ERR_FETCH_UNALIGNED, UC_ERR_INSN_INVALID,
                     UC_ERR_READ_PROT, UC_ERR_READ_UNALIGNED, UC_ERR_WRITE_PROT,
                     UC_ERR_WRITE_UNALIGNED, UC_HOOK_INTR, UC_HOOK_MEM_INVALID,
                     UC_HOOK_TLB_FILL, UC_MEM_FETCH, UC_MEM_READ, UC_MEM_WRITE, Uc,
                     UcError)

from linuxuser.atomics import address_directly, direct_fault, parallel_atomics, serve_tlb_fills
from linuxuser.memory import PROT_EXEC, PROT_READ, PROT_WRITE, flush_tlb
from linuxuser.signals import PendingSignal, delivery
from linuxuser.signals import hostside as signals_hostside
from linuxuser.signals.frames import AltStack
from linuxuser.translate.regs import FastRegisters

if TYPE_CHECKING:
    from linuxuser.process import GuestProcess

_UC_ERROR_SIGNALS = {
    UC_ERR_INSN_INVALID: signal.SIGILL,
    UC_ERR_EXCEPTION: signal.SIGILL,
    UC_ERR_READ_UNALIGNED: signal.SIGBUS,
    UC_ERR_WRITE_UNALIGNED: signal.SIGBUS,
    UC_ERR_FETCH_UNALIGNED: signal.SIGBUS,
}
# Fills before the first TLB flush; the budget doubles after each (see _grow_tlb),
# up to the TLB's largest size (2^20 entries for a 32-bit guest).
_FIRST_TLB_FLUSH, _LAST_TLB_DOUBLING = 256, 12
# The permission a TLB fill asks for (Unicorn's access type -> PROT_* bit).
_ACCESS_PROT = {UC_MEM_READ: PROT_READ, UC_MEM_WRITE: PROT_WRITE, UC_MEM_FETCH: PROT_EXEC}


class Vcpu:
    """A guest thread's CPU: its engine, its hooks and its run loop."""

    def __init__(self, process: GuestProcess, uc: Uc | None = None) -> None:
        self.process = process
        self.arch = process.arch
        self.uc = uc if uc is not None else self.arch.new_engine()
        self.regs = FastRegisters(self.uc, self.arch.word_mask)
        self.mem = process.memory
        self.threads = process.threads
        self.mem_generation = 0       # memory-map operations applied to this engine
        self._syncing = False
        self.in_guest = False
        self.tid = 0
        self.clear_child_tid = 0
        self.robust_list = (0, 0)
        # Signals (linuxuser.signals): the guest mask, what is pending for this
        # thread, its sigaltstack; `signal_queued` counts what the host handler
        # queued for this host thread, `signal_ready` says a pending signal is
        # unblocked: either makes the vCPU stop and deliver.
        self.sigmask = 0
        self.pending: list[PendingSignal] = []
        self.altstack = AltStack()
        self.signal_queued = None
        self.signal_ready = False
        self.saved_sigmask: int | None = None     # rt_sigsuspend's, until a handler runs
        self.interrupted: tuple[str, int, int] | None = None   # (call, nr, first argument)
        self.sigreturn_rt: bool | None = None     # (rt_)sigreturn called: restore the frame
        self.syscall_nr = 0
        self.comm: bytes | None = None       # prctl(PR_SET_NAME); None: the program's name
        self.pending_signal: tuple[int, int | None] | None = None   # (signal, fault address)
        # (status, signal): the process ends once the current syscall has returned.
        self.ending: tuple[int, int | None] | None = None
        self.exited = False
        self._syscalls = process.syscalls
        self.arch.hook_syscalls(self.uc, self._on_syscall)
        self.arch.hook_privileged(self.uc, self.raise_signal)
        self.uc.hook_add(UC_HOOK_INTR, self._on_interrupt)
        self._hook_memory_access()
        if process.debug_log is not None:                 # -d in_asm/exec/cpu only
            process.debug_log.attach(self)

    def attach_memory(self) -> None:
        """Map the guest memory into this engine (before it first runs)."""
        self.mem_generation = self.mem.attach(self.uc, whole=self.direct)

    # -- hooks (run on this thread, inside emu_start) --------------------------

    def _on_syscall(self) -> None:
        self.leave_guest()
        self._syscalls.dispatch(self)
        if self.ending is not None:             # exit_group, or a kill of itself
            self.process.end(*self.ending)
        if self.signal_ready or self.sigreturn_rt is not None or (
                self.signal_queued is not None and self.signal_queued.value):
            self.uc.emu_stop()                  # the run loop delivers or returns
        if not self.exited:
            self.resume_guest()

    def _on_interrupt(self, uc: Uc, intno: int, _data) -> None:
        if intno == self.arch.syscall_intno:
            self._on_syscall()
        elif not self.arch.emulate_trap(uc, intno):
            self.raise_signal(self.arch.fault_signal(uc, intno), None)

    def _hook_memory_access(self) -> None:
        """Page permissions come from the region list, once per page (see _on_tlb_fill).

        No UC_HOOK_MEM_INVALID hook may cover guest memory: Unicorn 2.1.4 keeps
        every store to a page such a hook covers on its slow path (notdirty_write),
        which made guest code ~3x slower.  Outside the guest's address space (a
        64-bit guest's kernel addresses, i386's GDT page) there is no guest data,
        so a hook there costs nothing and tells the fault address.
        """
        space_end = self.arch.address_space_size - 1
        self._fills_to_flush, self._tlb_flushes = _FIRST_TLB_FLUSH, 0
        self.uc.hook_add(UC_HOOK_TLB_FILL, self._on_tlb_fill, None, 0, space_end)
        self.direct = self.arch.direct_addressing and address_directly(
            self.uc, self.mem.base, self.mem.size)
        if not self.direct:     # a direct engine's one region would allow every access
            serve_tlb_fills(self.uc, space_end)
        if space_end < self.arch.word_mask:
            self.uc.hook_add(UC_HOOK_MEM_INVALID, self._on_bad_access, None,
                             space_end + 1, self.arch.word_mask)

    def _on_tlb_fill(self, uc: Uc, page: int, access: int, entry, _data) -> bool:
        """Unicorn's TLB misses `page` (UC_TLB_VIRTUAL): give it the region's permissions.

        A page gets exactly its guest permissions, so a data page is not executable
        and Unicorn lets stores to it take the fast path.  A data access the page
        does not allow is a fault: note the signal and refuse, and `emu_start`
        stops at the faulting instruction (the address noted is the page's start).
        Instruction fetches are refused here only by a direct engine, whose one
        region (GuestMemory.attach) allows everything, and not while it syncs
        (ctl_remove_cache looks code pages up where nothing executes); other
        engines' regions make Unicorn refuse code from a page that is unmapped or
        not executable by itself (UC_ERR_FETCH_UNMAPPED / UC_ERR_FETCH_PROT: SIGSEGV).

        It is also where the engine picks up, lazily, what another thread added to
        the memory map (a fresh mmap, more permissions) since this engine last
        looked: it syncs before answering, so that the engine has the page too.
        """
        if self.mem.generation != self.mem_generation and not self._syncing:
            self.sync_memory()
        self._fills_to_flush -= 1
        if not self._fills_to_flush:
            self._grow_tlb(uc)
        region = self.mem.region_at(page)
        perms = region.engine_perms if region is not None else 0
        if region is not None and not self.direct and not self._syncing:
            self.mem.map_into(uc, region)
        if access == UC_MEM_FETCH and (not self.direct or self._syncing
                                       or page >= self.mem.mappable_end):
            perms |= PROT_EXEC
        elif not perms & _ACCESS_PROT.get(access, 0):
            if self.pending_signal is None:     # else a signal raised first is on its way
                beyond_eof = region is not None and region.beyond_eof
                self.pending_signal = (signal.SIGBUS if beyond_eof else signal.SIGSEGV, page)
            return False
        entry.paddr = page
        entry.perms = perms
        return True

    def _grow_tlb(self, uc: Uc) -> None:
        """Flush Unicorn's TLB so that it may grow to hold the guest's working set.

        The TLB starts with 256 entries (1 MiB of 4 KiB pages) and QEMU resizes it
        only when it is flushed while more than 70% full (a system guest flushes
        it all the time; a user-mode one never does).  Each fill is a Python call
        (~1.5 µs), so a guest touching 64 MiB at random would pay one per access.
        Flushing after 256, 512, 1024... fills lets it double up to what the
        working set needs, for a number of extra fills bounded by the fills made.
        """
        flush_tlb(uc)
        self._tlb_flushes += 1
        self._fills_to_flush = _FIRST_TLB_FLUSH << min(self._tlb_flushes, _LAST_TLB_DOUBLING)

    def _signal_for(self, error: int) -> tuple[int, int | None]:
        """The signal for an engine error no hook explained: a guest access the
        host refused (direct addressing), an invalid instruction..."""
        if self.direct and error in (UC_ERR_READ_PROT, UC_ERR_WRITE_PROT):
            sig, addr = direct_fault(self.uc)
            region = self.mem.region_at(addr)
            if region is not None and region.beyond_eof:
                sig = signal.SIGBUS
            return sig, addr
        if error in (UC_ERR_INSN_INVALID, UC_ERR_EXCEPTION):
            return self.arch.undefined_instruction_signal(self.uc), None
        return _UC_ERROR_SIGNALS.get(error, signal.SIGSEGV), None

    def _exact_fault_address(self) -> None:
        """A refused TLB fill noted the page; the engine knows the address."""
        sig, page = self.pending_signal
        if page is not None and parallel_atomics():
            _sig, address = direct_fault(self.uc)
            if address & ~0xFFF == page:
                self.pending_signal = (sig, address)

    def _on_bad_access(self, uc: Uc, access: int, address: int, size: int, value: int,
                       _data) -> bool:
        region = self.mem.region_at(address)
        sig = signal.SIGBUS if region is not None and region.beyond_eof else signal.SIGSEGV
        self.pending_signal = (sig, address)
        return False

    # -- guest code on and off ---------------------------------------------------

    def resume_guest(self) -> None:
        """About to run guest code: wait for the guest CPU if threads take turns,
        wait out an exclusive section, apply map changes."""
        baton = self.threads.baton
        if baton is not None:
            baton.acquire(self)
        self.in_guest = True
        if self.threads.exclusive_active:
            self.threads.wait_exclusive_end(self)
        if self.mem.generation != self.mem_generation:
            self.sync_memory()

    def sync_memory(self) -> None:
        """Apply the memory-map changes this engine has not seen.  Unicorn looks
        pages up through the TLB fill hook while it applies them (invalidating
        code): that hook must not start another sync."""
        self._syncing = True
        try:
            self.mem_generation = self.mem.sync(self.uc, self.mem_generation, whole=self.direct)
        finally:
            self._syncing = False

    def leave_guest(self) -> None:
        self.in_guest = False
        baton = self.threads.baton
        if baton is not None:
            baton.release(self)
        if self.threads.exclusive_active:
            self.threads.left_guest()

    # -- control ---------------------------------------------------------------

    def raise_signal(self, sig: int, addr: int | None) -> None:
        """A synchronous signal for this thread: stop the engine and deliver it."""
        self.pending_signal = (sig, addr)
        self.uc.emu_stop()

    def exit(self) -> None:
        """This guest thread ends: leave `emu_start` after the current hook."""
        self.exited = True
        self.in_guest = False
        self.uc.emu_stop()

    def run(self) -> None:
        """Run guest code on the calling host thread until this guest thread ends."""
        uc, arch = self.uc, self.arch
        self.threads.bind_current(self)
        self.signal_queued = signals_hostside.bind_thread(uc)
        until = arch.word_mask
        while not self.exited:
            self.resume_guest()
            pc = arch.get_pc(uc)
            try:
                if pc == until:     # emu_start would return at once; nothing is mapped there
                    self.pending_signal = (signal.SIGSEGV, pc)
                else:
                    uc.emu_start(pc, until)
            except UcError as err:
                if self.pending_signal is None:
                    self.pending_signal = self._signal_for(err.errno)
                else:
                    self._exact_fault_address()
            self.leave_guest()
            if self.pending_signal is not None:
                sig, addr = self.pending_signal
                self.pending_signal = None
                delivery.fault(self, sig, addr, delivery.fault_code(self, sig, addr))
            if self.sigreturn_rt is not None:
                rt, self.sigreturn_rt = self.sigreturn_rt, None
                delivery.sigreturn(self, rt)
            if self.signal_ready or self.interrupted is not None or (
                    self.signal_queued is not None and self.signal_queued.value):
                delivery.deliver(self)
