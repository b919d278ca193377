"""Checks for the guest syscall number tables in linuxuser.syscalls.numbers."""

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from linuxuser.syscalls.numbers import ARCHES, syscall_names

REPO_ROOT = Path(__file__).resolve().parent.parent

ARM_NR_BASE = 0x0F0000

# Numbers below each table's maximum that the kernel leaves unassigned.
EXPECTED_GAPS = {
    "x86_64": set(range(337, 424)),
    "i386": {222, 223, 251, 285, 415} | set(range(387, 393)),
    # 244-259: arch-specific block (unused on arm64); 295-423: kept free so
    # the generic numbers line up with the 32-bit time64 calls.
    "aarch64": set(range(244, 260)) | set(range(295, 424)),
    "arm": {
        # '# N was sys_...' / reserved lines in arch/arm/tools/syscall.tbl
        7, 17, 18, 28, 31, 32, 35, 44, 48, 53, 56, 58, 59, 68, 69, 84, 98,
        101, 109, 110, 112, 123, 127, 130, 137, 166, 167, 188, 189, 222, 223,
        254, 255, 402, 415, 447,
        # OABI-only entries, not reachable from an EABI binary
        13, 22, 25, 27, 30, 76, 82, 89, 90, 102, 113, 117,
    },
}

SPOT_CHECKS = {
    "arm": {
        0: "restart_syscall", 1: "exit", 3: "read", 4: "write", 11: "execve",
        119: "sigreturn", 120: "clone", 140: "_llseek", 142: "_newselect",
        173: "rt_sigreturn", 192: "mmap2", 195: "stat64", 197: "fstat64",
        248: "exit_group", 281: "socket", 322: "openat", 397: "statx",
        403: "clock_gettime64", 422: "futex_time64", 435: "clone3",
        462: "mseal", 463: "setxattrat",
        0x0F0001: "breakpoint", 0x0F0002: "cacheflush", 0x0F0003: "usr26",
        0x0F0004: "usr32", 0x0F0005: "set_tls", 0x0F0006: "get_tls",
    },
    "aarch64": {
        0: "io_setup", 25: "fcntl", 56: "openat", 57: "close", 62: "lseek",
        63: "read", 64: "write", 71: "sendfile", 79: "newfstatat", 80: "fstat",
        93: "exit", 94: "exit_group", 139: "rt_sigreturn", 214: "brk",
        220: "clone", 221: "execve", 222: "mmap", 223: "fadvise64",
        226: "mprotect", 291: "statx", 435: "clone3", 462: "mseal",
    },
    "i386": {
        0: "restart_syscall", 1: "exit", 4: "write", 11: "execve",
        102: "socketcall", 117: "ipc", 119: "sigreturn", 120: "clone",
        140: "_llseek", 142: "_newselect", 173: "rt_sigreturn", 192: "mmap2",
        197: "fstat64", 243: "set_thread_area", 244: "get_thread_area",
        252: "exit_group", 300: "fstatat64", 403: "clock_gettime64",
        422: "futex_time64", 435: "clone3", 462: "mseal",
    },
    "x86_64": {
        0: "read", 1: "write", 5: "fstat", 9: "mmap", 15: "rt_sigreturn",
        56: "clone", 59: "execve", 60: "exit", 158: "arch_prctl",
        218: "set_tid_address", 231: "exit_group", 262: "newfstatat",
        334: "rseq", 435: "clone3", 462: "mseal",
    },
}

# python-ptrace names that differ from ours on purpose.  For i386,
# python-ptrace lists kernel entry points (sys_lchown16 -> "lchown16"), not
# the user-visible __NR_ names that strace prints and that we use.
PTRACE_RENAMES = {
    "x86_64": {
        # 283 was briefly "timerfd" (2.6.22); it became timerfd_create in 2.6.25.
        283: ("timerfd", "timerfd_create"),
    },
    "aarch64": {},
    "i386": {
        # 16-bit uid/gid calls: entry point sys_*16, __NR_ name without "16".
        16: ("lchown16", "lchown"),
        23: ("setuid16", "setuid"),
        24: ("getuid16", "getuid"),
        46: ("setgid16", "setgid"),
        47: ("getgid16", "getgid"),
        49: ("geteuid16", "geteuid"),
        50: ("getegid16", "getegid"),
        70: ("setreuid16", "setreuid"),
        71: ("setregid16", "setregid"),
        80: ("getgroups16", "getgroups"),
        81: ("setgroups16", "setgroups"),
        95: ("fchown16", "fchown"),
        138: ("setfsuid16", "setfsuid"),
        139: ("setfsgid16", "setfsgid"),
        164: ("setresuid16", "setresuid"),
        165: ("getresuid16", "getresuid"),
        170: ("setresgid16", "setresgid"),
        171: ("getresgid16", "getresgid"),
        182: ("chown16", "chown"),
        # 32-bit uid/gid calls: entry point sys_*, __NR_ name with "32".
        198: ("lchown", "lchown32"),
        199: ("getuid", "getuid32"),
        200: ("getgid", "getgid32"),
        201: ("geteuid", "geteuid32"),
        202: ("getegid", "getegid32"),
        203: ("setreuid", "setreuid32"),
        204: ("setregid", "setregid32"),
        205: ("getgroups", "getgroups32"),
        206: ("setgroups", "setgroups32"),
        207: ("fchown", "fchown32"),
        208: ("setresuid", "setresuid32"),
        209: ("getresuid", "getresuid32"),
        210: ("setresgid", "setresgid32"),
        211: ("getresgid", "getresgid32"),
        212: ("chown", "chown32"),
        213: ("setuid", "setuid32"),
        214: ("setgid", "setgid32"),
        215: ("setfsuid", "setfsuid32"),
        216: ("setfsgid", "setfsgid32"),
        # Old/new stat family: sys_stat is __NR_oldstat, sys_newstat __NR_stat.
        18: ("stat", "oldstat"),
        28: ("fstat", "oldfstat"),
        84: ("lstat", "oldlstat"),
        106: ("newstat", "stat"),
        107: ("newlstat", "lstat"),
        108: ("newfstat", "fstat"),
        # Other entry points whose __NR_ name differs.
        22: ("oldumount", "umount"),
        52: ("umount", "umount2"),
        76: ("old_getrlimit", "getrlimit"),
        191: ("getrlimit", "ugetrlimit"),
        82: ("old_select", "select"),
        142: ("select", "_newselect"),
        89: ("old_readdir", "readdir"),
        90: ("old_mmap", "mmap"),
        140: ("llseek", "_llseek"),
        149: ("sysctl", "_sysctl"),
    },
}

NAME_RE = re.compile(r"^[a-z_][a-z0-9_]*$")


@pytest.mark.parametrize("arch", ARCHES)
def test_table_shape(arch):
    names = syscall_names(arch)
    assert isinstance(names, dict)
    assert len(names) > 300
    for number, name in names.items():
        assert isinstance(number, int) and number >= 0
        assert isinstance(name, str) and NAME_RE.match(name), (number, name)
    assert list(names) == sorted(names), "entries not sorted by number"


def test_unknown_arch_raises_keyerror():
    with pytest.raises(KeyError):
        syscall_names("mips")
    with pytest.raises(KeyError):
        syscall_names("")


def test_tables_are_loaded_lazily():
    code = (
        "import sys\n"
        "import linuxuser.syscalls.numbers as n\n"
        "mods = [m for m in sys.modules if m.startswith('linuxuser.syscalls.numbers.')]\n"
        "assert not mods, mods\n"
        "n.syscall_names('arm')\n"
        "assert 'linuxuser.syscalls.numbers.arm' in sys.modules\n"
        "assert 'linuxuser.syscalls.numbers.x86_64' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, check=True)


@pytest.mark.parametrize("arch", ARCHES)
def test_spot_checks(arch):
    names = syscall_names(arch)
    for number, name in SPOT_CHECKS[arch].items():
        assert names.get(number) == name, (arch, number, names.get(number), name)


@pytest.mark.parametrize("arch", ARCHES)
def test_reaches_newest_syscalls(arch):
    names = syscall_names(arch)
    assert max(n for n in names if n < ARM_NR_BASE) >= 462
    assert names[462] == "mseal"
    assert [names[n] for n in range(463, 467)] == [
        "setxattrat", "getxattrat", "listxattrat", "removexattrat"]


@pytest.mark.parametrize("arch", ARCHES)
def test_no_duplicate_names(arch):
    # None of the four kernel tables gives one name to two numbers.
    counts = Counter(syscall_names(arch).values())
    assert [name for name, count in counts.items() if count > 1] == []


@pytest.mark.parametrize("arch", ARCHES)
def test_gaps_are_only_the_kernel_ones(arch):
    names = syscall_names(arch)
    top = max(n for n in names if n < ARM_NR_BASE)
    missing = set(range(top + 1)) - set(names)
    assert missing == EXPECTED_GAPS[arch]


def test_arm_private_syscalls_are_the_only_high_numbers():
    names = syscall_names("arm")
    high = {n: v for n, v in names.items() if n >= ARM_NR_BASE}
    assert high == {
        0x0F0001: "breakpoint", 0x0F0002: "cacheflush", 0x0F0003: "usr26",
        0x0F0004: "usr32", 0x0F0005: "set_tls", 0x0F0006: "get_tls",
    }
    for arch in ("aarch64", "x86_64", "i386"):
        assert max(syscall_names(arch)) < 512


def test_arm_has_no_oabi_only_calls():
    names = syscall_names("arm")
    for name in ("time", "socketcall", "ipc", "select", "readdir", "syscall"):
        assert name not in names.values(), name


def test_unified_numbers_agree_across_arches():
    # Since 4.19 (424 pidfd_send_signal) every new call gets one number on
    # all architectures.
    tables = {arch: syscall_names(arch) for arch in ARCHES}
    for number in range(424, 463):
        seen = {t[number] for t in tables.values() if number in t}
        assert len(seen) == 1, (number, seen)


@pytest.mark.parametrize("arch", ["x86_64", "i386", "aarch64"])
def test_agrees_with_python_ptrace(arch):
    ptrace_table = pytest.importorskip(f"ptrace.syscall.linux.{arch}")
    ours = syscall_names(arch)
    renames = PTRACE_RENAMES[arch]
    checked = 0
    for number, ptrace_name in sorted(ptrace_table.SYSCALL_NAMES.items()):
        if arch == "x86_64" and number >= 512:
            continue  # x32 entries, not part of the x86-64 ABI table
        if number in renames:
            expected_ptrace, expected_ours = renames[number]
            assert ptrace_name == expected_ptrace, (number, ptrace_name)
            assert ours.get(number) == expected_ours, (number, ours.get(number))
        else:
            assert ours.get(number) == ptrace_name, (number, ptrace_name, ours.get(number))
        checked += 1
    assert checked > 250
