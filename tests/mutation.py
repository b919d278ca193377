#!/usr/bin/env python3
"""Mutation testing of linuxuser's core with cosmic-ray (`make mutation`).

Each core module is mutated one change at a time (an operator, a comparison, a
constant, a condition negated, a loop skipped...) and only the test files that
cover it run against each mutant: MODULE_TESTS maps one to the other.  A
mutant the tests do not fail on "survives"; docs/testing.md lists the last
run's survivors and says which are equivalent.

Mutants are applied in place by cosmic-ray, so each worker runs in its own copy
of the checkout under build/mutation/ (the working tree is never touched), with
the built engine and guest programs copied in.  Workers (-j, default 2) take
modules from the list in turn.  By default a fixed random sample of each
module's mutants runs (--sample).  A mutant is killed by a failing test; the
report counts apart the ones killed only by linuxuser's deadline or
cosmic-ray's timeout (a hang), which is not what the tests are for.

    python tests/mutation.py                      # every module of MODULE_TESTS
    python tests/mutation.py -m linuxuser/syscalls/mm.py -j 1 --sample 0   # all its mutants
    python tests/mutation.py --list
"""
from __future__ import annotations

import argparse
import json
import os
import queue
import shutil
import subprocess
import sys
import sysconfig
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "build" / "mutation"

# module -> the tests that cover it (pytest arguments).  Chosen so that a full
# run fits in about an hour on two cores: the files that exercise the module,
# not the whole suite.
MODULE_TESTS: dict[str, list[str]] = {
    "linuxuser/syscalls/mm.py": [
        "tests/test_memory.py", "tests/test_memory_calls.py",
        "tests/test_initial_stack.py::test_brk_grows_shrinks_and_regrows_like_linux",
        "tests/test_parallel.py::test_exclusive_sections_stop_threads_in_guest_code"],
    "linuxuser/loader/load.py": [
        "tests/test_initial_stack.py", "tests/test_dynamic_basics.py", "tests/test_bad_input.py"],
    "linuxuser/loader/elf.py": ["tests/test_bad_input.py", "tests/test_dynamic_basics.py"],
    "linuxuser/memory.py": [
        "tests/test_memory.py", "tests/test_memory_calls.py", "tests/test_initial_stack.py",
        "tests/test_parallel.py", "tests/test_threads.py",
        "-k", "not threads_match or mapping or jit"],
    "linuxuser/threads.py": ["tests/test_parallel.py", "tests/test_threads.py"],
    "linuxuser/process.py": ["tests/test_static_programs.py", "tests/test_children.py"],
    "linuxuser/syscalls/fds.py": ["tests/test_static_programs.py", "tests/test_structs.py"],
    "linuxuser/syscalls/fs.py": ["tests/test_static_programs.py", "tests/test_structs.py"],
    "linuxuser/syscalls/thread.py": ["tests/test_threads.py", "tests/test_parallel.py"],
    "linuxuser/syscalls/futex.py": ["tests/test_threads.py", "-k", "futex or condvar or barrier"],
    "linuxuser/translate/vcpu.py": ["tests/test_static_programs.py", "tests/test_parallel.py"],
    "linuxuser/syscalls/strace/format.py": ["tests/test_strace.py", "tests/test_strace_format.py"],
}

# Operators kept: the changes a reviewer would try (off-by-one comparisons,
# ==/!=, +/-, |/&, and/or, a negated condition, True/False, a constant +-1, an
# exception type, a loop that never runs, break/continue, a decorator dropped).
# The rest (every arithmetic operator into every other, variable renaming)
# multiplies the count without finding anything these do not.
EXCLUDED_OPERATORS = [
    r"core/ReplaceBinaryOperator_(?!Add_Sub|Sub_Add|BitOr_BitAnd|BitAnd_BitOr|Mul_Add"
    r"|FloorDiv_Mul|Mod_FloorDiv|LShift_RShift|RShift_LShift).*",
    r"core/ReplaceComparisonOperator_(?!Eq_NotEq|NotEq_Eq|Lt_LtE|LtE_Lt|Gt_GtE|GtE_Gt"
    r"|Is_IsNot|IsNot_Is|In_NotIn|NotIn_In).*",
    r"core/ReplaceUnaryOperator_(?!Delete_).*",
    r"core/VariableReplacer", r"core/VariableInserter",
]
# A hang is killed by linuxuser's deadline (the harness's report) or, failing
# that, by cosmic-ray after TIMEOUT seconds.
TIMEOUT = 600.0
DEADLINE_MARK = "LINUXUSER_DEADLINE"
# Mutants per module by default: the kept operators make 100-400 per module, and
# a mutant costs 5-20 s of tests; 40 per module make a full run about an hour
# on two cores.  --sample 0 runs them all.
SAMPLE = 40


def tool(name: str) -> str:
    """cosmic-ray's command `name`, installed beside this Python (make mutation)."""
    scripts = sysconfig.get_path("scripts")
    found = shutil.which(name, path=os.pathsep.join([scripts, os.environ.get("PATH", "")]))
    if found is None:
        sys.exit(f"mutation: {name} not found: 'make mutation' installs cosmic-ray")
    return found


def make_tree(worker: int) -> Path:
    """A copy of the checkout for one worker: its sources as they are now
    (committed or not), the built engine and the guest programs."""
    tree = WORK / f"tree{worker}"
    if tree.exists():
        shutil.rmtree(tree)
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=REPO,
                           capture_output=True, text=True, check=True).stdout.split()
    for name in files:
        src = REPO / name
        if src.is_file():
            (tree / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, tree / name)
    for built in ("linuxuser/atomics/lib", "build/guest", "build/debian", "build/busybox"):
        if (REPO / built).exists():
            shutil.copytree(REPO / built, tree / built, symlinks=True)
    # cosmic-ray runs the tests without writing bytecode: compile the package
    # once, or every linuxuser run would compile it all again.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "linuxuser")], check=True)
    return tree


def config_text(module: str, tests: list[str]) -> str:
    command = " ".join([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                        *(f"'{t}'" if " " in t else t for t in tests)])
    excluded = ", ".join(json.dumps(e) for e in EXCLUDED_OPERATORS)
    return (f'[cosmic-ray]\nmodule-path = "{module}"\ntimeout = {TIMEOUT}\n'
            f'excluded-modules = []\ntest-command = "{command}"\n\n'
            f'[cosmic-ray.distributor]\nname = "local"\n\n'
            f'[cosmic-ray.filters.operators-filter]\nexclude-operators = [{excluded}]\n')


def keep_sample(session: Path, size: int, seed: str) -> None:
    """Skip all but `size` of the session's pending mutants, the same ones every
    run (chosen at random with the module's name as the seed)."""
    import random

    from cosmic_ray.work_db import use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    def place(item):                   # job ids are random: order by the mutation itself
        m = item.mutations[0]
        return (str(m.module_path), tuple(m.start_pos), m.operator_name, m.occurrence)

    with use_db(str(session)) as db:
        pending = [item.job_id for item in sorted(db.pending_work_items, key=place)]
        keep = set(random.Random(seed).sample(pending, min(size, len(pending))))
        for job in pending:
            if job not in keep:
                db.set_result(job, WorkResult(output="not in the sample",
                                              worker_outcome=WorkerOutcome.SKIPPED))


def mutate(tree: Path, module: str, tests: list[str], sample: int | None) -> dict:
    """Run every mutant of `module` in `tree`; the module's results."""
    stem = module.replace("/", "_").removesuffix(".py")
    config, session = WORK / f"{stem}.toml", WORK / f"{stem}.sqlite"
    config.write_text(config_text(module, tests))
    session.unlink(missing_ok=True)
    # The mutated module is compiled afresh for every mutant (a cached one with
    # the same size and mtime second would hide the mutation).
    for cached in (tree / module).parent.glob(f"__pycache__/{Path(module).stem}.*.pyc"):
        cached.unlink()
    run = lambda *cmd: subprocess.run(cmd, cwd=tree, capture_output=True, text=True, check=True)
    start = time.monotonic()
    run(tool("cosmic-ray"), "init", str(config), str(session))
    run(tool("cr-filter-operators"), str(session), str(config))
    if sample:
        keep_sample(session, sample, module)
    run(tool("cosmic-ray"), "exec", str(config), str(session))
    seconds = time.monotonic() - start
    results = {"module": module, "tests": tests, "seconds": round(seconds),
               "killed": 0, "killed_by_hang": 0, "survived": [], "incompetent": 0}
    for line in run(tool("cosmic-ray"), "dump", str(session)).stdout.splitlines():
        item, result = json.loads(line)
        if result is None or result.get("worker_outcome") == "skipped":
            continue
        if result["test_outcome"] == "survived":
            m = item["mutations"][0]
            results["survived"].append({"line": m["start_pos"][0], "operator": m["operator_name"],
                                        "occurrence": m["occurrence"], "diff": result["diff"]})
        elif result["test_outcome"] == "killed":
            output = result.get("output") or ""
            hang = output == "timeout" or DEADLINE_MARK in output
            results["killed_by_hang" if hang else "killed"] += 1
        else:
            results["incompetent"] += 1
    return results


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-m", "--module", action="append", help="module path (repeatable; default: all)")
    ap.add_argument("-j", "--jobs", type=int, default=2, help="workers (one tree each)")
    ap.add_argument("--sample", type=int, default=SAMPLE,
                    help=f"mutants per module, chosen at random, the same every run "
                         f"(default {SAMPLE}; 0: all)")
    ap.add_argument("--list", action="store_true", help="modules and their tests")
    args = ap.parse_args(argv)
    if args.list:
        for module, tests in MODULE_TESTS.items():
            print(f"{module}: {' '.join(tests)}")
        return 0
    modules = args.module or list(MODULE_TESTS)
    unknown = [m for m in modules if m not in MODULE_TESTS]
    if unknown:
        ap.error(f"no tests mapped for {', '.join(unknown)} (see MODULE_TESTS)")
    WORK.mkdir(parents=True, exist_ok=True)
    todo: queue.Queue = queue.Queue()
    for m in modules:
        todo.put(m)
    report: list[dict] = []
    start = time.monotonic()

    def worker(n: int) -> None:
        tree = make_tree(n)
        while True:
            try:
                module = todo.get_nowait()
            except queue.Empty:
                return
            result = mutate(tree, module, MODULE_TESTS[module], args.sample)
            report.append(result)
            total = result["killed"] + result["killed_by_hang"] + len(result["survived"])
            print(f"{module}: {result['killed']}/{total} killed by failing tests, "
                  f"{result['killed_by_hang']} by a hang, {len(result['survived'])} survived "
                  f"({result['seconds']} s)", flush=True)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(args.jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out = WORK / "report.json"
    out.write_text(json.dumps({"seconds": round(time.monotonic() - start), "modules": report},
                              indent=1))
    killed = sum(r["killed"] for r in report)
    total = sum(r["killed"] + r["killed_by_hang"] + len(r["survived"]) for r in report)
    print(f"score: {killed}/{total} = {100 * killed / max(total, 1):.1f}% killed by failing "
          f"tests in {time.monotonic() - start:.0f} s; survivors with their diffs in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
