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


static int           pp_key;      /* qsort() has no context */
static pp_rfigure_t  pp_key_fig;  /* pp_key's figure, when pp_key > 0 */


/* the figures of the table --by chose: its --sort keys */
static const pp_rtable_t *
pp_keys(int by)
{
    return by == PP_BY_POOL ? &pp_rpools
           : by == PP_BY_TAG ? &pp_rtags : &pp_rsites;
}


int
pp_sort_parse(const char *key, int by)
{
    int           i;
    pp_rfigure_t  fig;

    for (i = 0; pp_rkey(pp_keys(by), i, &fig) == 0; i++) {
        if (strcmp(key, fig.sort) == 0) {
            return i;
        }
    }

    return -1;
}


void
pp_sort_keys(FILE *f, int by)
{
    int           i;
    pp_rfigure_t  fig;

    for (i = 0; pp_rkey(pp_keys(by), i, &fig) == 0; i++) {
        fprintf(f, "%s%s", i ? ", " : "", fig.sort);
    }
}


const char *
pp_sort_name(int by, int key)
{
    pp_rfigure_t  fig;

    if (pp_rkey(pp_keys(by), key, &fig) != 0
        && pp_rkey(pp_keys(by), 0, &fig) != 0)
    {
        return "";
    }

    return fig.sort;
}


/* the figure of key in a table, found once for a whole sort */
static const pp_rfigure_t *
pp_key_figure(const pp_rtable_t *t, int key)
{
    static int                 last = -1;
    static const pp_rtable_t  *last_t;
    static pp_rfigure_t        fig;

    if (key != last || t != last_t) {
        if (pp_rkey(t, key, &fig) != 0) {
            return NULL;
        }
        last = key;
        last_t = t;
    }

    return &fig;
}


static double
pp_site_key(const pp_site_t *s, int key)
{
    const pp_rfigure_t  *fig;

    fig = pp_key_figure(&pp_rsites, key);

    return fig != NULL ? pp_rfigure_value(&pp_rsites, fig, s) : 0;
}


static double
pp_pool_key(const pp_rpool_t *p)
{
    return pp_rfigure_value(&pp_rpools, &pp_key_fig, p);
}


static double
pp_tag_key(const pp_rtag_t *t)
{
    return pp_rfigure_value(&pp_rtags, &pp_key_fig, &t->t);
}


#define pp_cmp_desc(a, b)  ((a) > (b) ? -1 : (a) < (b) ? 1 : 0)


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
    if (pp_key > 0 && pp_rkey(&pp_rpools, pp_key, &pp_key_fig) != 0) {
        pp_key = 0;
    }
    pp_sort_rows(r->pools, r->npools, sizeof(pp_rpool_t), pp_pool_cmp);

    pp_key = v->sort > 0 && v->by == PP_BY_TAG ? v->sort : 0;
    if (pp_key > 0 && pp_rkey(&pp_rtags, pp_key, &pp_key_fig) != 0) {
        pp_key = 0;
    }
    pp_sort_rows(r->tags, r->ntags, sizeof(pp_rtag_t), pp_tag_cmp);
}
