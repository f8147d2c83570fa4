//  paper.h: render claims onto the CMS-1500 form template as scanned pages
//  (`claimq gen --paper N`, `claimq bench ocr`, the OCR tests).
//
//  The form is drawn from ocr/form.h's template in red drop-out ink
//  (lines, shading, checkboxes, labels, fine print); the claim's values
//  are typed in black, 10-pitch DejaVu Sans Mono, on the template's print
//  matrix, with a small printer misregistration. Degradations simulate a
//  scanner: resolution, skew, placement shift, blur, Gaussian and impulse
//  noise, and bitonal (1 bpp) output. Everything random is seeded, so a
//  set is reproducible.
#ifndef CQ_PAPER_H
#define CQ_PAPER_H

#include "claim.h"
#include "err.h"
#include "form.h"

struct Pix;

#define CQ_PAPER_TRUTH_DIR ".truth" // under a set's folder: the truth JSON

typedef struct {
    int dpi;          // output resolution (default 300)
    double skew_deg;  // page rotation in degrees (default 0)
    double noise;     // 0..1: per-channel impulse 3% x noise, Gaussian
                      // sigma 12 gray levels x noise (default 0)
    double blur;      // Gaussian blur sigma in output pixels (default 0)
    double misreg_in; // max printer misregistration of the data (0.025)
    double shift_in;  // max shift of the form on the scan (default 0.06)
    uint64_t seed;    // seeds every random choice (default 1)
    bool bitonal;     // threshold to 1 bpp (default false)
    bool tiff;        // write one multi-page G4 TIFF (implies bitonal)
    double clip_in;   // the scan misses this much of the sheet's left
                      // and top edges (default 0)
    int turn;         // the page fed turned this many quarter turns
                      // clockwise (2: upside down; default 0)
    bool pdf;         // write one multi-page PDF, each page a scan image
                      // at its resolution (a scanner's or fax's PDF)
    int jpeg_quality; // 1..100: colour JPEG pages at this quality instead
                      // of PNG (0: PNG)
    bool fax;         // a fax in standard mode: rendered at dpi (204)
                      // across, 98 lines per inch down, 1 bpp, one
                      // multi-page G3 TIFF whose resolution tags say so
    bool no_form;     // the form's red ink dropped out at the scanner:
                      // only the data on white, no grid, no titles
} cq_paper_opts_t;

//  Defaults: 300 dpi, clean, seed 1, PNG.
void cq_paper_opts_init(cq_paper_opts_t *o);

//  Renders claim c (already fitted: cq_form_fit_claim) as one scanned page.
//  index varies the page's random choices within a set. *out is a new
//  32 bpp RGB Pix, or 1 bpp when o->bitonal (caller destroys with
//  pixDestroy). Returns 0 or a negative cq_err_t.
int cq_paper_render(const cq_form_t *form, const cq_claim_t *c,
                    const cq_paper_opts_t *o, size_t index, struct Pix **out,
                    cq_diag_t *diag);

//  Writes claims[0..n) as forms into outdir (created if missing):
//  PNG: form-000001.png, one per claim, with its truth in
//  outdir/.truth/form-000001.json; TIFF (o->tiff): forms.tif, one G4 page
//  per claim, with .truth/forms.json holding a JSON array in page order;
//  PDF (o->pdf): forms.pdf, one page per claim (the scan as a lossless
//  image at o->dpi on a Letter page), the truth as for TIFF.
//  The truth sits in a hidden folder so that `claimq submit outdir` sends
//  the images only. It is the claim JSON of the claim as fitted to the
//  form (cq_form_fit_claim: service lines beyond 6 are dropped and
//  total_charge is their sum; the received date is the form's stamp).
//  A claim that does not fit (institutional, an id or a
//  charge too long for its box, fractional units) is skipped, not
//  truncated. *written (may be NULL) gets the number of forms written.
//  Returns 0 or a negative cq_err_t with diag set.
int cq_paper_write_set(const char *outdir, const cq_form_t *form,
                       const cq_claim_t *claims, size_t n,
                       const cq_paper_opts_t *o, size_t *written,
                       cq_diag_t *diag);

#endif
