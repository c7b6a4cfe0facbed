/*
 * The default output: a summary that fits 100 columns.  Wasted bytes are
 * always shown with their parts; the warnings come last.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pp_report.h"


#define PP_TEXT_WIDTH   100
#define PP_NAME_WIDTH   44
#define PP_NAME_BUF     (2 * PP_PATH_MAX + 32)


/* 1234 -> "1.2 KiB"; buf holds at least 16 bytes */
const char *
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


/* ANSI attributes, only when r->color */
#define pp_bold(r)    ((r)->color ? "\033[1m" : "")
#define pp_warn(r)    ((r)->color ? "\033[33m" : "")
#define pp_red(r)     ((r)->color ? "\033[31m" : "")
#define pp_off(r)     ((r)->color ? "\033[0m" : "")


static const char *
pp_basename(const char *path)
{
    const char  *s;

    s = strrchr(path, '/');

    return s != NULL ? s + 1 : path;
}


/* "symbol (object)" or "object+0xoff", cut to PP_NAME_WIDTH */
static const char *
pp_text_name_w(char *buf, size_t len, pp_report_t *r, uint64_t key, int obj,
    const char *symbol, size_t width)
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

    if (len > width + 1 && strlen(buf) > width) {
        strcpy(buf + width - 3, "...");
    }

    return buf;
}


static const char *
pp_text_name(char *buf, size_t len, pp_report_t *r, uint64_t key, int obj,
    const char *symbol)
{
    return pp_text_name_w(buf, len, r, key, obj, symbol, PP_NAME_WIDTH);
}


/* from the segment's creation to now, or to its last process's exit */
static double
pp_text_duration(pp_report_t *r)
{
    size_t           i;
    uint64_t         end;
    struct timespec  ts;

    end = 0;

    for (i = 0; i < r->nprocs; i++) {
        if (r->procs[i].status == PP_STATUS_ALIVE) {
            clock_gettime(CLOCK_MONOTONIC, &ts);
            end = (uint64_t) ts.tv_sec * 1000000000 + (uint64_t) ts.tv_nsec;
            break;
        }

        if (r->procs[i].end_mono_ns > end) {
            end = r->procs[i].end_mono_ns;
        }
    }

    return end > r->hdr.created_mono_ns
           ? (double) (end - r->hdr.created_mono_ns) / 1e9 : 0.0;
}


static void
pp_text_header(FILE *f, pp_report_t *r)
{
    char         when[64];
    double       dur;
    size_t       i, col, n[3];
    time_t       t;
    struct tm    tm;
    pp_rproc_t  *p;

    t = (time_t) (r->hdr.created_real_ns / 1000000000);
    if (localtime_r(&t, &tm) == NULL
        || strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm) == 0)
    {
        snprintf(when, sizeof(when), "?");
    }

    fprintf(f, "%ssegment%s %s, created %s by pid %u (%s)%s\n",
            pp_bold(r), pp_off(r), r->path, when, r->hdr.creator_pid,
            r->hdr.exe, r->diff ? ", differences from the base" : "");

    for (i = 0; i < 3; i++) {
        n[i] = 0;
    }
    for (i = 0; i < r->nprocs; i++) {
        n[r->procs[i].status < 3 ? r->procs[i].status : 0]++;
    }

    dur = pp_text_duration(r);
    fprintf(f, "%zu processes: %zu alive, %zu exited, %s%zu crashed%s; "
            "recorded for %.1f s\n", r->nprocs, n[PP_STATUS_ALIVE],
            n[PP_STATUS_EXITED], n[PP_STATUS_CRASHED] ? pp_warn(r) : "",
            n[PP_STATUS_CRASHED], n[PP_STATUS_CRASHED] ? pp_off(r) : "",
            dur);

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
pp_text_totals(FILE *f, pp_report_t *r, const pp_totals_t *t)
{
    char  a[32], b[32], c[32], d[32], e[32];

    fprintf(f, "%swasted pool memory: %s%s%s = pinned %s (%llu no-op frees) "
            "+ unused %s at destroy\n", pp_bold(r), pp_red(r),
            pp_human(a, sizeof(a), t->pinned_bytes + t->unused_bytes),
            pp_off(r),
            pp_human(b, sizeof(b), t->pinned_bytes),
            (unsigned long long) t->noop_frees,
            pp_human(c, sizeof(c), t->unused_bytes));

    fprintf(f, "  of unused: stranded %s; padding %s\n",
            pp_human(d, sizeof(d), t->stranded_bytes),
            pp_human(e, sizeof(e), t->padding_bytes));

    fprintf(f, "  pools %llu created, %llu destroyed, %llu resets\n"
            "  %llu allocations, %s requested; %llu freed\n",
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
pp_text_site_row(FILE *f, const pp_site_t *s, const char *name)
{
    char  a[32], b[32], c[32];

    snprintf(c, sizeof(c), "%.3g", s->pinned_byte_seconds);

    fprintf(f, "  %9s %8llu %9s %9llu %9s %7llu  %s\n",
            pp_human(a, sizeof(a), s->pinned_bytes),
            (unsigned long long) s->noop_frees, c,
            (unsigned long long) s->allocs,
            pp_human(b, sizeof(b), s->alloc_bytes),
            (unsigned long long) s->freed, name);
}


static void
pp_text_sites(FILE *f, pp_report_t *r, const char *title)
{
    char         name[PP_NAME_BUF];
    size_t       i;
    pp_rsite_t  *s;
    const char  *via;

    fprintf(f, "%s%s%s\n  %9s %8s %9s %9s %9s %7s  %s\n", pp_bold(r), title,
            pp_off(r), "PINNED", "NO-OP", "BYTE-SEC", "ALLOCS", "REQUESTED",
            "FREED", "SITE");

    for (i = 0; i < r->nsites && i < r->top; i++) {
        s = &r->sites[i];
        pp_text_site_row(f, &s->s,
                         pp_text_name_w(name, sizeof(name), r, s->key, s->obj,
                                        s->symbol, 38));

        /* a site inside nginx's helpers: who called them */
        via = pp_stacks_owner(r, s->key);
        if (via != NULL) {
            fprintf(f, "  %58s  via %s\n", "", via);
        }
    }

    if (r->nsites > r->top) {
        fprintf(f, "  ... %zu more\n", r->nsites - r->top);
    }

    fputc('\n', f);
}


/* --by module: the sites summed by the object file that holds them */
static void
pp_text_modules(FILE *f, pp_report_t *r)
{
    int         *done;
    char         cut[40];
    size_t       i, j, shown;
    pp_site_t    sum;
    const char  *name;

    done = calloc(r->nsites + 1, sizeof(int));
    if (done == NULL) {
        return;
    }

    fprintf(f, "%ssites by module (object file)%s\n  %9s %8s %9s %9s %9s "
            "%7s  %s\n", pp_bold(r), pp_off(r), "PINNED", "NO-OP",
            "BYTE-SEC", "ALLOCS", "REQUESTED", "FREED", "MODULE");

    /* sites are sorted: each module appears in the order of its worst */
    for (i = 0, shown = 0; i < r->nsites && shown < r->top; i++) {
        if (done[i]) {
            continue;
        }

        memset(&sum, 0, sizeof(sum));

        for (j = i; j < r->nsites; j++) {
            if (!done[j] && r->sites[j].obj == r->sites[i].obj
                && r->sites[j].overflow == r->sites[i].overflow)
            {
                pp_site_add(&sum, &r->sites[j].s);
                done[j] = 1;
            }
        }

        name = r->sites[i].overflow ? "(overflow)"
               : r->sites[i].obj == PP_NO_OBJECT ? "(unknown)"
               : r->objs[r->sites[i].obj].o.path;

        /* the end of a long path says most */
        if (strlen(name) > 38) {
            snprintf(cut, sizeof(cut), "...%s", name + strlen(name) - 35);
            name = cut;
        }

        pp_text_site_row(f, &sum, name);
        shown++;
    }

    free(done);
    fputc('\n', f);
}


/* the size a pool needs for used bytes: nginx rounds nothing; 1 KiB steps */
static uint64_t
pp_text_suggest(uint64_t used)
{
    /* sizeof(ngx_pool_t) on LP64: the header the pool size includes */
    return (used + 80 + 1023) / 1024 * 1024;
}


static void
pp_text_pools(FILE *f, pp_report_t *r)
{
    char         name[PP_NAME_BUF], a[32], b[32], c[32], d[32], e[32];
    size_t       i;
    uint64_t     p95, gens, want;
    pp_rpool_t  *p;

    fprintf(f, "%spool sizing by creating site%s (used bytes per pool; "
            "SPILL: pools that needed more blocks)\n"
            "  %8s %8s %8s %8s %8s %6s %9s  %s\n", pp_bold(r), pp_off(r),
            "CREATED", "SIZE", "p50", "p95", "p99", "SPILL", "SIZE FOR",
            "SITE");

    for (i = 0; i < r->npools && i < r->top; i++) {
        p = &r->pools[i];
        p95 = pp_rhist_percentile(&p->used, 95);
        gens = p->p.destroyed + p->p.resets;
        want = pp_text_suggest(p95);

        if (gens == 0) {
            snprintf(e, sizeof(e), "-");
        } else if (p->p.size >= want) {
            snprintf(e, sizeof(e), "ok");
        } else {
            pp_human(e, sizeof(e), want);
        }

        fprintf(f, "  %8llu %8s %8s %8s %8s %5.1f%% %9s  %s\n",
                (unsigned long long) p->p.created,
                pp_human(a, sizeof(a), p->p.size),
                pp_human(b, sizeof(b), pp_rhist_percentile(&p->used, 50)),
                pp_human(c, sizeof(c), p95),
                pp_human(d, sizeof(d), pp_rhist_percentile(&p->used, 99)),
                gens ? 100.0 * (double) p->p.spilled / (double) gens : 0.0,
                e, pp_text_name_w(name, sizeof(name), r, p->key, p->obj,
                                  p->symbol, 32));
    }

    if (r->npools > r->top) {
        fprintf(f, "  ... %zu more\n", r->npools - r->top);
    }

    fprintf(f, "  SIZE FOR: the pool size that holds p95 (request_pool_size, "
            "connection_pool_size\n  or the module's ngx_create_pool()); "
            "percentiles are bucket lower bounds (~)\n\n");
}


static void
pp_text_tags(FILE *f, pp_report_t *r)
{
    char        name[PP_NAME_BUF];
    size_t      i;
    pp_rtag_t  *t;

    fprintf(f, "%sbuffer reuse by tag, worst first%s\n"
            "  %9s %9s %6s %9s %7s  %s\n", pp_bold(r), pp_off(r),
            "HITS", "MISSES", "REUSE", "RECYCLED", "BUSY", "TAG");

    for (i = 0; i < r->ntags && i < r->top; i++) {
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

    if (r->ntags > r->top) {
        fprintf(f, "  ... %zu more\n", r->ntags - r->top);
    }

    fputc('\n', f);
}


static int
pp_noop_cmp(const void *a, const void *b)
{
    const pp_rsite_t  *x, *y;

    x = a;
    y = b;

    if (x->overflow != y->overflow) {
        return x->overflow - y->overflow;
    }

    if (x->s.noop_frees != y->s.noop_frees) {
        return x->s.noop_frees > y->s.noop_frees ? -1 : 1;
    }

    return x->key < y->key ? -1 : x->key > y->key;
}


/* the second view of the sites, by no-op frees, when it differs */
static void
pp_text_noops(FILE *f, pp_report_t *r)
{
    pp_rsite_t  *copy, *saved;

    if (r->nsites < 2) {
        return;
    }

    copy = malloc(r->nsites * sizeof(pp_rsite_t));
    if (copy == NULL) {
        return;
    }

    memcpy(copy, r->sites, r->nsites * sizeof(pp_rsite_t));
    qsort(copy, r->nsites, sizeof(pp_rsite_t), pp_noop_cmp);

    if (copy[0].s.noop_frees != 0
        && memcmp(copy, r->sites, r->nsites * sizeof(pp_rsite_t)) != 0)
    {
        saved = r->sites;
        r->sites = copy;
        pp_text_sites(f, r, "top sites by no-op frees");
        r->sites = saved;
    }

    free(copy);
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

    fprintf(f, "%swarnings:%s\n", pp_warn(r), pp_off(r));

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
    if (top != 0) {
        r->top = top;
    }

    if (r->top == 0) {
        r->top = 10;
    }

    pp_text_header(f, r);
    pp_text_totals(f, r, &r->totals);

    switch (r->by) {

    case PP_BY_MODULE:
        pp_text_modules(f, r);
        break;

    case PP_BY_POOL:
        pp_text_pools(f, r);
        break;

    case PP_BY_TAG:
        pp_text_tags(f, r);
        break;

    default:
        pp_text_sites(f, r, "top sites by wasted (pinned) bytes");
        if (r->sort <= 0) {
            pp_text_noops(f, r);
        }
        pp_text_pools(f, r);
        pp_text_tags(f, r);
        pp_leaks_text(f, r, r->top);
    }

    pp_text_warnings(f, r);
}
