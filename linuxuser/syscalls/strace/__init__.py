"""strace's log format for linuxuser -strace: the tracer, the argument decoders and
the tables they use (see tracer.py for how a line is written)."""
from linuxuser.syscalls.strace.options import StraceOptions
from linuxuser.syscalls.strace.tracer import Tracer

__all__ = ["StraceOptions", "Tracer"]
