"""Guest system call number tables.

One module per guest architecture (``arm``, ``aarch64``, ``x86_64``,
``i386``), each holding ``NAMES: dict[int, str]`` that maps the number a guest
puts in its syscall register to the name strace prints for it.  The tables
follow the Linux kernel's own syscall tables (see each module's docstring for
the file and version); numbers the kernel leaves unassigned are absent.

Use :func:`syscall_names` rather than importing the modules directly: it only
imports the table that is asked for.
"""

import importlib

ARCHES = ("arm", "aarch64", "x86_64", "i386")


def syscall_names(arch: str) -> dict[int, str]:
    """Return the number -> name table for ``arch``.

    Raises KeyError for an architecture without a table.
    """
    if arch not in ARCHES:
        raise KeyError(arch)
    module = importlib.import_module(f"{__name__}.{arch}")
    return module.NAMES
