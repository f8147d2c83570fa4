//  Scanned PDFs into the OCR pipeline (ocr/ocr_pdf.c): pages at the
//  scan's resolution, and hostile PDFs refused before anything is decoded.
#include "cq_test.h"
#include "ocr_int.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <criterion/criterion.h>
#include <leptonica/allheaders.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int pages;
    int w[8], h[8];
    int bad;
    char why[128];
} s_seen_t;

static int
s_page(void *arg, int page, struct Pix *pix, const char *why)
{
    s_seen_t *s = arg;
    if (pix == NULL) {
        s->bad++;
        snprintf(s->why, sizeof s->why, "%s", why ? why : "");
    } else if (s->pages < 8) {
        s->w[s->pages] = pixGetWidth(pix);
        s->h[s->pages] = pixGetHeight(pix);
    }
    s->pages++;
    (void)page;
    return 0;
}

//  claimq gen --paper N --pdf at dpi: the PDF's bytes.
static char *
s_gen_pdf(int n, int dpi, size_t *len)
{
    char out[4200], path[4300], ns[16], ds[16];
    snprintf(out, sizeof out, "%s/g", cq_test_tmpdir());
    snprintf(ns, sizeof ns, "%d", n);
    snprintf(ds, sizeof ds, "%d", dpi);
    char *argv[] = {(char *)cq_test_bin("claimq"),
                    "gen",
                    "--out",
                    out,
                    "--claims",
                    "20",
                    "--members",
                    "20",
                    "--paper",
                    ns,
                    "--pdf",
                    "--dpi",
                    ds,
                    NULL};
    cq_run_t r;
    cr_assert_eq(cq_test_run(argv, NULL, 120, &r), 0);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cq_run_free(&r);
    snprintf(path, sizeof path, "%s/forms/forms.pdf", out);
    char *b = cq_test_read(path, len);
    cr_assert_not_null(b);
    return b;
}

Test(pdf, pages_at_the_scans_own_resolution, .timeout = 120)
{
    size_t len;
    char *b = s_gen_pdf(3, 200, &len);
    cq_ocr_opts_t o;
    cq_ocr_opts_init(&o);
    s_seen_t s = {0};
    cq_diag_t diag = {0};
    int rc = cq_ocr_decode((uint8_t *)b, len, &o, s_page, &s, &diag);
    cr_assert_eq(rc, 3, "%d: %s", rc, diag.msg);
    cr_assert_eq(s.bad, 0, "%s", s.why);
    for (int i = 0; i < 3; i++) {
        //  8.5 x 11 in at 200 dpi, the image's own pixels
        cr_assert_eq(s.w[i], 1700, "page %d: %d wide", i + 1, s.w[i]);
        cr_assert_eq(s.h[i], 2200, "page %d: %d high", i + 1, s.h[i]);
    }
    //  more pages than the cap: refused before any page
    o.max_pages = 2;
    memset(&s, 0, sizeof s);
    memset(&diag, 0, sizeof diag);
    rc = cq_ocr_decode((uint8_t *)b, len, &o, s_page, &s, &diag);
    cr_assert_eq(rc, CQ_ETOOBIG);
    cr_assert_eq(s.pages, 0);
    cr_assert(strstr(diag.msg, "3 pages"), "%s", diag.msg);
    free(b);
}

//  A minimal PDF whose one image declares w x h (its stream is short: it
//  is never decoded, the caps come first).
static char *
s_pdf_image(const char *width, const char *height, size_t *len)
{
    char *b = malloc(2048);
    int n = snprintf(b, 2048,
                     "%%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> "
                     "endobj\n2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 "
                     ">> endobj\n3 0 obj << /Type /Page /Parent 2 0 R "
                     "/MediaBox [0 0 612 792] /Resources << /XObject << /Im0 "
                     "4 0 R >> >> /Contents 5 0 R >> endobj\n4 0 obj << "
                     "/Type /XObject /Subtype /Image /Width %s /Height %s "
                     "/ColorSpace /DeviceGray /BitsPerComponent 8 /Filter "
                     "/FlateDecode /Length 8 >>\nstream\nxxxxxxxx\nendstream "
                     "endobj\n5 0 obj << /Length 30 >>\nstream\nq 612 0 0 792 "
                     "0 0 cm /Im0 Do Q\nendstream endobj\ntrailer << /Root 1 "
                     "0 R >>\n%%%%EOF\n",
                     width, height);
    *len = (size_t)n;
    return b;
}

Test(pdf, an_image_declaring_a_huge_size_is_refused_before_decoding)
{
    size_t len;
    char *b = s_pdf_image("100000", "100000", &len);
    cq_ocr_opts_t o;
    cq_ocr_opts_init(&o);
    s_seen_t s = {0};
    cq_diag_t diag = {0};
    int rc = cq_ocr_decode((uint8_t *)b, len, &o, s_page, &s, &diag);
    cr_assert_eq(rc, CQ_ETOOBIG, "%d: %s", rc, diag.msg);
    cr_assert(strstr(diag.msg, "100000 x 100000"), "%s", diag.msg);
    cr_assert_eq(s.pages, 0);
    free(b);
    b = s_pdf_image("9 0 R", "2200", &len);
    memset(&diag, 0, sizeof diag);
    rc = cq_ocr_decode((uint8_t *)b, len, &o, s_page, &s, &diag);
    cr_assert_eq(rc, CQ_EUNSUPPORTED, "%d: %s", rc, diag.msg);
    cr_assert(strstr(diag.msg, "indirectly"), "%s", diag.msg);
    free(b);
}

Test(pdf, corrupt_and_empty_pdfs_say_so)
{
    const char *junk = "%PDF-1.7\nthis is not a PDF at all, only its first "
                       "line\n";
    cq_ocr_opts_t o;
    cq_ocr_opts_init(&o);
    s_seen_t s = {0};
    cq_diag_t diag = {0};
    int rc = cq_ocr_decode((const uint8_t *)junk, strlen(junk), &o, s_page, &s,
                           &diag);
    cr_assert_lt(rc, 0);
    cr_assert(strstr(diag.msg, "unreadable image"), "%s", diag.msg);
    cr_assert_eq(s.pages, 0);
}

static cairo_status_t
s_write(void *closure, const unsigned char *data, unsigned int n)
{
    FILE *f = closure;
    return fwrite(data, 1, n, f) == n ? CAIRO_STATUS_SUCCESS
                                      : CAIRO_STATUS_WRITE_ERROR;
}

Test(pdf, a_page_without_an_image_is_drawn_at_300_dpi)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/vector.pdf", cq_test_tmpdir());
    FILE *f = fopen(path, "wb");
    cairo_surface_t *s =
        cairo_pdf_surface_create_for_stream(s_write, f, 612, 792);
    cairo_t *cr = cairo_create(s);
    cairo_move_to(cr, 72, 72);
    cairo_show_text(cr, "HEALTH INSURANCE CLAIM FORM");
    cairo_show_page(cr);
    cairo_destroy(cr);
    cairo_surface_finish(s);
    cairo_surface_destroy(s);
    fclose(f);
    size_t len;
    char *b = cq_test_read(path, &len);
    cr_assert_not_null(b);
    cq_ocr_opts_t o;
    cq_ocr_opts_init(&o);
    s_seen_t seen = {0};
    cq_diag_t diag = {0};
    int rc = cq_ocr_decode((uint8_t *)b, len, &o, s_page, &seen, &diag);
    cr_assert_eq(rc, 1, "%d: %s", rc, diag.msg);
    cr_assert_eq(seen.w[0], 2550);
    cr_assert_eq(seen.h[0], 3300);
    free(b);
}

//  fuzz_image found it: 525 bytes naming object 29,999,999 made poppler
//  size its cross-reference table for 30 million objects (1.2 GB, 15 s).
//  Object numbers and /Size beyond what the file can hold are refused
//  before poppler sees the bytes; ordinary numbers still pass.
Test(pdf, object_numbers_beyond_the_file_are_refused_before_poppler)
{
    static const char *const bombs[] = {
        "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        "29999999 0 obj << /Type /Pages /Count 1 >> endobj\n"
        "trailer << /Root 1 0 R >>\n%%EOF\n",
        "%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n"
        "trailer << /Size 4000000000 /Root 1 0 R >>\n%%EOF\n"};
    cq_ocr_opts_t o;
    cq_ocr_opts_init(&o);
    for (int i = 0; i < 2; i++) {
        s_seen_t s = {0};
        cq_diag_t diag = {0};
        int rc = cq_ocr_decode((const uint8_t *)bombs[i], strlen(bombs[i]), &o,
                               s_page, &s, &diag);
        cr_assert_eq(rc, CQ_ETOOBIG, "%d: %s", rc, diag.msg);
        cr_assert(strstr(diag.msg, "more than a file of"), "%s", diag.msg);
        cr_assert_eq(s.pages, 0);
    }
    //  a real one (object numbers 1..5, /Size 6) is read
    size_t len;
    char *b = s_pdf_image("100", "100", &len);
    s_seen_t s = {0};
    cq_diag_t diag = {0};
    int rc = cq_ocr_decode((uint8_t *)b, len, &o, s_page, &s, &diag);
    cr_assert_neq(rc, CQ_ETOOBIG, "%s", diag.msg);
    free(b);
}
