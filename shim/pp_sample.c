/*
 * POOLPROF_SAMPLE: which pools are tracked, and the set of those that
 * are not.
 *
 * Each ngx_create_pool() is a trial of its own: the pool is tracked
 * with probability 1/N, drawn from a xorshift64* generator of the
 * process.  A counter (every Nth pool) would alias with what nginx
 * does in a fixed order: a keepalive connection's pool and its
 * requests' pools, or a module's pool per request, alternate, and
 * every Nth pool could be of one kind only.  Independent draws make
 * the number of tracked pools of each kind binomial, so that a count
 * times N estimates it without bias whatever the order.  The generator
 * is seeded from the time and the pid, again in each forked child;
 * POOLPROF_SAMPLE_SEED (for tests) fixes the seed, and a child then
 * continues its parent's sequence.
 *
 * The set is open addressing with linear probing, in the shim's own
 * memory, at most half full: 8 bytes per live unsampled pool.  A
 * deleted key's followers move back (no tombstones), so a probe ends at
 * the first empty slot.  Without memory for it to grow a pool is
 * tracked instead, so that no event of an unknown pool is mistaken for
 * a skipped one.
 */

#include <stdlib.h>
#include <unistd.h>

#include "pp_sample.h"
#include "pp_time.h"


#define PP_SAMPLE_SLOTS  1024            /* the first allocation */

pp_sample_t  pp_sample;

static uintptr_t  pp_sample_none[1];     /* an empty set: one 0 slot */


static uint64_t
pp_sample_mix(uint64_t x)
{
    /* splitmix64's finalizer: any seed, 0 included, gives a good state */
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    x ^= x >> 31;

    return x != 0 ? x : 1;
}


void
pp_sample_init(uint32_t period, uint64_t seed)
{
    pp_sample.period = period;
    pp_sample.slot = pp_sample_none;
    pp_sample.mask = 0;
    pp_sample.n = 0;
    pp_sample.last = 0;

    if (period < 2) {
        return;
    }

    pp_sample.below = UINT64_MAX / period;
    pp_sample.seeded = (seed != 0);
    pp_sample.rng = pp_sample_mix(seed != 0 ? seed
                                  : pp_mono_ns()
                                    ^ ((uint64_t) getpid() << 32));
}


/* a child draws its own sequence, unless a test fixed the seed */
void
pp_sample_forked(void)
{
    if (pp_sample.period >= 2 && !pp_sample.seeded) {
        pp_sample.rng = pp_sample_mix(pp_sample.rng ^ pp_mono_ns()
                                      ^ ((uint64_t) getpid() << 32));
    }
}


/* 1 with probability 1/period */
static int
pp_sample_draw(void)
{
    uint64_t  x;

    x = pp_sample.rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    pp_sample.rng = x;

    return x * 0x2545f4914f6cdd1dULL <= pp_sample.below;
}


/* the slot of key, or of the empty slot where its probe ends */
static uint32_t
pp_sample_slot(const uintptr_t *slot, uint32_t mask, uintptr_t key)
{
    uint32_t  i;

    for (i = pp_hash(key) & mask; slot[i] != 0 && slot[i] != key;
         i = (i + 1) & mask)
    {
        /* void */
    }

    return i;
}


/* twice the slots, or the first ones; -1 without memory */
static int
pp_sample_grow(void)
{
    uint32_t    i, cap, mask;
    uintptr_t  *slot, k;

    cap = pp_sample.slot == pp_sample_none ? PP_SAMPLE_SLOTS
                                           : (pp_sample.mask + 1) * 2;

    if (cap == 0 || cap > (1U << 30)) {
        return -1;
    }

    slot = calloc(cap, sizeof(uintptr_t));
    if (slot == NULL) {
        return -1;
    }

    mask = cap - 1;

    for (i = 0; i <= pp_sample.mask; i++) {
        k = pp_sample.slot[i];
        if (k != 0) {
            slot[pp_sample_slot(slot, mask, k)] = k;
        }
    }

    if (pp_sample.slot != pp_sample_none) {
        free(pp_sample.slot);
    }

    pp_sample.slot = slot;
    pp_sample.mask = mask;

    return 0;
}


/*
 * At ngx_create_pool(), with sampling on: 1 if the pool is left out
 * (now in the set), 0 if it is tracked (and in the set no more, should
 * an earlier pool at its address have ended unseen)
 */
int
pp_sample_skip(uintptr_t pool)
{
    uint32_t  i;

    if (pp_sample_draw()) {
        if (pp_unsampled((void *) pool)) {
            pp_sample_forget(pool);
        }
        return 0;
    }

    if ((pp_sample.n + 1) * 2 > pp_sample.mask + 1
        && pp_sample_grow() != 0)
    {
        return 0;
    }

    i = pp_sample_slot(pp_sample.slot, pp_sample.mask, pool);

    if (pp_sample.slot[i] == 0) {
        pp_sample.slot[i] = pool;
        pp_sample.n++;
    }

    pp_sample.last = pool;

    return 1;
}


/* an unsampled pool was destroyed: it leaves the set */
void
pp_sample_forget(uintptr_t pool)
{
    uint32_t    i, j, home, mask;
    uintptr_t  *slot;

    slot = pp_sample.slot;
    mask = pp_sample.mask;

    if (pp_sample.last == pool) {
        pp_sample.last = 0;
    }

    i = pp_sample_slot(slot, mask, pool);
    if (slot[i] == 0) {
        return;
    }

    /* the keys after it whose probe passed i move back into it */
    for (j = (i + 1) & mask; slot[j] != 0; j = (j + 1) & mask) {
        home = pp_hash(slot[j]) & mask;

        if (((j - home) & mask) >= ((j - i) & mask)) {
            slot[i] = slot[j];
            i = j;
        }
    }

    slot[i] = 0;
    pp_sample.n--;
}
