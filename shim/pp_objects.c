/*
 * The objects mapped into this process (the executable, its libraries,
 * nginx's modules), recorded in the shard so that the reporter can name
 * raw addresses offline.  Found with dl_iterate_phdr(): at start-up,
 * after fork(), and whenever a new call site lies in no object recorded
 * yet (a module that load_module or a library loaded since), when the
 * loader's count of loads and unloads says that something changed.  No
 * dlopen() interposer: it would make glibc resolve $ORIGIN and RUNPATH
 * for the shim instead of the real caller.
 */

#define _GNU_SOURCE
#include <elf.h>
#include <limits.h>
#include <link.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pp_shim.h"


static int pp_object_cb(struct dl_phdr_info *info, size_t size, void *data);
static int pp_objects_probe(struct dl_phdr_info *info, size_t size,
    void *data);

static unsigned long long  pp_adds, pp_subs;    /* the loader's, seen last */
static int                 pp_full;             /* dropped one this scan */


/* records every loaded object not yet in this shard's table */
void
pp_objects_scan(void)
{
    if (pp_proc.shard != NULL) {
        pp_full = 0;
        dl_iterate_phdr(pp_object_cb, NULL);
    }
}


static int
pp_objects_probe(struct dl_phdr_info *info, size_t size, void *data)
{
    if (size < offsetof(struct dl_phdr_info, dlpi_subs)
               + sizeof(info->dlpi_subs))
    {
        *(int *) data = 1;
        return 1;
    }

    *(int *) data = info->dlpi_adds != pp_adds || info->dlpi_subs != pp_subs;
    pp_adds = info->dlpi_adds;
    pp_subs = info->dlpi_subs;

    return 1;
}


/* a new site: if it lies in no object known, and objects came or went */
void
pp_objects_check(uintptr_t addr)
{
    int           changed;
    uint32_t      k;
    pp_object_t  *o;

    for (k = 0; k < pp_proc.nobjects; k++) {
        o = &pp_proc.objects[k];
        if (addr >= o->lo && addr < o->hi) {
            return;
        }
    }

    changed = 0;
    dl_iterate_phdr(pp_objects_probe, &changed);

    if (changed) {
        pp_objects_scan();
    }
}


static int
pp_object_cb(struct dl_phdr_info *info, size_t size, void *data)
{
    int               i;
    char              real[PATH_MAX];
    uint32_t          k, n;
    uint64_t          lo, hi, a;
    struct stat       st;
    pp_object_t      *o;
    const char       *name;
    const ElfW(Nhdr) *nh;
    const char       *p, *end;

    (void) size;
    (void) data;

    n = pp_proc.nobjects;

    /*
     * The file itself, not the soname link the loader opened: the
     * reporter follows no symbolic link a segment names
     */
    name = info->dlpi_name;
    if (name[0] != '\0' && realpath(name, real) != NULL) {
        name = real;
    }

    for (k = 0; k < n; k++) {
        if (pp_proc.objects[k].base == info->dlpi_addr
            && (name[0] == '\0'
                || strncmp(pp_proc.objects[k].path, name,
                           PP_PATH_MAX - 1) == 0))
        {
            return 0;
        }
    }

    if (n >= pp_proc.lay.nobjects) {
        if (!pp_full) {
            pp_full = 1;
            __atomic_fetch_add(&pp_proc.seg->objects_dropped, 1,
                               __ATOMIC_RELAXED);
        }
        return 0;
    }

    o = &pp_proc.objects[n];
    memset(o, 0, sizeof(pp_object_t));

    if (info->dlpi_name[0] == '\0') {
        if (n != 0 || readlink("/proc/self/exe", o->path,
                               PP_PATH_MAX - 1) <= 0)
        {
            return 0;   /* the vDSO and friends */
        }

    } else {
        k = (uint32_t) strnlen(name, PP_PATH_MAX - 1);
        memcpy(o->path, name, k);
        o->path[k] = '\0';
    }

    lo = UINT64_MAX;
    hi = 0;

    for (i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr)  *ph = &info->dlpi_phdr[i];

        a = info->dlpi_addr + ph->p_vaddr;

        if (ph->p_type == PT_LOAD) {
            lo = a < lo ? a : lo;
            hi = a + ph->p_memsz > hi ? a + ph->p_memsz : hi;
        }

        if (ph->p_type != PT_NOTE) {
            continue;
        }

        p = (const char *) a;
        end = p + ph->p_memsz;

        while (p + sizeof(ElfW(Nhdr)) <= end) {
            nh = (const ElfW(Nhdr) *) p;
            p += sizeof(ElfW(Nhdr)) + ((nh->n_namesz + 3) & ~3u);

            if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4
                && memcmp(nh + 1, "GNU", 4) == 0
                && nh->n_descsz <= PP_BUILD_ID_MAX && p + nh->n_descsz <= end)
            {
                memcpy(o->build_id, p, nh->n_descsz);
                o->build_id_len = nh->n_descsz;
            }

            p += (nh->n_descsz + 3) & ~3u;
        }
    }

    o->base = info->dlpi_addr;
    o->lo = lo == UINT64_MAX ? 0 : lo;
    o->hi = hi;

    if (stat(o->path, &st) == 0) {
        o->dev = st.st_dev;
        o->ino = st.st_ino;
        o->mtime = st.st_mtime;
        o->file_size = st.st_size;
    }

    pp_proc.nobjects = n + 1;
    __atomic_store_n(&pp_proc.shard->nobjects_used, n + 1, __ATOMIC_RELEASE);

    return 0;
}


/*
 * Which objects are nginx's side: the executable, and every object that
 * imports an ngx_ symbol (nginx's modules do, the libraries they use do
 * not).  Decided once per object from its dynamic section in memory, at
 * the first new site in it; the slow path only.
 */

#define PP_SIDES  64

#if UINTPTR_MAX == 0xffffffffffffffffULL
#define PP_R_SYM(info)  ELF64_R_SYM(info)
#else
#define PP_R_SYM(info)  ELF32_R_SYM(info)
#endif

typedef struct {
    uintptr_t               lo;
    uintptr_t               hi;
    int                     side;       /* 1: nginx or a module */
} pp_side_t;

typedef struct {
    uintptr_t               addr;
    int                     index;      /* of the object in the walk */
    int                     found;
    pp_side_t               s;
} pp_side_want_t;

static pp_side_t           pp_sides[PP_SIDES];
static uint32_t            pp_nsides;
static unsigned long long  pp_side_adds, pp_side_subs;


/* the address of n bytes at v in the object, or 0 when none of its
 * loaded segments holds them all: d_ptr is relocated, or not */
static uintptr_t
pp_side_ptr(const struct dl_phdr_info *info, uintptr_t v, size_t n)
{
    int                i, k;
    uintptr_t          a, lo;
    const ElfW(Phdr)  *ph;

    for (k = 0; k < 2; k++) {
        a = k == 0 ? v : v + info->dlpi_addr;

        for (i = 0; i < info->dlpi_phnum; i++) {
            ph = &info->dlpi_phdr[i];
            lo = info->dlpi_addr + ph->p_vaddr;

            if (ph->p_type == PT_LOAD && (ph->p_flags & PF_R)
                && a >= lo && n <= ph->p_memsz && a - lo <= ph->p_memsz - n)
            {
                return a;
            }
        }
    }

    return 0;
}


/* 1 when one of the relocations at rel (sz bytes) binds an undefined
 * ngx_ symbol */
static int
pp_side_imports(const struct dl_phdr_info *info, uintptr_t rel, size_t sz,
    uintptr_t symtab, uintptr_t strtab, size_t strsz)
{
    size_t             i, n, sym;
    uintptr_t          a;
    const ElfW(Rela)  *r;
    const ElfW(Sym)   *s;

    n = sz / sizeof(ElfW(Rela));
    r = (const ElfW(Rela) *) pp_side_ptr(info, rel, n * sizeof(ElfW(Rela)));

    for (i = 0; r != NULL && i < n; i++) {
        sym = PP_R_SYM(r[i].r_info);
        if (sym == 0) {
            continue;
        }

        a = pp_side_ptr(info, symtab + sym * sizeof(ElfW(Sym)),
                        sizeof(ElfW(Sym)));
        if (a == 0) {
            continue;
        }

        s = (const ElfW(Sym) *) a;
        if (s->st_shndx != SHN_UNDEF || s->st_name + 4 >= strsz) {
            continue;
        }

        if (memcmp((const char *) strtab + s->st_name, "ngx_", 4) == 0) {
            return 1;
        }
    }

    return 0;
}


static int
pp_side_of(const struct dl_phdr_info *info)
{
    int                i;
    size_t             strsz, relsz, pltsz, n;
    uintptr_t          symtab, strtab, rel, plt;
    const ElfW(Dyn)   *d;
    const ElfW(Phdr)  *ph;

    d = NULL;
    n = 0;

    for (i = 0; i < info->dlpi_phnum; i++) {
        ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_DYNAMIC) {
            n = ph->p_memsz / sizeof(ElfW(Dyn));
            d = (const ElfW(Dyn) *) pp_side_ptr(info, ph->p_vaddr,
                                                n * sizeof(ElfW(Dyn)));
        }
    }

    if (d == NULL) {
        return 0;
    }

    symtab = strtab = rel = plt = 0;
    strsz = relsz = pltsz = 0;

    for ( /* void */ ; n > 0 && d->d_tag != DT_NULL; n--, d++) {
        switch (d->d_tag) {
        case DT_SYMTAB:   symtab = d->d_un.d_ptr; break;
        case DT_STRTAB:   strtab = d->d_un.d_ptr; break;
        case DT_STRSZ:    strsz = d->d_un.d_val; break;
        case DT_RELA:     rel = d->d_un.d_ptr; break;
        case DT_RELASZ:   relsz = d->d_un.d_val; break;
        case DT_JMPREL:   plt = d->d_un.d_ptr; break;
        case DT_PLTRELSZ: pltsz = d->d_un.d_val; break;
        }
    }

    strtab = pp_side_ptr(info, strtab, strsz);

    if (symtab == 0 || strtab == 0) {
        return 0;
    }

    return pp_side_imports(info, rel, relsz, symtab, strtab, strsz)
           || pp_side_imports(info, plt, pltsz, symtab, strtab, strsz);
}


static int
pp_side_cb(struct dl_phdr_info *info, size_t size, void *data)
{
    int              i;
    uintptr_t        lo, hi, a;
    pp_side_want_t  *w;

    (void) size;

    w = data;
    lo = UINTPTR_MAX;
    hi = 0;

    for (i = 0; i < info->dlpi_phnum; i++) {
        if (info->dlpi_phdr[i].p_type == PT_LOAD) {
            a = info->dlpi_addr + info->dlpi_phdr[i].p_vaddr;
            lo = a < lo ? a : lo;
            a += info->dlpi_phdr[i].p_memsz;
            hi = a > hi ? a : hi;
        }
    }

    if (w->addr < lo || w->addr >= hi) {
        w->index++;
        return 0;
    }

    w->found = 1;
    w->s.lo = lo;
    w->s.hi = hi;
    /* the executable comes first */
    w->s.side = w->index == 0 || pp_side_of(info);

    return 1;
}


/* the loader's counts of loads and unloads */
static int
pp_side_counts(struct dl_phdr_info *info, size_t size, void *data)
{
    unsigned long long  *c = data;

    if (size >= offsetof(struct dl_phdr_info, dlpi_subs)
                + sizeof(info->dlpi_subs))
    {
        c[0] = info->dlpi_adds;
        c[1] = info->dlpi_subs;
    }

    return 1;
}


/* 1 when addr lies in nginx or in one of its modules */
int
pp_objects_nginx_side(uintptr_t addr)
{
    uint32_t            i;
    pp_side_want_t      w;
    unsigned long long  c[2];

    /* an object that came or went may have taken a range of the cache */
    c[0] = c[1] = 0;
    dl_iterate_phdr(pp_side_counts, c);

    if (c[0] != pp_side_adds || c[1] != pp_side_subs) {
        pp_side_adds = c[0];
        pp_side_subs = c[1];
        pp_nsides = 0;
    }

    for (i = 0; i < pp_nsides; i++) {
        if (addr >= pp_sides[i].lo && addr < pp_sides[i].hi) {
            return pp_sides[i].side;
        }
    }

    memset(&w, 0, sizeof(w));
    w.addr = addr;
    dl_iterate_phdr(pp_side_cb, &w);

    if (!w.found) {
        return 0;
    }

    if (pp_nsides < PP_SIDES) {
        pp_sides[pp_nsides++] = w.s;
    }

    return w.s.side;
}
