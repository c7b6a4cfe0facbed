/*
 * The reporter's pipeline, in one place.  pp_report_build() turns a
 * segment into a report through these stages, each reading what the
 * ones before produced and none reaching back:
 *
 *   load       a private copy of the file (pp_read.c), or the bytes given
 *   merge      validated, the shards merged into rows (pp_merge*.c)
 *   symbolize  every address named, stack frames included (pp_sym.c)
 *   analyze    leaks by creating site (pp_leaks.c); --diff against a base
 *              built by the same stages (pp_diff.c); the owners of sites
 *              inside nginx's helpers (pp_owner.c)
 *   sort       the rows in the order the view asks for (pp_sort.c)
 *
 * The analysis comes after the names: the pools nginx keeps until exit
 * by design and nginx's helpers are known by their symbols.  --diff
 * subtracts leaks too, so it follows them, and the owners follow --diff,
 * whose counts decide a site's most frequent stack.  pp_report_print()
 * hands the finished report to one renderer; renderers only read.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp_report.h"


static int pp_build_rows(pp_report_t *r, const pp_source_t *src,
    const pp_input_t *in, char *err, size_t errlen);


void
pp_view_init(pp_view_t *v)
{
    memset(v, 0, sizeof(pp_view_t));

    v->format = PP_FORMAT_TEXT;
    v->metric = PP_METRIC_PINNED;
    v->top = PP_TOP_DEFAULT;
    v->by = PP_BY_SITE;
    v->sort = -1;
}


/* load, merge, symbolize and find the leaks of one segment */
static int
pp_build_rows(pp_report_t *r, const pp_source_t *src, const pp_input_t *in,
    char *err, size_t errlen)
{
    int     rc;
    char    why[PP_ERR_LEN];
    size_t  i;

    pp_merge_pid(in->pid);

    if (src->buf != NULL) {
        rc = pp_seg_merge(r, src->buf, src->len, 0, why, sizeof(why));
        if (rc == 0 && (r->path = strdup(src->path)) == NULL) {
            pp_report_free(r);
            rc = pp_fail(why, sizeof(why), "failed to allocate memory");
        }

    } else {
        rc = pp_report_load(r, src->path, src->flags, why, sizeof(why));
    }

    if (rc != 0) {
        return pp_fail(err, errlen, "%s: %s", src->path, why);
    }

    if (in->pid != 0 && r->nprocs == 0) {
        pp_report_free(r);
        return pp_fail(err, errlen, "%s: no process %u in the segment",
                       src->path, in->pid);
    }

    /* offline, every object counts as tried already: none is opened */
    for (i = 0; in->offline && i < r->nobjs; i++) {
        r->objs[i].loaded = 1;
    }

    pp_sym_resolve(r);

    if (pp_leaks_build(r) != 0) {
        pp_report_warn(r, "no memory for the leak report");
    }

    return 0;
}


/* the stages in order; 0, or -1 with err set and nothing left to free */
int
pp_report_build(pp_report_t *r, const pp_input_t *in, const pp_view_t *v,
    char *err, size_t errlen)
{
    pp_report_t  base;

    if (pp_build_rows(r, &in->seg, in, err, errlen) != 0) {
        return -1;
    }

    if (in->base.path != NULL) {
        if (pp_build_rows(&base, &in->base, in, err, errlen) != 0) {
            pp_report_free(r);
            return -1;
        }

        if (in->base.buf == NULL) {
            pp_seg_mode_warn(in->base.path, base.mode);
        }

        pp_diff(r, &base);
        pp_report_free(&base);
    }

    if (pp_owners_build(r) != 0) {
        pp_report_warn(r, "no memory for the callers of nginx's helpers");
    }

    pp_report_sort(r, v);

    /* only about a file that was read: an error says enough */
    if (in->seg.buf == NULL) {
        pp_seg_mode_warn(in->seg.path, r->mode);
    }

    return 0;
}


/* one report in the view's format; 0, or -1 with a message printed */
int
pp_report_print(FILE *f, const pp_report_t *r, const pp_view_t *v)
{
    switch (v->format) {

    case PP_FORMAT_JSON:
        pp_json_print(f, r, v);
        return 0;

    case PP_FORMAT_FOLDED:
    case PP_FORMAT_SVG:
        return pp_stacks_print(f, r, v);

    default:
        pp_text_print(f, r, v);
        return 0;
    }
}


void
pp_report_free(pp_report_t *r)
{
    size_t  i;

    pp_sym_free(r);
    pp_leaks_free(r);

    for (i = 0; i < r->nwarnings; i++) {
        free(r->warnings[i]);
    }

    for (i = 0; i < r->nstacks; i++) {
        free(r->stacks[i].objs);
    }

    free(r->warnings);
    free(r->procs);
    free(r->objs);
    free(r->sites);
    free(r->pools);
    free(r->tags);
    free(r->growth);
    free(r->live);
    free(r->stacks);
    free(r->owners);
    free(r->path);
    memset(r, 0, sizeof(pp_report_t));
}
