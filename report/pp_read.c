/*
 * Reading a segment file: untrusted input.  Only a regular file is
 * opened (pp_open.c); its header is read first and checked against
 * fstat() and the --max-size cap, so that a huge or sparse file costs a
 * 4 KiB read, not its size; then the file is copied into private memory
 * with pread(2) (a live segment keeps changing, and a mapped file that
 * shrinks would raise SIGBUS), to be validated (pp_validate.c) and
 * merged (pp_merge.c).
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pp_proc.h"
#include "pp_report.h"


static ssize_t pp_pread_full(int fd, unsigned char *p, size_t len,
    uint64_t off);


static uint64_t  pp_max_size = PP_SEG_MAX_DEFAULT;


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

    if (pp_seg_header_check(h, (uint64_t) sb->st_size, err, errlen) != 0) {
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


/*
 * The whole segment at path, checked header first, copied into *buf
 * (the caller frees it); its fstat() in sb.  0, or -1 with err set.
 */
int
pp_seg_read_file(const char *path, int flags, unsigned char **buf,
    size_t *len, struct stat *sb, char *err, size_t errlen)
{
    int              fd, rc;
    pp_seg_header_t  h;

    *buf = NULL;

    fd = pp_seg_open(path, flags, &h, sb, err, errlen);
    if (fd < 0) {
        return -1;
    }

    rc = pp_seg_read_fd(fd, &h, buf, len, err, errlen);
    close(fd);

    return rc;
}


/* a segment file, read, validated and merged into r */
int
pp_report_load(pp_report_t *r, const char *path, int flags, char *err,
    size_t errlen)
{
    int             rc;
    size_t          len;
    struct stat     sb;
    unsigned char  *buf;

    memset(r, 0, sizeof(pp_report_t));

    if (pp_seg_read_file(path, flags, &buf, &len, &sb, err, errlen) != 0) {
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
