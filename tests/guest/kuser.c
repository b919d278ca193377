/*
 * 32-bit ARM only: the kernel's user helpers page at 0xffff0000
 * (Documentation/arch/arm/kernel_user_helpers.rst), called as old ARM code does.
 */
#include <stdint.h>
#include <stdio.h>

typedef void *(*get_tls_fn)(void);
typedef int (*cmpxchg_fn)(int32_t oldval, int32_t newval, volatile int32_t *ptr);
typedef int (*cmpxchg64_fn)(const int64_t *oldval, const int64_t *newval, volatile int64_t *ptr);
typedef void (*barrier_fn)(void);

#define kuser_helper_version (*(int32_t *)0xffff0ffc)
#define kuser_get_tls ((get_tls_fn)0xffff0fe0)
#define kuser_cmpxchg ((cmpxchg_fn)0xffff0fc0)
#define kuser_memory_barrier ((barrier_fn)0xffff0fa0)
#define kuser_cmpxchg64 ((cmpxchg64_fn)0xffff0f60)

int main(void)
{
    printf("helper version >= 5: %d\n", kuser_helper_version >= 5);
    printf("get_tls == thread pointer: %d\n", kuser_get_tls() == __builtin_thread_pointer());
    volatile int32_t word = 41;
    int r = kuser_cmpxchg(41, 42, &word);
    printf("cmpxchg 41->42: ret=%d word=%d\n", r, (int)word);
    r = kuser_cmpxchg(41, 43, &word);
    printf("cmpxchg 41->43: ret=%s word=%d\n", r ? "nonzero" : "0", (int)word);
    kuser_memory_barrier();
    volatile int64_t big = 0x100000000LL;
    int64_t oldv = 0x100000000LL, newv = 0x200000001LL;
    r = kuser_cmpxchg64(&oldv, &newv, &big);
    printf("cmpxchg64: ret=%d big=%#llx\n", r, (unsigned long long)big);
    r = kuser_cmpxchg64(&oldv, &newv, &big);
    printf("cmpxchg64 again: ret=%s big=%#llx\n", r ? "nonzero" : "0", (unsigned long long)big);
    return 0;
}
