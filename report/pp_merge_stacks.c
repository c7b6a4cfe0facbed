/*
 * Merging the sampled stacks of a validated segment: rows with the same
 * frames merge over shards (forked processes share their objects, so
 * equal addresses are equal code), every shard's overflow rows sum into
 * one row without frames.  A row whose depth is over the segment's is
 * corrupt: it is left out with a warning.
 */

#define _GNU_SOURCE
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "pp_report.h"
#include "pp_rows.h"
#include "pp_merge.h"


static int
pp_stack_cmp(const void *a, const void *b)
{
    const pp_rstack_t  *x = a, *y = b;

    if (x->overflow != y->overflow) {
        return x->overflow - y->overflow;
    }

    if (x->s.depth != y->s.depth) {
        return x->s.depth < y->s.depth ? -1 : 1;
    }

    return memcmp(x->s.frames, y->s.frames,
                  (size_t) x->s.depth * sizeof(uint64_t));
}


int
pp_merge_stacks(pp_report_t *r, pp_merge_t *m)
{
    size_t        n, k, out, bad;
    uint32_t      s, i, f;
    pp_stack_t    row;
    pp_rstack_t  *all, *st;

    all = calloc(m->nused * ((size_t) m->h.nstacks + 1) + 1,
                 sizeof(pp_rstack_t));
    if (all == NULL) {
        return -1;
    }

    n = 0;
    bad = 0;

    for (s = 0; s < m->nused; s++) {
        for (i = 0; i <= m->h.nstacks; i++) {
            memcpy(&row, pp_shard_at(m, s) + m->h.stacks_off
                         + (size_t) i * sizeof(pp_stack_t),
                   sizeof(pp_stack_t));

            if (i == m->h.nstacks) {
                if (!pp_fields_any(&pp_stack_fields, &row)) {
                    continue;
                }

                st = &all[n++];
                st->overflow = 1;
                st->s = row;
                st->s.key = 0;
                st->s.depth = 0;
                continue;
            }

            if (row.key == 0) {
                continue;
            }

            if (row.depth == 0 || row.depth > m->h.stack_depth) {
                bad++;
                continue;
            }

            st = &all[n++];
            st->s = row;
            memset(&st->s.frames[row.depth], 0,
                   (PP_STACK_FRAMES - row.depth) * sizeof(uint64_t));

            st->objs = malloc(row.depth * sizeof(int));
            if (st->objs == NULL) {
                goto failed;
            }

            for (f = 0; f < row.depth; f++) {
                st->objs[f] = pp_obj_find(m, s, row.frames[f]);
            }
        }
    }

    qsort(all, n, sizeof(pp_rstack_t), pp_stack_cmp);

    out = 0;

    for (k = 0; k < n; k++) {
        if (out > 0 && pp_stack_cmp(&all[out - 1], &all[k]) == 0) {
            pp_rows_add_stack(&all[out - 1].s, &all[k].s);
            free(all[k].objs);
            continue;
        }

        all[out++] = all[k];
    }

    r->stacks = all;
    r->nstacks = out;

    if (bad != 0) {
        pp_report_warn(r, "%zu stack rows with a bad depth were left out",
                       bad);
    }

    return 0;

failed:

    for (k = 0; k < n; k++) {
        free(all[k].objs);
    }

    free(all);

    return -1;
}
