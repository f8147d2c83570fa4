//  test_claim_json.c: the claim JSON codec (common/claim_json.h).
#include "claim_json.h"
#include "cq_test.h"
#include "date.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

//  FORMATS.md's example claim, on one line (the test below also reads the
//  file itself when it is there).
static const char s_example[] =
    "{\"claim_id\": \"PCN-000123\", \"payer_id\": \"ACME\", \"type\": "
    "\"professional\", \"frequency\": \"1\", \"original_claim_id\": null, "
    "\"received_date\": \"2026-03-02\", \"member\": {\"id\": \"W100000001\", "
    "\"last_name\": \"DOE\", \"first_name\": \"JANE\", \"birth_date\": "
    "\"1980-04-12\", \"sex\": \"F\"}, \"billing_provider\": {\"npi\": "
    "\"1234567893\", \"tax_id\": \"123456789\", \"name\": \"NORTH CLINIC\"}, "
    "\"prior_auth\": null, \"diagnoses\": [\"E11.9\", \"I10\"], "
    "\"total_charge\": \"250.00\", \"lines\": [{\"procedure\": \"99213\", "
    "\"modifiers\": [], \"service_date\": \"2026-02-20\", "
    "\"place_of_service\": \"11\", \"units\": 1, \"charge\": \"150.00\", "
    "\"diagnosis_pointers\": [1]}, {\"procedure\": \"81002\", \"modifiers\": "
    "[], \"service_date\": \"2026-02-20\", \"place_of_service\": \"11\", "
    "\"units\": 1, \"charge\": \"100.00\", \"diagnosis_pointers\": [1, 2]}]}";

// ---------------------------------------------------------------------------
// helpers

typedef struct {
    int n;          // claims seen
    cq_claim_t *cs; // copies (up to cap)
    int cap;
    int stop_at; // return 7 from the callback on this claim (1-based)
} s_got_t;

static int
s_collect(void *arg, cq_claim_t *c)
{
    s_got_t *g = arg;
    if (g->n < g->cap)
        memcpy(&g->cs[g->n], c, sizeof *c);
    g->n++;
    return g->n == g->stop_at ? 7 : 0;
}

//  Parses text; returns the parser's result, claims in *g (caller frees
//  g->cs).
static int
s_parse(const char *text, size_t len, s_got_t *g)
{
    memset(g, 0, sizeof *g);
    g->cap = 64;
    g->cs = calloc((size_t)g->cap, sizeof(cq_claim_t));
    return cq_claim_json_parse(text, len, s_collect, g, NULL);
}

//  Decodes exactly one claim from text.
static cq_claim_t
s_one(const char *text)
{
    s_got_t g;
    int rc = s_parse(text, strlen(text), &g);
    cr_assert_eq(rc, 1, "expected one claim, got %d for: %.200s", rc, text);
    cq_claim_t c = g.cs[0];
    free(g.cs);
    return c;
}

//  s_example with `from` replaced by `to` (which must occur once).
static char *
s_subst(const char *base, const char *from, const char *to)
{
    const char *at = strstr(base, from);
    cr_assert_not_null(at, "'%s' not in the base text", from);
    cr_assert_null(strstr(at + 1, from), "'%s' occurs twice", from);
    size_t n = strlen(base) - strlen(from) + strlen(to);
    char *out = malloc(n + 1);
    size_t k = (size_t)(at - base);
    memcpy(out, base, k);
    strcpy(out + k, to);
    strcat(out, at + strlen(from));
    return out;
}

static int32_t
s_day(const char *iso)
{
    int32_t d = 0;
    cr_assert_eq(cq_date_parse(iso, strlen(iso), &d), 0);
    return d;
}

//  Asserts that the variant of the example (from -> to) decodes to one
//  invalid claim whose message starts with msg, with that RARC.
static void
s_expect_invalid(const char *from, const char *to, const char *msg,
                 const char *rarc)
{
    char *text = s_subst(s_example, from, to);
    cq_claim_t c = s_one(text);
    cr_assert(c.invalid, "not flagged: %s -> %s", from, to);
    cr_assert(strncmp(c.invalid_msg, msg, strlen(msg)) == 0,
              "message '%s' does not start with '%s'", c.invalid_msg, msg);
    if (rarc)
        cr_assert_str_eq(c.invalid_rarc, rarc, "for '%s'", c.invalid_msg);
    free(text);
}

static char *
s_encode(const cq_claim_t *c)
{
    cq_buf_t b;
    cq_buf_init(&b, 1 << 20);
    cr_assert_eq(cq_claim_to_json(c, &b), 0);
    return b.data;
}

// ---------------------------------------------------------------------------
// decoding the contract's example

static void
s_check_example(const cq_claim_t *c)
{
    cr_assert_not(c->invalid, "%s", c->invalid_msg);
    cr_assert_str_eq(c->claim_id, "PCN-000123");
    cr_assert_str_eq(c->payer_id, "ACME");
    cr_assert_eq(c->type, CQ_CLAIM_PROFESSIONAL);
    cr_assert_eq(c->frequency, '1');
    cr_assert_str_eq(c->original_claim_id, "");
    cr_assert_eq(c->received_date, s_day("2026-03-02"));
    cr_assert_str_eq(c->member.id, "W100000001");
    cr_assert_str_eq(c->member.last_name, "DOE");
    cr_assert_str_eq(c->member.first_name, "JANE");
    cr_assert_eq(c->member.birth_date, s_day("1980-04-12"));
    cr_assert_eq(c->member.sex, 'F');
    cr_assert_str_eq(c->billing_npi, "1234567893");
    cr_assert_str_eq(c->billing_tax_id, "123456789");
    cr_assert_str_eq(c->billing_name, "NORTH CLINIC");
    cr_assert_str_eq(c->prior_auth, "");
    cr_assert_eq(c->n_diagnoses, 2);
    cr_assert_str_eq(c->diagnoses[0], "E11.9");
    cr_assert_str_eq(c->diagnoses[1], "I10");
    cr_assert_eq(c->total_charge, 25000);
    cr_assert_eq(c->n_lines, 2);
    const cq_line_t *l = &c->lines[0];
    cr_assert_str_eq(l->procedure, "99213");
    cr_assert_eq(l->n_modifiers, 0);
    cr_assert_eq(l->service_date, s_day("2026-02-20"));
    cr_assert_eq(l->service_date_end, CQ_DATE_NONE);
    cr_assert_str_eq(l->place_of_service, "11");
    cr_assert_eq(l->units_milli, 1000);
    cr_assert_eq(l->charge, 15000);
    cr_assert_eq(l->n_pointers, 1);
    cr_assert_eq(l->dx_pointers[0], 1);
    l = &c->lines[1];
    cr_assert_str_eq(l->procedure, "81002");
    cr_assert_eq(l->charge, 10000);
    cr_assert_eq(l->n_pointers, 2);
    cr_assert_eq(l->dx_pointers[1], 2);
    cr_assert_eq(c->source, CQ_SOURCE_JSON);
    cr_assert_eq(c->ocr_confidence, -1);
}

Test(claim_json, decodes_the_formats_example)
{
    cq_claim_t c = s_one(s_example);
    s_check_example(&c);
}

Test(claim_json, decodes_the_example_from_formats_md)
{
    char path[4096];
    snprintf(path, sizeof path, "%s", cq_test_src("../shared/FORMATS.md"));
    size_t len;
    char *md = cq_test_read(path, &len);
    if (md == NULL)
        cr_skip_test("FORMATS.md not found at %s", path);
    const char *start = strstr(md, "```json\n");
    cr_assert_not_null(start);
    start += 8;
    const char *end = strstr(start, "```");
    cr_assert_not_null(end);
    //  As written there: pretty-printed over several lines.
    s_got_t g;
    cr_assert_eq(s_parse(start, (size_t)(end - start), &g), 1);
    s_check_example(&g.cs[0]);
    free(g.cs);
    free(md);
}

Test(claim_json, key_order_and_unknown_keys_do_not_matter)
{
    const char *text =
        "{\"lines\": [{\"charge\": \"150.00\", \"procedure\": \"99213\", "
        "\"service_date\": \"2026-02-20\", \"note\": {\"deep\": [1, {\"x\": "
        "null}]}}], \"total_charge\": \"150.00\", \"diagnoses\": [\"E119\"], "
        "\"billing_provider\": {\"npi\": \"1234567893\"}, \"extra\": [true, "
        "false, -1.5e3], \"member\": {\"birth_date\": \"1980-04-12\", "
        "\"last_name\": \"DOE\", \"id\": \"W100000001\"}, \"payer_id\": "
        "\"ACME\", \"claim_id\": \"K-1\"}";
    cq_claim_t c = s_one(text);
    cr_assert_not(c.invalid, "%s", c.invalid_msg);
    cr_assert_str_eq(c.claim_id, "K-1");
    cr_assert_str_eq(c.diagnoses[0], "E11.9");  // normalised
    cr_assert_eq(c.lines[0].units_milli, 1000); // default: one unit
    cr_assert_eq(c.frequency, '1');
    cr_assert_eq(c.received_date, CQ_DATE_NONE);
    cr_assert_eq(c.member.sex, 0);
    cr_assert_str_eq(c.member.first_name, "");
}

Test(claim_json, normalises_codes)
{
    char *t1 = s_subst(s_example, "[\"E11.9\", \"I10\"]",
                       "[\"e119\", \"S93401A\", \"Z00.00\"]");
    char *t2 = s_subst(t1, "\"99213\"", "\"g0008\"");
    char *t3 = s_subst(t2,
                       "\"modifiers\": [], \"service_date\": "
                       "\"2026-02-20\", \"place_of_service\": \"11\", "
                       "\"units\": 1, \"charge\": \"150.00\"",
                       "\"modifiers\": [\"rt\", \"59\"], \"service_date\": "
                       "\"2026-02-20\", \"place_of_service\": \"11\", "
                       "\"units\": \"2.5\", \"charge\": \"150.00\"");
    cq_claim_t c = s_one(t3);
    cr_assert_not(c.invalid, "%s", c.invalid_msg);
    cr_assert_str_eq(c.diagnoses[0], "E11.9");
    cr_assert_str_eq(c.diagnoses[1], "S93.401A");
    cr_assert_str_eq(c.diagnoses[2], "Z00.00");
    cr_assert_str_eq(c.lines[0].procedure, "G0008");
    cr_assert_eq(c.lines[0].n_modifiers, 2);
    cr_assert_str_eq(c.lines[0].modifiers[0], "RT");
    cr_assert_str_eq(c.lines[0].modifiers[1], "59");
    cr_assert_eq(c.lines[0].units_milli, 2500);
    free(t1);
    free(t2);
    free(t3);
}

Test(claim_json, decodes_escapes_and_utf8_in_names)
{
    char *t = s_subst(s_example, "\"DOE\"",
                      "\"O\\u0027BRI\\u00c9N M\xc3\xbcLLER \\ud83d\\ude00\"");
    cq_claim_t c = s_one(t);
    cr_assert_not(c.invalid, "%s", c.invalid_msg);
    cr_assert_str_eq(c.member.last_name,
                     "O'BRI\xc3\x89N M\xc3\xbcLLER \xf0\x9f\x98\x80");
    free(t);
}

// ---------------------------------------------------------------------------
// malformed content: each gives an invalid claim naming the field

Test(claim_json, money_must_be_a_decimal_string)
{
    s_expect_invalid("\"total_charge\": \"250.00\"", "\"total_charge\": 250.00",
                     "total_charge: expected a decimal string like \"125.00\", "
                     "not a number (floating-point money is not accepted)",
                     "M54");
    s_expect_invalid("\"total_charge\": \"250.00\"", "\"total_charge\": 250",
                     "total_charge: expected a decimal string", "M54");
    s_expect_invalid(
        "\"total_charge\": \"250.00\"", "\"total_charge\": \"250.001\"",
        "total_charge: expected a decimal string like \"125.00\"", "M54");
    s_expect_invalid("\"total_charge\": \"250.00\"",
                     "\"total_charge\": \"$250\"",
                     "total_charge: expected a decimal string", "M54");
    s_expect_invalid("\"total_charge\": \"250.00\"",
                     "\"total_charge\": \"-250.00\"",
                     "total_charge: must not be negative", "M54");
    s_expect_invalid("\"total_charge\": \"250.00\"", "\"total_charge\": null",
                     "total_charge: missing", "M54");
    s_expect_invalid("\"total_charge\": \"250.00\"",
                     "\"total_charge\": \"240.00\"",
                     "total_charge: 240.00 is not the sum of the line charges "
                     "(250.00)",
                     "M54");
    s_expect_invalid("\"charge\": \"100.00\"", "\"charge\": 100",
                     "lines[2].charge: expected a decimal string", "M79");
    s_expect_invalid("\"charge\": \"100.00\"", "\"charge\": [\"100.00\"]",
                     "lines[2].charge: expected a string, not an array", "M79");
}

Test(claim_json, dates_must_be_iso)
{
    s_expect_invalid("\"received_date\": \"2026-03-02\"",
                     "\"received_date\": \"03/02/2026\"",
                     "received_date: not a valid date (YYYY-MM-DD)", "MA130");
    char *t = s_subst(s_example,
                      "\"service_date\": \"2026-02-20\", \"place_of_service\": "
                      "\"11\", \"units\": 1, \"charge\": \"100.00\"",
                      "\"service_date\": \"2026-02-30\", \"place_of_service\": "
                      "\"11\", \"units\": 1, \"charge\": \"100.00\"");
    cq_claim_t c = s_one(t);
    cr_assert(c.invalid);
    cr_assert_str_eq(c.invalid_msg,
                     "lines[2].service_date: not a valid date (YYYY-MM-DD)");
    cr_assert_str_eq(c.invalid_rarc, "M52");
    free(t);
    s_expect_invalid("\"birth_date\": \"1980-04-12\"",
                     "\"birth_date\": \"1980-4-12\"",
                     "member.birth_date: not a valid date", NULL);
    s_expect_invalid("\"received_date\": \"2026-03-02\"",
                     "\"received_date\": \"2026-02-19\"",
                     "lines[1].service_date: after received_date", "M52");
    s_expect_invalid("\"birth_date\": \"1980-04-12\"",
                     "\"birth_date\": \"2026-02-21\"",
                     "lines[1].service_date: before member.birth_date", "M52");
}

Test(claim_json, required_fields)
{
    s_expect_invalid("\"id\": \"W100000001\", ", "", "member.id: missing",
                     "N382");
    s_expect_invalid("\"last_name\": \"DOE\", ", "",
                     "member.last_name: missing", NULL);
    s_expect_invalid("\"payer_id\": \"ACME\", ", "", "payer_id: missing", NULL);
    s_expect_invalid("\"npi\": \"1234567893\", ", "",
                     "billing_provider.npi: missing", NULL);
    s_expect_invalid("\"diagnoses\": [\"E11.9\", \"I10\"], ", "",
                     "diagnoses: missing", "M76");
    s_expect_invalid("\"procedure\": \"81002\", ", "",
                     "lines[2].procedure: missing", "M51");
    s_expect_invalid("[{\"procedure\": \"99213\"",
                     "[5, {\"procedure\": "
                     "\"99213\"",
                     "lines[1]: expected an object, not a number", NULL);
    s_expect_invalid("\"member\": {\"id\"",
                     "\"member\": \"DOE\", \"x\": {\"id\"",
                     "member: expected an object, not a string", "N382");
}

Test(claim_json, ids_and_codes)
{
    char long_id[64];
    memset(long_id, 'A', 39);
    long_id[39] = '\0';
    char to[80];
    snprintf(to, sizeof to, "\"claim_id\": \"%s\"", long_id);
    s_expect_invalid("\"claim_id\": \"PCN-000123\"", to,
                     "claim_id: longer than 38 characters", "MA130");
    s_expect_invalid("\"frequency\": \"1\"", "\"frequency\": \"2\"",
                     "frequency: must be \"1\", \"7\" or \"8\"", NULL);
    s_expect_invalid("\"frequency\": \"1\"", "\"frequency\": 7",
                     "frequency: must be \"1\", \"7\" or \"8\"", NULL);
    s_expect_invalid("\"frequency\": \"1\"", "\"frequency\": \"7\"",
                     "original_claim_id: required when frequency is 7 or 8",
                     "MA130");
    s_expect_invalid("\"type\": \"professional\"", "\"type\": \"dental\"",
                     "type: must be \"professional\" or \"institutional\"",
                     NULL);
    s_expect_invalid("\"I10\"]", "\"XYZ\"]",
                     "diagnoses[2]: not an ICD-10 code like \"E11.9\"", "M76");
    s_expect_invalid("\"I10\"]", "\"E11.\"]", "diagnoses[2]: not an ICD-10",
                     "M76");
    s_expect_invalid("\"99213\"", "\"9921\"",
                     "lines[1].procedure: not a CPT/HCPCS code", "M51");
    s_expect_invalid("\"99213\"", "\"99-13\"",
                     "lines[1].procedure: not a CPT/HCPCS code", "M51");
    s_expect_invalid("\"npi\": \"1234567893\"", "\"npi\": \"123456789X\"",
                     "billing_provider.npi: expected 10 digits", NULL);
    s_expect_invalid("\"sex\": \"F\"", "\"sex\": \"female\"",
                     "member.sex: must be \"F\", \"M\" or \"U\"", NULL);
    s_expect_invalid("\"diagnosis_pointers\": [1, 2]",
                     "\"diagnosis_pointers\": [1, 3]",
                     "lines[2].diagnosis_pointers[2]: expected an integer from "
                     "1 to the number of diagnoses (2)",
                     "M76");
    s_expect_invalid(
        "\"diagnosis_pointers\": [1, 2]", "\"diagnosis_pointers\": [\"1\"]",
        "lines[2].diagnosis_pointers[1]: expected an integer", "M76");
    s_expect_invalid("\"diagnosis_pointers\": [1, 2]",
                     "\"diagnosis_pointers\": [1, 2, 1, 2, 1]",
                     "lines[2].diagnosis_pointers: at most 4 pointers", "M76");
    s_expect_invalid(
        "\"modifiers\": [], \"service_date\": \"2026-02-20\", "
        "\"place_of_service\": \"11\", \"units\": 1, \"charge\": "
        "\"100.00\"",
        "\"modifiers\": [\"2\"], \"service_date\": \"2026-02-20\", "
        "\"place_of_service\": \"11\", \"units\": 1, \"charge\": "
        "\"100.00\"",
        "lines[2].modifiers[1]: expected a 2-character modifier", "M51");
    s_expect_invalid("\"place_of_service\": \"11\", \"units\": 1, \"charge\": "
                     "\"100.00\"",
                     "\"place_of_service\": \"1\", \"units\": 1, \"charge\": "
                     "\"100.00\"",
                     "lines[2].place_of_service: expected a 2-digit code",
                     "M77");
    s_expect_invalid(
        "\"name\": \"NORTH CLINIC\"", "\"name\": \"NORTH\\u0001CLINIC\"",
        "billing_provider.name: contains a control character", NULL);
    s_expect_invalid("\"payer_id\": \"ACME\"", "\"payer_id\": \"AC|ME\"",
                     "payer_id: must not contain '|'", NULL);
    s_expect_invalid("\"prior_auth\": null", "\"prior_auth\": \" PA1\"",
                     "prior_auth: must not begin or end with a space", NULL);
}

Test(claim_json, units)
{
    s_expect_invalid("\"units\": 1, \"charge\": \"150.00\"",
                     "\"units\": 1.5, \"charge\": \"150.00\"",
                     "lines[1].units: expected an integer or a decimal string "
                     "like \"1.5\", not a fractional JSON number",
                     "M53");
    s_expect_invalid("\"units\": 1, \"charge\": \"150.00\"",
                     "\"units\": 0, \"charge\": \"150.00\"",
                     "lines[1].units: must be greater than 0", "M53");
    s_expect_invalid("\"units\": 1, \"charge\": \"150.00\"",
                     "\"units\": \"1.2345\", \"charge\": \"150.00\"",
                     "lines[1].units: expected an integer or a decimal string",
                     "M53");
    s_expect_invalid("\"units\": 1, \"charge\": \"150.00\"",
                     "\"units\": 100000, \"charge\": \"150.00\"",
                     "lines[1].units: must be between 1 and 99999", "M53");
}

Test(claim_json, claim_id_problems_give_the_record_number)
{
    //  No usable claim_id: the claim is "#<record>" so it still gets an
    //  answer, and the message says why.
    const char *cases[][2] = {
        {"\"claim_id\": \"PCN-000123\", ", ""},
        {"\"claim_id\": \"PCN-000123\"", "\"claim_id\": 123"},
        {"\"claim_id\": \"PCN-000123\"", "\"claim_id\": \"\""},
        {"\"claim_id\": \"PCN-000123\"", "\"claim_id\": \"#5\""},
        {"\"claim_id\": \"PCN-000123\"", "\"claim_id\": \"A|B\""},
        {"\"claim_id\": \"PCN-000123\"", "\"claim_id\": \"A\\nB\""},
    };
    const char *msgs[] = {"claim_id: missing",
                          "claim_id: expected a string, not a number",
                          "claim_id: empty",
                          "claim_id: must not start with '#'",
                          "claim_id: must not contain '|'",
                          "claim_id: must be printable ASCII"};
    for (size_t i = 0; i < CQ_ARRAY_LEN(cases); i++) {
        char *t = s_subst(s_example, cases[i][0], cases[i][1]);
        char doc[8192];
        snprintf(doc, sizeof doc, "%s\n%s\n", s_example, t);
        s_got_t g;
        cr_assert_eq(s_parse(doc, strlen(doc), &g), 2);
        cr_assert_not(g.cs[0].invalid);
        cr_assert_str_eq(g.cs[1].claim_id, "#2");
        cr_assert(g.cs[1].invalid);
        cr_assert(strncmp(g.cs[1].invalid_msg, msgs[i], strlen(msgs[i])) == 0,
                  "got '%s', want '%s'", g.cs[1].invalid_msg, msgs[i]);
        //  What could be read still is: the payer, the member.
        cr_assert_str_eq(g.cs[1].payer_id, "ACME");
        cr_assert_str_eq(g.cs[1].member.id, "W100000001");
        free(g.cs);
        free(t);
    }
}

Test(claim_json, duplicate_keys_are_refused)
{
    s_expect_invalid("\"payer_id\": \"ACME\"",
                     "\"payer_id\": \"ACME\", \"payer_id\": \"EVIL\"",
                     "payer_id: appears twice in one object", NULL);
    char *t = s_subst(s_example, "\"payer_id\": \"ACME\"",
                      "\"payer_id\": \"ACME\", \"payer_id\": \"EVIL\"");
    cq_claim_t c = s_one(t);
    cr_assert_str_eq(c.payer_id, "ACME"); // the first one, never the other
    cr_assert_str_eq(c.claim_id, "PCN-000123");
    free(t);
    s_expect_invalid("\"npi\": \"1234567893\"",
                     "\"npi\": \"1234567893\", \"npi\": \"1912301953\"",
                     "billing_provider.npi: appears twice", NULL);
}

Test(claim_json, lines_limits)
{
    s_expect_invalid("\"lines\": [{", "\"lines\": [], \"x\": [{",
                     "lines: at least one line is required", NULL);
    //  51 lines.
    cq_buf_t b;
    cq_buf_init(&b, 1 << 20);
    const char *line = "{\"procedure\": \"36415\", \"service_date\": "
                       "\"2026-02-20\", \"charge\": \"1.00\"}";
    cq_buf_addstr(&b, "{\"claim_id\": \"L51\", \"payer_id\": \"ACME\", "
                      "\"member\": {\"id\": \"W1\", \"last_name\": \"X\", "
                      "\"birth_date\": \"1980-01-01\"}, \"billing_provider\": "
                      "{\"npi\": \"1234567893\"}, \"diagnoses\": [\"I10\"], "
                      "\"total_charge\": \"51.00\", \"lines\": [");
    for (int i = 0; i < 51; i++) {
        cq_buf_addstr(&b, i ? ", " : "");
        cq_buf_addstr(&b, line);
    }
    cq_buf_addstr(&b, "]}");
    cq_claim_t c = s_one(b.data);
    cr_assert(c.invalid);
    cr_assert_str_eq(c.invalid_msg, "lines: at most 50 lines");
    cr_assert_eq(c.n_lines, 50);
    cq_buf_free(&b);
}

// ---------------------------------------------------------------------------
// document layouts

Test(claim_json, array_of_claims)
{
    char doc[16384];
    char *second = s_subst(s_example, "PCN-000123", "PCN-2");
    snprintf(doc, sizeof doc, "  [\n%s,\n%s , %s]\n", s_example, second,
             s_example);
    s_got_t g;
    cr_assert_eq(s_parse(doc, strlen(doc), &g), 3);
    cr_assert_str_eq(g.cs[1].claim_id, "PCN-2");
    for (int i = 0; i < 3; i++)
        cr_assert_not(g.cs[i].invalid, "%s", g.cs[i].invalid_msg);
    free(g.cs);
    cr_assert_eq(s_parse("[]", 2, &g), 0);
    free(g.cs);
    cr_assert_eq(s_parse(" [ \n ] \n", 8, &g), 0);
    free(g.cs);
    free(second);
}

Test(claim_json, array_errors)
{
    char doc[16384];
    s_got_t g;
    //  Missing comma.
    snprintf(doc, sizeof doc, "[%s %s]", s_example, s_example);
    cr_assert_eq(s_parse(doc, strlen(doc), &g), 2);
    cr_assert_not(g.cs[0].invalid);
    cr_assert_str_eq(g.cs[1].claim_id, "#2");
    cr_assert_str_eq(g.cs[1].invalid_msg,
                     "record 2 (line 1): expected ',' or ']' in the array");
    free(g.cs);
    //  Truncated inside the second element.
    snprintf(doc, sizeof doc, "[%s,\n%s", s_example, s_example);
    doc[strlen(doc) - 40] = '\0';
    cr_assert_eq(s_parse(doc, strlen(doc), &g), 2);
    cr_assert_str_eq(g.cs[1].claim_id, "#2");
    cr_assert(
        strstr(g.cs[1].invalid_msg, "not valid JSON: ends early (truncated?)"),
        "%s", g.cs[1].invalid_msg);
    cr_assert(strncmp(g.cs[1].invalid_msg, "record 2 (line 2, column", 24) ==
              0);
    free(g.cs);
    //  Truncated right after an element: no closing bracket.
    snprintf(doc, sizeof doc, "[%s", s_example);
    cr_assert_eq(s_parse(doc, strlen(doc), &g), 2);
    cr_assert_not(g.cs[0].invalid);
    cr_assert(strstr(g.cs[1].invalid_msg, "no closing ']'"));
    free(g.cs);
    //  Content after the array.
    snprintf(doc, sizeof doc, "[%s]\nxyz", s_example);
    cr_assert_eq(s_parse(doc, strlen(doc), &g), 2);
    cr_assert_str_eq(g.cs[1].invalid_msg,
                     "record 2 (line 2): unexpected content after the array");
    free(g.cs);
    //  An element that is not an object.
    cr_assert_eq(s_parse("[[1, 2]]", 8, &g), 1);
    cr_assert_str_eq(g.cs[0].claim_id, "#1");
    cr_assert_str_eq(g.cs[0].invalid_msg,
                     "record: expected a claim object, not an array");
    free(g.cs);
}

Test(claim_json, json_lines_with_blank_lines_crlf_and_a_bad_line)
{
    char *second = s_subst(s_example, "PCN-000123", "PCN-2");
    char doc[16384];
    snprintf(doc, sizeof doc,
             "\xEF\xBB\xBF\r\n%s\r\n\r\n   \t\r\nthis is not json\r\n%s\r\n"
             "{\"claim_id\": \"T\", \"payer_id\": \r\n",
             s_example, second);
    s_got_t g;
    cr_assert_eq(s_parse(doc, strlen(doc), &g), 4);
    cr_assert_not(g.cs[0].invalid, "%s", g.cs[0].invalid_msg);
    cr_assert_str_eq(g.cs[0].claim_id, "PCN-000123");
    cr_assert_str_eq(g.cs[1].claim_id, "#2");
    cr_assert(g.cs[1].invalid);
    cr_assert_str_eq(g.cs[1].invalid_msg,
                     "record 2 (line 5, column 1): not valid JSON: invalid "
                     "syntax");
    cr_assert_str_eq(g.cs[1].invalid_rarc, "MA130");
    cr_assert_not(g.cs[2].invalid, "%s", g.cs[2].invalid_msg);
    cr_assert_str_eq(g.cs[2].claim_id, "PCN-2");
    cr_assert_str_eq(g.cs[3].claim_id, "#4");
    cr_assert(strstr(g.cs[3].invalid_msg, "ends early (truncated?)"));
    free(g.cs);
    free(second);
}

Test(claim_json, json_lines_content_after_the_object)
{
    char doc[8192];
    snprintf(doc, sizeof doc, "%s x\n", s_example);
    s_got_t g;
    cr_assert_eq(s_parse(doc, strlen(doc), &g), 1);
    cr_assert_str_eq(g.cs[0].claim_id, "#1");
    cr_assert(
        strstr(g.cs[0].invalid_msg, "unexpected content after the object"));
    free(g.cs);
}

Test(claim_json, syntax_errors_never_quote_the_input)
{
    //  A broken record holding patient data: the message names the place,
    //  not the content.
    const char *doc = "{\"claim_id\": \"A\", \"member\": {\"last_name\": DOE}}";
    s_got_t g;
    cr_assert_eq(s_parse(doc, strlen(doc), &g), 1);
    cr_assert_null(strstr(g.cs[0].invalid_msg, "DOE"));
    cr_assert(strstr(g.cs[0].invalid_msg, "column 43"), "%s",
              g.cs[0].invalid_msg);
    free(g.cs);
}

Test(claim_json, pretty_printed_stream)
{
    char doc[16384];
    const char *pretty = "{\n  \"claim_id\": \"P1\",\n  \"payer_id\": \"ACME\""
                         ",\n  \"member\": {\"id\": \"W1\", \"last_name\": "
                         "\"X\",\n    \"birth_date\": \"1980-01-01\"},\n  "
                         "\"billing_provider\": {\"npi\": \"1234567893\"},\n"
                         "  \"diagnoses\": [\"I10\"],\n  \"total_charge\": "
                         "\"1.00\",\n  \"lines\": [{\"procedure\": \"36415\", "
                         "\"service_date\": \"2026-02-20\",\n     \"charge\": "
                         "\"1.00\"}]\n}";
    snprintf(doc, sizeof doc, "\n%s\n\n%s\n{\n  broken\n}\n%s", pretty, pretty,
             pretty);
    s_got_t g;
    //  Two good ones, then the broken one ends the stream.
    cr_assert_eq(s_parse(doc, strlen(doc), &g), 3);
    cr_assert_not(g.cs[0].invalid, "%s", g.cs[0].invalid_msg);
    cr_assert_not(g.cs[1].invalid, "%s", g.cs[1].invalid_msg);
    cr_assert_str_eq(g.cs[2].claim_id, "#3");
    cr_assert(strstr(g.cs[2].invalid_msg, "(line 26, column 3)"), "%s",
              g.cs[2].invalid_msg);
    cr_assert(strstr(g.cs[2].invalid_msg, "rest of the document was not "
                                          "read"));
    free(g.cs);
}

Test(claim_json, oversize_record_and_document)
{
    //  A JSON Lines record over 1 MiB is refused on its own, before parsing.
    size_t big = CQ_JSON_MAX_LINE + 100;
    char *doc = malloc(big + 2 * sizeof s_example + 16);
    size_t n = 0;
    memcpy(doc, s_example, strlen(s_example));
    n += strlen(s_example);
    doc[n++] = '\n';
    memcpy(doc + n, "{\"x\": \"", 7);
    n += 7;
    memset(doc + n, 'a', big);
    n += big;
    memcpy(doc + n, "\"}\n", 3);
    n += 3;
    memcpy(doc + n, s_example, strlen(s_example));
    n += strlen(s_example);
    s_got_t g;
    cr_assert_eq(s_parse(doc, n, &g), 3);
    cr_assert_not(g.cs[0].invalid);
    cr_assert_str_eq(g.cs[1].claim_id, "#2");
    cr_assert_str_eq(g.cs[1].invalid_msg,
                     "record 2 (line 2): longer than 1048576 bytes");
    cr_assert_not(g.cs[2].invalid);
    free(g.cs);
    //  In an array, an element over 1 MiB ends the document.
    doc[0] = '[';
    memcpy(doc + 1, "{\"x\": \"", 7);
    memset(doc + 8, 'a', big);
    memcpy(doc + 8 + big, "\"}]", 3);
    cr_assert_eq(s_parse(doc, big + 11, &g), 1);
    cr_assert(strstr(g.cs[0].invalid_msg, "longer than 1048576 bytes"));
    free(g.cs);
    //  The document cap is checked before anything is read.
    cq_diag_t diag = {0};
    cr_assert_eq(cq_claim_json_parse(doc, (size_t)CQ_JSON_MAX_DOC + 1,
                                     s_collect, &g, &diag),
                 CQ_ETOOBIG);
    cr_assert_eq(diag.code, CQ_ETOOBIG);
    free(doc);
}

Test(claim_json, syntax_edge_cases)
{
    const char *bad[] = {
        "{\"claim_id\": \"A\"",               // truncated
        "{\"claim_id\": \"A\\u0000\"}",       // NUL
        "{\"claim_id\": \"\xff\"}",           // not UTF-8
        "{\"claim_id\": \"\xc0\xaf\"}",       // overlong
        "{\"claim_id\": \"\xed\xa0\x80\"}",   // surrogate in UTF-8
        "{\"claim_id\": \"\\ud800\"}",        // lone surrogate
        "{\"claim_id\": \"\\udc00\\ud800\"}", // reversed pair
        "{\"claim_id\": \"\\x41\"}",          // unknown escape
        "{\"claim_id\": \"a\tb\"}",           // raw tab
        "{\"a\": 01}",                        // leading zero
        "{\"a\": 1.}",                        // bare point
        "{\"a\": -}",                         // bare minus
        "{\"a\": 9223372036854775808}",       // beyond int64
        "{\"a\": 1e309}",                     // beyond double
        "{\"a\": tru}",                       // literal
        "{\"a\": truex}",                     // literal
        "{\"a\": [1,]}",                      // trailing comma
        "{\"a\": 1,}",                        // trailing comma
        "{'a': 1}",                           // quotes
        "{\"a\" 1}",                          // colon
        "\"just a string\"",                  // not an object
        "42",                                 // not an object
    };
    for (size_t i = 0; i < CQ_ARRAY_LEN(bad); i++) {
        s_got_t g;
        cr_assert_eq(s_parse(bad[i], strlen(bad[i]), &g), 1, "%s", bad[i]);
        cr_assert_str_eq(g.cs[0].claim_id, "#1", "%s", bad[i]);
        cr_assert(strstr(g.cs[0].invalid_msg, "not valid JSON"), "%s: %s",
                  bad[i], g.cs[0].invalid_msg);
        cr_assert_neq(cq_json_validate(bad[i], strlen(bad[i]), NULL), 0, "%s",
                      bad[i]);
        //  jansson agrees (the fuzz target checks this on random input).
        json_error_t e;
        cr_assert_null(json_loadb(bad[i], strlen(bad[i]), 0, &e), "%s", bad[i]);
        free(g.cs);
    }
    const char *good[] = {
        "{}", "[]",
        (" {\"a\": [1, -0, 0.5, 1e308, -9223372036854775808, "
         "\"\\ud83d\\ude00\\/\", true, false, null, {}]} "),
        "{\"a\": 2.2250738585072014e-320}", // underflow is fine
    };
    for (size_t i = 0; i < CQ_ARRAY_LEN(good); i++) {
        cr_assert_eq(cq_json_validate(good[i], strlen(good[i]), NULL), 0, "%s",
                     good[i]);
        json_error_t e;
        json_t *j = json_loadb(good[i], strlen(good[i]), 0, &e);
        cr_assert_not_null(j, "%s", good[i]);
        json_decref(j);
    }
}

Test(claim_json, nesting_limit)
{
    //  2048 levels are fine (as in jansson); 2049 are refused, without
    //  recursion (so deep input cannot overflow a worker thread's stack).
    size_t depth = 2048;
    char *s = malloc(2 * depth + 32);
    size_t n = 0;
    for (size_t i = 0; i < depth; i++)
        s[n++] = '[';
    for (size_t i = 0; i < depth; i++)
        s[n++] = ']';
    cr_assert_eq(cq_json_validate(s, n, NULL), 0);
    memmove(s + 1, s, n);
    s[0] = '[';
    s[n + 1] = ']';
    cq_diag_t diag = {0};
    cr_assert_eq(cq_json_validate(s, n + 2, &diag), CQ_EPROTO);
    cr_assert_str_eq(diag.msg, "nested too deeply");
    free(s);
}

Test(claim_json, callback_can_stop_the_parse)
{
    char doc[16384];
    snprintf(doc, sizeof doc, "%s\n%s\n%s\n", s_example, s_example, s_example);
    s_got_t g;
    memset(&g, 0, sizeof g);
    g.cap = 4;
    g.cs = calloc(4, sizeof(cq_claim_t));
    g.stop_at = 2;
    cr_assert_eq(cq_claim_json_parse(doc, strlen(doc), s_collect, &g, NULL), 7);
    cr_assert_eq(g.n, 2);
    free(g.cs);
    s_got_t e;
    cr_assert_eq(s_parse("", 0, &e), 0);
    free(e.cs);
    cr_assert_eq(s_parse(" \n\r\n", 4, &e), 0);
    free(e.cs);
}

// ---------------------------------------------------------------------------
// encoder

Test(claim_json, encodes_in_formats_key_order)
{
    cq_claim_t c = s_one(s_example);
    char *out = s_encode(&c);
    //  Our writer uses ": " and ", " like FORMATS.md's one-line examples.
    cr_assert_str_eq(out, s_example);
    free(out);
}

Test(claim_json, round_trip_of_every_field)
{
    cq_claim_t c;
    cq_claim_init(&c);
    strcpy(c.claim_id, "R\"T\\1");
    strcpy(c.payer_id, "ACME");
    c.type = CQ_CLAIM_INSTITUTIONAL;
    c.frequency = '7';
    strcpy(c.original_claim_id, "R-0");
    c.received_date = s_day("2026-03-02");
    strcpy(c.member.id, "W123456789");
    strcpy(c.member.last_name, "D'\xc3\x89 \"Q\"");
    c.member.birth_date = s_day("2000-02-29");
    strcpy(c.billing_npi, "1912301953");
    strcpy(c.prior_auth, "PA-7");
    strcpy(c.diagnoses[c.n_diagnoses++], "S93.401A");
    strcpy(c.diagnoses[c.n_diagnoses++], "Z23");
    for (int i = 0; i < 3; i++) {
        cq_line_t *l = &c.lines[c.n_lines++];
        strcpy(l->procedure, i ? "0001U" : "G0008");
        l->service_date = s_day("2026-02-20") + i;
        l->service_date_end = i == 1 ? l->service_date + 2 : CQ_DATE_NONE;
        l->units_milli = i == 0 ? 1500 : i == 1 ? 125 : 3000;
        l->charge = 1234 + i;
        c.total_charge += l->charge;
        if (i == 2) {
            strcpy(l->modifiers[l->n_modifiers++], "LT");
            strcpy(l->modifiers[l->n_modifiers++], "59");
            strcpy(l->revenue_code, "0450");
            strcpy(l->rendering_npi, "1234567893");
            strcpy(l->place_of_service, "22");
            l->dx_pointers[l->n_pointers++] = 2;
            l->dx_pointers[l->n_pointers++] = 1;
        }
    }
    char *out = s_encode(&c);
    cr_assert(strstr(out, "\"units\": \"1.5\""), "%s", out);
    cr_assert(strstr(out, "\"units\": \"0.125\""), "%s", out);
    cr_assert(strstr(out, "\"units\": 3,"), "%s", out);
    cr_assert(strstr(out, "\"sex\": null"), "%s", out);
    cr_assert(strstr(out, "\"first_name\": null"), "%s", out);
    cr_assert(strstr(out, "\"tax_id\": null, \"name\": null"), "%s", out);
    cr_assert(strstr(out, "\"place_of_service\": null"), "%s", out);
    cq_claim_t back = s_one(out);
    cr_assert_not(back.invalid, "%s", back.invalid_msg);
    cr_assert(cq_claim_equal(&back, &c), "round trip differs: %s", out);
    free(out);
}

Test(claim_json, encoder_respects_the_buffer_cap)
{
    cq_claim_t c = s_one(s_example);
    cq_buf_t b;
    cq_buf_init(&b, 100);
    cq_buf_addstr(&b, "keep");
    cr_assert_eq(cq_claim_to_json(&c, &b), CQ_ETOOBIG);
    cr_assert_eq(b.len, 4);
    cr_assert_str_eq(b.data, "keep");
    cq_buf_free(&b);
}

Test(claim_json, string_escaping)
{
    cq_buf_t b;
    cq_buf_init(&b, 4096);
    const char in[] = "q\"b\\s/\n\r\t\b\f\x01\x1f\x7f \xc3\xa9\xf0\x9f\x98\x80"
                      " bad:\xff\xc3 end";
    cr_assert_eq(cq_json_put_string(&b, in, sizeof in - 1), 0);
    cr_assert_str_eq(b.data, "\"q\\\"b\\\\s/\\n\\r\\t\\b\\f\\u0001\\u001f\x7f "
                             "\xc3\xa9\xf0\x9f\x98\x80 bad:\\ufffd\\ufffd "
                             "end\"");
    //  What we write, jansson reads back (invalid bytes become U+FFFD).
    json_error_t e;
    json_t *j = json_loadb(b.data, b.len, JSON_DECODE_ANY, &e);
    cr_assert_not_null(j, "%s", e.text);
    cr_assert_str_eq(json_string_value(j),
                     "q\"b\\s/\n\r\t\b\f\x01\x1f\x7f \xc3\xa9\xf0\x9f\x98\x80 "
                     "bad:\xef\xbf\xbd\xef\xbf\xbd end");
    json_decref(j);
    cq_buf_reset(&b);
    cr_assert_eq(cq_json_put_money(&b, -127), 0);
    cr_assert_eq(cq_json_put_money(&b, 5), 0);
    cr_assert_eq(cq_json_put_int(&b, INT64_MIN), 0);
    cr_assert_eq(cq_json_put_date(&b, CQ_DATE_NONE), 0);
    cr_assert_eq(cq_json_put_date(&b, s_day("2026-12-31")), 0);
    cr_assert_str_eq(b.data,
                     "\"-1.27\"\"0.05\"-9223372036854775808null\"2026-12-31\"");
    cq_buf_free(&b);
}

// ---------------------------------------------------------------------------
// reading from a stream

typedef struct {
    cq_buf_t log; // one line per claim: id, validity, message
} s_log_t;

static int
s_log(void *arg, cq_claim_t *c)
{
    s_log_t *l = arg;
    cq_buf_printf(&l->log, "%s|%d|%s|%s|%lld\n", c->claim_id, c->invalid,
                  c->invalid_msg, c->member.id, (long long)c->total_charge);
    return 0;
}

//  Parses doc both ways (in memory and as a stream) and compares.
static void
s_same_both_ways(const char *doc, size_t len, int want)
{
    s_log_t a, b;
    cq_buf_init(&a.log, 1 << 26);
    cq_buf_init(&b.log, 1 << 26);
    cr_assert_eq(cq_claim_json_parse(doc, len, s_log, &a, NULL), want);
    FILE *f = fmemopen((void *)doc, len, "rb");
    cr_assert_not_null(f);
    cr_assert_eq(cq_claim_json_parse_file(f, s_log, &b, NULL), want);
    fclose(f);
    cr_assert_eq(a.log.len, b.log.len);
    if (a.log.len)
        cr_assert_str_eq(a.log.data, b.log.data);
    cq_buf_free(&a.log);
    cq_buf_free(&b.log);
}

Test(claim_json, stream_reads_json_lines_in_chunks)
{
    //  ~3 MiB of JSON Lines: many chunk boundaries, blank and CRLF lines, a
    //  broken line, a 2.5 MiB line (refused alone), no final newline.
    cq_buf_t doc;
    cq_buf_init(&doc, 1 << 26);
    cq_buf_addstr(&doc, "\xEF\xBB\xBF");
    int n = 0;
    for (int i = 0; i < 3000; i++) {
        char *v = NULL, id[32];
        snprintf(id, sizeof id, "PCN-%06d", i);
        v = s_subst(s_example, "PCN-000123", id);
        cq_buf_addstr(&doc, v);
        cq_buf_addstr(&doc, i % 3 ? "\n" : "\r\n\n");
        free(v);
        n++;
        if (i == 1000) {
            cq_buf_addstr(&doc, "{\"claim_id\": oops}\n");
            n++;
        }
        if (i == 2000) {
            cq_buf_addstr(&doc, "{\"x\": \"");
            for (int k = 0; k < (5 << 19) / 64; k++)
                cq_buf_addstr(&doc, "0123456789abcdef0123456789abcdef"
                                    "0123456789abcdef0123456789abcdef");
            cq_buf_addstr(&doc, "\"}\n");
            n++;
        }
    }
    cq_buf_addstr(&doc, s_example); // no newline at the end
    n++;
    s_same_both_ways(doc.data, doc.len, n);
    cq_buf_free(&doc);
}

Test(claim_json, stream_reads_arrays_and_pretty_documents_whole)
{
    char doc[16384];
    snprintf(doc, sizeof doc, " [%s,\n%s]", s_example, s_example);
    s_same_both_ways(doc, strlen(doc), 2);
    const char *pretty = "{\n  \"claim_id\": \"P1\",\n  \"payer_id\": \"ACME\""
                         "\n}\n";
    s_same_both_ways(pretty, strlen(pretty), 1);
    s_same_both_ways("", 0, 0);
    s_same_both_ways("\n\n", 2, 0);
}
