/*
 * The table of nginx's functions that are hooked, and its installation:
 * each found in the program's symbols, unless POOLPROF_SKIP names it,
 * patched to jump to its wrapper (pp_wrap.c), or to the wrapper that
 * allocates small blocks itself when pp_small_verify() allows it.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp_shim.h"
#include "pp_track.h"
#include "pp_bufs.h"
#include "pp_small.h"
#include "pp_elf.h"
#include "pp_patch.h"
#include "pp_wrap.h"


typedef struct {
    const char             *name;
    void                   *wrapper;
    void                  **orig;
    void                   *small;      /* if pp_small_verify() says so */
    int                     how;        /* PP_SMALL_*, for it */
} pp_target_t;


#define pp_target(fn, field)                                                 \
    { "ngx_" #fn, (void *) pp_##field, (void **) &pp_orig.field, NULL, 0 }

#define pp_target_small(fn, how)                                             \
    { "ngx_" #fn, (void *) pp_##fn, (void **) &pp_orig.fn,                   \
      (void *) pp_##fn##_small, how }

/* ngx_destroy_pool first: without it, no lifetime is hooked */
static pp_target_t  pp_targets[] = {
    pp_target(destroy_pool, destroy_pool),
    pp_target(create_pool, create_pool),
    pp_target(reset_pool, reset_pool),
    pp_target_small(palloc, PP_SMALL_ALIGN),
    pp_target_small(pnalloc, PP_SMALL_RAW),
    pp_target_small(pcalloc, PP_SMALL_ZERO),
    pp_target(pmemalign, pmemalign),
    pp_target(pfree, pfree),
    pp_target(pool_cleanup_add, cleanup_add),
    pp_target(create_temp_buf, create_temp_buf),
    pp_target(create_chain_of_bufs, create_chain_of_bufs),
    pp_target(alloc_chain_link, alloc_chain_link),
    pp_target(chain_get_free_buf, get_free_buf),
    pp_target(chain_update_chains, update_chains),
};


/*
 * The wrapper that allocates small blocks itself, if nginx's function
 * (its original, orig) does exactly what it would do
 */
static void *
pp_hooks_choose(pp_hook_t *h, void *orig)
{
    pp_target_t  *t;

    t = h->data;

    if (!pp_small_verify((uintptr_t) orig, t->how)) {
        if (pp_proc.verbose) {
            pp_msg("%s allocates otherwise than expected: its small "
                   "allocations go through it", t->name);
        }

        return NULL;
    }

    if (t->orig == (void **) &pp_orig.pcalloc) {
        pp_pcalloc_rest = h->wrapper;
    }

    if (pp_proc.verbose) {
        pp_msg("%s: small allocations made in the wrapper", t->name);
    }

    return t->small;
}


/*
 * The next name in POOLPROF_SKIP, a list separated by commas or spaces:
 * *tok and *n; 0 at the end
 */
static int
pp_hooks_next(const char **p, const char **tok, size_t *n)
{
    if (*p == NULL) {
        return 0;
    }

    *p += strspn(*p, ", ");
    *tok = *p;
    *n = strcspn(*p, ", ");
    *p += *n;

    return *n != 0;
}


/* 1 if name is the n bytes at tok */
static int
pp_hooks_is(const char *name, const char *tok, size_t n)
{
    return strlen(name) == n && strncmp(tok, name, n) == 0;
}


/* 1 if name is in POOLPROF_SKIP */
static int
pp_hooks_skipped(const char *skip, const char *name)
{
    size_t       n;
    const char  *tok;

    while (pp_hooks_next(&skip, &tok, &n)) {
        if (pp_hooks_is(name, tok, n)) {
            return 1;
        }
    }

    return 0;
}


/* a name in POOLPROF_SKIP that is no target is most likely a typo */
static void
pp_hooks_check_skip(const char *skip)
{
    size_t       i, n;
    const char  *tok;

    while (pp_hooks_next(&skip, &tok, &n)) {
        for (i = 0; i < sizeof(pp_targets) / sizeof(pp_targets[0]); i++) {
            if (pp_hooks_is(pp_targets[i].name, tok, n)) {
                break;
            }
        }

        if (i == sizeof(pp_targets) / sizeof(pp_targets[0])) {
            pp_msg("POOLPROF_SKIP: %.*s is not a function poolprof hooks",
                   (int) (n < 60 ? n : 60), tok);
        }
    }
}


int
pp_hooks_install(pp_elf_t *elf)
{
    int          ok, small;
    char         err[160], bytes[64];
    size_t       i;
    uintptr_t    addr, palloc;
    const char  *skip;
    size_t       size;
    pp_hook_t    h;

    ok = 0;
    palloc = 0;
    pp_recorder = &pp_tls;
    skip = pp_conf.skip;
    pp_hooks_check_skip(skip);

    small = pp_conf.small;

    for (i = 0; i < sizeof(pp_targets) / sizeof(pp_targets[0]); i++) {

        if (i == 1 && pp_orig.destroy_pool == NULL) {
            pp_msg("not hooking ngx_create_pool and ngx_reset_pool: "
                   "ngx_destroy_pool is not hooked");
            i = 2;
            continue;
        }

        if (pp_hooks_skipped(skip, pp_targets[i].name)) {
            pp_msg("not hooking %s: POOLPROF_SKIP", pp_targets[i].name);
            continue;
        }

        if (pp_elf_lookup(elf, pp_targets[i].name, &addr, &size) != 0) {
            pp_msg("not hooking %s: no such function in %s",
                   pp_targets[i].name, pp_elf_path(elf));
            continue;
        }

        if (pp_targets[i].orig == (void **) &pp_orig.pcalloc
            && !(pp_orig.palloc != NULL
                 && pp_patch_calls(addr, size, palloc)))
        {
            pp_targets[i].wrapper = (void *) pp_pcalloc_self;
            if (pp_proc.verbose) {
                pp_msg("ngx_pcalloc does not call a hooked ngx_palloc: "
                       "it records its own allocations");
            }
        }

        if (pp_targets[i].orig == (void **) &pp_orig.palloc) {
            palloc = addr;
        }

        h.name = pp_targets[i].name;
        h.addr = addr;
        h.size = size;
        h.wrapper = pp_targets[i].wrapper;
        h.orig = pp_targets[i].orig;
        h.choose = (pp_targets[i].small != NULL && small) ? pp_hooks_choose
                                                            : NULL;
        h.data = &pp_targets[i];

        if (pp_patch_hook(&h, err, sizeof(err)) != 0) {
            pp_patch_hexdump(addr, 12, bytes, sizeof(bytes));
            pp_msg("not hooking %s: %s (bytes: %s)", h.name, err, bytes);
            *pp_targets[i].orig = NULL;
            continue;
        }

        if (pp_proc.verbose) {
            pp_msg("hooked %s at %#lx (%zu bytes)", h.name,
                   (unsigned long) addr, size);
        }

        ok++;
    }

    return ok;
}


int
pp_hooks_total(void)
{
    return (int) (sizeof(pp_targets) / sizeof(pp_targets[0]));
}
