/*
 * A second thread for the -strace log tests: the main thread starts a thread
 * that writes a line to a pipe, waits for it to finish, reads the line back and
 * prints it.  The thread's syscalls and the main thread's wait are what the
 * log shows with [pid N] prefixes.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int fds[2];

static void *worker(void *arg)
{
    const char *msg = arg;
    write(fds[1], msg, strlen(msg));
    return NULL;
}

int main(void)
{
    pthread_t t;
    char buf[64];
    if (pipe(fds) != 0)
        return 1;
    if (pthread_create(&t, NULL, worker, "hello from the thread\n") != 0)
        return 1;
    pthread_join(t, NULL);
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n <= 0)
        return 1;
    fwrite(buf, 1, (size_t)n, stdout);
    return 0;
}
