"""Turning raw argument registers into C values of the guest's ABI."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from linuxuser.translate.arch import Arch

AT_FDCWD = -100


def s32(value: int) -> int:
    """The register's low 32 bits as a C int (fds, flags, pids...)."""
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


def slong(arch: Arch, value: int) -> int:
    """A C `long` of the guest (sign-extended word)."""
    bits = arch.bits
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def s64(value: int) -> int:
    value &= (1 << 64) - 1
    return value - (1 << 64) if value >> 63 else value


def arg64(arch: Arch, args: tuple[int, ...], index: int) -> int:
    """A 64-bit argument that starts at `index` (a register pair on 32-bit ABIs).

    On ARM EABI the pair starts at an even register, so the caller passes the
    index the argument would have without alignment and this skips the pad.
    """
    if arch.bits == 64:
        return s64(args[index])
    if arch.regpair_aligned and index % 2:
        index += 1
    return s64(args[index] | (args[index + 1] << 32))


def dir_fd(dirfd: int, path: bytes) -> int | None:
    """The `dir_fd` for Python's os calls: None for AT_FDCWD and absolute paths."""
    fd = s32(dirfd)
    return None if fd == AT_FDCWD or path.startswith(b"/") else fd
