//  form.c: load and check a paper form template; print a claim's values
//  the way billing software types them on the form.
#include "form.h"

extern const unsigned char cq_form_cms1500[]; // gen/form_embedded.c
extern const size_t cq_form_cms1500_len;

#include "mem.h"
#include "money.h"

#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

//  ---------------------------------------------------------------------
//  Field keys: the name in the template, the type it must have, and
//  whether it belongs to a service line.

typedef struct {
    const char *name;
    cq_form_key_t key;
    cq_form_type_t type;
    bool line;
} s_key_t;

static const s_key_t s_keys[] = {
    {"payer_id", CQ_FK_PAYER_ID, CQ_FT_ID, false},
    {"member.id", CQ_FK_MEMBER_ID, CQ_FT_ID, false},
    {"member.name", CQ_FK_MEMBER_NAME, CQ_FT_NAME, false},
    {"member.birth_date", CQ_FK_MEMBER_BIRTH, CQ_FT_DATE, false},
    {"member.sex", CQ_FK_MEMBER_SEX, CQ_FT_CHECK, false},
    {"frequency", CQ_FK_FREQUENCY, CQ_FT_CODE, false},
    {"original_claim_id", CQ_FK_ORIGINAL_ID, CQ_FT_ID, false},
    {"prior_auth", CQ_FK_PRIOR_AUTH, CQ_FT_ID, false},
    {"diagnoses", CQ_FK_DIAGNOSIS, CQ_FT_ICD10, false},
    {"billing_provider.tax_id", CQ_FK_TAX_ID, CQ_FT_ID, false},
    {"claim_id", CQ_FK_CLAIM_ID, CQ_FT_ID, false},
    {"total_charge", CQ_FK_TOTAL, CQ_FT_MONEY, false},
    {"billing_provider.name", CQ_FK_BILLING_NAME, CQ_FT_NAME, false},
    {"billing_provider.npi", CQ_FK_BILLING_NPI, CQ_FT_NPI, false},
    {"received_date", CQ_FK_RECEIVED, CQ_FT_DATE, false},
    {"service_date", CQ_FK_L_FROM, CQ_FT_DATE, true},
    {"service_date_end", CQ_FK_L_TO, CQ_FT_DATE, true},
    {"place_of_service", CQ_FK_L_POS, CQ_FT_CODE, true},
    {"procedure", CQ_FK_L_PROC, CQ_FT_CPT, true},
    {"modifiers", CQ_FK_L_MODS, CQ_FT_CODE, true},
    {"diagnosis_pointers", CQ_FK_L_PTRS, CQ_FT_POINTERS, true},
    {"charge", CQ_FK_L_CHARGE, CQ_FT_MONEY, true},
    {"units", CQ_FK_L_UNITS, CQ_FT_INTEGER, true},
    {"rendering_npi", CQ_FK_L_NPI, CQ_FT_NPI, true},
};

static const char *s_type_names[] = {
    "id",    "name", "date",    "money",    "code",  "npi",
    "icd10", "cpt",  "integer", "pointers", "check",
};

const char *
cq_form_type_name(cq_form_type_t t)
{
    if ((size_t)t < CQ_ARRAY_LEN(s_type_names))
        return s_type_names[t];
    return "?";
}

//  ---------------------------------------------------------------------
//  Typed JSON getters. Each records the first error in diag (with the
//  path of the item) and returns a negative code.

typedef struct {
    cq_diag_t *diag;
    int err;
    char path[64]; // "fields[3]"
} s_ctx_t;

static int
s_fail(s_ctx_t *cx, const char *key, const char *why)
{
    if (cx->err == 0) {
        cx->err = CQ_EPROTO;
        cq_diag_set(cx->diag, CQ_EPROTO, 0, "form %s%s%s: %s", cx->path,
                    cx->path[0] && key ? "." : "", key ? key : "", why);
    }
    return CQ_EPROTO;
}

//  A number (integer or real) in [lo, hi]; def when absent and !required.
static double
s_num(s_ctx_t *cx, json_t *obj, const char *key, double lo, double hi,
      bool required, double def)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL) {
        if (required)
            s_fail(cx, key, "missing");
        return def;
    }
    if (!json_is_number(v)) {
        s_fail(cx, key, "not a number");
        return def;
    }
    double d = json_number_value(v);
    if (!isfinite(d) || d < lo || d > hi) {
        char why[64];
        snprintf(why, sizeof why, "out of range [%g, %g]", lo, hi);
        s_fail(cx, key, why);
        return def;
    }
    return d;
}

static int
s_int(s_ctx_t *cx, json_t *obj, const char *key, int lo, int hi, bool required,
      int def)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL) {
        if (required)
            s_fail(cx, key, "missing");
        return def;
    }
    if (!json_is_integer(v)) {
        s_fail(cx, key, "not an integer");
        return def;
    }
    json_int_t i = json_integer_value(v);
    if (i < lo || i > hi) {
        char why[64];
        snprintf(why, sizeof why, "out of range [%d, %d]", lo, hi);
        s_fail(cx, key, why);
        return def;
    }
    return (int)i;
}

//  A string copied into out (size n); "" when absent and !required.
static void
s_str(s_ctx_t *cx, json_t *obj, const char *key, char *out, size_t n,
      bool required)
{
    out[0] = '\0';
    json_t *v = json_object_get(obj, key);
    if (v == NULL) {
        if (required)
            s_fail(cx, key, "missing");
        return;
    }
    if (!json_is_string(v)) {
        s_fail(cx, key, "not a string");
        return;
    }
    size_t len = json_string_length(v);
    if (len >= n) {
        s_fail(cx, key, "too long");
        return;
    }
    const char *s = json_string_value(v);
    if (memchr(s, '\0', len) != NULL) {
        s_fail(cx, key, "contains NUL");
        return;
    }
    memcpy(out, s, len + 1);
}

static bool
s_bool(s_ctx_t *cx, json_t *obj, const char *key, bool def)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL)
        return def;
    if (!json_is_boolean(v)) {
        s_fail(cx, key, "not a boolean");
        return def;
    }
    return json_is_true(v);
}

//  An array member of at most max items (NULL and n = 0 when absent).
static json_t *
s_array(s_ctx_t *cx, json_t *obj, const char *key, size_t max, size_t *n)
{
    *n = 0;
    json_t *v = json_object_get(obj, key);
    if (v == NULL)
        return NULL;
    if (!json_is_array(v)) {
        s_fail(cx, key, "not an array");
        return NULL;
    }
    if (json_array_size(v) > max) {
        s_fail(cx, key, "too many items");
        return NULL;
    }
    *n = json_array_size(v);
    return v;
}

static void
s_path(s_ctx_t *cx, const char *what, size_t i)
{
    snprintf(cx->path, sizeof cx->path, "%s[%zu]", what, i);
}

//  ---------------------------------------------------------------------
//  Drawing items.

static void
s_parse_lines(s_ctx_t *cx, json_t *root, cq_form_t *f)
{
    size_t n;
    json_t *arr = s_array(cx, root, "lines", CQ_FORM_MAX_LINES, &n);
    if (arr == NULL)
        return;
    f->lines = cq_xcalloc(n ? n : 1, sizeof *f->lines);
    for (size_t i = 0; i < n && cx->err == 0; i++) {
        json_t *o = json_array_get(arr, i);
        s_path(cx, "lines", i);
        if (!json_is_object(o)) {
            s_fail(cx, NULL, "not an object");
            break;
        }
        cq_form_line_t *l = &f->lines[f->n_lines++];
        bool h = json_object_get(o, "h") != NULL;
        bool v = json_object_get(o, "v") != NULL;
        if (h == v) {
            s_fail(cx, NULL,
                   "needs exactly one of \"h\" (row) or \"v\" "
                   "(column)");
            break;
        }
        double at = s_num(cx, o, h ? "h" : "v", 0,
                          h ? CQ_FORM_MAX_ROW : CQ_FORM_MAX_COL, true, 0);
        double lim = h ? CQ_FORM_MAX_COL : CQ_FORM_MAX_ROW;
        double from = s_num(cx, o, "from", 0, lim, true, 0);
        double to = s_num(cx, o, "to", 0, lim, true, 0);
        if (cx->err == 0 && to <= from)
            s_fail(cx, "to", "must be greater than \"from\"");
        char style[16];
        s_str(cx, o, "style", style, sizeof style, false);
        if (style[0] == '\0' || strcmp(style, "solid") == 0)
            l->style = 0;
        else if (strcmp(style, "thin") == 0)
            l->style = 1;
        else if (strcmp(style, "dotted") == 0)
            l->style = 2;
        else
            s_fail(cx, "style", "not solid, thin or dotted");
        if (h) {
            l->y0 = l->y1 = at;
            l->x0 = from;
            l->x1 = to;
        } else {
            l->x0 = l->x1 = at;
            l->y0 = from;
            l->y1 = to;
        }
    }
}

static void
s_parse_rect(s_ctx_t *cx, json_t *o, cq_form_rect_t *r)
{
    r->top = s_num(cx, o, "top", 0, CQ_FORM_MAX_ROW, true, 0);
    r->bottom = s_num(cx, o, "bottom", 0, CQ_FORM_MAX_ROW, true, 0);
    r->left = s_num(cx, o, "left", 0, CQ_FORM_MAX_COL, true, 0);
    r->right = s_num(cx, o, "right", 0, CQ_FORM_MAX_COL, true, 0);
    if (cx->err == 0 && (r->bottom <= r->top || r->right <= r->left))
        s_fail(cx, NULL, "empty rectangle");
}

static void
s_parse_rects(s_ctx_t *cx, json_t *root, const char *key, cq_form_rect_t **out,
              size_t *count)
{
    size_t n;
    json_t *arr = s_array(cx, root, key, CQ_FORM_MAX_LINES, &n);
    if (arr == NULL)
        return;
    *out = cq_xcalloc(n ? n : 1, sizeof **out);
    for (size_t i = 0; i < n && cx->err == 0; i++) {
        json_t *o = json_array_get(arr, i);
        s_path(cx, key, i);
        if (!json_is_object(o)) {
            s_fail(cx, NULL, "not an object");
            break;
        }
        cq_form_rect_t *r = &(*out)[(*count)++];
        if (strcmp(key, "checkboxes") == 0) {
            //  a checkbox is one character cell
            double row = s_num(cx, o, "row", 1, CQ_FORM_MAX_ROW, true, 1);
            double col = s_num(cx, o, "col", 1, CQ_FORM_MAX_COL, true, 1);
            r->top = row;
            r->bottom = row + 1;
            r->left = col;
            r->right = col + 1;
        } else {
            s_parse_rect(cx, o, r);
        }
    }
}

static void
s_parse_labels(s_ctx_t *cx, json_t *root, const char *key,
               cq_form_label_t **out, size_t *count)
{
    size_t n;
    json_t *arr = s_array(cx, root, key, CQ_FORM_MAX_LABELS, &n);
    if (arr == NULL)
        return;
    *out = cq_xcalloc(n ? n : 1, sizeof **out);
    for (size_t i = 0; i < n && cx->err == 0; i++) {
        json_t *o = json_array_get(arr, i);
        s_path(cx, key, i);
        if (!json_is_object(o)) {
            s_fail(cx, NULL, "not an object");
            break;
        }
        cq_form_label_t *l = &(*out)[(*count)++];
        l->row = s_num(cx, o, "row", 0, CQ_FORM_MAX_ROW, true, 0);
        l->col = s_num(cx, o, "col", 0, CQ_FORM_MAX_COL, true, 0);
        l->size = s_num(cx, o, "size", 2, 36, false, 5.5);
        l->rotate = s_int(cx, o, "rotate", 0, 90, false, 0);
        if (l->rotate != 0 && l->rotate != 90)
            s_fail(cx, "rotate", "must be 0 or 90");
        l->bold = s_bool(cx, o, "bold", false);
        s_str(cx, o, "text", l->text, sizeof l->text, true);
    }
}

//  ---------------------------------------------------------------------
//  Fields.

static const s_key_t *
s_key_find(const char *name)
{
    for (size_t i = 0; i < CQ_ARRAY_LEN(s_keys); i++)
        if (strcmp(s_keys[i].name, name) == 0)
            return &s_keys[i];
    return NULL;
}

static int
s_type_find(const char *name)
{
    for (size_t i = 0; i < CQ_ARRAY_LEN(s_type_names); i++)
        if (strcmp(s_type_names[i], name) == 0)
            return (int)i;
    return -1;
}

//  A field object is read in stages, in this order; each reads its keys
//  and checks them (the first error sticks in cx, and later stages do
//  nothing). s_field_identity and a checkbox's s_field_choices come first
//  (s_parse_field); the others are s_field_stages[].
typedef void s_field_stage_fn(s_ctx_t *cx, json_t *o, cq_form_field_t *fd);

//  name, type, box: which claim field it is (row is the service line's
//  when line > 0: the object has no "row" then), its printed name, its
//  row, and whether it is required. False: not a field of ours.
static bool
s_field_identity(s_ctx_t *cx, json_t *o, int line, int row, cq_form_field_t *fd)
{
    char name[CQ_FORM_NAME_LEN], type[16];
    s_str(cx, o, "name", name, sizeof name, true);
    s_str(cx, o, "type", type, sizeof type, true);
    s_str(cx, o, "box", fd->box, sizeof fd->box, false);
    if (cx->err)
        return false;
    const s_key_t *k = s_key_find(name);
    if (k == NULL) {
        s_fail(cx, "name", "not a known claim field");
        return false;
    }
    if (k->line != (line > 0)) {
        s_fail(cx, "name",
               line > 0 ? "not a service line field"
                        : "is a service line field");
        return false;
    }
    int t = s_type_find(type);
    if (t < 0) {
        s_fail(cx, "type", "unknown type");
        return false;
    }
    if ((cq_form_type_t)t != k->type) {
        char why[64];
        snprintf(why, sizeof why, "must be \"%s\" for %s",
                 s_type_names[k->type], name);
        s_fail(cx, "type", why);
        return false;
    }
    fd->key = k->key;
    fd->type = (cq_form_type_t)t;
    fd->line = (uint8_t)line;
    if (k->key == CQ_FK_DIAGNOSIS) {
        fd->index = (uint8_t)s_int(cx, o, "index", 1, CQ_MAX_DX, true, 1);
        snprintf(fd->name, sizeof fd->name, "diagnoses.%c",
                 'A' + fd->index - 1);
    } else if (line > 0) {
        snprintf(fd->name, sizeof fd->name, "line%d.%.30s", line & 7, name);
    } else {
        cq_strlcpy(fd->name, name, sizeof fd->name);
    }
    fd->row =
        (uint8_t)(line > 0 ? row
                           : s_int(cx, o, "row", 1, CQ_FORM_MAX_ROW, true, 1));
    fd->required = s_bool(cx, o, "required", false);
    return cx->err == 0;
}

//  A checkbox: its choices (a column and the value each stands for) and
//  the value of none checked.
static void
s_field_choices(s_ctx_t *cx, json_t *o, cq_form_field_t *fd)
{
    size_t n;
    json_t *arr = s_array(cx, o, "choices", CQ_FORM_MAX_CHOICES, &n);
    if (cx->err == 0 && n == 0)
        s_fail(cx, "choices", "a checkbox needs choices");
    for (size_t i = 0; i < n && cx->err == 0; i++) {
        json_t *c = json_array_get(arr, i);
        if (!json_is_object(c)) {
            s_fail(cx, "choices", "not an object");
            break;
        }
        char val[4];
        int col = s_int(cx, c, "col", 1, CQ_FORM_MAX_COL, true, 1);
        s_str(cx, c, "value", val, sizeof val, true);
        if (cx->err == 0 && strlen(val) != 1)
            s_fail(cx, "choices", "value must be one character");
        fd->choices[i].col = (uint8_t)col;
        fd->choices[i].value = val[0];
        fd->n_choices++;
    }
    char blank[4];
    s_str(cx, o, "blank", blank, sizeof blank, false);
    if (cx->err == 0 && strlen(blank) > 1)
        s_fail(cx, "blank", "must be one character");
    fd->blank_value = blank[0];
    fd->col = fd->n_choices ? fd->choices[0].col : 1;
    fd->width = 1;
}

//  The zone: columns, and the lengths and values it may hold.
static void
s_field_zone(s_ctx_t *cx, json_t *o, cq_form_field_t *fd)
{
    fd->col = (uint8_t)s_int(cx, o, "col", 1, CQ_FORM_MAX_COL, true, 1);
    fd->width = (uint8_t)s_int(cx, o, "width", 1, CQ_FORM_MAX_COL, true, 1);
    if (cx->err == 0 && fd->col + fd->width - 1 > CQ_FORM_MAX_COL)
        s_fail(cx, "width", "zone goes past the last column");
    fd->min_len = (uint8_t)s_int(cx, o, "min_len", 0, fd->width, false, 0);
    fd->max_len =
        (uint8_t)s_int(cx, o, "max_len", 0, fd->width, false, fd->width);
    if (fd->max_len == 0)
        fd->max_len = fd->width;
    if (cx->err == 0 && fd->min_len > fd->max_len)
        s_fail(cx, "min_len", "greater than max_len");
    fd->min = s_int(cx, o, "min", 0, 1000000, false, 0);
    fd->max = s_int(cx, o, "max", 0, 1000000, false, 999999);
    if (cx->err == 0 && fd->min > fd->max)
        s_fail(cx, "min", "greater than max");
}

//  The characters it may hold, and a date's or a name's format.
static void
s_field_format(s_ctx_t *cx, json_t *o, cq_form_field_t *fd)
{
    if (cx->err)
        return;
    char cs[16], fmt[16];
    s_str(cx, o, "charset", cs, sizeof cs, false);
    if (cs[0] == '\0')
        fd->charset = CQ_CS_ANY;
    else if (strcmp(cs, "digits") == 0)
        fd->charset = CQ_CS_DIGITS;
    else if (strcmp(cs, "alnum") == 0)
        fd->charset = CQ_CS_ALNUM;
    else
        s_fail(cx, "charset", "not digits or alnum");

    s_str(cx, o, "format", fmt, sizeof fmt, false);
    if (fd->type == CQ_FT_DATE) {
        if (strcmp(fmt, "MM DD CCYY") == 0)
            fd->century = true;
        else if (strcmp(fmt, "MM DD YY") == 0)
            fd->century = false;
        else
            s_fail(cx, "format", "must be \"MM DD YY\" or \"MM DD CCYY\"");
    } else if (fd->type == CQ_FT_NAME) {
        if (strcmp(fmt, "LAST, FIRST") == 0)
            fd->person = true;
        else if (fmt[0] != '\0')
            s_fail(cx, "format", "must be \"LAST, FIRST\" or absent");
    } else if (fmt[0] != '\0') {
        s_fail(cx, "format", "only dates and names have a format");
    }
}

//  The values it may take (a code list), if any.
static void
s_field_values(s_ctx_t *cx, json_t *o, cq_form_field_t *fd)
{
    size_t n;
    json_t *vals = s_array(cx, o, "values", CQ_ARRAY_LEN(fd->values), &n);
    for (size_t i = 0; i < n && cx->err == 0; i++) {
        json_t *v = json_array_get(vals, i);
        if (!json_is_string(v) || json_string_length(v) == 0 ||
            json_string_length(v) >= sizeof fd->values[0]) {
            s_fail(cx, "values", "items must be short strings");
            break;
        }
        memcpy(fd->values[i], json_string_value(v), json_string_length(v));
    }
}

//  The cells the zone is printed in: [col, width], in order, inside it.
static void
s_field_cells(s_ctx_t *cx, json_t *o, cq_form_field_t *fd)
{
    size_t n;
    json_t *cells = s_array(cx, o, "cells", CQ_FORM_MAX_CELLS, &n);
    for (size_t i = 0; i < n && cx->err == 0; i++) {
        json_t *c = json_array_get(cells, i);
        if (!json_is_array(c) || json_array_size(c) != 2 ||
            !json_is_integer(json_array_get(c, 0)) ||
            !json_is_integer(json_array_get(c, 1))) {
            s_fail(cx, "cells", "items must be [col, width]");
            break;
        }
        json_int_t cc = json_integer_value(json_array_get(c, 0));
        json_int_t cw = json_integer_value(json_array_get(c, 1));
        if (cc < fd->col || cw < 1 || cc + cw > fd->col + fd->width) {
            s_fail(cx, "cells", "a cell lies outside the zone");
            break;
        }
        if (i > 0 && cc < fd->cells[i - 1].col + fd->cells[i - 1].width) {
            s_fail(cx, "cells", "cells overlap or are out of order");
            break;
        }
        fd->cells[i].col = (uint8_t)cc;
        fd->cells[i].width = (uint8_t)cw;
        fd->n_cells++;
    }
}

//  Cell layouts the printer and the reader understand.
static void
s_field_layout(s_ctx_t *cx, json_t *o, cq_form_field_t *fd)
{
    (void)o;
    if (cx->err)
        return;
    if (fd->type == CQ_FT_DATE && fd->n_cells != 0 && fd->n_cells != 3)
        s_fail(cx, "cells", "a date has 0 or 3 cells (MM DD YY)");
    else if (fd->type == CQ_FT_DATE && fd->n_cells == 3 &&
             (fd->cells[0].width != 2 || fd->cells[1].width != 2 ||
              fd->cells[2].width != (fd->century ? 4 : 2)))
        s_fail(cx, "cells", "date cells do not match the format");
    else if (fd->type == CQ_FT_MONEY && fd->n_cells != 0 &&
             (fd->n_cells != 2 || fd->cells[1].width != 2))
        s_fail(cx, "cells", "money has 0 cells or 2 (dollars, cents)");
    else if (fd->type != CQ_FT_DATE && fd->type != CQ_FT_MONEY &&
             fd->key != CQ_FK_L_MODS && fd->n_cells != 0)
        s_fail(cx, "cells", "only dates, money and modifiers have cells");
    else if (fd->type == CQ_FT_DATE && fd->n_cells == 0 &&
             fd->width < (fd->century ? 10 : 8))
        s_fail(cx, "width", "too narrow for the date format");
}

static s_field_stage_fn *const s_field_stages[] = {
    s_field_zone, s_field_format, s_field_values, s_field_cells,
    s_field_layout};

//  Parses one field object. row is the service line's row when line > 0
//  (the object has no "row" then).
static void
s_parse_field(s_ctx_t *cx, json_t *o, int line, int row, cq_form_field_t *fd)
{
    if (!s_field_identity(cx, o, line, row, fd))
        return;
    if (fd->type == CQ_FT_CHECK) {
        s_field_choices(cx, o, fd);
        return;
    }
    for (size_t i = 0; i < CQ_ARRAY_LEN(s_field_stages); i++)
        s_field_stages[i](cx, o, fd);
}

static void
s_parse_fields(s_ctx_t *cx, json_t *root, cq_form_t *f)
{
    size_t n_top, n_line = 0;
    json_t *top = s_array(cx, root, "fields", CQ_FORM_MAX_FIELDS, &n_top);
    if (cx->err)
        return;
    if (top == NULL) {
        s_fail(cx, "fields", "missing");
        return;
    }
    json_t *sl = json_object_get(root, "service_lines");
    json_t *line_arr = NULL;
    int count = 0, first_row = 0, step = 0;
    if (sl != NULL) {
        snprintf(cx->path, sizeof cx->path, "service_lines");
        if (!json_is_object(sl)) {
            s_fail(cx, NULL, "not an object");
            return;
        }
        count = s_int(cx, sl, "count", 1, CQ_FORM_MAX_SERVICE_LINES, true, 1);
        first_row = s_int(cx, sl, "first_row", 1, CQ_FORM_MAX_ROW, true, 1);
        step = s_int(cx, sl, "row_step", 1, CQ_FORM_MAX_ROW, true, 1);
        line_arr = s_array(cx, sl, "fields", 32, &n_line);
        if (cx->err)
            return;
        if (first_row + (count - 1) * step > CQ_FORM_MAX_ROW) {
            s_fail(cx, "count", "service lines go past the last row");
            return;
        }
    }
    size_t total = n_top + (size_t)count * n_line;
    if (total > CQ_FORM_MAX_FIELDS) {
        cx->path[0] = '\0';
        s_fail(cx, "fields", "too many fields");
        return;
    }
    f->fields = cq_xcalloc(total ? total : 1, sizeof *f->fields);
    for (size_t i = 0; i < n_top && cx->err == 0; i++) {
        json_t *o = json_array_get(top, i);
        s_path(cx, "fields", i);
        if (!json_is_object(o)) {
            s_fail(cx, NULL, "not an object");
            break;
        }
        s_parse_field(cx, o, 0, 0, &f->fields[f->n_fields++]);
    }
    f->n_service_lines = count;
    for (int ln = 1; ln <= count && cx->err == 0; ln++) {
        for (size_t i = 0; i < n_line && cx->err == 0; i++) {
            json_t *o = json_array_get(line_arr, i);
            s_path(cx, "service_lines.fields", i);
            if (!json_is_object(o)) {
                s_fail(cx, NULL, "not an object");
                break;
            }
            s_parse_field(cx, o, ln, first_row + (ln - 1) * step,
                          &f->fields[f->n_fields++]);
        }
    }
    //  Each claim value has at most one zone.
    for (size_t i = 0; i < f->n_fields && cx->err == 0; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(f->fields[i].name, f->fields[j].name) == 0) {
                cx->path[0] = '\0';
                char why[96];
                snprintf(why, sizeof why, "%s appears twice",
                         f->fields[i].name);
                s_fail(cx, "fields", why);
                break;
            }
}

int
cq_form_parse(const char *json, size_t len, cq_form_t **out, cq_diag_t *diag)
{
    assert(out);
    *out = NULL;
    if (len > CQ_FORM_MAX_JSON)
        return cq_diag_set(diag, CQ_ETOOBIG, 0,
                           "form: template is %zu bytes, the cap is %u", len,
                           CQ_FORM_MAX_JSON);
    json_error_t jerr;
    json_t *root =
        json_loadb(json ? json : "", len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        return cq_diag_set(diag, CQ_EPROTO, (size_t)jerr.position,
                           "form: not JSON (line %d: %.120s)", jerr.line,
                           jerr.text);
    s_ctx_t cx = {.diag = diag};
    cq_form_t *f = cq_xcalloc(1, sizeof *f);
    if (!json_is_object(root)) {
        s_fail(&cx, NULL, "the template is not a JSON object");
        goto out;
    }
    s_str(&cx, root, "form", f->name, sizeof f->name, true);
    s_str(&cx, root, "version", f->version, sizeof f->version, false);

    json_t *page = json_object_get(root, "page");
    snprintf(cx.path, sizeof cx.path, "page");
    if (!json_is_object(page)) {
        s_fail(&cx, NULL, "missing or not an object");
        goto out;
    }
    f->page_w_in = s_num(&cx, page, "width_in", 1, 20, true, 8.5);
    f->page_h_in = s_num(&cx, page, "height_in", 1, 30, true, 11);

    json_t *mx = json_object_get(root, "matrix");
    snprintf(cx.path, sizeof cx.path, "matrix");
    if (!json_is_object(mx)) {
        s_fail(&cx, NULL, "missing or not an object");
        goto out;
    }
    f->cpi = s_num(&cx, mx, "cpi", 4, 30, true, 10);
    f->lpi = s_num(&cx, mx, "lpi", 2, 20, true, 6);
    f->first_row = s_int(&cx, mx, "first_row", 1, CQ_FORM_MAX_ROW, true, 1);
    f->first_col = s_int(&cx, mx, "first_col", 1, CQ_FORM_MAX_COL, true, 1);
    f->top_in = s_num(&cx, mx, "top_in", 0, f->page_h_in, true, 0);
    f->left_in = s_num(&cx, mx, "left_in", 0, f->page_w_in, true, 0);

    json_t *frame = json_object_get(root, "frame");
    snprintf(cx.path, sizeof cx.path, "frame");
    if (!json_is_object(frame)) {
        s_fail(&cx, NULL, "missing or not an object");
        goto out;
    }
    s_parse_rect(&cx, frame, &f->frame);
    if (cx.err)
        goto out;
    //  The frame must lie on the sheet, with room around it to find it.
    if (cq_form_x_in(f, f->frame.left) < 0.05 ||
        cq_form_x_in(f, f->frame.right) > f->page_w_in - 0.05 ||
        cq_form_y_in(f, f->frame.top) < 0.05 ||
        cq_form_y_in(f, f->frame.bottom) > f->page_h_in - 0.05 ||
        cq_form_x_in(f, f->frame.right) - cq_form_x_in(f, f->frame.left) <
            f->page_w_in / 2 ||
        cq_form_y_in(f, f->frame.bottom) - cq_form_y_in(f, f->frame.top) <
            f->page_h_in / 2) {
        s_fail(&cx, NULL,
               "must lie on the page and cover at least half of "
               "it each way");
        goto out;
    }
    cx.path[0] = '\0';
    s_parse_lines(&cx, root, f);
    cx.path[0] = cx.err ? cx.path[0] : '\0';
    s_parse_rects(&cx, root, "shading", &f->shading, &f->n_shading);
    cx.path[0] = cx.err ? cx.path[0] : '\0';
    s_parse_rects(&cx, root, "checkboxes", &f->checkboxes, &f->n_checkboxes);
    cx.path[0] = cx.err ? cx.path[0] : '\0';
    s_parse_labels(&cx, root, "labels", &f->labels, &f->n_labels);
    cx.path[0] = cx.err ? cx.path[0] : '\0';
    s_parse_labels(&cx, root, "constants", &f->constants, &f->n_constants);
    cx.path[0] = cx.err ? cx.path[0] : '\0';
    if (cx.err == 0)
        s_parse_fields(&cx, root, f);
    //  Every field zone must lie on the sheet.
    for (size_t i = 0; i < f->n_fields && cx.err == 0; i++) {
        const cq_form_field_t *fd = &f->fields[i];
        int last_col = fd->col + fd->width;
        for (int k = 0; k < fd->n_choices; k++)
            if (fd->choices[k].col + 1 > last_col)
                last_col = fd->choices[k].col + 1;
        if (cq_form_y_in(f, fd->row) < 0 ||
            cq_form_y_in(f, fd->row + 1) > f->page_h_in ||
            cq_form_x_in(f, fd->col) < 0 ||
            cq_form_x_in(f, last_col) > f->page_w_in) {
            cx.path[0] = '\0';
            char why[96];
            snprintf(why, sizeof why, "%s lies off the page", fd->name);
            s_fail(&cx, "fields", why);
        }
    }
out:
    json_decref(root);
    if (cx.err) {
        cq_form_destroy(&f);
        return cx.err;
    }
    *out = f;
    return 0;
}

int
cq_form_load(const char *path, cq_form_t **out, cq_diag_t *diag)
{
    char *buf = NULL;
    size_t len = 0;
    *out = NULL;
    int rc = cq_read_file(path, CQ_FORM_MAX_JSON, &buf, &len);
    if (rc == CQ_ETOOBIG)
        return cq_diag_set(diag, rc, 0, "form %s: larger than %u bytes", path,
                           CQ_FORM_MAX_JSON);
    if (rc != 0)
        return cq_diag_set(diag, CQ_ENOTFOUND, 0, "form %s: cannot read it",
                           path);
    rc = cq_form_parse(buf, len, out, diag);
    free(buf);
    return rc;
}

int
cq_form_load_default(const char *path, cq_form_t **out, cq_diag_t *diag)
{
    *out = NULL;
    if (path != NULL && path[0] != '\0')
        return cq_form_load(path, out, diag);
    const char *env = getenv("CQ_FORM");
    if (env != NULL && env[0] != '\0')
        return cq_form_load(env, out, diag);
    //  the installed copy beside the program (PREFIX/bin/../share/claimq),
    //  which an admin may have edited
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash != NULL)
            *slash = '\0';
        char p[PATH_MAX + 64];
        snprintf(p, sizeof p, "%s/../share/claimq/forms/cms1500.json", exe);
        if (access(p, R_OK) == 0)
            return cq_form_load(p, out, diag);
    }
    //  else the template compiled in (CMakeLists.txt): the same file as
    //  shipped; never the source tree
    return cq_form_parse((const char *)cq_form_cms1500, cq_form_cms1500_len,
                         out, diag);
}

void
cq_form_destroy(cq_form_t **self_p)
{
    assert(self_p);
    cq_form_t *f = *self_p;
    if (f == NULL)
        return;
    free(f->lines);
    free(f->shading);
    free(f->checkboxes);
    free(f->labels);
    free(f->constants);
    free(f->fields);
    free(f);
    *self_p = NULL;
}

double
cq_form_x_in(const cq_form_t *self, double col)
{
    return self->left_in + (col - self->first_col) / self->cpi;
}

double
cq_form_y_in(const cq_form_t *self, double row)
{
    return self->top_in + (row - self->first_row) / self->lpi;
}

//  ---------------------------------------------------------------------
//  Printing claim values.

static const cq_line_t *
s_line(const cq_form_field_t *f, const cq_claim_t *c)
{
    if (f->line == 0 || f->line > c->n_lines)
        return NULL;
    return &c->lines[f->line - 1];
}

static void
s_copy(char *dst, const char *src)
{
    snprintf(dst, CQ_FORM_CELL_LEN, "%s", src);
}

//  Dates into 3 cells, or one "MM DD YY" string.
static int
s_print_date(const cq_form_field_t *f, int32_t days,
             char cells[CQ_FORM_MAX_CELLS][CQ_FORM_CELL_LEN])
{
    if (days == CQ_DATE_NONE)
        return 0;
    int y, m, d;
    cq_date_to_ymd(days, &y, &m, &d);
    char yy[8];
    if (f->century)
        snprintf(yy, sizeof yy, "%04d", y);
    else
        snprintf(yy, sizeof yy, "%02d", y % 100);
    if (f->n_cells == 3) {
        snprintf(cells[0], CQ_FORM_CELL_LEN, "%02d", m);
        snprintf(cells[1], CQ_FORM_CELL_LEN, "%02d", d);
        s_copy(cells[2], yy);
        return 3;
    }
    snprintf(cells[0], CQ_FORM_CELL_LEN, "%02d %02d %s", m, d, yy);
    return 1;
}

//  Money: dollars right-aligned in the first cell, cents in the second;
//  one cell "150 00" when the field has no cells (the point is never
//  printed: payers ask for dollars and cents in separate cells).
static int
s_print_money(const cq_form_field_t *f, int64_t cents,
              char cells[CQ_FORM_MAX_CELLS][CQ_FORM_CELL_LEN])
{
    if (cents < 0)
        return 0;
    long long dollars = (long long)(cents / 100);
    int c = (int)(cents % 100);
    if (f->n_cells == 2) {
        int w = f->cells[0].width > 20 ? 20 : f->cells[0].width;
        snprintf(cells[0], CQ_FORM_CELL_LEN, "%*lld", w, dollars);
        snprintf(cells[1], CQ_FORM_CELL_LEN, "%02d", c);
        return 2;
    }
    snprintf(cells[0], CQ_FORM_CELL_LEN, "%lld %02d", dollars, c);
    return 1;
}

static int
s_print_str(const char *s, char cells[CQ_FORM_MAX_CELLS][CQ_FORM_CELL_LEN])
{
    if (s == NULL || s[0] == '\0')
        return 0;
    s_copy(cells[0], s);
    return 1;
}

int
cq_form_field_print(const cq_form_field_t *f, const cq_claim_t *c,
                    char cells[CQ_FORM_MAX_CELLS][CQ_FORM_CELL_LEN])
{
    for (int i = 0; i < CQ_FORM_MAX_CELLS; i++)
        cells[i][0] = '\0';
    const cq_line_t *l = s_line(f, c);
    if (f->line > 0 && l == NULL)
        return 0;
    char tmp[CQ_FORM_CELL_LEN];
    switch (f->key) {
    case CQ_FK_PAYER_ID:
        return s_print_str(c->payer_id, cells);
    case CQ_FK_MEMBER_ID:
        return s_print_str(c->member.id, cells);
    case CQ_FK_MEMBER_NAME:
        if (c->member.last_name[0] == '\0')
            return 0;
        if (c->member.first_name[0] != '\0')
            snprintf(cells[0], CQ_FORM_CELL_LEN, "%s, %s", c->member.last_name,
                     c->member.first_name);
        else
            s_copy(cells[0], c->member.last_name);
        return 1;
    case CQ_FK_MEMBER_BIRTH:
        return s_print_date(f, c->member.birth_date, cells);
    case CQ_FK_MEMBER_SEX:
        for (int i = 0; i < f->n_choices; i++)
            if (f->choices[i].value == c->member.sex) {
                tmp[0] = c->member.sex;
                tmp[1] = '\0';
                s_copy(cells[0], tmp);
                return 1;
            }
        return 0;
    case CQ_FK_FREQUENCY:
        if (c->frequency == '1' || c->frequency == '\0')
            return 0;
        tmp[0] = c->frequency;
        tmp[1] = '\0';
        return s_print_str(tmp, cells);
    case CQ_FK_ORIGINAL_ID:
        if (c->frequency != '7' && c->frequency != '8')
            return 0;
        return s_print_str(c->original_claim_id, cells);
    case CQ_FK_PRIOR_AUTH:
        return s_print_str(c->prior_auth, cells);
    case CQ_FK_DIAGNOSIS: {
        if (f->index > c->n_diagnoses)
            return 0;
        size_t k = 0;
        for (const char *p = c->diagnoses[f->index - 1]; *p; p++)
            if (*p != '.' && k + 1 < sizeof tmp)
                tmp[k++] = *p;
        tmp[k] = '\0';
        return s_print_str(tmp, cells);
    }
    case CQ_FK_TAX_ID: {
        size_t k = 0;
        for (const char *p = c->billing_tax_id; *p; p++)
            if (*p != '-' && k + 1 < sizeof tmp)
                tmp[k++] = *p;
        tmp[k] = '\0';
        return s_print_str(tmp, cells);
    }
    case CQ_FK_CLAIM_ID:
        return s_print_str(c->claim_id, cells);
    case CQ_FK_TOTAL:
        return s_print_money(f, c->total_charge, cells);
    case CQ_FK_BILLING_NAME:
        return s_print_str(c->billing_name, cells);
    case CQ_FK_BILLING_NPI:
        return s_print_str(c->billing_npi, cells);
    case CQ_FK_RECEIVED:
        return s_print_date(f, c->received_date, cells);
    case CQ_FK_L_FROM:
        return s_print_date(f, l->service_date, cells);
    case CQ_FK_L_TO:
        //  Billing software prints the from date again for one day.
        return s_print_date(f,
                            l->service_date_end != CQ_DATE_NONE
                                ? l->service_date_end
                                : l->service_date,
                            cells);
    case CQ_FK_L_POS:
        return s_print_str(l->place_of_service, cells);
    case CQ_FK_L_PROC:
        return s_print_str(l->procedure, cells);
    case CQ_FK_L_MODS: {
        if (l->n_modifiers == 0)
            return 0;
        if (f->n_cells > 0) {
            int n = 0;
            for (int i = 0; i < l->n_modifiers && i < f->n_cells; i++)
                s_copy(cells[n++], l->modifiers[i]);
            return n;
        }
        size_t k = 0;
        for (int i = 0; i < l->n_modifiers; i++)
            k += (size_t)snprintf(tmp + k, sizeof tmp - k, "%s%s", i ? " " : "",
                                  l->modifiers[i]);
        return s_print_str(tmp, cells);
    }
    case CQ_FK_L_PTRS: {
        int k = 0;
        for (int i = 0; i < l->n_pointers && i < CQ_MAX_POINTERS; i++)
            if (l->dx_pointers[i] >= 1 && l->dx_pointers[i] <= CQ_MAX_DX)
                tmp[k++] = (char)('A' + l->dx_pointers[i] - 1);
        tmp[k] = '\0';
        return s_print_str(tmp, cells);
    }
    case CQ_FK_L_CHARGE:
        return s_print_money(f, l->charge, cells);
    case CQ_FK_L_UNITS:
        if (l->units_milli <= 0)
            return 0;
        snprintf(cells[0], CQ_FORM_CELL_LEN, "%lld",
                 (long long)(l->units_milli / 1000));
        return 1;
    case CQ_FK_L_NPI:
        return s_print_str(l->rendering_npi, cells);
    }
    return 0;
}

void
cq_form_field_value(const cq_form_field_t *f, const cq_claim_t *c, char *out,
                    size_t outsize)
{
    assert(outsize > 0);
    out[0] = '\0';
    const cq_line_t *l = s_line(f, c);
    if (f->line > 0 && l == NULL)
        return;
    char cells[CQ_FORM_MAX_CELLS][CQ_FORM_CELL_LEN];
    int32_t day = CQ_DATE_NONE;
    int64_t cents = -1;
    switch (f->key) {
    case CQ_FK_MEMBER_BIRTH:
        day = c->member.birth_date;
        break;
    case CQ_FK_RECEIVED:
        day = c->received_date;
        break;
    case CQ_FK_L_FROM:
        day = l->service_date;
        break;
    case CQ_FK_L_TO:
        day = l->service_date_end != CQ_DATE_NONE ? l->service_date_end
                                                  : l->service_date;
        break;
    case CQ_FK_TOTAL:
        cents = c->total_charge;
        break;
    case CQ_FK_L_CHARGE:
        cents = l->charge;
        break;
    case CQ_FK_DIAGNOSIS:
        if (f->index <= c->n_diagnoses)
            snprintf(out, outsize, "%s", c->diagnoses[f->index - 1]);
        return;
    case CQ_FK_MEMBER_SEX:
        if (cq_form_field_print(f, c, cells) == 0) {
            if (f->blank_value)
                snprintf(out, outsize, "%c", f->blank_value);
            return;
        }
        snprintf(out, outsize, "%s", cells[0]);
        return;
    default: {
        int n = cq_form_field_print(f, c, cells);
        size_t k = 0;
        for (int i = 0; i < n && k + 1 < outsize; i++)
            k += (size_t)snprintf(out + k, outsize - k, "%s%s", i ? " " : "",
                                  cells[i]);
        return;
    }
    }
    if (f->type == CQ_FT_DATE) {
        if (day != CQ_DATE_NONE) {
            char iso[CQ_DATE_STRLEN];
            snprintf(out, outsize, "%s", cq_date_format(day, iso));
        }
        return;
    }
    if (cents >= 0) {
        char m[CQ_MONEY_STRLEN];
        snprintf(out, outsize, "%s", cq_money_format(cents, m));
    }
}

//  ---------------------------------------------------------------------
//  Fitting a claim to one form.

static void
s_upper(char *s)
{
    for (; *s; s++)
        if (*s >= 'a' && *s <= 'z')
            *s = (char)(*s - 'a' + 'A');
}

static void
s_truncate(char *s, size_t max)
{
    if (strlen(s) > max)
        s[max] = '\0';
}

int
cq_form_fit_claim(const cq_form_t *self, cq_claim_t *c, cq_diag_t *diag)
{
    if (c->type != CQ_CLAIM_PROFESSIONAL)
        return cq_diag_set(diag, CQ_EUNSUPPORTED, 0,
                           "type: an institutional claim does not go on a "
                           "CMS-1500");
    if (c->n_lines > self->n_service_lines) {
        c->n_lines = (uint8_t)self->n_service_lines;
        int64_t sum = 0;
        for (int i = 0; i < c->n_lines; i++)
            sum += c->lines[i].charge;
        c->total_charge = sum;
    }
    //  The received date goes on the form as the mailroom's stamp, when
    //  the template has a place for it.
    bool stamp = false;
    for (size_t i = 0; i < self->n_fields; i++)
        stamp |= self->fields[i].key == CQ_FK_RECEIVED;
    if (!stamp)
        c->received_date = CQ_DATE_NONE;
    if (c->member.sex != 'M' && c->member.sex != 'F')
        c->member.sex = 'U';
    if (c->frequency != '7' && c->frequency != '8')
        c->original_claim_id[0] = '\0';
    for (int i = 0; i < c->n_lines; i++) {
        cq_line_t *l = &c->lines[i];
        if (l->units_milli % 1000 != 0 || l->units_milli <= 0)
            return cq_diag_set(diag, CQ_ETOOBIG, 0,
                               "line%d.units: not a whole number of units",
                               i + 1);
        if (l->service_date_end == l->service_date)
            l->service_date_end = CQ_DATE_NONE;
        if (l->charge < 0)
            return cq_diag_set(diag, CQ_ETOOBIG, 0, "line%d.charge: negative",
                               i + 1);
    }
    //  The form is typed in capitals (payers ask for them; names compare
    //  without case). An identifier with lower-case letters cannot be
    //  typed faithfully.
    s_upper(c->member.last_name);
    s_upper(c->member.first_name);
    s_upper(c->billing_name);
    const char *ids[] = {c->claim_id, c->payer_id, c->member.id, c->prior_auth,
                         c->original_claim_id};
    static const char *id_names[] = {"claim_id", "payer_id", "member.id",
                                     "prior_auth", "original_claim_id"};
    for (size_t i = 0; i < CQ_ARRAY_LEN(ids); i++)
        for (const char *q = ids[i]; *q; q++)
            if (*q >= 'a' && *q <= 'z')
                return cq_diag_set(diag, CQ_EUNSUPPORTED, 0,
                                   "%s: lower-case letters cannot be typed "
                                   "on the form",
                                   id_names[i]);
    //  Names are cut to their box, as billing software does.
    for (size_t i = 0; i < self->n_fields; i++) {
        const cq_form_field_t *f = &self->fields[i];
        if (f->key == CQ_FK_MEMBER_NAME) {
            size_t last = strlen(c->member.last_name);
            if (last + 3 > f->width) {
                s_truncate(c->member.last_name,
                           f->width > 3 ? f->width - 3u : 1u);
                last = strlen(c->member.last_name);
            }
            s_truncate(c->member.first_name, f->width - last - 2);
        } else if (f->key == CQ_FK_BILLING_NAME) {
            s_truncate(c->billing_name, f->width);
        }
    }
    //  Everything else must fit its cells.
    for (size_t i = 0; i < self->n_fields; i++) {
        const cq_form_field_t *f = &self->fields[i];
        char cells[CQ_FORM_MAX_CELLS][CQ_FORM_CELL_LEN];
        int n = cq_form_field_print(f, c, cells);
        for (int k = 0; k < n && k < CQ_FORM_MAX_CELLS; k++) {
            size_t w = f->n_cells ? f->cells[k].width : f->width;
            if (f->type == CQ_FT_CHECK)
                w = 1;
            size_t len = strnlen(cells[k], sizeof cells[k]);
            if (len > w)
                return cq_diag_set(diag, CQ_ETOOBIG, 0,
                                   "%s: %zu characters do not fit box %s "
                                   "(%zu)",
                                   f->name, len, f->box, w);
        }
    }
    //  A line whose pointer names a diagnosis the form cannot show.
    for (int i = 0; i < c->n_lines; i++)
        for (int k = 0; k < c->lines[i].n_pointers; k++)
            if (c->lines[i].dx_pointers[k] > c->n_diagnoses)
                return cq_diag_set(diag, CQ_ETOOBIG, 0,
                                   "line%d.diagnosis_pointers: points past "
                                   "the diagnoses",
                                   i + 1);
    return 0;
}
