/*
 * The segment's locks (poolprof-segment(5)): open file description
 * locks on single bytes, taken without waiting.  Every mapper
 * read-locks PP_LOCK_MAPPED; a folder write-locks PP_LOCK_FOLD.
 */

#ifndef _PP_LOCK_H_INCLUDED_
#define _PP_LOCK_H_INCLUDED_

#include <fcntl.h>
#include <string.h>

#include "pp_segment.h"


/* type F_RDLCK, F_WRLCK or F_UNLCK on one byte; -1 when it is held */
static inline int
pp_lock(int fd, int type, int byte)
{
    struct flock  fl;

    memset(&fl, 0, sizeof(fl));
    fl.l_type = (short) type;
    fl.l_whence = SEEK_SET;
    fl.l_start = byte;
    fl.l_len = 1;

    return fcntl(fd, F_OFD_SETLK, &fl);
}


/* 1 while any description of the file holds a lock on PP_LOCK_MAPPED */
static inline int
pp_lock_in_use(int fd)
{
    struct flock  fl;

    memset(&fl, 0, sizeof(fl));
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = PP_LOCK_MAPPED;
    fl.l_len = 1;

    return fcntl(fd, F_OFD_GETLK, &fl) != 0 || fl.l_type != F_UNLCK;
}


#endif /* _PP_LOCK_H_INCLUDED_ */
