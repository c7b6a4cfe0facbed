/*
 * The ELF side of test_patch.  The tests' own helpers, kept out of
 * libpoolprof.so: a one-call lookup, and a check of the main program's
 * exports that reads its loaded .dynamic (a walk of its GNU or SysV
 * hash table, no file read).  And the checks of the shim's lookup
 * (pp_elf.c) and of these, on the test binary itself, which is linked
 * with -Wl,-E.
 */

#define _GNU_SOURCE
#include <link.h>
#include <string.h>

#include "pp_elf.h"
#include "pp_elf_test.h"
#include "pp_tap.h"


#define PP_ELF_MAX_CHAIN  (1 << 24)     /* a corrupt hash chain ends */


long pp_fx_riplea(long a, long b);
long pp_fx_tiny(long a, long b);

extern int  pp_fx_counter;


static int pp_elf_main(struct dl_phdr_info *info, size_t size, void *data);
static uintptr_t pp_elf_dynptr(uintptr_t base, uintptr_t v);
static int pp_elf_exported(const Elf64_Sym *s, const char *str, size_t strsz,
    const char *name);


/* the main program comes first; size is what the loader filled in */
static int
pp_elf_main(struct dl_phdr_info *info, size_t size, void *data)
{
    memcpy(data, info, size < sizeof(*info) ? size : sizeof(*info));

    return 1;
}


int
pp_elf_find(const char *name, uintptr_t *addr, size_t *size)
{
    int       rc;
    pp_elf_t  e;

    if (pp_elf_open(&e) != 0) {
        return -1;
    }

    rc = pp_elf_lookup(&e, name, addr, size);
    pp_elf_close(&e);

    return rc;
}


/*
 * The exports check reads the loaded .dynamic.  glibc relocates its
 * pointers in place on x86-64, other loaders may not: a value below the
 * load bias is taken as not yet relocated.
 */

static uintptr_t
pp_elf_dynptr(uintptr_t base, uintptr_t v)
{
    return (v < base) ? v + base : v;
}


static int
pp_elf_exported(const Elf64_Sym *s, const char *str, size_t strsz,
    const char *name)
{
    size_t  len;

    len = strlen(name);

    return s->st_shndx != SHN_UNDEF
           && s->st_name < strsz && strsz - s->st_name > len
           && memcmp(str + s->st_name, name, len + 1) == 0;
}


int
pp_elf_exports(const char *name)
{
    size_t                i, n, strsz;
    uint32_t              h, nbucket, symoff, nbloom, c, k;
    uintptr_t             gnu, sysv;
    const char           *str;
    const uint32_t       *w, *bucket, *chain;
    const Elf64_Sym      *sym;
    const ElfW(Dyn)      *d;
    const unsigned char  *p;
    struct dl_phdr_info   m;

    memset(&m, 0, sizeof(m));

    if (dl_iterate_phdr(pp_elf_main, &m) != 1 || m.dlpi_phdr == NULL) {
        return 0;
    }

    d = NULL;
    for (i = 0; i < m.dlpi_phnum; i++) {
        if (m.dlpi_phdr[i].p_type == PT_DYNAMIC) {
            d = (const ElfW(Dyn) *) (m.dlpi_addr + m.dlpi_phdr[i].p_vaddr);
        }
    }

    if (d == NULL) {
        return 0;
    }

    gnu = sysv = 0;
    str = NULL;
    sym = NULL;
    strsz = 0;

    for ( /* void */ ; d->d_tag != DT_NULL; d++) {
        switch (d->d_tag) {
        case DT_GNU_HASH:
            gnu = pp_elf_dynptr(m.dlpi_addr, d->d_un.d_ptr);
            break;
        case DT_HASH:
            sysv = pp_elf_dynptr(m.dlpi_addr, d->d_un.d_ptr);
            break;
        case DT_SYMTAB:
            sym = (const Elf64_Sym *) pp_elf_dynptr(m.dlpi_addr, d->d_un.d_ptr);
            break;
        case DT_STRTAB:
            str = (const char *) pp_elf_dynptr(m.dlpi_addr, d->d_un.d_ptr);
            break;
        case DT_STRSZ:
            strsz = d->d_un.d_val;
            break;
        }
    }

    if (sym == NULL || str == NULL || (gnu == 0 && sysv == 0)) {
        return 0;
    }

    if (gnu) {
        /* DT_GNU_HASH: buckets of ascending symbol indexes, bit 0 ends */
        w = (const uint32_t *) gnu;
        nbucket = w[0];
        symoff = w[1];
        nbloom = w[2];

        if (nbucket == 0) {
            return 0;
        }

        bucket = w + 4 + (size_t) nbloom * 2;
        chain = bucket + nbucket;

        h = 5381;
        for (p = (const unsigned char *) name; *p; p++) {
            h = h * 33 + *p;
        }

        k = bucket[h % nbucket];
        if (k < symoff) {
            return 0;
        }

        for (n = 0; n < PP_ELF_MAX_CHAIN; n++, k++) {
            c = chain[k - symoff];

            if ((c | 1) == (h | 1)
                && pp_elf_exported(&sym[k], str, strsz, name))
            {
                return 1;
            }

            if (c & 1) {
                break;
            }
        }

        return 0;
    }

    /* DT_HASH */
    w = (const uint32_t *) sysv;
    nbucket = w[0];

    if (nbucket == 0) {
        return 0;
    }

    bucket = w + 2;
    chain = bucket + nbucket;

    h = 0;
    for (p = (const unsigned char *) name; *p; p++) {
        h = (h << 4) + *p;
        c = h & 0xf0000000;
        h ^= c >> 24;
        h &= ~c;
    }

    n = 0;
    for (k = bucket[h % nbucket]; k != STN_UNDEF && k < w[1] && n < w[1];
         k = chain[k])
    {
        if (pp_elf_exported(&sym[k], str, strsz, name)) {
            return 1;
        }
        n++;
    }

    return 0;
}


void
pp_elf_check(void)
{
    size_t     size;
    uintptr_t  addr;
    pp_elf_t   elf;

    ok(pp_elf_open(&elf) == 0, "pp_elf_open on the test binary");
    ok(pp_elf_lookup(&elf, "pp_fx_riplea", &addr, &size) == 0
       && addr == (uintptr_t) pp_fx_riplea && size == 23,
       "pp_elf_lookup: address and size of pp_fx_riplea");
    ok(pp_elf_lookup(&elf, "pp_fx_counter", &addr, &size) == 0
       && addr == (uintptr_t) &pp_fx_counter && size == 4,
       "pp_elf_lookup: an object, pp_fx_counter");
    ok(pp_elf_lookup(&elf, "pp_fx_no_such_function", &addr, &size) != 0,
       "pp_elf_lookup: a missing name is not found");
    ok(pp_elf_lookup(&elf, "ZydisDecoderInit", &addr, &size) != 0,
       "pp_elf_lookup: an undefined (imported) name is not found");
    ok(strstr(pp_elf_path(&elf), "test_patch") != NULL,
       "pp_elf_path: %s", pp_elf_path(&elf));
    pp_elf_close(&elf);

    ok(pp_elf_find("pp_fx_tiny", &addr, &size) == 0
       && addr == (uintptr_t) pp_fx_tiny && size == 3,
       "pp_elf_find: address and size of pp_fx_tiny");

    ok(pp_elf_exports("pp_fx_riplea") == 1
       && pp_elf_exports("pp_fx_counter") == 1,
       "pp_elf_exports: an exported function and object");
    ok(pp_elf_exports("pp_fx_no_such_function") == 0
       && pp_elf_exports("ZydisDecoderInit") == 0 && pp_elf_exports("") == 0,
       "pp_elf_exports: missing and imported names");
}
