"""/proc as the guest should see it.

Files that describe the process (its memory map, auxv, command line) or the
CPU would show linuxuser's own host process; opening them gives a memfd with
the guest's version instead.  /proc/self/exe is the guest program (fs.py).
"""
from __future__ import annotations

import os
import re
import struct
from dataclasses import replace
from typing import Callable

from linuxuser.memory import PROT_EXEC, PROT_READ, PROT_WRITE

_SELF = re.compile(rb"^/proc/(self|thread-self|\d+)(/task/\d+)?/([a-z_]+)$")


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


def _stat(t) -> bytes:
    """/proc/self/stat with the guest's command name (the rest is the host's)."""
    with open(f"/proc/{os.getpid()}/stat", "rb") as f:
        text = f.read()
    comm = os.path.basename(t.process.argv[0] if t.process.argv else b"")[:15]
    return re.sub(rb"^(\d+) \(.*\) ", lambda m: m.group(1) + b" (" + comm + b") ", text, 1)


def _comm(t) -> bytes:
    return os.path.basename(t.process.argv[0] if t.process.argv else b"")[:15] + b"\n"


_PROCESS_FILES: dict[bytes, Callable] = {
    b"maps": _maps, b"auxv": _auxv, b"cmdline": _cmdline, b"stat": _stat, b"comm": _comm,
}


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


def emulated_content(t, path: bytes) -> bytes | None:
    """The guest's version of /proc file `path`, or None if the host's is right."""
    path = os.path.normpath(path) if path.startswith(b"/proc") else path
    if path in _GLOBAL_FILES:
        return _GLOBAL_FILES[path](t)
    m = _SELF.match(path)
    if m is None or m.group(3) not in _PROCESS_FILES:
        return None
    who = m.group(1)
    if who.isdigit() and int(who) != t.process.pid:
        return None
    return _PROCESS_FILES[m.group(3)](t)


def open_emulated(t, path: bytes, cloexec: bool) -> int | None:
    """A read-only fd at offset 0 on an emulated /proc file's content, or None."""
    data = emulated_content(t, path)
    if data is None:
        return None
    fd = os.memfd_create("linuxuser-proc", os.MFD_CLOEXEC)
    try:
        os.write(fd, data)
        return os.open(f"/proc/self/fd/{fd}", os.O_RDONLY | (os.O_CLOEXEC if cloexec else 0))
    finally:
        os.close(fd)
