/*
 * Struct conversions of the file and process-information syscalls: stat,
 * stat64 and statx, statfs and statfs64, linux_dirent64, iovec, rlimit, rusage,
 * utsname, tms, struct flock (fcntl locks), sendfile's offset, memfd.
 * Both through glibc and, where the kernel has the older or narrower call, by
 * raw syscall with the kernel's own struct.  Prints only what is the same
 * under qemu-user and natively.  Usage: structs_files WORKDIR
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/times.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#define MTIME_SEC 1600000000L
#define MTIME_NSEC 123456789L

static char path[8192];

static const char *at(const char *dir, const char *name)
{
    snprintf(path, sizeof path, "%.4000s/%.100s", dir, name);
    return path;
}

static void show_stat(const char *how, const struct stat *st)
{
    printf("%-10s size=%lld mode=%o nlink=%ld uid=%d mtime=%lld.%09ld blksize_ok=%d\n", how,
           (long long)st->st_size, (unsigned)st->st_mode, (long)st->st_nlink, (int)st->st_uid,
           (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec, st->st_blksize > 0);
}

/* The kernel's struct stat64 of the 32-bit ABIs, as <asm/stat.h> has it. */
#if defined(__arm__) || defined(__i386__)
#if defined(__arm__)
#define K64ALIGN __attribute__((aligned(8)))
#else
#define K64ALIGN
#endif
struct kstat64 {
    unsigned long long st_dev;
    unsigned char __pad0[4];
    unsigned long __st_ino;
    unsigned int st_mode;
    unsigned int st_nlink;
    unsigned long st_uid, st_gid;
    unsigned long long st_rdev;
    unsigned char __pad3[4];
    long long st_size K64ALIGN;
    unsigned long st_blksize;
    unsigned long long st_blocks K64ALIGN;
    unsigned long st_atime_, st_atime_nsec, st_mtime_, st_mtime_nsec, st_ctime_, st_ctime_nsec;
    unsigned long long st_ino;
};

struct kstatfs32 {
    uint32_t f_type, f_bsize, f_blocks, f_bfree, f_bavail, f_files, f_ffree;
    int32_t f_fsid[2];
    uint32_t f_namelen, f_frsize, f_flags, f_spare[4];
};
#endif

static void test_stat(const char *dir)
{
    const char *file = at(dir, "stat-file");
    int fd = open(file, O_CREAT | O_TRUNC | O_WRONLY, 0640);
    fchmod(fd, 0640);
    ftruncate(fd, 12345);
    struct timespec times[2] = {{MTIME_SEC, 5}, {MTIME_SEC, MTIME_NSEC}};
    futimens(fd, times);
    struct stat st;
    fstat(fd, &st);
    show_stat("fstat", &st);
    close(fd);
    stat(file, &st);
    show_stat("stat", &st);
    ino_t ino = st.st_ino;
    symlink("stat-file", at(dir, "stat-link"));
    lstat(path, &st);
    printf("lstat      link=%d size=%lld\n", S_ISLNK(st.st_mode), (long long)st.st_size);
    fstatat(AT_FDCWD, at(dir, "stat-link"), &st, 0);
    show_stat("fstatat", &st);
    printf("ino same: %d\n", st.st_ino == ino);

    struct statx sx;
    memset(&sx, 0, sizeof sx);
    int r = statx(AT_FDCWD, at(dir, "stat-file"), 0, STATX_BASIC_STATS, &sx);
    printf("statx      r=%d size=%llu mode=%o mtime=%lld.%09u ino same: %d\n", r,
           (unsigned long long)sx.stx_size, sx.stx_mode, (long long)sx.stx_mtime.tv_sec,
           sx.stx_mtime.tv_nsec, sx.stx_ino == ino);
#if defined(SYS_fstat64)
    struct kstat64 k;
    memset(&k, 0, sizeof k);
    r = syscall(SYS_stat64, at(dir, "stat-file"), &k);
    printf("stat64 raw r=%d size=%lld mode=%o nlink=%u mtime=%lu.%09lu ino same: %d\n", r,
           k.st_size, k.st_mode, k.st_nlink, k.st_mtime_, k.st_mtime_nsec,
           k.st_ino == (unsigned long long)ino);
    /* A file past 4 GiB: only a 64-bit st_size at the right offset holds its size. */
    /* (O_LARGEFILE: natively a 32-bit open without it cannot grow past 2 GiB) */
    fd = open(at(dir, "sparse"), O_CREAT | O_TRUNC | O_WRONLY | O_LARGEFILE, 0600);
    ftruncate64(fd, 0x123456789LL);
    memset(&k, 0, sizeof k);
    r = syscall(SYS_fstat64, fd, &k);
    printf("fstat64 raw r=%d size=%#llx blocks=%llu\n", r, k.st_size, k.st_blocks);
    close(fd);
#else
    fd = open(at(dir, "sparse"), O_CREAT | O_TRUNC | O_WRONLY, 0600);
    ftruncate(fd, 0x123456789LL);
    r = syscall(SYS_fstat, fd, &st);
    printf("fstat raw r=%d size=%#llx blocks=%llu\n", r, (long long)st.st_size,
           (unsigned long long)st.st_blocks);
    close(fd);
#endif
    unlink(at(dir, "sparse"));
}

static void test_statfs(const char *dir)
{
    struct statfs a, b;
    int r1 = statfs(dir, &a);
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    int r2 = fstatfs(fd, &b);
    close(fd);
    printf("statfs r=%d,%d type=%#lx bsize=%ld namelen=%ld frsize=%ld same=%d sane=%d\n", r1, r2,
           (unsigned long)a.f_type, (long)a.f_bsize, (long)a.f_namelen, (long)a.f_frsize,
           a.f_type == b.f_type && a.f_blocks == b.f_blocks && a.f_fsid.__val[0] == b.f_fsid.__val[0],
           a.f_blocks > 0 && a.f_bfree <= a.f_blocks && a.f_bavail <= a.f_bfree);
#if defined(SYS_statfs64)
    struct kstatfs32 k;
    memset(&k, 0, sizeof k);
    int r = syscall(SYS_statfs, dir, &k);
    if (r == 0)
        printf("statfs raw32 type=%#x bsize=%u namelen=%u same blocks=%d\n", k.f_type,
               k.f_bsize, k.f_namelen, k.f_blocks == a.f_blocks);
    else
        printf("statfs raw32 r=%d errno=%s\n", r, errno == EOVERFLOW ? "EOVERFLOW" : strerror(errno));
    struct statfs64 s64;
    r = syscall(SYS_statfs64, dir, sizeof s64, &s64);
    printf("statfs64 raw r=%d type=%#lx same blocks=%d\n", r, (unsigned long)s64.f_type,
           s64.f_blocks == a.f_blocks);
#endif
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

struct kdirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

static void test_getdents(const char *dir)
{
    char sub[8192];
    snprintf(sub, sizeof sub, "%.4000s/dents", dir);
    mkdir(sub, 0755);
    const char *names[] = {"regular", "a-much-longer-name-than-the-others-0123456789", "x"};
    for (int i = 0; i < 3; i++)
        close(open(at(sub, names[i]), O_CREAT | O_WRONLY, 0644));
    mkdir(at(sub, "subdir"), 0755);
    symlink("regular", at(sub, "symlink"));
    int fd = open(sub, O_RDONLY | O_DIRECTORY);
    char buf[128];                   /* small: several calls */
    char *found[16];
    int n = 0, calls = 0;
    long r;
    while ((r = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
        calls++;
        for (long off = 0; off < r;) {
            struct kdirent64 *d = (struct kdirent64 *)(buf + off);
            char *line = malloc(300);
            snprintf(line, 300, "%s type=%d reclen_ok=%d", d->d_name, d->d_type,
                     d->d_reclen % 4 == 0 && d->d_reclen >= 19 + strlen(d->d_name) + 1);
            if (n < 16)
                found[n++] = line;
            off += d->d_reclen;
        }
    }
    close(fd);
    qsort(found, n, sizeof found[0], cmp_str);
    printf("getdents64: %d entries, several calls: %d\n", n, calls > 1);
    for (int i = 0; i < n; i++)
        printf("  %s\n", found[i]);
    errno = 0;
    fd = open(sub, O_RDONLY | O_DIRECTORY);
    r = syscall(SYS_getdents64, fd, buf, 10);
    printf("getdents64 tiny buffer r=%ld %s\n", r, errno == EINVAL ? "EINVAL" : strerror(errno));
    close(fd);
}

static void test_iovec(void)
{
    int p[2];
    pipe(p);
    struct iovec out[3] = {{"first,", 6}, {"", 0}, {"second,third", 12}};
    ssize_t w = writev(p[1], out, 3);
    char a[4], b[5], c[20];
    memset(c, 0, sizeof c);
    struct iovec in[3] = {{a, 4}, {b, 5}, {c, sizeof c}};
    ssize_t r = readv(p[0], in, 3);
    printf("iovec w=%zd r=%zd [%.4s][%.5s][%s]\n", w, r, a, b, c);
    errno = 0;
    long bad = syscall(SYS_readv, p[0], in, -1);
    printf("iovec negative count r=%ld %s\n", bad, errno == EINVAL ? "EINVAL" : strerror(errno));
    close(p[0]);
    close(p[1]);
}

static void test_rlimit(void)
{
    struct rlimit rl, orig;
    getrlimit(RLIMIT_NOFILE, &orig);
    rl.rlim_cur = 100;
    rl.rlim_max = orig.rlim_max;
    int r = setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
    printf("rlimit NOFILE set r=%d cur=%llu max same=%d\n", r, (unsigned long long)rl.rlim_cur,
           rl.rlim_max == orig.rlim_max);
    struct rlimit64 r64;
    prlimit64(0, RLIMIT_NOFILE, NULL, &r64);
    printf("prlimit64 cur=%llu\n", (unsigned long long)r64.rlim_cur);
    rl.rlim_cur = 0;
    rl.rlim_max = RLIM_INFINITY;
    setrlimit(RLIMIT_CORE, &rl);
    getrlimit(RLIMIT_CORE, &rl);
    printf("rlimit CORE cur=%llu max infinite=%d\n", (unsigned long long)rl.rlim_cur,
           rl.rlim_max == RLIM_INFINITY);
#if defined(SYS_ugetrlimit)
    unsigned long raw[2] = {1, 1};
    r = syscall(SYS_ugetrlimit, RLIMIT_NOFILE, raw);
    printf("ugetrlimit raw r=%d cur=%lu\n", r, raw[0]);
#endif
}

static double tv(struct timeval t)
{
    return t.tv_sec + t.tv_usec / 1e6;
}

static void test_rusage(void)
{
    volatile unsigned x = 1;
    for (int i = 0; i < 3000000; i++)
        x = x * 1103515245u + 12345u;
    struct rusage ru;
    memset(&ru, 0xff, sizeof ru);
    int r = getrusage(RUSAGE_SELF, &ru);
    /* (the kernel splits the CPU time between utime and stime by ticks: only the sum is sure) */
    printf("rusage r=%d cpu>0=%d usec<1e6=%d maxrss>0=%d minflt>0=%d nsignals=%ld\n", r,
           tv(ru.ru_utime) + tv(ru.ru_stime) > 0, ru.ru_utime.tv_usec < 1000000 && ru.ru_stime.tv_usec < 1000000,
           ru.ru_maxrss > 0, ru.ru_minflt > 0, ru.ru_nsignals);
    pid_t pid = fork();
    if (pid == 0) {
        for (int i = 0; i < 3000000; i++)
            x = x * 1103515245u + 12345u;
        _exit(3);
    }
    int status;
    memset(&ru, 0xff, sizeof ru);
    pid_t w = wait4(pid, &status, 0, &ru);
    printf("wait4 same pid=%d exited=%d code=%d child cpu>0=%d usec<1e6=%d\n", w == pid,
           WIFEXITED(status), WEXITSTATUS(status), tv(ru.ru_utime) + tv(ru.ru_stime) > 0,
           ru.ru_utime.tv_usec < 1000000);
    memset(&ru, 0xff, sizeof ru);
    getrusage(RUSAGE_CHILDREN, &ru);
    printf("rusage children cpu>0=%d\n", tv(ru.ru_utime) + tv(ru.ru_stime) > 0);
    struct tms t;
    memset(&t, 0xff, sizeof t);
    clock_t c = times(&t);
    printf("times ret>0=%d utime>=0=%d cutime>=0=%d\n", c != (clock_t)-1 && c > 0,
           t.tms_utime >= 0 && t.tms_stime >= 0, t.tms_cutime >= 0 && t.tms_cstime >= 0);
}

static void test_utsname(void)
{
    struct utsname u;
    uname(&u);
    printf("uname sysname=%s machine=%s\n", u.sysname, u.machine);
}

static void test_flock(const char *dir)
{
    int fd = open(at(dir, "locked"), O_CREAT | O_RDWR, 0644);
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 100, .l_len = 50};
    int r = fcntl(fd, F_SETLK, &fl);
    pid_t pid = fork();
    if (pid == 0) {
        int fd2 = open(path, O_RDWR);
        struct flock q = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
        fcntl(fd2, F_GETLK, &q);
        printf("flock child sees type=%s start=%lld len=%lld holder is parent=%d\n",
               q.l_type == F_WRLCK ? "F_WRLCK" : "other", (long long)q.l_start,
               (long long)q.l_len, q.l_pid == getppid());
        struct flock w = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 120, .l_len = 1};
        errno = 0;
        int r2 = fcntl(fd2, F_SETLK, &w);
        printf("flock child conflicting lock r=%d %s\n", r2,
               errno == EAGAIN || errno == EACCES ? "EAGAIN/EACCES" : strerror(errno));
        fflush(stdout);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    printf("flock parent set r=%d\n", r);
    close(fd);
}

static void test_sendfile_memfd(const char *dir)
{
    int fd = open(at(dir, "src"), O_CREAT | O_TRUNC | O_RDWR, 0644);
    write(fd, "0123456789abcdefghij", 20);
    int mfd = memfd_create("structs", MFD_CLOEXEC);
    off_t off = 5;
    ssize_t n = sendfile(mfd, fd, &off, 10);
    struct stat st;
    fstat(mfd, &st);
    char buf[32] = {0};
    pread(mfd, buf, sizeof buf - 1, 0);
    printf("sendfile n=%zd off=%lld memfd size=%lld [%s] cloexec=%d\n", n, (long long)off,
           (long long)st.st_size, buf, (fcntl(mfd, F_GETFD) & FD_CLOEXEC) != 0);
    lseek(fd, 18, SEEK_SET);
    n = sendfile(mfd, fd, NULL, 100);
    printf("sendfile no offset n=%zd pos=%lld\n", n, (long long)lseek(fd, 0, SEEK_CUR));
    close(fd);
    close(mfd);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: structs_files WORKDIR\n");
        return 2;
    }
    char dir[4200];
    snprintf(dir, sizeof dir, "%.4000s/structs_files.%d", argv[1], (int)sizeof(long));
    mkdir(dir, 0755);
    setvbuf(stdout, NULL, _IONBF, 0);
    test_stat(dir);
    test_statfs(dir);
    test_getdents(dir);
    test_iovec();
    test_rlimit();
    test_rusage();
    test_utsname();
    test_flock(dir);
    test_sendfile_memfd(dir);
    return 0;
}
