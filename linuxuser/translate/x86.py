"""x86-64 and i386 guests (one Unicorn x86 backend, two modes)."""
from __future__ import annotations

import ctypes
import errno
import signal
import struct

from unicorn import (UC_ARCH_X86, UC_HOOK_INSN, UC_MODE_32, UC_MODE_64, UC_PROT_EXEC,
                     UC_PROT_READ, Uc)
from unicorn import x86_const as X

from linuxuser.memory import PAGE_SIZE, host_mmap
from linuxuser.translate.arch import EM_386, EM_X86_64, Arch, SyscallAbi, register

USER_EFLAGS = 0x202                       # IF and the always-one bit, IOPL 0
# x86 exception vectors and the signal Linux sends for each.
X86_FAULTS = {0: signal.SIGFPE, 1: signal.SIGTRAP, 3: signal.SIGTRAP, 4: signal.SIGSEGV,
              5: signal.SIGSEGV, 6: signal.SIGILL, 7: signal.SIGSEGV, 12: signal.SIGBUS,
              13: signal.SIGSEGV, 14: signal.SIGSEGV, 16: signal.SIGFPE,
              17: signal.SIGBUS, 19: signal.SIGFPE}

# The floating-point environment of a new Linux process (fninit gives the same
# x87 state): all exceptions masked, 64-bit x87 precision, round to nearest; an
# empty x87 stack (tag 11 = empty for each of the eight registers).
X87_START_FCW, X87_TAGS_EMPTY, MXCSR_START = 0x037F, 0xFFFF, 0x1F80


class _X86Arch(Arch):
    uc_arch = UC_ARCH_X86
    fault_signals = X86_FAULTS
    gdt_addr: int                  # each engine's own GDT page, above the guest's space
    # (selector, descriptor) of the flat segments the guest runs on
    gdt_entries: tuple[tuple[int, bytes], ...] = ()
    user_cs = user_ss = 0
    iret = b""
    iret_scratch = 0               # where the iret runs (before guest memory is attached)

    def new_engine(self, translation_buffer: int | None = None) -> Uc:
        """An engine with its own GDT (read-only to the guest), running at CPL 3.

        Unicorn starts x86 code at CPL 0, where `cli`, `hlt`, `in`, `lgdt`,
        `mov cr0` and `rdmsr` execute; at CPL 3 they raise #GP, the guest's
        SIGSEGV, as natively.  The engine leaves CPL 0 as the kernel does on its
        way to user mode: an iret to the user code and stack segments.
        """
        uc = super().new_engine(translation_buffer)
        gdt = host_mmap(0, PAGE_SIZE, 3, 0x22)       # PROT_READ|WRITE, MAP_PRIVATE|ANON
        uc.mem_map_ptr(self.gdt_addr, PAGE_SIZE, UC_PROT_READ, gdt)
        uc.reg_write(X.UC_X86_REG_GDTR, (0, self.gdt_addr, PAGE_SIZE - 1, 0))
        uc.gdt_host = gdt                                # the engine's own TLS entries
        for selector, descriptor in self.gdt_entries:
            ctypes.memmove(gdt + (selector & ~7), descriptor, 8)
        self._enter_user_mode(uc)
        return uc

    def hook_privileged(self, uc: Uc, raise_signal) -> None:
        """`in` and `out`: at CPL 3 with IOPL 0 Linux answers SIGSEGV (#GP);
        Unicorn runs them at any level and asks a hook for the port's value."""
        def on_port(uc, port, size, *_value_and_data):
            raise_signal(signal.SIGSEGV, None)
            return 0
        for insn in (X.UC_X86_INS_IN, X.UC_X86_INS_OUT):
            uc.hook_add(UC_HOOK_INSN, on_port, None, 1, 0, insn)

    def _enter_user_mode(self, uc: Uc) -> None:
        """iret from a scratch page to CPL 3, before the engine has guest memory
        or hooks (the guest's registers are set afterwards; the page goes away).
        Page 0, because Unicorn's first i386 stack segment is 16-bit."""
        scratch = self.iret_scratch
        target, frame_at = scratch + 0x100, scratch + 0x800
        fmt = "<5Q" if self.bits == 64 else "<5I"
        uc.mem_map(scratch, PAGE_SIZE)
        try:
            uc.mem_write(scratch, self.iret)
            uc.mem_write(frame_at, struct.pack(fmt, target, self.user_cs, USER_EFLAGS,
                                               frame_at, self.user_ss))
            uc.reg_write(self.sp_reg, frame_at)
            uc.emu_start(scratch, target)
        finally:
            uc.mem_unmap(scratch, PAGE_SIZE)
    syscall_insn_length = 2                 # syscall (0f 05), int 0x80 (cd 80)
    breakpoint_si_code = 0x80               # int3: SI_KERNEL
    undefined_si_code = 2                   # #UD: ILL_ILLOPN
    # CPUID.1:EDX bits, as the kernel's x86_cap_flags name them.
    hwcap_names = ("fpu", "vme", "de", "pse", "tsc", "msr", "pae", "mce", "cx8", "apic", "",
                   "sep", "mtrr", "pge", "mca", "cmov", "pat", "pse36", "pn", "clflush", "",
                   "dts", "acpi", "mmx", "fxsr", "sse", "sse2", "ss", "ht", "tm", "ia64", "pbe")
    cpuinfo_block = ("processor\t: {n}\nvendor_id\t: linuxuser\ncpu family\t: 6\n"
                     "model\t\t: 6\nmodel name\t: linuxuser virtual CPU (Unicorn)\n"
                     "stepping\t: 3\nfpu\t\t: yes\nfpu_exception\t: yes\ncpuid level\t: 13\n"
                     "wp\t\t: yes\nflags\t\t: {features}\nbogomips\t: 100.00\n"
                     "clflush size\t: 64\ncache_alignment\t: 64\n\n")

    def hwcaps(self, uc: Uc) -> tuple[int, int | None]:
        """AT_HWCAP is CPUID.1:EDX of the CPU the engine emulates, as Linux sets it."""
        # The scratch page sits just above the guest's address space, where the
        # vCPU does not police page permissions (Vcpu._on_tlb_fill).
        scratch = self.address_space_size
        uc.mem_map(scratch, PAGE_SIZE)
        try:
            uc.mem_write(scratch, b"\x0f\xa2")          # cpuid
            uc.reg_write(X.UC_X86_REG_EAX, 1)
            uc.reg_write(X.UC_X86_REG_ECX, 0)
            uc.emu_start(scratch, scratch + 2)
            edx = uc.reg_read(X.UC_X86_REG_EDX)
        finally:
            uc.mem_unmap(scratch, PAGE_SIZE)
        return edx & 0xFFFFFFFF, 0

    def enable_fpu(self, uc: Uc) -> None:
        """Linux's FPU start state (fpu__init_system_ctx): the engine's reset
        leaves fcw=0 (single precision, exceptions unmasked), mxcsr=0 and every
        x87 register tagged valid."""
        uc.reg_write(X.UC_X86_REG_FPCW, X87_START_FCW)
        uc.reg_write(X.UC_X86_REG_FPTAG, X87_TAGS_EMPTY)
        uc.reg_write(X.UC_X86_REG_MXCSR, MXCSR_START)


# The x86-64 vsyscall page (Linux's vsyscall=emulate): gettimeofday, time and
# getcpu at fixed addresses, each `mov $nr, %rax; syscall; ret`, int3 between.
VSYSCALL_ADDR = 0xFFFFFFFFFF600000
VSYSCALL_ENTRIES = {0x000: 96, 0x400: 201, 0x800: 309}


def vsyscall_page() -> bytes:
    page = bytearray(b"\xcc" * PAGE_SIZE)
    for offset, number in VSYSCALL_ENTRIES.items():
        code = b"\x48\xc7\xc0" + struct.pack("<i", number) + b"\x0f\x05\xc3"
        page[offset:offset + len(code)] = code
    return bytes(page)


VSYSCALL_PAGE = vsyscall_page()


class X86_64Arch(_X86Arch):
    name = "x86_64"
    elf_machine = EM_X86_64
    bits = 64
    uc_mode = UC_MODE_64
    pc_reg, sp_reg = X.UC_X86_REG_RIP, X.UC_X86_REG_RSP
    syscall_abi = SyscallAbi(X.UC_X86_REG_RAX,
                             (X.UC_X86_REG_RDI, X.UC_X86_REG_RSI, X.UC_X86_REG_RDX,
                              X.UC_X86_REG_R10, X.UC_X86_REG_R8, X.UC_X86_REG_R9),
                             X.UC_X86_REG_RAX)
    clone_args = ("flags", "stack", "parent_tid", "child_tid", "tls")
    runs_on_host = True
    uname_machine = "x86_64"
    platform = "x86_64"
    qemu_name = "x86_64"
    gnu_triplet = "x86_64-linux-gnu"
    capstone = ("CS_ARCH_X86", "CS_MODE_64")
    debug_registers = tuple((name.upper(), getattr(X, f"UC_X86_REG_{name.upper()}")) for name in (
        "rax rbx rcx rdx rsi rdi rbp rsp r8 r9 r10 r11 r12 r13 r14 r15 rip eflags fs_base".split()))
    address_space_size = mappable_end = 1 << 46
    signal_frames_module = "x86_64"
    stack_top = (1 << 46) - (1 << 32)
    pie_base = 0x155555554000
    syscall_pc_lag = 2                      # the hook sees RIP at `syscall` (0f 05)
    clone_args = ("flags", "stack", "parent_tid", "child_tid", "tls")
    # Linux's __USER_CS (64-bit code) and __USER_DS, both DPL 3.
    gdt_addr = (1 << 46) + PAGE_SIZE
    user_cs, user_ss = 0x33, 0x2B
    gdt_entries = ((0x33, struct.pack("<II", 0x0000FFFF, 0x00AFFB00)),   # 64-bit code, DPL 3
                   (0x2B, struct.pack("<II", 0x0000FFFF, 0x00CFF300)))   # data, DPL 3
    iret = b"\x48\xcf"                      # iretq

    def new_engine(self, translation_buffer: int | None = None) -> Uc:
        """Each engine maps the vsyscall page (read and execute, above the guest's
        address space: the guest cannot map or write there, as on Linux)."""
        uc = super().new_engine(translation_buffer)
        uc.mem_map(VSYSCALL_ADDR, PAGE_SIZE, UC_PROT_READ | UC_PROT_EXEC)
        uc.mem_write(VSYSCALL_ADDR, VSYSCALL_PAGE)
        return uc

    def hook_syscalls(self, uc: Uc, on_syscall) -> None:
        uc.hook_add(UC_HOOK_INSN, lambda uc, _data: on_syscall(), None, 1, 0,
                    X.UC_X86_INS_SYSCALL)

    def set_start_state(self, uc: Uc, entry: int, sp: int) -> None:
        super().set_start_state(uc, entry, sp)
        uc.reg_write(X.UC_X86_REG_RDX, 0)       # rtld_fini: none

    def set_tls(self, uc: Uc, value: int) -> None:
        uc.reg_write(X.UC_X86_REG_FS_BASE, value)

    def get_tls(self, uc: Uc) -> int:
        return uc.reg_read(X.UC_X86_REG_FS_BASE)


# i386 TLS lives in GDT entries 12..14 (GDT_ENTRY_TLS_MIN on a 64-bit kernel).
# Each engine has its own GDT page, as each Linux thread has its own TLS entries;
# it sits above the guest's address space (TASK_SIZE 0xffffe000), out of reach.
GDT_ADDR = 0xFFFFF000
TLS_ENTRY_MIN, TLS_ENTRIES = 12, 3


def user_desc_to_descriptor(base: int, limit: int, flags: int) -> bytes:
    """struct user_desc fields -> 8-byte segment descriptor (Linux LDT_entry_a/b)."""
    seg_32bit, contents = flags & 1, (flags >> 1) & 3
    read_exec_only, limit_in_pages = (flags >> 3) & 1, (flags >> 4) & 1
    seg_not_present, useable = (flags >> 5) & 1, (flags >> 6) & 1
    if (base == 0 and limit == 0 and contents == 0 and read_exec_only == 1
            and seg_32bit == 0 and limit_in_pages == 0 and seg_not_present == 1
            and useable == 0):
        return bytes(8)                                   # LDT_empty: clear the entry
    a = ((base & 0xFFFF) << 16) | (limit & 0xFFFF)
    b = ((base & 0xFF000000) | ((base & 0x00FF0000) >> 16) | (limit & 0xF0000)
         | ((read_exec_only ^ 1) << 9) | (contents << 10) | ((seg_not_present ^ 1) << 15)
         | (seg_32bit << 22) | (limit_in_pages << 23) | (useable << 20) | 0x7000
         | 0x100)      # accessed, as Linux sets it: the CPU never writes the read-only GDT
    return struct.pack("<II", a, b)


def flat_descriptor(type_: int, dpl: int) -> bytes:
    """A 4 GiB, 32-bit, present code/data descriptor with base 0."""
    a = 0x0000FFFF
    b = 0x000F0000 | (type_ << 8) | (1 << 12) | (dpl << 13) | (1 << 15) | (1 << 22) | (1 << 23)
    return struct.pack("<II", a, b)


# Flat user segments as a 64-bit kernel gives 32-bit tasks: CS 0x23, DS/ES/SS 0x2b.
USER_CS, USER_DS = 0x23, 0x2B


class I386Arch(_X86Arch):
    name = "i386"
    elf_machine = EM_386
    bits = 32
    uc_mode = UC_MODE_32
    pc_reg, sp_reg = X.UC_X86_REG_EIP, X.UC_X86_REG_ESP
    syscall_abi = SyscallAbi(X.UC_X86_REG_EAX,
                             (X.UC_X86_REG_EBX, X.UC_X86_REG_ECX, X.UC_X86_REG_EDX,
                              X.UC_X86_REG_ESI, X.UC_X86_REG_EDI, X.UC_X86_REG_EBP),
                             X.UC_X86_REG_EAX)
    syscall_intno = 0x80
    select_takes_struct = True
    runs_on_host = True
    uname_machine = "i686"
    clone_tls_is_user_desc = True
    platform = "i686"
    qemu_name = "i386"
    gnu_triplet = "i686-linux-gnu"
    capstone = ("CS_ARCH_X86", "CS_MODE_32")
    debug_registers = tuple((name.upper(), getattr(X, f"UC_X86_REG_{name.upper()}")) for name in (
        "eax ebx ecx edx esi edi ebp esp eip eflags cs ds es fs gs ss".split()))
    address_space_size = mappable_end = 0xFFFFE000
    signal_frames_module = "i386"
    stack_top = 0xFFFDE000
    pie_base = 0x56555000
    gdt_addr = GDT_ADDR
    gdt_entries = ((USER_CS, flat_descriptor(0xB, 3)), (USER_DS, flat_descriptor(0x3, 3)))
    user_cs, user_ss = USER_CS, USER_DS
    iret = b"\xcf"

    def new_engine(self, translation_buffer: int | None = None) -> Uc:
        uc = super().new_engine(translation_buffer)
        for reg in (X.UC_X86_REG_DS, X.UC_X86_REG_ES):
            uc.reg_write(reg, USER_DS)
        return uc

    def copy_engine_state(self, src: Uc, dst: Uc) -> None:
        ctypes.memmove(dst.gdt_host, src.gdt_host, PAGE_SIZE)
        super().copy_engine_state(src, dst)

    def set_start_state(self, uc: Uc, entry: int, sp: int) -> None:
        super().set_start_state(uc, entry, sp)
        uc.reg_write(X.UC_X86_REG_EDX, 0)       # rtld_fini: none

    def set_thread_area(self, uc: Uc, memory, u_info: int, can_allocate: bool) -> None:
        """Install the TLS descriptor of guest struct user_desc `u_info` in this
        engine's GDT (set_thread_area(2); clone's CLONE_SETTLS cannot allocate)."""
        entry, base, limit, flags = struct.unpack("<IIII", memory.read(u_info, 16))
        if entry == 0xFFFFFFFF and can_allocate:
            free = [e for e in range(TLS_ENTRY_MIN, TLS_ENTRY_MIN + TLS_ENTRIES)
                    if ctypes.string_at(uc.gdt_host + 8 * e, 8) == bytes(8)]
            if not free:
                raise OSError(errno.ESRCH, "no free TLS entry")
            entry = free[0]
            memory.write(u_info, struct.pack("<I", entry))
        if not TLS_ENTRY_MIN <= entry < TLS_ENTRY_MIN + TLS_ENTRIES:
            raise OSError(errno.EINVAL, "bad TLS entry")
        ctypes.memmove(uc.gdt_host + 8 * entry, user_desc_to_descriptor(base, limit, flags), 8)

    def set_clone_tls(self, uc: Uc, memory, tls: int) -> None:
        self.set_thread_area(uc, memory, tls, can_allocate=False)
        # The kernel reloads the new thread's segments from its GDT: %gs's cached
        # base must come from the new descriptor.
        uc.reg_write(X.UC_X86_REG_GS, uc.reg_read(X.UC_X86_REG_GS))

    def get_tls(self, uc: Uc) -> int:
        return 0


X86_64 = register(X86_64Arch())
I386 = register(I386Arch())
