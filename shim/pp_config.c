/*
 * The POOLPROF_* environment, read once in the constructor into
 * pp_conf.  One parser per kind of value (flag, count, size, duration),
 * and one rule: a value that does not parse, or is out of range, gives
 * one line on stderr naming the variable, the value and the fallback
 * that is used instead.  Nothing else in the shim calls getenv().
 */

#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "pp_shim.h"


pp_conf_t  pp_conf;

static int pp_conf_flag(const char *name, int dflt);
static uint64_t pp_conf_duration(const char *name, uint64_t dflt);
static int pp_conf_group(const char *name);
static const char *pp_conf_str(const char *name);


/* a variable's value, or NULL when it is unset or empty */
static const char *
pp_conf_str(const char *name)
{
    const char  *s;

    s = getenv(name);

    return s != NULL && s[0] != '\0' ? s : NULL;
}


/* "1"/"yes"/"on" or "0"/"no"/"off" */
static int
pp_conf_flag(const char *name, int dflt)
{
    const char  *s;

    s = pp_conf_str(name);
    if (s == NULL) {
        return dflt;
    }

    if (strcmp(s, "1") == 0 || strcmp(s, "yes") == 0 || strcmp(s, "on") == 0)
    {
        return 1;
    }

    if (strcmp(s, "0") == 0 || strcmp(s, "no") == 0 || strcmp(s, "off") == 0)
    {
        return 0;
    }

    pp_msg("%s=\"%.64s\" is not 0 or 1; using %d", name, s, dflt);

    return dflt;
}


/*
 * A decimal number; with suffixes, an optional K, M or G multiplies it.
 * NULL: not set; "" and *v: the value; else what is wrong.
 */
static const char *
pp_conf_number(const char *s, int suffixes, uint64_t min, uint64_t max,
    uint64_t *v)
{
    int                  shift;
    char                *end;
    unsigned long long   n;

    errno = 0;
    n = strtoull(s, &end, 10);
    shift = 0;

    if (suffixes) {
        switch (*end) {
        case 'k': case 'K': shift = 10; end++; break;
        case 'm': case 'M': shift = 20; end++; break;
        case 'g': case 'G': shift = 30; end++; break;
        }
    }

    if (s[0] < '0' || s[0] > '9' || errno != 0 || *end != '\0'
        || n > (max >> shift) || (n << shift) < min)
    {
        return "bad";
    }

    *v = (uint64_t) n << shift;

    return "";
}


/*
 * A count from min to max, or, with suffixes, bytes with an optional K,
 * M or G from min to max; dflt, and one line, for a bad value
 */
static uint64_t
pp_conf_value(const char *name, int suffixes, uint64_t min, uint64_t max,
    uint64_t dflt)
{
    uint64_t     v;
    const char  *s;

    s = pp_conf_str(name);
    if (s == NULL) {
        return dflt;
    }

    if (*pp_conf_number(s, suffixes, min, max, &v) == '\0') {
        return v;
    }

    if (suffixes) {
        pp_msg("%s=\"%.64s\" is not a size from %lluK to %lluM; using %lluM",
               name, s, (unsigned long long) min >> 10,
               (unsigned long long) max >> 20,
               (unsigned long long) dflt >> 20);
    } else {
        pp_msg("%s=\"%.64s\" is not a number from %llu to %llu; using %llu",
               name, s, (unsigned long long) min, (unsigned long long) max,
               (unsigned long long) dflt);
    }

    return dflt;
}

#define pp_conf_count(name, min, max, dflt)                                  \
    pp_conf_value(name, 0, min, max, dflt)
#define pp_conf_size(name, min, max, dflt)                                   \
    pp_conf_value(name, 1, min, max, dflt)


/* "10s", "500ms", "2m", "250us", "0", "off"; a bare number is seconds */
static uint64_t
pp_conf_duration(const char *name, uint64_t dflt)
{
    char        *end;
    double       v, unit;
    const char  *s;

    s = pp_conf_str(name);
    if (s == NULL) {
        return dflt;
    }

    if (strcmp(s, "off") == 0) {
        return PP_LONG_LIVED_OFF;
    }

    v = strtod(s, &end);
    unit = -1;

    if (end != s && s[0] >= '0' && s[0] <= '9') {
        if (*end == '\0' || strcmp(end, "s") == 0) {
            unit = 1e9;
        } else if (strcmp(end, "ms") == 0) {
            unit = 1e6;
        } else if (strcmp(end, "us") == 0) {
            unit = 1e3;
        } else if (strcmp(end, "ns") == 0) {
            unit = 1;
        } else if (strcmp(end, "m") == 0) {
            unit = 60e9;
        } else if (strcmp(end, "h") == 0) {
            unit = 3600e9;
        }
    }

    if (unit < 0 || !(v >= 0) || v * unit > 1e18) {
        pp_msg("%s=\"%.64s\" is not a duration such as 10s, 500ms or off; "
               "using %llus", name, s, (unsigned long long) dflt / 1000000000);
        return dflt;
    }

    return (uint64_t) (v * unit);
}


/* POOLPROF_GROUP: a group name or number; -1 when unset or unknown */
static int
pp_conf_group(const char *name)
{
    char          *end;
    const char    *s;
    unsigned long  v;
    struct group  *g;

    s = pp_conf_str(name);
    if (s == NULL) {
        return -1;
    }

    errno = 0;
    v = strtoul(s, &end, 10);
    if (s[0] >= '0' && s[0] <= '9' && errno == 0 && *end == '\0'
        && v < INT_MAX)
    {
        return (int) v;
    }

    g = getgrnam(s);
    if (g == NULL) {
        pp_msg("%s=\"%.64s\" is not a group; segments stay private (0600)",
               name, s);
        return -1;
    }

    return (int) g->gr_gid;
}


/* everything but POOLPROF_DISABLE, which pp_conf_disabled() reads first */
void
pp_conf_load(void)
{
    pp_conf.verbose = pp_conf_flag("POOLPROF_VERBOSE", 0);
    pp_conf.segment = pp_conf_str("POOLPROF_SEGMENT");
    pp_conf.dir = pp_conf_str("POOLPROF_DIR");
    pp_conf.size = pp_conf_size("POOLPROF_SIZE", PP_SEG_MIN_SIZE,
                                (uint64_t) 1 << 50, PP_SIZE_DEFAULT);
    pp_conf.shards = (uint32_t) pp_conf_count("POOLPROF_SHARDS", 1,
                                              PP_SHARDS_MAX - 1,
                                              PP_SHARDS_DEFAULT);
    pp_conf.keep = pp_conf_flag("POOLPROF_KEEP", 0);
    pp_conf.keep_max = (uint32_t) pp_conf_count("POOLPROF_KEEP_MAX", 1,
                                                10000, PP_KEEP_MAX_DEFAULT);
    pp_conf.gid = pp_conf_group("POOLPROF_GROUP");
    pp_conf.max_tracked = pp_conf_count("POOLPROF_MAX_TRACKED", 0,
                                        (uint64_t) 1 << 40,
                                        PP_MAX_TRACKED_DEFAULT);
    pp_conf.stack_period = (uint32_t) pp_conf_count("POOLPROF_STACKS", 0,
                                                    1000000000,
                                                    PP_STACKS_DEFAULT);
    pp_conf.stack_depth = (uint32_t) pp_conf_count("POOLPROF_STACK_DEPTH", 1,
                                                   PP_STACK_FRAMES,
                                                   PP_STACK_DEPTH_DEFAULT);
    pp_conf.long_lived_ns = pp_conf_duration("POOLPROF_LONG_LIVED",
                                             PP_LONG_LIVED_DEFAULT);
    pp_conf.sample_period = (uint32_t) pp_conf_count("POOLPROF_SAMPLE", 0,
                                                     PP_SEG_SAMPLE_MAX, 1);
    pp_conf.sample_seed = pp_conf_count("POOLPROF_SAMPLE_SEED", 0,
                                        UINT64_MAX, 0);
    pp_conf.skip = pp_conf_str("POOLPROF_SKIP");
    pp_conf.small = pp_conf_flag("POOLPROF_SMALL", 1);
}


int
pp_conf_disabled(void)
{
    const char  *s;

    s = pp_conf_str("POOLPROF_DISABLE");

    /* any value but 0 disables: the kill switch must not be misread */
    return s != NULL && strcmp(s, "0") != 0;
}
