/*
 * The pool tracker as a whole: its start, its state after fork(), its
 * end.  The work is in pp_pool.c (records), pp_alog.c (allocation
 * logs and frees), pp_end.c (a pool's end), pp_publish.c (the live
 * table) and pp_growth.c (long-lived pools).
 */

#include "pp_track.h"
#include "pp_pool.h"
#include "pp_alog.h"
#include "pp_range.h"
#include "pp_publish.h"
#include "pp_bufs.h"


/* nginx's clock when it has none: every pool stays as old as at birth */
static uintptr_t  pp_no_msec;


void
pp_track_init(void)
{
    int       lazy;
    uint64_t  ll;

    ll = pp_proc.long_lived_ns;
    pp_proc.long_lived_ms = ll == PP_LONG_LIVED_OFF ? INT64_MAX : ll / 1000000;

    lazy = 1;

    if (pp_proc.ngx_msec == NULL) {
        pp_proc.ngx_msec = &pp_no_msec;
        if (pp_proc.long_lived_ms != 0) {
            pp_proc.long_lived_ms = INT64_MAX;
        }
        lazy = 0;
    }

    pp_sample_init(pp_proc.sample_period, pp_conf.sample_seed);
    pp_alog_init(pp_conf.max_tracked);

    /*
     * Records are bounded with the logs: a record is about the size of
     * 16 log entries, and most pools log a few dozen allocations; 64 at
     * the least, so that a tiny budget still tracks a few pools.
     */
    pp_pool_init(pp_conf.max_tracked / 8 + 64);

    /*
     * Ranges of pool memory (48 bytes, and at most 64 of slots): a
     * pool has one for each block and live large allocation.
     */
    pp_range_init(pp_conf.max_tracked / 8 + 1024);

    pp_publish_init(lazy);
}


/*
 * A forked child, in a shard of its own (pp_shard_claim() emptied its
 * tables): every recorder that keeps per-process state starts again.
 */
void
pp_proc_forked(void)
{
    pp_stack_reset();
    pp_bufs_reset();
    pp_publish_reset();
    pp_pool_forked();
}


/* a clean exit: every live pool is published, up to date */
void
pp_track_exit(void)
{
    pp_publish_tick(1);
    pp_pool_exit();
}
