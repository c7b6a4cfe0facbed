/*
 * test_patch: the entry patcher on assembly fixtures shaped like nginx's
 * prologues.  Hooked fixtures must return exactly what they returned
 * before, over many inputs, through the hook and through the
 * trampoline (which starts with endbr64, as code reached through a
 * pointer must under IBT), and the wrapper must see every call; refused
 * ones must give the expected reason and be left byte for byte as they
 * were.
 * Also checks the symbol lookup (pp_elf_test.c), which functions call
 * which, the thread check, and the hex dump.  TAP on stdout.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pp_elf.h"
#include "pp_elf_test.h"
#include "pp_fixture.h"
#include "pp_patch.h"
#include "pp_proc.h"
#include "pp_tap.h"


#define FIXTURES(X)                                                          \
    X(pp_fx_endbr,          ARG_PLAIN, NULL)                                 \
    X(pp_fx_cmp_jae,        ARG_CELL,  NULL)                                 \
    X(pp_fx_riplea,         ARG_PLAIN, NULL)                                 \
    X(pp_fx_rip_imm,        ARG_PLAIN, NULL)                                 \
    X(pp_fx_push_mov_call,  ARG_PLAIN, NULL)                                 \
    X(pp_fx_tailjmp,        ARG_PLAIN, NULL)                                 \
    X(pp_fx_jmp8,           ARG_PLAIN, NULL)                                 \
    X(pp_fx_chain_link,     ARG_LINK,  NULL)                                 \
    X(pp_fx_recurse,        ARG_COUNT, NULL)                                 \
    X(pp_fx_loop_back,      ARG_COUNT, "branch at +0x8 targets patched bytes")\
    X(pp_fx_inner,          ARG_PLAIN, "branch at +0x2 targets patched bytes")\
    X(pp_fx_endbr_loop,     ARG_COUNT, "branch at +0x7 targets patched bytes")\
    X(pp_fx_tiny,           ARG_PLAIN, "function too short (3 bytes)")       \
    X(pp_fx_jrcxz,          ARG_PLAIN, "cannot relocate jrcxz at +0x2")      \
    X(pp_fx_jrcxz0,         ARG_PLAIN, "cannot relocate jrcxz at +0x0")      \
    X(pp_fx_ret_early,      ARG_PLAIN, "cannot relocate ret at +0x3")        \
    X(pp_fx_int3,           ARG_PLAIN, "cannot relocate int3 at +0x4")       \
    X(pp_fx_syscall,        ARG_PLAIN, "cannot relocate syscall at +0x4")    \
    X(pp_fx_ud2,            ARG_PLAIN, "cannot relocate ud2 at +0x4")        \
    X(pp_fx_baddecode,      ARG_PLAIN, "undecodable instruction at +0x4")    \
    X(pp_fx_badsweep,       ARG_PLAIN, "undecodable instruction at +0x9")

#define ARG_PLAIN  PP_FX_PLAIN
#define ARG_CELL   PP_FX_CELL
#define ARG_LINK   PP_FX_LINK
#define ARG_COUNT  PP_FX_COUNT


typedef struct {
    const char             *name;
    pp_fx_pt                fx;
    pp_fx_pt                wrap;
    pp_fx_pt               *orig;
    long                   *calls;
    int                     args;
    const char             *refusal;    /* NULL: must be hooked */
} fixture_t;

/* one wrapper per fixture: counts calls, then runs the original */
#define WRAPPER(fx, args, refusal)                                           \
    long fx(long a, long b);                                                 \
    static pp_fx_pt  orig_##fx;                                              \
    static long      calls_##fx;                                             \
    static long                                                              \
    wrap_##fx(long a, long b)                                                \
    {                                                                        \
        calls_##fx++;                                                        \
        return orig_##fx(a, b);                                              \
    }

FIXTURES(WRAPPER)

#define ENTRY(fx, args, refusal)                                             \
    { #fx, fx, wrap_##fx, &orig_##fx, &calls_##fx, args, refusal },

static fixture_t  fixtures[] = { FIXTURES(ENTRY) };

extern int        pp_fx_counter;
long pp_fx_helper(long a, long b);


static void
check(const fixture_t *f)
{
    int             rc;
    char            err[200], dry[200];
    uint8_t         before[16];
    size_t          size;
    uintptr_t       addr;
    pp_hook_t       h;
    pp_fx_run_t     r;
    const uint8_t  *tramp;

    memset(&r, 0, sizeof(r));
    r.name = f->name;
    r.fx = f->fx;
    r.orig = f->orig;
    r.calls = f->calls;
    r.args = f->args;
    r.recurse = strcmp(f->name, "pp_fx_recurse") == 0;
    r.counter = &pp_fx_counter;
    r.n = PP_FX_INPUTS;
    r.refusal = f->refusal;
    pp_fx_before(&r);

    memcpy(before, (void *) f->fx, sizeof(before));

    if (pp_elf_find(f->name, &addr, &size) != 0) {
        ok(0, "%s: found in .dynsym", f->name);
        return;
    }

    memset(&h, 0, sizeof(h));
    h.name = f->name;
    h.addr = addr;
    h.size = size;
    h.wrapper = (void *) f->wrap;
    h.orig = (void **) f->orig;

    err[0] = '\0';
    rc = pp_patch_hook(&h, err, sizeof(err));

    if (f->refusal != NULL) {
        dry[0] = '\0';
        if (pp_patch_check((const uint8_t *) addr, addr, size, dry,
                           sizeof(dry)) == 0)
        {
            strcpy(dry, "accepted");
        }

        pp_fx_refused(&r, rc, err,
                      memcmp(before, (void *) f->fx, sizeof(before)) == 0,
                      dry);
        return;
    }

    ok(rc == 0, "%s: hooked%s%s", f->name, rc ? ": " : "", rc ? err : "");
    if (rc != 0 || *f->orig == NULL) {
        return;
    }

    ok(((const uint8_t *) f->fx)[before[0] == 0xf3 ? 4 : 0] == 0xe9,
       "%s: the entry jumps to the relay", f->name);

    /* called through a pointer: endbr64 first, once, whatever the entry */
    tramp = (const uint8_t *) *f->orig;
    ok(memcmp(tramp, "\xf3\x0f\x1e\xfa", 4) == 0
       && memcmp(tramp + 4, "\xf3\x0f\x1e\xfa", 4) != 0,
       "%s: the trampoline starts with one endbr64", f->name);

    pp_fx_hooked(&r);
}


static void
check_threads(void)
{
    int        i, alone;
    char       err[200];
    uint8_t    before[16];
    pp_fx_pt   orig;
    pp_hook_t  h;

    ok(pp_proc_single_thread() == 1, "pp_proc_single_thread: one thread");

    if (pp_fx_thread_start() != 0) {
        ok(0, "pp_proc_single_thread: start a second thread");
        return;
    }

    ok(pp_proc_single_thread() == 0, "pp_proc_single_thread: two threads");

    memcpy(before, (void *) pp_fx_cmp_jae, sizeof(before));
    orig = NULL;
    memset(&h, 0, sizeof(h));
    h.name = "pp_fx_cmp_jae";
    h.addr = (uintptr_t) pp_fx_cmp_jae;
    h.size = 32;
    h.wrapper = (void *) wrap_pp_fx_cmp_jae;
    h.orig = (void **) &orig;

    ok(pp_patch_hook(&h, err, sizeof(err)) == -1
       && strcmp(err, "more than one thread") == 0
       && memcmp(before, (void *) pp_fx_cmp_jae, sizeof(before)) == 0,
       "pp_patch_hook: refused with two threads (%s)", err);

    pp_fx_thread_stop();

    /* the kernel may list the thread for a moment after the join */
    alone = 0;
    for (i = 0; i < 100 && !alone; i++) {
        alone = pp_proc_single_thread();
        if (!alone) {
            usleep(10000);
        }
    }

    ok(alone, "pp_proc_single_thread: one thread again after the join");
}


static void
check_misc(void)
{
    char       err[200], buf[64];
    size_t     size;
    uint8_t    before[16];
    pp_fx_pt   orig;
    uintptr_t  addr;
    pp_hook_t  h;

    /* which functions call which: ngx_pcalloc's wrapper is chosen so */
    ok(pp_elf_find("pp_fx_push_mov_call", &addr, &size) == 0
       && pp_patch_calls(addr, size, (uintptr_t) pp_fx_helper) == 1,
       "pp_patch_calls: a call rel32 of the target");
    ok(pp_elf_find("pp_fx_tailjmp", &addr, &size) == 0
       && pp_patch_calls(addr, size, (uintptr_t) pp_fx_helper) == 1,
       "pp_patch_calls: a tail jmp rel32 to the target");
    ok(pp_elf_find("pp_fx_push_mov_call", &addr, &size) == 0
       && pp_patch_calls(addr, size, (uintptr_t) pp_fx_riplea) == 0,
       "pp_patch_calls: a call of another function");
    ok(pp_elf_find("pp_fx_riplea", &addr, &size) == 0
       && pp_patch_calls(addr, size, (uintptr_t) pp_fx_helper) == 0,
       "pp_patch_calls: no call at all");
    ok(pp_elf_find("pp_fx_push_mov_call", &addr, &size) == 0
       && pp_patch_calls(addr, 4, (uintptr_t) pp_fx_helper) == 0,
       "pp_patch_calls: a call past the given size is not seen");

    pp_patch_hexdump((uintptr_t) pp_fx_tiny, 3, buf, sizeof(buf));
    ok(strcmp(buf, "89 f8 c3") == 0, "pp_patch_hexdump: \"%s\"", buf);
    pp_patch_hexdump((uintptr_t) pp_fx_tiny, 3, buf, 6);
    ok(strcmp(buf, "89 f8") == 0, "pp_patch_hexdump: short buffer \"%s\"",
       buf);

    /* size 0 (unknown) is refused, whatever the code */
    memcpy(before, (void *) pp_fx_riplea, sizeof(before));
    orig = NULL;
    memset(&h, 0, sizeof(h));
    h.name = "pp_fx_riplea";
    h.addr = (uintptr_t) pp_fx_riplea;
    h.size = 0;
    h.wrapper = (void *) wrap_pp_fx_riplea;
    h.orig = (void **) &orig;

    ok(pp_patch_hook(&h, err, sizeof(err)) == -1
       && strcmp(err, "function size unknown") == 0 && orig == NULL
       && memcmp(before, (void *) pp_fx_riplea, sizeof(before)) == 0,
       "pp_patch_hook: size 0 refused (%s)", err);

    /* displaced bytes past the end of the function */
    ok(pp_patch_check((const uint8_t *) pp_fx_riplea,
                      (uintptr_t) pp_fx_riplea, 4, err, sizeof(err)) == -1
       && strcmp(err, "function too short (4 bytes)") == 0,
       "pp_patch_check: displaced bytes past the end refused (%s)", err);
}


/* --- choose: the original tried before calls are diverted ------------ */

long pp_fx_choose(long a, long b);

static pp_fx_pt  choose_orig;
static long      choose_calls, choose_alt_calls, choose_tried;

static long
choose_wrap(long a, long b)
{
    choose_calls++;
    return choose_orig(a, b);
}

static long
choose_alt(long a, long b)
{
    choose_alt_calls++;
    return choose_orig(a, b) + 1;
}

static void *
choose_fn(pp_hook_t *h, void *orig)
{
    /* the original runs, and the entry still does what it did */
    choose_tried = ((pp_fx_pt) orig)(2, 3) == (2 + 3 + 11) * 3
                   && pp_fx_choose(2, 3) == (2 + 3 + 11) * 3
                   && choose_calls == 0;

    return h->data;
}

static void
test_choose(void)
{
    char       err[160];
    size_t     size;
    uintptr_t  addr;
    pp_hook_t  h;

    if (pp_elf_find("pp_fx_choose", &addr, &size) != 0) {
        ok(0, "choose: pp_fx_choose found in .dynsym");
        return;
    }

    memset(&h, 0, sizeof(h));
    h.name = "pp_fx_choose";
    h.addr = addr;
    h.size = size;
    h.wrapper = (void *) choose_wrap;
    h.orig = (void **) &choose_orig;
    h.choose = choose_fn;
    h.data = (void *) choose_alt;

    ok(pp_patch_hook(&h, err, sizeof(err)) == 0, "choose: hooked (%s)", err);
    ok(choose_tried, "choose: called with the original, callable, before "
       "any call was diverted");
    ok(pp_fx_choose(4, 5) == (4 + 5 + 11) * 5 + 1 && choose_alt_calls == 1
       && choose_calls == 0, "choose: calls go where it said");
}


int
main(void)
{
    size_t  i;

    setvbuf(stdout, NULL, _IONBF, 0);

    pp_elf_check();
    check_misc();
    check_threads();
    test_choose();

    for (i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
        check(&fixtures[i]);
    }

    return pp_tap_done();
}
