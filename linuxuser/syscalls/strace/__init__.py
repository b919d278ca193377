"""strace's log format for linuxuser -strace: the tracer, the argument decoders and
the tables they use (see tracer.py for how a line is written)."""
from linuxuser.syscalls.strace.options import StraceOptions

__all__ = ["StraceOptions", "Tracer"]


def __getattr__(name: str):
    """`Tracer` is imported when first asked for: it brings the argument decoders
    and python-ptrace's prototypes (~15 ms), which a run without -strace never uses."""
    if name == "Tracer":
        from linuxuser.syscalls.strace.tracer import Tracer
        return Tracer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
