/*
 * Reading a segment: the file is untrusted input.  Only a regular file
 * is opened (pp_open.c); its header is read first and checked against
 * fstat() and the --max-size cap, so that a huge or sparse file costs a
 * 4 KiB read, not its size; then the file is copied into private memory
 * with pread(2) (a live segment keeps changing, and a mapped file that
 * shrinks would raise SIGBUS), and every field that places or sizes
 * something is checked before anything uses it.  After pp_seg_validate()
 * succeeds, every table row of every used shard lies inside the buffer
 * and every string that is read is NUL-terminated.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pp_proc.h"
#include "pp_report.h"


static int pp_table_check(const char *name, uint32_t off, uint64_t rows,
    size_t row_size, uint32_t shard_size, char *err, size_t errlen);
static int pp_shard_check(const unsigned char *shard,
    const pp_seg_header_t *h, uint32_t i, char *err, size_t errlen);
static int pp_header_check(const pp_seg_header_t *h, uint64_t len,
    char *err, size_t errlen);
static ssize_t pp_pread_full(int fd, unsigned char *p, size_t len,
    uint64_t off);


static uint64_t  pp_max_size = PP_SEG_MAX_DEFAULT;


/* err gets the message; returns -1 */
int
pp_fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list  ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);

    return -1;
}


static int
pp_pow2(uint32_t n)
{
    return n != 0 && (n & (n - 1)) == 0;
}


static int
pp_table_check(const char *name, uint32_t off, uint64_t rows,
    size_t row_size, uint32_t shard_size, char *err, size_t errlen)
{
    uint64_t  end;

    if (off % 8 != 0 || off < sizeof(pp_shard_t)) {
        return pp_fail(err, errlen, "bad %s table offset %u", name, off);
    }

    /* rows < 2^33 and row_size < 2^12: no overflow in 64 bits */
    end = (uint64_t) off + rows * (uint64_t) row_size;

    if (end > shard_size) {
        return pp_fail(err, errlen,
                       "%s table (offset %u, %llu rows) does not fit in a "
                       "%u-byte shard", name, off, (unsigned long long) rows,
                       shard_size);
    }

    return 0;
}


static int
pp_shard_check(const unsigned char *shard, const pp_seg_header_t *h,
    uint32_t i, char *err, size_t errlen)
{
    uint32_t      k;
    pp_shard_t    sh;
    pp_object_t   o;

    memcpy(&sh, shard, sizeof(pp_shard_t));

    if (sh.state > PP_SHARD_FOLDING
        || (h->version < 3 && sh.state > PP_SHARD_EXITED)
        || ((sh.state == PP_SHARD_RETIRED) != (i == 0 && h->version >= 3)))
    {
        return pp_fail(err, errlen, "shard %u: bad state %u", i, sh.state);
    }

    if (sh.state == PP_SHARD_FREE || sh.state == PP_SHARD_FOLDING) {
        return 0;
    }

    if (sh.nobjects_used > h->nobjects) {
        return pp_fail(err, errlen, "shard %u: %u objects used of %u", i,
                       sh.nobjects_used, h->nobjects);
    }

    for (k = 0; k < sh.nobjects_used; k++) {
        memcpy(&o, shard + h->objects_off + (size_t) k * sizeof(pp_object_t),
               sizeof(pp_object_t));

        if (memchr(o.path, '\0', PP_PATH_MAX) == NULL) {
            return pp_fail(err, errlen,
                           "shard %u: object %u: path not NUL-terminated",
                           i, k);
        }

        if (o.build_id_len > PP_BUILD_ID_MAX) {
            return pp_fail(err, errlen,
                           "shard %u: object %u: build-id of %u bytes",
                           i, k, o.build_id_len);
        }
    }

    return 0;
}


/*
 * The header's fields that place the rest: version, header size, ready,
 * and the size it claims against len, the file's
 */
static int
pp_header_check(const pp_seg_header_t *h, uint64_t len, char *err,
    size_t errlen)
{
    if (h->version < PP_SEG_VERSION_MIN || h->version > PP_SEG_VERSION) {
        return pp_fail(err, errlen,
                       "unsupported segment version %u (this poolprof "
                       "reads %d to %d)", h->version, PP_SEG_VERSION_MIN,
                       PP_SEG_VERSION);
    }

    if (h->header_size != PP_SEG_HEADER_SIZE) {
        return pp_fail(err, errlen, "bad header size %u (expected %d)",
                       h->header_size, PP_SEG_HEADER_SIZE);
    }

    if (h->ready != 1) {
        return pp_fail(err, errlen,
                       "segment not ready (ready = %u): still being created",
                       h->ready);
    }

    if (h->size > len) {
        return pp_fail(err, errlen,
                       "truncated segment: header says %llu bytes, file has "
                       "%llu", (unsigned long long) h->size,
                       (unsigned long long) len);
    }

    if (h->size != len) {
        return pp_fail(err, errlen,
                       "size mismatch: header says %llu bytes, file has %llu",
                       (unsigned long long) h->size,
                       (unsigned long long) len);
    }

    return 0;
}


/* checks a whole segment held in memory; 0 or -1 with err set */
int
pp_seg_validate(const unsigned char *buf, size_t len, char *err,
    size_t errlen)
{
    uint32_t          i;
    uint64_t          shards;
    pp_seg_header_t   h;

    if (len == 0) {
        return pp_fail(err, errlen, "empty file");
    }

    if (len < 8 || memcmp(buf, PP_SEG_MAGIC, 8) != 0) {
        return pp_fail(err, errlen, "not a poolprof segment (bad magic)");
    }

    if (len < PP_SEG_HEADER_SIZE) {
        return pp_fail(err, errlen,
                       "truncated segment: file has %zu bytes, less than "
                       "the %d-byte header", len, PP_SEG_HEADER_SIZE);
    }

    memcpy(&h, buf, sizeof(pp_seg_header_t));

    if (pp_header_check(&h, len, err, errlen) != 0) {
        return -1;
    }

    if (h.version < 3) {
        /* version 2 had no counters of retired processes */
        h.claims_failed = 0;
        h.retired = 0;
        h.retired_crashed = 0;
        h.objects_dropped = 0;
    }

    if (memchr(h.exe, '\0', PP_PATH_MAX) == NULL) {
        return pp_fail(err, errlen, "executable path not NUL-terminated");
    }

    if (h.nshards == 0) {
        return pp_fail(err, errlen, "no shards");
    }

    if (h.shard_size < sizeof(pp_shard_t) || h.shard_size % 8 != 0) {
        return pp_fail(err, errlen, "bad shard size %u", h.shard_size);
    }

    if (h.shard_off < PP_SEG_HEADER_SIZE || h.shard_off % 8 != 0
        || h.shard_off > h.size)
    {
        return pp_fail(err, errlen, "bad shard offset %llu",
                       (unsigned long long) h.shard_off);
    }

    /* both factors < 2^32: the product fits in 64 bits */
    shards = (uint64_t) h.nshards * h.shard_size;

    if (shards > h.size - h.shard_off) {
        return pp_fail(err, errlen,
                       "%u shards of %u bytes at %llu do not fit in %llu "
                       "bytes", h.nshards, h.shard_size,
                       (unsigned long long) h.shard_off,
                       (unsigned long long) h.size);
    }

    if (!pp_pow2(h.nsites) || !pp_pow2(h.npools) || !pp_pow2(h.ntags)
        || !pp_pow2(h.nstacks) || !pp_pow2(h.ngrowth))
    {
        return pp_fail(err, errlen,
                       "table capacities %u/%u/%u/%u/%u are not all powers "
                       "of two", h.nsites, h.npools, h.ntags, h.nstacks,
                       h.ngrowth);
    }

    if (h.stack_depth > PP_STACK_FRAMES) {
        return pp_fail(err, errlen, "stack depth %u is over %d",
                       h.stack_depth, PP_STACK_FRAMES);
    }

    if (pp_table_check("site", h.sites_off, (uint64_t) h.nsites + 1,
                       sizeof(pp_site_t), h.shard_size, err, errlen) != 0
        || pp_table_check("pool", h.pools_off, (uint64_t) h.npools + 1,
                          sizeof(pp_pool_t), h.shard_size, err, errlen) != 0
        || pp_table_check("tag", h.tags_off, (uint64_t) h.ntags + 1,
                          sizeof(pp_tag_t), h.shard_size, err, errlen) != 0
        || pp_table_check("object", h.objects_off, h.nobjects,
                          sizeof(pp_object_t), h.shard_size, err, errlen) != 0
        || pp_table_check("stack", h.stacks_off, (uint64_t) h.nstacks + 1,
                          sizeof(pp_stack_t), h.shard_size, err, errlen) != 0
        || pp_table_check("growth", h.growth_off, (uint64_t) h.ngrowth + 1,
                          sizeof(pp_growth_t), h.shard_size, err, errlen) != 0
        || pp_table_check("live", h.live_off, h.nlive,
                          sizeof(pp_lpool_t), h.shard_size, err, errlen)
           != 0)
    {
        return -1;
    }

    for (i = 0; i < h.nshards; i++) {
        if (pp_shard_check(buf + h.shard_off + (uint64_t) i * h.shard_size,
                           &h, i, err, errlen)
            != 0)
        {
            return -1;
        }
    }

    return 0;
}


void
pp_seg_max_size(uint64_t max)
{
    pp_max_size = max;
}


/*
 * Who may read a segment: it holds nginx's addresses (its ASLR) and the
 * paths of its objects.  The owner alone, or a group that reads it;
 * 0644, as older versions of the shim created it, with a warning; any
 * other reader or writer refuses it.
 */
int
pp_seg_mode(mode_t mode)
{
    switch (mode & 066) {

    case 0:
    case 040:
        return PP_MODE_OK;

    case 044:
        return PP_MODE_WARN;

    default:
        return PP_MODE_REFUSE;
    }
}


/* once a segment was read and used: the warning of PP_MODE_WARN, once */
void
pp_seg_mode_warn(const char *path, mode_t mode)
{
    if (pp_seg_mode(mode) == PP_MODE_WARN) {
        pp_warn_once("%s is readable by every user (mode %04o): they can "
                     "read nginx's addresses; chmod 600 it", path,
                     (unsigned) (mode & 07777));
    }
}


/* pread() until len bytes or the end of the file; -1 on an error */
static ssize_t
pp_pread_full(int fd, unsigned char *p, size_t len, uint64_t off)
{
    size_t   got;
    ssize_t  n;

    for (got = 0; got < len; got += (size_t) n) {
        n = pread(fd, p + got, len - got, (off_t) (off + got));

        if (n == -1 && errno == EINTR) {
            n = 0;
            continue;
        }

        if (n == -1) {
            return -1;
        }

        if (n == 0) {
            break;      /* the end, or it shrank under us */
        }
    }

    return (ssize_t) got;
}


/*
 * Reads and checks the header of an open file, before anything else is
 * read or allocated: magic, version, sizes against fstat() and the
 * --max-size cap, and the file's mode.  0; -1 with err set; or
 * PP_SEG_FOREIGN when the file is no segment at all.
 */
int
pp_seg_header(int fd, const struct stat *sb, pp_seg_header_t *h, char *err,
    size_t errlen)
{
    char           a[32], b[32];
    ssize_t        got;
    unsigned char  buf[PP_SEG_HEADER_SIZE];

    if (sb->st_size <= 0) {
        pp_fail(err, errlen, "empty file");
        return PP_SEG_FOREIGN;
    }

    got = pp_pread_full(fd, buf, sizeof(buf), 0);
    if (got == -1) {
        return pp_fail(err, errlen, "failed to read: %s", strerror(errno));
    }

    if (got < 8 || memcmp(buf, PP_SEG_MAGIC, 8) != 0) {
        pp_fail(err, errlen, "not a poolprof segment (bad magic)");
        return PP_SEG_FOREIGN;
    }

    if (got < PP_SEG_HEADER_SIZE) {
        return pp_fail(err, errlen,
                       "truncated segment: file has %zd bytes, less than "
                       "the %d-byte header", got, PP_SEG_HEADER_SIZE);
    }

    memcpy(h, buf, sizeof(pp_seg_header_t));

    if (pp_header_check(h, (uint64_t) sb->st_size, err, errlen) != 0) {
        return -1;
    }

    if (h->size > pp_max_size || h->size > SIZE_MAX / 2) {
        return pp_fail(err, errlen,
                       "segment of %s (%llu bytes), over the --max-size "
                       "limit of %s (%llu bytes)",
                       pp_human(a, sizeof(a), h->size),
                       (unsigned long long) h->size,
                       pp_human(b, sizeof(b), pp_max_size),
                       (unsigned long long) pp_max_size);
    }

    if (pp_seg_mode(sb->st_mode) == PP_MODE_REFUSE) {
        return pp_fail(err, errlen,
                       "mode %04o lets other users read or change it; "
                       "chmod 600 it (640 for a group that reads it)",
                       (unsigned) (sb->st_mode & 07777));
    }

    return 0;
}


/* the whole segment whose header pp_seg_header() accepted, copied */
int
pp_seg_read_fd(int fd, const pp_seg_header_t *h, unsigned char **buf,
    size_t *len, char *err, size_t errlen)
{
    size_t          size;
    ssize_t         got;
    unsigned char  *p;

    *buf = NULL;
    *len = 0;

    size = (size_t) h->size;

    p = malloc(size);
    if (p == NULL) {
        return pp_fail(err, errlen, "failed to allocate %zu bytes", size);
    }

    /* bounded by the checked size: a file that grows is read up to it */
    got = pp_pread_full(fd, p, size, 0);
    if (got == -1) {
        pp_fail(err, errlen, "failed to read: %s", strerror(errno));
        free(p);
        return -1;
    }

    *buf = p;
    *len = (size_t) got;

    return 0;
}


/*
 * Opens a segment, a regular file (pp_open_regular()), and checks its
 * header: the descriptor, or -1 or PP_SEG_FOREIGN with err set
 */
int
pp_seg_open(const char *path, int flags, pp_seg_header_t *h,
    struct stat *sb, char *err, size_t errlen)
{
    int  fd, rc;

    fd = pp_open_regular(path, flags, sb, err, errlen);
    if (fd == -1) {
        return -1;
    }

    rc = pp_seg_header(fd, sb, h, err, errlen);
    if (rc != 0) {
        close(fd);
        return rc;
    }

    return fd;
}


int
pp_report_load(pp_report_t *r, const char *path, int flags, char *err,
    size_t errlen)
{
    int              fd, rc;
    size_t           len;
    struct stat      sb;
    unsigned char   *buf;
    pp_seg_header_t  h;

    memset(r, 0, sizeof(pp_report_t));

    fd = pp_seg_open(path, flags, &h, &sb, err, errlen);
    if (fd < 0) {
        return -1;
    }

    rc = pp_seg_read_fd(fd, &h, &buf, &len, err, errlen);
    close(fd);

    if (rc != 0) {
        return -1;
    }

    rc = pp_seg_merge(r, buf, len, 1, err, errlen);
    free(buf);

    if (rc != 0) {
        return -1;
    }

    r->path = strdup(path);
    if (r->path == NULL) {
        pp_report_free(r);
        return pp_fail(err, errlen, "failed to allocate memory");
    }

    r->mode = sb.st_mode;
    pp_report_missing(r, path);

    return 0;
}


/*
 * A shard still marked alive whose process is gone, or whose pid now
 * belongs to another process (a different start time), crashed.
 */
int
pp_proc_status(uint32_t pid, uint32_t state, uint64_t starttime)
{
    if (state == PP_SHARD_EXITED) {
        return PP_STATUS_EXITED;
    }

    /* gone, a zombie, or its pid reused: it never exited cleanly */
    return pp_proc_running(pid, starttime) ? PP_STATUS_ALIVE
                                           : PP_STATUS_CRASHED;
}
