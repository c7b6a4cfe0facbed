/*
 * Unit tests of the ranges of pool memory (shim/pp_range.c), against a
 * plain list of the same ranges: blocks of nginx's sizes packed next to
 * each other in a fake address space (many to a 4 KiB bucket), large
 * allocations of up to 2 MiB (three classes), added and removed at
 * random, by the free of one large allocation, by a reset (the pool's
 * large ones) and by a destroy (all of its ranges); after each step,
 * lookups of random addresses and of every range's edges give the model's
 * answer, which catches a slot lost or left behind by a deletion's moves.
 * A full index refuses a range and stays right; a range longer than
 * 256 MiB is refused.
 */

#include <stdint.h>
#include <stdlib.h>

#include "pp_range.h"
#include "pp_tap.h"


#define POOLS   64
#define SLOTS   4096            /* ranges in the model */
#define BASE    ((uintptr_t) 1 << 40)


typedef struct {
    uintptr_t               start;
    uintptr_t               end;
    int                     pool;       /* -1: free */
    int                     large;
} t_range_t;

static pp_tpool_t   pools[POOLS];
static t_range_t    model[SLOTS];
static uintptr_t    next_addr = BASE;
static uint64_t     rng = 88172645463325252ULL;


static uint64_t
t_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}


/* the model's pool of address p, or -1 */
static const t_range_t *
t_model_find(uintptr_t p)
{
    int  i;

    for (i = 0; i < SLOTS; i++) {
        if (model[i].pool >= 0 && model[i].start <= p && p < model[i].end) {
            return &model[i];
        }
    }

    return NULL;
}


/* 1 if the index agrees with the model at p */
static int
t_agree(uintptr_t p)
{
    const t_range_t   *m;
    const pp_range_t  *g;

    m = t_model_find(p);
    g = pp_range_find(p);

    if (m == NULL || g == NULL) {
        return m == NULL && g == NULL;
    }

    return g->start == m->start && g->end == m->end
           && g->pool == pools[m->pool].key
           && g->site == pools[m->pool].site
           && (int) g->large == m->large;
}


/* every range's edges and neighbours, and random addresses */
static int
t_check(void)
{
    int        i;
    uintptr_t  p;

    for (i = 0; i < SLOTS; i++) {
        if (model[i].pool < 0) {
            continue;
        }

        if (!t_agree(model[i].start) || !t_agree(model[i].start - 1)
            || !t_agree(model[i].end - 1) || !t_agree(model[i].end)
            || !t_agree((model[i].start + model[i].end) / 2))
        {
            return 0;
        }
    }

    for (i = 0; i < 2000; i++) {
        p = BASE - 4096 + t_rand() % (next_addr - BASE + 8192);
        if (!t_agree(p)) {
            return 0;
        }
    }

    return 1;
}


static int
t_add(int pool, int large)
{
    int        i;
    uintptr_t  size;

    for (i = 0; i < SLOTS && model[i].pool >= 0; i++) {
        /* void */
    }

    if (i == SLOTS) {
        return 0;
    }

    if (large) {
        size = 4096 + t_rand() % (t_rand() % 4 == 0 ? 2 << 20 : 40000);
    } else {
        size = (uintptr_t[]) { 112, 512, 1024, 4096, 16384 }[t_rand() % 5];
    }

    if (pp_range_add(&pools[pool], next_addr, next_addr + size, large) != 0) {
        next_addr += size + 16;
        return -1;
    }

    model[i].start = next_addr;
    model[i].end = next_addr + size;
    model[i].pool = pool;
    model[i].large = large;

    /* mostly packed, sometimes a gap */
    next_addr += size + (t_rand() % 8 == 0 ? t_rand() % 100000 : 0);
    next_addr = (next_addr + 15) & ~(uintptr_t) 15;

    return 1;
}


static void
t_drop(int pool, int large_only)
{
    int  i;

    pp_range_drop(&pools[pool], large_only);

    for (i = 0; i < SLOTS; i++) {
        if (model[i].pool == pool && (!large_only || model[i].large)) {
            model[i].pool = -1;
        }
    }
}


/* the free of one large allocation of the pool, if it has one */
static int
t_free_large(int pool)
{
    int  i;

    for (i = 0; i < SLOTS; i++) {
        if (model[i].pool == pool && model[i].large) {
            if (pp_range_free_large(&pools[pool], model[i].start + 8) != 0
                || pp_range_free_large(&pools[pool], model[i].start)
                   != model[i].end - model[i].start)
            {
                return 0;
            }

            model[i].pool = -1;
            return 1;
        }
    }

    return 1;
}


int
main(void)
{
    int  i, step, ok_all, refused, pool, r;

    for (i = 0; i < POOLS; i++) {
        pools[i].key = 0x5000 + (uintptr_t) i * 0x100;
        pools[i].site = 0x9000 + (uintptr_t) i;
    }

    for (i = 0; i < SLOTS; i++) {
        model[i].pool = -1;
    }

    ok(pp_range_find(BASE) == NULL, "an empty index finds nothing");

    pp_range_init(SLOTS);

    ok_all = 1;
    refused = 0;

    for (step = 0; step < 3000 && ok_all; step++) {
        pool = (int) (t_rand() % POOLS);

        switch (t_rand() % 10) {
        case 0:
            t_drop(pool, 0);
            break;
        case 1:
            t_drop(pool, 1);
            break;
        case 2:
            ok_all = t_free_large(pool);
            break;
        default:
            r = t_add(pool, t_rand() % 3 == 0);
            refused += (r == -1);
            break;
        }

        if (step % 50 == 0 || step > 2950) {
            ok_all = ok_all && t_check();
        }
    }

    ok(ok_all, "3000 random steps: every lookup agrees with the model");
    ok(refused == 0, "nothing refused below the limit (%d)", refused);

    for (i = 0; i < POOLS; i++) {
        t_drop(i, 0);
    }

    ok(t_check() && pp_range_find(BASE) == NULL,
       "every pool destroyed: the index is empty");

    ok(pp_range_add(&pools[0], BASE, BASE + (257ULL << 20), 1) == -1
       && pp_range_find(BASE) == NULL, "a range over 256 MiB is refused");

    /* a small limit: the index fills up, refuses, and stays right */
    pp_range_init(100);
    refused = 0;

    for (i = 0; i < 300; i++) {
        refused += (t_add(i % POOLS, 0) == -1);
    }

    ok(refused > 0, "a full index refuses ranges (%d of 300)", refused);
    ok(t_check(), "a full index still finds what it holds");

    for (i = 0; i < POOLS; i++) {
        t_drop(i, 0);
    }

    ok(t_add(1, 0) == 1 && t_check(), "emptied, it takes ranges again");

    return pp_tap_done();
}
