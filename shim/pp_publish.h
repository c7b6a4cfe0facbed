/*
 * Publication of tracked pools in the shard's live table (pp_publish.c).
 */

#ifndef _PP_PUBLISH_H_INCLUDED_
#define _PP_PUBLISH_H_INCLUDED_

#include "pp_track.h"


/* nginx's clock at the last tick */
extern uintptr_t  pp_tick_ms __attribute__((visibility("hidden")));


void pp_publish_init(int lazy);
void pp_publish_reset(void);
void pp_publish_tick(int all);
void pp_publish_new(pp_tpool_t *l);
void pp_publish_blocks(pp_tpool_t *l);
void pp_publish_inherited(pp_tpool_t *l);
void pp_publish_remove(pp_tpool_t *l);


/* at a pool's creation: a tick, if nginx's millisecond moved */
static inline void
pp_publish_clock(void)
{
    if (*pp_proc.ngx_msec != pp_tick_ms) {
        pp_publish_tick(0);
    }
}


/* the pool's live row catches up with its record */
static inline void
pp_publish_flush(pp_tpool_t *l)
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


#endif /* _PP_PUBLISH_H_INCLUDED_ */
