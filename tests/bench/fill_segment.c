/*
 * fill_segment FILE [SIZE_MB]: writes a segment of SIZE_MB (default 64)
 * laid out by pp_layout() as the shim lays out its default segment, with
 * every row of every table of every shard in use: the worst case for
 * poolprof-report.  Keys are addresses inside one object, /usr/sbin/nginx
 * when it exists, so that symbolization has real work to do.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "pp_layout.h"


static uint64_t  rng = 0x9e3779b97f4a7c15ULL;


static uint64_t
next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;

    return rng;
}


int
main(int argc, char **argv)
{
    FILE             *f;
    size_t            size, shard_size, i, k;
    uint32_t          s, d;
    unsigned char    *buf, *sh;
    struct stat       st;
    pp_site_t        *site;
    pp_pool_t        *pool;
    pp_tag_t         *tag;
    pp_stack_t       *stack;
    pp_growth_t      *g;
    pp_lpool_t       *l;
    pp_object_t      *o;
    pp_shard_t       *shard;
    pp_layout_t       lay;
    pp_seg_header_t  *h;
    const uint64_t    base = 0x555555554000ULL, span = 0x100000;

    if (argc < 2) {
        fprintf(stderr, "usage: fill_segment FILE [SIZE_MB]\n");
        return 2;
    }

    size = (size_t) (argc > 2 ? atoi(argv[2]) : 64) * 1024 * 1024;
    buf = calloc(1, size);
    if (buf == NULL) {
        return 1;
    }

    if (pp_layout(size, PP_SHARDS_DEFAULT, &lay) != 0) {
        fprintf(stderr, "fill_segment: %zu bytes cannot hold a segment\n",
                size);
        return 1;
    }

    h = (pp_seg_header_t *) buf;
    memcpy(h->magic, PP_SEG_MAGIC, 8);
    h->version = PP_SEG_VERSION;
    h->header_size = PP_SEG_HEADER_SIZE;
    pp_layout_to_header(&lay, h);
    h->creator_pid = 1;
    h->ready = 1;
    h->created_real_ns = (uint64_t) time(NULL) * 1000000000;
    shard_size = h->shard_size;

    h->stack_period = 512;
    h->stack_depth = 16;
    h->long_lived_ns = 10000000000ULL;
    strcpy(h->exe, "/usr/sbin/nginx");

    for (s = 0; s < h->nshards; s++) {
        sh = buf + h->shard_off + (size_t) s * shard_size;
        shard = (pp_shard_t *) sh;
        shard->pid = 1000 + s;
        shard->ppid = 1000;
        /* shard 0 is the retired aggregate of ended processes */
        shard->state = s ? PP_SHARD_EXITED : PP_SHARD_RETIRED;
        shard->role = s ? PP_ROLE_WORKER : PP_ROLE_MASTER;
        shard->nobjects_used = 1;
        shard->end_mono_ns = 1;
        shard->totals.allocs = 1000000;

        o = (pp_object_t *) (sh + h->objects_off);
        o->base = base;
        o->lo = base;
        o->hi = base + span;
        strcpy(o->path, "/usr/sbin/nginx");
        if (stat(o->path, &st) != 0) {
            strcpy(o->path, "/nonexistent/nginx");
        }

        for (i = 0; i < h->nsites; i++) {
            site = (pp_site_t *) (sh + h->sites_off) + i;
            site->key = base + next() % span;
            site->allocs = next() % 1000;
            site->alloc_bytes = next() % 100000;
            site->noop_frees = next() % 10;
            site->pinned_bytes = next() % 1000;
            site->pinned_byte_seconds = (double) (next() % 1000) / 7;
        }

        for (i = 0; i < h->npools; i++) {
            pool = (pp_pool_t *) (sh + h->pools_off) + i;
            pool->key = base + next() % span;
            pool->created = pool->destroyed = next() % 1000;
            pool->size = 1024;
            pool->unused_bytes = next() % 100000;
            for (k = 0; k < 64; k++) {
                pool->used.count[k] = (uint32_t) (next() % 100);
                pool->lifetime.count[k + 64] = (uint32_t) (next() % 100);
            }
        }

        for (i = 0; i < h->ntags; i++) {
            tag = (pp_tag_t *) (sh + h->tags_off) + i;
            tag->key = base + next() % span;
            tag->hits = next() % 1000;
            tag->misses = next() % 1000;
        }

        for (i = 0; i < h->nstacks; i++) {
            stack = (pp_stack_t *) (sh + h->stacks_off) + i;
            stack->key = next() | 1;
            stack->depth = h->stack_depth;
            for (d = 0; d < stack->depth; d++) {
                stack->frames[d] = base + next() % span;
            }
            stack->allocs = 1 + next() % 100;
            stack->alloc_bytes = next() % 10000;
            stack->pinned_bytes = next() % 1000;
            stack->noop_frees = next() % 10;
        }

        for (i = 0; i < h->ngrowth; i++) {
            g = (pp_growth_t *) (sh + h->growth_off) + i;
            g->key = next() | 1;
            g->site = base + next() % span;
            g->pool_site = base + next() % span;
            g->allocs = next() % 100;
            g->bytes = next() % 10000;
        }

        for (i = 0; i < h->nlive; i++) {
            l = (pp_lpool_t *) (sh + h->live_off) + i;
            l->key = next() | 1;
            l->site = base + next() % span;
            l->alloc_bytes = next() % 100000;
        }
    }

    f = fopen(argv[1], "wb");
    if (f == NULL || fwrite(buf, 1, size, f) != size || fclose(f) != 0) {
        fprintf(stderr, "fill_segment: cannot write %s\n", argv[1]);
        return 1;
    }

    free(buf);

    return 0;
}
