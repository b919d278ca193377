/*
 * Guest signal handling, one scenario per argv[1] (all of them without an
 * argument), each printing what it saw so that linuxuser, qemu-user and a
 * native run can be compared line by line:
 *   info      siginfo of raise, kill, sigqueue, tgkill; POSIX timers (SIGEV_SIGNAL,
 *             SIGEV_THREAD_ID)
 *   faults    recovery with siglongjmp from SIGSEGV (MAPERR, ACCERR, exact
 *             si_addr), SIGILL, SIGTRAP, SIGBUS past EOF, x86 SIGFPE
 *   skip      a SIGSEGV handler moves the saved PC past the faulting store
 *   fp        an interval timer fires into an FP/SIMD loop; the handler
 *             computes with FP registers itself; results must not change
 *   flags     nesting, SA_NODEFER, SA_RESETHAND, the mask in the handler
 *   altstack  a stack overflow caught on a sigaltstack (SS_ONSTACK seen)
 *   threads   per-thread masks pick the thread; pthread_kill into a thread
 *             spinning in guest code; pthread_cancel deferred and async;
 *             setresuid to the same ids with threads running
 *   preempt   six threads spinning under a stream of tgkill'd SIGURG whose
 *             handler injects a call into the interrupted code, as Go's
 *             asynchronous preemption does; their results must not change
 *   wait      EINTR without SA_RESTART, a restarted read with it,
 *             sigwaitinfo, signalfd, sigsuspend, sigpending
 *   child     SIGCHLD from a child's exit, with its siginfo
 *   stop      SIGTSTP's default action stops a child (its parent sees which
 *             signal), SIGCONT continues it
 *   strace    (only when asked) one process's signals for comparing -strace:
 *             raise, kill, sigqueue, a read ended by EINTR, one restarted
 *   inherit   fork keeps handlers and the mask; execve keeps ignored signals
 *             and the mask, and resets handlers
 *   blocked   a SIGSEGV while SIGSEGV is blocked kills the process
 *   recursive a SIGSEGV inside the SIGSEGV handler (no SA_NODEFER) kills it
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

static sigjmp_buf jump;
static volatile sig_atomic_t got, depth, max_depth;
static volatile int got_code, got_errno;
static void *volatile got_addr;
static volatile long got_pid, got_uid, got_value;

static void set_action(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fn;
    sa.sa_flags = SA_SIGINFO | flags;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL))
        perror("sigaction");
}

static void record(int sig, siginfo_t *si, void *uc)
{
    got = sig;
    got_code = si->si_code;
    got_pid = si->si_pid;
    got_uid = si->si_uid;
    got_value = si->si_value.sival_int;
    got_addr = si->si_addr;
}

static void print_info(const char *what)
{
    printf("%s: sig %d code %d pid-ok %d uid-ok %d\n", what, (int)got, got_code,
           got_pid == getpid(), got_uid == (long)getuid());
    got = 0;
}

static void scenario_info(void)
{
    set_action(SIGUSR1, record, 0);
    raise(SIGUSR1);
    print_info("raise");
    kill(getpid(), SIGUSR1);
    print_info("kill");
    syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR1);
    print_info("tgkill");
    union sigval v = {.sival_int = 4242};
    set_action(SIGRTMIN + 1, record, 0);
    sigqueue(getpid(), SIGRTMIN + 1, v);
    printf("sigqueue: rt %d value %ld ", got == SIGRTMIN + 1, got_value);
    print_info("");
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_signo = SIGUSR1;
    si.si_code = SI_QUEUE;
    si.si_pid = getpid();
    si.si_uid = getuid();
    si.si_value.sival_int = 77;
    syscall(SYS_rt_tgsigqueueinfo, getpid(), syscall(SYS_gettid), SIGUSR1, &si);
    printf("rt_tgsigqueueinfo: value %ld ", got_value);
    print_info("");
    struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGRTMIN + 2,
                          .sigev_value.sival_int = 99};
    set_action(SIGRTMIN + 2, record, 0);
    timer_t timer;
    if (timer_create(CLOCK_MONOTONIC, &ev, &timer))
        perror("timer_create");
    struct itimerspec its = {.it_value = {0, 2000000}};
    timer_settime(timer, 0, &its, NULL);
    while (!got)
        ;
    printf("timer: rt %d value %ld code-is-SI_TIMER %d\n", got == SIGRTMIN + 2, got_value,
           got_code == SI_TIMER);
    got = 0;
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
    timer_t timer2;
    timer_create(CLOCK_REALTIME, &ev, &timer2);
    timer_settime(timer2, 0, &its, NULL);
    while (!got)
        ;
    struct itimerspec left;
    timer_gettime(timer2, &left);
    printf("thread timer: rt %d, disarmed %d, overrun %d\n", got == SIGRTMIN + 2,
           left.it_value.tv_sec == 0 && left.it_value.tv_nsec == 0, timer_getoverrun(timer2));
    timer_delete(timer);
    timer_delete(timer2);
}

/* -- faults ------------------------------------------------------------------ */

static void to_jump(int sig, siginfo_t *si, void *uc)
{
    record(sig, si, uc);
    siglongjmp(jump, 1);
}

static void undefined_instruction(void)
{
#if defined(__i386__) || defined(__x86_64__)
    __asm__ volatile("ud2");
#elif defined(__aarch64__)
    __asm__ volatile(".inst 0x00000000");
#elif defined(__arm__) && defined(__thumb__)
    __asm__ volatile(".inst.n 0xde00");
#else
    __asm__ volatile(".inst 0xe7f000f0");
#endif
}

static void breakpoint(void)
{
#if defined(__i386__) || defined(__x86_64__)
    __asm__ volatile("int3");
#elif defined(__aarch64__)
    __asm__ volatile("brk #0");
#elif defined(__thumb__)
    __asm__ volatile(".inst.n 0xde01");
#else
    __asm__ volatile(".inst 0xe7f001f0");      /* the kernel's ARM breakpoint */
#endif
}

static void fault_case(const char *name, void (*fn)(void *), void *arg, char *base)
{
    got = 0;
    if (!sigsetjmp(jump, 1)) {
        fn(arg);
        printf("%s: no signal\n", name);
        return;
    }
    printf("%s: sig %d code %d", name, (int)got, got_code);
    if (base)
        printf(" addr base+%ld", (long)((char *)got_addr - base));
    printf("\n");
}

static void store(void *p) { *(volatile int *)p = 1; }
static void load(void *p) { (void)*(volatile int *)p; }
static void ill(void *p) { undefined_instruction(); }
static void trap(void *p) { breakpoint(); }
#if defined(__i386__) || defined(__x86_64__)
static void divide(void *p) { volatile int a = 7, b = 0; got_value = a / b; }
#endif

static void scenario_faults(void)
{
    int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE};
    for (unsigned i = 0; i < sizeof sigs / sizeof *sigs; i++)
        set_action(sigs[i], to_jump, SA_NODEFER);
    long page = sysconf(_SC_PAGESIZE);
    char *none = mmap(NULL, 2 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    fault_case("segv-accerr-load", load, none + 12, none);
    char *ro = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    fault_case("segv-accerr-store", store, ro + 100, ro);
    munmap(none, 2 * page);
    fault_case("segv-maperr", store, none + page + 8, none);
    fault_case("segv-null", store, NULL, (char *)0);
    fault_case("sigill", ill, NULL, NULL);
    fault_case("sigill-again", ill, NULL, NULL);
    char path[] = "/tmp/lu-signals-XXXXXX";
    int fd = mkstemp(path);
    unlink(path);
    if (write(fd, "x", 1) != 1)
        perror("write");
    char *file = mmap(NULL, 2 * page, PROT_READ, MAP_SHARED, fd, 0);
    fault_case("sigbus-past-eof", load, file + page + 4, file);
    close(fd);
#if defined(__i386__) || defined(__x86_64__)
    fault_case("sigfpe-divide", divide, NULL, NULL);
#endif
    fault_case("sigtrap", trap, NULL, NULL);
}

/* -- a handler moves the saved PC --------------------------------------------- */

/* The store that faults: movl $1, (%rax / %eax) is 6 bytes long; an ARM or
   AArch64 str is 4. */
static void skip_store(int sig, siginfo_t *si, void *ctx)
{
    ucontext_t *uc = ctx;
    got++;
    printf("skip: handler for the store at address %p\n", si->si_addr);
#if defined(__x86_64__)
    uc->uc_mcontext.gregs[REG_RIP] += 6;
#elif defined(__i386__)
    uc->uc_mcontext.gregs[REG_EIP] += 6;
#elif defined(__aarch64__)
    uc->uc_mcontext.pc += 4;
#else
    uc->uc_mcontext.arm_pc += uc->uc_mcontext.arm_cpsr & 0x20 ? 2 : 4;    /* Thumb: a 16-bit str */
#endif
}

static void scenario_skip(void)
{
    set_action(SIGSEGV, skip_store, 0);
    volatile long value = 5;
#if defined(__x86_64__)
    __asm__ volatile("xor %%eax, %%eax\n movl $1, (%%rax)\n addq $1, %0"
                     : "+m"(value) : : "rax", "memory");
#elif defined(__i386__)
    __asm__ volatile("xor %%eax, %%eax\n movl $1, (%%eax)\n addl $1, %0"
                     : "+m"(value) : : "eax", "memory");
#elif defined(__aarch64__)
    __asm__ volatile("mov x9, #0\n str x9, [x9]\n ldr x10, %0\n"
                     " add x10, x10, #1\n str x10, %0" : "+m"(value) : : "x9", "x10", "memory");
#else
    __asm__ volatile("mov r3, #0\n str r3, [r3]\n ldr r2, %0\n"
                     " add r2, r2, #1\n str r2, %0" : "+m"(value) : : "r2", "r3", "memory");
#endif
    printf("skip: handler ran %d, resumed after the store, value %ld\n", (int)got, value);
}

/* -- FP and SIMD state across an asynchronous handler ----------------------------- */

static volatile double handler_sum;
static volatile int ticks;

#define R4(m, a, b, c, d) m(a) m(b) m(c) m(d)
/* Every FP/SIMD register zeroed and the rounding mode set toward zero: what
   the interrupted code had there must come back from the signal frame. */
static void clobber_fp(void)
{
#if defined(__aarch64__)
#define Z(n) "movi v" #n ".16b, #0\n"
    __asm__ volatile(R4(Z, 0, 1, 2, 3) R4(Z, 4, 5, 6, 7) R4(Z, 8, 9, 10, 11) R4(Z, 12, 13, 14, 15)
                     R4(Z, 16, 17, 18, 19) R4(Z, 20, 21, 22, 23) R4(Z, 24, 25, 26, 27)
                     R4(Z, 28, 29, 30, 31) "mov x9, #(3 << 22)\n msr fpcr, x9"
                     ::: "x9", "memory");
#elif defined(__arm__)
#define Z(n) "vmov.i64 q" #n ", #0\n"
    __asm__ volatile(R4(Z, 0, 1, 2, 3) R4(Z, 4, 5, 6, 7) R4(Z, 8, 9, 10, 11) R4(Z, 12, 13, 14, 15)
                     "mov r3, #(3 << 22)\n vmsr fpscr, r3" ::: "r3", "memory");
#elif defined(__x86_64__)
#define Z(n) "pxor %%xmm" #n ", %%xmm" #n "\n"
    unsigned mxcsr = 0x7f80;                          /* round toward zero */
    __asm__ volatile(R4(Z, 0, 1, 2, 3) R4(Z, 4, 5, 6, 7) R4(Z, 8, 9, 10, 11) R4(Z, 12, 13, 14, 15)
                     "fninit\n ldmxcsr %0" :: "m"(mxcsr) : "memory");
#else
#define Z(n) "pxor %%xmm" #n ", %%xmm" #n "\n"
    unsigned short cw = 0x0f7f;                       /* x87 round toward zero */
    __asm__ volatile(R4(Z, 0, 1, 2, 3) R4(Z, 4, 5, 6, 7) "fldz\n fldz\n fldz\n fldcw %0"
                     :: "m"(cw) : "memory");
#endif
}

static void fp_handler(int sig, siginfo_t *si, void *uc)
{
    clobber_fp();
    double x = 0.1 * sig;
    for (int i = 0; i < 50; i++)
        x = x * 1.5 + 0.25 / (i + 1);
    handler_sum += x;
    ticks++;
}

static double fp_loop(long n)
{
    double a = 1.0, b = 0.5, c = 0.25, d = 3.0, e = 1e-3, f = 2.0, g = 0.75, h = 1.25;
    for (long i = 0; i < n; i++) {
        a = a * 1.0000001 + b * 1e-9;
        b = b * 0.9999999 + c * 1e-9;
        c = c + d * 1e-12;
        d = d * 0.99999999 + e;
        e = e * 0.5 + 1e-4;
        f = f * 1.00000001 - g * 1e-10;
        g = g + h * 1e-11;
        h = h * 0.99999999 + a * 1e-12;
    }
    return a + b + c + d + e + f + g + h;
}

static void scenario_fp(void)
{
    long n = 3000000;
    double quiet = fp_loop(n);
    set_action(SIGALRM, fp_handler, SA_RESTART);
    struct itimerval it = {{0, 1000}, {0, 1000}};
    setitimer(ITIMER_REAL, &it, NULL);
    double noisy = 0;
    while (ticks < 20)
        noisy = fp_loop(n / 10);
    noisy = fp_loop(n);
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    printf("fp: %d ticks or more; results equal %d (%.15g)\n", ticks >= 20, quiet == noisy, noisy);
}

/* -- flags ------------------------------------------------------------------------- */

static volatile int entries;

static void nesting(int sig, siginfo_t *si, void *uc)
{
    sigset_t now;
    entries++;
    depth++;
    if (depth > max_depth)
        max_depth = depth;
    sigprocmask(SIG_BLOCK, NULL, &now);
    printf("  in handler depth %d: own signal blocked %d, SIGUSR2 blocked %d\n", (int)depth,
           sigismember(&now, sig), sigismember(&now, SIGUSR2));
    if (depth < 3 && entries < 3)
        raise(sig);
    depth--;
}

static void scenario_flags(void)
{
    set_action(SIGUSR1, nesting, 0);
    max_depth = entries = 0;
    raise(SIGUSR1);
    printf("flags: default nesting depth %d, entries %d\n", (int)max_depth, entries);
    set_action(SIGUSR1, nesting, SA_NODEFER);
    max_depth = entries = 0;
    raise(SIGUSR1);
    printf("flags: SA_NODEFER nesting depth %d\n", (int)max_depth);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = nesting;
    sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
    sigaddset(&sa.sa_mask, SIGUSR2);
    sigaction(SIGUSR1, &sa, NULL);
    max_depth = 0;
    signal(SIGUSR1, SIG_IGN);
    sigaction(SIGUSR1, &sa, NULL);
    entries = 2;                            /* one level only */
    raise(SIGUSR1);
    depth = 0;
    sigaction(SIGUSR1, NULL, &sa);
    printf("flags: after SA_RESETHAND the action is SIG_DFL %d\n", sa.sa_handler == SIG_DFL);
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    printf("flags: mask restored after return %d\n", !sigismember(&now, SIGUSR1) && !sigismember(&now, SIGUSR2));
}

/* -- sigaltstack -------------------------------------------------------------------------- */

static void on_altstack(int sig, siginfo_t *si, void *uc)
{
    stack_t now;
    sigaltstack(NULL, &now);
    got = sig;
    got_code = now.ss_flags;
    siglongjmp(jump, 1);
}

static volatile int recurse_forever = 1;

static int recurse(int n)
{
    volatile char pad[1024];
    pad[0] = (char)n;
    return recurse_forever ? recurse(n + 1) + pad[0] : n;
}

static void scenario_altstack(void)
{
    stack_t ss = {.ss_sp = malloc(1 << 16), .ss_size = 1 << 16, .ss_flags = 0};
    sigaltstack(&ss, NULL);
    stack_t now;
    sigaltstack(NULL, &now);
    printf("altstack: set, flags %d size ok %d\n", now.ss_flags, now.ss_size == ss.ss_size);
    set_action(SIGSEGV, on_altstack, SA_ONSTACK);
    if (!sigsetjmp(jump, 1))
        recurse(0);
    printf("altstack: overflow caught, sig %d, on the alternate stack %d\n", (int)got,
           got_code == SS_ONSTACK);
    sigaltstack(NULL, &now);
    printf("altstack: after the handler flags %d\n", now.ss_flags);
}

/* -- threads --------------------------------------------------------------------------- */

static volatile pid_t handler_tid, worker_tid;
static volatile int spin_stop;

static void note_tid(int sig, siginfo_t *si, void *uc)
{
    handler_tid = (pid_t)syscall(SYS_gettid);
    spin_stop = 1;
}

static void *spinner(void *arg)
{
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pthread_sigmask(SIG_UNBLOCK, &usr1, NULL);
    worker_tid = (pid_t)syscall(SYS_gettid);
    while (!spin_stop)
        ;
    return NULL;
}

static void *canceled(void *arg)
{
    int async = *(int *)arg;
    if (async) {
        pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL);
        for (volatile long i = 0;; i++)
            ;
    }
    for (;;)
        pause();
    return NULL;
}

static void scenario_threads(void)
{
    set_action(SIGUSR1, note_tid, 0);
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &block, NULL);        /* only the worker takes it */
    pthread_t th;
    spin_stop = 0;
    worker_tid = 0;
    pthread_create(&th, NULL, spinner, NULL);
    while (!worker_tid)
        ;
    kill(getpid(), SIGUSR1);
    pthread_join(th, NULL);
    printf("threads: process signal taken by the unblocked thread %d\n", handler_tid == worker_tid);
    pthread_sigmask(SIG_UNBLOCK, &block, NULL);
    spin_stop = 0;
    worker_tid = 0;
    pthread_create(&th, NULL, spinner, NULL);
    while (!worker_tid)
        ;
    pthread_kill(th, SIGUSR1);
    pthread_join(th, NULL);
    printf("threads: pthread_kill reached the spinning thread %d\n", handler_tid == worker_tid);
    for (int async = 0; async < 2; async++) {
        void *res;
        pthread_create(&th, NULL, canceled, &async);
        usleep(20000);
        pthread_cancel(th);
        pthread_join(th, &res);
        printf("threads: %s cancel %d\n", async ? "asynchronous" : "deferred", res == PTHREAD_CANCELED);
    }
    spin_stop = 0;
    worker_tid = 0;
    pthread_create(&th, NULL, spinner, NULL);
    uid_t r, e, s;
    getresuid(&r, &e, &s);
    printf("threads: setresuid to the same ids %d\n", setresuid(r, e, s));
    spin_stop = 1;
    pthread_join(th, NULL);
}

/* -- preemption as Go does it ------------------------------------------------------------ */

/* Six threads spin in preempt_spin (a register loop: a counter, flags, a
   running value) while the main thread sends each a stream of tgkill'd
   SIGURG.  The handler, like Go's asynchronous preemption, rewrites the saved
   context when the PC is in the loop: it pushes the return path on the
   interrupted stack and moves the PC to preempt_injected, which returns to
   the old PC.  Each thread's result must be what it is without signals. */
long preempt_spin(long n, long seed);
extern char preempt_loop[], preempt_loop_end[], preempt_injected[];
#define PREEMPT_SYMBOLS ".text\n.globl preempt_spin, preempt_loop, preempt_loop_end, " \
                        "preempt_injected\n"
#if defined(__x86_64__)
/* The injected call's return address goes below the red zone: ret $128 skips it. */
__asm__(PREEMPT_SYMBOLS ".type preempt_spin, @function\npreempt_spin:\n"
        " mov %rsi, %rax\n"
        "preempt_loop:\n lea 1(%rax,%rax,2), %rax\n xor %rsi, %rax\n dec %rdi\n jnz preempt_loop\n"
        "preempt_loop_end:\n ret\n"
        "preempt_injected:\n pushfq\n popfq\n ret $128\n");
#elif defined(__i386__)
__asm__(PREEMPT_SYMBOLS ".type preempt_spin, @function\npreempt_spin:\n"
        " mov 4(%esp), %ecx\n mov 8(%esp), %edx\n mov %edx, %eax\n"
        "preempt_loop:\n lea 1(%eax,%eax,2), %eax\n xor %edx, %eax\n dec %ecx\n jnz preempt_loop\n"
        "preempt_loop_end:\n ret\n"
        "preempt_injected:\n pushfl\n popfl\n ret\n");
#elif defined(__aarch64__)
/* Go's arm64 way: the old LR on the stack, LR = the old PC; x17 is scratch. */
__asm__(PREEMPT_SYMBOLS ".type preempt_spin, %function\npreempt_spin:\n"
        " mov x2, x1\n"
        "preempt_loop:\n add x2, x2, x2, lsl #1\n add x2, x2, #1\n eor x2, x2, x1\n"
        " subs x0, x0, #1\n b.ne preempt_loop\n"
        "preempt_loop_end:\n mov x0, x2\n ret\n"
        "preempt_injected:\n mov x17, x30\n ldr x30, [sp], #16\n br x17\n");
#else
/* Go's arm way (ARM state): the old LR on the stack, LR = the old PC; r12 is scratch. */
__asm__(PREEMPT_SYMBOLS ".arm\n.type preempt_spin, %function\npreempt_spin:\n"
        " mov r2, r1\n"
        "preempt_loop:\n add r2, r2, r2, lsl #1\n add r2, r2, #1\n eor r2, r2, r1\n"
        " subs r0, r0, #1\n bne preempt_loop\n"
        "preempt_loop_end:\n mov r0, r2\n bx lr\n"
        "preempt_injected:\n mov r12, lr\n ldr lr, [sp], #4\n bx r12\n");
#endif

static volatile int preempt_injections;

static void preempt(int sig, siginfo_t *si, void *ctx)
{
    ucontext_t *uc = ctx;
#if defined(__x86_64__)
    greg_t *pc = &uc->uc_mcontext.gregs[REG_RIP], *sp = &uc->uc_mcontext.gregs[REG_RSP];
    uintptr_t ret = *pc, slot = *sp - 128 - 8;
#elif defined(__i386__)
    greg_t *pc = &uc->uc_mcontext.gregs[REG_EIP], *sp = &uc->uc_mcontext.gregs[REG_ESP];
    uintptr_t ret = *pc, slot = *sp - 4;
#elif defined(__aarch64__)
    unsigned long long *pc = &uc->uc_mcontext.pc, *sp = &uc->uc_mcontext.sp;
    uintptr_t ret = uc->uc_mcontext.regs[30], slot = *sp - 16;
#else
    unsigned long *pc = &uc->uc_mcontext.arm_pc, *sp = &uc->uc_mcontext.arm_sp;
    uintptr_t ret = uc->uc_mcontext.arm_lr, slot = *sp - 4;
#endif
    if (*pc < (uintptr_t)preempt_loop || *pc >= (uintptr_t)preempt_loop_end)
        return;                                  /* not an asynchronous safe point */
    *(uintptr_t *)slot = ret;
    *sp = slot;
#if defined(__aarch64__)
    uc->uc_mcontext.regs[30] = *pc;
#elif defined(__arm__)
    uc->uc_mcontext.arm_lr = *pc;
#endif
    *pc = (uintptr_t)preempt_injected;
    __sync_fetch_and_add(&preempt_injections, 1);
}

struct preempt_worker {
    long seed, result;
    volatile pid_t tid;
    volatile int done;
};

enum { PREEMPT_THREADS = 6, PREEMPT_SPINS = 40000000 };

static void *preempt_worker(void *arg)
{
    struct preempt_worker *w = arg;
    w->tid = (pid_t)syscall(SYS_gettid);
    w->result = preempt_spin(PREEMPT_SPINS, w->seed);
    w->done = 1;
    return NULL;
}

static void scenario_preempt(void)
{
    struct preempt_worker w[PREEMPT_THREADS];
    long expected[PREEMPT_THREADS];
    pthread_t th[PREEMPT_THREADS];
    memset(w, 0, sizeof w);
    for (int i = 0; i < PREEMPT_THREADS; i++) {
        w[i].seed = 12345 + 1000 * i;
        expected[i] = preempt_spin(PREEMPT_SPINS, w[i].seed);
    }
    set_action(SIGURG, preempt, SA_RESTART);
    for (int i = 0; i < PREEMPT_THREADS; i++) {
        pthread_create(&th[i], NULL, preempt_worker, &w[i]);
        while (!w[i].tid)
            ;
    }
    long sent = 0;
    for (int running = 1; running;) {
        running = 0;
        for (int i = 0; i < PREEMPT_THREADS; i++)
            if (!w[i].done) {
                running = 1;
                if (syscall(SYS_tgkill, getpid(), w[i].tid, SIGURG) == 0)
                    sent++;
            }
    }
    for (int i = 0; i < PREEMPT_THREADS; i++) {
        pthread_join(th[i], NULL);
        printf("preempt: thread %d result unchanged %d\n", i, w[i].result == expected[i]);
    }
    printf("preempt: signals sent %d, calls injected %d\n", sent > 0, preempt_injections > 0);
}

/* -- waiting --------------------------------------------------------------------------- */

static void count(int sig, siginfo_t *si, void *uc) { got = sig; }

static void scenario_wait(void)
{
    int fds[2];
    char c;
    if (pipe(fds))
        perror("pipe");
    set_action(SIGALRM, count, 0);
    got = 0;
    alarm(1);
    ssize_t n = read(fds[0], &c, 1);
    printf("wait: read without SA_RESTART %zd errno %s handler %d\n", n,
           n < 0 && errno == EINTR ? "EINTR" : "other", got == SIGALRM);
    set_action(SIGALRM, count, SA_RESTART);
    got = 0;
    pid_t child = fork();
    if (child == 0) {
        usleep(1500000);
        if (write(fds[1], "y", 1) != 1)
            _exit(1);
        _exit(0);
    }
    alarm(1);
    n = read(fds[0], &c, 1);
    printf("wait: read with SA_RESTART %zd '%c' handler %d\n", n, n == 1 ? c : '?', got == SIGALRM);
    waitpid(child, NULL, 0);

    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, &old);
    kill(getpid(), SIGUSR2);
    sigset_t pending;
    sigpending(&pending);
    printf("wait: blocked SIGUSR2 pending %d\n", sigismember(&pending, SIGUSR2));
    siginfo_t si;
    int sig = sigwaitinfo(&set, &si);
    printf("wait: sigwaitinfo %d code %d pid-ok %d\n", sig, si.si_code, si.si_pid == getpid());
    int sfd = signalfd(-1, &set, 0);
    kill(getpid(), SIGUSR2);
    struct signalfd_siginfo ssi;
    n = read(sfd, &ssi, sizeof ssi);
    printf("wait: signalfd read %zd signo %u pid-ok %d\n", n, ssi.ssi_signo, ssi.ssi_pid == (uint32_t)getpid());
    close(sfd);
    set_action(SIGUSR2, count, 0);
    got = 0;
    if (fork() == 0) {
        usleep(100000);
        kill(getppid(), SIGUSR2);
        _exit(0);
    }
    sigset_t waitmask;
    sigemptyset(&waitmask);
    int r = sigsuspend(&waitmask);
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    printf("wait: sigsuspend %d errno %s handler %d mask back %d\n", r,
           errno == EINTR ? "EINTR" : "other", got == SIGUSR2, sigismember(&now, SIGUSR2));
    wait(NULL);
    sigprocmask(SIG_SETMASK, &old, NULL);
}

/* -- SIGCHLD ------------------------------------------------------------------------------ */

static void scenario_child(void)
{
    set_action(SIGCHLD, record, 0);
    got = 0;
    pid_t child = fork();
    if (child == 0)
        _exit(7);
    while (!got)
        usleep(1000);
    int status;
    waitpid(child, &status, 0);
    printf("child: SIGCHLD %d code %d (CLD_EXITED %d) pid-ok %d status %d\n", got == SIGCHLD,
           got_code, got_code == CLD_EXITED, got_pid == child, WEXITSTATUS(status));
}

/* -- default stop and continue ------------------------------------------------------------- */

static void scenario_stop(void)
{
    pid_t child = fork();
    if (child == 0) {
        raise(SIGTSTP);
        _exit(5);
    }
    int status;
    waitpid(child, &status, WUNTRACED);
    printf("stop: stopped %d by signal %d\n", WIFSTOPPED(status), WSTOPSIG(status));
    kill(child, SIGCONT);
    waitpid(child, &status, 0);
    printf("stop: continued and exited %d\n", WEXITSTATUS(status));
}

/* -- fork and execve ---------------------------------------------------------------------- */

static void report_inherited(const char *who)
{
    struct sigaction usr1, usr2;
    sigset_t mask;
    sigaction(SIGUSR1, NULL, &usr1);
    sigaction(SIGUSR2, NULL, &usr2);
    sigprocmask(SIG_BLOCK, NULL, &mask);
    printf("%s: SIGUSR1 ignored %d, SIGUSR2 %s, SIGHUP blocked %d\n", who,
           usr1.sa_handler == SIG_IGN, usr2.sa_handler == SIG_DFL ? "default" : "handled",
           sigismember(&mask, SIGHUP));
}

static void scenario_inherit(const char *self)
{
    signal(SIGUSR1, SIG_IGN);
    set_action(SIGUSR2, record, 0);
    sigset_t hup;
    sigemptyset(&hup);
    sigaddset(&hup, SIGHUP);
    sigprocmask(SIG_BLOCK, &hup, NULL);
    report_inherited("parent");
    pid_t child = fork();
    if (child == 0) {
        report_inherited("fork child");
        got = 0;
        raise(SIGUSR2);
        printf("fork child: handler ran %d\n", got == SIGUSR2);
        execl(self, self, "exec-child", (char *)NULL);
        _exit(99);
    }
    int status;
    waitpid(child, &status, 0);
    printf("inherit: child exit %d\n", WEXITSTATUS(status));
}

/* -- one process, for -strace --------------------------------------------------------------- */

static int strace_pipe[2];

static void feed_pipe(int sig, siginfo_t *si, void *uc)
{
    got = sig;
    if (write(strace_pipe[1], "z", 1) != 1)
        _exit(2);
}

static void scenario_strace(void)
{
    char c;
    set_action(SIGUSR1, record, 0);
    raise(SIGUSR1);
    kill(getpid(), SIGUSR1);
    union sigval v = {.sival_int = 7};
    sigqueue(getpid(), SIGUSR1, v);
    if (pipe(strace_pipe))
        perror("pipe");
    set_action(SIGALRM, record, 0);
    alarm(1);
    ssize_t n = read(strace_pipe[0], &c, 1);
    set_action(SIGALRM, feed_pipe, SA_RESTART);
    alarm(1);
    ssize_t m = read(strace_pipe[0], &c, 1);
    printf("strace: read %zd then %zd '%c'\n", n, m, c);
}

/* -- fatal ------------------------------------------------------------------------------- */

static void fault_again(int sig, siginfo_t *si, void *uc)
{
    printf("recursive: in the handler\n");
    fflush(stdout);
    store(NULL);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    const char *what = argc > 1 ? argv[1] : "all";
    int all = strcmp(what, "all") == 0;
    struct { const char *name; void (*fn)(void); } scenarios[] = {
        {"info", scenario_info}, {"faults", scenario_faults}, {"skip", scenario_skip},
        {"fp", scenario_fp}, {"flags", scenario_flags}, {"altstack", scenario_altstack},
        {"threads", scenario_threads}, {"wait", scenario_wait}, {"child", scenario_child},
        {"stop", scenario_stop}, {"preempt", scenario_preempt},
    };
    for (unsigned i = 0; i < sizeof scenarios / sizeof *scenarios; i++)
        if (all || strcmp(what, scenarios[i].name) == 0)
            scenarios[i].fn();
    if (strcmp(what, "strace") == 0)
        scenario_strace();
    if (strcmp(what, "inherit") == 0)
        scenario_inherit(argv[0]);
    if (strcmp(what, "exec-child") == 0)
        report_inherited("exec child");
    if (strcmp(what, "blocked") == 0) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGSEGV);
        set_action(SIGSEGV, to_jump, 0);
        sigprocmask(SIG_BLOCK, &set, NULL);
        printf("blocked: about to fault\n");
        store(NULL);
        printf("blocked: survived\n");
    }
    if (strcmp(what, "recursive") == 0) {
        set_action(SIGSEGV, fault_again, 0);
        store(NULL);
        printf("recursive: survived\n");
    }
    return 0;
}
