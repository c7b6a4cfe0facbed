/*
 * Publication: tracked pools in the shard's live table, so that a live
 * report shows them, and what is left at exit are the pools that were
 * never destroyed.
 *
 * The invariant.  A tracked pool's counters are kept in its private
 * record (pp_tpool_t); its shared row (pp_lpool_t, proc.live[slot])
 * exists only while it has a slot (slot >= 0), and then holds the same
 * allocs, alloc_bytes, large_*, blocks and ll_* as the record, except
 * while the record is dirty.  Only the pool of the latest call, pp_last,
 * can be dirty: every event that counts into a record makes it pp_last,
 * and pp_pool_use() flushes the one it replaces.  pp_track_create()
 * flushes pp_last too, as do a reset, a publication and the exit.  So a
 * reader sees every published row up to date but one, which is at most
 * the events since the tracker last moved to it behind.
 *
 * A pool gets a slot (is published):
 *   - at its creation, when nginx's clock is unknown (not "lazy");
 *   - at a tick, when it is still alive at the first creation after
 *     nginx's millisecond moved (pools up to pp_pub_serial have been
 *     through a tick); most request pools end within their millisecond
 *     and never take a slot;
 *   - when it grows a block after the millisecond that created it;
 *   - after fork(), in the child's table, as inherited.
 * It loses its slot when it ends (pp_publish_remove()), or when a pool
 * that grows takes it: with no slot free, a pool of allocated bytes may
 * take the slot of the smallest pool that has fewer and is not yet
 * long-lived, among the PP_PUBLISH_LOOK slots after a hand that goes
 * round the table (so that a take costs the same in a table of any
 * size), and over the rounds the largest and the oldest are kept.  A
 * pool that found no slot is counted once in live_dropped ("dropped");
 * a tick does not try it again, a new block does.
 *
 * A slot is filled with its key stored last, and emptied with its key
 * cleared first.
 */

#include <stdlib.h>

#include "pp_publish.h"
#include "pp_pool.h"
#include "pp_clock.h"


static uint32_t     *pp_free;           /* free slots, a stack */
static uint32_t      pp_nfree;
static pp_tpool_t  **pp_owner;          /* each used slot's pool */
static int           pp_lazy;           /* publish at ticks */
uintptr_t            pp_tick_ms;
static uint64_t      pp_pub_serial;     /* pools up to it had a tick */
static uint32_t      pp_hand;           /* the next slot a take looks at */


/* the slots a take looks at when none is free */
#define PP_PUBLISH_LOOK  16


static int32_t pp_publish_take(pp_tpool_t *l, uint64_t bytes);
static void pp_publish(pp_tpool_t *l, uint64_t bytes);


/* lazy: nginx's clock is known, pools wait for a tick */
void
pp_publish_init(int lazy)
{
    pp_lazy = lazy;
    pp_publish_reset();
}


/*
 * A new shard: every slot free.  Without memory for the slot stack no
 * pool gets a slot, and each is counted as dropped.
 */
void
pp_publish_reset(void)
{
    uint32_t  i, n;

    n = pp_proc.lay.nlive;

    free(pp_free);
    free(pp_owner);
    pp_nfree = 0;

    /* one more, so that an empty table is not a malloc(0) */
    pp_free = malloc(((size_t) n + 1) * sizeof(uint32_t));
    pp_owner = calloc((size_t) n + 1, sizeof(pp_tpool_t *));

    if (pp_free == NULL || pp_owner == NULL) {
        free(pp_free);
        free(pp_owner);
        pp_free = NULL;
        pp_owner = NULL;

    } else {
        for (i = n; i-- > 0; /* void */) {
            pp_free[pp_nfree++] = i;
        }
    }

    pp_pub_serial = pp_serial;
    pp_hand = 0;
}


/*
 * A slot for l, of bytes allocated so far (0: a new pool, which never
 * takes another's slot), or -1.  The caller fills the row, then stores
 * its key.
 */
static int32_t
pp_publish_take(pp_tpool_t *l, uint64_t bytes)
{
    uint32_t     i, k, n, victim;
    uint64_t     now, least;
    pp_lpool_t  *row;

    if (pp_owner == NULL) {
        return -1;
    }

    if (pp_nfree > 0) {
        i = pp_free[--pp_nfree];
        pp_owner[i] = l;
        return (int32_t) i;
    }

    if (bytes == 0) {
        return -1;
    }

    now = pp_mono_ns();
    victim = UINT32_MAX;
    least = bytes;
    n = pp_proc.lay.nlive;

    for (k = 0; k < PP_PUBLISH_LOOK && k < n; k++) {
        i = (pp_hand < n) ? pp_hand : 0;
        pp_hand = (i + 1 < n) ? i + 1 : 0;
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
    pp_owner[victim]->slot = -1;
    pp_proc.totals->live_dropped++;

    pp_owner[victim] = l;

    return (int32_t) victim;
}


/* gives a pool a slot, when there is one, and fills its row */
static void
pp_publish(pp_tpool_t *l, uint64_t bytes)
{
    pp_lpool_t  *row;

    l->slot = pp_publish_take(l, bytes);

    if (l->slot < 0) {
        if (!l->dropped) {
            l->dropped = 1;
            pp_proc.totals->live_dropped++;
        }
        return;
    }

    row = &pp_proc.live[l->slot];
    row->site = l->site;
    row->created_mono_ns = l->created_ns;
    row->size = l->size;
    row->flags = l->inherited ? PP_LPOOL_INHERITED : 0;
    pp_publish_flush(l);

    __atomic_store_n(&row->key, (uint64_t) l->key, __ATOMIC_RELEASE);
}


/*
 * At a pool's creation, when nginx's clock moved since the last tick
 * (pp_publish_clock()), or at exit ("all"): the pools created since the
 * last tick and still alive are published.  They are the newest pools,
 * so the walk stops at the first one that had a tick; at exit it goes
 * through them all.
 */
void
pp_publish_tick(int all)
{
    pp_tpool_t  *l;

    pp_tick_ms = *pp_proc.ngx_msec;

    for (l = pp_pool_newest();
         l != NULL && (all || l->serial > pp_pub_serial);
         l = pp_pool_older(l))
    {
        if (l->slot < 0 && !l->dropped) {
            pp_publish(l, l->blocks > 1 ? l->small_bytes + l->large_bytes
                                        : 0);
        }
    }

    pp_pub_serial = pp_serial;
}


/* a new pool: published now only without nginx's clock */
void
pp_publish_new(pp_tpool_t *l)
{
    if (!pp_lazy) {
        pp_publish(l, 0);
    }
}


/* the pool grew blocks (pp_pool_blocks() counted them) */
void
pp_publish_blocks(pp_tpool_t *l)
{
    if (l->slot >= 0) {
        pp_proc.live[l->slot].blocks = l->blocks;

    } else if (!pp_lazy || l->serial <= pp_pub_serial
               || *pp_proc.ngx_msec != l->created_ms)
    {
        /* a pool in the millisecond that created it waits for a tick */
        pp_publish(l, l->small_bytes + l->large_bytes);
    }
}


/* after fork(): a pool of the parent, in the child's new table */
void
pp_publish_inherited(pp_tpool_t *l)
{
    l->slot = -1;
    l->dropped = 0;
    pp_publish(l, 0);
}


/* the pool, which has a slot, ends: its slot is free again */
void
pp_publish_remove(pp_tpool_t *l)
{
    __atomic_store_n(&pp_proc.live[l->slot].key, 0, __ATOMIC_RELEASE);

    pp_owner[l->slot] = NULL;
    pp_free[pp_nfree++] = (uint32_t) l->slot;
    l->slot = -1;
}
