/*
 * The shard's tables of sites, pool sites, tags and growth pairs.  Rows
 * are handed out in order, so the rows a process uses lie together in a
 * few pages of the segment (rows scattered by a hash over a 512 KiB
 * table cost a TLB miss each, which is most of a hooked call's cost
 * inside a virtual machine).  Each process finds its rows through a
 * private index: open addressing with linear probing over row numbers.
 *
 * Only this process writes its shard, so a row is claimed by a plain
 * store of its key; rows start zeroed, so a reader that sees the key
 * sees the row's counters (perhaps a few events behind).  A key that
 * finds no row counts into the overflow row, the one past the table's
 * capacity.
 */

#include <stdlib.h>
#include <string.h>

#include "pp_shim.h"


typedef struct {
    uint32_t               *slot;       /* row number + 1; 0 = empty */
    uint32_t                mask;
    uint32_t                used;       /* rows handed out */
    uint32_t                cap;
} pp_index_t;


static pp_index_t  pp_isites, pp_ipools, pp_itags, pp_igrowth;

/*
 * The slots of an index that got no memory: one empty slot, so that a
 * probe ends at once, with every row taken, so that it finds none and
 * counts into the overflow row; the lookups need no test of their own.
 */
static uint32_t  pp_index_none[1];

/* the site cache of pp_shim.h's pp_site() */
pp_scache_t  pp_scache[PP_SCACHE];


static int
pp_index_init(pp_index_t *ix, uint32_t cap)
{
    uint32_t  n;

    for (n = 16; n < cap * 2; n *= 2) {
        /* void */
    }

    if (ix->slot == NULL || ix->mask != n - 1) {
        if (ix->slot != pp_index_none) {
            free(ix->slot);
        }

        ix->slot = calloc(n, sizeof(uint32_t));
        if (ix->slot == NULL) {
            ix->slot = pp_index_none;
            ix->mask = 0;
            ix->used = cap;
            ix->cap = cap;
            return -1;
        }

    } else {
        memset(ix->slot, 0, (size_t) n * sizeof(uint32_t));
    }

    ix->mask = n - 1;
    ix->used = 0;
    ix->cap = cap;

    return 0;
}


/* a new, empty shard: after a claim */
int
pp_table_init(void)
{
    const pp_layout_t  *h;

    h = &pp_proc.lay;
    memset(pp_scache, 0, sizeof(pp_scache));

    /* a failed index is full: its events count into the overflow row */
    return pp_index_init(&pp_isites, h->nsites)
           | pp_index_init(&pp_ipools, h->npools)
           | pp_index_init(&pp_itags, h->ntags)
           | pp_index_init(&pp_igrowth, h->ngrowth);
}


/*
 * finds key's row, or gives it the next one; "eq" compares a row with
 * the key, "fill" sets the row's other identifying fields
 */
#define pp_index_get(type, table, ix, key, eq, fill)                         \
    do {                                                                     \
        uint32_t   i_, n_, r_;                                               \
        type      *row;                                                      \
                                                                             \
        i_ = pp_hash(key) & (ix).mask;                                       \
                                                                             \
        for (n_ = 0; n_ <= (ix).mask; n_++) {                                \
            r_ = (ix).slot[i_];                                              \
                                                                             \
            if (r_ == 0) {                                                   \
                break;                                                       \
            }                                                                \
                                                                             \
            row = &(table)[r_ - 1];                                          \
                                                                             \
            if (pp_likely(eq)) {                                             \
                return row;                                                  \
            }                                                                \
                                                                             \
            i_ = (i_ + 1) & (ix).mask;                                       \
        }                                                                    \
                                                                             \
        if ((ix).used < (ix).cap && n_ <= (ix).mask) {                       \
            row = &(table)[(ix).used++];                                     \
            (ix).slot[i_] = (ix).used;                                       \
            fill;                                                            \
            __atomic_store_n(&row->key, (key), __ATOMIC_RELEASE);            \
            return row;                                                      \
        }                                                                    \
                                                                             \
        pp_proc.totals->overflow++;                                          \
        return &(table)[(ix).cap];                                           \
    } while (0)


static pp_site_t *
pp_site_find(uintptr_t key)
{
    /* a new site may lie in an object loaded since the last scan */
    pp_index_get(pp_site_t, pp_proc.sites, pp_isites, key, row->key == key,
                 pp_objects_check(key));
}


/* a site the cache did not hold */
pp_site_t *
pp_site_miss(uintptr_t key)
{
    uint32_t    i;
    pp_site_t  *row;

    row = pp_site_find(key);

    /* the overflow row is not cached: each of its events is counted */
    if (row->key == key) {
        i = pp_scache_slot(key);
        pp_scache[i].key = key;
        pp_scache[i].row = row;
    }

    return row;
}


pp_pool_t *
pp_pool_row(uintptr_t key)
{
    pp_index_get(pp_pool_t, pp_proc.pools, pp_ipools, key, row->key == key,
                 (void) 0);
}


pp_tag_t *
pp_tag(uintptr_t key)
{
    pp_index_get(pp_tag_t, pp_proc.tags, pp_itags, key, row->key == key,
                 (void) 0);
}


/* growth rows: keyed by the pair, which the row also holds */
pp_growth_t *
pp_growth(uintptr_t site, uintptr_t pool_site)
{
    uint64_t  key;

    key = ((uint64_t) site * 0x9e3779b97f4a7c15ULL)
          ^ ((uint64_t) pool_site * 0xc2b2ae3d27d4eb4fULL);
    key = key ? key : 1;

    pp_index_get(pp_growth_t, pp_proc.growth, pp_igrowth, key,
                 row->key == key && row->site == site
                 && row->pool_site == pool_site,
                 (row->site = site, row->pool_site = pool_site));
}
