/*
 * Child processes: fork, vfork, posix_spawn (clone with CLONE_VM|CLONE_VFORK),
 * wait4/waitpid/waitid, execve of this program (through /proc/self/exe and by
 * path), of `#!` scripts (a host interpreter and this program as one), of a
 * host program, and execve's errors.  Also what crosses an execve: argv[0],
 * the environment, open fds, close-on-exec, ignored signals.
 * The output does not depend on the arch.  Usage: exec WORKDIR
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static char self[4096], dir[2048];

static const char *base(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static void report(const char *what, pid_t pid)
{
    int status;
    pid_t w = waitpid(pid, &status, 0);
    if (w != pid)
        printf("%-24s waitpid failed: %s\n", what, strerror(errno));
    else if (WIFEXITED(status))
        printf("%-24s exited %d\n", what, WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        printf("%-24s killed by signal %d\n", what, WTERMSIG(status));
}

static int child_mode(int argc, char **argv)
{
    /* argv: ARGV0 child WHAT [FD] */
    printf("  child argv0=%s argc=%d what=%s env LU_X=%s\n", base(argv[0]), argc, argv[2],
           getenv("LU_X") ? getenv("LU_X") : "(unset)");
    if (!strcmp(argv[2], "fds")) {
        int fd = atoi(argv[3]);
        errno = 0;
        int closed = fcntl(fd, F_GETFD) < 0 && errno == EBADF;
        errno = 0;
        int piped = lseek(1, 0, SEEK_CUR) < 0 && errno == ESPIPE;
        printf("  child cloexec fd %s; stdout is a pipe: %d\n", closed ? "closed" : "open", piped);
    } else if (!strcmp(argv[2], "mask")) {
        sigset_t set;
        sigprocmask(SIG_BLOCK, NULL, &set);
        printf("  child mask: SIGUSR2 blocked=%d SIGTERM blocked=%d\n", sigismember(&set, SIGUSR2),
               sigismember(&set, SIGTERM));
    } else if (!strcmp(argv[2], "ignored")) {
        raise(SIGUSR1);
        printf("  child survived an ignored SIGUSR1\n");
    }
    return 7;
}

static void exec_in_child(const char *what, const char *path, char *const argv[], char *const envp[])
{
    pid_t pid = fork();
    if (pid == 0) {
        execve(path, argv, envp);
        printf("%-24s execve: %s\n", what, strerror(errno));
        _exit(127);
    }
    report(what, pid);
}

static void expect_error(const char *what, const char *path)
{
    char *argv[] = {(char *)path, NULL};
    errno = 0;
    execve(path, argv, environ);
    int e = errno;
    printf("%-24s %s\n", what, e == ENOENT ? "ENOENT" : e == EACCES ? "EACCES" :
           e == ENOEXEC ? "ENOEXEC" : strerror(e));
}

static const char *at(const char *name)
{
    static char p[4200];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return p;
}

static void write_file(const char *name, const char *text, mode_t mode)
{
    int fd = open(at(name), O_CREAT | O_TRUNC | O_WRONLY, mode);
    write(fd, text, strlen(text));
    close(fd);
    chmod(at(name), mode);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 2 && !strcmp(argv[1], "interp")) {
        /* run as a #! interpreter: argv = self, "interp", SCRIPT, ARGS... */
        printf("  interpreter %s got script %s and %s\n", base(argv[0]), base(argv[2]),
               argc > 3 ? argv[3] : "(nothing)");
        return 3;
    }
    if (argc > 2 && !strcmp(argv[1], "child"))
        return child_mode(argc, argv);
    if (argc < 2) {
        fprintf(stderr, "usage: exec WORKDIR\n");
        return 2;
    }
    snprintf(dir, sizeof dir, "%.1000s/exec.%d", argv[1], (int)sizeof(long));
    mkdir(dir, 0755);
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = 0;

    pid_t pid = fork();
    if (pid == 0)
        _exit(42);
    report("fork + _exit(42)", pid);
    pid = fork();
    if (pid == 0) {
        kill(getpid(), SIGTERM);
        _exit(0);
    }
    report("fork + SIGTERM", pid);
    pid = vfork();
    if (pid == 0)
        _exit(5);
    report("vfork + _exit(5)", pid);
    pid = fork();
    if (pid == 0)
        _exit(9);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    int r = waitid(P_PID, pid, &si, WEXITED);
    printf("%-24s r=%d signo=%d code=%s status=%d same pid=%d\n", "waitid", r, si.si_signo,
           si.si_code == CLD_EXITED ? "CLD_EXITED" : "?", si.si_status, si.si_pid == pid);
    int p[2];
    pipe(p);
    pid = fork();
    if (pid == 0) {
        char c;
        close(p[1]);
        read(p[0], &c, 1);
        _exit(0);
    }
    printf("%-24s %d\n", "WNOHANG while running", waitpid(pid, NULL, WNOHANG));
    close(p[1]);
    close(p[0]);
    report("blocked child", pid);
    errno = 0;
    r = waitpid(-1, NULL, 0);
    printf("%-24s %d %s\n", "wait with no children", r, errno == ECHILD ? "ECHILD" : strerror(errno));

    char *env[] = {"LU_X=from-execve", NULL};
    char *a1[] = {"renamed-argv0", "child", "via-proc-self-exe", NULL};
    exec_in_child("execve /proc/self/exe", "/proc/self/exe", a1, env);
    char *a2[] = {self, "child", "by-path", NULL};
    exec_in_child("execve by path", self, a2, environ);

    /* fds across execve: stdout into a pipe, and a close-on-exec fd */
    pipe(p);
    int cloexec_fd = open(".", O_RDONLY | O_CLOEXEC);
    char fdnum[16];
    snprintf(fdnum, sizeof fdnum, "%d", cloexec_fd);
    pid = fork();
    if (pid == 0) {
        dup2(p[1], 1);
        char *a[] = {"fd-child", "child", "fds", fdnum, NULL};
        execve(self, a, environ);
        _exit(127);
    }
    close(p[1]);
    char buf[512] = {0};
    size_t got = 0;
    while ((n = read(p[0], buf + got, sizeof buf - 1 - got)) > 0)
        got += n;
    close(p[0]);
    close(cloexec_fd);
    report("execve with fds", pid);
    printf("  (through the pipe:)\n%s", buf);

    signal(SIGUSR1, SIG_IGN);
    char *a3[] = {"ign-child", "child", "ignored", NULL};
    exec_in_child("ignored signal", self, a3, environ);
    signal(SIGUSR1, SIG_DFL);
    sigset_t usr2, old;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    sigprocmask(SIG_BLOCK, &usr2, &old);
    char *a9[] = {"mask-child", "child", "mask", NULL};
    exec_in_child("blocked signal", self, a9, environ);
    sigprocmask(SIG_SETMASK, &old, NULL);

    write_file("host.sh", "#!/bin/sh\necho \"  host script says $1\"\nexit 4\n", 0755);
    char *a4[] = {"host.sh", "hello", NULL};
    exec_in_child("#! /bin/sh script", at("host.sh"), a4, environ);
    char script[4200];
    snprintf(script, sizeof script, "#!%s interp\nthis line is not read\n", self);
    write_file("guest.sh", script, 0755);
    char *a5[] = {"guest.sh", "arg1", NULL};
    exec_in_child("#! guest interpreter", at("guest.sh"), a5, environ);
    char *a6[] = {"echo", "  a host program", NULL};
    exec_in_child("host /bin/echo", "/bin/echo", a6, environ);

    pid_t sp;
    char *a7[] = {"echo", "  spawned host program", NULL};
    r = posix_spawn(&sp, "/bin/echo", NULL, NULL, a7, environ);
    report("posix_spawn child", sp);          /* (the child writes first: no race) */
    printf("%-24s r=%d\n", "posix_spawn", r);
    char *a8[] = {"spawned-self", "child", "spawned", NULL};
    r = posix_spawn(&sp, self, NULL, NULL, a8, environ);
    report("posix_spawn self", sp);

    write_file("not-exec.sh", "#!/bin/sh\necho no\n", 0644);
    write_file("garbage", "\x01\x02\x03 this is no program\n", 0755);
    write_file("empty-shebang", "#!\n", 0755);
    write_file("missing-interp", "#!/nonexistent/interpreter\n", 0755);
    /* this program's ELF header with nothing after it: a truncated ELF */
    int in = open(self, O_RDONLY), out = open(at("truncated-elf"), O_CREAT | O_TRUNC | O_WRONLY, 0755);
    char hdr[64];
    write(out, hdr, read(in, hdr, sizeof hdr));
    close(in);
    close(out);
    expect_error("execve missing file", at("does-not-exist"));
    expect_error("execve directory", dir);
    expect_error("execve not executable", at("not-exec.sh"));
    expect_error("execve garbage", at("garbage"));
    expect_error("execve empty #!", at("empty-shebang"));
    expect_error("execve missing #! interp", at("missing-interp"));
    expect_error("execve truncated ELF", at("truncated-elf"));
    printf("done\n");
    return 0;
}
