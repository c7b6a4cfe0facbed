/*
 * The parts of nginx's structures the shim reads: layouts of nginx 1.x
 * on LP64 (src/core/ngx_palloc.h, ngx_buf.h), unchanged since 1.1.
 *
 * PP_NGX_FIELDS and PP_NGX_SIZES list the offsets and sizes the mirrors
 * must have.  This header checks the mirrors against them; the test
 * module (tests/modules/), compiled against nginx-dev, checks nginx's
 * own structures against the same lists, so a mirror that drifted from
 * nginx fails the build of one or the other.
 */

#ifndef _PP_NGX_H_INCLUDED_
#define _PP_NGX_H_INCLUDED_

#include <stddef.h>
#include <stdint.h>


#define PP_NGX_OK         0
#define PP_NGX_DECLINED  -5


typedef struct pp_ngx_pool_s        pp_ngx_pool_t;
typedef struct pp_ngx_pool_large_s  pp_ngx_pool_large_t;
typedef struct pp_ngx_chain_s       pp_ngx_chain_t;

typedef struct {
    unsigned char          *last;
    unsigned char          *end;
    pp_ngx_pool_t          *next;
    uintptr_t               failed;
} pp_ngx_pool_data_t;

struct pp_ngx_pool_large_s {
    pp_ngx_pool_large_t    *next;
    void                   *alloc;
};

struct pp_ngx_pool_s {
    pp_ngx_pool_data_t      d;
    size_t                  max;
    pp_ngx_pool_t          *current;
    pp_ngx_chain_t         *chain;
    pp_ngx_pool_large_t    *large;
    void                   *cleanup;
    void                   *log;
};

typedef struct {
    unsigned char          *pos;
    unsigned char          *last;
    int64_t                 file_pos;
    int64_t                 file_last;
    unsigned char          *start;
    unsigned char          *end;
    void                   *tag;
    void                   *file;
    void                   *shadow;
    /* flag bit-fields follow; the shim never reads them */
} pp_ngx_buf_t;

struct pp_ngx_chain_s {
    pp_ngx_buf_t           *buf;
    pp_ngx_chain_t         *next;
};

/* the header before a pool's first block's data, and before another's */
#define PP_NGX_POOL_HEADER       sizeof(pp_ngx_pool_t)
#define PP_NGX_BLOCK_HEADER      sizeof(pp_ngx_pool_data_t)


/* X(type, field, offset): for pp_ngx_<type> here, ngx_<type> in nginx */
#define PP_NGX_FIELDS(X)                                                     \
    X(pool_t, d.last, 0)                                                     \
    X(pool_t, d.end, 8)                                                      \
    X(pool_t, d.next, 16)                                                    \
    X(pool_t, d.failed, 24)                                                  \
    X(pool_t, max, 32)                                                       \
    X(pool_t, current, 40)                                                   \
    X(pool_t, chain, 48)                                                     \
    X(pool_t, large, 56)                                                     \
    X(pool_t, cleanup, 64)                                                   \
    X(pool_t, log, 72)                                                       \
    X(pool_large_t, next, 0)                                                 \
    X(pool_large_t, alloc, 8)                                                \
    X(buf_t, pos, 0)                                                         \
    X(buf_t, last, 8)                                                        \
    X(buf_t, file_pos, 16)                                                   \
    X(buf_t, file_last, 24)                                                  \
    X(buf_t, start, 32)                                                      \
    X(buf_t, end, 40)                                                        \
    X(buf_t, tag, 48)                                                        \
    X(buf_t, file, 56)                                                       \
    X(buf_t, shadow, 64)                                                     \
    X(chain_t, buf, 0)                                                       \
    X(chain_t, next, 8)

/* X(type, size): the structures the shim walks or lays out whole */
#define PP_NGX_SIZES(X)                                                      \
    X(pool_t, 80)                                                            \
    X(pool_data_t, 32)                                                       \
    X(pool_large_t, 16)                                                      \
    X(chain_t, 16)

#define PP_NGX_MIRROR_FIELD(type, field, off)                                \
    _Static_assert(offsetof(pp_ngx_##type, field) == (off),                  \
                   "pp_ngx_" #type "." #field);

#define PP_NGX_MIRROR_SIZE(type, size)                                       \
    _Static_assert(sizeof(pp_ngx_##type) == (size), "pp_ngx_" #type);

PP_NGX_FIELDS(PP_NGX_MIRROR_FIELD)
PP_NGX_SIZES(PP_NGX_MIRROR_SIZE)


#endif /* _PP_NGX_H_INCLUDED_ */
