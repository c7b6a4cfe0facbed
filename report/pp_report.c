/*
 * poolprof-report: reads a segment that libpoolprof.so recorded, live or
 * after nginx exited, and prints where pool memory was wasted and how
 * well buffers were reused.
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp_report.h"


#define PP_FORMAT_TEXT    0
#define PP_FORMAT_JSON    1
#define PP_FORMAT_FOLDED  2
#define PP_FORMAT_SVG     3

typedef struct {
    int                     json;       /* PP_FORMAT_* */
    int                     metric;     /* PP_METRIC_* */
    int                     list;
    unsigned                top;
    const char             *segment;
} pp_options_t;


static const char  pp_usage[] =
"Usage: poolprof-report [OPTIONS] [SEGMENT]\n"
"\n"
"Report wasted nginx pool memory and buffer reuse from a segment that\n"
"libpoolprof.so recorded.  SEGMENT defaults to the newest\n"
"/dev/shm/poolprof.*; it may be read while nginx runs or after it exited.\n"
"\n"
"Options:\n"
"  -f, --format FORMAT   text (default), json, or the sampled stacks as\n"
"                        folded lines or an interactive SVG flame graph:\n"
"                        folded, svg\n"
"  -m, --metric METRIC   what folded and svg weigh stacks by: pinned\n"
"                        (default), noop, allocs, alloc_bytes, unused\n"
"  -n, --top N           rows per table in text output (default 10)\n"
"  -l, --list            list the segments in /dev/shm, or in the\n"
"                        directory of SEGMENT, and exit\n"
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
"  poolprof-report --list\n";


static int
pp_parse(int argc, char **argv, pp_options_t *o)
{
    int            c;
    char          *end;
    unsigned long  n;

    static const struct option  longopts[] = {
        { "format",  required_argument, NULL, 'f' },
        { "metric",  required_argument, NULL, 'm' },
        { "top",     required_argument, NULL, 'n' },
        { "list",    no_argument,       NULL, 'l' },
        { "help",    no_argument,       NULL, 'h' },
        { "version", no_argument,       NULL, 'V' },
        { NULL,      0,                 NULL, 0 }
    };

    o->json = PP_FORMAT_TEXT;
    o->metric = PP_METRIC_PINNED;
    o->list = 0;
    o->top = 10;
    o->segment = NULL;

    while ((c = getopt_long(argc, argv, "f:m:n:lhV", longopts, NULL)) != -1) {
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
            } else {
                fprintf(stderr, "poolprof-report: unknown format \"%s\" "
                        "(text, json, folded or svg)\n", optarg);
                return -1;
            }
            break;

        case 'm':
            o->metric = pp_metric_parse(optarg);
            if (o->metric < 0) {
                fprintf(stderr, "poolprof-report: unknown metric \"%s\" "
                        "(pinned, noop, allocs, alloc_bytes or unused)\n",
                        optarg);
                return -1;
            }
            break;

        case 'n':
            n = strtoul(optarg, &end, 10);
            if (end == optarg || *end != '\0' || n == 0 || n > 1000000) {
                fprintf(stderr, "poolprof-report: bad --top \"%s\"\n",
                        optarg);
                return -1;
            }
            o->top = (unsigned) n;
            break;

        case 'l':
            o->list = 1;
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
        fprintf(stderr, "poolprof-report: one SEGMENT at most\n");
        return -1;
    }

    if (optind < argc) {
        o->segment = argv[optind];
    }

    return 0;
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

    if (o.list) {
        return pp_list_segments(stdout, o.segment) == 0 ? 0 : 1;
    }

    if (o.segment == NULL) {
        newest = pp_newest_segment(err, sizeof(err));
        if (newest == NULL) {
            fprintf(stderr, "poolprof-report: %s\n", err);
            goto cleanup;
        }

        fprintf(stderr, "poolprof-report: reading %s\n", newest);
        o.segment = newest;
    }

    if (pp_report_load(&r, o.segment, err, sizeof(err)) != 0) {
        fprintf(stderr, "poolprof-report: %s: %s\n", o.segment, err);
        goto cleanup;
    }

    pp_sym_resolve(&r);
    pp_report_sort(&r);

    switch (o.json) {

    case PP_FORMAT_JSON:
        pp_json_print(stdout, &r);
        break;

    case PP_FORMAT_FOLDED:
    case PP_FORMAT_SVG:
        if (pp_stacks_print(stdout, &r, o.json == PP_FORMAT_SVG, o.metric)
            != 0)
        {
            goto cleanup;
        }
        break;

    default:
        pp_text_print(stdout, &r, o.top);
    }

    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "poolprof-report: failed to write the report\n");
        goto cleanup;
    }

    rc = 0;

cleanup:

    pp_report_free(&r);
    free(newest);

    return rc;
}
