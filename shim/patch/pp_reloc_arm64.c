/*
 * aarch64 relocation: the displaced words, rewritten into a trampoline
 * that runs them elsewhere.  What reads PC is re-based when its field
 * still reaches the target from the new place, else expanded:
 *   adr, adrp xd          ldr xd, =target
 *   ldr wt/xt, ldrsw      ldr xt, =target; ldr wt/xt, ldrsw [xt]
 *   prfm label            nop (a hint)
 *   b.cond, cbz, tbz      the inverse condition over a b (or ldr x16 and
 *                         br x16 when not even a b reaches)
 *   b, bl                 ldr x16, =target; br x16 or blr x16
 * x16 (IP0) is the scratch register: the procedure call standard lets
 * any veneer clobber it, and the words displaced must not have set it.
 */

#include <stdio.h>
#include <string.h>

#include "pp_plan_arm64.h"


typedef struct {
    uint32_t               *dst;
    uintptr_t               pc;         /* where dst[0] runs */
    size_t                  n;          /* words written */
    const pp_a64_plan_t    *plan;
    uint32_t                x16;        /* a displaced word named x16 */
    char                   *err;
    size_t                  len;
} pp_a64_out_t;


#define pp_a64_here(o)      ((o)->pc + 4 * (o)->n)

/* d (bytes, a multiple of 4 << shift) fits a signed field of bits bits */
#define pp_a64_fits(d, bits, shift)                                          \
    ((d) >= -((int64_t) 1 << ((bits) + (shift) - 1))                         \
     && (d) < ((int64_t) 1 << ((bits) + (shift) - 1)))


static void
pp_a64_put(pp_a64_out_t *o, uint32_t w)
{
    if (o->n < PP_A64_TRAMP_SIZE / 4) {
        o->dst[o->n] = w;
    }

    o->n++;
}


/* ldr xrt, #8; b #12; .quad value, the literal aligned to 8 bytes */
static void
pp_a64_lit(pp_a64_out_t *o, uint32_t rt, uint64_t value)
{
    if ((pp_a64_here(o) + 8) & 7) {
        pp_a64_put(o, PP_A64_NOP);
    }

    pp_a64_put(o, 0x58000040 | rt);
    pp_a64_put(o, 0x14000003);
    pp_a64_put(o, (uint32_t) value);
    pp_a64_put(o, (uint32_t) (value >> 32));
}


/* b or bl target; beyond +-128 MiB through x16 */
static int
pp_a64_jump(pp_a64_out_t *o, uintptr_t target, int link)
{
    int64_t  d;

    d = (int64_t) (target - pp_a64_here(o));

    if (pp_a64_fits(d, 26, 2)) {
        pp_a64_put(o, (link ? 0x94000000 : 0x14000000)
                      | ((uint32_t) (d >> 2) & 0x3ffffff));
        return 0;
    }

    if (o->x16) {
        snprintf(o->err, o->len, "x16 in use in the displaced words");
        return -1;
    }

    /* br x16 lands on a landing pad only, where BTI guards the code */
    if (!link && (o->plan->bti || o->plan->landing)) {
        snprintf(o->err, o->len, "no near branch back into BTI code");
        return -1;
    }

    pp_a64_lit(o, 16, target);
    pp_a64_put(o, link ? PP_A64_BLR_X16 : PP_A64_BR_X16);

    return 0;
}


/*
 * A conditional branch w (b.cond, cbz, tbz; its offset field of bits
 * bits at bit 5) to target: re-based, or the inverse condition over
 * the jump to target
 */
static int
pp_a64_cond(pp_a64_out_t *o, uint32_t w, int bits, uintptr_t target)
{
    size_t    at;
    int64_t   d;
    uint32_t  field;

    field = (((uint32_t) 1 << bits) - 1) << 5;
    d = (int64_t) (target - pp_a64_here(o));

    if (pp_a64_fits(d, bits, 2)) {
        pp_a64_put(o, (w & ~field) | (((uint32_t) (d >> 2) << 5) & field));
        return 0;
    }

    /* b.al and b.nv always branch */
    if ((w & 0xff000010) == 0x54000000 && (w & 0xe) == 0xe) {
        return pp_a64_jump(o, target, 0);
    }

    at = o->n;
    pp_a64_put(o, 0);

    if (pp_a64_jump(o, target, 0) != 0) {
        return -1;
    }

    /* b.cond inverts with bit 0 of cond, cbz and tbz with bit 24 */
    w ^= ((w & 0xff000010) == 0x54000000) ? 1 : 0x01000000;
    w = (w & ~field) | ((uint32_t) ((o->n - at) << 5) & field);

    if (at < PP_A64_TRAMP_SIZE / 4) {
        o->dst[at] = w;
    }

    return 0;
}


static int
pp_a64_reloc_word(pp_a64_out_t *o, uint32_t w, uintptr_t from,
    uint32_t off)
{
    int64_t        d;
    uint32_t       rt;
    uintptr_t      target;
    pp_a64_insn_t  insn;

    pp_a64_decode(w, &insn);
    target = from + (uintptr_t) insn.disp;
    d = (int64_t) (target - pp_a64_here(o));
    rt = w & 31;

    switch (insn.kind) {

    case PP_A64_PLAIN:
    case PP_A64_PAC:
        pp_a64_put(o, w);
        break;

    case PP_A64_ADRP:
        /* in pages, from the page of each word */
        target = (from & ~(uintptr_t) 0xfff) + (uintptr_t) insn.disp;
        d = (int64_t) (target - (pp_a64_here(o) & ~(uintptr_t) 0xfff)) >> 12;

        /* fall through */

    case PP_A64_ADR:
        if (pp_a64_fits(d, 21, 0)) {
            pp_a64_put(o, (w & 0x9f00001f) | (((uint32_t) d & 3) << 29)
                          | ((((uint32_t) d >> 2) & 0x7ffff) << 5));
        } else {
            pp_a64_lit(o, rt, target);
        }
        break;

    case PP_A64_LDR_W:
    case PP_A64_LDR_X:
    case PP_A64_LDRSW:
        if (pp_a64_fits(d, 19, 2)) {
            pp_a64_put(o, (w & 0xff00001f)
                          | (((uint32_t) (d >> 2) & 0x7ffff) << 5));
            break;
        }

        if (rt == 31) {
            snprintf(o->err, o->len, "cannot relocate %s at +0x%x",
                     insn.name, off);
            return -1;
        }

        /* the address into the destination register, then the load */
        pp_a64_lit(o, rt, target);
        pp_a64_put(o, (insn.kind == PP_A64_LDR_W ? 0xb9400000
                       : insn.kind == PP_A64_LDR_X ? 0xf9400000 : 0xb9800000)
                      | (rt << 5) | rt);
        break;

    case PP_A64_PRFM:
        if (pp_a64_fits(d, 19, 2)) {
            pp_a64_put(o, (w & 0xff00001f)
                          | (((uint32_t) (d >> 2) & 0x7ffff) << 5));
        } else {
            pp_a64_put(o, PP_A64_NOP);
        }
        break;

    case PP_A64_B:
    case PP_A64_BL:
        return pp_a64_jump(o, target, insn.kind == PP_A64_BL);

    case PP_A64_BCOND:
    case PP_A64_CB:
        return pp_a64_cond(o, w, 19, target);

    case PP_A64_TB:
        return pp_a64_cond(o, w, 14, target);

    default:
        /* pp_a64_plan() lets no other word through */
        snprintf(o->err, o->len, "cannot relocate %s at +0x%x",
                 insn.name ? insn.name : "?", off);
        return -1;
    }

    return 0;
}


/*
 * The trampoline starts with bti c: the wrappers call it through a
 * pointer, which a BTI-guarded page allows only onto a landing pad
 * (elsewhere it is a no-op); then the displaced words, then the way
 * back to the first word after them.
 */
int
pp_a64_relocate(const pp_a64_plan_t *p, uintptr_t addr, uint32_t *dst,
    uintptr_t dst_addr, size_t *out, char *err, size_t len)
{
    uint32_t      i, off;
    pp_a64_out_t  o;

    memset(&o, 0, sizeof(o));
    o.dst = dst;
    o.pc = dst_addr;
    o.plan = p;
    o.err = err;
    o.len = len;

    pp_a64_put(&o, PP_A64_BTI_C);

    for (i = 0; i < p->n; i++) {
        off = p->start + 4 * i;

        if (pp_a64_reloc_word(&o, p->word[i], addr + off, off) != 0) {
            return -1;
        }

        if ((p->word[i] & 31) == 16) {
            o.x16 = 1;
        }
    }

    if (pp_a64_jump(&o, addr + p->start + 4 * p->n, 0) != 0) {
        return -1;
    }

    if (o.n > PP_A64_TRAMP_SIZE / 4) {
        snprintf(err, len, "trampoline too long (%zu words)", o.n);
        return -1;
    }

    *out = 4 * o.n;

    return 0;
}
