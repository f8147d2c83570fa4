//  plan.c: plan rules JSON (docs/formats.md "Plan rules") -> cq_plan_rules_t.
//  Every value is checked, and the first problem is reported with its JSON
//  path ("plans[0].fee_schedule.99213: expected a decimal string"). Keys the
//  format does not name are ignored (docs/formats.md "Plan rules").
#include "plan.h"
#include "hash.h"
#include "mem.h"
#include "money.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char npi[16];    // NUL-padded
    bool in_network; // providers[].in_network
} s_provider_t;

struct cq_plan_rules {
    char payer_id[CQ_ID_LEN];                 // payer_id
    char rules_version[CQ_RULES_VERSION_LEN]; // "sha256:<hex>"
    cq_plan_t *plans;                         // plans[], file order
    size_t n_plans;
    s_provider_t *providers; // providers[], file order
    size_t n_providers;
    cq_htab_t provider_index; // npi hash -> index into providers
};

//  The loader's context: where we are, for messages.
typedef struct {
    const char *name; // file name for messages
    cq_diag_t *diag;  // first error
    int err;          // first error code (sticky)
} s_ctx_t;

static int s_fail(s_ctx_t *ctx, const char *path, const char *fmt, ...)
    CQ_PRINTF(3, 4);

static int
s_fail(s_ctx_t *ctx, const char *path, const char *fmt, ...)
{
    if (ctx->err)
        return ctx->err;
    ctx->err = CQ_EPROTO;
    char why[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    cq_diag_set(ctx->diag, CQ_EPROTO, 0, "%s: %s: %s", ctx->name, path, why);
    return ctx->err;
}

//  Writes a procedure code (or npi) into a NUL-padded 16-byte key.
static void
s_key16(char key[16], const char *s)
{
    size_t i = 0;
    for (; i < 15 && s[i] != '\0'; i++)
        key[i] = s[i];
    for (; i < 16; i++)
        key[i] = '\0';
}

static uint64_t
s_key_hash(const char key[16])
{
    uint64_t a, b;
    memcpy(&a, key, 8);
    memcpy(&b, key + 8, 8);
    return cq_htab_fix(cq_mix64(a ^ UINT64_C(0x51ED27), b));
}

static bool
s_key_eq(const char a[16], const char b[16])
{
    return memcmp(a, b, 16) == 0;
}

//  A procedure code: 1..11 letters and digits.
static bool
s_code_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= CQ_CODE_LEN)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
              (c >= 'a' && c <= 'z')))
            return false;
    }
    return true;
}

//  Returns the procedure record for code in plan p, creating it if needed.
static cq_proc_rule_t *
s_proc_get(cq_plan_t *p, size_t *cap, const char *code)
{
    char key[16];
    s_key16(key, code);
    uint64_t h = s_key_hash(key);
    for (size_t i = cq_htab_first(&p->proc_index, h); i != CQ_HTAB_END;
         i = cq_htab_next(&p->proc_index, h, i)) {
        cq_proc_rule_t *r = &p->procs[p->proc_index.slots[i].v];
        if (s_key_eq(r->code, key))
            return r;
    }
    if (p->n_procs == *cap) {
        *cap = *cap ? *cap * 2 : 32;
        p->procs = cq_xrealloc(p->procs, *cap * sizeof *p->procs);
    }
    cq_proc_rule_t *r = &p->procs[p->n_procs];
    memset(r, 0, sizeof *r);
    memcpy(r->code, key, 16);
    r->fee = -1;
    r->freq_max = -1;
    r->user = UINT32_MAX;
    cq_htab_add(&p->proc_index, h, (uint32_t)p->n_procs);
    p->n_procs++;
    return r;
}

cq_proc_rule_t *
cq_plan_proc_rw(cq_plan_t *plan, const char *code)
{
    return (cq_proc_rule_t *)cq_plan_proc(plan, code);
}

cq_plan_t *
cq_plan_at_rw(cq_plan_rules_t *self, size_t i)
{
    assert(i < self->n_plans);
    return &self->plans[i];
}

const cq_proc_rule_t *
cq_plan_proc(const cq_plan_t *plan, const char *code)
{
    char key[16];
    s_key16(key, code);
    if (plan->proc_index.slots == NULL)
        return NULL;
    uint64_t h = s_key_hash(key);
    for (size_t i = cq_htab_first(&plan->proc_index, h); i != CQ_HTAB_END;
         i = cq_htab_next(&plan->proc_index, h, i)) {
        const cq_proc_rule_t *r = &plan->procs[plan->proc_index.slots[i].v];
        if (s_key_eq(r->code, key))
            return r;
    }
    return NULL;
}

//  ---- typed getters: each reports a bad value with its path -------------

static const char *
s_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

//  obj[key], required unless optional; NULL when absent (and optional).
static json_t *
s_get(s_ctx_t *ctx, json_t *obj, const char *path, const char *key,
      bool optional)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL && !optional) {
        char p[192];
        snprintf(p, sizeof p, "%s%s%s", path, *path ? "." : "", key);
        s_fail(ctx, p, "missing (required)");
    }
    return v;
}

static int
s_string(s_ctx_t *ctx, json_t *v, const char *path, char *out, size_t cap)
{
    if (!json_is_string(v))
        return s_fail(ctx, path, "expected a string, found %s", s_type_name(v));
    const char *s = json_string_value(v);
    if (s[0] == '\0')
        return s_fail(ctx, path, "must not be empty");
    if (json_string_length(v) >= cap)
        return s_fail(ctx, path, "longer than %zu characters", cap - 1);
    memcpy(out, s, json_string_length(v) + 1);
    return 0;
}

static int
s_money(s_ctx_t *ctx, json_t *v, const char *path, int64_t *out)
{
    if (!json_is_string(v))
        return s_fail(ctx, path, "expected a decimal string, found %s",
                      s_type_name(v));
    const char *s = json_string_value(v);
    if (cq_money_parse_nonneg(s, json_string_length(v), out) != 0)
        return s_fail(ctx, path,
                      "expected a decimal string such as \"90.00\" "
                      "(non-negative, at most 2 decimals)");
    return 0;
}

static int
s_rate(s_ctx_t *ctx, json_t *v, const char *path, int64_t max_ppm, int64_t *out)
{
    if (!json_is_string(v))
        return s_fail(ctx, path, "expected a decimal string, found %s",
                      s_type_name(v));
    int64_t ppm;
    if (cq_rate_parse(json_string_value(v), json_string_length(v), &ppm) != 0 ||
        ppm > max_ppm)
        return s_fail(ctx, path,
                      "expected a rate such as \"0.20\" (0 to %d, at most 6 "
                      "decimals)",
                      (int)(max_ppm / 1000000));
    *out = ppm;
    return 0;
}

static int
s_code(s_ctx_t *ctx, json_t *v, const char *path, const char **out)
{
    *out = NULL;
    if (!json_is_string(v))
        return s_fail(ctx, path, "expected a procedure code string, found %s",
                      s_type_name(v));
    if (!s_code_ok(json_string_value(v)))
        return s_fail(ctx, path,
                      "not a procedure code (1 to %d letters or digits)",
                      CQ_CODE_LEN - 1);
    *out = json_string_value(v);
    return 0;
}

//  An object member key used as a procedure code (fee_schedule, copays).
static int
s_code_key(s_ctx_t *ctx, const char *key, const char *path)
{
    if (!s_code_ok(key))
        return s_fail(ctx, path,
                      "not a procedure code (1 to %d letters or digits)",
                      CQ_CODE_LEN - 1);
    return 0;
}

static int
s_mmdd(s_ctx_t *ctx, json_t *v, const char *path, int *month, int *day)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const char *s = json_is_string(v) ? json_string_value(v) : NULL;
    if (s == NULL || json_string_length(v) != 5 || s[2] != '-' || s[0] < '0' ||
        s[0] > '9' || s[1] < '0' || s[1] > '9' || s[3] < '0' || s[3] > '9' ||
        s[4] < '0' || s[4] > '9')
        return s_fail(ctx, path, "expected \"MM-DD\" such as \"01-01\"");
    int m = (s[0] - '0') * 10 + (s[1] - '0');
    int d = (s[3] - '0') * 10 + (s[4] - '0');
    if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return s_fail(ctx, path, "not a day of the year: \"%s\"", s);
    *month = m;
    *day = d;
    return 0;
}

//  An array of procedure codes; calls mark(rule) for each.
static int
s_code_list(s_ctx_t *ctx, cq_plan_t *p, size_t *cap, json_t *arr,
            const char *path, bool prior_auth)
{
    if (!json_is_array(arr))
        return s_fail(ctx, path,
                      "expected an array of procedure codes, "
                      "found %s",
                      s_type_name(arr));
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        char ipath[192];
        snprintf(ipath, sizeof ipath, "%s[%zu]", path, i);
        const char *code;
        if (s_code(ctx, v, ipath, &code) != 0)
            return ctx->err;
        cq_proc_rule_t *r = s_proc_get(p, cap, code);
        if (prior_auth)
            r->prior_auth = true;
        else
            r->excluded = true;
    }
    return 0;
}

//  One item of a plan's frequency_limits: {procedure, max, per}.
static int
s_freq_limit(s_ctx_t *ctx, cq_plan_t *p, size_t *cap, json_t *lim,
             const char *path, size_t i)
{
    char lp[160], ep[192];
    snprintf(lp, sizeof lp, "%s.frequency_limits[%zu]", path, i);
    if (!json_is_object(lim))
        return s_fail(ctx, lp, "expected an object, found %s",
                      s_type_name(lim));
    json_t *f;
    const char *code;
    snprintf(ep, sizeof ep, "%s.procedure", lp);
    if ((f = s_get(ctx, lim, lp, "procedure", false)) == NULL ||
        s_code(ctx, f, ep, &code) != 0)
        return ctx->err;
    snprintf(ep, sizeof ep, "%s.max", lp);
    if ((f = s_get(ctx, lim, lp, "max", false)) == NULL)
        return ctx->err;
    if (!json_is_integer(f) || json_integer_value(f) < 0 ||
        json_integer_value(f) > INT32_MAX)
        return s_fail(ctx, ep,
                      "expected a whole number of lines "
                      "(0 or more)");
    int32_t max = (int32_t)json_integer_value(f);
    snprintf(ep, sizeof ep, "%s.per", lp);
    if ((f = s_get(ctx, lim, lp, "per", false)) == NULL)
        return ctx->err;
    const char *per = json_is_string(f) ? json_string_value(f) : "";
    cq_limit_per_t pv;
    if (strcmp(per, "plan_year") == 0)
        pv = CQ_PER_PLAN_YEAR;
    else if (strcmp(per, "calendar_year") == 0)
        pv = CQ_PER_CALENDAR_YEAR;
    else if (strcmp(per, "lifetime") == 0)
        pv = CQ_PER_LIFETIME;
    else
        return s_fail(ctx, ep,
                      "expected \"plan_year\", \"calendar_year\" or "
                      "\"lifetime\"");
    cq_proc_rule_t *r = s_proc_get(p, cap, code);
    if (r->freq_max >= 0)
        return s_fail(ctx, lp, "a second frequency limit for procedure %s",
                      code);
    r->freq_max = max;
    r->per = pv;
    return 0;
}

static int
s_plan(s_ctx_t *ctx, json_t *obj, size_t idx, cq_plan_t *p)
{
    char path[64], fp[192];
    snprintf(path, sizeof path, "plans[%zu]", idx);
    if (!json_is_object(obj))
        return s_fail(ctx, path, "expected an object, found %s",
                      s_type_name(obj));
    size_t cap = 0;
    json_t *v;

#define S_FIELD(key, opt)                                                      \
    (snprintf(fp, sizeof fp, "%s." key, path), s_get(ctx, obj, path, key, opt))
    if ((v = S_FIELD("plan_id", false)) == NULL ||
        s_string(ctx, v, fp, p->plan_id, sizeof p->plan_id) != 0)
        return ctx->err;
    if ((v = S_FIELD("plan_year_start", false)) == NULL ||
        s_mmdd(ctx, v, fp, &p->py_month, &p->py_day) != 0)
        return ctx->err;
    if ((v = S_FIELD("timely_filing_days", false)) == NULL)
        return ctx->err;
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        json_integer_value(v) > 36500)
        return s_fail(ctx, fp, "expected a whole number of days (0..36500)");
    p->timely_filing_days = (int32_t)json_integer_value(v);
    if ((v = S_FIELD("deductible", false)) == NULL ||
        s_money(ctx, v, fp, &p->deductible) != 0)
        return ctx->err;
    if ((v = S_FIELD("out_of_pocket_max", false)) == NULL ||
        s_money(ctx, v, fp, &p->oop_max) != 0)
        return ctx->err;
    if ((v = S_FIELD("coinsurance", false)) == NULL ||
        s_rate(ctx, v, fp, 1000000, &p->coins_ppm) != 0)
        return ctx->err;

    v = S_FIELD("out_of_network", true);
    if (v != NULL && !json_is_null(v)) {
        if (!json_is_object(v))
            return s_fail(ctx, fp, "expected an object or null, found %s",
                          s_type_name(v));
        json_t *oon = v;
        char op[96];
        snprintf(op, sizeof op, "%s.out_of_network", path);
        snprintf(fp, sizeof fp, "%s.allowed_factor", op);
        if ((v = s_get(ctx, oon, op, "allowed_factor", false)) == NULL ||
            s_rate(ctx, v, fp, 100000000, &p->oon_factor_ppm) != 0)
            return ctx->err;
        snprintf(fp, sizeof fp, "%s.coinsurance", op);
        if ((v = s_get(ctx, oon, op, "coinsurance", false)) == NULL ||
            s_rate(ctx, v, fp, 1000000, &p->oon_coins_ppm) != 0)
            return ctx->err;
        p->oon_covered = true;
    }

    cq_htab_init(&p->proc_index, 64);
    if ((v = S_FIELD("fee_schedule", false)) == NULL)
        return ctx->err;
    if (!json_is_object(v))
        return s_fail(ctx, fp, "expected an object of code: amount, found %s",
                      s_type_name(v));
    const char *key;
    json_t *val;
    json_object_foreach(v, key, val)
    {
        char kp[192];
        snprintf(kp, sizeof kp, "%s.fee_schedule.%.32s", path, key);
        int64_t fee;
        if (s_code_key(ctx, key, kp) != 0 || s_money(ctx, val, kp, &fee) != 0)
            return ctx->err;
        s_proc_get(p, &cap, key)->fee = fee;
    }

    v = S_FIELD("copays", true);
    if (v != NULL && !json_is_null(v)) {
        if (!json_is_object(v))
            return s_fail(ctx, fp,
                          "expected an object of code: amount, found %s",
                          s_type_name(v));
        json_object_foreach(v, key, val)
        {
            char kp[192];
            snprintf(kp, sizeof kp, "%s.copays.%.32s", path, key);
            int64_t copay;
            if (s_code_key(ctx, key, kp) != 0 ||
                s_money(ctx, val, kp, &copay) != 0)
                return ctx->err;
            s_proc_get(p, &cap, key)->copay = copay;
        }
    }

    v = S_FIELD("prior_auth_required", true);
    if (v != NULL && !json_is_null(v) &&
        s_code_list(ctx, p, &cap, v, fp, true) != 0)
        return ctx->err;
    v = S_FIELD("excluded", true);
    if (v != NULL && !json_is_null(v) &&
        s_code_list(ctx, p, &cap, v, fp, false) != 0)
        return ctx->err;

    v = S_FIELD("frequency_limits", true);
    if (v != NULL && !json_is_null(v)) {
        if (!json_is_array(v))
            return s_fail(ctx, fp, "expected an array, found %s",
                          s_type_name(v));
        size_t i;
        json_t *lim;
        json_array_foreach(v, i, lim)
        {
            if (s_freq_limit(ctx, p, &cap, lim, path, i) != 0)
                return ctx->err;
        }
    }
#undef S_FIELD
    return 0;
}

static int
s_providers(s_ctx_t *ctx, cq_plan_rules_t *r, json_t *arr)
{
    if (!json_is_array(arr))
        return s_fail(ctx, "providers", "expected an array, found %s",
                      s_type_name(arr));
    r->n_providers = json_array_size(arr);
    r->providers = cq_xcalloc(r->n_providers, sizeof *r->providers);
    cq_htab_init(&r->provider_index, r->n_providers);
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        char path[64], fp[96];
        snprintf(path, sizeof path, "providers[%zu]", i);
        if (!json_is_object(v))
            return s_fail(ctx, path, "expected an object, found %s",
                          s_type_name(v));
        json_t *f;
        snprintf(fp, sizeof fp, "%s.npi", path);
        if ((f = s_get(ctx, v, path, "npi", false)) == NULL)
            return ctx->err;
        const char *npi = json_is_string(f) ? json_string_value(f) : "";
        bool ok = strlen(npi) == 10;
        for (size_t k = 0; ok && k < 10; k++)
            ok = npi[k] >= '0' && npi[k] <= '9';
        if (!ok)
            return s_fail(ctx, fp, "expected a 10-digit NPI string");
        snprintf(fp, sizeof fp, "%s.in_network", path);
        if ((f = s_get(ctx, v, path, "in_network", false)) == NULL)
            return ctx->err;
        if (!json_is_boolean(f))
            return s_fail(ctx, fp, "expected true or false, found %s",
                          s_type_name(f));
        s_provider_t *p = &r->providers[i];
        s_key16(p->npi, npi);
        p->in_network = json_is_true(f);
        uint64_t h = s_key_hash(p->npi);
        for (size_t k = cq_htab_first(&r->provider_index, h); k != CQ_HTAB_END;
             k = cq_htab_next(&r->provider_index, h, k))
            if (s_key_eq(r->providers[r->provider_index.slots[k].v].npi,
                         p->npi))
                return s_fail(ctx, fp, "NPI %s is listed twice", npi);
        cq_htab_add(&r->provider_index, h, (uint32_t)i);
    }
    return 0;
}

static int
s_rules(s_ctx_t *ctx, cq_plan_rules_t *r, json_t *root)
{
    if (!json_is_object(root))
        return s_fail(ctx, "(top level)", "expected an object, found %s",
                      s_type_name(root));
    json_t *v;
    if ((v = s_get(ctx, root, "", "payer_id", false)) == NULL ||
        s_string(ctx, v, "payer_id", r->payer_id, sizeof r->payer_id) != 0)
        return ctx->err;
    v = s_get(ctx, root, "", "providers", true);
    if (v != NULL && s_providers(ctx, r, v) != 0)
        return ctx->err;
    if (r->provider_index.slots == NULL)
        cq_htab_init(&r->provider_index, 1);
    if ((v = s_get(ctx, root, "", "plans", false)) == NULL)
        return ctx->err;
    if (!json_is_array(v) || json_array_size(v) == 0)
        return s_fail(ctx, "plans", "expected a non-empty array of plans");
    r->n_plans = json_array_size(v);
    r->plans = cq_xcalloc(r->n_plans, sizeof *r->plans);
    for (size_t i = 0; i < r->n_plans; i++) {
        if (s_plan(ctx, json_array_get(v, i), i, &r->plans[i]) != 0)
            return ctx->err;
        for (size_t k = 0; k < i; k++)
            if (strcmp(r->plans[k].plan_id, r->plans[i].plan_id) == 0) {
                char p[64];
                snprintf(p, sizeof p, "plans[%zu].plan_id", i);
                return s_fail(ctx, p, "plan \"%s\" is defined twice",
                              r->plans[i].plan_id);
            }
    }
    return 0;
}

cq_plan_rules_t *
cq_plan_parse(const char *buf, size_t len, const char *name, cq_diag_t *diag)
{
    if (len > CQ_PLAN_MAX_FILE) {
        cq_diag_set(diag, CQ_ETOOBIG, 0, "%s: plan file over %u MiB", name,
                    CQ_PLAN_MAX_FILE >> 20);
        return NULL;
    }
    json_error_t jerr;
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        cq_diag_set(diag, CQ_EPROTO, (size_t)(jerr.line > 0 ? jerr.line : 0),
                    "%s:%d:%d: not valid JSON: %s", name, jerr.line,
                    jerr.column, jerr.text);
        return NULL;
    }
    cq_plan_rules_t *r = cq_xcalloc(1, sizeof *r);
    s_ctx_t ctx = {name, diag, 0};
    s_rules(&ctx, r, root);
    json_decref(root);
    if (ctx.err) {
        cq_plan_destroy(&r);
        return NULL;
    }
    char hex[CQ_SHA256_HEXLEN];
    snprintf(r->rules_version, sizeof r->rules_version, "sha256:%s",
             cq_sha256_hex(buf, len, hex));
    return r;
}

cq_plan_rules_t *
cq_plan_load(const char *path, cq_diag_t *diag)
{
    char *buf;
    size_t len;
    int rc = cq_read_file(path, CQ_PLAN_MAX_FILE, &buf, &len);
    if (rc == CQ_ETOOBIG) {
        cq_diag_set(diag, rc, 0, "%s: plan file over %u MiB", path,
                    CQ_PLAN_MAX_FILE >> 20);
        return NULL;
    }
    if (rc != 0) {
        cq_diag_set(diag, rc, 0, "%s: cannot read plan file: %s", path,
                    strerror(errno));
        return NULL;
    }
    cq_plan_rules_t *r = cq_plan_parse(buf, len, path, diag);
    free(buf);
    return r;
}

void
cq_plan_destroy(cq_plan_rules_t **self_p)
{
    assert(self_p);
    cq_plan_rules_t *r = *self_p;
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n_plans; i++) {
        free(r->plans[i].procs);
        cq_htab_free(&r->plans[i].proc_index);
    }
    free(r->plans);
    free(r->providers);
    cq_htab_free(&r->provider_index);
    free(r);
    *self_p = NULL;
}

const char *
cq_plan_payer(const cq_plan_rules_t *self)
{
    return self->payer_id;
}

const char *
cq_plan_rules_version(const cq_plan_rules_t *self)
{
    return self->rules_version;
}

size_t
cq_plan_count(const cq_plan_rules_t *self)
{
    return self->n_plans;
}

const cq_plan_t *
cq_plan_at(const cq_plan_rules_t *self, size_t i)
{
    assert(i < self->n_plans);
    return &self->plans[i];
}

int
cq_plan_find(const cq_plan_rules_t *self, const char *plan_id)
{
    for (size_t i = 0; i < self->n_plans; i++)
        if (strcmp(self->plans[i].plan_id, plan_id) == 0)
            return (int)i;
    return -1;
}

bool
cq_plan_in_network(const cq_plan_rules_t *self, const char *npi)
{
    char key[16];
    s_key16(key, npi);
    uint64_t h = s_key_hash(key);
    for (size_t i = cq_htab_first(&self->provider_index, h); i != CQ_HTAB_END;
         i = cq_htab_next(&self->provider_index, h, i)) {
        const s_provider_t *p =
            &self->providers[self->provider_index.slots[i].v];
        if (s_key_eq(p->npi, key))
            return p->in_network;
    }
    return false;
}
