//  test_doc.c: document sniffing and decoding by content (common/doc.h).
#include "doc.h"
#include "x12_fixture.h"

#include <criterion/criterion.h>
#include <stddef.h>
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
    cr_assert_eq(cq_doc_sniff((const uint8_t *)"%PDF-1.7", 8), CQ_DOC_IMAGE);
    cr_assert_eq(cq_doc_sniff((const uint8_t *)"GIF89a", 6), CQ_DOC_UNKNOWN);
    cr_assert_eq(cq_doc_sniff((const uint8_t *)"", 0), CQ_DOC_UNKNOWN);
}

Test(doc, unknown_format_is_a_clear_error)
{
    cq_diag_t diag = {0};
    s_sink_t sink = {0};
    const char *pdf = "GIF89a renamed";
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

//  X12 and OCR let '|' through their syntax; the claim key cannot hold it
//  (its separator): such a claim is refused (CO-16 naming the field) the
//  way the JSON decoder refuses it, and never shares a key with another.
Test(doc, x12_claim_id_with_a_bar_is_refused)
{
    xb_t x;
    xb_std(&x);
    xb_isa(&x, "000000001");
    xb_gs(&x, "HC", "1", "005010X222A1");
    xb_st(&x, "837", "0001", "005010X222A1");
    xb_837_header(&x);
    xb_billing(&x, 1);
    xb_subscriber(&x, 2, 1, "W100000001", 0);
    xb_claim(&x, "AB|C", "150", "20260220");
    xb_claim(&x, "AB|D", "150", "20260220");
    xb_claim(&x, "PCN-1", "150", "20260220");
    xb_se(&x, 0);
    xb_ge(&x);
    xb_iea(&x);
    xb_claims_t k = {0};
    cq_diag_t diag = {0};
    int rc = cq_doc_decode((const uint8_t *)x.b.data, x.b.len, 0, xb_collect,
                           &k, &diag);
    cr_assert_eq(rc, 3, "%s", diag.msg);
    for (int i = 0; i < 2; i++) {
        cr_assert(k.c[i].invalid);
        cr_assert_str_eq(k.c[i].invalid_rarc, "MA130");
        cr_assert(strstr(k.c[i].invalid_msg, "claim_id: must not contain '|'"),
                  "%s", k.c[i].invalid_msg);
        cr_assert_null(strchr(k.c[i].claim_id, '|'), "%s", k.c[i].claim_id);
        cr_assert_eq(k.c[i].claim_id[0], '#');
    }
    cr_assert_str_neq(k.c[0].claim_id, k.c[1].claim_id);
    cr_assert(!k.c[2].invalid);
    cr_assert_str_eq(k.c[2].claim_id, "PCN-1");
    xb_claims_free(&k);
    xb_free(&x);
}

Test(doc, claim_key_check_names_each_field)
{
    static const struct {
        const char *field;
        size_t off;
    } fields[] = {
        {"payer_id", offsetof(cq_claim_t, payer_id)},
        {"billing_provider.npi", offsetof(cq_claim_t, billing_npi)},
        {"original_claim_id", offsetof(cq_claim_t, original_claim_id)},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        cq_claim_t c;
        cq_claim_init(&c);
        cq_strlcpy(c.claim_id, "OK-1", sizeof c.claim_id);
        strcpy((char *)&c + fields[i].off, "A|B");
        cr_assert(cq_claim_check_key(&c, 1));
        cr_assert(c.invalid);
        cr_assert(strstr(c.invalid_msg, fields[i].field), "%s", c.invalid_msg);
        char key[CQ_KEY_LEN];
        cq_claim_key(&c, key);
        size_t bars = 0;
        for (const char *p = key; *p; p++)
            bars += *p == '|';
        cr_assert_eq(bars, 3, "%s", key);
    }
    cq_claim_t ok;
    cq_claim_init(&ok);
    cq_strlcpy(ok.claim_id, "OK-1", sizeof ok.claim_id);
    cr_assert(!cq_claim_check_key(&ok, 1));
    cr_assert(!ok.invalid);
}

Test(doc, x12_answer_refused_sets_and_the_999)
{
    xb_t x;
    xb_sets(&x, 2, 2, 2); // set 0002 refused
    cq_buf_t ack;
    cq_buf_init(&ack, 1u << 20);
    cq_doc_answer_t ans = {.ack = &ack, .ack_env = {.control = 7001}};
    s_sink_t sink = {0};
    cq_diag_t diag = {0};
    int rc = cq_doc_decode_answer((const uint8_t *)x.b.data, x.b.len, 20000,
                                  s_collect, &sink, &ans, &diag);
    cr_assert_eq(rc, 2, "%s", diag.msg);
    cr_assert_eq(sink.n, 2);
    cr_assert_eq(ans.kind, CQ_DOC_X12);
    cr_assert_eq(ans.sets, 2);
    cr_assert_eq(ans.refused_sets, 1);
    cr_assert_eq(ans.refused_claims, 2);
    cr_assert_eq(ans.ack_status, 0);
    //  the 999 answers both sets, the accepted one too
    cr_assert(strstr(ack.data, "ISA*00*"), "%s", ack.data);
    cr_assert(strstr(ack.data, "*000007001*"), "%s", ack.data);
    cr_assert(strstr(ack.data, "AK2*837*0001*005010X222A1~IK5*A~"
                               "AK2*837*0002*005010X222A1~IK5*R*4~"
                               "AK9*P*2*2*1~"),
              "%s", ack.data);
    //  a JSON document: no sets, the buffer left alone
    size_t before = ack.len;
    const char *json = "{\"claim_id\": \"J1\"}\n";
    cq_doc_decode_answer((const uint8_t *)json, strlen(json), 20000, s_collect,
                         &sink, &ans, &diag);
    cr_assert_eq(ans.kind, CQ_DOC_JSON);
    cr_assert_eq(ans.refused_sets + ans.refused_claims + ans.sets, 0);
    cr_assert_eq(ack.len, before);
    cq_buf_free(&ack);
    xb_free(&x);
}

Test(doc, x12_every_set_refused_still_has_its_999)
{
    xb_t x;
    xb_sets(&x, 2, 2, 3); // both refused
    cq_buf_t ack;
    cq_buf_init(&ack, 1u << 20);
    cq_doc_answer_t ans = {.ack = &ack};
    s_sink_t sink = {0};
    cq_diag_t diag = {0};
    int rc = cq_doc_decode_answer((const uint8_t *)x.b.data, x.b.len, 20000,
                                  s_collect, &sink, &ans, &diag);
    cr_assert_eq(rc, CQ_EPROTO);
    cr_assert(strstr(diag.msg, "837 refused: 2 transaction set(s)"), "%s",
              diag.msg);
    cr_assert_eq(sink.n, 0);
    cr_assert_eq(ans.refused_sets, 2);
    cr_assert_eq(ans.refused_claims, 4);
    cr_assert(strstr(ack.data, "IK5*R*4~AK2*837*0002*005010X222A1~IK5*R*4~"
                               "AK9*R*2*2*0~"),
              "%s", ack.data);
    //  a 999 over the caller's cap: none at all, not a part of one
    cq_buf_t small;
    cq_buf_init(&small, 64);
    cq_buf_addstr(&small, "kept");
    ans.ack = &small;
    cq_doc_decode_answer((const uint8_t *)x.b.data, x.b.len, 20000, s_collect,
                         &sink, &ans, &diag);
    cr_assert_eq(ans.ack_status, CQ_ETOOBIG);
    cr_assert_str_eq(small.data, "kept");
    cq_buf_free(&small);
    cq_buf_free(&ack);
    xb_free(&x);
}
