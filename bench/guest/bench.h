/*
 * What every benchmark guest shares: a monotonic clock and one output format.
 *
 * A guest times its own measured section and prints one line per figure:
 *     BENCH <metric> <value> <unit>
 * and one line that the harness compares across runners (native, qemu-user,
 * linuxuser), so a wrong answer counts as a failure, not as a fast run:
 *     CHECK <value>
 */
#ifndef BENCH_H
#define BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline double bench_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static inline void bench_report(const char *metric, double value, const char *unit)
{
    printf("BENCH %s %.6g %s\n", metric, value, unit);
}

/* Fills buf with a deterministic pseudo-random sequence (xorshift32). */
static inline unsigned int xorshift32(unsigned int *state)
{
    unsigned int x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

/* Scale factor for the work done: argv[i] if given, else 1. */
static inline double bench_scale(int argc, char **argv, int i)
{
    return argc > i ? atof(argv[i]) : 1.0;
}

#endif
