/*
 * Entry patching.  Invariants:
 *   - patching happens before main(), with one thread, so no return
 *     address points into the displaced bytes and nobody runs them;
 *   - the displaced instructions are relocated, never re-encoded by a
 *     library: rel8 branches become rel32, rel32 branches and calls and
 *     RIP-relative displacements are re-based, the rest is copied;
 *   - no direct branch of the function lands in [entry, patch end),
 *     except a call of the entry itself, which is a real call;
 *   - anything not understood is refused, and the target is then left
 *     byte for byte as it was.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <Zydis/Zydis.h>

#include "pp_patch.h"


#define PP_JMP_LEN      5
#define PP_MAX_INSNS    PP_JMP_LEN  /* each instruction is 1 byte or more */
#define PP_RELAY_SIZE   32          /* [endbr64] jmp *0(%rip); .quad */
#define PP_TRAMP_SIZE   96          /* 4 + 5 * 6 + 15 + 5 at most, see below */
#define PP_SLOT_SIZE    (PP_RELAY_SIZE + PP_TRAMP_SIZE)
#define PP_NEAR_SIZE    65536
#define PP_NEAR_PAGES   8
#define PP_NEAR_STEP    (1 << 20)
#define PP_RANGE        0x7fff0000LL

#define pp_is_branch(insn)                                                   \
    ((insn)->meta.category == ZYDIS_CATEGORY_COND_BR                         \
     || (insn)->meta.category == ZYDIS_CATEGORY_UNCOND_BR                    \
     || (insn)->meta.category == ZYDIS_CATEGORY_CALL)

static const uint8_t  pp_endbr64[4] = { 0xf3, 0x0f, 0x1e, 0xfa };


typedef struct {
    uint32_t                start;      /* the patch point, from the entry */
    uint32_t                len;        /* displaced bytes */
    uint32_t                endbr;
    uint32_t                n;
    ZydisDecodedInstruction insn[PP_MAX_INSNS];
    ZydisDecodedOperand     ops[PP_MAX_INSNS][ZYDIS_MAX_OPERAND_COUNT];
    uint32_t                at[PP_MAX_INSNS];   /* offset of each */
} pp_plan_t;

/* pages of slots within +-2 GiB of the code they serve; never unmapped */
typedef struct {
    uint8_t                *base;
    size_t                  used;
} pp_near_t;

static pp_near_t  pp_near[PP_NEAR_PAGES];


static int pp_plan(const uint8_t *code, uintptr_t addr, size_t size,
    pp_plan_t *p, char *err, size_t len);
static int pp_sweep(const ZydisDecoder *dec, const uint8_t *code,
    uintptr_t addr, size_t size, const pp_plan_t *p, char *err, size_t len);
static int pp_branch_target(const ZydisDecodedInstruction *insn,
    const ZydisDecodedOperand *ops, uintptr_t ip, uintptr_t *target);
static int pp_is_rip_relative(const ZydisDecodedInstruction *insn,
    const ZydisDecodedOperand *ops);
static int pp_put_rel32(uint8_t *at, uintptr_t next_ip, uintptr_t target);
static int pp_relocate(const pp_plan_t *p, const uint8_t *code,
    uintptr_t addr, uint8_t *dst, uintptr_t dst_addr, size_t *out,
    char *err, size_t len);
static uint8_t *pp_near_alloc(uintptr_t addr, pp_near_t **page);
static uint8_t *pp_near_map(uintptr_t addr);


/* decodes the patch point's instructions and checks the whole function */
static int
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

    if (size >= 4 && memcmp(code, pp_endbr64, 4) == 0) {
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

        if (target == addr && insn.meta.category == ZYDIS_CATEGORY_CALL) {
            continue;
        }

        if (target >= addr && target < hi) {
            snprintf(err, len, "branch at +0x%x targets patched bytes", off);
            return -1;
        }
    }

    return 0;
}


static int
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


/*
 * Writes the trampoline for the plan at dst, which will run at dst_addr.
 * It starts with endbr64 whether the entry did or not: the wrappers call
 * it through a pointer, an indirect branch that an IBT-enforcing process
 * allows only onto endbr64 (elsewhere it is a 4-byte no-op).
 * Size: endbr64 (4), then at most 5 instructions within 4 + 15 bytes,
 * each growing by 4 bytes at most (jcc rel8 -> rel32), then a jmp (5):
 * under PP_TRAMP_SIZE.
 */
static int
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
    memcpy(dst, pp_endbr64, 4);
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


/* a slot within +-2 GiB of addr, carved from the pages mapped near it */
static uint8_t *
pp_near_alloc(uintptr_t addr, pp_near_t **page)
{
    size_t      i;
    int64_t     d;
    uint8_t    *m;
    pp_near_t  *np;

    for (i = 0; i < PP_NEAR_PAGES; i++) {
        np = &pp_near[i];

        if (np->base == NULL) {
            m = pp_near_map(addr);
            if (m == NULL) {
                return NULL;
            }

            np->base = m;
            np->used = 0;
        }

        d = (int64_t) ((uintptr_t) np->base - addr);

        if (d > -PP_RANGE + PP_NEAR_SIZE && d < PP_RANGE - PP_NEAR_SIZE
            && np->used + PP_SLOT_SIZE <= PP_NEAR_SIZE)
        {
            m = np->base + np->used;
            np->used += PP_SLOT_SIZE;
            *page = np;
            return m;
        }
    }

    return NULL;
}


/*
 * Maps a page at the nearest free 1 MiB step below addr (PIE programs
 * have room there), else above.  MAP_FIXED_NOREPLACE never clobbers a
 * mapping; a kernel older than 4.17 takes it as a hint, hence the check.
 */
static uint8_t *
pp_near_map(uintptr_t addr)
{
    int        dir;
    uint8_t   *m;
    uintptr_t  hint, step, a;

    a = addr & ~(uintptr_t) (PP_NEAR_SIZE - 1);

    for (step = PP_NEAR_STEP; step < (uintptr_t) PP_RANGE - PP_NEAR_STEP;
         step += PP_NEAR_STEP)
    {
        for (dir = 0; dir < 2; dir++) {

            if (dir == 0) {
                if (a < step + PP_NEAR_STEP) {
                    continue;
                }
                hint = a - step;

            } else {
                if (a > UINTPTR_MAX - step - PP_NEAR_SIZE) {
                    continue;
                }
                hint = a + step;
            }

            m = mmap((void *) hint, PP_NEAR_SIZE, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

            if (m == MAP_FAILED) {
                continue;
            }

            if ((uintptr_t) m == hint) {
                /* int3 wherever no slot was written */
                memset(m, 0xcc, PP_NEAR_SIZE);
                mprotect(m, PP_NEAR_SIZE, PROT_READ | PROT_EXEC);
                return m;
            }

            munmap(m, PP_NEAR_SIZE);
        }
    }

    return NULL;
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


int
pp_patch_check(const uint8_t *code, uintptr_t addr, size_t size, char *err,
    size_t len)
{
    size_t     n;
    uint8_t    buf[PP_TRAMP_SIZE];
    pp_plan_t  p;

    if (pp_plan(code, addr, size, &p, err, len) != 0) {
        return -1;
    }

    /* as if the trampoline sat in a page right after the function */
    return pp_relocate(&p, code, addr, buf, addr + size + PP_NEAR_STEP, &n,
                       err, len);
}


int
pp_patch_hook(pp_hook_t *h, char *err, size_t len)
{
    void       *wrapper, *w;
    size_t      n, i;
    uint8_t    *slot, *relay, *tramp, patch[32];
    uintptr_t   at, page, end;
    pp_plan_t   p;
    pp_near_t  *np;
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

    slot = pp_near_alloc(h->addr, &np);
    if (slot == NULL) {
        snprintf(err, len, "no free memory within 2 GiB");
        return -1;
    }

    relay = slot;
    tramp = slot + PP_RELAY_SIZE;
    at = h->addr + p.start;

    /* our own page, and no code runs from it while it is writable */
    if (mprotect(np->base, PP_NEAR_SIZE, PROT_READ | PROT_WRITE) != 0) {
        snprintf(err, len, "mprotect of the relay page: %s", strerror(errno));
        goto failed;
    }

    if (pp_relocate(&p, (const uint8_t *) h->addr, h->addr, tramp,
                    (uintptr_t) tramp, &n, err, len) != 0)
    {
        mprotect(np->base, PP_NEAR_SIZE, PROT_READ | PROT_EXEC);
        goto failed;
    }

    wrapper = h->wrapper;

    if (h->choose != NULL) {
        if (mprotect(np->base, PP_NEAR_SIZE, PROT_READ | PROT_EXEC) != 0) {
            snprintf(err, len, "mprotect of the relay page: %s",
                     strerror(errno));
            goto failed;
        }

        __builtin___clear_cache((char *) slot, (char *) slot + PP_SLOT_SIZE);

        w = h->choose(h, tramp);
        if (w != NULL) {
            wrapper = w;
        }

        if (mprotect(np->base, PP_NEAR_SIZE, PROT_READ | PROT_WRITE) != 0) {
            snprintf(err, len, "mprotect of the relay page: %s",
                     strerror(errno));
            goto failed;
        }
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
    memcpy(relay + i + 6, &wrapper, sizeof(void *));

    if (mprotect(np->base, PP_NEAR_SIZE, PROT_READ | PROT_EXEC) != 0) {
        snprintf(err, len, "mprotect of the relay page: %s", strerror(errno));
        goto failed;
    }

    __builtin___clear_cache((char *) slot, (char *) slot + PP_SLOT_SIZE);

    /* the patch: jmp rel32 to the relay, int3 over the rest */
    patch[0] = 0xe9;
    if (pp_put_rel32(patch + 1, at + PP_JMP_LEN, (uintptr_t) relay) != 0) {
        snprintf(err, len, "relay out of range");
        goto failed;
    }
    memset(patch + PP_JMP_LEN, 0xcc, sizeof(patch) - PP_JMP_LEN);

    /* RWX, never RW: code on the same page may be running (our own) */
    pagesize = sysconf(_SC_PAGESIZE);
    page = at & ~((uintptr_t) pagesize - 1);
    end = (at + p.len + pagesize - 1) & ~((uintptr_t) pagesize - 1);

    if (mprotect((void *) page, end - page,
                 PROT_READ | PROT_WRITE | PROT_EXEC) != 0)
    {
        snprintf(err, len, "mprotect RWX: %s", strerror(errno));
        goto failed;
    }

    /* the first byte last: until then the old entry is intact */
    memcpy((void *) (at + 1), patch + 1, p.len - 1);
    __atomic_store_n((uint8_t *) at, patch[0], __ATOMIC_RELEASE);

    mprotect((void *) page, end - page, PROT_READ | PROT_EXEC);
    __builtin___clear_cache((char *) at, (char *) at + p.len);

    *h->orig = tramp;

    return 0;

failed:

    /* the slot goes back if it was the last one carved */
    if (np->base + np->used == slot + PP_SLOT_SIZE) {
        np->used -= PP_SLOT_SIZE;
    }

    return -1;
}


/* counts /proc/self/task entries with getdents64: no opendir(), no malloc */
int
pp_patch_threads_ok(void)
{
    int       fd, n;
    long      r, i;
    char      buf[1024];
    uint16_t  reclen;

    fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd == -1) {
        return 0;
    }

    n = 0;

    for ( ;; ) {
        r = syscall(SYS_getdents64, fd, buf, sizeof(buf));
        if (r <= 0) {
            break;
        }

        /* struct linux_dirent64: ino 8, off 8, reclen 2, type 1, name */
        for (i = 0; i + 19 < r; i += reclen) {
            memcpy(&reclen, buf + i + 16, 2);
            if (reclen == 0) {
                r = -1;
                break;
            }

            if (buf[i + 19] != '.') {
                n++;
            }
        }

        if (r < 0) {
            break;
        }
    }

    close(fd);

    return r == 0 && n == 1;
}


void
pp_patch_hexdump(uintptr_t addr, size_t n, char *buf, size_t len)
{
    size_t          i, w;
    const uint8_t  *p;

    if (len == 0) {
        return;
    }

    p = (const uint8_t *) addr;
    w = 0;
    buf[0] = '\0';

    /* whole bytes only: 3 characters each and the NUL */
    for (i = 0; i < n && w + 4 <= len; i++) {
        w += snprintf(buf + w, len - w, i ? " %02x" : "%02x", p[i]);
    }
}
