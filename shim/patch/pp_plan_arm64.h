/*
 * The aarch64 patcher's parts, for its own files: the decoder's table
 * of the encodings that matter (pp_decode_arm64.c), the plan of one
 * patch, the trampoline written from it (pp_reloc_arm64.c), and the
 * hook that puts them together (pp_patch_arm64.c) with the slots of
 * pp_near.c.
 *
 * The decoder is a table of our own rather than Capstone: on aarch64
 * every instruction is one 32-bit word and the program counter is read
 * only by the few encodings listed here (ADR, ADRP, LDR literal, B, BL,
 * B.cond, CBZ/CBNZ, TBZ/TBNZ), so a mask/value table tells exactly what
 * must be relocated, and every other word runs the same anywhere.  The
 * relocated words have to be encoded by hand anyway; a table needs no
 * library inside nginx and no allocation in a constructor.
 */

#ifndef _PP_PLAN_ARM64_H_INCLUDED_
#define _PP_PLAN_ARM64_H_INCLUDED_

#include <stddef.h>
#include <stdint.h>

#include "pp_near.h"
#include "pp_patch.h"


#define PP_A64_MAX_WORDS    5       /* [bti c] ldr x16, #8; br x16; .quad */
#define PP_A64_RELAY_SIZE   16      /* ldr x16, #8; br x16; .quad wrapper */
#define PP_A64_TRAMP_SIZE   (PP_SLOT_SIZE - PP_A64_RELAY_SIZE)

#define PP_A64_NOP          0xd503201fu
#define PP_A64_BTI_C        0xd503245fu
#define PP_A64_LDR_X16_8    0x58000050u     /* ldr x16, #8 */
#define PP_A64_BR_X16       0xd61f0200u
#define PP_A64_BLR_X16      0xd63f0200u

/* pp_a64_hook() flags, for the tests: the forms taken when nothing is near */
#define PP_A64_FAR          0x1     /* the 16-byte entry, no relay */
#define PP_A64_ANYWHERE     0x2     /* the trampoline in a page anywhere */


typedef enum {
    PP_A64_PLAIN = 0,       /* runs the same anywhere */
    PP_A64_ADR,
    PP_A64_ADRP,
    PP_A64_LDR_W,           /* ldr wt, label */
    PP_A64_LDR_X,
    PP_A64_LDRSW,
    PP_A64_PRFM,            /* prfm, label: a hint */
    PP_A64_B,
    PP_A64_BL,
    PP_A64_BCOND,
    PP_A64_CB,              /* cbz, cbnz */
    PP_A64_TB,              /* tbz, tbnz */
    PP_A64_PAC,             /* paciasp, pacibsp: a landing pad */
    PP_A64_BTI,
    PP_A64_REFUSED,         /* never displaced */
    PP_A64_UNDEF            /* an unallocated encoding */
} pp_a64_kind_e;

typedef struct {
    pp_a64_kind_e           kind;
    const char             *name;
    int64_t                 disp;       /* from the word's own address */
} pp_a64_insn_t;

typedef struct {
    uint32_t                start;      /* the patch point, from the entry */
    uint32_t                n;          /* displaced words */
    uint32_t                bti;        /* the entry's bti, kept */
    uint32_t                landing;    /* bti c written for paciasp */
    uint32_t                far;        /* the 16-byte entry */
    uint32_t                word[PP_A64_MAX_WORDS];
} pp_a64_plan_t;


/* pp_decode_arm64.c: what the word is; d->disp set for what reads PC */
void pp_a64_decode(uint32_t w, pp_a64_insn_t *d);

/*
 * 0 with the plan of patching the function at addr (a copy of its code
 * at code) with the near form, or with the 16-byte form if far; else
 * -1 and a one-line reason
 */
int pp_a64_plan(const uint8_t *code, uintptr_t addr, size_t size, int far,
    pp_a64_plan_t *p, char *err, size_t len);

/*
 * pp_reloc_arm64.c: the trampoline for the plan of the code at addr,
 * written at dst to run at dst_addr; *out is its length in bytes
 */
int pp_a64_relocate(const pp_a64_plan_t *p, uintptr_t addr, uint32_t *dst,
    uintptr_t dst_addr, size_t *out, char *err, size_t len);

/* pp_patch_arm64.c: pp_patch_hook() without the thread check */
int pp_a64_hook(pp_hook_t *h, int flags, char *err, size_t len);


#endif /* _PP_PLAN_ARM64_H_INCLUDED_ */
