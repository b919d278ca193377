/*
 * Error paths of the syscall layer: an unknown syscall number answers ENOSYS
 * (twice: linuxuser logs it once) and the program keeps running; wild guest
 * pointers handed to syscalls answer EFAULT instead of touching anything.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static void show(const char *what, long r)
{
    printf("%-28s = %ld %s\n", what, r, r < 0 ? (errno == ENOSYS ? "ENOSYS" : errno == EFAULT ? "EFAULT" : strerror(errno)) : "");
}

int main(void)
{
    /* Not a syscall on any of the four arches. */
    for (int i = 0; i < 2; i++) {
        errno = 0;
        show("syscall(1999)", syscall(1999, 1, 2, 3));
    }
    void *wild = (void *)16;                      /* below any mapping */
    void *high = (void *)(~0UL & ~0xfffUL);       /* top of the address space */
    errno = 0; show("write(1, wild, 8)", syscall(SYS_write, 1, wild, 8));
    errno = 0; show("write(1, high, 8)", syscall(SYS_write, 1, high, 8));
    int fds[2];
    if (pipe(fds) == 0) {
        write(fds[1], "abcdefgh", 8);
        errno = 0; show("read(pipe, wild, 8)", syscall(SYS_read, fds[0], wild, 8));
        /* Read-only memory is not writable by the kernel either. */
        errno = 0; show("read(pipe, rodata, 8)", syscall(SYS_read, fds[0], (void *)"constant", 8));
    }
    errno = 0; show("openat(wild path)", syscall(SYS_openat, AT_FDCWD, wild, O_RDONLY));
    errno = 0; show("uname(wild)", syscall(SYS_uname, wild));
#ifdef SYS_clock_gettime64
    errno = 0; show("clock_gettime64(wild)", syscall(SYS_clock_gettime64, CLOCK_REALTIME, wild));
#else
    errno = 0; show("clock_gettime(wild)", syscall(SYS_clock_gettime, CLOCK_REALTIME, wild));
#endif
    errno = 0; show("getcwd(wild, 100)", syscall(SYS_getcwd, wild, 100));
    errno = 0; show("getrandom(wild, 16)", syscall(SYS_getrandom, wild, 16, 0));
    printf("still running\n");
    return 0;
}
