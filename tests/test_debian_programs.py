"""Real Debian programs, dynamically linked, from the sysroot `make setup`
fetches (tests/debianpkgs.py: pigz, xz-utils, lua5.4 and the libraries they
load, for armhf and arm64, in build/debian/<arch>/): under linuxuser and under
qemu-user with the same -L, stdout, stderr and exit status must be the same
byte for byte; compressed output must also decompress (with Python's gzip and
lzma) to the input.

pigz compresses in threads of its own (-p N), xz -T2 compresses and
decompresses blocks in two threads.
"""
from __future__ import annotations

import gzip
import lzma
import random

import pytest

import debianpkgs
from test_static_programs import assert_same

ARCHES = ["arm", "aarch64"]
THREADS = [1, 2, 4]
INPUT_SIZE = 2 << 20          # pigz cuts it into 16 blocks of 128 KiB
XZ_BLOCK = 128 << 10
LUA_SCRIPT = debianpkgs.REPO / "tests" / "guest" / "script.lua"


@pytest.fixture(scope="module")
def text() -> bytes:
    """Text-like, compressible, deterministic input."""
    rng = random.Random(7)
    words = ["".join(rng.choice("etaoinshrdlucmfwypvbgkqjxz") for _ in range(rng.randint(1, 10)))
             for _ in range(3000)]
    out, size = [], 0
    while size < INPUT_SIZE:
        line = " ".join(rng.choices(words, k=rng.randint(3, 16))) + ".\n"
        out.append(line)
        size += len(line)
    return "".join(out).encode()[:INPUT_SIZE]


def sysroot(arch: str):
    root = debianpkgs.sysroot(arch)
    if not (root / "usr" / "bin" / "pigz").exists():
        pytest.fail(f"{root} has no Debian programs: run 'make setup'", pytrace=False)
    return root


def both(arch, run_linuxuser, run_qemu, program: str, *args, **kw):
    """(linuxuser's result, qemu-user's result) of sysroot program `program`."""
    root = sysroot(arch)
    cmd = ["-L", root, root / program, *args]
    return run_linuxuser(cmd, **kw), run_qemu(arch, cmd, **kw)


@pytest.mark.parametrize("threads", THREADS)
@pytest.mark.parametrize("arch", ARCHES)
def test_pigz_compress(arch, threads, text, run_linuxuser, run_qemu, tmp_path):
    """A file by name: its name and mtime go into the gzip header."""
    (tmp_path / "input.txt").write_bytes(text)
    mine, ref = both(arch, run_linuxuser, run_qemu, "usr/bin/pigz", "-c", "-p", str(threads),
                     "input.txt", cwd=tmp_path)
    assert ref.returncode == 0 and gzip.decompress(ref.stdout) == text, ref.stderr
    assert_same(mine, ref)


@pytest.mark.parametrize("threads", THREADS)
@pytest.mark.parametrize("arch", ARCHES)
def test_pigz_decompress(arch, threads, text, run_linuxuser, run_qemu):
    packed = gzip.compress(text, mtime=0)
    mine, ref = both(arch, run_linuxuser, run_qemu, "usr/bin/pigz", "-d", "-c", "-p", str(threads),
                     stdin=packed)
    assert ref.returncode == 0 and ref.stdout == text, ref.stderr
    assert_same(mine, ref)


@pytest.mark.parametrize("arch", ARCHES)
def test_xz_two_threads(arch, text, run_linuxuser, run_qemu):
    """xz -T2 with blocks small enough for both threads to get some."""
    data = text[:1 << 20]
    mine, ref = both(arch, run_linuxuser, run_qemu, "usr/bin/xz", "-T2",
                     f"--block-size={XZ_BLOCK}", "-c", stdin=data)
    assert ref.returncode == 0 and lzma.decompress(ref.stdout) == data, ref.stderr
    assert_same(mine, ref)
    mine, ref = both(arch, run_linuxuser, run_qemu, "usr/bin/xz", "-d", "-T2", "-c",
                     stdin=ref.stdout)
    assert ref.returncode == 0 and ref.stdout == data, ref.stderr
    assert_same(mine, ref)


@pytest.mark.parametrize("arch", ARCHES)
def test_lua_script(arch, text, run_linuxuser, run_qemu, tmp_path):
    """Debian's lua5.4 runs tests/guest/script.lua: arguments, stdin, a file
    written and read back, the environment, stderr and an exit status."""
    mine, ref = both(arch, run_linuxuser, run_qemu, "usr/bin/lua5.4", LUA_SCRIPT, "one", "two",
                     stdin=text[:100000], cwd=tmp_path,
                     env={"TZ": "UTC", "LUA_TEST_VALUE": "from the environment"})
    assert ref.returncode == 3 and b"getenv\tfrom the environment\tnil\n" in ref.stdout, ref
    assert ref.stderr == b"a line on stderr\n", ref
    assert_same(mine, ref)
