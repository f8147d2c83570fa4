//  opts.c: the one option parser (opts.h): getopt_long does the parsing;
//  this only names the bad option, in one wording, and suggests the near
//  one.
#include "opts.h"

#include <assert.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_NAME_MAX 64 // longer words get no suggestion

static void
s_hint(const char *prog)
{
    fprintf(stderr, "Try '%s --help'.\n", prog);
}

//  Edit distance between a[0..na) and b[0..nb) counting insertions,
//  deletions, substitutions and swaps of two neighbours (optimal string
//  alignment), or SIZE_MAX when either is too long to bother.
static size_t
s_distance(const char *a, size_t na, const char *b, size_t nb)
{
    if (na >= S_NAME_MAX || nb >= S_NAME_MAX)
        return (size_t)-1;
    size_t d[S_NAME_MAX + 1][S_NAME_MAX + 1];
    for (size_t i = 0; i <= na; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= nb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= na; i++)
        for (size_t j = 1; j <= nb; j++) {
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v)
                v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
                a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    return d[na][nb];
}

const char *
cq_opt_nearest(const char *word, size_t len, const char *const names[],
               size_t n)
{
    const char *best = NULL, *prefix_of = NULL;
    size_t best_d = (size_t)-1, n_prefix = 0;
    for (size_t i = 0; i < n; i++) {
        size_t nl = strlen(names[i]);
        if (len > 0 && len < nl && strncmp(names[i], word, len) == 0) {
            prefix_of = names[i];
            n_prefix++;
        }
        size_t d = s_distance(word, len, names[i], nl);
        size_t longer = len > nl ? len : nl;
        size_t limit = longer / 3 < 2 ? longer / 3 : 2;
        if (limit == 0)
            limit = 1;
        if (d <= limit && d < best_d) {
            best = names[i];
            best_d = d;
        }
    }
    if (best != NULL)
        return best;
    return n_prefix == 1 ? prefix_of : NULL;
}

//  The names of a getopt_long table, into names (at most max); the count.
static size_t
s_names(const struct option *longopts, const char **names, size_t max)
{
    size_t n = 0;
    for (const struct option *o = longopts; o && o->name && n < max; o++)
        names[n++] = o->name;
    return n;
}

//  The flag (no value) that "--name=value" names, or NULL: the option
//  getopt_long refused a value for (its val is optopt).
static const struct option *
s_flag(const char *word, const struct option *longopts)
{
    const char *name = word + 2;
    size_t len = strcspn(name, "=");
    if (name[len] != '=')
        return NULL;
    for (const struct option *o = longopts; o && o->name; o++)
        if (o->has_arg == no_argument && o->val == optopt &&
            strncmp(o->name, name, len) == 0)
            return o;
    return NULL;
}

//  "--name[=value]" (the word getopt_long stopped at, optopt 0): reports
//  it as ambiguous or unknown, with the nearest name.
static void
s_bad_long(const char *prog, const char *word, const struct option *longopts)
{
    const char *name = word + 2;
    size_t len = strcspn(name, "=");
    size_t n_prefix = 0;
    for (const struct option *o = longopts; o && o->name; o++)
        if (strncmp(o->name, name, len) == 0)
            n_prefix++;
    const char *names[128] = {NULL};
    size_t n = s_names(longopts, names, sizeof names / sizeof names[0]);
    const char *near = cq_opt_nearest(name, len, names, n);
    if (n_prefix > 1) {
        //  "--pape": a prefix of --paper and --paper-seed, and maybe a typo
        //  for one of them
        fprintf(stderr, "%s: option '--%.*s' is ambiguous (", prog, (int)len,
                name);
        const char *sep = "";
        for (const struct option *o = longopts; o && o->name; o++)
            if (strncmp(o->name, name, len) == 0) {
                fprintf(stderr, "%s--%s", sep, o->name);
                sep = ", ";
            }
        if (near)
            fprintf(stderr, "); did you mean '--%s'?\n", near);
        else
            fprintf(stderr, ")\n");
        return;
    }
    if (near)
        fprintf(stderr, "%s: unknown option '--%.*s'; did you mean '--%s'?\n",
                prog, (int)len, name, near);
    else
        fprintf(stderr, "%s: unknown option '--%.*s'\n", prog, (int)len, name);
}

//  A missing value: the option's whole name when it was given long (maybe
//  abbreviated), else its letter.
static void
s_missing(const char *prog, const char *word, const struct option *longopts)
{
    if (strncmp(word, "--", 2) == 0) {
        const char *name = word + 2;
        size_t len = strcspn(name, "=");
        for (const struct option *o = longopts; o && o->name; o++)
            if (o->val == optopt && o->has_arg == required_argument &&
                strncmp(o->name, name, len) == 0) {
                fprintf(stderr, "%s: option '--%s' needs a value\n", prog,
                        o->name);
                return;
            }
        fprintf(stderr, "%s: option '--%.*s' needs a value\n", prog, (int)len,
                name);
        return;
    }
    fprintf(stderr, "%s: option '-%c' needs a value\n", prog, optopt);
}

//  Test only (opts.h): CLAIMQ_LIST_OPTIONS=1 lists the table and exits.
static void
s_list_if_asked(const struct option *longopts)
{
    static bool checked = false;
    if (checked)
        return;
    checked = true;
    const char *e = getenv("CLAIMQ_LIST_OPTIONS");
    if (e == NULL || strcmp(e, "1") != 0)
        return;
    for (const struct option *o = longopts; o && o->name; o++)
        printf("--%s\n", o->name);
    fflush(stdout);
    exit(0);
}

int
cq_getopt(int argc, char *const argv[], const char *shortopts,
          const struct option *longopts, const char *prog)
{
    s_list_if_asked(longopts);
    //  ':' first (after a '+' or '-' mode character): getopt_long then
    //  returns ':' for a missing value.
    char spec[128];
    size_t mode = shortopts[0] == '+' || shortopts[0] == '-' ? 1 : 0;
    if (shortopts[mode] == ':') {
        assert(strlen(shortopts) < sizeof spec);
        snprintf(spec, sizeof spec, "%s", shortopts);
    } else {
        assert(strlen(shortopts) + 1 < sizeof spec);
        snprintf(spec, sizeof spec, "%.*s:%s", (int)mode, shortopts,
                 shortopts + mode);
    }
    opterr = 0;
    int ch = getopt_long(argc, argv, spec, longopts, NULL);
    if (ch != '?' && ch != ':')
        return ch;
    const char *word = optind >= 1 && optind <= argc ? argv[optind - 1] : "";
    bool is_long = strncmp(word, "--", 2) == 0 && word[2] != '\0';
    const struct option *flag = is_long ? s_flag(word, longopts) : NULL;
    if (ch == ':')
        s_missing(prog, word, longopts);
    else if (is_long && optopt == 0)
        s_bad_long(prog, word, longopts);
    else if (flag != NULL)
        fprintf(stderr, "%s: option '--%s' takes no value\n", prog, flag->name);
    else if (isprint(optopt))
        fprintf(stderr, "%s: unknown option '-%c'\n", prog, optopt);
    else
        fprintf(stderr, "%s: unknown option '%s'\n", prog, word);
    s_hint(prog);
    return '?';
}

int
cq_opt_bad_value(const char *prog, const char *opt, const char *value,
                 const char *expected)
{
    fprintf(stderr, "%s: %s: '%s' is not valid (expected %s)\n", prog, opt,
            value, expected);
    s_hint(prog);
    return CQ_OPT_USAGE;
}

int
cq_opt_bad_command(const char *prog, const char *word,
                   const char *const names[], size_t n)
{
    const char *near = cq_opt_nearest(word, strlen(word), names, n);
    if (near)
        fprintf(stderr, "%s: unknown command '%s'; did you mean '%s'?\n", prog,
                word, near);
    else
        fprintf(stderr, "%s: unknown command '%s'\n", prog, word);
    s_hint(prog);
    return CQ_OPT_USAGE;
}
