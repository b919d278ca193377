"""Packaging (setup.cfg holds the metadata): building linuxuser's wheel also
builds linuxuser's Unicorn, the engine that runs guest threads in parallel with
exact atomics (linuxuser/atomics/engine.py), and ships it in the wheel, which is
therefore tagged for this platform.  If the engine cannot be built the build
fails with one paragraph saying why, unless LINUXUSER_ENGINE=stock asks for
PyPI's Unicorn (guest threads then take turns)."""
import importlib.util
import os
import shutil
import sys
from pathlib import Path

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

try:
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:                       # setuptools < 70.1
    from wheel.bdist_wheel import bdist_wheel

HERE = Path(__file__).resolve().parent
# engine.py alone: importing the linuxuser package would import unicorn.
_spec = importlib.util.spec_from_file_location("linuxuser_engine",
                                               HERE / "linuxuser" / "atomics" / "engine.py")
engine = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(engine)


class build_py_and_engine(build_py):
    """The engine first, into the checkout's linuxuser/atomics/lib (an editable
    install loads it there; a second build reuses it while the patch is
    unchanged), then build_py, then the engine from there into the wheel."""

    def run(self):
        lib = Path(self.build_lib) / "linuxuser" / "atomics" / "lib"
        if os.environ.get(engine.ENGINE_VARIABLE) == "stock":
            print(f"linuxuser: {engine.ENGINE_VARIABLE}=stock: installing without the "
                  "parallel engine (guest threads will take turns)", file=sys.stderr)
            shutil.rmtree(lib, ignore_errors=True)      # an earlier build's, in build/
            super().run()
            return
        try:        # first, so that a failure's paragraph ends a short log
            built = engine.build(log=lambda msg: print(f"engine: {msg}", flush=True))
        except engine.EngineBuildError as err:
            engine.report_failure(err)
            raise SystemExit(1) from None
        super().run()
        if not getattr(self, "editable_mode", False):
            lib.mkdir(parents=True, exist_ok=True)
            for name in (built.name, "STAMP"):
                shutil.copy2(built.parent / name, lib / name)


class DistributionWithNativeCode(Distribution):
    """The package holds a native library: installed as platform code (the
    wheel's root is platlib, not purelib)."""

    def has_ext_modules(self):
        return True


class bdist_wheel_for_this_platform(bdist_wheel):
    """The library is no Python extension: the wheel suits any Python 3 on this
    platform only (py3-none-linux_x86_64), and pip caches it as such."""

    def get_tag(self):
        _, _, platform = super().get_tag()
        return "py3", "none", platform


setup(distclass=DistributionWithNativeCode,
      cmdclass={"build_py": build_py_and_engine, "bdist_wheel": bdist_wheel_for_this_platform})
