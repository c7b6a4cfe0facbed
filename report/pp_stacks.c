/*
 * Sampled stacks: --format folded and --format svg.  The segment counts
 * sampled events; values are scaled by the sampling period and, unless
 * every event was sampled, labelled as estimates: the root frame of
 * every stack says which.  Frames are named as in the text (pp_name()).
 */

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp_report.h"
#include "pp_flame.h"


/* --metric: in the order of PP_METRIC_* */
typedef struct {
    const char             *name;
    const char             *unit;
    const char             *title;
    size_t                  off;        /* of its counter in pp_stack_t */
} pp_metric_t;

static const pp_metric_t  pp_metrics[] = {
    { "pinned", "bytes", "Pinned bytes (no-op ngx_pfree)",
      offsetof(pp_stack_t, pinned_bytes) },
    { "noop", "calls", "No-op ngx_pfree calls",
      offsetof(pp_stack_t, noop_frees) },
    { "allocs", "calls", "Pool allocations", offsetof(pp_stack_t, allocs) },
    { "alloc_bytes", "bytes", "Allocated bytes",
      offsetof(pp_stack_t, alloc_bytes) },
    { "unused", "bytes", "Unused bytes at pool end, by the pool's creator",
      offsetof(pp_stack_t, unused_bytes) },
    { NULL, NULL, NULL, 0 }
};


static uint64_t pp_stack_value(const pp_report_t *r, const pp_stack_t *s,
    int metric);
static int pp_stacks_add(pp_flame_t *fl, const pp_report_t *r,
    const pp_rstack_t *st, const char *root, uint64_t v);


int
pp_metric_parse(const char *s)
{
    int  i;

    for (i = 0; pp_metrics[i].name != NULL; i++) {
        if (strcmp(s, pp_metrics[i].name) == 0) {
            return i;
        }
    }

    return -1;
}


static uint64_t
pp_stack_value(const pp_report_t *r, const pp_stack_t *s, int metric)
{
    uint64_t  v;

    memcpy(&v, (const char *) s + pp_metrics[metric].off, sizeof(v));

    return v * (r->stack_period ? r->stack_period : 1);
}


/* one stack, outermost frame first, under root; 0 or -1 */
static int
pp_stacks_add(pp_flame_t *fl, const pp_report_t *r, const pp_rstack_t *st,
    const char *root, uint64_t v)
{
    int          rc;
    char        *names[PP_STACK_FRAMES];
    uint32_t     k, n, depth;
    const char  *frames[PP_STACK_FRAMES + 1];

    frames[0] = root;
    n = 1;

    if (st->overflow) {
        frames[n++] = "(stack table full)";
        return pp_flame_add(fl, frames, n, v);
    }

    if (st->symbols == NULL) {
        return -1;
    }

    depth = st->s.depth;
    rc = 0;

    for (k = 0; k < depth; k++) {
        names[k] = pp_name_dup(r, st->s.frames[k], st->objs[k],
                               st->symbols[k]);
        rc = names[k] == NULL ? -1 : rc;
    }

    for (k = depth; k-- > 0; /* void */) {
        frames[n++] = names[k];
    }

    if (rc == 0) {
        rc = pp_flame_add(fl, frames, n, v);
    }

    for (k = 0; k < depth; k++) {
        free(names[k]);
    }

    return rc;
}


int
pp_stacks_print(FILE *f, const pp_report_t *r, const pp_view_t *v)
{
    int                 rc, metric;
    char                root[128], sub[160];
    size_t              i;
    uint64_t            value;
    pp_flame_t         *fl;
    pp_flame_opts_t     o;
    const pp_rstack_t  *st;

    metric = v->metric;

    if (r->stack_period == 0) {
        pp_error("no stacks in %s: it was recorded with POOLPROF_STACKS=0",
                 r->path != NULL ? r->path : "the segment");
        return -1;
    }

    if (r->stack_period == 1 && !r->estimated) {
        snprintf(sub, sizeof(sub), "exact: every event's stack was taken");

    } else if (r->estimated) {
        /* the merge scaled the stacks by the pools' period already */
        snprintf(sub, sizeof(sub), "estimate: 1 in %u events of 1 in %u "
                 "pools sampled, values scaled by %llu", r->stack_period,
                 r->sample_period,
                 (unsigned long long) r->stack_period * r->sample_period);

    } else {
        snprintf(sub, sizeof(sub), "estimate: 1 in %u events sampled, "
                 "values scaled by %u", r->stack_period, r->stack_period);
    }

    snprintf(root, sizeof(root), "%s (%s)", pp_metrics[metric].name,
             r->stack_period == 1 && !r->estimated ? "every event"
                                                   : "estimate");

    fl = pp_flame_new();
    if (fl == NULL) {
        return -1;
    }

    for (i = 0; i < r->nstacks; i++) {
        st = &r->stacks[i];
        value = pp_stack_value(r, &st->s, metric);

        if (value != 0 && pp_stacks_add(fl, r, st, root, value) != 0) {
            pp_flame_free(fl);
            return -1;
        }
    }

    if (v->format == PP_FORMAT_SVG) {
        memset(&o, 0, sizeof(o));
        o.title = pp_metrics[metric].title;
        o.subtitle = sub;
        o.unit = pp_metrics[metric].unit;
        rc = pp_flame_svg(f, fl, &o);

    } else {
        rc = pp_flame_folded(f, fl);
    }

    pp_flame_free(fl);

    return rc;
}
