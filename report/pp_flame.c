/*
 * Flame graphs: the tree and its folded lines.  Stacks are merged into a
 * tree whose children are kept sorted by name, so that the SVG
 * (pp_flame_svg.c) is laid out like flamegraph.pl's (root at the bottom,
 * siblings alphabetical) whatever order stacks came in.  Folded lines
 * are sorted and merged after escaping, since escaping can make two
 * stacks one.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp_flame_tree.h"


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


static pp_fnode_t *pp_flame_node(pp_fnode_t *n, const char *name,
    int create);
static uint64_t pp_flame_sum(uint64_t a, uint64_t b);
static int pp_folded_walk(pp_folded_t *fd, const pp_fnode_t *n);
static int pp_folded_cmp(const void *a, const void *b);
static void pp_flame_free_node(pp_fnode_t *n);


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
