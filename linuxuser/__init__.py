"""linuxuser: run Linux programs built for another CPU (armhf, AArch64, x86-64, i386).

A user-mode emulator in the family of qemu-user, on Unicorn, with one host thread
per guest thread.  See README.md for use, and its "How it is built" for the map of the pieces.
"""

__version__ = "0.1.0"

# Before anything imports unicorn: its library is chosen when it is imported.
from linuxuser.atomics import load_engine as _load_engine  # noqa: E402

_load_engine()
