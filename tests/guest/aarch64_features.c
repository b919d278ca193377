/*
 * AArch64: AT_HWCAP against the ID registers (readable with HWCAP_CPUID) and
 * against the instructions each bit announces, which must execute and give
 * the reference's results.
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/auxv.h>

#define MRS(reg) ({ uint64_t v_; __asm__ volatile("mrs %0, " #reg : "=r"(v_)); v_; })

/* The kernel's arm64_elf_hwcaps: AT_HWCAP bit <- ID register field >= value. */
static const struct { const char *name; int bit, isar0, shift, sign, min; } hwcaps[] = {
    {"fp", 0, 0, 16, 1, 0}, {"asimd", 1, 0, 20, 1, 0}, {"aes", 3, 1, 4, 0, 1},
    {"pmull", 4, 1, 4, 0, 2}, {"sha1", 5, 1, 8, 0, 1}, {"sha2", 6, 1, 12, 0, 1},
    {"crc32", 7, 1, 16, 0, 1}, {"atomics", 8, 1, 20, 0, 2}, {"fphp", 9, 0, 16, 1, 1},
    {"asimdhp", 10, 0, 20, 1, 1}, {"asimdrdm", 12, 1, 28, 0, 1}, {"sha3", 17, 1, 32, 0, 1},
    {"sm3", 18, 1, 36, 0, 1}, {"sm4", 19, 1, 40, 0, 1}, {"asimddp", 20, 1, 44, 0, 1},
    {"sha512", 21, 1, 12, 0, 2}, {"asimdfhm", 23, 1, 48, 0, 1}, {"flagm", 27, 1, 52, 0, 1},
};

typedef uint64_t v2 __attribute__((vector_size(16)));
typedef _Float16 v8h __attribute__((vector_size(16)));

#define VOP(feature, insn)                                                          \
    do {                                                                            \
        v2 a = {0x0123456789abcdefULL, 0xfedcba9876543210ULL};                      \
        v2 b = {0x1111222233334444ULL, 0x5555666677778888ULL}, c = {3, 5};          \
        if (has(feature)) {                                                         \
            __asm__ volatile(insn : "+w"(a) : "w"(b), "w"(c));                      \
            printf("%-9s %-40s %016llx%016llx\n", feature, insn,                    \
                   (unsigned long long)a[1], (unsigned long long)a[0]);             \
        }                                                                           \
    } while (0)

static unsigned long hwcap;

static int has(const char *name)
{
    for (unsigned i = 0; i < sizeof hwcaps / sizeof *hwcaps; i++)
        if (__builtin_strcmp(hwcaps[i].name, name) == 0)
            return hwcap >> hwcaps[i].bit & 1;
    return 0;
}

int main(void)
{
    hwcap = getauxval(AT_HWCAP);
    printf("cpuid: %lu\n", hwcap >> 11 & 1);
    if (hwcap >> 11 & 1) {
        uint64_t pfr0 = MRS(id_aa64pfr0_el1), isar0 = MRS(id_aa64isar0_el1);
        printf("midr_el1 %llx id_aa64isar0_el1 %llx\n", (unsigned long long)MRS(midr_el1),
               (unsigned long long)isar0);
        uint64_t x30;               /* the kernel's emulation writes any Xt, xzr too */
        __asm__ volatile("mrs x30, midr_el1\n\tmov %0, x30\n\tmrs xzr, midr_el1" : "=r"(x30) : : "x30");
        printf("mrs x30 %d\n", x30 == MRS(midr_el1));
        for (unsigned i = 0; i < sizeof hwcaps / sizeof *hwcaps; i++) {
            int field = ((hwcaps[i].isar0 ? isar0 : pfr0) >> hwcaps[i].shift) & 15;
            if (hwcaps[i].sign && field >= 8)
                field -= 16;
            int bit = hwcap >> hwcaps[i].bit & 1;
            printf("%-9s AT_HWCAP %d, ID register says %d%s\n", hwcaps[i].name, bit,
                   field >= hwcaps[i].min, bit == (field >= hwcaps[i].min) ? "" : ": WRONG");
        }
    }

    VOP("pmull", "pmull %0.1q, %1.1d, %2.1d");
    VOP("aes", "aese %0.16b, %1.16b");
    VOP("sha1", "sha1h %s0, %s1");
    VOP("sha2", "sha256h %q0, %q1, %2.4s");
    VOP("sha512", "sha512h %q0, %q1, %2.2d");
    VOP("asimdrdm", "sqrdmlah %0.8h, %1.8h, %2.8h");
    VOP("sha3", "eor3 %0.16b, %1.16b, %2.16b, %1.16b");
    VOP("sm3", "sm3ss1 %0.4s, %1.4s, %2.4s, %1.4s");
    VOP("sm4", "sm4e %0.4s, %1.4s");
    VOP("asimddp", "sdot %0.4s, %1.16b, %2.16b");
    VOP("asimdfhm", "fmlal %0.4s, %1.4h, %2.4h");
    if (has("crc32")) {
        uint32_t crc = 0xffffffff;
        __asm__("crc32b %w0, %w0, %w1\n\tcrc32cx %w0, %w0, %2" : "+r"(crc) : "r"(0x5a),
                "r"(0x0123456789abcdefULL));
        printf("crc32     %08x\n", crc);
    }
    if (has("atomics")) {
        static long word = 5;
        long old;
        __asm__ volatile("ldadd %1, %0, [%2]" : "=r"(old) : "r"(3L), "r"(&word) : "memory");
        printf("atomics   ldadd %ld -> %ld\n", old, word);
    }
    if (has("flagm")) {
        uint64_t nzcv;
        __asm__ volatile("msr nzcv, %1\n\tcfinv\n\tmrs %0, nzcv" : "=r"(nzcv) : "r"(0x20000000UL));
        printf("flagm     cfinv %llx\n", (unsigned long long)nzcv);
    }
    if (has("fphp")) {
        _Float16 x = 1.5, y = 2.25, z;
        __asm__ volatile("fadd %h0, %h1, %h2" : "=w"(z) : "w"(x), "w"(y));
        printf("fphp      fadd %g\n", (double)z);
    }
    if (has("asimdhp")) {
        v8h v = {1, 2, 3, 4, 5, 6, 7, 0.5}, w = {8, 7, 6, 5, 4, 3, 2, 3};
        __asm__ volatile("fmul %0.8h, %0.8h, %1.8h" : "+w"(v) : "w"(w));
        printf("asimdhp   fmul %g %g %g\n", (double)v[0], (double)v[3], (double)v[7]);
    }
    return 0;
}
