/* Strings of every length around strace's -s limits (1, 8, 16, 32, 100), for
 * comparing linuxuser's -strace with real strace: byte buffers (write, read),
 * with escapes that take several characters to print, and C strings (paths). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static const int limits[] = {1, 8, 16, 32, 100};

int main(void)
{
    int out = open("/dev/null", O_WRONLY), zero = open("/dev/zero", O_RDONLY);
    char text[128], mixed[128], path[160], buf[128];
    for (int i = 0; i < (int)sizeof text; i++) {
        text[i] = 'a' + i % 26;
        mixed[i] = "x\n\t\"\\\001\377y"[i % 8];
    }
    for (size_t k = 0; k < sizeof limits / sizeof limits[0]; k++) {
        for (int n = limits[k] - 2; n <= limits[k] + 2; n++) {
            if (n < 0) continue;
            write(out, text, n);
            write(out, mixed, n);
            read(zero, buf, n);
            memset(path, 0, sizeof path);
            memcpy(path, "/nonexistent/", 13);
            memset(path + 13, 'p', n > 13 ? n - 13 : 0);
            path[n > 13 ? n : 13] = 0;
            access(path, F_OK);
        }
    }
    write(out, "ends with a NUL\0", 16);
    write(out, "\0\0\0", 3);
    return 0;
}
