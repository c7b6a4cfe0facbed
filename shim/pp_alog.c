/*
 * Each tracked pool's log of small allocations, so that a no-op
 * ngx_pfree() knows the size of what it failed to free, and its pins:
 * when and where each such chunk was freed, for its byte-seconds at the
 * pool's end.  Also the whole way of an allocation, where the inline
 * pp_track_alloc() leaves it.
 *
 * The logs of all pools hold at most POOLPROF_MAX_TRACKED entries of
 * capacity (16 bytes each); past it, a log stops growing ("truncated")
 * and the frees it cannot place are counted as of unknown size.  The
 * frees that look a log up are pp_free.c's.
 */

#include <stdlib.h>

#include "pp_alog.h"
#include "pp_pool.h"
#include "pp_growth.h"
#include "pp_clock.h"


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
int
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
    size_t zeroed, uintptr_t site)
{
    pp_site_t    *s;
    pp_tpool_t   *l;
    pp_stack_t   *st;
    pp_totals_t  *t;

    t = pp_proc.totals;
    s = pp_site(site);
    pp_count_alloc(t, s, size, zeroed);

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

        /* a new block, maybe for a large allocation's ngx_pool_large_t */
        if (pp_unlikely(l->tail->d.next != NULL)) {
            pp_pool_blocks(l);
        }
    }

    if (!small) {
        t->large_allocs++;
        s->large_allocs++;
        if (l != NULL) {
            l->large_allocs++;
            l->large_bytes += size;
            if (pp_range_on) {
                pp_range_add(l, (uintptr_t) p, (uintptr_t) p + size, 1);
            }
        }
        return p;
    }

    if (l == NULL) {
        t->small_allocs++;
        t->untracked++;
        return p;
    }

    pp_count_small(t, l, size);

    if (l->log.n == l->log.cap && pp_alog_grow(&l->log) != 0) {
        return p;
    }

    pp_alog_add(&l->log, p, size);

    return p;
}
