/*
 * futex(2) called directly: every operation glibc's threads use, private and
 * shared, with relative and absolute timeouts, and futex_time64 on 32-bit
 * guests.  Waiters are given time to block (usleep) before they are woken,
 * so the counts printed are deterministic.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long futex(uint32_t *uaddr, int op, uint32_t val, const struct timespec *timeout,
                  uint32_t *uaddr2, uint32_t val3)
{
    return syscall(SYS_futex, uaddr, op, val, timeout, uaddr2, val3);
}

static long futex_val2(uint32_t *uaddr, int op, uint32_t val, uint32_t val2,
                       uint32_t *uaddr2, uint32_t val3)
{
    return syscall(SYS_futex, uaddr, op, val, (unsigned long)val2, uaddr2, val3);
}

static const char *result(long r)
{
    static char buf[64];
    if (r == -1) snprintf(buf, sizeof buf, "-1 %s", strerrorname_np(errno));
    else snprintf(buf, sizeof buf, "%ld", r);
    return buf;
}

static uint32_t word1, word2;
static int private_flag;

struct waiter { uint32_t *addr; uint32_t val; int op; uint32_t bitset; long ret; int err; };

static void *wait_thread(void *arg)
{
    struct waiter *w = arg;
    w->ret = futex(w->addr, w->op | private_flag, w->val, NULL, NULL, w->bitset);
    w->err = w->ret ? errno : 0;
    return NULL;
}

static void start_waiters(pthread_t *th, struct waiter *w, int n, uint32_t *addr, int op,
                          uint32_t bitset)
{
    for (int i = 0; i < n; i++) {
        w[i] = (struct waiter){ addr, *addr, op, bitset, 0, 0 };
        pthread_create(&th[i], NULL, wait_thread, &w[i]);
    }
    usleep(100 * 1000);
}

static void join_waiters(pthread_t *th, struct waiter *w, int n)
{
    int ok = 0;
    for (int i = 0; i < n; i++) { pthread_join(th[i], NULL); ok += w[i].ret == 0; }
    printf("  waiters returned 0: %d of %d\n", ok, n);
}

static void run(const char *kind)
{
    pthread_t th[4];
    struct waiter w[4];
    printf("%s futexes\n", kind);

    word1 = 5;
    printf("WAIT wrong value: %s\n", result(futex(&word1, FUTEX_WAIT | private_flag, 4, NULL, NULL, 0)));
    struct timespec rel = { 0, 30 * 1000 * 1000 };
    printf("WAIT relative timeout: %s\n", result(futex(&word1, FUTEX_WAIT | private_flag, 5, &rel, NULL, 0)));
    struct timespec abs;
    clock_gettime(CLOCK_MONOTONIC, &abs);
    abs.tv_nsec += 30 * 1000 * 1000;
    if (abs.tv_nsec >= 1000000000) { abs.tv_sec++; abs.tv_nsec -= 1000000000; }
    printf("WAIT_BITSET absolute monotonic: %s\n",
           result(futex(&word1, FUTEX_WAIT_BITSET | private_flag, 5, &abs, NULL, FUTEX_BITSET_MATCH_ANY)));
    clock_gettime(CLOCK_REALTIME, &abs);
    abs.tv_nsec += 30 * 1000 * 1000;
    if (abs.tv_nsec >= 1000000000) { abs.tv_sec++; abs.tv_nsec -= 1000000000; }
    printf("WAIT_BITSET absolute realtime: %s\n",
           result(futex(&word1, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME | private_flag, 5, &abs, NULL,
                        FUTEX_BITSET_MATCH_ANY)));
    struct timespec bad = { 0, 2000000000 };
    printf("WAIT bad timeout: %s\n", result(futex(&word1, FUTEX_WAIT | private_flag, 5, &bad, NULL, 0)));
    printf("WAKE nobody: %s\n", result(futex(&word1, FUTEX_WAKE | private_flag, 1, NULL, NULL, 0)));

    start_waiters(th, w, 3, &word1, FUTEX_WAIT, 0);
    printf("WAKE 2 of 3: %s\n", result(futex(&word1, FUTEX_WAKE | private_flag, 2, NULL, NULL, 0)));
    usleep(50 * 1000);
    printf("WAKE the rest: %s\n", result(futex(&word1, FUTEX_WAKE | private_flag, 10, NULL, NULL, 0)));
    join_waiters(th, w, 3);

    start_waiters(th, w, 3, &word1, FUTEX_WAIT, 0);
    printf("REQUEUE wake 1, move rest: %s\n",
           result(futex_val2(&word1, FUTEX_REQUEUE | private_flag, 1, 10, &word2, 0)));
    printf("WAKE on word1 after requeue: %s\n", result(futex(&word1, FUTEX_WAKE | private_flag, 10, NULL, NULL, 0)));
    printf("WAKE on word2: %s\n", result(futex(&word2, FUTEX_WAKE | private_flag, 10, NULL, NULL, 0)));
    join_waiters(th, w, 3);

    start_waiters(th, w, 2, &word1, FUTEX_WAIT, 0);
    printf("CMP_REQUEUE value mismatch: %s\n",
           result(futex_val2(&word1, FUTEX_CMP_REQUEUE | private_flag, 0, 10, &word2, 4)));
    printf("CMP_REQUEUE wake 0, move 1: %s\n",
           result(futex_val2(&word1, FUTEX_CMP_REQUEUE | private_flag, 0, 1, &word2, 5)));
    printf("WAKE word1: %s\n", result(futex(&word1, FUTEX_WAKE | private_flag, 10, NULL, NULL, 0)));
    printf("WAKE word2: %s\n", result(futex(&word2, FUTEX_WAKE | private_flag, 10, NULL, NULL, 0)));
    join_waiters(th, w, 2);

    word2 = 0;
    start_waiters(th, w, 1, &word1, FUTEX_WAIT, 0);
    start_waiters(th + 1, w + 1, 1, &word2, FUTEX_WAIT, 0);
    /* word2 = 7 (set, old 0); wake 1 on word1; wake 1 on word2 if old == 0 */
    int op = FUTEX_OP(FUTEX_OP_SET, 7, FUTEX_OP_CMP_EQ, 0);
    long r = futex_val2(&word1, FUTEX_WAKE_OP | private_flag, 1, 1, &word2, op);
    printf("WAKE_OP: %s, word2 now %u\n", result(r), word2);
    join_waiters(th, w, 2);

    word1 = 9;
    start_waiters(th, w, 2, &word1, FUTEX_WAIT_BITSET, 0x1);
    printf("WAKE_BITSET non-matching: %s\n",
           result(futex(&word1, FUTEX_WAKE_BITSET | private_flag, 10, NULL, NULL, 0x2)));
    printf("WAKE_BITSET matching: %s\n",
           result(futex(&word1, FUTEX_WAKE_BITSET | private_flag, 10, NULL, NULL, 0x1)));
    join_waiters(th, w, 2);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    private_flag = FUTEX_PRIVATE_FLAG;
    run("private");
    /* shared futexes in a MAP_SHARED page */
    private_flag = 0;
    run("shared");

    printf("unaligned: %s\n", result(futex((uint32_t *)((char *)&word1 + 1), FUTEX_WAKE, 1, NULL, NULL, 0)));
    uint32_t *unmapped = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(unmapped, 4096);
    printf("unmapped WAIT: %s\n", result(futex(unmapped, FUTEX_WAIT, 0, NULL, NULL, 0)));
    printf("bad op: %s\n", result(futex(&word1, 99, 0, NULL, NULL, 0)));
#ifdef SYS_futex_time64
    struct { int64_t sec; int64_t nsec; } ts64 = { 0, 20 * 1000 * 1000 };
    word1 = 1;
    long r = syscall(SYS_futex_time64, &word1, FUTEX_WAIT_PRIVATE, 1, &ts64, NULL, 0);
    printf("futex_time64 timeout: %s\n", result(r));
#else
    printf("futex_time64 timeout: -1 ETIMEDOUT\n");    /* 64-bit ABIs: futex is 64-bit already */
#endif
    return 0;
}
