"""AArch64 (little-endian), with FP/AdvSIMD."""
from __future__ import annotations

import signal

from unicorn import UC_ARCH_ARM64, UC_MODE_ARM, Uc, UcError
from unicorn import arm64_const as A

from linuxuser.translate.arch import ASM_GENERIC_OPEN_FLAGS, EM_AARCH64, Arch, SyscallAbi, register

HWCAP_CPUID = 1 << 11

# The engine's ID registers, as Unicorn's (crn, crm, op0, op1, op2).
ID_AA64PFR0_EL1, ID_AA64ISAR0_EL1 = (0, 4, 3, 0, 0), (0, 6, 3, 0, 0)
# AT_HWCAP bits as Linux derives them from ID register fields (arm64_elf_hwcaps):
# (register, field's lowest bit, signed field, lowest value, AT_HWCAP bit).  Only
# fields whose instructions tests/guest/aarch64_features.c runs against qemu.
ID_FIELD_HWCAPS = (
    (ID_AA64PFR0_EL1, 16, True, 0, 0),      # FP: fp
    (ID_AA64PFR0_EL1, 16, True, 1, 9),      # FP: fphp
    (ID_AA64PFR0_EL1, 20, True, 0, 1),      # AdvSIMD: asimd
    (ID_AA64PFR0_EL1, 20, True, 1, 10),     # AdvSIMD: asimdhp
    (ID_AA64ISAR0_EL1, 4, False, 1, 3),     # AES: aes
    (ID_AA64ISAR0_EL1, 4, False, 2, 4),     # AES: pmull
    (ID_AA64ISAR0_EL1, 8, False, 1, 5),     # SHA1: sha1
    (ID_AA64ISAR0_EL1, 12, False, 1, 6),    # SHA2: sha2
    (ID_AA64ISAR0_EL1, 12, False, 2, 21),   # SHA2: sha512
    (ID_AA64ISAR0_EL1, 16, False, 1, 7),    # CRC32: crc32
    (ID_AA64ISAR0_EL1, 20, False, 2, 8),    # Atomic: atomics (LSE)
    (ID_AA64ISAR0_EL1, 28, False, 1, 12),   # RDM: asimdrdm
    (ID_AA64ISAR0_EL1, 32, False, 1, 17),   # SHA3: sha3
    (ID_AA64ISAR0_EL1, 36, False, 1, 18),   # SM3: sm3
    (ID_AA64ISAR0_EL1, 40, False, 1, 19),   # SM4: sm4
    (ID_AA64ISAR0_EL1, 44, False, 1, 20),   # DP: asimddp
    (ID_AA64ISAR0_EL1, 48, False, 1, 23),   # FHM: asimdfhm
    (ID_AA64ISAR0_EL1, 52, False, 1, 27),   # TS: flagm
)


# `mrs Xt, S3_0_C0_Cm_op2`: the ID register space Linux emulates at EL0.
MRS_ID_MASK, MRS_ID_SPACE = 0xFFFFF000, 0xD5380000
_X29_X30 = (A.UC_ARM64_REG_X29, A.UC_ARM64_REG_X30)


def id_field(value: int, shift: int, signed: bool) -> int:
    field = value >> shift & 0xF
    return field - 16 if signed and field & 8 else field

EXCP_UDEF, EXCP_SWI, EXCP_PREFETCH_ABORT, EXCP_DATA_ABORT, EXCP_BKPT = 1, 2, 3, 4, 7


SCTLR_EL1 = (1, 0, 3, 0, 0)                   # (crn, crm, op0, op1, op2)
SCTLR_EL0_ALLOWED = (1 << 15) | (1 << 14) | (1 << 26) | (1 << 16) | (1 << 18)
SPSR_EL1 = (4, 0, 3, 0, 0)
CNTKCTL_EL1, CNTKCTL_EL0VCTEN = (14, 1, 3, 0, 0), 1 << 1
ERET = bytes.fromhex("e0039fd6")
PAGE_SIZE = 4096

class Aarch64Arch(Arch):
    name = "aarch64"
    elf_machine = EM_AARCH64
    bits = 64
    uc_arch, uc_mode = UC_ARCH_ARM64, UC_MODE_ARM
    cpu_model = A.UC_CPU_ARM64_MAX
    # Unicorn's ARM target defaults to 1 KiB pages (ARMv5 subpages): 4 KiB ones,
    # as Linux uses, need a quarter of the TLB entries and fills.
    engine_page_size = 4096
    pc_reg, sp_reg = A.UC_ARM64_REG_PC, A.UC_ARM64_REG_SP
    syscall_abi = SyscallAbi(A.UC_ARM64_REG_X8,
                             (A.UC_ARM64_REG_X0, A.UC_ARM64_REG_X1, A.UC_ARM64_REG_X2,
                              A.UC_ARM64_REG_X3, A.UC_ARM64_REG_X4, A.UC_ARM64_REG_X5),
                             A.UC_ARM64_REG_X0)
    syscall_intno = EXCP_SWI
    uname_machine = "aarch64"
    platform = "aarch64"
    qemu_name = "aarch64"
    gnu_triplet = "aarch64-linux-gnu"
    capstone = ("CS_ARCH_ARM64", "CS_MODE_ARM")
    debug_registers = tuple((f"X{i:02d}", getattr(A, f"UC_ARM64_REG_X{i}")) for i in range(29)) + (
        ("FP", A.UC_ARM64_REG_FP), ("LR", A.UC_ARM64_REG_LR), ("SP", A.UC_ARM64_REG_SP),
        ("PC", A.UC_ARM64_REG_PC), ("NZCV", A.UC_ARM64_REG_NZCV))
    address_space_size = 1 << 46
    signal_frames_module = "aarch64"
    direct_addressing = True
    mappable_end = (1 << 46) - 4096
    stack_top = (1 << 46) - (1 << 32)
    pie_base = 0x155555554000
    open_flag_map = ASM_GENERIC_OPEN_FLAGS
    fault_signals = {EXCP_UDEF: signal.SIGILL, EXCP_BKPT: signal.SIGTRAP,
                     EXCP_PREFETCH_ABORT: signal.SIGSEGV, EXCP_DATA_ABORT: signal.SIGSEGV}

    hwcap_names = ("fp", "asimd", "evtstrm", "aes", "pmull", "sha1", "sha2", "crc32", "atomics",
                   "fphp", "asimdhp", "cpuid", "asimdrdm", "jscvt", "fcma", "lrcpc", "dcpop",
                   "sha3", "sm3", "sm4", "asimddp", "sha512", "sve", "asimdfhm", "dit", "uscat",
                   "ilrcpc", "flagm", "ssbs", "sb", "paca", "pacg")
    cpuinfo_block = ("processor\t: {n}\nBogoMIPS\t: 100.00\nFeatures\t: {features}\n"
                     "CPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x0\n"
                     "CPU part\t: 0xd08\nCPU revision\t: 3\n\n")

    def enable_fpu(self, uc: Uc) -> None:
        uc.reg_write(A.UC_ARM64_REG_CPACR_EL1, uc.reg_read(A.UC_ARM64_REG_CPACR_EL1) | (3 << 20))
        # EL0, as Linux runs programs, with what Linux lets EL0 do (SCTLR_EL1's
        # UCT, DZE, UCI, nTWI, nTWE: CTR_EL0, dc zva, cache maintenance, wfi/wfe);
        # system registers a kernel owns are undefined there, the guest's SIGILL.
        sctlr = uc.reg_read(A.UC_ARM64_REG_CP_REG, SCTLR_EL1)
        uc.reg_write(A.UC_ARM64_REG_CP_REG, SCTLR_EL1 + (sctlr | SCTLR_EL0_ALLOWED,))
        uc.reg_write(A.UC_ARM64_REG_CP_REG, CNTKCTL_EL1 + (CNTKCTL_EL0VCTEN,))   # cntvct_el0
        self._enter_el0(uc)

    def _enter_el0(self, uc: Uc) -> None:
        """An eret to EL0t (interrupts unmasked), as the kernel leaves for user
        mode, from page 0 before the engine has guest memory or hooks (writing
        PSTATE alone leaves the translator at EL1)."""
        target = 0x100
        uc.mem_map(0, PAGE_SIZE)
        try:
            uc.mem_write(0, ERET)
            uc.reg_write(A.UC_ARM64_REG_ELR_EL1, target)
            uc.reg_write(A.UC_ARM64_REG_CP_REG, SPSR_EL1 + (0,))
            uc.emu_start(0, target)
        finally:
            uc.mem_unmap(0, PAGE_SIZE)

    def set_start_state(self, uc: Uc, entry: int, sp: int) -> None:
        super().set_start_state(uc, entry, sp)
        uc.reg_write(A.UC_ARM64_REG_X0, 0)      # rtld_fini: none

    def set_tls(self, uc: Uc, value: int) -> None:
        uc.reg_write(A.UC_ARM64_REG_TPIDR_EL0, value)

    def get_tls(self, uc: Uc) -> int:
        return uc.reg_read(A.UC_ARM64_REG_TPIDR_EL0)

    def emulate_trap(self, uc: Uc, intno: int) -> bool:
        """`mrs` of an ID register (op0 3, op1 0, CRn 0: MIDR_EL1, ID_AA64*...)
        is undefined at EL0; Linux traps it and answers the CPU's value
        (HWCAP_CPUID), and so does this, with the engine's."""
        if intno != EXCP_UDEF:
            return False
        pc = uc.reg_read(A.UC_ARM64_REG_PC)
        try:
            insn = int.from_bytes(uc.mem_read(pc, 4), "little")
        except UcError:
            return False
        if insn & MRS_ID_MASK != MRS_ID_SPACE:
            return False
        crm, op2, rt = insn >> 8 & 15, insn >> 5 & 7, insn & 31
        if rt != 31:                                     # xzr: the value is dropped
            uc.reg_write(A.UC_ARM64_REG_X0 + rt if rt < 29 else _X29_X30[rt - 29],
                         uc.reg_read(A.UC_ARM64_REG_CP_REG, (0, crm, 3, 0, op2)))
        uc.reg_write(A.UC_ARM64_REG_PC, pc + 4)
        return True

    def hwcaps(self, uc: Uc) -> tuple[int, int | None]:
        """AT_HWCAP from the engine's own ID registers, as Linux derives it from
        the CPU's, with HWCAP_CPUID: the guest runs at EL1 in the engine, so
        `mrs` of the ID registers works (Linux emulates it at EL0) and reads
        what AT_HWCAP says.  Its atomics, LL/SC and LSE alike, are host
        atomics (linuxuser.atomics), so glibc's outline atomics may pick LSE."""
        hwcap = HWCAP_CPUID
        for register_, shift, signed, lowest, bit in ID_FIELD_HWCAPS:
            if id_field(uc.reg_read(A.UC_ARM64_REG_CP_REG, register_), shift, signed) >= lowest:
                hwcap |= 1 << bit
        return hwcap, 0


AARCH64 = register(Aarch64Arch())
