//  metrics.c: the Prometheus text endpoint (metrics.h).
#include "metrics.h"

#include "limit.h"
#include "claim.h"
#include "mem.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <dirent.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct cq_metrics {
    struct MHD_Daemon *httpd;
    pthread_mutex_t lock;
    char *text; // last published (under lock)
    size_t len;
    int64_t last_ms;
    char url[96];
};

static int64_t
s_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static enum MHD_Result
s_answer(struct MHD_Connection *c, unsigned status, const char *type,
         const char *body, size_t len)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (r == NULL)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    enum MHD_Result rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result
s_handle(void *cls, struct MHD_Connection *c, const char *url,
         const char *method, const char *version, const char *upload,
         size_t *upload_size, void **con_cls)
{
    (void)version;
    (void)upload;
    (void)con_cls;
    cq_metrics_t *self = cls;
    if (*upload_size != 0)
        return MHD_NO;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return s_answer(c, 405, "text/plain", "GET only\n", 9);
    bool metrics = strcmp(url, "/metrics") == 0;
    bool health = strcmp(url, "/healthz") == 0;
    if (!metrics && !health)
        return s_answer(c, 404, "text/plain",
                        "not found: /metrics or /healthz\n", 32);
    pthread_mutex_lock(&self->lock);
    enum MHD_Result rc;
    if (self->text == NULL)
        rc = s_answer(c, 503, "text/plain", "starting\n", 9);
    else if (health)
        rc = s_answer(c, 200, "text/plain", "ok\n", 3);
    else
        rc = s_answer(c, 200, "text/plain; version=0.0.4; charset=utf-8",
                      self->text, self->len);
    pthread_mutex_unlock(&self->lock);
    return rc;
}

//  "HOST:PORT": HOST an IPv4 address or localhost, PORT 0..65535.
static int
s_listen_parse(const char *s, struct sockaddr_in *sa)
{
    const char *colon = strrchr(s, ':');
    if (colon == NULL || colon == s || colon - s > 63)
        return CQ_EINVAL;
    char host[64];
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    char *end;
    errno = 0;
    long port = strtol(colon + 1, &end, 10);
    if (errno || end == colon + 1 || *end || port < 0 || port > 65535)
        return CQ_EINVAL;
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    if (strcmp(host, "localhost") == 0)
        cq_strlcpy(host, "127.0.0.1", sizeof host);
    if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
        return CQ_EINVAL;
    return 0;
}

cq_metrics_t *
cq_metrics_start(const char *listen_on, cq_diag_t *diag)
{
    struct sockaddr_in sa;
    if (s_listen_parse(listen_on, &sa) != 0) {
        cq_diag_set(diag, CQ_EINVAL, 0,
                    "--metrics %s: not HOST:PORT (an IPv4 address or "
                    "localhost, a port 0..65535)",
                    listen_on);
        return NULL;
    }
    //  bound here, so that the port the kernel picked is known
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    socklen_t sl = sizeof sa;
    if (fd < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        listen(fd, 64) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &sl) != 0) {
        cq_diag_set(diag, CQ_EIO, 0, "--metrics %s: cannot listen: %s",
                    listen_on, strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    cq_metrics_t *self = cq_xcalloc(1, sizeof *self);
    pthread_mutex_init(&self->lock, NULL);
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &sa.sin_addr, ip, sizeof ip);
    snprintf(self->url, sizeof self->url, "http://%s:%u/metrics", ip,
             (unsigned)ntohs(sa.sin_port));
    self->httpd =
        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0,
                         NULL, NULL, s_handle, self, MHD_OPTION_LISTEN_SOCKET,
                         fd, MHD_OPTION_CONNECTION_LIMIT, 32u,
                         MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
    if (self->httpd == NULL) {
        cq_diag_set(diag, CQ_EIO, 0, "--metrics %s: cannot serve", listen_on);
        close(fd);
        pthread_mutex_destroy(&self->lock);
        free(self);
        return NULL;
    }
    return self;
}

void
cq_metrics_stop(cq_metrics_t **self_p)
{
    cq_metrics_t *self = *self_p;
    if (self == NULL)
        return;
    MHD_stop_daemon(self->httpd);
    pthread_mutex_destroy(&self->lock);
    free(self->text);
    free(self);
    *self_p = NULL;
}

const char *
cq_metrics_url(const cq_metrics_t *self)
{
    return self->url;
}

bool
cq_metrics_due(cq_metrics_t *self)
{
    int64_t now = s_mono_ms();
    if (self->text != NULL && now - self->last_ms < 1000)
        return false;
    self->last_ms = now;
    return true;
}

void
cq_metrics_publish(cq_metrics_t *self, const char *text, size_t len)
{
    char *copy = cq_xmalloc(len + 1);
    memcpy(copy, text, len);
    copy[len] = '\0';
    pthread_mutex_lock(&self->lock);
    char *old = self->text;
    self->text = copy;
    self->len = len;
    pthread_mutex_unlock(&self->lock);
    free(old);
}

//  ---- the exposition text ---------------------------------------------------

static void s_addf(cq_buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
s_addf(cq_buf_t *b, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n > 0)
        cq_buf_add(b, line,
                   (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

void
cq_prom_head(cq_buf_t *b, const char *name, const char *type, const char *help)
{
    s_addf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void
cq_prom_sample(cq_buf_t *b, const char *name, const char *labels, double value)
{
    if (labels && *labels)
        s_addf(b, "%s{%s} %.17g\n", name, labels, value);
    else
        s_addf(b, "%s %.17g\n", name, value);
}

void
cq_prom_one(cq_buf_t *b, const char *name, const char *type, const char *help,
            double value)
{
    cq_prom_head(b, name, type, help);
    cq_prom_sample(b, name, NULL, value);
}

static double s_start_s;

const double cq_hist_le[CQ_HIST_BUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01,
                                            0.025,  0.05,  0.1,    0.25,  0.5,
                                            1,      2.5,   5,      10};

void
cq_hist_observe_us(cq_hist_t *h, uint64_t us)
{
    for (int i = 0; i < CQ_HIST_BUCKETS; i++)
        if ((double)us <= cq_hist_le[i] * 1e6) {
            __atomic_fetch_add(&h->bucket[i], 1, __ATOMIC_RELAXED);
            break;
        }
    __atomic_fetch_add(&h->sum_us, us, __ATOMIC_RELAXED);
    __atomic_fetch_add(&h->count, 1, __ATOMIC_RELAXED);
}

void
cq_prom_hist(cq_buf_t *b, const char *name, const char *help,
             const cq_hist_t *h)
{
    char bucket[128], labels[32];
    cq_prom_head(b, name, "histogram", help);
    snprintf(bucket, sizeof bucket, "%s_bucket", name);
    uint64_t cum = 0;
    for (int i = 0; i < CQ_HIST_BUCKETS; i++) {
        cum += __atomic_load_n(&h->bucket[i], __ATOMIC_RELAXED);
        snprintf(labels, sizeof labels, "le=\"%g\"", cq_hist_le[i]);
        cq_prom_sample(b, bucket, labels, (double)cum);
    }
    uint64_t count = __atomic_load_n(&h->count, __ATOMIC_RELAXED);
    if (count < cum) // an observation between the two reads
        count = cum;
    cq_prom_sample(b, bucket, "le=\"+Inf\"", (double)count);
    char more[128];
    snprintf(more, sizeof more, "%s_sum", name);
    cq_prom_sample(b, more, NULL,
                   (double)__atomic_load_n(&h->sum_us, __ATOMIC_RELAXED) / 1e6);
    snprintf(more, sizeof more, "%s_count", name);
    cq_prom_sample(b, more, NULL, (double)count);
}

void
cq_prom_limits(cq_buf_t *b, const char *prefix)
{
    char name[96], labels[64];
    snprintf(name, sizeof name, "%s_limit_refusals_total", prefix);
    cq_prom_head(b, name, "counter",
                 "Inputs refused for a size limit, by limit (frames, X12 "
                 "segments, JSON records, image pixels, ...).");
    for (int i = 0; i < CQ_LIMIT__COUNT; i++) {
        snprintf(labels, sizeof labels, "limit=\"%s\"",
                 cq_limit_info((cq_limit_t)i)->name);
        cq_prom_sample(b, name, labels, (double)cq_limit_hits((cq_limit_t)i));
    }
}

void
cq_prom_process(cq_buf_t *b)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu =
        (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
        ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
    cq_prom_one(b, "process_cpu_seconds_total", "counter",
                "User and system CPU time spent in seconds.", cpu);
    long rss_pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        long size;
        if (fscanf(f, "%ld %ld", &size, &rss_pages) != 2)
            rss_pages = 0;
        fclose(f);
    }
    cq_prom_one(b, "process_resident_memory_bytes", "gauge",
                "Resident memory size in bytes.",
                (double)rss_pages * (double)sysconf(_SC_PAGESIZE));
    if (s_start_s == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        s_start_s = (double)ts.tv_sec; // first call: close to the start
    }
    cq_prom_one(b, "process_start_time_seconds", "gauge",
                "Start time of the process since unix epoch in seconds.",
                s_start_s);
    long fds = 0;
    DIR *d = opendir("/proc/self/fd");
    if (d) {
        while (readdir(d))
            fds++;
        closedir(d);
        fds -= 2;
    }
    cq_prom_one(b, "process_open_fds", "gauge",
                "Number of open file descriptors.", (double)fds);
}
