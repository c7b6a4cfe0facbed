/*
 * --serve: pp_serve.c listens and waits on every connection at once,
 * pp_http.c reads one connection's request and answers it.
 */

#ifndef _PP_SERVE_H_INCLUDED_
#define _PP_SERVE_H_INCLUDED_

#include <stdint.h>
#include <time.h>

#include "pp_fleet.h"
#include "pp_time.h"


#define PP_SERVE_CONNS     8
#define PP_SERVE_REQ_MAX   4096
#define PP_SERVE_READ_MS   5000     /* to send the request line, headers */
#define PP_SERVE_WRITE_MS  10000    /* to take the whole response */

#define PP_CONN_FREE       0
#define PP_CONN_READ       1
#define PP_CONN_WRITE      2

typedef struct {
    int                     fd;
    int                     state;      /* PP_CONN_* */
    uint64_t                deadline;   /* ms, CLOCK_MONOTONIC */
    uint64_t                since;
    size_t                  got;
    char                    req[PP_SERVE_REQ_MAX];
    char                   *out;
    size_t                  len;
    size_t                  sent;
} pp_conn_t;

typedef struct {
    const pp_fleet_opts_t  *o;
    pp_fleet_t              fl;
    pp_conn_t               conns[PP_SERVE_CONNS];
} pp_server_t;


void pp_conn_close(pp_conn_t *c);
void pp_conn_read(pp_server_t *sv, pp_conn_t *c);
void pp_conn_write(pp_conn_t *c);


#endif /* _PP_SERVE_H_INCLUDED_ */
