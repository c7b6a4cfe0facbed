/*
 * One connection of --serve: its request, read as it comes without
 * blocking; GET or HEAD of /metrics, /debug/pprof/TYPE or /, answered
 * from the segment read at that moment; the answer written as the
 * client takes it.  Anything else is a short error: nothing a request
 * says is a file name.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pp_serve.h"


void
pp_conn_close(pp_conn_t *c)
{
    if (c->fd != -1) {
        close(c->fd);
    }

    free(c->out);
    c->fd = -1;
    c->out = NULL;
    c->state = PP_CONN_FREE;
    c->got = 0;
    c->len = 0;
    c->sent = 0;
}


static void
pp_conn_respond(pp_conn_t *c, int status, const char *type,
    const void *body, size_t len, int head)
{
    FILE        *f;
    size_t       size;
    const char  *reason;

    reason = status == 200 ? "OK" : status == 400 ? "Bad Request"
             : status == 404 ? "Not Found"
             : status == 405 ? "Method Not Allowed"
             : status == 431 ? "Request Header Fields Too Large"
             : "Service Unavailable";

    free(c->out);
    c->out = NULL;

    f = open_memstream(&c->out, &size);
    if (f == NULL) {
        pp_conn_close(c);
        return;
    }

    fprintf(f, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
            "Content-Length: %zu\r\nCache-Control: no-store\r\n"
            "Connection: close\r\n\r\n", status, reason, type, len);
    if (!head) {
        fwrite(body, 1, len, f);
    }

    if (fclose(f) != 0 || c->out == NULL) {
        pp_conn_close(c);
        return;
    }

    c->len = size;
    c->sent = 0;
    c->state = PP_CONN_WRITE;
    c->deadline = pp_mono_ns() / 1000000 + PP_SERVE_WRITE_MS;
}


static void
pp_conn_text(pp_conn_t *c, int status, const char *text, int head)
{
    pp_conn_respond(c, status, "text/plain; charset=utf-8", text,
                    strlen(text), head);
}


static const char  pp_serve_index[] =
    "poolprof-report --serve\n"
    "/metrics                 Prometheus text exposition\n"
    "/debug/pprof/TYPE        pprof profile, TYPE one of noop_frees pinned\n"
    "                         unused allocs alloc_space buffer_misses\n";


/* one whole request: read the segment, and answer */
static void
pp_conn_handle(pp_server_t *sv, pp_conn_t *c)
{
    int             head, sample;
    char            err[PP_ERR_LEN], msg[PP_ERR_LEN + 64], *path, *end,
                   *body, *q;
    FILE           *f;
    size_t          len;
    unsigned char  *gz;

    c->req[c->got] = '\0';

    head = strncmp(c->req, "HEAD ", 5) == 0;
    if (strncmp(c->req, "GET ", 4) != 0 && !head) {
        pp_conn_text(c, 405, "only GET and HEAD\n", 0);
        return;
    }

    path = c->req + (head ? 5 : 4);
    end = strpbrk(path, " \r\n");
    if (end == NULL || *end != ' ' || strncmp(end, " HTTP/1.", 8) != 0) {
        pp_conn_text(c, 400, "bad request line\n", 0);
        return;
    }
    *end = '\0';

    q = strchr(path, '?');
    if (q != NULL) {
        *q = '\0';      /* pprof's ?seconds= and the like: ignored */
    }

    if (strcmp(path, "/") == 0) {
        pp_conn_text(c, 200, pp_serve_index, head);
        return;
    }

    sample = -1;
    if (strncmp(path, "/debug/pprof/", 13) == 0) {
        sample = pp_figure_sample(path + 13);
        if (sample < 0) {
            pp_conn_text(c, 404, "no such profile; see /\n", head);
            return;
        }

    } else if (strcmp(path, "/metrics") != 0) {
        pp_conn_text(c, 404, "not found; see /\n", head);
        return;
    }

    if (pp_fleet_load(&sv->fl, sv->o, err, sizeof(err)) != 0) {
        snprintf(msg, sizeof(msg), "cannot read the segment: %s\n", err);
        pp_conn_text(c, 503, msg, head);
        return;
    }

    if (sample >= 0) {
        if (pp_pprof_build(&sv->fl, sample, &gz, &len) != 0) {
            pp_conn_text(c, 503, "failed to build the profile\n", head);
            return;
        }
        pp_conn_respond(c, 200, "application/octet-stream", gz, len, head);
        free(gz);
        return;
    }

    body = NULL;
    f = open_memstream(&body, &len);
    if (f == NULL || pp_prom_print(f, &sv->fl, sv->o->top) != 0) {
        if (f != NULL) {
            fclose(f);
        }
        free(body);
        pp_conn_text(c, 503, "failed to build the metrics\n", head);
        return;
    }

    if (fclose(f) != 0) {
        free(body);
        pp_conn_text(c, 503, "failed to build the metrics\n", head);
        return;
    }

    pp_conn_respond(c, 200, "text/plain; version=0.0.4; charset=utf-8", body,
                    len, head);
    free(body);
}


/* -1 when a recv() or send() moved nothing: it must wait, or the
 * connection ended and is closed */
static int
pp_conn_moved(pp_conn_t *c, ssize_t n)
{
    if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
        return -1;
    }

    if (n <= 0) {
        pp_conn_close(c);
        return -1;
    }

    return 0;
}


void
pp_conn_read(pp_server_t *sv, pp_conn_t *c)
{
    ssize_t  n;

    n = recv(c->fd, c->req + c->got, sizeof(c->req) - 1 - c->got,
             MSG_DONTWAIT);

    if (pp_conn_moved(c, n) != 0) {
        return;
    }

    c->got += (size_t) n;
    c->req[c->got] = '\0';

    if (strstr(c->req, "\r\n\r\n") != NULL || strstr(c->req, "\n\n") != NULL)
    {
        pp_conn_handle(sv, c);

    } else if (c->got == sizeof(c->req) - 1) {
        pp_conn_text(c, 431, "request too large\n", 0);
    }
}


void
pp_conn_write(pp_conn_t *c)
{
    ssize_t  n;

    n = send(c->fd, c->out + c->sent, c->len - c->sent,
             MSG_DONTWAIT | MSG_NOSIGNAL);

    if (pp_conn_moved(c, n) != 0) {
        return;
    }

    c->sent += (size_t) n;

    if (c->sent == c->len) {
        shutdown(c->fd, SHUT_WR);
        pp_conn_close(c);
    }
}

