/*
 * The objects of a validated segment's shards: every used shard's
 * objects copied, deduplicated by everything recorded about them into
 * the report's objects, and indexed per shard by address, so that a key
 * finds the object that covered it in its own process (pp_obj_find()).
 */

#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "pp_report.h"
#include "pp_merge.h"


/* indexes into the objects, the context of qsort_r() */
static int
pp_obj_cmp_id(const void *a, const void *b, void *objs)
{
    int                 c;
    const pp_object_t  *x, *y;

    x = &((const pp_object_t *) objs)[*(const uint32_t *) a];
    y = &((const pp_object_t *) objs)[*(const uint32_t *) b];

    if ((c = pp_order(x->base, y->base)) != 0
        || (c = pp_order(x->lo, y->lo)) != 0
        || (c = pp_order(x->hi, y->hi)) != 0
        || (c = pp_order(x->dev, y->dev)) != 0
        || (c = pp_order(x->ino, y->ino)) != 0
        || (c = pp_order(x->mtime, y->mtime)) != 0
        || (c = pp_order(x->file_size, y->file_size)) != 0
        || (c = pp_order(x->build_id_len, y->build_id_len)) != 0)
    {
        return c;
    }

    if (memcmp(x->build_id, y->build_id, x->build_id_len) != 0) {
        return memcmp(x->build_id, y->build_id, x->build_id_len);
    }

    return strcmp(x->path, y->path);
}


static int
pp_obj_cmp_lo(const void *a, const void *b, void *objs)
{
    uint64_t  x, y;

    x = ((const pp_object_t *) objs)[*(const uint32_t *) a].lo;
    y = ((const pp_object_t *) objs)[*(const uint32_t *) b].lo;

    return x < y ? -1 : x > y;
}


/* every used shard's objects: copied, deduplicated, indexed by address */
int
pp_merge_objects(pp_report_t *r, pp_merge_t *m)
{
    size_t        i, n, k, all;
    uint32_t     *idx;
    pp_shard_t    sh;

    all = 0;
    for (i = 0; i < m->nused; i++) {
        pp_shard_read(m, i, &sh);
        m->first[i] = all;
        all += sh.nobjects_used;
    }
    m->first[m->nused] = all;

    m->objs = calloc(all + 1, sizeof(pp_object_t));
    m->byaddr = calloc(all + 1, sizeof(uint32_t));
    m->gobj = calloc(all + 1, sizeof(int));
    r->objs = calloc(all + 1, sizeof(pp_robj_t));
    idx = calloc(all + 1, sizeof(uint32_t));

    if (m->objs == NULL || m->byaddr == NULL || m->gobj == NULL
        || r->objs == NULL || idx == NULL)
    {
        free(idx);
        return -1;
    }

    for (i = 0; i < m->nused; i++) {
        n = m->first[i + 1] - m->first[i];
        memcpy(&m->objs[m->first[i]], pp_shard_at(m, i) + m->h.objects_off,
               n * sizeof(pp_object_t));
    }

    for (k = 0; k < all; k++) {
        idx[k] = (uint32_t) k;
        m->byaddr[k] = (uint32_t) k;
    }

    qsort_r(idx, all, sizeof(uint32_t), pp_obj_cmp_id, m->objs);

    for (k = 0; k < all; k++) {
        if (k == 0 || pp_obj_cmp_id(&idx[k - 1], &idx[k], m->objs) != 0) {
            r->objs[r->nobjs++].o = m->objs[idx[k]];
        }
        m->gobj[idx[k]] = (int) r->nobjs - 1;
    }

    for (i = 0; i < m->nused; i++) {
        qsort_r(&m->byaddr[m->first[i]], m->first[i + 1] - m->first[i],
                sizeof(uint32_t), pp_obj_cmp_lo, m->objs);
    }

    free(idx);

    return 0;
}


/* the report object whose range held addr in used shard s */
int
pp_obj_find(const pp_merge_t *m, uint32_t s, uint64_t addr)
{
    size_t              lo, hi, mid;
    const uint32_t     *by;
    const pp_object_t  *o;

    by = &m->byaddr[m->first[s]];
    lo = 0;
    hi = m->first[s + 1] - m->first[s];

    /* the last object with o.lo <= addr */
    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        if (m->objs[by[mid]].lo <= addr) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }

    if (lo == 0) {
        return PP_NO_OBJECT;
    }

    o = &m->objs[by[lo - 1]];

    return addr < o->hi ? m->gobj[by[lo - 1]] : PP_NO_OBJECT;
}
