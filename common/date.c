#include "date.h"
#include "err.h"

#include <stdio.h>
#include <time.h>

//  Howard Hinnant's days_from_civil / civil_from_days.
int32_t
cq_date_from_ymd(int y, int m, int d)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int32_t)(era * 146097 + (int)doe - 719468);
}

void
cq_date_to_ymd(int32_t days, int *y, int *m, int *d)
{
    int z = days + 719468;
    int era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int yy = (int)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned dd = doy - (153 * mp + 2) / 5 + 1;
    unsigned mm = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (mm <= 2);
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

char *
cq_date_format(int32_t days, char *out)
{
    int y, m, d;
    cq_date_to_ymd(days, &y, &m, &d);
    snprintf(out, CQ_DATE_STRLEN, "%04u-%02u-%02u", (unsigned)y % 10000u,
             (unsigned)m % 100u, (unsigned)d % 100u);
    return out;
}

char *
cq_date_format_d8(int32_t days, char *out)
{
    int y, m, d;
    cq_date_to_ymd(days, &y, &m, &d);
    snprintf(out, 9, "%04u%02u%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
             (unsigned)d % 100u);
    return out;
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
