/*
 * The figures that fleet tools receive, one table: each names its row,
 * its counters, its Prometheus name and help, and its pprof sample type
 * if it has one.  pp_pprof.c and pp_prom.c only walk these tables.  A
 * pool's kind is told by the function that created it.
 */

#include <stddef.h>
#include <string.h>

#include "pp_fleet.h"


#define pp_site_field(f)   offsetof(pp_site_t, f)
#define pp_pool_field(f)   offsetof(pp_pool_t, f)
#define pp_tag_field(f)    offsetof(pp_tag_t, f)
#define pp_stack_field(f)  offsetof(pp_stack_t, f)

/*
 * Every exported figure.  The pprof sample types come in this order;
 * a figure with a stack counter is weighed on the sampled stacks.
 */
const pp_figure_t  pp_figures[] = {

    { "poolprof_noop_frees_total",
      "ngx_pfree() calls that freed nothing (NGX_DECLINED), by call site.",
      PP_ROW_SITE, pp_site_field(noop_frees), PP_NO_FIELD,
      "noop_frees", "count", PP_METRIC_NOOP, pp_stack_field(noop_frees) },

    { "poolprof_pinned_bytes_total",
      "Bytes of no-op freed allocations, held until their pool is "
      "destroyed, by call site.",
      PP_ROW_SITE, pp_site_field(pinned_bytes), PP_NO_FIELD,
      "pinned", "bytes", PP_METRIC_PINNED, pp_stack_field(pinned_bytes) },

    { "poolprof_pool_unused_bytes_total",
      "Bytes of pool blocks never handed out, at pool destroy or reset, "
      "by the site that created the pool.",
      PP_ROW_POOL, pp_pool_field(unused_bytes), PP_NO_FIELD,
      "unused", "bytes", PP_METRIC_UNUSED, pp_stack_field(unused_bytes) },

    { "poolprof_allocs_total",
      "Allocations from pools (ngx_palloc and its siblings), by call site.",
      PP_ROW_SITE, pp_site_field(allocs), PP_NO_FIELD,
      "allocs", "count", PP_METRIC_ALLOCS, pp_stack_field(allocs) },

    { "poolprof_alloc_bytes_total",
      "Bytes requested from pools, by call site.",
      PP_ROW_SITE, pp_site_field(alloc_bytes), PP_NO_FIELD,
      "alloc_space", "bytes", PP_METRIC_ALLOC_BYTES,
      pp_stack_field(alloc_bytes) },

    { "poolprof_buffer_misses_total",
      "Output buffers allocated anew instead of reused, by buf->tag.",
      PP_ROW_TAG, pp_tag_field(misses), pp_tag_field(own_misses),
      "buffer_misses", "count", -1, PP_NO_FIELD },

    { "poolprof_buffer_hits_total",
      "Output buffers reused from a free list, by buf->tag.",
      PP_ROW_TAG, pp_tag_field(hits), pp_tag_field(own_hits),
      NULL, NULL, -1, PP_NO_FIELD },

    { "poolprof_buffers_recycled_total",
      "Buffers ngx_chain_update_chains() moved to the free list, by "
      "buf->tag.",
      PP_ROW_TAG, pp_tag_field(recycled), PP_NO_FIELD,
      NULL, NULL, -1, PP_NO_FIELD },

    { "poolprof_frees_total",
      "ngx_pfree() calls that freed a large allocation, by call site.",
      PP_ROW_SITE, pp_site_field(freed), PP_NO_FIELD,
      NULL, NULL, -1, PP_NO_FIELD },

    { "poolprof_foreign_frees_total",
      "ngx_pfree() of a pointer the pool never handed out, by call site.",
      PP_ROW_SITE, pp_site_field(foreign_frees), PP_NO_FIELD,
      NULL, NULL, -1, PP_NO_FIELD },

    { "poolprof_frees_null_total",
      "ngx_pfree() calls with a null pointer, by call site.",
      PP_ROW_SITE, pp_site_field(frees_null), PP_NO_FIELD,
      NULL, NULL, -1, PP_NO_FIELD },

    { "poolprof_frees_repeated_total",
      "ngx_pfree() of a pointer already freed or no-op freed, by call "
      "site.",
      PP_ROW_SITE, pp_site_field(frees_repeated), PP_NO_FIELD,
      NULL, NULL, -1, PP_NO_FIELD },

    { "poolprof_frees_cross_pool_total",
      "ngx_pfree() of a pointer another live pool handed out, by call "
      "site.",
      PP_ROW_SITE, pp_site_field(frees_cross_pool), PP_NO_FIELD,
      NULL, NULL, -1, PP_NO_FIELD },

    { "poolprof_frees_interior_total",
      "ngx_pfree() of a pointer inside an allocation, not at its start, "
      "by call site.",
      PP_ROW_SITE, pp_site_field(frees_interior), PP_NO_FIELD,
      NULL, NULL, -1, PP_NO_FIELD },

    { "poolprof_zeroed_bytes_total",
      "Bytes ngx_pcalloc() zeroed, by call site.",
      PP_ROW_SITE, pp_site_field(zeroed_bytes), PP_NO_FIELD,
      NULL, NULL, -1, PP_NO_FIELD },

    { "poolprof_pools_created_total",
      "Pools created (ngx_create_pool), by creating site.",
      PP_ROW_POOL, pp_pool_field(created), PP_NO_FIELD,
      NULL, NULL, -1, PP_NO_FIELD },

    { "poolprof_pools_destroyed_total",
      "Pools destroyed (ngx_destroy_pool), by creating site.",
      PP_ROW_POOL, pp_pool_field(destroyed), PP_NO_FIELD,
      NULL, NULL, -1, PP_NO_FIELD },

    { "poolprof_pool_stranded_bytes_total",
      "Unused bytes in blocks retired from pool->current, by creating "
      "site.",
      PP_ROW_POOL, pp_pool_field(stranded_bytes), PP_NO_FIELD,
      NULL, NULL, -1, PP_NO_FIELD },
};

const size_t  pp_nfigures = sizeof(pp_figures) / sizeof(pp_figures[0]);


#define pp_totals_field(f)  offsetof(pp_totals_t, f)

const pp_role_figure_t  pp_role_figures[] = {
    { "poolprof_role_allocs_total", "Pool allocations, by process role.",
      pp_totals_field(allocs) },
    { "poolprof_role_alloc_bytes_total",
      "Bytes requested from pools, by process role.",
      pp_totals_field(alloc_bytes) },
    { "poolprof_role_noop_frees_total",
      "ngx_pfree() calls that freed nothing, by process role.",
      pp_totals_field(noop_frees) },
    { "poolprof_role_pinned_bytes_total",
      "Bytes pinned by no-op frees, by process role.",
      pp_totals_field(pinned_bytes) },
    { "poolprof_role_pool_unused_bytes_total",
      "Unused pool bytes at destroy or reset, by process role.",
      pp_totals_field(unused_bytes) },
    { "poolprof_role_pools_created_total", "Pools created, by process role.",
      pp_totals_field(pools_created) },
    { "poolprof_role_pools_destroyed_total",
      "Pools destroyed, by process role.",
      pp_totals_field(pools_destroyed) },
    { "poolprof_role_buffer_hits_total",
      "ngx_chain_get_free_buf() reuses, by process role.",
      pp_totals_field(fb_hits) },
    { "poolprof_role_buffer_misses_total",
      "ngx_chain_get_free_buf() new buffers, by process role.",
      pp_totals_field(fb_misses) },
    { "poolprof_role_untracked_events_total",
      "Events on pools beyond the shim's tracking cap, by process role.",
      pp_totals_field(untracked) },
};

const size_t  pp_nrole_figures = sizeof(pp_role_figures)
                                 / sizeof(pp_role_figures[0]);


/* the creating function of a pool tells its kind; prefixes */
static const struct {
    const char             *prefix;
    const char             *kind;
} pp_pool_kinds[] = {
    { "ngx_http_alloc_request", "request" },
    { "ngx_http_create_request", "request" },
    { "ngx_http_v2_", "http2_stream" },
    { "ngx_http_v3_", "http3_stream" },
    { "ngx_quic_", "quic" },
    { "ngx_event_accept", "connection" },
    { "ngx_event_recvmsg", "connection" },
    { "ngx_event_udp_", "connection" },
    { "ngx_http_upstream_", "upstream" },
    { "ngx_event_connect_peer", "upstream" },
    { "ngx_resolve", "resolver" },
    { "ngx_init_cycle", "cycle" },
    { "ngx_stream_", "stream" },
    { "ngx_mail_", "mail" },
};


const char *
pp_pool_kind(const char *symbol)
{
    size_t  i;

    for (i = 0; i < sizeof(pp_pool_kinds) / sizeof(pp_pool_kinds[0]); i++) {
        if (strncmp(symbol, pp_pool_kinds[i].prefix,
                    strlen(pp_pool_kinds[i].prefix)) == 0)
        {
            return pp_pool_kinds[i].kind;
        }
    }

    return NULL;
}


uint64_t
pp_figure_value(const pp_figure_t *f, const void *counters)
{
    uint64_t  a, b;

    memcpy(&a, (const char *) counters + f->off, sizeof(uint64_t));

    if (f->off2 == PP_NO_FIELD) {
        return a;
    }

    memcpy(&b, (const char *) counters + f->off2, sizeof(uint64_t));

    return a + b;
}


/* a sample type by its pprof name or its --metric name; -1 if none */
int
pp_figure_sample(const char *name)
{
    int     m;
    size_t  i;

    m = pp_metric_parse(name);

    for (i = 0; i < pp_nfigures; i++) {
        if (pp_figures[i].sample != NULL
            && (strcmp(pp_figures[i].sample, name) == 0
                || (m >= 0 && pp_figures[i].metric == m)))
        {
            return (int) i;
        }
    }

    return -1;
}


/* the sample type of a --metric (PP_METRIC_*); -1 if none */
int
pp_figure_metric(int metric)
{
    size_t  i;

    for (i = 0; i < pp_nfigures; i++) {
        if (pp_figures[i].sample != NULL && pp_figures[i].metric == metric) {
            return (int) i;
        }
    }

    return -1;
}

