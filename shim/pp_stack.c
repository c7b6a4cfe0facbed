/*
 * Sampled call stacks.  Every pool event (an allocation, a no-op free,
 * a pool's creation) decrements a per-thread countdown; when it reaches
 * zero the stack is taken with libunwind's unw_backtrace() and counted
 * into the shard's stack table, and the next countdown is drawn from a
 * geometric distribution of mean POOLPROF_STACKS, so that periodic
 * patterns (every request makes the same calls) are not aliased.  The
 * counters are of sampled events; the reporter scales them by the
 * period and labels the result as an estimate.
 *
 * With POOLPROF_STACKS=0 the countdown starts at 2^64 - 1 and never
 * runs out in practice: the hot path is the same decrement either way.
 */

#include <math.h>
#include <string.h>
#include <unistd.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "pp_stack.h"


/* frames inside the shim above the site, at most */
#define PP_STACK_SKIP    8

/* a stack's row is at its hash or one of the next rows: a short probe */
#define PP_STACK_PROBES  32

/* the deepest a site's owner is looked for (pp_stack_owner()) */
#define PP_OWNER_FRAMES  64


static uint64_t pp_stack_next(void);
static uint64_t pp_stack_hash(const uintptr_t *f, uint32_t n);


static uint64_t
pp_stack_next(void)
{
    uint64_t  x;
    double    u, period;

    period = pp_proc.stack_period;

    if (period == 0) {
        return UINT64_MAX;
    }

    if (period == 1) {
        return 1;
    }

    /* xorshift64*; never 0 once seeded */
    x = pp_tls.rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    pp_tls.rng = x;

    u = (double) ((x * 0x2545f4914f6cdd1dULL) >> 11) / 9007199254740992.0;
    if (u <= 0.0) {
        u = 1.0 / 9007199254740992.0;
    }

    /* geometric, mean period: the trials up to and including a success */
    return 1 + (uint64_t) (log(u) / log1p(-1.0 / period));
}


/*
 * A new process: its own random sequence and a fresh countdown.  The
 * unwinder caches what it learns of each function per thread, so a
 * stack taken again costs a fraction of the first.
 */
void
pp_stack_reset(void)
{
    if (pp_proc.stack_period != 0) {
        unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
    }

    pp_tls.rng = (pp_mono_ns() ^ ((uint64_t) getpid() << 32))
                 | 1;
    pp_tls.countdown = pp_stack_next();
}


static uint64_t
pp_stack_hash(const uintptr_t *f, uint32_t n)
{
    uint32_t  i;
    uint64_t  h;

    h = 0xcbf29ce484222325ULL ^ n;

    for (i = 0; i < n; i++) {
        h = (h ^ f[i]) * 0x100000001b3ULL;
        h ^= h >> 29;
    }

    return h ? h : 1;
}


/*
 * Takes this event's stack: the frames from the site outwards.  Returns
 * the stack's row (perhaps the overflow row), never NULL.
 */
pp_stack_t *
pp_stack_take(uintptr_t site)
{
    int          n, i, first;
    void        *buf[PP_STACK_FRAMES + PP_STACK_SKIP];
    uint32_t     depth, k, probe;
    uint64_t     key;
    uintptr_t   *f;
    pp_stack_t  *row;

    pp_tls.countdown = pp_stack_next();

    pp_proc.totals->stack_samples++;

    depth = pp_proc.stack_depth;
    n = unw_backtrace(buf, (int) depth + PP_STACK_SKIP);

#if defined(__aarch64__)
    /*
     * libunwind's aarch64 backtrace gives each return address less 1;
     * the words of code are 4-aligned, so such a value is one
     */
    for (i = 0; i < n; i++) {
        if (((uintptr_t) buf[i] & 3) == 3) {
            buf[i] = (void *) ((uintptr_t) buf[i] + 1);
        }
    }
#endif

    first = -1;
    for (i = 0; i < n && i <= PP_STACK_SKIP; i++) {
        if ((uintptr_t) buf[i] == site) {
            first = i;
            break;
        }
    }

    if (first == -1) {
        /* no unwind information on the way: the site alone */
        buf[0] = (void *) site;
        first = 0;
        n = 1;
    }

    f = (uintptr_t *) &buf[first];
    n -= first;
    if ((uint32_t) n > depth) {
        n = (int) depth;
    }

    key = pp_stack_hash(f, (uint32_t) n);
    k = (uint32_t) key & pp_proc.stack_mask;

    for (probe = 0; probe < PP_STACK_PROBES; probe++) {
        row = &pp_proc.stacks[k];

        if (row->key == key && row->depth == (uint32_t) n
            && memcmp(row->frames, f, (size_t) n * sizeof(uintptr_t)) == 0)
        {
            return row;
        }

        if (row->key == 0) {
            memcpy(row->frames, f, (size_t) n * sizeof(uintptr_t));
            row->depth = (uint32_t) n;
            __atomic_store_n(&row->key, key, __ATOMIC_RELEASE);
            return row;
        }

        k = (k + 1) & pp_proc.stack_mask;
    }

    pp_proc.totals->overflow++;

    return &pp_proc.stacks[pp_proc.lay.nstacks];
}


/*
 * The owner of a new site or pool site (pp_segment.h): when the site
 * lies in a library, the first frame beyond it on the current stack
 * that lies in nginx or a module.  Once per row, never per event; 0
 * when the site is nginx's side, is not on this stack (a row made for
 * an inherited pool) or no such frame is found within PP_OWNER_FRAMES.
 */
uintptr_t
pp_stack_owner(uintptr_t site)
{
    int    n, i;
    void  *buf[PP_OWNER_FRAMES];

    if (site == 0 || pp_objects_nginx_side(site)) {
        return 0;
    }

    n = unw_backtrace(buf, PP_OWNER_FRAMES);

    for (i = 0; i < n && i <= 2 * PP_STACK_SKIP; i++) {
        if ((uintptr_t) buf[i] == site) {
            break;
        }
    }

    if (i >= n || (uintptr_t) buf[i] != site) {
        return 0;
    }

    for (i++; i < n; i++) {
        if (pp_objects_nginx_side((uintptr_t) buf[i])) {
            return (uintptr_t) buf[i];
        }
    }

    return 0;
}
