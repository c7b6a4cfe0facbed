/*
 * The text report's own helpers, shared by pp_text.c (the frame: header,
 * totals, warnings), pp_text_tables.c (the tables of rows),
 * pp_text_leaks.c (leaks and growth) and pp_escape.c (names).
 */

#ifndef _PP_TEXT_H_INCLUDED_
#define _PP_TEXT_H_INCLUDED_

#include "pp_report.h"


#define PP_TEXT_WIDTH   100
#define PP_NAME_BUF     (2 * PP_PATH_MAX + 64)

/* ANSI attributes, only when the view's color is on */
#define pp_bold(v)      ((v)->color ? "\033[1m" : "")
#define pp_warn(v)      ((v)->color ? "\033[33m" : "")
#define pp_red(v)       ((v)->color ? "\033[31m" : "")
#define pp_off(v)       ((v)->color ? "\033[0m" : "")


/* pp_text_cols.c: a column of a table; figure: a name of its row type */
#define PP_COL_COUNT    0
#define PP_COL_HUMAN    1               /* bytes, as pp_human() */
#define PP_COL_G3       2               /* "%.3g" */
#define PP_COL_PCT      3               /* a ratio as a percentage */

typedef struct {
    const char             *head;
    int                     width;
    int                     format;     /* PP_COL_* */
    const char             *figure;
    const char           *(*text)(char *buf, size_t len, const void *row);
} pp_column_t;

#define pp_ncols(c)     (sizeof(c) / sizeof((c)[0]))

void pp_columns_head(FILE *f, const pp_column_t *cols, size_t n,
    const char *what);
void pp_columns_row(FILE *f, const pp_column_t *cols, size_t n,
    const pp_rtable_t *t, const void *row, const char *name);

/* pp_text_tables.c: a row's name, and the library line under it */
const char *pp_text_row_name(char *buf, size_t len, const pp_report_t *r,
    uint64_t key, int obj, const char *symbol, const char *source,
    uint64_t owner, int owner_obj, const char *owner_symbol, size_t width);
void pp_text_library(FILE *f, const pp_report_t *r, uint64_t key, int obj,
    const char *symbol, int indent);

const char *pp_text_name(char *buf, size_t len, const pp_report_t *r,
    uint64_t key, int obj, const char *symbol, const char *source,
    size_t width);

void pp_text_sites(FILE *f, const pp_report_t *r, const pp_view_t *v);
void pp_text_noops(FILE *f, const pp_report_t *r, const pp_view_t *v);
void pp_text_modules(FILE *f, const pp_report_t *r, const pp_view_t *v);
void pp_text_pools(FILE *f, const pp_report_t *r, const pp_view_t *v);
void pp_text_tags(FILE *f, const pp_report_t *r, const pp_view_t *v);


#endif /* _PP_TEXT_H_INCLUDED_ */
