/*
 * --snapshot FILE: a consistent copy of a live segment.  The segment is
 * copied with read(2), then every used shard's record is read again: the
 * copy is consistent when no process's totals moved meanwhile (they move
 * when a pool ends, so a copy never splits a request).  A segment that
 * keeps changing is retried a few times and then written with a warning.
 * FILE appears whole or not at all: written beside it, then renamed.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pp_report.h"


#define PP_SNAP_TRIES  20


/* 1 when the shards' records in buf are still those of the file */
static int
pp_snap_stable(const char *segment, const unsigned char *buf)
{
    int              fd, same;
    char             err[PP_ERR_LEN];
    uint32_t         i;
    pp_shard_t       now;
    struct stat      sb;
    pp_seg_header_t  h;

    memcpy(&h, buf, sizeof(h));

    fd = pp_open_regular(segment, PP_OPEN_FOLLOW, &sb, err, sizeof(err));
    if (fd == -1) {
        return 0;
    }

    same = 1;

    for (i = 0; i < h.nshards && same; i++) {
        if (pread(fd, &now, sizeof(now),
                  (off_t) (h.shard_off + (uint64_t) i * h.shard_size))
            != (ssize_t) sizeof(now))
        {
            same = 0;
            break;
        }

        same = memcmp(&now, buf + h.shard_off + (uint64_t) i * h.shard_size,
                      sizeof(now)) == 0;
    }

    close(fd);

    return same;
}


static int
pp_snap_write(const char *file, const unsigned char *buf, size_t len)
{
    int      fd;
    char     tmp[4096];
    size_t   off;
    ssize_t  n;

    if ((size_t) snprintf(tmp, sizeof(tmp), "%s.tmp.%d", file, (int) getpid())
        >= sizeof(tmp))
    {
        pp_error("%s: path too long", file);
        return -1;
    }

    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd == -1) {
        pp_error("cannot create %s: %s", tmp, strerror(errno));
        return -1;
    }

    for (off = 0; off < len; off += (size_t) n) {
        n = write(fd, buf + off, len - off);
        if (n <= 0) {
            if (n == -1 && errno == EINTR) {
                n = 0;
                continue;
            }
            break;
        }
    }

    if (off != len || fsync(fd) != 0 || close(fd) != 0) {
        pp_error("cannot write %s: %s", tmp, strerror(errno));
        unlink(tmp);
        return -1;
    }

    if (rename(tmp, file) != 0) {
        pp_error("cannot rename %s to %s: %s", tmp, file, strerror(errno));
        unlink(tmp);
        return -1;
    }

    return 0;
}


int
pp_snapshot(const char *segment, const char *file)
{
    int               i, rc, stable;
    char              err[PP_ERR_LEN];
    size_t            len;
    unsigned char    *buf;
    struct stat       sa, sb;
    struct timespec   ts;

    /* renaming over the segment would cut nginx off from its file */
    if (stat(segment, &sa) == 0 && stat(file, &sb) == 0
        && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino)
    {
        pp_error("%s is the segment itself", file);
        return -1;
    }

    buf = NULL;
    stable = 0;

    for (i = 0; i < PP_SNAP_TRIES; i++) {
        free(buf);
        buf = NULL;

        if (pp_seg_read_file(segment, &buf, &len, err, sizeof(err)) != 0
            || pp_seg_validate(buf, len, err, sizeof(err)) != 0)
        {
            pp_error("%s: %s", segment, err);
            free(buf);
            return -1;
        }

        if (pp_snap_stable(segment, buf)) {
            stable = 1;
            break;
        }

        ts.tv_sec = 0;
        ts.tv_nsec = 5000000;
        nanosleep(&ts, NULL);
    }

    if (!stable) {
        pp_error("%s kept changing; the snapshot may be a few events "
                 "inconsistent", segment);
    }

    rc = pp_snap_write(file, buf, len);
    free(buf);

    if (rc == 0) {
        pp_error("wrote %s", file);
    }

    return rc;
}
