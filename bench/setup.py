#!/usr/bin/env python3
"""What `make bench` needs beyond `make setup`: matplotlib, and pigz from Debian.

pigz (issue #7's real workload) and the libraries it loads are the Debian
sysroot of the tests (tests/debianpkgs.py fetches it: `apt-get download`, then
`dpkg-deb -x` into build/debian/<debian arch>/), here for all four guest arches:
the sysroot given to qemu-user and linuxuser with -L (native runs use its own
loader).  Nothing is installed into the system but the foreign architectures'
package lists.  Idempotent.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

import debianpkgs  # noqa: E402  (tests/debianpkgs.py fetches Debian packages for both)


def log(msg: str) -> None:
    print(f"bench setup: {msg}", flush=True)


def ensure_matplotlib() -> None:
    try:
        import matplotlib  # noqa: F401
        return
    except ImportError:
        pass
    log("pip install matplotlib")
    cmd = [sys.executable, "-m", "pip", "install", "-q", "matplotlib"]
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_ROOT_USER_ACTION="ignore")
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if r.returncode != 0 and "externally-managed" in r.stderr + r.stdout:
        r = subprocess.run(cmd + ["--break-system-packages"], env=env, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"bench setup: pip install matplotlib failed:\n{r.stdout}{r.stderr}")


def main() -> int:
    ensure_matplotlib()
    debianpkgs.fetch([(debianpkgs.SETS["sysroot"], a) for a in debianpkgs.DEBIAN_ARCH.values()])
    return 0


if __name__ == "__main__":
    sys.exit(main())
