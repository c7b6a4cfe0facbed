/*
 * poolprof-report: reads a segment that libpoolprof.so recorded, live or
 * after nginx exited, and prints where pool memory was wasted and how
 * well buffers were reused.  main() reads the command line into a
 * pp_input_t (what to read) and a pp_view_t (how to print it), then
 * hands both to a mode: --list, --snapshot, --watch, or one report
 * through the pipeline (pp_pipeline.c).
 */

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pp_report.h"
#include "pp_opt.h"
#include "pp_debuginfo.h"
#include "pp_fleet.h"


#define PP_COLOR_AUTO     0
#define PP_COLOR_ALWAYS   1
#define PP_COLOR_NEVER    2

/* the command line as given */
typedef struct {
    int                     format;     /* PP_FORMAT_* */
    int                     metric;     /* PP_METRIC_* */
    int                     by;         /* PP_BY_* */
    int                     color;      /* PP_COLOR_* */
    unsigned                top;
    unsigned                pid;
    unsigned                watch;      /* seconds; 0: once */
    int                     list;
    const char             *sort;
    const char             *snapshot;
    const char             *diff;
    const char             *segment;
    uint64_t                max_size;
    const char             *output;     /* -o FILE: pprof, prometheus */
    const char             *serve;      /* --serve ADDR:PORT */
} pp_options_t;

static const char  pp_usage[] =
"Usage: poolprof-report [OPTIONS] [SEGMENT]\n"
"\n"
"Report wasted nginx pool memory and buffer reuse from a segment that\n"
"libpoolprof.so recorded.  SEGMENT defaults to the newest poolprof.* in\n"
"$POOLPROF_DIR, else in /run/poolprof, /dev/shm/poolprof-UID and /dev/shm;\n"
"it may be read while nginx runs or after it exited.\n"
"\n"
"Options:\n"
"  -f, --format FORMAT   text (default), json, or the sampled stacks as\n"
"                        folded lines or an interactive SVG flame graph:\n"
"                        folded, svg; for fleet tools: pprof (gzipped\n"
"                        profile.proto), prometheus (text exposition)\n"
"  -m, --metric METRIC   what folded and svg weigh stacks by, pprof's\n"
"                        default sample: pinned (default), noop, allocs,\n"
"                        alloc_bytes, unused\n"
"  -n, --top N           rows per table in text output, series per\n"
"                        prometheus family besides \"other\" (default 10)\n"
"  -o, --output FILE     pprof or prometheus into FILE, by a rename\n"
"      --serve ADDR:PORT serve /metrics and /debug/pprof/TYPE over HTTP,\n"
"                        read live from SEGMENT on each request; ADDR\n"
"                        defaults to 127.0.0.1; SIGTERM stops it\n"
"  -s, --sort KEY        order the table --by shows by KEY, descending;\n"
"                        sites: wasted pinned noop allocs alloc_bytes\n"
"                        frees foreign byte_seconds growth; pools: unused\n"
"                        created size blocks spilled used_p95 growth\n"
"                        leaked; tags: reuse (worst first) hits misses\n"
"                        recycled busy\n"
"  -b, --by WHAT         site (default: the full report), module (sites\n"
"                        summed by object file), pool or tag\n"
"  -p, --pid PID         only the process PID\n"
"  -w, --watch SECONDS   redraw every SECONDS like top; q or Ctrl-C quits\n"
"      --snapshot FILE   write a consistent copy of the segment to FILE\n"
"  -d, --diff BASE       what changed since BASE, an earlier snapshot\n"
"      --color WHEN      auto (default: on a terminal, unless NO_COLOR is\n"
"                        set), always or never\n"
"      --max-size SIZE   refuse a segment larger than SIZE bytes (K, M or G\n"
"                        after the number; default 4G), before reading it\n"
"      --debug-dir DIR   debug files of stripped objects in DIR/.build-id\n"
"                        and DIR/<directory of the object> (default\n"
"                        /usr/lib/debug)\n"
"      --no-debuginfod   fetch no debug file from $DEBUGINFOD_URLS\n"
"      --debuginfod-timeout SECONDS\n"
"                        stop fetching debug files once it took SECONDS,\n"
"                        all together (default 30)\n"
"  -l, --list            list the segments where SEGMENT would be looked\n"
"                        for, or in the directory of SEGMENT, and exit\n"
"  -h, --help            show this help and exit\n"
"  -V, --version         show the version and exit\n"
"\n"
"Exit status: 0 on success, 1 when the segment cannot be read, 2 on a\n"
"usage error.\n"
"\n"
"EXAMPLES:\n"
"  poolprof-report                     # the newest segment, as text\n"
"  poolprof-report /dev/shm/poolprof.4242\n"
"  poolprof-report --top 30 /tmp/nginx.seg\n"
"  poolprof-report --format json | jq '.sites[0]'\n"
"  poolprof-report --format svg --metric unused > unused.svg\n"
"  poolprof-report --format folded | flamegraph.pl > pinned.svg\n"
"  poolprof-report --by pool --sort spilled\n"
"  DEBUGINFOD_URLS=https://debuginfod.debian.net poolprof-report\n"
"  poolprof-report --watch 2 /dev/shm/poolprof.4242\n"
"  poolprof-report --snapshot before.seg; sleep 60;"
" poolprof-report --diff before.seg\n"
"  poolprof-report --list\n"
"  poolprof-report --format pprof -o nginx.pb.gz; go tool pprof -top "
"nginx.pb.gz\n"
"  poolprof-report --format prometheus -o /var/lib/prometheus/"
"node-exporter/poolprof.prom\n"
"  poolprof-report --serve 127.0.0.1:9417 /run/poolprof/poolprof.4242\n";


/* --metric: a word of pp_stacks.c's */
static int
pp_opt_metric(void *conf, const pp_opt_t *opt, const char *arg)
{
    int  m;

    m = pp_metric_parse(arg);

    if (m < 0) {
        pp_error("unknown metric \"%s\" (pinned, noop, allocs, alloc_bytes "
                 "or unused)", arg);
        return -1;
    }

    *(int *) ((char *) conf + opt->off) = m;

    return 0;
}


/*
 * --debug-dir, --debuginfod-timeout and --no-debuginfod: kept by
 * pp_debuginfo.c for every report of the process, not in conf
 */
static int
pp_opt_debug(void *conf, const pp_opt_t *opt, const char *arg)
{
    (void) conf;

    if (strcmp(opt->name, "debug-dir") == 0) {
        return pp_debuginfo_dir(arg);
    }

    if (strcmp(opt->name, "debuginfod-timeout") == 0) {
        return pp_debuginfod_timeout(arg);
    }

    pp_debuginfod_off();

    return 0;
}


#define pp_xstr(n)  pp_str(n)
#define pp_str(n)   #n

static const char  pp_version[] =
    "poolprof-report " PP_REPORT_VERSION " (segment version "
    pp_xstr(PP_SEG_VERSION) ", JSON format " pp_xstr(PP_JSON_FORMAT) ")\n";

static const pp_words_t  pp_formats = {
    "format", { "text", "json", "folded", "svg", "pprof", "prometheus", NULL }
};

static const pp_words_t  pp_bys = {
    "--by", { "site", "module", "pool", "tag", NULL }
};

static const pp_words_t  pp_colors = {
    "--color", { "auto", "always", "never", NULL }
};

static const unsigned  pp_top_max = 1000000;
static const unsigned  pp_id_max = 0x7fffffff;

#define pp_field(f)  offsetof(pp_options_t, f)

static const pp_opt_t  pp_opts[] = {
    { "format", 'f', required_argument, pp_opt_word, pp_field(format),
      &pp_formats },
    { "metric", 'm', required_argument, pp_opt_metric, pp_field(metric),
      NULL },
    { "top", 'n', required_argument, pp_opt_number, pp_field(top),
      &pp_top_max },
    { "sort", 's', required_argument, pp_opt_string, pp_field(sort), NULL },
    { "by", 'b', required_argument, pp_opt_word, pp_field(by), &pp_bys },
    { "pid", 'p', required_argument, pp_opt_number, pp_field(pid),
      &pp_id_max },
    { "watch", 'w', required_argument, pp_opt_number, pp_field(watch),
      &pp_id_max },
    { "snapshot", 256, required_argument, pp_opt_string, pp_field(snapshot),
      NULL },
    { "diff", 'd', required_argument, pp_opt_string, pp_field(diff), NULL },
    { "color", 257, required_argument, pp_opt_word, pp_field(color),
      &pp_colors },
    { "max-size", 258, required_argument, pp_opt_size, pp_field(max_size),
      NULL },
    { "output", 'o', required_argument, pp_opt_string, pp_field(output),
      NULL },
    { "serve", 259, required_argument, pp_opt_string, pp_field(serve),
      NULL },
    { "debug-dir", 260, required_argument, pp_opt_debug, 0, NULL },
    { "debuginfod-timeout", 261, required_argument, pp_opt_debug, 0, NULL },
    { "no-debuginfod", 262, no_argument, pp_opt_debug, 0, NULL },
    { "list", 'l', no_argument, pp_opt_flag, pp_field(list), NULL },
    { "help", 'h', no_argument, pp_opt_print, 0, pp_usage },
    { "version", 'V', no_argument, pp_opt_print, 0, pp_version },
    { NULL, 0, 0, NULL, 0, NULL }
};


/* the options and their checks against each other; 0 or -1 */
static int
pp_parse(int argc, char **argv, pp_options_t *o)
{
    int   first;
    char  esc[256];

    memset(o, 0, sizeof(pp_options_t));
    o->format = PP_FORMAT_TEXT;
    o->metric = PP_METRIC_PINNED;
    o->by = PP_BY_SITE;
    o->color = PP_COLOR_AUTO;
    o->top = PP_TOP_DEFAULT;
    o->max_size = PP_SEG_MAX_DEFAULT;

    first = pp_opt_parse(argc, argv, pp_opts, o);
    if (first < 0) {
        return -1;
    }

    if (first + 1 < argc) {
        pp_error("one SEGMENT at most");
        return -1;
    }

    if (first < argc) {
        o->segment = argv[first];
    }

    if (o->sort != NULL && pp_sort_parse(o->sort, o->by) < 0) {
        fprintf(stderr, "poolprof-report: unknown --sort key \"%s\" for "
                "--by %s; the keys are: ",
                pp_escape(esc, sizeof(esc), o->sort), pp_bys.words[o->by]);
        pp_sort_keys(stderr, o->by);
        fputc('\n', stderr);
        return -1;
    }

    if (o->watch && o->format != PP_FORMAT_TEXT
        && o->format != PP_FORMAT_JSON)
    {
        pp_error("--watch shows text or json");
        return -1;
    }

    if (o->output != NULL && o->format != PP_FORMAT_PPROF
        && o->format != PP_FORMAT_PROM)
    {
        pp_error("--output writes pprof or prometheus");
        return -1;
    }

    if ((o->serve != NULL || o->format == PP_FORMAT_PPROF
         || o->format == PP_FORMAT_PROM)
        && (o->diff != NULL || o->watch || o->snapshot != NULL))
    {
        pp_error("--diff, --watch and --snapshot do not go with pprof, "
                 "prometheus or --serve");
        return -1;
    }

    return 0;
}


/* what to read and how to print it; flags: PP_OPEN_* for the segment */
static void
pp_options_apply(const pp_options_t *o, int flags, pp_input_t *in,
    pp_view_t *v)
{
    const char  *nc;

    memset(in, 0, sizeof(pp_input_t));
    in->seg.path = o->segment;
    in->seg.flags = flags;
    in->pid = o->pid;

    /* given on the command line: followed */
    in->base.path = o->diff;
    in->base.flags = PP_OPEN_FOLLOW;

    nc = getenv("NO_COLOR");

    pp_view_init(v);
    v->format = o->format;
    v->metric = o->metric;
    v->top = o->top;
    v->by = o->by;
    v->sort = o->sort != NULL ? pp_sort_parse(o->sort, o->by) : -1;
    v->color = nc != NULL && nc[0] != '\0' ? 0
               : o->color == PP_COLOR_AUTO ? isatty(STDOUT_FILENO)
               : o->color == PP_COLOR_ALWAYS;
    v->diff = o->diff;
}


/* --format pprof|prometheus and --serve: pp_fleet.h */
static int
pp_report_fleet(const pp_options_t *o, int flags)
{
    pp_fleet_opts_t  fo;

    fo.segment = o->segment;
    fo.flags = flags;
    fo.metric = o->metric;
    fo.top = o->top;
    fo.pid = o->pid;
    fo.output = o->output;

    if (o->serve != NULL) {
        return pp_serve(o->serve, &fo);
    }

    return pp_fleet_main(&fo, o->format == PP_FORMAT_PPROF
                              ? PP_FLEET_PPROF : PP_FLEET_PROMETHEUS);
}


int
main(int argc, char **argv)
{
    int           rc, flags;
    char          err[PP_ERR_LEN], *newest;
    pp_view_t     v;
    pp_input_t    in;
    pp_report_t   r;
    pp_options_t  o;

    rc = 1;
    newest = NULL;
    memset(&r, 0, sizeof(r));

    if (pp_parse(argc, argv, &o) != 0) {
        return 2;
    }

    pp_seg_max_size(o.max_size);

    if (o.list) {
        return pp_list_segments(stdout, o.segment) == 0 ? 0 : 1;
    }

    flags = PP_OPEN_FOLLOW;

    if (o.segment == NULL) {
        newest = pp_newest_segment(err, sizeof(err));
        if (newest == NULL) {
            pp_error("%s", err);
            goto cleanup;
        }

        pp_error("reading %s", newest);
        o.segment = newest;

        /* found in a directory, not named by the user: not followed */
        flags = 0;
    }

    if (o.snapshot != NULL) {
        rc = pp_snapshot(o.segment, flags, o.snapshot) == 0 ? 0 : 1;
        goto cleanup;
    }

    if (o.serve != NULL || o.format == PP_FORMAT_PPROF
        || o.format == PP_FORMAT_PROM)
    {
        rc = pp_report_fleet(&o, flags) == 0 ? 0 : 1;
        goto cleanup;
    }

    pp_options_apply(&o, flags, &in, &v);

    if (o.watch) {
        rc = pp_watch(&in, &v, o.watch);
        goto cleanup;
    }

    if (pp_report_build(&r, &in, &v, err, sizeof(err)) != 0) {
        pp_error("%s", err);
        goto cleanup;
    }

    if (pp_report_print(stdout, &r, &v) != 0) {
        goto cleanup;
    }

    if (fflush(stdout) != 0 || ferror(stdout)) {
        pp_error("failed to write the report");
        goto cleanup;
    }

    rc = 0;

cleanup:

    pp_report_free(&r);
    free(newest);

    return rc;
}
