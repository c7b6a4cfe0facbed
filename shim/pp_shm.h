/*
 * The segment file's parts, for one another: making it (pp_shm.c, which
 * also joins an inherited one), where and how it is created
 * (pp_shm_file.c), who holds it and when it goes (pp_shm_keep.c).  The
 * rest of the shim calls pp_shm_open() and the others in pp_shim.h.
 */

#ifndef _PP_SHM_H_INCLUDED_
#define _PP_SHM_H_INCLUDED_

#include <sys/stat.h>

#include "pp_layout.h"


/*
 * The directory a segment is made in, as a descriptor, or -1 with err
 * set; make: the default directory, created if need be
 */
int pp_shm_dir(const char *dir, int make, char *err, size_t len);

/* dir/name created, sized, mapped and locked: its descriptor, or -1 */
int pp_shm_make(int dirfd, const char *dir, const char *name, char *err,
    size_t len);

/* 1 if name in dirfd (st: its lstat) is a segment this user's poolprof made */
int pp_shm_ours(int dirfd, const char *name, const struct stat *st);

/* maps the segment fd as lay says, guarded: pp_proc.seg and .lay set */
int pp_shm_map(int fd, const pp_layout_t *lay, char *err, size_t len);

/* old segments of ours in dirfd beyond POOLPROF_KEEP_MAX removed */
void pp_shm_prune(int dirfd, const char *self);


#endif /* _PP_SHM_H_INCLUDED_ */
