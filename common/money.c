#include "money.h"
#include "err.h"

#include <stdio.h>
#include <string.h>

static int
s_parse(const char *s, size_t n, int64_t *cents, bool allow_neg)
{
    size_t i = 0;
    bool neg = false;
    if (i < n && s[i] == '-') {
        if (!allow_neg)
            return CQ_EINVAL;
        neg = true;
        i++;
    }
    int64_t whole = 0;
    size_t digits = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
        whole = whole * 10 + (s[i] - '0');
        if (whole > CQ_MONEY_MAX / 100)
            return CQ_EINVAL;
        i++;
        digits++;
    }
    int64_t frac = 0;
    size_t fdigits = 0;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            if (fdigits == 2)
                return CQ_EINVAL;
            frac = frac * 10 + (s[i] - '0');
            i++;
            fdigits++;
        }
        if (fdigits == 0) // "1." is not an amount
            return CQ_EINVAL;
    }
    if (i != n || digits + fdigits == 0)
        return CQ_EINVAL;
    if (fdigits == 1)
        frac *= 10;
    int64_t v = whole * 100 + frac;
    *cents = neg ? -v : v;
    return 0;
}

int
cq_money_parse(const char *s, size_t n, int64_t *cents)
{
    return s_parse(s, n, cents, true);
}

int
cq_money_parse_nonneg(const char *s, size_t n, int64_t *cents)
{
    return s_parse(s, n, cents, false);
}

char *
cq_money_format(int64_t cents, char *out)
{
    uint64_t a = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;
    snprintf(out, CQ_MONEY_STRLEN, "%s%llu.%02llu", cents < 0 ? "-" : "",
             (unsigned long long)(a / 100), (unsigned long long)(a % 100));
    return out;
}

char *
cq_money_format_x12(int64_t cents, char *out)
{
    uint64_t a = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;
    const char *sign = cents < 0 ? "-" : "";
    unsigned long long w = a / 100, f = a % 100;
    if (f == 0)
        snprintf(out, CQ_MONEY_STRLEN, "%s%llu", sign, w);
    else if (f % 10 == 0)
        snprintf(out, CQ_MONEY_STRLEN, "%s%llu.%llu", sign, w, f / 10);
    else
        snprintf(out, CQ_MONEY_STRLEN, "%s%llu.%02llu", sign, w, f);
    return out;
}

int
cq_rate_parse(const char *s, size_t n, int64_t *ppm)
{
    size_t i = 0;
    int64_t whole = 0;
    size_t digits = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
        whole = whole * 10 + (s[i] - '0');
        if (whole > 100)
            return CQ_EINVAL;
        i++;
        digits++;
    }
    int64_t frac = 0;
    size_t fdigits = 0;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            if (fdigits == 6)
                return CQ_EINVAL;
            frac = frac * 10 + (s[i] - '0');
            i++;
            fdigits++;
        }
        if (fdigits == 0) // "1." is not a rate
            return CQ_EINVAL;
    }
    if (i != n || digits + fdigits == 0)
        return CQ_EINVAL;
    for (size_t k = fdigits; k < 6; k++)
        frac *= 10;
    int64_t v = whole * 1000000 + frac;
    if (v > 100 * INT64_C(1000000))
        return CQ_EINVAL;
    *ppm = v;
    return 0;
}

int64_t
cq_money_apply_rate(int64_t cents, int64_t ppm)
{
    assert(cents >= 0 && ppm >= 0);
    //  cents <= ~1e13 and ppm <= 1e8 would overflow 64 bits; use 128.
    __int128 p = (__int128)cents * ppm;
    return (int64_t)((p + 500000) / 1000000);
}
