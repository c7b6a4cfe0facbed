/*
 * The figures that fleet tools receive, one table: each names its row,
 * its counters, its Prometheus name and help, and its pprof sample type
 * if it has one.  pp_pprof.c and pp_prom.c only walk these tables.  A
 * pool's kind is told by the function that created it, for every output
 * (pp_pool_kind_of()).
 */

#include <stddef.h>
#include <string.h>

#include "pp_fleet.h"


#define pp_site_field(f)   offsetof(pp_site_t, f)
#define pp_pool_field(f)   offsetof(pp_pool_t, f)
#define pp_tag_field(f)    offsetof(pp_tag_t, f)
#define pp_stack_field(f)  offsetof(pp_stack_t, f)

/* a Prometheus counter of one field, with no pprof sample type */
#define pp_counter(row, field)                                               \
    row, field, PP_NO_FIELD, NULL, NULL, -1, PP_NO_FIELD

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
      pp_counter(PP_ROW_TAG, pp_tag_field(recycled)) },

    { "poolprof_frees_total",
      "ngx_pfree() calls that freed a large allocation, by call site.",
      pp_counter(PP_ROW_SITE, pp_site_field(freed)) },

    { "poolprof_foreign_frees_total",
      "ngx_pfree() of a pointer the pool never handed out, by call site.",
      pp_counter(PP_ROW_SITE, pp_site_field(foreign_frees)) },

    { "poolprof_frees_null_total",
      "ngx_pfree() calls with a null pointer, by call site.",
      pp_counter(PP_ROW_SITE, pp_site_field(frees_null)) },

    { "poolprof_frees_repeated_total",
      "ngx_pfree() of a pointer already freed or no-op freed, by call "
      "site.",
      pp_counter(PP_ROW_SITE, pp_site_field(frees_repeated)) },

    { "poolprof_frees_cross_pool_total",
      "ngx_pfree() of a pointer another live pool handed out, by call "
      "site.",
      pp_counter(PP_ROW_SITE, pp_site_field(frees_cross_pool)) },

    { "poolprof_frees_interior_total",
      "ngx_pfree() of a pointer inside an allocation, not at its start, "
      "by call site.",
      pp_counter(PP_ROW_SITE, pp_site_field(frees_interior)) },

    { "poolprof_zeroed_bytes_total",
      "Bytes ngx_pcalloc() zeroed, by call site.",
      pp_counter(PP_ROW_SITE, pp_site_field(zeroed_bytes)) },

    { "poolprof_pools_created_total",
      "Pools created (ngx_create_pool), by creating site.",
      pp_counter(PP_ROW_POOL, pp_pool_field(created)) },

    { "poolprof_pools_destroyed_total",
      "Pools destroyed (ngx_destroy_pool), by creating site.",
      pp_counter(PP_ROW_POOL, pp_pool_field(destroyed)) },

    { "poolprof_pool_stranded_bytes_total",
      "Unused bytes in blocks retired from pool->current, by creating "
      "site.",
      pp_counter(PP_ROW_POOL, pp_pool_field(stranded_bytes)) },
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


/*
 * The kinds of nginx's own pools, told by the function that creates
 * them (by prefix: "ngx_http_v2_" after the HTTP/2 connection's two),
 * with the directive that sizes them.  These are the creators of nginx
 * 1.22 to 1.27; a static creator (ngx_http_alloc_request) is named by
 * its callers (pp_static.c), which are matched in turn.
 */
static const pp_pool_kind_t  pp_pool_kinds[] = {
    { "ngx_http_alloc_request", "request", "request_pool_size" },
    { "ngx_http_create_request", "request", "request_pool_size" },
    { "ngx_http_v2_init", "http2_connection", "http2_pool_size" },
    { "ngx_http_v2_idle_handler", "http2_connection", "http2_pool_size" },
    { "ngx_http_v2_", "http2_stream", NULL },
    { "ngx_event_accept", "connection", "connection_pool_size" },
    { "ngx_event_recvmsg", "connection", "connection_pool_size" },
    { "ngx_event_udp_", "connection", "connection_pool_size" },
    { "ngx_quic_recvmsg", "connection", "connection_pool_size" },
    { "ngx_quic_", "connection", NULL },
    { "ngx_http_upstream_", "connection", NULL },
    { "ngx_event_connect_peer", "connection", NULL },
    { "ngx_stream_init_connection", "stream_session", NULL },
    { "ngx_stream_geo_", "module", NULL },
    { "ngx_stream_map_", "module", NULL },
    { "ngx_stream_log_", "module", NULL },
    { "ngx_stream_", "temporary", NULL },
    { "ngx_init_cycle", "cycle", NULL },
    { "main", "cycle", NULL },
    { "ngx_http_server_names", "temporary", NULL },
    { "ngx_http_block", "temporary", NULL },
    { "ngx_ssl_ocsp_", "temporary", NULL },
    { "ngx_http_geo_", "module", NULL },
    { "ngx_http_map_", "module", NULL },
    { "ngx_http_log_", "module", NULL },
    { "ngx_mail_", "module", NULL },
};

static const pp_pool_kind_t  pp_pool_module = { "", "module", NULL };
static const pp_pool_kind_t  pp_pool_temporary = { "", "temporary", NULL };
static const pp_pool_kind_t  pp_pool_unknown = { "", "unknown", NULL };


static const pp_pool_kind_t *
pp_pool_kind_name(const char *name, size_t len)
{
    size_t  i, n;

    for (i = 0; i < sizeof(pp_pool_kinds) / sizeof(pp_pool_kinds[0]); i++) {
        n = strlen(pp_pool_kinds[i].prefix);

        /* a prefix ends in '_'; any other entry is a whole name */
        if (n <= len && strncmp(name, pp_pool_kinds[i].prefix, n) == 0
            && (pp_pool_kinds[i].prefix[n - 1] == '_' || n == len))
        {
            return &pp_pool_kinds[i];
        }
    }

    return NULL;
}


/*
 * The kind of the pools a function creates: its name, or the names of
 * the callers of "static function X (called from A, B)"; NULL if none
 */
const pp_pool_kind_t *
pp_pool_kind_find(const char *symbol)
{
    size_t                 n;
    const char            *p;
    const pp_pool_kind_t  *k;

    if (symbol == NULL) {
        return NULL;
    }

    p = strstr(symbol, " (called from ");

    if (strncmp(symbol, "static function ", 16) != 0 || p == NULL) {
        n = strcspn(symbol, " (");
        return n != 0 ? pp_pool_kind_name(symbol, n) : NULL;
    }

    for (p += 14; *p != '\0' && *p != ')'; p += n + (p[n] == ',') * 2) {
        n = strcspn(p, ",)");
        k = pp_pool_kind_name(p, n);
        if (k != NULL) {
            return k;
        }
        if (p[n] == '\0') {
            break;
        }
    }

    return NULL;
}


/* a pool kind for the fleet's labels, NULL when unknown */
const char *
pp_pool_kind(const char *symbol)
{
    const pp_pool_kind_t  *k;

    k = pp_pool_kind_find(symbol);

    return k != NULL ? k->kind : NULL;
}


/*
 * The kind of a report's pool row: a pool that a module's .so (or a
 * library it called) creates is the module's; ngx_init_cycle() creates
 * the cycle's pool first, then temporary ones
 */
const pp_pool_kind_t *
pp_pool_kind_of(const pp_report_t *r, const pp_rpool_t *p)
{
    int                    obj;
    size_t                 i;
    const pp_pool_kind_t  *k;

    if (p->overflow) {
        return &pp_pool_unknown;
    }

    obj = pp_row_module(p, p->p.owner);

    if (obj != PP_NO_OBJECT
        && strcmp(r->objs[obj].o.path, r->hdr.exe) != 0)
    {
        return &pp_pool_module;
    }

    k = pp_pool_kind_find(p->symbol);

    if (k == NULL) {
        return &pp_pool_unknown;
    }

    if (strcmp(k->prefix, "ngx_init_cycle") == 0) {
        for (i = 0; i < r->npools; i++) {
            if (r->pools[i].key < p->key && r->pools[i].obj == p->obj
                && !r->pools[i].overflow && r->pools[i].symbol != NULL
                && strcmp(r->pools[i].symbol, "ngx_init_cycle") == 0)
            {
                return &pp_pool_temporary;
            }
        }
    }

    return k;
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

