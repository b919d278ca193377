/*
 * Prints a line, flushes stdout, then dies by a hardware fault chosen by
 * argv[1] (default "segv"):
 *   segv  store through a NULL pointer                -> SIGSEGV
 *   ill   execute an undefined instruction            -> SIGILL
 *         (x86 ud2, arm udf #0xf000 (0xe7f000f0 in ARM state), aarch64 udf #0)
 *   trap  __builtin_trap()  (SIGILL on x86 and arm; aarch64 emits
 *         "brk #1000", which Linux reports as SIGTRAP)
 *   fpe   integer division by zero: SIGFPE on x86; on armv7 the libgcc
 *         helper __aeabi_idiv0 raises SIGFPE itself, on aarch64 the sdiv
 *         instruction just returns 0 and the program prints the result
 *   bus   read a page of a file mapping beyond the end of the file -> SIGBUS
 *         (needs a directory in argv[2])
 *   ro-write   write a page, mprotect it read-only, write it again  -> SIGSEGV
 *   none-read  read a read-only page (after an mprotect that keeps it
 *              read-only), mprotect it PROT_NONE, read it           -> SIGSEGV
 *   nx-exec    call a "return" instruction written to a page mapped
 *              without PROT_EXEC                                    -> SIGSEGV
 *   (each touches the page before the change, so a stale translation of
 *   the old permission would let the second access through)
 * If the fault does not kill the process, the program says so and exits 3.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void undefined_instruction(void)
{
#if defined(__i386__) || defined(__x86_64__)
    __asm__ volatile("ud2");
#elif defined(__aarch64__)
    __asm__ volatile(".inst 0x00000000"); /* udf #0 */
#elif defined(__arm__) && defined(__thumb__)
    __asm__ volatile(".inst.n 0xde00"); /* udf #0 (T1) */
#elif defined(__arm__)
    __asm__ volatile(".inst 0xe7f000f0"); /* udf #0 (A1) */
#else
#error "unsupported architecture"
#endif
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "segv";
    printf("fault: about to %s\n", mode);
    fflush(stdout);

    if (strcmp(mode, "segv") == 0) {
        volatile int *p = NULL;
        *p = 42;
    } else if (strcmp(mode, "ill") == 0) {
        undefined_instruction();
    } else if (strcmp(mode, "trap") == 0) {
        __builtin_trap();
    } else if (strcmp(mode, "fpe") == 0) {
        volatile int a = 42, b = 0;
        int q = a / b;
        printf("fault: 42 / 0 = %d (no SIGFPE on this architecture)\n", q);
        return 0;
    } else if (strcmp(mode, "bus") == 0) {
        if (argc < 3) {
            fprintf(stderr, "usage: %s bus DIR\n", argv[0]);
            return 2;
        }
        char path[4096];
        snprintf(path, sizeof path, "%s/fault_bus.dat", argv[2]);
        int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || write(fd, "x", 1) != 1) {
            perror("open/write");
            return 2;
        }
        volatile char *m = mmap(NULL, 4 * 65536, PROT_READ, MAP_SHARED, fd, 0);
        unlink(path);
        if (m == MAP_FAILED) {
            perror("mmap");
            return 2;
        }
        printf("fault: first byte %c\n", m[0]);
        fflush(stdout);
        (void)m[2 * 65536]; /* beyond EOF, whole pages past the last one */
    } else if (strcmp(mode, "ro-write") == 0 || strcmp(mode, "none-read") == 0) {
        int writing = mode[0] == 'r';
        volatile char *m = mmap(NULL, 4096, writing ? PROT_READ | PROT_WRITE : PROT_READ,
                                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) {
            perror("mmap");
            return 2;
        }
        /* A change that keeps the write permission as it is (here: none) must
           still reach a translation made before it. */
        if (!writing && mprotect((void *)m, 4096, PROT_READ) != 0) {
            perror("mprotect");
            return 2;
        }
        if (writing)
            m[8] = 1;
        printf("fault: first access gives %d\n", m[8]);
        fflush(stdout);
        if (mprotect((void *)m, 4096, writing ? PROT_READ : PROT_NONE) != 0) {
            perror("mprotect");
            return 2;
        }
        if (writing)
            m[8] = 2;
        else
            printf("fault: second read gives %d\n", m[8]);
    } else if (strcmp(mode, "nx-exec") == 0) {
#if defined(__i386__) || defined(__x86_64__)
        static const unsigned char ret[] = { 0xc3 };             /* ret */
#elif defined(__aarch64__)
        static const unsigned char ret[] = { 0xc0, 0x03, 0x5f, 0xd6 }; /* ret */
#else
        static const unsigned char ret[] = { 0x1e, 0xff, 0x2f, 0xe1 }; /* bx lr (ARM) */
#endif
        unsigned char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) {
            perror("mmap");
            return 2;
        }
        memcpy(m, ret, sizeof ret);
        ((void (*)(void))m)();
    } else {
        fprintf(stderr, "fault: unknown mode '%s'\n", mode);
        return 2;
    }
    printf("fault: still alive after %s\n", mode);
    return 3;
}
