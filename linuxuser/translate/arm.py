"""32-bit ARM (EABI5, little-endian): ARM and Thumb-2, VFPv4 and NEON."""
from __future__ import annotations

import signal

from unicorn import UC_ARCH_ARM, UC_MODE_ARM, Uc, UcError
from unicorn import arm_const as A

from linuxuser.translate.arch import ASM_GENERIC_OPEN_FLAGS, EM_ARM, Arch, SyscallAbi, register

HWCAP_SWP, HWCAP_HALF, HWCAP_THUMB, HWCAP_FAST_MULT = 1, 2, 4, 16
HWCAP_VFP, HWCAP_EDSP, HWCAP_NEON, HWCAP_VFPv3 = 64, 128, 4096, 8192
HWCAP_TLS, HWCAP_VFPv4, HWCAP_IDIVA, HWCAP_IDIVT = 1 << 15, 1 << 16, 1 << 17, 1 << 18
HWCAP_VFPD32, HWCAP_LPAE = 1 << 19, 1 << 20

# Unicorn/QEMU ARM exception numbers.
EXCP_UDEF, EXCP_SWI, EXCP_PREFETCH_ABORT, EXCP_DATA_ABORT, EXCP_BKPT = 1, 2, 3, 4, 7
EXCP_NOCP, EXCP_INVSTATE = 17, 18

CPSR_T = 1 << 5
# The undefined instructions arch/arm/kernel/ptrace.c hooks as breakpoints.
BREAKPOINT_ARM, BREAKPOINT_THUMB = 0xE7F001F0, 0xDE01

# The kernel's user helpers page at 0xffff0000 (Documentation/arch/arm/
# kernel_user_helpers.rst), assembled from:
#   0xf60 __kuser_cmpxchg64: stmfd sp!,{r4-r7}; ldrd r4,r5,[r0]; ldrd r6,r7,[r1];
#         1: ldrexd r0,r1,[r2]; eors r3,r0,r4; eorseq r3,r1,r5;
#         strexdeq r3,r6,r7,[r2]; teqeq r3,#1; beq 1b; rsbs r0,r3,#0;
#         ldmfd sp!,{r4-r7}; bx lr
#   0xfa0 __kuser_memory_barrier: dmb ish; bx lr
#   0xfc0 __kuser_cmpxchg: 1: ldrex r3,[r2]; subs r3,r3,r0; strexeq r3,r1,[r2];
#         teqeq r3,#1; beq 1b; rsbs r0,r3,#0; bx lr
#   0xfe0 __kuser_get_tls: mrc p15,0,r0,c13,c0,3; bx lr
#   0xffc __kuser_helper_version: 5 (helpers occupy 0xf60..0xfff)
KUSER_PAGE = 0xFFFF0000
KUSER_CODE = {
    0xF60: "f0002de9d040c0e1d060c1e19f0fb2e1043030e005303100963fa20101003303"
           "f9ffff0a000073e2f000bde81eff2fe1",
    0xFA0: "5bf07ff51eff2fe1",
    0xFC0: "9f3f92e1003053e0913f820101003303faffff0a000073e21eff2fe1",
    0xFE0: "700f1dee1eff2fe1",
    0xFFC: "05000000",
}


def kuser_page() -> bytes:
    page = bytearray(4096)
    for off, code in KUSER_CODE.items():
        blob = bytes.fromhex(code)
        page[off:off + len(blob)] = blob
    return bytes(page)


class ArmArch(Arch):
    name = "arm"
    elf_machine = EM_ARM
    bits = 32
    uc_arch, uc_mode = UC_ARCH_ARM, UC_MODE_ARM
    cpu_model = A.UC_CPU_ARM_MAX
    # Unicorn's ARM target defaults to 1 KiB pages (ARMv5 subpages): 4 KiB ones,
    # as Linux uses, need a quarter of the TLB entries and fills.
    engine_page_size = 4096
    pc_reg, sp_reg = A.UC_ARM_REG_PC, A.UC_ARM_REG_SP
    syscall_abi = SyscallAbi(A.UC_ARM_REG_R7,
                             (A.UC_ARM_REG_R0, A.UC_ARM_REG_R1, A.UC_ARM_REG_R2,
                              A.UC_ARM_REG_R3, A.UC_ARM_REG_R4, A.UC_ARM_REG_R5,
                              A.UC_ARM_REG_R6),
                             A.UC_ARM_REG_R0)
    syscall_intno = EXCP_SWI
    regpair_aligned = True
    statfs64_sizes = (84, 88)
    shmlba = 4 * 4096              # arch/arm's SHMLBA: the VIPT caches' alias boundary
    uname_machine = "armv7l"
    platform = "v7l"
    qemu_name = "arm"
    gnu_triplet = "arm-linux-gnueabihf"
    capstone = ("CS_ARCH_ARM", "CS_MODE_ARM")
    symbol_address_mask = ~1
    debug_registers = tuple((f"R{i:02d}", getattr(A, f"UC_ARM_REG_R{i}")) for i in range(13)) + (
        ("SP", A.UC_ARM_REG_SP), ("LR", A.UC_ARM_REG_LR), ("PC", A.UC_ARM_REG_PC),
        ("CPSR", A.UC_ARM_REG_CPSR))
    address_space_size = 1 << 32
    signal_frames_module = "arm"
    direct_addressing = True
    mappable_end = 0xFFFFF000          # qemu-arm: mmap(0xfffff000, MAP_FIXED) is ENOMEM
    stack_top = 0xFFFE0000
    pie_base = 0x00400000
    open_flag_map = ASM_GENERIC_OPEN_FLAGS
    fault_signals = {EXCP_UDEF: signal.SIGILL, EXCP_NOCP: signal.SIGILL,
                     EXCP_INVSTATE: signal.SIGILL, EXCP_BKPT: signal.SIGTRAP,
                     EXCP_PREFETCH_ABORT: signal.SIGSEGV, EXCP_DATA_ABORT: signal.SIGSEGV}

    hwcap_names = ("swp", "half", "thumb", "26bit", "fastmult", "fpa", "vfp", "edsp", "java",
                   "iwmmxt", "crunch", "thumbee", "neon", "vfpv3", "vfpv3d16", "tls", "vfpv4",
                   "idiva", "idivt", "vfpd32", "lpae", "evtstrm")
    cpuinfo_block = ("processor\t: {n}\nmodel name\t: ARMv7 Processor rev 0 (v7l)\n"
                     "BogoMIPS\t: 100.00\nFeatures\t: {features}\nCPU implementer\t: 0x41\n"
                     "CPU architecture: 7\nCPU variant\t: 0x2\nCPU part\t: 0xc0f\n"
                     "CPU revision\t: 0\n\n")
    cpuinfo_trailer = "Hardware\t: linuxuser (Cortex-A15)\nRevision\t: 0000\nSerial\t\t: 0000000000000000\n"

    def enable_fpu(self, uc: Uc) -> None:
        # CPACR: full access to cp10/cp11 (VFP/NEON); FPEXC.EN.
        uc.reg_write(A.UC_ARM_REG_C1_C0_2, uc.reg_read(A.UC_ARM_REG_C1_C0_2) | (0xF << 20))
        uc.reg_write(A.UC_ARM_REG_FPEXC, 0x40000000)
        # User mode, as Linux runs programs: coprocessor registers a kernel owns
        # (mrc p15 c1, cache maintenance) are undefined there, the guest's SIGILL.
        uc.reg_write(A.UC_ARM_REG_CPSR, (uc.reg_read(A.UC_ARM_REG_CPSR) & ~0x1F) | 0x10)

    def setup_address_space(self, memory) -> None:
        memory.map(KUSER_PAGE, 4096, 3, name="[vectors]")
        memory.write(KUSER_PAGE, kuser_page())
        memory.protect(KUSER_PAGE, 4096, 5)                  # r-x

    def set_start_state(self, uc: Uc, entry: int, sp: int) -> None:
        super().set_start_state(uc, entry, sp)
        uc.reg_write(A.UC_ARM_REG_R0, 0)        # rtld_fini: none

    def get_pc(self, uc: Uc) -> int:
        thumb = 1 if uc.reg_read(A.UC_ARM_REG_CPSR) & CPSR_T else 0
        return uc.reg_read(A.UC_ARM_REG_PC) | thumb

    def fault_signal(self, uc: Uc, intno: int) -> int:
        if intno == EXCP_UDEF:
            return self.undefined_instruction_signal(uc)
        return super().fault_signal(uc, intno)

    def undefined_instruction_signal(self, uc: Uc) -> int:
        """The kernel's breakpoint instructions (undefined ones it hooks) raise SIGTRAP."""
        pc = uc.reg_read(A.UC_ARM_REG_PC)
        thumb = uc.reg_read(A.UC_ARM_REG_CPSR) & CPSR_T
        try:
            insn = int.from_bytes(uc.mem_read(pc, 2 if thumb else 4), "little")
        except UcError:
            insn = None
        if insn == (BREAKPOINT_THUMB if thumb else BREAKPOINT_ARM):
            return signal.SIGTRAP
        return signal.SIGILL

    def syscall_insn_size(self, uc: Uc) -> int:
        return 2 if uc.reg_read(A.UC_ARM_REG_CPSR) & CPSR_T else 4

    def capstone_mode(self, uc: Uc) -> str:
        thumb = uc.reg_read(A.UC_ARM_REG_CPSR) & CPSR_T
        return "CS_MODE_THUMB" if thumb else "CS_MODE_ARM"

    def set_tls(self, uc: Uc, value: int) -> None:
        uc.reg_write(A.UC_ARM_REG_C13_C0_3, value)   # TPIDRURO

    def get_tls(self, uc: Uc) -> int:
        return uc.reg_read(A.UC_ARM_REG_C13_C0_3)

    def hwcaps(self, uc: Uc) -> tuple[int, int | None]:
        # What a Cortex-A15 executes (ARMv7VE); AT_HWCAP2 (crypto, crc32) is empty.
        # The engine is QEMU's "max" CPU (a superset: ARMv8's AArch32 ldaex/stlex
        # family too), as qemu-arm's default.
        hwcap = (HWCAP_SWP | HWCAP_HALF | HWCAP_THUMB | HWCAP_FAST_MULT | HWCAP_VFP
                 | HWCAP_EDSP | HWCAP_NEON | HWCAP_VFPv3 | HWCAP_TLS | HWCAP_VFPv4
                 | HWCAP_IDIVA | HWCAP_IDIVT | HWCAP_VFPD32 | HWCAP_LPAE)
        return hwcap, 0


ARM = register(ArmArch())
