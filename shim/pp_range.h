/*
 * Which live pool's memory holds an address (pp_range.c): the ranges of
 * tracked pools' blocks and large allocations, for the frees that miss
 * their pool's log (cross-pool and interior pointers).
 *
 * The index is kept only once a free needed to know whose memory a
 * pointer is (pp_range_on, set by pp_pool_index()): most processes
 * never make such a free, and then no pool event touches the index.
 * From then on a range joins when the shim first sees it (its pool's
 * creation, a new block, a large allocation) and leaves when the
 * allocation is freed, at its pool's reset (large allocations) and at
 * its destroy.  Nothing on the common path of a small allocation
 * touches it.
 */

#ifndef _PP_RANGE_H_INCLUDED_
#define _PP_RANGE_H_INCLUDED_

#include "pp_track.h"


typedef struct {
    uintptr_t               start;
    uintptr_t               end;
    uintptr_t               pool;       /* the pool's address */
    uintptr_t               site;       /* that created the pool */
    uint32_t                next;       /* the pool's ranges, or the free */
    uint32_t                prev;
    uint32_t                large;      /* a large allocation, not a block */
    uint32_t                class;      /* of its buckets' size */
} pp_range_t;


extern int  pp_range_on;       /* the index is kept */


void pp_range_init(uint64_t max_ranges);
int pp_range_add(pp_tpool_t *l, uintptr_t start, uintptr_t end, int large);
const pp_range_t *pp_range_find(uintptr_t p);
uint64_t pp_range_free_large(pp_tpool_t *l, uintptr_t p);
void pp_range_drop(pp_tpool_t *l, int large_only);


#endif /* _PP_RANGE_H_INCLUDED_ */
