/*
 * Tracked pools' records (pp_pool.c), for the tracker's other files.
 * pp_track_create() and pp_track_end() (pp_end.c) are the wrappers'.
 */

#ifndef _PP_POOL_H_INCLUDED_
#define _PP_POOL_H_INCLUDED_

#include "pp_track.h"
#include "pp_publish.h"
#include "pp_range.h"


/* nginx appends blocks only; a walk that finds more stops */
#define PP_BLOCKS_MAX     1000000

/* pools created in this process, fork() included: the newest's serial */
extern uint64_t  pp_serial __attribute__((visibility("hidden")));


void pp_pool_init(uint64_t max_pools);
pp_tpool_t *pp_pool_switch(pp_ngx_pool_t *pool);
pp_tpool_t *pp_pool_newest(void);
pp_tpool_t *pp_pool_older(pp_tpool_t *l);
void pp_pool_forked(void);
void pp_pool_exit(void);
void pp_pool_index(void);
void pp_track_remove(pp_tpool_t *l);


/*
 * The record of the pool an event is about, which becomes pp_last; the
 * live row of the one it replaces catches up.  NULL: not tracked.
 */
static inline pp_tpool_t *
pp_pool_use(pp_ngx_pool_t *pool)
{
    if (pp_last->key == (uintptr_t) pool) {
        return pp_last;
    }

    return pp_pool_switch(pool);
}


/*
 * The pool grew: nginx only ever appends blocks, so the blocks after the
 * last one known are the new ones.  Each joins the index of pool memory.
 */
static inline void
pp_pool_blocks(pp_tpool_t *l)
{
    uint32_t        n;
    pp_ngx_pool_t  *b;

    n = l->blocks;

    for (b = l->tail; b->d.next != NULL && n < PP_BLOCKS_MAX; b = b->d.next)
    {
        n++;

        if (pp_range_on) {
            pp_range_add(l, (uintptr_t) b->d.next,
                         (uintptr_t) b->d.next->d.end, 0);
        }
    }

    l->tail = b;

    if (n > l->blocks) {
        l->blocks = n;
        pp_publish_blocks(l);
    }
}


#endif /* _PP_POOL_H_INCLUDED_ */
