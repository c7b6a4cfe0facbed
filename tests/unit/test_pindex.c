/*
 * Unit tests of a pool log's index by address (shim/pp_pindex.c): every
 * logged address finds its entry, an interior pointer or another pool's
 * misses, the newest of entries of one address wins, the index follows
 * a growing log by doubling (a bounded number of allocations, each
 * entry added once per size), short probe runs at any size, a reset
 * keeps a small index empty and frees a large one; and when calloc
 * (wrapped with -Wl,--wrap=calloc) fails, the index is empty, every
 * lookup misses, and a later sync recovers.
 */

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp_tap.h"
#include "pp_pindex.h"


#define BIG  20000

static int          calloc_calls, calloc_fail;
static pp_chunk_t   log_[BIG];
static char         arena[BIG * 64];

void *__real_calloc(size_t n, size_t size);
void *__wrap_calloc(size_t n, size_t size);


void *
__wrap_calloc(size_t n, size_t size)
{
    calloc_calls++;

    if (calloc_fail) {
        return NULL;
    }

    return __real_calloc(n, size);
}




/* n entries of size bytes each, laid out as a pool's bump allocator does */
static void
fill(uint32_t n, uint32_t size)
{
    uint32_t  i;

    for (i = 0; i < n; i++) {
        log_[i].p = &arena[(size_t) i * size];
        log_[i].size = size;
        log_[i].freed = 0;
    }
}


/* every one of the first n entries finds itself */
static int
all_found(const pp_pindex_t *ix, uint32_t n)
{
    uint32_t  i;

    for (i = 0; i < n; i++) {
        if (pp_pindex_find(ix, log_, log_[i].p) != i) {
            return 0;
        }
    }

    return 1;
}


/* the longest run of used slots: what a miss probes at most */
static uint32_t
longest_run(const pp_pindex_t *ix)
{
    uint32_t  i, run, max;

    run = max = 0;

    /* twice around: a run may wrap */
    for (i = 0; i < 2 * (ix->mask + 1); i++) {
        run = ix->slot[i & ix->mask] ? run + 1 : 0;
        max = run > max ? run : max;
    }

    return max;
}


static void
test_lookup(void)
{
    pp_pindex_t  ix = { 0 };

    ok(pp_pindex_find(&ix, log_, &arena[0]) == PP_PINDEX_MISS,
       "no index yet: a lookup misses");

    fill(40, 64);
    calloc_calls = 0;
    ok(pp_pindex_sync(&ix, log_, 40) == 0 && calloc_calls == 1
       && ix.mask + 1 == 128 && ix.n == 40,
       "40 entries: one calloc of 128 slots (%u)", ix.mask + 1);
    ok(all_found(&ix, 40), "each of 40 addresses finds its entry");
    ok(pp_pindex_find(&ix, log_, &arena[64 * 7 + 8]) == PP_PINDEX_MISS
       && pp_pindex_find(&ix, log_, &arena[1]) == PP_PINDEX_MISS,
       "interior pointers miss");
    ok(pp_pindex_find(&ix, log_, &arena[64 * 40]) == PP_PINDEX_MISS
       && pp_pindex_find(&ix, log_, &ix) == PP_PINDEX_MISS,
       "pointers from elsewhere (past the log, the stack) miss");

    /* a zero-size allocation shares its address with the next one */
    log_[40] = log_[39];
    log_[41] = log_[39];
    ok(pp_pindex_sync(&ix, log_, 42) == 0
       && pp_pindex_find(&ix, log_, log_[39].p) == 41 && all_found(&ix, 39),
       "entries of one address: the newest is found, as a scan would");

    pp_pindex_free(&ix);
    ok(ix.slot == NULL && ix.n == 0
       && pp_pindex_find(&ix, log_, log_[0].p) == PP_PINDEX_MISS,
       "freed: no slots, lookups miss");
}


static void
test_growth(void)
{
    uint32_t     n, grown;
    uint32_t    *last;
    pp_pindex_t  ix = { 0 };

    fill(BIG, 64);
    calloc_calls = 0;
    grown = 0;
    last = NULL;

    /* a sync after every allocation: the worst case for the index */
    for (n = 33; n <= BIG; n++) {
        if (pp_pindex_sync(&ix, log_, n) != 0 || ix.n != n
            || ix.mask + 1 < 2 * n)
        {
            break;
        }

        if (ix.slot != last) {
            grown++;
            last = ix.slot;
        }
    }

    ok(n == BIG + 1, "synced after each of 20000 allocations, load <= 1/2");
    ok(calloc_calls == 10 && grown == 10 && ix.mask + 1 == 65536,
       "grown by doubling: 10 sizes, 128 to 65536 slots (%d callocs)",
       calloc_calls);
    ok(ix.mask + 1 <= 2 * 32768,
       "at most 2 slots per entry of a 32768-entry log's capacity");
    ok(all_found(&ix, BIG), "each of 20000 addresses finds its entry");
    ok(longest_run(&ix) < 32,
       "the longest probe run is short (%u slots)", longest_run(&ix));

    n = 0;
    for (grown = 0; grown < BIG; grown++) {
        n += pp_pindex_find(&ix, log_, &arena[(size_t) grown * 64 + 16])
             != PP_PINDEX_MISS;
    }
    ok(n == 0, "20000 interior pointers miss");

    /* a reset frees a large index: the log starts again, small */
    pp_pindex_reset(&ix);
    ok(ix.slot == NULL && ix.n == 0, "a reset frees a 65536-slot index");

    /* one sync of a long log sizes the index at once */
    calloc_calls = 0;
    ok(pp_pindex_sync(&ix, log_, 5000) == 0 && calloc_calls == 1
       && ix.mask + 1 == 16384 && all_found(&ix, 5000),
       "5000 entries at once: one calloc of 16384 slots");

    pp_pindex_free(&ix);
}


static void
test_reset(void)
{
    uint32_t    *slot, i, used;
    pp_pindex_t  ix = { 0 };

    fill(100, 24);
    ok(pp_pindex_sync(&ix, log_, 100) == 0 && ix.mask + 1 == 256,
       "100 entries: 256 slots");

    slot = ix.slot;
    pp_pindex_reset(&ix);

    used = 0;
    for (i = 0; i <= ix.mask; i++) {
        used += ix.slot[i] != 0;
    }

    ok(ix.slot == slot && ix.n == 0 && used == 0,
       "a reset keeps a 256-slot index, every slot empty");
    ok(pp_pindex_find(&ix, log_, log_[5].p) == PP_PINDEX_MISS,
       "after a reset the old entries miss");

    /* the next generation: other addresses */
    fill(50, 40);
    calloc_calls = 0;
    ok(pp_pindex_sync(&ix, log_, 50) == 0 && calloc_calls == 0
       && all_found(&ix, 50),
       "the next generation reuses it (no calloc), its 50 entries found");

    pp_pindex_free(&ix);
}


static void
test_oom(void)
{
    pp_pindex_t  ix = { 0 };

    fill(1000, 64);

    calloc_fail = 1;
    ok(pp_pindex_sync(&ix, log_, 40) == -1 && ix.slot == NULL && ix.n == 0,
       "no memory: the sync fails, the index stays empty");
    ok(pp_pindex_find(&ix, log_, log_[3].p) == PP_PINDEX_MISS,
       "no memory: lookups miss instead of reading NULL");

    calloc_fail = 0;
    ok(pp_pindex_sync(&ix, log_, 40) == 0 && all_found(&ix, 40),
       "memory again: a later sync builds it");

    /* growth fails: the old slots are freed, not left half-filled */
    calloc_fail = 1;
    ok(pp_pindex_sync(&ix, log_, 1000) == -1 && ix.slot == NULL && ix.n == 0
       && pp_pindex_find(&ix, log_, log_[3].p) == PP_PINDEX_MISS,
       "no memory to grow: the index is freed, lookups miss");
    calloc_fail = 0;

    ok(pp_pindex_sync(&ix, log_, 1000) == 0 && all_found(&ix, 1000),
       "memory again: 1000 entries found");

    pp_pindex_free(&ix);
}


int
main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);

    test_lookup();
    test_growth();
    test_reset();
    test_oom();

    return pp_tap_done();
}
