/*
 * Finding segments: --list, and the default SEGMENT (the newest
 * /dev/shm/poolprof.*).
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

#include "pp_report.h"


#define PP_SHM_DIR      "/dev/shm"
#define PP_SEG_PREFIX   "poolprof."


/* a name in /dev/shm, or any file with the magic elsewhere */
static int
pp_is_segment(const char *dir, const char *name, int any)
{
    int          fd, ok;
    char         path[4096], magic[8], err[PP_ERR_LEN];
    struct stat  sb;

    if (strncmp(name, PP_SEG_PREFIX, strlen(PP_SEG_PREFIX)) != 0 && !any) {
        return 0;
    }

    if ((size_t) snprintf(path, sizeof(path), "%s/%s", dir, name)
        >= sizeof(path))
    {
        return 0;
    }

    /* a regular file, not a link: nothing else is opened */
    fd = pp_open_regular(path, 0, &sb, err, sizeof(err));
    if (fd == -1) {
        return 0;
    }

    ok = read(fd, magic, 8) == 8 && memcmp(magic, PP_SEG_MAGIC, 8) == 0;

    close(fd);

    return ok;
}


static void
pp_list_one(FILE *f, const char *path)
{
    int              fd, rc;
    char             err[PP_ERR_LEN], when[64], p[4 * 4096],
                     exe[4 * PP_PATH_MAX];
    size_t           i, alive, len;
    time_t           t;
    struct tm        tm;
    struct stat      sb;
    pp_report_t      r;
    unsigned char   *buf;
    pp_seg_header_t  h;

    pp_escape(p, sizeof(p), path);

    /* the header first: a huge or sparse file is not read */
    fd = pp_seg_open(path, 0, &h, &sb, err, sizeof(err));
    if (fd < 0) {
        fprintf(f, "%-36s  (%s)\n", p, pp_escape(exe, sizeof(exe), err));
        return;
    }

    rc = pp_seg_read_fd(fd, &h, &buf, &len, err, sizeof(err));
    close(fd);

    if (rc != 0) {
        fprintf(f, "%-36s  (%s)\n", p, pp_escape(exe, sizeof(exe), err));
        return;
    }

    if (pp_seg_merge(&r, buf, len, 1, err, sizeof(err)) != 0) {
        free(buf);
        fprintf(f, "%-36s  (%s)\n", p, pp_escape(exe, sizeof(exe), err));
        return;
    }

    free(buf);

    alive = 0;
    for (i = 0; i < r.nprocs; i++) {
        alive += r.procs[i].status == PP_STATUS_ALIVE;
    }

    t = (time_t) (r.hdr.created_real_ns / 1000000000);
    if (localtime_r(&t, &tm) == NULL
        || strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm) == 0)
    {
        snprintf(when, sizeof(when), "?");
    }

    fprintf(f, "%-36s %8u %5zu/%-5zu %s  %s\n", p, r.hdr.creator_pid,
            alive, r.nprocs, when, pp_escape(exe, sizeof(exe), r.hdr.exe));

    pp_report_free(&r);
}


/* where: NULL for /dev/shm, a directory, or a segment in one */
int
pp_list_segments(FILE *f, const char *where)
{
    int             any;
    char           *dir, *s, path[4096];
    DIR            *d;
    struct stat     sb;
    struct dirent  *de;

    any = where != NULL;
    dir = strdup(where != NULL ? where : PP_SHM_DIR);
    if (dir == NULL) {
        pp_error("failed to allocate memory");
        return -1;
    }

    if (stat(dir, &sb) == 0 && !S_ISDIR(sb.st_mode)) {
        s = strrchr(dir, '/');
        if (s == NULL) {
            strcpy(dir, ".");
        } else if (s == dir) {
            s[1] = '\0';
        } else {
            *s = '\0';
        }
    }

    d = opendir(dir);
    if (d == NULL) {
        pp_error("%s: %s", dir, strerror(errno));
        free(dir);
        return -1;
    }

    fprintf(f, "%-36s %8s %11s %-19s  %s\n", "SEGMENT", "CREATOR",
            "ALIVE/PROCS", "CREATED", "EXECUTABLE");

    while ((de = readdir(d)) != NULL) {
        if (!pp_is_segment(dir, de->d_name, any)) {
            continue;
        }

        snprintf(path, sizeof(path), "%s%s%s", dir,
                 dir[strlen(dir) - 1] == '/' ? "" : "/", de->d_name);
        pp_list_one(f, path);
    }

    closedir(d);
    free(dir);

    return 0;
}


/* the newest /dev/shm/poolprof.*, malloc()ed */
char *
pp_newest_segment(char *err, size_t errlen)
{
    char            path[4096], *best;
    DIR            *d;
    struct stat     sb;
    struct dirent  *de;
    struct timespec bt;

    d = opendir(PP_SHM_DIR);
    if (d == NULL) {
        snprintf(err, errlen, "%s: %s", PP_SHM_DIR, strerror(errno));
        return NULL;
    }

    best = NULL;
    bt.tv_sec = 0;
    bt.tv_nsec = 0;

    while ((de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, PP_SEG_PREFIX, strlen(PP_SEG_PREFIX)) != 0) {
            continue;
        }

        snprintf(path, sizeof(path), "%s/%s", PP_SHM_DIR, de->d_name);

        if (lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
            continue;
        }

        if (best == NULL || sb.st_mtim.tv_sec > bt.tv_sec
            || (sb.st_mtim.tv_sec == bt.tv_sec
                && sb.st_mtim.tv_nsec > bt.tv_nsec))
        {
            free(best);
            best = strdup(path);
            bt = sb.st_mtim;
        }
    }

    closedir(d);

    if (best == NULL) {
        snprintf(err, errlen, "no segment in %s/%s*; give a path",
                 PP_SHM_DIR, PP_SEG_PREFIX);
    }

    return best;
}
