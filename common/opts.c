//  opts.c: the one option parser (opts.h): getopt_long does the parsing;
//  this only names the bad option, in one wording, and suggests the near
//  one.
#include "opts.h"

#include "conf.h"
#include "mem.h"
#include "prelude.h"

#include <assert.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

//  getopt_long, every error worded (opts.h); no configuration.
static int
s_getopt_plain(int argc, char *const argv[], const char *shortopts,
               const struct option *longopts, const char *prog)
{
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

//  ---- configuration: the file and the environment as options ----------
//
//  The first cq_getopt of a parse reads the program's configuration file
//  and its environment variables and queues every value as the option it
//  names; the program's own switch then takes them one by one, exactly as
//  if typed, before the command line. Precedence is by skipping: a value
//  from the environment is skipped when the command line gives the option,
//  a value from the file when either does. So every program, every verb,
//  validates a configured value with the code that validates a typed one.

#define S_VAL_CONFIG 0x7f00
#define S_VAL_PRINT 0x7f01
#define S_OPTS_MAX 128

typedef struct {
    int index;         // into the program's longopts
    const char *value; // optarg (NULL for a flag)
    char origin[320];  // "FILE:LINE" or "$NAME"
} s_item_t;

static struct {
    char *const *argv; // the argv of the parse in progress
    bool active;
    bool print;
    const struct option *longopts;
    size_t n_opts;
    struct option ext[S_OPTS_MAX + 3];
    s_item_t queue[S_OPTS_MAX];
    size_t n_queue, next;
    //  what --print-config shows: the last value of each option, and whence
    const char *value[S_OPTS_MAX];
    char from[S_OPTS_MAX][320];
    bool set[S_OPTS_MAX];
    char origin[320]; // of the value being delivered ("" for the command line)
    const char *config_path;
    cq_conf_t *conf; // kept: optarg points into it
    const char *const *defaults;
    const char *const *commands;
    size_t n_commands;
} S;

void
cq_opt_defaults(const char *const pairs[])
{
    S.defaults = pairs;
}

void
cq_opt_commands(const char *const names[], size_t n)
{
    S.commands = names;
    S.n_commands = n;
}

//  Program name and section: "claimq-broker" has no section, "claimq
//  submit" is claimq's section "submit". base NULL: not configurable.
static void
s_identity(const char *prog, const char **base, const char **section,
           const char **env_prefix)
{
    *base = NULL;
    *section = "";
    *env_prefix = "";
    if (strcmp(prog, "claimq-broker") == 0) {
        *base = "claimq-broker";
        *env_prefix = "CLAIMQ_BROKER_";
    } else if (strcmp(prog, "claimq-worker") == 0) {
        *base = "claimq-worker";
        *env_prefix = "CLAIMQ_WORKER_";
    } else if (strncmp(prog, "claimq ", 7) == 0) {
        *base = "claimq";
        *section = prog + 7;
        *env_prefix = "CLAIMQ_";
    }
}

//  claimq's top-level keys: options most commands share. A command's own
//  options go in its [section].
static const char *const s_client_common[] = {"broker", "timeout", "curve-key",
                                              "broker-key"};

//  claimq reads these from the environment itself (bclient.c, cmd_up.c),
//  with its own wording: not delivered from the environment here, and a
//  file's value yields to the variable.
static const char *const s_client_own_env[] = {"broker", "dir", "curve-key",
                                               "broker-key"};

static bool
s_in(const char *name, const char *const list[], size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(name, list[i]) == 0)
            return true;
    return false;
}

static int
s_find(const char *name)
{
    for (size_t i = 0; i < S.n_opts; i++)
        if (strcmp(S.longopts[i].name, name) == 0)
            return (int)i;
    return -1;
}

static bool
s_configurable(size_t i)
{
    const char *n = S.longopts[i].name;
    return strcmp(n, "help") != 0 && strcmp(n, "version") != 0;
}

//  The environment variable of option name: prefix + upper case, '-' -> '_'.
static void
s_env_name(const char *prefix, const char *name, char *out, size_t size)
{
    size_t o = (size_t)snprintf(out, size, "%s", prefix);
    for (const char *p = name; *p && o + 1 < size; p++)
        out[o++] = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
    out[o < size ? o : size - 1] = '\0';
}

//  "true"/"false" and friends; -1 for anything else.
static int
s_bool(const char *v)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcmp(v, yes[i]) == 0)
            return 1;
        if (strcmp(v, no[i]) == 0)
            return 0;
    }
    return -1;
}

static int CQ_PRINTF(3, 4)
    s_conf_error(const char *prog, const char *where, const char *fmt, ...)
{
    fprintf(stderr, "%s: %s: ", prog, where);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    s_hint(prog);
    return '?';
}

//  strlcpy: dst and src may be parts of S
static void
s_copy(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    if (n >= size)
        n = size - 1;
    memmove(dst, src, n);
    dst[n] = '\0';
}

//  Queues option i with value v from origin, unless the command line (or,
//  for the file, the environment) gives it. For a flag, v is a boolean:
//  false queues nothing but is remembered for --print-config.
static int
s_queue(const char *prog, size_t i, const char *v, const char *origin,
        const bool given[])
{
    for (size_t j = 0; j < S.n_opts; j++)
        if (given[j] && S.longopts[j].val == S.longopts[i].val &&
            S.longopts[j].flag == S.longopts[i].flag)
            return 0;
    if (S.longopts[i].has_arg == no_argument) {
        int b = s_bool(v);
        if (b < 0)
            return s_conf_error(prog, origin, "%s: '%s' is not true or false",
                                S.longopts[i].name, v);
        if (b == 0) {
            S.value[i] = "false";
            s_copy(S.from[i], sizeof S.from[i], origin);
            S.set[i] = true;
            return 0;
        }
        v = NULL;
    }
    s_item_t *it = &S.queue[S.n_queue++];
    it->index = (int)i;
    it->value = v;
    s_copy(it->origin, sizeof it->origin, origin);
    return 0;
}

//  Reads the file's entries for this program into the queue.
static int
s_from_file(const char *prog, const char *base, const char *section,
            bool given[])
{
    const char *names[S_OPTS_MAX];
    size_t n_names = s_names(S.longopts, names, S_OPTS_MAX);
    bool client = strcmp(base, "claimq") == 0;
    for (size_t e = 0; e < S.conf->n; e++) {
        const cq_conf_entry_t *en = &S.conf->v[e];
        char where[320];
        snprintf(where, sizeof where, "%s:%u", S.conf->path, en->line);
        if (en->section[0] && !client) {
            snprintf(where, sizeof where, "%s:%u", S.conf->path,
                     en->section_line);
            return s_conf_error(prog, where,
                                "[%s]: %s's file has no sections (they are "
                                "claimq's commands)",
                                en->section, base);
        }
        if (en->section[0]) {
            size_t w = strcspn(en->section, " ");
            bool known = S.n_commands == 0;
            for (size_t c = 0; c < S.n_commands && !known; c++)
                known = strlen(S.commands[c]) == w &&
                        strncmp(S.commands[c], en->section, w) == 0;
            char swhere[320];
            snprintf(swhere, sizeof swhere, "%s:%u", S.conf->path,
                     en->section_line);
            if (!known)
                return s_conf_error(prog, swhere, "[%s]: no such command",
                                    en->section);
            if (strcmp(en->section, section) != 0)
                continue; // another command's
        } else if (client && !s_in(en->key, s_client_common,
                                   CQ_ARRAY_LEN(s_client_common)))
            return s_conf_error(prog, where,
                                "'%s' is not a key for every command; put it "
                                "under the [section] of the command it is an "
                                "option of",
                                en->key);
        int i = s_find(en->key);
        if (i < 0 && client && !en->section[0]) {
            //  a shared key this command does not take; claimq itself takes
            //  the two keys of a CURVE connection (main.c) from the
            //  environment, which the command line set first
            char env[96];
            s_env_name("CLAIMQ_", en->key, env, sizeof env);
            if ((strcmp(en->key, "curve-key") == 0 ||
                 strcmp(en->key, "broker-key") == 0) &&
                getenv(env) == NULL)
                setenv(env, en->value, 1);
            continue;
        }
        if (i < 0 || !s_configurable((size_t)i)) {
            const char *near =
                cq_opt_nearest(en->key, strlen(en->key), names, n_names);
            if (near)
                return s_conf_error(prog, where,
                                    "unknown key '%s'; did you mean '%s'?",
                                    en->key, near);
            return s_conf_error(prog, where, "unknown key '%s'", en->key);
        }
        if (client &&
            s_in(en->key, s_client_own_env, CQ_ARRAY_LEN(s_client_own_env))) {
            char env[96];
            s_env_name("CLAIMQ_", en->key, env, sizeof env);
            if (getenv(env) != NULL)
                continue; // the environment wins
        }
        if (s_queue(prog, (size_t)i, en->value, where, given) != 0)
            return '?';
    }
    return 0;
}

//  Reads PREFIX_NAME for every option into the queue, and marks those
//  given so the file yields to them.
static int
s_from_env(const char *prog, const char *base, const char *prefix, bool given[],
           bool from_env[])
{
    bool client = strcmp(base, "claimq") == 0;
    for (size_t i = 0; i < S.n_opts; i++) {
        if (!s_configurable(i) ||
            (client && s_in(S.longopts[i].name, s_client_own_env,
                            CQ_ARRAY_LEN(s_client_own_env))))
            continue;
        char env[96], origin[100];
        s_env_name(prefix, S.longopts[i].name, env, sizeof env);
        const char *v = getenv(env);
        if (v == NULL)
            continue;
        snprintf(origin, sizeof origin, "$%s", env);
        if (s_queue(prog, i, v, origin, given) != 0)
            return '?';
        from_env[i] = true;
    }
    return 0;
}

//  The first call of a parse: the command line looked over (which options
//  it gives, --config, --print-config), then the environment and the file
//  queued. '?' when the file cannot be used (said on stderr), else 0.
static int
s_begin(int argc, char *const argv[], const char *spec, const char *prog)
{
    const char *base, *section, *prefix;
    s_identity(prog, &base, &section, &prefix);
    bool given[S_OPTS_MAX] = {false}, from_env[S_OPTS_MAX] = {false};
    //  the command line, on a copy (getopt_long permutes what it parses)
    char **copy = cq_xcalloc((size_t)argc + 1, sizeof *copy);
    memcpy(copy, argv, (size_t)argc * sizeof *copy);
    const char *config = NULL;
    optind = 0;
    opterr = 0;
    for (;;) {
        int idx = -1;
        int ch = getopt_long(argc, copy, spec, S.ext, &idx);
        if (ch == -1)
            break;
        if (ch == S_VAL_CONFIG)
            config = optarg;
        else if (ch == S_VAL_PRINT)
            S.print = true;
        else if (idx >= 0 && (size_t)idx < S.n_opts)
            given[idx] = true;
        else if (ch != '?' && ch != ':')
            for (size_t i = 0; i < S.n_opts; i++)
                if (S.longopts[i].flag == NULL && S.longopts[i].val == ch)
                    given[i] = true;
    }
    free(copy);
    optind = 0;
    if (base == NULL)
        return 0;
    char dflt[128], env[96];
    s_env_name(prefix, "config", env, sizeof env);
    if (config == NULL && getenv(env) != NULL)
        config = getenv(env); // "": no file at all
    else if (config == NULL) {
        snprintf(dflt, sizeof dflt, "/etc/claimq/%s.conf", base);
        if (access(dflt, F_OK) == 0)
            config = dflt;
    }
    if (s_from_env(prog, base, prefix, given, from_env) != 0)
        return '?';
    if (config != NULL && config[0]) {
        cq_diag_t diag = {0};
        S.conf = cq_conf_load(config, &diag);
        if (S.conf == NULL) {
            //  "line N: why" -> "FILE:N: why", as the key errors below
            const char *why = diag.msg;
            char where[320];
            if (diag.offset > 0 && strncmp(why, "line ", 5) == 0 &&
                strstr(why, ": ")) {
                why = strstr(why, ": ") + 2;
                snprintf(where, sizeof where, "%s:%zu", config, diag.offset);
            } else
                snprintf(where, sizeof where, "%s", config);
            return s_conf_error(prog, where, "%s", why);
        }
        S.config_path = S.conf->path;
        //  the file's values go first: the queue is file, then environment
        size_t n_env = S.n_queue;
        s_item_t env_items[S_OPTS_MAX];
        memcpy(env_items, S.queue, n_env * sizeof *env_items);
        S.n_queue = 0;
        bool skip[S_OPTS_MAX];
        for (size_t i = 0; i < S.n_opts; i++)
            skip[i] = given[i] || from_env[i];
        if (s_from_file(prog, base, section, skip) != 0)
            return '?';
        if (S.n_queue + n_env > S_OPTS_MAX)
            n_env = S_OPTS_MAX - S.n_queue;
        memcpy(S.queue + S.n_queue, env_items, n_env * sizeof *env_items);
        S.n_queue += n_env;
    }
    return 0;
}

//  "key = value", quoted when the value would not read back as itself.
static void
s_print_entry(const char *key, const char *v)
{
    size_t n = strlen(v);
    bool quote = n == 0 || v[0] == ' ' || v[0] == '\t' || v[0] == '"' ||
                 v[n - 1] == ' ' || v[n - 1] == '\t';
    if (!quote) {
        printf("%s = %s\n", key, v);
        return;
    }
    printf("%s = \"", key);
    for (const char *p = v; *p; p++) {
        if (*p == '"' || *p == '\\')
            putchar('\\');
        putchar(*p);
    }
    printf("\"\n");
}

//  --print-config: every option's effective value and where it came from,
//  as a file the program would read back (sources on comment lines).
static void
s_print(const char *prog)
{
    const char *base, *section, *prefix;
    s_identity(prog, &base, &section, &prefix);
    printf("# %s: effective configuration\n", prog);
    printf("# precedence: command line > $%s* > %s > built-in default\n",
           prefix, S.config_path ? S.config_path : "(no file)");
    if (section[0])
        printf("[%s]\n", section);
    for (size_t i = 0; i < S.n_opts; i++) {
        if (!s_configurable(i))
            continue;
        const char *name = S.longopts[i].name;
        if (S.set[i]) {
            printf("# %s\n", S.from[i]);
            s_print_entry(name, S.value[i] ? S.value[i] : "true");
            continue;
        }
        const char *d = NULL;
        for (const char *const *p = S.defaults; p && p[0]; p += 2)
            if (strcmp(p[0], name) == 0)
                d = p[1];
        if (d == NULL && S.longopts[i].has_arg == no_argument)
            d = "false";
        if (d != NULL && d[0]) {
            printf("# built-in default\n");
            s_print_entry(name, d);
        } else
            printf("# %s: not set (see --help)\n", name);
    }
    fflush(stdout);
}

static void
s_record(int index, const char *value, const char *origin)
{
    if (index < 0 || (size_t)index >= S.n_opts)
        return;
    S.set[index] = true;
    S.value[index] = value;
    s_copy(S.from[index], sizeof S.from[index], origin);
}

int
cq_getopt(int argc, char *const argv[], const char *shortopts,
          const struct option *longopts, const char *prog)
{
    s_list_if_asked(longopts);
    //  dispatchers ("+h": options before a sub-command) read no file
    if (shortopts[0] == '+')
        return s_getopt_plain(argc, argv, shortopts, longopts, prog);
    char spec[128];
    size_t mode = shortopts[0] == '-' ? 1 : 0;
    snprintf(spec, sizeof spec, "%.*s:%s", (int)mode, shortopts,
             shortopts + mode + (shortopts[mode] == ':'));
    if (!S.active || S.argv != argv) {
        cq_conf_destroy(&S.conf);
        memset(&S.queue, 0, sizeof S.queue);
        S.argv = argv;
        S.active = true;
        S.print = false;
        S.n_queue = S.next = 0;
        S.config_path = NULL;
        S.longopts = longopts;
        S.n_opts = 0;
        while (longopts[S.n_opts].name && S.n_opts < S_OPTS_MAX)
            S.n_opts++;
        memcpy(S.ext, longopts, S.n_opts * sizeof *S.ext);
        S.ext[S.n_opts] =
            (struct option){"config", required_argument, NULL, S_VAL_CONFIG};
        S.ext[S.n_opts + 1] =
            (struct option){"print-config", no_argument, NULL, S_VAL_PRINT};
        S.ext[S.n_opts + 2] = (struct option){NULL, 0, NULL, 0};
        memset(S.set, 0, sizeof S.set);
        if (s_begin(argc, argv, spec, prog) != 0) {
            S.active = false;
            return '?';
        }
    }
    if (S.next < S.n_queue) {
        const s_item_t *it = &S.queue[S.next++];
        const struct option *o = &S.longopts[it->index];
        s_copy(S.origin, sizeof S.origin, it->origin);
        s_record(it->index, it->value, it->origin);
        optarg = (char *)it->value;
        if (o->flag) {
            *o->flag = o->val;
            return 0;
        }
        return o->val;
    }
    S.origin[0] = '\0';
    for (;;) {
        int ch = s_getopt_plain(argc, argv, spec, S.ext, prog);
        if (ch == S_VAL_CONFIG)
            continue;
        if (ch == S_VAL_PRINT) {
            S.print = true;
            continue;
        }
        if (ch == -1) {
            S.active = false;
            if (S.print) {
                s_print(prog);
                exit(0);
            }
            return -1;
        }
        if (ch == '?') {
            S.active = false;
            return ch;
        }
        for (size_t i = 0; i < S.n_opts; i++)
            if (S.longopts[i].flag == NULL && S.longopts[i].val == ch) {
                s_record((int)i, optarg, "command line");
                break;
            }
        return ch;
    }
}

int
cq_opt_bad_value(const char *prog, const char *opt, const char *value,
                 const char *expected)
{
    if (S.origin[0])
        fprintf(stderr, "%s: %s: %s: '%s' is not valid (expected %s)\n", prog,
                S.origin, opt, value, expected);
    else
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
