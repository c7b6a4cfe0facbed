/*
 * libFuzzer target for the segment reader: validation, merge, sorting,
 * both outputs (every --by view) and --diff, on the input as given and
 * on a copy whose header fields that random bytes rarely get right
 * (magic, version, header size, ready, size) are set, so that the fuzzer
 * reaches the shard checks.
 *
 *   make tests/unit/fuzz_read     (configure found a clang with libFuzzer)
 *   tests/unit/test_read --seeds corpus
 *   tests/unit/fuzz_read -max_total_time=60 corpus
 *
 * Symbolization is left out: it opens the paths the input names.
 * tests/t-fuzz.sh runs it.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp_report.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static void
pp_fuzz_one(const unsigned char *buf, size_t len)
{
    int           m, by;
    char          err[PP_ERR_LEN];
    size_t        i;
    pp_report_t   r, b;
    static FILE  *null;

    if (null == NULL) {
        null = fopen("/dev/null", "w");
        if (null == NULL) {
            abort();
        }
    }

    if (pp_seg_merge(&r, buf, len, 0, err, sizeof(err)) != 0) {
        /* a refusal is one line */
        if (strchr(err, '\n') != NULL || err[0] == '\0') {
            abort();
        }
        return;
    }

    r.path = strdup("fuzz");

    /* names without opening the files the segment names */
    for (i = 0; i < r.nobjs; i++) {
        r.objs[i].loaded = 1;
    }

    pp_leaks_resolve(&r);
    pp_report_sort(&r);
    pp_json_print(null, &r);

    /* every view of the text report, ordered by a key all tables have */
    for (by = PP_BY_SITE; by <= PP_BY_TAG; by++) {
        r.by = by;
        r.sort = (int) (len % 5);
        pp_report_sort(&r);
        pp_text_print(null, &r, 10);
    }

    r.by = PP_BY_SITE;
    r.sort = -1;

    for (m = PP_METRIC_PINNED; m <= PP_METRIC_UNUSED; m++) {
        (void) pp_stacks_print(null, &r, m & 1, m);
    }

    /* --diff against a second read of the same bytes */
    if (pp_seg_merge(&b, buf, len, 0, err, sizeof(err)) == 0) {
        b.path = strdup("base");
        pp_leaks_resolve(&b);
        pp_diff(&r, &b);
        pp_report_sort(&r);
        pp_text_print(null, &r, 10);
        pp_json_print(null, &r);
        pp_report_free(&b);
    }

    pp_report_free(&r);
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
