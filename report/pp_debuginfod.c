/*
 * Fetching debug files from debuginfod servers, through libdebuginfod:
 * the servers of $DEBUGINFOD_URLS, the cache of $DEBUGINFOD_CACHE_PATH
 * (else libdebuginfod's own, ~/.cache/debuginfod_client).  The fetches
 * of a process, all together, never take longer than
 * --debuginfod-timeout (--watch and --serve share it over their life):
 * the progress callback, which libdebuginfod calls at least once a
 * second, cancels the transfer when the time left is spent, and nothing
 * is asked after it.  $DEBUGINFOD_TIMEOUT, the library's own limit for a
 * server that sends nothing, defaults to the same number of seconds.
 * libdebuginfod takes a cancelled fetch for a miss and leaves an empty
 * file in the cache, which would answer "no such file" for ten minutes:
 * that file is removed, so that the next report asks again.
 * Built without libdebuginfod, or with --no-debuginfod, nothing is
 * fetched.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifdef PP_HAVE_DEBUGINFOD
#include <elfutils/debuginfod.h>
#endif

#include "pp_report.h"
#include "pp_time.h"
#include "pp_debuginfo.h"


static int       pp_dbgd_off;
static unsigned  pp_dbgd_timeout = PP_DEBUGINFOD_TIMEOUT;


void
pp_debuginfod_off(void)
{
    pp_dbgd_off = 1;
}


int
pp_debuginfod_timeout(const char *seconds)
{
    char           *end;
    unsigned long   n;

    errno = 0;
    n = strtoul(seconds, &end, 10);

    if (seconds[0] < '0' || seconds[0] > '9' || *end != '\0' || errno != 0
        || n == 0 || n > PP_DEBUGINFOD_MAX)
    {
        pp_error("bad --debuginfod-timeout \"%s\" (seconds, 1 to %u)",
                 seconds, PP_DEBUGINFOD_MAX);
        return -1;
    }

    pp_dbgd_timeout = (unsigned) n;

    return 0;
}


/* $DEBUGINFOD_URLS names a server: anything but blanks */
static int
pp_dbgd_urls(void)
{
    const char  *u;

    u = getenv("DEBUGINFOD_URLS");

    return u != NULL && u[strspn(u, " \t\n")] != '\0';
}


#ifdef PP_HAVE_DEBUGINFOD

static debuginfod_client  *pp_dbgd;
static uint64_t            pp_dbgd_left;       /* ns of the budget */
static uint64_t            pp_dbgd_deadline;   /* of this fetch */


/* non-zero cancels the transfer */
static int
pp_dbgd_progress(debuginfod_client *c, long done, long total)
{
    (void) c;
    (void) done;
    (void) total;

    return pp_mono_ns() >= pp_dbgd_deadline;
}


/*
 * The empty file that a cancelled fetch left in the cache since start:
 * removed.  The cache is where libdebuginfod puts it:
 * $DEBUGINFOD_CACHE_PATH, else ~/.debuginfod_client_cache when it
 * exists, else $XDG_CACHE_HOME/debuginfod_client or
 * ~/.cache/debuginfod_client.
 */
static void
pp_dbgd_unmiss(const uint8_t *id, size_t len, time_t start)
{
    int          n;
    char         cache[PATH_MAX], path[PATH_MAX];
    char         hex[2 * PP_BUILD_ID_MAX + 1];
    size_t       i;
    struct stat  sb;
    const char  *c, *home, *xdg;

    if (len > PP_BUILD_ID_MAX) {
        return;
    }

    c = getenv("DEBUGINFOD_CACHE_PATH");
    xdg = getenv("XDG_CACHE_HOME");
    home = getenv("HOME");
    home = home != NULL ? home : "/";

    if (c != NULL && c[0] != '\0') {
        n = snprintf(cache, sizeof(cache), "%s", c);

    } else {
        n = snprintf(cache, sizeof(cache), "%s/.debuginfod_client_cache",
                     home);

        if (n > 0 && (size_t) n < sizeof(cache) && stat(cache, &sb) == -1) {
            n = xdg != NULL && xdg[0] != '\0'
                ? snprintf(cache, sizeof(cache), "%s/debuginfod_client", xdg)
                : snprintf(cache, sizeof(cache),
                           "%s/.cache/debuginfod_client", home);
        }
    }

    if (n < 0 || (size_t) n >= sizeof(cache)) {
        return;
    }

    hex[0] = '\0';
    for (i = 0; i < len; i++) {
        snprintf(hex + 2 * i, 3, "%02x", id[i]);
    }

    n = snprintf(path, sizeof(path), "%s/%s/debuginfo", cache, hex);

    if (n > 0 && (size_t) n < sizeof(path) && lstat(path, &sb) == 0
        && S_ISREG(sb.st_mode) && sb.st_size == 0 && sb.st_mtime >= start)
    {
        unlink(path);
    }
}


static void
pp_dbgd_end(void)
{
    if (pp_dbgd != NULL) {
        debuginfod_end(pp_dbgd);
        pp_dbgd = NULL;
    }
}


static int
pp_dbgd_begin(void)
{
    char  s[16];

    /* the library's limit for a silent server: no longer than ours */
    snprintf(s, sizeof(s), "%u", pp_dbgd_timeout);
    setenv("DEBUGINFOD_TIMEOUT", s, 0);

    pp_dbgd = debuginfod_begin();
    if (pp_dbgd == NULL) {
        pp_warn_once("failed to start a debuginfod client; addresses "
                     "without local debug info stay offsets");
        return -1;
    }

    debuginfod_set_progressfn(pp_dbgd, pp_dbgd_progress);
    pp_dbgd_left = (uint64_t) pp_dbgd_timeout * 1000000000ULL;
    atexit(pp_dbgd_end);

    return 0;
}


char *
pp_debuginfod_find(const uint8_t *id, size_t len, const char *name)
{
    int       fd;
    char     *path;
    time_t    start;
    uint64_t  t0, spent;

    if (pp_dbgd_off || !pp_dbgd_urls()) {
        return NULL;
    }

    if (pp_dbgd == NULL && pp_dbgd_begin() != 0) {
        pp_dbgd_off = 1;
        return NULL;
    }

    path = NULL;
    start = time(NULL);
    t0 = pp_mono_ns();
    pp_dbgd_deadline = t0 + pp_dbgd_left;

    fd = debuginfod_find_debuginfo(pp_dbgd, id, (int) len, &path);

    spent = pp_mono_ns() - t0;
    pp_dbgd_left -= spent < pp_dbgd_left ? spent : pp_dbgd_left;

    if (fd >= 0) {
        /* reopened by the caller, through pp_open_regular() */
        close(fd);
        return path;
    }

    free(path);

    if (fd == -ECANCELED || fd == -ETIME || pp_dbgd_left == 0) {
        pp_warn_once("debuginfod: no answer within %u s "
                     "(--debuginfod-timeout) for %s; it and the objects "
                     "after it keep their offsets", pp_dbgd_timeout, name);
        pp_dbgd_off = 1;
        pp_dbgd_unmiss(id, len, start);

    } else if (fd != -ENOENT) {
        pp_warn_once("debuginfod: %s; addresses without local debug info "
                     "stay offsets", strerror(-fd));
    }

    return NULL;
}

#else /* !PP_HAVE_DEBUGINFOD */

char *
pp_debuginfod_find(const uint8_t *id, size_t len, const char *name)
{
    (void) id;
    (void) len;
    (void) name;

    if (!pp_dbgd_off && pp_dbgd_urls()) {
        pp_warn_once("built without libdebuginfod: DEBUGINFOD_URLS is not "
                     "used");
        pp_dbgd_off = 1;
    }

    return NULL;
}

#endif
