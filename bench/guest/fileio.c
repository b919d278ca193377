/*
 * File I/O: write 64 MiB to a new file in 64 KiB blocks, close it, then read it
 * back in 64 KiB blocks.  Data goes through the guest's buffers and the host's
 * page cache (no fsync): this measures the emulator's read/write path.
 *   fileio DIR [scale]
 */
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include "bench.h"

#define BLOCK (64 * 1024)

static unsigned char block[BLOCK];

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: fileio DIR [scale]\n");
        return 2;
    }
    long blocks = (long)(1024 * bench_scale(argc, argv, 2));     /* 1024 x 64 KiB = 64 MiB */
    char path[4096];
    snprintf(path, sizeof path, "%s/fileio.%d.dat", argv[1], (int)getpid());
    unsigned int seed = 12345;
    for (size_t i = 0; i < BLOCK; i++)
        block[i] = (unsigned char)xorshift32(&seed);

    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) {
        perror(path);
        return 1;
    }
    double t0 = bench_now();
    for (long b = 0; b < blocks; b++) {
        block[0] = (unsigned char)b;
        if (write(fd, block, BLOCK) != BLOCK) {
            perror("write");
            return 1;
        }
    }
    if (close(fd) != 0) {
        perror("close");
        return 1;
    }
    double t_write = bench_now() - t0;

    fd = open(path, O_RDONLY);
    if (fd < 0) {
        perror(path);
        return 1;
    }
    uint32_t h = 2166136261u;
    long got = 0;
    t0 = bench_now();
    for (;;) {
        ssize_t r = read(fd, block, BLOCK);
        if (r < 0) {
            perror("read");
            return 1;
        }
        if (r == 0)
            break;
        got += r;
        h = (h ^ block[0] ^ block[r - 1]) * 16777619u;
    }
    double t_read = bench_now() - t0;
    close(fd);
    unlink(path);
    if (got != blocks * BLOCK) {
        fprintf(stderr, "fileio: read %ld bytes, wrote %ld\n", got, blocks * BLOCK);
        return 1;
    }
    bench_report("write", t_write, "s");
    bench_report("read", t_read, "s");
    printf("CHECK %08x\n", h);
    return 0;
}
