/*
 * Entry patching.  Invariants:
 *   - patching happens before main(), with one thread, so no return
 *     address points into the displaced bytes and nobody runs them;
 *   - the displaced instructions are relocated, never re-encoded by a
 *     library: rel8 branches become rel32, rel32 branches and calls and
 *     RIP-relative displacements are re-based, the rest is copied;
 *   - anything not understood is refused, and the target is then left
 *     byte for byte as it was.
 */

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <Zydis/Zydis.h>

#include "pp_patch.h"


#define PP_JMP_LEN      5
#define PP_MAX_INSNS    8
#define PP_SLOT_SIZE    128     /* a relay (32) and a trampoline (96) */
#define PP_NEAR_SIZE    65536
#define PP_RANGE        0x7fff0000LL

static const uint8_t  pp_endbr64[4] = { 0xf3, 0x0f, 0x1e, 0xfa };


typedef struct {
    uint32_t                off;        /* from the function's entry */
    uint32_t                start;      /* the patch point */
    uint32_t                len;        /* displaced bytes */
    uint32_t                endbr;
    uint32_t                n;
    ZydisDecodedInstruction insn[PP_MAX_INSNS];
    ZydisDecodedOperand     ops[PP_MAX_INSNS][ZYDIS_MAX_OPERAND_COUNT];
    uint32_t                at[PP_MAX_INSNS];   /* offset of each */
} pp_plan_t;

typedef struct {
    uint8_t                *base;
    size_t                  used;
} pp_near_t;

static pp_near_t  pp_near[8];


static int pp_plan(const uint8_t *code, uintptr_t addr, size_t size,
    pp_plan_t *p, char *err, size_t len);
static int pp_branch_target(const ZydisDecodedInstruction *insn,
    const ZydisDecodedOperand *ops, uintptr_t ip, uintptr_t *target);
static int pp_is_rip_relative(const ZydisDecodedInstruction *insn,
    const ZydisDecodedOperand *ops);
static int pp_relocate(const pp_plan_t *p, const uint8_t *code,
    uintptr_t addr, uint8_t *dst, uintptr_t dst_addr, size_t *out,
    char *err, size_t len);
static uint8_t *pp_near_alloc(uintptr_t addr);


/* decodes the patch point's instructions and checks the whole function */
static int
pp_plan(const uint8_t *code, uintptr_t addr, size_t size, pp_plan_t *p,
    char *err, size_t len)
{
    uint32_t                 off, i;
    uintptr_t                target, lo, hi;
    ZydisDecoder             dec;
    ZydisDecodedInstruction  insn;
    ZydisDecodedOperand      ops[ZYDIS_MAX_OPERAND_COUNT];

    memset(p, 0, sizeof(pp_plan_t));

    if (size == 0) {
        snprintf(err, len, "function size unknown");
        return -1;
    }

    ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);

    if (size >= 4 && memcmp(code, pp_endbr64, 4) == 0) {
        p->endbr = 1;
        p->start = 4;
    }

    if (size < p->start + PP_JMP_LEN) {
        snprintf(err, len, "function too short (%zu bytes)", size);
        return -1;
    }

    /* the displaced instructions */

    for (off = p->start; off < p->start + PP_JMP_LEN; off += insn.length) {

        if (p->n == PP_MAX_INSNS
            || !ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, code + off,
                                                    size - off, &insn, ops)))
        {
            snprintf(err, len, "undecodable instruction at +%#x", off);
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
            snprintf(err, len, "cannot relocate %s at +%#x",
                     ZydisMnemonicGetString(insn.mnemonic), off);
            return -1;
        default:
            break;
        }

        if (pp_branch_target(&insn, ops, addr + off, &target) == 0
            && insn.meta.category != ZYDIS_CATEGORY_COND_BR
            && insn.meta.category != ZYDIS_CATEGORY_UNCOND_BR
            && insn.meta.category != ZYDIS_CATEGORY_CALL)
        {
            snprintf(err, len, "cannot relocate %s at +%#x",
                     ZydisMnemonicGetString(insn.mnemonic), off);
            return -1;
        }

        p->insn[p->n] = insn;
        memcpy(p->ops[p->n], ops, sizeof(ops));
        p->at[p->n] = off;
        p->n++;
    }

    p->len = off - p->start;

    if (p->start + p->len > size) {
        snprintf(err, len, "function too short (%zu bytes)", size);
        return -1;
    }

    /* no direct branch in the function may land in the patched bytes */

    lo = addr + p->start;
    hi = lo + p->len;

    for (off = 0; off < size; off += insn.length) {

        if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, code + off, size - off,
                                                 &insn, ops)))
        {
            snprintf(err, len, "undecodable instruction at +%#x", off);
            return -1;
        }

        if (pp_branch_target(&insn, ops, addr + off, &target) != 0) {
            continue;
        }

        if (insn.meta.category != ZYDIS_CATEGORY_COND_BR
            && insn.meta.category != ZYDIS_CATEGORY_UNCOND_BR
            && insn.meta.category != ZYDIS_CATEGORY_CALL)
        {
            continue;
        }

        if (target >= lo && target < hi) {
            snprintf(err, len, "branch at +%#x targets patched bytes", off);
            return -1;
        }
    }

    (void) i;

    return 0;
}


static int
pp_branch_target(const ZydisDecodedInstruction *insn,
    const ZydisDecodedOperand *ops, uintptr_t ip, uintptr_t *target)
{
    uint32_t  i;

    for (i = 0; i < insn->operand_count; i++) {
        if (ops[i].type == ZYDIS_OPERAND_TYPE_IMMEDIATE
            && ops[i].imm.is_relative)
        {
            return ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(insn, &ops[i], ip,
                                                          (ZyanU64 *) target))
                   ? 0 : -1;
        }
    }

    return -1;
}


static int
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


static int
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


/* writes the trampoline for the plan at dst (which will run at dst_addr) */
static int
pp_relocate(const pp_plan_t *p, const uint8_t *code, uintptr_t addr,
    uint8_t *dst, uintptr_t dst_addr, size_t *out, char *err, size_t len)
{
    size_t                          n;
    uint32_t                        i, at;
    int32_t                         disp;
    int64_t                         d;
    uintptr_t                       target;
    const ZydisDecodedInstruction  *insn;

    n = 0;

    if (p->endbr) {
        memcpy(dst, pp_endbr64, 4);
        n = 4;
    }

    for (i = 0; i < p->n; i++) {
        insn = &p->insn[i];
        at = p->at[i];

        if (pp_branch_target(insn, p->ops[i], addr + at, &target) == 0) {

            if (insn->meta.category == ZYDIS_CATEGORY_CALL) {
                dst[n] = 0xe8;
                n += 5;

            } else if (insn->meta.category == ZYDIS_CATEGORY_UNCOND_BR) {
                dst[n] = 0xe9;
                n += 5;

            } else if (code[at] >= 0x70 && code[at] <= 0x7f) {
                /* jcc rel8 */
                dst[n] = 0x0f;
                dst[n + 1] = 0x80 | (code[at] & 0x0f);
                n += 6;

            } else if (code[at] == 0x0f && code[at + 1] >= 0x80
                       && code[at + 1] <= 0x8f && insn->length == 6)
            {
                dst[n] = 0x0f;
                dst[n + 1] = code[at + 1];
                n += 6;

            } else {
                snprintf(err, len, "cannot relocate %s at +%#x",
                         ZydisMnemonicGetString(insn->mnemonic), at);
                return -1;
            }

            if ((insn->meta.category == ZYDIS_CATEGORY_CALL
                 || insn->meta.category == ZYDIS_CATEGORY_UNCOND_BR)
                && !(code[at] == 0xe8 || code[at] == 0xe9 || code[at] == 0xeb))
            {
                snprintf(err, len, "cannot relocate %s at +%#x",
                         ZydisMnemonicGetString(insn->mnemonic), at);
                return -1;
            }

            if (pp_put_rel32(dst + n - 4, dst_addr + n, target) != 0) {
                snprintf(err, len, "branch at +%#x out of range", at);
                return -1;
            }

            continue;
        }

        memcpy(dst + n, code + at, insn->length);

        if (pp_is_rip_relative(insn, p->ops[i])) {
            if (insn->raw.disp.size != 32) {
                snprintf(err, len, "odd displacement at +%#x", at);
                return -1;
            }

            /* the same absolute address from the new place */
            d = (int64_t) insn->raw.disp.value
                + (int64_t) (addr + at + insn->length)
                - (int64_t) (dst_addr + n + insn->length);

            if (d > INT32_MAX || d < INT32_MIN) {
                snprintf(err, len, "displacement at +%#x out of range", at);
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


/* a slot within +-2 GiB of addr, from pages mapped near it */
static uint8_t *
pp_near_alloc(uintptr_t addr)
{
    size_t     i;
    int64_t    d;
    uintptr_t  hint, step;
    uint8_t   *m;

    for (i = 0; i < sizeof(pp_near) / sizeof(pp_near[0]); i++) {
        if (pp_near[i].base == NULL) {
            break;
        }

        d = (int64_t) ((uintptr_t) pp_near[i].base - addr);

        if (d > -PP_RANGE + PP_NEAR_SIZE && d < PP_RANGE - PP_NEAR_SIZE
            && pp_near[i].used + PP_SLOT_SIZE <= PP_NEAR_SIZE)
        {
            m = pp_near[i].base + pp_near[i].used;
            pp_near[i].used += PP_SLOT_SIZE;
            return m;
        }
    }

    if (i == sizeof(pp_near) / sizeof(pp_near[0])) {
        return NULL;
    }

    /* below the target first (PIE executables have room there), then above */
    for (step = 1 << 20; step < (uintptr_t) PP_RANGE - (1 << 20);
         step += 1 << 20)
    {
        hint = (addr & ~(uintptr_t) 0xffff) - step;

        if (hint < addr) {
            m = mmap((void *) hint, PP_NEAR_SIZE, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

            if (m != MAP_FAILED) {
                if ((uintptr_t) m == hint) {
                    goto found;
                }
                munmap(m, PP_NEAR_SIZE);
            }
        }

        hint = (addr & ~(uintptr_t) 0xffff) + step;

        m = mmap((void *) hint, PP_NEAR_SIZE, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

        if (m != MAP_FAILED) {
            if ((uintptr_t) m == hint) {
                goto found;
            }
            munmap(m, PP_NEAR_SIZE);
        }
    }

    return NULL;

found:

    memset(m, 0xcc, PP_NEAR_SIZE);
    pp_near[i].base = m;
    pp_near[i].used = PP_SLOT_SIZE;

    return m;
}


int
pp_patch_check(const uint8_t *code, uintptr_t addr, size_t size, char *err,
    size_t len)
{
    size_t     n;
    uint8_t    buf[PP_SLOT_SIZE];
    pp_plan_t  p;

    if (pp_plan(code, addr, size, &p, err, len) != 0) {
        return -1;
    }

    /* as if the trampoline sat right after the function */
    return pp_relocate(&p, code, addr, buf + 32, addr + size + 32, &n, err,
                       len);
}


int
pp_patch_hook(pp_hook_t *h, char *err, size_t len)
{
    size_t      n, i;
    uint8_t    *slot, *relay, *tramp, patch[32];
    uintptr_t   at, page, end;
    pp_plan_t   p;
    long        pagesize;

    if (!pp_patch_threads_ok()) {
        snprintf(err, len, "more than one thread");
        return -1;
    }

    if (pp_plan((const uint8_t *) h->addr, h->addr, h->size, &p, err, len)
        != 0)
    {
        return -1;
    }

    slot = pp_near_alloc(h->addr);
    if (slot == NULL) {
        snprintf(err, len, "no free memory within 2 GiB");
        return -1;
    }

    relay = slot;
    tramp = slot + 32;
    page = (uintptr_t) slot & ~(uintptr_t) 0xffff;

    if (mprotect((void *) page, PP_NEAR_SIZE, PROT_READ | PROT_WRITE) != 0) {
        snprintf(err, len, "mprotect of the relay page: %s", strerror(errno));
        return -1;
    }

    if (pp_relocate(&p, (const uint8_t *) h->addr, h->addr, tramp,
                    (uintptr_t) tramp, &n, err, len) != 0)
    {
        mprotect((void *) page, PP_NEAR_SIZE, PROT_READ | PROT_EXEC);
        return -1;
    }

    /* relay: [endbr64] jmp *0(%rip); .quad wrapper */
    i = 0;
    if (p.endbr) {
        memcpy(relay, pp_endbr64, 4);
        i = 4;
    }
    relay[i] = 0xff;
    relay[i + 1] = 0x25;
    memset(relay + i + 2, 0, 4);
    memcpy(relay + i + 6, &h->wrapper, 8);

    mprotect((void *) page, PP_NEAR_SIZE, PROT_READ | PROT_EXEC);
    __builtin___clear_cache((char *) slot, (char *) slot + PP_SLOT_SIZE);

    /* the patch: jmp rel32 to the relay, int3 over the rest */
    at = h->addr + p.start;
    patch[0] = 0xe9;
    if (pp_put_rel32(patch + 1, at + 5, (uintptr_t) relay) != 0) {
        snprintf(err, len, "relay out of range");
        return -1;
    }
    memset(patch + 5, 0xcc, sizeof(patch) - 5);

    pagesize = sysconf(_SC_PAGESIZE);
    page = at & ~((uintptr_t) pagesize - 1);
    end = (at + p.len + pagesize - 1) & ~((uintptr_t) pagesize - 1);

    if (mprotect((void *) page, end - page,
                 PROT_READ | PROT_WRITE | PROT_EXEC) != 0)
    {
        snprintf(err, len, "mprotect RWX: %s", strerror(errno));
        return -1;
    }

    /* the first byte last: until then the old entry is intact */
    memcpy((void *) (at + 1), patch + 1, p.len - 1);
    __atomic_store_n((uint8_t *) at, patch[0], __ATOMIC_RELEASE);

    mprotect((void *) page, end - page, PROT_READ | PROT_EXEC);
    __builtin___clear_cache((char *) at, (char *) at + p.len);

    *h->orig = tramp;

    return 0;
}


int
pp_patch_threads_ok(void)
{
    int             n;
    DIR            *d;
    struct dirent  *de;

    d = opendir("/proc/self/task");
    if (d == NULL) {
        return 0;
    }

    n = 0;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] != '.') {
            n++;
        }
    }

    closedir(d);

    return n == 1;
}


void
pp_patch_hexdump(uintptr_t addr, size_t n, char *buf, size_t len)
{
    size_t          i, w;
    const uint8_t  *p;

    p = (const uint8_t *) addr;
    w = 0;
    buf[0] = '\0';

    for (i = 0; i < n && w + 4 < len; i++) {
        w += snprintf(buf + w, len - w, i ? " %02x" : "%02x", p[i]);
    }
}
