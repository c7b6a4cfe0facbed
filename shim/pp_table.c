/*
 * The shard's tables of sites, pool sites and tags.  Rows are handed out
 * in order, so the rows a process uses lie together in a few pages of
 * the segment (rows scattered by a hash over a large table would cost a
 * TLB miss each, which is most of a hooked call's cost inside a virtual
 * machine).  Each process finds its rows through a
 * private index: open addressing with linear probing over row numbers,
 * at least twice the rows, so that a probe ends soon.  pp_growth.c keeps
 * the growth pairs' table the same way.
 *
 * Only this process writes its shard, so a row is claimed by a plain
 * store of its key; rows start zeroed, so a reader that sees the key
 * sees the row's counters (perhaps a few events behind).  A key that
 * finds no row counts into the overflow row, the one past the table's
 * capacity.
 */

#include <stdlib.h>
#include <string.h>

#include "pp_table.h"
#include "pp_growth.h"
#include "pp_stack.h"


static pp_rindex_t  pp_isites, pp_ipools, pp_itags;

/*
 * The slots of an index that got no memory: one empty slot, so that a
 * probe ends at once, with every row taken, so that it finds none and
 * counts into the overflow row; the lookups need no test of their own.
 */
static uint32_t  pp_rindex_none[1];

/* the site cache of pp_site() */
pp_scache_t  pp_scache[PP_SCACHE];


int
pp_rindex_init(pp_rindex_t *ix, uint32_t cap)
{
    uint32_t  n;

    for (n = 16; n < cap * 2; n *= 2) {
        /* void */
    }

    if (ix->slot == NULL || ix->mask != n - 1) {
        if (ix->slot != pp_rindex_none) {
            free(ix->slot);
        }

        ix->slot = calloc(n, sizeof(uint32_t));
        if (ix->slot == NULL) {
            ix->slot = pp_rindex_none;
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
    return pp_rindex_init(&pp_isites, h->nsites)
           | pp_rindex_init(&pp_ipools, h->npools)
           | pp_rindex_init(&pp_itags, h->ntags)
           | pp_growth_init(h->ngrowth);
}


/* rows identified by their key alone */
static int
pp_key_same(const void *row, const void *want)
{
    return *(const uint64_t *) row == *(const uint64_t *) want;
}


/* a site the cache did not hold */
pp_site_t *
pp_site_miss(uintptr_t key)
{
    int         fresh;
    uint32_t    i;
    uint64_t    k;
    pp_site_t  *row;

    k = key;
    row = pp_rindex_get(&pp_isites, pp_proc.sites, sizeof(pp_site_t), k,
                        pp_key_same, &k, &fresh);

    if (fresh) {
        /* a new site may lie in an object loaded since the last scan */
        pp_objects_check(key);
        row->owner = pp_stack_owner(key);
        pp_row_claim(row, k);
    }

    /* the overflow row is not cached: each of its events is counted */
    if (row->key == key) {
        i = pp_scache_slot(key);
        pp_scache[i].key = key;
        pp_scache[i].row = row;
    }

    return row;
}


/* the row of key in a table indexed by key alone, claimed if new */
static void *
pp_row_of(pp_rindex_t *ix, void *rows, size_t size, uintptr_t key,
    int *fresh)
{
    void      *row;
    uint64_t   k;

    k = key;
    row = pp_rindex_get(ix, rows, size, k, pp_key_same, &k, fresh);

    /* pools' and tags' rows begin with their key */
    if (*fresh) {
        __atomic_store_n((uint64_t *) row, k, __ATOMIC_RELEASE);
    }

    return row;
}


/* a pool site's row; a new one learns its owner from this stack */
pp_pool_t *
pp_pool_row(uintptr_t key)
{
    int         fresh;
    pp_pool_t  *row;

    row = pp_row_of(&pp_ipools, pp_proc.pools, sizeof(pp_pool_t), key,
                    &fresh);

    if (fresh) {
        row->owner = pp_stack_owner(key);
    }

    return row;
}


pp_tag_t *
pp_tag(uintptr_t key)
{
    int  fresh;

    return pp_row_of(&pp_itags, pp_proc.tags, sizeof(pp_tag_t), key, &fresh);
}
