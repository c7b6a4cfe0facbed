/*
 * Names printed as text come from a segment, from object files and from
 * directory listings, none of them trusted: an object path may hold
 * ESC ] 0 ; ... BEL, which retitles the terminal, or ESC [ 31 m.
 * pp_escape() is the one place where such bytes are made visible, for
 * standard output and standard error alike: C0 controls, DEL, the C1
 * controls U+0080 to U+009F and bytes that are not well-formed UTF-8
 * are written as \xHH; everything else, UTF-8 included, is copied.
 * JSON and SVG have escapes of their own (pp_json.c, pp_flame.c).
 */

#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp_report.h"


/* the length of the well-formed UTF-8 sequence at p, 0 if none */
static size_t
pp_utf8_len(const unsigned char *p)
{
    unsigned char  lo, hi;
    size_t         n, i;

    if (p[0] < 0x80) {
        return 1;
    }

    lo = 0x80;
    hi = 0xbf;

    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        n = 2;
    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        n = 3;
        lo = p[0] == 0xe0 ? 0xa0 : 0x80;
        hi = p[0] == 0xed ? 0x9f : 0xbf;        /* no surrogates */
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        n = 4;
        lo = p[0] == 0xf0 ? 0x90 : 0x80;
        hi = p[0] == 0xf4 ? 0x8f : 0xbf;        /* up to U+10FFFF */
    } else {
        return 0;
    }

    if (p[1] < lo || p[1] > hi) {
        return 0;
    }

    for (i = 2; i < n; i++) {
        if (p[i] < 0x80 || p[i] > 0xbf) {
            return 0;
        }
    }

    return n;
}


/*
 * src escaped into dst, cut (between characters) to fit len bytes with
 * the NUL; returns dst
 */
const char *
pp_escape(char *dst, size_t len, const char *src)
{
    size_t                n, i, out;
    const unsigned char  *p;

    if (len == 0) {
        return dst;
    }

    out = 0;

    for (p = (const unsigned char *) src; *p != '\0'; p += n) {
        n = pp_utf8_len(p);

        /* a control character, or a byte of no character */
        if (n == 0 || p[0] < 0x20 || p[0] == 0x7f
            || (p[0] == 0xc2 && p[1] <= 0x9f))
        {
            n = n != 0 ? n : 1;

            if (out + 4 * n + 1 > len) {
                break;
            }

            for (i = 0; i < n; i++) {
                snprintf(dst + out, 5, "\\x%02x", p[i]);
                out += 4;
            }

            continue;
        }

        if (out + n + 1 > len) {
            break;
        }

        memcpy(dst + out, p, n);
        out += n;
    }

    dst[out] = '\0';

    return dst;
}


/* "poolprof-report: message" on standard error, escaped, one line */
void
pp_error(const char *fmt, ...)
{
    char     *msg, *esc;
    size_t    len;
    va_list   ap;

    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) == -1) {
        msg = NULL;
    }
    va_end(ap);

    if (msg == NULL) {
        fputs("poolprof-report: failed to allocate memory\n", stderr);
        return;
    }

    len = 4 * strlen(msg) + 1;
    esc = malloc(len);

    if (esc == NULL) {
        fputs("poolprof-report: failed to allocate memory\n", stderr);
        free(msg);
        return;
    }

    fprintf(stderr, "poolprof-report: %s\n", pp_escape(esc, len, msg));

    free(esc);
    free(msg);
}
