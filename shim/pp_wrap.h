/*
 * The wrappers that nginx's patched functions jump to (pp_wrap.c), and
 * the originals they call, for the table that installs them
 * (pp_hooks.c).
 */

#ifndef _PP_WRAP_H_INCLUDED_
#define _PP_WRAP_H_INCLUDED_

#include "pp_shim.h"


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


/* nginx's functions, callable: their trampolines, NULL if not hooked */
typedef struct {
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
} pp_orig_t;

extern pp_orig_t  pp_orig __attribute__((visibility("hidden")));

/* the thread that installed the hooks, which is the one that records */
extern pp_tls_t  *pp_recorder __attribute__((visibility("hidden")));

/* what pp_pcalloc_small() does not allocate itself goes there */
extern pp_alloc_pt  pp_pcalloc_rest __attribute__((visibility("hidden")));


pp_ngx_pool_t *pp_create_pool(size_t size, void *log);
void pp_destroy_pool(pp_ngx_pool_t *pool);
void pp_reset_pool(pp_ngx_pool_t *pool);
void *pp_palloc(pp_ngx_pool_t *pool, size_t size);
void *pp_pnalloc(pp_ngx_pool_t *pool, size_t size);
void *pp_pmemalign(pp_ngx_pool_t *pool, size_t size, size_t alignment);
intptr_t pp_pfree(pp_ngx_pool_t *pool, void *p);
void *pp_pcalloc(pp_ngx_pool_t *pool, size_t size);
void *pp_pcalloc_self(pp_ngx_pool_t *pool, size_t size);
void *pp_palloc_small(pp_ngx_pool_t *pool, size_t size);
void *pp_pnalloc_small(pp_ngx_pool_t *pool, size_t size);
void *pp_pcalloc_small(pp_ngx_pool_t *pool, size_t size);
void *pp_cleanup_add(pp_ngx_pool_t *pool, size_t size);
void *pp_create_temp_buf(pp_ngx_pool_t *pool, size_t size);
void *pp_create_chain_of_bufs(pp_ngx_pool_t *pool, void *bufs);
pp_ngx_chain_t *pp_alloc_chain_link(pp_ngx_pool_t *pool);
pp_ngx_chain_t *pp_get_free_buf(pp_ngx_pool_t *pool, pp_ngx_chain_t **free);
void pp_update_chains(pp_ngx_pool_t *p, pp_ngx_chain_t **free,
    pp_ngx_chain_t **busy, pp_ngx_chain_t **out, void *tag);


#endif /* _PP_WRAP_H_INCLUDED_ */
