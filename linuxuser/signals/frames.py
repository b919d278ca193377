"""What every arch's signal frame code shares: the stack a frame goes on and
the uc_stack it records.  Each arch lays its frames out in its own module
(frames_<arch>.py, named by the arch descriptor's `signal_frames`)."""
from __future__ import annotations

import struct

from linuxuser.signals import SA_ONSTACK, SS_DISABLE, SS_ONSTACK, SigAction


class AltStack:
    """A thread's sigaltstack: where, how big, and whether it is disabled."""

    def __init__(self, sp: int = 0, size: int = 0, flags: int = SS_DISABLE) -> None:
        self.sp, self.size, self.flags = sp, size, flags

    def on_stack(self, sp: int) -> bool:
        return self.flags != SS_DISABLE and self.sp < sp <= self.sp + self.size

    def flags_at(self, sp: int) -> int:
        """ss_flags as sigaltstack(2) and uc_stack report them at stack pointer sp."""
        if self.flags == SS_DISABLE or not self.size:
            return SS_DISABLE
        return SS_ONSTACK if self.on_stack(sp) else 0

    def pack(self, arch, sp: int) -> bytes:
        """stack_t: ss_sp, ss_flags (int, padded on 64-bit), ss_size."""
        w = arch.ulong_fmt
        if arch.bits == 64:
            return struct.pack("<" + w + "i4x" + w, self.sp, self.flags_at(sp), self.size)
        return struct.pack("<" + w + "i" + w, self.sp, self.flags_at(sp), self.size)


def stack_t_size(arch) -> int:
    return 24 if arch.bits == 64 else 12


def frame_stack(vcpu, sp: int, act: SigAction) -> int:
    """The stack pointer a frame goes below: the alternate stack's top if the
    action asks for it and the thread is not on it already (sigsp())."""
    alt = vcpu.altstack
    if act.flags & SA_ONSTACK and alt.flags_at(sp) == 0:
        return alt.sp + alt.size
    return sp


def write_frame(vcpu, addr: int, data: bytes) -> None:
    """Write a frame into guest memory (GuestFault if the stack is not there)."""
    vcpu.mem.write(addr, data)
