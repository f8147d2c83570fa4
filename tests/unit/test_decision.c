//  test_decision.c: decision JSON lines (common/decision.h).
#include "cq_test.h"
#include "decision.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

//  FORMATS.md's worked example, joined onto one line (each line stripped,
//  joined with one space). The test below also reads the file itself.
static const char s_example[] =
    "{\"claim_id\": \"PCN-000123\", \"payer_id\": \"ACME\", \"batch_id\": "
    "\"b-20260302-0001\", \"decision\": \"accept\", \"billed\": \"250.00\", "
    "\"allowed\": \"98.00\", \"paid\": \"0.00\", \"patient_responsibility\": "
    "\"98.00\", \"adjustments\": [{\"line\": 1, \"group\": \"CO\", \"code\": "
    "\"45\", \"amount\": \"60.00\"}, {\"line\": 1, \"group\": \"PR\", "
    "\"code\": \"3\", \"amount\": \"25.00\"}, {\"line\": 1, \"group\": "
    "\"PR\", \"code\": \"1\", \"amount\": \"65.00\"}, {\"line\": 2, "
    "\"group\": \"CO\", \"code\": \"45\", \"amount\": \"92.00\"}, {\"line\": "
    "2, \"group\": \"PR\", \"code\": \"1\", \"amount\": \"8.00\"}], "
    "\"reasons\": [], \"node\": \"w1\", \"ledger_seq\": 17, "
    "\"rules_version\": \"sha256:\xe2\x80\xa6\", \"source\": \"x12\"}";

static void
s_adj(cq_decision_t *d, int line, const char *group, const char *code,
      int64_t amount)
{
    cq_adjustment_t *a = &d->adj[d->n_adj++];
    a->line = (uint8_t)line;
    strcpy(a->group, group);
    strcpy(a->code, code);
    a->amount = amount;
}

//  The decision of FORMATS.md's worked example.
static cq_decision_t *
s_worked_example(void)
{
    cq_decision_t *d = calloc(1, sizeof *d);
    strcpy(d->claim_id, "PCN-000123");
    strcpy(d->payer_id, "ACME");
    strcpy(d->batch_id, "b-20260302-0001");
    d->decision = CQ_DECISION_ACCEPT;
    d->billed = 25000;
    d->allowed = 9800;
    d->paid = 0;
    d->patient_resp = 9800;
    s_adj(d, 1, "CO", "45", 6000);
    s_adj(d, 1, "PR", "3", 2500);
    s_adj(d, 1, "PR", "1", 6500);
    s_adj(d, 2, "CO", "45", 9200);
    s_adj(d, 2, "PR", "1", 800);
    strcpy(d->node, "w1");
    d->ledger_seq = 17;
    strcpy(d->rules_version, "sha256:\xe2\x80\xa6"); // "sha256:…"
    d->source = CQ_SOURCE_X12;
    d->ocr_confidence = -1;
    return d;
}

static char *
s_json(const cq_decision_t *d)
{
    cq_buf_t b;
    cq_buf_init(&b, 1 << 20);
    cr_assert_eq(cq_decision_to_json(d, &b), 0);
    return b.data;
}

Test(decision, worked_example_is_byte_exact)
{
    cq_decision_t *d = s_worked_example();
    char *out = s_json(d);
    cr_assert_str_eq(out, s_example);
    free(out);
    free(d);
}

Test(decision, worked_example_matches_formats_md)
{
    char path[4096];
    snprintf(path, sizeof path, "%s", cq_test_src("../shared/FORMATS.md"));
    char *md = cq_test_read(path, NULL);
    if (md == NULL)
        cr_skip_test("FORMATS.md not found at %s", path);
    const char *sec = strstr(md, "## Decision");
    cr_assert_not_null(sec);
    const char *start = strstr(sec, "```json\n");
    cr_assert_not_null(start);
    start += 8;
    const char *end = strstr(start, "```");
    cr_assert_not_null(end);
    //  Join onto one line: strip each line, separate with one space.
    cq_buf_t j;
    cq_buf_init(&j, 1 << 20);
    const char *p = start;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (eol == NULL)
            eol = end;
        const char *a = p, *b = eol;
        while (a < b && (*a == ' ' || *a == '\t'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\r'))
            b--;
        if (b > a) {
            if (j.len)
                cq_buf_add(&j, " ", 1);
            cq_buf_add(&j, a, (size_t)(b - a));
        }
        p = eol + 1;
    }
    cq_decision_t *d = s_worked_example();
    char *out = s_json(d);
    cr_assert_str_eq(out, j.data);
    free(out);
    free(d);
    cq_buf_free(&j);
    free(md);
}

Test(decision, optional_values_and_ocr)
{
    cq_decision_t *d = s_worked_example();
    d->batch_id[0] = '\0';
    d->decision = CQ_DECISION_PEND;
    d->n_adj = 0;
    d->source = CQ_SOURCE_OCR;
    d->ocr_confidence = 62;
    cq_reason_t *r = &d->reasons[d->n_reasons++];
    r->line = 0;
    strcpy(r->group, "CO");
    strcpy(r->carc, "16");
    strcpy(r->message, "low OCR confidence: member.id");
    r = &d->reasons[d->n_reasons++];
    r->line = 2;
    strcpy(r->group, "CO");
    strcpy(r->carc, "27");
    strcpy(r->rarc, "N30");
    strcpy(r->message, "after coverage");
    char *out = s_json(d);
    cr_assert(strstr(out, "\"batch_id\": null, \"decision\": \"pend\""), "%s",
              out);
    cr_assert(strstr(out, "\"adjustments\": [], \"reasons\": [{\"line\": 0, "
                          "\"group\": \"CO\", \"carc\": \"16\", \"rarc\": "
                          "null, \"message\": \"low OCR confidence: "
                          "member.id\"}, {\"line\": 2, \"group\": \"CO\", "
                          "\"carc\": \"27\", \"rarc\": \"N30\", "
                          "\"message\": \"after coverage\"}]"),
              "%s", out);
    const char *tail = "\"source\": \"ocr\", \"ocr_confidence\": 62}";
    cr_assert_str_eq(out + strlen(out) - strlen(tail), tail);
    free(out);
    //  Non-OCR decisions never carry ocr_confidence.
    d->source = CQ_SOURCE_JSON;
    out = s_json(d);
    cr_assert_null(strstr(out, "ocr_confidence"));
    cr_assert(strstr(out, "\"source\": \"json\"}"));
    free(out);
    free(d);
}

Test(decision, messages_are_escaped)
{
    cq_decision_t *d = s_worked_example();
    cq_reason_t *r = &d->reasons[d->n_reasons++];
    strcpy(r->group, "CO");
    strcpy(r->carc, "16");
    strcpy(r->message, "a \"quoted\" \\ back\nslash\t\x01 \xe2\x82\xac \xff");
    char *out = s_json(d);
    cr_assert(strstr(out, "\"message\": \"a \\\"quoted\\\" \\\\ back\\nslash"
                          "\\t\\u0001 \xe2\x82\xac \\ufffd\""),
              "%s", out);
    json_error_t e;
    json_t *j = json_loads(out, 0, &e);
    cr_assert_not_null(j, "%s: %s", e.text, out);
    json_decref(j);
    free(out);
    free(d);
}

Test(decision, from_json_round_trip)
{
    cq_decision_t *d = s_worked_example();
    cq_reason_t *r = &d->reasons[d->n_reasons++];
    r->line = 1;
    strcpy(r->group, "OA");
    strcpy(r->carc, "18");
    strcpy(r->message, "duplicate \"of\" PCN-1");
    d->paid = -1234; // a reversal
    d->source = CQ_SOURCE_OCR;
    d->ocr_confidence = 0;
    char *out = s_json(d);
    cq_decision_t *back = malloc(sizeof *back);
    cq_diag_t diag = {0};
    cr_assert_eq(cq_decision_from_json(out, strlen(out), back, &diag), 0, "%s",
                 diag.msg);
    cr_assert_str_eq(back->claim_id, d->claim_id);
    cr_assert_str_eq(back->batch_id, d->batch_id);
    cr_assert_eq(back->decision, d->decision);
    cr_assert_eq(back->billed, d->billed);
    cr_assert_eq(back->paid, -1234);
    cr_assert_eq(back->n_adj, 5);
    cr_assert_eq(back->adj[3].line, 2);
    cr_assert_str_eq(back->adj[3].code, "45");
    cr_assert_eq(back->adj[3].amount, 9200);
    cr_assert_eq(back->n_reasons, 1);
    cr_assert_str_eq(back->reasons[0].rarc, "");
    cr_assert_str_eq(back->reasons[0].message, d->reasons[0].message);
    cr_assert_eq(back->ledger_seq, 17);
    cr_assert_str_eq(back->rules_version, d->rules_version);
    cr_assert_eq(back->source, CQ_SOURCE_OCR);
    cr_assert_eq(back->ocr_confidence, 0);
    char *again = s_json(back);
    cr_assert_str_eq(again, out);
    free(again);
    free(out);
    free(back);
    free(d);
}

Test(decision, from_json_names_the_bad_field)
{
    struct {
        const char *from, *to, *msg;
    } cases[] = {
        {"\"billed\": \"250.00\"", "\"billed\": 250",
         "billed: expected a decimal string"},
        {"\"decision\": \"accept\"", "\"decision\": \"maybe\"",
         "decision: must be accept, reject or pend"},
        {"\"source\": \"x12\"", "\"source\": \"fax\"",
         "source: must be json, x12 or ocr"},
        {"\"node\": \"w1\", ", "", "node: missing"},
        {"\"ledger_seq\": 17", "\"ledger_seq\": \"17\"",
         "ledger_seq: expected an integer"},
        {"\"code\": \"3\"", "\"code\": \"1234567\"",
         "adjustments[2].code: too long"},
        {"\"amount\": \"8.00\"", "\"amount\": \"8.001\"",
         "adjustments[5].amount: expected a decimal string"},
        {"\"reasons\": []", "\"reasons\": [7]",
         "reasons[1].line: expected an object"},
        {"\"reasons\": []", "\"reasons\": {}", "reasons: expected an array"},
        {"\"claim_id\": \"PCN-000123\"", "\"claim_id\": null",
         "claim_id: expected a string"},
    };
    for (size_t i = 0; i < CQ_ARRAY_LEN(cases); i++) {
        const char *at = strstr(s_example, cases[i].from);
        cr_assert_not_null(at, "%s", cases[i].from);
        char text[4096];
        snprintf(text, sizeof text, "%.*s%s%s", (int)(at - s_example),
                 s_example, cases[i].to, at + strlen(cases[i].from));
        cq_decision_t *d = malloc(sizeof *d);
        cq_diag_t diag = {0};
        cr_assert_eq(cq_decision_from_json(text, strlen(text), d, &diag),
                     CQ_EPROTO, "%s", text);
        cr_assert(strncmp(diag.msg, cases[i].msg, strlen(cases[i].msg)) == 0,
                  "got '%s', want '%s'", diag.msg, cases[i].msg);
        free(d);
    }
    cq_decision_t *d = malloc(sizeof *d);
    cq_diag_t diag = {0};
    cr_assert_eq(cq_decision_from_json("{\"claim_id\": ", 13, d, &diag),
                 CQ_EPROTO);
    cr_assert(strncmp(diag.msg, "decision: not valid JSON", 24) == 0);
    free(d);
}

Test(decision, from_json_caps_the_arrays)
{
    //  More adjustments than a decision can hold are refused, not copied.
    cq_buf_t b;
    cq_buf_init(&b, 1 << 22);
    cq_buf_addstr(&b,
                  "{\"claim_id\": \"A\", \"payer_id\": \"P\", \"batch_id\": "
                  "null, \"decision\": \"accept\", \"billed\": \"0.00\", "
                  "\"allowed\": \"0.00\", \"paid\": \"0.00\", "
                  "\"patient_responsibility\": \"0.00\", "
                  "\"adjustments\": [");
    for (int i = 0; i <= CQ_MAX_ADJ; i++)
        cq_buf_printf(&b,
                      "%s{\"line\": 1, \"group\": \"CO\", \"code\": "
                      "\"45\", \"amount\": \"1.00\"}",
                      i ? ", " : "");
    cq_buf_addstr(&b, "], \"reasons\": [], \"node\": \"\", \"ledger_seq\": 0, "
                      "\"rules_version\": \"\", \"source\": \"json\"}");
    cq_decision_t *d = malloc(sizeof *d);
    cq_diag_t diag = {0};
    cr_assert_eq(cq_decision_from_json(b.data, b.len, d, &diag), CQ_EPROTO);
    cr_assert_str_eq(diag.msg, "adjustments: too many entries");
    free(d);
    cq_buf_free(&b);
}

Test(decision, outcome_names)
{
    cq_outcome_t o;
    const char *names[] = {"accept", "reject", "pend"};
    for (int i = 0; i < 3; i++) {
        cr_assert_str_eq(cq_outcome_name((cq_outcome_t)i), names[i]);
        cr_assert_eq(cq_outcome_parse(names[i], &o), 0);
        cr_assert_eq(o, (cq_outcome_t)i);
    }
    cr_assert_eq(cq_outcome_parse("Accept", &o), CQ_EINVAL);
    cr_assert_eq(cq_outcome_parse("", &o), CQ_EINVAL);
    cr_assert_eq(cq_outcome_parse(NULL, &o), CQ_EINVAL);
}

Test(decision, to_json_respects_the_buffer_cap)
{
    cq_decision_t *d = s_worked_example();
    cq_buf_t b;
    cq_buf_init(&b, 64);
    cr_assert_eq(cq_decision_to_json(d, &b), CQ_ETOOBIG);
    cr_assert_eq(b.len, 0);
    cq_buf_free(&b);
    free(d);
}
