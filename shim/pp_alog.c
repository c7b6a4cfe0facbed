/*
 * Each tracked pool's log of small allocations, so that a no-op
 * ngx_pfree() knows the size of what it failed to free, and its pins:
 * when and where each such chunk was freed, for its byte-seconds at the
 * pool's end.  Also the whole way of an allocation, where the inline
 * pp_track_alloc() leaves it.
 *
 * The logs of all pools hold at most POOLPROF_MAX_TRACKED entries of
 * capacity (16 bytes each); past it, a log stops growing ("truncated")
 * and the frees it cannot place are counted as of unknown size.  A log
 * longer than PP_ALOG_SCAN entries is looked up through its index by
 * address (pp_pindex.c: at most 8 bytes more per entry), so a free costs
 * the same whatever the pool's size.
 */

#include <stdlib.h>

#include "pp_alog.h"
#include "pp_pool.h"
#include "pp_growth.h"
#include "pp_clock.h"


/* log entries a free scans before the log gets an index */
#define PP_ALOG_SCAN  32

static uint64_t  pp_chunks;                 /* capacity of every log */
static uint64_t  pp_max_chunks = PP_MAX_TRACKED_DEFAULT;


void
pp_alog_init(uint64_t max_chunks)
{
    pp_max_chunks = max_chunks;
}


/* a log of no allocations, which keeps its memory */
static void
pp_alog_empty(pp_alog_t *a)
{
    a->n = 0;
    a->truncated = 0;
    a->noindex = 0;
    a->npins = 0;
}


/*
 * The log of a recycled record starts empty, and keeps its memory if
 * the budget has room for it.
 */
void
pp_alog_renew(pp_alog_t *a)
{
    pp_alog_empty(a);

    if (pp_chunks + a->cap > pp_max_chunks) {
        free(a->chunk);
        a->chunk = NULL;
        a->cap = 0;
        pp_pindex_free(&a->ix);
        return;
    }

    pp_chunks += a->cap;
}


/* the pool ended: its log's memory is freed, or kept with a spare record */
void
pp_alog_release(pp_alog_t *a, int spare)
{
    pp_chunks -= a->cap;

    if (spare) {
        if (a->ix.slot != NULL) {
            pp_pindex_reset(&a->ix);
        }
        return;
    }

    pp_pindex_free(&a->ix);
    free(a->pins);
    free(a->chunk);
}


/* ngx_reset_pool(): a new generation; the log keeps its capacity */
void
pp_alog_restart(pp_alog_t *a)
{
    pp_alog_empty(a);

    if (a->ix.slot != NULL) {
        pp_pindex_reset(&a->ix);
    }
}


/* the end of a generation: each pin's byte-seconds, to the site that pinned */
void
pp_alog_settle(pp_alog_t *a, uint64_t now)
{
    uint32_t   i;
    pp_pin_t  *pin;

    for (i = 0; i < a->npins; i++) {
        pin = &a->pins[i];
        pp_site(pin->site)->pinned_byte_seconds +=
            (double) pin->size * (double) pp_clock_since(now, pin->ns) / 1e9;
    }
}


/* room for one more entry: doubled, within the budget; or -1, truncated */
static int
pp_alog_grow(pp_alog_t *a)
{
    uint32_t     cap;
    pp_chunk_t  *chunk;

    cap = a->cap ? a->cap * 2 : 16;

    if (a->truncated || pp_chunks + (cap - a->cap) > pp_max_chunks) {
        a->truncated = 1;
        return -1;
    }

    chunk = realloc(a->chunk, (size_t) cap * sizeof(pp_chunk_t));
    if (chunk == NULL) {
        a->truncated = 1;
        return -1;
    }

    pp_chunks += cap - a->cap;
    a->chunk = chunk;
    a->cap = cap;

    return 0;
}


/* everything that pp_track_alloc() leaves to the slow path; returns p */
void *
pp_track_alloc_slow(pp_ngx_pool_t *pool, void *p, size_t size, int small,
    uintptr_t site)
{
    pp_site_t    *s;
    pp_tpool_t   *l;
    pp_stack_t   *st;
    pp_totals_t  *t;

    t = pp_proc.totals;
    t->allocs++;
    t->alloc_bytes += size;

    s = pp_site(site);
    s->allocs++;
    s->alloc_bytes += size;

    st = pp_stack_sample(site);
    if (pp_unlikely(st != NULL)) {
        st->allocs++;
        st->alloc_bytes += size;
    }

    l = pp_pool_use(pool);

    if (l != NULL) {
        if (pp_unlikely(pp_tpool_old(l))) {
            pp_growth_add(l, size, s, site, pp_serial);
        }

        l->dirty = 1;
    }

    if (!small) {
        t->large_allocs++;
        s->large_allocs++;
        if (l != NULL) {
            l->large_allocs++;
            l->large_bytes += size;
        }
        return p;
    }

    t->small_allocs++;

    if (l == NULL) {
        t->untracked++;
        return p;
    }

    l->small_allocs++;
    l->small_bytes += size;

    if (pp_unlikely(l->tail->d.next != NULL)) {
        pp_pool_blocks(l);
    }

    if (l->log.n == l->log.cap && pp_alog_grow(&l->log) != 0) {
        return p;
    }

    pp_alog_add(&l->log, p, size);

    return p;
}


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


void
pp_track_free(pp_ngx_pool_t *pool, void *p, int rc, uintptr_t site)
{
    int           unknown;
    uint32_t      i;
    pp_site_t    *s;
    pp_tpool_t   *l;
    pp_stack_t   *st;
    pp_chunk_t   *c;
    pp_totals_t  *t;

    t = pp_proc.totals;
    s = pp_site(site);

    if (rc == PP_NGX_OK) {
        t->freed++;
        s->freed++;
        return;
    }

    l = pp_pool_use(pool);
    unknown = 0;

    if (l != NULL) {
        i = pp_alog_find(&l->log, p, &unknown);

        if (i != PP_PINDEX_MISS) {
            c = &l->log.chunk[i];

            t->noop_frees++;
            s->noop_frees++;

            st = pp_stack_sample(site);
            if (pp_unlikely(st != NULL)) {
                st->noop_frees++;
                st->pinned_bytes += c->freed ? 0 : c->size;
            }

            if (!c->freed) {
                c->freed = 1;
                t->pinned_bytes += c->size;
                s->pinned_bytes += c->size;
                pp_alog_pin(&l->log, c->size, site);
            }

            return;
        }

        if (!l->log.truncated && !unknown) {
            t->foreign_frees++;
            s->foreign_frees++;
            return;
        }
    }

    /* a no-op free whose allocation the log did not keep */
    t->noop_frees++;
    t->unknown_frees++;
    s->noop_frees++;
    s->unknown_frees++;
}
