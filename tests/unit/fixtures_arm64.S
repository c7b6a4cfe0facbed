/*
 * Fixture functions for test_patch_arm64: each has a first instruction
 * (or, for the 16-byte entry, first four) that the aarch64 patcher must
 * relocate or refuse.  All take (long a, long b) in x0/x1 and return a
 * long in x0.  Each is assembled three times, suffixed _n, _f and _a,
 * for the three ways of patching (test_patch_arm64.c), and ends with a
 * global NAME_end label that gives its size.
 */

        .macro  FX name, m
        .text
        .p2align 4
        .globl  \name\()_\m
        .type   \name\()_\m, %function
\name\()_\m:
        .endm

        .macro  END name, m
        .globl  \name\()_\m\()_end
\name\()_\m\()_end:
        .size   \name\()_\m, .-\name\()_\m
        .endm

        .macro  ALL fx
        \fx     n
        \fx     f
        \fx     a
        .endm


/* nothing to relocate */
        .macro  fx_plain m
        FX      pp_a64_plain, \m
        add     x0, x0, x1
        lsl     x0, x0, #1
        add     x0, x0, #7
        eor     x0, x0, x1
        ret
        END     pp_a64_plain, \m
        .endm
        ALL     fx_plain
        fx_plain h      /* for pp_patch_hook() itself */

/* bti c first: kept, the patch after it */
        .macro  fx_bti m
        FX      pp_a64_bti, \m
        bti     c
        add     x0, x0, x1
        add     x0, x0, #3
        mul     x0, x0, x1
        sub     x0, x0, #1
        ret
        END     pp_a64_bti, \m
        .endm
        ALL     fx_bti

/* paciasp first: displaced, bti c in its place; autiasp checks SP and LR */
        .macro  fx_pac m
        FX      pp_a64_pac, \m
        paciasp
        stp     x29, x30, [sp, #-16]!
        mov     x29, sp
        add     x0, x0, x1
        mul     x0, x0, x1
        ldp     x29, x30, [sp], #16
        autiasp
        ret
        END     pp_a64_pac, \m
        .endm
        ALL     fx_pac

/* adrp + add :lo12: of a table in .data */
        .macro  fx_adrp m
        FX      pp_a64_adrp, \m
        adrp    x2, pp_a64_data
        add     x2, x2, :lo12:pp_a64_data
        and     x3, x0, #15
        ldr     x3, [x2, x3, lsl #3]
        add     x0, x3, x1
        ret
        END     pp_a64_adrp, \m
        .endm
        ALL     fx_adrp

/* adr of a table in .text */
        .macro  fx_adr m
        FX      pp_a64_adr, \m
        adr     x2, pp_a64_text
        and     x3, x0, #7
        ldr     x3, [x2, x3, lsl #3]
        add     x0, x3, x1
        eor     x0, x0, #4
        ret
        END     pp_a64_adr, \m
        .endm
        ALL     fx_adr

/* ldr x, ldr w (zero-extends), ldrsw (sign-extends) of literals */
        .macro  fx_ldr_x m
        FX      pp_a64_ldr_x, \m
        ldr     x2, pp_a64_lit64
        add     x0, x0, x2
        mul     x0, x0, x1
        add     x0, x0, #1
        ret
        END     pp_a64_ldr_x, \m
        .endm
        ALL     fx_ldr_x

        .macro  fx_ldr_w m
        FX      pp_a64_ldr_w, \m
        ldr     w2, pp_a64_lit32
        add     x0, x0, x2
        mul     x0, x0, x1
        add     x0, x0, #2
        ret
        END     pp_a64_ldr_w, \m
        .endm
        ALL     fx_ldr_w

        .macro  fx_ldrsw m
        FX      pp_a64_ldrsw, \m
        ldrsw   x2, pp_a64_lit32
        add     x0, x0, x2
        mul     x0, x0, x1
        add     x0, x0, #3
        ret
        END     pp_a64_ldrsw, \m
        .endm
        ALL     fx_ldrsw

/* a prefetch of a literal: a hint, dropped when out of range */
        .macro  fx_prfm m
        FX      pp_a64_prfm, \m
        prfm    pldl1keep, pp_a64_lit64
        add     x0, x0, x1
        mul     x0, x0, x0
        add     x0, x0, #4
        ret
        END     pp_a64_prfm, \m
        .endm
        ALL     fx_prfm

/* cbz, cbnz w, tbz, tbnz (bit 63: b5) out of the patch */
        .macro  fx_cbz m
        FX      pp_a64_cbz, \m
        cbz     x0, 1f
        add     x0, x0, x1
        lsl     x0, x0, #1
        add     x0, x0, #1
        ret
1:      add     x0, x1, #100
        ret
        END     pp_a64_cbz, \m
        .endm
        ALL     fx_cbz

        .macro  fx_cbnz m
        FX      pp_a64_cbnz, \m
        cbnz    w0, 1f
        add     x0, x1, #200
        lsl     x0, x0, #2
        sub     x0, x0, #1
        ret
1:      sub     x0, x0, x1
        ret
        END     pp_a64_cbnz, \m
        .endm
        ALL     fx_cbnz

        .macro  fx_tbz m
        FX      pp_a64_tbz, \m
        tbz     x0, #3, 1f
        add     x0, x0, x1
        lsl     x0, x0, #3
        add     x0, x0, #5
        ret
1:      sub     x0, x1, x0
        ret
        END     pp_a64_tbz, \m
        .endm
        ALL     fx_tbz

        .macro  fx_tbnz m
        FX      pp_a64_tbnz, \m
        tbnz    x0, #63, 1f
        add     x0, x0, x1
        lsl     x0, x0, #1
        add     x0, x0, #9
        ret
1:      neg     x0, x0
        add     x0, x0, x1
        ret
        END     pp_a64_tbnz, \m
        .endm
        ALL     fx_tbnz

/* b.ge out of the patch (displaced by the 16-byte entry only) */
        .macro  fx_bcond m
        FX      pp_a64_bcond, \m
        cmp     x0, x1
        b.ge    1f
        sub     x0, x1, x0
        lsl     x0, x0, #1
        add     x0, x0, #3
        ret
1:      sub     x0, x0, x1
        ret
        END     pp_a64_bcond, \m
        .endm
        ALL     fx_bcond

/* a tail branch to another function first */
        .macro  fx_tail m
        FX      pp_a64_tail, \m
        b       pp_a64_helper
        nop
        nop
        nop
        ret
        END     pp_a64_tail, \m
        .endm
        ALL     fx_tail

/* bl (displaced by the 16-byte entry only), LR kept in x9 */
        .macro  fx_bl m
        FX      pp_a64_bl, \m
        mov     x9, x30
        bl      pp_a64_helper
        mov     x30, x9
        add     x0, x0, #1
        ret
        END     pp_a64_bl, \m
        .endm
        ALL     fx_bl

/* calls itself: a bl of the entry is a real call, through the hook */
        .macro  fx_recurse m
        FX      pp_a64_recurse, \m
        cmp     x0, #0
        b.le    1f
        stp     x29, x30, [sp, #-16]!
        sub     x0, x0, #1
        bl      pp_a64_recurse_\m
        add     x0, x0, x1
        ldp     x29, x30, [sp], #16
        ret
1:      mov     x0, #0
        ret
        END     pp_a64_recurse, \m
        .endm
        ALL     fx_recurse

/* a loop back to the second word: only the 16-byte entry displaces it */
        .macro  fx_loop_in m
        FX      pp_a64_loop_in, \m
        mov     x2, #0
1:      add     x2, x2, x1
        subs    x0, x0, #1
        b.gt    1b
        mov     x0, x2
        ret
        END     pp_a64_loop_in, \m
        .endm
        ALL     fx_loop_in

/* a loop back to the entry */
        .macro  fx_loop m
        FX      pp_a64_loop, \m
1:      subs    x0, x0, #1
        b.gt    1b
        add     x0, x0, x1
        nop
        ret
        END     pp_a64_loop, \m
        .endm
        ALL     fx_loop

/* a loop back to the entry's bti */
        .macro  fx_bti_loop m
        FX      pp_a64_bti_loop, \m
        bti     c
        subs    x0, x0, #1
        b.gt    pp_a64_bti_loop_\m
        add     x0, x0, x1
        nop
        nop
        ret
        END     pp_a64_bti_loop, \m
        .endm
        ALL     fx_bti_loop

/* x16 set in the patch, read after a cbz that leaves it */
        .macro  fx_x16 m
        FX      pp_a64_x16, \m
        mov     x16, x1
        cbz     x0, 1f
        add     x0, x0, x16
        lsl     x0, x0, #1
        ret
1:      add     x0, x16, #11
        ret
        END     pp_a64_x16, \m
        .endm
        ALL     fx_x16

/* too short for the 16-byte entry */
        .macro  fx_short m
        FX      pp_a64_short, \m
        add     x0, x0, x1
        ret
        END     pp_a64_short, \m
        .endm
        ALL     fx_short

        .macro  fx_tiny m
        FX      pp_a64_tiny, \m
        ret
        END     pp_a64_tiny, \m
        .endm
        ALL     fx_tiny

/* a return inside the 16-byte entry's words */
        .macro  fx_ret_early m
        FX      pp_a64_ret_early, \m
        cbnz    x1, 1f
        ret
        nop
        nop
1:      add     x0, x0, x1
        ret
        END     pp_a64_ret_early, \m
        .endm
        ALL     fx_ret_early

/* a simd load of a literal first: refused */
        .macro  fx_simd m
        FX      pp_a64_simd, \m
        ldr     d0, pp_a64_lit64
        add     x0, x0, x1
        nop
        nop
        ret
        END     pp_a64_simd, \m
        .endm
        ALL     fx_simd

/*
 * Words that never run here, skipped by a branch: the 16-byte entry
 * displaces them and must refuse
 */
        .macro  SKIPPED name, m, word
        FX      \name, \m
        b       1f
        \word
        nop
        nop
1:      add     x0, x0, x1
        ret
        END     \name, \m
        .endm

        .macro  fx_svc m
        SKIPPED pp_a64_svc, \m, "svc #0"
        .endm
        ALL     fx_svc

        .macro  fx_brk m
        SKIPPED pp_a64_brk, \m, "brk #1"
        .endm
        ALL     fx_brk

        .macro  fx_udf m
        SKIPPED pp_a64_udf, \m, ".inst 0x00000000"
        .endm
        ALL     fx_udf

        .macro  fx_undef m
        SKIPPED pp_a64_undef, \m, ".inst 0x06000000"
        .endm
        ALL     fx_undef

        .macro  fx_eret m
        SKIPPED pp_a64_eret, \m, "eret"
        .endm
        ALL     fx_eret

        /* bc.eq (FEAT_HBC) */
        .macro  fx_bc m
        SKIPPED pp_a64_bc, \m, ".inst 0x54000030"
        .endm
        ALL     fx_bc

        .macro  fx_btij m
        SKIPPED pp_a64_btij, \m, "bti j"
        .endm
        ALL     fx_btij


/* what pp_a64_tail and pp_a64_bl call */
        .text
        .p2align 4
        .globl  pp_a64_helper
        .type   pp_a64_helper, %function
pp_a64_helper:
        add     x0, x0, x1, lsl #2
        ret
        .size   pp_a64_helper, .-pp_a64_helper

        .p2align 3
pp_a64_text:
        .quad   11, 22, 33, 44, 55, 66, 77, 88
pp_a64_lit64:
        .quad   0x123456789a
pp_a64_lit32:
        .word   0x89abcdef

        .data
        .p2align 3
        .globl  pp_a64_data
pp_a64_data:
        .quad   101, 102, 103, 104, 105, 106, 107, 108
        .quad   109, 110, 111, 112, 113, 114, 115, 116

        .section .note.GNU-stack, "", %progbits
