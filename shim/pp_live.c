/*
 * The shard's live-pool slots: each tracked pool that got a slot keeps
 * its row up to date while it lives, so that a live report can show it,
 * and what is left at exit are the pools that were never destroyed.
 *
 * A slot is filled with its key stored last, and emptied with its key
 * cleared first.  When no slot is free a new pool goes without one; a
 * pool that grows (a new block) may take the slot of the smallest pool
 * that is not yet long-lived, so the largest and the oldest are kept.
 */

#include <stdlib.h>

#include "pp_shim.h"
#include "pp_clock.h"


static uint32_t   *pp_free;         /* free slots, a stack */
static uint32_t    pp_nfree;
static int32_t   **pp_owner;        /* each used slot's owner's index */


/* a new shard: every slot free */
void
pp_live_init(void)
{
    uint32_t  i, n;

    n = pp_proc.lay.nlive;

    free(pp_free);
    free(pp_owner);
    pp_nfree = 0;

    pp_free = malloc((size_t) n * sizeof(uint32_t) + 1);
    pp_owner = calloc((size_t) n + 1, sizeof(int32_t *));

    if (pp_free == NULL || pp_owner == NULL) {
        free(pp_free);
        free(pp_owner);
        pp_free = NULL;
        pp_owner = NULL;
        return;
    }

    for (i = n; i-- > 0; /* void */) {
        pp_free[pp_nfree++] = i;
    }
}


/*
 * A slot for a pool of bytes allocated so far (0: a new pool, which
 * never displaces another); *owner is set to the slot, and to -1 should
 * the slot be taken away later.  The caller fills the row, then calls
 * pp_live_publish().
 */
int32_t
pp_live_take(int32_t *owner, uint64_t bytes)
{
    uint32_t     i, victim;
    uint64_t     now, least;
    pp_lpool_t  *row;

    if (pp_owner == NULL) {
        return -1;
    }

    if (pp_nfree > 0) {
        i = pp_free[--pp_nfree];
        pp_owner[i] = owner;
        *owner = (int32_t) i;
        return (int32_t) i;
    }

    if (bytes == 0) {
        return -1;
    }

    now = pp_now();
    victim = UINT32_MAX;
    least = bytes;

    for (i = 0; i < pp_proc.lay.nlive; i++) {
        row = &pp_proc.live[i];

        if (row->alloc_bytes < least
            && pp_clock_since(now, row->created_mono_ns)
               < pp_proc.long_lived_ns)
        {
            least = row->alloc_bytes;
            victim = i;
        }
    }

    if (victim == UINT32_MAX) {
        return -1;
    }

    __atomic_store_n(&pp_proc.live[victim].key, 0, __ATOMIC_RELEASE);
    *pp_owner[victim] = -1;
    pp_proc.totals->live_dropped++;

    pp_owner[victim] = owner;
    *owner = (int32_t) victim;

    return (int32_t) victim;
}


void
pp_live_publish(int32_t slot, uintptr_t pool)
{
    __atomic_store_n(&pp_proc.live[slot].key, (uint64_t) pool,
                     __ATOMIC_RELEASE);
}


void
pp_live_put(int32_t slot)
{
    __atomic_store_n(&pp_proc.live[slot].key, 0, __ATOMIC_RELEASE);

    pp_owner[slot] = NULL;
    pp_free[pp_nfree++] = (uint32_t) slot;
}
