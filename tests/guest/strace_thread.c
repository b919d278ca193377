/*
 * A second thread for the -strace log tests.  Each thread's own sequence of
 * syscalls is the same in every run (only how the two interleave varies): the
 * worker waits for "go" on a pipe, answers on another, then blocks reading a
 * pipe nobody writes; the main thread sends "go", waits for the answer,
 * prints it, gives the worker time to block, and exits while it is blocked, so
 * the log shows the worker's read ending unfinished, as strace shows it.
 */
#include <pthread.h>
#include <time.h>
#include <unistd.h>

static int go[2], reply[2], never[2];

static void *worker(void *arg)
{
    char c;
    (void)arg;
    if (read(go[0], &c, 1) == 1)
        write(reply[1], "hello from the thread\n", 22);
    read(never[0], &c, 1);          /* blocks until the process exits */
    return NULL;
}

int main(void)
{
    pthread_t t;
    char buf[64];
    if (pipe(go) || pipe(reply) || pipe(never))
        return 1;
    if (pthread_create(&t, NULL, worker, NULL) != 0)
        return 1;
    write(go[1], "g", 1);
    ssize_t n = read(reply[0], buf, sizeof buf);
    if (n <= 0)
        return 1;
    write(1, buf, (size_t)n);
    struct timespec pause = { 0, 100 * 1000 * 1000 };
    nanosleep(&pause, NULL);        /* the worker reaches its read meanwhile */
    return 0;
}
