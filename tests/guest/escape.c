/*
 * A guest that tries to leave its box: it reads and writes its memory through
 * /proc/self/mem, looks for addresses outside its own mappings in every /proc
 * file that shows addresses (however the path is spelled), and takes over
 * descriptors it did not open.  Each line says what the guest got; a native
 * run prints the same lines (addresses themselves are never printed).
 *
 *   escape mem        /proc/self/mem over the guest's own memory
 *   escape spellings  /proc/self/maps reached by many spellings reads the same
 *   escape addresses  /proc files with addresses: every one is inside a mapping
 *   escape exe        readlink("/proc/self/exe") under several spellings
 *   escape privileged what each instruction only a kernel may run does here
 *                     (each in a child process: the signal that ended it)
 *   escape top        the highest page the guest may map, and an access
 *                     straddling the end of the highest mapping
 *   escape fds        descriptors the guest did not open: none usable; every
 *                     number below RLIMIT_NOFILE can be dup2'd onto and closed
 *   escape child      a forked child's /proc/PID/{maps,smaps,mem,exe}: refused, or
 *                     the child's guest view (never its emulator's host memory)
 */
#define _GNU_SOURCE
#define _FILE_OFFSET_BITS 64
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static char maps_text[1 << 17];
static uintptr_t starts[4096], ends[4096];
static int nranges;

static ssize_t slurp_fd(int fd, char *out, size_t size)
{
    size_t n = 0;
    ssize_t r;
    while (n < size - 1 && (r = read(fd, out + n, size - 1 - n)) > 0)
        n += r;
    out[n] = 0;
    return r < 0 ? -1 : (ssize_t)n;
}

/* The content of PATH (relative to DIRFD), or NULL with errno. */
static const char *slurp_at(int dirfd, const char *path, char *out, size_t size)
{
    int fd = openat(dirfd, path, O_RDONLY);
    if (fd < 0)
        return NULL;
    ssize_t n = slurp_fd(fd, out, size);
    int saved = errno;
    close(fd);
    errno = saved;
    return n < 0 ? NULL : out;
}

static void load_maps(void)
{
    if (!slurp_at(AT_FDCWD, "/proc/self/maps", maps_text, sizeof maps_text)) {
        printf("maps: cannot read: %s\n", strerror(errno));
        exit(1);
    }
    nranges = 0;
    for (char *p = maps_text; *p && nranges < 4096; ) {
        char *end;
        starts[nranges] = strtoull(p, &end, 16);
        ends[nranges++] = strtoull(end + 1, &end, 16);
        p = strchr(p, '\n');
        if (!p)
            break;
        p++;
    }
}

static int mapped(uintptr_t a)
{
    for (int i = 0; i < nranges; i++)
        if (a >= starts[i] && a < ends[i])
            return 1;
    return 0;
}

/* ---------------------------------------------------------------- mem */

static const char rodata_word[16] = "read-only data";
static char data_word[16] = "writable data";

static void mem(void)
{
    int fd = open("/proc/self/mem", O_RDWR);
    printf("open /proc/self/mem: %s\n", fd >= 0 ? "ok" : strerror(errno));
    if (fd < 0)
        return;
    char got[16] = {0};
    ssize_t n = pread(fd, got, sizeof got, (uintptr_t)rodata_word);
    printf("pread rodata: %zd same=%d\n", n, memcmp(got, rodata_word, sizeof got) == 0);
    n = pwrite(fd, "changed", 8, (uintptr_t)data_word);
    printf("pwrite data: %zd now \"%s\"\n", n, data_word);
    /* Linux writes through /proc/self/mem into read-only pages (FOLL_FORCE). */
    n = pwrite(fd, "RO", 2, (uintptr_t)rodata_word);
    printf("pwrite rodata: %zd now \"%.14s\"\n", n, rodata_word);
    lseek(fd, (off_t)(uintptr_t)data_word, SEEK_SET);
    n = read(fd, got, 8);
    printf("read at lseek: %zd \"%s\" position advanced=%d\n", n, got,
           lseek(fd, 0, SEEK_CUR) == (off_t)(uintptr_t)data_word + 8);
    errno = 0;
    n = pread(fd, got, sizeof got, 0);
    printf("pread at 0: %zd %s\n", n, n < 0 ? strerror(errno) : "");
    /* a mapping followed by a hole: the bytes up to the hole */
    char *p = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(p + 2 * 4096, 4096);
    memset(p, 'x', 2 * 4096);
    static char big[3 * 4096];
    n = pread(fd, big, sizeof big, (uintptr_t)p);
    printf("pread across a hole: %zd\n", n);
    /* PROT_NONE pages are read as Linux reads them for /proc/self/mem */
    mprotect(p, 4096, PROT_NONE);
    n = pread(fd, got, 4, (uintptr_t)p);
    printf("pread PROT_NONE page: %zd \"%.4s\"\n", n, n > 0 ? got : "");
    /* the very top of the address space */
    errno = 0;
    n = pread(fd, got, 8, (off_t)(UINTPTR_MAX & ~(uintptr_t)0xfff) + 0xff8);
    printf("pread at the top: %zd %s\n", n, n < 0 ? strerror(errno) : "");
    close(fd);
}

/* ---------------------------------------------------------------- spellings */

static void spellings(void)
{
    char pid_path[64], tid_path[96], self_dir_path[64];
    static char text[1 << 17];
    load_maps();
    snprintf(pid_path, sizeof pid_path, "/proc/%d/maps", getpid());
    snprintf(tid_path, sizeof tid_path, "/proc/%d/task/%ld/maps", getpid(), (long)syscall(SYS_gettid));
    snprintf(self_dir_path, sizeof self_dir_path, "/proc/%d", getpid());
    symlink("/proc/self", "self-link");
    symlink("/proc/self/maps", "maps-link");
    const char *paths[] = {
        "//proc/self/maps", "/proc//self/maps", "/proc/self/./maps", "/proc/self/fd/../maps",
        "/dev/fd/../maps", "/proc/thread-self/maps", "/proc/self/task/../maps",
        pid_path, tid_path, "self-link/maps", "maps-link", "/proc/../proc/self/maps",
    };
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        /* the map has not changed between the two reads: same content */
        const char *t = slurp_at(AT_FDCWD, paths[i], text, sizeof text);
        printf("maps spelling %zu: %s\n", i, t == NULL ? strerror(errno)
               : strcmp(t, maps_text) == 0 ? "same" : "DIFFERENT");
    }
    int dirs[] = {open("/proc/self", O_RDONLY | O_DIRECTORY),
                  open(self_dir_path, O_PATH | O_DIRECTORY),
                  open("/proc/self/task/..", O_RDONLY | O_DIRECTORY)};
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
        const char *t = slurp_at(dirs[i], "maps", text, sizeof text);
        printf("openat(dir %zu, maps): %s\n", i, t == NULL ? strerror(errno)
               : strcmp(t, maps_text) == 0 ? "same" : "DIFFERENT");
    }
    char cwd[4096];
    getcwd(cwd, sizeof cwd);
    chdir("/proc/self");
    const char *t = slurp_at(AT_FDCWD, "maps", text, sizeof text);
    printf("chdir /proc/self, maps: %s\n", t == NULL ? strerror(errno)
           : strcmp(t, maps_text) == 0 ? "same" : "DIFFERENT");
    t = slurp_at(AT_FDCWD, "./task/../maps", text, sizeof text);
    printf("chdir /proc/self, ./task/../maps: %s\n", t == NULL ? strerror(errno)
           : strcmp(t, maps_text) == 0 ? "same" : "DIFFERENT");
    chdir(cwd);
    unlink("self-link");
    unlink("maps-link");
}

/* ---------------------------------------------------------------- addresses */

/* Every "a-b" range or bare hex/decimal address in TEXT that looks like one
 * (>= 0x10000) must lie in the guest's maps; returns the number that do not. */
static int foreign_ranges(const char *text)
{
    int bad = 0;
    for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        char *end;
        uintptr_t a = strtoull(line, &end, 16);
        if (end != line && *end == '-') {
            uintptr_t b = strtoull(end + 1, &end, 16);
            if (!mapped(a) || !mapped(b - 1))
                bad++;
        }
    }
    return bad;
}

static int foreign_stat_fields(const char *text)
{
    /* startcode endcode startstack kstkesp kstkeip ... start_data..env_end */
    static const int fields[] = {26, 27, 28, 45, 46, 47, 48, 49, 50, 51};
    const char *p = strrchr(text, ')');
    int bad = 0, field = 2;
    long long v[64] = {0};
    while (p && *p && field < 63) {
        p = strchr(p, ' ');
        if (!p)
            break;
        v[++field] = strtoll(++p, NULL, 10);
    }
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        if (v[fields[i]] && !mapped((uintptr_t)v[fields[i]]))
            bad++;
    return bad;
}

static void addresses(void)
{
    static char text[1 << 18];
    load_maps();
    static const char *ranged[] = {"/proc/self/smaps", "/proc/self/smaps_rollup",
                                   "/proc/self/numa_maps", "/dev/fd/../smaps",
                                   "/proc/thread-self/smaps"};
    for (size_t i = 0; i < sizeof ranged / sizeof *ranged; i++) {
        const char *t = slurp_at(AT_FDCWD, ranged[i], text, sizeof text);
        /* refusing the file is fine; showing an address outside the maps is not */
        printf("%s: %s\n", ranged[i], t == NULL || foreign_ranges(t) == 0 ? "ok" : "HOST ADDRESSES");
    }
    const char *t = slurp_at(AT_FDCWD, "/proc/self/stat", text, sizeof text);
    printf("/proc/self/stat: %s\n", t == NULL || foreign_stat_fields(t) == 0 ? "ok" : "HOST ADDRESSES");
    t = slurp_at(AT_FDCWD, "/proc/self/syscall", text, sizeof text);
    int bad = 0;
    if (t) {   /* "nr arg1 .. arg6 sp pc": sp and pc are the process's */
        unsigned long long w[9] = {0};
        sscanf(t, "%llu %llx %llx %llx %llx %llx %llx %llx %llx", &w[0], &w[1], &w[2], &w[3],
               &w[4], &w[5], &w[6], &w[7], &w[8]);
        bad = !mapped((uintptr_t)w[7]) || !mapped((uintptr_t)w[8]);
    }
    printf("/proc/self/syscall: %s\n", bad ? "HOST ADDRESSES" : "ok");
    /* map_files: one link per mapping, named by its range */
    int dir = open("/proc/self/map_files", O_RDONLY | O_DIRECTORY);
    bad = 0;
    if (dir >= 0) {
        static char names[1 << 16];
        long n = syscall(SYS_getdents64, dir, names, sizeof names);
        for (long off = 0; off < n; ) {
            unsigned short reclen = *(unsigned short *)(names + off + 16);
            const char *name = names + off + 19;
            if (name[0] != '.') {
                char line[128];
                snprintf(line, sizeof line, "%s\n", name);
                bad += foreign_ranges(line);
            }
            off += reclen;
        }
        close(dir);
    }
    printf("/proc/self/map_files: %s\n", bad ? "HOST ADDRESSES" : "ok");
}

/* ---------------------------------------------------------------- exe */

static void exe(const char *argv0)
{
    char real[4096], got[4096];
    if (!realpath(argv0, real))
        strcpy(real, "?");
    char pid_exe[64];
    snprintf(pid_exe, sizeof pid_exe, "/proc/%d/exe", getpid());
    const char *paths[] = {"/proc/self/exe", "//proc/self/exe", "/proc/thread-self/exe",
                           pid_exe, "/dev/fd/../exe", "/proc/self/task/../exe"};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        ssize_t n = readlink(paths[i], got, sizeof got - 1);
        got[n > 0 ? n : 0] = 0;
        printf("readlink exe spelling %zu: %s\n", i,
               n < 0 ? strerror(errno) : strcmp(got, real) == 0 ? "the program" : "SOMETHING ELSE");
    }
    int dir = open("/proc/self", O_RDONLY | O_DIRECTORY);
    ssize_t n = readlinkat(dir, "exe", got, sizeof got - 1);
    got[n > 0 ? n : 0] = 0;
    printf("readlinkat(/proc/self, exe): %s\n",
           n < 0 ? strerror(errno) : strcmp(got, real) == 0 ? "the program" : "SOMETHING ELSE");
    /* opening it opens the program */
    int fd = open("/proc/self/exe", O_RDONLY);
    struct stat a, b;
    printf("open /proc/self/exe: %s\n", fd >= 0 && fstat(fd, &a) == 0 && stat(real, &b) == 0 &&
           a.st_ino == b.st_ino && a.st_dev == b.st_dev ? "the program" : "SOMETHING ELSE");
}

/* ---------------------------------------------------------------- privileged */

static void priv_cli(void) {
#if defined(__i386__) || defined(__x86_64__)
    __asm__ volatile("cli");
#endif
}
static void priv_hlt(void) {
#if defined(__i386__) || defined(__x86_64__)
    __asm__ volatile("hlt");
#endif
}
static void priv_in(void) {
#if defined(__i386__) || defined(__x86_64__)
    unsigned char v;
    __asm__ volatile("inb %%dx, %%al" : "=a"(v) : "d"(0x80));
#endif
}
static void priv_out(void) {
#if defined(__i386__) || defined(__x86_64__)
    __asm__ volatile("outb %%al, %%dx" : : "a"(0), "d"(0x80));
#endif
}
static void priv_lgdt(void) {
#if defined(__i386__) || defined(__x86_64__)
    static unsigned char gdtr[10];
    __asm__ volatile("lgdt %0" : : "m"(gdtr));
#endif
}
static void priv_read_cr0(void) {
#if defined(__i386__) || defined(__x86_64__)
    unsigned long v;
    __asm__ volatile("mov %%cr0, %0" : "=r"(v));
#endif
}
static void priv_write_cr0(void) {
#if defined(__i386__) || defined(__x86_64__)
    __asm__ volatile("mov %0, %%cr0" : : "r"(0UL));
#endif
}
static void priv_rdmsr(void) {
#if defined(__i386__) || defined(__x86_64__)
    unsigned lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0x10));
#endif
}
static void priv_wbinvd(void) {
#if defined(__i386__) || defined(__x86_64__)
    __asm__ volatile("wbinvd");
#endif
}
static void priv_system_register(void) {
#if defined(__aarch64__)
    unsigned long v;
    __asm__ volatile("mrs %0, sctlr_el1" : "=r"(v));
#elif defined(__arm__)
    unsigned v;
    __asm__ volatile("mrc p15, 0, %0, c1, c0, 0" : "=r"(v));
#endif
}
static void priv_mask_interrupts(void) {
#if defined(__aarch64__)
    __asm__ volatile("msr daifset, #2");
#elif defined(__arm__)
    __asm__ volatile("mcr p15, 0, %0, c7, c5, 0" : : "r"(0));   /* ICIALLU */
#endif
}
static void write_gdt_page(void) {
#if defined(__i386__)
    *(volatile unsigned *)0xfffff020 = 0;          /* linuxuser's GDT: above TASK_SIZE */
#endif
}

static void privileged(void)
{
    static const struct { const char *name; void (*run)(void); } insns[] = {
        {"cli", priv_cli}, {"hlt", priv_hlt}, {"in", priv_in}, {"out", priv_out},
        {"lgdt", priv_lgdt}, {"mov from cr0", priv_read_cr0}, {"mov to cr0", priv_write_cr0},
        {"rdmsr", priv_rdmsr}, {"wbinvd", priv_wbinvd},
        {"system register read", priv_system_register},
        {"interrupt mask / cache maintenance", priv_mask_interrupts},
        {"store at 0xfffff020", write_gdt_page},
    };
    for (size_t i = 0; i < sizeof insns / sizeof *insns; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            insns[i].run();
            _exit(0);
        }
        int status;
        waitpid(pid, &status, 0);
        if (WIFSIGNALED(status))
            printf("%s: killed by %s\n", insns[i].name, strsignal(WTERMSIG(status)));
        else
            printf("%s: exit %d\n", insns[i].name, WEXITSTATUS(status));
    }
}

/* ---------------------------------------------------------------- top */

/* A page mapped exactly at `page` (MAP_FIXED_NOREPLACE; an old kernel's hint
 * elsewhere counts as a refusal), or NULL with errno. */
static void *map_exactly(uintptr_t page)
{
    void *p = mmap((void *)page, 4096, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    if ((uintptr_t)p != page) {
        munmap(p, 4096);
        errno = EEXIST;
        return NULL;
    }
    return p;
}

/* The highest page the guest may map whose next page is no one's (not in the
 * maps): 32-bit, page by page down from the last one; 64-bit, the two pages below
 * each power of two from 2^56 down. */
static uintptr_t highest_page(void)
{
    for (int k = sizeof(void *) == 8 ? 56 : 32; k >= (sizeof(void *) == 8 ? 40 : 32); k--) {
        uintptr_t end = k == 8 * (int)sizeof(void *) ? 0 : (uintptr_t)1 << (k % (8 * sizeof(void *)));
        int pages = sizeof(void *) == 8 ? 2 : 1024;
        for (int i = 1; i <= pages; i++) {
            uintptr_t page = end - (uintptr_t)i * 4096;
            void *p = map_exactly(page);
            if (!p)
                continue;
            load_maps();
            munmap(p, 4096);
            if (page + 4096 != 0 && !mapped(page + 4096))
                return page;
            break;
        }
        if (sizeof(void *) == 4)
            break;
    }
    return 0;
}

static void top(void)
{
    uintptr_t last = UINTPTR_MAX & ~(uintptr_t)0xfff;
    void *p = map_exactly(last);
    printf("mmap of the word's last page: %s\n", p ? "mapped" : "refused");
    if (p)
        munmap(p, 4096);
    uintptr_t page = highest_page();
    p = page ? map_exactly(page) : NULL;
    printf("highest page mapped: %s\n", p ? "yes" : "no");
    if (!p)
        return;
    /* an 8-byte load and store straddling its end: the next page is not the guest's */
    static const char *what[] = {"load", "store"};
    for (int w = 0; w < 2; w++) {
        pid_t pid = fork();
        if (pid == 0) {
            volatile char *edge4 = (char *)p + 4092;
            uint64_t v = 0x1122334455667788ull;
            if (w == 0)
                memcpy(&v, (const void *)edge4, 8);
            else
                memcpy((void *)edge4, &v, 8);
            __asm__ volatile("" : : "r"(v) : "memory");
            _exit(0);
        }
        int status;
        waitpid(pid, &status, 0);
        printf("8-byte %s across the end: %s\n", what[w], WIFSIGNALED(status)
               ? strsignal(WTERMSIG(status)) : "no fault");
    }
}

/* ---------------------------------------------------------------- fds */

static void fds(void)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    int limit = rl.rlim_cur > 65536 ? 65536 : (int)rl.rlim_cur;
    int usable = 0, written = 0, dup_failed = 0;
    for (int fd = 3; fd < limit; fd++) {
        if (fcntl(fd, F_GETFD) != -1)
            usable++;
        if (write(fd, "GUEST DATA\n", 11) > 0)
            written++;
    }
    printf("descriptors usable above 2: %d, written to: %d\n", usable, written);
    for (int fd = 3; fd < limit; fd++)
        if (dup2(1, fd) != fd)
            dup_failed++;
    printf("dup2 onto each number below the limit: %d failed\n", dup_failed);
    syscall(SYS_close_range, 3, ~0U, 0);
    usable = 0;
    for (int fd = 3; fd < limit; fd++)
        if (fcntl(fd, F_GETFD) != -1)
            usable++;
    printf("after close_range(3, ~0U): %d open\n", usable);
}

/* ---------------------------------------------------------------- child */

static void child(const char *argv0)
{
    static char text[1 << 18];
    int go[2];
    pipe(go);
    pid_t pid = fork();
    if (pid == 0) {
        char b;
        read(go[0], &b, 1);
        _exit(0);
    }
    load_maps();                       /* the child's memory is laid out as ours */
    char path[64];
    static const char *ranged[] = {"maps", "smaps"};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "/proc/%d/%s", pid, ranged[i]);
        const char *t = slurp_at(AT_FDCWD, path, text, sizeof text);
        printf("child's %s: %s\n", ranged[i],
               t == NULL || foreign_ranges(t) == 0 ? "ok" : "HOST ADDRESSES");
    }
    snprintf(path, sizeof path, "/proc/%d/mem", pid);
    int fd = open(path, O_RDONLY);
    char got[16] = {0};
    ssize_t n = fd < 0 ? -1 : pread(fd, got, sizeof got, (off_t)(uintptr_t)rodata_word);
    printf("child's mem: %s\n", n < 0 || memcmp(got, rodata_word, sizeof got) == 0
           ? "ok" : "DIFFERENT");
    char real[4096], link[4096];
    snprintf(path, sizeof path, "/proc/%d/exe", pid);
    ssize_t len = readlink(path, link, sizeof link - 1);
    link[len > 0 ? len : 0] = 0;
    printf("child's exe: %s\n", len < 0 || (realpath(argv0, real) && !strcmp(real, link))
           ? "ok" : "SOMETHING ELSE");
    write(go[1], "x", 1);
    waitpid(pid, NULL, 0);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    const char *what = argc > 1 ? argv[1] : "";
    if (!strcmp(what, "mem"))
        mem();
    else if (!strcmp(what, "spellings"))
        spellings();
    else if (!strcmp(what, "addresses"))
        addresses();
    else if (!strcmp(what, "exe"))
        exe(argv[0]);
    else if (!strcmp(what, "privileged"))
        privileged();
    else if (!strcmp(what, "top"))
        top();
    else if (!strcmp(what, "fds"))
        fds();
    else if (!strcmp(what, "child"))
        child(argv[0]);
    else {
        fprintf(stderr, "usage: escape mem|spellings|addresses|exe|privileged|top|fds|child\n");
        return 2;
    }
    return 0;
}
