//  fuzz_image.c: bytes -> the capped image loader (ocr/ocr_image.c):
//  format sniffing, declared sizes and page counts checked before
//  decoding, then every page decoded by Leptonica. OCR itself is not run
//  (too slow for fuzzing); the caps are lowered to keep inputs fast.
#include "ocr.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cq_ocr_opts_t o;
    cq_ocr_opts_init(&o);
    o.max_file_bytes = 1u << 20;
    o.max_pixels = 3000000;
    o.max_dim = 3000;
    o.max_pages = 4;
    cq_diag_t d = {0};
    int rc = cq_ocr_probe(data, size, &o, &d);
    //  a failure always says why
    if (rc < 0 && d.msg[0] == '\0')
        __builtin_trap();
    return 0;
}
