/*
 * The merge of a segment's shards, shared by pp_merge.c (processes,
 * sites, pools, tags) and the files that merge the rest:
 * pp_merge_objects.c, pp_merge_live.c (growth, live pools),
 * pp_merge_stacks.c.
 */

#ifndef _PP_MERGE_H_INCLUDED_
#define _PP_MERGE_H_INCLUDED_

#include "pp_report.h"


/* a row of one shard's table */
typedef struct {
    uint64_t                key;
    int32_t                 obj;        /* report object, or PP_NO_OBJECT */
    uint32_t                shard;      /* in pp_merge_t.used */
    uint32_t                row;
} pp_ref_t;

typedef struct {
    const unsigned char    *buf;
    pp_seg_header_t         h;
    pp_seg_sizes_t          z;          /* of records in h.version */
    uint32_t               *used;       /* the shards not free */
    size_t                  nused;
    pp_object_t            *objs;       /* the used shards' objects */
    size_t                 *first;      /* a used shard's first in objs */
    uint32_t               *byaddr;     /* objs per shard, sorted by lo */
    int                    *gobj;       /* objs -> report object */
    pp_ref_t               *refs;
} pp_merge_t;


const unsigned char *pp_shard_at(const pp_merge_t *m, uint32_t s);
void pp_shard_read(const pp_merge_t *m, uint32_t s, pp_shard_t *sh);

/* pp_merge_objects.c */
int pp_merge_objects(pp_report_t *r, pp_merge_t *m);
int pp_obj_find(const pp_merge_t *m, uint32_t s, uint64_t addr);

int pp_merge_growth(pp_report_t *r, pp_merge_t *m);
int pp_merge_live(pp_report_t *r, pp_merge_t *m);
int pp_merge_stacks(pp_report_t *r, pp_merge_t *m);


#endif /* _PP_MERGE_H_INCLUDED_ */
