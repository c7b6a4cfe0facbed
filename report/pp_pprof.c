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

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "pp_fleet.h"
#include "pp_pb.h"


#define PP_TYPES_MAX  16

/* an open-addressing map from a pair of integers to an id */
typedef struct {
    uint64_t                a;
    uint64_t                b;
    uint64_t                id;         /* 0: empty */
} pp_slot_t;

typedef struct {
    pp_slot_t              *slots;
    size_t                  cap;
    size_t                  n;
} pp_map_t;

typedef struct {
    pp_fleet_t             *fl;
    pp_pb_t                 prof;       /* samples, as they are made */
    pp_pb_t                 locs;       /* Location messages */
    pp_pb_t                 funcs;      /* Function messages */
    pp_pb_t                 tmp, tmp2, lab;
    pp_map_t                strs;       /* (hash, 0) -> index + 1 */
    char                  **strv;
    size_t                  nstrs;
    pp_map_t                locmap;
    pp_map_t                funcmap;
    unsigned char          *used;       /* per object: a mapping */
    unsigned char          *lines;      /* per object: a line was known */
    size_t                  ntypes;
    int                     types[PP_TYPES_MAX];    /* pp_figures index */
    int                     failed;
} pp_pprof_t;


static uint64_t *
pp_map_find(pp_map_t *m, uint64_t a, uint64_t b, int *fresh)
{
    size_t      i, k, cap;
    uint64_t    h;
    pp_slot_t  *s, *old;

    if (m->n * 2 >= m->cap) {
        cap = m->cap != 0 ? m->cap * 2 : 1024;
        s = calloc(cap, sizeof(pp_slot_t));
        if (s == NULL) {
            return NULL;
        }

        old = m->slots;
        for (k = 0; k < m->cap; k++) {
            if (old[k].id == 0) {
                continue;
            }
            h = (old[k].a * 0x9e3779b97f4a7c15ULL) ^ old[k].b;
            h ^= h >> 29;
            for (i = (size_t) h & (cap - 1); s[i].id != 0;
                 i = (i + 1) & (cap - 1))
            {
                /* void */
            }
            s[i] = old[k];
        }

        free(old);
        m->slots = s;
        m->cap = cap;
    }

    h = (a * 0x9e3779b97f4a7c15ULL) ^ b;
    h ^= h >> 29;

    for (i = (size_t) h & (m->cap - 1); m->slots[i].id != 0;
         i = (i + 1) & (m->cap - 1))
    {
        if (m->slots[i].a == a && m->slots[i].b == b) {
            *fresh = 0;
            return &m->slots[i].id;
        }
    }

    m->slots[i].a = a;
    m->slots[i].b = b;
    m->n++;
    *fresh = 1;

    return &m->slots[i].id;
}


/* the string's index in the string table; 0 ("") when out of memory */
static int64_t
pp_str(pp_pprof_t *pp, const char *s)
{
    int          fresh;
    char       **v, *c;
    size_t       i;
    uint64_t     h, *id;
    const char  *p;

    h = 0xcbf29ce484222325ULL;
    for (p = s; *p != '\0'; p++) {
        h = (h ^ (unsigned char) *p) * 0x100000001b3ULL;
    }

    /* equal hashes are told apart by the string: b counts them */
    for (i = 0; /* void */; i++) {
        id = pp_map_find(&pp->strs, h, i, &fresh);
        if (id == NULL) {
            pp->failed = 1;
            return 0;
        }

        if (!fresh) {
            if (strcmp(pp->strv[*id - 1], s) == 0) {
                return (int64_t) *id - 1;
            }
            continue;
        }

        v = realloc(pp->strv, (pp->nstrs + 1) * sizeof(char *));
        c = strdup(s);
        if (v == NULL || c == NULL) {
            if (v != NULL) {
                pp->strv = v;
            }
            free(c);
            pp->failed = 1;
            /* the slot stays taken by an index that names "" */
            *id = 1;
            return 0;
        }

        pp->strv = v;
        pp->strv[pp->nstrs++] = c;
        *id = pp->nstrs;

        return (int64_t) pp->nstrs - 1;
    }
}


/* a Function for name in file; its id */
static uint64_t
pp_func(pp_pprof_t *pp, const char *name, const char *file)
{
    int        fresh;
    int64_t    n, f;
    uint64_t  *id;

    n = pp_str(pp, name);
    f = pp_str(pp, file);

    id = pp_map_find(&pp->funcmap, (uint64_t) n, (uint64_t) f, &fresh);
    if (id == NULL) {
        pp->failed = 1;
        return 0;
    }

    if (fresh) {
        *id = pp->funcmap.n;
        pp_pb_reset(&pp->tmp);
        pp_pb_uint(&pp->tmp, 1, *id);
        pp_pb_opt(&pp->tmp, 2, (uint64_t) n);
        pp_pb_opt(&pp->tmp, 3, (uint64_t) n);
        pp_pb_opt(&pp->tmp, 4, (uint64_t) f);
        pp_pb_msg(&pp->funcs, 5, &pp->tmp);
    }

    return *id;
}


/* a Location for the address in obj (kind as pp_sym_row()'s); its id */
static uint64_t
pp_loc(pp_pprof_t *pp, uint64_t addr, int obj, int overflow, int kind)
{
    int        fresh;
    char      *name, *src, *colon;
    long       line;
    uint64_t  *id, fid;

    id = pp_map_find(&pp->locmap, (uint64_t) (obj + 1) * 8
                                  + (uint64_t) kind * 2 + (overflow != 0),
                     addr, &fresh);
    if (id == NULL) {
        pp->failed = 1;
        return 0;
    }

    if (!fresh) {
        return *id;
    }

    *id = pp->locmap.n;

    name = pp_fleet_name(pp->fl, addr, obj, overflow, kind, &src);
    line = 0;
    colon = src != NULL ? strrchr(src, ':') : NULL;
    if (colon != NULL) {
        *colon = '\0';
        line = strtol(colon + 1, NULL, 10);
    }

    fid = pp_func(pp, name != NULL ? name : "", src != NULL ? src : "");
    free(name);
    free(src);

    if (obj != PP_NO_OBJECT) {
        pp->used[obj] = 1;
        pp->lines[obj] |= line > 0;
    }

    pp_pb_reset(&pp->tmp);
    pp_pb_uint(&pp->tmp, 1, *id);
    pp_pb_opt(&pp->tmp, 2, obj != PP_NO_OBJECT ? (uint64_t) obj + 1 : 0);
    pp_pb_opt(&pp->tmp, 3, addr);

    pp_pb_reset(&pp->tmp2);
    pp_pb_uint(&pp->tmp2, 1, fid);
    pp_pb_opt(&pp->tmp2, 2, line > 0 ? (uint64_t) line : 0);
    pp_pb_msg(&pp->tmp, 4, &pp->tmp2);

    pp_pb_msg(&pp->locs, 4, &pp->tmp);

    return *id;
}


static void
pp_label(pp_pprof_t *pp, const char *key, const char *str, int64_t num)
{
    pp_pb_reset(&pp->tmp2);
    pp_pb_uint(&pp->tmp2, 1, (uint64_t) pp_str(pp, key));
    if (str != NULL) {
        pp_pb_uint(&pp->tmp2, 2, (uint64_t) pp_str(pp, str));
    } else {
        pp_pb_int(&pp->tmp2, 3, num);
    }
    pp_pb_msg(&pp->lab, 3, &pp->tmp2);
}


/*
 * One Sample: its locations leaf first, its values, its labels; the
 * row whose object names the module is obj; kind tells a pool's
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


static const char *
pp_kind_of(pp_pprof_t *pp, uint64_t key, int obj, char *buf, size_t len)
{
    char        *name;
    const char  *kind;

    name = pp_fleet_name(pp->fl, key, obj, 0, 0, NULL);
    kind = name != NULL ? pp_pool_kind(name) : NULL;
    free(name);

    if (kind == NULL) {
        return NULL;
    }

    snprintf(buf, len, "%s", kind);
    return buf;
}


static uint64_t
pp_stack_weight(const pp_rstack_t *st, size_t off)
{
    uint64_t  w;

    memcpy(&w, (const char *) &st->s + off, sizeof(uint64_t));
    return w;
}


/* stacks by their first frame, so that a row finds its own */
typedef struct {
    uint64_t                key;
    size_t                  i;
} pp_sidx_t;


static int
pp_sidx_cmp(const void *a, const void *b)
{
    const pp_sidx_t  *x, *y;

    x = a;
    y = b;

    if (x->key != y->key) {
        return x->key < y->key ? -1 : 1;
    }

    return x->i < y->i ? -1 : x->i > y->i;
}


/* the first index entry of key; n when none */
static size_t
pp_sidx_find(const pp_sidx_t *idx, size_t n, uint64_t key)
{
    size_t  lo, hi, mid;

    lo = 0;
    hi = n;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        if (idx[mid].key < key) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }

    return lo;
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
    const pp_sidx_t *idx, int64_t *sv, size_t ntypes, size_t t)
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

    first = pp_sidx_find(idx, r->nstacks, row->key);

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


static void
pp_pprof_part(pp_pprof_t *pp, const pp_part_t *p)
{
    int              row, any, obj, kind;
    char             kb[32];
    size_t           i, k, t, n;
    int64_t          v[PP_TYPES_MAX], *sv;
    uint64_t         loc, locs[PP_STACK_FRAMES];
    pp_row_t         rw;
    pp_sidx_t       *idx;
    pp_rstack_t     *st;
    const char      *pk;

    sv = calloc(p->r.nstacks * pp->ntypes + 1, sizeof(int64_t));
    idx = calloc(p->r.nstacks + 1, sizeof(pp_sidx_t));
    if (sv == NULL || idx == NULL) {
        free(sv);
        free(idx);
        pp->failed = 1;
        return;
    }

    for (i = 0; i < p->r.nstacks; i++) {
        idx[i].key = p->r.stacks[i].s.frames[0];
        idx[i].i = i;
    }
    qsort(idx, p->r.nstacks, sizeof(pp_sidx_t), pp_sidx_cmp);

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
                 ? pp_kind_of(pp, rw.key, rw.obj, kb, sizeof(kb)) : NULL;
            loc = pp_loc(pp, rw.key, rw.obj, rw.overflow, kind);
            pp_sample(pp, p, &loc, 1, v, rw.obj, rw.overflow, pk);
        }
    }

    for (i = 0; i < p->r.nstacks; i++) {
        st = &p->r.stacks[i];
        any = 0;
        pk = NULL;

        for (t = 0; t < pp->ntypes; t++) {
            any |= sv[i * pp->ntypes + t] != 0;
            if (sv[i * pp->ntypes + t] != 0
                && pp_figures[pp->types[t]].row == PP_ROW_POOL)
            {
                pk = (const char *) 1;
            }
        }

        if (!any) {
            continue;
        }

        for (k = 0; k < st->s.depth && k < PP_STACK_FRAMES; k++) {
            obj = st->objs[k] != PP_NO_OBJECT ? p->objmap[st->objs[k]]
                                              : PP_NO_OBJECT;
            locs[k] = pp_loc(pp, st->s.frames[k], obj, 0, 0);
        }

        obj = st->objs[0] != PP_NO_OBJECT ? p->objmap[st->objs[0]]
                                          : PP_NO_OBJECT;
        if (pk != NULL) {
            pk = pp_kind_of(pp, st->s.frames[0], obj, kb, sizeof(kb));
        }

        pp_sample(pp, p, locs, k, &sv[i * pp->ntypes], obj, 0, pk);
    }

    free(sv);
    free(idx);
}


static void
pp_mappings(pp_pprof_t *pp)
{
    char         hex[2 * PP_BUILD_ID_MAX + 1], path[4 * PP_PATH_MAX];
    size_t       i, k;
    pp_robj_t   *ro;

    for (i = 0; i < pp->fl->syms.nobjs; i++) {
        if (!pp->used[i]) {
            continue;
        }

        ro = &pp->fl->syms.objs[i];

        for (k = 0; k < ro->o.build_id_len && k < PP_BUILD_ID_MAX; k++) {
            snprintf(hex + 2 * k, 3, "%02x", ro->o.build_id[k]);
        }
        hex[2 * k] = '\0';

        pp_pb_reset(&pp->tmp);
        pp_pb_uint(&pp->tmp, 1, i + 1);
        pp_pb_opt(&pp->tmp, 2, ro->o.lo);
        pp_pb_opt(&pp->tmp, 3, ro->o.hi);
        /* the first loaded segment starts the file: offset 0 */
        pp_pb_opt(&pp->tmp, 5, (uint64_t) pp_str(pp, pp_escape(path,
                                                   sizeof(path), ro->o.path)));
        pp_pb_opt(&pp->tmp, 6, (uint64_t) pp_str(pp, hex));
        /* every location is named: pprof must not symbolize again */
        pp_pb_uint(&pp->tmp, 7, 1);
        pp_pb_opt(&pp->tmp, 8, pp->lines[i]);
        pp_pb_opt(&pp->tmp, 9, pp->lines[i]);
        pp_pb_msg(&pp->prof, 3, &pp->tmp);
    }
}


static void
pp_header(pp_pprof_t *pp, int sample)
{
    char        buf[PP_PATH_MAX * 4 + 64], esc[PP_PATH_MAX * 4];
    size_t      t;
    uint32_t    period;
    const pp_figure_t  *f;

    for (t = 0; t < pp->ntypes; t++) {
        f = &pp_figures[pp->types[t]];
        pp_pb_reset(&pp->tmp);
        pp_pb_uint(&pp->tmp, 1, (uint64_t) pp_str(pp, f->sample));
        pp_pb_uint(&pp->tmp, 2, (uint64_t) pp_str(pp, f->unit));
        pp_pb_msg(&pp->prof, 1, &pp->tmp);
    }

    pp_pb_opt(&pp->prof, 9, pp->fl->time_ns);
    pp_pb_opt(&pp->prof, 10, pp->fl->duration_ns);

    snprintf(buf, sizeof(buf), "poolprof-report %s, segment %s",
             PP_REPORT_VERSION,
             pp_escape(esc, sizeof(esc), pp->fl->path));
    pp_pb_uint(&pp->prof, 13, (uint64_t) pp_str(pp, buf));

    period = pp->fl->hdr.stack_period;
    if (period == 0) {
        snprintf(buf, sizeof(buf), "no stacks recorded: one frame a site");
    } else if (period == 1) {
        snprintf(buf, sizeof(buf), "every event's stack was taken");
    } else {
        snprintf(buf, sizeof(buf), "stacks of 1 in %u events, weights "
                 "scaled by %u; each site's total is exact", period, period);
    }
    pp_pb_uint(&pp->prof, 13, (uint64_t) pp_str(pp, buf));

    pp_pb_uint(&pp->prof, 14,
               (uint64_t) pp_str(pp, pp_figures[sample].sample));
}


static int
pp_gzip(const pp_pb_t *in, unsigned char **out, size_t *len)
{
    int             rc;
    size_t          cap;
    z_stream        z;
    unsigned char  *p;

    memset(&z, 0, sizeof(z));

    /* 15 + 16: a gzip header and trailer around the deflate stream */
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK)
    {
        return -1;
    }

    cap = deflateBound(&z, (uLong) in->len) + 64;
    p = malloc(cap);
    if (p == NULL || in->len > UINT32_MAX) {
        free(p);
        deflateEnd(&z);
        return -1;
    }

    z.next_in = in->data;
    z.avail_in = (uInt) in->len;
    z.next_out = p;
    z.avail_out = (uInt) cap;

    rc = deflate(&z, Z_FINISH);
    deflateEnd(&z);

    if (rc != Z_STREAM_END) {
        free(p);
        return -1;
    }

    *out = p;
    *len = cap - z.avail_out;

    return 0;
}


/* the profile of a loaded segment, sample the default type's figure */
int
pp_pprof_build(pp_fleet_t *fl, int sample, unsigned char **out, size_t *len)
{
    int          rc;
    size_t       i;
    pp_pprof_t   pp;

    memset(&pp, 0, sizeof(pp));
    pp.fl = fl;
    rc = -1;

    *out = NULL;
    *len = 0;

    for (i = 0; i < pp_nfigures && pp.ntypes < PP_TYPES_MAX; i++) {
        if (pp_figures[i].sample != NULL) {
            pp.types[pp.ntypes++] = (int) i;
        }
    }

    if (sample < 0 || pp_figures[sample].sample == NULL) {
        sample = pp.types[0];
    }

    /* the string table starts with "" */
    pp_str(&pp, "");
    pp_header(&pp, sample);

    pp.used = calloc(fl->syms.nobjs + 1, 1);
    pp.lines = calloc(fl->syms.nobjs + 1, 1);

    if (pp.used == NULL || pp.lines == NULL) {
        goto cleanup;
    }

    for (i = 0; i < fl->nparts; i++) {
        pp_pprof_part(&pp, &fl->parts[i]);
    }

    pp_mappings(&pp);
    pp_pb_raw(&pp.prof, pp.locs.data, pp.locs.len);
    pp_pb_raw(&pp.prof, pp.funcs.data, pp.funcs.len);

    for (i = 0; i < pp.nstrs; i++) {
        pp_pb_string(&pp.prof, 6, pp.strv[i]);
    }

    if (pp.failed || pp.prof.failed || pp.locs.failed || pp.funcs.failed
        || pp_gzip(&pp.prof, out, len) != 0)
    {
        goto cleanup;
    }

    rc = 0;

cleanup:

    for (i = 0; i < pp.nstrs; i++) {
        free(pp.strv[i]);
    }

    free(pp.strv);
    free(pp.strs.slots);
    free(pp.locmap.slots);
    free(pp.funcmap.slots);
    free(pp.used);
    free(pp.lines);
    pp_pb_free(&pp.prof);
    pp_pb_free(&pp.locs);
    pp_pb_free(&pp.funcs);
    pp_pb_free(&pp.tmp);
    pp_pb_free(&pp.tmp2);
    pp_pb_free(&pp.lab);

    return rc;
}
