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

#include "pp_track.h"
#include "pp_growth.h"
#include "pp_clock.h"




static void pp_track_publish(pp_live_t *l, uint64_t bytes);
static void pp_track_flush(pp_live_t *l);
static pp_live_t *pp_track_new(void);
static void pp_track_release(pp_live_t *l);
static void pp_track_blocks(pp_live_t *l);
static void pp_track_pin(pp_live_t *l, uint64_t size, uintptr_t site);
static void pp_track_tick(int all);
static void pp_track_grow(pp_live_t *l, size_t size, pp_site_t *s,
    uintptr_t site);


static pp_live_t  *pp_live;
/* most pools get runs of calls; never NULL, so the fast path has one test */
static pp_live_t   pp_none = { .key = UINTPTR_MAX };
pp_live_t         *pp_last = &pp_none;
static pp_live_t  *pp_prev = &pp_none;      /* the one before: requests
                                               go back and forth between
                                               their pool and c->pool */
static uint64_t    pp_tracked;      /* chunks in every log */
static uint64_t    pp_max_tracked = 1000000;
static uint64_t    pp_npools;
static uint64_t    pp_serial;       /* pools created, fork() included */
static uint64_t    pp_pub_serial;   /* pools up to it went through a tick */
static uintptr_t   pp_tick_ms;      /* nginx's clock at the last tick */
static int         pp_lazy;         /* publish at ticks, not at creation */
static pp_live_t  *pp_spare;        /* released, with their logs */
static uint32_t    pp_nspare;

#define PP_SPARE_MAX      64
#define PP_SPARE_LOG_MAX  128

/* log entries a free scans before the log gets an index */
#define PP_ALOG_SCAN      32
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


static uintptr_t  pp_no_msec;


void
pp_track_init(void)
{
    uint64_t   ll;

    ll = pp_proc.long_lived_ns;
    pp_proc.long_lived_ms = ll == PP_LONG_LIVED_OFF ? INT64_MAX : ll / 1000000;

    pp_lazy = 1;

    if (pp_proc.ngx_msec == NULL) {
        /* no clock: every pool is as old as it was at birth */
        pp_proc.ngx_msec = &pp_no_msec;
        if (pp_proc.long_lived_ms != 0) {
            pp_proc.long_lived_ms = INT64_MAX;
        }
        pp_lazy = 0;
    }

    pp_live_init();

    pp_max_tracked = pp_conf.max_tracked;
    pp_max_pools = pp_max_tracked / 8 + 64;
}


static inline pp_live_t *
pp_live_find(pp_ngx_pool_t *pool)
{
    uintptr_t   key;
    pp_live_t  *l;

    key = (uintptr_t) pool;

    if (pp_last->key == key) {
        return pp_last;
    }

    /* the live row of the pool we leave catches up */
    if (pp_last->dirty) {
        pp_track_flush(pp_last);
    }

    if (pp_prev->key == key) {
        l = pp_prev;

    } else {
        HASH_FIND(hh, pp_live, &key, sizeof(uintptr_t), l);

        if (l == NULL) {
            return NULL;
        }
    }

    pp_prev = pp_last;
    pp_last = l;

    return l;
}


void
pp_track_create(pp_ngx_pool_t *pool, size_t size, uintptr_t site)
{
    pp_live_t   *l;
    pp_pool_t   *row;
    pp_shard_t  *sh;

    sh = pp_proc.shard;
    pp_proc.totals->pools_created++;

    if (pp_proc.ngx_process != NULL) {
        sh->role = (uint32_t) *pp_proc.ngx_process;
    }

    row = pp_pool_row(site);
    row->created++;
    row->size = size;

    l = pp_live_find(pool);
    if (l != NULL) {
        /* destroyed behind our back (cannot happen when hooked): reuse */
        if (l->slot >= 0) {
            pp_live_put(l->slot);
        }
        HASH_DEL(pp_live, l);
        pp_npools--;
        pp_last = &pp_none;
        if (pp_prev == l) {
            pp_prev = &pp_none;
        }
        pp_track_release(l);
    }

    if (pp_last->dirty) {
        pp_track_flush(pp_last);
    }

    if (*pp_proc.ngx_msec != pp_tick_ms) {
        pp_track_tick(0);
    }

    if (pp_npools >= pp_max_pools) {
        pp_proc.totals->untracked++;
        return;
    }

    l = pp_track_new();
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

    HASH_ADD(hh, pp_live, key, sizeof(uintptr_t), l);

    if (pp_oom) {
        pp_oom = 0;
        pp_track_release(l);
        pp_proc.totals->untracked++;
        return;
    }

    pp_npools++;
    pp_prev = pp_last;
    pp_last = l;

    if (!pp_lazy) {
        pp_track_publish(l, 0);
    }
}


/*
 * Live pools are published lazily: a pool that ends within the
 * millisecond of nginx's clock that created it, as most request pools
 * do, never takes a slot.  At the first pool creation after the clock
 * moved, the pools created since the last tick and still alive are
 * published; they are the tail of the table's insertion order.  "all"
 * (exit) publishes every one, whatever the clock.
 */
static void
pp_track_tick(int all)
{
    pp_live_t        *l;
    UT_hash_table    *tbl;

    pp_tick_ms = *pp_proc.ngx_msec;

    if (pp_live != NULL) {
        tbl = pp_live->hh.tbl;

        for (l = ELMT_FROM_HH(tbl, tbl->tail);
             l != NULL && (all || l->serial > pp_pub_serial);
             l = l->hh.prev)
        {
            if (l->slot < 0 && !l->dropped) {
                pp_track_publish(l, l->blocks > 1
                                    ? l->small_bytes + l->large_bytes : 0);
            }
        }
    }

    pp_pub_serial = pp_serial;
}


/* a tracked pool's record, recycled when possible: no malloc per pool */
static pp_live_t *
pp_track_new(void)
{
    uint32_t      cap, pins_cap;
    pp_pin_t     *pins;
    pp_live_t    *l;
    pp_chunk_t   *log;
    pp_pindex_t   ix;

    if (pp_spare == NULL) {
        return calloc(1, sizeof(pp_live_t));
    }

    l = pp_spare;
    pp_spare = l->next_spare;
    pp_nspare--;

    log = l->log;
    cap = l->cap;
    pins = l->pins;
    pins_cap = l->pins_cap;
    ix = l->ix;
    *l = (pp_live_t) { 0 };     /* stores inline: no call of memset() */

    l->pins = pins;
    l->pins_cap = pins_cap;

    if (pp_tracked + cap > pp_max_tracked) {
        free(log);
        pp_pindex_free(&ix);
        return l;
    }

    l->ix = ix;
    l->log = log;
    l->cap = cap;
    pp_tracked += cap;

    return l;
}


static void
pp_track_release(pp_live_t *l)
{
    pp_tracked -= l->cap;

    if (pp_nspare < PP_SPARE_MAX && l->cap <= PP_SPARE_LOG_MAX) {
        pp_pindex_reset(&l->ix);
        l->next_spare = pp_spare;
        pp_spare = l;
        pp_nspare++;
        return;
    }

    pp_pindex_free(&l->ix);
    free(l->pins);
    free(l->log);
    free(l);
}


/* the pool's live row catches up with its counters */
static void
pp_track_flush(pp_live_t *l)
{
    pp_lpool_t  *row;

    l->dirty = 0;

    if (l->slot < 0) {
        return;
    }

    row = &pp_proc.live[l->slot];
    row->allocs = l->small_allocs + l->large_allocs;
    row->alloc_bytes = l->small_bytes + l->large_bytes;
    row->large_allocs = l->large_allocs;
    row->large_bytes = l->large_bytes;
    row->blocks = l->blocks;
    row->ll_allocs = l->ll_allocs;
    row->ll_bytes = l->ll_bytes;
}


/* gives a pool a live slot, when there is one */
static void
pp_track_publish(pp_live_t *l, uint64_t bytes)
{
    pp_lpool_t  *row;

    if (pp_live_take(&l->slot, bytes) < 0) {
        if (!l->dropped) {
            l->dropped = 1;
            pp_proc.totals->live_dropped++;
        }
        return;
    }

    row = &pp_proc.live[l->slot];
    row->site = l->site;
    row->created_mono_ns = l->created_ns;
    row->size = l->size;
    row->flags = l->inherited ? PP_LPOOL_INHERITED : 0;
    pp_track_flush(l);

    pp_live_publish(l->slot, l->key);
}


/*
 * The pool grew: nginx only ever appends blocks, so the blocks after the
 * last one known are the new ones.
 */
static void
pp_track_blocks(pp_live_t *l)
{
    uint32_t        n;
    pp_ngx_pool_t  *b;

    n = l->blocks;

    for (b = l->tail; b->d.next != NULL && n < 1000000; b = b->d.next) {
        n++;
    }

    l->tail = b;

    if (n <= l->blocks) {
        return;
    }

    l->blocks = n;

    if (l->slot >= 0) {
        pp_proc.live[l->slot].blocks = n;

    } else if (!pp_lazy || l->serial <= pp_pub_serial
               || *pp_proc.ngx_msec != l->created_ms)
    {
        /* a pool in the millisecond that created it waits for a tick */
        pp_track_publish(l, l->small_bytes + l->large_bytes);
    }
}


/* an allocation into a pool older than POOLPROF_LONG_LIVED */
static void
pp_track_grow(pp_live_t *l, size_t size, pp_site_t *s, uintptr_t site)
{
    uint64_t      age;
    pp_pool_t    *row;
    pp_growth_t  *g;

    pp_proc.totals->ll_allocs++;
    pp_proc.totals->ll_bytes += size;
    s->ll_allocs++;
    s->ll_bytes += size;

    row = l->row;
    row->ll_allocs++;
    row->ll_bytes += size;

    l->ll_allocs++;
    l->ll_bytes += size;

    g = pp_growth(site, l->site);
    g->allocs++;
    g->bytes += size;

    age = (uint64_t) (*pp_proc.ngx_msec - l->created_ms) * 1000000;
    if (age > g->max_age_ns) {
        g->max_age_ns = age;
    }

    /* addresses are reused: a pool is its serial number */
    if (g->last_pool == l->serial) {
        if (g->last_seq != pp_serial) {
            g->returns++;
        }

    } else {
        g->pools++;
        g->last_pool = l->serial;
    }

    g->last_seq = pp_serial;
}


/* everything pp_track_alloc() leaves to the whole way; returns p */
void *
pp_track_alloc_slow(pp_ngx_pool_t *pool, void *p, size_t size, int small,
    uintptr_t site)
{
    uint32_t     cap;
    pp_live_t   *l;
    pp_site_t   *s;
    pp_stack_t  *st;
    pp_chunk_t  *log;
    pp_totals_t *t;

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

    l = pp_live_find(pool);

    if (l != NULL) {
        if (pp_unlikely((intptr_t) (*pp_proc.ngx_msec - l->created_ms)
                        >= (intptr_t) pp_proc.long_lived_ms))
        {
            pp_track_grow(l, size, s, site);
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
        pp_track_blocks(l);
    }

    if (l->nlog == l->cap) {
        cap = l->cap ? l->cap * 2 : 16;

        if (l->truncated || pp_tracked + (cap - l->cap) > pp_max_tracked) {
            l->truncated = 1;
            return p;
        }

        log = realloc(l->log, (size_t) cap * sizeof(pp_chunk_t));
        if (log == NULL) {
            l->truncated = 1;
            return p;
        }

        pp_tracked += cap - l->cap;
        l->log = log;
        l->cap = cap;
    }

    log = &l->log[l->nlog++];
    log->p = p;
    log->size = (uint32_t) size;
    log->freed = 0;

    return p;
}


/*
 * Remembers when and where a chunk was pinned, for its byte-seconds at
 * the pool's end.  There are never more pins than logged chunks.  Should
 * the room not grow, that one pin's byte-seconds are lost; its bytes are
 * counted all the same.
 */
static void
pp_track_pin(pp_live_t *l, uint64_t size, uintptr_t site)
{
    uint32_t   cap;
    pp_pin_t  *pins, *pin;

    if (l->npins == l->pins_cap) {
        cap = l->pins_cap ? l->pins_cap * 2 : 4;

        pins = realloc(l->pins, (size_t) cap * sizeof(pp_pin_t));
        if (pins == NULL) {
            return;
        }

        l->pins = pins;
        l->pins_cap = cap;
    }

    pin = &l->pins[l->npins++];
    pin->size = size;
    pin->ns = pp_clock();
    pin->site = site;
}


/*
 * The newest log entry of address p, or PP_PINDEX_MISS.  A short log is
 * scanned, newest first (most frees follow their allocation closely);
 * past PP_ALOG_SCAN entries the log gets an index.  Without memory for
 * the index only the newest entries are looked at, and *unknown says
 * that a miss may be an older allocation.
 */
static uint32_t
pp_track_lookup(pp_live_t *l, void *p, int *unknown)
{
    uint32_t  i, end;

    if (l->ix.n == 0 && l->nlog <= PP_ALOG_SCAN) {
        end = 0;

    } else if (!l->noindex && pp_pindex_sync(&l->ix, l->log, l->nlog) == 0) {
        return pp_pindex_find(&l->ix, l->log, p);

    } else {
        l->noindex = 1;
        end = l->nlog > PP_ALOG_SCAN ? l->nlog - PP_ALOG_SCAN : 0;
        *unknown = 1;
    }

    for (i = l->nlog; i-- > end; /* void */) {
        if (l->log[i].p == p) {
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
    pp_live_t    *l;
    pp_site_t    *s;
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

    l = pp_live_find(pool);
    unknown = 0;

    if (l != NULL) {
        i = pp_track_lookup(l, p, &unknown);

        if (i != PP_PINDEX_MISS) {
            c = &l->log[i];

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
                pp_track_pin(l, c->size, site);
            }

            return;
        }

        if (!l->truncated && !unknown) {
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
    pp_pin_t       *pin;
    pp_pool_t      *row;
    pp_totals_t    *t;
    pp_ngx_pool_t  *b;
    unsigned char  *start;

    t = pp_proc.totals;
    now = pp_clock();

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

    row = l->row;
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

    if (l->stack != NULL) {
        l->stack->unused_bytes += unused;
    }

    for (i = 0; i < l->npins; i++) {
        pin = &l->pins[i];
        pp_site(pin->site)->pinned_byte_seconds +=
            (double) pin->size * (double) pp_clock_since(now, pin->ns) / 1e9;
    }

    if (!destroy) {
        /* the log keeps its capacity for the next generation */
        row->resets++;
        l->nlog = 0;
        l->npins = 0;
        l->truncated = 0;
        l->noindex = 0;
        pp_pindex_reset(&l->ix);
        l->small_allocs = l->small_bytes = 0;
        l->large_allocs = l->large_bytes = 0;
        pp_track_flush(l);     /* ngx_reset_pool() keeps every block */

        return;
    }

    if (l->slot >= 0) {
        pp_live_put(l->slot);
    }

    life = pp_clock_since(now, l->created_ns);
    row->destroyed++;
    row->lifetime_ns += life;
    row->lifetime.count[pp_hist_bucket(life)]++;

    HASH_DEL(pp_live, l);
    pp_npools--;
    if (pp_last == l) {
        pp_last = &pp_none;
    }
    if (pp_prev == l) {
        pp_prev = &pp_none;
    }
    pp_track_release(l);
}


/*
 * A forked child: its parent's pools are now its own too (nginx's
 * workers use the cycle's pool), but the parent's shard is not; they
 * are published as inherited in the child's table.
 */
void
pp_track_forked(void)
{
    pp_live_t  *l, *tmp;

    pp_live_init();

    HASH_ITER(hh, pp_live, l, tmp) {
        l->inherited = 1;
        l->row = pp_pool_row(l->site);     /* in the child's shard */
        l->slot = -1;
        l->dropped = 0;
        l->stack = NULL;
        pp_track_publish(l, 0);
    }

    pp_pub_serial = pp_serial;
}


/* a clean exit: the pools this process created and never destroyed */
void
pp_track_exit(void)
{
    pp_live_t  *l, *tmp;

    pp_track_tick(1);

    HASH_ITER(hh, pp_live, l, tmp) {
        pp_track_flush(l);

        if (!l->inherited) {
            pp_pool_row(l->site)->leaked++;
            pp_proc.totals->leaked_pools++;
        }
    }
}
