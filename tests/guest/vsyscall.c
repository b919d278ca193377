/*
 * The x86-64 vsyscall page: old static binaries call gettimeofday, time and
 * getcpu at fixed addresses (0xffffffffff600000 + 0, 0x400, 0x800), which
 * Linux still serves (vsyscall=emulate or xonly).
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/wait.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define VSYSCALL 0xffffffffff600000UL

int main(void)
{
    long (*vtime)(long *) = (long (*)(long *))(VSYSCALL + 0x400);
    int (*vgettimeofday)(struct timeval *, void *) =
        (int (*)(struct timeval *, void *))(VSYSCALL + 0);
    long (*vgetcpu)(unsigned *, unsigned *, void *) =
        (long (*)(unsigned *, unsigned *, void *))(VSYSCALL + 0x800);

    long stored = 0;
    long t = vtime(&stored);
    long now = time(NULL);
    printf("time: returned=stored %d, within 2 s of time() %d\n", t == stored,
           now - t >= 0 && now - t <= 2);

    struct timeval tv = {0, -1}, ref;
    int r = vgettimeofday(&tv, NULL);
    gettimeofday(&ref, NULL);
    printf("gettimeofday: %d, usec in range %d, within 2 s %d\n", r,
           tv.tv_usec >= 0 && tv.tv_usec < 1000000,
           ref.tv_sec - tv.tv_sec >= 0 && ref.tv_sec - tv.tv_sec <= 2);
    printf("gettimeofday(NULL, NULL): %d\n", vgettimeofday(NULL, NULL));

    unsigned cpu = ~0u, node = ~0u;
    long c = vgetcpu(&cpu, &node, NULL);
    printf("getcpu: %ld, cpu known %d, node %u\n", c, cpu < (unsigned)sysconf(_SC_NPROCESSORS_CONF),
           node);

    /* The page is the kernel's: a write to it is a fault. */
    pid_t pid = fork();
    if (pid == 0) {
        dup2(open("/dev/null", O_WRONLY), 2);   /* an emulator's "uncaught signal" line */
        *(volatile char *)(VSYSCALL + 0x400) = 0;
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    printf("write to the page: %s %d\n", WIFSIGNALED(status) ? "signal" : "exit",
           WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    printf("time again: %d\n", vtime(NULL) - time(NULL) <= 0);
    return 0;
}
