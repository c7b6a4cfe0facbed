/*
 * The end of a pool's generation, at ngx_destroy_pool() or
 * ngx_reset_pool(): its blocks are walked as nginx walks them, and its
 * figures go to the row of the site that created it (blocks, unused,
 * stranded and padding bytes, its allocations, its lifetime), its pins'
 * byte-seconds to the sites that freed them.  A reset keeps the record,
 * with its blocks and its log's capacity, for the next generation.
 */

#include "pp_pool.h"
#include "pp_alog.h"
#include "pp_publish.h"
#include "pp_clock.h"


/* the walk of a pool's blocks */
typedef struct {
    uint64_t                unused;     /* bytes after each block's last */
    uint64_t                stranded;   /* of them, before current */
    uint64_t                used;
    uint64_t                blocks;
} pp_walk_t;


/* walks the blocks exactly as ngx_destroy_pool() does */
static void
pp_pool_walk(pp_ngx_pool_t *pool, pp_walk_t *w)
{
    int             retired;
    pp_ngx_pool_t  *b;
    unsigned char  *start;

    w->unused = w->stranded = w->used = w->blocks = 0;

    /* the blocks before current are full: nginx no longer tries them */
    retired = (pool->current != pool);

    for (b = pool; b != NULL; b = b->d.next) {
        if (b == pool->current) {
            retired = 0;
        }

        start = (unsigned char *) b
                + (b == pool ? PP_NGX_POOL_HEADER : PP_NGX_BLOCK_HEADER);

        w->unused += (uint64_t) (b->d.end - b->d.last);
        if (b->d.last > start) {
            w->used += (uint64_t) (b->d.last - start);
        }

        if (retired) {
            w->stranded += (uint64_t) (b->d.end - b->d.last);
        }

        w->blocks++;
    }
}


/* ngx_destroy_pool() or ngx_reset_pool() is about to run */
void
pp_track_end(pp_ngx_pool_t *pool, int destroy)
{
    uint64_t      now, padding, life;
    pp_walk_t     w;
    pp_pool_t    *row;
    pp_tpool_t   *l;
    pp_totals_t  *t;

    t = pp_proc.totals;
    now = pp_clock();

    pp_pool_walk(pool, &w);

    t->unused_bytes += w.unused;
    t->stranded_bytes += w.stranded;

    if (destroy) {
        t->pools_destroyed++;
    } else {
        t->pool_resets++;
    }

    l = pp_pool_use(pool);
    if (l == NULL) {
        return;
    }

    padding = (w.used > l->small_bytes && !l->log.truncated)
              ? w.used - l->small_bytes : 0;
    t->padding_bytes += padding;

    row = l->row;
    row->blocks += w.blocks;
    row->spilled += w.blocks > 1;
    row->unused_bytes += w.unused;
    row->stranded_bytes += w.stranded;
    row->padding_bytes += padding;
    row->small_allocs += l->small_allocs;
    row->small_bytes += l->small_bytes;
    row->large_allocs += l->large_allocs;
    row->large_bytes += l->large_bytes;
    row->used.count[pp_hist_bucket(w.used)]++;

    if (l->stack != NULL) {
        l->stack->unused_bytes += w.unused;
    }

    if (l->log.npins != 0) {
        pp_alog_settle(&l->log, now);
    }

    if (!destroy) {
        row->resets++;
        pp_range_drop(l, 1);        /* nginx frees the large allocations */
        pp_alog_restart(&l->log);
        l->small_allocs = l->small_bytes = 0;
        l->large_allocs = l->large_bytes = 0;
        pp_publish_flush(l);        /* ngx_reset_pool() keeps every block */
        return;
    }

    life = pp_clock_since(now, l->created_ns);
    row->destroyed++;
    row->lifetime_ns += life;
    row->lifetime.count[pp_hist_bucket(life)]++;

    pp_track_remove(l);
}
