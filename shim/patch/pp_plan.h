/*
 * The patcher's parts, for its own files: the plan of one patch, made
 * by decoding the function (pp_decode.c); the trampoline written from
 * it (pp_reloc.c); the slots within +-2 GiB of the code that hold the
 * relay and the trampoline (pp_near.c).  pp_patch.c puts them together.
 */

#ifndef _PP_PLAN_H_INCLUDED_
#define _PP_PLAN_H_INCLUDED_

#include <stddef.h>
#include <stdint.h>

#include <Zydis/Zydis.h>

#include "pp_near.h"


#define PP_JMP_LEN      5
#define PP_MAX_INSNS    PP_JMP_LEN  /* each instruction is 1 byte or more */
#define PP_RELAY_SIZE   32          /* [endbr64] jmp *0(%rip); .quad */
#define PP_TRAMP_SIZE   96          /* 4 + 5 * 6 + 15 + 5 at most: pp_reloc.c */

#define PP_ENDBR64      "\xf3\x0f\x1e\xfa"


typedef struct {
    uint32_t                start;      /* the patch point, from the entry */
    uint32_t                len;        /* displaced bytes */
    uint32_t                endbr;
    uint32_t                n;
    ZydisDecodedInstruction insn[PP_MAX_INSNS];
    ZydisDecodedOperand     ops[PP_MAX_INSNS][ZYDIS_MAX_OPERAND_COUNT];
    uint32_t                at[PP_MAX_INSNS];   /* offset of each */
} pp_plan_t;


/* pp_decode.c: 0 with the plan made, or -1 and a one-line reason */
int pp_plan(const uint8_t *code, uintptr_t addr, size_t size, pp_plan_t *p,
    char *err, size_t len);

/* 0 and *target for a branch with an immediate, run at ip; else -1 */
int pp_branch_target(const ZydisDecodedInstruction *insn,
    const ZydisDecodedOperand *ops, uintptr_t ip, uintptr_t *target);

/* 1 if an operand is a RIP-relative memory operand */
int pp_is_rip_relative(const ZydisDecodedInstruction *insn,
    const ZydisDecodedOperand *ops);

/* pp_reloc.c: the rel32 at at, of an instruction that ends at next_ip */
int pp_put_rel32(uint8_t *at, uintptr_t next_ip, uintptr_t target);

/*
 * The trampoline for the plan of the code at addr, written at dst to run
 * at dst_addr; *out is its length
 */
int pp_relocate(const pp_plan_t *p, const uint8_t *code, uintptr_t addr,
    uint8_t *dst, uintptr_t dst_addr, size_t *out, char *err, size_t len);

_Static_assert(PP_RELAY_SIZE + PP_TRAMP_SIZE <= PP_SLOT_SIZE,
               "a relay and a trampoline fit in a slot");


#endif /* _PP_PLAN_H_INCLUDED_ */
