/*
 * Looks functions up in the main program's ELF file.  The file is
 * treated as untrusted: every offset is checked against its size.
 */

#define _GNU_SOURCE
#include <fcntl.h>
#include <link.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pp_elf.h"


static int pp_elf_first(struct dl_phdr_info *info, size_t size, void *data);
static int pp_elf_section(pp_elf_t *e, uint32_t type, const Elf64_Sym **syms,
    size_t *nsyms, const char **str, size_t *str_size);


static int
pp_elf_first(struct dl_phdr_info *info, size_t size, void *data)
{
    (void) size;

    /* the main program comes first */
    *(uintptr_t *) data = info->dlpi_addr;

    return 1;
}


int
pp_elf_open(pp_elf_t *e)
{
    int                fd;
    ssize_t            n;
    struct stat        st;
    const Elf64_Ehdr  *eh;

    memset(e, 0, sizeof(pp_elf_t));

    n = readlink("/proc/self/exe", e->path, sizeof(e->path) - 1);
    if (n <= 0) {
        return -1;
    }
    e->path[n] = '\0';

    fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        return -1;
    }

    if (fstat(fd, &st) == -1 || (size_t) st.st_size < sizeof(Elf64_Ehdr)) {
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
        || eh->e_machine != EM_X86_64
        || eh->e_shentsize != sizeof(Elf64_Shdr)
        || eh->e_shoff > e->size
        || (uint64_t) eh->e_shnum * sizeof(Elf64_Shdr) > e->size - eh->e_shoff)
    {
        pp_elf_close(e);
        return -1;
    }

    dl_iterate_phdr(pp_elf_first, &e->base);

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

        if (s->sh_offset > e->size || s->sh_size > e->size - s->sh_offset
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


static int
pp_elf_find(const Elf64_Sym *syms, size_t n, const char *str, size_t str_size,
    const char *name, const Elf64_Sym **found)
{
    size_t            i, len;
    unsigned          t;
    const Elf64_Sym  *s;

    len = strlen(name);

    for (i = 0; i < n; i++) {
        s = &syms[i];
        t = ELF64_ST_TYPE(s->st_info);

        if ((t != STT_FUNC && t != STT_OBJECT) || s->st_shndx == SHN_UNDEF
            || s->st_name >= str_size || str_size - s->st_name <= len)
        {
            continue;
        }

        if (memcmp(str + s->st_name, name, len + 1) == 0) {
            *found = s;
            return 0;
        }
    }

    return -1;
}


int
pp_elf_lookup(pp_elf_t *e, const char *name, uintptr_t *addr, size_t *size)
{
    const Elf64_Sym  *s;

    if (pp_elf_find(e->dynsym, e->ndynsym, e->dynstr, e->dynstr_size, name,
                    &s) != 0
        && pp_elf_find(e->symtab, e->nsymtab, e->strtab, e->strtab_size, name,
                       &s) != 0)
    {
        return -1;
    }

    *addr = e->base + s->st_value;
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
