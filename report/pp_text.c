/*
 * The default output: a summary that fits 100 columns.  Wasted bytes are
 * always shown with their parts; the warnings come last.
 */

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "pp_report.h"


#define PP_TEXT_WIDTH   100
#define PP_NAME_WIDTH   44
#define PP_NAME_BUF     (2 * PP_PATH_MAX + 32)


/* 1234 -> "1.2 KiB"; buf holds at least 16 bytes */
static const char *
pp_human(char *buf, size_t len, uint64_t v)
{
    double       d;
    unsigned     u;
    const char  *units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };

    if (v < 1024) {
        snprintf(buf, len, "%llu B", (unsigned long long) v);
        return buf;
    }

    d = (double) v;
    for (u = 0; d >= 1024 && u < 6; u++) {
        d /= 1024;
    }

    snprintf(buf, len, "%.1f %s", d, units[u]);

    return buf;
}


static const char *
pp_basename(const char *path)
{
    const char  *s;

    s = strrchr(path, '/');

    return s != NULL ? s + 1 : path;
}


/* "symbol (object)" or "object+0xoff", cut to PP_NAME_WIDTH */
static const char *
pp_text_name(char *buf, size_t len, pp_report_t *r, uint64_t key, int obj,
    const char *symbol)
{
    const char  *o;

    o = obj != PP_NO_OBJECT ? pp_basename(r->objs[obj].o.path) : "";

    if (symbol != NULL && symbol[0] != '\0') {
        if (o[0] != '\0') {
            snprintf(buf, len, "%s (%s)", symbol, o);
        } else {
            snprintf(buf, len, "%s", symbol);
        }

    } else if (obj != PP_NO_OBJECT) {
        snprintf(buf, len, "%s+0x%llx", o,
                 (unsigned long long) (key - r->objs[obj].o.base));

    } else {
        snprintf(buf, len, "0x%llx", (unsigned long long) key);
    }

    if (len > PP_NAME_WIDTH + 1 && strlen(buf) > PP_NAME_WIDTH) {
        strcpy(buf + PP_NAME_WIDTH - 3, "...");
    }

    return buf;
}


static void
pp_text_header(FILE *f, pp_report_t *r)
{
    char         when[64];
    size_t       i, col;
    time_t       t;
    struct tm    tm;
    pp_rproc_t  *p;

    t = (time_t) (r->hdr.created_real_ns / 1000000000);
    if (localtime_r(&t, &tm) == NULL
        || strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm) == 0)
    {
        snprintf(when, sizeof(when), "?");
    }

    fprintf(f, "segment %s, created %s by pid %u (%s)\n", r->path, when,
            r->hdr.creator_pid, r->hdr.exe);

    col = fprintf(f, "processes:");
    if (r->nprocs == 0) {
        fputs(" none", f);
    }

    for (i = 0; i < r->nprocs; i++) {
        p = &r->procs[i];
        if (col > PP_TEXT_WIDTH - 30) {
            col = fprintf(f, "\n          ");
        }
        col += fprintf(f, " %u %s %s%s", p->pid, pp_role_name(p->role),
                       pp_status_name(p->status),
                       i + 1 < r->nprocs ? "," : "");
    }

    fputs("\n\n", f);
}


static void
pp_text_totals(FILE *f, const pp_totals_t *t)
{
    char  a[32], b[32], c[32], d[32], e[32];

    fprintf(f, "wasted pool memory: %s = pinned %s (%llu no-op frees) "
            "+ unused %s at destroy\n",
            pp_human(a, sizeof(a), t->pinned_bytes + t->unused_bytes),
            pp_human(b, sizeof(b), t->pinned_bytes),
            (unsigned long long) t->noop_frees,
            pp_human(c, sizeof(c), t->unused_bytes));

    fprintf(f, "  of unused: stranded %s; padding %s\n",
            pp_human(d, sizeof(d), t->stranded_bytes),
            pp_human(e, sizeof(e), t->padding_bytes));

    fprintf(f, "  pools %llu created, %llu destroyed, %llu resets; "
            "%llu allocations, %s requested; %llu freed\n",
            (unsigned long long) t->pools_created,
            (unsigned long long) t->pools_destroyed,
            (unsigned long long) t->pool_resets,
            (unsigned long long) t->allocs,
            pp_human(a, sizeof(a), t->alloc_bytes),
            (unsigned long long) t->freed);

    fprintf(f, "  buffers: free-list %llu hits, %llu misses; %llu recycled, "
            "%llu busy; chain links %llu/%llu\n\n",
            (unsigned long long) t->fb_hits,
            (unsigned long long) t->fb_misses,
            (unsigned long long) t->recycled, (unsigned long long) t->busy,
            (unsigned long long) t->cl_hits,
            (unsigned long long) t->cl_misses);
}


static void
pp_text_sites(FILE *f, pp_report_t *r, unsigned top)
{
    char         name[PP_NAME_BUF], a[32], b[32];
    size_t       i;
    pp_rsite_t  *s;
    const char  *via;

    fprintf(f, "top sites by pinned bytes\n  %-10s %9s %9s %10s %8s  %s\n",
            "PINNED", "NO-OP", "ALLOCS", "REQUESTED", "FREED", "SITE");

    for (i = 0; i < r->nsites && i < top; i++) {
        s = &r->sites[i];
        fprintf(f, "  %-10s %9llu %9llu %10s %8llu  %s\n",
                pp_human(a, sizeof(a), s->s.pinned_bytes),
                (unsigned long long) s->s.noop_frees,
                (unsigned long long) s->s.allocs,
                pp_human(b, sizeof(b), s->s.alloc_bytes),
                (unsigned long long) s->s.freed,
                pp_text_name(name, sizeof(name), r, s->key, s->obj,
                             s->symbol));

        /* a site inside nginx's helpers: who called them */
        via = pp_stacks_owner(r, s->key);
        if (via != NULL) {
            fprintf(f, "  %52s  via %s\n", "", via);
        }
    }

    if (r->nsites > top) {
        fprintf(f, "  ... %zu more\n", r->nsites - top);
    }

    fputc('\n', f);
}


static void
pp_text_pools(FILE *f, pp_report_t *r, unsigned top)
{
    char         name[PP_NAME_BUF], a[32], b[32], c[32], d[32];
    size_t       i;
    pp_rpool_t  *p;

    fprintf(f, "pools by creating site\n  %8s %9s %9s %10s %9s %9s  %s\n",
            "CREATED", "DESTROYED", "SIZE", "UNUSED", "USED p50", "USED p95",
            "SITE");

    for (i = 0; i < r->npools && i < top; i++) {
        p = &r->pools[i];
        fprintf(f, "  %8llu %9llu %9s %10s %9s %9s  %s\n",
                (unsigned long long) p->p.created,
                (unsigned long long) p->p.destroyed,
                pp_human(a, sizeof(a), p->p.size),
                pp_human(b, sizeof(b), p->p.unused_bytes),
                pp_human(c, sizeof(c), pp_rhist_percentile(&p->used, 50)),
                pp_human(d, sizeof(d), pp_rhist_percentile(&p->used, 95)),
                pp_text_name(name, sizeof(name), r, p->key, p->obj,
                             p->symbol));
    }

    if (r->npools > top) {
        fprintf(f, "  ... %zu more\n", r->npools - top);
    }

    fputc('\n', f);
}


static void
pp_text_tags(FILE *f, pp_report_t *r, unsigned top)
{
    char        name[PP_NAME_BUF];
    size_t      i;
    pp_rtag_t  *t;

    fprintf(f, "buffer reuse by tag\n  %9s %9s %6s %9s %7s  %s\n",
            "HITS", "MISSES", "REUSE", "RECYCLED", "BUSY", "TAG");

    for (i = 0; i < r->ntags && i < top; i++) {
        t = &r->tags[i];
        fprintf(f, "  %9llu %9llu %5.1f%% %9llu %7llu  %s\n",
                (unsigned long long) (t->t.hits + t->t.own_hits),
                (unsigned long long) (t->t.misses + t->t.own_misses),
                pp_tag_reuse(&t->t) * 100,
                (unsigned long long) t->t.recycled,
                (unsigned long long) t->t.busy,
                pp_text_name(name, sizeof(name), r, t->key, t->obj,
                             t->symbol));
    }

    if (r->ntags > top) {
        fprintf(f, "  ... %zu more\n", r->ntags - top);
    }

    fputc('\n', f);
}


static void
pp_text_warnings(FILE *f, pp_report_t *r)
{
    size_t              i, crashed;
    const pp_totals_t  *t;

    t = &r->totals;
    crashed = 0;

    for (i = 0; i < r->nprocs; i++) {
        crashed += r->procs[i].status == PP_STATUS_CRASHED;
    }

    fputs("warnings:\n", f);

    if (crashed) {
        fprintf(f, "  %zu process(es) crashed: their counts stop at the "
                "crash\n", crashed);
    }

    if (t->foreign_frees) {
        fprintf(f, "  %llu ngx_pfree() of pointers their pool never handed "
                "out\n", (unsigned long long) t->foreign_frees);
    }

    if (t->unknown_frees) {
        fprintf(f, "  %llu no-op frees of unknown size (POOLPROF_MAX_TRACKED)"
                "\n", (unsigned long long) t->unknown_frees);
    }

    if (t->untracked) {
        fprintf(f, "  %llu events on untracked pools\n",
                (unsigned long long) t->untracked);
    }

    if (t->other_threads) {
        fprintf(f, "  %llu calls from other threads were not recorded\n",
                (unsigned long long) t->other_threads);
    }

    if (t->overflow) {
        fprintf(f, "  %llu events found no room in the tables: see the "
                "(overflow) rows; raise POOLPROF_SIZE\n",
                (unsigned long long) t->overflow);
    }

    if (r->hdr.hooks_failed) {
        fprintf(f, "  %u functions could not be hooked\n",
                r->hdr.hooks_failed);
    }

    for (i = 0; i < r->nwarnings; i++) {
        fprintf(f, "  %s\n", r->warnings[i]);
    }
}


void
pp_text_print(FILE *f, pp_report_t *r, unsigned top)
{
    pp_text_header(f, r);
    pp_text_totals(f, &r->totals);
    pp_text_sites(f, r, top);
    pp_text_pools(f, r, top);
    pp_text_tags(f, r, top);
    pp_leaks_text(f, r, top);
    pp_text_warnings(f, r);
}
