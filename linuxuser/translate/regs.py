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
    each as `size` bytes: a signal frame saves and restores dozens of them.

    A block is shared by every thread of the process (the frame modules hold
    one per register set) and the library call releases the GIL, so the
    buffers are made per call: shared ones let two threads that build or
    restore frames at once swap each other's registers."""

    def __init__(self, regs: list[int], size: int = 8) -> None:
        n = len(regs)
        self.size = size
        self._stride = max(size, 8)
        self._ids = (ctypes.c_int * n)(*regs)
        self._n = n

    def _buffer(self, data: bytes = b"") -> tuple[ctypes.Array, ctypes.Array]:
        """A fresh buffer for the registers' values and the array of pointers into it."""
        buf = ctypes.create_string_buffer(data, self._stride * self._n)
        base = ctypes.addressof(buf)
        ptrs = (ctypes.c_void_p * self._n)(*range(base, base + self._stride * self._n,
                                                     self._stride))
        return buf, ptrs

    def read_bytes(self, uc: Uc) -> list[bytes]:
        buf, ptrs = self._buffer()
        _lib.uc_reg_read_batch(uc._uch, self._ids, ptrs, self._n)
        raw, stride, size = buf.raw, self._stride, self.size
        return [raw[i:i + size] for i in range(0, stride * self._n, stride)]

    def read(self, uc: Uc) -> list[int]:
        return [int.from_bytes(b, "little") for b in self.read_bytes(uc)]

    def write_bytes(self, uc: Uc, values: list[bytes]) -> None:
        buf, ptrs = self._buffer(b"".join(bytes(v).ljust(self._stride, b"\0")
                                          for v in values))
        _lib.uc_reg_write_batch(uc._uch, self._ids, ptrs, self._n)

    def write(self, uc: Uc, values: list[int]) -> None:
        mask = (1 << (8 * self.size)) - 1
        self.write_bytes(uc, [(v & mask).to_bytes(self.size, "little") for v in values])
