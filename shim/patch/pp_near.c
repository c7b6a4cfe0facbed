/*
 * The pages that hold the relays and trampolines, each within reach of
 * a direct branch from the code it serves (pp_near.h).  A page is
 * executable except while a slot is written to it, and is never
 * unmapped: a trampoline is the original function from then on.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "pp_near.h"


#define PP_NEAR_SIZE    65536
#define PP_NEAR_PAGES   8
#define PP_RANGE        PP_NEAR_RANGE


struct pp_near_s {
    uint8_t                *base;
    size_t                  used;
    int                     any;        /* by pp_near_alloc_any() */
};

static pp_near_t  pp_near[PP_NEAR_PAGES];


static uint8_t *pp_near_map(uintptr_t addr);


/* a slot within PP_NEAR_RANGE of addr, carved from the pages mapped near it */
uint8_t *
pp_near_alloc(uintptr_t addr, pp_near_t **page)
{
    size_t      i;
    int64_t     d;
    uint8_t    *m;
    pp_near_t  *np;

    for (i = 0; i < PP_NEAR_PAGES; i++) {
        np = &pp_near[i];

        if (np->base == NULL) {
            m = pp_near_map(addr);
            if (m == NULL) {
                return NULL;
            }

            np->base = m;
            np->used = 0;
        }

        d = (int64_t) ((uintptr_t) np->base - addr);

        if (!np->any && d > -PP_RANGE + PP_NEAR_SIZE && d < PP_RANGE - PP_NEAR_SIZE
            && np->used + PP_SLOT_SIZE <= PP_NEAR_SIZE)
        {
            m = np->base + np->used;
            np->used += PP_SLOT_SIZE;
            *page = np;
            return m;
        }
    }

    return NULL;
}


/*
 * a slot in a page mapped where the kernel likes (at hint if it can),
 * never in one of the near pages, which are kept for the code they are
 * near
 */
uint8_t *
pp_near_alloc_any(uintptr_t hint, pp_near_t **page)
{
    size_t      i;
    uint8_t    *m;
    pp_near_t  *np;

    for (i = 0; i < PP_NEAR_PAGES; i++) {
        np = &pp_near[i];

        if (np->base == NULL) {
            m = mmap((void *) (hint & ~(uintptr_t) (PP_NEAR_SIZE - 1)),
                     PP_NEAR_SIZE, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (m == MAP_FAILED) {
                return NULL;
            }

            memset(m, PP_NEAR_FILL, PP_NEAR_SIZE);
            mprotect(m, PP_NEAR_SIZE, PROT_READ | PROT_EXEC);

            np->base = m;
            np->used = 0;
            np->any = 1;
        }

        if (np->any && np->used + PP_SLOT_SIZE <= PP_NEAR_SIZE) {
            m = np->base + np->used;
            np->used += PP_SLOT_SIZE;
            *page = np;
            return m;
        }
    }

    return NULL;
}


/*
 * Maps a page at the nearest free 1 MiB step below addr (PIE programs
 * have room there), else above.  MAP_FIXED_NOREPLACE never clobbers a
 * mapping; a kernel older than 4.17 takes it as a hint, hence the check.
 */
static uint8_t *
pp_near_map(uintptr_t addr)
{
    int        dir;
    uint8_t   *m;
    uintptr_t  hint, step, a;

    a = addr & ~(uintptr_t) (PP_NEAR_SIZE - 1);

    for (step = PP_NEAR_STEP; step < (uintptr_t) PP_RANGE - PP_NEAR_STEP;
         step += PP_NEAR_STEP)
    {
        for (dir = 0; dir < 2; dir++) {

            if (dir == 0) {
                if (a < step + PP_NEAR_STEP) {
                    continue;
                }
                hint = a - step;

            } else {
                if (a > UINTPTR_MAX - step - PP_NEAR_SIZE) {
                    continue;
                }
                hint = a + step;
            }

            m = mmap((void *) hint, PP_NEAR_SIZE, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

            if (m == MAP_FAILED) {
                continue;
            }

            if ((uintptr_t) m == hint) {
                memset(m, PP_NEAR_FILL, PP_NEAR_SIZE);
                mprotect(m, PP_NEAR_SIZE, PROT_READ | PROT_EXEC);
                return m;
            }

            munmap(m, PP_NEAR_SIZE);
        }
    }

    return NULL;
}


void
pp_near_free(pp_near_t *np, uint8_t *slot)
{
    if (np->base + np->used == slot + PP_SLOT_SIZE) {
        np->used -= PP_SLOT_SIZE;
    }
}


/* no code runs from the page while it is writable: it is ours alone */
int
pp_near_protect(pp_near_t *np, uint8_t *slot, int prot, char *err,
    size_t len)
{
    if (mprotect(np->base, PP_NEAR_SIZE, prot) != 0) {
        snprintf(err, len, "mprotect of the relay page: %s", strerror(errno));
        return -1;
    }

    if (prot & PROT_EXEC) {
        __builtin___clear_cache((char *) slot, (char *) slot + PP_SLOT_SIZE);
    }

    return 0;
}
