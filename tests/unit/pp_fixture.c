/*
 * The fixture runs that the patchers' unit tests share: pp_fixture.h.
 */

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pp_fixture.h"
#include "pp_tap.h"


static long  pp_fx_cells[PP_FX_INPUTS][2];


void
pp_fx_before(pp_fx_run_t *r)
{
    int  i;

    srandom(42);

    for (i = 0; i < r->n; i++) {
        r->b[i] = random() % 1000;

        switch (r->args) {
        case PP_FX_CELL:
            pp_fx_cells[i][1] = random() % 1000;
            r->a[i] = (long) &pp_fx_cells[i][0];
            break;
        case PP_FX_LINK:
            pp_fx_cells[i][0] = random();
            pp_fx_cells[i][1] = (i % 2) ? (long) &pp_fx_cells[i][0] : 0;
            r->a[i] = (long) &pp_fx_cells[i][0];
            break;
        case PP_FX_SMALL:
            r->a[i] = random() % 40 - 20;
            break;
        case PP_FX_COUNT:
            r->a[i] = random() % 20 - 2;
            break;
        default:
            r->a[i] = random() % 100000 - 50000;
        }
    }

    for (i = 0; i < r->n; i++) {
        if (r->counter != NULL) {
            *r->counter = (i % 3 == 0) ? 5 : i;
        }
        r->want[i] = r->fx(r->a[i], r->b[i]);
    }
}


void
pp_fx_refused(pp_fx_run_t *r, int rc, const char *err, int unchanged,
    const char *dry_err)
{
    int  i, same;

    ok(rc == -1 && strcmp(err, r->refusal) == 0, "%s: refused (%s)",
       r->name, rc ? err : "hooked!");
    ok(*r->orig == NULL, "%s: no trampoline returned", r->name);
    ok(unchanged, "%s: bytes untouched", r->name);

    if (dry_err != NULL) {
        ok(strcmp(dry_err, r->refusal) == 0,
           "%s: the dry run refuses too (%s)", r->name, dry_err);
    }

    same = 1;
    for (i = 0; i < r->n; i++) {
        if (r->counter != NULL) {
            *r->counter = (i % 3 == 0) ? 5 : i;
        }
        same &= (r->fx(r->a[i], r->b[i]) == r->want[i]);
    }
    ok(same, "%s: still works unhooked", r->name);
}


/* calls of the wrapper expected for one call of fx or of the original */
static long
pp_fx_calls(const pp_fx_run_t *r, long a, int via_orig)
{
    /* every level below the first goes through the hook */
    return (r->recurse && a > 0 ? a : 0) + !via_orig;
}


void
pp_fx_hooked(pp_fx_run_t *r)
{
    int   i, same, same_orig;
    long  calls;

    *r->calls = 0;
    calls = 0;
    same = same_orig = 1;

    for (i = 0; i < r->n; i++) {
        if (r->counter != NULL) {
            *r->counter = (i % 3 == 0) ? 5 : i;
        }
        same &= (r->fx(r->a[i], r->b[i]) == r->want[i]);
        same_orig &= ((*r->orig)(r->a[i], r->b[i]) == r->want[i]);
        calls += pp_fx_calls(r, r->a[i], 0) + pp_fx_calls(r, r->a[i], 1);
    }

    ok(same, "%s: identical results through the hook", r->name);
    ok(same_orig, "%s: identical results through the trampoline", r->name);
    ok(*r->calls == calls, "%s: the wrapper saw every call (%ld of %ld)",
       r->name, *r->calls, calls);
}


/* a second thread of the program, blocked until pp_fx_thread_stop() */
static int        pp_fx_stop[2];
static pthread_t  pp_fx_thread;


static void *
pp_fx_wait(void *arg)
{
    char  c;

    (void) arg;

    while (read(pp_fx_stop[0], &c, 1) > 0) { /* void */ }

    return NULL;
}


int
pp_fx_thread_start(void)
{
    if (pipe(pp_fx_stop) != 0) {
        return -1;
    }

    if (pthread_create(&pp_fx_thread, NULL, pp_fx_wait, NULL) != 0) {
        close(pp_fx_stop[0]);
        close(pp_fx_stop[1]);
        return -1;
    }

    return 0;
}


void
pp_fx_thread_stop(void)
{
    close(pp_fx_stop[1]);
    pthread_join(pp_fx_thread, NULL);
    close(pp_fx_stop[0]);
}
