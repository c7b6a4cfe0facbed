/*
 * UTF-8 validation (pp_escape.c), shared by every writer of names: text,
 * JSON and the flame graph's XML.
 */

#ifndef _PP_UTF8_H_INCLUDED_
#define _PP_UTF8_H_INCLUDED_

#include <stddef.h>


size_t pp_utf8_len(const unsigned char *p);


#endif /* _PP_UTF8_H_INCLUDED_ */
