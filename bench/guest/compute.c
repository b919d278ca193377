/*
 * Single-thread compute.
 *   compute hash [scale]   FNV-1a over a 1 MiB buffer, 128 passes (byte loads,
 *                          multiplies: the load/store path of the emulator)
 *   compute sort [scale]   qsort of 1M ints (calls through a function pointer,
 *                          branches, loads and stores)
 *   compute random [scale] 8M loads at random places in 64 MiB (the emulator's
 *                          TLB: every load is likely on another page)
 */
#include <stdint.h>
#include <string.h>
#include "bench.h"

#define BUF_SIZE (1 << 20)

static unsigned char buf[BUF_SIZE];

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static uint32_t fnv1a(const unsigned char *p, size_t n, uint32_t h)
{
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "hash";
    double scale = bench_scale(argc, argv, 2);
    unsigned int seed = 2463534242u;

    if (strcmp(mode, "hash") == 0) {
        int passes = (int)(128 * scale);
        for (size_t i = 0; i < BUF_SIZE; i++)
            buf[i] = (unsigned char)xorshift32(&seed);
        double t0 = bench_now();
        uint32_t h = 2166136261u;
        for (int p = 0; p < passes; p++)
            h = fnv1a(buf, BUF_SIZE, h);
        double t = bench_now() - t0;
        bench_report("time", t, "s");
        printf("CHECK %08x\n", h);
    } else if (strcmp(mode, "sort") == 0) {
        size_t n = (size_t)(1000000 * scale);
        int *a = malloc(n * sizeof *a);
        if (a == NULL) {
            perror("malloc");
            return 1;
        }
        for (size_t i = 0; i < n; i++)
            a[i] = (int)xorshift32(&seed);
        double t0 = bench_now();
        qsort(a, n, sizeof *a, cmp_int);
        double t = bench_now() - t0;
        uint32_t h = 2166136261u;
        for (size_t i = 0; i < n; i += n / 1000 + 1)
            h = (h ^ (uint32_t)a[i]) * 16777619u;
        for (size_t i = 1; i < n; i++)
            if (a[i - 1] > a[i]) {
                fprintf(stderr, "compute: not sorted at %zu\n", i);
                return 1;
            }
        bench_report("time", t, "s");
        printf("CHECK %08x\n", h);
        free(a);
    } else if (strcmp(mode, "random") == 0) {
        size_t n = (64u << 20) / sizeof(uint32_t);
        long loads = (long)(8000000 * scale);
        uint32_t *a = malloc(n * sizeof *a);
        if (a == NULL) {
            perror("malloc");
            return 1;
        }
        for (size_t i = 0; i < n; i++)
            a[i] = (uint32_t)i * 2654435761u;
        double t0 = bench_now();
        uint32_t h = 0;
        for (long i = 0; i < loads; i++)
            h += a[xorshift32(&seed) % n];
        double t = bench_now() - t0;
        bench_report("time", t, "s");
        printf("CHECK %08x\n", h);
        free(a);
    } else {
        fprintf(stderr, "compute: unknown mode %s (hash, sort, random)\n", mode);
        return 2;
    }
    return 0;
}
