//  fuzz_claim_json.c: the claim JSON decoder on arbitrary bytes.
//
//  Invariants checked (abort on violation, so libFuzzer reports it):
//  1. the parser never crashes, and passes at least one claim for any
//     non-blank input;
//  2. whatever decodes as a valid claim re-encodes, and decoding that
//     encoding gives one valid claim equal to the first (byte for byte),
//     whose encoding is again the same text;
//  3. reading the same bytes as a stream (cq_claim_json_parse_file) gives
//     the same claims, in the same order, with the same messages;
//  4. differential: cq_json_validate (the parser behind the decoder)
//     accepts exactly the JSON texts that jansson's json_loadb accepts.
#include "claim_json.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
    int claims;    // claims seen
    cq_claim_t *c; // the decoded copy (second pass)
    int inner;     // claims seen by the second pass
    uint64_t sum;  // hash of every claim's id, validity and message
} s_state_t;

static uint64_t
s_fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * UINT64_C(1099511628211);
    return h;
}

static void
s_note(s_state_t *st, const cq_claim_t *c)
{
    st->sum = s_fnv(st->sum, c->claim_id, strlen(c->claim_id) + 1);
    st->sum = s_fnv(st->sum, c->invalid_msg, strlen(c->invalid_msg) + 1);
    st->sum = s_fnv(st->sum, &c->total_charge, sizeof c->total_charge);
}

static int
s_stream(void *arg, cq_claim_t *c)
{
    s_state_t *st = arg;
    st->claims++;
    s_note(st, c);
    return 0;
}

static int
s_second(void *arg, cq_claim_t *c)
{
    s_state_t *st = arg;
    st->inner++;
    memcpy(st->c, c, sizeof *c);
    return 0;
}

static int
s_check(void *arg, cq_claim_t *c)
{
    s_state_t *st = arg;
    st->claims++;
    s_note(st, c);
    if (c->claim_id[0] == '\0' || c->invalid != (c->invalid_msg[0] != 0))
        abort();
    if (c->invalid)
        return 0;
    cq_buf_t b;
    cq_buf_init(&b, 1u << 22);
    if (cq_claim_to_json(c, &b) != 0)
        abort();
    s_state_t in = {0, malloc(sizeof(cq_claim_t)), 0, 0};
    int rc = cq_claim_json_parse(b.data, b.len, s_second, &in, NULL);
    if (rc != 1 || in.inner != 1 || in.c->invalid || !cq_claim_equal(in.c, c)) {
        fprintf(stderr, "round trip differs: %s\n%s\n", in.c->invalid_msg,
                b.data);
        abort();
    }
    cq_buf_t b2;
    cq_buf_init(&b2, 1u << 22);
    if (cq_claim_to_json(in.c, &b2) != 0 || b2.len != b.len ||
        memcmp(b.data, b2.data, b.len) != 0)
        abort();
    cq_buf_free(&b2);
    cq_buf_free(&b);
    free(in.c);
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    s_state_t st = {0, NULL, 0, 0};
    int rc = cq_claim_json_parse(s, size, s_check, &st, NULL);
    if (rc < 0 || rc != st.claims)
        abort();
    if (size > 0) {
        FILE *f = fmemopen((void *)data, size, "rb");
        s_state_t fs = {0, NULL, 0, 0};
        if (f == NULL ||
            cq_claim_json_parse_file(f, s_stream, &fs, NULL) != rc ||
            fs.sum != st.sum)
            abort();
        fclose(f);
    }
    //  Anything but blanks or an empty array must get an answer.
    size_t i = size >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    while (i < size && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' ||
                        data[i] == '\n'))
        i++;
    if (rc == 0 && i < size && s[i] != '[')
        abort();

    //  Differential check against jansson. Inputs holding a NUL byte are
    //  left out: jansson 2.14 silently drops a NUL that follows a number
    //  ({"a":1<NUL>} loads), where ours refuses it, as RFC 8259 does.
    if (memchr(data, 0, size) != NULL)
        return 0;
    json_error_t e;
    json_t *j = json_loadb(s, size, 0, &e);
    int ours = cq_json_validate(s, size, NULL);
    if ((j != NULL) != (ours == 0)) {
        fprintf(stderr,
                "validate disagrees with jansson: ours %d, "
                "jansson %s (%s)\n",
                ours, j ? "ok" : "error", j ? "" : e.text);
        abort();
    }
    json_decref(j);
    return 0;
}
