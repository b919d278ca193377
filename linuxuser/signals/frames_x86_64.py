"""x86-64 signal frames (arch/x86/kernel/signal_64.c, asm/sigframe.h,
uapi/asm/sigcontext.h): struct rt_sigframe {pretcode; ucontext; siginfo},
the FP/SSE state in fxsave layout 64-byte aligned above it.  x86-64 has no
trampoline of the kernel's: a handler without SA_RESTORER cannot return."""
from __future__ import annotations

import struct

from unicorn import x86_const as X

from linuxuser.errors import GuestFault
from linuxuser.signals import SA_RESTORER, SigAction
from linuxuser.signals.frames import frame_stack, write_frame
from linuxuser.translate.regs import RegisterBlock, reg_read, reg_write

REDZONE = 128
UC_OFFSET, INFO_OFFSET, FRAME_SIZE = 8, 312, 440
MCONTEXT, SIGMASK = 40, 296                       # offsets in the ucontext
FXSAVE_SIZE = 512
UC_SIGCONTEXT_SS, UC_STRICT_RESTORE_SS = 2, 4
USER_CS, USER_DS = 0x33, 0x2B
EFLAGS_TF, EFLAGS_DF, EFLAGS_RF = 1 << 8, 1 << 10, 1 << 16
# The flags sigreturn takes from the frame (FIX_EFLAGS): CF PF AF ZF SF TF DF OF AC RF...
EFLAGS_USER = 0x40DD5 | (1 << 18) | (1 << 21)
# sigcontext_64's general registers, in its order (then rip and eflags).
GREGS = [X.UC_X86_REG_R8, X.UC_X86_REG_R9, X.UC_X86_REG_R10, X.UC_X86_REG_R11,
         X.UC_X86_REG_R12, X.UC_X86_REG_R13, X.UC_X86_REG_R14, X.UC_X86_REG_R15,
         X.UC_X86_REG_RDI, X.UC_X86_REG_RSI, X.UC_X86_REG_RBP, X.UC_X86_REG_RBX,
         X.UC_X86_REG_RDX, X.UC_X86_REG_RAX, X.UC_X86_REG_RCX, X.UC_X86_REG_RSP,
         X.UC_X86_REG_RIP, X.UC_X86_REG_EFLAGS]
STREGS = [getattr(X, f"UC_X86_REG_ST{i}") for i in range(8)]
XMMREGS = [getattr(X, f"UC_X86_REG_XMM{i}") for i in range(16)]
GREG_BLOCK, RESTORED_BLOCK = RegisterBlock(GREGS), RegisterBlock(GREGS[:17])
ST_BLOCK = RegisterBlock(STREGS, 10)
XMM_BLOCKS = {n: RegisterBlock(XMMREGS[:n], 16) for n in (8, 16)}


def fxsave(uc, nxmm: int) -> bytes:
    """The x87/SSE state as FXSAVE stores it (what the kernel copies to the frame)."""
    full_tag = reg_read(uc, X.UC_X86_REG_FPTAG)
    abridged = sum(1 << i for i in range(8) if (full_tag >> (2 * i)) & 3 != 3)
    head = struct.pack("<HHBxHQQII", reg_read(uc, X.UC_X86_REG_FPCW),
                       reg_read(uc, X.UC_X86_REG_FPSW), abridged, 0, 0, 0,
                       reg_read(uc, X.UC_X86_REG_MXCSR), 0xFFFF)
    st = b"".join(v.ljust(16, b"\0") for v in ST_BLOCK.read_bytes(uc))
    xmm = b"".join(XMM_BLOCKS[nxmm].read_bytes(uc))
    return (head + st + xmm).ljust(FXSAVE_SIZE, b"\0")


def fxrstor(uc, data: bytes, nxmm: int) -> None:
    fcw, fsw, abridged, _fop, _rip, _rdp, mxcsr, _mask = struct.unpack_from("<HHBxHQQII", data)
    reg_write(uc, X.UC_X86_REG_FPCW, fcw)
    reg_write(uc, X.UC_X86_REG_FPSW, fsw)
    reg_write(uc, X.UC_X86_REG_MXCSR, mxcsr & 0xFFFF)
    ST_BLOCK.write_bytes(uc, [data[32 + 16 * i:42 + 16 * i] for i in range(8)])
    reg_write(uc, X.UC_X86_REG_FPTAG, sum(0 if abridged >> i & 1 else 3 << (2 * i)
                                         for i in range(8)))
    XMM_BLOCKS[nxmm].write_bytes(uc, [data[160 + 16 * i:176 + 16 * i] for i in range(nxmm)])


def reset_fpu(uc) -> None:
    """A handler starts with the FPU in its initial state (fpu__clear_user_states)."""
    reg_write(uc, X.UC_X86_REG_FPCW, 0x37F)
    reg_write(uc, X.UC_X86_REG_FPSW, 0)
    reg_write(uc, X.UC_X86_REG_FPTAG, 0xFFFF)
    reg_write(uc, X.UC_X86_REG_MXCSR, 0x1F80)


class X86_64Frames:
    trampoline = b""

    def setup(self, vcpu, sig: int, info: bytes, act: SigAction, oldmask: int,
              fault_address: int, trampoline: int) -> None:
        if not act.flags & SA_RESTORER:
            raise GuestFault(act.handler)       # the kernel refuses (-EFAULT: SIGSEGV)
        uc = vcpu.uc
        regs = GREG_BLOCK.read(uc)
        sp = regs[15]
        fpstate = (frame_stack(vcpu, sp - REDZONE, act) - FXSAVE_SIZE) & ~63
        frame = ((fpstate - FRAME_SIZE) & ~15) - 8
        mcontext = struct.pack("<18QHHHHQQQQQ", *regs, USER_CS, 0, 0, USER_DS, 0, 0,
                               oldmask, fault_address, fpstate).ljust(256, b"\0")
        ucontext = (struct.pack("<QQ", UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS, 0)
                    + vcpu.altstack.pack(vcpu.arch, sp) + mcontext + struct.pack("<Q", oldmask))
        write_frame(vcpu, frame, struct.pack("<Q", act.restorer) + ucontext + info)
        write_frame(vcpu, fpstate, fxsave(uc, 16))
        reset_fpu(uc)
        reg_write(uc, X.UC_X86_REG_RDI, sig)
        reg_write(uc, X.UC_X86_REG_RSI, frame + INFO_OFFSET)
        reg_write(uc, X.UC_X86_REG_RDX, frame + UC_OFFSET)
        reg_write(uc, X.UC_X86_REG_RAX, 0)
        reg_write(uc, X.UC_X86_REG_RSP, frame)
        reg_write(uc, X.UC_X86_REG_EFLAGS, regs[17] & ~(EFLAGS_TF | EFLAGS_DF | EFLAGS_RF))
        reg_write(uc, X.UC_X86_REG_RIP, act.handler)

    def saved_state(self, vcpu, rt: bool) -> tuple[int, int]:
        """The mask and rax that rt_sigreturn will restore (for strace)."""
        ucaddr = reg_read(vcpu.uc, X.UC_X86_REG_RSP) - 8 + UC_OFFSET
        data = vcpu.mem.read(ucaddr, SIGMASK + 8)
        return (struct.unpack_from("<Q", data, SIGMASK)[0],
                struct.unpack_from("<Q", data, MCONTEXT + 13 * 8)[0])

    def restore(self, vcpu, rt: bool) -> int:
        uc, mem = vcpu.uc, vcpu.mem
        ucaddr = reg_read(uc, X.UC_X86_REG_RSP) - 8 + UC_OFFSET
        data = mem.read(ucaddr, SIGMASK + 8)
        values = struct.unpack_from("<18Q", data, MCONTEXT)
        fpstate, = struct.unpack_from("<Q", data, MCONTEXT + 184)
        mask, = struct.unpack_from("<Q", data, SIGMASK)
        RESTORED_BLOCK.write(uc, list(values[:17]))
        eflags = reg_read(uc, X.UC_X86_REG_EFLAGS)
        reg_write(uc, X.UC_X86_REG_EFLAGS, eflags & ~EFLAGS_USER | values[17] & EFLAGS_USER)
        if fpstate:
            fxrstor(uc, mem.read(fpstate, FXSAVE_SIZE), 16)
        return mask


FRAMES = X86_64Frames()
