/*
 * A tracked pool, its log of small allocations, and the common case of
 * an allocation: inline in the wrappers, so that it costs no call.
 */

#ifndef _PP_TRACK_H_INCLUDED_
#define _PP_TRACK_H_INCLUDED_

#include "pp_shim.h"
#include "pp_table.h"
#include "pp_pindex.h"

#include <uthash.h>


/* a chunk a no-op free pinned, until its pool ends */
typedef struct {
    uint64_t                size;
    uint64_t                ns;         /* when it was freed */
    uintptr_t               site;       /* that freed it */
} pp_pin_t;

typedef struct {
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
    int32_t                 slot;       /* in the live table, or -1 */
    uint32_t                inherited;  /* created before fork() */
    uint32_t                dropped;    /* counted as without a slot */
    uint32_t                dirty;      /* its live row is behind */
    void                   *next_spare;
    pp_stack_t             *stack;      /* of its creation, if sampled */
    pp_pool_t              *row;        /* of its creating site */
    uint32_t                npins;
    uint32_t                pins_cap;
    pp_pin_t               *pins;       /* the chunks no-op frees pinned */
    pp_chunk_t             *log;
    uint32_t                nlog;
    uint32_t                cap;
    uint32_t                truncated;  /* the log missed allocations */
    uint32_t                noindex;    /* its index got no memory */
    pp_pindex_t             ix;         /* the log by address */
    UT_hash_handle          hh;
} pp_live_t;


/* the pool of the previous call; a sentinel that matches no pool if none */
extern pp_live_t  *pp_last __attribute__((visibility("hidden")));

void *pp_track_alloc_slow(pp_ngx_pool_t *pool, void *p, size_t size,
    int small, uintptr_t site) __attribute__((noinline));


/*
 * The common case in few instructions: a small allocation from the pool
 * of the previous call, which has grown no block, with room in its log,
 * by a site in the site cache, no stack to take and the pool not
 * long-lived.  Anything else goes the
 * whole way, in pp_track_alloc_slow().  Returns p, so that a wrapper
 * can end in it without keeping p: the common case needs no registers
 * saved.
 */
static inline void *
pp_track_alloc(pp_ngx_pool_t *pool, void *p, size_t size, int small,
    uintptr_t site)
{
    pp_live_t    *l;
    pp_site_t    *s;
    pp_chunk_t   *c;
    pp_totals_t  *t;
    pp_scache_t  *e;

    l = pp_last;
    e = &pp_scache[pp_scache_slot(site)];

    if (pp_unlikely(l->key != (uintptr_t) pool || !small || e->key != site
                    || pp_tls.countdown <= 1 || l->nlog == l->cap
                    || l->tail->d.next != NULL
                    || (intptr_t) (*pp_proc.ngx_msec - l->ll_ms) >= 0))
    {
        return pp_track_alloc_slow(pool, p, size, small, site);
    }

    pp_tls.countdown--;

    t = pp_proc.totals;
    t->allocs++;
    t->alloc_bytes += size;
    t->small_allocs++;

    s = e->row;
    s->allocs++;
    s->alloc_bytes += size;

    l->small_allocs++;
    l->small_bytes += size;
    l->dirty = 1;

    c = &l->log[l->nlog++];
    c->p = p;
    c->size = (uint32_t) size;
    c->freed = 0;

    return p;
}


#endif /* _PP_TRACK_H_INCLUDED_ */
