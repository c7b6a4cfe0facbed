/*
 * The field tables of pp_fields.h, and what is done with them.  Linked
 * into the shim (folding ended processes) and into the reporter.
 */

#include <string.h>

#include "pp_fields.h"


#define pp_field_entry(rec, f, key, type, merge, unit, sort, flags)          \
    { key, sort, (uint32_t) offsetof(rec, f), PP_FIELD_##type,               \
      PP_MERGE_##merge, PP_UNIT_##unit, PP_FIELD_##flags },

#define pp_field_bytes(rec, f, key, type, merge, unit, sort, flags)          \
    + sizeof(((rec *) 0)->f)

/* a figure is 8 bytes: a uint64_t, or a double where the table says */
#define pp_field_wide(rec, f, key, type, merge, unit, sort, flags)           \
    _Static_assert(sizeof(((rec *) 0)->f) == 8, #rec "." #f ": 8 bytes");

#define pp_fields_table(name, rec, LIST)                                     \
    static const pp_field_t  name##_list[] = { LIST(pp_field_entry) };       \
    const pp_fields_t  name = {                                              \
        #rec, name##_list,                                                   \
        sizeof(name##_list) / sizeof(name##_list[0]), sizeof(rec)            \
    }


PP_F_TOTALS(pp_field_wide)
PP_F_SITE(pp_field_wide)
PP_F_POOL(pp_field_wide)
PP_F_TAG(pp_field_wide)
PP_F_GROWTH(pp_field_wide)
PP_F_STACK(pp_field_wide)

/*
 * Every byte of a record is a figure of its table or one of the parts
 * named here: a record that grows without its table does not build.
 */
_Static_assert(0 PP_F_TOTALS(pp_field_bytes)
               + sizeof(((pp_totals_t *) 0)->reserved)
               == sizeof(pp_totals_t), "pp_totals_t: a field has no line");

_Static_assert(sizeof(uint64_t) /* key */ PP_F_SITE(pp_field_bytes)
               + sizeof(uint64_t) /* owner */
               + sizeof(uint64_t) /* reserved */
               == sizeof(pp_site_t), "pp_site_t: a field has no line");

_Static_assert(sizeof(uint64_t) /* key */ PP_F_POOL(pp_field_bytes)
               + 2 * sizeof(pp_hist_t) /* used, lifetime */
               + sizeof(uint64_t) /* owner */
               + sizeof(((pp_pool_t *) 0)->reserved4)
               == sizeof(pp_pool_t), "pp_pool_t: a field has no line");

_Static_assert(sizeof(uint64_t) /* key */ PP_F_TAG(pp_field_bytes)
               == sizeof(pp_tag_t), "pp_tag_t: a field has no line");

_Static_assert(3 * sizeof(uint64_t) /* key, site, pool_site */
               PP_F_GROWTH(pp_field_bytes)
               + 2 * sizeof(uint64_t) /* reserved */
               == sizeof(pp_growth_t), "pp_growth_t: a field has no line");

_Static_assert(sizeof(uint64_t) + 2 * sizeof(uint32_t) /* key, depth, pad */
               PP_F_STACK(pp_field_bytes)
               + sizeof(((pp_stack_t *) 0)->frames)
               == sizeof(pp_stack_t), "pp_stack_t: a field has no line");

/* the owner is an address the first non-zero of which stays */
_Static_assert(offsetof(pp_site_t, owner) + 16 == sizeof(pp_site_t),
               "pp_site_t: owner and reserved last");


pp_fields_table(pp_totals_fields, pp_totals_t, PP_F_TOTALS);
pp_fields_table(pp_site_fields, pp_site_t, PP_F_SITE);
pp_fields_table(pp_pool_fields, pp_pool_t, PP_F_POOL);
pp_fields_table(pp_tag_fields, pp_tag_t, PP_F_TAG);
pp_fields_table(pp_growth_fields, pp_growth_t, PP_F_GROWTH);
pp_fields_table(pp_stack_fields, pp_stack_t, PP_F_STACK);


uint64_t
pp_field_u64(const pp_field_t *f, const void *row)
{
    double    d;
    uint64_t  v;

    if (f->type == PP_FIELD_F64) {
        memcpy(&d, (const char *) row + f->off, sizeof(d));
        return d > 0 && d < 18446744073709551616.0 ? (uint64_t) d : 0;
    }

    memcpy(&v, (const char *) row + f->off, sizeof(v));

    return v;
}


double
pp_field_value(const pp_field_t *f, const void *row)
{
    double    d;
    uint64_t  v;

    if (f->type == PP_FIELD_F64) {
        memcpy(&d, (const char *) row + f->off, sizeof(d));
        return d;
    }

    memcpy(&v, (const char *) row + f->off, sizeof(v));

    return (double) v;
}


/* rows are read and written by memcpy(): the reporter's may be unaligned */
void
pp_fields_add(const pp_fields_t *t, void *dst, const void *src)
{
    double             a, b;
    uint32_t           i;
    uint64_t           x, y;
    const pp_field_t  *f;

    for (i = 0; i < t->n; i++) {
        f = &t->fields[i];

        memcpy(&x, (char *) dst + f->off, 8);
        memcpy(&y, (const char *) src + f->off, 8);

        switch (f->merge) {

        case PP_MERGE_MAX:
            x = y > x ? y : x;
            break;

        case PP_MERGE_FIRST:
            x = x != 0 ? x : y;
            break;

        default:
            if (f->type == PP_FIELD_F64) {
                memcpy(&a, &x, 8);
                memcpy(&b, &y, 8);
                a += b;
                memcpy(&x, &a, 8);

            } else {
                x += y;
            }
        }

        memcpy((char *) dst + f->off, &x, 8);
    }
}


/*
 * dst - src for the counters; the others stay.  A counter below its
 * base becomes 0, and the result is 1.
 */
int
pp_fields_sub(const pp_fields_t *t, void *dst, const void *src)
{
    int                back;
    double             a, b;
    uint32_t           i;
    uint64_t           x, y;
    const pp_field_t  *f;

    back = 0;

    for (i = 0; i < t->n; i++) {
        f = &t->fields[i];

        if (f->merge != PP_MERGE_SUM) {
            continue;
        }

        memcpy(&x, (char *) dst + f->off, 8);
        memcpy(&y, (const char *) src + f->off, 8);

        if (f->type == PP_FIELD_F64) {
            memcpy(&a, &x, 8);
            memcpy(&b, &y, 8);
            /* byte-seconds of two reads differ by rounding: no warning */
            a = a > b ? a - b : 0;
            memcpy(&x, &a, 8);

        } else if (x < y) {
            back = 1;
            x = 0;

        } else {
            x -= y;
        }

        memcpy((char *) dst + f->off, &x, 8);
    }

    return back;
}


/* a row with any counter not 0 */
int
pp_fields_any(const pp_fields_t *t, const void *row)
{
    uint32_t  i;
    uint64_t  x;

    for (i = 0; i < t->n; i++) {
        if (t->fields[i].merge != PP_MERGE_SUM) {
            continue;
        }

        /* a double is 0 when its bits are, but for -0.0 */
        memcpy(&x, (const char *) row + t->fields[i].off, 8);
        if ((x << 1) != 0) {
            return 1;
        }
    }

    return 0;
}


/* the estimate of a row recorded for 1 in by pools: counters times by */
void
pp_fields_scale(const pp_fields_t *t, void *row, uint64_t by)
{
    double             d;
    uint32_t           i;
    uint64_t           x;
    const pp_field_t  *f;

    if (by < 2) {
        return;
    }

    for (i = 0; i < t->n; i++) {
        f = &t->fields[i];

        if (f->merge != PP_MERGE_SUM || (f->flags & PP_FIELD_EXACT)) {
            continue;
        }

        memcpy(&x, (char *) row + f->off, 8);

        if (f->type == PP_FIELD_F64) {
            memcpy(&d, &x, 8);
            d *= (double) by;
            memcpy(&x, &d, 8);

        } else {
            /* saturates: a corrupt count must not wrap to a small one */
            x = x > UINT64_MAX / by ? UINT64_MAX : x * by;
        }

        memcpy((char *) row + f->off, &x, 8);
    }
}


const pp_field_t *
pp_fields_find(const pp_fields_t *t, const char *name)
{
    uint32_t  i;

    for (i = 0; i < t->n; i++) {
        if (strcmp(t->fields[i].name, name) == 0) {
            return &t->fields[i];
        }
    }

    return NULL;
}


const pp_field_t *
pp_fields_at(const pp_fields_t *t, size_t off)
{
    uint32_t  i;

    for (i = 0; i < t->n; i++) {
        if (t->fields[i].off == off) {
            return &t->fields[i];
        }
    }

    return NULL;
}
