/*
 * Symbols of the main program, read from its ELF file: .dynsym (nginx
 * links with -Wl,-E, so every ngx_* function is there even stripped)
 * and .symtab when present.
 */

#ifndef _PP_ELF_H_INCLUDED_
#define _PP_ELF_H_INCLUDED_

#include <elf.h>
#include <stddef.h>
#include <stdint.h>


typedef struct pp_elf_s {
    const unsigned char    *map;
    size_t                  size;
    uintptr_t               base;       /* load bias */
    const Elf64_Sym        *dynsym;
    size_t                  ndynsym;
    const char             *dynstr;
    size_t                  dynstr_size;
    const Elf64_Sym        *symtab;
    size_t                  nsymtab;
    const char             *strtab;
    size_t                  strtab_size;
    char                    path[256];
} pp_elf_t;


int pp_elf_open(pp_elf_t *e);
int pp_elf_lookup(pp_elf_t *e, const char *name, uintptr_t *addr,
    size_t *size);
const char *pp_elf_path(pp_elf_t *e);
void pp_elf_close(pp_elf_t *e);


#endif /* _PP_ELF_H_INCLUDED_ */
