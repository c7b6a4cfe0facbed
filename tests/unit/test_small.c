/*
 * Unit tests of the wrappers' own small allocations and of the cheap
 * clock: pp_small() against nginx's rules, pp_small_verify() accepting
 * allocators that follow them and refusing each that differs, and
 * pp_clock() against clock_gettime().
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pp_small.h"
#include "pp_clock.h"
#include "pp_tap.h"


/* --- allocators: nginx's ngx_palloc_small() and variations -------------- */

#define ALIGN(p, a)                                                          \
    ((unsigned char *) (((uintptr_t) (p) + ((a) - 1)) & ~(uintptr_t) ((a) - 1)))

static int  reached_block;

/* nginx's loop; ngx_palloc_block() is never reached by the check */
static void *
ngx_like(pp_ngx_pool_t *pool, size_t size, size_t align, int walk)
{
    unsigned char  *m;
    pp_ngx_pool_t  *p;

    p = pool->current;

    do {
        m = p->d.last;
        if (align) {
            m = ALIGN(m, align);
        }

        if ((size_t) (p->d.end - m) >= size) {
            p->d.last = m + size;
            return m;
        }

        p = p->d.next;

    } while (walk && p != NULL);

    reached_block = 1;
    return NULL;
}

static void *good_palloc(pp_ngx_pool_t *p, size_t n)
{ return ngx_like(p, n, sizeof(unsigned long), 1); }

static void *good_pnalloc(pp_ngx_pool_t *p, size_t n)
{ return ngx_like(p, n, 0, 1); }

static void *good_pcalloc(pp_ngx_pool_t *p, size_t n)
{
    void  *m;

    m = good_palloc(p, n);
    if (m != NULL) {
        memset(m, 0, n);
    }
    return m;
}

static void *align16_palloc(pp_ngx_pool_t *p, size_t n)
{ return ngx_like(p, n, 16, 1); }

static void *current_only_palloc(pp_ngx_pool_t *p, size_t n)
{ return ngx_like(p, n, sizeof(unsigned long), 0); }

static void *failed_palloc(pp_ngx_pool_t *p, size_t n)
{
    p->d.failed++;
    return good_palloc(p, n);
}

static void *current_palloc(pp_ngx_pool_t *p, size_t n)
{
    void  *m;

    m = good_palloc(p, n);
    if (p->d.next != NULL && (unsigned char *) m >= (unsigned char *) p->d.next) {
        p->current = p->d.next;    /* moves current along, as it must not */
    }
    return m;
}

static void *large_palloc(pp_ngx_pool_t *p, size_t n)
{
    static unsigned char  big[4096];

    (void) p;
    return n <= sizeof(big) ? big : NULL;    /* as NGX_DEBUG_PALLOC would */
}

static void *scribble_palloc(pp_ngx_pool_t *p, size_t n)
{
    unsigned char  *m;

    m = good_palloc(p, n);
    if (m != NULL) {
        m[n] = 0;                   /* one byte past the allocation */
    }
    return m;
}


/* --- tests ------------------------------------------------------------ */

static void
test_pp_small(void)
{
    void                *m;
    unsigned char        buf[512] __attribute__((aligned(16)));
    pp_ngx_pool_t       *pool;
    pp_ngx_pool_data_t  *b;

    memset(buf, 0, sizeof(buf));
    pool = (pp_ngx_pool_t *) buf;
    b = (pp_ngx_pool_data_t *) (buf + 256);

    pool->d.last = buf + sizeof(pp_ngx_pool_t) + 3;
    pool->d.end = buf + 256;
    pool->d.next = (pp_ngx_pool_t *) b;
    pool->current = pool;
    pool->max = 512;
    b->last = buf + 256 + sizeof(pp_ngx_pool_data_t);
    b->end = buf + 512;

    m = pp_small(pool, 10, 1);
    ok(m == buf + sizeof(pp_ngx_pool_t) + 8
       && pool->d.last == buf + sizeof(pp_ngx_pool_t) + 18,
       "pp_small: aligned to %zu, from the current block",
       sizeof(unsigned long));

    m = pp_small(pool, 5, 0);
    ok(m == buf + sizeof(pp_ngx_pool_t) + 18
       && pool->d.last == buf + sizeof(pp_ngx_pool_t) + 23,
       "pp_small: not aligned when told so");

    m = pp_small(pool, 200, 1);
    ok(m == buf + 256 + sizeof(pp_ngx_pool_data_t)
       && pool->d.last == buf + sizeof(pp_ngx_pool_t) + 23,
       "pp_small: from the next block when the current has no room");

    m = pp_small(pool, 300, 1);
    ok(m == NULL && pool->d.last == buf + sizeof(pp_ngx_pool_t) + 23
       && b->last == buf + 256 + sizeof(pp_ngx_pool_data_t) + 200,
       "pp_small: NULL, nothing changed, when no block has room");

    pool->current = (pp_ngx_pool_t *) b;
    m = pp_small(pool, 8, 1);
    ok(m == buf + 256 + sizeof(pp_ngx_pool_data_t) + 200,
       "pp_small: starts at pool->current, not at the pool");
}


static void
test_verify(void)
{
    ok(pp_small_verify((uintptr_t) good_palloc, PP_SMALL_ALIGN) == 1,
       "verify: nginx's ngx_palloc() passes");
    ok(pp_small_verify((uintptr_t) good_pnalloc, PP_SMALL_RAW) == 1,
       "verify: nginx's ngx_pnalloc() passes");
    ok(pp_small_verify((uintptr_t) good_pcalloc, PP_SMALL_ZERO) == 1,
       "verify: nginx's ngx_pcalloc() passes");
    ok(reached_block == 0, "verify: never makes nginx add a block");

    ok(pp_small_verify((uintptr_t) good_palloc, PP_SMALL_RAW) == 0,
       "verify: an aligning allocator is not ngx_pnalloc()");
    ok(pp_small_verify((uintptr_t) good_pnalloc, PP_SMALL_ALIGN) == 0,
       "verify: a non-aligning allocator is not ngx_palloc()");
    ok(pp_small_verify((uintptr_t) good_palloc, PP_SMALL_ZERO) == 0,
       "verify: an allocator that does not zero is not ngx_pcalloc()");
    ok(pp_small_verify((uintptr_t) align16_palloc, PP_SMALL_ALIGN) == 0,
       "verify: another NGX_ALIGNMENT fails");
    ok(pp_small_verify((uintptr_t) current_only_palloc, PP_SMALL_ALIGN) == 0,
       "verify: an allocator that does not walk the blocks fails");
    ok(pp_small_verify((uintptr_t) failed_palloc, PP_SMALL_ALIGN) == 0,
       "verify: an allocator that changes d.failed fails");
    ok(pp_small_verify((uintptr_t) current_palloc, PP_SMALL_ALIGN) == 0,
       "verify: an allocator that moves pool->current fails");
    ok(pp_small_verify((uintptr_t) large_palloc, PP_SMALL_ALIGN) == 0,
       "verify: an allocator that returns memory of its own fails");
    ok(pp_small_verify((uintptr_t) scribble_palloc, PP_SMALL_ALIGN) == 0,
       "verify: an allocator that writes past its block fails");
}


static uint64_t
kernel_ns(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return (uint64_t) ts.tv_sec * 1000000000 + (uint64_t) ts.tv_nsec;
}


static void
test_clock(void)
{
    int       backwards;
    uint64_t  a, b, c, t0, worst, prev, anchors, last_anchor;
    int64_t   d;

    /* until the first stretch gives the rate, the kernel's time */
    a = kernel_ns();
    b = pp_clock();
    c = kernel_ns();
    ok(pp_clk.mult == 0 && a <= b && b <= c,
       "pp_clock: the kernel's time before the rate is known");

    /* 50 ms of readings, each between two of the kernel's */
    worst = 0;
    backwards = 0;
    prev = 0;
    anchors = 0;
    last_anchor = pp_clk.ns;
    t0 = kernel_ns();

    while (kernel_ns() - t0 < 50000000) {
        a = kernel_ns();
        b = pp_clock();
        c = kernel_ns();

        if (b < a) {
            d = (int64_t) (a - b);
        } else if (b > c) {
            d = (int64_t) (b - c);
        } else {
            d = 0;
        }

        if ((uint64_t) d > worst) {
            worst = (uint64_t) d;
        }

        if (b + 1000 < prev) {
            backwards++;
        }

        if (pp_clk.ns != last_anchor) {
            anchors++;
            last_anchor = pp_clk.ns;
        }

        prev = b;
    }

    ok(pp_clk.mult != 0, "pp_clock: the rate is known after 50 ms (%.4f ns "
       "per tick)", (double) pp_clk.mult / 4294967296.0);
    ok(worst < 20000, "pp_clock: within 20 us of the kernel's time "
       "(worst %llu ns)", (unsigned long long) worst);
    ok(backwards == 0, "pp_clock: never a microsecond backwards");
    ok(anchors >= 2 && anchors <= 200,
       "pp_clock: a new anchor about every millisecond (%llu in 50 ms)",
       (unsigned long long) anchors);

    ok(pp_clock_since(5, 3) == 2 && pp_clock_since(3, 5) == 0,
       "pp_clock_since: clamped at 0");
}


int
main(void)
{
    test_pp_small();
    test_verify();
    test_clock();

    return pp_tap_done();
}
