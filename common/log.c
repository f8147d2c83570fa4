#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static char s_role = 'C';
static cq_log_level_t s_level = CQ_LOG_NOTICE;
static const char *s_names[] = {"error", "warn", "notice", "info", "debug"};

int
cq_log_level_parse(const char *s)
{
    for (int i = 0; i < (int)CQ_ARRAY_LEN(s_names); i++)
        if (s && strcmp(s, s_names[i]) == 0)
            return i;
    return -1;
}

void
cq_log_init(char role, cq_log_level_t level)
{
    s_role = role;
    s_level = level;
    int env = cq_log_level_parse(getenv("CQ_LOG_LEVEL"));
    if (env >= 0)
        s_level = (cq_log_level_t)env;
}

void
cq_log_set_level(cq_log_level_t level)
{
    s_level = level;
}

bool
cq_log_enabled(cq_log_level_t level)
{
    return level <= s_level;
}

void
cq_log(cq_log_level_t level, const char *claim_id, const char *fmt, ...)
{
    if (!cq_log_enabled(level))
        return;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char ts[32];
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    //  One fprintf per line so that lines from several processes sharing
    //  stderr do not interleave mid-line.
    if (claim_id)
        fprintf(stderr, "%d:%c %s.%03dZ %s claim=%s %s\n", (int)getpid(),
                s_role, ts, (int)(tv.tv_usec / 1000), s_names[level], claim_id,
                msg);
    else
        fprintf(stderr, "%d:%c %s.%03dZ %s %s\n", (int)getpid(), s_role, ts,
                (int)(tv.tv_usec / 1000), s_names[level], msg);
}
