/*
 * TAP test of the segment reader on synthetic segments (pp_segbuild.c):
 * a valid one, merged over shards, sorted and printed; one per
 * corruption, each refused with the expected reason; version 2's tables
 * (growth, stacks, live pools) and version 3's retired shard.
 *
 * `test_read --seeds DIR` writes the synthetic segments into DIR: the
 * seed corpus of fuzz_read.  `test_read --hostile DIR` writes the
 * hostile segments of tests/t-report-hostile.sh into DIR (see
 * t_hostile()), built here so that they follow the format's version.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pp_segbuild.h"


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

    ok(rc == -1 && strstr(err, want) != NULL, "%s: \"%s\"", desc, err);

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
    ok(rc == 0, "a valid segment is accepted%s%s", rc ? ": " : "",
         rc ? err : "");
    if (rc != 0) {
        t_free(&s);
        return;
    }

    ok(r.nprocs == 2 && r.procs[0].pid == 100 && r.procs[1].pid == 101
         && r.procs[1].role == PP_ROLE_WORKER
         && r.procs[0].status == PP_STATUS_EXITED,
         "two processes, roles and states");
    ok(r.totals.allocs == 30 && r.totals.pinned_bytes == 200
         && r.totals.unused_bytes == 2000 && r.totals.overflow == 1,
         "totals summed over shards");
    ok(r.nobjs == 1, "the shared object is deduplicated");

    a = t_find_site(&r, T_SITE_A);
    b = t_find_site(&r, T_SITE_B);
    ok(a != NULL && a->s.allocs == 10 && a->s.noop_frees == 4
         && a->s.pinned_bytes == 128 && a->s.pinned_byte_seconds == 1.0
         && a->obj == 0,
         "merge: one site in two shards has summed counts");
    ok(b != NULL && b->s.allocs == 1, "merge: a site of one shard");

    novf = 0;
    for (i = 0; i < r.nsites; i++) {
        if (r.sites[i].overflow) {
            novf++;
            ok(r.sites[i].s.allocs == 9, "overflow rows are summed");
        }
    }
    ok(r.nsites == 3 && novf == 1, "3 site rows, one of them overflow");

    ok(r.npools == 1 && r.pools[0].p.created == 6
         && r.pools[0].p.unused_bytes == 600 && r.pools[0].p.size == 1024,
         "merge: pools by creating site");
    ok(pp_rhist_percentile(&r.pools[0].used, 50)
         == pp_hist_lower(pp_hist_bucket(100))
         && pp_rhist_percentile(&r.pools[0].used, 95)
            == pp_hist_lower(pp_hist_bucket(5000))
         && pp_rhist_percentile(&r.pools[0].used, 75) == 96,
         "percentiles: p50 %llu p75 %llu p95 %llu",
         (unsigned long long) pp_rhist_percentile(&r.pools[0].used, 50),
         (unsigned long long) pp_rhist_percentile(&r.pools[0].used, 75),
         (unsigned long long) pp_rhist_percentile(&r.pools[0].used, 95));

    ok(r.ntags == 3, "tags: the module's, none (key 1), overflow");

    pp_report_sort(&r, &v);
    ok(r.sites[0].key == T_SITE_B && r.sites[2].overflow,
         "sites sorted by pinned bytes, overflow last");
    ok(r.tags[0].key == 1 && r.tags[0].t.misses == 14,
         "tags sorted by misses");
    ok(pp_tag_reuse(&r.tags[1].t) == 0.75, "reuse rate hits/(h+m)");

    /* printing without symbols, then with (the object is missing) */
    f = open_memstream(&json, &jlen);
    pp_json_print(f, &r, &v);
    fclose(f);
    ok(strstr(json, "\"format\": 1") != NULL
         && strstr(json, "\"address\": \"0x555555561234\"") != NULL
         && strstr(json, "\"offset\": \"0xd234\"") != NULL,
         "JSON: format, hex address and offset");
    free(json);

    pp_sym_resolve(&r);
    ok(r.nwarnings == 1 && strstr(r.warnings[0], "cannot read") != NULL,
         "a missing object warns once");
    ok(strcmp(r.tags[0].symbol, "(none)") == 0, "tag key 1 is (none)");
    f = fopen("/dev/null", "w");
    pp_text_print(f, &r, &v);
    fclose(f);
    pp_report_free(&r);

    /* end to end through a file */
    t_write("valid", s.buf, s.len, path, sizeof(path));
    rc = pp_report_load(&r, path, PP_OPEN_FOLLOW, err, sizeof(err));
    ok(rc == 0 && r.nsites == 3, "a valid segment file loads");
    if (rc == 0) {
        pp_report_free(&r);
    }

    /* a different object at the same address in the worker */
    strcpy(t_obj(&s, 1, 0)->path, "/nonexistent/other");
    rc = pp_seg_merge(&r, s.buf, s.len, 0, err, sizeof(err));
    ok(rc == 0 && r.nobjs == 2 && r.nsites == 4,
         "same address, different objects: kept apart");
    if (rc == 0) {
        pp_report_free(&r);
    }

    /* a free shard is skipped */
    memset(t_shard(&s, 1), 0, s.h->shard_size);
    rc = pp_seg_merge(&r, s.buf, s.len, 0, err, sizeof(err));
    ok(rc == 0 && r.nprocs == 1 && r.nsites == 1,
         "a free shard is skipped");
    if (rc == 0) {
        pp_report_free(&r);
    }

    t_free(&s);
}


static void
t_corruptions(void)
{
    t_corrupt("wrong magic", "bad magic", s.buf[0] = 'X');
    t_corrupt("wrong version",
              "unsupported segment version 5 (this poolprof reads 2 to 4)",
              s.h->version = 5);
    t_corrupt("an old version",
              "unsupported segment version 1 (this poolprof reads 2 to 4)",
              s.h->version = 1);
    t_corrupt("v4: a table sized as version 3's", "site table",
              (s.h->version = 4,
               s.h->sites_off = s.h->shard_size - PP_V3_SITE_SIZE
                                * (s.h->nsites + 1)));
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
    ok(rc == 0, "v3: the segment merges: %s", rc ? err : "ok");

    if (rc == 0) {
        ok(r.nprocs == T_NSHARDS - 1 && r.procs[0].pid == 101,
             "v3: the retired shard is no process");
        ok(r.retired.allocs == 10 && r.totals.allocs == 10 + 20,
             "v3: its totals count in the segment's");
        ok(r.nsites > 0 && r.hdr.retired == 7 && r.hdr.retired_crashed == 2
             && r.hdr.claims_failed == 3,
             "v3: retired processes and failed claims are read");
        pp_report_free(&r);
    }

    t_sh(&s, 1)->state = PP_SHARD_FOLDING;
    rc = pp_seg_merge(&r, s.buf, s.len, 0, err, sizeof(err));
    ok(rc == 0 && r.nprocs == T_NSHARDS - 2 && r.totals.allocs == 10,
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
        t_add_growth(&s, i, 1);
        g = t_growth(&s, i, 0);
        g[1].max_age_ns = 1000 * (i + 1);
        g[T_NGROWTH].allocs = 5;        /* the overflow row */

        t_add_stack(&s, i);
        st = t_stack(&s, i, 0);
        st[0].noop_frees = 3;
        st[1].key = 98;
        st[1].depth = 9;                /* over stack_depth 4: corrupt */
        st[1].allocs = 1;
    }

    l = t_live(&s, 1, 0);
    t_sh(&s, 1)->end_mono_ns = 5000;
    l[2].key = 0x1000;
    l[2].site = T_SITE_B;
    l[2].created_mono_ns = 1000;
    l[2].alloc_bytes = 64;

    rc = pp_seg_merge(&r, s.buf, s.len, 0, err, sizeof(err));
    ok(rc == 0, "v2: the segment merges: %s", rc ? err : "ok");

    if (rc == 0) {
        ok(r.ngrowth == 2 && !r.growth[0].overflow
             && r.growth[0].g.allocs == 4 && r.growth[0].g.bytes == 400
             && r.growth[0].g.returns == 2 && r.growth[0].recurring
             && r.growth[0].g.max_age_ns == 2000,
             "v2: growth rows merge over shards, the oldest age kept");
        ok(r.ngrowth == 2 && r.growth[1].overflow
             && r.growth[1].g.allocs == 10,
             "v2: growth overflow rows sum into one");

        nbad = 0;
        for (i = 0; i < r.nwarnings; i++) {
            nbad += strstr(r.warnings[i], "bad depth") != NULL;
        }

        ok(r.nstacks == 1 && r.stacks[0].s.noop_frees == 6
             && r.stacks[0].s.pinned_bytes == 600 && r.stacks[0].s.depth == 2
             && nbad == 1,
             "v2: stacks merge; a row deeper than the segment's is left "
             "out with a warning");
        ok(r.nlive == 1 && r.live[0].pid == 101
             && r.live[0].age_ns == 4000 && r.live[0].l.alloc_bytes == 64,
             "v2: a live pool of an exited process, aged to its exit");
        ok(r.stack_period == 1 && r.long_lived_ns == 1000000000,
             "v2: the sampling period and long-lived threshold are read");

        pp_report_free(&r);
    }

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
    static const char *const  names[] = { "valid", NULL };

    if (argc == 3 && strcmp(argv[1], "--seeds") == 0) {
        return t_seeds(argv[2]);
    }

    if (argc == 3 && strcmp(argv[1], "--hostile") == 0) {
        return t_hostile(argv[2]);
    }

    if (t_scratch("test-read") != 0) {
        return 77;
    }

    t_valid();
    t_corruptions();
    t_v2();
    t_v3();

    t_unscratch(names);

    return pp_tap_done();
}
