/*
 * Adding one row of a table to another of the same key: the shim folds
 * ended processes into the retired shard with these, and the reporter
 * merges shards with them.  Each adds the figures of its record's table
 * (pp_fields.h) and what the table does not hold: a histogram's buckets,
 * a row's owner.
 */

#ifndef _PP_ROWS_H_INCLUDED_
#define _PP_ROWS_H_INCLUDED_

#include "pp_fields.h"


static inline void
pp_rows_add_totals(pp_totals_t *d, const pp_totals_t *s)
{
    pp_fields_add(&pp_totals_fields, d, s);
}


/* an address, not a counter: the first one seen stays */
#define pp_rows_first(d, s)  ((d) = (d) != 0 ? (d) : (s))


static inline void
pp_rows_add_site(pp_site_t *d, const pp_site_t *s)
{
    pp_fields_add(&pp_site_fields, d, s);
    pp_rows_first(d->owner, s->owner);
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
    pp_fields_add(&pp_pool_fields, d, s);
    pp_rows_first(d->owner, s->owner);
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
    pp_fields_add(&pp_tag_fields, d, s);
}


static inline void
pp_rows_add_growth(pp_growth_t *d, const pp_growth_t *s)
{
    pp_fields_add(&pp_growth_fields, d, s);
}


static inline void
pp_rows_add_stack(pp_stack_t *d, const pp_stack_t *s)
{
    pp_fields_add(&pp_stack_fields, d, s);
}


#endif /* _PP_ROWS_H_INCLUDED_ */
