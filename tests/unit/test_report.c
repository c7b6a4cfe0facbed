/*
 * TAP test of the reporter's pipeline and output on synthetic segments
 * (pp_segbuild.c): pp_report_build() from memory (--pid, --diff, the
 * offline names of the fuzz target), symbols of this very binary, JSON
 * escaping, percentiles and process states, and names with control
 * characters in every section of the text, which must never reach the
 * terminal.
 */

#define _GNU_SOURCE
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pp_proc.h"
#include "pp_segbuild.h"


/* the hostile name of the brief test: a title and a screen clear */
#define T_PWNED      "\033]0;pwned\007\033[2J"
#define T_PWNED_ESC  "\\x1b]0;pwned\\x07\\x1b[2J"


static int t_build_from(pp_report_t *r, const t_seg_t *s, uint32_t pid,
    const char *diff, int offline, char *err, size_t errlen);
static void t_text(const pp_report_t *r, const pp_view_t *v, char **out,
    size_t *len);


/* s through the pipeline; offline as the fuzz target reads */
static int
t_build_from(pp_report_t *r, const t_seg_t *s, uint32_t pid,
    const char *diff, int offline, char *err, size_t errlen)
{
    pp_view_t   v;
    pp_input_t  in;

    memset(&in, 0, sizeof(in));
    in.seg.path = "mem";
    in.seg.buf = s->buf;
    in.seg.len = s->len;
    in.pid = pid;
    in.offline = offline;

    if (diff != NULL) {
        in.base = in.seg;
        in.base.path = diff;
    }

    pp_view_init(&v);
    v.diff = diff;

    return pp_report_build(r, &in, &v, err, errlen);
}


/* the text report in view v, into *out (freed by the caller) */
static void
t_text(const pp_report_t *r, const pp_view_t *v, char **out, size_t *len)
{
    FILE  *f;

    f = open_memstream(out, len);
    if (f == NULL) {
        abort();
    }

    pp_text_print(f, r, v);
    fclose(f);
}


/* pp_report_build() from memory: --pid, --diff, offline names */
static void
t_pipeline(void)
{
    int          rc;
    char         err[PP_ERR_LEN];
    t_seg_t      s;
    pp_report_t  r;

    t_build(&s);

    rc = t_build_from(&r, &s, 0, NULL, 1, err, sizeof(err));
    ok(rc == 0 && r.nsites == 3 && r.sites[0].key == T_SITE_B
         && r.sites[0].symbol != NULL && r.sites[0].symbol[0] == '\0'
         && r.nwarnings == 0,
         "pipeline: merged, sorted, named offline without a warning");
    if (rc == 0) {
        pp_report_free(&r);
    }

    rc = t_build_from(&r, &s, 101, NULL, 1, err, sizeof(err));
    ok(rc == 0 && r.nprocs == 1 && r.procs[0].pid == 101
         && r.totals.allocs == 20, "pipeline: --pid 101, the worker alone");
    if (rc == 0) {
        pp_report_free(&r);
    }

    rc = t_build_from(&r, &s, 999, NULL, 1, err, sizeof(err));
    ok(rc == -1 && strcmp(err, "mem: no process 999 in the segment") == 0,
         "pipeline: --pid of no process: \"%s\"", err);

    rc = t_build_from(&r, &s, 0, "base", 1, err, sizeof(err));
    ok(rc == 0 && r.nsites == 0 && r.npools == 0 && r.ntags == 0
         && r.totals.allocs == 0,
         "pipeline: --diff against the same bytes leaves nothing");
    if (rc == 0) {
        pp_report_free(&r);
    }

    s.h->version = 9;
    rc = t_build_from(&r, &s, 0, NULL, 1, err, sizeof(err));
    ok(rc == -1 && strncmp(err, "mem: unsupported segment version 9", 34)
         == 0, "pipeline: a refusal names the segment: \"%s\"", err);

    t_free(&s);
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
        ok(0, "failed to find the test binary");
        return;
    }

    self.dev = sb.st_dev;
    self.ino = sb.st_ino;
    self.mtime = sb.st_mtime;
    self.file_size = sb.st_size;

    t_build(&s);
    t_sh(&s, 1)->state = PP_SHARD_FREE;
    *t_obj(&s, 0, 0) = self;

    /* a return address in t_build_version(), and a tag: a data object */
    t_site(&s, 0, 3)->key = (uintptr_t) t_build_version + 16;
    t_tag(&s, 0, 0)->key = (uintptr_t) t_dir;
    t_pool(&s, 0, 1)->key = (uintptr_t) t_free + 4;

    rc = pp_seg_merge(&r, s.buf, s.len, 0, err, sizeof(err));
    if (rc != 0) {
        ok(0, "symbols: the segment merges: %s", err);
        t_free(&s);
        return;
    }

    pp_sym_resolve(&r);
    pp_report_sort(&r, &v);

    for (i = 0;
         i < r.nsites && r.sites[i].key != (uintptr_t) t_build_version + 16;
         i++)
    {
        /* void */
    }

    ok(i < r.nsites && strcmp(r.sites[i].symbol, "t_build_version") == 0
         && strstr(r.sites[i].source, "pp_segbuild.c:") != NULL,
         "symbols: a site in a function: %s at %s",
         i < r.nsites ? r.sites[i].symbol : "?",
         i < r.nsites ? r.sites[i].source : "?");
    ok(strcmp(r.pools[0].symbol, "t_free") == 0,
         "symbols: a pool site: %s", r.pools[0].symbol);
    for (i = 0; i < r.ntags && r.tags[i].key != (uintptr_t) t_dir; i++) {
        /* void */
    }

    ok(i < r.ntags && strcmp(r.tags[i].symbol, "t_dir") == 0,
         "symbols: a tag is a data object: %s",
         i < r.ntags ? r.tags[i].symbol : "?");
    ok(r.nwarnings == 0, "symbols: no warnings");
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
    ok(rc == 0 && r.nwarnings == 1
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
    ok(rc == 0 && r.nwarnings == 1
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
    ok(strcmp(out, "\"a\\\"b\\\\c\\n\\u0001\x7f\xc3\xa9\\u00ff\\u00c0"
                     "\\u00af\\u00ed\\u00a0\\u0080\"") == 0,
         "JSON escaping: %s", out);
    free(out);

    memset(&h, 0, sizeof(h));
    ok(pp_rhist_percentile(&h, 50) == 0, "percentile of nothing is 0");
    h.count[3] = 1;
    h.count[255] = 1;
    ok(pp_rhist_percentile(&h, 50) == 3
         && pp_rhist_percentile(&h, 100) == pp_hist_lower(251),
         "percentile: corrupt top buckets are clamped");
    memset(&h, 0, sizeof(h));
    h.count[pp_hist_bucket(10)] = 50;
    h.count[pp_hist_bucket(1000)] = 45;
    h.count[pp_hist_bucket(100000)] = 5;
    ok(pp_rhist_percentile(&h, 50) == 10
         && pp_rhist_percentile(&h, 95) == 896
         && pp_rhist_percentile(&h, 96) == 98304,
         "percentile: p50 p95 p96 at bucket lower bounds");

    ok(pp_proc_status(getpid(), PP_SHARD_EXITED, 0) == PP_STATUS_EXITED,
         "state exited");
    ok(pp_proc_status(getpid(), PP_SHARD_ALIVE, 1) == PP_STATUS_CRASHED,
         "alive with another start time: crashed");
    ok(pp_proc_status(0x7ffffffe, PP_SHARD_ALIVE, 1) == PP_STATUS_CRASHED,
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
    ok(pp_proc_status(getpid(), PP_SHARD_ALIVE, start) == PP_STATUS_ALIVE,
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
        ok(child > 0 && cstart != 0
             && pp_proc_status((uint32_t) child, PP_SHARD_ALIVE, cstart)
                == PP_STATUS_CRASHED,
             "a zombie, not yet reaped, is not alive");
        waitpid(child, NULL, 0);
    }

    snprintf(want, sizeof(want), "%s", pp_role_name(PP_ROLE_HELPER));
    ok(strcmp(want, "helper") == 0
         && strcmp(pp_role_name(99), "unknown") == 0, "role names");
}


static void
t_escape(void)
{
    char  buf[256];

    ok(strcmp(pp_escape(buf, sizeof(buf), "a" T_EVIL "z"),
                "a" T_EVIL_ESC "z") == 0,
         "escape: C0, DEL, C1 and stray bytes as \\xHH: %s", buf);
    ok(strcmp(pp_escape(buf, sizeof(buf), "\xc3\xa9\xe2\x89\x88 \t\n"),
                "\xc3\xa9\xe2\x89\x88 \\x09\\x0a") == 0,
         "escape: UTF-8 is kept, tab and newline of a name are not");
    ok(strcmp(pp_escape(buf, sizeof(buf), "\xed\xa0\x80\xc0\xaf"),
                "\\xed\\xa0\\x80\\xc0\\xaf") == 0,
         "escape: surrogates and overlong forms are bytes: %s", buf);
    ok(strcmp(pp_escape(buf, 6, "ab\033c"), "ab") == 0
         && strcmp(pp_escape(buf, 7, "ab\033c"), "ab\\x1b") == 0
         && strcmp(pp_escape(buf, 4, "a\xc3\xa9"), "a\xc3\xa9") == 0
         && strcmp(pp_escape(buf, 3, "a\xc3\xa9"), "a") == 0,
         "escape: cut between characters, never inside an escape");
}


static void
t_rename(char **symbol, const char *name)
{
    free(*symbol);
    *symbol = strdup(name);
}


/* every text view of a report whose names are all hostile */
static void
t_escape_views(t_seg_t *s)
{
    int          rc, good;
    char         err[PP_ERR_LEN], *out;
    size_t       i, len;
    pp_view_t    v;
    pp_report_t  r;

    /* not offline: the missing object warns, with its name escaped */
    pp_view_init(&v);
    rc = t_build_from(&r, s, 0, NULL, 0, err, sizeof(err));
    ok(rc == 0, "hostile names: the segment merges%s%s", rc ? ": " : "",
         rc ? err : "");
    if (rc != 0) {
        return;
    }

    /* symbols as an object file could name them */
    for (i = 0; i < r.nsites; i++) {
        t_rename(&r.sites[i].symbol, "site" T_EVIL);
    }
    for (i = 0; i < r.npools; i++) {
        t_rename(&r.pools[i].symbol, "pool" T_EVIL);
    }
    for (i = 0; i < r.ntags; i++) {
        t_rename(&r.tags[i].symbol, "tag" T_EVIL);
    }
    for (i = 0; i < r.nleaks; i++) {
        t_rename(&r.leaks[i].symbol, "leak" T_EVIL);
    }
    for (i = 0; i < r.ngrowth; i++) {
        t_rename(&r.growth[i].symbol, "grow" T_EVIL);
    }
    pp_report_warn(&r, "a warning" T_EVIL);

    /* site A is inside a helper, called from a hostile frame: "via" */
    good = r.nleaks != 0 && r.ngrowth != 0 && r.nstacks == 1;
    for (i = 0; good && i < r.nstacks; i++) {
        t_rename(&r.stacks[i].symbols[0], "ngx_palloc");
        t_rename(&r.stacks[i].symbols[1], "via" T_EVIL);
    }
    free(r.owners);
    good = good && pp_owners_build(&r) == 0 && r.nowners == 1;

    for (v.by = PP_BY_SITE; v.by <= PP_BY_TAG; v.by++) {
        t_text(&r, &v, &out, &len);

        good = good && t_clean(out, len) && strstr(out, T_EVIL_ESC) != NULL
             && (v.by != PP_BY_SITE
                 || (strstr(out, "leak\\x1b]0;") != NULL
                     && strstr(out, "grow\\x1b]0;") != NULL
                     && strstr(out, "via via\\x1b]0;") != NULL));
        free(out);
    }

    ok(good, "hostile names: every text view escapes them; leaks, growth "
         "and via too");

    pp_report_free(&r);
}


/* one view of the report of t_hostile_text(): 1 when it is clean */
static int
t_hostile_view(const pp_report_t *r, const pp_view_t *v)
{
    int          good;
    char        *out;
    size_t       len;
    const char  *leaks;

    t_text(r, v, &out, &len);
    leaks = strstr(out, "\nLeaks and growth");

    /* the pool table cuts the name from the front */
    good = memchr(out, '\033', len) == NULL
         && strstr(out, "]0;pwned\\x07\\x1b[2J") != NULL
         && (v->by != PP_BY_SITE
             || (leaks != NULL
                 && strstr(leaks, "  ngx" T_PWNED_ESC "+0x") != NULL
                 && strstr(leaks, " -> ngx\\x1b]0;") != NULL
                 && strstr(leaks, "growing live pools") != NULL));

    free(out);

    return good;
}


/*
 * An object named with a terminal title and a screen clear, read
 * offline, so that every row of every section is named by the object:
 * sites, pools, tags, leaks, growth and a growing live pool.  No view of
 * the text report holds an ESC byte.
 */
static void
t_hostile_text(void)
{
    int           rc, good;
    char          err[PP_ERR_LEN];
    size_t        i;
    t_seg_t       s;
    pp_view_t     v;
    pp_lpool_t   *l;
    pp_report_t   r;

    t_build_evil(&s);

    for (i = 0; i < T_NSHARDS; i++) {
        snprintf(t_obj(&s, i, 0)->path, PP_PATH_MAX,
                 "/nonexistent/" T_PWNED "/ngx" T_PWNED);
        t_pool(&s, i, 1)->leaked = 2;
    }

    /* the master is still alive, with a pool that keeps growing */
    t_sh(&s, 0)->state = PP_SHARD_ALIVE;
    l = t_live(&s, 0, 1);
    l->key = 0x2000;
    l->site = T_SITE_A;
    l->alloc_bytes = 4096;
    l->ll_bytes = 1024;

    rc = t_build_from(&r, &s, 0, NULL, 1, err, sizeof(err));
    ok(rc == 0 && r.nleaks != 0 && r.ngrowth != 0 && r.nlive == 2,
         "hostile object: the segment reads%s%s", rc ? ": " : "",
         rc ? err : "");

    if (rc == 0) {
        pp_view_init(&v);
        good = 1;

        for (v.by = PP_BY_SITE; v.by <= PP_BY_TAG; v.by++) {
            good = good && t_hostile_view(&r, &v);
        }

        ok(good, "hostile object: no ESC byte in any view of the text, "
             "the leaks, growth and live pools named escaped");
        pp_report_free(&r);
    }

    t_free(&s);
}


static void
t_hostile_names(void)
{
    t_seg_t  s;

    t_escape();
    t_build_evil(&s);
    t_escape_views(&s);
    t_free(&s);

    t_hostile_text();
}


/* pool kinds by creating function, or by a static function's callers */
static void
t_pool_kinds(void)
{
    size_t                 i;
    const pp_pool_kind_t  *k;

    static const struct {
        const char  *symbol;
        const char  *kind;
        const char  *directive;
    } want[] = {
        { "ngx_http_alloc_request", "request", "request_pool_size" },
        { "static function nginx+0x6c880 (called from "
          "ngx_http_create_request, ngx_http_ssl_certificate)",
          "request", "request_pool_size" },
        { "static function nginx+0x10 (called from ngx_foo, "
          "ngx_event_accept)", "connection", "connection_pool_size" },
        { "ngx_http_v2_init", "http2_connection", "http2_pool_size" },
        { "ngx_http_v2_state_headers", "http2_stream", NULL },
        { "ngx_init_cycle", "cycle", NULL },
        { "main", "cycle", NULL },
        { "ngx_http_map_block", "module", NULL },
        { "ngx_http_upstream_connect", "connection", NULL },
    };

    for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        k = pp_pool_kind_find(want[i].symbol);
        ok(k != NULL && strcmp(k->kind, want[i].kind) == 0
             && (k->directive == NULL) == (want[i].directive == NULL)
             && (k->directive == NULL
                 || strcmp(k->directive, want[i].directive) == 0),
             "pool kind of %s: %s", want[i].symbol, want[i].kind);
    }

    ok(pp_pool_kind_find("ngx_init_cycles") == NULL
         && pp_pool_kind_find("mainly") == NULL
         && pp_pool_kind_find("static function nginx+0x10") == NULL
         && pp_pool_kind_find("static function x+0x1 (called from ") == NULL
         && pp_pool_kind_find("") == NULL,
         "no kind for other names, whole names matched whole");
}


/* s sampled 1 in period, as a segment of version */
static void
t_build_sampled(t_seg_t *s, uint32_t version, uint32_t period)
{
    t_build_version(s, version);
    s->h->sample_period = period;
    t_add_growth(s, 1, 0);
    t_add_stack(s, 1);

    if (version >= 4) {
        t_sh(s, 1)->totals.pools_unsampled = 9;
    }
}


/*
 * POOLPROF_SAMPLE: the merge scales every counter but the EXACT ones by
 * the segment's period, sizes and older versions stay; the text and the
 * JSON say estimates; --diff scales each segment by its own
 */
static void
t_sample(void)
{
    int          rc;
    char         err[PP_ERR_LEN], *out;
    size_t       len, i;
    FILE        *f;
    t_seg_t      s, b;
    pp_view_t    v;
    pp_input_t   in;
    pp_rsite_t  *a;
    pp_report_t  r;

    t_build_sampled(&s, PP_SEG_VERSION, 4);

    rc = pp_seg_merge(&r, s.buf, s.len, 0, err, sizeof(err));
    a = rc == 0 ? t_find_site(&r, T_SITE_A) : NULL;
    ok(rc == 0 && r.sample_period == 4 && r.estimated
         && r.totals.allocs == 4 * 30 && r.retired.allocs == 4 * 10
         && r.nprocs == 1 && r.procs[0].totals.allocs == 4 * 20
         && r.totals.pinned_bytes == 4 * 200,
         "sample: totals, retired and processes times 4");
    ok(rc == 0 && r.totals.overflow == 1 && r.totals.pools_unsampled == 9,
         "sample: EXACT totals are not scaled");
    ok(a != NULL && a->s.allocs == 4 * 10 && a->s.noop_frees == 4 * 4
         && a->s.pinned_byte_seconds == 4.0,
         "sample: site counters and byte-seconds times 4");

    for (i = 0; rc == 0 && i < r.npools && r.pools[i].key != T_SITE_A; i++) {
        /* void */
    }
    ok(rc == 0 && i < r.npools && r.pools[i].p.created == 4 * 6
         && r.pools[i].p.size == 1024
         && r.pools[i].used.count[pp_hist_bucket(100)] == 4 * 3
         && pp_rhist_percentile(&r.pools[i].used, 50) < 5000,
         "sample: pool counters and histograms times 4, not sizes, "
         "percentiles as they were");
    for (i = 0; rc == 0 && i < r.ntags && r.tags[i].key != T_TAG; i++) {
        /* void */
    }
    ok(rc == 0 && i < r.ntags && r.tags[i].t.hits == 4 * 6
         && r.tags[i].t.misses == 4 * 2 && r.ngrowth == 1
         && r.growth[0].g.allocs == 4 * 2 && r.nstacks == 1
         && r.stacks[0].s.pinned_bytes == 4 * 300,
         "sample: tags, growth and stacks times 4");

    if (rc == 0) {
        pp_view_init(&v);
        t_text(&r, &v, &out, &len);
        ok(strstr(out, "\nestimates: 1 in 4 pools tracked, counts scaled "
                     "by 4\n") != NULL, "sample: the text's header says so");
        free(out);

        f = open_memstream(&out, &len);
        if (f == NULL) {
            abort();
        }
        pp_json_print(f, &r, &v);
        fclose(f);
        ok(strstr(out, "\"sample_period\": 4, \"estimated\": true")
             != NULL, "sample: the JSON says so");
        free(out);

        pp_report_free(&r);
    }

    /* the base tracked every pool: each is scaled by its own */
    t_build_sampled(&b, PP_SEG_VERSION, 1);

    memset(&in, 0, sizeof(in));
    in.seg.path = "cur";
    in.seg.buf = s.buf;
    in.seg.len = s.len;
    in.base.path = "base";
    in.base.buf = b.buf;
    in.base.len = b.len;
    in.offline = 1;
    pp_view_init(&v);
    v.diff = "base";

    rc = pp_report_build(&r, &in, &v, err, sizeof(err));
    ok(rc == 0 && r.estimated && r.sample_period == 4
         && r.totals.allocs == 4 * 30 - 30 && r.nwarnings == 1
         && strstr(r.warnings[0], "1 in 1 pools") != NULL,
         "sample: --diff scales each by its own period, with a warning");
    if (rc == 0) {
        pp_report_free(&r);
    }

    t_free(&b);
    t_free(&s);

    /* a version 3 header has no sample_period: what lies there is not */
    t_build_sampled(&s, 3, 4);
    rc = pp_seg_merge(&r, s.buf, s.len, 0, err, sizeof(err));
    ok(rc == 0 && r.sample_period == 1 && !r.estimated
         && r.totals.allocs == 30, "sample: version 3 is never scaled");
    if (rc == 0) {
        pp_report_free(&r);
    }

    t_free(&s);
}


int
main(void)
{
    t_pipeline();
    t_symbols();
    t_misc();
    t_hostile_names();
    t_pool_kinds();
    t_sample();

    return pp_tap_done();
}
