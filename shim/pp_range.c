/*
 * The ranges of live pools' memory, by address (pp_range.h).
 *
 * A range has one slot in an open addressing table with linear probing,
 * keyed by its class and the bucket of its start: class c holds ranges
 * of at most 2^(12 + 4c) bytes (4 KiB, 64 KiB, 1 MiB, 16 MiB, 256 MiB)
 * in buckets of that size, so that a range starts in the bucket of the
 * address, or in the one before.  Adding or removing a range is one
 * slot; a lookup (only a free that missed its pool's log makes one)
 * probes two buckets of each class in use.  Ranges do not overlap (a
 * pool's block or large allocation is memory that nginx holds), so at
 * most 4096 / 112 + 1 ranges of class 0 start in one bucket (nginx's
 * smallest pool is 112 bytes) and at most 16 of another class (longer
 * than a 16th of the bucket): a lookup costs a bounded number of probes,
 * whatever the number of pools.
 *
 * Each range also belongs to its pool's list (pp_tpool_t.ranges), so
 * that a pool's end removes exactly what it added.  The ranges and the
 * slots are in the shim's own memory, bounded: at most max_ranges
 * ranges, and at most 4 slots per range; what does not fit, or is
 * longer than 256 MiB, is not indexed (a free of its pointers is then a
 * foreign free of no known kind).
 */

#include <stdlib.h>

#include "pp_range.h"


#define PP_RANGE_CLASSES   5
#define pp_range_shift(c)  (12 + 4 * (c))
#define PP_RANGE_LONGEST   ((uintptr_t) 1 << pp_range_shift(PP_RANGE_CLASSES - 1))
#define PP_RANGE_MIN_SLOTS 1024


typedef struct {
    uint64_t                key;        /* bucket << 3 | class */
    uint32_t                rec;        /* range + 1; 0: empty */
    uint32_t                pad;
} pp_rslot_t;


int                  pp_range_on;

static pp_range_t   *pp_rec;            /* [0] unused: 0 is no range */
static uint32_t      pp_nrec;           /* records handed out, [0] too */
static uint32_t      pp_rec_cap;
static uint32_t      pp_rec_free;       /* released records, by next */
static uint32_t      pp_nlive;          /* records in use */
static uint32_t      pp_max_rec = 4096;
static uint32_t      pp_nclass[PP_RANGE_CLASSES];

static pp_rslot_t   *pp_slot;
static uint32_t      pp_mask;
static uint32_t      pp_max_slots;


void
pp_range_init(uint64_t max_ranges)
{
    uint32_t  n;

    if (max_ranges > UINT32_MAX / 16) {
        max_ranges = UINT32_MAX / 16;
    }

    pp_max_rec = (uint32_t) max_ranges + 1;

    for (n = PP_RANGE_MIN_SLOTS; n < pp_max_rec * 4; n *= 2) {
        /* void */
    }

    pp_max_slots = n;
}


static inline uint64_t
pp_range_key(uintptr_t p, uint32_t c)
{
    return ((uint64_t) (p >> pp_range_shift(c)) << 3) | c;
}


static inline uint32_t
pp_range_home(uint64_t key, uint32_t mask)
{
    return pp_hash((uintptr_t) key) & mask;
}


/* a slot for key, which must have room */
static void
pp_range_put(pp_rslot_t *slot, uint32_t mask, uint64_t key, uint32_t rec)
{
    uint32_t  i;

    for (i = pp_range_home(key, mask); slot[i].rec != 0; i = (i + 1) & mask)
    {
        /* void */
    }

    slot[i].key = key;
    slot[i].rec = rec;
}


/* room for one more slot at a load of at most 1/2; -1 if none */
static int
pp_range_room(void)
{
    uint32_t     i, cap;
    pp_rslot_t  *slot;

    if (pp_slot != NULL && pp_nlive < (pp_mask + 1) / 2) {
        return 0;
    }

    cap = pp_slot ? (pp_mask + 1) * 2 : PP_RANGE_MIN_SLOTS;

    if (cap > pp_max_slots) {
        return -1;
    }

    slot = calloc(cap, sizeof(pp_rslot_t));
    if (slot == NULL) {
        return -1;
    }

    for (i = 0; pp_slot != NULL && i <= pp_mask; i++) {
        if (pp_slot[i].rec != 0) {
            pp_range_put(slot, cap - 1, pp_slot[i].key, pp_slot[i].rec);
        }
    }

    free(pp_slot);
    pp_slot = slot;
    pp_mask = cap - 1;

    return 0;
}


/* a record, off the free list or new; 0 if none */
static uint32_t
pp_range_new(void)
{
    uint32_t     r, cap;
    pp_range_t  *rec;

    if (pp_nlive + 1 >= pp_max_rec) {
        return 0;
    }

    if (pp_rec_free != 0) {
        r = pp_rec_free;
        pp_rec_free = pp_rec[r].next;
        return r;
    }

    if (pp_nrec == 0) {
        pp_nrec = 1;
    }

    if (pp_nrec >= pp_rec_cap) {
        cap = pp_rec_cap ? pp_rec_cap * 2 : 256;
        if (cap > pp_max_rec) {
            cap = pp_max_rec;
        }

        if (cap <= pp_rec_cap) {
            return 0;
        }

        rec = realloc(pp_rec, (size_t) cap * sizeof(pp_range_t));
        if (rec == NULL) {
            return 0;
        }

        pp_rec = rec;
        pp_rec_cap = cap;
    }

    return pp_nrec++;
}


/* [start, end) of pool l, a large allocation or a block; -1: not indexed */
int
pp_range_add(pp_tpool_t *l, uintptr_t start, uintptr_t end, int large)
{
    uint32_t     r, c;
    pp_range_t  *g;

    if (end <= start || end - start > PP_RANGE_LONGEST) {
        return -1;
    }

    for (c = 0; end - start > ((uintptr_t) 1 << pp_range_shift(c)); c++) {
        /* void */
    }

    if (pp_range_room() != 0) {
        return -1;
    }

    r = pp_range_new();
    if (r == 0) {
        return -1;
    }

    pp_nlive++;
    pp_nclass[c]++;

    g = &pp_rec[r];
    g->start = start;
    g->end = end;
    g->pool = l->key;
    g->site = l->site;
    g->large = (uint32_t) large;
    g->class = c;
    g->prev = 0;
    g->next = l->ranges;

    if (l->ranges != 0) {
        pp_rec[l->ranges].prev = r;
    }

    l->ranges = r;

    pp_range_put(pp_slot, pp_mask, pp_range_key(start, c), r);

    return 0;
}


/* the range of class c that starts in bucket key and holds p, or NULL */
static pp_range_t *
pp_range_in(uint64_t key, uintptr_t p)
{
    uint32_t     i;
    pp_range_t  *g;

    for (i = pp_range_home(key, pp_mask); pp_slot[i].rec != 0;
         i = (i + 1) & pp_mask)
    {
        if (pp_slot[i].key == key) {
            g = &pp_rec[pp_slot[i].rec];

            if (g->start <= p && p < g->end) {
                return g;
            }
        }
    }

    return NULL;
}


const pp_range_t *
pp_range_find(uintptr_t p)
{
    uint32_t     c;
    uint64_t     key;
    pp_range_t  *g;

    if (pp_nlive == 0) {
        return NULL;
    }

    for (c = 0; c < PP_RANGE_CLASSES; c++) {
        if (pp_nclass[c] == 0) {
            continue;
        }

        /* a range of class c starts in p's bucket or in the one before */
        key = pp_range_key(p, c);

        g = pp_range_in(key, p);
        if (g == NULL && key >= 8) {
            g = pp_range_in(key - 8, p);
        }

        if (g != NULL) {
            return g;
        }
    }

    return NULL;
}


/* empties slot i, and moves back the slots after it that probed past it */
static void
pp_range_unslot(uint32_t i)
{
    uint32_t  j, h;

    for ( ;; ) {
        pp_slot[i].rec = 0;
        j = i;

        for ( ;; ) {
            j = (j + 1) & pp_mask;

            if (pp_slot[j].rec == 0) {
                return;
            }

            h = pp_range_home(pp_slot[j].key, pp_mask);

            /* j stays unless its home is not cyclically in (i, j] */
            if ((i < j) ? (h <= i || h > j) : (h <= i && h > j)) {
                pp_slot[i] = pp_slot[j];
                i = j;
                break;
            }
        }
    }
}


/* the slot of range r goes */
static void
pp_range_unindex(uint32_t r)
{
    uint32_t     i;
    pp_range_t  *g;

    g = &pp_rec[r];

    for (i = pp_range_home(pp_range_key(g->start, g->class), pp_mask);
         pp_slot[i].rec != 0;
         i = (i + 1) & pp_mask)
    {
        if (pp_slot[i].rec == r) {
            pp_range_unslot(i);
            break;
        }
    }

    pp_nlive--;
    pp_nclass[g->class]--;
}


/* range r of pool l goes: its slot, its place in l's list, its record */
static void
pp_range_del(pp_tpool_t *l, uint32_t r)
{
    pp_range_t  *g;

    pp_range_unindex(r);

    g = &pp_rec[r];

    if (g->prev != 0) {
        pp_rec[g->prev].next = g->next;
    } else {
        l->ranges = g->next;
    }

    if (g->next != 0) {
        pp_rec[g->next].prev = g->prev;
    }

    g->next = pp_rec_free;
    pp_rec_free = r;
}


/* a large allocation of l at p was freed: its size, or 0 if not indexed */
uint64_t
pp_range_free_large(pp_tpool_t *l, uintptr_t p)
{
    uint32_t     c;
    uint64_t     size;
    pp_range_t  *g;

    if (pp_nlive == 0) {
        return 0;
    }

    /* p is the start: its bucket of each class */
    for (c = 0; c < PP_RANGE_CLASSES; c++) {
        if (pp_nclass[c] == 0) {
            continue;
        }

        g = pp_range_in(pp_range_key(p, c), p);

        if (g != NULL && g->start == p && g->pool == l->key && g->large) {
            size = g->end - g->start;
            pp_range_del(l, (uint32_t) (g - pp_rec));
            return size;
        }
    }

    return 0;
}


/* the pool ends (every range) or is reset (its large allocations) */
void
pp_range_drop(pp_tpool_t *l, int large_only)
{
    uint32_t  r, next, last;

    if (large_only) {
        for (r = l->ranges; r != 0; r = next) {
            next = pp_rec[r].next;

            if (pp_rec[r].large) {
                pp_range_del(l, r);
            }
        }

        return;
    }

    if (l->ranges == 0) {
        return;
    }

    /* the whole list joins the free list as it is */
    for (r = l->ranges; r != 0; r = pp_rec[r].next) {
        pp_range_unindex(r);
        last = r;
    }

    pp_rec[last].next = pp_rec_free;
    pp_rec_free = l->ranges;
    l->ranges = 0;
}
