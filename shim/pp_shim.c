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
#include <dlfcn.h>
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
#include "pp_elf.h"
#include "pp_patch.h"


PP_TLS pp_tls_t  pp_tls;
pp_proc_t        pp_proc;

static int pp_helper_invocation(void);
static size_t pp_env_size(const char *name, size_t dflt);
static void pp_parent_segment(char *path, size_t len);
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
    int        hooked;
    char      *s, path[PP_PATH_MAX], err[256];
    size_t     size;
    uintptr_t  addr;
    size_t     sz;
    pp_elf_t   elf;

    s = getenv("POOLPROF_DISABLE");
    if (s != NULL && s[0] != '\0' && strcmp(s, "0") != 0) {
        return;
    }

    s = getenv("POOLPROF_VERBOSE");
    pp_proc.verbose = (s != NULL && s[0] != '\0' && strcmp(s, "0") != 0);

    if (pp_elf_open(&elf) != 0) {
        return;
    }

    if (pp_elf_lookup(&elf, "ngx_create_pool", &addr, &sz) != 0) {
        /* not nginx: stay silent */
        pp_elf_close(&elf);
        return;
    }

    if (pp_helper_invocation()) {
        if (pp_proc.verbose) {
            pp_msg("helper invocation of nginx: not recording");
        }
        pp_elf_close(&elf);
        return;
    }

    if (!pp_patch_threads_ok()) {
        pp_msg("more than one thread at start-up: nothing is hooked");
        pp_elf_close(&elf);
        return;
    }

    s = getenv("POOLPROF_SEGMENT");
    if (s != NULL && s[0] != '\0') {
        snprintf(path, sizeof(path), "%s", s);

    } else {
        pp_parent_segment(path, sizeof(path));
        if (path[0] == '\0') {
            snprintf(path, sizeof(path), "/dev/shm/poolprof.%d",
                     (int) getpid());
        }
    }

    size = pp_env_size("POOLPROF_SIZE", 64 * 1024 * 1024);

    if (pp_shm_create(path, size, err, sizeof(err)) != 0) {
        pp_msg("%s; nothing is recorded, nginx runs unprofiled", err);
        pp_elf_close(&elf);
        return;
    }

    if (pp_shm_claim() != 0) {
        pp_msg("no free shard in %s; this process is not recorded", path);
        pp_elf_close(&elf);
        return;
    }

    if (pp_elf_lookup(&elf, "ngx_process", &addr, &sz) == 0) {
        pp_proc.ngx_process = (uintptr_t *) addr;
    }

    if (pp_elf_lookup(&elf, "ngx_current_msec", &addr, &sz) == 0) {
        pp_proc.ngx_msec = (volatile uintptr_t *) addr;

    } else if (pp_proc.verbose) {
        pp_msg("no ngx_current_msec: growth is only recorded with "
               "POOLPROF_LONG_LIVED=0");
    }

    pp_stack_reset();

    pp_shm_objects();
    pp_track_init();

    hooked = pp_hooks_install(&elf);
    pp_elf_close(&elf);

    if (pp_proc.seg->creator_pid == pp_proc.pid) {
        pp_proc.seg->hooks_ok = (uint32_t) hooked;
        pp_proc.seg->hooks_failed = (uint32_t) (pp_hooks_total() - hooked);
    }

    if (hooked == 0) {
        pp_msg("no function hooked; nothing is recorded");
        pp_shm_exit(0);
        return;
    }

    pthread_atfork(NULL, NULL, pp_atfork_child);
    atexit(pp_exit);

    if (pp_proc.verbose) {
        pp_msg("recording into %s (%d of %d functions hooked)", path,
               hooked, pp_hooks_total());
    }

    pp_tls.active = 1;
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


static size_t
pp_env_size(const char *name, size_t dflt)
{
    char                *s, *end;
    unsigned long long   v;

    s = getenv(name);
    if (s == NULL || *s == '\0') {
        return dflt;
    }

    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || end == s) {
        pp_msg("%s=%s is not a size; using %zu", name, s, dflt);
        return dflt;
    }

    switch (*end) {
    case 'k': case 'K': v <<= 10; end++; break;
    case 'm': case 'M': v <<= 20; end++; break;
    case 'g': case 'G': v <<= 30; end++; break;
    }

    if (*end != '\0') {
        pp_msg("%s=%s is not a size; using %zu", name, s, dflt);
        return dflt;
    }

    return (size_t) v;
}


/*
 * A binary upgrade: the old master forks and execs the new binary, which
 * joins the segment its parent has mapped.
 */
static void
pp_parent_segment(char *path, size_t len)
{
    FILE  *f;
    char   file[64], line[512], *p;

    path[0] = '\0';

    snprintf(file, sizeof(file), "/proc/%d/maps", (int) getppid());

    f = fopen(file, "re");
    if (f == NULL) {
        return;
    }

    while (fgets(line, sizeof(line), f) != NULL) {
        p = strstr(line, " /dev/shm/poolprof.");
        if (p == NULL) {
            continue;
        }

        p++;
        p[strcspn(p, "\n")] = '\0';
        snprintf(path, len, "%s", p);
        break;
    }

    fclose(f);
}


static void
pp_atfork_child(void)
{
    pp_tls.active = 0;
    pp_tls.depth = 0;

    if (pp_shm_claim() != 0) {
        pp_msg("no free shard in the segment; process not recorded");
        return;
    }

    pp_stack_reset();
    pp_track_forked();
    pp_tls.active = 1;
}


static void
pp_exit(void)
{
    if (pp_tls.active && pp_proc.shard != NULL
        && pp_proc.shard->pid == (uint32_t) getpid())
    {
        pp_track_exit();
    }

    pp_tls.active = 0;
    pp_shm_exit(0);
}


/* nginx's load_module: record the new object's address range */
PP_API void *
dlopen(const char *file, int mode)
{
    void         *h;
    static void  *(*real)(const char *, int);

    if (real == NULL) {
        real = (void *(*)(const char *, int)) dlsym(RTLD_NEXT, "dlopen");
        if (real == NULL) {
            errno = ENOSYS;
            return NULL;
        }
    }

    h = real(file, mode);

    if (h != NULL && pp_proc.shard != NULL) {
        pp_shm_objects();
    }

    return h;
}
