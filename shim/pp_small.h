/*
 * The common case of nginx's small allocations, done by the wrappers
 * themselves: ngx_palloc_small() up to the point where it would add a
 * block.  Anything else (a large size, no block with room) goes to
 * nginx's own function, which walks the same blocks, finds no room the
 * same way, and goes on.
 *
 * A wrapper uses it only for a function that pp_small_verify() found to
 * behave exactly so, at start-up.  That saves each allocation the call
 * through the trampoline and back, and the wrapper its registers.
 */

#ifndef _PP_SMALL_H_INCLUDED_
#define _PP_SMALL_H_INCLUDED_

#include "pp_shim.h"
#include "pp_ngx.h"


/*
 * NGX_ALIGNMENT unless nginx was built otherwise: its auto/os/conf
 * leaves sizeof(unsigned long) on x86 and sets 16 on aarch64
 */
#if defined(__aarch64__)
#define PP_NGX_ALIGNMENT  16
#else
#define PP_NGX_ALIGNMENT  sizeof(unsigned long)
#endif

#define PP_SMALL_RAW      0     /* ngx_pnalloc() */
#define PP_SMALL_ALIGN    1     /* ngx_palloc() */
#define PP_SMALL_ZERO     2     /* ngx_pcalloc(): aligned, then zeroed */


/*
 * The allocation from the first block from pool->current on that has
 * room, or NULL if none has: then nginx adds a block.
 */
static inline void *
pp_small(pp_ngx_pool_t *pool, size_t size, int align)
{
    unsigned char  *m;
    pp_ngx_pool_t  *c;

    c = pool->current;

    do {
        m = c->d.last;

        if (align) {
            m = (unsigned char *) (((uintptr_t) m + (PP_NGX_ALIGNMENT - 1))
                                   & ~(uintptr_t) (PP_NGX_ALIGNMENT - 1));
        }

        if (pp_likely((size_t) (c->d.end - m) >= size)) {
            c->d.last = m + size;
            return m;
        }

        c = c->d.next;

    } while (c != NULL);

    return NULL;
}


/*
 * 1 if the function at addr (ngx_palloc, ngx_pnalloc or ngx_pcalloc:
 * how is PP_SMALL_*) returns what pp_small() does and changes the pool
 * as it does, tried on a pool of its own; 0 if not.  Call it before the
 * function is patched, or after with its original, with no thread
 * recording.
 */
int pp_small_verify(uintptr_t addr, int how);


#endif /* _PP_SMALL_H_INCLUDED_ */
