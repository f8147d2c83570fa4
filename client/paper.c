//  paper.c: claims rendered as scanned CMS-1500 pages (cairo + Leptonica).
#include "paper.h"

#include "claim_json.h"
#include "mem.h"

#include <cairo.h>
#include <cairo-pdf.h>
#include <dlfcn.h>
#include <errno.h>
#include <leptonica/allheaders.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define S_RED_R 0.91 // drop-out red ink
#define S_RED_G 0.24
#define S_RED_B 0.20
#define S_DATA_PT 10.0       // DejaVu Sans Mono, typed at 10 cpi
#define S_BASELINE 0.128     // data baseline below the top of its line, in
#define S_CAP 0.1013         // its cap height, in
#define S_BITONAL_THRESH 160 // luminance threshold for 1 bpp output

void
cq_paper_opts_init(cq_paper_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->dpi = 300;
    o->misreg_in = 0.025;
    o->shift_in = 0.06;
    o->seed = 1;
}

//  splitmix64: small, seedable, good enough for test images.
typedef struct {
    uint64_t s;
} s_rng_t;

static uint64_t
s_next(s_rng_t *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

//  Uniform in [0, 1).
static double
s_unif(s_rng_t *r)
{
    return (double)(s_next(r) >> 11) / 9007199254740992.0;
}

//  Uniform in [-a, a].
static double
s_sym(s_rng_t *r, double a)
{
    return (2 * s_unif(r) - 1) * a;
}

//  ---------------------------------------------------------------------
//  Drawing.

typedef struct {
    const cq_form_t *form;
    cairo_t *cr;
} s_draw_t;

static double
s_x(const s_draw_t *d, double col)
{
    return cq_form_x_in(d->form, col);
}

static double
s_y(const s_draw_t *d, double row)
{
    return cq_form_y_in(d->form, row);
}

static void
s_draw_form(s_draw_t *d)
{
    cairo_t *cr = d->cr;
    const cq_form_t *f = d->form;
    //  shaded bands (the supplemental half of each service line)
    cairo_set_source_rgb(cr, 1.0, 0.88, 0.86);
    for (size_t i = 0; i < f->n_shading; i++) {
        const cq_form_rect_t *r = &f->shading[i];
        cairo_rectangle(cr, s_x(d, r->left), s_y(d, r->top),
                        s_x(d, r->right) - s_x(d, r->left),
                        s_y(d, r->bottom) - s_y(d, r->top));
    }
    cairo_fill(cr);

    cairo_set_source_rgb(cr, S_RED_R, S_RED_G, S_RED_B);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_SQUARE);
    //  frame
    cairo_set_line_width(cr, 0.016);
    cairo_rectangle(cr, s_x(d, f->frame.left), s_y(d, f->frame.top),
                    s_x(d, f->frame.right) - s_x(d, f->frame.left),
                    s_y(d, f->frame.bottom) - s_y(d, f->frame.top));
    cairo_stroke(cr);
    //  inner lines
    for (size_t i = 0; i < f->n_lines; i++) {
        const cq_form_line_t *l = &f->lines[i];
        static const double dash[] = {0.012, 0.012};
        cairo_set_line_width(cr, l->style == 0 ? 0.011 : 0.007);
        cairo_set_dash(cr, dash, l->style == 2 ? 2 : 0, 0);
        cairo_move_to(cr, s_x(d, l->x0), s_y(d, l->y0));
        cairo_line_to(cr, s_x(d, l->x1), s_y(d, l->y1));
        cairo_stroke(cr);
    }
    cairo_set_dash(cr, NULL, 0, 0);
    //  checkboxes: a square around the character cell's centre
    cairo_set_line_width(cr, 0.007);
    for (size_t i = 0; i < f->n_checkboxes; i++) {
        const cq_form_rect_t *r = &f->checkboxes[i];
        double cx = (s_x(d, r->left) + s_x(d, r->right)) / 2;
        double cy = s_y(d, r->top) + S_BASELINE - S_CAP / 2;
        cairo_rectangle(cr, cx - 0.065, cy - 0.065, 0.13, 0.13);
        cairo_stroke(cr);
    }
    //  labels
    for (size_t i = 0; i < f->n_labels; i++) {
        const cq_form_label_t *l = &f->labels[i];
        cairo_select_font_face(
            cr, "DejaVu Sans Condensed", CAIRO_FONT_SLANT_NORMAL,
            l->bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
        cairo_set_font_size(cr, l->size / 72.0);
        cairo_font_extents_t fe;
        cairo_font_extents(cr, &fe);
        cairo_save(cr);
        cairo_translate(cr, s_x(d, l->col), s_y(d, l->row));
        if (l->rotate == 90)
            cairo_rotate(cr, -M_PI / 2);
        cairo_move_to(cr, 0, fe.ascent * 0.9);
        cairo_show_text(cr, l->text);
        cairo_restore(cr);
    }
}

//  Types text on the print matrix: one character per column, centred in
//  its cell, like a printer driven at 10 cpi.
static void
s_type(s_draw_t *d, double row, double col, const char *text, double dx,
       double dy)
{
    cairo_t *cr = d->cr;
    double pitch = 1.0 / d->form->cpi;
    for (size_t i = 0; text[i]; i++) {
        if (text[i] == ' ')
            continue;
        char ch[2] = {text[i], '\0'};
        cairo_text_extents_t te;
        cairo_text_extents(cr, ch, &te);
        double pad = (pitch - te.x_advance) / 2;
        cairo_move_to(cr, s_x(d, col) + (double)i * pitch + pad + dx,
                      s_y(d, row) + S_BASELINE + dy);
        cairo_show_text(cr, ch);
    }
}

static void
s_draw_data(s_draw_t *d, const cq_claim_t *c, s_rng_t *rng, double misreg)
{
    cairo_t *cr = d->cr;
    const cq_form_t *f = d->form;
    cairo_set_source_rgb(cr, 0.02, 0.02, 0.02);
    cairo_select_font_face(cr, "DejaVu Sans Mono", CAIRO_FONT_SLANT_NORMAL,
                           CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, S_DATA_PT / 72.0);
    //  The printer's offset for this sheet, plus a little per value.
    double pdx = s_sym(rng, misreg), pdy = s_sym(rng, misreg);
    for (size_t i = 0; i < f->n_constants; i++)
        s_type(d, f->constants[i].row, f->constants[i].col,
               f->constants[i].text, pdx, pdy);
    for (size_t i = 0; i < f->n_fields; i++) {
        const cq_form_field_t *fd = &f->fields[i];
        char cells[CQ_FORM_MAX_CELLS][CQ_FORM_CELL_LEN];
        int n = cq_form_field_print(fd, c, cells);
        double dx = pdx + s_sym(rng, misreg * 0.25);
        double dy = pdy + s_sym(rng, misreg * 0.25);
        if (fd->type == CQ_FT_CHECK) {
            for (int k = 0; k < fd->n_choices && n > 0; k++)
                if (fd->choices[k].value == cells[0][0])
                    s_type(d, fd->row, fd->choices[k].col, "X", dx, dy);
            continue;
        }
        for (int k = 0; k < n; k++)
            s_type(d, fd->row, fd->n_cells ? fd->cells[k].col : fd->col,
                   cells[k], dx, dy);
    }
}

//  ---------------------------------------------------------------------
//  Scanner effects on a 32 bpp Pix.

static uint8_t
s_clamp(double v)
{
    return v <= 0 ? 0 : v >= 255 ? 255 : (uint8_t)(v + 0.5);
}

//  Per-channel Gaussian (Irwin-Hall: four uniforms) and impulse noise, in
//  place.
static void
s_add_noise(PIX *pix, double noise, s_rng_t *rng)
{
    if (noise <= 0)
        return;
    l_int32 w = pixGetWidth(pix), h = pixGetHeight(pix);
    l_int32 wpl = pixGetWpl(pix);
    l_uint32 *data = pixGetData(pix);
    double sigma = 12.0 * noise;
    //  impulse probability per channel, as a 16-bit threshold
    uint32_t imp = (uint32_t)(0.03 * noise * 65536.0);
    for (l_int32 y = 0; y < h; y++) {
        l_uint32 *line = data + (size_t)y * (size_t)wpl;
        for (l_int32 x = 0; x < w; x++) {
            uint64_t u[3] = {s_next(rng), s_next(rng), s_next(rng)};
            uint64_t pick = s_next(rng);
            l_int32 rgb[3];
            extractRGBValues(line[x], &rgb[0], &rgb[1], &rgb[2]);
            for (int ch = 0; ch < 3; ch++) {
                double sum = 0;
                for (int k = 0; k < 4; k++)
                    sum += (double)((u[ch] >> (16 * k)) & 0xffff);
                double g = (sum / 65536.0 - 2.0) * 1.7320508;
                double v = rgb[ch] + g * sigma;
                uint32_t p = (uint32_t)(pick >> (16 * ch)) & 0xffff;
                if (p < imp / 2)
                    v = 0;
                else if (p >= 65536u - imp / 2)
                    v = 255;
                rgb[ch] = s_clamp(v);
            }
            composeRGBPixel(rgb[0], rgb[1], rgb[2], &line[x]);
        }
    }
}

static PIX *
s_blur(PIX *pix, double sigma)
{
    if (sigma <= 0.05)
        return pixClone(pix);
    int half = (int)ceil(sigma * 2.5);
    L_KERNEL *kx = NULL, *ky = NULL;
    makeGaussianKernelSep(half, half, (l_float32)sigma, 1.0, &kx, &ky);
    PIX *out = NULL;
    if (kx != NULL && ky != NULL)
        out = pixConvolveRGBSep(pix, kx, ky);
    kernelDestroy(&kx);
    kernelDestroy(&ky);
    return out ? out : pixClone(pix);
}

//  Cairo and fontconfig keep their font caches for the process's life;
//  leak checkers report them. They are released at exit (a program that
//  renders does so before it exits, from one thread: claimq gen, bench).
static pthread_once_t s_cleanup_once = PTHREAD_ONCE_INIT;

static void
s_cleanup(void)
{
    cairo_debug_reset_static_data();
    void (*fini)(void);
    *(void **)(&fini) = dlsym(RTLD_DEFAULT, "FcFini");
    if (fini != NULL)
        fini();
}

static void
s_cleanup_register(void)
{
    atexit(s_cleanup);
}

//  The scan misses `in` inches of the left and top edges (consumed).
static PIX *
s_clip(PIX *pix, double in, int dpi)
{
    int c = (int)(in * dpi + 0.5);
    if (c <= 0)
        return pix;
    BOX *b = boxCreate(c, c, pixGetWidth(pix) - c, pixGetHeight(pix) - c);
    PIX *r = b ? pixClipRectangle(pix, b, NULL) : NULL;
    boxDestroy(&b);
    if (r == NULL)
        return pix;
    pixDestroy(&pix);
    return r;
}

//  The page fed turned `turns` quarter turns clockwise (consumed).
static PIX *
s_turn(PIX *pix, int turns)
{
    if ((turns & 3) == 0)
        return pix;
    PIX *r = pixRotateOrth(pix, turns & 3);
    if (r == NULL)
        return pix;
    pixDestroy(&pix);
    return r;
}

int
cq_paper_render(const cq_form_t *form, const cq_claim_t *c,
                const cq_paper_opts_t *o, size_t index, PIX **out,
                cq_diag_t *diag)
{
    assert(form && c && o && out);
    *out = NULL;
    if (o->dpi < 50 || o->dpi > 600)
        return cq_diag_set(diag, CQ_EINVAL, 0, "paper: dpi %d not in 50-600",
                           o->dpi);
    pthread_once(&s_cleanup_once, s_cleanup_register);
    s_rng_t rng = {o->seed * 0x2545F4914F6CDD1Dull + index * 0x9E37u + 7};
    int w = (int)lround(form->page_w_in * o->dpi);
    int h = (int)lround(form->page_h_in * o->dpi);
    cairo_surface_t *surf =
        cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    if (cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(surf);
        return cq_diag_set(diag, CQ_EIO, 0,
                           "paper: cannot create a %dx%d "
                           "surface",
                           w, h);
    }
    cairo_t *cr = cairo_create(surf);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    //  The sheet on the scanner glass: shifted, slightly scaled, rotated
    //  about the page centre. Everything below is in inches.
    double sx = s_sym(&rng, o->shift_in), sy = s_sym(&rng, o->shift_in);
    double scale = 1.0 + s_sym(&rng, o->shift_in > 0 ? 0.003 : 0);
    cairo_scale(cr, o->dpi, o->dpi);
    cairo_translate(cr, form->page_w_in / 2 + sx, form->page_h_in / 2 + sy);
    cairo_rotate(cr, o->skew_deg * M_PI / 180.0);
    cairo_scale(cr, scale, scale);
    cairo_translate(cr, -form->page_w_in / 2, -form->page_h_in / 2);
    s_draw_t d = {.form = form, .cr = cr};
    if (!o->no_form)
        s_draw_form(&d);
    s_draw_data(&d, c, &rng, o->misreg_in);
    cairo_destroy(cr);
    cairo_surface_flush(surf);

    PIX *pix = pixCreate(w, h, 32);
    const unsigned char *src = cairo_image_surface_get_data(surf);
    int stride = cairo_image_surface_get_stride(surf);
    l_uint32 *dst = pixGetData(pix);
    l_int32 wpl = pixGetWpl(pix);
    for (int y = 0; y < h; y++) {
        const uint32_t *row =
            (const uint32_t *)(const void *)(src + (size_t)y * (size_t)stride);
        l_uint32 *drow = dst + (size_t)y * (size_t)wpl;
        for (int x = 0; x < w; x++)
            drow[x] = (row[x] & 0xffffffu) << 8; // 0x00RRGGBB -> RRGGBB00
    }
    cairo_surface_destroy(surf);
    pixSetResolution(pix, o->dpi, o->dpi);

    PIX *blurred = s_blur(pix, o->blur);
    pixDestroy(&pix);
    s_add_noise(blurred, o->noise, &rng);
    if (o->bitonal || o->tiff || o->fax) {
        PIX *g = pixConvertRGBToLuminance(blurred);
        pixDestroy(&blurred);
        int yres = o->dpi;
        if (o->fax) {
            //  standard-mode fax lines: 98 per inch, pixels twice as tall
            PIX *s = pixScale(g, 1.0f, (l_float32)(98.0 / o->dpi));
            if (s != NULL) {
                pixDestroy(&g);
                g = s;
                yres = 98;
            }
        }
        PIX *b = pixThresholdToBinary(g, S_BITONAL_THRESH);
        pixDestroy(&g);
        pixSetResolution(b, o->dpi, yres);
        *out = s_turn(s_clip(b, o->clip_in, o->dpi), o->turn);
        return 0;
    }
    *out = s_turn(s_clip(blurred, o->clip_in, o->dpi), o->turn);
    return 0;
}

//  ---------------------------------------------------------------------
//  Sets.

static int
s_mkdir(const char *dir, cq_diag_t *diag)
{
    if (mkdir(dir, 0777) == 0 || errno == EEXIST)
        return 0;
    return cq_diag_set(diag, CQ_EIO, 0, "paper: cannot create %s: %s", dir,
                       strerror(errno));
}

static int
s_write_text(const char *path, const char *text, size_t len, cq_diag_t *diag)
{
    FILE *fp = fopen(path, "wb");
    if (fp == NULL)
        return cq_diag_set(diag, CQ_EIO, 0, "paper: cannot write %s: %s", path,
                           strerror(errno));
    size_t k = fwrite(text, 1, len, fp);
    if (fclose(fp) != 0 || k != len)
        return cq_diag_set(diag, CQ_EIO, 0, "paper: cannot write %s", path);
    return 0;
}

//  One PDF page: the scan as an image at dpi filling the page.
static int
s_pdf_page(cairo_t *cr, PIX *pix, int dpi)
{
    PIX *p32 = pixGetDepth(pix) == 32 ? pixClone(pix) : pixConvertTo32(pix);
    if (p32 == NULL)
        return CQ_EIO;
    int w = pixGetWidth(p32), h = pixGetHeight(p32);
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(img);
        pixDestroy(&p32);
        return CQ_EIO;
    }
    cairo_surface_flush(img);
    unsigned char *data = cairo_image_surface_get_data(img);
    int stride = cairo_image_surface_get_stride(img);
    l_uint32 *line = pixGetData(p32);
    l_int32 wpl = pixGetWpl(p32);
    for (int y = 0; y < h; y++, line += wpl) {
        uint32_t *dst = (uint32_t *)(data + (size_t)y * stride);
        for (int x = 0; x < w; x++) {
            l_int32 r, g, b;
            extractRGBValues(line[x], &r, &g, &b);
            dst[x] = (uint32_t)r << 16 | (uint32_t)g << 8 | (uint32_t)b;
        }
    }
    cairo_surface_mark_dirty(img);
    pixDestroy(&p32);
    cairo_save(cr);
    cairo_scale(cr, 72.0 / dpi, 72.0 / dpi);
    cairo_set_source_surface(cr, img, 0, 0);
    cairo_paint(cr);
    cairo_restore(cr);
    cairo_show_page(cr);
    cairo_surface_destroy(img);
    return cairo_status(cr) == CAIRO_STATUS_SUCCESS ? 0 : CQ_EIO;
}

int
cq_paper_write_set(const char *outdir, const cq_form_t *form,
                   const cq_claim_t *claims, size_t n, const cq_paper_opts_t *o,
                   size_t *written, cq_diag_t *diag)
{
    assert(outdir && form && o);
    if (written)
        *written = 0;
    int rc = s_mkdir(outdir, diag);
    if (rc)
        return rc;
    size_t plen = strlen(outdir) + 64;
    char *path = cq_xmalloc(plen);
    //  The truth goes into a hidden folder: `claimq submit DIR` and
    //  `claimq adjudicate DIR` skip names starting with '.', so a folder
    //  of forms submits each claim once, from its image.
    snprintf(path, plen, "%s/" CQ_PAPER_TRUTH_DIR, outdir);
    rc = s_mkdir(path, diag);
    if (rc) {
        free(path);
        return rc;
    }
    cq_claim_t *fit = cq_xmalloc(sizeof *fit);
    cq_buf_t json;
    cq_buf_init(&json, CQ_JSON_MAX_DOC);
    cairo_surface_t *pdf = NULL;
    cairo_t *pcr = NULL;
    bool tiff = o->tiff || o->fax;
    if (tiff) {
        snprintf(path, plen, "%s/forms.tif", outdir);
        remove(path);
        cq_buf_addstr(&json, "[\n");
    } else if (o->pdf) {
        snprintf(path, plen, "%s/forms.pdf", outdir);
        pdf = cairo_pdf_surface_create(path, form->page_w_in * 72.0,
                                       form->page_h_in * 72.0);
        if (cairo_surface_status(pdf) != CAIRO_STATUS_SUCCESS)
            rc = cq_diag_set(diag, CQ_EIO, 0, "paper: cannot write %s", path);
        else
            pcr = cairo_create(pdf);
        cq_buf_addstr(&json, "[\n");
    }
    size_t done = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        memcpy(fit, &claims[i], sizeof *fit);
        if (cq_form_fit_claim(form, fit, NULL) != 0)
            continue; // does not fit one form: skipped (see paper.h)
        PIX *pix = NULL;
        rc = cq_paper_render(form, fit, o, i, &pix, diag);
        if (rc)
            break;
        if (tiff || o->pdf) {
            snprintf(path, plen, "%s/forms.%s", outdir, tiff ? "tif" : "pdf");
            if (tiff ? pixWriteTiff(path, pix,
                                    o->fax ? IFF_TIFF_G3 : IFF_TIFF_G4,
                                    done ? "a" : "w") != 0
                     : s_pdf_page(pcr, pix, o->dpi) != 0)
                rc = cq_diag_set(diag, CQ_EIO, 0, "paper: cannot write %s",
                                 path);
            if (done)
                cq_buf_addstr(&json, ",\n");
            if (rc == 0 && cq_claim_to_json(fit, &json) != 0)
                rc = cq_diag_set(diag, CQ_ETOOBIG, 0,
                                 "paper: truth JSON too large");
        } else {
            snprintf(path, plen, "%s/form-%06zu.%s", outdir, done + 1,
                     o->jpeg_quality > 0 ? "jpg" : "png");
            if (o->jpeg_quality > 0
                    ? pixWriteJpeg(path, pix, o->jpeg_quality, 0) != 0
                    : pixWrite(path, pix, IFF_PNG) != 0)
                rc = cq_diag_set(diag, CQ_EIO, 0, "paper: cannot write %s",
                                 path);
            cq_buf_reset(&json);
            if (rc == 0 && cq_claim_to_json(fit, &json) == 0 &&
                cq_buf_addstr(&json, "\n") == 0) {
                snprintf(path, plen,
                         "%s/" CQ_PAPER_TRUTH_DIR "/form-%06zu.json", outdir,
                         done + 1);
                rc = s_write_text(path, json.data, json.len, diag);
            } else if (rc == 0) {
                rc = cq_diag_set(diag, CQ_ETOOBIG, 0,
                                 "paper: truth JSON too large");
            }
        }
        pixDestroy(&pix);
        if (rc == 0)
            done++;
    }
    if (pcr) {
        cairo_destroy(pcr);
        cairo_surface_finish(pdf);
        if (rc == 0 && cairo_surface_status(pdf) != CAIRO_STATUS_SUCCESS)
            rc = cq_diag_set(diag, CQ_EIO, 0,
                             "paper: cannot write %s/forms.pdf", outdir);
    }
    if (pdf)
        cairo_surface_destroy(pdf);
    if (rc == 0 && (tiff || o->pdf) && done > 0) {
        cq_buf_addstr(&json, "\n]\n");
        snprintf(path, plen, "%s/" CQ_PAPER_TRUTH_DIR "/forms.json", outdir);
        rc = s_write_text(path, json.data, json.len, diag);
    }
    cq_buf_free(&json);
    free(fit);
    free(path);
    if (written)
        *written = done;
    return rc;
}
