//  review_page.h: a pended claim's scanned page as the review station
//  shows it — the page image (PNG), and for each field of the form, in
//  template order, its zone on that image, the value the OCR read, its
//  confidence and whether a person must look at it — and what the person
//  changed (the audit trail of a release).
//
//  Values are patient data: shown to the reviewer, never logged.
#ifndef CQ_REVIEW_PAGE_H
#define CQ_REVIEW_PAGE_H

#include "mem.h"
#include "ocr.h"

#define CQ_RV_PAGE_WIDTH 1275 // PNG pixels across (150 dpi on a letter page)

//  One field of the form.
typedef struct {
    char name[CQ_FORM_NAME_LEN]; // the template's name: "member.id"
    char box[12];                // the form's box: "1a"
    char value[CQ_OCR_TEXT_LEN]; // what the OCR read: the value when it
                                 // validated, else the raw text; "" blank
                                 // or the page did not register
    int conf;                    // 0..100, -1 none
    bool unsure;                 // a person must look (pended, or named in
                                 // the claim's pend reasons)
    const char *reason;          // why (static text), or NULL
    int x, y, w, h;              // zone on the PNG; x < 0: none
} cq_rv_field_t;

typedef struct {
    uint64_t id;              // the broker's claim id
    char payer_id[CQ_ID_LEN]; // its tenant: who may see the image
    cq_buf_t png;             // the page image
    int png_w, png_h;         // its size
    bool registered;          // false: key every field in from the image
    cq_rv_field_t *f;         // the form's fields, template order (owned)
    size_t n;
} cq_rv_page_t;

//  Fills pg from the page the OCR context just read (call it from the
//  cq_ocr_read callback; the context needs opts.keep_page). pended: the
//  claim as it pended (its pend reasons name fields to look at), or NULL.
//  Returns 0, or CQ_EIO (no page image). pg is reset first; free it with
//  cq_rv_page_free.
int cq_rv_page_from_ocr(cq_rv_page_t *pg, cq_ocr_t *ocr,
                        const cq_claim_t *pended);
void cq_rv_page_free(cq_rv_page_t *pg);

//  Width and height of a PNG from its header; false when it is not one.
bool cq_rv_png_size(const void *png, size_t len, int *w, int *h);

//  The audit trail of a correction: a JSON array of the fields whose
//  typed value (values[i], for pg->f[i]; NULL as "") differs from what
//  the OCR read, [{"field","old","new"}...] (old "" when the page did not
//  register). When that is longer than max bytes, the fields keyed into a
//  blank are named in one entry {"field": "(keyed in)", "old": "", "new":
//  "NAME, NAME..."} (their values are in the released claim); if still
//  too long, NULL. Caller owns the string.
char *cq_rv_changes(const cq_rv_page_t *pg, const char *const *values,
                    size_t max);

#endif
