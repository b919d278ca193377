"""Child processes: fork, vfork, fork-style clone (thread.py decides), execve,
wait4, waitid.

A guest fork is a host fork: the child is a copy of linuxuser with a copy of
the guest (private guest memory is copy-on-write, MAP_SHARED guest memory stays
shared), continuing in the same syscall hook with result 0.  A guest execve of
another guest program starts linuxuser again on it; a `#!` script runs its
interpreter (a guest path too); a program of an arch the host runs itself runs
directly.  Errors come back to the guest as errno, never end linuxuser.
"""
from __future__ import annotations

import ctypes
import errno
import functools
import os
import signal
import stat
import struct
import sys

from linuxuser.errors import ExecError
from linuxuser.loader.elf import read_elf
from linuxuser.loader.sysroot import default_sysroot, interpreter_path
from linuxuser.memory import PROT_WRITE
from linuxuser.syscalls import host
from linuxuser.syscalls.args import AT_FDCWD, s32
from linuxuser.syscalls.fs import host_path_of
from linuxuser.syscalls.structs import Layout, pack_rusage
from linuxuser.syscalls.table import syscall
from linuxuser.translate.arch import arch_for_elf

CSIGNAL = 0xFF
CLONE_VM, CLONE_FS, CLONE_FILES, CLONE_SIGHAND = 0x100, 0x200, 0x400, 0x800
CLONE_PIDFD, CLONE_PTRACE, CLONE_VFORK, CLONE_PARENT = 0x1000, 0x2000, 0x4000, 0x8000
CLONE_THREAD, CLONE_SETTLS, CLONE_PARENT_SETTID = 0x10000, 0x80000, 0x100000
CLONE_CHILD_CLEARTID, CLONE_DETACHED, CLONE_UNTRACED = 0x200000, 0x400000, 0x800000
CLONE_CHILD_SETTID = 0x1000000
# What a fork-style clone may ask for: the exit signal, the tid pointers, TLS;
# CLONE_VFORK (with CLONE_VM) is a plain fork here, as in qemu-user.
FORK_FLAGS = (CSIGNAL | CLONE_VFORK | CLONE_SETTLS | CLONE_PARENT_SETTID
              | CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID | CLONE_DETACHED
              | CLONE_UNTRACED | CLONE_PTRACE)

PATH_MAX = 4096
ARG_MAX_STRINGS = 1 << 17            # argv/envp entries read from the guest at most
BINPRM_BUF_SIZE = 256
MAX_INTERPRETER_DEPTH = 4            # the kernel's limit on nested #! interpreters
AT_EMPTY_PATH = 0x1000
SIGINFO_SIZE = 128

# The file that starts linuxuser again in an exec'd child (see __main__.py).
_MAIN = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "__main__.py")


# -- fork ------------------------------------------------------------------------

def fork_child(t, flags: int, child_stack: int, parent_tid_ptr: int, child_tid_ptr: int,
               tls: int) -> int:
    """clone() without CLONE_VM (or with CLONE_VFORK): a host fork.

    Returns the child's pid in the parent and 0 in the child, whose vCPU has
    the new stack, TLS and tid pointers that `flags` ask for.
    """
    if flags & ~FORK_FLAGS & ~CLONE_VM:
        return -errno.EINVAL
    if flags & CLONE_PARENT_SETTID:
        t.mem.check(parent_tid_ptr, 4, PROT_WRITE)
    # No other thread may be changing the memory map while its state is copied.
    with t.mem.lock:
        parent = os.getpid()
        pid = os.fork()
    if pid == 0:
        t.process.after_fork_child(t)
        t.process.linuxuser_pids.add(parent)
        if child_stack:
            t.uc.reg_write(t.arch.sp_reg, child_stack)
        if flags & CLONE_SETTLS:
            t.arch.set_clone_tls(t.uc, t.mem, tls)
        if flags & CLONE_CHILD_SETTID:
            t.mem.write(child_tid_ptr, struct.pack("<i", t.tid))
        if flags & CLONE_CHILD_CLEARTID:
            t.clear_child_tid = child_tid_ptr
        return 0
    t.process.linuxuser_pids.add(pid)
    if flags & CLONE_PARENT_SETTID:
        t.mem.write(parent_tid_ptr, struct.pack("<i", pid))
    return pid


@syscall("fork", "vfork")
def sys_fork(t):
    return fork_child(t, signal.SIGCHLD, 0, 0, 0, 0)


# -- execve ----------------------------------------------------------------------

def read_string_array(t, addr: int) -> list[bytes]:
    """A NULL-terminated array of guest string pointers (argv, envp)."""
    if not addr:
        return []
    word, fmt = t.arch.word_size, "<" + t.arch.ulong_fmt
    out = []
    while len(out) < ARG_MAX_STRINGS:
        ptr = struct.unpack(fmt, t.mem.read(addr + word * len(out), word))[0]
        if not ptr:
            return out
        out.append(t.mem.read_cstring(ptr, 1 << 17))
    raise OSError(errno.E2BIG, "argument list too long")


def _interpreter_line(head: bytes) -> tuple[bytes, bytes | None]:
    """The `#!` line's interpreter and optional single argument (as the kernel splits it)."""
    line = head[2:].split(b"\n", 1)[0].strip(b" \t")
    if not line:
        raise OSError(errno.ENOEXEC, "empty #! line")
    parts = line.split(None, 1)
    return parts[0], (parts[1].strip(b" \t") if len(parts) > 1 else None)


def exec_program(t, filename: bytes, argv: list[bytes], envp: list[bytes], depth: int = 0) -> int:
    """Replace this process by `filename` (a guest path); return -errno on failure."""
    path = host_path_of(t, filename)
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode) or not os.access(path, os.X_OK):
        return -errno.EACCES
    with open(path, "rb") as f:
        head = f.read(BINPRM_BUF_SIZE)
    if head.startswith(b"#!"):
        if depth >= MAX_INTERPRETER_DEPTH:
            return -errno.ELOOP
        interp, arg = _interpreter_line(head)
        new_argv = [interp] + ([arg] if arg is not None else []) + [filename] + argv[1:]
        return exec_program(t, interp, new_argv, envp, depth + 1)
    if head.startswith(b"\x7fELF") and len(head) >= 20:
        bits = 64 if head[4] == 2 else 32
        arch = arch_for_elf(struct.unpack_from("<H", head, 18)[0], bits)
        if arch is not None and (arch is t.arch or not arch.runs_on_host):
            err = _check_guest_elf(t, path)
            if err:
                return err
            return _exec_host(t, sys.executable, _linuxuser_argv(t, path, argv), envp)
    return _exec_host(t, path, argv, envp)


def _check_guest_elf(t, path: bytes) -> int:
    """What the kernel would refuse before replacing the caller: a broken ELF
    (ENOEXEC) or a missing dynamic loader (ENOENT).  0 if it can be run."""
    try:
        elf = read_elf(os.fsdecode(path))
    except ExecError:
        return -errno.ENOEXEC
    root = t.process.options.sysroot or default_sysroot(elf.arch, elf.interp)
    if elf.interp and interpreter_path(root, elf.interp) is None:
        return -errno.ENOENT
    return 0


def _linuxuser_argv(t, path: bytes, argv: list[bytes]) -> list[bytes]:
    """The command line of linuxuser running `path`, with the options that carry over."""
    opts = t.process.options
    cmd = [os.fsencode(sys.executable), b"-E", os.fsencode(_MAIN)]
    if opts.sysroot:
        cmd += [b"-L", os.fsencode(opts.sysroot)]
    cmd += [b"-s", str(opts.stack_size).encode()]
    if opts.strace:
        cmd.append(b"-strace")
    if opts.log_file:
        cmd += [b"--log-file-append", os.fsencode(opts.log_file)]
    return cmd + [b"-0", argv[0] if argv else b"", b"--", path] + argv[1:]


def _exec_host(t, path, argv: list[bytes], envp: list[bytes]) -> int:
    """execve(2) on the host, with the guest's signal mask; -errno if it fails."""
    if not argv:
        argv = [b""]              # os.execve insists on one argument, as Linux >= 5.18
    env = dict(e.split(b"=", 1) for e in envp if b"=" in e)
    old_mask = signal.pthread_sigmask(signal.SIG_SETMASK, _host_sigset(t.sigmask))
    try:
        os.execve(path, argv, env)
    except OSError as err:
        return -(err.errno or errno.ENOEXEC)
    except ValueError:            # an embedded NUL cannot happen; a bad env entry can
        return -errno.EINVAL
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
    return -errno.ENOEXEC          # not reached


def _host_sigset(mask: int) -> set[int]:
    return {sig for sig in range(1, 65) if mask >> (sig - 1) & 1
            and sig not in (signal.SIGKILL, signal.SIGSTOP) and sig < signal.NSIG}


@syscall("execve")
def sys_execve(t, path, argv, envp):
    filename = t.mem.read_cstring(path, PATH_MAX)
    return exec_program(t, filename, read_string_array(t, argv), read_string_array(t, envp))


@syscall("execveat")
def sys_execveat(t, dirfd, path, argv, envp, flags):
    filename = t.mem.read_cstring(path, PATH_MAX)
    if not filename and s32(flags) & AT_EMPTY_PATH:
        filename = os.fsencode(f"/proc/self/fd/{s32(dirfd)}")
    elif not filename.startswith(b"/") and s32(dirfd) != AT_FDCWD:
        filename = os.path.join(os.readlink(f"/proc/self/fd/{s32(dirfd)}").encode(), filename)
    return exec_program(t, filename, read_string_array(t, argv), read_string_array(t, envp))


# -- wait ------------------------------------------------------------------------

_HOST_RUSAGE_SIZE = 144


@syscall("wait4")
def sys_wait4(t, pid, status, options, rusage):
    if status:
        t.mem.check(status, 4, PROT_WRITE)
    if rusage:
        t.mem.check(rusage, 1, PROT_WRITE)
    host_status = ctypes.c_int(0)
    host_ru = ctypes.create_string_buffer(_HOST_RUSAGE_SIZE)
    child = host.call("wait4", s32(pid), ctypes.byref(host_status), s32(options),
                      host_ru if rusage else None)
    if status and child > 0:
        t.mem.write(status, struct.pack("<i", host_status.value))
    if rusage:
        t.mem.write(rusage, pack_rusage(t.arch, host_ru.raw))
    return child


@syscall("waitpid")
def sys_waitpid(t, pid, status, options):
    return sys_wait4(t, pid, status, options, 0)


@syscall("waitid")
def sys_waitid(t, idtype, id_, infop, options, rusage):
    if infop:
        t.mem.check(infop, SIGINFO_SIZE, PROT_WRITE)
    host_info = ctypes.create_string_buffer(SIGINFO_SIZE)
    host_ru = ctypes.create_string_buffer(_HOST_RUSAGE_SIZE)
    host.raw_syscall("waitid", s32(idtype), s32(id_), host_info, s32(options),
                     host_ru if rusage else None)
    if infop:
        t.mem.write(infop, _guest_sigchld_info(t, host_info.raw))
    if rusage:
        t.mem.write(rusage, pack_rusage(t.arch, host_ru.raw))
    return 0


def _guest_sigchld_info(t, raw: bytes) -> bytes:
    """A host (x86-64) SIGCHLD siginfo_t as the guest's: the union starts after
    the three ints, aligned to the guest's long, and ends with two clock_t."""
    return sigchld_info_layout(t.arch).pack(_HOST_SIGCHLD_INFO.unpack(raw)).ljust(
        SIGINFO_SIZE, b"\0")


_SIGCHLD_FIELDS = "signo errno code pid uid status utime stime"
_HOST_SIGCHLD_INFO = Layout("<iii4xiIi4xqq", _SIGCHLD_FIELDS)


@functools.lru_cache(maxsize=None)
def sigchld_info_layout(arch) -> Layout:
    pad = "x" * (arch.word_size - 4)
    return Layout(f"<iii{pad}iIi{pad}{arch.long_fmt}{arch.long_fmt}", _SIGCHLD_FIELDS)
