/*
 * Decoding, for the plan of a patch: the instructions that the 5-byte
 * jmp displaces, each one that the trampoline can run from elsewhere,
 * and a sweep of the whole function for branches into them.  Also which
 * functions a function calls, for the choice of a wrapper.
 */

#include <stdio.h>
#include <string.h>

#include "pp_patch.h"
#include "pp_plan.h"


#define pp_is_branch(insn)                                                   \
    ((insn)->meta.category == ZYDIS_CATEGORY_COND_BR                         \
     || (insn)->meta.category == ZYDIS_CATEGORY_UNCOND_BR                    \
     || (insn)->meta.category == ZYDIS_CATEGORY_CALL)


static int pp_sweep(const ZydisDecoder *dec, const uint8_t *code,
    uintptr_t addr, size_t size, const pp_plan_t *p, char *err, size_t len);


/* decodes the patch point's instructions and checks the whole function */
int
pp_plan(const uint8_t *code, uintptr_t addr, size_t size, pp_plan_t *p,
    char *err, size_t len)
{
    int                      bad;
    uint32_t                 off;
    uintptr_t                target;
    ZyanStatus               st;
    ZydisDecoder             dec;
    ZydisDecodedInstruction  insn;
    ZydisDecodedOperand      ops[ZYDIS_MAX_OPERAND_COUNT];

    memset(p, 0, sizeof(pp_plan_t));

    if (size == 0) {
        snprintf(err, len, "function size unknown");
        return -1;
    }

    if (size >= 4 && memcmp(code, PP_ENDBR64, 4) == 0) {
        p->endbr = 1;
        p->start = 4;
    }

    if (size < p->start + PP_JMP_LEN) {
        snprintf(err, len, "function too short (%zu bytes)", size);
        return -1;
    }

    ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);

    /* the displaced instructions: the decoder never reads past size */

    for (off = p->start; off < p->start + PP_JMP_LEN; off += insn.length) {

        st = ZydisDecoderDecodeFull(&dec, code + off, size - off, &insn, ops);

        if (st == ZYDIS_STATUS_NO_MORE_DATA) {
            snprintf(err, len, "function too short (%zu bytes)", size);
            return -1;
        }

        if (!ZYAN_SUCCESS(st)) {
            snprintf(err, len, "undecodable instruction at +0x%x", off);
            return -1;
        }

        switch (insn.mnemonic) {
        case ZYDIS_MNEMONIC_RET:
        case ZYDIS_MNEMONIC_IRET:
        case ZYDIS_MNEMONIC_IRETD:
        case ZYDIS_MNEMONIC_IRETQ:
        case ZYDIS_MNEMONIC_INT:
        case ZYDIS_MNEMONIC_INT1:
        case ZYDIS_MNEMONIC_INT3:
        case ZYDIS_MNEMONIC_INTO:
        case ZYDIS_MNEMONIC_SYSCALL:
        case ZYDIS_MNEMONIC_SYSENTER:
        case ZYDIS_MNEMONIC_UD0:
        case ZYDIS_MNEMONIC_UD1:
        case ZYDIS_MNEMONIC_UD2:
        case ZYDIS_MNEMONIC_HLT:
        case ZYDIS_MNEMONIC_JCXZ:
        case ZYDIS_MNEMONIC_JECXZ:
        case ZYDIS_MNEMONIC_JRCXZ:
        case ZYDIS_MNEMONIC_LOOP:
        case ZYDIS_MNEMONIC_LOOPE:
        case ZYDIS_MNEMONIC_LOOPNE:
        case ZYDIS_MNEMONIC_XBEGIN:
            snprintf(err, len, "cannot relocate %s at +0x%x",
                     ZydisMnemonicGetString(insn.mnemonic), off);
            return -1;
        default:
            break;
        }

        /*
         * what is relative must be a branch with an immediate or use a
         * RIP-relative memory operand: pp_relocate() handles only those
         */
        if (pp_branch_target(&insn, ops, addr + off, &target) == 0) {
            bad = !pp_is_branch(&insn);

        } else {
            bad = (insn.attributes & ZYDIS_ATTRIB_IS_RELATIVE)
                  && !pp_is_rip_relative(&insn, ops);
        }

        if (bad) {
            snprintf(err, len, "cannot relocate %s at +0x%x",
                     ZydisMnemonicGetString(insn.mnemonic), off);
            return -1;
        }

        p->insn[p->n] = insn;
        memcpy(p->ops[p->n], ops, sizeof(ops));
        p->at[p->n] = off;
        p->n++;
    }

    p->len = off - p->start;

    return pp_sweep(&dec, code, addr, size, p, err, len);
}


/*
 * A linear sweep of the whole function: no direct branch may land in the
 * bytes that the patch changes, nor on an endbr64 before them (that would
 * be a loop through the hook), but a call of the entry is a real call.
 */
static int
pp_sweep(const ZydisDecoder *dec, const uint8_t *code, uintptr_t addr,
    size_t size, const pp_plan_t *p, char *err, size_t len)
{
    uint32_t                 off;
    uintptr_t                target, hi;
    ZydisDecodedInstruction  insn;
    ZydisDecodedOperand      ops[ZYDIS_MAX_OPERAND_COUNT];

    hi = addr + p->start + p->len;

    for (off = 0; off < size; off += insn.length) {

        if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(dec, code + off, size - off,
                                                 &insn, ops)))
        {
            snprintf(err, len, "undecodable instruction at +0x%x", off);
            return -1;
        }

        if (!pp_is_branch(&insn)
            || pp_branch_target(&insn, ops, addr + off, &target) != 0)
        {
            continue;
        }

        if (pp_patch_lands(target, addr, hi,
                           insn.meta.category == ZYDIS_CATEGORY_CALL, off,
                           err, len) != 0)
        {
            return -1;
        }
    }

    return 0;
}


int
pp_branch_target(const ZydisDecodedInstruction *insn,
    const ZydisDecodedOperand *ops, uintptr_t ip, uintptr_t *target)
{
    uint32_t  i;
    ZyanU64   abs;

    for (i = 0; i < insn->operand_count; i++) {
        if (ops[i].type == ZYDIS_OPERAND_TYPE_IMMEDIATE
            && ops[i].imm.is_relative)
        {
            if (!ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(insn, &ops[i], ip,
                                                       &abs)))
            {
                return -1;
            }

            *target = (uintptr_t) abs;
            return 0;
        }
    }

    return -1;
}


int
pp_is_rip_relative(const ZydisDecodedInstruction *insn,
    const ZydisDecodedOperand *ops)
{
    uint32_t  i;

    for (i = 0; i < insn->operand_count; i++) {
        if (ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY
            && ops[i].mem.base == ZYDIS_REGISTER_RIP)
        {
            return 1;
        }
    }

    return 0;
}


int
pp_patch_calls(uintptr_t addr, size_t size, uintptr_t target)
{
    uint32_t                 off;
    uintptr_t                to;
    ZydisDecoder             dec;
    ZydisDecodedInstruction  insn;
    ZydisDecodedOperand      ops[ZYDIS_MAX_OPERAND_COUNT];

    ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);

    for (off = 0; off < size; off += insn.length) {

        if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, (uint8_t *) addr + off,
                                                 size - off, &insn, ops)))
        {
            return 0;
        }

        if ((insn.mnemonic == ZYDIS_MNEMONIC_CALL
             || insn.mnemonic == ZYDIS_MNEMONIC_JMP)
            && pp_branch_target(&insn, ops, addr + off, &to) == 0
            && to == target)
        {
            return 1;
        }
    }

    return 0;
}
