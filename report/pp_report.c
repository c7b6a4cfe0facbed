/*
 * poolprof-report: reads a segment that libpoolprof.so recorded, live or
 * after nginx exited, and prints where pool memory was wasted and how
 * well buffers were reused.
 */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pp_report.h"
#include "pp_fleet.h"


#define PP_FORMAT_TEXT    0
#define PP_FORMAT_JSON    1
#define PP_FORMAT_FOLDED  2
#define PP_FORMAT_SVG     3
#define PP_FORMAT_PPROF   4
#define PP_FORMAT_PROM    5

typedef struct {
    int                     json;       /* PP_FORMAT_* */
    int                     metric;     /* PP_METRIC_* */
    int                     list;
    unsigned                top;
    int                     by;
    int                     color;      /* -1 auto, 0 never, 1 always */
    const char             *sort;
    uint32_t                pid;
    unsigned                watch;      /* seconds; 0: once */
    const char             *snapshot;
    const char             *diff;
    const char             *segment;
    int                     flags;      /* PP_OPEN_*, for the segment */
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
"  poolprof-report --watch 2 /dev/shm/poolprof.4242\n"
"  poolprof-report --snapshot before.seg; sleep 60;"
" poolprof-report --diff before.seg\n"
"  poolprof-report --list\n"
"  poolprof-report --format pprof -o nginx.pb.gz; go tool pprof -top "
"nginx.pb.gz\n"
"  poolprof-report --format prometheus -o /var/lib/prometheus/"
"node-exporter/poolprof.prom\n"
"  poolprof-report --serve 127.0.0.1:9417 /run/poolprof/poolprof.4242\n";


/* "64M" -> 67108864: K, M and G are powers of 1024; 0 when bad */
static uint64_t
pp_parse_size(const char *s)
{
    char                *end;
    unsigned             shift;
    unsigned long long   n;

    if (*s < '0' || *s > '9') {
        return 0;
    }

    errno = 0;
    n = strtoull(s, &end, 10);
    if (errno != 0) {
        return 0;
    }

    switch (*end) {

    case 'K':
    case 'k':
        shift = 10;
        break;

    case 'M':
    case 'm':
        shift = 20;
        break;

    case 'G':
    case 'g':
        shift = 30;
        break;

    default:
        shift = 0;
    }

    if (shift != 0) {
        end++;
    }

    if (*end != '\0' || n == 0 || n > (UINT64_MAX >> shift)) {
        return 0;
    }

    return (uint64_t) n << shift;
}


static int
pp_parse(int argc, char **argv, pp_options_t *o)
{
    int            c;
    char          *end, esc[256];
    unsigned long  n;

    static const struct option  longopts[] = {
        { "format",  required_argument, NULL, 'f' },
        { "metric",  required_argument, NULL, 'm' },
        { "sort",    required_argument, NULL, 's' },
        { "by",      required_argument, NULL, 'b' },
        { "pid",     required_argument, NULL, 'p' },
        { "watch",   required_argument, NULL, 'w' },
        { "snapshot", required_argument, NULL, 'S' },
        { "diff",    required_argument, NULL, 'd' },
        { "color",   required_argument, NULL, 'C' },
        { "max-size", required_argument, NULL, 'M' },
        { "top",     required_argument, NULL, 'n' },
        { "output",  required_argument, NULL, 'o' },
        { "serve",   required_argument, NULL, 'E' },
        { "list",    no_argument,       NULL, 'l' },
        { "help",    no_argument,       NULL, 'h' },
        { "version", no_argument,       NULL, 'V' },
        { NULL,      0,                 NULL, 0 }
    };

    o->json = PP_FORMAT_TEXT;
    o->metric = PP_METRIC_PINNED;
    o->list = 0;
    o->top = 10;
    o->by = PP_BY_SITE;
    o->color = -1;
    o->sort = NULL;
    o->pid = 0;
    o->watch = 0;
    o->snapshot = NULL;
    o->diff = NULL;
    o->segment = NULL;
    o->flags = PP_OPEN_FOLLOW;
    o->max_size = PP_SEG_MAX_DEFAULT;
    o->output = NULL;
    o->serve = NULL;

    while ((c = getopt_long(argc, argv, "f:m:n:s:b:p:w:d:o:lhV", longopts,
                            NULL))
           != -1)
    {
        switch (c) {

        case 'f':
            if (strcmp(optarg, "json") == 0) {
                o->json = PP_FORMAT_JSON;
            } else if (strcmp(optarg, "text") == 0) {
                o->json = PP_FORMAT_TEXT;
            } else if (strcmp(optarg, "folded") == 0) {
                o->json = PP_FORMAT_FOLDED;
            } else if (strcmp(optarg, "svg") == 0) {
                o->json = PP_FORMAT_SVG;
            } else if (strcmp(optarg, "pprof") == 0) {
                o->json = PP_FORMAT_PPROF;
            } else if (strcmp(optarg, "prometheus") == 0) {
                o->json = PP_FORMAT_PROM;
            } else {
                pp_error("unknown format \"%s\" (text, json, folded, svg, "
                         "pprof or prometheus)", optarg);
                return -1;
            }
            break;

        case 'm':
            o->metric = pp_metric_parse(optarg);
            if (o->metric < 0) {
                pp_error("unknown metric \"%s\" (pinned, noop, allocs, "
                         "alloc_bytes or unused)", optarg);
                return -1;
            }
            break;

        case 'n':
            n = strtoul(optarg, &end, 10);
            if (end == optarg || *end != '\0' || n == 0 || n > 1000000) {
                pp_error("bad --top \"%s\"", optarg);
                return -1;
            }
            o->top = (unsigned) n;
            break;

        case 'l':
            o->list = 1;
            break;

        case 'o':
            o->output = optarg;
            break;

        case 'E':
            o->serve = optarg;
            break;

        case 's':
            o->sort = optarg;
            break;

        case 'b':
            if (strcmp(optarg, "site") == 0) {
                o->by = PP_BY_SITE;
            } else if (strcmp(optarg, "module") == 0) {
                o->by = PP_BY_MODULE;
            } else if (strcmp(optarg, "pool") == 0) {
                o->by = PP_BY_POOL;
            } else if (strcmp(optarg, "tag") == 0) {
                o->by = PP_BY_TAG;
            } else {
                pp_error("unknown --by \"%s\" (site, module, pool or tag)",
                         optarg);
                return -1;
            }
            break;

        case 'p':
        case 'w':
            n = strtoul(optarg, &end, 10);
            if (end == optarg || *end != '\0' || n == 0 || n > 0x7fffffff) {
                pp_error("bad --%s \"%s\"", c == 'p' ? "pid" : "watch",
                         optarg);
                return -1;
            }
            if (c == 'p') {
                o->pid = (uint32_t) n;
            } else {
                o->watch = (unsigned) n;
            }
            break;

        case 'S':
            o->snapshot = optarg;
            break;

        case 'd':
            o->diff = optarg;
            break;

        case 'C':
            if (strcmp(optarg, "auto") == 0) {
                o->color = -1;
            } else if (strcmp(optarg, "always") == 0) {
                o->color = 1;
            } else if (strcmp(optarg, "never") == 0) {
                o->color = 0;
            } else {
                pp_error("unknown --color \"%s\" (auto, always or never)",
                         optarg);
                return -1;
            }
            break;

        case 'M':
            o->max_size = pp_parse_size(optarg);
            if (o->max_size == 0) {
                pp_error("bad --max-size \"%s\" (bytes, or a number and K, "
                         "M or G)", optarg);
                return -1;
            }
            break;

        case 'h':
            fputs(pp_usage, stdout);
            exit(0);

        case 'V':
            printf("poolprof-report %s (segment version %d, JSON format %d)"
                   "\n", PP_REPORT_VERSION, PP_SEG_VERSION, PP_JSON_FORMAT);
            exit(0);

        default:
            fputs("Try 'poolprof-report --help'.\n", stderr);
            return -1;
        }
    }

    if (optind + 1 < argc) {
        pp_error("one SEGMENT at most");
        return -1;
    }

    if (optind < argc) {
        o->segment = argv[optind];
    }

    if (o->sort != NULL && pp_sort_parse(o->sort, o->by) < 0) {
        fprintf(stderr, "poolprof-report: unknown --sort key \"%s\" for "
                "--by %s; the keys are: ",
                pp_escape(esc, sizeof(esc), o->sort),
                o->by == PP_BY_POOL ? "pool" : o->by == PP_BY_TAG ? "tag"
                : o->by == PP_BY_MODULE ? "module" : "site");
        pp_sort_keys(stderr, o->by);
        fputc('\n', stderr);
        return -1;
    }

    if (o->watch && o->json != PP_FORMAT_TEXT && o->json != PP_FORMAT_JSON) {
        pp_error("--watch shows text or json");
        return -1;
    }

    if (o->output != NULL && o->json != PP_FORMAT_PPROF
        && o->json != PP_FORMAT_PROM)
    {
        pp_error("--output writes pprof or prometheus");
        return -1;
    }

    if ((o->serve != NULL || o->json == PP_FORMAT_PPROF
         || o->json == PP_FORMAT_PROM)
        && (o->diff != NULL || o->watch || o->snapshot != NULL))
    {
        pp_error("--diff, --watch and --snapshot do not go with pprof, "
                 "prometheus or --serve");
        return -1;
    }

    return 0;
}


/* the view options that every load of a report takes */
static void
pp_view(pp_report_t *r, const pp_options_t *o)
{
    const char  *nc;

    nc = getenv("NO_COLOR");

    r->top = o->top;
    r->by = o->by;
    r->sort = o->sort != NULL ? pp_sort_parse(o->sort, o->by) : -1;
    r->color = nc != NULL && nc[0] != '\0' ? 0
               : o->color >= 0 ? o->color
               : isatty(STDOUT_FILENO);
}


/* reads, names and orders one report; 0, or -1 with a message printed */
int
pp_report_open(pp_report_t *r, const char *path, const void *opts)
{
    char                 err[PP_ERR_LEN];
    pp_report_t          base;
    pp_options_t         bo;
    const pp_options_t  *o;

    o = opts;

    pp_merge_pid(o->pid);

    if (pp_report_load(r, path, o->flags, err, sizeof(err)) != 0) {
        pp_error("%s: %s", path, err);
        return -1;
    }

    if (o->pid != 0 && r->nprocs == 0) {
        pp_error("%s: no process %u in the segment", path, o->pid);
        pp_report_free(r);
        return -1;
    }

    pp_sym_resolve(r);
    pp_view(r, o);

    if (o->diff != NULL) {
        bo = *o;
        bo.diff = NULL;
        bo.flags = PP_OPEN_FOLLOW;      /* given on the command line */

        if (pp_report_open(&base, o->diff, &bo) != 0) {
            pp_report_free(r);
            return -1;
        }

        pp_diff(r, &base);
        r->diff_base = o->diff;
        pp_report_free(&base);
    }

    pp_report_sort(r);

    /* only about a file that was read: an error says enough */
    pp_seg_mode_warn(path, r->mode);

    return 0;
}


/* prints one loaded report in the chosen format; 0 or -1 */
int
pp_report_print(FILE *f, pp_report_t *r, const void *opts)
{
    const pp_options_t  *o;

    o = opts;

    switch (o->json) {

    case PP_FORMAT_JSON:
        pp_json_print(f, r);
        return 0;

    case PP_FORMAT_FOLDED:
    case PP_FORMAT_SVG:
        return pp_stacks_print(f, r, o->json == PP_FORMAT_SVG, o->metric);

    default:
        pp_text_print(f, r, 0);
        return 0;
    }
}


/* --format pprof|prometheus and --serve: pp_fleet.h */
static int
pp_report_fleet(const pp_options_t *o)
{
    pp_fleet_opts_t  fo;

    fo.segment = o->segment;
    fo.flags = o->flags;
    fo.metric = o->metric;
    fo.top = o->top;
    fo.pid = o->pid;
    fo.output = o->output;

    if (o->serve != NULL) {
        return pp_serve(o->serve, &fo);
    }

    return pp_fleet_main(&fo, o->json == PP_FORMAT_PPROF ? PP_FLEET_PPROF
                                                         : PP_FLEET_PROMETHEUS);
}


int
main(int argc, char **argv)
{
    int           rc;
    char          err[PP_ERR_LEN], *newest;
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

    if (o.segment == NULL) {
        newest = pp_newest_segment(err, sizeof(err));
        if (newest == NULL) {
            pp_error("%s", err);
            goto cleanup;
        }

        pp_error("reading %s", newest);
        o.segment = newest;

        /* found in a directory, not named by the user: not followed */
        o.flags = 0;
    }

    if (o.snapshot != NULL) {
        rc = pp_snapshot(o.segment, o.flags, o.snapshot) == 0 ? 0 : 1;
        goto cleanup;
    }

    if (o.serve != NULL || o.json == PP_FORMAT_PPROF
        || o.json == PP_FORMAT_PROM)
    {
        rc = pp_report_fleet(&o) == 0 ? 0 : 1;
        goto cleanup;
    }

    if (o.watch) {
        rc = pp_watch(o.segment, o.watch, o.json == PP_FORMAT_JSON, &o);
        goto cleanup;
    }

    if (pp_report_open(&r, o.segment, &o) != 0
        || pp_report_print(stdout, &r, &o) != 0)
    {
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
