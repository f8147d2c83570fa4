//  test_plan.c: plan rules loading (common/plan.h).
#include "hash.h"
#include "plan.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static const char *s_example =
    "{\n"
    "  \"payer_id\": \"ACME\",\n"
    "  \"providers\": [{\"npi\": \"1234567893\", \"in_network\": true},\n"
    "                {\"npi\": \"1912301953\", \"in_network\": false}],\n"
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
    "    \"excluded\": [\"S9999\"],\n"
    "    \"a_field_we_do_not_know\": [1, 2, 3]\n"
    "  }, {\n"
    "    \"plan_id\": \"HMO\", \"plan_year_start\": \"07-01\",\n"
    "    \"timely_filing_days\": 90, \"deductible\": \"0\",\n"
    "    \"out_of_pocket_max\": \"100.5\", \"coinsurance\": \"0.1\",\n"
    "    \"out_of_network\": null, \"fee_schedule\": {}\n"
    "  }]\n"
    "}\n";

static cq_plan_rules_t *
s_parse(const char *json, cq_diag_t *diag)
{
    memset(diag, 0, sizeof *diag);
    return cq_plan_parse(json, strlen(json), "plan.json", diag);
}

Test(plan, loads_the_formats_example)
{
    cq_diag_t diag;
    cq_plan_rules_t *r = s_parse(s_example, &diag);
    cr_assert_not_null(r, "%s", diag.msg);
    cr_assert_str_eq(cq_plan_payer(r), "ACME");
    cr_assert_eq(cq_plan_count(r), 2);
    cr_assert_eq(cq_plan_find(r, "GOLD-PPO"), 0);
    cr_assert_eq(cq_plan_find(r, "HMO"), 1);
    cr_assert_eq(cq_plan_find(r, "NOPE"), -1);

    const cq_plan_t *p = cq_plan_at(r, 0);
    cr_assert_eq(p->py_month, 1);
    cr_assert_eq(p->py_day, 1);
    cr_assert_eq(p->timely_filing_days, 180);
    cr_assert_eq(p->deductible, 50000);
    cr_assert_eq(p->oop_max, 300000);
    cr_assert_eq(p->coins_ppm, 200000);
    cr_assert(p->oon_covered);
    cr_assert_eq(p->oon_factor_ppm, 700000);
    cr_assert_eq(p->oon_coins_ppm, 400000);

    const cq_proc_rule_t *x = cq_plan_proc(p, "99213");
    cr_assert_not_null(x);
    cr_assert_eq(x->fee, 9000);
    cr_assert_eq(x->copay, 2500);
    cr_assert_not(x->excluded);
    cr_assert_eq(x->freq_max, -1);
    x = cq_plan_proc(p, "81002");
    cr_assert_eq(x->fee, 800);
    cr_assert_eq(x->copay, 0);
    x = cq_plan_proc(p, "70553");
    cr_assert_not_null(x);
    cr_assert_eq(x->fee, -1,
                 "prior auth alone does not put it on the fee "
                 "schedule");
    cr_assert(x->prior_auth);
    x = cq_plan_proc(p, "D1110");
    cr_assert_eq(x->freq_max, 2);
    cr_assert_eq(x->per, CQ_PER_PLAN_YEAR);
    cr_assert(cq_plan_proc(p, "S9999")->excluded);
    cr_assert_null(cq_plan_proc(p, "12345"));
    cr_assert_null(cq_plan_proc(p, ""));

    const cq_plan_t *h = cq_plan_at(r, 1);
    cr_assert_not(h->oon_covered);
    cr_assert_eq(h->py_month, 7);
    cr_assert_eq(h->oop_max, 10050);
    cr_assert_null(cq_plan_proc(h, "99213"));

    cr_assert(cq_plan_in_network(r, "1234567893"));
    cr_assert_not(cq_plan_in_network(r, "1912301953"));
    cr_assert_not(cq_plan_in_network(r, "1111111111"));
    cq_plan_destroy(&r);
    cr_assert_null(r);
    cq_plan_destroy(&r);
}

Test(plan, rules_version_is_sha256_of_the_bytes)
{
    cq_diag_t diag;
    cq_plan_rules_t *r = s_parse(s_example, &diag);
    cr_assert_not_null(r);
    char hex[CQ_SHA256_HEXLEN], want[80];
    snprintf(want, sizeof want, "sha256:%s",
             cq_sha256_hex(s_example, strlen(s_example), hex));
    cr_assert_str_eq(cq_plan_rules_version(r), want);
    cq_plan_destroy(&r);
}

Test(plan, many_procedures_are_all_found)
{
    //  a big fee schedule: every code must be found (the table grows)
    char *json = malloc(1 << 20);
    size_t n =
        (size_t)sprintf(json, "{\"payer_id\":\"P\",\"plans\":[{\"plan_id\":"
                              "\"X\",\"plan_year_start\":\"01-01\","
                              "\"timely_filing_days\":1,\"deductible\":\"0\","
                              "\"out_of_pocket_max\":\"0\",\"coinsurance\":"
                              "\"0\",\"fee_schedule\":{");
    for (int i = 0; i < 5000; i++)
        n += (size_t)sprintf(json + n, "%s\"C%05d\":\"%d.%02d\"", i ? "," : "",
                             i, i, i % 100);
    sprintf(json + n, "}}]}");
    cq_diag_t diag;
    cq_plan_rules_t *r = s_parse(json, &diag);
    cr_assert_not_null(r, "%s", diag.msg);
    const cq_plan_t *p = cq_plan_at(r, 0);
    cr_assert_eq(p->n_procs, 5000);
    for (int i = 0; i < 5000; i++) {
        char code[16];
        snprintf(code, sizeof code, "C%05d", i);
        const cq_proc_rule_t *x = cq_plan_proc(p, code);
        cr_assert_not_null(x, "%s", code);
        cr_assert_eq(x->fee, (int64_t)i * 100 + i % 100);
    }
    cr_assert_null(cq_plan_proc(p, "C05000"));
    cq_plan_destroy(&r);
    free(json);
}

//  Replaces the first occurrence of from with to in the example and expects
//  a failure whose message contains want.
static void
s_expect_error(const char *from, const char *to, const char *want)
{
    char buf[8192];
    const char *at = strstr(s_example, from);
    cr_assert_not_null(at, "fixture lacks %s", from);
    size_t pre = (size_t)(at - s_example);
    snprintf(buf, sizeof buf, "%.*s%s%s", (int)pre, s_example, to,
             at + strlen(from));
    cq_diag_t diag;
    cq_plan_rules_t *r = s_parse(buf, &diag);
    cr_assert_null(r, "accepted a plan with %s", to);
    cr_assert_neq(diag.code, 0);
    cr_assert(strstr(diag.msg, want) != NULL, "message \"%s\" lacks \"%s\"",
              diag.msg, want);
    cr_assert(strncmp(diag.msg, "plan.json", 9) == 0, "no file name: %s",
              diag.msg);
}

Test(plan, fee_not_a_string_names_the_path)
{
    s_expect_error("\"99213\": \"90.00\"", "\"99213\": 90",
                   "plans[0].fee_schedule.99213: expected a decimal string");
}

Test(plan, bad_values_name_their_path)
{
    s_expect_error("\"90.00\"", "\"90.001\"", "plans[0].fee_schedule.99213");
    s_expect_error("\"90.00\"", "\"-90.00\"", "plans[0].fee_schedule.99213");
    s_expect_error("\"500.00\"", "\"lots\"", "plans[0].deductible");
    s_expect_error("\"0.20\"", "\"1.5\"", "plans[0].coinsurance");
    s_expect_error("\"0.20\"", "0.2",
                   "plans[0].coinsurance: expected a "
                   "decimal string");
    s_expect_error("\"01-01\"", "\"13-01\"", "plans[0].plan_year_start");
    s_expect_error("\"01-01\"", "\"02-30\"", "plans[0].plan_year_start");
    s_expect_error("180", "-1", "plans[0].timely_filing_days");
    s_expect_error("180", "\"180\"", "plans[0].timely_filing_days");
    s_expect_error("\"0.70\"", "null",
                   "plans[0].out_of_network.allowed_"
                   "factor");
    s_expect_error("{\"allowed_factor\"", "[{\"allowed_factor\"",
                   "not valid JSON");
    s_expect_error("\"25.00\"", "\"\"", "plans[0].copays.99213");
    s_expect_error("[\"70553\"]", "[70553]", "plans[0].prior_auth_required[0]");
    s_expect_error("[\"S9999\"]", "[\"S 9999\"]", "plans[0].excluded[0]");
    s_expect_error("\"max\": 2", "\"max\": -2",
                   "plans[0].frequency_limits[0].max");
    s_expect_error("\"plan_year\"", "\"fortnight\"",
                   "plans[0].frequency_limits[0].per");
    s_expect_error("\"1234567893\"", "\"123\"", "providers[0].npi");
    s_expect_error("\"in_network\": true", "\"in_network\": 1",
                   "providers[0].in_network");
    s_expect_error("\"1912301953\"", "\"1234567893\"", "listed twice");
    s_expect_error("\"HMO\"", "\"GOLD-PPO\"", "plans[1].plan_id");
    s_expect_error("\"ACME\"", "\"\"", "payer_id: must not be empty");
    s_expect_error("\"99214\": \"130.00\"",
                   "\"99214\": \"130.00\", "
                   "\"99214\": \"1.00\"",
                   "not valid JSON");
    s_expect_error("\"fee_schedule\": {\"99213\"",
                   "\"fee_schedulX\": {\"99213\"",
                   "plans[0].fee_schedule: missing");
    s_expect_error("\"99213\": \"90.00\"", "\"99-213\": \"90.00\"",
                   "plans[0].fee_schedule.99-213: not a procedure code");
}

Test(plan, not_a_plan_at_all)
{
    const char *bad[] = {"",
                         "[]",
                         "null",
                         "{}",
                         "{\"payer_id\":\"A\"}",
                         "{\"payer_id\":\"A\",\"plans\":[]}",
                         "{\"payer_id\":\"A\",\"plans\":[7]}",
                         "\x01\x02",
                         "{\"payer_id\":\"A\",\"plans\":[{}]}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cq_diag_t diag;
        cq_plan_rules_t *r = s_parse(bad[i], &diag);
        cr_assert_null(r, "accepted input %zu", i);
        cr_assert_neq(diag.msg[0], '\0');
    }
}

Test(plan, missing_file_and_size_cap)
{
    cq_diag_t diag = {0};
    cr_assert_null(cq_plan_load("/nonexistent/plan.json", &diag));
    cr_assert(strstr(diag.msg, "/nonexistent/plan.json") != NULL);
    memset(&diag, 0, sizeof diag);
    cr_assert_null(
        cq_plan_parse(s_example, CQ_PLAN_MAX_FILE + 1, "big.json", &diag));
    cr_assert_eq(diag.code, CQ_ETOOBIG);
}

Test(plan, loads_from_a_file)
{
    char path[] = "/tmp/claimq-plan-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    FILE *f = fdopen(fd, "w");
    fputs(s_example, f);
    fclose(f);
    cq_diag_t diag = {0};
    cq_plan_rules_t *r = cq_plan_load(path, &diag);
    cr_assert_not_null(r, "%s", diag.msg);
    cq_plan_destroy(&r);
    remove(path);
}
