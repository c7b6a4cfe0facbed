/*
 * Tracked pools' allocation logs and pins (pp_alog.c), for the
 * tracker's other files.
 */

#ifndef _PP_ALOG_H_INCLUDED_
#define _PP_ALOG_H_INCLUDED_

#include "pp_track.h"


void pp_alog_init(uint64_t max_chunks);
void pp_alog_renew(pp_alog_t *a);
void pp_alog_release(pp_alog_t *a, int spare);
void pp_alog_restart(pp_alog_t *a);
void pp_alog_settle(pp_alog_t *a, uint64_t now);
int pp_alog_grow(pp_alog_t *a);


#endif /* _PP_ALOG_H_INCLUDED_ */
