/*
 * The rows of a report: adding shards' counters, percentiles, names,
 * warnings, and freeing.
 */

#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pp_report.h"
#include "pp_rows.h"


static int
pp_kidx_cmp(const void *a, const void *b)
{
    const pp_kidx_t  *x = a, *y = b;

    if (x->key != y->key) {
        return x->key < y->key ? -1 : 1;
    }

    return x->i < y->i ? -1 : x->i > y->i;
}


/*
 * The keys of n rows of size bytes, the key at keyoff of each, sorted
 * (rows of one key in their order); NULL without memory
 */
pp_kidx_t *
pp_kidx_build(size_t n, const void *rows, size_t size, size_t keyoff)
{
    size_t      i;
    pp_kidx_t  *ix;

    ix = malloc((n + 1) * sizeof(pp_kidx_t));
    if (ix == NULL) {
        return NULL;
    }

    for (i = 0; i < n; i++) {
        memcpy(&ix[i].key, (const char *) rows + i * size + keyoff, 8);
        ix[i].i = i;
    }

    qsort(ix, n, sizeof(pp_kidx_t), pp_kidx_cmp);

    return ix;
}


/* the first entry of key, or n */
size_t
pp_kidx_lower(const pp_kidx_t *ix, size_t n, uint64_t key)
{
    size_t  lo, hi, mid;

    lo = 0;
    hi = n;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        if (ix[mid].key < key) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }

    return lo;
}


/* sizes are the same for every pool of a site: the largest is kept */
void
pp_pool_add(pp_rpool_t *d, const pp_pool_t *s)
{
    uint32_t  b;

    pp_rows_add_pool_counts(&d->p, s);

    /* the report's histograms count in 64 bits */
    for (b = 0; b < PP_HIST_BUCKETS; b++) {
        d->used.count[b] += s->used.count[b];
        d->lifetime.count[b] += s->lifetime.count[b];
    }
}


/* a CLOCK_REALTIME time in ns as local time, "?" when it is none */
char *
pp_when(char *buf, size_t len, uint64_t real_ns)
{
    time_t     t;
    struct tm  tm;

    t = (time_t) (real_ns / 1000000000);

    if (localtime_r(&t, &tm) == NULL
        || strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm) == 0)
    {
        snprintf(buf, len, "?");
    }

    return buf;
}


const char *
pp_role_name(uint32_t role)
{
    switch (role) {
    case PP_ROLE_SINGLE:
        return "single";
    case PP_ROLE_MASTER:
        return "master";
    case PP_ROLE_SIGNALLER:
        return "signaller";
    case PP_ROLE_WORKER:
        return "worker";
    case PP_ROLE_HELPER:
        return "helper";
    default:
        return "unknown";
    }
}


const char *
pp_status_name(uint32_t status)
{
    switch (status) {
    case PP_STATUS_ALIVE:
        return "alive";
    case PP_STATUS_EXITED:
        return "exited";
    default:
        return "crashed";
    }
}


/*
 * Each warning reaches stderr once per run of the program, although
 * --watch and --diff read the segment, and so warn, again and again;
 * the report's own list (the JSON's "warnings") keeps them all.  The
 * first PP_WARN_KEEP are remembered: a program that reads many bad
 * segments (the fuzz target) must not grow without bound.
 */
#define PP_WARN_KEEP  64

static void
pp_report_warn_print(const char *s)
{
    size_t         i;
    static char   *printed[PP_WARN_KEEP];
    static size_t  nprinted;

    for (i = 0; i < nprinted; i++) {
        if (strcmp(printed[i], s) == 0) {
            return;
        }
    }

    pp_error("warning: %s", s);

    if (nprinted < PP_WARN_KEEP) {
        printed[nprinted] = strdup(s);
        nprinted += (printed[nprinted] != NULL);
    }
}


/* a warning about the file, not the recording: stderr only, once */
void
pp_warn_once(const char *fmt, ...)
{
    char     *s;
    va_list   ap;

    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) == -1) {
        s = NULL;
    }
    va_end(ap);

    if (s != NULL) {
        pp_report_warn_print(s);
        free(s);
    }
}


void
pp_report_warn(pp_report_t *r, const char *fmt, ...)
{
    char      *s, **w;
    size_t     i;
    va_list    ap;

    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) == -1) {
        s = NULL;
    }
    va_end(ap);

    if (s == NULL) {
        return;
    }

    /* one object loaded at several addresses warns once */
    for (i = 0; i < r->nwarnings; i++) {
        if (strcmp(r->warnings[i], s) == 0) {
            free(s);
            return;
        }
    }

    pp_report_warn_print(s);

    w = realloc(r->warnings, (r->nwarnings + 1) * sizeof(char *));
    if (w == NULL) {
        free(s);
        return;
    }

    r->warnings = w;
    r->warnings[r->nwarnings++] = s;
}


/*
 * The lower bound of the bucket where the cumulative count reaches p%.
 * Buckets past pp_hist_bucket(UINT64_MAX) cannot be written by the shim;
 * a corrupt file's are read as the last real one (pp_hist_lower() would
 * shift by 64 there).
 */
uint64_t
pp_rhist_percentile(const pp_rhist_t *h, unsigned p)
{
    uint32_t  b, last;
    uint64_t  total, want, cum;

    total = 0;
    for (b = 0; b < PP_HIST_BUCKETS; b++) {
        total += h->count[b];
    }

    if (total == 0) {
        return 0;
    }

    /* ceil(total * p / 100), exactly and without overflow */
    want = total / 100 * p + (total % 100 * p + 99) / 100;
    if (want == 0) {
        want = 1;
    }

    last = pp_hist_bucket(UINT64_MAX);
    cum = 0;

    for (b = 0; b < PP_HIST_BUCKETS; b++) {
        cum += h->count[b];
        if (cum >= want) {
            break;
        }
    }

    return pp_hist_lower(b < last ? b : last);
}
