/*
 * A dynamically linked program (built PIE and not) as the guest's dynamic
 * loader starts it: AT_BASE is where the loader was mapped, AT_ENTRY and
 * AT_PHDR are in the program, /proc/self/exe is the program and
 * /proc/self/maps names it and its libraries.  Then `dynamic PLUGIN` loads the
 * shared library PLUGIN (plugin.c) with dlopen(), calls it from two threads
 * (its thread-local counter is per thread), and unloads it.
 *
 * Everything printed is independent of where things were mapped, so that the
 * output can be compared with qemu-user's.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

static char maps[1 << 17];

static void read_maps(void)
{
    int fd = open("/proc/self/maps", O_RDONLY);
    size_t n = 0;
    ssize_t r;
    while (fd >= 0 && n < sizeof maps - 1 && (r = read(fd, maps + n, sizeof maps - 1 - n)) > 0)
        n += r;
    if (fd >= 0)
        close(fd);
    maps[n] = 0;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

struct mapping {
    uintptr_t start, end;
    unsigned long long offset;
    char perms[5];
    char name[512];
};

/* The mapping holding `addr` (exact=1: the one starting there); 0 if none. */
static int find(uintptr_t addr, int exact, struct mapping *m)
{
    for (char *line = maps; *line;) {
        unsigned long long lo, hi;
        m->name[0] = 0;
        if (sscanf(line, "%llx-%llx %4s %llx %*s %*s %511[^\n]", &lo, &hi, m->perms, &m->offset,
                   m->name) >= 4 && (exact ? lo == addr : lo <= addr && addr < hi)) {
            m->start = lo;
            m->end = hi;
            return 1;
        }
        char *next = strchr(line, '\n');
        if (!next)
            break;
        line = next + 1;
    }
    return 0;
}

/* The shared objects /proc/self/maps names, sorted, each once. */
static void list_libraries(const char *when)
{
    char names[64][128];
    int count = 0;
    read_maps();
    for (char *line = maps; *line;) {
        char *next = strchr(line, '\n');
        char name[512] = "";
        if (sscanf(line, "%*s %*s %*s %*s %*s %511[^\n]", name) == 1 && strstr(name, ".so")) {
            const char *b = base_name(name);
            int seen = 0;
            for (int i = 0; i < count; i++)
                seen |= !strcmp(names[i], b);
            if (!seen && count < 64)
                snprintf(names[count++], sizeof names[0], "%s", b);
        }
        if (!next)
            break;
        line = next + 1;
    }
    qsort(names, count, sizeof names[0], (int (*)(const void *, const void *))strcmp);
    printf("libraries %s:", when);
    for (int i = 0; i < count; i++)
        printf(" %s", names[i]);
    printf("\n");
}

static void startup(const char *argv0)
{
    struct mapping m;
    char exe[4096], real[4096];
    read_maps();

    uintptr_t base = getauxval(AT_BASE);
    int found = base && find(base, 1, &m);
    printf("AT_BASE: start of a mapping=%d offset 0=%d of %s\n", found, found && m.offset == 0,
           found ? base_name(m.name) : "?");
    const ElfW(Ehdr) *ld = (const ElfW(Ehdr) *)base;
    printf("AT_BASE: an ELF shared object=%d\n",
           found && !memcmp(ld->e_ident, ELFMAG, SELFMAG) && ld->e_type == ET_DYN);

    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[len > 0 ? len : 0] = 0;
    printf("/proc/self/exe: is argv[0]=%d\n", realpath(argv0, real) && !strcmp(real, exe));

    uintptr_t entry = getauxval(AT_ENTRY), phdr = getauxval(AT_PHDR);
    found = find(entry, 0, &m);
    printf("AT_ENTRY: in %s perms %s\n", found ? base_name(m.name) : "?", found ? m.perms : "?");
    printf("AT_ENTRY: in the program=%d\n", found && !strcmp(m.name, exe));
    found = find(phdr, 0, &m);
    printf("AT_PHDR: in the program=%d\n", found && !strcmp(m.name, exe));

    /* The program's ELF header is at the start of its first mapping. */
    const ElfW(Ehdr) *eh = NULL;
    for (char *line = maps; *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : "") {
        unsigned long long lo, off;
        char name[512] = "";
        if (sscanf(line, "%llx-%*llx %*s %llx %*s %*s %511[^\n]", &lo, &off, name) == 3 &&
            !strcmp(name, exe) && off == 0) {
            eh = (const ElfW(Ehdr) *)(uintptr_t)lo;
            break;
        }
    }
    int pie = eh && eh->e_type == ET_DYN;
    uintptr_t bias = pie ? (uintptr_t)eh : 0;
    printf("program: PIE=%d (built as PIE=%d) entry consistent=%d\n", pie,
#ifdef __PIE__
           1,
#else
           0,
#endif
           eh && eh->e_entry + bias == entry);
    list_libraries("at start");
}

typedef int measure_fn(const char *, double *);

static void *in_thread(void *fn)
{
    double h;
    int r = ((measure_fn *)fn)("thread", &h);
    printf("thread: plugin_measure=%d hypot=%.3f\n", r, h);
    return NULL;
}

static int plugin(const char *path)
{
    void *h = dlopen(path, RTLD_NOW);
    if (!h) {
        printf("dlopen failed: %s\n", dlerror());
        return 1;
    }
    measure_fn *measure = (measure_fn *)dlsym(h, "plugin_measure");
    const char *name = (const char *)dlsym(h, "plugin_name");
    printf("dlsym: plugin_measure=%d plugin_name=%s\n", measure != NULL, name ? name : "(null)");
    if (!measure)
        return 1;
    double hyp;
    int a = measure("linuxuser", &hyp);
    int b = measure("four", &hyp);
    printf("main: plugin_measure=%d then %d hypot=%.3f\n", a, b, hyp);
    pthread_t t;
    pthread_create(&t, NULL, in_thread, (void *)measure);
    pthread_join(t, NULL);
    Dl_info info;
    printf("dladdr: in %s\n", dladdr((void *)measure, &info) ? base_name(info.dli_fname) : "?");
    struct mapping m;
    read_maps();
    int found = find((uintptr_t)measure, 0, &m);
    printf("maps: plugin code in %s perms %s\n", found ? base_name(m.name) : "?", found ? m.perms : "?");
    list_libraries("after dlopen");
    fflush(stdout);
    dlclose(h);
    list_libraries("after dlclose");
    void *none = dlopen("libno-such-plugin.so", RTLD_NOW);
    printf("dlopen of a missing library: %s\n", none ? "loaded?" : dlerror());
    return 0;
}

int main(int argc, char **argv)
{
    startup(argv[0]);
    return argc > 1 ? plugin(argv[1]) : 0;
}
