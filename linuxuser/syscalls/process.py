"""Process information, limits, TLS, exit_group."""
from __future__ import annotations

import ctypes
import errno
import os
import struct

from linuxuser.memory import PROT_WRITE
from linuxuser.syscalls import host
from linuxuser.syscalls.args import s32
from linuxuser.syscalls.table import NO_RESULT, enosys, syscall

# rseq: glibc registers it when the kernel has it and copes with ENOSYS.
enosys("rseq")

RLIM_INFINITY = (1 << 64) - 1
ARCH_SET_GS, ARCH_SET_FS, ARCH_GET_FS, ARCH_GET_GS = 0x1001, 0x1002, 0x1003, 0x1004


@syscall("exit_group")
def sys_exit_group(t, status):
    t.process.exit_group(t, status & 0xFF)
    return NO_RESULT


@syscall("getpid")
def sys_getpid(t):
    return t.process.pid


@syscall("getppid")
def sys_getppid(t):
    return os.getppid()


def _uid16(value: int) -> int:
    """The legacy 16-bit uid calls (arm/i386 getuid...) map big ids to 65534."""
    return value if value < 0x10000 else 65534


for _name, _fn in (("getuid", os.getuid), ("geteuid", os.geteuid),
                   ("getgid", os.getgid), ("getegid", os.getegid)):
    def _make(fn=_fn, name=_name):
        @syscall(name)
        def sys_getid(t):
            value = fn()
            return _uid16(value) if t.arch.bits == 32 else value

        @syscall(name + "32")
        def sys_getid32(t):
            return fn()
    _make()


def _put_ids(t, ids, addrs, size: int) -> int:
    fmt = "<I" if size == 4 else "<H"
    for value, addr in zip(ids, addrs):
        t.mem.write(addr, struct.pack(fmt, value if size == 4 else _uid16(value)))
    return 0


@syscall("getresuid32")
def sys_getresuid32(t, ruid, euid, suid):
    return _put_ids(t, os.getresuid(), (ruid, euid, suid), 4)


@syscall("getresgid32")
def sys_getresgid32(t, rgid, egid, sgid):
    return _put_ids(t, os.getresgid(), (rgid, egid, sgid), 4)


@syscall("getresuid")
def sys_getresuid(t, ruid, euid, suid):
    return _put_ids(t, os.getresuid(), (ruid, euid, suid), 4 if t.arch.bits == 64 else 2)


@syscall("getresgid")
def sys_getresgid(t, rgid, egid, sgid):
    return _put_ids(t, os.getresgid(), (rgid, egid, sgid), 4 if t.arch.bits == 64 else 2)


@syscall("uname")
def sys_uname(t, buf):
    u = os.uname()
    try:
        with open("/proc/sys/kernel/domainname", "rb") as f:
            domain = f.read().strip()
    except OSError:
        domain = b"(none)"
    fields = (u.sysname, u.nodename, u.release, u.version, t.arch.uname_machine)
    data = b"".join(os.fsencode(f)[:64].ljust(65, b"\0") for f in fields)
    t.mem.write(buf, data + domain[:64].ljust(65, b"\0"))
    return 0


# -- limits ----------------------------------------------------------------------

@syscall("prlimit64")
def sys_prlimit64(t, pid, resource, new, old):
    if s32(pid) not in (0, t.process.pid):
        return -errno.EPERM
    new_ptr = t.mem.check(new, 16) if new else None
    old_ptr = t.mem.check(old, 16, PROT_WRITE) if old else None
    return host.call("prlimit64", 0, s32(resource), new_ptr, old_ptr)


def _rlimit_word(t, value: int) -> int:
    return min(value, t.arch.word_mask)


@syscall("getrlimit", "ugetrlimit")
def sys_getrlimit(t, resource, rlim):
    import resource as res
    soft, hard = res.getrlimit(s32(resource))
    soft = RLIM_INFINITY if soft == res.RLIM_INFINITY else soft
    hard = RLIM_INFINITY if hard == res.RLIM_INFINITY else hard
    fmt = "<" + t.arch.ulong_fmt * 2
    t.mem.write(rlim, struct.pack(fmt, _rlimit_word(t, soft), _rlimit_word(t, hard)))
    return 0


@syscall("setrlimit")
def sys_setrlimit(t, resource, rlim):
    import resource as res
    fmt = "<" + t.arch.ulong_fmt * 2
    soft, hard = struct.unpack(fmt, t.mem.read(rlim, struct.calcsize(fmt)))
    conv = (lambda v: res.RLIM_INFINITY if v == t.arch.word_mask else v)
    res.setrlimit(s32(resource), (conv(soft), conv(hard)))
    return 0


# -- TLS -------------------------------------------------------------------------

@syscall("arch_prctl")
def sys_arch_prctl(t, code, addr):
    from unicorn import x86_const as X
    if code == ARCH_SET_FS:
        t.uc.reg_write(X.UC_X86_REG_FS_BASE, addr)
    elif code == ARCH_SET_GS:
        t.uc.reg_write(X.UC_X86_REG_GS_BASE, addr)
    elif code in (ARCH_GET_FS, ARCH_GET_GS):
        reg = X.UC_X86_REG_FS_BASE if code == ARCH_GET_FS else X.UC_X86_REG_GS_BASE
        t.mem.write(addr, struct.pack("<Q", t.uc.reg_read(reg)))
    else:
        return -errno.EINVAL
    return 0


@syscall("set_thread_area")
def sys_set_thread_area(t, u_info):
    """i386: install a TLS descriptor in this thread's GDT (entries 12..14)."""
    t.arch.set_thread_area(t.uc, t.mem, u_info, can_allocate=True)
    return 0


@syscall("set_tls")
def sys_set_tls(t, value):
    t.arch.set_tls(t.uc, value)
    return 0


@syscall("get_tls")
def sys_get_tls(t):
    return t.arch.get_tls(t.uc)


# -- misc ------------------------------------------------------------------------

@syscall("getrandom")
def sys_getrandom(t, buf, length, flags):
    return host.call("getrandom", t.mem.check(buf, length, PROT_WRITE), length, flags)


@syscall("sched_yield")
def sys_sched_yield(t):
    os.sched_yield()
    return 0


@syscall("sched_getaffinity")
def sys_sched_getaffinity(t, pid, size, mask):
    cpus = os.sched_getaffinity(s32(pid) if s32(pid) != t.process.pid else 0)
    nbytes = max(t.arch.word_size, ((max(cpus) + t.arch.bits) // t.arch.bits) * t.arch.word_size)
    if size < nbytes:
        return -errno.EINVAL
    bits = sum(1 << c for c in cpus)
    t.mem.write(mask, bits.to_bytes(nbytes, "little"))
    return nbytes


@syscall("getcwd")
def sys_getcwd(t, buf, size):
    cwd = os.getcwdb() + b"\0"
    if len(cwd) > size:
        return -errno.ERANGE
    t.mem.write(buf, cwd)
    return len(cwd)


@syscall("sysinfo")
def sys_sysinfo(t, info):
    """struct sysinfo: the host's, repacked with the guest's `long` (qsort asks for it)."""
    host_info = ctypes.create_string_buffer(112)               # x86-64 host layout
    host.call("sysinfo", host_info)
    v = struct.unpack("<q3Q6QHHxxxxQQI", host_info.raw[:108])
    uptime, loads, ram, procs, high, unit = v[0], v[1:4], list(v[4:10]), v[10], list(v[12:14]), v[14]
    if t.arch.bits == 32 and max(ram + high) > 0xFFFFFFFF:
        # As the kernel's compat sysinfo: count in pages so the sizes fit 32 bits.
        ram, high, unit = [x >> 12 for x in ram], [x >> 12 for x in high], unit << 12
    L, U = t.arch.long_fmt, t.arch.ulong_fmt
    mask = t.arch.word_mask
    pad = "x" * (t.arch.word_size - 4)                # aligns totalhigh on 64-bit
    data = struct.pack(f"<{L}3{U}6{U}HH{pad}{U}{U}I", uptime, *(x & mask for x in loads),
                       *(x & mask for x in ram), procs, 0, *(x & mask for x in high), unit)
    size = 112 if t.arch.bits == 64 else 64
    t.mem.write(info, data.ljust(size, b"\0"))
    return 0
