/*
 * Sampled stacks: --format folded and --format svg, and the first frame
 * outside nginx's helpers for the text report.  The segment counts
 * sampled events; values are scaled by the sampling period and, unless
 * every event was sampled, labelled as estimates: the root frame of
 * every stack says which.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp_report.h"
#include "pp_flame.h"


static const char  *pp_metrics[] = {
    "pinned", "noop", "allocs", "alloc_bytes", "unused", NULL
};

static const char  *pp_metric_units[] = {
    "bytes", "calls", "calls", "bytes", "bytes"
};

static const char  *pp_metric_titles[] = {
    "Pinned bytes (no-op ngx_pfree)", "No-op ngx_pfree calls",
    "Pool allocations", "Allocated bytes",
    "Unused bytes at pool end, by the pool's creator"
};


/* nginx's allocation helpers: the owner of a call is further up */
static const char  *pp_helpers[] = {
    "ngx_array_", "ngx_list_", "ngx_hash_", "ngx_pstrdup",
    "ngx_create_temp_buf", "ngx_create_chain_of_bufs",
    "ngx_alloc_chain_link", "ngx_chain_", "ngx_pool_cleanup_add",
    "ngx_palloc", "ngx_pnalloc", "ngx_pcalloc", "ngx_pmemalign",
    "ngx_pfree", "ngx_create_pool", "ngx_http_cleanup_add",
    "ngx_queue_", "ngx_rbtree_", "ngx_radix_", "ngx_crc32_table_init",
    "ngx_output_chain", "ngx_copy_", "ngx_parse_", "ngx_conf_",
    NULL
};


static uint64_t pp_stack_value(const pp_report_t *r, const pp_stack_t *s,
    int metric);
static void pp_stacks_names(pp_report_t *r, pp_rstack_t *st);
static int pp_helper(const char *name);


int
pp_metric_parse(const char *s)
{
    int  i;

    for (i = 0; pp_metrics[i] != NULL; i++) {
        if (strcmp(s, pp_metrics[i]) == 0) {
            return i;
        }
    }

    return -1;
}


static uint64_t
pp_stack_value(const pp_report_t *r, const pp_stack_t *s, int metric)
{
    uint64_t  v;

    switch (metric) {
    case PP_METRIC_PINNED:
        v = s->pinned_bytes;
        break;
    case PP_METRIC_NOOP:
        v = s->noop_frees;
        break;
    case PP_METRIC_ALLOCS:
        v = s->allocs;
        break;
    case PP_METRIC_ALLOC_BYTES:
        v = s->alloc_bytes;
        break;
    default:
        v = s->unused_bytes;
        break;
    }

    return v * (r->stack_period ? r->stack_period : 1);
}


/*
 * a name for every frame: symbol, else object+offset, else the address;
 * escaped (pp_escape()), for folded lines, the SVG and the text's "via"
 */
static void
pp_stacks_names(pp_report_t *r, pp_rstack_t *st)
{
    char         buf[4 * PP_PATH_MAX], esc[4 * PP_PATH_MAX], *sym, *src;
    size_t       n;
    uint32_t     f;
    uint64_t     a;
    const char  *path, *base;

    if (st->names != NULL || st->overflow) {
        return;
    }

    st->names = calloc(st->s.depth + 1, sizeof(char *));
    if (st->names == NULL) {
        return;
    }

    for (f = 0; f < st->s.depth; f++) {
        a = st->s.frames[f];
        pp_sym_row(r, a, st->objs[f], 0, 0, &sym, &src);
        free(src);

        if (sym != NULL && sym[0] != '\0') {
            n = 4 * strlen(sym) + 1;
            st->names[f] = malloc(n);
            if (st->names[f] != NULL) {
                pp_escape(st->names[f], n, sym);
            }
            free(sym);
            continue;
        }

        free(sym);

        if (st->objs[f] != PP_NO_OBJECT) {
            path = r->objs[st->objs[f]].o.path;
            base = strrchr(path, '/');
            snprintf(buf, sizeof(buf), "%s+0x%llx",
                     pp_escape(esc, sizeof(esc),
                               base != NULL ? base + 1 : path),
                     (unsigned long long) (a - r->objs[st->objs[f]].o.base));
        } else {
            snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long) a);
        }

        st->names[f] = strdup(buf);
    }
}


int
pp_stacks_print(FILE *f, pp_report_t *r, int svg, int metric)
{
    int               rc;
    char              root[128], sub[160];
    size_t            i;
    uint32_t          k, n;
    uint64_t          v;
    const char       *frames[PP_STACK_FRAMES + 1];
    pp_flame_t       *fl;
    pp_rstack_t      *st;
    pp_flame_opts_t   o;

    if (r->stack_period == 0) {
        pp_error("no stacks in %s: it was recorded with POOLPROF_STACKS=0",
                 r->path != NULL ? r->path : "the segment");
        return -1;
    }

    if (r->stack_period == 1) {
        snprintf(sub, sizeof(sub), "exact: every event's stack was taken");
    } else {
        snprintf(sub, sizeof(sub), "estimate: 1 in %u events sampled, "
                 "values scaled by %u", r->stack_period, r->stack_period);
    }

    snprintf(root, sizeof(root), "%s (%s)", pp_metrics[metric],
             r->stack_period == 1 ? "every event"
                                  : "estimate");

    fl = pp_flame_new();
    if (fl == NULL) {
        return -1;
    }

    for (i = 0; i < r->nstacks; i++) {
        st = &r->stacks[i];
        v = pp_stack_value(r, &st->s, metric);

        if (v == 0) {
            continue;
        }

        frames[0] = root;
        n = 1;

        if (st->overflow) {
            frames[n++] = "(stack table full)";

        } else {
            pp_stacks_names(r, st);
            if (st->names == NULL) {
                pp_flame_free(fl);
                return -1;
            }

            /* outermost first */
            for (k = st->s.depth; k-- > 0; /* void */) {
                frames[n++] = st->names[k];
            }
        }

        if (pp_flame_add(fl, frames, n, v) != 0) {
            pp_flame_free(fl);
            return -1;
        }
    }

    if (svg) {
        memset(&o, 0, sizeof(o));
        o.title = pp_metric_titles[metric];
        o.subtitle = sub;
        o.unit = pp_metric_units[metric];
        rc = pp_flame_svg(f, fl, &o);

    } else {
        rc = pp_flame_folded(f, fl);
    }

    pp_flame_free(fl);

    return rc;
}


static int
pp_helper(const char *name)
{
    int  i;

    for (i = 0; pp_helpers[i] != NULL; i++) {
        if (strncmp(name, pp_helpers[i], strlen(pp_helpers[i])) == 0) {
            return 1;
        }
    }

    return 0;
}


/*
 * For a site inside one of nginx's helpers: the first frame outside
 * them on the site's most frequent stack; NULL when the site is not in
 * a helper or no stack of it was sampled.
 */
const char *
pp_stacks_owner(pp_report_t *r, uint64_t site)
{
    size_t        i;
    uint32_t      k;
    uint64_t      best, n;
    pp_rstack_t  *st, *top;

    top = NULL;
    best = 0;

    for (i = 0; i < r->nstacks; i++) {
        st = &r->stacks[i];

        if (st->overflow || st->s.frames[0] != site) {
            continue;
        }

        n = st->s.allocs + st->s.noop_frees + st->s.pools;
        if (top == NULL || n > best) {
            top = st;
            best = n;
        }
    }

    if (top == NULL) {
        return NULL;
    }

    pp_stacks_names(r, top);

    if (top->names == NULL || !pp_helper(top->names[0])) {
        return NULL;
    }

    for (k = 1; k < top->s.depth; k++) {
        if (!pp_helper(top->names[k])) {
            return top->names[k];
        }
    }

    return NULL;
}
