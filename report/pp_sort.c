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


const char *
pp_sort_name(int by, int key)
{
    int           i;
    const char  **keys;

    keys = pp_keys(by);

    for (i = 0; keys[i] != NULL; i++) {
        if (i == key) {
            return keys[i];
        }
    }

    return keys[0];
}


static double
pp_site_key(const pp_site_t *s, int key)
{
    switch (key) {
    case 3: return (double) s->allocs;
    case 4: return (double) s->alloc_bytes;
    case 5: return (double) s->freed;
    case 6: return (double) s->foreign_frees;
    case 7: return s->pinned_byte_seconds;
    case 8: return (double) s->ll_bytes;
    case 2: return (double) s->noop_frees;
    default: return (double) s->pinned_bytes;
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


/* sites' counters, most first: key (a pp_site_keys index, 0 or -1: the
 * default), then pinned bytes, no-op frees, allocations; 0 when tied */
int
pp_site_order(const pp_site_t *p, const pp_site_t *q, int key)
{
    int  x;

    if (key > 0 && (x = pp_cmp_desc(pp_site_key(p, key), pp_site_key(q, key)))
                   != 0)
    {
        return x;
    }

    if ((x = pp_cmp_desc(p->pinned_bytes, q->pinned_bytes)) != 0
        || (x = pp_cmp_desc(p->noop_frees, q->noop_frees)) != 0
        || (x = pp_cmp_desc(p->allocs, q->allocs)) != 0)
    {
        return x;
    }

    return 0;
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

    if ((x = pp_site_order(&p->s, &q->s, pp_key)) != 0) {
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


static int  (*pp_row_cmp)(const void *, const void *);


static int
pp_ptr_cmp(const void *a, const void *b)
{
    return pp_row_cmp(*(void * const *) a, *(void * const *) b);
}


/*
 * qsort() through pointers, then every row moved once along the cycles
 * of the permutation: a pool row is 4 KiB of histograms and a full
 * segment has 10^5 sites, too much to move at every step of a merge sort
 */
static void
pp_sort_rows(void *rows, size_t n, size_t size,
    int (*cmp)(const void *, const void *))
{
    size_t          i, j, k, *from;
    unsigned char  *base, *tmp, **v;

    if (n < 2) {
        return;
    }

    base = rows;
    v = malloc(n * sizeof(unsigned char *));
    from = malloc(n * sizeof(size_t));
    tmp = malloc(size);

    if (v == NULL || from == NULL || tmp == NULL) {
        free(v);
        free(from);
        free(tmp);
        qsort(rows, n, size, cmp);
        return;
    }

    for (i = 0; i < n; i++) {
        v[i] = base + i * size;
    }

    pp_row_cmp = cmp;
    qsort(v, n, sizeof(unsigned char *), pp_ptr_cmp);

    /* position i takes the row that is now at from[i] */
    for (i = 0; i < n; i++) {
        from[i] = (size_t) (v[i] - base) / size;
    }

    for (i = 0; i < n; i++) {
        if (from[i] == i) {
            continue;
        }

        memcpy(tmp, base + i * size, size);

        for (j = i; ; j = k) {
            k = from[j];
            from[j] = j;

            if (k == i) {
                memcpy(base + j * size, tmp, size);
                break;
            }

            memcpy(base + j * size, base + k * size, size);
        }
    }

    free(v);
    free(from);
    free(tmp);
}


void
pp_report_sort(pp_report_t *r, const pp_view_t *v)
{
    /* a key of one table orders that table; the others keep theirs */
    pp_key = v->sort > 0 && v->by != PP_BY_POOL && v->by != PP_BY_TAG
             ? v->sort : 0;
    pp_sort_rows(r->sites, r->nsites, sizeof(pp_rsite_t), pp_site_cmp);

    pp_key = v->sort > 0 && v->by == PP_BY_POOL ? v->sort : 0;
    pp_sort_rows(r->pools, r->npools, sizeof(pp_rpool_t), pp_pool_cmp);

    pp_key = v->sort > 0 && v->by == PP_BY_TAG ? v->sort : 0;
    pp_sort_rows(r->tags, r->ntags, sizeof(pp_rtag_t), pp_tag_cmp);
}
