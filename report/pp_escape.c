/*
 * Names printed as text come from a segment, from object files and from
 * directory listings, none of them trusted: an object path may hold
 * ESC ] 0 ; ... BEL, which retitles the terminal, or ESC [ 31 m.
 * pp_escape() is the one place where such bytes are made visible, for
 * standard output and standard error alike: C0 controls, DEL, the C1
 * controls U+0080 to U+009F and bytes that are not well-formed UTF-8
 * are written as \xHH; everything else, UTF-8 included, is copied.
 * pp_name() and pp_object_name() are the one way a row, a stack frame
 * or an object is named in text: they build the name and escape it;
 * pp_text_name() lays a row's name out in the columns of a text table.
 * JSON and SVG have escapes of their own (pp_json.c, pp_flame_svg.c).
 */

#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp_text.h"


/*
 * the length of the well-formed UTF-8 sequence at p, 0 if none (an
 * overlong form, a surrogate, past U+10FFFF); reads no byte past a NUL
 */
size_t
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


/*
 * An object's file name (PP_OBJECT_BASE) or whole path (PP_OBJECT_PATH),
 * escaped into buf; "" for PP_NO_OBJECT
 */
const char *
pp_object_name(char *buf, size_t len, const pp_report_t *r, int obj,
    int what)
{
    const char  *path, *base;

    path = obj != PP_NO_OBJECT ? r->objs[obj].o.path : "";
    base = strrchr(path, '/');

    if (what == PP_OBJECT_BASE && base != NULL) {
        path = base + 1;
    }

    return pp_escape(buf, len, path);
}


/*
 * The name of a row or a frame, escaped into buf: its symbol, else its
 * object's file name and the offset in it, else the address
 */
const char *
pp_name(char *buf, size_t len, const pp_report_t *r, uint64_t key, int obj,
    const char *symbol)
{
    size_t  n;

    if (len == 0) {
        return buf;
    }

    if (symbol != NULL && symbol[0] != '\0') {
        return pp_escape(buf, len, symbol);
    }

    if (obj == PP_NO_OBJECT) {
        snprintf(buf, len, "0x%llx", (unsigned long long) key);
        return buf;
    }

    n = strlen(pp_object_name(buf, len, r, obj, PP_OBJECT_BASE));
    snprintf(buf + n, len - n, "+0x%llx",
             (unsigned long long) (key - r->objs[obj].o.base));

    return buf;
}


/* ":123" of "/src/file.c:123", or "" */
static const char *
pp_text_line(const char *source)
{
    const char  *s;

    if (source == NULL || (s = strrchr(source, ':')) == NULL
        || s[1] == '\0' || strspn(s + 1, "0123456789") != strlen(s + 1))
    {
        return "";
    }

    return s;
}


/*
 * A row's name in width columns: "symbol:line (object)"; what does not
 * fit goes, the object first, then the end of the symbol (the line
 * stays: it tells the sites of one function apart).  Without a symbol
 * "object+0xoffset", cut from the front.
 */
const char *
pp_text_name(char *buf, size_t len, const pp_report_t *r, uint64_t key,
    int obj, const char *symbol, const char *source, size_t width)
{
    int          n;
    char         o[PP_NAME_BUF], sym[PP_NAME_BUF];
    size_t       cut;
    const char  *line;

    if (width + 1 > len) {
        width = len - 1;
    }

    if (symbol == NULL || symbol[0] == '\0') {
        n = (int) strlen(pp_name(buf, len, r, key, obj, symbol));

        if ((size_t) n > width && width > 3) {
            memmove(buf + 3, buf + n - (width - 3), width - 3 + 1);
            memcpy(buf, "...", 3);
        }

        return buf;
    }

    pp_name(sym, sizeof(sym), r, key, obj, symbol);
    pp_object_name(o, sizeof(o), r, obj, PP_OBJECT_BASE);

    /* digits only */
    line = pp_text_line(source);

    n = snprintf(buf, len, o[0] != '\0' ? "%s%s (%s)" : "%s%s", sym, line, o);

    if (n < 0 || (size_t) n > width) {
        n = snprintf(buf, len, "%s%s", sym, line);
    }

    if (n < 0 || (size_t) n > width) {
        cut = width > strlen(line) + 3 ? width - strlen(line) - 3 : 0;
        snprintf(buf, len, "%.*s...%s", (int) cut, sym, line);
    }

    return buf;
}


/* pp_name() in memory of its own, never cut; NULL without memory */
char *
pp_name_dup(const pp_report_t *r, uint64_t key, int obj, const char *symbol)
{
    char    *buf;
    size_t   len;

    len = symbol != NULL && symbol[0] != '\0' ? strlen(symbol)
          : obj != PP_NO_OBJECT ? strlen(r->objs[obj].o.path) + 20 : 20;

    /* an escaped byte takes 4 */
    len = 4 * len + 1;

    buf = malloc(len);
    if (buf != NULL) {
        pp_name(buf, len, r, key, obj, symbol);
    }

    return buf;
}


/* "poolprof-report: message" on standard error, escaped, one line */
void
pp_error(const char *fmt, ...)
{
    int       n;
    char     *msg, *esc;
    size_t    len;
    va_list   ap;

    va_start(ap, fmt);
    n = vasprintf(&msg, fmt, ap);
    va_end(ap);

    /* an escaped byte takes 4 */
    len = n >= 0 ? 4 * (size_t) n + 1 : 0;
    esc = n >= 0 ? malloc(len) : NULL;

    if (esc != NULL) {
        fprintf(stderr, "poolprof-report: %s\n", pp_escape(esc, len, msg));
    } else {
        fputs("poolprof-report: failed to allocate memory\n", stderr);
    }

    free(esc);

    if (n >= 0) {
        free(msg);
    }
}
