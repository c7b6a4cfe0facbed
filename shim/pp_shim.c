/*
 * libpoolprof.so: the constructor that decides whether to record, makes
 * the segment and installs the hooks, before nginx's main() runs.
 *
 * In a program that is not nginx, or when POOLPROF_DISABLE=1, it does
 * nothing.  nginx's helper invocations (-t, -T, -s, -v, -V, -h) record
 * nothing either, so they never disturb a running instance's segment.
 * Every failure says one line on stderr and leaves nginx alone.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pp_proc.h"
#include "pp_shim.h"
#include "pp_stack.h"
#include "pp_track.h"
#include "pp_elf.h"
#include "pp_patch.h"


PP_TLS pp_tls_t  pp_tls;
pp_proc_t        pp_proc;

static int pp_start(pp_elf_t *elf);
static int pp_helper_invocation(void);
static void pp_atfork_prepare(void);
static void pp_atfork_parent(void);
static void pp_atfork_child(void);
static void pp_exit(void);


void
pp_msg(const char *fmt, ...)
{
    int      n;
    char     buf[512];
    va_list  args;

    n = snprintf(buf, sizeof(buf), "poolprof[%d]: ", (int) getpid());

    va_start(args, fmt);
    n += vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, args);
    va_end(args);

    if (n > (int) sizeof(buf) - 2) {
        n = sizeof(buf) - 2;
    }

    buf[n++] = '\n';

    if (write(STDERR_FILENO, buf, n) < 0) {
        /* nowhere else to say it */
    }
}


__attribute__((constructor))
static void
pp_init(void)
{
    int       hooked;
    pp_elf_t  elf;

    if (pp_conf_disabled() || pp_elf_open(&elf) != 0) {
        return;
    }

    hooked = pp_start(&elf);
    pp_elf_close(&elf);

    if (hooked == 0) {
        return;
    }

    pp_stack_reset();
    pp_objects_scan();
    pp_track_init();

    pthread_atfork(pp_atfork_prepare, pp_atfork_parent, pp_atfork_child);
    atexit(pp_exit);

    if (pp_proc.verbose) {
        pp_msg("recording into %s (%d of %d functions hooked)", pp_proc.path,
               hooked, pp_hooks_total());
    }

    pp_tls.active = 1;
}


/*
 * The steps that need the program's symbols: is it nginx, to be
 * recorded; its functions hooked; the segment made or joined and a
 * shard claimed.  Returns how many functions are hooked, or 0 when this
 * process does not record.
 */
static int
pp_start(pp_elf_t *elf)
{
    int        hooked;
    char       err[512];
    size_t     sz;
    uintptr_t  addr;

    if (pp_elf_lookup(elf, "ngx_create_pool", &addr, &sz) != 0) {
        /* not nginx: stay silent */
        return 0;
    }

    pp_conf_load();
    pp_proc.verbose = pp_conf.verbose;
    pp_proc.fd = -1;
    pp_proc.fork_fd = -1;

    if (pp_helper_invocation()) {
        if (pp_proc.verbose) {
            pp_msg("helper invocation of nginx: not recording");
        }
        return 0;
    }

    if (!pp_proc_single_thread()) {
        pp_msg("more than one thread at start-up: nothing is hooked");
        return 0;
    }

    /*
     * Hooks first: their wrappers only pass calls on until recording
     * starts, and a process that can hook nothing (W^X) makes no segment.
     */
    hooked = pp_hooks_install(elf);

    if (hooked == 0) {
        pp_msg("no function hooked; nothing is recorded");
        return 0;
    }

    err[0] = '\0';
    if (pp_shm_open(err, sizeof(err)) != 0) {
        pp_msg("%s; nothing is recorded, nginx runs unprofiled", err);
        return 0;
    }

    if (pp_shard_claim() != 0) {
        pp_msg("no free shard in %s; this process is not recorded",
               pp_proc.path);
        return 0;
    }

    if (pp_proc.seg->creator_pid == pp_proc.pid) {
        pp_proc.seg->hooks_ok = (uint32_t) hooked;
        pp_proc.seg->hooks_failed = (uint32_t) (pp_hooks_total() - hooked);
    }

    if (pp_elf_lookup(elf, "ngx_process", &addr, &sz) == 0) {
        pp_proc.ngx_process = (uintptr_t *) addr;
    }

    if (pp_elf_lookup(elf, "ngx_current_msec", &addr, &sz) == 0) {
        pp_proc.ngx_msec = (volatile uintptr_t *) addr;

    } else if (pp_proc.verbose) {
        pp_msg("no ngx_current_msec: growth is only recorded with "
               "POOLPROF_LONG_LIVED=0");
    }

    return hooked;
}


/* -t, -T, -s, -v, -V, -h, -? as nginx's own ngx_get_options() reads them */
static int
pp_helper_invocation(void)
{
    char    buf[4096], *p, *end;
    size_t  n;

    n = pp_proc_read("/proc/self/cmdline", buf, sizeof(buf));
    if (n == 0) {
        return 0;
    }

    end = buf + n;

    /* skip argv[0] */
    for (p = buf + strlen(buf) + 1; p < end; p += strlen(p) + 1) {
        if (*p != '-') {
            continue;
        }

        for (p++; *p != '\0'; p++) {
            if (strchr("?hvVtTs", *p) != NULL) {
                return 1;
            }

            if (strchr("pceg", *p) != NULL) {
                break;      /* the rest is the option's value */
            }
        }
    }

    return 0;
}


/* the child's locked description is made before fork() returns */
static void
pp_atfork_prepare(void)
{
    pp_shm_fork_prepare();
}


/* nginx's master sets its role only after start-up: keep it current */
static void
pp_atfork_parent(void)
{
    pp_shm_fork_parent();

    if (pp_proc.shard != NULL && pp_proc.ngx_process != NULL) {
        pp_proc.shard->role = (uint32_t) *pp_proc.ngx_process;
    }
}


static void
pp_atfork_child(void)
{
    pp_tls.active = 0;
    pp_tls.depth = 0;
    pp_shm_fork_child();

    if (pp_shard_claim() != 0) {
        pp_msg("no free shard in the segment; process not recorded");
        return;
    }

    pp_proc_forked();
    pp_tls.active = 1;
}


static void
pp_exit(void)
{
    if (pp_tls.active && pp_proc.shard != NULL
        && pp_proc.pid == (uint32_t) getpid())
    {
        pp_track_exit();
    }

    pp_tls.active = 0;
    pp_shard_exit(0);
    pp_shm_close();
}
