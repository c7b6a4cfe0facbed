/*
 * The tables of a pprof profile: the string table (index 0 is ""), one
 * Function per name and file, one Location per address of an object,
 * one Mapping per object used; then the profile's header, and the whole
 * gzip-compressed.  Ids are handed out in order from 1, as pprof wants.
 */

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "pp_pprof.h"


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
int64_t
pp_pprof_str(pp_pprof_t *pp, const char *s)
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

    n = pp_pprof_str(pp, name);
    f = pp_pprof_str(pp, file);

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
uint64_t
pp_pprof_loc(pp_pprof_t *pp, uint64_t addr, int obj, int overflow, int kind)
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
        pp_pb_opt(&pp->tmp, 5, (uint64_t) pp_pprof_str(pp, pp_escape(path,
                                                   sizeof(path), ro->o.path)));
        pp_pb_opt(&pp->tmp, 6, (uint64_t) pp_pprof_str(pp, hex));
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
        pp_pb_uint(&pp->tmp, 1, (uint64_t) pp_pprof_str(pp, f->sample));
        pp_pb_uint(&pp->tmp, 2, (uint64_t) pp_pprof_str(pp, f->unit));
        pp_pb_msg(&pp->prof, 1, &pp->tmp);
    }

    pp_pb_opt(&pp->prof, 9, pp->fl->time_ns);
    pp_pb_opt(&pp->prof, 10, pp->fl->duration_ns);

    snprintf(buf, sizeof(buf), "poolprof-report %s, segment %s",
             PP_REPORT_VERSION,
             pp_escape(esc, sizeof(esc), pp->fl->path));
    pp_pb_uint(&pp->prof, 13, (uint64_t) pp_pprof_str(pp, buf));

    period = pp->fl->hdr.stack_period;
    if (period == 0) {
        snprintf(buf, sizeof(buf), "no stacks recorded: one frame a site");
    } else if (period == 1) {
        snprintf(buf, sizeof(buf), "every event's stack was taken");
    } else {
        snprintf(buf, sizeof(buf), "stacks of 1 in %u events, weights "
                 "scaled by %u; each site's total is %s", period, period,
                 pp->fl->hdr.sample_period > 1 ? "its count" : "exact");
    }
    pp_pb_uint(&pp->prof, 13, (uint64_t) pp_pprof_str(pp, buf));

    /* POOLPROF_SAMPLE: the reporter scaled every value when it merged */
    period = pp->fl->hdr.sample_period;
    if (period > 1) {
        snprintf(buf, sizeof(buf), "estimates: 1 in %u pools tracked, every "
                 "value scaled by %u", period, period);
        pp_pb_uint(&pp->prof, 13, (uint64_t) pp_pprof_str(pp, buf));
    }

    pp_pb_uint(&pp->prof, 14,
               (uint64_t) pp_pprof_str(pp, pp_figures[sample].sample));
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
    pp_pprof_str(&pp, "");
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
