/*
 * Unit tests of buffer reuse per tag (shim/pp_bufs.c) on a shard in
 * ordinary memory: a miss of ngx_chain_get_free_buf() waits for its
 * buffer's tag and is counted for it when its pool ends, once; and
 * after pp_bufs_reset() (a forked child) nothing the parent left
 * pending is counted again, nor is a free list it followed.
 */

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp_tap.h"
#include "pp_bufs.h"
#include "pp_table.h"


#define CAP  16

pp_proc_t  pp_proc;

static pp_seg_header_t  hdr;
static pp_totals_t      totals;
static pp_site_t        sites[CAP + 1];
static pp_pool_t        pools[CAP + 1];
static pp_tag_t         tags[CAP + 1];
static pp_growth_t      growth[CAP + 1];


/* pp_objects.c: a new site asks whether it lies in a known object */
void
pp_objects_check(uintptr_t addr)
{
    (void) addr;
}


/* pp_stack.c: a new row's owner, when its site lies in a library */
uintptr_t
pp_stack_owner(uintptr_t site)
{
    (void) site;
    return 0;
}


/* a fresh, empty shard */
static void
shard(void)
{
    memset(&totals, 0, sizeof(totals));
    memset(sites, 0, sizeof(sites));
    memset(pools, 0, sizeof(pools));
    memset(tags, 0, sizeof(tags));
    memset(growth, 0, sizeof(growth));

    pp_proc.lay.nsites = CAP;
    pp_proc.lay.npools = CAP;
    pp_proc.lay.ntags = CAP;
    pp_proc.lay.ngrowth = CAP;

    pp_proc.seg = &hdr;
    pp_proc.totals = &totals;
    pp_proc.sites = sites;
    pp_proc.pools = pools;
    pp_proc.tags = tags;
    pp_proc.growth = growth;

    pp_table_init();
}


/* the misses counted for tag, 0 if it has no row */
static uint64_t
misses(void *tag)
{
    uint32_t  i;

    for (i = 0; i < CAP; i++) {
        if (tags[i].key == (uintptr_t) tag) {
            return tags[i].misses;
        }
    }

    return 0;
}


int
main(void)
{
    int              tag_a, tag_b;
    pp_ngx_buf_t     buf_a, buf_b;
    pp_ngx_pool_t    pool;
    pp_ngx_chain_t   cl_a, cl_b, *free;

    setvbuf(stdout, NULL, _IONBF, 0);

    memset(&buf_a, 0, sizeof(buf_a));
    memset(&buf_b, 0, sizeof(buf_b));
    cl_a.buf = &buf_a;
    cl_a.next = NULL;
    cl_b.buf = &buf_b;
    cl_b.next = NULL;
    free = NULL;

    shard();

    /* a miss: the new buffer has no tag yet; the module sets one */
    pp_bufs_get(&pool, &free, &cl_a, 0, 0x1000);
    buf_a.tag = &tag_a;
    ok(totals.fb_misses == 1 && misses(&tag_a) == 0,
       "a miss waits for its buffer's tag");

    pp_bufs_pool_end(&pool);
    ok(misses(&tag_a) == 1, "its pool's end counts it for the tag it has");

    pp_bufs_pool_end(&pool);
    ok(misses(&tag_a) == 1, "once");

    /* a parent's pending miss, then fork(): the child's shard is new */
    pp_bufs_get(&pool, &free, &cl_b, 0, 0x1000);
    buf_b.tag = &tag_b;

    shard();
    pp_bufs_reset();

    pp_bufs_pool_end(&pool);
    ok(misses(&tag_b) == 0 && totals.fb_misses == 0,
       "after a reset, the parent's pending miss is not counted again");

    /* the child's own misses are counted as before */
    pp_bufs_get(&pool, &free, &cl_b, 0, 0x1000);
    pp_bufs_pool_end(&pool);
    ok(misses(&tag_b) == 1 && totals.fb_misses == 1,
       "the child's own miss is counted, once");

    return pp_tap_done();
}
