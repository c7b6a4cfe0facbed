/*
 * What each ngx_pfree() was.  Every call is exactly one of:
 *
 *   null       ngx_pfree(pool, NULL), whatever nginx returned (it returns
 *              NGX_OK when the pool has an emptied large entry)
 *   freed      NGX_OK: a large allocation, really freed
 *   no-op      NGX_DECLINED, the first free of a small allocation of the
 *              pool, which stays allocated ("pinned") until the pool ends;
 *              those whose allocation the log did not keep are also
 *              counted as of unknown size
 *   repeated   NGX_DECLINED, of a pointer this pool's generation already
 *              freed: a small one no-op freed before, or a large one
 *              freed with NGX_OK before; pins nothing more
 *   foreign    NGX_DECLINED, of a pointer the pool never handed out, of
 *              which cross-pool (memory of another live pool: one of its
 *              blocks or large allocations; the site row keeps that
 *              pool's creating site), interior (inside the used part of
 *              one of this pool's blocks, or inside one of its large
 *              allocations, not an allocation's start) and the rest
 *
 * The pool's log finds its own allocations (pp_alog.c); only a free that
 * misses it looks up the ranges of pool memory (pp_range.c).  Both cost
 * the same whatever the pool's or the process's size.
 */

#include <stdlib.h>

#include "pp_alog.h"
#include "pp_pool.h"
#include "pp_range.h"
#include "pp_clock.h"


/* log entries a free scans before the log gets an index */
#define PP_ALOG_SCAN  32

#define pp_count(t, s, field)  ((t)->field++, (s)->field++)


/*
 * Remembers when and where a chunk was pinned.  There are never more
 * pins than logged chunks.  Should the room not grow, that one pin's
 * byte-seconds are lost; its bytes are counted all the same.
 */
static void
pp_alog_pin(pp_alog_t *a, uint64_t size, uintptr_t site)
{
    uint32_t   cap;
    pp_pin_t  *pins, *pin;

    if (a->npins == a->pins_cap) {
        cap = a->pins_cap ? a->pins_cap * 2 : 4;

        pins = realloc(a->pins, (size_t) cap * sizeof(pp_pin_t));
        if (pins == NULL) {
            return;
        }

        a->pins = pins;
        a->pins_cap = cap;
    }

    pin = &a->pins[a->npins++];
    pin->size = size;
    pin->ns = pp_clock();
    pin->site = site;
}


/*
 * The newest entry of address p, or PP_PINDEX_MISS.  A short log is
 * scanned, newest first (most frees follow their allocation closely);
 * past PP_ALOG_SCAN entries the log gets an index.  Without memory for
 * the index only the newest entries are looked at, and *unknown says
 * that a miss may be an older allocation.
 */
static uint32_t
pp_alog_find(pp_alog_t *a, void *p, int *unknown)
{
    uint32_t  i, end;

    if (a->ix.n == 0 && a->n <= PP_ALOG_SCAN) {
        end = 0;

    } else if (!a->noindex && pp_pindex_sync(&a->ix, a->chunk, a->n) == 0) {
        return pp_pindex_find(&a->ix, a->chunk, p);

    } else {
        a->noindex = 1;
        end = a->n > PP_ALOG_SCAN ? a->n - PP_ALOG_SCAN : 0;
        *unknown = 1;
    }

    for (i = a->n; i-- > end; /* void */) {
        if (a->chunk[i].p == p) {
            return i;
        }
    }

    return PP_PINDEX_MISS;
}


/*
 * A large allocation was freed: it leaves the ranges, and the log
 * remembers it, so that a second free of it is a repeated one
 */
static void
pp_free_large(pp_tpool_t *l, void *p)
{
    uint64_t  size;

    size = pp_range_free_large(l, (uintptr_t) p);

    if (l->log.n == l->log.cap && pp_alog_grow(&l->log) != 0) {
        return;
    }

    pp_alog_add(&l->log, p, size > UINT32_MAX ? UINT32_MAX : size);
    l->log.chunk[l->log.n - 1].freed = PP_CHUNK_FREED;
}


/* the first no-op free of a logged small allocation: it pins the chunk */
static void
pp_free_noop(pp_tpool_t *l, pp_chunk_t *c, pp_totals_t *t, pp_site_t *s,
    uintptr_t site)
{
    pp_stack_t  *st;

    pp_count(t, s, noop_frees);

    st = pp_stack_sample(site);
    if (pp_unlikely(st != NULL)) {
        st->noop_frees++;
        st->pinned_bytes += c->size;
    }

    c->freed = PP_CHUNK_PINNED;
    t->pinned_bytes += c->size;
    s->pinned_bytes += c->size;
    pp_alog_pin(&l->log, c->size, site);
}


/*
 * p, of none of pool's allocations' starts, lies in range g of that
 * pool: inside an allocation?  A block's used part (nginx's own, read
 * as nginx reads it) is its allocations and their alignment padding.
 */
static int
pp_free_inside(const pp_range_t *g, uintptr_t p)
{
    uintptr_t       data;
    pp_ngx_pool_t  *b;

    if (g->large) {
        return p != g->start;
    }

    b = (pp_ngx_pool_t *) g->start;
    data = g->start + (g->start == g->pool ? PP_NGX_POOL_HEADER
                                           : PP_NGX_BLOCK_HEADER);

    return p >= data && p < (uintptr_t) b->d.last;
}


void
pp_track_free(pp_ngx_pool_t *pool, void *p, int rc, uintptr_t site)
{
    int                unknown;
    uint32_t           i;
    pp_site_t         *s;
    pp_tpool_t        *l;
    pp_chunk_t        *c;
    pp_totals_t       *t;
    const pp_range_t  *g;

    t = pp_proc.totals;
    s = pp_site(site);

    if (p == NULL) {
        pp_count(t, s, frees_null);
        return;
    }

    l = pp_pool_use(pool);

    if (rc == PP_NGX_OK) {
        pp_count(t, s, freed);

        if (l != NULL) {
            pp_free_large(l, p);
        }

        return;
    }

    unknown = 0;

    if (l != NULL) {
        i = pp_alog_find(&l->log, p, &unknown);

        if (i != PP_PINDEX_MISS) {
            c = &l->log.chunk[i];

            if (c->freed == PP_CHUNK_LIVE) {
                pp_free_noop(l, c, t, s, site);
                return;
            }

            if (c->freed == PP_CHUNK_PINNED) {
                pp_count(t, s, frees_repeated);
                return;
            }

            /* a large one freed may be pool memory again, then is that */
            pp_pool_index();

            if (pp_range_find((uintptr_t) p) == NULL) {
                pp_count(t, s, frees_repeated);
                return;
            }
        }
    }

    pp_pool_index();
    g = pp_range_find((uintptr_t) p);

    if (g != NULL && g->pool != (uintptr_t) pool) {
        pp_count(t, s, foreign_frees);
        pp_count(t, s, frees_cross_pool);
        s->cross_site = g->site;
        return;
    }

    if (l == NULL || l->log.truncated || unknown) {
        /* a no-op free whose allocation the log did not keep */
        pp_count(t, s, noop_frees);
        pp_count(t, s, unknown_frees);
        return;
    }

    pp_count(t, s, foreign_frees);

    if (g != NULL && pp_free_inside(g, (uintptr_t) p)) {
        pp_count(t, s, frees_interior);
    }
}
