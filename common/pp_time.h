/*
 * CLOCK_MONOTONIC in nanoseconds: the clock of every duration the shim
 * records and the reporter measures (the shim's hot path reads the time
 * stamp counter instead, pp_clock.h, calibrated against this one).
 */

#ifndef _PP_TIME_H_INCLUDED_
#define _PP_TIME_H_INCLUDED_

#include <stdint.h>
#include <time.h>


static inline uint64_t
pp_mono_ns(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return (uint64_t) ts.tv_sec * 1000000000 + (uint64_t) ts.tv_nsec;
}


#endif /* _PP_TIME_H_INCLUDED_ */
