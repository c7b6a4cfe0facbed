/*
 * aarch64 decoding, for the plan of a patch: the words that the entry
 * branch displaces, each one that the trampoline can run from
 * elsewhere, and a sweep of the whole function for direct branches into
 * them.  Also which functions a function calls, for the choice of a
 * wrapper.  Why a table and not Capstone: pp_plan_arm64.h.
 */

#include <stdio.h>
#include <string.h>

#include "pp_patch.h"
#include "pp_plan_arm64.h"


typedef struct {
    uint32_t                mask;
    uint32_t                value;
    pp_a64_kind_e           kind;
    const char             *name;
} pp_a64_op_t;

/* the first match wins; a word that matches none is PP_A64_PLAIN */
static const pp_a64_op_t  pp_a64_ops[] = {
    { 0x9f000000, 0x10000000, PP_A64_ADR,     "adr" },
    { 0x9f000000, 0x90000000, PP_A64_ADRP,    "adrp" },
    { 0xff000000, 0x18000000, PP_A64_LDR_W,   "ldr" },
    { 0xff000000, 0x58000000, PP_A64_LDR_X,   "ldr" },
    { 0xff000000, 0x98000000, PP_A64_LDRSW,   "ldrsw" },
    { 0xff000000, 0xd8000000, PP_A64_PRFM,    "prfm" },
    { 0x3f000000, 0x1c000000, PP_A64_REFUSED, "ldr (simd literal)" },
    { 0xfc000000, 0x14000000, PP_A64_B,       "b" },
    { 0xfc000000, 0x94000000, PP_A64_BL,      "bl" },
    { 0xff000010, 0x54000000, PP_A64_BCOND,   "b.cond" },
    { 0xff000010, 0x54000010, PP_A64_REFUSED, "bc.cond" },
    { 0x7e000000, 0x34000000, PP_A64_CB,      "cbz" },
    { 0x7e000000, 0x36000000, PP_A64_TB,      "tbz" },
    { 0xffffffff, 0xd503233f, PP_A64_PAC,     "paciasp" },
    { 0xffffffff, 0xd503237f, PP_A64_PAC,     "pacibsp" },
    { 0xffffff3f, 0xd503241f, PP_A64_BTI,     "bti" },
    { 0xfffffc1f, 0xd65f0000, PP_A64_REFUSED, "ret" },
    { 0xffffffff, 0xd65f0bff, PP_A64_REFUSED, "retaa" },
    { 0xffffffff, 0xd65f0fff, PP_A64_REFUSED, "retab" },
    { 0xfffffbff, 0xd69f0bff, PP_A64_REFUSED, "eretaa" },
    { 0xffffffff, 0xd69f03e0, PP_A64_REFUSED, "eret" },
    { 0xffffffff, 0xd6bf03e0, PP_A64_REFUSED, "drps" },
    { 0xffe0001f, 0xd4000001, PP_A64_REFUSED, "svc" },
    { 0xffe0001f, 0xd4000002, PP_A64_REFUSED, "hvc" },
    { 0xffe0001f, 0xd4000003, PP_A64_REFUSED, "smc" },
    { 0xffe0001f, 0xd4200000, PP_A64_REFUSED, "brk" },
    { 0xffe0001f, 0xd4400000, PP_A64_REFUSED, "hlt" },
    { 0xff000000, 0xd4000000, PP_A64_REFUSED, "exception" },
    { 0xffff0000, 0x00000000, PP_A64_REFUSED, "udf" },
    /* op0 (bits 28:25) 0000, 0001 and 0011: reserved, SME, unallocated */
    { 0x1e000000, 0x00000000, PP_A64_UNDEF,   NULL },
    { 0x1e000000, 0x02000000, PP_A64_UNDEF,   NULL },
    { 0x1e000000, 0x06000000, PP_A64_UNDEF,   NULL },
};


static int pp_a64_sweep(const uint8_t *code, uintptr_t addr, size_t size,
    const pp_a64_plan_t *p, char *err, size_t len);


/* the n-bit two's complement field v, sign-extended */
static int64_t
pp_a64_sx(uint64_t v, int n)
{
    return (int64_t) (v << (64 - n)) >> (64 - n);
}


void
pp_a64_decode(uint32_t w, pp_a64_insn_t *d)
{
    size_t  i;

    d->kind = PP_A64_PLAIN;
    d->name = NULL;
    d->disp = 0;

    for (i = 0; i < sizeof(pp_a64_ops) / sizeof(pp_a64_ops[0]); i++) {
        if ((w & pp_a64_ops[i].mask) == pp_a64_ops[i].value) {
            d->kind = pp_a64_ops[i].kind;
            d->name = pp_a64_ops[i].name;
            break;
        }
    }

    switch (d->kind) {

    case PP_A64_ADR:
    case PP_A64_ADRP:
        /* immhi:immlo; ADRP's counts 4 KiB pages from the word's page */
        d->disp = pp_a64_sx(((w >> 3) & 0x1ffffc) | ((w >> 29) & 3), 21);
        if (d->kind == PP_A64_ADRP) {
            d->disp *= 4096;
        }
        break;

    case PP_A64_LDR_W:
    case PP_A64_LDR_X:
    case PP_A64_LDRSW:
    case PP_A64_PRFM:
    case PP_A64_BCOND:
    case PP_A64_CB:
        d->disp = pp_a64_sx((w >> 5) & 0x7ffff, 19) * 4;
        break;

    case PP_A64_B:
    case PP_A64_BL:
        d->disp = pp_a64_sx(w & 0x3ffffff, 26) * 4;
        break;

    case PP_A64_TB:
        d->disp = pp_a64_sx((w >> 5) & 0x3fff, 14) * 4;
        break;

    default:
        /* bc.cond is refused, but the sweep wants its target */
        if ((w & 0xff000010) == 0x54000010) {
            d->disp = pp_a64_sx((w >> 5) & 0x7ffff, 19) * 4;
        }
        break;
    }

    if (d->kind == PP_A64_CB && (w & 0x01000000)) {
        d->name = "cbnz";
    }

    if (d->kind == PP_A64_TB && (w & 0x01000000)) {
        d->name = "tbnz";
    }
}


/* 1 for a direct branch: its target is the word's address + disp */
static int
pp_a64_is_branch(const pp_a64_insn_t *d, uint32_t w)
{
    return d->kind == PP_A64_B || d->kind == PP_A64_BL
           || d->kind == PP_A64_BCOND || d->kind == PP_A64_CB
           || d->kind == PP_A64_TB || (w & 0xff000010) == 0x54000010;
}


static uint32_t
pp_a64_word(const uint8_t *code, size_t off)
{
    uint32_t  w;

    memcpy(&w, code + off, 4);

    return w;
}


/*
 * A bti at the entry stays there, and the patch goes after it.  A
 * paciasp at the entry is the landing pad of a BTI-built function: it
 * is displaced (it signs LR with SP, wherever it runs) and bti c takes
 * its place, so that an indirect call still lands on a pad.
 */
int
pp_a64_plan(const uint8_t *code, uintptr_t addr, size_t size, int far,
    pp_a64_plan_t *p, char *err, size_t len)
{
    uint32_t       i, w, off;
    pp_a64_insn_t  d;

    memset(p, 0, sizeof(pp_a64_plan_t));

    if (size == 0) {
        snprintf(err, len, "function size unknown");
        return -1;
    }

    if ((addr & 3) != 0) {
        snprintf(err, len, "entry not aligned to 4 bytes");
        return -1;
    }

    if (size >= 4) {
        pp_a64_decode(pp_a64_word(code, 0), &d);

        if (d.kind == PP_A64_BTI) {
            p->bti = 1;
            p->start = 4;

        } else if (d.kind == PP_A64_PAC) {
            p->landing = 1;
        }
    }

    p->far = far ? 1 : 0;
    p->n = p->landing + (far ? 4 : 1);

    if (size < p->start + 4 * p->n) {
        snprintf(err, len, "function too short (%zu bytes)", size);
        return -1;
    }

    for (i = 0; i < p->n; i++) {
        off = p->start + 4 * i;
        w = pp_a64_word(code, off);
        pp_a64_decode(w, &d);

        if (d.kind == PP_A64_UNDEF) {
            snprintf(err, len, "undecodable instruction at +0x%x", off);
            return -1;
        }

        /* a bti past the entry is the target of an indirect branch */
        if (d.kind == PP_A64_REFUSED || d.kind == PP_A64_BTI) {
            snprintf(err, len, "cannot relocate %s at +0x%x", d.name, off);
            return -1;
        }

        p->word[i] = w;
    }

    return pp_a64_sweep(code, addr, size, p, err, len);
}


/*
 * A linear sweep of the whole function: no direct branch may land in the
 * words that the patch changes, nor on a bti before them (that would be
 * a loop through the hook), but a bl of the entry is a real call.  Data
 * in the function that looks like a branch only makes a refusal.
 */
static int
pp_a64_sweep(const uint8_t *code, uintptr_t addr, size_t size,
    const pp_a64_plan_t *p, char *err, size_t len)
{
    size_t         off;
    uint32_t       w;
    uintptr_t      target, hi;
    pp_a64_insn_t  d;

    hi = addr + p->start + 4 * p->n;

    for (off = 0; off + 4 <= size; off += 4) {
        w = pp_a64_word(code, off);
        pp_a64_decode(w, &d);

        if (!pp_a64_is_branch(&d, w)) {
            continue;
        }

        target = addr + off + (uintptr_t) d.disp;

        if (pp_patch_lands(target, addr, hi, d.kind == PP_A64_BL, off, err,
                           len) != 0)
        {
            return -1;
        }
    }

    return 0;
}


int
pp_patch_calls(uintptr_t addr, size_t size, uintptr_t target)
{
    size_t         off;
    uint32_t       w;
    pp_a64_insn_t  d;

    for (off = 0; off + 4 <= size; off += 4) {
        w = pp_a64_word((const uint8_t *) addr, off);
        pp_a64_decode(w, &d);

        if ((d.kind == PP_A64_B || d.kind == PP_A64_BL)
            && addr + off + (uintptr_t) d.disp == target)
        {
            return 1;
        }
    }

    return 0;
}
