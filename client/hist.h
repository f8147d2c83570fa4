//  hist.h: a latency histogram in the manner of HdrHistogram: buckets
//  whose width grows with the value (64 sub-buckets per power of two: any
//  value is kept within 1.6%), from 1 µs to over an hour, fixed memory, no
//  allocation while recording, mergeable.
#ifndef CQ_HIST_H
#define CQ_HIST_H

#include <stdint.h>

#define CQ_HIST_SUB 64
#define CQ_HIST_POW 33 // up to 2^33 µs (~2.4 h); larger values clamp

typedef struct {
    uint64_t n;
    uint64_t max_us;
    uint64_t count[CQ_HIST_POW * CQ_HIST_SUB];
} cq_hist_t;

void cq_hist_init(cq_hist_t *h);
//  Records one value in ms (negative: 0).
void cq_hist_add_ms(cq_hist_t *h, double ms);
void cq_hist_merge(cq_hist_t *into, const cq_hist_t *from);
//  The value (ms) at quantile q (0..1): the upper edge of its bucket, the
//  exact maximum for q = 1. 0 when empty.
double cq_hist_ms(const cq_hist_t *h, double q);

#endif
