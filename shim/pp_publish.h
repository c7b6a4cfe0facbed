/*
 * Publication of tracked pools in the shard's live table (pp_publish.c).
 */

#ifndef _PP_PUBLISH_H_INCLUDED_
#define _PP_PUBLISH_H_INCLUDED_

#include "pp_track.h"


void pp_publish_init(int lazy);
void pp_publish_reset(void);
void pp_publish_tick(int all);
void pp_publish_new(pp_tpool_t *l);
void pp_publish_blocks(pp_tpool_t *l);
void pp_publish_inherited(pp_tpool_t *l);
void pp_publish_flush(pp_tpool_t *l);
void pp_publish_remove(pp_tpool_t *l);


#endif /* _PP_PUBLISH_H_INCLUDED_ */
