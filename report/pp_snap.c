/*
 * --snapshot FILE: a consistent copy of a live segment.  The segment is
 * opened once, a regular file whose header is checked first, and copied
 * with pread(2); then every used shard's record is read again through
 * the same descriptor: the copy is consistent when no process's totals
 * moved meanwhile (they move when a pool ends, so a copy never splits a
 * request).  A segment that keeps changing is retried a few times and
 * then written with a warning.
 *
 * FILE appears whole or not at all, and only as a file of our own: the
 * copy goes to a new name beside it, created with O_EXCL and O_NOFOLLOW
 * and mode 0600 (it holds nginx's addresses), then is renamed over FILE.
 * Whatever was at FILE, a symbolic link or another file's name, is
 * replaced, never followed, opened or truncated.
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
#define PP_SNAP_NAMES  100      /* temporary names tried */


/* 1 when the shards' records in buf are still those of the file */
static int
pp_snap_stable(int fd, const unsigned char *buf)
{
    uint32_t         i;
    uint64_t         off;
    pp_shard_t       now;
    pp_seg_header_t  h;

    /* buf passed pp_seg_validate(): every shard lies inside it */
    memcpy(&h, buf, sizeof(h));

    for (i = 0; i < h.nshards; i++) {
        off = h.shard_off + (uint64_t) i * h.shard_size;

        if (pread(fd, &now, sizeof(now), (off_t) off)
            != (ssize_t) sizeof(now)
            || memcmp(&now, buf + off, sizeof(now)) != 0)
        {
            return 0;
        }
    }

    return 1;
}


/* a new file beside file, mode 0600; its descriptor, its name in tmp */
static int
pp_snap_create(const char *file, char *tmp, size_t len)
{
    int       fd;
    unsigned  i;

    for (i = 0; i < PP_SNAP_NAMES; i++) {
        if ((size_t) snprintf(tmp, len, "%s.tmp.%d.%u", file, (int) getpid(),
                              i)
            >= len)
        {
            pp_error("%s: path too long", file);
            return -1;
        }

        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                  0600);
        if (fd != -1) {
            return fd;
        }

        if (errno != EEXIST) {
            break;
        }
    }

    pp_error("cannot create %s: %s", tmp, strerror(errno));

    return -1;
}


static int
pp_snap_write(const char *file, const unsigned char *buf, size_t len)
{
    int      fd, e;
    char     tmp[4096];
    size_t   off;
    ssize_t  n;

    fd = pp_snap_create(file, tmp, sizeof(tmp));
    if (fd == -1) {
        return -1;
    }

    e = 0;

    for (off = 0; off < len; off += (size_t) n) {
        n = write(fd, buf + off, len - off);

        if (n == -1 && errno == EINTR) {
            n = 0;
            continue;
        }

        if (n <= 0) {
            e = n == -1 ? errno : EIO;
            break;
        }
    }

    if (e == 0 && fsync(fd) != 0) {
        e = errno;
    }

    if (e != 0) {
        pp_error("cannot write %s: %s", tmp, strerror(e));
        close(fd);
        unlink(tmp);
        return -1;
    }

    if (close(fd) != 0) {
        pp_error("cannot write %s: %s", tmp, strerror(errno));
        unlink(tmp);
        return -1;
    }

    /* replaces the name: a symbolic link there is not followed */
    if (rename(tmp, file) != 0) {
        pp_error("cannot rename %s to %s: %s", tmp, file, strerror(errno));
        unlink(tmp);
        return -1;
    }

    return 0;
}


int
pp_snapshot(const char *segment, int flags, const char *file)
{
    int               i, fd, rc, stable;
    char              err[PP_ERR_LEN];
    size_t            len;
    unsigned char    *buf;
    struct stat       sa, sb;
    struct timespec   ts;
    pp_seg_header_t   h;

    fd = pp_seg_open(segment, flags, &h, &sa, err, sizeof(err));
    if (fd < 0) {
        pp_error("%s: %s", segment, err);
        return -1;
    }

    /* renaming over the segment would cut nginx off from its file */
    if (lstat(file, &sb) == 0 && sa.st_dev == sb.st_dev
        && sa.st_ino == sb.st_ino)
    {
        pp_error("%s is the segment itself", file);
        close(fd);
        return -1;
    }

    buf = NULL;
    stable = 0;

    for (i = 0; i < PP_SNAP_TRIES; i++) {
        free(buf);
        buf = NULL;

        if (pp_seg_read_fd(fd, &h, &buf, &len, err, sizeof(err)) != 0
            || pp_seg_validate(buf, len, err, sizeof(err)) != 0)
        {
            pp_error("%s: %s", segment, err);
            free(buf);
            close(fd);
            return -1;
        }

        if (pp_snap_stable(fd, buf)) {
            stable = 1;
            break;
        }

        ts.tv_sec = 0;
        ts.tv_nsec = 5000000;
        nanosleep(&ts, NULL);
    }

    close(fd);

    if (!stable) {
        pp_error("%s kept changing; the snapshot may be a few events "
                 "inconsistent", segment);
    }

    rc = pp_snap_write(file, buf, len);
    free(buf);

    if (rc != 0) {
        return -1;
    }

    pp_error("wrote %s", file);
    pp_seg_mode_warn(segment, sa.st_mode);

    return 0;
}
