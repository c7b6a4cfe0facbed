/*
 * The shard's growth table: allocations into pools older than
 * POOLPROF_LONG_LIVED, keyed by the pair (the allocating site, the site
 * that created the pool), whose index is kept as pp_table.c keeps the
 * other tables'.
 */

#include "pp_growth.h"


static pp_rindex_t  pp_igrowth;


/* a new, empty shard: from pp_table_init() */
int
pp_growth_init(uint32_t cap)
{
    return pp_rindex_init(&pp_igrowth, cap);
}


/* the key is a hash of the pair, and the row holds the pair itself */
static int
pp_growth_same(const void *row, const void *want)
{
    const pp_growth_t  *a = row, *b = want;

    return a->key == b->key && a->site == b->site
           && a->pool_site == b->pool_site;
}


pp_growth_t *
pp_growth(uintptr_t site, uintptr_t pool_site)
{
    int           fresh;
    pp_growth_t   want, *row;

    want.key = ((uint64_t) site * 0x9e3779b97f4a7c15ULL)
               ^ ((uint64_t) pool_site * 0xc2b2ae3d27d4eb4fULL);
    want.key = want.key ? want.key : 1;
    want.site = site;
    want.pool_site = pool_site;

    row = pp_rindex_get(&pp_igrowth, pp_proc.growth, sizeof(pp_growth_t),
                        want.key, pp_growth_same, &want, &fresh);

    if (fresh) {
        row->site = site;
        row->pool_site = pool_site;
        pp_row_claim(row, want.key);
    }

    return row;
}
