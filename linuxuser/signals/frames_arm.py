"""32-bit ARM signal frames (arch/arm/kernel/signal.c, asm/ucontext.h,
asm/sigcontext.h): struct sigframe {ucontext; retcode[4]} and struct
rt_sigframe {siginfo; sigframe}; the VFP registers in uc_regspace."""
from __future__ import annotations

import struct

from unicorn import arm_const as A

from linuxuser.signals import SA_RESTORER, SA_SIGINFO, SigAction
from linuxuser.signals.frames import frame_stack, write_frame
from linuxuser.translate.regs import RegisterBlock, reg_read, reg_write

CPSR_T, CPSR_E = 1 << 5, 1 << 9
CPSR_IT = (0x3F << 10) | (3 << 25)
UC_SIZE, SIGFRAME_SIZE, INFO_SIZE = 744, 760, 128
MCONTEXT, SIGMASK, REGSPACE = 20, 104, 232         # offsets in the ucontext
VFP_MAGIC, VFP_SIZE = 0x56465001, 0x120
NON_RT_FLAGS = 0x5AC3C35A                          # uc_flags of a non-RT frame
GREGS = [getattr(A, f"UC_ARM_REG_R{i}") for i in range(13)] + [
    A.UC_ARM_REG_SP, A.UC_ARM_REG_LR, A.UC_ARM_REG_PC, A.UC_ARM_REG_CPSR]
DREGS = [getattr(A, f"UC_ARM_REG_D{i}") for i in range(32)]
GREG_BLOCK, RESTORED_BLOCK, DREG_BLOCK = (RegisterBlock(GREGS), RegisterBlock(GREGS[:15]),
                                          RegisterBlock(DREGS))
# The kernel's sigpage: sigreturn and rt_sigreturn, ARM then Thumb.
#   mov r7, #119; svc 0 | movs r7, #119; svc 0 | mov r7, #173; svc 0 | movs r7, #173; svc 0
TRAMPOLINE = bytes.fromhex("7770a0e3000000ef" "7727" "00df" "00000000"
                           "ad70a0e3000000ef" "ad27" "00df")
TRAMPOLINE_OFFSETS = {(False, False): 0, (False, True): 8, (True, False): 16, (True, True): 24}


class ArmFrames:
    trampoline = TRAMPOLINE
    trampoline_name = "[sigpage]"

    def setup(self, vcpu, sig: int, info: bytes, act: SigAction, oldmask: int,
              fault_address: int, trampoline: int) -> None:
        uc = vcpu.uc
        regs = GREG_BLOCK.read(uc)
        rt = bool(act.flags & SA_SIGINFO)
        sp = frame_stack(vcpu, regs[13], act)
        size = INFO_SIZE + SIGFRAME_SIZE if rt else SIGFRAME_SIZE
        frame = (sp - size) & ~7
        ucaddr = frame + INFO_SIZE if rt else frame
        write_frame(vcpu, frame, (info if rt else b"")
                    + self.ucontext(vcpu, regs, oldmask, fault_address, rt) + bytes(16))
        thumb = act.handler & 1
        if act.flags & SA_RESTORER:
            retcode = act.restorer
        else:
            retcode = trampoline + TRAMPOLINE_OFFSETS[(rt, bool(thumb))] + thumb
        cpsr = regs[16] & ~(CPSR_T | CPSR_IT | CPSR_E) | (CPSR_T if thumb else 0)
        reg_write(uc, A.UC_ARM_REG_R0, sig)
        if rt:
            reg_write(uc, A.UC_ARM_REG_R1, frame)
            reg_write(uc, A.UC_ARM_REG_R2, ucaddr)
        reg_write(uc, A.UC_ARM_REG_SP, frame)
        reg_write(uc, A.UC_ARM_REG_LR, retcode)
        reg_write(uc, A.UC_ARM_REG_CPSR, cpsr)
        reg_write(uc, A.UC_ARM_REG_PC, act.handler)     # the Thumb bit picks the state

    def ucontext(self, vcpu, regs: list[int], oldmask: int, fault_address: int,
                 rt: bool) -> bytes:
        uc = vcpu.uc
        head = struct.pack("<II", 0 if rt else NON_RT_FLAGS, 0) + vcpu.altstack.pack(
            vcpu.arch, regs[13])
        sigcontext = struct.pack("<3I17II", 0, 0, oldmask & 0xFFFFFFFF, *regs,
                                 fault_address & 0xFFFFFFFF)
        sigmask = struct.pack("<Q", oldmask).ljust(REGSPACE - SIGMASK, b"\0")
        vfp = struct.pack("<II", VFP_MAGIC, VFP_SIZE) + b"".join(
            DREG_BLOCK.read_bytes(uc)) + struct.pack(
            "<I4xIII4x", reg_read(uc, A.UC_ARM_REG_FPSCR), reg_read(uc, A.UC_ARM_REG_FPEXC), 0, 0)
        regspace = (vfp + bytes(8)).ljust(UC_SIZE - REGSPACE, b"\0")   # then the end marker
        return head + sigcontext + sigmask + regspace

    def saved_state(self, vcpu, rt: bool) -> tuple[int, int]:
        """The mask and r0 that (rt_)sigreturn will restore (for strace)."""
        sp = reg_read(vcpu.uc, A.UC_ARM_REG_SP)
        data = vcpu.mem.read(sp + INFO_SIZE if rt else sp, REGSPACE)
        return (struct.unpack_from("<Q", data, SIGMASK)[0],
                struct.unpack_from("<I", data, MCONTEXT + 12)[0])

    def restore(self, vcpu, rt: bool) -> int:
        """(rt_)sigreturn: the registers and mask from the frame at sp; returns the mask."""
        uc, mem = vcpu.uc, vcpu.mem
        sp = reg_read(uc, A.UC_ARM_REG_SP)
        ucaddr = sp + INFO_SIZE if rt else sp
        data = mem.read(ucaddr, UC_SIZE)
        regs = struct.unpack_from("<17I", data, MCONTEXT + 12)
        mask = struct.unpack_from("<Q", data, SIGMASK)[0]
        RESTORED_BLOCK.write(uc, list(regs[:15]))
        cpsr = reg_read(uc, A.UC_ARM_REG_CPSR)
        user_bits = 0xF80F0000 | CPSR_T | CPSR_IT | CPSR_E     # flags, GE, IT, T, E
        reg_write(uc, A.UC_ARM_REG_CPSR, cpsr & ~user_bits | regs[16] & user_bits)
        reg_write(uc, A.UC_ARM_REG_PC, regs[15] & ~1 | (1 if regs[16] & CPSR_T else 0))
        magic, size = struct.unpack_from("<II", data, REGSPACE)
        if magic == VFP_MAGIC and size == VFP_SIZE:
            DREG_BLOCK.write(uc, list(struct.unpack_from("<32Q", data, REGSPACE + 8)))
            fpscr, = struct.unpack_from("<I", data, REGSPACE + 8 + 256)
            reg_write(uc, A.UC_ARM_REG_FPSCR, fpscr)
        return mask


FRAMES = ArmFrames()
