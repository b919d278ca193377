"""i386 signal frames as a 64-bit kernel builds them for 32-bit programs
(arch/x86/ia32/ia32_signal.c, asm/sigframe.h): struct sigframe_ia32
{pretcode; sig; sigcontext; fpstate_unused; extramask; retcode} for handlers
without SA_SIGINFO, struct rt_sigframe_ia32 {pretcode; sig; pinfo; puc;
siginfo; ucontext; retcode} with it; the FP state (_fpstate_32: an fsave
header, then FXSAVE's image 64-byte aligned) above the frame."""
from __future__ import annotations

import struct

from unicorn import x86_const as X

from linuxuser.signals import SA_RESTORER, SA_SIGINFO, SigAction
from linuxuser.signals.frames import frame_stack, write_frame
from linuxuser.signals.frames_x86_64 import (EFLAGS_DF, EFLAGS_RF, EFLAGS_TF, EFLAGS_USER,
                                             FXSAVE_SIZE, ST_BLOCK, fxrstor, fxsave, reset_fpu)
from linuxuser.translate.regs import reg_read, reg_write

FSAVE_HEADER = 112                  # struct fregs_state, before the FXSAVE image
SIGFRAME_SIZE, RT_FRAME_SIZE = 732, 268
SC_SIZE = 88
SC_IN_SIGFRAME, EXTRAMASK, RETCODE = 8, 720, 724
INFO_IN_RT, UC_IN_RT, RT_RETCODE = 16, 144, 260
UC_MCONTEXT, UC_SIGMASK = 20, 108
USER_DS = 0x2B
# popl %eax; movl $119, %eax; int $0x80  /  movl $173, %eax; int $0x80
RETCODE_SIGRETURN = bytes.fromhex("58b877000000cd80")
RETCODE_RT_SIGRETURN = bytes.fromhex("b8ad000000cd8000")
# sigcontext_32 from edi on, in its order.
GREGS = [X.UC_X86_REG_EDI, X.UC_X86_REG_ESI, X.UC_X86_REG_EBP, X.UC_X86_REG_ESP,
         X.UC_X86_REG_EBX, X.UC_X86_REG_EDX, X.UC_X86_REG_ECX, X.UC_X86_REG_EAX]
SEGS = [X.UC_X86_REG_GS, X.UC_X86_REG_FS, X.UC_X86_REG_ES, X.UC_X86_REG_DS]


def _fpstate(uc) -> bytes:
    """_fpstate_32: the fsave header (magic 0: FXSAVE data follows), then FXSAVE's."""
    fx = fxsave(uc, 8)
    header = struct.pack("<7I", reg_read(uc, X.UC_X86_REG_FPCW), reg_read(uc, X.UC_X86_REG_FPSW),
                         reg_read(uc, X.UC_X86_REG_FPTAG), 0, 0, 0, 0)
    header += b"".join(ST_BLOCK.read_bytes(uc))
    header += struct.pack("<HH", reg_read(uc, X.UC_X86_REG_FPSW), 0)
    return header + fx


class I386Frames:
    trampoline = b""                 # the return code is in the frame itself

    def setup(self, vcpu, sig: int, info: bytes, act: SigAction, oldmask: int,
              fault_address: int, trampoline: int) -> None:
        uc = vcpu.uc
        rt = bool(act.flags & SA_SIGINFO)
        sp = reg_read(uc, X.UC_X86_REG_ESP)
        buf_fx = (frame_stack(vcpu, sp, act) - FXSAVE_SIZE) & ~63
        fpstate = buf_fx - FSAVE_HEADER
        size = RT_FRAME_SIZE if rt else SIGFRAME_SIZE
        frame = ((fpstate - size + 4) & ~15) - 4
        sc = self.sigcontext(uc, oldmask, fault_address, fpstate)
        if rt:
            pretcode = act.restorer if act.flags & SA_RESTORER else frame + RT_RETCODE
            uc_bytes = (struct.pack("<II", 0, 0) + vcpu.altstack.pack(vcpu.arch, sp) + sc
                        + struct.pack("<Q", oldmask))
            data = (struct.pack("<IiII", pretcode, sig, frame + INFO_IN_RT, frame + UC_IN_RT)
                    + info + uc_bytes + RETCODE_RT_SIGRETURN)
        else:
            pretcode = act.restorer if act.flags & SA_RESTORER else frame + RETCODE
            data = (struct.pack("<Ii", pretcode, sig) + sc).ljust(EXTRAMASK, b"\0")
            data += struct.pack("<I", oldmask >> 32) + RETCODE_SIGRETURN
        write_frame(vcpu, frame, data)
        write_frame(vcpu, fpstate, _fpstate(uc))
        reset_fpu(uc)
        reg_write(uc, X.UC_X86_REG_EAX, sig)
        reg_write(uc, X.UC_X86_REG_EDX, frame + INFO_IN_RT if rt else 0)
        reg_write(uc, X.UC_X86_REG_ECX, frame + UC_IN_RT if rt else 0)
        reg_write(uc, X.UC_X86_REG_ESP, frame)
        eflags = reg_read(uc, X.UC_X86_REG_EFLAGS)
        reg_write(uc, X.UC_X86_REG_EFLAGS, eflags & ~(EFLAGS_TF | EFLAGS_DF | EFLAGS_RF))
        reg_write(uc, X.UC_X86_REG_EIP, act.handler)

    def sigcontext(self, uc, oldmask: int, fault_address: int, fpstate: int) -> bytes:
        segs = [reg_read(uc, r) for r in SEGS]
        regs = [reg_read(uc, r) for r in GREGS]
        return struct.pack("<4I8I5I5I", *segs, *regs, 0, 0, reg_read(uc, X.UC_X86_REG_EIP),
                           reg_read(uc, X.UC_X86_REG_CS), reg_read(uc, X.UC_X86_REG_EFLAGS),
                           regs[3], USER_DS, fpstate, oldmask & 0xFFFFFFFF, fault_address)

    def _read(self, vcpu, rt: bool) -> tuple[int, tuple]:
        """The saved mask and sigcontext_32 of the frame (rt_)sigreturn returns from
        (the restorer popped pretcode, and sig too for the non-RT frame)."""
        uc, mem = vcpu.uc, vcpu.mem
        esp = reg_read(uc, X.UC_X86_REG_ESP)
        if rt:
            ucdata = mem.read(esp - 4 + UC_IN_RT, UC_SIGMASK + 8)
            sc = ucdata[UC_MCONTEXT:UC_MCONTEXT + SC_SIZE]
            mask, = struct.unpack_from("<Q", ucdata, UC_SIGMASK)
        else:
            data = mem.read(esp - 8, RETCODE)
            sc = data[SC_IN_SIGFRAME:SC_IN_SIGFRAME + SC_SIZE]
            mask = struct.unpack_from("<I", sc, 80)[0] | struct.unpack_from(
                "<I", data, EXTRAMASK)[0] << 32
        return mask, struct.unpack("<4I8I5I5I", sc)

    def saved_state(self, vcpu, rt: bool) -> tuple[int, int]:
        """The mask and eax that (rt_)sigreturn will restore (for strace)."""
        mask, values = self._read(vcpu, rt)
        return mask, values[11]

    def restore(self, vcpu, rt: bool) -> int:
        uc, mem = vcpu.uc, vcpu.mem
        mask, values = self._read(vcpu, rt)
        gs = values[0] & 0xFFFF
        if gs != reg_read(uc, X.UC_X86_REG_GS):
            reg_write(uc, X.UC_X86_REG_GS, gs)
        for reg, value in zip(GREGS, values[4:12]):
            reg_write(uc, reg, value)
        reg_write(uc, X.UC_X86_REG_EIP, values[14])
        eflags = reg_read(uc, X.UC_X86_REG_EFLAGS)
        reg_write(uc, X.UC_X86_REG_EFLAGS, eflags & ~EFLAGS_USER | values[16] & EFLAGS_USER)
        fpstate = values[19]
        if fpstate:
            fxrstor(uc, mem.read(fpstate + FSAVE_HEADER, FXSAVE_SIZE), 8)
        return mask


FRAMES = I386Frames()
