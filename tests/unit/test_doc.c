//  test_doc.c: document sniffing and decoding by content (common/doc.h).
#include "doc.h"

#include <criterion/criterion.h>
#include <string.h>

typedef struct {
    int n;
    cq_claim_t last;
} s_sink_t;

static int
s_collect(void *arg, cq_claim_t *c)
{
    s_sink_t *s = arg;
    s->n++;
    s->last = *c;
    return 0;
}

Test(doc, sniffs_by_content)
{
    cr_assert_eq(cq_doc_sniff((const uint8_t *)"  {\"a\":1}", 9), CQ_DOC_JSON);
    cr_assert_eq(cq_doc_sniff((const uint8_t *)"\xEF\xBB\xBF[", 4),
                 CQ_DOC_JSON);
    cr_assert_eq(cq_doc_sniff((const uint8_t *)"\r\nISA*00*", 9), CQ_DOC_X12);
    cr_assert_eq(cq_doc_sniff((const uint8_t *)"\x89PNG\r\n\x1a\nxxxx", 12),
                 CQ_DOC_IMAGE);
    cr_assert_eq(cq_doc_sniff((const uint8_t *)"II*\0", 4), CQ_DOC_IMAGE);
    cr_assert_eq(cq_doc_sniff((const uint8_t *)"\xFF\xD8\xFF\xE0", 4),
                 CQ_DOC_IMAGE);
    cr_assert_eq(cq_doc_sniff((const uint8_t *)"%PDF-1.7", 8), CQ_DOC_UNKNOWN);
    cr_assert_eq(cq_doc_sniff((const uint8_t *)"", 0), CQ_DOC_UNKNOWN);
}

Test(doc, unknown_format_is_a_clear_error)
{
    cq_diag_t diag = {0};
    s_sink_t sink = {0};
    const char *pdf = "%PDF-1.7 renamed";
    int rc = cq_doc_decode((const uint8_t *)pdf, strlen(pdf), 0, s_collect,
                           &sink, &diag);
    cr_assert_eq(rc, CQ_EPROTO);
    cr_assert_eq(sink.n, 0);
    cr_assert(strstr(diag.msg, "not a claim document") != NULL, "%s", diag.msg);
}

Test(doc, unreadable_record_ids_are_scoped_by_document)
{
    const char *a = "{\"claim_id\": \"A1\"\nnot json at all\n";
    const char *b = "{\"claim_id\": \"B1\"\nnot json either\n";
    s_sink_t sa = {0}, sb = {0}, sa2 = {0};
    cr_assert_geq(
        cq_doc_decode((const uint8_t *)a, strlen(a), 0, s_collect, &sa, NULL),
        1);
    cr_assert_geq(
        cq_doc_decode((const uint8_t *)b, strlen(b), 0, s_collect, &sb, NULL),
        1);
    cr_assert_geq(
        cq_doc_decode((const uint8_t *)a, strlen(a), 0, s_collect, &sa2, NULL),
        1);
    cr_assert(sa.last.invalid);
    cr_assert_eq(sa.last.claim_id[0], '#');
    cr_assert(strchr(sa.last.claim_id, ':') != NULL, "%s", sa.last.claim_id);
    //  another document: another id; the same document: the same id
    cr_assert_str_neq(sa.last.claim_id, sb.last.claim_id);
    cr_assert_str_eq(sa.last.claim_id, sa2.last.claim_id);
}

Test(doc, stamps_received_default_only_when_missing)
{
    const char *j = "{\"claim_id\": \"X\", \"received_date\": \"2026-03-02\"}\n"
                    "{\"claim_id\": \"Y\"}\n";
    s_sink_t s = {0};
    int32_t def = cq_date_from_ymd(2026, 5, 1);
    cq_doc_decode((const uint8_t *)j, strlen(j), def, s_collect, &s, NULL);
    cr_assert_eq(s.n, 2);
    cr_assert_eq(s.last.received_date, def);
}
