//  metrics.h: a Prometheus text endpoint (libmicrohttpd) for the broker and
//  the workers (docs/operations.md, "Metrics").
//
//  The process's own thread builds the exposition text from its state (the
//  builder below) and publishes it, at most every second; the endpoint's
//  thread serves the last text published. So the state is only ever read
//  by its own thread, and a scrape never waits on the work.
//
//    GET /metrics   text/plain; version=0.0.4 (Prometheus exposition)
//    GET /healthz   "ok" once something was published (liveness and
//                   readiness probes)
//  Anything else: 404. Metrics carry counts, states and timings: no claim
//  content, no member data.
#ifndef CQ_METRICS_H
#define CQ_METRICS_H

#include "mem.h"
#include "err.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct cq_metrics cq_metrics_t;

//  Serves on listen ("HOST:PORT", an IPv4 address or localhost; port 0:
//  the kernel's pick). NULL with diag when the address is bad or cannot
//  be bound.
cq_metrics_t *cq_metrics_start(const char *listen, cq_diag_t *diag);
void cq_metrics_stop(cq_metrics_t **self_p);
//  "http://HOST:PORT/metrics", the port resolved.
const char *cq_metrics_url(const cq_metrics_t *self);
//  True when a second has passed since the last publish (the caller builds
//  and publishes only then).
bool cq_metrics_due(cq_metrics_t *self);
//  Replaces the text served (copied).
void cq_metrics_publish(cq_metrics_t *self, const char *text, size_t len);

//  ---- the exposition text -------------------------------------------------
//  A metric's # HELP and # TYPE lines (type "counter" or "gauge").
void cq_prom_head(cq_buf_t *b, const char *name, const char *type,
                  const char *help);
//  A sample: name{labels} value; labels NULL or "k=\"v\",...".
void cq_prom_sample(cq_buf_t *b, const char *name, const char *labels,
                    double value);
//  Both, for a metric with one unlabelled sample.
void cq_prom_one(cq_buf_t *b, const char *name, const char *type,
                 const char *help, double value);
//  A latency histogram: fixed buckets from 0.5 ms to 10 s (le, seconds),
//  observed from any thread (atomic adds), read by the metrics builder.
#define CQ_HIST_BUCKETS 14
typedef struct {
    uint64_t bucket[CQ_HIST_BUCKETS]; // observations <= cq_hist_le[i]
    uint64_t count;
    uint64_t sum_us;
} cq_hist_t;
extern const double cq_hist_le[CQ_HIST_BUCKETS];
void cq_hist_observe_us(cq_hist_t *h, uint64_t us);
//  NAME_bucket{le}, NAME_sum, NAME_count, with # HELP and # TYPE histogram.
void cq_prom_hist(cq_buf_t *b, const char *name, const char *help,
                  const cq_hist_t *h);

//  PREFIX_limit_refusals_total{limit="..."}: inputs refused for a size
//  limit of limit.h, one sample per limit (zeros included).
void cq_prom_limits(cq_buf_t *b, const char *prefix);
//  process_cpu_seconds_total, process_resident_memory_bytes,
//  process_start_time_seconds, process_open_fds.
void cq_prom_process(cq_buf_t *b);

#endif
