/*
 * Start-up check that nginx's small allocators do what pp_small() does:
 * each is called on a pool of two blocks that lives in a static buffer,
 * with room in the first block or only in the second, for every
 * misalignment of d.last and a few sizes, and its result and the pool
 * after it are compared with pp_small()'s on a copy.
 *
 * Every call fits in the block, so a normal build never leaves
 * ngx_palloc_small()'s first try.  A build with NGX_DEBUG_PALLOC, or
 * another NGX_ALIGNMENT, gives a different pointer (a large allocation
 * of malloc(), leaked once) and fails the check.
 */

#include <string.h>

#include "pp_small.h"


typedef void *(*pp_small_pt)(pp_ngx_pool_t *pool, size_t size);

#define PP_SMALL_BUF  1024


/* nginx's ngx_log_t, zeroed: log_level 0 logs nothing that may come */
static uint64_t  pp_small_log[32];

static union {
    pp_ngx_pool_t           pool;
    unsigned char           bytes[PP_SMALL_BUF];
} pp_small_a __attribute__((aligned(64))),
  pp_small_b __attribute__((aligned(64)));


/*
 * A pool of two blocks in one buffer: the pool's own up to the middle,
 * the second from there.  full: the first block has no byte left.
 */
static void
pp_small_init(unsigned char *buf, size_t skew, int full)
{
    pp_ngx_pool_t       *pool;
    pp_ngx_pool_data_t  *b;

    memset(buf, 0xa5, PP_SMALL_BUF);

    pool = (pp_ngx_pool_t *) buf;
    b = (pp_ngx_pool_data_t *) (buf + PP_SMALL_BUF / 2);

    pool->d.end = buf + PP_SMALL_BUF / 2;
    pool->d.last = full ? pool->d.end : buf + sizeof(pp_ngx_pool_t) + skew;
    pool->d.next = (pp_ngx_pool_t *) b;
    pool->d.failed = 0;
    pool->max = PP_SMALL_BUF;
    pool->current = pool;
    pool->chain = NULL;
    pool->large = NULL;
    pool->cleanup = NULL;
    pool->log = pp_small_log;

    b->end = buf + PP_SMALL_BUF;
    b->last = full ? (unsigned char *) b + sizeof(pp_ngx_pool_data_t) + skew
                   : b->end;
    b->next = NULL;
    b->failed = 0;
}


/* buf's pointer p, as an offset; a pointer out of buf as -1 */
static ptrdiff_t
pp_small_off(const unsigned char *buf, const void *p)
{
    const unsigned char  *u;

    u = p;

    if (u < buf || u > buf + PP_SMALL_BUF) {
        return -1;
    }

    return u - buf;
}


/* 1 if the blocks a and b have the same fields, relative to each buffer */
static int
pp_small_same_block(const unsigned char *a, const unsigned char *b,
    size_t at)
{
    const pp_ngx_pool_data_t  *x, *y;

    x = (const pp_ngx_pool_data_t *) (a + at);
    y = (const pp_ngx_pool_data_t *) (b + at);

    return pp_small_off(a, x->last) == pp_small_off(b, y->last)
           && pp_small_off(a, x->end) == pp_small_off(b, y->end)
           && (x->next == NULL) == (y->next == NULL)
           && (x->next == NULL
               || pp_small_off(a, x->next) == pp_small_off(b, y->next))
           && x->failed == y->failed;
}


int
pp_small_verify(uintptr_t addr, int how)
{
    int              full;
    void            *p, *q;
    size_t           skew, i, size;
    pp_small_pt      fn;
    pp_ngx_pool_t   *a, *b;
    static const size_t  sizes[] = { 0, 1, 3, 8, 13, 40, 200 };

    fn = (pp_small_pt) addr;
    a = &pp_small_a.pool;
    b = &pp_small_b.pool;

    for (full = 0; full < 2; full++) {
        for (skew = 0; skew < 16; skew++) {
            for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
                size = sizes[i];

                /* a zero size fits in the full block: 0 bytes left */
                if (full && size == 0) {
                    continue;
                }

                pp_small_init(pp_small_a.bytes, skew, full);
                pp_small_init(pp_small_b.bytes, skew, full);

                p = fn(a, size);

                q = pp_small(b, size, how != PP_SMALL_RAW);
                if (q == NULL) {
                    return 0;
                }

                if (how == PP_SMALL_ZERO) {
                    memset(q, 0, size);
                }

                if (pp_small_off(pp_small_a.bytes, p)
                        != pp_small_off(pp_small_b.bytes, q)
                    || !pp_small_same_block(pp_small_a.bytes,
                                            pp_small_b.bytes, 0)
                    || !pp_small_same_block(pp_small_a.bytes,
                                            pp_small_b.bytes,
                                            PP_SMALL_BUF / 2)
                    || a->max != PP_SMALL_BUF
                    || a->current != a
                    || a->chain != NULL
                    || a->large != NULL
                    || a->cleanup != NULL
                    || a->log != pp_small_log
                    || memcmp(pp_small_a.bytes + sizeof(pp_ngx_pool_t),
                              pp_small_b.bytes + sizeof(pp_ngx_pool_t),
                              PP_SMALL_BUF / 2 - sizeof(pp_ngx_pool_t)) != 0
                    || memcmp(pp_small_a.bytes + PP_SMALL_BUF / 2
                                  + sizeof(pp_ngx_pool_data_t),
                              pp_small_b.bytes + PP_SMALL_BUF / 2
                                  + sizeof(pp_ngx_pool_data_t),
                              PP_SMALL_BUF / 2 - sizeof(pp_ngx_pool_data_t))
                       != 0)
                {
                    return 0;
                }
            }
        }
    }

    return 1;
}
