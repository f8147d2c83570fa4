//  money.h: money is integer cents inside, decimal strings at the edges;
//  rates (coinsurance, allowed factor) are integer millionths.
#ifndef CQ_MONEY_H
#define CQ_MONEY_H

#include "prelude.h"

//  Largest magnitude accepted: 99,999,999,999.99 (fits X12's R type).
#define CQ_MONEY_MAX INT64_C(9999999999999)
#define CQ_MONEY_STRLEN 24 // enough for "-99999999999.99" and the NUL

//  Parses "125", "125.5", "125.00", "-1.27", ".50" (at most 2 decimals;
//  a point needs a digit after it) from s[0..n). Returns 0 or CQ_EINVAL
//  (out untouched).
int cq_money_parse(const char *s, size_t n, int64_t *cents);
//  As above but rejects a minus sign.
int cq_money_parse_nonneg(const char *s, size_t n, int64_t *cents);
//  Writes "125.00" / "-1.27" into out (CQ_MONEY_STRLEN bytes); returns out.
char *cq_money_format(int64_t cents, char *out);
//  X12 style: no trailing zeros after the point ("125", "1.5", "79.04").
char *cq_money_format_x12(int64_t cents, char *out);

//  Parses a rate "0.20" / "1" / "0.123456" (at most 6 decimals, 0..100)
//  into millionths. Returns 0 or CQ_EINVAL.
int cq_rate_parse(const char *s, size_t n, int64_t *ppm);
//  round_half_up(cents * ppm / 1e6) for cents >= 0 (docs/adjudication.md).
int64_t cq_money_apply_rate(int64_t cents, int64_t ppm);

#endif
