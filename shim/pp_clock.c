/*
 * The anchors of pp_clock(): see pp_clock.h.
 */

#include "pp_clock.h"


pp_clock_t  pp_clk;


/* a new anchor at the counter's reading tsc; the time, from the kernel */
uint64_t
pp_clock_anchor(uint64_t tsc)
{
    uint64_t  ns, dt, dn, mult;

    ns = pp_mono_ns();
    tsc = pp_ticks();

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
