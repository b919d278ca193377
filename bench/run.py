#!/usr/bin/env python3
"""linuxuser's benchmarks: native, qemu-user and linuxuser side by side.

    make bench                                   # everything: docs/benchmarks.{md,png}
    make bench BENCH=compute,syscall ARCH=arm REPS=5   # a selection: build/bench/
    python3 bench/run.py --bench compute --arch arm,aarch64 --reps 3

Every workload runs under each runner its arch has (native for x86-64 and i386
guests, qemu-user, linuxuser), round-robin for --reps repetitions, so that a
burst of load on the machine hits all runners alike.  Guest programs (bench/guest/)
time their own measured section and print "BENCH <metric> <value> <unit>" lines
and one "CHECK <value>" line that must agree between runners; start-up and pigz
are timed from outside (wall time of the whole process).  A run that fails
(non-zero exit, signal, timeout, missing output, a CHECK that disagrees with the
reference runner) is reported as "fails" with the first line of its error, and
that runner is not repeated for that workload.
"""
from __future__ import annotations

import argparse
import ctypes
import datetime
import hashlib
import json
import os
import platform
import random
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

import debianpkgs  # noqa: E402  (tests/debianpkgs.py: the Debian sysroot with pigz)
import guestbuild  # noqa: E402  (tests/guestbuild.py builds guests for tests and benchmarks)
from guestbuild import ARCHES, Program  # noqa: E402

BENCH_SRC = REPO / "bench" / "guest"
BENCH_BUILD = REPO / "build" / "bench"
RUNNERS = ("native", "qemu", "linuxuser")
RUNNER_TITLES = {"native": "native", "qemu": "qemu-user", "linuxuser": "linuxuser"}
PER_LINUX32 = 0x0008

# The benchmark guests, built like the test guests (tests/guestbuild.py).
PROGRAMS = {p.name: p for p in (
    Program("compute", "compute.c", src_dir=BENCH_SRC, out_dir=BENCH_BUILD),
    Program("syscall", "syscall.c", src_dir=BENCH_SRC, out_dir=BENCH_BUILD),
    Program("fileio", "fileio.c", src_dir=BENCH_SRC, out_dir=BENCH_BUILD),
    Program("atomics", "atomics.c", flags=("-pthread",), src_dir=BENCH_SRC, out_dir=BENCH_BUILD),
    Program("threads", "threads.c", flags=("-pthread",), src_dir=BENCH_SRC, out_dir=BENCH_BUILD),
    Program("signals", "signals.c", src_dir=BENCH_SRC, out_dir=BENCH_BUILD),
    Program("threadscale", "threadscale.c", flags=("-pthread",), src_dir=BENCH_SRC,
            out_dir=BENCH_BUILD),
)}
PIGZ_INPUT_SIZE = 16 << 20


@dataclass(frozen=True)
class Workload:
    """One benchmark: a program with arguments, and the figures it yields."""
    group: str                       # what BENCH= selects
    name: str                        # row label
    program: str                     # a PROGRAMS name, "hello" (tests/guest) or "pigz" (Debian)
    args: tuple = ()                 # "{tmp}" is a scratch directory, "{input}" pigz's input
    metrics: tuple = (("time", "s"),)   # (BENCH metric, unit); "wall": timed from outside
    needs: str = ""                  # what linuxuser must have for it to work (issue)


WORKLOADS = (
    Workload("compute", "compute: FNV-1a hash, 128 MiB", "compute", ("hash",)),
    Workload("compute", "compute: qsort 1M ints", "compute", ("sort",)),
    Workload("compute", "compute: 8M random loads in 64 MiB", "compute", ("random",)),
    Workload("syscall", "syscall: getppid round trip", "syscall", (), (("call", "us"),)),
    Workload("fileio", "file I/O: 64 MiB", "fileio", ("{tmp}",), (("write", "s"), ("read", "s"))),
    Workload("atomics", "atomics: uncontended", "atomics", ("uncontended",),
             (("add", "ns"), ("cas", "ns"))),
    Workload("atomics", "atomics: contended, 2 threads", "atomics", ("contended",),
             (("add", "ns"), ("cas", "ns")), needs="threads (#4), atomics (#5)"),
    *(Workload("threads", f"parallel: {n} thread{'s' * (n > 1)}", "threads", (str(n),),
               needs="threads (#4)" if n > 1 else "")
      for n in (1, 2, 4)),
    Workload("signals", "signals: raise, handler, sigreturn", "signals", ("roundtrip",),
             (("roundtrip", "us"),), needs="signals (#13)"),
    Workload("signals", "signals: kill to a spinning thread", "signals", ("latency",),
             (("median", "us"), ("p99", "us")), needs="signals (#13)"),
    *(Workload("threadstart", f"thread start: {n} thread{'s' * (n > 1)}", "threadscale",
               ("start", str(n)), (("start", "s"), ("first", "us")), needs="threads (#4)")
      for n in (1, 16, 64, 256)),
    Workload("threadstart", "thread start: 1000 one after another", "threadscale",
             ("serial", "1000"), needs="threads (#4)"),
    Workload("threadload", "256 threads x 10k malloc/free + mutex", "threadscale",
             ("malloc", "256", "10000"), needs="threads (#4)"),
    Workload("startup", "start-up: static hello", "hello", (), (("wall", "s"),)),
    *(Workload("pigz", f"pigz -p {n}, 16 MiB", "pigz", ("-c", "-6", "-p", str(n), "{input}"),
               (("wall", "s"),), needs="dynamic programs (#7)" + (", threads (#4)" if n > 1 else ""))
      for n in (1, 2)),
)
GROUPS = tuple(dict.fromkeys(w.group for w in WORKLOADS))


@dataclass
class Outcome:
    """All runs of one workload on one arch under one runner."""
    samples: dict = field(default_factory=dict)     # metric -> [values]
    error: str | None = None                        # first line of the failure
    check: str | None = None


# ------------------------------------------------------------------ running


def runners_for(arch: str) -> tuple:
    return RUNNERS if ARCHES[arch].native else RUNNERS[1:]


def debian_root(arch: str) -> Path:
    return debianpkgs.sysroot(arch)


def pigz_input() -> Path:
    """16 MiB of text-like, compressible, deterministic data (made once)."""
    path = BENCH_BUILD / "data" / "pigz-input.txt"
    if not path.exists() or path.stat().st_size != PIGZ_INPUT_SIZE:
        path.parent.mkdir(parents=True, exist_ok=True)
        rng = random.Random(8)
        words = ["".join(rng.choice("etaoinshrdlucmfwyp") for _ in range(rng.randint(2, 9)))
                 for _ in range(5000)]
        out, size = [], 0
        while size < PIGZ_INPUT_SIZE:
            line = " ".join(rng.choices(words, k=12)) + "\n"
            out.append(line)
            size += len(line)
        path.write_bytes("".join(out).encode()[:PIGZ_INPUT_SIZE])
    return path


def program_path(w: Workload, arch: str) -> Path:
    """Build (if needed) the guest of `w` for `arch`; raises guestbuild.BuildError."""
    if w.program == "hello":
        return guestbuild.build("hello", arch)
    if w.program == "pigz":
        pigz = debian_root(arch) / "usr" / "bin" / "pigz"
        if not pigz.exists():
            raise guestbuild.BuildError(f"{pigz} missing: run 'make bench' (bench/setup.py fetches it)")
        return pigz
    return guestbuild.build_program(PROGRAMS[w.program], arch)


def command(runner: str, arch: str, w: Workload, binary: Path, tmp: Path) -> list[str]:
    args = [a.format(tmp=tmp, input=pigz_input() if "{input}" in a else "") for a in w.args]
    dynamic = w.program == "pigz"
    root = debian_root(arch)
    if runner == "native":
        if dynamic:     # the package's own loader and libraries, not the host's
            loader = next((root / "lib").glob("*-linux-gnu/ld-linux*.so*"))
            libdirs = [str(d) for d in (root / "lib").glob("*-linux-gnu")]
            libdirs += [str(d) for d in (root / "usr" / "lib").glob("*-linux-gnu")]
            return [str(loader), "--library-path", ":".join(libdirs), str(binary), *args]
        return [str(binary), *args]
    sysroot = ["-L", str(root)] if dynamic else []
    if runner == "qemu":
        return [ARCHES[arch].qemu, *sysroot, str(binary), *args]
    return [sys.executable, "-m", "linuxuser", *sysroot, str(binary), *args]


def _child_setup(personality: int | None):
    def setup():
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        for s in (signal.SIGPIPE, signal.SIGXFSZ):
            signal.signal(s, signal.SIG_DFL)
        if personality is not None:
            ctypes.CDLL(None).personality(ctypes.c_ulong(personality))
    return setup


def run_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QEMU_")}
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:160]
    return ""


def run_once(cmd: list[str], w: Workload, personality: int | None, timeout: float,
             cwd: Path | None = None) -> tuple[dict, str, str | None]:
    """One run: ({metric: value}, check, error).

    Runs happen in a scratch directory: "python -m linuxuser" looks in its current
    directory first, so started from another checkout it would run that one.
    """
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=timeout, env=run_env(), cwd=cwd,
                              preexec_fn=_child_setup(personality))
    except subprocess.TimeoutExpired:
        return {}, "", f"timed out after {timeout:.0f} s"
    except OSError as e:
        return {}, "", f"cannot run {cmd[0]}: {e.strerror}"
    wall = time.perf_counter() - t0
    err = proc.stderr.decode(errors="replace")
    if proc.returncode != 0:
        how = (f"killed by {signal.Signals(-proc.returncode).name}" if proc.returncode < 0
               else f"exit {proc.returncode}")
        return {}, "", f"{how}: {first_line(err)}" if first_line(err) else how
    values, check = {"wall": wall}, ""
    if w.program == "pigz":
        check = hashlib.sha256(proc.stdout).hexdigest()[:16]
    for line in proc.stdout.decode(errors="replace").splitlines():
        m = re.match(r"BENCH (\S+) (\S+) ", line)
        if m:
            values[m.group(1)] = float(m.group(2))
        elif line.startswith("CHECK "):
            check = line[6:].strip()
    missing = [m for m, _ in w.metrics if m not in values]
    if missing:
        return {}, "", f"no {'/'.join(missing)} figure in its output: {first_line(err)}"
    return values, check, None


def run_workload(w: Workload, arch: str, reps: int, timeout: float, log) -> dict[str, Outcome]:
    """All runners, round-robin, `reps` times; a runner that fails is not repeated."""
    outcomes = {r: Outcome() for r in runners_for(arch)}
    try:
        binary = program_path(w, arch)
    except guestbuild.BuildError as e:
        for o in outcomes.values():
            o.error = "not built: " + first_line(str(e))
        return outcomes
    tmp = BENCH_BUILD / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    personality = PER_LINUX32 if arch == "i386" else None
    for rep in range(reps):
        for runner, o in outcomes.items():
            if o.error:
                continue
            cmd = command(runner, arch, w, binary, tmp)
            values, check, error = run_once(cmd, w, personality if runner == "native" else None,
                                            timeout, cwd=tmp)
            if error is None and o.check is not None and check != o.check:
                error = f"CHECK changed between runs: {check} after {o.check}"
            if error:
                o.error = error
                log(f"  {RUNNER_TITLES[runner]:10s} fails: {error}")
                continue
            o.check = check
            for metric, _ in w.metrics:
                o.samples.setdefault(metric, []).append(values[metric])
    reference = next((o for o in outcomes.values() if not o.error), None)
    for runner, o in outcomes.items():
        if not o.error and reference is not None and o.check != reference.check:
            o.error = f"wrong result: CHECK {o.check}, reference {reference.check}"
            log(f"  {RUNNER_TITLES[runner]:10s} fails: {o.error}")
    return outcomes


# ------------------------------------------------------------------ reporting


def machine_info() -> dict:
    def cmd_line(*cmd) -> str:
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=20).stdout
            return first_line(out)
        except OSError:
            return "?"

    cpu = "?"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = "?"
    try:
        kb = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
        mem = f"{kb / (1 << 20):.0f} GiB"
    except (OSError, StopIteration):
        pass
    distro = "?"
    try:
        distro = next(line.split("=", 1)[1].strip().strip('"') for line in open("/etc/os-release")
                      if line.startswith("PRETTY_NAME="))
    except (OSError, StopIteration):
        pass
    try:
        import unicorn
        unicorn_version = unicorn.__version__
    except ImportError:
        unicorn_version = "?"
    commit = cmd_line("git", "-C", str(REPO), "rev-parse", "--short", "HEAD")
    if cmd_line("git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"):
        commit += " (with uncommitted changes)"
    return {
        "cpu": cpu, "cores": os.cpu_count(), "memory": mem,
        "os": f"{distro}, Linux {platform.release()}",
        "python": platform.python_version(), "unicorn": unicorn_version,
        "qemu": cmd_line("qemu-arm", "--version"),
        "gcc": cmd_line("gcc", "--version"),
        "linuxuser": commit,
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
    }


def fmt(value: float) -> str:
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def rows(results: list) -> list[dict]:
    """One row per (workload, metric, arch): medians, minima, errors."""
    out = []
    for item in results:
        w = next(x for x in WORKLOADS if x.name == item["workload"])
        for metric, unit in w.metrics:
            row = {"workload": w.name, "group": w.group, "metric": metric, "unit": unit,
                   "arch": item["arch"], "needs": w.needs, "cells": {}}
            for runner, o in item["outcomes"].items():
                if o["error"]:
                    row["cells"][runner] = {"error": o["error"]}
                else:
                    s = o["samples"][metric]
                    row["cells"][runner] = {"median": statistics.median(s), "min": min(s), "n": len(s)}
            out.append(row)
    return out


def ratio(row: dict, a: str, b: str) -> float | None:
    ca, cb = row["cells"].get(a), row["cells"].get(b)
    if ca and cb and "median" in ca and "median" in cb and cb["median"] > 0:
        return ca["median"] / cb["median"]
    return None


def label(row: dict) -> str:
    metric = "" if row["metric"] in ("time", "wall", "call") else f" ({row['metric']})"
    return f"{row['workload']}{metric}"


def markdown(table: list[dict], info: dict, meta: dict) -> str:
    def cell(c: dict | None) -> str:
        if c is None:
            return "—"
        if "error" in c:
            return "fails: " + c["error"].replace("|", "\\|")
        return f"{fmt(c['median'])} ({fmt(c['min'])})"

    def r(x: float | None) -> str:
        return "—" if x is None else f"{x:.2f}×"

    lines = [
        "# linuxuser benchmarks",
        "",
        "Made by `make bench` (bench/run.py): the same guest programs under native execution",
        "(x86-64 and i386 guests), qemu-user and linuxuser, in the same run, round-robin.",
        f"Each cell is the median of {meta['reps']} runs, with the minimum in brackets; ratios",
        "are of medians (lower is faster).  Compute, syscall, file I/O, atomics and parallel",
        "times are measured by the guest around its measured section (`bench/guest/`);",
        "start-up and pigz are the wall time of the whole process.",
        "",
        "## Machine",
        "",
        f"- CPU: {info['cpu']}, {info['cores']} cores; memory {info['memory']}",
        f"- OS: {info['os']}; Python {info['python']}; Unicorn {info['unicorn']}",
        f"- {info['qemu']}; {info['gcc']}",
        f"- linuxuser {info['linuxuser']}; measured {info['date']}",
        f"- load average (1 min) {meta['load_before']:.2f} before the run, "
        f"{meta['load_after']:.2f} after; run took {meta['seconds']:.0f} s",
        "",
        "## Results",
        "",
        "| workload | arch | unit | native | qemu-user | linuxuser | linuxuser ÷ qemu | linuxuser ÷ native |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in table:
        c = row["cells"]
        lines.append(f"| {label(row)} | {row['arch']} | {row['unit']} | {cell(c.get('native'))} "
                     f"| {cell(c.get('qemu'))} | {cell(c.get('linuxuser'))} "
                     f"| {r(ratio(row, 'linuxuser', 'qemu'))} | {r(ratio(row, 'linuxuser', 'native'))} |")
    lines += scaling_table(table, "threads", "Parallel scaling (speed-up over 1 thread, from the medians)",
                           "threads", r"(\d+) thread")
    lines += scaling_table(table, "pigz", "pigz: speed-up of -p N over -p 1 (from the medians)",
                           "-p", r"-p (\d+)")
    needs = sorted({f"{row['workload']}: {row['needs']}" for row in table
                    if row["needs"] and "error" in row["cells"].get("linuxuser", {})})
    if needs:
        lines += ["", "Workloads that fail under linuxuser wait for features still being built:", ""]
        lines += [f"- {n}" for n in needs]
    return "\n".join(lines) + "\n"


def scaling_table(table: list[dict], group: str, title: str, column: str, count: str) -> list[str]:
    """Markdown lines: for each row of `group`, the speed-up of each runner over
    the row of the same arch whose workload name has the count 1 (regex `count`)."""
    rows_ = [row for row in table if row["group"] == group]
    if not rows_:
        return []
    lines = ["", f"## {title}", "", f"| arch | {column} | native | qemu-user | linuxuser |",
             "|---|---|---|---|---|"]
    for row in rows_:
        n = re.search(count, row["workload"]).group(1)
        base = next((x for x in rows_ if x["arch"] == row["arch"]
                     and re.search(count, x["workload"]).group(1) == "1"), None)
        cells = []
        for runner in RUNNERS:
            a, b = (base or {}).get("cells", {}).get(runner), row["cells"].get(runner)
            if a is None or b is None:
                cells.append("—")
            elif "median" in a and "median" in b:
                cells.append(f"{a['median'] / b['median']:.2f}")
            else:
                cells.append("fails")
        lines.append(f"| {row['arch']} | {n} | " + " | ".join(cells) + " |")
    return lines


def chart(table: list[dict], info: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    shown = [row for row in table if "median" in row["cells"].get("qemu", {})]
    labels = [f"{label(row)} [{row['arch']}]" for row in shown]
    fig, ax = plt.subplots(figsize=(10, 0.32 * len(shown) + 1.6))
    y = range(len(shown))
    lu = [ratio(row, "linuxuser", "qemu") for row in shown]
    nat = [ratio(row, "native", "qemu") for row in shown]
    ax.barh([i + 0.2 for i in y], [v or 0 for v in lu], height=0.4, color="#d95f02",
            label="linuxuser ÷ qemu-user")
    ax.barh([i - 0.2 for i in y], [v or 0 for v in nat], height=0.4, color="#1b9e77",
            label="native ÷ qemu-user")
    for i, v in enumerate(lu):
        if v is None:
            ax.text(1.05, i + 0.2, "linuxuser fails", va="center", fontsize=7, color="#d95f02")
        else:
            ax.text(v * 1.05, i + 0.2, f"{v:.2f}×", va="center", fontsize=7)
    ax.set_xscale("log")
    values = [v for v in lu + nat if v]
    ax.set_xlim(min(values + [0.5]) / 1.5, max(values + [2]) * 2)
    ticks = [t for t in (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 1.5, 2, 5, 10, 20, 50, 100, 200)
             if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{t:g}×" for t in ticks], fontsize=7)
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.axvline(1.5, color="grey", linewidth=0.8, linestyle="--", label="target 1.5× (compute)")
    ax.set_yticks(list(y))
    ax.set_yticklabels(labels, fontsize=7)
    ax.set_xlabel("time relative to qemu-user (log scale; lower is faster)")
    ax.set_ylim(len(shown) - 0.4, -0.6)
    ax.legend(fontsize=7, loc="upper right")
    ax.set_title(f"linuxuser {info['linuxuser']} against qemu-user and native\n{info['cpu']}, "
                 f"{info['cores']} cores, {info['date']}", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ------------------------------------------------------------------ main


def select(names: str | None, known: tuple, what: str) -> list[str]:
    if not names:
        return list(known)
    chosen = [n.strip() for n in names.split(",") if n.strip()]
    unknown = [n for n in chosen if n not in known]
    if unknown:
        raise SystemExit(f"bench: unknown {what} {', '.join(unknown)} (known: {', '.join(known)})")
    return chosen


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bench", help=f"workload groups, comma-separated ({', '.join(GROUPS)})")
    ap.add_argument("--arch", help=f"guest arches, comma-separated ({', '.join(ARCHES)})")
    ap.add_argument("--reps", type=int, default=5, help="runs per runner (default 5)")
    ap.add_argument("--timeout", type=float, default=300, help="seconds per run (default 300)")
    ap.add_argument("--out", help="directory for benchmarks.md/.png (default: docs/ for a full "
                                  "run, build/bench/ for a selection)")
    ap.add_argument("--no-chart", action="store_true", help="skip the PNG (no matplotlib needed)")
    args = ap.parse_args(argv)
    if args.reps < 1:
        ap.error("--reps must be at least 1")
    groups = select(args.bench, GROUPS, "workload group")
    arches = select(args.arch, tuple(ARCHES), "arch")
    out = Path(args.out) if args.out else (
        BENCH_BUILD if args.bench or args.arch else REPO / "docs")
    out.mkdir(parents=True, exist_ok=True)

    def log(msg: str) -> None:
        print(msg, flush=True)

    load_before, started = os.getloadavg()[0], time.monotonic()
    log(f"bench: load average {load_before:.2f}; {args.reps} runs per runner")
    results = []
    for w in WORKLOADS:
        if w.group not in groups:
            continue
        for arch in arches:
            log(f"{w.name} [{arch}]")
            outcomes = run_workload(w, arch, args.reps, args.timeout, log)
            for runner, o in outcomes.items():
                if not o.error:
                    figures = ", ".join(f"{m} {fmt(statistics.median(v))}"
                                        for m, v in o.samples.items())
                    log(f"  {RUNNER_TITLES[runner]:10s} {figures}")
            results.append({"workload": w.name, "arch": arch, "outcomes": {
                r: {"samples": o.samples, "error": o.error, "check": o.check}
                for r, o in outcomes.items()}})
    meta = {"reps": args.reps, "load_before": load_before, "load_after": os.getloadavg()[0],
            "seconds": time.monotonic() - started}
    info = machine_info()
    table = rows(results)
    BENCH_BUILD.mkdir(parents=True, exist_ok=True)
    (BENCH_BUILD / "results.json").write_text(json.dumps(
        {"machine": info, "meta": meta, "results": results}, indent=1))
    (out / "benchmarks.md").write_text(markdown(table, info, meta))
    log(f"bench: wrote {out / 'benchmarks.md'}")
    if not args.no_chart:
        try:
            chart(table, info, out / "benchmarks.png")
            log(f"bench: wrote {out / 'benchmarks.png'}")
        except ImportError:
            log("bench: matplotlib is missing (make bench installs it): no chart")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
