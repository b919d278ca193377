"""Packaging (setup.cfg holds the metadata): `pip install` also builds
linuxuser's Unicorn, the engine that runs guest threads in parallel with exact
atomics (linuxuser/atomics/engine.py).  If that build fails, the install goes
on with one warning: linuxuser then runs PyPI's Unicorn and guest threads take
turns."""
import subprocess
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class build_py_and_engine(build_py):
    def run(self):
        super().run()
        engine = HERE / "linuxuser" / "atomics" / "engine.py"
        result = subprocess.run([sys.executable, str(engine), "--quiet"])
        if result.returncode:
            print("linuxuser: WARNING: the parallel engine was not built; "
                  "run 'python3 linuxuser/atomics/engine.py' to see why", file=sys.stderr)
            return
        if not getattr(self, "editable_mode", False):
            # A regular install: the package in build_lib carries the library.
            lib = Path(self.build_lib) / "linuxuser" / "atomics" / "lib"
            lib.mkdir(parents=True, exist_ok=True)
            for f in (HERE / "linuxuser" / "atomics" / "lib").iterdir():
                (lib / f.name).write_bytes(f.read_bytes())


setup(cmdclass={"build_py": build_py_and_engine})
