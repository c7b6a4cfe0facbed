/*
 * Relocation: the displaced instructions, copied into a trampoline that
 * runs them elsewhere.  rel8 branches become rel32, rel32 branches and
 * calls and RIP-relative displacements are re-based, the rest is copied
 * as it is; nothing is re-encoded by a library.
 */

#include <stdio.h>
#include <string.h>

#include "pp_plan.h"


int
pp_put_rel32(uint8_t *at, uintptr_t next_ip, uintptr_t target)
{
    int64_t  d;
    int32_t  rel;

    d = (int64_t) (target - next_ip);

    if (d > INT32_MAX || d < INT32_MIN) {
        return -1;
    }

    rel = (int32_t) d;
    memcpy(at, &rel, 4);

    return 0;
}


/*
 * Writes the trampoline for the plan at dst, which will run at dst_addr.
 * It starts with endbr64 whether the entry did or not: the wrappers call
 * it through a pointer, an indirect branch that an IBT-enforcing process
 * allows only onto endbr64 (elsewhere it is a 4-byte no-op).
 * Size: endbr64 (4), then at most 5 instructions within 4 + 15 bytes,
 * each growing by 4 bytes at most (jcc rel8 -> rel32), then a jmp (5):
 * under PP_TRAMP_SIZE.
 */
int
pp_relocate(const pp_plan_t *p, const uint8_t *code, uintptr_t addr,
    uint8_t *dst, uintptr_t dst_addr, size_t *out, char *err, size_t len)
{
    size_t                          n;
    uint32_t                        i, at;
    int32_t                         disp;
    int64_t                         d;
    uintptr_t                       target;
    const uint8_t                  *c;
    const ZydisDecodedInstruction  *insn;

    /* the entry's own endbr64, if any, is not displaced: p->start is 4 */
    memcpy(dst, PP_ENDBR64, 4);
    n = 4;

    for (i = 0; i < p->n; i++) {
        insn = &p->insn[i];
        at = p->at[i];
        c = code + at;

        if (pp_branch_target(insn, p->ops[i], addr + at, &target) == 0) {

            /* no prefixes: the opcode is the first byte */

            if (c[0] == 0xe8 && insn->length == 5) {
                dst[n] = 0xe8;                          /* call rel32 */
                n += 5;

            } else if ((c[0] == 0xe9 && insn->length == 5)
                       || (c[0] == 0xeb && insn->length == 2))
            {
                dst[n] = 0xe9;                          /* jmp rel32 */
                n += 5;

            } else if (c[0] >= 0x70 && c[0] <= 0x7f && insn->length == 2) {
                dst[n] = 0x0f;                          /* jcc rel8 */
                dst[n + 1] = 0x80 | (c[0] & 0x0f);
                n += 6;

            } else if (c[0] == 0x0f && c[1] >= 0x80 && c[1] <= 0x8f
                       && insn->length == 6)
            {
                dst[n] = 0x0f;                          /* jcc rel32 */
                dst[n + 1] = c[1];
                n += 6;

            } else {
                snprintf(err, len, "cannot relocate %s at +0x%x",
                         ZydisMnemonicGetString(insn->mnemonic), at);
                return -1;
            }

            if (pp_put_rel32(dst + n - 4, dst_addr + n, target) != 0) {
                snprintf(err, len, "branch at +0x%x out of range", at);
                return -1;
            }

            continue;
        }

        memcpy(dst + n, c, insn->length);

        if (pp_is_rip_relative(insn, p->ops[i])) {

            /* the displacement is not always last: an immediate may follow */
            if (insn->raw.disp.size != 32
                || insn->raw.disp.offset + 4u > insn->length)
            {
                snprintf(err, len, "odd displacement at +0x%x", at);
                return -1;
            }

            /* the same absolute address from the new place */
            d = (int64_t) insn->raw.disp.value
                + (int64_t) (addr + at + insn->length)
                - (int64_t) (dst_addr + n + insn->length);

            if (d > INT32_MAX || d < INT32_MIN) {
                snprintf(err, len, "displacement at +0x%x out of range", at);
                return -1;
            }

            disp = (int32_t) d;
            memcpy(dst + n + insn->raw.disp.offset, &disp, 4);
        }

        n += insn->length;
    }

    /* back to the first byte after the displaced ones */
    dst[n] = 0xe9;
    if (pp_put_rel32(dst + n + 1, dst_addr + n + 5,
                     addr + p->start + p->len) != 0)
    {
        snprintf(err, len, "return jump out of range");
        return -1;
    }
    n += 5;

    *out = n;

    return 0;
}
