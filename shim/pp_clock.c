/*
 * The anchors of pp_clock(): see pp_clock.h.
 */

#include "pp_clock.h"


pp_clock_t  pp_clk;


/*
 * The kernel's time and the counter as one pair: the counter read on
 * both sides of clock_gettime() and its middle taken.  A pair read
 * across a preemption (a gap over a microsecond, or any gap while the
 * rate is unknown) is read again, up to three times, and the tightest
 * kept: a skewed pair would give a wrong rate and a step at the next
 * anchor.
 */
static uint64_t
pp_clock_pair(uint64_t *ticks)
{
    int       i;
    uint64_t  t0, t1, n, ns, gap, best;

    ns = 0;
    *ticks = 0;
    best = UINT64_MAX;

    for (i = 0; i < 3; i++) {
        t0 = pp_ticks();
        n = pp_mono_ns();
        t1 = pp_ticks();
        gap = t1 - t0;

        if (gap < best) {
            best = gap;
            ns = n;
            *ticks = t0 + gap / 2;
        }

        if (pp_clk.mult != 0 && ((gap * pp_clk.mult) >> 32) < 1000) {
            break;
        }
    }

    return ns;
}


/* a new anchor, now; the time, from the kernel */
uint64_t
pp_clock_anchor(void)
{
    uint64_t  ns, tsc, dt, dn, mult;

    ns = pp_clock_pair(&tsc);

    dt = tsc - pp_clk.tsc;
    dn = ns - pp_clk.ns;

    if (pp_clk.ns != 0 && dn < PP_CLOCK_SPAN_NS && pp_clk.mult == 0) {
        /* too short a stretch to give a rate: keep the first anchor */
        return ns;
    }

    /*
     * the rate of this stretch, if it is one: forward on both clocks,
     * no longer than a second (else the old rate stays), and between
     * 0.01 and 100 ns per tick (a counter of 10 MHz to 100 GHz)
     */
    mult = pp_clk.mult;

    if (pp_clk.ns != 0 && (int64_t) dt > 0 && (int64_t) dn > 0
        && dn <= 1000000000)
    {
        mult = (dn << 32) / dt;

        if (mult < ((uint64_t) 1 << 32) / 100
            || mult > ((uint64_t) 1 << 32) * 100)
        {
            mult = 0;
        }
    }

    pp_clk.tsc = tsc;
    pp_clk.ns = ns;
    pp_clk.mult = mult;
    pp_clk.span = mult ? ((uint64_t) PP_CLOCK_SPAN_NS << 32) / mult : 0;

    return ns;
}
