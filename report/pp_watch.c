/*
 * --watch SECONDS: the report, again and again.  On a terminal it redraws
 * like top, with rates since the previous draw, and quits on q or
 * Ctrl-C with the terminal restored; elsewhere it prints a report every
 * SECONDS, separated by a line, until SIGINT or SIGTERM.  A segment that
 * cannot be read (nginx exited and it was removed) keeps the last data
 * on screen, with a note.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "pp_report.h"


static volatile sig_atomic_t  pp_stop;


static void
pp_watch_signal(int sig)
{
    (void) sig;
    pp_stop = 1;
}


static double
pp_watch_now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}


/* a screenful: what fits the terminal's height, like top */
static void
pp_watch_draw(const char *text)
{
    int             rows;
    const char     *p;
    struct winsize  ws;

    rows = ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 1
           ? ws.ws_row - 1 : 24;

    fputs("\033[H\033[2J", stdout);

    for (p = text; *p != '\0' && rows > 0; p++) {
        fputc(*p, stdout);
        rows -= (*p == '\n');
    }
}


/* waits up to ms for q; 1 when the user wants out */
static int
pp_watch_wait(int tty, int ms)
{
    int            n;
    char           c;
    double         end;
    struct pollfd  pfd;

    end = pp_watch_now() + ms / 1000.0;

    while (!pp_stop) {
        ms = (int) ((end - pp_watch_now()) * 1000);
        if (ms <= 0) {
            return 0;
        }

        pfd.fd = STDIN_FILENO;
        pfd.events = POLLIN;
        n = poll(&pfd, tty ? 1 : 0, ms);

        if (n > 0 && read(STDIN_FILENO, &c, 1) == 1) {
            if (c == 'q' || c == 'Q' || c == 3) {
                return 1;
            }
        }

        if (n < 0 && errno != EINTR) {
            return 1;
        }
    }

    return 1;
}


int
pp_watch(const char *segment, unsigned seconds, const void *opts)
{
    int               tty, have, ok;
    char             *text, *last;
    FILE             *mem;
    size_t            len;
    double            now, prev_t;
    time_t            wall;
    struct tm         tm;
    pp_totals_t       prev;
    pp_report_t       r;
    struct termios    saved, raw;
    struct sigaction  sa;

    tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = pp_watch_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    if (tty && tcgetattr(STDIN_FILENO, &saved) == 0) {
        raw = saved;
        raw.c_lflag &= ~(ICANON | ECHO);
        raw.c_cc[VMIN] = 0;
        raw.c_cc[VTIME] = 0;
        tcsetattr(STDIN_FILENO, TCSANOW, &raw);
        fputs("\033[?25l", stdout);

    } else {
        tty = 0;
    }

    last = NULL;
    have = 0;
    prev_t = 0;
    memset(&prev, 0, sizeof(prev));

    while (!pp_stop) {
        text = NULL;
        len = 0;
        mem = open_memstream(&text, &len);
        if (mem == NULL) {
            break;
        }

        wall = time(NULL);
        localtime_r(&wall, &tm);
        now = pp_watch_now();

        ok = pp_report_open(&r, segment, opts) == 0;

        fprintf(mem, "poolprof-report --watch %u  %02d:%02d:%02d  %s", seconds,
                tm.tm_hour, tm.tm_min, tm.tm_sec, segment);

        if (ok && have && now > prev_t) {
            fprintf(mem, "\n  per second: %.0f allocations, %.0f no-op frees,"
                    " %.0f pools, %.0f buffer misses",
                    (double) (r.totals.allocs - prev.allocs) / (now - prev_t),
                    (double) (r.totals.noop_frees - prev.noop_frees)
                        / (now - prev_t),
                    (double) (r.totals.pools_created - prev.pools_created)
                        / (now - prev_t),
                    (double) (r.totals.fb_misses + r.totals.cl_misses
                              - prev.fb_misses - prev.cl_misses)
                        / (now - prev_t));
        }

        fprintf(mem, "%s\n\n", tty ? "   (q quits)" : "");

        if (ok) {
            pp_report_print(mem, &r, opts);
            prev = r.totals;
            prev_t = now;
            have = 1;
            pp_report_free(&r);

        } else if (last != NULL) {
            fprintf(mem, "(the segment cannot be read now: the last data "
                    "follows)\n\n%s", last);

        } else {
            fputs("(the segment cannot be read)\n", mem);
        }

        fclose(mem);

        if (tty) {
            pp_watch_draw(text);

        } else {
            fputs(text, stdout);
            fputs("\n----\n", stdout);
        }

        fflush(stdout);

        if (ok) {
            free(last);
            last = text;
        } else {
            free(text);
        }

        if (pp_watch_wait(tty, (int) seconds * 1000)) {
            break;
        }
    }

    free(last);

    if (tty) {
        tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        fputs("\033[?25h\n", stdout);
        fflush(stdout);
    }

    return 0;
}
