//  it_gen.c: `claimq gen --x12` writes the same claims as claims.jsonl in an
//  837P that `claimq check` accepts, and `claimq adjudicate` decides both
//  files identically (but for "source").
#include "cq_test.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  Removes every `"source": "..."` so that JSON and X12 decisions compare.
static void
s_strip_source(char *s)
{
    char *p;
    while ((p = strstr(s, "\"source\": \"")) != NULL) {
        char *q = strchr(p + 11, '"');
        cr_assert_not_null(q);
        memmove(p, q + 1, strlen(q + 1) + 1);
    }
}

Test(gen, x12_output_is_valid_and_decides_like_json, .timeout = 120)
{
    const char *dir = cq_test_tmpdir();
    cr_assert_not_null(dir);
    char *gen[] = {(char *)cq_test_bin("claimq"),
                   "gen",
                   "--out",
                   (char *)dir,
                   "--claims",
                   "2500",
                   "--members",
                   "300",
                   "--x12",
                   NULL};
    cq_run_t r;
    cr_assert_eq(cq_test_run(gen, NULL, 60, &r), 0);
    cr_assert_eq(r.status, 0, "gen: %s", r.err);
    cr_assert_eq(r.out_len, 0, "gen writes nothing to stdout");
    cq_run_free(&r);

    char x12[4200], jsonl[4200], plan[4200], members[4200];
    snprintf(x12, sizeof x12, "%s/claims.837", dir);
    snprintf(jsonl, sizeof jsonl, "%s/claims.jsonl", dir);
    snprintf(plan, sizeof plan, "%s/plan.json", dir);
    snprintf(members, sizeof members, "%s/members.jsonl", dir);

    char *check[] = {(char *)cq_test_bin("claimq"), "check", x12, NULL};
    cr_assert_eq(cq_test_run(check, NULL, 60, &r), 0);
    cr_assert_eq(r.status, 0, "check: %s%s", r.out, r.err);
    cq_run_free(&r);

    //  The 837 carries each claim's received date (DTP*050) as the JSON
    //  does: decided today (no --received-date), timely filing agrees.
    char *adj[] = {(char *)cq_test_bin("claimq"),
                   "adjudicate",
                   "--plan",
                   plan,
                   "--members",
                   members,
                   jsonl,
                   NULL};
    cq_run_t a, b;
    cr_assert_eq(cq_test_run(adj, NULL, 60, &a), 0);
    cr_assert_eq(a.status, 0, "%s", a.err);
    adj[6] = x12;
    cr_assert_eq(cq_test_run(adj, NULL, 60, &b), 0);
    cr_assert_eq(b.status, 0, "%s", b.err);
    size_t lines = 0;
    for (const char *p = a.out; *p; p++)
        lines += *p == '\n';
    cr_assert_eq(lines, 2500);
    cr_assert(strstr(b.out, "\"source\": \"x12\"") != NULL);
    s_strip_source(a.out);
    s_strip_source(b.out);
    cr_assert_str_eq(a.out, b.out);
    cq_run_free(&a);
    cq_run_free(&b);
}

Test(gen, same_options_same_bytes, .timeout = 60)
{
    const char *d1 = cq_test_tmpdir(), *d2 = cq_test_tmpdir();
    char *gen[] = {(char *)cq_test_bin("claimq"),
                   "gen",
                   "--out",
                   (char *)d1,
                   "--claims",
                   "500",
                   "--seed",
                   "7",
                   "--x12",
                   NULL};
    cq_run_t r;
    cr_assert_eq(cq_test_run(gen, NULL, 60, &r), 0);
    cr_assert_eq(r.status, 0);
    cq_run_free(&r);
    gen[3] = (char *)d2;
    cr_assert_eq(cq_test_run(gen, NULL, 60, &r), 0);
    cr_assert_eq(r.status, 0);
    cq_run_free(&r);
    const char *names[] = {"plan.json", "members.jsonl", "claims.jsonl",
                           "claims.837"};
    for (size_t i = 0; i < 4; i++) {
        char p1[4200], p2[4200];
        snprintf(p1, sizeof p1, "%s/%s", d1, names[i]);
        snprintf(p2, sizeof p2, "%s/%s", d2, names[i]);
        size_t n1, n2;
        char *b1 = cq_test_read(p1, &n1), *b2 = cq_test_read(p2, &n2);
        cr_assert_not_null(b1, "%s", p1);
        cr_assert_not_null(b2, "%s", p2);
        cr_assert_eq(n1, n2, "%s", names[i]);
        cr_assert(memcmp(b1, b2, n1) == 0, "%s differs", names[i]);
        free(b1);
        free(b2);
    }
}

Test(gen, usage_errors_exit_2)
{
    char *gen[] = {(char *)cq_test_bin("claimq"), "gen", "--claims", "x", NULL};
    cq_run_t r;
    cr_assert_eq(cq_test_run(gen, NULL, 30, &r), 0);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "Try 'claimq gen --help'") != NULL, "%s", r.err);
    cq_run_free(&r);
}
