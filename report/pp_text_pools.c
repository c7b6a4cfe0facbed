/*
 * The pool tables of the text report: pool sizing by creating site,
 * with each pool's kind and the directive that sizes it, and buffer
 * reuse by tag.  Each fits 100 columns; a table prints no blank line
 * after itself, pp_text_print() places them.
 */

#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp_rows.h"
#include "pp_text.h"


/* the name columns start at column 71 (pools) and 48 (tags) */
#define PP_POOL_NAME    (PP_TEXT_WIDTH - 71)
#define PP_TAG_NAME     (PP_TEXT_WIDTH - 48)

/* the lines under a pool row start under its SIZE column */
#define PP_POOL_DETAIL  9


/*
 * The pool size that holds p95: the top of p95's bucket (percentiles are
 * the lower bounds of log-linear buckets), plus the pool's header
 * (sizeof(ngx_pool_t) on LP64), in the 1 KiB steps nginx's size
 * directives are written in.
 */
static uint64_t
pp_text_suggest(const pp_rhist_t *h)
{
    uint32_t  b, last;
    uint64_t  top;

    /* the last bucket reaches 2^64 - 1 (a corrupt file's counts) */
    last = pp_hist_bucket(UINT64_MAX);
    b = pp_hist_bucket(pp_rhist_percentile(h, 95));
    top = b < last ? pp_hist_lower(b + 1) - 1 : UINT64_MAX;

    if (top > UINT64_MAX - 80 - 1023) {
        return UINT64_MAX;
    }

    return (top + 80 + 1023) / 1024 * 1024;
}


static const char *
pp_text_spill(char *buf, size_t len, const void *row)
{
    const pp_rpool_t  *p = row;

    if (p->p.destroyed + p->p.resets == 0) {
        return "-";
    }

    snprintf(buf, len, "%.0f%%",
             100.0 * (double) p->p.spilled
             / (double) (p->p.destroyed + p->p.resets));

    return buf;
}


static const char *
pp_text_size_for(char *buf, size_t len, const void *row)
{
    uint64_t           want;
    const pp_rpool_t  *p = row;

    if (p->p.destroyed + p->p.resets == 0) {
        return "-";
    }

    want = pp_text_suggest(&p->used);

    return p->p.size >= want ? "ok" : pp_human(buf, len, want);
}


/*
 * The line under a pool row of a known kind: "request pool: set
 * request_pool_size 8k" when the pools spilled, the module's name for a
 * module's pool
 */
static void
pp_text_pool_kind(FILE *f, const pp_report_t *r, const pp_rpool_t *p)
{
    char                   mod[PP_NAME_BUF];
    uint64_t               want;
    const pp_pool_kind_t  *k;

    k = pp_pool_kind_of(r, p);

    if (strcmp(k->kind, "unknown") == 0) {
        return;
    }

    fprintf(f, "  %*s  %s pool", PP_POOL_DETAIL, "", k->kind);

    if (strcmp(k->kind, "module") == 0) {
        pp_object_name(mod, sizeof(mod), r, pp_row_module(p, p->p.owner),
                       PP_OBJECT_BASE);
        fprintf(f, " of %s\n", mod);
        return;
    }

    if (k->directive == NULL) {
        fputc('\n', f);
        return;
    }

    want = p->p.destroyed + p->p.resets != 0 ? pp_text_suggest(&p->used) : 0;

    if (want > p->p.size && want != UINT64_MAX) {
        fprintf(f, ": set %s %lluk\n", k->directive,
                (unsigned long long) (want / 1024));
    } else {
        fprintf(f, ": %s\n", k->directive);
    }
}


static const pp_column_t  pp_pool_cols[] = {
    { "CREATED", 7, PP_COL_COUNT, "created", NULL },
    { "SIZE", 8, PP_COL_HUMAN, "size", NULL },
    { "UNUSED", 8, PP_COL_HUMAN, "unused_bytes", NULL },
    { "USED p50", 8, PP_COL_HUMAN, "used_p50", NULL },
    { "p95", 8, PP_COL_HUMAN, "used_p95", NULL },
    { "p99", 8, PP_COL_HUMAN, "used_p99", NULL },
    { "SPILL", 5, 0, NULL, pp_text_spill },
    { "SIZE FOR", 8, 0, NULL, pp_text_size_for },
};


void
pp_text_pools(FILE *f, const pp_report_t *r, const pp_view_t *v)
{
    char               name[PP_NAME_BUF];
    size_t             i;
    const pp_rpool_t  *p;

    fprintf(f, "%spool sizing by creating site, %s first%s\n", pp_bold(v),
            v->sort > 0 ? pp_sort_name(PP_BY_POOL, v->sort) : "most unused",
            pp_off(v));
    pp_columns_head(f, pp_pool_cols, pp_ncols(pp_pool_cols), "CREATED AT");

    if (r->npools == 0) {
        fputs("  none\n", f);
    }

    for (i = 0; i < r->npools && i < v->top; i++) {
        p = &r->pools[i];
        pp_columns_row(f, pp_pool_cols, pp_ncols(pp_pool_cols), &pp_rpools, p,
                       pp_text_row_name(name, sizeof(name), r, p->key, p->obj,
                                        p->symbol, p->source, p->p.owner,
                                        p->owner_obj, p->owner_symbol,
                                        PP_POOL_NAME));

        if (p->p.owner != 0 && p->owner_symbol != NULL) {
            pp_text_library(f, r, p->key, p->obj, p->symbol,
                            PP_POOL_DETAIL);
        }

        pp_text_pool_kind(f, r, p);
    }

    if (r->npools > v->top) {
        fprintf(f, "  ... %zu more\n", r->npools - v->top);
    }

    if (r->npools != 0) {
        fputs("  USED: bytes used per pool, \xe2\x89\x88 (lower bounds of "
              "log-linear buckets); SPILL: pools that\n  needed more than "
              "one block; SIZE FOR: the size that holds p95, to set in\n  "
              "request_pool_size, connection_pool_size or the module's "
              "ngx_create_pool(); ok: large enough\n", f);
    }
}


static const pp_column_t  pp_tag_cols[] = {
    { "HITS", 9, PP_COL_COUNT, "hits", NULL },
    { "MISSES", 9, PP_COL_COUNT, "misses", NULL },
    { "REUSE", 6, PP_COL_PCT, "reuse", NULL },
    { "RECYCLED", 9, PP_COL_COUNT, "recycled", NULL },
    { "BUSY", 7, PP_COL_COUNT, "busy", NULL },
};


void
pp_text_tags(FILE *f, const pp_report_t *r, const pp_view_t *v)
{
    char              name[PP_NAME_BUF];
    size_t            i;
    const pp_rtag_t  *t;

    fprintf(f, "%sbuffer reuse by tag (module), %s first%s\n", pp_bold(v),
            v->sort > 0 ? pp_sort_name(PP_BY_TAG, v->sort) : "worst reuse",
            pp_off(v));
    pp_columns_head(f, pp_tag_cols, pp_ncols(pp_tag_cols), "TAG");

    if (r->ntags == 0) {
        fputs("  none\n", f);
    }

    for (i = 0; i < r->ntags && i < v->top; i++) {
        t = &r->tags[i];
        pp_columns_row(f, pp_tag_cols, pp_ncols(pp_tag_cols), &pp_rtags, &t->t,
                       pp_text_name(name, sizeof(name), r, t->key, t->obj,
                                    t->symbol, "", PP_TAG_NAME));
    }

    if (r->ntags > v->top) {
        fprintf(f, "  ... %zu more\n", r->ntags - v->top);
    }
}
