/*
 * Floating-point exception flags as fetestexcept() reports them after
 * operations that raise each one: the emulated FPSCR / FPSR / x87 status word
 * and MXCSR must record them.
 */
#include <fenv.h>
#include <float.h>
#include <stdio.h>

static void report(const char *what, int excepts)
{
    printf("%-16s divbyzero=%d invalid=%d overflow=%d underflow=%d inexact=%d\n", what,
           (excepts & FE_DIVBYZERO) != 0, (excepts & FE_INVALID) != 0,
           (excepts & FE_OVERFLOW) != 0, (excepts & FE_UNDERFLOW) != 0,
           (excepts & FE_INEXACT) != 0);
}

int main(void)
{
    volatile double zero = 0.0, one = 1.0, three = 3.0, big = DBL_MAX, tiny = DBL_MIN;
    volatile double r;

    feclearexcept(FE_ALL_EXCEPT);
    report("nothing", fetestexcept(FE_ALL_EXCEPT));

    feclearexcept(FE_ALL_EXCEPT);
    r = one / zero;
    report("1/0", fetestexcept(FE_ALL_EXCEPT));

    feclearexcept(FE_ALL_EXCEPT);
    r = zero / zero;
    report("0/0", fetestexcept(FE_ALL_EXCEPT));

    feclearexcept(FE_ALL_EXCEPT);
    r = big * three;
    report("DBL_MAX*3", fetestexcept(FE_ALL_EXCEPT));

    feclearexcept(FE_ALL_EXCEPT);
    r = tiny / big;
    report("DBL_MIN/DBL_MAX", fetestexcept(FE_ALL_EXCEPT));

    feclearexcept(FE_ALL_EXCEPT);
    r = one / three;
    report("1/3", fetestexcept(FE_ALL_EXCEPT));
    (void)r;
    return 0;
}
