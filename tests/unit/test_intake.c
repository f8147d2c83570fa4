//  The worker's intake (worker/intake.h): a document to INTAKE_DONE parts.
#include "date.h"
#include "intake.h"
#include "proto.h"
#include "x12_fixture.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int parts;
    int last;
    uint32_t claims;
    int32_t status;
    char message[CQ_PROTO_MSG_LEN];
    char ids[64][CQ_ID_LEN];
    int32_t received[64];
    bool invalid[64];
    cq_source_t source[64];
    uint32_t refused_sets, refused_claims; // of the last part
    char ack[8192];                        // its 999
    size_t ack_len;
} s_got_t;

static void
s_emit(void *arg, const uint8_t *body, size_t len, bool last)
{
    s_got_t *g = arg;
    cq_msg_intake_done_t m;
    cr_assert_eq(cq_proto_intake_done_decode(body, len, &m, NULL), 0);
    cr_assert_eq(m.lease, 11);
    cr_assert_eq(m.doc_id, 5);
    cr_assert_eq(m.part, (uint32_t)g->parts, "parts in order");
    cr_assert_eq(m.last, last);
    g->parts++;
    g->last += last;
    if (last) {
        g->status = m.status;
        strcpy(g->message, m.message);
        g->refused_sets = m.refused_sets;
        g->refused_claims = m.refused_claims;
        cr_assert_lt(m.ack_len, sizeof g->ack);
        memcpy(g->ack, m.ack, m.ack_len);
        g->ack[m.ack_len] = '\0';
        g->ack_len = m.ack_len;
    } else {
        cr_assert_eq(m.refused_sets + m.refused_claims + m.ack_len, 0,
                     "the counts and the 999 ride on the last part");
    }
    cq_claim_t *c = malloc(sizeof *c);
    const uint8_t *raw;
    size_t raw_len;
    while (cq_proto_intake_done_next(&m, c, &raw, &raw_len, NULL) == 1) {
        if (g->claims < 64) {
            strcpy(g->ids[g->claims], c->claim_id);
            g->received[g->claims] = c->received_date;
            g->invalid[g->claims] = c->invalid;
            g->source[g->claims] = c->source;
        }
        g->claims++;
    }
    free(c);
}

static void
s_run(const char *doc, uint32_t first_record, size_t part_claims, s_got_t *g)
{
    cq_mpw_t w;
    cq_mpw_init(&w);
    cq_msg_intake_t in = {.lease = 11,
                          .doc_id = 5,
                          .first_record = first_record,
                          .size = strlen(doc)};
    in.received_date = cq_date_from_ymd(2026, 3, 2);
    strcpy(in.batch_id, "b1");
    strcpy(in.name, "x.jsonl");
    cq_proto_intake_encode(&w, &in);
    memset(g, 0, sizeof *g);
    cr_assert_eq(cq_intake_run(w.data, w.len, (const uint8_t *)doc, strlen(doc),
                               part_claims, s_emit, g),
                 0);
    cq_mpw_free(&w);
}

#define CLAIM(id)                                                              \
    "{\"claim_id\": \"" id "\", \"payer_id\": \"ACME\", \"type\": "            \
    "\"professional\", \"frequency\": \"1\", \"billing_provider\": {\"npi\": " \
    "\"1234567893\"}, \"member\": {\"id\": \"W1\", \"last_name\": \"DOE\", "   \
    "\"first_name\": \"J\", \"birth_date\": \"1980-04-12\"}, \"diagnoses\": "  \
    "[\"E11.9\"], \"total_charge\": \"10.00\", \"lines\": [{\"procedure\": "   \
    "\"99213\", \"service_date\": \"2026-02-20\", \"units\": 1, \"charge\": "  \
    "\"10.00\", \"diagnosis_pointers\": [1]}]}\n"

Test(intake, json_lines_in_parts)
{
    s_got_t g;
    s_run(CLAIM("A1") CLAIM("A2") CLAIM("A3") CLAIM("A4") CLAIM("A5"), 1, 2,
          &g);
    cr_assert_eq(g.claims, 5);
    cr_assert_eq(g.parts, 3); // 2 + 2 + 1, the last one flagged
    cr_assert_eq(g.last, 1);
    cr_assert_eq(g.status, 0);
    cr_assert_str_eq(g.ids[0], "A1");
    cr_assert_str_eq(g.ids[4], "A5");
    //  no received_date in the claims: the broker's day is stamped
    cr_assert_eq(g.received[0], cq_date_from_ymd(2026, 3, 2));
}

Test(intake, unnamed_records_numbered_from_the_file_start)
{
    s_got_t g;
    //  the second record is not JSON: it gets "#<document>:<record>", the
    //  record counted from the piece's first record in the file (here 257)
    s_run(CLAIM("B1") "{not json\n", 257, 0, &g);
    cr_assert_eq(g.claims, 2);
    cr_assert_str_eq(g.ids[0], "B1");
    cr_assert_eq(g.ids[1][0], '#');
    const char *colon = strrchr(g.ids[1], ':');
    cr_assert_not_null(colon, "%s", g.ids[1]);
    cr_assert_str_eq(colon, ":258");
    //  the first piece of a file keeps the decoder's numbers
    s_run("{not json\n", 1, 0, &g);
    colon = strrchr(g.ids[0], ':');
    cr_assert_not_null(colon, "%s", g.ids[0]);
    cr_assert_str_eq(colon, ":1");
}

Test(intake, unusable_document_reports_why)
{
    s_got_t g;
    s_run("hello, this is not a claim", 1, 0, &g);
    cr_assert_eq(g.claims, 0);
    cr_assert_eq(g.parts, 1);
    cr_assert_lt(g.status, 0);
    cr_assert_neq(g.message[0], '\0');
}

Test(intake, unreadable_image_still_gets_an_answer, .timeout = 60)
{
    //  a PNG signature and garbage: the OCR engine cannot decode it; the
    //  document still yields one claim, invalid, so that the engine rejects
    //  it CO-16 ("unreadable image") and the submitter hears of it
    s_got_t g;
    s_run("\x89PNG\r\n\x1a\n....garbage....", 1, 0, &g);
    cr_assert_eq(g.status, 0, "%s", g.message);
    cr_assert_eq(g.claims, 1);
    cr_assert(g.invalid[0]);
    cr_assert_eq(g.source[0], CQ_SOURCE_OCR);
    cr_assert_eq(g.received[0], cq_date_from_ymd(2026, 3, 2));
}

Test(intake, size_mismatch_is_refused)
{
    cq_mpw_t w;
    cq_mpw_init(&w);
    cq_msg_intake_t in = {.lease = 1,
                          .doc_id = 1,
                          .first_record = 1,
                          .size = 99,
                          .received_date = 20000};
    strcpy(in.batch_id, "b1");
    cq_proto_intake_encode(&w, &in);
    s_got_t g;
    memset(&g, 0, sizeof g);
    cr_assert_eq(
        cq_intake_run(w.data, w.len, (const uint8_t *)"{}", 2, 0, s_emit, &g),
        CQ_EPROTO);
    cr_assert_eq(g.parts, 0);
    cq_mpw_free(&w);
}

Test(intake, x12_refused_sets_and_the_999_on_the_last_part)
{
    xb_t x;
    xb_sets(&x, 2, 2, 2); // A1 A2 in set 0001; B1 B2 in 0002, refused
    s_got_t g;
    s_run(x.b.data, 1, 1, &g); // one claim per part: three parts
    cr_assert_eq(g.claims, 2);
    cr_assert_str_eq(g.ids[0], "A1");
    cr_assert_str_eq(g.ids[1], "A2");
    cr_assert_eq(g.parts, 3);
    cr_assert_eq(g.status, 0, "%s", g.message);
    cr_assert_eq(g.refused_sets, 1);
    cr_assert_eq(g.refused_claims, 2); // B1 and B2 never became claims
    //  the document's 999, the accepted set answered too; its control
    //  numbers from the document id (5): 5 * 10000 + 1
    cr_assert_eq(g.ack_len, strlen(g.ack));
    cr_assert(strstr(g.ack, "*000050001*0*T*:~\nGS*FA*RECEIVER*SUBMITTER*"),
              "%s", g.ack);
    cr_assert(strstr(g.ack, "AK1*HC*9*005010X222A1~\n"
                            "AK2*837*0001*005010X222A1~\n"
                            "IK5*A~\n"
                            "AK2*837*0002*005010X222A1~\n"
                            "IK5*R*4~\n"
                            "AK9*P*2*2*1~\n"),
              "%s", g.ack);
    cq_x12_report_t rep;
    cr_assert_eq(cq_x12_parse(g.ack, g.ack_len, NULL, NULL, &rep, NULL),
                 CQ_EUNSUPPORTED);
    cr_assert_str_eq(rep.kind, "999");
    cq_x12_report_free(&rep);
    xb_free(&x);
}

Test(intake, x12_every_set_refused)
{
    //  the document fails as a whole; the submitter still gets the 999
    xb_t x;
    xb_std(&x);
    xb_isa(&x, "000000322");
    xb_gs(&x, "HC", "9", "005010X222A1");
    xb_st(&x, "837", "0001", "005010X222A1");
    xb_837_header(&x);
    xb_billing(&x, 1);
    xb_subscriber(&x, 2, 1, "W1", 0);
    xb_claim(&x, "C1", "100", "20260220");
    xb_seg(&x, "ZZZ*1"); // unknown segment: refused
    xb_se(&x, 0);
    xb_ge(&x);
    xb_iea(&x);
    s_got_t g;
    s_run(x.b.data, 1, 0, &g);
    cr_assert_eq(g.claims, 0);
    cr_assert_eq(g.status, CQ_EPROTO);
    cr_assert(strstr(g.message, "837 refused"), "%s", g.message);
    cr_assert_eq(g.refused_sets, 1);
    cr_assert_eq(g.refused_claims, 1);
    cr_assert(strstr(g.ack, "IK3*ZZZ*21*2400*1~\nCTX*CLM01:C1~\nIK5*R*5~\n"
                            "AK9*R*1*1*0~\n"),
              "%s", g.ack);
    xb_free(&x);
}

Test(intake, not_x12_no_counts_no_999)
{
    s_got_t g;
    s_run(CLAIM("A1"), 1, 0, &g);
    cr_assert_eq(g.claims, 1);
    cr_assert_eq(g.refused_sets + g.refused_claims, 0);
    cr_assert_eq(g.ack_len, 0);
}
