/* mmap, munmap, mprotect, madvise and mremap: results and errors of each kind
 * of call, printed without addresses (relative to a reserved area, or yes/no),
 * so that every arch prints what the kernel answers natively. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

static long page;
static char *area;         /* 16 reserved pages: the places the calls use */

static const char *err(void)
{
    switch (errno) {
    case EINVAL: return "EINVAL";
    case ENOMEM: return "ENOMEM";
    case EEXIST: return "EEXIST";
    case EFAULT: return "EFAULT";
    case EACCES: return "EACCES";
    case EBADF: return "EBADF";
    default: return strerror(errno);
    }
}

/* A result that is an address: where it is relative to `area`, in pages. */
static void show_map(const char *what, void *p)
{
    if (p == MAP_FAILED) printf("%s: %s\n", what, err());
    else if ((char *)p >= area && (char *)p < area + 16 * page)
        printf("%s: area + %ld pages%s\n", what, (long)(((char *)p - area) / page),
               ((char *)p - area) % page ? " (not page aligned)" : "");
    else printf("%s: elsewhere\n", what);
}

static void show(const char *what, long r)
{
    if (r < 0) printf("%s: %s\n", what, err());
    else printf("%s: %ld\n", what, r);
}

/* Does writing `p` kill a forked child with SIGSEGV? */
static const char *write_faults(volatile char *p)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        *p = 1;
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV ? "SIGSEGV" : "no fault";
}

static char *map_at(long index, int pages, int flags)
{
    return mmap(area + index * page, pages * page, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);
}

int main(void)
{
    page = sysconf(_SC_PAGESIZE);
    area = mmap(NULL, 16 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(area, 16 * page);                     /* a hole we know is free */
    int fd = open("/proc/self/exe", O_RDONLY);

    /* mmap */
    show_map("mmap length 0", mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    show_map("mmap neither shared nor private", mmap(NULL, page, PROT_READ, MAP_ANONYMOUS, -1, 0));
    show_map("mmap file offset not page aligned", mmap(NULL, page, PROT_READ, MAP_PRIVATE, fd, 100));
    show_map("mmap MAP_FIXED unaligned", mmap(area + 1, page, PROT_READ,
                                              MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
    show_map("mmap bad fd", mmap(NULL, page, PROT_READ, MAP_PRIVATE, -1, 0));
    show_map("mmap hint on a free place", map_at(2, 2, 0));
    show_map("mmap hint on a used place", map_at(2, 1, 0));
    show_map("mmap shared, hint on a used place",
             mmap(area + 2 * page, page, PROT_READ, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
    show_map("mmap hint on a free odd page", map_at(7, 1, 0));
    show_map("mmap hint on a free even page", map_at(8, 1, 0));
    munmap(area + 7 * page, 2 * page);
    show_map("mmap unaligned hint", mmap(area + 7 * page + 1, page, PROT_READ | PROT_WRITE,
                                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    printf("writing it: %s\n", write_faults(area + 7 * page));
    munmap(area + 7 * page, page);
    char *ro = mmap(area + 7 * page, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    show_map("mmap read-only", ro);
    printf("writing it: %s\n", write_faults(ro));
    munmap(ro, page);
    show_map("mmap nearly the whole address space",
             mmap(NULL, sizeof(long) == 8 ? (1UL << 47) - 16 * page : 0xfff00000UL, PROT_NONE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0));
    show_map("mmap MAP_FIXED past the address space",
             mmap((void *)(uintptr_t)-page, 2 * page, PROT_READ,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
    show_map("mmap MAP_FIXED_NOREPLACE on a used place", map_at(3, 1, MAP_FIXED_NOREPLACE));
    show_map("mmap MAP_FIXED_NOREPLACE on a free place", map_at(6, 1, MAP_FIXED_NOREPLACE));
    area[2 * page] = 7;
    show_map("mmap MAP_FIXED over a mapping", map_at(2, 1, MAP_FIXED));
    printf("the page it replaced reads zero: %s\n", area[2 * page] == 0 ? "yes" : "no");

    /* file mappings: shared, and at an offset (mmap2 counts it in pages) */
    char *shared = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, 0);
    printf("a shared file mapping reads the file: %s\n",
           shared != MAP_FAILED && !memcmp(shared, "\177ELF", 4) ? "yes" : "no");
    char *at_page = mmap(NULL, page, PROT_READ, MAP_PRIVATE, fd, page);
    char expect[64];
    pread(fd, expect, sizeof expect, page);
    printf("a file mapping at offset one page reads the file there: %s\n",
           at_page != MAP_FAILED && !memcmp(at_page, expect, sizeof expect) ? "yes" : "no");
    munmap(shared, page);
    munmap(at_page, page);

    /* munmap, mprotect */
    show("munmap unaligned", munmap(area + 1, page));
    show("munmap length 0", munmap(area + 6 * page, 0));
    show("munmap of nothing mapped", munmap(area + 10 * page, page));
    show("mprotect unaligned", mprotect(area + 1, page, PROT_READ));
    show("mprotect length 0", mprotect(area + 10 * page, 0, PROT_READ));
    show("mprotect of nothing mapped", mprotect(area + 10 * page, page, PROT_READ));
    show("mprotect partly mapped", mprotect(area + 6 * page, 2 * page, PROT_READ));
    show("mprotect of one byte", mprotect(area + 2 * page, 1, PROT_READ));
    printf("writing its page: %s\n", write_faults(area + 2 * page + 100));
    mprotect(area + 2 * page, page, PROT_READ | PROT_WRITE);

    /* madvise */
    area[3 * page] = 9;
    show("madvise MADV_WILLNEED", madvise(area + 3 * page, page, MADV_WILLNEED));
    show("madvise unaligned", madvise(area + 3 * page + 1, page, MADV_NORMAL));
    show("madvise MADV_DONTNEED", madvise(area + 3 * page, page, MADV_DONTNEED));
    printf("a private page after MADV_DONTNEED reads zero: %s\n", area[3 * page] == 0 ? "yes" : "no");
    show("madvise of nothing mapped", madvise(area + 10 * page, page, MADV_NORMAL));

    /* mremap: area + 2..3 mapped, 4..5 free, 6 mapped (read-only now) */
    munmap(area + 6 * page, page);
    memset(area + 2 * page, 5, 2 * page);
    show_map("mremap unaligned", mremap(area + 2 * page + 1, page, 2 * page, 0));
    show_map("mremap to size 0", mremap(area + 2 * page, 2 * page, 0, 0));
    show_map("mremap of nothing mapped", mremap(area + 10 * page, page, 2 * page, MREMAP_MAYMOVE));
    show_map("mremap grow in place", mremap(area + 2 * page, 2 * page, 3 * page, 0));
    map_at(5, 1, MAP_FIXED);                      /* now 2..4 mapped, 5 mapped */
    show_map("mremap grow blocked, may not move", mremap(area + 2 * page, 3 * page, 5 * page, 0));
    char *moved = mremap(area + 2 * page, 3 * page, 5 * page, MREMAP_MAYMOVE);
    show_map("mremap grow blocked, may move", moved);
    if (moved != MAP_FAILED) {
        printf("moved contents kept: %s\n", moved[0] == 5 && moved[2 * page - 1] == 5 ? "yes" : "no");
        printf("grown part zero: %s\n", moved[4 * page] == 0 ? "yes" : "no");
        show("old place unmapped (mprotect)", mprotect(area + 2 * page, page, PROT_READ));
        char *shrunk = mremap(moved, 5 * page, 2 * page, 0);
        printf("mremap shrink stays in place: %s\n", shrunk == moved ? "yes" : "no");
        show("shrunk tail unmapped (mprotect)", mprotect(moved + 3 * page, page, PROT_READ));
        show("the mapping after the old end is still there (mprotect)",
             mprotect(moved + 5 * page, page, PROT_READ));
        /* a mapping without access moves too (its bytes cannot be read where it is) */
        char *none = mmap(area, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        mmap(area + page, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        char *none_moved = mremap(none, page, 2 * page, MREMAP_MAYMOVE);
        printf("mremap moves a PROT_NONE mapping: %s\n",
               none_moved != MAP_FAILED && none_moved != none ? "yes" : "no");
        printf("writing it: %s\n", write_faults(none_moved));
    }
    return 0;
}
