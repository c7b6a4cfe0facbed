
/*
 * ngx_http_poolprof_test_module: known pool and buffer patterns for
 * poolprof's tests.  One dynamic module that is both a set of content
 * handlers ("pp_test MODE;") and a body filter ("pp_test_filter ...;").
 *
 * poolprof attributes every pool call to its return address, that is to
 * the function that makes the call.  So each handler below makes its
 * pool calls itself, is never inlined, cloned or folded (noipa), and
 * never ends in a tail call to a pool function; the comment above each
 * handler gives the exact pool effect of one request at that handler,
 * with S = pp_test_size, R = pp_test_repeat, P = pp_test_pool_size.
 * The response (a small text body "MODE ok\n") is built by a helper,
 * whose own allocations belong to the helper, not to the handler.
 *
 * The request pool's max is min(request_pool_size - sizeof(ngx_pool_t),
 * NGX_MAX_ALLOC_FROM_POOL): 4016 on x86_64 with the default
 * request_pool_size 4096.  An allocation of at most max is "small" and
 * ngx_pfree() of it is a no-op (NGX_DECLINED); above max it is "large"
 * and ngx_pfree() frees it (NGX_OK).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <dlfcn.h>
#if (NGX_THREADS)
#include <ngx_thread_pool.h>
#endif


#if (defined __GNUC__ && !defined __clang__ && __GNUC__ >= 8)
#define NGX_HTTP_PP_TEST_NOIPA  __attribute__((noipa))
#else
#define NGX_HTTP_PP_TEST_NOIPA  __attribute__((noinline))
#endif


#define NGX_HTTP_PP_TEST_FILTER_OFF    0
#define NGX_HTTP_PP_TEST_FILTER_REUSE  1
#define NGX_HTTP_PP_TEST_FILTER_FRESH  2


typedef ngx_int_t (*ngx_http_pp_test_handler_pt)(ngx_http_request_t *r);


typedef struct {
    ngx_str_t                     name;
    ngx_http_pp_test_handler_pt   handler;
    ngx_str_t                     ok;
} ngx_http_pp_test_mode_t;


typedef struct {
    ngx_http_pp_test_mode_t      *mode;
    size_t                        size;
    ngx_int_t                     repeat;
    size_t                        pool_size;
    ngx_uint_t                    filter;
    size_t                        filter_bufsize;
} ngx_http_pp_test_loc_conf_t;


typedef struct {
    ngx_chain_t                  *free;
    ngx_chain_t                  *busy;

    /* the fresh filter's free list: never refilled, so always empty */
    ngx_chain_t                  *fresh;
} ngx_http_pp_test_ctx_t;


/* a task of the thread mode */
typedef struct {
    ngx_http_request_t           *request;
    size_t                        size;
    ngx_int_t                     repeat;
    size_t                        pool_size;
    ngx_int_t                     rc;       /* NGX_OK: every call worked */
} ngx_http_pp_test_thread_ctx_t;


static ngx_int_t ngx_http_pp_test_noop_free_handler(ngx_http_request_t *r)
    NGX_HTTP_PP_TEST_NOIPA;
static ngx_int_t ngx_http_pp_test_reuse_handler(ngx_http_request_t *r)
    NGX_HTTP_PP_TEST_NOIPA;
static ngx_int_t ngx_http_pp_test_child_pool_handler(ngx_http_request_t *r)
    NGX_HTTP_PP_TEST_NOIPA;
static ngx_int_t ngx_http_pp_test_large_free_handler(ngx_http_request_t *r)
    NGX_HTTP_PP_TEST_NOIPA;
static ngx_int_t ngx_http_pp_test_foreign_free_handler(ngx_http_request_t *r)
    NGX_HTTP_PP_TEST_NOIPA;
static ngx_int_t ngx_http_pp_test_conn_pool_handler(ngx_http_request_t *r)
    NGX_HTTP_PP_TEST_NOIPA;
static ngx_int_t ngx_http_pp_test_bad_frees_handler(ngx_http_request_t *r)
    NGX_HTTP_PP_TEST_NOIPA;
static ngx_int_t ngx_http_pp_test_noop_twice_handler(ngx_http_request_t *r)
    NGX_HTTP_PP_TEST_NOIPA;
static ngx_int_t ngx_http_pp_test_large_inside_handler(ngx_http_request_t *r)
    NGX_HTTP_PP_TEST_NOIPA;
static ngx_int_t ngx_http_pp_test_lib_cb_handler(ngx_http_request_t *r)
    NGX_HTTP_PP_TEST_NOIPA;
static ngx_int_t ngx_http_pp_test_leak_pool_handler(ngx_http_request_t *r)
    NGX_HTTP_PP_TEST_NOIPA;
static ngx_int_t ngx_http_pp_test_noop_via_handler(ngx_http_request_t *r)
    NGX_HTTP_PP_TEST_NOIPA;
static ngx_int_t ngx_http_pp_test_path_a(ngx_http_request_t *r, size_t size)
    NGX_HTTP_PP_TEST_NOIPA;
static ngx_int_t ngx_http_pp_test_path_b(ngx_http_request_t *r, size_t size)
    NGX_HTTP_PP_TEST_NOIPA;
static ngx_int_t ngx_http_pp_test_noop_common(ngx_http_request_t *r,
    size_t size) NGX_HTTP_PP_TEST_NOIPA;
static ngx_int_t ngx_http_pp_test_allocs_handler(ngx_http_request_t *r)
    NGX_HTTP_PP_TEST_NOIPA;
static ngx_int_t ngx_http_pp_test_pcallocs_handler(ngx_http_request_t *r)
    NGX_HTTP_PP_TEST_NOIPA;
static ngx_int_t ngx_http_pp_test_body_handler(ngx_http_request_t *r)
    NGX_HTTP_PP_TEST_NOIPA;
static ngx_int_t ngx_http_pp_test_thread_handler(ngx_http_request_t *r)
    NGX_HTTP_PP_TEST_NOIPA;
#if (NGX_THREADS)
static void ngx_http_pp_test_thread_task(void *data, ngx_log_t *log)
    NGX_HTTP_PP_TEST_NOIPA;
static void ngx_http_pp_test_thread_done(ngx_event_t *ev);
#endif
static ngx_int_t ngx_http_pp_test_churn_handler(ngx_http_request_t *r)
    NGX_HTTP_PP_TEST_NOIPA;
static ngx_int_t ngx_http_pp_test_send_text(ngx_http_request_t *r,
    ngx_uint_t status, ngx_str_t *text) NGX_HTTP_PP_TEST_NOIPA;
static ngx_int_t ngx_http_pp_test_send_ok(ngx_http_request_t *r)
    NGX_HTTP_PP_TEST_NOIPA;

static ngx_int_t ngx_http_pp_test_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static ngx_int_t ngx_http_pp_test_copy(ngx_http_request_t *r,
    ngx_chain_t *in, ngx_chain_t **free, ngx_buf_tag_t tag, size_t bufsize,
    ngx_chain_t **out) NGX_HTTP_PP_TEST_NOIPA;

static char *ngx_http_pp_test(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static void *ngx_http_pp_test_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_pp_test_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static ngx_int_t ngx_http_pp_test_init(ngx_conf_t *cf);


/* the fresh filter's buf->tag: any address that no other module uses */
static ngx_uint_t  ngx_http_pp_test_fresh_tag;

/* stores after a call keep the call from becoming a tail call */
static volatile ngx_int_t  ngx_http_pp_test_sink;


/*
 * The handlers of the last two modes are at the end of the file, so that
 * the lines of the others, which tests/golden/ names, stay where they are.
 */
static ngx_http_pp_test_mode_t  ngx_http_pp_test_modes[] = {

    { ngx_string("noop_free"), ngx_http_pp_test_noop_free_handler,
      ngx_string("noop_free ok\n") },
    { ngx_string("reuse"), ngx_http_pp_test_reuse_handler,
      ngx_string("reuse ok\n") },
    { ngx_string("child_pool"), ngx_http_pp_test_child_pool_handler,
      ngx_string("child_pool ok\n") },
    { ngx_string("large_free"), ngx_http_pp_test_large_free_handler,
      ngx_string("large_free ok\n") },
    { ngx_string("foreign_free"), ngx_http_pp_test_foreign_free_handler,
      ngx_string("foreign_free ok\n") },
    { ngx_string("conn_pool"), ngx_http_pp_test_conn_pool_handler,
      ngx_string("conn_pool ok\n") },
    { ngx_string("leak_pool"), ngx_http_pp_test_leak_pool_handler,
      ngx_string("leak_pool ok\n") },
    { ngx_string("noop_via"), ngx_http_pp_test_noop_via_handler,
      ngx_string("noop_via ok\n") },
    { ngx_string("allocs"), ngx_http_pp_test_allocs_handler,
      ngx_string("allocs ok\n") },
    { ngx_string("pcallocs"), ngx_http_pp_test_pcallocs_handler,
      ngx_string("pcallocs ok\n") },
    { ngx_string("body"), ngx_http_pp_test_body_handler,
      ngx_null_string },
    { ngx_string("thread"), ngx_http_pp_test_thread_handler,
      ngx_string("thread ok\n") },
    { ngx_string("churn"), ngx_http_pp_test_churn_handler,
      ngx_string("churn ok\n") },
    { ngx_string("bad_frees"), ngx_http_pp_test_bad_frees_handler,
      ngx_string("bad_frees ok\n") },
    { ngx_string("noop_twice"), ngx_http_pp_test_noop_twice_handler,
      ngx_string("noop_twice ok\n") },
    { ngx_string("large_inside"), ngx_http_pp_test_large_inside_handler,
      ngx_string("large_inside ok\n") },
    { ngx_string("lib_cb"), ngx_http_pp_test_lib_cb_handler,
      ngx_string("lib_cb ok\n") },

    { ngx_null_string, NULL, ngx_null_string }
};


static ngx_conf_enum_t  ngx_http_pp_test_filters[] = {
    { ngx_string("off"), NGX_HTTP_PP_TEST_FILTER_OFF },
    { ngx_string("reuse"), NGX_HTTP_PP_TEST_FILTER_REUSE },
    { ngx_string("fresh"), NGX_HTTP_PP_TEST_FILTER_FRESH },
    { ngx_null_string, 0 }
};


static ngx_command_t  ngx_http_pp_test_commands[] = {

    { ngx_string("pp_test"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_pp_test,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("pp_test_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_pp_test_loc_conf_t, size),
      NULL },

    { ngx_string("pp_test_repeat"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_pp_test_loc_conf_t, repeat),
      NULL },

    { ngx_string("pp_test_pool_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_pp_test_loc_conf_t, pool_size),
      NULL },

    { ngx_string("pp_test_filter"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_pp_test_loc_conf_t, filter),
      &ngx_http_pp_test_filters },

    { ngx_string("pp_test_filter_bufsize"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_pp_test_loc_conf_t, filter_bufsize),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_poolprof_test_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_pp_test_init,                 /* postconfiguration */

    NULL,                                  /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_pp_test_create_loc_conf,      /* create location configuration */
    ngx_http_pp_test_merge_loc_conf        /* merge location configuration */
};


ngx_module_t  ngx_http_poolprof_test_module = {
    NGX_MODULE_V1,
    &ngx_http_poolprof_test_module_ctx,    /* module context */
    ngx_http_pp_test_commands,             /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


/*
 * Seed 000, "incorrect".  Per request, at this function:
 *   ngx_palloc(r->pool, S)   2R calls, all small while S <= r->pool->max
 *   ngx_pfree(r->pool, p)    R calls, each a no-op (NGX_DECLINED)
 * so R * S bytes are pinned until the request pool is destroyed (and the
 * R second allocations, never freed, add R * S more in use).
 */

static ngx_int_t
ngx_http_pp_test_noop_free_handler(ngx_http_request_t *r)
{
    u_char                       *p;
    ngx_int_t                     i, rc;
    ngx_http_pp_test_loc_conf_t  *lcf;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_poolprof_test_module);

    for (i = 0; i < lcf->repeat; i++) {

        p = ngx_palloc(r->pool, lcf->size);
        if (p == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_memset(p, 'n', lcf->size);

        rc = ngx_pfree(r->pool, p);

        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "pp_test noop_free: ngx_pfree(%p) returned %i", p, rc);

        /* the author believes this reuses the memory just "freed" */

        p = ngx_palloc(r->pool, lcf->size);
        if (p == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_memset(p, 'n', lcf->size);
    }

    return ngx_http_pp_test_send_ok(r);
}


/*
 * Seed 000, "correct".  Per request, at this function:
 *   ngx_palloc(r->pool, S)   1 call; the buffer is used R times
 *   ngx_pfree()              none
 */

static ngx_int_t
ngx_http_pp_test_reuse_handler(ngx_http_request_t *r)
{
    u_char                       *p;
    ngx_int_t                     i, rc;
    ngx_http_pp_test_loc_conf_t  *lcf;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_poolprof_test_module);

    p = ngx_palloc(r->pool, lcf->size);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    for (i = 0; i < lcf->repeat; i++) {
        ngx_memset(p, 'a' + i % 26, lcf->size);
        ngx_http_pp_test_sink = p[lcf->size - 1];
    }

    return ngx_http_pp_test_send_ok(r);
}


/*
 * Seed 000, note: a child pool per phase.  Per request, at this function:
 *   ngx_create_pool(P, r->connection->log)   R calls
 *   ngx_palloc(pool, S)                      R calls, one per pool
 *   ngx_destroy_pool(pool)                   R calls
 */

static ngx_int_t
ngx_http_pp_test_child_pool_handler(ngx_http_request_t *r)
{
    u_char                       *p;
    ngx_int_t                     i, rc;
    ngx_pool_t                   *pool;
    ngx_http_pp_test_loc_conf_t  *lcf;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_poolprof_test_module);

    for (i = 0; i < lcf->repeat; i++) {

        pool = ngx_create_pool(lcf->pool_size, r->connection->log);
        if (pool == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        p = ngx_palloc(pool, lcf->size);
        if (p == NULL) {
            ngx_destroy_pool(pool);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_memset(p, 'c', lcf->size);

        ngx_destroy_pool(pool);
    }

    return ngx_http_pp_test_send_ok(r);
}


/*
 * Large allocations are really freed.  S must be above r->pool->max
 * (4016 with the default request_pool_size), else the response is 500.
 * Per request, at this function:
 *   ngx_palloc(r->pool, S)   R calls, all large
 *   ngx_pfree(r->pool, p)    R calls, each a real free (NGX_OK)
 */

static ngx_int_t
ngx_http_pp_test_large_free_handler(ngx_http_request_t *r)
{
    u_char                       *p;
    ngx_int_t                     i, rc;
    ngx_http_pp_test_loc_conf_t  *lcf;

    static ngx_str_t  small = ngx_string("large_free: pp_test_size is not "
                                         "above the request pool's max\n");

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_poolprof_test_module);

    if (lcf->size <= r->pool->max) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "pp_test large_free: pp_test_size %uz is not above "
                      "the request pool's max %uz", lcf->size, r->pool->max);

        return ngx_http_pp_test_send_text(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                          &small);
    }

    for (i = 0; i < lcf->repeat; i++) {

        p = ngx_palloc(r->pool, lcf->size);
        if (p == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_memset(p, 'l', lcf->size);

        rc = ngx_pfree(r->pool, p);

        if (rc != NGX_OK) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "pp_test large_free: ngx_pfree() returned %i", rc);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    return ngx_http_pp_test_send_ok(r);
}


/*
 * Frees into the wrong pool.  Per request, at this function:
 *   ngx_create_pool(P, r->connection->log)   1 call ("tmp")
 *   ngx_palloc(tmp, S)                       R calls
 *   ngx_pfree(r->pool, p)                    R calls of a pointer that
 *                                            r->pool never handed out:
 *                                            foreign frees (NGX_DECLINED)
 *   ngx_destroy_pool(tmp)                    1 call
 */

static ngx_int_t
ngx_http_pp_test_foreign_free_handler(ngx_http_request_t *r)
{
    u_char                       *p;
    ngx_int_t                     i, rc;
    ngx_pool_t                   *tmp;
    ngx_http_pp_test_loc_conf_t  *lcf;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_poolprof_test_module);

    tmp = ngx_create_pool(lcf->pool_size, r->connection->log);
    if (tmp == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    for (i = 0; i < lcf->repeat; i++) {

        p = ngx_palloc(tmp, lcf->size);
        if (p == NULL) {
            ngx_destroy_pool(tmp);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        rc = ngx_pfree(r->pool, p);

        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "pp_test foreign_free: ngx_pfree(%p) returned %i",
                       p, rc);
    }

    ngx_destroy_pool(tmp);

    return ngx_http_pp_test_send_ok(r);
}


/*
 * Allocations that outlive the request.  Per request, at this function:
 *   ngx_palloc(r->connection->pool, S)   R calls
 * R * S bytes stay in the connection pool for as long as the (keepalive)
 * connection lives.
 */

static ngx_int_t
ngx_http_pp_test_conn_pool_handler(ngx_http_request_t *r)
{
    u_char                       *p;
    ngx_int_t                     i, rc;
    ngx_http_pp_test_loc_conf_t  *lcf;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_poolprof_test_module);

    for (i = 0; i < lcf->repeat; i++) {

        p = ngx_palloc(r->connection->pool, lcf->size);
        if (p == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_memset(p, 'k', lcf->size);
    }

    return ngx_http_pp_test_send_ok(r);
}


/*
 * A pool that is never destroyed.  Per request, at this function:
 *   ngx_create_pool(P, ngx_cycle->log)   1 call, never destroyed
 *   ngx_palloc(pool, S)                  R calls from that pool
 */

static ngx_int_t
ngx_http_pp_test_leak_pool_handler(ngx_http_request_t *r)
{
    u_char                       *p;
    ngx_int_t                     i, rc;
    ngx_pool_t                   *pool;
    ngx_http_pp_test_loc_conf_t  *lcf;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_poolprof_test_module);

    pool = ngx_create_pool(lcf->pool_size, ngx_cycle->log);
    if (pool == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    for (i = 0; i < lcf->repeat; i++) {

        p = ngx_palloc(pool, lcf->size);
        if (p == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_memset(p, 'p', lcf->size);
    }

    return ngx_http_pp_test_send_ok(r);
}


/*
 * One no-op free site reached through two call stacks: "?path=a"
 * (the default) or "?path=b"; anything else is 400.  Per request:
 *   at ngx_http_pp_test_noop_common, called R times through
 *   ngx_http_pp_test_path_a or ngx_http_pp_test_path_b:
 *     ngx_palloc(r->pool, S)   R calls
 *     ngx_pfree(r->pool, p)    R calls, no-ops while S <= r->pool->max
 *   at this function: no pool call.
 */

static ngx_int_t
ngx_http_pp_test_noop_via_handler(ngx_http_request_t *r)
{
    ngx_int_t                     i, rc;
    ngx_str_t                     path;
    ngx_http_pp_test_loc_conf_t  *lcf;

    static ngx_str_t  bad = ngx_string("noop_via: path must be a or b\n");

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_poolprof_test_module);

    if (ngx_http_arg(r, (u_char *) "path", 4, &path) != NGX_OK) {
        ngx_str_set(&path, "a");
    }

    if (path.len != 1 || (path.data[0] != 'a' && path.data[0] != 'b')) {
        return ngx_http_pp_test_send_text(r, NGX_HTTP_BAD_REQUEST, &bad);
    }

    for (i = 0; i < lcf->repeat; i++) {

        if (path.data[0] == 'a') {
            rc = ngx_http_pp_test_path_a(r, lcf->size);

        } else {
            rc = ngx_http_pp_test_path_b(r, lcf->size);
        }

        if (rc != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    return ngx_http_pp_test_send_ok(r);
}


static ngx_int_t
ngx_http_pp_test_path_a(ngx_http_request_t *r, size_t size)
{
    ngx_int_t  rc;

    rc = ngx_http_pp_test_noop_common(r, size);
    ngx_http_pp_test_sink = rc;

    return rc;
}


static ngx_int_t
ngx_http_pp_test_path_b(ngx_http_request_t *r, size_t size)
{
    ngx_int_t  rc;

    rc = ngx_http_pp_test_noop_common(r, size);
    ngx_http_pp_test_sink = rc + 1;

    return rc;
}


static ngx_int_t
ngx_http_pp_test_noop_common(ngx_http_request_t *r, size_t size)
{
    u_char     *p;
    ngx_int_t   rc;

    p = ngx_palloc(r->pool, size);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_memset(p, 'v', size);

    rc = ngx_pfree(r->pool, p);
    ngx_http_pp_test_sink = rc;

    return NGX_OK;
}


/*
 * Many small allocations, for the benchmark.  Per request, at this
 * function:
 *   ngx_palloc(r->pool, S)   R calls
 */

static ngx_int_t
ngx_http_pp_test_allocs_handler(ngx_http_request_t *r)
{
    u_char                       *p;
    ngx_int_t                     i, rc;
    ngx_http_pp_test_loc_conf_t  *lcf;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_poolprof_test_module);

    for (i = 0; i < lcf->repeat; i++) {

        p = ngx_palloc(r->pool, lcf->size);
        if (p == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        *p = (u_char) i;
    }

    return ngx_http_pp_test_send_ok(r);
}


/*
 * The same with ngx_pcalloc(), which calls ngx_palloc().  Per request,
 * at this function:
 *   ngx_pcalloc(r->pool, S)   R calls
 */

static ngx_int_t
ngx_http_pp_test_pcallocs_handler(ngx_http_request_t *r)
{
    u_char                       *p;
    ngx_int_t                     i, rc;
    ngx_http_pp_test_loc_conf_t  *lcf;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_poolprof_test_module);

    for (i = 0; i < lcf->repeat; i++) {

        p = ngx_pcalloc(r->pool, lcf->size);
        if (p == NULL || *p != 0) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        *p = (u_char) i;
    }

    return ngx_http_pp_test_send_ok(r);
}


/*
 * A body of R buffers of S bytes, buffer i filled with the letter
 * 'a' + i % 26, each passed in its own ngx_http_output_filter() call
 * with flush set (the last one with last_buf): exactly R calls of the
 * body filter chain.  Content-Length is R * S.  Per request, at this
 * function:
 *   ngx_create_temp_buf(r->pool, S)   R calls
 *   ngx_alloc_chain_link(r->pool)     R calls
 *
 * NGX_AGAIN from a call means the write filter kept the rest in r->out
 * and the write event will finish it; later calls append to it, and the
 * rc of the last call finalizes the request.
 */

static ngx_int_t
ngx_http_pp_test_body_handler(ngx_http_request_t *r)
{
    ngx_int_t                     i, rc;
    ngx_buf_t                    *b;
    ngx_chain_t                  *cl, *next, *out, **ll;
    ngx_http_pp_test_loc_conf_t  *lcf;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_poolprof_test_module);

    out = NULL;
    ll = &out;

    for (i = 0; i < lcf->repeat; i++) {

        b = ngx_create_temp_buf(r->pool, lcf->size);
        if (b == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_memset(b->pos, 'a' + i % 26, lcf->size);
        b->last = b->pos + lcf->size;
        b->flush = 1;

        if (i == lcf->repeat - 1) {
            b->last_buf = (r == r->main) ? 1 : 0;
            b->last_in_chain = 1;
        }

        cl = ngx_alloc_chain_link(r->pool);
        if (cl == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        cl->buf = b;
        *ll = cl;
        ll = &cl->next;
    }

    *ll = NULL;

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = (off_t) lcf->size * lcf->repeat;
    ngx_str_set(&r->headers_out.content_type, "text/plain");
    r->headers_out.content_type_len = sizeof("text/plain") - 1;
    r->headers_out.content_type_lowcase = NULL;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    for (cl = out; cl; cl = next) {
        next = cl->next;
        cl->next = NULL;

        rc = ngx_http_output_filter(r, cl);

        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }
    }

    return rc;
}


/*
 * Pool calls from a thread that poolprof does not record.  The request
 * waits while a task in nginx's thread pool "pp_test" (the main context
 * needs "thread_pool pp_test threads=1;") makes, per request, at
 * ngx_http_pp_test_thread_task():
 *   ngx_create_pool(P, log)      1 call
 *   ngx_palloc(pool, S)          R calls
 *   ngx_pcalloc(pool, S)         1 call
 *   ngx_pfree(pool, p)           1 call
 *   ngx_alloc_chain_link(pool)   1 call, and 1 ngx_palloc() in it
 *   ngx_destroy_pool(pool)       1 call
 * None is recorded; other_threads counts R + 6 (each call that the
 * recording thread would record; ngx_pcalloc() as 1).  The recording
 * thread makes no pool call at this function: ngx_thread_task_alloc()
 * makes 1 ngx_pcalloc(r->pool) per request, at its own code.
 */

static ngx_int_t
ngx_http_pp_test_thread_handler(ngx_http_request_t *r)
{
#if (NGX_THREADS)
    ngx_int_t                       rc;
    ngx_thread_task_t              *task;
    ngx_thread_pool_t              *tp;
    ngx_http_pp_test_loc_conf_t    *lcf;
    ngx_http_pp_test_thread_ctx_t  *ctx;

    static ngx_str_t  name = ngx_string("pp_test");
    static ngx_str_t  none = ngx_string("thread: no thread_pool pp_test\n");

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_poolprof_test_module);

    tp = ngx_thread_pool_get((ngx_cycle_t *) ngx_cycle, &name);
    if (tp == NULL) {
        return ngx_http_pp_test_send_text(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                          &none);
    }

    task = ngx_thread_task_alloc(r->pool,
                                 sizeof(ngx_http_pp_test_thread_ctx_t));
    if (task == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx = task->ctx;
    ctx->request = r;
    ctx->size = lcf->size;
    ctx->repeat = lcf->repeat;
    ctx->pool_size = lcf->pool_size;
    ctx->rc = NGX_ERROR;

    task->handler = ngx_http_pp_test_thread_task;
    task->event.data = task;
    task->event.handler = ngx_http_pp_test_thread_done;

    if (ngx_thread_task_post(tp, task) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* finalized by ngx_http_pp_test_thread_done() */
    r->main->count++;

    return NGX_DONE;

#else

    static ngx_str_t  none = ngx_string("thread: nginx has no threads\n");

    return ngx_http_pp_test_send_text(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                      &none);
#endif
}


#if (NGX_THREADS)

/* in a thread of the pool: its own pool, no other thread touches it */

static void
ngx_http_pp_test_thread_task(void *data, ngx_log_t *log)
{
    ngx_http_pp_test_thread_ctx_t *ctx = data;

    u_char       *p;
    ngx_int_t     i, rc;
    ngx_pool_t   *pool;
    ngx_chain_t  *cl;

    pool = ngx_create_pool(ctx->pool_size, log);
    if (pool == NULL) {
        return;
    }

    rc = NGX_ERROR;

    for (i = 0; i < ctx->repeat; i++) {

        p = ngx_palloc(pool, ctx->size);
        if (p == NULL) {
            goto done;
        }

        ngx_memset(p, 't', ctx->size);
    }

    p = ngx_pcalloc(pool, ctx->size);
    if (p == NULL) {
        goto done;
    }

    ngx_http_pp_test_sink = ngx_pfree(pool, p);

    cl = ngx_alloc_chain_link(pool);
    if (cl == NULL) {
        goto done;
    }

    cl->buf = NULL;
    cl->next = NULL;
    rc = NGX_OK;

done:

    ngx_destroy_pool(pool);
    ctx->rc = rc;
}


/* back in the recording thread, when the task is done */

static void
ngx_http_pp_test_thread_done(ngx_event_t *ev)
{
    ngx_connection_t               *c;
    ngx_thread_task_t              *task;
    ngx_http_request_t             *r;
    ngx_http_pp_test_thread_ctx_t  *ctx;

    task = ev->data;
    ctx = task->ctx;
    r = ctx->request;
    c = r->connection;

    if (ctx->rc != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);

    } else {
        ngx_http_finalize_request(r, ngx_http_pp_test_send_ok(r));
    }

    ngx_http_run_posted_requests(c);
}

#endif


/*
 * A pool that churns: R small allocations, then R frees of them, oldest
 * first.  S must be at most r->pool->max (4016 with the default
 * request_pool_size), else the response is 500.  Per request, at this
 * function:
 *   ngx_palloc(r->pool, S)   R calls, all small
 *   ngx_pfree(r->pool, p)    R calls, in the order of the allocations,
 *                            each a no-op (NGX_DECLINED)
 * so R * S bytes are pinned until the request pool is destroyed.  The R
 * pointers are kept in memory from ngx_alloc() (malloc), not from a
 * pool.  With S = 64 and R = 20000 the request pool grows by about 320
 * blocks (1.28 MB).
 */

static ngx_int_t
ngx_http_pp_test_churn_handler(ngx_http_request_t *r)
{
    u_char                      **v;
    ngx_int_t                     i, rc;
    ngx_http_pp_test_loc_conf_t  *lcf;

    static ngx_str_t  large = ngx_string("churn: pp_test_size is above "
                                         "the request pool's max\n");

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_poolprof_test_module);

    if (lcf->size > r->pool->max) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "pp_test churn: pp_test_size %uz is above the "
                      "request pool's max %uz", lcf->size, r->pool->max);

        return ngx_http_pp_test_send_text(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                          &large);
    }

    v = ngx_alloc((size_t) lcf->repeat * sizeof(u_char *),
                  r->connection->log);
    if (v == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    for (i = 0; i < lcf->repeat; i++) {

        v[i] = ngx_palloc(r->pool, lcf->size);
        if (v[i] == NULL) {
            ngx_free(v);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        *v[i] = (u_char) i;
    }

    for (i = 0; i < lcf->repeat; i++) {

        rc = ngx_pfree(r->pool, v[i]);

        if (rc != NGX_DECLINED) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "pp_test churn: ngx_pfree() returned %i", rc);
            ngx_free(v);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    ngx_free(v);

    return ngx_http_pp_test_send_ok(r);
}


static ngx_int_t
ngx_http_pp_test_send_ok(ngx_http_request_t *r)
{
    ngx_http_pp_test_loc_conf_t  *lcf;

    static ngx_str_t  ok = ngx_string("ok\n");

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_poolprof_test_module);

    if (lcf->mode == NULL || lcf->mode->ok.len == 0) {
        return ngx_http_pp_test_send_text(r, NGX_HTTP_OK, &ok);
    }

    return ngx_http_pp_test_send_text(r, NGX_HTTP_OK, &lcf->mode->ok);
}


/* sends text/plain TEXT (static memory) with STATUS as the whole response */

static ngx_int_t
ngx_http_pp_test_send_text(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *text)
{
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    r->headers_out.status = status;
    r->headers_out.content_length_n = text->len;
    ngx_str_set(&r->headers_out.content_type, "text/plain");
    r->headers_out.content_type_len = sizeof("text/plain") - 1;
    r->headers_out.content_type_lowcase = NULL;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = text->data;
    b->last = text->data + text->len;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


/*
 * The body filter.  "pp_test_filter reuse" is the seed 004 boilerplate:
 * it copies the data into its own buffers (tag: this module), taken
 * with ngx_chain_get_free_buf() from ctx->free, which
 * ngx_chain_update_chains() refills with the buffers that the filters
 * below have sent.  For the body handler's R flushed buffers of
 * S <= pp_test_filter_bufsize bytes, sent to a fast client on loopback,
 * a response gives, for this tag:
 *   misses = 1       (the first call: ctx->free is empty)
 *   hits = R - 1     (each later call: the write filter sent the
 *                     previous buffer at once because of flush, and
 *                     update_chains moved it to ctx->free)
 *   recycled = R     (every buffer, the last one included)
 * and 1 ngx_palloc(r->pool, bufsize) for the data of the only buffer
 * (checked on Debian's nginx 1.22.1, also with gzip on below us).  The
 * ngx_chain_get_free_buf() and ngx_palloc() calls are made in
 * ngx_http_pp_test_copy(), for both filters.  A client too slow for
 * the socket buffer keeps buffers busy and turns hits into misses.
 *
 * "pp_test_filter fresh" takes its buffers from a free list that it never
 * refills (tag: &ngx_http_pp_test_fresh_tag): R misses, 0 hits, and a
 * new data buffer per call.
 *
 * Input bigger than the buffer size is split over several buffers.
 * Special buffers and data only in a file (sendfile) pass through
 * untouched; empty memory buffers without flags are dropped.
 */

static ngx_int_t
ngx_http_pp_test_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    ngx_int_t                     rc;
    ngx_chain_t                  *out;
    ngx_buf_tag_t                 tag;
    ngx_http_pp_test_ctx_t       *ctx;
    ngx_http_pp_test_loc_conf_t  *lcf;

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_poolprof_test_module);

    if (lcf->filter == NGX_HTTP_PP_TEST_FILTER_OFF) {
        return ngx_http_next_body_filter(r, in);
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_poolprof_test_module);

    if (ctx == NULL) {
        if (in == NULL) {
            return ngx_http_next_body_filter(r, in);
        }

        ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_pp_test_ctx_t));
        if (ctx == NULL) {
            return NGX_ERROR;
        }

        ngx_http_set_ctx(r, ctx, ngx_http_poolprof_test_module);
    }

    if (lcf->filter == NGX_HTTP_PP_TEST_FILTER_FRESH) {
        tag = (ngx_buf_tag_t) &ngx_http_pp_test_fresh_tag;

        if (ngx_http_pp_test_copy(r, in, &ctx->fresh, tag,
                                  lcf->filter_bufsize, &out)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        return ngx_http_next_body_filter(r, out);
    }

    tag = (ngx_buf_tag_t) &ngx_http_poolprof_test_module;

    if (ngx_http_pp_test_copy(r, in, &ctx->free, tag, lcf->filter_bufsize,
                              &out)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    rc = ngx_http_next_body_filter(r, out);

    ngx_chain_update_chains(r->pool, &ctx->free, &ctx->busy, &out, tag);

    return rc;
}


/* copies the data of IN into buffers from FREE (tag TAG), into *OUT */

static ngx_int_t
ngx_http_pp_test_copy(ngx_http_request_t *r, ngx_chain_t *in,
    ngx_chain_t **free, ngx_buf_tag_t tag, size_t bufsize, ngx_chain_t **out)
{
    size_t        size, n;
    ngx_buf_t    *b, *nb;
    ngx_chain_t  *cl, **ll;

    ll = out;

    for ( /* void */ ; in; in = in->next) {
        b = in->buf;

        size = ngx_buf_in_memory(b) ? (size_t) (b->last - b->pos) : 0;

        if (size == 0) {

            if (ngx_buf_in_memory(b)
                && !b->flush && !b->last_buf && !b->sync)
            {
                continue;
            }

            /* special, or in a file only: pass it on as it is */

            cl = ngx_alloc_chain_link(r->pool);
            if (cl == NULL) {
                return NGX_ERROR;
            }

            cl->buf = b;
            *ll = cl;
            ll = &cl->next;

            continue;
        }

        while (size) {
            cl = ngx_chain_get_free_buf(r->pool, free);
            if (cl == NULL) {
                return NGX_ERROR;
            }

            nb = cl->buf;

            if (nb->start == NULL) {
                nb->start = ngx_palloc(r->pool, bufsize);
                if (nb->start == NULL) {
                    return NGX_ERROR;
                }

                nb->end = nb->start + bufsize;
            }

            n = ngx_min(size, (size_t) (nb->end - nb->start));

            nb->pos = nb->start;
            nb->last = ngx_cpymem(nb->start, b->pos, n);
            nb->tag = tag;
            nb->temporary = 1;
            nb->flush = 0;
            nb->sync = 0;
            nb->last_buf = 0;
            nb->last_in_chain = 0;

            b->pos += n;
            size -= n;

            if (size == 0) {
                nb->flush = b->flush;
                nb->sync = b->sync;
                nb->last_buf = b->last_buf;
                nb->last_in_chain = b->last_in_chain;

                if (b->in_file) {
                    b->file_pos = b->file_last;
                }
            }

            *ll = cl;
            ll = &cl->next;
        }
    }

    *ll = NULL;

    return NGX_OK;
}


static char *
ngx_http_pp_test(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_pp_test_loc_conf_t *lcf = conf;

    ngx_str_t                 *value;
    ngx_http_pp_test_mode_t   *m;
    ngx_http_core_loc_conf_t  *clcf;

    if (lcf->mode != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    for (m = ngx_http_pp_test_modes; m->name.len; m++) {
        if (m->name.len == value[1].len
            && ngx_strncmp(m->name.data, value[1].data, value[1].len) == 0)
        {
            break;
        }
    }

    if (m->name.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "unknown pp_test mode \"%V\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    lcf->mode = m;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = m->handler;

    return NGX_CONF_OK;
}


static void *
ngx_http_pp_test_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_pp_test_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_pp_test_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    conf->mode = NGX_CONF_UNSET_PTR;
    conf->size = NGX_CONF_UNSET_SIZE;
    conf->repeat = NGX_CONF_UNSET;
    conf->pool_size = NGX_CONF_UNSET_SIZE;
    conf->filter = NGX_CONF_UNSET_UINT;
    conf->filter_bufsize = NGX_CONF_UNSET_SIZE;

    return conf;
}


static char *
ngx_http_pp_test_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_pp_test_loc_conf_t *prev = parent;
    ngx_http_pp_test_loc_conf_t *conf = child;

    ngx_conf_merge_ptr_value(conf->mode, prev->mode, NULL);
    ngx_conf_merge_size_value(conf->size, prev->size, 512);
    ngx_conf_merge_value(conf->repeat, prev->repeat, 1);
    ngx_conf_merge_size_value(conf->pool_size, prev->pool_size, 1024);
    ngx_conf_merge_uint_value(conf->filter, prev->filter,
                              NGX_HTTP_PP_TEST_FILTER_OFF);
    ngx_conf_merge_size_value(conf->filter_bufsize, prev->filter_bufsize,
                              4096);

    if (conf->size == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"pp_test_size\" must be at least 1");
        return NGX_CONF_ERROR;
    }

    if (conf->repeat < 1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"pp_test_repeat\" must be at least 1");
        return NGX_CONF_ERROR;
    }

    if (conf->pool_size < NGX_MIN_POOL_SIZE
        || conf->pool_size % NGX_POOL_ALIGNMENT)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"pp_test_pool_size\" must be at least %uz "
                           "and a multiple of %uz",
                           (size_t) NGX_MIN_POOL_SIZE,
                           (size_t) NGX_POOL_ALIGNMENT);
        return NGX_CONF_ERROR;
    }

    if (conf->filter_bufsize == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"pp_test_filter_bufsize\" must be at least 1");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_pp_test_init(ngx_conf_t *cf)
{
    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_pp_test_body_filter;

    return NGX_OK;
}


/*
 * poolprof's mirrors of nginx's structures (shim/pp_ngx.h) hold for the
 * nginx this module is built against: every offset and size they list.
 */
#include "../../shim/pp_ngx.h"

#define NGX_HTTP_PP_TEST_FIELD(type, field, off)                             \
    _Static_assert(offsetof(ngx_##type, field) == (off),                     \
                   "shim/pp_ngx.h: ngx_" #type "." #field);

#define NGX_HTTP_PP_TEST_SIZE(type, size)                                    \
    _Static_assert(sizeof(ngx_##type) == (size), "shim/pp_ngx.h: ngx_" #type);

PP_NGX_FIELDS(NGX_HTTP_PP_TEST_FIELD)
PP_NGX_SIZES(NGX_HTTP_PP_TEST_SIZE)


/*
 * An interior pointer of a large allocation: per request, at this
 * function, ngx_palloc(r->pool, max + 1) (1 call, large), then
 * ngx_pfree(r->pool, big + 8) (NGX_DECLINED: an interior free) and
 * ngx_pfree(r->pool, big) (NGX_OK: freed).
 */

static ngx_int_t
ngx_http_pp_test_large_inside_handler(ngx_http_request_t *r)
{
    u_char     *big;
    ngx_int_t   rc, r1, r2;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    big = ngx_palloc(r->pool, r->pool->max + 1);
    if (big == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memset(big, 'b', r->pool->max + 1);

    r1 = ngx_pfree(r->pool, big + 8);
    r2 = ngx_pfree(r->pool, big);

    if (r1 != NGX_DECLINED || r2 != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "pp_test large_inside: ngx_pfree() returned %i %i",
                      r1, r2);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_pp_test_send_ok(r);
}


/*
 * One ngx_pfree() of each kind that is a bug.  Per request, at this
 * function:
 *   ngx_pfree(r->pool, NULL)                 1 call: a NULL free
 *   ngx_palloc(r->pool, max + 1)             1 call, large
 *   ngx_pfree(r->pool, big)                  2 calls: the first frees it
 *                                            (NGX_OK), the second is a
 *                                            repeated free (NGX_DECLINED)
 *   ngx_palloc(r->connection->pool, 16)      1 call, small
 *   ngx_pfree(r->pool, c)                    1 call: a cross-pool free, of
 *                                            the connection pool's memory
 *   ngx_palloc(r->pool, 16)                  1 call, small
 *   ngx_pfree(r->pool, q + 8)                1 call: an interior pointer
 * The 16 bytes in the connection pool stay for the connection's life.
 */

static ngx_int_t
ngx_http_pp_test_bad_frees_handler(ngx_http_request_t *r)
{
    u_char     *big, *c, *q;
    ngx_int_t   rc, r1, r2, r3, r4, r5;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    r1 = ngx_pfree(r->pool, NULL);

    big = ngx_palloc(r->pool, r->pool->max + 1);
    if (big == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memset(big, 'b', r->pool->max + 1);

    r2 = ngx_pfree(r->pool, big);
    r3 = ngx_pfree(r->pool, big);

    c = ngx_palloc(r->connection->pool, 16);
    if (c == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memset(c, 'c', 16);

    r4 = ngx_pfree(r->pool, c);

    q = ngx_palloc(r->pool, 16);
    if (q == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memset(q, 'q', 16);

    r5 = ngx_pfree(r->pool, q + 8);

    ngx_log_debug5(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "pp_test bad_frees: ngx_pfree() returned "
                   "%i %i %i %i %i", r1, r2, r3, r4, r5);

    /* NGX_OK or NGX_DECLINED, as the large list has an empty entry */
    (void) r1;

    if (r2 != NGX_OK || r3 != NGX_DECLINED || r4 != NGX_DECLINED
        || r5 != NGX_DECLINED)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "pp_test bad_frees: ngx_pfree() returned "
                      "%i %i %i %i", r2, r3, r4, r5);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_pp_test_send_ok(r);
}


/*
 * A small allocation no-op freed twice.  Per request, at this function:
 *   ngx_palloc(r->pool, S)   1 call, small while S <= r->pool->max
 *   ngx_pfree(r->pool, p)    2 calls: a no-op free that pins S bytes,
 *                            then a repeated free that pins nothing more
 */

static ngx_int_t
ngx_http_pp_test_noop_twice_handler(ngx_http_request_t *r)
{
    u_char                       *p;
    ngx_int_t                     rc;
    ngx_http_pp_test_loc_conf_t  *lcf;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_poolprof_test_module);

    p = ngx_palloc(r->pool, lcf->size);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memset(p, 't', lcf->size);

    rc = ngx_pfree(r->pool, p);
    ngx_http_pp_test_sink = rc;

    rc = ngx_pfree(r->pool, p);
    ngx_http_pp_test_sink = rc;

    return ngx_http_pp_test_send_ok(r);
}


/*
 * A library between the module and its pool: libpp_cb.so, next to this
 * module, imports nothing of nginx; its pp_cb_run() calls the callbacks
 * below, which tail-call ngx_palloc() and ngx_pfree(), so that the call
 * sites are in the library, as with libbrotlienc and the brotli filter.
 * Per request, at pp_cb_run() in libpp_cb.so:
 *   ngx_palloc(r->pool, S)   R calls, small
 *   ngx_pfree(r->pool, p)    R calls, each a no-op
 * and at pp_cb_pool() in libpp_cb.so:
 *   ngx_create_pool(P, log)  1 call, destroyed at once
 */

typedef void *(*ngx_http_pp_test_cb_alloc_pt)(void *ctx, size_t size);
typedef void (*ngx_http_pp_test_cb_free_pt)(void *ctx, void *p);
typedef int (*ngx_http_pp_test_cb_run_pt)(ngx_http_pp_test_cb_alloc_pt alloc,
    ngx_http_pp_test_cb_free_pt free, void *ctx, size_t size, unsigned n);
typedef int (*ngx_http_pp_test_cb_pool_pt)(ngx_http_pp_test_cb_alloc_pt create,
    ngx_http_pp_test_cb_free_pt destroy, void *ctx, size_t size);


static void *
ngx_http_pp_test_cb_alloc(void *ctx, size_t size)
{
    return ngx_palloc(ctx, size);
}


static void
ngx_http_pp_test_cb_free(void *ctx, void *p)
{
    (void) ngx_pfree(ctx, p);
}


static void *
ngx_http_pp_test_cb_create(void *log, size_t size)
{
    return ngx_create_pool(size, log);
}


static void
ngx_http_pp_test_cb_destroy(void *log, void *pool)
{
    ngx_destroy_pool(pool);
}


static ngx_http_pp_test_cb_pool_pt  ngx_http_pp_test_cb_pool;


static ngx_http_pp_test_cb_run_pt
ngx_http_pp_test_cb_open(ngx_log_t *log)
{
    u_char                             *slash;
    void                               *lib;
    Dl_info                             info;
    static u_char                       path[NGX_MAX_PATH];
    static ngx_http_pp_test_cb_run_pt   run;

    if (run != NULL) {
        return run;
    }

    if (dladdr((void *) &ngx_http_poolprof_test_module, &info) == 0
        || info.dli_fname == NULL
        || ngx_strlen(info.dli_fname) + sizeof("libpp_cb.so") >= NGX_MAX_PATH)
    {
        ngx_log_error(NGX_LOG_ALERT, log, 0, "pp_test lib_cb: no path");
        return NULL;
    }

    /* libpp_cb.so in the module's own directory */
    ngx_cpystrn(path, (u_char *) info.dli_fname, NGX_MAX_PATH);
    slash = (u_char *) strrchr((char *) path, '/');
    ngx_cpystrn(slash != NULL ? slash + 1 : path, (u_char *) "libpp_cb.so",
                sizeof("libpp_cb.so"));

    lib = dlopen((char *) path, RTLD_NOW);
    if (lib == NULL) {
        ngx_log_error(NGX_LOG_ALERT, log, 0, "pp_test lib_cb: %s",
                      dlerror());
        return NULL;
    }

    ngx_http_pp_test_cb_pool = (ngx_http_pp_test_cb_pool_pt) dlsym(lib,
                                                              "pp_cb_pool");
    run = (ngx_http_pp_test_cb_run_pt) dlsym(lib, "pp_cb_run");
    if (run == NULL || ngx_http_pp_test_cb_pool == NULL) {
        run = NULL;
        ngx_log_error(NGX_LOG_ALERT, log, 0, "pp_test lib_cb: %s",
                      dlerror());
    }

    return run;
}


static ngx_int_t
ngx_http_pp_test_lib_cb_handler(ngx_http_request_t *r)
{
    ngx_int_t                     rc;
    ngx_http_pp_test_cb_run_pt    run;
    ngx_http_pp_test_loc_conf_t  *lcf;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_poolprof_test_module);

    run = ngx_http_pp_test_cb_open(r->connection->log);
    if (run == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (run(ngx_http_pp_test_cb_alloc, ngx_http_pp_test_cb_free, r->pool,
            lcf->size, (unsigned) lcf->repeat)
        != 0
        || ngx_http_pp_test_cb_pool(ngx_http_pp_test_cb_create,
                                    ngx_http_pp_test_cb_destroy,
                                    r->connection->log, lcf->pool_size)
           != 0)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_pp_test_send_ok(r);
}
