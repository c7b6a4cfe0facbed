/*
 * Flame graphs.  Stacks are merged into a tree whose children are kept
 * sorted by name, so the SVG is laid out like flamegraph.pl's (root at
 * the bottom, siblings alphabetical) whatever order stacks came in.
 * Folded lines are sorted and merged after escaping, since escaping can
 * make two stacks one.  The SVG carries its own small script: hovering
 * a frame shows its name and value, a click zooms into it, "Search" (or
 * ?s=REGEX or #s=REGEX in the URL) paints matching frames magenta and
 * shows their share of the total.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp_flame.h"


#define PP_FLAME_FH         16          /* frame height */
#define PP_FLAME_PAD        10          /* left and right; the script's 10 */
#define PP_FLAME_TOP        52
#define PP_FLAME_BOTTOM     30
#define PP_FLAME_CHAR       7.3         /* 12px monospace advance, and some */
#define PP_FLAME_LABEL_MIN  21.0        /* no label in narrower boxes */


typedef struct pp_fnode_s  pp_fnode_t;

struct pp_fnode_s {
    char                   *name;
    uint64_t                total;
    uint64_t                self;
    pp_fnode_t             *child;      /* sorted by name */
    pp_fnode_t             *next;
};

struct pp_flame_s {
    pp_fnode_t              root;       /* "all", no name */
    unsigned                depth;
};

typedef struct {
    char                   *stack;      /* escaped */
    uint64_t                value;
} pp_fline_t;

typedef struct {
    pp_fline_t             *lines;
    size_t                  nlines;
    size_t                  nalloc;
    char                   *path;       /* the stack so far, escaped */
    size_t                  len;
    size_t                  size;
} pp_folded_t;

typedef struct {
    FILE                   *out;
    double                  scale;      /* pixels per unit */
    unsigned                height;
    uint64_t                total;
    const char             *unit;
} pp_svg_t;


static pp_fnode_t *pp_flame_node(pp_fnode_t *n, const char *name,
    int create);
static int pp_folded_walk(pp_folded_t *fd, const pp_fnode_t *n);
static int pp_folded_cmp(const void *a, const void *b);
static size_t pp_utf8(const unsigned char *p);
static size_t pp_chars(const char *s);
static void pp_xml(FILE *out, const char *s, size_t max);
static uint32_t pp_flame_hash(const char *s);
static void pp_svg_head(pp_svg_t *s, const pp_flame_opts_t *o,
    unsigned width);
static void pp_svg_node(pp_svg_t *s, const pp_fnode_t *n, const char *name,
    double x, unsigned depth);
static void pp_flame_free_node(pp_fnode_t *n);
static uint64_t pp_flame_sum(uint64_t a, uint64_t b);


/*
 * Each frame's <g> carries its unzoomed box (data-x, data-w), depth
 * (data-d), colour (data-c) and name (data-n); zooming and searching
 * work from these alone, so they commute.
 */
static const char  pp_flame_js[] =
    "var F, W, det, mt, sb, rz, cur = '';\n"
    "function pp_init() {\n"
    "  var fr = document.getElementById('frames'), l = document.location,\n"
    "      m = /&s=([^&]*)/.exec('&' + l.search.substring(1) + '&'"
        " + l.hash.substring(1));\n"
    "  F = fr.getElementsByTagName('g');\n"
    "  W = +document.documentElement.getAttribute('width');\n"
    "  det = document.getElementById('details');\n"
    "  mt = document.getElementById('matched');\n"
    "  sb = document.getElementById('search');\n"
    "  rz = document.getElementById('reset');\n"
    "  fr.onmouseover = function (e) {\n"
    "    var g = pp_g(e);\n"
    "    if (g) { det.textContent ="
        " g.getElementsByTagName('title')[0].textContent; }\n"
    "  };\n"
    "  fr.onmouseout = function () { det.textContent = ' '; };\n"
    "  fr.onclick = function (e) {\n"
    "    var g = pp_g(e);\n"
    "    if (g) { pp_zoom(g); }\n"
    "  };\n"
    "  if (m) { try { pp_search(decodeURIComponent(m[1])); } catch (x) {} }\n"
    "}\n"
    "function pp_g(e) {\n"
    "  for (var t = e.target; t && t.getAttribute; t = t.parentNode) {\n"
    "    if (t.getAttribute('class') === 'f') { return t; }\n"
    "  }\n"
    "  return null;\n"
    "}\n"
    "function pp_a(g, k) { return +g.getAttribute('data-' + k); }\n"
    "function pp_place(g, x, w, op) {\n"
    "  var r = g.getElementsByTagName('rect')[0],\n"
    "      t = g.getElementsByTagName('text')[0],\n"
    "      n = g.getAttribute('data-n'), k = Math.floor((w - 6) / 7.3);\n"
    "  g.style.display = op ? '' : 'none';\n"
    "  if (!op) { return; }\n"
    "  g.style.opacity = op;\n"
    "  r.setAttribute('x', x.toFixed(2));\n"
    "  r.setAttribute('width', w.toFixed(2));\n"
    "  t.setAttribute('x', (x + 3).toFixed(2));\n"
    "  t.textContent = w < 21 ? '' : n.length <= k ? n"
        " : n.substring(0, k - 2) + '..';\n"
    "}\n"
    "function pp_zoom(g) {\n"
    "  var x = pp_a(g, 'x'), w = pp_a(g, 'w'), d = pp_a(g, 'd'),\n"
    "      sc = (W - 20) / w, e = 0.01, i, f, fx, fw, fd;\n"
    "  for (i = 0; i < F.length; i++) {\n"
    "    f = F[i]; fx = pp_a(f, 'x'); fw = pp_a(f, 'w'); fd = pp_a(f, 'd');\n"
    "    if (fd < d && fx <= x + e && fx + fw >= x + w - e) {\n"
    "      pp_place(f, 10, W - 20, 0.5);\n"
    "    } else if (fd >= d && fx >= x - e && fx + fw <= x + w + e) {\n"
    "      pp_place(f, 10 + (fx - x) * sc, fw * sc, 1);\n"
    "    } else { pp_place(f, 0, 0, 0); }\n"
    "  }\n"
    "  rz.style.opacity = 1;\n"
    "}\n"
    "function pp_reset() {\n"
    "  for (var i = 0; i < F.length; i++) {\n"
    "    pp_place(F[i], pp_a(F[i], 'x'), pp_a(F[i], 'w'), 1);\n"
    "  }\n"
    "  rz.style.opacity = 0;\n"
    "}\n"
    "function pp_search(re) {\n"
    "  var r = null, m = [], tot = 0, end = 0, i, f, a, b;\n"
    "  if (re !== '') { try { r = new RegExp(re); } catch (x) { return; } }\n"
    "  cur = re;\n"
    "  for (i = 0; i < F.length; i++) {\n"
    "    f = F[i];\n"
    "    if (r && r.test(f.getAttribute('data-n'))) {\n"
    "      f.getElementsByTagName('rect')[0]"
        ".setAttribute('fill', 'rgb(230,0,230)');\n"
    "      m.push([pp_a(f, 'x'), pp_a(f, 'w')]);\n"
    "    } else {\n"
    "      f.getElementsByTagName('rect')[0]"
        ".setAttribute('fill', f.getAttribute('data-c'));\n"
    "    }\n"
    "  }\n"
    "  m.sort(function (p, q) { return p[0] - q[0]; });\n"
    "  for (i = 0; i < m.length; i++) {\n"
    "    a = Math.max(m[i][0], end); b = m[i][0] + m[i][1];\n"
    "    if (b > a) { tot += b - a; end = b; }\n"
    "  }\n"
    "  mt.textContent = r ? 'Matched: '"
        " + (100 * tot / (W - 20)).toFixed(1) + '%' : '';\n"
    "  sb.textContent = r ? 'Reset Search' : 'Search';\n"
    "}\n"
    "function pp_ask() {\n"
    "  var t;\n"
    "  if (cur !== '') { pp_search(''); return; }\n"
    "  t = prompt('Search (regular expression):', '');\n"
    "  if (t !== null) { pp_search(t); }\n"
    "}\n";


pp_flame_t *
pp_flame_new(void)
{
    return calloc(1, sizeof(pp_flame_t));
}


/* the child of n named name; created in its sorted place if asked to */
static pp_fnode_t *
pp_flame_node(pp_fnode_t *n, const char *name, int create)
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

    if (!create) {
        return NULL;
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


static uint64_t
pp_flame_sum(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}


int
pp_flame_add(pp_flame_t *f, const char *const *frames, size_t n,
    uint64_t value)
{
    size_t              i;
    pp_fnode_t         *node;
    static const char  *unknown[] = { "[unknown]" };

    if (value == 0) {
        return 0;
    }

    if (n == 0) {
        frames = unknown;
        n = 1;
    }

    if (n > PP_FLAME_DEPTH_MAX) {
        n = PP_FLAME_DEPTH_MAX;
    }

    /*
     * Two passes: nodes first, values once every node is there, so that
     * running out of memory leaves the totals as they were; a node left
     * with nothing is neither drawn nor folded.
     */

    for (node = &f->root, i = 0; i < n; i++) {
        node = pp_flame_node(node, frames[i] != NULL ? frames[i]
                                                     : "[unknown]", 1);
        if (node == NULL) {
            return -1;
        }
    }

    /*
     * Sums saturate: hostile counts that wrapped would leave a parent
     * smaller than its child, and the child's box wider than the image.
     */
    node = &f->root;
    node->total = pp_flame_sum(node->total, value);

    for (i = 0; i < n; i++) {
        node = pp_flame_node(node, frames[i] != NULL ? frames[i]
                                                     : "[unknown]", 0);
        node->total = pp_flame_sum(node->total, value);
    }

    node->self = pp_flame_sum(node->self, value);

    if (n > f->depth) {
        f->depth = (unsigned) n;
    }

    return 0;
}


/* appends every stack under n that has a value of its own */
static int
pp_folded_walk(pp_folded_t *fd, const pp_fnode_t *n)
{
    char              *p;
    size_t             len, need;
    pp_fline_t        *l;
    const char        *s;
    const pp_fnode_t  *c;

    len = fd->len;

    for (c = n->child; c != NULL; c = c->next) {
        need = len + 1 + strlen(c->name) + 1;

        if (need > fd->size) {
            p = realloc(fd->path, need * 2);
            if (p == NULL) {
                return -1;
            }

            fd->path = p;
            fd->size = need * 2;
        }

        fd->len = len;

        if (len != 0) {
            fd->path[fd->len++] = ';';
        }

        for (s = c->name; *s != '\0'; s++) {
            fd->path[fd->len++] = *s == ';' ? ':'
                                  : (unsigned char) *s < 0x20 || *s == 0x7f
                                    ? '?' : *s;
        }

        fd->path[fd->len] = '\0';

        if (c->self != 0) {
            if (fd->nlines == fd->nalloc) {
                l = realloc(fd->lines, (fd->nalloc * 2 + 64)
                                       * sizeof(pp_fline_t));
                if (l == NULL) {
                    return -1;
                }

                fd->lines = l;
                fd->nalloc = fd->nalloc * 2 + 64;
            }

            l = &fd->lines[fd->nlines];
            l->value = c->self;
            l->stack = strdup(fd->path);
            if (l->stack == NULL) {
                return -1;
            }

            fd->nlines++;
        }

        if (pp_folded_walk(fd, c) != 0) {
            return -1;
        }
    }

    fd->len = len;

    return 0;
}


static int
pp_folded_cmp(const void *a, const void *b)
{
    return strcmp(((const pp_fline_t *) a)->stack,
                  ((const pp_fline_t *) b)->stack);
}


int
pp_flame_folded(FILE *out, const pp_flame_t *f)
{
    int          rc;
    size_t       i, j;
    uint64_t     v;
    pp_folded_t  fd;

    memset(&fd, 0, sizeof(fd));
    rc = -1;

    if (pp_folded_walk(&fd, &f->root) != 0) {
        goto cleanup;
    }

    if (fd.nlines > 1) {
        qsort(fd.lines, fd.nlines, sizeof(pp_fline_t), pp_folded_cmp);
    }

    for (i = 0; i < fd.nlines; i = j) {
        v = 0;

        for (j = i; j < fd.nlines
                    && strcmp(fd.lines[j].stack, fd.lines[i].stack) == 0;
             j++)
        {
            v += fd.lines[j].value;
        }

        fprintf(out, "%s %llu\n", fd.lines[i].stack, (unsigned long long) v);
    }

    rc = fflush(out) != 0 || ferror(out) ? -1 : 0;

cleanup:

    for (i = 0; i < fd.nlines; i++) {
        free(fd.lines[i].stack);
    }

    free(fd.lines);
    free(fd.path);

    return rc;
}


/* the length of the UTF-8 character at p that XML can carry, or 0 */
static size_t
pp_utf8(const unsigned char *p)
{
    if (p[0] < 0x80) {
        return p[0] >= 0x20 || p[0] == '\t' ? 1 : 0;
    }

    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        return (p[1] & 0xc0) == 0x80 ? 2 : 0;
    }

    if (p[0] >= 0xe0 && p[0] <= 0xef) {
        if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80
            || (p[0] == 0xe0 && p[1] < 0xa0)
            || (p[0] == 0xed && p[1] >= 0xa0)               /* surrogates */
            || (p[0] == 0xef && p[1] == 0xbf && p[2] >= 0xbe))  /* FFFE */
        {
            return 0;
        }

        return 3;
    }

    if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80
            || (p[3] & 0xc0) != 0x80
            || (p[0] == 0xf0 && p[1] < 0x90)
            || (p[0] == 0xf4 && p[1] >= 0x90))
        {
            return 0;
        }

        return 4;
    }

    return 0;
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


/*
 * XML text or attribute value of at most max characters of s (0: all);
 * a byte that is not part of a character XML can carry becomes '?'.
 */
static void
pp_xml(FILE *out, const char *s, size_t max)
{
    size_t  n, k;

    for (n = 0; *s != '\0' && (max == 0 || n < max); n++) {
        k = pp_utf8((const unsigned char *) s);

        if (k == 0) {
            fputc('?', out);
            s++;
            continue;
        }

        switch (*s) {
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
