"""Errors that end linuxuser with one line on stderr (never a traceback).

Each way linuxuser itself can fail has its own exit status (sysexits.h's
numbers); LINUXUSER_DEBUG=1 adds the Python traceback before the line.
"""
from __future__ import annotations

import os
import threading
import traceback

EXIT_INTERNAL = 70        # EX_SOFTWARE: a bug in linuxuser
EXIT_HOST_RESOURCES = 71  # EX_OSERR: the host refused memory (the reservation, a MemoryError)
EXIT_LOG = 74             # EX_IOERR: the log (-D FILE) cannot be written


class LinuxUserError(Exception):
    """A user-facing failure: printed as `linuxuser: MESSAGE`, exit with `status`."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


class ExecError(LinuxUserError):
    """The program cannot be executed (bad file, bad ELF, unsupported arch)."""

    def __init__(self, path: str, reason: str, status: int = 126) -> None:
        super().__init__(f"{path}: {reason}", status)


class GuestFault(Exception):
    """A guest pointer handed to a syscall is not mapped with the needed access."""

    def __init__(self, addr: int) -> None:
        super().__init__(f"bad guest address {addr:#x}")
        self.addr = addr


def failure(err: BaseException) -> tuple[str, int]:
    """The one line (without `linuxuser: `) and the exit status for `err`."""
    if isinstance(err, LinuxUserError):
        return str(err), err.status
    if isinstance(err, MemoryError):
        return "out of memory (host)", EXIT_HOST_RESOURCES
    return (f"internal error: {type(err).__name__}: {err} "
            "(set LINUXUSER_DEBUG=1 for a traceback)", EXIT_INTERNAL)


def say(line: str) -> None:
    """Write `linuxuser: LINE` to stderr, even when sys.stderr is gone (fd 2 closed)."""
    try:
        os.write(2, f"linuxuser: {line}\n".encode("utf-8", "backslashreplace"))
    except OSError:
        pass


def report_failure(err: BaseException) -> int:
    """Say why linuxuser fails (the traceback too under LINUXUSER_DEBUG); its exit status."""
    line, status = failure(err)
    if os.environ.get("LINUXUSER_DEBUG") and not isinstance(err, LinuxUserError):
        say("".join(traceback.format_exception(err)).rstrip("\n"))
    say(line)
    return status


_dying = threading.Lock()


def die_of(err: BaseException) -> None:
    """End the host process at once because of `err` (any thread may call this;
    the first one says why, the others wait for the end)."""
    _dying.acquire()
    os._exit(report_failure(err))
