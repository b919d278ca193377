"""Dynamically linked programs built by the cross compilers, run with the
toolchains' libraries as the sysroot (-L /usr/<triplet>), against qemu-user.

tests/guest/dynamic.c (PIE and not) checks what the guest's dynamic loader is
given (AT_BASE, AT_ENTRY, AT_PHDR), /proc/self/exe and the libraries that
/proc/self/maps names, and dlopen()s libplugin.so (tests/guest/plugin.c, also
built at test time): constructor, dlsym, thread-local storage in two threads,
dladdr, dlclose and its destructor, and the error for a missing library.
Then the sysroot itself: QEMU_LD_PREFIX, the search when none is given, and
absolute paths the guest opens (the sysroot's file first, else the host's).
"""
from __future__ import annotations

import pytest

import guestbuild
from guestbuild import Program
from test_dynamic_basics import SYSROOTS
from test_static_programs import assert_same

from linuxuser.loader import sysroot as sysroot_mod
from linuxuser.translate.arch import all_arches

ARCHES = list(guestbuild.ARCHES)
DYNAMIC = ("dynamic", "dynamic-nopie")


def run_dynamic(runner, exe, plugin, *args, sysroot=None, **kw):
    """`runner` (the run_linuxuser fixture, or run_qemu bound to an arch) on exe."""
    return runner([*(["-L", sysroot] if sysroot else []), exe, plugin, *args], **kw)


def qemu_maps_fixed(arch: str, out: bytes) -> bytes:
    """qemu-user shows x86 guests' code as r--p in /proc/self/maps (it leaves
    PAGE_EXEC out of the flags it reports for them; a native run shows r-xp,
    see test_dynamic_matches_native).  Put the x back to compare the rest."""
    if guestbuild.ARCHES[arch].native:
        return out.replace(b" perms r--p\n", b" perms r-xp\n")
    return out


@pytest.mark.parametrize("program", DYNAMIC)
@pytest.mark.parametrize("arch", ARCHES)
def test_dynamic_matches_qemu(arch, program, guest_program, run_linuxuser, run_qemu):
    exe, plugin = guest_program(program, arch), guest_program("libplugin.so", arch)
    mine = run_linuxuser(["-L", SYSROOTS[arch], exe, plugin])
    ref = run_qemu(arch, ["-L", SYSROOTS[arch], exe, plugin])
    ref = ref._replace(stdout=qemu_maps_fixed(arch, ref.stdout))
    assert ref.returncode == 0 and b"plugin: destructor ran" in ref.stdout, ref
    assert f"PIE={int(program == 'dynamic')} ".encode() in ref.stdout, ref
    assert_same(mine, ref)


@pytest.mark.parametrize("program", DYNAMIC)
def test_dynamic_matches_native(program, guest_program, run_linuxuser, run_native):
    """x86-64 on this host: the real kernel and the host's own loader and libraries."""
    exe, plugin = guest_program(program, "x86_64"), guest_program("libplugin.so", "x86_64")
    mine = run_linuxuser([exe, plugin])
    ref = run_native([exe, plugin], arch="x86_64")
    assert ref.returncode == 0 and b"AT_ENTRY: in the program=1" in ref.stdout, ref
    assert_same(mine, ref, labels=("linuxuser", "native"))


@pytest.mark.parametrize("arch", ["arm", "aarch64", "i386"])
def test_default_sysroot(arch, guest_program, run_linuxuser, run_qemu):
    """No -L, no QEMU_LD_PREFIX: the cross toolchain's /usr/<triplet> has the
    loader (the host has none for these arches), and is used as the sysroot."""
    exe, plugin = guest_program("dynamic", arch), guest_program("libplugin.so", arch)
    mine = run_linuxuser([exe, plugin])
    ref = run_qemu(arch, ["-L", SYSROOTS[arch], exe, plugin])
    assert_same(mine, ref._replace(stdout=qemu_maps_fixed(arch, ref.stdout)))


def test_qemu_ld_prefix(guest_program, run_linuxuser, run_qemu, tmp_path):
    """QEMU_LD_PREFIX gives the sysroot; -L wins over it, as in qemu-user."""
    exe, plugin = guest_program("dynamic", "aarch64"), guest_program("libplugin.so", "aarch64")
    ref = run_qemu("aarch64", ["-L", SYSROOTS["aarch64"], exe, plugin])
    assert ref.returncode == 0, ref
    assert_same(run_linuxuser([exe, plugin], env={"QEMU_LD_PREFIX": SYSROOTS["aarch64"]}), ref)
    empty = tmp_path / "empty"
    empty.mkdir()
    r = run_linuxuser([exe, plugin], env={"QEMU_LD_PREFIX": empty})
    assert r.returncode == 127 and f"not in sysroot {empty}".encode() in r.stderr, r
    assert_same(run_linuxuser(["-L", SYSROOTS["aarch64"], exe, plugin],
                              env={"QEMU_LD_PREFIX": empty}), ref)


def test_missing_loader_without_sysroot(run_linuxuser):
    """A loader found nowhere: one line that says where we looked, exit 127."""
    exe = guestbuild.build_program(Program(
        "hello-bad-interp", "hello.c", dynamic=True,
        flags=("-Wl,--dynamic-linker=/lib/ld-linuxuser-missing.so.1",)), "arm")
    r = run_linuxuser([exe])
    lines = r.stderr.decode().splitlines()
    assert r.returncode == 127 and r.stdout == b"" and len(lines) == 1, r
    assert lines[0] == (f"linuxuser: {exe}: cannot find its dynamic loader "
                        "/lib/ld-linuxuser-missing.so.1 (not on the host, nor in "
                        "/etc/qemu-binfmt/arm or /usr/arm-linux-gnueabihf; "
                        "give the guest's sysroot with -L PATH)"), r


def test_default_sysroot_order(tmp_path, monkeypatch):
    """qemu's /etc/qemu-binfmt/ARCH first (even for a static program), then the
    host if it has the loader, then /usr/<triplet>."""
    arm = all_arches()["arm"]
    binfmt, cross = tmp_path / "qemu-binfmt-arm", tmp_path / "cross"
    monkeypatch.setattr(sysroot_mod, "qemu_binfmt_prefix", lambda arch: str(binfmt))
    monkeypatch.setattr(sysroot_mod, "cross_sysroot", lambda arch: str(cross))
    interp = "/lib/ld-linux-armhf.so.3"
    assert sysroot_mod.default_sysroot(arm, None) is None
    assert sysroot_mod.default_sysroot(arm, interp) is None      # not in cross either
    (cross / "lib").mkdir(parents=True)
    (cross / "lib" / "ld-linux-armhf.so.3").write_bytes(b"")
    assert sysroot_mod.default_sysroot(arm, interp) == str(cross)
    host_has_it = "/bin/sh"                                      # a path the host has
    assert sysroot_mod.default_sysroot(arm, host_has_it) is None
    binfmt.mkdir()
    assert sysroot_mod.default_sysroot(arm, interp) == str(binfmt)
    assert sysroot_mod.default_sysroot(arm, None) == str(binfmt)


@pytest.mark.parametrize("arch", ["arm", "aarch64"])
def test_sysroot_files_first(arch, run_linuxuser, run_qemu, tmp_path):
    """An absolute path the guest uses: the sysroot's file if there is one, else
    the host's (Debian's static busybox, in a sysroot of our own).

    qemu-user looks in the sysroot only for some syscalls (open, not statx or
    chdir): it is the reference for the files opened, the sysroot's contents
    for the rest."""
    import test_busybox
    busybox = test_busybox.busybox_path(arch)
    assert busybox.exists(), f"{busybox} missing: run 'make setup'"
    root = tmp_path / "sysroot"
    (root / "etc" / "linuxuser-dir").mkdir(parents=True)
    (root / "etc" / "os-release").write_text("NAME=the sysroot's own\n")
    (root / "etc" / "linuxuser-dir" / "inside").write_text("")
    # Shell builtins only: qemu-user cannot run busybox's applets as child processes.
    opens = ('read a < /etc/os-release; echo "$a"; read b < /etc/passwd; echo "${b%%:*}";'
             ' read c < /no/such/file; echo $?')
    others = ('; [ -d /etc/linuxuser-dir ] && echo dir; [ -e /no/such ] || echo no such;'
              ' cd /etc/linuxuser-dir && echo * && pwd')
    ref = run_qemu(arch, ["-L", root, busybox, "sh", "-c", opens])
    assert ref.stdout == b"NAME=the sysroot's own\nroot\n1\n", ref
    assert_same(run_linuxuser(["-L", root, busybox, "sh", "-c", opens]), ref)
    mine = run_linuxuser(["-L", root, busybox, "sh", "-c", opens + others])
    assert mine == (0, ref.stdout + b"dir\nno such\ninside\n/etc/linuxuser-dir\n", ref.stderr), mine


def test_exec_of_dynamic_program(guest_program, run_linuxuser, run_qemu):
    """A static guest (no sysroot of its own) execs a dynamic one: the exec'd
    program finds its loader as a program started directly does."""
    import test_busybox
    busybox = test_busybox.busybox_path("arm")
    exe, plugin = guest_program("dynamic", "arm"), guest_program("libplugin.so", "arm")
    mine = run_linuxuser([busybox, "sh", "-c", f"exec {exe} {plugin}"])
    ref = run_qemu("arm", ["-L", SYSROOTS["arm"], exe, plugin])
    assert_same(mine, ref)
