/*
 * The figures of each record of the segment, one table per record type:
 * its JSON key, where it lies, how two rows of one key combine, its unit,
 * and its --sort key.  The shim folds ended processes with these tables,
 * and the reporter merges, subtracts (--diff), tests for emptiness,
 * prints JSON, sorts and exports from them.  Adding a counter to a
 * record is one line here, plus the code that counts it; the static
 * asserts of pp_fields.c fail until every byte of every record is
 * either a figure of its table or named as not one.
 */

#ifndef _PP_FIELDS_H_INCLUDED_
#define _PP_FIELDS_H_INCLUDED_

#include <stddef.h>
#include <stdint.h>

#include "pp_segment.h"


/* pp_field_t.type */
#define PP_FIELD_U64          0
#define PP_FIELD_F64          1     /* a double */

/*
 * pp_field_t.merge: how a row of one key is added to another.  A diff
 * subtracts the PP_MERGE_SUM figures and keeps the others as they are.
 */
#define PP_MERGE_SUM          0     /* a counter */
#define PP_MERGE_MAX          1     /* a size: the largest seen */
#define PP_MERGE_FIRST        2     /* an address: the first non-zero */

/* pp_field_t.unit */
#define PP_UNIT_COUNT         0
#define PP_UNIT_BYTES         1
#define PP_UNIT_NS            2
#define PP_UNIT_BYTE_SECONDS  3
#define PP_UNIT_ADDRESS       4     /* printed as a hex string */

/* pp_field_t.flags */
#define PP_FIELD_0            0
#define PP_FIELD_EXACT        1     /* counted for every pool: not an
                                       estimate under POOLPROF_SAMPLE */


typedef struct {
    const char     *name;           /* the JSON key */
    const char     *sort;           /* the --sort key; NULL: the name */
    uint32_t        off;            /* in the record */
    uint8_t         type;           /* PP_FIELD_* */
    uint8_t         merge;          /* PP_MERGE_* */
    uint8_t         unit;           /* PP_UNIT_* */
    uint8_t         flags;          /* PP_FIELD_* flags */
} pp_field_t;

typedef struct {
    const char         *row;        /* "site", "pool", ... */
    const pp_field_t   *fields;
    uint32_t            n;
    uint32_t            size;       /* of the record */
} pp_fields_t;


/*
 * The tables.  F(record, field, JSON key, type, merge, unit, sort key,
 * flags); the order is the JSON's.
 */
#define PP_F_TOTALS(F)                                                       \
    F(pp_totals_t, pools_created, "pools_created", U64, SUM, COUNT, NULL, 0) \
    F(pp_totals_t, pools_destroyed, "pools_destroyed", U64, SUM, COUNT,      \
      NULL, 0)                                                               \
    F(pp_totals_t, pool_resets, "pool_resets", U64, SUM, COUNT, NULL, 0)     \
    F(pp_totals_t, allocs, "allocs", U64, SUM, COUNT, NULL, 0)               \
    F(pp_totals_t, alloc_bytes, "alloc_bytes", U64, SUM, BYTES, NULL, 0)     \
    F(pp_totals_t, small_allocs, "small_allocs", U64, SUM, COUNT, NULL, 0)   \
    F(pp_totals_t, large_allocs, "large_allocs", U64, SUM, COUNT, NULL, 0)   \
    F(pp_totals_t, noop_frees, "noop_frees", U64, SUM, COUNT, NULL, 0)       \
    F(pp_totals_t, pinned_bytes, "pinned_bytes", U64, SUM, BYTES, NULL, 0)   \
    F(pp_totals_t, freed, "freed", U64, SUM, COUNT, NULL, 0)                 \
    F(pp_totals_t, foreign_frees, "foreign_frees", U64, SUM, COUNT, NULL, 0) \
    F(pp_totals_t, unknown_frees, "unknown_frees", U64, SUM, COUNT, NULL, 0) \
    F(pp_totals_t, unused_bytes, "unused_bytes", U64, SUM, BYTES, NULL, 0)   \
    F(pp_totals_t, stranded_bytes, "stranded_bytes", U64, SUM, BYTES, NULL,  \
      0)                                                                     \
    F(pp_totals_t, padding_bytes, "padding_bytes", U64, SUM, BYTES, NULL, 0) \
    F(pp_totals_t, untracked, "untracked", U64, SUM, COUNT, NULL,            \
      EXACT)                                                                 \
    F(pp_totals_t, other_threads, "other_threads", U64, SUM, COUNT, NULL,    \
      EXACT)                                                                 \
    F(pp_totals_t, overflow, "overflow", U64, SUM, COUNT, NULL,              \
      EXACT)                                                                 \
    F(pp_totals_t, fb_hits, "fb_hits", U64, SUM, COUNT, NULL, 0)             \
    F(pp_totals_t, fb_misses, "fb_misses", U64, SUM, COUNT, NULL, 0)         \
    F(pp_totals_t, recycled, "recycled", U64, SUM, COUNT, NULL, 0)           \
    F(pp_totals_t, busy, "busy", U64, SUM, COUNT, NULL, 0)                   \
    F(pp_totals_t, foreign_freed, "foreign_freed", U64, SUM, COUNT, NULL, 0) \
    F(pp_totals_t, cl_hits, "cl_hits", U64, SUM, COUNT, NULL, 0)             \
    F(pp_totals_t, cl_misses, "cl_misses", U64, SUM, COUNT, NULL, 0)         \
    F(pp_totals_t, ll_allocs, "ll_allocs", U64, SUM, COUNT, NULL, 0)         \
    F(pp_totals_t, ll_bytes, "ll_bytes", U64, SUM, BYTES, NULL, 0)           \
    F(pp_totals_t, leaked_pools, "leaked_pools", U64, SUM, COUNT, NULL, 0)   \
    F(pp_totals_t, stack_samples, "stack_samples", U64, SUM, COUNT, NULL,    \
      EXACT)                                                                 \
    F(pp_totals_t, live_dropped, "live_dropped", U64, SUM, COUNT, NULL,      \
      EXACT)                                                                 \
    F(pp_totals_t, zeroed_bytes, "zeroed_bytes", U64, SUM, BYTES, NULL, 0)   \
    F(pp_totals_t, frees_null, "frees_null", U64, SUM, COUNT, NULL, 0)       \
    F(pp_totals_t, frees_repeated, "frees_repeated", U64, SUM, COUNT, NULL,  \
      0)                                                                     \
    F(pp_totals_t, frees_cross_pool, "frees_cross_pool", U64, SUM, COUNT,    \
      NULL, 0)                                                               \
    F(pp_totals_t, frees_interior, "frees_interior", U64, SUM, COUNT, NULL,  \
      0)                                                                     \
    F(pp_totals_t, pools_unsampled, "pools_unsampled", U64, SUM, COUNT,      \
      NULL, EXACT)

#define PP_F_SITE(F)                                                         \
    F(pp_site_t, allocs, "allocs", U64, SUM, COUNT, NULL, 0)                 \
    F(pp_site_t, alloc_bytes, "alloc_bytes", U64, SUM, BYTES, NULL, 0)       \
    F(pp_site_t, large_allocs, "large_allocs", U64, SUM, COUNT, NULL, 0)     \
    F(pp_site_t, noop_frees, "noop_frees", U64, SUM, COUNT, "noop", 0)       \
    F(pp_site_t, pinned_bytes, "pinned_bytes", U64, SUM, BYTES, "pinned", 0) \
    F(pp_site_t, pinned_byte_seconds, "pinned_byte_seconds", F64, SUM,       \
      BYTE_SECONDS, "byte_seconds", 0)                                       \
    F(pp_site_t, freed, "freed", U64, SUM, COUNT, "frees", 0)                \
    F(pp_site_t, foreign_frees, "foreign_frees", U64, SUM, COUNT, "foreign", \
      0)                                                                     \
    F(pp_site_t, unknown_frees, "unknown_frees", U64, SUM, COUNT, NULL, 0)   \
    F(pp_site_t, fb_hits, "fb_hits", U64, SUM, COUNT, NULL, 0)               \
    F(pp_site_t, fb_misses, "fb_misses", U64, SUM, COUNT, NULL, 0)           \
    F(pp_site_t, cl_hits, "cl_hits", U64, SUM, COUNT, NULL, 0)               \
    F(pp_site_t, cl_misses, "cl_misses", U64, SUM, COUNT, NULL, 0)           \
    F(pp_site_t, ll_allocs, "ll_allocs", U64, SUM, COUNT, NULL, 0)           \
    F(pp_site_t, ll_bytes, "ll_bytes", U64, SUM, BYTES, "growth", 0)         \
    F(pp_site_t, zeroed_bytes, "zeroed_bytes", U64, SUM, BYTES, "zeroed", 0) \
    F(pp_site_t, frees_null, "frees_null", U64, SUM, COUNT, NULL, 0)         \
    F(pp_site_t, frees_repeated, "frees_repeated", U64, SUM, COUNT, NULL, 0) \
    F(pp_site_t, frees_cross_pool, "frees_cross_pool", U64, SUM, COUNT,      \
      NULL, 0)                                                               \
    F(pp_site_t, frees_interior, "frees_interior", U64, SUM, COUNT, NULL, 0) \
    F(pp_site_t, cross_site, "cross_site", U64, FIRST, ADDRESS, NULL, 0)

/* a pool site's counters; its histograms are added bucket by bucket */
#define PP_F_POOL(F)                                                         \
    F(pp_pool_t, created, "created", U64, SUM, COUNT, NULL, 0)               \
    F(pp_pool_t, destroyed, "destroyed", U64, SUM, COUNT, NULL, 0)           \
    F(pp_pool_t, resets, "resets", U64, SUM, COUNT, NULL, 0)                 \
    F(pp_pool_t, size, "size", U64, MAX, BYTES, NULL, 0)                     \
    F(pp_pool_t, blocks, "blocks", U64, SUM, COUNT, NULL, 0)                 \
    F(pp_pool_t, spilled, "spilled", U64, SUM, COUNT, NULL, 0)               \
    F(pp_pool_t, unused_bytes, "unused_bytes", U64, SUM, BYTES, NULL, 0)     \
    F(pp_pool_t, stranded_bytes, "stranded_bytes", U64, SUM, BYTES, NULL, 0) \
    F(pp_pool_t, padding_bytes, "padding_bytes", U64, SUM, BYTES, NULL, 0)   \
    F(pp_pool_t, small_allocs, "small_allocs", U64, SUM, COUNT, NULL, 0)     \
    F(pp_pool_t, small_bytes, "small_bytes", U64, SUM, BYTES, NULL, 0)       \
    F(pp_pool_t, large_allocs, "large_allocs", U64, SUM, COUNT, NULL, 0)     \
    F(pp_pool_t, large_bytes, "large_bytes", U64, SUM, BYTES, NULL, 0)       \
    F(pp_pool_t, lifetime_ns, "lifetime_ns_sum", U64, SUM, NS, NULL, 0)      \
    F(pp_pool_t, ll_allocs, "ll_allocs", U64, SUM, COUNT, NULL, 0)           \
    F(pp_pool_t, ll_bytes, "ll_bytes", U64, SUM, BYTES, "growth", 0)         \
    F(pp_pool_t, leaked, "leaked", U64, SUM, COUNT, NULL, 0)

#define PP_F_TAG(F)                                                          \
    F(pp_tag_t, hits, "hits", U64, SUM, COUNT, NULL, 0)                      \
    F(pp_tag_t, misses, "misses", U64, SUM, COUNT, NULL, 0)                  \
    F(pp_tag_t, recycled, "recycled", U64, SUM, COUNT, NULL, 0)              \
    F(pp_tag_t, busy, "busy", U64, SUM, COUNT, NULL, 0)                      \
    F(pp_tag_t, foreign_freed, "foreign_freed", U64, SUM, COUNT, NULL, 0)    \
    F(pp_tag_t, own_hits, "own_hits", U64, SUM, COUNT, NULL, 0)              \
    F(pp_tag_t, own_misses, "own_misses", U64, SUM, COUNT, NULL, 0)

#define PP_F_GROWTH(F)                                                       \
    F(pp_growth_t, allocs, "allocs", U64, SUM, COUNT, NULL, 0)               \
    F(pp_growth_t, bytes, "bytes", U64, SUM, BYTES, NULL, 0)                 \
    F(pp_growth_t, pools, "pools", U64, SUM, COUNT, NULL, 0)                 \
    F(pp_growth_t, returns, "returns", U64, SUM, COUNT, NULL, 0)             \
    F(pp_growth_t, max_age_ns, "max_age_ns", U64, MAX, NS, NULL, 0)

#define PP_F_STACK(F)                                                        \
    F(pp_stack_t, allocs, "allocs", U64, SUM, COUNT, NULL, 0)                \
    F(pp_stack_t, alloc_bytes, "alloc_bytes", U64, SUM, BYTES, NULL, 0)      \
    F(pp_stack_t, noop_frees, "noop_frees", U64, SUM, COUNT, NULL, 0)        \
    F(pp_stack_t, pinned_bytes, "pinned_bytes", U64, SUM, BYTES, NULL, 0)    \
    F(pp_stack_t, pools, "pools", U64, SUM, COUNT, NULL, 0)                  \
    F(pp_stack_t, unused_bytes, "unused_bytes", U64, SUM, BYTES, NULL, 0)


extern const pp_fields_t  pp_totals_fields;
extern const pp_fields_t  pp_site_fields;
extern const pp_fields_t  pp_pool_fields;
extern const pp_fields_t  pp_tag_fields;
extern const pp_fields_t  pp_growth_fields;
extern const pp_fields_t  pp_stack_fields;


void pp_fields_add(const pp_fields_t *t, void *dst, const void *src);
int pp_fields_sub(const pp_fields_t *t, void *dst, const void *src);
int pp_fields_any(const pp_fields_t *t, const void *row);
void pp_fields_scale(const pp_fields_t *t, void *row, uint64_t by);
const pp_field_t *pp_fields_find(const pp_fields_t *t, const char *name);
const pp_field_t *pp_fields_at(const pp_fields_t *t, size_t off);
uint64_t pp_field_u64(const pp_field_t *f, const void *row);
double pp_field_value(const pp_field_t *f, const void *row);


#endif /* _PP_FIELDS_H_INCLUDED_ */
