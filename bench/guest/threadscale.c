/*
 * Many threads: how thread start and per-thread memory-map changes scale.
 *
 *   threadscale start N    N threads started together (each waits at a barrier
 *                          until all have started): total time, and the mean time
 *                          from pthread_create to the thread's first instruction
 *   threadscale serial N   N threads created and joined one after another
 *   threadscale malloc N K N threads each doing K malloc/free pairs of varied sizes
 *                          (per-thread arenas: mmap, mprotect, munmap) and K
 *                          increments of one counter under a shared mutex
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include "bench.h"

static pthread_barrier_t barrier;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static long iterations;
static double *started;     /* per thread: when its first instruction ran */

static void *start_worker(void *arg)
{
    started[(intptr_t)arg] = bench_now();
    pthread_barrier_wait(&barrier);
    return NULL;
}

static void *serial_worker(void *arg)
{
    return arg;
}

static void *malloc_worker(void *arg)
{
    unsigned int state = 12345u + (unsigned int)(intptr_t)arg;
    long sum = 0;
    for (long i = 0; i < iterations; i++) {
        size_t size = 16 + xorshift32(&state) % 4096;
        unsigned char *p = malloc(size);
        if (!p)
            abort();
        memset(p, (int)i, size);
        sum += p[size - 1];
        free(p);
        pthread_mutex_lock(&lock);
        counter++;
        pthread_mutex_unlock(&lock);
    }
    return (void *)(intptr_t)(sum & 1);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "start";
    int n = argc > 2 ? atoi(argv[2]) : 16;
    pthread_t *tids = calloc((size_t)n, sizeof *tids);
    double *created = calloc((size_t)n, sizeof *created);
    started = calloc((size_t)n, sizeof *started);
    if (!tids || !created || !started || n < 1)
        return 2;
    if (strcmp(mode, "start") == 0) {
        pthread_barrier_init(&barrier, NULL, (unsigned)n + 1);
        double t0 = bench_now();
        for (int i = 0; i < n; i++) {
            created[i] = bench_now();
            if (pthread_create(&tids[i], NULL, start_worker, (void *)(intptr_t)i))
                return 3;
        }
        pthread_barrier_wait(&barrier);
        double t1 = bench_now();
        double first = 0;
        for (int i = 0; i < n; i++) {
            pthread_join(tids[i], NULL);
            first += started[i] - created[i];
        }
        bench_report("start", t1 - t0, "s");
        bench_report("first", first / n * 1e6, "us");
        printf("CHECK %d\n", n);
    } else if (strcmp(mode, "serial") == 0) {
        double t0 = bench_now();
        long sum = 0;
        for (int i = 0; i < n; i++) {
            void *ret;
            if (pthread_create(&tids[0], NULL, serial_worker, (void *)(intptr_t)i))
                return 3;
            pthread_join(tids[0], &ret);
            sum += (intptr_t)ret;
        }
        bench_report("time", bench_now() - t0, "s");
        printf("CHECK %ld\n", sum);
    } else if (strcmp(mode, "malloc") == 0) {
        iterations = argc > 3 ? atol(argv[3]) : 10000;
        double t0 = bench_now();
        for (int i = 0; i < n; i++)
            if (pthread_create(&tids[i], NULL, malloc_worker, (void *)(intptr_t)i))
                return 3;
        for (int i = 0; i < n; i++)
            pthread_join(tids[i], NULL);
        bench_report("time", bench_now() - t0, "s");
        printf("CHECK %ld\n", counter);
    } else {
        return 2;
    }
    return 0;
}
