/*
 * --format pprof: the google/pprof profile.proto, gzip-compressed, as
 * go tool pprof, Pyroscope and Parca read it.  Every sample type of
 * pp_figures[] sums to the report's own figure: a sampled stack carries
 * its weights scaled by the sampling period; what its site counted
 * beyond them (events not sampled) is a sample of the site alone, and
 * where the scaled weights overshoot the site's count they are cut down
 * to it in proportion.  Sites without a stack are one-frame samples.
 * Names are the text report's, so pprof never symbolizes again.
 */

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "pp_pprof.h"


static void
pp_label(pp_pprof_t *pp, const char *key, const char *str, int64_t num)
{
    pp_pb_reset(&pp->tmp2);
    pp_pb_uint(&pp->tmp2, 1, (uint64_t) pp_pprof_str(pp, key));
    if (str != NULL) {
        pp_pb_uint(&pp->tmp2, 2, (uint64_t) pp_pprof_str(pp, str));
    } else {
        pp_pb_int(&pp->tmp2, 3, num);
    }
    pp_pb_msg(&pp->lab, 3, &pp->tmp2);
}


/*
 * One Sample: its locations, leaf first, its values, and its labels:
 * obj names the module, pool_kind (or NULL) a pool's kind
 */
static void
pp_sample(pp_pprof_t *pp, const pp_part_t *p, const uint64_t *locs,
    size_t nlocs, const int64_t *v, int obj, int overflow,
    const char *pool_kind)
{
    char    mod[PP_PATH_MAX * 4];
    size_t  i;

    pp_pb_reset(&pp->tmp);

    pp_pb_reset(&pp->tmp2);
    for (i = 0; i < nlocs; i++) {
        pp_pb_varint(&pp->tmp2, locs[i]);
    }
    pp_pb_msg(&pp->tmp, 1, &pp->tmp2);

    pp_pb_reset(&pp->tmp2);
    for (i = 0; i < pp->ntypes; i++) {
        pp_pb_varint(&pp->tmp2, (uint64_t) v[i]);
    }
    pp_pb_msg(&pp->tmp, 2, &pp->tmp2);

    pp_pb_reset(&pp->lab);
    pp_label(pp, "module", pp_fleet_module(pp->fl, obj, overflow, mod,
                                           sizeof(mod)), 0);
    if (pool_kind != NULL) {
        pp_label(pp, "pool_kind", pool_kind, 0);
    }
    pp_label(pp, "process_role", p->role, 0);
    if (p->pid != 0) {
        pp_label(pp, "pid", NULL, p->pid);
    }
    pp_pb_raw(&pp->tmp, pp->lab.data, pp->lab.len);
    if (pp->lab.failed) {
        pp->tmp.failed = 1;
    }

    pp_pb_msg(&pp->prof, 2, &pp->tmp);
}


/* the kind of the pools a site creates, when its function tells */
static const char *
pp_kind_of(pp_pprof_t *pp, uint64_t key, int obj)
{
    char        *name;
    const char  *kind;

    name = pp_fleet_name(pp->fl, key, obj, 0, 0, NULL);
    kind = name != NULL ? pp_pool_kind(name) : NULL;
    free(name);

    return kind;
}


static uint64_t
pp_stack_weight(const pp_rstack_t *st, size_t off)
{
    uint64_t  w;

    memcpy(&w, (const char *) &st->s + off, sizeof(uint64_t));
    return w;
}


/* the stacks of one row: sampled at its key, in its object */
static int
pp_stack_of(const pp_part_t *p, const pp_rstack_t *st, const pp_row_t *row)
{
    return !st->overflow && st->s.depth > 0 && st->s.frames[0] == row->key
           && (st->objs[0] != PP_NO_OBJECT ? p->objmap[st->objs[0]]
                                           : PP_NO_OBJECT) == row->obj;
}


/*
 * Type t of one row over its stacks: scaled weights into sv, what is
 * left of the row's figure returned
 */
static uint64_t
pp_weigh(const pp_part_t *p, const pp_figure_t *f, const pp_row_t *row,
    const pp_kidx_t *idx, int64_t *sv, size_t ntypes, size_t t)
{
    size_t              i, j, first, best;
    uint64_t            total, w, sum, scaled, got, period, bw;
    const pp_report_t  *r;

    r = &p->r;
    total = pp_figure_value(f, row->counters);
    period = r->stack_period != 0 ? r->stack_period : 1;

    if (f->stack_off == PP_NO_FIELD || row->overflow) {
        return total;
    }

    first = pp_kidx_lower(idx, r->nstacks, row->key);

#define pp_each_stack(i)                                                      \
    for (j = first; j < r->nstacks && idx[j].key == row->key; j++)           \
        if (i = idx[j].i, pp_stack_of(p, &r->stacks[i], row))

    sum = 0;
    pp_each_stack(i) {
        w = pp_stack_weight(&r->stacks[i], f->stack_off);
        sum = w > UINT64_MAX - sum ? UINT64_MAX : sum + w;
    }

    if (sum == 0 || total == 0) {
        return total;
    }

    if (!__builtin_mul_overflow(sum, period, &scaled) && scaled <= total) {
        pp_each_stack(i) {
            w = pp_stack_weight(&r->stacks[i], f->stack_off);
            sv[i * ntypes + t] = (int64_t) (w * period);
        }
        return total - scaled;
    }

    /* an estimate past the exact count: the count, in proportion */
    got = 0;
    best = 0;
    bw = 0;
    pp_each_stack(i) {
        w = pp_stack_weight(&r->stacks[i], f->stack_off);
        sv[i * ntypes + t] = (int64_t) (uint64_t)
            ((unsigned __int128) total * w / sum);
        got += (uint64_t) sv[i * ntypes + t];
        if (w > bw) {
            bw = w;
            best = i;
        }
    }
#undef pp_each_stack

    sv[best * ntypes + t] += (int64_t) (total - got);

    return 0;
}


void
pp_pprof_part(pp_pprof_t *pp, const pp_part_t *p)
{
    int              row, any, pool, obj, kind;
    size_t           i, k, t, n;
    int64_t          v[PP_TYPES_MAX], *sv;
    uint64_t         loc, locs[PP_STACK_FRAMES];
    pp_row_t         rw;
    pp_kidx_t       *idx;
    pp_rstack_t     *st;
    const char      *pk;

    sv = calloc(p->r.nstacks * pp->ntypes + 1, sizeof(int64_t));
    /* stacks by their first frame, so that a row finds its own */
    idx = pp_kidx_build(p->r.nstacks, p->r.stacks, sizeof(pp_rstack_t),
                        offsetof(pp_rstack_t, s.frames));
    if (sv == NULL || idx == NULL) {
        free(sv);
        free(idx);
        pp->failed = 1;
        return;
    }

    for (row = PP_ROW_SITE; row <= PP_ROW_TAG; row++) {
        n = pp_part_nrows(p, row);
        kind = row == PP_ROW_TAG ? 2 : 0;

        for (i = 0; i < n; i++) {
            pp_part_row(p, row, i, &rw);
            any = 0;

            for (t = 0; t < pp->ntypes; t++) {
                v[t] = 0;
                if (pp_figures[pp->types[t]].row == row) {
                    v[t] = (int64_t) pp_weigh(p, &pp_figures[pp->types[t]],
                                              &rw, idx, sv, pp->ntypes, t);
                    any |= v[t] != 0;
                }
            }

            if (!any) {
                continue;
            }

            pk = row == PP_ROW_POOL && !rw.overflow
                 ? pp_kind_of(pp, rw.key, rw.obj) : NULL;
            loc = pp_pprof_loc(pp, rw.key, rw.obj, rw.overflow, kind);
            pp_sample(pp, p, &loc, 1, v, rw.module, rw.overflow, pk);
        }
    }

    for (i = 0; i < p->r.nstacks; i++) {
        st = &p->r.stacks[i];
        any = 0;
        pool = 0;

        for (t = 0; t < pp->ntypes; t++) {
            any |= sv[i * pp->ntypes + t] != 0;
            pool |= sv[i * pp->ntypes + t] != 0
                    && pp_figures[pp->types[t]].row == PP_ROW_POOL;
        }

        if (!any) {
            continue;
        }

        for (k = 0; k < st->s.depth && k < PP_STACK_FRAMES; k++) {
            obj = st->objs[k] != PP_NO_OBJECT ? p->objmap[st->objs[k]]
                                              : PP_NO_OBJECT;
            locs[k] = pp_pprof_loc(pp, st->s.frames[k], obj, 0, 0);
        }

        obj = st->objs[0] != PP_NO_OBJECT ? p->objmap[st->objs[0]]
                                          : PP_NO_OBJECT;
        pk = pool ? pp_kind_of(pp, st->s.frames[0], obj) : NULL;

        pp_sample(pp, p, locs, k, &sv[i * pp->ntypes], obj, 0, pk);
    }

    free(sv);
    free(idx);
}
