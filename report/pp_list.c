/*
 * Finding segments: --list, and the default SEGMENT.  The shim creates
 * <dir>/poolprof.<pid>, <dir> being $POOLPROF_DIR, else /run/poolprof
 * for root, else /dev/shm/poolprof-<uid>; older versions created
 * /dev/shm/poolprof.*.  Without POOLPROF_DIR all of those are looked in.
 * The shim's directories are used only when they are directories (not
 * links) of ours or root's that nobody else can write to.  A candidate
 * is a regular file, never a link, a FIFO or a device, and its header is
 * checked before anything else is read (pp_seg_open()).
 */

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pp_lock.h"
#include "pp_report.h"


#define PP_PLACES       3

typedef struct {
    char                    dir[4096];
    int                     any;        /* every name, not poolprof.* */
    int                     checked;    /* the shim's: ownership, mode */
} pp_place_t;

/* called for each candidate; prefixed: its name is poolprof.* */
typedef void (*pp_each_t)(void *data, const char *path, int prefixed);


static size_t pp_places(pp_place_t *pl, const char *where);
static int pp_place_ok(const pp_place_t *pl);
static void pp_scan(const pp_place_t *pl, pp_each_t each, void *data);
static void pp_list_one(void *data, const char *path, int prefixed);
static void pp_newest_one(void *data, const char *path, int prefixed);


/*
 * where: NULL for the default places; else a directory, or a segment
 * whose directory is listed, where every file with the magic counts
 */
static size_t
pp_places(pp_place_t *pl, const char *where)
{
    char         *s;
    const char   *env;
    struct stat   sb;

    memset(pl, 0, PP_PLACES * sizeof(pp_place_t));

    if (where != NULL) {
        snprintf(pl[0].dir, sizeof(pl[0].dir), "%s", where);
        pl[0].any = 1;

        if (stat(where, &sb) == 0 && !S_ISDIR(sb.st_mode)) {
            s = strrchr(pl[0].dir, '/');
            if (s == NULL) {
                strcpy(pl[0].dir, ".");
            } else if (s == pl[0].dir) {
                s[1] = '\0';
            } else {
                *s = '\0';
            }
        }

        return 1;
    }

    env = getenv("POOLPROF_DIR");

    if (env != NULL && env[0] != '\0') {
        snprintf(pl[0].dir, sizeof(pl[0].dir), "%s", env);
        return 1;
    }

    snprintf(pl[0].dir, sizeof(pl[0].dir), "%s", PP_SEG_RUN_DIR);
    pl[0].checked = 1;
    snprintf(pl[1].dir, sizeof(pl[1].dir), "%s%u", PP_SEG_USER_DIR,
             (unsigned) geteuid());
    pl[1].checked = 1;
    snprintf(pl[2].dir, sizeof(pl[2].dir), "%s", PP_SEG_OLD_DIR);

    return 3;
}


/*
 * The shim's directory, as it creates it: a directory, not a link, of
 * ours or root's, that nobody else can write to; a missing one is
 * skipped quietly, any other with a warning
 */
static int
pp_place_ok(const pp_place_t *pl)
{
    struct stat  sb;

    if (!pl->checked) {
        return 1;
    }

    if (lstat(pl->dir, &sb) != 0) {
        if (errno != ENOENT) {
            pp_warn_once("skipping %s: %s", pl->dir, strerror(errno));
        }
        return 0;
    }

    if (!S_ISDIR(sb.st_mode)) {
        pp_warn_once("skipping %s: not a directory", pl->dir);
        return 0;
    }

    if (sb.st_uid != geteuid() && sb.st_uid != 0) {
        pp_warn_once("skipping %s: owned by uid %u, neither you nor root",
                     pl->dir, (unsigned) sb.st_uid);
        return 0;
    }

    if (sb.st_mode & 022) {
        pp_warn_once("skipping %s: others can write to it (mode %04o)",
                     pl->dir, (unsigned) (sb.st_mode & 07777));
        return 0;
    }

    return 1;
}


/* calls each for every candidate name in the place */
static void
pp_scan(const pp_place_t *pl, pp_each_t each, void *data)
{
    int             prefixed;
    DIR            *d;
    char            path[4096];
    size_t          n;
    struct dirent  *de;

    if (!pp_place_ok(pl)) {
        return;
    }

    d = opendir(pl->dir);
    if (d == NULL) {
        if (pl->any) {
            pp_error("%s: %s", pl->dir, strerror(errno));
        }
        return;
    }

    n = strlen(pl->dir);

    while ((de = readdir(d)) != NULL) {
        prefixed = strncmp(de->d_name, PP_SEG_PREFIX,
                           strlen(PP_SEG_PREFIX)) == 0;

        if ((!prefixed && !pl->any) || strcmp(de->d_name, ".") == 0
            || strcmp(de->d_name, "..") == 0)
        {
            continue;
        }

        if ((size_t) snprintf(path, sizeof(path), "%s%s%s", pl->dir,
                              n > 0 && pl->dir[n - 1] == '/' ? "" : "/",
                              de->d_name)
            >= sizeof(path))
        {
            continue;
        }

        each(data, path, prefixed);
    }

    closedir(d);
}


/* one row; a file that is not a segment is left out unless poolprof.* */
static void
pp_list_one(void *data, const char *path, int prefixed)
{
    int              fd, rc, used;
    FILE            *f;
    char             err[PP_ERR_LEN], when[64], p[4 * 4096],
                     exe[4 * PP_PATH_MAX];
    size_t           i, alive, len;
    struct stat      sb;
    pp_report_t      r;
    unsigned char   *buf;
    pp_seg_header_t  h;

    f = data;
    buf = NULL;
    pp_escape(p, sizeof(p), path);

    fd = pp_open_regular(path, 0, &sb, err, sizeof(err));

    if (fd == -1) {
        if (prefixed) {
            fprintf(f, "%-36s  (%s)\n", p, pp_escape(exe, sizeof(exe), err));
        }
        return;
    }

    rc = pp_seg_header(fd, &sb, &h, err, sizeof(err));
    used = pp_lock_in_use(fd);

    if (rc == 0) {
        rc = pp_seg_read_fd(fd, &h, &buf, &len, err, sizeof(err));

    } else if (rc == PP_SEG_FOREIGN && !prefixed) {
        close(fd);
        return;
    }

    close(fd);

    if (rc != 0 || pp_seg_merge(&r, buf, len, 1, err, sizeof(err)) != 0) {
        free(buf);
        fprintf(f, "%-36s  (%s)\n", p, pp_escape(exe, sizeof(exe), err));
        return;
    }

    free(buf);

    alive = 0;
    for (i = 0; i < r.nprocs; i++) {
        alive += r.procs[i].status == PP_STATUS_ALIVE;
    }

    pp_when(when, sizeof(when), r.hdr.created_real_ns);

    fprintf(f, "%-36s %-4s %8u %5zu/%-5zu %s  %s\n", p,
            used ? "live" : "kept", r.hdr.creator_pid, alive, r.nprocs, when,
            pp_escape(exe, sizeof(exe), r.hdr.exe));

    pp_report_free(&r);
}


/* where: NULL for the default places, a directory, or a segment in one */
int
pp_list_segments(FILE *f, const char *where)
{
    size_t      i, n;
    pp_place_t  pl[PP_PLACES];

    n = pp_places(pl, where);

    fprintf(f, "%-36s %-4s %8s %11s %-19s  %s\n", "SEGMENT", "USE", "CREATOR",
            "ALIVE/PROCS", "CREATED", "EXECUTABLE");

    for (i = 0; i < n; i++) {
        pp_scan(&pl[i], pp_list_one, f);
    }

    return 0;
}


typedef struct {
    char                   *best;
    struct timespec         mtime;
} pp_newest_t;


/*
 * a segment whose header passes, of ours or root's: another user's file
 * in /dev/shm is not picked for us
 */
static void
pp_newest_one(void *data, const char *path, int prefixed)
{
    int               fd;
    char              err[PP_ERR_LEN], *s;
    struct stat       sb;
    pp_newest_t      *nw;
    pp_seg_header_t   h;

    (void) prefixed;
    nw = data;

    fd = pp_seg_open(path, 0, &h, &sb, err, sizeof(err));
    if (fd < 0) {
        return;
    }

    close(fd);

    if (sb.st_uid != geteuid() && sb.st_uid != 0) {
        return;
    }

    if (nw->best != NULL
        && (sb.st_mtim.tv_sec < nw->mtime.tv_sec
            || (sb.st_mtim.tv_sec == nw->mtime.tv_sec
                && sb.st_mtim.tv_nsec <= nw->mtime.tv_nsec)))
    {
        return;
    }

    s = strdup(path);
    if (s == NULL) {
        return;
    }

    free(nw->best);
    nw->best = s;
    nw->mtime = sb.st_mtim;
}


/* the newest segment of the default places, malloc()ed */
char *
pp_newest_segment(char *err, size_t errlen)
{
    size_t       i, n;
    pp_place_t   pl[PP_PLACES];
    pp_newest_t  nw;

    memset(&nw, 0, sizeof(nw));
    n = pp_places(pl, NULL);

    for (i = 0; i < n; i++) {
        pp_scan(&pl[i], pp_newest_one, &nw);
    }

    if (nw.best != NULL) {
        return nw.best;
    }

    if (n == 1) {
        snprintf(err, errlen, "no segment in $POOLPROF_DIR (%s/%s*); give "
                 "a path", pl[0].dir, PP_SEG_PREFIX);
    } else {
        snprintf(err, errlen, "no segment in %s/, %s/ or %s/%s*; give a "
                 "path", pl[0].dir, pl[1].dir, pl[2].dir, PP_SEG_PREFIX);
    }

    return NULL;
}
