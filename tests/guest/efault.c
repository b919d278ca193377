/*
 * Wild guest pointers handed to the syscalls of the wider syscall layer: each
 * must answer EFAULT (never crash, never touch memory the guest does not own).
 * Raw syscalls, so that no libc wrapper looks at the pointers first.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void *volatile wild = (void *)16;      /* below any mapping */
#define WILD ((void *)wild)

static int count, efaults;

static void check(const char *what, long r)
{
    count++;
    if (r == -1 && errno == EFAULT)
        efaults++;
    printf("%-28s %s\n", what, r == -1 ? (errno == EFAULT ? "EFAULT" : strerror(errno)) : "no error");
    errno = 0;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    int p[2];
    pipe(p);
    write(p[1], "data", 4);
    int dirfd = open(".", O_RDONLY | O_DIRECTORY);
#ifdef SYS_fstat64
    check("fstat64", syscall(SYS_fstat64, p[0], WILD));
    check("stat64 path", syscall(SYS_stat64, WILD, WILD));
#else
    check("fstat", syscall(SYS_fstat, p[0], WILD));
#endif
    check("statx buf", syscall(SYS_statx, AT_FDCWD, ".", 0, 0x7ff, WILD));
#ifdef SYS_statfs64
    check("statfs64", syscall(SYS_statfs64, ".", 84, WILD));
#else
    check("statfs", syscall(SYS_statfs, ".", WILD));
#endif
    check("getdents64", syscall(SYS_getdents64, dirfd, WILD, 4096));
    check("readv iov", syscall(SYS_readv, p[0], WILD, 2));
    char buf[8];
    /* (a bad buffer after a good one: a short write or EFAULT, by file type) */
    struct iovec bad_base[2] = {{WILD, 4}, {buf, 1}};
    check("writev iov_base", syscall(SYS_writev, p[1], bad_base, 2));
#ifdef SYS_poll
    check("poll", syscall(SYS_poll, WILD, 1, 0));
#endif
    check("ppoll", syscall(SYS_ppoll, WILD, 1, NULL, NULL, 8));
#ifdef SYS__newselect
    check("_newselect fd_set", syscall(SYS__newselect, 8, WILD, NULL, NULL, NULL));
#elif defined(SYS_select)
    check("select fd_set", syscall(SYS_select, 8, WILD, NULL, NULL, NULL));
#endif
    check("pipe2", syscall(SYS_pipe2, WILD, 0));
    int ep = epoll_create1(0);
    check("epoll_ctl event", syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, p[0], WILD));
    struct epoll_event ev = {.events = EPOLLIN};
    epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
    check("epoll_pwait events", syscall(SYS_epoll_pwait, ep, WILD, 4, 0, NULL, 8));
    check("socketpair", socketpair(AF_UNIX, SOCK_STREAM, 0, WILD));
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    socklen_t len = 16;
    check("getsockname addr", getsockname(s, WILD, &len));
    check("bind addr", bind(s, WILD, 16));
    check("sendmsg msghdr", sendmsg(s, WILD, 0));
    check("recvmsg msghdr", recvmsg(s, WILD, MSG_DONTWAIT));
    check("setsockopt value", setsockopt(s, SOL_SOCKET, SO_RCVBUF, WILD, 4));
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    check("wait4 status", syscall(SYS_wait4, pid, WILD, 0, NULL));
    waitpid(pid, NULL, 0);
    check("times", syscall(SYS_times, WILD));
    check("getrusage", syscall(SYS_getrusage, RUSAGE_SELF, WILD));
    check("prlimit64 old", syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, WILD));
    check("sysinfo", syscall(SYS_sysinfo, WILD));
    check("getitimer", syscall(SYS_getitimer, ITIMER_REAL, WILD));
    int tfd = syscall(SYS_timerfd_create, CLOCK_MONOTONIC, 0);
#ifdef SYS_timerfd_gettime64
    check("timerfd_gettime64", syscall(SYS_timerfd_gettime64, tfd, WILD));
#else
    check("timerfd_gettime", syscall(SYS_timerfd_gettime, tfd, WILD));
#endif
    check("utimensat times", syscall(SYS_utimensat, AT_FDCWD, ".", WILD, 0));
    check("rt_sigaction act", syscall(SYS_rt_sigaction, SIGUSR1, WILD, NULL, 8));
    check("rt_sigprocmask set", syscall(SYS_rt_sigprocmask, SIG_BLOCK, WILD, NULL, 8));
    check("sched_getaffinity", syscall(SYS_sched_getaffinity, 0, 128, WILD));
    check("readlinkat buf", syscall(SYS_readlinkat, AT_FDCWD, "/proc/self/exe", WILD, 64));
    check("execve path", syscall(SYS_execve, WILD, NULL, NULL));
    char *argv_bad[] = {"x", WILD, NULL};
    check("execve argv", syscall(SYS_execve, "/bin/true", argv_bad, NULL));
    check("chdir path", syscall(SYS_chdir, WILD));
    check("mkdirat path", syscall(SYS_mkdirat, AT_FDCWD, WILD, 0755));
    check("memfd_create name", syscall(SYS_memfd_create, WILD, 0));
    printf("%d of %d calls answered EFAULT\n", efaults, count);
    return 0;
}
