/*
 * The protocol buffers wire format, as much of it as a pprof profile
 * needs: a key is (field << 3 | wire type); wire type 0 is a varint, 7
 * bits a byte, least significant first, the high bit set on every byte
 * but the last; wire type 2 is a varint length and that many bytes.
 * Negative int64 values are varints of their two's complement (10
 * bytes); pprof writes none.
 */

#include <stdlib.h>
#include <string.h>

#include "pp_pb.h"


#define PP_PB_VARINT  0
#define PP_PB_LEN     2


void
pp_pb_reset(pp_pb_t *b)
{
    b->len = 0;
    b->failed = 0;
}


void
pp_pb_free(pp_pb_t *b)
{
    free(b->data);
    memset(b, 0, sizeof(pp_pb_t));
}


static int
pp_pb_grow(pp_pb_t *b, size_t n)
{
    size_t          cap;
    unsigned char  *p;

    if (b->failed) {
        return -1;
    }

    if (b->cap - b->len >= n) {
        return 0;
    }

    if (n > SIZE_MAX / 4 - b->len) {
        b->failed = 1;
        return -1;
    }

    cap = b->cap != 0 ? b->cap : 256;
    while (cap - b->len < n) {
        cap *= 2;
    }

    p = realloc(b->data, cap);
    if (p == NULL) {
        b->failed = 1;
        return -1;
    }

    b->data = p;
    b->cap = cap;

    return 0;
}


void
pp_pb_raw(pp_pb_t *b, const void *p, size_t n)
{
    if (n == 0 || pp_pb_grow(b, n) != 0) {
        return;
    }

    memcpy(b->data + b->len, p, n);
    b->len += n;
}


void
pp_pb_varint(pp_pb_t *b, uint64_t v)
{
    size_t         n;
    unsigned char  buf[10];

    n = 0;

    while (v >= 0x80) {
        buf[n++] = (unsigned char) (v | 0x80);
        v >>= 7;
    }

    buf[n++] = (unsigned char) v;

    pp_pb_raw(b, buf, n);
}


void
pp_pb_uint(pp_pb_t *b, unsigned field, uint64_t v)
{
    pp_pb_varint(b, (uint64_t) field << 3 | PP_PB_VARINT);
    pp_pb_varint(b, v);
}


void
pp_pb_opt(pp_pb_t *b, unsigned field, uint64_t v)
{
    if (v != 0) {
        pp_pb_uint(b, field, v);
    }
}


void
pp_pb_bytes(pp_pb_t *b, unsigned field, const void *p, size_t n)
{
    pp_pb_varint(b, (uint64_t) field << 3 | PP_PB_LEN);
    pp_pb_varint(b, n);
    pp_pb_raw(b, p, n);
}


void
pp_pb_msg(pp_pb_t *b, unsigned field, const pp_pb_t *m)
{
    if (m->failed) {
        b->failed = 1;
        return;
    }

    pp_pb_bytes(b, field, m->data, m->len);
}


void
pp_pb_string(pp_pb_t *b, unsigned field, const char *s)
{
    pp_pb_bytes(b, field, s, strlen(s));
}
