"""`python -m linuxuser` is the `linuxuser` command."""
from linuxuser.cli import main

raise SystemExit(main())
