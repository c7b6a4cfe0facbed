/*
 * Leaks: the pools that were never destroyed, and the pools still alive
 * and older than POOLPROF_LONG_LIVED, by creating site.  Built from the
 * named pool and live rows, because the pools nginx keeps until exit by
 * design are known by their creator's name.  Analysis only: the text
 * and JSON of it are pp_text_leaks.c and pp_json_leaks.c.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp_report.h"


/*
 * Creators of pools that nginx keeps until its process exits: the
 * cycle's pool (a worker exits without destroying it), and the pools of
 * the configuration it was built with.
 */
static const char *const  pp_by_design[] = {
    "ngx_init_cycle",
    "ngx_event_process_init",
    "ngx_master_process_cycle",
    "ngx_single_process_cycle",
    "main",
    NULL
};


static int pp_leak_cmp(const void *a, const void *b);
static int pp_leak_order(const void *a, const void *b);


/* by key, then object: the entries of one site together */
static int
pp_leak_cmp(const void *a, const void *b)
{
    const pp_rleak_t  *x = a, *y = b;

    return x->key != y->key ? pp_order(x->key, y->key)
                            : pp_order(x->obj, y->obj);
}


/* worst first: leaks before nginx's own, then by count, then bytes */
static int
pp_leak_order(const void *a, const void *b)
{
    uint64_t           nx, ny;
    const pp_rleak_t  *x = a, *y = b;

    nx = x->leaked + x->alive_old;
    ny = y->leaked + y->alive_old;

    return x->by_design != y->by_design ? x->by_design - y->by_design
           : nx != ny ? pp_order(ny, nx)
           : x->bytes != y->bytes ? pp_order(y->bytes, x->bytes)
           : pp_leak_cmp(a, b);
}


/*
 * By creating site: "leaked" from the pool rows (exact, counted at each
 * clean exit), sizes and ages from the live rows left by exited
 * processes, "alive_old" from the live rows of running ones; with
 * POOLPROF_SAMPLE, the live rows' counts and bytes times the period, as
 * the pool rows' are.  Every
 * contribution is an entry, named as its row; sorted, the entries of a
 * site (one key and object, so one name) merge.  0, or -1 without memory.
 */
int
pp_leaks_build(pp_report_t *r)
{
    size_t       i, n, out;
    uint64_t     w;
    pp_rlive_t  *l;
    pp_rleak_t  *all, *e;

    /* under POOLPROF_SAMPLE a live pool is one of the period's */
    w = r->sample_period > 1 ? r->sample_period : 1;

    for (i = 0; i < r->nlive; i++) {
        l = &r->live[i];
        l->by_design = pp_sym_in(l->symbol, pp_by_design, 0)
                       || (l->l.flags & PP_LPOOL_INHERITED);
    }

    all = calloc(r->npools + r->nlive + 1, sizeof(pp_rleak_t));
    if (all == NULL) {
        return -1;
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
        e->symbol = r->pools[i].symbol;         /* borrowed until below */
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
        e->alive_old = l->status == PP_STATUS_ALIVE ? w : 0;
        e->bytes = l->l.alloc_bytes > UINT64_MAX / w ? UINT64_MAX
                                                     : l->l.alloc_bytes * w;
        e->oldest_ns = l->age_ns;
        e->symbol = l->symbol;
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
        e->symbol = strdup(e->symbol != NULL ? e->symbol : "");
        e->by_design = pp_sym_in(e->symbol, pp_by_design, 0);
    }

    qsort(all, out, sizeof(pp_rleak_t), pp_leak_order);

    r->leaks = all;
    r->nleaks = out;

    return 0;
}


/* the leaks table alone: the rows it was built from are not its own */
void
pp_leaks_free(pp_report_t *r)
{
    size_t  i;

    for (i = 0; i < r->nleaks; i++) {
        free(r->leaks[i].symbol);
    }

    free(r->leaks);

    r->leaks = NULL;
    r->nleaks = 0;
}
