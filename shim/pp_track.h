/*
 * The pool tracker: a private record of each live pool of this process
 * (pp_pool.c, its end in pp_end.c), its log of small allocations
 * (pp_alog.c), its row in the shard's live table (pp_publish.c) and its
 * growth once long-lived (pp_growth.c).  This header is what the
 * wrappers call, with the common case of an allocation inline, so that
 * it costs no call.
 */

#ifndef _PP_TRACK_H_INCLUDED_
#define _PP_TRACK_H_INCLUDED_

#include "pp_shim.h"
#include "pp_ngx.h"
#include "pp_table.h"
#include "pp_stack.h"
#include "pp_pindex.h"
#include "pp_sample.h"

#include <uthash.h>


/* a chunk a no-op free pinned, until its pool ends */
typedef struct {
    uint64_t                size;
    uint64_t                ns;         /* when it was freed */
    uintptr_t               site;       /* that freed it */
} pp_pin_t;

/*
 * A pool's allocation log: its small allocations, so that a no-op
 * ngx_pfree() knows the size and time of what it failed to free.
 */
typedef struct {
    pp_chunk_t             *chunk;
    uint32_t                n;
    uint32_t                cap;
    uint32_t                truncated;  /* it missed allocations */
    uint32_t                noindex;    /* its index got no memory */
    pp_pindex_t             ix;         /* the chunks by address */
    pp_pin_t               *pins;       /* the chunks no-op frees pinned */
    uint32_t                npins;
    uint32_t                pins_cap;
} pp_alog_t;

typedef struct pp_tpool_s  pp_tpool_t;

/* a tracked pool: the private record of a live pool */
struct pp_tpool_s {
    uintptr_t               key;        /* the pool */
    uintptr_t               site;       /* that created it */
    uint64_t                size;
    uint64_t                created_ns;
    uint64_t                small_allocs;
    uint64_t                small_bytes;
    uint64_t                large_allocs;
    uint64_t                large_bytes;
    uint64_t                ll_allocs;  /* made while long-lived */
    uint64_t                ll_bytes;
    uint64_t                created_ms; /* nginx's ngx_current_msec */
    uint64_t                ll_ms;      /* when it becomes long-lived */
    uint64_t                serial;     /* unique in the process */
    pp_ngx_pool_t          *tail;       /* the last block known */
    uint32_t                blocks;
    uint32_t                ranges;     /* its first range (pp_range.c) */
    int32_t                 slot;       /* in the live table, or -1 */
    uint32_t                inherited;  /* created before fork() */
    uint32_t                dropped;    /* counted as without a slot */
    uint32_t                dirty;      /* its live row is behind */
    pp_tpool_t             *next_spare;
    pp_stack_t             *stack;      /* of its creation, if sampled */
    pp_pool_t              *row;        /* of its creating site */
    pp_alog_t               log;
    UT_hash_handle          hh;
};


/* the pool of the previous call; a sentinel that matches no pool if none */
extern pp_tpool_t  *pp_last __attribute__((visibility("hidden")));

void pp_track_init(void);
void pp_track_create(pp_ngx_pool_t *pool, size_t size, uintptr_t site);
void *pp_track_alloc_slow(pp_ngx_pool_t *pool, void *p, size_t size,
    int small, size_t zeroed, uintptr_t site) __attribute__((noinline));
void pp_track_free(pp_ngx_pool_t *pool, void *p, int rc, uintptr_t site);
void pp_track_end(pp_ngx_pool_t *pool, int destroy);
void pp_track_exit(void);
void pp_proc_forked(void);


/* the pool is older than POOLPROF_LONG_LIVED */
static inline int
pp_tpool_old(const pp_tpool_t *l)
{
    return (intptr_t) (*pp_proc.ngx_msec - l->ll_ms) >= 0;
}


/* a small allocation joins the log, which has room */
static inline void
pp_alog_add(pp_alog_t *a, void *p, size_t size)
{
    pp_chunk_t  *c;

    c = &a->chunk[a->n++];
    c->p = p;
    c->size = (uint32_t) size;
    c->freed = 0;
}


/*
 * ngx_pcalloc() zeroes what it allocated, recorded for the same site:
 * counted as allocations are, whether the pool has a record or not
 * (but not in a pool that sampling left out: the caller asks); for a
 * ngx_pcalloc() whose allocation another wrapper recorded
 */
static inline void
pp_track_zeroed(size_t size, uintptr_t site)
{
    pp_proc.totals->zeroed_bytes += size;
    pp_site(site)->zeroed_bytes += size;
}


/*
 * An allocation's counts for its process and its site, and those of a
 * small one for its pool: the fast path and the slow path both count
 * with these, so that the two cannot disagree.
 */
static inline void
pp_count_alloc(pp_totals_t *t, pp_site_t *s, size_t size, size_t zeroed)
{
    t->allocs++;
    t->alloc_bytes += size;
    s->allocs++;
    s->alloc_bytes += size;

    /* a constant 0 but in ngx_pcalloc()'s wrappers */
    if (zeroed != 0) {
        t->zeroed_bytes += zeroed;
        s->zeroed_bytes += zeroed;
    }
}


static inline void
pp_count_small(pp_totals_t *t, pp_tpool_t *l, size_t size)
{
    t->small_allocs++;
    l->small_allocs++;
    l->small_bytes += size;
}


/*
 * The common case in few instructions: a small allocation from the pool
 * of the previous call, which has grown no block, with room in its log,
 * by a site in the site cache, no stack to take and the pool not
 * long-lived.  An allocation from a pool that sampling left out ends
 * at its lookup; anything else goes the whole way, in
 * pp_track_alloc_slow().  Returns p, so that a wrapper can end in it
 * without keeping p: the common case needs no registers saved.
 */
static inline void *
pp_track_alloc(pp_ngx_pool_t *pool, void *p, size_t size, int small,
    size_t zeroed, uintptr_t site)
{
    pp_site_t    *s;
    pp_tpool_t   *l;
    pp_totals_t  *t;
    pp_scache_t  *e;

    l = pp_last;
    e = &pp_scache[pp_scache_slot(site)];

    if (pp_unlikely(l->key != (uintptr_t) pool || !small || e->key != site
                    || pp_tls.countdown <= 1 || l->log.n == l->log.cap
                    || l->tail->d.next != NULL || pp_tpool_old(l)))
    {
        if (pp_unsampled(pool)) {
            return p;
        }

        return pp_track_alloc_slow(pool, p, size, small, zeroed, site);
    }

    pp_tls.countdown--;

    t = pp_proc.totals;
    s = e->row;
    pp_count_alloc(t, s, size, zeroed);
    pp_count_small(t, l, size);
    l->dirty = 1;

    pp_alog_add(&l->log, p, size);

    return p;
}


#endif /* _PP_TRACK_H_INCLUDED_ */
