//  ocr.h: paper claims — zonal OCR of scanned CMS-1500 forms.
//
//  One context per OCR thread (a TessBaseAPI is not thread-safe):
//
//      cq_ocr_ensure_env(argv);            // first thing in main()
//      cq_ocr_opts_t o;
//      cq_ocr_opts_init(&o);
//      cq_ocr_t *ocr = cq_ocr_new(&o, &diag); // Tesseract Init once
//      cq_ocr_read(ocr, bytes, len, on_claim, arg, &diag); // per document
//      cq_ocr_destroy(&ocr);
//
//  Every page of an image (PNG, JPEG, TIFF with any number of pages up to
//  the cap) is one form and becomes one claim (source CQ_SOURCE_OCR):
//  decode → gray (red form ink dropped) → scale to 300 dpi (upscale below
//  250) → deskew (pixFindSkew) → register to the template by the frame
//  lines → remove form lines → per field: despeckle (specks, and islands
//  such as the dot of a dotted zero), tight zone, Tesseract PSM 7 (read
//  again at other scales when unsure), validation with letter/digit
//  repair, confidence. A field is sure when it validates and either its
//  first read reaches the threshold, or three reads at three scales give
//  the same value; on a page that is not a clean scan (strict) the first
//  read must be very sure, else the three reads must agree. A field that
//  fails validation or is not sure is named in claim.pend_fields (the
//  engine pends the claim); claim.ocr_confidence is the lowest field
//  confidence. A file or page that cannot be decoded (corrupt, not an
//  image, over a cap, not a form) becomes a claim with invalid set and
//  invalid_msg "unreadable image: ..." (the engine rejects it CO-16).
//
//  Tesseract from Debian links OpenMP, which is 4-5x slower here unless
//  OMP_THREAD_LIMIT=1 is in the environment when the process starts
//  (docs/ocr.md); cq_ocr_ensure_env re-executes the program with it.
//
//  ocr/ is a library of its own (libclaimq_ocr): pages in, claims out. It
//  builds on common/ alone and knows no program: the worker links it for
//  intake, claimq for `claimq ocr`, `bench ocr` and the review station
//  (tests/unit/test_layers.c holds it to that). It must not log field
//  values (OCR text is patient data) nor touch sockets, ledgers or the
//  journal.
#ifndef CQ_OCR_H
#define CQ_OCR_H

#include "limit.h"
#include "claim_json.h"
#include "form.h"

#define CQ_OCR_MIN_DIM 500  // a page narrower or lower is no form
#define CQ_OCR_THRESHOLD 80 // default pend threshold (MeanTextConf)
//  Calibration (docs/ocr.md "When a field is sure"), measured on generated
//  forms: clean scans and degraded ones (200 dpi, bitonal, skewed, noisy).
#define CQ_OCR_CLEAN_DPI 250   // a clean scan: at least this resolution,
#define CQ_OCR_CLEAN_SKEW 0.5  // less skew than this (degrees), not 1 bpp
#define CQ_OCR_AGREE_FLOOR 20  // clean: 3 reads that agree, each >= this
#define CQ_OCR_STRICT_SURE 94  // degraded: one read is enough at >= this,
#define CQ_OCR_STRICT_FLOOR 40 // else 3 reads must agree, each >= this
#define CQ_OCR_TEXT_LEN 96     // raw / value text of one field
#define CQ_OCR_RARC "MA130"    // RARC on the CO-16 of unreadable images

typedef struct {
    int threshold;         // accept a field at conf >= threshold (80)
    size_t max_file_bytes; // caps checked before decoding
    uint64_t max_pixels;
    int max_dim;
    int max_pages;
    const char *form_path; // template; NULL: cq_form_load_default
    const char *tessdata;  // Tesseract data dir; NULL: the default
    bool keep_page;        // keep the last page's image for
                           // cq_ocr_page_png (the review station;
                           // default false: costs nothing)
} cq_ocr_opts_t;

void cq_ocr_opts_init(cq_ocr_opts_t *o);

typedef enum {
    CQ_OCR_ACCEPTED = 0, // valid and confident (or blank and optional)
    CQ_OCR_BLANK = 1,    // no ink in the zone (optional field)
    CQ_OCR_PEND = 2,     // a person must look: see reason
} cq_ocr_status_t;

//  One field's result. raw and value are patient data: never log them.
typedef struct {
    const cq_form_field_t *def;  // the template field (name, box, type)
    char raw[CQ_OCR_TEXT_LEN];   // Tesseract's text, whitespace-normalised
    char value[CQ_OCR_TEXT_LEN]; // canonical value after validation and
                                 // repair (cq_form_field_value format),
                                 // "" when blank or invalid
    int conf;                    // 0..100; -1 when blank
    bool blank;                  // no ink found in the zone
    bool valid;                  // value passed its validator
    bool agreed;                 // three reads at three scales gave this
                                 // value: sure whatever conf says
    int reads;                   // Tesseract reads of this field
    cq_ocr_status_t status;
    const char *reason; // static text when pended, else NULL
    //  the field's zone in the kept page image's pixels (the prepared
    //  page: 300 dpi, deskewed, turned; see cq_ocr_page_png): its cells,
    //  a checkbox group all its boxes, with a margin of about 0.04 in.
    //  Set whether or not the page is kept; all -1 when the page did not
    //  register (or the zone is off the page)
    int box_x, box_y, box_w, box_h;
} cq_ocr_field_t;

//  The last page read (valid during the claim callback and until the next
//  cq_ocr_read or cq_ocr_destroy).
typedef struct {
    int page;               // 1-based page number in the file
    int width, height;      // decoded pixels
    int dpi;                // estimated from the page width
    double skew_deg;        // skew found (and corrected)
    bool strict;            // not a clean scan (below CQ_OCR_CLEAN_DPI,
                            // bitonal or skewed): one read is taken only
                            // when very sure, else three must agree
    double skew_conf;       // pixFindSkew confidence
    bool registered;        // frame found and inner lines agree, or
                            // (interior) the interior lines fit
    bool interior;          // registered from the interior lines (the
                            // frame not whole: an edge not scanned)
    bool matrix;            // registered from the data's print matrix
                            // (no form lines on the page: the red form
                            // dropped out); such a page is strict
    int turned_deg;         // 0, 90, 180, 270: the page was turned this
                            // far (clockwise) to read it
    double reg_residual_px; // mean inner-line misfit at 300 dpi
    cq_ocr_field_t *fields; // one per template field, in template order
    size_t n_fields;
    int n_tess_calls; // Tesseract recognitions on this page
    double ms_decode; // wall time of each stage
    double ms_prep;
    double ms_fields;
} cq_ocr_page_t;

typedef struct cq_ocr cq_ocr_t;

//  Creates an OCR context: loads the form template and initialises
//  Tesseract (eng, LSTM) once. Returns NULL with diag set (a setup error:
//  no template, no traineddata).
cq_ocr_t *cq_ocr_new(const cq_ocr_opts_t *o, cq_diag_t *diag);
void cq_ocr_destroy(cq_ocr_t **self_p);
const cq_form_t *cq_ocr_form(const cq_ocr_t *self);

//  Reads every page of an image into a claim passed to fn (c is valid
//  during the call; fn may call cq_ocr_page). Returns the number of claims
//  passed (>= 1: an unreadable file still yields one invalid claim
//  "#1"), or fn's nonzero return value.
int cq_ocr_read(cq_ocr_t *self, const uint8_t *bytes, size_t len,
                cq_claim_fn *fn, void *arg, cq_diag_t *diag);
//  The page being reported (inside fn) or last read.
const cq_ocr_page_t *cq_ocr_page(const cq_ocr_t *self);

//  Checks an image's caps and decodes every page without OCR (the fuzz
//  target and `claimq check` use it). Returns the number of pages, or
//  CQ_EPROTO / CQ_ETOOBIG / CQ_EUNSUPPORTED with diag->msg saying why
//  ("unreadable image: ...").
int cq_ocr_probe(const uint8_t *bytes, size_t len, const cq_ocr_opts_t *o,
                 cq_diag_t *diag);

//  Validates one field's OCR text: normalises, repairs letter/digit
//  confusions by position and type, checks shape and checksum. Writes the
//  canonical value (cq_form_field_value's format) and returns true, or
//  returns false with *why set to a static reason.
bool cq_ocr_validate(const cq_form_field_t *f, const char *raw, char *value,
                     size_t size, const char **why);

//  Appends the `claimq ocr` debugging object for the last page:
//  {"page":1,"confidence":..,"pend":[..],"fields":[{..}],..}. It holds
//  OCR text: print it for the user, never log it.
int cq_ocr_page_to_json(const cq_ocr_t *self, const cq_claim_t *c,
                        cq_buf_t *out);

//  The last page read (with opts.keep_page) as a PNG: the prepared page
//  (deskewed and turned, 300 dpi, gray) when it registered, else the page
//  as decoded (gray), scaled down so it is at most max_width pixels wide
//  (never up; max_width <= 0: full size). *scale: PNG pixels per
//  kept-image pixel (multiply box_* by it). out is reset and holds the
//  PNG. The page kept is the one cq_ocr_page reports: a page that could
//  not be decoded keeps none. Returns 0, CQ_ENOTFOUND (no page kept),
//  CQ_ETOOBIG (the PNG is over out's cap) or CQ_EIO (Leptonica could not
//  scale or encode it: out of memory).
int cq_ocr_page_png(cq_ocr_t *self, int max_width, cq_buf_t *out,
                    double *scale);

//  Builds a claim from field values a person typed, by template field
//  name (cq_form_field_t.name: "member.id", "line1.charge"; fields not
//  named, or named with an empty or NULL value, are blank; of two entries
//  with one name the first counts). Each non-empty value is validated
//  exactly as OCR text is (cq_ocr_validate, letter/digit repair included;
//  the canonical value is used), so it may be typed as the reader reports
//  it ("2026-02-20", "125.00", "E11.9") or as printed on the form
//  ("02 20 26", "125 00", "E119"); money also as people write it
//  ("$125.5" is 125.50), but mind that without a point, as on the form,
//  the last two digits are the cents ("125" is 1.25). A value of
//  CQ_OCR_TEXT_LEN bytes or more, or with a byte outside printable ASCII,
//  fails. The claim is assembled by the page's rules (required fields,
//  the total is the lines' sum, pointers name diagnoses...): source
//  CQ_SOURCE_OCR, ocr_confidence 100, no pend fields. Needs no OCR
//  context (any thread, while form lives). Returns 0 with *out filled,
//  or CQ_EINVAL with *bad_field = the first failing field's name in
//  template order (the template's string) and *why = its reason (static
//  text, no value); *out is then untouched.
int cq_ocr_claim_from_values(const cq_form_t *form, const char *const *names,
                             const char *const *values, size_t n,
                             cq_claim_t *out, const char **bad_field,
                             const char **why);

//  If OMP_THREAD_LIMIT is unset, sets it to 1 and re-executes the program
//  (/proc/self/exe) with the same argv, so that libgomp sees it at load
//  time. Returns only when the variable was already set or exec failed.
void cq_ocr_ensure_env(char **argv);

#endif
