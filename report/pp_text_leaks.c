/*
 * The text report's "Leaks and growth" section: the leaks by creating
 * site (pp_leaks.c), the sites that allocate into long-lived pools, most
 * bytes first, and the live pools still growing.  Names through
 * pp_name(), like every name of the text report.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp_text.h"


/* names in the growth table: two of them in what is left of 100 columns */
#define PP_GROWTH_NAME  28


static int pp_growth_order(const void *a, const void *b);
static void pp_leaks_age(char *buf, size_t len, uint64_t ns);
static void pp_leaks_cut(char *name, size_t width);
static void pp_text_leak_rows(FILE *f, const pp_report_t *r, unsigned top);
static void pp_text_growth(FILE *f, const pp_report_t *r, unsigned top);
static void pp_text_live(FILE *f, const pp_report_t *r, unsigned top);


/* most bytes first */
static int
pp_growth_order(const void *a, const void *b)
{
    const pp_rgrowth_t  *x, *y;

    x = *(const pp_rgrowth_t *const *) a;
    y = *(const pp_rgrowth_t *const *) b;

    if (x->g.bytes != y->g.bytes) {
        return x->g.bytes > y->g.bytes ? -1 : 1;
    }

    if (x->g.site != y->g.site) {
        return x->g.site < y->g.site ? -1 : 1;
    }

    return x->g.pool_site < y->g.pool_site ? -1
                                           : x->g.pool_site > y->g.pool_site;
}


static void
pp_leaks_age(char *buf, size_t len, uint64_t ns)
{
    double  s;

    s = (double) ns / 1e9;

    if (s < 1) {
        snprintf(buf, len, "%.0f ms", s * 1000);
    } else if (s < 120) {
        snprintf(buf, len, "%.1f s", s);
    } else if (s < 7200) {
        snprintf(buf, len, "%.0f min", s / 60);
    } else {
        snprintf(buf, len, "%.1f h", s / 3600);
    }
}


/* cuts a name that does not fit width, marking the cut */
static void
pp_leaks_cut(char *name, size_t width)
{
    if (strlen(name) > width) {
        strcpy(name + width - 2, "..");
    }
}


static void
pp_text_leak_rows(FILE *f, const pp_report_t *r, unsigned top)
{
    char               b1[32], b2[32], name[300];
    size_t             i;
    const pp_rleak_t  *e;

    for (i = 0; i < r->nleaks && i < top; i++) {
        e = &r->leaks[i];

        if (i == 0) {
            fprintf(f, "  %8s %8s %10s %9s  %s\n", "leaked", "alive>T",
                    "bytes", "oldest", "pools created at");
        }

        pp_human(b1, sizeof(b1), e->bytes);
        pp_leaks_age(b2, sizeof(b2), e->oldest_ns);
        fprintf(f, "  %8llu %8llu %10s %9s  %s%s\n",
                (unsigned long long) e->leaked,
                (unsigned long long) e->alive_old, b1, b2,
                pp_name(name, sizeof(name), r, e->key, e->obj, e->symbol),
                e->by_design ? "  (kept until exit by design, not a leak)"
                             : "");
    }
}


static void
pp_text_growth(FILE *f, const pp_report_t *r, unsigned top)
{
    char                  b[32], n1[300], n2[300];
    size_t                i;
    const pp_rgrowth_t  **order, *g;

    order = calloc(r->ngrowth + 1, sizeof(pp_rgrowth_t *));
    if (order == NULL) {
        return;
    }

    for (i = 0; i < r->ngrowth; i++) {
        order[i] = &r->growth[i];
    }

    qsort(order, r->ngrowth, sizeof(pp_rgrowth_t *), pp_growth_order);

    for (i = 0; i < r->ngrowth && i < top; i++) {
        g = order[i];

        if (i == 0) {
            fprintf(f, "\n  %9s %8s %6s %7s %5s  %s\n", "grew by", "allocs",
                    "pools", "returns", "EVERY",
                    "site -> into a pool created at");
        }

        if (g->overflow) {
            snprintf(n1, sizeof(n1), "(overflow)");
            snprintf(n2, sizeof(n2), "(overflow)");

        } else {
            pp_name(n1, sizeof(n1), r, g->g.site, g->obj, g->symbol);
            pp_name(n2, sizeof(n2), r, g->g.pool_site, g->pool_obj,
                    g->pool_symbol);
        }

        pp_leaks_cut(n1, PP_GROWTH_NAME);
        pp_leaks_cut(n2, PP_GROWTH_NAME);

        fprintf(f, "  %9s %8llu %6llu %7llu %5s  %s -> %s\n",
                pp_human(b, sizeof(b), g->g.bytes),
                (unsigned long long) g->g.allocs,
                (unsigned long long) g->g.pools,
                (unsigned long long) g->g.returns,
                g->recurring ? "yes" : "", n1, n2);
    }

    if (r->ngrowth != 0) {
        fprintf(f, "  EVERY: the site came back to the same long-lived pool "
                "request after request\n");
    }

    free(order);
}


static void
pp_text_live(FILE *f, const pp_report_t *r, unsigned top)
{
    char               age[32], b1[32], b2[32], name[300];
    size_t             i, n;
    const pp_rlive_t  *l;

    n = 0;

    for (i = 0; i < r->nlive; i++) {
        l = &r->live[i];

        if (l->status != PP_STATUS_ALIVE || l->l.ll_bytes == 0) {
            continue;
        }

        if (n++ == 0) {
            fprintf(f, "\n  growing live pools:\n  %7s %9s %10s %10s %6s  "
                       "%s\n", "pid", "age", "allocated", "since T",
                       "blocks", "created at");
        }

        if (n > top) {
            continue;
        }

        pp_leaks_age(age, sizeof(age), l->age_ns);
        fprintf(f, "  %7u %9s %10s %10s %6llu  %s\n", l->pid, age,
                pp_human(b1, sizeof(b1), l->l.alloc_bytes),
                pp_human(b2, sizeof(b2), l->l.ll_bytes),
                (unsigned long long) l->l.blocks,
                pp_name(name, sizeof(name), r, l->l.site, l->obj,
                        l->symbol));
    }
}


void
pp_text_leaks(FILE *f, const pp_report_t *r, const pp_view_t *v)
{
    char  ll[32];

    if (r->long_lived_ns == UINT64_MAX) {
        snprintf(ll, sizeof(ll), "off");
    } else {
        pp_leaks_age(ll, sizeof(ll), r->long_lived_ns);
    }

    fprintf(f, "\nLeaks and growth (long-lived: older than %s)\n", ll);

    if (r->nleaks == 0 && r->ngrowth == 0) {
        fprintf(f, "  none: every pool was destroyed, no allocation went "
                   "into a long-lived pool\n");
    }

    pp_text_leak_rows(f, r, v->top);
    pp_text_growth(f, r, v->top);
    pp_text_live(f, r, v->top);
}
