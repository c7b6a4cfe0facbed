/*
 * pprof's profile.proto, built by pp_pprof_tab.c (its tables: strings,
 * functions, locations, mappings, and the gzipped whole) from the
 * samples that pp_pprof.c makes of each part of a fleet.
 */

#ifndef _PP_PPROF_H_INCLUDED_
#define _PP_PPROF_H_INCLUDED_

#include "pp_fleet.h"
#include "pp_pb.h"


#define PP_TYPES_MAX  16

/* an open-addressing map from a pair of integers to an id */
typedef struct {
    uint64_t                a;
    uint64_t                b;
    uint64_t                id;         /* 0: empty */
} pp_slot_t;

typedef struct {
    pp_slot_t              *slots;
    size_t                  cap;
    size_t                  n;
} pp_map_t;

typedef struct {
    pp_fleet_t             *fl;
    pp_pb_t                 prof;       /* samples, as they are made */
    pp_pb_t                 locs;       /* Location messages */
    pp_pb_t                 funcs;      /* Function messages */
    pp_pb_t                 tmp, tmp2, lab;
    pp_map_t                strs;       /* (hash, 0) -> index + 1 */
    char                  **strv;
    size_t                  nstrs;
    pp_map_t                locmap;
    pp_map_t                funcmap;
    unsigned char          *used;       /* per object: a mapping */
    unsigned char          *lines;      /* per object: a line was known */
    size_t                  ntypes;
    int                     types[PP_TYPES_MAX];    /* pp_figures index */
    int                     failed;
} pp_pprof_t;


int64_t pp_pprof_str(pp_pprof_t *pp, const char *s);
uint64_t pp_pprof_loc(pp_pprof_t *pp, uint64_t addr, int obj, int overflow,
    int kind);
void pp_pprof_part(pp_pprof_t *pp, const pp_part_t *p);


#endif /* _PP_PPROF_H_INCLUDED_ */
