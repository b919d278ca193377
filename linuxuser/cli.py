"""The `linuxuser` command: qemu-user's options, then PROGRAM [ARGS...]."""
from __future__ import annotations

import os
import sys

from linuxuser import __version__
from linuxuser.atomics import engine_description
from linuxuser.errors import LinuxUserError, report_failure
from linuxuser.process import Options

USAGE = """\
usage: linuxuser [options] PROGRAM [ARGS...]

Run a Linux program built for 32-bit ARM (armhf), AArch64, x86-64 or i386.
The guest's architecture is read from its ELF header.

Options (qemu-user's; each also works with two dashes):
  -h, --help              show this help and exit
  -version, --version     show the version and the engine in use, and exit
  -L PATH, --sysroot PATH guest sysroot: absolute paths and the dynamic loader
                          are looked up here first (env QEMU_LD_PREFIX; without
                          either: /etc/qemu-binfmt/ARCH, the host, /usr/TRIPLET)
  -E VAR=VALUE[,...]      set a variable in the guest's environment
  -U VAR[,...]            remove a variable from the guest's environment
  -0 ARGV0, --argv0 ARGV0 pass ARGV0 as the guest's argv[0]
  -s SIZE, --stack-size SIZE
                          main thread stack size (suffixes k, M, G; default 8M)
  -strace, --strace       log each syscall in strace's format
  -D FILE, --log-file FILE, -o FILE
                          write logs to FILE instead of stderr
  -d ITEM[,...]           qemu debug logs: in_asm (disassembly of each new
                          block), exec (each block run), cpu (registers at each
                          block), page (guest memory map), strace (-d help lists them)

strace's options (each one but -s turns -strace on):
  -e [trace=]SET          trace only SET: names, %file %process %memory %network
                          %signal %ipc %desc %creds %clock %stat..., /REGEX, !SET
  -e signal=SET, -e status=SET (successful, failed, unfinished)
  -s N                    print N characters of strings (default 32); while
                          tracing, -s is this and --stack-size sets the stack
  --string-limit N        the same, always
  -t, -tt, -ttt           time of day, with microseconds, as seconds since the epoch
  -T                      time spent in each syscall
  -c                      count calls, errors and time per syscall; table at exit
  -C                      the same table, and the log too
  -S SORTBY               sort the table by time (default), calls, errors or name
  -z, -Z                  show only successful / only failed calls
  -f                      (threads are always followed)

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
    "D": ("log", True), "log-file": ("log", True), "o": ("log", True),
    "log-file-append": ("log_append", True),       # used by a guest's execve
    "d": ("debug", True), "debug": ("debug", True),
    # strace's own options
    "e": ("expr", True), "string-limit": ("string_limit", True),
    "t": ("stamps1", False), "tt": ("stamps2", False), "ttt": ("stamps3", False),
    "T": ("durations", False), "c": ("summary_only", False), "C": ("summary_also", False),
    "S": ("sort", True), "z": ("successful", False), "Z": ("failed", False),
    "f": ("follow", False),
}
DEBUG_ITEMS = {"in_asm": "show the guest code of each new translated block (Capstone)",
               "exec": "show each block as it runs",
               "cpu": "show the registers before each block",
               "page": "show the guest memory map after loading",
               "strace": "log each syscall (as -strace)"}


def parse_size(text: str) -> int:
    units = {"k": 1 << 10, "K": 1 << 10, "m": 1 << 20, "M": 1 << 20, "g": 1 << 30, "G": 1 << 30}
    try:
        if text and text[-1] in units:
            return int(text[:-1]) * units[text[-1]]
        return int(text, 0)
    except ValueError:
        raise LinuxUserError(f"invalid size: {text!r}", 2) from None


def parse_count(text: str, what: str) -> int:
    if not text.isdigit():
        raise LinuxUserError(f"{what} must be a number, not {text!r}", 2)
    return int(text)


def apply_strace_option(options: Options, key: str, value: str | None) -> bool:
    """strace's options: each one also turns tracing on.  False: not one of them."""
    so = options.strace_options
    if key == "expr":
        so.add_expression(value)
    elif key == "string_limit":
        so.string_limit = parse_count(value, "the string limit")
    elif key.startswith("stamps"):
        so.timestamps = max(so.timestamps, int(key[-1]))
    elif key == "durations":
        so.durations = True
    elif key in ("summary_only", "summary_also"):
        so.summary = "only" if key == "summary_only" else "also"
    elif key == "sort":
        so.set_sort(value)
    elif key in ("successful", "failed"):
        so.add_expression(f"status={key}")
    elif key != "follow":
        return False
    options.strace = True
    return True


def apply_debug_items(options: Options, value: str) -> None:
    """-d ITEM,...: qemu's log items; -d help lists them."""
    items = [v for v in value.split(",") if v]
    if "help" in items:
        sys.stdout.write("Log items (comma separated):\n" + "".join(
            f"{name:<10}{text}\n" for name, text in DEBUG_ITEMS.items()))
        raise SystemExit(0)
    for item in items:
        if item not in DEBUG_ITEMS:
            raise LinuxUserError(f"unknown -d item {item!r} (known: {', '.join(DEBUG_ITEMS)})", 2)
    options.debug.update(items)
    if "strace" in options.debug:
        options.strace = True


def parse_args(args: list[str]) -> tuple[Options, list[str], dict, str | None]:
    """-> (options, [PROGRAM, ARGS...], environment changes, argv0)."""
    options = Options(sysroot=os.environ.get("QEMU_LD_PREFIX") or None)
    env_changes: dict[str, str | None] = {}
    argv0 = None
    sizes: list[str] = []           # -s values: stack size, or strace's string limit
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
            sys.stdout.write(f"linuxuser {__version__}\n{engine_description()}\n")
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
            if name == "s":
                sizes.append(value)
            else:
                options.stack_size = parse_size(value)
        elif key == "strace":
            options.strace = True
        elif key == "log":
            options.log_file = value
        elif key == "log_append":
            options.log_file, options.log_append = value, True
        elif key == "debug":
            apply_debug_items(options, value)
        else:
            apply_strace_option(options, key, value)
    for value in sizes:
        if options.strace:
            options.strace_options.string_limit = parse_count(
                value, "-s (strace's string limit while tracing; --stack-size sets the stack)")
        else:
            options.stack_size = parse_size(value)
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
    except KeyboardInterrupt:
        return 130
    except Exception as err:   # noqa: BLE001 - one line and a status, the trace on request
        return report_failure(err)
    return 0
