/*
 * The tree of a flame graph: what pp_flame.c builds and folds and
 * pp_flame_svg.c draws.  A node's total is its own value (self) plus its
 * children's totals; sums saturate at UINT64_MAX.
 */

#ifndef _PP_FLAME_TREE_H_INCLUDED_
#define _PP_FLAME_TREE_H_INCLUDED_

#include "pp_flame.h"


typedef struct pp_fnode_s  pp_fnode_t;

struct pp_fnode_s {
    char                   *name;
    uint64_t                total;
    uint64_t                self;
    pp_fnode_t             *child;      /* sorted by name */
    pp_fnode_t             *next;
};

struct pp_flame_s {
    pp_fnode_t              root;       /* "all", no name */
    unsigned                depth;
};


#endif /* _PP_FLAME_TREE_H_INCLUDED_ */
