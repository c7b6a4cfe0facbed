/*
 * Merging the shards of a validated segment into one pp_report_t.
 *
 * Objects are deduplicated over shards by everything recorded about
 * them.  A row is identified by its key and the object that covered the
 * key in its own shard: processes forked from one master share both, so
 * their rows merge; two processes that mapped different objects at one
 * address stay apart.  Every shard's overflow rows sum into one row.
 *
 * Rows are merged by sorting references to them, not by hashing: the
 * keys come from the file, and sorting costs O(n log n) whatever they
 * are.  Every size derives from the validated header, so memory and time
 * are bounded by the file's size.
 */

#define _GNU_SOURCE
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp_report.h"
#include "pp_rows.h"
#include "pp_merge.h"


static uint32_t  pp_only_pid;
static int       pp_only_shard = -1;


void
pp_merge_pid(uint32_t pid)
{
    pp_only_pid = pid;
}


void
pp_merge_shard(int shard)
{
    pp_only_shard = shard;
}


const unsigned char *
pp_shard_at(const pp_merge_t *m, uint32_t s)
{
    return m->buf + m->h.shard_off + (uint64_t) m->used[s] * m->h.shard_size;
}


/* the record of used shard s, as the current version has it */
void
pp_shard_read(const pp_merge_t *m, uint32_t s, pp_shard_t *sh)
{
    pp_seg_record(sh, sizeof(pp_shard_t), pp_shard_at(m, s), m->z.shard);
}


/* by key and object, then in the order of the shards and their rows */
static int
pp_ref_cmp(const void *a, const void *b)
{
    const pp_ref_t  *x = a, *y = b;

    return x->key != y->key ? pp_order(x->key, y->key)
           : x->obj != y->obj ? pp_order(x->obj, y->obj)
           : x->shard != y->shard ? pp_order(x->shard, y->shard)
           : pp_order(x->row, y->row);
}


/* the used rows of one table in every used shard, sorted by (key, obj) */
static size_t
pp_merge_refs(pp_merge_t *m, uint32_t off, uint32_t cap, size_t row_size,
    int tags)
{
    size_t      n;
    uint32_t    s, i;
    uint64_t    key;
    pp_ref_t   *ref;

    n = 0;

    for (s = 0; s < m->nused; s++) {
        for (i = 0; i < cap; i++) {
            memcpy(&key, pp_shard_at(m, s) + off + (size_t) i * row_size,
                   sizeof(uint64_t));

            if (key == 0) {
                continue;
            }

            ref = &m->refs[n++];
            ref->key = key;
            ref->shard = s;
            ref->row = i;

            /* buffers without a tag */
            ref->obj = tags && key == PP_TAG_NONE ? PP_NO_OBJECT
                                        : pp_obj_find(m, s, key);
        }
    }

    qsort(m->refs, n, sizeof(pp_ref_t), pp_ref_cmp);

    return n;
}


static int
pp_ref_new(const pp_ref_t *refs, size_t k)
{
    return k == 0 || refs[k].key != refs[k - 1].key
           || refs[k].obj != refs[k - 1].obj;
}


/* one table of the shards, and the report's rows it merges into */
typedef struct {
    uint32_t                off;        /* in a shard */
    uint32_t                cap;        /* rows; the overflow row next */
    size_t                  file;       /* a row in the file's version */
    size_t                  size;       /* and in this reader's */
    int                     tags;       /* keyed by buffer tags */
    const pp_fields_t      *fields;
    size_t                  rec;        /* the record in a report row */
    size_t                  stride;     /* a report row */
    void                   *rows;
    size_t                 *nrows;
    void                  (*add)(void *row, const void *rec);
    size_t                  owner;      /* of the record's owner; 0: none */
} pp_mtable_t;


#define pp_mhead_same(type)                                                  \
    _Static_assert(offsetof(type, key) == offsetof(pp_rrow_t, key)           \
                   && offsetof(type, obj) == offsetof(pp_rrow_t, obj)        \
                   && offsetof(type, overflow)                               \
                      == offsetof(pp_rrow_t, overflow), #type " has a head")

pp_mhead_same(pp_rsite_t);
pp_mhead_same(pp_rpool_t);
pp_mhead_same(pp_rtag_t);


/*
 * The object of a row's owner, from the shard whose owner stays: the
 * first that is not 0 (pp_rows.h)
 */
static void
pp_merge_owner(const pp_merge_t *m, uint32_t shard, const pp_mtable_t *t,
    unsigned char *row, const void *rec)
{
    uint64_t    have, owner;
    pp_rrow_t  *head;

    if (t->owner == 0) {
        return;
    }

    memcpy(&have, row + t->rec + t->owner, sizeof(uint64_t));
    memcpy(&owner, (const char *) rec + t->owner, sizeof(uint64_t));

    if (have == 0 && owner != 0) {
        head = (pp_rrow_t *) row;
        head->owner_obj = pp_obj_find(m, shard, owner);
    }
}


static void
pp_madd_site(void *row, const void *rec)
{
    pp_rows_add_site(&((pp_rsite_t *) row)->s, rec);
}


static void
pp_madd_pool(void *row, const void *rec)
{
    pp_pool_add(row, rec);
}


static void
pp_madd_tag(void *row, const void *rec)
{
    pp_rows_add_tag(&((pp_rtag_t *) row)->t, rec);
}


/*
 * Rows of one key and object sum into one report row, and every shard's
 * overflow row into one more, kept when it counted anything.  The report
 * arrays hold one row more than every reference.
 */
static void
pp_merge_table(pp_merge_t *m, const pp_mtable_t *t)
{
    size_t          k, n, i;
    uint32_t        s;
    unsigned char  *row, *rows;
    pp_rrow_t      *head;
    static union {
        pp_site_t   s;
        pp_pool_t   p;              /* 2 KiB of histograms: off the stack */
        pp_tag_t    t;
    } rec;

    rows = t->rows;
    n = pp_merge_refs(m, t->off, t->cap, t->file, t->tags);
    i = *t->nrows;

    for (k = 0; k < n; k++) {
        if (pp_ref_new(m->refs, k)) {
            head = (pp_rrow_t *) (rows + i++ * t->stride);
            head->key = m->refs[k].key;
            head->obj = m->refs[k].obj;
            head->owner_obj = PP_NO_OBJECT;
        }

        pp_seg_record(&rec, t->size, pp_shard_at(m, m->refs[k].shard)
                      + t->off + (size_t) m->refs[k].row * t->file, t->file);
        pp_merge_owner(m, m->refs[k].shard, t, rows + (i - 1) * t->stride,
                       &rec);
        t->add(rows + (i - 1) * t->stride, &rec);
    }

    row = rows + i * t->stride;

    for (s = 0; s < m->nused; s++) {
        pp_seg_record(&rec, t->size, pp_shard_at(m, s) + t->off
                      + (size_t) t->cap * t->file, t->file);
        t->add(row, &rec);
    }

    if (pp_fields_any(t->fields, row + t->rec)) {
        head = (pp_rrow_t *) row;
        head->overflow = 1;
        head->obj = head->owner_obj = PP_NO_OBJECT;
        i++;

    } else {
        memset(row, 0, t->stride);
    }

    *t->nrows = i;
}


static void
pp_merge_rows(pp_report_t *r, pp_merge_t *m)
{
    size_t              i;
    const pp_mtable_t   t[] = {
        { m->h.sites_off, m->h.nsites, m->z.site, sizeof(pp_site_t), 0,
          &pp_site_fields, offsetof(pp_rsite_t, s), sizeof(pp_rsite_t),
          r->sites, &r->nsites, pp_madd_site, offsetof(pp_site_t, owner) },
        { m->h.pools_off, m->h.npools, m->z.pool, sizeof(pp_pool_t), 0,
          &pp_pool_fields, offsetof(pp_rpool_t, p), sizeof(pp_rpool_t),
          r->pools, &r->npools, pp_madd_pool, offsetof(pp_pool_t, owner) },
        { m->h.tags_off, m->h.ntags, sizeof(pp_tag_t), sizeof(pp_tag_t), 1,
          &pp_tag_fields, offsetof(pp_rtag_t, t), sizeof(pp_rtag_t),
          r->tags, &r->ntags, pp_madd_tag, 0 },
    };

    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        pp_merge_table(m, &t[i]);
    }
}


static void
pp_merge_procs(pp_report_t *r, pp_merge_t *m, int check_procs)
{
    uint32_t     s;
    pp_shard_t   sh;
    pp_rproc_t  *p;

    for (s = 0; s < m->nused; s++) {
        pp_shard_read(m, s, &sh);

        if (sh.state == PP_SHARD_RETIRED) {
            /* processes that ended: their sum, no process of its own */
            r->retired = sh.totals;
            pp_rows_add_totals(&r->totals, &sh.totals);
            continue;
        }

        p = &r->procs[r->nprocs++];
        p->shard = m->used[s];
        p->pid = sh.pid;
        p->ppid = sh.ppid;
        p->role = sh.role;
        p->state = sh.state;
        p->exit_code = sh.exit_code;
        p->start_real_ns = sh.start_real_ns;
        p->end_mono_ns = sh.end_mono_ns;
        p->totals = sh.totals;
        p->status = sh.state == PP_SHARD_EXITED ? PP_STATUS_EXITED
                                                : PP_STATUS_ALIVE;
        if (check_procs) {
            p->status = pp_proc_status(sh.pid, sh.state, sh.proc_starttime);
        }

        pp_rows_add_totals(&r->totals, &sh.totals);
    }
}


/*
 * POOLPROF_SAMPLE: every counter recorded for the tracked pools, times
 * the period, estimates the whole; the counters the shim keeps for
 * every pool (pp_fields.h's EXACT ones) stay.  Done to each segment as
 * it is merged, so that two segments of different periods (--diff) are
 * each scaled by their own.  The histograms are counts of pools too;
 * their percentiles do not change.  Live pools are pools, listed as
 * they are; the leak report weighs them (pp_leaks.c).
 */
static void
pp_rhist_scale(pp_rhist_t *h, uint64_t by)
{
    uint32_t  b;

    for (b = 0; b < PP_HIST_BUCKETS; b++) {
        h->count[b] = h->count[b] > UINT64_MAX / by ? UINT64_MAX
                                                    : h->count[b] * by;
    }
}


/* the record rec of each of the n rows of arr, by table t */
#define pp_scale_rows(t, arr, n, rec)                                        \
    for (i = 0; i < (n); i++) {                                              \
        pp_fields_scale(t, &(arr)[i].rec, period);                           \
    }


static void
pp_merge_scale(pp_report_t *r, uint32_t period)
{
    size_t  i;

    r->sample_period = period > 1 ? period : 1;
    r->estimated = period > 1;

    if (period < 2) {
        return;
    }

    pp_fields_scale(&pp_totals_fields, &r->totals, period);
    pp_fields_scale(&pp_totals_fields, &r->retired, period);

    pp_scale_rows(&pp_totals_fields, r->procs, r->nprocs, totals);
    pp_scale_rows(&pp_site_fields, r->sites, r->nsites, s);
    pp_scale_rows(&pp_tag_fields, r->tags, r->ntags, t);
    pp_scale_rows(&pp_growth_fields, r->growth, r->ngrowth, g);
    pp_scale_rows(&pp_stack_fields, r->stacks, r->nstacks, s);

    for (i = 0; i < r->npools; i++) {
        pp_fields_scale(&pp_pool_fields, &r->pools[i].p, period);
        pp_rhist_scale(&r->pools[i].used, period);
        pp_rhist_scale(&r->pools[i].lifetime, period);
    }
}


int
pp_seg_merge(pp_report_t *r, const unsigned char *buf, size_t len,
    int check_procs, char *err, size_t errlen)
{
    int         rc;
    size_t      rows;
    uint32_t    i, state, pid;
    pp_merge_t  m;

    memset(r, 0, sizeof(pp_report_t));
    memset(&m, 0, sizeof(pp_merge_t));
    rc = -1;

    if (pp_seg_validate(buf, len, err, errlen) != 0) {
        return -1;
    }

    m.buf = buf;
    memcpy(&m.h, buf, sizeof(pp_seg_header_t));
    m.z = pp_seg_sizes(m.h.version);
    r->hdr = m.h;
    if (m.h.version < 3) {
        r->hdr.claims_failed = 0;
        r->hdr.retired = 0;
        r->hdr.retired_crashed = 0;
        r->hdr.objects_dropped = 0;
    }
    if (m.h.version < 4) {
        r->hdr.sample_period = 0;
    }
    r->long_lived_ns = m.h.long_lived_ns;
    r->stack_period = m.h.stack_period;
    r->stack_depth = m.h.stack_depth;

    m.used = calloc(m.h.nshards, sizeof(uint32_t));
    m.first = calloc((size_t) m.h.nshards + 1, sizeof(size_t));
    if (m.used == NULL || m.first == NULL) {
        goto failed;
    }

    for (i = 0; i < m.h.nshards; i++) {
        memcpy(&state, buf + m.h.shard_off + (uint64_t) i * m.h.shard_size
                       + offsetof(pp_shard_t, state), sizeof(uint32_t));
        memcpy(&pid, buf + m.h.shard_off + (uint64_t) i * m.h.shard_size
                     + offsetof(pp_shard_t, pid), sizeof(uint32_t));

        if (state == PP_SHARD_FREE || state == PP_SHARD_FOLDING
            || (pp_only_pid != 0 && pid != pp_only_pid)
            || (pp_only_shard >= 0 && i != (uint32_t) pp_only_shard))
        {
            continue;
        }

        {
            m.used[m.nused++] = i;
        }
    }

    /* upper bounds: every row of every used shard distinct, + overflow */
    rows = m.h.nsites;
    rows = m.h.npools > rows ? m.h.npools : rows;
    rows = m.h.ntags > rows ? m.h.ntags : rows;

    r->procs = calloc(m.nused + 1, sizeof(pp_rproc_t));
    r->sites = calloc(m.nused * m.h.nsites + 1, sizeof(pp_rsite_t));
    r->pools = calloc(m.nused * m.h.npools + 1, sizeof(pp_rpool_t));
    r->tags = calloc(m.nused * m.h.ntags + 1, sizeof(pp_rtag_t));
    m.refs = calloc(m.nused * rows + 1, sizeof(pp_ref_t));

    if (r->procs == NULL || r->sites == NULL || r->pools == NULL
        || r->tags == NULL || m.refs == NULL
        || pp_merge_objects(r, &m) != 0)
    {
        goto failed;
    }

    pp_merge_procs(r, &m, check_procs);
    pp_merge_rows(r, &m);

    if (pp_merge_growth(r, &m) != 0 || pp_merge_live(r, &m) != 0
        || pp_merge_stacks(r, &m) != 0)
    {
        goto failed;
    }

    pp_merge_scale(r, r->hdr.sample_period);

    rc = 0;
    goto cleanup;

failed:

    snprintf(err, errlen, "failed to allocate memory");
    pp_report_free(r);

cleanup:

    free(m.used);
    free(m.first);
    free(m.objs);
    free(m.byaddr);
    free(m.gobj);
    free(m.refs);

    return rc;
}
