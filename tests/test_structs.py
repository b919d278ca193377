"""Struct layouts against the ABI's published sizes and offsets."""
from __future__ import annotations

import os
import struct

import pytest

from linuxuser.syscalls.structs import STAT_LAYOUTS, Layout, pack_stat
from linuxuser.translate.arch import all_arches

# sizeof(struct stat) / sizeof(struct stat64) and the offset of st_size, from the
# kernel's uapi headers (x86_64 asm/stat.h, asm-generic/stat.h, arm asm/stat.h,
# x86 asm/stat.h for i386): ARM EABI aligns the 64-bit st_size to 8, i386 to 4.
ABI = {("x86_64", "stat"): (144, 48), ("aarch64", "stat"): (128, 48),
       ("arm", "stat64"): (104, 48), ("i386", "stat64"): (96, 44)}


@pytest.mark.parametrize("key", sorted(ABI))
def test_stat_layout_size_and_st_size_offset(key, tmp_path):
    size, size_offset = ABI[key]
    arch = all_arches()[key[0]]
    sparse = tmp_path / "sparse"
    with open(sparse, "wb") as f:
        f.truncate(0x112233445)                 # > 4 GiB: needs the 64-bit field
    data = pack_stat(arch, key[1], os.stat(sparse))
    assert len(data) == STAT_LAYOUTS[key].size == size
    assert struct.unpack_from("<q", data, size_offset)[0] == 0x112233445


def test_pack_wraps_signed_and_unsigned_fields():
    layout = Layout("<iIh", "a b c")
    assert layout.unpack(layout.pack({"a": -1, "b": -1, "c": 0x12345})) == \
        {"a": -1, "b": 0xFFFFFFFF, "c": 0x2345}
    assert layout.unpack(layout.pack({})) == {"a": 0, "b": 0, "c": 0}
