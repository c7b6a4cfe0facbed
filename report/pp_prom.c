/*
 * --format prometheus: the text exposition format 0.0.4, for a
 * Prometheus scrape and node_exporter's textfile collector.  Counters
 * end in _total, sizes are bytes; every family has # HELP and # TYPE.
 * A family keeps its --top N label sets with the largest values and
 * sums the others into one "other" series, so that a hostile or busy
 * segment cannot flood the server with series; sums stay exact.
 * Label values come from the segment and from object files: they are
 * escaped with pp_escape() and then as the format wants.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp_fleet.h"


#define PP_LABELS_MAX  (3 * 4 * 2 * PP_PATH_MAX)

typedef struct {
    char                   *labels;
    uint64_t                v;
} pp_series_t;

typedef struct {
    pp_series_t            *s;
    size_t                  n;
    size_t                  cap;
    int                     failed;
} pp_family_t;

/* the rendered labels of every row of every part */
typedef struct {
    char                  **rows[3];    /* PP_ROW_* */
} pp_plabels_t;


/* a label value: backslash, double quote and newline escaped */
static void
pp_prom_value(char *dst, size_t len, const char *src)
{
    size_t  o;

    for (o = 0; *src != '\0' && o + 3 < len; src++) {
        if (*src == '\\' || *src == '"') {
            dst[o++] = '\\';
            dst[o++] = *src;
        } else if (*src == '\n') {
            dst[o++] = '\\';
            dst[o++] = 'n';
        } else {
            dst[o++] = *src;
        }
    }

    dst[o] = '\0';
}


static char *
pp_prom_labels(pp_fleet_t *fl, int row, const pp_row_t *rw)
{
    char         buf[PP_LABELS_MAX], mod[4 * PP_PATH_MAX],
                 m[8 * PP_PATH_MAX], n[8 * PP_PATH_MAX], *name;
    const char  *kind;

    name = pp_fleet_name(fl, rw->key, rw->obj, rw->overflow,
                         row == PP_ROW_TAG ? 2 : 0, NULL);
    if (name == NULL) {
        return NULL;
    }

    pp_prom_value(m, sizeof(m), pp_fleet_module(fl, rw->module, rw->overflow,
                                                mod, sizeof(mod)));
    pp_prom_value(n, sizeof(n), name);
    kind = row == PP_ROW_POOL && !rw->overflow ? pp_pool_kind(name) : NULL;
    free(name);

    snprintf(buf, sizeof(buf), "module=\"%s\",%s=\"%s\"%s%s%s", m,
             row == PP_ROW_TAG ? "tag" : "site", n,
             kind != NULL ? ",pool_kind=\"" : "", kind != NULL ? kind : "",
             kind != NULL ? "\"" : "");

    return strdup(buf);
}


static void
pp_family_add(pp_family_t *fa, const char *labels, uint64_t v)
{
    size_t        cap;
    pp_series_t  *s;

    if (fa->failed) {
        return;
    }

    if (fa->n == fa->cap) {
        cap = fa->cap != 0 ? fa->cap * 2 : 64;
        s = realloc(fa->s, cap * sizeof(pp_series_t));
        if (s == NULL) {
            fa->failed = 1;
            return;
        }
        fa->s = s;
        fa->cap = cap;
    }

    /* the labels belong to the caller and outlive the family */
    fa->s[fa->n].labels = (char *) labels;
    fa->s[fa->n].v = v;
    fa->n++;
}


static int
pp_series_by_labels(const void *a, const void *b)
{
    return strcmp(((const pp_series_t *) a)->labels,
                  ((const pp_series_t *) b)->labels);
}


static int
pp_series_by_value(const void *a, const void *b)
{
    const pp_series_t  *x = a, *y = b;

    if (x->v != y->v) {
        return x->v > y->v ? -1 : 1;
    }

    return strcmp(x->labels, y->labels);
}


/* equal label sets summed, the largest top kept, the rest as other */
static void
pp_family_print(FILE *f, const char *name, const char *help,
    const char *type, pp_family_t *fa, unsigned top, const char *other)
{
    size_t    i, k;
    uint64_t  rest;

    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);

    qsort(fa->s, fa->n, sizeof(pp_series_t), pp_series_by_labels);

    k = 0;
    for (i = 0; i < fa->n; i++) {
        if (k > 0 && strcmp(fa->s[k - 1].labels, fa->s[i].labels) == 0) {
            fa->s[k - 1].v += fa->s[i].v;
        } else {
            fa->s[k++] = fa->s[i];
        }
    }
    fa->n = k;

    qsort(fa->s, fa->n, sizeof(pp_series_t), pp_series_by_value);

    rest = 0;
    for (i = top; i < fa->n; i++) {
        rest += fa->s[i].v;
    }

    /* a kept series that is named like other takes the rest itself */
    for (i = 0; i < fa->n && i < top && rest != 0; i++) {
        if (strcmp(fa->s[i].labels, other) == 0) {
            fa->s[i].v += rest;
            rest = 0;
        }
    }

    for (i = 0; i < fa->n && i < top; i++) {
        fprintf(f, "%s{%s} %llu\n", name, fa->s[i].labels,
                (unsigned long long) fa->s[i].v);
    }

    if (fa->n > top) {
        fprintf(f, "%s{%s} %llu\n", name, other, (unsigned long long) rest);
    }
}


static int
pp_plabels_make(pp_fleet_t *fl, pp_plabels_t *pl)
{
    int       row;
    size_t    i, k, n;
    pp_row_t  rw;

    for (i = 0; i < fl->nparts; i++) {
        for (row = PP_ROW_SITE; row <= PP_ROW_TAG; row++) {
            n = pp_part_nrows(&fl->parts[i], row);
            pl[i].rows[row] = calloc(n + 1, sizeof(char *));
            if (pl[i].rows[row] == NULL) {
                return -1;
            }

            for (k = 0; k < n; k++) {
                pp_part_row(&fl->parts[i], row, k, &rw);
                pl[i].rows[row][k] = pp_prom_labels(fl, row, &rw);
                if (pl[i].rows[row][k] == NULL) {
                    return -1;
                }
            }
        }
    }

    return 0;
}


static void
pp_plabels_free(pp_fleet_t *fl, pp_plabels_t *pl)
{
    int     row;
    size_t  i, k;

    for (i = 0; i < fl->nparts; i++) {
        for (row = PP_ROW_SITE; row <= PP_ROW_TAG; row++) {
            if (pl[i].rows[row] == NULL) {
                continue;
            }
            for (k = 0; pl[i].rows[row][k] != NULL; k++) {
                free(pl[i].rows[row][k]);
            }
            free(pl[i].rows[row]);
        }
    }

    free(pl);
}


/* the figures of pp_figures[], by site, creating site or tag */
static int
pp_prom_rows(FILE *f, pp_fleet_t *fl, pp_plabels_t *pl, unsigned top)
{
    size_t              i, p, k, n;
    uint64_t            v;
    pp_row_t            rw;
    pp_family_t         fa;
    const pp_figure_t  *fg;

    memset(&fa, 0, sizeof(fa));

    for (i = 0; i < pp_nfigures; i++) {
        fg = &pp_figures[i];
        fa.n = 0;

        for (p = 0; p < fl->nparts; p++) {
            n = pp_part_nrows(&fl->parts[p], fg->row);

            for (k = 0; k < n; k++) {
                pp_part_row(&fl->parts[p], fg->row, k, &rw);
                v = pp_figure_value(fg, rw.counters);
                if (v != 0) {
                    pp_family_add(&fa, pl[p].rows[fg->row][k], v);
                }
            }
        }

        if (fa.failed) {
            free(fa.s);
            return -1;
        }

        pp_family_print(f, fg->name, fg->help, "counter", &fa, top,
                        fg->row == PP_ROW_TAG
                        ? "module=\"other\",tag=\"other\""
                        : fg->row == PP_ROW_POOL
                        ? "module=\"other\",site=\"other\","
                          "pool_kind=\"other\""
                        : "module=\"other\",site=\"other\"");
    }

    free(fa.s);

    return 0;
}


/* totals and process counts by role: a handful of roles, no top */
static void
pp_prom_roles(FILE *f, pp_fleet_t *fl)
{
    size_t       i, k, r, nroles;
    uint64_t     v, sum;
    const char  *roles[16];

    nroles = 0;
    for (i = 0; i < fl->nparts; i++) {
        for (r = 0; r < nroles; r++) {
            if (strcmp(roles[r], fl->parts[i].role) == 0) {
                break;
            }
        }
        if (r == nroles && nroles < 16) {
            roles[nroles++] = fl->parts[i].role;
        }
    }

    for (k = 0; k < pp_nrole_figures; k++) {
        fprintf(f, "# HELP %s %s\n# TYPE %s counter\n",
                pp_role_figures[k].name, pp_role_figures[k].help,
                pp_role_figures[k].name);

        for (r = 0; r < nroles; r++) {
            sum = 0;
            for (i = 0; i < fl->nparts; i++) {
                if (strcmp(roles[r], fl->parts[i].role) == 0) {
                    memcpy(&v, (const char *) fl->parts[i].totals
                               + pp_role_figures[k].off, sizeof(uint64_t));
                    sum += v;
                }
            }
            fprintf(f, "%s{process_role=\"%s\"} %llu\n",
                    pp_role_figures[k].name, roles[r],
                    (unsigned long long) sum);
        }
    }

    fputs("# HELP poolprof_processes Processes with a shard in the "
          "segment, by role.\n# TYPE poolprof_processes gauge\n", f);

    for (r = 0; r < nroles; r++) {
        if (strcmp(roles[r], "retired") == 0) {
            continue;
        }
        sum = 0;
        for (i = 0; i < fl->nparts; i++) {
            sum += strcmp(roles[r], fl->parts[i].role) == 0;
        }
        fprintf(f, "poolprof_processes{process_role=\"%s\"} %llu\n",
                roles[r], (unsigned long long) sum);
    }
}


int
pp_prom_print(FILE *f, pp_fleet_t *fl, unsigned top)
{
    int            rc;
    pp_plabels_t  *pl;

    pl = calloc(fl->nparts + 1, sizeof(pp_plabels_t));
    if (pl == NULL) {
        return -1;
    }

    rc = -1;

    if (pp_plabels_make(fl, pl) != 0 || pp_prom_rows(f, fl, pl, top) != 0) {
        goto cleanup;
    }

    pp_prom_roles(f, fl);

    fprintf(f, "# HELP poolprof_retired_processes_total Processes that "
            "ended and were folded into the segment's retired shard.\n"
            "# TYPE poolprof_retired_processes_total counter\n"
            "poolprof_retired_processes_total %u\n"
            "# HELP poolprof_stack_sample_period Events per sampled stack "
            "(1: every event, 0: no stacks).\n"
            "# TYPE poolprof_stack_sample_period gauge\n"
            "poolprof_stack_sample_period %u\n"
            "# HELP poolprof_pool_sample_period Pools per tracked pool "
            "(POOLPROF_SAMPLE; above 1, every counter is an estimate, "
            "scaled by it).\n"
            "# TYPE poolprof_pool_sample_period gauge\n"
            "poolprof_pool_sample_period %u\n"
            "# HELP poolprof_segment_start_time_seconds When the segment "
            "was created, seconds since the Epoch.\n"
            "# TYPE poolprof_segment_start_time_seconds gauge\n"
            "poolprof_segment_start_time_seconds %llu.%09llu\n",
            fl->hdr.retired, fl->hdr.stack_period,
            fl->hdr.sample_period > 1 ? fl->hdr.sample_period : 1,
            (unsigned long long) (fl->time_ns / 1000000000),
            (unsigned long long) (fl->time_ns % 1000000000));

    rc = 0;

cleanup:

    pp_plabels_free(fl, pl);

    return rc;
}
