"""Memory: brk, mmap/mmap2, munmap, mprotect, madvise, mremap."""
from __future__ import annotations

import ctypes
import errno
import os
import stat

from linuxuser.memory import PAGE_SIZE, PROT_READ, PROT_WRITE, page_align_up
from linuxuser.syscalls import host
from linuxuser.syscalls.args import s32
from linuxuser.syscalls.table import syscall

MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE = 1, 2, 3
MAP_FIXED, MAP_ANONYMOUS = 0x10, 0x20
MAP_FIXED_NOREPLACE, MAP_HUGETLB = 0x100000, 0x40000
# What MAP_SHARED_VALIDATE accepts (the kernel's LEGACY_MAP_MASK; no file here
# offers MAP_SYNC): type, FIXED, ANONYMOUS, DENYWRITE, EXECUTABLE, UNINITIALIZED,
# GROWSDOWN, LOCKED, NORESERVE, POPULATE, NONBLOCK, STACK, HUGETLB.
LEGACY_MAP_MASK = 0x3 | 0x10 | 0x20 | 0x800 | 0x1000 | 0x4000000 | 0x100 | 0x2000 | 0x4000 \
    | 0x8000 | 0x10000 | 0x20000 | MAP_HUGETLB | MAP_FIXED_NOREPLACE
PROT_MASK = 7
PROT_SEM, PROT_GROWSDOWN, PROT_GROWSUP = 0x8, 0x01000000, 0x02000000
# madvise(2) advice values Linux knows (0-4, FREE...COLLAPSE, HWPOISON, SOFT_OFFLINE).
KNOWN_ADVICE = {0, 1, 2, 3, 4, *range(8, 26), 100, 101}
# Advice that changes what the guest reads afterwards (zero-fill): the host applies it.
HOST_ADVICE = {4, 8}                                    # MADV_DONTNEED, MADV_FREE
MS_ASYNC, MS_INVALIDATE, MS_SYNC = 1, 2, 4
MLOCK_ONFAULT = 1
MREMAP_MAYMOVE, MREMAP_FIXED, MREMAP_DONTUNMAP = 1, 2, 4


def do_mmap(t, addr: int, length: int, prot: int, flags: int, fd: int, offset: int) -> int:
    mem, process = t.mem, t.process
    if length == 0 or offset % PAGE_SIZE or offset < 0:
        return -errno.EINVAL
    kind = flags & 3
    if kind not in (MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE):
        return -errno.EINVAL
    if kind == MAP_SHARED_VALIDATE:
        if flags & MAP_ANONYMOUS:
            return -errno.EINVAL           # Linux: anonymous memory is SHARED or PRIVATE
        if flags & ~LEGACY_MAP_MASK:
            return -errno.EOPNOTSUPP
    if flags & MAP_HUGETLB:
        return -errno.ENOMEM               # no huge pages for the guest (a host without them)
    size = page_align_up(length)
    if size > mem.size:
        return -errno.ENOMEM
    fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)
    with mem.lock:
        if fixed:
            if addr % PAGE_SIZE or addr + size > mem.mappable_end:
                return -errno.EINVAL if addr % PAGE_SIZE else -errno.ENOMEM
            if flags & MAP_FIXED_NOREPLACE and not flags & MAP_FIXED and \
                    not mem.is_free(addr, addr + size):
                return -errno.EEXIST
        else:
            hint = addr & ~(PAGE_SIZE - 1)
            if not (hint and hint + size <= process.mmap_top and mem.is_free(hint, hint + size)):
                hint = mem.find_free(size, process.mmap_top)
                if hint is None:
                    return -errno.ENOMEM
            addr = hint
        anonymous = bool(flags & MAP_ANONYMOUS)
        shared = kind != MAP_PRIVATE
        if anonymous:
            mem.map(addr, size, prot & PROT_MASK, shared=shared)
            return addr
        st = os.fstat(fd)
        try:
            name = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            name = ""
        file_part = size
        if stat.S_ISREG(st.st_mode):
            file_part = min(size, max(0, page_align_up(st.st_size - offset)))
        info = dict(shared=shared, name=name, device=st.st_dev, inode=st.st_ino)
        if file_part:
            mem.map(addr, file_part, prot & PROT_MASK, fd=fd, offset=offset, **info)
        if file_part < size:
            mem.map(addr + file_part, size - file_part, prot & PROT_MASK,
                    offset=offset + file_part, beyond_eof=True, **info)
    return addr


@syscall("mmap")
def sys_mmap(t, addr, length, prot, flags, fd, offset):
    return do_mmap(t, addr, length, prot, s32(flags), s32(fd), offset)


@syscall("mmap2")
def sys_mmap2(t, addr, length, prot, flags, fd, pgoffset):
    return do_mmap(t, addr, length, prot, s32(flags), s32(fd), pgoffset * 4096)


@syscall("munmap")
def sys_munmap(t, addr, length):
    if addr % PAGE_SIZE or length == 0 or addr + length > t.mem.size:
        return -errno.EINVAL
    t.mem.unmap(addr, length)
    return 0


@syscall("mprotect")
def sys_mprotect(t, addr, length, prot):
    if addr % PAGE_SIZE:
        return -errno.EINVAL
    if length == 0:
        return 0
    if addr + length > t.mem.size:
        return -errno.ENOMEM
    grows = prot & (PROT_GROWSDOWN | PROT_GROWSUP)
    if grows == PROT_GROWSDOWN | PROT_GROWSUP or prot & ~(grows | PROT_MASK | PROT_SEM):
        return -errno.EINVAL
    t.mem.protect(addr, length, prot & PROT_MASK)
    return 0


def _mapped_range(t, addr: int, length: int) -> tuple[int, int] | int:
    """[start, end) of a page-aligned range the calls below act on, or -errno:
    EINVAL unaligned, ENOMEM past the address space (the caller checks holes)."""
    if addr % PAGE_SIZE:
        return -errno.EINVAL
    end = addr + page_align_up(length)
    if end > t.mem.size:
        return -errno.ENOMEM
    return addr, end


def _has_hole(t, start: int, end: int) -> bool:
    pos = start
    for r in t.mem.overlapping(start, end):
        if r.start > pos:
            return True
        pos = r.end
    return pos < end


@syscall("madvise")
def sys_madvise(t, addr, length, advice):
    """Advice is checked as Linux checks it; only what changes the guest's view
    of its memory (DONTNEED, FREE: zero-fill) is applied, on the host pages."""
    advice = s32(advice)
    if advice not in KNOWN_ADVICE:
        return -errno.EINVAL
    span = _mapped_range(t, addr, length)
    if isinstance(span, int):
        return span if span != -errno.ENOMEM else -errno.EINVAL
    start, end = span
    if start == end:
        return 0
    if advice in HOST_ADVICE:
        for r in t.mem.overlapping(start, end):
            lo, hi = max(r.start, start), min(r.end, end)
            host.call("madvise", t.mem.g2h(lo), hi - lo, advice)
    return -errno.ENOMEM if _has_hole(t, start, end) else 0


@syscall("msync")
def sys_msync(t, addr, length, flags):
    flags = s32(flags)
    if flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC) or \
            flags & MS_ASYNC and flags & MS_SYNC:
        return -errno.EINVAL
    span = _mapped_range(t, addr, length)
    if isinstance(span, int):
        return span
    start, end = span
    for r in t.mem.overlapping(start, end):
        if r.shared:
            lo, hi = max(r.start, start), min(r.end, end)
            host.call("msync", t.mem.g2h(lo), hi - lo, flags)
    return -errno.ENOMEM if _has_hole(t, start, end) else 0


def _lock(t, addr: int, length: int, lock: bool) -> int:
    """mlock/munlock of the guest's pages, on the host (its RLIMIT_MEMLOCK applies)."""
    start = addr & ~(PAGE_SIZE - 1)
    end = page_align_up(addr + length)
    if end > t.mem.size or _has_hole(t, start, end):
        return -errno.ENOMEM
    if start < end:
        host.call("mlock" if lock else "munlock", t.mem.g2h(start), end - start)
    return 0


@syscall("mlock")
def sys_mlock(t, addr, length):
    return _lock(t, addr, length, True)


@syscall("mlock2")
def sys_mlock2(t, addr, length, flags):
    if s32(flags) & ~MLOCK_ONFAULT:
        return -errno.EINVAL
    return _lock(t, addr, length, True)


@syscall("munlock")
def sys_munlock(t, addr, length):
    return _lock(t, addr, length, False)


@syscall("brk")
def sys_brk(t, new_brk):
    """Grow or shrink the heap after the program's bss, as Linux's brk(2)."""
    process, mem = t.process, t.mem
    with mem.lock:
        if new_brk < process.brk_start:
            return process.brk
        old_end = page_align_up(process.brk)
        new_end = page_align_up(new_brk)
        if new_end > old_end:
            if new_end > process.mmap_top or not mem.is_free(old_end, new_end):
                return process.brk
            mem.map(old_end, new_end - old_end, 3, name="[heap]")
        elif new_end < old_end:
            mem.unmap(new_end, old_end - new_end)
        process.brk = new_brk
        return new_brk


@syscall("mremap")
def sys_mremap(t, old_addr, old_size, new_size, flags, new_addr):
    """Resize a mapping: in place when the pages after it are free, else move it."""
    mem = t.mem
    if flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP) or \
            flags & (MREMAP_FIXED | MREMAP_DONTUNMAP) and not flags & MREMAP_MAYMOVE:
        return -errno.EINVAL
    if old_addr % PAGE_SIZE or new_size == 0 or old_size == 0:
        return -errno.EINVAL        # old_size 0 duplicates a shared mapping: not done
    old_size, new_size = page_align_up(old_size), page_align_up(new_size)
    with mem.lock:
        region = mem.region_at(old_addr)
        if region is None or region.end < old_addr + old_size:
            return -errno.EFAULT
        if flags & (MREMAP_FIXED | MREMAP_DONTUNMAP):
            return -errno.EINVAL      # not done: a guest gets what an old kernel said
        if new_size <= old_size:
            if new_size < old_size:
                mem.unmap(old_addr + new_size, old_size - new_size)
            return old_addr
        if region.name and not region.name.startswith("["):
            return -errno.ENOMEM          # file mappings: not moved (yet)
        if mem.is_free(old_addr + old_size, old_addr + new_size):
            mem.map(old_addr + old_size, new_size - old_size, region.prot, name=region.name)
            return old_addr
        if not flags & MREMAP_MAYMOVE:
            return -errno.ENOMEM
        dest = mem.find_free(new_size, t.process.mmap_top)
        if dest is None:
            return -errno.ENOMEM
        mem.map(dest, new_size, PROT_READ | PROT_WRITE, name=region.name)
        if not region.prot & PROT_READ:           # the host mirrors it: PROT_NONE
            host.call("mprotect", mem.g2h(old_addr), old_size, PROT_READ)
        ctypes.memmove(mem.g2h(dest), mem.g2h(old_addr), old_size)
        mem.protect(dest, new_size, region.prot)    # the host enforces it (host_prot)
        mem.unmap(old_addr, old_size)
        return dest


@syscall("cacheflush")
def sys_cacheflush(t, start, end, flags):
    """ARM: code was written at [start, end): every engine retranslates it."""
    if end < start:
        return -errno.EINVAL
    t.mem.check(start, end - start, PROT_READ)
    t.mem.flush_code(start & ~(PAGE_SIZE - 1), page_align_up(end))
    return 0
