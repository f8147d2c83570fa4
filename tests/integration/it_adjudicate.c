//  it_adjudicate.c: the real `claimq adjudicate` binary: the FORMATS.md
//  worked example, the same output with and without --ledger (and across
//  ledger runs), resubmissions, bad plan / roster / ledger (exit 3 with a
//  message naming file and field), missing and unusable inputs, malformed
//  claims (CO-16 naming the field), options and usage errors.
#include "cq_test.h"
#include "hash.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *s_dir;
static char s_plan[4096], s_members[4096];

static const char *
s_path(const char *name)
{
    static char p[8][4096];
    static int k;
    char *out = p[k++ % 8];
    snprintf(out, 4096, "%s/%s", s_dir, name);
    return out;
}

static void
s_write(const char *name, const char *text)
{
    cr_assert_eq(cq_test_write(s_path(name), text, strlen(text)), 0);
}

//  Runs `claimq adjudicate ARGS...` (NULL-terminated).
static cq_run_t
s_adjudicate(const char *stdin_path, const char *first, ...)
{
    char *argv[64];
    int n = 0;
    argv[n++] = (char *)cq_test_bin("claimq");
    argv[n++] = "adjudicate";
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a != NULL && n < 62; a = va_arg(ap, char *))
        argv[n++] = (char *)a;
    va_end(ap);
    argv[n] = NULL;
    cq_run_t r;
    cr_assert_eq(cq_test_run(argv, stdin_path, 120, &r), 0);
    return r;
}

//  The FORMATS.md plan and a roster for its claim.
static const char *s_plan_json =
    "{\n"
    "  \"payer_id\": \"ACME\",\n"
    "  \"providers\": [{\"npi\": \"1234567893\", \"in_network\": true}],\n"
    "  \"plans\": [{\n"
    "    \"plan_id\": \"GOLD-PPO\",\n"
    "    \"plan_year_start\": \"01-01\",\n"
    "    \"timely_filing_days\": 180,\n"
    "    \"deductible\": \"500.00\",\n"
    "    \"out_of_pocket_max\": \"3000.00\",\n"
    "    \"coinsurance\": \"0.20\",\n"
    "    \"out_of_network\": {\"allowed_factor\": \"0.70\", \"coinsurance\": "
    "\"0.40\"},\n"
    "    \"fee_schedule\": {\"99213\": \"90.00\", \"99214\": \"130.00\", "
    "\"81002\": \"8.00\"},\n"
    "    \"copays\": {\"99213\": \"25.00\"},\n"
    "    \"prior_auth_required\": [\"70553\"],\n"
    "    \"frequency_limits\": [{\"procedure\": \"D1110\", \"max\": 2, "
    "\"per\": \"plan_year\"}],\n"
    "    \"excluded\": [\"S9999\"]\n"
    "  }]\n"
    "}\n";

static const char *s_roster_csv =
    "member_id,payer_id,plan_id,last_name,first_name,birth_date,sex,"
    "coverage_start,coverage_end\n"
    "W100000001,ACME,GOLD-PPO,DOE,JANE,1980-04-12,F,2026-01-01,2026-12-31\n";

//  The FORMATS.md claim, on one line.
static const char *s_claim_line =
    "{\"claim_id\": \"PCN-000123\", \"payer_id\": \"ACME\", \"type\": "
    "\"professional\", \"frequency\": \"1\", \"original_claim_id\": null, "
    "\"received_date\": \"2026-03-02\", \"member\": {\"id\": \"W100000001\", "
    "\"last_name\": \"DOE\", \"first_name\": \"JANE\", \"birth_date\": "
    "\"1980-04-12\", \"sex\": \"F\"}, \"billing_provider\": {\"npi\": "
    "\"1234567893\", \"tax_id\": \"123456789\", \"name\": \"NORTH CLINIC\"}, "
    "\"prior_auth\": null, \"diagnoses\": [\"E11.9\", \"I10\"], "
    "\"total_charge\": \"250.00\", \"lines\": [{\"procedure\": \"99213\", "
    "\"modifiers\": [], \"service_date\": \"2026-02-20\", "
    "\"place_of_service\": \"11\", \"units\": 1, \"charge\": \"150.00\", "
    "\"diagnosis_pointers\": [1]}, {\"procedure\": \"81002\", \"modifiers\": "
    "[], \"service_date\": \"2026-02-20\", \"place_of_service\": \"11\", "
    "\"units\": 1, \"charge\": \"100.00\", \"diagnosis_pointers\": [1, 2]}]}";

static void
s_setup(void)
{
    s_dir = cq_test_tmpdir();
    cr_assert_not_null(s_dir);
    snprintf(s_plan, sizeof s_plan, "%s/plan.json", s_dir);
    snprintf(s_members, sizeof s_members, "%s/members.csv", s_dir);
    s_write("plan.json", s_plan_json);
    s_write("members.csv", s_roster_csv);
}

TestSuite(adjudicate, .init = s_setup, .timeout = 120);

Test(adjudicate, worked_example_line_is_exact)
{
    char claim[4096];
    snprintf(claim, sizeof claim, "%s\n", s_claim_line);
    s_write("claim.jsonl", claim);
    cq_run_t r = s_adjudicate(NULL, "--plan", s_plan, "--members", s_members,
                              "--batch", "b-20260302-0001", "--node", "w1",
                              s_path("claim.jsonl"), NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    char hex[CQ_SHA256_HEXLEN], want[2048];
    snprintf(
        want, sizeof want,
        "{\"claim_id\": \"PCN-000123\", \"payer_id\": \"ACME\", \"batch_id\": "
        "\"b-20260302-0001\", \"decision\": \"accept\", \"billed\": "
        "\"250.00\", \"allowed\": \"98.00\", \"paid\": \"0.00\", "
        "\"patient_responsibility\": \"98.00\", \"adjustments\": [{\"line\": "
        "1, \"group\": \"CO\", \"code\": \"45\", \"amount\": \"60.00\"}, "
        "{\"line\": 1, \"group\": \"PR\", \"code\": \"3\", \"amount\": "
        "\"25.00\"}, {\"line\": 1, \"group\": \"PR\", \"code\": \"1\", "
        "\"amount\": \"65.00\"}, {\"line\": 2, \"group\": \"CO\", \"code\": "
        "\"45\", \"amount\": \"92.00\"}, {\"line\": 2, \"group\": \"PR\", "
        "\"code\": \"1\", \"amount\": \"8.00\"}], \"reasons\": [], \"node\": "
        "\"w1\", \"ledger_seq\": 1, \"rules_version\": \"sha256:%s\", "
        "\"source\": \"json\"}\n",
        cq_sha256_hex(s_plan_json, strlen(s_plan_json), hex));
    cr_assert_str_eq(r.out, want);
    cr_assert(strstr(r.err, "1 claims: 1 accept, 0 reject, 0 pend") != NULL,
              "summary: %s", r.err);
    cq_run_free(&r);
}

//  A generated data set: `claimq gen`.
static void
s_gen(const char *sub, const char *claims, const char *members)
{
    char *argv[] = {(char *)cq_test_bin("claimq"),
                    "gen",
                    "--out",
                    (char *)s_path(sub),
                    "--claims",
                    (char *)claims,
                    "--members",
                    (char *)members,
                    NULL};
    cq_run_t r;
    cr_assert_eq(cq_test_run(argv, NULL, 120, &r), 0);
    cr_assert_eq(r.status, 0, "claimq gen: %s", r.err);
    cq_run_free(&r);
}

static size_t
s_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

Test(adjudicate, same_output_with_and_without_ledger)
{
    s_gen("g", "3000", "300");
    char plan[4096], members[4096], claims[4096], ledger[4096];
    snprintf(plan, sizeof plan, "%s/g/plan.json", s_dir);
    snprintf(members, sizeof members, "%s/g/members.jsonl", s_dir);
    snprintf(claims, sizeof claims, "%s/g/claims.jsonl", s_dir);
    snprintf(ledger, sizeof ledger, "%s/g/ledger.db", s_dir);

    cq_run_t mem =
        s_adjudicate(NULL, "--plan", plan, "--members", members, claims, NULL);
    cr_assert_eq(mem.status, 0, "%s", mem.err);
    cr_assert_eq(s_lines(mem.out), 3000);
    cr_assert(strstr(mem.out, "\"decision\": \"reject\"") != NULL);
    cr_assert(strstr(mem.out, "\"carc\": \"18\"") != NULL, "duplicates");
    cr_assert(strstr(mem.out, "\"node\": \"local\"") != NULL);

    cq_run_t led =
        s_adjudicate(NULL, "--plan", plan, "--members", members, "--ledger",
                     ledger, "--output", s_path("out.jsonl"), claims, NULL);
    cr_assert_eq(led.status, 0, "%s", led.err);
    cr_assert_eq(led.out_len, 0, "--output: nothing on stdout");
    size_t n;
    char *out = cq_test_read(s_path("out.jsonl"), &n);
    cr_assert_not_null(out);
    cr_assert_str_eq(out, mem.out);
    free(out);

    //  the same claims again on the same ledger: every one replayed, the
    //  same lines
    cq_run_t again = s_adjudicate(NULL, "--plan", plan, "--members", members,
                                  "--ledger", ledger, claims, NULL);
    cr_assert_eq(again.status, 0, "%s", again.err);
    cr_assert_str_eq(again.out, mem.out);
    cr_assert(strstr(again.err, "(3000 replayed)") != NULL, "%s", again.err);
    cq_run_free(&mem);
    cq_run_free(&led);
    cq_run_free(&again);
}

Test(adjudicate, ledger_carries_state_between_runs)
{
    s_gen("h", "2000", "100");
    char plan[4096], members[4096], ledger[4096];
    snprintf(plan, sizeof plan, "%s/h/plan.json", s_dir);
    snprintf(members, sizeof members, "%s/h/members.jsonl", s_dir);
    snprintf(ledger, sizeof ledger, "%s/h/ledger.db", s_dir);
    size_t n;
    char *all = cq_test_read(s_path("h/claims.jsonl"), &n);
    cr_assert_not_null(all);
    //  split after line 1000 (later claims name earlier ones: voids,
    //  replacements, duplicates)
    char *cut = all;
    for (int k = 0; k < 1000; k++)
        cut = strchr(cut, '\n') + 1;
    cr_assert_eq(cq_test_write(s_path("h/a.jsonl"), all, (size_t)(cut - all)),
                 0);
    cr_assert_eq(
        cq_test_write(s_path("h/b.jsonl"), cut, n - (size_t)(cut - all)), 0);
    free(all);

    cq_run_t one = s_adjudicate(NULL, "--plan", plan, "--members", members,
                                s_path("h/claims.jsonl"), NULL);
    cr_assert_eq(one.status, 0, "%s", one.err);
    cq_run_t a = s_adjudicate(NULL, "--plan", plan, "--members", members,
                              "--ledger", ledger, s_path("h/a.jsonl"), NULL);
    cq_run_t b = s_adjudicate(NULL, "--plan", plan, "--members", members,
                              "--ledger", ledger, s_path("h/b.jsonl"), NULL);
    cr_assert_eq(a.status, 0, "%s", a.err);
    cr_assert_eq(b.status, 0, "%s", b.err);
    cr_assert_eq(a.out_len + b.out_len, one.out_len);
    cr_assert(memcmp(one.out, a.out, a.out_len) == 0);
    cr_assert(memcmp(one.out + a.out_len, b.out, b.out_len) == 0,
              "the second run must see the first run's state");
    //  a directory is its regular files sorted by name: a.jsonl,
    //  b.jsonl, claims.jsonl (the last all replayed after a and b)
    cq_run_free(&a);
    cq_run_free(&b);
    cq_run_free(&one);
}

Test(adjudicate, directory_and_stdin_inputs)
{
    char claim[4096];
    mkdir(s_path("in"), 0755);
    snprintf(claim, sizeof claim, "%s\n", s_claim_line);
    s_write("in/2.jsonl", claim);
    //  the same claim under another id, in a file that sorts first
    char *other = strdup(claim);
    memcpy(strstr(other, "PCN-000123"), "PCN-000100", 10);
    s_write("in/1.jsonl", other);
    s_write("in/.hidden", "not a claim");
    free(other);
    cq_run_t r = s_adjudicate(NULL, "--plan", s_plan, "--members", s_members,
                              s_path("in"), NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(s_lines(r.out), 2);
    const char *first = strstr(r.out, "PCN-000100");
    const char *second = strstr(r.out, "PCN-000123");
    cr_assert(first && second && first < second, "sorted by name");
    //  the second is an exact duplicate of the first
    cr_assert(strstr(second, "\"carc\": \"18\"") != NULL, "%s", r.out);
    cq_run_free(&r);

    r = s_adjudicate(s_path("in/2.jsonl"), "--plan", s_plan, "--members",
                     s_members, "-", NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "\"decision\": \"accept\"") != NULL, "%s", r.out);
    cq_run_free(&r);
}

Test(adjudicate, malformed_claim_is_rejected_co16_naming_the_field)
{
    char text[8192];
    char *bad = strdup(s_claim_line);
    memcpy(strstr(bad, "\"150.00\""), "\"15O.00\"", 8); // letter O
    snprintf(text, sizeof text, "%s\nthis is not json\n", bad);
    free(bad);
    s_write("bad.jsonl", text);
    cq_run_t r = s_adjudicate(NULL, "--plan", s_plan, "--members", s_members,
                              s_path("bad.jsonl"), NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(s_lines(r.out), 2, "%s", r.out);
    char *l2 = strchr(r.out, '\n') + 1;
    cr_assert(strstr(r.out, "\"decision\": \"reject\"") < l2);
    cr_assert(strstr(r.out, "\"carc\": \"16\"") < l2, "%s", r.out);
    cr_assert(strstr(r.out, "charge") < l2, "the message names the field");
    //  "#<document tag>:<record number>" (doc.c)
    cr_assert(strncmp(l2, "{\"claim_id\": \"#", 15) == 0 &&
                  strstr(l2, ":2\", ") != NULL,
              "the record that is not JSON gets an answer too: %s", l2);
    cr_assert(strstr(l2, "\"carc\": \"16\"") != NULL);
    cq_run_free(&r);
}

Test(adjudicate, bad_plan_exits_3_naming_file_and_field)
{
    s_write("claim.json", s_claim_line);
    char *bad = strdup(s_plan_json);
    memcpy(strstr(bad, "\"90.00\""), "  90.00", 7);
    s_write("bad-plan.json", bad);
    free(bad);
    cq_run_t r =
        s_adjudicate(NULL, "--plan", s_path("bad-plan.json"), "--members",
                     s_members, s_path("claim.json"), NULL);
    cr_assert_eq(r.status, 3);
    cr_assert(strstr(r.err, "bad-plan.json") != NULL, "%s", r.err);
    cr_assert(strstr(r.err, "plans[0].fee_schedule.99213: expected a decimal "
                            "string") != NULL,
              "%s", r.err);
    cr_assert_eq(r.out_len, 0);
    cq_run_free(&r);

    s_write("syntax.json", "{\"payer_id\": \"ACME\",\n \"plans\": [}\n");
    r = s_adjudicate(NULL, "--plan", s_path("syntax.json"), "--members",
                     s_members, s_path("claim.json"), NULL);
    cr_assert_eq(r.status, 3);
    cr_assert(strstr(r.err, "syntax.json:2:") != NULL, "%s", r.err);
    cq_run_free(&r);

    r = s_adjudicate(NULL, "--plan", s_path("nope.json"), "--members",
                     s_members, s_path("claim.json"), NULL);
    cr_assert_eq(r.status, 3);
    cr_assert(strstr(r.err, "nope.json") != NULL, "%s", r.err);
    cq_run_free(&r);
}

Test(adjudicate, bad_roster_and_ledger_exit_3)
{
    s_write("claim.json", s_claim_line);
    s_write("bad-members.csv",
            "member_id,payer_id,plan_id,last_name,birth_date,coverage_start\n"
            "W1,ACME,GOLD-PPO,DOE,1980-02-30,2026-01-01\n");
    cq_run_t r =
        s_adjudicate(NULL, "--plan", s_plan, "--members",
                     s_path("bad-members.csv"), s_path("claim.json"), NULL);
    cr_assert_eq(r.status, 3);
    cr_assert(strstr(r.err, "bad-members.csv:2:22: birth_date") != NULL, "%s",
              r.err);
    cq_run_free(&r);

    s_write("ledger.db", "this is not a database, not at all, really not....."
                         "..............................................");
    r = s_adjudicate(NULL, "--plan", s_plan, "--members", s_members, "--ledger",
                     s_path("ledger.db"), s_path("claim.json"), NULL);
    cr_assert_eq(r.status, 3, "%s", r.err);
    cr_assert(strstr(r.err, "ledger.db") != NULL, "%s", r.err);
    cq_run_free(&r);

    //  a ledger of another node
    r = s_adjudicate(NULL, "--plan", s_plan, "--members", s_members, "--ledger",
                     s_path("n.db"), "--node", "w1", s_path("claim.json"),
                     NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cq_run_free(&r);
    r = s_adjudicate(NULL, "--plan", s_plan, "--members", s_members, "--ledger",
                     s_path("n.db"), s_path("claim.json"), NULL);
    cr_assert_eq(r.status, 3);
    cr_assert(strstr(r.err, "belongs to node") != NULL, "%s", r.err);
    cq_run_free(&r);
}

Test(adjudicate, missing_and_unusable_inputs)
{
    s_write("claim.json", s_claim_line);
    cq_run_t r =
        s_adjudicate(NULL, "--plan", s_plan, "--members", s_members,
                     s_path("claim.json"), s_path("missing.json"), NULL);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "missing.json") != NULL, "%s", r.err);
    cr_assert_eq(r.out_len, 0, "nothing decided when an input is missing");
    cq_run_free(&r);

    //  a file that is no claim document: reported, the others decided
    s_write("junk.txt", "hello, world\n");
    r = s_adjudicate(NULL, "--plan", s_plan, "--members", s_members,
                     s_path("junk.txt"), s_path("claim.json"), NULL);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "junk.txt") != NULL, "%s", r.err);
    cr_assert_eq(s_lines(r.out), 1);
    cr_assert(strstr(r.err, "1 unusable") != NULL, "%s", r.err);
    cq_run_free(&r);
}

Test(adjudicate, unreadable_image_is_rejected_co16)
{
    //  a scanned form that is no image at all: the OCR reader answers it
    //  with an invalid claim named after the file
    const char png[] = "\x89PNG\r\n\x1a\nthis is not really a png";
    cr_assert_eq(cq_test_write(s_path("scan.png"), png, sizeof png - 1), 0);
    cq_run_t r = s_adjudicate(NULL, "--plan", s_plan, "--members", s_members,
                              s_path("scan.png"), NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strncmp(r.out, "{\"claim_id\": \"#", 15) == 0, "%s", r.out);
    cr_assert(strstr(r.out, "\"carc\": \"16\"") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "\"source\": \"ocr\"") != NULL, "%s", r.out);
    cq_run_free(&r);
}

Test(adjudicate, received_date_fills_in_claims_without_one)
{
    char *claim = strdup(s_claim_line);
    //  no received_date in the input
    const char *field = "\"received_date\": \"2026-03-02\", ";
    char *rd = strstr(claim, field);
    memmove(rd, rd + strlen(field), strlen(rd + strlen(field)) + 1);
    s_write("norecv.json", claim);
    free(claim);
    cq_run_t r = s_adjudicate(NULL, "--plan", s_plan, "--members", s_members,
                              "--received-date", "2026-12-01",
                              s_path("norecv.json"), NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "\"carc\": \"29\"") != NULL, "late: %s", r.out);
    cq_run_free(&r);
    r = s_adjudicate(NULL, "--plan", s_plan, "--members", s_members,
                     "--received-date", "2026-03-01", s_path("norecv.json"),
                     NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "\"decision\": \"accept\"") != NULL, "%s", r.out);
    cq_run_free(&r);
}

Test(adjudicate, usage_and_help)
{
    cq_run_t r = s_adjudicate(NULL, "--help", NULL);
    cr_assert_eq(r.status, 0);
    const char *opts[] = {"--plan",          "--members", "--ledger",
                          "--received-date", "--output",  "--format",
                          "--batch",         "--node"};
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        cr_assert(strstr(r.out, opts[i]) != NULL, "help lacks %s", opts[i]);
    cq_run_free(&r);

    struct {
        const char *a, *b, *c, *d, *e;
    } bad[] = {
        {NULL, NULL, NULL, NULL, NULL},
        {"--plan", s_plan, "x.json", NULL, NULL},
        {"--plan", s_plan, "--members", s_members, NULL},
        {"--plan", s_plan, "--members", s_members, "--bogus"},
        {"--received-date", "2026-02-30", "--plan", s_plan, NULL},
        {"--format", "835", "--plan", s_plan, NULL},
        {"--plan", NULL, NULL, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = s_adjudicate(NULL, bad[i].a, bad[i].b, bad[i].c, bad[i].d, bad[i].e,
                         NULL);
        cr_assert_eq(r.status, 2, "case %zu: %d %s", i, r.status, r.err);
        cr_assert(strstr(r.err, "Try 'claimq adjudicate --help'") != NULL,
                  "case %zu: %s", i, r.err);
        cr_assert_eq(r.out_len, 0);
        cq_run_free(&r);
    }
}
