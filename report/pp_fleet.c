/*
 * A segment read for the fleet exports.
 *
 * The segment is read once; each process's shard and the retired
 * aggregate are then merged on their own from that one copy, so the
 * parts add up to what the JSON report shows at the same moment.  The
 * objects of every part map to one list, pp_fleet_t.syms, whose
 * symbols stay loaded from one load to the next: a server reads each
 * object file once.
 */

#include <libelf.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pp_fleet.h"
#include "pp_time.h"


size_t
pp_part_nrows(const pp_part_t *p, int row)
{
    return row == PP_ROW_SITE ? p->r.nsites
           : row == PP_ROW_POOL ? p->r.npools : p->r.ntags;
}


void
pp_part_row(const pp_part_t *p, int row, size_t i, pp_row_t *out)
{
    int               mod;
    const pp_rrow_t  *h;

    switch (row) {

    case PP_ROW_SITE:
        h = (const pp_rrow_t *) &p->r.sites[i];
        mod = pp_row_module(&p->r.sites[i], p->r.sites[i].s.owner);
        out->counters = &p->r.sites[i].s;
        break;

    case PP_ROW_POOL:
        h = (const pp_rrow_t *) &p->r.pools[i];
        mod = pp_row_module(&p->r.pools[i], p->r.pools[i].p.owner);
        out->counters = &p->r.pools[i].p;
        break;

    default:
        h = (const pp_rrow_t *) &p->r.tags[i];
        mod = h->obj;
        out->counters = &p->r.tags[i].t;
        break;
    }

    out->key = h->key;
    out->overflow = h->overflow;
    out->obj = h->obj != PP_NO_OBJECT ? p->objmap[h->obj] : PP_NO_OBJECT;
    out->module = mod != PP_NO_OBJECT ? p->objmap[mod] : PP_NO_OBJECT;
}


/* the same object as pp_merge.c deduplicates them */
static int
pp_obj_same(const pp_object_t *x, const pp_object_t *y)
{
    return x->base == y->base && x->lo == y->lo && x->hi == y->hi
           && x->dev == y->dev && x->ino == y->ino && x->mtime == y->mtime
           && x->file_size == y->file_size
           && x->build_id_len == y->build_id_len
           && x->build_id_len <= PP_BUILD_ID_MAX
           && memcmp(x->build_id, y->build_id, x->build_id_len) == 0
           && strcmp(x->path, y->path) == 0;
}


/* each object of a part in the kept list, added when new */
static int
pp_fleet_map(pp_fleet_t *fl, pp_part_t *p)
{
    size_t      i, k, cap;
    pp_robj_t  *objs;

    p->objmap = calloc(p->r.nobjs + 1, sizeof(int));
    if (p->objmap == NULL) {
        return -1;
    }

    for (i = 0; i < p->r.nobjs; i++) {
        for (k = 0; k < fl->syms.nobjs; k++) {
            if (pp_obj_same(&fl->syms.objs[k].o, &p->r.objs[i].o)) {
                break;
            }
        }

        if (k == fl->syms.nobjs) {
            if (fl->syms.nobjs == fl->syms_cap) {
                cap = fl->syms_cap != 0 ? fl->syms_cap * 2 : 16;
                objs = realloc(fl->syms.objs, cap * sizeof(pp_robj_t));
                if (objs == NULL) {
                    return -1;
                }
                fl->syms.objs = objs;
                fl->syms_cap = cap;
            }

            memset(&fl->syms.objs[k], 0, sizeof(pp_robj_t));
            fl->syms.objs[k].o = p->r.objs[i].o;
            fl->syms.nobjs++;
        }

        p->objmap[i] = (int) k;
    }

    return 0;
}


static int
pp_fleet_part(pp_fleet_t *fl, const unsigned char *buf, size_t len,
    uint32_t shard, char *err, size_t errlen)
{
    pp_part_t  *p;

    p = &fl->parts[fl->nparts];
    memset(p, 0, sizeof(pp_part_t));

    pp_merge_shard((int) shard);
    if (pp_seg_merge(&p->r, buf, len, 0, err, errlen) != 0) {
        pp_merge_shard(-1);
        return -1;
    }
    pp_merge_shard(-1);

    if (p->r.nprocs == 0) {
        /* shard 0 of a version 3 segment: the processes that ended */
        p->role = "retired";
        p->totals = &p->r.retired;

    } else {
        p->role = pp_role_name(p->r.procs[0].role);
        p->pid = p->r.procs[0].pid;
        p->totals = &p->r.procs[0].totals;
    }

    fl->nparts++;

    if (pp_fleet_map(fl, p) != 0) {
        return pp_fail(err, errlen, "failed to allocate memory");
    }

    return 0;
}


void
pp_fleet_clear(pp_fleet_t *fl)
{
    size_t  i;

    for (i = 0; i < fl->nparts; i++) {
        free(fl->parts[i].objmap);
        pp_report_free(&fl->parts[i].r);
    }

    free(fl->parts);
    free(fl->path);
    fl->parts = NULL;
    fl->nparts = 0;
    fl->path = NULL;
}


void
pp_fleet_free(pp_fleet_t *fl)
{
    pp_fleet_clear(fl);
    pp_report_free(&fl->syms);
    memset(fl, 0, sizeof(pp_fleet_t));
}


/* read the segment once, then each of its shards on its own */
int
pp_fleet_load(pp_fleet_t *fl, const pp_fleet_opts_t *o, char *err,
    size_t errlen)
{
    int              fd, rc, live, retired;
    size_t           len, i;
    uint64_t         end;
    struct stat      sb;
    pp_report_t      all;
    unsigned char   *buf;
    pp_seg_header_t  h;

    pp_fleet_clear(fl);
    memset(&all, 0, sizeof(all));

    fd = pp_seg_open(o->segment, o->flags, &h, &sb, err, errlen);
    if (fd < 0) {
        return -1;
    }

    rc = pp_seg_read_fd(fd, &h, &buf, &len, err, errlen);
    close(fd);

    if (rc != 0) {
        return -1;
    }

    rc = -1;

    /* which shards are used: a merge of them all (or of --pid's) */
    pp_merge_pid(o->pid);
    if (pp_seg_merge(&all, buf, len, 0, err, errlen) != 0) {
        goto cleanup;
    }

    if (o->pid != 0 && all.nprocs == 0) {
        pp_fail(err, errlen, "no process %u in the segment", o->pid);
        goto cleanup;
    }

    fl->hdr = all.hdr;
    fl->path = strdup(o->segment);
    fl->parts = calloc(all.nprocs + 1, sizeof(pp_part_t));
    if (fl->path == NULL || fl->parts == NULL) {
        pp_fail(err, errlen, "failed to allocate memory");
        goto cleanup;
    }

    retired = 0;
    for (i = 0; i < all.nprocs; i++) {
        retired |= all.procs[i].shard == 0;
    }

    /* shard 0 is the retired aggregate unless a process holds it */
    if (o->pid == 0 && !retired && all.hdr.version >= 3
        && pp_fleet_part(fl, buf, len, 0, err, errlen) != 0)
    {
        goto cleanup;
    }

    live = 0;
    end = 0;

    for (i = 0; i < all.nprocs; i++) {
        if (pp_fleet_part(fl, buf, len, all.procs[i].shard, err, errlen)
            != 0)
        {
            goto cleanup;
        }

        if (all.procs[i].end_mono_ns == 0) {
            live = 1;
        } else if (all.procs[i].end_mono_ns > end) {
            end = all.procs[i].end_mono_ns;
        }
    }

    if (live || end == 0) {
        end = pp_mono_ns();
    }

    fl->time_ns = h.created_real_ns;
    fl->duration_ns = end > h.created_mono_ns ? end - h.created_mono_ns : 0;

    if (elf_version(EV_CURRENT) == EV_NONE) {
        pp_report_warn(&fl->syms, "failed to initialize libelf; showing "
                       "offsets");
    }

    rc = 0;

cleanup:

    pp_merge_pid(0);
    pp_report_free(&all);
    free(buf);

    if (rc != 0) {
        pp_fleet_clear(fl);
    }

    return rc;
}


/*
 * A row's or a frame's name as the text report gives it: the symbol,
 * else object+offset, else the address; escaped (pp_escape()).  kind as
 * pp_sym_row()'s.  *source, when asked, is file:line or "".
 */
char *
pp_fleet_name(pp_fleet_t *fl, uint64_t key, int obj, int overflow, int kind,
    char **source)
{
    char         buf[4 * PP_PATH_MAX], esc[4 * PP_PATH_MAX], *sym, *src;
    size_t       n;
    const char  *path, *base;

    pp_sym_row(&fl->syms, key, obj, overflow, kind, &sym, &src);

    if (source != NULL) {
        *source = src;
    } else {
        free(src);
    }

    if (sym != NULL && sym[0] != '\0') {
        n = 4 * strlen(sym) + 1;
        src = malloc(n);
        if (src != NULL) {
            pp_escape(src, n, sym);
        }
        free(sym);
        return src;
    }

    free(sym);

    if (obj != PP_NO_OBJECT) {
        path = fl->syms.objs[obj].o.path;
        base = strrchr(path, '/');
        snprintf(buf, sizeof(buf), "%s+0x%llx",
                 pp_escape(esc, sizeof(esc), base != NULL ? base + 1 : path),
                 (unsigned long long) (key - fl->syms.objs[obj].o.base));
    } else {
        snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long) key);
    }

    return strdup(buf);
}


/* the object's file name without ".so", escaped: the module label */
const char *
pp_fleet_module(const pp_fleet_t *fl, int obj, int overflow, char *buf,
    size_t len)
{
    size_t       n;
    const char  *path, *base;

    if (overflow || obj == PP_NO_OBJECT) {
        snprintf(buf, len, "%s", overflow ? "(overflow)" : "(none)");
        return buf;
    }

    path = fl->syms.objs[obj].o.path;
    base = strrchr(path, '/');
    pp_escape(buf, len, base != NULL ? base + 1 : path);

    n = strlen(buf);
    if (n > 3 && strcmp(buf + n - 3, ".so") == 0) {
        buf[n - 3] = '\0';
    }

    return buf;
}
