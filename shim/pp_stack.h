/*
 * Sampled call stacks (pp_stack.c): every pool event counts down, and
 * the event that reaches zero has its stack taken.
 */

#ifndef _PP_STACK_H_INCLUDED_
#define _PP_STACK_H_INCLUDED_

#include "pp_shim.h"


void pp_stack_reset(void);
pp_stack_t *pp_stack_take(uintptr_t site);
uintptr_t pp_stack_owner(uintptr_t site);


/* this event's stack row when it is sampled, else NULL */
static inline pp_stack_t *
pp_stack_sample(uintptr_t site)
{
    if (pp_likely(--pp_tls.countdown != 0)) {
        return NULL;
    }

    return pp_stack_take(site);
}


#endif /* _PP_STACK_H_INCLUDED_ */
