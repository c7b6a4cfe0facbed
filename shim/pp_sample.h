/*
 * POOLPROF_SAMPLE=N (pp_sample.c): 1 in N pools is tracked, drawn at
 * ngx_create_pool().  A pool that is not ("unsampled") gets no record
 * and no range of pool memory: its address goes into a set of its own,
 * so that each later event on it (an allocation, a free, a buffer call,
 * its reset and destroy) is told apart in one compare or one short
 * probe, and recorded nowhere.  Only totals.pools_unsampled counts it.
 */

#ifndef _PP_SAMPLE_H_INCLUDED_
#define _PP_SAMPLE_H_INCLUDED_

#include "pp_shim.h"


typedef struct {
    uint32_t                period;     /* 1 in period pools; < 2: all */
    uint32_t                mask;       /* of slot: a power of two - 1 */
    uintptr_t              *slot;       /* the unsampled pools, or 0 */
    uintptr_t               last;       /* the one found last */
    uint32_t                n;
    uint32_t                seeded;     /* POOLPROF_SAMPLE_SEED given */
    uint64_t                below;      /* a draw below it: tracked */
    uint64_t                rng;        /* xorshift64*, never 0 */
} pp_sample_t;

extern pp_sample_t  pp_sample __attribute__((visibility("hidden")));


void pp_sample_init(uint32_t period, uint64_t seed);
void pp_sample_forked(void);
int pp_sample_skip(uintptr_t pool);
void pp_sample_forget(uintptr_t pool);


/* the pool is one that sampling left out: none of its events count */
static inline int
pp_unsampled(const void *pool)
{
    uint32_t   i;
    uintptr_t  key, k;

    if (pp_likely(pp_sample.period < 2)) {
        return 0;
    }

    key = (uintptr_t) pool;

    if (key == pp_sample.last) {
        return 1;
    }

    for (i = pp_hash(key) & pp_sample.mask; /* void */;
         i = (i + 1) & pp_sample.mask)
    {
        k = pp_sample.slot[i];

        if (k == key) {
            pp_sample.last = key;
            return 1;
        }

        if (k == 0) {
            return 0;
        }
    }
}


#endif /* _PP_SAMPLE_H_INCLUDED_ */
