/*
 * Syscalls whose arguments strace decodes in particular ways, for the -strace
 * log tests: strings with escapes and beyond the 32-character limit, open/mmap/
 * pipe/fcntl flags, struct sigaction, signal sets, timespec, rlimit, utsname,
 * and error returns.  Works in the directory given by argv[1]; prints one line
 * per step (no paths, no pids), so its stdout is the same everywhere (and is
 * compared with qemu's: the signal mask read back checks struct sigaction).
 * With "kill" as argv[2] it ends by sending itself SIGTERM with kill(2).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static void step(const char *what, long r)
{
    printf("%-24s %s\n", what, r < 0 ? strerror(errno) : "ok");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    char path[4096], dir[4096];
    snprintf(path, sizeof path, "%s/strace_calls.dat", argv[1]);
    snprintf(dir, sizeof dir, "%s/strace_calls.d", argv[1]);

    /* Strings: escapes, octal before a digit, non-ASCII, the 32-character cut. */
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    step("open", fd);
    static const char escapes[] = "tab\there \"q\" back\\slash\r\n\001\0012\177\377 end";
    step("write escapes", write(fd, escapes, sizeof escapes - 1));
    step("write long", write(fd, "0123456789abcdefghijklmnopqrstuvwxyz", 36));
    step("write exactly 32", write(fd, "0123456789abcdefghijklmnopqrstuv", 32));
    step("close", close(fd));

    fd = open(path, O_RDONLY);
    char buf[128];
    step("read", read(fd, buf, sizeof buf));
    step("lseek", lseek(fd, 3, SEEK_SET));
    step("read 5", read(fd, buf, 5));
    close(fd);

    /* Descriptors and flags. */
    int p[2];
    step("pipe2", pipe2(p, O_CLOEXEC | O_NONBLOCK));
    step("fcntl F_GETFD", fcntl(p[0], F_GETFD));
    step("fcntl F_SETFD", fcntl(p[0], F_SETFD, 0));
    step("fcntl F_GETFL", fcntl(p[1], F_GETFL));
    step("fcntl F_SETFL", fcntl(p[1], F_SETFL, O_APPEND));
    step("dup3", dup3(p[0], 20, O_CLOEXEC));
    step("dup2", dup2(p[1], 21));
    step("read empty pipe", read(p[0], buf, 4));
    close(20);
    close(21);
    close(p[0]);
    close(p[1]);

    /* Memory. */
    char *m = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    step("mmap", m == MAP_FAILED ? -1 : 0);
    step("mprotect", mprotect(m + 4096, 4096, PROT_NONE));
    step("munmap", munmap(m, 3 * 4096));

    /* Signals. */
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGTERM);
    sigaddset(&sa.sa_mask, SIGCHLD);
    sa.sa_flags = SA_RESTART;
    step("sigaction set", sigaction(SIGUSR1, &sa, NULL));
    memset(&old, 0xff, sizeof old);
    step("sigaction get", sigaction(SIGUSR1, NULL, &old));
    printf("old mask: TERM %d CHLD %d INT %d\n", sigismember(&old.sa_mask, SIGTERM),
           sigismember(&old.sa_mask, SIGCHLD), sigismember(&old.sa_mask, SIGINT));
    sigset_t set, oldset;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGINT);
    step("sigprocmask block", sigprocmask(SIG_BLOCK, &set, &oldset));
    sigfillset(&set);
    step("sigprocmask setmask", sigprocmask(SIG_SETMASK, &set, NULL));
    step("sigprocmask restore", sigprocmask(SIG_SETMASK, &oldset, NULL));

    /* Time, limits, identity. */
    struct timespec ts = {0, 2500}, rem;
    step("nanosleep", nanosleep(&ts, &rem));
    struct rlimit rl;
    step("getrlimit", getrlimit(RLIMIT_CORE, &rl));
    step("setrlimit", setrlimit(RLIMIT_CORE, &rl));
    struct utsname u;
    step("uname", uname(&u));
    step("umask", umask(027));

    /* Errors. */
    step("access", access("/nonexistent/strace_calls", R_OK | W_OK));
    step("open missing", open("/nonexistent/strace_calls", O_RDONLY | O_DIRECTORY));
    step("mkdir", mkdir(dir, 0751));
    step("mkdir again", mkdir(dir, 0751));
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    step("getdents64", syscall(SYS_getdents64, dfd, buf, sizeof buf));
    close(dfd);
    struct statx stx;
    step("statx", syscall(SYS_statx, AT_FDCWD, dir, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx));
    step("getcwd", getcwd(buf, sizeof buf) ? 0 : -1);

    step("rmdir", rmdir(dir));
    step("unlink", unlink(path));
    step("close bad fd", close(-5));
    if (argc > 2 && strcmp(argv[2], "kill") == 0) {
        fflush(stdout);
        syscall(SYS_kill, getpid(), SIGTERM);
        printf("still alive after SIGTERM\n");
        return 3;
    }
    return 0;
}
