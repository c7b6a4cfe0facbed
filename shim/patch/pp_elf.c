/*
 * Looks functions up in the main program's ELF file.  The file is
 * treated as untrusted: every offset is checked against its size, and a
 * symbol is only returned when it lies in a segment that the loader
 * mapped, so the patcher never reads outside the program's memory.
 */

#define _GNU_SOURCE
#include <fcntl.h>
#include <link.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pp_elf.h"


/* the machine this shim runs on, and so the main program's */
#if defined(__aarch64__)
#define PP_ELF_MACHINE  EM_AARCH64
#else
#define PP_ELF_MACHINE  EM_X86_64
#endif


typedef struct {
    uintptr_t               base;
    const ElfW(Phdr)       *phdr;
    size_t                  phnum;
} pp_elf_main_t;


static int pp_elf_first(struct dl_phdr_info *info, size_t size, void *data);
static int pp_elf_section(pp_elf_t *e, uint32_t type, const Elf64_Sym **syms,
    size_t *nsyms, const char **str, size_t *str_size);
static const Elf64_Sym *pp_elf_search(const Elf64_Sym *syms, size_t n,
    const char *str, size_t str_size, const char *name);
static int pp_elf_mapped(pp_elf_t *e, uintptr_t addr, size_t size,
    uint32_t flags);


static int
pp_elf_first(struct dl_phdr_info *info, size_t size, void *data)
{
    pp_elf_main_t  *m;

    (void) size;

    /* the main program comes first */
    m = data;
    m->base = info->dlpi_addr;
    m->phdr = info->dlpi_phdr;
    m->phnum = info->dlpi_phnum;

    return 1;
}


int
pp_elf_open(pp_elf_t *e)
{
    int                fd;
    size_t             i;
    ssize_t            n;
    struct stat        st;
    pp_elf_main_t      m;
    const Elf64_Ehdr  *eh;

    memset(e, 0, sizeof(pp_elf_t));
    memset(&m, 0, sizeof(pp_elf_main_t));

    n = readlink("/proc/self/exe", e->path, sizeof(e->path) - 1);
    if (n <= 0) {
        return -1;
    }
    e->path[n] = '\0';

    if (dl_iterate_phdr(pp_elf_first, &m) != 1 || m.phdr == NULL) {
        return -1;
    }

    e->base = m.base;

    for (i = 0; i < m.phnum && e->nload < PP_ELF_MAX_LOADS; i++) {
        if (m.phdr[i].p_type != PT_LOAD) {
            continue;
        }

        e->load[e->nload].start = m.base + m.phdr[i].p_vaddr;
        e->load[e->nload].end = m.base + m.phdr[i].p_vaddr
                                + m.phdr[i].p_memsz;
        e->load[e->nload].flags = m.phdr[i].p_flags;
        e->nload++;
    }

    /* the inode that was executed, even if the path was replaced since */
    fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        return -1;
    }

    if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)
        || (size_t) st.st_size < sizeof(Elf64_Ehdr))
    {
        close(fd);
        return -1;
    }

    e->map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);

    if (e->map == MAP_FAILED) {
        e->map = NULL;
        return -1;
    }

    e->size = st.st_size;
    eh = (const Elf64_Ehdr *) e->map;

    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0
        || eh->e_ident[EI_CLASS] != ELFCLASS64
        || eh->e_machine != PP_ELF_MACHINE
        || eh->e_shentsize != sizeof(Elf64_Shdr)
        || eh->e_shoff % 8 != 0
        || eh->e_shoff > e->size
        || (uint64_t) eh->e_shnum * sizeof(Elf64_Shdr) > e->size - eh->e_shoff)
    {
        pp_elf_close(e);
        return -1;
    }

    pp_elf_section(e, SHT_DYNSYM, &e->dynsym, &e->ndynsym, &e->dynstr,
                   &e->dynstr_size);
    pp_elf_section(e, SHT_SYMTAB, &e->symtab, &e->nsymtab, &e->strtab,
                   &e->strtab_size);

    if (e->dynsym == NULL && e->symtab == NULL) {
        pp_elf_close(e);
        return -1;
    }

    return 0;
}


/* the first section of that type, with its string table, all in the file */
static int
pp_elf_section(pp_elf_t *e, uint32_t type, const Elf64_Sym **syms,
    size_t *nsyms, const char **str, size_t *str_size)
{
    size_t             i;
    const Elf64_Ehdr  *eh;
    const Elf64_Shdr  *sh, *s, *l;

    eh = (const Elf64_Ehdr *) e->map;
    sh = (const Elf64_Shdr *) (e->map + eh->e_shoff);

    for (i = 0; i < eh->e_shnum; i++) {
        s = &sh[i];

        if (s->sh_type != type || s->sh_link >= eh->e_shnum) {
            continue;
        }

        l = &sh[s->sh_link];

        if (l->sh_type != SHT_STRTAB
            || s->sh_offset > e->size || s->sh_size > e->size - s->sh_offset
            || l->sh_offset > e->size || l->sh_size > e->size - l->sh_offset
            || l->sh_size == 0 || s->sh_offset % 8 != 0)
        {
            return -1;
        }

        *syms = (const Elf64_Sym *) (e->map + s->sh_offset);
        *nsyms = s->sh_size / sizeof(Elf64_Sym);
        *str = (const char *) (e->map + l->sh_offset);
        *str_size = l->sh_size;

        return 0;
    }

    return -1;
}


static const Elf64_Sym *
pp_elf_search(const Elf64_Sym *syms, size_t n, const char *str,
    size_t str_size, const char *name)
{
    size_t            i, len;
    unsigned          t;
    const Elf64_Sym  *s;

    len = strlen(name);

    for (i = 0; i < n; i++) {
        s = &syms[i];
        t = ELF64_ST_TYPE(s->st_info);

        /* the name and its NUL must lie inside the string table */
        if ((t != STT_FUNC && t != STT_OBJECT) || s->st_shndx == SHN_UNDEF
            || s->st_name >= str_size || str_size - s->st_name <= len)
        {
            continue;
        }

        if (memcmp(str + s->st_name, name, len + 1) == 0) {
            return s;
        }
    }

    return NULL;
}


static int
pp_elf_mapped(pp_elf_t *e, uintptr_t addr, size_t size, uint32_t flags)
{
    size_t  i;

    for (i = 0; i < e->nload; i++) {
        if ((e->load[i].flags & flags) == flags
            && addr >= e->load[i].start && addr < e->load[i].end
            && size <= e->load[i].end - addr)
        {
            return 1;
        }
    }

    return 0;
}


int
pp_elf_lookup(pp_elf_t *e, const char *name, uintptr_t *addr, size_t *size)
{
    uintptr_t         a;
    const Elf64_Sym  *s;

    s = pp_elf_search(e->dynsym, e->ndynsym, e->dynstr, e->dynstr_size, name);

    if (s == NULL) {
        s = pp_elf_search(e->symtab, e->nsymtab, e->strtab, e->strtab_size,
                          name);
        if (s == NULL) {
            return -1;
        }
    }

    a = e->base + s->st_value;

    if (!pp_elf_mapped(e, a, s->st_size,
                       ELF64_ST_TYPE(s->st_info) == STT_FUNC ? PF_X : 0))
    {
        return -1;
    }

    *addr = a;
    *size = s->st_size;

    return 0;
}


const char *
pp_elf_path(pp_elf_t *e)
{
    return e->path;
}


void
pp_elf_close(pp_elf_t *e)
{
    if (e->map != NULL) {
        munmap((void *) e->map, e->size);
        e->map = NULL;
    }
}
