"""The guest address space: one host reservation, guest address = offset in it.

Every guest address `a` lives at host address `base + a` (`GuestMemory.g2h`), so a
host syscall can be handed guest buffers directly, and every Unicorn engine of the
process maps the same host pages with `mem_map_ptr`: a store by one guest thread is
seen by all.  The region list is the truth about what the guest has mapped; guest
pointers given to syscalls are checked against it (`check`), so no guest can make
linuxuser touch memory outside the reservation or ignore the guest's own protections.

Engines follow the region list through a change log.  An engine is only ever
changed by the host thread that runs it, at its sync points (`sync`: before it
runs guest code, after a syscall, and on a fault that a newer map may explain).
A change that only adds access (a fresh mmap, brk growth, mprotect adding
read/write) is logged and picked up lazily.  A change that takes access away or
replaces what was there (munmap, MAP_FIXED over a mapping, mprotect removing a
permission or adding exec, a cache flush) runs inside an exclusive section: no
other vCPU runs guest code until it is done, and each applies it before it runs
guest code again.  (QEMU's MTTCG "safe work", with the work split per vCPU.)
"""
from __future__ import annotations

import bisect
import contextlib
import ctypes
import errno
import mmap
import os
import threading
from dataclasses import dataclass, replace
from typing import Callable, ContextManager, Iterator

from linuxuser.errors import EXIT_HOST_RESOURCES, LinuxUserError

from unicorn import UC_CTL_IO_WRITE, UC_CTL_TLB_FLUSH

from linuxuser.errors import GuestFault

PAGE_SIZE = 4096
PROT_NONE, PROT_READ, PROT_WRITE, PROT_EXEC = 0, 1, 2, 4
MAP_FIXED = 0x10
MAP_NORESERVE = 0x4000

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                       ctypes.c_int, ctypes.c_long]
_libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
_libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
_libc.strnlen.restype = ctypes.c_size_t
_libc.strnlen.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
_MAP_FAILED = ctypes.c_void_p(-1).value


def page_align_down(addr: int) -> int:
    return addr & ~(PAGE_SIZE - 1)


def page_align_up(addr: int) -> int:
    return (addr + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)


def host_mmap(addr: int, size: int, prot: int, flags: int, fd: int = -1, offset: int = 0) -> int:
    """mmap(2) on the host; raises OSError with the host errno."""
    res = _libc.mmap(addr or None, size, prot, flags, fd, offset)
    if res is None or res == _MAP_FAILED:
        err = ctypes.get_errno()
        raise OSError(err, errno.errorcode.get(err, "mmap failed"))
    return res


def flush_tlb(uc) -> None:
    """Drop every address translation Unicorn's TLB holds for engine `uc`."""
    uc.ctl(UC_CTL_TLB_FLUSH, UC_CTL_IO_WRITE)       # the binding has no ctl_flush_tlb


def host_prot(prot: int) -> int:
    """Host protection of guest pages with protection `prot`: the guest's own, as
    far as the host can say it (writing needs reading on x86; code is read by the
    translator).  ARM engines address guest memory directly (Arch.direct_addressing),
    so the host's protection is what stops a guest access; a shared file mapping
    writes through to the file, so the host enforces what the descriptor allows."""
    if not prot & (PROT_READ | PROT_WRITE | PROT_EXEC):
        return PROT_NONE
    return PROT_READ | (prot & PROT_WRITE)


@dataclass
class Region:
    """One guest mapping, as /proc/self/maps would show it."""
    start: int
    end: int
    prot: int
    name: str = ""            # file path, "[heap]", "[stack]", "[vectors]", or ""
    shared: bool = False
    offset: int = 0           # file offset of `start`
    device: int = 0
    inode: int = 0
    # Pages of a file mapping past the end of the file: touching them is SIGBUS.
    # The host keeps them PROT_NONE and engines map them without access.
    beyond_eof: bool = False

    @property
    def size(self) -> int:
        return self.end - self.start

    @property
    def engine_perms(self) -> int:
        return 0 if self.beyond_eof else self.prot


# Engine operations of the change log.
OP_MAP, OP_UNMAP, OP_PROTECT, OP_FLUSH = "map", "unmap", "protect", "flush"
# The log keeps at most this many operations that every engine has applied.
_LOG_TRIM = 256

# Host address space kept unmapped after the guest's (larger than any one guest
# access: AArch64's ld4/st4 of 64 bytes, ARM's vldm of 256).
GUARD_SIZE = 1 << 20


class GuestMemory:
    """The guest's memory: host reservation, region list, change log for the engines."""

    def __init__(self, size: int, mappable_end: int | None = None) -> None:
        self.size = size
        # The guest's mappings end here (qemu-user's limits); the pages above, up
        # to `size`, stay unmapped so that an access straddling the last mapping
        # faults inside the reservation.
        self.mappable_end = size if mappable_end is None else mappable_end
        try:
            # The guard after the guest's space stays PROT_NONE: an access that
            # straddles the top edge faults instead of reaching a host mapping.
            self.base = host_mmap(0, size + GUARD_SIZE, PROT_NONE,
                                  mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | MAP_NORESERVE)
        except OSError as err:
            raise LinuxUserError(f"cannot reserve {size >> 20} MiB of host address space "
                                 f"for the guest: {os.strerror(err.errno)}", EXIT_HOST_RESOURCES) from None
        # (starts, regions), replaced as a whole so that readers on other threads
        # (pointer checks, fault hooks) never see a half-made list.
        self._index: tuple[list[int], list[Region]] = ([], [])
        self.lock = threading.RLock()
        # Engine operations in order, as (number of the first, list), replaced as a
        # whole when trimmed; appended to under `lock`.
        self._log: tuple[int, list[tuple]] = (0, [])
        self.generation = 0                   # operations logged so far
        self._applied: dict[int, int] = {}    # id(engine) -> operations it has applied
        # Runs a change no vCPU may overlap with guest code (set by the thread registry).
        self.exclusive: Callable[[], ContextManager] = contextlib.nullcontext

    @property
    def regions(self) -> list[Region]:
        return self._index[1]

    # -- translation and checks -------------------------------------------------

    def g2h(self, addr: int) -> int:
        """Host address of guest address `addr` (no check: see `check`)."""
        return self.base + addr

    def h2g(self, host: int) -> int:
        return host - self.base

    def region_at(self, addr: int) -> Region | None:
        starts, regions = self._index
        i = bisect.bisect_right(starts, addr) - 1
        if i >= 0 and addr < regions[i].end:
            return regions[i]
        return None

    def check(self, addr: int, size: int, prot: int = PROT_READ) -> int:
        """Host address of [addr, addr+size) if the guest may access it with `prot`.

        Raises GuestFault (the syscall layer turns it into EFAULT) otherwise.
        """
        if size <= 0:
            return self.base + addr
        if addr < 0 or addr + size > self.size:
            raise GuestFault(addr)
        pos, end = addr, addr + size
        while pos < end:
            r = self.region_at(pos)
            if r is None or (r.engine_perms & prot) != prot:
                raise GuestFault(pos)
            pos = r.end
        return self.base + addr

    def user_pointer(self, addr: int, size: int) -> int:
        """Host address of [addr, addr+size) for the host kernel to access, as the
        guest's kernel would with its access_ok(): the range must lie in the guest's
        address space (else GuestFault), and a page in it that is not mapped, or
        not with the access needed, makes the host call fail (EFAULT) or stop short,
        because the host keeps such pages of the reservation inaccessible.  A read
        into a buffer that runs into an unmapped page thus returns the bytes that fit."""
        if addr < 0 or size < 0 or addr + size > self.size:
            raise GuestFault(addr)
        return self.base + addr

    def read(self, addr: int, size: int) -> bytes:
        return ctypes.string_at(self.check(addr, size, PROT_READ), size)

    def write(self, addr: int, data: bytes) -> None:
        ctypes.memmove(self.check(addr, len(data), PROT_WRITE), data, len(data))

    def read_cstring(self, addr: int, limit: int = 1 << 20) -> bytes:
        """A NUL-terminated string from guest memory (without the NUL)."""
        out = b""
        pos = addr
        while True:
            r = self.region_at(pos) if 0 <= pos < self.size else None
            if r is None or not r.engine_perms & PROT_READ:
                raise GuestFault(pos)
            span = min(r.end - pos, limit - len(out) + 1)
            n = _libc.strnlen(self.base + pos, span)
            out += ctypes.string_at(self.base + pos, n)
            if n < span:
                return out
            if len(out) > limit:
                raise OSError(errno.ENAMETOOLONG, "string too long")
            pos += n

    # -- the region list --------------------------------------------------------

    def _set_regions(self, regions: list[Region]) -> None:
        regions.sort(key=lambda r: r.start)
        self._index = ([r.start for r in regions], regions)

    def overlapping(self, start: int, end: int) -> Iterator[Region]:
        starts, regions = self._index
        i = max(bisect.bisect_right(starts, start) - 1, 0)
        for r in regions[i:]:
            if r.start >= end:
                break
            if r.end > start:
                yield r

    def is_free(self, start: int, end: int) -> bool:
        """Nothing is mapped in [start, end), and the guest may map it."""
        return start >= 0 and end <= self.mappable_end and next(self.overlapping(start, end), None) is None

    def _split(self, start: int, end: int) -> tuple[list[Region], list[Region]]:
        """The region list cut at `start` and `end`: (pieces outside, pieces inside)."""
        hit = list(self.overlapping(start, end))
        outside = [r for r in self.regions if r not in hit]
        inside = []
        for r in hit:
            if r.start < start:
                outside.append(replace(r, end=start))
            if r.end > end:
                outside.append(replace(r, start=end, offset=r.offset + (end - r.start)))
            lo, hi = max(r.start, start), min(r.end, end)
            inside.append(replace(r, start=lo, end=hi, offset=r.offset + (lo - r.start)))
        return outside, inside

    def find_free(self, size: int, top: int, bottom: int = 0x10000) -> int | None:
        """Highest page-aligned hole of `size` bytes below `top` (top-down, as Linux)."""
        size = page_align_up(size)
        hole_end = top
        for r in reversed(self.regions):
            if r.start >= hole_end:
                continue
            if r.end <= hole_end - size and hole_end - size >= bottom:
                return hole_end - size
            hole_end = min(hole_end, r.start)
        if hole_end - size >= bottom:
            return hole_end - size
        return None

    # -- changes ----------------------------------------------------------------

    def map(self, start: int, size: int, prot: int, *, fd: int = -1, offset: int = 0,
            shared: bool = False, name: str = "", device: int = 0, inode: int = 0,
            beyond_eof: bool = False) -> None:
        """Map [start, start+size) (page aligned), replacing what was there (MAP_FIXED).

        `beyond_eof` maps the tail of a file mapping past the file's end: no
        access, and the vCPU turns a touch into SIGBUS as Linux does.
        """
        size = page_align_up(size)
        if start % PAGE_SIZE or start < 0 or start + size > self.size or size == 0:
            raise OSError(errno.EINVAL, "bad range")
        with self.lock:
            if beyond_eof or fd < 0:
                fd = -1
                kind = mmap.MAP_SHARED if shared and not beyond_eof else mmap.MAP_PRIVATE
                flags = kind | mmap.MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED
                host = PROT_NONE if beyond_eof else host_prot(prot)
            else:
                flags = (mmap.MAP_SHARED if shared else mmap.MAP_PRIVATE) | MAP_FIXED
                host = host_prot(prot)
                # Map into a scratch place first so a failing file mmap leaves the old map.
                tmp = host_mmap(0, size, host, flags & ~MAP_FIXED, fd, offset)
                _libc.munmap(tmp, size)
            region = Region(start, start + size, prot, name, shared, offset, device, inode,
                            beyond_eof)
            self._install(region, lambda: host_mmap(self.base + start, size, host, flags,
                                                    fd, offset))

    def map_host_pages(self, region: Region, place: Callable[[int], object]) -> None:
        """Map `region` (page aligned) to the host pages that `place(host_address)`
        puts there (a SysV shm attach), replacing what was there."""
        with self.lock:
            self._install(region, lambda: place(self.base + region.start))

    def _install(self, region: Region, place: Callable[[], object]) -> None:
        """Put `region` in the list and in the engines, `place()` mapping its host
        pages (the caller holds `lock`)."""
        start, end = region.start, region.end
        with self.exclusive() if not self.is_free(start, end) else contextlib.nullcontext():
            place()                  # first: if it fails, nothing has changed
            self._log_unmap(start, end)
            self._set_regions(self._split(start, end)[0] + [region])
            self._append((OP_MAP, start, region.size, region.engine_perms, self.base + start))

    def unmap(self, start: int, size: int) -> None:
        size = page_align_up(size)
        with self.lock:
            if self.is_free(start, start + size):
                return
            with self.exclusive():
                self._log_unmap(start, start + size)
                self._set_regions(self._split(start, start + size)[0])
                host_mmap(self.base + start, size, PROT_NONE,
                          mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED)

    def protect(self, start: int, size: int, prot: int) -> None:
        """mprotect: ENOMEM if any page of the range is unmapped, as Linux."""
        size = page_align_up(size)
        end = start + size
        with self.lock:
            pieces = list(self.overlapping(start, end))
            covered = sum(min(r.end, end) - max(r.start, start) for r in pieces)
            if covered != size:
                raise OSError(errno.ENOMEM, "range not mapped")
            # Taking a permission away, or making code of new bytes, must not race
            # with guest code running on the old view.
            exclusive = any(r.prot & ~prot or (prot & PROT_EXEC and not r.prot & PROT_EXEC)
                            for r in pieces)
            with self.exclusive() if exclusive else contextlib.nullcontext():
                for r in pieces:
                    if not r.beyond_eof:       # those pages stay inaccessible (SIGBUS)
                        lo, hi = max(r.start, start), min(r.end, end)
                        if _libc.mprotect(self.base + lo, hi - lo, host_prot(prot)):
                            raise OSError(ctypes.get_errno(), "mprotect")
                outside, inside = self._split(start, end)
                changed = [replace(r, prot=prot) for r in inside]
                self._set_regions(outside + changed)
                for r in changed:
                    self._append((OP_PROTECT, r.start, r.size, r.engine_perms))
                    if exclusive:
                        self._append((OP_FLUSH, r.start, r.end))

    def flush_code(self, start: int, end: int) -> None:
        """Forget the translated code of [start, end) in every engine (cacheflush)."""
        with self.lock, self.exclusive():
            self._append((OP_FLUSH, start, end))

    def _log_unmap(self, start: int, end: int) -> None:
        for r in self.overlapping(start, end):
            lo, hi = max(r.start, start), min(r.end, end)
            self._append((OP_UNMAP, lo, hi - lo))
            self._append((OP_FLUSH, lo, hi))

    def _append(self, op: tuple) -> None:
        """Log one engine operation (the caller holds `lock`)."""
        base, ops = self._log
        ops.append(op)
        self.generation += 1
        if len(ops) > 2 * _LOG_TRIM:
            oldest = min(self._applied.values(), default=self.generation)
            if oldest - base > _LOG_TRIM:
                # A new list: a sync reading the old one on another thread is unaffected.
                self._log = (oldest, ops[oldest - base:])

    # -- engines ----------------------------------------------------------------

    def attach(self, uc, whole: bool = False) -> int:
        """Give engine `uc` its view of the guest memory; returns the generation it is at.

        `whole`: one Unicorn region over the whole reservation, for an engine
        whose loads and stores address host memory directly (the host's
        protections decide) and whose TLB fills come from the region list
        (Vcpu._on_tlb_fill): a map change then costs that engine a TLB flush
        at most, instead of one Unicorn call per region and per change, which
        made thread start quadratic in the number of threads (their stacks and
        arenas are regions)."""
        with self.lock:
            if whole:
                # (Not above `mappable_end`: Unicorn itself refuses code there.)
                uc.mem_map_ptr(0, self.mappable_end, PROT_READ | PROT_WRITE | PROT_EXEC, self.base)
            # Otherwise the engine gets each region when it first touches it
            # (`map_into`), and map changes apply only to what it has.
            self._applied[id(uc)] = self.generation
            return self.generation

    def map_into(self, uc, region: Region) -> None:
        """Map the parts of `region` that engine `uc` (not attached `whole`) does
        not have yet: an engine maps only what its thread touches, so that other
        threads' stacks and arenas cost it nothing.  The engine must have
        synced first: an older unmap applied after would take the piece away."""
        pos = region.start
        for lo, hi in _engine_pieces(uc, region.start, region.end) + [(region.end, region.end)]:
            if lo > pos:
                uc.mem_map_ptr(pos, lo - pos, region.engine_perms, self.base + pos)
            pos = max(pos, hi)

    def after_fork_child(self, uc) -> None:
        """In a forked child only engine `uc` is left; the lock is new."""
        self.lock = threading.RLock()
        self._applied = {id(uc): self._applied.get(id(uc), self.generation)}

    def detach(self, uc) -> None:
        with self.lock:
            self._applied.pop(id(uc), None)

    def sync(self, uc, applied: int, whole: bool = False) -> int:
        """Apply to engine `uc` (on its own thread) the operations logged since
        `applied`; returns the generation it is now at.  Takes no lock: it runs
        in fault hooks while an exclusive section may hold `lock`.  An engine
        attached `whole` keeps its one region: only its TLB and translations
        need to forget what changed."""
        generation = self.generation          # read first: those operations are logged
        base, ops = self._log
        flushed = True
        for op in ops[applied - base:generation - base]:
            kind = op[0]
            if kind == OP_FLUSH:
                uc.ctl_remove_cache(op[1], op[2])
            elif kind != OP_MAP:      # a new mapping: nothing of it is in the engine yet
                flushed = False
                if not whole:
                    for lo, hi in _engine_pieces(uc, op[1], op[1] + op[2]):
                        if kind == OP_UNMAP:
                            uc.mem_unmap(lo, hi - lo)
                        else:
                            uc.mem_protect(lo, hi - lo, op[3])
        if not flushed:
            # Unicorn flushes its TLB only when write permission changes: a page
            # translated before (say readable, now PROT_NONE) must not stay so.
            flush_tlb(uc)
        self._applied[id(uc)] = generation
        return generation


def _engine_pieces(uc, start: int, end: int) -> list[tuple[int, int]]:
    """The parts of [start, end) that engine `uc` has mapped, in order."""
    return sorted((max(lo, start), min(hi + 1, end)) for lo, hi, _ in uc.mem_regions()
                  if lo < end and hi + 1 > start)
