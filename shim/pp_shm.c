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


static int pp_shm_inherited(char *err, size_t len);
static int pp_shm_check(int fd, const struct stat *st, pp_layout_t *lay,
    char *err, size_t len);
static int pp_shm_dir(const char *dir, int make, char *err, size_t len);
static int pp_shm_make(int dirfd, const char *dir, const char *name,
    char *err, size_t len);
static int pp_shm_ours(int dirfd, const char *name, const struct stat *st);
static int pp_shm_init(int fd, char *err, size_t len);
static int pp_shm_map(int fd, const pp_layout_t *lay, char *err, size_t len);
static void pp_shm_prune(int dirfd, const char *self);
static int pp_shm_reopen(int fd);


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
                d = "/run/poolprof";

            } else {
                snprintf(dir, sizeof(dir), "/dev/shm/poolprof-%u",
                         (unsigned) geteuid());
                d = dir;
            }
        }

        if (d != dir) {
            snprintf(dir, sizeof(dir), "%s", d);
        }

        snprintf(name, sizeof(name), "poolprof.%d", (int) getpid());
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

    if (pp_conf.segment == NULL || stat(pp_conf.segment, &want) == -1) {
        want.st_ino = 0;
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

        if (want.st_ino != 0
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
        || pp_layout_from_header(&h, lay) != 0)
    {
        snprintf(err, len, "segment header is not one this poolprof wrote");
        return -1;
    }

    pp_proc.stack_period = h.stack_period;
    pp_proc.stack_depth = h.stack_depth;
    pp_proc.long_lived_ns = h.long_lived_ns;

    /* the instance's creator said whether to keep it */
    if (h.flags & PP_SEG_KEEP) {
        pp_conf.keep = 1;
    }

    return 0;
}


/*
 * The directory a segment is made in, as a descriptor: ours (or root's)
 * and writable by nobody else, unless sticky; the default one (make) is
 * created 0700 and must be exactly ours, 0700 (0750 with a group).
 */
static int
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
static int
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
static int
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
    h->created_mono_ns = pp_now();

    if (readlink("/proc/self/exe", h->exe, sizeof(h->exe) - 1) < 0) {
        h->exe[0] = '\0';
    }

    pp_proc.stack_period = pp_conf.stack_period;
    pp_proc.stack_depth = pp_conf.stack_depth;
    pp_proc.long_lived_ns = pp_conf.long_lived_ns;
    h->stack_period = pp_conf.stack_period;
    h->stack_depth = pp_conf.stack_depth;
    h->long_lived_ns = pp_conf.long_lived_ns;
    h->flags = pp_conf.keep ? PP_SEG_KEEP : 0;

    /* shard 0 holds the processes that have ended */
    pp_layout_shard(h, &lay, 0)->state = PP_SHARD_RETIRED;

    __atomic_store_n(&h->ready, 1, __ATOMIC_RELEASE);

    return 0;
}


static int
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


/*
 * At most POOLPROF_KEEP_MAX segments in a directory, the new one
 * included: the oldest of the others that nothing uses go first.  Only
 * files named poolprof.* that are segments of ours are counted.
 */
static void
pp_shm_prune(int dirfd, const char *self)
{
    int             fd, n, i, oldest;
    DIR            *d;
    char            names[64][64];
    time_t          mtimes[64];
    struct stat     st;
    struct dirent  *e;

    fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd == -1 || (d = fdopendir(fd)) == NULL) {
        if (fd != -1) {
            close(fd);
        }
        return;
    }

    n = 0;

    while ((e = readdir(d)) != NULL && n < 64) {
        if (strncmp(e->d_name, "poolprof.", 9) != 0
            || strcmp(e->d_name, self) == 0
            || strlen(e->d_name) >= sizeof(names[0])
            || fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1
            || !pp_shm_ours(dirfd, e->d_name, &st))
        {
            continue;
        }

        fd = openat(dirfd, e->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd == -1) {
            continue;
        }

        if (!pp_lock_in_use(fd)) {
            strcpy(names[n], e->d_name);
            mtimes[n] = st.st_mtime;
            n++;
        }

        close(fd);
    }

    closedir(d);

    while (n > 0 && (uint32_t) n >= pp_conf.keep_max) {
        oldest = 0;
        for (i = 1; i < n; i++) {
            if (mtimes[i] < mtimes[oldest]) {
                oldest = i;
            }
        }

        if (unlinkat(dirfd, names[oldest], 0) == 0 && pp_conf.verbose) {
            pp_msg("removed the old segment %s (POOLPROF_KEEP_MAX %u)",
                   names[oldest], pp_conf.keep_max);
        }

        n--;
        strcpy(names[oldest], names[n]);
        mtimes[oldest] = mtimes[n];
    }
}


/* a new open file description of the segment, read-locked */
static int
pp_shm_reopen(int fd)
{
    int   nfd;
    char  path[64];

    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

    nfd = open(path, O_RDWR | O_NOFOLLOW);
    if (nfd == -1) {
        return -1;
    }

    if (pp_lock(nfd, F_RDLCK, PP_LOCK_MAPPED) == -1) {
        close(nfd);
        return -1;
    }

    return nfd;
}


/*
 * fork(): the child's own locked description is made here, in the
 * parent, so that it holds a lock before the parent can exit (a daemon's
 * first process exits at once, and must not think itself the last).
 */
void
pp_shm_fork_prepare(void)
{
    if (pp_proc.fd != -1) {
        pp_proc.fork_fd = pp_shm_reopen(pp_proc.fd);
    }
}


void
pp_shm_fork_parent(void)
{
    if (pp_proc.fork_fd != -1) {
        close(pp_proc.fork_fd);
        pp_proc.fork_fd = -1;
    }
}


void
pp_shm_fork_child(void)
{
    if (pp_proc.fork_fd == -1) {
        /* no /proc: the child shares its parent's description */
        return;
    }

    /* the parent's description goes; ours takes its number */
    if (dup2(pp_proc.fork_fd, pp_proc.fd) != -1) {
        close(pp_proc.fork_fd);
    } else {
        close(pp_proc.fd);
        pp_proc.fd = pp_proc.fork_fd;
    }

    pp_proc.fork_fd = -1;
}


/*
 * A clean exit.  The last process of the instance (the one whose read
 * lock can become a write lock) removes the file, unless it is to be
 * kept: POOLPROF_KEEP, or a process of the instance crashed.
 */
void
pp_shm_close(void)
{
    int          dirfd;
    char         dir[PP_PATH_MAX], *slash;
    struct stat  st, cur;

    if (pp_proc.fd == -1 || pp_conf.keep || pp_proc.path[0] != '/'
        || pp_lock(pp_proc.fd, F_WRLCK, PP_LOCK_MAPPED) == -1)
    {
        return;
    }

    if (pp_shard_crashed()) {
        pp_msg("a process crashed: keeping %s", pp_proc.path);
        return;
    }

    snprintf(dir, sizeof(dir), "%s", pp_proc.path);
    slash = strrchr(dir, '/');
    *slash = '\0';

    dirfd = open(dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd == -1) {
        return;
    }

    /* only the file we map: its name may have been reused since */
    if (fstat(pp_proc.fd, &st) == 0
        && fstatat(dirfd, slash + 1, &cur, AT_SYMLINK_NOFOLLOW) == 0
        && st.st_dev == cur.st_dev && st.st_ino == cur.st_ino)
    {
        unlinkat(dirfd, slash + 1, 0);
    }

    close(dirfd);
}
