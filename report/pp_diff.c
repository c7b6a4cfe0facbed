/*
 * --diff BASE: what changed since BASE, an earlier snapshot of the same
 * nginx.  Rows are matched by key and by the path of the object that
 * holds the key (addresses of two runs match only when they are the same
 * code), processes by pid; every counter becomes current - base.  A
 * counter smaller than its base (BASE is not an earlier copy of this
 * segment) becomes 0 and the report says so once.  Sizes, ages and
 * other states keep their current values.  Sites, pools and tags whose
 * counters did not move are left out: the report is what changed.
 */

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "pp_report.h"


static int  pp_went_back;


static uint64_t
pp_sub(uint64_t a, uint64_t b)
{
    if (a < b) {
        pp_went_back = 1;
        return 0;
    }

    return a - b;
}


/* n 64-bit counters from off: the caller names only counter runs */
static void
pp_sub_run(void *d, const void *s, size_t off, size_t n)
{
    size_t    i;
    uint64_t  a, b;

    for (i = 0; i < n; i++) {
        memcpy(&a, (char *) d + off + i * 8, 8);
        memcpy(&b, (const char *) s + off + i * 8, 8);
        a = pp_sub(a, b);
        memcpy((char *) d + off + i * 8, &a, 8);
    }
}


static const char *
pp_obj_path(const pp_report_t *r, int obj)
{
    return obj == PP_NO_OBJECT ? "" : r->objs[obj].o.path;
}


static int
pp_same(const pp_report_t *r, uint64_t k1, int o1, int ov1,
    const pp_report_t *b, uint64_t k2, int o2, int ov2)
{
    return k1 == k2 && ov1 == ov2
           && strcmp(pp_obj_path(r, o1), pp_obj_path(b, o2)) == 0;
}


/*
 * Base rows are few or many; for each current row, a binary search over
 * the base's keys sorted in an index finds the candidates.
 */
#define pp_diff_rows(R, B, arr, n, type, keyf, objf, ovf, SUB)               \
    do {                                                                     \
        size_t      i_, k_, nb_;                                             \
        pp_kidx_t  *ix_;                                                     \
        type       *d, *s;                                                   \
                                                                             \
        nb_ = (B)->n;                                                        \
        ix_ = pp_kidx_build(nb_, (B)->arr, sizeof(type),                     \
                            offsetof(type, keyf));                           \
        if (ix_ == NULL) {                                                   \
            break;                                                           \
        }                                                                    \
                                                                             \
        for (i_ = 0; i_ < (R)->n; i_++) {                                    \
            d = &(R)->arr[i_];                                               \
                                                                             \
            for (k_ = pp_kidx_lower(ix_, nb_, d->keyf);                      \
                 k_ < nb_ && ix_[k_].key == d->keyf; k_++)                   \
            {                                                                \
                s = &(B)->arr[ix_[k_].i];                                    \
                                                                             \
                if (pp_same(R, d->keyf, d->objf, d->ovf,                     \
                            B, s->keyf, s->objf, s->ovf))                    \
                {                                                            \
                    SUB;                                                     \
                    break;                                                   \
                }                                                            \
            }                                                                \
        }                                                                    \
                                                                             \
        free(ix_);                                                           \
    } while (0)


/* the figures of a row type's table; went back: a counter below base */
#define pp_sub_fields(t, d, s)  (pp_went_back |= pp_fields_sub(t, d, s))


static void
pp_diff_pool(pp_rpool_t *d, const pp_rpool_t *s)
{
    pp_sub_fields(&pp_pool_fields, &d->p, &s->p);
    pp_sub_run(&d->used, &s->used, 0, PP_HIST_BUCKETS);
    pp_sub_run(&d->lifetime, &s->lifetime, 0, PP_HIST_BUCKETS);
}


/* drops the rows that did not change: ANY, an expression of row i_, is 0 */
#define pp_diff_drop(R, arr, n, ANY)                                         \
    do {                                                                     \
        size_t  i_, k_;                                                      \
                                                                             \
        for (i_ = 0, k_ = 0; i_ < (R)->n; i_++) {                            \
            if (!(ANY)) {                                                    \
                free((R)->arr[i_].symbol);                                   \
                free((R)->arr[i_].source);                                   \
                free((R)->arr[i_].owner_symbol);                             \
                continue;                                                    \
            }                                                                \
                                                                             \
            if (k_ != i_) {                                                  \
                (R)->arr[k_] = (R)->arr[i_];                                 \
            }                                                                \
            k_++;                                                            \
        }                                                                    \
                                                                             \
        (R)->n = k_;                                                         \
    } while (0)


void
pp_diff(pp_report_t *r, const pp_report_t *b)
{
    size_t        i, k;
    pp_kidx_t    *ix;
    pp_rstack_t  *st;

    pp_went_back = 0;

    /* each was scaled by its own period when it was merged */
    r->estimated |= b->estimated;

    if (r->sample_period != b->sample_period) {
        pp_report_warn(r, "%s tracked 1 in %u pools, %s 1 in %u: each is "
                       "scaled by its own before the difference",
                       b->path, b->sample_period, r->path, r->sample_period);
    }

    pp_sub_fields(&pp_totals_fields, &r->totals, &b->totals);
    pp_sub_fields(&pp_totals_fields, &r->retired, &b->retired);

    for (i = 0; i < r->nprocs; i++) {
        for (k = 0; k < b->nprocs; k++) {
            if (r->procs[i].pid == b->procs[k].pid) {
                pp_sub_fields(&pp_totals_fields, &r->procs[i].totals,
                              &b->procs[k].totals);
                break;
            }
        }
    }

    pp_diff_rows(r, b, sites, nsites, pp_rsite_t, key, obj, overflow,
                 pp_sub_fields(&pp_site_fields, &d->s, &s->s));
    pp_diff_rows(r, b, pools, npools, pp_rpool_t, key, obj, overflow,
                 pp_diff_pool(d, s));
    pp_diff_rows(r, b, tags, ntags, pp_rtag_t, key, obj, overflow,
                 pp_sub_fields(&pp_tag_fields, &d->t, &s->t));
    pp_diff_rows(r, b, growth, ngrowth, pp_rgrowth_t, g.key, obj, overflow,
                 (pp_sub_fields(&pp_growth_fields, &d->g, &s->g),
                  d->recurring = d->g.returns >= 2));
    pp_diff_rows(r, b, leaks, nleaks, pp_rleak_t, key, obj, by_design,
                 d->leaked = pp_sub(d->leaked, s->leaked));

    ix = pp_kidx_build(b->nstacks, b->stacks, sizeof(pp_rstack_t),
                  offsetof(pp_rstack_t, s.key));

    for (i = 0; ix != NULL && i < r->nstacks; i++) {
        for (k = pp_kidx_lower(ix, b->nstacks, r->stacks[i].s.key);
             k < b->nstacks && ix[k].key == r->stacks[i].s.key; k++)
        {
            st = &b->stacks[ix[k].i];

            if (r->stacks[i].overflow == st->overflow
                && r->stacks[i].s.depth == st->s.depth
                && memcmp(r->stacks[i].s.frames, st->s.frames,
                          r->stacks[i].s.depth * sizeof(uint64_t)) == 0)
            {
                pp_sub_fields(&pp_stack_fields, &r->stacks[i].s, &st->s);
                break;
            }
        }
    }

    free(ix);

    pp_diff_drop(r, sites, nsites,
                 pp_fields_any(&pp_site_fields, &r->sites[i_].s));
    pp_diff_drop(r, pools, npools,
                 pp_fields_any(&pp_pool_fields, &r->pools[i_].p));
    pp_diff_drop(r, tags, ntags,
                 pp_fields_any(&pp_tag_fields, &r->tags[i_].t));

    if (pp_went_back) {
        pp_report_warn(r, "%s has counts that %s does not: it is not an "
                       "earlier copy of this segment; those show as 0",
                       b->path, r->path);
    }
}
