/*
 * The reporter's unit tests' segment builder, hostile names, scratch
 * files and TAP (pp_segbuild.h).
 */

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pp_layout.h"
#include "pp_segbuild.h"


char  t_dir[64];


unsigned char *
t_shard(t_seg_t *s, uint32_t i)
{
    return s->buf + s->h->shard_off + (size_t) i * s->h->shard_size;
}


/* the header of T_NSHARDS shards of the T_N* tables, as pp_layout places
 * them */
static void
t_layout(t_seg_t *s, uint32_t version)
{
    uint64_t      shard;
    pp_layout_t   l;

    memset(&l, 0, sizeof(l));
    l.nsites = T_NSITES;
    l.npools = T_NPOOLS;
    l.ntags = T_NTAGS;
    l.nobjects = T_NOBJECTS;
    l.nstacks = T_NSTACKS;
    l.ngrowth = T_NGROWTH;
    l.nlive = T_NLIVE;

    shard = (pp_layout_place_version(&l, version) + 4095) & ~(uint64_t) 4095;

    l.nshards = T_NSHARDS;
    l.shard_size = (uint32_t) shard;
    l.shard_off = PP_SEG_HEADER_SIZE;
    l.size = PP_SEG_HEADER_SIZE + T_NSHARDS * shard;

    s->len = (size_t) l.size;
    s->buf = calloc(1, s->len);
    if (s->buf == NULL) {
        abort();
    }

    s->h = (pp_seg_header_t *) s->buf;
    s->h->version = version;
    s->z = pp_seg_sizes(version);
    pp_layout_to_header(&l, s->h);
}


/*
 * Two shards of one master and its worker: the same object, the same
 * site A in both, site B in the worker only, a pool site, a tag and the
 * "no tag" key 1; the worker's overflow rows count something.
 */
void
t_build(t_seg_t *s)
{
    /* version 2: every shard is a process's (t_v3 makes shard 0 retired) */
    t_build_version(s, 2);
}


/*
 * The same rows in the layout of version (2 to PP_SEG_VERSION); from
 * version 3 on, shard 0 is the retired aggregate of ended processes
 * (pid 0), the worker the one process.
 */
void
t_build_version(t_seg_t *s, uint32_t version)
{
    size_t            i;
    pp_object_t      *o;
    pp_seg_header_t  *h;

    t_layout(s, version);
    h = s->h;

    memcpy(h->magic, PP_SEG_MAGIC, 8);
    h->header_size = PP_SEG_HEADER_SIZE;
    h->creator_pid = 100;
    h->ready = 1;
    h->created_real_ns = 1700000000ULL * 1000000000ULL;
    h->stack_period = 1;
    h->stack_depth = 4;
    h->long_lived_ns = 1000000000;
    strcpy(h->exe, "/usr/sbin/nginx");

    for (i = 0; i < T_NSHARDS; i++) {
        t_sh(s, i)->pid = 100 + i;
        t_sh(s, i)->ppid = i ? 100 : 1;
        t_sh(s, i)->state = PP_SHARD_EXITED;
        t_sh(s, i)->role = i ? PP_ROLE_WORKER : PP_ROLE_MASTER;
        t_sh(s, i)->nobjects_used = 1;
        t_sh(s, i)->totals.allocs = 10 * (i + 1);
        t_sh(s, i)->totals.pinned_bytes = 100;
        t_sh(s, i)->totals.unused_bytes = 1000;
        t_sh(s, i)->totals.overflow = i;

        o = t_obj(s, i, 0);
        o->base = T_BASE;
        o->lo = T_BASE;
        o->hi = T_BASE + 0x100000;
        o->ino = 42;
        o->file_size = 1234;
        strcpy(o->path, "/nonexistent/poolprof-test/nginx");

        t_site(s, i, 3)->key = T_SITE_A;
        t_site(s, i, 3)->allocs = 5;
        t_site(s, i, 3)->noop_frees = 2;
        t_site(s, i, 3)->pinned_bytes = 64;
        t_site(s, i, 3)->pinned_byte_seconds = 0.5;

        t_pool(s, i, 1)->key = T_SITE_A;
        t_pool(s, i, 1)->created = 3;
        t_pool(s, i, 1)->destroyed = 3;
        t_pool(s, i, 1)->size = 1024;
        t_pool(s, i, 1)->unused_bytes = 300;
        /* used: 3 generations of 100 bytes here, 1 of 5000 in shard 1 */
        t_pool(s, i, 1)->used.count[pp_hist_bucket(i ? 5000 : 100)] =
            i ? 1 : 3;

        t_tag(s, i, 0)->key = T_TAG;
        t_tag(s, i, 0)->hits = 3;
        t_tag(s, i, 0)->misses = 1;
        t_tag(s, i, 2)->key = 1;
        t_tag(s, i, 2)->misses = 7;
    }

    t_site(s, 1, 5)->key = T_SITE_B;
    t_site(s, 1, 5)->allocs = 1;
    t_site(s, 1, 5)->pinned_bytes = 4096;
    t_site(s, 1, T_NSITES)->allocs = 9;         /* overflow */
    t_tag(s, 1, T_NTAGS)->misses = 2;

    if (version >= 3) {
        t_sh(s, 0)->state = PP_SHARD_RETIRED;
        t_sh(s, 0)->pid = 0;
        t_sh(s, 0)->ppid = 0;
    }
}


/* the site row of key in a merged report, not its overflow row */
pp_rsite_t *
t_find_site(pp_report_t *r, uint64_t key)
{
    size_t  i;

    for (i = 0; i < r->nsites; i++) {
        if (r->sites[i].key == key && !r->sites[i].overflow) {
            return &r->sites[i];
        }
    }

    return NULL;
}


void
t_free(t_seg_t *s)
{
    free(s->buf);
    s->buf = NULL;
}


/* shard 0 names the objects paths[0..2], a row in each */
void
t_objects(t_seg_t *s, const char *const *paths)
{
    uint32_t      i, k;
    pp_object_t  *o;

    for (i = 0; i < T_NSHARDS; i++) {
        for (k = 0; k < 3; k++) {
            o = t_obj(s, i, k);
            memset(o, 0, sizeof(pp_object_t));
            o->base = T_BASE + k * 0x10000000ULL;
            o->lo = o->base;
            o->hi = o->base + 0x100000;
            o->ino = 42;
            o->file_size = 1234;
            snprintf(o->path, PP_PATH_MAX, "%s", paths[k]);
        }

        t_sh(s, i)->nobjects_used = 3;
    }

    t_site(s, 0, 6)->key = T_BASE + 0x10000000ULL + 0x100;
    t_site(s, 0, 6)->allocs = 1;
    t_site(s, 0, 7)->key = T_BASE + 0x20000000ULL + 0x100;
    t_site(s, 0, 7)->allocs = 1;
}


/* in shard sh, site A allocating into a long-lived pool of site B */
void
t_add_growth(t_seg_t *s, uint32_t sh, uint64_t returns)
{
    pp_growth_t  *g;

    g = t_growth(s, sh, 1);
    g->key = 77;
    g->site = T_SITE_A;
    g->pool_site = T_SITE_B;
    g->allocs = 2;
    g->bytes = 200;
    g->pools = 1;
    g->returns = returns;
}


/* in shard sh, a stack from site B to site A that pinned 300 bytes */
void
t_add_stack(t_seg_t *s, uint32_t sh)
{
    pp_stack_t  *st;

    st = t_stack(s, sh, 0);
    st->key = 99;
    st->depth = 2;
    st->frames[0] = T_SITE_A;
    st->frames[1] = T_SITE_B;
    st->pinned_bytes = 300;
}


/* names everywhere: the executable, object paths, leaks and growth */
void
t_build_evil(t_seg_t *s)
{
    uint32_t     i;
    pp_lpool_t  *l;

    t_build(s);
    snprintf(s->h->exe, PP_PATH_MAX, "/usr/sbin/nginx" T_EVIL);

    for (i = 0; i < T_NSHARDS; i++) {
        snprintf(t_obj(s, i, 0)->path, PP_PATH_MAX,
                 "/nonexistent/dir" T_EVIL "/ngx" T_EVIL);

        t_add_growth(s, i, 2);
        t_add_stack(s, i);
    }

    /* a pool the worker left at its clean exit: a leak */
    l = t_live(s, 1, 0);
    t_sh(s, 1)->end_mono_ns = 5000;
    l[0].key = 0x1000;
    l[0].site = T_SITE_B;
    l[0].created_mono_ns = 1000;
    l[0].alloc_bytes = 64;
}


/* a scratch directory for t_write(): 0, or -1 with a TAP skip printed */
int
t_scratch(const char *name)
{
    snprintf(t_dir, sizeof(t_dir), "/tmp/pp-%.20s.XXXXXX", name);

    if (mkdtemp(t_dir) == NULL) {
        printf("1..0 # SKIP failed to create a temporary directory\n");
        return -1;
    }

    return 0;
}


/* the files names of t_dir, then the directory */
void
t_unscratch(const char *const *names)
{
    char  path[128];

    for ( /* void */ ; *names != NULL; names++) {
        snprintf(path, sizeof(path), "%s/%s", t_dir, *names);
        unlink(path);
    }

    rmdir(t_dir);
}


/* name in t_dir, mode 0600; its path in path; 0 or -1 */
int
t_write(const char *name, const void *buf, size_t len, char *path,
    size_t plen)
{
    int  fd;

    snprintf(path, plen, "%s/%s", t_dir, name);

    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd == -1) {
        return -1;
    }

    if (len != 0 && write(fd, buf, len) != (ssize_t) len) {
        close(fd);
        return -1;
    }

    return close(fd);
}


/*
 * 1 when s holds no control character but newline and tab: no C0, no
 * DEL, no C1 (U+0080-U+009F), no such byte after an ASCII one
 */
int
t_clean(const char *s, size_t len)
{
    size_t                i;
    const unsigned char  *p;

    p = (const unsigned char *) s;

    for (i = 0; i < len; i++) {
        if ((p[i] < 0x20 && p[i] != '\n' && p[i] != '\t') || p[i] == 0x7f) {
            return 0;
        }

        if (p[i] >= 0x80 && p[i] <= 0x9f
            && (i == 0 || p[i - 1] < 0x80 || p[i - 1] == 0xc2))
        {
            return 0;
        }
    }

    return 1;
}
