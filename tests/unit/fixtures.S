/*
 * Fixture functions for test_patch: each has the shape of a prologue the
 * patcher must handle (or refuse).  All take (long a, long b) in
 * %rdi/%rsi and return a long in %rax.
 */

        .text

/* endbr64, then ordinary instructions */
        .globl  pp_fx_endbr
        .type   pp_fx_endbr, @function
pp_fx_endbr:
        endbr64
        lea     (%rdi,%rsi), %rax
        add     $7, %rax
        imul    %rsi, %rax
        ret
        .size   pp_fx_endbr, .-pp_fx_endbr

/* ordinary instructions, hooked with a choose callback */
        .globl  pp_fx_choose
        .type   pp_fx_choose, @function
pp_fx_choose:
        lea     (%rdi,%rsi), %rax
        add     $11, %rax
        imul    %rsi, %rax
        ret
        .size   pp_fx_choose, .-pp_fx_choose

/* like Debian's ngx_palloc: cmp with memory, jae rel8 out of the patch */
        .globl  pp_fx_cmp_jae
        .type   pp_fx_cmp_jae, @function
pp_fx_cmp_jae:
        cmp     %rsi, 0x8(%rdi)
        jae     1f
        mov     %rsi, %rax
        shl     $1, %rax
        ret
1:      mov     0x8(%rdi), %rax
        sub     %rsi, %rax
        ret
        .size   pp_fx_cmp_jae, .-pp_fx_cmp_jae

/* like ngx_destroy_pool: push, then a RIP-relative lea */
        .globl  pp_fx_riplea
        .type   pp_fx_riplea, @function
pp_fx_riplea:
        push    %r12
        lea     pp_fx_data(%rip), %r12
        and     $15, %rdi
        mov     (%r12,%rdi,8), %rax
        add     %rsi, %rax
        pop     %r12
        ret
        .size   pp_fx_riplea, .-pp_fx_riplea

/* a RIP-relative memory operand followed by an immediate */
        .globl  pp_fx_rip_imm
        .type   pp_fx_rip_imm, @function
pp_fx_rip_imm:
        cmpl    $5, pp_fx_counter(%rip)
        jne     1f
        lea     100(%rdi), %rax
        ret
1:      lea     (%rdi,%rsi), %rax
        ret
        .size   pp_fx_rip_imm, .-pp_fx_rip_imm

/* like ngx_pcalloc: push, mov, call in the first bytes */
        .globl  pp_fx_push_mov_call
        .type   pp_fx_push_mov_call, @function
pp_fx_push_mov_call:
        push    %rbx
        mov     %rsi, %rbx
        call    pp_fx_helper
        add     %rbx, %rax
        pop     %rbx
        ret
        .size   pp_fx_push_mov_call, .-pp_fx_push_mov_call

        .globl  pp_fx_helper
        .type   pp_fx_helper, @function
pp_fx_helper:
        lea     (%rdi,%rdi,2), %rax
        ret
        .size   pp_fx_helper, .-pp_fx_helper

/* a tail jump (jmp rel32) among the displaced bytes */
        .globl  pp_fx_tailjmp
        .type   pp_fx_tailjmp, @function
pp_fx_tailjmp:
        add     %rsi, %rdi
        jmp     pp_fx_helper
        .size   pp_fx_tailjmp, .-pp_fx_tailjmp

/* a loop whose back edge lands inside the first 5 bytes: refused */
        .globl  pp_fx_loop_back
        .type   pp_fx_loop_back, @function
pp_fx_loop_back:
        xor     %eax, %eax
1:      add     %rsi, %rax
        dec     %rdi
        jg      1b
        ret
        .size   pp_fx_loop_back, .-pp_fx_loop_back

/* 3 bytes: refused */
        .globl  pp_fx_tiny
        .type   pp_fx_tiny, @function
pp_fx_tiny:
        mov     %edi, %eax
        ret
        .size   pp_fx_tiny, .-pp_fx_tiny

/* jrcxz among the first bytes: refused */
        .globl  pp_fx_jrcxz
        .type   pp_fx_jrcxz, @function
pp_fx_jrcxz:
        xor     %ecx, %ecx
        jrcxz   1f
        mov     %rsi, %rax
        ret
1:      lea     (%rdi,%rsi), %rax
        ret
        .size   pp_fx_jrcxz, .-pp_fx_jrcxz

/* ret within the first 5 bytes: refused */
        .globl  pp_fx_ret_early
        .type   pp_fx_ret_early, @function
pp_fx_ret_early:
        mov     %rdi, %rax
        ret
        nop
        nop
        nop
        nop
        .size   pp_fx_ret_early, .-pp_fx_ret_early

/* jmp rel8 among the displaced bytes: becomes jmp rel32 */
        .globl  pp_fx_jmp8
        .type   pp_fx_jmp8, @function
pp_fx_jmp8:
        mov     %rdi, %rax
        jmp     1f
        ud2
1:      add     %rsi, %rax
        ret
        .size   pp_fx_jmp8, .-pp_fx_jmp8

/* like ngx_alloc_chain_link: je rel8 after the displaced bytes, ret at +10 */
        .globl  pp_fx_chain_link
        .type   pp_fx_chain_link, @function
pp_fx_chain_link:
        mov     0x8(%rdi), %rax
        test    %rax, %rax
        je      1f
        mov     (%rax), %rax
        ret
1:      lea     (%rsi,%rsi), %rax
        ret
        .size   pp_fx_chain_link, .-pp_fx_chain_link

/* a recursive call of the entry: hooked, the wrapper sees every level */
        .globl  pp_fx_recurse
        .type   pp_fx_recurse, @function
pp_fx_recurse:
        xor     %eax, %eax
        test    %rdi, %rdi
        jle     1f
        push    %rsi
        dec     %rdi
        call    pp_fx_recurse
        pop     %rsi
        add     %rsi, %rax
1:      ret
        .size   pp_fx_recurse, .-pp_fx_recurse

/* a branch among the displaced bytes into the displaced bytes: refused */
        .globl  pp_fx_inner
        .type   pp_fx_inner, @function
pp_fx_inner:
        xor     %eax, %eax
        jne     1f
1:      add     %rsi, %rax
        add     %rdi, %rax
        ret
        .size   pp_fx_inner, .-pp_fx_inner

/* endbr64, then a loop back to the entry: refused */
        .globl  pp_fx_endbr_loop
        .type   pp_fx_endbr_loop, @function
pp_fx_endbr_loop:
        endbr64
        dec     %rdi
        jg      pp_fx_endbr_loop
        lea     (%rdi,%rsi), %rax
        ret
        .size   pp_fx_endbr_loop, .-pp_fx_endbr_loop

/* jrcxz first: refused (%rcx is not an argument: both ways agree) */
        .globl  pp_fx_jrcxz0
        .type   pp_fx_jrcxz0, @function
pp_fx_jrcxz0:
        jrcxz   1f
        lea     (%rdi,%rsi), %rax
        ret
1:      lea     (%rdi,%rsi), %rax
        ret
        .size   pp_fx_jrcxz0, .-pp_fx_jrcxz0

/* int3, syscall, ud2 among the displaced bytes (jumped over): refused */
        .globl  pp_fx_int3
        .type   pp_fx_int3, @function
pp_fx_int3:
        xor     %eax, %eax
        jmp     1f
        int3
1:      lea     (%rdi,%rsi), %rax
        ret
        .size   pp_fx_int3, .-pp_fx_int3

        .globl  pp_fx_syscall
        .type   pp_fx_syscall, @function
pp_fx_syscall:
        xor     %eax, %eax
        jmp     1f
        syscall
1:      lea     (%rdi,%rsi), %rax
        ret
        .size   pp_fx_syscall, .-pp_fx_syscall

        .globl  pp_fx_ud2
        .type   pp_fx_ud2, @function
pp_fx_ud2:
        xor     %eax, %eax
        jmp     1f
        ud2
1:      lea     (%rdi,%rsi), %rax
        ret
        .size   pp_fx_ud2, .-pp_fx_ud2

/* a byte that does not decode in 64-bit mode (push %es): refused */
        .globl  pp_fx_baddecode
        .type   pp_fx_baddecode, @function
pp_fx_baddecode:
        xor     %eax, %eax
        jmp     1f
        .byte   0x06
1:      lea     (%rdi,%rsi), %rax
        ret
        .size   pp_fx_baddecode, .-pp_fx_baddecode

/* the same after the displaced bytes: the sweep refuses */
        .globl  pp_fx_badsweep
        .type   pp_fx_badsweep, @function
pp_fx_badsweep:
        lea     (%rdi,%rsi), %rax
        add     $1, %rax
        ret
        .byte   0x06
        .size   pp_fx_badsweep, .-pp_fx_badsweep

        .data
        .globl  pp_fx_data
        .type   pp_fx_data, @object
pp_fx_data:
        .quad   3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3
        .size   pp_fx_data, .-pp_fx_data

        .globl  pp_fx_counter
        .type   pp_fx_counter, @object
pp_fx_counter:
        .long   0
        .size   pp_fx_counter, .-pp_fx_counter

        .section .note.GNU-stack, "", @progbits
