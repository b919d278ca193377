"""Arch descriptors: everything that differs between guest architectures.

One descriptor per guest arch says how to build its Unicorn engine, where the
syscall number, arguments and result live, how a syscall instruction reaches us,
how TLS is set, how the initial registers look, what the auxv advertises and how
the address space is laid out.  Code elsewhere asks the descriptor instead of
testing the arch's name.
"""
from __future__ import annotations

import resource
import signal
from dataclasses import dataclass

from unicorn import UC_TLB_VIRTUAL, Uc

# ELF e_machine values.
EM_386, EM_ARM, EM_X86_64, EM_AARCH64 = 3, 40, 62, 183


# open(2) flag bits where asm-generic/fcntl.h (ARM, AArch64) differs from x86:
# guest bit -> host (x86-64) bit.
ASM_GENERIC_OPEN_FLAGS = {0o40000: 0o200000,     # O_DIRECTORY
                          0o100000: 0o400000,    # O_NOFOLLOW
                          0o200000: 0o40000,     # O_DIRECT
                          0o400000: 0o100000}    # O_LARGEFILE


@dataclass(frozen=True)
class SyscallAbi:
    """Registers of the syscall convention (Unicorn register ids)."""
    number: int
    args: tuple[int, ...]
    result: int


DEFAULT_TRANSLATION_BUFFER = 1 << 30      # Unicorn's own default
MIN_TRANSLATION_BUFFER = 16 << 20


def fitting_translation_buffer(wanted: int | None) -> int | None:
    """A translation buffer that fits the host's RLIMIT_DATA (a quarter of it):
    Unicorn exits the process when it cannot allocate one."""
    soft = resource.getrlimit(resource.RLIMIT_DATA)[0]
    if soft == resource.RLIM_INFINITY:
        return wanted
    fitting = max(MIN_TRANSLATION_BUFFER, soft // 4)
    return min(wanted or DEFAULT_TRANSLATION_BUFFER, fitting)


class Arch:
    """Base of the arch descriptors; subclasses fill the class attributes."""
    name: str                      # "arm", "aarch64", "x86_64", "i386"
    elf_machine: int
    bits: int                      # 32 or 64
    uc_arch: int
    uc_mode: int
    cpu_model: int | None = None
    # Unicorn's page (its TLB's granule) when the default is not Linux's 4 KiB.
    engine_page_size: int | None = None
    pc_reg: int
    sp_reg: int
    syscall_abi: SyscallAbi
    uname_machine: str             # uname(2) machine field
    platform: str                  # AT_PLATFORM string
    qemu_name: str                 # qemu-user binary suffix: qemu-<qemu_name>
    gnu_triplet: str               # its Debian cross toolchain's libraries: /usr/<gnu_triplet>
    # Address space layout.
    address_space_size: int
    # Guest loads and stores address host memory at GuestMemory.base + address, the
    # host's page protections checking them (linuxuser's Unicorn, ARM and AArch64):
    # qemu-user's way, 1.3-1.5x faster than Unicorn's softmmu TLB.  Only where
    # modified code is announced (ARM's cacheflush, AArch64's `ic ivau`): x86 may
    # store into code it runs, which only the TLB path notices.
    direct_addressing: bool = False
    # Where the guest's mappings end (qemu-user's limit).  Under direct addressing
    # the last page of the space stays unmapped: an access straddling the end of
    # the highest mapping faults inside the reservation, where the engine's fault
    # handler makes it the guest's SIGSEGV.
    mappable_end: int
    stack_top: int                 # the main thread's stack ends here; mmap goes below
    shmlba: int = 4096             # SysV shm attach alignment (SHM_RND rounds to it)
    pie_base: int                  # load address of an ET_DYN main program
    # Guest open(2) flag bits that differ from the host's (x86-64): guest bit -> host bit.
    open_flag_map: dict[int, int] = {}
    # 32-bit ABIs pass a 64-bit syscall argument in a register pair; ARM EABI starts
    # the pair at an even register (a padding argument before it).
    regpair_aligned: bool = False
    # struct sigaction of the kernel ABI has sa_restorer (all four arches define
    # SA_RESTORER; AArch64 glibc leaves the flag clear but the field is there).
    sigaction_has_restorer: bool = True
    # Fault interrupts (Unicorn intno) and the guest signal they raise.
    fault_signals: dict[int, int] = {}
    syscall_intno: int | None = None   # interrupt that is a syscall (svc, int 0x80)
    # Inside the syscall hook the PC is this many bytes short of the next instruction
    # (x86-64's UC_HOOK_INSN sees the `syscall` itself); a new thread starts after it.
    syscall_pc_lag: int = 0
    # clone(2)'s argument order: most arches use the kernel's CLONE_BACKWARDS.
    clone_args: tuple[str, ...] = ("flags", "stack", "parent_tid", "tls", "child_tid")
    # CLONE_SETTLS passes a struct user_desc (i386) rather than the thread pointer.
    clone_tls_is_user_desc: bool = False
    # Debug logs (-d): Capstone's (arch, mode) constant names for in_asm (capstone
    # itself is imported only by the debug log: 20 ms of start-up), (name, Unicorn
    # register) pairs for cpu.
    capstone: tuple[str, str]
    debug_registers: tuple[tuple[str, int], ...] = ()
    symbol_address_mask: int = -1      # ARM: function symbols carry the Thumb bit
    # The guest's old select(2) takes one pointer to its five arguments (i386's nr 82).
    select_takes_struct: bool = False
    # Arches whose programs the host kernel runs itself (execve runs them directly
    # when the guest is of another arch).
    runs_on_host: bool = False
    # Sizes statfs64/fstatfs64 accept for their 84-byte struct (ARM's wrapper also
    # takes 88, the size EABI's padding gives glibc's struct statfs64).
    statfs64_sizes: tuple[int, ...] = (84,)
    # /proc/cpuinfo: AT_HWCAP bit i is named hwcap_names[i] (the kernel's
    # hwcap_str); each CPU's block is cpuinfo_block.format(n=cpu, features=...).
    hwcap_names: tuple[str, ...] = ()
    cpuinfo_block: str = "processor\t: {n}\nFeatures\t: {features}\n\n"
    cpuinfo_trailer: str = ""

    @property
    def word_size(self) -> int:
        return self.bits // 8

    @property
    def word_mask(self) -> int:
        return (1 << self.bits) - 1

    @property
    def long_fmt(self) -> str:
        """struct format letter of C `long` (and of pointers)."""
        return "q" if self.bits == 64 else "i"

    @property
    def ulong_fmt(self) -> str:
        return "Q" if self.bits == 64 else "I"

    def new_engine(self, translation_buffer: int | None = None) -> Uc:
        """A fresh engine in the state a user-mode process expects (FP/SIMD on).

        `translation_buffer` sizes its translated-code cache (Unicorn reserves
        1 GiB by default; threads get less so that many of them fit).
        """
        uc = Uc(self.uc_arch, self.uc_mode)
        translation_buffer = fitting_translation_buffer(translation_buffer)
        if translation_buffer is not None:
            uc.ctl_set_tcg_buffer_size(translation_buffer)
        if self.cpu_model is not None:
            uc.ctl_set_cpu_model(self.cpu_model)       # before anything initialises the engine
        if self.engine_page_size is not None:
            uc.ctl_set_page_size(self.engine_page_size)
        # The vCPU fills Unicorn's TLB from the guest's region list (Vcpu._on_tlb_fill)
        # instead of the emulated CPU's MMU, which is off and makes every page RWX.
        uc.ctl_set_tlb_mode(UC_TLB_VIRTUAL)
        self.enable_fpu(uc)
        return uc

    def enable_fpu(self, uc: Uc) -> None:
        pass

    def setup_address_space(self, memory) -> None:
        """Map what the kernel provides at fixed addresses (ARM's kuser helpers)."""

    def hook_syscalls(self, uc: Uc, on_syscall) -> None:
        """Arrange for `on_syscall()` to be called at each syscall instruction.

        The default is an interrupt number (svc, int 0x80); see `syscall_intno`.
        """

    def hook_privileged(self, uc: Uc, raise_signal) -> None:
        """Make instructions a user process may not run, and that the engine
        would run anyway, call `raise_signal(sig, addr)` (the kernel's answer)."""

    def set_start_state(self, uc: Uc, entry: int, sp: int) -> None:
        """Registers at the entry point: sp, pc, and the ABI's rtld_fini = 0."""
        uc.reg_write(self.sp_reg, sp)
        uc.reg_write(self.pc_reg, entry)

    def get_pc(self, uc: Uc) -> int:
        """The address to resume at (ARM adds the Thumb bit)."""
        return uc.reg_read(self.pc_reg)

    def set_tls(self, uc: Uc, value: int) -> None:
        raise NotImplementedError

    def set_clone_tls(self, uc: Uc, memory, tls: int) -> None:
        """CLONE_SETTLS: give the new thread's engine its thread pointer."""
        self.set_tls(uc, tls)

    def hwcaps(self, uc: Uc) -> tuple[int, int | None]:
        """AT_HWCAP and AT_HWCAP2 (None: the arch has no AT_HWCAP2)."""
        return 0, None

    def capstone_mode(self, uc: Uc) -> str:
        """The Capstone mode of the code the engine is running (ARM: ARM or Thumb)."""
        return self.capstone[1]

    def cpuinfo(self, hwcap: int, ncpus: int) -> str:
        """/proc/cpuinfo for the CPU the engine emulates, one block per host CPU."""
        features = " ".join(name for bit, name in enumerate(self.hwcap_names)
                            if name and hwcap >> bit & 1)
        return "".join(self.cpuinfo_block.format(n=n, features=features)
                       for n in range(ncpus)) + self.cpuinfo_trailer

    # Signals: the module laying out this arch's frames (linuxuser.signals.frames_<name>),
    # the syscall instruction's length (a restarted call goes back over it) and
    # the si_code of a breakpoint's SIGTRAP.
    signal_frames_module: str
    syscall_insn_length: int = 4
    breakpoint_si_code: int = 1            # TRAP_BRKPT

    @property
    def signal_frames(self):
        import importlib
        return importlib.import_module(
            f"linuxuser.signals.frames_{self.signal_frames_module}").FRAMES

    def syscall_insn_size(self, uc: Uc) -> int:
        return self.syscall_insn_length

    def set_pc(self, uc: Uc, pc: int) -> None:
        uc.reg_write(self.pc_reg, pc)

    def fault_pc(self, uc: Uc) -> int:
        """The faulting instruction's address (no Thumb bit)."""
        return uc.reg_read(self.pc_reg)

    # si_code of SIGILL for an undefined instruction (x86: ILL_ILLOPN, ARM: ILL_ILLOPC).
    undefined_si_code: int = 1

    def emulate_trap(self, uc: Uc, intno: int) -> bool:
        """Do what the kernel does for a trap it emulates (AArch64's `mrs` of
        the ID registers) and resume after the instruction; False: a signal."""
        return False

    def fault_signal(self, uc: Uc, intno: int) -> int:
        return self.fault_signals.get(intno, signal.SIGILL)

    def undefined_instruction_signal(self, uc: Uc) -> int:
        """The signal of an instruction the engine cannot execute."""
        return signal.SIGILL

    def copy_engine_state(self, src: Uc, dst: Uc) -> None:
        """Copy the CPU state of one engine into another (for new threads)."""
        dst.context_restore(src.context_save())


_ARCHES: dict[str, Arch] = {}


def register(arch: Arch) -> Arch:
    _ARCHES[arch.name] = arch
    return arch


def all_arches() -> dict[str, Arch]:
    _load()
    return dict(_ARCHES)


def arch_for_elf(machine: int, bits: int) -> Arch | None:
    _load()
    for arch in _ARCHES.values():
        if arch.elf_machine == machine and arch.bits == bits:
            return arch
    return None


def _load() -> None:
    """Import every arch module (each registers its descriptors); importing one
    of them directly must not leave the others out."""
    from linuxuser.translate import aarch64, arm, x86  # noqa: F401  (they register)
