/*
 * Where a new segment is made, and how: a directory that is this user's
 * alone, a new file created exclusively and never through a link, a
 * stale segment of ours replaced by rename(), anything else left alone.
 * Then the new file is sized, laid out and mapped.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pp_lock.h"
#include "pp_shim.h"
#include "pp_shm.h"


static int pp_shm_init(int fd, char *err, size_t len);


/*
 * The directory a segment is made in, as a descriptor: ours (or root's)
 * and writable by nobody else, unless sticky; the default one (make) is
 * created 0700 and must be exactly ours, 0700 (0750 with a group).
 */
int
pp_shm_dir(const char *dir, int make, char *err, size_t len)
{
    int          fd;
    mode_t       want;
    struct stat  st;

    want = pp_conf.gid >= 0 ? 0750 : 0700;

    if (make && mkdir(dir, want) == 0 && pp_conf.gid >= 0) {
        if (chown(dir, (uid_t) -1, (gid_t) pp_conf.gid) == -1
            || chmod(dir, want) == -1)
        {
            snprintf(err, len, "failed to give %s to group %d: %s", dir,
                     pp_conf.gid, strerror(errno));
            return -1;
        }
    }

    fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd == -1) {
        snprintf(err, len, "failed to open directory %s: %s", dir,
                 errno == ELOOP || errno == ENOTDIR
                 ? "not a directory (a symbolic link?)" : strerror(errno));
        return -1;
    }

    if (fstat(fd, &st) == -1) {
        snprintf(err, len, "failed to stat %s: %s", dir, strerror(errno));
        close(fd);
        return -1;
    }

    if (make
        ? st.st_uid != geteuid() || (st.st_mode & 07777) != want
        : (st.st_uid != geteuid() && st.st_uid != 0)
          || ((st.st_mode & 022) != 0 && (st.st_mode & S_ISVTX) == 0))
    {
        snprintf(err, len, "directory %s has owner %u and mode %04o, "
                 "expected %u and %s", dir, (unsigned) st.st_uid,
                 (unsigned) (st.st_mode & 07777), (unsigned) geteuid(),
                 make ? (want == 0700 ? "0700" : "0750")
                      : "no write by others");
        close(fd);
        return -1;
    }

    return fd;
}


/*
 * Creates dir/name.  An existing stale segment of ours is replaced by
 * renaming a new file over it; anything else there is refused, as is a
 * segment still in use.
 */
int
pp_shm_make(int dirfd, const char *dir, const char *name, char *err,
    size_t len)
{
    int          fd, old, replace;
    char         tmp[PP_PATH_MAX + 32];
    ssize_t      n;
    struct stat  st;

    replace = 0;

    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (!pp_shm_ours(dirfd, name, &st)) {
            snprintf(err, len, "%s/%s exists and is not a segment of ours "
                     "(owner %u, mode %04o%s); it is left alone", dir, name,
                     (unsigned) st.st_uid, (unsigned) (st.st_mode & 07777),
                     S_ISLNK(st.st_mode) ? ", a symbolic link" : "");
            return -1;
        }

        old = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (old == -1 || pp_lock_in_use(old)) {
            snprintf(err, len, "%s/%s is in use by another nginx", dir, name);
            if (old != -1) {
                close(old);
            }
            return -1;
        }

        close(old);
        replace = 1;

    } else if (errno != ENOENT) {
        snprintf(err, len, "failed to stat %s/%s: %s", dir, name,
                 strerror(errno));
        return -1;
    }

    if (replace) {
        snprintf(tmp, sizeof(tmp), ".%s.%d.new", name, (int) getpid());
    } else {
        snprintf(tmp, sizeof(tmp), "%s", name);
    }

    fd = openat(dirfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
    if (fd == -1) {
        snprintf(err, len, "failed to create %s/%s: %s", dir, tmp,
                 strerror(errno));
        return -1;
    }

    snprintf(pp_proc.path, sizeof(pp_proc.path), "%s/%s",
             strcmp(dir, "/") == 0 ? "" : dir, name);

    if (pp_lock(fd, F_RDLCK, PP_LOCK_MAPPED) == -1
        || pp_shm_init(fd, err, len) != 0
        || (replace && renameat(dirfd, tmp, dirfd, name) == -1))
    {
        if (err[0] == '\0') {
            snprintf(err, len, "failed to set up %s: %s", pp_proc.path,
                     strerror(errno));
        }

        /* the file is ours: we made it a moment ago, exclusively */
        unlinkat(dirfd, tmp, 0);
        close(fd);

        if (pp_proc.seg != NULL) {
            munmap(pp_proc.seg, pp_proc.seg_size);
            pp_proc.seg = NULL;
        }

        return -1;
    }

    pp_proc.fd = fd;
    pp_shm_prune(dirfd, name);

    /* the absolute path, for removal even if nginx changed directory */
    snprintf(tmp, sizeof(tmp), "/proc/self/fd/%d", fd);
    n = readlink(tmp, pp_proc.path, sizeof(pp_proc.path) - 1);
    if (n > 0) {
        pp_proc.path[n] = '\0';
    }

    return fd;
}


/* a segment file that this user's poolprof made: safe to replace */
int
pp_shm_ours(int dirfd, const char *name, const struct stat *st)
{
    int   fd, ok;
    char  magic[8];

    if (!S_ISREG(st->st_mode) || st->st_uid != geteuid()
        || (st->st_mode & 0137) != 0 || st->st_nlink != 1)
    {
        return 0;
    }

    fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd == -1) {
        return 0;
    }

    ok = pread(fd, magic, 8, 0) == 8 && memcmp(magic, PP_SEG_MAGIC, 8) == 0;
    close(fd);

    return ok;
}


/* sizes, lays out and maps a file we just created */
static int
pp_shm_init(int fd, char *err, size_t len)
{
    int               rc;
    pp_layout_t       lay;
    pp_seg_header_t  *h;
    struct timespec   ts;

    /* POOLPROF_SHARDS processes, and shard 0 for the retired ones */
    if (pp_layout(pp_conf.size & ~(uint64_t) 4095, pp_conf.shards + 1, &lay)
        != 0)
    {
        snprintf(err, len, "POOLPROF_SIZE %llu is too small",
                 (unsigned long long) pp_conf.size);
        return -1;
    }

    if (pp_conf.gid >= 0
        && (fchown(fd, (uid_t) -1, (gid_t) pp_conf.gid) == -1
            || fchmod(fd, 0640) == -1))
    {
        snprintf(err, len, "failed to give %s to group %d: %s", pp_proc.path,
                 pp_conf.gid, strerror(errno));
        return -1;
    }

    if (pp_conf.gid < 0 && fchmod(fd, 0600) == -1) {
        snprintf(err, len, "failed to chmod %s: %s", pp_proc.path,
                 strerror(errno));
        return -1;
    }

    /* tmpfs reports no space here, not with a SIGBUS on first write */
    rc = posix_fallocate(fd, 0, (off_t) lay.size);
    if (rc != 0) {
        snprintf(err, len, "failed to allocate %llu bytes for %s: %s",
                 (unsigned long long) lay.size, pp_proc.path, strerror(rc));
        return -1;
    }

    if (pp_shm_map(fd, &lay, err, len) != 0) {
        return -1;
    }

    h = pp_proc.seg;

    memcpy(h->magic, PP_SEG_MAGIC, 8);
    h->version = PP_SEG_VERSION;
    h->header_size = PP_SEG_HEADER_SIZE;
    pp_layout_to_header(&lay, h);
    h->creator_pid = (uint32_t) getpid();

    clock_gettime(CLOCK_REALTIME, &ts);
    h->created_real_ns = (uint64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
    h->created_mono_ns = pp_mono_ns();

    if (readlink("/proc/self/exe", h->exe, sizeof(h->exe) - 1) < 0) {
        h->exe[0] = '\0';
    }

    pp_proc.stack_period = pp_conf.stack_period;
    pp_proc.stack_depth = pp_conf.stack_depth;
    pp_proc.long_lived_ns = pp_conf.long_lived_ns;
    pp_proc.sample_period = pp_conf.sample_period;
    h->sample_period = pp_conf.sample_period;
    h->stack_period = pp_conf.stack_period;
    h->stack_depth = pp_conf.stack_depth;
    h->long_lived_ns = pp_conf.long_lived_ns;
    h->flags = pp_conf.keep ? PP_SEG_KEEP : 0;

    /* shard 0 holds the processes that have ended */
    pp_layout_shard(h, &lay, 0)->state = PP_SHARD_RETIRED;

    __atomic_store_n(&h->ready, 1, __ATOMIC_RELEASE);

    return 0;
}
