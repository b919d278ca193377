/*
 * 32-bit ARM (Thumb-2) only: a load inside an IT block that is the first touch
 * of its page, then a branch to code after the block.  Unicorn's TLB fill used
 * to leave the IT state set after such a block, so the next block ran its first
 * instructions conditionally (busybox bzip2 compressed wrongly).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

static unsigned run(volatile unsigned *fresh, unsigned eq)
{
    unsigned loaded = 0, after = 0;
    __asm__ volatile(
        "   cmp %[eq], #1\n"
        "   ite eq\n"
        "   ldreq %[loaded], [%[fresh]]\n"
        "   movne %[loaded], #5\n"
        "   b 1f\n"
        "1: movs %[after], #7\n"          /* must run whatever the flags say */
        : [loaded] "+r"(loaded), [after] "+r"(after)
        : [fresh] "r"(fresh), [eq] "r"(eq)
        : "cc", "memory");
    return loaded * 100 + after;
}

int main(void)
{
    for (unsigned eq = 0; eq < 2; eq++) {
        for (int round = 0; round < 4; round++) {
            /* a page never touched before: the load makes the TLB fill it */
            volatile unsigned *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (page == MAP_FAILED) return 1;
            printf("eq=%u round %d: %u\n", eq, round, run(page, eq));
            munmap((void *)page, 4096);
        }
    }
    return 0;
}
