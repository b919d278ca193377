"""The guest's sysroot: where its dynamic loader, libraries and other files are.

As with qemu-user's -L, an absolute path the guest uses is looked up under the
sysroot first and, when nothing is there, on the host.  With no -L and no
QEMU_LD_PREFIX, the usual places are searched (see `default_sysroot`).
"""
from __future__ import annotations

import os

from linuxuser.translate.arch import Arch


def host_path(sysroot: str | None, path: bytes) -> bytes:
    """Where guest path `path` is on the host: under `sysroot` if it is there."""
    if sysroot and path.startswith(b"/"):
        candidate = os.fsencode(sysroot) + path
        if os.path.lexists(candidate):
            return candidate
    return path


def qemu_binfmt_prefix(arch: Arch) -> str:
    """qemu-user's own default sysroot (Debian's qemu is built with this prefix)."""
    return f"/etc/qemu-binfmt/{arch.qemu_name}"


def cross_sysroot(arch: Arch) -> str:
    """Where a Debian cross toolchain keeps the guest's libraries (libc6-<arch>-cross)."""
    return f"/usr/{arch.gnu_triplet}"


def default_sysroot(arch: Arch, interp: str | None) -> str | None:
    """The sysroot when none is given, or None for the host's own files.

    qemu-user's prefix /etc/qemu-binfmt/ARCH if it exists (qemu uses it then);
    else the host, if it has the program's dynamic loader (a multiarch install,
    or a program of the host's arch); else the cross toolchain's /usr/TRIPLET if
    it has the loader.  A static program needs no sysroot.
    """
    binfmt = qemu_binfmt_prefix(arch)
    if os.path.isdir(binfmt):
        return binfmt
    if interp is None or os.path.exists(interp):
        return None
    cross = cross_sysroot(arch)
    if os.path.exists(cross + interp):
        return cross
    return None


def interpreter_path(sysroot: str | None, interp: str) -> str | None:
    """The host path of dynamic loader `interp`, or None if there is none."""
    candidate = os.fsdecode(host_path(sysroot, os.fsencode(interp)))
    return candidate if os.path.isfile(candidate) else None


def missing_interpreter_hint(arch: Arch, sysroot: str | None) -> str:
    """Where we looked, for the one-line error of a missing dynamic loader."""
    if sysroot:
        return f"not in sysroot {sysroot}, nor on the host"
    return (f"not on the host, nor in {qemu_binfmt_prefix(arch)} or {cross_sysroot(arch)};"
            " give the guest's sysroot with -L PATH")
