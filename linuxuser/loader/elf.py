"""Reading and validating a guest ELF file.

Every way a file can fail to be a runnable guest program ends here as an
ExecError with one clear line; nothing past this point needs to distrust the
headers (offsets inside the file, sizes, a known arch).
"""
from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

from linuxuser.errors import ExecError
from linuxuser.translate.arch import EM_ARM, Arch, arch_for_elf

ET_EXEC, ET_DYN = 2, 3
PT_LOAD, PT_INTERP, PT_PHDR, PT_GNU_STACK = 1, 3, 6, 0x6474E551
PF_X, PF_W, PF_R = 1, 2, 4
PATH_MAX = 4096

# e_machine values worth naming in an error message.
MACHINE_NAMES = {2: "SPARC", 3: "i386", 8: "MIPS", 20: "PowerPC", 21: "PowerPC64",
                 22: "S/390", 40: "ARM", 42: "SuperH", 43: "SPARC64", 50: "IA-64",
                 62: "x86-64", 183: "AArch64", 243: "RISC-V", 258: "LoongArch"}


@dataclass(frozen=True)
class Segment:
    type: int
    offset: int
    vaddr: int
    filesz: int
    memsz: int
    flags: int
    align: int

    @property
    def prot(self) -> int:
        """PF_R/W/X -> PROT_READ/WRITE/EXEC."""
        return ((4 if self.flags & PF_X else 0) | (2 if self.flags & PF_W else 0)
                | (1 if self.flags & PF_R else 0))


@dataclass
class ElfProgram:
    """A validated ELF executable (or shared object used as one: ld.so, PIE)."""
    path: str
    arch: Arch
    e_type: int
    entry: int
    phoff: int
    phentsize: int
    phnum: int
    segments: list[Segment]
    interp: str | None
    data: bytes = field(repr=False, default=b"")

    @property
    def loads(self) -> list[Segment]:
        return [s for s in self.segments if s.type == PT_LOAD]


def _read_file(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        raise ExecError(path, "No such file or directory", 127) from None
    except IsADirectoryError:
        raise ExecError(path, "Is a directory") from None
    except PermissionError:
        raise ExecError(path, "Permission denied") from None
    except OSError as err:
        raise ExecError(path, err.strerror or str(err)) from None


def read_elf(path: str, expect: Arch | None = None) -> ElfProgram:
    """Read and check `path`; `expect` is the arch a dynamic loader must match."""
    data = _read_file(path)
    if os.path.isdir(path):
        raise ExecError(path, "Is a directory")
    if len(data) < 4 or data[:4] != b"\x7fELF":
        raise ExecError(path, "not an ELF executable (Exec format error)")
    if len(data) < 16:
        raise ExecError(path, "truncated ELF file (no complete ELF header)")
    ei_class, ei_data = data[4], data[5]
    if ei_class not in (1, 2):
        raise ExecError(path, f"corrupt ELF header (EI_CLASS {ei_class})")
    if ei_data == 2:
        raise ExecError(path, "big-endian ELF programs are not supported")
    if ei_data != 1:
        raise ExecError(path, f"corrupt ELF header (EI_DATA {ei_data})")
    bits = 32 if ei_class == 1 else 64
    ehsize = 52 if bits == 32 else 64
    if len(data) < ehsize:
        raise ExecError(path, "truncated ELF file (no complete ELF header)")
    if bits == 32:
        (e_type, e_machine, _ver, e_entry, e_phoff, _shoff, e_flags, _ehsize,
         e_phentsize, e_phnum) = struct.unpack_from("<HHIIIIIHHH", data, 16)
    else:
        (e_type, e_machine, _ver, e_entry, e_phoff, _shoff, e_flags, _ehsize,
         e_phentsize, e_phnum) = struct.unpack_from("<HHIQQQIHHH", data, 16)
    arch = arch_for_elf(e_machine, bits)
    if arch is None:
        name = MACHINE_NAMES.get(e_machine, "unknown")
        raise ExecError(path, f"unsupported machine: {name} {bits}-bit (e_machine {e_machine})")
    if expect is not None and arch is not expect:
        raise ExecError(path, f"is for {arch.name}, the program is for {expect.name}")
    if e_type not in (ET_EXEC, ET_DYN):
        raise ExecError(path, f"not an executable (ELF type {e_type})")
    if e_machine == EM_ARM and (e_flags >> 24) not in (4, 5):
        raise ExecError(path, f"unsupported ARM ABI (e_flags {e_flags:#x}): only EABI4/5")
    want_phentsize = 32 if bits == 32 else 56
    if e_phnum == 0 or e_phentsize != want_phentsize:
        raise ExecError(path, "corrupt ELF: bad program header table")
    if e_phoff + e_phnum * e_phentsize > len(data):
        raise ExecError(path, "truncated or corrupt ELF: program headers past the end of the file")

    try:
        elf = ELFFile(_BytesStream(data))
        segments = [Segment(s["p_type"] if isinstance(s["p_type"], int) else _ptype(s),
                            s["p_offset"], s["p_vaddr"], s["p_filesz"], s["p_memsz"],
                            s["p_flags"], s["p_align"])
                    for s in (elf.get_segment(i) for i in range(e_phnum))]
    except (ELFError, struct.error, ValueError, KeyError) as err:
        raise ExecError(path, f"corrupt ELF: {err}") from None

    interp = None
    for seg in segments:
        if seg.type == PT_LOAD:
            if seg.offset + seg.filesz > len(data):
                raise ExecError(path, "truncated ELF: a segment extends past the end of the file")
            if seg.filesz > seg.memsz:
                raise ExecError(path, "corrupt ELF: segment file size exceeds its memory size")
            if seg.vaddr + seg.memsz > arch.address_space_size and e_type == ET_EXEC:
                raise ExecError(path, "corrupt ELF: segment outside the guest address space")
            if (seg.vaddr - seg.offset) % 4096:         # Linux cannot mmap it either
                raise ExecError(path, "corrupt ELF: segment address and offset not congruent")
        elif seg.type == PT_INTERP and interp is None:     # Linux uses the first
            if seg.offset + seg.filesz > len(data) or not 2 <= seg.filesz <= PATH_MAX:
                raise ExecError(path, "truncated or corrupt ELF: bad PT_INTERP")
            text = data[seg.offset:seg.offset + seg.filesz]
            if text[-1] != 0:
                raise ExecError(path, "corrupt ELF: the interpreter path (PT_INTERP) "
                                "does not end with a NUL")
            interp = text.split(b"\0")[0].decode("utf-8", "surrogateescape")
    if not any(s.type == PT_LOAD for s in segments):
        raise ExecError(path, "corrupt ELF: no loadable segment")
    return ElfProgram(path, arch, e_type, e_entry, e_phoff, e_phentsize, e_phnum,
                      segments, interp, data)


# pyelftools names the segment types it knows; map the ones we use back.
_PTYPE_NUMBERS = {"PT_LOAD": PT_LOAD, "PT_INTERP": PT_INTERP, "PT_PHDR": PT_PHDR,
                  "PT_GNU_STACK": PT_GNU_STACK}


def _ptype(seg) -> int:
    return _PTYPE_NUMBERS.get(seg["p_type"], -1)


class _BytesStream:
    """A read-only stream over bytes, as pyelftools wants (seek/read/tell)."""

    def __init__(self, data: bytes) -> None:
        self._data, self._pos = data, 0

    def seek(self, pos: int, whence: int = 0) -> int:
        self._pos = pos if whence == 0 else (self._pos + pos if whence == 1 else len(self._data) + pos)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def read(self, n: int = -1) -> bytes:
        end = len(self._data) if n < 0 else self._pos + n
        out = self._data[self._pos:end]
        self._pos += len(out)
        return out
