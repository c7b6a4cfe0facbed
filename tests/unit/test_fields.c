/*
 * TAP test of the field tables (common/pp_fields.h) and of what the
 * reporter builds on them: adding, subtracting, emptiness and scaling
 * by merge kind; the --sort keys, each found again by its name; and the
 * fleet figures, each a counter of its row's table.
 */

#include <stdio.h>
#include <string.h>

#include "pp_segbuild.h"
#include "pp_fleet.h"
#include "pp_rows.h"


static void
t_merge(void)
{
    pp_site_t  a, b;
    pp_pool_t  p, q;

    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));

    a.allocs = 3;
    a.pinned_byte_seconds = 1.5;
    a.cross_site = 0;
    a.owner = 0x100;
    b.allocs = 4;
    b.zeroed_bytes = 64;
    b.pinned_byte_seconds = 2.0;
    b.cross_site = 0x200;
    b.owner = 0x300;

    pp_rows_add_site(&a, &b);
    ok(a.allocs == 7 && a.zeroed_bytes == 64, "add: counters add");
    ok(a.pinned_byte_seconds == 3.5, "add: a double adds as a double");
    ok(a.cross_site == 0x200, "add: an address: the first non-zero");
    ok(a.owner == 0x100, "add: the owner: the first non-zero stays");

    memset(&p, 0, sizeof(p));
    memset(&q, 0, sizeof(q));
    p.size = 1024;
    q.size = 4096;
    p.created = 1;
    q.created = 2;
    pp_rows_add_pool_counts(&p, &q);
    ok(p.size == 4096 && p.created == 3, "add: a size is the largest");

    /* a - b: counters subtract, addresses and sizes stay */
    ok(pp_fields_sub(&pp_site_fields, &a, &b) == 0
         && a.allocs == 3 && a.zeroed_bytes == 0 && a.cross_site == 0x200,
         "sub: counters subtract, an address stays");
    ok(a.pinned_byte_seconds == 1.5, "sub: a double subtracts");

    b.allocs = 10;
    ok(pp_fields_sub(&pp_site_fields, &a, &b) == 1 && a.allocs == 0,
         "sub: a counter below its base is 0, and said");

    ok(pp_fields_sub(&pp_pool_fields, &p, &q) == 0 && p.size == 4096
         && p.created == 1, "sub: a pool's size stays");

    memset(&a, 0, sizeof(a));
    a.cross_site = 0x200;
    a.owner = 0x100;
    ok(!pp_fields_any(&pp_site_fields, &a),
         "any: addresses alone are not a change");
    a.frees_interior = 1;
    ok(pp_fields_any(&pp_site_fields, &a), "any: a new counter is one");
    a.frees_interior = 0;
    a.pinned_byte_seconds = 0.25;
    ok(pp_fields_any(&pp_site_fields, &a), "any: a double is one");

    p.size = 4096;
    p.created = 3;
    pp_fields_scale(&pp_pool_fields, &p, 8);
    ok(p.created == 24 && p.size == 4096, "scale: counters, not sizes");
    p.created = UINT64_MAX / 2;
    pp_fields_scale(&pp_pool_fields, &p, 8);
    ok(p.created == UINT64_MAX, "scale: saturates");
}


/* every --sort key is found again by its name; the old names stay */
static void
t_sort_keys(void)
{
    int          by, k, bad;
    size_t       i;
    const char  *name;

    static const struct {
        int          by;
        const char  *name;
    } old[] = {
        { PP_BY_SITE, "wasted" }, { PP_BY_SITE, "pinned" },
        { PP_BY_SITE, "noop" }, { PP_BY_SITE, "allocs" },
        { PP_BY_SITE, "alloc_bytes" }, { PP_BY_SITE, "frees" },
        { PP_BY_SITE, "foreign" }, { PP_BY_SITE, "byte_seconds" },
        { PP_BY_SITE, "growth" }, { PP_BY_POOL, "unused" },
        { PP_BY_POOL, "created" }, { PP_BY_POOL, "size" },
        { PP_BY_POOL, "blocks" }, { PP_BY_POOL, "spilled" },
        { PP_BY_POOL, "used_p95" }, { PP_BY_POOL, "growth" },
        { PP_BY_POOL, "leaked" }, { PP_BY_TAG, "reuse" },
        { PP_BY_TAG, "hits" }, { PP_BY_TAG, "misses" },
        { PP_BY_TAG, "recycled" }, { PP_BY_TAG, "busy" },
    };

    bad = 0;

    for (by = PP_BY_SITE; by <= PP_BY_TAG; by++) {
        if (by == PP_BY_MODULE) {
            continue;
        }

        for (k = 0; k < 200; k++) {
            name = pp_sort_name(by, k);
            if (pp_sort_parse(name, by) != k) {
                break;
            }
        }

        /* the first index that is no key names the default again */
        bad += k < 5 || strcmp(pp_sort_name(by, k), pp_sort_name(by, 0)) != 0;
    }

    ok(bad == 0, "sort: every key is parsed back to its index");

    for (i = 0, bad = 0; i < sizeof(old) / sizeof(old[0]); i++) {
        bad += pp_sort_parse(old[i].name, old[i].by) < 0;
    }

    ok(bad == 0, "sort: the %zu documented keys are keys",
         sizeof(old) / sizeof(old[0]));
    ok(pp_sort_parse("wasted", PP_BY_SITE) == 0
         && pp_sort_parse("unused", PP_BY_POOL) == 0
         && pp_sort_parse("reuse", PP_BY_TAG) == 0,
         "sort: the default orders are key 0");
    ok(pp_sort_parse("zeroed", PP_BY_SITE) > 0
         && pp_sort_parse("frees_cross_pool", PP_BY_SITE) > 0,
         "sort: a counter added to the table is a key");
    ok(pp_sort_parse("cross_site", PP_BY_SITE) < 0,
         "sort: an address is not a key");
}


static const pp_fields_t *
t_row_table(int row)
{
    return row == PP_ROW_POOL ? &pp_pool_fields
           : row == PP_ROW_TAG ? &pp_tag_fields : &pp_site_fields;
}


/* the fleet figures read counters of their rows' tables */
static void
t_figures(void)
{
    int                bad, units;
    size_t             i;
    const pp_field_t  *f;

    bad = 0;
    units = 0;

    for (i = 0; i < pp_nfigures; i++) {
        f = pp_fields_at(t_row_table(pp_figures[i].row), pp_figures[i].off);

        if (f == NULL || f->merge != PP_MERGE_SUM || f->type != PP_FIELD_U64
            || (pp_figures[i].off2 != PP_NO_FIELD
                && pp_fields_at(t_row_table(pp_figures[i].row),
                                pp_figures[i].off2) == NULL)
            || (pp_figures[i].stack_off != PP_NO_FIELD
                && pp_fields_at(&pp_stack_fields, pp_figures[i].stack_off)
                   == NULL))
        {
            bad++;
            continue;
        }

        /* the pprof unit and a Prometheus name's unit are the field's */
        if (pp_figures[i].unit != NULL
            && (strcmp(pp_figures[i].unit, "bytes") == 0)
               != (f->unit == PP_UNIT_BYTES))
        {
            units++;
        }

        if ((strstr(pp_figures[i].name, "_bytes_") != NULL)
            != (f->unit == PP_UNIT_BYTES))
        {
            units++;
        }
    }

    ok(bad == 0, "figures: each of the %zu reads counters of its table",
         pp_nfigures);
    ok(units == 0, "figures: units agree with the tables");

    for (i = 0, bad = 0; i < pp_nrole_figures; i++) {
        f = pp_fields_at(&pp_totals_fields, pp_role_figures[i].off);
        bad += f == NULL || f->merge != PP_MERGE_SUM;
    }

    ok(bad == 0, "figures: each role figure is a counter of the totals");
}


/* a corrupt file's counts near 2^64 read exactly, never through a double */
static void
t_huge(void)
{
    pp_tag_t      t;
    pp_rfigure_t  fig;

    memset(&t, 0, sizeof(t));
    t.hits = UINT64_MAX - 1;

    ok(pp_rfind(&pp_rtags, "hits", &fig) == 0
         && pp_rfigure_u64(&pp_rtags, &fig, &t) == UINT64_MAX - 1,
         "huge: a derived count is exact near 2^64");
    ok(pp_rfind(&pp_rtags, "recycled", &fig) == 0
         && pp_rfigure_u64(&pp_rtags, &fig, &t) == 0,
         "huge: a recorded count is read as it is");

    t.misses = UINT64_MAX;
    ok(pp_rfind(&pp_rtags, "reuse", &fig) == 0
         && pp_rfigure_u64(&pp_rtags, &fig, &t) <= 1,
         "huge: a ratio of wrapped sums stays a ratio");
}


int
main(void)
{
    t_huge();
    t_merge();
    t_sort_keys();
    t_figures();

    return pp_tap_done();
}
