/*
 * libpp_abort.so: stands in for libpoolprof.so in t-attach.sh as a shim
 * that crashes the process it is preloaded into, when
 * POOLPROF_TEST_ABORT=1 says so: the new master of an attach that dies
 * before it records.
 */

#include <stdlib.h>
#include <string.h>


__attribute__((constructor))
static void
pp_abort_init(void)
{
    const char  *s;

    s = getenv("POOLPROF_TEST_ABORT");

    if (s != NULL && strcmp(s, "1") == 0) {
        abort();
    }
}
