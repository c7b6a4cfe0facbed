/*
 * One object file's symbols, read with libelf: .symtab (or its debug
 * file's, pp_debuginfo.c), else .dynsym; and its DWARF, when the file
 * or its debug file has any, for the source lines of pp_dwarf.c.  Files
 * come from paths a segment names: regular files only, opened by
 * pp_open_regular(), which opens nothing else and follows no symbolic
 * link.
 */

#define _GNU_SOURCE
#include <elfutils/libdw.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pp_report.h"
#include "pp_symtab.h"
#include "pp_debuginfo.h"


#define PP_SYM_BACK   256     /* symbols looked at below an address */

static int
pp_sym_cmp(const void *a, const void *b)
{
    const pp_sym_t  *p = a, *q = b;

    return pp_order(p->value, q->value);
}


/* the GNU build-id note of an ELF file; its length, 0 if none */
size_t
pp_elf_note_build_id(Elf *elf, uint8_t *id, size_t max)
{
    size_t     off, noff, doff;
    Elf_Scn   *scn;
    GElf_Shdr  sh;
    GElf_Nhdr  nh;
    Elf_Data  *d;

    for (scn = elf_nextscn(elf, NULL); scn; scn = elf_nextscn(elf, scn)) {
        if (gelf_getshdr(scn, &sh) == NULL || sh.sh_type != SHT_NOTE) {
            continue;
        }

        d = elf_getdata(scn, NULL);
        if (d == NULL) {
            continue;
        }

        for (off = 0;
             (off = gelf_getnote(d, off, &nh, &noff, &doff)) > 0;
             /* void */)
        {
            if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4
                && memcmp((char *) d->d_buf + noff, "GNU", 4) == 0
                && nh.n_descsz <= max)
            {
                memcpy(id, (char *) d->d_buf + doff, nh.n_descsz);
                return nh.n_descsz;
            }
        }
    }

    return 0;
}


static Elf_Scn *
pp_symtab_scn(Elf *elf, Elf64_Word type)
{
    Elf_Scn   *scn;
    GElf_Shdr  sh;

    for (scn = elf_nextscn(elf, NULL); scn; scn = elf_nextscn(elf, scn)) {
        if (gelf_getshdr(scn, &sh) != NULL && sh.sh_type == type
            && sh.sh_entsize != 0)
        {
            return scn;
        }
    }

    return NULL;
}


static void
pp_symtab_summarize(pp_sym_t *syms, size_t n)
{
    int        d;
    size_t     i;
    uint64_t   end;
    pp_sym_t  *s;

    for (i = 0; i < n; i++) {
        s = &syms[i];

        /* an end past 2^64 saturates: it holds every address above */
        end = s->value + s->size < s->value ? UINT64_MAX
                                            : s->value + s->size;

        for (d = 0; d < 2; d++) {
            s->end[d] = i > 0 ? syms[i - 1].end[d] : 0;
            s->zero[d] = i > 0 ? syms[i - 1].zero[d] : 0;

            if (!s->func && d == 0) {
                continue;
            }

            if (s->size == 0) {
                s->zero[d] = (uint32_t) i + 1;

            } else if (end > s->end[d]) {
                s->end[d] = end;
            }
        }
    }
}


static int
pp_symtab_syms(pp_symtab_t *st, Elf *elf, Elf_Scn *scn)
{
    int         type;
    size_t      i, n;
    GElf_Shdr   sh;
    GElf_Sym    s;
    Elf_Data   *d;
    pp_sym_t   *syms;
    const char *name;

    if (gelf_getshdr(scn, &sh) == NULL) {
        return -1;
    }

    d = elf_getdata(scn, NULL);
    if (d == NULL) {
        return -1;
    }

    n = sh.sh_size / sh.sh_entsize;

    syms = calloc(n + 1, sizeof(pp_sym_t));
    if (syms == NULL) {
        return -1;
    }

    st->nsyms = 0;

    for (i = 0; i < n; i++) {
        if (gelf_getsym(d, (int) i, &s) == NULL) {
            break;
        }

        type = GELF_ST_TYPE(s.st_info);

        if ((type != STT_FUNC && type != STT_OBJECT)
            || s.st_shndx == SHN_UNDEF)
        {
            continue;
        }

        name = elf_strptr(elf, sh.sh_link, s.st_name);
        if (name == NULL || name[0] == '\0') {
            continue;
        }

        syms[st->nsyms].value = s.st_value;
        syms[st->nsyms].size = s.st_size;
        syms[st->nsyms].name = name;
        syms[st->nsyms].func = type == STT_FUNC;
        st->nsyms++;
    }

    qsort(syms, st->nsyms, sizeof(pp_sym_t), pp_sym_cmp);
    st->syms = syms;

    pp_symtab_summarize(syms, st->nsyms);

    return 0;
}


static Elf *
pp_symtab_elf(const char *path, int *fd, struct stat *sb, char *err,
    size_t errlen)
{
    Elf  *elf;

    *fd = pp_open_regular(path, 0, sb, err, errlen);
    if (*fd == -1) {
        return NULL;
    }

    elf = elf_begin(*fd, ELF_C_READ, NULL);
    if (elf == NULL || elf_kind(elf) != ELF_K_ELF) {
        if (elf != NULL) {
            elf_end(elf);
        }
        close(*fd);
        *fd = -1;
        snprintf(err, errlen, "not an ELF file");
        return NULL;
    }

    return elf;
}


pp_symtab_t *
pp_symtab_open(const char *path, struct stat *sb, char *err, size_t errlen)
{
    pp_symtab_t  *st;

    st = calloc(1, sizeof(pp_symtab_t));
    if (st == NULL) {
        snprintf(err, errlen, "failed to allocate memory");
        return NULL;
    }

    st->dfd = -1;
    st->elf = pp_symtab_elf(path, &st->fd, sb, err, errlen);

    if (st->elf == NULL) {
        free(st);
        return NULL;
    }

    /* where .gnu_debuglink names a debug file from */
    st->path = strdup(path);
    if (st->path == NULL) {
        snprintf(err, errlen, "failed to allocate memory");
        pp_symtab_close(st);
        return NULL;
    }

    return st;
}


size_t
pp_symtab_build_id(pp_symtab_t *st, uint8_t *id, size_t max)
{
    return pp_elf_note_build_id(st->elf, id, max);
}


/* the debug file is optional: no message when there is none */
static void
pp_symtab_debug(pp_symtab_t *st, const uint8_t *id, size_t len)
{
    st->delf = pp_debuginfo_open(st->elf, st->path, id, len, &st->dfd);
}


/* the symbols and lines, from the debug file when the object has none */
void
pp_symtab_load(pp_symtab_t *st, const uint8_t *id, size_t len)
{
    Elf      *elf;
    Elf_Scn  *scn;

    elf = st->elf;
    scn = pp_symtab_scn(elf, SHT_SYMTAB);

    if (scn == NULL) {
        pp_symtab_debug(st, id, len);

        if (st->delf != NULL) {
            scn = pp_symtab_scn(st->delf, SHT_SYMTAB);
            if (scn != NULL) {
                elf = st->delf;
            }
        }
    }

    if (scn == NULL) {
        scn = pp_symtab_scn(elf, SHT_DYNSYM);
    }

    if (scn != NULL) {
        pp_symtab_syms(st, elf, scn);
    }

    st->dw = dwarf_begin_elf(st->delf != NULL ? st->delf : st->elf,
                             DWARF_C_READ, NULL);
}


/* the name of the symbol holding off; functions only unless data */
const char *
pp_symtab_find(const pp_symtab_t *st, uint64_t off, int data)
{
    int              d;
    size_t           lo, hi, mid, i, k;
    const pp_sym_t  *s, *near;

    lo = 0;
    hi = st->nsyms;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        if (st->syms[mid].value <= off) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }

    if (lo == 0) {
        return NULL;
    }

    /* no symbol below ends above off: the nearest without a size */
    s = &st->syms[lo - 1];
    d = data != 0;

    if (s->end[d] <= off) {
        return s->zero[d] != 0 && s->zero[d] + PP_SYM_BACK > lo
               ? st->syms[s->zero[d] - 1].name : NULL;
    }

    near = NULL;

    for (i = lo, k = 0; i > 0 && k < PP_SYM_BACK; i--, k++) {
        s = &st->syms[i - 1];

        if (!s->func && !data) {
            continue;
        }

        if (s->size != 0 && off - s->value < s->size) {
            return s->name;
        }

        if (s->size == 0 && near == NULL) {
            near = s;
        }
    }

    return near != NULL ? near->name : NULL;
}


void
pp_symtab_close(pp_symtab_t *st)
{
    if (st == NULL) {
        return;
    }

    if (st->dw != NULL) {
        dwarf_end(st->dw);
    }

    if (st->elf != NULL) {
        elf_end(st->elf);
    }

    if (st->delf != NULL) {
        elf_end(st->delf);
    }

    if (st->fd != -1) {
        close(st->fd);
    }

    if (st->dfd != -1) {
        close(st->dfd);
    }

    free(st->syms);
    free(st->path);
    free(st);
}
