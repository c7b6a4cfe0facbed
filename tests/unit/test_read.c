/*
 * TAP test of the segment reader: synthetic segments, a valid one and
 * one per corruption, each accepted or refused with the expected reason;
 * the merge of shards, percentiles, process states and JSON escaping.
 *
 * `test_read --seeds DIR` writes the synthetic segments into DIR: the
 * seed corpus of fuzz_read.  `test_read --hostile DIR` writes the
 * hostile segments of tests/t-report-hostile.sh into DIR (see
 * t_hostile()), built here so that they follow the format's version.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pp_proc.h"
#include "pp_report.h"


#define T_NSITES    8
#define T_NPOOLS    4
#define T_NTAGS     4
#define T_NOBJECTS  4
#define T_NSTACKS   4
#define T_NGROWTH   4
#define T_NLIVE     4
#define T_NSHARDS   2

#define T_SITE_A    0x555555561234ULL     /* inside object 0 */
#define T_SITE_B    0x555555562000ULL
#define T_TAG       0x555555580010ULL
#define T_BASE      0x555555554000ULL

typedef struct {
    unsigned char          *buf;
    size_t                  len;
    pp_seg_header_t        *h;
} t_seg_t;


static int  t_n;
static int  t_failed;
static char t_dir[64];


static void
t_ok(int ok, const char *fmt, ...)
{
    va_list  ap;

    printf("%sok %d - ", ok ? "" : "not ", ++t_n);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");

    t_failed += !ok;
}


static unsigned char *
t_shard(t_seg_t *s, uint32_t i)
{
    return s->buf + s->h->shard_off + (size_t) i * s->h->shard_size;
}


static pp_shard_t *
t_sh(t_seg_t *s, uint32_t i)
{
    return (pp_shard_t *) t_shard(s, i);
}


static pp_site_t *
t_site(t_seg_t *s, uint32_t sh, uint32_t row)
{
    return (pp_site_t *) (t_shard(s, sh) + s->h->sites_off
                          + row * sizeof(pp_site_t));
}


static pp_pool_t *
t_pool(t_seg_t *s, uint32_t sh, uint32_t row)
{
    return (pp_pool_t *) (t_shard(s, sh) + s->h->pools_off
                          + row * sizeof(pp_pool_t));
}


static pp_tag_t *
t_tag(t_seg_t *s, uint32_t sh, uint32_t row)
{
    return (pp_tag_t *) (t_shard(s, sh) + s->h->tags_off
                         + row * sizeof(pp_tag_t));
}


static pp_object_t *
t_obj(t_seg_t *s, uint32_t sh, uint32_t row)
{
    return (pp_object_t *) (t_shard(s, sh) + s->h->objects_off
                            + row * sizeof(pp_object_t));
}


/*
 * Two shards of one master and its worker: the same object, the same
 * site A in both, site B in the worker only, a pool site, a tag and the
 * "no tag" key 1; the worker's overflow rows count something.
 */
static void
t_build(t_seg_t *s)
{
    size_t            off, shard_size, i;
    pp_object_t      *o;
    pp_seg_header_t  *h;

    off = (sizeof(pp_shard_t) + 63) & ~(size_t) 63;
    shard_size = off + (T_NSITES + 1) * sizeof(pp_site_t)
                 + (T_NPOOLS + 1) * sizeof(pp_pool_t)
                 + (T_NTAGS + 1) * sizeof(pp_tag_t)
                 + T_NOBJECTS * sizeof(pp_object_t)
                 + (T_NSTACKS + 1) * sizeof(pp_stack_t)
                 + (T_NGROWTH + 1) * sizeof(pp_growth_t)
                 + T_NLIVE * sizeof(pp_lpool_t);
    shard_size = (shard_size + 4095) & ~(size_t) 4095;

    s->len = PP_SEG_HEADER_SIZE + T_NSHARDS * shard_size;
    s->buf = calloc(1, s->len);
    s->h = h = (pp_seg_header_t *) s->buf;

    /* version 2: every shard is a process's (t_v3 makes shard 0 retired) */
    memcpy(h->magic, PP_SEG_MAGIC, 8);
    h->version = 2;
    h->header_size = PP_SEG_HEADER_SIZE;
    h->size = s->len;
    h->nshards = T_NSHARDS;
    h->shard_size = (uint32_t) shard_size;
    h->shard_off = PP_SEG_HEADER_SIZE;
    h->creator_pid = 100;
    h->ready = 1;
    h->created_real_ns = 1700000000ULL * 1000000000ULL;
    h->nsites = T_NSITES;
    h->npools = T_NPOOLS;
    h->ntags = T_NTAGS;
    h->nobjects = T_NOBJECTS;
    h->sites_off = (uint32_t) off;
    h->pools_off = h->sites_off + (T_NSITES + 1) * sizeof(pp_site_t);
    h->tags_off = h->pools_off + (T_NPOOLS + 1) * sizeof(pp_pool_t);
    h->objects_off = h->tags_off + (T_NTAGS + 1) * sizeof(pp_tag_t);
    h->nstacks = T_NSTACKS;
    h->ngrowth = T_NGROWTH;
    h->nlive = T_NLIVE;
    h->stacks_off = h->objects_off + T_NOBJECTS * sizeof(pp_object_t);
    h->growth_off = h->stacks_off + (T_NSTACKS + 1) * sizeof(pp_stack_t);
    h->live_off = h->growth_off + (T_NGROWTH + 1) * sizeof(pp_growth_t);
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
}


static void
t_free(t_seg_t *s)
{
    free(s->buf);
    s->buf = NULL;
}


static int
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


/* the reader refuses buf with a message holding want */
static void
t_refuse(const char *desc, const unsigned char *buf, size_t len,
    const char *want)
{
    int          rc;
    char         err[PP_ERR_LEN];
    pp_report_t  r;

    err[0] = '\0';
    rc = pp_seg_merge(&r, buf, len, 0, err, sizeof(err));

    t_ok(rc == -1 && strstr(err, want) != NULL, "%s: \"%s\"", desc, err);

    if (rc == 0) {
        pp_report_free(&r);
    }
}


/* a corruption of the valid segment; mutate is applied to a fresh copy */
#define t_corrupt(desc, want, stmt)                                          \
    do {                                                                     \
        t_seg_t  s;                                                          \
        t_build(&s);                                                         \
        stmt;                                                                \
        t_refuse(desc, s.buf, s.len, want);                                  \
        t_free(&s);                                                          \
    } while (0)


static void
t_file(const char *desc, const char *path, const char *want)
{
    int          rc;
    char         err[PP_ERR_LEN];
    pp_report_t  r;

    err[0] = '\0';
    rc = pp_report_load(&r, path, PP_OPEN_FOLLOW, err, sizeof(err));

    t_ok(rc == -1 && strstr(err, want) != NULL, "%s: \"%s\"", desc, err);

    if (rc == 0) {
        pp_report_free(&r);
    }
}


static pp_rsite_t *
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


static void
t_valid(void)
{
    int          rc;
    char         err[PP_ERR_LEN], path[128], *json;
    size_t       i, jlen, novf;
    FILE        *f;
    t_seg_t      s;
    pp_view_t    v;
    pp_rsite_t  *a, *b;
    pp_report_t  r;

    pp_view_init(&v);
    t_build(&s);

    rc = pp_seg_merge(&r, s.buf, s.len, 0, err, sizeof(err));
    t_ok(rc == 0, "a valid segment is accepted%s%s", rc ? ": " : "",
         rc ? err : "");
    if (rc != 0) {
        t_free(&s);
        return;
    }

    t_ok(r.nprocs == 2 && r.procs[0].pid == 100 && r.procs[1].pid == 101
         && r.procs[1].role == PP_ROLE_WORKER
         && r.procs[0].status == PP_STATUS_EXITED,
         "two processes, roles and states");
    t_ok(r.totals.allocs == 30 && r.totals.pinned_bytes == 200
         && r.totals.unused_bytes == 2000 && r.totals.overflow == 1,
         "totals summed over shards");
    t_ok(r.nobjs == 1, "the shared object is deduplicated");

    a = t_find_site(&r, T_SITE_A);
    b = t_find_site(&r, T_SITE_B);
    t_ok(a != NULL && a->s.allocs == 10 && a->s.noop_frees == 4
         && a->s.pinned_bytes == 128 && a->s.pinned_byte_seconds == 1.0
         && a->obj == 0,
         "merge: one site in two shards has summed counts");
    t_ok(b != NULL && b->s.allocs == 1, "merge: a site of one shard");

    novf = 0;
    for (i = 0; i < r.nsites; i++) {
        if (r.sites[i].overflow) {
            novf++;
            t_ok(r.sites[i].s.allocs == 9, "overflow rows are summed");
        }
    }
    t_ok(r.nsites == 3 && novf == 1, "3 site rows, one of them overflow");

    t_ok(r.npools == 1 && r.pools[0].p.created == 6
         && r.pools[0].p.unused_bytes == 600 && r.pools[0].p.size == 1024,
         "merge: pools by creating site");
    t_ok(pp_rhist_percentile(&r.pools[0].used, 50)
         == pp_hist_lower(pp_hist_bucket(100))
         && pp_rhist_percentile(&r.pools[0].used, 95)
            == pp_hist_lower(pp_hist_bucket(5000))
         && pp_rhist_percentile(&r.pools[0].used, 75) == 96,
         "percentiles: p50 %llu p75 %llu p95 %llu",
         (unsigned long long) pp_rhist_percentile(&r.pools[0].used, 50),
         (unsigned long long) pp_rhist_percentile(&r.pools[0].used, 75),
         (unsigned long long) pp_rhist_percentile(&r.pools[0].used, 95));

    t_ok(r.ntags == 3, "tags: the module's, none (key 1), overflow");

    pp_report_sort(&r, &v);
    t_ok(r.sites[0].key == T_SITE_B && r.sites[2].overflow,
         "sites sorted by pinned bytes, overflow last");
    t_ok(r.tags[0].key == 1 && r.tags[0].t.misses == 14,
         "tags sorted by misses");
    t_ok(pp_tag_reuse(&r.tags[1].t) == 0.75, "reuse rate hits/(h+m)");

    /* printing without symbols, then with (the object is missing) */
    f = open_memstream(&json, &jlen);
    pp_json_print(f, &r, &v);
    fclose(f);
    t_ok(strstr(json, "\"format\": 1") != NULL
         && strstr(json, "\"address\": \"0x555555561234\"") != NULL
         && strstr(json, "\"offset\": \"0xd234\"") != NULL,
         "JSON: format, hex address and offset");
    free(json);

    pp_sym_resolve(&r);
    t_ok(r.nwarnings == 1 && strstr(r.warnings[0], "cannot read") != NULL,
         "a missing object warns once");
    t_ok(strcmp(r.tags[0].symbol, "(none)") == 0, "tag key 1 is (none)");
    f = fopen("/dev/null", "w");
    pp_text_print(f, &r, &v);
    fclose(f);
    pp_report_free(&r);

    /* end to end through a file */
    t_write("valid", s.buf, s.len, path, sizeof(path));
    rc = pp_report_load(&r, path, PP_OPEN_FOLLOW, err, sizeof(err));
    t_ok(rc == 0 && r.nsites == 3, "a valid segment file loads");
    if (rc == 0) {
        pp_report_free(&r);
    }

    /* a different object at the same address in the worker */
    strcpy(t_obj(&s, 1, 0)->path, "/nonexistent/other");
    rc = pp_seg_merge(&r, s.buf, s.len, 0, err, sizeof(err));
    t_ok(rc == 0 && r.nobjs == 2 && r.nsites == 4,
         "same address, different objects: kept apart");
    if (rc == 0) {
        pp_report_free(&r);
    }

    /* a free shard is skipped */
    memset(t_shard(&s, 1), 0, s.h->shard_size);
    rc = pp_seg_merge(&r, s.buf, s.len, 0, err, sizeof(err));
    t_ok(rc == 0 && r.nprocs == 1 && r.nsites == 1,
         "a free shard is skipped");
    if (rc == 0) {
        pp_report_free(&r);
    }

    t_free(&s);
}


static void
t_corruptions(void)
{
    char  path[128];

    t_corrupt("wrong magic", "bad magic", s.buf[0] = 'X');
    t_corrupt("wrong version",
              "unsupported segment version 4 (this poolprof reads 2 to 3)",
              s.h->version = 4);
    t_corrupt("an old version",
              "unsupported segment version 1 (this poolprof reads 2 to 3)",
              s.h->version = 1);
    t_corrupt("header size", "bad header size", s.h->header_size = 64);
    t_corrupt("not ready", "not ready", s.h->ready = 0);
    t_corrupt("truncated", "truncated segment: header says", s.len -= 4096);
    t_corrupt("shorter than the header", "less than the 4096-byte header",
              s.len = 100);
    t_corrupt("larger than recorded", "size mismatch", s.h->size -= 8);
    t_corrupt("no shards", "no shards", s.h->nshards = 0);
    t_corrupt("nshards * shard_size overflows", "do not fit",
              s.h->nshards = 0xffffffff; s.h->shard_size = 0xfffff000);
    t_corrupt("shards past the end", "do not fit", s.h->nshards = 3);
    t_corrupt("shard offset past the end", "bad shard offset",
              s.h->shard_off = UINT64_MAX - 7);
    t_corrupt("shard offset in the header", "bad shard offset",
              s.h->shard_off = 8);
    t_corrupt("tiny shards", "bad shard size", s.h->shard_size = 16);
    t_corrupt("site table outside the shard", "site table",
              s.h->sites_off = s.h->shard_size - 64);
    t_corrupt("pool table offset wraps", "pool table",
              s.h->pools_off = 0xfffffff8);
    t_corrupt("object table too large", "object table",
              s.h->nobjects = 0x7fffffff);
    t_corrupt("tag capacity 2^32-1 + overflow row", "powers of two",
              s.h->ntags = 0xffffffff);
    t_corrupt("tag capacity 2^31", "tag table", s.h->ntags = 0x80000000);
    t_corrupt("non-power-of-two capacity", "powers of two",
              s.h->nsites = 6);
    t_corrupt("zero capacity", "powers of two", s.h->npools = 0);
    t_corrupt("table over the shard record", "bad site table offset",
              s.h->sites_off = 8);
    t_corrupt("misaligned table", "bad tag table offset",
              s.h->tags_off += 4);
    t_corrupt("unterminated exe", "executable path not NUL-terminated",
              memset(s.h->exe, 'a', PP_PATH_MAX));
    t_corrupt("unterminated object path", "path not NUL-terminated",
              memset(t_obj(&s, 1, 0)->path, 'a', PP_PATH_MAX));
    t_corrupt("object count past the table", "objects used",
              t_sh(&s, 0)->nobjects_used = T_NOBJECTS + 1);
    t_corrupt("build-id too long", "build-id",
              t_obj(&s, 0, 0)->build_id_len = 33);
    t_corrupt("bad shard state", "bad state", t_sh(&s, 1)->state = 7);
    t_refuse("empty buffer", (const unsigned char *) "", 0, "empty file");

    /* files */
    t_write("empty", "", 0, path, sizeof(path));
    t_file("empty file", path, "empty file");
    t_file("a directory", t_dir, "is a directory");
    snprintf(path, sizeof(path), "%s/missing", t_dir);
    t_file("a missing file", path, "No such file");
    t_file("a foreign file", "/bin/ls", "bad magic");
    t_file("a character device", "/dev/null", "not a regular file");

    snprintf(path, sizeof(path), "%s/fifo", t_dir);
    if (mkfifo(path, 0600) == 0) {
        t_file("a FIFO does not hang", path, "not a regular file");
    } else {
        t_ok(1, "# SKIP mkfifo: %s", strerror(errno));
    }
}


/* the running test binary as the shim would record it */
static int
t_self_cb(struct dl_phdr_info *info, size_t size, void *data)
{
    int                i;
    uint64_t           a;
    pp_object_t       *o;
    const ElfW(Nhdr)  *nh;
    const char        *p, *end;

    (void) size;

    o = data;
    if (info->dlpi_name[0] != '\0') {
        return 0;
    }

    o->base = info->dlpi_addr;
    o->lo = UINT64_MAX;

    for (i = 0; i < info->dlpi_phnum; i++) {
        a = info->dlpi_addr + info->dlpi_phdr[i].p_vaddr;

        if (info->dlpi_phdr[i].p_type == PT_LOAD) {
            o->lo = a < o->lo ? a : o->lo;
            if (a + info->dlpi_phdr[i].p_memsz > o->hi) {
                o->hi = a + info->dlpi_phdr[i].p_memsz;
            }
        }

        if (info->dlpi_phdr[i].p_type != PT_NOTE) {
            continue;
        }

        p = (const char *) a;
        end = p + info->dlpi_phdr[i].p_memsz;

        while (p + sizeof(ElfW(Nhdr)) <= end) {
            nh = (const ElfW(Nhdr) *) p;
            p += sizeof(ElfW(Nhdr)) + ((nh->n_namesz + 3) & ~3u);
            if (nh->n_type == NT_GNU_BUILD_ID && nh->n_descsz <= 32) {
                memcpy(o->build_id, p, nh->n_descsz);
                o->build_id_len = nh->n_descsz;
            }
            p += (nh->n_descsz + 3) & ~3u;
        }
    }

    return 1;
}


static void
t_symbols(void)
{
    int          rc;
    char         err[PP_ERR_LEN];
    size_t       i;
    t_seg_t      s;
    struct stat  sb;
    pp_view_t    v;
    pp_object_t  self, *o;
    pp_report_t  r;

    pp_view_init(&v);
    memset(&self, 0, sizeof(self));
    dl_iterate_phdr(t_self_cb, &self);
    if (readlink("/proc/self/exe", self.path, PP_PATH_MAX - 1) <= 0
        || stat(self.path, &sb) != 0)
    {
        t_ok(0, "failed to find the test binary");
        return;
    }

    self.dev = sb.st_dev;
    self.ino = sb.st_ino;
    self.mtime = sb.st_mtime;
    self.file_size = sb.st_size;

    t_build(&s);
    t_sh(&s, 1)->state = PP_SHARD_FREE;
    *t_obj(&s, 0, 0) = self;

    /* a return address inside t_build(), and a tag: a data object */
    t_site(&s, 0, 3)->key = (uintptr_t) t_build + 16;
    t_tag(&s, 0, 0)->key = (uintptr_t) &t_failed;
    t_pool(&s, 0, 1)->key = (uintptr_t) t_free + 4;

    rc = pp_seg_merge(&r, s.buf, s.len, 0, err, sizeof(err));
    if (rc != 0) {
        t_ok(0, "symbols: the segment merges: %s", err);
        t_free(&s);
        return;
    }

    pp_sym_resolve(&r);
    pp_report_sort(&r, &v);

    for (i = 0; i < r.nsites && r.sites[i].key != (uintptr_t) t_build + 16;
         i++)
    {
        /* void */
    }

    t_ok(i < r.nsites && strcmp(r.sites[i].symbol, "t_build") == 0
         && strstr(r.sites[i].source, "test_read.c:") != NULL,
         "symbols: a site in a function: %s at %s",
         i < r.nsites ? r.sites[i].symbol : "?",
         i < r.nsites ? r.sites[i].source : "?");
    t_ok(strcmp(r.pools[0].symbol, "t_free") == 0,
         "symbols: a pool site: %s", r.pools[0].symbol);
    for (i = 0; i < r.ntags && r.tags[i].key != (uintptr_t) &t_failed; i++) {
        /* void */
    }

    t_ok(i < r.ntags && strcmp(r.tags[i].symbol, "t_failed") == 0,
         "symbols: a tag is a data object: %s",
         i < r.ntags ? r.tags[i].symbol : "?");
    t_ok(r.nwarnings == 0, "symbols: no warnings");
    pp_report_free(&r);

    /* the same file under another build-id */
    o = t_obj(&s, 0, 0);
    o->build_id[0] ^= 0xff;
    if (o->build_id_len == 0) {
        o->build_id_len = 1;
    }

    rc = pp_seg_merge(&r, s.buf, s.len, 0, err, sizeof(err));
    if (rc == 0) {
        pp_sym_resolve(&r);
    }
    t_ok(rc == 0 && r.nwarnings == 1
         && strstr(r.warnings[0], "changed since it was recorded") != NULL
         && r.sites[0].symbol[0] == '\0',
         "symbols: a changed binary warns once and shows offsets");
    if (rc == 0) {
        pp_report_free(&r);
    }

    /* no build-id recorded: device, inode, mtime and size decide */
    o->build_id_len = 0;
    o->mtime++;
    rc = pp_seg_merge(&r, s.buf, s.len, 0, err, sizeof(err));
    if (rc == 0) {
        pp_sym_resolve(&r);
    }
    t_ok(rc == 0 && r.nwarnings == 1
         && strstr(r.warnings[0], "changed since") != NULL,
         "symbols: without a build-id, a new mtime means changed");
    if (rc == 0) {
        pp_report_free(&r);
    }

    t_free(&s);
}


static void
t_misc(void)
{
    char        *out, want[64];
    size_t       len;
    FILE        *f;
    pp_rhist_t   h;
    uint64_t     start;

    f = open_memstream(&out, &len);
    pp_json_string(f, "a\"b\\c\n\x01\x7f\xc3\xa9\xff\xc0\xaf\xed\xa0\x80");
    fclose(f);
    t_ok(strcmp(out, "\"a\\\"b\\\\c\\n\\u0001\x7f\xc3\xa9\\u00ff\\u00c0"
                     "\\u00af\\u00ed\\u00a0\\u0080\"") == 0,
         "JSON escaping: %s", out);
    free(out);

    memset(&h, 0, sizeof(h));
    t_ok(pp_rhist_percentile(&h, 50) == 0, "percentile of nothing is 0");
    h.count[3] = 1;
    h.count[255] = 1;
    t_ok(pp_rhist_percentile(&h, 50) == 3
         && pp_rhist_percentile(&h, 100) == pp_hist_lower(251),
         "percentile: corrupt top buckets are clamped");
    memset(&h, 0, sizeof(h));
    h.count[pp_hist_bucket(10)] = 50;
    h.count[pp_hist_bucket(1000)] = 45;
    h.count[pp_hist_bucket(100000)] = 5;
    t_ok(pp_rhist_percentile(&h, 50) == 10
         && pp_rhist_percentile(&h, 95) == 896
         && pp_rhist_percentile(&h, 96) == 98304,
         "percentile: p50 p95 p96 at bucket lower bounds");

    t_ok(pp_proc_status(getpid(), PP_SHARD_EXITED, 0) == PP_STATUS_EXITED,
         "state exited");
    t_ok(pp_proc_status(getpid(), PP_SHARD_ALIVE, 1) == PP_STATUS_CRASHED,
         "alive with another start time: crashed");
    t_ok(pp_proc_status(0x7ffffffe, PP_SHARD_ALIVE, 1) == PP_STATUS_CRASHED,
         "alive but gone: crashed");

    /* our own start time, read the way the shim does */
    f = fopen("/proc/self/stat", "r");
    start = 0;
    if (f != NULL) {
        char  buf[1024], *p;
        int   field;

        if (fgets(buf, sizeof(buf), f) != NULL
            && (p = strrchr(buf, ')')) != NULL)
        {
            for (field = 2; *p && field < 22; p++) {
                field += *p == ' ';
            }
            start = strtoull(p, NULL, 10);
        }
        fclose(f);
    }
    t_ok(pp_proc_status(getpid(), PP_SHARD_ALIVE, start) == PP_STATUS_ALIVE,
         "alive, same start time: alive");

    /* a child that has exited and is not reaped yet: a zombie */
    {
        pid_t     child;
        uint64_t  cstart;

        child = fork();
        if (child == 0) {
            _exit(0);
        }

        cstart = pp_proc_starttime((uint32_t) child);
        usleep(100000);
        t_ok(child > 0 && cstart != 0
             && pp_proc_status((uint32_t) child, PP_SHARD_ALIVE, cstart)
                == PP_STATUS_CRASHED,
             "a zombie, not yet reaped, is not alive");
        waitpid(child, NULL, 0);
    }

    snprintf(want, sizeof(want), "%s", pp_role_name(PP_ROLE_HELPER));
    t_ok(strcmp(want, "helper") == 0
         && strcmp(pp_role_name(99), "unknown") == 0, "role names");
}


/*
 * version 3: shard 0 is the retired aggregate, counted in the totals but
 * not a process; the header counts retired processes and failed claims
 */
static void
t_v3(void)
{
    int          rc;
    char         err[PP_ERR_LEN];
    t_seg_t      s;
    pp_report_t  r;

    t_corrupt("v3: shard 0 not retired", "shard 0: bad state",
              s.h->version = 3);
    t_corrupt("v3: a retired shard past 0", "shard 1: bad state",
              (s.h->version = 3, t_sh(&s, 0)->state = PP_SHARD_RETIRED,
               t_sh(&s, 1)->state = PP_SHARD_RETIRED));
    t_corrupt("v2: a retired shard", "shard 0: bad state",
              t_sh(&s, 0)->state = PP_SHARD_RETIRED);

    t_build(&s);
    s.h->version = 3;
    s.h->retired = 7;
    s.h->retired_crashed = 2;
    s.h->claims_failed = 3;
    t_sh(&s, 0)->state = PP_SHARD_RETIRED;
    t_sh(&s, 0)->pid = 0;

    rc = pp_seg_merge(&r, s.buf, s.len, 0, err, sizeof(err));
    t_ok(rc == 0, "v3: the segment merges: %s", rc ? err : "ok");

    if (rc == 0) {
        t_ok(r.nprocs == T_NSHARDS - 1 && r.procs[0].pid == 101,
             "v3: the retired shard is no process");
        t_ok(r.retired.allocs == 10 && r.totals.allocs == 10 + 20,
             "v3: its totals count in the segment's");
        t_ok(r.nsites > 0 && r.hdr.retired == 7 && r.hdr.retired_crashed == 2
             && r.hdr.claims_failed == 3,
             "v3: retired processes and failed claims are read");
        pp_report_free(&r);
    }

    t_sh(&s, 1)->state = PP_SHARD_FOLDING;
    rc = pp_seg_merge(&r, s.buf, s.len, 0, err, sizeof(err));
    t_ok(rc == 0 && r.nprocs == T_NSHARDS - 2 && r.totals.allocs == 10,
         "v3: a shard being folded is read as retired only");
    if (rc == 0) {
        pp_report_free(&r);
    }

    t_free(&s);
}


/* version 2's tables: growth, stacks and live pools */
static void
t_v2(void)
{
    int           rc;
    char          err[PP_ERR_LEN];
    size_t        i, nbad;
    t_seg_t       s;
    pp_stack_t   *st;
    pp_growth_t  *g;
    pp_lpool_t   *l;
    pp_report_t   r;

    t_corrupt("stack capacity 3", "not all powers of two", s.h->nstacks = 3);
    t_corrupt("growth capacity 0", "not all powers of two", s.h->ngrowth = 0);
    t_corrupt("stack depth 25", "stack depth 25", s.h->stack_depth = 25);
    t_corrupt("live table outside the shard", "live table",
              s.h->live_off = s.h->shard_size - 8);
    t_corrupt("misaligned stack table", "bad stack table offset",
              s.h->stacks_off += 4);

    t_build(&s);

    for (i = 0; i < T_NSHARDS; i++) {
        g = (pp_growth_t *) (t_shard(&s, i) + s.h->growth_off);
        g[1].key = 77;
        g[1].site = T_SITE_A;
        g[1].pool_site = T_SITE_B;
        g[1].allocs = 2;
        g[1].bytes = 200;
        g[1].pools = 1;
        g[1].returns = 1;
        g[1].max_age_ns = 1000 * (i + 1);
        g[T_NGROWTH].allocs = 5;        /* the overflow row */

        st = (pp_stack_t *) (t_shard(&s, i) + s.h->stacks_off);
        st[0].key = 99;
        st[0].depth = 2;
        st[0].frames[0] = T_SITE_A;
        st[0].frames[1] = T_SITE_B;
        st[0].noop_frees = 3;
        st[0].pinned_bytes = 300;
        st[1].key = 98;
        st[1].depth = 9;                /* over stack_depth 4: corrupt */
        st[1].allocs = 1;
    }

    l = (pp_lpool_t *) (t_shard(&s, 1) + s.h->live_off);
    t_sh(&s, 1)->end_mono_ns = 5000;
    l[2].key = 0x1000;
    l[2].site = T_SITE_B;
    l[2].created_mono_ns = 1000;
    l[2].alloc_bytes = 64;

    rc = pp_seg_merge(&r, s.buf, s.len, 0, err, sizeof(err));
    t_ok(rc == 0, "v2: the segment merges: %s", rc ? err : "ok");

    if (rc == 0) {
        t_ok(r.ngrowth == 2 && !r.growth[0].overflow
             && r.growth[0].g.allocs == 4 && r.growth[0].g.bytes == 400
             && r.growth[0].g.returns == 2 && r.growth[0].recurring
             && r.growth[0].g.max_age_ns == 2000,
             "v2: growth rows merge over shards, the oldest age kept");
        t_ok(r.ngrowth == 2 && r.growth[1].overflow
             && r.growth[1].g.allocs == 10,
             "v2: growth overflow rows sum into one");

        nbad = 0;
        for (i = 0; i < r.nwarnings; i++) {
            nbad += strstr(r.warnings[i], "bad depth") != NULL;
        }

        t_ok(r.nstacks == 1 && r.stacks[0].s.noop_frees == 6
             && r.stacks[0].s.pinned_bytes == 600 && r.stacks[0].s.depth == 2
             && nbad == 1,
             "v2: stacks merge; a row deeper than the segment's is left "
             "out with a warning");
        t_ok(r.nlive == 1 && r.live[0].pid == 101
             && r.live[0].age_ns == 4000 && r.live[0].l.alloc_bytes == 64,
             "v2: a live pool of an exited process, aged to its exit");
        t_ok(r.stack_period == 1 && r.long_lived_ns == 1000000000,
             "v2: the sampling period and long-lived threshold are read");

        pp_report_free(&r);
    }

    t_free(&s);
}


/* ESC ] 0 ; ... BEL retitles a terminal, ESC [ 31 m colours it */
#define T_EVIL      "\033]0;PWNED\007\033[31mRED\033[2J\x9b\xc2\x85\x7f"
#define T_EVIL_ESC  "\\x1b]0;PWNED\\x07\\x1b[31mRED\\x1b[2J\\x9b\\xc2\\x85\\x7f"


/*
 * 1 when s holds no control character but newline and tab: no C0, no
 * DEL, no C1 (U+0080-U+009F), no such byte after an ASCII one
 */
static int
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


static void
t_escape(void)
{
    char  buf[256];

    t_ok(strcmp(pp_escape(buf, sizeof(buf), "a" T_EVIL "z"),
                "a" T_EVIL_ESC "z") == 0,
         "escape: C0, DEL, C1 and stray bytes as \\xHH: %s", buf);
    t_ok(strcmp(pp_escape(buf, sizeof(buf), "\xc3\xa9\xe2\x89\x88 \t\n"),
                "\xc3\xa9\xe2\x89\x88 \\x09\\x0a") == 0,
         "escape: UTF-8 is kept, tab and newline of a name are not");
    t_ok(strcmp(pp_escape(buf, sizeof(buf), "\xed\xa0\x80\xc0\xaf"),
                "\\xed\\xa0\\x80\\xc0\\xaf") == 0,
         "escape: surrogates and overlong forms are bytes: %s", buf);
    t_ok(strcmp(pp_escape(buf, 6, "ab\033c"), "ab") == 0
         && strcmp(pp_escape(buf, 7, "ab\033c"), "ab\\x1b") == 0
         && strcmp(pp_escape(buf, 4, "a\xc3\xa9"), "a\xc3\xa9") == 0
         && strcmp(pp_escape(buf, 3, "a\xc3\xa9"), "a") == 0,
         "escape: cut between characters, never inside an escape");
}


/* every text view of a report whose names are all hostile */
static void
t_escape_views(t_seg_t *s)
{
    int          rc, ok;
    char         err[PP_ERR_LEN], *out;
    size_t       i, len;
    FILE        *f;
    pp_view_t    v;
    pp_input_t   in;
    pp_report_t  r;

    memset(&in, 0, sizeof(in));
    in.seg.path = "evil";
    in.seg.buf = s->buf;
    in.seg.len = s->len;
    pp_view_init(&v);

    rc = pp_report_build(&r, &in, &v, err, sizeof(err));
    t_ok(rc == 0, "hostile names: the segment merges%s%s", rc ? ": " : "",
         rc ? err : "");
    if (rc != 0) {
        return;
    }

    /* symbols as an object file could name them */
    for (i = 0; i < r.nsites; i++) {
        free(r.sites[i].symbol);
        r.sites[i].symbol = strdup("site" T_EVIL);
    }
    for (i = 0; i < r.npools; i++) {
        free(r.pools[i].symbol);
        r.pools[i].symbol = strdup("pool" T_EVIL);
    }
    for (i = 0; i < r.ntags; i++) {
        free(r.tags[i].symbol);
        r.tags[i].symbol = strdup("tag" T_EVIL);
    }
    for (i = 0; i < r.nleaks; i++) {
        free(r.leaks[i].symbol);
        r.leaks[i].symbol = strdup("leak" T_EVIL);
    }
    pp_report_warn(&r, "a warning" T_EVIL);

    ok = r.nleaks != 0 && r.ngrowth != 0;

    for (v.by = PP_BY_SITE; v.by <= PP_BY_TAG; v.by++) {
        f = open_memstream(&out, &len);
        pp_text_print(f, &r, &v);
        fclose(f);

        ok = ok && t_clean(out, len) && strstr(out, T_EVIL_ESC) != NULL
             && (v.by != PP_BY_SITE || strstr(out, "leak\\x1b]0;") != NULL);
        free(out);
    }

    t_ok(ok, "hostile names: every text view escapes them, the leaks table "
         "too");

    pp_report_free(&r);
}


/* shard 0 names the objects paths[0..2], a row in each */
static void
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


/* names everywhere: the executable, object paths, leaks and growth */
static void
t_build_evil(t_seg_t *s)
{
    uint32_t      i;
    pp_lpool_t   *l;
    pp_growth_t  *g;
    pp_stack_t   *st;

    t_build(s);
    snprintf(s->h->exe, PP_PATH_MAX, "/usr/sbin/nginx" T_EVIL);

    for (i = 0; i < T_NSHARDS; i++) {
        snprintf(t_obj(s, i, 0)->path, PP_PATH_MAX,
                 "/nonexistent/dir" T_EVIL "/ngx" T_EVIL);

        g = (pp_growth_t *) (t_shard(s, i) + s->h->growth_off);
        g[1].key = 77;
        g[1].site = T_SITE_A;
        g[1].pool_site = T_SITE_B;
        g[1].allocs = 2;
        g[1].bytes = 200;
        g[1].pools = 1;
        g[1].returns = 2;

        st = (pp_stack_t *) (t_shard(s, i) + s->h->stacks_off);
        st[0].key = 99;
        st[0].depth = 2;
        st[0].frames[0] = T_SITE_A;
        st[0].frames[1] = T_SITE_B;
        st[0].pinned_bytes = 300;
    }

    /* a pool the worker left at its clean exit: a leak */
    l = (pp_lpool_t *) (t_shard(s, 1) + s->h->live_off);
    t_sh(s, 1)->end_mono_ns = 5000;
    l[0].key = 0x1000;
    l[0].site = T_SITE_B;
    l[0].created_mono_ns = 1000;
    l[0].alloc_bytes = 64;
}


static int
t_open_file(const char *path, int flags, const char *want)
{
    int          fd;
    char         err[PP_ERR_LEN];
    struct stat  sb;

    err[0] = '\0';
    fd = pp_open_regular(path, flags, &sb, err, sizeof(err));

    if (fd >= 0) {
        close(fd);
        return want == NULL && S_ISREG(sb.st_mode);
    }

    return want != NULL && strstr(err, want) != NULL;
}


/* regular files only; the header first; who may read a segment */
static void
t_files(void)
{
    int              fd;
    char             path[128], link[128], fifo[128], big[128],
                     want[128], err[PP_ERR_LEN];
    t_seg_t          s;
    pp_report_t      r;

    t_build(&s);
    t_write("open", s.buf, s.len, path, sizeof(path));
    snprintf(link, sizeof(link), "%s/open.link", t_dir);
    snprintf(fifo, sizeof(fifo), "%s/open.fifo", t_dir);
    unlink(link);
    unlink(fifo);

    t_ok(t_open_file(path, 0, NULL), "open: a regular file");
    t_ok(symlink(path, link) == 0 && t_open_file(link, PP_OPEN_FOLLOW, NULL)
         && t_open_file(link, 0, "symbolic link (not followed)"),
         "open: a symbolic link only with PP_OPEN_FOLLOW");
    t_ok(mkfifo(fifo, 0600) == 0 && t_open_file(fifo, 0, "not a regular")
         && t_open_file(fifo, PP_OPEN_FOLLOW, "not a regular"),
         "open: a FIFO is refused, without blocking");
    unlink(link);
    t_ok(symlink(fifo, link) == 0
         && t_open_file(link, PP_OPEN_FOLLOW, "not a regular"),
         "open: a link to a FIFO is refused when followed");
    t_ok(t_open_file("/dev/null", PP_OPEN_FOLLOW, "not a regular")
         && t_open_file(t_dir, PP_OPEN_FOLLOW, "is a directory"),
         "open: a device and a directory are refused");

    t_ok(pp_seg_mode(0100600) == PP_MODE_OK && pp_seg_mode(0640) == PP_MODE_OK
         && pp_seg_mode(0400) == PP_MODE_OK && pp_seg_mode(0440) == PP_MODE_OK
         && pp_seg_mode(0644) == PP_MODE_WARN
         && pp_seg_mode(0755) == PP_MODE_WARN
         && pp_seg_mode(0660) == PP_MODE_REFUSE
         && pp_seg_mode(0604) == PP_MODE_REFUSE
         && pp_seg_mode(0666) == PP_MODE_REFUSE
         && pp_seg_mode(0620) == PP_MODE_REFUSE,
         "mode: 0600 and 0640 read, 0644 warns, any other reader or writer "
         "refuses (x bits aside)");

    chmod(path, 0666);
    t_file("mode 0666 is refused", path, "mode 0666 lets other users");
    chmod(path, 0640);
    fd = pp_report_load(&r, path, PP_OPEN_FOLLOW, err, sizeof(err));
    t_ok(fd == 0, "mode 0640 reads%s%s", fd ? ": " : "", fd ? err : "");
    if (fd == 0) {
        pp_report_free(&r);
    }

    pp_seg_max_size(s.len - 1);
    snprintf(want, sizeof(want), "(%zu bytes), over the --max-size limit of ",
             s.len);
    t_file("--max-size below the segment's size", path, want);
    pp_seg_max_size(s.len);
    fd = pp_report_load(&r, path, PP_OPEN_FOLLOW, err, sizeof(err));
    t_ok(fd == 0, "--max-size of the segment's size reads");
    if (fd == 0) {
        pp_report_free(&r);
    }
    pp_seg_max_size(PP_SEG_MAX_DEFAULT);

    /* a header claiming 8 GiB, in a sparse file of that size */
    s.h->size = 8ULL << 30;
    t_write("big", s.buf, PP_SEG_HEADER_SIZE, big, sizeof(big));
    if (truncate(big, (off_t) s.h->size) == 0) {
        t_file("8 GiB claimed: refused before reading",
               big, "segment of 8.0 GiB (8589934592 bytes), over the "
               "--max-size limit of 4.0 GiB (4294967296 bytes)");
    } else {
        t_ok(1, "# SKIP truncate: %s", strerror(errno));
    }

    unlink(big);
    unlink(link);
    unlink(fifo);
    unlink(path);
    t_free(&s);
}


/*
 * The segments of tests/t-report-hostile.sh:
 *   huge.seg     a valid header claiming 8 GiB, in a sparse 8 GiB file
 *   evil.seg     control characters in every name the segment holds
 *   objects.seg  objects named DIR/obj.fifo, DIR/obj.link and /dev/null
 *   plain.seg    a valid segment that names no object: no warning
 * all mode 0600.
 */
static int
t_hostile(const char *dir)
{
    char         path[4096], fifo[4096], link[4096];
    t_seg_t      s;
    const char  *paths[3];

    snprintf(t_dir, sizeof(t_dir), "%.60s", dir);

    t_build(&s);
    s.h->size = 8ULL << 30;
    if (t_write("huge.seg", s.buf, PP_SEG_HEADER_SIZE, path, sizeof(path))
        != 0 || truncate(path, (off_t) s.h->size) != 0)
    {
        fprintf(stderr, "failed to write %s: %s\n", path, strerror(errno));
        return 1;
    }
    t_free(&s);

    t_build_evil(&s);
    t_write("evil.seg", s.buf, s.len, path, sizeof(path));
    t_free(&s);

    snprintf(fifo, sizeof(fifo), "%s/obj.fifo", t_dir);
    snprintf(link, sizeof(link), "%s/obj.link", t_dir);
    paths[0] = fifo;
    paths[1] = link;
    paths[2] = "/dev/null";

    t_build(&s);
    t_objects(&s, paths);
    if (t_write("objects.seg", s.buf, s.len, path, sizeof(path)) != 0) {
        fprintf(stderr, "failed to write %s: %s\n", path, strerror(errno));
        return 1;
    }
    t_free(&s);

    t_build(&s);
    t_sh(&s, 0)->nobjects_used = 0;
    t_sh(&s, 1)->nobjects_used = 0;
    if (t_write("plain.seg", s.buf, s.len, path, sizeof(path)) != 0) {
        fprintf(stderr, "failed to write %s: %s\n", path, strerror(errno));
        return 1;
    }
    t_free(&s);

    return 0;
}


static void
t_hostile_names(void)
{
    t_seg_t  s;

    t_escape();
    t_build_evil(&s);
    t_escape_views(&s);
    t_free(&s);
}


static void
t_cleanup(const char *name)
{
    char  path[128];

    snprintf(path, sizeof(path), "%s/%s", t_dir, name);
    unlink(path);
}


/* the synthetic segments as a seed corpus for fuzz_read */
static int
t_seeds(const char *dir)
{
    char     path[4096];
    t_seg_t  s;

    t_build(&s);
    snprintf(t_dir, sizeof(t_dir), "%.60s", dir);

    if (t_write("seed-valid", s.buf, s.len, path, sizeof(path)) != 0) {
        fprintf(stderr, "failed to write %s: %s\n", path, strerror(errno));
        return 1;
    }

    t_sh(&s, 1)->state = PP_SHARD_ALIVE;
    t_sh(&s, 0)->nobjects_used = 0;
    t_write("seed-alive", s.buf, s.len, path, sizeof(path));

    t_write("seed-header", s.buf, PP_SEG_HEADER_SIZE, path, sizeof(path));

    t_free(&s);

    return 0;
}


int
main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--seeds") == 0) {
        return t_seeds(argv[2]);
    }

    if (argc == 3 && strcmp(argv[1], "--hostile") == 0) {
        return t_hostile(argv[2]);
    }

    snprintf(t_dir, sizeof(t_dir), "/tmp/pp-test-read.XXXXXX");
    if (mkdtemp(t_dir) == NULL) {
        printf("1..0 # SKIP failed to create a temporary directory\n");
        return 77;
    }

    t_valid();
    t_corruptions();
    t_symbols();
    t_misc();
    t_v2();
    t_v3();
    t_files();
    t_hostile_names();

    t_cleanup("valid");
    t_cleanup("empty");
    t_cleanup("fifo");
    rmdir(t_dir);

    printf("1..%d\n", t_n);

    return t_failed ? 1 : 0;
}
