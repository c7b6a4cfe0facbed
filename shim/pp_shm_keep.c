/*
 * Who holds the segment, and when it goes.  Each process holds its own
 * read-locked description (made for a child before fork() returns), so
 * the last one to leave can tell it is the last.  At a clean exit the
 * last one removes the file unless it is kept; at creation, kept ones
 * beyond POOLPROF_KEEP_MAX are pruned, oldest first.
 */

#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pp_lock.h"
#include "pp_shim.h"
#include "pp_shm.h"


static int pp_shm_reopen(int fd);


/*
 * At most POOLPROF_KEEP_MAX segments in a directory, the new one
 * included: the oldest of the others that nothing uses go first.  Only
 * files named poolprof.* that are segments of ours are counted.
 */
void
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
        if (strncmp(e->d_name, PP_SEG_PREFIX, sizeof(PP_SEG_PREFIX) - 1) != 0
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
