"""Fast register access for the syscall path.

The unicorn binding's `reg_read`/`reg_write` cost ~1.6 µs each here (they pick a
register class per call); calling the library's `uc_reg_read`/`uc_reg_write` with
a ready buffer costs ~0.6 µs.  A syscall reads the number and its arguments and
writes the result, so this is most of a getppid() round trip.
"""
from __future__ import annotations

import ctypes

from unicorn import Uc
from unicorn.unicorn_py3 import unicorn as _binding

_lib = _binding.uclib
_uc_reg_read = _lib.uc_reg_read
_uc_reg_write = _lib.uc_reg_write


class FastRegisters:
    """Read and write general-purpose registers of one engine (word-sized values)."""

    def __init__(self, uc: Uc, word_mask: int) -> None:
        self._handle = uc._uch
        self._buf = ctypes.c_uint64()
        self._ref = ctypes.byref(self._buf)
        self._mask = word_mask

    def read(self, reg: int) -> int:
        self._buf.value = 0
        _uc_reg_read(self._handle, reg, self._ref)
        return self._buf.value & self._mask

    def write(self, reg: int, value: int) -> None:
        self._buf.value = value & self._mask
        _uc_reg_write(self._handle, reg, self._ref)


def reg_read(uc: Uc, reg: int) -> int:
    """A register of up to 64 bits, through the library directly (the binding's
    reg_read picks a register class per call: ~1.6 µs against ~0.5)."""
    buf = ctypes.c_uint64()
    _uc_reg_read(uc._uch, reg, ctypes.byref(buf))
    return buf.value


def reg_write(uc: Uc, reg: int, value: int) -> None:
    _uc_reg_write(uc._uch, reg, ctypes.byref(ctypes.c_uint64(value & 0xFFFFFFFFFFFFFFFF)))


class RegisterBlock:
    """Several registers read or written in one library call (uc_reg_read_batch),
    each as `size` bytes: a signal frame saves and restores dozens of them."""

    def __init__(self, regs: list[int], size: int = 8) -> None:
        n = len(regs)
        self.size = size
        self._ids = (ctypes.c_int * n)(*regs)
        self._bufs = [ctypes.create_string_buffer(max(size, 8)) for _ in regs]
        self._ptrs = (ctypes.c_void_p * n)(*[ctypes.addressof(b) for b in self._bufs])
        self._n = n

    def read_bytes(self, uc: Uc) -> list[bytes]:
        for b in self._bufs:
            ctypes.memset(b, 0, len(b))
        _lib.uc_reg_read_batch(uc._uch, self._ids, self._ptrs, self._n)
        return [b.raw[:self.size] for b in self._bufs]

    def read(self, uc: Uc) -> list[int]:
        return [int.from_bytes(b, "little") for b in self.read_bytes(uc)]

    def write_bytes(self, uc: Uc, values: list[bytes]) -> None:
        for b, v in zip(self._bufs, values):
            ctypes.memmove(b, bytes(v), len(v))
        _lib.uc_reg_write_batch(uc._uch, self._ids, self._ptrs, self._n)

    def write(self, uc: Uc, values: list[int]) -> None:
        mask = (1 << (8 * self.size)) - 1
        self.write_bytes(uc, [(v & mask).to_bytes(self.size, "little") for v in values])
