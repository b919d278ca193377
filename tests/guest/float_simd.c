/*
 * Floating point and SIMD workout.  Built with -O3 (and -mfpu=neon on armhf,
 * -msse2 -mfpmath=sse on i386) so that the loops marked "vectorised" become
 * NEON / SSE2 / AdvSIMD code.  Every result is printed with %.6f (or as an
 * integer), so the output is identical wherever the arithmetic is exact
 * IEEE-754 for the same binary.
 */
#include <fenv.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#define N 1024
#define M 8

static float fa[N], fb[N], fc[N];
static int32_t ia[N], ib[N];
static double ma[M][M], mb[M][M], mc[M][M];

/* vectorised: integer multiply-accumulate reduction (NEON vmla.i32, SSE2 pmuludq/paddd) */
__attribute__((noinline)) static int64_t idot(const int32_t *restrict a,
                                              const int32_t *restrict b, int n)
{
    int32_t s = 0;
    for (int i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

/* vectorised: element-wise float multiply-add (no reassociation needed) */
__attribute__((noinline)) static void saxpy(float *restrict c, const float *restrict a,
                                            const float *restrict b, float k, int n)
{
    for (int i = 0; i < n; i++)
        c[i] = a[i] * k + b[i];
}

/* vectorised with -fopenmp-simd: float dot product with an explicit reduction */
__attribute__((noinline)) static float fdot(const float *restrict a,
                                            const float *restrict b, int n)
{
    float s = 0.0f;
#pragma omp simd reduction(+:s)
    for (int i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

/* vectorised: double element-wise max/min and sqrt */
__attribute__((noinline)) static double dnorm(const float *restrict a, int n)
{
    double s = 0.0;
    for (int i = 0; i < n; i++)
        s += (double)a[i] * (double)a[i];
    return sqrt(s);
}

__attribute__((noinline)) static void matmul(void)
{
    for (int i = 0; i < M; i++)
        for (int j = 0; j < M; j++) {
            double s = 0.0;
            for (int k = 0; k < M; k++)
                s += ma[i][k] * mb[k][j];
            mc[i][j] = s;
        }
}

int main(void)
{
    volatile double x = 2.0, y = 0.5, z = 10.0;
    volatile float xf = 3.0f;

    printf("sqrt(2)      = %.6f\n", sqrt(x));
    printf("sqrtf(3)     = %.6f\n", (double)sqrtf(xf));
    printf("sin(0.5)     = %.6f\n", sin(y));
    printf("cos(0.5)     = %.6f\n", cos(y));
    printf("tan(0.5)     = %.6f\n", tan(y));
    printf("atan2(1,2)   = %.6f\n", atan2(1.0, x));
    printf("exp(0.5)     = %.6f\n", exp(y));
    printf("log(10)      = %.6f\n", log(z));
    printf("pow(2,0.5)   = %.6f\n", pow(x, y));
    printf("fmod(10,3)   = %.6f\n", fmod(z, 3.0));
    printf("floor(-0.5)  = %.6f\n", floor(-y));
    printf("ceil(-0.5)   = %.6f\n", ceil(-y));
    printf("round(2.5)   = %.6f\n", round(x + y));
    printf("sinf(0.5)    = %.6f\n", (double)sinf((float)y));
    printf("expf(0.5)    = %.6f\n", (double)expf((float)y));
    printf("1/0          = %f\n", 1.0 / (x - 2.0));
    printf("-1/0         = %f\n", -1.0 / (x - 2.0));
    printf("isnan(0/0)   = %d\n", isnan((x - 2.0) / (x - 2.0)) ? 1 : 0);
    printf("(int)-2.7    = %d\n", (int)(-x - 0.7));
    printf("(unsigned)3.9= %u\n", (unsigned)(x + 1.9));
    printf("lrint(2.5)   = %ld\n", lrint(x + y));
    volatile float tiny = 1.0e-8f, small = 1.0e-7f;
    printf("1f+1e-8f==1f = %d\n", (1.0f + tiny) == 1.0f ? 1 : 0);
    printf("1f+1e-7f==1f = %d\n", (1.0f + small) == 1.0f ? 1 : 0);
    printf("dbl subnorm  = %.6e\n", 4.9e-324 * x);

    /* Rounding modes: the emulated FPU control word / FPSCR / FPCR. */
    volatile double one = 1.0, three = 3.0;
    static const struct { int mode; const char *name; } modes[] = {
        { FE_TONEAREST, "nearest" },
#ifdef FE_DOWNWARD
        { FE_DOWNWARD, "down" },
#endif
#ifdef FE_UPWARD
        { FE_UPWARD, "up" },
#endif
#ifdef FE_TOWARDZERO
        { FE_TOWARDZERO, "zero" },
#endif
    };
    for (unsigned i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        fesetround(modes[i].mode);
        volatile double q = one / three;
        volatile double nq = -one / three;
        fesetround(FE_TONEAREST);
        printf("round %-7s 1/3=%.20f -1/3=%.20f\n", modes[i].name, q, nq);
    }
    /* Exception flags (fetestexcept) are checked by fenv.c. */

    for (int i = 0; i < N; i++) {
        fa[i] = (float)(i % 17) * 0.25f - 1.0f;
        fb[i] = (float)(i % 13) * 0.5f + 0.125f;
        ia[i] = (i * 7) % 101 - 50;
        ib[i] = (i * 13) % 97 - 48;
    }
    printf("idot         = %lld\n", (long long)idot(ia, ib, N));
    saxpy(fc, fa, fb, 1.5f, N);
    double csum = 0.0;
    for (int i = 0; i < N; i++)
        csum += fc[i];
    printf("saxpy sum    = %.6f\n", csum);
    printf("fdot         = %.6f\n", (double)fdot(fa, fb, N));
    printf("norm(fa)     = %.6f\n", dnorm(fa, N));

    for (int i = 0; i < M; i++)
        for (int j = 0; j < M; j++) {
            ma[i][j] = (double)(i + 1) / (double)(j + 2);
            mb[i][j] = (double)(i == j) * 2.0 + (double)(i - j) * 0.125;
        }
    matmul();
    double trace = 0.0;
    for (int i = 0; i < M; i++)
        trace += mc[i][i];
    printf("matmul trace = %.6f\n", trace);
    printf("mc[0][7]     = %.6f\n", mc[0][7]);
    printf("mc[7][0]     = %.6f\n", mc[7][0]);
    printf("mc[3][4]     = %.6f\n", mc[3][4]);
    return 0;
}
