/*
 * The handlers of option tables (pp_opt.h) and the getopt_long() loop
 * that drives them: the long and short options are built from the table,
 * so that it is the one list of the options.
 */

#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp_report.h"
#include "pp_opt.h"


#define pp_opt_field(conf, opt, type)                                        \
    ((type *) ((char *) (conf) + (opt)->off))


/* one of the words: "unknown --by "x" (site, module, pool or tag)" */
int
pp_opt_word(void *conf, const pp_opt_t *opt, const char *arg)
{
    int                i, len;
    char               list[256];
    const pp_words_t  *w;

    w = opt->data;

    for (i = 0; w->words[i] != NULL; i++) {
        if (strcmp(arg, w->words[i]) == 0) {
            *pp_opt_field(conf, opt, int) = i;
            return 0;
        }
    }

    for (i = 0, len = 0; w->words[i] != NULL; i++) {
        len += snprintf(list + len, sizeof(list) - (size_t) len, "%s%s",
                        i == 0 ? "" : w->words[i + 1] != NULL ? ", " : " or ",
                        w->words[i]);
    }

    pp_error("unknown %s \"%s\" (%s)", w->what, arg, list);

    return -1;
}


int
pp_opt_number(void *conf, const pp_opt_t *opt, const char *arg)
{
    char           *end;
    unsigned long   n;

    n = strtoul(arg, &end, 10);

    if (end == arg || *end != '\0' || n == 0
        || n > *(const unsigned *) opt->data)
    {
        pp_error("bad --%s \"%s\"", opt->name, arg);
        return -1;
    }

    *pp_opt_field(conf, opt, unsigned) = (unsigned) n;

    return 0;
}


int
pp_opt_string(void *conf, const pp_opt_t *opt, const char *arg)
{
    *pp_opt_field(conf, opt, const char *) = arg;

    return 0;
}


int
pp_opt_flag(void *conf, const pp_opt_t *opt, const char *arg)
{
    (void) arg;

    *pp_opt_field(conf, opt, int) = 1;

    return 0;
}


/* "64M" -> 67108864; 0, a bad unit and what overflows are refused */
int
pp_opt_size(void *conf, const pp_opt_t *opt, const char *arg)
{
    char                *end;
    unsigned             shift;
    const char          *unit;
    unsigned long long   n;
    static const char    units[] = "KMGkmg";

    errno = 0;
    n = *arg >= '0' && *arg <= '9' ? strtoull(arg, &end, 10) : 0;

    shift = 0;
    unit = n != 0 && *end != '\0' ? strchr(units, *end) : NULL;

    if (unit != NULL) {
        shift = 10 * (unsigned) ((unit - units) % 3 + 1);
        end++;
    }

    if (n == 0 || errno != 0 || *end != '\0' || n > (UINT64_MAX >> shift)) {
        pp_error("bad --%s \"%s\" (bytes, or a number and K, M or G)",
                 opt->name, arg);
        return -1;
    }

    *pp_opt_field(conf, opt, uint64_t) = (uint64_t) n << shift;

    return 0;
}


int
pp_opt_print(void *conf, const pp_opt_t *opt, const char *arg)
{
    (void) conf;
    (void) arg;

    fputs(opt->data, stdout);
    exit(0);
}


int
pp_opt_parse(int argc, char **argv, const pp_opt_t *opts, void *conf)
{
    int            c, i, n;
    char           shorts[2 * PP_OPT_MAX + 1];
    struct option  longs[PP_OPT_MAX + 1];

    for (i = 0, n = 0; opts[i].name != NULL && i < PP_OPT_MAX; i++) {
        longs[i].name = opts[i].name;
        longs[i].has_arg = opts[i].has_arg;
        longs[i].flag = NULL;
        longs[i].val = opts[i].key;

        if (opts[i].key < 256) {
            shorts[n++] = (char) opts[i].key;
            shorts[n] = ':';
            n += opts[i].has_arg == required_argument;
        }
    }

    memset(&longs[i], 0, sizeof(struct option));
    shorts[n] = '\0';

    while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
        for (i = 0; opts[i].name != NULL && opts[i].key != c; i++) {
            /* void */
        }

        if (opts[i].name == NULL) {
            fputs("Try 'poolprof-report --help'.\n", stderr);
            return -1;
        }

        if (opts[i].set(conf, &opts[i], optarg) != 0) {
            return -1;
        }
    }

    return optind;
}
