/* A function returning `value`, written as machine code for the guest's arch
 * (for tests that generate code: threads.c's jit, selfmod.c). */
#ifndef JITCODE_H
#define JITCODE_H
#include <stdint.h>
#include <string.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

typedef int (*code_fn)(void);

static size_t emit_return(unsigned char *p, int value)
{
#if defined(__x86_64__) || defined(__i386__)
    p[0] = 0xb8; memcpy(p + 1, &value, 4); p[5] = 0xc3;          /* mov eax, imm; ret */
    return 6;
#elif defined(__aarch64__)
    uint32_t insn[2] = { 0x52800000u | ((uint32_t)value << 5), 0xd65f03c0u };  /* movz w0; ret */
    memcpy(p, insn, 8);
    return 8;
#elif defined(__arm__)
    uint32_t insn[2] = { 0xe3000000u | (((uint32_t)value & 0xf000) << 4) | ((uint32_t)value & 0xfff),
                         0xe12fff1eu };                            /* movw r0; bx lr */
    memcpy(p, insn, 8);
    return 8;
#endif
}

/* Make the code page `p` return `value` the W^X way: writable, write,
 * executable, then the instruction cache flushed. */
static inline void rewrite_code(unsigned char *p, int value)
{
    long page = sysconf(_SC_PAGESIZE);
    mprotect(p, page, PROT_READ | PROT_WRITE);
    size_t n = emit_return(p, value);
    mprotect(p, page, PROT_READ | PROT_EXEC);
#ifdef __arm__
    /* ARM's cacheflush syscall (what __builtin___clear_cache calls), checked */
    if (syscall(0xf0002, p, p + n, 0)) {
        perror("cacheflush");
        _exit(3);
    }
#else
    __builtin___clear_cache((char *)p, (char *)p + n);
#endif
}

/* A fresh page of code returning `value` (NULL if mmap fails). */
static inline unsigned char *new_code(int value)
{
    unsigned char *p = mmap(NULL, sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return NULL;
    rewrite_code(p, value);
    return p;
}

#endif
