#include "cq_test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <stdbool.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char s_path[8][4096];
static int s_next;

static char *
s_slot(void)
{
    char *p = s_path[s_next];
    s_next = (s_next + 1) % 8;
    return p;
}

const char *
cq_test_bin(const char *name)
{
    const char *dir = getenv("CQ_BINARY_DIR");
    char *p = s_slot();
    snprintf(p, 4096, "%s/%s", dir ? dir : ".", name);
    return p;
}

const char *
cq_test_src(const char *rel)
{
    const char *dir = getenv("CQ_SOURCE_DIR");
    char *p = s_slot();
    snprintf(p, 4096, "%s/%s", dir ? dir : "..", rel);
    return p;
}

const char *
cq_test_conformance(void)
{
    const char *dir = getenv("CQ_CONFORMANCE_DIR");
    struct stat st;
    if (dir == NULL || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return NULL;
    return dir;
}

const char *
cq_test_tmpdir(void)
{
    char *p = s_slot();
    snprintf(p, 4096, "/tmp/claimq-test-XXXXXX");
    if (mkdtemp(p) == NULL)
        return NULL;
    return p;
}

static void
s_append(char **buf, size_t *len, size_t *cap, const char *p, size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t c = *cap ? *cap * 2 : 4096;
        while (c < *len + n + 1)
            c *= 2;
        *buf = realloc(*buf, c);
        *cap = c;
    }
    memcpy(*buf + *len, p, n);
    *len += n;
    (*buf)[*len] = '\0';
}

int
cq_test_run(char *const argv[], const char *stdin_path, int timeout_s,
            cq_run_t *r)
{
    memset(r, 0, sizeof *r);
    int po[2], pe[2];
    if (pipe(po) != 0 || pipe(pe) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int in = open(stdin_path ? stdin_path : "/dev/null", O_RDONLY);
        if (in >= 0)
            dup2(in, 0);
        dup2(po[1], 1);
        dup2(pe[1], 2);
        close(po[0]);
        close(pe[0]);
        execv(argv[0], argv);
        fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(po[1]);
    close(pe[1]);
    size_t ocap = 0, ecap = 0;
    s_append(&r->out, &r->out_len, &ocap, "", 0);
    s_append(&r->err, &r->err_len, &ecap, "", 0);
    struct pollfd fds[2] = {{po[0], POLLIN, 0}, {pe[0], POLLIN, 0}};
    int open_fds = 2;
    time_t deadline = time(NULL) + timeout_s;
    bool killed = false;
    while (open_fds > 0) {
        int left = (int)(deadline - time(NULL));
        if (left <= 0 && !killed) {
            kill(pid, SIGKILL);
            killed = true;
        }
        int n = poll(fds, 2, killed ? 1000 : (left > 1 ? 1000 : left * 1000));
        if (n < 0 && errno != EINTR)
            break;
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP)))
                continue;
            char chunk[65536];
            ssize_t k = read(fds[i].fd, chunk, sizeof chunk);
            if (k <= 0) {
                close(fds[i].fd);
                fds[i].fd = -1;
                open_fds--;
            } else if (i == 0) {
                s_append(&r->out, &r->out_len, &ocap, chunk, (size_t)k);
            } else {
                s_append(&r->err, &r->err_len, &ecap, chunk, (size_t)k);
            }
        }
    }
    int st = 0;
    waitpid(pid, &st, 0);
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return 0;
}

void
cq_run_free(cq_run_t *r)
{
    free(r->out);
    free(r->err);
    memset(r, 0, sizeof *r);
}

int
cq_test_write(const char *path, const char *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return -1;
    size_t w = fwrite(data, 1, n, f);
    return (fclose(f) == 0 && w == n) ? 0 : -1;
}

char *
cq_test_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = NULL;
    size_t l = 0, cap = 0;
    char chunk[65536];
    size_t k;
    while ((k = fread(chunk, 1, sizeof chunk, f)) > 0)
        s_append(&buf, &l, &cap, chunk, k);
    fclose(f);
    if (buf == NULL)
        s_append(&buf, &l, &cap, "", 0);
    if (len)
        *len = l;
    return buf;
}

//  GET path from url's host:port ("http://127.0.0.1:PORT/metrics"); the
//  body into *body (malloc'd). Returns the HTTP status, or -1.
int
cq_test_http_get(const char *url, const char *path, char **body)
{
    *body = NULL;
    unsigned a, b, c, d, port;
    if (sscanf(url, "http://%u.%u.%u.%u:%u/", &a, &b, &c, &d, &port) != 5 ||
        a != 127)
        return -1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(a << 24 | b << 16 | c << 8 | d);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    char req[256];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
    if (write(fd, req, (size_t)n) != n) {
        close(fd);
        return -1;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    ssize_t k;
    while (buf && (k = read(fd, buf + len, cap - len - 1)) > 0) {
        len += (size_t)k;
        if (len + 1 == cap)
            buf = realloc(buf, cap *= 2);
    }
    close(fd);
    if (buf == NULL)
        return -1;
    buf[len] = '\0';
    int status = -1;
    sscanf(buf, "HTTP/1.%*d %d", &status);
    char *sep = strstr(buf, "\r\n\r\n");
    *body = strdup(sep ? sep + 4 : "");
    free(buf);
    return status;
}

//  The value of the sample line "name value" (name with its labels).
double
cq_test_prom_value(const char *text, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
        if (strncmp(p, name, n) == 0 && p[n] == ' ')
            return strtod(p + n + 1, NULL);
    return -1;
}
