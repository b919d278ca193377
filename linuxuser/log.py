"""linuxuser's own log: -D FILE or stderr, whole lines, one writer at a time.

The strace tracer may leave a line open while a syscall runs (strace prints a
call's name and input arguments when it starts).  Anything else written
meanwhile first ends that line with " <unfinished ...>", as strace does; the
tracer then finishes the call on a "<... NAME resumed>" line of its own.
"""
from __future__ import annotations

import fcntl
import os
import resource
import threading
from typing import Callable

from linuxuser.errors import EXIT_LOG, LinuxUserError, die_of

# How far above the guest's RLIMIT_NOFILE the log goes (the kernel's descriptor
# table grows to hold it).
ABOVE_THE_LIMIT = 64


def _out_of_the_way(fd: int, avoid: int = -1) -> int:
    """Move the log file to a descriptor the guest does not reach: above its
    RLIMIT_NOFILE soft limit when the hard limit leaves room (the guest can
    neither open nor dup2 there), else high below it.  The guest's own open()
    calls then get the numbers they would get natively (strace's log is in
    another process; a -strace log must not shift the guest's fds)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    above = min(hard, soft + ABOVE_THE_LIMIT) - 1
    if above >= soft and above != avoid:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (above + 1, hard))
            try:
                return _move(fd, above)
            finally:
                resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        except (OSError, ValueError):
            pass
    for low in (max(3, min(soft, 1 << 16) - 16, avoid + 1), 3):
        try:
            return _move(fd, low)
        except OSError:
            continue
    return fd


def _move(fd: int, low: int) -> int:
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, low)
    os.close(fd)
    return high


class Log:
    """Where diagnostics (strace lines, unsupported syscalls) go."""

    def __init__(self, path: str | None = None, append: bool = False) -> None:
        self._lock = threading.Lock()
        self._seen: set = set()
        self._open: object | None = None      # who left the last line unfinished
        self._path = path
        if path:
            # O_APPEND: forked and exec'd guest processes write to the same file.
            flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC
            self._fd = _out_of_the_way(os.open(path, flags | (0 if append else os.O_TRUNC),
                                               0o644))
        else:
            # fd 2 itself, as qemu-user: a dup would take a descriptor number the
            # guest expects to get from its own first open().
            self._fd = 2

    def _emit(self, text: str) -> None:
        data = text.encode("utf-8", "backslashreplace")
        while data:
            try:
                n = os.write(self._fd, data)
            except OSError as err:
                if self._fd == 2:
                    return                # stderr closed or gone: nothing to say it on
                die_of(LinuxUserError(f"cannot write the log {self._path}: {err.strerror}",
                                      EXIT_LOG))
            data = data[n:]

    def _interrupt(self) -> None:
        if self._open is not None:
            self._emit(" <unfinished ...>\n")
            self._open = None

    @property
    def own_fds(self) -> set[int]:
        """The descriptors linuxuser holds for itself (a -D file), not the guest's."""
        return {self._fd} if self._fd > 2 else set()

    def move_off(self, fd: int) -> bool:
        """The guest wants descriptor `fd` (dup2): take the log elsewhere.
        False if there is no other descriptor for it (the guest holds every one)."""
        if fd == self._fd > 2:
            with self._lock:
                self._fd = _out_of_the_way(self._fd, avoid=fd)
                return self._fd != fd
        return True

    def after_fork_child(self) -> None:
        self._lock = threading.Lock()

    def write(self, line: str) -> None:
        """Write one line atomically (a single write(2) under the lock)."""
        if self._fd < 0:
            return
        with self._lock:
            self._interrupt()
            self._emit(line if line.endswith("\n") else line + "\n")

    def start_line(self, owner: object, text: str) -> None:
        """Write `text` and leave the line open for `owner` to finish."""
        with self._lock:
            self._interrupt()
            self._emit(text)
            self._open = owner

    def finish_line(self, owner: object, rest: Callable[[bool], str]) -> None:
        """End `owner`'s line: rest(True) continues it if it is still open, else
        rest(False) is written as a line of its own."""
        with self._lock:
            still_open = self._open is owner
            if not still_open:
                self._interrupt()
            self._open = None
            text = rest(still_open)
            self._emit(text if text.endswith("\n") else text + "\n")

    def forget_open_line(self) -> None:
        """In a forked child: the open line is the parent's to finish."""
        self._open = None

    def once(self, key, line: str) -> None:
        """Write `line` the first time `key` is seen."""
        with self._lock:
            if key in self._seen:
                return
            self._seen.add(key)
        self.write(line)
