"""Bad input: linuxuser must refuse cleanly.

Contract: exactly one line on stderr starting with "linuxuser: ", no
Python traceback, nothing on stdout, and exit status 127 for a missing
program, 126 for everything else (like a shell: found but cannot execute).

The bad files are derived in temporary directories from real guest
programs built by tests/guestbuild.py.
"""

from __future__ import annotations

import ctypes
import os
import pwd
import re
import shutil
import stat
import struct
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import pytest

import guestbuild

ARCHES = list(guestbuild.ARCHES)

EM_SPARC = 0x02
EM_RISCV = 0xF3


def assert_refused(r, code: int):
    out, err = r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")
    detail = f"returncode={r.returncode}\nstdout={out!r}\nstderr={err!r}"
    assert "Traceback" not in err and "Traceback" not in out, "Python traceback leaked\n" + detail
    assert r.returncode == code, f"expected exit status {code}\n" + detail
    lines = err.splitlines()
    assert len(lines) == 1, "expected exactly one line on stderr\n" + detail
    assert lines[0].startswith("linuxuser: "), "stderr line must start with 'linuxuser: '\n" + detail
    assert out == "", "expected nothing on stdout\n" + detail


# ------------------------------------------------------------- ELF editing


class Elf:
    """Minimal little-endian ELF header access for patching test files."""

    def __init__(self, data: bytes):
        self.data = bytearray(data)
        assert self.data[:4] == b"\x7fELF"
        self.is64 = self.data[4] == 2
        assert self.data[5] == 1, "expected a little-endian ELF"

    # (offset, struct format) of the ELF header fields we touch
    def _field(self, name):
        if self.is64:
            return {"e_type": (16, "<H"), "e_machine": (18, "<H"), "e_phoff": (32, "<Q"),
                    "e_phentsize": (54, "<H"), "e_phnum": (56, "<H")}[name]
        return {"e_type": (16, "<H"), "e_machine": (18, "<H"), "e_phoff": (28, "<I"),
                "e_phentsize": (42, "<H"), "e_phnum": (44, "<H")}[name]

    def get(self, name):
        off, fmt = self._field(name)
        return struct.unpack_from(fmt, self.data, off)[0]

    def set(self, name, value):
        off, fmt = self._field(name)
        struct.pack_into(fmt, self.data, off, value)

    def phdrs(self):
        """Yield (offset_in_file, p_type) of every program header."""
        phoff, n, size = self.get("e_phoff"), self.get("e_phnum"), self.get("e_phentsize")
        for i in range(n):
            off = phoff + i * size
            yield off, struct.unpack_from("<I", self.data, off)[0]

    def set_load_past_eof(self):
        """Make every PT_LOAD's file range lie far beyond the end of file."""
        n = 0
        big = 0x7FFF0000
        for off, p_type in self.phdrs():
            if p_type != 1:  # PT_LOAD
                continue
            n += 1
            if self.is64:  # p_offset @8, p_filesz @32 (Q)
                struct.pack_into("<Q", self.data, off + 8, big)
                struct.pack_into("<Q", self.data, off + 32, big)
            else:  # p_offset @4, p_filesz @16 (I)
                struct.pack_into("<I", self.data, off + 4, big)
                struct.pack_into("<I", self.data, off + 16, big)
        assert n > 0

    def fill_phdrs(self, byte: int):
        phoff, n, size = self.get("e_phoff"), self.get("e_phnum"), self.get("e_phentsize")
        self.data[phoff:phoff + n * size] = bytes([byte]) * (n * size)


def _write(path: Path, data: bytes, mode=0o755) -> Path:
    path.write_bytes(bytes(data))
    path.chmod(mode)
    return path


def _patched(src: Path, dst: Path, fn) -> Path:
    elf = Elf(src.read_bytes())
    fn(elf)
    return _write(dst, elf.data)


def _set_byte(i, v):
    def f(e):
        e.data[i] = v
    return f


def _set_field(name, v):
    def f(e):
        e.set(name, v(e) if callable(v) else v)
    return f


# name -> (builder(real_program, tmp_path) -> bad path); all expect 126
ELF_CASES = {
    "truncated-100-bytes": lambda p, d: _write(d / "trunc100", p.read_bytes()[:100]),
    "truncated-in-header": lambda p, d: _write(d / "trunc30", p.read_bytes()[:30]),
    "only-magic": lambda p, d: _write(d / "magic", b"\x7fELF"),
    "phoff-past-end": lambda p, d: _patched(
        p, d / "phoff", _set_field("e_phoff", lambda e: len(e.data) + 4096)),
    "phdrs-all-0xff": lambda p, d: _patched(p, d / "ff", lambda e: e.fill_phdrs(0xFF)),
    "load-segments-past-eof": lambda p, d: _patched(p, d / "loadeof", lambda e: e.set_load_past_eof()),
    "bad-phentsize": lambda p, d: _patched(p, d / "phentsize", _set_field("e_phentsize", 12)),
    "huge-phnum": lambda p, d: _patched(p, d / "phnum", _set_field("e_phnum", 0xFFFF)),
    "big-endian": lambda p, d: _patched(p, d / "bigendian", _set_byte(5, 2)),  # EI_DATA = ELFDATA2MSB
    "bad-class": lambda p, d: _patched(p, d / "badclass", _set_byte(4, 7)),  # EI_CLASS invalid
    "machine-sparc": lambda p, d: _patched(p, d / "sparc", _set_field("e_machine", EM_SPARC)),
    "machine-riscv": lambda p, d: _patched(p, d / "riscv", _set_field("e_machine", EM_RISCV)),
    "type-relocatable": lambda p, d: _patched(p, d / "rel", _set_field("e_type", 1)),  # ET_REL
    "type-core": lambda p, d: _patched(p, d / "core", _set_field("e_type", 4)),  # ET_CORE
}


@pytest.mark.parametrize("case", list(ELF_CASES))
@pytest.mark.parametrize("arch", ARCHES)
def test_bad_elf(arch, case, guest_program, run_linuxuser, tmp_path):
    bad = ELF_CASES[case](guest_program("hello", arch), tmp_path)
    r = run_linuxuser([bad], cwd=tmp_path)
    assert_refused(r, 126)


def test_riscv64_header(guest_program, run_linuxuser, tmp_path):
    """A riscv64 ELF header (64-bit class, EM_RISCV) is an unsupported machine."""
    bad = _patched(guest_program("hello", "x86_64"), tmp_path / "riscv64",
                   _set_field("e_machine", EM_RISCV))
    e = Elf(bad.read_bytes())
    assert e.is64 and e.get("e_machine") == EM_RISCV
    assert_refused(run_linuxuser([bad], cwd=tmp_path), 126)


def test_missing_program(run_linuxuser, tmp_path):
    assert_refused(run_linuxuser([tmp_path / "no-such-program"], cwd=tmp_path), 127)


def test_missing_program_relative(run_linuxuser, tmp_path):
    assert_refused(run_linuxuser(["./no-such-program", "arg"], cwd=tmp_path), 127)


def test_directory(run_linuxuser, tmp_path):
    d = tmp_path / "a-directory"
    d.mkdir()
    assert_refused(run_linuxuser([d], cwd=tmp_path), 126)


NON_ELF = {
    "shell-script": b"#!/bin/sh\necho this must not run\n",
    "text-file": b"just some text\nnot a program\n",
    "empty-file": b"",
    "one-byte": b"\x7f",
    "python-script": b"#!/usr/bin/env python3\nprint('this must not run')\n",
}


@pytest.mark.parametrize("name", list(NON_ELF))
def test_not_elf(name, run_linuxuser, tmp_path):
    p = _write(tmp_path / name, NON_ELF[name])
    r = run_linuxuser([p], cwd=tmp_path)
    assert b"must not run" not in r.stdout
    assert_refused(r, 126)


# ------------------------------------------------------------ unreadable

PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE = 1
CAP_DAC_READ_SEARCH = 2
_libc = ctypes.CDLL(None, use_errno=True)


def _as_nobody():
    pw = pwd.getpwnam("nobody")

    def pre():
        os.setgroups([])
        os.setgid(pw.pw_gid)
        os.setuid(pw.pw_uid)

    return pre


def _drop_dac_caps():
    # Root without CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH (dropped from the
    # bounding set, so the exec'd process never gets them) is subject to
    # ordinary file permissions.
    for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            os._exit(121)


def _unprivileged_mode(probe_file: Path):
    """Find a way to run Python for which probe_file is unreadable.

    Returns (ok, preexec_fn or None, description); when ok is False the
    description says why no way was found.
    """
    probe = [sys.executable, "-c",
             "import sys\ntry:\n open(sys.argv[1],'rb')\nexcept PermissionError:\n sys.exit(42)\nsys.exit(0)",
             str(probe_file)]
    if os.geteuid() != 0:
        r = subprocess.run(probe)
        return (True, None, "not root") if r.returncode == 42 else (False, None, "file is readable")
    candidates = []
    try:
        pwd.getpwnam("nobody")
        candidates.append((_as_nobody(), "as user nobody"))
    except KeyError:
        pass
    candidates.append((_drop_dac_caps, "as root without CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH"))
    tried = []
    for pre, what in candidates:
        try:
            r = subprocess.run(probe, preexec_fn=pre, capture_output=True, timeout=60)
        except OSError as e:  # e.g. nobody may not execute a Python under /root
            tried.append(f"{what}: {e}")
            continue
        if r.returncode == 42:
            return True, pre, what
        tried.append(f"{what}: probe exit {r.returncode} {r.stderr[-200:]!r}")
    return False, None, "; ".join(tried)


@pytest.fixture
def world_tmp():
    # pytest's tmp_path lives under a 0700 directory that "nobody" cannot
    # traverse; use a world-searchable one so that only the file's own
    # mode makes it unreadable.
    d = Path(tempfile.mkdtemp(prefix="linuxuser-unreadable-"))
    d.chmod(0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.mark.parametrize("arch", ["arm", "x86_64"])
def test_unreadable_file(arch, guest_program, run_linuxuser, world_tmp):
    p = world_tmp / "unreadable"
    shutil.copyfile(guest_program("hello", arch), p)
    p.chmod(0)
    ok, pre, how = _unprivileged_mode(p)
    if not ok:
        pytest.skip(f"cannot make a file unreadable to the test process here ({how})")
    r = run_linuxuser([p], cwd=world_tmp, preexec_fn=pre)
    assert_refused(r, 126)


# ------------------------------------------------------------ --help etc


def test_help(run_linuxuser):
    r = run_linuxuser(["--help"])
    out = r.stdout.decode(errors="replace")
    assert r.returncode == 0, f"returncode={r.returncode} stderr={r.stderr!r}"
    assert "Traceback" not in out + r.stderr.decode(errors="replace")
    assert re.search(r"usage", out, re.I), out
    for opt in ("-L", "-E", "-U", "-0", "-s", "-strace", "-D"):
        assert opt in out, f"--help does not mention {opt}:\n{out}"


def test_version(run_linuxuser):
    r = run_linuxuser(["--version"])
    out = r.stdout.decode(errors="replace")
    assert r.returncode == 0, f"returncode={r.returncode} stderr={r.stderr!r}"
    assert "Traceback" not in out + r.stderr.decode(errors="replace")
    assert "linuxuser" in out.lower() and re.search(r"\d+\.\d+", out), out


def test_no_arguments(run_linuxuser):
    r = run_linuxuser([])
    err = r.stderr.decode(errors="replace")
    assert r.returncode != 0
    assert "Traceback" not in err, err
    assert err.strip(), "expected a usage message or error on stderr"


def test_unknown_option(run_linuxuser, guest_program):
    r = run_linuxuser(["--no-such-option", guest_program("hello", "x86_64")])
    err = r.stderr.decode(errors="replace")
    assert r.returncode != 0, r
    assert "Traceback" not in err, err
    assert b"Hello" not in r.stdout


def test_console_script_entry_point():
    """The 'linuxuser' console script is installed (pip install -e .)
    next to the Python running the tests."""
    scripts = sysconfig.get_path("scripts")
    exe = shutil.which("linuxuser", path=scripts)
    assert exe, f"console script 'linuxuser' not in {scripts}: run 'make setup' (pip install -e .)"
    r = subprocess.run([exe, "--version"], capture_output=True, timeout=60)
    assert r.returncode == 0 and b"linuxuser" in r.stdout.lower(), r


def test_bad_files_are_real_derivatives(guest_program, tmp_path):
    """Sanity of the test data: every patched file still starts with the ELF
    magic and differs from the real program only where intended."""
    for arch in ARCHES:
        real = guest_program("hello", arch)
        for name, build in ELF_CASES.items():
            d = tmp_path / arch / name
            d.mkdir(parents=True)
            bad = build(real, d)
            data = bad.read_bytes()
            assert data[:4] == b"\x7fELF", (arch, name)
            assert data != real.read_bytes(), (arch, name)
            assert stat.S_IMODE(bad.stat().st_mode) & 0o111, (arch, name)
