//  review_parse.c: the review station's parsers (review_parse.h).
#include "review_parse.h"
#include "err.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
s_hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

//  Decodes [p, p + n) into a new string of at most max bytes.
static int
s_decode(const char *p, size_t n, size_t max, char **out)
{
    *out = NULL;
    if (n > 3 * max + 3)
        return CQ_ETOOBIG; // cannot decode to max bytes or fewer
    char *s = cq_xmalloc(n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (i + 2 >= n) {
                free(s);
                return CQ_EPROTO;
            }
            int a = s_hex(p[i + 1]), b = s_hex(p[i + 2]);
            if (a < 0 || b < 0) {
                free(s);
                return CQ_EPROTO;
            }
            c = (char)(a * 16 + b);
            i += 2;
        }
        if (c == '\0') {
            free(s);
            return CQ_EPROTO;
        }
        if (k == max) {
            free(s);
            return CQ_ETOOBIG;
        }
        s[k++] = c;
    }
    s[k] = '\0';
    *out = s;
    return 0;
}

void
cq_rv_form_free(cq_rv_form_t *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->v[i].name);
        free(f->v[i].value);
    }
    free(f->v);
    f->v = NULL;
    f->n = 0;
}

int
cq_rv_form_parse(const char *body, size_t len, cq_rv_form_t *out)
{
    memset(out, 0, sizeof *out);
    if (len > CQ_RV_MAX_BODY)
        return CQ_ETOOBIG;
    size_t pairs = len > 0;
    for (size_t i = 0; i < len; i++)
        pairs += body[i] == '&';
    if (pairs > CQ_RV_MAX_PAIRS)
        return CQ_ETOOBIG;
    out->v = cq_xcalloc(pairs ? pairs : 1, sizeof *out->v);
    size_t at = 0;
    while (at < len) {
        const char *p = body + at;
        const char *amp = memchr(p, '&', len - at);
        size_t n = amp ? (size_t)(amp - p) : len - at;
        at += n + 1;
        if (n == 0)
            continue;
        const char *eq = memchr(p, '=', n);
        size_t nl = eq ? (size_t)(eq - p) : n;
        char *name, *value;
        int rc = s_decode(p, nl, CQ_RV_MAX_NAME, &name);
        if (rc == 0) {
            rc = eq ? s_decode(eq + 1, n - nl - 1, CQ_RV_MAX_VALUE, &value)
                    : s_decode("", 0, 1, &value);
            if (rc != 0)
                free(name);
        }
        if (rc != 0) {
            cq_rv_form_free(out);
            return rc;
        }
        out->v[out->n].name = name;
        out->v[out->n].value = value;
        out->n++;
    }
    return 0;
}

const char *
cq_rv_form_get(const cq_rv_form_t *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->v[i].name, name) == 0)
            return f->v[i].value;
    return NULL;
}

bool
cq_rv_cookie(const char *header, const char *name, char *out, size_t size)
{
    if (header == NULL || size == 0)
        return false;
    size_t nl = strlen(name);
    const char *p = header;
    while (*p) {
        while (*p == ' ' || *p == ';' || *p == '\t')
            p++;
        const char *end = strchr(p, ';');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
            size_t vl = n - nl - 1;
            if (vl >= size)
                return false;
            memcpy(out, p + nl + 1, vl);
            out[vl] = '\0';
            return true;
        }
        p += n;
    }
    return false;
}

bool
cq_rv_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= CQ_ID_LEN)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

static bool
s_tenant_ok(const char *s, size_t n)
{
    if (n == 0 || n >= CQ_ID_LEN)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c >= 0x7f || c == ',' || c == ':' || c == '|')
            return false;
    }
    return true;
}

int
cq_rv_tenants_parse(const char *s, cq_rv_account_t *a, const char **why)
{
    a->n_tenants = 0;
    size_t len = strlen(s);
    size_t at = 0;
    while (at <= len) {
        const char *p = s + at;
        const char *c = strchr(p, ',');
        size_t n = c ? (size_t)(c - p) : strlen(p);
        if (!s_tenant_ok(p, n)) {
            *why = "a tenant is a payer id (printable, no spaces, ',', ':' "
                   "or '|', under 40 bytes) or *";
            return CQ_EPROTO;
        }
        if (a->n_tenants == CQ_RV_MAX_TENANTS) {
            *why = "more than 64 tenants";
            return CQ_EPROTO;
        }
        memcpy(a->tenants[a->n_tenants], p, n);
        a->tenants[a->n_tenants][n] = '\0';
        a->n_tenants++;
        at += n + 1;
        if (c == NULL)
            break;
    }
    return 0;
}

int
cq_rv_account_parse(const char *line, size_t len, cq_rv_account_t *a,
                    const char **why)
{
    memset(a, 0, sizeof *a);
    *why = NULL;
    if (len > 4096) {
        *why = "line too long";
        return CQ_EPROTO;
    }
    const char *c1 = memchr(line, ':', len);
    const char *c2 =
        c1 ? memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - line)) : NULL;
    if (c1 == NULL || c2 == NULL) {
        *why = "expected NAME:TENANTS:HASH";
        return CQ_EPROTO;
    }
    size_t nn = (size_t)(c1 - line), nt = (size_t)(c2 - c1 - 1),
           nh = len - (size_t)(c2 + 1 - line);
    if (nn == 0 || nn >= sizeof a->name) {
        *why = "name: 1 to 39 characters of A-Z a-z 0-9 . _ -";
        return CQ_EPROTO;
    }
    memcpy(a->name, line, nn);
    a->name[nn] = '\0';
    if (!cq_rv_name_ok(a->name)) {
        *why = "name: 1 to 39 characters of A-Z a-z 0-9 . _ -";
        return CQ_EPROTO;
    }
    char tenants[CQ_RV_MAX_TENANTS * CQ_ID_LEN + 64];
    if (nt >= sizeof tenants) {
        *why = "tenants: too long";
        return CQ_EPROTO;
    }
    memcpy(tenants, c1 + 1, nt);
    tenants[nt] = '\0';
    if (cq_rv_tenants_parse(tenants, a, why) != 0)
        return CQ_EPROTO;
    if (nh < 10 || nh >= sizeof a->hash || strncmp(c2 + 1, "$argon2", 7)) {
        *why = "hash: not a libsodium password hash ($argon2...)";
        return CQ_EPROTO;
    }
    memcpy(a->hash, c2 + 1, nh);
    a->hash[nh] = '\0';
    for (size_t i = 0; i < nh; i++)
        if ((unsigned char)a->hash[i] <= ' ' || a->hash[i] == ':') {
            *why = "hash: not a libsodium password hash ($argon2...)";
            return CQ_EPROTO;
        }
    return 0;
}

bool
cq_rv_account_format(const cq_rv_account_t *a, char *out, size_t size)
{
    size_t at = 0;
    int n = snprintf(out, size, "%s:", a->name);
    if (n < 0 || (size_t)n >= size)
        return false;
    at = (size_t)n;
    for (size_t i = 0; i < a->n_tenants; i++) {
        n = snprintf(out + at, size - at, "%s%s", i ? "," : "", a->tenants[i]);
        if (n < 0 || (size_t)n >= size - at)
            return false;
        at += (size_t)n;
    }
    n = snprintf(out + at, size - at, ":%s", a->hash);
    return n >= 0 && (size_t)n < size - at;
}

int
cq_rv_listen_parse(const char *s, unsigned char ip[4], int *port,
                   bool *loopback)
{
    const char *colon = strrchr(s, ':');
    if (colon == NULL || colon == s || colon[1] == '\0')
        return CQ_EINVAL;
    size_t hl = (size_t)(colon - s);
    char host[64];
    if (hl >= sizeof host)
        return CQ_EINVAL;
    memcpy(host, s, hl);
    host[hl] = '\0';
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end != '\0' || p < 0 || p > 65535 || colon[1] == '-' ||
        colon[1] == '+')
        return CQ_EINVAL;
    if (strcmp(host, "localhost") == 0) {
        ip[0] = 127, ip[1] = 0, ip[2] = 0, ip[3] = 1;
    } else {
        int parts = 0;
        const char *q = host;
        while (parts < 4) {
            if (*q < '0' || *q > '9')
                return CQ_EINVAL;
            long v = strtol(q, &end, 10);
            if (v > 255 || end - q > 3)
                return CQ_EINVAL;
            ip[parts++] = (unsigned char)v;
            q = end;
            if (parts < 4) {
                if (*q != '.')
                    return CQ_EINVAL;
                q++;
            }
        }
        if (*q != '\0')
            return CQ_EINVAL;
    }
    *port = (int)p;
    *loopback = ip[0] == 127;
    return 0;
}
