"""`python -m linuxuser` is the `linuxuser` command.

A guest's execve of another guest program runs this file by its path
(`python -E .../linuxuser/__main__.py`), so that the child uses this same
checkout whatever the guest's environment says.
"""
import os
import sys

if not __package__:
    sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from linuxuser.cli import main  # noqa: E402

raise SystemExit(main())
