//  ocr_pdf.c: scanned PDFs (what fax servers and clearinghouses send) as
//  pages for the OCR pipeline, through Debian's poppler (GLib API).
//
//  Caps first, as for images: the file's size (the caller), then the
//  declared size of every image in it, read from the bytes (an image is a
//  stream, and a stream's dictionary is never inside an object stream, so
//  every image's /Width and /Height are in the file as text), then the
//  page count; only then is anything decoded.
//
//  A page whose one image covers it (a scan) is read at that image's own
//  resolution, its pixels as they are; any other page (a scan placed with
//  margins, a rotated page, a page drawn as text and lines) is drawn at
//  the resolution of its largest image, or 300 dpi without one. Pixel caps
//  hold for what is drawn too.
#include "ocr_int.h"

#include "mem.h"

#include <leptonica/allheaders.h>
#include <limits.h>
#include <math.h>
#include <poppler.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_DRAW_DPI 300.0 // a page without an image
#define S_MIN_DPI 72.0
#define S_MAX_DPI 1200.0

//  ---- caps: image dictionaries in the bytes -------------------------------

//  The integer after `key` in the dictionary text d[0..n) (a direct
//  number), or -1 when absent, -2 when not a plain number (an indirect
//  reference: not trusted).
static long long
s_dict_int(const uint8_t *d, size_t n, const char *key)
{
    size_t kl = strlen(key);
    for (size_t i = 0; i + kl < n; i++) {
        if (memcmp(d + i, key, kl) != 0)
            continue;
        char after = (char)d[i + kl];
        if ((after >= 'a' && after <= 'z') || (after >= 'A' && after <= 'Z'))
            continue; // (/Width is not /WidthX)
        size_t j = i + kl;
        while (j < n &&
               (d[j] == ' ' || d[j] == '\r' || d[j] == '\n' || d[j] == '\t'))
            j++;
        long long v = 0;
        size_t k = j;
        while (k < n && d[k] >= '0' && d[k] <= '9' && v < 1000000000LL)
            v = v * 10 + (d[k++] - '0');
        if (k == j)
            return -2;
        //  "12 0 R": a reference
        size_t m = k;
        while (m < n && d[m] == ' ')
            m++;
        if (m < n && d[m] >= '0' && d[m] <= '9') {
            while (m < n && d[m] >= '0' && d[m] <= '9')
                m++;
            while (m < n && d[m] == ' ')
                m++;
            if (m < n && d[m] == 'R')
                return -2;
        }
        return v;
    }
    return -1;
}

//  The largest object number a PDF of len bytes may use. poppler sizes its
//  cross-reference table by the largest number it finds (also when it
//  rebuilds a broken one): a 500-byte file naming object 29,999,999 made
//  it take 1.2 GB and 15 s (found by fuzz_image). A real file uses numbers
//  up to about its object count; every object takes at least 8 bytes:
//  CQ_PDF_MAX_OBJECTS (limit.h) allows one per 8 bytes, and 10,000 more.

static bool
s_digit(uint8_t c)
{
    return c >= '0' && c <= '9';
}

static bool
s_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
           c == '\0';
}

//  Every "N G obj" and every "/Size N": N within CQ_PDF_MAX_OBJECTS. Returns 0,
//  or CQ_ETOOBIG with diag.
static int
s_scan_objects(const uint8_t *b, size_t len, cq_diag_t *diag)
{
    uint64_t cap = CQ_PDF_MAX_OBJECTS((uint64_t)len);
    for (size_t i = 0; i + 3 <= len; i++) {
        size_t end; // one past the number's last digit
        if (memcmp(b + i, "obj", 3) == 0) {
            //  back over " G " to N
            size_t j = i;
            while (j > 0 && s_space(b[j - 1]))
                j--;
            size_t g = j;
            while (j > 0 && s_digit(b[j - 1]))
                j--;
            if (j == g)
                continue;
            while (j > 0 && s_space(b[j - 1]))
                j--;
            end = j;
            while (j > 0 && s_digit(b[j - 1]))
                j--;
            if (j == end)
                continue;
            i += 2;
            uint64_t n = 0;
            for (size_t k = j; k < end && n <= cap; k++)
                n = n * 10 + (b[k] - '0');
            if (n > cap) {
                cq_limit_hit(CQ_LIMIT_PDF_OBJECTS);
                return cq_diag_set(diag, CQ_ETOOBIG, j,
                                   "unreadable image: PDF object number at "
                                   "byte %zu is over %llu, more than a file "
                                   "of %zu bytes can hold",
                                   j, (unsigned long long)cap, len);
            }
        } else if (i + 5 <= len && memcmp(b + i, "/Size", 5) == 0) {
            size_t j = i + 5;
            while (j < len && s_space(b[j]))
                j++;
            uint64_t n = 0;
            for (; j < len && s_digit(b[j]) && n <= cap; j++)
                n = n * 10 + (b[j] - '0');
            if (n > cap) {
                cq_limit_hit(CQ_LIMIT_PDF_OBJECTS);
                return cq_diag_set(diag, CQ_ETOOBIG, i,
                                   "unreadable image: PDF /Size at byte %zu is "
                                   "over %llu, more than a file of %zu bytes "
                                   "can hold",
                                   i, (unsigned long long)cap, len);
            }
        }
    }
    return 0;
}

//  Every "/Subtype /Image" in the file: its dictionary's /Width and
//  /Height against the caps. Returns 0, or an error with diag.
static int
s_scan_images(const uint8_t *b, size_t len, const cq_ocr_opts_t *o,
              cq_diag_t *diag)
{
    static const char *const keys[] = {"/Subtype/Image", "/Subtype /Image"};
    for (size_t i = 0; i + 14 < len; i++) {
        if (b[i] != '/')
            continue;
        size_t kl = 0;
        for (int k = 0; k < 2 && kl == 0; k++)
            if (len - i >= strlen(keys[k]) &&
                memcmp(b + i, keys[k], strlen(keys[k])) == 0)
                kl = strlen(keys[k]);
        if (kl == 0)
            continue;
        //  the dictionary around it: back to "<<", on to ">>" (images'
        //  dictionaries are flat; 8 KiB either way is plenty)
        size_t lo = i > 8192 ? i - 8192 : 0,
               hi = i + 8192 < len ? i + 8192 : len;
        size_t s = i;
        while (s > lo && !(b[s - 1] == '<' && s >= 2 && b[s - 2] == '<'))
            s--;
        size_t e = i + kl;
        while (e + 1 < hi && !(b[e] == '>' && b[e + 1] == '>'))
            e++;
        long long w = s_dict_int(b + s, e - s, "/Width"),
                  h = s_dict_int(b + s, e - s, "/Height");
        if (w == -2 || h == -2)
            return cq_diag_set(diag, CQ_EUNSUPPORTED, i,
                               "unreadable image: PDF image at byte %zu gives "
                               "its size indirectly (not supported)",
                               i);
        if (w < 0 || h < 0)
            return cq_diag_set(diag, CQ_EPROTO, i,
                               "unreadable image: PDF image at byte %zu "
                               "without /Width or /Height",
                               i);
        if (w > (long long)o->max_dim || h > (long long)o->max_dim ||
            (uint64_t)w * (uint64_t)h > o->max_pixels) {
            cq_limit_hit(CQ_LIMIT_IMAGE_PIXELS);
            return cq_diag_set(diag, CQ_ETOOBIG, i,
                               "unreadable image: PDF image of %lld x %lld "
                               "pixels, over the cap of %llu pixels",
                               w, h, (unsigned long long)o->max_pixels);
        }
        i = e;
    }
    return 0;
}

//  ---- pixels ----------------------------------------------------------------

//  A cairo RGB24 / ARGB32 surface as a 32 bpp Leptonica page (alpha over
//  white). NULL for other formats.
static PIX *
s_pix_of(cairo_surface_t *s)
{
    cairo_surface_flush(s);
    cairo_format_t f = cairo_image_surface_get_format(s);
    if (f != CAIRO_FORMAT_RGB24 && f != CAIRO_FORMAT_ARGB32)
        return NULL;
    int w = cairo_image_surface_get_width(s),
        h = cairo_image_surface_get_height(s),
        stride = cairo_image_surface_get_stride(s);
    const unsigned char *data = cairo_image_surface_get_data(s);
    if (data == NULL || w <= 0 || h <= 0)
        return NULL;
    PIX *pix = pixCreate(w, h, 32);
    if (pix == NULL)
        return NULL;
    l_uint32 *line = pixGetData(pix);
    l_int32 wpl = pixGetWpl(pix);
    for (int y = 0; y < h; y++, line += wpl) {
        const uint32_t *src = (const uint32_t *)(data + (size_t)y * stride);
        for (int x = 0; x < w; x++) {
            uint32_t v = src[x];
            unsigned a = f == CAIRO_FORMAT_ARGB32 ? v >> 24 : 255;
            //  (premultiplied: colour + (255 - a) of white)
            unsigned r = ((v >> 16) & 0xff) + 255 - a,
                     g = ((v >> 8) & 0xff) + 255 - a, bl = (v & 0xff) + 255 - a;
            l_uint32 px;
            composeRGBPixel(r > 255 ? 255 : (l_int32)r,
                            g > 255 ? 255 : (l_int32)g,
                            bl > 255 ? 255 : (l_int32)bl, &px);
            line[x] = px;
        }
    }
    pixSetResolution(pix, 0, 0);
    return pix;
}

//  Draws the page at dpi on white. NULL when over the caps or failing.
static PIX *
s_draw(PopplerPage *page, double dpi, const cq_ocr_opts_t *o, const char **why)
{
    double pw, ph;
    poppler_page_get_size(page, &pw, &ph);
    double w = ceil(pw * dpi / 72.0), h = ceil(ph * dpi / 72.0);
    if (w < 1 || h < 1 || w > (double)o->max_dim || h > (double)o->max_dim ||
        w * h > (double)o->max_pixels) {
        *why = "unreadable image: PDF page over the pixel cap when drawn";
        return NULL;
    }
    cairo_surface_t *s =
        cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)w, (int)h);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(s);
        *why = "unreadable image: no memory to draw a PDF page";
        return NULL;
    }
    cairo_t *cr = cairo_create(s);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_scale(cr, dpi / 72.0, dpi / 72.0);
    poppler_page_render(page, cr);
    cairo_destroy(cr);
    PIX *pix = s_pix_of(s);
    cairo_surface_destroy(s);
    if (pix == NULL)
        *why = "unreadable image: a PDF page could not be drawn";
    return pix;
}

//  The page as pixels: its covering image as it is, or drawn.
static PIX *
s_page(PopplerPage *page, const cq_ocr_opts_t *o, const char **why)
{
    double pw, ph;
    poppler_page_get_size(page, &pw, &ph);
    GList *maps = poppler_page_get_image_mapping(page);
    PopplerImageMapping *best = NULL;
    double best_area = 0;
    for (GList *l = maps; l; l = l->next) {
        PopplerImageMapping *m = l->data;
        double a =
            fabs(m->area.x2 - m->area.x1) * fabs(m->area.y2 - m->area.y1);
        if (a > best_area) {
            best_area = a;
            best = m;
        }
    }
    PIX *pix = NULL;
    double dpi = S_DRAW_DPI;
    if (best != NULL) {
        double aw = fabs(best->area.x2 - best->area.x1),
               ah = fabs(best->area.y2 - best->area.y1);
        cairo_surface_t *img = poppler_page_get_image(page, best->image_id);
        if (img != NULL && cairo_surface_status(img) == CAIRO_STATUS_SUCCESS) {
            int iw = cairo_image_surface_get_width(img),
                ih = cairo_image_surface_get_height(img);
            if (aw > 0 && iw > 0)
                dpi = iw / (aw / 72.0);
            //  the image covers the page, the same way up: its pixels
            bool covers = aw >= pw * 0.97 && ah >= ph * 0.97 && ih > 0 &&
                          fabs((double)iw / ih - aw / ah) < 0.02 * aw / ah;
            if (covers)
                pix = s_pix_of(img);
        }
        if (img != NULL)
            cairo_surface_destroy(img);
    }
    poppler_page_free_image_mapping(maps);
    if (pix != NULL) {
        pixSetResolution(pix, (l_int32)lround(dpi), (l_int32)lround(dpi));
        return pix;
    }
    if (dpi < S_MIN_DPI)
        dpi = S_MIN_DPI;
    if (dpi > S_MAX_DPI)
        dpi = S_MAX_DPI;
    return s_draw(page, dpi, o, why);
}

int
cq_ocr_decode_pdf(const uint8_t *b, size_t len, const cq_ocr_opts_t *o,
                  cq_ocr_page_fn *fn, void *arg, cq_diag_t *diag)
{
    if (len > INT_MAX)
        return cq_diag_set(diag, CQ_ETOOBIG, 0,
                           "unreadable image: PDF of %zu bytes", len);
    int rc = s_scan_objects(b, len, diag);
    if (rc == 0)
        rc = s_scan_images(b, len, o, diag);
    if (rc != 0)
        return rc;
    GBytes *gb = g_bytes_new_static(b, len);
    GError *err = NULL;
    PopplerDocument *doc = poppler_document_new_from_bytes(gb, NULL, &err);
    if (doc == NULL) {
        bool locked = err && err->domain == POPPLER_ERROR &&
                      err->code == POPPLER_ERROR_ENCRYPTED;
        rc = cq_diag_set(diag, locked ? CQ_EUNSUPPORTED : CQ_EPROTO, 0,
                         "unreadable image: %s",
                         locked ? "the PDF needs a password"
                                : "corrupt PDF (it cannot be opened)");
        if (err)
            g_error_free(err);
        g_bytes_unref(gb);
        return rc;
    }
    int pages = poppler_document_get_n_pages(doc);
    if (pages <= 0)
        rc = cq_diag_set(diag, CQ_EPROTO, 0,
                         "unreadable image: PDF without pages");
    else if (pages > o->max_pages) {
        cq_limit_hit(CQ_LIMIT_IMAGE_PAGES);
        rc = cq_diag_set(diag, CQ_ETOOBIG, 0,
                         "unreadable image: %d pages, over the cap of %d",
                         pages, o->max_pages);
    }
    for (int i = 0; rc == 0 && i < pages; i++) {
        PopplerPage *page = poppler_document_get_page(doc, i);
        const char *why = "unreadable image: a PDF page could not be read";
        PIX *pix = page ? s_page(page, o, &why) : NULL;
        char msg[128];
        snprintf(msg, sizeof msg, "%s (page %d)", why, i + 1);
        if (pix != NULL && (pixGetWidth(pix) < CQ_OCR_MIN_DIM ||
                            pixGetHeight(pix) < CQ_OCR_MIN_DIM)) {
            pixDestroy(&pix);
            snprintf(msg, sizeof msg, "unreadable image: PDF page %d too small",
                     i + 1);
        }
        rc = fn(arg, i + 1, pix, pix ? NULL : msg);
        pixDestroy(&pix);
        if (page)
            g_object_unref(page);
    }
    g_object_unref(doc);
    g_bytes_unref(gb);
    return rc != 0 ? rc : pages;
}
