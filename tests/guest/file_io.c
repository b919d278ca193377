/*
 * File I/O round trip in the directory given by argv[1]:
 * open/write/pwrite/writev, then lseek/read/pread/readv, fstat/stat sizes,
 * ftruncate, rename, unlink, and a final stat that must fail with ENOENT.
 * Prints one line per check; exits 1 on the first failure.
 * Output contains no paths, so it is the same whatever directory is used.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

static int failures;

static void check(int ok, const char *what)
{
    printf("%s: %s\n", what, ok ? "ok" : "FAIL");
    if (!ok) {
        printf("errno=%d (%s)\n", errno, strerror(errno));
        failures++;
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    char path[4096], path2[4096];
    snprintf(path, sizeof path, "%s/file_io_test.dat", argv[1]);
    snprintf(path2, sizeof path2, "%s/file_io_test.renamed", argv[1]);
    unlink(path);
    unlink(path2);
    umask(022);

    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    check(fd >= 0, "open O_CREAT");
    if (fd < 0)
        return 1;

    const char *a = "0123456789";
    ssize_t n = write(fd, a, 10);
    check(n == 10, "write 10 bytes");

    n = pwrite(fd, "ABCDE", 5, 20); /* leaves a hole at 10..19 */
    check(n == 5, "pwrite 5 bytes at offset 20");

    off_t pos = lseek(fd, 0, SEEK_CUR);
    check(pos == 10, "pwrite does not move the file offset");

    struct iovec wv[3] = {
        { (void *)"abc", 3 }, { (void *)"", 0 }, { (void *)"defg", 4 },
    };
    n = writev(fd, wv, 3);
    check(n == 7, "writev 3 iovecs, 7 bytes");

    struct stat st;
    check(fstat(fd, &st) == 0 && st.st_size == 25, "fstat size 25");
    check(S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0644,
          "fstat mode regular 0644");

    pos = lseek(fd, 0, SEEK_SET);
    check(pos == 0, "lseek SEEK_SET 0");
    char buf[64];
    memset(buf, 'x', sizeof buf);
    n = read(fd, buf, sizeof buf);
    check(n == 25, "read returns 25 bytes");
    check(memcmp(buf, "0123456789abcdefg", 17) == 0, "read data prefix");
    int zeros = 1;
    for (int i = 17; i < 20; i++)
        zeros &= buf[i] == 0;
    check(zeros, "hole reads as zeros");
    check(memcmp(buf + 20, "ABCDE", 5) == 0, "read pwritten data");

    n = read(fd, buf, sizeof buf);
    check(n == 0, "read at EOF returns 0");

    memset(buf, 0, sizeof buf);
    n = pread(fd, buf, 4, 12);
    check(n == 4 && memcmp(buf, "cdef", 4) == 0, "pread 4 bytes at 12");
    check(lseek(fd, 0, SEEK_CUR) == 25, "pread does not move the offset");

    pos = lseek(fd, -5, SEEK_END);
    check(pos == 20, "lseek SEEK_END -5");
    char r1[2] = {0}, r2[3] = {0};
    struct iovec rv[2] = { { r1, 2 }, { r2, 3 } };
    n = readv(fd, rv, 2);
    check(n == 5 && memcmp(r1, "AB", 2) == 0 && memcmp(r2, "CDE", 3) == 0,
          "readv into 2 iovecs");

    check(ftruncate(fd, 12) == 0, "ftruncate to 12");
    check(fstat(fd, &st) == 0 && st.st_size == 12, "fstat size 12");
    check(close(fd) == 0, "close");

    check(stat(path, &st) == 0 && st.st_size == 12, "stat size 12");
    check(rename(path, path2) == 0, "rename");
    errno = 0;
    check(stat(path, &st) == -1 && errno == ENOENT, "old name gone (ENOENT)");

    fd = open(path2, O_RDONLY);
    check(fd >= 0, "reopen renamed file O_RDONLY");
    memset(buf, 0, sizeof buf);
    n = read(fd, buf, sizeof buf);
    check(n == 12 && memcmp(buf, "0123456789ab", 12) == 0, "read after rename");
    errno = 0;
    check(write(fd, "z", 1) == -1 && errno == EBADF, "write on O_RDONLY fails EBADF");
    close(fd);

    check(unlink(path2) == 0, "unlink");
    errno = 0;
    check(stat(path2, &st) == -1 && errno == ENOENT, "stat after unlink ENOENT");
    errno = 0;
    check(open(path2, O_RDONLY) == -1 && errno == ENOENT, "open after unlink ENOENT");

    printf("%s\n", failures ? "FAILED" : "all file checks passed");
    return failures ? 1 : 0;
}
