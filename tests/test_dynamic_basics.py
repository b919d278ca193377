"""Dynamically linked programs: the dynamic loader from the sysroot (-L), and the
one-line errors when it cannot be found.  (Issue #7 covers real distribution
programs and dlopen; this is the loader path the static tests do not reach.)
"""
from __future__ import annotations

import subprocess

import pytest

import guestbuild

# Where each cross toolchain's libraries live: the sysroot given with -L.
SYSROOTS = {"arm": "/usr/arm-linux-gnueabihf", "aarch64": "/usr/aarch64-linux-gnu",
            "i386": "/usr/i686-linux-gnu", "x86_64": "/"}


@pytest.fixture(scope="module")
def dynamic_hello(tmp_path_factory):
    out = tmp_path_factory.mktemp("dyn")

    def build(arch: str):
        exe = out / f"hello-dyn-{arch}"
        if not exe.exists():
            cc = guestbuild.ARCHES[arch].cc
            subprocess.run([cc, "-O2", "-o", str(exe), str(guestbuild.SRC_DIR / "hello.c")],
                           check=True)
        return exe
    return build


@pytest.mark.parametrize("arch", list(guestbuild.ARCHES))
def test_dynamic_hello_matches_qemu(arch, dynamic_hello, run_linuxuser, run_qemu):
    exe = dynamic_hello(arch)
    mine = run_linuxuser(["-L", SYSROOTS[arch], exe])
    ref = run_qemu(arch, ["-L", SYSROOTS[arch], exe])
    assert ref.returncode == 0 and ref.stdout == b"Hello, world!\n", ref
    assert (mine.returncode, mine.stdout, mine.stderr) == (ref.returncode, ref.stdout, ref.stderr)


@pytest.mark.parametrize("arch", ["arm", "aarch64", "i386"])
def test_missing_dynamic_loader(arch, dynamic_hello, run_linuxuser, tmp_path):
    """A sysroot without the guest's ld.so: one line naming it, exit 127."""
    exe = dynamic_hello(arch)
    empty = tmp_path / "empty-sysroot"
    empty.mkdir()
    r = run_linuxuser(["-L", empty, exe])
    lines = r.stderr.decode().splitlines()
    assert r.returncode == 127 and r.stdout == b"", r
    assert len(lines) == 1 and lines[0].startswith("linuxuser: ") and "dynamic loader /lib" in lines[0], r
    assert "Traceback" not in r.stderr.decode()


def test_missing_sysroot(dynamic_hello, run_linuxuser, tmp_path):
    """-L naming no directory is refused in one line (qemu-user ignores it)."""
    r = run_linuxuser(["-L", tmp_path / "no-such-dir", dynamic_hello("arm")])
    lines = r.stderr.decode().splitlines()
    assert r.returncode == 2 and len(lines) == 1 and "not a directory" in lines[0], r
