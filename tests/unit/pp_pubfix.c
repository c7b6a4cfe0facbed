/*
 * A shard's live table in ordinary memory, for shim/pp_publish.c alone
 * (pp_pubfix.h).
 */

#include <stdint.h>
#include <string.h>

#include "pp_pubfix.h"


pp_proc_t           pp_proc;
uint64_t            pp_serial;

static pp_totals_t  pp_pubfix_totals;
static uintptr_t    pp_pubfix_msec;


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


void
pp_pubfix_record(pp_tpool_t *l, uintptr_t key, uint64_t bytes)
{
    memset(l, 0, sizeof(*l));
    l->key = key;
    l->site = 0x1000;
    l->small_bytes = bytes;
    l->blocks = 2;
    l->slot = -1;
    l->created_ns = pp_mono_ns();
}


void
pp_pubfix_table(pp_lpool_t *live, pp_tpool_t *pools, uint32_t n,
    uint64_t bytes)
{
    uint32_t  i;

    memset(&pp_pubfix_totals, 0, sizeof(pp_pubfix_totals));
    memset(live, 0, (size_t) n * sizeof(pp_lpool_t));

    pp_proc.totals = &pp_pubfix_totals;
    pp_proc.live = live;
    pp_proc.lay.nlive = n;
    pp_proc.long_lived_ns = 3600ULL * 1000000000;
    pp_proc.ngx_msec = &pp_pubfix_msec;

    pp_publish_init(1);

    for (i = 0; i < n; i++) {
        pp_pubfix_record(&pools[i], 0x10000 + (uintptr_t) i * 0x100, bytes);
        pp_publish_inherited(&pools[i]);
    }
}
