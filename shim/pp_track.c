/*
 * Live pools of this process, and each pool's log of small allocations,
 * so that a no-op ngx_pfree() knows the size and time of what it failed
 * to free.  Process-local (a forked child inherits its parent's pools,
 * as nginx's children do), bounded by POOLPROF_MAX_TRACKED allocations:
 * past it, events are still counted but sizes become unknown.
 */

#include <stdlib.h>
#include <string.h>

#include "pp_shim.h"

static void *pp_track_malloc(size_t size);
static void pp_track_mfree(void *p, size_t size);

static int   pp_oom;

#define HASH_NONFATAL_OOM  1
#define uthash_nonfatal_oom(obj)   (pp_oom = 1)
#define uthash_malloc(sz)          pp_track_malloc(sz)
#define uthash_free(ptr, sz)       pp_track_mfree(ptr, sz)
#define HASH_FUNCTION(keyptr, keylen, hashv)                                 \
    (hashv) = pp_hash(*(const uintptr_t *) (keyptr))

#include <uthash.h>


typedef struct {
    void                   *p;
    uint32_t                size;
    uint32_t                freed;      /* by a no-op ngx_pfree() */
    uint64_t                free_ns;
    uintptr_t               free_site;
} pp_chunk_t;

typedef struct {
    uintptr_t               key;        /* the pool */
    uintptr_t               site;       /* that created it */
    uint64_t                size;
    uint64_t                created_ns;
    uint64_t                small_allocs;
    uint64_t                small_bytes;
    uint64_t                large_allocs;
    uint64_t                large_bytes;
    pp_chunk_t             *log;
    uint32_t                nlog;
    uint32_t                cap;
    uint32_t                truncated;  /* the log missed allocations */
    UT_hash_handle          hh;
} pp_live_t;


static pp_live_t  *pp_live;
static pp_live_t  *pp_last;         /* most pools get runs of calls */
static uint64_t    pp_tracked;      /* chunks in every log */
static uint64_t    pp_max_tracked = 1000000;
static uint64_t    pp_npools;
static uint64_t    pp_max_pools = 100000;


static void *
pp_track_malloc(size_t size)
{
    return malloc(size);
}


static void
pp_track_mfree(void *p, size_t size)
{
    (void) size;
    free(p);
}


void
pp_track_init(void)
{
    char  *s, *end;
    long   n;

    s = getenv("POOLPROF_MAX_TRACKED");
    if (s != NULL) {
        n = strtol(s, &end, 10);
        if (end != s && *end == '\0' && n >= 0) {
            pp_max_tracked = (uint64_t) n;
            pp_max_pools = pp_max_tracked / 8 + 64;
        }
    }
}


static inline pp_live_t *
pp_live_find(pp_ngx_pool_t *pool)
{
    uintptr_t   key;
    pp_live_t  *l;

    key = (uintptr_t) pool;

    if (pp_last != NULL && pp_last->key == key) {
        return pp_last;
    }

    HASH_FIND(hh, pp_live, &key, sizeof(uintptr_t), l);

    if (l != NULL) {
        pp_last = l;
    }

    return l;
}


void
pp_track_create(pp_ngx_pool_t *pool, size_t size, uintptr_t site)
{
    pp_live_t   *l;
    pp_pool_t   *row;
    pp_shard_t  *sh;

    sh = pp_proc.shard;
    sh->totals.pools_created++;

    if (pp_proc.ngx_process != NULL) {
        sh->role = (uint32_t) *pp_proc.ngx_process;
    }

    row = pp_pool_row(site);
    row->created++;
    row->size = size;

    l = pp_live_find(pool);
    if (l != NULL) {
        /* destroyed behind our back (cannot happen when hooked): reuse */
        pp_tracked -= l->cap;
        free(l->log);
        HASH_DEL(pp_live, l);
        pp_npools--;
        free(l);
        pp_last = NULL;
    }

    if (pp_npools >= pp_max_pools) {
        sh->totals.untracked++;
        return;
    }

    l = calloc(1, sizeof(pp_live_t));
    if (l == NULL) {
        sh->totals.untracked++;
        return;
    }

    l->key = (uintptr_t) pool;
    l->site = site;
    l->size = size;
    l->created_ns = pp_now();

    HASH_ADD(hh, pp_live, key, sizeof(uintptr_t), l);

    if (pp_oom) {
        pp_oom = 0;
        free(l);
        sh->totals.untracked++;
        return;
    }

    pp_npools++;
    pp_last = l;
}


void
pp_track_alloc(pp_ngx_pool_t *pool, void *p, size_t size, int small,
    uintptr_t site)
{
    uint32_t     cap;
    pp_live_t   *l;
    pp_site_t   *s;
    pp_chunk_t  *log;
    pp_totals_t *t;

    t = &pp_proc.shard->totals;
    t->allocs++;
    t->alloc_bytes += size;

    s = pp_site(site);
    s->allocs++;
    s->alloc_bytes += size;

    l = pp_live_find(pool);

    if (!small) {
        t->large_allocs++;
        s->large_allocs++;
        if (l != NULL) {
            l->large_allocs++;
            l->large_bytes += size;
        }
        return;
    }

    t->small_allocs++;

    if (l == NULL) {
        t->untracked++;
        return;
    }

    l->small_allocs++;
    l->small_bytes += size;

    if (l->nlog == l->cap) {
        cap = l->cap ? l->cap * 2 : 16;

        if (l->truncated || pp_tracked + (cap - l->cap) > pp_max_tracked) {
            l->truncated = 1;
            return;
        }

        log = realloc(l->log, (size_t) cap * sizeof(pp_chunk_t));
        if (log == NULL) {
            l->truncated = 1;
            return;
        }

        pp_tracked += cap - l->cap;
        l->log = log;
        l->cap = cap;
    }

    log = &l->log[l->nlog++];
    log->p = p;
    log->size = (uint32_t) size;
    log->freed = 0;
}


void
pp_track_free(pp_ngx_pool_t *pool, void *p, int rc, uintptr_t site)
{
    uint32_t      i;
    pp_live_t    *l;
    pp_site_t    *s;
    pp_chunk_t   *c;
    pp_totals_t  *t;

    t = &pp_proc.shard->totals;
    s = pp_site(site);

    if (rc == PP_NGX_OK) {
        t->freed++;
        s->freed++;
        return;
    }

    l = pp_live_find(pool);

    if (l != NULL) {
        /* the newest first: most frees follow their allocation closely */
        for (i = l->nlog; i-- > 0; /* void */) {
            c = &l->log[i];

            if (c->p != p) {
                continue;
            }

            t->noop_frees++;
            s->noop_frees++;

            if (!c->freed) {
                c->freed = 1;
                c->free_ns = pp_now();
                c->free_site = site;
                t->pinned_bytes += c->size;
                s->pinned_bytes += c->size;
            }

            return;
        }

        if (!l->truncated) {
            t->foreign_frees++;
            s->foreign_frees++;
            return;
        }
    }

    /* a no-op free whose allocation the capped log did not keep */
    t->noop_frees++;
    t->unknown_frees++;
    s->noop_frees++;
    s->unknown_frees++;
}


/*
 * The end of a generation: ngx_destroy_pool() or ngx_reset_pool() is
 * about to run.  Walks the blocks exactly as ngx_destroy_pool() does.
 */
void
pp_track_end(pp_ngx_pool_t *pool, int destroy)
{
    uint32_t        i, retired;
    uint64_t        now, unused, stranded, used, padding, blocks, life;
    pp_live_t      *l;
    pp_pool_t      *row;
    pp_chunk_t     *c;
    pp_totals_t    *t;
    pp_ngx_pool_t  *b;
    unsigned char  *start;

    t = &pp_proc.shard->totals;
    now = pp_now();

    unused = stranded = used = blocks = 0;
    retired = (pool->current != pool);

    for (b = pool; b != NULL; b = b->d.next) {
        if (b == pool->current) {
            retired = 0;
        }

        start = (unsigned char *) b
                + (b == pool ? PP_NGX_POOL_HEADER : PP_NGX_BLOCK_HEADER);

        unused += (uint64_t) (b->d.end - b->d.last);
        if (b->d.last > start) {
            used += (uint64_t) (b->d.last - start);
        }

        if (retired) {
            stranded += (uint64_t) (b->d.end - b->d.last);
        }

        blocks++;
    }

    t->unused_bytes += unused;
    t->stranded_bytes += stranded;

    if (destroy) {
        t->pools_destroyed++;
    } else {
        t->pool_resets++;
    }

    l = pp_live_find(pool);
    if (l == NULL) {
        return;
    }

    padding = used > l->small_bytes && !l->truncated ? used - l->small_bytes
                                                      : 0;
    t->padding_bytes += padding;

    row = pp_pool_row(l->site);
    row->blocks += blocks;
    row->spilled += blocks > 1;
    row->unused_bytes += unused;
    row->stranded_bytes += stranded;
    row->padding_bytes += padding;
    row->small_allocs += l->small_allocs;
    row->small_bytes += l->small_bytes;
    row->large_allocs += l->large_allocs;
    row->large_bytes += l->large_bytes;
    row->used.count[pp_hist_bucket(used)]++;

    for (i = 0; i < l->nlog; i++) {
        c = &l->log[i];
        if (c->freed) {
            pp_site(c->free_site)->pinned_byte_seconds +=
                (double) c->size * (double) (now - c->free_ns) / 1e9;
        }
    }

    if (!destroy) {
        /* the log keeps its capacity for the next generation */
        row->resets++;
        l->nlog = 0;
        l->truncated = 0;
        l->small_allocs = l->small_bytes = 0;
        l->large_allocs = l->large_bytes = 0;
        return;
    }

    life = now - l->created_ns;
    row->destroyed++;
    row->lifetime_ns += life;
    row->lifetime.count[pp_hist_bucket(life)]++;

    pp_tracked -= l->cap;
    free(l->log);
    HASH_DEL(pp_live, l);
    pp_npools--;
    if (pp_last == l) {
        pp_last = NULL;
    }
    free(l);
}
