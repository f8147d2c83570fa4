//  claimq ocr: read a scanned CMS-1500 form and print the claim.
#include "cmds.h"

#include "claim_json.h"
#include "ocr.h"
#include "opts.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    cq_ocr_t *ocr;
    const char *file;
    int unreadable; // pages that could not be read
    int rc;         // first output error
} s_out_t;

static int
s_on_claim(void *arg, cq_claim_t *c)
{
    s_out_t *o = arg;
    if (c->invalid) {
        o->unreadable++;
        fprintf(stderr, "claimq ocr: %s: %s\n", o->file, c->invalid_msg);
        return 0;
    }
    cq_buf_t b;
    cq_buf_init(&b, 1u << 22);
    int rc = cq_claim_to_json(c, &b);
    //  the claim object, with the OCR details as one more key
    if (rc == 0 && b.len > 0 && b.data[b.len - 1] == '}') {
        b.data[--b.len] = '\0';
        rc = cq_buf_addstr(&b, ", \"ocr\": ");
        rc = rc ? rc : cq_ocr_page_to_json(o->ocr, c, &b);
        rc = rc ? rc : cq_buf_addstr(&b, "}\n");
    }
    if (rc == 0 && fwrite(b.data, 1, b.len, stdout) != b.len)
        rc = CQ_EIO;
    if (rc != 0 && o->rc == 0)
        o->rc = rc;
    cq_buf_free(&b);
    return 0;
}

static void
s_usage(FILE *out)
{
    fprintf(
        out,
        "usage: claimq ocr [--form FILE] [--threshold T] FILE\n\n"
        "Reads a scanned CMS-1500 (02/12) form (PNG, JPEG, TIFF or PDF; a "
        "multi-page\n"
        "TIFF or PDF holds one form per page) and prints each page's claim as "
        "one JSON\n"
        "object per line (docs/formats.md), with an extra \"ocr\" "
        "key: every\n"
        "field's raw text, value, confidence and status, and the pend "
        "reasons.\n"
        "The output contains the form's patient data.\n\n"
        "  --form FILE      form template (default: $CQ_FORM, else the\n"
        "                   installed share/claimq/forms/cms1500.json, else\n"
        "                   the copy built into the program)\n"
        "  --threshold T    pend a field read with confidence below T "
        "(0-100,\n"
        "                   default %d)\n"
        "  -h, --help       this help\n\n"
        "exit codes: 0 read (fields may still pend), 1 unreadable image "
        "or file,\n"
        "            2 usage, 3 setup (no template, no Tesseract "
        "data)\n",
        CQ_OCR_THRESHOLD);
}

int
cq_cmd_ocr(int argc, char **argv)
{
    //  OpenMP must be limited before the process starts (docs/ocr.md).
    char **full = cq_xcalloc((size_t)argc + 2, sizeof *full);
    full[0] = "claimq";
    for (int i = 0; i < argc; i++)
        full[1 + i] = argv[i];
    cq_ocr_ensure_env(full);
    free(full);

    static const struct option longopts[] = {
        {"form", required_argument, NULL, 'f'},
        {"threshold", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    cq_ocr_opts_t opts;
    cq_ocr_opts_init(&opts);
    int c;
    while ((c = cq_getopt(argc, argv, "h", longopts, "claimq ocr")) != -1) {
        char *end = NULL;
        long v;
        switch (c) {
        case 'f':
            opts.form_path = optarg;
            break;
        case 't':
            v = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || v < 0 || v > 100)
                return cq_opt_bad_value("claimq ocr", "--threshold", optarg,
                                        "0..100");
            opts.threshold = (int)v;
            break;
        case 'h':
            s_usage(stdout);
            return CQ_EXIT_OK;
        default: // cq_getopt said why
            return CQ_EXIT_USAGE;
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, "claimq ocr: expected one FILE\n"
                        "Try 'claimq ocr --help'.\n");
        return CQ_EXIT_USAGE;
    }
    const char *file = argv[optind];
    char *buf = NULL;
    size_t len = 0;
    int rc = cq_read_file(file, opts.max_file_bytes, &buf, &len);
    if (rc == CQ_ETOOBIG) {
        fprintf(stderr,
                "claimq ocr: %s: unreadable image: larger than %zu bytes\n",
                file, opts.max_file_bytes);
        return CQ_EXIT_FAIL;
    }
    if (rc != 0) {
        fprintf(stderr, "claimq ocr: cannot read %s: %s\n", file,
                strerror(errno));
        return CQ_EXIT_FAIL;
    }
    cq_diag_t diag = {0};
    cq_ocr_t *ocr = cq_ocr_new(&opts, &diag);
    if (ocr == NULL) {
        free(buf);
        fprintf(stderr, "claimq ocr: %s\n", diag.msg);
        return CQ_EXIT_SETUP;
    }
    s_out_t out = {.ocr = ocr, .file = file};
    cq_ocr_read(ocr, (const uint8_t *)buf, len, s_on_claim, &out, &diag);
    free(buf);
    cq_ocr_destroy(&ocr);
    if (fflush(stdout) != 0 || out.rc != 0) {
        fprintf(stderr, "claimq ocr: cannot write the result\n");
        return CQ_EXIT_FAIL;
    }
    return out.unreadable ? CQ_EXIT_FAIL : CQ_EXIT_OK;
}
