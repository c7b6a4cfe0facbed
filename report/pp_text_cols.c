/*
 * The columns of the text tables, in perf's style: each is a header, a
 * width, a format and the figure it shows, named as the row type's
 * figures are (pp_values.c), or a function for what is not a figure.
 */

#include <stdio.h>
#include <string.h>

#include "pp_text.h"


/* a column's text for one row */
static const char *
pp_col_text(char *buf, size_t len, const pp_column_t *c,
    const pp_rtable_t *t, const void *row)
{
    pp_rfigure_t  fig;

    if (c->text != NULL) {
        return c->text(buf, len, row);
    }

    if (pp_rfind(t, c->figure, &fig) != 0) {
        return "?";
    }

    switch (c->format) {

    case PP_COL_HUMAN:
        return pp_human(buf, len, pp_rfigure_u64(t, &fig, row));

    case PP_COL_G3:
        snprintf(buf, len, "%.3g", pp_rfigure_value(t, &fig, row));
        return buf;

    case PP_COL_PCT:
        snprintf(buf, len, "%.1f%%", pp_rfigure_value(t, &fig, row) * 100);
        return buf;

    default:
        snprintf(buf, len, "%llu",
                 (unsigned long long) pp_rfigure_u64(t, &fig, row));
        return buf;
    }
}


/* "  HEAD1 HEAD2 ...  what": the title is the caller's */
void
pp_columns_head(FILE *f, const pp_column_t *cols, size_t n, const char *what)
{
    size_t  i;

    fputc(' ', f);

    for (i = 0; i < n; i++) {
        fprintf(f, " %*s", cols[i].width, cols[i].head);
    }

    fprintf(f, "  %s\n", what);
}


void
pp_columns_row(FILE *f, const pp_column_t *cols, size_t n,
    const pp_rtable_t *t, const void *row, const char *name)
{
    char    buf[64];
    size_t  i;

    fputc(' ', f);

    for (i = 0; i < n; i++) {
        fprintf(f, " %*s", cols[i].width,
                pp_col_text(buf, sizeof(buf), &cols[i], t, row));
    }

    fprintf(f, "  %s\n", name);
}
