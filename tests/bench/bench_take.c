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
#include <time.h>

#include "pp_pubfix.h"


#define TAKES   100000
#define ROUNDS  5


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
    pp_lpool_t  *live;
    pp_tpool_t  *pools, grower;

    live = calloc(n, sizeof(pp_lpool_t));
    pools = calloc(n, sizeof(pp_tpool_t));
    if (live == NULL || pools == NULL) {
        free(live);
        free(pools);
        return -1;
    }

    pp_pubfix_table(live, pools, n, 1000);
    pp_pubfix_record(&grower, 0x1000, 500);

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
