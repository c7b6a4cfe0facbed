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
 *
 * A free list that never goes through ngx_chain_get_free_buf() (gzip
 * takes ctx->free itself) is followed from one update_chains call to
 * the next: links that left it were reused (own hits), links of the tag
 * in *out beyond those are new buffers (own misses).
 */

#include <string.h>

#include "pp_bufs.h"
#include "pp_table.h"


/*
 * Misses waiting for their tag, and free lists followed: both bounded,
 * and both walked whole at a pool's end, so kept small; a miss that
 * finds the pending list full is counted at once, a list that finds its
 * slot taken replaces the one there.
 */
#define PP_PENDING_MAX  4096

typedef struct {
    pp_ngx_buf_t           *buf;
    pp_ngx_pool_t          *pool;
} pp_pending_t;

static pp_pending_t  pp_pending[PP_PENDING_MAX];
static uint32_t      pp_npending;

#define PP_LISTS  256

struct pp_buflist_s {
    pp_ngx_chain_t        **free;       /* the list's address: the key */
    pp_ngx_pool_t          *pool;
    uint32_t                len;        /* after the last update_chains */
    uint32_t                got;        /* ngx_chain_get_free_buf used it */
};

static pp_buflist_t  pp_lists[PP_LISTS];
static uint32_t      pp_used[PP_LISTS];     /* the slots in use */
static uint32_t      pp_nlists;


/*
 * A new process: nothing pending, no list followed.  A child's were its
 * parent's, and are counted in the parent's shard.
 */
void
pp_bufs_reset(void)
{
    pp_npending = 0;
    pp_nlists = 0;
    memset(pp_lists, 0, sizeof(pp_lists));
}


/* the state of a free list; a new one replaces a stale one in its slot */
static pp_buflist_t *
pp_list(pp_ngx_chain_t **free, pp_ngx_pool_t *pool, int *fresh)
{
    uint32_t       i;
    pp_buflist_t  *l;

    i = pp_hash((uintptr_t) free) & (PP_LISTS - 1);
    l = &pp_lists[i];

    if (l->free == free && l->pool == pool) {
        *fresh = 0;
        return l;
    }

    if (l->free == NULL) {
        pp_used[pp_nlists++] = i;
    }

    l->free = free;
    l->pool = pool;
    l->len = 0;
    l->got = 0;
    *fresh = 1;

    return l;
}


static uint32_t
pp_chain_len(pp_ngx_chain_t *cl, uint32_t max)
{
    uint32_t  n;

    for (n = 0; cl != NULL && n < max; cl = cl->next) {
        n++;
    }

    return n;
}


static inline uintptr_t
pp_tag_key(void *tag)
{
    return tag != NULL ? (uintptr_t) tag : PP_TAG_NONE;
}


void
pp_bufs_get(pp_ngx_pool_t *pool, pp_ngx_chain_t **free, pp_ngx_chain_t *cl,
    int hit, uintptr_t site)
{
    int           fresh;
    pp_site_t    *s;
    pp_totals_t  *t;

    pp_list(free, pool, &fresh)->got = 1;

    s = pp_site(site);
    t = pp_proc.totals;

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
    uint32_t       i;
    pp_buflist_t  *l;

    /* the lists in use only: most requests have one or two */
    for (i = pp_nlists; i-- > 0; /* void */) {
        l = &pp_lists[pp_used[i]];

        if (l->pool != pool) {
            continue;
        }

        l->free = NULL;
        l->pool = NULL;

        pp_used[i] = pp_used[--pp_nlists];
    }

    for (i = pp_npending; i-- > 0; /* void */) {
        if (pp_pending[i].pool == pool) {
            pp_tag(pp_tag_key(pp_pending[i].buf->tag))->misses++;
            pp_pending[i] = pp_pending[--pp_npending];
        }
    }
}


void
pp_bufs_update_before(pp_bufs_state_t *st, pp_ngx_pool_t *pool,
    pp_ngx_chain_t **free, pp_ngx_chain_t **busy, pp_ngx_chain_t **out,
    void *tag)
{
    int              fresh;
    uint32_t         cur, tagged;
    pp_buflist_t    *l;
    pp_ngx_chain_t  *cl;

    st->free_head = *free;
    st->n = 0;
    st->own_hits = 0;
    st->own_misses = 0;

    l = pp_list(free, pool, &fresh);
    st->list = l;

    if (!l->got) {
        cur = pp_chain_len(*free, PP_BUFS_NOTE);
        st->own_hits = (!fresh && cur < l->len) ? l->len - cur : 0;

        tagged = 0;
        for (cl = *out; cl != NULL && tagged < PP_BUFS_NOTE; cl = cl->next) {
            tagged += (cl->buf->tag == tag);
        }

        st->own_misses = tagged > st->own_hits ? tagged - st->own_hits : 0;
    }

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
    t = pp_proc.totals;

    if (!st->list->got) {
        st->list->len = pp_chain_len(*free, PP_BUFS_NOTE);
        row->own_hits += st->own_hits;
        row->own_misses += st->own_misses;
    }

    row->recycled += recycled;
    row->busy += busy_n;
    t->recycled += recycled;
    t->busy += busy_n;

    if (st->n > recycled + busy_n) {
        row->foreign_freed += st->n - recycled - busy_n;
        t->foreign_freed += st->n - recycled - busy_n;
    }
}
