/*
 * Opening the files the reporter reads: the segment, snapshots, every
 * object and debug file a segment names, the candidates of a listing.
 * Regular files only, and nothing else is ever opened: open(2) of a
 * FIFO wakes the writer blocked on it, of a device runs its driver (a
 * watchdog arms, a tape rewinds).  The path is opened with O_PATH, which
 * opens no file, its type is read with fstat(), and only a regular file
 * is opened for reading, through /proc/self/fd, so that the file read is
 * the file checked.  Without PP_OPEN_FOLLOW a symbolic link is refused,
 * not followed (O_NOFOLLOW: the last component of the path).
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pp_report.h"


static int pp_open_type(const struct stat *sb, char *err, size_t errlen);
static int pp_open_fallback(const char *path, int flags, struct stat *sb,
    char *err, size_t errlen);


/* 0 for a regular file, else -1 with what it is */
static int
pp_open_type(const struct stat *sb, char *err, size_t errlen)
{
    if (S_ISREG(sb->st_mode)) {
        return 0;
    }

    if (S_ISDIR(sb->st_mode)) {
        return pp_fail(err, errlen, "is a directory");
    }

    if (S_ISLNK(sb->st_mode)) {
        return pp_fail(err, errlen,
                            "is a symbolic link (not followed)");
    }

    return pp_fail(err, errlen, "not a regular file");
}


/*
 * Without /proc: lstat() first, then open without blocking and without
 * following, and the same inode, still a regular file, or nothing.  A
 * FIFO swapped in between the two calls is opened, but not waited on.
 */
static int
pp_open_fallback(const char *path, int flags, struct stat *sb, char *err,
    size_t errlen)
{
    int          fd, fl;
    struct stat  before;

    fl = (flags & PP_OPEN_FOLLOW) ? stat(path, &before)
                                  : lstat(path, &before);
    if (fl == -1) {
        return pp_fail(err, errlen, "%s", strerror(errno));
    }

    if (pp_open_type(&before, err, errlen) != 0) {
        return -1;
    }

    fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC
                    | ((flags & PP_OPEN_FOLLOW) ? 0 : O_NOFOLLOW));
    if (fd == -1) {
        return pp_fail(err, errlen, "%s", strerror(errno));
    }

    if (fstat(fd, sb) == -1) {
        pp_fail(err, errlen, "failed to stat: %s", strerror(errno));
        goto failed;
    }

    if (sb->st_dev != before.st_dev || sb->st_ino != before.st_ino) {
        pp_fail(err, errlen, "changed while it was opened");
        goto failed;
    }

    if (pp_open_type(sb, err, errlen) != 0) {
        goto failed;
    }

    fl = fcntl(fd, F_GETFL);
    if (fl == -1 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) == -1) {
        pp_fail(err, errlen, "failed to set flags: %s", strerror(errno));
        goto failed;
    }

    return fd;

failed:

    close(fd);

    return -1;
}


/*
 * A descriptor open for reading on the regular file at path, its
 * fstat() in sb; or -1 with the reason in err, and nothing opened
 */
int
pp_open_regular(const char *path, int flags, struct stat *sb, char *err,
    size_t errlen)
{
    int          pfd, fd;
    char         proc[64];
    struct stat  st;

    pfd = open(path, O_PATH | O_CLOEXEC
                     | ((flags & PP_OPEN_FOLLOW) ? 0 : O_NOFOLLOW));
    if (pfd == -1) {
        return pp_fail(err, errlen, "%s", strerror(errno));
    }

    if (fstat(pfd, &st) == -1) {
        pp_fail(err, errlen, "failed to stat: %s", strerror(errno));
        close(pfd);
        return -1;
    }

    if (pp_open_type(&st, err, errlen) != 0) {
        close(pfd);
        return -1;
    }

    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd);

    fd = open(proc, O_RDONLY | O_NOCTTY | O_CLOEXEC);
    close(pfd);

    if (fd == -1 && errno == ENOENT) {
        return pp_open_fallback(path, flags, sb, err, errlen);
    }

    if (fd == -1) {
        return pp_fail(err, errlen, "%s", strerror(errno));
    }

    if (fstat(fd, sb) == -1 || sb->st_dev != st.st_dev
        || sb->st_ino != st.st_ino || !S_ISREG(sb->st_mode))
    {
        close(fd);
        return pp_fail(err, errlen, "changed while it was opened");
    }

    return fd;
}
