/*
 * The order of the report: sites by pinned bytes, then no-op frees, then
 * allocations; pools by unused bytes; tags by reuse rate, worst first;
 * ties by address, and the overflow rows last.  --sort KEY puts one
 * column of the table that --by chose first.
 */

#define _GNU_SOURCE
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp_report.h"


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


#define pp_cmp_desc(a, b)  ((a) > (b) ? -1 : (a) < (b) ? 1 : 0)


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


/* one table's sort: its figures, and the figure --sort put first */
typedef struct {
    const pp_rtable_t      *t;
    size_t                  rec;        /* a row as t's figures read it */
    int                     key;        /* > 0: fig orders first */
    pp_rfigure_t            fig;
    int                   (*order)(const void *p, const void *q);
} pp_sort_t;


static int
pp_site_default(const void *p, const void *q)
{
    return pp_site_order(&((const pp_rsite_t *) p)->s,
                         &((const pp_rsite_t *) q)->s, 0);
}


/* unused bytes, then pools created */
static int
pp_pool_default(const void *a, const void *b)
{
    int                x;
    const pp_rpool_t  *p = a, *q = b;

    if ((x = pp_cmp_desc(p->p.unused_bytes, q->p.unused_bytes)) != 0
        || (x = pp_cmp_desc(p->p.created, q->p.created)) != 0)
    {
        return x;
    }

    return 0;
}


/* worst reuse first, then misses, then hits */
static int
pp_tag_default(const void *a, const void *b)
{
    int               x;
    double            u, v;
    const pp_rtag_t  *p = a, *q = b;

    u = pp_tag_reuse(&p->t);
    v = pp_tag_reuse(&q->t);

    if (u != v) {
        return u < v ? -1 : 1;
    }

    if ((x = pp_cmp_desc(p->t.misses + p->t.own_misses,
                         q->t.misses + q->t.own_misses)) != 0
        || (x = pp_cmp_desc(p->t.hits, q->t.hits)) != 0)
    {
        return x;
    }

    return 0;
}


/* the overflow row last, the key, the default order, then the address */
static int
pp_row_cmp(const void *a, const void *b, void *arg)
{
    int               x;
    const pp_rrow_t  *p = a, *q = b;
    const pp_sort_t  *s = arg;

    if (p->overflow != q->overflow) {
        return p->overflow - q->overflow;
    }

    if (s->key > 0
        && (x = pp_cmp_desc(
                    pp_rfigure_value(s->t, &s->fig,
                                     (const char *) p + s->rec),
                    pp_rfigure_value(s->t, &s->fig,
                                     (const char *) q + s->rec))) != 0)
    {
        return x;
    }

    if ((x = s->order(p, q)) != 0) {
        return x;
    }

    return p->key < q->key ? -1 : p->key > q->key ? 1 : p->obj - q->obj;
}


static int
pp_ptr_cmp(const void *a, const void *b, void *arg)
{
    return pp_row_cmp(*(void * const *) a, *(void * const *) b, arg);
}


/*
 * qsort() through pointers, then every row moved once along the cycles
 * of the permutation: a pool row is 4 KiB of histograms and a full
 * segment has 10^5 sites, too much to move at every step of a merge sort
 */
static void
pp_sort_rows(void *rows, size_t n, size_t size, pp_sort_t *s)
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
        qsort_r(rows, n, size, pp_row_cmp, s);
        return;
    }

    for (i = 0; i < n; i++) {
        v[i] = base + i * size;
    }

    qsort_r(v, n, sizeof(unsigned char *), pp_ptr_cmp, s);

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


/* --sort's key orders the table --by chose; the others keep theirs */
static void
pp_sort_table(void *rows, size_t n, size_t size, pp_sort_t *s, int key)
{
    s->key = key > 0 && pp_rkey(s->t, key, &s->fig) == 0 ? key : 0;
    pp_sort_rows(rows, n, size, s);
}


void
pp_report_sort(pp_report_t *r, const pp_view_t *v)
{
    pp_sort_t  sites = { &pp_rsites, offsetof(pp_rsite_t, s), 0, { 0 },
                         pp_site_default };
    pp_sort_t  pools = { &pp_rpools, 0, 0, { 0 }, pp_pool_default };
    pp_sort_t  tags = { &pp_rtags, offsetof(pp_rtag_t, t), 0, { 0 },
                        pp_tag_default };

    pp_sort_table(r->sites, r->nsites, sizeof(pp_rsite_t), &sites,
                  v->by != PP_BY_POOL && v->by != PP_BY_TAG ? v->sort : 0);
    pp_sort_table(r->pools, r->npools, sizeof(pp_rpool_t), &pools,
                  v->by == PP_BY_POOL ? v->sort : 0);
    pp_sort_table(r->tags, r->ntags, sizeof(pp_rtag_t), &tags,
                  v->by == PP_BY_TAG ? v->sort : 0);
}
