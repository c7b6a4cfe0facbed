/*
 * The JSON arrays of leaks, growth and live pools (poolprof-json(5)),
 * after the rest of pp_json_print()'s document.
 */

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "pp_report.h"


/*
 * Counters that lie one after the other in a row from off, named by
 * names; the asserts below keep each run in one piece
 */
static void
pp_json_counters(FILE *f, const void *row, size_t off,
    const char *const *names)
{
    uint64_t  v;

    for ( /* void */ ; *names != NULL; names++, off += sizeof(uint64_t)) {
        memcpy(&v, (const char *) row + off, sizeof(uint64_t));
        fprintf(f, ", \"%s\": %llu", *names, (unsigned long long) v);
    }
}


static const char *const  pp_leak_counters[] = {
    "leaked", "alive_old", "bytes", "oldest_age_ns", NULL
};

static const char *const  pp_growth_counters[] = {
    "allocs", "bytes", "pools", "returns", "max_age_ns", NULL
};

static const char *const  pp_live_counters[] = {
    "size", "allocs", "alloc_bytes", "large_allocs", "large_bytes",
    "blocks", "ll_allocs", "ll_bytes", NULL
};

#define pp_run(type, first, last, n)                                         \
    _Static_assert(offsetof(type, last) - offsetof(type, first)              \
                   == ((n) - 1) * sizeof(uint64_t), #type " " #first)

pp_run(pp_rleak_t, leaked, oldest_ns, 4);
pp_run(pp_growth_t, allocs, max_age_ns, 5);
pp_run(pp_lpool_t, size, ll_bytes, 8);


void
pp_json_leaks(FILE *f, const pp_report_t *r)
{
    size_t               i;
    const pp_rleak_t    *e;
    const pp_rlive_t    *l;
    const pp_rgrowth_t  *g;

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
        pp_json_where(f, r, "address", "", e->key, e->obj, e->symbol,
                      NULL);
        pp_json_counters(f, e, offsetof(pp_rleak_t, leaked),
                         pp_leak_counters);
        fprintf(f, ", \"by_design\": %s }", e->by_design ? "true" : "false");
    }

    fputs(r->nleaks ? "\n  ],\n  \"growth\": [" : "],\n  \"growth\": [", f);

    for (i = 0; i < r->ngrowth; i++) {
        g = &r->growth[i];
        fputs(i ? ",\n    { " : "\n    { ", f);
        pp_json_where(f, r, "address", "", g->g.site, g->obj, g->symbol,
                      NULL);
        fputs(", ", f);
        pp_json_where(f, r, "pool", "pool_", g->g.pool_site, g->pool_obj,
                      g->pool_symbol, NULL);
        pp_json_counters(f, &g->g, offsetof(pp_growth_t, allocs),
                         pp_growth_counters);
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
        pp_json_where(f, r, "address", "", l->l.site, l->obj, l->symbol,
                      NULL);
        fprintf(f, ", \"age_ns\": %llu", (unsigned long long) l->age_ns);
        pp_json_counters(f, &l->l, offsetof(pp_lpool_t, size),
                         pp_live_counters);
        fprintf(f, ", \"inherited\": %s, \"by_design\": %s }",
                (l->l.flags & PP_LPOOL_INHERITED) ? "true" : "false",
                l->by_design ? "true" : "false");
    }

    fputs(r->nlive ? "\n  ]" : "]", f);
}
