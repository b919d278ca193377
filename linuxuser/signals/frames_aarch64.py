"""AArch64 signal frames (arch/arm64/kernel/signal.c, uapi/asm/sigcontext.h):
struct rt_sigframe {siginfo; ucontext}, the FP/SIMD registers as an
fpsimd_context record in uc_mcontext.__reserved, then a frame record
{fp, lr} above the frame for unwinders."""
from __future__ import annotations

import struct

from unicorn import arm64_const as A

from linuxuser.signals import SA_RESTORER, SigAction
from linuxuser.signals.frames import frame_stack, write_frame
from linuxuser.translate.regs import RegisterBlock, reg_read, reg_write

INFO_SIZE, UC_SIZE = 128, 4560
FRAME_SIZE = INFO_SIZE + UC_SIZE                   # 4688, a multiple of 16
SIGMASK, MCONTEXT, RESERVED = 40, 176, 464         # offsets in the ucontext
FPSIMD_MAGIC, FPSIMD_SIZE = 0x46508001, 528
XREGS = [getattr(A, f"UC_ARM64_REG_X{i}") for i in range(29)] + [
    A.UC_ARM64_REG_X29, A.UC_ARM64_REG_X30]
QREGS = [getattr(A, f"UC_ARM64_REG_Q{i}") for i in range(32)]
XREG_BLOCK, QREG_BLOCK = RegisterBlock(XREGS), RegisterBlock(QREGS, 16)
NZCV_MASK = 0xF0000000
# The vDSO's __kernel_rt_sigreturn: mov x8, #139; svc #0.
TRAMPOLINE = bytes.fromhex("681180d2" "010000d4")


class Aarch64Frames:
    trampoline = TRAMPOLINE
    trampoline_name = "[vdso]"

    def setup(self, vcpu, sig: int, info: bytes, act: SigAction, oldmask: int,
              fault_address: int, trampoline: int) -> None:
        uc = vcpu.uc
        x = XREG_BLOCK.read(uc)
        sp, pc = reg_read(uc, A.UC_ARM64_REG_SP), reg_read(uc, A.UC_ARM64_REG_PC)
        nzcv = reg_read(uc, A.UC_ARM64_REG_NZCV) & NZCV_MASK
        record = (frame_stack(vcpu, sp, act) - 16) & ~15
        frame = record - FRAME_SIZE
        fpsimd = struct.pack("<IIII", FPSIMD_MAGIC, FPSIMD_SIZE,
                             reg_read(uc, A.UC_ARM64_REG_FPSR), reg_read(uc, A.UC_ARM64_REG_FPCR))
        fpsimd += b"".join(QREG_BLOCK.read_bytes(uc))
        ucontext = (struct.pack("<QQ", 0, 0) + vcpu.altstack.pack(vcpu.arch, sp)
                    + struct.pack("<Q", oldmask)).ljust(MCONTEXT, b"\0")
        ucontext += struct.pack("<Q31QQQQ", fault_address, *x, sp, pc, nzcv).ljust(
            RESERVED - MCONTEXT, b"\0")
        ucontext += (fpsimd + bytes(8)).ljust(UC_SIZE - RESERVED, b"\0")
        write_frame(vcpu, frame, info + ucontext + struct.pack("<QQ", x[29], x[30]))
        reg_write(uc, A.UC_ARM64_REG_X0, sig)
        reg_write(uc, A.UC_ARM64_REG_X1, frame)
        reg_write(uc, A.UC_ARM64_REG_X2, frame + INFO_SIZE)
        reg_write(uc, A.UC_ARM64_REG_X29, record)
        reg_write(uc, A.UC_ARM64_REG_X30, act.restorer if act.flags & SA_RESTORER else trampoline)
        reg_write(uc, A.UC_ARM64_REG_SP, frame)
        reg_write(uc, A.UC_ARM64_REG_PC, act.handler)

    def saved_state(self, vcpu, rt: bool) -> tuple[int, int]:
        """The mask and x0 that rt_sigreturn will restore (for strace)."""
        ucaddr = reg_read(vcpu.uc, A.UC_ARM64_REG_SP) + INFO_SIZE
        data = vcpu.mem.read(ucaddr, MCONTEXT + 16)
        return (struct.unpack_from("<Q", data, SIGMASK)[0],
                struct.unpack_from("<Q", data, MCONTEXT + 8)[0])

    def restore(self, vcpu, rt: bool) -> int:
        uc, mem = vcpu.uc, vcpu.mem
        ucaddr = reg_read(uc, A.UC_ARM64_REG_SP) + INFO_SIZE
        data = mem.read(ucaddr, UC_SIZE)
        mask, = struct.unpack_from("<Q", data, SIGMASK)
        values = struct.unpack_from("<31QQQQ", data, MCONTEXT + 8)
        XREG_BLOCK.write(uc, list(values[:31]))
        reg_write(uc, A.UC_ARM64_REG_SP, values[31])
        reg_write(uc, A.UC_ARM64_REG_PC, values[32])
        reg_write(uc, A.UC_ARM64_REG_NZCV, values[33] & NZCV_MASK)
        magic, size, fpsr, fpcr = struct.unpack_from("<IIII", data, RESERVED)
        if magic == FPSIMD_MAGIC and size == FPSIMD_SIZE:
            reg_write(uc, A.UC_ARM64_REG_FPSR, fpsr)
            reg_write(uc, A.UC_ARM64_REG_FPCR, fpcr)
            QREG_BLOCK.write_bytes(uc, [data[RESERVED + 16 + 16 * i:RESERVED + 32 + 16 * i]
                                        for i in range(32)])
        return mask


FRAMES = Aarch64Frames()
