"""Mapping an ELF program (and its dynamic loader) and building the initial stack."""
from __future__ import annotations

import ctypes
import os
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING

from linuxuser.errors import ExecError
from linuxuser.loader.elf import ET_DYN, PT_PHDR, ElfProgram, read_elf
from linuxuser.loader.sysroot import interpreter_path, missing_interpreter_hint
from linuxuser.memory import PAGE_SIZE, page_align_down, page_align_up

if TYPE_CHECKING:
    from linuxuser.memory import GuestMemory
    from linuxuser.process import GuestProcess

# auxv tags
AT_NULL, AT_PHDR, AT_PHENT, AT_PHNUM, AT_PAGESZ, AT_BASE = 0, 3, 4, 5, 6, 7
AT_FLAGS, AT_ENTRY, AT_UID, AT_EUID, AT_GID, AT_EGID = 8, 9, 11, 12, 13, 14
AT_PLATFORM, AT_HWCAP, AT_CLKTCK, AT_SECURE, AT_RANDOM = 15, 16, 17, 23, 25
AT_HWCAP2, AT_EXECFN = 26, 31
STACK_GUARD_GAP = 1 << 20


@dataclass
class LoadedImage:
    """Where an ELF file ended up in guest memory."""
    bias: int
    entry: int
    phdr: int
    end: int        # page-aligned end of the highest segment (brk starts here)


def _span(elf: ElfProgram) -> tuple[int, int]:
    loads = elf.loads
    lo = page_align_down(min(s.vaddr for s in loads))
    hi = page_align_up(max(s.vaddr + s.memsz for s in loads))
    return lo, max(hi, lo)


def choose_bias(process: GuestProcess, elf: ElfProgram, preferred: int | None) -> int:
    """ET_EXEC loads where it says; ET_DYN at `preferred` if free, else top-down."""
    lo, hi = _span(elf)
    mem = process.memory
    if elf.e_type != ET_DYN:
        if hi > mem.size:
            raise ExecError(elf.path, "program does not fit in the guest address space")
        if not mem.is_free(lo, hi):
            raise ExecError(elf.path, f"program's segments ({lo:#x}-{hi:#x}) overlap the "
                            "stack or another fixed mapping")
        return 0
    if hi - lo > mem.size:
        raise ExecError(elf.path, "program does not fit in the guest address space")
    if preferred is not None and mem.is_free(preferred, preferred + hi - lo):
        return preferred - lo
    where = mem.find_free(hi - lo, process.mmap_top)
    if where is None:
        raise ExecError(elf.path, "no room in the guest address space")
    return where - lo


def protection_runs(elf: ElfProgram, bias: int) -> list[tuple[int, int, int]]:
    """(start, end, prot) runs of pages covering the PT_LOADs, in address order.

    A page shared by two segments gets the union of their permissions.  Worked
    out from the segments' bounds, never page by page: a p_memsz of hundreds of
    GiB costs nothing here (mapping it is refused by the address space).
    """
    edges: set[int] = set()
    spans = []
    for seg in elf.loads:
        if not seg.memsz:
            continue
        start = page_align_down(seg.vaddr + bias)
        end = page_align_up(seg.vaddr + bias + seg.memsz)
        spans.append((start, end, seg.prot))
        edges.update((start, end))
    points = sorted(edges)
    runs: list[tuple[int, int, int]] = []
    for start, end in zip(points, points[1:]):
        prot = 0
        covered = False
        for s_start, s_end, s_prot in spans:
            if s_start < end and start < s_end:
                prot |= s_prot
                covered = True
        if not covered:
            continue
        if runs and runs[-1][1] == start and runs[-1][2] == prot:
            runs[-1] = (runs[-1][0], end, prot)
        else:
            runs.append((start, end, prot))
    return runs


def host_memory() -> int:
    """Bytes of host RAM: Linux's overcommit heuristic refuses a bigger private mapping."""
    return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def map_image(mem: GuestMemory, elf: ElfProgram, bias: int) -> LoadedImage:
    """Map each PT_LOAD, copy its file bytes, zero its bss, then set protections."""
    for seg in elf.loads:
        if seg.memsz > host_memory():
            raise ExecError(elf.path, f"a segment of {seg.memsz} bytes is larger than the "
                            "host's memory (Cannot allocate memory)")
    name = os.path.realpath(elf.path)
    st = os.stat(elf.path)
    runs = protection_runs(elf, bias)
    try:
        for start, end, _prot in runs:         # writable while loading
            offset = _file_offset(elf, start - bias)
            mem.map(start, end - start, 3, name=name, offset=offset,
                    device=st.st_dev, inode=st.st_ino)
    except OSError as err:
        raise ExecError(elf.path, f"cannot map the program: {os.strerror(err.errno)}") from None
    for seg in elf.loads:
        if seg.filesz:
            ctypes.memmove(mem.g2h(seg.vaddr + bias), elf.data[seg.offset:seg.offset + seg.filesz],
                           seg.filesz)
    for start, end, prot in runs:
        mem.protect(start, end - start, prot)
    phdr = next((s.vaddr for s in elf.segments if s.type == PT_PHDR), None)
    if phdr is None:
        for seg in elf.loads:
            if seg.offset <= elf.phoff < seg.offset + seg.filesz:
                phdr = seg.vaddr + (elf.phoff - seg.offset)
                break
        else:
            phdr = 0
    end = max((end for _s, end, _p in runs), default=page_align_up(_span(elf)[0] + bias))
    return LoadedImage(bias, elf.entry + bias, phdr + bias if phdr else 0, end)


def _file_offset(elf: ElfProgram, vaddr: int) -> int:
    for seg in elf.loads:
        if page_align_down(seg.vaddr) <= vaddr < seg.vaddr + seg.memsz:
            return page_align_down(seg.offset) + (vaddr - page_align_down(seg.vaddr))
    return 0


def find_interpreter(process: GuestProcess, interp: str, program: str) -> str:
    """The dynamic loader's host path: the sysroot first, then the host, as qemu -L."""
    path = interpreter_path(process.options.sysroot, interp)
    if path is None:
        hint = missing_interpreter_hint(process.arch, process.options.sysroot)
        raise ExecError(program, f"cannot find its dynamic loader {interp} ({hint})", 127)
    return path


def load_program(process: GuestProcess, elf: ElfProgram, argv: list[bytes],
                 envp: list[bytes], execfn: bytes,
                 hwcaps: tuple[int, int | None]) -> tuple[int, int]:
    """Map the program (and its interpreter), build the stack; return (entry, sp)."""
    arch, mem = process.arch, process.memory
    stack_size = page_align_up(process.options.stack_size)
    stack_base = arch.stack_top - stack_size
    mem.map(stack_base, stack_size, 3, name="[stack]")
    process.mmap_top = stack_base - STACK_GUARD_GAP
    arch.setup_address_space(mem)

    main = map_image(mem, elf, choose_bias(process, elf, arch.pie_base))
    process.brk_start = process.brk = main.end
    entry, interp_base = main.entry, 0
    if elf.interp:
        interp_path = find_interpreter(process, elf.interp, elf.path)
        interp_elf = read_elf(interp_path, expect=arch)
        interp = map_image(mem, interp_elf, choose_bias(process, interp_elf, None))
        entry, interp_base = interp.entry, interp.bias

    hwcap, hwcap2 = hwcaps
    auxv = [(AT_PHDR, main.phdr), (AT_PHENT, elf.phentsize), (AT_PHNUM, elf.phnum),
            (AT_PAGESZ, PAGE_SIZE), (AT_BASE, interp_base), (AT_FLAGS, 0),
            (AT_ENTRY, main.entry), (AT_UID, os.getuid()), (AT_EUID, os.geteuid()),
            (AT_GID, os.getgid()), (AT_EGID, os.getegid()), (AT_SECURE, 0),
            (AT_HWCAP, hwcap), (AT_CLKTCK, os.sysconf("SC_CLK_TCK"))]
    if hwcap2 is not None:
        auxv.append((AT_HWCAP2, hwcap2))
    sp = build_stack(process, argv, envp, auxv, execfn)
    return entry, sp


def build_stack(process: GuestProcess, argv: list[bytes], envp: list[bytes],
                auxv: list[tuple[int, int]], execfn: bytes) -> int:
    """The System V initial stack: argc, argv, envp, auxv, then the strings above.

    The layout is the same for the four arches apart from the word size; the
    stack pointer is 16-byte aligned at argc, which every one of their ABIs accepts.
    """
    arch, mem = process.arch, process.memory
    word = arch.word_size
    strings = sum(len(s) + 1 for s in argv + envp) + len(execfn) + len(arch.platform) + 2
    table_size = word * (len(argv) + len(envp) + 3 + 2 * (len(auxv) + 4))
    if strings + table_size + 64 > page_align_up(process.options.stack_size) - PAGE_SIZE:
        raise ExecError(process.exe_path, "arguments and environment do not fit on the stack")
    pos = arch.stack_top - word                           # end marker

    def push_bytes(data: bytes) -> int:
        nonlocal pos
        pos -= len(data)
        ctypes.memmove(mem.g2h(pos), data, len(data))
        return pos

    execfn_addr = push_bytes(execfn + b"\0")
    env_addrs = [push_bytes(e + b"\0") for e in reversed(envp)][::-1]
    arg_addrs = [push_bytes(a + b"\0") for a in reversed(argv)][::-1]
    platform_addr = push_bytes(arch.platform.encode() + b"\0")
    pos &= ~15
    random_addr = push_bytes(os.urandom(16))
    auxv = auxv + [(AT_RANDOM, random_addr), (AT_PLATFORM, platform_addr),
                   (AT_EXECFN, execfn_addr), (AT_NULL, 0)]
    fmt = "<" + arch.ulong_fmt
    words = [len(argv)] + arg_addrs + [0] + env_addrs + [0]
    aux_words = [v for pair in auxv for v in pair]
    table = b"".join(struct.pack(fmt, w & arch.word_mask) for w in words + aux_words)
    process.auxv = b"".join(struct.pack(fmt, w & arch.word_mask) for w in aux_words)
    pos = (pos - len(table)) & ~15
    ctypes.memmove(mem.g2h(pos), table, len(table))
    return pos
