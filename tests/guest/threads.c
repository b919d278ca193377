/*
 * Guest threads: creation, joining, detaching, thread-local storage, compute
 * threads, barriers, condition variables, memory-map changes while other
 * threads run, a thread blocked in read(), exit_group from a secondary thread
 * and many threads at once.  Output is deterministic; run as
 *   threads TEST [ARG]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "jitcode.h"

#define CHECK(x) do { int _r = (x); if (_r) { printf("%s failed: %s\n", #x, strerror(_r)); exit(1); } } while (0)

static __thread int tls_value = 7;
static __thread char tls_buffer[64];

static uint32_t xorshift(uint32_t x) { x ^= x << 13; x ^= x >> 17; x ^= x << 5; return x; }

static uint32_t work(uint32_t seed, long n)
{
    uint32_t x = seed | 1, sum = 0;
    for (long i = 0; i < n; i++) { x = xorshift(x); sum += x >> 7; }
    return sum;
}

/* ---- create / join / detach / TLS ------------------------------------- */

static void *tls_thread(void *arg)
{
    long id = (long)arg;
    if (tls_value != 7) return (void *)-1L;          /* initial image per thread */
    tls_value = 100 + (int)id;
    snprintf(tls_buffer, sizeof tls_buffer, "thread %ld", id);
    usleep(1000 * (5 - id));                         /* others run meanwhile */
    if (tls_value != 100 + id) return (void *)-2L;
    char expect[64];
    snprintf(expect, sizeof expect, "thread %ld", id);
    if (strcmp(tls_buffer, expect)) return (void *)-3L;
    return (void *)(id * id);
}

/* glibc keeps each thread's TID (CLONE_PARENT_SETTID) and compares it with the
   write lock owner's: a wrong TID makes a reader think it holds the lock. */
static pthread_rwlock_t owner_lock = PTHREAD_RWLOCK_INITIALIZER;
static void *try_read_thread(void *arg)
{
    (void)arg;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 10 * 1000 * 1000;
    if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
    int r = pthread_rwlock_timedrdlock(&owner_lock, &ts);
    return (void *)(long)r;
}

static volatile int detached_done;
static void *detached_thread(void *arg) { (void)arg; detached_done = 1; return NULL; }

static int test_basic(void)
{
    pthread_t th[5];
    for (long i = 0; i < 5; i++) CHECK(pthread_create(&th[i], NULL, tls_thread, (void *)i));
    for (long i = 0; i < 5; i++) {
        void *ret;
        CHECK(pthread_join(th[i], &ret));
        printf("thread %ld returned %ld\n", i, (long)ret);
    }
    printf("main tls_value %d\n", tls_value);
    pthread_t reader;
    void *tried;
    CHECK(pthread_rwlock_wrlock(&owner_lock));
    CHECK(pthread_create(&reader, NULL, try_read_thread, NULL));
    CHECK(pthread_join(reader, &tried));
    CHECK(pthread_rwlock_unlock(&owner_lock));
    printf("read lock while main writes: %s\n", (long)tried == ETIMEDOUT ? "ETIMEDOUT" : strerror((int)(long)tried));
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t d;
    detached_done = 0;
    CHECK(pthread_create(&d, &attr, detached_thread, NULL));
    for (int i = 0; i < 2000 && !detached_done; i++) usleep(1000);
    printf("detached thread ran: %d\n", detached_done);
    pid_t tid = syscall(SYS_gettid);
    printf("main gettid == getpid: %d\n", tid == getpid());
    return 0;
}

/* ---- compute -------------------------------------------------------------- */

struct job { uint32_t seed; long n; uint32_t result; pid_t tid; };

static void *compute_thread(void *arg)
{
    struct job *j = arg;
    j->tid = syscall(SYS_gettid);
    j->result = work(j->seed, j->n);
    return NULL;
}

static int test_compute(int nthreads, long n)
{
    pthread_t th[64];
    struct job jobs[64];
    for (int i = 0; i < nthreads; i++) {
        jobs[i] = (struct job){ .seed = 0x9e3779b9u * (i + 1), .n = n };
        CHECK(pthread_create(&th[i], NULL, compute_thread, &jobs[i]));
    }
    int distinct = 1;
    for (int i = 0; i < nthreads; i++) {
        CHECK(pthread_join(th[i], NULL));
        printf("job %d: %08x\n", i, jobs[i].result);
        if (jobs[i].tid == getpid()) distinct = 0;
        for (int k = 0; k < i; k++) if (jobs[k].tid == jobs[i].tid) distinct = 0;
    }
    printf("distinct tids: %d\n", distinct);
    return 0;
}

/* ---- barrier -------------------------------------------------------------- */

#define BARRIER_THREADS 4
#define ROUNDS 200
static pthread_barrier_t barrier;
static int slots[BARRIER_THREADS];
static int barrier_errors;

static void *barrier_thread(void *arg)
{
    long id = (long)arg;
    for (int r = 0; r < ROUNDS; r++) {
        slots[id] = r;
        pthread_barrier_wait(&barrier);
        for (int k = 0; k < BARRIER_THREADS; k++)
            if (slots[k] != r) __atomic_add_fetch(&barrier_errors, 1, __ATOMIC_RELAXED);
        pthread_barrier_wait(&barrier);
    }
    return NULL;
}

static int test_barrier(void)
{
    pthread_t th[BARRIER_THREADS];
    barrier_errors = 0;
    CHECK(pthread_barrier_init(&barrier, NULL, BARRIER_THREADS));
    for (long i = 0; i < BARRIER_THREADS; i++)
        CHECK(pthread_create(&th[i], NULL, barrier_thread, (void *)i));
    for (int i = 0; i < BARRIER_THREADS; i++) CHECK(pthread_join(th[i], NULL));
    printf("barrier rounds %d, errors %d\n", ROUNDS, barrier_errors);
    return 0;
}

/* ---- condition variable ping-pong ----------------------------------------- */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int turn, volleys;
#define VOLLEYS 2000

static void *pong_thread(void *arg)
{
    int me = (int)(long)arg;
    pthread_mutex_lock(&lock);
    while (volleys < VOLLEYS) {
        while (turn != me && volleys < VOLLEYS) pthread_cond_wait(&cond, &lock);
        if (volleys >= VOLLEYS) break;
        volleys++;
        turn = !me;
        pthread_cond_broadcast(&cond);
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}

static int test_condvar(void)
{
    pthread_t a, b;
    turn = volleys = 0;
    CHECK(pthread_create(&a, NULL, pong_thread, (void *)0L));
    CHECK(pthread_create(&b, NULL, pong_thread, (void *)1L));
    CHECK(pthread_join(a, NULL));
    CHECK(pthread_join(b, NULL));
    printf("volleys %d, turn %d\n", volleys, turn);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 20 * 1000 * 1000;
    if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
    pthread_mutex_lock(&lock);
    int r = pthread_cond_timedwait(&cond, &lock, &ts);
    pthread_mutex_unlock(&lock);
    printf("timedwait: %s\n", r == ETIMEDOUT ? "ETIMEDOUT" : strerror(r));
    return 0;
}

/* ---- memory-map changes while others compute ------------------------------ */

static volatile int stop_compute;

static void *spin_compute(void *arg)
{
    struct job *j = arg;
    uint32_t x = j->seed;
    long rounds = 0;
    while (!stop_compute) { x = work(x, 1000); rounds++; }
    j->result = x;
    j->n = rounds;
    return NULL;
}

static void *mapper_thread(void *arg)
{
    long id = (long)arg;
    uint32_t sum = 0;
    for (int i = 0; i < 100; i++) {
        size_t len = 4096 * (1 + (i + id) % 7);
        unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) return (void *)1L;
        memset(p, (int)(i + id), len);
        if (mprotect(p, 4096, PROT_READ)) return (void *)2L;
        sum += p[len - 1] + p[0];
        /* replace the middle of a mapping (MAP_FIXED over it) */
        if (len > 8192 && mmap(p + 4096, 4096, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
            return (void *)3L;
        if (len > 8192 && p[4096] != 0) return (void *)4L;
        if (munmap(p, len)) return (void *)5L;
        void *q = malloc(1000 + 100 * i);
        memset(q, 1, 1000);
        free(q);
    }
    return (void *)(long)(sum & 0xffff);
}

static int test_mapping(void)
{
    pthread_t spin[2], map[3];
    stop_compute = 0;
    struct job jobs[2] = { { .seed = 1 }, { .seed = 2 } };
    for (int i = 0; i < 2; i++) CHECK(pthread_create(&spin[i], NULL, spin_compute, &jobs[i]));
    for (long i = 0; i < 3; i++) CHECK(pthread_create(&map[i], NULL, mapper_thread, (void *)i));
    for (int i = 0; i < 3; i++) {
        void *ret;
        CHECK(pthread_join(map[i], &ret));
        printf("mapper %d: %ld\n", i, (long)ret);
    }
    stop_compute = 1;
    for (int i = 0; i < 2; i++) CHECK(pthread_join(spin[i], NULL));
    int ok = 1;
    for (int i = 0; i < 2; i++) {          /* the spinners' results follow from their rounds */
        uint32_t x = jobs[i].seed;
        for (long r = 0; r < jobs[i].n; r++) x = work(x, 1000);
        if (x != jobs[i].result) ok = 0;
    }
    printf("spinners consistent: %d\n", ok);
    return 0;
}

/* ---- a thread blocked in read() while others map memory ------------------- */

static int pipefd[2];

static void *reader_thread(void *arg)
{
    (void)arg;
    char buf[32] = { 0 };
    ssize_t n = read(pipefd[0], buf, sizeof buf - 1);
    printf("reader got %zd bytes: %s\n", n, buf);
    return NULL;
}

static void *sleeper_thread(void *arg)
{
    (void)arg;
    struct timespec ts = { 0, 200 * 1000 * 1000 };
    nanosleep(&ts, NULL);
    return NULL;
}

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate = PTHREAD_COND_INITIALIZER;
static int gate_open;

static void *cond_waiter_thread(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&gate_lock);
    while (!gate_open) pthread_cond_wait(&gate, &gate_lock);     /* blocked in futex */
    pthread_mutex_unlock(&gate_lock);
    printf("condition waiter woke\n");
    return NULL;
}

static int test_blocked(void)
{
    pthread_t reader, sleeper, mapper, waiter;
    if (pipe(pipefd)) return 1;
    gate_open = 0;
    CHECK(pthread_create(&reader, NULL, reader_thread, NULL));
    CHECK(pthread_create(&sleeper, NULL, sleeper_thread, NULL));
    CHECK(pthread_create(&waiter, NULL, cond_waiter_thread, NULL));
    usleep(20000);                           /* let them block */
    CHECK(pthread_create(&mapper, NULL, mapper_thread, (void *)9L));
    void *ret;
    CHECK(pthread_join(mapper, &ret));
    printf("mapper while others blocked: %ld\n", (long)ret);
    if (write(pipefd[1], "wake up", 7) != 7) return 1;
    CHECK(pthread_join(reader, NULL));
    pthread_mutex_lock(&gate_lock);
    gate_open = 1;
    pthread_cond_signal(&gate);
    pthread_mutex_unlock(&gate_lock);
    CHECK(pthread_join(waiter, NULL));
    CHECK(pthread_join(sleeper, NULL));
    close(pipefd[0]);
    close(pipefd[1]);
    printf("all joined\n");
    return 0;
}

/* ---- exit_group from a secondary thread ----------------------------------- */

static void *exiting_thread(void *arg)
{
    (void)arg;
    usleep(50000);
    printf("secondary thread calls exit(3)\n");
    fflush(stdout);
    exit(3);
}

static void *blocked_forever(void *arg)
{
    (void)arg;
    char c;
    int fds[2];
    if (pipe(fds) == 0) (void)read(fds[0], &c, 1);   /* never returns */
    return NULL;
}

static int test_exit_group(void)
{
    pthread_t th[4];
    struct job jobs[2] = { { .seed = 1 }, { .seed = 2 } };
    CHECK(pthread_create(&th[0], NULL, spin_compute, &jobs[0]));
    CHECK(pthread_create(&th[1], NULL, spin_compute, &jobs[1]));
    CHECK(pthread_create(&th[2], NULL, blocked_forever, NULL));
    CHECK(pthread_create(&th[3], NULL, exiting_thread, NULL));
    for (;;) pause();
}

/* The main thread leaves with pthread_exit; the last thread's exit ends the process. */
static void *last_thread(void *arg)
{
    (void)arg;
    usleep(50000);
    printf("last thread done\n");
    return NULL;
}

static int test_main_exits_first(void)
{
    pthread_t t;
    CHECK(pthread_create(&t, NULL, last_thread, NULL));
    printf("main thread calls pthread_exit\n");
    fflush(stdout);
    pthread_exit(NULL);
}

/* ---- many threads ----------------------------------------------------------- */

static pthread_barrier_t many_barrier;

static void *many_thread(void *arg)
{
    struct job *j = arg;
    pthread_barrier_wait(&many_barrier);       /* all 64 alive at once */
    j->result = work(j->seed, 20000);
    return NULL;
}

static int test_many(int n)
{
    pthread_t th[64];
    struct job jobs[64];
    CHECK(pthread_barrier_init(&many_barrier, NULL, n));
    for (int i = 0; i < n; i++) {
        jobs[i] = (struct job){ .seed = i + 1 };
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setstacksize(&attr, 256 * 1024);
        CHECK(pthread_create(&th[i], &attr, many_thread, &jobs[i]));
    }
    uint32_t total = 0;
    for (int i = 0; i < n; i++) { CHECK(pthread_join(th[i], NULL)); total += jobs[i].result; }
    printf("%d threads, total %08x\n", n, total);
    return 0;
}

/* ---- code rewritten while another thread runs it ---------------------------- */


static pthread_barrier_t jit_barrier;
static code_fn jit_code;
static int jit_seen[8];

static void *jit_runner(void *arg)
{
    (void)arg;
    for (int round = 0; round < 4; round++) {
        pthread_barrier_wait(&jit_barrier);      /* the code is ready */
        int v = 0;
        for (int i = 0; i < 1000; i++) v = jit_code();  /* translated and cached here */
        jit_seen[round] = v;
        pthread_barrier_wait(&jit_barrier);      /* main may rewrite it now */
    }
    return NULL;
}

static int test_jit(void)
{
    long page = sysconf(_SC_PAGESIZE);
    unsigned char *p = new_code(1);
    if (p == NULL) return 1;
    jit_code = (code_fn)p;
    pthread_t t;
    CHECK(pthread_barrier_init(&jit_barrier, NULL, 2));
    CHECK(pthread_create(&t, NULL, jit_runner, NULL));
    pthread_barrier_wait(&jit_barrier);
    pthread_barrier_wait(&jit_barrier);
    rewrite_code(p, 2);
    pthread_barrier_wait(&jit_barrier);
    pthread_barrier_wait(&jit_barrier);
    /* unmap, and map new code at the same address */
    munmap(p, page);
    unsigned char *q = mmap(p, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (q != p) return 1;
    size_t n = emit_return(p, 3);
    mprotect(p, page, PROT_READ | PROT_EXEC);
    __builtin___clear_cache((char *)p, (char *)p + n);
    pthread_barrier_wait(&jit_barrier);
    pthread_barrier_wait(&jit_barrier);
#if defined(__arm__)
    /* 32-bit ARM: a writable and executable page, made coherent by cacheflush(2) */
    mprotect(p, page, PROT_READ | PROT_WRITE | PROT_EXEC);
    n = emit_return(p, 4);
    __builtin___clear_cache((char *)p, (char *)p + n);
#else
    mprotect(p, page, PROT_READ | PROT_WRITE);
    n = emit_return(p, 4);
    mprotect(p, page, PROT_READ | PROT_EXEC);
#endif
    pthread_barrier_wait(&jit_barrier);
    pthread_barrier_wait(&jit_barrier);
    CHECK(pthread_join(t, NULL));
    printf("the other thread ran: %d %d %d %d\n", jit_seen[0], jit_seen[1], jit_seen[2], jit_seen[3]);
    printf("main runs: %d\n", jit_code());
    pthread_barrier_destroy(&jit_barrier);
    munmap(p, page);
    return 0;
}

/* ---- names ---------------------------------------------------------------- */

static void *named_thread(void *arg)
{
    (void)arg;
    char name[16];
    prctl(PR_SET_NAME, "worker-1");
    prctl(PR_GET_NAME, name);
    printf("thread name: %s\n", name);
    cpu_set_t set;
    CPU_ZERO(&set);
    int r = sched_getaffinity(0, sizeof set, &set);
    printf("affinity: %d, some cpu: %d\n", r, CPU_COUNT(&set) > 0);
    unsigned cpu = 99;
    long rc = syscall(SYS_getcpu, &cpu, NULL, NULL);
    printf("getcpu: %ld, cpu in set: %d\n", rc, cpu < CPU_SETSIZE && CPU_ISSET(cpu, &set));
    return NULL;
}

static int test_names(void)
{
    pthread_t t;
    CHECK(pthread_create(&t, NULL, named_thread, NULL));
    CHECK(pthread_join(t, NULL));
    char name[16];
    prctl(PR_GET_NAME, name);
    printf("main name unchanged: %d\n", strcmp(name, "worker-1") != 0);
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *t = argc > 1 ? argv[1] : "basic";
    int n = argc > 2 ? atoi(argv[2]) : 0;
    /* These take a repeat count: races show up over many rounds in one process. */
    static const struct { const char *name; int (*fn)(void); } repeatable[] = {
        { "basic", test_basic }, { "barrier", test_barrier }, { "condvar", test_condvar },
        { "mapping", test_mapping }, { "blocked", test_blocked }, { "jit", test_jit },
    };
    for (size_t i = 0; i < sizeof repeatable / sizeof repeatable[0]; i++) {
        if (strcmp(t, repeatable[i].name)) continue;
        for (int round = 0; round < (n ? n : 1); round++)
            if (repeatable[i].fn()) return 1;
        return 0;
    }
    if (!strcmp(t, "compute")) return test_compute(n ? n : 4, 2000000);
    if (!strcmp(t, "exit_group")) return test_exit_group();
    if (!strcmp(t, "main_exits_first")) return test_main_exits_first();
    if (!strcmp(t, "many")) return test_many(n ? n : 64);
    if (!strcmp(t, "names")) return test_names();
    fprintf(stderr, "unknown test %s\n", t);
    return 2;
}
