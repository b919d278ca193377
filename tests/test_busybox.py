"""Debian's busybox-static (armhf, arm64, i386) under linuxuser vs qemu-user.

scripts/setup-debian.sh fetches the packages into build/busybox/<debian arch>/
(`make setup`); a missing one makes these tests fail.  Each case runs one
command line of applets in a fresh copy of the same small file tree, at the same
path, under linuxuser and then under qemu-<arch>: stdout, stderr and exit
status must be identical, on each of the three arches.

Applets that busybox's shell does not run in-process are started by execve of
/proc/self/exe.  qemu-user (without binfmt_misc) cannot execve a guest program,
and busybox then looks for the applet in PATH: PATH leads to `binfmt` wrappers
that run the applet under qemu and note that they did.  linuxuser must never
need them (it runs the guest's execve itself): a wrapper used during a linuxuser
run fails the test.
"""
from __future__ import annotations

import io
import lzma
import os
import shutil
import tarfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

import guestbuild
from conftest import REPO
from test_static_programs import assert_same, describe

# our arch name -> Debian's
DEBIAN_ARCH = {"arm": "armhf", "aarch64": "arm64", "i386": "i386"}
ARCHES = list(DEBIAN_ARCH)
FIXED_TIME = 1609556645            # 2021-01-02 03:04:05 UTC
ENV = {"TZ": "UTC", "LC_ALL": "C", "HOME": "/nonexistent", "PS1": "$ "}


def busybox_path(arch: str) -> Path:
    return REPO / "build" / "busybox" / DEBIAN_ARCH[arch] / "bin" / "busybox"


@dataclass(frozen=True)
class Case:
    id: str
    argv: tuple[str, ...]             # busybox's arguments: APPLET ARGS...
    stdin: bytes = b""

    @property
    def applets(self) -> set[str]:
        return {self.argv[0]}


def sh(id_: str, script: str, applets: str, stdin: bytes = b"") -> Case:
    """A `sh -c SCRIPT` case; `applets` names the applets it runs (for the count)."""
    return ShCase(id_, ("sh", "-c", script), stdin, frozenset(applets.split()))


@dataclass(frozen=True)
class ShCase(Case):
    uses: frozenset = frozenset()

    @property
    def applets(self) -> set[str]:
        return {"sh"} | set(self.uses)


TEXT = b"""the quick brown fox
jumps over the lazy dog
The Quick Brown Fox
a stitch in time saves nine
the early bird catches the worm
jumps over the lazy dog
zebra\tcrossing\twith\ttabs
"""

CASES = [
    # text tools
    Case("echo", ("echo", "-e", "hello\\tworld", "\\x41")),
    Case("cat", ("cat", "-n", "text.txt")),
    Case("head", ("head", "-n", "3", "text.txt")),
    Case("tail", ("tail", "-n", "2", "text.txt")),
    Case("wc", ("wc", "text.txt", "data.csv")),
    Case("sort", ("sort", "-f", "-r", "text.txt")),
    Case("sort-numeric", ("sort", "-t,", "-k2,2n", "data.csv")),
    Case("uniq", ("uniq", "-c"), stdin=b"a\na\nb\nc\nc\nc\n"),
    Case("cut", ("cut", "-d,", "-f1,3", "data.csv")),
    Case("tr", ("tr", "a-z", "A-Z"), stdin=TEXT),
    Case("rev", ("rev", "text.txt")),
    Case("tac", ("tac", "text.txt")),
    Case("nl", ("nl", "-ba", "text.txt")),
    Case("fold", ("fold", "-w", "12", "text.txt")),
    Case("paste", ("paste", "-d:", "nums.txt", "nums.txt")),
    Case("expand", ("expand", "-t", "4", "text.txt")),
    Case("seq", ("seq", "-w", "1", "3", "20")),
    Case("printf", ("printf", "%05d|%-5s|%x|%.2f\\n", "42", "ab", "255", "3.14159")),
    Case("expr", ("expr", "6", "*", "7")),
    Case("factor", ("factor", "1234567890", "97")),
    Case("basename", ("basename", "/a/b/c.txt", ".txt")),
    Case("dirname", ("dirname", "/a/b/c.txt")),
    Case("strings", ("strings", "-n", "6", "bin.dat")),
    Case("dos2unix", ("dos2unix",), stdin=b"one\r\ntwo\r\n"),
    Case("diff", ("diff", "-u", "text.txt", "text2.txt")),
    Case("cmp", ("cmp", "text.txt", "text2.txt")),
    # find / grep / sed / awk
    Case("grep", ("grep", "-n", "-i", "the", "text.txt")),
    Case("grep-E-count", ("grep", "-E", "-c", "fox|dog", "text.txt")),
    Case("grep-missing", ("grep", "nothing-like-this", "text.txt")),
    Case("sed", ("sed", "-n", "-e", "s/o/0/gp", "-e", "3q", "text.txt")),
    Case("sed-i", ("sh", "-c", "sed -i 's/lazy/busy/' text.txt && cat text.txt")),
    Case("awk", ("awk", "-F,", "{s+=$2; n[$1]++} END {print s, NR; for (k in n) c++; print c}",
                 "data.csv")),
    Case("awk-math", ("awk", "BEGIN {printf \"%.6f %d %s %s\\n\", atan2(0,-1), length(\"abc\"),"
                             " toupper(\"x\"), substr(\"hello\", 2, 3)}")),
    sh("find", "find tree | sort; find tree -name '*.txt' -type f | sort", "find sort"),
    # files and directories
    Case("ls", ("ls", "-l", "tree", "tree/b")),
    Case("ls-R", ("ls", "-aR", "tree")),
    Case("stat", ("stat", "-c", "%n %s %a %F %U %G %Y %h", "tree/a.txt", "tree/b", "tree/link")),
    Case("stat-f", ("stat", "-f", "-c", "%T %S", ".")),
    sh("du", "du -a tree | sort -k2", "du sort"),
    Case("readlink", ("readlink", "tree/link")),
    Case("realpath", ("realpath", "tree/b/../link")),
    sh("mkdir-cp-mv-ln-rm",
       "mkdir -p x/y && touch -d '2020-01-01 00:00:00' x/y/f && cp -p x/y/f x/g && "
       "mv x/g x/h && ln -s h x/l && ln x/h x/hard && ls -R x && "
       "stat -c '%n %h %Y %F' x/h x/hard && stat -c '%n %F %N' x/l && rm -r x && ls",
       "mkdir touch cp mv ln ls stat rm"),
    sh("chmod-chown", "touch f; chmod 640 f; stat -c %a f; chown 1:2 f; stat -c '%u %g' f; "
       "chgrp 3 f; stat -c %g f; umask 027; touch u; mkdir d; stat -c '%n %a' u d; umask",
       "touch chmod stat chown chgrp mkdir"),
    sh("truncate-dd",
       "truncate -s 1000 f && stat -c %s f && dd if=bin.dat of=g bs=16 count=2 skip=1 "
       "conv=fsync 2>/dev/null && od -A d -t x1 g", "truncate stat dd od"),
    sh("mkfifo-mknod", "mkfifo p && stat -c %F p && rm p && ls", "mkfifo stat rm ls"),
    sh("tee", "echo tee-test | tee t1 t2 && cat t1 t2", "tee cat"),
    # dumps and hashes
    Case("od", ("od", "-A", "x", "-t", "x1z", "bin.dat")),
    Case("xxd", ("xxd", "-l", "100", "bin.dat")),
    Case("hexdump", ("hexdump", "-C", "bin.dat")),
    Case("base64", ("base64", "bin.dat")),
    Case("md5sum", ("md5sum", "text.txt", "bin.dat")),
    Case("sha1sum", ("sha1sum", "text.txt", "bin.dat")),
    Case("sha256sum", ("sha256sum", "text.txt", "bin.dat")),
    Case("sha512sum", ("sha512sum", "bin.dat")),
    Case("sha3sum", ("sha3sum", "bin.dat")),
    Case("crc32", ("crc32", "bin.dat")),
    sh("md5sum-check", "md5sum text.txt > sums && md5sum -c sums", "md5sum"),
    sh("uuencode", "uuencode bin.dat bin.dat | uudecode -o - | md5sum",
       "uuencode uudecode md5sum"),
    # archives and compressors
    sh("gzip", "gzip -9 -c text.txt | od -A x -t x1 | head -3; "
       "gzip -c bin.dat | gunzip -c | md5sum; gzip -k text.txt && zcat text.txt.gz | wc -l",
       "gzip od head gunzip md5sum zcat wc"),
    sh("bzip2", "bzip2 -c text.txt | md5sum; bzip2 -c bin.dat | bunzip2 | md5sum; "
       "bzip2 -c text.txt | bzcat | tail -1", "bzip2 md5sum bunzip2 bzcat tail"),
    Case("xzcat", ("xzcat", "text.txt.xz")),
    Case("unlzma", ("unlzma", "-c", "text.txt.lzma")),
    Case("tar-list", ("tar", "-tvf", "fixture.tar")),
    sh("tar", "tar -xf fixture.tar && cat fx/one.txt && tar -cf - fx | tar -tf - | sort",
       "tar cat sort"),
    sh("cpio", "find tree | sort | cpio -o -H newc 2>/dev/null | cpio -it 2>&1",
       "find sort cpio"),
    Case("unzip-list", ("unzip", "-l", "fixture.zip")),
    Case("unzip-p", ("unzip", "-p", "fixture.zip", "z/deflated.txt")),
    # time and system
    Case("date", ("date", "-u", "-d", "@1234567890", "+%Y-%m-%d %H:%M:%S %A %j %s")),
    Case("date-parse", ("date", "-u", "-d", "2021-03-04 05:06:07", "+%s %a %b")),
    Case("cal", ("cal", "2", "2024")),
    Case("uname", ("uname", "-m")),
    Case("id", ("id",)),
    Case("env", ("env", "-i", "A=1", "B=two")),
    Case("true", ("true",)),
    Case("false", ("false",)),
    Case("sleep", ("sleep", "0.05")),
    Case("dc", ("dc", "-e", "2 64 ^ p 7 3 / p")),
    Case("bc", ("bc",), stdin=b"scale=5\n4*a(1)\n2^100\n"),
    Case("getopt", ("getopt", "-o", "ab:", "--", "-a", "-b", "x", "y")),
    Case("kill-l", ("kill", "-l")),
    # the shell: builtins, pipelines, children
    sh("sh-builtins",
       "x=5; y=$((x*3)); for i in 1 2 3; do echo $i$y; done; case abc in a*) echo match;; esac; "
       "f() { echo func $1; return 3; }; f arg; echo $?; set -- a b c; echo $#; shift; "
       "echo $@; read v < text.txt; echo \"$v\"; export E=1; echo ${E:-d} ${U:-default}; "
       "test -f text.txt && echo yes; [ 3 -lt 2 ] || echo no; echo ${#v}; "
       "trap 'echo exit trap ran' EXIT; umask 022; umask", ""),
    sh("sh-pipeline", "cat text.txt | tr A-Z a-z | sort | uniq -c | sort -rn | head -3",
       "cat tr sort uniq head"),
    sh("sh-subshell", "echo $(echo inner | wc -c); (cd tree && ls); pwd | wc -l; "
       "echo out; echo err >&2; exit 7", "wc ls pwd"),
    sh("sh-yes-head", "yes | head -n 3; echo status $?", "yes head"),
    sh("sh-xargs", "echo a b c | xargs -n1 echo item", "xargs echo"),
    sh("sh-exec-chain", "exec sh -c 'echo in child $#' one two", ""),
    sh("sh-while-read", "i=0; while read line; do i=$((i+1)); done < text.txt; echo $i lines",
       ""),
]


def _make_tree(root: Path) -> None:
    """The files every case starts from, with fixed contents and times."""
    root.mkdir(parents=True)
    (root / "text.txt").write_bytes(TEXT)
    (root / "text2.txt").write_bytes(TEXT.replace(b"lazy", b"sleepy"))
    (root / "data.csv").write_bytes(b"apple,3,red\nbanana,12,yellow\ncherry,7,red\napple,1,green\n")
    (root / "nums.txt").write_bytes(b"".join(b"%d\n" % (i * i) for i in range(1, 8)))
    (root / "bin.dat").write_bytes(bytes(range(256)) + b"printable text here\0" + bytes(40))
    (root / "text.txt.xz").write_bytes(lzma.compress(TEXT))
    (root / "text.txt.lzma").write_bytes(lzma.compress(TEXT, format=lzma.FORMAT_ALONE))
    tree = root / "tree"
    (tree / "b" / "d").mkdir(parents=True)
    (tree / "a.txt").write_bytes(b"alpha\n")
    (tree / "b" / "c.txt").write_bytes(b"charlie\n" * 100)
    (tree / "b" / "d" / "e.log").write_bytes(b"echo\n" * 3000)
    (tree / "link").symlink_to("a.txt")
    tar_buf = io.BytesIO()
    with tarfile.open(fileobj=tar_buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in (("fx/one.txt", b"one\n"), ("fx/sub/two.txt", b"two two\n")):
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), FIXED_TIME, 0o644
            info.uname = info.gname = "root"
            tar.addfile(info, io.BytesIO(data))
    (root / "fixture.tar").write_bytes(tar_buf.getvalue())
    with zipfile.ZipFile(root / "fixture.zip", "w") as z:
        for name, data, method in (("z/stored.txt", b"stored\n", zipfile.ZIP_STORED),
                                   ("z/deflated.txt", TEXT * 5, zipfile.ZIP_DEFLATED)):
            info = zipfile.ZipInfo(name, date_time=(2021, 1, 2, 3, 4, 6))
            info.compress_type = method
            z.writestr(info, data)
    for path in sorted(root.rglob("*"), reverse=True) + [root]:
        os.utime(path, (FIXED_TIME, FIXED_TIME), follow_symlinks=False)


WRAPPER = """#!/bin/sh
# binfmt_misc stand-in for qemu: run the applet named like this file.
echo "$0" >> {log}
exec {qemu} {busybox} "${{0##*/}}" "$@"
"""


@pytest.fixture(scope="module")
def bb_env(tmp_path_factory):
    """Per arch: (busybox, PATH directory of qemu wrappers, wrapper log, base dir)."""
    base = tmp_path_factory.mktemp("busybox")
    fixture = base / "fixture"
    _make_tree(fixture)
    envs = {}
    for arch in ARCHES:
        bb = busybox_path(arch)
        if not bb.exists():
            pytest.fail(f"{bb} is missing: run 'make setup' (scripts/setup-debian.sh fetches "
                        f"busybox-static:{DEBIAN_ARCH[arch]})", pytrace=False)
        wrappers = base / f"bin-{arch}"
        wrappers.mkdir()
        log = base / f"wrapper-{arch}.log"
        qemu = shutil.which(guestbuild.ARCHES[arch].qemu)
        applets = set().union(*(c.applets for c in CASES)) | {"busybox"}
        for applet in applets:
            w = wrappers / applet
            w.write_text(WRAPPER.format(log=log, qemu=qemu, busybox=bb))
            w.chmod(0o755)
        envs[arch] = (bb, wrappers, log, base)
    return fixture, envs


def _fresh_copy(fixture: Path, where: Path) -> Path:
    if where.exists():
        shutil.rmtree(where)
    shutil.copytree(fixture, where, symlinks=True)
    return where


def _under_linuxuser(run_linuxuser, fixture: Path, env_of_arch, arch: str, case: Case):
    """linuxuser's result for `case` on `arch`, and what it asked of the wrappers."""
    bb, wrappers, log, base = env_of_arch
    workdir = _fresh_copy(fixture, base / f"run-{arch}-{case.id}")
    log.unlink(missing_ok=True)
    result = run_linuxuser([bb, *case.argv], env={**ENV, "PATH": str(wrappers)}, cwd=workdir,
                           stdin=case.stdin, timeout=60)
    return result, (log.read_text() if log.exists() else "")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_busybox_matches_qemu(case, bb_env, run_linuxuser, run_qemu):
    """One command line on the three arches: linuxuser runs them side by side (each
    arch in its own directory, with its own wrappers), then qemu runs each in turn."""
    fixture, envs = bb_env
    with ThreadPoolExecutor(len(ARCHES)) as pool:
        runs = dict(zip(ARCHES, pool.map(
            lambda arch: _under_linuxuser(run_linuxuser, fixture, envs[arch], arch, case),
            ARCHES)))
    failures = []
    for arch in ARCHES:
        bb, wrappers, log, base = envs[arch]
        actual, used = runs[arch]
        workdir = _fresh_copy(fixture, base / f"run-{arch}-{case.id}")
        expected = run_qemu(arch, [bb, *case.argv], env={**ENV, "PATH": str(wrappers)},
                            cwd=workdir, stdin=case.stdin)
        try:
            assert not used, f"linuxuser fell back to the qemu wrappers:\n{used}\n" + \
                describe("linuxuser", actual)
            assert b"Exec format error" not in expected.stderr, describe("qemu", expected)
            assert_same(actual, expected)
        except (AssertionError, pytest.fail.Exception) as err:
            failures.append(f"=== {arch} ({DEBIAN_ARCH[arch]}) ===\n{err}")
    if failures:
        pytest.fail("\n\n".join(failures), pytrace=False)


def test_enough_distinct_applets():
    """The issue asks for at least 40 distinct applets."""
    applets = set().union(*(c.applets for c in CASES))
    assert len(applets) >= 40, sorted(applets)


def _first_line_then_close(cmd: list, env: dict) -> int:
    """Run `cmd`, read one line of its output, close the pipe: its exit status."""
    import subprocess

    from conftest import _child_setup, make_env
    proc = subprocess.Popen([str(c) for c in cmd], stdout=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, env=make_env(env),
                            preexec_fn=_child_setup())
    line = proc.stdout.readline()
    proc.stdout.close()
    try:
        return proc.wait(timeout=30) if line == b"y\n" else -999
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("arch", ARCHES)
def test_yes_dies_of_sigpipe_like_qemu(arch, bb_env):
    """`busybox yes | head -1`: yes must end by SIGPIPE (Python ignores it at start-up)."""
    from conftest import linuxuser_command
    bb = busybox_path(arch)
    expected = _first_line_then_close([guestbuild.ARCHES[arch].qemu, bb, "yes"], ENV)
    assert expected == -13
    assert _first_line_then_close([*linuxuser_command(), bb, "yes"], ENV) == expected


@pytest.mark.parametrize("arch", ARCHES)
def test_exec_options_carry_over(arch, bb_env, run_linuxuser, tmp_path):
    """An execve'd guest program runs under linuxuser with the same -L sysroot, and
    with -strace -D its trace is added to the same log file."""
    root = tmp_path / "root"
    (root / "bin").mkdir(parents=True)
    shutil.copy(busybox_path(arch), root / "bin" / "busybox")
    log = tmp_path / "trace.log"
    r = run_linuxuser(["-L", root, "-strace", "-D", log, busybox_path(arch), "sh", "-c",
                       "/bin/busybox echo from the sysroot; echo parent $$"], env=ENV,
                      cwd=tmp_path)
    lines = r.stdout.decode().splitlines()
    assert r.returncode == 0 and lines[0] == "from the sysroot", describe("linuxuser", r)
    assert lines[1].startswith("parent "), describe("linuxuser", r)
    trace = log.read_text().splitlines()
    # "from the sysroot\n" (17 bytes) is written only by the exec'd busybox: traced too
    assert [line for line in trace if "write(" in line and line.endswith("= 17")], trace
