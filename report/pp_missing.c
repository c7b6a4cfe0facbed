/*
 * Live processes the segment has no data for: processes that map the
 * segment file (by /proc/PID/maps) but hold no live shard in it.  Asked
 * only when the header counts failed claims.
 */

#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "pp_report.h"


#define PP_MISSING_MAX  8


/* 1 when /proc/pid/maps has a mapping of the file dev:ino */
static int
pp_missing_maps(const char *pid, const struct stat *st)
{
    int                 found, lines;
    char                path[300], line[512];
    FILE               *f;
    unsigned int        maj, min;
    unsigned long long  ino;

    snprintf(path, sizeof(path), "/proc/%s/maps", pid);

    f = fopen(path, "re");
    if (f == NULL) {
        return 0;
    }

    found = 0;

    /* bounded: a process maps a few thousand ranges at most */
    for (lines = 0; !found && lines < 100000
                    && fgets(line, sizeof(line), f) != NULL; lines++)
    {
        if (sscanf(line, "%*s %*s %*s %x:%x %llu", &maj, &min, &ino) == 3
            && ino == (unsigned long long) st->st_ino
            && makedev(maj, min) == st->st_dev)
        {
            found = 1;
        }
    }

    fclose(f);

    return found;
}


void
pp_report_missing(pp_report_t *r, const char *seg)
{
    int             recorded;
    char            pids[PP_MISSING_MAX * 12 + 16];
    size_t          i, n, len;
    DIR            *d;
    uint32_t        pid;
    struct stat     st;
    struct dirent  *e;

    if (r->hdr.claims_failed == 0) {
        return;
    }

    n = 0;
    pids[0] = '\0';

    if (stat(seg, &st) == 0 && (d = opendir("/proc")) != NULL) {
        while ((e = readdir(d)) != NULL) {
            if (!isdigit((unsigned char) e->d_name[0])
                || !pp_missing_maps(e->d_name, &st))
            {
                continue;
            }

            pid = (uint32_t) strtoul(e->d_name, NULL, 10);
            recorded = 0;

            for (i = 0; i < r->nprocs; i++) {
                if (r->procs[i].pid == pid
                    && r->procs[i].status == PP_STATUS_ALIVE)
                {
                    recorded = 1;
                }
            }

            if (recorded) {
                continue;
            }

            if (n < PP_MISSING_MAX) {
                len = strlen(pids);
                snprintf(pids + len, sizeof(pids) - len, " %u", pid);
            }

            n++;
        }

        closedir(d);
    }

    if (n == 0) {
        pp_report_warn(r, "%u processes found no free shard and were not "
                       "recorded", r->hdr.claims_failed);
        return;
    }

    pp_report_warn(r, "%u processes found no free shard and were not "
                   "recorded; live and not recorded:%s%s",
                   r->hdr.claims_failed, pids,
                   n > PP_MISSING_MAX ? " and more" : "");
}
