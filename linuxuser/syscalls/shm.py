"""SysV shared memory: shmget, shmat, shmdt, shmctl, and i386's `ipc` multiplexer.

Segments are the host's own: a guest `shmat` attaches the host segment at the
guest address inside the reservation, so the guest's forked children (host
processes), and any other host process, share its pages, and the host keeps
the attach counts, permissions, keys and IPC_RMID's deferred destruction.
"""
from __future__ import annotations

import ctypes
import errno
import os
import struct

from linuxuser.memory import PAGE_SIZE, PROT_EXEC, PROT_READ, PROT_WRITE, Region, page_align_up
from linuxuser.syscalls import host
from linuxuser.syscalls.args import s32
from linuxuser.syscalls.structs import Layout
from linuxuser.syscalls.table import syscall

SHM_RDONLY, SHM_RND, SHM_REMAP, SHM_EXEC = 0o10000, 0o20000, 0o40000, 0o100000
IPC_RMID, IPC_SET, IPC_STAT, IPC_INFO = 0, 1, 2, 3
SHM_LOCK, SHM_UNLOCK, SHM_STAT, SHM_INFO, SHM_STAT_ANY = 11, 12, 13, 14, 15
IPC_64 = 0x100               # 32-bit ABIs: the caller uses the 64-bit-ready structs

# struct ipc64_perm then struct shmid64_ds (asm-generic and x86's shmbuf.h):
# __kernel_mode_t is 16 bits on 32-bit ARM and i386, 32 bits elsewhere, and the
# 32-bit ABIs split each time in two words.
_PERM_FIELDS = "key uid gid cuid cgid mode seq"
_SHMID_FIELDS = "segsz atime dtime ctime cpid lpid nattch"
SHMID_DS_64 = Layout("<iIIIIIH2x4x16x" + "Qqqqii" + "Q16x",
                     f"{_PERM_FIELDS} {_SHMID_FIELDS}")
SHMID_DS_32 = Layout("<iIIIIH2xH2x8x" + "IIIIIIIii" + "I8x",
                     f"{_PERM_FIELDS} segsz atime atime_high dtime dtime_high ctime ctime_high "
                     "cpid lpid nattch")
# IPC_INFO's struct shminfo64 (nine longs) and SHM_INFO's struct shm_info.
SHMINFO_FIELDS = "shmmax shmmin shmmni shmseg shmall"
SHM_INFO_FIELDS = "used_ids shm_tot shm_rss shm_swp swap_attempts swap_successes"


def _shmid_ds(arch) -> Layout:
    return SHMID_DS_64 if arch.bits == 64 else SHMID_DS_32


def _shminfo(word: str) -> Layout:
    """struct shminfo64 for C `unsigned long` format `word`."""
    return Layout(f"<5{word}{4 * struct.calcsize(word)}x", SHMINFO_FIELDS)


def _shm_info(word: str) -> Layout:
    """struct shm_info for C `unsigned long` format `word`."""
    return Layout(f"<i{struct.calcsize(word) - 4}x5{word}", SHM_INFO_FIELDS)


def _host_stat(shmid: int, cmd: int = IPC_STAT) -> dict[str, int]:
    buf = ctypes.create_string_buffer(SHMID_DS_64.size)
    index = host.call("shmctl", shmid, cmd, buf)
    return dict(SHMID_DS_64.unpack(buf.raw), index=index)


@syscall("shmget")
def sys_shmget(t, key, size, flags):
    return host.call("shmget", s32(key), size, s32(flags))


def _host_attach(shmid: int, flags: int) -> tuple[int, str, int]:
    """Size, /proc/self/maps name and device of segment `shmid`, as the host
    kernel shows an attach of it; checks the caller may attach it (EACCES...)."""
    addr = host.call("shmat", shmid, None, flags & (SHM_RDONLY | SHM_EXEC))
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                fields = line.split(maxsplit=5)
                if int(fields[0].split("-")[0], 16) == addr:
                    start, end = (int(x, 16) for x in fields[0].split("-"))
                    major, minor = (int(x, 16) for x in fields[3].split(":"))
                    return end - start, fields[5].rstrip("\n"), os.makedev(major, minor)
        raise OSError(errno.EINVAL, "attached segment not in the maps")
    finally:
        host.call("shmdt", ctypes.c_void_p(addr))


def do_shmat(t, shmid: int, addr: int, flags: int) -> int:
    """shmat(2) into the guest's address space; the guest address or -errno."""
    mem, shmlba = t.mem, t.arch.shmlba
    if addr % shmlba:
        # Not rounded: EINVAL (ARM's __ARCH_FORCE_SHMLBA; elsewhere SHMLBA is a page).
        if not flags & SHM_RND:
            return -errno.EINVAL
        addr -= addr % shmlba
        if addr == 0 and flags & SHM_REMAP:
            return -errno.EINVAL
    size, name, device = _host_attach(shmid, flags)
    prot = PROT_READ | (0 if flags & SHM_RDONLY else PROT_WRITE) | (
        PROT_EXEC if flags & SHM_EXEC else 0)
    with mem.lock:
        if addr == 0:
            addr = mem.find_free(size, t.process.mmap_top)
            if addr is None:
                return -errno.ENOMEM
        elif addr + size > mem.size:           # wrapping round: EINVAL, as Linux
            return -errno.EINVAL if addr + size > t.arch.word_mask else -errno.ENOMEM
        elif not flags & SHM_REMAP and not mem.is_free(addr, addr + size):
            return -errno.EINVAL
        host_flags = SHM_REMAP | (flags & SHM_RDONLY)
        region = Region(addr, addr + page_align_up(size), prot, name, shared=True,
                        device=device, inode=shmid)
        mem.map_host_pages(region, lambda where: host.call(
            "shmat", shmid, ctypes.c_void_p(where), host_flags))
    return addr


@syscall("shmat")
def sys_shmat(t, shmid, addr, flags):
    return do_shmat(t, s32(shmid), addr, s32(flags))


@syscall("shmdt")
def sys_shmdt(t, addr):
    """Detach every piece of the segment attached at `addr` (the kernel's rule:
    regions of that segment whose offset is their distance from `addr`)."""
    mem = t.mem
    if addr % PAGE_SIZE:
        return -errno.EINVAL
    with mem.lock:
        first = mem.region_at(addr)
        if first is None or first.start != addr or first.offset != 0 or not first.shared \
                or not first.name.startswith("/SYSV"):
            return -errno.EINVAL
        pieces = [r for r in list(mem.overlapping(addr, mem.size))
                  if r.inode == first.inode and r.name == first.name
                  and r.offset == r.start - addr and r.device == first.device]
        for r in pieces:
            mem.unmap(r.start, r.size)
    return 0


def _stat_to_guest(t, ds: dict[str, int], buf: int) -> None:
    layout = _shmid_ds(t.arch)
    if t.arch.bits == 32:
        for name in ("atime", "dtime", "ctime"):
            ds[f"{name}_high"] = ds[name] >> 32
    t.mem.write(buf, layout.pack(ds))


def _shmctl_stat(t, shmid, cmd, buf):
    ds = _host_stat(shmid, cmd)
    _stat_to_guest(t, ds, buf)
    return ds["index"]                  # SHM_STAT: the id of the index given


def _shmctl_set(t, shmid, cmd, buf):
    layout = _shmid_ds(t.arch)
    wanted = layout.unpack(t.mem.read(buf, layout.size))
    ds = _host_stat(shmid)
    ds.update(uid=wanted["uid"], gid=wanted["gid"], mode=wanted["mode"])
    return host.call("shmctl", shmid, IPC_SET, SHMID_DS_64.pack(ds))


def _shmctl_info(layout_of):
    def info(t, shmid, cmd, buf):
        host_layout = layout_of("Q")                  # the x86-64 host's
        raw = ctypes.create_string_buffer(host_layout.size)
        index = host.call("shmctl", shmid, cmd, raw)
        t.mem.write(buf, layout_of(t.arch.ulong_fmt).pack(host_layout.unpack(raw.raw)))
        return index
    return info


def _shmctl_plain(t, shmid, cmd, buf):
    return host.call("shmctl", shmid, cmd, None)


# shmctl command -> handler(t, shmid, cmd, guest buffer) -> result
_SHMCTL = {IPC_STAT: _shmctl_stat, SHM_STAT: _shmctl_stat, SHM_STAT_ANY: _shmctl_stat,
           IPC_SET: _shmctl_set, IPC_RMID: _shmctl_plain, SHM_LOCK: _shmctl_plain,
           SHM_UNLOCK: _shmctl_plain, IPC_INFO: _shmctl_info(_shminfo),
           SHM_INFO: _shmctl_info(_shm_info)}


@syscall("shmctl")
def sys_shmctl(t, shmid, cmd, buf):
    shmid, cmd = s32(shmid), s32(cmd)
    if cmd < 0 or shmid < 0:
        return -errno.EINVAL
    if t.arch.bits == 32:
        if not cmd & IPC_64 and cmd in (IPC_STAT, SHM_STAT, SHM_STAT_ANY, IPC_SET, IPC_INFO):
            return -errno.EINVAL              # the pre-2.4 structs: not supported
        cmd &= ~IPC_64
    handler = _SHMCTL.get(cmd)
    if handler is None:
        return -errno.EINVAL
    return handler(t, shmid, cmd, buf)


# -- i386's ipc multiplexer (linux/ipc.h SHMAT...) --------------------------------------

SHMAT_CALL, SHMDT_CALL, SHMGET_CALL, SHMCTL_CALL = 21, 22, 23, 24


@syscall("ipc")
def sys_ipc(t, call, first, second, third, ptr, fifth):
    """ipc(2): the shm calls; semaphores and message queues are not emulated."""
    call = s32(call)
    version, call = call >> 16, call & 0xFFFF
    if call == SHMAT_CALL:
        if version == 1:
            return -errno.EINVAL              # iBCS2's, from the kernel only
        addr = do_shmat(t, s32(first), ptr, s32(second))
        if addr < 0:
            return addr
        t.mem.write(third, struct.pack(f"<{t.arch.ulong_fmt}", addr))
        return 0
    if call == SHMDT_CALL:
        return sys_shmdt(t, ptr)
    if call == SHMGET_CALL:
        return sys_shmget(t, first, second, third)
    if call == SHMCTL_CALL:
        return sys_shmctl(t, first, second, ptr)
    return -errno.ENOSYS
