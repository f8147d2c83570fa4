//  log.h: leveled logger to stderr. Lines look like Redis's:
//      pid:R 2026-11-23T15:12:08.123Z level claim=<id> message
//  where R is the role (B broker, W worker, C client). Never pass patient
//  data (names, member ids, birth dates, OCR text) to these functions: log
//  claim ids, sizes, codes and timings.
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
