//  ocr_int.h: internals shared by ocr.c, ocr_image.c and ocr_validate.c.
#ifndef CQ_OCR_INT_H
#define CQ_OCR_INT_H

#include "ocr.h"

struct Pix;

//  Called once per page: pix is the decoded page (borrowed: the callee
//  must not destroy it), or NULL with why saying what is wrong with it.
//  Return nonzero to stop.
typedef int(cq_ocr_page_fn)(void *arg, int page, struct Pix *pix,
                            const char *why);

//  Checks the file's caps (size, format, declared dimensions and page
//  count: all before any pixel is decoded), then decodes the pages one at
//  a time. Returns the number of pages passed to fn, fn's nonzero value,
//  or a negative error with diag->msg "unreadable image: ..." when the
//  file as a whole is unusable (fn not called).
int cq_ocr_decode(const uint8_t *bytes, size_t len, const cq_ocr_opts_t *o,
                  cq_ocr_page_fn *fn, void *arg, cq_diag_t *diag);

//  cq_ocr_decode for a PDF (ocr_pdf.c): one page per PDF page.
int cq_ocr_decode_pdf(const uint8_t *bytes, size_t len, const cq_ocr_opts_t *o,
                      cq_ocr_page_fn *fn, void *arg, cq_diag_t *diag);

//  How far the decoder stretched pix's rows to square its pixels (a
//  standard-mode fax: about 2), 1 when it did not: a pixel of the scan
//  is that many rows high, so specks are that much taller.
double cq_ocr_stretch(struct Pix *pix);

//  Of three reads of a field at three scales that disagree, the one the
//  field keeps (and a person sees when it pends): valid first, then the
//  value most reads gave, then the read its validator changed least
//  (letters and digits of raw, upper-cased, against its value's, as
//  multisets: a read that needed no letter for a digit is likelier right
//  than a surer one that did), then the surest. Returns a, b or c.
const cq_ocr_field_t *cq_ocr_pick(const cq_ocr_field_t *a,
                                  const cq_ocr_field_t *b,
                                  const cq_ocr_field_t *c);

//  Silences Leptonica's and libtiff's stderr messages (once, process-wide):
//  bad input is reported through diag and claims instead.
void cq_ocr_quiet(void);

#endif
