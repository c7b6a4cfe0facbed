/*
 * libpoolprof.so: the state of the process and of its recording thread,
 * the configuration, and the runtime's functions (the segment, the
 * shard, the hooks).  The recorders have headers of their own: pp_ngx.h
 * (nginx's structures), pp_table.h, pp_stack.h, pp_track.h, pp_bufs.h.
 */

#ifndef _PP_SHIM_H_INCLUDED_
#define _PP_SHIM_H_INCLUDED_

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "pp_segment.h"
#include "pp_time.h"
#include "pp_layout.h"


#define PP_API        __attribute__((visibility("default")))
#define PP_TLS        __thread __attribute__((tls_model("initial-exec")))
#define pp_likely(x)    __builtin_expect(!!(x), 1)
#define pp_unlikely(x)  __builtin_expect(!!(x), 0)

#define PP_STACKS_DEFAULT        512     /* 1 in N events */
#define PP_STACK_DEPTH_DEFAULT   16
#define PP_LONG_LIVED_DEFAULT    10000000000ULL     /* 10 s */
#define PP_LONG_LIVED_OFF        UINT64_MAX
#define PP_SIZE_DEFAULT          (64 * 1024 * 1024)
#define PP_KEEP_MAX_DEFAULT      4
#define PP_MAX_TRACKED_DEFAULT   1000000


/* the state of one thread; only the main thread of a process records */
typedef struct {
    uint32_t                active;     /* this thread records */
    uint32_t                depth;      /* hooked calls on the stack */
    uintptr_t               site;       /* of the outermost hooked call */
    uint64_t                countdown;  /* events to the next stack */
    uint64_t                rng;
} pp_tls_t;

extern PP_TLS pp_tls_t  pp_tls;


/* the POOLPROF_* environment, parsed once (pp_config.c) */
typedef struct {
    const char             *segment;        /* POOLPROF_SEGMENT, or NULL */
    const char             *dir;            /* POOLPROF_DIR, or NULL */
    const char             *skip;           /* POOLPROF_SKIP, or NULL */
    uint64_t                size;
    uint64_t                max_tracked;
    uint64_t                long_lived_ns;
    uint32_t                shards;
    uint32_t                keep_max;
    uint32_t                stack_period;
    uint32_t                stack_depth;
    uint32_t                sample_period;  /* POOLPROF_SAMPLE */
    uint64_t                sample_seed;    /* POOLPROF_SAMPLE_SEED */
    int                     gid;            /* POOLPROF_GROUP, or -1 */
    int                     keep;
    int                     small;
    int                     verbose;
} pp_conf_t;

extern pp_conf_t  pp_conf;

void pp_conf_load(void);
int pp_conf_disabled(void);


/*
 * The state of one process.  Everything that places or sizes something
 * in the segment is kept here, privately, once the segment was made or
 * checked: a value read back from the shared mapping, which any process
 * of the instance can write, never indexes memory.
 */
typedef struct {
    pp_seg_header_t        *seg;
    size_t                  seg_size;
    pp_layout_t             lay;
    int                     fd;             /* own description, locked */
    int                     fork_fd;        /* the next child's, or -1 */
    char                    path[PP_PATH_MAX];
    uint32_t                shard_index;
    int                     lost;           /* the file shrank under us */
    uint32_t                nobjects;       /* rows used in objects */
    uint64_t                stack_period;
    uint32_t                stack_depth;
    uint64_t                long_lived_ns;
    uint32_t                sample_period;  /* 1 in N pools; < 2: all */
    pp_shard_t             *shard;
    pp_totals_t            *totals;         /* in the shard */
    pp_site_t              *sites;
    pp_pool_t              *pools;
    pp_tag_t               *tags;
    pp_object_t            *objects;
    pp_stack_t             *stacks;
    pp_growth_t            *growth;
    pp_lpool_t             *live;
    uint32_t                stack_mask;
    uint32_t                pid;
    uintptr_t              *ngx_process;    /* nginx's ngx_process */
    volatile uintptr_t     *ngx_msec;       /* nginx's ngx_current_msec */
    uint64_t                long_lived_ms;  /* INT64_MAX: off */
    int                     verbose;
} pp_proc_t;

extern pp_proc_t  pp_proc;


/* pp_shm.c: the segment file */
int pp_shm_open(char *err, size_t len);
void pp_shm_fork_prepare(void);
void pp_shm_fork_parent(void);
void pp_shm_fork_child(void);
void pp_shm_close(void);

/* pp_guard.c */
int pp_guard_install(void *seg, size_t size);

/* pp_shard.c: this process's shard */
int pp_shard_claim(void);
void pp_shard_exit(int code);
int pp_shard_crashed(void);

/* pp_retire.c: folding ended processes into shard 0 */
void pp_retire_fold(pp_shard_t *dead);

/* pp_objects.c */
void pp_objects_scan(void);
void pp_objects_check(uintptr_t addr);
int pp_objects_nginx_side(uintptr_t addr);

/* pp_hooks.c */
struct pp_elf_s;
int pp_hooks_install(struct pp_elf_s *elf);
int pp_hooks_total(void);

/* pp_shim.c */
void pp_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));


static inline uint32_t
pp_hash(uintptr_t key)
{
    uint64_t  h;

    h = (uint64_t) key * 0x9e3779b97f4a7c15ULL;

    return (uint32_t) (h >> 32);
}


#endif /* _PP_SHIM_H_INCLUDED_ */
