/*
 * Leaks and growth: the pools that were never destroyed, the pools still
 * alive and older than POOLPROF_LONG_LIVED, and the sites that allocate
 * into such long-lived pools.  Built after symbolization, because the
 * pools nginx keeps until exit by design are known by their creator.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp_report.h"


#define pp_str(s)  ((s) != NULL ? (s) : "")


/*
 * Creators of pools that nginx keeps until its process exits: the
 * cycle's pool (a worker exits without destroying it), and the pools of
 * the configuration it was built with.
 */
static const char  *pp_by_design[] = {
    "ngx_init_cycle",
    "ngx_event_process_init",
    "ngx_master_process_cycle",
    "ngx_single_process_cycle",
    "main",
    NULL
};


static int pp_leak_cmp(const void *a, const void *b);
static int pp_growth_order(const void *a, const void *b);
static void pp_leaks_build(pp_report_t *r);
static int pp_by_design_name(const char *symbol);
static void pp_leaks_age(char *buf, size_t len, uint64_t ns);
static void pp_leaks_where(FILE *f, const pp_report_t *r, const char *name,
    uint64_t key, int obj, const char *symbol);


static int
pp_by_design_name(const char *symbol)
{
    int  i;

    for (i = 0; pp_by_design[i] != NULL; i++) {
        if (strcmp(symbol, pp_by_design[i]) == 0) {
            return 1;
        }
    }

    return 0;
}


void
pp_leaks_resolve(pp_report_t *r)
{
    size_t         i;
    char          *src;
    pp_rlive_t    *l;
    pp_rgrowth_t  *g;

    for (i = 0; i < r->ngrowth; i++) {
        g = &r->growth[i];
        pp_sym_row(r, g->g.site, g->obj, g->overflow, 0, &g->symbol,
                   &g->source);
        pp_sym_row(r, g->g.pool_site, g->pool_obj, g->overflow, 0,
                   &g->pool_symbol, &src);
        free(src);
    }

    for (i = 0; i < r->nlive; i++) {
        l = &r->live[i];
        pp_sym_row(r, l->l.site, l->obj, 0, 0, &l->symbol, &l->source);
        l->by_design = pp_by_design_name(pp_str(l->symbol))
                       || (l->l.flags & PP_LPOOL_INHERITED);
    }

    pp_leaks_build(r);
}


static int
pp_leak_cmp(const void *a, const void *b)
{
    const pp_rleak_t  *x, *y;

    x = a;
    y = b;

    if (x->key != y->key) {
        return x->key < y->key ? -1 : 1;
    }

    return x->obj < y->obj ? -1 : x->obj > y->obj;
}


/* worst first: leaks before nginx's own, then by count, then bytes */
static int
pp_leak_order(const void *a, const void *b)
{
    const pp_rleak_t  *x, *y;

    x = a;
    y = b;

    if (x->by_design != y->by_design) {
        return x->by_design - y->by_design;
    }

    if (x->leaked + x->alive_old != y->leaked + y->alive_old) {
        return x->leaked + x->alive_old > y->leaked + y->alive_old ? -1 : 1;
    }

    if (x->bytes != y->bytes) {
        return x->bytes > y->bytes ? -1 : 1;
    }

    return pp_leak_cmp(a, b);
}


/*
 * By creating site: "leaked" from the pool rows (exact, counted at each
 * clean exit), sizes and ages from the live rows left by exited
 * processes, "alive_old" from the live rows of running ones.  Every
 * contribution is an entry; sorted, the entries of a site merge.
 */
static void
pp_leaks_build(pp_report_t *r)
{
    size_t       i, n, out;
    pp_rlive_t  *l;
    pp_rleak_t  *all, *e;

    all = calloc(r->npools + r->nlive + 1, sizeof(pp_rleak_t));
    if (all == NULL) {
        pp_report_warn(r, "no memory for the leak report");
        return;
    }

    n = 0;

    for (i = 0; i < r->npools; i++) {
        if (r->pools[i].p.leaked == 0 || r->pools[i].overflow) {
            continue;
        }

        e = &all[n++];
        e->key = r->pools[i].key;
        e->obj = r->pools[i].obj;
        e->leaked = r->pools[i].p.leaked;
    }

    for (i = 0; i < r->nlive; i++) {
        l = &r->live[i];

        if ((l->l.flags & PP_LPOOL_INHERITED)     /* its creator counts it */
            || l->status == PP_STATUS_CRASHED     /* it had no clean exit */
            || (l->status == PP_STATUS_ALIVE && l->age_ns < r->long_lived_ns))
        {
            continue;
        }

        e = &all[n++];
        e->key = l->l.site;
        e->obj = l->obj;
        e->alive_old = l->status == PP_STATUS_ALIVE;
        e->bytes = l->l.alloc_bytes;
        e->oldest_ns = l->age_ns;
    }

    qsort(all, n, sizeof(pp_rleak_t), pp_leak_cmp);

    out = 0;

    for (i = 0; i < n; i++) {
        if (out > 0 && pp_leak_cmp(&all[out - 1], &all[i]) == 0) {
            e = &all[out - 1];
            e->leaked += all[i].leaked;
            e->alive_old += all[i].alive_old;
            e->bytes += all[i].bytes;
            if (all[i].oldest_ns > e->oldest_ns) {
                e->oldest_ns = all[i].oldest_ns;
            }
            continue;
        }

        all[out++] = all[i];
    }

    for (i = 0; i < out; i++) {
        e = &all[i];
        pp_sym_row(r, e->key, e->obj, 0, 0, &e->symbol, &e->source);
        e->by_design = pp_by_design_name(pp_str(e->symbol));
    }

    qsort(all, out, sizeof(pp_rleak_t), pp_leak_order);

    r->leaks = all;
    r->nleaks = out;
}


void
pp_leaks_free(pp_report_t *r)
{
    size_t  i, f;

    for (i = 0; i < r->ngrowth; i++) {
        free(r->growth[i].symbol);
        free(r->growth[i].source);
        free(r->growth[i].pool_symbol);
    }

    for (i = 0; i < r->nlive; i++) {
        free(r->live[i].symbol);
        free(r->live[i].source);
    }

    for (i = 0; i < r->nleaks; i++) {
        free(r->leaks[i].symbol);
        free(r->leaks[i].source);
    }

    for (i = 0; i < r->nstacks; i++) {
        if (r->stacks[i].names != NULL) {
            for (f = 0; f < r->stacks[i].s.depth; f++) {
                free(r->stacks[i].names[f]);
            }
        }

        free(r->stacks[i].names);
        free(r->stacks[i].objs);
    }

    free(r->growth);
    free(r->live);
    free(r->leaks);
    free(r->stacks);

    r->growth = NULL;
    r->live = NULL;
    r->leaks = NULL;
    r->stacks = NULL;
    r->ngrowth = r->nlive = r->nleaks = r->nstacks = 0;
}


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


/* the symbol, else object+offset, else the address; escaped */
static const char *
pp_leaks_name(char *buf, size_t len, const pp_report_t *r, uint64_t key,
    int obj, const char *symbol)
{
    char         esc[4 * PP_PATH_MAX];
    const char  *path, *base;

    if (symbol != NULL && symbol[0] != '\0') {
        return pp_escape(buf, len, symbol);
    }

    if (obj == PP_NO_OBJECT) {
        snprintf(buf, len, "0x%llx", (unsigned long long) key);
        return buf;
    }

    path = r->objs[obj].o.path;
    base = strrchr(path, '/');
    snprintf(buf, len, "%s+0x%llx",
             pp_escape(esc, sizeof(esc), base != NULL ? base + 1 : path),
             (unsigned long long) (key - r->objs[obj].o.base));

    return buf;
}


void
pp_leaks_text(FILE *f, const pp_report_t *r, unsigned top)
{
    size_t          i, n, shown;
    char            b1[32], b2[32], n1[300], n2[300], tmp[300];
    const char     *ll;
    pp_rleak_t     *e;
    pp_rlive_t     *l;
    pp_rgrowth_t  **order;

    if (r->long_lived_ns == UINT64_MAX) {
        ll = "off";
        snprintf(b2, sizeof(b2), "off");
    } else {
        pp_leaks_age(b2, sizeof(b2), r->long_lived_ns);
        ll = b2;
    }

    fprintf(f, "\nLeaks and growth (long-lived: older than %s)\n", ll);

    if (r->nleaks == 0 && r->ngrowth == 0) {
        fprintf(f, "  none: every pool was destroyed, no allocation went "
                   "into a long-lived pool\n");
    }

    shown = 0;

    for (i = 0; i < r->nleaks && shown < top; i++) {
        e = &r->leaks[i];

        if (shown++ == 0) {
            fprintf(f, "  %8s %8s %10s %9s  %s\n", "leaked", "alive>T",
                    "bytes", "oldest", "pools created at");
        }

        pp_human(b1, sizeof(b1), e->bytes);
        pp_leaks_age(b2, sizeof(b2), e->oldest_ns);
        fprintf(f, "  %8llu %8llu %10s %9s  %s%s\n",
                (unsigned long long) e->leaked,
                (unsigned long long) e->alive_old, b1, b2,
                pp_leaks_name(n1, sizeof(n1), r, e->key, e->obj, e->symbol),
                e->by_design ? "  (kept until exit by design, not a leak)"
                             : "");
    }

    order = calloc(r->ngrowth + 1, sizeof(pp_rgrowth_t *));
    if (order == NULL) {
        return;
    }

    for (i = 0; i < r->ngrowth; i++) {
        order[i] = &r->growth[i];
    }

    qsort(order, r->ngrowth, sizeof(pp_rgrowth_t *), pp_growth_order);

    for (i = 0; i < r->ngrowth && i < top; i++) {
        if (i == 0) {
            fprintf(f, "\n  %9s %8s %6s %7s %5s  %s\n", "grew by", "allocs",
                    "pools", "returns", "EVERY", "site -> into a pool created at");
        }

        pp_human(b1, sizeof(b1), order[i]->g.bytes);

        if (order[i]->overflow) {
            snprintf(n1, sizeof(n1), "(overflow)");
            snprintf(n2, sizeof(n2), "(overflow)");

        } else {
            snprintf(n1, sizeof(n1), "%s",
                     pp_leaks_name(tmp, sizeof(tmp), r, order[i]->g.site,
                                   order[i]->obj, order[i]->symbol));
            snprintf(n2, sizeof(n2), "%s",
                     pp_leaks_name(tmp, sizeof(tmp), r, order[i]->g.pool_site,
                                   order[i]->pool_obj, order[i]->pool_symbol));
        }

        /* two names in what is left of 100 columns */
        pp_leaks_cut(n1, 28);
        pp_leaks_cut(n2, 28);

        fprintf(f, "  %9s %8llu %6llu %7llu %5s  %s -> %s\n", b1,
                (unsigned long long) order[i]->g.allocs,
                (unsigned long long) order[i]->g.pools,
                (unsigned long long) order[i]->g.returns,
                order[i]->recurring ? "yes" : "", n1, n2);
    }

    if (r->ngrowth != 0) {
        fprintf(f, "  EVERY: the site came back to the same long-lived pool "
                "request after request\n");
    }

    free(order);

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

        pp_leaks_age(b2, sizeof(b2), l->age_ns);
        pp_human(b1, sizeof(b1), l->l.alloc_bytes);
        pp_human(n2, sizeof(n2), l->l.ll_bytes);
        fprintf(f, "  %7u %9s %10s %10s %6llu  %s\n", l->pid, b2, b1, n2,
                (unsigned long long) l->l.blocks,
                pp_leaks_name(n1, sizeof(n1), r, l->l.site, l->obj,
                              l->symbol));
    }
}


static void
pp_leaks_where(FILE *f, const pp_report_t *r, const char *name, uint64_t key,
    int obj, const char *symbol)
{
    uint64_t  base;

    base = obj != PP_NO_OBJECT ? r->objs[obj].o.base : 0;

    fprintf(f, "\"%s\": \"0x%llx\", \"%sobject\": ", name,
            (unsigned long long) key, name[0] == 'a' ? "" : "pool_");
    pp_json_string(f, obj != PP_NO_OBJECT ? r->objs[obj].o.path : "");
    fprintf(f, ", \"%soffset\": \"0x%llx\", \"%ssymbol\": ",
            name[0] == 'a' ? "" : "pool_", (unsigned long long) (key - base),
            name[0] == 'a' ? "" : "pool_");
    pp_json_string(f, symbol);
}


#define pp_ju(name, v)                                                       \
    fprintf(f, ", \"%s\": %llu", name, (unsigned long long) (v))


void
pp_leaks_json(FILE *f, const pp_report_t *r)
{
    size_t         i;
    pp_rleak_t    *e;
    pp_rlive_t    *l;
    pp_rgrowth_t  *g;

    fputs(",\n  \"long_lived_ns\": ", f);
    if (r->long_lived_ns == UINT64_MAX) {
        fputs("null", f);
    } else {
        fprintf(f, "%llu", (unsigned long long) r->long_lived_ns);
    }

    fputs(",\n  \"leaks\": [", f);

    for (i = 0; i < r->nleaks; i++) {
        e = &r->leaks[i];
        fputs(i ? ",\n    { " : "\n    { ", f);
        pp_leaks_where(f, r, "address", e->key, e->obj, e->symbol);
        pp_ju("leaked", e->leaked);
        pp_ju("alive_old", e->alive_old);
        pp_ju("bytes", e->bytes);
        pp_ju("oldest_age_ns", e->oldest_ns);
        fprintf(f, ", \"by_design\": %s }", e->by_design ? "true" : "false");
    }

    fputs(r->nleaks ? "\n  ],\n  \"growth\": [" : "],\n  \"growth\": [", f);

    for (i = 0; i < r->ngrowth; i++) {
        g = &r->growth[i];
        fputs(i ? ",\n    { " : "\n    { ", f);
        pp_leaks_where(f, r, "address", g->g.site, g->obj, g->symbol);
        fputs(", ", f);
        pp_leaks_where(f, r, "pool", g->g.pool_site, g->pool_obj,
                       g->pool_symbol);
        pp_ju("allocs", g->g.allocs);
        pp_ju("bytes", g->g.bytes);
        pp_ju("pools", g->g.pools);
        pp_ju("returns", g->g.returns);
        pp_ju("max_age_ns", g->g.max_age_ns);
        fprintf(f, ", \"recurring\": %s, \"overflow\": %s }",
                g->recurring ? "true" : "false",
                g->overflow ? "true" : "false");
    }

    fputs(r->ngrowth ? "\n  ],\n  \"live_pools\": ["
                     : "],\n  \"live_pools\": [", f);

    for (i = 0; i < r->nlive; i++) {
        l = &r->live[i];
        fprintf(f, "%s\"pid\": %u, \"state\": \"%s\", \"pool\": \"0x%llx\", ",
                i ? ",\n    { " : "\n    { ", l->pid,
                pp_status_name(l->status), (unsigned long long) l->l.key);
        pp_leaks_where(f, r, "address", l->l.site, l->obj, l->symbol);
        pp_ju("age_ns", l->age_ns);
        pp_ju("size", l->l.size);
        pp_ju("allocs", l->l.allocs);
        pp_ju("alloc_bytes", l->l.alloc_bytes);
        pp_ju("large_allocs", l->l.large_allocs);
        pp_ju("large_bytes", l->l.large_bytes);
        pp_ju("blocks", l->l.blocks);
        pp_ju("ll_allocs", l->l.ll_allocs);
        pp_ju("ll_bytes", l->l.ll_bytes);
        fprintf(f, ", \"inherited\": %s, \"by_design\": %s }",
                (l->l.flags & PP_LPOOL_INHERITED) ? "true" : "false",
                l->by_design ? "true" : "false");
    }

    fputs(r->nlive ? "\n  ]" : "]", f);
}
