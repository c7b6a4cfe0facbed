/*
 * rusage OUT CMD [ARGS...]: runs CMD, its standard streams left as they
 * are, and writes "STATUS MAXRSS_KIB MILLISECONDS" to the file OUT: its
 * exit status (128 + the signal that killed it), its peak resident set
 * (wait4()'s ru_maxrss) and the wall-clock time it ran.  Exits 0 when
 * it could measure, 99 when not.  For tests that bound the reporter's
 * time and memory without GNU time or python.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>


int
main(int argc, char **argv)
{
    int              status, code;
    FILE            *out;
    pid_t            pid;
    double           ms;
    struct rusage    ru;
    struct timespec  a, b;

    if (argc < 3) {
        fprintf(stderr, "usage: rusage OUT CMD [ARGS...]\n");
        return 99;
    }

    clock_gettime(CLOCK_MONOTONIC, &a);

    pid = fork();
    if (pid == -1) {
        fprintf(stderr, "rusage: failed to fork: %s\n", strerror(errno));
        return 99;
    }

    if (pid == 0) {
        execvp(argv[2], argv + 2);
        fprintf(stderr, "rusage: failed to run %s: %s\n", argv[2],
                strerror(errno));
        _exit(127);
    }

    while (wait4(pid, &status, 0, &ru) == -1) {
        if (errno != EINTR) {
            fprintf(stderr, "rusage: failed to wait: %s\n", strerror(errno));
            return 99;
        }
    }

    clock_gettime(CLOCK_MONOTONIC, &b);

    ms = (double) (b.tv_sec - a.tv_sec) * 1e3
         + (double) (b.tv_nsec - a.tv_nsec) / 1e6;
    code = WIFEXITED(status) ? WEXITSTATUS(status)
           : 128 + WTERMSIG(status);

    out = fopen(argv[1], "w");
    if (out == NULL) {
        fprintf(stderr, "rusage: failed to create %s: %s\n", argv[1],
                strerror(errno));
        return 99;
    }

    fprintf(out, "%d %ld %.0f\n", code, ru.ru_maxrss, ms);

    return fclose(out) == 0 ? 0 : 99;
}
