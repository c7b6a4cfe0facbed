/*
 * This process's shard.  Shard 0 is the retired aggregate; a process
 * claims one of shards 1 .. nshards-1 with a compare-and-swap of its
 * state at start-up or right after fork(), and is then its only writer.
 * When none is free, the shards of processes that have ended (exited, or
 * gone without exiting: crashed) are folded into shard 0 under the fold
 * lock and reused, so that any number of respawns and reloads stays
 * exact.  A claim that fails anyway is counted in the header.
 *
 * A process that execs a program which will not load the shim (the
 * unprofiled master that a detach starts) ends its recording at
 * execve(), as if it had exited; see execve() below.
 *
 * What the shards say (pids, states) is only ever compared: a process of
 * the instance may have written anything there.
 */

#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "pp_lock.h"
#include "pp_proc.h"
#include "pp_shim.h"
#include "pp_table.h"


#define PP_FOLD_TRIES  200      /* 1 ms apart: a stuck holder costs 0.2 s */

static int pp_shard_ended(pp_shard_t *sh, int *crashed);
static uint32_t pp_shard_fold_all(void);
static void pp_shard_take(uint32_t i, pp_shard_t *prev);
static int pp_shard_rejoins(char *const envp[]);
static int pp_shard_preloads_us(const char *list);


#define pp_shard_at(i)  pp_layout_shard(pp_proc.seg, &pp_proc.lay, i)


/* 1 when the process a shard names is over; *crashed if it never exited */
static int
pp_shard_ended(pp_shard_t *sh, int *crashed)
{
    uint32_t  state;

    state = __atomic_load_n(&sh->state, __ATOMIC_ACQUIRE);

    if (state == PP_SHARD_EXITED) {
        *crashed = 0;
        return 1;
    }

    if (state != PP_SHARD_ALIVE || sh->pid == pp_proc.pid
        || pp_proc_running(sh->pid, sh->proc_starttime))
    {
        return 0;
    }

    *crashed = 1;

    return 1;
}


/* folds every ended process's shard into shard 0; returns how many */
static uint32_t
pp_shard_fold_all(void)
{
    int              crashed, tries;
    uint32_t         i, n, expect;
    pp_shard_t      *sh;
    struct timespec  ms = { 0, 1000000 };

    for (tries = 0; pp_lock(pp_proc.fd, F_WRLCK, PP_LOCK_FOLD) == -1;
         tries++)
    {
        if (tries == PP_FOLD_TRIES || (errno != EAGAIN && errno != EACCES)) {
            return 0;
        }

        nanosleep(&ms, NULL);
    }

    n = 0;

    for (i = 1; i < pp_proc.lay.nshards; i++) {
        sh = pp_shard_at(i);

        if (!pp_shard_ended(sh, &crashed)) {
            continue;
        }

        expect = crashed ? PP_SHARD_ALIVE : PP_SHARD_EXITED;
        if (!__atomic_compare_exchange_n(&sh->state, &expect,
                                         PP_SHARD_FOLDING, 0,
                                         __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        {
            continue;
        }

        pp_retire_fold(sh);

        memset((char *) sh + sizeof(uint32_t) * 4, 0,
               pp_proc.lay.shard_size - sizeof(uint32_t) * 4);
        sh->pid = 0;
        sh->ppid = 0;
        sh->role = 0;

        __atomic_fetch_add(&pp_proc.seg->retired, 1, __ATOMIC_RELAXED);
        if (crashed) {
            __atomic_fetch_add(&pp_proc.seg->retired_crashed, 1,
                               __ATOMIC_RELAXED);
        }

        __atomic_store_n(&sh->state, PP_SHARD_FREE, __ATOMIC_RELEASE);
        n++;
    }

    pp_lock(pp_proc.fd, F_UNLCK, PP_LOCK_FOLD);

    return n;
}


/*
 * Claims a shard for this process: after exec() the one its pre-exec
 * self held, after fork() a new one (the parent's objects copied).
 */
int
pp_shard_claim(void)
{
    int          pass;
    uint32_t     i, expect, pid;
    uint64_t     start;
    pp_shard_t  *sh, *prev;

    prev = pp_proc.shard;
    pid = (uint32_t) getpid();
    pp_proc.pid = pid;
    pp_proc.shard = NULL;

    if (prev == NULL) {
        start = pp_proc_starttime(pid);

        for (i = 1; i < pp_proc.lay.nshards; i++) {
            sh = pp_shard_at(i);

            if (sh->pid == pid && sh->proc_starttime == start
                && __atomic_load_n(&sh->state, __ATOMIC_ACQUIRE)
                   == PP_SHARD_ALIVE)
            {
                /* our pre-exec self's: a fresh start in it */
                memset(&sh->totals, 0,
                       pp_proc.lay.shard_size - offsetof(pp_shard_t, totals));
                pp_shard_take(i, NULL);
                return 0;
            }
        }
    }

    for (pass = 0; pass < 2; pass++) {
        for (i = 1; i < pp_proc.lay.nshards; i++) {
            sh = pp_shard_at(i);

            expect = PP_SHARD_FREE;
            if (__atomic_compare_exchange_n(&sh->state, &expect,
                                            PP_SHARD_ALIVE, 0,
                                            __ATOMIC_ACQ_REL,
                                            __ATOMIC_ACQUIRE))
            {
                pp_shard_take(i, prev);
                return 0;
            }
        }

        if (pass == 0 && pp_shard_fold_all() == 0) {
            break;
        }
    }

    __atomic_fetch_add(&pp_proc.seg->claims_failed, 1, __ATOMIC_RELAXED);

    return -1;
}


static void
pp_shard_take(uint32_t i, pp_shard_t *prev)
{
    char              *base;
    pp_shard_t        *sh;
    struct timespec    ts;
    const pp_layout_t *l;

    l = &pp_proc.lay;
    sh = pp_shard_at(i);
    base = (char *) sh;

    sh->pid = pp_proc.pid;
    sh->ppid = (uint32_t) getppid();
    sh->role = prev != NULL ? prev->role : PP_ROLE_UNKNOWN;
    clock_gettime(CLOCK_REALTIME, &ts);
    sh->start_real_ns = (uint64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
    sh->start_mono_ns = pp_mono_ns();
    sh->end_mono_ns = 0;
    sh->exit_code = 0;
    sh->proc_starttime = pp_proc_starttime(pp_proc.pid);

    /* counted in place: a live reader sees them as they change */
    memset(&sh->totals, 0, sizeof(pp_totals_t));

    pp_proc.shard_index = i;
    pp_proc.shard = sh;
    pp_proc.totals = &sh->totals;
    pp_proc.sites = (pp_site_t *) (base + l->sites_off);
    pp_proc.pools = (pp_pool_t *) (base + l->pools_off);
    pp_proc.tags = (pp_tag_t *) (base + l->tags_off);
    pp_proc.objects = (pp_object_t *) (base + l->objects_off);
    pp_proc.stacks = (pp_stack_t *) (base + l->stacks_off);
    pp_proc.growth = (pp_growth_t *) (base + l->growth_off);
    pp_proc.live = (pp_lpool_t *) (base + l->live_off);
    pp_proc.stack_mask = l->nstacks - 1;

    if (pp_table_init() != 0) {
        pp_msg("no memory for the table index; events count as overflow");
    }

    if (prev != NULL) {
        /* a forked child maps the same objects as its parent */
        memcpy(pp_proc.objects, (char *) prev + l->objects_off,
               (size_t) pp_proc.nobjects * sizeof(pp_object_t));
        __atomic_store_n(&sh->nobjects_used, pp_proc.nobjects,
                         __ATOMIC_RELEASE);

    } else {
        pp_proc.nobjects = 0;
        sh->nobjects_used = 0;
    }
}


void
pp_shard_exit(int code)
{
    pp_shard_t  *sh;

    sh = pp_proc.shard;
    if (sh == NULL || pp_proc.pid != (uint32_t) getpid()) {
        return;
    }

    if (pp_proc.ngx_process != NULL) {
        sh->role = (uint32_t) *pp_proc.ngx_process;
    }

    sh->exit_code = (uint32_t) code;
    sh->end_mono_ns = pp_mono_ns();
    __atomic_store_n(&sh->state, PP_SHARD_EXITED, __ATOMIC_RELEASE);
}


/* 1 if a process of the instance ended without exiting */
int
pp_shard_crashed(void)
{
    int       crashed;
    uint32_t  i;

    if (__atomic_load_n(&pp_proc.seg->retired_crashed, __ATOMIC_RELAXED)
        != 0)
    {
        return 1;
    }

    for (i = 1; i < pp_proc.lay.nshards; i++) {
        if (pp_shard_ended(pp_shard_at(i), &crashed) && crashed) {
            return 1;
        }
    }

    return 0;
}


/*
 * execve(), as nginx calls it for a binary upgrade (USR2) in the child
 * its master forked.  A new program that loads the shim again rejoins
 * the segment through the inherited descriptor and goes on in this
 * shard (pp_shard_claim() finds it by pid and start time).  One that
 * will not, such as the unprofiled master a detach starts, must neither
 * stay listed as a recording process nor hold the segment's lock for as
 * long as it runs: its shard is marked exited and the descriptor made
 * close-on-exec first.  Should execve() fail, both are undone.  Only
 * this entry is interposed: nginx execs nothing else.
 */
PP_API int
execve(const char *path, char *const argv[], char *const envp[])
{
    int           rc, err, leaving, fdflags;
    uint32_t      expect;
    pp_shard_t   *sh;
    static int  (*next)(const char *, char *const [], char *const []);

    if (next == NULL) {
        *(void **) &next = dlsym(RTLD_NEXT, "execve");
    }

    /* a process the shim never set up (not nginx) has nothing to end */
    sh = pp_proc.pid == (uint32_t) getpid() ? pp_proc.shard : NULL;
    fdflags = -1;
    leaving = pp_proc.seg != NULL && pp_proc.fd != -1
              && !pp_shard_rejoins(envp);

    if (leaving) {
        fdflags = fcntl(pp_proc.fd, F_GETFD);
        if (fdflags != -1) {
            fcntl(pp_proc.fd, F_SETFD, fdflags | FD_CLOEXEC);
        }

        if (sh != NULL) {
            if (pp_proc.ngx_process != NULL) {
                sh->role = (uint32_t) *pp_proc.ngx_process;
            }

            sh->end_mono_ns = pp_mono_ns();
            __atomic_store_n(&sh->state, PP_SHARD_EXITED, __ATOMIC_RELEASE);
        }
    }

    if (next != NULL) {
        rc = next(path, argv, envp);
    } else {
        rc = (int) syscall(SYS_execve, path, argv, envp);
    }

    /* still here: the exec failed, and this process records on */
    err = errno;

    if (leaving) {
        if (fdflags != -1) {
            fcntl(pp_proc.fd, F_SETFD, fdflags);
        }

        expect = PP_SHARD_EXITED;
        if (sh != NULL
            && !__atomic_compare_exchange_n(&sh->state, &expect,
                                            PP_SHARD_ALIVE, 0,
                                            __ATOMIC_ACQ_REL,
                                            __ATOMIC_ACQUIRE))
        {
            /* folded meanwhile: the shard is someone else's now */
            pp_tls.active = 0;
            pp_proc.shard = NULL;

        } else if (sh != NULL) {
            sh->end_mono_ns = 0;
        }
    }

    errno = err;

    return rc;
}


/*
 * 1 when the program about to run will join this segment: envp preloads
 * a library of the shim's own file name, does not set POOLPROF_DISABLE,
 * and names no other segment in POOLPROF_SEGMENT.
 */
static int
pp_shard_rejoins(char *const envp[])
{
    int           preload;
    char *const  *e;
    struct stat   want, cur;

    if (envp == NULL) {
        return 0;
    }

    preload = 0;

    for (e = envp; *e != NULL; e++) {
        if (strncmp(*e, "LD_PRELOAD=", 11) == 0) {
            preload = pp_shard_preloads_us(*e + 11);

        } else if (strncmp(*e, "POOLPROF_DISABLE=", 17) == 0) {
            if (strcmp(*e + 17, "0") != 0) {
                return 0;
            }

        } else if (strncmp(*e, "POOLPROF_SEGMENT=", 17) == 0) {
            if (stat(*e + 17, &want) == -1
                || fstat(pp_proc.fd, &cur) == -1
                || want.st_dev != cur.st_dev || want.st_ino != cur.st_ino)
            {
                return 0;
            }
        }
    }

    return preload;
}


/* 1 when the LD_PRELOAD list names a file called as this library is */
static int
pp_shard_preloads_us(const char *list)
{
    size_t       n, len;
    Dl_info      info;
    const char  *self, *p, *end, *base;

    if (dladdr((void *) pp_shard_preloads_us, &info) == 0
        || info.dli_fname == NULL)
    {
        return 0;
    }

    self = strrchr(info.dli_fname, '/');
    self = self != NULL ? self + 1 : info.dli_fname;
    len = strlen(self);

    /* ld.so splits the list at spaces and colons */
    for (p = list; *p != '\0'; p = end) {
        while (*p == ' ' || *p == ':') {
            p++;
        }

        for (end = p; *end != '\0' && *end != ' ' && *end != ':'; end++) {
            /* void */
        }

        for (base = end; base > p && base[-1] != '/'; base--) {
            /* void */
        }

        n = (size_t) (end - base);
        if (n != 0 && n == len && memcmp(base, self, len) == 0) {
            return 1;
        }
    }

    return 0;
}
