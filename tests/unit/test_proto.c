//  The wire protocol codec (common/proto.h): round trips of every message,
//  and every way a body can be malformed, truncated or oversized.
#include "hash.h"
#include "proto.h"
#include "state_impl.h"
#include "wire.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  ---- fixtures -------------------------------------------------------------

//  A claim with every field set and every list at its cap.
static void
s_full_claim(cq_claim_t *c)
{
    cq_claim_init(c);
    strcpy(c->claim_id, "PCN-000123");
    strcpy(c->payer_id, "ACME");
    c->type = CQ_CLAIM_INSTITUTIONAL;
    c->frequency = '7';
    strcpy(c->original_claim_id, "PCN-000001");
    c->received_date = 20514;
    strcpy(c->member.id, "W100000001");
    strcpy(c->member.last_name, "DOE");
    strcpy(c->member.first_name, "JANE");
    c->member.birth_date = 3754;
    c->member.sex = 'F';
    strcpy(c->billing_npi, "1234567893");
    strcpy(c->billing_tax_id, "123456789");
    strcpy(c->billing_name, "NORTH CLINIC");
    strcpy(c->prior_auth, "PA-77");
    for (int i = 0; i < CQ_MAX_DX; i++)
        snprintf(c->diagnoses[i], sizeof c->diagnoses[i], "E11.%d", i);
    c->n_diagnoses = CQ_MAX_DX;
    c->total_charge = 25000;
    for (int i = 0; i < CQ_MAX_LINES; i++) {
        cq_line_t *l = &c->lines[i];
        snprintf(l->procedure, sizeof l->procedure, "99%03d", i);
        for (int k = 0; k < CQ_MAX_MODIFIERS; k++)
            snprintf(l->modifiers[k], sizeof l->modifiers[k], "%02d", k + 20);
        l->n_modifiers = CQ_MAX_MODIFIERS;
        strcpy(l->revenue_code, "0450");
        l->service_date = 20500 + i;
        l->service_date_end = i % 2 ? CQ_DATE_NONE : 20501 + i;
        strcpy(l->place_of_service, "11");
        l->units_milli = 1500;
        l->charge = 500 + i;
        for (int k = 0; k < CQ_MAX_POINTERS; k++)
            l->dx_pointers[k] = (uint8_t)(k + 1);
        l->n_pointers = CQ_MAX_POINTERS;
        strcpy(l->rendering_npi, "1992999999");
    }
    c->n_lines = CQ_MAX_LINES;
    c->source = CQ_SOURCE_OCR;
    c->ocr_confidence = 87;
    c->invalid = true;
    strcpy(c->invalid_rarc, "M51");
    strcpy(c->invalid_msg, "lines[2].procedure: not a code");
    for (int i = 0; i < CQ_MAX_PEND; i++)
        snprintf(c->pend_fields[i], sizeof c->pend_fields[i], "field%d", i);
    c->n_pend = CQ_MAX_PEND;
}

static cq_decision_t *
s_full_decision(void)
{
    cq_decision_t *d = calloc(1, sizeof *d);
    strcpy(d->claim_id, "PCN-000123");
    strcpy(d->payer_id, "ACME");
    strcpy(d->billing_npi, "1234567893");
    d->frequency = '1';
    strcpy(d->batch_id, "b-20260302-0001");
    d->decision = CQ_DECISION_PEND;
    d->billed = 25000;
    d->allowed = 9800;
    d->paid = -12;
    d->patient_resp = 9800;
    for (int i = 0; i < CQ_MAX_ADJ; i++) {
        d->adj[i].line = (uint8_t)(i % CQ_MAX_LINES + 1);
        strcpy(d->adj[i].group, i % 2 ? "CO" : "PR");
        snprintf(d->adj[i].code, sizeof d->adj[i].code, "%d", i % 300);
        d->adj[i].amount = i * 7;
    }
    d->n_adj = CQ_MAX_ADJ;
    for (int i = 0; i < CQ_MAX_REASONS; i++) {
        d->reasons[i].line = (uint8_t)(i % (CQ_MAX_LINES + 1));
        strcpy(d->reasons[i].group, "CO");
        strcpy(d->reasons[i].carc, "27");
        strcpy(d->reasons[i].rarc, "N30");
        snprintf(d->reasons[i].message, sizeof d->reasons[i].message,
                 "reason %d", i);
    }
    d->n_reasons = CQ_MAX_REASONS;
    for (int i = 0; i < CQ_MAX_LINES; i++) {
        d->lines[i].billed = 500;
        d->lines[i].allowed = 400;
        d->lines[i].paid = 300;
        d->lines[i].denied = i % 3 == 0;
    }
    d->n_lines = CQ_MAX_LINES;
    strcpy(d->node, "w1");
    d->ledger_seq = 17;
    strcpy(d->rules_version, "sha256:abc");
    d->source = CQ_SOURCE_X12;
    d->ocr_confidence = -1;
    return d;
}

//  Encodes a claim alone.
static void
s_claim_bytes(cq_mpw_t *w, const cq_claim_t *c)
{
    cq_mpw_reset(w);
    cq_proto_claim_encode(w, c);
}

static int
s_decode_claim(const uint8_t *p, size_t n, cq_claim_t *c)
{
    cq_cur_t cur;
    cq_cur_init(&cur, p, n);
    int rc = cq_proto_claim_decode(&cur, c);
    if (rc == 0 && cur.pos != cur.end)
        return CQ_EPROTO;
    return rc;
}

//  A whole-body decoder: 0 or an error (diag set).
typedef int (*s_decode_fn)(const uint8_t *p, size_t n, cq_diag_t *diag);

static int
s_dec_claim(const uint8_t *p, size_t n, cq_diag_t *diag)
{
    (void)diag;
    cq_claim_t *c = malloc(sizeof *c);
    int rc = s_decode_claim(p, n, c);
    free(c);
    return rc;
}

//  Every strict prefix of [p, p+len) fails (cleanly) to decode.
static void
s_prefixes_fail(const uint8_t *p, size_t len, s_decode_fn decode,
                const char *name)
{
    for (size_t n = 0; n < len; n++) {
        uint8_t *copy = malloc(n ? n : 1); // exact size: ASan sees overreads
        memcpy(copy, p, n);
        cr_assert_neq(decode(copy, n, NULL), 0, "%s: length %zu", name, n);
        free(copy);
    }
}

//  Re-encodes the array src holds with element `field` replaced by what
//  alt writes. field = the array's count appends alt's element; alt NULL
//  keeps only the first `field` elements.
static void
s_array_with(cq_mpw_t *w, const cq_mpw_t *src, uint32_t field,
             void (*alt)(cq_mpw_t *))
{
    cq_cur_t cur;
    cq_cur_init(&cur, src->data, src->len);
    uint32_t n = cq_cur_array(&cur, 0, UINT32_MAX, "array");
    uint32_t out = alt == NULL ? field : field == n ? n + 1 : n;
    cq_mpw_reset(w);
    cq_mpw_array(w, out);
    for (uint32_t i = 0; i < n && i < out; i++) {
        const uint8_t *at = cur.pos;
        cq_cur_skip(&cur, "field");
        if (i == field)
            alt(w);
        else
            cq_mpw_raw(w, at, (size_t)(cur.pos - at));
    }
    if (alt != NULL && field == n)
        alt(w);
}

//  ---- header ----------------------------------------------------------------

Test(proto, header_round_trip)
{
    uint8_t h[CQ_PROTO_HDR_LEN];
    for (int cmd = 0; cmd < 256; cmd++) {
        if (cq_cmd_name(cmd) == NULL)
            continue;
        cq_proto_hdr_encode((cq_cmd_t)cmd, h);
        int got;
        cr_assert_eq(cq_proto_hdr_decode(h, sizeof h, &got, NULL), 0);
        cr_assert_eq(got, cmd);
    }
}

Test(proto, header_rejects_bad_signature_version_command_length)
{
    uint8_t h[CQ_PROTO_HDR_LEN];
    int cmd;
    cq_diag_t diag = {0};
    cq_proto_hdr_encode(CQ_CMD_SUBMIT, h);
    cr_assert_eq(cq_proto_hdr_decode(h, 3, &cmd, &diag), CQ_EPROTO);
    cr_assert_eq(cq_proto_hdr_decode(h, 0, &cmd, NULL), CQ_EPROTO);
    uint8_t longer[5] = {h[0], h[1], h[2], h[3], 0};
    cr_assert_eq(cq_proto_hdr_decode(longer, 5, &cmd, NULL), CQ_EPROTO);
    h[0] = 'X';
    cr_assert_eq(cq_proto_hdr_decode(h, sizeof h, &cmd, NULL), CQ_EPROTO);
    cq_proto_hdr_encode(CQ_CMD_SUBMIT, h);
    h[2] = 2;
    memset(&diag, 0, sizeof diag);
    cr_assert_eq(cq_proto_hdr_decode(h, sizeof h, &cmd, &diag),
                 CQ_EUNSUPPORTED);
    cr_assert(strstr(diag.msg, "version") != NULL);
    cq_proto_hdr_encode(CQ_CMD_SUBMIT, h);
    h[3] = 0x7f;
    cr_assert_eq(cq_proto_hdr_decode(h, sizeof h, &cmd, NULL), CQ_ENOTFOUND);
    cr_assert_eq(cmd, 0x7f);
    h[3] = 0;
    cr_assert_eq(cq_proto_hdr_decode(h, sizeof h, &cmd, NULL), CQ_ENOTFOUND);
}

//  ---- claims and decisions ------------------------------------------------

Test(proto, claim_round_trip_every_field)
{
    cq_claim_t *c = malloc(sizeof *c), *back = malloc(sizeof *back);
    s_full_claim(c);
    cq_mpw_t w, w2;
    cq_mpw_init(&w);
    cq_mpw_init(&w2);
    s_claim_bytes(&w, c);
    cr_assert_eq(s_decode_claim(w.data, w.len, back), 0);
    cr_assert_str_eq(back->claim_id, "PCN-000123");
    cr_assert_eq(back->type, CQ_CLAIM_INSTITUTIONAL);
    cr_assert_eq(back->frequency, '7');
    cr_assert_str_eq(back->member.last_name, "DOE");
    cr_assert_eq(back->member.birth_date, 3754);
    cr_assert_eq(back->member.sex, 'F');
    cr_assert_eq(back->n_diagnoses, CQ_MAX_DX);
    cr_assert_str_eq(back->diagnoses[11], "E11.11");
    cr_assert_eq(back->n_lines, CQ_MAX_LINES);
    cr_assert_str_eq(back->lines[49].procedure, "99049");
    cr_assert_eq(back->lines[49].n_modifiers, CQ_MAX_MODIFIERS);
    cr_assert_str_eq(back->lines[49].modifiers[3], "23");
    cr_assert_eq(back->lines[49].service_date_end, CQ_DATE_NONE);
    cr_assert_eq(back->lines[48].service_date_end, 20549);
    cr_assert_eq(back->lines[7].units_milli, 1500);
    cr_assert_eq(back->lines[7].charge, 507);
    cr_assert_eq(back->lines[7].dx_pointers[3], 4);
    cr_assert_eq(back->source, CQ_SOURCE_OCR);
    cr_assert_eq(back->ocr_confidence, 87);
    cr_assert(back->invalid);
    cr_assert_str_eq(back->invalid_msg, "lines[2].procedure: not a code");
    cr_assert_eq(back->n_pend, CQ_MAX_PEND);
    cr_assert_str_eq(back->pend_fields[15], "field15");
    //  and what decodes encodes to the same bytes
    s_claim_bytes(&w2, back);
    cr_assert_eq(w2.len, w.len);
    cr_assert(memcmp(w.data, w2.data, w.len) == 0);
    cq_mpw_free(&w);
    cq_mpw_free(&w2);
    free(c);
    free(back);
}

Test(proto, empty_claim_round_trips)
{
    cq_claim_t *c = malloc(sizeof *c), *back = malloc(sizeof *back);
    cq_claim_init(c);
    c->frequency = 0;
    cq_mpw_t w;
    cq_mpw_init(&w);
    s_claim_bytes(&w, c);
    cr_assert_eq(s_decode_claim(w.data, w.len, back), 0);
    cr_assert_eq(back->frequency, 0);
    cr_assert_eq(back->received_date, CQ_DATE_NONE);
    cr_assert_eq(back->n_lines, 0);
    cq_mpw_free(&w);
    free(c);
    free(back);
}

Test(proto, encoded_bodies_are_standard_msgpack)
{
    cq_claim_t *c = malloc(sizeof *c);
    s_full_claim(c);
    cq_mpw_t w;
    cq_mpw_init(&w);
    s_claim_bytes(&w, c);
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    cr_assert_eq(msgpack_unpack_next(&u, (const char *)w.data, w.len, &off),
                 MSGPACK_UNPACK_SUCCESS);
    cr_assert_eq(off, w.len);
    cr_assert_eq(u.data.type, MSGPACK_OBJECT_ARRAY);
    cr_assert_eq(u.data.via.array.size, 20);
    msgpack_object id = u.data.via.array.ptr[0];
    cr_assert_eq(id.type, MSGPACK_OBJECT_STR);
    cr_assert_eq(id.via.str.size, 10);
    cr_assert(memcmp(id.via.str.ptr, "PCN-000123", 10) == 0);
    msgpack_unpacked_destroy(&u);
    //  an item message whose count was patched at the end
    size_t at = cq_proto_adjudicate_begin(&w, 99);
    cq_proto_adjudicate_add(&w, 1, "b1", (const uint8_t *)"\xc0", 1);
    cq_proto_adjudicate_add(&w, 2, "b1", (const uint8_t *)"\xc0", 1);
    cq_proto_adjudicate_end(&w, at, 2);
    msgpack_unpacked_init(&u);
    off = 0;
    cr_assert_eq(msgpack_unpack_next(&u, (const char *)w.data, w.len, &off),
                 MSGPACK_UNPACK_SUCCESS);
    cr_assert_eq(u.data.via.array.ptr[1].via.array.size, 2);
    msgpack_unpacked_destroy(&u);
    cq_mpw_free(&w);
    free(c);
}

Test(proto, decision_round_trip_at_caps)
{
    cq_decision_t *d = s_full_decision();
    cq_decision_t *back = malloc(sizeof *back);
    cq_mpw_t w, w2;
    cq_mpw_init(&w);
    cq_mpw_init(&w2);
    cq_proto_decision_encode(&w, d);
    cq_cur_t cur;
    cq_cur_init(&cur, w.data, w.len);
    cr_assert_eq(cq_proto_decision_decode(&cur, back), 0);
    cr_assert_eq(cur.pos, cur.end);
    cr_assert_eq(back->decision, CQ_DECISION_PEND);
    cr_assert_eq(back->paid, -12);
    cr_assert_eq(back->n_adj, CQ_MAX_ADJ);
    cr_assert_eq(back->adj[299].amount, 299 * 7);
    cr_assert_eq(back->n_reasons, CQ_MAX_REASONS);
    cr_assert_str_eq(back->reasons[57].message, "reason 57");
    cr_assert_eq(back->n_lines, CQ_MAX_LINES);
    cr_assert(back->lines[3].denied);
    cr_assert_str_eq(back->node, "w1");
    cr_assert_eq(back->ledger_seq, 17);
    cr_assert_eq(back->ocr_confidence, -1);
    cq_proto_decision_encode(&w2, back);
    cr_assert_eq(w.len, w2.len);
    cr_assert(memcmp(w.data, w2.data, w.len) == 0);
    cq_mpw_free(&w);
    cq_mpw_free(&w2);
    free(d);
    free(back);
}

//  Every strict prefix of a valid claim fails (cleanly) to decode.
Test(proto, truncated_claims_fail_at_every_length)
{
    cq_claim_t *c = malloc(sizeof *c);
    s_full_claim(c);
    cq_mpw_t w;
    cq_mpw_init(&w);
    s_claim_bytes(&w, c);
    s_prefixes_fail(w.data, w.len, s_dec_claim, "claim");
    cq_mpw_free(&w);
    free(c);
}

//  A claim with only its id ("C1") set.
static void
s_plain_claim(cq_mpw_t *w)
{
    cq_claim_t *c = malloc(sizeof *c);
    cq_claim_init(c);
    strcpy(c->claim_id, "C1");
    s_claim_bytes(w, c);
    free(c);
}

//  Builds a claim body by hand: field i replaced by the bytes of `alt`.
static void
s_claim_with(cq_mpw_t *w, int field, void (*alt)(cq_mpw_t *))
{
    cq_mpw_t tmp;
    cq_mpw_init(&tmp);
    s_plain_claim(&tmp);
    s_array_with(w, &tmp, (uint32_t)field, alt);
    cq_mpw_free(&tmp);
}

static void
s_long_id(cq_mpw_t *w)
{
    char s[CQ_ID_LEN + 1];
    memset(s, 'A', CQ_ID_LEN);
    s[CQ_ID_LEN] = 0;
    cq_mpw_str(w, s); // 40 characters: one more than the field holds
}
static void
s_nul_str(cq_mpw_t *w)
{
    cq_mpw_strn(w, "A\0B", 3);
}
static void
s_int_1(cq_mpw_t *w)
{
    cq_mpw_int(w, 1);
}
static void
s_type_2(cq_mpw_t *w)
{
    cq_mpw_uint(w, 2);
}
static void
s_neg(cq_mpw_t *w)
{
    cq_mpw_int(w, -5);
}
static void
s_bad_date(cq_mpw_t *w)
{
    cq_mpw_int(w, -30000); // before 1900
}
static void
s_big_money(cq_mpw_t *w)
{
    cq_mpw_int(w, INT64_C(10000000000000));
}
static void
s_too_many_dx(cq_mpw_t *w)
{
    cq_mpw_array(w, CQ_MAX_DX + 1);
    for (int i = 0; i <= CQ_MAX_DX; i++)
        cq_mpw_str(w, "E11.9");
}
static void
s_lying_count(cq_mpw_t *w)
{
    cq_mpw_array(w, 10); // ten diagnoses promised, one given
    cq_mpw_str(w, "E11.9");
}
static void
s_long_freq(cq_mpw_t *w)
{
    cq_mpw_str(w, "17");
}
static void
s_ctrl_freq(cq_mpw_t *w)
{
    cq_mpw_str(w, "\n");
}
static void
s_bin_not_str(cq_mpw_t *w)
{
    cq_mpw_bin(w, "C1", 2);
}
static void
s_nil(cq_mpw_t *w)
{
    cq_mpw_nil(w);
}

Test(proto, claim_fields_are_validated)
{
    struct {
        int field;
        void (*alt)(cq_mpw_t *);
        int code;
        const char *what;
    } cases[] = {
        {0, s_long_id, CQ_ETOOBIG, "claim.claim_id"},
        {0, s_nul_str, CQ_EPROTO, "claim.claim_id"},
        {0, s_int_1, CQ_EPROTO, "claim.claim_id"},
        {0, s_bin_not_str, CQ_EPROTO, "claim.claim_id"},
        {0, s_nil, CQ_EPROTO, "claim.claim_id"},
        {2, s_type_2, CQ_EPROTO, "claim.type"},
        {2, s_neg, CQ_EPROTO, "claim.type"},
        {3, s_long_freq, CQ_ETOOBIG, "claim.frequency"},
        {3, s_ctrl_freq, CQ_EPROTO, "claim.frequency"},
        {5, s_bad_date, CQ_EPROTO, "claim.received_date"},
        {11, s_too_many_dx, CQ_ETOOBIG, "claim.diagnoses"},
        {11, s_lying_count, CQ_EPROTO, "claim.diagnoses"},
        {12, s_big_money, CQ_EPROTO, "claim.total_charge"},
        {16, s_int_1, CQ_EPROTO, "claim.invalid"},
    };
    cq_claim_t *back = malloc(sizeof *back);
    cq_mpw_t w;
    cq_mpw_init(&w);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        s_claim_with(&w, cases[i].field, cases[i].alt);
        cq_cur_t cur;
        cq_cur_init(&cur, w.data, w.len);
        int rc = cq_proto_claim_decode(&cur, back);
        cq_diag_t diag = {0};
        cq_cur_diag(&cur, &diag);
        cr_assert_eq(rc, cases[i].code, "case %zu: %d", i, rc);
        cr_assert(strstr(diag.msg, cases[i].what) != NULL, "case %zu: %s", i,
                  diag.msg);
    }
    //  ocr_confidence: -1..100 only
    s_claim_with(&w, 15, s_big_money);
    cq_cur_t cur;
    cq_cur_init(&cur, w.data, w.len);
    cr_assert_eq(cq_proto_claim_decode(&cur, back), CQ_EPROTO);
    cq_mpw_free(&w);
    free(back);
}

//  ---- messages ------------------------------------------------------------

//  Builders of valid bodies, one per message with appended fields or new
//  in issues 8 and 9 (also written as fuzz seeds: write_fuzz_seeds).

static void
s_make_ready(cq_mpw_t *w)
{
    cq_msg_ready_t r = {.credit = 1024,
                        .intake_credit = 2,
                        .heartbeat_ms = 1000,
                        .ledger_seq = 90,
                        .resolved_seq = 80,
                        .crash_kind = 2,
                        .crash_id = 45,
                        .crash_lease = UINT64_MAX};
    strcpy(r.node_id, "w1");
    strcpy(r.rules_version, "sha256:00ff");
    strcpy(r.ledger_id, "0123456789abcdef0123456789abcdef");
    strcpy(r.host, "node-7.example");
    cq_proto_ready_encode(w, &r);
}

static void
s_make_welcome(cq_mpw_t *w)
{
    cq_msg_welcome_t m = {.heartbeat_ms = 500,
                          .accepted = false,
                          .shards = 65536,
                          .epoch = 1ull << 40,
                          .code = CQ_WELCOME_RULES};
    strcpy(m.rules_version, "sha256:1");
    strcpy(m.reason, "rules differ");
    cq_proto_welcome_encode(w, &m);
}

//  A worker that is given work: code 0.
static void
s_make_welcome_ok(cq_mpw_t *w)
{
    cq_msg_welcome_t m = {
        .heartbeat_ms = 1000, .accepted = true, .shards = 256, .epoch = 2};
    strcpy(m.rules_version, "sha256:1");
    cq_proto_welcome_encode(w, &m);
}

static void
s_make_disconnect(cq_mpw_t *w)
{
    cq_proto_disconnect_encode(w, "a worker on the frontend",
                               CQ_DISCONNECT_WRONG_EP);
}

//  A decision with a few fields set.
static void
s_small_decision(cq_mpw_t *w)
{
    cq_decision_t *d = calloc(1, sizeof *d);
    strcpy(d->claim_id, "C1");
    strcpy(d->batch_id, "b1");
    d->decision = CQ_DECISION_REJECT;
    d->billed = 100;
    strcpy(d->node, "w2");
    d->ledger_seq = 41;
    cq_mpw_reset(w);
    cq_proto_decision_encode(w, d);
    free(d);
}

static void
s_make_history(cq_mpw_t *w)
{
    cq_mpw_t cw, dw;
    cq_mpw_init(&cw);
    cq_mpw_init(&dw);
    s_plain_claim(&cw);
    s_small_decision(&dw);
    size_t at = cq_proto_history_begin(w, 7, 2, true);
    cq_proto_history_add(w, 100, "b1", cw.data, cw.len, dw.data, dw.len);
    cq_proto_history_add(w, 101, "b-2", cw.data, cw.len, dw.data, dw.len);
    cq_proto_history_end(w, at, 2);
    cq_mpw_free(&cw);
    cq_mpw_free(&dw);
}

//  A shard without history: one empty last part.
static void
s_make_history_empty(cq_mpw_t *w)
{
    size_t at = cq_proto_history_begin(w, 0, 0, true);
    cq_proto_history_end(w, at, 0);
}

static void
s_make_orphans(cq_mpw_t *w)
{
    cq_msg_orphans_t *m = calloc(1, sizeof *m);
    const uint64_t ranges[3][2] = {{1, 1}, {5, 9}, {12, 99}};
    m->upto = 99;
    m->n_ranges = 3;
    memcpy(m->ranges, ranges, sizeof ranges);
    cq_proto_orphans_encode(w, m);
    free(m);
}

static void
s_make_extend(cq_mpw_t *w)
{
    cq_msg_extend_t m = {.n = 3, .leases = {42, UINT64_MAX, 7}};
    cq_proto_extend_encode(w, &m);
}

static void
s_make_pause(cq_mpw_t *w)
{
    cq_proto_reason_encode(w, "ledger: disk full");
}

static void
s_make_status_reply(cq_mpw_t *w)
{
    cq_msg_status_reply_t sr = {.req_id = 4,
                                .found = true,
                                .docs = 2,
                                .docs_done = 1,
                                .claims = 512,
                                .decided = 500,
                                .accept = 400,
                                .reject = 90,
                                .pend = 10,
                                .failed = 1,
                                .durable = true,
                                .epoch = 3,
                                .sealed = true,
                                .complete = false,
                                .refused_sets = 2,
                                .refused_claims = UINT64_MAX,
                                .workers_live = 1u << 20,
                                .received_date = 20500,
                                .received_set = true};
    strcpy(sr.batch_id, "b1");
    cq_proto_status_reply_encode(w, &sr);
}

//  A batch the broker does not know: no received date.
static void
s_make_status_reply_none(cq_mpw_t *w)
{
    cq_msg_status_reply_t sr = {.req_id = 9, .received_date = CQ_DATE_NONE};
    strcpy(sr.batch_id, "nope");
    cq_proto_status_reply_encode(w, &sr);
}

static void
s_make_results(cq_mpw_t *w)
{
    cq_msg_results_t q = {.req_id = 1,
                          .cursor = 10,
                          .max = 100,
                          .with_claims = true,
                          .watch = true};
    strcpy(q.batch_id, "b1");
    cq_proto_results_encode(w, &q);
}

static void
s_make_quarantine(cq_mpw_t *w)
{
    cq_msg_quarantine_t m = {.req_id = 5, .op = CQ_QOP_SHOW};
    strcpy(m.id, "claim:123");
    cq_proto_quarantine_encode(w, &m);
}

//  A QUARANTINE_REPLY of a claim with n_hist failed deliveries and a
//  document without history.
static void
s_quarantine_reply(cq_mpw_t *w, uint32_t n_hist)
{
    cq_qitem_t *items = calloc(2, sizeof *items);
    strcpy(items[0].id, "claim:123");
    strcpy(items[0].kind, "claim");
    strcpy(items[0].batch_id, "b1");
    strcpy(items[0].name, "PCN-1");
    items[0].attempts = 3;
    items[0].since_ms = UINT64_C(1764800000000);
    strcpy(items[0].reason, "worker lost 3 times");
    items[0].n_hist = n_hist;
    for (uint32_t k = 0; k < n_hist; k++) {
        items[0].hist[k].at_ms = 1000 + k;
        snprintf(items[0].hist[k].node_id, CQ_ID_LEN, "w%u", k);
        strcpy(items[0].hist[k].what, "worker lost");
    }
    strcpy(items[1].id, "doc:45");
    strcpy(items[1].kind, "document");
    strcpy(items[1].name, "claims.837");
    cq_msg_quarantine_reply_t m = {.req_id = 5, .n_items = 2, .items = items};
    strcpy(m.message, "2 quarantined");
    cq_proto_quarantine_reply_encode(w, &m);
    free(items);
}

static void
s_make_quarantine_reply(cq_mpw_t *w)
{
    s_quarantine_reply(w, 2);
}

//  The 999 of an X12 document whose one transaction set was refused.
static const char s_999[] =
    "ISA*00*          *00*          *ZZ*PAYER          *ZZ*SUBMITTER      "
    "*260302*1200*^*00501*000000001*0*P*:~GS*FA*PAYER*SUBMITTER*20260302*"
    "1200*1*X*005010X231A1~ST*999*0001*005010X231A1~AK1*HC*1*005010X222A1~"
    "AK2*837*0001~IK5*R*5~AK9*R*1*1*0~SE*6*0001~GE*1*1~IEA*1*000000001~";

//  The last part of an X12 document: two claims, a refused transaction
//  set of three claims, and the document's 999.
static void
s_make_intake_done(cq_mpw_t *w)
{
    cq_mpw_t cw;
    cq_mpw_init(&cw);
    s_plain_claim(&cw);
    cq_msg_intake_done_t m = {.lease = 42,
                              .doc_id = 7,
                              .part = 1,
                              .last = true,
                              .refused_sets = 1,
                              .refused_claims = 3,
                              .ack = (const uint8_t *)s_999,
                              .ack_len = sizeof s_999 - 1};
    size_t at = cq_proto_intake_done_begin(w, &m);
    cq_mpw_raw(w, cw.data, cw.len);
    cq_mpw_raw(w, cw.data, cw.len);
    cq_proto_intake_done_end(w, at, 2, &m);
    cq_mpw_free(&cw);
}

static void
s_make_doc_done(cq_mpw_t *w)
{
    cq_msg_doc_done_t m = {.doc_id = 3,
                           .n_claims = 2,
                           .refused_sets = 1,
                           .refused_claims = UINT32_MAX,
                           .dup_claims = 2,
                           .conflicts = 1};
    strcpy(m.batch_id, "b1");
    strcpy(m.message, "1 transaction set refused");
    cq_proto_doc_done_encode(w, &m);
}

static void
s_make_submit(cq_mpw_t *w)
{
    cq_msg_submit_t *m = calloc(1, sizeof *m);
    m->req_id = 1;
    strcpy(m->batch_id, "b1");
    m->n_docs = 2;
    strcpy(m->docs[0].name, "a.837");
    m->docs[0].first_record = 1;
    m->docs[0].size = 100;
    strcpy(m->docs[1].name, "b.jsonl");
    m->docs[1].first_record = 1;
    m->docs[1].size = 0;
    m->received_date = 20514;
    cq_proto_submit_encode(w, m);
    free(m);
}

static void
s_make_seal(cq_mpw_t *w)
{
    cq_msg_seal_t m = {.req_id = 11, .docs = 3};
    strcpy(m.batch_id, "b1");
    cq_proto_seal_encode(w, &m);
}

static void
s_make_seal_reply(cq_mpw_t *w)
{
    cq_msg_seal_reply_t m = {.req_id = 11, .status = CQ_EINVAL, .docs = 2};
    strcpy(m.batch_id, "b1");
    strcpy(m.message, "sealed at 3 documents, 2 received");
    cq_proto_seal_reply_encode(w, &m);
}

static void
s_make_batches(cq_mpw_t *w)
{
    cq_msg_batches_t m = {.req_id = 12, .since_ms = UINT64_C(1764800000000)};
    cq_proto_batches_encode(w, &m);
}

//  A BATCHES_REPLY of n batches "b0", "b1", ...
static void
s_batches_reply(cq_mpw_t *w, uint32_t n)
{
    cq_batch_info_t *items = calloc(n ? n : 1, sizeof *items);
    for (uint32_t i = 0; i < n; i++) {
        cq_batch_info_t *x = &items[i];
        snprintf(x->batch_id, sizeof x->batch_id, "b%u", i);
        x->created_ms = UINT64_C(1764800000000) + i;
        x->docs = 3;
        x->docs_done = 2;
        x->claims = 1000 + i;
        x->decided = 999;
        x->failed = 1;
        x->refused_sets = i;
        x->sealed = i % 2 == 0;
        x->complete = i % 4 == 0;
    }
    cq_msg_batches_reply_t m = {
        .req_id = 12, .total = n + 5, .n_items = n, .items = items};
    cq_proto_batches_reply_encode(w, &m);
    free(items);
}

static void
s_make_batches_reply(cq_mpw_t *w)
{
    s_batches_reply(w, 2);
}

static void
s_make_acks(cq_mpw_t *w)
{
    cq_msg_acks_t m = {.req_id = 13, .cursor = 4};
    strcpy(m.batch_id, "b1");
    cq_proto_acks_encode(w, &m);
}

static void
s_make_acks_reply(cq_mpw_t *w)
{
    cq_msg_acks_reply_t m = {
        .req_id = 13, .next_cursor = 6, .total = 9, .complete = true};
    strcpy(m.batch_id, "b1");
    size_t at = cq_proto_acks_reply_begin(w, &m);
    cq_proto_acks_reply_add(w, 4, "a.837", (const uint8_t *)s_999,
                            sizeof s_999 - 1);
    cq_proto_acks_reply_add(w, 5, "b.837", (const uint8_t *)"ISA~", 4);
    cq_proto_acks_reply_end(w, at, 2);
}

static void
s_make_drain(cq_mpw_t *w)
{
    cq_msg_drain_t m = {.req_id = 14};
    strcpy(m.node_id, "w3");
    cq_proto_drain_encode(w, &m);
}

static void
s_make_drain_reply(cq_mpw_t *w)
{
    cq_msg_drain_reply_t m = {.req_id = 14, .status = CQ_EINVAL, .shards = 64};
    strcpy(m.node_id, "w3");
    strcpy(m.message, "the last live worker: nowhere to move its shards");
    cq_proto_drain_reply_encode(w, &m);
}

static void
s_make_shards(cq_mpw_t *w)
{
    cq_proto_shards_encode(w, 15);
}

static void
s_make_shards_reply(cq_mpw_t *w)
{
    cq_shard_info_t items[2] = {
        {.shard = 0, .queued = 1ull << 33, .inflight = 7, .moves = 2},
        {.shard = 1, .moved_ms = UINT64_C(1764800000000), .moves = 1}};
    strcpy(items[0].owner, "w1");
    strcpy(items[1].owner, "w1");
    strcpy(items[1].target, "w2");
    cq_msg_shards_reply_t m = {.req_id = 15,
                               .shards = 2,
                               .moves_active = 1,
                               .n_items = 2,
                               .items = items};
    cq_proto_shards_reply_encode(w, &m);
}

//  issue 9: HAVE of three digests (0x00.., 0x01.., 0x02..) and its reply
//  (the first and the last held; doc id 0 is an id like any other).
//  The peer link (issue 15).
static void
s_make_peer_beacon(cq_mpw_t *w)
{
    cq_msg_peer_beacon_t m = {.state = 1,
                              .role = 2,
                              .epoch = 7,
                              .session = UINT64_MAX,
                              .pos = 42,
                              .stream = 0x5eed,
                              .applied = 40,
                              .compacts = 2,
                              .handover = 1};
    cq_proto_peer_beacon_encode(w, &m);
}

static void
s_make_peer_snap(cq_mpw_t *w)
{
    static const uint8_t data[] = "SQLite format 3";
    cq_msg_peer_snap_t m = {.session = 9,
                            .chunk = 1,
                            .off = 0,
                            .data = data,
                            .len = sizeof data,
                            .last = false,
                            .pos = 100};
    strcpy(m.name, "journal.db");
    cq_proto_peer_snap_encode(w, &m);
}

static void
s_make_peer_group(cq_mpw_t *w)
{
    static const uint8_t body[] = {0x90}; // no records
    cq_msg_peer_group_t m = {
        .session = 9, .kind = 0, .first = 100, .n = 0, .body = body, .len = 1};
    cq_proto_peer_group_encode(w, &m);
}

static void
s_make_peer_ack(cq_mpw_t *w)
{
    cq_msg_peer_ack_t m = {.session = 9, .chunks = 3, .pos = 100};
    cq_proto_peer_ack_encode(w, &m);
}

static void
s_make_have(cq_mpw_t *w)
{
    uint8_t dg[3][CQ_DIGEST_LEN];
    for (int i = 0; i < 3; i++)
        memset(dg[i], i, CQ_DIGEST_LEN);
    cq_msg_have_t m = {.req_id = 17, .n = 3, .digests = dg};
    strcpy(m.batch_id, "b1");
    cq_proto_have_encode(w, &m);
}

static void
s_make_have_reply(cq_mpw_t *w)
{
    uint64_t ids[3] = {0, CQ_HAVE_NONE, 1ull << 33};
    cq_msg_have_reply_t m = {.req_id = 17, .n = 3, .doc_ids = ids};
    strcpy(m.batch_id, "b1");
    cq_proto_have_reply_encode(w, &m);
}

static void
s_make_workers_reply(cq_mpw_t *w)
{
    static cq_msg_workers_reply_t m;
    cq_worker_info_t ws[1];
    memset(&m, 0, sizeof m);
    memset(ws, 0, sizeof ws);
    strcpy(ws[0].node_id, "w1");
    strcpy(ws[0].state, "draining");
    strcpy(ws[0].rules_version, "sha256:1");
    strcpy(ws[0].host, "node-7.example");
    ws[0].since_ms = UINT64_C(1764800000000);
    ws[0].claims_per_s = 512;
    ws[0].heartbeat_ms = 1000;
    ws[0].decided = 1ull << 33;
    m.req_id = 16;
    m.shards = 256;
    strcpy(m.rules_version, "sha256:1");
    m.workers = ws;
    m.n_workers = 1;
    m.n_counters = 1;
    strcpy(m.counters[0].name, "node_id_refused");
    m.counters[0].value = 2;
    cq_proto_workers_reply_encode(w, &m);
}

//  s_dec_NAME: cq_proto_NAME_decode into a scratch struct.
#define S_DECODER(name, type)                                                  \
    static int s_dec_##name(const uint8_t *p, size_t n, cq_diag_t *diag)       \
    {                                                                          \
        type *m = malloc(sizeof *m);                                           \
        int rc = cq_proto_##name##_decode(p, n, m, diag);                      \
        free(m);                                                               \
        return rc;                                                             \
    }
S_DECODER(ready, cq_msg_ready_t)
S_DECODER(welcome, cq_msg_welcome_t)
S_DECODER(orphans, cq_msg_orphans_t)
S_DECODER(extend, cq_msg_extend_t)
S_DECODER(status_reply, cq_msg_status_reply_t)
S_DECODER(results, cq_msg_results_t)
S_DECODER(quarantine, cq_msg_quarantine_t)
S_DECODER(doc_done, cq_msg_doc_done_t)
S_DECODER(submit, cq_msg_submit_t)
S_DECODER(seal, cq_msg_seal_t)
S_DECODER(seal_reply, cq_msg_seal_reply_t)
S_DECODER(batches, cq_msg_batches_t)
S_DECODER(acks, cq_msg_acks_t)
S_DECODER(drain, cq_msg_drain_t)
S_DECODER(drain_reply, cq_msg_drain_reply_t)
S_DECODER(peer_beacon, cq_msg_peer_beacon_t)
S_DECODER(peer_snap, cq_msg_peer_snap_t)
S_DECODER(peer_group, cq_msg_peer_group_t)
S_DECODER(peer_ack, cq_msg_peer_ack_t)

static int
s_dec_reason(const uint8_t *p, size_t n, cq_diag_t *diag)
{
    char reason[CQ_PROTO_MSG_LEN];
    return cq_proto_reason_decode(p, n, reason, diag);
}

//  HISTORY with every item read: 0 or the first error.
static int
s_dec_history(const uint8_t *p, size_t n, cq_diag_t *diag)
{
    cq_msg_history_t m;
    cq_claim_t *c = malloc(sizeof *c);
    cq_decision_t *d = malloc(sizeof *d);
    uint64_t cid;
    char batch[CQ_BATCH_ID_LEN];
    int rc = cq_proto_history_decode(p, n, &m, diag);
    if (rc == 0)
        while ((rc = cq_proto_history_next(&m, &cid, batch, c, d, diag)) == 1)
            ;
    free(c);
    free(d);
    return rc;
}

//  s_dec_NAME for a message whose decode allocates: freed after.
#define S_DECODER_FREE(name, type)                                             \
    static int s_dec_##name(const uint8_t *p, size_t n, cq_diag_t *diag)       \
    {                                                                          \
        type m;                                                                \
        int rc = cq_proto_##name##_decode(p, n, &m, diag);                     \
        cq_proto_##name##_free(&m);                                            \
        return rc;                                                             \
    }
S_DECODER_FREE(quarantine_reply, cq_msg_quarantine_reply_t)
S_DECODER_FREE(batches_reply, cq_msg_batches_reply_t)
S_DECODER_FREE(shards_reply, cq_msg_shards_reply_t)
S_DECODER_FREE(workers_reply, cq_msg_workers_reply_t)
S_DECODER_FREE(have, cq_msg_have_t)
S_DECODER_FREE(have_reply, cq_msg_have_reply_t)

static int
s_dec_shards(const uint8_t *p, size_t n, cq_diag_t *diag)
{
    uint64_t req_id;
    return cq_proto_shards_decode(p, n, &req_id, diag);
}

static int
s_dec_disconnect(const uint8_t *p, size_t n, cq_diag_t *diag)
{
    char reason[CQ_PROTO_MSG_LEN];
    uint32_t code;
    return cq_proto_disconnect_decode(p, n, reason, &code, diag);
}

//  INTAKE_DONE with every claim read: 0 or the first error.
static int
s_dec_intake_done(const uint8_t *p, size_t n, cq_diag_t *diag)
{
    cq_msg_intake_done_t m;
    cq_claim_t *c = malloc(sizeof *c);
    const uint8_t *raw;
    size_t raw_len;
    int rc = cq_proto_intake_done_decode(p, n, &m, diag);
    if (rc == 0)
        while ((rc = cq_proto_intake_done_next(&m, c, &raw, &raw_len, diag)) ==
               1)
            ;
    free(c);
    return rc;
}

//  ACKS_REPLY with every item read.
static int
s_dec_acks_reply(const uint8_t *p, size_t n, cq_diag_t *diag)
{
    cq_msg_acks_reply_t m;
    uint64_t doc_id;
    char name[CQ_DOC_NAME_LEN];
    const uint8_t *ack;
    size_t len;
    int rc = cq_proto_acks_reply_decode(p, n, &m, diag);
    if (rc == 0)
        while ((rc = cq_proto_acks_reply_next(&m, &doc_id, name, &ack, &len,
                                              diag)) == 1)
            ;
    return rc;
}

//  A release: a corrected claim (with its review fields), two tenants.
static void
s_make_review(cq_mpw_t *w)
{
    static cq_claim_t c;
    static cq_msg_review_t m;
    s_full_claim(&c);
    c.review = CQ_RELEASE_CORRECTED;
    strcpy(c.supersedes_node, "w1");
    c.supersedes_seq = 12;
    strcpy(c.review_audit, "{\"reviewer\":\"alice\"}");
    cq_mpw_t cw;
    cq_mpw_init(&cw);
    cq_proto_claim_encode(&cw, &c);
    memset(&m, 0, sizeof m);
    m.req_id = 5;
    m.op = CQ_ROP_RELEASE;
    m.n_tenants = 2;
    strcpy(m.tenants[0], "ACME");
    strcpy(m.tenants[1], "*");
    m.id = 42;
    strcpy(m.reviewer, "alice");
    m.token = 1ull << 41;
    m.ttl_ms = 60000;
    m.action = CQ_RELEASE_CORRECTED;
    m.claim = cw.data;
    m.claim_len = cw.len;
    strcpy(m.changes,
           "[{\"field\":\"member.id\",\"old\":\"A\",\"new\":\"B\"}]");
    cq_proto_review_encode(w, &m);
    cq_mpw_free(&cw);
}

static int
s_dec_review(const uint8_t *p, size_t n, cq_diag_t *diag)
{
    cq_msg_review_t *m = malloc(sizeof *m);
    int rc = cq_proto_review_decode(p, n, m, diag);
    if (rc == 0 && m->claim != NULL) {
        cq_claim_t *c = malloc(sizeof *c);
        cq_cur_t cur;
        cq_cur_init(&cur, m->claim, m->claim_len);
        rc = cq_proto_claim_decode(&cur, c);
        free(c);
    }
    free(m);
    return rc;
}

static void
s_make_review_reply(cq_mpw_t *w)
{
    static cq_msg_review_reply_t m;
    static cq_review_item_t it[2];
    memset(&m, 0, sizeof m);
    memset(it, 0, sizeof it);
    it[0].id = 3;
    strcpy(it[0].claim_id, "C1");
    strcpy(it[0].payer_id, "ACME");
    strcpy(it[0].batch_id, "b1");
    it[0].kind = CQ_REVIEW_OCR;
    strcpy(it[0].reason, "OCR: member.id unsure");
    it[0].pended_ms = 1700000000000;
    it[1] = it[0];
    it[1].id = 4;
    strcpy(it[1].locked_by, "bob");
    it[1].lock_expires_ms = 1700000060000;
    m.req_id = 5;
    m.total = 2;
    m.by_kind[CQ_REVIEW_OCR] = 2;
    m.items = it;
    m.n_items = 2;
    m.token = 77;
    strcpy(m.holder, "bob");
    static const uint8_t doc[] = "II*\0 not really a TIFF";
    m.doc = doc;
    m.doc_len = sizeof doc;
    strcpy(m.doc_name, "scan.tif");
    m.page = 2;
    cq_proto_review_reply_encode(w, &m);
}

static int
s_dec_review_reply(const uint8_t *p, size_t n, cq_diag_t *diag)
{
    cq_msg_review_reply_t m;
    int rc = cq_proto_review_reply_decode(p, n, &m, diag);
    cq_proto_review_reply_free(&m);
    return rc;
}

enum {
    M_READY,
    M_WELCOME,
    M_HISTORY,
    M_HISTORY_EMPTY,
    M_ORPHANS,
    M_EXTEND,
    M_PAUSE,
    M_STATUS_REPLY,
    M_RESULTS,
    M_QUARANTINE,
    M_QUARANTINE_REPLY,
    M_WELCOME_OK,
    M_DISCONNECT,
    M_INTAKE_DONE,
    M_DOC_DONE,
    M_STATUS_REPLY_NONE,
    M_SUBMIT,
    M_SEAL,
    M_SEAL_REPLY,
    M_BATCHES,
    M_BATCHES_REPLY,
    M_ACKS,
    M_ACKS_REPLY,
    M_DRAIN,
    M_DRAIN_REPLY,
    M_SHARDS,
    M_SHARDS_REPLY,
    M_WORKERS_REPLY,
    M_HAVE,
    M_HAVE_REPLY,
    M_REVIEW,
    M_REVIEW_REPLY,
    M_PEER_BEACON,
    M_PEER_SNAP,
    M_PEER_GROUP,
    M_PEER_ACK,
};

static const struct {
    const char *name; // also the fuzz seed's file name
    cq_cmd_t cmd;
    void (*make)(cq_mpw_t *);
    s_decode_fn decode;
    uint32_t fields; // the message's table in proto.md
} s_msgs[] = {
    [M_READY] = {"ready_ledger", CQ_CMD_READY, s_make_ready, s_dec_ready, 12},
    [M_WELCOME] = {"welcome_shards", CQ_CMD_WELCOME, s_make_welcome,
                   s_dec_welcome, 7},
    [M_HISTORY] = {"history", CQ_CMD_HISTORY, s_make_history, s_dec_history, 4},
    [M_HISTORY_EMPTY] = {"history_empty", CQ_CMD_HISTORY, s_make_history_empty,
                         s_dec_history, 4},
    [M_ORPHANS] = {"orphans", CQ_CMD_ORPHANS, s_make_orphans, s_dec_orphans, 2},
    [M_EXTEND] = {"extend", CQ_CMD_EXTEND, s_make_extend, s_dec_extend, 1},
    [M_PAUSE] = {"pause", CQ_CMD_PAUSE, s_make_pause, s_dec_reason, 1},
    [M_STATUS_REPLY] = {"status_reply_durable", CQ_CMD_STATUS_REPLY,
                        s_make_status_reply, s_dec_status_reply, 26},
    [M_RESULTS] = {"results_watch", CQ_CMD_RESULTS, s_make_results,
                   s_dec_results, 6},
    [M_QUARANTINE] = {"quarantine", CQ_CMD_QUARANTINE, s_make_quarantine,
                      s_dec_quarantine, 3},
    [M_QUARANTINE_REPLY] = {"quarantine_reply", CQ_CMD_QUARANTINE_REPLY,
                            s_make_quarantine_reply, s_dec_quarantine_reply, 4},
    [M_WELCOME_OK] = {"welcome", CQ_CMD_WELCOME, s_make_welcome_ok,
                      s_dec_welcome, 7},
    [M_DISCONNECT] = {"disconnect_code", CQ_CMD_DISCONNECT, s_make_disconnect,
                      s_dec_disconnect, 2},
    [M_INTAKE_DONE] = {"intake_done", CQ_CMD_INTAKE_DONE, s_make_intake_done,
                       s_dec_intake_done, 10},
    [M_DOC_DONE] = {"doc_done", CQ_CMD_DOC_DONE, s_make_doc_done,
                    s_dec_doc_done, 9},
    [M_STATUS_REPLY_NONE] = {"status_reply", CQ_CMD_STATUS_REPLY,
                             s_make_status_reply_none, s_dec_status_reply, 26},
    [M_SUBMIT] = {"submit", CQ_CMD_SUBMIT, s_make_submit, s_dec_submit, 4},
    [M_SEAL] = {"seal", CQ_CMD_SEAL, s_make_seal, s_dec_seal, 3},
    [M_SEAL_REPLY] = {"seal_reply", CQ_CMD_SEAL_REPLY, s_make_seal_reply,
                      s_dec_seal_reply, 5},
    [M_BATCHES] = {"batches", CQ_CMD_BATCHES, s_make_batches, s_dec_batches, 2},
    [M_BATCHES_REPLY] = {"batches_reply", CQ_CMD_BATCHES_REPLY,
                         s_make_batches_reply, s_dec_batches_reply, 3},
    [M_ACKS] = {"acks", CQ_CMD_ACKS, s_make_acks, s_dec_acks, 3},
    [M_ACKS_REPLY] = {"acks_reply", CQ_CMD_ACKS_REPLY, s_make_acks_reply,
                      s_dec_acks_reply, 7},
    [M_DRAIN] = {"drain_node", CQ_CMD_DRAIN_NODE, s_make_drain, s_dec_drain, 2},
    [M_DRAIN_REPLY] = {"drain_reply", CQ_CMD_DRAIN_REPLY, s_make_drain_reply,
                       s_dec_drain_reply, 5},
    [M_SHARDS] = {"shards", CQ_CMD_SHARDS, s_make_shards, s_dec_shards, 1},
    [M_SHARDS_REPLY] = {"shards_reply", CQ_CMD_SHARDS_REPLY,
                        s_make_shards_reply, s_dec_shards_reply, 4},
    [M_WORKERS_REPLY] = {"workers_reply", CQ_CMD_WORKERS_REPLY,
                         s_make_workers_reply, s_dec_workers_reply, 5},
    [M_HAVE] = {"have", CQ_CMD_HAVE, s_make_have, s_dec_have, 3},
    [M_HAVE_REPLY] = {"have_reply", CQ_CMD_HAVE_REPLY, s_make_have_reply,
                      s_dec_have_reply, 4},
    [M_REVIEW] = {"review", CQ_CMD_REVIEW, s_make_review, s_dec_review, 13},
    [M_REVIEW_REPLY] = {"review_reply", CQ_CMD_REVIEW_REPLY,
                        s_make_review_reply, s_dec_review_reply, 19},
    [M_PEER_BEACON] = {"peer_beacon", CQ_CMD_PEER_BEACON, s_make_peer_beacon,
                       s_dec_peer_beacon, 9},
    [M_PEER_SNAP] = {"peer_snap", CQ_CMD_PEER_SNAP, s_make_peer_snap,
                     s_dec_peer_snap, 7},
    [M_PEER_GROUP] = {"peer_group", CQ_CMD_PEER_GROUP, s_make_peer_group,
                      s_dec_peer_group, 5},
    [M_PEER_ACK] = {"peer_ack", CQ_CMD_PEER_ACK, s_make_peer_ack,
                    s_dec_peer_ack, 3},
};

//  Trailing fields a message may leave out (DISCONNECT's code, REVIEW's
//  no_doc, REVIEW_REPLY's oldest_ms, PEER_BEACON's catch-up position: an
//  older peer's).
static const uint32_t s_optional[CQ_ARRAY_LEN(s_msgs)] = {
    [M_DISCONNECT] = 1,  [M_REVIEW] = 1,       [M_REVIEW_REPLY] = 1,
    [M_PEER_BEACON] = 4, [M_STATUS_REPLY] = 5, [M_STATUS_REPLY_NONE] = 5};

Test(proto, ready_and_welcome_round_trip)
{
    cq_mpw_t w;
    cq_mpw_init(&w);
    s_make_ready(&w);
    cq_msg_ready_t r;
    cr_assert_eq(cq_proto_ready_decode(w.data, w.len, &r, NULL), 0);
    cr_assert_str_eq(r.node_id, "w1");
    cr_assert_eq(r.credit, 1024);
    cr_assert_eq(r.intake_credit, 2);
    cr_assert_str_eq(r.rules_version, "sha256:00ff");
    cr_assert_eq(r.heartbeat_ms, 1000);
    cr_assert_str_eq(r.ledger_id, "0123456789abcdef0123456789abcdef");
    cr_assert_eq(r.ledger_seq, 90);
    cr_assert_eq(r.resolved_seq, 80);
    cr_assert_eq(r.crash_kind, 2);
    cr_assert_eq(r.crash_id, 45);
    cr_assert_eq(r.crash_lease, UINT64_MAX);
    //  a worker without a ledger, and one whose every row is resolved
    r.ledger_id[0] = '\0';
    r.ledger_seq = r.resolved_seq = 0;
    cq_proto_ready_encode(&w, &r);
    cr_assert_eq(cq_proto_ready_decode(w.data, w.len, &r, NULL), 0);
    cr_assert_str_eq(r.ledger_id, "");
    strcpy(r.ledger_id, "f");
    r.ledger_seq = r.resolved_seq = INT64_MAX;
    cq_proto_ready_encode(&w, &r);
    cr_assert_eq(cq_proto_ready_decode(w.data, w.len, &r, NULL), 0);
    cr_assert_eq(r.resolved_seq, INT64_MAX);

    s_make_welcome(&w);
    cq_msg_welcome_t m;
    cr_assert_eq(cq_proto_welcome_decode(w.data, w.len, &m, NULL), 0);
    cr_assert_not(m.accepted);
    cr_assert_str_eq(m.reason, "rules differ");
    cr_assert_eq(m.heartbeat_ms, 500);
    cr_assert_eq(m.shards, 65536);
    cr_assert_eq(m.epoch, 1ull << 40);
    cr_assert_eq(m.code, CQ_WELCOME_RULES);
    s_make_welcome_ok(&w);
    cr_assert_eq(cq_proto_welcome_decode(w.data, w.len, &m, NULL), 0);
    cr_assert(m.accepted);
    cr_assert_eq(m.code, CQ_WELCOME_OK);
    cr_assert_str_eq(m.reason, "");
    //  a worker whose node id is live elsewhere
    m.accepted = false;
    m.code = CQ_WELCOME_NODE_ID;
    cq_proto_welcome_encode(&w, &m);
    cr_assert_eq(cq_proto_welcome_decode(w.data, w.len, &m, NULL), 0);
    cr_assert_eq(m.code, CQ_WELCOME_NODE_ID);
    cq_mpw_free(&w);
}

Test(proto, empty_and_reason)
{
    cq_mpw_t w;
    cq_mpw_init(&w);
    cq_proto_empty_encode(&w);
    cr_assert_eq(w.len, 1);
    cr_assert_eq(cq_proto_empty_decode(w.data, w.len, NULL), 0);
    cr_assert_neq(cq_proto_empty_decode((const uint8_t *)"", 0, NULL), 0);
    //  a newer peer's extra fields are skipped
    cr_assert_eq(cq_proto_empty_decode((const uint8_t *)"\x91\x01", 2, NULL),
                 0);
    //  bytes after the body are not
    cr_assert_neq(cq_proto_empty_decode((const uint8_t *)"\x90\x01", 2, NULL),
                  0);
    cq_proto_reason_encode(&w, "go away");
    char reason[CQ_PROTO_MSG_LEN];
    cr_assert_eq(cq_proto_reason_decode(w.data, w.len, reason, NULL), 0);
    cr_assert_str_eq(reason, "go away");
    cq_mpw_free(&w);
}

//  DISCONNECT with a code, and both ways between it and the plain reason
//  codec (an older broker, an older worker).
Test(proto, disconnect_codes)
{
    cq_mpw_t w;
    cq_mpw_init(&w);
    char reason[CQ_PROTO_MSG_LEN];
    uint32_t code = 99;
    s_make_disconnect(&w);
    cr_assert_eq(cq_proto_disconnect_decode(w.data, w.len, reason, &code, NULL),
                 0);
    cr_assert_str_eq(reason, "a worker on the frontend");
    cr_assert_eq(code, CQ_DISCONNECT_WRONG_EP);
    cr_assert_eq(cq_proto_reason_decode(w.data, w.len, reason, NULL), 0);
    cr_assert_str_eq(reason, "a worker on the frontend");
    cq_proto_reason_encode(&w, "not registered");
    code = 99;
    cr_assert_eq(cq_proto_disconnect_decode(w.data, w.len, reason, &code, NULL),
                 0);
    cr_assert_str_eq(reason, "not registered");
    cr_assert_eq(code, CQ_DISCONNECT_AGAIN);
    //  a reason longer than the field is cut to fit
    char long_reason[CQ_PROTO_MSG_LEN + 10];
    memset(long_reason, 'r', sizeof long_reason - 1);
    long_reason[sizeof long_reason - 1] = '\0';
    cq_proto_disconnect_encode(&w, long_reason, CQ_DISCONNECT_AGAIN);
    cr_assert_eq(cq_proto_disconnect_decode(w.data, w.len, reason, &code, NULL),
                 0);
    cr_assert_eq(strlen(reason), CQ_PROTO_MSG_LEN - 1);
    cq_mpw_free(&w);
}

Test(proto, intake_and_intake_done_round_trip)
{
    cq_mpw_t w;
    cq_mpw_init(&w);
    cq_msg_intake_t in = {.lease = 42,
                          .doc_id = 7,
                          .received_date = 20514,
                          .first_record = 257,
                          .size = 1000};
    strcpy(in.batch_id, "b-1");
    strcpy(in.name, "claims.jsonl");
    cq_proto_intake_encode(&w, &in);
    cq_msg_intake_t in2;
    cr_assert_eq(cq_proto_intake_decode(w.data, w.len, &in2, NULL), 0);
    cr_assert_eq(in2.lease, 42);
    cr_assert_eq(in2.first_record, 257);
    cr_assert_str_eq(in2.name, "claims.jsonl");
    cr_assert_eq(in2.size, 1000);

    cq_claim_t *c = malloc(sizeof *c), *back = malloc(sizeof *back);
    s_full_claim(c);
    cq_msg_intake_done_t m = {
        .lease = 42, .doc_id = 7, .part = 3, .last = true, .status = CQ_EPROTO};
    strcpy(m.message, "line 3: not JSON");
    size_t at = cq_proto_intake_done_begin(&w, &m);
    for (int i = 0; i < 3; i++) {
        snprintf(c->claim_id, sizeof c->claim_id, "C%d", i);
        cq_proto_claim_encode(&w, c);
    }
    cq_proto_intake_done_end(&w, at, 3, &m);
    cq_msg_intake_done_t m2;
    cr_assert_eq(cq_proto_intake_done_decode(w.data, w.len, &m2, NULL), 0);
    cr_assert_eq(m2.part, 3);
    cr_assert(m2.last);
    cr_assert_eq(m2.status, CQ_EPROTO);
    cr_assert_str_eq(m2.message, "line 3: not JSON");
    cr_assert_eq(m2.claims.n, 3);
    //  not X12: nothing refused, no 999
    cr_assert_eq(m2.refused_sets, 0);
    cr_assert_eq(m2.refused_claims, 0);
    cr_assert_eq(m2.ack_len, 0);
    const uint8_t *raw;
    size_t raw_len;
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(cq_proto_intake_done_next(&m2, back, &raw, &raw_len, NULL),
                     1);
        char want[8];
        snprintf(want, sizeof want, "C%d", i);
        cr_assert_str_eq(back->claim_id, want);
        //  the raw span is one whole claim
        cr_assert_eq(s_decode_claim(raw, raw_len, back), 0);
        cr_assert_str_eq(back->claim_id, want);
    }
    cr_assert_eq(cq_proto_intake_done_next(&m2, back, &raw, &raw_len, NULL), 0);
    cq_mpw_free(&w);
    free(c);
    free(back);
}

//  The fields after the claims: refused sets and the 999, a view into the
//  body; the claims before them still read one by one.
Test(proto, intake_done_refused_sets_and_999)
{
    cq_mpw_t w;
    cq_mpw_init(&w);
    s_make_intake_done(&w);
    cq_msg_intake_done_t m;
    cr_assert_eq(cq_proto_intake_done_decode(w.data, w.len, &m, NULL), 0);
    cr_assert_eq(m.lease, 42);
    cr_assert_eq(m.part, 1);
    cr_assert(m.last);
    cr_assert_eq(m.refused_sets, 1);
    cr_assert_eq(m.refused_claims, 3);
    cr_assert_eq(m.ack_len, sizeof s_999 - 1);
    cr_assert(memcmp(m.ack, s_999, m.ack_len) == 0);
    cr_assert(m.ack > w.data && m.ack + m.ack_len == w.data + w.len);
    cr_assert_eq(m.claims.n, 2);
    cq_claim_t *c = malloc(sizeof *c);
    const uint8_t *raw;
    size_t raw_len;
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(cq_proto_intake_done_next(&m, c, &raw, &raw_len, NULL), 1);
        cr_assert_str_eq(c->claim_id, "C1");
    }
    cr_assert_eq(cq_proto_intake_done_next(&m, c, &raw, &raw_len, NULL), 0);
    //  an empty part with a 999 at the cap, counts at theirs
    uint8_t *big = calloc(1, CQ_PROTO_MAX_ACK);
    big[CQ_PROTO_MAX_ACK - 1] = '~';
    cq_msg_intake_done_t e = {.doc_id = 8,
                              .last = true,
                              .refused_sets = UINT32_MAX,
                              .refused_claims = UINT32_MAX,
                              .ack = big,
                              .ack_len = CQ_PROTO_MAX_ACK};
    size_t at = cq_proto_intake_done_begin(&w, &e);
    cq_proto_intake_done_end(&w, at, 0, &e);
    cr_assert_eq(cq_proto_intake_done_decode(w.data, w.len, &m, NULL), 0);
    cr_assert_eq(m.claims.n, 0);
    cr_assert_eq(m.refused_sets, UINT32_MAX);
    cr_assert_eq(m.refused_claims, UINT32_MAX);
    cr_assert_eq(m.ack_len, CQ_PROTO_MAX_ACK);
    cr_assert_eq(m.ack[CQ_PROTO_MAX_ACK - 1], '~');
    //  a failed decode leaves no claims and no 999
    s_make_intake_done(&w);
    w.len--;
    cr_assert_eq(cq_proto_intake_done_decode(w.data, w.len, &m, NULL),
                 CQ_EPROTO);
    cr_assert_eq(m.claims.n, 0);
    cr_assert_null(m.ack);
    cr_assert_eq(m.ack_len, 0);
    cq_mpw_free(&w);
    free(big);
    free(c);
}

Test(proto, adjudicate_and_result_round_trip)
{
    cq_mpw_t w, cw;
    cq_mpw_init(&w);
    cq_mpw_init(&cw);
    cq_claim_t *c = malloc(sizeof *c);
    s_full_claim(c);
    cq_proto_claim_encode(&cw, c);
    size_t at = cq_proto_adjudicate_begin(&w, 5);
    cq_proto_adjudicate_add(&w, 100, "batch-a", cw.data, cw.len);
    cq_proto_adjudicate_add(&w, 101, "batch-b", cw.data, cw.len);
    cq_proto_adjudicate_end(&w, at, 2);
    cq_msg_adjudicate_t m;
    cr_assert_eq(cq_proto_adjudicate_decode(w.data, w.len, &m, NULL), 0);
    cr_assert_eq(m.lease, 5);
    uint64_t cid;
    char batch[CQ_BATCH_ID_LEN];
    cr_assert_eq(cq_proto_adjudicate_next(&m, &cid, batch, c, NULL), 1);
    cr_assert_eq(cid, 100);
    cr_assert_str_eq(batch, "batch-a");
    cr_assert_eq(c->n_lines, CQ_MAX_LINES);
    cr_assert_eq(cq_proto_adjudicate_next(&m, &cid, batch, c, NULL), 1);
    cr_assert_eq(cid, 101);
    cr_assert_eq(cq_proto_adjudicate_next(&m, &cid, batch, c, NULL), 0);

    cq_decision_t *d = s_full_decision(), *back = malloc(sizeof *back);
    at = cq_proto_result_begin(&w, 5);
    cq_proto_result_add(&w, 100, 0, d);
    cq_proto_result_add(&w, 101, CQ_EIO, NULL);
    cq_proto_result_end(&w, at, 2);
    cq_msg_result_t r;
    cr_assert_eq(cq_proto_result_decode(w.data, w.len, &r, NULL), 0);
    int32_t status;
    const uint8_t *raw;
    size_t raw_len;
    cr_assert_eq(
        cq_proto_result_next(&r, &cid, &status, back, &raw, &raw_len, NULL), 1);
    cr_assert_eq(cid, 100);
    cr_assert_eq(status, 0);
    cr_assert_eq(back->ledger_seq, 17);
    cr_assert_not_null(raw);
    cr_assert_eq(
        cq_proto_result_next(&r, &cid, &status, back, &raw, &raw_len, NULL), 1);
    cr_assert_eq(cid, 101);
    cr_assert_eq(status, CQ_EIO);
    cr_assert_null(raw);
    cr_assert_eq(
        cq_proto_result_next(&r, &cid, &status, back, &raw, &raw_len, NULL), 0);
    cq_mpw_free(&w);
    cq_mpw_free(&cw);
    free(c);
    free(d);
    free(back);
}

Test(proto, result_with_a_status_and_a_decision_is_malformed)
{
    cq_mpw_t w;
    cq_mpw_init(&w);
    cq_decision_t *d = s_full_decision(), *back = malloc(sizeof *back);
    cq_mpw_reset(&w);
    cq_mpw_array(&w, 2);
    cq_mpw_uint(&w, 5);
    cq_mpw_array(&w, 1);
    cq_mpw_array(&w, 3);
    cq_mpw_uint(&w, 1);
    cq_mpw_int(&w, CQ_EIO);
    cq_proto_decision_encode(&w, d); // an error must come with nil
    cq_msg_result_t r;
    cr_assert_eq(cq_proto_result_decode(w.data, w.len, &r, NULL), 0);
    uint64_t cid;
    int32_t st;
    const uint8_t *raw;
    size_t len;
    cq_diag_t diag = {0};
    cr_assert_eq(cq_proto_result_next(&r, &cid, &st, back, &raw, &len, &diag),
                 CQ_EPROTO);
    cr_assert(strstr(diag.msg, "decision") != NULL, "%s", diag.msg);
    //  a status that is no cq_err_t
    cq_mpw_reset(&w);
    cq_mpw_array(&w, 2);
    cq_mpw_uint(&w, 5);
    cq_mpw_array(&w, 1);
    cq_mpw_array(&w, 3);
    cq_mpw_uint(&w, 1);
    cq_mpw_int(&w, -1000);
    cq_mpw_nil(&w);
    cr_assert_eq(cq_proto_result_decode(w.data, w.len, &r, NULL), 0);
    cr_assert_eq(cq_proto_result_next(&r, &cid, &st, back, &raw, &len, NULL),
                 CQ_EPROTO);
    cq_mpw_free(&w);
    free(d);
    free(back);
}

Test(proto, submit_and_receipt_round_trip)
{
    cq_mpw_t w;
    cq_mpw_init(&w);
    cq_msg_submit_t *s = calloc(1, sizeof *s), *s2 = calloc(1, sizeof *s2);
    s->req_id = UINT64_MAX;
    strcpy(s->batch_id, "b-20261123-1200-abc:1.x_y");
    s->n_docs = CQ_PROTO_MAX_DOCS;
    for (uint32_t i = 0; i < s->n_docs; i++) {
        snprintf(s->docs[i].name, sizeof s->docs[i].name, "dir/f%u.jsonl", i);
        s->docs[i].first_record = 1 + i * 256;
        s->docs[i].size = i;
    }
    cq_proto_submit_encode(&w, s);
    cr_assert_eq(cq_proto_submit_decode(w.data, w.len, s2, NULL), 0);
    cr_assert_eq(s2->req_id, UINT64_MAX);
    cr_assert_str_eq(s2->batch_id, s->batch_id);
    cr_assert_eq(s2->n_docs, CQ_PROTO_MAX_DOCS);
    cr_assert_str_eq(s2->docs[255].name, "dir/f255.jsonl");
    cr_assert_eq(s2->docs[255].first_record, 1 + 255 * 256);
    cr_assert_eq(s2->received_date, 0); // 1970-01-01: calloc's
    //  a received date set by the submitter, or none
    s_make_submit(&w);
    cr_assert_eq(cq_proto_submit_decode(w.data, w.len, s2, NULL), 0);
    cr_assert_eq(s2->received_date, 20514);
    cr_assert_eq(s2->n_docs, 2);
    cr_assert_eq(s2->docs[1].size, 0);
    s->received_date = CQ_DATE_NONE;
    cq_proto_submit_encode(&w, s);
    cr_assert_eq(cq_proto_submit_decode(w.data, w.len, s2, NULL), 0);
    cr_assert_eq(s2->received_date, CQ_DATE_NONE);
    //  a batch id with a space, no documents, first_record 0
    strcpy(s->batch_id, "b 1");
    cq_proto_submit_encode(&w, s);
    cr_assert_eq(cq_proto_submit_decode(w.data, w.len, s2, NULL), CQ_EPROTO);
    cr_assert_eq(s2->n_docs, 0);
    strcpy(s->batch_id, "b1");
    s->n_docs = 0;
    cq_proto_submit_encode(&w, s);
    cr_assert_eq(cq_proto_submit_decode(w.data, w.len, s2, NULL), CQ_EPROTO);
    s->n_docs = 1;
    s->docs[0].first_record = 0;
    cq_proto_submit_encode(&w, s);
    cr_assert_eq(cq_proto_submit_decode(w.data, w.len, s2, NULL), CQ_EPROTO);

    cq_msg_receipt_t *r = calloc(1, sizeof *r), *r2 = calloc(1, sizeof *r2);
    r->req_id = 9;
    strcpy(r->batch_id, "b1");
    r->durable = false;
    r->n_docs = 3;
    r->doc_ids[0] = 0;
    r->doc_ids[1] = 1ull << 40;
    r->doc_ids[2] = 5;
    cq_proto_receipt_encode(&w, r);
    cr_assert_eq(cq_proto_receipt_decode(w.data, w.len, r2, NULL), 0);
    cr_assert_eq(r2->n_docs, 3);
    cr_assert_eq(r2->doc_ids[1], 1ull << 40);
    cr_assert_not(r2->durable);
    cq_mpw_free(&w);
    free(s);
    free(s2);
    free(r);
    free(r2);
}

Test(proto, too_many_docs_refused_before_reading_them)
{
    cq_mpw_t w;
    cq_mpw_init(&w);
    cq_mpw_array(&w, 4);
    cq_mpw_uint(&w, 1);
    cq_mpw_str(&w, "b1");
    cq_mpw_array(&w, CQ_PROTO_MAX_DOCS + 1);
    cq_msg_submit_t *s = calloc(1, sizeof *s);
    cq_diag_t diag = {0};
    cr_assert_eq(cq_proto_submit_decode(w.data, w.len, s, &diag), CQ_ETOOBIG);
    cr_assert(strstr(diag.msg, "docs") != NULL, "%s", diag.msg);
    cq_mpw_free(&w);
    free(s);
}

Test(proto, doc_done_decisions_status_round_trip)
{
    cq_mpw_t w, dw;
    cq_mpw_init(&w);
    cq_mpw_init(&dw);
    cq_msg_doc_done_t dd = {.doc_id = 3, .n_claims = 256, .status = 0};
    strcpy(dd.batch_id, "b1");
    cq_proto_doc_done_encode(&w, &dd);
    cq_msg_doc_done_t dd2;
    cr_assert_eq(cq_proto_doc_done_decode(w.data, w.len, &dd2, NULL), 0);
    cr_assert_eq(dd2.n_claims, 256);
    cr_assert_eq(dd2.refused_sets, 0);
    s_make_doc_done(&w);
    cr_assert_eq(cq_proto_doc_done_decode(w.data, w.len, &dd2, NULL), 0);
    cr_assert_eq(dd2.n_claims, 2);
    cr_assert_eq(dd2.refused_sets, 1);
    cr_assert_eq(dd2.refused_claims, UINT32_MAX);
    cr_assert_eq(dd2.dup_claims, 2);
    cr_assert_eq(dd2.conflicts, 1);
    cr_assert_str_eq(dd2.message, "1 transaction set refused");
    //  more duplicates or conflicts than claims: refused
    dd.dup_claims = 257;
    cq_proto_doc_done_encode(&w, &dd);
    cr_assert_neq(cq_proto_doc_done_decode(w.data, w.len, &dd2, NULL), 0);
    dd.dup_claims = 2;
    dd.conflicts = 257;
    cq_proto_doc_done_encode(&w, &dd);
    cr_assert_neq(cq_proto_doc_done_decode(w.data, w.len, &dd2, NULL), 0);

    cq_decision_t *d = s_full_decision(), *back = malloc(sizeof *back);
    cq_proto_decision_encode(&dw, d);
    size_t at = cq_proto_decisions_begin(&w, "b1");
    cq_proto_decisions_add(&w, 3, 0, dw.data, dw.len);
    cq_proto_decisions_add(&w, 3, 1, dw.data, dw.len);
    cq_proto_decisions_add(&w, 3, 2, NULL, 0); // a failed claim
    cq_proto_decisions_end(&w, at, 3);
    cq_msg_decisions_t m;
    cr_assert_eq(cq_proto_decisions_decode(w.data, w.len, &m, NULL), 0);
    uint64_t doc;
    uint32_t idx;
    bool has;
    cr_assert_eq(cq_proto_decisions_next(&m, &doc, &idx, &has, back, NULL), 1);
    cr_assert(has);
    cr_assert_eq(cq_proto_decisions_next(&m, &doc, &idx, &has, back, NULL), 1);
    cr_assert_eq(idx, 1);
    cr_assert_str_eq(back->batch_id, "b-20260302-0001");
    cr_assert_eq(cq_proto_decisions_next(&m, &doc, &idx, &has, back, NULL), 1);
    cr_assert_eq(idx, 2);
    cr_assert_not(has);
    cr_assert_eq(cq_proto_decisions_next(&m, &doc, &idx, &has, back, NULL), 0);

    cq_msg_status_t st = {.req_id = 4};
    strcpy(st.batch_id, "b1");
    cq_proto_status_encode(&w, &st);
    cq_msg_status_t st2;
    cr_assert_eq(cq_proto_status_decode(w.data, w.len, &st2, NULL), 0);
    cr_assert_str_eq(st2.batch_id, "b1");
    s_make_status_reply(&w);
    cq_msg_status_reply_t sr2;
    cr_assert_eq(cq_proto_status_reply_decode(w.data, w.len, &sr2, NULL), 0);
    cr_assert(sr2.found);
    cr_assert_eq(sr2.claims, 512);
    cr_assert_eq(sr2.pend, 10);
    cr_assert_eq(sr2.failed, 1);
    cr_assert(sr2.durable);
    cr_assert_eq(sr2.epoch, 3);
    cr_assert(sr2.sealed);
    cr_assert_not(sr2.complete);
    cr_assert_eq(sr2.refused_sets, 2);
    cr_assert_eq(sr2.refused_claims, UINT64_MAX);
    cr_assert_eq(sr2.workers_live, 1u << 20);
    cr_assert_eq(sr2.received_date, 20500);
    cr_assert(sr2.received_set);
    s_make_status_reply_none(&w);
    cr_assert_eq(cq_proto_status_reply_decode(w.data, w.len, &sr2, NULL), 0);
    cr_assert_not(sr2.found);
    cr_assert_str_eq(sr2.batch_id, "nope");
    cr_assert_eq(sr2.received_date, CQ_DATE_NONE);
    cr_assert_not(sr2.received_set);
    cq_mpw_free(&w);
    cq_mpw_free(&dw);
    free(d);
    free(back);
}

Test(proto, results_round_trip_with_nils)
{
    cq_mpw_t w, dw, cw;
    cq_mpw_init(&w);
    cq_mpw_init(&dw);
    cq_mpw_init(&cw);
    s_make_results(&w);
    cq_msg_results_t q2;
    cr_assert_eq(cq_proto_results_decode(w.data, w.len, &q2, NULL), 0);
    cr_assert_eq(q2.cursor, 10);
    cr_assert_eq(q2.max, 100);
    cr_assert(q2.with_claims);
    cr_assert(q2.watch);

    cq_decision_t *d = s_full_decision(), *bd = malloc(sizeof *bd);
    cq_claim_t *c = malloc(sizeof *c), *bc = malloc(sizeof *bc);
    s_full_claim(c);
    cq_proto_decision_encode(&dw, d);
    cq_proto_claim_encode(&cw, c);
    cq_msg_results_reply_t r = {
        .req_id = 1, .next_cursor = 12, .total = 20, .complete = false};
    strcpy(r.batch_id, "b1");
    size_t at = cq_proto_results_reply_begin(&w, &r);
    cq_proto_results_reply_add(&w, 1, 0, dw.data, dw.len, cw.data, cw.len);
    cq_proto_results_reply_add(&w, 1, 1, NULL, 0, NULL, 0);
    cq_proto_results_reply_end(&w, at, 2);
    cq_msg_results_reply_t r2;
    cr_assert_eq(cq_proto_results_reply_decode(w.data, w.len, &r2, NULL), 0);
    cr_assert_eq(r2.next_cursor, 12);
    uint64_t doc;
    uint32_t idx;
    bool hd, hc;
    cr_assert_eq(
        cq_proto_results_reply_next(&r2, &doc, &idx, &hd, bd, &hc, bc, NULL),
        1);
    cr_assert(hd && hc);
    cr_assert_eq(bc->n_lines, CQ_MAX_LINES);
    cr_assert_eq(bd->n_adj, CQ_MAX_ADJ);
    cr_assert_eq(cq_proto_results_reply_next(&r2, &doc, &idx, &hd, NULL, &hc,
                                             NULL, NULL),
                 1);
    cr_assert(!hd && !hc);
    cr_assert_eq(idx, 1);
    cq_mpw_free(&w);
    cq_mpw_free(&dw);
    cq_mpw_free(&cw);
    free(d);
    free(bd);
    free(c);
    free(bc);
}

Test(proto, workers_reply_round_trip_and_caps)
{
    cq_mpw_t w;
    cq_mpw_init(&w);
    cq_proto_workers_encode(&w, 77);
    uint64_t id;
    cr_assert_eq(cq_proto_workers_decode(w.data, w.len, &id, NULL), 0);
    cr_assert_eq(id, 77);
    cq_msg_workers_reply_t *m = calloc(1, sizeof *m),
                           *m2 = calloc(1, sizeof *m2);
    m->req_id = 77;
    m->shards = 256;
    strcpy(m->rules_version, "sha256:1");
    cq_worker_info_t ws[2];
    memset(ws, 0, sizeof ws);
    strcpy(ws[0].node_id, "w1");
    strcpy(ws[0].state, "live");
    ws[0].decided = 1ull << 33;
    strcpy(ws[1].node_id, "w2");
    strcpy(ws[1].state, "dead");
    m->workers = ws;
    m->n_workers = 2;
    m->n_counters = 1;
    strcpy(m->counters[0].name, "malformed");
    m->counters[0].value = 3;
    cq_proto_workers_reply_encode(&w, m);
    cr_assert_eq(cq_proto_workers_reply_decode(w.data, w.len, m2, NULL), 0);
    cr_assert_eq(m2->n_workers, 2);
    cr_assert_eq(m2->workers[0].decided, 1ull << 33);
    cr_assert_str_eq(m2->workers[1].state, "dead");
    cr_assert_str_eq(m2->counters[0].name, "malformed");
    cq_proto_workers_reply_free(m2);
    //  a worker count over the cap is refused before anything is allocated
    cq_mpw_reset(&w);
    cq_mpw_array(&w, 5);
    cq_mpw_uint(&w, 1);
    cq_mpw_str(&w, "");
    cq_mpw_uint(&w, 256);
    cq_mpw_array(&w, CQ_PROTO_MAX_WORKERS + 1);
    cr_assert_eq(cq_proto_workers_reply_decode(w.data, w.len, m2, NULL),
                 CQ_ETOOBIG);
    cr_assert_null(m2->workers);
    cq_mpw_free(&w);
    free(m);
    free(m2);
}

Test(proto, history_round_trip)
{
    cq_mpw_t w;
    cq_mpw_init(&w);
    s_make_history(&w);
    cq_msg_history_t m;
    cr_assert_eq(cq_proto_history_decode(w.data, w.len, &m, NULL), 0);
    cr_assert_eq(m.shard, 7);
    cr_assert_eq(m.part, 2);
    cr_assert(m.last);
    cr_assert_eq(m.items.n, 2);
    cq_claim_t *c = malloc(sizeof *c);
    cq_decision_t *d = malloc(sizeof *d);
    uint64_t cid;
    char batch[CQ_BATCH_ID_LEN];
    const char *batches[] = {"b1", "b-2"};
    for (uint64_t i = 0; i < 2; i++) {
        cr_assert_eq(cq_proto_history_next(&m, &cid, batch, c, d, NULL), 1);
        cr_assert_eq(cid, 100 + i);
        cr_assert_str_eq(batch, batches[i]);
        cr_assert_str_eq(c->claim_id, "C1");
        cr_assert_eq(d->decision, CQ_DECISION_REJECT);
        cr_assert_str_eq(d->node, "w2");
        cr_assert_eq(d->ledger_seq, 41);
    }
    cr_assert_eq(cq_proto_history_next(&m, &cid, batch, c, d, NULL), 0);
    s_make_history_empty(&w);
    cr_assert_eq(cq_proto_history_decode(w.data, w.len, &m, NULL), 0);
    cr_assert(m.last);
    cr_assert_eq(m.items.n, 0);
    cr_assert_eq(cq_proto_history_next(&m, &cid, batch, c, d, NULL), 0);
    cq_mpw_free(&w);
    free(c);
    free(d);
}

Test(proto, orphans_and_extend_round_trip_at_caps)
{
    cq_mpw_t w;
    cq_mpw_init(&w);
    cq_msg_orphans_t *o = calloc(1, sizeof *o);
    s_make_orphans(&w);
    cr_assert_eq(cq_proto_orphans_decode(w.data, w.len, o, NULL), 0);
    cr_assert_eq(o->upto, 99);
    cr_assert_eq(o->n_ranges, 3);
    cr_assert_eq(o->ranges[1][0], 5);
    cr_assert_eq(o->ranges[1][1], 9);
    o->upto = 0;
    o->n_ranges = CQ_PROTO_MAX_RANGES;
    for (uint64_t i = 0; i < CQ_PROTO_MAX_RANGES; i++) {
        o->ranges[i][0] = 2 * i + 1;
        o->ranges[i][1] = i == 0 ? INT64_MAX : 2 * i + 1;
    }
    cq_proto_orphans_encode(&w, o);
    cr_assert_eq(cq_proto_orphans_decode(w.data, w.len, o, NULL), 0);
    cr_assert_eq(o->n_ranges, CQ_PROTO_MAX_RANGES);
    cr_assert_eq(o->ranges[0][1], INT64_MAX);
    cr_assert_eq(o->ranges[4095][0], 8191);

    cq_msg_extend_t *e = calloc(1, sizeof *e);
    s_make_extend(&w);
    cr_assert_eq(cq_proto_extend_decode(w.data, w.len, e, NULL), 0);
    cr_assert_eq(e->n, 3);
    cr_assert_eq(e->leases[1], UINT64_MAX);
    cr_assert_eq(e->leases[2], 7);
    e->n = CQ_PROTO_MAX_EXTEND;
    for (uint32_t i = 0; i < CQ_PROTO_MAX_EXTEND; i++)
        e->leases[i] = i;
    cq_proto_extend_encode(&w, e);
    cr_assert_eq(cq_proto_extend_decode(w.data, w.len, e, NULL), 0);
    cr_assert_eq(e->n, CQ_PROTO_MAX_EXTEND);
    cr_assert_eq(e->leases[1023], 1023);
    cq_mpw_free(&w);
    free(o);
    free(e);
}

Test(proto, pause_and_quarantine_round_trip)
{
    cq_mpw_t w;
    cq_mpw_init(&w);
    s_make_pause(&w);
    char reason[CQ_PROTO_MSG_LEN];
    cr_assert_eq(cq_proto_reason_decode(w.data, w.len, reason, NULL), 0);
    cr_assert_str_eq(reason, "ledger: disk full");

    s_make_quarantine(&w);
    cq_msg_quarantine_t q;
    cr_assert_eq(cq_proto_quarantine_decode(w.data, w.len, &q, NULL), 0);
    cr_assert_eq(q.req_id, 5);
    cr_assert_eq(q.op, CQ_QOP_SHOW);
    cr_assert_str_eq(q.id, "claim:123");

    s_quarantine_reply(&w, CQ_PROTO_MAX_QHIST);
    cq_msg_quarantine_reply_t r;
    cr_assert_eq(cq_proto_quarantine_reply_decode(w.data, w.len, &r, NULL), 0);
    cr_assert_eq(r.req_id, 5);
    cr_assert_eq(r.status, 0);
    cr_assert_str_eq(r.message, "2 quarantined");
    cr_assert_eq(r.n_items, 2);
    const cq_qitem_t *x = &r.items[0];
    cr_assert_str_eq(x->id, "claim:123");
    cr_assert_str_eq(x->kind, "claim");
    cr_assert_str_eq(x->batch_id, "b1");
    cr_assert_str_eq(x->name, "PCN-1");
    cr_assert_eq(x->attempts, 3);
    cr_assert_eq(x->since_ms, UINT64_C(1764800000000));
    cr_assert_str_eq(x->reason, "worker lost 3 times");
    cr_assert_eq(x->n_hist, CQ_PROTO_MAX_QHIST);
    cr_assert_eq(x->hist[31].at_ms, 1031);
    cr_assert_str_eq(x->hist[31].node_id, "w31");
    cr_assert_str_eq(x->hist[31].what, "worker lost");
    cr_assert_str_eq(r.items[1].kind, "document");
    cr_assert_eq(r.items[1].n_hist, 0);
    cq_proto_quarantine_reply_free(&r);
    cr_assert_null(r.items);
    cr_assert_eq(r.n_items, 0);
    cq_mpw_free(&w);
}

Test(proto, seal_and_batches_round_trip)
{
    cq_mpw_t w;
    cq_mpw_init(&w);
    s_make_seal(&w);
    cq_msg_seal_t s;
    cr_assert_eq(cq_proto_seal_decode(w.data, w.len, &s, NULL), 0);
    cr_assert_eq(s.req_id, 11);
    cr_assert_str_eq(s.batch_id, "b1");
    cr_assert_eq(s.docs, 3);
    s_make_seal_reply(&w);
    cq_msg_seal_reply_t sr;
    cr_assert_eq(cq_proto_seal_reply_decode(w.data, w.len, &sr, NULL), 0);
    cr_assert_eq(sr.req_id, 11);
    cr_assert_str_eq(sr.batch_id, "b1");
    cr_assert_eq(sr.status, CQ_EINVAL);
    cr_assert_str_eq(sr.message, "sealed at 3 documents, 2 received");
    cr_assert_eq(sr.docs, 2);

    s_make_batches(&w);
    cq_msg_batches_t b;
    cr_assert_eq(cq_proto_batches_decode(w.data, w.len, &b, NULL), 0);
    cr_assert_eq(b.req_id, 12);
    cr_assert_eq(b.since_ms, UINT64_C(1764800000000));
    cq_msg_batches_reply_t r;
    s_batches_reply(&w, CQ_PROTO_MAX_BATCHES);
    cr_assert_eq(cq_proto_batches_reply_decode(w.data, w.len, &r, NULL), 0);
    cr_assert_eq(r.req_id, 12);
    cr_assert_eq(r.total, CQ_PROTO_MAX_BATCHES + 5);
    cr_assert_eq(r.n_items, CQ_PROTO_MAX_BATCHES);
    const cq_batch_info_t *x = &r.items[4093];
    cr_assert_str_eq(x->batch_id, "b4093");
    cr_assert_eq(x->created_ms, UINT64_C(1764800000000) + 4093);
    cr_assert_eq(x->docs, 3);
    cr_assert_eq(x->docs_done, 2);
    cr_assert_eq(x->claims, 1000 + 4093);
    cr_assert_eq(x->decided, 999);
    cr_assert_eq(x->failed, 1);
    cr_assert_eq(x->refused_sets, 4093);
    cr_assert_not(x->sealed);
    cr_assert_not(x->complete);
    cr_assert(r.items[4092].sealed && r.items[4092].complete);
    cq_proto_batches_reply_free(&r);
    cr_assert_null(r.items);
    cr_assert_eq(r.n_items, 0);
    //  none
    s_batches_reply(&w, 0);
    cr_assert_eq(cq_proto_batches_reply_decode(w.data, w.len, &r, NULL), 0);
    cr_assert_eq(r.n_items, 0);
    cr_assert_null(r.items);
    cq_mpw_free(&w);
}

Test(proto, acks_round_trip)
{
    cq_mpw_t w;
    cq_mpw_init(&w);
    s_make_acks(&w);
    cq_msg_acks_t a;
    cr_assert_eq(cq_proto_acks_decode(w.data, w.len, &a, NULL), 0);
    cr_assert_eq(a.req_id, 13);
    cr_assert_str_eq(a.batch_id, "b1");
    cr_assert_eq(a.cursor, 4);

    s_make_acks_reply(&w);
    cq_msg_acks_reply_t r;
    cr_assert_eq(cq_proto_acks_reply_decode(w.data, w.len, &r, NULL), 0);
    cr_assert_eq(r.req_id, 13);
    cr_assert_str_eq(r.batch_id, "b1");
    cr_assert_eq(r.status, 0);
    cr_assert_eq(r.next_cursor, 6);
    cr_assert_eq(r.total, 9);
    cr_assert(r.complete);
    cr_assert_eq(r.items.n, 2);
    uint64_t doc_id;
    char name[CQ_DOC_NAME_LEN];
    const uint8_t *ack;
    size_t len;
    cr_assert_eq(cq_proto_acks_reply_next(&r, &doc_id, name, &ack, &len, NULL),
                 1);
    cr_assert_eq(doc_id, 4);
    cr_assert_str_eq(name, "a.837");
    cr_assert_eq(len, sizeof s_999 - 1);
    cr_assert(memcmp(ack, s_999, len) == 0);
    cr_assert(ack > w.data && ack + len < w.data + w.len);
    cr_assert_eq(cq_proto_acks_reply_next(&r, &doc_id, name, &ack, &len, NULL),
                 1);
    cr_assert_eq(doc_id, 5);
    cr_assert_str_eq(name, "b.837");
    cr_assert_eq(len, 4);
    cr_assert_eq(cq_proto_acks_reply_next(&r, &doc_id, name, &ack, &len, NULL),
                 0);
    //  no such batch: an empty page
    cq_msg_acks_reply_t nf = {.req_id = 14, .status = CQ_ENOTFOUND};
    strcpy(nf.batch_id, "nope");
    size_t at = cq_proto_acks_reply_begin(&w, &nf);
    cq_proto_acks_reply_end(&w, at, 0);
    cr_assert_eq(cq_proto_acks_reply_decode(w.data, w.len, &r, NULL), 0);
    cr_assert_eq(r.status, CQ_ENOTFOUND);
    cr_assert_eq(r.items.n, 0);
    cr_assert_eq(cq_proto_acks_reply_next(&r, &doc_id, name, &ack, &len, NULL),
                 0);
    cq_mpw_free(&w);
}

//  issue 9: HAVE carries digests, HAVE_REPLY an id or nil per digest;
//  the digest is the one SUBMIT recognises a document by.
Test(proto, have_and_have_reply_round_trip)
{
    cq_mpw_t w;
    cq_mpw_init(&w);
    s_make_have(&w);
    cq_msg_have_t h;
    cr_assert_eq(cq_proto_have_decode(w.data, w.len, &h, NULL), 0);
    cr_assert_eq(h.req_id, 17);
    cr_assert_str_eq(h.batch_id, "b1");
    cr_assert_eq(h.n, 3);
    for (uint32_t i = 0; i < 3; i++)
        for (int k = 0; k < CQ_DIGEST_LEN; k++)
            cr_assert_eq(h.digests[i][k], i);
    cq_proto_have_free(&h);
    cr_assert_null(h.digests);

    s_make_have_reply(&w);
    cq_msg_have_reply_t r;
    cr_assert_eq(cq_proto_have_reply_decode(w.data, w.len, &r, NULL), 0);
    cr_assert_eq(r.req_id, 17);
    cr_assert_str_eq(r.batch_id, "b1");
    cr_assert_eq(r.status, 0);
    cr_assert_eq(r.n, 3);
    cr_assert_eq(r.doc_ids[0], 0); // held: document 0
    cr_assert_eq(r.doc_ids[1], CQ_HAVE_NONE);
    cr_assert_eq(r.doc_ids[2], 1ull << 33);
    //  on the wire: 0 and nil are not the same
    cr_assert_eq(w.data[w.len - 12], 0x93);
    cr_assert_eq(w.data[w.len - 11], 0x00);
    cr_assert_eq(w.data[w.len - 10], 0xc0);
    cq_proto_have_reply_free(&r);
    //  no such batch: no ids
    cq_msg_have_reply_t nf = {.req_id = 18, .status = CQ_ENOTFOUND};
    strcpy(nf.batch_id, "nope");
    cq_proto_have_reply_encode(&w, &nf);
    cr_assert_eq(cq_proto_have_reply_decode(w.data, w.len, &r, NULL), 0);
    cr_assert_eq(r.status, CQ_ENOTFOUND);
    cr_assert_eq(r.n, 0);
    cr_assert_null(r.doc_ids);

    //  the digest: SHA-256 of "batch\nname\nfirst_record\n" + SHA-256 of
    //  the bytes
    const char *doc = "{\"claim_id\": \"C1\"}\n";
    uint8_t got[CQ_DIGEST_LEN], want[CQ_DIGEST_LEN], h1[32];
    cq_proto_doc_digest("b1", "claims.jsonl", 21, (const uint8_t *)doc,
                        strlen(doc), got);
    char buf[64 + 32];
    int k = snprintf(buf, sizeof buf, "b1\nclaims.jsonl\n21\n");
    cq_sha256(doc, strlen(doc), h1);
    memcpy(buf + k, h1, sizeof h1);
    cq_sha256(buf, (size_t)k + sizeof h1, want);
    cr_assert(memcmp(got, want, sizeof got) == 0);
    //  another name, record or batch: another digest
    cq_proto_doc_digest("b1", "claims.jsonl", 1, (const uint8_t *)doc,
                        strlen(doc), want);
    cr_assert(memcmp(got, want, sizeof got) != 0);
    cq_proto_doc_digest("b2", "claims.jsonl", 21, (const uint8_t *)doc,
                        strlen(doc), want);
    cr_assert(memcmp(got, want, sizeof got) != 0);
    cq_mpw_free(&w);
}

//  Issue 12: the review queue's messages, and a released claim's and a
//  superseding decision's appended fields, round trip.
Test(proto, review_round_trip)
{
    cq_mpw_t w;
    cq_mpw_init(&w);
    s_make_review(&w);
    cq_msg_review_t *m = malloc(sizeof *m);
    cr_assert_eq(cq_proto_review_decode(w.data, w.len, m, NULL), 0);
    cr_assert_eq(m->op, CQ_ROP_RELEASE);
    cr_assert_eq(m->n_tenants, 2);
    cr_assert_str_eq(m->tenants[1], "*");
    cr_assert_eq(m->id, 42);
    cr_assert_str_eq(m->reviewer, "alice");
    cr_assert_eq(m->token, 1ull << 41);
    cr_assert(strstr(m->changes, "member.id") != NULL);
    cq_claim_t *c = malloc(sizeof *c);
    cq_cur_t cur;
    cq_cur_init(&cur, m->claim, m->claim_len);
    cr_assert_eq(cq_proto_claim_decode(&cur, c), 0);
    cr_assert_eq(c->review, CQ_RELEASE_CORRECTED);
    cr_assert_str_eq(c->supersedes_node, "w1");
    cr_assert_eq(c->supersedes_seq, 12);
    cr_assert_str_eq(c->review_audit, "{\"reviewer\":\"alice\"}");
    //  a claim without review fields still encodes as before (20 fields)
    c->review = 0;
    cq_mpw_reset(&w);
    cq_proto_claim_encode(&w, c);
    cr_assert_eq(w.data[0], 0xdc); // array16
    cr_assert_eq(w.data[2], 20);
    free(c);
    free(m);

    s_make_review_reply(&w);
    cq_msg_review_reply_t r;
    cr_assert_eq(cq_proto_review_reply_decode(w.data, w.len, &r, NULL), 0);
    cr_assert_eq(r.n_items, 2);
    cr_assert_str_eq(r.items[1].locked_by, "bob");
    cr_assert_eq(r.items[0].kind, CQ_REVIEW_OCR);
    cr_assert_eq(r.page, 2);
    cr_assert_str_eq(r.doc_name, "scan.tif");
    cr_assert_null(r.claim);
    cr_assert_eq(r.doc_len, sizeof "II*\0 not really a TIFF");
    cq_proto_review_reply_free(&r);

    //  a decision that supersedes a pend: wire, pack and JSON keep it
    cq_decision_t *d = s_full_decision();
    strcpy(d->supersedes_node, "w2");
    d->supersedes_seq = 9;
    strcpy(d->review_audit,
           "{\"reviewer\":\"alice\",\"action\":\"corrected\","
           "\"changes\":[{\"field\":\"member.id\",\"old\":\"A\","
           "\"new\":\"B\"}]}");
    cq_decision_t *e = malloc(sizeof *e);
    cq_mpw_reset(&w);
    cq_proto_decision_encode(&w, d);
    cq_cur_init(&cur, w.data, w.len);
    cr_assert_eq(cq_proto_decision_decode(&cur, e), 0);
    cr_assert_str_eq(e->supersedes_node, "w2");
    cr_assert_eq(e->supersedes_seq, 9);
    cr_assert_str_eq(e->review_audit, d->review_audit);
    cq_buf_t b;
    cq_buf_init(&b, 1u << 20);
    cr_assert_eq(cq_decision_to_json(d, &b), 0);
    cr_assert(strstr(b.data, "\"supersedes\": {\"node\": \"w2\", "
                             "\"ledger_seq\": 9}, \"review\": {") != NULL,
              "%s", b.data);
    cr_assert_eq(cq_decision_from_json(b.data, b.len, e, NULL), 0);
    cr_assert_eq(e->supersedes_seq, 9);
    cr_assert_str_eq(e->review_audit, d->review_audit);
    cq_buf_reset(&b);
    cr_assert_eq(cq_decision_pack(d, &b), 0);
    cr_assert_eq((uint8_t)b.data[0], 2);
    cr_assert_eq(cq_decision_unpack(b.data, b.len, e), 0);
    cr_assert_eq(e->supersedes_seq, 9);
    cr_assert_str_eq(e->review_audit, d->review_audit);
    //  cut anywhere in the trailer: refused, never read past the end
    for (size_t k = 1; k < b.len; k++)
        cr_assert_neq(cq_decision_unpack(b.data, k, e), 0, "cut at %zu", k);
    cq_buf_free(&b);
    free(e);
    free(d);
    cq_mpw_free(&w);
}

//  Issue 12: a GET that leaves the document out (no_doc, appended to
//  REVIEW), and the counts a LIST gives (oldest_ms, appended to
//  REVIEW_REPLY): round trips, and what an older peer's message means.
Test(proto, review_get_without_the_document)
{
    cq_msg_review_t *m = calloc(1, sizeof *m), *back = malloc(sizeof *back);
    m->req_id = 9;
    m->op = CQ_ROP_GET;
    m->n_tenants = 1;
    strcpy(m->tenants[0], "ACME");
    m->id = 7;
    m->no_doc = true;
    cq_mpw_t w;
    cq_mpw_init(&w);
    cq_proto_review_encode(&w, m);
    cr_assert_eq(cq_proto_review_decode(w.data, w.len, back, NULL), 0);
    cr_assert(back->no_doc);
    cr_assert_eq(back->id, 7);
    m->no_doc = false;
    cq_proto_review_encode(&w, m);
    cr_assert_eq(w.data[0], 0x90 | 13);    // fixarray: 12 fields and no_doc
    cr_assert_eq(w.data[w.len - 1], 0xc2); // false, last
    cr_assert_eq(cq_proto_review_decode(w.data, w.len, back, NULL), 0);
    cr_assert_not(back->no_doc);
    //  an older station's GET (12 fields, no flag) gets the document
    w.data[0] = 0x90 | 12;
    cr_assert_eq(cq_proto_review_decode(w.data, w.len - 1, back, NULL), 0);
    cr_assert_not(back->no_doc);
    //  the flag is a bool: anything else is malformed, naming it
    w.data[0] = 0x90 | 13;
    w.data[w.len - 1] = 0x01;
    cq_diag_t diag = {0};
    cr_assert_eq(cq_proto_review_decode(w.data, w.len, back, &diag), CQ_EPROTO);
    cr_assert(strstr(diag.msg, "no_doc") != NULL, "%s", diag.msg);

    //  a GET's reply without the document: nil in its place, no bytes
    cq_msg_review_reply_t r, d;
    memset(&r, 0, sizeof r);
    cq_review_item_t it;
    memset(&it, 0, sizeof it);
    it.id = 7;
    strcpy(it.claim_id, "C7");
    r.items = &it;
    r.n_items = 1;
    static const uint8_t claim[] = {0x91, 0x01}, pend[] = {0x91, 0x02};
    static const uint8_t doc[] = "II*\0 the page image, 64 MiB at most";
    r.claim = claim;
    r.claim_len = sizeof claim;
    r.pend = pend;
    r.pend_len = sizeof pend;
    strcpy(r.doc_name, "scan.tif");
    r.page = 3;
    cq_proto_review_reply_encode(&w, &r);
    size_t without = w.len;
    cr_assert_eq(cq_proto_review_reply_decode(w.data, w.len, &d, NULL), 0);
    cr_assert_null(d.doc);
    cr_assert_eq(d.doc_len, 0);
    cr_assert_not_null(d.claim);
    cr_assert_eq(d.page, 3);
    cr_assert_str_eq(d.doc_name, "scan.tif");
    cq_proto_review_reply_free(&d);
    r.doc = doc;
    r.doc_len = sizeof doc;
    cq_proto_review_reply_encode(&w, &r);
    cr_assert_eq(w.len, without + 2 + sizeof doc - 1); // bin8 for nil
    cr_assert_eq(cq_proto_review_reply_decode(w.data, w.len, &d, NULL), 0);
    cr_assert_eq(d.doc_len, sizeof doc);
    cr_assert_eq(memcmp(d.doc, doc, sizeof doc), 0);
    cq_proto_review_reply_free(&d);

    //  LIST with max 0: the counts alone, and when the oldest pended
    memset(m, 0, sizeof *m);
    m->op = CQ_ROP_LIST;
    m->max = 0;
    cq_proto_review_encode(&w, m);
    cr_assert_eq(cq_proto_review_decode(w.data, w.len, back, NULL), 0);
    cr_assert_eq(back->op, CQ_ROP_LIST);
    cr_assert_eq(back->max, 0);
    memset(&r, 0, sizeof r);
    r.total = 3;
    r.by_kind[CQ_REVIEW_OCR] = 2;
    r.by_kind[CQ_REVIEW_DUPLICATE] = 1;
    r.oldest_ms = 1700000000123;
    cq_proto_review_reply_encode(&w, &r);
    cr_assert_eq(cq_proto_review_reply_decode(w.data, w.len, &d, NULL), 0);
    cr_assert_eq(d.total, 3);
    cr_assert_eq(d.by_kind[CQ_REVIEW_OCR], 2);
    cr_assert_eq(d.n_items, 0);
    cr_assert_null(d.items);
    cr_assert_eq(d.oldest_ms, 1700000000123);
    cq_proto_review_reply_free(&d);
    //  an older broker's reply (18 fields): the oldest is not known
    cr_assert_eq(w.data[0], 0xdc); // array16
    cr_assert_eq(w.data[2], 19);
    w.data[2] = 18;
    cr_assert_eq(w.data[w.len - 9], 0xcf); // uint64, the last field
    cr_assert_eq(cq_proto_review_reply_decode(w.data, w.len - 9, &d, NULL), 0);
    cr_assert_eq(d.total, 3);
    cr_assert_eq(d.oldest_ms, 0);
    cq_proto_review_reply_free(&d);
    cq_mpw_free(&w);
    free(back);
    free(m);
}

//  A JSON array of n changes {"field","old","new"}, as a fully keyed
//  form's (values of 20 characters), into out.
static void
s_long_changes(char *out, size_t size, int n)
{
    size_t at = 0;
    at += (size_t)snprintf(out + at, size - at, "[");
    for (int i = 0; i < n && at < size; i++)
        at += (size_t)snprintf(out + at, size - at,
                               "%s{\"field\":\"line%d.field%02d\",\"old\":"
                               "\"OLD-VALUE-%09d\",\"new\":\"NEW-VALUE-%09d\"}",
                               i ? "," : "", i / 9 + 1, i, i, i);
    if (at < size)
        snprintf(out + at, size - at, "]");
}

//  Issue 12: an audit trail longer than the former 4 KiB cap (a fully
//  keyed form, every value) round trips in a release, a released claim
//  and the decision that supersedes the pend (wire, ledger pack, JSON).
Test(proto, review_long_audit_round_trips)
{
    cq_msg_review_t *m = calloc(1, sizeof *m), *back = malloc(sizeof *back);
    s_long_changes(m->changes, sizeof m->changes, 80);
    size_t n = strlen(m->changes);
    cr_assert_gt(n, 4096);
    cr_assert_lt(n, sizeof m->changes - 128);
    m->op = CQ_ROP_RELEASE;
    cq_mpw_t w;
    cq_mpw_init(&w);
    cq_proto_review_encode(&w, m);
    cr_assert_eq(cq_proto_review_decode(w.data, w.len, back, NULL), 0);
    cr_assert_str_eq(back->changes, m->changes);

    //  the claim the broker sends again, with the audit it made
    cq_claim_t *c = malloc(sizeof *c), *c2 = malloc(sizeof *c2);
    s_full_claim(c);
    c->review = CQ_RELEASE_CORRECTED;
    strcpy(c->supersedes_node, "w1");
    c->supersedes_seq = 12;
    snprintf(c->review_audit, sizeof c->review_audit,
             "{\"reviewer\":\"alice\",\"action\":\"corrected\","
             "\"changes\":%s}",
             m->changes);
    cr_assert_gt(strlen(c->review_audit), 4096);
    cq_mpw_reset(&w);
    cq_proto_claim_encode(&w, c);
    cq_cur_t cur;
    cq_cur_init(&cur, w.data, w.len);
    memset(c2->review_audit, 'x', sizeof c2->review_audit); // stale bytes
    cr_assert_eq(cq_proto_claim_decode(&cur, c2), 0);
    cr_assert_str_eq(c2->review_audit, c->review_audit);
    cr_assert(cq_claim_equal(c2, c));
    //  the largest audit that fits
    memset(c->review_audit, 'a', sizeof c->review_audit - 1);
    c->review_audit[sizeof c->review_audit - 1] = '\0';
    cq_mpw_reset(&w);
    cq_proto_claim_encode(&w, c);
    cq_cur_init(&cur, w.data, w.len);
    cr_assert_eq(cq_proto_claim_decode(&cur, c2), 0);
    cr_assert_eq(strlen(c2->review_audit), CQ_REVIEW_AUDIT_LEN - 1);

    //  its decision, through the wire, the ledger's pack and JSON
    cq_decision_t *d = s_full_decision();
    cq_decision_t *e = malloc(sizeof *e);
    strcpy(d->supersedes_node, "w1");
    d->supersedes_seq = 12;
    snprintf(d->review_audit, sizeof d->review_audit,
             "{\"reviewer\":\"alice\",\"action\":\"corrected\","
             "\"changes\":%s}",
             m->changes);
    cq_mpw_reset(&w);
    cq_proto_decision_encode(&w, d);
    cq_cur_init(&cur, w.data, w.len);
    cr_assert_eq(cq_proto_decision_decode(&cur, e), 0);
    cr_assert_str_eq(e->review_audit, d->review_audit);
    cq_buf_t b;
    cq_buf_init(&b, 1u << 20);
    cr_assert_eq(cq_decision_pack(d, &b), 0);
    cr_assert_eq(cq_decision_unpack(b.data, b.len, e), 0);
    cr_assert_str_eq(e->review_audit, d->review_audit);
    cq_buf_reset(&b);
    cr_assert_eq(cq_decision_to_json(d, &b), 0);
    cr_assert(strstr(b.data, "NEW-VALUE-000000079") != NULL);
    cr_assert_eq(cq_decision_from_json(b.data, b.len, e, NULL), 0);
    cr_assert_str_eq(e->review_audit, d->review_audit);
    cq_buf_free(&b);
    cq_mpw_free(&w);
    free(e);
    free(d);
    free(c2);
    free(c);
    free(back);
    free(m);
}

Test(proto, new_commands_have_names)
{
    const struct {
        int cmd;
        const char *name;
    } names[] = {
        {0x0B, "HISTORY"},      {0x0C, "ORPHANS"},
        {0x0D, "EXTEND"},       {0x0E, "PAUSE"},
        {0x2A, "QUARANTINE"},   {0x2B, "QUARANTINE_REPLY"},
        {0x2C, "SEAL"},         {0x2D, "SEAL_REPLY"},
        {0x2E, "BATCHES"},      {0x2F, "BATCHES_REPLY"},
        {0x30, "ACKS"},         {0x31, "ACKS_REPLY"},
        {0x0F, "DRAIN"},        {0x32, "DRAIN_NODE"},
        {0x33, "DRAIN_REPLY"},  {0x34, "SHARDS"},
        {0x35, "SHARDS_REPLY"}, {0x10, NULL},
        {0x36, "HAVE"},         {0x37, "HAVE_REPLY"},
        {0x38, "REVIEW"},       {0x39, "REVIEW_REPLY"},
        {0x3A, NULL},
    };
    for (size_t i = 0; i < CQ_ARRAY_LEN(names); i++) {
        const char *got = cq_cmd_name(names[i].cmd);
        if (names[i].name == NULL)
            cr_assert_null(got, "0x%02x", names[i].cmd);
        else
            cr_assert_str_eq(got, names[i].name);
    }
}

//  PEER_BEACON's catch-up position and handover round-trip; an older
//  broker's five-field beacon decodes with none (stream 0: a snapshot).
Test(proto, peer_beacon_catch_up_fields)
{
    cq_mpw_t w, x;
    cq_mpw_init(&w);
    cq_mpw_init(&x);
    s_make_peer_beacon(&w);
    cq_msg_peer_beacon_t m;
    cr_assert_eq(cq_proto_peer_beacon_decode(w.data, w.len, &m, NULL), 0);
    cr_assert_eq(m.pos, 42);
    cr_assert_eq(m.stream, 0x5eed);
    cr_assert_eq(m.applied, 40);
    cr_assert_eq(m.compacts, 2);
    cr_assert_eq(m.handover, 1);
    s_array_with(&x, &w, 8, NULL); // (before --promote's handover)
    cr_assert_eq(cq_proto_peer_beacon_decode(x.data, x.len, &m, NULL), 0);
    cr_assert_eq(m.compacts, 2);
    cr_assert_eq(m.handover, 0);
    s_array_with(&x, &w, 5, NULL);
    cr_assert_eq(cq_proto_peer_beacon_decode(x.data, x.len, &m, NULL), 0);
    cr_assert_eq(m.pos, 42);
    cr_assert_eq(m.stream, 0);
    cr_assert_eq(m.applied, 0);
    cr_assert_eq(m.compacts, 0);
    cq_mpw_free(&w);
    cq_mpw_free(&x);
}

//  Each message with appended fields or new: decodes; fails at every
//  strict prefix, with its last needed field missing, and with a byte
//  after the body; skips a trailing field of a newer peer.
Test(proto, new_and_appended_messages_truncated_or_extended)
{
    cq_mpw_t w, x;
    cq_mpw_init(&w);
    cq_mpw_init(&x);
    for (size_t i = 0; i < CQ_ARRAY_LEN(s_msgs); i++) {
        const char *name = s_msgs[i].name;
        uint32_t need = s_msgs[i].fields - s_optional[i];
        s_msgs[i].make(&w);
        cr_assert_eq(s_msgs[i].decode(w.data, w.len, NULL), 0, "%s", name);
        s_prefixes_fail(w.data, w.len, s_msgs[i].decode, name);
        s_array_with(&x, &w, need - 1, NULL);
        cr_assert_eq(s_msgs[i].decode(x.data, x.len, NULL), CQ_EPROTO, "%s",
                     name);
        s_array_with(&x, &w, need, NULL);
        cr_assert_eq(s_msgs[i].decode(x.data, x.len, NULL), 0, "%s", name);
        s_array_with(&x, &w, s_msgs[i].fields, s_nil);
        cr_assert_eq(s_msgs[i].decode(x.data, x.len, NULL), 0, "%s", name);
        cq_mpw_raw(&w, "\xc0", 1);
        cr_assert_eq(s_msgs[i].decode(w.data, w.len, NULL), CQ_EPROTO, "%s",
                     name);
    }
    cq_mpw_free(&w);
    cq_mpw_free(&x);
}

//  Values the table below puts in place of a field (s_arg_*).
static uint64_t s_arg_a, s_arg_b;
static const char *s_arg_s;

static void
s_uint_a(cq_mpw_t *w)
{
    cq_mpw_uint(w, s_arg_a);
}
static void
s_minus_a(cq_mpw_t *w)
{
    cq_mpw_int(w, -(int64_t)s_arg_a);
}
static void
s_str_s(cq_mpw_t *w)
{
    cq_mpw_str(w, s_arg_s);
}
//  a string of a 'x' characters
static void
s_xs_a(cq_mpw_t *w)
{
    char *s = malloc(s_arg_a + 1);
    memset(s, 'x', s_arg_a);
    cq_mpw_strn(w, s, s_arg_a);
    free(s);
}
//  an array header of a, and nothing of its elements
static void
s_count_a(cq_mpw_t *w)
{
    cq_mpw_array(w, (uint32_t)s_arg_a);
}
//  an array of a nils
static void
s_nils_a(cq_mpw_t *w)
{
    cq_mpw_array(w, (uint32_t)s_arg_a);
    for (uint64_t i = 0; i < s_arg_a; i++)
        cq_mpw_nil(w);
}
//  ORPHANS ranges [[a, b]]
static void
s_range_ab(cq_mpw_t *w)
{
    cq_mpw_array(w, 1);
    cq_mpw_array(w, 2);
    cq_mpw_uint(w, s_arg_a);
    cq_mpw_uint(w, s_arg_b);
}
//  QUARANTINE_REPLY items: one item of a fields (8 or fewer), its history
//  b entries with node id s
static void
s_qitem_abs(cq_mpw_t *w)
{
    cq_mpw_array(w, 1);
    cq_mpw_array(w, (uint32_t)s_arg_a);
    const char *strs[] = {"claim:1", "claim", "b1", "C1"};
    for (int i = 0; i < 4; i++)
        cq_mpw_str(w, strs[i]);
    cq_mpw_uint(w, 3);
    cq_mpw_uint(w, 0);
    cq_mpw_str(w, "lost");
    if (s_arg_a < 8)
        return;
    cq_mpw_array(w, (uint32_t)s_arg_b);
    for (uint64_t k = 0; k < s_arg_b; k++) {
        cq_mpw_array(w, 3);
        cq_mpw_uint(w, k);
        cq_mpw_str(w, s_arg_s);
        cq_mpw_str(w, "worker lost");
    }
}
//  HISTORY items: one item whose claim is bad (type 2) or whose decision
//  is nil
static void
s_history_one(cq_mpw_t *w, bool bad_claim)
{
    cq_mpw_t cw, dw;
    cq_mpw_init(&cw);
    cq_mpw_init(&dw);
    if (bad_claim) {
        s_claim_with(&cw, 2, s_type_2);
        s_small_decision(&dw);
    } else {
        s_plain_claim(&cw);
        cq_mpw_nil(&dw);
    }
    cq_mpw_array(w, 1);
    cq_proto_history_add(w, 1, "b1", cw.data, cw.len, dw.data, dw.len);
    cq_mpw_free(&cw);
    cq_mpw_free(&dw);
}
static void
s_history_bad_claim(cq_mpw_t *w)
{
    s_history_one(w, true);
}
static void
s_history_nil_decision(cq_mpw_t *w)
{
    s_history_one(w, false);
}

//  a bin of a bytes
static void
s_bin_a(cq_mpw_t *w)
{
    uint8_t *b = calloc(1, s_arg_a + 1);
    cq_mpw_bin(w, b, s_arg_a);
    free(b);
}
//  a bin32 header of a bytes, and none of them
static void
s_bin_hdr_a(cq_mpw_t *w)
{
    uint8_t h[5] = {0xc6, (uint8_t)(s_arg_a >> 24), (uint8_t)(s_arg_a >> 16),
                    (uint8_t)(s_arg_a >> 8), (uint8_t)s_arg_a};
    cq_mpw_raw(w, h, sizeof h);
}
//  BATCHES_REPLY items: one item of a fields (10 or fewer), batch id s
static void
s_batch_item_as(cq_mpw_t *w)
{
    cq_mpw_array(w, 1);
    cq_mpw_array(w, (uint32_t)s_arg_a);
    cq_mpw_str(w, s_arg_s);
    for (uint64_t i = 1; i < s_arg_a && i < 8; i++)
        cq_mpw_uint(w, i);
    for (uint64_t i = 8; i < s_arg_a; i++)
        cq_mpw_bool(w, true);
}
//  ACKS_REPLY items: one item with a name of b characters and an ack of
//  a bytes
static void
s_ack_item_ab(cq_mpw_t *w)
{
    cq_mpw_array(w, 1);
    cq_mpw_array(w, 3);
    cq_mpw_uint(w, 1);
    uint64_t a = s_arg_a;
    s_arg_a = s_arg_b;
    s_xs_a(w);
    s_arg_a = a;
    s_bin_a(w);
}

//  HAVE digests: one bin of a bytes
static void
s_digest_a(cq_mpw_t *w)
{
    cq_mpw_array(w, 1);
    s_bin_a(w);
}
//  HAVE_REPLY doc_ids: [a], or [-5] with b set
static void
s_id_ab(cq_mpw_t *w)
{
    cq_mpw_array(w, 1);
    if (s_arg_b)
        s_neg(w);
    else
        s_uint_a(w);
}

#define S_ID40 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define S_DATE_NONE_A ((uint64_t)1 << 31) // s_minus_a: CQ_DATE_NONE
#define S_ACK_OVER ((uint64_t)CQ_PROTO_MAX_ACK + 1)

//  A valid body (s_msgs) with one field replaced (alt, with s_arg_* set
//  from a, b, s) or, alt NULL, the fields from `field` on left out.
Test(proto, new_and_appended_fields_are_validated)
{
    struct {
        int msg;
        uint32_t field;
        void (*alt)(cq_mpw_t *);
        int code;
        const char *what;
        uint64_t a, b;
        const char *s;
    } cases[] = {
        {M_READY, 0, s_str_s, CQ_EPROTO, "node_id", 0, 0, "w 1"},
        {M_READY, 1, s_uint_a, CQ_EPROTO, "credit", 0, 0, NULL},
        {M_READY, 1, s_uint_a, CQ_EPROTO, "credit", CQ_PROTO_MAX_CREDIT + 1, 0,
         NULL},
        {M_READY, 5, s_str_s, CQ_EPROTO, "ledger_id", 0, 0, "0123ABCD"},
        {M_READY, 5, s_str_s, CQ_EPROTO, "ledger_id", 0, 0, "01-23"},
        {M_READY, 5, s_xs_a, CQ_ETOOBIG, "ledger_id", CQ_LEDGER_ID_LEN, 0,
         NULL},
        {M_READY, 5, s_int_1, CQ_EPROTO, "ledger_id", 0, 0, NULL},
        {M_READY, 5, s_nul_str, CQ_EPROTO, "ledger_id", 0, 0, NULL},
        {M_READY, 6, s_neg, CQ_EPROTO, "ledger_seq", 0, 0, NULL},
        {M_READY, 6, s_uint_a, CQ_EPROTO, "ledger_seq", UINT64_MAX, 0, NULL},
        {M_READY, 7, s_uint_a, CQ_EPROTO, "resolved_seq", 91, 0, NULL},
        {M_READY, 7, s_str_s, CQ_EPROTO, "resolved_seq", 0, 0, "1"},
        {M_READY, 8, s_uint_a, CQ_EPROTO, "crash_kind", 3, 0, NULL},
        {M_READY, 10, s_neg, CQ_EPROTO, "crash_lease", 0, 0, NULL},
        {M_READY, 5, NULL, CQ_EPROTO, "READY", 0, 0, NULL},
        {M_READY, 8, NULL, CQ_EPROTO, "READY", 0, 0, NULL},
        {M_WELCOME, 4, s_uint_a, CQ_EPROTO, "shards", 0, 0, NULL},
        {M_WELCOME, 4, s_uint_a, CQ_EPROTO, "shards", 65537, 0, NULL},
        {M_WELCOME, 5, s_str_s, CQ_EPROTO, "epoch", 0, 0, "1"},
        {M_WELCOME, 5, s_neg, CQ_EPROTO, "epoch", 0, 0, NULL},
        {M_WELCOME, 3, s_xs_a, CQ_ETOOBIG, "reason", CQ_PROTO_MSG_LEN, 0, NULL},
        {M_WELCOME, 4, NULL, CQ_EPROTO, "WELCOME", 0, 0, NULL},
        {M_HISTORY, 0, s_uint_a, CQ_EPROTO, "shard", 65536, 0, NULL},
        {M_HISTORY, 1, s_neg, CQ_EPROTO, "part", 0, 0, NULL},
        {M_HISTORY, 2, s_int_1, CQ_EPROTO, "last", 0, 0, NULL},
        {M_HISTORY, 3, s_history_bad_claim, CQ_EPROTO, "claim.type", 0, 0,
         NULL},
        {M_HISTORY, 3, s_history_nil_decision, CQ_EPROTO, "decision", 0, 0,
         NULL},
        {M_HISTORY, 3, s_count_a, CQ_ETOOBIG, "items", CQ_PROTO_MAX_ITEMS + 1,
         0, NULL},
        {M_HISTORY, 3, s_count_a, CQ_EPROTO, "items", 10, 0, NULL},
        {M_HISTORY, 3, s_nils_a, CQ_EPROTO, "item", 2, 0, NULL},
        {M_ORPHANS, 0, s_neg, CQ_EPROTO, "upto", 0, 0, NULL},
        {M_ORPHANS, 1, s_range_ab, 0, NULL, 7, 7, NULL},
        {M_ORPHANS, 1, s_range_ab, CQ_EPROTO, "range", 9, 5, NULL},
        {M_ORPHANS, 1, s_range_ab, CQ_EPROTO, "range", 0, 3, NULL},
        {M_ORPHANS, 1, s_range_ab, CQ_EPROTO, "range.to", 1, UINT64_MAX, NULL},
        {M_ORPHANS, 1, s_nils_a, CQ_EPROTO, "range", 1, 0, NULL},
        {M_ORPHANS, 1, s_count_a, CQ_ETOOBIG, "ranges", CQ_PROTO_MAX_RANGES + 1,
         0, NULL},
        {M_ORPHANS, 1, s_count_a, CQ_EPROTO, "ranges", 10, 0, NULL},
        {M_EXTEND, 0, s_count_a, CQ_EPROTO, "leases", 0, 0, NULL},
        {M_EXTEND, 0, s_count_a, CQ_ETOOBIG, "leases", CQ_PROTO_MAX_EXTEND + 1,
         0, NULL},
        {M_EXTEND, 0, s_count_a, CQ_EPROTO, "leases", 10, 0, NULL},
        {M_EXTEND, 0, s_nils_a, CQ_EPROTO, "leases", 1, 0, NULL},
        {M_EXTEND, 0, s_int_1, CQ_EPROTO, "leases", 0, 0, NULL},
        {M_PAUSE, 0, s_xs_a, CQ_ETOOBIG, "reason", CQ_PROTO_MSG_LEN, 0, NULL},
        {M_PAUSE, 0, s_nul_str, CQ_EPROTO, "reason", 0, 0, NULL},
        {M_STATUS_REPLY, 12, s_int_1, CQ_EPROTO, "durable", 0, 0, NULL},
        {M_STATUS_REPLY, 13, s_neg, CQ_EPROTO, "epoch", 0, 0, NULL},
        {M_STATUS_REPLY, 12, NULL, CQ_EPROTO, "STATUS_REPLY", 0, 0, NULL},
        {M_RESULTS, 3, s_uint_a, CQ_EPROTO, "max", 0, 0, NULL},
        {M_RESULTS, 3, s_uint_a, CQ_EPROTO, "max", CQ_PROTO_MAX_ITEMS + 1, 0,
         NULL},
        {M_RESULTS, 5, s_nil, CQ_EPROTO, "watch", 0, 0, NULL},
        {M_RESULTS, 5, NULL, CQ_EPROTO, "RESULTS", 0, 0, NULL},
        {M_QUARANTINE, 1, s_uint_a, CQ_EPROTO, "op", CQ_QOP_RELEASE + 1, 0,
         NULL},
        {M_QUARANTINE, 1, s_neg, CQ_EPROTO, "op", 0, 0, NULL},
        {M_QUARANTINE, 2, s_xs_a, CQ_ETOOBIG, "id", CQ_QID_LEN, 0, NULL},
        {M_QUARANTINE, 2, s_bin_not_str, CQ_EPROTO, "id", 0, 0, NULL},
        {M_QUARANTINE_REPLY, 1, s_minus_a, CQ_EPROTO, "status", 100, 0, NULL},
        {M_QUARANTINE_REPLY, 1, s_uint_a, CQ_EPROTO, "status", 1, 0, NULL},
        {M_QUARANTINE_REPLY, 2, s_xs_a, CQ_ETOOBIG, "message", CQ_PROTO_MSG_LEN,
         0, NULL},
        {M_QUARANTINE_REPLY, 3, s_count_a, CQ_ETOOBIG, "items",
         CQ_PROTO_MAX_QITEMS + 1, 0, NULL},
        //  100 items in 100 bytes: too few for 100 items, refused before
        //  the ~1 MiB they would take is allocated
        {M_QUARANTINE_REPLY, 3, s_nils_a, CQ_EPROTO, "items", 100, 0, NULL},
        {M_QUARANTINE_REPLY, 3, s_nils_a, CQ_EPROTO, "item", 1, 0, NULL},
        {M_QUARANTINE_REPLY, 3, s_qitem_abs, 0, NULL, 8, 1, "w1"},
        {M_QUARANTINE_REPLY, 3, s_qitem_abs, CQ_EPROTO, "item", 7, 0, NULL},
        {M_QUARANTINE_REPLY, 3, s_qitem_abs, CQ_ETOOBIG, "item.hist", 8,
         CQ_PROTO_MAX_QHIST + 1, "w1"},
        {M_QUARANTINE_REPLY, 3, s_qitem_abs, CQ_ETOOBIG, "hist.node_id", 8, 1,
         S_ID40},
        //  issue 9
        {M_WELCOME, 6, s_uint_a, 0, NULL, CQ_WELCOME_NODE_ID, 0, NULL},
        {M_WELCOME, 6, s_uint_a, CQ_EPROTO, "code", CQ_WELCOME_NODE_ID + 1, 0,
         NULL},
        {M_WELCOME, 6, s_neg, CQ_EPROTO, "code", 0, 0, NULL},
        {M_WELCOME, 6, NULL, CQ_EPROTO, "WELCOME", 0, 0, NULL},
        {M_WELCOME_OK, 6, s_uint_a, CQ_EPROTO, "code", CQ_WELCOME_RULES, 0,
         NULL},
        {M_WELCOME_OK, 6, s_uint_a, 0, NULL, CQ_WELCOME_OK, 0, NULL},
        {M_DISCONNECT, 1, s_uint_a, 0, NULL, CQ_DISCONNECT_AGAIN, 0, NULL},
        {M_DISCONNECT, 1, s_uint_a, 0, NULL, CQ_DISCONNECT_PASSIVE, 0, NULL},
        {M_DISCONNECT, 1, s_uint_a, CQ_EPROTO, "code",
         CQ_DISCONNECT_PASSIVE + 1, 0, NULL},
        {M_DISCONNECT, 1, s_neg, CQ_EPROTO, "code", 0, 0, NULL},
        {M_DISCONNECT, 1, s_nil, CQ_EPROTO, "code", 0, 0, NULL},
        {M_DISCONNECT, 0, s_xs_a, CQ_ETOOBIG, "reason", CQ_PROTO_MSG_LEN, 0,
         NULL},
        {M_INTAKE_DONE, 6, s_count_a, CQ_ETOOBIG, "claims",
         CQ_PROTO_MAX_ITEMS + 1, 0, NULL},
        //  3 claims promised, none given: the fields after them are read
        //  as claims, and then they are missing
        {M_INTAKE_DONE, 6, s_count_a, CQ_EPROTO, "refused_sets", 3, 0, NULL},
        {M_INTAKE_DONE, 6, s_count_a, CQ_EPROTO, "claims", 10, 0, NULL},
        {M_INTAKE_DONE, 7, s_uint_a, CQ_EPROTO, "refused_sets",
         (uint64_t)UINT32_MAX + 1, 0, NULL},
        {M_INTAKE_DONE, 7, s_neg, CQ_EPROTO, "refused_sets", 0, 0, NULL},
        {M_INTAKE_DONE, 8, s_uint_a, CQ_EPROTO, "refused_claims",
         (uint64_t)UINT32_MAX + 1, 0, NULL},
        {M_INTAKE_DONE, 9, s_bin_a, 0, NULL, 0, 0, NULL},
        {M_INTAKE_DONE, 9, s_bin_a, 0, NULL, CQ_PROTO_MAX_ACK, 0, NULL},
        {M_INTAKE_DONE, 9, s_bin_a, CQ_ETOOBIG, "ack", S_ACK_OVER, 0, NULL},
        {M_INTAKE_DONE, 9, s_bin_hdr_a, CQ_ETOOBIG, "ack", UINT32_MAX, 0, NULL},
        {M_INTAKE_DONE, 9, s_bin_hdr_a, CQ_EPROTO, "ack", 10, 0, NULL},
        {M_INTAKE_DONE, 9, s_str_s, CQ_EPROTO, "ack", 0, 0, "ISA~"},
        {M_INTAKE_DONE, 9, s_nil, CQ_EPROTO, "ack", 0, 0, NULL},
        {M_INTAKE_DONE, 7, NULL, CQ_EPROTO, "INTAKE_DONE", 0, 0, NULL},
        {M_DOC_DONE, 5, s_neg, CQ_EPROTO, "refused_sets", 0, 0, NULL},
        {M_DOC_DONE, 6, s_uint_a, CQ_EPROTO, "refused_claims",
         (uint64_t)UINT32_MAX + 1, 0, NULL},
        {M_DOC_DONE, 5, NULL, CQ_EPROTO, "DOC_DONE", 0, 0, NULL},
        {M_STATUS_REPLY, 14, s_int_1, CQ_EPROTO, "sealed", 0, 0, NULL},
        {M_STATUS_REPLY, 15, s_nil, CQ_EPROTO, "complete", 0, 0, NULL},
        {M_STATUS_REPLY, 16, s_neg, CQ_EPROTO, "refused_sets", 0, 0, NULL},
        {M_STATUS_REPLY, 17, s_str_s, CQ_EPROTO, "refused_claims", 0, 0, "1"},
        {M_STATUS_REPLY, 18, s_uint_a, CQ_EPROTO, "workers_live",
         (1u << 20) + 1, 0, NULL},
        {M_STATUS_REPLY, 19, s_bad_date, CQ_EPROTO, "received_date", 0, 0,
         NULL},
        {M_STATUS_REPLY, 19, s_uint_a, CQ_EPROTO, "received_date", 84006, 0,
         NULL},
        {M_STATUS_REPLY, 19, s_minus_a, 0, NULL, S_DATE_NONE_A, 0, NULL},
        {M_STATUS_REPLY, 19, s_minus_a, CQ_EPROTO, "received_date",
         S_DATE_NONE_A + 1, 0, NULL},
        {M_STATUS_REPLY, 20, s_int_1, CQ_EPROTO, "received_set", 0, 0, NULL},
        {M_STATUS_REPLY, 14, NULL, CQ_EPROTO, "STATUS_REPLY", 0, 0, NULL},
        {M_SUBMIT, 3, s_bad_date, CQ_EPROTO, "received_date", 0, 0, NULL},
        {M_SUBMIT, 3, s_uint_a, CQ_EPROTO, "received_date", 84006, 0, NULL},
        {M_SUBMIT, 3, s_uint_a, 0, NULL, 84005, 0, NULL},
        {M_SUBMIT, 3, s_minus_a, 0, NULL, S_DATE_NONE_A, 0, NULL},
        {M_SUBMIT, 3, s_nil, CQ_EPROTO, "received_date", 0, 0, NULL},
        {M_SUBMIT, 3, NULL, CQ_EPROTO, "SUBMIT", 0, 0, NULL},
        {M_SEAL, 1, s_xs_a, CQ_ETOOBIG, "batch_id", CQ_BATCH_ID_LEN, 0, NULL},
        {M_SEAL, 1, s_int_1, CQ_EPROTO, "batch_id", 0, 0, NULL},
        {M_SEAL, 2, s_neg, CQ_EPROTO, "docs", 0, 0, NULL},
        {M_SEAL_REPLY, 2, s_minus_a, CQ_EPROTO, "status", 100, 0, NULL},
        {M_SEAL_REPLY, 2, s_uint_a, CQ_EPROTO, "status", 1, 0, NULL},
        {M_SEAL_REPLY, 3, s_xs_a, CQ_ETOOBIG, "message", CQ_PROTO_MSG_LEN, 0,
         NULL},
        {M_SEAL_REPLY, 4, s_neg, CQ_EPROTO, "docs", 0, 0, NULL},
        {M_BATCHES, 1, s_neg, CQ_EPROTO, "since_ms", 0, 0, NULL},
        {M_BATCHES, 0, s_str_s, CQ_EPROTO, "req_id", 0, 0, "1"},
        {M_BATCHES_REPLY, 1, s_neg, CQ_EPROTO, "total", 0, 0, NULL},
        {M_BATCHES_REPLY, 2, s_count_a, CQ_ETOOBIG, "items",
         CQ_PROTO_MAX_BATCHES + 1, 0, NULL},
        //  100 items in 100 bytes: fewer than 100 items' smallest encoding
        //  (11 bytes), refused before they are allocated
        {M_BATCHES_REPLY, 2, s_nils_a, CQ_EPROTO, "items", 100, 0, NULL},
        {M_BATCHES_REPLY, 2, s_count_a, CQ_EPROTO, "items", 1, 0, NULL},
        {M_BATCHES_REPLY, 2, s_batch_item_as, 0, NULL, 10, 0, "b1"},
        {M_BATCHES_REPLY, 2, s_batch_item_as, CQ_EPROTO, "item", 9, 0, "b1"},
        {M_BATCHES_REPLY, 2, s_batch_item_as, CQ_ETOOBIG, "item.batch_id", 10,
         0, S_ID40 S_ID40},
        {M_ACKS, 2, s_neg, CQ_EPROTO, "cursor", 0, 0, NULL},
        {M_ACKS, 1, s_xs_a, CQ_ETOOBIG, "batch_id", CQ_BATCH_ID_LEN, 0, NULL},
        {M_ACKS, 2, NULL, CQ_EPROTO, "ACKS", 0, 0, NULL},
        {M_ACKS_REPLY, 2, s_uint_a, CQ_EPROTO, "status", 1, 0, NULL},
        {M_ACKS_REPLY, 5, s_int_1, CQ_EPROTO, "complete", 0, 0, NULL},
        {M_ACKS_REPLY, 6, s_count_a, CQ_ETOOBIG, "items",
         CQ_PROTO_MAX_ITEMS + 1, 0, NULL},
        {M_ACKS_REPLY, 6, s_nils_a, CQ_EPROTO, "item", 1, 0, NULL},
        {M_ACKS_REPLY, 6, s_ack_item_ab, 0, NULL, CQ_PROTO_MAX_ACK,
         CQ_DOC_NAME_LEN - 1, NULL},
        {M_ACKS_REPLY, 6, s_ack_item_ab, CQ_ETOOBIG, "ack", S_ACK_OVER, 1,
         NULL},
        {M_ACKS_REPLY, 6, s_ack_item_ab, CQ_ETOOBIG, "name", 4, CQ_DOC_NAME_LEN,
         NULL},
        {M_ACKS_REPLY, 6, NULL, CQ_EPROTO, "ACKS_REPLY", 0, 0, NULL},
        //  issue 9: HAVE / HAVE_REPLY
        {M_HAVE, 1, s_str_s, CQ_EPROTO, "batch_id", 0, 0, "b 1"},
        //  the peer link
        {M_PEER_BEACON, 0, s_uint_a, CQ_EPROTO, "state", 3, 0, NULL},
        {M_PEER_BEACON, 1, s_uint_a, CQ_EPROTO, "role", 3, 0, NULL},
        {M_PEER_BEACON, 2, s_neg, CQ_EPROTO, "epoch", 0, 0, NULL},
        {M_PEER_SNAP, 2, s_str_s, CQ_EPROTO, "name", 0, 0, "../x"},
        {M_PEER_SNAP, 2, s_str_s, CQ_EPROTO, "name", 0, 0, ".hidden"},
        {M_PEER_SNAP, 2, s_str_s, CQ_EPROTO, "name", 0, 0, ""},
        {M_PEER_SNAP, 2, s_str_s, CQ_ETOOBIG, "name", 0, 0, S_ID40},
        {M_PEER_SNAP, 3, s_uint_a, CQ_EPROTO, "off", ((uint64_t)1 << 48) + 1, 0,
         NULL},
        {M_PEER_SNAP, 4, s_bin_a, CQ_ETOOBIG, "data", CQ_PEER_MAX_CHUNK + 1, 0,
         NULL},
        {M_PEER_SNAP, 4, s_bin_a, 0, NULL, CQ_PEER_MAX_CHUNK, 0, NULL},
        {M_PEER_GROUP, 1, s_uint_a, CQ_EPROTO, "kind", 2, 0, NULL},
        {M_PEER_GROUP, 3, s_uint_a, CQ_EPROTO, "n", (uint64_t)UINT32_MAX + 1, 0,
         NULL},
        {M_PEER_GROUP, 4, s_nil, CQ_EPROTO, "body", 0, 0, NULL},
        {M_PEER_ACK, 2, s_str_s, CQ_EPROTO, "pos", 0, 0, "x"},
        {M_HAVE, 1, s_xs_a, CQ_ETOOBIG, "batch_id", CQ_BATCH_ID_LEN, 0, NULL},
        {M_HAVE, 2, s_count_a, CQ_EPROTO, "digests", 0, 0, NULL},
        {M_HAVE, 2, s_count_a, CQ_ETOOBIG, "digests", CQ_PROTO_MAX_HAVE + 1, 0,
         NULL},
        //  4,000 digests promised in no bytes: refused before the 125 KiB
        //  they would take is allocated
        {M_HAVE, 2, s_count_a, CQ_EPROTO, "digests", 4000, 0, NULL},
        {M_HAVE, 2, s_digest_a, 0, NULL, CQ_DIGEST_LEN, 0, NULL},
        {M_HAVE, 2, s_digest_a, CQ_EPROTO, "digest", CQ_DIGEST_LEN - 1, 0,
         NULL},
        {M_HAVE, 2, s_digest_a, CQ_ETOOBIG, "digest", CQ_DIGEST_LEN + 1, 0,
         NULL},
        {M_HAVE, 2, s_nils_a, CQ_EPROTO, "digest", 1, 0, NULL},
        {M_HAVE, 2, s_int_1, CQ_EPROTO, "digests", 0, 0, NULL},
        {M_HAVE_REPLY, 2, s_uint_a, CQ_EPROTO, "status", 1, 0, NULL},
        {M_HAVE_REPLY, 2, s_minus_a, 0, NULL, 23, 0, NULL},
        {M_HAVE_REPLY, 3, s_count_a, CQ_ETOOBIG, "doc_ids",
         CQ_PROTO_MAX_HAVE + 1, 0, NULL},
        {M_HAVE_REPLY, 3, s_count_a, CQ_EPROTO, "doc_ids", 10, 0, NULL},
        {M_HAVE_REPLY, 3, s_nils_a, 0, NULL, CQ_PROTO_MAX_HAVE, 0, NULL},
        {M_HAVE_REPLY, 3, s_id_ab, 0, NULL, UINT64_MAX - 1, 0, NULL},
        {M_HAVE_REPLY, 3, s_id_ab, CQ_EPROTO, "doc_id", UINT64_MAX, 0, NULL},
        {M_HAVE_REPLY, 3, s_id_ab, CQ_EPROTO, "doc_id", 0, 1, NULL},
        {M_HAVE_REPLY, 3, NULL, CQ_EPROTO, "HAVE_REPLY", 0, 0, NULL},
    };
    cq_mpw_t w, x;
    cq_mpw_init(&w);
    cq_mpw_init(&x);
    for (size_t i = 0; i < CQ_ARRAY_LEN(cases); i++) {
        s_arg_a = cases[i].a;
        s_arg_b = cases[i].b;
        s_arg_s = cases[i].s;
        s_msgs[cases[i].msg].make(&w);
        s_array_with(&x, &w, cases[i].field, cases[i].alt);
        cq_diag_t diag = {0};
        int rc = s_msgs[cases[i].msg].decode(x.data, x.len, &diag);
        cr_assert_eq(rc, cases[i].code, "case %zu: %d %s", i, rc, diag.msg);
        if (cases[i].what != NULL)
            cr_assert(strstr(diag.msg, cases[i].what) != NULL, "case %zu: %s",
                      i, diag.msg);
    }
    cq_mpw_free(&w);
    cq_mpw_free(&x);
}

//  CQ_PROTO_SEEDS=DIR writes each message of s_msgs (header and body) to
//  DIR/<name>: the seeds in tests/fuzz/corpus/proto/ were made so.
Test(proto, write_fuzz_seeds)
{
    const char *dir = getenv("CQ_PROTO_SEEDS");
    if (dir == NULL)
        cr_skip_test("CQ_PROTO_SEEDS not set");
    cq_mpw_t w;
    cq_mpw_init(&w);
    for (size_t i = 0; i < CQ_ARRAY_LEN(s_msgs); i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, s_msgs[i].name);
        FILE *f = fopen(path, "wb");
        cr_assert_not_null(f, "%s", path);
        uint8_t h[CQ_PROTO_HDR_LEN];
        cq_proto_hdr_encode(s_msgs[i].cmd, h);
        s_msgs[i].make(&w);
        cr_assert_eq(fwrite(h, 1, sizeof h, f), sizeof h);
        cr_assert_eq(fwrite(w.data, 1, w.len, f), w.len);
        cr_assert_eq(fclose(f), 0);
    }
    cq_mpw_free(&w);
}

//  ---- hostile bodies
//  ----------------------------------------------------------

Test(proto, item_count_over_the_cap)
{
    cq_mpw_t w;
    cq_mpw_init(&w);
    cq_mpw_array(&w, 2);
    cq_mpw_uint(&w, 1);
    size_t at = cq_mpw_array_open(&w);
    cq_mpw_array_close(&w, at, CQ_PROTO_MAX_ITEMS + 1);
    cq_msg_adjudicate_t m;
    cq_diag_t diag = {0};
    cr_assert_eq(cq_proto_adjudicate_decode(w.data, w.len, &m, &diag),
                 CQ_ETOOBIG);
    cr_assert(strstr(diag.msg, "items") != NULL, "%s", diag.msg);
    cr_assert_eq(m.items.n, 0);
    //  a count the body cannot hold (4,000 items in 0 bytes)
    cq_mpw_array_close(&w, at, 4000);
    cr_assert_eq(cq_proto_adjudicate_decode(w.data, w.len, &m, NULL),
                 CQ_EPROTO);
    cq_mpw_free(&w);
}

Test(proto, deep_nesting_is_refused_not_recursed)
{
    //  [lease, [[[[[[[[[[...]]]]]]]]]]: arrays 10,000 deep as an item
    size_t depth = 10000;
    uint8_t *b = malloc(depth + 8);
    size_t n = 0;
    b[n++] = 0x92;
    b[n++] = 0x01;
    b[n++] = 0x91;
    for (size_t i = 0; i < depth; i++)
        b[n++] = 0x91;
    b[n++] = 0xc0;
    cq_msg_adjudicate_t m;
    cr_assert_eq(cq_proto_adjudicate_decode(b, n, &m, NULL), CQ_ETOOBIG);
    free(b);
}

Test(proto, maps_ext_and_floats_are_skipped_as_trailing_fields)
{
    //  STATUS [req_id, batch_id, {1: 2.5}, ext, fixext]: a newer peer's
    //  trailing fields of any type
    cq_mpw_t w;
    cq_mpw_init(&w);
    cq_mpw_array(&w, 5);
    cq_mpw_uint(&w, 3);
    cq_mpw_str(&w, "b1");
    msgpack_pack_map(&w.pk, 1);
    msgpack_pack_int(&w.pk, 1);
    msgpack_pack_double(&w.pk, 2.5);
    msgpack_pack_ext(&w.pk, 3, 9);
    msgpack_pack_ext_body(&w.pk, "abc", 3);
    msgpack_pack_ext(&w.pk, 4, 1);
    msgpack_pack_ext_body(&w.pk, "abcd", 4);
    cq_msg_status_t st;
    cr_assert_eq(cq_proto_status_decode(w.data, w.len, &st, NULL), 0);
    cr_assert_eq(st.req_id, 3);
    //  the reserved byte 0xc1 is malformed anywhere
    w.data[w.len - 1] = 0xc1;
    cq_mpw_reset(&w);
    cq_mpw_array(&w, 3);
    cq_mpw_uint(&w, 3);
    cq_mpw_str(&w, "b1");
    cq_mpw_raw(&w, "\xc1", 1);
    cr_assert_eq(cq_proto_status_decode(w.data, w.len, &st, NULL), CQ_EPROTO);
    cq_mpw_free(&w);
}

Test(proto, ids_validated)
{
    cr_assert(cq_proto_batch_id_ok("b-20260302-0001"));
    cr_assert(cq_proto_batch_id_ok("A.b_c:d-1"));
    cr_assert_not(cq_proto_batch_id_ok(""));
    cr_assert_not(cq_proto_batch_id_ok("a/b"));
    cr_assert_not(cq_proto_batch_id_ok("a b"));
    char long_id[80];
    memset(long_id, 'a', 64);
    long_id[64] = 0;
    cr_assert_not(cq_proto_batch_id_ok(long_id));
    cr_assert(cq_proto_node_id_ok("w1"));
    cr_assert_not(cq_proto_node_id_ok("w:1"));
    cr_assert_not(cq_proto_node_id_ok(""));
}

//  ---- wire
//  ---------------------------------------------------------------------

static void
s_part(cq_wire_msg_t *m, const void *p, size_t n)
{
    zmq_msg_init_size(&m->parts[m->n], n);
    memcpy(zmq_msg_data(&m->parts[m->n]), p, n);
    if (n > m->largest)
        m->largest = n;
    m->n++;
}

Test(wire, parse_checks_parts_sizes_and_header)
{
    cq_wire_msg_t *m = malloc(sizeof *m);
    cq_wire_msg_init(m);
    uint8_t h[CQ_PROTO_HDR_LEN];
    cq_proto_hdr_encode(CQ_CMD_STATUS, h);
    m->has_rid = true;
    s_part(m, "\x00\x01\x02\x03\x04", 5);
    s_part(m, h, sizeof h);
    s_part(m, "\x90", 1);
    cr_assert_eq(cq_wire_parse(m, 1024, NULL), 0);
    cr_assert_eq(m->cmd, CQ_CMD_STATUS);
    cr_assert_eq(m->body_len, 1);
    cr_assert_eq(m->first_extra, 3);
    //  a part over the limit
    char big[2000] = {0};
    s_part(m, big, sizeof big);
    cq_diag_t diag = {0};
    cr_assert_eq(cq_wire_parse(m, 1024, &diag), CQ_ETOOBIG);
    cq_wire_msg_close(m);
    //  header without a body
    m->has_rid = false;
    s_part(m, h, sizeof h);
    cr_assert_eq(cq_wire_parse(m, 1024, NULL), CQ_EPROTO);
    cq_wire_msg_close(m);
    //  too many parts were received (the rest were dropped)
    s_part(m, h, sizeof h);
    s_part(m, "\x90", 1);
    m->dropped = 1;
    cr_assert_eq(cq_wire_parse(m, 1024, NULL), CQ_ETOOBIG);
    cq_wire_msg_close(m);
    free(m);
}
