"""linuxuser: run Linux programs built for another CPU (armhf, AArch64, x86-64, i386).

A user-mode emulator in the family of qemu-user, on Unicorn, with one host thread
per guest thread.  See README.md for use and ../shared/DESIGN.md for the map.
"""

__version__ = "0.1.0"
