"""Guest atomics and barriers on host atomics (issue #5).

Unicorn translates guest code for one CPU at a time: `lock add`, `xchg`,
`ldrex/strex`, `ldxr/stxr`, `cas`... become plain loads and stores and
barriers vanish, because QEMU only makes them real when a translation block is
made for a parallel context (CF_PARALLEL), which Unicorn never asks for.  Guest
threads here run at once on several host cores, so linuxuser runs a Unicorn
library built from the same release's sources with that one switch turned on
(unicorn-2.1.4-parallel.patch, built by `engine.py`): QEMU's own MTTCG code then
does every guest atomic as a host atomic on guest memory (cmpxchg-based LL/SC,
with a per-thread exclusive monitor) and every guest barrier as a host fence,
inline in the translated code, with no hook and no Python.

Per-site hooks were measured first (a C callback on each atomic instruction,
the first design considered): 0.13 µs per ldrex/strex pair with 2 hooks, but Unicorn
looks up the code hook of an instruction in a linked list of all code hooks,
so 0.7 µs with 100 hooks and 8.3 µs with 1000 (glibc alone has ~800 atomic
sites in a static ARM program, ~2000 in libc.so.6), and every instruction
translated pays the same walk.

The same patch fixes what Unicorn gets wrong once several engines run at once
(see the patch's header), notably that a stop asked for by another thread
could make Unicorn run the current instruction twice.  It also adds what makes
guest code fast, switched on per engine from here: TLB fills answered in C
(`serve_tlb_fills`) and, for ARM and AArch64, loads and stores that address
guest memory directly (`address_directly`, qemu-user's guest_base).

Without the parallel library (installed with LINUXUSER_ENGINE=stock, or
LIBUNICORN_PATH names another), guest threads take turns on the guest CPU
(`GuestCpuBaton` in linuxuser.threads): one at a time, preempted every few
milliseconds, as QEMU's single-threaded TCG runs them, so that Unicorn's plain
loads and stores are atomic enough.  Not exactly: PyPI's library may run an
instruction twice when the preemption stops it, so a run that starts a second
guest thread says, in one line, that its results are not guaranteed
(`TAKE_TURNS_WARNING`), and `linuxuser --version` names the engine in use.
"""
from __future__ import annotations

import ctypes
import os
import sys
from pathlib import Path

from linuxuser.atomics.engine import (ENGINE_DIR, ENGINE_NAME, ENGINE_VARIABLE,
                                      UNICORN_VERSION, built_patch_digest, is_built,
                                      patch_digest)

# LINUXUSER_ENGINE=stock at run time runs PyPI's Unicorn, for comparison, and
# silences the warning: the user asked for it.
TAKE_TURNS_WARNING = ("linuxuser: warning: running without linuxuser's parallel engine "
                      "(see linuxuser --version): guest threads take turns on one CPU and "
                      "their results are not guaranteed")


def load_engine() -> None:
    """Make the unicorn binding load the parallel library, if it is built.

    Must run before anything imports `unicorn` (linuxuser/__init__ calls it);
    the variable the binding reads is removed again so that guests do not
    inherit it.
    """
    if "unicorn" in sys.modules or os.environ.get("LIBUNICORN_PATH"):
        return
    if os.environ.get(ENGINE_VARIABLE) == "stock" or not (ENGINE_DIR / ENGINE_NAME).exists():
        return
    os.environ["LIBUNICORN_PATH"] = str(ENGINE_DIR)
    try:
        import unicorn
    finally:
        del os.environ["LIBUNICORN_PATH"]
    if unicorn.__version__ != UNICORN_VERSION:     # setup.cfg pins the binding to it
        sys.stderr.write(f"linuxuser: warning: the unicorn binding is {unicorn.__version__} "
                         f"but linuxuser's Unicorn build is {UNICORN_VERSION} (make setup)\n")


def parallel_atomics() -> bool:
    """True if the loaded Unicorn does guest atomics as host atomics."""
    return _patch_function("uc_linuxuser_parallel") is not None


def engine_description() -> str:
    """The engine in use, for `linuxuser --version`: the patched build and its
    patch's hash, or stock Unicorn and why."""
    from unicorn import __version__ as version
    from unicorn.unicorn_py3 import unicorn as binding
    library = binding.uclib._name
    if parallel_atomics():
        patch = built_patch_digest(Path(library).parent) or "of unknown hash"
        stale = ""
        if Path(library).parent == ENGINE_DIR and not is_built():
            stale = f" [out of date: the patch is now {patch_digest()}; make setup rebuilds]"
        return (f"engine: linuxuser's Unicorn {version} (patch {patch}): guest threads "
                f"run in parallel{stale}\nlibrary: {library}")
    if os.environ.get(ENGINE_VARIABLE) == "stock":
        why = f"{ENGINE_VARIABLE}=stock"
    elif os.environ.get("LIBUNICORN_PATH"):
        why = "LIBUNICORN_PATH names it"
    else:
        why = "linuxuser's engine is not installed: see README.md, \"pip install\""
    return (f"engine: stock Unicorn {version} ({why}): guest threads take turns\n"
            f"library: {library}")


def _patch_function(name: str, *argtypes):
    """The loaded Unicorn's function `name`, one the patch adds, declared as
    returning an int and taking `argtypes`; None in PyPI's library."""
    from unicorn.unicorn_py3 import unicorn as binding
    function = getattr(binding.uclib, name, None)
    if function is not None:
        function.argtypes, function.restype = argtypes, ctypes.c_int
    return function


def serve_tlb_fills(uc, end: int) -> bool:
    """Let the engine answer its own TLB fills of data pages below `end` that its
    map allows (linuxuser's Unicorn only; see the patch's header).  The Python
    fill hook then runs only for faults, instruction fetches and pages another
    thread mapped since the engine last synced: a fill costs ~1.5 µs in Python,
    and a guest touching memory at random made one per few loads."""
    serve = _patch_function("uc_linuxuser_fast_tlb_fill", ctypes.c_void_p, ctypes.c_uint64)
    return serve is not None and serve(uc._uch, end) == 0


def address_directly(uc, base: int, size: int) -> bool:
    """Make the engine's guest loads and stores address host memory at `base` +
    address (linuxuser's Unicorn, ARM and AArch64 engines; see the patch's
    header): the host's page protections then decide what the guest may touch."""
    direct = _patch_function("uc_linuxuser_direct", ctypes.c_void_p, ctypes.c_uint64,
                             ctypes.c_uint64)
    return direct is not None and direct(uc._uch, base, size) == 0


def direct_fault(uc) -> tuple[int, int]:
    """(host signal, guest address) of the engine's last fault under direct addressing."""
    fault = _patch_function("uc_linuxuser_fault", ctypes.c_void_p,
                            ctypes.POINTER(ctypes.c_uint64))
    address = ctypes.c_uint64()
    sig = fault(uc._uch, ctypes.byref(address))
    return sig, address.value
