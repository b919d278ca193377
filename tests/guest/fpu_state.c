/*
 * The x86 floating-point environment a program starts with, and what
 * fninit, fnstenv, fxsave and fxrstor see of it: Linux gives every new
 * process fcw=037f (all exceptions masked, 64-bit precision, round to
 * nearest), an empty x87 stack (tag word ffff) and mxcsr=1f80.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct fxsave_area {                 /* the first 32 bytes of the 512-byte image */
    uint16_t fcw, fsw;
    uint8_t ftw, reserved;           /* abridged tag word: 1 bit per register, 1 = valid */
    uint16_t fop;
    uint8_t rest[16];                /* fip, fcs, fdp, fds */
    uint32_t mxcsr, mxcsr_mask;
    uint8_t regs[480];
} __attribute__((aligned(16)));

struct fpu_env {                     /* fnstenv's 32-bit protected-mode layout */
    uint32_t fcw, fsw, ftw, fip, fcs, foo, fos;
};

static uint16_t fcw(void)
{
    uint16_t v;
    __asm__ volatile("fnstcw %0" : "=m"(v));
    return v;
}

static uint32_t mxcsr(void)
{
    uint32_t v;
    __asm__ volatile("stmxcsr %0" : "=m"(v));
    return v;
}

static uint16_t tag_word(void)
{
    struct fpu_env env;
    __asm__ volatile("fnstenv %0\n\tfldenv %0" : "=m"(env));
    return env.ftw & 0xffff;
}

static void fxsave(struct fxsave_area *area)
{
    __asm__ volatile("fxsave %0" : "=m"(*area));
}

static void fxrstor(struct fxsave_area *area)
{
    __asm__ volatile("fxrstor %0" : : "m"(*area));
}

/* The exception flags (fsw and mxcsr bits 0-5) are fenv.c's subject: left out here. */
#define FLAGS 0x3f

static void report(const char *when)
{
    static struct fxsave_area area;
    fxsave(&area);
    printf("%-22s fcw=%04x mxcsr=%08x ftw=%04x | fxsave fcw=%04x fsw=%04x ftw=%02x mxcsr=%08x\n",
           when, fcw(), mxcsr() & ~FLAGS, tag_word(), area.fcw, area.fsw & ~FLAGS, area.ftw,
           area.mxcsr & ~FLAGS);
}

int main(void)
{
    static struct fxsave_area area;
    volatile long double three = 3.0L;
    volatile double dthree = 3.0;

    report("at start");
    /* 64-bit precision and round to nearest: what long double maths relies on. */
    printf("1/3 long double = %La, 2/3 double = %a\n", 1.0L / three, 2.0 / dthree);

    __asm__ volatile("fldpi\n\tfld1");
    report("two values pushed");
    __asm__ volatile("fstp %%st(0)\n\tfstp %%st(0)" ::: "memory");

    /* Other settings, saved and restored through fxsave/fxrstor. */
    fxsave(&area);
    area.fcw = 0x0c7f;               /* round toward zero, 64-bit precision */
    area.mxcsr = 0x7f80;             /* SSE round toward zero */
    fxrstor(&area);
    report("after fxrstor");
    printf("1/3 long double = %La, 2/3 double = %a\n", 1.0L / three, 2.0 / dthree);

    __asm__ volatile("fninit");
    report("after fninit");
    __asm__ volatile("ldmxcsr %0" : : "m"((uint32_t){0x1f80}));
    report("mxcsr reloaded");
    printf("1/3 long double = %La, 2/3 double = %a\n", 1.0L / three, 2.0 / dthree);
    return 0;
}
