"""The `linuxuser` command: qemu-user's options, then PROGRAM [ARGS...]."""
from __future__ import annotations

import os
import sys
import traceback

from linuxuser import __version__
from linuxuser.errors import LinuxUserError
from linuxuser.process import Options

USAGE = """\
usage: linuxuser [options] PROGRAM [ARGS...]

Run a Linux program built for 32-bit ARM (armhf), AArch64, x86-64 or i386.
The guest's architecture is read from its ELF header.

Options (qemu-user's; each also works with two dashes):
  -h, --help              show this help and exit
  -version, --version     show the version and exit
  -L PATH, --sysroot PATH guest sysroot: absolute paths and the dynamic loader
                          are looked up here first (env QEMU_LD_PREFIX)
  -E VAR=VALUE[,...]      set a variable in the guest's environment
  -U VAR[,...]            remove a variable from the guest's environment
  -0 ARGV0, --argv0 ARGV0 pass ARGV0 as the guest's argv[0]
  -s SIZE, --stack-size SIZE
                          main thread stack size (suffixes k, M, G; default 8M)
  -strace, --strace       log each syscall
  -D FILE, --log-file FILE
                          write logs to FILE instead of stderr
  -d ITEM[,...]           debug log items (accepted for qemu compatibility)

The host environment is passed to the guest.  The exit status is the guest's:
exit code N gives N; a guest killed by signal S kills linuxuser with S.
"""

# option -> (canonical name, takes a value)
_OPTIONS = {
    "h": ("help", False), "help": ("help", False),
    "version": ("version", False),
    "L": ("sysroot", True), "sysroot": ("sysroot", True),
    "E": ("env", True), "env": ("env", True),
    "U": ("unset", True), "unset-env": ("unset", True), "unset": ("unset", True),
    "0": ("argv0", True), "argv0": ("argv0", True),
    "s": ("stack", True), "stack-size": ("stack", True),
    "strace": ("strace", False),
    "D": ("log", True), "log-file": ("log", True),
    "log-file-append": ("log_append", True),       # used by a guest's execve
    "d": ("debug", True), "debug": ("debug", True),
}


def parse_size(text: str) -> int:
    units = {"k": 1 << 10, "K": 1 << 10, "m": 1 << 20, "M": 1 << 20, "g": 1 << 30, "G": 1 << 30}
    try:
        if text and text[-1] in units:
            return int(text[:-1]) * units[text[-1]]
        return int(text, 0)
    except ValueError:
        raise LinuxUserError(f"invalid size: {text!r}", 2) from None


def parse_args(args: list[str]) -> tuple[Options, list[str], dict, str | None]:
    """-> (options, [PROGRAM, ARGS...], environment changes, argv0)."""
    options = Options(sysroot=os.environ.get("QEMU_LD_PREFIX") or None)
    env_changes: dict[str, str | None] = {}
    argv0 = None
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            i += 1
            break
        if not arg.startswith("-") or arg == "-":
            break
        name, _, inline = arg.lstrip("-").partition("=")
        if name not in _OPTIONS:
            raise LinuxUserError(f"unknown option {arg!r} (see linuxuser --help)", 2)
        key, takes_value = _OPTIONS[name]
        if inline and not (takes_value and arg.startswith("--")):
            raise LinuxUserError(f"unknown option {arg!r} (see linuxuser --help)", 2)
        value = None
        if takes_value:
            if inline and arg.startswith("--"):
                value = inline
            else:
                i += 1
                if i >= len(args):
                    raise LinuxUserError(f"option {arg} needs a value", 2)
                value = args[i]
        i += 1
        if key == "help":
            sys.stdout.write(USAGE)
            raise SystemExit(0)
        if key == "version":
            sys.stdout.write(f"linuxuser {__version__}\n")
            raise SystemExit(0)
        if key == "sysroot":
            options.sysroot = value
        elif key == "env":
            for item in value.split(","):
                var, eq, val = item.partition("=")
                if not eq or not var:
                    raise LinuxUserError(f"-E wants VAR=VALUE, not {item!r}", 2)
                env_changes[var] = val
        elif key == "unset":
            for var in value.split(","):
                env_changes[var] = None
        elif key == "argv0":
            argv0 = value
        elif key == "stack":
            options.stack_size = parse_size(value)
        elif key == "strace":
            options.strace = True
        elif key == "log":
            options.log_file = value
        elif key == "log_append":
            options.log_file, options.log_append = value, True
        elif key == "debug":
            options.debug.update(v for v in value.split(",") if v)
            if "strace" in options.debug:
                options.strace = True
    rest = args[i:]
    if not rest:
        raise LinuxUserError("no program given (usage: linuxuser [options] PROGRAM [ARGS...])", 2)
    if options.sysroot and not os.path.isdir(options.sysroot):
        raise LinuxUserError(f"sysroot {options.sysroot}: not a directory", 2)
    return options, rest, env_changes, argv0


def initial_environment() -> dict[bytes, bytes]:
    """The environment linuxuser was started with.

    Python may add LC_CTYPE=C.UTF-8 to os.environ at start-up (PEP 538 locale
    coercion); /proc/self/environ still has what execve passed.
    """
    try:
        with open("/proc/self/environ", "rb") as f:
            entries = f.read().split(b"\0")
    except OSError:
        return dict(os.environb)
    return dict(e.split(b"=", 1) for e in entries if b"=" in e)


def guest_environment(changes: dict[str, str | None]) -> list[bytes]:
    env = initial_environment()
    for var, value in changes.items():
        key = os.fsencode(var)
        if value is None:
            env.pop(key, None)
        else:
            env[key] = os.fsencode(value)
    return [k + b"=" + v for k, v in env.items()]


def main(args: list[str] | None = None) -> int:
    from linuxuser.emulator import run_program

    try:
        options, rest, env_changes, argv0 = parse_args(sys.argv[1:] if args is None else args)
        program = rest[0]
        argv = [os.fsencode(a) for a in rest]
        if argv0 is not None:
            argv[0] = os.fsencode(argv0)
        run_program(options, program, argv, guest_environment(env_changes))
    except LinuxUserError as err:
        sys.stderr.write(f"linuxuser: {err}\n")
        return err.status
    except KeyboardInterrupt:
        return 130
    except Exception as err:   # a bug in linuxuser: one line, the trace on request
        if os.environ.get("LINUXUSER_DEBUG"):
            traceback.print_exc()
        sys.stderr.write(f"linuxuser: internal error: {type(err).__name__}: {err}"
                         " (set LINUXUSER_DEBUG=1 for a traceback)\n")
        return 70
    return 0
