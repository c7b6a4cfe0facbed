/*
 * seg_frees SEGMENT: the kinds of ngx_pfree() calls a segment holds, as
 * the reporter's library reads and merges them, for tests/t-frees.sh
 * (the reporter's own output of these fields is its business).  Prints
 *
 *   totals FIELD=N ...
 *   site SYMBOL ADDRESS FIELD=N ... cross_site=0xADDRESS
 *   pool SYMBOL ADDRESS created=N
 *
 * one line per site and per pool site, addresses in hex.
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "pp_report.h"


#define SEG_FREES(X)                                                         \
    X(noop_frees) X(pinned_bytes) X(freed) X(foreign_frees)                 \
    X(unknown_frees) X(frees_null) X(frees_repeated) X(frees_cross_pool)    \
    X(frees_interior)

#define SEG_PRINT(f)  printf(" " #f "=%" PRIu64, (uint64_t) c->f);


int
main(int argc, char **argv)
{
    char                err[PP_ERR_LEN];
    size_t              i;
    pp_view_t           v;
    pp_input_t          in = { 0 };
    pp_report_t         r;
    const pp_site_t    *c;
    const pp_totals_t  *t;

    if (argc != 2) {
        fprintf(stderr, "usage: seg_frees SEGMENT\n");
        return 2;
    }

    pp_view_init(&v);
    in.seg.path = argv[1];

    if (pp_report_build(&r, &in, &v, err, sizeof(err)) != 0) {
        fprintf(stderr, "seg_frees: %s\n", err);
        return 1;
    }

    t = &r.totals;
    printf("totals");
#define c t
    SEG_FREES(SEG_PRINT)
#undef c
    printf("\n");

    for (i = 0; i < r.nsites; i++) {
        c = &r.sites[i].s;
        printf("site %s 0x%" PRIx64,
               r.sites[i].symbol[0] ? r.sites[i].symbol : "-",
               r.sites[i].key);
        SEG_FREES(SEG_PRINT)
        printf(" cross_site=0x%" PRIx64 "\n", (uint64_t) c->cross_site);
    }

    for (i = 0; i < r.npools; i++) {
        printf("pool %s 0x%" PRIx64 " created=%" PRIu64 "\n",
               r.pools[i].symbol[0] ? r.pools[i].symbol : "-",
               r.pools[i].key, (uint64_t) r.pools[i].p.created);
    }

    pp_report_free(&r);

    return 0;
}
