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


/* the object of a row's owner, from the shard whose owner stays */
static void
pp_merge_owner(const pp_merge_t *m, uint32_t shard, int *obj, uint64_t have,
    uint64_t owner)
{
    if (have == 0 && owner != 0) {
        *obj = pp_obj_find(m, shard, owner);
    }
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


static void
pp_merge_sites(pp_report_t *r, pp_merge_t *m)
{
    size_t       k, n;
    uint32_t     s;
    pp_site_t    row;
    pp_rsite_t   ovf;

    n = pp_merge_refs(m, m->h.sites_off, m->h.nsites, m->z.site, 0);

    for (k = 0; k < n; k++) {
        if (pp_ref_new(m->refs, k)) {
            r->sites[r->nsites].key = m->refs[k].key;
            r->sites[r->nsites].obj = m->refs[k].obj;
            r->sites[r->nsites].owner_obj = PP_NO_OBJECT;
            r->nsites++;
        }

        pp_seg_record(&row, sizeof(pp_site_t),
                      pp_shard_at(m, m->refs[k].shard) + m->h.sites_off
                      + (size_t) m->refs[k].row * m->z.site, m->z.site);
        pp_merge_owner(m, m->refs[k].shard, &r->sites[r->nsites - 1].owner_obj,
                       r->sites[r->nsites - 1].s.owner, row.owner);
        pp_rows_add_site(&r->sites[r->nsites - 1].s, &row);
    }

    memset(&ovf, 0, sizeof(ovf));

    for (s = 0; s < m->nused; s++) {
        pp_seg_record(&row, sizeof(pp_site_t),
                      pp_shard_at(m, s) + m->h.sites_off
                      + (size_t) m->h.nsites * m->z.site, m->z.site);
        pp_rows_add_site(&ovf.s, &row);
    }

    if (pp_fields_any(&pp_site_fields, &ovf.s)) {
        ovf.overflow = 1;
        ovf.obj = ovf.owner_obj = PP_NO_OBJECT;
        r->sites[r->nsites++] = ovf;
    }
}


static void
pp_merge_pools(pp_report_t *r, pp_merge_t *m)
{
    size_t       k, n;
    uint32_t     s;
    pp_rpool_t  *ovf;
    static pp_pool_t  row;     /* 2 KiB of histograms: off the stack */

    n = pp_merge_refs(m, m->h.pools_off, m->h.npools, m->z.pool, 0);

    for (k = 0; k < n; k++) {
        if (pp_ref_new(m->refs, k)) {
            r->pools[r->npools].key = m->refs[k].key;
            r->pools[r->npools].obj = m->refs[k].obj;
            r->pools[r->npools].owner_obj = PP_NO_OBJECT;
            r->npools++;
        }

        pp_seg_record(&row, sizeof(pp_pool_t),
                      pp_shard_at(m, m->refs[k].shard) + m->h.pools_off
                      + (size_t) m->refs[k].row * m->z.pool, m->z.pool);
        pp_merge_owner(m, m->refs[k].shard, &r->pools[r->npools - 1].owner_obj,
                       r->pools[r->npools - 1].p.owner, row.owner);
        pp_pool_add(&r->pools[r->npools - 1], &row);
    }

    /* the next row is free: arrays hold one more than every reference */
    ovf = &r->pools[r->npools];

    for (s = 0; s < m->nused; s++) {
        pp_seg_record(&row, sizeof(pp_pool_t),
                      pp_shard_at(m, s) + m->h.pools_off
                      + (size_t) m->h.npools * m->z.pool, m->z.pool);
        pp_pool_add(ovf, &row);
    }

    if ((ovf->p.created | ovf->p.destroyed | ovf->p.resets | ovf->p.blocks
         | ovf->p.small_allocs | ovf->p.large_allocs) != 0)
    {
        ovf->overflow = 1;
        ovf->obj = ovf->owner_obj = PP_NO_OBJECT;
        r->npools++;

    } else {
        memset(ovf, 0, sizeof(pp_rpool_t));
    }
}


static void
pp_merge_tags(pp_report_t *r, pp_merge_t *m)
{
    size_t      k, n;
    uint32_t    s;
    pp_tag_t    row;
    pp_rtag_t   ovf;

    n = pp_merge_refs(m, m->h.tags_off, m->h.ntags, sizeof(pp_tag_t), 1);

    for (k = 0; k < n; k++) {
        if (pp_ref_new(m->refs, k)) {
            r->tags[r->ntags].key = m->refs[k].key;
            r->tags[r->ntags].obj = m->refs[k].obj;
            r->ntags++;
        }

        memcpy(&row, pp_shard_at(m, m->refs[k].shard) + m->h.tags_off
                     + (size_t) m->refs[k].row * sizeof(pp_tag_t),
               sizeof(pp_tag_t));
        pp_rows_add_tag(&r->tags[r->ntags - 1].t, &row);
    }

    memset(&ovf, 0, sizeof(ovf));

    for (s = 0; s < m->nused; s++) {
        memcpy(&row, pp_shard_at(m, s) + m->h.tags_off
                     + (size_t) m->h.ntags * sizeof(pp_tag_t),
               sizeof(pp_tag_t));
        pp_rows_add_tag(&ovf.t, &row);
    }

    if ((ovf.t.hits | ovf.t.misses | ovf.t.recycled | ovf.t.busy
         | ovf.t.foreign_freed | ovf.t.own_hits | ovf.t.own_misses) != 0)
    {
        ovf.overflow = 1;
        ovf.obj = ovf.owner_obj = PP_NO_OBJECT;
        r->tags[r->ntags++] = ovf;
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
    pp_merge_sites(r, &m);
    pp_merge_pools(r, &m);
    pp_merge_tags(r, &m);

    if (pp_merge_growth(r, &m) != 0 || pp_merge_live(r, &m) != 0
        || pp_merge_stacks(r, &m) != 0)
    {
        goto failed;
    }

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
