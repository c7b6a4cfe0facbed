/*
 * Flame graphs: stacks of named frames with values, merged into a tree,
 * written as folded lines (flamegraph.pl, inferno, speedscope) or as a
 * self-contained interactive SVG.
 */

#ifndef _PP_FLAME_H_INCLUDED_
#define _PP_FLAME_H_INCLUDED_

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>


typedef struct pp_flame_s  pp_flame_t;

typedef struct {
    const char             *title;
    const char             *subtitle;   /* e.g. the estimate's label */
    const char             *unit;       /* "bytes", "calls" */
    unsigned                width;      /* pixels; 0: 1200 */
} pp_flame_opts_t;


pp_flame_t *pp_flame_new(void);

/* frames[0] is the outermost frame, frames[n - 1] the leaf; value > 0 */
int pp_flame_add(pp_flame_t *f, const char *const *frames, size_t n,
    uint64_t value);

int pp_flame_folded(FILE *out, const pp_flame_t *f);
int pp_flame_svg(FILE *out, const pp_flame_t *f, const pp_flame_opts_t *o);
void pp_flame_free(pp_flame_t *f);


#endif /* _PP_FLAME_H_INCLUDED_ */
