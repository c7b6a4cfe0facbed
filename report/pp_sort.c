/*
 * The order of the report: sites by pinned bytes, then no-op frees, then
 * allocations; pools by unused bytes; tags by misses; all descending,
 * ties by address, and the overflow rows last.
 */

#include <stdlib.h>

#include "pp_report.h"


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

    if ((x = pp_cmp_desc(p->t.misses, q->t.misses)) != 0
        || (x = pp_cmp_desc(p->t.hits, q->t.hits)) != 0)
    {
        return x;
    }

    return p->key < q->key ? -1 : p->key > q->key ? 1 : p->obj - q->obj;
}


void
pp_report_sort(pp_report_t *r)
{
    if (r->nsites > 1) {
        qsort(r->sites, r->nsites, sizeof(pp_rsite_t), pp_site_cmp);
    }

    if (r->npools > 1) {
        qsort(r->pools, r->npools, sizeof(pp_rpool_t), pp_pool_cmp);
    }

    if (r->ntags > 1) {
        qsort(r->tags, r->ntags, sizeof(pp_rtag_t), pp_tag_cmp);
    }
}
