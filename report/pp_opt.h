/*
 * Command-line options as a table, the way nginx declares directives:
 * each pp_opt_t names an option, the handler that reads its argument and
 * the offset of the field it sets in the program's options struct.
 * Adding an option is a line of the table (pp_report.c); a handler
 * prints its own "poolprof-report: bad ..." line.
 */

#ifndef _PP_OPT_H_INCLUDED_
#define _PP_OPT_H_INCLUDED_

#include <stddef.h>


#define PP_OPT_MAX      64              /* options in one table */

typedef struct pp_opt_s  pp_opt_t;

/* sets the option's field in conf from arg; 0, or -1 with a message */
typedef int (*pp_opt_set_pt)(void *conf, const pp_opt_t *opt,
    const char *arg);

struct pp_opt_s {
    const char             *name;       /* --name */
    int                     key;        /* -k, or past 255: no short one */
    int                     has_arg;    /* no_argument, required_argument */
    pp_opt_set_pt           set;
    size_t                  off;        /* of the field in conf */
    const void             *data;       /* the handler's, below */
};

/* pp_opt_word(): a word's index is the value, an int */
typedef struct {
    const char             *what;       /* in the message about a bad one */
    const char             *words[8];   /* NULL-terminated */
} pp_words_t;


int pp_opt_word(void *conf, const pp_opt_t *opt, const char *arg);
/* an unsigned from 1 to *(const unsigned *) data */
int pp_opt_number(void *conf, const pp_opt_t *opt, const char *arg);
int pp_opt_string(void *conf, const pp_opt_t *opt, const char *arg);
int pp_opt_flag(void *conf, const pp_opt_t *opt, const char *arg);
/* a uint64_t size: bytes, or a number and K, M or G (powers of 1024) */
int pp_opt_size(void *conf, const pp_opt_t *opt, const char *arg);
/* prints data, a string, and exits 0: --help, --version */
int pp_opt_print(void *conf, const pp_opt_t *opt, const char *arg);

/* the options of argv into conf; the index of the first operand, or -1 */
int pp_opt_parse(int argc, char **argv, const pp_opt_t *opts, void *conf);


#endif /* _PP_OPT_H_INCLUDED_ */
