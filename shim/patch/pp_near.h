/*
 * The pages that hold relays and trampolines, each within reach of a
 * direct branch from the code it serves: +-2 GiB for x86-64's jmp
 * rel32, +-128 MiB for aarch64's B imm26.  Shared by both patchers.
 */

#ifndef _PP_NEAR_H_INCLUDED_
#define _PP_NEAR_H_INCLUDED_

#include <stddef.h>
#include <stdint.h>

#include "pp_patch.h"


#define PP_NEAR_STEP    (1 << 20)   /* pages are mapped 1 MiB apart */

#if defined(__aarch64__)
#define PP_SLOT_SIZE    256         /* pp_plan_arm64.h */
#define PP_NEAR_RANGE   0x08000000LL
#define PP_NEAR_FILL    0x00        /* udf #0 wherever no slot was written */
#else
#define PP_SLOT_SIZE    128         /* pp_plan.h */
#define PP_NEAR_RANGE   0x7fff0000LL
#define PP_NEAR_FILL    0xcc        /* int3 */
#endif


typedef struct pp_near_s  pp_near_t;


/* a slot of PP_SLOT_SIZE bytes near addr, in the page *page */
uint8_t *pp_near_alloc(uintptr_t addr, pp_near_t **page);

/* a slot anywhere (hint: where, if free; 0: no wish), for a trampoline */
uint8_t *pp_near_alloc_any(uintptr_t hint, pp_near_t **page);

/* the slot back to its page, if it was the last one carved */
void pp_near_free(pp_near_t *np, uint8_t *slot);

/*
 * The slot's page made PROT_READ | PROT_WRITE or PROT_READ | PROT_EXEC;
 * 0, or -1 and the reason in err (which may be NULL)
 */
int pp_near_protect(pp_near_t *np, uint8_t *slot, int prot, char *err,
    size_t len);


/* pp_patch_common.c: a direct branch at +off into [addr, hi) is refused */
int pp_patch_lands(uintptr_t target, uintptr_t addr, uintptr_t hi, int call,
    size_t off, char *err, size_t len);

/* pp_patch_common.c: the original is tramp, or slot is given back */
int pp_patch_end(pp_hook_t *h, pp_near_t *np, uint8_t *slot, void *tramp,
    int failed);

/*
 * pp_patch_common.c: h->choose() called with the trampoline tramp, in
 * slot, runnable; *wrapper is what it chose, if anything; the page is
 * writable again after
 */
int pp_patch_choose(pp_hook_t *h, pp_near_t *np, uint8_t *slot, void *tramp,
    void **wrapper, char *err, size_t len);


#endif /* _PP_NEAR_H_INCLUDED_ */
