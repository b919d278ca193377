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


# sizeof() of more kernel structs per ABI, from the uapi headers and the ABIs'
# alignment rules (i386 aligns 64-bit members to 4, ARM EABI and the 64-bit ABIs to 8).
SIZES = {
    "epoll_event": {"x86_64": 12, "i386": 12, "arm": 16, "aarch64": 16},
    "statfs": {"x86_64": 120, "aarch64": 120, "arm": 64, "i386": 64},
    "msghdr": {"x86_64": 56, "aarch64": 56, "arm": 28, "i386": 28},
    "rusage": {"x86_64": 144, "aarch64": 144, "arm": 72, "i386": 72},
    "flock64": {"x86_64": 32, "aarch64": 32, "arm": 32, "i386": 24},
    "itimerspec": {"x86_64": 32, "aarch64": 32, "arm": 16, "i386": 16},
    "cmsghdr": {"x86_64": 16, "aarch64": 16, "arm": 12, "i386": 12},
}


def _size(what: str, arch) -> int:
    from linuxuser.syscalls import structs
    return {
        "epoll_event": lambda: structs.EPOLL_EVENT_LAYOUTS[arch.name].size,
        "statfs": lambda: structs.statfs_layout(arch).size,
        "msghdr": lambda: structs.msghdr_layout(arch).size,
        "rusage": lambda: structs.rusage_layout(arch).size,
        "flock64": lambda: structs.flock_layout(arch, True).size,
        "itimerspec": lambda: structs.itimerspec_layout(arch).size,
        "cmsghdr": lambda: structs.cmsghdr_layout(arch).size,
    }[what]()


@pytest.mark.parametrize("what", sorted(SIZES))
def test_struct_sizes_per_abi(what):
    arches = all_arches()
    assert {name: _size(what, arches[name]) for name in SIZES[what]} == SIZES[what]


def test_statfs64_is_84_bytes_and_32_bit_statfs_overflows():
    from linuxuser.syscalls.structs import STATFS64_LAYOUT, _HOST_STATFS, pack_statfs
    assert STATFS64_LAYOUT.size == 84
    big = _HOST_STATFS.pack({"type": 0xEF53, "bsize": 4096, "blocks": 1 << 33})
    arm = all_arches()["arm"]
    assert struct.unpack_from("<Q", pack_statfs(arm, big, "statfs64"), 8)[0] == 1 << 33
    with pytest.raises(OSError):
        pack_statfs(arm, big, "statfs")
