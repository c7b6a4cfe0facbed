/*
 * The debug file of a stripped object, in the order gdb and elfutils
 * look: DIR/.build-id/xx/yyyy.debug (DIR is --debug-dir, by default
 * /usr/lib/debug), then the name that .gnu_debuglink gives, in the
 * object's directory, its .debug/ subdirectory and DIR/<directory>,
 * then debuginfod (pp_debuginfod.c).  Candidates are untrusted input:
 * each is opened by pp_open_regular() (a regular file, or nothing; a
 * symbolic link is followed, as Fedora's .build-id links need), must be
 * at most PP_DEBUG_SIZE_MAX bytes, an ELF file of the object's class,
 * byte order and machine, with the object's build-id or, when the
 * object has none, the CRC of its .gnu_debuglink.  A debuglink name
 * holds no '/'.  A missing candidate is not mentioned; one that exists
 * and is refused is, once.
 */

#define _GNU_SOURCE
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pp_report.h"
#include "pp_debuginfo.h"


#define PP_LINK_MAX   256     /* a .gnu_debuglink name, with its NUL */

/* what a candidate must match: the object's */
typedef struct {
    Elf                    *elf;
    const char             *path;
    struct stat             sb;
    GElf_Ehdr               eh;
    uint8_t                 id[PP_BUILD_ID_MAX];
    size_t                  len;
    int                     has_crc;
    uint32_t                crc;        /* of .gnu_debuglink */
    char                    link[PP_LINK_MAX];
} pp_dbg_want_t;


static char  pp_debug_dir[PATH_MAX] = PP_DEBUG_DIR;


int
pp_debuginfo_dir(const char *dir)
{
    size_t       n;
    struct stat  sb;

    if (stat(dir, &sb) == -1 || !S_ISDIR(sb.st_mode)) {
        pp_error("--debug-dir %s: not a directory", dir);
        return -1;
    }

    n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') {
        n--;
    }

    /* room for /.build-id/xx/<62 digits>.debug and for a directory */
    if (n >= sizeof(pp_debug_dir) - 128) {
        pp_error("--debug-dir: too long");
        return -1;
    }

    memcpy(pp_debug_dir, dir, n);
    pp_debug_dir[n] = '\0';

    return 0;
}


/* CRC-32 (IEEE 802.3, reflected), the checksum of .gnu_debuglink */
static uint32_t
pp_crc32(uint32_t crc, const unsigned char *p, size_t n)
{
    int              k;
    uint32_t         c;
    size_t           i;
    static uint32_t  table[256];
    static int       ready;

    if (!ready) {
        for (i = 0; i < 256; i++) {
            c = (uint32_t) i;
            for (k = 0; k < 8; k++) {
                c = (c & 1) ? 0xedb88320U ^ (c >> 1) : c >> 1;
            }
            table[i] = c;
        }
        ready = 1;
    }

    crc = ~crc;
    for (i = 0; i < n; i++) {
        crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    }

    return ~crc;
}


/* the CRC of the whole file, size bytes; 0 on success */
static int
pp_file_crc(int fd, uint64_t size, uint32_t *crc)
{
    ssize_t        n;
    uint64_t       off;
    unsigned char  buf[65536];

    *crc = 0;

    for (off = 0; off < size; off += (uint64_t) n) {
        n = pread(fd, buf, sizeof(buf), (off_t) off);
        if (n <= 0) {
            return -1;
        }
        *crc = pp_crc32(*crc, buf, (size_t) n);
    }

    return 0;
}


/*
 * .gnu_debuglink: a file name, NUL, padding to 4 bytes, the CRC-32 of
 * the debug file in the object's byte order
 */
static void
pp_debuglink(pp_dbg_want_t *w)
{
    size_t          shstrndx, n, off;
    Elf_Scn        *scn;
    GElf_Shdr       sh;
    Elf_Data       *d;
    const char     *name, *end;
    const uint8_t  *c;

    if (elf_getshdrstrndx(w->elf, &shstrndx) != 0) {
        return;
    }

    for (scn = elf_nextscn(w->elf, NULL); scn;
         scn = elf_nextscn(w->elf, scn))
    {
        if (gelf_getshdr(scn, &sh) == NULL || sh.sh_type != SHT_PROGBITS) {
            continue;
        }

        name = elf_strptr(w->elf, shstrndx, sh.sh_name);
        if (name == NULL || strcmp(name, ".gnu_debuglink") != 0) {
            continue;
        }

        d = elf_getdata(scn, NULL);
        if (d == NULL || d->d_buf == NULL || d->d_size < 6) {
            return;
        }

        name = d->d_buf;
        end = memchr(name, '\0', d->d_size);
        if (end == NULL) {
            return;
        }

        n = (size_t) (end - name);
        off = (n + 1 + 3) & ~(size_t) 3;

        if (n == 0 || n >= sizeof(w->link) || off + 4 > d->d_size
            || memchr(name, '/', n) != NULL
            || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        {
            return;
        }

        c = (const uint8_t *) d->d_buf + off;
        w->crc = w->eh.e_ident[EI_DATA] == ELFDATA2MSB
                 ? (uint32_t) c[0] << 24 | (uint32_t) c[1] << 16
                   | (uint32_t) c[2] << 8 | c[3]
                 : (uint32_t) c[3] << 24 | (uint32_t) c[2] << 16
                   | (uint32_t) c[1] << 8 | c[0];
        w->has_crc = 1;
        memcpy(w->link, name, n + 1);
        return;
    }
}


/* 0 when the ELF file delf is the debug file that w wants */
static int
pp_debug_check(const pp_dbg_want_t *w, Elf *delf, int fd,
    const struct stat *sb, const char **why)
{
    size_t     n;
    uint32_t   crc;
    uint8_t    id[PP_BUILD_ID_MAX];
    GElf_Ehdr  eh;

    if (gelf_getehdr(delf, &eh) == NULL
        || eh.e_ident[EI_CLASS] != w->eh.e_ident[EI_CLASS]
        || eh.e_ident[EI_DATA] != w->eh.e_ident[EI_DATA]
        || eh.e_machine != w->eh.e_machine)
    {
        *why = "not an ELF file for the same machine";
        return -1;
    }

    if (w->len != 0) {
        n = pp_elf_note_build_id(delf, id, sizeof(id));
        if (n != w->len || memcmp(id, w->id, n) != 0) {
            *why = "its build-id differs";
            return -1;
        }

        return 0;
    }

    /* no build-id: only the debuglink's checksum can tell */
    if (!w->has_crc || pp_file_crc(fd, (uint64_t) sb->st_size, &crc) != 0
        || crc != w->crc)
    {
        *why = "its CRC differs from .gnu_debuglink's";
        return -1;
    }

    return 0;
}


/* the candidate at path, if it is the debug file; else NULL */
static Elf *
pp_debug_try(const pp_dbg_want_t *w, const char *path, int *fd)
{
    Elf          *delf;
    char          err[PP_ERR_LEN];
    const char   *why;
    struct stat   sb;

    if (stat(path, &sb) == -1) {
        return NULL;            /* none there: the usual case */
    }

    *fd = pp_open_regular(path, PP_OPEN_FOLLOW, &sb, err, sizeof(err));
    if (*fd == -1) {
        pp_warn_once("skipping debug file %s: %s", path, err);
        return NULL;
    }

    delf = NULL;
    why = "not an ELF file";

    /* the object itself, where the link names its own file */
    if (sb.st_dev == w->sb.st_dev && sb.st_ino == w->sb.st_ino) {
        close(*fd);
        *fd = -1;
        return NULL;
    }

    if ((uint64_t) sb.st_size > PP_DEBUG_SIZE_MAX) {
        why = "larger than 4 GiB";

    } else {
        delf = elf_begin(*fd, ELF_C_READ, NULL);

        if (delf != NULL && elf_kind(delf) == ELF_K_ELF
            && pp_debug_check(w, delf, *fd, &sb, &why) == 0)
        {
            return delf;
        }
    }

    pp_warn_once("skipping debug file %s for %s: %s", path, w->path, why);

    if (delf != NULL) {
        elf_end(delf);
    }

    close(*fd);
    *fd = -1;

    return NULL;
}


static Elf *
pp_debug_build_id(const pp_dbg_want_t *w, int *fd)
{
    int     n;
    char    path[PATH_MAX], hex[2 * PP_BUILD_ID_MAX + 1];
    size_t  i;

    if (w->len < 2) {
        return NULL;
    }

    for (i = 1; i < w->len; i++) {
        snprintf(hex + 2 * (i - 1), 3, "%02x", w->id[i]);
    }

    n = snprintf(path, sizeof(path), "%s/.build-id/%02x/%s.debug",
                 pp_debug_dir, w->id[0], hex);
    if (n < 0 || (size_t) n >= sizeof(path)) {
        return NULL;
    }

    return pp_debug_try(w, path, fd);
}


/* the debuglink's name in the object's directory, its .debug/, DIR/dir */
static Elf *
pp_debug_link(const pp_dbg_want_t *w, int *fd)
{
    int          i, n;
    Elf         *delf;
    char         path[PATH_MAX];
    size_t       dlen;
    const char  *slash;

    if (!w->has_crc) {
        return NULL;
    }

    slash = strrchr(w->path, '/');
    if (slash == NULL || w->path[0] != '/') {
        return NULL;
    }

    dlen = (size_t) (slash - w->path);

    for (i = 0; i < 3; i++) {
        n = snprintf(path, sizeof(path), "%s%.*s/%s%s",
                     i == 2 ? pp_debug_dir : "", (int) dlen, w->path,
                     i == 1 ? ".debug/" : "", w->link);

        if (n < 0 || (size_t) n >= sizeof(path)) {
            continue;
        }

        delf = pp_debug_try(w, path, fd);
        if (delf != NULL) {
            return delf;
        }
    }

    return NULL;
}


/* the file that debuginfod put in its cache, checked like the others */
static Elf *
pp_debug_fetch(const pp_dbg_want_t *w, int *fd)
{
    Elf         *delf;
    char        *path;
    const char  *base;

    if (w->len == 0) {
        return NULL;            /* debuginfod knows files by build-id */
    }

    base = strrchr(w->path, '/');
    base = base != NULL ? base + 1 : w->path;

    path = pp_debuginfod_find(w->id, w->len, base);
    if (path == NULL) {
        return NULL;
    }

    delf = pp_debug_try(w, path, fd);
    free(path);

    return delf;
}


Elf *
pp_debuginfo_open(Elf *elf, const char *path, const uint8_t *id, size_t len,
    int *fd)
{
    Elf            *delf;
    pp_dbg_want_t   w;

    *fd = -1;

    memset(&w, 0, sizeof(w));
    w.elf = elf;
    w.path = path;

    if (gelf_getehdr(elf, &w.eh) == NULL) {
        return NULL;
    }

    /* the object file as it is now, to tell it from its candidates */
    if (stat(path, &w.sb) == -1) {
        memset(&w.sb, 0, sizeof(w.sb));
    }

    if (len != 0 && len <= sizeof(w.id)) {
        memcpy(w.id, id, len);
        w.len = len;

    } else {
        w.len = pp_elf_note_build_id(elf, w.id, sizeof(w.id));
    }

    pp_debuglink(&w);

    delf = pp_debug_build_id(&w, fd);

    if (delf == NULL) {
        delf = pp_debug_link(&w, fd);
    }

    if (delf == NULL) {
        delf = pp_debug_fetch(&w, fd);
    }

    return delf;
}
