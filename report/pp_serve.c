/*
 * --serve ADDR:PORT: /metrics and /debug/pprof/<type> over HTTP, read
 * live from the segment on each request.
 *
 * A loop of our own on poll(), not a library: it serves two read-only
 * resources to a scraper on loopback, one request at a time, and needs
 * no threads.  Up to PP_SERVE_CONNS connections wait for their request
 * at once, each with a deadline, so a client that connects and sends
 * nothing delays no one: the next scraper is accepted and answered
 * while it waits, and it is closed at its deadline (or when the slots
 * run out, the longest waiting first).  Requests name no file: the
 * only paths are fixed strings, and the segment named at start is the
 * only file opened besides the object files it records, each read once
 * for its symbols.  SIGTERM or SIGINT stops it cleanly.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pp_serve.h"


static volatile sig_atomic_t  pp_serve_stop;


static void
pp_serve_signal(int signo)
{
    (void) signo;
    pp_serve_stop = 1;
}


/* "PORT", ":PORT", "HOST:PORT" or "[V6]:PORT"; the host is loopback */
static int
pp_serve_listen(const char *addr, char *name, size_t len)
{
    int               fd, one, rc;
    char              host[256], port[32], h[NI_MAXHOST], p[NI_MAXSERV];
    const char       *colon, *close_b;
    socklen_t         sl;
    struct addrinfo   hints, *ai;
    struct sockaddr_storage  ss;

    snprintf(host, sizeof(host), "127.0.0.1");

    if (addr[0] == '[' && (close_b = strchr(addr, ']')) != NULL
        && close_b[1] == ':')
    {
        snprintf(host, sizeof(host), "%.*s", (int) (close_b - addr - 1),
                 addr + 1);
        colon = close_b + 1;

    } else {
        colon = strrchr(addr, ':');
        if (colon != NULL && colon > addr) {
            snprintf(host, sizeof(host), "%.*s", (int) (colon - addr), addr);
        }
    }

    snprintf(port, sizeof(port), "%s", colon != NULL ? colon + 1 : addr);

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;

    rc = getaddrinfo(host, port, &hints, &ai);
    if (rc != 0) {
        pp_error("bad --serve address \"%s\": %s", addr, gai_strerror(rc));
        return -1;
    }

    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                ai->ai_protocol);
    one = 1;

    if (fd == -1
        || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0
        || bind(fd, ai->ai_addr, ai->ai_addrlen) != 0
        || listen(fd, 16) != 0)
    {
        pp_error("failed to listen on %s: %s", addr, strerror(errno));
        if (fd != -1) {
            close(fd);
        }
        freeaddrinfo(ai);
        return -1;
    }

    freeaddrinfo(ai);

    sl = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *) &ss, &sl) != 0
        || getnameinfo((struct sockaddr *) &ss, sl, h, sizeof(h), p,
                       sizeof(p), NI_NUMERICHOST | NI_NUMERICSERV) != 0)
    {
        snprintf(h, sizeof(h), "?");
        snprintf(p, sizeof(p), "?");
    }

    snprintf(name, len, strchr(h, ':') != NULL ? "[%s]:%s" : "%s:%s", h, p);

    return fd;
}


/* a free slot, else the one that has waited longest for its request */
static pp_conn_t *
pp_conn_slot(pp_server_t *sv)
{
    size_t      i;
    pp_conn_t  *c, *old;

    old = NULL;

    for (i = 0; i < PP_SERVE_CONNS; i++) {
        c = &sv->conns[i];
        if (c->state == PP_CONN_FREE) {
            return c;
        }
        if (old == NULL || c->since < old->since) {
            old = c;
        }
    }

    pp_conn_close(old);

    return old;
}


static void
pp_serve_accept(pp_server_t *sv, int lfd)
{
    int         fd;
    pp_conn_t  *c;

    fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd == -1) {
        return;
    }

    c = pp_conn_slot(sv);
    c->fd = fd;
    c->state = PP_CONN_READ;
    c->since = pp_mono_ns() / 1000000;
    c->deadline = c->since + PP_SERVE_READ_MS;
}


static void
pp_serve_loop(pp_server_t *sv, int lfd, const sigset_t *mask)
{
    int              n, k;
    size_t           i, nfds;
    uint64_t         now, next;
    pp_conn_t       *c;
    struct pollfd    fds[PP_SERVE_CONNS + 1];
    struct timespec  ts;
    pp_conn_t       *polled[PP_SERVE_CONNS + 1];

    while (!pp_serve_stop) {
        fds[0].fd = lfd;
        fds[0].events = POLLIN;
        polled[0] = NULL;
        nfds = 1;
        now = pp_mono_ns() / 1000000;
        next = now + 60000;

        for (i = 0; i < PP_SERVE_CONNS; i++) {
            c = &sv->conns[i];
            if (c->state == PP_CONN_FREE) {
                continue;
            }

            if (c->deadline <= now) {
                pp_conn_close(c);
                continue;
            }

            next = c->deadline < next ? c->deadline : next;
            fds[nfds].fd = c->fd;
            fds[nfds].events = c->state == PP_CONN_READ ? POLLIN : POLLOUT;
            polled[nfds++] = c;
        }

        ts.tv_sec = (time_t) ((next - now) / 1000);
        ts.tv_nsec = (long) ((next - now) % 1000) * 1000000;

        /* the stop signals are let in only while waiting here */
        n = ppoll(fds, nfds, &ts, mask);
        if (n <= 0) {
            continue;
        }

        for (k = 1; k < (int) nfds; k++) {
            c = polled[k];
            if (fds[k].revents == 0 || c->fd != fds[k].fd) {
                continue;
            }

            if (c->state == PP_CONN_READ) {
                pp_conn_read(sv, c);
            } else if (c->state == PP_CONN_WRITE) {
                pp_conn_write(c);
            }
        }

        if (fds[0].revents & POLLIN) {
            pp_serve_accept(sv, lfd);
        }
    }
}


int
pp_serve(const char *addr, const pp_fleet_opts_t *o)
{
    int               lfd, rc;
    char              name[NI_MAXHOST + NI_MAXSERV + 4], err[PP_ERR_LEN];
    size_t            i;
    sigset_t          block, old;
    pp_server_t      *sv;
    struct sigaction  sa;

    sv = calloc(1, sizeof(pp_server_t));
    if (sv == NULL) {
        pp_error("failed to allocate memory");
        return -1;
    }

    sv->o = o;
    for (i = 0; i < PP_SERVE_CONNS; i++) {
        sv->conns[i].fd = -1;
    }

    rc = -1;
    lfd = -1;

    /* a segment that cannot be read now is an error, not a 503 later */
    if (pp_fleet_load(&sv->fl, o, err, sizeof(err)) != 0) {
        pp_error("%s: %s", o->segment, err);
        goto cleanup;
    }

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = pp_serve_signal;
    sigemptyset(&sa.sa_mask);
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &old);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    lfd = pp_serve_listen(addr, name, sizeof(name));
    if (lfd == -1) {
        goto cleanup;
    }

    pp_error("serving %s on http://%s/metrics", o->segment, name);

    pp_serve_loop(sv, lfd, &old);

    pp_error("stopped");
    rc = 0;

cleanup:

    if (lfd != -1) {
        close(lfd);
    }

    for (i = 0; i < PP_SERVE_CONNS; i++) {
        pp_conn_close(&sv->conns[i]);
    }

    pp_fleet_free(&sv->fl);
    free(sv);

    return rc;
}
