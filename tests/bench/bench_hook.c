/*
 * bench_hook: the cost of a hooked call with an empty wrapper, on top of
 * the original.  Times 50 million calls of pp_fx_cmp_jae (shaped like
 * Debian's ngx_palloc) before and after hooking, best of 5 rounds, and
 * prints nanoseconds per call.  Part of `make bench`, never of `make
 * check`: timings vary with the machine.
 */

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "pp_elf.h"
#include "pp_patch.h"


#define CALLS   50000000L
#define ROUNDS  5

typedef long (*pp_fx_pt)(long a, long b);

long pp_fx_cmp_jae(long a, long b);

static pp_fx_pt  orig;


static long
wrap(long a, long b)
{
    return orig(a, b);
}


static double
now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec * 1e9 + ts.tv_nsec;
}


static double
best(long *cell)
{
    int                     r;
    long                    i;
    double                  t, b;
    volatile long           sink;
    pp_fx_pt volatile       fx = pp_fx_cmp_jae;

    b = 1e30;

    for (r = 0; r < ROUNDS; r++) {
        t = now();
        for (i = 0; i < CALLS; i++) {
            sink = fx((long) cell, i & 1023);
        }
        t = (now() - t) / CALLS;
        b = t < b ? t : b;
    }

    (void) sink;

    return b;
}


int
main(void)
{
    char       err[160];
    long       cell[2] = { 0, 512 };
    double     plain, hooked;
    size_t     size;
    uintptr_t  addr;
    pp_elf_t   elf;
    pp_hook_t  h;

    plain = best(cell);

    if (pp_elf_open(&elf) != 0
        || pp_elf_lookup(&elf, "pp_fx_cmp_jae", &addr, &size) != 0)
    {
        fprintf(stderr, "bench_hook: failed to find pp_fx_cmp_jae\n");
        return 1;
    }
    pp_elf_close(&elf);

    memset(&h, 0, sizeof(h));
    h.name = "pp_fx_cmp_jae";
    h.addr = addr;
    h.size = size;
    h.wrapper = (void *) wrap;
    h.orig = (void **) &orig;

    if (pp_patch_hook(&h, err, sizeof(err)) != 0) {
        fprintf(stderr, "bench_hook: failed to hook: %s\n", err);
        return 1;
    }

    hooked = best(cell);

    printf("plain %.2f ns/call, hooked (empty wrapper) %.2f ns/call, "
           "overhead %.2f ns/call\n", plain, hooked, hooked - plain);

    return 0;
}
