/*
 * The wrappers that nginx's patched functions jump to, and the table
 * that installs them.
 *
 * A site is the return address of the outermost hooked call: an outer
 * wrapper (ngx_pcalloc, ngx_create_temp_buf, ...) saves its caller in
 * pp_tls.site, and the leaf allocators called inside it record their
 * allocation there.  Only the thread that owns the process's shard
 * records (pp_tls.active); other threads go straight to the original,
 * and are counted in totals.other_threads: one for each call that the
 * recording thread would record, so an outer call (ngx_pcalloc() of a
 * hooked ngx_palloc(), ngx_create_temp_buf(), ...) counts through the
 * leaf calls it makes.
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


typedef pp_ngx_pool_t *(*pp_create_pool_pt)(size_t size, void *log);
typedef void (*pp_pool_pt)(pp_ngx_pool_t *pool);
typedef void *(*pp_alloc_pt)(pp_ngx_pool_t *pool, size_t size);
typedef void *(*pp_memalign_pt)(pp_ngx_pool_t *pool, size_t size,
    size_t alignment);
typedef intptr_t (*pp_pfree_pt)(pp_ngx_pool_t *pool, void *p);
typedef pp_ngx_chain_t *(*pp_link_pt)(pp_ngx_pool_t *pool);
typedef pp_ngx_chain_t *(*pp_free_buf_pt)(pp_ngx_pool_t *pool,
    pp_ngx_chain_t **free);
typedef void (*pp_update_pt)(pp_ngx_pool_t *p, pp_ngx_chain_t **free,
    pp_ngx_chain_t **busy, pp_ngx_chain_t **out, void *tag);
typedef void *(*pp_chain_bufs_pt)(pp_ngx_pool_t *pool, void *bufs);


static struct {
    pp_create_pool_pt       create_pool;
    pp_pool_pt              destroy_pool;
    pp_pool_pt              reset_pool;
    pp_alloc_pt             palloc;
    pp_alloc_pt             pnalloc;
    pp_alloc_pt             pcalloc;
    pp_memalign_pt          pmemalign;
    pp_pfree_pt             pfree;
    pp_alloc_pt             cleanup_add;
    pp_alloc_pt             create_temp_buf;
    pp_chain_bufs_pt        create_chain_of_bufs;
    pp_link_pt              alloc_chain_link;
    pp_free_buf_pt          get_free_buf;
    pp_update_pt            update_chains;
} pp_orig;


/*
 * The thread that installed the hooks, which is the one that records;
 * after fork() the child's only thread is that one again, at the same
 * address.  Its calls while its pp_tls.active is 0 are not another
 * thread's: those of nginx's originals that pp_small_verify() runs at
 * start-up, of a child before its shard is claimed (pp_proc.shard is
 * still the parent's), of its exit handlers.
 */
static pp_tls_t  *pp_recorder;


#define pp_caller()  ((uintptr_t) __builtin_return_address(0))

/* the site of a leaf call: its caller, or the outer hooked call's */
#define pp_leaf_site()  (pp_tls.depth ? pp_tls.site : pp_caller())

/* enters an outer wrapper */
#define pp_enter()                                                           \
    if (pp_tls.depth++ == 0) {                                               \
        pp_tls.site = pp_caller();                                           \
    }


/*
 * A call in a thread that does not record: counted if this process
 * records, in its own shard, which is alive.  Off the recording
 * thread's path: reached only when pp_tls.active is 0.
 */
static void __attribute__((noinline, cold))
pp_other_thread(void)
{
    pp_shard_t   *sh;
    pp_totals_t  *t;

    if (&pp_tls == pp_recorder) {
        return;
    }

    /* written by the recording thread, before any other thread runs */
    sh = __atomic_load_n(&pp_proc.shard, __ATOMIC_RELAXED);
    t = __atomic_load_n(&pp_proc.totals, __ATOMIC_RELAXED);

    if (sh == NULL || t == NULL
        || __atomic_load_n(&sh->state, __ATOMIC_RELAXED) != PP_SHARD_ALIVE)
    {
        return;
    }

    __atomic_fetch_add(&t->other_threads, 1, __ATOMIC_RELAXED);
}


/* --- pool lifetime -------------------------------------------------- */

static pp_ngx_pool_t *
pp_create_pool(size_t size, void *log)
{
    pp_ngx_pool_t  *pool;

    if (pp_unlikely(!pp_tls.active)) {
        pp_other_thread();
        return pp_orig.create_pool(size, log);
    }

    pool = pp_orig.create_pool(size, log);

    if (pool != NULL) {
        pp_track_create(pool, size, pp_leaf_site());
    }

    return pool;
}


static void
pp_destroy_pool(pp_ngx_pool_t *pool)
{
    if (pp_unlikely(!pp_tls.active)) {
        pp_other_thread();
        pp_orig.destroy_pool(pool);
        return;
    }

    pp_enter();
    pp_bufs_pool_end(pool);
    pp_track_end(pool, 1);

    /* its cleanup handlers may call hooked functions */
    pp_orig.destroy_pool(pool);
    pp_tls.depth--;
}


static void
pp_reset_pool(pp_ngx_pool_t *pool)
{
    if (pp_unlikely(!pp_tls.active)) {
        pp_other_thread();
        pp_orig.reset_pool(pool);
        return;
    }

    pp_enter();
    pp_bufs_pool_end(pool);
    pp_track_end(pool, 0);
    pp_orig.reset_pool(pool);
    pp_tls.depth--;
}


/* --- allocation: leaves ---------------------------------------------- */

static void *
pp_palloc(pp_ngx_pool_t *pool, size_t size)
{
    void  *p;

    if (pp_unlikely(!pp_tls.active)) {
        pp_other_thread();
        return pp_orig.palloc(pool, size);
    }

    p = pp_orig.palloc(pool, size);

    if (p != NULL) {
        pp_track_alloc(pool, p, size, size <= pool->max, pp_leaf_site());
    }

    return p;
}


static void *
pp_pnalloc(pp_ngx_pool_t *pool, size_t size)
{
    void  *p;

    if (pp_unlikely(!pp_tls.active)) {
        pp_other_thread();
        return pp_orig.pnalloc(pool, size);
    }

    p = pp_orig.pnalloc(pool, size);

    if (p != NULL) {
        pp_track_alloc(pool, p, size, size <= pool->max, pp_leaf_site());
    }

    return p;
}


static void *
pp_pmemalign(pp_ngx_pool_t *pool, size_t size, size_t alignment)
{
    void  *p;

    if (pp_unlikely(!pp_tls.active)) {
        pp_other_thread();
        return pp_orig.pmemalign(pool, size, alignment);
    }

    p = pp_orig.pmemalign(pool, size, alignment);

    if (p != NULL) {
        pp_track_alloc(pool, p, size, 0, pp_leaf_site());
    }

    return p;
}


static intptr_t
pp_pfree(pp_ngx_pool_t *pool, void *p)
{
    intptr_t  rc;

    if (pp_unlikely(!pp_tls.active)) {
        pp_other_thread();
        return pp_orig.pfree(pool, p);
    }

    rc = pp_orig.pfree(pool, p);
    pp_track_free(pool, p, (int) rc, pp_leaf_site());

    return rc;
}


/* --- allocation: outer functions ------------------------------------- */

/*
 * ngx_pcalloc() calls ngx_palloc(), which records for the caller that
 * pp_enter() saved.  In a build where it does not (ngx_palloc() inlined
 * into it, or not hooked), pp_pcalloc_self() records instead; which of
 * the two is installed is decided from the code, at start-up.
 */
static void *
pp_pcalloc(pp_ngx_pool_t *pool, size_t size)
{
    void  *p;

    if (pp_unlikely(!pp_tls.active)) {
        return pp_orig.pcalloc(pool, size);
    }

    pp_enter();
    p = pp_orig.pcalloc(pool, size);
    pp_tls.depth--;

    return p;
}


static void *
pp_pcalloc_self(pp_ngx_pool_t *pool, size_t size)
{
    void  *p;

    if (pp_unlikely(!pp_tls.active)) {
        pp_other_thread();
        return pp_orig.pcalloc(pool, size);
    }

    p = pp_orig.pcalloc(pool, size);

    if (p != NULL) {
        pp_track_alloc(pool, p, size, size <= pool->max, pp_leaf_site());
    }

    return p;
}


/*
 * The same three, for an nginx whose functions pp_small_verify() found
 * to allocate as pp_small() does: the common case never leaves the
 * wrapper, anything else goes the way above.
 */
static void *(*pp_pcalloc_rest)(pp_ngx_pool_t *pool, size_t size)
    = pp_pcalloc;


static void *
pp_palloc_small(pp_ngx_pool_t *pool, size_t size)
{
    void  *p;

    if (pp_likely(pp_tls.active) && pp_likely(size <= pool->max)
        && pp_likely((p = pp_small(pool, size, 1)) != NULL))
    {
        return pp_track_alloc(pool, p, size, 1, pp_leaf_site());
    }

    return pp_palloc(pool, size);
}


static void *
pp_pnalloc_small(pp_ngx_pool_t *pool, size_t size)
{
    void  *p;

    if (pp_likely(pp_tls.active) && pp_likely(size <= pool->max)
        && pp_likely((p = pp_small(pool, size, 0)) != NULL))
    {
        return pp_track_alloc(pool, p, size, 1, pp_leaf_site());
    }

    return pp_pnalloc(pool, size);
}


static void *
pp_pcalloc_small(pp_ngx_pool_t *pool, size_t size)
{
    void  *p;

    if (pp_likely(pp_tls.active) && pp_likely(size <= pool->max)
        && pp_likely((p = pp_small(pool, size, 1)) != NULL))
    {
        /* recorded first, so that the zeroing ends the call */
        pp_track_alloc(pool, p, size, 1, pp_leaf_site());
        return memset(p, 0, size);
    }

    return pp_pcalloc_rest(pool, size);
}


#define pp_outer(name, type, call)                                           \
    if (pp_unlikely(!pp_tls.active)) {                                       \
        return pp_orig.name call;                                            \
    }                                                                        \
                                                                             \
    pp_enter();                                                              \
    type r_ = pp_orig.name call;                                             \
    pp_tls.depth--;                                                          \
    return r_


static void *
pp_cleanup_add(pp_ngx_pool_t *pool, size_t size)
{
    pp_outer(cleanup_add, void *, (pool, size));
}


static void *
pp_create_temp_buf(pp_ngx_pool_t *pool, size_t size)
{
    pp_outer(create_temp_buf, void *, (pool, size));
}


static void *
pp_create_chain_of_bufs(pp_ngx_pool_t *pool, void *bufs)
{
    pp_outer(create_chain_of_bufs, void *, (pool, bufs));
}


/* --- chains and buffers ---------------------------------------------- */

static pp_ngx_chain_t *
pp_alloc_chain_link(pp_ngx_pool_t *pool)
{
    pp_site_t       *s;
    pp_ngx_chain_t  *cl;

    if (pp_unlikely(!pp_tls.active)) {
        pp_other_thread();
        return pp_orig.alloc_chain_link(pool);
    }

    if (pool->chain != NULL) {
        /* a hit: the link comes off pool->chain, nothing is allocated */
        s = pp_site(pp_leaf_site());
        s->cl_hits++;
        pp_proc.totals->cl_hits++;

        return pp_orig.alloc_chain_link(pool);
    }

    pp_enter();
    cl = pp_orig.alloc_chain_link(pool);

    if (cl != NULL) {
        pp_site(pp_tls.site)->cl_misses++;
        pp_proc.totals->cl_misses++;
    }

    pp_tls.depth--;

    return cl;
}


static pp_ngx_chain_t *
pp_get_free_buf(pp_ngx_pool_t *pool, pp_ngx_chain_t **free)
{
    pp_ngx_chain_t  *cl, *head;

    if (pp_unlikely(!pp_tls.active)) {
        pp_other_thread();
        return pp_orig.get_free_buf(pool, free);
    }

    pp_enter();
    head = *free;
    cl = pp_orig.get_free_buf(pool, free);

    if (cl != NULL) {
        pp_bufs_get(pool, free, cl, head != NULL && cl == head, pp_tls.site);
    }

    pp_tls.depth--;

    return cl;
}


static void
pp_update_chains(pp_ngx_pool_t *p, pp_ngx_chain_t **free,
    pp_ngx_chain_t **busy, pp_ngx_chain_t **out, void *tag)
{
    pp_bufs_state_t  st;

    if (pp_unlikely(!pp_tls.active)) {
        pp_other_thread();
        pp_orig.update_chains(p, free, busy, out, tag);
        return;
    }

    pp_enter();
    pp_bufs_update_before(&st, p, free, busy, out, tag);
    pp_orig.update_chains(p, free, busy, out, tag);
    pp_bufs_update_after(&st, free, busy, tag);
    pp_tls.depth--;
}


/* --- installation ---------------------------------------------------- */

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
