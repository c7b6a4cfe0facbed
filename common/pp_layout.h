/*
 * Where everything lies in a segment of a given size: the one
 * computation of the layout, used by the shim to create a segment and to
 * check one it is handed, by the reporter and by the tests.  The layout
 * is a pure function of (size, nshards): a header whose placement fields
 * differ from what pp_layout() computes for them is not a segment the
 * shim made, and is refused.
 */

#ifndef _PP_LAYOUT_H_INCLUDED_
#define _PP_LAYOUT_H_INCLUDED_

#include <stddef.h>
#include <stdint.h>

#include "pp_segment.h"


#define PP_SHARDS_DEFAULT     32
#define PP_SHARDS_MAX         1024
#define PP_SHARD_MIN          (32 * 1024)
#define PP_OBJECTS_MAX        256


typedef struct {
    uint64_t        size;           /* the whole file */
    uint32_t        nshards;        /* shard 0 included */
    uint32_t        shard_size;
    uint64_t        shard_off;
    uint32_t        nsites;         /* capacities; the overflow rows */
    uint32_t        npools;         /* are not counted */
    uint32_t        ntags;
    uint32_t        nobjects;
    uint32_t        nstacks;
    uint32_t        ngrowth;
    uint32_t        nlive;
    uint32_t        sites_off;      /* inside a shard */
    uint32_t        pools_off;
    uint32_t        tags_off;
    uint32_t        objects_off;
    uint32_t        stacks_off;
    uint32_t        growth_off;
    uint32_t        live_off;
} pp_layout_t;


static inline uint32_t
pp_layout_pow2(uint64_t n)
{
    uint32_t  p;

    if (n < 2) {
        return 1;
    }

    for (p = 1; (uint64_t) p * 2 <= n && p < 0x40000000; p *= 2) {
        /* void */
    }

    return p;
}


/*
 * places the tables in a shard, with the records of version (an older
 * version's sizes only for tests that build one); returns the bytes they
 * need
 */
static inline uint64_t
pp_layout_place_version(pp_layout_t *l, uint32_t version)
{
    uint64_t        off;
    pp_seg_sizes_t  z;

    z = pp_seg_sizes(version);

    off = (z.shard + 63) & ~(uint64_t) 63;
    l->sites_off = (uint32_t) off;
    off += (uint64_t) (l->nsites + 1) * z.site;
    l->pools_off = (uint32_t) off;
    off += (uint64_t) (l->npools + 1) * z.pool;
    l->tags_off = (uint32_t) off;
    off += (uint64_t) (l->ntags + 1) * sizeof(pp_tag_t);
    l->objects_off = (uint32_t) off;
    off += (uint64_t) l->nobjects * sizeof(pp_object_t);
    l->stacks_off = (uint32_t) off;
    off += (uint64_t) (l->nstacks + 1) * sizeof(pp_stack_t);
    l->growth_off = (uint32_t) off;
    off += (uint64_t) (l->ngrowth + 1) * sizeof(pp_growth_t);
    l->live_off = (uint32_t) off;
    off += (uint64_t) l->nlive * sizeof(pp_lpool_t);

    return off;
}


static inline uint64_t
pp_layout_place(pp_layout_t *l)
{
    return pp_layout_place_version(l, PP_SEG_VERSION);
}


/*
 * The layout of a segment of size bytes (a multiple of 4096, at least
 * PP_SEG_MIN_SIZE) asking for nshards shards (1 .. PP_SHARDS_MAX); there
 * may be fewer, so that each has at least PP_SHARD_MIN bytes.  Returns
 * -1 when the size cannot hold two shards.
 */
static inline int
pp_layout(uint64_t size, uint32_t nshards, pp_layout_t *l)
{
    uint64_t  shard;

    if (size < PP_SEG_MIN_SIZE || size % 4096 != 0
        || nshards == 0 || nshards > PP_SHARDS_MAX)
    {
        return -1;
    }

    while (nshards > 2 && (size - PP_SEG_HEADER_SIZE) / nshards < PP_SHARD_MIN)
    {
        nshards /= 2;
    }

    if (nshards < 2) {
        nshards = 2;
    }

    shard = ((size - PP_SEG_HEADER_SIZE) / nshards) & ~(uint64_t) 4095;

    if (shard < PP_SHARD_MIN / 2 || shard > UINT32_MAX) {
        return -1;
    }

    l->size = size;
    l->nshards = nshards;
    l->shard_size = (uint32_t) shard;
    l->shard_off = PP_SEG_HEADER_SIZE;

    /*
     * about 30% sites, 30% pool sites, 3% tags, 5% objects, 16% stacks,
     * 6% growth, 8% live pools
     */
    l->nsites = pp_layout_pow2(shard / 100 * 30 / sizeof(pp_site_t));
    l->npools = pp_layout_pow2(shard / 100 * 30 / sizeof(pp_pool_t));
    l->ntags = pp_layout_pow2(shard / 100 * 3 / sizeof(pp_tag_t));
    l->nstacks = pp_layout_pow2(shard / 100 * 16 / sizeof(pp_stack_t));
    l->ngrowth = pp_layout_pow2(shard / 100 * 6 / sizeof(pp_growth_t));
    l->nlive = (uint32_t) (shard / 100 * 8 / sizeof(pp_lpool_t));
    l->nobjects = (uint32_t) (shard / 100 * 5 / sizeof(pp_object_t));
    if (l->nobjects > PP_OBJECTS_MAX) {
        l->nobjects = PP_OBJECTS_MAX;
    }

    while (pp_layout_place(l) > shard) {
        l->nsites = l->nsites > 1 ? l->nsites / 2 : 1;
        l->npools = l->npools > 1 ? l->npools / 2 : 1;
        l->nstacks = l->nstacks > 1 ? l->nstacks / 2 : 1;
        l->ngrowth = l->ngrowth > 1 ? l->ngrowth / 2 : 1;
        l->nlive /= 2;
    }

    return 0;
}


/* writes the placement fields of a layout into a header */
static inline void
pp_layout_to_header(const pp_layout_t *l, pp_seg_header_t *h)
{
    h->size = l->size;
    h->nshards = l->nshards;
    h->shard_size = l->shard_size;
    h->shard_off = l->shard_off;
    h->nsites = l->nsites;
    h->npools = l->npools;
    h->ntags = l->ntags;
    h->nobjects = l->nobjects;
    h->nstacks = l->nstacks;
    h->ngrowth = l->ngrowth;
    h->nlive = l->nlive;
    h->sites_off = l->sites_off;
    h->pools_off = l->pools_off;
    h->tags_off = l->tags_off;
    h->objects_off = l->objects_off;
    h->stacks_off = l->stacks_off;
    h->growth_off = l->growth_off;
    h->live_off = l->live_off;
}


/*
 * 0 when a header (a private copy) places everything exactly where
 * pp_layout() would for its size and shard count, and l is that layout
 */
static inline int
pp_layout_from_header(const pp_seg_header_t *h, pp_layout_t *l)
{
    pp_seg_header_t  want;

    if (pp_layout(h->size, h->nshards, l) != 0 || l->nshards != h->nshards) {
        return -1;
    }

    want = *h;
    pp_layout_to_header(l, &want);

    return h->shard_size == want.shard_size
           && h->shard_off == want.shard_off
           && h->nsites == want.nsites && h->npools == want.npools
           && h->ntags == want.ntags && h->nobjects == want.nobjects
           && h->nstacks == want.nstacks && h->ngrowth == want.ngrowth
           && h->nlive == want.nlive
           && h->sites_off == want.sites_off
           && h->pools_off == want.pools_off
           && h->tags_off == want.tags_off
           && h->objects_off == want.objects_off
           && h->stacks_off == want.stacks_off
           && h->growth_off == want.growth_off
           && h->live_off == want.live_off
           ? 0 : -1;
}


/* the shard i of a mapping laid out as l */
#define pp_layout_shard(base, l, i)                                          \
    ((pp_shard_t *) ((char *) (base) + (l)->shard_off                        \
                     + (size_t) (i) * (l)->shard_size))


#endif /* _PP_LAYOUT_H_INCLUDED_ */
