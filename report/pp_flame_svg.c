/*
 * Flame graphs as a self-contained interactive SVG, laid out like
 * flamegraph.pl's.  The SVG carries its own small script (pp_flame.js,
 * compiled in as pp_flame_js.h): hovering a frame shows its name and
 * value, a click zooms into it, "Search" (or ?s=REGEX or #s=REGEX in the
 * URL) paints matching frames magenta and shows their share of the
 * total.  Names are written as XML can carry them.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp_flame_tree.h"
#include "pp_flame_js.h"
#include "pp_utf8.h"


#define PP_FLAME_FH         16          /* frame height */
#define PP_FLAME_PAD        10          /* left and right; the script's 10 */
#define PP_FLAME_TOP        52
#define PP_FLAME_BOTTOM     30
#define PP_FLAME_CHAR       7.3         /* 12px monospace advance, and some */
#define PP_FLAME_LABEL_MIN  21.0        /* no label in narrower boxes */


typedef struct {
    FILE                   *out;
    double                  scale;      /* pixels per unit */
    unsigned                height;
    uint64_t                total;
    const char             *unit;
} pp_svg_t;


static size_t pp_utf8(const unsigned char *p);
static size_t pp_chars(const char *s);
static const char *pp_xml_entity(char c);
static void pp_xml(FILE *out, const char *s, size_t max);
static uint32_t pp_flame_hash(const char *s);
static void pp_svg_head(pp_svg_t *s, const pp_flame_opts_t *o,
    unsigned width);
static void pp_svg_node(pp_svg_t *s, const pp_fnode_t *n, const char *name,
    double x, unsigned depth);


/* the length of the UTF-8 character at p that XML can carry, or 0 */
static size_t
pp_utf8(const unsigned char *p)
{
    if (p[0] < 0x80) {
        return p[0] >= 0x20 || p[0] == '\t' ? 1 : 0;
    }

    /* U+FFFE and U+FFFF are not XML characters */
    if (p[0] == 0xef && p[1] == 0xbf && p[2] >= 0xbe && p[2] <= 0xbf) {
        return 0;
    }

    return pp_utf8_len(p);
}


/* characters as pp_xml() writes them */
static size_t
pp_chars(const char *s)
{
    size_t  n, k;

    for (n = 0; *s != '\0'; n++) {
        k = pp_utf8((const unsigned char *) s);
        s += k != 0 ? k : 1;
    }

    return n;
}


/* the entity that stands for c in XML text and attributes, or NULL */
static const char *
pp_xml_entity(char c)
{
    const char         *p;
    static const char   chars[] = "&<>\"'";
    static const char  *entities[] = {
        "&amp;", "&lt;", "&gt;", "&quot;", "&apos;"
    };

    p = c != '\0' ? strchr(chars, c) : NULL;

    return p != NULL ? entities[p - chars] : NULL;
}


/*
 * XML text or attribute value of at most max characters of s (0: all);
 * a byte that is not part of a character XML can carry becomes '?'.
 */
static void
pp_xml(FILE *out, const char *s, size_t max)
{
    size_t       n, k;
    const char  *e;

    for (n = 0; *s != '\0' && (max == 0 || n < max); n++) {
        k = pp_utf8((const unsigned char *) s);

        if (k == 0) {
            fputc('?', out);
            s++;
            continue;
        }

        e = pp_xml_entity(*s);

        if (e != NULL) {
            fputs(e, out);
        } else {
            fwrite(s, 1, k, out);
        }

        s += k;
    }
}


static uint32_t
pp_flame_hash(const char *s)
{
    uint32_t  h;

    for (h = 2166136261u; *s != '\0'; s++) {
        h = (h ^ (unsigned char) *s) * 16777619u;
    }

    return h;
}


static void
pp_svg_node(pp_svg_t *s, const pp_fnode_t *n, const char *name, double x,
    unsigned depth)
{
    char               fill[24];
    double             w, y, cx;
    size_t             len, k;
    uint32_t           h;
    const pp_fnode_t  *c;

    w = (double) n->total * s->scale;
    if (w < 0.1) {
        return;
    }

    y = (double) s->height - PP_FLAME_BOTTOM - (depth + 1) * PP_FLAME_FH;

    /* warm: flamegraph.pl's "hot", far from the search's magenta */
    h = pp_flame_hash(name);
    snprintf(fill, sizeof(fill), "rgb(%u,%u,%u)",
             205 + h % 51, (h >> 8) % 231, (h >> 20) % 56);

    fprintf(s->out, "<g class=\"f\" data-x=\"%.4f\" data-w=\"%.4f\" "
            "data-d=\"%u\" data-c=\"%s\" data-n=\"", x, w, depth, fill);
    pp_xml(s->out, name, 0);
    fputs("\"><title>", s->out);
    pp_xml(s->out, name, 0);
    fprintf(s->out, " (%llu%s", (unsigned long long) n->total,
            s->unit[0] != '\0' ? " " : "");
    pp_xml(s->out, s->unit, 0);
    fprintf(s->out, ", %.2f%%)</title><rect x=\"%.2f\" y=\"%.0f\" "
            "width=\"%.2f\" height=\"%d\" rx=\"2\" fill=\"%s\"/>"
            "<text x=\"%.2f\" y=\"%.1f\">",
            100.0 * (double) n->total / (double) s->total,
            x, y, w, PP_FLAME_FH - 1, fill, x + 3, y + 11.5);

    len = pp_chars(name);
    k = w < PP_FLAME_LABEL_MIN ? 0 : (size_t) ((w - 6) / PP_FLAME_CHAR);

    if (len <= k) {
        pp_xml(s->out, name, 0);

    } else if (k > 2) {
        pp_xml(s->out, name, k - 2);
        fputs("..", s->out);
    }

    fputs("</text></g>\n", s->out);

    cx = x;
    for (c = n->child; c != NULL; c = c->next) {
        pp_svg_node(s, c, c->name, cx, depth + 1);
        cx += (double) c->total * s->scale;
    }
}


static void
pp_svg_head(pp_svg_t *s, const pp_flame_opts_t *o, unsigned width)
{
    FILE  *out;

    out = s->out;

    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\" "
            "standalone=\"no\"?>\n"
            "<svg version=\"1.1\" width=\"%u\" height=\"%u\" "
            "viewBox=\"0 0 %u %u\" onload=\"pp_init()\" "
            "xmlns=\"http://www.w3.org/2000/svg\">\n"
            "<style type=\"text/css\">text { font-family: monospace; "
            "font-size: 12px; fill: #000; } .f:hover rect { stroke: #000; "
            "stroke-width: 0.5; } .f, .btn { cursor: pointer; }</style>\n"
            "<script type=\"text/ecmascript\"><![CDATA[\n%s]]></script>\n"
            "<rect x=\"0\" y=\"0\" width=\"%u\" height=\"%u\" "
            "fill=\"#f8f8f4\"/>\n",
            width, s->height, width, s->height, pp_flame_js,
            width, s->height);

    fprintf(out, "<text x=\"%u\" y=\"22\" text-anchor=\"middle\" "
            "style=\"font-size: 17px\">", width / 2);
    pp_xml(out, o->title != NULL ? o->title : "Flame graph", 0);

    /* the subtitle may say the values are estimates: always shown */
    fprintf(out, "</text>\n<text id=\"subtitle\" x=\"%u\" y=\"40\" "
            "text-anchor=\"middle\">", width / 2);
    if (o->subtitle != NULL && o->subtitle[0] != '\0') {
        pp_xml(out, o->subtitle, 0);
        fputs("; ", out);
    }
    fprintf(out, "total %llu%s", (unsigned long long) s->total,
            s->unit[0] != '\0' ? " " : "");
    pp_xml(out, s->unit, 0);

    fprintf(out, "</text>\n"
            "<text id=\"reset\" class=\"btn\" x=\"%d\" y=\"22\" "
            "style=\"opacity: 0\" onclick=\"pp_reset()\">Reset Zoom</text>\n"
            "<text id=\"search\" class=\"btn\" x=\"%u\" y=\"22\" "
            "text-anchor=\"end\" onclick=\"pp_ask()\">Search</text>\n"
            "<text id=\"details\" x=\"%d\" y=\"%u\"> </text>\n"
            "<text id=\"matched\" x=\"%u\" y=\"%u\" text-anchor=\"end\">"
            "</text>\n",
            PP_FLAME_PAD, width - PP_FLAME_PAD, PP_FLAME_PAD, s->height - 10,
            width - PP_FLAME_PAD, s->height - 10);
}


int
pp_flame_svg(FILE *out, const pp_flame_t *f, const pp_flame_opts_t *o)
{
    unsigned                width;
    pp_svg_t                s;
    static pp_flame_opts_t  none;

    if (o == NULL) {
        o = &none;
    }

    width = o->width != 0 ? o->width : 1200;
    if (width < 200) {
        width = 200;
    }

    s.out = out;
    s.unit = o->unit != NULL ? o->unit : "";
    s.total = f->root.total;
    s.height = PP_FLAME_TOP + (f->depth + 1) * PP_FLAME_FH + PP_FLAME_BOTTOM;
    s.scale = (double) (width - 2 * PP_FLAME_PAD)
              / (double) (s.total != 0 ? s.total : 1);

    if (s.total == 0) {
        s.height += 2 * PP_FLAME_FH;
    }

    pp_svg_head(&s, o, width);

    fputs("<g id=\"frames\">\n", out);

    if (s.total != 0) {
        pp_svg_node(&s, &f->root, "all", PP_FLAME_PAD, 0);
    }

    fputs("</g>\n", out);

    if (s.total == 0) {
        fprintf(out, "<text x=\"%u\" y=\"%u\" text-anchor=\"middle\">"
                "no samples</text>\n", width / 2, s.height / 2);
    }

    fputs("</svg>\n", out);

    return fflush(out) != 0 || ferror(out) ? -1 : 0;
}
