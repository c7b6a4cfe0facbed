/*
 * Flame graphs: stacks of named frames with values, merged into a tree,
 * written as folded lines (flamegraph.pl, inferno, speedscope) or as a
 * self-contained interactive SVG.  Output depends only on the stacks
 * added, never on their order.
 */

#ifndef _PP_FLAME_H_INCLUDED_
#define _PP_FLAME_H_INCLUDED_

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>


/* frames past this depth are cut off, their value stays with the last */
#define PP_FLAME_DEPTH_MAX  1024


typedef struct pp_flame_s  pp_flame_t;

typedef struct {
    const char             *title;      /* NULL: "Flame graph" */
    const char             *subtitle;   /* e.g. the estimate's label */
    const char             *unit;       /* "bytes", "calls" */
    unsigned                width;      /* pixels; 0: 1200 */
} pp_flame_opts_t;


pp_flame_t *pp_flame_new(void);

/*
 * frames[0] is the outermost frame, frames[n - 1] the leaf; value > 0.
 * A NULL name, or no frames at all, counts as "[unknown]".  On -1 (no
 * memory) the graph is unchanged.
 */
int pp_flame_add(pp_flame_t *f, const char *const *frames, size_t n,
    uint64_t value);

/*
 * "a;b;c value\n" per distinct stack, sorted by the stack in byte order;
 * ';' in a name is written ':', control characters '?'.
 */
int pp_flame_folded(FILE *out, const pp_flame_t *f);

/* o may be NULL; -1 on a write error or no memory */
int pp_flame_svg(FILE *out, const pp_flame_t *f, const pp_flame_opts_t *o);
void pp_flame_free(pp_flame_t *f);


#endif /* _PP_FLAME_H_INCLUDED_ */
