//  ocr_image.c: image decoding with caps checked before decoding.
//
//  The declared dimensions of every page (PNG IHDR, JPEG SOF, each TIFF
//  directory) and the page count are read from the bytes first, with our
//  own bounds-checked readers, and checked against the caps; only then
//  are pixels decoded (Leptonica over libpng, libjpeg, libtiff).
#include "ocr_int.h"

#include "mem.h"

#include <dlfcn.h>
#include <leptonica/allheaders.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t s_quiet_once = PTHREAD_ONCE_INIT;

static void
s_quiet_init(void)
{
    setMsgSeverity(L_SEVERITY_NONE);
    //  libtiff prints its own warnings; it is loaded with Leptonica, so
    //  look its handler setters up instead of linking it directly.
    typedef void *(*set_handler_fn)(void *);
    set_handler_fn set;
    *(void **)(&set) = dlsym(RTLD_DEFAULT, "TIFFSetWarningHandler");
    if (set != NULL)
        set(NULL);
    *(void **)(&set) = dlsym(RTLD_DEFAULT, "TIFFSetErrorHandler");
    if (set != NULL)
        set(NULL);
}

void
cq_ocr_quiet(void)
{
    pthread_once(&s_quiet_once, s_quiet_init);
}

//  ---------------------------------------------------------------------
//  Bounds-checked readers.

static uint32_t
s_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

typedef struct {
    const uint8_t *b;
    size_t len;
    bool big; // MM (big-endian) TIFF
} s_tiff_t;

static uint16_t
s_t16(const s_tiff_t *t, size_t off)
{
    const uint8_t *p = t->b + off;
    return t->big ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[1] << 8 | p[0]);
}

static uint32_t
s_t32(const s_tiff_t *t, size_t off)
{
    const uint8_t *p = t->b + off;
    if (t->big)
        return s_be32(p);
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 |
           p[0];
}

static int
s_check_dims(uint64_t w, uint64_t h, int page, const cq_ocr_opts_t *o,
             cq_diag_t *diag)
{
    if (w == 0 || h == 0)
        return cq_diag_set(diag, CQ_EPROTO, 0,
                           "unreadable image: page %d declares no size", page);
    if (w > (uint64_t)o->max_dim || h > (uint64_t)o->max_dim ||
        w * h > o->max_pixels) {
        cq_limit_hit(CQ_LIMIT_IMAGE_PIXELS);
        return cq_diag_set(diag, CQ_ETOOBIG, 0,
                           "unreadable image: page %d is %llux%llu pixels, "
                           "over the cap (%d per side, %llu in all)",
                           page, (unsigned long long)w, (unsigned long long)h,
                           o->max_dim, (unsigned long long)o->max_pixels);
    }
    //  pages are scaled to a sheet's width: one far taller than a sheet
    //  would grow past the caps
    if (h > 6 * w)
        return cq_diag_set(diag, CQ_EPROTO, 0,
                           "unreadable image: page %d is %llux%llu pixels: "
                           "its proportions are not a form's",
                           page, (unsigned long long)w, (unsigned long long)h);
    if (w < CQ_OCR_MIN_DIM || h < CQ_OCR_MIN_DIM)
        return cq_diag_set(diag, CQ_EPROTO, 0,
                           "unreadable image: page %d is %llux%llu pixels, "
                           "too small for a form",
                           page, (unsigned long long)w, (unsigned long long)h);
    return 0;
}

//  Walks the TIFF directory chain: counts pages and checks each page's
//  declared size. BigTIFF is refused.
static int
s_tiff_scan(const uint8_t *b, size_t len, const cq_ocr_opts_t *o,
            cq_diag_t *diag)
{
    s_tiff_t t = {.b = b, .len = len, .big = b[0] == 'M'};
    if (s_t16(&t, 2) == 43)
        return cq_diag_set(diag, CQ_EUNSUPPORTED, 0,
                           "unreadable image: BigTIFF is not supported");
    if (s_t16(&t, 2) != 42)
        return cq_diag_set(diag, CQ_EPROTO, 0,
                           "unreadable image: bad TIFF header");
    uint32_t off = s_t32(&t, 4);
    //  every directory takes at least 18 bytes: a bound on the pages
    int max_pages = o->max_pages;
    if ((size_t)max_pages > len / 18)
        max_pages = (int)(len / 18);
    uint32_t *seen = cq_xcalloc((size_t)max_pages + 1, sizeof *seen);
    int pages = 0, rc = 0;
    while (off != 0 && rc == 0) {
        if (pages >= o->max_pages) {
            cq_limit_hit(CQ_LIMIT_IMAGE_PAGES);
            rc = cq_diag_set(diag, CQ_ETOOBIG, 0,
                             "unreadable image: more than %d pages",
                             o->max_pages);
            break;
        }
        if (off < 8 || (size_t)off + 2 > len || pages >= max_pages) {
            rc = cq_diag_set(diag, CQ_EPROTO, off,
                             "unreadable image: TIFF directory %d lies "
                             "outside the file",
                             pages + 1);
            break;
        }
        for (int i = 0; i < pages && rc == 0; i++)
            if (seen[i] == off)
                rc = cq_diag_set(diag, CQ_EPROTO, off,
                                 "unreadable image: TIFF directories "
                                 "form a loop");
        if (rc)
            break;
        seen[pages] = off;
        uint32_t n = s_t16(&t, off);
        if (n == 0 || (size_t)off + 2 + 12 * (size_t)n + 4 > len) {
            rc = cq_diag_set(diag, CQ_EPROTO, off,
                             "unreadable image: TIFF directory %d is "
                             "truncated",
                             pages + 1);
            break;
        }
        uint64_t w = 0, h = 0;
        for (uint32_t i = 0; i < n; i++) {
            size_t e = (size_t)off + 2 + 12 * (size_t)i;
            uint16_t tag = s_t16(&t, e), type = s_t16(&t, e + 2);
            uint32_t count = s_t32(&t, e + 4);
            if ((tag != 256 && tag != 257) || count != 1)
                continue;
            uint64_t v = type == 3   ? s_t16(&t, e + 8)
                         : type == 4 ? s_t32(&t, e + 8)
                                     : 0;
            if (tag == 256)
                w = v;
            else
                h = v;
        }
        pages++;
        rc = s_check_dims(w, h, pages, o, diag);
        off = s_t32(&t, (size_t)off + 2 + 12 * (size_t)n);
    }
    free(seen);
    if (rc)
        return rc;
    if (pages == 0)
        return cq_diag_set(diag, CQ_EPROTO, 0,
                           "unreadable image: TIFF without pages");
    return pages;
}

static const char *
s_sniff_other(const uint8_t *b, size_t len)
{
    if (len >= 6 &&
        (memcmp(b, "GIF87a", 6) == 0 || memcmp(b, "GIF89a", 6) == 0))
        return "GIF is not supported (use PNG, JPEG, TIFF or PDF)";
    if (len >= 2 && b[0] == 'B' && b[1] == 'M')
        return "BMP is not supported (use PNG, JPEG, TIFF or PDF)";
    return "not a PNG, JPEG, TIFF or PDF scan";
}

//  A page whose pixels are not square (a fax in standard mode: 204 x 98
//  dpi, its resolution tags say so) is stretched to square pixels, so
//  that the form has its shape. Pages without tags, or tags within 5% of
//  each other, are left as they are. The result stays within the caps
//  (else the page is left alone: it fails as unreadable, not silently).
static PIX *
s_square(PIX *pix, const cq_ocr_opts_t *o)
{
    if (pix == NULL)
        return NULL;
    l_int32 xres = 0, yres = 0;
    pixGetResolution(pix, &xres, &yres);
    if (xres <= 0 || yres <= 0)
        return pix;
    double f = (double)xres / yres;
    if (f > 0.95 && f < 1.05)
        return pix;
    if (f < 0.25 || f > 4.0)
        return pix; // nonsense tags
    double w = pixGetWidth(pix), h = pixGetHeight(pix) * f;
    if (h > o->max_dim || w * h > (double)o->max_pixels)
        return pix;
    PIX *sq = pixScale(pix, 1.0f, (l_float32)f);
    if (sq == NULL)
        return pix;
    pixSetResolution(sq, xres, xres);
    char tag[48];
    snprintf(tag, sizeof tag, "cq-stretch %.4f", f);
    pixSetText(sq, tag);
    pixDestroy(&pix);
    return sq;
}

double
cq_ocr_stretch(PIX *pix)
{
    const char *t = pix ? pixGetText(pix) : NULL;
    double f = 0;
    if (t == NULL || sscanf(t, "cq-stretch %lf", &f) != 1 || !(f >= 0.25) ||
        !(f <= 4.0))
        return 1.0;
    return f;
}

int
cq_ocr_decode(const uint8_t *b, size_t len, const cq_ocr_opts_t *o,
              cq_ocr_page_fn *fn, void *arg, cq_diag_t *diag)
{
    cq_ocr_quiet();
    if (len > o->max_file_bytes) {
        cq_limit_hit(CQ_LIMIT_IMAGE_FILE);
        return cq_diag_set(diag, CQ_ETOOBIG, 0,
                           "unreadable image: %zu bytes, over the cap of %zu",
                           len, o->max_file_bytes);
    }
    if (b == NULL || len < 16)
        return cq_diag_set(diag, CQ_EPROTO, 0,
                           "unreadable image: %zu bytes is not an image", len);
    static const uint8_t png_sig[8] = {0x89, 'P',  'N',  'G',
                                       '\r', '\n', 0x1a, '\n'};
    int rc;
    if (memcmp(b, png_sig, 8) == 0) {
        if (len < 33 || s_be32(b + 8) != 13 || memcmp(b + 12, "IHDR", 4) != 0)
            return cq_diag_set(diag, CQ_EPROTO, 8,
                               "unreadable image: PNG without a header "
                               "chunk");
        rc = s_check_dims(s_be32(b + 16), s_be32(b + 20), 1, o, diag);
        if (rc)
            return rc;
        PIX *pix = s_square(pixReadMemPng(b, len), o);
        rc = fn(arg, 1, pix, pix ? NULL : "unreadable image: corrupt PNG");
        pixDestroy(&pix);
        return rc ? rc : 1;
    }
    if (b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff) {
        l_int32 w = 0, h = 0, spp = 0;
        if (readHeaderMemJpeg(b, len, &w, &h, &spp, NULL, NULL) != 0)
            return cq_diag_set(diag, CQ_EPROTO, 0,
                               "unreadable image: corrupt JPEG header");
        rc = s_check_dims((uint64_t)w, (uint64_t)h, 1, o, diag);
        if (rc)
            return rc;
        PIX *pix = s_square(pixReadMemJpeg(b, len, 0, 1, NULL, 0), o);
        rc = fn(arg, 1, pix, pix ? NULL : "unreadable image: corrupt JPEG");
        pixDestroy(&pix);
        return rc ? rc : 1;
    }
    if (memcmp(b, "%PDF-", 5) == 0)
        return cq_ocr_decode_pdf(b, len, o, fn, arg, diag);
    if ((b[0] == 'I' && b[1] == 'I') || (b[0] == 'M' && b[1] == 'M')) {
        int pages = s_tiff_scan(b, len, o, diag);
        if (pages < 0)
            return pages;
        for (int i = 0; i < pages; i++) {
            PIX *pix = s_square(pixReadMemTiff(b, len, i), o);
            char why[64];
            snprintf(why, sizeof why, "unreadable image: corrupt TIFF page %d",
                     i + 1);
            if (pix != NULL && (pixGetWidth(pix) < CQ_OCR_MIN_DIM ||
                                pixGetHeight(pix) < CQ_OCR_MIN_DIM)) {
                pixDestroy(&pix);
                snprintf(why, sizeof why,
                         "unreadable image: TIFF page %d too small", i + 1);
            }
            rc = fn(arg, i + 1, pix, pix ? NULL : why);
            pixDestroy(&pix);
            if (rc)
                return rc;
        }
        return pages;
    }
    return cq_diag_set(diag, CQ_EPROTO, 0, "unreadable image: %s",
                       s_sniff_other(b, len));
}
