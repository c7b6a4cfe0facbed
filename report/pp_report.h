/*
 * poolprof-report internals shared by the reporter's files.
 *
 * pp_report_build() (pp_pipeline.c) runs the stages that turn a segment
 * into a pp_report_t, the model: load and validate a private copy
 * (pp_read.c), merge its shards (pp_merge*.c), name every address
 * (pp_sym.c), analyze (pp_leaks.c, pp_owner.c, pp_diff.c) and sort
 * (pp_sort.c).  Nothing after the load looks at the file again.  The
 * renderers (pp_text*.c, pp_json*.c, pp_stacks.c) only read the model
 * and a pp_view_t, the choices of how to print it.
 */

#ifndef _PP_REPORT_H_INCLUDED_
#define _PP_REPORT_H_INCLUDED_

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "pp_segment.h"
#include "pp_fields.h"


#define PP_REPORT_VERSION   "0.1"
#define PP_JSON_FORMAT      1
#define PP_ERR_LEN          512

/* pp_rproc_t.status */
#define PP_STATUS_ALIVE     0
#define PP_STATUS_EXITED    1
#define PP_STATUS_CRASHED   2

/* no object covers the address */
#define PP_NO_OBJECT        (-1)

/* -1, 0 or 1 as a is below, equal to or above b: for qsort() */
#define pp_order(a, b)      ((a) < (b) ? -1 : (a) > (b))


/* a loaded object, deduplicated over every shard */
typedef struct {
    pp_object_t             o;          /* as recorded; path NUL-terminated */
    struct pp_symtab_s     *syms;       /* pp_sym.c's cache */
    int                     loaded;     /* syms tried */
} pp_robj_t;

/* a histogram summed over shards: 32-bit buckets may not hold the sum */
typedef struct {
    uint64_t                count[PP_HIST_BUCKETS];
} pp_rhist_t;

/* the start of a site, pool or tag row: where it is, and its name */
#define PP_RROW_HEAD                                                         \
    uint64_t                key;                                             \
    int                     obj;        /* index in objs or PP_NO_OBJECT */  \
    int                     overflow;   /* the overflow rows of all shards */\
    char                   *symbol;     /* "" until pp_sym_resolve() */      \
    char                   *source;     /* file:line, or "" */               \
    int                     owner_obj;  /* of its owner, if it has one */    \
    char                   *owner_symbol;   /* the owner's name, or NULL */

/* the head alone: code common to the three row types */
typedef struct {
    PP_RROW_HEAD
} pp_rrow_t;

typedef struct {
    PP_RROW_HEAD
    pp_site_t               s;          /* counters summed, key as above */
} pp_rsite_t;

typedef struct {
    PP_RROW_HEAD
    pp_pool_t               p;          /* counters summed, no histograms */
    pp_rhist_t              used;
    pp_rhist_t              lifetime;
} pp_rpool_t;

typedef struct {
    PP_RROW_HEAD
    pp_tag_t                t;
} pp_rtag_t;

/* growth: one (allocating site, creating site) pair, summed over shards */
typedef struct {
    pp_growth_t             g;          /* key, site, pool_site, counters */
    int                     obj;        /* of g.site */
    int                     pool_obj;   /* of g.pool_site */
    int                     overflow;
    int                     recurring;  /* came back to the same pool */
    char                   *symbol;
    char                   *pool_symbol;
} pp_rgrowth_t;

/* a pool some process had not destroyed when the segment was read */
typedef struct {
    pp_lpool_t              l;
    uint32_t                pid;
    uint32_t                status;     /* PP_STATUS_* of its process */
    uint64_t                age_ns;     /* until now, or until its exit */
    int                     obj;
    int                     by_design;  /* nginx keeps it until exit */
    char                   *symbol;
} pp_rlive_t;

/*
 * leaks: by creating site, pools created and never destroyed by a
 * process that exited cleanly, plus (live) pools still alive and older
 * than long_lived_ns
 */
typedef struct {
    uint64_t                key;        /* the creating site */
    int                     obj;
    int                     by_design;
    uint64_t                leaked;     /* at exits */
    uint64_t                alive_old;  /* alive now, older than T */
    uint64_t                bytes;      /* allocated from those pools */
    uint64_t                oldest_ns;
    char                   *symbol;     /* its pool or live rows' */
} pp_rleak_t;

/* a stack, deduplicated over shards; counters are sampled events */
typedef struct {
    pp_stack_t              s;
    int                     overflow;
    int                    *objs;       /* per frame */
    char                  **symbols;    /* per frame, "" when unknown */
} pp_rstack_t;

/*
 * a site inside one of nginx's helpers: the first frame outside them on
 * its most frequent stack, which the text names "via"
 */
typedef struct {
    uint64_t                site;
    size_t                  stack;      /* in stacks */
    uint32_t                frame;
} pp_rowner_t;

typedef struct {
    uint32_t                shard;
    uint32_t                pid;
    uint32_t                ppid;
    uint32_t                role;
    uint32_t                state;      /* PP_SHARD_* as recorded */
    uint32_t                status;     /* PP_STATUS_* as judged now */
    uint32_t                exit_code;
    uint64_t                start_real_ns;
    uint64_t                end_mono_ns;
    pp_totals_t             totals;
} pp_rproc_t;

typedef struct {
    char                   *path;
    mode_t                  mode;       /* the file's, for pp_seg_mode() */
    pp_seg_header_t         hdr;        /* exe NUL-terminated */
    pp_totals_t             totals;     /* every used shard */

    pp_rproc_t             *procs;
    size_t                  nprocs;
    pp_totals_t             retired;    /* of processes folded into shard 0 */
    pp_robj_t              *objs;
    size_t                  nobjs;
    pp_rsite_t             *sites;
    size_t                  nsites;
    pp_rpool_t             *pools;
    size_t                  npools;
    pp_rtag_t              *tags;
    size_t                  ntags;

    uint64_t                long_lived_ns;  /* ~0: off */
    uint32_t                sample_period;  /* 1 in N pools tracked, >= 1:
                                               counts are scaled by it */
    int                     estimated;      /* counts are estimates */
    uint32_t                stack_period;   /* 0: no stacks */
    uint32_t                stack_depth;
    pp_rgrowth_t           *growth;
    size_t                  ngrowth;
    pp_rlive_t             *live;
    size_t                  nlive;
    pp_rleak_t             *leaks;
    size_t                  nleaks;
    pp_rstack_t            *stacks;
    size_t                  nstacks;
    pp_rowner_t            *owners;     /* sorted by site */
    size_t                  nowners;

    char                  **warnings;
    size_t                  nwarnings;
} pp_report_t;


#define PP_FORMAT_TEXT      0
#define PP_FORMAT_JSON      1
#define PP_FORMAT_FOLDED    2
#define PP_FORMAT_SVG       3
#define PP_FORMAT_PPROF     4
#define PP_FORMAT_PROM      5

#define PP_BY_SITE          0
#define PP_BY_MODULE        1
#define PP_BY_POOL          2
#define PP_BY_TAG           3

#define PP_TOP_DEFAULT      10

/* how to print a report: the command line's choices (pp_view_init()) */
typedef struct {
    int                     format;     /* PP_FORMAT_* */
    int                     metric;     /* PP_METRIC_*: folded and svg */
    unsigned                top;        /* rows per text table, > 0 */
    int                     by;         /* PP_BY_* */
    int                     sort;       /* a pp_sort_keys index, or -1 */
    int                     color;      /* ANSI attributes in text */
    const char             *diff;       /* counts are differences from
                                           this base; NULL: not a diff */
} pp_view_t;

/* a segment to read: a file, or a copy in memory */
typedef struct {
    const char             *path;       /* the file; with buf, its name */
    const unsigned char    *buf;        /* NULL: read path */
    size_t                  len;
    int                     flags;      /* PP_OPEN_*, for the file */
} pp_source_t;

/* what pp_report_build() reads */
typedef struct {
    pp_source_t             seg;
    pp_source_t             base;       /* --diff BASE; path NULL: none */
    uint32_t                pid;        /* --pid; 0: every process */
    int                     offline;    /* open no object file: addresses
                                           stay unnamed (the fuzz target) */
} pp_input_t;


/* pp_read.c, pp_validate.c: reading, the header first, and validating */
#define PP_SEG_MAX_DEFAULT  (4ULL << 30)    /* --max-size */

/* pp_seg_header(): not a segment at all (empty, or without the magic) */
#define PP_SEG_FOREIGN      (-2)

/* pp_seg_mode() */
#define PP_MODE_OK          0
#define PP_MODE_WARN        1               /* 0644: readable by everyone */
#define PP_MODE_REFUSE      (-1)

void pp_seg_max_size(uint64_t max);
int pp_seg_mode(mode_t mode);
void pp_seg_mode_warn(const char *path, mode_t mode);
int pp_seg_header(int fd, const struct stat *sb, pp_seg_header_t *h,
    char *err, size_t errlen);
int pp_seg_read_fd(int fd, const pp_seg_header_t *h, unsigned char **buf,
    size_t *len, char *err, size_t errlen);
int pp_seg_header_check(const pp_seg_header_t *h, uint64_t len, char *err,
    size_t errlen);
int pp_seg_validate(const unsigned char *buf, size_t len, char *err,
    size_t errlen);

/*
 * A record of a validated segment into a current one: old is its size in
 * the segment's version (pp_seg_sizes()), a prefix of the current
 * record; the fields added since read as 0.
 */
static inline void
pp_seg_record(void *dst, size_t size, const unsigned char *src, size_t old)
{
    memcpy(dst, src, old < size ? old : size);

    if (old < size) {
        memset((char *) dst + old, 0, size - old);
    }
}
int pp_seg_open(const char *path, int flags, pp_seg_header_t *h,
    struct stat *sb, char *err, size_t errlen);
int pp_seg_read_file(const char *path, int flags, unsigned char **buf,
    size_t *len, struct stat *sb, char *err, size_t errlen);
int pp_report_load(pp_report_t *r, const char *path, int flags, char *err,
    size_t errlen);
int pp_proc_status(uint32_t pid, uint32_t state, uint64_t starttime);

/* pp_open.c: regular files only; PP_OPEN_FOLLOW follows a symbolic link */
#define PP_OPEN_FOLLOW      1

int pp_open_regular(const char *path, int flags, struct stat *sb, char *err,
    size_t errlen);

/*
 * pp_escape.c: every name printed as text, and every message.  pp_name()
 * is a row's name: its symbol, else object+0xoffset, else 0xaddress.
 */
#define PP_OBJECT_BASE      0           /* pp_object_name(): file name */
#define PP_OBJECT_PATH      1           /* the whole path */

const char *pp_escape(char *dst, size_t len, const char *src);
const char *pp_name(char *buf, size_t len, const pp_report_t *r,
    uint64_t key, int obj, const char *symbol);
char *pp_name_dup(const pp_report_t *r, uint64_t key, int obj,
    const char *symbol);
const char *pp_object_name(char *buf, size_t len, const pp_report_t *r,
    int obj, int what);
void pp_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* pp_merge.c: validates, then merges the shards of a segment in memory;
 * pp_merge_pid() restricts the next merges to one process (0: all),
 * pp_merge_shard() to one shard (-1: all) */
void pp_merge_pid(uint32_t pid);
void pp_merge_shard(int shard);
int pp_seg_merge(pp_report_t *r, const unsigned char *buf, size_t len,
    int check_procs, char *err, size_t errlen);
void pp_report_missing(pp_report_t *r, const char *seg);
int pp_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* pp_pipeline.c: the stages in order, the output, the end */
void pp_view_init(pp_view_t *v);
int pp_report_build(pp_report_t *r, const pp_input_t *in, const pp_view_t *v,
    char *err, size_t errlen);
int pp_report_print(FILE *f, const pp_report_t *r, const pp_view_t *v);
void pp_report_free(pp_report_t *r);

/* pp_data.c: rows, and a sorted index of their keys */
typedef struct {
    uint64_t                key;
    size_t                  i;          /* the row */
} pp_kidx_t;

pp_kidx_t *pp_kidx_build(size_t n, const void *rows, size_t size,
    size_t keyoff);
size_t pp_kidx_lower(const pp_kidx_t *ix, size_t n, uint64_t key);
void pp_pool_add(pp_rpool_t *d, const pp_pool_t *s);
void pp_report_warn(pp_report_t *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void pp_warn_once(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
uint64_t pp_rhist_percentile(const pp_rhist_t *h, unsigned p);
char *pp_when(char *buf, size_t len, uint64_t real_ns);
const char *pp_role_name(uint32_t role);
const char *pp_status_name(uint32_t status);

/* pp_elf.c: one object file */
typedef struct pp_symtab_s  pp_symtab_t;

pp_symtab_t *pp_symtab_open(const char *path, struct stat *sb, char *err,
    size_t errlen);
size_t pp_symtab_build_id(pp_symtab_t *st, uint8_t *id, size_t max);
void pp_symtab_load(pp_symtab_t *st, const uint8_t *id, size_t len);
const char *pp_symtab_find(const pp_symtab_t *st, uint64_t off, int data);
char *pp_symtab_source(const pp_symtab_t *st, uint64_t off);
void pp_symtab_close(pp_symtab_t *st);

/* pp_sym.c: every address named, source NULL: without file:line */
void pp_sym_resolve(pp_report_t *r);
void pp_sym_free(pp_report_t *r);
void pp_sym_row(pp_report_t *r, uint64_t key, int obj, int overflow, int kind,
    char **symbol, char **source);
int pp_sym_in(const char *symbol, const char *const *names, int prefix);

/*
 * The nginx module responsible for a row (pp_sym.c): the object of its
 * owner (the first frame in nginx or a module on the way to a library's
 * call), else the row's own object; pp_module_base() is its file's name
 * as recorded, NULL without an object (not escaped).
 */
#define pp_row_module(row, owner)                                            \
    ((owner) != 0 && (row)->owner_obj != PP_NO_OBJECT ? (row)->owner_obj     \
                                                      : (row)->obj)

const char *pp_module_base(const pp_report_t *r, int obj);

/*
 * pp_figures.c: the kind of the pools a site creates (request,
 * connection, http2_stream, http2_connection, stream_session, cycle,
 * temporary, module, unknown) and the directive that sizes them, or NULL
 */
typedef struct {
    const char             *prefix;     /* of the creating function */
    const char             *kind;
    const char             *directive;
} pp_pool_kind_t;

const pp_pool_kind_t *pp_pool_kind_find(const char *symbol);
const pp_pool_kind_t *pp_pool_kind_of(const pp_report_t *r,
    const pp_rpool_t *p);

/* pp_static.c: a static function of a stripped object, by its callers */
char *pp_static_name(const pp_symtab_t *st, const char *obj, uint64_t off);
void pp_static_free(void);

/*
 * pp_values.c: the figures of a row type, recorded (its field table)
 * and derived; a derived figure has a JSON key, a --sort key or both,
 * and is read by u (an integer) or d (a ratio).  base: where the record
 * lies in the row the getters are given.
 */
typedef struct {
    const char             *name;       /* JSON key, or NULL */
    const char             *sort;       /* --sort key, or NULL */
    uint64_t              (*u)(const void *row);
    double                (*d)(const void *row);
} pp_derived_t;

typedef struct {
    const pp_fields_t      *fields;
    size_t                  base;
    const pp_derived_t     *derived;
    size_t                  nderived;
} pp_rtable_t;

typedef struct {
    const char             *name;
    const char             *sort;
    const pp_field_t       *field;      /* one of the two */
    const pp_derived_t     *derived;
} pp_rfigure_t;

extern const pp_rtable_t  pp_rtotals;   /* rows: pp_totals_t */
extern const pp_rtable_t  pp_rsites;    /* pp_site_t */
extern const pp_rtable_t  pp_rpools;    /* pp_rpool_t */
extern const pp_rtable_t  pp_rtags;     /* pp_tag_t */

int pp_rkey(const pp_rtable_t *t, int key, pp_rfigure_t *fig);
int pp_rfind(const pp_rtable_t *t, const char *name, pp_rfigure_t *fig);
double pp_rfigure_value(const pp_rtable_t *t, const pp_rfigure_t *fig,
    const void *row);
uint64_t pp_rfigure_u64(const pp_rtable_t *t, const pp_rfigure_t *fig,
    const void *row);
void pp_json_figures(FILE *f, const pp_rtable_t *t, const void *row,
    int first);

/* pp_json.c, pp_json_leaks.c */
void pp_json_print(FILE *f, const pp_report_t *r, const pp_view_t *v);
void pp_json_string(FILE *f, const char *s);
void pp_json_double(FILE *f, double v);
void pp_json_leaks(FILE *f, const pp_report_t *r);

/* pp_text.c, pp_text_leaks.c: the "Leaks and growth" section */
const char *pp_human(char *buf, size_t len, uint64_t v);
void pp_text_print(FILE *f, const pp_report_t *r, const pp_view_t *v);
void pp_text_leaks(FILE *f, const pp_report_t *r, const pp_view_t *v);

/* pp_leaks.c: leaks by creating site, from named pool and live rows */
int pp_leaks_build(pp_report_t *r);
void pp_leaks_free(pp_report_t *r);

/* pp_owner.c: who called nginx's helpers, from named stacks */
int pp_owners_build(pp_report_t *r);
const char *pp_stacks_owner(char *buf, size_t len, const pp_report_t *r,
    uint64_t site);

/* pp_stacks.c: --format folded|svg */
#define PP_METRIC_PINNED       0
#define PP_METRIC_NOOP         1
#define PP_METRIC_ALLOCS       2
#define PP_METRIC_ALLOC_BYTES  3
#define PP_METRIC_UNUSED       4

int pp_metric_parse(const char *s);
int pp_stacks_print(FILE *f, const pp_report_t *r, const pp_view_t *v);

/* pp_snap.c, pp_diff.c, pp_watch.c */
int pp_snapshot(const char *segment, int flags, const char *file);
void pp_diff(pp_report_t *r, const pp_report_t *base);
int pp_watch(const pp_input_t *in, const pp_view_t *v, unsigned seconds);

/* pp_list.c */
int pp_list_segments(FILE *f, const char *where);
char *pp_newest_segment(char *err, size_t errlen);

/* pp_sort.c */
int pp_sort_parse(const char *key, int by);
void pp_sort_keys(FILE *f, int by);
const char *pp_sort_name(int by, int key);
int pp_site_order(const pp_site_t *a, const pp_site_t *b, int key);
void pp_report_sort(pp_report_t *r, const pp_view_t *v);
double pp_tag_reuse(const pp_tag_t *t);


#endif /* _PP_REPORT_H_INCLUDED_ */
