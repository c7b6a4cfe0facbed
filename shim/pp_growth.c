/*
 * Growth: an allocation into a pool older than POOLPROF_LONG_LIVED is
 * counted in the totals, its site's row, its pool's site row and its
 * record, and in the shard's growth table, keyed by the pair (the
 * allocating site, the site that created the pool), whose index is kept
 * as pp_table.c keeps the other tables'.  A pair "returns" when it
 * allocates into the same pool as its previous allocation after other
 * pools were created in between: a pool that grows on every request.
 */

#include <stdlib.h>
#include <string.h>

#include "pp_growth.h"


/* what telling a return needs of a row: the writer's, not the segment's */
typedef struct {
    uint64_t            last_pool;      /* serial of the pool it grew */
    uint64_t            last_seq;       /* the newest pool's serial then */
} pp_gstate_t;


static pp_rindex_t   pp_igrowth;
static pp_gstate_t  *pp_gstate;         /* a row's, by its index */
static uint32_t      pp_ngstate;
static pp_gstate_t   pp_gstate_none;    /* every row's without memory */


/*
 * A new, empty shard: from pp_table_init().  Without memory for the
 * state, the index hands out no row: every pair counts in the overflow
 * row, whose state is pp_gstate_none.
 */
int
pp_growth_init(uint32_t cap)
{
    memset(&pp_gstate_none, 0, sizeof(pp_gstate_t));

    if (pp_rindex_init(&pp_igrowth, cap) != 0) {
        return -1;
    }

    if (pp_gstate != NULL && pp_ngstate == cap + 1) {
        memset(pp_gstate, 0, (size_t) pp_ngstate * sizeof(pp_gstate_t));
        return 0;
    }

    free(pp_gstate);
    pp_ngstate = 0;

    /* the overflow row too */
    pp_gstate = calloc((size_t) cap + 1, sizeof(pp_gstate_t));
    if (pp_gstate == NULL) {
        pp_igrowth.used = pp_igrowth.cap;
        return -1;
    }

    pp_ngstate = cap + 1;

    return 0;
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


/*
 * An allocation of size bytes by site s into the long-lived pool l; seq
 * is the serial of the newest pool of the process, which tells a
 * return: other pools were created since the pair's last allocation.
 */
void
pp_growth_add(pp_tpool_t *l, size_t size, pp_site_t *s, uintptr_t site,
    uint64_t seq)
{
    size_t        i;
    uint64_t      age;
    pp_pool_t    *row;
    pp_growth_t  *g;
    pp_gstate_t  *st;

    pp_proc.totals->ll_allocs++;
    pp_proc.totals->ll_bytes += size;
    s->ll_allocs++;
    s->ll_bytes += size;

    row = l->row;
    row->ll_allocs++;
    row->ll_bytes += size;

    l->ll_allocs++;
    l->ll_bytes += size;

    g = pp_growth(site, l->site);
    g->allocs++;
    g->bytes += size;

    age = (uint64_t) (*pp_proc.ngx_msec - l->created_ms) * 1000000;
    if (age > g->max_age_ns) {
        g->max_age_ns = age;
    }

    i = (size_t) (g - pp_proc.growth);
    st = i < pp_ngstate ? &pp_gstate[i] : &pp_gstate_none;

    /* addresses are reused: a pool is its serial number */
    if (st->last_pool == l->serial) {
        if (st->last_seq != seq) {
            g->returns++;
        }

    } else {
        g->pools++;
        st->last_pool = l->serial;
    }

    st->last_seq = seq;
}
