/*
 * Entry patching.  Invariants:
 *   - patching happens before main(), with one thread, so no return
 *     address points into the displaced bytes and nobody runs them;
 *   - the displaced instructions are relocated, never re-encoded by a
 *     library: rel8 branches become rel32, rel32 branches and calls and
 *     RIP-relative displacements are re-based, the rest is copied;
 *   - no direct branch of the function lands in [entry, patch end),
 *     except a call of the entry itself, which is a real call;
 *   - anything not understood is refused, and the target is then left
 *     byte for byte as it was.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pp_proc.h"
#include "pp_patch.h"
#include "pp_plan.h"


static void pp_patch_relay(uint8_t *relay, int endbr, void *wrapper);
static int pp_patch_write(uintptr_t at, size_t n, uint8_t *relay, char *err,
    size_t len);


int
pp_patch_check(const uint8_t *code, uintptr_t addr, size_t size, char *err,
    size_t len)
{
    size_t     n;
    uint8_t    buf[PP_TRAMP_SIZE];
    pp_plan_t  p;

    if (pp_plan(code, addr, size, &p, err, len) != 0) {
        return -1;
    }

    /* as if the trampoline sat in a page right after the function */
    return pp_relocate(&p, code, addr, buf, addr + size + PP_NEAR_STEP, &n,
                       err, len);
}


/*
 * The slot is written while its page is writable, and runs once it is
 * executable again: the trampoline first, then (after choose(), which
 * may run it) the relay to the wrapper.  Then the entry is patched.
 */
int
pp_patch_hook(pp_hook_t *h, char *err, size_t len)
{
    void       *wrapper;
    size_t      n;
    uint8_t    *slot, *tramp;
    pp_plan_t   p;
    pp_near_t  *np;

    if (!pp_proc_single_thread()) {
        snprintf(err, len, "more than one thread");
        return -1;
    }

    if (pp_plan((const uint8_t *) h->addr, h->addr, h->size, &p, err, len)
        != 0)
    {
        return -1;
    }

    slot = pp_near_alloc(h->addr, &np);
    if (slot == NULL) {
        snprintf(err, len, "no free memory within 2 GiB");
        return -1;
    }

    tramp = slot + PP_RELAY_SIZE;
    wrapper = h->wrapper;

    if (pp_near_protect(np, slot, PROT_READ | PROT_WRITE, err, len) != 0
        || pp_relocate(&p, (const uint8_t *) h->addr, h->addr, tramp,
                       (uintptr_t) tramp, &n, err, len) != 0
        || (h->choose != NULL
            && pp_patch_choose(h, np, slot, tramp, &wrapper, err, len)
               != 0))
    {
        goto failed;
    }

    pp_patch_relay(slot, p.endbr, wrapper);

    return pp_patch_end(h, np, slot, tramp,
                        pp_near_protect(np, slot, PROT_READ | PROT_EXEC, err,
                                        len) != 0
                        || pp_patch_write(h->addr + p.start, p.len, slot, err, len) != 0);

failed:

    return pp_patch_end(h, np, slot, NULL, 1);
}


/* relay: [endbr64] jmp *0(%rip); .quad wrapper */
static void
pp_patch_relay(uint8_t *relay, int endbr, void *wrapper)
{
    size_t  i;

    i = 0;
    if (endbr) {
        memcpy(relay, PP_ENDBR64, 4);
        i = 4;
    }
    relay[i] = 0xff;
    relay[i + 1] = 0x25;
    memset(relay + i + 2, 0, 4);
    memcpy(relay + i + 6, &wrapper, sizeof(void *));
}


/* the n displaced bytes at at: a jmp rel32 to the relay, int3 over the rest */
static int
pp_patch_write(uintptr_t at, size_t n, uint8_t *relay, char *err, size_t len)
{
    long       pagesize;
    uint8_t    patch[32];
    uintptr_t  page, end;

    patch[0] = 0xe9;
    if (pp_put_rel32(patch + 1, at + PP_JMP_LEN, (uintptr_t) relay) != 0) {
        snprintf(err, len, "relay out of range");
        return -1;
    }
    memset(patch + PP_JMP_LEN, 0xcc, sizeof(patch) - PP_JMP_LEN);

    /* RWX, never RW: code on the same page may be running (our own) */
    pagesize = sysconf(_SC_PAGESIZE);
    page = at & ~((uintptr_t) pagesize - 1);
    end = (at + n + pagesize - 1) & ~((uintptr_t) pagesize - 1);

    if (mprotect((void *) page, end - page,
                 PROT_READ | PROT_WRITE | PROT_EXEC) != 0)
    {
        snprintf(err, len, "mprotect RWX: %s", strerror(errno));
        return -1;
    }

    /* the first byte last: until then the old entry is intact */
    memcpy((void *) (at + 1), patch + 1, n - 1);
    __atomic_store_n((uint8_t *) at, patch[0], __ATOMIC_RELEASE);

    mprotect((void *) page, end - page, PROT_READ | PROT_EXEC);
    __builtin___clear_cache((char *) at, (char *) at + n);

    return 0;
}

