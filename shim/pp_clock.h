/*
 * CLOCK_MONOTONIC nanoseconds for the hot path: the time stamp counter
 * (on aarch64 the generic timer's virtual count: pp_ticks()), scaled by
 * the rate it had against clock_gettime() over the last stretch between
 * two readings of it (anchors).  A reading more than
 * PP_CLOCK_SPAN_NS from its anchor, or one that went backwards (another
 * CPU, a migration), takes a new anchor and returns clock_gettime()'s
 * time; so does every reading until the first stretch of at least
 * PP_CLOCK_SPAN_NS has given the rate.
 *
 * On a guest whose clock is kvm-clock, clock_gettime() costs several
 * times a reading of the counter, and a pool takes two (BENCHMARKS.md
 * gives what the counter saved).  The error is the drift of the rate
 * within one stretch: nanoseconds.  Two readings may come out a few nanoseconds
 * out of order across an anchor; differences are clamped at 0 by their
 * users.
 */

#ifndef _PP_CLOCK_H_INCLUDED_
#define _PP_CLOCK_H_INCLUDED_

#include <stdint.h>

#include "pp_shim.h"


/*
 * The counter: the TSC on x86-64; on aarch64 the virtual count
 * (CNTVCT_EL0), which Linux lets user space read, at the fixed rate of
 * CNTFRQ_EL0 (1 GHz since Armv8.6, tens of MHz before: the rate is
 * measured the same way either way)
 */
#if defined(__aarch64__)

static inline uint64_t
pp_ticks(void)
{
    uint64_t  t;

    __asm__ __volatile__ ("mrs %0, cntvct_el0" : "=r" (t));

    return t;
}

#else

#include <x86intrin.h>

#define pp_ticks()  __rdtsc()

#endif


#define PP_CLOCK_SPAN_NS  1000000       /* 1 ms between anchors */

typedef struct {
    uint64_t                tsc;        /* the anchor */
    uint64_t                ns;
    uint64_t                mult;       /* ns per tick, << 32; 0: unknown */
    uint64_t                span;       /* PP_CLOCK_SPAN_NS in ticks, 0
                                           until the rate is known */
} pp_clock_t;

extern pp_clock_t  pp_clk __attribute__((visibility("hidden")));

uint64_t pp_clock_anchor(void) __attribute__((noinline));


static inline uint64_t
pp_clock(void)
{
    uint64_t  t, d;

    t = pp_ticks();
    d = t - pp_clk.tsc;

    if (pp_unlikely(d >= pp_clk.span)) {
        return pp_clock_anchor();
    }

    return pp_clk.ns + ((d * pp_clk.mult) >> 32);
}


/* now - then, or 0 if two readings came out of order */
#define pp_clock_since(now, then)                                            \
    ((now) > (then) ? (now) - (then) : 0)


#endif /* _PP_CLOCK_H_INCLUDED_ */
