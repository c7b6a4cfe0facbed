/*
 * bench_take: what a growing pool's take of a slot in a full live table
 * costs (shim/pp_publish.c), in a table of the default size (a 2 MiB
 * shard: 1747 slots) and in one ten times as large.  Every slot is taken
 * by a pool larger than the one that asks, so that each take looks as
 * far as it ever does and finds nothing; 100000 takes, best of 5 rounds.
 * The cost of a take must not grow with the table: the second figure
 * within 2x of the first.  Part of `make bench`, never of `make check`.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pp_publish.h"


#define TAKES   100000
#define ROUNDS  5

pp_proc_t           pp_proc;
uint64_t            pp_serial;

static pp_totals_t  totals;
static uintptr_t    msec;


/* the tick's walk: no record is newer than a tick here */
pp_tpool_t *
pp_pool_newest(void)
{
    return NULL;
}


pp_tpool_t *
pp_pool_older(pp_tpool_t *l)
{
    (void) l;
    return NULL;
}


static double
now_ns(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec * 1e9 + ts.tv_nsec;
}


/* ns per take in a full table of n slots; -1 without memory */
static double
take_ns(uint32_t n)
{
    int          r, t;
    double       best, t0, t1;
    uint32_t     i;
    pp_lpool_t  *live;
    pp_tpool_t  *pools, grower;

    live = calloc(n, sizeof(pp_lpool_t));
    pools = calloc(n, sizeof(pp_tpool_t));
    if (live == NULL || pools == NULL) {
        free(live);
        free(pools);
        return -1;
    }

    pp_proc.totals = &totals;
    pp_proc.live = live;
    pp_proc.lay.nlive = n;
    pp_proc.long_lived_ns = 3600ULL * 1000000000;
    pp_proc.ngx_msec = &msec;
    pp_publish_init(1);

    for (i = 0; i < n; i++) {
        pools[i].key = 0x10000 + (uintptr_t) i * 0x100;
        pools[i].small_bytes = 1000;
        pools[i].blocks = 2;
        pools[i].slot = -1;
        pools[i].created_ns = pp_mono_ns();
        pp_publish_inherited(&pools[i]);
    }

    memset(&grower, 0, sizeof(grower));
    grower.key = 0x1000;
    grower.small_bytes = 500;
    grower.blocks = 2;
    grower.slot = -1;

    best = 0;

    for (r = 0; r < ROUNDS; r++) {
        t0 = now_ns();
        for (t = 0; t < TAKES; t++) {
            pp_publish_blocks(&grower);
        }
        t1 = now_ns();

        if (r == 0 || t1 - t0 < best) {
            best = t1 - t0;
        }
    }

    pp_proc.lay.nlive = 0;
    pp_publish_reset();
    free(live);
    free(pools);

    return grower.slot == -1 ? best / TAKES : -1;
}


int
main(void)
{
    double  a, b;

    a = take_ns(1747);
    b = take_ns(17470);

    if (a < 0 || b < 0) {
        fprintf(stderr, "bench_take: no memory, or a take found a slot\n");
        return 1;
    }

    printf("take of a slot in a full live table: %.1f ns at 1747 slots, "
           "%.1f ns at 17470: %s\n", a, b,
           b <= 2 * a ? "within 2x (holds)" : "not within 2x (does not hold)");

    return 0;
}
