/*
 * TAP test of how the reporter opens and reads segment files: regular
 * files only (a FIFO, a device, a directory or a symbolic link is
 * refused, and nothing blocks), the header read and checked first (an
 * empty file, a foreign one, one over --max-size), and the modes a
 * segment may have.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pp_segbuild.h"


static void
t_file(const char *desc, const char *path, const char *want)
{
    int          rc;
    char         err[PP_ERR_LEN];
    pp_report_t  r;

    err[0] = '\0';
    rc = pp_report_load(&r, path, PP_OPEN_FOLLOW, err, sizeof(err));

    ok(rc == -1 && strstr(err, want) != NULL, "%s: \"%s\"", desc, err);

    if (rc == 0) {
        pp_report_free(&r);
    }
}


/* what is not a segment file is refused, and nothing hangs */
static void
t_not_segments(void)
{
    char  path[128];

    t_write("empty", "", 0, path, sizeof(path));
    t_file("empty file", path, "empty file");
    t_file("a directory", t_dir, "is a directory");
    snprintf(path, sizeof(path), "%s/missing", t_dir);
    t_file("a missing file", path, "No such file");
    t_file("a foreign file", "/bin/ls", "bad magic");
    t_file("a character device", "/dev/null", "not a regular file");

    snprintf(path, sizeof(path), "%s/fifo", t_dir);
    if (mkfifo(path, 0600) == 0) {
        t_file("a FIFO does not hang", path, "not a regular file");
    } else {
        ok(1, "# SKIP mkfifo: %s", strerror(errno));
    }
}


static int
t_open_file(const char *path, int flags, const char *want)
{
    int          fd;
    char         err[PP_ERR_LEN];
    struct stat  sb;

    err[0] = '\0';
    fd = pp_open_regular(path, flags, &sb, err, sizeof(err));

    if (fd >= 0) {
        close(fd);
        return want == NULL && S_ISREG(sb.st_mode);
    }

    return want != NULL && strstr(err, want) != NULL;
}


/* regular files only; the header first; who may read a segment */
static void
t_files(void)
{
    int              fd;
    char             path[128], link[128], fifo[128], big[128],
                     want[128], err[PP_ERR_LEN];
    t_seg_t          s;
    pp_report_t      r;

    t_build(&s);
    t_write("open", s.buf, s.len, path, sizeof(path));
    snprintf(link, sizeof(link), "%s/open.link", t_dir);
    snprintf(fifo, sizeof(fifo), "%s/open.fifo", t_dir);
    unlink(link);
    unlink(fifo);

    ok(t_open_file(path, 0, NULL), "open: a regular file");
    ok(symlink(path, link) == 0 && t_open_file(link, PP_OPEN_FOLLOW, NULL)
         && t_open_file(link, 0, "symbolic link (not followed)"),
         "open: a symbolic link only with PP_OPEN_FOLLOW");
    ok(mkfifo(fifo, 0600) == 0 && t_open_file(fifo, 0, "not a regular")
         && t_open_file(fifo, PP_OPEN_FOLLOW, "not a regular"),
         "open: a FIFO is refused, without blocking");
    unlink(link);
    ok(symlink(fifo, link) == 0
         && t_open_file(link, PP_OPEN_FOLLOW, "not a regular"),
         "open: a link to a FIFO is refused when followed");
    ok(t_open_file("/dev/null", PP_OPEN_FOLLOW, "not a regular")
         && t_open_file(t_dir, PP_OPEN_FOLLOW, "is a directory"),
         "open: a device and a directory are refused");

    ok(pp_seg_mode(0100600) == PP_MODE_OK && pp_seg_mode(0640) == PP_MODE_OK
         && pp_seg_mode(0400) == PP_MODE_OK && pp_seg_mode(0440) == PP_MODE_OK
         && pp_seg_mode(0644) == PP_MODE_WARN
         && pp_seg_mode(0755) == PP_MODE_WARN
         && pp_seg_mode(0660) == PP_MODE_REFUSE
         && pp_seg_mode(0604) == PP_MODE_REFUSE
         && pp_seg_mode(0666) == PP_MODE_REFUSE
         && pp_seg_mode(0620) == PP_MODE_REFUSE,
         "mode: 0600 and 0640 read, 0644 warns, any other reader or writer "
         "refuses (x bits aside)");

    chmod(path, 0666);
    t_file("mode 0666 is refused", path, "mode 0666 lets other users");
    chmod(path, 0640);
    fd = pp_report_load(&r, path, PP_OPEN_FOLLOW, err, sizeof(err));
    ok(fd == 0, "mode 0640 reads%s%s", fd ? ": " : "", fd ? err : "");
    if (fd == 0) {
        pp_report_free(&r);
    }

    pp_seg_max_size(s.len - 1);
    snprintf(want, sizeof(want), "(%zu bytes), over the --max-size limit of ",
             s.len);
    t_file("--max-size below the segment's size", path, want);
    pp_seg_max_size(s.len);
    fd = pp_report_load(&r, path, PP_OPEN_FOLLOW, err, sizeof(err));
    ok(fd == 0, "--max-size of the segment's size reads");
    if (fd == 0) {
        pp_report_free(&r);
    }
    pp_seg_max_size(PP_SEG_MAX_DEFAULT);

    /* a header claiming 8 GiB, in a sparse file of that size */
    s.h->size = 8ULL << 30;
    t_write("big", s.buf, PP_SEG_HEADER_SIZE, big, sizeof(big));
    if (truncate(big, (off_t) s.h->size) == 0) {
        t_file("8 GiB claimed: refused before reading",
               big, "segment of 8.0 GiB (8589934592 bytes), over the "
               "--max-size limit of 4.0 GiB (4294967296 bytes)");
    } else {
        ok(1, "# SKIP truncate: %s", strerror(errno));
    }

    unlink(big);
    unlink(link);
    unlink(fifo);
    unlink(path);
    t_free(&s);
}


int
main(void)
{
    static const char *const  names[] = { "empty", "fifo", NULL };

    if (t_scratch("test-files") != 0) {
        return 77;
    }

    t_not_segments();
    t_files();

    t_unscratch(names);

    return pp_tap_done();
}
