/* Do guest threads really run at the same time, and does a memory-map change
 * stop them?  Two threads spin on shared words without any syscall, so only
 * the emulator's scheduling and its exclusive sections are tested.
 *
 *   parallel handshake ROUNDS   ping-pong on one word until ROUNDS rounds in
 *       a row were fast.  A wait that spins more than SLOW_SPINS times waited
 *       for a thread that was not running: threads taking turns wait a whole
 *       time slice every round, and the test gives up after SLOW_LIMIT of them.
 *   parallel codeswap ROUNDS    a thread calls generated code in a loop; main
 *       pauses it (a flag, no syscall), rewrites the code with mprotect RW /
 *       write / mprotect RX and lets it go: the thread must then run the new
 *       code.  A thread that kept running guest code through the mprotects
 *       (their exclusive sections) still runs its old translation.
 *   parallel hang               a thread spins in spin_forever(), main sleeps.
 *   parallel exec-hang          the same after an execve of itself.
 *
 * Every wait is bounded by a spin count (GIVE_UP), so a failure is a message
 * and exit status 1, not a hang.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "jitcode.h"

#define SLOW_SPINS 50000L
#define SLOW_LIMIT 1000
#define GIVE_UP (1L << 28)

static int turn, stop, slow;

static int load(int *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static void store(int *p, int v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }

/* Spin until *p == value (or the test stopped); count a slow wait. */
static void wait_for(int *p, int value)
{
    long spins = 0;
    while (load(p) != value) {
        if (load(&stop)) return;
        if (++spins == SLOW_SPINS) __atomic_add_fetch(&slow, 1, __ATOMIC_RELAXED);
    }
}

static long rounds;

static void *handshake_peer(void *arg)
{
    (void)arg;
    while (!load(&stop)) {
        wait_for(&turn, 1);
        store(&turn, 0);
    }
    return NULL;
}

/* Threads taking turns make every round slow; threads that run at once make a
   round slow only while the host runs one of them and not the other (a loaded
   host, or a new thread not yet moved to a core of its own).  Success: ROUNDS
   rounds in a row without a slow wait.  Failure: SLOW_LIMIT slow waits first,
   a second or so when taking turns. */
static int handshake(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, handshake_peer, NULL)) return 2;
    long in_a_row = 0;
    int slow_before = 0;
    while (in_a_row < rounds && !load(&stop)) {
        store(&turn, 1);
        wait_for(&turn, 0);
        int s = __atomic_load_n(&slow, __ATOMIC_RELAXED);
        in_a_row = s == slow_before ? in_a_row + 1 : 0;
        slow_before = s;
        if (s >= SLOW_LIMIT) store(&stop, 1);
    }
    store(&stop, 1);
    pthread_join(t, NULL);
    if (in_a_row < rounds) {
        printf("handshake: threads took turns: %d slow waits before %ld fast rounds in a row\n",
               SLOW_LIMIT, rounds);
        return 1;
    }
    printf("handshake: %ld rounds in a row with both threads running at once\n", rounds);
    return 0;
}

/* ---- codeswap ---------------------------------------------------------- */

enum { RUN, PAUSE, PAUSED, DONE };
static int phase, seen;
static code_fn volatile code;

/* Spin until *p == value, at most GIVE_UP times; 0 when it never came. */
static int bounded_wait(int *p, int value)
{
    for (long spins = 0; spins < GIVE_UP; spins++)
        if (load(p) == value) return 1;
    return 0;
}

static void *codeswap_runner(void *arg)
{
    (void)arg;
    for (;;) {
        int ph = load(&phase);
        if (ph == DONE) return NULL;
        if (ph == PAUSE) {
            store(&phase, PAUSED);
            for (long spins = 0; load(&phase) == PAUSED; spins++) {
                if (spins == GIVE_UP) {
                    printf("codeswap: the rewriting thread never came back from mprotect\n");
                    fflush(stdout);
                    _exit(1);
                }
            }
            continue;
        }
        store(&seen, code());
    }
}

static int codeswap(void)
{
    unsigned char *p = new_code(1);
    if (p == NULL) return 2;
    code = (code_fn)p;
    pthread_t t;
    if (pthread_create(&t, NULL, codeswap_runner, NULL)) return 2;
    for (int r = 1; r <= rounds; r++) {
        if (!bounded_wait(&seen, r)) {
            printf("codeswap: round %d: the thread still runs the code of round %d after "
                   "mprotect rewrote it\n", r, load(&seen));
            return 1;
        }
        store(&phase, PAUSE);
        if (!bounded_wait(&phase, PAUSED)) {
            printf("codeswap: round %d: the thread did not pause\n", r);
            return 1;
        }
        rewrite_code(p, r + 1);
        store(&phase, RUN);
    }
    store(&phase, DONE);
    pthread_join(t, NULL);
    printf("codeswap: the thread ran each of %ld rewrites\n", rounds);
    return 0;
}

/* ---- hang ---------------------------------------------------------------- */

static volatile long counter;

__attribute__((noinline)) void spin_forever(void)
{
    for (;;) counter++;
}

static void *hang_thread(void *arg)
{
    (void)arg;
    spin_forever();
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: parallel handshake|codeswap ROUNDS | parallel hang\n");
        return 2;
    }
    rounds = argc > 2 ? atol(argv[2]) : 1000;
    if (!strcmp(argv[1], "handshake")) return handshake();
    if (!strcmp(argv[1], "codeswap")) return codeswap();
    if (!strcmp(argv[1], "exec-hang")) {        /* the same hang after an execve */
        char *args[] = {argv[0], "hang", NULL};
        execv("/proc/self/exe", args);
        return 2;
    }
    if (!strcmp(argv[1], "hang")) {
        pthread_t t;
        pthread_create(&t, NULL, hang_thread, NULL);
        sleep(1000);
        return 0;
    }
    fprintf(stderr, "unknown test %s\n", argv[1]);
    return 2;
}
