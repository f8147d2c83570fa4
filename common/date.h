//  date.h: calendar dates as days since 1970-01-01 (proleptic Gregorian).
#ifndef CQ_DATE_H
#define CQ_DATE_H

#include "prelude.h"

#define CQ_DATE_NONE INT32_MIN // "no date"
#define CQ_DATE_STRLEN 11      // "2026-02-20" and the NUL

//  Years outside [1900, 2199] are refused as implausible.
int32_t cq_date_from_ymd(int y, int m, int d);
void cq_date_to_ymd(int32_t days, int *y, int *m, int *d);
bool cq_date_valid_ymd(int y, int m, int d);
//  "YYYY-MM-DD" exactly (s[0..n)). Returns 0 or CQ_EINVAL.
int cq_date_parse(const char *s, size_t n, int32_t *days);
//  "CCYYMMDD" exactly (X12 D8). Returns 0 or CQ_EINVAL.
int cq_date_parse_d8(const char *s, size_t n, int32_t *days);
//  Writes "YYYY-MM-DD" into out (CQ_DATE_STRLEN bytes); returns out.
//  CQ_DATE_NONE (or a day outside years 0000..9999) writes "": "no date"
//  must never print as a plausible date.
char *cq_date_format(int32_t days, char *out);
//  Writes "CCYYMMDD" into out (9 bytes), or "" as above; returns out.
char *cq_date_format_d8(int32_t days, char *out);
//  Today in UTC.
int32_t cq_date_today(void);
//  Start of the plan year containing day, for a plan year that starts on
//  month/day (e.g. 01-01 or 07-01). Feb 29 starts fall back to Feb 28.
int32_t cq_date_plan_year_start(int32_t day, int month, int mday);

#endif
