/*
 * /proc as the guest sees it: /proc/self/maps describes the guest's own memory
 * (code, data, stack, heap, an mmap and an mprotect), /proc/self/auxv is the
 * auxiliary vector getauxval() reads, /proc/self/cmdline is argv,
 * /proc/self/exe is this program, /proc/self/stat has our pid.
 * "procfs cpuinfo": /proc/cpuinfo lists every online CPU with the features
 * AT_HWCAP announces, under the guest arch's names.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

static char text[1 << 16];

static size_t slurp(const char *path)
{
    int fd = open(path, O_RDONLY);
    size_t n = 0;
    ssize_t r;
    while (fd >= 0 && n < sizeof text - 1 && (r = read(fd, text + n, sizeof text - 1 - n)) > 0)
        n += r;
    if (fd >= 0)
        close(fd);
    text[n] = 0;
    return n;
}

/* The permissions and name of the maps line holding `addr` ("" if none). */
static int lookup(uintptr_t addr, char perms[5], char *name, size_t name_size)
{
    char *line = text;
    while (*line) {
        char *next = strchr(line, '\n');
        if (next)
            *next = 0;
        unsigned long long lo, hi;
        char p[5] = "", nm[512] = "";
        if (sscanf(line, "%llx-%llx %4s %*s %*s %*s %511[^\n]", &lo, &hi, p, nm) >= 3 &&
            lo <= addr && addr < hi) {
            strcpy(perms, p);
            snprintf(name, name_size, "%s", nm);
            if (next)
                *next = '\n';
            return 1;
        }
        if (!next)
            break;
        *next = '\n';
        line = next + 1;
    }
    strcpy(perms, "none");
    name[0] = 0;
    return 0;
}

static int initialized = 1;

static void where(const char *what, const void *p, const char *want_perms, const char *want_name)
{
    char perms[5], name[512];
    slurp("/proc/self/maps");
    int found = lookup((uintptr_t)p, perms, name, sizeof name);
    const char *base = strrchr(name, '/');
    int name_ok = !want_name || strcmp(want_name, base ? base + 1 : name) == 0;
    printf("maps: %-10s found=%d perms %s (want %s)%s\n", what, found, perms, want_perms,
           name_ok ? "" : " WRONG NAME");
}

static void maps(const char *prog)
{
    const char *base = strrchr(prog, '/');
    base = base ? base + 1 : prog;
    int on_stack = 0;
    where("code", (void *)maps, "r-xp", base);
    where("data", &initialized, "rw-p", base);
    where("stack", &on_stack, "rw-p", "[stack]");
    void *heap = malloc(64);
    where("heap", heap, "rw-p", NULL);
    char *m = mmap(NULL, 3 * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    where("mmap", m + 4096, "r--p", NULL);
    mprotect(m + 4096, 4096, PROT_NONE);
    where("mprotect", m + 4096, "---p", NULL);
    where("neighbour", m, "r--p", NULL);
    munmap(m + 8192, 4096);
    where("munmapped", m + 8192, "none", NULL);
    /* sorted, non-overlapping lines */
    slurp("/proc/self/maps");
    unsigned long long last = 0, lo, hi;
    int sorted = 1, lines = 0;
    for (char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (sscanf(line, "%llx-%llx", &lo, &hi) != 2 || lo < last || hi <= lo)
            sorted = 0;
        last = hi;
        lines++;
    }
    printf("maps: sorted and disjoint=%d\n", sorted && lines > 3);
}

static void auxv(void)
{
    size_t n = slurp("/proc/self/auxv");
    unsigned long *v = (unsigned long *)text;
    size_t pairs = n / (2 * sizeof(unsigned long));
    int all = 1, terminated = 0, have_pagesz = 0, have_random = 0;
    for (size_t i = 0; i < pairs; i++) {
        unsigned long tag = v[2 * i], val = v[2 * i + 1];
        if (tag == AT_NULL) {
            terminated = 1;
            break;
        }
        if (tag == AT_PAGESZ)
            have_pagesz = val == 4096;
        if (tag == AT_RANDOM)
            have_random = 1;
        if (getauxval(tag) != val && tag != AT_HWCAP)   /* (see cpuinfo()) */
            all = 0;
    }
    printf("auxv: entries match getauxval=%d AT_NULL=%d AT_PAGESZ=4096:%d AT_RANDOM=%d\n", all,
           terminated, have_pagesz, have_random);
}

static void cmdline(int argc, char **argv)
{
    size_t n = slurp("/proc/self/cmdline");
    size_t pos = 0;
    int same = 1;
    for (int i = 0; i < argc; i++) {
        if (pos >= n || strcmp(text + pos, argv[i]) != 0)
            same = 0;
        pos += strlen(argv[i]) + 1;
    }
    printf("cmdline: matches argv=%d length ok=%d\n", same, pos == n);
    char exe[4096], real[4096];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[len > 0 ? len : 0] = 0;
    printf("exe: is this program=%d\n", realpath(argv[0], real) && strcmp(real, exe) == 0);
    slurp("/proc/self/stat");
    printf("stat: pid=%d\n", atoi(text) == getpid());
}

struct feature {
    int bit;
    const char *name;
};

static int cpuinfo(void)
{
    /* A few AT_HWCAP bits and the names the guest kernel gives them. */
#if defined(__arm__)
    static const struct feature f[] = {{1, "half"}, {12, "neon"}, {16, "vfpv4"}, {17, "idiva"}, {22, "crc32-never"}, {0}};
    const char *key = "Features";
#elif defined(__aarch64__)
    static const struct feature f[] = {{0, "fp"}, {1, "asimd"}, {3, "aes"}, {7, "crc32"}, {8, "atomics"}, {0}};
    const char *key = "Features";
#else
    static const struct feature f[] = {{0, "fpu"}, {15, "cmov"}, {23, "mmx"}, {25, "sse"}, {26, "sse2"}, {0}};
    const char *key = "flags";
#endif
    /* AT_HWCAP as the kernel gave it (x86 glibc's getauxval answers its own value) */
    unsigned long hwcap = 0;
    size_t n = slurp("/proc/self/auxv");
    unsigned long *v = (unsigned long *)text;
    for (size_t i = 0; i + 1 < n / sizeof *v; i += 2)
        if (v[i] == AT_HWCAP)
            hwcap = v[i + 1];
    slurp("/proc/cpuinfo");
    int processors = 0, consistent = 1, blocks_with_features = 0;
    for (char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (!strncmp(line, "processor", 9))
            processors++;
        if (strncmp(line, key, strlen(key)) != 0)
            continue;
        blocks_with_features++;
        char *end = strchr(line, '\n'), *colon = strchr(line, ':');
        for (int i = 0; f[i].name; i++) {
            int has = 0;
            for (char *w = colon + 1; w && w < end; w = strchr(w + 1, ' ')) {
                size_t l = strlen(f[i].name);
                if (!strncmp(w + 1, f[i].name, l) && (w[1 + l] == ' ' || w[1 + l] == '\n'))
                    has = 1;
            }
            if (has != (f[i].bit < 64 && (hwcap >> f[i].bit & 1) && strcmp(f[i].name, "crc32-never")))
                consistent = 0;
        }
    }
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    printf("cpuinfo: one block per online cpu=%d features consistent with AT_HWCAP=%d\n",
           processors == online && blocks_with_features == online, consistent);
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1 && !strcmp(argv[1], "cpuinfo"))
        return cpuinfo();
    maps(argv[0]);
    auxv();
    cmdline(argc, argv);
    return 0;
}
