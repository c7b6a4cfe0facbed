/*
 * The default output, one screen first and details after: the segment
 * and its processes, the totals (wasted bytes always with their parts),
 * then the tables of pp_text_tables.c, leaks and growth, and the
 * warnings last.  Every line fits 100 columns.  Names come from the
 * segment and from object files, neither trusted: every one is made by
 * pp_name() or pp_object_name(), or goes through pp_escape(), before it
 * is laid out, so that control characters never reach the terminal and
 * the columns hold.
 */

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pp_text.h"
#include "pp_time.h"


/* 1234 -> "1.2 KiB", 123456 -> "121 KiB": at most 8 characters */
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

    snprintf(buf, len, d < 99.95 ? "%.1f %s" : "%.0f %s", d, units[u]);

    return buf;
}


/*
 * s from column col, words wrapped at PP_TEXT_WIDTH onto lines indented
 * by indent; a word longer than a line (a path) is broken; ends the line
 */
static void
pp_text_wrap(FILE *f, size_t col, size_t indent, const char *s)
{
    int     fresh;
    size_t  n, room;

    /* nothing before the first word when it starts a line's text */
    fresh = col <= indent;

    while (*s != '\0') {
        while (*s == ' ') {
            s++;
        }

        if (*s == '\0') {
            break;
        }

        n = strcspn(s, " ");
        room = PP_TEXT_WIDTH - col;

        if (!fresh && n + 1 > room) {
            fprintf(f, "\n%*s", (int) indent, "");
            col = indent;
            room = PP_TEXT_WIDTH - col;

        } else if (!fresh) {
            fputc(' ', f);
            col++;
            room--;
        }

        if (n > room) {
            n = room;
        }

        fwrite(s, 1, n, f);
        col += n;
        s += n;
        fresh = 0;

        if (*s != '\0' && *s != ' ') {
            /* the rest of a broken word */
            fprintf(f, "\n%*s", (int) indent, "");
            col = indent;
            fresh = 1;
        }
    }

    fputc('\n', f);
}


/* from the segment's creation to now, or to its last process's exit */
static double
pp_text_duration(const pp_report_t *r)
{
    size_t           i;
    uint64_t         end;

    end = 0;

    for (i = 0; i < r->nprocs; i++) {
        if (r->procs[i].status == PP_STATUS_ALIVE) {
            end = pp_mono_ns();
            break;
        }

        if (r->procs[i].end_mono_ns > end) {
            end = r->procs[i].end_mono_ns;
        }
    }

    return end > r->hdr.created_mono_ns
           ? (double) (end - r->hdr.created_mono_ns) / 1e9 : 0.0;
}


/*
 * "master 7299 exited; 2 workers exited: 7303 7304": processes grouped
 * by role and state in the order of their shards, a few pids each
 */
static void
pp_text_procs(FILE *f, const pp_report_t *r)
{
    int          col, len;
    char         item[160], pids[96];
    size_t       i, k, n, shown;
    uint8_t     *done;
    const char  *role, *state;

    done = calloc(r->nprocs + 1, 1);
    if (done == NULL) {
        return;
    }

    col = fprintf(f, " ");

    for (i = 0; i < r->nprocs; i++) {
        if (done[i]) {
            continue;
        }

        n = 0;
        shown = 0;
        pids[0] = '\0';

        for (k = i; k < r->nprocs; k++) {
            if (done[k] || r->procs[k].role != r->procs[i].role
                || r->procs[k].status != r->procs[i].status)
            {
                continue;
            }

            done[k] = 1;
            n++;

            if (shown < 4) {
                len = (int) strlen(pids);
                snprintf(pids + len, sizeof(pids) - (size_t) len, " %u",
                         r->procs[k].pid);
                shown++;
            }
        }

        role = pp_role_name(r->procs[i].role);
        state = pp_status_name(r->procs[i].status);

        if (n == 1) {
            len = snprintf(item, sizeof(item), " %s%s %s", role, pids, state);
        } else if (n == shown) {
            len = snprintf(item, sizeof(item), " %zu %ss %s:%s", n, role,
                           state, pids);
        } else {
            len = snprintf(item, sizeof(item), " %zu %ss %s:%s and %zu more",
                           n, role, state, pids, n - shown);
        }

        if (col > 1 && col + len + 1 > PP_TEXT_WIDTH) {
            fputs(";\n ", f);
            col = 1;
        } else if (col > 1) {
            fputc(';', f);
            col++;
        }

        fputs(item, f);
        col += len;
    }

    fputc('\n', f);
    free(done);
}


static void
pp_text_header(FILE *f, const pp_report_t *r, const pp_view_t *v)
{
    char         when[64], line[2 * PP_PATH_MAX + 4096],
                 esc[4 * sizeof(line)];
    double       dur;
    size_t       i, n[3];

    pp_when(when, sizeof(when), r->hdr.created_real_ns);

    snprintf(line, sizeof(line), "%s, created %s by pid %u (%s)",
             r->path != NULL ? r->path : "", when, r->hdr.creator_pid,
             r->hdr.exe);

    fprintf(f, "%ssegment%s", pp_bold(v), pp_off(v));
    pp_text_wrap(f, 7, 2, pp_escape(esc, sizeof(esc), line));

    if (v->diff != NULL) {
        snprintf(line, sizeof(line), "from %s; unchanged rows are left out",
                 v->diff);
        fprintf(f, "%scounts are differences%s", pp_bold(v), pp_off(v));
        pp_text_wrap(f, 22, 2, pp_escape(esc, sizeof(esc), line));
    }

    if (r->estimated) {
        snprintf(line, sizeof(line), "1 in %u pools tracked, counts scaled "
                 "by %u", r->sample_period, r->sample_period);
        fprintf(f, "%sestimates:%s", pp_bold(v), pp_off(v));
        pp_text_wrap(f, 10, 2, line);
    }

    n[0] = n[1] = n[2] = 0;
    for (i = 0; i < r->nprocs; i++) {
        n[r->procs[i].status < 3 ? r->procs[i].status : 0]++;
    }

    dur = pp_text_duration(r);
    fprintf(f, "%zu processes: %zu alive, %zu exited, %s%zu crashed%s; "
            "recorded for %.1f s", r->nprocs, n[PP_STATUS_ALIVE],
            n[PP_STATUS_EXITED], n[PP_STATUS_CRASHED] ? pp_warn(v) : "",
            n[PP_STATUS_CRASHED], n[PP_STATUS_CRASHED] ? pp_off(v) : "",
            dur);

    if (r->hdr.retired != 0) {
        fprintf(f, "; %u ended and retired (%u crashed)", r->hdr.retired,
                r->hdr.retired_crashed);
    }

    if (r->nwarnings != 0) {
        fprintf(f, "; %s%zu warning%s at the end%s", pp_warn(v),
                r->nwarnings, r->nwarnings == 1 ? "" : "s", pp_off(v));
    }

    fputc('\n', f);

    pp_text_procs(f, r);
}


static void
pp_text_totals(FILE *f, const pp_view_t *v, const pp_totals_t *t)
{
    char  a[32], b[32], c[32], d[32], e[32];

    fprintf(f, "%swasted pool memory: %s%s%s = pinned %s (%llu no-op frees) "
            "+ unused %s at destroy\n", pp_bold(v), pp_red(v),
            pp_human(a, sizeof(a), t->pinned_bytes + t->unused_bytes),
            pp_off(v),
            pp_human(b, sizeof(b), t->pinned_bytes),
            (unsigned long long) t->noop_frees,
            pp_human(c, sizeof(c), t->unused_bytes));

    fprintf(f, "  of unused: stranded %s (in blocks nginx stopped "
            "allocating from); padding %s\n",
            pp_human(d, sizeof(d), t->stranded_bytes),
            pp_human(e, sizeof(e), t->padding_bytes));

    fprintf(f, "  pools %llu created, %llu destroyed, %llu resets\n"
            "  %llu allocations, %s requested; %llu freed by ngx_pfree()\n",
            (unsigned long long) t->pools_created,
            (unsigned long long) t->pools_destroyed,
            (unsigned long long) t->pool_resets,
            (unsigned long long) t->allocs,
            pp_human(a, sizeof(a), t->alloc_bytes),
            (unsigned long long) t->freed);

    fprintf(f, "  buffers: free-list %llu hits, %llu misses; %llu recycled, "
            "%llu busy; chain links %llu/%llu\n",
            (unsigned long long) t->fb_hits,
            (unsigned long long) t->fb_misses,
            (unsigned long long) t->recycled, (unsigned long long) t->busy,
            (unsigned long long) t->cl_hits,
            (unsigned long long) t->cl_misses);
}


/* the kinds of ngx_pfree() that are not what a module meant */
static const struct {
    size_t                  off;        /* in pp_site_t */
    const char             *what;
} pp_free_kinds[] = {
    { offsetof(pp_site_t, frees_cross_pool),
      "ngx_pfree() of another live pool's memory (cross-pool)" },
    { offsetof(pp_site_t, frees_interior),
      "ngx_pfree() of a pointer inside an allocation (interior)" },
    { offsetof(pp_site_t, frees_repeated),
      "ngx_pfree() of a pointer already freed or no-op freed (repeated)" },
    { offsetof(pp_site_t, frees_null),
      "ngx_pfree() of NULL (harmless)" },
};


/*
 * For each kind of free that counted: how many, and the site with the
 * most of them; for cross-pool frees, the site that created the pool
 * whose memory it was
 */
static size_t
pp_text_free_kinds(FILE *f, const pp_report_t *r)
{
    char               site[PP_NAME_BUF], pool[PP_NAME_BUF],
                       line[3 * PP_NAME_BUF];
    size_t             k, i, top, said;
    uint64_t           n, v, most;
    const pp_rsite_t  *s;

    said = 0;

    for (k = 0; k < sizeof(pp_free_kinds) / sizeof(pp_free_kinds[0]); k++) {
        n = 0;
        most = 0;
        top = 0;

        for (i = 0; i < r->nsites; i++) {
            memcpy(&v, (const char *) &r->sites[i].s + pp_free_kinds[k].off,
                   sizeof(uint64_t));
            n += v;

            if (v > most) {
                most = v;
                top = i;
            }
        }

        if (n == 0) {
            continue;
        }

        /* a library's site is named by its owner, as its row is */
        s = &r->sites[top];
        if (s->s.owner != 0 && s->owner_symbol != NULL) {
            pp_name(site, sizeof(site), r, s->s.owner, s->owner_obj,
                    s->owner_symbol);

        } else {
            pp_name(site, sizeof(site), r, s->key, s->obj, s->symbol);
        }
        pool[0] = '\0';

        if (pp_free_kinds[k].off == offsetof(pp_site_t, frees_cross_pool)
            && s->s.cross_site != 0)
        {
            for (i = 0; i < r->npools && r->pools[i].key != s->s.cross_site;
                 i++)
            {
                /* void */
            }

            if (i < r->npools) {
                strcpy(pool, ", of a pool created at ");
                pp_name(pool + strlen(pool), sizeof(pool) - strlen(pool), r,
                        r->pools[i].key, r->pools[i].obj,
                        r->pools[i].symbol);
            }
        }

        snprintf(line, sizeof(line), "%llu %s, %llu at %s%s",
                 (unsigned long long) n, pp_free_kinds[k].what,
                 (unsigned long long) most, site, pool);
        fputs("  ", f);
        pp_text_wrap(f, 2, 4, line);
        said++;
    }

    return said;
}


static void
pp_text_warnings(FILE *f, const pp_report_t *r, const pp_view_t *v)
{
    char                w[4 * (PP_ERR_LEN + 2 * PP_PATH_MAX)];
    size_t              i, crashed, n;
    const pp_totals_t  *t;

    t = &r->totals;
    crashed = 0;
    n = r->nwarnings;

    for (i = 0; i < r->nprocs; i++) {
        crashed += r->procs[i].status == PP_STATUS_CRASHED;
    }

    fprintf(f, "%swarnings:%s\n", pp_warn(v), pp_off(v));

    if (crashed) {
        fprintf(f, "  %zu process(es) crashed: their counts stop at the "
                "crash\n", crashed);
    }

    if (t->foreign_frees) {
        snprintf(w, sizeof(w), "%llu ngx_pfree() of pointers their pool "
                 "never handed out: a bug at the site that frees",
                 (unsigned long long) t->foreign_frees);
        fputs("  ", f);
        pp_text_wrap(f, 2, 4, w);
    }

    n += pp_text_free_kinds(f, r);

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
        fputs("  ", f);
        pp_text_wrap(f, 2, 4, pp_escape(w, sizeof(w), r->warnings[i]));
    }

    if (crashed + n == 0
        && (t->foreign_frees | t->unknown_frees | t->untracked
            | t->other_threads | t->overflow | r->hdr.hooks_failed) == 0)
    {
        fputs("  none\n", f);
    }
}


void
pp_text_print(FILE *f, const pp_report_t *r, const pp_view_t *v)
{
    pp_text_header(f, r, v);
    fputc('\n', f);
    pp_text_totals(f, v, &r->totals);
    fputc('\n', f);

    switch (v->by) {

    case PP_BY_MODULE:
        pp_text_modules(f, r, v);
        break;

    case PP_BY_POOL:
        pp_text_pools(f, r, v);
        break;

    case PP_BY_TAG:
        pp_text_tags(f, r, v);
        break;

    default:
        pp_text_sites(f, r, v);
        pp_text_noops(f, r, v);
        fputc('\n', f);
        pp_text_pools(f, r, v);
        fputc('\n', f);
        pp_text_tags(f, r, v);

        /* it opens with its own blank line */
        pp_text_leaks(f, r, v);
    }

    fputc('\n', f);
    pp_text_warnings(f, r, v);
}
