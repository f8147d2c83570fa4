//  fuzz_form.c: bytes -> the form template decoder (ocr/form.c), then
//  every field of a template that parsed is printed for a sample claim.
#include "form.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cq_form_t *f = NULL;
    cq_diag_t d = {0};
    if (cq_form_parse((const char *)data, size, &f, &d) != 0) {
        if (d.msg[0] == '\0')
            __builtin_trap(); // a refusal always says why
        return 0;
    }
    cq_claim_t c;
    cq_claim_init(&c);
    strcpy(c.claim_id, "PCN-1");
    strcpy(c.member.id, "W100000001");
    strcpy(c.member.last_name, "DOE");
    strcpy(c.member.first_name, "JANE");
    c.member.birth_date = cq_date_from_ymd(1980, 4, 12);
    c.member.sex = 'F';
    strcpy(c.diagnoses[0], "E11.9");
    c.n_diagnoses = 1;
    c.n_lines = 1;
    strcpy(c.lines[0].procedure, "99213");
    c.lines[0].service_date = cq_date_from_ymd(2026, 2, 20);
    c.lines[0].service_date_end = CQ_DATE_NONE;
    c.lines[0].units_milli = 1000;
    c.lines[0].charge = 15000;
    c.lines[0].dx_pointers[0] = 1;
    c.lines[0].n_pointers = 1;
    strcpy(c.lines[0].modifiers[0], "25");
    c.lines[0].n_modifiers = 1;
    c.total_charge = 15000;
    for (size_t i = 0; i < f->n_fields; i++) {
        char cells[CQ_FORM_MAX_CELLS][CQ_FORM_CELL_LEN];
        char v[CQ_FORM_CELL_LEN];
        cq_form_field_print(&f->fields[i], &c, cells);
        cq_form_field_value(&f->fields[i], &c, v, sizeof v);
    }
    cq_form_fit_claim(f, &c, NULL);
    cq_form_destroy(&f);
    return 0;
}
