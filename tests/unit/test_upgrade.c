/*
 * TAP test of the reader's upgrade of older segments: version 4's
 * records grew, and a segment of version 3 (or 2) is read with its own
 * record sizes.  The same rows in a version 3 and a version 4 layout
 * read alike, and the fields added read as 0 from version 3.
 */

#include <stdio.h>
#include <string.h>

#include "pp_segbuild.h"


static void
t_v4(void)
{
    int          rc3, rc4;
    char         err[PP_ERR_LEN];
    t_seg_t      s3, s4;
    pp_rsite_t  *a3, *a4;
    pp_report_t  r3, r4;

    t_build_version(&s3, 3);
    t_build_version(&s4, 4);

    t_sh(&s4, 1)->totals.frees_null = 4;
    t_site(&s4, 1, 3)->zeroed_bytes = 128;
    t_site(&s4, 1, 3)->owner = T_SITE_B;
    t_pool(&s4, 1, 1)->owner = T_SITE_B;
    s4.h->sample_period = 8;

    rc3 = pp_seg_merge(&r3, s3.buf, s3.len, 0, err, sizeof(err));
    ok(rc3 == 0, "v3: merges: %s", rc3 ? err : "ok");
    rc4 = pp_seg_merge(&r4, s4.buf, s4.len, 0, err, sizeof(err));
    ok(rc4 == 0, "v4: merges: %s", rc4 ? err : "ok");

    if (rc3 == 0 && rc4 == 0) {
        a3 = t_find_site(&r3, T_SITE_A);
        a4 = t_find_site(&r4, T_SITE_A);

        /* v4 tracked 1 in 8 pools: its counts are read times 8 */
        ok(a3 != NULL && a4 != NULL && 8 * a3->s.allocs == a4->s.allocs
             && 8 * a3->s.noop_frees == a4->s.noop_frees
             && 8 * a3->s.pinned_bytes == a4->s.pinned_bytes
             && r3.nsites == r4.nsites && r3.npools == r4.npools
             && r3.ntags == r4.ntags && r3.nprocs == r4.nprocs
             && 8 * r3.totals.allocs == r4.totals.allocs,
             "v3 and v4 layouts of the same rows read alike");
        ok(a3 != NULL && a3->s.zeroed_bytes == 0 && a3->s.owner == 0
             && r3.totals.frees_null == 0 && r3.hdr.sample_period == 0,
             "v3: the fields added in v4 read as 0");
        ok(a4 != NULL && a4->s.zeroed_bytes == 8 * 128
             && a4->s.owner == T_SITE_B && r4.totals.frees_null == 8 * 4
             && r4.hdr.sample_period == 8 && r4.estimated
             && !r3.estimated,
             "v4: its own fields are read");
        ok(r4.npools > 0 && r4.pools[0].p.owner == T_SITE_B
             && r3.pools[0].p.owner == 0
             && 8 * r3.pools[0].p.created == r4.pools[0].p.created,
             "v4: pools' owner read; v3 pools the same otherwise");
    }

    if (rc3 == 0) {
        pp_report_free(&r3);
    }

    if (rc4 == 0) {
        pp_report_free(&r4);
    }

    t_free(&s3);
    t_free(&s4);
}


int
main(void)
{
    t_v4();

    return pp_tap_done();
}
