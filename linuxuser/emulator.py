"""Starting a guest program: load it, make its first vCPU, run, end like it."""
from __future__ import annotations

import os
import signal
import threading
from typing import NoReturn

from linuxuser.errors import die_of
from linuxuser.loader.elf import read_elf
from linuxuser.loader.load import load_program
from linuxuser.loader.sysroot import default_sysroot
from linuxuser.process import GuestProcess, Options
from linuxuser.translate.vcpu import Vcpu


def run_program(options: Options, program: str, argv: list[bytes],
                envp: list[bytes]) -> NoReturn:
    """Run `program` with `argv` and `envp`; exit as the guest exits (code or signal)."""
    # A failure on a guest thread's host thread ends linuxuser as one on the main thread.
    threading.excepthook = lambda hook_args: die_of(hook_args.exc_value)
    elf = read_elf(program)
    if options.sysroot is None:
        options.sysroot = default_sysroot(elf.arch, elf.interp)
    process = GuestProcess(elf.arch, options)
    process.exe_path = os.path.realpath(program)
    process.argv = argv
    vcpu = Vcpu(process)
    hwcaps = elf.arch.hwcaps(vcpu.uc)       # before any guest memory is mapped in
    vcpu.attach_memory()
    vcpu.tid = process.pid
    process.threads.add(vcpu)
    entry, sp = load_program(process, elf, argv, envp, os.fsencode(program), hwcaps)
    elf.arch.set_start_state(vcpu.uc, entry, sp)
    if "page" in options.debug:
        process.debug_log.page()
    process.inherit_host_dispositions()
    # The signal mask crosses execve: a guest that exec'd us left its mask on the host.
    vcpu.sigmask = sum(1 << (sig - 1) for sig in signal.pthread_sigmask(signal.SIG_BLOCK, []))
    reset_host_signals()
    vcpu.run()
    # The main guest thread called exit(2) while others run: they end the process.
    process.wait_for_end()


def reset_host_signals() -> None:
    """The guest starts with every signal at its default action.

    Python ignores SIGPIPE and catches SIGINT; undo both (and SIGXFSZ) so that
    `guest | head -1` and Ctrl-C end the guest as they would natively.  A SIGINT
    that was already ignored when we started (a background job) stays ignored.
    """
    for sig in (signal.SIGPIPE, signal.SIGXFSZ):
        signal.signal(sig, signal.SIG_DFL)
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
