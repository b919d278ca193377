"""linuxuser's own log: -D FILE or stderr, whole lines, one writer at a time."""
from __future__ import annotations

import os
import threading


class Log:
    """Where diagnostics (strace lines, unsupported syscalls) go."""

    def __init__(self, path: str | None = None, append: bool = False) -> None:
        self._lock = threading.Lock()
        self._seen: set = set()
        if path:
            # O_APPEND: forked and exec'd guest processes write to the same file.
            flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC
            self._fd = os.open(path, flags | (0 if append else os.O_TRUNC), 0o644)
        else:
            # fd 2 itself, as qemu-user: a dup would take a descriptor number the
            # guest expects to get from its own first open().
            self._fd = 2

    def after_fork_child(self) -> None:
        self._lock = threading.Lock()

    def write(self, line: str) -> None:
        """Write one line atomically (a single write(2) under the lock)."""
        if self._fd < 0:
            return
        data = (line if line.endswith("\n") else line + "\n").encode("utf-8", "backslashreplace")
        with self._lock:
            while data:
                try:
                    n = os.write(self._fd, data)
                except OSError:
                    return
                data = data[n:]

    def once(self, key, line: str) -> None:
        """Write `line` the first time `key` is seen."""
        with self._lock:
            if key in self._seen:
                return
            self._seen.add(key)
        self.write(line)
