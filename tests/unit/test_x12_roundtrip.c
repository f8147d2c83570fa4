//  test_x12_roundtrip.c: claims -> 837 (the writer) -> parse -> the same
//  claims, for generated claims (gen.h) and for hand-made ones that use
//  what the generator does not (837I, modifiers, ranges, replacements...).
#include "claim_json.h"
#include "cq_test.h"
#include "engine.h"
#include "gen.h"
#include "x12.h"
#include "x12_fixture.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  The claim as JSON, without what an 837 does not carry (the received
//  date, the source).
static char *
s_json(const cq_claim_t *c)
{
    cq_claim_t tmp = *c;
    tmp.received_date = CQ_DATE_NONE;
    tmp.source = CQ_SOURCE_X12;
    cq_buf_t b;
    cq_buf_init(&b, 1u << 20);
    cr_assert_eq(cq_claim_to_json(&tmp, &b), 0);
    return b.data;
}

static void
s_assert_same(const cq_claim_t *a, const cq_claim_t *b)
{
    char *ja = s_json(a), *jb = s_json(b);
    cr_assert_str_eq(jb, ja);
    cr_assert_not(b->invalid, "%s: %s", b->claim_id, b->invalid_msg);
    free(ja);
    free(jb);
}

static void
s_line(cq_line_t *l, const char *proc, int64_t charge, int32_t day)
{
    memset(l, 0, sizeof *l);
    cq_strlcpy(l->procedure, proc, sizeof l->procedure);
    l->charge = charge;
    l->service_date = day;
    l->service_date_end = CQ_DATE_NONE;
    l->units_milli = 1000;
    cq_strlcpy(l->place_of_service, "11", sizeof l->place_of_service);
}

//  Hand-made claims: [0] professional with everything, [1] institutional,
//  [2] a void of [0].
static void
s_made(cq_claim_t c[3])
{
    int32_t d = cq_date_from_ymd(2026, 2, 20);
    cq_claim_init(&c[0]);
    cq_strlcpy(c[0].claim_id, "PCN-000123", sizeof c[0].claim_id);
    cq_strlcpy(c[0].payer_id, "ACME", sizeof c[0].payer_id);
    c[0].frequency = '7';
    cq_strlcpy(c[0].original_claim_id, "PCN-000100",
               sizeof c[0].original_claim_id);
    cq_strlcpy(c[0].member.id, "W100000001", sizeof c[0].member.id);
    cq_strlcpy(c[0].member.last_name, "O'BRIEN-SMITH",
               sizeof c[0].member.last_name);
    cq_strlcpy(c[0].member.first_name, "JANE", sizeof c[0].member.first_name);
    c[0].member.birth_date = cq_date_from_ymd(1980, 4, 12);
    c[0].member.sex = 'F';
    cq_strlcpy(c[0].billing_npi, "1234567893", sizeof c[0].billing_npi);
    cq_strlcpy(c[0].billing_tax_id, "123456789", sizeof c[0].billing_tax_id);
    cq_strlcpy(c[0].billing_name, "NORTH CLINIC & LAB",
               sizeof c[0].billing_name);
    cq_strlcpy(c[0].prior_auth, "PA-99", sizeof c[0].prior_auth);
    static const char *dx[] = {"E11.9",   "I10",   "Z00.00", "R07.9",
                               "J45.909", "M54.5", "K21.9",  "F41.1",
                               "E78.5",   "N39.0", "R51",    "S72.001A"};
    for (int i = 0; i < 12; i++)
        cq_strlcpy(c[0].diagnoses[i], dx[i], sizeof c[0].diagnoses[0]);
    c[0].n_diagnoses = 12;
    s_line(&c[0].lines[0], "99214", 15000, d);
    cq_strlcpy(c[0].lines[0].modifiers[0], "25", 3);
    cq_strlcpy(c[0].lines[0].modifiers[1], "59", 3);
    cq_strlcpy(c[0].lines[0].modifiers[2], "GT", 3);
    cq_strlcpy(c[0].lines[0].modifiers[3], "XU", 3);
    c[0].lines[0].n_modifiers = 4;
    c[0].lines[0].dx_pointers[0] = 1;
    c[0].lines[0].dx_pointers[1] = 12;
    c[0].lines[0].dx_pointers[2] = 3;
    c[0].lines[0].dx_pointers[3] = 4;
    c[0].lines[0].n_pointers = 4;
    cq_strlcpy(c[0].lines[0].rendering_npi, "1912301953", 11);
    s_line(&c[0].lines[1], "97110", 4550, d);
    c[0].lines[1].service_date_end = d + 3;
    c[0].lines[1].units_milli = 2500;
    cq_strlcpy(c[0].lines[1].place_of_service, "22", 3);
    c[0].lines[1].dx_pointers[0] = 2;
    c[0].lines[1].n_pointers = 1;
    s_line(&c[0].lines[2], "J3490", 1, d + 1);
    c[0].lines[2].dx_pointers[0] = 1;
    c[0].lines[2].n_pointers = 1;
    cq_strlcpy(c[0].lines[2].rendering_npi, "1234567893", 11);
    c[0].n_lines = 3;
    c[0].total_charge = 15000 + 4550 + 1;

    cq_claim_init(&c[1]);
    cq_strlcpy(c[1].claim_id, "UB-1", sizeof c[1].claim_id);
    cq_strlcpy(c[1].payer_id, "ACME", sizeof c[1].payer_id);
    c[1].type = CQ_CLAIM_INSTITUTIONAL;
    c[1].member = c[0].member;
    cq_strlcpy(c[1].billing_npi, "1912301953", sizeof c[1].billing_npi);
    cq_strlcpy(c[1].billing_tax_id, "991234567", sizeof c[1].billing_tax_id);
    cq_strlcpy(c[1].billing_name, "GENERAL HOSPITAL", sizeof c[1].billing_name);
    cq_strlcpy(c[1].diagnoses[0], "R07.9", sizeof c[1].diagnoses[0]);
    cq_strlcpy(c[1].diagnoses[1], "I10", sizeof c[1].diagnoses[0]);
    c[1].n_diagnoses = 2;
    s_line(&c[1].lines[0], "99284", 40000, d);
    cq_strlcpy(c[1].lines[0].revenue_code, "0450", 6);
    c[1].lines[0].place_of_service[0] = '\0';
    s_line(&c[1].lines[1], "", 12345, d);
    cq_strlcpy(c[1].lines[1].revenue_code, "0250", 6);
    c[1].lines[1].place_of_service[0] = '\0';
    c[1].lines[1].service_date_end = d + 2;
    c[1].lines[1].units_milli = 3000;
    c[1].n_lines = 2;
    c[1].total_charge = 52345;

    c[2] = c[0];
    c[2].frequency = '8';
    cq_strlcpy(c[2].claim_id, "PCN-000124", sizeof c[2].claim_id);
    c[2].prior_auth[0] = '\0';
}

static void
s_roundtrip(const cq_claim_t *in, size_t n, const cq_x12_write_opts_t *o,
            cq_x12_report_t *rep)
{
    cq_buf_t doc;
    cq_buf_init(&doc, 256u << 20);
    cr_assert_eq(cq_x12_837_write(in, n, o, &doc), 0);
    xb_claims_t k = {0};
    int got = cq_x12_parse(doc.data, doc.len, xb_collect, &k, rep, NULL);
    cr_assert_eq(got, (int)n);
    cr_assert(cq_x12_report_ok(rep));
    for (size_t i = 0; i < n; i++)
        s_assert_same(&in[i], &k.c[i]);
    xb_claims_free(&k);
    cq_buf_free(&doc);
}

Test(x12_roundtrip, hand_made_claims)
{
    cq_claim_t c[3];
    s_made(c);
    cq_x12_write_opts_t o = {0};
    o.env.date = cq_date_from_ymd(2026, 3, 2);
    cq_x12_report_t rep;
    s_roundtrip(c, 3, &o, &rep);
    //  837P, then 837I (its own group), then 837P again
    cr_assert_eq(rep.n_groups, 3);
    cr_assert_str_eq(rep.groups[1].version, "005010X223A2");
    cr_assert_eq(rep.sets[1].type, CQ_CLAIM_INSTITUTIONAL);
    cr_assert_str_eq(rep.interchanges[0].receiver, "ACME");
    cq_x12_report_free(&rep);
}

Test(x12_roundtrip, generated_claims_many_sets_other_separators)
{
    cq_gen_opts_t go;
    cq_gen_opts_default(&go);
    go.n_claims = 2000;
    go.seed = 7;
    cq_gen_t *g = cq_gen_new(&go);
    cr_assert_not_null(g);
    cq_claim_t *c = cq_xcalloc(go.n_claims, sizeof *c);
    for (size_t i = 0; i < go.n_claims; i++)
        cq_gen_claim(g, i, &c[i]);
    cq_x12_write_opts_t o = {0};
    o.env.date = cq_gen_today(g);
    o.env.hhmm = 930;
    o.env.control = 123456789;
    o.env.seps = (cq_x12_seps_t){'|', '>', '!', '\n'};
    o.claims_per_set = 97;
    o.sets_per_group = 5;
    cq_x12_report_t rep;
    s_roundtrip(c, go.n_claims, &o, &rep);
    cr_assert_eq(rep.n_sets, (go.n_claims + 96) / 97);
    cr_assert_eq(rep.n_groups, (rep.n_sets + 4) / 5);
    cr_assert_str_eq(rep.interchanges[0].control, "123456789");
    cr_assert_eq(rep.interchanges[0].seps.element, '|');
    for (uint32_t i = 0; i < rep.n_sets; i++)
        cr_assert_eq(rep.sets[i].claims, i + 1 < rep.n_sets ? 97 : 2000 % 97);
    cq_x12_report_free(&rep);
    free(c);
    cq_gen_destroy(&g);
}

Test(x12_roundtrip, streaming_writer_counts_and_caps)
{
    cq_claim_t c[3];
    s_made(c);
    cq_buf_t doc;
    cq_buf_init(&doc, 1u << 20);
    cq_diag_t diag = {0};
    cq_x12_write_opts_t o = {0};
    o.env.diag = &diag;
    o.env.date = cq_date_from_ymd(2026, 3, 2);
    cq_x12_837w_t *w = cq_x12_837w_new(&o, &doc);
    cr_assert_eq(cq_x12_837w_add(w, &c[0]), 0);
    //  a delimiter inside a value: that claim is refused, nothing written
    cq_claim_t bad = c[0];
    cq_strlcpy(bad.member.last_name, "DOE*SMITH", sizeof bad.member.last_name);
    size_t before = doc.len;
    cr_assert_eq(cq_x12_837w_add(w, &bad), CQ_EINVAL);
    cr_assert_eq(doc.len, before);
    cr_assert(strstr(diag.msg, "member.last_name"), "%s", diag.msg);
    cr_assert_null(strstr(diag.msg, "SMITH"));
    cr_assert_eq(cq_x12_837w_add(w, &c[2]), 0);
    cr_assert_eq(cq_x12_837w_finish(w), 0);
    cr_assert_eq(cq_x12_837w_count(w), 2);
    cq_x12_837w_destroy(&w);
    cr_assert_null(w);
    cq_x12_report_t rep;
    cr_assert_eq(cq_x12_parse(doc.data, doc.len, NULL, NULL, &rep, NULL), 2);
    cr_assert(cq_x12_report_ok(&rep));
    cq_x12_report_free(&rep);
    cq_buf_free(&doc);
    //  an output cap that is too small
    cq_buf_init(&doc, 300);
    cr_assert_eq(cq_x12_837_write(c, 3, NULL, &doc), CQ_ETOOBIG);
    cq_buf_free(&doc);
    //  no claims: nothing written
    cq_buf_init(&doc, 300);
    cr_assert_eq(cq_x12_837_write(c, 0, NULL, &doc), 0);
    cr_assert_eq(doc.len, 0);
    cq_buf_free(&doc);
}

//  The engine decides the same way whether it gets the claims themselves
//  or the claims read back from their 837 (source aside).
Test(x12_roundtrip, engine_decides_the_same_from_the_837, .timeout = 60)
{
    cq_gen_opts_t go;
    cq_gen_opts_default(&go);
    go.n_claims = 1200;
    go.n_members = 200;
    cq_gen_t *g = cq_gen_new(&go);
    const char *dir = cq_test_tmpdir();
    char plan[512], members[512];
    snprintf(plan, sizeof plan, "%s/plan.json", dir);
    snprintf(members, sizeof members, "%s/members.jsonl", dir);
    FILE *f = fopen(plan, "w");
    cr_assert_eq(cq_gen_write_plan(g, f), 0);
    fclose(f);
    f = fopen(members, "w");
    cr_assert_eq(cq_gen_write_members(g, f), 0);
    fclose(f);
    cq_claim_t *c = cq_xcalloc(go.n_claims, sizeof *c);
    for (size_t i = 0; i < go.n_claims; i++)
        cq_gen_claim(g, i, &c[i]);
    cq_buf_t doc;
    cq_buf_init(&doc, 64u << 20);
    cr_assert_eq(cq_x12_837_write(c, go.n_claims, NULL, &doc), 0);
    xb_claims_t k = {0};
    cr_assert_eq(cq_x12_parse(doc.data, doc.len, xb_collect, &k, NULL, NULL),
                 (int)go.n_claims);
    cq_diag_t diag = {0};
    cq_engine_t *e1 = cq_engine_new(plan, members, &diag);
    cq_engine_t *e2 = cq_engine_new(plan, members, &diag);
    cr_assert(e1 && e2, "%s", diag.msg);
    cq_state_t *s1 = cq_state_new_memory(), *s2 = cq_state_new_memory();
    cq_decision_t *d1 = cq_xmalloc(sizeof *d1), *d2 = cq_xmalloc(sizeof *d2);
    size_t rejects = 0;
    for (size_t i = 0; i < go.n_claims; i++) {
        cr_assert_eq(cq_engine_decide(e1, s1, &c[i], cq_gen_today(g), d1, NULL),
                     0);
        cr_assert_eq(
            cq_engine_decide(e2, s2, &k.c[i], cq_gen_today(g), d2, NULL), 0);
        d1->source = d2->source;
        cq_buf_t j1, j2;
        cq_buf_init(&j1, 1u << 20);
        cq_buf_init(&j2, 1u << 20);
        cq_decision_to_json(d1, &j1);
        cq_decision_to_json(d2, &j2);
        cr_assert_str_eq(j2.data, j1.data);
        rejects += d1->decision == CQ_DECISION_REJECT;
        cq_buf_free(&j1);
        cq_buf_free(&j2);
    }
    cr_assert_gt(rejects, 0);
    free(d1);
    free(d2);
    cq_state_destroy(&s1);
    cq_state_destroy(&s2);
    cq_engine_destroy(&e1);
    cq_engine_destroy(&e2);
    xb_claims_free(&k);
    cq_buf_free(&doc);
    free(c);
    cq_gen_destroy(&g);
}

Test(x12_roundtrip, streaming_with_a_small_buffer)
{
    //  write out the buffer and reset it after every claim, as `claimq gen`
    //  does for big files: the concatenation is one valid interchange
    cq_gen_opts_t go;
    cq_gen_opts_default(&go);
    go.n_claims = 300;
    cq_gen_t *g = cq_gen_new(&go);
    cq_buf_t chunk, all;
    cq_buf_init(&chunk, 64u << 10);
    cq_buf_init(&all, 64u << 20);
    cq_x12_write_opts_t o = {0};
    o.env.date = cq_gen_today(g);
    o.claims_per_set = 50;
    cq_x12_837w_t *w = cq_x12_837w_new(&o, &chunk);
    cq_claim_t c;
    for (size_t i = 0; i < go.n_claims; i++) {
        cq_gen_claim(g, i, &c);
        cr_assert_eq(cq_x12_837w_add(w, &c), 0);
        cq_buf_add(&all, chunk.data, chunk.len);
        cq_buf_reset(&chunk);
    }
    cr_assert_eq(cq_x12_837w_finish(w), 0);
    cq_buf_add(&all, chunk.data, chunk.len);
    cq_x12_837w_destroy(&w);
    cq_x12_report_t rep;
    cr_assert_eq(cq_x12_parse(all.data, all.len, NULL, NULL, &rep, NULL),
                 (int)go.n_claims);
    cr_assert(cq_x12_report_ok(&rep));
    cr_assert_eq(rep.n_sets, 6);
    cq_x12_report_free(&rep);
    cq_buf_free(&chunk);
    cq_buf_free(&all);
    cq_gen_destroy(&g);
}
