/*
 * Unit tests of the live table's slots (shim/pp_publish.c) on a shard in
 * ordinary memory: with every slot taken, a pool that grows looks at
 * PP_PUBLISH_LOOK (16) slots after a hand that goes round the table, not
 * at the whole table, so that a take costs the same whatever the table's
 * size; it takes the smallest young pool with fewer bytes among them, and
 * over the rounds it finds one wherever it is.
 */

#include <stdint.h>
#include <stdio.h>

#include "pp_tap.h"
#include "pp_pubfix.h"


#define SLOTS  64
#define LOOK   16

static pp_lpool_t   live[SLOTS];
static pp_tpool_t   pools[SLOTS];
static pp_tpool_t   grower;
static pp_tpool_t   more[3];


/* the grower asks for a slot again, as at each new block */
static int32_t
grow(void)
{
    pp_publish_blocks(&grower);
    return grower.slot;
}


static void
test_full_table(void)
{
    int       took;
    uint32_t  i;

    pp_pubfix_table(live, pools, SLOTS, 1000);
    took = 1;
    for (i = 0; i < SLOTS; i++) {
        took &= (pools[i].slot == (int32_t) i
                 && live[i].key == pools[i].key
                 && live[i].alloc_bytes == 1000);
    }
    ok(took, "a free slot for each of %d pools, in order", SLOTS);

    /* the one pool smaller than the grower is in the last slot */
    pools[SLOTS - 1].small_bytes = 10;
    pp_publish_flush(&pools[SLOTS - 1]);
    pp_pubfix_record(&grower, 0x90000, 500);

    ok(grow() == -1 && pools[SLOTS - 1].slot == SLOTS - 1
       && live[SLOTS - 1].key == pools[SLOTS - 1].key
       && pp_proc.totals->live_dropped == 1 && grower.dropped,
       "full: the first take looks at slots 0-15 only, finds none, "
       "and counts the grower as dropped once");
    ok(grow() == -1 && grow() == -1 && pp_proc.totals->live_dropped == 1,
       "the next two takes look at slots 16-31 and 32-47");
    ok(grow() == SLOTS - 1 && pools[SLOTS - 1].slot == -1
       && live[SLOTS - 1].key == grower.key
       && live[SLOTS - 1].alloc_bytes == 500 && pp_proc.totals->live_dropped == 2,
       "the fourth, at slots 48-63, takes the small pool's slot "
       "(which counts as dropped)");

    /* the hand is back at slot 0: a window with a choice */
    pp_publish_remove(&grower);
    pp_publish_inherited(&grower);
    ok(grower.slot == SLOTS - 1, "a freed slot is taken again at once");

    pools[3].small_bytes = 50;
    pools[5].small_bytes = 200;
    pools[9].small_bytes = 100;
    pools[20].small_bytes = 1;
    for (i = 0; i < SLOTS - 1; i++) {
        pp_publish_flush(&pools[i]);
    }
    /*
     * Slot 3 is older than the long-lived age.  The age is set from the
     * clock, not subtracted from slot 3's birth: the monotonic clock of a
     * machine booted a minute ago is below any fixed age.
     */
    live[3].created_mono_ns = 0;
    pp_proc.long_lived_ns = pp_mono_ns() / 2;

    pp_pubfix_record(&pools[SLOTS - 1], 0x91000, 400);
    pp_publish_blocks(&pools[SLOTS - 1]);
    ok(pools[SLOTS - 1].slot == 9 && pools[9].slot == -1 && pools[3].slot == 3 && pools[20].slot == 20,
       "slots 0-15: the smallest young pool with fewer bytes (slot 9), "
       "not the long-lived one (3) nor the smallest beyond (20)");
}


static void
test_small_table(void)
{
    uint32_t  i;

    pp_pubfix_table(live, pools, LOOK / 2, 1000);
    pools[LOOK / 2 - 1].small_bytes = 10;
    pp_publish_flush(&pools[LOOK / 2 - 1]);
    pp_pubfix_record(&grower, 0x90000, 500);

    ok(grow() == LOOK / 2 - 1, "a table of %d slots: one take looks at all",
       LOOK / 2);

    for (i = 0; i < 3; i++) {
        pp_pubfix_record(&more[i], 0x92000 + i * 0x100, 2000);
        pp_publish_blocks(&more[i]);
    }
    ok(more[0].slot == LOOK / 2 - 1 && grower.slot == -1
       && more[1].slot == 0 && pools[0].slot == -1
       && more[2].slot == 1 && pools[1].slot == -1
       && live[0].key == more[1].key && pp_proc.totals->live_dropped == 4,
       "three growers of 2000 bytes take the smallest: the last one's, "
       "then slots 0 and 1");
}


int
main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);

    test_full_table();
    test_small_table();

    return pp_tap_done();
}
