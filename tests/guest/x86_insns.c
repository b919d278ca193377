/*
 * x86 integer and MMX/SSE instructions whose register effects QEMU 5.0's
 * translator got wrong: cmpxchg in every operand size (register and memory
 * destination, locked or not, success and failure), bextr on 32- and 64-bit
 * operands, and the SSSE3 horizontal adds and subtracts on MMX and XMM
 * registers (also with the same register as both operands).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#ifdef __x86_64__
typedef uint64_t reg_t;
#define R "%016llx"
#define ACC "rax"
#else
typedef uint32_t reg_t;
#define R "%08llx"
#define ACC "eax"
#endif

static const reg_t DIRTY = (reg_t)0xa5a5a5a5a5a5a5a5ULL;

/* cmpxchg OP with the accumulator preset to `acc`, the destination to `dst`
 * and the source to `src`: print accumulator, destination, ZF. */
#define CMPXCHG_REG(name, insn, acc0, dst0, src0)                                   \
    do {                                                                            \
        reg_t acc = (acc0), dst = (dst0), src = (src0);                             \
        uint8_t zf;                                                                 \
        __asm__ volatile(insn "\n\tsetz %3"                                         \
                         : "+a"(acc), "+q"(dst), "+q"(src), "=q"(zf) : : "cc");     \
        printf("%-28s acc=" R " dst=" R " zf=%d\n", name, (unsigned long long)acc,   \
               (unsigned long long)dst, zf);                                        \
    } while (0)

#define CMPXCHG_MEM(name, insn, acc0, dst0, src0)                                   \
    do {                                                                            \
        reg_t acc = (acc0), src = (src0);                                           \
        uint64_t mem[2] = {(dst0), 0x1111111111111111ULL};                          \
        uint8_t zf;                                                                 \
        __asm__ volatile(insn "\n\tsetz %3"                                         \
                         : "+a"(acc), "+m"(mem[0]), "+q"(src), "=q"(zf) : : "cc");  \
        printf("%-28s acc=" R " mem=%016llx zf=%d\n", name, (unsigned long long)acc, \
               (unsigned long long)mem[0], zf);                                     \
    } while (0)

static void cmpxchg(void)
{
    /* equal (the write happens) and not equal (the accumulator is loaded) */
    for (int equal = 1; equal >= 0; equal--) {
        reg_t acc_in = equal ? DIRTY : (reg_t)0x0123456789abcdefULL;
        const char *e = equal ? "equal" : "differ";
        char name[64];
#define CASE(kind, sfx, insn) \
        snprintf(name, sizeof name, "%s %s %s", #kind, sfx, e);                    \
        CMPXCHG_##kind(name, insn, acc_in, DIRTY, (reg_t)0x5a5a5a5a5a5a5a5aULL)
        CASE(REG, "8", "cmpxchg %b2, %b1");
        CASE(REG, "16", "cmpxchg %w2, %w1");
        CASE(REG, "32", "cmpxchg %k2, %k1");
        CASE(MEM, "8", "cmpxchgb %b2, %1");
        CASE(MEM, "16", "cmpxchgw %w2, %1");
        CASE(MEM, "32", "cmpxchgl %k2, %1");
        CASE(MEM, "lock 8", "lock cmpxchgb %b2, %1");
        CASE(MEM, "lock 16", "lock cmpxchgw %w2, %1");
        CASE(MEM, "lock 32", "lock cmpxchgl %k2, %1");
#ifdef __x86_64__
        CASE(REG, "64", "cmpxchg %q2, %q1");
        CASE(MEM, "64", "cmpxchgq %q2, %1");
        CASE(MEM, "lock 64", "lock cmpxchgq %q2, %1");
#endif
#undef CASE
    }
    /* the accumulator as destination: always equal */
    CMPXCHG_REG("REG 32 acc,acc", "cmpxchg %k2, %%eax", DIRTY, 0, (reg_t)0x5a5a5a5a5a5a5a5aULL);
}

static void bextr(void)
{
    static const uint32_t controls[] = {0x0000, 0x0800, 0x0810, 0x1004, 0x1f01, 0x2000,
                                        0x2100, 0x2010, 0x3f00, 0x4000, 0x4001, 0xff00,
                                        0xff3f, 0x0820, 0x0840, 0x1018, 0x083c};
    static const uint64_t sources[] = {0xfedcba9876543210ULL, 0xffffffffffffffffULL,
                                       0x8000000080000001ULL};
    for (unsigned i = 0; i < sizeof controls / sizeof *controls; i++)
        for (unsigned j = 0; j < sizeof sources / sizeof *sources; j++) {
            reg_t ctl = controls[i] | (DIRTY & ~(reg_t)0xffffffff), src = sources[j];
            reg_t r32 = DIRTY;
            __asm__("bextr %k2, %k1, %k0" : "+r"(r32) : "r"(src), "r"(ctl) : "cc");
            printf("bextr %04x %016llx: 32=" R, controls[i], (unsigned long long)sources[j],
                   (unsigned long long)r32);
#ifdef __x86_64__
            reg_t r64;
            __asm__("bextr %2, %1, %0" : "=r"(r64) : "r"(src), "r"((reg_t)controls[i]) : "cc");
            printf(" 64=" R, (unsigned long long)r64);
#endif
            printf("\n");
        }
}

#define MMX_OP(insn, a, b)                                                          \
    do {                                                                            \
        uint64_t d = (a), s = (b), same = (a), m = (a);                             \
        __asm__ volatile("movq %0, %%mm0\n\tmovq %1, %%mm1\n\t" insn " %%mm1, %%mm0\n\t"  \
                         "movq %%mm0, %0\n\t"                                       \
                         "movq %2, %%mm2\n\t" insn " %%mm2, %%mm2\n\tmovq %%mm2, %2\n\t"  \
                         "movq %3, %%mm3\n\t" insn " %1, %%mm3\n\tmovq %%mm3, %3\n\temms" \
                         : "+m"(d), "+m"(s), "+m"(same), "+m"(m) : : "mm0", "mm1", "mm2", "mm3"); \
        printf("%-8s mmx %016llx %016llx -> %016llx same %016llx mem %016llx\n", insn, \
               (unsigned long long)(a), (unsigned long long)(b), (unsigned long long)d, \
               (unsigned long long)same, (unsigned long long)m);                    \
    } while (0)

#define XMM_OP(insn, a, b)                                                          \
    do {                                                                            \
        uint64_t d[2] = {(a), (b)}, s[2] = {(b), (a)}, same[2] = {(a), (b)};        \
        __asm__ volatile("movdqu %0, %%xmm0\n\tmovdqu %1, %%xmm1\n\t" insn " %%xmm1, %%xmm0\n\t" \
                         "movdqu %%xmm0, %0\n\t"                                    \
                         "movdqu %2, %%xmm2\n\t" insn " %%xmm2, %%xmm2\n\tmovdqu %%xmm2, %2" \
                         : "+m"(d), "+m"(s), "+m"(same) : : "xmm0", "xmm1", "xmm2"); \
        printf("%-8s xmm -> %016llx%016llx same %016llx%016llx\n", insn,           \
               (unsigned long long)d[1], (unsigned long long)d[0],                  \
               (unsigned long long)same[1], (unsigned long long)same[0]);           \
    } while (0)

static void horizontal(void)
{
    static const uint64_t values[][2] = {
        {0x0001000200030004ULL, 0x0010002000300040ULL},
        {0x7fff00018000ffffULL, 0x8000800180007fffULL},   /* saturation */
        {0x7fffffff00000001ULL, 0x80000000ffffffffULL},
    };
    for (unsigned i = 0; i < sizeof values / sizeof *values; i++) {
        uint64_t a = values[i][0], b = values[i][1];
#define MMX_AND_XMM(insn) MMX_OP(insn, a, b); XMM_OP(insn, a, b)
        MMX_AND_XMM("phaddw");
        MMX_AND_XMM("phaddd");
        MMX_AND_XMM("phaddsw");
        MMX_AND_XMM("phsubw");
        MMX_AND_XMM("phsubd");
        MMX_AND_XMM("phsubsw");
#undef MMX_AND_XMM
    }
}

int main(void)
{
    cmpxchg();
    bextr();
    horizontal();
    return 0;
}
