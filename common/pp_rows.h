/*
 * Adding one row of a table to another of the same key: the shim folds
 * ended processes into the retired shard with these, and the reporter
 * merges shards with them.  Counters add; a pool site's size is the
 * largest seen.
 */

#ifndef _PP_ROWS_H_INCLUDED_
#define _PP_ROWS_H_INCLUDED_

#include <string.h>

#include "pp_segment.h"


/* pp_totals_t is 64-bit counters only */
static inline void
pp_rows_add_totals(pp_totals_t *d, const pp_totals_t *s)
{
    size_t    i;
    uint64_t  a[sizeof(pp_totals_t) / 8], b[sizeof(pp_totals_t) / 8];

    memcpy(a, d, sizeof(a));
    memcpy(b, s, sizeof(b));

    for (i = 0; i < sizeof(a) / 8; i++) {
        a[i] += b[i];
    }

    memcpy(d, a, sizeof(a));
}


static inline void
pp_rows_add_site(pp_site_t *d, const pp_site_t *s)
{
    d->allocs += s->allocs;
    d->alloc_bytes += s->alloc_bytes;
    d->large_allocs += s->large_allocs;
    d->noop_frees += s->noop_frees;
    d->pinned_bytes += s->pinned_bytes;
    d->pinned_byte_seconds += s->pinned_byte_seconds;
    d->freed += s->freed;
    d->foreign_frees += s->foreign_frees;
    d->unknown_frees += s->unknown_frees;
    d->fb_hits += s->fb_hits;
    d->fb_misses += s->fb_misses;
    d->cl_hits += s->cl_hits;
    d->cl_misses += s->cl_misses;
    d->ll_allocs += s->ll_allocs;
    d->ll_bytes += s->ll_bytes;
    d->zeroed_bytes += s->zeroed_bytes;
    d->frees_null += s->frees_null;
    d->frees_repeated += s->frees_repeated;
    d->frees_cross_pool += s->frees_cross_pool;
    d->frees_interior += s->frees_interior;

    /* addresses, not counters: the first one seen stays */
    d->cross_site = d->cross_site ? d->cross_site : s->cross_site;
    d->owner = d->owner ? d->owner : s->owner;
}


static inline void
pp_rows_add_hist(pp_hist_t *d, const pp_hist_t *s)
{
    uint32_t  b;

    for (b = 0; b < PP_HIST_BUCKETS; b++) {
        d->count[b] += s->count[b];
    }
}


/* a pool site's counters, not its histograms */
static inline void
pp_rows_add_pool_counts(pp_pool_t *d, const pp_pool_t *s)
{
    d->created += s->created;
    d->destroyed += s->destroyed;
    d->resets += s->resets;
    d->size = s->size > d->size ? s->size : d->size;
    d->blocks += s->blocks;
    d->spilled += s->spilled;
    d->unused_bytes += s->unused_bytes;
    d->stranded_bytes += s->stranded_bytes;
    d->padding_bytes += s->padding_bytes;
    d->small_allocs += s->small_allocs;
    d->small_bytes += s->small_bytes;
    d->large_allocs += s->large_allocs;
    d->large_bytes += s->large_bytes;
    d->lifetime_ns += s->lifetime_ns;
    d->ll_allocs += s->ll_allocs;
    d->ll_bytes += s->ll_bytes;
    d->leaked += s->leaked;
    d->owner = d->owner ? d->owner : s->owner;
}


static inline void
pp_rows_add_pool(pp_pool_t *d, const pp_pool_t *s)
{
    pp_rows_add_pool_counts(d, s);
    pp_rows_add_hist(&d->used, &s->used);
    pp_rows_add_hist(&d->lifetime, &s->lifetime);
}


static inline void
pp_rows_add_tag(pp_tag_t *d, const pp_tag_t *s)
{
    d->hits += s->hits;
    d->misses += s->misses;
    d->recycled += s->recycled;
    d->busy += s->busy;
    d->foreign_freed += s->foreign_freed;
    d->own_hits += s->own_hits;
    d->own_misses += s->own_misses;
}


static inline void
pp_rows_add_growth(pp_growth_t *d, const pp_growth_t *s)
{
    d->allocs += s->allocs;
    d->bytes += s->bytes;
    d->pools += s->pools;
    d->returns += s->returns;
    d->max_age_ns = s->max_age_ns > d->max_age_ns ? s->max_age_ns
                                                  : d->max_age_ns;
}


static inline void
pp_rows_add_stack(pp_stack_t *d, const pp_stack_t *s)
{
    d->allocs += s->allocs;
    d->alloc_bytes += s->alloc_bytes;
    d->noop_frees += s->noop_frees;
    d->pinned_bytes += s->pinned_bytes;
    d->pools += s->pools;
    d->unused_bytes += s->unused_bytes;
}


#endif /* _PP_ROWS_H_INCLUDED_ */
