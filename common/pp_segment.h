/*
 * poolprof segment format, version 4 (readers also take 2 and 3).
 *
 * The only contract between the shim (the writer, inside nginx) and
 * poolprof-report (the reader).  poolprof-segment(5) describes it in
 * words.  Every offset is from the start of the file; every integer is
 * little-endian and naturally aligned.
 *
 *   pp_seg_header_t                      at 0, PP_SEG_HEADER_SIZE bytes
 *   shard 0 .. nshards-1                 at shard_off + i * shard_size
 *
 * A shard belongs to one process, its only writer.  Shard 0 is the
 * retired aggregate (version 3): the figures of processes that have
 * ended, folded in so that their shards can be reused.  A shard is:
 *
 *   pp_shard_t                           at 0 of the shard
 *   pp_site_t    sites[nsites + 1]       at sites_off   (last = overflow)
 *   pp_pool_t    pools[npools + 1]       at pools_off   (last = overflow)
 *   pp_tag_t     tags[ntags + 1]         at tags_off    (last = overflow)
 *   pp_object_t  objects[nobjects]       at objects_off
 *   pp_stack_t   stacks[nstacks + 1]     at stacks_off  (last = overflow)
 *   pp_growth_t  growth[ngrowth + 1]     at growth_off  (last = overflow)
 *   pp_lpool_t   live[nlive]             at live_off    (slots, not hashed)
 *
 * Tables are rows keyed by an address (or a hash); key 0 is an empty
 * row.  The writer hands out rows in order and finds them through a
 * private index (stacks: placed by their hash); a reader reads them all.  The writer fills a row and stores its key last, so a
 * reader that sees a key sees a row that belongs to it; counters may be
 * a few events behind while the process runs.  A row that found no
 * room counts into the overflow row (key 0, index = capacity).
 */

#ifndef _PP_SEGMENT_H_INCLUDED_
#define _PP_SEGMENT_H_INCLUDED_

#include <stdint.h>


#define PP_SEG_MAGIC          "POOLPROF"
#define PP_SEG_VERSION        4
#define PP_SEG_VERSION_MIN    2     /* the oldest version readers take */
#define PP_SEG_HEADER_SIZE    4096
#define PP_SEG_MIN_SIZE       (PP_SEG_HEADER_SIZE + 64 * 1024)

/*
 * Where segments are, without POOLPROF_DIR or POOLPROF_SEGMENT:
 * PP_SEG_RUN_DIR for root, PP_SEG_USER_DIR followed by the effective
 * uid for anybody else; each file is PP_SEG_PREFIX followed by the pid
 * of the nginx that made it.  Older versions put their segments in
 * PP_SEG_OLD_DIR, where readers still look.
 */
#define PP_SEG_RUN_DIR        "/run/poolprof"
#define PP_SEG_USER_DIR       "/dev/shm/poolprof-"
#define PP_SEG_OLD_DIR        "/dev/shm"
#define PP_SEG_PREFIX         "poolprof."

#define PP_SEG_SAMPLE_MAX     1000000000  /* POOLPROF_SAMPLE's largest */

#define PP_PATH_MAX           256
#define PP_BUILD_ID_MAX       32
#define PP_HIST_BUCKETS       256
#define PP_STACK_FRAMES       24    /* the most frames a stack row holds */

/* pp_shard_t.state */
#define PP_SHARD_FREE         0
#define PP_SHARD_ALIVE        1
#define PP_SHARD_EXITED       2     /* ran its exit handlers */
#define PP_SHARD_RETIRED      3     /* shard 0: ended processes, folded */
#define PP_SHARD_FOLDING      4     /* being folded into shard 0 */

/* the byte ranges of the segment file that locks cover (F_OFD_SETLK) */
#define PP_LOCK_MAPPED        0     /* read-locked by every mapper */
#define PP_LOCK_FOLD          1     /* write-locked while folding */

/*
 * pp_shard_t.role: nginx's own ngx_process values, plus the kinds the
 * shim tells apart itself.
 */
#define PP_ROLE_SINGLE        0
#define PP_ROLE_MASTER        1
#define PP_ROLE_SIGNALLER     2
#define PP_ROLE_WORKER        3
#define PP_ROLE_HELPER        4     /* cache manager or cache loader */
#define PP_ROLE_UNKNOWN       15


typedef struct {
    char            magic[8];       /* PP_SEG_MAGIC, no NUL */
    uint32_t        version;        /* PP_SEG_VERSION */
    uint32_t        header_size;    /* PP_SEG_HEADER_SIZE */
    uint64_t        size;           /* the whole file */
    uint32_t        nshards;
    uint32_t        shard_size;
    uint64_t        shard_off;
    uint32_t        creator_pid;
    uint32_t        ready;          /* 1 once the header is complete */
    uint64_t        created_real_ns;    /* CLOCK_REALTIME */
    uint64_t        created_mono_ns;    /* CLOCK_MONOTONIC */
    uint32_t        nsites;         /* capacities of every shard */
    uint32_t        npools;
    uint32_t        ntags;
    uint32_t        nobjects;
    uint32_t        sites_off;      /* offsets inside a shard */
    uint32_t        pools_off;
    uint32_t        tags_off;
    uint32_t        objects_off;
    uint32_t        hooks_ok;       /* functions hooked in the creator */
    uint32_t        hooks_failed;
    char            exe[PP_PATH_MAX];   /* the creator's executable */

    /* version 2 */
    uint32_t        nstacks;
    uint32_t        stacks_off;
    uint32_t        ngrowth;
    uint32_t        growth_off;
    uint32_t        nlive;
    uint32_t        live_off;
    uint32_t        stack_period;   /* 1 in N events sampled; 0 = off */
    uint32_t        stack_depth;    /* frames kept, <= PP_STACK_FRAMES */
    uint64_t        long_lived_ns;  /* POOLPROF_LONG_LIVED; ~0 = off */

    /* version 3 */
    uint32_t        claims_failed;  /* processes that found no shard */
    uint32_t        retired;        /* processes folded into shard 0 */
    uint32_t        retired_crashed;    /* of them, ended on a signal */
    uint32_t        objects_dropped;    /* objects no table had room for */
    uint32_t        flags;          /* PP_SEG_KEEP */

    /* version 4 */
    uint32_t        sample_period;  /* 1 in N pools tracked; 0, 1 = all;
                                       at most PP_SEG_SAMPLE_MAX */
} pp_seg_header_t;

/* pp_seg_header_t.flags */
#define PP_SEG_KEEP           1     /* not removed when its nginx exits */


typedef struct {
    uint64_t        pools_created;
    uint64_t        pools_destroyed;
    uint64_t        pool_resets;
    uint64_t        allocs;         /* every ngx_p*alloc */
    uint64_t        alloc_bytes;    /* requested sizes */
    uint64_t        small_allocs;
    uint64_t        large_allocs;
    uint64_t        noop_frees;     /* ngx_pfree returned NGX_DECLINED */
    uint64_t        pinned_bytes;   /* sizes of no-op freed allocations */
    uint64_t        freed;          /* ngx_pfree returned NGX_OK */
    uint64_t        foreign_frees;  /* pointer the pool never handed out */
    uint64_t        unknown_frees;  /* no-op free, size unknown (cap) */
    uint64_t        unused_bytes;   /* at destroy and reset */
    uint64_t        stranded_bytes;
    uint64_t        padding_bytes;
    uint64_t        untracked;      /* events on pools beyond the cap */
    uint64_t        other_threads;  /* calls from threads: not recorded */
    uint64_t        overflow;       /* rows that found no room */
    uint64_t        fb_hits;        /* ngx_chain_get_free_buf */
    uint64_t        fb_misses;
    uint64_t        recycled;       /* ngx_chain_update_chains */
    uint64_t        busy;
    uint64_t        foreign_freed;
    uint64_t        cl_hits;        /* ngx_alloc_chain_link */
    uint64_t        cl_misses;
    uint64_t        ll_allocs;      /* into pools older than long_lived_ns */
    uint64_t        ll_bytes;
    uint64_t        leaked_pools;   /* created here, alive at a clean exit */
    uint64_t        stack_samples;  /* events whose stack was taken */
    uint64_t        live_dropped;   /* live pools the live table missed */

    /* version 4 (rows of older versions read as 0 here) */
    uint64_t        zeroed_bytes;   /* bytes ngx_pcalloc zeroed */
    uint64_t        frees_null;     /* ngx_pfree(pool, NULL) */
    uint64_t        frees_repeated; /* of a pointer already (no-op) freed */
    uint64_t        frees_cross_pool;   /* handed out by another live pool */
    uint64_t        frees_interior; /* inside an allocation, not its start */
    uint64_t        pools_unsampled;    /* not tracked: 1 in sample_period */
    uint64_t        reserved[2];
} pp_totals_t;


typedef struct {
    uint32_t        pid;
    uint32_t        ppid;
    uint32_t        state;          /* PP_SHARD_* */
    uint32_t        role;           /* PP_ROLE_* */
    uint64_t        start_real_ns;
    uint64_t        start_mono_ns;
    uint64_t        end_mono_ns;    /* 0 while alive */
    uint64_t        proc_starttime; /* /proc/PID/stat field 22 */
    uint32_t        nobjects_used;
    uint32_t        exit_code;
    pp_totals_t     totals;
} pp_shard_t;


/* a call site: the return address of the outermost hooked call */
typedef struct {
    uint64_t        key;            /* address; 0 = empty */
    uint64_t        allocs;
    uint64_t        alloc_bytes;
    uint64_t        large_allocs;
    uint64_t        noop_frees;
    uint64_t        pinned_bytes;
    double          pinned_byte_seconds;
    uint64_t        freed;
    uint64_t        foreign_frees;
    uint64_t        unknown_frees;
    uint64_t        fb_hits;        /* ngx_chain_get_free_buf here */
    uint64_t        fb_misses;
    uint64_t        cl_hits;        /* ngx_alloc_chain_link here */
    uint64_t        cl_misses;
    uint64_t        ll_allocs;      /* into pools older than long_lived_ns */
    uint64_t        ll_bytes;

    /* version 4 */
    uint64_t        zeroed_bytes;   /* bytes ngx_pcalloc zeroed here */
    uint64_t        frees_null;
    uint64_t        frees_repeated;
    uint64_t        frees_cross_pool;
    uint64_t        frees_interior;
    uint64_t        cross_site;     /* the last cross-pool free's pool site */
    uint64_t        owner;          /* see below */
    uint64_t        reserved;
} pp_site_t;

/*
 * owner (version 4): when the site lies in a library that nginx or a
 * module called (libbrotlienc calling the module's allocator callback),
 * the address of the first frame on the way to it that lies in nginx or
 * in an nginx module; 0 when the site itself lies in one, or unknown.
 *
 * A version 2 or 3 row is the prefix of its version 4 row: every field
 * added since is appended to its record, and reads as 0 in older ones.
 */


/*
 * log-linear histogram: bucket b < 8 holds the value b; above, 4 buckets
 * per power of two.  pp_hist_bucket() and pp_hist_lower() are the
 * reference implementation.
 */
typedef struct {
    uint32_t        count[PP_HIST_BUCKETS];
} pp_hist_t;


/* pools, keyed by the site that created them */
typedef struct {
    uint64_t        key;
    uint64_t        created;
    uint64_t        destroyed;
    uint64_t        resets;         /* generations ended by ngx_reset_pool */
    uint64_t        size;           /* size passed to ngx_create_pool */
    uint64_t        blocks;         /* Σ blocks at destroy/reset */
    uint64_t        spilled;        /* generations that needed > 1 block */
    uint64_t        unused_bytes;
    uint64_t        stranded_bytes;
    uint64_t        padding_bytes;
    uint64_t        small_allocs;
    uint64_t        small_bytes;
    uint64_t        large_allocs;
    uint64_t        large_bytes;
    uint64_t        lifetime_ns;    /* Σ */
    uint64_t        ll_allocs;      /* made while older than long_lived_ns */
    uint64_t        ll_bytes;
    uint64_t        leaked;         /* alive when the process exited */
    pp_hist_t       used;           /* bytes handed out per generation */
    pp_hist_t       lifetime;       /* ns from create to destroy */

    /* version 4 */
    uint64_t        owner;          /* as pp_site_t's owner */
    uint64_t        reserved4[3];
} pp_pool_t;


/* output buffers, keyed by buf->tag */
typedef struct {
    uint64_t        key;
    uint64_t        hits;           /* ngx_chain_get_free_buf from *free */
    uint64_t        misses;         /* new link and buffer */
    uint64_t        recycled;       /* moved to *free by update_chains */
    uint64_t        busy;           /* left busy by update_chains */
    uint64_t        foreign_freed;  /* other tags' links it freed */
    uint64_t        own_hits;       /* inferred for modules that keep */
    uint64_t        own_misses;     /* their own free list (gzip): below */
} pp_tag_t;

/*
 * own_hits and own_misses: a module that never calls
 * ngx_chain_get_free_buf() on a free list (gzip takes ctx->free itself)
 * is measured at ngx_chain_update_chains(): links that left *free since
 * its last call were reused (hits); links of its tag in *out beyond
 * those are new buffers (misses).
 */
#define PP_TAG_NONE           1     /* the key of buffers with no tag */


/* a loaded object: the executable, a library, an nginx module */
typedef struct {
    uint64_t        base;           /* load bias (dlpi_addr) */
    uint64_t        lo;             /* lowest mapped address */
    uint64_t        hi;             /* one past the highest */
    uint64_t        dev;
    uint64_t        ino;
    int64_t         mtime;
    uint64_t        file_size;
    uint32_t        build_id_len;
    uint32_t        reserved;
    uint8_t         build_id[PP_BUILD_ID_MAX];
    char            path[PP_PATH_MAX];
} pp_object_t;


/*
 * A sampled call stack, deduplicated: key is a hash of the frames (never
 * 0).  frames[0] is the site (the return address of the outermost hooked
 * call), frames[1..] its callers.  The counters are sampled events, not
 * estimates: the reporter multiplies by the header's stack_period.
 */
typedef struct {
    uint64_t        key;
    uint32_t        depth;          /* frames used */
    uint32_t        reserved;
    uint64_t        allocs;         /* sampled ngx_p*alloc */
    uint64_t        alloc_bytes;
    uint64_t        noop_frees;     /* sampled no-op ngx_pfree */
    uint64_t        pinned_bytes;
    uint64_t        pools;          /* sampled ngx_create_pool */
    uint64_t        unused_bytes;   /* at the end of those pools */
    uint64_t        frames[PP_STACK_FRAMES];
} pp_stack_t;


/*
 * Growth: allocations into pools older than long_lived_ns, keyed by the
 * pair (allocating site, site that created the pool); key is a hash of
 * the pair, never 0.  A "return" is an allocation into the same pool as
 * this site's previous one after other pools were created in between
 * (typically: on the next request).
 */
typedef struct {
    uint64_t        key;
    uint64_t        site;
    uint64_t        pool_site;
    uint64_t        allocs;
    uint64_t        bytes;
    uint64_t        pools;          /* times it moved to another pool */
    uint64_t        returns;
    uint64_t        max_age_ns;     /* the oldest pool it allocated into */
    uint64_t        reserved[2];    /* 0; older writers kept state here */
} pp_growth_t;


/*
 * A live pool, published while it lives: key is the pool's address, 0 =
 * a free slot.  The writer clears key first when a slot is released and
 * stores it last when a slot is filled.  When the table is full a pool
 * that grows may take the slot of the smallest pool not yet older than
 * long_lived_ns; older pools keep theirs.  What is left when the
 * process has exited are the pools it never destroyed.
 */
#define PP_LPOOL_INHERITED    1     /* created by the parent before fork */

typedef struct {
    uint64_t        key;
    uint64_t        site;           /* that created it */
    uint64_t        created_mono_ns;
    uint64_t        size;
    uint64_t        allocs;
    uint64_t        alloc_bytes;
    uint64_t        large_allocs;
    uint64_t        large_bytes;
    uint64_t        blocks;
    uint64_t        ll_allocs;
    uint64_t        ll_bytes;
    uint32_t        flags;          /* PP_LPOOL_* */
    uint32_t        reserved;
} pp_lpool_t;


/* the sizes of the format's records: a change is a new format version */
_Static_assert(sizeof(pp_seg_header_t) == 424, "header size");
_Static_assert(sizeof(pp_seg_header_t) <= PP_SEG_HEADER_SIZE, "header page");
_Static_assert(sizeof(pp_totals_t) == 304, "pp_totals_t size");
_Static_assert(sizeof(pp_totals_t) % 8 == 0, "pp_totals_t: 64-bit counters");
_Static_assert(sizeof(pp_shard_t) == 360, "pp_shard_t size");
_Static_assert(sizeof(pp_site_t) == 192, "pp_site_t size");
_Static_assert(sizeof(pp_pool_t) == 2224, "pp_pool_t size");
_Static_assert(sizeof(pp_tag_t) == 64, "pp_tag_t size");
_Static_assert(sizeof(pp_object_t) == 352, "pp_object_t size");
_Static_assert(sizeof(pp_stack_t) == 256, "pp_stack_t size");
_Static_assert(sizeof(pp_growth_t) == 80, "pp_growth_t size");
_Static_assert(sizeof(pp_lpool_t) == 96, "pp_lpool_t size");


/*
 * The sizes of the records that grew in version 4, as the version that
 * wrote a segment has them: a reader reads each such record into a
 * zeroed current one, the old size from the file.
 */
#define PP_V3_SHARD_SIZE      312   /* pp_shard_t, versions 2 and 3 */
#define PP_V3_SITE_SIZE       128
#define PP_V3_POOL_SIZE       2192

typedef struct {
    uint32_t        shard;          /* pp_shard_t */
    uint32_t        site;           /* pp_site_t */
    uint32_t        pool;           /* pp_pool_t */
} pp_seg_sizes_t;

static inline pp_seg_sizes_t
pp_seg_sizes(uint32_t version)
{
    pp_seg_sizes_t  z;

    if (version < 4) {
        z.shard = PP_V3_SHARD_SIZE;
        z.site = PP_V3_SITE_SIZE;
        z.pool = PP_V3_POOL_SIZE;

    } else {
        z.shard = sizeof(pp_shard_t);
        z.site = sizeof(pp_site_t);
        z.pool = sizeof(pp_pool_t);
    }

    return z;
}


static inline uint32_t
pp_hist_bucket(uint64_t v)
{
    uint32_t  log2, b;

    if (v < 8) {
        return (uint32_t) v;
    }

    log2 = 63 - (uint32_t) __builtin_clzll(v);     /* >= 3 */
    b = 8 + (log2 - 3) * 4 + (uint32_t) ((v >> (log2 - 2)) & 3);

    return b < PP_HIST_BUCKETS ? b : PP_HIST_BUCKETS - 1;
}


static inline uint64_t
pp_hist_lower(uint32_t b)
{
    uint32_t  log2;

    if (b < 8) {
        return b;
    }

    log2 = 3 + (b - 8) / 4;

    return ((uint64_t) 1 << log2) + ((uint64_t) ((b - 8) % 4) << (log2 - 2));
}


#endif /* _PP_SEGMENT_H_INCLUDED_ */
