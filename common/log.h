//  log.h: leveled logger to stderr. Text lines look like Redis's:
//      pid:R NODE 2026-11-23T15:12:08.123Z level claim=<id> message
//  where R is the role (B broker, W worker, C client) and NODE the name
//  the process was given at start (a worker's node id, "broker"; "-" when
//  none). With CQ_LOG_JSON each line is one JSON object instead (for log
//  shippers):
//      {"ts":"2026-11-23T15:12:08.123Z","level":"notice",
//       "proc":"claimq-worker","node":"w1","pid":4242,"claim":"<id>",
//       "msg":"..."}                    ("claim" only when given; "node"
//                                        is "" when none)
//  Never pass patient data (names, member ids, birth dates, OCR text) to
//  these functions: log claim ids, sizes, codes and timings.
#ifndef CQ_LOG_H
#define CQ_LOG_H

#include "prelude.h"

typedef enum {
    CQ_LOG_ERROR = 0,
    CQ_LOG_WARN = 1,
    CQ_LOG_NOTICE = 2,
    CQ_LOG_INFO = 3,
    CQ_LOG_DEBUG = 4,
} cq_log_level_t;

//  Role character and threshold; defaults 'C' and NOTICE. CQ_LOG_LEVEL in
//  the environment (error|warn|notice|info|debug) overrides the default.
void cq_log_init(char role, cq_log_level_t level);
void cq_log_set_level(cq_log_level_t level);
bool cq_log_enabled(cq_log_level_t level);
//  Parses "error".."debug"; returns -1 if unknown.
int cq_log_level_parse(const char *s);

typedef enum { CQ_LOG_TEXT = 0, CQ_LOG_JSON = 1 } cq_log_format_t;
//  Parses "text" / "json"; returns -1 if unknown.
int cq_log_format_parse(const char *s);
void cq_log_set_format(cq_log_format_t format);
//  The name this process logs under (a worker's node id, "broker"), at
//  most 63 bytes kept; NULL or "" for none. Set it at start, before any
//  thread logs.
void cq_log_set_node(const char *node);

void cq_log(cq_log_level_t level, const char *claim_id, const char *fmt, ...)
    CQ_PRINTF(3, 4);

#define cq_log_error(id, ...) cq_log(CQ_LOG_ERROR, id, __VA_ARGS__)
#define cq_log_warn(id, ...) cq_log(CQ_LOG_WARN, id, __VA_ARGS__)
#define cq_log_notice(id, ...) cq_log(CQ_LOG_NOTICE, id, __VA_ARGS__)
#define cq_log_info(id, ...)                                                   \
    do {                                                                       \
        if (cq_log_enabled(CQ_LOG_INFO))                                       \
            cq_log(CQ_LOG_INFO, id, __VA_ARGS__);                              \
    } while (0)
#define cq_log_debug(id, ...)                                                  \
    do {                                                                       \
        if (cq_log_enabled(CQ_LOG_DEBUG))                                      \
            cq_log(CQ_LOG_DEBUG, id, __VA_ARGS__);                             \
    } while (0)

#endif
