/*
 * Tracked pools' records (pp_pool.c), for the tracker's other files.
 * pp_track_create() and pp_track_end() (pp_end.c) are the wrappers'.
 */

#ifndef _PP_POOL_H_INCLUDED_
#define _PP_POOL_H_INCLUDED_

#include "pp_track.h"


/* pools created in this process, fork() included: the newest's serial */
extern uint64_t  pp_serial __attribute__((visibility("hidden")));


void pp_pool_init(uint64_t max_pools);
pp_tpool_t *pp_pool_use(pp_ngx_pool_t *pool);
pp_tpool_t *pp_pool_newest(void);
pp_tpool_t *pp_pool_older(pp_tpool_t *l);
void pp_pool_blocks(pp_tpool_t *l);
void pp_pool_forked(void);
void pp_pool_exit(void);
void pp_track_remove(pp_tpool_t *l);


#endif /* _PP_POOL_H_INCLUDED_ */
