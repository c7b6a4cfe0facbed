/*
 * Symbols of the main program, read from its ELF file: .dynsym (nginx
 * links with -Wl,-E, so every ngx_* function is there even stripped)
 * and .symtab when present.  No libelf and no malloc: this runs in a
 * constructor inside nginx.
 */

#ifndef _PP_ELF_H_INCLUDED_
#define _PP_ELF_H_INCLUDED_

#include <elf.h>
#include <stddef.h>
#include <stdint.h>


#define PP_ELF_MAX_LOADS  16


typedef struct {
    uintptr_t               start;      /* run-time addresses */
    uintptr_t               end;
    uint32_t                flags;      /* PF_X, PF_W, PF_R */
} pp_elf_load_t;


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
    pp_elf_load_t           load[PP_ELF_MAX_LOADS];
    size_t                  nload;
    char                    path[256];
} pp_elf_t;


/* 0 when the main program's file is mapped and has a symbol table */
int pp_elf_open(pp_elf_t *e);

/*
 * 0 when name is a defined function or object of the main program whose
 * [addr, addr + size) lies in one of its loaded segments (an executable
 * one for a function); addr is the run-time address
 */
int pp_elf_lookup(pp_elf_t *e, const char *name, uintptr_t *addr,
    size_t *size);

const char *pp_elf_path(pp_elf_t *e);
void pp_elf_close(pp_elf_t *e);


#endif /* _PP_ELF_H_INCLUDED_ */
