"""The thread registry: guest threads (TID -> vCPU), their host threads, and
exclusive sections.

Each guest thread is a host thread running its own Unicorn engine; guest TIDs
are the host TIDs of those threads (so futex PI words, /proc/self/task and
sched_setaffinity mean the same thing to guest and host).

An exclusive section (QEMU's "start_exclusive") is a stretch during which no
vCPU runs guest code: the thread that opens it asks every vCPU that is in guest
code to leave `emu_start` (`emu_stop` from another thread), and waits until each
has; vCPUs in a syscall (blocked in futex, read(), nanosleep...) are not waited
for.  Before running guest code again, each vCPU waits for the section to end and
then brings its own engine up to date (`Vcpu.resume_guest`).

The handshake relies on the GIL making each attribute read and write atomic and
sequentially consistent: a vCPU sets `in_guest` before reading
`exclusive_active`, the opener sets `exclusive_active` before reading `in_guest`,
so at least one of them sees the other.
"""
from __future__ import annotations

import collections
import contextlib
import threading
import time
from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:
    from linuxuser.translate.vcpu import Vcpu

# How often the opener of an exclusive section repeats its emu_stop requests:
# a request made just before a vCPU enters emu_start is lost (emu_start clears it).
_STOP_RETRY_SECONDS = 0.001
# How long a guest thread keeps the guest CPU when threads take turns.
TIME_SLICE_SECONDS = 0.005


class ThreadRegistry:
    """The guest threads of one process."""

    def __init__(self) -> None:
        self.vcpus: list[Vcpu] = []
        self.cond = threading.Condition(threading.Lock())
        self.exclusive_active = False
        self._local = threading.local()
        # Set when guest threads must take turns (no parallel engine): see
        # linuxuser.atomics.  None while there is one thread, or in parallel.
        self.baton: GuestCpuBaton | None = None

    def take_turns(self) -> None:
        """From now on one guest thread at a time runs guest code (call while no
        vCPU runs guest code, e.g. from the syscall that makes the second thread)."""
        if self.baton is None:
            self.baton = GuestCpuBaton()
            threading.Thread(target=self.baton.preempt, name="guest-cpu-preempter",
                             daemon=True).start()

    # -- registry ---------------------------------------------------------------

    def add(self, vcpu: Vcpu) -> None:
        with self.cond:
            self.vcpus = self.vcpus + [vcpu]

    def remove(self, vcpu: Vcpu) -> bool:
        """Forget `vcpu`; True if it was the last thread of the process."""
        with self.cond:
            self.vcpus = [v for v in self.vcpus if v is not vcpu]
            self.cond.notify_all()
            return not self.vcpus

    def after_fork_child(self, vcpu: Vcpu) -> None:
        """In a forked child the thread that forked is the only one, and runs alone."""
        self.vcpus = [vcpu]
        self.cond = threading.Condition(threading.Lock())
        self.exclusive_active = False
        self.baton = None

    def by_tid(self, tid: int) -> Vcpu | None:
        for vcpu in self.vcpus:
            if vcpu.tid == tid:
                return vcpu
        return None

    @property
    def current(self) -> Vcpu | None:
        """The vCPU of the calling host thread (None outside guest threads)."""
        return getattr(self._local, "vcpu", None)

    def bind_current(self, vcpu: Vcpu) -> None:
        self._local.vcpu = vcpu

    # -- exclusive sections -----------------------------------------------------

    @contextlib.contextmanager
    def exclusive_section(self) -> Iterator[None]:
        """No vCPU but the caller's runs guest code inside the `with` block."""
        me = self.current
        with self.cond:
            while self.exclusive_active:
                self.cond.wait()
            self.exclusive_active = True
            while True:
                running = [v for v in self.vcpus if v.in_guest and v is not me]
                if not running:
                    break
                for vcpu in running:
                    vcpu.uc.emu_stop()
                self.cond.wait(_STOP_RETRY_SECONDS)
        try:
            yield
        finally:
            with self.cond:
                self.exclusive_active = False
                self.cond.notify_all()

    def wait_exclusive_end(self, vcpu: Vcpu) -> None:
        """Called by `vcpu` about to run guest code while a section is open."""
        with self.cond:
            while self.exclusive_active:
                vcpu.in_guest = False
                self.cond.notify_all()
                self.cond.wait()
            vcpu.in_guest = True

    def left_guest(self) -> None:
        """A vCPU stopped running guest code while a section waits for it."""
        with self.cond:
            self.cond.notify_all()


class GuestCpuBaton:
    """One guest CPU shared by turns, first come first served (QEMU's
    single-threaded TCG): with Unicorn's own atomics, which are only atomic when
    nothing else runs, this keeps guest atomics exact."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: collections.deque = collections.deque()
        self.holder: Vcpu | None = None

    def acquire(self, vcpu: Vcpu) -> None:
        with self._lock:
            if self.holder is None and not self._queue:
                self.holder = vcpu
                return
            turn = threading.Event()
            self._queue.append((vcpu, turn))
        turn.wait()

    def release(self, vcpu: Vcpu) -> None:
        with self._lock:
            if self.holder is not vcpu:
                return
            if self._queue:
                self.holder, turn = self._queue.popleft()
                turn.set()
            else:
                self.holder = None

    def preempt(self) -> None:
        """Forever: stop a thread that has had the CPU for a whole slice while others wait."""
        last = None
        while True:
            time.sleep(TIME_SLICE_SECONDS)
            holder = self.holder
            if holder is not None and holder is last and self._queue:
                holder.uc.emu_stop()
            last = holder
