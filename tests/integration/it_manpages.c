//  it_manpages.c: the manual pages (docs/man/) and the bash completion
//  (deploy/completion/claimq) follow the programs' own --help texts.
//  Every long option and every $VARIABLE a --help text names is in the
//  program's page: claimq's verbs (those `claimq --help` lists), their
//  sub-verbs (the words of their usage lines) and benchmarks (`claimq bench
//  --help`) each in the verb's own subsection; the pages render with groff
//  without a warning; and the completion, sourced in bash, completes the
//  verbs and every option of each option table.
#include "cq_test.h"

#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_MAX_WORDS 64
#define S_WORD 48

typedef char s_word_t[S_WORD];

//  The --help text (stdout, then stderr) of `prog [w1 [w2]] --help`, which
//  must exit 0. Caller frees.
static char *
s_help(const char *prog, const char *w1, const char *w2)
{
    char bin[4096];
    snprintf(bin, sizeof bin, "%s", cq_test_bin(prog));
    char *argv[5];
    int n = 0;
    argv[n++] = bin;
    if (w1)
        argv[n++] = (char *)w1;
    if (w2)
        argv[n++] = (char *)w2;
    argv[n++] = "--help";
    argv[n] = NULL;
    cq_run_t r;
    cr_assert_eq(cq_test_run(argv, NULL, 30, &r), 0);
    cr_assert_eq(r.status, 0, "%s %s %s --help: exit %d: %s", prog,
                 w1 ? w1 : "", w2 ? w2 : "", r.status, r.err);
    size_t len = r.out_len + r.err_len + 2;
    char *text = malloc(len);
    snprintf(text, len, "%s\n%s", r.out, r.err);
    cq_run_free(&r);
    return text;
}

static bool
s_is_opt_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '_';
}

static bool
s_has(s_word_t *words, size_t n, const char *w)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(words[i], w) == 0)
            return true;
    return false;
}

//  Every distinct long option ("--name") a text names, wherever it is: the
//  option table, the usage lines and the prose. Returns the count.
static size_t
s_long_options(const char *text, s_word_t *opts, size_t max)
{
    size_t n = 0;
    for (const char *p = strstr(text, "--"); p; p = strstr(p + 2, "--")) {
        if (p > text && s_is_opt_char(p[-1]))
            continue;
        const char *q = p + 2;
        if (!((*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9')))
            continue;
        size_t len = 2;
        while (len < S_WORD - 1 && s_is_opt_char(p[len]) && p[len] != '_')
            len++;
        while (p[len - 1] == '-')
            len--;
        s_word_t w;
        snprintf(w, sizeof w, "%.*s", (int)len, p);
        if (!s_has(opts, n, w) && n < max)
            snprintf(opts[n++], S_WORD, "%s", w);
    }
    return n;
}

//  Every distinct environment variable ("$NAME", upper case) a text names.
static size_t
s_variables(const char *text, s_word_t *vars, size_t max)
{
    size_t n = 0;
    for (const char *p = strchr(text, '$'); p; p = strchr(p + 1, '$')) {
        size_t len = 0;
        while (len < S_WORD - 1 &&
               ((p[1 + len] >= 'A' && p[1 + len] <= 'Z') ||
                (p[1 + len] >= '0' && p[1 + len] <= '9') || p[1 + len] == '_'))
            len++;
        if (len < 2)
            continue;
        s_word_t w;
        snprintf(w, sizeof w, "%.*s", (int)len, p + 1);
        if (!s_has(vars, n, w) && n < max)
            snprintf(vars[n++], S_WORD, "%s", w);
    }
    return n;
}

//  The words listed under `heading` in a usage text: the first word of each
//  indented line up to the next unindented one ("verbs:", "benchmarks:").
static size_t
s_listed(const char *text, const char *heading, s_word_t *words, size_t max)
{
    const char *p = strstr(text, heading);
    size_t n = 0;
    if (p == NULL)
        return 0;
    p = strchr(p + 1, '\n');
    while (p && p[1] == ' ' && n < max) {
        p++;
        while (*p == ' ')
            p++;
        size_t len = strcspn(p, " \n");
        snprintf(words[n++], S_WORD, "%.*s", (int)len, p);
        p = strchr(p, '\n');
    }
    return n;
}

//  The sub-verbs of `verb` in its usage lines ("usage: claimq VERB ..." and
//  the indented "claimq VERB ..." lines after it): the lower-case words,
//  split at '|', between "claimq VERB" and the first word that is an option
//  or in brackets ("claimq ledger verify FILE...", "claimq quarantine
//  list|show ID|release ID [--broker URL]").
static size_t
s_subverbs(const char *help, const char *verb, s_word_t *subs, size_t max)
{
    char prefix[96];
    snprintf(prefix, sizeof prefix, "claimq %.*s ", S_WORD, verb);
    size_t n = 0;
    for (const char *line = help; line && *line;) {
        const char *eol = strchr(line, '\n');
        size_t line_len = eol ? (size_t)(eol - line) : strlen(line);
        const char *p = line;
        while (*p == ' ')
            p++;
        if (strncmp(p, "usage: ", 7) == 0)
            p += 7;
        if ((size_t)(p - line) < line_len &&
            strncmp(p, prefix, strlen(prefix)) == 0) {
            p += strlen(prefix);
            const char *end = line + line_len;
            while (p < end) {
                while (p < end && *p == ' ')
                    p++;
                size_t len = 0;
                while (p + len < end && p[len] != ' ')
                    len++;
                if (len == 0 || *p == '-' || *p == '[')
                    break;
                //  split the word at '|'
                for (size_t i = 0; i < len;) {
                    size_t k = 0;
                    while (i + k < len && p[i + k] != '|')
                        k++;
                    bool lower = k > 0 && p[i] >= 'a' && p[i] <= 'z';
                    for (size_t j = 0; j < k && lower; j++)
                        lower = (p[i + j] >= 'a' && p[i + j] <= 'z') ||
                                (p[i + j] >= '0' && p[i + j] <= '9');
                    s_word_t w;
                    snprintf(w, sizeof w, "%.*s", (int)k, p + i);
                    if (lower && !s_has(subs, n, w) && n < max)
                        snprintf(subs[n++], S_WORD, "%s", w);
                    i += k + 1;
                }
                p += len;
            }
        }
        line = eol ? eol + 1 : NULL;
    }
    return n;
}

//  A manual page's source with roff's "\-" made "-" (so "\-\-wait" reads
//  "--wait"). Caller frees.
static char *
s_page(const char *name)
{
    char rel[128];
    snprintf(rel, sizeof rel, "docs/man/%s", name);
    char *text = cq_test_read(cq_test_src(rel), NULL);
    cr_assert_not_null(text, "%s is missing", rel);
    char *w = text;
    for (const char *r = text; *r; r++) {
        if (r[0] == '\\' && r[1] == '-') {
            *w++ = '-';
            r++;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
    return text;
}

//  The part of a page under the heading `.SS "title"` (or `.SH title`, when
//  macro is "SH") up to the next .SS or .SH line, copied into a new string;
//  NULL when the page has no such heading.
static char *
s_section(const char *page, const char *macro, const char *title)
{
    for (const char *line = page; line && *line;) {
        const char *eol = strchr(line, '\n');
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        if (line[0] == '.' && strncmp(line + 1, macro, 2) == 0 &&
            line[3] == ' ') {
            const char *t = line + 4;
            size_t tlen = len - 4;
            if (tlen >= 2 && t[0] == '"' && t[tlen - 1] == '"') {
                t++;
                tlen -= 2;
            }
            if (tlen == strlen(title) && strncmp(t, title, tlen) == 0) {
                const char *start = eol ? eol + 1 : line + len;
                const char *end = start;
                while (*end &&
                       !(end[0] == '.' && (strncmp(end + 1, "SS ", 3) == 0 ||
                                           strncmp(end + 1, "SH ", 3) == 0))) {
                    const char *nl = strchr(end, '\n');
                    end = nl ? nl + 1 : end + strlen(end);
                }
                return strndup(start, (size_t)(end - start));
            }
        }
        line = eol ? eol + 1 : NULL;
    }
    return NULL;
}

//  text holds `word` not followed by another option character (so that
//  "--paper" is not found in "--paper-seed").
static bool
s_has_option(const char *text, const char *word)
{
    size_t len = strlen(word);
    for (const char *p = strstr(text, word); p; p = strstr(p + 1, word))
        if (!s_is_opt_char(p[len]) && (p == text || !s_is_opt_char(p[-1])))
            return true;
    return false;
}

//  Every long option of `help` (but --help, which every verb takes and the
//  OPTIONS section documents once) is in `text`, the part of page `page`
//  that documents `what`.
static void
s_check_options(const char *what, const char *help, const char *page,
                const char *text)
{
    s_word_t opts[S_MAX_WORDS * 2];
    size_t n = s_long_options(help, opts, S_MAX_WORDS * 2);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(opts[i], "--help") == 0)
            continue;
        cr_assert(s_has_option(text, opts[i]),
                  "%s --help names %s, which %s does not document there", what,
                  opts[i], page);
    }
}

//  Every $VARIABLE of `help` is in the ENVIRONMENT section of page.
static void
s_check_variables(const char *what, const char *help, const char *name,
                  const char *page)
{
    char *env = s_section(page, "SH", "ENVIRONMENT");
    cr_assert_not_null(env, "%s has no ENVIRONMENT section", name);
    s_word_t vars[S_MAX_WORDS];
    size_t n = s_variables(help, vars, S_MAX_WORDS);
    for (size_t i = 0; i < n; i++) {
        char tag[S_WORD + 8];
        snprintf(tag, sizeof tag, ".B %.*s\n", S_WORD, vars[i]);
        cr_assert(strstr(env, tag) || s_has_option(env, vars[i]),
                  "%s --help names $%s; %s's ENVIRONMENT does not", what,
                  vars[i], name);
    }
    free(env);
}

//  The page has the sections of a manual page.
static void
s_check_sections(const char *name, const char *page)
{
    static const char *const need[] = {
        "NAME",    "SYNOPSIS", "DESCRIPTION", "OPTIONS",  "EXIT STATUS",
        "SIGNALS", "FILES",    "ENVIRONMENT", "EXAMPLES", "SEE ALSO"};
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++) {
        char *s = s_section(page, "SH", need[i]);
        cr_assert_not_null(s, "%s has no %s section", name, need[i]);
        free(s);
    }
}

//  One verb or sub-verb of claimq: its help's options in section `title`
//  of claimq.1 (which must exist when `own` is set, else the verb's
//  section `parent` stands in).
static void
s_check_verb(const char *page, const char *verb, const char *sub, bool own)
{
    char what[128], title[128], parent[128];
    snprintf(parent, sizeof parent, "claimq %s", verb);
    if (sub)
        snprintf(title, sizeof title, "claimq %s %s", verb, sub);
    else
        snprintf(title, sizeof title, "%s", parent);
    snprintf(what, sizeof what, "%s", title);
    char *section = s_section(page, "SS", title);
    if (section == NULL && !own)
        section = s_section(page, "SS", parent);
    cr_assert_not_null(section, "claimq.1 has no subsection \"%s\"", title);
    char *help = s_help("claimq", verb, sub);
    s_check_options(what, help, "claimq.1", section);
    s_check_variables(what, help, "claimq.1", page);
    free(help);
    free(section);
}

Test(manpages, claimq_1_documents_every_verb_and_option, .timeout = 300)
{
    char *page = s_page("claimq.1");
    s_check_sections("claimq.1", page);
    char *top = s_help("claimq", NULL, NULL);
    s_check_options("claimq", top, "claimq.1", page);
    s_check_variables("claimq", top, "claimq.1", page);
    s_word_t verbs[S_MAX_WORDS];
    size_t n_verbs = s_listed(top, "\nverbs:", verbs, S_MAX_WORDS);
    free(top);
    cr_assert_geq(n_verbs, 16, "claimq --help lists %zu verbs", n_verbs);

    size_t n_subs_total = 0, n_benches = 0;
    for (size_t i = 0; i < n_verbs; i++) {
        s_check_verb(page, verbs[i], NULL, true);
        char *help = s_help("claimq", verbs[i], NULL);
        s_word_t subs[S_MAX_WORDS];
        bool bench = strcmp(verbs[i], "bench") == 0;
        size_t n = bench ? s_listed(help, "\nbenchmarks:", subs, S_MAX_WORDS)
                         : s_subverbs(help, verbs[i], subs, S_MAX_WORDS);
        free(help);
        //  a benchmark is a program of its own: its own subsection
        for (size_t k = 0; k < n; k++)
            s_check_verb(page, verbs[i], subs[k], bench);
        if (bench)
            n_benches = n;
        else
            n_subs_total += n;
    }
    cr_assert_geq(n_benches, 5, "claimq bench --help lists %zu", n_benches);
    //  ledger (4), review (3), quarantine (3), capture (1)
    cr_assert_geq(n_subs_total, 11, "only %zu sub-verbs found", n_subs_total);
    free(page);
}

Test(manpages, the_daemons_pages_document_every_option, .timeout = 60)
{
    const char *progs[][2] = {{"claimq-broker", "claimq-broker.8"},
                              {"claimq-worker", "claimq-worker.8"}};
    for (size_t i = 0; i < 2; i++) {
        char *page = s_page(progs[i][1]);
        s_check_sections(progs[i][1], page);
        char *help = s_help(progs[i][0], NULL, NULL);
        s_word_t opts[S_MAX_WORDS];
        cr_assert_geq(s_long_options(help, opts, S_MAX_WORDS), 10);
        s_check_options(progs[i][0], help, progs[i][1], page);
        cr_assert(s_has_option(page, "--help"), "%s", progs[i][1]);
        s_check_variables(progs[i][0], help, progs[i][1], page);
        free(help);
        free(page);
    }
}

//  The first executable `name` in $PATH (a static buffer), or NULL.
static const char *
s_which(const char *name)
{
    static char path[4096];
    const char *env = getenv("PATH");
    char dirs[8192];
    snprintf(dirs, sizeof dirs, "%s",
             env && *env ? env : "/usr/local/bin:/usr/bin:/bin");
    char *save = NULL;
    for (char *d = strtok_r(dirs, ":", &save); d;
         d = strtok_r(NULL, ":", &save)) {
        snprintf(path, sizeof path, "%s/%s", d, name);
        if (access(path, X_OK) == 0)
            return path;
    }
    return NULL;
}

Test(manpages, the_pages_render_without_a_warning, .timeout = 60)
{
    const char *g = s_which("groff");
    if (g == NULL)
        cr_skip_test("groff is not installed (apt-get install groff-base): "
                     "the pages' rendering is not checked");
    char groff[4096];
    snprintf(groff, sizeof groff, "%s", g);
    const char *pages[] = {"claimq.1", "claimq-broker.8", "claimq-worker.8"};
    for (size_t i = 0; i < 3; i++) {
        char rel[64], path[4096];
        snprintf(rel, sizeof rel, "docs/man/%s", pages[i]);
        snprintf(path, sizeof path, "%s", cq_test_src(rel));
        char *argv[] = {groff, "-man", "-Tutf8", "-ww", "-z", path, NULL};
        cq_run_t r;
        cr_assert_eq(cq_test_run(argv, NULL, 30, &r), 0);
        cr_assert_eq(r.status, 0, "groff %s: exit %d: %s", pages[i], r.status,
                     r.err);
        cr_assert_eq(r.err_len, 0, "groff warns about %s:\n%s", pages[i],
                     r.err);
        cq_run_free(&r);
    }
}

//  What the completion offers for the words (the program first, a path;
//  the last the word being completed): one word a line. Caller frees.
static char *
s_complete(const char *const *words)
{
    static const char script[] =
        ". \"$1\" || exit 9; shift; COMP_WORDS=(\"$@\"); "
        "COMP_CWORD=$(($# - 1)); COMP_LINE=\"$*\"; COMP_POINT=${#COMP_LINE}; "
        "_claimq; printf '%s\\n' \"${COMPREPLY[@]}\"";
    const char *b = s_which("bash");
    cr_assert_not_null(b, "no bash in PATH");
    char bash[4096], completion[4096];
    snprintf(bash, sizeof bash, "%s", b);
    snprintf(completion, sizeof completion, "%s",
             cq_test_src("deploy/completion/claimq"));
    char *argv[16];
    int n = 0;
    argv[n++] = bash;
    argv[n++] = "-c";
    argv[n++] = (char *)script;
    argv[n++] = "bash";
    argv[n++] = completion;
    for (size_t i = 0; words[i] && n < 15; i++)
        argv[n++] = (char *)words[i];
    argv[n] = NULL;
    cq_run_t r;
    cr_assert_eq(cq_test_run(argv, NULL, 60, &r), 0);
    cr_assert_eq(r.status, 0, "completion: exit %d: %s", r.status, r.err);
    cr_assert_eq(r.err_len, 0, "completion: stderr: %s", r.err);
    char *out = r.out;
    r.out = NULL;
    cq_run_free(&r);
    return out;
}

//  The completion of `words` is exactly `want` (one word a line).
static void
s_expect_completion(const char *const *words, const char *want)
{
    char *got = s_complete(words);
    cr_assert_str_eq(got, want, "completing '%s %s %s'", words[1],
                     words[2] ? words[2] : "",
                     words[2] && words[3] ? words[3] : "");
    free(got);
}

//  line is one of the lines of text.
static bool
s_has_line(const char *text, const char *line)
{
    size_t len = strlen(line);
    for (const char *p = strstr(text, line); p; p = strstr(p + 1, line))
        if ((p == text || p[-1] == '\n') && (p[len] == '\n' || !p[len]))
            return true;
    return false;
}

//  The option table of a program (CLAIMQ_LIST_OPTIONS=1, common/opts.h),
//  one option a line. Caller frees.
static char *
s_option_table(const char *prog, const char *w1, const char *w2)
{
    setenv("CLAIMQ_LIST_OPTIONS", "1", 1);
    char *t = s_help(prog, w1, w2);
    unsetenv("CLAIMQ_LIST_OPTIONS");
    return t;
}

Test(manpages, the_completion_follows_the_help_texts, .timeout = 300)
{
    char claimq[4096], broker[4096], worker[4096];
    snprintf(claimq, sizeof claimq, "%s", cq_test_bin("claimq"));
    snprintf(broker, sizeof broker, "%s", cq_test_bin("claimq-broker"));
    snprintf(worker, sizeof worker, "%s", cq_test_bin("claimq-worker"));

    s_expect_completion((const char *[]){claimq, "sub", NULL}, "submit\n");
    s_expect_completion((const char *[]){claimq, "submit", "--wa", NULL},
                        "--wait\n");
    s_expect_completion((const char *[]){claimq, "ledger", "ver", NULL},
                        "verify\n");
    s_expect_completion(
        (const char *[]){claimq, "bench", "e2e", "--probe", NULL},
        "--probe-window\n");
    s_expect_completion((const char *[]){broker, "--shar", NULL}, "--shards\n");
    s_expect_completion((const char *[]){worker, "--node", NULL},
                        "--node-id\n");
    s_expect_completion((const char *[]){broker, "--log-level", "de", NULL},
                        "debug\n");

    //  every verb, and every option of each verb's table
    char *top = s_help("claimq", NULL, NULL);
    s_word_t verbs[S_MAX_WORDS];
    size_t n_verbs = s_listed(top, "\nverbs:", verbs, S_MAX_WORDS);
    free(top);
    cr_assert_geq(n_verbs, 16);
    char *all = s_complete((const char *[]){claimq, "", NULL});
    for (size_t i = 0; i < n_verbs; i++) {
        cr_assert(s_has_line(all, verbs[i]), "'claimq ' does not offer %s",
                  verbs[i]);
        char *table = s_option_table("claimq", verbs[i], NULL);
        char *got = s_complete((const char *[]){claimq, verbs[i], "--", NULL});
        for (char *save = NULL, *o = strtok_r(table, "\n", &save); o;
             o = strtok_r(NULL, "\n", &save))
            cr_assert(s_has_line(got, o), "'claimq %s --' does not offer %s",
                      verbs[i], o);
        free(got);
        free(table);
    }
    free(all);
    const char *daemons[] = {broker, worker};
    const char *names[] = {"claimq-broker", "claimq-worker"};
    for (size_t i = 0; i < 2; i++) {
        char *table = s_option_table(names[i], NULL, NULL);
        char *got = s_complete((const char *[]){daemons[i], "--", NULL});
        for (char *save = NULL, *o = strtok_r(table, "\n", &save); o;
             o = strtok_r(NULL, "\n", &save))
            cr_assert(s_has_line(got, o), "'%s --' does not offer %s", names[i],
                      o);
        free(got);
        free(table);
    }
}
