/*
 * What the shim and the reporter read in /proc.  A process's start
 * time, as the segment records it and the reporter checks it
 * (pp_shard_t.proc_starttime): field 22 of /proc/PID/stat, in clock
 * ticks since boot; writer and reader must read it the same way.  And
 * the thread count that the patcher needs to be 1.
 */

#ifndef _PP_PROC_H_INCLUDED_
#define _PP_PROC_H_INCLUDED_

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
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


/*
 * Field 3 (the state letter) and field 22 (the start time) of
 * /proc/PID/stat; -1 when the process is gone.
 */
static inline int
pp_proc_stat(uint32_t pid, char *state, uint64_t *starttime)
{
    int                 field;
    char                buf[1024], path[64], *p;
    unsigned long long  v;

    snprintf(path, sizeof(path), "/proc/%u/stat", pid);

    if (pp_proc_read(path, buf, sizeof(buf)) == 0) {
        return -1;
    }

    /* the command may hold spaces and parentheses: count after the last ')' */
    p = strrchr(buf, ')');
    if (p == NULL || p[1] != ' ' || p[2] == '\0') {
        return -1;
    }

    *state = p[2];

    for (field = 2; *p != '\0' && field < 22; p++) {
        if (*p == ' ') {
            field++;
        }
    }

    if (sscanf(p, "%llu", &v) != 1) {
        return -1;
    }

    *starttime = (uint64_t) v;

    return 0;
}


/* 0 when the process is gone */
static inline uint64_t
pp_proc_starttime(uint32_t pid)
{
    char      state;
    uint64_t  start;

    return pp_proc_stat(pid, &state, &start) == 0 ? start : 0;
}


/*
 * 1 while the process that started at starttime runs: not gone, not a
 * zombie, its pid not reused by another
 */
static inline int
pp_proc_running(uint32_t pid, uint64_t starttime)
{
    char      state;
    uint64_t  start;

    if (pid == 0 || pid > 0x7fffffff
        || pp_proc_stat(pid, &state, &start) != 0)
    {
        return 0;
    }

    return start == starttime && state != 'Z' && state != 'X';
}


/*
 * 1 under a user-mode emulator (qemu-user): it answers for the program's
 * /proc/self/exe, but not for /proc/self/task/TID/exe, which stays its own
 */
static inline int
pp_proc_emulated(void)
{
    char     a[256], b[256], path[64];
    ssize_t  n, m;

    snprintf(path, sizeof(path), "/proc/self/task/%ld/exe",
             (long) syscall(SYS_gettid));

    n = readlink("/proc/self/exe", a, sizeof(a));
    m = readlink(path, b, sizeof(b));

    return n > 0 && m > 0 && (n != m || memcmp(a, b, n) != 0);
}


/*
 * 1 if this process has exactly one thread: counts /proc/self/task
 * entries with getdents64, so no opendir() and no malloc.  qemu-user
 * has a thread of its own (RCU), which never runs the program's code.
 */
static inline int
pp_proc_single_thread(void)
{
    int       fd, n;
    long      r, i;
    char      buf[1024];
    uint16_t  reclen;

    fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd == -1) {
        return 0;
    }

    n = 0;

    for ( ;; ) {
        r = syscall(SYS_getdents64, fd, buf, sizeof(buf));
        if (r <= 0) {
            break;
        }

        /* struct linux_dirent64: ino 8, off 8, reclen 2, type 1, name */
        for (i = 0; i + 19 < r; i += reclen) {
            memcpy(&reclen, buf + i + 16, 2);
            if (reclen == 0) {
                r = -1;
                break;
            }

            if (buf[i + 19] != '.') {
                n++;
            }
        }

        if (r < 0) {
            break;
        }
    }

    close(fd);

    return r == 0 && (n == 1 || (n == 2 && pp_proc_emulated()));
}


#endif /* _PP_PROC_H_INCLUDED_ */
