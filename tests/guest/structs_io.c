/*
 * Struct conversions of waiting, timers and terminals: pollfd, fd_set (with fds
 * past the first 32-bit word), struct epoll_event (packed on x86-64 only),
 * timespec/timeval of the 32-bit time_t calls and their time64 twins,
 * itimerspec (timerfd), itimerval, eventfd, termios and winsize (on a pty),
 * sigset sizes.  Prints only what is the same under qemu-user and natively.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static const char *err(long r)
{
    if (r >= 0)
        return "ok";
    return errno == EINVAL ? "EINVAL" : errno == EFAULT ? "EFAULT" : strerror(errno);
}

static void test_poll(void)
{
    int p[2], q[2];
    pipe(p);
    pipe(q);
    write(p[1], "x", 1);
    struct pollfd fds[3] = {{p[0], POLLIN, -1}, {q[0], POLLIN, -1}, {q[1], POLLOUT, -1}};
    int n = poll(fds, 3, 0);
    printf("poll n=%d revents=%#x,%#x,%#x\n", n, fds[0].revents, fds[1].revents, fds[2].revents);
    struct timespec ts = {0, 1000000};
    n = ppoll(fds, 2, &ts, NULL);
    printf("ppoll n=%d revents=%#x,%#x\n", n, fds[0].revents, fds[1].revents);
    close(q[1]);
    n = poll(fds, 2, 100);
    printf("poll after close n=%d revents=%#x,%#x\n", n, fds[0].revents, fds[1].revents);
    close(p[0]);
    close(p[1]);
    close(q[0]);
}

static void test_select(void)
{
    int p[2];
    pipe(p);
    /* fds in the second and third 32-bit words of the set */
    int r = dup2(p[0], 40), w = dup2(p[1], 70), idle = dup2(p[0], 33);
    write(w, "y", 1);
    fd_set rd, wr;
    FD_ZERO(&rd);
    FD_ZERO(&wr);
    FD_SET(r, &rd);
    FD_SET(idle, &rd);
    FD_SET(w, &wr);
    struct timeval tv = {1, 0};
    int n = select(w + 1, &rd, &wr, NULL, &tv);
    printf("select n=%d r=%d idle=%d w=%d timeout left<=1s=%d\n", n, FD_ISSET(r, &rd),
           FD_ISSET(idle, &rd), FD_ISSET(w, &wr), tv.tv_sec <= 1);
    char c;
    read(r, &c, 1);
    FD_ZERO(&rd);
    FD_SET(r, &rd);
    struct timespec ts = {0, 2000000};
    sigset_t mask;
    sigemptyset(&mask);
    n = pselect(r + 1, &rd, NULL, NULL, &ts, &mask);
    printf("pselect empty n=%d r=%d\n", n, FD_ISSET(r, &rd));
    tv.tv_sec = 0;
    tv.tv_usec = -1;
    errno = 0;
    n = select(r + 1, &rd, NULL, NULL, &tv);
    printf("select bad timeval n=%d %s\n", n, err(n));
#if defined(__i386__)
    /* i386's old select (nr 82): one pointer to the five arguments */
    FD_ZERO(&rd);
    FD_SET(r, &rd);
    write(w, "o", 1);
    struct timeval tv1 = {0, 1000};
    unsigned long sel_args[5] = {r + 1, (unsigned long)&rd, 0, 0, (unsigned long)&tv1};
    n = syscall(SYS_select, sel_args);
    printf("old select raw n=%d r=%d\n", n, FD_ISSET(r, &rd));
    read(r, &c, 1);
#endif
#if defined(SYS__newselect)
    FD_ZERO(&rd);
    FD_SET(r, &rd);
    write(w, "z", 1);
    struct timeval tv2 = {0, 1000};
    n = syscall(SYS__newselect, r + 1, &rd, NULL, NULL, &tv2);
    printf("_newselect raw n=%d r=%d\n", n, FD_ISSET(r, &rd));
#endif
    close(r);
    close(w);
    close(idle);
    close(p[0]);
    close(p[1]);
}

static void test_epoll(void)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    int p[2];
    pipe(p);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0x1122334455667788ULL};
    int r1 = epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
    ev.events = EPOLLOUT;
    ev.data.u64 = 0xfedcba9876543210ULL;
    int r2 = epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &ev);
    struct epoll_event out[4];
    memset(out, 0, sizeof out);
    int n = epoll_wait(ep, out, 4, 0);
    printf("epoll sizeof=%d ctl=%d,%d n=%d\n", (int)sizeof(struct epoll_event), r1, r2, n);
    for (int i = 0; i < n; i++)
        printf("  events=%#x data=%#llx\n", out[i].events, (unsigned long long)out[i].data.u64);
    write(p[1], "e", 1);
    sigset_t mask;
    sigemptyset(&mask);
    n = epoll_pwait(ep, out, 4, 100, &mask);
    int both = 0;
    for (int i = 0; i < n; i++)
        both |= (out[i].data.u64 == 0x1122334455667788ULL && out[i].events == EPOLLIN) ? 1 : 2;
    printf("epoll_pwait n=%d in+out=%d\n", n, both);
    ev.events = EPOLLIN | EPOLLET;
    ev.data.fd = 12345;
    printf("epoll_ctl mod=%d del=%d\n", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev),
           epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL));
    n = epoll_wait(ep, out, 4, 10);
    printf("epoll after mod n=%d fd=%d events=%#x\n", n, out[0].data.fd, out[0].events);
    errno = 0;
    n = epoll_wait(ep, out, 0, 0);
    printf("epoll_wait maxevents 0: %d %s\n", n, err(n));
    close(ep);
    close(p[0]);
    close(p[1]);
}

/* The 32-bit time_t structures of the old calls (arm, i386). */
struct ts32 {
    int32_t sec, nsec;
};
struct its32 {
    struct ts32 interval, value;
};

static void test_time(void)
{
    struct timespec a;
    clock_gettime(CLOCK_REALTIME, &a);
#if defined(SYS_clock_gettime64)
    struct ts32 b;
    long r = syscall(SYS_clock_gettime, CLOCK_REALTIME, &b);
    struct timespec c;
    long r2 = syscall(SYS_clock_gettime64, CLOCK_REALTIME, &c);
    printf("clock_gettime32 r=%ld close=%d time64 r=%ld close=%d nsec ok=%d\n", r,
           labs((long)b.sec - (long)a.tv_sec) <= 1, r2, labs((long)(c.tv_sec - a.tv_sec)) <= 1,
           b.nsec >= 0 && b.nsec < 1000000000);
    struct ts32 req = {0, 1000000};
    r = syscall(SYS_nanosleep, &req, NULL);
    printf("nanosleep32 r=%ld\n", r);
#else
    struct timespec c;
    long r = syscall(SYS_clock_gettime, CLOCK_REALTIME, &c);
    printf("clock_gettime r=%ld close=%d\n", r, labs((long)(c.tv_sec - a.tv_sec)) <= 1);
    struct timespec bad = {0, 1000000000};
    errno = 0;
    r = syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &bad, NULL);
    printf("clock_nanosleep bad nsec r=%ld %s\n", r, err(r));
#endif
    struct timeval tv;
    gettimeofday(&tv, NULL);
    printf("gettimeofday close=%d usec ok=%d\n", labs((long)(tv.tv_sec - a.tv_sec)) <= 1,
           tv.tv_usec >= 0 && tv.tv_usec < 1000000);
    struct timespec res;
    clock_getres(CLOCK_MONOTONIC, &res);
    printf("clock_getres monotonic sec=%lld nsec>0=%d\n", (long long)res.tv_sec, res.tv_nsec > 0);
}

static void test_timerfd(void)
{
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    struct itimerspec its = {{2, 500000000}, {100, 0}}, old, cur;
    int r = timerfd_settime(fd, 0, &its, &old);
    timerfd_gettime(fd, &cur);
    printf("timerfd settime=%d old zero=%d interval=%lld.%09ld value in (99,100]=%d\n", r,
           old.it_value.tv_sec == 0 && old.it_value.tv_nsec == 0,
           (long long)cur.it_interval.tv_sec, cur.it_interval.tv_nsec,
           cur.it_value.tv_sec >= 99 && cur.it_value.tv_sec <= 100);
    uint64_t ticks;
    errno = 0;
    printf("timerfd read before expiry: %s\n", read(fd, &ticks, 8) < 0 && errno == EAGAIN ? "EAGAIN" : "?");
    struct itimerspec soon = {{0, 0}, {0, 1000000}};
    timerfd_settime(fd, 0, &soon, NULL);
    struct pollfd pfd = {fd, POLLIN, 0};
    poll(&pfd, 1, 1000);
    printf("timerfd expired ticks=%lld\n", read(fd, &ticks, 8) == 8 ? (long long)ticks : -1LL);
#if defined(SYS_timerfd_settime64)
    struct its32 i32 = {{3, 250000000}, {50, 0}}, o32;
    long rr = syscall(SYS_timerfd_settime, fd, 0, &i32, NULL);
    memset(&o32, 0, sizeof o32);
    long rg = syscall(SYS_timerfd_gettime, fd, &o32);
    printf("timerfd 32-bit settime=%ld gettime=%ld interval=%d.%09d value in (49,50]=%d\n", rr, rg,
           o32.interval.sec, o32.interval.nsec, o32.value.sec >= 49 && o32.value.sec <= 50);
#endif
    close(fd);
}

static void test_itimer_eventfd(void)
{
    struct itimerval it = {{0, 0}, {100, 250000}}, old, cur;
    int r = setitimer(ITIMER_REAL, &it, &old);
    getitimer(ITIMER_REAL, &cur);
    printf("setitimer r=%d value in (99,100]=%d usec ok=%d\n", r,
           cur.it_value.tv_sec >= 99 && cur.it_value.tv_sec <= 100, cur.it_value.tv_usec < 1000000);
    memset(&it, 0, sizeof it);
    setitimer(ITIMER_REAL, &it, &old);
    printf("setitimer old value in (99,100]=%d, alarm left=%u\n",
           old.it_value.tv_sec >= 99 && old.it_value.tv_sec <= 100, alarm(0));
    int efd = eventfd(5, EFD_CLOEXEC);
    uint64_t v = 7;
    write(efd, &v, 8);
    v = 0;
    read(efd, &v, 8);
    printf("eventfd value=%llu\n", (unsigned long long)v);
    close(efd);
}

static void test_termios(void)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    if (m < 0 || grantpt(m) || unlockpt(m)) {
        printf("pty: %s\n", strerror(errno));
        return;
    }
    int s = open(ptsname(m), O_RDWR | O_NOCTTY);
    struct termios t;
    tcgetattr(s, &t);
    printf("termios isatty=%d echo=%d icanon=%d opost=%d vmin=%d\n", isatty(s), !!(t.c_lflag & ECHO),
           !!(t.c_lflag & ICANON), !!(t.c_oflag & OPOST), t.c_cc[VMIN]);
    cfmakeraw(&t);
    cfsetospeed(&t, B9600);
    t.c_cc[VMIN] = 3;
    int r = tcsetattr(s, TCSANOW, &t);
    struct termios u;
    tcgetattr(s, &u);
    printf("termios set=%d echo=%d icanon=%d vmin=%d ospeed=9600:%d cflag same=%d\n", r,
           !!(u.c_lflag & ECHO), !!(u.c_lflag & ICANON), u.c_cc[VMIN], cfgetospeed(&u) == B9600,
           u.c_cflag == t.c_cflag);
    struct winsize ws = {.ws_row = 33, .ws_col = 101}, ws2;
    ioctl(m, TIOCSWINSZ, &ws);
    ioctl(s, TIOCGWINSZ, &ws2);
    printf("winsize %dx%d\n", ws2.ws_row, ws2.ws_col);
    write(m, "abc", 3);
    int avail = 0;
    usleep(10000);
    ioctl(s, FIONREAD, &avail);
    printf("FIONREAD=%d\n", avail);
    errno = 0;
    r = ioctl(0, TCGETS, &t);
    printf("TCGETS on a pipe: %d %s\n", r, r < 0 && errno == ENOTTY ? "ENOTTY" : "?");
    close(s);
    close(m);
}

static void test_sigset(void)
{
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGRTMIN + 3);
    int r = sigprocmask(SIG_BLOCK, &set, &old);
    sigprocmask(SIG_SETMASK, NULL, &old);
    printf("sigprocmask r=%d usr1=%d rt+3=%d usr2=%d\n", r, sigismember(&old, SIGUSR1),
           sigismember(&old, SIGRTMIN + 3), sigismember(&old, SIGUSR2));
    uint64_t k = 0;
    errno = 0;
    long rr = syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &k, 4);
    printf("rt_sigprocmask size 4: %ld %s\n", rr, err(rr));
    rr = syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &k, 8);
    printf("rt_sigprocmask size 8: %ld usr1 bit=%d\n", rr, (int)(k >> (SIGUSR1 - 1) & 1));
    sigpending(&set);
    printf("sigpending usr1=%d\n", sigismember(&set, SIGUSR1));
    struct sigaction sa, osa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGUSR2, &sa, NULL);
    sigaction(SIGUSR2, NULL, &osa);
    printf("sigaction ign=%d\n", osa.sa_handler == SIG_IGN);
    raise(SIGUSR2);
    printf("still alive after ignored SIGUSR2\n");
    sigprocmask(SIG_SETMASK, &old, NULL);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    test_poll();
    test_select();
    test_epoll();
    test_time();
    test_timerfd();
    test_itimer_eventfd();
    test_termios();
    test_sigset();
    return 0;
}
