//  test_ocr_review.c: what the review station asks of the OCR module
//  (issue 12): the page kept as a PNG with each field's box on it — on a
//  straight page and on one fed upside down — and a claim rebuilt from
//  values a person typed, validated by the same rules as OCR text.
#include "claim_json.h"
#include "cq_test.h"
#include "mem.h"
#include "ocr.h"
#include "paper.h"

#include <criterion/criterion.h>
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

static cq_ocr_t *
s_ocr(bool keep)
{
    cq_ocr_opts_t o;
    cq_ocr_opts_init(&o);
    o.form_path = cq_test_src("schemas/forms/cms1500.json");
    o.keep_page = keep;
    cq_diag_t d = {0};
    cq_ocr_t *ocr = cq_ocr_new(&o, &d);
    cr_assert_not_null(ocr, "cq_ocr_new: %s", d.msg);
    return ocr;
}

static void
s_claim(cq_claim_t *c)
{
    cq_claim_init(c);
    strcpy(c->claim_id, "PCN-000777");
    strcpy(c->payer_id, "ACME");
    strcpy(c->member.id, "W100000042");
    strcpy(c->member.last_name, "ROE");
    strcpy(c->member.first_name, "RICHARD");
    c->member.birth_date = cq_date_from_ymd(1975, 11, 3);
    c->member.sex = 'M';
    strcpy(c->billing_npi, "1234567893");
    strcpy(c->billing_tax_id, "123456789");
    strcpy(c->billing_name, "SOUTH CLINIC");
    strcpy(c->diagnoses[0], "E11.9");
    c->n_diagnoses = 1;
    c->n_lines = 1;
    cq_line_t *l = &c->lines[0];
    strcpy(l->procedure, "99213");
    l->service_date = cq_date_from_ymd(2026, 2, 20);
    l->service_date_end = CQ_DATE_NONE;
    strcpy(l->place_of_service, "11");
    l->units_milli = 1000;
    l->charge = 12500;
    l->dx_pointers[0] = 1;
    l->n_pointers = 1;
    c->total_charge = 12500;
}

static uint8_t *
s_png(const cq_form_t *f, const cq_claim_t *c, int turn, size_t *len)
{
    cq_paper_opts_t o;
    cq_paper_opts_init(&o);
    o.seed = 11;
    o.turn = turn;
    PIX *pix = NULL;
    cq_diag_t d = {0};
    cr_assert_eq(cq_paper_render(f, c, &o, 0, &pix, &d), 0, "%s", d.msg);
    uint8_t *data = NULL;
    cr_assert_eq(pixWriteMemPng(&data, len, pix, 0), 0);
    pixDestroy(&pix);
    return data;
}

typedef struct {
    cq_claim_t claim;
    int n;
} s_one_t;

static int
s_keep_claim(void *arg, cq_claim_t *c)
{
    s_one_t *x = arg;
    x->claim = *c;
    x->n++;
    return 0;
}

//  The fraction of dark pixels inside a box of a gray image.
static double
s_ink(PIX *g, int x, int y, int w, int h)
{
    size_t dark = 0, all = 0;
    for (int j = y; j < y + h; j++)
        for (int i = x; i < x + w; i++) {
            l_uint32 v = 255;
            pixGetPixel(g, i, j, &v);
            dark += v < 128;
            all++;
        }
    return all ? (double)dark / all : 0;
}

static void
s_boxes_on_ink(int turn)
{
    cq_form_t *f = s_form();
    cq_claim_t truth;
    s_claim(&truth);
    cr_assert_eq(cq_form_fit_claim(f, &truth, NULL), 0);
    size_t len;
    uint8_t *png = s_png(f, &truth, turn, &len);
    cq_ocr_t *ocr = s_ocr(true);
    s_one_t got = {0};
    cq_diag_t d = {0};
    cr_assert_eq(cq_ocr_read(ocr, png, len, s_keep_claim, &got, &d), 1);
    const cq_ocr_page_t *pg = cq_ocr_page(ocr);
    cr_assert(pg->registered);
    cq_buf_t out;
    cq_buf_init(&out, 64u << 20);
    double scale = 0;
    cr_assert_eq(cq_ocr_page_png(ocr, 1200, &out, &scale), 0);
    cr_assert(scale > 0 && scale <= 1.0);
    PIX *img = pixReadMem((const l_uint8 *)out.data, out.len);
    cr_assert_not_null(img);
    cr_assert_leq(pixGetWidth(img), 1200);
    int W = pixGetWidth(img), H = pixGetHeight(img);
    int inked = 0, empty_ok = 0;
    for (size_t i = 0; i < pg->n_fields; i++) {
        const cq_ocr_field_t *r = &pg->fields[i];
        cr_assert_geq(r->box_x, 0, "%s", r->def->name);
        int x = (int)(r->box_x * scale), y = (int)(r->box_y * scale);
        int w = (int)(r->box_w * scale), h = (int)(r->box_h * scale);
        cr_assert(x >= 0 && y >= 0 && x + w <= W + 1 && y + h <= H + 1,
                  "%s: box off the image", r->def->name);
        double ink = s_ink(img, x, y, w, h);
        if (r->status == CQ_OCR_ACCEPTED && !r->blank &&
            r->def->type != CQ_FT_CHECK) {
            cr_assert_gt(ink, 0.01, "%s: no ink in its box (%.3f)",
                         r->def->name, ink);
            inked++;
        } else if (r->blank) {
            empty_ok++;
        }
    }
    cr_assert_geq(inked, 12, "only %d fields with ink in their boxes", inked);
    cr_assert_gt(empty_ok, 0);
    pixDestroy(&img);
    cq_buf_free(&out);
    free(png);
    cq_ocr_destroy(&ocr);
    cq_form_destroy(&f);
}

Test(ocr_review, boxes_lie_on_the_fields_ink, .timeout = 120)
{
    s_boxes_on_ink(0);
}

Test(ocr_review, boxes_lie_on_the_ink_of_a_page_fed_upside_down, .timeout = 120)
{
    s_boxes_on_ink(2);
}

Test(ocr_review, without_keep_page_there_is_no_image, .timeout = 60)
{
    cq_ocr_t *ocr = s_ocr(false);
    cq_buf_t out;
    cq_buf_init(&out, 1u << 20);
    double scale;
    cr_assert_eq(cq_ocr_page_png(ocr, 800, &out, &scale), CQ_ENOTFOUND);
    cq_buf_free(&out);
    cq_ocr_destroy(&ocr);
}

//  A page with no form on it: no boxes, and still an image to key from.
Test(ocr_review, unregistered_page_still_has_an_image, .timeout = 60)
{
    PIX *blank = pixCreate(1700, 2200, 8);
    pixSetAllArbitrary(blank, 255);
    pixSetResolution(blank, 200, 200);
    for (int y = 300; y < 320; y++)
        for (int x = 400; x < 900; x++)
            pixSetPixel(blank, x, y, 0);
    uint8_t *png = NULL;
    size_t len = 0;
    cr_assert_eq(pixWriteMemPng(&png, &len, blank, 0), 0);
    pixDestroy(&blank);
    cq_ocr_t *ocr = s_ocr(true);
    s_one_t got = {0};
    cq_diag_t d = {0};
    cr_assert_eq(cq_ocr_read(ocr, png, len, s_keep_claim, &got, &d), 1);
    const cq_ocr_page_t *pg = cq_ocr_page(ocr);
    cr_assert_not(pg->registered);
    for (size_t i = 0; i < pg->n_fields; i++)
        cr_assert_eq(pg->fields[i].box_x, -1);
    cq_buf_t out;
    cq_buf_init(&out, 64u << 20);
    double scale;
    cr_assert_eq(cq_ocr_page_png(ocr, 850, &out, &scale), 0);
    cr_assert_gt(out.len, 100);
    cq_buf_free(&out);
    free(png);
    cq_ocr_destroy(&ocr);
}

//  The values read from a clean page, typed back by name, give the same
//  claim; a malformed value or a blank required field is refused by name.
Test(ocr_review, typed_values_rebuild_the_claim_by_the_ocr_rules,
     .timeout = 120)
{
    cq_form_t *f = s_form();
    cq_claim_t truth;
    s_claim(&truth);
    cr_assert_eq(cq_form_fit_claim(f, &truth, NULL), 0);
    size_t len;
    uint8_t *png = s_png(f, &truth, 0, &len);
    cq_ocr_t *ocr = s_ocr(false);
    s_one_t got = {0};
    cq_diag_t d = {0};
    cr_assert_eq(cq_ocr_read(ocr, png, len, s_keep_claim, &got, &d), 1);
    cr_assert_eq(got.claim.n_pend, 0, "the clean page pended");
    const cq_ocr_page_t *pg = cq_ocr_page(ocr);
    size_t n = pg->n_fields;
    const char **names = cq_xcalloc(n, sizeof *names);
    char **values = cq_xcalloc(n, sizeof *values);
    for (size_t i = 0; i < n; i++) {
        names[i] = pg->fields[i].def->name;
        values[i] = cq_xstrdup(pg->fields[i].blank ? "" : pg->fields[i].value);
    }
    cq_claim_t typed;
    const char *bad = NULL, *why = NULL;
    cr_assert_eq(cq_ocr_claim_from_values(ocr, names,
                                          (const char *const *)values, n,
                                          &typed, &bad, &why),
                 0, "%s: %s", bad, why);
    cq_buf_t a, b;
    cq_buf_init(&a, 1u << 20);
    cq_buf_init(&b, 1u << 20);
    got.claim.ocr_confidence = 100;
    cr_assert_eq(cq_claim_to_json(&got.claim, &a), 0);
    cr_assert_eq(cq_claim_to_json(&typed, &b), 0);
    cr_assert_str_eq(b.data, a.data);
    cr_assert_eq(typed.n_pend, 0);

    //  letters in a charge: refused, naming the field
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], "line1.charge") == 0) {
            free(values[i]);
            values[i] = cq_xstrdup("12X 00");
        }
    cr_assert_eq(cq_ocr_claim_from_values(ocr, names,
                                          (const char *const *)values, n,
                                          &typed, &bad, &why),
                 CQ_EINVAL);
    cr_assert_str_eq(bad, "line1.charge");
    cr_assert_not_null(why);
    //  a required field left blank
    for (size_t i = 0; i < n; i++) {
        if (strcmp(names[i], "line1.charge") == 0) {
            free(values[i]);
            values[i] = cq_xstrdup(pg->fields[i].value);
        }
        if (strcmp(names[i], "member.id") == 0) {
            free(values[i]);
            values[i] = cq_xstrdup("");
        }
    }
    cr_assert_eq(cq_ocr_claim_from_values(ocr, names,
                                          (const char *const *)values, n,
                                          &typed, &bad, &why),
                 CQ_EINVAL);
    cr_assert_str_eq(bad, "member.id");
    for (size_t i = 0; i < n; i++)
        free(values[i]);
    free(values);
    free(names);
    cq_buf_free(&a);
    cq_buf_free(&b);
    free(png);
    cq_ocr_destroy(&ocr);
    cq_form_destroy(&f);
}
