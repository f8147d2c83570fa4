//  claim_json.c: claim JSON to claims (docs/formats.md "Claim"): the
//  document layer (JSON Lines, an array, or a stream of objects) and the
//  mapping of each record's fields into a cq_claim_t, with the field rules
//  and their CO-16 remark codes. The cursor it reads with is json_pull.h;
//  writing claims as JSON is claim_json_write.c. It must not allocate per
//  claim, nor log values.
//
//  Decoding builds no tree. A strict RFC 8259 pull parser (a cursor with a
//  sticky error) reads each record once and stores fields
//  straight into the cq_claim_t, without allocating. The reason is speed:
//  jansson's json_loadb alone costs ~12 µs for a typical 800-byte claim on
//  the project's 2-core machines (a malloc per value, a hash table per
//  object, a byte-at-a-time lexer), more than the whole per-claim budget
//  of `claimq adjudicate` (>= 100,000 claims/s); this parser decodes the
//  same claim in about a microsecond. The fuzz target checks it against
//  jansson: both must accept exactly the same JSON texts.
//
//  The document layer finds records (JSON Lines, an array, or a stream of
//  objects); the claim layer flags the first content error on the claim
//  and never fails the document. Messages name fields and never carry
//  values that could be patient data.
#include "claim_json.h"
#include "date.h"
#include "money.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  RARCs used for CO-16 (see claim_json.h).
#define S_RARC_PROC "M51"
#define S_RARC_DOS "M52"
#define S_RARC_UNITS "M53"
#define S_RARC_TOTAL "M54"
#define S_RARC_DX "M76"
#define S_RARC_POS "M77"
#define S_RARC_CHARGE "M79"
#define S_RARC_MEMBER "N382"
#define S_RARC_GENERIC "MA130"

#define S_CLAIM_ID_MAX 38 // CLM01 is AN 1-38
#define S_UNITS_MAX 99999 // whole units per line
#define S_MONEY_HINT "expected a decimal string like \"125.00\""

#include "json_pull.h"

// ---------------------------------------------------------------------------
// Field context and errors

//  Where a field sits, to name it in messages: "member.id",
//  "lines[2].charge" (indexes 1-based), or a top-level "total_charge".
typedef struct {
    s_cur_t *cur;    // the record's cursor
    cq_claim_t *c;   // claim being filled
    const char *obj; // enclosing object name, or NULL at top level
    int idx;         // 1-based index in the enclosing array, or 0
    int depth;       // nesting of the object whose fields are read
} s_ctx_t;

static void s_fail(const s_ctx_t *x, const char *key, const char *rarc,
                   const char *fmt, ...) CQ_PRINTF(4, 5);

//  Flags the claim invalid (first error wins) naming the field.
static void
s_fail(const s_ctx_t *x, const char *key, const char *rarc, const char *fmt,
       ...)
{
    if (x->c->invalid)
        return;
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char path[64];
    if (x->obj && x->idx)
        snprintf(path, sizeof path, "%s[%d]%s%s", x->obj, x->idx,
                 key ? "." : "", key ? key : "");
    else if (x->obj)
        snprintf(path, sizeof path, "%s%s%s", x->obj, key ? "." : "",
                 key ? key : "");
    else
        snprintf(path, sizeof path, "%s", key ? key : "record");
    cq_claim_set_invalid(x->c, rarc, "%s: %s", path, msg);
}

// ---------------------------------------------------------------------------
// Character classes

static bool
s_is_upper(char ch)
{
    return ch >= 'A' && ch <= 'Z';
}

static char
s_upper(char ch)
{
    return (ch >= 'a' && ch <= 'z') ? (char)(ch - 'a' + 'A') : ch;
}

static bool
s_is_alnum(char ch)
{
    return s_is_digit(ch) || s_is_upper(s_upper(ch));
}

static bool
s_all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!s_is_digit(s[i]))
            return false;
    return true;
}

//  An identifier: printable ASCII, no '|', no outer spaces. Returns NULL or
//  what is wrong.
static const char *
s_id_problem(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch > 0x7E)
            return "must be printable ASCII";
        if (ch == '|')
            return "must not contain '|'";
    }
    if (n > 0 && (s[0] == ' ' || s[n - 1] == ' '))
        return "must not begin or end with a space";
    return NULL;
}

//  Free text (names): any UTF-8 but no control characters.
static bool
s_text_ok(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch == 0x7F)
            return false;
    }
    return true;
}

// ---------------------------------------------------------------------------
// Field readers: the cursor is at the field's value; each reads the whole
// value (whatever its type) and flags the claim when it is wrong. They
// return true when a value was stored (null stores nothing).

//  The value as a string: 1 (buf/len filled), 0 (null), -1 (another type,
//  skipped and flagged, or a syntax error).
static int
s_val_str(const s_ctx_t *x, const char *key, const char *rarc, char *buf,
          size_t cap, size_t *len)
{
    s_cur_t *c = x->cur;
    int ch = s_peek(c);
    if (ch == '"')
        return s_str(c, buf, cap, len) ? 1 : -1;
    if (ch == 'n')
        return s_lit(c, "null", 4) ? 0 : -1;
    if (s_skip(c, x->depth))
        s_fail(x, key, rarc, "expected a string, not %s", s_type_of(ch));
    return -1;
}

//  An identifier of 1..maxlen characters into dst.
static bool
s_id(const s_ctx_t *x, const char *key, const char *rarc, char *dst,
     size_t dstsize, size_t maxlen)
{
    char tmp[64];
    size_t n;
    assert(maxlen < sizeof tmp && maxlen < dstsize);
    if (s_val_str(x, key, rarc, tmp, sizeof tmp, &n) <= 0)
        return false;
    const char *why = n <= maxlen ? s_id_problem(tmp, n) : NULL;
    if (n == 0)
        s_fail(x, key, rarc, "empty");
    else if (n > maxlen)
        s_fail(x, key, rarc, "longer than %zu characters", maxlen);
    else if (why)
        s_fail(x, key, rarc, "%s", why);
    else {
        memcpy(dst, tmp, n + 1);
        return true;
    }
    return false;
}

//  A name (free text) of at most dstsize-1 bytes into dst.
static bool
s_name(const s_ctx_t *x, const char *key, char *dst, size_t dstsize)
{
    size_t n;
    if (s_val_str(x, key, S_RARC_GENERIC, dst, dstsize, &n) <= 0) {
        memset(dst, 0, dstsize);
        return false;
    }
    const char *why = NULL;
    if (n >= dstsize)
        why = "too long";
    else if (!s_text_ok(dst, n))
        why = "contains a control character";
    if (why) {
        if (n >= dstsize)
            s_fail(x, key, S_RARC_GENERIC, "longer than %zu bytes",
                   dstsize - 1);
        else
            s_fail(x, key, S_RARC_GENERIC, "%s", why);
        memset(dst, 0, dstsize);
        return false;
    }
    return n > 0;
}

//  Exactly `digits` decimal digits into dst (NPI, tax id).
static bool
s_digits(const s_ctx_t *x, const char *key, const char *rarc, size_t digits,
         char *dst, size_t dstsize)
{
    char tmp[24];
    size_t n;
    assert(digits < dstsize && digits < sizeof tmp);
    if (s_val_str(x, key, rarc, tmp, sizeof tmp, &n) <= 0)
        return false;
    if (n != digits || !s_all_digits(tmp, n)) {
        s_fail(x, key, rarc, "expected %zu digits", digits);
        return false;
    }
    memcpy(dst, tmp, n + 1);
    return true;
}

static bool
s_date(const s_ctx_t *x, const char *key, const char *rarc, int32_t *out)
{
    char tmp[16];
    size_t n;
    if (s_val_str(x, key, rarc, tmp, sizeof tmp, &n) <= 0)
        return false;
    if (n >= sizeof tmp || cq_date_parse(tmp, n, out) != 0) {
        s_fail(x, key, rarc, "not a valid date (YYYY-MM-DD)");
        return false;
    }
    return true;
}

//  Non-negative money: a decimal string, never a JSON number.
static bool
s_money(const s_ctx_t *x, const char *key, const char *rarc, int64_t *out)
{
    s_cur_t *c = x->cur;
    int ch = s_peek(c);
    if (ch == '-' || (ch >= '0' && ch <= '9')) {
        s_num_t num;
        if (s_num(c, &num))
            s_fail(x, key, rarc,
                   S_MONEY_HINT ", not a number (floating-point money is "
                                "not accepted)");
        return false;
    }
    char tmp[32];
    size_t n;
    int r = s_val_str(x, key, rarc, tmp, sizeof tmp, &n);
    if (r <= 0)
        return false;
    int64_t v;
    if (n < sizeof tmp && n > 0 && tmp[0] == '-' &&
        cq_money_parse(tmp, n, &v) == 0) {
        s_fail(x, key, rarc, "must not be negative");
        return false;
    }
    if (n >= sizeof tmp || cq_money_parse_nonneg(tmp, n, out) != 0) {
        s_fail(x, key, rarc, S_MONEY_HINT);
        return false;
    }
    return true;
}

//  "1", "1.5", "0.125" -> thousandths; at most 3 decimals.
static int
s_units_parse(const char *s, size_t n, int64_t *milli)
{
    size_t i = 0, digits = 0, fdigits = 0;
    int64_t whole = 0, frac = 0;
    while (i < n && s_is_digit(s[i])) {
        whole = whole * 10 + (s[i] - '0');
        if (whole > S_UNITS_MAX)
            return CQ_EINVAL;
        i++;
        digits++;
    }
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && s_is_digit(s[i])) {
            if (fdigits == 3)
                return CQ_EINVAL;
            frac = frac * 10 + (s[i] - '0');
            i++;
            fdigits++;
        }
        if (fdigits == 0)
            return CQ_EINVAL;
    }
    if (i != n || digits == 0)
        return CQ_EINVAL;
    for (size_t k = fdigits; k < 3; k++)
        frac *= 10;
    *milli = whole * 1000 + frac;
    return 0;
}

#define S_UNITS_HINT "expected an integer or a decimal string like \"1.5\""

static void
s_units(const s_ctx_t *x, int64_t *milli)
{
    s_cur_t *c = x->cur;
    int ch = s_peek(c);
    int64_t m = 0;
    if (ch == '-' || (ch >= '0' && ch <= '9')) {
        s_num_t num;
        if (!s_num(c, &num))
            return;
        if (!num.is_int) {
            s_fail(x, "units", S_RARC_UNITS,
                   S_UNITS_HINT ", not a fractional JSON number");
            return;
        }
        if (num.i < 0 || num.i > S_UNITS_MAX) {
            s_fail(x, "units", S_RARC_UNITS, "must be between 1 and %d",
                   S_UNITS_MAX);
            return;
        }
        m = num.i * 1000;
    } else {
        char tmp[24];
        size_t n;
        int r = s_val_str(x, "units", S_RARC_UNITS, tmp, sizeof tmp, &n);
        if (r == 0)
            return; // null: the default, one unit
        if (r < 0)
            return;
        if (n >= sizeof tmp || s_units_parse(tmp, n, &m) != 0) {
            s_fail(x, "units", S_RARC_UNITS, S_UNITS_HINT);
            return;
        }
    }
    if (m <= 0) {
        s_fail(x, "units", S_RARC_UNITS, "must be greater than 0");
        return;
    }
    *milli = m;
}

//  Checks that the value opens a container: open ('[' or '{', consumed:
//  returns 1), null (0) or something else (skipped and flagged: -1).
static int
s_val_open(const s_ctx_t *x, const char *key, const char *rarc, int open,
           const char *expected)
{
    s_cur_t *c = x->cur;
    int ch = s_peek(c);
    if (ch == open) {
        c->p++;
        return 1;
    }
    if (ch == 'n')
        return s_lit(c, "null", 4) ? 0 : -1;
    if (s_skip(c, x->depth))
        s_fail(x, key, rarc, "expected %s, not %s", expected, s_type_of(ch));
    return -1;
}

static int
s_val_array(const s_ctx_t *x, const char *key, const char *rarc)
{
    return s_val_open(x, key, rarc, '[', "an array");
}

static int
s_val_object(const s_ctx_t *x, const char *key, const char *rarc)
{
    return s_val_open(x, key, rarc, '{', "an object");
}

// ---------------------------------------------------------------------------
// Code sets

//  ICD-10-CM: letter, digit, alphanumeric, then up to 4 alphanumerics; the
//  point, if given, sits after the third character. Writes the dotted,
//  upper-case form ("E11.9"). Returns 0 or -1.
static int
s_icd10(const char *s, size_t n, char out[CQ_CODE_LEN])
{
    char raw[8];
    size_t k = 0;
    bool dot = false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == '.') {
            if (dot || k != 3)
                return -1;
            dot = true;
            continue;
        }
        if (!s_is_alnum(ch) || k == 7)
            return -1;
        raw[k++] = s_upper(ch);
    }
    if (k < 3 || (dot && k == 3) || !s_is_upper(raw[0]) || !s_is_digit(raw[1]))
        return -1;
    size_t o = 0;
    for (size_t i = 0; i < k; i++) {
        if (i == 3)
            out[o++] = '.';
        out[o++] = raw[i];
    }
    out[o] = '\0';
    return 0;
}

//  CPT (5 digits, or 4 digits + F/T/U), HCPCS level II / CDT (letter + 4
//  digits). Writes upper case. Returns 0 or -1.
static int
s_procedure(const char *s, size_t n, char out[CQ_CODE_LEN])
{
    if (n != 5)
        return -1;
    char u[6];
    for (size_t i = 0; i < 5; i++)
        u[i] = s_upper(s[i]);
    u[5] = '\0';
    bool cpt = s_all_digits(u, 4) &&
               (s_is_digit(u[4]) || u[4] == 'F' || u[4] == 'T' || u[4] == 'U');
    bool hcpcs = s_is_upper(u[0]) && s_all_digits(u + 1, 4);
    if (!cpt && !hcpcs)
        return -1;
    memcpy(out, u, 6);
    return 0;
}

// ---------------------------------------------------------------------------
// Claim

//  A field name and its length (compared before the bytes).
typedef struct {
    const char *s;
    size_t n;
} s_key_t;
#define S_K(lit)                                                               \
    {                                                                          \
        lit, sizeof(lit) - 1                                                   \
    }

static bool
s_key_is(const s_key_t *k, const char *key, size_t n)
{
    if (k->n != n)
        return false;
    for (size_t i = 0; i < n; i++) // short: inline beats a memcmp call
        if (k->s[i] != key[i])
            return false;
    return true;
}

//  Index of key[0..n) in keys, or -1. Keys usually come in table order
//  (our encoder writes them so): *hint, the slot after the last match, is
//  tried first.
static int
s_lookup(const s_key_t *keys, size_t count, const char *key, size_t n,
         size_t *hint)
{
    if (*hint < count && s_key_is(&keys[*hint], key, n))
        return (int)(*hint)++;
    for (size_t i = 0; i < count; i++)
        if (s_key_is(&keys[i], key, n)) {
            *hint = i + 1;
            return (int)i;
        }
    return -1;
}

#define S_KEY_CAP 24 // longer keys are none of ours

//  Iterates an object's fields: for each known key (not seen before) calls
//  field(x, k, arg); unknown keys are skipped; a repeated known key is
//  flagged (another reader could take the other value). Returns the set of
//  keys whose value was stored (bit k), from field's return values.
typedef bool(s_field_fn)(const s_ctx_t *x, int k, void *arg);

static unsigned
s_fields(const s_ctx_t *x, const s_key_t *names, size_t count,
         s_field_fn *field, void *arg)
{
    s_cur_t *c = x->cur;
    unsigned got = 0, stored = 0;
    bool first = true;
    char key[S_KEY_CAP];
    size_t kl, hint = 0;
    while (s_obj_next(c, &first, key, sizeof key, &kl)) {
        int k = kl ? s_lookup(names, count, key, kl, &hint) : -1;
        if (k < 0) {
            s_skip(c, x->depth);
            continue;
        }
        if (got & (1u << k)) {
            s_fail(x, names[k].s, S_RARC_GENERIC,
                   "appears twice in one object");
            s_skip(c, x->depth);
            continue;
        }
        got |= 1u << k;
        if (field(x, k, arg))
            stored |= 1u << k;
    }
    return stored;
}

//  Flags the first required key (in names order) that was not stored.
static void
s_required(const s_ctx_t *x, const s_key_t *names, unsigned required,
           unsigned stored, const char *rarc_of_key(int k))
{
    for (int k = 0; required >> k; k++)
        if ((required & (1u << k)) && !(stored & (1u << k))) {
            s_fail(x, names[k].s, rarc_of_key(k), "missing");
            return;
        }
}

// ----- member

enum { M_ID, M_LAST, M_FIRST, M_BIRTH, M_SEX, M_COUNT };
static const s_key_t s_member_keys[M_COUNT] = {S_K("id"), S_K("last_name"),
                                               S_K("first_name"),
                                               S_K("birth_date"), S_K("sex")};

static const char *
s_member_rarc(int k)
{
    return k == M_ID ? S_RARC_MEMBER : S_RARC_GENERIC;
}

static bool
s_member_field(const s_ctx_t *x, int k, void *arg)
{
    cq_member_ref_t *r = &x->c->member;
    switch (k) {
    case M_ID:
        return s_id(x, "id", S_RARC_MEMBER, r->id, sizeof r->id,
                    sizeof r->id - 1);
    case M_LAST:
        return s_name(x, "last_name", r->last_name, sizeof r->last_name);
    case M_FIRST:
        return s_name(x, "first_name", r->first_name, sizeof r->first_name);
    case M_BIRTH:
        return s_date(x, "birth_date", S_RARC_GENERIC, &r->birth_date);
    default: {
        char tmp[4];
        size_t n;
        if (s_val_str(x, "sex", S_RARC_GENERIC, tmp, sizeof tmp, &n) <= 0)
            return false;
        if (n == 1 && (tmp[0] == 'F' || tmp[0] == 'M' || tmp[0] == 'U')) {
            r->sex = tmp[0];
            return true;
        }
        s_fail(x, "sex", S_RARC_GENERIC, "must be \"F\", \"M\" or \"U\"");
        return false;
    }
    }
}

// ----- billing provider

enum { P_NPI, P_TAX, P_NAME, P_COUNT };
static const s_key_t s_prov_keys[P_COUNT] = {S_K("npi"), S_K("tax_id"),
                                             S_K("name")};

static const char *
s_generic_rarc(int k)
{
    return S_RARC_GENERIC;
}

static bool
s_prov_field(const s_ctx_t *x, int k, void *arg)
{
    cq_claim_t *c = x->c;
    switch (k) {
    case P_NPI:
        return s_digits(x, "npi", S_RARC_GENERIC, 10, c->billing_npi,
                        sizeof c->billing_npi);
    case P_TAX:
        return s_digits(x, "tax_id", S_RARC_GENERIC, 9, c->billing_tax_id,
                        sizeof c->billing_tax_id);
    default:
        return s_name(x, "name", c->billing_name, sizeof c->billing_name);
    }
}

// ----- lines

//  In the order our encoder writes them (lookups try that order first).
enum {
    L_PROC,
    L_MODS,
    L_DOS,
    L_POS,
    L_UNITS,
    L_CHARGE,
    L_PTRS,
    L_REV,
    L_DOS_END,
    L_RENDER,
    L_COUNT
};
static const s_key_t s_line_keys[L_COUNT] = {
    S_K("procedure"),          S_K("modifiers"),    S_K("service_date"),
    S_K("place_of_service"),   S_K("units"),        S_K("charge"),
    S_K("diagnosis_pointers"), S_K("revenue_code"), S_K("service_date_end"),
    S_K("rendering_npi")};

static const char *
s_line_rarc(int k)
{
    switch (k) {
    case L_PROC:
        return S_RARC_PROC;
    case L_DOS:
        return S_RARC_DOS;
    case L_CHARGE:
        return S_RARC_CHARGE;
    default:
        return S_RARC_GENERIC;
    }
}

static bool
s_line_mods(const s_ctx_t *x, cq_line_t *l)
{
    if (s_val_array(x, "modifiers", S_RARC_PROC) <= 0)
        return false;
    s_ctx_t in = *x;
    in.depth++;
    bool first = true;
    size_t i = 0;
    while (s_arr_next(x->cur, &first)) {
        i++;
        char tmp[8], key[24];
        size_t n;
        if (i > CQ_MAX_MODIFIERS) {
            s_fail(x, "modifiers", S_RARC_PROC, "at most %d modifiers",
                   CQ_MAX_MODIFIERS);
            s_skip(x->cur, in.depth);
            continue;
        }
        int ch = s_peek(x->cur);
        int r = ch == '"' ? (s_str(x->cur, tmp, sizeof tmp, &n) ? 1 : -1)
                          : (s_skip(x->cur, in.depth) ? 0 : -1);
        if (r < 0)
            continue;
        if (r == 0 || n != 2 || !s_is_alnum(tmp[0]) || !s_is_alnum(tmp[1])) {
            snprintf(key, sizeof key, "modifiers[%zu]", i);
            s_fail(x, key, S_RARC_PROC,
                   "expected a 2-character modifier like \"25\"");
            continue;
        }
        char *m = l->modifiers[l->n_modifiers++];
        m[0] = s_upper(tmp[0]);
        m[1] = s_upper(tmp[1]);
        m[2] = '\0';
    }
    return true;
}

#define S_PTR_HINT "expected an integer from 1 to the number of diagnoses"

static bool
s_line_ptrs(const s_ctx_t *x, cq_line_t *l)
{
    if (s_val_array(x, "diagnosis_pointers", S_RARC_DX) <= 0)
        return false;
    s_cur_t *c = x->cur;
    bool first = true;
    size_t i = 0;
    while (s_arr_next(c, &first)) {
        i++;
        if (i > CQ_MAX_POINTERS) {
            s_fail(x, "diagnosis_pointers", S_RARC_DX, "at most %d pointers",
                   CQ_MAX_POINTERS);
            s_skip(c, x->depth + 1);
            continue;
        }
        int ch = s_peek(c);
        s_num_t num = {false, 0};
        if (ch == '-' || (ch >= '0' && ch <= '9')) {
            if (!s_num(c, &num))
                continue;
        } else if (!s_skip(c, x->depth + 1)) {
            continue;
        }
        //  Checked against the number of diagnoses once all are read.
        if (!num.is_int || num.i < 1 || num.i > CQ_MAX_DX) {
            char key[32];
            snprintf(key, sizeof key, "diagnosis_pointers[%zu]", i);
            s_fail(x, key, S_RARC_DX, S_PTR_HINT);
            continue;
        }
        l->dx_pointers[l->n_pointers++] = (uint8_t)num.i;
    }
    return true;
}

static bool
s_line_field(const s_ctx_t *x, int k, void *arg)
{
    cq_line_t *l = arg;
    switch (k) {
    case L_PROC: {
        char tmp[8];
        size_t n;
        if (s_val_str(x, "procedure", S_RARC_PROC, tmp, sizeof tmp, &n) <= 0)
            return false;
        if (n >= sizeof tmp || s_procedure(tmp, n, l->procedure) != 0) {
            s_fail(x, "procedure", S_RARC_PROC,
                   "not a CPT/HCPCS code like \"99213\"");
            return false;
        }
        return true;
    }
    case L_MODS:
        return s_line_mods(x, l);
    case L_DOS:
        return s_date(x, "service_date", S_RARC_DOS, &l->service_date);
    case L_DOS_END:
        return s_date(x, "service_date_end", S_RARC_DOS, &l->service_date_end);
    case L_POS: {
        char tmp[4];
        size_t n;
        if (s_val_str(x, "place_of_service", S_RARC_POS, tmp, sizeof tmp, &n) <=
            0)
            return false;
        if (n == 2 && s_all_digits(tmp, 2)) {
            memcpy(l->place_of_service, tmp, 3);
            return true;
        }
        s_fail(x, "place_of_service", S_RARC_POS,
               "expected a 2-digit code like \"11\"");
        return false;
    }
    case L_UNITS:
        s_units(x, &l->units_milli);
        return true;
    case L_CHARGE:
        return s_money(x, "charge", S_RARC_CHARGE, &l->charge);
    case L_PTRS:
        return s_line_ptrs(x, l);
    case L_REV: {
        char tmp[8];
        size_t n;
        if (s_val_str(x, "revenue_code", S_RARC_PROC, tmp, sizeof tmp, &n) <= 0)
            return false;
        if (n == 4 && s_all_digits(tmp, 4)) {
            memcpy(l->revenue_code, tmp, 5);
            return true;
        }
        s_fail(x, "revenue_code", S_RARC_PROC,
               "expected a 4-digit code like \"0450\"");
        return false;
    }
    default:
        return s_digits(x, "rendering_npi", S_RARC_GENERIC, 10,
                        l->rendering_npi, sizeof l->rendering_npi);
    }
}

static bool
s_lines(const s_ctx_t *x)
{
    if (s_val_array(x, "lines", S_RARC_PROC) <= 0)
        return false;
    s_cur_t *c = x->cur;
    cq_claim_t *cl = x->c;
    bool first = true;
    size_t i = 0;
    while (s_arr_next(c, &first)) {
        i++;
        if (i > CQ_MAX_LINES) {
            if (i == CQ_MAX_LINES + 1)
                cq_limit_hit(CQ_LIMIT_CLAIM_LINES);
            s_fail(x, "lines", S_RARC_GENERIC, "at most %d lines",
                   CQ_MAX_LINES);
            s_skip(c, x->depth + 1);
            continue;
        }
        s_ctx_t in = {c, cl, "lines", (int)i, x->depth + 2};
        cq_line_t *l = &cl->lines[cl->n_lines++];
        l->service_date = CQ_DATE_NONE;
        l->service_date_end = CQ_DATE_NONE;
        l->units_milli = 1000; // FORMATS: one unit unless said otherwise
        int ch = s_peek(c);
        if (ch != '{') {
            if (s_skip(c, x->depth + 1))
                s_fail(&in, NULL, S_RARC_GENERIC, "expected an object, not %s",
                       s_type_of(ch));
            continue;
        }
        c->p++;
        unsigned stored = s_fields(&in, s_line_keys, L_COUNT, s_line_field, l);
        s_required(&in, s_line_keys,
                   (1u << L_PROC) | (1u << L_DOS) | (1u << L_CHARGE), stored,
                   s_line_rarc);
        if (l->service_date_end != CQ_DATE_NONE &&
            l->service_date != CQ_DATE_NONE &&
            l->service_date_end < l->service_date)
            s_fail(&in, "service_date_end", S_RARC_DOS, "before service_date");
    }
    if (i == 0)
        s_fail(x, "lines", S_RARC_PROC, "at least one line is required");
    return i > 0;
}

// ----- diagnoses

static bool
s_diagnoses(const s_ctx_t *x)
{
    if (s_val_array(x, "diagnoses", S_RARC_DX) <= 0)
        return false;
    s_cur_t *c = x->cur;
    cq_claim_t *cl = x->c;
    bool first = true;
    size_t i = 0;
    while (s_arr_next(c, &first)) {
        i++;
        s_ctx_t in = {c, cl, "diagnoses", (int)i, x->depth + 1};
        if (i > CQ_MAX_DX) {
            s_fail(x, "diagnoses", S_RARC_DX, "at most %d codes", CQ_MAX_DX);
            s_skip(c, in.depth);
            continue;
        }
        char tmp[16];
        size_t n;
        int r = s_val_str(&in, NULL, S_RARC_DX, tmp, sizeof tmp, &n);
        if (r < 0)
            continue;
        char code[CQ_CODE_LEN] = {0};
        if (r == 0 || n >= sizeof tmp || s_icd10(tmp, n, code) != 0) {
            s_fail(&in, NULL, S_RARC_DX, "not an ICD-10 code like \"E11.9\"");
            continue;
        }
        memcpy(cl->diagnoses[cl->n_diagnoses++], code, sizeof code);
    }
    if (i == 0)
        s_fail(x, "diagnoses", S_RARC_DX, "at least one code is required");
    return i > 0;
}

// ----- the claim object

enum {
    K_CLAIM_ID,
    K_PAYER,
    K_TYPE,
    K_FREQ,
    K_ORIGINAL,
    K_RECEIVED,
    K_MEMBER,
    K_PROVIDER,
    K_PRIOR_AUTH,
    K_DX,
    K_TOTAL,
    K_LINES,
    K_COUNT
};
static const s_key_t s_claim_keys[K_COUNT] = {
    S_K("claim_id"),  S_K("payer_id"),          S_K("type"),
    S_K("frequency"), S_K("original_claim_id"), S_K("received_date"),
    S_K("member"),    S_K("billing_provider"),  S_K("prior_auth"),
    S_K("diagnoses"), S_K("total_charge"),      S_K("lines")};

static const char *
s_claim_rarc(int k)
{
    switch (k) {
    case K_MEMBER:
        return S_RARC_MEMBER;
    case K_DX:
        return S_RARC_DX;
    case K_TOTAL:
        return S_RARC_TOTAL;
    case K_LINES:
        return S_RARC_PROC;
    default:
        return S_RARC_GENERIC;
    }
}

static bool
s_claim_id(const s_ctx_t *x)
{
    char tmp[S_CLAIM_ID_MAX + 2];
    size_t n;
    if (s_val_str(x, "claim_id", S_RARC_GENERIC, tmp, sizeof tmp, &n) <= 0)
        return false;
    const char *why = n <= S_CLAIM_ID_MAX ? s_id_problem(tmp, n) : NULL;
    if (n == 0)
        s_fail(x, "claim_id", S_RARC_GENERIC, "empty");
    else if (n > S_CLAIM_ID_MAX)
        s_fail(x, "claim_id", S_RARC_GENERIC, "longer than %d characters",
               S_CLAIM_ID_MAX);
    else if (why)
        s_fail(x, "claim_id", S_RARC_GENERIC, "%s", why);
    else if (tmp[0] == '#')
        s_fail(x, "claim_id", S_RARC_GENERIC,
               "must not start with '#' (reserved for unreadable records)");
    else {
        memcpy(x->c->claim_id, tmp, n + 1);
        return true;
    }
    return false;
}

static bool
s_sub_object(const s_ctx_t *x, const char *name, const char *rarc,
             const s_key_t *keys, size_t count, s_field_fn *field,
             unsigned required, const char *rarc_of_key(int k))
{
    if (s_val_object(x, name, rarc) <= 0)
        return false;
    s_ctx_t in = {x->cur, x->c, name, 0, x->depth + 1};
    unsigned stored = s_fields(&in, keys, count, field, NULL);
    s_required(&in, keys, required, stored, rarc_of_key);
    return true;
}

static bool
s_claim_field(const s_ctx_t *x, int k, void *arg)
{
    cq_claim_t *c = x->c;
    char tmp[16];
    size_t n;
    switch (k) {
    case K_CLAIM_ID:
        return s_claim_id(x);
    case K_PAYER:
        return s_id(x, "payer_id", S_RARC_GENERIC, c->payer_id,
                    sizeof c->payer_id, sizeof c->payer_id - 1);
    case K_TYPE:
        if (s_val_str(x, "type", S_RARC_GENERIC, tmp, sizeof tmp, &n) <= 0)
            return false;
        if (n == 12 && memcmp(tmp, "professional", 12) == 0)
            c->type = CQ_CLAIM_PROFESSIONAL;
        else if (n == 13 && memcmp(tmp, "institutional", 13) == 0)
            c->type = CQ_CLAIM_INSTITUTIONAL;
        else {
            s_fail(x, "type", S_RARC_GENERIC,
                   "must be \"professional\" or \"institutional\"");
            return false;
        }
        return true;
    case K_FREQ: {
        //  Any other type gets the same message as a wrong string.
        int ch = s_peek(x->cur);
        if (ch == '"' || ch == 'n') {
            if (s_val_str(x, "frequency", S_RARC_GENERIC, tmp, sizeof tmp,
                          &n) <= 0)
                return false;
            if (n == 1 && (tmp[0] == '1' || tmp[0] == '7' || tmp[0] == '8')) {
                c->frequency = tmp[0];
                return true;
            }
        } else if (!s_skip(x->cur, x->depth)) {
            return false;
        }
        s_fail(x, "frequency", S_RARC_GENERIC, "must be \"1\", \"7\" or \"8\"");
        return false;
    }
    case K_ORIGINAL:
        return s_id(x, "original_claim_id", S_RARC_GENERIC,
                    c->original_claim_id, sizeof c->original_claim_id,
                    S_CLAIM_ID_MAX);
    case K_RECEIVED:
        return s_date(x, "received_date", S_RARC_GENERIC, &c->received_date);
    case K_MEMBER:
        return s_sub_object(
            x, "member", S_RARC_MEMBER, s_member_keys, M_COUNT, s_member_field,
            (1u << M_ID) | (1u << M_LAST) | (1u << M_BIRTH), s_member_rarc);
    case K_PROVIDER:
        return s_sub_object(x, "billing_provider", S_RARC_GENERIC, s_prov_keys,
                            P_COUNT, s_prov_field, 1u << P_NPI, s_generic_rarc);
    case K_PRIOR_AUTH:
        return s_id(x, "prior_auth", S_RARC_GENERIC, c->prior_auth,
                    sizeof c->prior_auth, sizeof c->prior_auth - 1);
    case K_DX:
        return s_diagnoses(x);
    case K_TOTAL:
        return s_money(x, "total_charge", S_RARC_TOTAL, &c->total_charge);
    default:
        return s_lines(x);
    }
}

//  Cross-field checks, once every field is read: pointers against the
//  diagnoses, the original of a void / replacement, the total, dates.
static void
s_check_claim(const s_ctx_t *x)
{
    cq_claim_t *c = x->c;
    for (uint8_t i = 0; i < c->n_lines; i++) {
        const cq_line_t *l = &c->lines[i];
        s_ctx_t in = {x->cur, c, "lines", i + 1, 0};
        for (uint8_t k = 0; k < l->n_pointers; k++)
            if (l->dx_pointers[k] > c->n_diagnoses) {
                char key[32];
                snprintf(key, sizeof key, "diagnosis_pointers[%u]",
                         (unsigned)k + 1);
                s_fail(&in, key, S_RARC_DX, S_PTR_HINT " (%u)",
                       (unsigned)c->n_diagnoses);
            }
    }
    if ((c->frequency == '7' || c->frequency == '8') &&
        c->original_claim_id[0] == '\0')
        s_fail(x, "original_claim_id", S_RARC_GENERIC,
               "required when frequency is 7 or 8");
    if (c->invalid)
        return;
    int64_t sum = 0;
    for (uint8_t i = 0; i < c->n_lines; i++)
        sum += c->lines[i].charge; // each <= CQ_MONEY_MAX: no overflow
    if (sum != c->total_charge) {
        char a[CQ_MONEY_STRLEN], b[CQ_MONEY_STRLEN];
        s_fail(x, "total_charge", S_RARC_TOTAL,
               "%s is not the sum of the line charges (%s)",
               cq_money_format(c->total_charge, a), cq_money_format(sum, b));
    }
    for (uint8_t i = 0; i < c->n_lines; i++) {
        s_ctx_t in = {x->cur, c, "lines", i + 1, 0};
        const cq_line_t *l = &c->lines[i];
        int32_t last = l->service_date_end != CQ_DATE_NONE ? l->service_date_end
                                                           : l->service_date;
        if (c->received_date != CQ_DATE_NONE && last > c->received_date)
            s_fail(&in, "service_date", S_RARC_DOS, "after received_date");
        if (l->service_date < c->member.birth_date)
            s_fail(&in, "service_date", S_RARC_DOS, "before member.birth_date");
    }
}

//  Reads one record at c->p into claim (already initialised). Returns
//  false on a JSON syntax error (c->err says which).
static bool
s_record(s_cur_t *c, size_t recno, cq_claim_t *claim)
{
    s_ctx_t x = {c, claim, NULL, 0, 1};
    int ch = s_peek(c);
    if (ch == '{') {
        c->p++;
        unsigned stored =
            s_fields(&x, s_claim_keys, K_COUNT, s_claim_field, NULL);
        if (c->err)
            return false;
        unsigned required = (1u << K_CLAIM_ID) | (1u << K_PAYER) |
                            (1u << K_MEMBER) | (1u << K_PROVIDER) |
                            (1u << K_DX) | (1u << K_TOTAL) | (1u << K_LINES);
        s_required(&x, s_claim_keys, required, stored, s_claim_rarc);
        s_check_claim(&x);
    } else if (ch == '[') {
        if (!s_skip(c, 0))
            return false;
        s_fail(&x, NULL, S_RARC_GENERIC,
               "expected a claim object, not an array");
    } else {
        return s_junexpected(c);
    }
    if (claim->claim_id[0] == '\0')
        snprintf(claim->claim_id, sizeof claim->claim_id, "#%zu", recno);
    return true;
}

// ---------------------------------------------------------------------------
// Document layer

typedef struct {
    const char *buf;  // whole document
    size_t len;       // its length
    cq_claim_fn *fn;  // per-claim callback
    void *arg;        // its argument
    size_t recno;     // records seen (1-based number of the current one)
    int count;        // claims passed to fn
    int stop;         // fn's nonzero return value
    cq_claim_t claim; // the record being decoded
} s_parser_t;

static int
s_deliver(s_parser_t *p)
{
    p->count++;
    int rc = p->fn(p->arg, &p->claim);
    if (rc != 0)
        p->stop = rc;
    return rc;
}

static const char *
s_syntax_reason(int err)
{
    switch (err) {
    case S_JE_EOF:
        return "ends early (truncated?)";
    case S_JE_UTF8:
        return "not valid UTF-8";
    case S_JE_CTRL:
        return "a control character inside a string";
    case S_JE_NUL:
        return "contains \\u0000";
    case S_JE_ESCAPE:
        return "invalid escape in a string";
    case S_JE_RANGE:
        return "a number is out of range";
    case S_JE_DEPTH:
        return "nested too deeply";
    case S_JE_TRAILING:
        return "unexpected content after the object";
    default:
        return "invalid syntax";
    }
}

//  A record that could not be used as JSON: an invalid claim "#<recno>".
static int s_emit_bad(s_parser_t *p, size_t line, size_t column,
                      const char *fmt, ...) CQ_PRINTF(4, 5);

static int
s_emit_bad(s_parser_t *p, size_t line, size_t column, const char *fmt, ...)
{
    cq_claim_init(&p->claim);
    snprintf(p->claim.claim_id, sizeof p->claim.claim_id, "#%zu", p->recno);
    char msg[120];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (column > 0)
        cq_claim_set_invalid(&p->claim, S_RARC_GENERIC,
                             "record %zu (line %zu, column %zu): %s", p->recno,
                             line, column, msg);
    else
        cq_claim_set_invalid(&p->claim, S_RARC_GENERIC,
                             "record %zu (line %zu): %s", p->recno, line, msg);
    return s_deliver(p);
}

//  Line and column (1-based) of at, counting from start on line `line`.
static void
s_linecol(const char *start, size_t line, const char *at, size_t *l,
          size_t *col)
{
    const char *bol = start;
    for (const char *q = start; q < at; q++)
        if (*q == '\n') {
            line++;
            bol = q + 1;
        }
    *l = line;
    *col = (size_t)(at - bol) + 1;
}

//  A syntax error in the record that starts at start on line `line`.
static int
s_emit_syntax(s_parser_t *p, const char *start, size_t line, const s_cur_t *c,
              const char *tail)
{
    size_t l, col;
    s_linecol(start, line, c->err_at, &l, &col);
    return s_emit_bad(p, l, col, "not valid JSON: %s%s",
                      s_syntax_reason(c->err), tail);
}

static size_t
s_count_lines(const char *s, const char *e)
{
    size_t k = 0;
    while ((s = memchr(s, '\n', (size_t)(e - s))) != NULL) {
        k++;
        s++;
    }
    return k;
}

//  Skips JSON whitespace from *pos, counting newlines into *line.
static void
s_skip_blank(const s_parser_t *p, size_t *pos, size_t *line)
{
    size_t i = *pos;
    while (i < p->len) {
        char ch = p->buf[i];
        if (ch == '\n')
            (*line)++;
        else if (ch != ' ' && ch != '\t' && ch != '\r')
            break;
        i++;
    }
    *pos = i;
}

//  Reads one record at *pos (at most CQ_JSON_MAX_LINE bytes) and delivers
//  it; advances *pos past it. Returns false when the document cannot be
//  read further (after a syntax error there is no way to resynchronise).
static bool
s_stream_one(s_parser_t *p, size_t *pos, size_t *line)
{
    size_t rest = p->len - *pos;
    size_t lim = rest < CQ_JSON_MAX_LINE ? rest : CQ_JSON_MAX_LINE;
    const char *start = p->buf + *pos;
    s_cur_t c = {start, start + lim, 0, NULL};
    cq_claim_init(&p->claim);
    if (!s_record(&c, p->recno, &p->claim)) {
        if (c.err == S_JE_EOF && lim < rest) {
            cq_limit_hit(CQ_LIMIT_JSON_LINE);
            s_emit_bad(p, *line, 0,
                       "longer than %u bytes; the rest of the document was "
                       "not read",
                       CQ_JSON_MAX_LINE);
        } else
            s_emit_syntax(p, start, *line, &c,
                          "; the rest of the document was not read");
        return false;
    }
    *line += s_count_lines(start, c.p);
    *pos = (size_t)(c.p - p->buf);
    s_deliver(p);
    return p->stop == 0;
}

//  '[' record, record, ... ']' read one element at a time.
static void
s_parse_array(s_parser_t *p, size_t pos, size_t line)
{
    pos++; // '['
    s_skip_blank(p, &pos, &line);
    if (pos < p->len && p->buf[pos] == ']') {
        pos++;
    } else {
        for (;;) {
            p->recno++;
            if (!s_stream_one(p, &pos, &line))
                return;
            s_skip_blank(p, &pos, &line);
            if (pos < p->len && p->buf[pos] == ',') {
                pos++;
                s_skip_blank(p, &pos, &line);
                continue;
            }
            if (pos < p->len && p->buf[pos] == ']') {
                pos++;
                break;
            }
            p->recno++;
            s_emit_bad(p, line, 0,
                       pos < p->len ? "expected ',' or ']' in the array"
                                    : "the array has no closing ']' "
                                      "(truncated?)");
            return;
        }
    }
    s_skip_blank(p, &pos, &line);
    if (pos < p->len) {
        p->recno++;
        s_emit_bad(p, line, 0, "unexpected content after the array");
    }
}

//  Whitespace-separated objects (a pretty-printed claim, or several).
static void
s_parse_stream(s_parser_t *p, size_t pos, size_t line)
{
    for (;;) {
        s_skip_blank(p, &pos, &line);
        if (pos >= p->len)
            return;
        p->recno++;
        if (!s_stream_one(p, &pos, &line))
            return;
    }
}

//  JSON Lines: each non-blank line is one record. *line is the number of
//  the line at pos, and on return of the line after the last one read.
static void
s_parse_lines(s_parser_t *p, size_t pos, size_t *linep)
{
    size_t line = *linep;
    while (pos < p->len && p->stop == 0) {
        const char *start = p->buf + pos;
        const char *eol = memchr(start, '\n', p->len - pos);
        size_t n = eol ? (size_t)(eol - start) : p->len - pos;
        pos += n + (eol ? 1 : 0);
        size_t this_line = line++;
        //  Blank (only JSON whitespace, CR included)?
        const char *q = start, *e = start + n;
        while (q < e && (*q == ' ' || *q == '\t' || *q == '\r'))
            q++;
        if (q == e)
            continue;
        p->recno++;
        if (n > CQ_JSON_MAX_LINE) {
            cq_limit_hit(CQ_LIMIT_JSON_LINE);
            s_emit_bad(p, this_line, 0, "longer than %u bytes",
                       CQ_JSON_MAX_LINE);
            continue;
        }
        s_cur_t c = {start, e, 0, NULL};
        cq_claim_init(&p->claim);
        if (s_record(&c, p->recno, &p->claim)) {
            s_ws(&c);
            if (c.p < c.end)
                s_jfail(&c, S_JE_TRAILING, c.p);
        }
        if (c.err) {
            s_emit_syntax(p, start, this_line, &c, "");
            continue;
        }
        s_deliver(p);
    }
    *linep = line;
}

//  True when the record starting at pos is a multi-line (pretty-printed)
//  object: its first line alone is an unfinished object, and the next
//  non-blank line does not start a new record.
static bool
s_is_pretty(const s_parser_t *p, size_t pos)
{
    const char *start = p->buf + pos;
    const char *eol = memchr(start, '\n', p->len - pos);
    if (eol == NULL || (size_t)(eol - start) > CQ_JSON_MAX_LINE)
        return false;
    s_cur_t c = {start, eol, 0, NULL};
    if (s_skip(&c, 0) || c.err != S_JE_EOF)
        return false;
    size_t next = (size_t)(eol - p->buf) + 1, line = 0;
    s_skip_blank(p, &next, &line);
    return next < p->len && p->buf[next] != '{';
}

static s_parser_t *
s_parser_new(cq_claim_fn *fn, void *arg)
{
    s_parser_t *p = cq_xmalloc(sizeof *p);
    p->buf = NULL;
    p->len = 0;
    p->fn = fn;
    p->arg = arg;
    p->recno = 0;
    p->count = 0;
    p->stop = 0;
    return p;
}

int
cq_claim_json_parse(const char *buf, size_t len, cq_claim_fn *fn, void *arg,
                    cq_diag_t *diag)
{
    assert(fn);
    if (len > CQ_JSON_MAX_DOC) {
        cq_limit_hit(CQ_LIMIT_JSON_DOC);
        return cq_diag_set(diag, CQ_ETOOBIG, 0,
                           "document is %zu bytes; the limit is %u", len,
                           CQ_JSON_MAX_DOC);
    }
    assert(buf || len == 0);
    s_parser_t *p = s_parser_new(fn, arg);
    p->buf = buf;
    p->len = len;
    size_t pos = 0, line = 1;
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;
    size_t base = pos; // never rewind into the BOM
    s_skip_blank(p, &pos, &line);
    if (pos < len && buf[pos] == '[') {
        s_parse_array(p, pos, line);
    } else if (pos < len && buf[pos] == '{' && s_is_pretty(p, pos)) {
        s_parse_stream(p, pos, line);
    } else if (pos < len) {
        //  Back to the start of the line so that columns stay right.
        size_t ls = pos;
        while (ls > base && buf[ls - 1] != '\n')
            ls--;
        s_parse_lines(p, ls, &line);
    }
    int rc = p->stop ? p->stop : p->count;
    free(p);
    return rc;
}

//  The file reader keeps at most this much of a JSON Lines file in memory:
//  any line that fits is read whole; a longer one is refused on its own.
#define S_CHUNK (CQ_JSON_MAX_LINE + (64u << 10))

//  Reads into buf[*have..cap); returns false at end of file (or error).
static bool
s_fill(FILE *f, char *buf, size_t cap, size_t *have)
{
    size_t k = fread(buf + *have, 1, cap - *have, f);
    *have += k;
    return k > 0;
}

//  JSON Lines from a stream in chunks of whole lines (pos..have hold the
//  start of the file already read).
static int
s_parse_file_lines(s_parser_t *p, FILE *f, char *buf, size_t have)
{
    size_t line = 1;
    bool skipping = false; // inside a line longer than the chunk
    bool eof = false;
    while (p->stop == 0) {
        if (!eof && have < S_CHUNK)
            eof = !s_fill(f, buf, S_CHUNK, &have);
        if (have == 0)
            break;
        //  Whole lines: up to the last newline (or everything at EOF).
        char *last = NULL;
        for (size_t i = have; i > 0; i--)
            if (buf[i - 1] == '\n') {
                last = buf + i - 1;
                break;
            }
        size_t whole = last ? (size_t)(last - buf) + 1 : (eof ? have : 0);
        if (skipping) {
            //  Drop the rest of an over-long line.
            if (last == NULL && !eof) {
                have = 0;
                continue;
            }
            size_t drop =
                last ? (size_t)((char *)memchr(buf, '\n', have) - buf) + 1
                     : have;
            memmove(buf, buf + drop, have - drop);
            have -= drop;
            line++;
            skipping = false;
            continue;
        }
        if (whole == 0) {
            //  No newline in a full chunk: a line over the limit.
            p->recno++;
            s_emit_bad(p, line, 0, "longer than %u bytes", CQ_JSON_MAX_LINE);
            have = 0;
            skipping = true;
            continue;
        }
        p->buf = buf;
        p->len = whole;
        s_parse_lines(p, 0, &line);
        memmove(buf, buf + whole, have - whole);
        have -= whole;
        if (eof && have == 0)
            break;
    }
    if (ferror(f))
        return CQ_EIO;
    return p->stop ? p->stop : p->count;
}

int
cq_claim_json_parse_file(FILE *f, cq_claim_fn *fn, void *arg, cq_diag_t *diag)
{
    assert(f && fn);
    char *buf = cq_xmalloc(S_CHUNK);
    size_t have = 0;
    while (have < S_CHUNK && s_fill(f, buf, S_CHUNK, &have))
        ;
    size_t pos = 0;
    if (have >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;
    s_parser_t *p = s_parser_new(fn, arg);
    p->buf = buf;
    p->len = have;
    size_t line = 1, first = pos;
    s_skip_blank(p, &first, &line);
    int rc;
    if (first < have &&
        (buf[first] == '[' || (buf[first] == '{' && s_is_pretty(p, first)))) {
        //  An array or a pretty-printed document: read it whole.
        cq_buf_t doc;
        cq_buf_init(&doc, CQ_JSON_MAX_DOC);
        rc = cq_buf_add(&doc, buf, have);
        char chunk[65536];
        size_t k;
        while (rc == 0 && (k = fread(chunk, 1, sizeof chunk, f)) > 0)
            rc = cq_buf_add(&doc, chunk, k);
        if (rc == 0 && ferror(f))
            rc = cq_diag_set(diag, CQ_EIO, 0, "read error");
        else if (rc != 0) {
            cq_limit_hit(CQ_LIMIT_JSON_DOC);
            rc = cq_diag_set(diag, CQ_ETOOBIG, CQ_JSON_MAX_DOC,
                             "a JSON array or multi-line document is "
                             "limited to %u bytes (JSON Lines are not)",
                             CQ_JSON_MAX_DOC);
        } else
            rc = cq_claim_json_parse(doc.data, doc.len, fn, arg, diag);
        cq_buf_free(&doc);
    } else {
        memmove(buf, buf + pos, have - pos);
        rc = s_parse_file_lines(p, f, buf, have - pos);
        if (rc == CQ_EIO)
            cq_diag_set(diag, CQ_EIO, 0, "read error");
    }
    free(p);
    free(buf);
    return rc;
}

int
cq_json_validate(const char *s, size_t n, cq_diag_t *diag)
{
    s_cur_t c = {s, s + n, 0, NULL};
    int ch = s_peek(&c);
    if (ch != '{' && ch != '[')
        s_junexpected(&c);
    else if (s_skip(&c, 0)) {
        s_ws(&c);
        if (c.p < c.end)
            s_jfail(&c, S_JE_TRAILING, c.p);
    }
    if (c.err == 0)
        return 0;
    return cq_diag_set(diag, CQ_EPROTO, (size_t)(c.err_at - s), "%s",
                       s_syntax_reason(c.err));
}
