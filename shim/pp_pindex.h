/*
 * A pool's allocation log, and its index by address.
 *
 * The index is open addressing with linear probing in the shim's own
 * memory.  A slot holds a log entry's number + 1 (0: empty) and the
 * address is read from the log, so a slot is 4 bytes.  Its size is a
 * power of two at least twice the entries it holds (a load of at most
 * 1/2 keeps probes short, a miss included), grown by doubling: as the
 * log's capacity is a power of two too, there are at most two slots per
 * entry of the log's capacity, that is at most 8 bytes per remembered
 * allocation beyond its 16 bytes of log.
 *
 * The index follows the log lazily: pp_pindex_sync() adds the entries
 * logged since its last call, so that an allocation never touches it.
 * Of entries of one address (a zero-size allocation shares the next
 * one's), it finds the newest, as a scan from the newest does.
 *
 * Invariant: n == 0 exactly when every slot is empty.
 */

#ifndef _PP_PINDEX_H_INCLUDED_
#define _PP_PINDEX_H_INCLUDED_

#include <stdint.h>


/* an entry of the log: 16 bytes, four to a cache line */
typedef struct {
    void                   *p;
    uint32_t                size;
    uint32_t                freed;      /* PP_CHUNK_* */
} pp_chunk_t;

#define PP_CHUNK_LIVE    0      /* a small allocation */
#define PP_CHUNK_PINNED  1      /* a small one, no-op freed */
#define PP_CHUNK_FREED   2      /* a large one, really freed */

typedef struct {
    uint32_t               *slot;       /* NULL: no index */
    uint32_t                mask;       /* slots - 1 */
    uint32_t                shift;      /* 64 - log2(slots) */
    uint32_t                n;          /* log entries [0, n) are in it */
} pp_pindex_t;

#define PP_PINDEX_MISS  UINT32_MAX

/* the fewest slots (64), and the most that a reset keeps (1 KiB) */
#define PP_PINDEX_MIN_BITS  6
#define PP_PINDEX_KEEP      256


int pp_pindex_sync(pp_pindex_t *ix, const pp_chunk_t *log, uint32_t nlog);
uint32_t pp_pindex_find(const pp_pindex_t *ix, const pp_chunk_t *log,
    const void *p);
void pp_pindex_reset(pp_pindex_t *ix);
void pp_pindex_free(pp_pindex_t *ix);


#endif /* _PP_PINDEX_H_INCLUDED_ */
