//  test_limit.c: the limits in one place (common/limit.h). Their table is
//  whole and its names are the metric's labels; schemas/proto.md states
//  the same numbers; and each decoder counts a refusal under its limit.
#include "claim_json.h"
#include "cq_test.h"
#include "limit.h"
#include "mem.h"
#include "proto.h"
#include "x12.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Test(limit, every_limit_has_a_unique_label_and_a_description)
{
    for (int i = 0; i < CQ_LIMIT__COUNT; i++) {
        const cq_limit_info_t *a = cq_limit_info((cq_limit_t)i);
        cr_assert(a->name && a->name[0] && a->what && a->what[0], "limit %d",
                  i);
        for (const char *p = a->name; *p; p++)
            cr_assert((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
                          *p == '_',
                      "label %s", a->name);
        for (int j = 0; j < i; j++)
            cr_assert_str_neq(a->name, cq_limit_info((cq_limit_t)j)->name);
    }
}

//  The row of the table in text that names macro (or its suffix after the
//  common prefix, as "`_ELEMENT_LEN`"), as a new string; NULL when none.
static char *
s_row(const char *text, const char *macro)
{
    char tick[96];
    snprintf(tick, sizeof tick, "`%s`", macro);
    const char *at = strstr(text, tick);
    if (at == NULL) {
        const char *suffix = strrchr(macro, '_');
        //  "CQ_X12_MAX_ELEMENT_LEN" -> "_ELEMENT_LEN": from MAX_'s end
        const char *max = strstr(macro, "MAX_");
        if (max)
            suffix = max + 3;
        snprintf(tick, sizeof tick, "`%s`", suffix);
        at = strstr(text, tick);
    }
    if (at == NULL)
        return NULL;
    const char *start = at;
    while (start > text && start[-1] != '\n')
        start--;
    const char *end = strchr(at, '\n');
    return cq_xstrndup(start, end ? (size_t)(end - start) : strlen(start));
}

//  n as the document writes it: "4,096", "1 MiB", "64 Mi", "1 GiB".
static bool
s_row_says(const char *row, unsigned long long n)
{
    char a[64];
    if (n >= 1000) {
        unsigned long long hi = n / 1000, lo = n % 1000;
        if (hi >= 1000)
            snprintf(a, sizeof a, "%llu,%03llu,%03llu", hi / 1000, hi % 1000,
                     lo);
        else
            snprintf(a, sizeof a, "%llu,%03llu", hi, lo);
    } else
        snprintf(a, sizeof a, "%llu", n);
    if (strstr(row, a))
        return true;
    if (n % (1ull << 30) == 0) {
        snprintf(a, sizeof a, "%llu GiB", n >> 30);
        if (strstr(row, a))
            return true;
    }
    if (n % (1ull << 20) == 0) {
        snprintf(a, sizeof a, "%llu MiB", n >> 20);
        if (strstr(row, a))
            return true;
        snprintf(a, sizeof a, "%llu Mi ", n >> 20);
        if (strstr(row, a))
            return true;
    }
    return false;
}

Test(limit, schemas_proto_md_states_the_same_numbers)
{
    char *text = cq_test_read(cq_test_src("schemas/proto.md"), NULL);
    cr_assert_not_null(text);
    static const struct {
        const char *macro;
        unsigned long long value;
    } doc[] = {
        {"CQ_X12_MAX_DOC", CQ_X12_MAX_DOC},
        {"CQ_X12_MAX_SEGMENTS", CQ_X12_MAX_SEGMENTS},
        {"CQ_X12_MAX_SEGMENT_LEN", CQ_X12_MAX_SEGMENT_LEN},
        {"CQ_X12_MAX_ELEMENT_LEN", CQ_X12_MAX_ELEMENT_LEN},
        {"CQ_X12_MAX_ELEMENTS", CQ_X12_MAX_ELEMENTS},
        {"CQ_JSON_MAX_DOC", CQ_JSON_MAX_DOC},
        {"CQ_JSON_MAX_LINE", CQ_JSON_MAX_LINE},
        {"CQ_JSON_MAX_DEPTH", CQ_JSON_MAX_DEPTH},
        {"CQ_MAX_LINES", CQ_MAX_LINES},
        {"CQ_OCR_MAX_FILE", CQ_OCR_MAX_FILE},
        {"CQ_OCR_MAX_DIM", CQ_OCR_MAX_DIM},
        {"CQ_OCR_MAX_PIXELS", CQ_OCR_MAX_PIXELS},
        {"CQ_OCR_MAX_PAGES", CQ_OCR_MAX_PAGES},
        {"CQ_PROTO_MAX_FRAME", CQ_PROTO_MAX_FRAME},
        {"CQ_PROTO_MAX_DOCS", CQ_PROTO_MAX_DOCS},
        {"CQ_PROTO_MAX_ITEMS", CQ_PROTO_MAX_ITEMS},
        {"CQ_REVIEW_AUDIT_LEN", CQ_REVIEW_AUDIT_LEN},
    };
    for (size_t i = 0; i < sizeof doc / sizeof doc[0]; i++) {
        char *row = s_row(text, doc[i].macro);
        cr_assert_not_null(row, "schemas/proto.md does not name %s",
                           doc[i].macro);
        cr_assert(s_row_says(row, doc[i].value),
                  "schemas/proto.md's row for %s does not say %llu: %s",
                  doc[i].macro, doc[i].value, row);
        free(row);
    }
    free(text);
}

static int
s_ignore(void *arg, cq_claim_t *c)
{
    (void)c;
    (void)arg;
    return 0;
}

Test(limit, decoders_count_each_refusal_under_its_limit)
{
    //  JSON nested past 2,048
    uint64_t before = cq_limit_hits(CQ_LIMIT_JSON_DEPTH);
    size_t n = 3000;
    char *deep = cq_xmalloc(2 * n + 1);
    memset(deep, '[', n);
    memset(deep + n, ']', n);
    deep[2 * n] = '\0';
    cq_diag_t d = {0};
    cq_claim_json_parse(deep, 2 * n, s_ignore, NULL, &d);
    free(deep);
    cr_assert_eq(cq_limit_hits(CQ_LIMIT_JSON_DEPTH), before + 1);

    //  a JSON Lines record over 1 MiB
    before = cq_limit_hits(CQ_LIMIT_JSON_LINE);
    size_t big = CQ_JSON_MAX_LINE + 100;
    char *line = cq_xmalloc(big + 40);
    int k = snprintf(line, 40, "{\"claim_id\":\"A\"}\n{\"x\":\"");
    memset(line + k, 'a', big);
    memcpy(line + k + big, "\"}\n", 4);
    memset(&d, 0, sizeof d);
    cq_claim_json_parse(line, strlen(line), s_ignore, NULL, &d);
    free(line);
    cr_assert_eq(cq_limit_hits(CQ_LIMIT_JSON_LINE), before + 1);

    //  a message whose array is over its cap: DECISIONS [batch_id, items]
    //  with an array32 header declaring 4 billion items
    before = cq_limit_hits(CQ_LIMIT_MESSAGE_FIELD);
    static const unsigned char body[] = {0x92, 0xa1, 'b',  0xdd,
                                         0xff, 0xff, 0xff, 0xff};
    cq_msg_decisions_t m;
    memset(&d, 0, sizeof d);
    cr_assert_neq(cq_proto_decisions_decode(body, sizeof body, &m, &d), 0);
    cr_assert_eq(d.code, CQ_ETOOBIG, "%s", d.msg);
    cr_assert_eq(cq_limit_hits(CQ_LIMIT_MESSAGE_FIELD), before + 1);
}
