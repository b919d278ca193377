"""GuestMemory: the region list, its checks and the engines that mirror it."""
from __future__ import annotations

import pytest
from unicorn import UC_ARCH_ARM64, UC_MODE_ARM, Uc, UcError

from linuxuser.errors import GuestFault
from linuxuser.memory import PAGE_SIZE, GuestMemory

R, W, X = 1, 2, 4


@pytest.fixture
def mem():
    return GuestMemory(1 << 32)


def spans(mem):
    return [(r.start, r.end, r.prot) for r in mem.regions]


def test_map_replaces_and_splits(mem):
    mem.map(0x10000, 4 * PAGE_SIZE, R | W)
    mem.map(0x11000, PAGE_SIZE, R, name="x")
    assert spans(mem) == [(0x10000, 0x11000, R | W), (0x11000, 0x12000, R),
                          (0x12000, 0x14000, R | W)]


def test_unmap_middle_and_protect_across_regions(mem):
    mem.map(0x10000, 4 * PAGE_SIZE, R | W)
    mem.unmap(0x11000, PAGE_SIZE)
    assert spans(mem) == [(0x10000, 0x11000, R | W), (0x12000, 0x14000, R | W)]
    with pytest.raises(OSError):          # a hole in the range: ENOMEM, nothing changed
        mem.protect(0x10000, 4 * PAGE_SIZE, R)
    assert spans(mem) == [(0x10000, 0x11000, R | W), (0x12000, 0x14000, R | W)]
    mem.protect(0x12000, PAGE_SIZE, R | X)
    assert spans(mem)[1] == (0x12000, 0x13000, R | X)


def test_check_follows_protections(mem):
    mem.map(0x10000, 2 * PAGE_SIZE, R | W)
    mem.protect(0x11000, PAGE_SIZE, R)
    assert mem.check(0x10000, 2 * PAGE_SIZE, R) == mem.base + 0x10000
    mem.check(0x10ff0, 16, W)
    with pytest.raises(GuestFault):
        mem.check(0x10ff0, 32, W)              # crosses into the read-only page
    with pytest.raises(GuestFault):
        mem.check(0x12000, 1, R)               # unmapped
    with pytest.raises(GuestFault):
        mem.check((1 << 32) - 4, 8, R)         # past the reservation


def test_read_write_and_cstring(mem):
    mem.map(0x10000, PAGE_SIZE, R | W)
    mem.write(0x10ffa, b"hello\0")
    assert mem.read_cstring(0x10ffa) == b"hello"
    mem.write(0x10ffa, b"abcdef")              # no NUL before the end of the mapping
    with pytest.raises(GuestFault):
        mem.read_cstring(0x10ffa)


def test_find_free_is_top_down_and_skips_regions(mem):
    top = 0x100000
    mem.map(top - PAGE_SIZE, PAGE_SIZE, R)
    assert mem.find_free(2 * PAGE_SIZE, top) == top - 3 * PAGE_SIZE
    mem.map(top - 3 * PAGE_SIZE, 2 * PAGE_SIZE, R)
    assert mem.find_free(PAGE_SIZE, top) == top - 4 * PAGE_SIZE


def test_engines_see_the_same_memory_and_follow_changes(mem):
    """An engine maps a region when its thread first touches it (map_into), and
    later changes apply to what it has mapped."""
    uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
    mem.map(0x10000, 2 * PAGE_SIZE, R | W)
    gen = mem.attach(uc)
    assert list(uc.mem_regions()) == []          # other threads' mappings cost it nothing
    mem.map_into(uc, mem.region_at(0x10010))
    mem.write(0x10010, b"shared")
    assert bytes(uc.mem_read(0x10010, 6)) == b"shared"
    mem.map(0x20000, PAGE_SIZE, R | W)          # after attach: logged for the engine
    gen = mem.sync(uc, gen)
    with pytest.raises(UcError):
        uc.mem_read(0x20000, 1)                 # ... not mapped until touched
    mem.map_into(uc, mem.region_at(0x20000))
    uc.mem_write(0x20000, b"back")
    assert mem.read(0x20000, 4) == b"back"
    mem.unmap(0x10000, PAGE_SIZE)
    mem.protect(0x20000, PAGE_SIZE, R)
    assert mem.sync(uc, gen) == mem.generation
    with pytest.raises(UcError):
        uc.mem_read(0x10000, 1)
    assert [(a, b + 1, p) for a, b, p in uc.mem_regions()] == [(0x11000, 0x12000, R | W),
                                                               (0x20000, 0x21000, R)]
    mem.map_into(uc, mem.region_at(0x11000))    # already there: nothing to add
    assert len(list(uc.mem_regions())) == 2


def test_an_engine_attached_whole_keeps_one_region(mem):
    """A direct-addressing engine maps the reservation once; changes flush only."""
    uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
    gen = mem.attach(uc, whole=True)
    mem.map(0x10000, 2 * PAGE_SIZE, R | W)
    mem.protect(0x10000, PAGE_SIZE, R)
    mem.unmap(0x11000, PAGE_SIZE)
    assert mem.sync(uc, gen, whole=True) == mem.generation
    assert [(a, b + 1) for a, b, _ in uc.mem_regions()] == [(0, mem.mappable_end)]


def test_change_log_is_trimmed_once_every_engine_has_applied_it(mem):
    uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
    gen = mem.attach(uc)
    for i in range(1000):
        mem.map(0x10000, PAGE_SIZE, R | W)
        gen = mem.sync(uc, gen)                 # (the vCPU syncs before it maps)
        mem.map_into(uc, mem.region_at(0x10000))
        mem.protect(0x10000, PAGE_SIZE, R)
        gen = mem.sync(uc, gen)
    base, ops = mem._log
    assert len(ops) <= 600 and base + len(ops) == mem.generation
    assert [(a, b + 1, p) for a, b, p in uc.mem_regions()] == [(0x10000, 0x11000, R)]


def test_a_map_change_that_removes_access_runs_exclusive(mem):
    """Adding access is picked up lazily; taking it away needs every vCPU stopped."""
    entered = []
    from contextlib import contextmanager

    @contextmanager
    def exclusive():
        entered.append(True)
        yield
    mem.exclusive = exclusive
    mem.map(0x10000, 2 * PAGE_SIZE, R | W)
    mem.protect(0x10000, PAGE_SIZE, R | W)
    mem.map(0x20000, PAGE_SIZE, R)
    mem.protect(0x20000, PAGE_SIZE, R | W)
    assert entered == []
    mem.protect(0x10000, PAGE_SIZE, R)           # write taken away
    mem.protect(0x10000, PAGE_SIZE, R | X)       # new code
    mem.map(0x11000, PAGE_SIZE, R)               # replaces a mapping
    mem.unmap(0x20000, PAGE_SIZE)
    mem.unmap(0x30000, PAGE_SIZE)                # nothing there: nothing to do
    assert len(entered) == 4


def host_perms(mem, addr):
    """The host's protection of guest page `addr`, from /proc/self/maps ("rw-p"...)."""
    host = mem.g2h(addr)
    with open("/proc/self/maps") as maps:
        for line in maps:
            span, perms = line.split()[:2]
            lo, hi = (int(x, 16) for x in span.split("-"))
            if lo <= host < hi:
                return perms[:3]
    raise AssertionError(f"{host:#x} not mapped")


def test_host_protection_is_the_guests(mem):
    """ARM engines address guest memory directly, so the host's page protection is
    what refuses a guest access: it must follow map, protect and unmap."""
    mem.map(0x10000, 3 * PAGE_SIZE, R | W)
    mem.protect(0x11000, PAGE_SIZE, R)
    mem.protect(0x12000, PAGE_SIZE, 0)
    assert [host_perms(mem, a) for a in (0x10000, 0x11000, 0x12000)] == ["rw-", "r--", "---"]
    mem.protect(0x12000, PAGE_SIZE, X)            # code is read by the translator
    assert host_perms(mem, 0x12000) == "r--"
    mem.map(0x20000, PAGE_SIZE, 0)
    mem.unmap(0x10000, PAGE_SIZE)
    assert host_perms(mem, 0x20000) == "---" and host_perms(mem, 0x10000) == "---"
