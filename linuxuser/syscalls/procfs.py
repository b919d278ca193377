"""/proc as the guest should see it.

Files that describe the process (its memory map, auxv, command line) or the
CPU would show linuxuser's own host process; opening them gives a memfd with
the guest's version instead.  /proc/self/exe is the guest program (fs.py).
/proc/self/mem reads and writes guest memory at guest addresses.  Files that
would show host addresses and are not emulated are refused (EACCES).

However the guest spells a path of its own /proc directory (`//proc/self/maps`,
`/dev/fd/../maps`, `/proc/<pid>/task/<tid>/maps`, a dirfd or a cwd inside
/proc/self, a symlink to it), `resolve` finds it first: the emulation decides
on the path the kernel would reach.
"""
from __future__ import annotations

import errno
import fcntl
import os
import re
import stat
import struct
import sys
from dataclasses import replace
from typing import Callable

from linuxuser.memory import PROT_EXEC, PROT_READ, PROT_WRITE
from linuxuser.syscalls.args import AT_FDCWD

MAX_SYMLINKS = 40                 # the kernel's ELOOP limit
_SELF = re.compile(rb"^/proc/(\d+)(?:/task/(\d+))?/([a-z_]+)(/.*)?$")


def _maps(t) -> bytes:
    """Lines as the kernel's show_map_vma writes them (a name starts at column 73);
    neighbours the kernel would have merged into one VMA are one line."""
    out = []
    for r in _merged(t.mem.regions):
        perms = "".join(c if r.prot & bit else "-" for c, bit in
                        (("r", PROT_READ), ("w", PROT_WRITE), ("x", PROT_EXEC)))
        perms += "s" if r.shared else "p"
        line = (f"{r.start:08x}-{r.end:08x} {perms} {r.offset:08x} "
                f"{os.major(r.device):02x}:{os.minor(r.device):02x} {r.inode} ")
        if r.name:
            line = line.ljust(72) + " " + r.name
        out.append(line + "\n")
    return "".join(out).encode()


def _merged(regions) -> list:
    out = []
    for r in regions:
        prev = out[-1] if out else None
        if (prev is not None and prev.end == r.start and prev.prot == r.prot
                and prev.shared == r.shared and prev.name == r.name
                and prev.inode == r.inode and prev.beyond_eof == r.beyond_eof
                and (not r.inode or prev.offset + prev.size == r.offset)):
            out[-1] = replace(prev, end=r.end)
        else:
            out.append(r)
    return out


def _auxv(t) -> bytes:
    return t.process.auxv


def _cmdline(t) -> bytes:
    return b"".join(a + b"\0" for a in t.process.argv)


# Fields of /proc/self/stat (counted from 1) that hold addresses: startcode,
# endcode, startstack, kstkesp, kstkeip, wchan, start_data... env_end.  The host's
# would be linuxuser's; qemu-user shows 0 for them too.
_STAT_ADDRESS_FIELDS = (26, 27, 28, 29, 30, 35, 45, 46, 47, 48, 49, 50, 51)


def _stat(t) -> bytes:
    """/proc/self/stat with the guest's command name; address fields are 0 but
    the guest's brk start (the rest is the host's)."""
    with open(f"/proc/{os.getpid()}/stat", "rb") as f:
        text = f.read()
    comm = os.path.basename(t.process.argv[0] if t.process.argv else b"")[:15]
    head, _, tail = text.rpartition(b") ")
    fields = [head.split(b" (", 1)[0], b"(" + comm + b")"] + tail.split()
    for n in _STAT_ADDRESS_FIELDS:
        if n <= len(fields):
            fields[n - 1] = b"0"
    if len(fields) >= 47:
        fields[46] = b"%d" % t.process.brk_start
    return b" ".join(fields) + b"\n"


def _smaps(t) -> bytes:
    """The guest's maps, each mapping with its size (no host page counts)."""
    out = []
    for line in _maps(t).decode().splitlines():
        start, end = (int(a, 16) for a in line.split()[0].split("-"))
        out.append(f"{line}\nSize: {(end - start) >> 10:>16} kB\n"
                   f"KernelPageSize: {4:>6} kB\nMMUPageSize: {4:>9} kB\n")
    return "".join(out).encode()


def _comm(t) -> bytes:
    return os.path.basename(t.process.argv[0] if t.process.argv else b"")[:15] + b"\n"


_PROCESS_FILES: dict[bytes, Callable] = {
    b"maps": _maps, b"smaps": _smaps, b"auxv": _auxv, b"cmdline": _cmdline, b"stat": _stat,
    b"comm": _comm,
}
# Files of the process's /proc directory that would show host addresses or
# host memory and are not emulated: the guest may not open them.
# Of another linuxuser process's directory, also these (its host memory, its
# interpreter): the guest gets EACCES.
_OTHERS_HIDDEN = {b"mem", b"exe", b"environ"}
_REFUSED = {b"smaps_rollup", b"numa_maps", b"map_files", b"syscall", b"pagemap", b"stack",
            b"wchan", b"kstack"}


def _cpuinfo(t) -> bytes:
    hwcap = _auxv_value(t, 16)
    return t.arch.cpuinfo(hwcap, len(os.sched_getaffinity(0))).encode()


_GLOBAL_FILES: dict[bytes, Callable] = {b"/proc/cpuinfo": _cpuinfo}


def _auxv_value(t, tag: int) -> int:
    fmt = "<2" + t.arch.ulong_fmt
    size = struct.calcsize(fmt)
    data = t.process.auxv
    for i in range(0, len(data) - size + 1, size):
        key, value = struct.unpack_from(fmt, data, i)
        if key == tag:
            return value
    return 0


def resolve(t, dirfd: int, path: bytes) -> bytes:
    """The absolute path the kernel reaches for `path` relative to `dirfd` (or
    the cwd): every directory's symlinks followed (/proc/self, /dev/fd...) by the
    host kernel itself, and a final symlink too, unless it is one of the magic
    links of our own /proc directory (exe, fd/N, cwd), which are emulated."""
    for _ in range(MAX_SYMLINKS):
        try:
            fd = os.open(path, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC,
                         dir_fd=None if dirfd == AT_FDCWD else dirfd)
        except (OSError, ValueError):
            return path                   # nothing there: the host's answer will do
        try:
            reached = os.readlink(f"/proc/self/fd/{fd}").encode()
            if (own_entry(t, reached) is not None or refused(t, reached)
                    or not stat.S_ISLNK(os.fstat(fd).st_mode)):
                return reached
            target = os.readlink(reached)
        except OSError:
            return path
        finally:
            os.close(fd)
        path = os.path.join(os.path.dirname(reached), target)
        dirfd = AT_FDCWD
    return path


def own_entry(t, path: bytes) -> tuple[bytes, bytes] | None:
    """(name, rest) when `path` (resolved) is in this process's /proc directory
    (or one of its threads'): `/proc/PID/maps` -> (b"maps", b"")."""
    m = _SELF.match(path)
    if m is None:
        return None
    pid, tid = int(m.group(1)), m.group(2)
    if pid != t.process.pid and t.threads.by_tid(pid) is None:
        return None
    if tid is not None and t.threads.by_tid(int(tid)) is None:
        return None
    return m.group(3), m.group(4) or b""


def refused(t, path: bytes) -> bool:
    """A file of our /proc directory that would show the host's addresses, or
    one of another linuxuser process's that shows its memory (not emulated)."""
    entry = own_entry(t, path)
    if entry is not None:
        return entry[0] in _REFUSED
    m = _SELF.match(path)
    return m is not None and int(m.group(1)) in t.process.linuxuser_pids and (
        m.group(3) in _REFUSED or m.group(3) in _PROCESS_FILES or m.group(3) in _OTHERS_HIDDEN)


def emulated_content(t, path: bytes) -> bytes | None:
    """The guest's version of /proc file `path` (resolved), or None if the host's is right."""
    if path in _GLOBAL_FILES:
        return _GLOBAL_FILES[path](t)
    entry = own_entry(t, path)
    if entry is None or entry[1] or entry[0] not in _PROCESS_FILES:
        return None
    return _PROCESS_FILES[entry[0]](t)


_PROC_DEVICE = os.stat("/proc").st_dev
_INTERPRETER = os.stat(sys.executable)


def may_be_emulated(fd: int) -> bool:
    """Whether a file the host opened for the guest is one of /proc's (perhaps
    ours), or linuxuser's own interpreter (what /proc/self/exe leads the host to)."""
    st = os.fstat(fd)
    return st.st_dev == _PROC_DEVICE or (st.st_dev, st.st_ino) == (
        _INTERPRETER.st_dev, _INTERPRETER.st_ino)


def open_emulated(t, path: bytes, cloexec: bool) -> int | None:
    """A read-only fd at offset 0 on an emulated /proc file's content (the
    lowest free number, as open(2) gives), a /proc/self/mem descriptor, the
    guest program for /proc/self/exe, or None (the host's file is right)."""
    entry = own_entry(t, path)
    if entry == (b"mem", b""):
        return open_guest_mem(t, cloexec)
    if entry == (b"exe", b""):
        return os.open(t.process.exe_path, os.O_RDONLY | (os.O_CLOEXEC if cloexec else 0))
    if refused(t, path):
        raise OSError(errno.EACCES, "host view")
    data = emulated_content(t, path)
    if data is None:
        return None
    fd = os.memfd_create("linuxuser-proc", os.MFD_CLOEXEC)
    try:
        os.write(fd, data)
        readonly = os.open(f"/proc/self/fd/{fd}", os.O_RDONLY | os.O_CLOEXEC)
    finally:
        os.close(fd)
    try:
        return fcntl.fcntl(readonly, fcntl.F_DUPFD_CLOEXEC if cloexec else fcntl.F_DUPFD, 0)
    finally:
        os.close(readonly)


# -- /proc/self/mem ------------------------------------------------------------------
# An empty memfd stands for it: its file position is the guest address, and
# read/write/pread/pwrite on it (fs.py) reach guest memory through the host's
# /proc/self/mem at base + address, so that page protections are ignored as
# Linux ignores them there, but never beyond the guest's mappings.

def open_guest_mem(t, cloexec: bool) -> int:
    fd = os.memfd_create("linuxuser-mem", os.MFD_CLOEXEC if cloexec else 0)
    t.process.guest_mem_fds[fd] = os.fstat(fd).st_ino
    return fd


def is_guest_mem(t, fd: int) -> bool:
    """Whether the guest's `fd` is a /proc/self/mem it opened (and still the same file)."""
    inode = t.process.guest_mem_fds.get(fd)
    if inode is None:
        return False
    try:
        if os.fstat(fd).st_ino == inode:
            return True
    except OSError:
        pass
    del t.process.guest_mem_fds[fd]
    return False


def _mapped_run(t, addr: int, size: int) -> int:
    """How many bytes from `addr` (up to `size`) are mapped, contiguously."""
    end, pos = min(addr + size, t.mem.size), addr
    while pos < end:
        region = t.mem.region_at(pos)
        if region is None:
            break
        pos = region.end
    return max(0, min(pos, end) - addr)


def guest_mem_transfer(t, fd: int, buf: int, count: int, offset: int | None,
                       write: bool) -> int:
    """read/write (offset None: at the file position) or pread/pwrite on /proc/self/mem."""
    addr = os.lseek(fd, 0, os.SEEK_CUR) if offset is None else offset
    if addr < 0:
        raise OSError(errno.EINVAL, "negative offset")
    count = min(count, 0x7FFFF000)
    n = _mapped_run(t, addr, count) if 0 <= addr < t.mem.size else 0
    if count and not n:
        raise OSError(errno.EIO, "unmapped")
    if write:
        data = t.mem.read(buf, n)
    host = os.open("/proc/self/mem", os.O_RDWR if write else os.O_RDONLY)
    try:
        if write:
            done = os.pwrite(host, data, t.mem.base + addr)
            if any(r.prot & PROT_EXEC for r in t.mem.overlapping(addr, addr + done)):
                t.mem.flush_code(addr & ~0xFFF, (addr + done + 0xFFF) & ~0xFFF)
        else:
            data = os.pread(host, n, t.mem.base + addr)
            t.mem.write(buf, data)
            done = len(data)
    finally:
        os.close(host)
    if offset is None:
        os.lseek(fd, addr + done, os.SEEK_SET)
    return done
