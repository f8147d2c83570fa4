//  ocr_validate.c: per-field validation of OCR text, with repair of the
//  classic letter/digit confusions (O/0, I/1/|, S/5, B/8, Z/2, G/6)
//  where the field's type says which one a position must hold.
//
//  The repairs only ever move a character to the class its position
//  requires; anything still out of shape fails, and the field pends.
#include "ocr_int.h"

#include "date.h"
#include "money.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  A letter that is a misread digit, or 0.
static char
s_as_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c;
    switch (c) {
    case 'O':
    case 'D':
    case 'Q':
        return '0';
    case 'I':
    case 'L':
    case '|':
    case '!':
        return '1';
    case 'Z':
        return '2';
    case 'S':
    case '$':
        return '5';
    case 'B':
        return '8';
    case 'G':
        return '6';
    default:
        return 0;
    }
}

//  A digit that is a misread letter, or 0.
static char
s_as_letter(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c;
    switch (c) {
    case '0':
        return 'O';
    case '1':
    case '|':
    case '!':
        return 'I';
    case '2':
        return 'Z';
    case '3':
        return 'J';
    case '4':
        return 'A';
    case '5':
    case '$':
        return 'S';
    case '6':
        return 'G';
    case '8':
        return 'B';
    default:
        return 0;
    }
}

static bool
s_confusable(char c)
{
    return s_as_digit(c) != 0 && !(c >= '0' && c <= '9');
}

//  The capital a typed glyph stands for: the data is typed in capitals,
//  so lower-case l and i are read for I.
static unsigned char
s_cap(unsigned char c)
{
    if (c == 'l' || c == 'i')
        return 'I';
    return (unsigned char)toupper(c);
}

//  Upper-cases OCR text, collapses white space, and drops a glyph read
//  twice in two cases ("wW" for W, "sS"): one of a pair that stand for
//  the same capital, one of them lower-case.
static void
s_normalise(const char *raw, char *out, size_t size)
{
    size_t k = 0;
    bool space = false;
    for (const char *p = raw; *p && k + 1 < size; p++) {
        unsigned char c = (unsigned char)*p;
        if (c >= 0x80)
            continue; // typed data is ASCII; drop UTF-8 junk
        if (isspace(c)) {
            space = k > 0;
            continue;
        }
        unsigned char n = (unsigned char)p[1];
        if (isalpha(c) && isalpha(n) && s_cap(c) == s_cap(n) &&
            (islower(c) != 0) != (islower(n) != 0))
            continue; // the twin that follows stands for both
        c = s_cap(c);
        if (space && k + 2 < size)
            out[k++] = ' ';
        space = false;
        out[k++] = (char)c;
    }
    out[k] = '\0';
}

//  Drops one glyph of each adjacent lookalike pair that stands for the
//  same character where one of them is a letter or a sign ("O0" for 0,
//  "S$" for S): Tesseract sometimes reads a glyph twice. Only tried when
//  a read fails its validator. Returns true when it changed s.
static bool
s_collapse_twins(char *s)
{
    static const char *pairs[] = {"O0", "0O", "D0", "0D", "S$", "$S",
                                  "5$", "$5", "I1", "1I", "|1", "1|",
                                  "B8", "8B", "Z2", "2Z", "G6", "6G"};
    size_t k = 0;
    bool changed = false;
    for (size_t i = 0; s[i]; i++) {
        bool twin = false;
        for (size_t j = 0; s[i + 1] && j < CQ_ARRAY_LEN(pairs); j++)
            if (s[i] == pairs[j][0] && s[i + 1] == pairs[j][1])
                twin = true;
        if (twin) {
            changed = true;
            continue; // keep the second of the pair
        }
        s[k++] = s[i];
    }
    s[k] = '\0';
    return changed;
}

//  Keeps the characters of s for which keep() is true.
static void
s_filter(char *s, int (*keep)(int))
{
    size_t k = 0;
    for (size_t i = 0; s[i]; i++)
        if (keep((unsigned char)s[i]))
            s[k++] = s[i];
    s[k] = '\0';
}

//  All characters to digits; false if one cannot be.
static bool
s_digits(char *s)
{
    for (size_t i = 0; s[i]; i++) {
        char d = s_as_digit(s[i]);
        if (d == 0)
            return false;
        s[i] = d;
    }
    return true;
}

static bool
s_npi_luhn(const char *npi)
{
    //  Luhn over "80840" + the first 9 digits; the 10th is the check.
    char full[16];
    snprintf(full, sizeof full, "80840%.9s", npi);
    int sum = 0;
    size_t n = strlen(full);
    for (size_t i = 0; i < n; i++) {
        int d = full[n - 1 - i] - '0';
        if (i % 2 == 0) {
            d *= 2;
            if (d > 9)
                d -= 9;
        }
        sum += d;
    }
    int check = (10 - sum % 10) % 10;
    return check == npi[9] - '0';
}

//  Identifiers: A-Z 0-9 '-'. A confusable letter strictly between two
//  digits is a digit ("W1000O8919"); letters next to letters are kept.
static bool
s_val_id(const cq_form_field_t *f, char *s, const char **why)
{
    size_t n = strlen(s);
    if (f->charset == CQ_CS_DIGITS) {
        if (!s_digits(s)) {
            *why = "not digits";
            return false;
        }
    } else {
        for (size_t i = 1; i + 1 < n; i++)
            if (s_confusable(s[i]) && isdigit((unsigned char)s[i - 1]) &&
                (isdigit((unsigned char)s[i + 1]) || s_confusable(s[i + 1])))
                s[i] = s_as_digit(s[i]);
        for (size_t i = 0; i < n; i++) {
            if (s[i] == '|' || s[i] == '!')
                s[i] = '1';
            if (s[i] == '$') {
                *why = "unexpected character";
                return false;
            }
        }
    }
    return true;
}

static int
s_keep_id(int c)
{
    return isalnum(c) || c == '-' || c == '|' || c == '!' || c == '$';
}

static int
s_keep_digit_like(int c)
{
    return isalnum(c) || c == '|' || c == '!' || c == '$';
}

static bool
s_len_ok(const cq_form_field_t *f, const char *s, const char **why)
{
    size_t n = strlen(s);
    size_t lo = f->min_len ? f->min_len : 1;
    size_t hi = f->max_len ? f->max_len : f->width;
    if (n < lo) {
        *why = "too short";
        return false;
    }
    if (n > hi) {
        *why = "too long";
        return false;
    }
    return true;
}

static bool
s_validate_id(const cq_form_field_t *f, char *s, const char **why)
{
    s_filter(s, s_keep_id);
    if (!s_val_id(f, s, why))
        return false;
    if (f->charset == CQ_CS_ALNUM && strchr(s, '-') != NULL) {
        *why = "not letters, digits";
        return false;
    }
    if (s[0] == '-' || (s[0] && s[strlen(s) - 1] == '-')) {
        *why = "stray hyphen";
        return false;
    }
    return s_len_ok(f, s, why);
}

//  Names: letters, spaces, - ' . & (organisations also digits). A person
//  is "LAST, FIRST" (a middle initial after a second comma is dropped).
static bool
s_validate_name(const cq_form_field_t *f, char *s, const char **why)
{
    char out[CQ_OCR_TEXT_LEN];
    size_t k = 0;
    for (size_t i = 0; s[i] && k + 1 < sizeof out; i++) {
        char c = s[i];
        if (f->person) {
            char l = (c >= '0' && c <= '9') || c == '|' ? s_as_letter(c) : c;
            if (l != 0)
                c = l;
        }
        if (isalnum((unsigned char)c) || strchr(" ,-'.&/", c) != NULL)
            out[k++] = c;
        else {
            *why = "unexpected character";
            return false;
        }
    }
    out[k] = '\0';
    if (!f->person) {
        //  An organisation's number ("CLINIC 01"): in a word that is
        //  mostly digits, confusable letters are digits.
        for (char *w = out; *w;) {
            size_t n = strcspn(w, " ");
            size_t digits = 0, conf = 0;
            for (size_t i = 0; i < n; i++) {
                digits += isdigit((unsigned char)w[i]) != 0;
                conf += s_confusable(w[i]);
            }
            if (digits > 0 && digits >= n - digits && conf > 0)
                for (size_t i = 0; i < n; i++)
                    if (s_confusable(w[i]))
                        w[i] = s_as_digit(w[i]);
            w += n;
            while (*w == ' ')
                w++;
        }
        strcpy(s, out);
        return s_len_ok(f, s, why);
    }
    char *comma = strchr(out, ',');
    if (comma == NULL) {
        //  a comma whose tail was lost reads as a period
        char *dot = strchr(out, '.');
        if (dot != NULL && strchr(dot + 1, '.') == NULL && dot[1] == ' ')
            comma = dot;
    }
    if (comma == NULL) {
        *why = "no comma in the name";
        return false;
    }
    *comma = '\0';
    char *last = out, *first = comma + 1;
    char *comma2 = strchr(first, ',');
    if (comma2 != NULL)
        *comma2 = '\0';
    while (*first == ' ')
        first++;
    size_t ll = strlen(last), fl = strlen(first);
    while (ll > 0 && last[ll - 1] == ' ')
        last[--ll] = '\0';
    while (fl > 0 && first[fl - 1] == ' ')
        first[--fl] = '\0';
    if (ll == 0 || fl == 0) {
        *why = "a name part missing";
        return false;
    }
    for (size_t i = 0; i < ll; i++)
        if (!isalpha((unsigned char)last[i]) &&
            strchr(" -'", last[i]) == NULL) {
            *why = "unexpected character";
            return false;
        }
    for (size_t i = 0; i < fl; i++)
        if (!isalpha((unsigned char)first[i]) &&
            strchr(" -'", first[i]) == NULL) {
            *why = "unexpected character";
            return false;
        }
    snprintf(s, CQ_OCR_TEXT_LEN, "%s, %s", last, first);
    return true;
}

static bool
s_validate_date(const cq_form_field_t *f, char *s, const char **why)
{
    s_filter(s, s_keep_digit_like);
    if (!s_digits(s)) {
        *why = "not a date";
        return false;
    }
    size_t want = f->century ? 8 : 6;
    if (strlen(s) != want) {
        *why = "not MM DD YY";
        return false;
    }
    int m = (s[0] - '0') * 10 + (s[1] - '0');
    int d = (s[2] - '0') * 10 + (s[3] - '0');
    int y = atoi(s + 4);
    if (!f->century)
        y += 2000;
    if (!cq_date_valid_ymd(y, m, d)) {
        *why = "not a valid date";
        return false;
    }
    int32_t days = cq_date_from_ymd(y, m, d);
    if (days > cq_date_today() + 366) {
        *why = "date in the future";
        return false;
    }
    char iso[CQ_DATE_STRLEN];
    snprintf(s, CQ_OCR_TEXT_LEN, "%s", cq_date_format(days, iso));
    return true;
}

static bool
s_validate_money(char *s, const char **why)
{
    s_filter(s, s_keep_digit_like);
    if (!s_digits(s) || strlen(s) < 3 || strlen(s) > 11) {
        *why = "not dollars and cents";
        return false;
    }
    int64_t cents = 0;
    for (size_t i = 0; s[i]; i++)
        cents = cents * 10 + (s[i] - '0');
    char m[CQ_MONEY_STRLEN];
    snprintf(s, CQ_OCR_TEXT_LEN, "%s", cq_money_format(cents, m));
    return true;
}

static bool
s_validate_code(const cq_form_field_t *f, char *s, const char **why)
{
    //  Tokens separated by spaces (modifiers), each min_len..max_len.
    char out[CQ_OCR_TEXT_LEN];
    size_t k = 0;
    int tokens = 0;
    char *save = NULL;
    for (char *t = strtok_r(s, " ", &save); t != NULL;
         t = strtok_r(NULL, " ", &save)) {
        s_filter(t, s_keep_digit_like);
        if (t[0] == '\0')
            continue;
        if (f->charset == CQ_CS_DIGITS && !s_digits(t)) {
            *why = "not digits";
            return false;
        }
        for (char *p = t; *p; p++)
            if (*p == '|' || *p == '!')
                *p = '1';
        if (!s_len_ok(f, t, why))
            return false;
        if (f->values[0][0] != '\0') {
            bool ok = false;
            for (size_t i = 0; i < CQ_ARRAY_LEN(f->values); i++)
                if (strcmp(f->values[i], t) == 0)
                    ok = true;
            if (!ok) {
                *why = "not an allowed value";
                return false;
            }
        }
        tokens++;
        k += (size_t)snprintf(out + k, sizeof out - k, "%s%s",
                              tokens > 1 ? " " : "", t);
        if (k >= sizeof out)
            break;
    }
    int max_tokens = f->n_cells ? f->n_cells : 1;
    if (tokens == 0 || tokens > max_tokens) {
        *why = tokens ? "too many codes" : "empty";
        return false;
    }
    snprintf(s, CQ_OCR_TEXT_LEN, "%s", out);
    return true;
}

static bool
s_validate_npi(char *s, const char **why)
{
    s_filter(s, s_keep_digit_like);
    if (!s_digits(s) || strlen(s) != 10) {
        *why = "not 10 digits";
        return false;
    }
    if (!s_npi_luhn(s)) {
        *why = "check digit";
        return false;
    }
    return true;
}

//  ICD-10-CM without its point: letter, digit, digit or letter, then up
//  to four characters (digits, the X placeholder, a 7th-character letter).
static bool
s_validate_icd(char *s, const char **why)
{
    s_filter(s, s_keep_digit_like);
    size_t n = strlen(s);
    if (n < 3 || n > 7) {
        *why = "not an ICD-10 code";
        return false;
    }
    char l = s_as_letter(s[0]);
    if (l == 0 || l == 'U') {
        *why = "not an ICD-10 code";
        return false;
    }
    s[0] = l;
    char d = s_as_digit(s[1]);
    if (d == 0) {
        *why = "not an ICD-10 code";
        return false;
    }
    s[1] = d;
    if (s[2] != 'A') {
        d = s_as_digit(s[2]);
        if (d == 0) {
            *why = "not an ICD-10 code";
            return false;
        }
        s[2] = d;
    }
    for (size_t i = 3; i < n; i++) {
        if (i < 6 && s[i] != 'X' && s_as_digit(s[i]) != 0)
            s[i] = s_as_digit(s[i]);
        if (s[i] == '|' || s[i] == '!')
            s[i] = '1';
        if (!isalnum((unsigned char)s[i])) {
            *why = "not an ICD-10 code";
            return false;
        }
    }
    char out[16];
    if (n > 3)
        snprintf(out, sizeof out, "%.3s.%.4s", s, s + 3);
    else
        snprintf(out, sizeof out, "%s", s);
    snprintf(s, CQ_OCR_TEXT_LEN, "%s", out);
    return true;
}

//  CPT (5 digits; 4 digits + F or T) or HCPCS level II (a letter A-V and
//  4 digits).
static bool
s_validate_cpt(char *s, const char **why)
{
    s_filter(s, s_keep_digit_like);
    if (strlen(s) != 5) {
        *why = "not 5 characters";
        return false;
    }
    if (s[0] == 'O' || s[0] == 'I' || s[0] == '|' || s[0] == 'L')
        s[0] = s_as_digit(s[0]);
    else if (s[0] == '$')
        s[0] = 'S';
    bool hcpcs = s[0] >= 'A' && s[0] <= 'V';
    if (!hcpcs && !isdigit((unsigned char)s[0])) {
        *why = "not a CPT/HCPCS code";
        return false;
    }
    for (int i = 1; i < 4; i++) {
        char d = s_as_digit(s[i]);
        if (d == 0) {
            *why = "not a CPT/HCPCS code";
            return false;
        }
        s[i] = d;
    }
    if (!(!hcpcs && (s[4] == 'F' || s[4] == 'T'))) {
        char d = s_as_digit(s[4]);
        if (d == 0) {
            *why = "not a CPT/HCPCS code";
            return false;
        }
        s[4] = d;
    }
    return true;
}

static bool
s_validate_integer(const cq_form_field_t *f, char *s, const char **why)
{
    s_filter(s, s_keep_digit_like);
    if (!s_digits(s) || strlen(s) == 0 || strlen(s) > 7) {
        *why = "not a number";
        return false;
    }
    long v = strtol(s, NULL, 10);
    if (v < f->min || v > f->max) {
        *why = "out of range";
        return false;
    }
    snprintf(s, CQ_OCR_TEXT_LEN, "%ld", v);
    return true;
}

static bool
s_validate_pointers(char *s, const char **why)
{
    s_filter(s, s_keep_digit_like);
    size_t n = strlen(s);
    if (n == 0 || n > CQ_MAX_POINTERS) {
        *why = "not 1-4 pointers";
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '0')
            c = 'D';
        else if (!(c >= 'A' && c <= 'Z'))
            c = s_as_letter(c);
        if (c < 'A' || c > 'L') {
            *why = "pointer not A-L";
            return false;
        }
        for (size_t j = 0; j < i; j++)
            if (s[j] == c) {
                *why = "pointer repeated";
                return false;
            }
        s[i] = c;
    }
    return true;
}

//  The type's validator: normalised text in, canonical value out (in s).
static bool
s_validate_type(const cq_form_field_t *f, char *s, const char **why)
{
    bool ok = false;
    switch (f->type) {
    case CQ_FT_ID:
        ok = s_validate_id(f, s, why);
        break;
    case CQ_FT_NAME:
        ok = s_validate_name(f, s, why);
        break;
    case CQ_FT_DATE:
        ok = s_validate_date(f, s, why);
        break;
    case CQ_FT_MONEY:
        ok = s_validate_money(s, why);
        break;
    case CQ_FT_CODE:
        ok = s_validate_code(f, s, why);
        break;
    case CQ_FT_NPI:
        ok = s_validate_npi(s, why);
        break;
    case CQ_FT_ICD10:
        ok = s_validate_icd(s, why);
        break;
    case CQ_FT_CPT:
        ok = s_validate_cpt(s, why);
        break;
    case CQ_FT_INTEGER:
        ok = s_validate_integer(f, s, why);
        break;
    case CQ_FT_POINTERS:
        ok = s_validate_pointers(s, why);
        break;
    case CQ_FT_CHECK:
        ok = strlen(s) == 1;
        if (!ok)
            *why = "not one mark";
        break;
    }
    return ok;
}

bool
cq_ocr_validate(const cq_form_field_t *f, const char *raw, char *value,
                size_t size, const char **why)
{
    char s[CQ_OCR_TEXT_LEN];
    const char *dummy;
    if (why == NULL)
        why = &dummy;
    *why = NULL;
    value[0] = '\0';
    s_normalise(raw, s, sizeof s);
    if (s[0] == '\0') {
        *why = "no text read";
        return false;
    }
    char again[CQ_OCR_TEXT_LEN];
    memcpy(again, s, sizeof again);
    bool ok = s_validate_type(f, s, why);
    if (!ok && s_collapse_twins(again)) {
        const char *why2 = NULL;
        memcpy(s, again, sizeof s);
        ok = s_validate_type(f, s, &why2);
        if (!ok && why2 != NULL)
            *why = why2;
        if (ok)
            *why = NULL;
    }
    if (ok)
        snprintf(value, size, "%s", s);
    return ok;
}
