//  test_ocr.c: paper claims (ocr/ocr.h) — validators, a clean form
//  round-trips to its truth, a degraded form matches or pends (never a
//  wrong accepted value), multi-page G4 TIFF, and unreadable input gets a
//  clear reject without a crash. The OCR tests read a few pages only.
#include "claim_json.h"
#include "cq_test.h"
#include "gen.h"
#include "mem.h"
#include "ocr.h"
#include "ocr_int.h"
#include "paper.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <jansson.h>
#include <leptonica/allheaders.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cq_form_t *
s_form(void)
{
    cq_form_t *f = NULL;
    cq_diag_t d = {0};
    cr_assert_eq(
        cq_form_load(cq_test_src("schemas/forms/cms1500.json"), &f, &d), 0,
        "%s", d.msg);
    return f;
}

static const cq_form_field_t *
s_field(const cq_form_t *f, const char *name)
{
    for (size_t i = 0; i < f->n_fields; i++)
        if (strcmp(f->fields[i].name, name) == 0)
            return &f->fields[i];
    cr_assert_fail("no field %s", name);
    return NULL;
}

static cq_ocr_t *
s_ocr(void)
{
    cq_ocr_opts_t o;
    cq_ocr_opts_init(&o);
    o.form_path = cq_test_src("schemas/forms/cms1500.json");
    cq_diag_t d = {0};
    cq_ocr_t *ocr = cq_ocr_new(&o, &d);
    cr_assert_not_null(ocr, "cq_ocr_new: %s", d.msg);
    return ocr;
}

//  ---------------------------------------------------------------------
//  Validators (no Tesseract).

static void
s_expect(const cq_form_t *f, const char *field, const char *raw,
         const char *want)
{
    char v[CQ_OCR_TEXT_LEN];
    const char *why = NULL;
    bool ok = cq_ocr_validate(s_field(f, field), raw, v, sizeof v, &why);
    if (want == NULL) {
        cr_assert(!ok, "%s \"%s\" accepted as \"%s\"", field, raw, v);
        cr_assert_not_null(why);
        cr_assert_str_eq(v, "");
        return;
    }
    cr_assert(ok, "%s \"%s\" refused: %s", field, raw, why ? why : "?");
    cr_assert_str_eq(v, want, "%s \"%s\"", field, raw);
}

Test(ocr, validators_repair_confusions_by_position_and_type)
{
    cq_form_t *f = s_form();
    //  dates: MM DD YY / MM DD CCYY, letters in digit places repaired
    s_expect(f, "line1.service_date", "02 20 26", "2026-02-20");
    s_expect(f, "line1.service_date", "O2 2O 26", "2026-02-20");
    s_expect(f, "line1.service_date", "02.20 Z6", "2026-02-20");
    s_expect(f, "line1.service_date", "13 20 26", NULL); // month 13
    s_expect(f, "line1.service_date", "02 30 26", NULL); // Feb 30
    s_expect(f, "line1.service_date", "02 20 2026", NULL);
    s_expect(f, "member.birth_date", "04 12 198O", "1980-04-12");
    //  money: dollars and cents cells
    s_expect(f, "total_charge", "250 00", "250.00");
    s_expect(f, "total_charge", "1S0 0O", "150.00");
    s_expect(f, "line1.charge", "89 19", "89.19");
    s_expect(f, "line1.charge", "8", NULL);
    s_expect(f, "line1.charge", "12 AX", NULL);
    //  NPI: 10 digits and the Luhn check digit
    s_expect(f, "billing_provider.npi", "1234567893", "1234567893");
    s_expect(f, "billing_provider.npi", "I234567893", "1234567893");
    s_expect(f, "billing_provider.npi", "1234567894", NULL);
    s_expect(f, "billing_provider.npi", "123456789", NULL);
    //  ICD-10: printed without the point
    s_expect(f, "diagnoses.A", "E119", "E11.9");
    s_expect(f, "diagnoses.A", "I1O", "I10");
    s_expect(f, "diagnoses.A", "110", "I10");
    s_expect(f, "diagnoses.A", "S93401A", "S93.401A");
    s_expect(f, "diagnoses.A", "F32A", "F32.A");
    s_expect(f, "diagnoses.A", "U071", NULL); // U is not a chapter letter
    s_expect(f, "diagnoses.A", "E1", NULL);
    //  CPT / HCPCS
    s_expect(f, "line1.procedure", "99213", "99213");
    s_expect(f, "line1.procedure", "99Z13", "99213");
    s_expect(f, "line1.procedure", "$9999", "S9999");
    s_expect(f, "line1.procedure", "D1110", "D1110");
    s_expect(f, "line1.procedure", "0001F", "0001F");
    s_expect(f, "line1.procedure", "9921", NULL);
    s_expect(f, "line1.procedure", "W9999", NULL);
    //  codes, pointers, units
    s_expect(f, "line1.place_of_service", "1l", "11");
    s_expect(f, "line1.place_of_service", "111", NULL);
    s_expect(f, "line1.modifiers", "25 59", "25 59");
    s_expect(f, "line1.modifiers", "25 59 LT RT GT", NULL);
    s_expect(f, "line1.diagnosis_pointers", "A8", "AB");
    s_expect(f, "line1.diagnosis_pointers", "AM", NULL);
    s_expect(f, "line1.diagnosis_pointers", "AA", NULL);
    s_expect(f, "line1.units", "3", "3");
    s_expect(f, "line1.units", "0", NULL);
    s_expect(f, "frequency", "7", "7");
    s_expect(f, "frequency", "3", NULL);
    //  identifiers: a confusable letter between digits is a digit
    s_expect(f, "member.id", "W1000O8919", "W100008919");
    s_expect(f, "member.id", "SOB1234", "SOB1234");
    //  a glyph read twice: a case twin always, a lookalike twin when the
    //  read is otherwise invalid
    s_expect(f, "member.id", "wW100000622", "W100000622");
    s_expect(f, "line1.service_date", "06 O01 26", "2026-06-01");
    s_expect(f, "diagnoses.A", "S$93401A", "S93.401A");
    s_expect(f, "member.id", "W1000", "W1000");
    s_expect(f, "claim_id", "PCN-000123", "PCN-000123");
    s_expect(f, "claim_id", "PCN-", NULL);
    s_expect(f, "billing_provider.tax_id", "99I234567", "991234567");
    s_expect(f, "billing_provider.tax_id", "9912345", NULL);
    //  names: "LAST, FIRST"; digits in a person's name are letters
    s_expect(f, "member.name", "DOE, JANE", "DOE, JANE");
    s_expect(f, "member.name", "D0E, JANE", "DOE, JANE");
    s_expect(f, "member.name", "DOE. JANE", "DOE, JANE");
    s_expect(f, "member.name", "DOE, JANE, Q", "DOE, JANE");
    s_expect(f, "member.name", "DOE JANE", NULL);
    s_expect(f, "member.name", "DOE, J@NE", NULL);
    s_expect(f, "billing_provider.name", "NORTH CLINIC 09", "NORTH CLINIC 09");
    s_expect(f, "billing_provider.name", "NORTH CLINIC O1", "NORTH CLINIC 01");
    s_expect(f, "billing_provider.name", "B2B CLINIC", "B2B CLINIC");
    s_expect(f, "member.id", "", NULL);
    cq_form_destroy(&f);
}

//  ---------------------------------------------------------------------
//  Round trips.

static void
s_claim(cq_claim_t *c)
{
    cq_claim_init(c);
    strcpy(c->claim_id, "PCN-000123");
    strcpy(c->payer_id, "ACME");
    strcpy(c->member.id, "W100000001");
    strcpy(c->member.last_name, "DOE");
    strcpy(c->member.first_name, "JANE");
    c->member.birth_date = cq_date_from_ymd(1980, 4, 12);
    c->member.sex = 'F';
    strcpy(c->billing_npi, "1234567893");
    strcpy(c->billing_tax_id, "123456789");
    strcpy(c->billing_name, "NORTH CLINIC");
    strcpy(c->prior_auth, "PA7788");
    strcpy(c->diagnoses[0], "E11.9");
    strcpy(c->diagnoses[1], "J45.909");
    c->n_diagnoses = 2;
    c->n_lines = 2;
    for (int i = 0; i < 2; i++) {
        cq_line_t *l = &c->lines[i];
        strcpy(l->procedure, i ? "81002" : "99213");
        l->service_date = cq_date_from_ymd(2026, 2, 20);
        l->service_date_end = CQ_DATE_NONE;
        strcpy(l->place_of_service, "11");
        l->units_milli = 1000;
        l->charge = i ? 10000 : 15000;
        l->dx_pointers[0] = 1;
        l->n_pointers = 1;
    }
    c->lines[1].dx_pointers[1] = 2;
    c->lines[1].n_pointers = 2;
    strcpy(c->lines[0].modifiers[0], "25");
    c->lines[0].n_modifiers = 1;
    c->total_charge = 25000;
}

static uint8_t *
s_render_png(const cq_form_t *f, const cq_claim_t *c, const cq_paper_opts_t *o,
             size_t index, size_t *len)
{
    PIX *pix = NULL;
    cq_diag_t d = {0};
    cr_assert_eq(cq_paper_render(f, c, o, index, &pix, &d), 0, "%s", d.msg);
    uint8_t *data = NULL;
    cr_assert_eq(pixWriteMemPng(&data, len, pix, 0), 0);
    pixDestroy(&pix);
    return data;
}

typedef struct {
    cq_ocr_t *ocr;
    cq_claim_t got[4];
    int n;
    int page[4];
    int stop_at; // return this from the callback (0: never)
} s_got_t;

static int
s_collect(void *arg, cq_claim_t *c)
{
    s_got_t *g = arg;
    cr_assert_lt(g->n, 4);
    g->page[g->n] = cq_ocr_page(g->ocr)->page;
    memcpy(&g->got[g->n++], c, sizeof *c);
    return g->stop_at;
}

static char *
s_json(const cq_claim_t *c)
{
    cq_buf_t b;
    cq_buf_init(&b, 1 << 20);
    cr_assert_eq(cq_claim_to_json(c, &b), 0);
    return b.data;
}

//  Fields accepted without pend must hold the truth; returns how many
//  fields were compared.
static int
s_no_wrong_accepted(const cq_ocr_page_t *pg, const cq_claim_t *truth)
{
    int n = 0;
    for (size_t i = 0; i < pg->n_fields; i++) {
        const cq_ocr_field_t *r = &pg->fields[i];
        char want[CQ_FORM_CELL_LEN];
        cq_form_field_value(r->def, truth, want, sizeof want);
        if (r->status == CQ_OCR_PEND)
            continue;
        n++;
        cr_assert_str_eq(r->value, want,
                         "%s accepted (conf %d) as \"%s\", truth \"%s\"",
                         r->def->name, r->conf, r->value, want);
    }
    return n;
}

//  Three reads that disagree (the field pends): the one kept is valid,
//  then the value most reads gave, then the read its validator changed
//  least, then the surest. These are reads of a
//  standard-mode fax (bench ocr, seed 11) where the surest read was the
//  one that needed letters for digits.
Test(ocr, disagreeing_reads_keep_the_one_changed_least)
{
    static const struct {
        const char *raw[3], *value[3];
        bool valid[3];
        int conf[3], want;
    } cases[] = {
        //  "dl" repaired to 01, the right read had a stray comma only
        {{"dl 14 1943", "11, 14 1943", "Al 14 1943"},
         {"1943-01-14", "1943-11-14", ""},
         {true, true, false},
         {73, 71, 66},
         1},
        //  O and Q read for zeros twice; the third read needed nothing
        {{"ROQ59", "ROQ39", "R059"},
         {"R00.59", "R00.39", "R05.9"},
         {true, true, true},
         {55, 29, 45},
         2},
        //  three values, as many changes: the surest
        {{"33490", "38490", "13490"},
         {"33490", "38490", "13490"},
         {true, true, true},
         {75, 82, 95},
         2},
        //  the value two reads gave, however sure the third
        {{"I10", "T10", "110"},
         {"I10", "T10", "I10"},
         {true, true, true},
         {27, 69, 79},
         0},
        //  a valid read beats invalid ones, however sure
        {{"a", "ae", "a"},
         {"", "AE", ""},
         {false, true, false},
         {90, 50, 45},
         1},
    };
    for (size_t k = 0; k < CQ_ARRAY_LEN(cases); k++) {
        cq_ocr_field_t r[3];
        memset(r, 0, sizeof r);
        for (int i = 0; i < 3; i++) {
            snprintf(r[i].raw, sizeof r[i].raw, "%s", cases[k].raw[i]);
            snprintf(r[i].value, sizeof r[i].value, "%s", cases[k].value[i]);
            r[i].valid = cases[k].valid[i];
            r[i].conf = cases[k].conf[i];
        }
        cr_assert_eq(cq_ocr_pick(&r[0], &r[1], &r[2]), &r[cases[k].want],
                     "case %zu", k);
    }
}

Test(ocr, clean_form_round_trips_to_its_truth, .timeout = 60)
{
    cq_form_t *f = s_form();
    cq_claim_t truth;
    s_claim(&truth);
    cr_assert_eq(cq_form_fit_claim(f, &truth, NULL), 0);
    cq_paper_opts_t o;
    cq_paper_opts_init(&o);
    o.seed = 5;
    size_t len;
    uint8_t *png = s_render_png(f, &truth, &o, 0, &len);

    s_got_t g = {.ocr = s_ocr()};
    cq_diag_t d = {0};
    cr_assert_eq(cq_ocr_read(g.ocr, png, len, s_collect, &g, &d), 1);
    cr_assert_eq(g.n, 1);
    cq_claim_t *c = &g.got[0];
    cr_assert_eq(c->source, CQ_SOURCE_OCR);
    cr_assert(!c->invalid);
    const cq_ocr_page_t *pg = cq_ocr_page(g.ocr);
    cr_assert(pg->registered);
    s_no_wrong_accepted(pg, &truth);
    cr_assert_eq(c->n_pend, 0, "a clean form pends (first: %s)",
                 c->n_pend > 0 ? c->pend_fields[0] : "");
    cr_assert_geq(c->ocr_confidence, 80);
    cr_assert_leq(c->ocr_confidence, 100);
    //  the whole claim, as JSON, equals the truth
    truth.source = CQ_SOURCE_OCR;
    truth.ocr_confidence = c->ocr_confidence;
    char *a = s_json(c), *b = s_json(&truth);
    cr_assert_str_eq(a, b);
    free(a);
    free(b);

    //  the `claimq ocr` object is JSON and names every field
    cq_buf_t out;
    cq_buf_init(&out, 1 << 20);
    cr_assert_eq(cq_ocr_page_to_json(g.ocr, c, &out), 0);
    json_error_t je;
    json_t *j = json_loads(out.data, 0, &je);
    cr_assert_not_null(j, "%s", je.text);
    cr_assert_eq(json_array_size(json_object_get(j, "fields")), f->n_fields);
    cr_assert(json_is_true(json_object_get(j, "registered")));
    json_decref(j);
    cq_buf_free(&out);

    free(png);
    cq_ocr_destroy(&g.ocr);
    cq_form_destroy(&f);
}

//  Issue 12: a page scanned upside down or sideways is turned until the
//  form registers (Tesseract's orientation detection guesses first), and
//  read as well as the page the right way up: every field, no pend.
Test(ocr, turned_pages_are_turned_back_and_read, .timeout = 120)
{
    cq_form_t *f = s_form();
    cq_claim_t truth;
    s_claim(&truth);
    cr_assert_eq(cq_form_fit_claim(f, &truth, NULL), 0);
    cq_paper_opts_t o;
    cq_paper_opts_init(&o);
    o.seed = 5;
    PIX *pix = NULL;
    cq_diag_t d = {0};
    cr_assert_eq(cq_paper_render(f, &truth, &o, 0, &pix, &d), 0, "%s", d.msg);
    s_got_t g = {.ocr = s_ocr()};
    truth.source = CQ_SOURCE_OCR;
    for (int turns = 0; turns < 4; turns++) {
        PIX *rot = pixRotateOrth(pix, turns);
        uint8_t *png = NULL;
        size_t len = 0;
        cr_assert_eq(pixWriteMemPng(&png, &len, rot, 0), 0);
        pixDestroy(&rot);
        g.n = 0;
        memset(&d, 0, sizeof d);
        cr_assert_eq(cq_ocr_read(g.ocr, png, len, s_collect, &g, &d), 1);
        free(png);
        cq_claim_t *c = &g.got[0];
        const cq_ocr_page_t *pg = cq_ocr_page(g.ocr);
        cr_assert(pg->registered, "turned %d x 90: not registered", turns);
        //  (the page was turned `turns` quarter turns clockwise; turning
        //  it back is the rest of the circle)
        cr_assert_eq(pg->turned_deg, (4 - turns) % 4 * 90, "turned %d", turns);
        cr_assert_eq(c->n_pend, 0, "turned %d x 90: pends (first: %s)", turns,
                     c->n_pend > 0 ? c->pend_fields[0] : "");
        s_no_wrong_accepted(pg, &truth);
        truth.ocr_confidence = c->ocr_confidence;
        char *a = s_json(c), *b = s_json(&truth);
        cr_assert_str_eq(a, b, "turned %d x 90", turns);
        free(a);
        free(b);
    }
    pixDestroy(&pix);
    cq_ocr_destroy(&g.ocr);
    cq_form_destroy(&f);
}

//  Issue 12: scans that missed the sheet's left and top edges (0.25 in,
//  with a 1.5 degree skew: the frame's left line is gone on some) register
//  from the interior lines; a field the edge cuts is never sure (a 9 whose
//  left half is gone reads as 1), so no claim that does not pend carries a
//  wrong value.
Test(ocr, clipped_scans_register_from_interior_lines, .timeout = 300)
{
    cq_form_t *f = s_form();
    cq_claim_t truth;
    s_claim(&truth);
    cr_assert_eq(cq_form_fit_claim(f, &truth, NULL), 0);
    s_got_t g = {.ocr = s_ocr()};
    int interior = 0;
    for (int seed = 1; seed <= 8; seed++) {
        cq_paper_opts_t o;
        cq_paper_opts_init(&o);
        o.seed = (uint64_t)seed;
        o.dpi = 200;
        o.skew_deg = seed % 2 ? 1.5 : -1.5;
        o.noise = 0.3;
        o.clip_in = 0.25;
        size_t len;
        uint8_t *png = s_render_png(f, &truth, &o, (size_t)seed, &len);
        g.n = 0;
        cq_diag_t d = {0};
        cr_assert_eq(cq_ocr_read(g.ocr, png, len, s_collect, &g, &d), 1);
        free(png);
        const cq_ocr_page_t *pg = cq_ocr_page(g.ocr);
        cr_assert(pg->registered, "seed %d: not registered", seed);
        interior += pg->interior;
        s_no_wrong_accepted(pg, &truth);
    }
    cr_assert_geq(interior, 1, "no page needed the interior lines");
    cq_ocr_destroy(&g.ocr);
    cq_form_destroy(&f);
}

//  Issue 9: the forms `claimq gen --out demo --claims 10000 --members 1000
//  --paper N` renders are clean 300-dpi scans whose every value is right,
//  and they pended for "low confidence" (runs of dotted zeros in member
//  ids, "$9999", a received stamp "07 O01 26"). Rendered exactly as gen
//  renders them (the first claims that fit a form, page index = their
//  position, paper seed = the generator's), none may pend, and each claim
//  read equals its truth, received date (the form's stamp) included.
Test(ocr, issue_9_clean_demo_forms_do_not_pend, .timeout = 180)
{
    cq_form_t *f = s_form();
    cq_gen_opts_t go;
    cq_gen_opts_default(&go);
    go.n_claims = 10000;
    go.n_members = 1000;
    cq_gen_t *gen = cq_gen_new(&go);
    cr_assert_not_null(gen);
    cq_paper_opts_t o;
    cq_paper_opts_init(&o);
    o.seed = go.seed;
    cq_ocr_t *ocr = s_ocr();
    size_t page = 0;
    for (size_t i = 0; page < 4; i++) {
        cq_claim_t truth;
        cq_gen_claim(gen, i, &truth);
        if (cq_form_fit_claim(f, &truth, NULL) != 0)
            continue;
        cr_assert_neq(truth.received_date, CQ_DATE_NONE,
                      "the form carries the received date");
        size_t len;
        uint8_t *png = s_render_png(f, &truth, &o, page, &len);
        s_got_t g = {.ocr = ocr};
        cq_diag_t d = {0};
        cr_assert_eq(cq_ocr_read(ocr, png, len, s_collect, &g, &d), 1);
        const cq_ocr_page_t *pg = cq_ocr_page(ocr);
        cr_assert(!pg->strict, "form %zu: a clean scan read strictly",
                  page + 1);
        s_no_wrong_accepted(pg, &truth);
        for (int k = 0; k < g.got[0].n_pend; k++)
            cr_log_error("form %zu pends: %s", page + 1,
                         g.got[0].pend_fields[k]);
        cr_assert_eq(g.got[0].n_pend, 0, "clean demo form %zu pends", page + 1);
        truth.source = CQ_SOURCE_OCR;
        truth.ocr_confidence = g.got[0].ocr_confidence;
        char *a = s_json(&g.got[0]), *b = s_json(&truth);
        cr_assert_str_eq(a, b);
        free(a);
        free(b);
        free(png);
        page++;
    }
    cq_ocr_destroy(&ocr);
    cq_gen_destroy(&gen);
    cq_form_destroy(&f);
}

Test(ocr, degraded_form_matches_or_pends, .timeout = 60)
{
    cq_form_t *f = s_form();
    cq_gen_opts_t go;
    cq_gen_opts_default(&go);
    go.n_claims = 8;
    cq_gen_t *gen = cq_gen_new(&go);
    cr_assert_not_null(gen);
    cq_ocr_t *ocr = s_ocr();
    cq_paper_opts_t o;
    cq_paper_opts_init(&o);
    o.dpi = 200;
    o.skew_deg = 1.5;
    o.blur = 0.9;
    o.noise = 0.5;
    int compared = 0;
    for (size_t i = 5; i < 7; i++) {
        cq_claim_t truth;
        cq_gen_claim(gen, i, &truth);
        cr_assert_eq(cq_form_fit_claim(f, &truth, NULL), 0);
        size_t len;
        uint8_t *png = s_render_png(f, &truth, &o, i, &len);
        s_got_t g = {.ocr = ocr};
        cq_diag_t d = {0};
        cr_assert_eq(cq_ocr_read(ocr, png, len, s_collect, &g, &d), 1);
        const cq_ocr_page_t *pg = cq_ocr_page(ocr);
        cr_assert_eq(pg->dpi, 200);
        cr_assert(pg->skew_deg < -1.3 && pg->skew_deg > -1.7, "skew %.2f",
                  pg->skew_deg);
        cr_assert(pg->registered);
        compared += s_no_wrong_accepted(pg, &truth);
        //  a claim that does not pend is the truth
        if (g.got[0].n_pend == 0) {
            truth.source = CQ_SOURCE_OCR;
            truth.ocr_confidence = g.got[0].ocr_confidence;
            char *a = s_json(&g.got[0]), *b = s_json(&truth);
            cr_assert_str_eq(a, b);
            free(a);
            free(b);
        } else {
            cr_assert_lt(g.got[0].ocr_confidence, 100);
        }
        free(png);
    }
    cr_assert_gt(compared, 20, "almost everything pended");
    cq_gen_destroy(&gen);
    cq_ocr_destroy(&ocr);
    cq_form_destroy(&f);
}

Test(ocr, g4_tiff_gives_one_claim_per_page, .timeout = 60)
{
    cq_form_t *f = s_form();
    cq_claim_t truth[2];
    s_claim(&truth[0]);
    s_claim(&truth[1]);
    strcpy(truth[1].claim_id, "PCN-000124");
    truth[1].member.sex = 'M';
    truth[1].n_lines = 1;
    truth[1].total_charge = truth[1].lines[0].charge;
    cq_paper_opts_t o;
    cq_paper_opts_init(&o);
    o.dpi = 200;
    o.tiff = true;
    o.skew_deg = 0.8;
    const char *dir = cq_test_tmpdir();
    size_t written = 0;
    cq_diag_t d = {0};
    cr_assert_eq(cq_paper_write_set(dir, f, truth, 2, &o, &written, &d), 0,
                 "%s", d.msg);
    cr_assert_eq(written, 2);
    char path[4200];
    snprintf(path, sizeof path, "%s/forms.tif", dir);
    size_t len;
    char *tif = cq_test_read(path, &len);
    cr_assert_not_null(tif);
    //  the truth file (hidden folder) is a JSON array of both claims
    snprintf(path, sizeof path, "%s/.truth/forms.json", dir);
    char *tj = cq_test_read(path, NULL);
    json_t *arr = json_loads(tj, 0, NULL);
    cr_assert(json_is_array(arr));
    cr_assert_eq(json_array_size(arr), 2);
    json_decref(arr);
    free(tj);

    s_got_t g = {.ocr = s_ocr()};
    cr_assert_eq(cq_ocr_read(g.ocr, (uint8_t *)tif, len, s_collect, &g, &d), 2);
    cr_assert_eq(g.n, 2);
    cr_assert_eq(g.page[0], 1);
    cr_assert_eq(g.page[1], 2);
    for (int i = 0; i < 2; i++) {
        cr_assert(!g.got[i].invalid);
        cr_assert_eq(g.got[i].source, CQ_SOURCE_OCR);
    }
    //  the last page's fields are available after the read
    s_no_wrong_accepted(cq_ocr_page(g.ocr), &truth[1]);
    //  a callback that asks to stop is obeyed
    s_got_t g2 = {.ocr = g.ocr, .stop_at = 7};
    cr_assert_eq(cq_ocr_read(g.ocr, (uint8_t *)tif, len, s_collect, &g2, &d),
                 7);
    cr_assert_eq(g2.n, 1);
    free(tif);
    cq_ocr_destroy(&g.ocr);
    cq_form_destroy(&f);
}

//  ---------------------------------------------------------------------
//  Unreadable input: a clear reject (CO-16 "unreadable image"), no crash.

static void
s_expect_reject(cq_ocr_t *ocr, const uint8_t *b, size_t len, const char *needle)
{
    s_got_t g = {.ocr = ocr};
    cq_diag_t d = {0};
    cr_assert_eq(cq_ocr_read(ocr, b, len, s_collect, &g, &d), 1);
    cr_assert_eq(g.n, 1);
    cq_claim_t *c = &g.got[0];
    cr_assert(c->invalid, "accepted (%s)", needle);
    cr_assert_eq(c->source, CQ_SOURCE_OCR);
    cr_assert_str_eq(c->claim_id, "#1");
    cr_assert_str_eq(c->invalid_rarc, CQ_OCR_RARC);
    cr_assert(strncmp(c->invalid_msg, "unreadable image", 16) == 0, "%s",
              c->invalid_msg);
    cr_assert(strstr(c->invalid_msg, needle) != NULL, "\"%s\" lacks \"%s\"",
              c->invalid_msg, needle);
    cq_diag_t pd = {0};
    cr_assert_lt(cq_ocr_probe(b, len, NULL, &pd), 0);
    cr_assert(strncmp(pd.msg, "unreadable image", 16) == 0, "%s", pd.msg);
}

static uint8_t *
s_png_of(int w, int h, size_t *len)
{
    PIX *p = pixCreate(w, h, 8);
    pixSetAll(p);
    uint8_t *data = NULL;
    cr_assert_eq(pixWriteMemPng(&data, len, p, 0), 0);
    pixDestroy(&p);
    return data;
}

static void
s_put32(uint8_t *p, uint32_t v, bool big)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(big ? v >> (24 - 8 * i) : v >> (8 * i));
}

static void
s_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

//  A little-endian TIFF whose n directories declare w x h pages; the
//  last one points back to the first when loop is set.
static uint8_t *
s_tiff_chain(int n, uint32_t w, uint32_t h, bool loop, size_t *len)
{
    size_t ifd = 2 + 2 * 12 + 4;
    *len = 8 + (size_t)n * ifd;
    uint8_t *b = cq_xcalloc(1, *len);
    memcpy(b, "II*\0", 4);
    s_put32(b + 4, 8, false);
    for (int i = 0; i < n; i++) {
        uint8_t *p = b + 8 + (size_t)i * ifd;
        s_put16(p, 2);
        s_put16(p + 2, 256);
        s_put16(p + 4, 4);
        s_put32(p + 6, 1, false);
        s_put32(p + 10, w, false);
        s_put16(p + 14, 257);
        s_put16(p + 16, 4);
        s_put32(p + 18, 1, false);
        s_put32(p + 22, h, false);
        uint32_t next = i + 1 < n ? (uint32_t)(8 + (size_t)(i + 1) * ifd)
                        : loop    ? 8
                                  : 0;
        s_put32(p + 26, next, false);
    }
    return b;
}

Test(ocr, unreadable_images_are_rejected_clearly, .timeout = 60)
{
    cq_ocr_t *ocr = s_ocr();
    size_t len;

    //  corrupt PNG: a real header, then damaged compressed data
    uint8_t *png = s_png_of(900, 1100, &len);
    cr_assert_geq(cq_ocr_probe(png, len, NULL, NULL), 1);
    for (size_t i = 60; i < len - 20; i += 7)
        png[i] ^= 0x5a;
    s_expect_reject(ocr, png, len, "corrupt PNG");
    s_expect_reject(ocr, png, 40, "corrupt PNG"); // truncated
    free(png);

    //  a 1x1 image
    png = s_png_of(1, 1, &len);
    s_expect_reject(ocr, png, len, "too small");
    free(png);

    //  a strip far taller than a sheet: scaled to the sheet's width it
    //  would pass the pixel cap
    png = s_png_of(600, 11000, &len);
    s_expect_reject(ocr, png, len, "proportions");
    free(png);

    //  a PNG header claiming 100000 x 100000 pixels
    png = s_png_of(600, 600, &len);
    s_put32(png + 16, 100000, true);
    s_put32(png + 20, 100000, true);
    s_expect_reject(ocr, png, len, "over the cap");
    free(png);

    //  a PDF renamed .png
    static const char pdf[] = "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< >>\n"
                              "endobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";
    s_expect_reject(ocr, (const uint8_t *)pdf, sizeof pdf - 1, "PDF");

    //  empty file, and random bytes
    s_expect_reject(ocr, (const uint8_t *)"", 0, "not an image");
    uint8_t rnd[4096];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof rnd; i++) {
        x = x * 1103515245u + 12345u;
        rnd[i] = (uint8_t)(x >> 16);
    }
    rnd[0] = 'Z';
    s_expect_reject(ocr, rnd, sizeof rnd, "not a PNG, JPEG, TIFF or PDF");

    //  corrupt JPEG
    uint8_t jpg[64] = {0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J', 'F', 'I', 'F'};
    memset(jpg + 10, 0xa5, sizeof jpg - 10);
    s_expect_reject(ocr, jpg, sizeof jpg, "JPEG");

    //  corrupt TIFFs: a directory outside the file, a directory loop, too
    //  many pages, a huge declared page, a page with no data
    uint8_t *t = s_tiff_chain(1, 1000, 1000, false, &len);
    s_put32(t + 4, 1u << 30, false);
    s_expect_reject(ocr, t, len, "outside the file");
    free(t);
    t = s_tiff_chain(3, 1000, 1000, true, &len);
    s_expect_reject(ocr, t, len, "loop");
    free(t);
    t = s_tiff_chain(CQ_OCR_MAX_PAGES + 5, 1000, 1000, false, &len);
    s_expect_reject(ocr, t, len, "more than");
    free(t);
    t = s_tiff_chain(2, 1000, 200000, false, &len);
    s_expect_reject(ocr, t, len, "over the cap");
    free(t);
    t = s_tiff_chain(1, 1000, 1000, false, &len);
    s_expect_reject(ocr, t, len, "corrupt TIFF page 1");
    free(t);
    memcpy(rnd, "MM\0+", 4); // BigTIFF
    s_expect_reject(ocr, rnd, sizeof rnd, "BigTIFF");
    cq_ocr_destroy(&ocr);
}

Test(ocr, file_size_cap_is_checked_first)
{
    cq_ocr_opts_t o;
    cq_ocr_opts_init(&o);
    o.max_file_bytes = 100;
    uint8_t buf[200] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    cq_diag_t d = {0};
    cr_assert_eq(cq_ocr_probe(buf, sizeof buf, &o, &d), CQ_ETOOBIG);
    cr_assert(strstr(d.msg, "over the cap") != NULL, "%s", d.msg);
}

Test(ocr, a_page_that_is_no_form_pends, .timeout = 60)
{
    //  a blank letter page decodes, but has no frame and no data
    cq_ocr_t *ocr = s_ocr();
    size_t len;
    uint8_t *png = s_png_of(2550, 3300, &len);
    s_got_t g = {.ocr = ocr};
    cq_diag_t d = {0};
    cr_assert_eq(cq_ocr_read(ocr, png, len, s_collect, &g, &d), 1);
    cq_claim_t *c = &g.got[0];
    cr_assert(!c->invalid);
    cr_assert(!cq_ocr_page(ocr)->registered);
    cr_assert_gt(c->n_pend, 0);
    cr_assert_str_eq(c->pend_fields[0], "form: registration failed");
    cr_assert_str_eq(c->claim_id, "#1");
    cr_assert_eq(c->ocr_confidence, 0);
    cr_assert_eq(cq_ocr_page(ocr)->n_tess_calls, 0);
    free(png);
    cq_ocr_destroy(&ocr);
}

Test(ocr, ensure_env_keeps_an_existing_limit)
{
    //  with OMP_THREAD_LIMIT set (CTest sets it) the call returns at once
    setenv("OMP_THREAD_LIMIT", "1", 1);
    char *argv[] = {"test_ocr", NULL};
    cq_ocr_ensure_env(argv);
    cr_assert_str_eq(getenv("OMP_THREAD_LIMIT"), "1");
}

//  Issue 12: a standard-mode fax (1 bpp G3, 204 dpi across and 98 lines
//  per inch down: pixels twice as tall as wide) is stretched to square
//  pixels by its resolution tags and read; nothing wrong is accepted.
Test(ocr, standard_mode_fax_is_squared_and_read, .timeout = 120)
{
    cq_form_t *f = s_form();
    cq_claim_t truth;
    s_claim(&truth);
    cq_paper_opts_t o;
    cq_paper_opts_init(&o);
    o.dpi = 204;
    o.fax = true;
    o.skew_deg = 0.5;
    const char *dir = cq_test_tmpdir();
    cq_diag_t d = {0};
    size_t written = 0;
    cr_assert_eq(cq_paper_write_set(dir, f, &truth, 1, &o, &written, &d), 0,
                 "%s", d.msg);
    cr_assert_eq(written, 1);
    char path[4200];
    snprintf(path, sizeof path, "%s/forms.tif", dir);
    size_t len;
    char *tif = cq_test_read(path, &len);
    cr_assert_not_null(tif);
    //  as a fax server writes it: 98 lines per inch, tagged so
    PIX *raw = pixReadMemTiff((const l_uint8 *)tif, len, 0);
    cr_assert_not_null(raw);
    l_int32 xres = 0, yres = 0;
    pixGetResolution(raw, &xres, &yres);
    cr_assert_eq(xres, 204);
    cr_assert_eq(yres, 98);
    cr_assert_eq(pixGetDepth(raw), 1);
    cr_assert_lt(pixGetHeight(raw), pixGetWidth(raw));
    pixDestroy(&raw);
    s_got_t g = {.ocr = s_ocr()};
    cr_assert_eq(cq_ocr_read(g.ocr, (uint8_t *)tif, len, s_collect, &g, &d), 1);
    const cq_ocr_page_t *pg = cq_ocr_page(g.ocr);
    //  squared: a letter page's shape again, at 204 dpi
    cr_assert_gt(pg->height, pg->width);
    cr_assert_eq(pg->dpi, 204);
    //  registered or not, nothing wrong is accepted; an unregistered page
    //  pends
    s_no_wrong_accepted(pg, &truth);
    cr_assert(pg->registered || g.got[0].n_pend > 0);
    free(tif);
    cq_ocr_destroy(&g.ocr);
    cq_form_destroy(&f);
}

//  A skewed, noisy fax registers by its grid: its thin rules are
//  staircases of short runs (one 98 lpi row each), which must still be
//  found as lines; nothing wrong is accepted.
Test(ocr, skewed_fax_registers_by_its_rules, .timeout = 120)
{
    cq_form_t *f = s_form();
    cq_claim_t truth;
    s_claim(&truth);
    cq_paper_opts_t o;
    cq_paper_opts_init(&o);
    o.dpi = 204;
    o.fax = true;
    o.skew_deg = 0.9;
    o.noise = 0.2;
    o.blur = 0.5;
    const char *dir = cq_test_tmpdir();
    cq_diag_t d = {0};
    cr_assert_eq(cq_paper_write_set(dir, f, &truth, 1, &o, NULL, &d), 0, "%s",
                 d.msg);
    char path[4200];
    snprintf(path, sizeof path, "%s/forms.tif", dir);
    size_t len;
    char *tif = cq_test_read(path, &len);
    cr_assert_not_null(tif);
    s_got_t g = {.ocr = s_ocr()};
    cr_assert_eq(cq_ocr_read(g.ocr, (uint8_t *)tif, len, s_collect, &g, &d), 1);
    const cq_ocr_page_t *pg = cq_ocr_page(g.ocr);
    cr_assert(pg->registered, "a skewed fax registers");
    cr_assert(pg->strict, "a fax is read strictly");
    s_no_wrong_accepted(pg, &truth);
    free(tif);
    cq_ocr_destroy(&g.ocr);
    cq_form_destroy(&f);
}

//  Issue 12: a colour JPEG at quality 25 (blocks, ringing) registers and
//  nothing wrong is accepted.
Test(ocr, low_quality_jpeg_is_read, .timeout = 120)
{
    cq_form_t *f = s_form();
    cq_claim_t truth;
    s_claim(&truth);
    cq_paper_opts_t o;
    cq_paper_opts_init(&o);
    o.dpi = 200;
    o.jpeg_quality = 25;
    o.skew_deg = 0.5;
    o.noise = 0.2;
    const char *dir = cq_test_tmpdir();
    cq_diag_t d = {0};
    cr_assert_eq(cq_paper_write_set(dir, f, &truth, 1, &o, NULL, &d), 0, "%s",
                 d.msg);
    char path[4200];
    snprintf(path, sizeof path, "%s/form-000001.jpg", dir);
    size_t len;
    char *jpg = cq_test_read(path, &len);
    cr_assert_not_null(jpg);
    cr_assert_eq((uint8_t)jpg[0], 0xff);
    s_got_t g = {.ocr = s_ocr()};
    cr_assert_eq(cq_ocr_read(g.ocr, (uint8_t *)jpg, len, s_collect, &g, &d), 1);
    const cq_ocr_page_t *pg = cq_ocr_page(g.ocr);
    cr_assert(pg->registered);
    int n = s_no_wrong_accepted(pg, &truth);
    cr_assert_geq(n, (int)pg->n_fields * 3 / 4, "only %d fields accepted", n);
    free(jpg);
    cq_ocr_destroy(&g.ocr);
    cq_form_destroy(&f);
}

//  Issue 12: a colour scan whose red form dropped out entirely (only the
//  data on white: no line to register by) registers from the data's own
//  print matrix; the page is strict, and nothing wrong is accepted.
Test(ocr, dropout_scan_registers_from_the_print_matrix, .timeout = 120)
{
    cq_form_t *f = s_form();
    cq_claim_t truth;
    s_claim(&truth);
    cr_assert_eq(cq_form_fit_claim(f, &truth, NULL), 0);
    cq_ocr_t *ocr = s_ocr();
    int matrix = 0;
    for (int seed = 1; seed <= 3; seed++) {
        cq_paper_opts_t o;
        cq_paper_opts_init(&o);
        o.seed = (uint64_t)seed;
        o.no_form = true;
        o.skew_deg = seed == 2 ? 0.5 : 0;
        size_t len;
        uint8_t *png = s_render_png(f, &truth, &o, 0, &len);
        s_got_t g = {.ocr = ocr};
        cq_diag_t d = {0};
        cr_assert_eq(cq_ocr_read(ocr, png, len, s_collect, &g, &d), 1);
        const cq_ocr_page_t *pg = cq_ocr_page(ocr);
        if (pg->registered) {
            cr_assert(pg->matrix, "seed %d: registered, not by the matrix",
                      seed);
            cr_assert(pg->strict);
            matrix++;
        } else {
            cr_assert_gt(g.got[0].n_pend, 0);
        }
        s_no_wrong_accepted(pg, &truth);
        free(png);
    }
    cr_assert_geq(matrix, 2, "only %d of 3 dropout pages registered", matrix);
    cq_ocr_destroy(&ocr);
    cq_form_destroy(&f);
}
