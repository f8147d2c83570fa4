//  hist.c: log-linear latency buckets (hist.h).
#include "hist.h"

#include <string.h>

void
cq_hist_init(cq_hist_t *h)
{
    memset(h, 0, sizeof *h);
}

//  Bucket of v µs: values below CQ_HIST_SUB have one bucket each; above,
//  power p (v in [2^p, 2^(p+1))) is cut into CQ_HIST_SUB equal parts.
static unsigned
s_bucket(uint64_t v)
{
    if (v < CQ_HIST_SUB)
        return (unsigned)v;
    unsigned p = 63u - (unsigned)__builtin_clzll(v); // >= 6
    if (p >= CQ_HIST_POW - 1 + 6)
        return CQ_HIST_POW * CQ_HIST_SUB - 1;
    unsigned sub = (unsigned)((v >> (p - 6)) & (CQ_HIST_SUB - 1));
    return (p - 5) * CQ_HIST_SUB + sub;
}

//  The largest value (µs) of bucket b.
static uint64_t
s_upper(unsigned b)
{
    if (b < CQ_HIST_SUB)
        return b;
    unsigned p = b / CQ_HIST_SUB + 5, sub = b % CQ_HIST_SUB;
    return ((uint64_t)(CQ_HIST_SUB + sub + 1) << (p - 6)) - 1;
}

void
cq_hist_add_ms(cq_hist_t *h, double ms)
{
    uint64_t us = ms <= 0 ? 0 : (uint64_t)(ms * 1000.0 + 0.5);
    h->count[s_bucket(us)]++;
    h->n++;
    if (us > h->max_us)
        h->max_us = us;
}

void
cq_hist_merge(cq_hist_t *into, const cq_hist_t *from)
{
    for (unsigned b = 0; b < CQ_HIST_POW * CQ_HIST_SUB; b++)
        into->count[b] += from->count[b];
    into->n += from->n;
    if (from->max_us > into->max_us)
        into->max_us = from->max_us;
}

double
cq_hist_ms(const cq_hist_t *h, double q)
{
    if (h->n == 0)
        return 0;
    if (q >= 1.0)
        return (double)h->max_us / 1000.0;
    uint64_t want = (uint64_t)(q * (double)h->n);
    if (want >= h->n)
        want = h->n - 1;
    uint64_t seen = 0;
    for (unsigned b = 0; b < CQ_HIST_POW * CQ_HIST_SUB; b++) {
        seen += h->count[b];
        if (seen > want) {
            uint64_t up = s_upper(b);
            return (double)(up < h->max_us ? up : h->max_us) / 1000.0;
        }
    }
    return (double)h->max_us / 1000.0;
}
