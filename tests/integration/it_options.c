//  One option parser for every verb and daemon (common/opts.h): the same
//  wording everywhere, naming the bad option, "did you mean" for verbs and
//  long options, exit 2; and every long option of a verb in its --help.
//  Pure argument parsing: no broker is started, nothing waits on time.
#include "cq_test.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MAX_ARGS 16
#define S_MAX_WORDS 64

//  Runs PROG (a program name) with the NULL-ended words of `words` and
//  then the NULL-ended extra arguments; returns the exit status.
static int
s_runv(cq_run_t *r, const char *prog, const char *const *words, va_list ap)
{
    char bin[4096];
    snprintf(bin, sizeof bin, "%s", cq_test_bin(prog));
    const char *argv[S_MAX_ARGS + 1];
    int n = 0;
    argv[n++] = bin;
    for (size_t i = 0; words && words[i] && n < S_MAX_ARGS; i++)
        argv[n++] = words[i];
    for (const char *a = va_arg(ap, const char *); a && n < S_MAX_ARGS;
         a = va_arg(ap, const char *))
        argv[n++] = a;
    argv[n] = NULL;
    cr_assert_eq(cq_test_run((char *const *)argv, NULL, 60, r), 0);
    return r->status;
}

static int
s_run(cq_run_t *r, const char *prog, const char *const *words, ...)
{
    va_list ap;
    va_start(ap, words);
    int st = s_runv(r, prog, words, ap);
    va_end(ap);
    return st;
}

//  A program as its user names it: the binary and the words that pick the
//  verb, e.g. {"claimq", {"bench", "e2e"}}; its name "claimq bench e2e".
typedef struct {
    const char *bin;
    const char *words[3];
    char name[64];
} s_prog_t;

static void
s_prog_name(s_prog_t *p)
{
    snprintf(p->name, sizeof p->name, "%s", p->bin);
    for (size_t i = 0; p->words[i]; i++) {
        size_t k = strlen(p->name);
        snprintf(p->name + k, sizeof p->name - k, " %s", p->words[i]);
    }
}

//  The words listed under `heading` in a usage text: the first word of each
//  indented line up to the next blank line ("verbs:", "benchmarks:").
static size_t
s_listed(const char *text, const char *heading, char words[][32], size_t max)
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
        snprintf(words[n++], 32, "%.*s", (int)len, p);
        p = strchr(p, '\n');
    }
    return n;
}

//  Every program under test: claimq without a verb, each verb of `claimq
//  --help`, each benchmark of `claimq bench --help`, the ledger's
//  sub-verbs, capture info, the review station's account verbs, and both
//  daemons. Returns the count.
static size_t
s_programs(s_prog_t *progs, size_t max)
{
    static char verbs[S_MAX_WORDS][32], benches[S_MAX_WORDS][32];
    cq_run_t r;
    cr_assert_eq(s_run(&r, "claimq", NULL, "--help", NULL), 0, "%s", r.err);
    size_t n_verbs = s_listed(r.out, "\nverbs:", verbs, S_MAX_WORDS);
    cq_run_free(&r);
    cr_assert(n_verbs >= 16, "claimq --help lists %zu verbs", n_verbs);
    cr_assert_eq(s_run(&r, "claimq", NULL, "bench", "--help", NULL), 0, "%s",
                 r.err);
    size_t n_benches = s_listed(r.out, "\nbenchmarks:", benches, S_MAX_WORDS);
    cq_run_free(&r);
    cr_assert(n_benches >= 5, "claimq bench --help lists %zu", n_benches);

    static const char *const ledger_subs[] = {"verify", "query", "reconcile",
                                              "export"};
    size_t n = 0;
    progs[n++] = (s_prog_t){.bin = "claimq"};
    for (size_t i = 0; i < n_verbs && n < max; i++)
        progs[n++] = (s_prog_t){.bin = "claimq", .words = {verbs[i]}};
    for (size_t i = 0; i < n_benches && n < max; i++)
        progs[n++] =
            (s_prog_t){.bin = "claimq", .words = {"bench", benches[i]}};
    for (size_t i = 0; i < 4 && n < max; i++)
        progs[n++] =
            (s_prog_t){.bin = "claimq", .words = {"ledger", ledger_subs[i]}};
    if (n < max)
        progs[n++] = (s_prog_t){.bin = "claimq", .words = {"capture", "info"}};
    static const char *const review_subs[] = {"adduser", "passwd", "deluser"};
    for (size_t i = 0; i < 3 && n < max; i++)
        progs[n++] =
            (s_prog_t){.bin = "claimq", .words = {"review", review_subs[i]}};
    progs[n++] = (s_prog_t){.bin = "claimq-broker"};
    progs[n++] = (s_prog_t){.bin = "claimq-worker"};
    for (size_t i = 0; i < n; i++)
        s_prog_name(&progs[i]);
    return n;
}

//  text holds `word` not followed by another option character (so that
//  "--paper" is not found in "--paper-seed").
static bool
s_has_option(const char *text, const char *word)
{
    size_t len = strlen(word);
    for (const char *p = strstr(text, word); p; p = strstr(p + 1, word)) {
        char after = p[len];
        bool more = (after >= 'a' && after <= 'z') ||
                    (after >= '0' && after <= '9') || after == '-';
        if (!more)
            return true;
    }
    return false;
}

//  Runs args and checks: exit 2, nothing on stdout, stderr exactly `line`
//  then the hint for `prog`.
static void
s_expect(const char *bin, const char *prog, const char *line,
         const char *const *words, ...)
{
    cq_run_t r;
    va_list ap;
    va_start(ap, words);
    int st = s_runv(&r, bin, words, ap);
    va_end(ap);
    char want[1024];
    snprintf(want, sizeof want, "%s\nTry '%s --help'.\n", line, prog);
    cr_assert_eq(st, 2, "%s: exit %d: %s", prog, st, r.err);
    cr_assert_str_eq(r.err, want, "%s", prog);
    cr_assert_eq(r.out_len, 0, "%s: stdout: %s", prog, r.out);
    cq_run_free(&r);
}

Test(options, every_verb_and_daemon_names_an_unknown_option, .timeout = 300)
{
    s_prog_t progs[S_MAX_WORDS];
    size_t n = s_programs(progs, S_MAX_WORDS - 2);
    for (size_t i = 0; i < n; i++) {
        char line[256];
        snprintf(line, sizeof line, "%s: unknown option '--no-such-option'",
                 progs[i].name);
        s_expect(progs[i].bin, progs[i].name, line, progs[i].words,
                 "--no-such-option", NULL);
    }
}

Test(options, a_misspelled_long_option_gets_a_suggestion, .timeout = 120)
{
    static const char *const gen[] = {"gen", NULL};
    static const char *const submit[] = {"submit", NULL};
    static const char *const query[] = {"ledger", "query", NULL};
    s_expect("claimq", "claimq gen",
             "claimq gen: unknown option '--papr'; did you mean '--paper'?",
             gen, "--papr", "3", NULL);
    //  a prefix of two options, and one edit from one of them
    s_expect("claimq", "claimq gen",
             "claimq gen: option '--pape' is ambiguous (--paper, "
             "--paper-seed); did you mean '--paper'?",
             gen, "--pape", "3", NULL);
    s_expect("claimq", "claimq gen",
             "claimq gen: option '--s' is ambiguous (--seed, --skew)", gen,
             "--s", "1", NULL);
    s_expect("claimq", "claimq submit",
             "claimq submit: unknown option '--bach'; did you mean '--batch'?",
             submit, "--bach", "x", "f.json", NULL);
    s_expect("claimq", "claimq ledger query",
             "claimq ledger query: unknown option '--clam'; did you mean "
             "'--claim'?",
             query, "--clam", "x", "f.ledger", NULL);
    s_expect("claimq-worker", "claimq-worker",
             "claimq-worker: unknown option '--brokr'; did you mean "
             "'--broker'?",
             NULL, "--brokr", "tcp://127.0.0.1:1", NULL);
    s_expect("claimq-broker", "claimq-broker",
             "claimq-broker: unknown option '--shrads'; did you mean "
             "'--shards'?",
             NULL, "--shrads", "4", NULL);
    //  nothing close: no suggestion; the value after '=' is not the name
    s_expect("claimq", "claimq gen", "claimq gen: unknown option '--zebra'",
             gen, "--zebra=3", NULL);
}

Test(options, missing_values_and_short_options, .timeout = 120)
{
    static const char *const gen[] = {"gen", NULL};
    static const char *const check[] = {"check", NULL};
    static const char *const status[] = {"status", NULL};
    s_expect("claimq", "claimq gen", "claimq gen: option '--out' needs a value",
             gen, "--out", NULL);
    //  an abbreviation is named in full
    s_expect("claimq", "claimq gen", "claimq gen: option '--out' needs a value",
             gen, "--ou", NULL);
    s_expect("claimq", "claimq check",
             "claimq check: option '-f' needs a value", check, "-f", NULL);
    s_expect("claimq-broker", "claimq-broker",
             "claimq-broker: option '--frontend' needs a value", NULL,
             "--frontend", NULL);
    s_expect("claimq", "claimq gen", "claimq gen: unknown option '-q'", gen,
             "-q", NULL);
    s_expect("claimq", "claimq gen",
             "claimq gen: option '--x12' takes no value", gen, "--x12=yes",
             NULL);
    s_expect("claimq", "claimq status",
             "claimq status: option '--json' takes no value", status,
             "--json=1", "b1", NULL);
}

Test(options, bad_values_name_the_option, .timeout = 120)
{
    static const char *const status[] = {"status", NULL};
    static const char *const x12[] = {"bench", "x12", NULL};
    s_expect("claimq", "claimq status",
             "claimq status: --timeout: '0' is not valid (expected seconds, "
             "1..86400)",
             status, "--timeout", "0", "b1", NULL);
    s_expect("claimq", "claimq bench x12",
             "claimq bench x12: --mb: '5000' is not valid (expected 1..1000)",
             x12, "--mb", "5000", NULL);
    s_expect("claimq-broker", "claimq-broker",
             "claimq-broker: --shards: '0' is not valid (expected 1..65536)",
             NULL, "--shards", "0", NULL);
}

Test(options, a_misspelled_verb_gets_a_suggestion, .timeout = 120)
{
    static const char *const bench[] = {"bench", NULL};
    static const char *const ledger[] = {"ledger", NULL};
    static const char *const quarantine[] = {"quarantine", NULL};
    static const char *const review[] = {"review", NULL};
    s_expect("claimq", "claimq",
             "claimq: unknown command 'sumbit'; did you mean 'submit'?", NULL,
             "sumbit", "f.json", NULL);
    s_expect("claimq", "claimq",
             "claimq: unknown command 'stauts'; did you mean 'status'?", NULL,
             "stauts", NULL);
    s_expect("claimq", "claimq", "claimq: unknown command 'frobnicate'", NULL,
             "frobnicate", NULL);
    s_expect("claimq", "claimq bench",
             "claimq bench: unknown command 'e2f'; did you mean 'e2e'?", bench,
             "e2f", NULL);
    s_expect("claimq", "claimq ledger",
             "claimq ledger: unknown command 'verfy'; did you mean 'verify'?",
             ledger, "verfy", "x.ledger", NULL);
    s_expect("claimq", "claimq quarantine",
             "claimq quarantine: unknown command 'lst'; did you mean 'list'?",
             quarantine, "lst", NULL);
    s_expect("claimq", "claimq review",
             "claimq review: unknown command 'addusr'; did you mean "
             "'adduser'?",
             review, "addusr", "alice", NULL);
}

//  CLAIMQ_LIST_OPTIONS=1 (test only, common/opts.h) makes the first
//  cq_getopt call print the option table instead of parsing: each of its
//  long options must be in the program's --help.
Test(options, help_lists_every_long_option, .timeout = 300)
{
    s_prog_t progs[S_MAX_WORDS];
    size_t n = s_programs(progs, S_MAX_WORDS - 2);
    for (size_t i = 0; i < n; i++) {
        cq_run_t help, list;
        int st = s_run(&help, progs[i].bin, progs[i].words, "--help", NULL);
        cr_assert_eq(st, 0, "%s --help: exit %d: %s", progs[i].name, st,
                     help.err);
        setenv("CLAIMQ_LIST_OPTIONS", "1", 1);
        st = s_run(&list, progs[i].bin, progs[i].words, "--help", NULL);
        unsetenv("CLAIMQ_LIST_OPTIONS");
        cr_assert_eq(st, 0, "%s: exit %d: %s", progs[i].name, st, list.err);
        size_t n_opts = 0;
        bool has_help = false;
        for (char *line = strtok(list.out, "\n"); line;
             line = strtok(NULL, "\n")) {
            cr_assert(strncmp(line, "--", 2) == 0 && strchr(line, ' ') == NULL,
                      "%s: not an option list: %s", progs[i].name, line);
            cr_assert(s_has_option(help.out, line), "%s --help lacks %s",
                      progs[i].name, line);
            has_help |= strcmp(line, "--help") == 0;
            n_opts++;
        }
        cr_assert(n_opts > 0 && has_help, "%s: %zu options listed",
                  progs[i].name, n_opts);
        cq_run_free(&help);
        cq_run_free(&list);
    }
}
