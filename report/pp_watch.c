/*
 * --watch SECONDS: the report, again and again.  On a terminal it redraws
 * like top, on the alternate screen, a screenful with rates since the
 * previous draw, and quits on q or Ctrl-C with the terminal restored;
 * elsewhere it prints a report every SECONDS (text: separated by a line;
 * json: one document after another, as jq reads them) until SIGINT or
 * SIGTERM.  A segment that cannot be read at the start is an error; one
 * that goes away later (nginx exited and it was removed) keeps the last
 * data, with a note.
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
#include "pp_time.h"


static volatile sig_atomic_t  pp_stop;


static void
pp_watch_signal(int sig)
{
    (void) sig;
    pp_stop = 1;
}


/*
 * a screenful from the top, like top: lines cut to the terminal's width
 * (escape sequences and UTF-8 continuation bytes take no column), as
 * many as fit its height.  Each line is written over the last draw's
 * and its end erased, and what is below the last one is erased at the
 * end: the screen is never blank between two draws, so it neither
 * flickers nor shows a half-drawn frame with the top lines missing.
 */
static void
pp_watch_draw(const char *text)
{
    int              rows, cols, col, esc;
    const char      *p;
    struct winsize   ws;

    rows = 24;
    cols = 80;

    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 1) {
        rows = ws.ws_row;
        cols = ws.ws_col > 0 ? ws.ws_col : cols;
    }

    fputs("\033[H", stdout);

    rows--;
    col = 0;
    esc = 0;

    for (p = text; *p != '\0' && rows > 0; p++) {
        if (*p == '\n') {
            fputs(rows > 1 ? "\033[K\n" : "\033[K", stdout);
            rows--;
            col = 0;
            continue;
        }

        if (*p == '\033') {
            esc = 1;
        }

        if (esc || ((unsigned char) *p & 0xc0) == 0x80) {
            fputc(*p, stdout);
            esc = esc && !(p[0] >= '@' && p[0] <= '~' && p[0] != '[');
            continue;
        }

        if (col < cols) {
            fputc(*p, stdout);
        }

        col++;
    }

    fputs("\033[0m\033[K\033[J", stdout);
}


/* waits up to ms for q; 1 when the user wants out */
static int
pp_watch_wait(int tty, int ms)
{
    int            n;
    char           c;
    double         end;
    struct pollfd  pfd;

    end = (double) pp_mono_ns() / 1e9 + ms / 1000.0;

    while (!pp_stop) {
        ms = (int) ((end - ((double) pp_mono_ns() / 1e9)) * 1000);
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


/* events per second since the previous draw of the same segment */
static void
pp_watch_rates(FILE *f, const pp_totals_t *t, const pp_totals_t *prev,
    double dt)
{
    if (t->allocs < prev->allocs || t->noop_frees < prev->noop_frees
        || t->pools_created < prev->pools_created
        || t->fb_misses < prev->fb_misses || t->cl_misses < prev->cl_misses
        || dt <= 0)
    {
        return;
    }

    fprintf(f, "\n  per second: %.0f allocations, %.0f no-op frees, %.0f "
            "pools, %.0f buffer misses",
            (double) (t->allocs - prev->allocs) / dt,
            (double) (t->noop_frees - prev->noop_frees) / dt,
            (double) (t->pools_created - prev->pools_created) / dt,
            (double) (t->fb_misses + t->cl_misses - prev->fb_misses
                      - prev->cl_misses) / dt);
}


/* one read through the pipeline; 0, or -1 with the error printed */
static int
pp_watch_read(pp_report_t *r, const pp_input_t *in, const pp_view_t *v)
{
    char  err[PP_ERR_LEN];

    if (pp_report_build(r, in, v, err, sizeof(err)) != 0) {
        pp_error("%s", err);
        return -1;
    }

    return 0;
}


int
pp_watch(const pp_input_t *in, const pp_view_t *v, unsigned seconds)
{
    int               tty, ok, rc, header, loaded, json;
    char             *text, *last, name[4 * 4096];
    FILE             *mem;
    size_t            len;
    double            now, prev_t;
    time_t            wall;
    uint64_t          prev_created;
    struct tm         tm;
    pp_totals_t       prev;
    pp_report_t       r;
    struct termios    saved, raw;
    struct sigaction  sa;

    tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
    json = v->format == PP_FORMAT_JSON;
    pp_escape(name, sizeof(name), in->seg.path);

    /* the first read decides whether there is anything to watch */
    if (pp_watch_read(&r, in, v) != 0) {
        return 1;
    }

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

        /* the alternate screen, cursor hidden, as top draws */
        fputs("\033[?1049h\033[?25l", stdout);

    } else {
        tty = 0;
    }

    /* a pipe of json gets the documents alone */
    header = tty || !json;

    rc = 0;
    ok = 1;
    loaded = 1;
    last = NULL;
    prev_t = 0;
    prev_created = 0;
    memset(&prev, 0, sizeof(prev));

    while (!pp_stop) {
        text = NULL;
        len = 0;
        mem = open_memstream(&text, &len);
        if (mem == NULL) {
            rc = 1;
            break;
        }

        wall = time(NULL);
        localtime_r(&wall, &tm);
        now = (double) pp_mono_ns() / 1e9;

        if (header) {
            fprintf(mem, "poolprof-report --watch %u  %02d:%02d:%02d  %s",
                    seconds, tm.tm_hour, tm.tm_min, tm.tm_sec, name);

            if (ok && prev_t != 0 && r.hdr.created_real_ns == prev_created) {
                pp_watch_rates(mem, &r.totals, &prev, now - prev_t);
            }

            fprintf(mem, "%s\n\n", tty ? "   (q quits)" : "");
        }

        if (ok) {
            pp_report_print(mem, &r, v);
            prev = r.totals;
            prev_t = now;
            prev_created = r.hdr.created_real_ns;
            pp_report_free(&r);
            loaded = 0;

        } else if (last != NULL) {
            fprintf(mem, "(%s cannot be read now; the last data follows)\n\n"
                    "%s", name, last);
        }

        fclose(mem);

        if (tty) {
            pp_watch_draw(text);

        } else if (ok || !json) {
            fputs(text, stdout);
            fputs(json ? "" : "\n----\n", stdout);
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

        ok = pp_watch_read(&r, in, v) == 0;
        loaded = ok;
    }

    /* a signal came between a read and its draw */
    if (loaded) {
        pp_report_free(&r);
    }

    free(last);

    if (tty) {
        tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        fputs("\033[?25h\033[?1049l", stdout);
        fflush(stdout);
    }

    return rc;
}
