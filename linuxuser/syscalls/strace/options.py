"""strace's options as linuxuser takes them: -e expressions, -s, -t/-tt/-ttt, -T, -c/-C, -S."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from linuxuser.errors import LinuxUserError
from linuxuser.syscalls.strace import format as F
from linuxuser.syscalls.strace import xlat
from linuxuser.syscalls.strace.sysent import CLASSES, NARGS

# strace's class names (with their old spellings without the %).
CLASS_ALIASES = {"net": "network"}
OLD_CLASS_NAMES = {"file", "process", "network", "signal", "ipc", "desc", "memory"}
STATUSES = {"successful", "failed", "unfinished", "unavailable", "detached"}
SORT_KEYS = {"time": "time", "time_total": "time", "total_time": "time", "calls": "calls",
             "count": "calls", "errors": "errors", "error": "errors", "name": "name",
             "syscall": "name", "syscall_name": "name", "nothing": "nothing", "none": "nothing"}


@dataclass
class StraceOptions:
    """What -strace's companions asked for (strace's meaning of each option)."""
    string_limit: int = 32                    # -s
    timestamps: int = 0                       # -t 1, -tt 2, -ttt 3
    durations: bool = False                   # -T
    summary: str = ""                         # "" none, "only" (-c), "also" (-C)
    sort_by: str = "time"                     # -S
    traced: frozenset[str] | None = None      # -e trace=; None: every syscall
    signals: frozenset[int] | None = None     # -e signal=; None: every signal
    statuses: frozenset[str] | None = None    # -e status=; None: every line
    expressions: list[str] = field(default_factory=list)

    def add_expression(self, expr: str) -> None:
        """-e [QUALIFIER=][!]SET: trace (the default qualifier), signal, status."""
        qualifier, eq, value = expr.partition("=")
        if not eq:
            qualifier, value = "trace", expr
        qualifier = {"t": "trace", "s": "signal", "signals": "signal"}.get(qualifier, qualifier)
        if qualifier == "trace":
            self.traced = _merge(self.traced, _syscall_set(value))
        elif qualifier == "signal":
            self.signals = _signal_set(value)
        elif qualifier == "status":
            self.statuses = _status_set(value)
        else:
            raise LinuxUserError(f"invalid -e qualifier {qualifier!r} "
                                 "(supported: trace, signal, status)", 2)
        self.expressions.append(expr)

    def set_sort(self, key: str) -> None:
        if key not in SORT_KEYS:
            raise LinuxUserError(f"invalid sortby: {key!r}", 2)
        self.sort_by = SORT_KEYS[key]


def _merge(old: frozenset[str] | None, new: frozenset[str]) -> frozenset[str]:
    return new if old is None else old | new


def _negatable(value: str) -> tuple[bool, list[str]]:
    negate = value.startswith("!")
    items = [item for item in value.lstrip("!").split(",") if item]
    return negate, items


def all_syscall_names() -> frozenset[str]:
    from linuxuser.syscalls.numbers import syscall_names
    names = set(NARGS)
    for arch in ("arm", "aarch64", "x86_64", "i386"):
        names.update(syscall_names(arch).values())
    return frozenset(names)


def _syscall_set(value: str) -> frozenset[str]:
    every = all_syscall_names()
    negate, items = _negatable(value)
    chosen: set[str] = set()
    for item in items:
        optional = item.startswith("?")
        item = item.lstrip("?")
        if item == "all":
            chosen |= every
        elif item == "none":
            continue
        elif item.startswith("%") or item in OLD_CLASS_NAMES:
            name = item.lstrip("%") if not item.startswith("%%") else "%" + item[2:]
            name = CLASS_ALIASES.get(name, name)
            if name not in CLASSES:
                if optional:
                    continue
                raise LinuxUserError(f"invalid system call class {item!r}", 2)
            chosen |= CLASSES[name]
        elif item.startswith("/"):
            try:
                pattern = re.compile(item[1:])
            except re.error as err:
                raise LinuxUserError(f"invalid regular expression {item[1:]!r}: {err}", 2) from None
            chosen |= {n for n in every if pattern.search(n)}
        elif item in every:
            chosen.add(item)
        elif not optional:
            raise LinuxUserError(f"invalid system call {item!r}", 2)
    return every - chosen if negate else frozenset(chosen)


def _signal_set(value: str) -> frozenset[int]:
    negate, items = _negatable(value)
    every = set(range(1, xlat.SIGRTMAX + 1))
    chosen: set[int] = set()
    for item in items:
        if item == "all":
            chosen |= every
            continue
        if item == "none":
            continue
        if item.isdigit() and 0 < int(item) <= xlat.SIGRTMAX:
            chosen.add(int(item))
            continue
        name = item.upper()
        name = name if name.startswith("SIG") else "SIG" + name
        found = [s for s in every if F.signal_name(s) == name]
        if not found:
            raise LinuxUserError(f"invalid signal {item!r}", 2)
        chosen.update(found)
    return frozenset(every - chosen if negate else chosen)


def _status_set(value: str) -> frozenset[str]:
    negate, items = _negatable(value)
    chosen = set()
    for item in items:
        if item == "all":
            chosen |= STATUSES
        elif item == "none":
            continue
        elif item in STATUSES:
            chosen.add(item)
        else:
            raise LinuxUserError(f"invalid status {item!r}", 2)
    return frozenset(STATUSES - chosen if negate else chosen)
