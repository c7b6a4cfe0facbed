/*
 * Growth (pp_growth.c): allocations into pools older than
 * POOLPROF_LONG_LIVED, per pair of allocating site and creating site.
 */

#ifndef _PP_GROWTH_H_INCLUDED_
#define _PP_GROWTH_H_INCLUDED_

#include "pp_track.h"


int pp_growth_init(uint32_t cap);
pp_growth_t *pp_growth(uintptr_t site, uintptr_t pool_site);
void pp_growth_add(pp_tpool_t *l, size_t size, pp_site_t *s, uintptr_t site,
    uint64_t seq);


#endif /* _PP_GROWTH_H_INCLUDED_ */
