/*
 * The shard's tables: open addressing with linear probing, keyed by an
 * address.  Only this process writes its shard, so a row is claimed by
 * a plain store of its key; rows start zeroed, so a reader that sees
 * the key sees the row's counters (perhaps a few events behind).  A key
 * that finds no room within PP_PROBE_MAX rows counts into the overflow
 * row, the one past the table's capacity.
 */

#include "pp_shim.h"


#define PP_PROBE_MAX  32

#define pp_table_get(type, table, mask, cap, key)                            \
    do {                                                                     \
        uint32_t   i_, n_;                                                   \
        type      *r_;                                                       \
                                                                             \
        i_ = pp_hash(key) & (mask);                                          \
                                                                             \
        for (n_ = 0; n_ < PP_PROBE_MAX; n_++) {                              \
            r_ = &(table)[i_];                                               \
                                                                             \
            if (pp_likely(r_->key == (key))) {                               \
                return r_;                                                   \
            }                                                                \
                                                                             \
            if (r_->key == 0) {                                              \
                __atomic_store_n(&r_->key, (key), __ATOMIC_RELEASE);         \
                return r_;                                                   \
            }                                                                \
                                                                             \
            i_ = (i_ + 1) & (mask);                                          \
        }                                                                    \
                                                                             \
        pp_proc.shard->totals.overflow++;                                    \
        return &(table)[cap];                                                \
    } while (0)


pp_site_t *
pp_site(uintptr_t key)
{
    pp_table_get(pp_site_t, pp_proc.sites, pp_proc.site_mask,
                 pp_proc.seg->nsites, key);
}


pp_pool_t *
pp_pool_row(uintptr_t key)
{
    pp_table_get(pp_pool_t, pp_proc.pools, pp_proc.pool_mask,
                 pp_proc.seg->npools, key);
}


pp_tag_t *
pp_tag(uintptr_t key)
{
    pp_table_get(pp_tag_t, pp_proc.tags, pp_proc.tag_mask,
                 pp_proc.seg->ntags, key);
}


/* growth rows: keyed by the pair, which the row also holds */
pp_growth_t *
pp_growth(uintptr_t site, uintptr_t pool_site)
{
    uint32_t      i, n;
    uint64_t      key;
    pp_growth_t  *g;

    key = ((uint64_t) site * 0x9e3779b97f4a7c15ULL)
          ^ ((uint64_t) pool_site * 0xc2b2ae3d27d4eb4fULL);
    key = key ? key : 1;

    i = pp_hash(key) & pp_proc.growth_mask;

    for (n = 0; n < PP_PROBE_MAX; n++) {
        g = &pp_proc.growth[i];

        if (g->key == key && g->site == site && g->pool_site == pool_site) {
            return g;
        }

        if (g->key == 0) {
            g->site = site;
            g->pool_site = pool_site;
            __atomic_store_n(&g->key, key, __ATOMIC_RELEASE);
            return g;
        }

        i = (i + 1) & pp_proc.growth_mask;
    }

    pp_proc.shard->totals.overflow++;

    return &pp_proc.growth[pp_proc.seg->ngrowth];
}
