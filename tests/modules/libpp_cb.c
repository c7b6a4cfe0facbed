/*
 * libpp_cb.so: a library that is not an nginx module (it imports no
 * ngx_ symbol), and allocates through callbacks its caller passes, as
 * libbrotlienc and libz do.  The test module loads it from its own
 * directory (pp_test lib_cb).  Each of the n rounds allocates size bytes
 * and frees them, from here: the call sites lie in this library; so
 * does the site that creates the pool of pp_cb_pool().
 */

#include <stddef.h>
#include <string.h>


typedef void *(*pp_cb_alloc_pt)(void *ctx, size_t size);
typedef void (*pp_cb_free_pt)(void *ctx, void *p);

int pp_cb_run(pp_cb_alloc_pt alloc, pp_cb_free_pt free_cb, void *ctx,
    size_t size, unsigned n) __attribute__((visibility("default")));
int pp_cb_pool(pp_cb_alloc_pt create, pp_cb_free_pt destroy, void *ctx,
    size_t size) __attribute__((visibility("default")));


int
pp_cb_run(pp_cb_alloc_pt alloc, pp_cb_free_pt free_cb, void *ctx,
    size_t size, unsigned n)
{
    void      *p;
    unsigned   i;

    for (i = 0; i < n; i++) {
        p = alloc(ctx, size);
        if (p == NULL) {
            return -1;
        }

        memset(p, 'c', size);
        free_cb(ctx, p);
    }

    return 0;
}


/* a pool of its own, created and destroyed through the callbacks */
int
pp_cb_pool(pp_cb_alloc_pt create, pp_cb_free_pt destroy, void *ctx,
    size_t size)
{
    void  *pool;

    pool = create(ctx, size);
    if (pool == NULL) {
        return -1;
    }

    destroy(ctx, pool);

    return 0;
}
