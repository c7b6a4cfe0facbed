/*
 * The shard's tables of sites, pool sites and tags (pp_table.c) and of
 * growth pairs (pp_growth.c), the private index that finds their rows,
 * and the site cache in front of the sites' index.
 */

#ifndef _PP_TABLE_H_INCLUDED_
#define _PP_TABLE_H_INCLUDED_

#include "pp_shim.h"


/* a table's private index: open addressing over row numbers */
typedef struct {
    uint32_t               *slot;       /* row number + 1; 0 = empty */
    uint32_t                mask;
    uint32_t                used;       /* rows handed out */
    uint32_t                cap;
} pp_rindex_t;

/* does row (which starts with its key) belong to want? */
typedef int (*pp_row_same_pt)(const void *row, const void *want);


int pp_table_init(void);
int pp_rindex_init(pp_rindex_t *ix, uint32_t cap);
pp_site_t *pp_site_miss(uintptr_t key);
pp_pool_t *pp_pool_row(uintptr_t key);
pp_tag_t *pp_tag(uintptr_t key);


/*
 * The row of key in a table of rows of size bytes, each of which starts
 * with its key, that same() takes for want.  A new key gets the next row
 * and *fresh is set: the caller fills the row's other identifying fields,
 * then stores the key with pp_row_claim().  With no row left, the
 * overflow row (the one at the capacity) counts.  Always inlined, so
 * that same() is inlined into each lookup.
 */
static inline __attribute__((always_inline)) void *
pp_rindex_get(pp_rindex_t *ix, void *table, size_t size, uint64_t key,
    pp_row_same_pt same, const void *want, int *fresh)
{
    uint32_t   i, n, r;
    char      *row;

    *fresh = 0;
    i = pp_hash(key) & ix->mask;

    for (n = 0; n <= ix->mask; n++) {
        r = ix->slot[i];

        if (r == 0) {
            break;
        }

        row = (char *) table + (size_t) (r - 1) * size;

        if (pp_likely(same(row, want))) {
            return row;
        }

        i = (i + 1) & ix->mask;
    }

    if (ix->used < ix->cap && n <= ix->mask) {
        row = (char *) table + (size_t) ix->used * size;
        ix->slot[i] = ++ix->used;
        *fresh = 1;
        return row;
    }

    pp_proc.totals->overflow++;

    return (char *) table + (size_t) ix->cap * size;
}


/* a filled row becomes visible to readers: its key is stored last */
#define pp_row_claim(row, k)                                                 \
    __atomic_store_n(&(row)->key, (k), __ATOMIC_RELEASE)


/*
 * In front of the site index, a direct-mapped cache of the sites seen
 * last: four pages, where the index's lookups would each touch another
 * line of a larger array.  1024 slots, because the ~50 sites of an
 * HTTP/2 request collide in 256: 8 misses a request there, 2 here.
 */
#define PP_SCACHE_BITS  10
#define PP_SCACHE       (1 << PP_SCACHE_BITS)

typedef struct {
    uintptr_t               key;
    pp_site_t              *row;
} pp_scache_t;

extern pp_scache_t  pp_scache[PP_SCACHE] __attribute__((visibility("hidden")));

/* Fibonacci hashing: the top PP_SCACHE_BITS bits of key * 2^64/phi */
#define pp_scache_slot(key)  ((uint32_t) pp_fib(key, PP_SCACHE_BITS))


static inline pp_site_t *
pp_site(uintptr_t key)
{
    pp_scache_t  *e;

    e = &pp_scache[pp_scache_slot(key)];

    if (pp_likely(e->key == key)) {
        return e->row;
    }

    return pp_site_miss(key);
}


#endif /* _PP_TABLE_H_INCLUDED_ */
