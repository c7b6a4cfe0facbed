/*
 * A protocol buffers encoder, the wire format only (varints and
 * length-delimited fields), for the pprof profile.  A message is built
 * in a pp_pb_t; a nested message is built in its own pp_pb_t and added
 * to its parent with pp_pb_bytes().  An allocation failure is sticky:
 * every later call does nothing and pp_pb_t.failed says so.
 */

#ifndef _PP_PB_H_INCLUDED_
#define _PP_PB_H_INCLUDED_

#include <stddef.h>
#include <stdint.h>


typedef struct {
    unsigned char          *data;
    size_t                  len;
    size_t                  cap;
    int                     failed;
} pp_pb_t;


void pp_pb_reset(pp_pb_t *b);
void pp_pb_free(pp_pb_t *b);
void pp_pb_raw(pp_pb_t *b, const void *p, size_t n);
void pp_pb_varint(pp_pb_t *b, uint64_t v);

/* field n, wire type 0; zero is written too (packed lists need it) */
void pp_pb_uint(pp_pb_t *b, unsigned field, uint64_t v);
#define pp_pb_int(b, field, v)  pp_pb_uint(b, field, (uint64_t) (int64_t) (v))

/* field n, wire type 0, omitted when 0 (the proto3 default) */
void pp_pb_opt(pp_pb_t *b, unsigned field, uint64_t v);

/* field n, wire type 2 */
void pp_pb_bytes(pp_pb_t *b, unsigned field, const void *p, size_t n);
void pp_pb_msg(pp_pb_t *b, unsigned field, const pp_pb_t *m);
void pp_pb_string(pp_pb_t *b, unsigned field, const char *s);


#endif /* _PP_PB_H_INCLUDED_ */
