/*
 * Unit tests of the shard's tables (shim/pp_table.c, shim/pp_growth.c)
 * on a shard in ordinary memory: rows are handed out in order, a key
 * finds its row again, a full table counts into the overflow row (the
 * one at the capacity); and when the index gets no memory (calloc, wrapped with
 * -Wl,--wrap=calloc, fails), every event of that table counts into the
 * overflow row instead of dereferencing a NULL index, while the other
 * tables work, and a later init recovers.
 */

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp_tap.h"
#include "pp_table.h"
#include "pp_growth.h"


#define CAP      4
#define CAP_BIG  100

pp_proc_t  pp_proc;

static int              calloc_calls, calloc_fail;   /* bit i: call i fails */
static pp_seg_header_t  hdr;
static pp_totals_t      totals;
static pp_site_t        sites[CAP_BIG + 1];
static pp_pool_t        pools[CAP_BIG + 1];
static pp_tag_t         tags[CAP_BIG + 1];
static pp_growth_t      growth[CAP_BIG + 1];

static int              object_checks;

void *__real_calloc(size_t n, size_t size);


/* pp_objects.c: a new site asks whether it lies in a known object */
void
pp_objects_check(uintptr_t addr)
{
    (void) addr;
    object_checks++;
}


/* pp_stack.c: a new row's owner, when its site lies in a library */
uintptr_t
pp_stack_owner(uintptr_t site)
{
    (void) site;
    return 0;
}
void *__wrap_calloc(size_t n, size_t size);


void *
__wrap_calloc(size_t n, size_t size)
{
    int  i;

    i = calloc_calls++;

    if (i < 32 && (calloc_fail & (1 << i))) {
        return NULL;
    }

    return __real_calloc(n, size);
}




/* a fresh shard of cap rows a table; pp_table_init()'s result */
static int
shard(uint32_t cap, int fail)
{
    memset(&totals, 0, sizeof(totals));
    memset(sites, 0, sizeof(sites));
    memset(pools, 0, sizeof(pools));
    memset(tags, 0, sizeof(tags));
    memset(growth, 0, sizeof(growth));

    pp_proc.lay.nsites = cap;
    pp_proc.lay.npools = cap;
    pp_proc.lay.ntags = cap;
    pp_proc.lay.ngrowth = cap;

    pp_proc.seg = &hdr;
    pp_proc.totals = &totals;
    pp_proc.sites = sites;
    pp_proc.pools = pools;
    pp_proc.tags = tags;
    pp_proc.growth = growth;

    calloc_calls = 0;
    calloc_fail = fail;

    return pp_table_init();
}


/* n keys, twice each: the rows they get, in order, or the overflow */
static int
sites_in_order(uint32_t cap, uint32_t n)
{
    uint32_t    i, r;
    pp_site_t  *s;

    for (r = 0; r < 2; r++) {
        for (i = 0; i < n; i++) {
            s = pp_site(0x1000 + i * 16);
            if (s != &sites[i < cap ? i : cap]) {
                return 0;
            }
        }
    }

    return 1;
}


static void
test_tables(void)
{
    uint32_t  i;
    int       same;

    ok(shard(CAP, 0) == 0, "init: 4 indexes of 16 slots");

    object_checks = 0;
    ok(sites_in_order(CAP, CAP), "sites: 4 keys get rows 0-3, again so");
    ok(object_checks == CAP,
       "sites: each new site, and only a new one, asks for its object (%d)",
       object_checks);
    ok(totals.overflow == 0 && sites[0].key == 0x1000
       && sites[CAP - 1].key == 0x1000 + (CAP - 1) * 16,
       "sites: the rows hold their keys, no overflow");

    ok(sites_in_order(CAP, CAP + 3), "sites: 3 keys more go to the overflow");
    ok(totals.overflow == 6 && sites[CAP].key == 0,
       "sites: 6 events counted as overflow (%llu), its row keeps key 0",
       (unsigned long long) totals.overflow);

    same = 1;
    for (i = 0; i < CAP; i++) {
        same &= (pp_pool_row(0x2000 + i) == &pools[i]);
        same &= (pp_tag(0x3000 + i) == &tags[i]);
        same &= (pp_growth(0x4000 + i, 0x5000) == &growth[i]);
    }
    same &= (pp_growth(0x4000, 0x5000) == &growth[0]);
    same &= (pp_growth(0x4000, 0x5001) == &growth[CAP]);
    ok(same && growth[1].site == 0x4001 && growth[1].pool_site == 0x5000
       && totals.overflow == 7,
       "pools, tags, growth: rows in order, a fifth growth pair overflows");
}


static void
test_oom(void)
{
    uint32_t  i;
    int       same;

    /* another size: every index is allocated again, and all fail */
    ok(shard(CAP_BIG, 0xf) != 0 && calloc_calls == 4,
       "init without memory fails (4 callocs, all refused)");

    same = 1;
    for (i = 0; i < 10; i++) {
        same &= (pp_site(0x1000 + i % 3) == &sites[CAP_BIG]);
        same &= (pp_pool_row(0x2000 + i) == &pools[CAP_BIG]);
        same &= (pp_tag(0x3000) == &tags[CAP_BIG]);
        same &= (pp_growth(0x4000, 0x5000) == &growth[CAP_BIG]);
    }
    ok(same, "no memory: 40 lookups, each gets its table's overflow row");
    ok(totals.overflow == 40 && sites[0].key == 0 && pools[0].key == 0
       && tags[0].key == 0 && growth[0].key == 0,
       "no memory: 40 events of overflow (%llu), no row handed out",
       (unsigned long long) totals.overflow);

    /* the same size again: the failed indexes get memory this time */
    ok(shard(CAP_BIG, 0) == 0 && calloc_calls == 5,
       "a later init with memory succeeds (4 indexes, growth state)");
    ok(sites_in_order(CAP_BIG, CAP_BIG + 1) && totals.overflow == 2
       && pp_pool_row(0x2000) == &pools[0],
       "after recovery: 100 sites in order, the 101st overflows");

    /* only the pools' index fails (the second init of the four) */
    ok(shard(CAP, 0x2) != 0 && calloc_calls == 5,
       "init with only the pools' calloc refused fails");
    same = (pp_pool_row(0x2000) == &pools[CAP]
            && pp_pool_row(0x2001) == &pools[CAP]);
    ok(same && totals.overflow == 2 && pools[0].key == 0,
       "pools without memory: 2 events of overflow (%llu)",
       (unsigned long long) totals.overflow);
    ok(sites_in_order(CAP, CAP) && pp_tag(0x3000) == &tags[0]
       && pp_growth(0x4000, 0x5000) == &growth[0] && totals.overflow == 2,
       "the other tables work meanwhile");

    /* only the growth rows' state fails (the fifth calloc) */
    ok(shard(CAP_BIG, 0x10) != 0 && calloc_calls == 5,
       "init with only the growth state's calloc refused fails");
    ok(pp_growth(0x4000, 0x5000) == &growth[CAP_BIG]
       && pp_growth(0x4001, 0x5000) == &growth[CAP_BIG]
       && growth[0].key == 0 && pp_site(0x1000) == &sites[0],
       "growth without state: every pair in the overflow row, sites work");
}


int
main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);

    test_tables();
    test_oom();

    return pp_tap_done();
}
