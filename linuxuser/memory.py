"""The guest address space: one host reservation, guest address = offset in it.

Every guest address `a` lives at host address `base + a` (`GuestMemory.g2h`), so a
host syscall can be handed guest buffers directly, and every Unicorn engine of the
process maps the same host pages with `mem_map_ptr`: a store by one guest thread is
seen by all.  The region list is the truth about what the guest has mapped; each
attached engine mirrors it exactly.  Guest pointers given to syscalls are checked
against it (`check`), so no guest can make linuxuser touch memory outside the
reservation or ignore the guest's own protections.
"""
from __future__ import annotations

import bisect
import ctypes
import errno
import mmap
import threading
from dataclasses import dataclass, replace
from typing import Iterator

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


def shared_file_host_prot(prot: int) -> int:
    """Host protection of a shared file mapping: it writes through to the file, so
    the host enforces what the file descriptor allows (writing needs reading on x86)."""
    host_prot = prot & (PROT_READ | PROT_WRITE)
    return host_prot | PROT_READ if host_prot else PROT_NONE


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


class GuestMemory:
    """The guest's memory: host reservation, region list, engines that mirror it."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.base = host_mmap(0, size, PROT_NONE,
                              mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | MAP_NORESERVE)
        self.regions: list[Region] = []
        self._starts: list[int] = []
        self.engines: list = []
        self.lock = threading.RLock()

    # -- translation and checks -------------------------------------------------

    def g2h(self, addr: int) -> int:
        """Host address of guest address `addr` (no check: see `check`)."""
        return self.base + addr

    def h2g(self, host: int) -> int:
        return host - self.base

    def region_at(self, addr: int) -> Region | None:
        i = bisect.bisect_right(self._starts, addr) - 1
        if i >= 0 and addr < self.regions[i].end:
            return self.regions[i]
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
                raise GuestFault(pos)
            pos += n

    # -- the region list --------------------------------------------------------

    def _reindex(self) -> None:
        self.regions.sort(key=lambda r: r.start)
        self._starts = [r.start for r in self.regions]

    def overlapping(self, start: int, end: int) -> Iterator[Region]:
        i = max(bisect.bisect_right(self._starts, start) - 1, 0)
        for r in self.regions[i:]:
            if r.start >= end:
                break
            if r.end > start:
                yield r

    def is_free(self, start: int, end: int) -> bool:
        return start >= 0 and end <= self.size and next(self.overlapping(start, end), None) is None

    def _carve(self, start: int, end: int) -> list[Region]:
        """Remove [start, end) from the region list; return the removed pieces."""
        removed, kept = [], []
        for r in list(self.overlapping(start, end)):
            self.regions.remove(r)
            if r.start < start:
                kept.append(replace(r, end=start))
            if r.end > end:
                kept.append(replace(r, start=end, offset=r.offset + (end - r.start)))
            lo, hi = max(r.start, start), min(r.end, end)
            removed.append(replace(r, start=lo, end=hi, offset=r.offset + (lo - r.start)))
        self.regions.extend(kept)
        self._reindex()
        return removed

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

    # -- changes (applied to the host and to every attached engine) -------------

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
                host_prot = PROT_NONE if beyond_eof else PROT_READ | PROT_WRITE
            else:
                flags = (mmap.MAP_SHARED if shared else mmap.MAP_PRIVATE) | MAP_FIXED
                host_prot = shared_file_host_prot(prot) if shared else PROT_READ | PROT_WRITE
                # Map into a scratch place first so a failing file mmap leaves the old map.
                tmp = host_mmap(0, size, host_prot, flags & ~MAP_FIXED, fd, offset)
                _libc.munmap(tmp, size)
            self._engines_unmap(start, start + size)
            self._carve(start, start + size)
            host_mmap(self.base + start, size, host_prot, flags, fd, offset)
            region = Region(start, start + size, prot, name, shared, offset, device, inode,
                            beyond_eof)
            self.regions.append(region)
            self._reindex()
            for uc in self.engines:
                uc.mem_map_ptr(start, size, region.engine_perms, self.base + start)

    def unmap(self, start: int, size: int) -> None:
        size = page_align_up(size)
        with self.lock:
            self._engines_unmap(start, start + size)
            if self._carve(start, start + size):
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
            for r in pieces:
                if r.shared and r.name and not r.beyond_eof:
                    lo, hi = max(r.start, start), min(r.end, end)
                    if _libc.mprotect(self.base + lo, hi - lo, shared_file_host_prot(prot)):
                        raise OSError(ctypes.get_errno(), "mprotect")
            removed = self._carve(start, end)
            for r in removed:
                r.prot = prot
            self.regions.extend(removed)
            self._reindex()
            for uc in self.engines:
                for r in removed:
                    uc.mem_protect(r.start, r.size, r.engine_perms)

    def _engines_unmap(self, start: int, end: int) -> None:
        for r in list(self.overlapping(start, end)):
            lo, hi = max(r.start, start), min(r.end, end)
            for uc in self.engines:
                uc.mem_unmap(lo, hi - lo)
                uc.ctl_remove_cache(lo, hi)

    def attach(self, uc) -> None:
        """Make engine `uc` see the whole guest memory and follow every change."""
        with self.lock:
            for r in self.regions:
                uc.mem_map_ptr(r.start, r.size, r.engine_perms, self.base + r.start)
            self.engines.append(uc)

    def after_fork_child(self, uc) -> None:
        """In a forked child only engine `uc` is left; the lock is new."""
        self.lock = threading.RLock()
        self.engines = [uc]

    def detach(self, uc) -> None:
        with self.lock:
            if uc in self.engines:
                self.engines.remove(uc)
