#include "date.h"
#include "err.h"

#include <stdio.h>
#include <time.h>

//  Howard Hinnant's days_from_civil / civil_from_days, in 64-bit
//  arithmetic so that no int input can overflow.
int32_t
cq_date_from_ymd(int y, int m, int d)
{
    int64_t yy = (int64_t)y - (m <= 2);
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    int64_t yoe = yy - era * 400;
    int64_t doy = (153 * ((int64_t)m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = era * 146097 + doe - 719468;
    //  Nonsense input (years far outside 1900..2199) saturates; never
    //  CQ_DATE_NONE.
    if (days > INT32_MAX)
        return INT32_MAX;
    if (days <= INT32_MIN)
        return INT32_MIN + 1;
    return (int32_t)days;
}

void
cq_date_to_ymd(int32_t days, int *y, int *m, int *d)
{
    int64_t z = (int64_t)days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t dd = doy - (153 * mp + 2) / 5 + 1;
    int64_t mm = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yy + (mm <= 2));
    *m = (int)mm;
    *d = (int)dd;
}

static int
s_mdays(int y, int m)
{
    static const int md[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return md[m - 1];
}

bool
cq_date_valid_ymd(int y, int m, int d)
{
    return y >= 1900 && y <= 2199 && m >= 1 && m <= 12 && d >= 1 &&
           d <= s_mdays(y, m);
}

static int
s_num(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int
cq_date_parse(const char *s, size_t n, int32_t *days)
{
    int y, m, d;
    if (n != 10 || s[4] != '-' || s[7] != '-' || s_num(s, 4, &y) ||
        s_num(s + 5, 2, &m) || s_num(s + 8, 2, &d) ||
        !cq_date_valid_ymd(y, m, d))
        return CQ_EINVAL;
    *days = cq_date_from_ymd(y, m, d);
    return 0;
}

int
cq_date_parse_d8(const char *s, size_t n, int32_t *days)
{
    int y, m, d;
    if (n != 8 || s_num(s, 4, &y) || s_num(s + 4, 2, &m) ||
        s_num(s + 6, 2, &d) || !cq_date_valid_ymd(y, m, d))
        return CQ_EINVAL;
    *days = cq_date_from_ymd(y, m, d);
    return 0;
}

//  Year of days when it prints as four digits, else -1 (no date).
static int
s_printable(int32_t days, int *y, int *m, int *d)
{
    if (days == CQ_DATE_NONE)
        return -1;
    cq_date_to_ymd(days, y, m, d);
    return (*y >= 0 && *y <= 9999) ? 0 : -1;
}

//  n decimal digits of v (v < 10^n) at p; returns what follows them.
static char *
s_digits(char *p, int v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + n;
}

//  "YYYY" sep "MM" sep "DD" (sep 0: none), or "" for no printable date.
static char *
s_format(int32_t days, char *out, char sep)
{
    int y, m, d;
    char *p = out;
    if (s_printable(days, &y, &m, &d) == 0) {
        p = s_digits(p, y, 4);
        if (sep)
            *p++ = sep;
        p = s_digits(p, m, 2);
        if (sep)
            *p++ = sep;
        p = s_digits(p, d, 2);
    }
    *p = '\0';
    return out;
}

char *
cq_date_format(int32_t days, char *out)
{
    return s_format(days, out, '-');
}

char *
cq_date_format_d8(int32_t days, char *out)
{
    return s_format(days, out, 0);
}

int32_t
cq_date_today(void)
{
    return (int32_t)(time(NULL) / 86400);
}

int32_t
cq_date_plan_year_start(int32_t day, int month, int mday)
{
    int y, m, d;
    cq_date_to_ymd(day, &y, &m, &d);
    int md = mday;
    if (month == 2 && md == 29 && s_mdays(y, 2) == 28)
        md = 28;
    int32_t start = cq_date_from_ymd(y, month, md);
    if (start > day) {
        y--;
        md = mday;
        if (month == 2 && md == 29 && s_mdays(y, 2) == 28)
            md = 28;
        start = cq_date_from_ymd(y, month, md);
    }
    return start;
}
