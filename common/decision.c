//  decision.c: a decision as one JSON line (docs/formats.md "Decision").
//
//  The writer builds the line directly into a cq_buf_t (it runs once per
//  claim); keys, order and separators are docs/formats.md's, so the worked
//  example joined onto one line is byte-identical to our output. The
//  reader (results, tests, comparisons) uses jansson.
#include "decision.h"
#include "claim_json.h"
#include "err.h"
#include "money.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define S_LIT(b, s) cq_buf_add((b), (s), sizeof(s) - 1)

const char *
cq_outcome_name(cq_outcome_t o)
{
    switch (o) {
    case CQ_DECISION_ACCEPT:
        return "accept";
    case CQ_DECISION_REJECT:
        return "reject";
    case CQ_DECISION_PEND:
        return "pend";
    }
    return "unknown";
}

int
cq_outcome_parse(const char *s, cq_outcome_t *o)
{
    if (s == NULL)
        return CQ_EINVAL;
    if (strcmp(s, "accept") == 0)
        *o = CQ_DECISION_ACCEPT;
    else if (strcmp(s, "reject") == 0)
        *o = CQ_DECISION_REJECT;
    else if (strcmp(s, "pend") == 0)
        *o = CQ_DECISION_PEND;
    else
        return CQ_EINVAL;
    return 0;
}

static const char *
s_source_name(cq_source_t s)
{
    switch (s) {
    case CQ_SOURCE_X12:
        return "x12";
    case CQ_SOURCE_OCR:
        return "ocr";
    default:
        return "json";
    }
}

static int
s_str(cq_buf_t *b, const char *s)
{
    return cq_json_put_string(b, s, strlen(s));
}

int
cq_decision_to_json(const cq_decision_t *d, cq_buf_t *b)
{
    assert(d);
    assert(b);
    size_t mark = b->len;
    int rc = S_LIT(b, "{\"claim_id\": ");
    rc |= s_str(b, d->claim_id);
    rc |= S_LIT(b, ", \"payer_id\": ");
    rc |= s_str(b, d->payer_id);
    rc |= S_LIT(b, ", \"batch_id\": ");
    rc |= d->batch_id[0] ? s_str(b, d->batch_id) : S_LIT(b, "null");
    rc |= S_LIT(b, ", \"decision\": ");
    rc |= s_str(b, cq_outcome_name(d->decision));
    rc |= S_LIT(b, ", \"billed\": ");
    rc |= cq_json_put_money(b, d->billed);
    rc |= S_LIT(b, ", \"allowed\": ");
    rc |= cq_json_put_money(b, d->allowed);
    rc |= S_LIT(b, ", \"paid\": ");
    rc |= cq_json_put_money(b, d->paid);
    rc |= S_LIT(b, ", \"patient_responsibility\": ");
    rc |= cq_json_put_money(b, d->patient_resp);
    rc |= S_LIT(b, ", \"adjustments\": [");
    for (uint16_t i = 0; i < d->n_adj && i < CQ_MAX_ADJ; i++) {
        const cq_adjustment_t *a = &d->adj[i];
        rc |= i ? S_LIT(b, ", {\"line\": ") : S_LIT(b, "{\"line\": ");
        rc |= cq_json_put_int(b, a->line);
        rc |= S_LIT(b, ", \"group\": ");
        rc |= s_str(b, a->group);
        rc |= S_LIT(b, ", \"code\": ");
        rc |= s_str(b, a->code);
        rc |= S_LIT(b, ", \"amount\": ");
        rc |= cq_json_put_money(b, a->amount);
        rc |= S_LIT(b, "}");
    }
    rc |= S_LIT(b, "], \"reasons\": [");
    for (uint16_t i = 0; i < d->n_reasons && i < CQ_MAX_REASONS; i++) {
        const cq_reason_t *r = &d->reasons[i];
        rc |= i ? S_LIT(b, ", {\"line\": ") : S_LIT(b, "{\"line\": ");
        rc |= cq_json_put_int(b, r->line);
        rc |= S_LIT(b, ", \"group\": ");
        rc |= s_str(b, r->group);
        rc |= S_LIT(b, ", \"carc\": ");
        rc |= s_str(b, r->carc);
        rc |= S_LIT(b, ", \"rarc\": ");
        rc |= r->rarc[0] ? s_str(b, r->rarc) : S_LIT(b, "null");
        rc |= S_LIT(b, ", \"message\": ");
        rc |= s_str(b, r->message);
        rc |= S_LIT(b, "}");
    }
    rc |= S_LIT(b, "], \"node\": ");
    rc |= s_str(b, d->node);
    rc |= S_LIT(b, ", \"ledger_seq\": ");
    rc |= cq_json_put_int(b, d->ledger_seq);
    rc |= S_LIT(b, ", \"rules_version\": ");
    rc |= s_str(b, d->rules_version);
    rc |= S_LIT(b, ", \"source\": ");
    rc |= s_str(b, s_source_name(d->source));
    if (d->source == CQ_SOURCE_OCR) {
        rc |= S_LIT(b, ", \"ocr_confidence\": ");
        rc |= cq_json_put_int(b, d->ocr_confidence);
    }
    if (d->supersedes_seq > 0) {
        rc |= S_LIT(b, ", \"supersedes\": {\"node\": ");
        rc |= s_str(b, d->supersedes_node);
        rc |= S_LIT(b, ", \"ledger_seq\": ");
        rc |= cq_json_put_int(b, d->supersedes_seq);
        rc |= S_LIT(b, "}");
    }
    if (d->review_audit[0] != '\0') {
        //  one JSON object, made compact by the broker (cq_review_audit)
        rc |= S_LIT(b, ", \"review\": ");
        rc |= cq_buf_add(b, d->review_audit, strlen(d->review_audit));
    }
    rc |= S_LIT(b, "}");
    if (rc != 0) {
        b->len = mark;
        if (b->data)
            b->data[mark] = '\0';
        return CQ_ETOOBIG;
    }
    return 0;
}

// ---------------------------------------------------------------------------
// Reader

//  Sticky-error reader over one jansson object (its first error sticks).
typedef struct {
    cq_diag_t *diag; // where the first error goes (may be NULL)
    int err;         // first error; later reads do nothing
    const char *obj; // "adjustments" / "reasons" or NULL at top level
    size_t idx;      // 1-based index in that array
} s_rd_t;

static void
s_rd_fail(s_rd_t *r, const char *key, const char *what)
{
    if (r->err)
        return;
    r->err = CQ_EPROTO;
    if (r->obj)
        cq_diag_set(r->diag, CQ_EPROTO, r->idx, "%s[%zu].%s: %s", r->obj,
                    r->idx, key, what);
    else
        cq_diag_set(r->diag, CQ_EPROTO, 0, "%s: %s", key, what);
}

//  A string into dst; null is "" when nullable.
static void
s_rd_str(s_rd_t *r, json_t *o, const char *key, bool nullable, char *dst,
         size_t dstsize)
{
    if (r->err)
        return;
    json_t *v = json_object_get(o, key);
    if (v && json_is_null(v) && nullable) {
        dst[0] = '\0';
        return;
    }
    if (v == NULL || !json_is_string(v)) {
        s_rd_fail(r, key, v ? "expected a string" : "missing");
        return;
    }
    if (cq_strncpy_n(dst, dstsize, json_string_value(v),
                     json_string_length(v)) != 0 ||
        strlen(dst) != json_string_length(v))
        s_rd_fail(r, key, "too long");
}

static void
s_rd_money(s_rd_t *r, json_t *o, const char *key, int64_t *out)
{
    if (r->err)
        return;
    json_t *v = json_object_get(o, key);
    if (v == NULL || !json_is_string(v) ||
        cq_money_parse(json_string_value(v), json_string_length(v), out))
        s_rd_fail(r, key, "expected a decimal string like \"125.00\"");
}

static void
s_rd_int(s_rd_t *r, json_t *o, const char *key, int64_t lo, int64_t hi,
         int64_t *out)
{
    if (r->err)
        return;
    json_t *v = json_object_get(o, key);
    if (v == NULL || !json_is_integer(v) || json_integer_value(v) < lo ||
        json_integer_value(v) > hi) {
        s_rd_fail(r, key, "expected an integer in range");
        return;
    }
    *out = json_integer_value(v);
}

static json_t *
s_rd_array(s_rd_t *r, json_t *o, const char *key, size_t max)
{
    if (r->err)
        return NULL;
    json_t *v = json_object_get(o, key);
    if (v == NULL || !json_is_array(v)) {
        s_rd_fail(r, key, "expected an array");
        return NULL;
    }
    if (json_array_size(v) > max) {
        s_rd_fail(r, key, "too many entries");
        return NULL;
    }
    return v;
}

static void
s_rd_adjustments(s_rd_t *r, json_t *root, cq_decision_t *d)
{
    json_t *a = s_rd_array(r, root, "adjustments", CQ_MAX_ADJ);
    for (size_t i = 0; a && i < json_array_size(a) && !r->err; i++) {
        json_t *o = json_array_get(a, i);
        s_rd_t x = {r->diag, 0, "adjustments", i + 1};
        cq_adjustment_t *adj = &d->adj[i];
        int64_t line = 0;
        if (!json_is_object(o)) {
            s_rd_fail(&x, "line", "expected an object");
        } else {
            s_rd_int(&x, o, "line", 0, CQ_MAX_LINES, &line);
            s_rd_str(&x, o, "group", false, adj->group, sizeof adj->group);
            s_rd_str(&x, o, "code", false, adj->code, sizeof adj->code);
            s_rd_money(&x, o, "amount", &adj->amount);
        }
        adj->line = (uint8_t)line;
        r->err = x.err;
        d->n_adj = (uint16_t)(i + 1);
    }
}

static void
s_rd_reasons(s_rd_t *r, json_t *root, cq_decision_t *d)
{
    json_t *a = s_rd_array(r, root, "reasons", CQ_MAX_REASONS);
    for (size_t i = 0; a && i < json_array_size(a) && !r->err; i++) {
        json_t *o = json_array_get(a, i);
        s_rd_t x = {r->diag, 0, "reasons", i + 1};
        cq_reason_t *rs = &d->reasons[i];
        int64_t line = 0;
        if (!json_is_object(o)) {
            s_rd_fail(&x, "line", "expected an object");
        } else {
            s_rd_int(&x, o, "line", 0, CQ_MAX_LINES, &line);
            s_rd_str(&x, o, "group", false, rs->group, sizeof rs->group);
            s_rd_str(&x, o, "carc", false, rs->carc, sizeof rs->carc);
            s_rd_str(&x, o, "rarc", true, rs->rarc, sizeof rs->rarc);
            s_rd_str(&x, o, "message", false, rs->message, sizeof rs->message);
        }
        rs->line = (uint8_t)line;
        r->err = x.err;
        d->n_reasons = (uint16_t)(i + 1);
    }
}

int
cq_decision_from_json(const char *s, size_t n, cq_decision_t *d,
                      cq_diag_t *diag)
{
    assert(d);
    //  all but the audit text past its first byte (decision.h)
    memset(d, 0, offsetof(cq_decision_t, review_audit) + 1);
    d->frequency = '1';
    d->ocr_confidence = -1;
    if (n > CQ_JSON_MAX_LINE)
        return cq_diag_set(diag, CQ_EPROTO, 0,
                           "decision: longer than %u "
                           "bytes",
                           CQ_JSON_MAX_LINE);
    json_error_t e;
    json_t *root = json_loadb(s, n, JSON_REJECT_DUPLICATES, &e);
    if (root == NULL)
        return cq_diag_set(diag, CQ_EPROTO, (size_t)e.position,
                           "decision: not valid JSON (column %d)", e.column);
    s_rd_t r = {diag, 0, NULL, 0};
    if (!json_is_object(root))
        s_rd_fail(&r, "decision", "expected an object");
    s_rd_str(&r, root, "claim_id", false, d->claim_id, sizeof d->claim_id);
    s_rd_str(&r, root, "payer_id", false, d->payer_id, sizeof d->payer_id);
    s_rd_str(&r, root, "batch_id", true, d->batch_id, sizeof d->batch_id);
    char outcome[16] = "";
    s_rd_str(&r, root, "decision", false, outcome, sizeof outcome);
    if (!r.err && cq_outcome_parse(outcome, &d->decision) != 0)
        s_rd_fail(&r, "decision", "must be accept, reject or pend");
    s_rd_money(&r, root, "billed", &d->billed);
    s_rd_money(&r, root, "allowed", &d->allowed);
    s_rd_money(&r, root, "paid", &d->paid);
    s_rd_money(&r, root, "patient_responsibility", &d->patient_resp);
    s_rd_adjustments(&r, root, d);
    s_rd_reasons(&r, root, d);
    s_rd_str(&r, root, "node", false, d->node, sizeof d->node);
    s_rd_int(&r, root, "ledger_seq", 0, INT64_MAX, &d->ledger_seq);
    s_rd_str(&r, root, "rules_version", false, d->rules_version,
             sizeof d->rules_version);
    char source[8] = "";
    s_rd_str(&r, root, "source", false, source, sizeof source);
    if (!r.err) {
        if (strcmp(source, "json") == 0)
            d->source = CQ_SOURCE_JSON;
        else if (strcmp(source, "x12") == 0)
            d->source = CQ_SOURCE_X12;
        else if (strcmp(source, "ocr") == 0)
            d->source = CQ_SOURCE_OCR;
        else
            s_rd_fail(&r, "source", "must be json, x12 or ocr");
    }
    if (!r.err && d->source == CQ_SOURCE_OCR) {
        int64_t conf = -1;
        s_rd_int(&r, root, "ocr_confidence", 0, 100, &conf);
        d->ocr_confidence = (int)conf;
    }
    json_t *sup = json_object_get(root, "supersedes");
    if (!r.err && sup != NULL) {
        if (!json_is_object(sup))
            s_rd_fail(&r, "supersedes", "expected an object");
        s_rd_str(&r, sup, "node", false, d->supersedes_node,
                 sizeof d->supersedes_node);
        s_rd_int(&r, sup, "ledger_seq", 1, INT64_MAX, &d->supersedes_seq);
    }
    json_t *rev = json_object_get(root, "review");
    if (!r.err && rev != NULL) {
        char *txt = json_is_object(rev)
                        ? json_dumps(rev, JSON_COMPACT | JSON_PRESERVE_ORDER)
                        : NULL;
        if (txt == NULL || strlen(txt) >= sizeof d->review_audit)
            s_rd_fail(&r, "review", "expected an object of at most 4095 bytes");
        else
            memcpy(d->review_audit, txt, strlen(txt) + 1);
        free(txt);
    }
    json_decref(root);
    return r.err;
}
