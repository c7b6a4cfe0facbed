/*
 * Buffer reuse per buf->tag (pp_bufs.c): ngx_chain_get_free_buf() hits
 * and misses, and what ngx_chain_update_chains() did with each link.
 */

#ifndef _PP_BUFS_H_INCLUDED_
#define _PP_BUFS_H_INCLUDED_

#include "pp_shim.h"
#include "pp_ngx.h"


/* the links of a chain that are noted, at most: a bound on every walk */
#define PP_BUFS_NOTE  4096

typedef struct pp_buflist_s  pp_buflist_t;

/* what ngx_chain_update_chains() is measured against, across the call */
typedef struct {
    pp_ngx_chain_t         *free_head;
    uint32_t                n;          /* links in *busy and *out */
    uint32_t                own_hits;
    uint32_t                own_misses;
    pp_buflist_t           *list;       /* the state of *free */
} pp_bufs_state_t;


void pp_bufs_reset(void);
void pp_bufs_get(pp_ngx_pool_t *pool, pp_ngx_chain_t **free,
    pp_ngx_chain_t *cl, int hit, uintptr_t site);
void pp_bufs_pool_end(pp_ngx_pool_t *pool);
void pp_bufs_update_before(pp_bufs_state_t *st, pp_ngx_pool_t *pool,
    pp_ngx_chain_t **free, pp_ngx_chain_t **busy, pp_ngx_chain_t **out,
    void *tag);
void pp_bufs_update_after(pp_bufs_state_t *st, pp_ngx_chain_t **free,
    pp_ngx_chain_t **busy, void *tag);


#endif /* _PP_BUFS_H_INCLUDED_ */
