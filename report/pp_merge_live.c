/*
 * Merging the growth and live-pool tables of a validated segment.
 *
 * Growth rows merge over shards by their (site, pool site) pair and the
 * objects that covered both; every shard's overflow rows sum into one
 * row.  Live pools are not merged: each belongs to one process, and its
 * age is measured to now while the process lives, to its end after.
 */

#define _GNU_SOURCE
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pp_report.h"
#include "pp_time.h"
#include "pp_merge.h"


static int
pp_growth_cmp(const void *a, const void *b)
{
    const pp_rgrowth_t  *x = a, *y = b;

    if (x->overflow != y->overflow) {
        return x->overflow - y->overflow;
    }

    if (x->g.site != y->g.site) {
        return x->g.site < y->g.site ? -1 : 1;
    }

    if (x->g.pool_site != y->g.pool_site) {
        return x->g.pool_site < y->g.pool_site ? -1 : 1;
    }

    if (x->obj != y->obj) {
        return x->obj < y->obj ? -1 : 1;
    }

    return x->pool_obj < y->pool_obj ? -1 : x->pool_obj > y->pool_obj;
}


static void
pp_growth_add(pp_growth_t *d, const pp_growth_t *s)
{
    d->allocs += s->allocs;
    d->bytes += s->bytes;
    d->pools += s->pools;
    d->returns += s->returns;

    if (s->max_age_ns > d->max_age_ns) {
        d->max_age_ns = s->max_age_ns;
    }
}


int
pp_merge_growth(pp_report_t *r, pp_merge_t *m)
{
    size_t         n, k, out;
    uint32_t       s, i;
    pp_growth_t    row;
    pp_rgrowth_t  *all, *g;

    all = calloc(m->nused * ((size_t) m->h.ngrowth + 1) + 1,
                 sizeof(pp_rgrowth_t));
    if (all == NULL) {
        return -1;
    }

    n = 0;

    for (s = 0; s < m->nused; s++) {
        for (i = 0; i <= m->h.ngrowth; i++) {
            memcpy(&row, pp_shard_at(m, s) + m->h.growth_off
                         + (size_t) i * sizeof(pp_growth_t),
                   sizeof(pp_growth_t));

            if (i < m->h.ngrowth && row.key == 0) {
                continue;
            }

            if (i == m->h.ngrowth && row.allocs == 0) {
                continue;
            }

            g = &all[n++];
            g->overflow = (i == m->h.ngrowth);
            g->g = row;
            /* older writers kept their own state there */
            memset(g->g.reserved, 0, sizeof(g->g.reserved));

            if (g->overflow) {
                g->g.key = g->g.site = g->g.pool_site = 0;
                g->obj = g->pool_obj = PP_NO_OBJECT;

            } else {
                g->obj = pp_obj_find(m, s, row.site);
                g->pool_obj = pp_obj_find(m, s, row.pool_site);
            }
        }
    }

    qsort(all, n, sizeof(pp_rgrowth_t), pp_growth_cmp);

    out = 0;

    for (k = 0; k < n; k++) {
        if (out > 0 && pp_growth_cmp(&all[out - 1], &all[k]) == 0) {
            pp_growth_add(&all[out - 1].g, &all[k].g);
            continue;
        }

        all[out++] = all[k];
    }

    for (k = 0; k < out; k++) {
        all[k].recurring = all[k].g.returns >= 2;
    }

    r->growth = all;
    r->ngrowth = out;

    return 0;
}


/* the status of the process of shard i (the retired shard has none) */
static int
pp_merge_status(const pp_report_t *r, uint32_t shard)
{
    size_t  k;

    for (k = 0; k < r->nprocs; k++) {
        if (r->procs[k].shard == shard) {
            return r->procs[k].status;
        }
    }

    return PP_STATUS_EXITED;
}


int
pp_merge_live(pp_report_t *r, pp_merge_t *m)
{
    size_t            n;
    uint32_t          s, i;
    uint64_t          now, end;
    pp_shard_t        sh;
    pp_lpool_t        row;
    pp_rlive_t       *l;

    r->live = calloc(m->nused * (size_t) m->h.nlive + 1, sizeof(pp_rlive_t));
    if (r->live == NULL) {
        return -1;
    }

    now = pp_mono_ns();

    n = 0;

    for (s = 0; s < m->nused; s++) {
        pp_shard_read(m, s, &sh);

        /* procs are merged in the order of the used shards */
        end = sh.state == PP_SHARD_EXITED && sh.end_mono_ns != 0
              ? sh.end_mono_ns : now;

        for (i = 0; i < m->h.nlive; i++) {
            memcpy(&row, pp_shard_at(m, s) + m->h.live_off
                         + (size_t) i * sizeof(pp_lpool_t),
                   sizeof(pp_lpool_t));

            if (row.key == 0) {
                continue;
            }

            l = &r->live[n++];
            l->l = row;
            l->pid = sh.pid;
            l->status = pp_merge_status(r, m->used[s]);
            l->age_ns = end > row.created_mono_ns ? end - row.created_mono_ns
                                                  : 0;
            l->obj = pp_obj_find(m, s, row.site);
        }
    }

    r->nlive = n;

    return 0;
}
