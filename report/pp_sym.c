/*
 * Symbolization, offline: an address is an offset into the object that
 * covered it in its process.  A file that is not the one recorded is not
 * used: the build-id decides when both the record and the file have one,
 * else device, inode, mtime and size.  Each object is read once.  Every
 * address of the report is named here, eagerly, stack frames included:
 * nothing after this stage opens an object file.
 */

#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pp_report.h"


/* 1 when the file is the one the shim recorded */
static int
pp_obj_matches(const pp_object_t *o, pp_symtab_t *st, const struct stat *sb)
{
    size_t   n;
    uint8_t  id[PP_BUILD_ID_MAX];

    n = pp_symtab_build_id(st, id, sizeof(id));

    /* the build-id decides when both sides have one: a reinstall of the
     * same build keeps its symbols */
    if (o->build_id_len != 0 && n != 0) {
        return n == o->build_id_len && memcmp(id, o->build_id, n) == 0;
    }

    if (o->build_id_len != 0) {
        return 0;
    }

    if (o->ino == 0 && o->file_size == 0) {
        return 1;       /* the shim could not stat it: nothing to compare */
    }

    return (uint64_t) sb->st_dev == o->dev && (uint64_t) sb->st_ino == o->ino
           && (int64_t) sb->st_mtime == o->mtime
           && (uint64_t) sb->st_size == o->file_size;
}


/*
 * The object's file, a regular file at the recorded path itself: a
 * symbolic link there is not followed (pp_open_regular())
 */
static void
pp_obj_load(pp_report_t *r, pp_robj_t *ro)
{
    char          path[PP_PATH_MAX], err[PP_ERR_LEN];
    size_t        n, d;
    struct stat   sb;
    pp_symtab_t  *st;
    const char   *deleted;

    ro->loaded = 1;

    snprintf(path, sizeof(path), "%s", ro->o.path);
    st = pp_symtab_open(path, &sb, err, sizeof(err));

    /* readlink() of a replaced executable */
    deleted = " (deleted)";
    n = strlen(path);
    d = strlen(deleted);

    if (st == NULL && n > d && strcmp(path + n - d, deleted) == 0) {
        path[n - d] = '\0';
        st = pp_symtab_open(path, &sb, err, sizeof(err));
    }

    if (st == NULL) {
        pp_report_warn(r, "cannot read %s: %s; showing offsets", ro->o.path,
                       err);
        return;
    }

    if (!pp_obj_matches(&ro->o, st, &sb)) {
        pp_report_warn(r, "%s changed since it was recorded; showing "
                       "offsets", ro->o.path);
        pp_symtab_close(st);
        return;
    }

    pp_symtab_load(st, ro->o.build_id, ro->o.build_id_len);
    ro->syms = st;
}


/*
 * names one row: sites are return addresses, so look one byte back;
 * kind 0 a return address, 1 code, 2 data; source NULL: no file:line
 */
void
pp_sym_row(pp_report_t *r, uint64_t key, int obj, int overflow, int kind,
    char **symbol, char **source)
{
    uint64_t      off;
    pp_robj_t    *ro;
    const char   *name;
    pp_symtab_t  *st;

    *symbol = NULL;

    if (source != NULL) {
        *source = NULL;
    }

    if (overflow) {
        *symbol = strdup("(overflow)");

    } else if (kind == 2 && key == PP_TAG_NONE) {
        *symbol = strdup("(none)");

    } else if (obj != PP_NO_OBJECT) {
        ro = &r->objs[obj];

        if (!ro->loaded) {
            pp_obj_load(r, ro);
        }

        st = ro->syms;

        if (st != NULL) {
            off = key - ro->o.base;
            if (kind == 0 && off > 0) {
                off--;
            }

            name = pp_symtab_find(st, off, kind == 2);

            if (name == NULL && kind != 2) {
                *symbol = pp_static_name(st, pp_module_base(r, obj), off);
            }

            if (*symbol == NULL) {
                *symbol = strdup(name != NULL ? name : "");
            }

            if (source != NULL) {
                *source = pp_symtab_source(st, off);
            }
        }
    }

    if (*symbol == NULL) {
        *symbol = strdup("");
    }

    if (source != NULL && *source == NULL) {
        *source = strdup("");
    }
}


/* every frame of a stack; the overflow row has none */
static void
pp_sym_stack(pp_report_t *r, pp_rstack_t *st)
{
    uint32_t  f;

    if (st->overflow) {
        return;
    }

    st->symbols = calloc(st->s.depth + 1, sizeof(char *));
    if (st->symbols == NULL) {
        return;
    }

    for (f = 0; f < st->s.depth; f++) {
        pp_sym_row(r, st->s.frames[f], st->objs[f], 0, 0, &st->symbols[f],
                   NULL);
    }
}


/* a row's owner, a return address in nginx or a module: NULL if none */
static void
pp_sym_owner(pp_report_t *r, uint64_t owner, int obj, int overflow,
    char **symbol)
{
    *symbol = NULL;

    if (owner != 0 && !overflow && obj != PP_NO_OBJECT) {
        pp_sym_row(r, owner, obj, 0, 0, symbol, NULL);
    }
}


/* the file name of an object, as recorded; NULL for none */
const char *
pp_module_base(const pp_report_t *r, int obj)
{
    const char  *path, *base;

    if (obj == PP_NO_OBJECT || (size_t) obj >= r->nobjs) {
        return NULL;
    }

    path = r->objs[obj].o.path;
    base = strrchr(path, '/');

    return base != NULL ? base + 1 : path;
}


void
pp_sym_resolve(pp_report_t *r)
{
    size_t         i;
    pp_rlive_t    *l;
    pp_rgrowth_t  *g;

    if (elf_version(EV_CURRENT) == EV_NONE) {
        pp_report_warn(r, "failed to initialize libelf; showing offsets");
    }

    for (i = 0; i < r->nsites; i++) {
        pp_sym_row(r, r->sites[i].key, r->sites[i].obj, r->sites[i].overflow,
                   0, &r->sites[i].symbol, &r->sites[i].source);
        pp_sym_owner(r, r->sites[i].s.owner, r->sites[i].owner_obj,
                     r->sites[i].overflow, &r->sites[i].owner_symbol);
    }

    for (i = 0; i < r->npools; i++) {
        pp_sym_row(r, r->pools[i].key, r->pools[i].obj, r->pools[i].overflow,
                   0, &r->pools[i].symbol, &r->pools[i].source);
        pp_sym_owner(r, r->pools[i].p.owner, r->pools[i].owner_obj,
                     r->pools[i].overflow, &r->pools[i].owner_symbol);
    }

    for (i = 0; i < r->ntags; i++) {
        pp_sym_row(r, r->tags[i].key, r->tags[i].obj, r->tags[i].overflow,
                   2, &r->tags[i].symbol, &r->tags[i].source);
    }

    for (i = 0; i < r->ngrowth; i++) {
        g = &r->growth[i];
        pp_sym_row(r, g->g.site, g->obj, g->overflow, 0, &g->symbol, NULL);
        pp_sym_row(r, g->g.pool_site, g->pool_obj, g->overflow, 0,
                   &g->pool_symbol, NULL);
    }

    for (i = 0; i < r->nlive; i++) {
        l = &r->live[i];
        pp_sym_row(r, l->l.site, l->obj, 0, 0, &l->symbol, NULL);
    }

    for (i = 0; i < r->nstacks; i++) {
        pp_sym_stack(r, &r->stacks[i]);
    }
}


/* 1 when symbol is one of names or, with prefix, starts with one */
int
pp_sym_in(const char *symbol, const char *const *names, int prefix)
{
    size_t  i;

    for (i = 0; symbol != NULL && names[i] != NULL; i++) {
        if (prefix ? strncmp(symbol, names[i], strlen(names[i])) == 0
                   : strcmp(symbol, names[i]) == 0)
        {
            return 1;
        }
    }

    return 0;
}


static void
pp_sym_free_row(char *symbol, char *source)
{
    free(symbol);
    free(source);
}


/* every name of pp_sym_resolve(), and the object files it read */
void
pp_sym_free(pp_report_t *r)
{
    size_t    i;
    uint32_t  f;

    for (i = 0; i < r->nsites; i++) {
        pp_sym_free_row(r->sites[i].symbol, r->sites[i].source);
        free(r->sites[i].owner_symbol);
    }

    for (i = 0; i < r->npools; i++) {
        pp_sym_free_row(r->pools[i].symbol, r->pools[i].source);
        free(r->pools[i].owner_symbol);
    }

    for (i = 0; i < r->ntags; i++) {
        pp_sym_free_row(r->tags[i].symbol, r->tags[i].source);
    }

    for (i = 0; i < r->ngrowth; i++) {
        pp_sym_free_row(r->growth[i].symbol, r->growth[i].pool_symbol);
    }

    for (i = 0; i < r->nlive; i++) {
        free(r->live[i].symbol);
    }

    for (i = 0; i < r->nstacks; i++) {
        for (f = 0; r->stacks[i].symbols != NULL && f < r->stacks[i].s.depth;
             f++)
        {
            free(r->stacks[i].symbols[f]);
        }

        free(r->stacks[i].symbols);
        r->stacks[i].symbols = NULL;
    }

    pp_static_free();

    for (i = 0; i < r->nobjs; i++) {
        pp_symtab_close(r->objs[i].syms);
        r->objs[i].syms = NULL;
    }
}
