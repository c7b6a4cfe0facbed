/*
 * Fibonacci hashing, for the shim's hash tables: the top bits of the key
 * times 2^64 / phi, which spreads pointers (aligned, close together) over
 * every slot.
 */

#ifndef _PP_HASH_H_INCLUDED_
#define _PP_HASH_H_INCLUDED_

#include <stdint.h>


#define pp_fib(key, bits)                                                    \
    ((uint64_t) (key) * 0x9e3779b97f4a7c15ULL >> (64 - (bits)))


static inline uint32_t
pp_hash(uintptr_t key)
{
    return (uint32_t) pp_fib(key, 32);
}


#endif /* _PP_HASH_H_INCLUDED_ */
