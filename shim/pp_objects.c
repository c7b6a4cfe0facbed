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
