//  claim_json_write.c: claims (and the JSON values decisions and reports
//  are made of) as JSON text: strings escaped, money as decimal strings,
//  dates as ISO 8601 (docs/formats.md). It writes our own structs; it
//  must not parse, and it never fails but for want of room (CQ_ETOOBIG).
#include "claim_json.h"
#include "date.h"
#include "json_pull.h"
#include "money.h"

#include <stdio.h>
#include <string.h>

#define S_LIT(b, s) cq_buf_add((b), (s), sizeof(s) - 1)

static const char s_hex[] = "0123456789abcdef";

int
cq_json_put_string(cq_buf_t *out, const char *s, size_t n)
{
    size_t mark = out->len;
    const unsigned char *u = (const unsigned char *)s;
    int rc = S_LIT(out, "\"");
    size_t run = 0; // start of the pending run of bytes copied as they are
    size_t i = 0;
    while (i < n && rc == 0) {
        unsigned char ch = u[i];
        if (ch >= 0x20 && ch != '"' && ch != '\\' && ch < 0x80) {
            i++;
            continue;
        }
        if (ch >= 0x80) {
            size_t k = s_utf8_len(u + i, n - i);
            if (k > 0) {
                i += k;
                continue;
            }
        }
        rc = cq_buf_add(out, s + run, i - run);
        char esc[6] = {'\\', 0, 0, 0, 0, 0};
        size_t en = 2;
        switch (ch) {
        case '"':
            esc[1] = '"';
            break;
        case '\\':
            esc[1] = '\\';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        default:
            if (ch >= 0x80) { // invalid UTF-8: U+FFFD
                memcpy(esc, "\\ufffd", 6);
            } else {
                memcpy(esc, "\\u00", 4);
                esc[4] = s_hex[ch >> 4];
                esc[5] = s_hex[ch & 15];
            }
            en = 6;
        }
        if (rc == 0)
            rc = cq_buf_add(out, esc, en);
        i++;
        run = i;
    }
    if (rc == 0)
        rc = cq_buf_add(out, s + run, n - run);
    if (rc == 0)
        rc = S_LIT(out, "\"");
    if (rc != 0) {
        out->len = mark;
        if (out->data)
            out->data[mark] = '\0';
    }
    return rc;
}

//  Writes the decimal digits of v (v >= 0) right-aligned ending at end;
//  returns the first digit.
static char *
s_utoa(uint64_t v, char *end)
{
    do {
        *--end = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return end;
}

int
cq_json_put_int(cq_buf_t *out, int64_t v)
{
    char tmp[24];
    char *end = tmp + sizeof tmp;
    uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    char *p = s_utoa(a, end);
    if (v < 0)
        *--p = '-';
    return cq_buf_add(out, p, (size_t)(end - p));
}

int
cq_json_put_money(cq_buf_t *out, int64_t cents)
{
    char tmp[32];
    char *end = tmp + sizeof tmp;
    uint64_t a = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;
    *--end = '"';
    *--end = (char)('0' + a % 10);
    *--end = (char)('0' + (a / 10) % 10);
    *--end = '.';
    char *p = s_utoa(a / 100, end);
    if (cents < 0)
        *--p = '-';
    *--p = '"';
    return cq_buf_add(out, p, (size_t)(tmp + sizeof tmp - p));
}

int
cq_json_put_date(cq_buf_t *out, int32_t days)
{
    if (days == CQ_DATE_NONE)
        return S_LIT(out, "null");
    int y, m, d;
    cq_date_to_ymd(days, &y, &m, &d);
    if (y < 0 || y > 9999)
        return S_LIT(out, "null");
    char t[12] = {'"',
                  (char)('0' + y / 1000),
                  (char)('0' + y / 100 % 10),
                  (char)('0' + y / 10 % 10),
                  (char)('0' + y % 10),
                  '-',
                  (char)('0' + m / 10),
                  (char)('0' + m % 10),
                  '-',
                  (char)('0' + d / 10),
                  (char)('0' + d % 10),
                  '"'};
    return cq_buf_add(out, t, sizeof t);
}

static int
s_put_cstr(cq_buf_t *b, const char *s)
{
    return cq_json_put_string(b, s, strlen(s));
}

//  A string, or null when empty.
static int
s_put_opt(cq_buf_t *b, const char *s)
{
    return s[0] ? s_put_cstr(b, s) : S_LIT(b, "null");
}

static int
s_put_units(cq_buf_t *b, int64_t milli)
{
    if (milli % 1000 == 0)
        return cq_json_put_int(b, milli / 1000);
    char tmp[32];
    uint64_t a = milli < 0 ? (uint64_t)0 - (uint64_t)milli : (uint64_t)milli;
    unsigned frac = (unsigned)(a % 1000);
    int fd = 3;
    while (frac % 10 == 0) {
        frac /= 10;
        fd--;
    }
    snprintf(tmp, sizeof tmp, "\"%s%llu.%0*u\"", milli < 0 ? "-" : "",
             (unsigned long long)(a / 1000), fd, frac);
    return cq_buf_addstr(b, tmp);
}

static int
s_put_line(cq_buf_t *b, const cq_line_t *l)
{
    int rc = S_LIT(b, "{\"procedure\": ");
    rc |= s_put_cstr(b, l->procedure);
    rc |= S_LIT(b, ", \"modifiers\": [");
    for (uint8_t k = 0; k < l->n_modifiers && k < CQ_MAX_MODIFIERS; k++) {
        if (k)
            rc |= S_LIT(b, ", ");
        rc |= s_put_cstr(b, l->modifiers[k]);
    }
    rc |= S_LIT(b, "], \"service_date\": ");
    rc |= cq_json_put_date(b, l->service_date);
    rc |= S_LIT(b, ", \"place_of_service\": ");
    rc |= s_put_opt(b, l->place_of_service);
    rc |= S_LIT(b, ", \"units\": ");
    rc |= s_put_units(b, l->units_milli);
    rc |= S_LIT(b, ", \"charge\": ");
    rc |= cq_json_put_money(b, l->charge);
    rc |= S_LIT(b, ", \"diagnosis_pointers\": [");
    for (uint8_t k = 0; k < l->n_pointers && k < CQ_MAX_POINTERS; k++) {
        if (k)
            rc |= S_LIT(b, ", ");
        rc |= cq_json_put_int(b, l->dx_pointers[k]);
    }
    rc |= S_LIT(b, "]");
    if (l->revenue_code[0]) {
        rc |= S_LIT(b, ", \"revenue_code\": ");
        rc |= s_put_cstr(b, l->revenue_code);
    }
    if (l->service_date_end != CQ_DATE_NONE) {
        rc |= S_LIT(b, ", \"service_date_end\": ");
        rc |= cq_json_put_date(b, l->service_date_end);
    }
    if (l->rendering_npi[0]) {
        rc |= S_LIT(b, ", \"rendering_npi\": ");
        rc |= s_put_cstr(b, l->rendering_npi);
    }
    rc |= S_LIT(b, "}");
    return rc;
}

int
cq_claim_to_json(const cq_claim_t *c, cq_buf_t *b)
{
    assert(c);
    assert(b);
    size_t mark = b->len;
    int rc = S_LIT(b, "{\"claim_id\": ");
    rc |= s_put_cstr(b, c->claim_id);
    rc |= S_LIT(b, ", \"payer_id\": ");
    rc |= s_put_cstr(b, c->payer_id);
    rc |= c->type == CQ_CLAIM_INSTITUTIONAL
              ? S_LIT(b, ", \"type\": \"institutional\"")
              : S_LIT(b, ", \"type\": \"professional\"");
    char freq[2] = {c->frequency ? c->frequency : '1', '\0'};
    rc |= S_LIT(b, ", \"frequency\": ");
    rc |= s_put_cstr(b, freq);
    rc |= S_LIT(b, ", \"original_claim_id\": ");
    rc |= s_put_opt(b, c->original_claim_id);
    rc |= S_LIT(b, ", \"received_date\": ");
    rc |= cq_json_put_date(b, c->received_date);
    rc |= S_LIT(b, ", \"member\": {\"id\": ");
    rc |= s_put_cstr(b, c->member.id);
    rc |= S_LIT(b, ", \"last_name\": ");
    rc |= s_put_cstr(b, c->member.last_name);
    rc |= S_LIT(b, ", \"first_name\": ");
    rc |= s_put_opt(b, c->member.first_name);
    rc |= S_LIT(b, ", \"birth_date\": ");
    rc |= cq_json_put_date(b, c->member.birth_date);
    rc |= S_LIT(b, ", \"sex\": ");
    char sex[2] = {c->member.sex, '\0'};
    rc |= s_put_opt(b, sex);
    rc |= S_LIT(b, "}, \"billing_provider\": {\"npi\": ");
    rc |= s_put_cstr(b, c->billing_npi);
    rc |= S_LIT(b, ", \"tax_id\": ");
    rc |= s_put_opt(b, c->billing_tax_id);
    rc |= S_LIT(b, ", \"name\": ");
    rc |= s_put_opt(b, c->billing_name);
    rc |= S_LIT(b, "}, \"prior_auth\": ");
    rc |= s_put_opt(b, c->prior_auth);
    rc |= S_LIT(b, ", \"diagnoses\": [");
    for (uint8_t i = 0; i < c->n_diagnoses && i < CQ_MAX_DX; i++) {
        if (i)
            rc |= S_LIT(b, ", ");
        rc |= s_put_cstr(b, c->diagnoses[i]);
    }
    rc |= S_LIT(b, "], \"total_charge\": ");
    rc |= cq_json_put_money(b, c->total_charge);
    rc |= S_LIT(b, ", \"lines\": [");
    for (uint8_t i = 0; i < c->n_lines && i < CQ_MAX_LINES; i++) {
        if (i)
            rc |= S_LIT(b, ", ");
        rc |= s_put_line(b, &c->lines[i]);
    }
    rc |= S_LIT(b, "]");
    if (c->source != CQ_SOURCE_JSON) {
        //  Informational (a JSON document is always source "json" when
        //  read back): where the claim came from, and for OCR what a
        //  person must check.
        rc |= c->source == CQ_SOURCE_X12 ? S_LIT(b, ", \"source\": \"x12\"")
                                         : S_LIT(b, ", \"source\": \"ocr\"");
        if (c->source == CQ_SOURCE_OCR) {
            rc |= S_LIT(b, ", \"ocr_confidence\": ");
            rc |= cq_json_put_int(b, c->ocr_confidence);
            rc |= S_LIT(b, ", \"pend_fields\": [");
            for (uint8_t i = 0; i < c->n_pend && i < CQ_MAX_PEND; i++) {
                if (i)
                    rc |= S_LIT(b, ", ");
                rc |= s_put_cstr(b, c->pend_fields[i]);
            }
            rc |= S_LIT(b, "]");
        }
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
