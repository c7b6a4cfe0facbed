/*
 * TAP on stdout for the C unit tests (pp_tap.h).
 */

#include <stdarg.h>
#include <stdio.h>

#include "pp_tap.h"


static int  pp_tap_testno, pp_tap_failed;


void
ok(int cond, const char *fmt, ...)
{
    va_list  ap;

    pp_tap_testno++;
    printf("%sok %d - ", cond ? "" : "not ", pp_tap_testno);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    pp_tap_failed += !cond;
}


void
pp_tap_skip(const char *fmt, ...)
{
    va_list  ap;

    pp_tap_testno++;
    printf("ok %d # SKIP ", pp_tap_testno);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}


int
pp_tap_done(void)
{
    printf("1..%d\n", pp_tap_testno);

    return pp_tap_failed ? 1 : 0;
}
