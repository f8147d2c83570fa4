//  fuzz_claim_json.c: the claim JSON decoder on arbitrary bytes.
//
//  Invariants checked (abort on violation, so libFuzzer reports it):
//  1. the parser never crashes, and passes at least one claim for any
//     non-blank input;
//  2. whatever decodes as a valid claim re-encodes, and decoding that
//     encoding gives one valid claim equal to the first (byte for byte),
//     whose encoding is again the same text;
//  3. differential: cq_json_validate (the parser behind the decoder)
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
} s_state_t;

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
    if (c->claim_id[0] == '\0' || c->invalid != (c->invalid_msg[0] != 0))
        abort();
    if (c->invalid)
        return 0;
    cq_buf_t b;
    cq_buf_init(&b, 1u << 22);
    if (cq_claim_to_json(c, &b) != 0)
        abort();
    s_state_t in = {0, malloc(sizeof(cq_claim_t)), 0};
    int rc = cq_claim_json_parse(b.data, b.len, s_second, &in, NULL);
    if (rc != 1 || in.inner != 1 || in.c->invalid ||
        memcmp(in.c, c, sizeof *c) != 0) {
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
    s_state_t st = {0, NULL, 0};
    int rc = cq_claim_json_parse(s, size, s_check, &st, NULL);
    if (rc < 0 || rc != st.claims)
        abort();
    //  Anything but blanks or an empty array must get an answer.
    size_t i = size >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    while (i < size && (data[i] == ' ' || data[i] == '\t' ||
                        data[i] == '\r' || data[i] == '\n'))
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
        fprintf(stderr, "validate disagrees with jansson: ours %d, "
                        "jansson %s (%s)\n",
                ours, j ? "ok" : "error", j ? "" : e.text);
        abort();
    }
    json_decref(j);
    return 0;
}
