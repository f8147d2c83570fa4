//  ocr.c: zonal OCR of CMS-1500 pages (docs/ocr.md), Tesseract C API.
#include "ocr_int.h"

#include "log.h"
#include "money.h"

#include <ctype.h>
#include <errno.h>
#include <leptonica/allheaders.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tesseract/capi.h>
#include <time.h>
#include <unistd.h>

#define S_DPI 300           // working resolution
#define S_CAP_IN 0.10       // cap height of typed data (10-12 pt), inches
#define S_BASELINE_IN 0.128 // typed baseline below its line's top, inches

struct cq_ocr {
    cq_ocr_opts_t opts;
    cq_form_t *form;
    TessBaseAPI *api;
    TessBaseAPI *osd;       // orientation (osd.traineddata), made when first
                            // needed; NULL
    bool osd_tried;         // ... and whether it was
    cq_ocr_page_t page;     // the page being reported / last read
    cq_ocr_field_t *fields; // form->n_fields results, reused
    cq_claim_t claim;       // the claim being built
    //  per cq_ocr_read
    cq_claim_fn *fn;
    void *arg;
    int n_claims;
    int stop_rc;   // fn's nonzero value, when it asked to stop
    double t_mark; // end of the previous page (decode timing)
    PIX *kept;     // opts.keep_page: the last page's image (8 bpp)
};

void
cq_ocr_opts_init(cq_ocr_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->threshold = CQ_OCR_THRESHOLD;
    o->max_file_bytes = CQ_OCR_MAX_FILE;
    o->max_pixels = CQ_OCR_MAX_PIXELS;
    o->max_dim = CQ_OCR_MAX_DIM;
    o->max_pages = CQ_OCR_MAX_PAGES;
}

static double
s_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

//  ---------------------------------------------------------------------
//  Environment.

void
cq_ocr_ensure_env(char **argv)
{
    const char *v = getenv("OMP_THREAD_LIMIT");
    if (v != NULL && v[0] != '\0')
        return;
    if (setenv("OMP_THREAD_LIMIT", "1", 1) != 0 || argv == NULL)
        return;
    execv("/proc/self/exe", argv);
    //  Still here: exec failed. Carry on (slower) and say so.
    cq_log_warn(NULL,
                "cannot re-execute with OMP_THREAD_LIMIT=1 (%s); OCR will "
                "be several times slower: export OMP_THREAD_LIMIT=1",
                strerror(errno));
}

//  ---------------------------------------------------------------------
//  Context.

cq_ocr_t *
cq_ocr_new(const cq_ocr_opts_t *o, cq_diag_t *diag)
{
    cq_ocr_quiet();
    cq_ocr_t *self = cq_xcalloc(1, sizeof *self);
    if (o != NULL)
        self->opts = *o;
    else
        cq_ocr_opts_init(&self->opts);
    if (self->opts.threshold < 0 || self->opts.threshold > 100)
        self->opts.threshold = CQ_OCR_THRESHOLD;
    if (cq_form_load_default(self->opts.form_path, &self->form, diag) != 0) {
        free(self);
        return NULL;
    }
    self->opts.form_path = NULL; // not kept: the caller owns the string
    self->opts.tessdata = NULL;
    self->fields = cq_xcalloc(self->form->n_fields, sizeof *self->fields);
    self->api = TessBaseAPICreate();
    const char *vars[] = {"debug_file"};
    const char *vals[] = {"/dev/null"};
    if (TessBaseAPIInit4(self->api, o ? o->tessdata : NULL, "eng",
                         OEM_LSTM_ONLY, NULL, 0, (char **)vars, (char **)vals,
                         1, false) != 0) {
        cq_diag_set(diag, CQ_ENOTFOUND, 0,
                    "ocr: cannot initialise Tesseract with eng.traineddata "
                    "(install tesseract-ocr-eng)");
        cq_ocr_destroy(&self);
        return NULL;
    }
    TessBaseAPISetPageSegMode(self->api, PSM_SINGLE_LINE);
    return self;
}

void
cq_ocr_destroy(cq_ocr_t **self_p)
{
    assert(self_p);
    cq_ocr_t *self = *self_p;
    if (self == NULL)
        return;
    if (self->api != NULL) {
        TessBaseAPIEnd(self->api);
        TessBaseAPIDelete(self->api);
    }
    if (self->osd != NULL) {
        TessBaseAPIEnd(self->osd);
        TessBaseAPIDelete(self->osd);
    }
    cq_form_destroy(&self->form);
    free(self->fields);
    pixDestroy(&self->kept);
    free(self);
    *self_p = NULL;
}

const cq_form_t *
cq_ocr_form(const cq_ocr_t *self)
{
    return self->form;
}

const cq_ocr_page_t *
cq_ocr_page(const cq_ocr_t *self)
{
    return &self->page;
}

//  ---------------------------------------------------------------------
//  Page preparation: gray with red ink dropped, form-ink mask, scale to
//  300 dpi, deskew, registration.

typedef struct {
    PIX *gray;         // 8 bpp, 300 dpi, deskewed; red ink dropped (colour)
    PIX *ink;          // 1 bpp at the native resolution, deskewed: form + data
    PIX *ink2;         // ink at half resolution (OR-reduced: thin lines stay)
    double f2w;        // native -> working pixels
    double px_w, px_h; // a pixel of the scan, in working pixels (a fax's
                       // are taller than wide)
    double rot;        // the deskew (radians, Leptonica's clockwise), 0: none
    //  registration: working x = ox + (template x at 300 dpi - tx0) * sx
    double ox, oy, tx0, ty0, sx, sy;
} s_prep_t;

static void
s_prep_free(s_prep_t *p)
{
    pixDestroy(&p->gray);
    pixDestroy(&p->ink);
    pixDestroy(&p->ink2);
}

//  Colour page: luminance with red (drop-out) ink turned white, and a
//  1 bpp mask of everything dark in the green channel (red ink and black
//  data both), in one pass.
static void
s_split_rgb(PIX *pix, PIX **gray, PIX **ink)
{
    l_int32 w = pixGetWidth(pix), h = pixGetHeight(pix);
    PIX *g = pixCreate(w, h, 8);
    PIX *b = pixCreate(w, h, 1);
    l_uint32 *src = pixGetData(pix), *gd = pixGetData(g), *bd = pixGetData(b);
    l_int32 swpl = pixGetWpl(pix), gwpl = pixGetWpl(g), bwpl = pixGetWpl(b);
    for (l_int32 y = 0; y < h; y++) {
        const l_uint32 *s = src + (size_t)y * (size_t)swpl;
        l_uint32 *gl = gd + (size_t)y * (size_t)gwpl;
        l_uint32 *bl = bd + (size_t)y * (size_t)bwpl;
        for (l_int32 x = 0; x < w; x++) {
            l_uint32 px = s[x];
            int r = (int)(px >> 24), gg = (int)((px >> 16) & 0xff),
                bb = (int)((px >> 8) & 0xff);
            int mx = gg > bb ? gg : bb;
            int lum = (77 * r + 150 * gg + 29 * bb) >> 8;
            if (r > 110 && r - mx > 50)
                lum = 255; // drop-out ink
            SET_DATA_BYTE(gl, x, lum);
            if (gg < 160)
                SET_DATA_BIT(bl, x);
        }
    }
    pixCopyResolution(g, pix);
    pixCopyResolution(b, pix);
    *gray = g;
    *ink = b;
}

//  Rows (or columns) whose smoothed count of long-line pixels reaches
//  thresh: returns the centres of the runs, at most max.
static int
s_peaks(const l_int32 *cnt, int n, double thresh, double *out, int max)
{
    int k = 0;
    int i = 0;
    while (i < n && k < max) {
        double s =
            cnt[i] + (i > 0 ? cnt[i - 1] : 0) + (i + 1 < n ? cnt[i + 1] : 0);
        if (s < thresh) {
            i++;
            continue;
        }
        int start = i;
        double wsum = 0, vsum = 0;
        while (i < n) {
            double t = cnt[i] + (i > 0 ? cnt[i - 1] : 0) +
                       (i + 1 < n ? cnt[i + 1] : 0);
            if (t < thresh)
                break;
            wsum += cnt[i];
            vsum += (double)cnt[i] * i;
            i++;
        }
        out[k++] = wsum > 0 ? vsum / wsum : (start + i - 1) / 2.0;
    }
    return k;
}

static void
s_profile(PIX *lines, bool rows, l_int32 **cnt, int *n)
{
    l_int32 w = pixGetWidth(lines), h = pixGetHeight(lines);
    *n = rows ? h : w;
    *cnt = cq_xcalloc((size_t)*n, sizeof **cnt);
    l_uint32 *data = pixGetData(lines);
    l_int32 wpl = pixGetWpl(lines);
    for (l_int32 y = 0; y < h; y++) {
        const l_uint32 *line = data + (size_t)y * (size_t)wpl;
        for (l_int32 wi = 0; wi < wpl; wi++) {
            l_uint32 word = line[wi];
            if (word == 0)
                continue;
            if (rows) {
                (*cnt)[y] += __builtin_popcount(word);
                continue;
            }
            for (int bit = 0; bit < 32; bit++)
                if (word & (0x80000000u >> bit)) {
                    int x = wi * 32 + bit;
                    if (x < w)
                        (*cnt)[x]++;
                }
        }
    }
}

//  One axis of registration from interior lines, for a page whose frame
//  is not whole (an edge not scanned): finds s, o with p = o + s * t for
//  as many template positions t as possible, p the detected line centres
//  (reduced pixels), s within 6% of s0. Votes for o over a grid of s, then
//  refits on the matches. Returns the template lines matched; *visible
//  the ones the mapping puts inside [0, lim).
static int
s_fit_axis(const double *t, int nt, const double *p, int np, double s0,
           double tol, double lim, double *s_out, double *o_out, int *visible)
{
    int best = 0;
    double bs = s0, bo = 0;
    for (int g = -30; g <= 30; g++) {
        double sc = s0 * (1 + g * 0.002);
        for (int i = 0; i < np; i++)
            for (int k = 0; k < nt; k++) {
                double o = p[i] - sc * t[k];
                int n = 0;
                for (int a = 0; a < nt; a++) {
                    double want = o + sc * t[a];
                    for (int b = 0; b < np; b++)
                        if (fabs(p[b] - want) <= tol) {
                            n++;
                            break;
                        }
                }
                if (n > best) {
                    best = n;
                    bs = sc;
                    bo = o;
                }
            }
    }
    //  least squares on the matches
    double sw = 0, st = 0, sp = 0, stt = 0, stp = 0;
    for (int a = 0; a < nt; a++) {
        double want = bo + bs * t[a];
        for (int b = 0; b < np; b++)
            if (fabs(p[b] - want) <= tol) {
                sw += 1;
                st += t[a];
                sp += p[b];
                stt += t[a] * t[a];
                stp += t[a] * p[b];
                break;
            }
    }
    double den = sw * stt - st * st;
    if (sw >= 2 && fabs(den) > 1e-9) {
        bs = (sw * stp - st * sp) / den;
        bo = (sp - bs * st) / sw;
    }
    int vis = 0;
    for (int a = 0; a < nt; a++) {
        double at = bo + bs * t[a];
        vis += at >= 0 && at < lim;
    }
    *s_out = bs;
    *o_out = bo;
    *visible = vis;
    return best;
}

//  Adds v to t[0..n) unless a position within 2 px is there; the count.
static int
s_add_pos(double *t, int n, double v)
{
    for (int i = 0; i < n; i++)
        if (fabs(t[i] - v) < 2)
            return n;
    t[n] = v;
    return n + 1;
}

//  Registration from the interior lines when the frame is not whole: the
//  full-width horizontal lines for y, the vertical lines of 2 in or more
//  for x. Registered when each axis matches at least 6 lines and 85% of
//  those the mapping puts on the page. Returns true when it did.
static bool
s_register_interior(cq_ocr_t *self, s_prep_t *p, PIX *hl, PIX *vl, double rd)
{
    const cq_form_t *f = self->form;
    double ty[64], tx[64];
    int nty = 0, ntx = 0;
    for (size_t i = 0; i < f->n_lines; i++) {
        const cq_form_line_t *l = &f->lines[i];
        if (l->style != 0)
            continue; // (thin and dotted lines may not show as lines)
        if (l->y0 == l->y1 && l->x0 <= f->frame.left + 0.5 &&
            l->x1 >= f->frame.right - 0.5 && nty < 64)
            nty = s_add_pos(ty, nty, cq_form_y_in(f, l->y0) * S_DPI);
        if (l->x0 == l->x1 && ntx < 64 &&
            cq_form_y_in(f, l->y1) - cq_form_y_in(f, l->y0) >= 2.0)
            ntx = s_add_pos(tx, ntx, cq_form_x_in(f, l->x0) * S_DPI);
    }
    l_int32 *rows = NULL, *cols = NULL;
    int nr, nc;
    s_profile(hl, true, &rows, &nr);
    s_profile(vl, false, &cols, &nc);
    double hp[96], vp[96];
    double fw_r =
        (cq_form_x_in(f, f->frame.right) - cq_form_x_in(f, f->frame.left)) * rd;
    //  (a full-width line may lose its clipped end: half its length)
    int nh = s_peaks(rows, nr, 0.5 * fw_r, hp, 96);
    int nv = s_peaks(cols, nc, 1.6 * rd, vp, 96);
    free(rows);
    free(cols);
    //  A page of lines everywhere (noise, a texture: long runs of dark
    //  pixels in every row) is no form: among that many peaks a fit
    //  finds the template's lines anywhere. A form shows at most a few
    //  more than its own (the data's underlines, a turned page's text).
    if (nh > 3 * nty || nv > 3 * ntx) {
        if (getenv("CQ_REG_DEBUG"))
            fprintf(stderr, "interior: %d x and %d y peaks: lines everywhere\n",
                    nv, nh);
        return false;
    }
    double s0 = rd / S_DPI, sx, sy, ox, oy;
    int vx, vy;
    int mx = s_fit_axis(tx, ntx, vp, nv, s0, 3, nc, &sx, &ox, &vx);
    int my = s_fit_axis(ty, nty, hp, nh, s0, 3, nr, &sy, &oy, &vy);
    if (getenv("CQ_REG_DEBUG"))
        fprintf(stderr,
                "interior: x %d of %d visible (%d peaks, %d lines) "
                "s %.4f o %.1f; y %d of %d (%d peaks, %d lines) s %.4f "
                "o %.1f; s0 %.4f\n",
                mx, vx, nv, ntx, sx, ox, my, vy, nh, nty, sy, oy, s0);
    if (mx < 6 || my < 6 || mx * 100 < vx * 85 || my * 100 < vy * 85)
        return false;
    double k = p->f2w * 2; // reduced -> working pixels
    p->tx0 = 0;
    p->ty0 = 0;
    p->ox = (ox + 0.5) * k;
    p->oy = (oy + 0.5) * k;
    p->sx = sx * k;
    p->sy = sy * k;
    self->page.registered = true;
    self->page.interior = true;
    self->page.reg_residual_px = -1;
    return true;
}

//  Registration from the data alone, for a page with no form lines at all
//  (a colour scan whose red form dropped out entirely): the data is printed
//  on the form's character matrix, into the fields' zones, so the offset
//  that puts the most ink inside the zones is the page's place. Searched
//  on a quarter-resolution ink mask with an integral image (every
//  offset within 0.6 in, then refined), at the nominal scale; the score is
//  the ink inside zones less the ink outside. Taken only when 65% of the
//  ink falls inside zones and the best offset scores 1.4 times any other
//  more than 0.15 in away; the page is then strict (a field needs very sure or
//  agreeing reads). Returns true when it did.
#define S_MX_REDUCE 4
static bool
s_register_matrix(cq_ocr_t *self, s_prep_t *p)
{
    const cq_form_t *f = self->form;
    //  the data's strokes, without the scanner's specks (an opening by
    //  2 x 2 keeps strokes of 300 dpi type, drops isolated dots)
    PIX *bin = pixThresholdToBinary(p->gray, 140);
    PIX *open = bin ? pixOpenBrick(NULL, bin, 2, 2) : NULL;
    PIX *red = open ? pixReduceRankBinaryCascade(open, 1, 1, 0, 0) : NULL;
    pixDestroy(&bin);
    pixDestroy(&open);
    if (red == NULL)
        return false;
    l_int32 W = pixGetWidth(red), H = pixGetHeight(red);
    uint32_t *I = cq_xcalloc((size_t)(W + 1) * (size_t)(H + 1), sizeof *I);
    l_uint32 *data = pixGetData(red);
    l_int32 wpl = pixGetWpl(red);
    for (l_int32 y = 0; y < H; y++) {
        uint32_t run = 0;
        l_uint32 *line = data + (size_t)y * wpl;
        for (l_int32 x = 0; x < W; x++) {
            run += GET_DATA_BIT(line, x);
            I[(size_t)(y + 1) * (W + 1) + x + 1] =
                I[(size_t)y * (W + 1) + x + 1] + run;
        }
    }
    pixDestroy(&red);
    double total = I[(size_t)H * (W + 1) + W];
    //  the text zones, template pixels
    size_t nz = 0;
    double(*z)[4] =
        cq_xmalloc((f->n_fields * (1 + CQ_FORM_MAX_CHOICES) + 1) * sizeof *z);
    for (size_t i = 0; i < f->n_fields; i++) {
        const cq_form_field_t *fd = &f->fields[i];
        if (fd->type == CQ_FT_CHECK) {
            //  a mark is typed into the cell of the box it checks
            for (int c = 0; c < fd->n_choices; c++) {
                z[nz][0] = cq_form_x_in(f, fd->choices[c].col) * S_DPI;
                z[nz][1] = cq_form_y_in(f, fd->row) * S_DPI;
                z[nz][2] = cq_form_x_in(f, fd->choices[c].col + 1) * S_DPI;
                z[nz][3] = (cq_form_y_in(f, fd->row) + 1.0 / f->lpi) * S_DPI;
                nz++;
            }
            continue;
        }
        z[nz][0] = cq_form_x_in(f, fd->col) * S_DPI;
        z[nz][1] = cq_form_y_in(f, fd->row) * S_DPI;
        z[nz][2] = cq_form_x_in(f, fd->col + fd->width) * S_DPI;
        z[nz][3] = (cq_form_y_in(f, fd->row) + 1.0 / f->lpi) * S_DPI;
        nz++;
    }
    double s0 = p->sx; // working px per template px (nominal)
    double q = S_MX_REDUCE;
    double best = -1e18, second = -1e18, bx = 0, by = 0;
    double step = 0.02 * S_DPI * s0, span = 0.6 * S_DPI * s0;
    double far = 0.15 * S_DPI * s0;
    //  coarse, then fine around the best
    for (int pass = 0; pass < 2 && total >= 200; pass++) {
        double cx = pass ? bx : 0, cy = pass ? by : 0;
        double st = pass ? q : step, sp = pass ? step : span;
        for (double oy = cy - sp; oy <= cy + sp; oy += st)
            for (double ox = cx - sp; ox <= cx + sp; ox += st) {
                double sc = 0;
                for (size_t k = 0; k < nz; k++) {
                    l_int32 x0 = (l_int32)((ox + z[k][0] * s0) / q);
                    l_int32 y0 = (l_int32)((oy + z[k][1] * s0) / q);
                    l_int32 x1 = (l_int32)((ox + z[k][2] * s0) / q);
                    l_int32 y1 = (l_int32)((oy + z[k][3] * s0) / q);
                    x0 = x0 < 0 ? 0 : x0 > W ? W : x0;
                    x1 = x1 < 0 ? 0 : x1 > W ? W : x1;
                    y0 = y0 < 0 ? 0 : y0 > H ? H : y0;
                    y1 = y1 < 0 ? 0 : y1 > H ? H : y1;
                    sc += (double)I[(size_t)y1 * (W + 1) + x1] -
                          I[(size_t)y0 * (W + 1) + x1] -
                          I[(size_t)y1 * (W + 1) + x0] +
                          I[(size_t)y0 * (W + 1) + x0];
                }
                sc = 2 * sc - total; // ink inside zones less ink outside
                if (pass == 0 && sc > best) {
                    if (fabs(ox - bx) > far || fabs(oy - by) > far)
                        second = best > second ? best : second;
                    best = sc;
                    bx = ox;
                    by = oy;
                } else if (pass == 0 && sc > second &&
                           (fabs(ox - bx) > far || fabs(oy - by) > far)) {
                    second = sc;
                } else if (pass == 1 && sc > best) {
                    best = sc;
                    bx = ox;
                    by = oy;
                }
            }
    }
    free(z);
    free(I);
    if (getenv("CQ_REG_DEBUG"))
        fprintf(stderr,
                "matrix: ink %.0f, inside %.1f%% at %.1f,%.1f; score %.0f, "
                "second %.0f\n",
                total, total > 0 ? 50 * (best + total) / total : 0, bx, by,
                best, second);
    //  65% of the ink inside zones, and no other place near as good
    if (total < 200 || best < 0.3 * total || best < 1.4 * second)
        return false;
    p->tx0 = 0;
    p->ty0 = 0;
    p->ox = bx;
    p->oy = by;
    p->sx = p->sy = s0;
    self->page.registered = true;
    self->page.matrix = true;
    self->page.strict = true;
    self->page.reg_residual_px = -1;
    return true;
}

//  Finds the frame's outer lines in the 1 bpp ink (native resolution) and
//  sets the mapping from template pixels to working pixels. Falls back to
//  the nominal mapping (page = sheet) when the frame is not found.
static void
s_register(cq_ocr_t *self, s_prep_t *p)
{
    const cq_form_t *f = self->form;
    double nat = (double)pixGetWidth(p->ink) / f->page_w_in; // native dpi
    double fl = cq_form_x_in(f, f->frame.left) * S_DPI;
    double fr = cq_form_x_in(f, f->frame.right) * S_DPI;
    double ft = cq_form_y_in(f, f->frame.top) * S_DPI;
    double fb = cq_form_y_in(f, f->frame.bottom) * S_DPI;
    //  nominal: the sheet fills the image
    p->tx0 = 0;
    p->ty0 = 0;
    p->ox = 0;
    p->oy = 0;
    p->sx = p->f2w * nat / S_DPI;
    p->sy = p->sx;
    self->page.registered = false;
    self->page.interior = false;
    self->page.reg_residual_px = -1;

    PIX *r = p->ink2;
    if (r == NULL)
        return;
    double rd = nat / 2; // reduced dpi
    l_int32 len = (l_int32)(1.2 * rd);
    //  A thin rule on a skewed page is a staircase: runs a row apart,
    //  each shorter than len on a fax (one 98 lpi row is two working
    //  rows). Thickened across by a pixel each way first, its steps
    //  overlap and it opens as one line; its centre stays.
    PIX *rh = pixDilateBrick(NULL, r, 1, 3);
    PIX *rv = pixDilateBrick(NULL, r, 3, 1);
    PIX *hl = rh ? pixOpenCompBrickDwa(NULL, rh, len, 1) : NULL;
    PIX *vl = rv ? pixOpenCompBrickDwa(NULL, rv, 1, len) : NULL;
    pixDestroy(&rh);
    pixDestroy(&rv);
    if (hl == NULL || vl == NULL) {
        pixDestroy(&hl);
        pixDestroy(&vl);
        return;
    }
    double fw_r = (fr - fl) / S_DPI * rd, fh_r = (fb - ft) / S_DPI * rd;
    l_int32 *rows = NULL, *cols = NULL;
    int nr, nc;
    s_profile(hl, true, &rows, &nr);
    s_profile(vl, false, &cols, &nc);
    double hp[64], vp[16];
    int nh = s_peaks(rows, nr, 0.5 * fw_r, hp, 64);
    int nv = s_peaks(cols, nc, 0.75 * fh_r, vp, 16);
    //  (peaks that fill the lists: lines everywhere, noise; the last
    //  found is not the frame's)
    if ((nh >= 64 || nv >= 16) && getenv("CQ_REG_DEBUG"))
        fprintf(stderr, "frame: %d x and %d y peaks: lines everywhere\n", nv,
                nh);
    if (nh >= 2 && nv >= 2 && nh < 64 && nv < 16) {
        double top = hp[0], bottom = hp[nh - 1];
        double left = vp[0], right = vp[nv - 1];
        double k = p->f2w * 2; // reduced -> working pixels
        double sx = (right - left) * k / (fr - fl);
        double sy = (bottom - top) * k / (fb - ft);
        if (sx > 0.85 && sx < 1.15 && sy > 0.85 && sy < 1.15) {
            p->tx0 = fl;
            p->ty0 = ft;
            p->ox = (left + 0.5) * k;
            p->oy = (top + 0.5) * k;
            p->sx = sx;
            p->sy = sy;
            //  Check the inner full-width lines against the mapping.
            int want = 0, found = 0;
            double resid = 0;
            for (size_t i = 0; i < f->n_lines; i++) {
                const cq_form_line_t *l = &f->lines[i];
                if (l->y0 != l->y1 || l->x0 > f->frame.left + 0.5 ||
                    l->x1 < f->frame.right - 0.5 || l->style != 0)
                    continue;
                want++;
                double ty = cq_form_y_in(f, l->y0) * S_DPI;
                double wy = p->oy + (ty - p->ty0) * p->sy; // working
                double ry = wy / k - 0.5;                  // reduced
                double best = 1e9;
                for (int j = 0; j < nh; j++)
                    if (fabs(hp[j] - ry) < fabs(best))
                        best = hp[j] - ry;
                if (fabs(best) * k <= 8) {
                    found++;
                    resid += fabs(best) * k;
                }
            }
            self->page.reg_residual_px = found ? resid / found : -1;
            self->page.registered = want == 0 || found * 4 >= want * 3;
            //  ... and the vertical lines (2 in or more) in x: on a page
            //  whose edge was not scanned an inner line passes for the
            //  frame's, and the horizontal lines alone do not see the
            //  shift.
            double vq[96];
            int nq = s_peaks(cols, nc, 1.6 * rd, vq, 96);
            int vwant = 0, vfound = 0;
            for (size_t i = 0; i < f->n_lines; i++) {
                const cq_form_line_t *l = &f->lines[i];
                if (l->x0 != l->x1 || l->style != 0 ||
                    cq_form_y_in(f, l->y1) - cq_form_y_in(f, l->y0) < 2.0)
                    continue;
                double tx = cq_form_x_in(f, l->x0) * S_DPI;
                double rx = (p->ox + (tx - p->tx0) * p->sx) / k - 0.5;
                if (rx < 0 || rx >= nc)
                    continue;
                vwant++;
                for (int j = 0; j < nq; j++)
                    if (fabs(vq[j] - rx) * k <= 8) {
                        vfound++;
                        break;
                    }
            }
            if (getenv("CQ_REG_DEBUG"))
                fprintf(stderr, "frame: %d of %d vertical lines\n", vfound,
                        vwant);
            if (vwant > 0 && vfound * 4 < vwant * 3)
                self->page.registered = false;
        }
    }
    free(rows);
    free(cols);
    if (!self->page.registered)
        s_register_interior(self, p, hl, vl, rd); // (else as it was)
    pixDestroy(&hl);
    pixDestroy(&vl);
    //  no line of the form on the page at all: its red ink dropped out
    if (!self->page.registered && nh == 0 && nv == 0)
        s_register_matrix(self, p);
}

//  Whitens the form's lines in the working gray: black on copies (the
//  grid does not drop out), and the edges of red lines the drop-out left.
//  A line is a straight run longer than any glyph stroke (0.3 in; typed
//  glyphs are under 0.15 in); dotted lines are joined first.
static void
s_remove_lines(s_prep_t *p, double nat)
{
    l_int32 len = (l_int32)(0.3 * nat);
    l_int32 gap = ((l_int32)(0.035 * nat)) | 1;
    PIX *h = pixOpenCompBrickDwa(NULL, p->ink, len, 1);
    PIX *vc = pixCloseBrick(NULL, p->ink, 1, gap);
    PIX *v = vc ? pixOpenCompBrickDwa(NULL, vc, 1, len) : NULL;
    pixDestroy(&vc);
    if (h == NULL || v == NULL) {
        pixDestroy(&h);
        pixDestroy(&v);
        return;
    }
    pixOr(h, h, v);
    pixDestroy(&v);
    PIX *m = pixDilateBrick(NULL, h, 3, 3);
    pixDestroy(&h);
    if (m != NULL && p->f2w != 1) {
        PIX *sc = pixScaleBinary(m, (float)p->f2w, (float)p->f2w);
        pixDestroy(&m);
        m = sc;
    }
    if (m != NULL)
        pixPaintThroughMask(p->gray, m, 0, 0, 255);
    pixDestroy(&m);
}

static int
s_prepare(cq_ocr_t *self, PIX *pix, s_prep_t *p, const char **why)
{
    memset(p, 0, sizeof *p);
    PIX *src = NULL;
    if (pixGetColormap(pix) != NULL)
        src = pixRemoveColormap(pix, REMOVE_CMAP_BASED_ON_SRC);
    else if (pixGetDepth(pix) == 32 && pixGetSpp(pix) == 4)
        src = pixAlphaBlendUniform(pix, 0xffffff00); // on white paper
    else
        src = pixClone(pix);
    if (src == NULL) {
        *why = "unreadable image: unsupported pixel format";
        return CQ_EUNSUPPORTED;
    }
    l_int32 d = pixGetDepth(src);
    if (d == 32) {
        s_split_rgb(src, &p->gray, &p->ink);
    } else if (d == 1) {
        p->ink = pixClone(src);
        p->gray = pixConvert1To8(NULL, src, 255, 0);
    } else {
        p->gray = pixConvertTo8(src, 0);
        if (p->gray != NULL)
            p->ink = pixThresholdToBinary(p->gray, 160);
    }
    pixDestroy(&src);
    if (p->gray == NULL || p->ink == NULL) {
        s_prep_free(p);
        *why = "unreadable image: unsupported pixel format";
        return CQ_EUNSUPPORTED;
    }
    const cq_form_t *f = self->form;
    l_int32 w = pixGetWidth(p->gray);
    double dpi = (double)w / f->page_w_in;
    self->page.dpi = (int)lround(dpi);
    p->f2w = S_DPI / dpi;
    p->px_w = p->f2w;
    p->px_h = p->f2w * cq_ocr_stretch(pix);
    //  The page is scaled to the sheet's width at 300 dpi: a page far
    //  taller than a sheet would grow past the pixel cap.
    double wh = (double)pixGetHeight(p->gray) * p->f2w;
    if (wh * (double)w * p->f2w > (double)self->opts.max_pixels ||
        wh > 4 * f->page_h_in * S_DPI) {
        s_prep_free(p);
        *why = "unreadable image: page proportions are not a form's";
        return CQ_EPROTO;
    }
    if (fabs(p->f2w - 1) > 0.04) {
        PIX *sc = p->f2w < 0.7
                      ? pixScaleAreaMap(p->gray, (float)p->f2w, (float)p->f2w)
                      : pixScaleGrayLI(p->gray, (float)p->f2w, (float)p->f2w);
        if (sc == NULL) {
            s_prep_free(p);
            *why = "unreadable image: cannot scale";
            return CQ_EUNSUPPORTED;
        }
        pixDestroy(&p->gray);
        p->gray = sc;
    } else {
        p->f2w = 1;
    }
    //  Deskew (docs/ocr.md: threshold 160 on green, rotate when conf >= 3
    //  and |angle| >= 0.1 degree).
    l_float32 angle = 0, conf = 0;
    if (pixFindSkew(p->ink, &angle, &conf) == 0 && conf >= 3 &&
        fabsf(angle) >= 0.1f) {
        float rad = angle * (float)(M_PI / 180.0);
        PIX *rg =
            pixRotate(p->gray, rad, L_ROTATE_AREA_MAP, L_BRING_IN_WHITE, 0, 0);
        PIX *rb =
            pixRotate(p->ink, rad, L_ROTATE_SHEAR, L_BRING_IN_WHITE, 0, 0);
        if (rg != NULL && rb != NULL) {
            pixDestroy(&p->gray);
            pixDestroy(&p->ink);
            p->gray = rg;
            p->ink = rb;
            p->rot = rad;
        } else {
            pixDestroy(&rg);
            pixDestroy(&rb);
        }
        self->page.skew_deg = angle;
    }
    self->page.skew_conf = conf;
    //  A clean scan: native resolution, gray or colour, nearly straight.
    //  Upscaled, bitonal or skewed pages give more errors that several
    //  reads agree on; their fields are read strictly (s_read_text).
    self->page.strict = dpi < CQ_OCR_CLEAN_DPI || d == 1 ||
                        cq_ocr_stretch(pix) != 1.0 ||
                        fabs(self->page.skew_deg) >= CQ_OCR_CLEAN_SKEW;
    p->ink2 = pixReduceRankBinary2(p->ink, 1, NULL);
    s_register(self, p);
    s_remove_lines(p, dpi);
    return 0;
}

//  Template rectangle (inches) to working pixels, clipped to the page:
//  false when less than 4 pixels of it are on the page.
static bool
s_map_rect(const s_prep_t *p, double x0, double y0, double x1, double y1,
           l_int32 *x, l_int32 *y, l_int32 *w, l_int32 *h)
{
    double X0 = p->ox + (x0 * S_DPI - p->tx0) * p->sx;
    double X1 = p->ox + (x1 * S_DPI - p->tx0) * p->sx;
    double Y0 = p->oy + (y0 * S_DPI - p->ty0) * p->sy;
    double Y1 = p->oy + (y1 * S_DPI - p->ty0) * p->sy;
    l_int32 W = pixGetWidth(p->gray), H = pixGetHeight(p->gray);
    l_int32 bx = (l_int32)floor(X0), by = (l_int32)floor(Y0);
    l_int32 ex = (l_int32)ceil(X1), ey = (l_int32)ceil(Y1);
    if (bx < 0)
        bx = 0;
    if (by < 0)
        by = 0;
    if (ex > W)
        ex = W;
    if (ey > H)
        ey = H;
    if (ex - bx < 4 || ey - by < 4)
        return false;
    *x = bx;
    *y = by;
    *w = ex - bx;
    *h = ey - by;
    return true;
}

//  s_map_rect as a BOX, or NULL.
static BOX *
s_map_box(const s_prep_t *p, double x0, double y0, double x1, double y1)
{
    l_int32 x, y, w, h;
    if (!s_map_rect(p, x0, y0, x1, y1, &x, &y, &w, &h))
        return NULL;
    return boxCreate(x, y, w, h);
}

//  True when the working-pixel box [x0, x1) x [y0, y1) reaches past what
//  was scanned: outside the image, or, on a deskewed page, into the
//  corners the rotation brought in white.
static bool
s_cut(const s_prep_t *p, double x0, double y0, double x1, double y1)
{
    double W = pixGetWidth(p->gray), H = pixGetHeight(p->gray);
    if (x0 < 0 || y0 < 0 || x1 > W || y1 > H)
        return true;
    double cx = W / 2, cy = H / 2, c = cos(p->rot), s = sin(p->rot);
    const double xs[4] = {x0, x1, x0, x1}, ys[4] = {y0, y0, y1, y1};
    for (int i = 0; i < 4; i++) {
        //  where the corner was before the deskew (pixRotate turns about
        //  the centre: d = c + R(rot) (s - c))
        double sx = cx + c * (xs[i] - cx) + s * (ys[i] - cy);
        double sy = cy - s * (xs[i] - cx) + c * (ys[i] - cy);
        if (sx < 0 || sy < 0 || sx > W || sy > H)
            return true;
    }
    return false;
}

//  ---------------------------------------------------------------------
//  Fields.

//  Reads one checkbox group by the ink inside each box.
static void
s_read_check(cq_ocr_t *self, const s_prep_t *p, cq_ocr_field_t *r)
{
    const cq_form_t *f = self->form;
    const cq_form_field_t *fd = r->def;
    double frac[CQ_FORM_MAX_CHOICES] = {0};
    for (int i = 0; i < fd->n_choices; i++) {
        double cx = cq_form_x_in(f, fd->choices[i].col + 0.5);
        double cy = cq_form_y_in(f, fd->row) + S_BASELINE_IN - S_CAP_IN / 2;
        BOX *b = s_map_box(p, cx - 0.03, cy - 0.04, cx + 0.03, cy + 0.04);
        if (b == NULL)
            continue;
        PIX *c = pixClipRectangle(p->gray, b, NULL);
        boxDestroy(&b);
        if (c == NULL)
            continue;
        PIX *bin = pixThresholdToBinary(c, 128);
        //  specks are not marks
        l_int32 spk = (l_int32)(0.12 * S_CAP_IN * S_DPI);
        PIX *big = pixSelectBySize(bin, spk, spk, 8, L_SELECT_IF_EITHER,
                                   L_SELECT_IF_GTE, NULL);
        l_int32 dark = 0;
        pixCountPixels(big ? big : bin, &dark, NULL);
        pixDestroy(&big);
        frac[i] = (double)dark / ((double)pixGetWidth(c) * pixGetHeight(c));
        pixDestroy(&bin);
        pixDestroy(&c);
    }
    int marked = -1, n_marked = 0, n_unsure = 0;
    for (int i = 0; i < fd->n_choices; i++) {
        if (frac[i] >= 0.10) {
            marked = i;
            n_marked++;
        } else if (frac[i] >= 0.04) {
            n_unsure++;
        }
    }
    r->conf = (n_unsure == 0) ? 99 : 50;
    if (n_marked == 0) {
        r->blank = true;
        r->conf = n_unsure ? 50 : -1;
        snprintf(r->raw, sizeof r->raw, "%s", "");
        if (fd->blank_value)
            snprintf(r->value, sizeof r->value, "%c", fd->blank_value);
        r->valid = n_unsure == 0;
        if (!r->valid)
            r->reason = "faint mark";
        return;
    }
    if (n_marked > 1) {
        r->blank = false;
        r->valid = false;
        r->reason = "several boxes marked";
        snprintf(r->raw, sizeof r->raw, "%s", "(several)");
        return;
    }
    r->blank = false;
    snprintf(r->raw, sizeof r->raw, "%c", fd->choices[marked].value);
    snprintf(r->value, sizeof r->value, "%c", fd->choices[marked].value);
    r->valid = true;
    if (n_unsure)
        r->reason = "faint mark";
}

//  Copies the gray crop into a white image holding only the text band,
//  with a white border, for Tesseract.
static PIX *
s_band(PIX *crop, l_int32 bx, l_int32 by, l_int32 bw, l_int32 bh,
       l_int32 border)
{
    l_int32 cw = pixGetWidth(crop), ch = pixGetHeight(crop);
    if (bx < 0) {
        bw += bx;
        bx = 0;
    }
    if (by < 0) {
        bh += by;
        by = 0;
    }
    if (bx + bw > cw)
        bw = cw - bx;
    if (by + bh > ch)
        bh = ch - by;
    if (bw <= 0 || bh <= 0)
        return NULL;
    PIX *out = pixCreate(bw + 2 * border, bh + 2 * border, 8);
    pixSetAll(out);
    pixRasterop(out, border, border, bw, bh, PIX_SRC, crop, bx, by);
    pixSetResolution(out, S_DPI, S_DPI);
    return out;
}

//  Small components enclosed in another's hole: the dot of a dotted zero
//  (DejaVu Sans Mono types one; at 200 dpi it turns 0 into 6, 9 or @),
//  and specks inside loops. Typed capitals and digits have no such parts.
static PIX *
s_islands(PIX *bin, double cap)
{
    PIX *inv = pixInvert(NULL, bin);
    PIX *ext = inv ? pixExtractBorderConnComps(inv, 4) : NULL;
    pixDestroy(&inv);
    if (ext == NULL)
        return NULL;
    PIX *touch = pixDilateBrick(NULL, ext, 3, 3);
    pixDestroy(&ext);
    if (touch == NULL)
        return NULL;
    pixAnd(touch, touch, bin);
    PIX *outer = pixSeedfillBinary(NULL, touch, bin, 8);
    pixDestroy(&touch);
    if (outer == NULL)
        return NULL;
    PIX *isl = pixSubtract(NULL, bin, outer);
    pixDestroy(&outer);
    //  only small ones: a field boxed in by lines that were not removed
    //  must not vanish
    l_int32 lim = (l_int32)(0.45 * cap);
    PIX *small = isl ? pixSelectBySize(isl, lim, lim, 8, L_SELECT_IF_BOTH,
                                       L_SELECT_IF_LT, NULL)
                     : NULL;
    pixDestroy(&isl);
    return small;
}

//  Cleans a zone crop in place: removes islands and specks from the 1 bpp
//  bin, and whitens the gray crop away from the components kept (their
//  anti-aliased edges stay).
//  A speck is also anything within two of the scan's pixels each way: on a
//  coarse scan (a fax's rows are 1/98 in) one noisy pixel is taller than
//  the working resolution's specks, and no typed mark is that small.
static void
s_clean(PIX *crop, PIX *bin, double cap, double px_w, double px_h)
{
    PIX *isl = s_islands(bin, cap);
    if (isl != NULL) {
        pixSubtract(bin, bin, isl);
        pixDestroy(&isl);
    }
    l_int32 spk = (l_int32)(0.12 * cap);
    if (spk < 3)
        spk = 3;
    l_int32 spw = (l_int32)ceil(2 * px_w - 0.05),
            sph = (l_int32)ceil(2 * px_h - 0.05);
    PIX *keep =
        pixSelectBySize(bin, spw > spk ? spw : spk, sph > spk ? sph : spk, 8,
                        L_SELECT_IF_EITHER, L_SELECT_IF_GTE, NULL);
    if (keep == NULL)
        return;
    pixCopy(bin, keep);
    PIX *near = pixDilateBrick(NULL, keep, 3, 3);
    pixDestroy(&keep);
    if (near == NULL)
        return;
    pixInvert(near, near);
    pixPaintThroughMask(crop, near, 0, 0, 255);
    pixDestroy(&near);
}

//  Fields where one position may hold a letter or a digit.
static bool
s_mixed(const cq_form_field_t *f)
{
    switch (f->type) {
    case CQ_FT_ID:
    case CQ_FT_CODE:
        return f->charset != CQ_CS_DIGITS;
    case CQ_FT_NAME:
    case CQ_FT_ICD10:
    case CQ_FT_CPT:
    case CQ_FT_POINTERS:
        return true;
    default:
        return false;
    }
}

//  True when the letters and digits of raw and value line up one for one
//  and a digit of raw is a letter in value (the validator repaired it).
static bool
s_digit_as_letter(const char *raw, const char *value)
{
    char a[CQ_OCR_TEXT_LEN], b[CQ_OCR_TEXT_LEN];
    size_t na = 0, nb = 0;
    for (const char *q = raw; *q && na + 1 < sizeof a; q++)
        if (isalnum((unsigned char)*q))
            a[na++] = *q;
    for (const char *q = value; *q && nb + 1 < sizeof b; q++)
        if (isalnum((unsigned char)*q))
            b[nb++] = *q;
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (isdigit((unsigned char)a[i]) && isalpha((unsigned char)b[i]))
            return true;
    return false;
}

//  One Tesseract recognition of a band (scaled by scale): raw text,
//  whitespace-normalised, its MeanTextConf, and the validated value.
static void
s_tess(cq_ocr_t *self, PIX *band, float scale, cq_ocr_field_t *r)
{
    PIX *img =
        scale == 1.0f ? pixClone(band) : pixScaleGrayLI(band, scale, scale);
    if (img == NULL)
        return;
    TessBaseAPISetImage2(self->api, img);
    TessBaseAPISetSourceResolution(self->api, (int)(S_DPI * scale));
    char *text = TessBaseAPIGetUTF8Text(self->api);
    self->page.n_tess_calls++;
    r->reads++;
    int conf = TessBaseAPIMeanTextConf(self->api);
    pixDestroy(&img);
    size_t k = 0;
    bool sp = false;
    for (const char *s = text ? text : ""; *s && k + 2 < sizeof r->raw; s++) {
        if (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r') {
            sp = k > 0;
            continue;
        }
        if (sp)
            r->raw[k++] = ' ';
        sp = false;
        r->raw[k++] = *s;
    }
    r->raw[k] = '\0';
    if (text != NULL)
        TessDeleteText(text);
    r->conf = conf < 0 ? 0 : conf > 100 ? 100 : conf;
    r->reason = NULL;
    r->valid =
        cq_ocr_validate(r->def, r->raw, r->value, sizeof r->value, &r->reason);
    //  The data is typed in capitals: a lower-case i, l or o (or a bar)
    //  is a glyph Tesseract could not place, and where a letter and a
    //  digit may both stand (identifiers, names, codes) the validator
    //  cannot tell which it was. Such a read is never sure.
    if (r->valid && r->conf >= self->opts.threshold && s_mixed(r->def) &&
        strpbrk(r->raw, "ilo|!") != NULL) {
        r->conf = self->opts.threshold - 1;
        r->reason = "ambiguous character";
    }
    //  On a strict page, a digit the validator took for a letter (3 for
    //  J where a code must start with one) is a glyph Tesseract saw as a
    //  digit: a misread, or a stray mark read before the value. Never
    //  sure, however many reads agree on it (s_doubt).
    if (r->valid && self->page.strict && s_mixed(r->def) &&
        s_digit_as_letter(r->raw, r->value)) {
        if (r->conf >= self->opts.threshold)
            r->conf = self->opts.threshold - 1;
        r->reason = "ambiguous character";
    }
    //  A period in a name is as often a speck of dirt, or a comma that
    //  lost its tail, as a period.
    if (r->valid && r->conf >= self->opts.threshold &&
        r->def->type == CQ_FT_NAME && strchr(r->raw, '.') != NULL) {
        r->conf = self->opts.threshold - 1;
        r->reason = "unsure punctuation";
    }
}

//  Stretches a band's contrast in place: the darkest fifth of its ink
//  goes to black, 230 and lighter to white. Blur and low resolution leave
//  typed glyphs gray, and Tesseract is surer of them at full contrast.
static void
s_stretch(PIX **band)
{
    NUMA *na = pixGetGrayHistogram(*band, 1);
    if (na == NULL)
        return;
    l_float32 ink = 0, acc = 0, v;
    for (int i = 0; i < 200; i++) {
        numaGetFValue(na, i, &v);
        ink += v;
    }
    int lo = 0;
    for (; lo < 200 && acc < ink / 5; lo++) {
        numaGetFValue(na, lo, &v);
        acc += v;
    }
    numaDestroy(&na);
    if (ink <= 0 || lo <= 0)
        return;
    PIX *t = pixGammaTRC(NULL, *band, 1.0f, lo, 230);
    if (t != NULL) {
        pixDestroy(band);
        *band = t;
    }
}

//  Two reads agree: same validated value from as many glyphs (a glyph
//  read twice and repaired by the validator is no agreement), or the same
//  text when invalid.
static bool
s_same(const cq_ocr_field_t *a, const cq_ocr_field_t *b)
{
    if (a->valid != b->valid)
        return false;
    return a->valid ? strcmp(a->value, b->value) == 0 &&
                          strlen(a->raw) == strlen(b->raw)
                    : strcmp(a->raw, b->raw) == 0;
}

//  How many of a read's letters and digits its value did not take as
//  read: repaired (O read for 0, l for 1), dropped, or added. The letters
//  and digits of raw (upper-cased) and value are compared as multisets:
//  a date's value is reordered, its characters are the same.
static int
s_changes(const cq_ocr_field_t *r)
{
    int n[36] = {0};
    for (const char *q = r->raw; *q; q++) {
        int c = toupper((unsigned char)*q);
        if (c >= '0' && c <= '9')
            n[c - '0']++;
        else if (c >= 'A' && c <= 'Z')
            n[10 + c - 'A']++;
    }
    for (const char *q = r->value; *q; q++) {
        int c = (unsigned char)*q;
        if (c >= '0' && c <= '9')
            n[c - '0']--;
        else if (c >= 'A' && c <= 'Z')
            n[10 + c - 'A']--;
    }
    int d = 0;
    for (int i = 0; i < 36; i++)
        d += abs(n[i]);
    return d;
}

const cq_ocr_field_t *
cq_ocr_pick(const cq_ocr_field_t *a, const cq_ocr_field_t *b,
            const cq_ocr_field_t *c)
{
    const cq_ocr_field_t *r[3] = {a, b, c};
    int votes[3] = {0}, changes[3] = {0};
    for (int i = 0; i < 3; i++) {
        if (!r[i]->valid)
            continue;
        changes[i] = s_changes(r[i]);
        for (int j = 0; j < 3; j++)
            votes[i] += r[j]->valid && strcmp(r[j]->value, r[i]->value) == 0;
    }
    int w = 0;
    for (int i = 1; i < 3; i++) {
        if (r[i]->valid != r[w]->valid) {
            if (r[i]->valid)
                w = i;
        } else if (votes[i] != votes[w]) {
            if (votes[i] > votes[w])
                w = i;
        } else if (changes[i] != changes[w]) {
            if (changes[i] < changes[w])
                w = i;
        } else if (r[i]->conf > r[w]->conf) {
            w = i;
        }
    }
    return r[w];
}

//  A read with a doubt of its own: a glyph that may be a letter or a
//  digit, or a period left in a name's value (a period read where the
//  comma of "LAST, FIRST" stands is the comma, and no doubt).
static bool
s_doubt(const cq_ocr_field_t *r)
{
    if (r->reason == NULL)
        return false;
    if (strcmp(r->reason, "unsure punctuation") == 0)
        return strchr(r->value, '.') != NULL;
    return true;
}

//  Three reads at three scales agree: each valid, at least floor sure,
//  without a doubt, and the same value. Tesseract's confidence in a
//  clean glyph it reads the same way at 1x, 1.5x and 0.75x says little
//  (runs of dotted zeros score 30-70 and are right); on degraded scans
//  two reads can agree on a wrong value (E read as F, 0 as 6) while the
//  third sees it right, so all three must agree (docs/ocr.md).
static bool
s_unanimous(const cq_ocr_field_t *a, const cq_ocr_field_t *b,
            const cq_ocr_field_t *c, int floor)
{
    const cq_ocr_field_t *r[3] = {a, b, c};
    for (int i = 0; i < 3; i++)
        if (!r[i]->valid || r[i]->conf < floor || s_doubt(r[i]) ||
            strcmp(r[i]->value, a->value) != 0)
            return false;
    return true;
}

//  Between the cells of a field (MM | DD | YY, dollars | cents) the form
//  prints separators, some too short to pass for lines; nothing is typed
//  there: they are painted over in crop (the zone at zx, zw x zh).
static void
s_mask_separators(const cq_form_t *f, const cq_form_field_t *fd,
                  const s_prep_t *p, PIX *crop, l_int32 zx, l_int32 zw,
                  l_int32 zh)
{
    for (int i = 0; i + 1 < fd->n_cells; i++) {
        int end = fd->cells[i].col + fd->cells[i].width;
        if (fd->cells[i + 1].col <= end)
            continue;
        double gx =
            (cq_form_x_in(f, end) + cq_form_x_in(f, fd->cells[i + 1].col)) / 2;
        double a = p->ox + ((gx - 0.025) * S_DPI - p->tx0) * p->sx - zx;
        double b = p->ox + ((gx + 0.025) * S_DPI - p->tx0) * p->sx - zx;
        l_int32 ga = a < 0 ? 0 : (l_int32)a, gb = (l_int32)ceil(b);
        if (gb > zw)
            gb = zw;
        if (gb > ga)
            pixRasterop(crop, ga, 0, gb - ga, zh, PIX_SET, NULL, 0, 0);
    }
}

//  The text line in bin: the extent (*tx0, *ty0) .. (*tx1, *ty1) of the
//  tall components whose centre lies in the zone proper (lo_x .. hi_x)
//  and on the line (the median of their centres). *tx1 < 0: none.
static void
s_text_extent(PIX *bin, double cap, double lo_x, double hi_x, l_int32 *px0,
              l_int32 *py0, l_int32 *px1, l_int32 *py1)
{
    BOXA *ba = pixConnCompBB(bin, 8);
    l_int32 n = ba ? boxaGetCount(ba) : 0;
    l_int32 tx0 = INT32_MAX, ty0 = INT32_MAX, tx1 = -1, ty1 = -1;
    double cys[64];
    int ncy = 0;
    for (int pass = 0; pass < 2; pass++) {
        //  pass 0 finds the text line's centre; pass 1 keeps the
        //  components on it
        double mid = 0;
        if (pass == 1) {
            if (ncy == 0)
                break;
            //  median of the centres
            for (int i = 1; i < ncy; i++)
                for (int j = i; j > 0 && cys[j - 1] > cys[j]; j--) {
                    double t = cys[j];
                    cys[j] = cys[j - 1];
                    cys[j - 1] = t;
                }
            mid = cys[ncy / 2];
        }
        for (l_int32 i = 0; i < n; i++) {
            l_int32 bx, by, bw, bh;
            boxaGetBoxGeometry(ba, i, &bx, &by, &bw, &bh);
            double cx = bx + bw / 2.0, cy = by + bh / 2.0;
            if (bh < 0.55 * cap || bh > 1.7 * cap || cx < lo_x || cx > hi_x)
                continue;
            if (pass == 0) {
                if (ncy < 64)
                    cys[ncy++] = cy;
                continue;
            }
            if (fabs(cy - mid) > 0.45 * cap)
                continue;
            if (bx < tx0)
                tx0 = bx;
            if (by < ty0)
                ty0 = by;
            if (bx + bw > tx1)
                tx1 = bx + bw;
            if (by + bh > ty1)
                ty1 = by + bh;
        }
    }
    boxaDestroy(&ba);
    *px0 = tx0;
    *py0 = ty0;
    *px1 = tx1;
    *py1 = ty1;
}

//  Reads the band into r: as is first, then at two more scales unless
//  that read is sure.
static void
s_read_band(cq_ocr_t *self, PIX *band, cq_ocr_field_t *r)
{
    //  First read as is: taken when it validates at the threshold (on a
    //  strict page: at CQ_OCR_STRICT_SURE). Otherwise the band is read
    //  again at 1.5x and 0.75x (a wide glyph read twice, "wW", or a
    //  dotted zero read as 6 or 9 often comes out right at another
    //  scale). Three reads with the same value make the field sure
    //  (s_unanimous), with the highest of their confidences. Else, on a
    //  strict page, the field pends with its best read; on a clean one
    //  two reads that agree keep the lower confidence (errors repeat
    //  across scales: agreement of two is no proof), a majority of
    //  three keeps the lower confidence of the two that agree, and
    //  without a majority the field keeps its best read but pends.
    s_tess(self, band, 1.0f, r);
    int thr = self->opts.threshold;
    bool strict = self->page.strict;
    int sure = strict && thr < CQ_OCR_STRICT_SURE ? CQ_OCR_STRICT_SURE : thr;
    if (!(r->valid && r->conf >= sure)) {
        cq_ocr_field_t b = *r, c = *r;
        s_tess(self, band, 1.5f, &b);
        s_tess(self, band, 0.75f, &c);
        if (s_unanimous(r, &b, &c,
                        strict ? CQ_OCR_STRICT_FLOOR : CQ_OCR_AGREE_FLOOR)) {
            int best = r->conf > b.conf ? r->conf : b.conf;
            r->conf = c.conf > best ? c.conf : best;
            r->agreed = true;
            r->reason = NULL;
        } else if (strict) {
            *r = *cq_ocr_pick(r, &b, &c);
            if (r->valid && r->conf >= thr)
                r->conf = thr - 1; // sure alone, but not confirmed
            if (r->reason == NULL)
                r->reason = "reads disagree";
        } else if (s_same(r, &b)) {
            if (b.conf < r->conf)
                r->conf = b.conf;
        } else if (s_same(&c, r) || s_same(&c, &b)) {
            cq_ocr_field_t *win = s_same(&c, r) ? r : &b;
            int conf = c.conf < win->conf ? c.conf : win->conf;
            *r = *win;
            r->conf = conf;
        } else {
            *r = *cq_ocr_pick(r, &b, &c);
            if (r->valid && r->conf >= thr)
                r->conf = thr - 1; // three reads, three answers
            if (r->reason == NULL)
                r->reason = "reads disagree";
        }
        r->reads = 3;
    }
}

//  A zone the page's edge cuts (a scan that missed an edge): what is there
//  may be part of the value (a 9 whose left half is gone reads as 1), so
//  it is never sure.
static void
s_mark_cut(const cq_ocr_t *self, const s_prep_t *p, double x0, double x1,
           double y0, cq_ocr_field_t *r)
{
    const cq_form_t *f = self->form;
    //  (the zone as cropped: the print may sit that far off its cells)
    double ex0 = p->ox + ((x0 - 0.06) * S_DPI - p->tx0) * p->sx,
           ex1 = p->ox + ((x1 + 0.06) * S_DPI - p->tx0) * p->sx,
           ey0 = p->oy + ((y0 - 0.045) * S_DPI - p->ty0) * p->sy,
           ey1 = p->oy + ((y0 + 1.0 / f->lpi + 0.04) * S_DPI - p->ty0) * p->sy;
    if (s_cut(p, ex0, ey0, ex1, ey1)) {
        if (r->conf >= self->opts.threshold)
            r->conf = self->opts.threshold - 1;
        r->agreed = false; // (reads that agree on a cut value prove nothing)
        r->reason = "cut by the page's edge";
    }
}

//  Reads one text field: clip the zone, despeckle, keep the band of tall
//  components (none: blank), OCR it.
static void
s_read_text(cq_ocr_t *self, const s_prep_t *p, cq_ocr_field_t *r)
{
    const cq_form_t *f = self->form;
    const cq_form_field_t *fd = r->def;
    double cap = S_CAP_IN * S_DPI * p->sy; // cap height, working pixels
    double x0 = cq_form_x_in(f, fd->col),
           x1 = cq_form_x_in(f, fd->col + fd->width);
    double y0 = cq_form_y_in(f, fd->row);
    BOX *box = s_map_box(p, x0 - 0.06, y0 - 0.045, x1 + 0.06,
                         y0 + 1.0 / f->lpi + 0.04);
    r->blank = true;
    r->conf = -1;
    if (box == NULL)
        return;
    l_int32 zx, zy, zw, zh;
    boxGetGeometry(box, &zx, &zy, &zw, &zh);
    PIX *crop = pixClipRectangle(p->gray, box, NULL);
    boxDestroy(&box);
    if (crop == NULL)
        return;
    s_mask_separators(f, fd, p, crop, zx, zw, zh);
    PIX *bin = pixThresholdToBinary(crop, 150);
    s_clean(crop, bin, cap, p->px_w, p->px_h);
    double lo_x = p->ox + ((x0 - 0.035) * S_DPI - p->tx0) * p->sx - zx;
    double hi_x = p->ox + ((x1 + 0.035) * S_DPI - p->tx0) * p->sx - zx;
    l_int32 tx0, ty0, tx1, ty1;
    s_text_extent(bin, cap, lo_x, hi_x, &tx0, &ty0, &tx1, &ty1);
    pixDestroy(&bin);
    if (tx1 < 0) {
        pixDestroy(&crop);
        return; // blank
    }
    r->blank = false;
    //  The band: the tall components, plus room for punctuation (commas
    //  hang below the baseline, hyphens and periods are small).
    l_int32 mx = (l_int32)(0.25 * cap), top = (l_int32)(0.1 * cap),
            bottom = (l_int32)(0.3 * cap);
    PIX *band = s_band(crop, tx0 - mx, ty0 - top, tx1 - tx0 + 2 * mx,
                       ty1 - ty0 + top + bottom, 12);
    pixDestroy(&crop);
    if (band == NULL) {
        r->reason = "zone outside the page";
        return;
    }
    s_stretch(&band);
    s_read_band(self, band, r);
    pixDestroy(&band);
    s_mark_cut(self, p, x0, x1, y0, r);
}

//  ---------------------------------------------------------------------
//  Claim assembly.

//  What s_assemble works on: one result per template field, from a page
//  or from values a person typed (cq_ocr_claim_from_values).
typedef struct {
    const cq_form_t *form;
    cq_ocr_field_t *fields; // form->n_fields, in template order
    int threshold;          // a read below it (and not agreed) pends
    bool registered;        // false: no value is sure
    cq_claim_t *claim;      // filled
} s_sheet_t;

static cq_ocr_field_t *
s_find(const s_sheet_t *sh, cq_form_key_t key, int line)
{
    for (size_t i = 0; i < sh->form->n_fields; i++)
        if (sh->fields[i].def->key == key && sh->fields[i].def->line == line)
            return &sh->fields[i];
    return NULL;
}

static void
s_pend(cq_ocr_field_t *r, const char *reason)
{
    r->status = CQ_OCR_PEND;
    if (r->reason == NULL)
        r->reason = reason;
}

static int32_t
s_date_of(const char *iso)
{
    int32_t d;
    if (iso[0] == '\0' || cq_date_parse(iso, strlen(iso), &d) != 0)
        return CQ_DATE_NONE;
    return d;
}

static int64_t
s_money_of(const char *s)
{
    int64_t c;
    if (s[0] == '\0' || cq_money_parse_nonneg(s, strlen(s), &c) != 0)
        return -1;
    return c;
}

//  What the assembly's stages share: the sheet, which service lines are on
//  the form (any ink in the row), and how many diagnoses (A, B, ...).
typedef struct {
    const s_sheet_t *sh;
    bool present[CQ_FORM_MAX_SERVICE_LINES + 1];
    int n_dx;
    int page_no; // (a claim without an id is "#page")
} s_asm_t;

//  Each field's status from its read: accepted, blank, or pend (blank
//  where required, invalid, or unsure).
static void
s_asm_statuses(s_asm_t *x)
{
    const cq_form_t *f = x->sh->form;
    cq_ocr_field_t *fields = x->sh->fields;
    int thr = x->sh->threshold;
    for (size_t i = 0; i < f->n_fields; i++) {
        cq_ocr_field_t *r = &fields[i];
        const cq_form_field_t *fd = r->def;
        bool required = fd->required && (fd->line == 0 || x->present[fd->line]);
        if (fd->type == CQ_FT_CHECK) {
            r->status = r->valid ? (r->blank ? CQ_OCR_BLANK : CQ_OCR_ACCEPTED)
                                 : CQ_OCR_PEND;
            if (r->valid && r->reason != NULL)
                r->status = CQ_OCR_PEND;
            continue;
        }
        if (r->blank) {
            if (required) {
                r->status = CQ_OCR_PEND;
                r->reason = "blank";
            } else {
                r->status = CQ_OCR_BLANK;
                r->reason = NULL;
            }
            continue;
        }
        if (!r->valid)
            r->status = CQ_OCR_PEND;
        else if (r->conf < thr && !r->agreed) {
            r->status = CQ_OCR_PEND;
            if (r->reason == NULL)
                r->reason = "low confidence";
        } else {
            r->status = CQ_OCR_ACCEPTED;
            r->reason = NULL;
        }
    }
}

//  Cross-field checks: pointers to diagnoses that exist, dates in order,
//  the total the lines' sum, a replacement's reference, no gap in the
//  diagnoses.
static void
s_asm_checks(s_asm_t *x)
{
    const s_sheet_t *sh = x->sh;
    const cq_form_t *f = sh->form;
    cq_ocr_field_t *fields = sh->fields;
    for (int k = 1; k <= CQ_MAX_DX; k++) {
        cq_ocr_field_t *dx = NULL;
        for (size_t i = 0; i < f->n_fields; i++)
            if (fields[i].def->key == CQ_FK_DIAGNOSIS &&
                fields[i].def->index == k)
                dx = &fields[i];
        if (dx != NULL && !dx->blank)
            x->n_dx = k;
    }
    int64_t sum = 0;
    bool sum_known = true;
    cq_ocr_field_t *recv = s_find(sh, CQ_FK_RECEIVED, 0);
    for (int ln = 1; ln <= f->n_service_lines; ln++) {
        if (!x->present[ln])
            continue;
        cq_ocr_field_t *ch = s_find(sh, CQ_FK_L_CHARGE, ln);
        cq_ocr_field_t *ptr = s_find(sh, CQ_FK_L_PTRS, ln);
        cq_ocr_field_t *from = s_find(sh, CQ_FK_L_FROM, ln);
        cq_ocr_field_t *to = s_find(sh, CQ_FK_L_TO, ln);
        int64_t v = ch ? s_money_of(ch->value) : -1;
        if (v < 0)
            sum_known = false;
        else
            sum += v;
        if (ptr != NULL && ptr->valid)
            for (const char *q = ptr->value; *q; q++)
                if (*q - 'A' + 1 > x->n_dx)
                    s_pend(ptr, "no such diagnosis");
        if (from && to && from->valid && to->valid &&
            s_date_of(to->value) < s_date_of(from->value))
            s_pend(to, "before the from date");
        //  A claim is received after its services: a stamp read before
        //  one of them is misread (or the service date is).
        cq_ocr_field_t *last = to && to->valid ? to : from;
        if (recv != NULL && recv->valid && last != NULL && last->valid &&
            s_date_of(recv->value) < s_date_of(last->value))
            s_pend(recv, "before a service date");
    }
    cq_ocr_field_t *tot = s_find(sh, CQ_FK_TOTAL, 0);
    if (tot != NULL && tot->valid && sum_known &&
        s_money_of(tot->value) != sum) {
        s_pend(tot, "not the lines' sum");
        //  one of the charges is wrong too, or the total is
        for (int ln = 1; ln <= f->n_service_lines; ln++) {
            cq_ocr_field_t *ch = s_find(sh, CQ_FK_L_CHARGE, ln);
            if (x->present[ln] && ch != NULL)
                s_pend(ch, "sum is not the total");
        }
    }
    //  A replacement or void names the claim it replaces, and only then.
    cq_ocr_field_t *freq = s_find(sh, CQ_FK_FREQUENCY, 0);
    cq_ocr_field_t *orig = s_find(sh, CQ_FK_ORIGINAL_ID, 0);
    if (freq != NULL && orig != NULL) {
        if (!freq->blank && orig->blank)
            s_pend(freq, "no original claim ref");
        else if (freq->blank && !orig->blank)
            s_pend(orig, "no resubmission code");
    }
    //  Diagnoses must fill A, B, C... without gaps.
    for (size_t i = 0; i < f->n_fields; i++) {
        cq_ocr_field_t *r = &fields[i];
        if (r->def->key == CQ_FK_DIAGNOSIS && r->blank &&
            r->def->index < x->n_dx)
            s_pend(r, "gap in the diagnoses");
    }
}

//  One value read into the claim.
static void
s_put(cq_claim_t *c, const cq_form_field_t *fd, const char *v)
{
    int li = fd->line - 1;
    cq_line_t *l = fd->line > 0 ? &c->lines[li] : NULL;
    switch (fd->key) {
    case CQ_FK_PAYER_ID:
        cq_strlcpy(c->payer_id, v, sizeof c->payer_id);
        break;
    case CQ_FK_MEMBER_ID:
        cq_strlcpy(c->member.id, v, sizeof c->member.id);
        break;
    case CQ_FK_MEMBER_NAME: {
        const char *comma = strstr(v, ", ");
        if (comma != NULL) {
            cq_strncpy_n(c->member.last_name, sizeof c->member.last_name, v,
                         (size_t)(comma - v));
            cq_strlcpy(c->member.first_name, comma + 2,
                       sizeof c->member.first_name);
        } else {
            cq_strlcpy(c->member.last_name, v, sizeof c->member.last_name);
        }
        break;
    }
    case CQ_FK_MEMBER_BIRTH:
        c->member.birth_date = s_date_of(v);
        break;
    case CQ_FK_MEMBER_SEX:
        c->member.sex = v[0];
        break;
    case CQ_FK_FREQUENCY:
        c->frequency = v[0];
        break;
    case CQ_FK_ORIGINAL_ID:
        cq_strlcpy(c->original_claim_id, v, sizeof c->original_claim_id);
        break;
    case CQ_FK_PRIOR_AUTH:
        cq_strlcpy(c->prior_auth, v, sizeof c->prior_auth);
        break;
    case CQ_FK_DIAGNOSIS:
        cq_strlcpy(c->diagnoses[fd->index - 1], v, CQ_CODE_LEN);
        break;
    case CQ_FK_TAX_ID:
        cq_strlcpy(c->billing_tax_id, v, sizeof c->billing_tax_id);
        break;
    case CQ_FK_CLAIM_ID:
        cq_strlcpy(c->claim_id, v, sizeof c->claim_id);
        break;
    case CQ_FK_TOTAL:
        c->total_charge = s_money_of(v);
        break;
    case CQ_FK_BILLING_NAME:
        cq_strlcpy(c->billing_name, v, sizeof c->billing_name);
        break;
    case CQ_FK_BILLING_NPI:
        cq_strlcpy(c->billing_npi, v, sizeof c->billing_npi);
        break;
    case CQ_FK_RECEIVED:
        c->received_date = s_date_of(v);
        break;
    case CQ_FK_L_FROM:
        l->service_date = s_date_of(v);
        break;
    case CQ_FK_L_TO:
        l->service_date_end = s_date_of(v);
        break;
    case CQ_FK_L_POS:
        cq_strlcpy(l->place_of_service, v, sizeof l->place_of_service);
        break;
    case CQ_FK_L_PROC:
        cq_strlcpy(l->procedure, v, sizeof l->procedure);
        break;
    case CQ_FK_L_MODS: {
        char tmp[CQ_OCR_TEXT_LEN], *save = NULL;
        cq_strlcpy(tmp, v, sizeof tmp);
        for (char *t = strtok_r(tmp, " ", &save);
             t != NULL && l->n_modifiers < CQ_MAX_MODIFIERS;
             t = strtok_r(NULL, " ", &save))
            cq_strlcpy(l->modifiers[l->n_modifiers++], t,
                       sizeof l->modifiers[0]);
        break;
    }
    case CQ_FK_L_PTRS:
        for (const char *q = v; *q && l->n_pointers < CQ_MAX_POINTERS; q++)
            l->dx_pointers[l->n_pointers++] = (uint8_t)(*q - 'A' + 1);
        break;
    case CQ_FK_L_CHARGE:
        l->charge = s_money_of(v);
        break;
    case CQ_FK_L_UNITS:
        l->units_milli = (int64_t)atol(v) * 1000;
        break;
    case CQ_FK_L_NPI:
        cq_strlcpy(l->rendering_npi, v, sizeof l->rendering_npi);
        break;
    }
}

//  The claim, from whatever was read (pended values included: the claim
//  pends, and a person sees them next to the image).
static void
s_asm_claim(s_asm_t *x)
{
    const cq_form_t *f = x->sh->form;
    cq_ocr_field_t *fields = x->sh->fields;
    cq_claim_t *c = x->sh->claim;
    cq_claim_init(c);
    c->source = CQ_SOURCE_OCR;
    c->type = CQ_CLAIM_PROFESSIONAL;
    for (int i = 0; i < f->n_service_lines; i++) {
        c->lines[i].service_date = CQ_DATE_NONE;
        c->lines[i].service_date_end = CQ_DATE_NONE;
    }
    int min_conf = 100;
    bool any = false;
    for (size_t i = 0; i < f->n_fields; i++) {
        cq_ocr_field_t *r = &fields[i];
        const cq_form_field_t *fd = r->def;
        if (r->conf >= 0) {
            any = true;
            if (r->conf < min_conf)
                min_conf = r->conf;
        }
        const char *v = r->value;
        if (v[0] == '\0')
            continue;
        s_put(c, fd, v);
    }
    c->ocr_confidence = any ? min_conf : 0;
}

//  Service lines in order, without the empty rows; no negative amounts;
//  a claim id if none was read.
static void
s_asm_lines(s_asm_t *x)
{
    const cq_form_t *f = x->sh->form;
    cq_claim_t *c = x->sh->claim;
    int page_no = x->page_no;
    c->n_diagnoses = (uint8_t)x->n_dx;
    int n = 0;
    for (int ln = 1; ln <= f->n_service_lines; ln++) {
        if (!x->present[ln])
            continue;
        cq_line_t *l = &c->lines[ln - 1];
        if (l->service_date_end == l->service_date)
            l->service_date_end = CQ_DATE_NONE;
        if (l->service_date == CQ_DATE_NONE)
            l->service_date_end = CQ_DATE_NONE;
        if (n != ln - 1)
            memcpy(&c->lines[n], l, sizeof *l);
        n++;
    }
    for (int i = 0; i < f->n_service_lines; i++)
        if (i >= n) {
            memset(&c->lines[i], 0, sizeof c->lines[i]);
            c->lines[i].service_date = CQ_DATE_NONE;
            c->lines[i].service_date_end = CQ_DATE_NONE;
        }
    c->n_lines = (uint8_t)n;
    if (c->total_charge < 0)
        c->total_charge = 0;
    for (int i = 0; i < n; i++)
        if (c->lines[i].charge < 0)
            c->lines[i].charge = 0;
    if (c->claim_id[0] == '\0')
        snprintf(c->claim_id, sizeof c->claim_id, "#%d", page_no);
}

//  A page that did not register has no sure value; the pend reasons are
//  field names (never values).
static void
s_asm_reasons(s_asm_t *x)
{
    const s_sheet_t *sh = x->sh;
    const cq_form_t *f = sh->form;
    cq_ocr_field_t *fields = sh->fields;
    cq_claim_t *c = sh->claim;
    //  On a page that did not register no value is where its field is
    //  meant to be: none is sure (a person keys the form from the image).
    if (!sh->registered)
        for (size_t i = 0; i < f->n_fields; i++)
            if (fields[i].status == CQ_OCR_ACCEPTED) {
                fields[i].status = CQ_OCR_PEND;
                fields[i].reason = "form not registered";
            }
    //  Pend reasons: field names (never values).
    int n_pend = 0;
    for (size_t i = 0; i < f->n_fields; i++)
        if (fields[i].status == CQ_OCR_PEND)
            n_pend++;
    if (!sh->registered) {
        cq_claim_add_pend(c, "form: registration failed");
        n_pend++;
    }
    int added = sh->registered ? 0 : 1;
    for (size_t i = 0; i < f->n_fields; i++) {
        cq_ocr_field_t *r = &fields[i];
        if (r->status != CQ_OCR_PEND)
            continue;
        char msg[48];
        if (added == CQ_MAX_PEND - 1 && n_pend > CQ_MAX_PEND) {
            snprintf(msg, sizeof msg, "and %d more fields", n_pend - added);
            cq_claim_add_pend(c, msg);
            break;
        }
        //  field names are at most 24 characters, reasons at most 21
        //  (keep new reasons that short): an entry is never cut
        snprintf(msg, sizeof msg, "%.24s: %.21s", r->def->name,
                 r->reason ? r->reason : "pend");
        cq_claim_add_pend(c, msg);
        added++;
    }
}

//  Statuses, cross-field checks, then the claim: the one set of rules for
//  a page read and for values typed at the review station, in this order.
static void (*const s_assembly[])(s_asm_t *) = {
    s_asm_statuses, s_asm_checks, s_asm_claim, s_asm_lines, s_asm_reasons};

static void
s_assemble(const s_sheet_t *sh, int page_no)
{
    s_asm_t x = {.sh = sh, .page_no = page_no};
    const cq_form_t *f = sh->form;
    for (size_t i = 0; i < f->n_fields; i++)
        if (sh->fields[i].def->line > 0 && !sh->fields[i].blank)
            x.present[sh->fields[i].def->line] = true;
    for (size_t i = 0; i < CQ_ARRAY_LEN(s_assembly); i++)
        s_assembly[i](&x);
}

//  ---------------------------------------------------------------------
//  Pages.

//  A field before anything is read: blank, no confidence, no box.
static void
s_field_init(cq_ocr_field_t *r, const cq_form_field_t *def)
{
    memset(r, 0, sizeof *r);
    r->def = def;
    r->conf = -1;
    r->blank = true;
    r->box_x = r->box_y = r->box_w = r->box_h = -1;
}

static void
s_reset_page(cq_ocr_t *self, int page_no)
{
    memset(&self->page, 0, sizeof self->page);
    self->page.page = page_no;
    self->page.fields = self->fields;
    self->page.n_fields = self->form->n_fields;
    self->page.reg_residual_px = -1;
    for (size_t i = 0; i < self->form->n_fields; i++)
        s_field_init(&self->fields[i], &self->form->fields[i]);
    //  an image kept from the previous page must not stand for this one
    //  (a corrupt page has none)
    pixDestroy(&self->kept);
}

//  Each field's zone on the prepared page, for a person to see where the
//  value was read: the field's cells (a checkbox group: all its boxes)
//  with a margin for print that sits off its cells. Plain arithmetic on
//  the registration, so it is done whether the page is kept or not.
static void
s_boxes(cq_ocr_t *self, const s_prep_t *p)
{
    const cq_form_t *f = self->form;
    for (size_t i = 0; i < f->n_fields; i++) {
        cq_ocr_field_t *r = &self->fields[i];
        const cq_form_field_t *fd = r->def;
        int c0 = fd->col, c1 = fd->col + fd->width;
        for (int k = 0; fd->type == CQ_FT_CHECK && k < fd->n_choices; k++) {
            if (fd->choices[k].col < c0)
                c0 = fd->choices[k].col;
            if (fd->choices[k].col + 1 > c1)
                c1 = fd->choices[k].col + 1;
        }
        double y0 = cq_form_y_in(f, fd->row);
        l_int32 x, y, w, h;
        if (s_map_rect(p, cq_form_x_in(f, c0) - 0.04, y0 - 0.03,
                       cq_form_x_in(f, c1) + 0.04, y0 + 1.0 / f->lpi + 0.02, &x,
                       &y, &w, &h)) {
            r->box_x = x;
            r->box_y = y;
            r->box_w = w;
            r->box_h = h;
        }
    }
}

//  opts.keep_page: keeps what a person will look at, for
//  cq_ocr_page_png: the prepared page when it registered (a reference,
//  not a copy: the page is made anyway), else the page as decoded, in
//  gray (a transparent page on white paper, as s_prepare reads it).
static void
s_keep(cq_ocr_t *self, const s_prep_t *p, PIX *decoded)
{
    pixDestroy(&self->kept);
    if (p != NULL && self->page.registered && p->gray != NULL) {
        self->kept = pixClone(p->gray);
        return;
    }
    PIX *src = pixGetDepth(decoded) == 32 && pixGetSpp(decoded) == 4
                   ? pixAlphaBlendUniform(decoded, 0xffffff00)
                   : pixClone(decoded);
    if (src == NULL)
        return;
    self->kept = pixGetDepth(src) == 32 ? pixConvertRGBToLuminance(src)
                                        : pixConvertTo8(src, 0);
    pixDestroy(&src);
}

int
cq_ocr_page_png(cq_ocr_t *self, int max_width, cq_buf_t *out, double *scale)
{
    assert(self);
    assert(out);
    if (self->kept == NULL)
        return CQ_ENOTFOUND;
    l_int32 w = pixGetWidth(self->kept);
    PIX *sm = NULL;
    if (max_width > 0 && w > max_width) {
        //  as s_prepare scales: area mapping well below 1 (every source
        //  pixel counts: thin strokes stay), else interpolation. Two to
        //  three times faster than pixScale's sharpened result, and as
        //  legible.
        l_float32 f = (l_float32)max_width / (l_float32)w;
        sm = f < 0.7f ? pixScaleAreaMap(self->kept, f, f)
                      : pixScaleGrayLI(self->kept, f, f);
    } else {
        sm = pixClone(self->kept);
    }
    if (sm == NULL)
        return CQ_EIO; // Leptonica's allocation failed
    //  the scale made, not the one asked for: box_* land on its pixels
    if (scale != NULL)
        *scale = (double)pixGetWidth(sm) / (double)w;
    l_uint8 *data = NULL;
    size_t len = 0;
    int rc = pixWriteMemPng(&data, &len, sm, 0) == 0 ? 0 : CQ_EIO;
    pixDestroy(&sm);
    if (rc == 0) {
        cq_buf_reset(out);
        rc = cq_buf_add(out, data, len);
    }
    free(data);
    return rc;
}

//  Passes the claim to the caller's function; remembers a request to stop.
static int
s_deliver(cq_ocr_t *self)
{
    self->n_claims++;
    int rc = self->fn ? self->fn(self->arg, &self->claim) : 0;
    if (rc != 0)
        self->stop_rc = rc;
    self->t_mark = s_ms();
    return rc;
}

static int
s_emit_invalid(cq_ocr_t *self, int page_no, const char *why)
{
    cq_claim_t *c = &self->claim;
    cq_claim_init(c);
    c->source = CQ_SOURCE_OCR;
    c->ocr_confidence = 0;
    snprintf(c->claim_id, sizeof c->claim_id, "#%d", page_no);
    cq_claim_set_invalid(c, CQ_OCR_RARC, "%s", why);
    return s_deliver(self);
}

//  ---------------------------------------------------------------------
//  Orientation: a page that does not register may be turned (scanned
//  upside down, or sideways). Tesseract's orientation detection
//  (osd.traineddata) says which way first, on the page at 150 dpi; then
//  the other quarter turns are tried, and the first under which the form
//  registers is kept. A page registered as it is costs nothing here.

//  Quarter turns clockwise that Tesseract suggests for pix (1..3), or 0.
static int
s_osd_guess(cq_ocr_t *self, PIX *pix)
{
    if (!self->osd_tried) {
        self->osd_tried = true;
        TessBaseAPI *api = TessBaseAPICreate();
        const char *vars[] = {"debug_file"};
        const char *vals[] = {"/dev/null"};
        if (TessBaseAPIInit4(api, NULL, "osd", OEM_TESSERACT_ONLY, NULL, 0,
                             (char **)vars, (char **)vals, 1, false) == 0) {
            TessBaseAPISetPageSegMode(api, PSM_OSD_ONLY);
            self->osd = api;
        } else {
            TessBaseAPIDelete(api);
            cq_log_notice(NULL, "ocr: no orientation detection "
                                "(install tesseract-ocr-osd); turned pages "
                                "are tried every way");
        }
    }
    if (self->osd == NULL)
        return 0;
    PIX *g = pixConvertTo8(pix, 0);
    double f = 150.0 * self->form->page_w_in / pixGetWidth(pix);
    if (pixGetWidth(pix) > pixGetHeight(pix))
        f = 150.0 * self->form->page_w_in / pixGetHeight(pix);
    PIX *small = g && f < 1.0 ? pixScale(g, (float)f, (float)f) : pixClone(g);
    pixDestroy(&g);
    if (small == NULL)
        return 0;
    TessBaseAPISetImage2(self->osd, small);
    TessBaseAPISetSourceResolution(self->osd, 150);
    int deg = 0;
    float deg_conf = 0, script_conf = 0;
    const char *script = NULL;
    int turns = 0;
    if (TessBaseAPIDetectOrientationScript(self->osd, &deg, &deg_conf, &script,
                                           &script_conf) &&
        deg_conf > 1.0f) {
        //  deg: how far the page is turned counter-clockwise... or the
        //  turn to undo; either way a guess, checked by registering
        turns = ((360 - deg) % 360) / 90;
    }
    TessBaseAPIClear(self->osd);
    pixDestroy(&small);
    return turns;
}

//  Turns pix until the form registers: p (prepared from pix, not
//  registered) is replaced by the turned page's. Returns the quarter
//  turns kept (0: none registered; p is as it was).
static int
s_turn(cq_ocr_t *self, PIX *pix, s_prep_t *p)
{
    int guess = s_osd_guess(self, pix);
    int order[4] = {guess, 2, 1, 3};
    cq_ocr_page_t before = self->page;
    for (int k = 0; k < 4; k++) {
        int t = order[k];
        if (t == 0 || (k > 0 && t == guess))
            continue;
        PIX *rot = pixRotateOrth(pix, t);
        if (rot == NULL)
            continue;
        s_prep_t q;
        const char *err = NULL;
        int rc = s_prepare(self, rot, &q, &err);
        pixDestroy(&rot);
        if (rc == 0 && self->page.registered) {
            s_prep_free(p);
            *p = q;
            return t;
        }
        if (rc == 0)
            s_prep_free(&q);
        self->page = before;
    }
    return 0;
}

static int
s_on_page(void *arg, int page_no, PIX *pix, const char *why)
{
    cq_ocr_t *self = arg;
    double t0 = s_ms();
    s_reset_page(self, page_no);
    self->page.ms_decode = t0 - self->t_mark;
    if (pix == NULL)
        return s_emit_invalid(self, page_no, why);
    self->page.width = pixGetWidth(pix);
    self->page.height = pixGetHeight(pix);
    s_prep_t p;
    const char *err = NULL;
    if (s_prepare(self, pix, &p, &err) != 0) {
        if (self->opts.keep_page)
            s_keep(self, NULL, pix); // (not a form's: still an image)
        return s_emit_invalid(self, page_no, err);
    }
    if (!self->page.registered) {
        int turns = s_turn(self, pix, &p);
        self->page.turned_deg = 90 * turns;
        if (turns) {
            self->page.width = pixGetWidth(pix) * (turns % 2 ? 0 : 1) +
                               pixGetHeight(pix) * (turns % 2);
            self->page.height = pixGetHeight(pix) * (turns % 2 ? 0 : 1) +
                                pixGetWidth(pix) * (turns % 2);
        }
    }
    double t1 = s_ms();
    self->page.ms_prep = t1 - t0;
    for (size_t i = 0; i < self->form->n_fields; i++) {
        cq_ocr_field_t *r = &self->fields[i];
        if (r->def->type == CQ_FT_CHECK)
            s_read_check(self, &p, r);
        else
            s_read_text(self, &p, r);
    }
    if (self->page.registered)
        s_boxes(self, &p);
    if (self->opts.keep_page)
        s_keep(self, &p, pix);
    s_prep_free(&p);
    self->page.ms_fields = s_ms() - t1;
    s_sheet_t sh = {self->form, self->fields, self->opts.threshold,
                    self->page.registered, &self->claim};
    s_assemble(&sh, page_no);
    cq_log_debug(self->claim.claim_id,
                 "ocr page %d: %dx%d dpi %d skew %.2f registered %d "
                 "calls %d conf %d pend %d prep %.0f ms fields "
                 "%.0f ms",
                 page_no, self->page.width, self->page.height, self->page.dpi,
                 self->page.skew_deg, self->page.registered,
                 self->page.n_tess_calls, self->claim.ocr_confidence,
                 self->claim.n_pend, self->page.ms_prep, self->page.ms_fields);
    return s_deliver(self);
}

int
cq_ocr_read(cq_ocr_t *self, const uint8_t *bytes, size_t len, cq_claim_fn *fn,
            void *arg, cq_diag_t *diag)
{
    assert(self);
    self->fn = fn;
    self->arg = arg;
    self->n_claims = 0;
    self->stop_rc = 0;
    self->t_mark = s_ms();
    cq_diag_t d = {0};
    int rc = cq_ocr_decode(bytes, len, &self->opts, s_on_page, self, &d);
    if (self->stop_rc != 0)
        return self->stop_rc;
    if (rc < 0) {
        //  The file as a whole is unusable: one invalid claim answers it.
        if (diag != NULL && diag->code == 0)
            *diag = d;
        s_reset_page(self, 1);
        int frc = s_emit_invalid(self, 1, d.msg);
        return frc ? frc : 1;
    }
    return self->n_claims;
}

//  Decode only: the fuzz target's entry.
static int
s_probe_page(void *arg, int page_no, PIX *pix, const char *why)
{
    (void)page_no;
    int *bad = arg;
    if (pix == NULL)
        (*bad)++;
    (void)why;
    return 0;
}

int
cq_ocr_probe(const uint8_t *bytes, size_t len, const cq_ocr_opts_t *o,
             cq_diag_t *diag)
{
    cq_ocr_opts_t def;
    if (o == NULL) {
        cq_ocr_opts_init(&def);
        o = &def;
    }
    int bad = 0;
    int rc = cq_ocr_decode(bytes, len, o, s_probe_page, &bad, diag);
    if (rc < 0)
        return rc;
    if (bad > 0)
        return cq_diag_set(diag, CQ_EPROTO, 0,
                           "unreadable image: %d of %d pages corrupt", bad, rc);
    return rc;
}

//  ---------------------------------------------------------------------
//  `claimq ocr` output.

static const char *
s_status_name(cq_ocr_status_t s)
{
    switch (s) {
    case CQ_OCR_ACCEPTED:
        return "accepted";
    case CQ_OCR_BLANK:
        return "blank";
    case CQ_OCR_PEND:
        return "pend";
    }
    return "?";
}

static int
s_json_str(cq_buf_t *b, const char *s)
{
    int rc = cq_buf_addstr(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p && rc == 0;
         p++) {
        if (*p == '"' || *p == '\\')
            rc = cq_buf_printf(b, "\\%c", *p);
        else if (*p < 0x20)
            rc = cq_buf_printf(b, "\\u%04x", *p);
        else
            rc = cq_buf_add(b, p, 1);
    }
    return rc ? rc : cq_buf_addstr(b, "\"");
}

int
cq_ocr_page_to_json(const cq_ocr_t *self, const cq_claim_t *c, cq_buf_t *out)
{
    const cq_ocr_page_t *pg = &self->page;
    int rc = cq_buf_printf(
        out,
        "{\"page\": %d, \"width\": %d, \"height\": %d, "
        "\"dpi\": %d, \"skew_deg\": %.2f, "
        "\"turned_deg\": %d, "
        "\"strict\": %s, \"registered\": %s, \"registered_by\": \"%s\", "
        "\"threshold\": %d, \"confidence\": %d, "
        "\"pend\": [",
        pg->page, pg->width, pg->height, pg->dpi, pg->skew_deg, pg->turned_deg,
        pg->strict ? "true" : "false", pg->registered ? "true" : "false",
        !pg->registered ? "none"
        : pg->interior  ? "interior lines"
        : pg->matrix    ? "print matrix"
                        : "frame",
        self->opts.threshold, c->ocr_confidence);
    for (int i = 0; i < c->n_pend && rc == 0; i++) {
        if (i)
            rc = cq_buf_addstr(out, ", ");
        rc = rc ? rc : s_json_str(out, c->pend_fields[i]);
    }
    rc = rc ? rc : cq_buf_addstr(out, "], \"fields\": [");
    for (size_t i = 0; i < pg->n_fields && rc == 0; i++) {
        const cq_ocr_field_t *r = &pg->fields[i];
        rc = cq_buf_printf(out, "%s{\"name\": ", i ? ", " : "");
        rc = rc ? rc : s_json_str(out, r->def->name);
        rc = rc ? rc : cq_buf_addstr(out, ", \"box\": ");
        rc = rc ? rc : s_json_str(out, r->def->box);
        rc = rc ? rc
                : cq_buf_printf(out, ", \"type\": \"%s\", \"status\": \"%s\"",
                                cq_form_type_name(r->def->type),
                                s_status_name(r->status));
        if (!r->blank || r->status == CQ_OCR_PEND) {
            rc = rc ? rc : cq_buf_addstr(out, ", \"raw\": ");
            rc = rc ? rc : s_json_str(out, r->raw);
            rc = rc ? rc : cq_buf_addstr(out, ", \"value\": ");
            rc = rc ? rc : s_json_str(out, r->value);
            rc = rc ? rc : cq_buf_printf(out, ", \"conf\": %d", r->conf);
            rc = rc ? rc
                    : cq_buf_printf(out, ", \"reads\": %d%s", r->reads,
                                    r->agreed ? ", \"agreed\": true" : "");
        }
        if (r->reason != NULL && r->status == CQ_OCR_PEND) {
            rc = rc ? rc : cq_buf_addstr(out, ", \"reason\": ");
            rc = rc ? rc : s_json_str(out, r->reason);
        }
        rc = rc ? rc : cq_buf_addstr(out, "}");
    }
    return rc ? rc
              : cq_buf_printf(out,
                              "], \"tesseract_calls\": %d, \"ms\": "
                              "{\"prep\": %.1f, \"fields\": %.1f}}",
                              pg->n_tess_calls, pg->ms_prep, pg->ms_fields);
}

//  ---------------------------------------------------------------------
//  Values a person typed (the review station).

//  A value as a person types it in the station: the canonical form the
//  reader reports (ISO dates, "150.00", ICD with its point) or as printed
//  on the form ("02 20 26", "150 00", "E119"). Canonical values (and an
//  amount as people write it, "$150.5") are put back into the printed
//  form, so that one validator judges both.
static const char *
s_as_printed(const cq_form_field_t *fd, const char *v, char *buf, size_t size)
{
    size_t n = strlen(v);
    if (fd->type == CQ_FT_DATE && n == 10 && v[4] == '-' && v[7] == '-') {
        snprintf(buf, size, "%.2s %.2s %.*s", v + 5, v + 8, fd->century ? 4 : 2,
                 fd->century ? v : v + 2);
        return buf;
    }
    if (fd->type == CQ_FT_MONEY) {
        //  A person writes the currency sign with an amount; the form
        //  prints it in the box's title, and the validator takes a '$' in
        //  the zone for a misread 5 ("$125.00" would be 5125.00).
        char t[CQ_OCR_TEXT_LEN];
        size_t k = 0;
        for (const char *q = v; *q && k + 1 < sizeof t; q++)
            if (*q != '$' && !(*q == ' ' && k == 0))
                t[k++] = *q;
        while (k > 0 && t[k - 1] == ' ')
            k--; // ("125.50 $")
        t[k] = '\0';
        //  dollars and cents on either side of the point ("125.5" is
        //  125.50)
        const char *pt = strrchr(t, '.');
        size_t nc = pt != NULL ? strlen(pt + 1) : 0;
        if (pt != NULL && pt > t && (nc == 1 || nc == 2) &&
            strspn(pt + 1, "0123456789") == nc)
            snprintf(buf, size, "%.*s %s%s", (int)(pt - t), t, pt + 1,
                     nc == 1 ? "0" : "");
        else
            snprintf(buf, size, "%s", t);
        return buf;
    }
    if (fd->type == CQ_FT_ICD10 && strchr(v, '.') != NULL) {
        size_t k = 0;
        for (const char *q = v; *q && k + 1 < size; q++)
            if (*q != '.')
                buf[k++] = *q;
        buf[k] = '\0';
        return buf;
    }
    return v;
}

//  The value typed for template field name: the first entry naming it,
//  without the white space around it; NULL when none (or only white
//  space) was typed. buf holds CQ_OCR_TEXT_LEN bytes; a longer value is
//  *long_p, and returned cut.
static const char *
s_typed(const char *name, const char *const *names, const char *const *values,
        size_t n, char *buf, bool *long_p)
{
    *long_p = false;
    for (size_t k = 0; k < n; k++) {
        if (names[k] == NULL || strcmp(names[k], name) != 0)
            continue;
        const char *v = values != NULL ? values[k] : NULL;
        if (v == NULL)
            return NULL;
        while (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n')
            v++;
        size_t len = strlen(v);
        while (len > 0 && strchr(" \t\r\n", v[len - 1]) != NULL)
            len--;
        if (len == 0)
            return NULL;
        *long_p = len >= CQ_OCR_TEXT_LEN;
        cq_strncpy_n(buf, CQ_OCR_TEXT_LEN, v, len);
        return buf;
    }
    return NULL;
}

//  Fills one field's result from the text a person typed, as a read of
//  the page would: raw text, validation, canonical value.
static void
s_field_typed(cq_ocr_field_t *r, const char *v, bool too_long)
{
    const cq_form_field_t *fd = r->def;
    r->blank = false;
    r->conf = 100;
    r->valid = false;
    cq_strlcpy(r->raw, v, sizeof r->raw);
    //  The validator normalises what the form can carry (typed ASCII):
    //  it would cut a long value, and drop a letter such as an E with an
    //  accent, without a word. A person is told instead.
    if (too_long) {
        r->reason = "too long";
        return;
    }
    for (const char *q = v; *q; q++)
        if ((unsigned char)*q < 0x20 || (unsigned char)*q > 0x7e) {
            r->reason = "not plain ASCII";
            return;
        }
    char printed[CQ_OCR_TEXT_LEN];
    r->valid = cq_ocr_validate(fd, s_as_printed(fd, v, printed, sizeof printed),
                               r->value, sizeof r->value, &r->reason);
    if (!r->valid && r->reason == NULL)
        r->reason = "not valid";
    if (r->valid && fd->type == CQ_FT_CHECK) {
        //  one of the boxes' values, or the one for no mark
        bool ok = r->value[0] == fd->blank_value;
        for (int c = 0; c < fd->n_choices; c++)
            ok = ok || r->value[0] == fd->choices[c].value;
        if (!ok) {
            r->valid = false;
            r->value[0] = '\0';
            r->reason = "not one of the boxes";
        } else if (r->value[0] == fd->blank_value) {
            r->blank = true; // as no mark is read
            r->conf = -1;
            r->raw[0] = '\0';
        }
    }
    if (r->valid)
        r->reason = NULL;
}

int
cq_ocr_claim_from_values(const cq_form_t *form, const char *const *names,
                         const char *const *values, size_t n, cq_claim_t *out,
                         const char **bad_field, const char **why)
{
    assert(form);
    assert(out);
    assert(names != NULL || n == 0);
    const char *bad_dummy, *why_dummy;
    if (bad_field == NULL)
        bad_field = &bad_dummy;
    if (why == NULL)
        why = &why_dummy;
    *bad_field = NULL;
    *why = NULL;
    cq_ocr_field_t *fields =
        cq_xcalloc(form->n_fields ? form->n_fields : 1, sizeof *fields);
    cq_claim_t *c = cq_xmalloc(sizeof *c);
    for (size_t i = 0; i < form->n_fields; i++) {
        cq_ocr_field_t *r = &fields[i];
        const cq_form_field_t *fd = &form->fields[i];
        s_field_init(r, fd);
        char buf[CQ_OCR_TEXT_LEN];
        bool too_long = false;
        const char *v = s_typed(fd->name, names, values, n, buf, &too_long);
        if (v != NULL) {
            s_field_typed(r, v, too_long);
        } else if (fd->type == CQ_FT_CHECK) {
            //  as the reader leaves a group with no mark
            r->valid = true;
            if (fd->blank_value)
                snprintf(r->value, sizeof r->value, "%c", fd->blank_value);
        }
    }
    //  The page's rules: what is required, the cross-field checks (the
    //  total is the lines' sum, pointers name diagnoses...). A value a
    //  person typed is sure (confidence 100): what pends is wrong.
    s_sheet_t sh = {form, fields, CQ_OCR_THRESHOLD, true, c};
    s_assemble(&sh, 1);
    int rc = 0;
    for (size_t i = 0; i < form->n_fields; i++)
        if (fields[i].status == CQ_OCR_PEND) {
            *bad_field = fields[i].def->name;
            *why = fields[i].reason != NULL ? fields[i].reason : "pend";
            rc = CQ_EINVAL;
            break;
        }
    if (rc == 0) {
        c->ocr_confidence = 100;
        *out = *c;
    }
    free(c);
    free(fields);
    return rc;
}
