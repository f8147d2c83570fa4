//  test_schemas.c: schemas/*.schema.json accept every JSON example of
//  FORMATS.md and the generator's output, refuse broken examples, and
//  agree with the claim decoder on claim variants. The validator is
//  python3-jsonschema (Draft 2020-12), run as a separate process; the test
//  is skipped, saying so, when it is not installed.
#include "claim_json.h"
#include "cq_test.h"
#include "gen.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

//  argv: schema, mode ("one": the file is one JSON text; "lines": one per
//  non-blank line), file. Prints one line per record ("ok" or "bad: why"),
//  exits 0 when all are valid, 10 when some are not; anything else is a
//  failure of the tool itself.
static const char s_script[] =
    "import json, sys\n"
    "from jsonschema import Draft202012Validator\n"
    "schema = json.load(open(sys.argv[1], encoding='utf-8'))\n"
    "Draft202012Validator.check_schema(schema)\n"
    "v = Draft202012Validator(schema)\n"
    "text = open(sys.argv[3], encoding='utf-8').read()\n"
    "docs = [text] if sys.argv[2] == 'one' else "
    "[l for l in text.splitlines() if l.strip()]\n"
    "bad = 0\n"
    "for d in docs:\n"
    "    errs = list(v.iter_errors(json.loads(d)))\n"
    "    if errs:\n"
    "        e = errs[0]\n"
    "        print('bad: %s: %s' % ('/'.join(map(str, e.absolute_path)), "
    "e.message[:200]))\n"
    "        bad += 1\n"
    "    else:\n"
    "        print('ok')\n"
    "sys.exit(10 if bad else 0)\n";

static char s_python[4096];

//  A python3 that has jsonschema: Debian's first (python3-jsonschema),
//  then the first python3 on PATH. Skips the test when there is none.
static void
s_find_python(void)
{
    const char *candidates[8] = {"/usr/bin/python3"};
    size_t n = 1;
    static char path_copy[8192];
    const char *path = getenv("PATH");
    snprintf(path_copy, sizeof path_copy, "%s", path ? path : "");
    static char dirs[6][4096];
    for (char *tok = strtok(path_copy, ":"); tok && n < 7;
         tok = strtok(NULL, ":")) {
        snprintf(dirs[n - 1], sizeof dirs[0], "%s/python3", tok);
        candidates[n] = dirs[n - 1];
        n++;
    }
    for (size_t i = 0; i < n; i++) {
        if (access(candidates[i], X_OK) != 0)
            continue;
        char *argv[] = {(char *)candidates[i], "-c", "import jsonschema", NULL};
        cq_run_t r;
        if (cq_test_run(argv, NULL, 30, &r) == 0 && r.status == 0) {
            snprintf(s_python, sizeof s_python, "%s", candidates[i]);
            cq_run_free(&r);
            return;
        }
        cq_run_free(&r);
    }
    cr_skip_test("no python3 with jsonschema (Debian: apt-get install "
                 "python3-jsonschema, as deploy/setup.sh does)");
}

static const char *
s_schema(const char *name)
{
    static char p[4096];
    snprintf(p, sizeof p, "%s", cq_test_src(name));
    return p;
}

//  Validates file against schema; returns the exit status (0 all valid,
//  10 some invalid) and the per-record report in *out (caller frees).
static int
s_validate(const char *schema, const char *mode, const char *file, char **out)
{
    char *argv[] = {s_python,
                    "-c",
                    (char *)s_script,
                    (char *)s_schema(schema),
                    (char *)mode,
                    (char *)file,
                    NULL};
    cq_run_t r;
    cr_assert_eq(cq_test_run(argv, NULL, 120, &r), 0);
    cr_assert(r.status == 0 || r.status == 10, "validator failed (%d): %s%s",
              r.status, r.out, r.err);
    int st = r.status;
    if (out) {
        *out = r.out;
        r.out = NULL;
    }
    cq_run_free(&r);
    return st;
}

static const char *
s_write_tmp(const char *dir, const char *name, const char *data, size_t n)
{
    static char p[8][4096];
    static int k;
    char *path = p[k++ % 8];
    snprintf(path, 4096, "%s/%s", dir, name);
    cr_assert_eq(cq_test_write(path, data, n), 0, "%s", path);
    return path;
}

//  The ```json block that follows the heading `heading` in FORMATS.md.
static char *
s_formats_block(const char *md, const char *heading)
{
    const char *h = strstr(md, heading);
    cr_assert_not_null(h, "FORMATS.md has no '%s'", heading);
    const char *s = strstr(h, "```json\n");
    cr_assert_not_null(s);
    s += 8;
    const char *e = strstr(s, "```");
    cr_assert_not_null(e);
    char *out = malloc((size_t)(e - s) + 1);
    memcpy(out, s, (size_t)(e - s));
    out[e - s] = '\0';
    return out;
}

static char *
s_read_formats(void)
{
    char path[4096];
    snprintf(path, sizeof path, "%s", cq_test_src("../shared/FORMATS.md"));
    char *md = cq_test_read(path, NULL);
    if (md == NULL) {
        const char *conf = cq_test_conformance();
        if (conf) {
            snprintf(path, sizeof path, "%s/../FORMATS.md", conf);
            md = cq_test_read(path, NULL);
        }
    }
    if (md == NULL)
        cr_skip_test("FORMATS.md not found (../shared/FORMATS.md)");
    return md;
}

//  The FORMATS.md example with `from` replaced by `to`.
static char *
s_subst(const char *base, const char *from, const char *to)
{
    const char *at = strstr(base, from);
    cr_assert_not_null(at, "'%s' not found", from);
    char *out = malloc(strlen(base) + strlen(to) + 1);
    memcpy(out, base, (size_t)(at - base));
    strcpy(out + (at - base), to);
    strcat(out, at + strlen(from));
    return out;
}

Test(schemas, formats_examples_validate)
{
    s_find_python();
    char *md = s_read_formats();
    char dir[4096]; // cq_test_tmpdir's buffer is reused by cq_test_src
    snprintf(dir, sizeof dir, "%s", cq_test_tmpdir());
    struct {
        const char *heading, *schema;
    } map[] = {
        {"## Claim", "schemas/claim.schema.json"},
        {"## Plan rules", "schemas/plan.schema.json"},
        {"## Member roster", "schemas/member.schema.json"},
        {"## Decision", "schemas/decision.schema.json"},
    };
    for (size_t i = 0; i < CQ_ARRAY_LEN(map); i++) {
        char *ex = s_formats_block(md, map[i].heading);
        const char *f = s_write_tmp(dir, "example.json", ex, strlen(ex));
        char *out = NULL;
        cr_assert_eq(s_validate(map[i].schema, "one", f, &out), 0,
                     "%s example refused by %s: %s", map[i].heading,
                     map[i].schema, out);
        free(out);
        free(ex);
    }
    free(md);
}

Test(schemas, broken_examples_fail)
{
    s_find_python();
    char *md = s_read_formats();
    char dir[4096]; // cq_test_tmpdir's buffer is reused by cq_test_src
    snprintf(dir, sizeof dir, "%s", cq_test_tmpdir());
    struct {
        const char *heading, *schema, *from, *to;
    } cases[] = {
        //  Money as a JSON number.
        {"## Claim", "schemas/claim.schema.json",
         "\"total_charge\": \"250.00\"", "\"total_charge\": 250.00"},
        {"## Claim", "schemas/claim.schema.json", "\"frequency\": \"1\"",
         "\"frequency\": \"7\""},
        {"## Claim", "schemas/claim.schema.json",
         "\"claim_id\": \"PCN-000123\"", "\"claim_id\": \"#3\""},
        {"## Claim", "schemas/claim.schema.json",
         "\"units\": 1, \"charge\": "
         "\"150.00\"",
         "\"units\": 0, \"charge\": \"150.00\""},
        {"## Plan rules", "schemas/plan.schema.json",
         "\"deductible\": \"500.00\"", "\"deductible\": 500"},
        {"## Plan rules", "schemas/plan.schema.json", "\"per\": \"plan_year\"",
         "\"per\": \"fortnight\""},
        {"## Member roster", "schemas/member.schema.json",
         "\"coverage_start\": \"2026-01-01\", ", ""},
        {"## Decision", "schemas/decision.schema.json", "\"paid\": \"0.00\"",
         "\"paid\": 0"},
        {"## Decision", "schemas/decision.schema.json", "\"source\": \"x12\"",
         "\"source\": \"x12\", \"ocr_confidence\": 80"},
    };
    for (size_t i = 0; i < CQ_ARRAY_LEN(cases); i++) {
        char *ex = s_formats_block(md, cases[i].heading);
        char *broken = s_subst(ex, cases[i].from, cases[i].to);
        const char *f = s_write_tmp(dir, "broken.json", broken, strlen(broken));
        char *out = NULL;
        cr_assert_eq(s_validate(cases[i].schema, "one", f, &out), 10,
                     "%s with %s accepted by %s", cases[i].heading, cases[i].to,
                     cases[i].schema);
        free(out);
        free(broken);
        free(ex);
    }
    free(md);
}

Test(schemas, generated_data_validates)
{
    s_find_python();
    cq_gen_opts_t o;
    cq_gen_opts_default(&o);
    o.n_claims = 400;
    o.n_members = 80;
    cq_gen_t *g = cq_gen_new(&o);
    cr_assert_not_null(g);
    char dir[4096]; // cq_test_tmpdir's buffer is reused by cq_test_src
    snprintf(dir, sizeof dir, "%s", cq_test_tmpdir());
    cq_buf_t b;
    cq_buf_init(&b, 1 << 24);
    struct {
        int (*fill)(const cq_gen_t *, cq_buf_t *);
        const char *file, *schema, *mode;
    } outs[] = {
        {cq_gen_plan_json, "plan.json", "schemas/plan.schema.json", "one"},
        {cq_gen_members_jsonl, "members.jsonl", "schemas/member.schema.json",
         "lines"},
        {cq_gen_claims_jsonl, "claims.jsonl", "schemas/claim.schema.json",
         "lines"},
    };
    for (size_t i = 0; i < CQ_ARRAY_LEN(outs); i++) {
        cq_buf_reset(&b);
        cr_assert_eq(outs[i].fill(g, &b), 0);
        const char *f = s_write_tmp(dir, outs[i].file, b.data, b.len);
        char *out = NULL;
        cr_assert_eq(s_validate(outs[i].schema, outs[i].mode, f, &out), 0,
                     "generated %s refused: %.2000s", outs[i].file, out);
        free(out);
    }
    cq_buf_free(&b);
    cq_gen_destroy(&g);
}

static int
s_keep(void *arg, cq_claim_t *c)
{
    cq_buf_t *verdicts = arg;
    cq_buf_addstr(verdicts, c->invalid ? "bad\n" : "ok\n");
    return 0;
}

Test(schemas, claim_schema_agrees_with_the_decoder)
{
    //  Variants the schema can judge (no cross-field rules): schema and
    //  decoder must give the same verdict on each.
    s_find_python();
    char *md = s_read_formats();
    char *ex = s_formats_block(md, "## Claim");
    //  One line per variant.
    for (char *p = ex; *p; p++)
        if (*p == '\n')
            *p = ' ';
    const char *variants[][2] = {
        {"\"E11.9\"", "\"E119\""},
        {"\"E11.9\"", "\"E11.\""},
        {"\"E11.9\"", "\"E1\""},
        {"\"99213\"", "\"0001U\""},
        {"\"99213\"", "\"9921\""},
        {"\"units\": 1, \"charge\": \"150.00\"",
         "\"units\": \"1.5\", \"charge\": \"150.00\""},
        {"\"units\": 1, \"charge\": \"150.00\"",
         "\"units\": 1.5, \"charge\": \"150.00\""},
        {"\"units\": 1, \"charge\": \"150.00\"",
         "\"units\": \"0.000\", \"charge\": \"150.00\""},
        {"\"total_charge\": \"250.00\"", "\"total_charge\": \"250.0\""},
        {"\"charge\": \"100.00\"", "\"charge\": \"100.\""},
        {"\"sex\": \"F\"", "\"sex\": null"},
        {"\"sex\": \"F\"", "\"sex\": \"X\""},
        {"\"name\": \"NORTH CLINIC\"", "\"name\": \"NORTH|CLINIC\""},
        {"\"payer_id\": \"ACME\"", "\"payer_id\": \"AC|ME\""},
        {"\"payer_id\": \"ACME\"", "\"payer_id\": \" ACME\""},
        {"\"npi\": \"1234567893\"", "\"npi\": \"123456789\""},
        {"\"frequency\": \"1\"", "\"frequency\": 1"},
        {"\"type\": \"professional\"", "\"type\": \"institutional\""},
        {"\"place_of_service\": \"11\"", "\"place_of_service\": \"A1\""},
        {"\"modifiers\": []", "\"modifiers\": [\"25\", \"59\", \"RT\", \"LT\", "
                              "\"XU\"]"},
        {"\"received_date\": \"2026-03-02\"", "\"received_date\": null"},
        {"\"prior_auth\": null", "\"prior_auth\": \"\""},
    };
    cq_buf_t doc, verdicts;
    cq_buf_init(&doc, 1 << 20);
    cq_buf_init(&verdicts, 1 << 20);
    for (size_t i = 0; i < CQ_ARRAY_LEN(variants); i++) {
        char *v = s_subst(ex, variants[i][0], variants[i][1]);
        cq_buf_addstr(&doc, v);
        cq_buf_addstr(&doc, "\n");
        free(v);
    }
    cr_assert_eq(
        cq_claim_json_parse(doc.data, doc.len, s_keep, &verdicts, NULL),
        (int)CQ_ARRAY_LEN(variants));
    char dir[4096]; // cq_test_tmpdir's buffer is reused by cq_test_src
    snprintf(dir, sizeof dir, "%s", cq_test_tmpdir());
    const char *f = s_write_tmp(dir, "variants.jsonl", doc.data, doc.len);
    char *out = NULL;
    s_validate("schemas/claim.schema.json", "lines", f, &out);
    const char *a = verdicts.data, *b = out;
    for (size_t i = 0; i < CQ_ARRAY_LEN(variants); i++) {
        bool dec_ok = strncmp(a, "ok\n", 3) == 0;
        bool sch_ok = strncmp(b, "ok\n", 3) == 0;
        cr_assert_eq(dec_ok, sch_ok,
                     "variant %s: decoder says %s, schema says %.200s",
                     variants[i][1], dec_ok ? "valid" : "invalid", b);
        a = strchr(a, '\n') + 1;
        b = strchr(b, '\n') + 1;
    }
    free(out);
    cq_buf_free(&doc);
    cq_buf_free(&verdicts);
    free(ex);
    free(md);
}
