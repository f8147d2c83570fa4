//  test_roster.c: member roster, JSON Lines and CSV (common/roster.h).
#include "date.h"
#include "roster.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static cq_roster_t *
s_parse(const char *text, cq_diag_t *diag)
{
    memset(diag, 0, sizeof *diag);
    return cq_roster_parse(text, strlen(text), "members", diag);
}

static int32_t
s_day(const char *iso)
{
    int32_t d;
    cr_assert_eq(cq_date_parse(iso, strlen(iso), &d), 0);
    return d;
}

Test(roster, jsonl_formats_example_and_periods)
{
    const char *text =
        "{\"member_id\": \"W100000001\", \"payer_id\": \"ACME\", \"plan_id\": "
        "\"GOLD-PPO\", \"last_name\": \"Doe\", \"first_name\": \"JANE\", "
        "\"birth_date\": \"1980-04-12\", \"sex\": \"F\", \"coverage_start\": "
        "\"2026-01-01\", \"coverage_end\": \"2026-12-31\"}\n"
        "\n"
        "{\"member_id\": \"W2\", \"payer_id\": \"ACME\", \"plan_id\": \"HMO\", "
        "\"last_name\": \"ROE\", \"birth_date\": \"1990-01-01\", "
        "\"coverage_start\": \"2025-07-01\", \"coverage_end\": null}\r\n"
        "{\"member_id\": \"W100000001\", \"payer_id\": \"ACME\", \"plan_id\": "
        "\"SILVER\", \"last_name\": \"DOE\", \"birth_date\": \"1980-04-12\", "
        "\"coverage_start\": \"2027-01-01\"}\n"
        "{\"member_id\": \"W100000001\", \"payer_id\": \"OTHER\", "
        "\"plan_id\": \"X\", \"last_name\": \"DOE\", \"birth_date\": "
        "\"1980-04-12\", \"coverage_start\": \"2020-01-01\"}\n";
    cq_diag_t diag;
    cq_roster_t *r = s_parse(text, &diag);
    cr_assert_not_null(r, "%s", diag.msg);
    cr_assert_eq(cq_roster_members(r), 3);
    cr_assert_eq(cq_roster_rows(r), 4);
    const cq_member_t *m = cq_roster_find(r, "ACME", "W100000001");
    cr_assert_not_null(m);
    cr_assert_eq(m->n_cov, 2);
    cr_assert_str_eq(m->cov[0].plan_id, "GOLD-PPO");
    cr_assert_str_eq(m->cov[0].last_name, "DOE", "names are upper-cased");
    cr_assert_str_eq(m->cov[0].first_name, "JANE");
    cr_assert_eq(m->cov[0].sex, 'F');
    cr_assert_eq(m->cov[0].birth_date, s_day("1980-04-12"));
    cr_assert_eq(m->cov[0].start, s_day("2026-01-01"));
    cr_assert_eq(m->cov[0].end, s_day("2026-12-31"));
    cr_assert_eq(m->cov[0].line, 1);
    cr_assert_str_eq(m->cov[1].plan_id, "SILVER");
    cr_assert_eq(m->cov[1].end, CQ_DATE_NONE, "absent end = open-ended");
    cr_assert_eq(m->cov[1].line, 4);
    const cq_member_t *w2 = cq_roster_find(r, "ACME", "W2");
    cr_assert_not_null(w2);
    cr_assert_eq(w2->cov[0].end, CQ_DATE_NONE, "null end = open-ended");
    cr_assert_eq(w2->cov[0].sex, 0);
    cr_assert_not_null(cq_roster_find(r, "OTHER", "W100000001"));
    cr_assert_null(cq_roster_find(r, "ACME", "W1"));
    cr_assert_null(cq_roster_find(r, "acme", "W2"), "ids are exact");
    cq_roster_destroy(&r);
    cr_assert_null(r);
}

Test(roster, csv_with_quoting_and_any_column_order)
{
    const char *text =
        "\xEF\xBB\xBFpayer_id,member_id,last_name,first_name,birth_date,sex,"
        "plan_id,coverage_start,coverage_end,extra\r\n"
        "ACME,W1,\"O'NEIL, JR\",\"JANE \"\"JJ\"\"\",1980-04-12,f,GOLD-PPO,"
        "2026-01-01,,x\r\n"
        "ACME,W2,\"MULTI\nLINE\",,1990-02-03,,HMO,2025-07-01,2025-12-31,\r\n"
        "\r\n"
        "ACME,W1,DOE,,1980-04-12,F,GOLD-PPO,2027-01-01,2027-12-31,y";
    cq_diag_t diag;
    cq_roster_t *r = s_parse(text, &diag);
    cr_assert_not_null(r, "%s", diag.msg);
    cr_assert_eq(cq_roster_rows(r), 3);
    const cq_member_t *m = cq_roster_find(r, "ACME", "W1");
    cr_assert_not_null(m);
    cr_assert_eq(m->n_cov, 2);
    cr_assert_str_eq(m->cov[0].last_name, "O'NEIL, JR");
    cr_assert_str_eq(m->cov[0].first_name, "JANE \"JJ\"");
    cr_assert_eq(m->cov[0].sex, 'F');
    cr_assert_eq(m->cov[0].end, CQ_DATE_NONE, "empty end = open-ended");
    cr_assert_eq(m->cov[1].line, 6, "line numbers count the quoted newline");
    const cq_member_t *w2 = cq_roster_find(r, "ACME", "W2");
    cr_assert_str_eq(w2->cov[0].last_name, "MULTI\nLINE");
    cr_assert_eq(w2->cov[0].end, s_day("2025-12-31"));
    cq_roster_destroy(&r);
}

static const char *s_hdr = "member_id,payer_id,plan_id,last_name,first_name,"
                           "birth_date,sex,coverage_start,coverage_end\n";

//  A CSV with one data row; expects an error containing want.
static void
s_csv_error(const char *row, const char *want)
{
    char text[1024];
    snprintf(text, sizeof text, "%s%s\n", s_hdr, row);
    cq_diag_t diag;
    cq_roster_t *r = s_parse(text, &diag);
    cr_assert_null(r, "accepted %s", row);
    cr_assert(strstr(diag.msg, want) != NULL, "message \"%s\" lacks \"%s\"",
              diag.msg, want);
}

Test(roster, csv_errors_name_line_column_and_field)
{
    s_csv_error("W1,ACME,GOLD,DOE,J,1980-13-01,F,2026-01-01,",
                "members:2:20: birth_date: not a date");
    s_csv_error("W1,ACME,GOLD,DOE,J,1980-01-01,F,2026-01-01,2025-01-01",
                "members:2:44: coverage_end: before coverage_start");
    s_csv_error("W1,ACME,,DOE,J,1980-01-01,F,2026-01-01,",
                "members:2:9: plan_id: missing");
    s_csv_error("W1,ACME,GOLD,DOE,J,1980-01-01,X,2026-01-01,",
                "members:2:31: sex: expected F, M or U");
    s_csv_error("W1,ACME,GOLD,DOE,J,1980-01-01,F,2026-01-01",
                "members:2:33: 8 fields, but the header has 9");
    s_csv_error("W1,ACME,GOLD,\"DOE,J,1980-01-01,F,2026-01-01,",
                "members:2:14: quoted field is not closed");
    s_csv_error("W1,ACME,GOLD,\"DOE\"X,J,1980-01-01,F,2026-01-01,",
                "members:2:19: unexpected character after a quoted field");
    s_csv_error("W1,ACME,GOLD,DO\"E,J,1980-01-01,F,2026-01-01,",
                "members:2:16: quote inside an unquoted field");
    s_csv_error("W1234567890123456789012345678901234567890,ACME,GOLD,DOE,J,"
                "1980-01-01,F,2026-01-01,",
                "members:2:1: member_id: longer than 39");
}

Test(roster, csv_header_problems)
{
    cq_diag_t diag;
    cr_assert_null(s_parse("member_id,payer_id\nW1,ACME\n", &diag));
    cr_assert(strstr(diag.msg, "members:1:1: header: required column plan_id "
                               "is missing") != NULL,
              "%s", diag.msg);
    char text[512];
    snprintf(text, sizeof text, "%.*s,plan_id\n", (int)strlen(s_hdr) - 1,
             s_hdr);
    cr_assert_null(s_parse(text, &diag));
    cr_assert(strstr(diag.msg, "column plan_id appears twice") != NULL, "%s",
              diag.msg);
    cr_assert_null(s_parse(s_hdr, &diag));
    cr_assert(strstr(diag.msg, "no members") != NULL, "%s", diag.msg);
    cr_assert_null(s_parse("", &diag));
    cr_assert(strstr(diag.msg, "members:1:1") != NULL, "%s", diag.msg);
}

static void
s_jsonl_error(const char *line2, const char *want)
{
    char text[1024];
    snprintf(text, sizeof text,
             "{\"member_id\":\"W0\",\"payer_id\":\"A\",\"plan_id\":\"P\","
             "\"last_name\":\"X\",\"birth_date\":\"1970-01-01\","
             "\"coverage_start\":\"2026-01-01\"}\n%s\n",
             line2);
    cq_diag_t diag;
    cq_roster_t *r = s_parse(text, &diag);
    cr_assert_null(r, "accepted %s", line2);
    cr_assert(strstr(diag.msg, want) != NULL, "message \"%s\" lacks \"%s\"",
              diag.msg, want);
    cr_assert_eq(diag.offset, 2);
}

Test(roster, jsonl_errors_name_line_column_and_field)
{
    s_jsonl_error("{\"member_id\":\"W1\",\"payer_id\":\"A\",\"plan_id\":\"P\","
                  "\"last_name\":\"X\",\"birth_date\":\"1970-02-30\","
                  "\"coverage_start\":\"2026-01-01\"}",
                  "members:2:64: birth_date: not a date");
    s_jsonl_error("{\"member_id\":7,\"payer_id\":\"A\"}",
                  "members:2:2: member_id: expected a string");
    s_jsonl_error("{\"member_id\":\"W1\",\"payer_id\":\"A\"}",
                  "members:2:1: plan_id: missing");
    s_jsonl_error("{\"member_id\":\"W1\",", "members:2:");
    s_jsonl_error("[1,2]", "expected a JSON object per line");
    s_jsonl_error("{\"member_id\":\"W1\",\"payer_id\":\"A\",\"plan_id\":\"P\","
                  "\"last_name\":\"X\",\"birth_date\":\"1970-01-01\","
                  "\"coverage_start\":\"2026-01-01\",\"coverage_end\":5}",
                  "coverage_end: expected a string or null");
    s_jsonl_error("{\"member_id\":\"W1\",\"member_id\":\"W2\"}",
                  "not valid JSON");
}

Test(roster, garbage_never_crashes)
{
    const char *bad[] = {"\"",
                         ",,,\n,,,",
                         "{",
                         "{}\n",
                         "\x00\x01",
                         "member_id\n\"",
                         "{\"a\":1}\n{\"b\":2}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cq_diag_t diag;
        cq_roster_t *r = s_parse(bad[i], &diag);
        cr_assert_null(r, "accepted input %zu", i);
        cr_assert_neq(diag.msg[0], '\0');
    }
}

Test(roster, many_members_all_found)
{
    size_t cap = 4 << 20, n = 0;
    char *text = malloc(cap);
    n += (size_t)sprintf(text, "%s", s_hdr);
    for (int i = 0; i < 20000; i++)
        n += (size_t)sprintf(
            text + n, "M%06d,ACME,GOLD,LAST%d,,1970-01-01,,2026-01-01,\n", i,
            i);
    cq_diag_t diag = {0};
    cq_roster_t *r = cq_roster_parse(text, n, "big.csv", &diag);
    cr_assert_not_null(r, "%s", diag.msg);
    cr_assert_eq(cq_roster_members(r), 20000);
    for (int i = 0; i < 20000; i += 7) {
        char id[16], last[16];
        snprintf(id, sizeof id, "M%06d", i);
        snprintf(last, sizeof last, "LAST%d", i);
        const cq_member_t *m = cq_roster_find(r, "ACME", id);
        cr_assert_not_null(m, "%s", id);
        cr_assert_str_eq(m->cov[0].last_name, last);
    }
    cq_roster_destroy(&r);
    free(text);
}

Test(roster, missing_file)
{
    cq_diag_t diag = {0};
    cr_assert_null(cq_roster_load("/nonexistent/members.csv", &diag));
    cr_assert(strstr(diag.msg, "/nonexistent/members.csv") != NULL);
}
