/*
 * What the reporter's unit tests share: a segment builder, hostile
 * names, files in a scratch directory, and TAP.
 *
 * t_build() makes a segment of two shards, a master and its worker,
 * with small tables laid out by common/pp_layout.h as the shim lays them
 * out; a test changes the rows it needs through t_site() and the like,
 * then reads the buffer (pp_seg_merge(), pp_report_build()) or writes it
 * (t_write()).
 */

#ifndef _PP_SEGBUILD_H_INCLUDED_
#define _PP_SEGBUILD_H_INCLUDED_

#include <stddef.h>
#include <stdint.h>

#include "pp_report.h"
#include "pp_tap.h"


#define T_NSITES    8
#define T_NPOOLS    4
#define T_NTAGS     4
#define T_NOBJECTS  4
#define T_NSTACKS   4
#define T_NGROWTH   4
#define T_NLIVE     4
#define T_NSHARDS   2

#define T_SITE_A    0x555555561234ULL     /* inside object 0 */
#define T_SITE_B    0x555555562000ULL
#define T_TAG       0x555555580010ULL
#define T_BASE      0x555555554000ULL

/* ESC ] 0 ; ... BEL retitles a terminal, ESC [ 31 m colours it */
#define T_EVIL      "\033]0;PWNED\007\033[31mRED\033[2J\x9b\xc2\x85\x7f"
#define T_EVIL_ESC  "\\x1b]0;PWNED\\x07\\x1b[31mRED\\x1b[2J\\x9b\\xc2\\x85" \
                    "\\x7f"

typedef struct {
    unsigned char          *buf;
    size_t                  len;
    pp_seg_header_t        *h;
    pp_seg_sizes_t          z;      /* of the records, in h->version */
} t_seg_t;


/*
 * row of table (an offset in the header) in shard sh, of size bytes.  In
 * a segment of an older version (t_build()), the fields a record gained
 * since are past its end: only the current version's (t_build_v4()) may
 * set them.
 */
#define t_row(s, sh, off, row, type, size)                                   \
    ((type *) (t_shard(s, sh) + (s)->h->off + (size_t) (row) * (size)))

#define t_sh(s, i)             ((pp_shard_t *) t_shard(s, i))
#define t_site(s, sh, row)     t_row(s, sh, sites_off, row, pp_site_t,        \
                                     (s)->z.site)
#define t_pool(s, sh, row)     t_row(s, sh, pools_off, row, pp_pool_t,        \
                                     (s)->z.pool)
#define t_tag(s, sh, row)      t_row(s, sh, tags_off, row, pp_tag_t,          \
                                     sizeof(pp_tag_t))
#define t_obj(s, sh, row)      t_row(s, sh, objects_off, row, pp_object_t,    \
                                     sizeof(pp_object_t))
#define t_stack(s, sh, row)    t_row(s, sh, stacks_off, row, pp_stack_t,      \
                                     sizeof(pp_stack_t))
#define t_growth(s, sh, row)   t_row(s, sh, growth_off, row, pp_growth_t,     \
                                     sizeof(pp_growth_t))
#define t_live(s, sh, row)     t_row(s, sh, live_off, row, pp_lpool_t,        \
                                     sizeof(pp_lpool_t))


extern char  t_dir[64];         /* where t_write() writes */


unsigned char *t_shard(t_seg_t *s, uint32_t i);
void t_build(t_seg_t *s);
void t_build_version(t_seg_t *s, uint32_t version);
void t_build_evil(t_seg_t *s);
void t_objects(t_seg_t *s, const char *const *paths);
void t_add_growth(t_seg_t *s, uint32_t sh, uint64_t returns);
void t_add_stack(t_seg_t *s, uint32_t sh);
void t_free(t_seg_t *s);
pp_rsite_t *t_find_site(pp_report_t *r, uint64_t key);

int t_scratch(const char *name);
void t_unscratch(const char *const *names);
int t_write(const char *name, const void *buf, size_t len, char *path,
    size_t plen);
int t_clean(const char *s, size_t len);


#endif /* _PP_SEGBUILD_H_INCLUDED_ */
