/*
 * Flame graphs.  Stacks are merged into a tree whose children are kept
 * sorted by name, so both outputs are deterministic: folded lines come
 * out in byte order of the stack, and the SVG lays frames out like
 * flamegraph.pl does (root at the bottom, siblings alphabetical).  The
 * SVG carries its own small script: hovering a frame shows its name and
 * value, a click zooms into it, "Search" (or ?s=REGEX in the URL)
 * highlights matching frames in magenta and shows their share.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp_flame.h"


#define PP_FLAME_DEPTH_MAX  256
#define PP_FLAME_FH         16          /* frame height */
#define PP_FLAME_PAD        10
#define PP_FLAME_TOP        56
#define PP_FLAME_BOTTOM     28


typedef struct pp_fnode_s  pp_fnode_t;

struct pp_fnode_s {
    char                   *name;
    uint64_t                total;
    uint64_t                self;
    pp_fnode_t             *child;      /* sorted by name */
    pp_fnode_t             *next;
};

struct pp_flame_s {
    pp_fnode_t              root;
    unsigned                depth;
};


typedef struct {
    FILE                   *out;
    double                  scale;      /* pixels per unit */
    unsigned                height;
    uint64_t                total;
    const char             *unit;
} pp_svg_t;


static pp_fnode_t *pp_flame_child(pp_fnode_t *n, const char *name);
static void pp_flame_free_node(pp_fnode_t *n);
static int pp_folded_node(FILE *out, const pp_fnode_t *n,
    const char **path, unsigned depth);
static void pp_folded_name(FILE *out, const char *s);
static void pp_xml(FILE *out, const char *s, size_t max);
static void pp_svg_node(pp_svg_t *s, const pp_fnode_t *n, const char *name,
    double x, unsigned depth);


static const char  pp_flame_js[] =
    "var F, W, det, mt, rz;\n"
    "function pp_init(evt) {\n"
    "  F = document.getElementById('frames').getElementsByTagName('g');\n"
    "  W = +document.documentElement.getAttribute('width');\n"
    "  det = document.getElementById('details');\n"
    "  mt = document.getElementById('matched');\n"
    "  rz = document.getElementById('reset');\n"
    "  var m = /[?#&]s=([^&#]*)/.exec(document.location.href);\n"
    "  if (m) { pp_search(decodeURIComponent(m[1])); }\n"
    "}\n"
    "function s(g) { det.textContent = "
        "g.getElementsByTagName('title')[0].textContent; }\n"
    "function c() { det.textContent = ' '; }\n"
    "function pp_label(g, x, w) {\n"
    "  var t = g.getElementsByTagName('text')[0], n = g.getAttribute('data-n'),"
        " k = Math.floor((w - 6) / 7);\n"
    "  t.setAttribute('x', x + 3);\n"
    "  t.textContent = w < 21 ? '' : n.length <= k ? n : "
        "n.substring(0, k - 2) + '..';\n"
    "}\n"
    "function pp_place(g, x, w, op, show) {\n"
    "  var r = g.getElementsByTagName('rect')[0];\n"
    "  g.style.display = show ? '' : 'none';\n"
    "  if (!show) { return; }\n"
    "  r.setAttribute('x', x); r.setAttribute('width', w);\n"
    "  g.style.opacity = op; pp_label(g, x, w);\n"
    "}\n"
    "function z(g) {\n"
    "  var x = +g.getAttribute('data-x'), w = +g.getAttribute('data-w'),\n"
    "      d = +g.getAttribute('data-d'), sc = (W - 20) / w, i;\n"
    "  for (i = 0; i < F.length; i++) {\n"
    "    var f = F[i], fx = +f.getAttribute('data-x'),"
        " fw = +f.getAttribute('data-w'),\n"
    "        fd = +f.getAttribute('data-d'), e = 1e-6 * W;\n"
    "    if (fd < d && fx <= x + e && fx + fw >= x + w - e) {\n"
    "      pp_place(f, 10, W - 20, 0.5, true);\n"
    "    } else if (fd >= d && fx >= x - e && fx + fw <= x + w + e) {\n"
    "      pp_place(f, 10 + (fx - x) * sc, fw * sc, 1, true);\n"
    "    } else { pp_place(f, 0, 0, 1, false); }\n"
    "  }\n"
    "  rz.style.opacity = 1;\n"
    "}\n"
    "function pp_reset() {\n"
    "  for (var i = 0; i < F.length; i++) {\n"
    "    pp_place(F[i], +F[i].getAttribute('data-x'),"
        " +F[i].getAttribute('data-w'), 1, true);\n"
    "  }\n"
    "  rz.style.opacity = 0;\n"
    "}\n"
    "function pp_search(re) {\n"
    "  var r, i, m = [], tot = 0, end = -1;\n"
    "  try { r = new RegExp(re); } catch (e) { return; }\n"
    "  for (i = 0; i < F.length; i++) {\n"
    "    var f = F[i], rc = f.getElementsByTagName('rect')[0];\n"
    "    if (re !== '' && r.test(f.getAttribute('data-n'))) {\n"
    "      rc.setAttribute('fill', 'rgb(230,0,230)');\n"
    "      m.push([+f.getAttribute('data-x'), +f.getAttribute('data-w')]);\n"
    "    } else { rc.setAttribute('fill', f.getAttribute('data-c')); }\n"
    "  }\n"
    "  m.sort(function (a, b) { return a[0] - b[0]; });\n"
    "  for (i = 0; i < m.length; i++) {\n"
    "    var a = Math.max(m[i][0], end), b = m[i][0] + m[i][1];\n"
    "    if (b > a) { tot += b - a; end = b; }\n"
    "  }\n"
    "  mt.textContent = re === '' ? '' : 'Matched: ' +"
        " (100 * tot / (W - 20)).toFixed(1) + '%';\n"
    "}\n"
    "function pp_ask() {\n"
    "  var t = prompt('Search (regular expression):', '');\n"
    "  if (t !== null) { pp_search(t); }\n"
    "}\n";


pp_flame_t *
pp_flame_new(void)
{
    return calloc(1, sizeof(pp_flame_t));
}


static pp_fnode_t *
pp_flame_child(pp_fnode_t *n, const char *name)
{
    int          d;
    pp_fnode_t  *c, **link;

    for (link = &n->child; *link != NULL; link = &(*link)->next) {
        d = strcmp((*link)->name, name);

        if (d == 0) {
            return *link;
        }

        if (d > 0) {
            break;
        }
    }

    c = calloc(1, sizeof(pp_fnode_t));
    if (c == NULL) {
        return NULL;
    }

    c->name = strdup(name);
    if (c->name == NULL) {
        free(c);
        return NULL;
    }

    c->next = *link;
    *link = c;

    return c;
}


int
pp_flame_add(pp_flame_t *f, const char *const *frames, size_t n,
    uint64_t value)
{
    size_t       i;
    pp_fnode_t  *node;

    if (value == 0) {
        return 0;
    }

    if (n > PP_FLAME_DEPTH_MAX) {
        n = PP_FLAME_DEPTH_MAX;
    }

    node = &f->root;
    node->total += value;

    for (i = 0; i < n; i++) {
        node = pp_flame_child(node, frames[i] != NULL ? frames[i] : "?");
        if (node == NULL) {
            return -1;
        }

        node->total += value;
    }

    node->self += value;

    if (n > f->depth) {
        f->depth = (unsigned) n;
    }

    return 0;
}


static void
pp_folded_name(FILE *out, const char *s)
{
    for (/* void */; *s != '\0'; s++) {
        if (*s == ';') {
            fputc(':', out);
        } else if ((unsigned char) *s < 0x20 || *s == 0x7f) {
            fputc('?', out);
        } else {
            fputc(*s, out);
        }
    }
}


static int
pp_folded_node(FILE *out, const pp_fnode_t *n, const char **path,
    unsigned depth)
{
    unsigned           i;
    const pp_fnode_t  *c;

    if (n->self != 0 && depth != 0) {
        for (i = 0; i < depth; i++) {
            if (i != 0) {
                fputc(';', out);
            }
            pp_folded_name(out, path[i]);
        }

        fprintf(out, " %llu\n", (unsigned long long) n->self);
    }

    for (c = n->child; c != NULL; c = c->next) {
        path[depth] = c->name;
        pp_folded_node(out, c, path, depth + 1);
    }

    return ferror(out) ? -1 : 0;
}


int
pp_flame_folded(FILE *out, const pp_flame_t *f)
{
    const char  *path[PP_FLAME_DEPTH_MAX + 1];

    return pp_folded_node(out, &f->root, path, 0);
}


/* XML text: escaped, at most max bytes of s (0: all) */
static void
pp_xml(FILE *out, const char *s, size_t max)
{
    size_t  i;

    for (i = 0; s[i] != '\0' && (max == 0 || i < max); i++) {
        switch (s[i]) {
        case '&':
            fputs("&amp;", out);
            break;
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        case '\'':
            fputs("&apos;", out);
            break;
        default:
            /* XML 1.0 has no other control characters */
            fputc((unsigned char) s[i] < 0x20 ? '?' : s[i], out);
        }
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
    double             w, y, cx;
    size_t             len, k;
    uint32_t           h;
    const pp_fnode_t  *c;

    w = (double) n->total * s->scale;
    if (w < 0.1) {
        return;
    }

    y = (double) s->height - PP_FLAME_BOTTOM - (depth + 1) * PP_FLAME_FH;
    h = pp_flame_hash(name);

    fprintf(s->out, "<g class=\"f\" data-x=\"%.2f\" data-w=\"%.2f\" "
            "data-d=\"%u\" data-c=\"rgb(%u,%u,%u)\" data-n=\"",
            x, w, depth, 205 + h % 50, (h >> 8) % 200, (h >> 16) % 55);
    pp_xml(s->out, name, 0);
    fputs("\" onmouseover=\"s(this)\" onmouseout=\"c()\" "
          "onclick=\"z(this)\"><title>", s->out);
    pp_xml(s->out, name, 0);
    fprintf(s->out, " (%llu %s, %.2f%%)</title>",
            (unsigned long long) n->total, s->unit,
            100.0 * (double) n->total / (double) s->total);
    fprintf(s->out, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" "
            "height=\"%d\" rx=\"2\" fill=\"rgb(%u,%u,%u)\"/>",
            x, y, w, PP_FLAME_FH - 1, 205 + h % 50, (h >> 8) % 200,
            (h >> 16) % 55);

    fprintf(s->out, "<text x=\"%.2f\" y=\"%.1f\">", x + 3, y + 11.5);

    len = strlen(name);
    k = w < 21 ? 0 : (size_t) ((w - 6) / 7);

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


int
pp_flame_svg(FILE *out, const pp_flame_t *f, const pp_flame_opts_t *o)
{
    unsigned   width;
    pp_svg_t   s;

    width = o->width != 0 ? o->width : 1200;

    s.out = out;
    s.unit = o->unit != NULL ? o->unit : "";
    s.total = f->root.total;
    s.height = PP_FLAME_TOP + PP_FLAME_BOTTOM
               + (f->depth + 1) * PP_FLAME_FH + PP_FLAME_FH;
    s.scale = s.total ? (double) (width - 2 * PP_FLAME_PAD)
                        / (double) s.total
                      : 0;

    fprintf(out, "<?xml version=\"1.0\" standalone=\"no\"?>\n"
            "<svg version=\"1.1\" width=\"%u\" height=\"%u\" "
            "viewBox=\"0 0 %u %u\" onload=\"pp_init(evt)\" "
            "xmlns=\"http://www.w3.org/2000/svg\">\n"
            "<style type=\"text/css\">text { font-family: monospace; "
            "font-size: 12px; fill: #000; } .f:hover rect { stroke: #000; "
            "stroke-width: 0.5; } .f, .btn { cursor: pointer; }</style>\n"
            "<script type=\"text/ecmascript\"><![CDATA[\n%s]]></script>\n"
            "<rect x=\"0\" y=\"0\" width=\"%u\" height=\"%u\" "
            "fill=\"#f8f8f4\"/>\n",
            width, s.height, width, s.height, pp_flame_js, width, s.height);

    fprintf(out, "<text x=\"%u\" y=\"22\" text-anchor=\"middle\" "
            "style=\"font-size: 17px\">", width / 2);
    pp_xml(out, o->title != NULL ? o->title : "Flame graph", 0);
    fprintf(out, "</text>\n<text id=\"subtitle\" x=\"%u\" y=\"42\" "
            "text-anchor=\"middle\">", width / 2);
    if (o->subtitle != NULL && o->subtitle[0] != '\0') {
        pp_xml(out, o->subtitle, 0);
        fputs("; ", out);
    }
    fprintf(out, "total %llu ", (unsigned long long) s.total);
    pp_xml(out, s.unit, 0);
    fputs("</text>\n", out);

    fprintf(out, "<text id=\"reset\" class=\"btn\" x=\"%d\" y=\"22\" "
            "style=\"opacity: 0\" onclick=\"pp_reset()\">Reset Zoom</text>\n"
            "<text id=\"search\" class=\"btn\" x=\"%u\" y=\"22\" "
            "text-anchor=\"end\" onclick=\"pp_ask()\">Search</text>\n"
            "<text id=\"details\" x=\"%d\" y=\"%u\"> </text>\n"
            "<text id=\"matched\" x=\"%u\" y=\"%u\" text-anchor=\"end\">"
            "</text>\n<g id=\"frames\">\n",
            PP_FLAME_PAD, width - PP_FLAME_PAD, PP_FLAME_PAD, s.height - 10,
            width - PP_FLAME_PAD, s.height - 10);

    if (s.total == 0) {
        fprintf(out, "</g>\n<text x=\"%u\" y=\"%u\" text-anchor=\"middle\">"
                "no samples</text>\n", width / 2, s.height / 2 + 8);

    } else {
        pp_svg_node(&s, &f->root, "all", PP_FLAME_PAD, 0);
        fputs("</g>\n", out);
    }

    fputs("</svg>\n", out);

    return ferror(out) ? -1 : 0;
}


static void
pp_flame_free_node(pp_fnode_t *n)
{
    pp_fnode_t  *c, *next;

    for (c = n->child; c != NULL; c = next) {
        next = c->next;
        pp_flame_free_node(c);
        free(c->name);
        free(c);
    }
}


void
pp_flame_free(pp_flame_t *f)
{
    if (f != NULL) {
        pp_flame_free_node(&f->root);
        free(f);
    }
}
