/*
 * Writing a fleet format once: to standard output, or with -o FILE to a
 * temporary file in FILE's directory that is then renamed over FILE, so
 * that a reader (node_exporter's textfile collector, a Pyroscope or
 * Parca push job) never sees half a file.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pp_fleet.h"


static int
pp_fleet_emit(FILE *f, int format, pp_fleet_t *fl, const pp_fleet_opts_t *o)
{
    int             rc, sample;
    size_t          len;
    unsigned char  *gz;

    if (format == PP_FLEET_PROMETHEUS) {
        return pp_prom_print(f, fl, o->top);
    }

    sample = pp_figure_metric(o->metric);

    if (pp_pprof_build(fl, sample, &gz, &len) != 0) {
        return -1;
    }

    rc = fwrite(gz, 1, len, f) == len ? 0 : -1;
    free(gz);

    return rc;
}


int
pp_fleet_write(const char *output, int format, pp_fleet_t *fl,
    const pp_fleet_opts_t *o)
{
    int          fd, rc;
    char        *tmp, *slash;
    FILE        *f;

    if (output == NULL) {
        if (pp_fleet_emit(stdout, format, fl, o) != 0
            || fflush(stdout) != 0 || ferror(stdout))
        {
            pp_error("failed to write the %s output",
                     format == PP_FLEET_PPROF ? "pprof" : "prometheus");
            return -1;
        }
        return 0;
    }

    /* ".NAME.XXXXXX" beside NAME: a rename within one directory */
    slash = strrchr(output, '/');
    if (asprintf(&tmp, "%.*s.%s.XXXXXX",
                 slash != NULL ? (int) (slash - output + 1) : 0, output,
                 slash != NULL ? slash + 1 : output) == -1)
    {
        pp_error("failed to allocate memory");
        return -1;
    }

    fd = mkstemp(tmp);
    if (fd == -1) {
        pp_error("failed to create a file beside %s: %s", output,
                 strerror(errno));
        free(tmp);
        return -1;
    }

    /* what collectors read, as any other exported file */
    (void) fchmod(fd, 0644);

    f = fdopen(fd, "w");
    if (f == NULL) {
        close(fd);
        rc = -1;
    } else {
        rc = pp_fleet_emit(f, format, fl, o);
        if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0) {
            rc = -1;
        }
        if (fclose(f) != 0) {
            rc = -1;
        }
    }

    if (rc == 0 && rename(tmp, output) != 0) {
        pp_error("failed to rename %s to %s: %s", tmp, output,
                 strerror(errno));
        unlink(tmp);
        free(tmp);
        return -1;
    }

    if (rc != 0) {
        pp_error("failed to write %s", output);
        unlink(tmp);
    }

    free(tmp);

    return rc;
}


/* --format pprof|prometheus: read, write, 0 or -1 with a message */
int
pp_fleet_main(const pp_fleet_opts_t *o, int format)
{
    int         rc;
    char        err[PP_ERR_LEN];
    pp_fleet_t  fl;

    memset(&fl, 0, sizeof(fl));

    if (pp_fleet_load(&fl, o, err, sizeof(err)) != 0) {
        pp_error("%s: %s", o->segment, err);
        return -1;
    }

    rc = pp_fleet_write(o->output, format, &fl, o);
    pp_fleet_free(&fl);

    return rc;
}
