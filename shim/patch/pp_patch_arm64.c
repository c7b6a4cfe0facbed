/*
 * aarch64 entry patching, behind pp_patch.h.  Invariants:
 *   - patching happens before main(), with one thread, so no return
 *     address points into the displaced words and nobody runs them;
 *   - the entry becomes "b relay" (the relay within +-128 MiB: ldr x16,
 *     #8; br x16; .quad wrapper), or, with no page free that near,
 *     "ldr x16, #8; br x16; .quad wrapper" itself, 16 bytes;
 *   - a bti at the entry is kept and the patch goes after it; a paciasp
 *     there is displaced and bti c written in its place;
 *   - no direct branch of the function lands in [entry, patch end),
 *     except a bl of the entry itself, which is a real call;
 *   - anything not understood is refused, and the function is then
 *     left word for word as it was;
 *   - the instruction cache is cleaned after every write of code.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pp_proc.h"
#include "pp_patch.h"
#include "pp_plan_arm64.h"


static int pp_a64_write(uintptr_t at, const uint32_t *w, size_t n,
    char *err, size_t len);


int
pp_patch_check(const uint8_t *code, uintptr_t addr, size_t size, char *err,
    size_t len)
{
    size_t         n;
    uint32_t       buf[PP_A64_TRAMP_SIZE / 4];
    pp_a64_plan_t  p;

    if (pp_a64_plan(code, addr, size, 0, &p, err, len) != 0) {
        return -1;
    }

    /* as if the trampoline sat in a page right after the function */
    return pp_a64_relocate(&p, addr, buf,
                           (addr + size + PP_NEAR_STEP) & ~(uintptr_t) 7,
                           &n, err, len);
}


int
pp_patch_hook(pp_hook_t *h, char *err, size_t len)
{
    if (!pp_proc_single_thread()) {
        snprintf(err, len, "more than one thread");
        return -1;
    }

    return pp_a64_hook(h, 0, err, len);
}


/*
 * The slot is written while its page is writable, and runs once it is
 * executable again: the trampoline first, then (after choose(), which
 * may run it) the relay to the wrapper.  Then the entry is patched.
 */
int
pp_a64_hook(pp_hook_t *h, int flags, char *err, size_t len)
{
    int            far;
    void          *wrapper;
    size_t         n, k;
    uint8_t       *slot, *tramp;
    uint32_t       patch[PP_A64_MAX_WORDS], *relay;
    uintptr_t      at;
    pp_near_t     *np;
    pp_a64_plan_t  p;

    far = (flags & (PP_A64_FAR | PP_A64_ANYWHERE)) != 0;

    if (pp_a64_plan((const uint8_t *) h->addr, h->addr, h->size, 0, &p,
                    err, len) != 0)
    {
        return -1;
    }

    slot = (flags & PP_A64_ANYWHERE) ? NULL : pp_near_alloc(h->addr, &np);

    if (slot == NULL) {
        /* the tests' "anywhere" is at least 4 GiB away, past adrp's reach */
        far = 1;
        slot = pp_near_alloc_any((flags & PP_A64_ANYWHERE)
                                 ? h->addr + ((uintptr_t) 16 << 30) : 0, &np);
        if (slot == NULL) {
            snprintf(err, len, "no memory for a trampoline");
            return -1;
        }
    }

    if (far
        && pp_a64_plan((const uint8_t *) h->addr, h->addr, h->size, 1, &p,
                       err, len) != 0)
    {
        goto failed;
    }

    relay = (uint32_t *) slot;
    tramp = slot + PP_A64_RELAY_SIZE;
    wrapper = h->wrapper;

    if (pp_near_protect(np, slot, PROT_READ | PROT_WRITE, err, len) != 0
        || pp_a64_relocate(&p, h->addr, (uint32_t *) tramp,
                           (uintptr_t) tramp, &n, err, len) != 0
        || (h->choose != NULL
            && pp_patch_choose(h, np, slot, tramp, &wrapper, err, len)
               != 0))
    {
        goto failed;
    }

    /* the relay, and the words of the patch */

    relay[0] = PP_A64_LDR_X16_8;
    relay[1] = PP_A64_BR_X16;
    memcpy(&relay[2], &wrapper, sizeof(void *));

    at = h->addr + p.start;
    k = 0;

    if (p.landing) {
        patch[k++] = PP_A64_BTI_C;
    }

    if (far) {
        patch[k++] = PP_A64_LDR_X16_8;
        patch[k++] = PP_A64_BR_X16;
        memcpy(&patch[k], &wrapper, sizeof(void *));
        k += 2;

    } else {
        patch[k] = 0x14000000
                   | ((uint32_t) (((intptr_t) slot - (intptr_t) (at + 4 * k))
                                  >> 2) & 0x3ffffff);
        k++;
    }

    return pp_patch_end(h, np, slot, tramp,
                        pp_near_protect(np, slot, PROT_READ | PROT_EXEC, err,
                                        len) != 0
                        || pp_a64_write(at, patch, k, err, len) != 0);

failed:

    return pp_patch_end(h, np, slot, NULL, 1);
}


/* the n words at at; the first one last, so the old entry stays whole */
static int
pp_a64_write(uintptr_t at, const uint32_t *w, size_t n, char *err,
    size_t len)
{
    long       pagesize;
    uintptr_t  page, end;

    /* RWX, never RW: code on the same page may be running (our own) */
    pagesize = sysconf(_SC_PAGESIZE);
    page = at & ~((uintptr_t) pagesize - 1);
    end = (at + 4 * n + pagesize - 1) & ~((uintptr_t) pagesize - 1);

    if (mprotect((void *) page, end - page,
                 PROT_READ | PROT_WRITE | PROT_EXEC) != 0)
    {
        snprintf(err, len, "mprotect RWX: %s", strerror(errno));
        return -1;
    }

    memcpy((void *) (at + 4), w + 1, 4 * (n - 1));
    __builtin___clear_cache((char *) at + 4, (char *) at + 4 * n);
    __atomic_store_n((uint32_t *) at, w[0], __ATOMIC_RELEASE);

    mprotect((void *) page, end - page, PROT_READ | PROT_EXEC);
    __builtin___clear_cache((char *) at, (char *) at + 4 * n);

    return 0;
}
