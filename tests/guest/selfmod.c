/*
 * Code rewritten in place, in a writable and executable page, by the thread that
 * runs it: each round writes a function returning the round's number over the
 * last one, makes it coherent the way the architecture asks (x86: nothing;
 * AArch64: dc cvau/ic ivau, which __builtin___clear_cache emits; 32-bit ARM:
 * the cacheflush syscall), and calls it.  An emulator that keeps running its
 * old translation prints the wrong sums.
 *
 * The second part writes data next to the code in the same page between calls
 * (a page that is both code and data), and the third rewrites the function at a
 * different offset each round, the way a JIT appends code.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "jitcode.h"

static int call_new(unsigned char *p, int value)
{
    size_t n = emit_return(p, value);
    __builtin___clear_cache((char *)p, (char *)p + n);
    return ((code_fn)p)();
}

int main(void)
{
    long page = sysconf(_SC_PAGESIZE);
    unsigned char *p = mmap(NULL, page, PROT_READ | PROT_WRITE | PROT_EXEC,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    long sum = 0;
    for (int round = 1; round <= 200; round++)
        sum += call_new(p, round);
    printf("same place: sum %ld (expected %ld)\n", sum, 200L * 201 / 2);

    volatile int *data = (volatile int *)(p + page / 2);
    sum = 0;
    for (int round = 1; round <= 200; round++) {
        sum += call_new(p, round);
        for (int i = 0; i < 16; i++)
            data[i] = round + i;                /* data stores in the code's page */
        sum += ((code_fn)p)();
    }
    printf("code and data in one page: sum %ld (expected %ld)\n", sum, 200L * 201);

    sum = 0;
    for (int round = 1; round <= 200; round++)
        sum += call_new(p + (round % 64) * 16, round);
    printf("appended code: sum %ld (expected %ld)\n", sum, 200L * 201 / 2);
    return 0;
}
