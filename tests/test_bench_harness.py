"""The benchmark harness (bench/run.py) itself works: it runs a workload end to end,
and reports a run that fails as "fails" with the first line of the error.

These tests time nothing: they look at the shape of what the harness writes.
"""
from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NUMBER_CELL = r"\d[\d.e+-]* \(\d[\d.e+-]*\)"       # "median (min)"


def load_harness():
    spec = importlib.util.spec_from_file_location("bench_run", REPO / "bench" / "run.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module         # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_one_workload_end_to_end(tmp_path):
    r = subprocess.run([sys.executable, str(REPO / "bench" / "run.py"), "--bench", "startup",
                        "--arch", "arm", "--reps", "1", "--out", str(tmp_path), "--no-chart"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    table = (tmp_path / "benchmarks.md").read_text()
    row = re.search(r"^\| start-up: static hello \| arm \| s \| (.*) \|$", table, re.M)
    assert row, table
    native, qemu, linuxuser, vs_qemu, vs_native = row.group(1).split(" | ")
    assert native == "—" and vs_native == "—"          # no native runs of ARM guests
    assert re.fullmatch(NUMBER_CELL, qemu), qemu
    assert re.fullmatch(NUMBER_CELL, linuxuser), linuxuser
    assert re.fullmatch(r"\d+\.\d\d×", vs_qemu), vs_qemu


def test_failing_run_is_reported_with_its_first_error_line():
    bench = load_harness()
    w = bench.Workload("compute", "compute: test", "compute", ("hash",))
    failing = [sys.executable, "-c",
               "import sys; sys.stderr.write('\\nguest: boom\\nsecond line\\n'); sys.exit(3)"]
    values, check, error = bench.run_once(failing, w, None, timeout=60)
    assert error == "exit 3: guest: boom"
    silent = [sys.executable, "-c", "print('CHECK 1')"]
    assert bench.run_once(silent, w, None, timeout=60)[2].startswith("no time figure")
    good = [sys.executable, "-c", "print('BENCH time 0.5 s'); print('CHECK 7')"]
    values, check, error_good = bench.run_once(good, w, None, timeout=60)
    assert (values["time"], check, error_good) == (0.5, "7", None)

    results = [{"workload": "compute: FNV-1a hash, 128 MiB", "arch": "arm", "outcomes": {
        "qemu": {"samples": {"time": [0.2, 0.3, 0.25]}, "error": None, "check": "7"},
        "linuxuser": {"samples": {}, "error": error, "check": None}}}]
    meta = {"reps": 3, "load_before": 0.0, "load_after": 0.0, "seconds": 1.0}
    info = {k: "x" for k in ("cpu", "cores", "memory", "os", "python", "unicorn", "qemu", "gcc",
                             "linuxuser", "date")}
    table = bench.markdown(bench.rows(results), info, meta)
    assert ("| compute: FNV-1a hash, 128 MiB | arm | s | — | 0.25 (0.2) "
            "| fails: exit 3: guest: boom | — | — |") in table
