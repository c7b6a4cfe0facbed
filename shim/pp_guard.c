/*
 * The guard against a segment that shrinks under its mappers.  poolprof
 * never truncates a segment, but root can (": > file"), and a page of a
 * shared mapping past the end of its file raises SIGBUS on the next
 * touch.  A process-wide SIGBUS handler puts a private anonymous page
 * where the vanished one was and returns, so the store completes into
 * memory nobody reads, and recording stops in that process; a SIGBUS
 * anywhere else goes to whatever handled it before.
 *
 * The handler makes only async-signal-safe calls (mmap and write are
 * system calls), and reads nothing but what it set before it was
 * installed.
 */

#define _GNU_SOURCE
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pp_shim.h"


static struct sigaction   pp_guard_old;
static uintptr_t          pp_guard_lo, pp_guard_hi;
static volatile sig_atomic_t  pp_guard_said;


static void
pp_guard_handler(int sig, siginfo_t *si, void *uc)
{
    uintptr_t     a;
    static const char  msg[] = "poolprof: the segment file was truncated "
                               "under nginx; recording stops, nginx goes on\n";

    a = (uintptr_t) si->si_addr;

    if (a >= pp_guard_lo && a < pp_guard_hi) {
        a &= ~(uintptr_t) 4095;

        if (mmap((void *) a, 4096, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0)
            != MAP_FAILED)
        {
            pp_tls.active = 0;
            pp_proc.lost = 1;

            if (!pp_guard_said) {
                pp_guard_said = 1;
                if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
                    /* nowhere else to say it */
                }
            }

            return;
        }
    }

    /* not ours: as if we had never been here */
    if (pp_guard_old.sa_flags & SA_SIGINFO) {
        if (pp_guard_old.sa_sigaction != NULL) {
            pp_guard_old.sa_sigaction(sig, si, uc);
            return;
        }

    } else if (pp_guard_old.sa_handler != SIG_DFL
               && pp_guard_old.sa_handler != SIG_IGN)
    {
        pp_guard_old.sa_handler(sig);
        return;
    }

    /* the default action: the fault repeats on return and kills */
    sigaction(SIGBUS, &pp_guard_old, NULL);
}


/* guards the mapping [seg, seg + size) of this process */
int
pp_guard_install(void *seg, size_t size)
{
    struct sigaction  sa;

    pp_guard_lo = (uintptr_t) seg;
    pp_guard_hi = (uintptr_t) seg + size;

    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = pp_guard_handler;
    sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);

    return sigaction(SIGBUS, &sa, &pp_guard_old);
}
