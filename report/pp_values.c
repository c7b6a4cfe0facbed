/*
 * The figures of the report's rows: those the segment records (the
 * field tables of pp_fields.h) and those the reporter computes from
 * them (rates, percentiles), under one name each.  JSON, --sort and the
 * text columns all take their figures from here.
 */

#include <string.h>

#include "pp_report.h"


double
pp_tag_reuse(const pp_tag_t *t)
{
    uint64_t  n;

    n = t->hits + t->misses + t->own_hits + t->own_misses;

    /* the sum may wrap on a corrupt file: never divide by 0 */
    return n != 0 ? (double) (t->hits + t->own_hits) / (double) n : 0.0;
}



static uint64_t
pp_site_wasted_value(const void *row)
{
    return ((const pp_site_t *) row)->pinned_bytes;
}


static double
pp_site_reuse_value(const void *row)
{
    const pp_site_t  *s = row;

    return s->fb_hits + s->fb_misses != 0
           ? (double) s->fb_hits / (double) (s->fb_hits + s->fb_misses) : 0;
}


static uint64_t
pp_totals_wasted_value(const void *row)
{
    const pp_totals_t  *t = row;

    return t->pinned_bytes + t->unused_bytes;
}


#define pp_pool_pct(name, h, p)                                              \
    static uint64_t                                                          \
    name(const void *row)                                                    \
    {                                                                        \
        return pp_rhist_percentile(&((const pp_rpool_t *) row)->h, p);       \
    }

pp_pool_pct(pp_pool_used50, used, 50)
pp_pool_pct(pp_pool_used95, used, 95)
pp_pool_pct(pp_pool_used99, used, 99)
pp_pool_pct(pp_pool_life50, lifetime, 50)
pp_pool_pct(pp_pool_life95, lifetime, 95)


/* the share of a site's pools that needed more than one block */
static double
pp_pool_spill_value(const void *row)
{
    uint64_t           gens;
    const pp_rpool_t  *p = row;

    gens = p->p.destroyed + p->p.resets;

    return gens != 0 ? (double) p->p.spilled / (double) gens : 0;
}


static double
pp_tag_reuse_value(const void *row)
{
    return pp_tag_reuse(row);
}


static uint64_t
pp_tag_hits_value(const void *row)
{
    const pp_tag_t  *t = row;

    return t->hits + t->own_hits;
}


static uint64_t
pp_tag_misses_value(const void *row)
{
    const pp_tag_t  *t = row;

    return t->misses + t->own_misses;
}


static const pp_derived_t  pp_site_derived[] = {
    { NULL, "wasted", pp_site_wasted_value, NULL },
    { "reuse_rate", NULL, NULL, pp_site_reuse_value },
};

static const pp_derived_t  pp_totals_derived[] = {
    { "wasted_bytes", NULL, pp_totals_wasted_value, NULL },
};

static const pp_derived_t  pp_pool_derived[] = {
    { NULL, "unused", NULL, NULL },
    { "used_p50", NULL, pp_pool_used50, NULL },
    { "used_p95", "used_p95", pp_pool_used95, NULL },
    { "used_p99", NULL, pp_pool_used99, NULL },
    { "lifetime_ns_p50", NULL, pp_pool_life50, NULL },
    { "lifetime_ns_p95", NULL, pp_pool_life95, NULL },
    { NULL, "spill_rate", NULL, pp_pool_spill_value },
};

static const pp_derived_t  pp_tag_derived[] = {
    { "reuse_rate", "reuse", NULL, pp_tag_reuse_value },
    { NULL, "hits", pp_tag_hits_value, NULL },
    { NULL, "misses", pp_tag_misses_value, NULL },
};

#define pp_nelts(a)  (sizeof(a) / sizeof((a)[0]))

/* the first sort key of each table is its default order's name */
const pp_rtable_t  pp_rtotals = {
    &pp_totals_fields, 0, pp_totals_derived, pp_nelts(pp_totals_derived)
};

const pp_rtable_t  pp_rsites = {
    &pp_site_fields, 0, pp_site_derived, pp_nelts(pp_site_derived)
};

const pp_rtable_t  pp_rpools = {
    &pp_pool_fields, offsetof(pp_rpool_t, p), pp_pool_derived,
    pp_nelts(pp_pool_derived)
};

const pp_rtable_t  pp_rtags = {
    &pp_tag_fields, 0, pp_tag_derived, pp_nelts(pp_tag_derived)
};


/* the n-th figure of a table: derived ones first, then the recorded */
static int
pp_rfigure(const pp_rtable_t *t, size_t n, pp_rfigure_t *fig)
{
    const pp_field_t  *f;

    if (n < t->nderived) {
        fig->derived = &t->derived[n];
        fig->field = NULL;
        fig->name = t->derived[n].name;
        fig->sort = t->derived[n].sort;
        return 0;
    }

    n -= t->nderived;

    if (n >= t->fields->n) {
        return -1;
    }

    f = &t->fields->fields[n];
    fig->derived = NULL;
    fig->field = f;
    fig->name = f->name;

    /* every counter and size sorts, under its own name if it has none */
    fig->sort = f->unit == PP_UNIT_ADDRESS ? NULL
                : f->sort != NULL ? f->sort : f->name;

    return 0;
}


double
pp_rfigure_value(const pp_rtable_t *t, const pp_rfigure_t *fig,
    const void *row)
{
    if (fig->field != NULL) {
        return pp_field_value(fig->field, (const char *) row + t->base);
    }

    if (fig->derived->u != NULL) {
        return (double) fig->derived->u(row);
    }

    return fig->derived->d != NULL ? fig->derived->d(row) : 0;
}


/* the figure as an integer: exact for counters, a ratio clamped */
uint64_t
pp_rfigure_u64(const pp_rtable_t *t, const pp_rfigure_t *fig,
    const void *row)
{
    double  d;

    if (fig->field != NULL) {
        return pp_field_u64(fig->field, (const char *) row + t->base);
    }

    if (fig->derived->u != NULL) {
        return fig->derived->u(row);
    }

    d = fig->derived->d != NULL ? fig->derived->d(row) : 0;

    /* a corrupt file's counts: never outside uint64_t */
    return d > 0 && d < 18446744073709551616.0 ? (uint64_t) d : 0;
}


/*
 * The --sort keys of a table, by index: the first sort name of each
 * figure, in the table's order; 0 is the default order.
 */
int
pp_rkey(const pp_rtable_t *t, int key, pp_rfigure_t *fig)
{
    int           k;
    size_t        n, m;
    pp_rfigure_t  prev;

    for (n = 0, k = 0; pp_rfigure(t, n, fig) == 0; n++) {
        if (fig->sort == NULL) {
            continue;
        }

        /* a name an earlier figure took is not a key again */
        for (m = 0; m < n; m++) {
            if (pp_rfigure(t, m, &prev) == 0 && prev.sort != NULL
                && strcmp(prev.sort, fig->sort) == 0)
            {
                break;
            }
        }

        if (m < n) {
            continue;
        }

        if (k++ == key) {
            return 0;
        }
    }

    return -1;
}


/* a figure by its JSON key or its sort key */
int
pp_rfind(const pp_rtable_t *t, const char *name, pp_rfigure_t *fig)
{
    size_t  n;

    for (n = 0; pp_rfigure(t, n, fig) == 0; n++) {
        if ((fig->name != NULL && strcmp(fig->name, name) == 0)
            || (fig->sort != NULL && strcmp(fig->sort, name) == 0))
        {
            return 0;
        }
    }

    return -1;
}


/* the JSON members of a row: the recorded figures, then the derived */
void
pp_json_figures(FILE *f, const pp_rtable_t *t, const void *row, int first)
{
    size_t             n;
    const char        *rec;
    const pp_field_t  *fl;
    const pp_derived_t  *d;

    rec = (const char *) row + t->base;

    for (n = 0; n < t->fields->n; n++) {
        fl = &t->fields->fields[n];
        fprintf(f, "%s\"%s\": ", first ? "" : ", ", fl->name);
        first = 0;

        if (fl->type == PP_FIELD_F64) {
            pp_json_double(f, pp_field_value(fl, rec));

        } else if (fl->unit == PP_UNIT_ADDRESS) {
            fprintf(f, "\"0x%llx\"",
                    (unsigned long long) pp_field_u64(fl, rec));

        } else {
            fprintf(f, "%llu", (unsigned long long) pp_field_u64(fl, rec));
        }
    }

    for (n = 0; n < t->nderived; n++) {
        d = &t->derived[n];

        if (d->name == NULL) {
            continue;
        }

        fprintf(f, "%s\"%s\": ", first ? "" : ", ", d->name);
        first = 0;

        if (d->u != NULL) {
            fprintf(f, "%llu", (unsigned long long) d->u(row));
        } else {
            pp_json_double(f, d->d(row));
        }
    }
}
