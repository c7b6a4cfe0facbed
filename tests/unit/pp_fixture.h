/*
 * What the patchers' unit tests (test_patch, test_patch_arm64) do alike
 * with a fixture function of (long a, long b): its inputs, its results
 * before the patch, and the TAP points of a refusal (nothing changed,
 * still the same results) or of a hook (the same results through the
 * entry and through the trampoline, every call seen by the wrapper).
 */

#ifndef _PP_FIXTURE_H_INCLUDED_
#define _PP_FIXTURE_H_INCLUDED_

#include <stddef.h>
#include <stdint.h>


#define PP_FX_INPUTS  1000

typedef long (*pp_fx_pt)(long a, long b);

typedef enum {
    PP_FX_PLAIN,            /* a in +-50000 */
    PP_FX_SMALL,            /* a in [-20, 20): zero, every low bit, sign */
    PP_FX_COUNT,            /* a in [-2, 18): a recursion depth, a count */
    PP_FX_CELL,             /* a points to a pair of longs, b is in it */
    PP_FX_LINK              /* a points to a pair of a value and a link */
} pp_fx_args_e;

typedef struct {
    const char             *name;
    pp_fx_pt                fx;
    pp_fx_pt               *orig;       /* the hook's out: the original */
    long                   *calls;      /* the wrapper's count */
    pp_fx_args_e            args;
    const char             *refusal;    /* NULL: must be hooked */
    int                     recurse;    /* calls itself a times, hooked */
    int                    *counter;    /* set before each call, if any */
    int                     n;          /* inputs, PP_FX_INPUTS at most */
    long                    a[PP_FX_INPUTS];
    long                    b[PP_FX_INPUTS];
    long                    want[PP_FX_INPUTS];
} pp_fx_run_t;


/* the inputs, and the results of the function as it is */
void pp_fx_before(pp_fx_run_t *r);

/*
 * The points of a refusal: rc and err from the hook, unchanged whether
 * the code is as it was, dry_err the dry run's reason (NULL: no dry run)
 */
void pp_fx_refused(pp_fx_run_t *r, int rc, const char *err, int unchanged,
    const char *dry_err);

/* the points of a hooked function, run through the entry and orig */
void pp_fx_hooked(pp_fx_run_t *r);

/* a second thread, blocked until it is stopped; -1 if none started */
int pp_fx_thread_start(void);
void pp_fx_thread_stop(void);


#endif /* _PP_FIXTURE_H_INCLUDED_ */
