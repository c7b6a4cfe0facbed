/*
 * The site tables of the text report: sites by wasted bytes, then by
 * no-op frees, and sites summed by module (pool sizing and buffer reuse
 * are in pp_text_pools.c).  Each fits 100 columns; a table prints no
 * blank line after itself, pp_text_print() places them.
 */

#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp_rows.h"
#include "pp_text.h"


/* the name column of the site tables starts at column 60 */
#define PP_SITE_NAME    (PP_TEXT_WIDTH - 60)
#define PP_VIA_NAME     (PP_TEXT_WIDTH - 66)

/* 1 when a symbol is pp_static_name()'s, not a symbol table's */
#define pp_text_is_static(symbol)                                            \
    ((symbol) != NULL && strncmp(symbol, "static function ", 16) == 0)


static const pp_column_t  pp_site_cols[] = {
    { "PINNED", 9, PP_COL_HUMAN, "pinned_bytes", NULL },
    { "NO-OP", 8, PP_COL_COUNT, "noop_frees", NULL },
    { "BYTE-SEC", 9, PP_COL_G3, "pinned_byte_seconds", NULL },
    { "ALLOCS", 9, PP_COL_COUNT, "allocs", NULL },
    { "REQUESTED", 9, PP_COL_HUMAN, "alloc_bytes", NULL },
    { "FREED", 7, PP_COL_COUNT, "freed", NULL },
};


static void
pp_text_site_head(FILE *f, const pp_view_t *v, const char *title,
    const char *what)
{
    fprintf(f, "%s%s%s\n", pp_bold(v), title, pp_off(v));
    pp_columns_head(f, pp_site_cols, pp_ncols(pp_site_cols), what);
}


static void
pp_text_site_row(FILE *f, const pp_site_t *s, const char *name)
{
    pp_columns_row(f, pp_site_cols, pp_ncols(pp_site_cols), &pp_rsites, s,
                   name);
}


/*
 * The detail line under a row whose call lies in a library: the row is
 * named by its owner, the frame in the module, and this line names the
 * library's frame
 */
void
pp_text_library(FILE *f, const pp_report_t *r, uint64_t key, int obj,
    const char *symbol, int indent)
{
    char    lib[PP_NAME_BUF];
    size_t  n;

    if (obj == PP_NO_OBJECT || symbol == NULL || symbol[0] == '\0'
        || pp_text_is_static(symbol))
    {
        pp_name(lib, sizeof(lib), r, key, obj, NULL);

    } else {
        n = strlen(pp_object_name(lib, sizeof(lib), r, obj, PP_OBJECT_BASE));
        if (n + 2 < sizeof(lib)) {
            lib[n++] = ':';
            lib[n++] = ' ';
            pp_escape(lib + n, sizeof(lib) - n, symbol);
        }
    }

    if (strlen(lib) > PP_VIA_NAME) {
        strcpy(lib + PP_VIA_NAME - 3, "...");
    }

    fprintf(f, "  %*s  in library %s\n", indent, "", lib);
}


/*
 * A name in width columns.  A static function's, too long for a column,
 * gives way to the address itself and the function's first caller:
 * "nginx+0x6c8cb, static, from ngx_http_create_request", or the address
 * alone, cut from the front, without one.
 */
static const char *
pp_text_addr_name(char *buf, size_t len, const pp_report_t *r, uint64_t key,
    int obj, const char *symbol, const char *source, size_t width)
{
    char         addr[PP_NAME_BUF], sym[2 * PP_NAME_BUF];
    size_t       n;
    const char  *from;

    if (!pp_text_is_static(symbol)) {
        return pp_text_name(buf, len, r, key, obj, symbol, source, width);
    }

    from = strstr(symbol, " (called from ");
    if (from == NULL) {
        return pp_text_name(buf, len, r, key, obj, NULL, "", width);
    }

    from += 14;
    n = strcspn(from, ",)");
    pp_name(addr, sizeof(addr), r, key, obj, NULL);
    if (n > PP_NAME_BUF / 2) {
        n = PP_NAME_BUF / 2;
    }

    snprintf(sym, sizeof(sym), "%s, static, from %.*s", addr, (int) n, from);

    return pp_text_name(buf, len, r, key, obj, sym, "", width);
}


/* a row's name: its owner's in the module when it lies in a library */
const char *
pp_text_row_name(char *buf, size_t len, const pp_report_t *r, uint64_t key,
    int obj, const char *symbol, const char *source, uint64_t owner,
    int owner_obj, const char *owner_symbol, size_t width)
{
    if (owner != 0 && owner_symbol != NULL) {
        return pp_text_addr_name(buf, len, r, owner, owner_obj, owner_symbol,
                                 "", width);
    }

    return pp_text_addr_name(buf, len, r, key, obj, symbol, source, width);
}


/* one site, and who called nginx's helper when the site is inside one */
static void
pp_text_site(FILE *f, const pp_report_t *r, const pp_rsite_t *s)
{
    char         name[PP_NAME_BUF], via[PP_NAME_BUF];
    const char  *owner;

    pp_text_site_row(f, &s->s,
                     pp_text_row_name(name, sizeof(name), r, s->key, s->obj,
                                      s->symbol, s->source, s->s.owner,
                                      s->owner_obj, s->owner_symbol,
                                      PP_SITE_NAME));

    if (s->s.owner != 0 && s->owner_symbol != NULL) {
        pp_text_library(f, r, s->key, s->obj, s->symbol, 58);
        return;
    }

    owner = s->overflow ? NULL : pp_stacks_owner(via, sizeof(via), r, s->key);

    if (owner != NULL) {
        if (strlen(via) > PP_VIA_NAME) {
            strcpy(via + PP_VIA_NAME - 3, "...");
        }
        fprintf(f, "  %58s  via %s\n", "", via);
    }
}


void
pp_text_sites(FILE *f, const pp_report_t *r, const pp_view_t *v)
{
    char    title[80];
    size_t  i;

    if (v->sort > 0) {
        snprintf(title, sizeof(title), "top sites by %s",
                 pp_sort_name(PP_BY_SITE, v->sort));
    } else {
        snprintf(title, sizeof(title), "top sites by wasted (pinned) bytes");
    }

    pp_text_site_head(f, v, title, "SITE");

    if (r->nsites == 0) {
        fputs("  none\n", f);
    }

    for (i = 0; i < r->nsites && i < v->top; i++) {
        pp_text_site(f, r, &r->sites[i]);
    }

    if (r->nsites > v->top) {
        fprintf(f, "  ... %zu more\n", r->nsites - v->top);
    }
}


static int
pp_noop_cmp(const void *a, const void *b)
{
    const pp_rsite_t  *x, *y;

    x = *(const pp_rsite_t * const *) a;
    y = *(const pp_rsite_t * const *) b;

    if (x->overflow != y->overflow) {
        return x->overflow - y->overflow;
    }

    if (x->s.noop_frees != y->s.noop_frees) {
        return x->s.noop_frees > y->s.noop_frees ? -1 : 1;
    }

    if (x->s.pinned_bytes != y->s.pinned_bytes) {
        return x->s.pinned_bytes > y->s.pinned_bytes ? -1 : 1;
    }

    return x < y ? -1 : x > y;
}


/*
 * The sites that made no-op frees, most first: only when the table above
 * does not already show them in this order.  Pointers are sorted, not
 * the rows: a full segment has 10^5 sites.
 */
void
pp_text_noops(FILE *f, const pp_report_t *r, const pp_view_t *v)
{
    size_t              i, n, shown;
    const pp_rsite_t  **s;

    s = malloc((r->nsites + 1) * sizeof(pp_rsite_t *));
    if (s == NULL) {
        return;
    }

    for (i = 0, n = 0; i < r->nsites; i++) {
        if (r->sites[i].s.noop_frees != 0) {
            s[n++] = &r->sites[i];
        }
    }

    qsort(s, n, sizeof(pp_rsite_t *), pp_noop_cmp);

    shown = n < v->top ? n : v->top;

    for (i = 0; i < shown; i++) {
        if (s[i] != &r->sites[i]) {
            break;
        }
    }

    if (i < shown) {
        fputc('\n', f);
        pp_text_site_head(f, v, "top sites by no-op frees", "SITE");

        for (i = 0; i < shown; i++) {
            pp_text_site(f, r, s[i]);
        }

        if (n > shown) {
            fprintf(f, "  ... %zu more\n", n - shown);
        }
    }

    free(s);
}


/*
 * "/usr/lib/nginx/modules/x.so, 12 sites"; what does not fit goes: the
 * front of the directories, the count, the front of the file's name
 */
static const char *
pp_text_module_name(char *buf, size_t len, const pp_report_t *r, int obj,
    int overflow, size_t nsites)
{
    char         tail[32], path[PP_NAME_BUF];
    size_t       n, b, t, w;
    const char  *base;

    if (overflow || obj == PP_NO_OBJECT) {
        snprintf(path, sizeof(path), "%s",
                 overflow ? "(overflow)" : "(no object)");
    } else {
        pp_object_name(path, sizeof(path), r, obj, PP_OBJECT_PATH);
    }

    snprintf(tail, sizeof(tail), ", %zu site%s", nsites,
             nsites == 1 ? "" : "s");

    base = strrchr(path, '/');
    base = base != NULL ? base + 1 : path;

    n = strlen(path);
    b = strlen(base);
    t = strlen(tail);
    w = PP_SITE_NAME;

    if (n + t <= w) {
        snprintf(buf, len, "%s%s", path, tail);

    } else if (b + 3 + t <= w) {
        snprintf(buf, len, "...%s%s", path + n - (w - 3 - t), tail);

    } else if (b <= w) {
        snprintf(buf, len, "%s", base);

    } else {
        snprintf(buf, len, "...%s", base + b - (w - 3));
    }

    return buf;
}


typedef struct {
    pp_site_t               sum;
    size_t                  nsites;
    int                     obj;
    int                     overflow;
} pp_module_t;


/* key: the --sort key, the context of qsort_r() */
static int
pp_module_cmp(const void *a, const void *b, void *key)
{
    int                 x;
    const pp_module_t  *p = a, *q = b;

    if (p->overflow != q->overflow) {
        return p->overflow - q->overflow;
    }

    x = pp_site_order(&p->sum, &q->sum, *(const int *) key);

    return x != 0 ? x : p->obj - q->obj;
}


/*
 * --by module: the sites summed by the nginx module responsible, the
 * object file that holds them or, for a library's sites, the one that
 * holds their owner
 */
void
pp_text_modules(FILE *f, const pp_report_t *r, const pp_view_t *v)
{
    int           k;
    char          name[PP_NAME_BUF], title[80];
    size_t        i, n, nm;
    pp_module_t  *m;

    /* one slot per object, one for "no object", one for the overflow */
    nm = r->nobjs + 2;
    m = calloc(nm, sizeof(pp_module_t));
    if (m == NULL) {
        return;
    }

    for (i = 0; i < nm; i++) {
        m[i].obj = (int) i - 1;
        m[i].overflow = i == nm - 1;
    }

    for (i = 0; i < r->nsites; i++) {
        k = r->sites[i].overflow ? (int) nm - 1
            : pp_row_module(&r->sites[i], r->sites[i].s.owner) + 1;
        if (k < 0 || (size_t) k >= nm) {
            continue;
        }
        pp_rows_add_site(&m[k].sum, &r->sites[i].s);
        m[k].nsites++;
    }

    /* only the modules that hold sites */
    for (i = 0, n = 0; i < nm; i++) {
        if (m[i].nsites != 0) {
            m[n++] = m[i];
        }
    }

    qsort_r(m, n, sizeof(pp_module_t), pp_module_cmp, (void *) &v->sort);

    snprintf(title, sizeof(title), "sites by module (object file), by %s",
             v->sort > 0 ? pp_sort_name(PP_BY_SITE, v->sort)
                         : "wasted (pinned) bytes");
    pp_text_site_head(f, v, title, "MODULE");

    if (n == 0) {
        fputs("  none\n", f);
    }

    for (i = 0; i < n && i < v->top; i++) {
        pp_text_site_row(f, &m[i].sum,
                         pp_text_module_name(name, sizeof(name), r, m[i].obj,
                                             m[i].overflow, m[i].nsites));
    }

    if (n > v->top) {
        fprintf(f, "  ... %zu more\n", n - v->top);
    }

    free(m);
}
