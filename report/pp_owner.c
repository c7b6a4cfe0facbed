/*
 * Who called nginx's helpers: a site inside ngx_array_push() or
 * ngx_pstrdup() says little; the text report names it with the first
 * frame outside nginx's helpers on the site's most frequent sampled
 * stack ("via").  An analysis of the named stacks, after --diff, whose
 * counts decide which stack is the most frequent.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp_report.h"


/* nginx's allocation helpers: the owner of a call is further up */
static const char *const  pp_helpers[] = {
    "ngx_array_", "ngx_list_", "ngx_hash_", "ngx_pstrdup",
    "ngx_create_temp_buf", "ngx_create_chain_of_bufs",
    "ngx_alloc_chain_link", "ngx_chain_", "ngx_pool_cleanup_add",
    "ngx_palloc", "ngx_pnalloc", "ngx_pcalloc", "ngx_pmemalign",
    "ngx_pfree", "ngx_create_pool", "ngx_http_cleanup_add",
    "ngx_queue_", "ngx_rbtree_", "ngx_radix_", "ngx_crc32_table_init",
    "ngx_output_chain", "ngx_copy_", "ngx_parse_", "ngx_conf_",
    NULL
};


/* what makes a stack frequent */
static uint64_t
pp_owner_events(const pp_rstack_t *st)
{
    return st->s.allocs + st->s.noop_frees + st->s.pools;
}


/* by site, then by the stack's place in the table */
static int
pp_owner_cmp(const void *a, const void *b)
{
    const pp_rowner_t  *x = a, *y = b;

    return x->site != y->site ? pp_order(x->site, y->site)
                              : pp_order(x->stack, y->stack);
}


/*
 * For every site at the leaf of a named stack: its most frequent stack
 * (the first in the table among equals); when that stack's leaf is in a
 * helper, its first frame outside them.  0, or -1 without memory.
 */
int
pp_owners_build(pp_report_t *r)
{
    size_t              i, k, best, n, out;
    uint32_t            f;
    pp_rowner_t        *all;
    const pp_rstack_t  *st;

    all = calloc(r->nstacks + 1, sizeof(pp_rowner_t));
    if (all == NULL) {
        return -1;
    }

    n = 0;

    for (i = 0; i < r->nstacks; i++) {
        if (!r->stacks[i].overflow && r->stacks[i].symbols != NULL) {
            all[n].site = r->stacks[i].s.frames[0];
            all[n].stack = i;
            n++;
        }
    }

    qsort(all, n, sizeof(pp_rowner_t), pp_owner_cmp);

    out = 0;

    for (i = 0; i < n; i = k) {
        best = i;

        for (k = i + 1; k < n && all[k].site == all[i].site; k++) {
            if (pp_owner_events(&r->stacks[all[k].stack])
                > pp_owner_events(&r->stacks[all[best].stack]))
            {
                best = k;
            }
        }

        st = &r->stacks[all[best].stack];

        if (!pp_sym_in(st->symbols[0], pp_helpers, 1)) {
            continue;
        }

        for (f = 1; f < st->s.depth; f++) {
            if (!pp_sym_in(st->symbols[f], pp_helpers, 1)) {
                break;
            }
        }

        if (f < st->s.depth) {
            all[out] = all[best];
            all[out].frame = f;
            out++;
        }
    }

    r->owners = all;
    r->nowners = out;

    return 0;
}


/* the name of the owner of site, escaped into buf; NULL when none */
const char *
pp_stacks_owner(char *buf, size_t len, const pp_report_t *r, uint64_t site)
{
    size_t              lo, hi, mid;
    const pp_rowner_t  *o;
    const pp_rstack_t  *st;

    lo = 0;
    hi = r->nowners;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        if (r->owners[mid].site < site) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }

    if (lo == r->nowners || r->owners[lo].site != site) {
        return NULL;
    }

    o = &r->owners[lo];
    st = &r->stacks[o->stack];

    return pp_name(buf, len, r, st->s.frames[o->frame], st->objs[o->frame],
                   st->symbols[o->frame]);
}
