/*
 * The records of this process's live pools (pp_tpool_t): made at
 * ngx_create_pool(), found by the pool's address at each event, removed
 * at ngx_destroy_pool() (pp_end.c).  Process-local: a forked
 * child inherits its parent's pools, as nginx's children do.
 *
 * An event finds its pool's record as the pool of the previous call
 * (pp_last), the one before it (pp_prev: a request goes back and forth
 * between r->pool and c->pool), or in a uthash table, whose order is the
 * order of creation: the tick (pp_publish.c) walks it from the newest.
 * Records of ended pools with small logs are kept for the next pools,
 * so that a pool costs no malloc.
 */

#include <malloc.h>
#include <stdlib.h>

#include "pp_shim.h"

static void *pp_pool_malloc(size_t size);
static void pp_pool_mfree(void *p, size_t size);

static int   pp_oom;

/* uthash in the shim's own allocator, which may fail */
#define HASH_NONFATAL_OOM  1
#define uthash_nonfatal_oom(obj)   (pp_oom = 1)
#define uthash_malloc(sz)          pp_pool_malloc(sz)
#define uthash_free(ptr, sz)       pp_pool_mfree(ptr, sz)
#define HASH_FUNCTION(keyptr, keylen, hashv)                                 \
    (hashv) = pp_hash(*(const uintptr_t *) (keyptr))

#include <uthash.h>

#include "pp_pool.h"
#include "pp_alog.h"
#include "pp_publish.h"
#include "pp_clock.h"


static pp_tpool_t *pp_pool_new(void);
static void pp_pool_release(pp_tpool_t *l);


#define PP_SPARE_MAX      64
#define PP_SPARE_LOG_MAX  128

static pp_tpool_t  *pp_tracked;             /* the hash of every record */
static pp_tpool_t   pp_none = { .key = UINTPTR_MAX };
pp_tpool_t         *pp_last = &pp_none;     /* never NULL: one test */
static pp_tpool_t  *pp_prev = &pp_none;
static pp_tpool_t  *pp_spare;               /* released, with their logs */
static uint32_t     pp_nspare;
static uint64_t     pp_npools;
static uint64_t     pp_max_pools = 100000;
uint64_t            pp_serial;


static void *
pp_pool_malloc(size_t size)
{
    return malloc(size);
}


static void
pp_pool_mfree(void *p, size_t size)
{
    (void) size;
    free(p);
}


void
pp_pool_init(uint64_t max_pools)
{
    pp_max_pools = max_pools;
}


static inline pp_tpool_t *
pp_pool_find(uintptr_t key)
{
    pp_tpool_t  *l;

    HASH_FIND(hh, pp_tracked, &key, sizeof(uintptr_t), l);

    return l;
}


/* pp_pool_use() of a pool other than pp_last */
pp_tpool_t *
pp_pool_switch(pp_ngx_pool_t *pool)
{
    uintptr_t    key;
    pp_tpool_t  *l;

    key = (uintptr_t) pool;

    if (pp_last->dirty) {
        pp_publish_flush(pp_last);
    }

    if (pp_prev->key == key) {
        l = pp_prev;

    } else {
        l = pp_pool_find(key);

        if (l == NULL) {
            return NULL;
        }
    }

    pp_prev = pp_last;
    pp_last = l;

    return l;
}


/* the newest record, and the one created before l: the tick's walk */
pp_tpool_t *
pp_pool_newest(void)
{
    UT_hash_table  *tbl;

    if (pp_tracked == NULL) {
        return NULL;
    }

    tbl = pp_tracked->hh.tbl;

    return ELMT_FROM_HH(tbl, tbl->tail);
}


pp_tpool_t *
pp_pool_older(pp_tpool_t *l)
{
    return l->hh.prev;
}


void
pp_track_create(pp_ngx_pool_t *pool, size_t size, uintptr_t site)
{
    pp_pool_t   *row;
    pp_tpool_t  *l;

    if (pp_proc.ngx_process != NULL) {
        pp_proc.shard->role = (uint32_t) *pp_proc.ngx_process;
    }

    /* left out by POOLPROF_SAMPLE: no record, no range, no row */
    if (pp_unlikely(pp_sample.period >= 2)
        && pp_sample_skip((uintptr_t) pool))
    {
        pp_proc.totals->pools_unsampled++;
        return;
    }

    pp_proc.totals->pools_created++;

    row = pp_pool_row(site);
    row->created++;
    row->size = size;

    l = pp_pool_find((uintptr_t) pool);
    if (l != NULL) {
        /* destroyed behind our back (cannot happen when hooked) */
        pp_track_remove(l);
    }

    if (pp_last->dirty) {
        pp_publish_flush(pp_last);
    }

    pp_publish_clock();

    if (pp_npools >= pp_max_pools) {
        pp_proc.totals->untracked++;
        return;
    }

    l = pp_pool_new();
    if (l == NULL) {
        pp_proc.totals->untracked++;
        return;
    }

    l->key = (uintptr_t) pool;
    l->row = row;
    l->site = site;
    l->size = size;
    l->created_ns = pp_clock();
    l->created_ms = *pp_proc.ngx_msec;
    l->ll_ms = l->created_ms + pp_proc.long_lived_ms;
    l->serial = ++pp_serial;
    l->tail = pool;
    l->blocks = 1;
    l->slot = -1;
    l->stack = pp_stack_sample(site);

    if (l->stack != NULL) {
        l->stack->pools++;
    }

    HASH_ADD(hh, pp_tracked, key, sizeof(uintptr_t), l);

    if (pp_oom) {
        pp_oom = 0;
        pp_pool_release(l);
        pp_proc.totals->untracked++;
        return;
    }

    pp_npools++;
    pp_prev = pp_last;
    pp_last = l;

    if (pp_range_on) {
        pp_range_add(l, (uintptr_t) pool, (uintptr_t) pool->d.end, 0);
    }

    pp_publish_new(l);
}


/* a record, recycled when possible; NULL without memory */
static pp_tpool_t *
pp_pool_new(void)
{
    pp_alog_t    log;
    pp_tpool_t  *l;

    if (pp_spare == NULL) {
        return calloc(1, sizeof(pp_tpool_t));
    }

    l = pp_spare;
    pp_spare = l->next_spare;
    pp_nspare--;

    log = l->log;
    *l = (pp_tpool_t) { 0 };     /* stores inline: no call of memset() */
    l->log = log;
    pp_alog_renew(&l->log);

    return l;
}


static void
pp_pool_release(pp_tpool_t *l)
{
    int  spare;

    spare = (pp_nspare < PP_SPARE_MAX && l->log.cap <= PP_SPARE_LOG_MAX);

    pp_alog_release(&l->log, spare);

    if (spare) {
        l->next_spare = pp_spare;
        pp_spare = l;
        pp_nspare++;
        return;
    }

    free(l);
}


/*
 * the one way a record goes: its slot, its hash entry, its ranges of
 * memory, the MRU pair
 */
void
pp_track_remove(pp_tpool_t *l)
{
    if (l->slot >= 0) {
        pp_publish_remove(l);
    }

    pp_range_drop(l, 0);

    HASH_DEL(pp_tracked, l);
    pp_npools--;

    if (pp_last == l) {
        pp_last = &pp_none;
    }

    if (pp_prev == l) {
        pp_prev = &pp_none;
    }

    pp_pool_release(l);
}


/*
 * A forked child: its parent's pools are now its own too (nginx's
 * workers use the cycle's pool), but the parent's shard is not; they
 * are published as inherited in the child's table.
 */
void
pp_pool_forked(void)
{
    pp_tpool_t  *l, *tmp;

    pp_sample_forked();

    HASH_ITER(hh, pp_tracked, l, tmp) {
        l->inherited = 1;
        l->row = pp_pool_row(l->site);     /* in the child's shard */
        l->stack = NULL;
        pp_publish_inherited(l);
    }
}


/*
 * The first free that needs to know which pool's memory holds a pointer:
 * every live pool's blocks and large allocations join the index, once,
 * and every new one from then on.  A record's blocks are those from the
 * pool to its tail.  nginx keeps no size of a large allocation: one made
 * before is indexed as long as malloc says its memory is, so that a free
 * of a pointer into its slack counts as interior, not unknown.
 */
void
pp_pool_index(void)
{
    uintptr_t             p;
    uint32_t              n;
    pp_tpool_t           *l, *tmp;
    pp_ngx_pool_t        *b;
    pp_ngx_pool_large_t  *g;

    if (pp_range_on) {
        return;
    }

    pp_range_on = 1;

    HASH_ITER(hh, pp_tracked, l, tmp) {
        for (b = (pp_ngx_pool_t *) l->key; b != NULL; b = b->d.next) {
            pp_range_add(l, (uintptr_t) b, (uintptr_t) b->d.end, 0);

            if (b == l->tail) {
                break;
            }
        }

        b = (pp_ngx_pool_t *) l->key;

        for (g = b->large, n = 0; g != NULL && n < PP_BLOCKS_MAX;
             g = g->next, n++)
        {
            p = (uintptr_t) g->alloc;

            if (p != 0) {
                pp_range_add(l, p, p + malloc_usable_size(g->alloc), 1);
            }
        }
    }
}


/* a clean exit: the pools this process created and never destroyed */
void
pp_pool_exit(void)
{
    pp_tpool_t  *l, *tmp;

    HASH_ITER(hh, pp_tracked, l, tmp) {
        pp_publish_flush(l);

        if (!l->inherited) {
            pp_pool_row(l->site)->leaked++;
            pp_proc.totals->leaked_pools++;
        }
    }
}
