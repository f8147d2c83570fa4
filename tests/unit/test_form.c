//  test_form.c: the paper form template (ocr/form.h): the shipped
//  CMS-1500 template, malformed templates, printing and fitting claims.
#include "cq_test.h"
#include "form.h"
#include "mem.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cq_form_t *
s_shipped(void)
{
    cq_form_t *f = NULL;
    cq_diag_t d = {0};
    int rc = cq_form_load(cq_test_src("schemas/forms/cms1500.json"), &f, &d);
    cr_assert_eq(rc, 0, "load: %s", d.msg);
    return f;
}

static const cq_form_field_t *
s_field(const cq_form_t *f, const char *name)
{
    for (size_t i = 0; i < f->n_fields; i++)
        if (strcmp(f->fields[i].name, name) == 0)
            return &f->fields[i];
    cr_assert_fail("no field %s", name);
    return NULL;
}

Test(form, shipped_template_is_on_the_print_matrix)
{
    cq_form_t *f = s_shipped();
    cr_assert_str_eq(f->name, "cms1500");
    cr_assert_eq(f->cpi, 10);
    cr_assert_eq(f->lpi, 6);
    //  first print position: 1.33 in from the top, 0.3 in from the left
    cr_assert(fabs(cq_form_y_in(f, f->first_row) - 1.3333) < 1e-3);
    cr_assert(fabs(cq_form_x_in(f, 1) - 0.3) < 1e-9);
    cr_assert(fabs(cq_form_x_in(f, 11) - 1.3) < 1e-9);
    cr_assert(fabs(cq_form_y_in(f, f->first_row + 6) - 2.3333) < 1e-3);
    //  25 claim fields, the received-date stamp and 9 per service line,
    //  6 lines
    cr_assert_eq(f->n_service_lines, 6);
    cr_assert_eq(f->n_fields, 25 + 1 + 6 * 9);
    const cq_form_field_t *stamp = s_field(f, "received_date");
    cr_assert_eq(stamp->type, CQ_FT_DATE);
    cr_assert_not(stamp->required);
    const cq_form_field_t *id = s_field(f, "member.id");
    cr_assert_eq(id->type, CQ_FT_ID);
    cr_assert_eq(id->row, 8);
    cr_assert_eq(id->col, 50);
    cr_assert_eq(id->width, 17);
    cr_assert(id->required);
    cr_assert_str_eq(id->box, "1a");
    const cq_form_field_t *dob = s_field(f, "member.birth_date");
    cr_assert_eq(dob->type, CQ_FT_DATE);
    cr_assert(dob->century);
    cr_assert_eq(dob->n_cells, 3);
    const cq_form_field_t *l6 = s_field(f, "line6.charge");
    cr_assert_eq(l6->line, 6);
    cr_assert_eq(l6->row, 44 + 5 * 2);
    cr_assert_eq(l6->type, CQ_FT_MONEY);
    cr_assert_eq(l6->n_cells, 2);
    const cq_form_field_t *dx = s_field(f, "diagnoses.L");
    cr_assert_eq(dx->index, 12);
    cr_assert_eq(dx->type, CQ_FT_ICD10);
    const cq_form_field_t *sex = s_field(f, "member.sex");
    cr_assert_eq(sex->type, CQ_FT_CHECK);
    cr_assert_eq(sex->n_choices, 2);
    cr_assert_eq(sex->choices[1].value, 'F');
    cr_assert_eq(sex->blank_value, 'U');
    cr_assert_gt(f->n_lines, 20);
    cr_assert_gt(f->n_labels, 50);
    cq_form_destroy(&f);
    cr_assert_null(f);
    cq_form_destroy(&f); // idempotent
}

Test(form, load_default_honours_env_and_reports_missing)
{
    cq_form_t *f = NULL;
    cq_diag_t d = {0};
    setenv("CQ_FORM", cq_test_src("schemas/forms/cms1500.json"), 1);
    cr_assert_eq(cq_form_load_default(NULL, &f, &d), 0, "%s", d.msg);
    cq_form_destroy(&f);
    setenv("CQ_FORM", "/nonexistent/form.json", 1);
    cr_assert_eq(cq_form_load_default(NULL, &f, &d), CQ_ENOTFOUND);
    cr_assert_null(f);
    cr_assert(strstr(d.msg, "/nonexistent/form.json") != NULL);
    unsetenv("CQ_FORM");
}

//  A minimal valid template; tests splice one bad item into it.
#define S_HEAD                                                                 \
    "{\"form\": \"t\", \"page\": {\"width_in\": 8.5, \"height_in\": 11},"      \
    " \"matrix\": {\"cpi\": 10, \"lpi\": 6, \"first_row\": 8, "                \
    "\"first_col\": 1, \"top_in\": 1.3333, \"left_in\": 0.3},"                 \
    " \"frame\": {\"top\": 7, \"bottom\": 62, \"left\": 0.6, \"right\": "      \
    "79.6},"
#define S_FIELD(x)                                                             \
    " \"fields\": [{\"name\": \"member.id\", \"type\": \"id\", \"row\": 8, "   \
    "\"col\": 50, \"width\": 17}" x "]}"

static int
s_parse(const char *json, cq_diag_t *d)
{
    cq_form_t *f = NULL;
    memset(d, 0, sizeof *d);
    int rc = cq_form_parse(json, strlen(json), &f, d);
    if (rc == 0)
        cr_assert_not_null(f);
    else
        cr_assert_null(f);
    cq_form_destroy(&f);
    return rc;
}

Test(form, minimal_template_parses)
{
    cq_diag_t d;
    cr_assert_eq(s_parse(S_HEAD S_FIELD(""), &d), 0, "%s", d.msg);
}

Test(form, malformed_templates_are_refused_naming_the_item)
{
    static const struct {
        const char *json;
        const char *needle; // in diag.msg
    } cases[] = {
        {"", "not JSON"},
        {"{\"form\": ", "not JSON"},
        {"[1, 2]", "not a JSON object"},
        {"{\"form\": \"t\"}", "page"},
        {"{\"form\": \"t\", \"form\": \"u\"}", "not JSON"},
        {S_HEAD "\"fields\": 3}", "fields"},
        {S_HEAD "\"fields\": [7]}", "fields[0]"},
        {S_HEAD S_FIELD(", {\"name\": \"bogus\", \"type\": \"id\", \"row\": 1, "
                        "\"col\": 1, \"width\": 1}"),
         "not a known claim field"},
        {S_HEAD S_FIELD(", {\"name\": \"total_charge\", \"type\": \"date\", "
                        "\"row\": 56, \"col\": 52, \"width\": 8, "
                        "\"format\": \"MM DD YY\"}"),
         "must be \"money\""},
        {S_HEAD S_FIELD(", {\"name\": \"total_charge\", \"type\": \"nope\", "
                        "\"row\": 56, \"col\": 52, \"width\": 8}"),
         "unknown type"},
        {S_HEAD S_FIELD(", {\"name\": \"member.id\", \"type\": \"id\", "
                        "\"row\": 9, \"col\": 50, \"width\": 17}"),
         "appears twice"},
        {S_HEAD S_FIELD(", {\"name\": \"claim_id\", \"type\": \"id\", "
                        "\"row\": 56, \"col\": 85, \"width\": 14}"),
         "past the last column"},
        {S_HEAD S_FIELD(", {\"name\": \"claim_id\", \"type\": \"id\", "
                        "\"row\": 99, \"col\": 1, \"width\": 4}"),
         "out of range"},
        {S_HEAD S_FIELD(", {\"name\": \"claim_id\", \"type\": \"id\", "
                        "\"row\": 56, \"col\": 1.5, \"width\": 4}"),
         "not an integer"},
        {S_HEAD S_FIELD(", {\"name\": \"total_charge\", \"type\": \"money\", "
                        "\"row\": 56, \"col\": 52, \"width\": 8, "
                        "\"cells\": [[40, 5], [58, 2]]}"),
         "outside the zone"},
        {S_HEAD S_FIELD(", {\"name\": \"total_charge\", \"type\": \"money\", "
                        "\"row\": 56, \"col\": 52, \"width\": 8, "
                        "\"cells\": [[52, 5], [53, 2]]}"),
         "overlap"},
        {S_HEAD S_FIELD(", {\"name\": \"member.birth_date\", \"type\": "
                        "\"date\", \"row\": 10, \"col\": 31, \"width\": 10, "
                        "\"format\": \"YYYY\"}"),
         "format"},
        {S_HEAD S_FIELD(", {\"name\": \"member.sex\", \"type\": \"check\", "
                        "\"row\": 10}"),
         "choices"},
        {S_HEAD S_FIELD(", {\"name\": \"member.name\", \"type\": \"name\", "
                        "\"row\": 10, \"col\": 1, \"width\": 28, "
                        "\"box\": \"\\u0000x\"}"),
         "not JSON"},
        {S_HEAD
         "\"lines\": [{\"h\": 9, \"v\": 3, \"from\": 1, \"to\": 2}]," S_FIELD(
             ""),
         "lines[0]"},
        {S_HEAD "\"lines\": [{\"h\": 9, \"from\": 5, \"to\": 2}]," S_FIELD(""),
         "greater than"},
        {S_HEAD "\"labels\": [{\"row\": 1, \"col\": 1, \"rotate\": 45, "
                "\"text\": \"x\"}]," S_FIELD(""),
         "rotate"},
        {S_HEAD "\"service_lines\": {\"count\": 7, \"first_row\": 44, "
                "\"row_step\": 2, \"fields\": []}," S_FIELD(""),
         "count"},
        {S_HEAD "\"service_lines\": {\"count\": 6, \"first_row\": 44, "
                "\"row_step\": 2, \"fields\": [{\"name\": \"member.id\", "
                "\"type\": \"id\", \"col\": 1, \"width\": 3}]}," S_FIELD(""),
         "not a service line field"},
        {"{\"form\": \"t\", \"page\": {\"width_in\": 8.5, \"height_in\": 11},"
         " \"matrix\": {\"cpi\": 10, \"lpi\": 6, \"first_row\": 8, "
         "\"first_col\": 1, \"top_in\": 1.3333, \"left_in\": 0.3},"
         " \"frame\": {\"top\": 7, \"bottom\": 9, \"left\": 0.6, "
         "\"right\": 79.6}," S_FIELD(""),
         "half"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cq_diag_t d;
        int rc = s_parse(cases[i].json, &d);
        cr_assert_eq(rc, CQ_EPROTO, "case %zu parsed (rc %d)", i, rc);
        cr_assert(strstr(d.msg, cases[i].needle) != NULL,
                  "case %zu: \"%s\" lacks \"%s\"", i, d.msg, cases[i].needle);
    }
}

Test(form, oversized_template_is_refused_before_parsing)
{
    size_t n = CQ_FORM_MAX_JSON + 1;
    char *big = cq_xmalloc(n);
    memset(big, ' ', n);
    cq_form_t *f = NULL;
    cq_diag_t d = {0};
    cr_assert_eq(cq_form_parse(big, n, &f, &d), CQ_ETOOBIG);
    cr_assert_null(f);
    free(big);
}

static void
s_claim(cq_claim_t *c)
{
    cq_claim_init(c);
    strcpy(c->claim_id, "PCN-000123");
    strcpy(c->payer_id, "ACME");
    strcpy(c->member.id, "W100000001");
    strcpy(c->member.last_name, "DOE");
    strcpy(c->member.first_name, "JANE");
    c->member.birth_date = cq_date_from_ymd(1980, 4, 12);
    c->member.sex = 'F';
    strcpy(c->billing_npi, "1234567893");
    strcpy(c->billing_tax_id, "12-3456789");
    strcpy(c->billing_name, "NORTH CLINIC");
    strcpy(c->diagnoses[0], "E11.9");
    strcpy(c->diagnoses[1], "I10");
    c->n_diagnoses = 2;
    c->n_lines = 2;
    for (int i = 0; i < 2; i++) {
        cq_line_t *l = &c->lines[i];
        strcpy(l->procedure, i ? "81002" : "99213");
        l->service_date = cq_date_from_ymd(2026, 2, 20);
        l->service_date_end = CQ_DATE_NONE;
        strcpy(l->place_of_service, "11");
        l->units_milli = 1000;
        l->charge = i ? 10000 : 15000;
        l->dx_pointers[0] = 1;
        l->n_pointers = 1;
    }
    strcpy(c->lines[0].modifiers[0], "25");
    strcpy(c->lines[0].modifiers[1], "59");
    c->lines[0].n_modifiers = 2;
    c->lines[1].dx_pointers[1] = 2;
    c->lines[1].n_pointers = 2;
    c->total_charge = 25000;
}

Test(form, prints_values_the_way_billing_software_types_them)
{
    cq_form_t *f = s_shipped();
    cq_claim_t c;
    s_claim(&c);
    char cells[CQ_FORM_MAX_CELLS][CQ_FORM_CELL_LEN];
    char v[128];

    cr_assert_eq(
        cq_form_field_print(s_field(f, "member.birth_date"), &c, cells), 3);
    cr_assert_str_eq(cells[0], "04");
    cr_assert_str_eq(cells[1], "12");
    cr_assert_str_eq(cells[2], "1980");
    cq_form_field_value(s_field(f, "member.birth_date"), &c, v, sizeof v);
    cr_assert_str_eq(v, "1980-04-12");

    cr_assert_eq(
        cq_form_field_print(s_field(f, "line1.service_date"), &c, cells), 3);
    cr_assert_str_eq(cells[2], "26");
    //  one-day service: the to-date repeats the from-date
    cq_form_field_value(s_field(f, "line1.service_date_end"), &c, v, sizeof v);
    cr_assert_str_eq(v, "2026-02-20");

    cr_assert_eq(cq_form_field_print(s_field(f, "line1.charge"), &c, cells), 2);
    cr_assert_str_eq(cells[0], "  150"); // dollars right-aligned
    cr_assert_str_eq(cells[1], "00");
    cq_form_field_value(s_field(f, "total_charge"), &c, v, sizeof v);
    cr_assert_str_eq(v, "250.00");

    cr_assert_eq(cq_form_field_print(s_field(f, "diagnoses.A"), &c, cells), 1);
    cr_assert_str_eq(cells[0], "E119"); // no point on the form
    cq_form_field_value(s_field(f, "diagnoses.A"), &c, v, sizeof v);
    cr_assert_str_eq(v, "E11.9");
    cr_assert_eq(cq_form_field_print(s_field(f, "diagnoses.C"), &c, cells), 0);

    cr_assert_eq(cq_form_field_print(s_field(f, "line1.modifiers"), &c, cells),
                 2);
    cr_assert_str_eq(cells[1], "59");
    cq_form_field_value(s_field(f, "line1.modifiers"), &c, v, sizeof v);
    cr_assert_str_eq(v, "25 59");
    cq_form_field_value(s_field(f, "line2.diagnosis_pointers"), &c, v,
                        sizeof v);
    cr_assert_str_eq(v, "AB");
    cq_form_field_value(s_field(f, "billing_provider.tax_id"), &c, v, sizeof v);
    cr_assert_str_eq(v, "123456789"); // no hyphen in box 25
    cq_form_field_value(s_field(f, "member.name"), &c, v, sizeof v);
    cr_assert_str_eq(v, "DOE, JANE");
    cq_form_field_value(s_field(f, "member.sex"), &c, v, sizeof v);
    cr_assert_str_eq(v, "F");
    c.member.sex = 'U';
    cq_form_field_value(s_field(f, "member.sex"), &c, v, sizeof v);
    cr_assert_str_eq(v, "U"); // nothing marked
    cr_assert_eq(cq_form_field_print(s_field(f, "frequency"), &c, cells), 0);
    c.frequency = '7';
    strcpy(c.original_claim_id, "PCN-000100");
    cq_form_field_value(s_field(f, "original_claim_id"), &c, v, sizeof v);
    cr_assert_str_eq(v, "PCN-000100");
    //  lines the claim does not have are blank
    cq_form_field_value(s_field(f, "line3.procedure"), &c, v, sizeof v);
    cr_assert_str_eq(v, "");
    cq_form_destroy(&f);
}

Test(form, fit_keeps_six_lines_and_refuses_what_does_not_fit)
{
    cq_form_t *f = s_shipped();
    cq_claim_t c;
    cq_diag_t d = {0};

    s_claim(&c);
    c.n_lines = 8;
    c.total_charge = 0;
    for (int i = 0; i < 8; i++) {
        c.lines[i] = c.lines[1];
        c.lines[i].charge = 1000 * (i + 1);
        c.total_charge += c.lines[i].charge;
    }
    c.received_date = cq_date_from_ymd(2026, 3, 1);
    cr_assert_eq(cq_form_fit_claim(f, &c, &d), 0, "%s", d.msg);
    cr_assert_eq(c.n_lines, 6);
    cr_assert_eq(c.total_charge, 1000 * (1 + 2 + 3 + 4 + 5 + 6));
    //  the shipped form has the mailroom's stamp: the date stays
    cr_assert_eq(c.received_date, cq_date_from_ymd(2026, 3, 1));

    s_claim(&c);
    strcpy(c.member.last_name, "AVERYVERYLONGFAMILYNAME");
    strcpy(c.member.first_name, "ALEXANDRA");
    cr_assert_eq(cq_form_fit_claim(f, &c, &d), 0);
    cr_assert_leq(strlen(c.member.last_name) + 2 + strlen(c.member.first_name),
                  28);

    s_claim(&c);
    strcpy(c.member.last_name, "Doe");
    cr_assert_eq(cq_form_fit_claim(f, &c, &d), 0);
    cr_assert_str_eq(c.member.last_name, "DOE"); // typed in capitals
    strcpy(c.claim_id, "pcn-1");
    memset(&d, 0, sizeof d);
    cr_assert_eq(cq_form_fit_claim(f, &c, &d), CQ_EUNSUPPORTED);
    cr_assert(strstr(d.msg, "claim_id") != NULL, "%s", d.msg);

    s_claim(&c);
    c.lines[0].units_milli = 1500;
    memset(&d, 0, sizeof d);
    cr_assert_eq(cq_form_fit_claim(f, &c, &d), CQ_ETOOBIG);
    cr_assert(strstr(d.msg, "line1.units") != NULL, "%s", d.msg);

    s_claim(&c);
    strcpy(c.claim_id, "A-CLAIM-ID-TOO-LONG-FOR-BOX-26");
    memset(&d, 0, sizeof d);
    cr_assert_eq(cq_form_fit_claim(f, &c, &d), CQ_ETOOBIG);
    cr_assert(strstr(d.msg, "claim_id") != NULL, "%s", d.msg);

    s_claim(&c);
    c.lines[0].charge = 10000000; // 100000.00 does not fit 5 digits
    c.total_charge = 10000000 + 10000;
    memset(&d, 0, sizeof d);
    cr_assert_eq(cq_form_fit_claim(f, &c, &d), CQ_ETOOBIG);

    s_claim(&c);
    c.type = CQ_CLAIM_INSTITUTIONAL;
    cr_assert_eq(cq_form_fit_claim(f, &c, NULL), CQ_EUNSUPPORTED);
    cq_form_destroy(&f);
}
