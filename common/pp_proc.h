/*
 * A process's start time, as the segment records it and the reporter
 * checks it (pp_shard_t.proc_starttime): field 22 of /proc/PID/stat, in
 * clock ticks since boot.  Writer and reader must read it the same way.
 */

#ifndef _PP_PROC_H_INCLUDED_
#define _PP_PROC_H_INCLUDED_

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>


/*
 * Reads a small /proc file into buf, NUL-terminated; returns its length,
 * or 0 when it cannot be read or is empty.  No malloc: the shim calls it
 * before main().
 */
static inline size_t
pp_proc_read(const char *path, char *buf, size_t len)
{
    int      fd;
    ssize_t  n;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        return 0;
    }

    n = read(fd, buf, len - 1);
    close(fd);

    if (n <= 0) {
        return 0;
    }

    buf[n] = '\0';

    return (size_t) n;
}


/* 0 when the process is gone */
static inline uint64_t
pp_proc_starttime(uint32_t pid)
{
    int                 field;
    char                buf[1024], path[64], *p;
    unsigned long long  v;

    snprintf(path, sizeof(path), "/proc/%u/stat", pid);

    if (pp_proc_read(path, buf, sizeof(buf)) == 0) {
        return 0;
    }

    /* the command may hold spaces and parentheses: count after the last ')' */
    p = strrchr(buf, ')');
    if (p == NULL) {
        return 0;
    }

    for (field = 2; *p != '\0' && field < 22; p++) {
        if (*p == ' ') {
            field++;
        }
    }

    return sscanf(p, "%llu", &v) == 1 ? (uint64_t) v : 0;
}


#endif /* _PP_PROC_H_INCLUDED_ */
