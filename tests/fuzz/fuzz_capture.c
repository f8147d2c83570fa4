//  fuzz_capture.c: the capture reader (common/capture.h) on arbitrary
//  bytes.
//
//  Invariants checked (abort on violation, so libFuzzer reports it):
//  1. the reader never crashes and always ends (offsets only grow);
//  2. every record it returns lies inside the buffer, its strings are
//     NUL-terminated within their caps, its type is known;
//  3. a damaged record is reported with an offset inside the buffer and a
//     message that names it; a cut is reported only at the end.
#include "capture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
static void s_body(const uint8_t *data, size_t size);

static void
s_check(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_capture: invariant broken: %s\n", what);
        abort();
    }
}

//  Checksums are hard to guess: half of the inputs (first byte odd) get
//  theirs put right before reading, so that the fields behind them are
//  fuzzed too. The byte itself is dropped.
static uint8_t *
s_fix(const uint8_t *data, size_t size, size_t *out_len)
{
    uint8_t *b = malloc(size ? size : 1);
    memcpy(b, data, size);
    *out_len = size;
    if (size < CQ_CAP_HEADER_LEN)
        return b;
    uint32_t crc = cq_crc32c(0, b, 28);
    memcpy(b + 28, &crc, 4);
    size_t at = CQ_CAP_HEADER_LEN;
    while (at + 12 <= size) {
        uint32_t blen;
        memcpy(&blen, b + at + 4, 4);
        if (blen > size - at - 12)
            break;
        crc = cq_crc32c(0, b + at + 12, blen);
        memcpy(b + at + 8, &crc, 4);
        at += 12 + (size_t)blen;
    }
    return b;
}

int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t in_size)
{
    if (in_size == 0)
        return 0;
    size_t size;
    uint8_t *copy =
        in[0] & 1 ? s_fix(in + 1, in_size - 1, &size) : s_fix(in + 1, 0, &size);
    const uint8_t *data = copy;
    if (!(in[0] & 1)) {
        free(copy);
        copy = NULL;
        data = in + 1;
        size = in_size - 1;
    }
    s_body(data, size);
    free(copy);
    return 0;
}

static void
s_body(const uint8_t *data, size_t size)
{
    cq_cap_reader_t r;
    cq_diag_t diag = {0};
    if (cq_cap_begin(&r, data, size, &diag) != 0) {
        s_check(diag.code != 0 && diag.msg[0] != '\0', "a refusal says why");
        return;
    }
    size_t last = 0;
    for (int guard = 0;; guard++) {
        s_check(guard <= (int)size, "the reader ends");
        cq_cap_rec_t rec;
        cq_diag_t d = {0};
        size_t before = r.at;
        int k = cq_cap_next(&r, &rec, &d);
        if (k == 0) {
            s_check(r.at == r.len, "the end is the end");
            break;
        }
        s_check(r.at > before, "reading moves on");
        if (k < 0) {
            s_check(k == CQ_EPROTO, "damage is CQ_EPROTO");
            s_check(d.offset < size && strstr(d.msg, "offset") != NULL,
                    "damage names its offset");
            continue;
        }
        s_check(k == 1, "one record");
        s_check(rec.offset >= last, "offsets grow");
        last = rec.offset;
        s_check(rec.type == CQ_CAP_DOC || rec.type == CQ_CAP_DECISION,
                "known type");
        s_check(rec.len == 0 ||
                    (rec.data >= data && rec.data + rec.len <= data + size),
                "data inside the buffer");
        s_check(strlen(rec.batch) > 0 && strlen(rec.batch) < CQ_CAP_BATCH_LEN,
                "batch");
        s_check(strlen(rec.tenant) < CQ_CAP_TENANT_LEN, "tenant");
        s_check(strlen(rec.name) < CQ_CAP_NAME_LEN, "name");
    }
}
