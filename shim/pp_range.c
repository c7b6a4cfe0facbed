/*
 * The ranges of live pools' memory, by address (pp_range.h).
 *
 * A range is cut into buckets of 4 KiB (2^12), or of 1 MiB (2^20) when
 * it is longer than 64 KiB, and each bucket it touches has a slot in an
 * open addressing table with linear probing, keyed by bucket.  A lookup
 * probes the address's bucket at both sizes.  Ranges do not overlap (a
 * pool's block or large allocation is memory that nginx holds), so a
 * 4 KiB bucket meets at most 4096 / 112 + 2 blocks (nginx's smallest
 * pool is 112 bytes) and a 1 MiB one at most 18 ranges of more than
 * 64 KiB: a lookup costs a bounded number of probes, whatever the number
 * of pools, and a range at most 17 slots, or 2 + its MiBs.
 *
 * Each range also belongs to its pool's list (pp_tpool_t.ranges), so
 * that a pool's end removes exactly what it added.  The ranges and the
 * slots are in the shim's own memory, bounded: at most max_ranges
 * ranges, and slots for at most 4 buckets per range at a load of 1/2;
 * what does not fit is not indexed (a free of its pointers is then a
 * foreign free of no known kind).
 */

#include <stdlib.h>

#include "pp_range.h"


#define PP_RANGE_PAGE      12
#define PP_RANGE_MIB       20
#define PP_RANGE_SPLIT     (64 * 1024)      /* longer: 1 MiB buckets */
#define PP_RANGE_LONGEST   (256ULL << 20)   /* longer: not indexed */
#define PP_RANGE_MIN_SLOTS 1024


typedef struct {
    uint64_t                key;        /* bucket << 1 | (1 MiB buckets) */
    uint32_t                rec;        /* range + 1; 0: empty */
    uint32_t                pad;
} pp_rslot_t;


static pp_range_t   *pp_rec;            /* [0] unused: 0 is no range */
static uint32_t      pp_nrec;           /* records handed out, [0] too */
static uint32_t      pp_rec_cap;
static uint32_t      pp_rec_free;       /* released records, by next */
static uint32_t      pp_nlive;          /* records in use */
static uint32_t      pp_max_rec = 4096;

static pp_rslot_t   *pp_slot;
static uint32_t      pp_mask;
static uint32_t      pp_used;
static uint32_t      pp_max_slots;
static uint32_t      pp_nmib;           /* ranges of 1 MiB buckets */


void
pp_range_init(uint64_t max_ranges)
{
    uint32_t  n;

    if (max_ranges > UINT32_MAX / 16) {
        max_ranges = UINT32_MAX / 16;
    }

    pp_max_rec = (uint32_t) max_ranges + 1;

    for (n = PP_RANGE_MIN_SLOTS; n < pp_max_rec * 8; n *= 2) {
        /* void */
    }

    pp_max_slots = n;
}


static inline uint64_t
pp_range_key(uintptr_t p, uint32_t shift)
{
    return ((uint64_t) (p >> shift) << 1) | (shift == PP_RANGE_MIB);
}


static inline uint32_t
pp_range_home(uint64_t key)
{
    return pp_hash((uintptr_t) key) & pp_mask;
}


/* a slot for key, which must have room */
static void
pp_range_put(pp_rslot_t *slot, uint32_t mask, uint64_t key, uint32_t rec)
{
    uint32_t  i;

    for (i = pp_hash((uintptr_t) key) & mask; slot[i].rec != 0;
         i = (i + 1) & mask)
    {
        /* void */
    }

    slot[i].key = key;
    slot[i].rec = rec;
}


/* room for n more slots at a load of at most 1/2; -1 if none */
static int
pp_range_room(uint32_t n)
{
    uint32_t     i, cap;
    pp_rslot_t  *slot;

    if (pp_slot != NULL && (uint64_t) pp_used + n <= (pp_mask + 1) / 2) {
        return 0;
    }

    cap = pp_slot ? (pp_mask + 1) * 2 : PP_RANGE_MIN_SLOTS;

    while ((uint64_t) pp_used + n > cap / 2) {
        cap *= 2;
    }

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
    uint32_t     r, shift, n;
    uintptr_t    b;
    pp_range_t  *g;

    if (end <= start || end - start > PP_RANGE_LONGEST) {
        return -1;
    }

    shift = end - start > PP_RANGE_SPLIT ? PP_RANGE_MIB : PP_RANGE_PAGE;
    n = (uint32_t) (((end - 1) >> shift) - (start >> shift) + 1);

    if (pp_range_room(n) != 0) {
        return -1;
    }

    r = pp_range_new();
    if (r == 0) {
        return -1;
    }

    pp_nlive++;

    g = &pp_rec[r];
    g->start = start;
    g->end = end;
    g->pool = l->key;
    g->site = l->site;
    g->large = (uint32_t) large;
    g->shift = shift;
    g->prev = 0;
    g->next = l->ranges;

    if (l->ranges != 0) {
        pp_rec[l->ranges].prev = r;
    }

    l->ranges = r;

    for (b = start >> shift; b <= (end - 1) >> shift; b++) {
        pp_range_put(pp_slot, pp_mask, ((uint64_t) b << 1)
                                       | (shift == PP_RANGE_MIB), r);
    }

    pp_used += n;
    pp_nmib += (shift == PP_RANGE_MIB);

    return 0;
}


/* the range that holds p at one bucket size, or NULL */
static const pp_range_t *
pp_range_in(uintptr_t p, uint32_t shift)
{
    uint32_t     i;
    uint64_t     key;
    pp_range_t  *g;

    key = pp_range_key(p, shift);

    for (i = pp_range_home(key); pp_slot[i].rec != 0; i = (i + 1) & pp_mask) {
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
    const pp_range_t  *g;

    if (pp_used == 0) {
        return NULL;
    }

    g = pp_range_in(p, PP_RANGE_PAGE);

    if (g == NULL && pp_nmib != 0) {
        g = pp_range_in(p, PP_RANGE_MIB);
    }

    return g;
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

            h = pp_range_home(pp_slot[j].key);

            /* j stays unless its home is not cyclically in (i, j] */
            if ((i < j) ? (h <= i || h > j) : (h <= i && h > j)) {
                pp_slot[i] = pp_slot[j];
                i = j;
                break;
            }
        }
    }
}


/* range r of pool l goes: its slots, its place in l's list, its record */
static void
pp_range_del(pp_tpool_t *l, uint32_t r)
{
    uint32_t     i, n;
    uint64_t     key;
    uintptr_t    b;
    pp_range_t  *g;

    g = &pp_rec[r];
    n = 0;

    for (b = g->start >> g->shift; b <= (g->end - 1) >> g->shift; b++) {
        key = ((uint64_t) b << 1) | (g->shift == PP_RANGE_MIB);

        for (i = pp_range_home(key); pp_slot[i].rec != 0;
             i = (i + 1) & pp_mask)
        {
            if (pp_slot[i].rec == r) {
                pp_range_unslot(i);
                n++;
                break;
            }
        }
    }

    pp_used -= n;
    pp_nmib -= (g->shift == PP_RANGE_MIB);

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
    pp_nlive--;
}


/* a large allocation of l at p was freed: its size, or 0 if not indexed */
uint64_t
pp_range_free_large(pp_tpool_t *l, uintptr_t p)
{
    uint64_t           size;
    const pp_range_t  *g;

    g = pp_range_find(p);

    if (g == NULL || g->pool != l->key || !g->large || g->start != p) {
        return 0;
    }

    size = g->end - g->start;
    pp_range_del(l, (uint32_t) (g - pp_rec));

    return size;
}


/* the pool ends (every range) or is reset (its large allocations) */
void
pp_range_drop(pp_tpool_t *l, int large_only)
{
    uint32_t  r, next;

    for (r = l->ranges; r != 0; r = next) {
        next = pp_rec[r].next;

        if (!large_only || pp_rec[r].large) {
            pp_range_del(l, r);
        }
    }
}
