/*
 * Allocates 256 MiB with malloc (glibc uses mmap for this size), writes to
 * every 4 KiB page, reads everything back, sums it, frees it, and does the
 * same once more to check that the memory can be reused.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIZE (256u * 1024u * 1024u)
#define PAGE 4096u

static int round_trip(int round)
{
    unsigned char *p = malloc(SIZE);
    if (p == NULL) {
        printf("round %d: malloc(256 MiB) failed\n", round);
        return 1;
    }
    size_t pages = SIZE / PAGE;
    for (size_t i = 0; i < pages; i++) {
        p[i * PAGE] = (unsigned char)(i * 7 + round);
        p[i * PAGE + PAGE - 1] = (unsigned char)(i ^ 0x5a);
    }
    uint64_t sum = 0;
    size_t untouched_nonzero = 0;
    for (size_t i = 0; i < pages; i++) {
        sum += p[i * PAGE];
        sum += p[i * PAGE + PAGE - 1];
        /* fresh anonymous memory must be zero where we did not write */
        if (p[i * PAGE + PAGE / 2] != 0)
            untouched_nonzero++;
    }
    memset(p + SIZE - PAGE, 0xff, PAGE);
    uint64_t tail = 0;
    for (size_t i = SIZE - PAGE; i < SIZE; i++)
        tail += p[i];
    free(p);
    printf("round %d: pages=%zu sum=%llu untouched_nonzero=%zu tail=%llu\n",
           round, pages, (unsigned long long)sum, untouched_nonzero,
           (unsigned long long)tail);
    return 0;
}

int main(void)
{
    int rc = 0;
    rc |= round_trip(0);
    rc |= round_trip(1);
    printf("big_alloc %s\n", rc ? "FAILED" : "done");
    return rc;
}
