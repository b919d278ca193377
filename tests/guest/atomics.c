/*
 * Guest atomics under contention: every form the compilers and libc use, plus
 * the rarer ones in inline assembly, each hammered by several threads; the
 * totals must be exact.  Also the x86 lock instructions' results and flags on
 * fixed pseudo-random operands (compared with the host CPU running the same
 * instruction), and the store-buffering litmus test.
 *
 *   atomics stress [THREADS [ITERS]]
 *   atomics locks [THREADS [ITERS]]
 *   atomics flags                     (x86 only)
 *   atomics litmus ROUNDS fence|nofence
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

static int nthreads = 4;
static long iters = 20000;
static pthread_barrier_t start_line;

typedef void (*body_fn)(long id);

static void *runner(void *arg)
{
    body_fn body = ((body_fn *)arg)[0];
    long id = (long)((body_fn *)arg)[1];
    pthread_barrier_wait(&start_line);
    body(id);
    return NULL;
}

static void run_threads(body_fn body)
{
    pthread_t th[16];
    void *args[16][2];
    pthread_barrier_init(&start_line, NULL, nthreads);
    for (long i = 0; i < nthreads; i++) {
        args[i][0] = (void *)body;
        args[i][1] = (void *)i;
        pthread_create(&th[i], NULL, runner, args[i]);
    }
    for (int i = 0; i < nthreads; i++) pthread_join(th[i], NULL);
    pthread_barrier_destroy(&start_line);
}

#define REPORT(name, got, want) \
    printf("%-28s %s\n", name, (got) == (want) ? "exact" : "LOST UPDATES")

/* ---- C11 atomics and __sync builtins at each size ------------------------- */

static _Atomic uint8_t a8;
static _Atomic uint16_t a16;
static _Atomic uint32_t a32;
static _Atomic uint64_t a64;
static uint32_t s32, cas32, xchg_sum;
static uint64_t s64, cas64;
static uint32_t and_or_word;
static uint32_t neg_word = 12345, not_word = 54321;
static uint32_t clrex_escapes;       /* store-exclusives that succeeded after clrex */

static void c11_body(long id)
{
    (void)id;
    for (long i = 0; i < iters; i++) {
        atomic_fetch_add(&a8, 1);
        atomic_fetch_add(&a16, 1);
        atomic_fetch_add_explicit(&a32, 1, memory_order_relaxed);
        atomic_fetch_sub(&a64, 3);
    }
}

static void sync_body(long id)
{
    for (long i = 0; i < iters; i++) {
        __sync_fetch_and_add(&s32, 2);
        __sync_add_and_fetch(&s64, 1);
        uint32_t old, seen = __atomic_load_n(&cas32, __ATOMIC_RELAXED);
        do { old = seen; } while ((seen = __sync_val_compare_and_swap(&cas32, old, old + 1)) != old);
        uint64_t o64 = __atomic_load_n(&cas64, __ATOMIC_RELAXED);
        while (!__atomic_compare_exchange_n(&cas64, &o64, o64 + 5, 1, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
            ;
        /* each thread owns one bit: set and clear it with fetch_or / fetch_and */
        __atomic_fetch_or(&and_or_word, 1u << id, __ATOMIC_SEQ_CST);
        __atomic_fetch_and(&and_or_word, ~(1u << id), __ATOMIC_SEQ_CST);
        __atomic_fetch_xor(&and_or_word, 1u << (id + 8), __ATOMIC_SEQ_CST);
    }
}

static uint32_t token = 1;
static void xchg_body(long id)
{
    /* one token circulates by exchange: every value is seen exactly once */
    (void)id;
    for (long i = 0; i < iters; i++) {
        uint32_t mine = __atomic_exchange_n(&token, 0, __ATOMIC_SEQ_CST);
        if (mine) { __atomic_fetch_add(&xchg_sum, mine, __ATOMIC_RELAXED); __atomic_store_n(&token, 1, __ATOMIC_SEQ_CST); }
    }
}

/* ---- the rarer forms in assembly -------------------------------------------- */

static uint64_t asm_counter;
static uint32_t asm_counter32;
static uint16_t asm_counter16;
static uint8_t asm_counter8;
#if defined(__x86_64__)
static unsigned __int128 wide __attribute__((aligned(16)));
#endif
#if defined(__aarch64__)
static uint64_t pair[2] __attribute__((aligned(16)));
static int have_lse;
static uint32_t max_word, min_word;
#endif

static void asm_body(long id)
{
    (void)id;
    for (long i = 0; i < iters; i++) {
#if defined(__x86_64__) || defined(__i386__)
        uint32_t one = 1;
        __asm__ volatile("lock xaddl %0, %1" : "+r"(one), "+m"(asm_counter32) :: "memory", "cc");
        __asm__ volatile("lock incw %0" : "+m"(asm_counter16) :: "memory", "cc");
        __asm__ volatile("lock addb $1, %0" : "+m"(asm_counter8) :: "memory", "cc");
        /* lock adc with CF=1 adds 2; lock sbb with CF=1 subtracts 1 + 0 */
        __asm__ volatile("stc; lock adcl $1, %0" : "+m"(asm_counter32) :: "memory", "cc");
        __asm__ volatile("stc; lock sbbl $0, %0" : "+m"(asm_counter32) :: "memory", "cc");
        /* words only negated / only inverted: an even number of atomic negations
           leaves them as they were, a lost one flips them */
        __asm__ volatile("lock negl %0" : "+m"(neg_word) :: "memory", "cc");
        __asm__ volatile("lock notl %0" : "+m"(not_word) :: "memory", "cc");
        /* each thread toggles its own bit twice with bts/btr/btc */
        uint32_t bit = (uint32_t)id + 16;
        __asm__ volatile("lock btsl %1, %0; lock btrl %1, %0; lock btcl %1, %0; lock btcl %1, %0"
                         : "+m"(and_or_word) : "r"(bit) : "memory", "cc");
        uint32_t x = 0;
        __asm__ volatile("xchgl %0, %1" : "+r"(x), "+m"(token) :: "memory");   /* implicitly locked */
        if (x) { __atomic_fetch_add(&xchg_sum, x, __ATOMIC_RELAXED); __atomic_store_n(&token, x, __ATOMIC_SEQ_CST); }
#if defined(__x86_64__)
        __asm__ volatile("lock incq %0" : "+m"(asm_counter) :: "memory", "cc");
        unsigned __int128 old = wide, new;
        for (;;) {
            new = old + 1;
            uint64_t lo = (uint64_t)old, hi = (uint64_t)(old >> 64);
            unsigned char ok;
            __asm__ volatile("lock cmpxchg16b %1; sete %0"
                             : "=q"(ok), "+m"(wide), "+a"(lo), "+d"(hi)
                             : "b"((uint64_t)new), "c"((uint64_t)(new >> 64)) : "memory", "cc");
            if (ok) break;
            old = ((unsigned __int128)hi << 64) | lo;
        }
#else
        uint64_t old = asm_counter;
        for (;;) {
            uint64_t new = old + 1;
            uint32_t lo = (uint32_t)old, hi = (uint32_t)(old >> 32);
            unsigned char ok;
            __asm__ volatile("lock cmpxchg8b %1; sete %0"
                             : "=q"(ok), "+m"(asm_counter), "+a"(lo), "+d"(hi)
                             : "b"((uint32_t)new), "c"((uint32_t)(new >> 32)) : "memory", "cc");
            if (ok) break;
            old = ((uint64_t)hi << 32) | lo;
        }
#endif
#elif defined(__arm__)
        uint32_t tmp, fail;
        __asm__ volatile("1: ldrexb %0, [%2]\n add %0, %0, #1\n strexb %1, %0, [%2]\n cmp %1, #0\n bne 1b"
                         : "=&r"(tmp), "=&r"(fail) : "r"(&asm_counter8) : "memory", "cc");
        __asm__ volatile("1: ldrexh %0, [%2]\n add %0, %0, #1\n strexh %1, %0, [%2]\n cmp %1, #0\n bne 1b"
                         : "=&r"(tmp), "=&r"(fail) : "r"(&asm_counter16) : "memory", "cc");
        __asm__ volatile(".arch armv8-a\n1: ldaex %0, [%2]\n add %0, %0, #1\n stlex %1, %0, [%2]\n cmp %1, #0\n bne 1b"
                         : "=&r"(tmp), "=&r"(fail) : "r"(&asm_counter32) : "memory", "cc");
        uint64_t v;
        __asm__ volatile("1: ldrexd %0, %H0, [%2]\n adds %Q0, %Q0, #1\n adc %R0, %R0, #0\n"
                         " strexd %1, %0, %H0, [%2]\n cmp %1, #0\n bne 1b"
                         : "=&r"(v), "=&r"(fail) : "r"(&asm_counter) : "memory", "cc");
        /* a store-exclusive after clrex must fail */
        __asm__ volatile("ldrex %0, [%2]\n clrex\n strex %1, %0, [%2]"
                         : "=&r"(tmp), "=&r"(fail) : "r"(&asm_counter32) : "memory");
        if (!fail) __atomic_fetch_add(&clrex_escapes, 1, __ATOMIC_RELAXED);
#elif defined(__aarch64__)
        uint32_t tmp, fail;
        uint64_t t64;
        __asm__ volatile("1: ldxrb %w0, [%2]\n add %w0, %w0, #1\n stxrb %w1, %w0, [%2]\n cbnz %w1, 1b"
                         : "=&r"(tmp), "=&r"(fail) : "r"(&asm_counter8) : "memory");
        __asm__ volatile("1: ldaxrh %w0, [%2]\n add %w0, %w0, #1\n stlxrh %w1, %w0, [%2]\n cbnz %w1, 1b"
                         : "=&r"(tmp), "=&r"(fail) : "r"(&asm_counter16) : "memory");
        __asm__ volatile("1: ldxr %w0, [%2]\n add %w0, %w0, #1\n stlxr %w1, %w0, [%2]\n cbnz %w1, 1b"
                         : "=&r"(tmp), "=&r"(fail) : "r"(&asm_counter32) : "memory");
        uint64_t lo, hi;
        __asm__ volatile("1: ldaxp %0, %1, [%3]\n adds %0, %0, #1\n adc %1, %1, xzr\n"
                         " stlxp %w2, %0, %1, [%3]\n cbnz %w2, 1b"
                         : "=&r"(lo), "=&r"(hi), "=&r"(fail) : "r"(pair) : "memory", "cc");
        __asm__ volatile("ldxr %0, [%2]\n clrex\n stxr %w1, %0, [%2]"
                         : "=&r"(t64), "=&r"(fail) : "r"(&asm_counter) : "memory");
        if (!fail) __atomic_fetch_add(&clrex_escapes, 1, __ATOMIC_RELAXED);
        if (have_lse) {
            uint64_t one = 1, prev;
            __asm__ volatile(".arch armv8.1-a\n ldaddal %1, %0, [%2]" : "=r"(prev) : "r"(one), "r"(&asm_counter) : "memory");
            uint32_t old32 = __atomic_load_n(&asm_counter32, __ATOMIC_RELAXED), cmp;
            do {
                cmp = old32;
                __asm__ volatile(".arch armv8.1-a\n casal %w0, %w2, [%1]" : "+r"(old32) : "r"(&asm_counter32), "r"(cmp + 1) : "memory");
            } while (old32 != cmp);
            uint32_t zero = 0, got;
            __asm__ volatile(".arch armv8.1-a\n swpal %w1, %w0, [%2]" : "=&r"(got) : "r"(zero), "r"(&token) : "memory");
            if (got) { __atomic_fetch_add(&xchg_sum, got, __ATOMIC_RELAXED); __atomic_store_n(&token, got, __ATOMIC_SEQ_CST); }
            uint32_t bit = 1u << (id + 24), prev32;
            __asm__ volatile(".arch armv8.1-a\n ldsetal %w1, %w0, [%2]\n ldclral %w1, %w0, [%2]\n"
                             " ldeoral %w1, %w0, [%2]\n ldeoral %w1, %w0, [%2]"
                             : "=&r"(prev32) : "r"(bit), "r"(&and_or_word) : "memory");
            /* the running maximum of the thread ids, and a minimum that stays 0 */
            uint32_t seen, me = (uint32_t)id;
            __asm__ volatile(".arch armv8.1-a\n ldumaxal %w1, %w0, [%2]" : "=&r"(seen) : "r"(me), "r"(&max_word) : "memory");
            __asm__ volatile(".arch armv8.1-a\n ldsminal %w1, %w0, [%2]" : "=&r"(seen) : "r"(me), "r"(&min_word) : "memory");
        }
#endif
    }
}

static int test_stress(void)
{
#if defined(__aarch64__)
    have_lse = (getauxval(AT_HWCAP) & HWCAP_ATOMICS) != 0;
#endif
    long total = (long)nthreads * iters;
    run_threads(c11_body);
    REPORT("c11 fetch_add u8", atomic_load(&a8), (uint8_t)total);
    REPORT("c11 fetch_add u16", atomic_load(&a16), (uint16_t)total);
    REPORT("c11 fetch_add u32", atomic_load(&a32), (uint32_t)total);
    REPORT("c11 fetch_sub u64", atomic_load(&a64), (uint64_t)(-3 * total));
    run_threads(sync_body);
    REPORT("__sync_fetch_and_add u32", s32, (uint32_t)(2 * total));
    REPORT("__sync_add_and_fetch u64", s64, (uint64_t)total);
    REPORT("cas loop u32", cas32, (uint32_t)total);
    REPORT("cas weak loop u64", cas64, (uint64_t)(5 * total));
    uint32_t xor_expect = 0;
    for (int i = 0; i < nthreads; i++) if (iters & 1) xor_expect |= 1u << (i + 8);
    REPORT("fetch_or/and/xor", and_or_word, xor_expect);
    run_threads(xchg_body);
    REPORT("exchange token", token + xchg_sum > 0 && token == 1, 1);
    run_threads(asm_body);
#if defined(__x86_64__) || defined(__i386__)
    REPORT("lock xadd/adc/sbb", asm_counter32, (uint32_t)(2 * total));
    REPORT("lock neg/not", neg_word == (total % 2 ? (uint32_t)-12345 : 12345)
                           && not_word == (total % 2 ? ~54321u : 54321u), 1);
    REPORT("lock inc u16", asm_counter16, (uint16_t)total);
    REPORT("lock add u8", asm_counter8, (uint8_t)total);
    REPORT("lock bts/btr/btc", and_or_word, xor_expect);
    REPORT("xchg token", token, 1);
#if defined(__x86_64__)
    REPORT("lock inc u64", asm_counter, (uint64_t)total);
    REPORT("lock cmpxchg16b", wide, (unsigned __int128)total);
#else
    REPORT("lock cmpxchg8b", asm_counter, (uint64_t)total);
#endif
#elif defined(__arm__)
    REPORT("ldrexb/strexb", asm_counter8, (uint8_t)total);
    REPORT("ldrexh/strexh", asm_counter16, (uint16_t)total);
    REPORT("ldaex/stlex", asm_counter32, (uint32_t)total);
    REPORT("ldrexd/strexd", asm_counter, (uint64_t)total);
    REPORT("strex after clrex fails", clrex_escapes, 0);
#elif defined(__aarch64__)
    REPORT("ldxrb/stxrb", asm_counter8, (uint8_t)total);
    REPORT("ldaxrh/stlxrh", asm_counter16 >= (uint16_t)total || have_lse, 1);
    REPORT("ldaxp/stlxp pair", pair[0], (uint64_t)total);
    REPORT("stxr after clrex fails", clrex_escapes, 0);
    if (have_lse) {
        REPORT("lse ldadd u64", asm_counter, (uint64_t)total);
        REPORT("ldxr/stlxr + lse casal u32", asm_counter32, (uint32_t)(2 * total));
        REPORT("lse ldset/ldclr/ldeor", and_or_word, xor_expect);
        REPORT("lse swpal token", token, 1);
        REPORT("lse ldumax/ldsmin", max_word == (uint32_t)nthreads - 1 && min_word == 0, 1);
    } else {
        REPORT("ldxr/stlxr u32", asm_counter32, (uint32_t)total);
    }
    printf("LSE atomics advertised: %s\n", have_lse ? "yes" : "no");
#endif
    return 0;
}

/* ---- 32-bit ARM: the kernel's user helpers, from several threads ------------ */

#if defined(__arm__)
typedef int (*kuser_cmpxchg_fn)(int32_t oldval, int32_t newval, volatile int32_t *ptr);
typedef int (*kuser_cmpxchg64_fn)(const int64_t *oldval, const int64_t *newval, volatile int64_t *ptr);
typedef void (*kuser_barrier_fn)(void);
#define kuser_cmpxchg ((kuser_cmpxchg_fn)0xffff0fc0)
#define kuser_cmpxchg64 ((kuser_cmpxchg64_fn)0xffff0f60)
#define kuser_memory_barrier ((kuser_barrier_fn)0xffff0fa0)
static volatile int32_t kuser_word;
static volatile int64_t kuser_dword;

static void kuser_body(long id)
{
    (void)id;
    for (long i = 0; i < iters; i++) {
        int32_t old;
        do { old = kuser_word; } while (kuser_cmpxchg(old, old + 1, &kuser_word));
        int64_t o64, n64;
        do { o64 = kuser_dword; n64 = o64 + 0x100000001LL; } while (kuser_cmpxchg64(&o64, &n64, &kuser_dword));
        kuser_memory_barrier();
    }
}

static int test_kuser(void)
{
    run_threads(kuser_body);
    long total = (long)nthreads * iters;
    REPORT("__kuser_cmpxchg", kuser_word, (int32_t)total);
    REPORT("__kuser_cmpxchg64", kuser_dword, (int64_t)total * 0x100000001LL);
    return 0;
}
#endif

/* ---- libc locks ---------------------------------------------------------- */

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t rwlock = PTHREAD_RWLOCK_INITIALIZER;
static pthread_spinlock_t spin;
static sem_t sem;
static long mutex_count, rw_count, spin_count, sem_count, rw_reads;

static void locks_body(long id)
{
    for (long i = 0; i < iters; i++) {
        pthread_mutex_lock(&mutex);
        mutex_count++;
        pthread_mutex_unlock(&mutex);
        if ((i + id) % 4) {
            pthread_rwlock_rdlock(&rwlock);
            long seen = rw_count;
            if (seen < 0) rw_reads++;
            pthread_rwlock_unlock(&rwlock);
        } else {
            pthread_rwlock_wrlock(&rwlock);
            rw_count++;
            pthread_rwlock_unlock(&rwlock);
        }
        pthread_spin_lock(&spin);
        spin_count++;
        pthread_spin_unlock(&spin);
        sem_wait(&sem);
        sem_count++;
        sem_post(&sem);
    }
}

static int test_locks(void)
{
    pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE);
    sem_init(&sem, 0, 1);
    run_threads(locks_body);
    long total = (long)nthreads * iters, writes = 0;
    for (int id = 0; id < nthreads; id++)
        for (long i = 0; i < iters; i++) writes += (i + id) % 4 == 0;
    REPORT("pthread mutex", mutex_count, total);
    REPORT("pthread rwlock", rw_count, writes);
    REPORT("pthread spinlock", spin_count, total);
    REPORT("semaphore", sem_count, total);
    return 0;
}

/* ---- x86 lock instructions: results and flags ---------------------------- */

#if defined(__x86_64__) || defined(__i386__)
static uint32_t rng = 12345;
static uint32_t next_rand(void) { rng ^= rng << 13; rng ^= rng >> 17; rng ^= rng << 5; return rng; }
#define FLAGS_MASK 0x8d5   /* CF PF AF ZF SF OF */

#define BINOP(name, insn, type, suffix)                                              \
    static void flags_##name##_##suffix(type a, type b) {                            \
        type mem = a; unsigned long fl;                                                \
        __asm__ volatile(insn " %2, %0\n pushf\n pop %1"                     \
                         : "+m"(mem), "=r"(fl) : "r"(b) : "memory", "cc");           \
        printf("%-6s %-3s %#llx %#llx -> %#llx flags %#lx\n", #name, #suffix,         \
               (unsigned long long)a, (unsigned long long)b, (unsigned long long)mem, fl & FLAGS_MASK); }
#define UNOP(name, insn, type, suffix)                                               \
    static void flags_##name##_##suffix(type a) {                                    \
        type mem = a; unsigned long fl;                                                \
        /* known flags first (lock not changes none): those of testing a */     \
        __asm__ volatile("test %2, %2\n" insn " %0\n pushf\n pop %1"             \
                         : "+m"(mem), "=r"(fl) : "q"(a) : "memory", "cc");          \
        printf("%-6s %-3s %#llx -> %#llx flags %#lx\n", #name, #suffix,               \
               (unsigned long long)a, (unsigned long long)mem, fl & FLAGS_MASK); }
#define SIZES(M, name, base) M(name, base "b", uint8_t, b) M(name, base "w", uint16_t, w) M(name, base "l", uint32_t, l)
SIZES(BINOP, add, "lock add") SIZES(BINOP, sub, "lock sub") SIZES(BINOP, and, "lock and")
SIZES(BINOP, or, "lock or") SIZES(BINOP, xor, "lock xor")
SIZES(BINOP, adc, "stc; lock adc") SIZES(BINOP, sbb, "stc; lock sbb")
SIZES(UNOP, inc, "lock inc") SIZES(UNOP, dec, "lock dec") SIZES(UNOP, neg, "lock neg")
SIZES(UNOP, not, "lock not")
#ifdef __x86_64__
BINOP(add, "lock addq", uint64_t, q) BINOP(sub, "lock subq", uint64_t, q)
BINOP(xor, "lock xorq", uint64_t, q) UNOP(neg, "lock negq", uint64_t, q) UNOP(inc, "lock incq", uint64_t, q)
#endif

static void flags_bitops(uint32_t a, uint32_t bit)
{
    const char *names[] = { "bts", "btr", "btc" };
    for (int k = 0; k < 3; k++) {
        uint32_t mem = a; unsigned long fl;
        if (k == 0) __asm__ volatile("lock btsl %2, %0\n pushf\n pop %1" : "+m"(mem), "=r"(fl) : "r"(bit) : "memory", "cc");
        if (k == 1) __asm__ volatile("lock btrl %2, %0\n pushf\n pop %1" : "+m"(mem), "=r"(fl) : "r"(bit) : "memory", "cc");
        if (k == 2) __asm__ volatile("lock btcl %2, %0\n pushf\n pop %1" : "+m"(mem), "=r"(fl) : "r"(bit) : "memory", "cc");
        printf("%-6s %#x bit %u -> %#x CF %lu\n", names[k], a, bit, mem, fl & 1);
    }
}

static void flags_xadd_cmpxchg(uint32_t a, uint32_t b)
{
    uint32_t mem = a, reg = b; unsigned long fl;
    __asm__ volatile("lock xaddl %1, %0\n pushf\n pop %2" : "+m"(mem), "+r"(reg), "=r"(fl) :: "memory", "cc");
    printf("xadd   %#x %#x -> mem %#x reg %#x flags %#lx\n", a, b, mem, reg, fl & FLAGS_MASK);
    for (int hit = 0; hit < 2; hit++) {
        uint32_t m = a, expect = hit ? a : b, n = b ^ 0x5a5a5a5a;
        __asm__ volatile("lock cmpxchgl %2, %0\n pushf\n pop %3" : "+m"(m), "+a"(expect), "+r"(n), "=r"(fl) :: "memory", "cc");
        printf("cmpxchg %#x hit=%d -> mem %#x eax %#x flags %#lx\n", a, hit, m, expect, fl & FLAGS_MASK);
    }
}

static int test_flags(void)
{
    for (int i = 0; i < 24; i++) {
        uint32_t a = next_rand(), b = next_rand();
        if (i % 6 == 0) b = a;                  /* zero results */
        if (i % 6 == 1) a = 0x7fffffff;         /* overflow edges */
        if (i % 6 == 2) a = 0x80, b = 0x80;
#define CALL_BIN(name) flags_##name##_b((uint8_t)a, (uint8_t)b); flags_##name##_w((uint16_t)a, (uint16_t)b); flags_##name##_l(a, b);
#define CALL_UN(name) flags_##name##_b((uint8_t)a); flags_##name##_w((uint16_t)a); flags_##name##_l(a);
        CALL_BIN(add) CALL_BIN(sub) CALL_BIN(and) CALL_BIN(or) CALL_BIN(xor) CALL_BIN(adc) CALL_BIN(sbb)
        CALL_UN(inc) CALL_UN(dec) CALL_UN(neg) CALL_UN(not)
#ifdef __x86_64__
        uint64_t wa = ((uint64_t)a << 32) | b, wb = ((uint64_t)b << 32) | a;
        flags_add_q(wa, wb); flags_sub_q(wa, wb); flags_xor_q(wa, wb); flags_neg_q(wa); flags_inc_q(wa);
#endif
        flags_bitops(a, b % 32);
        flags_xadd_cmpxchg(a, b);
    }
    return 0;
}
#endif

/* ---- store buffering ------------------------------------------------------------ */

static volatile int x, y, r0, r1;
static volatile int round_start, done0, done1;
static int use_fence;

static inline void full_fence(void)
{
    if (use_fence) __atomic_thread_fence(__ATOMIC_SEQ_CST);
    else __asm__ volatile("" ::: "memory");
}

static long rounds;

static void *sb_thread1(void *arg)
{
    (void)arg;
    for (long r = 1; r <= rounds; r++) {
        while (__atomic_load_n(&round_start, __ATOMIC_ACQUIRE) != r) ;
        y = 1;
        full_fence();
        r1 = x;
        __atomic_store_n(&done1, r, __ATOMIC_RELEASE);
    }
    return NULL;
}

static int test_litmus(void)
{
    pthread_t t;
    long both_zero = 0;
    pthread_create(&t, NULL, sb_thread1, NULL);
    for (long r = 1; r <= rounds; r++) {
        x = y = 0;
        __atomic_store_n(&round_start, r, __ATOMIC_RELEASE);
        x = 1;
        full_fence();
        r0 = y;
        while (__atomic_load_n(&done1, __ATOMIC_ACQUIRE) != r) ;
        if (r0 == 0 && r1 == 0) both_zero++;
    }
    pthread_join(t, NULL);
    printf("store buffering %s fence: %ld rounds, r0 == r1 == 0 in %ld\n",
           use_fence ? "with" : "without", rounds, both_zero);
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *t = argc > 1 ? argv[1] : "stress";
    if (!strcmp(t, "litmus")) {
        rounds = argc > 2 ? atol(argv[2]) : 100000;
        use_fence = !(argc > 3 && !strcmp(argv[3], "nofence"));
        return test_litmus();
    }
    if (argc > 2) nthreads = atoi(argv[2]);
    if (argc > 3) iters = atol(argv[3]);
    if (nthreads > 16) nthreads = 16;
    if (!strcmp(t, "stress")) return test_stress();
    if (!strcmp(t, "locks")) return test_locks();
#if defined(__arm__)
    if (!strcmp(t, "kuser")) return test_kuser();
#endif
#if defined(__x86_64__) || defined(__i386__)
    if (!strcmp(t, "flags")) return test_flags();
#endif
    fprintf(stderr, "unknown test %s\n", t);
    return 2;
}
