"""Syscall numbers 424 and up: one table for every arch.

Since Linux 5.1 every architecture gives new syscalls the same number (the
kernel's unified numbering, scripts/syscall.tbl), so the four arch tables
share this one.  An arch that reserves one of these numbers says so in its
own module (32-bit ARM has no 447, memfd_secret).
"""

UNIFIED: dict[int, str] = {
    424: "pidfd_send_signal",
    425: "io_uring_setup",
    426: "io_uring_enter",
    427: "io_uring_register",
    428: "open_tree",
    429: "move_mount",
    430: "fsopen",
    431: "fsconfig",
    432: "fsmount",
    433: "fspick",
    434: "pidfd_open",
    435: "clone3",
    436: "close_range",
    437: "openat2",
    438: "pidfd_getfd",
    439: "faccessat2",
    440: "process_madvise",
    441: "epoll_pwait2",
    442: "mount_setattr",
    443: "quotactl_fd",
    444: "landlock_create_ruleset",
    445: "landlock_add_rule",
    446: "landlock_restrict_self",
    447: "memfd_secret",
    448: "process_mrelease",
    449: "futex_waitv",
    450: "set_mempolicy_home_node",
    451: "cachestat",
    452: "fchmodat2",
    453: "map_shadow_stack",
    454: "futex_wake",
    455: "futex_wait",
    456: "futex_requeue",
    457: "statmount",
    458: "listmount",
    459: "lsm_get_self_attr",
    460: "lsm_set_self_attr",
    461: "lsm_list_modules",
    462: "mseal",
    463: "setxattrat",
    464: "getxattrat",
    465: "listxattrat",
    466: "removexattrat",
    467: "open_tree_attr",
    468: "file_getattr",
    469: "file_setattr",
    470: "listns",
    471: "rseq_slice_yield",
}


def with_unified(own: dict[int, str], reserved: frozenset[int] = frozenset()) -> dict[int, str]:
    """An arch's own numbers plus the unified ones it does not reserve, sorted."""
    merged = {**own, **{nr: name for nr, name in UNIFIED.items() if nr not in reserved}}
    return dict(sorted(merged.items()))
