/* sysinfo(2) and the sysconf values glibc derives from it (qsort asks). */
#include <stdio.h>
#include <sys/sysinfo.h>
#include <unistd.h>

int main(void)
{
    struct sysinfo si;
    int r = sysinfo(&si);
    unsigned long long total = (unsigned long long)si.totalram * si.mem_unit;
    printf("sysinfo = %d\n", r);
    printf("totalram in bytes > 64 MiB: %d\n", total > (64ULL << 20));
    printf("freeram <= totalram: %d\n", si.freeram <= si.totalram);
    printf("procs > 0: %d, uptime > 0: %d\n", si.procs > 0, si.uptime > 0);
    printf("_SC_PHYS_PAGES > 0: %d\n", sysconf(_SC_PHYS_PAGES) > 0);
    printf("_SC_AVPHYS_PAGES > 0: %d\n", sysconf(_SC_AVPHYS_PAGES) > 0);
    return 0;
}
