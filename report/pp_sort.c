/*
 * The order of the report: sites by pinned bytes, then no-op frees, then
 * allocations; pools by unused bytes; tags by reuse rate, worst first;
 * ties by address, and the overflow rows last.  --sort KEY puts one
 * column of the table that --by chose first.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp_report.h"


static const char  *pp_site_keys[] = {
    "wasted", "pinned", "noop", "allocs", "alloc_bytes", "frees", "foreign",
    "byte_seconds", "growth", NULL
};

static const char  *pp_pool_keys[] = {
    "unused", "created", "size", "blocks", "spilled", "used_p95", "growth",
    "leaked", NULL
};

static const char  *pp_tag_keys[] = {
    "reuse", "hits", "misses", "recycled", "busy", NULL
};

static int  pp_key;         /* qsort() has no context */


static const char **
pp_keys(int by)
{
    return by == PP_BY_POOL ? pp_pool_keys
           : by == PP_BY_TAG ? pp_tag_keys : pp_site_keys;
}


int
pp_sort_parse(const char *key, int by)
{
    int           i;
    const char  **keys;

    keys = pp_keys(by);

    for (i = 0; keys[i] != NULL; i++) {
        if (strcmp(key, keys[i]) == 0) {
            return i;
        }
    }

    return -1;
}


void
pp_sort_keys(FILE *f, int by)
{
    int           i;
    const char  **keys;

    keys = pp_keys(by);

    for (i = 0; keys[i] != NULL; i++) {
        fprintf(f, "%s%s", i ? ", " : "", keys[i]);
    }
}


static double
pp_site_key(const pp_rsite_t *s)
{
    switch (pp_key) {
    case 3: return (double) s->s.allocs;
    case 4: return (double) s->s.alloc_bytes;
    case 5: return (double) s->s.freed;
    case 6: return (double) s->s.foreign_frees;
    case 7: return s->s.pinned_byte_seconds;
    case 8: return (double) s->s.ll_bytes;
    case 2: return (double) s->s.noop_frees;
    default: return (double) s->s.pinned_bytes;
    }
}


static double
pp_pool_key(const pp_rpool_t *p)
{
    switch (pp_key) {
    case 1: return (double) p->p.created;
    case 2: return (double) p->p.size;
    case 3: return (double) p->p.blocks;
    case 4: return (double) p->p.spilled;
    case 5: return (double) pp_rhist_percentile(&p->used, 95);
    case 6: return (double) p->p.ll_bytes;
    case 7: return (double) p->p.leaked;
    default: return (double) p->p.unused_bytes;
    }
}


static double
pp_tag_key(const pp_rtag_t *t)
{
    switch (pp_key) {
    case 1: return (double) (t->t.hits + t->t.own_hits);
    case 2: return (double) (t->t.misses + t->t.own_misses);
    case 3: return (double) t->t.recycled;
    case 4: return (double) t->t.busy;
    default: return 0;
    }
}


#define pp_cmp_desc(a, b)  ((a) > (b) ? -1 : (a) < (b) ? 1 : 0)


uint64_t
pp_site_wasted(const pp_rsite_t *s)
{
    return s->s.pinned_bytes;
}


double
pp_tag_reuse(const pp_tag_t *t)
{
    uint64_t  n;

    n = t->hits + t->misses + t->own_hits + t->own_misses;

    /* the sum may wrap on a corrupt file: never divide by 0 */
    return n != 0 ? (double) (t->hits + t->own_hits) / (double) n : 0.0;
}


static int
pp_site_cmp(const void *a, const void *b)
{
    int                x;
    const pp_rsite_t  *p, *q;

    p = a;
    q = b;

    if (p->overflow != q->overflow) {
        return p->overflow - q->overflow;
    }

    if (pp_key > 0 && (x = pp_cmp_desc(pp_site_key(p), pp_site_key(q))) != 0)
    {
        return x;
    }

    if ((x = pp_cmp_desc(pp_site_wasted(p), pp_site_wasted(q))) != 0
        || (x = pp_cmp_desc(p->s.noop_frees, q->s.noop_frees)) != 0
        || (x = pp_cmp_desc(p->s.allocs, q->s.allocs)) != 0)
    {
        return x;
    }

    return p->key < q->key ? -1 : p->key > q->key ? 1 : p->obj - q->obj;
}


static int
pp_pool_cmp(const void *a, const void *b)
{
    int                x;
    const pp_rpool_t  *p, *q;

    p = a;
    q = b;

    if (p->overflow != q->overflow) {
        return p->overflow - q->overflow;
    }

    if (pp_key > 0 && (x = pp_cmp_desc(pp_pool_key(p), pp_pool_key(q))) != 0)
    {
        return x;
    }

    if ((x = pp_cmp_desc(p->p.unused_bytes, q->p.unused_bytes)) != 0
        || (x = pp_cmp_desc(p->p.created, q->p.created)) != 0)
    {
        return x;
    }

    return p->key < q->key ? -1 : p->key > q->key ? 1 : p->obj - q->obj;
}


static int
pp_tag_cmp(const void *a, const void *b)
{
    int               x;
    const pp_rtag_t  *p, *q;

    p = a;
    q = b;

    if (p->overflow != q->overflow) {
        return p->overflow - q->overflow;
    }

    if (pp_key > 0) {
        if ((x = pp_cmp_desc(pp_tag_key(p), pp_tag_key(q))) != 0) {
            return x;
        }

    } else if (pp_tag_reuse(&p->t) != pp_tag_reuse(&q->t)) {
        /* worst reuse first */
        return pp_tag_reuse(&p->t) < pp_tag_reuse(&q->t) ? -1 : 1;
    }

    if ((x = pp_cmp_desc(p->t.misses + p->t.own_misses,
                         q->t.misses + q->t.own_misses)) != 0
        || (x = pp_cmp_desc(p->t.hits, q->t.hits)) != 0)
    {
        return x;
    }

    return p->key < q->key ? -1 : p->key > q->key ? 1 : p->obj - q->obj;
}


void
pp_report_sort(pp_report_t *r)
{
    /* a key of one table orders that table; the others keep theirs */
    pp_key = r->sort > 0 && r->by != PP_BY_POOL && r->by != PP_BY_TAG
             ? r->sort : 0;

    if (r->nsites > 1) {
        qsort(r->sites, r->nsites, sizeof(pp_rsite_t), pp_site_cmp);
    }

    pp_key = r->sort > 0 && r->by == PP_BY_POOL ? r->sort : 0;

    if (r->npools > 1) {
        qsort(r->pools, r->npools, sizeof(pp_rpool_t), pp_pool_cmp);
    }

    pp_key = r->sort > 0 && r->by == PP_BY_TAG ? r->sort : 0;

    if (r->ntags > 1) {
        qsort(r->tags, r->ntags, sizeof(pp_rtag_t), pp_tag_cmp);
    }
}
