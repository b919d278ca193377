/*
 * Guest signals.
 *   signals roundtrip [scale]  raise(SIGUSR1) into an empty handler and back
 *                              (sigreturn), 20000 times: microseconds each
 *   signals latency [scale]    another process kills this one 200 times while
 *                              its thread spins in a tight loop without a
 *                              syscall: microseconds from kill() to the
 *                              handler, median and 99th percentile
 */
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench.h"

static volatile sig_atomic_t hits;
static volatile double *sent_at;        /* shared with the killing process */
static double *latencies;

static void empty(int sig) { hits++; }

static void arrived(int sig)
{
    latencies[hits] = (bench_now() - *sent_at) * 1e6;
    hits++;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "roundtrip";
    if (strcmp(what, "roundtrip") == 0) {
        long n = (long)(20000 * bench_scale(argc, argv, 2));
        signal(SIGUSR1, empty);
        double t0 = bench_now();
        for (long i = 0; i < n; i++)
            raise(SIGUSR1);
        double t = bench_now() - t0;
        bench_report("roundtrip", t / n * 1e6, "us");
        printf("CHECK %ld\n", n - hits);          /* 0: every signal handled */
        return 0;
    }
    int n = (int)(200 * bench_scale(argc, argv, 2));
    sent_at = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    latencies = calloc(n, sizeof *latencies);
    signal(SIGUSR1, arrived);
    volatile int *ready = (volatile int *)(sent_at + 1);
    pid_t me = getpid();
    pid_t killer = fork();
    if (killer == 0) {
        for (int i = 0; i < n; i++) {
            while (*ready != i + 1)              /* the target spins again */
                usleep(200);
            usleep(1000);
            *sent_at = bench_now();
            kill(me, SIGUSR1);
        }
        _exit(0);
    }
    for (int i = 0; i < n; i++) {
        *ready = i + 1;
        while (hits == i)                        /* spin: no syscall */
            ;
    }
    waitpid(killer, NULL, 0);
    qsort(latencies, n, sizeof *latencies, by_value);
    bench_report("median", latencies[n / 2], "us");
    bench_report("p99", latencies[n * 99 / 100], "us");
    printf("CHECK %d\n", n - hits);
    return 0;
}
