/*
 * A shard's live table in ordinary memory, for shim/pp_publish.c alone
 * (tests/unit/test_publish.c, tests/bench/bench_take.c): the process
 * state it reads, the tick's walk of pp_pool.c (no record is ever newer
 * than a tick), and tables of records that each hold a slot.
 */

#ifndef _PP_PUBFIX_H_INCLUDED_
#define _PP_PUBFIX_H_INCLUDED_

#include "pp_publish.h"


/* a record of bytes allocated, young, with two blocks and no slot */
void pp_pubfix_record(pp_tpool_t *l, uintptr_t key, uint64_t bytes);

/*
 * A table of n slots in live, each taken by one of the n records of
 * pools, of bytes each; the totals zeroed
 */
void pp_pubfix_table(pp_lpool_t *live, pp_tpool_t *pools, uint32_t n,
    uint64_t bytes);


#endif /* _PP_PUBFIX_H_INCLUDED_ */
