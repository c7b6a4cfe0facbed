/*
 * Source lines: the file:line of an offset in an object, from its DWARF
 * (pp_symtab_load() opened it, from the file or its debug file).
 */

#define _GNU_SOURCE
#include <elfutils/libdw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp_symtab.h"


/* without .debug_aranges (clang emits none), every CU is asked */
static int
pp_sym_cu(const pp_symtab_t *st, uint64_t off, Dwarf_Die *cu)
{
    size_t      hsize;
    Dwarf_Off   o, next;

    for (o = 0; dwarf_nextcu(st->dw, o, &next, &hsize, NULL, NULL, NULL)
                == 0;
         o = next)
    {
        if (dwarf_offdie(st->dw, o + hsize, cu) != NULL
            && dwarf_haspc(cu, off) == 1)
        {
            return 0;
        }
    }

    return -1;
}


/* "file.c:123", or "" */
char *
pp_symtab_source(const pp_symtab_t *st, uint64_t off)
{
    int          line;
    char        *s;
    const char  *file;
    Dwarf_Die    cu;
    Dwarf_Line  *l;

    if (st->dw == NULL) {
        return strdup("");
    }

    if (dwarf_addrdie(st->dw, off, &cu) == NULL && pp_sym_cu(st, off, &cu)
                                                   != 0)
    {
        return strdup("");
    }

    l = dwarf_getsrc_die(&cu, off);
    if (l == NULL || dwarf_lineno(l, &line) != 0) {
        return strdup("");
    }

    file = dwarf_linesrc(l, NULL, NULL);
    if (file == NULL || asprintf(&s, "%s:%d", file, line) == -1) {
        return strdup("");
    }

    return s;
}
