/*
 * libFuzzer target for the segment reader: the pipeline that
 * poolprof-report runs (pp_report_build(): validation, merge, names,
 * leaks, owners, sorting), every output (text in every --by view, JSON,
 * folded and SVG for every metric) and --diff, on the input as given and
 * on a copy whose header fields that random bytes rarely get right
 * (magic, version, header size, ready, size) are set, so that the fuzzer
 * reaches the shard checks.
 *
 *   make tests/unit/fuzz_read     (configure found a clang with libFuzzer)
 *   tests/unit/test_read --seeds corpus
 *   tests/unit/fuzz_read -max_total_time=60 corpus
 *
 * The input is read offline: no object file it names is opened.
 * tests/t-fuzz.sh runs it.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp_report.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


/* builds and prints one view; 0, or -1 when the input was refused */
static int
pp_fuzz_view(FILE *null, const pp_input_t *in, const pp_view_t *v)
{
    char         err[PP_ERR_LEN];
    pp_report_t  r;

    err[0] = '\0';

    if (pp_report_build(&r, in, v, err, sizeof(err)) != 0) {
        /* a refusal is one line */
        if (strchr(err, '\n') != NULL || err[0] == '\0') {
            abort();
        }
        return -1;
    }

    (void) pp_report_print(null, &r, v);
    pp_report_free(&r);

    return 0;
}


static void
pp_fuzz_one(const unsigned char *buf, size_t len)
{
    int           m;
    pp_view_t     v;
    pp_input_t    in;
    static FILE  *null;

    if (null == NULL) {
        null = fopen("/dev/null", "w");
        if (null == NULL) {
            abort();
        }
    }

    memset(&in, 0, sizeof(in));
    in.seg.path = "fuzz";
    in.seg.buf = buf;
    in.seg.len = len;
    in.offline = 1;

    pp_view_init(&v);
    v.format = PP_FORMAT_JSON;

    if (pp_fuzz_view(null, &in, &v) != 0) {
        return;
    }

    /* every view of the text report, ordered by a key all tables have */
    v.format = PP_FORMAT_TEXT;
    v.sort = (int) (len % 5);

    for (v.by = PP_BY_SITE; v.by <= PP_BY_TAG; v.by++) {
        (void) pp_fuzz_view(null, &in, &v);
    }

    v.by = PP_BY_SITE;
    v.sort = -1;

    for (m = PP_METRIC_PINNED; m <= PP_METRIC_UNUSED; m++) {
        v.format = (m & 1) ? PP_FORMAT_SVG : PP_FORMAT_FOLDED;
        v.metric = m;
        (void) pp_fuzz_view(null, &in, &v);
    }

    /* --diff against a second read of the same bytes */
    in.base = in.seg;
    in.base.path = "base";
    v.diff = "base";
    v.format = PP_FORMAT_TEXT;
    (void) pp_fuzz_view(null, &in, &v);
    v.format = PP_FORMAT_JSON;
    (void) pp_fuzz_view(null, &in, &v);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char    *copy;
    pp_seg_header_t   h;

    pp_fuzz_one(data, size);

    if (size < PP_SEG_HEADER_SIZE) {
        return 0;
    }

    copy = malloc(size);
    if (copy == NULL) {
        return 0;
    }

    memcpy(copy, data, size);
    memcpy(&h, copy, sizeof(h));
    memcpy(h.magic, PP_SEG_MAGIC, 8);
    h.version = PP_SEG_VERSION;
    h.header_size = PP_SEG_HEADER_SIZE;
    h.ready = 1;
    h.size = size;
    memcpy(copy, &h, sizeof(h));

    pp_fuzz_one(copy, size);

    free(copy);

    return 0;
}
