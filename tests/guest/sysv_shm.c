/*
 * SysV shared memory as Linux gives it: a segment shared with a forked child,
 * shmat at a chosen address (SHM_RND, SHM_REMAP, EINVAL when busy or
 * misaligned), SHM_RDONLY enforced, the /proc/self/maps entry, IPC_STAT's
 * counts, shmdt and IPC_RMID's deferred destruction.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define SIZE (3 * 4096 + 100)
#define WINDOW (16 * 4096)       /* 64 KiB: aligned to every arch's SHMLBA */

static int shmid;

static const char *err(int r)
{
    static char buf[32];
    if (r != -1)
        return "ok";
    snprintf(buf, sizeof buf, "%s", errno == EINVAL ? "EINVAL" : errno == EACCES ? "EACCES"
             : errno == EIDRM ? "EIDRM" : errno == ENOMEM ? "ENOMEM" : strerror(errno));
    return buf;
}

static const char *aterr(void *p)
{
    return err(p == (void *)-1 ? -1 : 0);
}

static void stat_line(const char *when)
{
    struct shmid_ds ds;
    int r = shmctl(shmid, IPC_STAT, &ds);
    if (r == -1) {
        printf("%-24s IPC_STAT %s\n", when, err(r));
        return;
    }
    printf("%-24s segsz=%lu mode=%04o nattch=%lu cpid_is_me=%d lpid_is_me=%d"
           " uid_ok=%d key=%d\n", when, (unsigned long)ds.shm_segsz,
           (unsigned)ds.shm_perm.mode, (unsigned long)ds.shm_nattch,
           ds.shm_cpid == getpid(), ds.shm_lpid == getpid(), ds.shm_perm.uid == getuid(),
           (int)ds.shm_perm.__key);
}

/* The /proc/self/maps line of the mapping at p: size, perms, offset,
 * device, whether the inode is the shm id, and the name. */
static void maps_line(const char *when, void *p)
{
    char line[512];
    FILE *f = fopen("/proc/self/maps", "r");
    int found = 0;
    while (f && fgets(line, sizeof line, f)) {
        unsigned long start, end, offset, inode;
        char perms[8], dev[16], name[256] = "";
        if (sscanf(line, "%lx-%lx %7s %lx %15s %lu %255[^\n]", &start, &end, perms, &offset,
                   dev, &inode, name) < 6)
            continue;
        if (start <= (uintptr_t)p && (uintptr_t)p < end) {
            char *n = name;
            while (*n == ' ')
                n++;
            printf("%-24s maps: size=%lx %s %08lx %s inode_is_id=%d %s\n", when, end - start,
                   perms, offset, dev, inode == (unsigned long)shmid, n);
            found = 1;
        }
    }
    if (!found)
        printf("%-24s maps: no mapping\n", when);
    if (f)
        fclose(f);
}

/* A free 64 KiB-aligned window of `size` bytes. */
static char *free_window(size_t size)
{
    char *p = mmap(NULL, size + WINDOW, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *aligned = (char *)(((uintptr_t)p + WINDOW - 1) & ~(uintptr_t)(WINDOW - 1));
    munmap(p, size + WINDOW);
    return aligned;
}

/* Run fn in a forked child; its exit status or signal. */
static void in_child(const char *what, void (*fn)(char *), char *p)
{
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 2);          /* an emulator's "uncaught signal" line */
        fn(p);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status))
        printf("%-24s child killed by signal %d\n", what, WTERMSIG(status));
    else
        printf("%-24s child exit %d\n", what, WEXITSTATUS(status));
}

static void child_writes(char *p)
{
    strcpy(p + 4096, "written by the child");
    p[SIZE - 1] = 'z';
    /* a second attach in the child sees the same pages */
    char *q = shmat(shmid, NULL, 0);
    if (q == (void *)-1 || strcmp(q, "hello from the parent") != 0)
        _exit(3);
    shmdt(q);
    _exit(0);
}

static void child_writes_readonly(char *p)
{
    p[0] = 'X';
}

int main(void)
{
    shmid = shmget(IPC_PRIVATE, SIZE, IPC_CREAT | 0640);
    if (shmid == -1) {
        printf("shmget: %s\n", err(-1));
        return 1;
    }
    stat_line("created");

    char *p = shmat(shmid, NULL, 0);
    printf("shmat anywhere: %s, page aligned %d\n", aterr(p), ((uintptr_t)p & 4095) == 0);
    stat_line("attached");
    maps_line("attached", p);
    printf("fresh segment zeroed: %d\n", p[0] == 0 && p[SIZE - 1] == 0 && p[3 * 4096 + 4095] == 0);

    strcpy(p, "hello from the parent");
    in_child("child writes", child_writes, p);
    printf("parent reads: \"%s\" last=%c\n", p + 4096, p[SIZE - 1]);

    /* At a chosen address. */
    char *want = free_window(4 * 4096);
    char *q = shmat(shmid, want, 0);
    printf("shmat at address: %s same=%d shares=%d\n", aterr(q), q == want,
           q != (void *)-1 && strcmp(q + 4096, "written by the child") == 0);
    char *r = shmat(shmid, want, 0);
    printf("shmat over it: %s\n", aterr(r));
    r = shmat(shmid, want, SHM_REMAP);
    printf("shmat over it, SHM_REMAP: %s same=%d\n", aterr(r), r == want);
    printf("shmdt: %s\n", err(shmdt(want)));
    printf("shmdt again: %s\n", err(shmdt(want)));
    printf("shmdt inside: %s\n", err(shmdt(p + 4096)));

    want = free_window(4 * 4096);
    q = shmat(shmid, want + 0x1234, 0);
    printf("shmat misaligned: %s\n", aterr(q));
    q = shmat(shmid, want + 0x1234, SHM_RND);
    /* rounded down to SHMLBA: a page, 4 pages on 32-bit ARM */
    printf("shmat misaligned, SHM_RND: %s rounded to SHMLBA=%d\n", aterr(q),
           q == want + (0x1234 & ~(SHMLBA - 1)));
    if (q != (void *)-1)
        shmdt(q);

    /* Read-only. */
    q = shmat(shmid, NULL, SHM_RDONLY);
    printf("shmat SHM_RDONLY: %s reads=%d\n", aterr(q),
           q != (void *)-1 && strcmp(q, "hello from the parent") == 0);
    maps_line("read-only", q);
    in_child("write to read-only", child_writes_readonly, q);
    printf("mprotect read-only to rw: %s\n", err(mprotect(q, 4096, PROT_READ | PROT_WRITE)));
    stat_line("two attaches");
    shmdt(q);

    /* Removal waits for the last detach. */
    printf("IPC_RMID: %s\n", err(shmctl(shmid, IPC_RMID, NULL)));
    stat_line("removed, attached");
    printf("still readable: %d\n", strcmp(p, "hello from the parent") == 0);
    q = shmat(shmid, NULL, 0);      /* Linux still allows it while attached */
    printf("shmat after IPC_RMID: %s\n", aterr(q));
    if (q != (void *)-1)
        shmdt(q);
    printf("shmdt: %s\n", err(shmdt(p)));
    maps_line("detached", p);
    stat_line("gone");
    printf("shmget nonexistent key: %s\n", err(shmget(0x7e57dead, 4096, 0)));
#ifdef SYS_ipc
    /* The old multiplexer (linux/ipc.h call numbers), which glibc may use instead. */
    long id = syscall(SYS_ipc, 23 /* SHMGET */, IPC_PRIVATE, 4096, IPC_CREAT | 0600, NULL, 0);
    unsigned long raddr = 0;
    long r1 = syscall(SYS_ipc, 21 /* SHMAT */, id, 0, &raddr, NULL, 0);
    printf("ipc SHMGET: %s SHMAT: %s", err(id < 0 ? -1 : 0), err(r1));
    if (r1 == 0) {
        strcpy((char *)raddr, "via ipc");
        shmid = id;
        maps_line(" attached", (void *)raddr);
    }
    struct shmid_ds ds;
    long r2 = syscall(SYS_ipc, 24 /* SHMCTL */, id, IPC_STAT | 0x100 /* IPC_64 */, 0, &ds, 0);
    printf("ipc SHMCTL IPC_STAT: %s segsz=%lu nattch=%lu\n", err(r2), (unsigned long)ds.shm_segsz,
           (unsigned long)ds.shm_nattch);
    printf("ipc SHMCTL IPC_RMID: %s\n",
           err(syscall(SYS_ipc, 24, id, IPC_RMID | 0x100, 0, NULL, 0)));
    printf("ipc SHMDT: %s\n", err(syscall(SYS_ipc, 22, 0, 0, 0, (void *)raddr, 0)));
#endif
    return 0;
}
