/*
 * What both patchers do the same way: the choice of a wrapper with the
 * original runnable, and the first bytes of a function as hex, for the
 * line that says why it was refused.
 */

#include <stdio.h>
#include <sys/mman.h>

#include "pp_near.h"
#include "pp_patch.h"


/* h->choose(), with the trampoline in slot runnable for the time of it */
int
pp_patch_choose(pp_hook_t *h, pp_near_t *np, uint8_t *slot, void *tramp,
    void **wrapper, char *err, size_t len)
{
    void  *w;

    if (pp_near_protect(np, slot, PROT_READ | PROT_EXEC, err, len) != 0) {
        return -1;
    }

    w = h->choose(h, tramp);
    if (w != NULL) {
        *wrapper = w;
    }

    return pp_near_protect(np, slot, PROT_READ | PROT_WRITE, err, len);
}


void
pp_patch_hexdump(uintptr_t addr, size_t n, char *buf, size_t len)
{
    size_t          i, w;
    const uint8_t  *p;

    if (len == 0) {
        return;
    }

    p = (const uint8_t *) addr;
    w = 0;
    buf[0] = '\0';

    /* whole bytes only: 3 characters each and the NUL */
    for (i = 0; i < n && w + 4 <= len; i++) {
        w += snprintf(buf + w, len - w, i ? " %02x" : "%02x", p[i]);
    }
}
