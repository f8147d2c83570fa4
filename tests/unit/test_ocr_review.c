//  test_ocr_review.c: what the review station asks of the OCR module
//  (issue 12): the page kept as a PNG with each field's box on it — on a
//  straight page, one fed upside down, one fed sideways and skewed, and
//  one that does not register — and a claim rebuilt from values a person
//  typed, validated by the same rules as OCR text.
//
//  CQ_TEST_DUMP_DIR=dir writes each page's PNG with the boxes drawn on it
//  (green: accepted, blue: blank, red: pended) to look at.
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

//  The claim printed on a form and scanned with o: a PNG (caller frees).
static uint8_t *
s_png(const cq_form_t *f, const cq_claim_t *c, const cq_paper_opts_t *o,
      size_t *len)
{
    PIX *pix = NULL;
    cq_diag_t d = {0};
    cr_assert_eq(cq_paper_render(f, c, o, 0, &pix, &d), 0, "%s", d.msg);
    uint8_t *data = NULL;
    cr_assert_eq(pixWriteMemPng(&data, len, pix, 0), 0);
    pixDestroy(&pix);
    return data;
}

//  A PNG of a gray page that holds no form (caller frees).
static uint8_t *
s_png_of(PIX *pix, size_t *len)
{
    uint8_t *data = NULL;
    cr_assert_eq(pixWriteMemPng(&data, len, pix, 0), 0);
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

static const cq_ocr_field_t *
s_result(const cq_ocr_page_t *pg, const char *name)
{
    for (size_t i = 0; i < pg->n_fields; i++)
        if (strcmp(pg->fields[i].def->name, name) == 0)
            return &pg->fields[i];
    cr_assert_fail("no field %s", name);
    return NULL;
}

//  A field's box in PNG pixels: scaled out from the kept image's.
typedef struct {
    int x, y, w, h;
} s_rect_t;

static s_rect_t
s_scaled(const cq_ocr_field_t *r, double scale)
{
    s_rect_t b;
    b.x = (int)(r->box_x * scale);
    b.y = (int)(r->box_y * scale);
    b.w = (int)((r->box_x + r->box_w) * scale + 0.999) - b.x;
    b.h = (int)((r->box_y + r->box_h) * scale + 0.999) - b.y;
    return b;
}

//  The fraction of dark pixels inside a box of a gray image, and the
//  mean row of those pixels (-1: none).
static double
s_ink(PIX *g, s_rect_t b, double *mean_y)
{
    size_t dark = 0, all = 0;
    double sy = 0;
    for (int j = b.y; j < b.y + b.h; j++)
        for (int i = b.x; i < b.x + b.w; i++) {
            l_uint32 v = 255;
            pixGetPixel(g, i, j, &v);
            if (v < 128) {
                dark++;
                sy += j;
            }
            all++;
        }
    if (mean_y != NULL)
        *mean_y = dark ? sy / (double)dark : -1;
    return all ? (double)dark / (double)all : 0;
}

//  CQ_TEST_DUMP_DIR: the page with its boxes, to look at.
static void
s_dump(const char *name, PIX *img, const cq_ocr_page_t *pg, double scale)
{
    const char *dir = getenv("CQ_TEST_DUMP_DIR");
    if (dir == NULL || dir[0] == '\0')
        return;
    PIX *rgb = pixConvertTo32(img);
    cr_assert_not_null(rgb);
    for (size_t i = 0; i < pg->n_fields; i++) {
        const cq_ocr_field_t *r = &pg->fields[i];
        if (r->box_x < 0)
            continue;
        s_rect_t s = s_scaled(r, scale);
        BOX *b = boxCreate(s.x, s.y, s.w, s.h);
        l_int32 red = r->status == CQ_OCR_PEND ? 230 : 0;
        l_int32 green = r->status == CQ_OCR_ACCEPTED ? 170 : 0;
        l_int32 blue = r->status == CQ_OCR_BLANK ? 230 : 0;
        pixRenderBoxArb(rgb, b, 2, red, green, blue);
        boxDestroy(&b);
    }
    char path[512];
    snprintf(path, sizeof path, "%s/%s.png", dir, name);
    cr_assert_eq(pixWrite(path, rgb, IFF_PNG), 0, "%s", path);
    pixDestroy(&rgb);
}

//  Reads the claim printed with o, keeps the page, and checks each
//  field's box against the PNG: inside it, on the ink of every field read
//  (the claim id and member id by name), centred on that ink's rows.
static void
s_boxes_on_ink(const char *name, const cq_paper_opts_t *o)
{
    cq_form_t *f = s_form();
    cq_claim_t truth;
    s_claim(&truth);
    cr_assert_eq(cq_form_fit_claim(f, &truth, NULL), 0);
    size_t len;
    uint8_t *png = s_png(f, &truth, o, &len);
    cq_ocr_t *ocr = s_ocr(true);
    s_one_t got = {0};
    cq_diag_t d = {0};
    cr_assert_eq(cq_ocr_read(ocr, png, len, s_keep_claim, &got, &d), 1);
    const cq_ocr_page_t *pg = cq_ocr_page(ocr);
    cr_assert(pg->registered, "%s: not registered", name);
    cr_assert_eq(pg->turned_deg, (4 - o->turn) % 4 * 90, "%s", name);
    cq_buf_t out;
    cq_buf_init(&out, 64u << 20);
    double scale = 0;
    cr_assert_eq(cq_ocr_page_png(ocr, 1200, &out, &scale), 0);
    PIX *img = pixReadMem((const l_uint8 *)out.data, out.len);
    cr_assert_not_null(img);
    cr_assert_eq(pixGetDepth(img), 8, "a gray PNG");
    int W = pixGetWidth(img), H = pixGetHeight(img);
    cr_assert_eq(W, 1200, "%s: %d wide", name, W);
    //  the prepared page is a letter sheet at 300 dpi, turned upright
    cr_assert(H > W, "%s: %dx%d is not upright", name, W, H);
    cr_assert(scale > 0.45 && scale < 0.49, "%s: scale %.4f", name, scale);
    s_dump(name, img, pg, scale);
    int inked = 0;
    for (size_t i = 0; i < pg->n_fields; i++) {
        const cq_ocr_field_t *r = &pg->fields[i];
        cr_assert(r->box_x >= 0 && r->box_y >= 0 && r->box_w > 0 &&
                      r->box_h > 0,
                  "%s: %s has no box", name, r->def->name);
        s_rect_t b = s_scaled(r, scale);
        cr_assert(b.x + b.w <= W && b.y + b.h <= H, "%s: %s: box off the image",
                  name, r->def->name);
        if (r->blank || r->def->type == CQ_FT_CHECK)
            continue;
        //  (a wide zone holds a short value: "ACME" in 31 columns)
        double my = 0, ink = s_ink(img, b, &my);
        cr_assert_gt(ink, 0.008, "%s: %s: no ink in its box (%.3f)", name,
                     r->def->name, ink);
        //  the typed line runs through the box's middle, not its edge
        double mid = b.y + b.h / 2.0;
        cr_assert(my > mid - 0.25 * b.h && my < mid + 0.25 * b.h,
                  "%s: %s: ink at row %.0f, box %d..%d", name, r->def->name, my,
                  b.y, b.y + b.h);
        inked++;
    }
    cr_assert_geq(inked, 14, "%s: only %d fields with ink", name, inked);
    //  the fields whose ink is known: read right from where the box is
    const char *known[][2] = {{"claim_id", "PCN-000777"},
                              {"member.id", "W100000042"},
                              {"member.name", "ROE, RICHARD"}};
    for (size_t k = 0; k < CQ_ARRAY_LEN(known); k++) {
        const cq_ocr_field_t *r = s_result(pg, known[k][0]);
        cr_assert_str_eq(r->value, known[k][1], "%s: %s", name, known[k][0]);
        cr_assert_gt(s_ink(img, s_scaled(r, scale), NULL), 0.04, "%s: %s", name,
                     known[k][0]);
    }
    //  a field left blank on the form: its box holds (almost) no ink
    const cq_ocr_field_t *pa = s_result(pg, "prior_auth");
    cr_assert(pa->blank);
    cr_assert_lt(s_ink(img, s_scaled(pa, scale), NULL), 0.01, "%s", name);
    pixDestroy(&img);
    cq_buf_free(&out);
    free(png);
    cq_ocr_destroy(&ocr);
    cq_form_destroy(&f);
}

Test(ocr_review, boxes_lie_on_the_fields_ink, .timeout = 120)
{
    cq_paper_opts_t o;
    cq_paper_opts_init(&o);
    o.seed = 11;
    s_boxes_on_ink("clean", &o);
}

Test(ocr_review, boxes_lie_on_the_ink_of_a_page_fed_upside_down, .timeout = 120)
{
    cq_paper_opts_t o;
    cq_paper_opts_init(&o);
    o.seed = 14;
    o.turn = 2;
    s_boxes_on_ink("upside_down", &o);
}

//  Sideways and skewed, scanned at 200 dpi: the boxes are on the page as
//  prepared (turned upright, deskewed, scaled to 300 dpi).
Test(ocr_review, boxes_lie_on_the_ink_of_a_page_fed_sideways_and_skewed,
     .timeout = 120)
{
    cq_paper_opts_t o;
    cq_paper_opts_init(&o);
    o.seed = 12;
    o.turn = 1;
    o.skew_deg = 1.5;
    o.dpi = 200;
    s_boxes_on_ink("sideways_skewed", &o);
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

//  Keeping the page changes no result: the same claim, the same fields
//  (boxes too: they are set either way), and no image without it.
Test(ocr_review, keeping_the_page_changes_no_result, .timeout = 120)
{
    cq_form_t *f = s_form();
    cq_claim_t truth;
    s_claim(&truth);
    cr_assert_eq(cq_form_fit_claim(f, &truth, NULL), 0);
    cq_paper_opts_t o;
    cq_paper_opts_init(&o);
    o.seed = 13;
    o.skew_deg = 0.8;
    size_t len;
    uint8_t *png = s_png(f, &truth, &o, &len);
    cq_ocr_t *kept = s_ocr(true), *plain = s_ocr(false);
    s_one_t a = {0}, b = {0};
    cq_diag_t d = {0};
    cr_assert_eq(cq_ocr_read(kept, png, len, s_keep_claim, &a, &d), 1);
    cr_assert_eq(cq_ocr_read(plain, png, len, s_keep_claim, &b, &d), 1);
    cq_buf_t ja, jb;
    cq_buf_init(&ja, 1u << 20);
    cq_buf_init(&jb, 1u << 20);
    cr_assert_eq(cq_claim_to_json(&a.claim, &ja), 0);
    cr_assert_eq(cq_claim_to_json(&b.claim, &jb), 0);
    cr_assert_str_eq(ja.data, jb.data);
    const cq_ocr_page_t *pa = cq_ocr_page(kept), *pb = cq_ocr_page(plain);
    cr_assert(pa->registered && pb->registered);
    cr_assert_eq(pa->n_tess_calls, pb->n_tess_calls);
    for (size_t i = 0; i < pa->n_fields; i++) {
        const cq_ocr_field_t *x = &pa->fields[i], *y = &pb->fields[i];
        cr_assert_str_eq(x->raw, y->raw, "%s", x->def->name);
        cr_assert_str_eq(x->value, y->value, "%s", x->def->name);
        cr_assert_eq(x->conf, y->conf, "%s", x->def->name);
        cr_assert_eq(x->status, y->status, "%s", x->def->name);
        cr_assert(x->box_x >= 0 && x->box_x == y->box_x &&
                      x->box_y == y->box_y && x->box_w == y->box_w &&
                      x->box_h == y->box_h,
                  "%s", x->def->name);
    }
    cq_buf_t out;
    cq_buf_init(&out, 64u << 20);
    double scale = 0;
    cr_assert_eq(cq_ocr_page_png(plain, 800, &out, &scale), CQ_ENOTFOUND);
    //  full size when max_width is 0: the prepared page itself
    cr_assert_eq(cq_ocr_page_png(kept, 0, &out, &scale), 0);
    cr_assert_eq(scale, 1.0);
    PIX *img = pixReadMem((const l_uint8 *)out.data, out.len);
    cr_assert_not_null(img);
    cr_assert_eq(pixGetWidth(img), 2550); // 8.5 in at 300 dpi
    pixDestroy(&img);
    //  never scaled up
    cr_assert_eq(cq_ocr_page_png(kept, 5000, &out, &scale), 0);
    cr_assert_eq(scale, 1.0);
    //  a PNG over the buffer's cap
    cq_buf_t small;
    cq_buf_init(&small, 1000);
    cr_assert_eq(cq_ocr_page_png(kept, 800, &small, &scale), CQ_ETOOBIG);
    cq_buf_free(&small);
    //  the next file cannot be decoded: no page, so no image of one
    static const uint8_t junk[] = "not an image at all";
    s_one_t c = {0};
    cr_assert_eq(cq_ocr_read(kept, junk, sizeof junk, s_keep_claim, &c, &d), 1);
    cr_assert(c.claim.invalid);
    cr_assert_eq(cq_ocr_page_png(kept, 800, &out, &scale), CQ_ENOTFOUND);
    cq_buf_free(&out);
    cq_buf_free(&ja);
    cq_buf_free(&jb);
    free(png);
    cq_ocr_destroy(&kept);
    cq_ocr_destroy(&plain);
    cq_form_destroy(&f);
}

//  A page with no form on it: no boxes, and still an image to key from,
//  the page as decoded.
static void
s_unregistered(const char *name, PIX *page, int max_width)
{
    size_t len = 0;
    uint8_t *png = s_png_of(page, &len);
    cq_ocr_t *ocr = s_ocr(true);
    s_one_t got = {0};
    cq_diag_t d = {0};
    cr_assert_eq(cq_ocr_read(ocr, png, len, s_keep_claim, &got, &d), 1);
    const cq_ocr_page_t *pg = cq_ocr_page(ocr);
    cr_assert_not(pg->registered, "%s", name);
    cr_assert_gt(got.claim.n_pend, 0, "%s", name);
    for (size_t i = 0; i < pg->n_fields; i++) {
        const cq_ocr_field_t *r = &pg->fields[i];
        cr_assert(r->box_x == -1 && r->box_y == -1 && r->box_w == -1 &&
                      r->box_h == -1,
                  "%s: %s", name, r->def->name);
    }
    cq_buf_t out;
    cq_buf_init(&out, 64u << 20);
    double scale = 0;
    cr_assert_eq(cq_ocr_page_png(ocr, max_width, &out, &scale), 0);
    PIX *img = pixReadMem((const l_uint8 *)out.data, out.len);
    cr_assert_not_null(img);
    s_dump(name, img, pg, scale);
    cr_assert_eq(pixGetDepth(img), 8);
    int w = pixGetWidth(page), h = pixGetHeight(page);
    cr_assert_eq(pixGetWidth(img), max_width < w ? max_width : w, "%s", name);
    cr_assert_eq(scale, (double)pixGetWidth(img) / w);
    cr_assert(abs(pixGetHeight(img) - (int)(h * scale + 0.5)) <= 1, "%s", name);
    pixDestroy(&img);
    cq_buf_free(&out);
    free(png);
    cq_ocr_destroy(&ocr);
}

Test(ocr_review, a_blank_page_has_no_boxes_but_an_image, .timeout = 60)
{
    PIX *blank = pixCreate(1700, 2200, 8);
    pixSetAllArbitrary(blank, 255);
    pixSetResolution(blank, 200, 200);
    pixRasterop(blank, 400, 300, 500, 20, PIX_CLR, NULL, 0, 0);
    s_unregistered("blank", blank, 850);
    pixDestroy(&blank);
}

Test(ocr_review, a_page_of_noise_has_no_boxes_but_an_image, .timeout = 120)
{
    //  a colour page of noise (not in the form's proportions either)
    PIX *noise = pixCreate(2000, 2400, 32);
    uint32_t x = 2463534242u; // xorshift32: the same noise each run
    for (int j = 0; j < 2400; j++)
        for (int i = 0; i < 2000; i++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            pixSetPixel(noise, i, j, x & 0xffffff00u);
        }
    s_unregistered("noise", noise, 1200);
    pixDestroy(&noise);
}

//  ---------------------------------------------------------------------
//  Values a person typed.

typedef struct {
    size_t n;
    const char **names;
    char **values;
} s_typed_t;

//  The values of a page read, by name: the canonical values.
static void
s_typed_from(s_typed_t *t, const cq_ocr_page_t *pg)
{
    t->n = pg->n_fields;
    t->names = cq_xcalloc(t->n, sizeof *t->names);
    t->values = cq_xcalloc(t->n, sizeof *t->values);
    for (size_t i = 0; i < t->n; i++) {
        t->names[i] = pg->fields[i].def->name;
        t->values[i] =
            cq_xstrdup(pg->fields[i].blank ? "" : pg->fields[i].value);
    }
}

static void
s_set(s_typed_t *t, const char *name, const char *v)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->names[i], name) == 0) {
            free(t->values[i]);
            t->values[i] = cq_xstrdup(v);
            return;
        }
    cr_assert_fail("no field %s", name);
}

static void
s_typed_free(s_typed_t *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->values[i]);
    free(t->values);
    free(t->names);
}

static int
s_from(const cq_form_t *f, const s_typed_t *t, cq_claim_t *out,
       const char **bad, const char **why)
{
    return cq_ocr_claim_from_values(f, t->names, (const char *const *)t->values,
                                    t->n, out, bad, why);
}

//  A refused value: CQ_EINVAL naming the field, *out untouched.
static void
s_refused(const cq_form_t *f, const s_typed_t *t, const char *field,
          const char *reason)
{
    cq_claim_t out;
    memset(&out, 0x5a, sizeof out);
    const char *bad = NULL, *why = NULL;
    cr_assert_eq(s_from(f, t, &out, &bad, &why), CQ_EINVAL, "%s accepted",
                 field);
    cr_assert_not_null(bad);
    cr_assert_str_eq(bad, field, "(%s: %s)", bad, why);
    cr_assert_not_null(why);
    if (reason != NULL)
        cr_assert_str_eq(why, reason, "%s", field);
    for (size_t i = 0; i < sizeof out; i++)
        cr_assert_eq(((const unsigned char *)&out)[i], 0x5a, "out written");
}

//  The values read from a clean page, typed back by name, give the same
//  claim (and as printed on the form, too); a malformed value, a blank
//  required field or a failed cross-check is refused by name.
Test(ocr_review, typed_values_rebuild_the_claim_by_the_ocr_rules,
     .timeout = 120)
{
    cq_form_t *f = s_form();
    cq_claim_t truth;
    s_claim(&truth);
    cr_assert_eq(cq_form_fit_claim(f, &truth, NULL), 0);
    cq_paper_opts_t o;
    cq_paper_opts_init(&o);
    o.seed = 11;
    size_t len;
    uint8_t *png = s_png(f, &truth, &o, &len);
    cq_ocr_t *ocr = s_ocr(false);
    s_one_t got = {0};
    cq_diag_t d = {0};
    cr_assert_eq(cq_ocr_read(ocr, png, len, s_keep_claim, &got, &d), 1);
    cr_assert_eq(got.claim.n_pend, 0, "the clean page pended");
    const cq_ocr_page_t *pg = cq_ocr_page(ocr);
    s_typed_t t;
    s_typed_from(&t, pg);

    cq_claim_t typed;
    const char *bad = NULL, *why = NULL;
    cr_assert_eq(s_from(f, &t, &typed, &bad, &why), 0, "%s: %s", bad, why);
    cr_assert_null(bad);
    cq_buf_t a, b;
    cq_buf_init(&a, 1u << 20);
    cq_buf_init(&b, 1u << 20);
    got.claim.ocr_confidence = 100;
    cr_assert_eq(cq_claim_to_json(&got.claim, &a), 0);
    cr_assert_eq(cq_claim_to_json(&typed, &b), 0);
    cr_assert_str_eq(b.data, a.data);
    cr_assert_eq(typed.n_pend, 0);
    cr_assert_eq(typed.source, CQ_SOURCE_OCR);
    cr_assert_eq(typed.ocr_confidence, 100);
    //  the OCR context is not touched: the page still reads as it did
    cr_assert_str_eq(s_result(pg, "member.id")->value, "W100000042");

    //  typed as printed on the form, with spaces around, in lower case
    s_typed_t p;
    s_typed_from(&p, pg);
    s_set(&p, "line1.service_date", " 02 20 26 ");
    s_set(&p, "member.birth_date", "11 03 1975");
    s_set(&p, "line1.charge", "125.0 $");
    s_set(&p, "total_charge", "$125.00"); // (not 5125.00)
    s_set(&p, "line1.service_date_end", "02 20 26");
    s_set(&p, "diagnoses.A", "e119");
    s_set(&p, "member.name", "roe, richard");
    cr_assert_eq(s_from(f, &p, &typed, &bad, &why), 0, "%s: %s", bad, why);
    cq_buf_reset(&b);
    cr_assert_eq(cq_claim_to_json(&typed, &b), 0);
    cr_assert_str_eq(b.data, a.data);
    s_typed_free(&p);

    //  only some fields named: the others are blank (here: all of them)
    cr_assert_eq(cq_ocr_claim_from_values(f, NULL, NULL, 0, &typed, &bad, &why),
                 CQ_EINVAL);
    cr_assert_str_eq(bad, "payer_id");
    cr_assert_str_eq(why, "blank");

    //  letters in a charge
    s_set(&t, "line1.charge", "12X.00");
    s_refused(f, &t, "line1.charge", NULL);
    s_set(&t, "line1.charge", "125.00");
    //  an NPI whose check digit is wrong
    s_set(&t, "billing_provider.npi", "1234567894");
    s_refused(f, &t, "billing_provider.npi", "check digit");
    s_set(&t, "billing_provider.npi", "1234567893");
    //  a required field left blank (white space is blank)
    s_set(&t, "member.id", "  ");
    s_refused(f, &t, "member.id", "blank");
    s_set(&t, "member.id", "W100000042");
    //  a total that is not the lines' sum: the first field in template
    //  order that fails is named
    s_set(&t, "total_charge", "126.00");
    s_refused(f, &t, "total_charge", "not the lines' sum");
    s_set(&t, "total_charge", "125.00");
    //  a pointer to a diagnosis that is not there
    s_set(&t, "line1.diagnosis_pointers", "AB");
    s_refused(f, &t, "line1.diagnosis_pointers", "no such diagnosis");
    s_set(&t, "line1.diagnosis_pointers", "A");
    //  not a box of the group; a letter the form cannot carry
    s_set(&t, "member.sex", "X");
    s_refused(f, &t, "member.sex", NULL);
    s_set(&t, "member.sex", "M");
    s_set(&t, "member.name", "M\xc3\x9cLLER, HANS");
    s_refused(f, &t, "member.name", "not plain ASCII");
    s_set(&t, "member.name", "ROE, RICHARD");
    //  all mended: accepted again
    cr_assert_eq(s_from(f, &t, &typed, &bad, &why), 0, "%s: %s", bad, why);
    cq_buf_reset(&b);
    cr_assert_eq(cq_claim_to_json(&typed, &b), 0);
    cr_assert_str_eq(b.data, a.data);

    s_typed_free(&t);
    cq_buf_free(&a);
    cq_buf_free(&b);
    free(png);
    cq_ocr_destroy(&ocr);
    cq_form_destroy(&f);
}
