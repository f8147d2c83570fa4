#include "mem.h"
#include "err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void
s_oom(size_t n)
{
    fprintf(stderr, "claimq: out of memory allocating %zu bytes\n", n);
    abort();
}

void *
cq_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        s_oom(n);
    return p;
}

void *
cq_xcalloc(size_t count, size_t n)
{
    void *p = calloc(count ? count : 1, n ? n : 1);
    if (p == NULL)
        s_oom(count * n);
    return p;
}

void *
cq_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL)
        s_oom(n);
    return q;
}

char *
cq_xstrdup(const char *s)
{
    return cq_xstrndup(s, strlen(s));
}

char *
cq_xstrndup(const char *s, size_t n)
{
    char *p = cq_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void
cq_buf_init(cq_buf_t *b, size_t max)
{
    memset(b, 0, sizeof *b);
    b->max = max;
}

void
cq_buf_free(cq_buf_t *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void
cq_buf_reset(cq_buf_t *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

int
cq_buf_add(cq_buf_t *b, const void *p, size_t n)
{
    if (n > b->max || b->len > b->max - n)
        return CQ_ETOOBIG;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->data = cq_xrealloc(b->data, cap);
        b->cap = cap;
    }
    if (n > 0) // (p may be NULL when n is 0)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int
cq_buf_addstr(cq_buf_t *b, const char *s)
{
    return cq_buf_add(b, s, strlen(s));
}

int
cq_buf_printf(cq_buf_t *b, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return CQ_EINVAL;
    if ((size_t)n < sizeof small)
        return cq_buf_add(b, small, (size_t)n);
    char *big = cq_xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    int rc = cq_buf_add(b, big, (size_t)n);
    free(big);
    return rc;
}

int
cq_read_file(const char *path, size_t max, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return CQ_EIO;
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) &&
        (uint64_t)st.st_size > max) {
        fclose(f);
        return CQ_ETOOBIG;
    }
    cq_buf_t b;
    cq_buf_init(&b, max);
    char chunk[65536];
    size_t n;
    int rc = 0;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if ((rc = cq_buf_add(&b, chunk, n)) != 0)
            break;
    }
    if (rc == 0 && ferror(f))
        rc = CQ_EIO;
    int saved = errno;
    fclose(f);
    if (rc != 0) {
        cq_buf_free(&b);
        errno = saved;
        return rc;
    }
    if (b.data == NULL)
        b.data = cq_xcalloc(1, 1);
    *out = b.data;
    *len = b.len;
    return 0;
}
