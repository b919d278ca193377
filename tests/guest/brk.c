/* brk(2) grown, shrunk and regrown, as /proc/self/maps and the memory show it.
 *
 * Everything printed is relative to the break at main() (in pages and yes/no),
 * so that the output is the same on every arch and under any address layout:
 * the kernel's rules are arch-independent.  Nothing here mallocs: the break
 * moved under malloc's feet would break it.  A shrink must unmap (touching a
 * freed page kills a forked child with SIGSEGV); a regrow maps zeroed pages.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096UL
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

static uintptr_t sys_brk(uintptr_t addr) { return (uintptr_t)syscall(SYS_brk, addr); }
static uintptr_t up(uintptr_t a) { return (a + PAGE - 1) & ~(PAGE - 1); }

static uintptr_t origin;    /* the page of the break at main() */

/* /proc/self/maps, read without malloc (the heap is what the test moves). */
static char maps[65536];
static void read_maps(void)
{
    int fd = open("/proc/self/maps", O_RDONLY);
    ssize_t n, len = 0;
    while (fd >= 0 && (n = read(fd, maps + len, sizeof maps - 1 - len)) > 0) len += n;
    maps[len] = 0;
    if (fd >= 0) close(fd);
}

/* The [heap] line of maps, or NULL. */
static const char *heap_line(void)
{
    read_maps();
    char *hit = strstr(maps, "[heap]");
    if (!hit) return NULL;
    while (hit > maps && hit[-1] != '\n') hit--;
    return hit;
}

/* The [heap] mapping's bounds relative to `origin`, in pages ("none" if absent). */
static void show_heap(const char *when)
{
    const char *line = heap_line();
    if (!line) {
        printf("%s: no [heap]\n", when);
        return;
    }
    unsigned long a, b;
    char perms[8];
    sscanf(line, "%lx-%lx %7s", &a, &b, perms);
    printf("%s: [heap] ends %+ld pages from the first break, %s%s\n", when,
           (long)((intptr_t)(b - origin) / (long)PAGE), perms,
           a <= origin ? "" : ", starts above it");
}

/* Where [heap] starts (0: no [heap]). */
static uintptr_t heap_start(void)
{
    const char *line = heap_line();
    unsigned long a = 0;
    if (line) sscanf(line, "%lx", &a);
    return a;
}

/* Does touching `p` kill a forked child with SIGSEGV? */
static const char *touch(volatile char *p, int write)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        if (write) *p = 1; else (void)*p;
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status)) return WTERMSIG(status) == SIGSEGV ? "SIGSEGV" : "other signal";
    return "fine";
}

static const char *all_zero(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) if (p[i]) return "no";
    return "yes";
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);        /* printf must not malloc in the heap */
    uintptr_t b0 = sys_brk(0);
    origin = up(b0);
    printf("break at main() page aligned after start-up: %s\n", b0 == origin ? "yes" : "no");

    uintptr_t want = origin + 5 * PAGE + 123;
    printf("grow 5 pages + 123: %s\n", sys_brk(want) == want ? "ok" : "refused");
    show_heap("after growing");
    memset((void *)origin, 0xab, 5 * PAGE + 123);
    printf("last grown byte: %s\n", touch((char *)want - 1, 1));

    /* a mapping above the heap must outlive its shrinking */
    char *above = mmap((void *)(origin + 64 * PAGE), PAGE, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    uintptr_t shrink = origin + PAGE + 7;
    printf("shrink to 1 page + 7: %s\n", sys_brk(shrink) == shrink ? "ok" : "refused");
    show_heap("after shrinking");
    printf("reading the kept page past the break: %s\n", touch((char *)shrink + 100, 0));
    printf("a mapping 64 pages above is still there: %s\n",
           above != MAP_FAILED && mprotect(above, PAGE, PROT_READ) == 0 ? "yes" : "no");
    printf("reading a freed page: %s\n", touch((char *)origin + 2 * PAGE, 0));
    printf("writing the last freed page: %s\n", touch((char *)origin + 5 * PAGE + 10, 1));

    printf("regrow 4 pages: %s\n", sys_brk(origin + 4 * PAGE) == origin + 4 * PAGE ? "ok" : "refused");
    show_heap("after regrowing");
    printf("regrown pages zero: %s\n", all_zero((char *)origin + 2 * PAGE, 2 * PAGE));
    printf("kept page past the old break still holds the old bytes: %s\n",
           all_zero((char *)shrink, 100)[0] == 'n' ? "yes" : "no");
    memset((void *)origin, 0xcd, 4 * PAGE);
    printf("regrown pages writable: yes\n");

    printf("brk(0) answers the break: %s\n", sys_brk(0) == origin + 4 * PAGE ? "yes" : "no");
    int on_the_stack;
    uintptr_t into_stack = sys_brk((uintptr_t)&on_the_stack);
    printf("brk into the stack answers the break: %s\n",
           into_stack == origin + 4 * PAGE ? "yes" : "no");
    uintptr_t below = sys_brk(b0 - 1024 * PAGE);
    printf("brk 1024 pages below the first break answers the break: %s\n",
           below == origin + 4 * PAGE ? "yes" : "no");
    printf("back to the first break: %s\n", sys_brk(b0) == b0 ? "ok" : "refused");
    show_heap("at the end");
    /* The heap's first pages hold static glibc's TLS: empty it in a child, which
       only makes raw syscalls afterwards. */
    uintptr_t start = heap_start();
    pid_t pid = fork();
    if (pid == 0) _exit(start && sys_brk(start) == start && sys_brk(start + PAGE) == start + PAGE);
    int status;
    waitpid(pid, &status, 0);
    printf("brk to the start of [heap] and back: %s\n",
           WIFEXITED(status) && WEXITSTATUS(status) == 1 ? "ok" : "refused");
    return 0;
}
