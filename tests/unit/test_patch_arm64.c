/*
 * test_patch_arm64: the aarch64 entry patcher on assembly fixtures
 * (fixtures_arm64.S), cross-compiled static and run under qemu-aarch64
 * by tests/t-patch-arm64.sh.  Each fixture is patched in three ways:
 *   n  as pp_patch_hook() does when a page is free within 128 MiB: the
 *      entry becomes "b relay", the trampoline sits within 128 MiB;
 *   f  the 16-byte entry (ldr x16, #8; br x16; .quad), as when no relay
 *      is near, with the trampoline still near;
 *   a  the 16-byte entry and the trampoline in a page anywhere (here
 *      more than 4 GiB away), so that every displaced word is expanded
 *      and the way back is through x16.
 * Hooked fixtures must return exactly what they returned before, over
 * many inputs, through the hook and through the trampoline (which
 * starts with bti c), and the wrapper must see every call; refused ones
 * must give the expected reason and be left word for word as they
 * were.  Also the relocated words, decoded again, against the targets
 * of the originals, which functions call which, the hex dump, and the
 * thread count, which leaves out qemu-user's own thread.  TAP on stdout.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pp_fixture.h"
#include "pp_patch.h"
#include "pp_plan_arm64.h"
#include "pp_proc.h"
#include "pp_tap.h"


#define BTI  "no near branch back into BTI code"
#define X16  "x16 in use in the displaced words"
#define SHORT(n)  "function too short (" #n " bytes)"
#define CANNOT(what, at)  "cannot relocate " what " at +0x" #at

/* fixture, arguments, refusal when patched n, f, a (NULL: hooked) */
#define FIXTURES(X)                                                          \
    X(pp_a64_plain,     ARG_PLAIN, NULL, NULL, NULL)                         \
    X(pp_a64_bti,       ARG_PLAIN, NULL, NULL, BTI)                          \
    X(pp_a64_pac,       ARG_PLAIN, NULL, NULL, BTI)                          \
    X(pp_a64_adrp,      ARG_PLAIN, NULL, NULL, NULL)                         \
    X(pp_a64_adr,       ARG_PLAIN, NULL, NULL, NULL)                         \
    X(pp_a64_ldr_x,     ARG_PLAIN, NULL, NULL, NULL)                         \
    X(pp_a64_ldr_w,     ARG_PLAIN, NULL, NULL, NULL)                         \
    X(pp_a64_ldrsw,     ARG_PLAIN, NULL, NULL, NULL)                         \
    X(pp_a64_prfm,      ARG_PLAIN, NULL, NULL, NULL)                         \
    X(pp_a64_cbz,       ARG_SMALL, NULL, NULL, NULL)                         \
    X(pp_a64_cbnz,      ARG_SMALL, NULL, NULL, NULL)                         \
    X(pp_a64_tbz,       ARG_SMALL, NULL, NULL, NULL)                         \
    X(pp_a64_tbnz,      ARG_SMALL, NULL, NULL, NULL)                         \
    X(pp_a64_bcond,     ARG_SMALL, NULL, NULL, NULL)                         \
    X(pp_a64_tail,      ARG_PLAIN, NULL, NULL, NULL)                         \
    X(pp_a64_bl,        ARG_PLAIN, NULL, NULL, NULL)                         \
    X(pp_a64_recurse,   ARG_COUNT, NULL, NULL, NULL)                         \
    X(pp_a64_loop_in,   ARG_COUNT, NULL,                                     \
      "branch at +0xc targets patched bytes",                                \
      "branch at +0xc targets patched bytes")                                \
    X(pp_a64_loop,      ARG_COUNT,                                           \
      "branch at +0x4 targets patched bytes",                                \
      "branch at +0x4 targets patched bytes",                                \
      "branch at +0x4 targets patched bytes")                                \
    X(pp_a64_bti_loop,  ARG_COUNT,                                           \
      "branch at +0x8 targets patched bytes",                                \
      "branch at +0x8 targets patched bytes",                                \
      "branch at +0x8 targets patched bytes")                                \
    X(pp_a64_x16,       ARG_SMALL, NULL, NULL, X16)                          \
    X(pp_a64_short,     ARG_PLAIN, NULL, SHORT(8), SHORT(8))                 \
    X(pp_a64_tiny,      ARG_PLAIN, CANNOT("ret", 0), CANNOT("ret", 0),       \
      CANNOT("ret", 0))                                                      \
    X(pp_a64_ret_early, ARG_SMALL, NULL, CANNOT("ret", 4), CANNOT("ret", 4)) \
    X(pp_a64_simd,      ARG_PLAIN, CANNOT("ldr (simd literal)", 0),          \
      CANNOT("ldr (simd literal)", 0), CANNOT("ldr (simd literal)", 0))      \
    X(pp_a64_svc,       ARG_PLAIN, NULL, CANNOT("svc", 4), CANNOT("svc", 4)) \
    X(pp_a64_brk,       ARG_PLAIN, NULL, CANNOT("brk", 4), CANNOT("brk", 4)) \
    X(pp_a64_udf,       ARG_PLAIN, NULL, CANNOT("udf", 4), CANNOT("udf", 4)) \
    X(pp_a64_undef,     ARG_PLAIN, NULL,                                     \
      "undecodable instruction at +0x4",                                     \
      "undecodable instruction at +0x4")                                     \
    X(pp_a64_eret,      ARG_PLAIN, NULL, CANNOT("eret", 4),                  \
      CANNOT("eret", 4))                                                     \
    X(pp_a64_bc,        ARG_PLAIN, NULL, CANNOT("bc.cond", 4),               \
      CANNOT("bc.cond", 4))                                                  \
    X(pp_a64_btij,      ARG_PLAIN, NULL, CANNOT("bti", 4), CANNOT("bti", 4))

#define ARG_PLAIN  PP_FX_PLAIN
#define ARG_SMALL  PP_FX_SMALL
#define ARG_COUNT  PP_FX_COUNT

enum { MODE_N, MODE_F, MODE_A, NMODES };

static const int    mode_flags[NMODES] = {
    0, PP_A64_FAR, PP_A64_FAR | PP_A64_ANYWHERE
};
static const char  *mode_name[NMODES] = { "n", "f", "a" };

typedef struct {
    const char             *name;
    int                     mode;
    pp_fx_pt                fx;
    const char             *end;
    pp_fx_pt                wrap;
    pp_fx_pt               *orig;
    long                   *calls;
    int                     args;
    const char             *refusal;    /* NULL: must be hooked */
} fixture_t;

/* one wrapper per fixture and way: counts calls, then runs the original */
#define WRAPPER1(fx, m)                                                      \
    long fx##_##m(long a, long b);                                           \
    extern const char  fx##_##m##_end[];                                     \
    static pp_fx_pt    orig_##fx##_##m;                                      \
    static long        calls_##fx##_##m;                                     \
    static long                                                              \
    wrap_##fx##_##m(long a, long b)                                          \
    {                                                                        \
        calls_##fx##_##m++;                                                  \
        return orig_##fx##_##m(a, b);                                        \
    }

#define WRAPPER(fx, args, rn, rf, ra)                                        \
    WRAPPER1(fx, n) WRAPPER1(fx, f) WRAPPER1(fx, a)

FIXTURES(WRAPPER)

#define ENTRY1(fx, m, M, args, r)                                            \
    { #fx "_" #m, M, fx##_##m, fx##_##m##_end, wrap_##fx##_##m,              \
      &orig_##fx##_##m, &calls_##fx##_##m, args, r },

#define ENTRY(fx, args, rn, rf, ra)                                          \
    ENTRY1(fx, n, MODE_N, args, rn)                                          \
    ENTRY1(fx, f, MODE_F, args, rf)                                          \
    ENTRY1(fx, a, MODE_A, args, ra)

static fixture_t  fixtures[] = { FIXTURES(ENTRY) };

long pp_a64_helper(long a, long b);


static uint32_t
word(const void *p, size_t i)
{
    uint32_t  w;

    memcpy(&w, (const uint8_t *) p + 4 * i, 4);

    return w;
}


/* the entry as it must be once patched */
static int
entry_patched(const fixture_t *f, uint32_t first)
{
    size_t  i;

    i = 0;

    if (first == PP_A64_BTI_C) {
        if (word(f->fx, 0) != PP_A64_BTI_C) {
            return 0;
        }
        i = 1;

    } else if (first == 0xd503233f) {
        /* paciasp: bti c in its place */
        if (word(f->fx, 0) != PP_A64_BTI_C) {
            return 0;
        }
        i = 1;
    }

    if (f->mode == MODE_N) {
        return (word(f->fx, i) & 0xfc000000) == 0x14000000;
    }

    return word(f->fx, i) == PP_A64_LDR_X16_8
           && word(f->fx, i + 1) == PP_A64_BR_X16
           && (word(f->fx, i + 2) | (uint64_t) word(f->fx, i + 3) << 32)
              == (uint64_t) (uintptr_t) f->wrap;
}


static void
check(const fixture_t *f)
{
    int             rc;
    char            err[200], dry[200];
    size_t          size;
    int64_t         dist;
    uint8_t         before[24];
    uintptr_t       addr;
    pp_hook_t       h;
    pp_fx_run_t     r;

    memset(&r, 0, sizeof(r));
    r.name = f->name;
    r.fx = f->fx;
    r.orig = f->orig;
    r.calls = f->calls;
    r.args = f->args;
    r.refusal = f->refusal;
    r.recurse = strncmp(f->name, "pp_a64_recurse", 14) == 0;
    r.n = PP_FX_INPUTS / 2;
    pp_fx_before(&r);

    addr = (uintptr_t) f->fx;
    size = (size_t) ((uintptr_t) f->end - addr);
    memcpy(before, (void *) addr, sizeof(before));

    memset(&h, 0, sizeof(h));
    h.name = f->name;
    h.addr = addr;
    h.size = size;
    h.wrapper = (void *) f->wrap;
    h.orig = (void **) f->orig;

    err[0] = '\0';
    rc = pp_a64_hook(&h, mode_flags[f->mode], err, sizeof(err));

    /* the dry run is of the near form */
    dry[0] = '\0';
    if (pp_patch_check((const uint8_t *) addr, addr, size, dry, sizeof(dry))
        == 0)
    {
        strcpy(dry, "accepted");
    }

    if (f->refusal != NULL) {
        pp_fx_refused(&r, rc, err,
                      memcmp(before, (void *) addr, sizeof(before)) == 0,
                      f->mode == MODE_N ? dry : NULL);
        return;
    }

    if (f->mode == MODE_N) {
        ok(strcmp(dry, "accepted") == 0, "%s: the dry run accepts (%s)",
           f->name, dry);
    }

    ok(rc == 0, "%s: hooked%s%s", f->name, rc ? ": " : "", rc ? err : "");
    if (rc != 0 || *f->orig == NULL) {
        return;
    }

    ok(entry_patched(f, word(before, 0)), "%s: the entry is patched as %s",
       f->name, f->mode == MODE_N ? "b relay" : "ldr x16; br x16; .quad");

    ok(word(*f->orig, 0) == PP_A64_BTI_C && word(*f->orig, 1) != PP_A64_BTI_C,
       "%s: the trampoline starts with one bti c", f->name);

    dist = (int64_t) ((uintptr_t) *f->orig - addr);
    if (f->mode == MODE_A) {
        ok(dist > ((int64_t) 4 << 30) || dist < -((int64_t) 4 << 30),
           "%s: the trampoline is more than 4 GiB away (%+lld)", f->name,
           (long long) dist);
    } else {
        ok(dist < ((int64_t) 128 << 20) && dist > -((int64_t) 128 << 20),
           "%s: the trampoline is within 128 MiB (%+lld)", f->name,
           (long long) dist);
    }

    pp_fx_hooked(&r);
}


/*
 * One word relocated from addr to a trampoline at dst, in words words
 * (bti c, the word, b back; more when expanded).  A word re-based must
 * decode again as the same kind of instruction, of the same register,
 * reaching the same target; one expanded must load that target into its
 * register as a literal.
 */
static void
check_rebase(const char *what, uint32_t w, uintptr_t dst, size_t words,
    int rebased)
{
    char           err[200];
    size_t         i, n;
    uint32_t       out[PP_A64_TRAMP_SIZE / 4];
    uintptr_t      addr, target, got;
    pp_a64_insn_t  orig, reloc;
    pp_a64_plan_t  p;

    addr = 0x40000000;
    memset(&p, 0, sizeof(p));
    p.n = 1;
    p.word[0] = w;

    pp_a64_decode(w, &orig);
    target = addr + (uintptr_t) orig.disp;
    if (orig.kind == PP_A64_ADRP) {
        target = (addr & ~(uintptr_t) 0xfff) + (uintptr_t) orig.disp;
    }

    err[0] = '\0';
    if (pp_a64_relocate(&p, addr, out, dst, &n, err, sizeof(err)) != 0) {
        ok(0, "relocate %s to %+lld: %s", what,
           (long long) (dst - addr), err);
        return;
    }

    got = 0;

    if (rebased) {
        pp_a64_decode(out[1], &reloc);
        got = dst + 4 + (uintptr_t) reloc.disp;
        if (reloc.kind == PP_A64_ADRP) {
            got = ((dst + 4) & ~(uintptr_t) 0xfff) + (uintptr_t) reloc.disp;
        }

        /* the register, or b.cond's condition; b and bl have neither */
        if (reloc.kind != orig.kind
            || (((out[1] ^ w) & 0x1f) != 0
                && orig.kind != PP_A64_B && orig.kind != PP_A64_BL))
        {
            got = 0;
        }

    } else {
        for (i = 1; i + 3 < n / 4; i++) {
            if (out[i] == (0x58000040 | (w & 0x1f))) {
                got = out[i + 2] | (uint64_t) out[i + 3] << 32;
                break;
            }
        }
    }

    ok(n == 4 * words && got == target,
       "relocate %s to %+lld: %s in %zu words, the target %s", what,
       (long long) (dst - addr), rebased ? "re-based" : "expanded", n / 4,
       got == target ? "kept" : "lost");
}


static void
check_relocate(void)
{
    size_t     i;
    uintptr_t  near, far;

    static const struct {
        const char         *what;
        uint32_t            w;
        int                 far;
        size_t              words;
        int                 rebased;
    } cases[] = {
        { "b.ne +0x40",          0x54000201, 0, 3, 1 },
        { "cbz x3, -0x20",       0xb4ffff03, 0, 3, 1 },
        { "tbnz w4, #2, +0x100", 0x37100804, 0, 3, 1 },
        { "adr x5, +0x1234",     0x100091a5, 0, 3, 1 },
        { "adrp x6, +0x5000",    0xb0000026, 0, 3, 1 },
        { "ldr x7, +0x80",       0x58000407, 0, 3, 1 },
        { "ldrsw x8, -0x80",     0x98fffc08, 0, 3, 1 },
        { "b +0x400",            0x14000100, 0, 3, 1 },
        { "bl +0x400",           0x94000100, 0, 3, 1 },
        { "adrp x6, +0x5000",    0xb0000026, 1, 3, 1 },
        { "b +0x400",            0x14000100, 1, 3, 1 },
        /* bti c, nop (the literal aligned), ldr xd, #8; b #12; .quad, b */
        { "adr x5, +0x1234",     0x100091a5, 1, 7, 0 },
        /* ... and ldr x7, [x7] */
        { "ldr x7, +0x80",       0x58000407, 1, 8, 0 },
    };

    near = 0x40000000 + 0x4000;         /* within every field's reach */
    far = 0x40000000 + (64 << 20);      /* within b's and adrp's only */

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        check_rebase(cases[i].what, cases[i].w, cases[i].far ? far : near,
                     cases[i].words, cases[i].rebased);
    }
}



long pp_a64_plain_h(long a, long b);
extern const char  pp_a64_plain_h_end[];

static pp_fx_pt  plain_h_orig;
static long      plain_h_calls;

static long
plain_h_wrap(long a, long b)
{
    plain_h_calls++;
    return plain_h_orig(a, b);
}


static void
check_misc(void)
{
    int        i;
    char       err[200], buf[64];
    uint8_t    before[16];
    pp_fx_pt   orig;
    pp_hook_t  h;
    uintptr_t  addr;
    size_t     size;

    addr = (uintptr_t) pp_a64_tail_n;
    size = (size_t) ((uintptr_t) pp_a64_tail_n_end - addr);

    ok(pp_patch_calls((uintptr_t) pp_a64_bl_n,
                      (uintptr_t) pp_a64_bl_n_end - (uintptr_t) pp_a64_bl_n,
                      (uintptr_t) pp_a64_helper) == 1,
       "pp_patch_calls: a bl of the target");
    ok(pp_patch_calls(addr, size, (uintptr_t) pp_a64_helper) == 1,
       "pp_patch_calls: a tail b to the target");
    ok(pp_patch_calls(addr, size, (uintptr_t) pp_a64_plain_n) == 0,
       "pp_patch_calls: a branch to another function");
    ok(pp_patch_calls((uintptr_t) pp_a64_plain_n, 20,
                      (uintptr_t) pp_a64_helper) == 0,
       "pp_patch_calls: no branch at all");
    ok(pp_patch_calls((uintptr_t) pp_a64_bl_n, 4,
                      (uintptr_t) pp_a64_helper) == 0,
       "pp_patch_calls: a bl past the given size is not seen");

    pp_patch_hexdump((uintptr_t) pp_a64_tiny_n, 4, buf, sizeof(buf));
    ok(strcmp(buf, "c0 03 5f d6") == 0, "pp_patch_hexdump: \"%s\"", buf);

    /* size 0 (unknown) is refused, whatever the code */
    memcpy(before, (void *) pp_a64_plain_a, sizeof(before));
    orig = NULL;
    memset(&h, 0, sizeof(h));
    h.name = "pp_a64_plain_a";
    h.addr = (uintptr_t) pp_a64_plain_a;
    h.size = 0;
    h.wrapper = (void *) wrap_pp_a64_plain_a;
    h.orig = (void **) &orig;

    ok(pp_a64_hook(&h, 0, err, sizeof(err)) == -1
       && strcmp(err, "function size unknown") == 0 && orig == NULL
       && memcmp(before, (void *) pp_a64_plain_a, sizeof(before)) == 0,
       "pp_a64_hook: size 0 refused (%s)", err);

    /*
     * qemu-user has a thread of its own, which pp_proc_single_thread()
     * does not count; then pp_patch_hook() hooks as pp_a64_hook() does
     */
    ok(pp_proc_single_thread() == 1, "pp_proc_single_thread: one thread%s",
       pp_proc_emulated() ? " (and qemu-user's)" : "");

    /* a second thread of the program's own is one too many */
    if (pp_fx_thread_start() == 0) {
        ok(pp_proc_single_thread() == 0,
           "pp_proc_single_thread: two threads%s",
           pp_proc_emulated() ? " (and qemu-user's)" : "");
        pp_fx_thread_stop();

    } else {
        ok(0, "pp_proc_single_thread: start a second thread");
    }

    /* the kernel may list the thread for a moment after the join */
    for (i = 0; i < 100 && !pp_proc_single_thread(); i++) {
        usleep(10000);
    }

    h.name = "pp_a64_plain_h";
    h.addr = (uintptr_t) pp_a64_plain_h;
    h.size = (size_t) ((uintptr_t) pp_a64_plain_h_end - h.addr);
    h.wrapper = (void *) plain_h_wrap;
    h.orig = (void **) &plain_h_orig;
    err[0] = '\0';

    /* ((3 + 4) << 1) + 7 ^ 4 */
    ok(pp_patch_hook(&h, err, sizeof(err)) == 0 && plain_h_orig != NULL
       && pp_a64_plain_h(3, 4) == 17 && plain_h_calls == 1
       && plain_h_orig(3, 4) == 17 && plain_h_calls == 1,
       "pp_patch_hook: hooked, and calls go through the wrapper (%s)", err);
}


int
main(void)
{
    size_t  i;

    setvbuf(stdout, NULL, _IONBF, 0);

    check_misc();
    check_relocate();

    for (i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
        printf("# %s, patched the way %s\n", fixtures[i].name,
               mode_name[fixtures[i].mode]);
        check(&fixtures[i]);
    }

    return pp_tap_done();
}
