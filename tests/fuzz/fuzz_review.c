//  fuzz_review.c: what the review station (claimq review) parses from
//  outside (client/review_parse.h) on arbitrary bytes: a POST body
//  (application/x-www-form-urlencoded), a Cookie header, a line of the
//  accounts file, a --listen address. Every input goes to all four.
//
//  Invariants checked (abort on violation, so libFuzzer reports it):
//  1. nothing crashes; every refusal is one of the documented codes;
//  2. a parsed body keeps its caps (pairs, name and value lengths), and
//     the pairs, encoded again, parse to the same pairs;
//  3. a cookie found is shorter than the buffer and holds no ';';
//  4. an account line that parses formats back to the same bytes;
//  5. a --listen address that parses gives a port in 0..65535, and
//     loopback exactly for 127.0.0.0/8.
#include "err.h"
#include "mem.h"
#include "review_parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
s_check(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_review: invariant broken: %s\n", what);
        abort();
    }
}

static void
s_encode(cq_buf_t *b, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_')
            cq_buf_add(b, s, 1);
        else
            cq_buf_printf(b, "%%%02X", c);
    }
}

static void
s_form(const char *text, size_t size)
{
    cq_rv_form_t f;
    int rc = cq_rv_form_parse(text, size, &f);
    s_check(rc == 0 || rc == CQ_EPROTO || rc == CQ_ETOOBIG, "form: a code");
    if (rc != 0) {
        s_check(f.n == 0 && f.v == NULL, "form: empty after a refusal");
        return;
    }
    s_check(f.n <= CQ_RV_MAX_PAIRS, "form: pairs capped");
    cq_buf_t again;
    cq_buf_init(&again, 16u << 20);
    for (size_t i = 0; i < f.n; i++) {
        s_check(strlen(f.v[i].name) <= CQ_RV_MAX_NAME, "form: name capped");
        s_check(strlen(f.v[i].value) <= CQ_RV_MAX_VALUE, "form: value capped");
        if (i > 0)
            cq_buf_addstr(&again, "&");
        s_encode(&again, f.v[i].name);
        cq_buf_addstr(&again, "=");
        s_encode(&again, f.v[i].value);
    }
    cq_rv_form_t g;
    //  (encoded, a body may pass CQ_RV_MAX_BODY: then it is refused whole)
    rc = cq_rv_form_parse(again.data ? again.data : "", again.len, &g);
    if (rc == 0) {
        s_check(g.n == f.n, "form: as many pairs again");
        for (size_t i = 0; i < f.n; i++)
            s_check(strcmp(f.v[i].name, g.v[i].name) == 0 &&
                        strcmp(f.v[i].value, g.v[i].value) == 0,
                    "form: the same pairs again");
        cq_rv_form_free(&g);
    } else {
        s_check(rc == CQ_ETOOBIG && again.len > CQ_RV_MAX_BODY,
                "form: encoded again, refused only for its size");
    }
    cq_buf_free(&again);
    cq_rv_form_free(&f);
}

static void
s_cookie(const char *text)
{
    char v[65];
    if (cq_rv_cookie(text, "cqr_session", v, sizeof v)) {
        s_check(strlen(v) < sizeof v, "cookie: fits");
        s_check(strchr(v, ';') == NULL, "cookie: one value");
    }
}

static void
s_account(const char *text, size_t size)
{
    cq_rv_account_t a;
    const char *why = NULL;
    int rc = cq_rv_account_parse(text, size, &a, &why);
    s_check(rc == 0 || (rc == CQ_EPROTO && why != NULL),
            "account: a code and a reason");
    if (rc != 0)
        return;
    s_check(cq_rv_name_ok(a.name), "account: a good name");
    s_check(a.n_tenants >= 1 && a.n_tenants <= CQ_RV_MAX_TENANTS,
            "account: tenants");
    char line[CQ_RV_MAX_TENANTS * CQ_ID_LEN + 512];
    s_check(cq_rv_account_format(&a, line, sizeof line), "account: formats");
    s_check(strlen(line) == size && memcmp(line, text, size) == 0,
            "account: formats back to the same line");
}

static void
s_listen(const char *text)
{
    unsigned char ip[4];
    int port = -1;
    bool lo = false;
    if (cq_rv_listen_parse(text, ip, &port, &lo) != 0)
        return;
    s_check(port >= 0 && port <= 65535, "listen: a port");
    s_check(lo == (ip[0] == 127), "listen: loopback is 127/8");
    char again[64];
    snprintf(again, sizeof again, "%u.%u.%u.%u:%d", ip[0], ip[1], ip[2], ip[3],
             port);
    unsigned char ip2[4];
    int port2;
    bool lo2;
    s_check(cq_rv_listen_parse(again, ip2, &port2, &lo2) == 0 &&
                memcmp(ip, ip2, 4) == 0 && port == port2,
            "listen: parses again");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    //  the body as bytes; the others as the NUL-terminated text a header
    //  or a line is (cut at the first NUL)
    char *text = cq_xmalloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    s_form(text, size);
    s_cookie(text);
    s_account(text, strlen(text));
    s_listen(text);
    free(text);
    return 0;
}
