/*
 * Hostile syscalls: wild pointers, huge and negative lengths and counts, bad
 * descriptors and flags, overlapping ranges, for the fd, memory, process, time,
 * path and socket families.  One line per case: its name and what the kernel
 * answered (a count, or -1 and the errno's name); never an address.
 *
 *   hostile            every case
 *   hostile FAMILY     one family (fd, mem, partial, process, time, path, net)
 *   hostile forever    nanosleep and clock_nanosleep for the largest time_t,
 *                      ended by alarm(1)'s SIGALRM
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_mmap2
#define SYS_mmap_any SYS_mmap
#define MMAP_OFFSET(bytes) (bytes)
#else
#define SYS_mmap_any SYS_mmap2
#define MMAP_OFFSET(bytes) ((bytes) / 4096)
#endif
#ifndef SYS_fstat
#define SYS_fstat SYS_fstat64
#endif
#ifndef SYS_getrlimit
#define SYS_getrlimit SYS_ugetrlimit
#endif
#ifndef SYS_clock_nanosleep
#define SYS_clock_nanosleep SYS_clock_nanosleep_time64
#endif
#ifndef SYS_clock_gettime
#define SYS_clock_gettime SYS_clock_gettime64
#endif

static char *unmapped;     /* a page that was mapped and is not any more */
static char *edge;         /* 100 bytes before an unmapped page */
static const char *family;

static void show(const char *fam, const char *name, long r)
{
    if (r == -1)
        printf("%s %s: -1 %s\n", fam, name, strerrorname_np(errno));
    else
        printf("%s %s: %ld\n", fam, name, r);
}

#define CASE(fam, name, call) do { \
        if (!family || !strcmp(family, fam)) { errno = 0; show(fam, name, (long)(call)); } \
    } while (0)
/* An mmap case: 0 or -1 (the address is not shown); what was mapped is unmapped
 * again at once, so that the hole at `unmapped` stays a hole. */
#define MMAP_CASE(name, ...) CASE("mem", name, mmap_result(syscall(SYS_mmap_any, __VA_ARGS__)))
#define MREMAP_CASE(name, ...) CASE("mem", name, mmap_result(syscall(SYS_mremap, __VA_ARGS__)))

static long mmap_result(long r)
{
    if (r == -1)
        return -1;
    munmap((void *)r, 4096);
    return 0;
}
#define WILD ((void *)unmapped)
#define KERNEL_PTR ((void *)(uintptr_t)-4096)

static void fd_family(void)
{
    char buf[16];
    struct stat st;
    CASE("fd", "read fd -1", syscall(SYS_read, -1, buf, 1));
    CASE("fd", "read fd 1<<20", syscall(SYS_read, 1 << 20, buf, 1));
    CASE("fd", "write fd -1", syscall(SYS_write, -1, buf, 1));
    CASE("fd", "close fd -1", syscall(SYS_close, -1));
    CASE("fd", "close fd 9999", syscall(SYS_close, 9999));
    CASE("fd", "fstat fd -1", syscall(SYS_fstat, -1, &st));
    CASE("fd", "fstat wild buffer", syscall(SYS_fstat, 0, WILD));
    CASE("fd", "fstat of stdin", syscall(SYS_fstat, 0, &st));
    CASE("fd", "lseek fd -1", syscall(SYS_lseek, -1, 0, SEEK_SET));
    CASE("fd", "lseek bad whence", syscall(SYS_lseek, 0, 0, 99));
    CASE("fd", "dup fd -1", syscall(SYS_dup, -1));
    CASE("fd", "dup3 same fd", syscall(SYS_dup3, 0, 0, 0));
    CASE("fd", "dup3 bad flags", syscall(SYS_dup3, 0, 50, 0x1234));
    CASE("fd", "dup3 fd -1", syscall(SYS_dup3, -1, 50, 0));
    CASE("fd", "dup3 onto -1", syscall(SYS_dup3, 0, -1, 0));
    CASE("fd", "dup3 onto 1<<30", syscall(SYS_dup3, 0, 1 << 30, 0));
    CASE("fd", "fcntl fd -1", syscall(SYS_fcntl, -1, F_GETFD));
    CASE("fd", "fcntl unknown cmd", syscall(SYS_fcntl, 0, 9999));
    CASE("fd", "fcntl F_DUPFD negative", syscall(SYS_fcntl, 0, F_DUPFD, -1));
    CASE("fd", "fcntl F_DUPFD 1<<30", syscall(SYS_fcntl, 0, F_DUPFD, 1 << 30));
    CASE("fd", "close_range first > last", syscall(SYS_close_range, 10, 5, 0));
    CASE("fd", "close_range unknown flags", syscall(SYS_close_range, 100, 200, 0x80));
    CASE("fd", "close_range all above 3", syscall(SYS_close_range, 1000, ~0U, 0));
    CASE("fd", "pipe2 bad flags", syscall(SYS_pipe2, (int[2]){0}, 0x1234));
    CASE("fd", "pipe2 wild", syscall(SYS_pipe2, WILD, 0));
    CASE("fd", "readv iovcnt -1", syscall(SYS_readv, 0, buf, -1));
    CASE("fd", "readv iovcnt 1025", syscall(SYS_readv, 0, buf, 1025));
    CASE("fd", "writev wild iov", syscall(SYS_writev, 1, WILD, 1));
    CASE("fd", "getdents64 not a dir", syscall(SYS_getdents64, 0, buf, sizeof buf));
    CASE("fd", "ioctl fd -1", syscall(SYS_ioctl, -1, 0x5401, buf));
}

static void mem_family(void)
{
    long page = 4096;
    MMAP_CASE("mmap length 0", 0, 0, 3, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    MMAP_CASE("mmap length huge", 0, (size_t)-page, 3, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    MMAP_CASE("mmap no type", 0, page, 3, MAP_ANONYMOUS, -1, 0);
    MMAP_CASE("mmap unknown flag", 0, page, 3, MAP_SHARED_VALIDATE | MAP_ANONYMOUS | 0x400000, -1, 0);
    MMAP_CASE("mmap fixed unaligned", unmapped + 1, page, 3, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    MMAP_CASE("mmap bad fd", 0, page, 3, MAP_PRIVATE, 999, 0);
#ifndef SYS_mmap2
    CASE("mem", "mmap unaligned offset", mmap_result(syscall(SYS_mmap, 0, page, 1, MAP_PRIVATE, 0, 1)));
    CASE("mem", "mmap negative offset", mmap_result(syscall(SYS_mmap, 0, page, 1, MAP_PRIVATE, 0, -page)));
#endif
    MMAP_CASE("mmap MAP_HUGETLB", 0, page, 3, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
    MMAP_CASE("mmap unknown prot", 0, page, 0x100 | 3, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CASE("mem", "munmap unaligned", syscall(SYS_munmap, unmapped + 1, page));
    CASE("mem", "munmap length 0", syscall(SYS_munmap, unmapped, 0));
    CASE("mem", "munmap unmapped", syscall(SYS_munmap, unmapped, page));
    CASE("mem", "munmap wraps", syscall(SYS_munmap, unmapped, (size_t)-page));
    CASE("mem", "mprotect unaligned", syscall(SYS_mprotect, unmapped + 1, page, 1));
    CASE("mem", "mprotect unmapped", syscall(SYS_mprotect, unmapped, page, 1));
    CASE("mem", "mprotect unknown bits", syscall(SYS_mprotect, edge - 4096 + 100, page, 0x100));
    CASE("mem", "mprotect length 0", syscall(SYS_mprotect, unmapped, 0, 1));
    CASE("mem", "madvise unaligned", syscall(SYS_madvise, unmapped + 1, page, MADV_NORMAL));
    CASE("mem", "madvise bad advice", syscall(SYS_madvise, edge - 4096 + 100, page, 9999));
    CASE("mem", "madvise unmapped", syscall(SYS_madvise, unmapped, page, MADV_WILLNEED));
    CASE("mem", "madvise length 0", syscall(SYS_madvise, unmapped, 0, MADV_NORMAL));
    char *p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    /* (mremap cases that succeed would move p: they all must fail) */
    MREMAP_CASE("mremap old size 0", p, 0, 2 * page, MREMAP_MAYMOVE);
    MREMAP_CASE("mremap new size 0", p, page, 0, MREMAP_MAYMOVE);
    MREMAP_CASE("mremap unknown flags", p, page, page, 0x80);
    MREMAP_CASE("mremap fixed without maymove", p, page, page, MREMAP_FIXED, unmapped);
    MREMAP_CASE("mremap unmapped", unmapped, page, 2 * page, MREMAP_MAYMOVE);
    MREMAP_CASE("mremap unaligned", p + 1, page, 2 * page, MREMAP_MAYMOVE);
    /* still usable afterwards */
    p[0] = 1;
    p[page] = 2;
    CASE("mem", "mapping intact", p[0] + p[page]);
    CASE("mem", "mlock wild", syscall(SYS_mlock, unmapped, page));
    CASE("mem", "msync unaligned", syscall(SYS_msync, p + 1, page, MS_SYNC));
    CASE("mem", "msync bad flags", syscall(SYS_msync, p, page, MS_SYNC | MS_ASYNC));
}

static void partial_family(void)
{
    int zero = open("/dev/zero", O_RDONLY), null = open("/dev/null", O_WRONLY);
    int pfd[2];
    pipe(pfd);
    CASE("partial", "read /dev/zero into a buffer that runs out", syscall(SYS_read, zero, edge, 8192));
    CASE("partial", "read /dev/zero into a wild buffer", syscall(SYS_read, zero, WILD, 16));
    CASE("partial", "write 0x7fffffff to /dev/null", syscall(SYS_write, null, edge, 0x7fffffffL));
    CASE("partial", "write a buffer that runs out to a pipe", syscall(SYS_write, pfd[1], edge, 4096));
    CASE("partial", "write a wild buffer to a pipe", syscall(SYS_write, pfd[1], WILD, 16));
    CASE("partial", "write count 0 wild buffer", syscall(SYS_write, pfd[1], WILD, 0));
    CASE("partial", "read count 0 wild buffer", syscall(SYS_read, zero, WILD, 0));
    struct iovec iov[2] = {{edge, 100}, {WILD, 100}};
    CASE("partial", "readv second iovec wild", syscall(SYS_readv, zero, iov, 2));
    CASE("partial", "writev second iovec wild", syscall(SYS_writev, pfd[1], iov, 2));
    CASE("partial", "pread /dev/zero into a buffer that runs out", syscall(SYS_pread64, zero, edge, 8192, 0, 0));
    CASE("partial", "getrandom into a buffer that runs out", syscall(SYS_getrandom, edge, 4096, 0));
}

static void process_family(void)
{
    struct rlimit rl;
    CASE("process", "kill bad signal", syscall(SYS_kill, getpid(), 999));
    CASE("process", "kill signal -1", syscall(SYS_kill, getpid(), -1));
    CASE("process", "getrlimit bad resource", syscall(SYS_getrlimit, 999, &rl));
    CASE("process", "getrlimit wild", syscall(SYS_getrlimit, RLIMIT_NOFILE, WILD));
    getrlimit(RLIMIT_NOFILE, &rl);
    struct rlimit inverted = {rl.rlim_max, rl.rlim_max - 1};
    CASE("process", "setrlimit soft > hard", syscall(SYS_setrlimit, RLIMIT_NOFILE, &inverted));
    CASE("process", "setrlimit bad resource", syscall(SYS_setrlimit, 999, &rl));
    CASE("process", "prlimit64 bad resource", syscall(SYS_prlimit64, 0, 999, NULL, &rl));
    CASE("process", "prlimit64 other pid", syscall(SYS_prlimit64, 1, RLIMIT_NOFILE, NULL, NULL));
    CASE("process", "sched_setaffinity size 0", syscall(SYS_sched_setaffinity, 0, 0, &rl));
    static unsigned char ones[1 << 20];
    memset(ones, 0xff, sizeof ones);
    CASE("process", "sched_setaffinity 1 MiB mask", syscall(SYS_sched_setaffinity, 0, sizeof ones, ones));
    CASE("process", "sched_setaffinity wild", syscall(SYS_sched_setaffinity, 0, 8, WILD));
    CASE("process", "sched_getaffinity size 1", syscall(SYS_sched_getaffinity, 0, 1, ones));
    CASE("process", "getpriority bad which", syscall(SYS_getpriority, 99, 0));
    CASE("process", "setpgid bad pid", syscall(SYS_setpgid, -5, 0));
    CASE("process", "wait4 no child", syscall(SYS_wait4, -1, NULL, 0, NULL));
    CASE("process", "wait4 bad options", syscall(SYS_wait4, -1, NULL, 0x12345678, NULL));
    CASE("process", "prctl unknown option", syscall(SYS_prctl, 0x7fff1234, 0, 0, 0, 0));
    CASE("process", "uname wild", syscall(SYS_uname, WILD));
}

static void time_family(void)
{
    struct timespec ts = {0, 1000000000L}, neg = {-1, 0}, out;
    CASE("time", "nanosleep nsec 1e9", syscall(SYS_nanosleep, &ts, NULL));
    CASE("time", "nanosleep negative", syscall(SYS_nanosleep, &neg, NULL));
    CASE("time", "nanosleep wild", syscall(SYS_nanosleep, WILD, NULL));
    CASE("time", "clock_gettime bad clock", syscall(SYS_clock_gettime, 99, &out));
    CASE("time", "clock_gettime wild", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, WILD));
    struct timespec short_ts = {0, 1000};
    /* clock_nanosleep returns the error number itself, not -1 */
    CASE("time", "clock_nanosleep bad clock", syscall(SYS_clock_nanosleep, 99, 0, &short_ts, NULL));
    CASE("time", "clock_nanosleep thread cpu clock",
         syscall(SYS_clock_nanosleep, CLOCK_THREAD_CPUTIME_ID, 0, &short_ts, NULL));
    CASE("time", "clock_nanosleep nsec 1e9", syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &ts, NULL));
}

static void path_family(void)
{
    char longname[5000];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    char buf[64];
    CASE("path", "open empty", syscall(SYS_openat, AT_FDCWD, "", O_RDONLY));
    CASE("path", "open NULL", syscall(SYS_openat, AT_FDCWD, NULL, O_RDONLY));
    CASE("path", "open wild", syscall(SYS_openat, AT_FDCWD, WILD, O_RDONLY));
    CASE("path", "open name past PATH_MAX", syscall(SYS_openat, AT_FDCWD, longname, O_RDONLY));
    CASE("path", "open component past NAME_MAX", syscall(SYS_openat, AT_FDCWD, longname + 4000, O_RDONLY));
    CASE("path", "openat bad dirfd relative", syscall(SYS_openat, 999, "x", O_RDONLY));
    CASE("path", "openat file as dirfd", syscall(SYS_openat, 0, "x", O_RDONLY));
    CASE("path", "readlinkat bufsiz 0", syscall(SYS_readlinkat, AT_FDCWD, "/proc/self/exe", buf, 0));
    CASE("path", "readlinkat bufsiz -1", syscall(SYS_readlinkat, AT_FDCWD, "/proc/self/exe", buf, -1));
    CASE("path", "readlinkat wild buffer", syscall(SYS_readlinkat, AT_FDCWD, "/proc/self/exe", WILD, 64));
    CASE("path", "readlinkat not a link", syscall(SYS_readlinkat, AT_FDCWD, "/", buf, sizeof buf));
    CASE("path", "faccessat bad mode", syscall(SYS_faccessat, AT_FDCWD, "/", 0x100));
    CASE("path", "mkdirat wild", syscall(SYS_mkdirat, AT_FDCWD, WILD, 0700));
    CASE("path", "unlinkat bad flags", syscall(SYS_unlinkat, AT_FDCWD, "nonexistent", 0x1234));
    CASE("path", "getcwd size 1", syscall(SYS_getcwd, buf, 1));
    CASE("path", "getcwd wild", syscall(SYS_getcwd, WILD, 64));
    CASE("path", "chdir not a dir", syscall(SYS_chdir, "/proc/self/exe"));
    CASE("path", "renameat2 bad flags", syscall(SYS_renameat2, AT_FDCWD, "a", AT_FDCWD, "b", 0x1234));
}

static void net_family(void)
{
    CASE("net", "socket bad domain", syscall(SYS_socket, 9999, SOCK_STREAM, 0));
    CASE("net", "socket bad type", syscall(SYS_socket, AF_UNIX, 9999, 0));
    int sv[2];
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    char data = 'x';
    struct iovec iov = {&data, 1};
    union { struct cmsghdr h; char space[CMSG_SPACE(sizeof(int))]; } control;
    memset(&control, 0, sizeof control);
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control,
                         .msg_controllen = sizeof control};
    control.h.cmsg_level = SOL_SOCKET;
    control.h.cmsg_type = SCM_RIGHTS;
    control.h.cmsg_len = 1000;                       /* longer than the buffer */
    CASE("net", "sendmsg bogus cmsg_len", syscall(SYS_sendmsg, sv[0], &msg, 0));
    control.h.cmsg_len = CMSG_LEN(sizeof(int));
    *(int *)CMSG_DATA(&control.h) = 999;             /* not a descriptor */
    CASE("net", "sendmsg SCM_RIGHTS bad fd", syscall(SYS_sendmsg, sv[0], &msg, 0));
    msg.msg_control = WILD;
    CASE("net", "sendmsg wild control", syscall(SYS_sendmsg, sv[0], &msg, 0));
    CASE("net", "sendmsg wild msghdr", syscall(SYS_sendmsg, sv[0], WILD, 0));
    CASE("net", "setsockopt wild", syscall(SYS_setsockopt, sv[0], SOL_SOCKET, SO_RCVBUF, WILD, 4));
    CASE("net", "setsockopt short", syscall(SYS_setsockopt, sv[0], SOL_SOCKET, SO_RCVBUF, &data, 1));
    CASE("net", "bind wild", syscall(SYS_bind, sv[0], WILD, 16));
    CASE("net", "bind negative length", syscall(SYS_bind, sv[0], &data, -1));
}

static void wait_family(void)
{
    struct pollfd pfd = {0, POLLIN, 0};
    CASE("wait", "poll nfds huge", syscall(SYS_ppoll, &pfd, 1 << 30, &(struct timespec){0, 0}, NULL, 8));
    CASE("wait", "poll wild fds", syscall(SYS_ppoll, WILD, 1, &(struct timespec){0, 0}, NULL, 8));
    CASE("wait", "ppoll negative timeout", syscall(SYS_ppoll, &pfd, 1, &(struct timespec){-1, 0}, NULL, 8));
    CASE("wait", "ppoll bad sigsetsize", syscall(SYS_ppoll, &pfd, 1, &(struct timespec){0, 0}, &(long[2]){0}, 3));
    CASE("wait", "pselect6 negative nfds", syscall(SYS_pselect6, -1, NULL, NULL, NULL, &(struct timespec){0, 0}, NULL));
    CASE("wait", "pselect6 wild set", syscall(SYS_pselect6, 1, WILD, NULL, NULL, &(struct timespec){0, 0}, NULL));
    int ep = syscall(SYS_epoll_create1, 0);
    CASE("wait", "epoll_create1 bad flags", syscall(SYS_epoll_create1, 0x1234));
    CASE("wait", "epoll_ctl bad op", syscall(SYS_epoll_ctl, ep, 99, 0, &(char[16]){0}));
    CASE("wait", "epoll_ctl on itself", syscall(SYS_epoll_ctl, ep, 1, ep, &(char[16]){0}));
    CASE("wait", "epoll_ctl wild event", syscall(SYS_epoll_ctl, ep, 1, 0, WILD));
    CASE("wait", "epoll_pwait maxevents 0", syscall(SYS_epoll_pwait, ep, &(char[16]){0}, 0, 0, NULL, 8));
    CASE("wait", "epoll_pwait maxevents -1", syscall(SYS_epoll_pwait, ep, &(char[16]){0}, -1, 0, NULL, 8));
    CASE("wait", "epoll_pwait not epoll", syscall(SYS_epoll_pwait, 0, &(char[16]){0}, 1, 0, NULL, 8));
    CASE("wait", "eventfd2 bad flags", syscall(SYS_eventfd2, 0, 0x1234));
    CASE("wait", "timerfd_create bad clock", syscall(SYS_timerfd_create, 99, 0));
    CASE("wait", "timerfd_create bad flags", syscall(SYS_timerfd_create, CLOCK_MONOTONIC, 0x1234));
    CASE("wait", "futex bad op", syscall(SYS_futex, &pfd.fd, 99, 0, NULL, NULL, 0));
    CASE("wait", "futex wild word", syscall(SYS_futex, WILD, 0 /* FUTEX_WAIT */, 0, NULL, NULL, 0));
    CASE("wait", "futex unaligned word", syscall(SYS_futex, (char *)&pfd.fd + 1, 1, 1, NULL, NULL, 0));
    CASE("wait", "futex wait value differs", syscall(SYS_futex, &pfd.fd, 0, 5, NULL, NULL, 0));
}

static void misc_family(void)
{
    char buf[64];
    CASE("misc", "memfd_create bad flags", syscall(SYS_memfd_create, "x", 0x1234));
    char longname[300];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    CASE("misc", "memfd_create long name", syscall(SYS_memfd_create, longname, 0));
    CASE("misc", "memfd_create wild name", syscall(SYS_memfd_create, WILD, 0));
    int f = syscall(SYS_memfd_create, "hostile", 0);
    CASE("misc", "ftruncate negative", syscall(SYS_ftruncate, f, -1L));
    CASE("misc", "lseek negative result", syscall(SYS_lseek, f, -10, SEEK_SET));
    CASE("misc", "fallocate bad mode", syscall(SYS_fallocate, f, 0x1234, 0, 4096));
    CASE("misc", "getrandom bad flags", syscall(SYS_getrandom, buf, 8, 0x1234));
    CASE("misc", "getrusage bad who", syscall(SYS_getrusage, 99, buf));
    CASE("misc", "getitimer bad which", syscall(SYS_getitimer, 99, buf));
    CASE("misc", "getgroups negative size", syscall(SYS_getgroups, -1, buf));
    CASE("misc", "getgroups wild", syscall(SYS_getgroups, 16, WILD));
    CASE("misc", "sysinfo wild", syscall(SYS_sysinfo, WILD));
    CASE("misc", "times wild", syscall(SYS_times, WILD) == -1 ? -1 : 0);
    CASE("misc", "prctl PR_SET_NAME wild", syscall(SYS_prctl, 15, WILD, 0, 0, 0));
    CASE("misc", "utimensat bad nsec", syscall(SYS_utimensat, f, NULL,
                                               (struct timespec[2]){{0, 2000000000L}, {0, 0}}, 0));
    CASE("misc", "statx bad flags", syscall(SYS_statx, AT_FDCWD, "/", 0x12345678, 0, buf));
    CASE("misc", "statx reserved mask", syscall(SYS_statx, AT_FDCWD, "/", 0, 0x80000000U, buf));
    CASE("misc", "copy_file_range bad flags", syscall(SYS_copy_file_range, f, NULL, f, NULL, 1, 1));
    CASE("misc", "sendfile wild offset", syscall(SYS_sendfile, f, f, WILD, 1));
    CASE("misc", "getsockopt wild optlen", syscall(SYS_getsockopt, 0, SOL_SOCKET, SO_TYPE, buf, WILD));
    CASE("misc", "getsockopt not a socket", syscall(SYS_getsockopt, f, SOL_SOCKET, SO_TYPE, buf, &(int){4}));
    CASE("misc", "socketpair wild", syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, WILD));
    CASE("misc", "set_robust_list bad size", syscall(SYS_set_robust_list, buf, 1));
    CASE("misc", "sched_getaffinity wild", syscall(SYS_sched_getaffinity, 0, 128, WILD));
    CASE("misc", "getcpu wild", syscall(SYS_getcpu, WILD, NULL, NULL));
}

static void sleep_forever(const char *how)
{
    struct timespec ts = {(time_t)((1ULL << (8 * sizeof(time_t) - 1)) - 1), 999999999};
    alarm(1);
    if (!strcmp(how, "clock"))
        syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &ts, NULL);
    else
        syscall(SYS_nanosleep, &ts, NULL);
    printf("woke up\n");
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    family = argc > 1 ? argv[1] : NULL;
    if (family && !strcmp(family, "forever")) {
        sleep_forever(argc > 2 ? argv[2] : "");
        return 0;
    }
    /* page | hole | page: the hole is one page, too small for the cases' mappings */
    char *three = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(three + 4096, 4096);
    unmapped = three + 4096;
    edge = three + 4096 - 100;
    memset(three, 'e', 4096);
    fd_family();
    mem_family();
    partial_family();
    process_family();
    time_family();
    path_family();
    net_family();
    wait_family();
    misc_family();
    return 0;
}
