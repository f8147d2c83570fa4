#include "log.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static char s_role = 'C';
static cq_log_level_t s_level = CQ_LOG_NOTICE;
static cq_log_format_t s_format = CQ_LOG_TEXT;
static char s_node[64];
static const char *s_names[] = {"error", "warn", "notice", "info", "debug"};

int
cq_log_level_parse(const char *s)
{
    for (int i = 0; i < (int)CQ_ARRAY_LEN(s_names); i++)
        if (s && strcmp(s, s_names[i]) == 0)
            return i;
    return -1;
}

int
cq_log_format_parse(const char *s)
{
    if (s && strcmp(s, "text") == 0)
        return CQ_LOG_TEXT;
    if (s && strcmp(s, "json") == 0)
        return CQ_LOG_JSON;
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

void
cq_log_set_format(cq_log_format_t format)
{
    s_format = format;
}

void
cq_log_set_node(const char *node)
{
    snprintf(s_node, sizeof s_node, "%s", node ? node : "");
}

bool
cq_log_enabled(cq_log_level_t level)
{
    return level <= s_level;
}

static const char *
s_proc(void)
{
    switch (s_role) {
    case 'B':
        return "claimq-broker";
    case 'W':
        return "claimq-worker";
    default:
        return "claimq";
    }
}

//  Length of the valid UTF-8 sequence at p (n bytes left), or 0.
static size_t
s_utf8_len(const unsigned char *p, size_t n)
{
    size_t k;
    uint32_t cp;
    if (p[0] < 0x80)
        return 1;
    else if ((p[0] & 0xe0) == 0xc0)
        k = 2, cp = p[0] & 0x1f;
    else if ((p[0] & 0xf0) == 0xe0)
        k = 3, cp = p[0] & 0x0f;
    else if ((p[0] & 0xf8) == 0xf0)
        k = 4, cp = p[0] & 0x07;
    else
        return 0;
    if (k > n)
        return 0;
    for (size_t i = 1; i < k; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[k] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return k;
}

//  A message is text for a person, but it may carry bytes from outside (a
//  file name): JSON needs UTF-8, so anything else becomes '?'.
static void
s_utf8_clean(char *s)
{
    unsigned char *p = (unsigned char *)s;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        size_t k = s_utf8_len(p + i, n - i);
        if (k == 0) {
            p[i++] = '?';
            continue;
        }
        i += k;
    }
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
    char day[32], ts[40];
    strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts, sizeof ts, "%s.%03dZ", day, (int)(tv.tv_usec / 1000));
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    //  One write per line, so that lines from several processes sharing
    //  stderr do not interleave mid-line.
    if (s_format == CQ_LOG_JSON) {
        s_utf8_clean(msg);
        char id[128] = "";
        if (claim_id) {
            snprintf(id, sizeof id, "%s", claim_id);
            s_utf8_clean(id);
        }
        json_t *o = json_object();
        json_object_set_new(o, "ts", json_string(ts));
        json_object_set_new(o, "level", json_string(s_names[level]));
        json_object_set_new(o, "proc", json_string(s_proc()));
        json_object_set_new(o, "node", json_string(s_node));
        json_object_set_new(o, "pid", json_integer((json_int_t)getpid()));
        if (claim_id)
            json_object_set_new(o, "claim", json_string(id));
        json_object_set_new(o, "msg", json_string(msg));
        char *line = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        if (line) {
            fprintf(stderr, "%s\n", line);
            free(line);
        }
        return;
    }
    const char *node = s_node[0] ? s_node : "-";
    if (claim_id)
        fprintf(stderr, "%d:%c %s %s %s claim=%s %s\n", (int)getpid(), s_role,
                node, ts, s_names[level], claim_id, msg);
    else
        fprintf(stderr, "%d:%c %s %s %s %s\n", (int)getpid(), s_role, node, ts,
                s_names[level], msg);
}
