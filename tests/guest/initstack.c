/* The initial stack as the program finds it: argc, argv, the whole environment
 * in order, every auxv entry, and the layout of the strings and tables (as
 * distances and yes/no, so that runs with different addresses compare).
 *
 * Lines "auxv NAME VALUE" give raw values; pointer entries also get their
 * content ("AT_EXECFN -> ...") and "layout ..." lines say where things are.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#ifndef AT_MINSIGSTKSZ
#define AT_MINSIGSTKSZ 51
#endif

static const char *tag_name(unsigned long tag)
{
    static const struct { unsigned long tag; const char *name; } names[] = {
        {AT_PHDR, "AT_PHDR"}, {AT_PHENT, "AT_PHENT"}, {AT_PHNUM, "AT_PHNUM"},
        {AT_PAGESZ, "AT_PAGESZ"}, {AT_BASE, "AT_BASE"}, {AT_FLAGS, "AT_FLAGS"},
        {AT_ENTRY, "AT_ENTRY"}, {AT_UID, "AT_UID"}, {AT_EUID, "AT_EUID"},
        {AT_GID, "AT_GID"}, {AT_EGID, "AT_EGID"}, {AT_PLATFORM, "AT_PLATFORM"},
        {AT_HWCAP, "AT_HWCAP"}, {AT_CLKTCK, "AT_CLKTCK"}, {AT_SECURE, "AT_SECURE"},
        {AT_BASE_PLATFORM, "AT_BASE_PLATFORM"}, {AT_RANDOM, "AT_RANDOM"},
        {AT_HWCAP2, "AT_HWCAP2"}, {AT_EXECFN, "AT_EXECFN"}, {AT_SYSINFO, "AT_SYSINFO"},
        {AT_SYSINFO_EHDR, "AT_SYSINFO_EHDR"}, {AT_MINSIGSTKSZ, "AT_MINSIGSTKSZ"},
        {27, "AT_RSEQ_FEATURE_SIZE"}, {28, "AT_RSEQ_ALIGN"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].tag == tag) return names[i].name;
    return NULL;
}

/* The [stack] mapping, from /proc/self/maps. */
static void stack_bounds(uintptr_t *lo, uintptr_t *hi)
{
    char line[512];
    FILE *f = fopen("/proc/self/maps", "r");
    *lo = *hi = 0;
    while (f && fgets(line, sizeof line, f))
        if (strstr(line, "[stack]")) {
            unsigned long a, b;
            sscanf(line, "%lx-%lx", &a, &b);
            *lo = a, *hi = b;
        }
    if (f) fclose(f);
}

/* The program's own lines of /proc/self/maps: permissions and file offset
   (addresses differ between runs and emulators; what maps which part of the
   file does not). */
static void program_mappings(const char *exe)
{
    char line[1024], real[512];
    if (!realpath(exe, real)) return;
    FILE *f = fopen("/proc/self/maps", "r");
    int i = 0;
    while (f && fgets(line, sizeof line, f)) {
        char perms[8], path[512] = "";
        unsigned long a, b, offset;
        if (sscanf(line, "%lx-%lx %7s %lx %*s %*s %511s", &a, &b, perms, &offset, path) >= 4 &&
            !strcmp(path, real))
            printf("mapping %d of the program: %s offset %#lx\n", i++, perms, offset);
    }
    if (f) fclose(f);
}

/* The gap between [stack] and the highest mapping below it, with a fresh mmap. */
static unsigned long gap_below_stack(void)
{
    void *fresh = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char line[1024];
    unsigned long a, b, below = 0, stack = 0;
    FILE *f = fopen("/proc/self/maps", "r");
    while (f && fgets(line, sizeof line, f)) {
        if (sscanf(line, "%lx-%lx", &a, &b) != 2) continue;
        if (strstr(line, "[stack]")) stack = a;
        else if (!stack || b <= stack) below = b > below && (!stack || b <= stack) ? b : below;
    }
    if (f) fclose(f);
    munmap(fresh, 4096);
    return stack - below;
}

static const char *yes(int cond) { return cond ? "yes" : "no"; }

extern char _start[];
extern const ElfW(Ehdr) __ehdr_start;

int main(int argc, char **argv, char **envp)
{
    /* argc is the word below argv (ARM's _start has overwritten it by now). */
    unsigned long *table = (unsigned long *)argv - 1;
    printf("argc %d\n", argc);
    for (int i = 0; i < argc; i++) printf("argv[%d] %s\n", i, argv[i]);
    int envc = 0;
    while (envp[envc]) {
        printf("env[%d] %s\n", envc, envp[envc]);
        envc++;
    }
    ElfW(auxv_t) *auxv = (ElfW(auxv_t) *)(envp + envc + 1);
    int n = 0;
    for (; auxv[n].a_type != AT_NULL; n++) {
        const char *name = tag_name(auxv[n].a_type);
        if (name) printf("auxv %s %#lx\n", name, (unsigned long)auxv[n].a_un.a_val);
        else printf("auxv %lu %#lx\n", (unsigned long)auxv[n].a_type,
                    (unsigned long)auxv[n].a_un.a_val);
    }
    uintptr_t auxv_end = (uintptr_t)(auxv + n + 1);

    const char *execfn = (const char *)getauxval(AT_EXECFN);
    const char *platform = (const char *)getauxval(AT_PLATFORM);
    const unsigned char *random = (const unsigned char *)getauxval(AT_RANDOM);
    printf("AT_EXECFN -> %s\n", execfn);
    printf("AT_PLATFORM -> %s\n", platform);
    printf("AT_RANDOM -> ");
    for (int i = 0; i < 16; i++) printf("%02x", random[i]);
    printf("\n");

    program_mappings(execfn);
    printf("layout the mapping below [stack] ends 1 MiB or more below it: %s\n",
           yes(gap_below_stack() >= (1UL << 20)));
    uintptr_t lo, hi;
    stack_bounds(&lo, &hi);
    printf("layout argc 16-byte aligned: %s\n", yes((uintptr_t)table % 16 == 0));
    printf("layout table in [stack]: %s\n", yes((uintptr_t)table >= lo && auxv_end <= hi));
    int contiguous = 1;
    for (int i = 0; i + 1 < argc; i++)
        contiguous &= argv[i + 1] == argv[i] + strlen(argv[i]) + 1;
    printf("layout argv strings contiguous: %s\n", yes(contiguous));
    const char *after_argv = argv[argc - 1] + strlen(argv[argc - 1]) + 1;
    contiguous = envc == 0 || envp[0] == after_argv;
    for (int i = 0; i + 1 < envc; i++)
        contiguous &= envp[i + 1] == envp[i] + strlen(envp[i]) + 1;
    printf("layout envp strings follow argv strings: %s\n", yes(contiguous));
    const char *after_env = envc ? envp[envc - 1] + strlen(envp[envc - 1]) + 1 : after_argv;
    printf("layout AT_EXECFN follows envp strings: %s\n", yes(execfn == after_env));
    printf("layout AT_EXECFN ends %ld bytes below the stack's end\n",
           (long)(hi - (uintptr_t)(execfn + strlen(execfn) + 1)));
    /* Linux moves the stack down by a random amount (arch_align_stack) here. */
    long gap = argv[0] - (platform + strlen(platform) + 1);
    printf("layout AT_PLATFORM below argv[0], less than 8 KiB: %s\n", yes(gap >= 0 && gap < 8192 + 16));
    printf("layout AT_RANDOM ends %ld bytes below AT_PLATFORM\n",
           (long)(platform - (const char *)(random + 16)));
    printf("layout auxv ends within 16 bytes below AT_RANDOM: %s\n",
           yes(auxv_end <= (uintptr_t)random && (uintptr_t)random - auxv_end < 16));
    printf("layout AT_ENTRY is _start: %s\n", yes(getauxval(AT_ENTRY) == (uintptr_t)_start));
    printf("layout AT_PHDR is the program headers: %s\n",
           yes(getauxval(AT_PHDR) == (uintptr_t)&__ehdr_start + __ehdr_start.e_phoff));
#if defined(__x86_64__) || defined(__i386__)
    unsigned a, b, c, d;
    __cpuid(1, a, b, c, d);
    printf("cpuid(1).edx %#x\n", d);
#endif
    return 0;
}
