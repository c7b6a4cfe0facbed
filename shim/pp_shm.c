/*
 * The segment: created (or joined) by the first process, one shard per
 * process.  A shard is claimed with one compare-and-swap at start-up or
 * right after fork(); from then on its process is its only writer.
 */

#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pp_proc.h"
#include "pp_shim.h"


typedef struct {
    uint32_t    nsites;
    uint32_t    npools;
    uint32_t    ntags;
    uint32_t    nobjects;
    uint32_t    nstacks;
    uint32_t    ngrowth;
    uint32_t    nlive;
} pp_caps_t;


static uint32_t pp_pow2_floor(uint64_t n);
static size_t pp_layout(pp_seg_header_t *h, const pp_caps_t *c);
static int pp_shm_join(int fd, char *err, size_t len);
static void pp_shm_settings(pp_seg_header_t *h);
static int pp_duration(const char *s, uint64_t *ns);
static int pp_shm_has_alive(pp_seg_header_t *h, pid_t pid);
static int pp_object_cb(struct dl_phdr_info *info, size_t size, void *data);


static uint32_t
pp_pow2_floor(uint64_t n)
{
    uint32_t  p;

    if (n < 2) {
        return 1;
    }

    for (p = 1; (uint64_t) p * 2 <= n && p < 0x40000000; p *= 2) {
        /* void */
    }

    return p;
}


/* places the tables of a shard; returns the bytes they need */
static size_t
pp_layout(pp_seg_header_t *h, const pp_caps_t *c)
{
    size_t  off;

    off = (sizeof(pp_shard_t) + 63) & ~(size_t) 63;
    h->sites_off = off;
    off += (size_t) (c->nsites + 1) * sizeof(pp_site_t);
    h->pools_off = off;
    off += (size_t) (c->npools + 1) * sizeof(pp_pool_t);
    h->tags_off = off;
    off += (size_t) (c->ntags + 1) * sizeof(pp_tag_t);
    h->objects_off = off;
    off += (size_t) c->nobjects * sizeof(pp_object_t);
    h->stacks_off = off;
    off += (size_t) (c->nstacks + 1) * sizeof(pp_stack_t);
    h->growth_off = off;
    off += (size_t) (c->ngrowth + 1) * sizeof(pp_growth_t);
    h->live_off = off;
    off += (size_t) c->nlive * sizeof(pp_lpool_t);

    h->nsites = c->nsites;
    h->npools = c->npools;
    h->ntags = c->ntags;
    h->nobjects = c->nobjects;
    h->nstacks = c->nstacks;
    h->ngrowth = c->ngrowth;
    h->nlive = c->nlive;

    return off;
}


int
pp_shm_create(const char *path, size_t size, char *err, size_t len)
{
    int               fd, rc;
    char             *s;
    uint32_t          nshards, shard_size;
    pp_caps_t         c;
    pp_seg_header_t  *h;
    struct timespec   ts;

    size &= ~(size_t) 4095;

    if (size < PP_SEG_MIN_SIZE) {
        snprintf(err, len, "POOLPROF_SIZE %zu is below the minimum %d",
                 size, PP_SEG_MIN_SIZE);
        return -1;
    }

    fd = open(path, O_RDWR | O_CLOEXEC);

    if (fd != -1) {
        /* a running instance's segment is joined, never overwritten */
        rc = pp_shm_join(fd, err, len);
        close(fd);
        if (rc != 1) {
            return rc;
        }
    }

    fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd == -1) {
        snprintf(err, len, "failed to create %s: %s", path, strerror(errno));
        return -1;
    }

    /* tmpfs reports no space here, not with a SIGBUS on first write */
    rc = posix_fallocate(fd, 0, (off_t) size);
    if (rc != 0) {
        snprintf(err, len, "failed to allocate %zu bytes for %s: %s",
                 size, path, strerror(rc));
        close(fd);
        unlink(path);
        return -1;
    }

    h = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);

    if (h == MAP_FAILED) {
        snprintf(err, len, "failed to map %s: %s", path, strerror(errno));
        unlink(path);
        return -1;
    }

    nshards = 32;
    s = getenv("POOLPROF_SHARDS");
    if (s != NULL && atoi(s) > 0 && atoi(s) <= 1024) {
        nshards = (uint32_t) atoi(s);
    }

    while (nshards > 1
           && (size - PP_SEG_HEADER_SIZE) / nshards < 32 * 1024)
    {
        nshards /= 2;
    }

    shard_size = (uint32_t) (((size - PP_SEG_HEADER_SIZE) / nshards)
                             & ~(size_t) 4095);

    /*
     * about 30% sites, 30% pool sites, 3% tags, 5% objects, 16% stacks,
     * 6% growth, 8% live pools
     */
    c.nsites = pp_pow2_floor(shard_size / 100 * 30 / sizeof(pp_site_t));
    c.npools = pp_pow2_floor(shard_size / 100 * 30 / sizeof(pp_pool_t));
    c.ntags = pp_pow2_floor(shard_size / 100 * 3 / sizeof(pp_tag_t));
    c.nstacks = pp_pow2_floor(shard_size / 100 * 16 / sizeof(pp_stack_t));
    c.ngrowth = pp_pow2_floor(shard_size / 100 * 6 / sizeof(pp_growth_t));
    c.nlive = shard_size / 100 * 8 / sizeof(pp_lpool_t);
    c.nobjects = shard_size / 100 * 5 / sizeof(pp_object_t);
    if (c.nobjects > 256) {
        c.nobjects = 256;
    }

    while (pp_layout(h, &c) > shard_size) {
        c.nsites = c.nsites > 1 ? c.nsites / 2 : 1;
        c.npools = c.npools > 1 ? c.npools / 2 : 1;
        c.nstacks = c.nstacks > 1 ? c.nstacks / 2 : 1;
        c.ngrowth = c.ngrowth > 1 ? c.ngrowth / 2 : 1;
        c.nlive /= 2;
    }

    memcpy(h->magic, PP_SEG_MAGIC, 8);
    h->version = PP_SEG_VERSION;
    h->header_size = PP_SEG_HEADER_SIZE;
    h->size = size;
    h->nshards = nshards;
    h->shard_size = shard_size;
    h->shard_off = PP_SEG_HEADER_SIZE;
    h->creator_pid = (uint32_t) getpid();

    clock_gettime(CLOCK_REALTIME, &ts);
    h->created_real_ns = (uint64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
    h->created_mono_ns = pp_now();

    if (readlink("/proc/self/exe", h->exe, sizeof(h->exe) - 1) < 0) {
        h->exe[0] = '\0';
    }

    pp_shm_settings(h);

    __atomic_store_n(&h->ready, 1, __ATOMIC_RELEASE);

    pp_proc.seg = h;
    pp_proc.seg_size = size;

    return 0;
}


/*
 * POOLPROF_STACKS, POOLPROF_STACK_DEPTH and POOLPROF_LONG_LIVED: fixed
 * for the segment by its creator, so that every process samples alike.
 */
static void
pp_shm_settings(pp_seg_header_t *h)
{
    char      *s, *end;
    long       n;
    uint64_t   ns;

    h->stack_period = PP_STACKS_DEFAULT;
    h->stack_depth = PP_STACK_DEPTH_DEFAULT;
    h->long_lived_ns = PP_LONG_LIVED_DEFAULT;

    s = getenv("POOLPROF_STACKS");
    if (s != NULL && *s != '\0') {
        n = strtol(s, &end, 10);
        if (end == s || *end != '\0' || n < 0 || n > 1000000000) {
            pp_msg("POOLPROF_STACKS=\"%s\" is not a number from 0 to 10^9, "
                   "using %d", s, PP_STACKS_DEFAULT);
        } else {
            h->stack_period = (uint32_t) n;
        }
    }

    s = getenv("POOLPROF_STACK_DEPTH");
    if (s != NULL && *s != '\0') {
        n = strtol(s, &end, 10);
        if (end == s || *end != '\0' || n < 1 || n > PP_STACK_FRAMES) {
            pp_msg("POOLPROF_STACK_DEPTH=\"%s\" is not a number from 1 to "
                   "%d, using %d", s, PP_STACK_FRAMES, PP_STACK_DEPTH_DEFAULT);
        } else {
            h->stack_depth = (uint32_t) n;
        }
    }

    s = getenv("POOLPROF_LONG_LIVED");
    if (s != NULL && *s != '\0') {
        if (strcmp(s, "off") == 0) {
            h->long_lived_ns = PP_LONG_LIVED_OFF;

        } else if (pp_duration(s, &ns) == 0) {
            h->long_lived_ns = ns;

        } else {
            pp_msg("POOLPROF_LONG_LIVED=\"%s\" is not a duration such as "
                   "10s, 500ms or off, using 10s", s);
        }
    }
}


/* "10s", "500ms", "2m", "250us", "0"; a bare number is seconds */
static int
pp_duration(const char *s, uint64_t *ns)
{
    char      *end;
    double     v, unit;

    v = strtod(s, &end);
    if (end == s || v < 0 || v > 1e9) {
        return -1;
    }

    if (*end == '\0' || strcmp(end, "s") == 0) {
        unit = 1e9;
    } else if (strcmp(end, "ms") == 0) {
        unit = 1e6;
    } else if (strcmp(end, "us") == 0) {
        unit = 1e3;
    } else if (strcmp(end, "ns") == 0) {
        unit = 1;
    } else if (strcmp(end, "m") == 0) {
        unit = 60e9;
    } else if (strcmp(end, "h") == 0) {
        unit = 3600e9;
    } else {
        return -1;
    }

    if (v * unit > 1e18) {
        return -1;
    }

    *ns = (uint64_t) (v * unit);

    return 0;
}


/*
 * An existing file: join it when it is a valid segment and our parent
 * is its creator or one of its live processes (a binary upgrade: the
 * old master, perhaps a daemon's child, execs the new binary); start
 * afresh when its creator is gone; refuse while it lives.
 * Returns 0 joined, 1 start afresh, -1 refused.
 */
static int
pp_shm_join(int fd, char *err, size_t len)
{
    struct stat       st;
    pp_seg_header_t  *h;
    pid_t             creator;

    if (fstat(fd, &st) == -1 || (size_t) st.st_size < PP_SEG_MIN_SIZE) {
        return 1;
    }

    h = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (h == MAP_FAILED) {
        return 1;
    }

    if (memcmp(h->magic, PP_SEG_MAGIC, 8) != 0
        || h->version != PP_SEG_VERSION
        || h->size != (uint64_t) st.st_size
        || h->shard_off + (uint64_t) h->nshards * h->shard_size > h->size)
    {
        munmap(h, st.st_size);
        return 1;
    }

    creator = (pid_t) h->creator_pid;

    if (creator == getppid() || pp_shm_has_alive(h, getppid())) {
        pp_proc.seg = h;
        pp_proc.seg_size = st.st_size;
        return 0;
    }

    if (creator > 0 && (kill(creator, 0) == 0 || errno == EPERM)) {
        snprintf(err, len, "segment is in use by pid %d", (int) creator);
        munmap(h, st.st_size);
        return -1;
    }

    munmap(h, st.st_size);
    return 1;
}


static int
pp_shm_has_alive(pp_seg_header_t *h, pid_t pid)
{
    uint32_t     i;
    pp_shard_t  *sh;

    for (i = 0; i < h->nshards; i++) {
        sh = (pp_shard_t *) ((char *) h + h->shard_off
                             + (size_t) i * h->shard_size);

        if (sh->pid == (uint32_t) pid
            && __atomic_load_n(&sh->state, __ATOMIC_ACQUIRE) == PP_SHARD_ALIVE)
        {
            return 1;
        }
    }

    return 0;
}


/* claims a free shard for this process (or the one an exec left us) */
int
pp_shm_claim(void)
{
    uint32_t          i, expect, pid;
    pp_shard_t       *sh, *mine, *prev;
    pp_seg_header_t  *h;
    struct timespec   ts;

    h = pp_proc.seg;
    prev = pp_proc.shard;
    pid = (uint32_t) getpid();
    mine = NULL;

    for (i = 0; i < h->nshards; i++) {
        sh = (pp_shard_t *) ((char *) h + h->shard_off
                             + (size_t) i * h->shard_size);

        if (prev == NULL && sh->pid == pid
            && __atomic_load_n(&sh->state, __ATOMIC_ACQUIRE) == PP_SHARD_ALIVE)
        {
            /* our pre-exec self claimed it: a fresh start in it */
            memset((char *) sh + sizeof(pp_shard_t), 0,
                   h->shard_size - sizeof(pp_shard_t));
            memset(&sh->totals, 0, sizeof(sh->totals));
            mine = sh;
            break;
        }

        expect = PP_SHARD_FREE;
        if (__atomic_compare_exchange_n(&sh->state, &expect, PP_SHARD_ALIVE,
                                        0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE))
        {
            mine = sh;
            break;
        }
    }

    if (mine == NULL) {
        pp_proc.shard = NULL;
        return -1;
    }

    mine->pid = pid;
    mine->ppid = (uint32_t) getppid();
    mine->role = PP_ROLE_UNKNOWN;
    clock_gettime(CLOCK_REALTIME, &ts);
    mine->start_real_ns = (uint64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
    mine->start_mono_ns = pp_now();
    mine->proc_starttime = pp_proc_starttime(pid);

    /* counted in place: a live reader sees them as they change */
    memset(&mine->totals, 0, sizeof(pp_totals_t));
    pp_proc.totals = &mine->totals;
    pp_proc.shard = mine;
    pp_proc.pid = pid;
    pp_proc.sites = (pp_site_t *) ((char *) mine + h->sites_off);
    pp_proc.pools = (pp_pool_t *) ((char *) mine + h->pools_off);
    pp_proc.tags = (pp_tag_t *) ((char *) mine + h->tags_off);
    pp_proc.objects = (pp_object_t *) ((char *) mine + h->objects_off);
    pp_proc.stacks = (pp_stack_t *) ((char *) mine + h->stacks_off);
    pp_proc.growth = (pp_growth_t *) ((char *) mine + h->growth_off);
    pp_proc.live = (pp_lpool_t *) ((char *) mine + h->live_off);
    pp_proc.stack_mask = h->nstacks - 1;

    if (pp_table_init() != 0) {
        pp_msg("no memory for the table index; events count as overflow");
    }

    if (prev != NULL) {
        /* a forked child maps the same objects as its parent */
        memcpy(pp_proc.objects, (char *) prev + h->objects_off,
               (size_t) prev->nobjects_used * sizeof(pp_object_t));
        mine->nobjects_used = prev->nobjects_used;
        mine->role = prev->role;
    }

    return 0;
}


void
pp_shm_exit(int code)
{
    pp_shard_t  *sh;

    sh = pp_proc.shard;
    if (sh == NULL || sh->pid != (uint32_t) getpid()) {
        return;
    }

    if (pp_proc.ngx_process != NULL) {
        sh->role = (uint32_t) *pp_proc.ngx_process;
    }

    sh->exit_code = (uint32_t) code;
    sh->end_mono_ns = pp_now();
    __atomic_store_n(&sh->state, PP_SHARD_EXITED, __ATOMIC_RELEASE);
}


/* records every loaded object not yet in this shard's table */
void
pp_shm_objects(void)
{
    if (pp_proc.shard != NULL) {
        dl_iterate_phdr(pp_object_cb, NULL);
    }
}


static int
pp_object_cb(struct dl_phdr_info *info, size_t size, void *data)
{
    int               i;
    uint32_t          k, n;
    uint64_t          lo, hi, a;
    struct stat       st;
    pp_object_t      *o;
    const ElfW(Nhdr) *nh;
    const char       *p, *end;

    (void) size;
    (void) data;

    n = pp_proc.shard->nobjects_used;

    for (k = 0; k < n; k++) {
        if (pp_proc.objects[k].base == info->dlpi_addr
            && (info->dlpi_name[0] == '\0'
                || strncmp(pp_proc.objects[k].path, info->dlpi_name,
                           PP_PATH_MAX - 1) == 0))
        {
            return 0;
        }
    }

    if (n >= pp_proc.seg->nobjects) {
        return 0;
    }

    o = &pp_proc.objects[n];
    memset(o, 0, sizeof(pp_object_t));

    if (info->dlpi_name[0] == '\0') {
        if (n != 0 || readlink("/proc/self/exe", o->path,
                               PP_PATH_MAX - 1) <= 0)
        {
            return 0;   /* the vDSO and friends */
        }

    } else {
        strncpy(o->path, info->dlpi_name, PP_PATH_MAX - 1);
    }

    lo = UINT64_MAX;
    hi = 0;

    for (i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr)  *ph = &info->dlpi_phdr[i];

        a = info->dlpi_addr + ph->p_vaddr;

        if (ph->p_type == PT_LOAD) {
            lo = a < lo ? a : lo;
            hi = a + ph->p_memsz > hi ? a + ph->p_memsz : hi;
        }

        if (ph->p_type != PT_NOTE) {
            continue;
        }

        p = (const char *) a;
        end = p + ph->p_memsz;

        while (p + sizeof(ElfW(Nhdr)) <= end) {
            nh = (const ElfW(Nhdr) *) p;
            p += sizeof(ElfW(Nhdr)) + ((nh->n_namesz + 3) & ~3u);

            if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4
                && memcmp(nh + 1, "GNU", 4) == 0
                && nh->n_descsz <= PP_BUILD_ID_MAX && p + nh->n_descsz <= end)
            {
                memcpy(o->build_id, p, nh->n_descsz);
                o->build_id_len = nh->n_descsz;
            }

            p += (nh->n_descsz + 3) & ~3u;
        }
    }

    o->base = info->dlpi_addr;
    o->lo = lo == UINT64_MAX ? 0 : lo;
    o->hi = hi;

    if (stat(o->path, &st) == 0) {
        o->dev = st.st_dev;
        o->ino = st.st_ino;
        o->mtime = st.st_mtime;
        o->file_size = st.st_size;
    }

    __atomic_store_n(&pp_proc.shard->nobjects_used, n + 1, __ATOMIC_RELEASE);

    return 0;
}
