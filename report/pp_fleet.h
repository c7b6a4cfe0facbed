/*
 * Fleet exports: --format pprof, --format prometheus and --serve.
 *
 * pp_fleet.c reads a segment once and merges each process's shard (and
 * the retired aggregate) into a report of its own, so that every figure
 * can carry the process's role and pid; the figures exported are one
 * table, pp_figures[].  pp_pprof.c and pp_prom.c write from that,
 * pp_serve.c serves both over HTTP.
 */

#ifndef _PP_FLEET_H_INCLUDED_
#define _PP_FLEET_H_INCLUDED_

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pp_report.h"


#define PP_FLEET_PPROF       1
#define PP_FLEET_PROMETHEUS  2

typedef struct {
    const char             *segment;
    int                     flags;      /* PP_OPEN_* */
    int                     metric;     /* PP_METRIC_*: the default sample */
    unsigned                top;        /* series per family, + other */
    uint32_t                pid;        /* 0: every process */
    const char             *output;     /* -o FILE, or NULL: stdout */
} pp_fleet_opts_t;


/* the rows a figure is read from */
#define PP_ROW_SITE          0
#define PP_ROW_POOL          1
#define PP_ROW_TAG           2

#define PP_NO_FIELD          ((size_t) -1)

typedef struct {
    const char             *name;       /* poolprof_NAME, base units */
    const char             *help;
    int                     row;        /* PP_ROW_* */
    size_t                  off;        /* uint64_t counters of the row */
    size_t                  off2;       /* added to it, or PP_NO_FIELD */
    const char             *sample;     /* pprof sample type, or NULL */
    const char             *unit;
    int                     metric;     /* PP_METRIC_*, or -1 */
    size_t                  stack_off;  /* pp_stack_t counter, PP_NO_FIELD */
} pp_figure_t;

extern const pp_figure_t  pp_figures[];
extern const size_t       pp_nfigures;

/* process totals by role: a pp_totals_t field each */
typedef struct {
    const char             *name;       /* poolprof_role_NAME */
    const char             *help;
    size_t                  off;
} pp_role_figure_t;

extern const pp_role_figure_t  pp_role_figures[];
extern const size_t            pp_nrole_figures;


/* one row of a part, whatever its table */
typedef struct {
    uint64_t                key;
    int                     obj;        /* in pp_fleet_t.syms, or -1 */
    int                     module;     /* pp_row_module()'s, the same way */
    int                     overflow;
    const void             *counters;   /* pp_site_t, pp_pool_t, pp_tag_t */
} pp_row_t;

/* one process's shard, or the processes that ended (retired) */
typedef struct {
    pp_report_t             r;
    int                    *objmap;     /* r.objs -> syms.objs */
    const char             *role;       /* pp_role_name(), or "retired" */
    uint32_t                pid;        /* 0 for the retired */
    const pp_totals_t      *totals;
} pp_part_t;

typedef struct {
    char                   *path;
    pp_seg_header_t         hdr;
    uint64_t                time_ns;    /* CLOCK_REALTIME the segment began */
    uint64_t                duration_ns;
    pp_part_t              *parts;
    size_t                  nparts;

    /* every object seen, kept with its symbols over loads (--serve) */
    pp_report_t             syms;
    size_t                  syms_cap;
} pp_fleet_t;


int pp_fleet_load(pp_fleet_t *fl, const pp_fleet_opts_t *o, char *err,
    size_t errlen);
void pp_fleet_clear(pp_fleet_t *fl);
void pp_fleet_free(pp_fleet_t *fl);

size_t pp_part_nrows(const pp_part_t *p, int row);
void pp_part_row(const pp_part_t *p, int row, size_t i, pp_row_t *out);
uint64_t pp_figure_value(const pp_figure_t *f, const void *counters);
int pp_figure_sample(const char *name);
int pp_figure_metric(int metric);

/* allocated and escaped names: NULL when out of memory */
char *pp_fleet_name(pp_fleet_t *fl, uint64_t key, int obj, int overflow,
    int kind, char **source);
const char *pp_fleet_module(const pp_fleet_t *fl, int obj, int overflow,
    char *buf, size_t len);
const char *pp_pool_kind(const char *symbol);

/* pp_fleet.c: the one-shot formats; -o writes FILE.tmp and renames */
int pp_fleet_main(const pp_fleet_opts_t *o, int format);
int pp_fleet_write(const char *output, int format, pp_fleet_t *fl,
    const pp_fleet_opts_t *o);

/* pp_pprof.c: a gzip-compressed profile.proto into memory */
int pp_pprof_build(pp_fleet_t *fl, int sample, unsigned char **out,
    size_t *len);

/* pp_prom.c: the text exposition format 0.0.4 */
int pp_prom_print(FILE *f, pp_fleet_t *fl, unsigned top);

/* pp_serve.c */
int pp_serve(const char *addr, const pp_fleet_opts_t *o);


#endif /* _PP_FLEET_H_INCLUDED_ */
