//  it_docs.c: the user documentation is the repository's own (issue 9).
//  Every --help text of the three programs, every verb and subverb, names
//  only documents the repository ships (docs/..., schemas/...), never the
//  team's notes outside it; every relative link in README.md and docs/*.md
//  resolves to a file of the repository; and the documents a user is sent
//  to exist.
#include "cq_test.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

//  Words that point outside the repository.
static const char *const s_outside[] = {"FORMATS.md",   "DESIGN.md",
                                        "STYLE.md",     "../shared",
                                        "shared/notes", "notes/claims-domain"};

//  Every path-like "docs/NAME.md" or "schemas/..." a text names exists in
//  the source tree; no word of s_outside appears. what names the text.
static void
s_check_text(const char *what, const char *text)
{
    for (size_t i = 0; i < sizeof s_outside / sizeof s_outside[0]; i++)
        cr_assert_null(strstr(text, s_outside[i]),
                       "%s points outside the repository (%s)", what,
                       s_outside[i]);
    const char *roots[] = {"docs/", "schemas/"};
    for (size_t r = 0; r < 2; r++) {
        for (const char *p = strstr(text, roots[r]); p;
             p = strstr(p + 1, roots[r])) {
            if (p > text && (p[-1] == '/' || p[-1] == '_' || p[-1] == '-' ||
                             (p[-1] >= 'a' && p[-1] <= 'z')))
                continue; // part of a longer path (e.g. build/docs/)
            char path[256];
            size_t n = 0;
            while (n < sizeof path - 1 &&
                   (p[n] == '/' || p[n] == '.' || p[n] == '_' || p[n] == '-' ||
                    (p[n] >= 'a' && p[n] <= 'z') ||
                    (p[n] >= 'A' && p[n] <= 'Z') ||
                    (p[n] >= '0' && p[n] <= '9')))
                n++;
            while (n > 0 && (p[n - 1] == '.' || p[n - 1] == '/'))
                n--; // a sentence's full stop
            memcpy(path, p, n);
            path[n] = '\0';
            if (strcmp(path, "docs") == 0 || strlen(path) <= strlen(roots[r]))
                continue;
            cr_assert(access(cq_test_src(path), F_OK) == 0,
                      "%s names %s, which the repository does not have", what,
                      path);
        }
    }
}

static char *
s_help(const char *prog, const char *verb, const char *sub)
{
    char *argv[5];
    int n = 0;
    argv[n++] = (char *)cq_test_bin(prog);
    if (verb)
        argv[n++] = (char *)verb;
    if (sub)
        argv[n++] = (char *)sub;
    argv[n++] = "--help";
    argv[n] = NULL;
    cq_run_t r;
    cr_assert_eq(cq_test_run(argv, NULL, 30, &r), 0);
    cr_assert_eq(r.status, 0, "%s %s %s --help: exit %d: %s", prog,
                 verb ? verb : "", sub ? sub : "", r.status, r.err);
    size_t len = r.out_len + r.err_len + 2;
    char *text = malloc(len);
    snprintf(text, len, "%s\n%s", r.out, r.err);
    cq_run_free(&r);
    return text;
}

//  The verbs `claimq --help` lists: the word after two spaces at a line's
//  start under "verbs:".
static int
s_verbs(const char *help, char verbs[][32], int cap)
{
    int n = 0;
    const char *p = strstr(help, "verbs:");
    cr_assert_not_null(p, "claimq --help lists no verbs");
    p = strchr(p, '\n');
    while (p && p[1] == ' ' && p[2] == ' ' && p[3] != ' ' && n < cap) {
        sscanf(p + 3, "%31s", verbs[n++]);
        p = strchr(p + 1, '\n');
    }
    return n;
}

Test(docs, help_texts_name_only_what_the_repository_ships, .timeout = 300)
{
    char *top = s_help("claimq", NULL, NULL);
    s_check_text("claimq --help", top);
    char verbs[64][32];
    int n = s_verbs(top, verbs, 64);
    free(top);
    cr_assert_geq(n, 16, "only %d verbs listed", n);
    for (int i = 0; i < n; i++) {
        char what[96];
        snprintf(what, sizeof what, "claimq %s --help", verbs[i]);
        char *t = s_help("claimq", verbs[i], NULL);
        s_check_text(what, t);
        free(t);
    }
    const char *subs[][2] = {
        {"bench", "adjudicate"}, {"bench", "x12"},        {"bench", "ocr"},
        {"bench", "e2e"},        {"bench", "scale"},      {"ledger", "verify"},
        {"ledger", "query"},     {"ledger", "reconcile"}, {"ledger", "export"},
        {"capture", "info"},     {"review", "adduser"},   {"review", "passwd"},
        {"review", "deluser"}};
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        char what[96];
        snprintf(what, sizeof what, "claimq %s %s --help", subs[i][0],
                 subs[i][1]);
        char *t = s_help("claimq", subs[i][0], subs[i][1]);
        s_check_text(what, t);
        free(t);
    }
    char *t = s_help("claimq-broker", NULL, NULL);
    s_check_text("claimq-broker --help", t);
    free(t);
    t = s_help("claimq-worker", NULL, NULL);
    s_check_text("claimq-worker --help", t);
    free(t);
}

//  Markdown links [text](target) with a relative target: the file exists
//  beside the document.
static void
s_check_links(const char *doc, const char *dir_rel)
{
    char *text = cq_test_read(cq_test_src(doc), NULL);
    cr_assert_not_null(text, "%s is missing", doc);
    s_check_text(doc, text);
    for (const char *p = strstr(text, "]("); p; p = strstr(p + 2, "](")) {
        const char *t = p + 2, *e = strchr(t, ')');
        if (e == NULL || e - t > 200)
            continue;
        char target[256];
        memcpy(target, t, (size_t)(e - t));
        target[e - t] = '\0';
        char *hash = strchr(target, '#');
        if (hash)
            *hash = '\0';
        if (target[0] == '\0' || strstr(target, "://") ||
            strncmp(target, "mailto:", 7) == 0)
            continue;
        char rel[600];
        snprintf(rel, sizeof rel, "%s%s", dir_rel, target);
        cr_assert(access(cq_test_src(rel), F_OK) == 0,
                  "%s links to %s, which does not exist", doc, target);
    }
    free(text);
}

Test(docs, links_in_the_readme_and_docs_resolve)
{
    s_check_links("README.md", "");
    DIR *d = opendir(cq_test_src("docs"));
    cr_assert_not_null(d, "no docs/ directory");
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 4 || strcmp(e->d_name + len - 3, ".md") != 0)
            continue;
        char doc[300];
        snprintf(doc, sizeof doc, "docs/%s", e->d_name);
        s_check_links(doc, "docs/");
        n++;
    }
    closedir(d);
    //  what the issue asks the docs to cover
    const char *need[] = {"docs/formats.md", "docs/adjudication.md",
                          "docs/carc.md", "docs/operations.md",
                          "docs/troubleshooting.md"};
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
        cr_assert(access(cq_test_src(need[i]), F_OK) == 0, "%s missing",
                  need[i]);
    cr_assert_geq(n, 5);
}

//  The systemd units and the deploy scripts a user installs point at the
//  repository's documents too.
Test(docs, units_and_scripts_name_only_what_the_repository_ships)
{
    const char *files[] = {"deploy/systemd/claimq-worker@.service",
                           "deploy/systemd/claimq-broker.service",
                           "deploy/setup.sh", "deploy/quickstart.sh"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char *text = cq_test_read(cq_test_src(files[i]), NULL);
        if (text == NULL)
            continue; // a unit that is not shipped
        s_check_text(files[i], text);
        free(text);
    }
}
