/*
 * Static functions of a stripped object, which neither .symtab nor
 * .dynsym names: the start of the function that holds an address, from
 * the call frame information every x86-64 and aarch64 object keeps
 * (.eh_frame says that a function covers the address, the sorted table
 * of .eh_frame_hdr where it starts), and the named functions that call
 * it directly, from the object's own code: each `call rel32` (x86-64)
 * or `bl` (aarch64) whose target is that start.  The index of those
 * calls is built once per object, on the first address that needs it.
 * For example, Debian's nginx creates the request pool in
 *
 *     static function nginx+0x6c880 (called from ngx_http_create_request,
 *         ngx_http_ssl_certificate)
 *
 * which is ngx_http_alloc_request().  A byte pattern that only looks
 * like a call can add a caller; one whose target is a function's exact
 * start, inside a named function, is rare.
 */

#include <elfutils/libdw.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp_report.h"
#include "pp_symtab.h"


#define PP_STATIC_CALLERS  3    /* callers named, at most */

typedef struct {
    uint64_t                target;
    uint64_t                from;
} pp_call_t;

/* the direct calls of one object, sorted by target */
typedef struct {
    const pp_symtab_t      *st;
    Dwarf_CFI              *cfi;
    pp_call_t              *calls;
    size_t                  ncalls;
    uint64_t               *starts;     /* of functions, sorted */
    size_t                  nstarts;
    int                     built;
} pp_static_t;

#define PP_STATIC_OBJS  16

static pp_static_t  pp_statics[PP_STATIC_OBJS];


static int
pp_call_cmp(const void *a, const void *b)
{
    const pp_call_t  *x = a, *y = b;

    return x->target != y->target ? pp_order(x->target, y->target)
                                  : pp_order(x->from, y->from);
}


/* appends the direct calls of one section of code */
static int
pp_static_scan(pp_static_t *s, GElf_Half machine, uint64_t addr,
    const unsigned char *p, size_t n, size_t *cap)
{
    size_t      i;
    int32_t     rel;
    uint32_t    insn;
    uint64_t    target;
    pp_call_t  *c;

    for (i = 0; i + 5 <= n; i++) {
        if (machine == EM_X86_64) {
            if (p[i] != 0xe8) {
                continue;
            }
            memcpy(&rel, p + i + 1, sizeof(rel));
            target = addr + i + 5 + (int64_t) rel;

        } else {
            if (i % 4 != 0) {
                continue;
            }
            memcpy(&insn, p + i, sizeof(insn));
            if ((insn & 0xfc000000) != 0x94000000) {
                continue;
            }
            /* imm26, sign-extended, in words */
            rel = (int32_t) (insn << 6) >> 6;
            target = addr + i + (int64_t) rel * 4;
        }

        if (s->ncalls == *cap) {
            *cap = *cap ? *cap * 2 : 4096;
            c = realloc(s->calls, *cap * sizeof(pp_call_t));
            if (c == NULL) {
                return -1;
            }
            s->calls = c;
        }

        s->calls[s->ncalls].target = target;
        s->calls[s->ncalls].from = addr + i;
        s->ncalls++;
    }

    return 0;
}


/*
 * The functions' starts from .eh_frame_hdr: its binary search table, in
 * the encoding GNU tools write (udata4 count, datarel sdata4 pairs)
 */
static void
pp_static_starts(pp_static_t *s, uint64_t addr, const unsigned char *p,
    size_t n)
{
    size_t    i, count, off;
    int32_t   v;
    uint32_t  c;

    /* version, eh_frame_ptr_enc, fde_count_enc, table_enc */
    if (n < 12 || p[0] != 1 || p[2] != 0x03 || p[3] != 0x3b
        || (p[1] & 0x0f) != 0x0b)
    {
        return;
    }

    memcpy(&c, p + 8, sizeof(c));
    count = c;
    off = 12;

    if (count > (n - off) / 8) {
        return;
    }

    s->starts = malloc((count + 1) * sizeof(uint64_t));
    if (s->starts == NULL) {
        return;
    }

    for (i = 0; i < count; i++) {
        memcpy(&v, p + off + i * 8, sizeof(v));
        s->starts[i] = addr + (int64_t) v;

        if (i > 0 && s->starts[i] < s->starts[i - 1]) {
            free(s->starts);
            s->starts = NULL;
            return;
        }
    }

    s->nstarts = count;
}


static void
pp_static_build(pp_static_t *s)
{
    size_t       cap, shstr;
    Elf         *elf;
    Elf_Scn     *scn;
    const char  *name;
    GElf_Ehdr    eh;
    GElf_Shdr    sh;
    Elf_Data    *d;

    s->built = 1;
    elf = s->st->elf;

    if (elf == NULL || gelf_getehdr(elf, &eh) == NULL
        || (eh.e_machine != EM_X86_64 && eh.e_machine != EM_AARCH64))
    {
        return;
    }

    s->cfi = dwarf_getcfi_elf(elf);
    cap = 0;

    if (elf_getshdrstrndx(elf, &shstr) != 0) {
        return;
    }

    for (scn = elf_nextscn(elf, NULL); scn; scn = elf_nextscn(elf, scn)) {
        if (gelf_getshdr(scn, &sh) == NULL || sh.sh_type != SHT_PROGBITS) {
            continue;
        }

        d = elf_getdata(scn, NULL);
        if (d == NULL || d->d_buf == NULL || d->d_size > sh.sh_size) {
            continue;
        }

        name = elf_strptr(elf, shstr, sh.sh_name);

        if (name != NULL && strcmp(name, ".eh_frame_hdr") == 0
            && s->starts == NULL)
        {
            pp_static_starts(s, sh.sh_addr, d->d_buf, d->d_size);
            continue;
        }

        if ((sh.sh_flags & SHF_EXECINSTR) == 0) {
            continue;
        }

        if (pp_static_scan(s, eh.e_machine, sh.sh_addr, d->d_buf, d->d_size,
                           &cap)
            != 0)
        {
            free(s->calls);
            s->calls = NULL;
            s->ncalls = 0;
            return;
        }
    }

    qsort(s->calls, s->ncalls, sizeof(pp_call_t), pp_call_cmp);
}


static pp_static_t *
pp_static_of(const pp_symtab_t *st)
{
    size_t  i;

    for (i = 0; i < PP_STATIC_OBJS; i++) {
        if (pp_statics[i].st == st) {
            return &pp_statics[i];
        }

        if (pp_statics[i].st == NULL) {
            pp_statics[i].st = st;
            pp_static_build(&pp_statics[i]);
            return &pp_statics[i];
        }
    }

    return NULL;
}


/*
 * The name of the static function of st that holds off (an address in
 * the file's terms), as "static function OBJ+0xSTART (called from A, B)",
 * malloc()ed; NULL when its call frame information does not know it
 */
char *
pp_static_name(const pp_symtab_t *st, const char *obj, uint64_t off)
{
    int             n;
    char            buf[512];
    size_t          lo, hi, mid, k, len;
    const char     *name, *last;
    uint64_t        start;
    Dwarf_Frame    *fr;
    pp_static_t    *s;

    s = pp_static_of(st);
    if (s == NULL || s->cfi == NULL) {
        return NULL;
    }

    if (dwarf_cfi_addrframe(s->cfi, off, &fr) != 0) {
        return NULL;
    }

    free(fr);

    /* the last function that starts at or below off */
    lo = 0;
    hi = s->nstarts;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        if (s->starts[mid] <= off) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }

    if (lo == 0) {
        return NULL;
    }

    start = s->starts[lo - 1];

    len = (size_t) snprintf(buf, sizeof(buf), "static function %s+0x%llx",
                            obj, (unsigned long long) start);
    if (len >= sizeof(buf)) {
        return NULL;
    }

    lo = 0;
    hi = s->ncalls;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        if (s->calls[mid].target < start) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }

    last = NULL;

    for (k = 0; lo < s->ncalls && s->calls[lo].target == start
                && k < PP_STATIC_CALLERS; lo++)
    {
        name = pp_symtab_find(st, s->calls[lo].from, 0);

        /* a name once, and only of a function the call lies in */
        if (name == NULL || name[0] == '\0'
            || (last != NULL && strcmp(name, last) == 0))
        {
            continue;
        }

        n = snprintf(buf + len, sizeof(buf) - len, "%s%s",
                     k == 0 ? " (called from " : ", ", name);
        if (n < 0 || (size_t) n >= sizeof(buf) - len - 1) {
            break;
        }

        len += (size_t) n;
        last = name;
        k++;
    }

    if (k != 0) {
        buf[len++] = ')';
        buf[len] = '\0';
    }

    return strdup(buf);
}


/* the call indexes and frame information, before the objects close */
void
pp_static_free(void)
{
    size_t  i;

    for (i = 0; i < PP_STATIC_OBJS; i++) {
        free(pp_statics[i].calls);
        free(pp_statics[i].starts);

        /* before its Elf ends, in pp_symtab_close() */
        if (pp_statics[i].cfi != NULL) {
            dwarf_cfi_end(pp_statics[i].cfi);
        }
    }

    memset(pp_statics, 0, sizeof(pp_statics));
}
