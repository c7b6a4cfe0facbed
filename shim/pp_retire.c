/*
 * Folding the shard of an ended process into shard 0, the retired
 * aggregate, under the fold lock (pp_shard.c).  Shard 0's tables are
 * placed by hashing their keys (linear probing within the capacity), as
 * a reader reads every row anyway; a row that finds no room adds into
 * the table's overflow row, as in any shard.
 *
 * Addresses are only meaningful with the objects that were mapped: each
 * of the dead shard's objects is added to shard 0's (deduplicated, never
 * overlapping another), and a row whose addresses shard 0 would place in
 * another object than the dead shard did goes to the overflow row rather
 * than to the wrong name.  Live pools are not folded: a clean exit
 * counted its leaks in the pool rows already.  The dead shard was
 * written by a process that may have been hostile: every row is copied
 * before it is used, and counts and indexes are bounded by the private
 * layout.
 */

#include <string.h>

#include "pp_shim.h"
#include "pp_rows.h"


static pp_object_t  pp_dead_obj[PP_OBJECTS_MAX];
static int32_t      pp_dead_map[PP_OBJECTS_MAX];
static uint32_t     pp_ndead;
static char        *pp_ret;            /* shard 0 */


static int32_t
pp_retire_obj_in(const pp_object_t *o, uint32_t n, uint64_t addr)
{
    uint32_t  k;

    for (k = 0; k < n; k++) {
        if (addr >= o[k].lo && addr < o[k].hi) {
            return (int32_t) k;
        }
    }

    return -1;
}


static pp_object_t *
pp_retire_objects(uint32_t *n)
{
    pp_shard_t  *ret;

    ret = (pp_shard_t *) pp_ret;
    *n = ret->nobjects_used;
    if (*n > pp_proc.lay.nobjects) {
        *n = pp_proc.lay.nobjects;
    }

    return (pp_object_t *) (pp_ret + pp_proc.lay.objects_off);
}


/* 1 when shard 0 names addr by the object the dead shard did */
static int
pp_retire_same(uint64_t addr)
{
    int32_t       d, r;
    uint32_t      n;
    pp_object_t  *o;

    o = pp_retire_objects(&n);
    d = pp_retire_obj_in(pp_dead_obj, pp_ndead, addr);
    r = pp_retire_obj_in(o, n, addr);

    return d == -1 ? r == -1 : pp_dead_map[d] == r;
}


/* the dead shard's objects, each given its place in shard 0's */
static void
pp_retire_map_objects(const pp_shard_t *dead)
{
    int32_t       k, j;
    uint32_t      n, cap;
    pp_object_t  *ro, *o;

    pp_ndead = dead->nobjects_used;
    cap = pp_proc.lay.nobjects;
    if (pp_ndead > cap) {
        pp_ndead = cap;
    }

    memcpy(pp_dead_obj, (const char *) dead + pp_proc.lay.objects_off,
           (size_t) pp_ndead * sizeof(pp_object_t));

    for (k = 0; k < (int32_t) pp_ndead; k++) {
        o = &pp_dead_obj[k];
        o->path[PP_PATH_MAX - 1] = '\0';
        if (o->build_id_len > PP_BUILD_ID_MAX) {
            o->build_id_len = 0;
        }

        ro = pp_retire_objects(&n);
        pp_dead_map[k] = -1;

        for (j = 0; j < (int32_t) n; j++) {
            if (memcmp(&ro[j], o, sizeof(pp_object_t)) == 0) {
                pp_dead_map[k] = j;
                break;
            }
        }

        if (pp_dead_map[k] != -1) {
            continue;
        }

        /* a new object: only if it overlaps none already there */
        for (j = 0; j < (int32_t) n; j++) {
            if (o->lo < ro[j].hi && ro[j].lo < o->hi) {
                break;
            }
        }

        if (j < (int32_t) n || n >= cap) {
            __atomic_fetch_add(&pp_proc.seg->objects_dropped, 1,
                               __ATOMIC_RELAXED);
            continue;
        }

        ro[n] = *o;
        pp_dead_map[k] = (int32_t) n;
        __atomic_store_n(&((pp_shard_t *) pp_ret)->nobjects_used, n + 1,
                         __ATOMIC_RELEASE);
    }
}


/*
 * The row of shard 0's table for key (eq tells rows of equal keys
 * apart); a free row has key 0, and the overflow row is at cap
 */
static char *
pp_retire_row(uint32_t off, uint32_t cap, size_t size, uint64_t key,
    int (*eq)(const void *row, const void *want), const void *want)
{
    char      *row;
    uint32_t   i, n;
    uint64_t   k;

    i = pp_hash((uintptr_t) key) & (cap - 1);

    for (n = 0; n < cap; n++) {
        row = pp_ret + off + (size_t) i * size;
        memcpy(&k, row, sizeof(uint64_t));

        if (k == 0 || (k == key && (eq == NULL || eq(row, want)))) {
            return row;
        }

        i = (i + 1) & (cap - 1);
    }

    return pp_ret + off + (size_t) cap * size;
}


static int
pp_retire_eq_growth(const void *row, const void *want)
{
    const pp_growth_t  *a = row, *b = want;

    return a->site == b->site && a->pool_site == b->pool_site;
}


static int
pp_retire_eq_stack(const void *row, const void *want)
{
    const pp_stack_t  *a = row, *b = want;

    return a->depth == b->depth
           && memcmp(a->frames, b->frames, sizeof(a->frames)) == 0;
}


/*
 * Folds the rows of one table: the row of key r's in shard 0 (new rows
 * are copied whole, their key stored last), or the overflow row
 */
#define pp_retire_table(type, dead, off, cap, same, eq, add)                 \
    do {                                                                     \
        uint32_t   i_;                                                       \
        type       r_, *d_;                                                  \
                                                                             \
        for (i_ = 0; i_ <= (cap); i_++) {                                    \
            memcpy(&r_, (const char *) (dead) + (off) + i_ * sizeof(type),   \
                   sizeof(type));                                            \
                                                                             \
            if (i_ < (cap) && r_.key == 0) {                                 \
                continue;                                                    \
            }                                                                \
                                                                             \
            if (i_ == (cap) || !(same)) {                                    \
                d_ = (type *) (pp_ret + (off)                                \
                               + (size_t) (cap) * sizeof(type));             \
                                                                             \
            } else {                                                         \
                d_ = (type *) pp_retire_row(off, cap, sizeof(type), r_.key,  \
                                            eq, &r_);                        \
                                                                             \
                if (d_->key == 0                                             \
                    && (char *) d_ != pp_ret + (off)                         \
                                      + (size_t) (cap) * sizeof(type))       \
                {                                                            \
                    uint64_t  k_ = r_.key;                                   \
                                                                             \
                    r_.key = 0;                                              \
                    memcpy(d_, &r_, sizeof(type));                           \
                    __atomic_store_n(&d_->key, k_, __ATOMIC_RELEASE);        \
                    continue;                                                \
                }                                                            \
            }                                                                \
                                                                             \
            add(d_, &r_);                                                    \
        }                                                                    \
    } while (0)


static int
pp_retire_stack_same(const pp_stack_t *s)
{
    uint32_t  i;

    for (i = 0; i < s->depth && i < PP_STACK_FRAMES; i++) {
        if (!pp_retire_same(s->frames[i])) {
            return 0;
        }
    }

    return s->depth <= PP_STACK_FRAMES;
}


void
pp_retire_fold(pp_shard_t *dead)
{
    pp_totals_t        t;
    pp_shard_t        *ret;
    const pp_layout_t *l;

    l = &pp_proc.lay;
    pp_ret = (char *) pp_layout_shard(pp_proc.seg, l, 0);
    ret = (pp_shard_t *) pp_ret;

    memcpy(&t, &dead->totals, sizeof(pp_totals_t));
    pp_rows_add_totals(&ret->totals, &t);

    pp_retire_map_objects(dead);

    pp_retire_table(pp_site_t, dead, l->sites_off, l->nsites,
                    pp_retire_same(r_.key), NULL, pp_rows_add_site);
    pp_retire_table(pp_pool_t, dead, l->pools_off, l->npools,
                    pp_retire_same(r_.key), NULL, pp_rows_add_pool);
    pp_retire_table(pp_tag_t, dead, l->tags_off, l->ntags,
                    pp_retire_same(r_.key), NULL, pp_rows_add_tag);
    pp_retire_table(pp_growth_t, dead, l->growth_off, l->ngrowth,
                    pp_retire_same(r_.site)
                    && pp_retire_same(r_.pool_site),
                    pp_retire_eq_growth, pp_rows_add_growth);
    pp_retire_table(pp_stack_t, dead, l->stacks_off, l->nstacks,
                    pp_retire_stack_same(&r_), pp_retire_eq_stack,
                    pp_rows_add_stack);
}
