/*
 * Parallel scaling: a fixed amount of compute (FNV-1a over private 256 KiB
 * buffers, 512 passes in all) split between N threads.
 *   threads N [scale]    prints the wall time of the parallel section
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include "bench.h"

#define BUF_SIZE (256 * 1024)
#define MAX_THREADS 16

struct job {
    unsigned char buf[BUF_SIZE];
    int passes;
    uint32_t hash;
};

static struct job jobs[MAX_THREADS];

static void *work(void *arg)
{
    struct job *j = arg;
    uint32_t h = 2166136261u;
    for (int p = 0; p < j->passes; p++)
        for (size_t i = 0; i < BUF_SIZE; i++) {
            h ^= j->buf[i];
            h *= 16777619u;
        }
    j->hash = h;
    return NULL;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1;
    if (n < 1 || n > MAX_THREADS) {
        fprintf(stderr, "threads: N must be 1..%d\n", MAX_THREADS);
        return 2;
    }
    int total = (int)(512 * bench_scale(argc, argv, 2));
    for (int t = 0; t < n; t++) {
        unsigned int seed = 1000u + (unsigned)t;
        for (size_t i = 0; i < BUF_SIZE; i++)
            jobs[t].buf[i] = (unsigned char)xorshift32(&seed);
        jobs[t].passes = total / n + (t < total % n);
    }
    pthread_t tid[MAX_THREADS];
    double t0 = bench_now();
    for (int t = 1; t < n; t++) {
        int err = pthread_create(&tid[t], NULL, work, &jobs[t]);
        if (err) {
            fprintf(stderr, "pthread_create: %s\n", strerror(err));
            return 1;
        }
    }
    work(&jobs[0]);
    for (int t = 1; t < n; t++)
        pthread_join(tid[t], NULL);
    double t = bench_now() - t0;
    uint32_t h = 0;
    for (int i = 0; i < n; i++)
        h ^= jobs[i].hash;
    bench_report("time", t, "s");
    printf("CHECK %08x %d\n", h, total);
    return 0;
}
