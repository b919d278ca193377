/*
 * Atomic read-modify-write operations on one shared counter.
 *   atomics uncontended [scale]   one thread: C11 atomic_fetch_add, then a
 *                                 __sync_val_compare_and_swap increment loop
 *   atomics contended [scale]     two threads do the same on the same counter
 * Prints nanoseconds per operation; the final count must be exact (a lost
 * update is a failure, exit 1).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include "bench.h"

static atomic_uint counter;
static volatile unsigned int cas_counter;
static long ops;
static pthread_barrier_t start;

static void add_loop(void)
{
    for (long i = 0; i < ops; i++)
        atomic_fetch_add(&counter, 1);
}

static void cas_loop(void)
{
    for (long i = 0; i < ops; i++) {
        unsigned int old;
        do
            old = cas_counter;
        while (__sync_val_compare_and_swap(&cas_counter, old, old + 1) != old);
    }
}

static void *worker(void *arg)
{
    void (*loop)(void) = (void (*)(void))arg;
    pthread_barrier_wait(&start);
    loop();
    return NULL;
}

/* Runs loop in `threads` threads at once; returns the wall time. */
static double run(void (*loop)(void), int threads)
{
    pthread_t t[2];
    if (threads == 1) {         /* no pthread calls at all: works without thread support */
        double t0 = bench_now();
        loop();
        return bench_now() - t0;
    }
    pthread_barrier_init(&start, NULL, (unsigned)threads);
    for (int i = 1; i < threads; i++) {
        int err = pthread_create(&t[i], NULL, worker, (void *)loop);
        if (err) {
            fprintf(stderr, "pthread_create: %s\n", strerror(err));
            exit(1);
        }
    }
    pthread_barrier_wait(&start);
    double t0 = bench_now();
    loop();
    for (int i = 1; i < threads; i++)
        pthread_join(t[i], NULL);
    return bench_now() - t0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "uncontended";
    int threads;
    if (strcmp(mode, "uncontended") == 0)
        threads = 1;
    else if (strcmp(mode, "contended") == 0)
        threads = 2;
    else {
        fprintf(stderr, "atomics: unknown mode %s (uncontended, contended)\n", mode);
        return 2;
    }
    ops = (long)(2000000 * bench_scale(argc, argv, 2));
    double t_add = run(add_loop, threads);
    double t_cas = run(cas_loop, threads);
    unsigned long want = (unsigned long)ops * threads;
    if (atomic_load(&counter) != want || cas_counter != want) {
        fprintf(stderr, "atomics: lost updates: add %u, cas %u, expected %lu\n",
                atomic_load(&counter), cas_counter, want);
        return 1;
    }
    bench_report("add", t_add / ops * 1e9, "ns");
    bench_report("cas", t_cas / ops * 1e9, "ns");
    printf("CHECK %lu\n", want);
    return 0;
}
