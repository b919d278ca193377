/*
 * Syscall round trip: getppid() in a loop (a syscall that does no work in
 * the kernel, and that glibc does not cache).
 *   syscall [scale]   200000 calls; prints microseconds per call
 */
#include <sys/syscall.h>
#include <unistd.h>
#include "bench.h"

int main(int argc, char **argv)
{
    long n = (long)(200000 * bench_scale(argc, argv, 1));
    long ppid = syscall(SYS_getppid);
    long same = 0;
    double t0 = bench_now();
    for (long i = 0; i < n; i++)
        same += syscall(SYS_getppid) == ppid;
    double t = bench_now() - t0;
    bench_report("call", t / n * 1e6, "us");
    printf("CHECK %ld\n", n - same);      /* 0: every call answered the same */
    return 0;
}
