"""Errors that end linuxuser with one line on stderr (never a traceback)."""


class LinuxUserError(Exception):
    """A user-facing failure: printed as `linuxuser: MESSAGE`, exit with `status`."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


class ExecError(LinuxUserError):
    """The program cannot be executed (bad file, bad ELF, unsupported arch)."""

    def __init__(self, path: str, reason: str, status: int = 126) -> None:
        super().__init__(f"{path}: {reason}", status)


class GuestFault(Exception):
    """A guest pointer handed to a syscall is not mapped with the needed access."""

    def __init__(self, addr: int) -> None:
        super().__init__(f"bad guest address {addr:#x}")
        self.addr = addr
