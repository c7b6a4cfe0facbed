/*
 * The wrappers that nginx's patched functions jump to.
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

#include <string.h>

#include "pp_shim.h"
#include "pp_track.h"
#include "pp_bufs.h"
#include "pp_small.h"
#include "pp_wrap.h"


pp_orig_t  pp_orig;


/*
 * The thread that installed the hooks, which is the one that records;
 * after fork() the child's only thread is that one again, at the same
 * address.  Its calls while its pp_tls.active is 0 are not another
 * thread's: those of nginx's originals that pp_small_verify() runs at
 * start-up, of a child before its shard is claimed (pp_proc.shard is
 * still the parent's), of its exit handlers.
 */
pp_tls_t  *pp_recorder;


#define pp_caller()  ((uintptr_t) __builtin_return_address(0))

/* the site of a leaf call: its caller, or the outer hooked call's */
#define pp_leaf_site()  (pp_tls.depth ? pp_tls.site : pp_caller())

/* enters an outer wrapper */
#define pp_enter()                                                           \
    if (pp_tls.depth++ == 0) {                                               \
        pp_tls.site = pp_caller();                                           \
    }

/*
 * A call in a thread that does not record goes straight to the original
 * (pp_orig.name, with the arguments call), counted by pp_other_thread()
 */
#define pp_pass(name, call)                                                  \
    if (pp_unlikely(!pp_tls.active)) {                                       \
        pp_other_thread();                                                   \
        return pp_orig.name call;                                            \
    }

#define pp_pass_void(name, call)                                             \
    if (pp_unlikely(!pp_tls.active)) {                                       \
        pp_other_thread();                                                   \
        pp_orig.name call;                                                   \
        return;                                                              \
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

/*
 * The end of a pool's generation, destroyed (1) or reset (0): recorded
 * before the original runs, whose cleanup handlers may call hooked
 * functions.  A pool that sampling left out stays in its set until the
 * original has run, so that those handlers' calls on it count nowhere
 * either.
 */
#define pp_pool_end(name, pool, destroyed)                                   \
    pp_pass_void(name, (pool))                                               \
                                                                             \
    pp_enter();                                                              \
                                                                             \
    if (pp_unsampled(pool)) {                                                \
        pp_orig.name(pool);                                                  \
        if (destroyed) {                                                     \
            pp_sample_forget((uintptr_t) (pool));                            \
        }                                                                    \
                                                                             \
    } else {                                                                 \
        pp_bufs_pool_end(pool);                                              \
        pp_track_end(pool, destroyed);                                       \
        pp_orig.name(pool);                                                  \
    }                                                                        \
                                                                             \
    pp_tls.depth--


pp_ngx_pool_t *
pp_create_pool(size_t size, void *log)
{
    pp_ngx_pool_t  *pool;

    pp_pass(create_pool, (size, log))

    pool = pp_orig.create_pool(size, log);

    if (pool != NULL) {
        pp_track_create(pool, size, pp_leaf_site());
    }

    return pool;
}


void
pp_destroy_pool(pp_ngx_pool_t *pool)
{
    pp_pool_end(destroy_pool, pool, 1);
}


void
pp_reset_pool(pp_ngx_pool_t *pool)
{
    pp_pool_end(reset_pool, pool, 0);
}


/* --- allocation: leaves ---------------------------------------------- */

/*
 * In a wrapper of (pool, size, ...): the original's allocation,
 * recorded at the leaf site as a small one or not (small)
 */
#define pp_leaf(name, call, small)                                           \
    void  *p_;                                                               \
                                                                             \
    pp_pass(name, call)                                                      \
                                                                             \
    p_ = pp_orig.name call;                                                  \
                                                                             \
    if (p_ != NULL) {                                                        \
        pp_track_alloc(pool, p_, size, small, 0, pp_leaf_site());            \
    }                                                                        \
                                                                             \
    return p_


void *
pp_palloc(pp_ngx_pool_t *pool, size_t size)
{
    pp_leaf(palloc, (pool, size), size <= pool->max);
}


void *
pp_pnalloc(pp_ngx_pool_t *pool, size_t size)
{
    pp_leaf(pnalloc, (pool, size), size <= pool->max);
}


void *
pp_pmemalign(pp_ngx_pool_t *pool, size_t size, size_t alignment)
{
    pp_leaf(pmemalign, (pool, size, alignment), 0);
}


intptr_t
pp_pfree(pp_ngx_pool_t *pool, void *p)
{
    intptr_t  rc;

    pp_pass(pfree, (pool, p))

    rc = pp_orig.pfree(pool, p);

    if (!pp_unsampled(pool)) {
        pp_track_free(pool, p, (int) rc, pp_leaf_site());
    }

    return rc;
}


/* --- allocation: outer functions ------------------------------------- */

/* an outer function: its leaf calls record for its caller */
#define pp_outer(name, type, call)                                           \
    if (pp_unlikely(!pp_tls.active)) {                                       \
        return pp_orig.name call;                                            \
    }                                                                        \
                                                                             \
    pp_enter();                                                              \
    type r_ = pp_orig.name call;                                             \
    pp_tls.depth--;                                                          \
    return r_


/*
 * ngx_pcalloc() calls ngx_palloc(), which records for the caller that
 * pp_enter() saved.  In a build where it does not (ngx_palloc() inlined
 * into it, or not hooked), pp_pcalloc_self() records instead; which of
 * the two is installed is decided from the code, at start-up.
 */
void *
pp_pcalloc(pp_ngx_pool_t *pool, size_t size)
{
    void  *p;

    if (pp_unlikely(!pp_tls.active)) {
        return pp_orig.pcalloc(pool, size);
    }

    pp_enter();
    p = pp_orig.pcalloc(pool, size);
    pp_tls.depth--;

    if (p != NULL && !pp_unsampled(pool)) {
        pp_track_zeroed(size, pp_leaf_site());
    }

    return p;
}


void *
pp_pcalloc_self(pp_ngx_pool_t *pool, size_t size)
{
    void  *p;

    pp_pass(pcalloc, (pool, size))

    p = pp_orig.pcalloc(pool, size);

    if (p != NULL) {
        pp_track_alloc(pool, p, size, size <= pool->max, size,
                       pp_leaf_site());
    }

    return p;
}


/*
 * The same three, for an nginx whose functions pp_small_verify() found
 * to allocate as pp_small() does: the common case never leaves the
 * wrapper, anything else goes the way above.
 */
pp_alloc_pt  pp_pcalloc_rest = pp_pcalloc;


/* a size that a block has room for, asked by the recording thread */
#define pp_small_here(pool, size, align, p)                                  \
    (pp_likely(pp_tls.active) && pp_likely((size) <= (pool)->max)            \
     && pp_likely(((p) = pp_small(pool, size, align)) != NULL))

/* in a wrapper of (pool, size): allocated here, or by rest */
#define pp_small_leaf(align, rest)                                           \
    void  *p_;                                                               \
                                                                             \
    if (pp_small_here(pool, size, align, p_)) {                              \
        return pp_track_alloc(pool, p_, size, 1, 0, pp_leaf_site());         \
    }                                                                        \
                                                                             \
    return rest(pool, size)


void *
pp_palloc_small(pp_ngx_pool_t *pool, size_t size)
{
    pp_small_leaf(1, pp_palloc);
}


void *
pp_pcalloc_small(pp_ngx_pool_t *pool, size_t size)
{
    void  *p;

    if (pp_small_here(pool, size, 1, p)) {
        /* recorded first, so that the zeroing ends the call */
        pp_track_alloc(pool, p, size, 1, size, pp_leaf_site());
        return memset(p, 0, size);
    }

    return pp_pcalloc_rest(pool, size);
}


void *
pp_pnalloc_small(pp_ngx_pool_t *pool, size_t size)
{
    pp_small_leaf(0, pp_pnalloc);
}


void *
pp_cleanup_add(pp_ngx_pool_t *pool, size_t size)
{
    pp_outer(cleanup_add, void *, (pool, size));
}


void *
pp_create_temp_buf(pp_ngx_pool_t *pool, size_t size)
{
    pp_outer(create_temp_buf, void *, (pool, size));
}


void *
pp_create_chain_of_bufs(pp_ngx_pool_t *pool, void *bufs)
{
    pp_outer(create_chain_of_bufs, void *, (pool, bufs));
}


/* --- chains and buffers ---------------------------------------------- */

pp_ngx_chain_t *
pp_alloc_chain_link(pp_ngx_pool_t *pool)
{
    pp_site_t       *s;
    pp_ngx_chain_t  *cl;

    pp_pass(alloc_chain_link, (pool))

    if (pp_unsampled(pool)) {
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


pp_ngx_chain_t *
pp_get_free_buf(pp_ngx_pool_t *pool, pp_ngx_chain_t **free)
{
    pp_ngx_chain_t  *cl, *head;

    pp_pass(get_free_buf, (pool, free))

    if (pp_unsampled(pool)) {
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


void
pp_update_chains(pp_ngx_pool_t *p, pp_ngx_chain_t **free,
    pp_ngx_chain_t **busy, pp_ngx_chain_t **out, void *tag)
{
    pp_bufs_state_t  st;

    pp_pass_void(update_chains, (p, free, busy, out, tag))

    /* its pool, where the links it frees go, is the request's: followed */
    if (pp_unsampled(p)) {
        pp_orig.update_chains(p, free, busy, out, tag);
        return;
    }

    pp_enter();
    pp_bufs_update_before(&st, p, free, busy, out, tag);
    pp_orig.update_chains(p, free, busy, out, tag);
    pp_bufs_update_after(&st, free, busy, tag);
    pp_tls.depth--;
}
