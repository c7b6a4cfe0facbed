/*
 * The segment file: made so that nobody else's file is ever touched,
 * joined only by proof of inheritance, kept alive while anything maps
 * it, and removed by the last process of its nginx.
 *
 * - A new segment is created in a directory that is this user's alone
 *   (the default one is made 0700), as a new file: O_CREAT | O_EXCL |
 *   O_NOFOLLOW, mode 0600 (0640 with POOLPROF_GROUP).  A stale segment
 *   of our own at a fixed path is replaced by rename(), never truncated;
 *   a file that is not a segment of ours is left alone.
 * - Every process holds its own open file description of the segment,
 *   read-locked (an OFD lock on byte PP_LOCK_MAPPED).  The lock, not a
 *   pid, says "in use": a locked file is never replaced, and the process
 *   that can turn its read lock into a write lock is the last one.
 * - The description is not close-on-exec, so a binary upgrade's new
 *   master, which nginx forks and execs, inherits it: that descriptor is
 *   how it finds and joins its parent's segment.
 * - Nothing that places or sizes anything is read back from the mapping
 *   after it was made or checked (pp_proc.lay).
 */

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pp_lock.h"
#include "pp_proc.h"
#include "pp_shim.h"
#include "pp_shm.h"


static int pp_shm_inherited(char *err, size_t len);
static int pp_shm_check(int fd, const struct stat *st, pp_layout_t *lay,
    char *err, size_t len);


/*
 * Opens, or joins, this instance's segment.  Returns 0 with pp_proc.seg
 * mapped and this process's description locked, or -1 with err set and
 * nothing left behind.
 */
int
pp_shm_open(char *err, size_t len)
{
    int          dirfd, fd;
    char         dir[PP_PATH_MAX], name[PP_PATH_MAX], *slash;
    const char  *d;

    pp_proc.fd = -1;
    pp_proc.fork_fd = -1;

    fd = pp_shm_inherited(err, len);
    if (fd == -2) {
        return -1;
    }

    if (fd >= 0) {
        return 0;
    }

    if (pp_conf.segment != NULL) {
        if (strlen(pp_conf.segment) >= sizeof(dir)) {
            snprintf(err, len, "POOLPROF_SEGMENT is longer than %zu bytes",
                     sizeof(dir) - 1);
            return -1;
        }

        strcpy(dir, pp_conf.segment);
        slash = strrchr(dir, '/');

        if (slash == NULL) {
            strcpy(name, dir);
            strcpy(dir, ".");

        } else {
            strcpy(name, slash + 1);
            if (slash == dir) {
                slash++;
            }
            *slash = '\0';
        }

        if (name[0] == '\0' || strcmp(name, ".") == 0
            || strcmp(name, "..") == 0)
        {
            snprintf(err, len, "POOLPROF_SEGMENT %s names no file",
                     pp_conf.segment);
            return -1;
        }

        dirfd = pp_shm_dir(dir, 0, err, len);

    } else {
        d = pp_conf.dir;

        if (d == NULL) {
            if (geteuid() == 0) {
                d = PP_SEG_RUN_DIR;

            } else {
                snprintf(dir, sizeof(dir), PP_SEG_USER_DIR "%u",
                         (unsigned) geteuid());
                d = dir;
            }
        }

        if (d != dir) {
            snprintf(dir, sizeof(dir), "%s", d);
        }

        snprintf(name, sizeof(name), PP_SEG_PREFIX "%d", (int) getpid());
        dirfd = pp_shm_dir(dir, 1, err, len);
    }

    if (dirfd == -1) {
        return -1;
    }

    fd = pp_shm_make(dirfd, dir, name, err, len);
    close(dirfd);

    return fd >= 0 ? 0 : -1;
}


/*
 * A binary upgrade: the descriptor our parent's shard held, inherited
 * through fork() and exec().  Returns the descriptor joined, -1 when
 * there is none, -2 when one was found but is unusable (err set).
 */
static int
pp_shm_inherited(char *err, size_t len)
{
    int             fd, n;
    char            magic[8], link[32];
    DIR            *d;
    struct stat     st, want;
    pp_layout_t     lay;
    struct dirent  *e;

    d = opendir("/proc/self/fd");
    if (d == NULL) {
        return -1;
    }

    /*
     * POOLPROF_SEGMENT names where to record: an inherited segment is
     * joined only if it is that file; when the file does not exist yet,
     * no inherited one is (want.st_dev == -1 matches no descriptor).
     */
    if (pp_conf.segment == NULL) {
        want.st_ino = 0;

    } else if (stat(pp_conf.segment, &want) == -1) {
        want.st_ino = 0;
        want.st_dev = (dev_t) -1;
    }

    fd = -1;

    while ((e = readdir(d)) != NULL) {
        n = atoi(e->d_name);

        if (n <= STDERR_FILENO || n == dirfd(d)
            || fstat(n, &st) == -1 || !S_ISREG(st.st_mode)
            || st.st_uid != geteuid()
            || (fcntl(n, F_GETFL) & O_ACCMODE) != O_RDWR
            || pread(n, magic, 8, 0) != 8
            || memcmp(magic, PP_SEG_MAGIC, 8) != 0)
        {
            continue;
        }

        if (pp_conf.segment != NULL
            && (st.st_ino != want.st_ino || st.st_dev != want.st_dev))
        {
            /* the parent's, but we were told to record elsewhere */
            close(n);
            continue;
        }

        if (fd != -1) {
            close(n);
            continue;
        }

        fd = n;
    }

    closedir(d);

    if (fd == -1) {
        return -1;
    }

    if (fcntl(fd, F_SETFD, 0) == -1
        || fstat(fd, &st) == -1
        || pp_shm_check(fd, &st, &lay, err, len) != 0
        || pp_shm_map(fd, &lay, err, len) != 0)
    {
        close(fd);
        return -2;
    }

    if (pp_lock(fd, F_RDLCK, PP_LOCK_MAPPED) == -1) {
        snprintf(err, len, "failed to lock the inherited segment: %s",
                 strerror(errno));
        munmap(pp_proc.seg, pp_proc.seg_size);
        pp_proc.seg = NULL;
        close(fd);
        return -2;
    }

    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    n = readlink(link, pp_proc.path, sizeof(pp_proc.path) - 1);
    pp_proc.path[n > 0 ? n : 0] = '\0';
    pp_proc.fd = fd;

    return fd;
}


/*
 * Checks a segment file this process did not just create: ours alone,
 * and a header whose every placement field is what pp_layout() gives.
 * lay is then the private layout.
 */
static int
pp_shm_check(int fd, const struct stat *st, pp_layout_t *lay, char *err,
    size_t len)
{
    pp_seg_header_t  h;

    if (!S_ISREG(st->st_mode) || st->st_uid != geteuid()
        || (st->st_mode & 0137) != 0 || st->st_nlink > 1)
    {
        snprintf(err, len, "segment file is not ours alone (owner %u, mode "
                 "%04o, %u links)", (unsigned) st->st_uid,
                 (unsigned) (st->st_mode & 07777),
                 (unsigned) st->st_nlink);
        return -1;
    }

    if (pread(fd, &h, sizeof(h), 0) != (ssize_t) sizeof(h)
        || memcmp(h.magic, PP_SEG_MAGIC, 8) != 0
        || h.version != PP_SEG_VERSION
        || h.header_size != PP_SEG_HEADER_SIZE
        || h.ready != 1
        || h.size != (uint64_t) st->st_size
        || h.stack_depth < 1 || h.stack_depth > PP_STACK_FRAMES
        || h.sample_period > PP_SEG_SAMPLE_MAX
        || pp_layout_from_header(&h, lay) != 0)
    {
        snprintf(err, len, "segment header is not one this poolprof wrote");
        return -1;
    }

    pp_proc.stack_period = h.stack_period;
    pp_proc.stack_depth = h.stack_depth;
    pp_proc.long_lived_ns = h.long_lived_ns;
    pp_proc.sample_period = h.sample_period;     /* one for the instance */

    /* the instance's creator said whether to keep it */
    if (h.flags & PP_SEG_KEEP) {
        pp_conf.keep = 1;
    }

    return 0;
}


int
pp_shm_map(int fd, const pp_layout_t *lay, char *err, size_t len)
{
    void  *p;

    p = mmap(NULL, lay->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        snprintf(err, len, "failed to map the segment: %s", strerror(errno));
        return -1;
    }

    pp_proc.seg = p;
    pp_proc.seg_size = lay->size;
    pp_proc.lay = *lay;

    if (pp_guard_install(p, lay->size) != 0) {
        snprintf(err, len, "failed to guard the segment: %s",
                 strerror(errno));
        munmap(p, lay->size);
        pp_proc.seg = NULL;
        return -1;
    }

    return 0;
}
