/*
 * A tiny multi-arch example for linuxuser: prints a greeting, the
 * architecture it was compiled for (from the compiler's predefined
 * macros) and its arguments.
 */
#include <stdio.h>

#if defined(__aarch64__)
#define ARCH "aarch64 (64-bit ARM)"
#elif defined(__arm__) && defined(__ARM_PCS_VFP)
#define ARCH "armhf (32-bit ARM, hard-float)"
#elif defined(__arm__)
#define ARCH "arm (32-bit ARM, soft-float)"
#elif defined(__x86_64__)
#define ARCH "x86_64"
#elif defined(__i386__)
#define ARCH "i386"
#else
#define ARCH "an unknown architecture"
#endif

int main(int argc, char **argv)
{
    printf("Hello from linuxuser!\n");
    printf("This program was compiled for %s.\n", ARCH);
    for (int i = 0; i < argc; i++)
        printf("argv[%d] = %s\n", i, argv[i]);
    return 0;
}
