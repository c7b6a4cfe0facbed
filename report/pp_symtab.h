/*
 * An object file's symbol table, shared by pp_symtab.c (its symbols) and
 * pp_dwarf.c (its source lines).
 */

#ifndef _PP_SYMTAB_H_INCLUDED_
#define _PP_SYMTAB_H_INCLUDED_

#include <elfutils/libdw.h>
#include <libelf.h>

#include "pp_report.h"


/*
 * end[] and zero[] summarize the symbols up to this one, sorted by
 * value, for functions alone ([0]) and for every symbol ([1]): the
 * highest end of a sized one, and 1 + the index of the last one without
 * a size (0: none).  An address in a gap, above every end, is answered
 * without a scan.
 */
typedef struct {
    uint64_t                value;
    uint64_t                size;
    const char             *name;       /* in the Elf's string table */
    int                     func;
    uint32_t                zero[2];
    uint64_t                end[2];
} pp_sym_t;

struct pp_symtab_s {
    char                   *path;       /* the object's, for its debuglink */
    int                     fd;
    int                     dfd;        /* the debug file, or -1 */
    Elf                    *elf;
    Elf                    *delf;
    Dwarf                  *dw;
    pp_sym_t               *syms;
    size_t                  nsyms;
};


#endif /* _PP_SYMTAB_H_INCLUDED_ */
