/*
 * test_patch: the entry patcher on assembly fixtures shaped like nginx's
 * prologues.  Hooked fixtures must return exactly what they returned
 * before, over many inputs, through the hook and through the
 * trampoline; refused ones must be left byte for byte as they were.
 * Also checks the symbol lookup against the test binary itself.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp_elf.h"
#include "pp_patch.h"


typedef long (*pp_fx_pt)(long a, long b);

long pp_fx_endbr(long a, long b);
long pp_fx_cmp_jae(long a, long b);
long pp_fx_riplea(long a, long b);
long pp_fx_rip_imm(long a, long b);
long pp_fx_push_mov_call(long a, long b);
long pp_fx_tailjmp(long a, long b);
long pp_fx_loop_back(long a, long b);
long pp_fx_tiny(long a, long b);
long pp_fx_jrcxz(long a, long b);
long pp_fx_ret_early(long a, long b);

extern int  pp_fx_counter;

#define NINPUTS  1000

static int       testno, failed;
static long      cells[NINPUTS][2];


static void
ok(int cond, const char *fmt, const char *name)
{
    testno++;
    printf("%sok %d - ", cond ? "" : "not ", testno);
    printf(fmt, name);
    printf("\n");
    failed += !cond;
}


/* one wrapper per fixture: counts calls, then runs the original */
#define WRAPPER(fx)                                                          \
    static pp_fx_pt  orig_##fx;                                              \
    static long      calls_##fx;                                             \
    static long                                                              \
    wrap_##fx(long a, long b)                                                \
    {                                                                        \
        calls_##fx++;                                                        \
        return orig_##fx(a, b);                                              \
    }

WRAPPER(pp_fx_endbr)
WRAPPER(pp_fx_cmp_jae)
WRAPPER(pp_fx_riplea)
WRAPPER(pp_fx_rip_imm)
WRAPPER(pp_fx_push_mov_call)
WRAPPER(pp_fx_tailjmp)
WRAPPER(pp_fx_loop_back)
WRAPPER(pp_fx_tiny)
WRAPPER(pp_fx_jrcxz)
WRAPPER(pp_fx_ret_early)


static long
arg_a(const char *name, int i)
{
    if (strcmp(name, "pp_fx_cmp_jae") == 0) {
        cells[i][1] = (long) (random() % 1000);
        return (long) &cells[i][0];
    }

    if (strcmp(name, "pp_fx_loop_back") == 0) {
        return 1 + random() % 20;
    }

    return (long) (random() % 100000) - 50000;
}


static void
check(const char *name, pp_fx_pt fx, pp_fx_pt wrap, pp_fx_pt *orig,
    long *calls, const char *refusal)
{
    int        i, same, same_orig;
    char       err[200], msg[300];
    long       a[NINPUTS], b[NINPUTS], want[NINPUTS];
    uint8_t    before[16];
    size_t     size;
    uintptr_t  addr;
    pp_elf_t   elf;
    pp_hook_t  h;

    srandom(42);

    for (i = 0; i < NINPUTS; i++) {
        a[i] = arg_a(name, i);
        b[i] = (long) (random() % 1000);
        pp_fx_counter = (i % 3 == 0) ? 5 : i;
        want[i] = fx(a[i], b[i]);
    }

    memcpy(before, (void *) fx, sizeof(before));

    if (pp_elf_open(&elf) != 0 || pp_elf_lookup(&elf, name, &addr, &size)) {
        ok(0, "%s: found in .dynsym", name);
        return;
    }
    pp_elf_close(&elf);

    h.name = name;
    h.addr = addr;
    h.size = size;
    h.wrapper = (void *) wrap;
    h.orig = (void **) orig;

    if (refusal != NULL) {
        int rc = pp_patch_hook(&h, err, sizeof(err));

        snprintf(msg, sizeof(msg), "%%s: refused (%s)", rc ? err : "hooked!");
        ok(rc == -1 && strstr(err, refusal) != NULL, msg, name);
        ok(memcmp(before, (void *) fx, sizeof(before)) == 0,
           "%s: bytes untouched", name);

        same = 1;
        for (i = 0; i < NINPUTS; i++) {
            pp_fx_counter = (i % 3 == 0) ? 5 : i;
            same &= (fx(a[i], b[i]) == want[i]);
        }
        ok(same, "%s: still works unhooked", name);
        return;
    }

    ok(pp_patch_hook(&h, err, sizeof(err)) == 0, "%s: hooked", name);
    if (*orig == NULL) {
        printf("# %s\n", err);
        return;
    }

    *calls = 0;
    same = same_orig = 1;

    for (i = 0; i < NINPUTS; i++) {
        pp_fx_counter = (i % 3 == 0) ? 5 : i;
        same &= (fx(a[i], b[i]) == want[i]);
        same_orig &= ((*orig)(a[i], b[i]) == want[i]);
    }

    ok(same, "%s: identical results through the hook", name);
    ok(same_orig, "%s: identical results through the trampoline", name);
    ok(*calls == NINPUTS, "%s: the wrapper saw every call", name);
}


#define CHECK(fx, refusal)                                                   \
    check(#fx, fx, wrap_##fx, &orig_##fx, &calls_##fx, refusal)

int
main(void)
{
    size_t     size;
    uintptr_t  addr;
    pp_elf_t   elf;

    printf("1..39\n");

    ok(pp_elf_open(&elf) == 0, "%s", "pp_elf_open on the test binary");
    ok(pp_elf_lookup(&elf, "pp_fx_riplea", &addr, &size) == 0
       && addr == (uintptr_t) pp_fx_riplea && size == 23,
       "%s", "pp_elf_lookup: address and size of pp_fx_riplea");
    ok(pp_elf_lookup(&elf, "pp_fx_no_such_function", &addr, &size) != 0,
       "%s", "pp_elf_lookup: a missing name is not found");
    pp_elf_close(&elf);

    CHECK(pp_fx_endbr, NULL);
    CHECK(pp_fx_cmp_jae, NULL);
    CHECK(pp_fx_riplea, NULL);
    CHECK(pp_fx_rip_imm, NULL);
    CHECK(pp_fx_push_mov_call, NULL);
    CHECK(pp_fx_tailjmp, NULL);
    CHECK(pp_fx_loop_back, "targets patched bytes");
    CHECK(pp_fx_tiny, "too short");
    CHECK(pp_fx_jrcxz, "cannot relocate jrcxz");
    CHECK(pp_fx_ret_early, "cannot relocate ret");

    return failed ? 1 : 0;
}
