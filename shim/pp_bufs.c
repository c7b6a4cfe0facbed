/*
 * Buffer reuse per buf->tag.
 *
 * ngx_chain_update_chains() is measured, not re-implemented: nginx
 * changed its order in 1.21.4.  Before the call the links of *busy and
 * *out and the head of *free are noted; after it, links pushed in front
 * of the old *free head were recycled, links still in *busy are busy,
 * and the other noted links were freed to pool->chain.
 *
 * A miss of ngx_chain_get_free_buf() returns a buffer with no tag yet:
 * it waits in a small pending list and is counted for the tag it carries
 * when it first reaches ngx_chain_update_chains(), or when its pool ends.
 */

#include "pp_shim.h"


#define PP_PENDING_MAX  4096

typedef struct {
    pp_ngx_buf_t           *buf;
    pp_ngx_pool_t          *pool;
} pp_pending_t;

static pp_pending_t  pp_pending[PP_PENDING_MAX];
static uint32_t      pp_npending;


static inline uintptr_t
pp_tag_key(void *tag)
{
    return tag != NULL ? (uintptr_t) tag : 1;
}


void
pp_bufs_get(pp_ngx_pool_t *pool, pp_ngx_chain_t *cl, int hit, uintptr_t site)
{
    pp_site_t    *s;
    pp_totals_t  *t;

    s = pp_site(site);
    t = &pp_proc.shard->totals;

    if (hit) {
        s->fb_hits++;
        t->fb_hits++;
        pp_tag(pp_tag_key(cl->buf->tag))->hits++;
        return;
    }

    s->fb_misses++;
    t->fb_misses++;

    if (pp_npending == PP_PENDING_MAX) {
        /* counted now, for whatever tag it has (usually none) */
        pp_tag(pp_tag_key(cl->buf->tag))->misses++;
        return;
    }

    pp_pending[pp_npending].buf = cl->buf;
    pp_pending[pp_npending].pool = pool;
    pp_npending++;
}


static void
pp_bufs_resolve(pp_ngx_buf_t *b)
{
    uint32_t  i;

    for (i = pp_npending; i-- > 0; /* void */) {
        if (pp_pending[i].buf == b) {
            pp_tag(pp_tag_key(b->tag))->misses++;
            pp_pending[i] = pp_pending[--pp_npending];
            return;
        }
    }
}


/* a pool ends: its pending buffers are still readable, for the last time */
void
pp_bufs_pool_end(pp_ngx_pool_t *pool)
{
    uint32_t  i;

    for (i = pp_npending; i-- > 0; /* void */) {
        if (pp_pending[i].pool == pool) {
            pp_tag(pp_tag_key(pp_pending[i].buf->tag))->misses++;
            pp_pending[i] = pp_pending[--pp_npending];
        }
    }
}


void
pp_bufs_update_before(pp_bufs_state_t *st, pp_ngx_chain_t **free,
    pp_ngx_chain_t **busy, pp_ngx_chain_t **out)
{
    pp_ngx_chain_t  *cl;

    st->free_head = *free;
    st->n = 0;

    for (cl = *busy; cl != NULL && st->n < PP_BUFS_NOTE; cl = cl->next) {
        st->n++;
        if (pp_npending) {
            pp_bufs_resolve(cl->buf);
        }
    }

    for (cl = *out; cl != NULL && st->n < PP_BUFS_NOTE; cl = cl->next) {
        st->n++;
        if (pp_npending) {
            pp_bufs_resolve(cl->buf);
        }
    }
}


void
pp_bufs_update_after(pp_bufs_state_t *st, pp_ngx_chain_t **free,
    pp_ngx_chain_t **busy, void *tag)
{
    uint32_t         recycled, busy_n;
    pp_tag_t        *row;
    pp_totals_t     *t;
    pp_ngx_chain_t  *cl;

    recycled = 0;
    for (cl = *free; cl != NULL && cl != st->free_head; cl = cl->next) {
        recycled++;
        if (recycled > st->n) {
            break;      /* not our list any more: never loop */
        }
    }

    busy_n = 0;
    for (cl = *busy; cl != NULL && busy_n < st->n; cl = cl->next) {
        busy_n++;
    }

    row = pp_tag(pp_tag_key(tag));
    t = &pp_proc.shard->totals;

    row->recycled += recycled;
    row->busy += busy_n;
    t->recycled += recycled;
    t->busy += busy_n;

    if (st->n > recycled + busy_n) {
        row->foreign_freed += st->n - recycled - busy_n;
        t->foreign_freed += st->n - recycled - busy_n;
    }
}
