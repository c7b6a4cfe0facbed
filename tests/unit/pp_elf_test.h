/*
 * ELF helpers that only the tests use, on top of the shim's pp_elf.h,
 * and test_patch's checks of them (pp_elf_test.c).
 */

#ifndef _PP_ELF_TEST_H_INCLUDED_
#define _PP_ELF_TEST_H_INCLUDED_

#include <stddef.h>
#include <stdint.h>


/* one lookup: pp_elf_open(), pp_elf_lookup(), pp_elf_close() */
int pp_elf_find(const char *name, uintptr_t *addr, size_t *size);

/*
 * 1 when the main program exports name, from its dynamic symbol table in
 * memory (hash lookup, no file is read)
 */
int pp_elf_exports(const char *name);

/* TAP tests of pp_elf.c and of these two */
void pp_elf_check(void);


#endif /* _PP_ELF_TEST_H_INCLUDED_ */
