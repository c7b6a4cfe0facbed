/*
 * --format json: the contract that poolprof-json(5) describes.  The
 * names and meanings of its fields stay; fields may be added; a change
 * of either bumps "format".  Addresses are hex strings, counts integers.
 */

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp_report.h"


#define pp_str(s)  ((s) != NULL ? (s) : "")


/* the length of a valid UTF-8 sequence at p, or 0 */
static size_t
pp_utf8_len(const unsigned char *p)
{
    size_t    n, i;
    uint32_t  c;

    if (p[0] < 0xc2 || p[0] > 0xf4) {
        return 0;
    }

    n = p[0] < 0xe0 ? 2 : p[0] < 0xf0 ? 3 : 4;
    c = p[0] & (0x7f >> n);

    /* a NUL among the continuation bytes fails here: no overread */
    for (i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            return 0;
        }
        c = (c << 6) | (p[i] & 0x3f);
    }

    if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) || c > 0x10ffff
        || (c >= 0xd800 && c <= 0xdfff))
    {
        return 0;
    }

    return n;
}


/* a JSON string; bytes that are not UTF-8 become \u00XX */
void
pp_json_string(FILE *f, const char *s)
{
    size_t                n;
    const unsigned char  *p;

    fputc('"', f);

    for (p = (const unsigned char *) pp_str(s); *p != '\0'; p++) {
        switch (*p) {
        case '"':
            fputs("\\\"", f);
            continue;
        case '\\':
            fputs("\\\\", f);
            continue;
        case '\n':
            fputs("\\n", f);
            continue;
        case '\t':
            fputs("\\t", f);
            continue;
        case '\r':
            fputs("\\r", f);
            continue;
        }

        if (*p < 0x20) {
            fprintf(f, "\\u%04x", *p);
            continue;
        }

        if (*p < 0x80) {
            fputc(*p, f);
            continue;
        }

        n = pp_utf8_len(p);

        if (n == 0) {
            fprintf(f, "\\u%04x", *p);
            continue;
        }

        fwrite(p, 1, n, f);
        p += n - 1;
    }

    fputc('"', f);
}


/* the shortest form that reads back the same; JSON has no NaN */
void
pp_json_double(FILE *f, double v)
{
    char  buf[64];

    if (!isfinite(v)) {
        v = 0.0;
    }

    snprintf(buf, sizeof(buf), "%.15g", v);
    if (strtod(buf, NULL) != v) {
        snprintf(buf, sizeof(buf), "%.17g", v);
    }

    /* keep it a float for readers that care: 0 -> 0.0 */
    fputs(buf, f);
    if (strpbrk(buf, ".eEn") == NULL) {
        fputs(".0", f);
    }
}


static void
pp_json_where(FILE *f, const pp_report_t *r, const char *name, uint64_t key,
    int obj, const char *symbol, const char *source)
{
    uint64_t  base;

    base = obj != PP_NO_OBJECT ? r->objs[obj].o.base : 0;

    fprintf(f, "\"%s\": \"0x%llx\", \"object\": ", name,
            (unsigned long long) key);
    pp_json_string(f, obj != PP_NO_OBJECT ? r->objs[obj].o.path : "");
    fprintf(f, ", \"offset\": \"0x%llx\", \"symbol\": ",
            (unsigned long long) (key - base));
    pp_json_string(f, symbol);
    fputs(", \"source\": ", f);
    pp_json_string(f, source);
}


/* "module": the nginx module responsible (pp_row_module()), or null */
static void
pp_json_module(FILE *f, const pp_report_t *r, int obj)
{
    const char  *m;

    m = pp_module_base(r, obj);

    fputs(", \"module\": ", f);
    if (m != NULL) {
        pp_json_string(f, m);
    } else {
        fputs("null", f);
    }
}


/*
 * "owner": the frame in the module on the way to a library's call, null
 * when the row lies in nginx or a module itself
 */
static void
pp_json_owner(FILE *f, uint64_t owner, const char *owner_symbol)
{
    if (owner == 0 || owner_symbol == NULL) {
        fputs(", \"owner\": null, \"owner_symbol\": null", f);
        return;
    }

    fprintf(f, ", \"owner\": \"0x%llx\", \"owner_symbol\": ",
            (unsigned long long) owner);
    pp_json_string(f, owner_symbol);
}


static void
pp_json_totals(FILE *f, const pp_totals_t *t)
{
    pp_json_figures(f, &pp_rtotals, t, 1);
}


static void
pp_json_segment(FILE *f, const pp_report_t *r)
{
    size_t             i;
    const pp_rproc_t  *p;

    fputs("  \"segment\": { \"path\": ", f);
    pp_json_string(f, r->path);
    fputs(", \"exe\": ", f);
    pp_json_string(f, r->hdr.exe);
    fprintf(f, ", \"creator_pid\": %u, \"created_real_ns\": %llu"
            ", \"hooks_ok\": %u, \"hooks_failed\": %u,\n"
            "    \"processes\": [",
            r->hdr.creator_pid, (unsigned long long) r->hdr.created_real_ns,
            r->hdr.hooks_ok, r->hdr.hooks_failed);

    for (i = 0; i < r->nprocs; i++) {
        p = &r->procs[i];
        fprintf(f, "%s\n      { \"pid\": %u, \"role\": \"%s\", "
                "\"state\": \"%s\", \"ppid\": %u, \"shard\": %u, "
                "\"exit_code\": %u, ",
                i ? "," : "", p->pid, pp_role_name(p->role),
                pp_status_name(p->status), p->ppid, p->shard, p->exit_code);
        pp_json_totals(f, &p->totals);
        fputs(" }", f);
    }

    fprintf(f, "%s],\n    \"retired\": { \"processes\": %u, \"crashed\": %u, ",
            r->nprocs ? "\n    " : "", r->hdr.retired, r->hdr.retired_crashed);
    pp_json_totals(f, &r->retired);
    fprintf(f, " },\n    \"claims_failed\": %u, \"objects_dropped\": %u, "
            "\"overflow\": %llu },\n", r->hdr.claims_failed,
            r->hdr.objects_dropped, (unsigned long long) r->totals.overflow);
}


static void
pp_json_site_more(FILE *f, const pp_report_t *r, const void *row)
{
    const pp_rsite_t  *s = row;

    pp_json_module(f, r, pp_row_module(s, s->s.owner));
    pp_json_owner(f, s->s.owner, s->owner_symbol);
}


static void
pp_json_pool_more(FILE *f, const pp_report_t *r, const void *row)
{
    const pp_rpool_t      *p = row;
    const pp_pool_kind_t  *k;

    pp_json_module(f, r, pp_row_module(p, p->p.owner));
    pp_json_owner(f, p->p.owner, p->owner_symbol);

    k = pp_pool_kind_of(r, p);
    fprintf(f, ", \"kind\": \"%s\", \"directive\": ", k->kind);

    if (k->directive != NULL) {
        pp_json_string(f, k->directive);

    } else {
        fputs("null", f);
    }
}


static void
pp_json_tag_more(FILE *f, const pp_report_t *r, const void *row)
{
    pp_json_module(f, r, ((const pp_rtag_t *) row)->obj);
}


/* one table's rows: where each is, what its kind adds, its figures */
typedef struct {
    const char             *name;
    const char             *where;      /* the key of the row's key */
    const void             *rows;
    size_t                  n;
    size_t                  stride;
    const pp_rtable_t      *figures;
    size_t                  rec;        /* the record figures reads */
    void                  (*more)(FILE *f, const pp_report_t *r,
                                  const void *row);
} pp_json_table_t;


static void
pp_json_rows(FILE *f, const pp_report_t *r, const pp_json_table_t *t)
{
    size_t            i;
    const char       *row;
    const pp_rrow_t  *h;

    fprintf(f, "  \"%s\": [", t->name);

    for (i = 0; i < t->n; i++) {
        row = (const char *) t->rows + i * t->stride;
        h = (const pp_rrow_t *) row;

        fputs(i ? ",\n    { " : "\n    { ", f);
        pp_json_where(f, r, t->where, h->key, h->obj, h->symbol, h->source);
        t->more(f, r, row);
        pp_json_figures(f, t->figures, row + t->rec, 0);
        fputs(" }", f);
    }

    fputs(t->n ? "\n  ],\n" : "],\n", f);
}


static void
pp_json_tables(FILE *f, const pp_report_t *r)
{
    size_t                 i;
    const pp_json_table_t  t[] = {
        { "sites", "address", r->sites, r->nsites, sizeof(pp_rsite_t),
          &pp_rsites, offsetof(pp_rsite_t, s), pp_json_site_more },
        { "pools", "address", r->pools, r->npools, sizeof(pp_rpool_t),
          &pp_rpools, 0, pp_json_pool_more },
        { "tags", "tag", r->tags, r->ntags, sizeof(pp_rtag_t),
          &pp_rtags, offsetof(pp_rtag_t, t), pp_json_tag_more },
    };

    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        pp_json_rows(f, r, &t[i]);
    }
}


void
pp_json_print(FILE *f, const pp_report_t *r, const pp_view_t *v)
{
    size_t  i;

    fprintf(f, "{\n  \"format\": %d,\n", PP_JSON_FORMAT);

    /* POOLPROF_SAMPLE: the counts below are the tracked pools' times N */
    fprintf(f, "  \"sample_period\": %u, \"estimated\": %s,\n",
            r->sample_period > 1 ? r->sample_period : 1,
            r->estimated ? "true" : "false");

    /* --diff: every count below is current - base */
    if (v->diff != NULL) {
        fputs("  \"diff\": { \"base\": ", f);
        pp_json_string(f, v->diff);
        fputs(" },\n", f);
    }

    pp_json_segment(f, r);

    fputs("  \"totals\": { ", f);
    pp_json_totals(f, &r->totals);
    fputs(" },\n", f);

    pp_json_tables(f, r);

    fputs("  \"warnings\": [", f);
    for (i = 0; i < r->nwarnings; i++) {
        fputs(i ? ", " : "", f);
        pp_json_string(f, r->warnings[i]);
    }
    fputc(']', f);

    pp_json_leaks(f, r);
    fputs("\n}\n", f);
}
