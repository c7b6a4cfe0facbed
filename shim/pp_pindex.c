/*
 * The index of a pool's allocation log by address (pp_pindex.h): one
 * lookup per no-op ngx_pfree(), whatever the pool's size, and a miss
 * (an interior pointer, another pool's) costs a probe or two, never a
 * scan.  Each entry is added once per index size, and sizes double, so
 * the work of keeping the index is O(1) per logged allocation.
 */

#include <stdlib.h>
#include <string.h>

#include "pp_hash.h"
#include "pp_pindex.h"


static inline uint32_t
pp_pindex_home(const pp_pindex_t *ix, const void *p)
{
    return (uint32_t) pp_fib((uintptr_t) p, 64 - ix->shift);
}


/* an entry takes its address's slot; a newer one replaces an older one */
static void
pp_pindex_add(pp_pindex_t *ix, const pp_chunk_t *log, uint32_t e)
{
    uint32_t     i, s;
    const void  *p;

    p = log[e].p;

    for (i = pp_pindex_home(ix, p); /* void */; i = (i + 1) & ix->mask) {
        s = ix->slot[i];

        if (s == 0 || log[s - 1].p == p) {
            ix->slot[i] = e + 1;
            return;
        }
    }
}


/*
 * Brings the index up to the log's nlog entries; on a new size every
 * entry is added again.  Returns -1 when there is no memory for a new
 * size: the index is then empty, and has no slots.
 */
int
pp_pindex_sync(pp_pindex_t *ix, const pp_chunk_t *log, uint32_t nlog)
{
    uint32_t   e, n, bits;
    uint32_t  *slot;

    if (ix->slot == NULL || nlog > (ix->mask + 1) / 2) {
        if (nlog > UINT32_MAX / 4) {
            pp_pindex_free(ix);
            return -1;
        }

        for (bits = PP_PINDEX_MIN_BITS; (1U << bits) < nlog * 2; bits++) {
            /* void */
        }

        n = 1U << bits;
        slot = calloc(n, sizeof(uint32_t));
        if (slot == NULL) {
            pp_pindex_free(ix);
            return -1;
        }

        free(ix->slot);
        ix->slot = slot;
        ix->mask = n - 1;
        ix->shift = 64 - bits;
        ix->n = 0;
    }

    for (e = ix->n; e < nlog; e++) {
        pp_pindex_add(ix, log, e);
    }

    ix->n = nlog;

    return 0;
}


/* the newest entry of address p, or PP_PINDEX_MISS; after a sync */
uint32_t
pp_pindex_find(const pp_pindex_t *ix, const pp_chunk_t *log, const void *p)
{
    uint32_t  i, s;

    if (ix->slot == NULL) {
        return PP_PINDEX_MISS;
    }

    for (i = pp_pindex_home(ix, p); /* void */; i = (i + 1) & ix->mask) {
        s = ix->slot[i];

        if (s == 0) {
            return PP_PINDEX_MISS;
        }

        if (log[s - 1].p == p) {
            return s - 1;
        }
    }
}


/* the log starts again: a small index is kept, empty, a large one freed */
void
pp_pindex_reset(pp_pindex_t *ix)
{
    if (ix->slot == NULL) {
        return;
    }

    if (ix->mask + 1 > PP_PINDEX_KEEP) {
        pp_pindex_free(ix);
        return;
    }

    if (ix->n != 0) {
        memset(ix->slot, 0, (size_t) (ix->mask + 1) * sizeof(uint32_t));
        ix->n = 0;
    }
}


void
pp_pindex_free(pp_pindex_t *ix)
{
    free(ix->slot);
    ix->slot = NULL;
    ix->mask = 0;
    ix->shift = 0;
    ix->n = 0;
}
