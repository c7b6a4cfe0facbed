/*
 * Debug files: where the symbols of a stripped object come from.
 * pp_debuginfo.c looks on this machine (DIR/.build-id, .gnu_debuglink)
 * and checks every candidate; pp_debuginfod.c fetches the debug file
 * from the servers in $DEBUGINFOD_URLS, within one deadline for the
 * whole report.  A debug file is read only when its build-id is the
 * object's (without a build-id: the CRC that .gnu_debuglink names).
 */

#ifndef _PP_DEBUGINFO_H_INCLUDED_
#define _PP_DEBUGINFO_H_INCLUDED_

#include <libelf.h>
#include <stddef.h>
#include <stdint.h>


#define PP_DEBUG_DIR            "/usr/lib/debug"    /* --debug-dir */
#define PP_DEBUGINFOD_TIMEOUT   30      /* seconds, all fetches together */
#define PP_DEBUGINFOD_MAX       3600    /* --debuginfod-timeout at most */
#define PP_DEBUG_SIZE_MAX       (4ULL << 30)    /* larger: not read */

/* the command line's choices, before the first report; 0 or -1 with a
 * message */
int pp_debuginfo_dir(const char *dir);
int pp_debuginfod_timeout(const char *seconds);
void pp_debuginfod_off(void);

/*
 * the debug file of the object elf, read from path, with its descriptor
 * in *fd; NULL when there is none.  id is the recorded build-id (len 0:
 * the file's own is used).
 */
Elf *pp_debuginfo_open(Elf *elf, const char *path, const uint8_t *id,
    size_t len, int *fd);

/* pp_debuginfod.c: the path of the fetched file in the cache, malloc()ed;
 * NULL when no server has it, within the deadline */
char *pp_debuginfod_find(const uint8_t *id, size_t len, const char *name);

/* pp_symtab.c: the GNU build-id note of an ELF file; its length, 0 if none */
size_t pp_elf_note_build_id(Elf *elf, uint8_t *id, size_t max);


#endif /* _PP_DEBUGINFO_H_INCLUDED_ */
