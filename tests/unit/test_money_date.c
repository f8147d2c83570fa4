//  test_money_date.c: money (common/money.h) and dates (common/date.h).
#include "date.h"
#include "err.h"
#include "money.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static int
s_money(const char *s, int64_t *v)
{
    return cq_money_parse(s, strlen(s), v);
}

static int
s_money_nn(const char *s, int64_t *v)
{
    return cq_money_parse_nonneg(s, strlen(s), v);
}

// ---------------------------------------------------------------------------
// money

Test(money, parses_the_documented_forms)
{
    struct {
        const char *s;
        int64_t cents;
    } ok[] = {
        {"125", 12500},
        {"125.5", 12550},
        {"125.00", 12500},
        {"-1.27", -127},
        {".50", 50},
        {"0", 0},
        {"0.01", 1},
        {"-0", 0},
        {"-.05", -5},
        {"007.10", 710},
        {"99999999999.99", CQ_MONEY_MAX},
        {"-99999999999.99", -CQ_MONEY_MAX},
        {"00000000000000000000001", 100},
    };
    for (size_t i = 0; i < CQ_ARRAY_LEN(ok); i++) {
        int64_t v = -42;
        cr_assert_eq(s_money(ok[i].s, &v), 0, "%s", ok[i].s);
        cr_assert_eq(v, ok[i].cents, "%s: %lld", ok[i].s, (long long)v);
    }
}

Test(money, refuses_everything_else)
{
    const char *bad[] = {
        "",
        "-",
        ".",
        "-.",
        "1.",
        "-1.",
        "1.234",
        "1.2.3",
        "1,00",
        "1e2",
        "+1",
        " 1",
        "1 ",
        "$1",
        "0x10",
        "1-",
        "--1",
        "abc",
        "1.0a",
        "NaN",
        "inf",
        "100000000000",
        "999999999999.99",
        "-100000000000",
        "99999999999999999999999999999999",
    };
    for (size_t i = 0; i < CQ_ARRAY_LEN(bad); i++) {
        int64_t v = 4242;
        cr_assert_eq(s_money(bad[i], &v), CQ_EINVAL, "'%s' accepted", bad[i]);
        cr_assert_eq(v, 4242, "'%s': out written on failure", bad[i]);
    }
}

Test(money, uses_only_n_bytes)
{
    int64_t v;
    cr_assert_eq(cq_money_parse("12.345", 5, &v), 0);
    cr_assert_eq(v, 1234);
    cr_assert_eq(cq_money_parse("1x", 1, &v), 0);
    cr_assert_eq(v, 100);
    cr_assert_eq(cq_money_parse("5", 0, &v), CQ_EINVAL);
}

Test(money, nonneg_refuses_a_sign)
{
    int64_t v = 7;
    cr_assert_eq(s_money_nn("-1.00", &v), CQ_EINVAL);
    cr_assert_eq(s_money_nn("-0", &v), CQ_EINVAL);
    cr_assert_eq(v, 7);
    cr_assert_eq(s_money_nn("1.00", &v), 0);
    cr_assert_eq(v, 100);
}

Test(money, formats)
{
    char out[CQ_MONEY_STRLEN];
    struct {
        int64_t cents;
        const char *s, *x12;
    } cases[] = {
        {0, "0.00", "0"},
        {1, "0.01", "0.01"},
        {10, "0.10", "0.1"},
        {-50, "-0.50", "-0.5"},
        {12500, "125.00", "125"},
        {12550, "125.50", "125.5"},
        {7904, "79.04", "79.04"},
        {-127, "-1.27", "-1.27"},
        {CQ_MONEY_MAX, "99999999999.99", "99999999999.99"},
        {INT64_MAX, "92233720368547758.07", "92233720368547758.07"},
        {INT64_MIN, "-92233720368547758.08", "-92233720368547758.08"},
    };
    for (size_t i = 0; i < CQ_ARRAY_LEN(cases); i++) {
        cr_assert_str_eq(cq_money_format(cases[i].cents, out), cases[i].s);
        cr_assert_str_eq(cq_money_format_x12(cases[i].cents, out),
                         cases[i].x12);
    }
}

Test(money, format_parse_round_trip)
{
    char out[CQ_MONEY_STRLEN];
    int64_t samples[] = {0,      1,  99,  100,  101,          12345,
                         999999, -1, -99, -100, CQ_MONEY_MAX, -CQ_MONEY_MAX};
    for (size_t i = 0; i < CQ_ARRAY_LEN(samples); i++) {
        int64_t v;
        cq_money_format(samples[i], out);
        cr_assert_eq(s_money(out, &v), 0, "%s", out);
        cr_assert_eq(v, samples[i]);
        cq_money_format_x12(samples[i], out);
        cr_assert_eq(s_money(out, &v), 0, "%s", out);
        cr_assert_eq(v, samples[i]);
    }
    for (int64_t c = -100000; c <= 100000; c += 7) {
        int64_t v;
        cq_money_format(c, out);
        cr_assert_eq(s_money(out, &v), 0);
        cr_assert_eq(v, c);
    }
}

Test(money, rates)
{
    struct {
        const char *s;
        int64_t ppm;
    } ok[] = {{"0.20", 200000},          {"1", 1000000},      {".5", 500000},
              {"0.123456", 123456},      {"100", 100000000},  {"0", 0},
              {"100.000000", 100000000}, {"0070.5", 70500000}};
    for (size_t i = 0; i < CQ_ARRAY_LEN(ok); i++) {
        int64_t v = -1;
        cr_assert_eq(cq_rate_parse(ok[i].s, strlen(ok[i].s), &v), 0, "%s",
                     ok[i].s);
        cr_assert_eq(v, ok[i].ppm, "%s", ok[i].s);
    }
    const char *bad[] = {"",           ".",   "-0.2", "0.1234567",
                         "100.000001", "101", "1e-1", "0,2",
                         " 0.2",       "1.",  "1000", "abc"};
    for (size_t i = 0; i < CQ_ARRAY_LEN(bad); i++) {
        int64_t v = 9;
        cr_assert_eq(cq_rate_parse(bad[i], strlen(bad[i]), &v), CQ_EINVAL,
                     "'%s' accepted", bad[i]);
        cr_assert_eq(v, 9);
    }
}

Test(money, apply_rate_rounds_half_up)
{
    cr_assert_eq(cq_money_apply_rate(9800, 200000), 1960);
    cr_assert_eq(cq_money_apply_rate(5, 100000), 1);     // 0.5 -> 1
    cr_assert_eq(cq_money_apply_rate(4, 125000), 1);     // 0.5 -> 1
    cr_assert_eq(cq_money_apply_rate(3, 125000), 0);     // 0.375 -> 0
    cr_assert_eq(cq_money_apply_rate(1, 499999), 0);     // 0.499999 -> 0
    cr_assert_eq(cq_money_apply_rate(1, 500000), 1);     // 0.5 -> 1
    cr_assert_eq(cq_money_apply_rate(333, 333333), 111); // 110.999889
    cr_assert_eq(cq_money_apply_rate(0, 100000000), 0);
    cr_assert_eq(cq_money_apply_rate(12345, 0), 0);
    cr_assert_eq(cq_money_apply_rate(12345, 1000000), 12345);
    //  The largest amount at the largest rate does not overflow.
    cr_assert_eq(cq_money_apply_rate(CQ_MONEY_MAX, 100000000),
                 CQ_MONEY_MAX * 100);
    //  FORMATS.md's worked example: 40% of 65.00 is 26.00.
    cr_assert_eq(cq_money_apply_rate(6500, 400000), 2600);
}

// ---------------------------------------------------------------------------
// dates

static int32_t
s_parse(const char *s)
{
    int32_t d = 12345;
    int rc = cq_date_parse(s, strlen(s), &d);
    return rc == 0 ? d : CQ_DATE_NONE;
}

Test(date, known_days)
{
    cr_assert_eq(cq_date_from_ymd(1970, 1, 1), 0);
    cr_assert_eq(cq_date_from_ymd(1970, 1, 2), 1);
    cr_assert_eq(cq_date_from_ymd(1969, 12, 31), -1);
    cr_assert_eq(cq_date_from_ymd(2000, 3, 1), 11017);
    cr_assert_eq(cq_date_from_ymd(2026, 2, 20), 20504);
    cr_assert_eq(cq_date_from_ymd(1900, 1, 1), -25567);
    cr_assert_eq(s_parse("2026-02-20"), 20504);
}

Test(date, every_day_round_trips)
{
    int32_t first = cq_date_from_ymd(1900, 1, 1);
    int32_t last = cq_date_from_ymd(2199, 12, 31);
    int py = 1900, pm = 1, pd = 0;
    for (int32_t d = first; d <= last; d++) {
        int y, m, dd;
        cq_date_to_ymd(d, &y, &m, &dd);
        cr_assert(cq_date_valid_ymd(y, m, dd), "%d", d);
        cr_assert_eq(cq_date_from_ymd(y, m, dd), d);
        //  The calendar advances by exactly one day.
        bool next = (y == py && m == pm && dd == pd + 1) ||
                    (y == py && m == pm + 1 && dd == 1) ||
                    (y == py + 1 && m == 1 && dd == 1 && pm == 12);
        cr_assert(next, "%d-%d-%d after %d-%d-%d", y, m, dd, py, pm, pd);
        py = y;
        pm = m;
        pd = dd;
        char s[CQ_DATE_STRLEN], d8[9];
        cq_date_format(d, s);
        cr_assert_eq(s_parse(s), d, "%s", s);
        cq_date_format_d8(d, d8);
        int32_t back = 0;
        cr_assert_eq(cq_date_parse_d8(d8, 8, &back), 0, "%s", d8);
        cr_assert_eq(back, d);
    }
}

Test(date, leap_years)
{
    cr_assert(cq_date_valid_ymd(2024, 2, 29));
    cr_assert(cq_date_valid_ymd(2000, 2, 29));
    cr_assert_not(cq_date_valid_ymd(1900, 2, 29));
    cr_assert_not(cq_date_valid_ymd(2100, 2, 29));
    cr_assert_not(cq_date_valid_ymd(2026, 2, 29));
    cr_assert_neq(s_parse("2024-02-29"), CQ_DATE_NONE);
    cr_assert_eq(s_parse("2026-02-29"), CQ_DATE_NONE);
    cr_assert_eq(s_parse("2100-02-29"), CQ_DATE_NONE);
}

Test(date, refuses_bad_text)
{
    const char *bad[] = {
        "",
        "2026-02-30",
        "2026-04-31",
        "2026-13-01",
        "2026-00-10",
        "2026-01-00",
        "2026-1-01",
        "2026/01/01",
        " 2026-01-01",
        "2026-01-01 ",
        "2026-01-0a",
        "+026-01-01",
        "1899-12-31",
        "2200-01-01",
        "20260101",
        "2026-01-01T00:00:00Z",
        "-026-01-01",
        "2026--1-01",
        "0000-01-01",
    };
    for (size_t i = 0; i < CQ_ARRAY_LEN(bad); i++) {
        int32_t d = 777;
        cr_assert_eq(cq_date_parse(bad[i], strlen(bad[i]), &d), CQ_EINVAL,
                     "'%s' accepted", bad[i]);
        cr_assert_eq(d, 777);
    }
    int32_t d = 0;
    cr_assert_eq(cq_date_parse_d8("2026022", 7, &d), CQ_EINVAL);
    cr_assert_eq(cq_date_parse_d8("20260230", 8, &d), CQ_EINVAL);
    cr_assert_eq(cq_date_parse_d8("2026-2-2", 8, &d), CQ_EINVAL);
    cr_assert_eq(cq_date_parse_d8("20260220", 8, &d), 0);
    cr_assert_eq(d, 20504);
    cr_assert_eq(cq_date_parse("1900-01-01", 10, &d), 0);
    cr_assert_eq(cq_date_parse("2199-12-31", 10, &d), 0);
}

Test(date, no_date_formats_as_empty)
{
    //  "No date" must never print as a plausible date.
    char s[CQ_DATE_STRLEN] = "x", d8[9] = "x";
    cr_assert_str_eq(cq_date_format(CQ_DATE_NONE, s), "");
    cr_assert_str_eq(cq_date_format_d8(CQ_DATE_NONE, d8), "");
}

Test(date, extreme_values_are_safe)
{
    //  Any int32 day converts without overflow (UBSan checks this).
    int32_t days[] = {INT32_MIN, INT32_MIN + 1, -1000000000, -1,
                      0,         1000000000,    INT32_MAX};
    for (size_t i = 0; i < CQ_ARRAY_LEN(days); i++) {
        int y, m, d;
        cq_date_to_ymd(days[i], &y, &m, &d);
        cr_assert(m >= 1 && m <= 12 && d >= 1 && d <= 31);
        char s[CQ_DATE_STRLEN], d8[9];
        cq_date_format(days[i], s);
        cq_date_format_d8(days[i], d8);
        cr_assert(strlen(s) <= 10 && strlen(d8) <= 8);
    }
    //  Out-of-range inputs to from_ymd do not overflow either.
    (void)cq_date_from_ymd(INT32_MAX, 12, 31);
    (void)cq_date_from_ymd(INT32_MIN, 1, 1);
    cr_assert_not(cq_date_valid_ymd(INT32_MAX, 1, 1));
    cr_assert_not(cq_date_valid_ymd(2026, 0, 1));
    cr_assert_not(cq_date_valid_ymd(2026, 13, 1));
    cr_assert_not(cq_date_valid_ymd(2026, 1, 32));
    cr_assert_not(cq_date_valid_ymd(2026, 1, 0));
}

Test(date, plan_year_start)
{
    //  Calendar plan years.
    cr_assert_eq(cq_date_plan_year_start(s_parse("2026-02-20"), 1, 1),
                 s_parse("2026-01-01"));
    cr_assert_eq(cq_date_plan_year_start(s_parse("2026-01-01"), 1, 1),
                 s_parse("2026-01-01"));
    cr_assert_eq(cq_date_plan_year_start(s_parse("2026-12-31"), 1, 1),
                 s_parse("2026-01-01"));
    //  July plan years.
    cr_assert_eq(cq_date_plan_year_start(s_parse("2026-06-30"), 7, 1),
                 s_parse("2025-07-01"));
    cr_assert_eq(cq_date_plan_year_start(s_parse("2026-07-01"), 7, 1),
                 s_parse("2026-07-01"));
    //  A Feb 29 start falls back to Feb 28 in common years.
    cr_assert_eq(cq_date_plan_year_start(s_parse("2025-03-01"), 2, 29),
                 s_parse("2025-02-28"));
    cr_assert_eq(cq_date_plan_year_start(s_parse("2025-02-27"), 2, 29),
                 s_parse("2024-02-29"));
    cr_assert_eq(cq_date_plan_year_start(s_parse("2024-02-29"), 2, 29),
                 s_parse("2024-02-29"));
    cr_assert_eq(cq_date_plan_year_start(s_parse("2024-02-28"), 2, 29),
                 s_parse("2023-02-28"));
    //  Every day of a span maps to a start at most a year before it.
    for (int32_t d = s_parse("2023-01-01"); d < s_parse("2029-01-01"); d++) {
        int32_t s = cq_date_plan_year_start(d, 10, 1);
        int y, m, dd;
        cq_date_to_ymd(s, &y, &m, &dd);
        cr_assert(m == 10 && dd == 1 && s <= d && d - s < 366);
    }
}

Test(date, today_is_plausible)
{
    int32_t t = cq_date_today();
    cr_assert_gt(t, cq_date_from_ymd(2020, 1, 1));
    cr_assert_lt(t, cq_date_from_ymd(2199, 12, 31));
}
