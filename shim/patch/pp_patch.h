/*
 * Function entry patching: a branch to a relay near the target, and a
 * trampoline that runs the displaced instructions, relocated, before
 * jumping back.  One backend per architecture behind this interface:
 * x86-64 (pp_patch.c: a 5-byte jmp, decoding with Zydis, the bytes
 * emitted here as Debian's Zydis 4.0 encoder has bugs fixed in 4.1)
 * and aarch64 (pp_patch_arm64.c: b imm26, or a 16-byte absolute jump).
 */

#ifndef _PP_PATCH_H_INCLUDED_
#define _PP_PATCH_H_INCLUDED_

#include <stddef.h>
#include <stdint.h>


typedef struct pp_hook_s  pp_hook_t;

struct pp_hook_s {
    const char             *name;       /* for messages */
    uintptr_t               addr;       /* function entry */
    size_t                  size;       /* st_size; 0 = unknown: refused */
    void                   *wrapper;    /* where calls go */
    void                  **orig;       /* out: the original, callable */

    /*
     * optional: called with the original, callable, before any call is
     * diverted; a result other than NULL is where calls go instead of
     * wrapper.  The original can be tried here without its entry ever
     * running unpatched (valgrind would keep that translation).
     */
    void                 *(*choose)(pp_hook_t *h, void *orig);
    void                   *data;       /* for choose */
};


/*
 * 0 when hooked (*h->orig set); else -1, a one-line reason in err, and
 * the function left as it was.  A process of more than one thread
 * (pp_proc_single_thread(), common/pp_proc.h) is refused.
 */
int pp_patch_hook(pp_hook_t *h, char *err, size_t len);

/*
 * every check of pp_patch_hook() but the thread count, on a copy of the
 * code (code) of a function that runs at addr; nothing is written
 */
int pp_patch_check(const uint8_t *code, uintptr_t addr, size_t size,
    char *err, size_t len);

/*
 * 1 if the function at addr (size bytes, in this process) calls or
 * jumps to target directly; 0 if not, or if a byte does not decode
 */
int pp_patch_calls(uintptr_t addr, size_t size, uintptr_t target);

/* "55 48 89 f2 ...": the first n bytes at addr, whole bytes only */
void pp_patch_hexdump(uintptr_t addr, size_t n, char *buf, size_t len);


#endif /* _PP_PATCH_H_INCLUDED_ */
