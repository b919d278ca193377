"""linuxuser's engine: how it is built and how a run without it behaves.

The build applies linuxuser's Unicorn patch itself (engine.apply_patch), so that
a system with only a C compiler can build it: whatever it makes of a diff must
be what GNU patch (no fuzz) makes of it.  Without the engine (PyPI's library in
its place), a run that starts a second guest thread says so in one line, and
`--version` names the stock engine.
"""
from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

import pytest

import guestbuild
from linuxuser.atomics import ENGINE_VARIABLE, TAKE_TURNS_WARNING, engine
from test_static_programs import assert_same, describe

# PyPI's own library, as the unicorn package installs it.
STOCK_LIBRARY_DIR = Path(importlib.util.find_spec("unicorn").origin).parent / "lib"


@pytest.mark.parametrize("arch", list(guestbuild.ARCHES))
def test_without_the_engine_a_second_thread_warns_once(arch, guest_program, run_linuxuser,
                                                       run_qemu):
    prog = guest_program("threads", arch)
    stock = {"LIBUNICORN_PATH": str(STOCK_LIBRARY_DIR)}
    actual = run_linuxuser([prog, "compute", "3"], env=stock)
    expected = run_qemu(arch, [prog, "compute", "3"], env=stock)
    assert actual.stdout == expected.stdout and actual.returncode == expected.returncode, \
        describe("linuxuser", actual) + describe("qemu", expected)
    assert actual.stderr.decode().splitlines() == [TAKE_TURNS_WARNING], describe("linuxuser", actual)
    # One thread: nothing to say.
    hello = guest_program("hello", arch)
    assert_same(run_linuxuser([hello], env=stock), run_qemu(arch, [hello], env=stock))


def test_a_stock_engine_asked_for_at_run_time_is_not_warned_about(guest_program,
                                                                   run_linuxuser, run_qemu):
    prog = guest_program("threads", "arm")
    stock = {ENGINE_VARIABLE: "stock"}
    assert_same(run_linuxuser([prog, "compute", "3"], env=stock),
                run_qemu("arm", [prog, "compute", "3"], env=stock))


def test_version_names_the_stock_engine(run_linuxuser):
    r = run_linuxuser(["--version"], env={"LIBUNICORN_PATH": str(STOCK_LIBRARY_DIR)})
    assert r.returncode == 0, describe("linuxuser --version", r)
    assert b"engine: stock Unicorn" in r.stdout and str(STOCK_LIBRARY_DIR).encode() in r.stdout, \
        describe("linuxuser --version", r)


ORIGINAL = "".join(f"line {i}\n" for i in range(1, 41))


def unified_diff(old: str | None, new: str | None, name: str, tmp_path) -> str:
    """`diff -u` of two texts (None: no file), with a/ and b/ headers."""
    paths = []
    for side, text in (("old", old), ("new", new)):
        path = tmp_path / f"{side}-{name}"
        path.write_text(text or "")
        paths.append(path)
    body = subprocess.run(["diff", "-u", *map(str, paths)], capture_output=True,
                          text=True).stdout.split("\n", 2)[2]
    return (f"--- {'/dev/null' if old is None else 'a/' + name}\n"
            f"+++ {'/dev/null' if new is None else 'b/' + name}\n{body}")


def edited(text: str) -> str:
    lines = text.splitlines(keepends=True)
    lines[3] = "changed 4\n"
    del lines[10:12]
    lines.insert(30, "inserted\n")
    return "".join(lines)


CASES = {
    # name: (file before, file after, what the target holds instead of "before")
    "edit": (ORIGINAL, edited(ORIGINAL), ORIGINAL),
    "edit at an offset": (ORIGINAL, edited(ORIGINAL), "extra\n" * 7 + ORIGINAL),
    "no newline at the end": (ORIGINAL + "last", ORIGINAL.replace("line 40\n", "forty\n") + "end",
                              ORIGINAL + "last"),
    "new file": (None, ORIGINAL, None),
    "deleted file": (ORIGINAL, None, ORIGINAL),
}


@pytest.mark.parametrize("case", CASES)
def test_patch_applies_as_gnu_patch_does(case, tmp_path):
    before, after, target = CASES[case]
    diff = unified_diff(before, after, "file.c", tmp_path)
    results = []
    for tool in ("gnu", "engine"):
        tree = tmp_path / tool
        tree.mkdir()
        if target is not None:
            (tree / "file.c").write_text(target)
        if tool == "gnu":
            subprocess.run(["patch", "-s", "-p1", "-F0", "--no-backup-if-mismatch"],
                           input=diff, text=True, cwd=tree, check=True)
        else:
            engine.apply_patch(diff, tree)
        file = tree / "file.c"
        results.append(file.read_text() if file.exists() else None)
    assert results[1] == results[0]
    assert results[1] != target


def test_a_hunk_that_does_not_match_stops_the_build(tmp_path):
    diff = unified_diff(ORIGINAL, edited(ORIGINAL), "file.c", tmp_path)
    (tmp_path / "file.c").write_text(ORIGINAL.replace("line 4\n", "line four\n"))
    with pytest.raises(engine.EngineBuildError, match="does not apply"):
        engine.apply_patch(diff, tmp_path)


def test_a_failed_build_says_how_to_install_the_stock_engine():
    paragraph = engine.failure_paragraph(engine.EngineBuildError("no C compiler found",
                                                                 "Install one."))
    assert "no C compiler found. Install one." in paragraph.replace("\n", " ")
    assert f"{engine.ENGINE_VARIABLE}=stock" in paragraph
