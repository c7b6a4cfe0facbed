/*
 * What both patchers do the same way: the choice of a wrapper with the
 * original runnable, the end of a hook, and the first bytes of a function as hex, for the
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


/*
 * The end of a hook, once its trampoline is in slot: when nothing
 * failed, the original is the trampoline; else (the reason is said
 * already) the slot is given back, its page left executable.
 */
int
pp_patch_end(pp_hook_t *h, pp_near_t *np, uint8_t *slot, void *tramp,
    int failed)
{
    if (!failed) {
        *h->orig = tramp;
        return 0;
    }

    pp_near_protect(np, slot, PROT_READ | PROT_EXEC, NULL, 0);
    pp_near_free(np, slot);

    return -1;
}


/*
 * -1, said in err, when a branch at +off lands in the patched bytes
 * [addr, hi): a loop through the hook.  A call of the entry itself is a
 * real call, and lands nowhere it should not.
 */
int
pp_patch_lands(uintptr_t target, uintptr_t addr, uintptr_t hi, int call,
    size_t off, char *err, size_t len)
{
    if ((target == addr && call) || target < addr || target >= hi) {
        return 0;
    }

    snprintf(err, len, "branch at +0x%zx targets patched bytes", off);

    return -1;
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
