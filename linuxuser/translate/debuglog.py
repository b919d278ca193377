"""qemu's -d debug logs: in_asm, exec, cpu (per translated block) and page.

in_asm, exec and cpu need a Unicorn block hook, so a vCPU gets one only when
-d asks for one of them: without -d no block hook exists and guest code runs
at full speed.  in_asm disassembles a block (Capstone) the first time it runs,
which is when the engine translated it.
"""
from __future__ import annotations

import bisect
import os
import threading
from typing import TYPE_CHECKING

import capstone
from unicorn import UC_HOOK_BLOCK, Uc

if TYPE_CHECKING:
    from linuxuser.process import GuestProcess

BLOCK_ITEMS = frozenset({"in_asm", "exec", "cpu"})
PROTS = ("---", "r--", "-w-", "rw-", "--x", "r-x", "-wx", "rwx")


class DebugLog:
    """The -d logs of one process, written to its log (stderr or -D FILE)."""

    def __init__(self, process: GuestProcess, items: set[str]) -> None:
        self.process = process
        self.arch = process.arch
        self.items = frozenset(items)
        self.log = process.log
        self._seen: set[tuple[int, int]] = set()
        self._lock = threading.Lock()
        self._symbols: tuple[list[int], list[str]] | None = None
        self._disassemblers: dict[str, capstone.Cs] = {}
        self._digits = self.arch.word_size * 2

    def attach(self, vcpu) -> None:
        """Give `vcpu`'s engine the block hook, if a block item was asked for."""
        if self.items & BLOCK_ITEMS:
            vcpu.uc.hook_add(UC_HOOK_BLOCK, self._on_block, vcpu)

    # -- per block ---------------------------------------------------------------------

    def _on_block(self, uc: Uc, address: int, size: int, vcpu) -> None:
        if self.process.memory.region_at(address) is None:
            return                      # linuxuser's own probes (CPUID), not guest code
        if "in_asm" in self.items:
            mode = self.arch.capstone_mode(uc)
            with self._lock:
                first = (address, mode) not in self._seen
                self._seen.add((address, mode))
            if first:
                self.log.write(self.disassembly(uc, address, size, mode))
        if "exec" in self.items:
            self.log.write(f"Trace {vcpu.tid}: [{address:0{self._digits}x}] {self.symbol(address)}")
        if "cpu" in self.items:
            self.log.write(self.registers(uc))

    def disassembly(self, uc: Uc, address: int, size: int, mode: str) -> str:
        """qemu's in_asm block: a rule, IN: symbol, one line per instruction."""
        dis = self._disassemblers.get(mode)
        if dis is None:
            dis = self._disassemblers[mode] = capstone.Cs(getattr(capstone, self.arch.capstone[0]),
                                                          getattr(capstone, mode))
        code = bytes(uc.mem_read(address, size))
        lines = ["----------------", f"IN: {self.symbol(address)}"]
        end = address
        for insn in dis.disasm(code, address):
            lines.append(f"0x{insn.address:0{self._digits}x}:  {insn.bytes.hex():<16} "
                         f"{insn.mnemonic} {insn.op_str}".rstrip())
            end = insn.address + insn.size
        if end < address + size:
            lines.append(f"0x{end:0{self._digits}x}:  (not decoded: {address + size - end} bytes)")
        return "\n".join(lines) + "\n"

    def registers(self, uc: Uc) -> str:
        """The arch's registers, four to a line (qemu's cpu item)."""
        cells = [f"{name}={uc.reg_read(reg) & self.arch.word_mask:0{self._digits}x}"
                 for name, reg in self.arch.debug_registers]
        return "\n".join(" ".join(cells[i:i + 4]) for i in range(0, len(cells), 4))

    # -- symbols of the main program -----------------------------------------------------

    def symbol(self, address: int) -> str:
        if self._symbols is None:
            self._symbols = self._load_symbols()
        starts, names = self._symbols
        i = bisect.bisect_right(starts, address) - 1
        return names[i] if i >= 0 else ""

    def _load_symbols(self) -> tuple[list[int], list[str]]:
        """Function symbols of the main program, moved to where it was loaded."""
        try:
            from elftools.elf.elffile import ELFFile
            path = self.process.exe_path
            with open(path, "rb") as f:
                elf = ELFFile(f)
                symtab = elf.get_section_by_name(".symtab")
                lowest = min(seg["p_vaddr"] for seg in elf.iter_segments() if seg["p_type"] == "PT_LOAD")
                funcs = sorted((s["st_value"], s.name) for s in symtab.iter_symbols()
                               if s["st_info"]["type"] == "STT_FUNC" and s["st_value"]) if symtab else []
            mapped = [r.start for r in self.process.memory.regions
                      if r.name == os.path.realpath(path) and r.offset == 0]
            bias = min(mapped) - (lowest & ~0xFFF) if mapped else 0
        except (OSError, ValueError, KeyError, AttributeError, TypeError):
            return [], []
        mask = self.arch.symbol_address_mask
        funcs = sorted(((a & mask) + bias, n) for a, n in funcs)
        return [a for a, _ in funcs], [n for _, n in funcs]

    # -- the memory map ------------------------------------------------------------------

    def page(self) -> None:
        """qemu's page item: the guest's mappings after loading."""
        w = self._digits
        lines = [f"guest_base  0x{self.process.memory.base:x}",
                 f"{'start':<{w}} {'end':<{w}} {'size':<{w}} prot"]
        for r in self.process.memory.regions:
            lines.append(f"{r.start:0{w}x}-{r.end:0{w}x} {r.size:0{w}x} {PROTS[r.prot & 7]}"
                         + (f" {r.name}" if r.name else ""))
        lines.append(f"start_brk   0x{self.process.brk_start:x}")
        lines.append(f"brk         0x{self.process.brk:x}")
        self.log.write("\n".join(lines))
