/*
 * pp_flame.c: folded lines merged, sorted and escaped; the SVG's frames,
 * values and XML escaping, checked with xmllint when it is installed.
 * TAP; exits 1 if any test failed.
 *
 * test_flame --svg-demo FILE writes a small flame graph to look at, or
 * to screenshot with tests/svg-shot.sh.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pp_tap.h"
#include "pp_flame.h"


typedef struct {
    char       *buf;
    size_t      len;
} pp_out_t;






static void
pp_add(pp_flame_t *f, const char *stack, uint64_t v)
{
    char        *copy, *p;
    size_t       n;
    const char  *frames[64];

    copy = strdup(stack);
    if (copy == NULL) {
        abort();
    }

    n = 0;
    for (p = strtok(copy, ";"); p != NULL && n < 64; p = strtok(NULL, ";")) {
        frames[n++] = p;
    }

    if (pp_flame_add(f, frames, n, v) != 0) {
        abort();
    }

    free(copy);
}


/* out->buf is freed by the caller */
static int
pp_render(pp_out_t *out, const pp_flame_t *f, int svg,
    const pp_flame_opts_t *o)
{
    int    rc;
    FILE  *fp;

    out->buf = NULL;
    out->len = 0;

    fp = open_memstream(&out->buf, &out->len);
    if (fp == NULL) {
        abort();
    }

    rc = svg ? pp_flame_svg(fp, f, o) : pp_flame_folded(fp, f);

    if (fclose(fp) != 0) {
        rc = -1;
    }

    return rc;
}


static size_t
pp_count(const char *s, const char *what)
{
    size_t  n;

    for (n = 0; (s = strstr(s, what)) != NULL; s += strlen(what)) {
        n++;
    }

    return n;
}


/* the widest rect of an SVG */
static double
pp_max_width(const char *s)
{
    double  w, max;

    max = 0;

    while ((s = strstr(s, "<rect ")) != NULL) {
        s = strstr(s, " width=\"");
        if (s == NULL) {
            break;
        }

        s += sizeof(" width=\"") - 1;
        w = strtod(s, NULL);
        max = w > max ? w : max;
    }

    return max;
}


/* 1 valid, 0 invalid, -1 no xmllint */
static int
pp_xmllint(const char *doc)
{
    int          fd, rc;
    char         path[512], cmd[600];
    FILE        *fp;
    const char  *tmp;

    if (system("command -v xmllint > /dev/null 2>&1") != 0) {
        return -1;
    }

    tmp = getenv("TMPDIR");
    snprintf(path, sizeof(path), "%s/test_flame.XXXXXX",
             tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");

    fd = mkstemp(path);
    if (fd == -1) {
        return 0;
    }

    fp = fdopen(fd, "w");
    if (fp == NULL) {
        close(fd);
        unlink(path);
        return 0;
    }

    fputs(doc, fp);
    fclose(fp);

    snprintf(cmd, sizeof(cmd), "xmllint --noout '%s'", path);
    rc = system(cmd);
    unlink(path);

    return rc == 0;
}


static void
pp_ok_xml(const char *doc, const char *what)
{
    int  rc;

    rc = pp_xmllint(doc);

    if (rc == -1) {
        /* "missing package": scripts/check counts this skip as failed */
        pp_tap_skip("missing package libxml2-utils: xmllint is not "
                    "installed: %s", what);

    } else {
        ok(rc, "xmllint accepts %s", what);
    }
}


static int
pp_demo(const char *path)
{
    int               rc;
    FILE             *fp;
    pp_flame_t       *f;
    pp_flame_opts_t   o;

    f = pp_flame_new();
    fp = fopen(path, "w");
    if (f == NULL || fp == NULL) {
        fprintf(stderr, "test_flame: failed to open %s\n", path);
        return 1;
    }

    pp_add(f, "main;ngx_worker_process_cycle;ngx_process_events_and_timers;"
           "ngx_http_wait_request_handler;ngx_http_create_request;"
           "ngx_palloc", 5000);
    pp_add(f, "main;ngx_worker_process_cycle;ngx_process_events_and_timers;"
           "ngx_event_accept;ngx_create_pool", 3000);
    pp_add(f, "main;ngx_worker_process_cycle;ngx_process_events_and_timers;"
           "ngx_http_wait_request_handler;ngx_http_process_request_line;"
           "ngx_http_noop_common;ngx_pfree", 2000);
    pp_add(f, "main;ngx_master_process_cycle;ngx_start_worker_processes;"
           "ngx_init_cycle;ngx_pcalloc", 700);
    pp_add(f, "main;ngx_init_cycle;ngx_conf_parse;ngx_pstrdup", 300);

    memset(&o, 0, sizeof(o));
    o.title = "Pinned bytes (demo)";
    o.subtitle = "estimate: 1 in 512 events sampled, values scaled by 512";
    o.unit = "bytes";

    rc = pp_flame_svg(fp, f, &o);
    if (fclose(fp) != 0) {
        rc = -1;
    }

    pp_flame_free(f);

    if (rc != 0) {
        fprintf(stderr, "test_flame: failed to write %s\n", path);
        return 1;
    }

    return 0;
}


int
main(int argc, char **argv)
{
    int               rc;
    char              deep[3000 * 2], *p;
    size_t            i;
    FILE             *full;
    pp_out_t          a, b;
    pp_flame_t       *f, *g;
    pp_flame_opts_t   o;
    const char       *frames[2], *fr[3000];

    if (argc == 3 && strcmp(argv[1], "--svg-demo") == 0) {
        return pp_demo(argv[2]);
    }

    memset(&o, 0, sizeof(o));
    o.title = "Test";
    o.subtitle = "estimate: 1 in 512 events sampled";
    o.unit = "bytes";

    /* merging and summing */

    f = pp_flame_new();
    pp_add(f, "main;b;c", 10);
    pp_add(f, "main;b;c", 5);
    pp_add(f, "main;b", 7);
    pp_add(f, "main;a", 1);
    rc = pp_render(&a, f, 0, NULL);
    ok(rc == 0 && strcmp(a.buf, "main;a 1\nmain;b 7\nmain;b;c 15\n") == 0,
          "folded merges identical stacks and sums their values");
    free(a.buf);

    rc = pp_render(&a, f, 1, &o);
    ok(rc == 0 && pp_count(a.buf, "<title>") == 5,
          "one <title> per merged node");
    ok(strstr(a.buf, "<title>all (23 bytes, 100.00%)</title>") != NULL
          && strstr(a.buf, "<title>main (23 bytes, 100.00%)</title>") != NULL
          && strstr(a.buf, "<title>b (22 bytes, 95.65%)</title>") != NULL
          && strstr(a.buf, "<title>c (15 bytes, 65.22%)</title>") != NULL
          && strstr(a.buf, "<title>a (1 bytes, 4.35%)</title>") != NULL,
          "titles carry exact values and shares");
    ok(strstr(a.buf, "estimate: 1 in 512 events sampled; total 23 bytes")
          != NULL, "the subtitle keeps the estimate label and the total");
    ok(strstr(a.buf, "<script type=\"text/ecmascript\"><![CDATA[") != NULL
          && strstr(a.buf, "rgb(230,0,230)") != NULL
          && strstr(a.buf, "s=") != NULL
          && strstr(a.buf, "href") == NULL
          && strstr(a.buf, "http://") == strstr(a.buf, "http://www.w3.org/"),
          "the SVG carries its own script and nothing external");
    pp_ok_xml(a.buf, "a plain SVG");

    /* the same stacks in another order give the same bytes */

    g = pp_flame_new();
    pp_add(g, "main;a", 1);
    pp_add(g, "main;b", 7);
    pp_add(g, "main;b;c", 15);
    rc = pp_render(&b, g, 1, &o);
    ok(rc == 0 && strcmp(a.buf, b.buf) == 0,
          "the SVG does not depend on the order of the stacks");
    free(a.buf);
    free(b.buf);
    pp_flame_free(f);
    pp_flame_free(g);

    /* sorting, by the whole stack in byte order */

    f = pp_flame_new();
    pp_add(f, "z", 1);
    pp_add(f, "a;b", 2);
    pp_add(f, "a-x", 3);
    pp_add(f, "a", 4);
    pp_add(f, "B", 5);
    rc = pp_render(&a, f, 0, NULL);
    ok(rc == 0 && strcmp(a.buf, "B 5\na 4\na-x 3\na;b 2\nz 1\n") == 0,
          "folded lines sorted by the stack string");
    free(a.buf);
    pp_flame_free(f);

    /* folded escaping */

    f = pp_flame_new();
    frames[0] = "x;y";
    frames[1] = "line\nbreak\ttab";
    pp_flame_add(f, frames, 2, 3);
    frames[0] = "x:y";
    pp_flame_add(f, frames, 2, 4);
    rc = pp_render(&a, f, 0, NULL);
    ok(rc == 0 && strcmp(a.buf, "x:y;line?break?tab 7\n") == 0,
          "';' becomes ':', control characters '?', equal lines merged");
    free(a.buf);
    pp_flame_free(f);

    /* XML escaping */

    f = pp_flame_new();
    frames[0] = "operator<<(a&b, \"c\", 'd')>";
    frames[1] = "bad\xff\xc3utf8\x01\xe2\x82";
    pp_flame_add(f, frames, 2, 1);
    rc = pp_render(&a, f, 1, &o);
    ok(rc == 0 && strstr(a.buf, "<title>operator&lt;&lt;(a&amp;b, "
                            "&quot;c&quot;, &apos;d&apos;)&gt; (1 bytes")
                     != NULL,
          "names are XML-escaped");
    ok(strstr(a.buf, "bad??utf8??") != NULL,
          "bytes XML cannot carry become '?'");
    pp_ok_xml(a.buf, "escaped names");
    free(a.buf);
    pp_flame_free(f);

    /* nothing to draw */

    f = pp_flame_new();
    rc = pp_render(&a, f, 1, NULL);
    ok(rc == 0 && strstr(a.buf, ">no samples</text>") != NULL
          && pp_count(a.buf, "<title>") == 0,
          "an empty graph says \"no samples\"");
    pp_ok_xml(a.buf, "an empty graph");
    free(a.buf);
    rc = pp_render(&a, f, 0, NULL);
    ok(rc == 0 && a.len == 0, "an empty graph folds to nothing");
    free(a.buf);

    /* odd input */

    pp_flame_add(f, NULL, 0, 2);
    frames[0] = "m";
    frames[1] = NULL;
    pp_flame_add(f, frames, 2, 3);
    pp_flame_add(f, frames, 1, 0);
    rc = pp_render(&a, f, 0, NULL);
    ok(rc == 0 && strcmp(a.buf, "[unknown] 2\nm;[unknown] 3\n") == 0,
          "no frames or a NULL name: [unknown]; a zero value: nothing");
    free(a.buf);
    pp_flame_free(f);

    /* counts that would wrap: the sums saturate, no box outgrows the image */

    f = pp_flame_new();
    pp_add(f, "main;a", UINT64_MAX - 5);
    pp_add(f, "main;b", 10);
    rc = pp_render(&a, f, 1, NULL);
    ok(rc == 0 && strstr(a.buf, "<title>all (18446744073709551615, "
                                   "100.00%)</title>") != NULL
          && pp_max_width(a.buf) <= 1200.0,
          "sums that would wrap saturate; widest box %.2f of 1200",
          rc == 0 ? pp_max_width(a.buf) : -1.0);
    free(a.buf);
    pp_flame_free(f);

    f = pp_flame_new();
    for (i = 0; i < 3000; i++) {
        deep[2 * i] = 'a' + i % 26;
        deep[2 * i + 1] = ';';
    }
    deep[2 * 3000 - 1] = '\0';
    for (i = 0, p = strtok(deep, ";"); p != NULL; p = strtok(NULL, ";")) {
        fr[i++] = p;
    }
    pp_flame_add(f, fr, i, 9);
    rc = pp_render(&a, f, 0, NULL);
    ok(rc == 0 && pp_count(a.buf, ";") == PP_FLAME_DEPTH_MAX - 1
          && pp_count(a.buf, " 9\n") == 1,
          "a deep stack is cut at %d frames, its value kept",
          PP_FLAME_DEPTH_MAX);
    free(a.buf);
    rc = pp_render(&a, f, 1, &o);
    ok(rc == 0, "a deep stack draws");
    pp_ok_xml(a.buf, "a deep stack");
    free(a.buf);

    /* write errors */

    full = fopen("/dev/full", "w");
    if (full == NULL) {
        pp_tap_skip("no /dev/full");

    } else {
        ok(pp_flame_svg(full, f, &o) == -1, "a write error gives -1");
        fclose(full);
    }

    pp_flame_free(f);
    pp_flame_free(NULL);

    return pp_tap_done();
}
