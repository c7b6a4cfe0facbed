/*
 * Validating a segment held in memory: the bytes are untrusted input,
 * and every field that places or sizes something is checked before
 * anything uses it.  After pp_seg_validate() succeeds, every table row
 * of every used shard lies inside the buffer and every string that is
 * read is NUL-terminated.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "pp_report.h"


/* a table of every shard: where the header places it, and its rows */
typedef struct {
    const char             *name;
    size_t                  off;        /* of its offset in the header */
    size_t                  cap;        /* of its capacity there */
    size_t                  size;       /* of a row */
    size_t                  v3;         /* of a row in versions 2 and 3 */
    int                     overflow;   /* 1: an overflow row after them */
} pp_table_t;

#define pp_table(name, t, off, cap, v3, ovf)                                 \
    { name, offsetof(pp_seg_header_t, off), offsetof(pp_seg_header_t, cap),  \
      sizeof(t), v3 ? v3 : sizeof(t), ovf }

/* in the order their errors are reported */
static const pp_table_t  pp_tables[] = {
    pp_table("site", pp_site_t, sites_off, nsites, PP_V3_SITE_SIZE, 1),
    pp_table("pool", pp_pool_t, pools_off, npools, PP_V3_POOL_SIZE, 1),
    pp_table("tag", pp_tag_t, tags_off, ntags, 0, 1),
    pp_table("object", pp_object_t, objects_off, nobjects, 0, 0),
    pp_table("stack", pp_stack_t, stacks_off, nstacks, 0, 1),
    pp_table("growth", pp_growth_t, growth_off, ngrowth, 0, 1),
    pp_table("live", pp_lpool_t, live_off, nlive, 0, 0),
    { NULL, 0, 0, 0, 0, 0 }
};


static int pp_pow2(uint32_t n);
static int pp_table_check(const char *name, uint32_t off, uint64_t rows,
    size_t row_size, const pp_seg_header_t *h, char *err, size_t errlen);
static int pp_shard_check(const unsigned char *shard,
    const pp_seg_header_t *h, uint32_t i, char *err, size_t errlen);


/* err gets the message; returns -1 */
int
pp_fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list  ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);

    return -1;
}


static int
pp_pow2(uint32_t n)
{
    return n != 0 && (n & (n - 1)) == 0;
}


static int
pp_table_check(const char *name, uint32_t off, uint64_t rows,
    size_t row_size, const pp_seg_header_t *h, char *err, size_t errlen)
{
    uint64_t  end;

    if (off % 8 != 0 || off < pp_seg_sizes(h->version).shard) {
        return pp_fail(err, errlen, "bad %s table offset %u", name, off);
    }

    /* rows < 2^33 and row_size < 2^12: no overflow in 64 bits */
    end = (uint64_t) off + rows * (uint64_t) row_size;

    if (end > h->shard_size) {
        return pp_fail(err, errlen,
                       "%s table (offset %u, %llu rows) does not fit in a "
                       "%u-byte shard", name, off, (unsigned long long) rows,
                       h->shard_size);
    }

    return 0;
}


static int
pp_shard_check(const unsigned char *shard, const pp_seg_header_t *h,
    uint32_t i, char *err, size_t errlen)
{
    uint32_t      k;
    pp_shard_t    sh;
    pp_object_t   o;

    pp_seg_record(&sh, sizeof(pp_shard_t), shard,
                  pp_seg_sizes(h->version).shard);

    if (sh.state > PP_SHARD_FOLDING
        || (h->version < 3 && sh.state > PP_SHARD_EXITED)
        || ((sh.state == PP_SHARD_RETIRED) != (i == 0 && h->version >= 3)))
    {
        return pp_fail(err, errlen, "shard %u: bad state %u", i, sh.state);
    }

    if (sh.state == PP_SHARD_FREE || sh.state == PP_SHARD_FOLDING) {
        return 0;
    }

    if (sh.nobjects_used > h->nobjects) {
        return pp_fail(err, errlen, "shard %u: %u objects used of %u", i,
                       sh.nobjects_used, h->nobjects);
    }

    for (k = 0; k < sh.nobjects_used; k++) {
        memcpy(&o, shard + h->objects_off + (size_t) k * sizeof(pp_object_t),
               sizeof(pp_object_t));

        if (memchr(o.path, '\0', PP_PATH_MAX) == NULL) {
            return pp_fail(err, errlen,
                           "shard %u: object %u: path not NUL-terminated",
                           i, k);
        }

        if (o.build_id_len > PP_BUILD_ID_MAX) {
            return pp_fail(err, errlen,
                           "shard %u: object %u: build-id of %u bytes",
                           i, k, o.build_id_len);
        }
    }

    return 0;
}


/*
 * The header's fields that place the rest: version, header size, ready,
 * and the size it claims against len, the file's
 */
int
pp_seg_header_check(const pp_seg_header_t *h, uint64_t len, char *err,
    size_t errlen)
{
    if (h->version < PP_SEG_VERSION_MIN || h->version > PP_SEG_VERSION) {
        return pp_fail(err, errlen,
                       "unsupported segment version %u (this poolprof "
                       "reads %d to %d)", h->version, PP_SEG_VERSION_MIN,
                       PP_SEG_VERSION);
    }

    if (h->header_size != PP_SEG_HEADER_SIZE) {
        return pp_fail(err, errlen, "bad header size %u (expected %d)",
                       h->header_size, PP_SEG_HEADER_SIZE);
    }

    if (h->ready != 1) {
        return pp_fail(err, errlen,
                       "segment not ready (ready = %u): still being created",
                       h->ready);
    }

    if (h->size > len) {
        return pp_fail(err, errlen,
                       "truncated segment: header says %llu bytes, file has "
                       "%llu", (unsigned long long) h->size,
                       (unsigned long long) len);
    }

    if (h->size != len) {
        return pp_fail(err, errlen,
                       "size mismatch: header says %llu bytes, file has %llu",
                       (unsigned long long) h->size,
                       (unsigned long long) len);
    }

    return 0;
}


/* checks a whole segment held in memory; 0 or -1 with err set */
int
pp_seg_validate(const unsigned char *buf, size_t len, char *err,
    size_t errlen)
{
    uint32_t            i, off, cap;
    uint64_t            shards;
    pp_seg_header_t     h;
    const pp_table_t   *t;

    if (len == 0) {
        return pp_fail(err, errlen, "empty file");
    }

    if (len < 8 || memcmp(buf, PP_SEG_MAGIC, 8) != 0) {
        return pp_fail(err, errlen, "not a poolprof segment (bad magic)");
    }

    if (len < PP_SEG_HEADER_SIZE) {
        return pp_fail(err, errlen,
                       "truncated segment: file has %zu bytes, less than "
                       "the %d-byte header", len, PP_SEG_HEADER_SIZE);
    }

    memcpy(&h, buf, sizeof(pp_seg_header_t));

    if (pp_seg_header_check(&h, len, err, errlen) != 0) {
        return -1;
    }

    if (h.version < 3) {
        /* version 2 had no counters of retired processes */
        h.claims_failed = 0;
        h.retired = 0;
        h.retired_crashed = 0;
        h.objects_dropped = 0;
    }

    if (memchr(h.exe, '\0', PP_PATH_MAX) == NULL) {
        return pp_fail(err, errlen, "executable path not NUL-terminated");
    }

    if (h.nshards == 0) {
        return pp_fail(err, errlen, "no shards");
    }

    if (h.shard_size < pp_seg_sizes(h.version).shard
        || h.shard_size % 8 != 0)
    {
        return pp_fail(err, errlen, "bad shard size %u", h.shard_size);
    }

    if (h.shard_off < PP_SEG_HEADER_SIZE || h.shard_off % 8 != 0
        || h.shard_off > h.size)
    {
        return pp_fail(err, errlen, "bad shard offset %llu",
                       (unsigned long long) h.shard_off);
    }

    /* both factors < 2^32: the product fits in 64 bits */
    shards = (uint64_t) h.nshards * h.shard_size;

    if (shards > h.size - h.shard_off) {
        return pp_fail(err, errlen,
                       "%u shards of %u bytes at %llu do not fit in %llu "
                       "bytes", h.nshards, h.shard_size,
                       (unsigned long long) h.shard_off,
                       (unsigned long long) h.size);
    }

    if (!pp_pow2(h.nsites) || !pp_pow2(h.npools) || !pp_pow2(h.ntags)
        || !pp_pow2(h.nstacks) || !pp_pow2(h.ngrowth))
    {
        return pp_fail(err, errlen,
                       "table capacities %u/%u/%u/%u/%u are not all powers "
                       "of two", h.nsites, h.npools, h.ntags, h.nstacks,
                       h.ngrowth);
    }

    if (h.stack_depth > PP_STACK_FRAMES) {
        return pp_fail(err, errlen, "stack depth %u is over %d",
                       h.stack_depth, PP_STACK_FRAMES);
    }

    for (t = pp_tables; t->name != NULL; t++) {
        memcpy(&off, (const char *) &h + t->off, sizeof(uint32_t));
        memcpy(&cap, (const char *) &h + t->cap, sizeof(uint32_t));

        if (pp_table_check(t->name, off, (uint64_t) cap + t->overflow,
                           h.version < 4 ? t->v3 : t->size, &h, err, errlen)
            != 0)
        {
            return -1;
        }
    }

    for (i = 0; i < h.nshards; i++) {
        if (pp_shard_check(buf + h.shard_off + (uint64_t) i * h.shard_size,
                           &h, i, err, errlen)
            != 0)
        {
            return -1;
        }
    }

    return 0;
}
