"""Process information, credentials, process groups, limits, scheduling, prctl,
TLS, exit_group."""
from __future__ import annotations

import ctypes
import errno
import os
import struct

from linuxuser.memory import PROT_WRITE
from linuxuser.syscalls import host
from linuxuser.syscalls.args import s32
from linuxuser.syscalls.fs import MAX_RW_COUNT
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
    """Guest pids are host pids: another process's limits are the host's to give."""
    new_ptr = t.mem.check(new, 16) if new else None
    old_ptr = t.mem.check(old, 16, PROT_WRITE) if old else None
    return host.call("prlimit64", s32(pid), s32(resource), new_ptr, old_ptr)


def _rlimit_word(t, value: int) -> int:
    return min(value, t.arch.word_mask)


@syscall("getrlimit", "ugetrlimit")
def sys_getrlimit(t, resource, rlim):
    """The host's limit, in the guest's words (32-bit guests see at most ~0U)."""
    limits = (ctypes.c_uint64 * 2)()
    host.call("prlimit64", 0, s32(resource), None, limits)
    fmt = "<" + t.arch.ulong_fmt * 2
    t.mem.write(rlim, struct.pack(fmt, *(_rlimit_word(t, v) for v in limits)))
    return 0


@syscall("setrlimit")
def sys_setrlimit(t, resource, rlim):
    """The host's prlimit64 validates (EINVAL, EPERM) as the guest's kernel would."""
    fmt = "<" + t.arch.ulong_fmt * 2
    words = struct.unpack(fmt, t.mem.read(rlim, struct.calcsize(fmt)))
    limits = (ctypes.c_uint64 * 2)(*(RLIM_INFINITY if v == t.arch.word_mask else v
                                     for v in words))
    host.call("prlimit64", 0, s32(resource), limits, None)
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
    length = min(length, MAX_RW_COUNT)
    return host.call("getrandom", t.mem.user_pointer(buf, length), length, flags)


@syscall("sched_yield")
def sys_sched_yield(t):
    os.sched_yield()
    return 0


@syscall("sched_getaffinity")
def sys_sched_getaffinity(t, pid, size, mask):
    cpus = os.sched_getaffinity(_host_pid(t, pid))
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


# -- process groups, sessions, credentials ------------------------------------------

@syscall("getpgid")
def sys_getpgid(t, pid):
    return os.getpgid(s32(pid))


@syscall("getpgrp")
def sys_getpgrp(t):
    return os.getpgrp()


@syscall("setpgid")
def sys_setpgid(t, pid, pgid):
    os.setpgid(s32(pid), s32(pgid))
    return 0


@syscall("getsid")
def sys_getsid(t, pid):
    return os.getsid(s32(pid))


@syscall("setsid")
def sys_setsid(t):
    os.setsid()
    return os.getsid(0)


def _id_setters(suffix: str) -> None:
    """setuid & co.; the legacy (no "32") calls of the 32-bit arches take 16-bit ids."""
    from linuxuser.syscalls.paths import id_arg

    def ids(t, *values):
        legacy = t.arch.bits == 32 and not suffix
        return [id_arg(v, legacy) for v in values]

    @syscall("setuid" + suffix)
    def sys_setuid(t, uid):
        os.setuid(*ids(t, uid))
        return 0

    @syscall("setgid" + suffix)
    def sys_setgid(t, gid):
        os.setgid(*ids(t, gid))
        return 0

    @syscall("setreuid" + suffix)
    def sys_setreuid(t, ruid, euid):
        os.setreuid(*ids(t, ruid, euid))
        return 0

    @syscall("setregid" + suffix)
    def sys_setregid(t, rgid, egid):
        os.setregid(*ids(t, rgid, egid))
        return 0

    @syscall("setresuid" + suffix)
    def sys_setresuid(t, r, e, s):
        os.setresuid(*ids(t, r, e, s))
        return 0

    @syscall("setresgid" + suffix)
    def sys_setresgid(t, r, e, s):
        os.setresgid(*ids(t, r, e, s))
        return 0

    @syscall("setfsuid" + suffix)
    def sys_setfsuid(t, uid):
        return os.geteuid()

    @syscall("setfsgid" + suffix)
    def sys_setfsgid(t, gid):
        return os.getegid()

    @syscall("getgroups" + suffix)
    def sys_getgroups(t, size, groups):
        size = s32(size)
        gids = os.getgroups()
        if size < 0:
            return -errno.EINVAL
        if size == 0:
            return len(gids)
        if size < len(gids):
            return -errno.EINVAL
        width = 2 if t.arch.bits == 32 and not suffix else 4
        fmt = "<" + ("H" if width == 2 else "I") * len(gids)
        t.mem.write(groups, struct.pack(fmt, *(_uid16(g) if width == 2 else g for g in gids)))
        return len(gids)

    @syscall("setgroups" + suffix)
    def sys_setgroups(t, size, groups):
        size = s32(size)
        if not 0 <= size <= 65536:
            return -errno.EINVAL
        width = 2 if t.arch.bits == 32 and not suffix else 4
        fmt = "<" + ("H" if width == 2 else "I") * size
        os.setgroups(list(struct.unpack(fmt, t.mem.read(groups, width * size))))
        return 0


_id_setters("")
_id_setters("32")


# -- scheduling and priority -----------------------------------------------------------

@syscall("getpriority")
def sys_getpriority(t, which, who):
    return 20 - os.getpriority(s32(which), s32(who))      # the kernel's 40..1 encoding


@syscall("setpriority")
def sys_setpriority(t, which, who, prio):
    os.setpriority(s32(which), s32(who), s32(prio))
    return 0


@syscall("nice")
def sys_nice(t, inc):
    os.nice(s32(inc))
    return 0


def _host_pid(t, pid: int) -> int:
    """A pid argument for the host: the guest's own pid is the calling process (0)."""
    return 0 if s32(pid) == t.process.pid else s32(pid)


@syscall("sched_getscheduler")
def sys_sched_getscheduler(t, pid):
    return os.sched_getscheduler(_host_pid(t, pid))


@syscall("sched_getparam")
def sys_sched_getparam(t, pid, param):
    prio = os.sched_getparam(_host_pid(t, pid)).sched_priority
    t.mem.write(param, struct.pack("<i", prio))
    return 0


@syscall("sched_get_priority_max")
def sys_sched_get_priority_max(t, policy):
    return os.sched_get_priority_max(s32(policy))


@syscall("sched_get_priority_min")
def sys_sched_get_priority_min(t, policy):
    return os.sched_get_priority_min(s32(policy))


@syscall("ioprio_get")
def sys_ioprio_get(t, which, who):
    return host.raw_syscall("ioprio_get", s32(which), s32(who))


@syscall("ioprio_set")
def sys_ioprio_set(t, which, who, ioprio):
    return host.raw_syscall("ioprio_set", s32(which), s32(who), s32(ioprio))


@syscall("syslog")
def sys_syslog(t, type_, buf, length):
    """The kernel log (dmesg): the buffer is filled in place."""
    length = s32(length)
    ptr = t.mem.check(buf, length, PROT_WRITE) if buf and length > 0 else None
    return host.raw_syscall("syslog", s32(type_), ptr, length)


@syscall("personality")
def sys_personality(t, persona):
    return 0                                  # PER_LINUX; a change is accepted and ignored


# -- prctl -------------------------------------------------------------------------

PR_SET_PDEATHSIG, PR_GET_PDEATHSIG, PR_GET_DUMPABLE, PR_SET_DUMPABLE = 1, 2, 3, 4
PR_SET_NAME, PR_GET_NAME = 15, 16
PR_SET_NO_NEW_PRIVS, PR_GET_NO_NEW_PRIVS = 38, 39
PR_SET_CHILD_SUBREAPER, PR_GET_CHILD_SUBREAPER = 36, 37
PR_SET_VMA = 0x53564D41            # glibc names its malloc arenas with it; optional
TASK_COMM_LEN = 16


@syscall("prctl")
def sys_prctl(t, option, arg2, arg3, arg4, arg5):
    option = s32(option)
    if option == PR_SET_NAME:                   # per thread, as the kernel's comm
        t.comm = t.mem.read_cstring(arg2, 1 << 12)[:TASK_COMM_LEN - 1]
        return 0
    if option == PR_GET_NAME:
        name = t.comm
        if name is None:
            name = os.path.basename(t.process.argv[0] if t.process.argv else b"")
        t.mem.write(arg2, name[:TASK_COMM_LEN - 1].ljust(TASK_COMM_LEN, b"\0"))
        return 0
    if option in (PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS,
                  PR_SET_CHILD_SUBREAPER, PR_GET_DUMPABLE, PR_GET_NO_NEW_PRIVS):
        return host.call("prctl", option, arg2, arg3, arg4, arg5)
    if option in (PR_GET_PDEATHSIG, PR_GET_CHILD_SUBREAPER):
        value = ctypes.c_int(0)
        host.call("prctl", option, ctypes.addressof(value), 0, 0, 0)
        t.mem.write(arg2, struct.pack("<i", value.value))
        return 0
    if option != PR_SET_VMA:
        t.process.log.once(("prctl", option),
                           f"linuxuser: unsupported prctl option {option}: EINVAL")
    return -errno.EINVAL
