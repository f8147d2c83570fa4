//  test_x12_conformance.c: every file of the shared X12 samples
//  (CQ_CONFORMANCE_DIR/x12, see its SOURCES.md) is handled, with the
//  numbers read from each file by hand: claim count, total charge, claim
//  ids, lines; the 835s recognised as 835s and balancing; the broken file
//  reporting its errors. A new file in the folder fails the test until it
//  is given its expectations here.
#include "cq_test.h"
#include "doc.h"
#include "money.h"
#include "x12.h"
#include "x12_fixture.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *file;
    const char *kind;      // report.kind
    int rc;                // cq_x12_parse's return (claims) or error
    const char *message;   // diag when rc < 0
    int64_t total;         // sum of CLM02 (837), or of BPR02 (835)
    const char *claim_ids; // "id id " in order (837 and 835)
    int lines;             // service lines (837) or SVC loops (835)
    int refused;           // transaction sets refused
} s_expect_t;

static const s_expect_t s_files[] = {
    {"LinuxForHealth_x12_demo.ambulance.example5.837", "837P", 1, NULL, 76650,
     "051068 ", 4, 0},
    {"LinuxForHealth_x12_demo.cob.example3.A.837", "837P", 1, NULL, 7904,
     "26407789 ", 3, 0},
    {"LinuxForHealth_x12_demo.cob.example4.837", "837P", 1, NULL, 12000,
     "101KEN6055 ", 1, 0},
    {"LinuxForHealth_x12_demo.drug.example10.1.837", "837P", 1, NULL, 10337,
     "CLMNO12345 ", 2, 0},
    {"LinuxForHealth_x12_demo.example1.837", "837P", 1, NULL, 10000,
     "26463774 ", 4, 0},
    {"LinuxForHealth_x12_demo.example2.837", "837P", 1, NULL, 10000,
     "26462967 ", 4, 0},
    {"LinuxForHealth_x12_two-claims-single-provider.837i", "837I", 2, NULL,
     13995, "756048Q 756049Q ", 3, 0},
    {"LinuxForHealth_x12_managed-care.835", "835", CQ_EUNSUPPORTED,
     "an 835 remittance, not an 837 claim file", 94500,
     "5554555444 8765432112 ", 2, 0},
    {"LinuxForHealth_x12_medicare-part-a.835", "835", CQ_EUNSUPPORTED,
     "an 835 remittance, not an 837 claim file", 15000000, "666123 777777 ", 0,
     0},
    {"LinuxForHealth_x12_secondary-payment.835", "835", CQ_EUNSUPPORTED,
     "an 835 remittance, not an 837 claim file", 122200,
     "L0004828311 0001000053 ", 2, 0},
    {"imsweb_x12-parser_x12_999_rejected.txt", "999", CQ_EUNSUPPORTED,
     "a 999 acknowledgment, not an 837 claim file", 0, "", 0, 0},
    {"imsweb_x12-parser_x12_valid_different_separators.txt", "837P", 0, NULL, 0,
     "", 0, 1},
    {"SOURCES.md", "", CQ_EPROTO,
     "not X12: the document does not start with ISA", 0, "", 0, 0},
};

typedef struct {
    char ids[256];
    int lines;
    int invalid;
    cq_claim_t first;
    int n;
} s_got_t;

static int
s_on_claim(void *arg, cq_claim_t *c)
{
    s_got_t *g = arg;
    strncat(g->ids, c->claim_id, sizeof g->ids - strlen(g->ids) - 2);
    strcat(g->ids, " ");
    g->lines += c->n_lines;
    g->invalid += c->invalid;
    if (g->n++ == 0)
        g->first = *c;
    return 0;
}

static int
s_on_835(void *arg, const cq_x12_835_claim_t *c)
{
    s_got_t *g = arg;
    strncat(g->ids, c->claim_id, sizeof g->ids - strlen(g->ids) - 2);
    strcat(g->ids, " ");
    g->lines += c->n_services;
    g->n++;
    return 0;
}

static char *
s_read(const char *name, size_t *len)
{
    const char *dir = cq_test_conformance();
    char path[1024];
    snprintf(path, sizeof path, "%s/x12/%s", dir, name);
    char *buf = NULL;
    cr_assert_eq(cq_read_file(path, CQ_X12_MAX_DOC, &buf, len), 0, "%s", path);
    return buf;
}

static const s_expect_t *
s_expect(const char *name)
{
    for (size_t i = 0; i < CQ_ARRAY_LEN(s_files); i++)
        if (strcmp(s_files[i].file, name) == 0)
            return &s_files[i];
    return NULL;
}

Test(x12_conformance, every_file_is_handled)
{
    const char *dir = cq_test_conformance();
    if (dir == NULL)
        cr_skip_test("no conformance folder (CQ_CONFORMANCE_DIR)");
    char path[1024];
    snprintf(path, sizeof path, "%s/x12", dir);
    DIR *d = opendir(path);
    if (d == NULL)
        cr_skip_test("no x12 conformance folder at %s", path);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        const s_expect_t *x = s_expect(e->d_name);
        cr_assert_not_null(x, "%s: a new sample without expectations",
                           e->d_name);
        size_t len;
        char *buf = s_read(e->d_name, &len);
        s_got_t got;
        memset(&got, 0, sizeof got);
        cq_x12_report_t rep;
        cq_diag_t diag = {0};
        int rc = cq_x12_parse(buf, len, s_on_claim, &got, &rep, &diag);
        cr_assert_eq(rc, x->rc, "%s: %d (%s)", x->file, rc, diag.msg);
        cr_assert_str_eq(rep.kind, x->kind, "%s", x->file);
        if (rc >= 0) {
            cr_assert_str_eq(got.ids, x->claim_ids, "%s", x->file);
            cr_assert_eq(rep.total_charge, x->total, "%s", x->file);
            cr_assert_eq(got.lines, x->lines, "%s", x->file);
            cr_assert_eq(got.invalid, 0, "%s: %s", x->file,
                         got.first.invalid_msg);
            cr_assert_eq((int)rep.sets_refused, x->refused, "%s", x->file);
            cr_assert_eq(cq_x12_report_ok(&rep), x->refused == 0, "%s",
                         x->file);
        } else {
            cr_assert_str_eq(diag.msg, x->message, "%s", x->file);
        }
        if (strcmp(x->kind, "835") == 0) {
            memset(&got, 0, sizeof got);
            cq_x12_835_check_t chk;
            int k = cq_x12_835_check(buf, len, s_on_835, &got, &chk, NULL);
            cr_assert_eq(k, 2, "%s", x->file);
            cr_assert_eq(chk.unbalanced, 0, "%s: %s", x->file, chk.problem);
            cr_assert_eq(chk.bpr_total, x->total, "%s", x->file);
            cr_assert_str_eq(got.ids, x->claim_ids, "%s", x->file);
            cr_assert_eq(got.lines, x->lines, "%s", x->file);
        }
        cq_x12_report_free(&rep);
        free(buf);
        n++;
    }
    closedir(d);
    cr_assert_eq(n, (int)CQ_ARRAY_LEN(s_files), "files missing from folder");
}

typedef struct {
    int want; // index of the claim to keep
    int at;   // claims seen
    cq_claim_t c;
} s_pick_t;

static int
s_pick(void *arg, cq_claim_t *c)
{
    s_pick_t *p = arg;
    if (p->at++ == p->want)
        p->c = *c;
    return 0;
}

//  Claim index of a sample, parsed.
static cq_claim_t
s_claim(const char *name, int index)
{
    if (cq_test_conformance() == NULL)
        cr_skip_test("no conformance folder (CQ_CONFORMANCE_DIR)");
    size_t len;
    char *buf = s_read(name, &len);
    s_pick_t p;
    memset(&p, 0, sizeof p);
    p.want = index;
    cr_assert_gt(cq_x12_parse(buf, len, s_pick, &p, NULL, NULL), index);
    free(buf);
    cr_assert_not(p.c.invalid, "%s: %s", name, p.c.invalid_msg);
    return p.c;
}

Test(x12_conformance, example1_dependent_patient)
{
    cq_claim_t c = s_claim("LinuxForHealth_x12_demo.example1.837", 0);
    cr_assert_str_eq(c.claim_id, "26463774");
    cr_assert_str_eq(c.payer_id, "999996666");
    cr_assert_str_eq(c.member.id, "JS00111223333"); // 2010BA
    cr_assert_str_eq(c.member.last_name, "SMITH");  // 2010CA
    cr_assert_str_eq(c.member.first_name, "TED");
    cr_assert_eq(c.member.birth_date, cq_date_from_ymd(1973, 5, 1));
    cr_assert_eq(c.member.sex, 'M');
    cr_assert_str_eq(c.billing_npi, "1912301953");
    cr_assert_str_eq(c.billing_tax_id, "587654321");
    cr_assert_str_eq(c.billing_name, "BEN KILDARE SERVICE");
    cr_assert_eq(c.n_diagnoses, 2);
    cr_assert_str_eq(c.diagnoses[0], "034.0"); // ICD-9 BK:0340 kept
    cr_assert_str_eq(c.diagnoses[1], "V73.89");
    cr_assert_str_eq(c.lines[2].procedure, "99214");
    cr_assert_eq(c.lines[2].charge, 3500);
    cr_assert_eq(c.lines[2].service_date, cq_date_from_ymd(2006, 10, 10));
    cr_assert_eq(c.lines[2].dx_pointers[0], 2);
    cr_assert_str_eq(c.lines[2].place_of_service, "11");
    cr_assert_eq(c.frequency, '1');
}

Test(x12_conformance, ambulance_units_modifiers_pointers)
{
    cq_claim_t c = s_claim("LinuxForHealth_x12_demo.ambulance.example5.837", 0);
    cr_assert_str_eq(c.member.id, "012345678A");
    cr_assert_str_eq(c.payer_id, "123245");
    cr_assert_str_eq(c.diagnoses[1], "E888.8");
    cr_assert_str_eq(c.lines[1].procedure, "A0425");
    cr_assert_str_eq(c.lines[1].modifiers[0], "RH");
    cr_assert_eq(c.lines[1].units_milli, 21000);
    cr_assert_eq(c.lines[1].charge, 820);
    cr_assert_eq(c.lines[1].n_pointers, 4);
    cr_assert_str_eq(c.lines[1].place_of_service, "41");
}

Test(x12_conformance, cob_loops_do_not_replace_member_or_payer)
{
    cq_claim_t c = s_claim("LinuxForHealth_x12_demo.cob.example3.A.837", 0);
    cr_assert_str_eq(c.member.id, "111223333");
    cr_assert_str_eq(c.member.first_name, "TED");
    cr_assert_str_eq(c.payer_id, "999996666");
    cr_assert_str_eq(c.billing_name, "BEN KILDARE");
    cr_assert_str_eq(c.lines[0].rendering_npi, "1999996666");
    c = s_claim("LinuxForHealth_x12_demo.cob.example4.837", 0);
    cr_assert_str_eq(c.payer_id, "10234"); // not the 2330B 59999
    cr_assert_str_eq(c.member.first_name, "WAYNE");
    cr_assert_str_eq(c.lines[0].modifiers[0], "25");
    cr_assert_str_eq(c.lines[0].rendering_npi, "9090909090");
}

Test(x12_conformance, institutional_sample)
{
    cq_claim_t c =
        s_claim("LinuxForHealth_x12_two-claims-single-provider.837i", 0);
    cr_assert_eq(c.type, CQ_CLAIM_INSTITUTIONAL);
    cq_claim_t c2 =
        s_claim("LinuxForHealth_x12_two-claims-single-provider.837i", 1);
    cr_assert_str_eq(c2.claim_id, "756049Q");
    cr_assert_str_eq(c2.member.last_name, "SMITH");
    cr_assert_str_eq(c2.lines[0].revenue_code, "0300");
    cr_assert_eq(c2.total_charge, 5000);
    cr_assert_str_eq(c.member.id, "030005074");
    cr_assert_eq(c.n_diagnoses, 3);
    cr_assert_str_eq(c.diagnoses[2], "794.31");
    cr_assert_str_eq(c.lines[1].revenue_code, "0730");
    cr_assert_str_eq(c.lines[1].procedure, "93005");
    cr_assert_eq(c.lines[1].units_milli, 3000);
}

Test(x12_conformance, broken_file_reports_its_errors)
{
    if (cq_test_conformance() == NULL)
        cr_skip_test("no conformance folder (CQ_CONFORMANCE_DIR)");
    size_t len;
    char *buf =
        s_read("imsweb_x12-parser_x12_valid_different_separators.txt", &len);
    cq_x12_report_t rep;
    cr_assert_eq(cq_x12_parse(buf, len, NULL, NULL, &rep, NULL), 0);
    cr_assert_eq(rep.interchanges[0].seps.element, '~');
    cr_assert_eq(rep.interchanges[0].seps.component, '^');
    cr_assert_eq(rep.interchanges[0].seps.repetition, 0); // ISA11 'U'
    cr_assert_eq(rep.interchanges[0].seps.segment, '_');
    const cq_x12_set_t *s = &rep.sets[0];
    cr_assert_eq(s->status, 'R');
    cr_assert_eq(s->segments, 34);
    cr_assert_eq(s->n_codes, 2);
    cr_assert_str_eq(s->codes[0], "5"); // HL errors
    cr_assert_str_eq(s->codes[1], "4"); // SE01 says 25
    cr_assert_eq(s->n_errors, 3);
    const cq_x12_error_t *e = &rep.errors[s->first_error];
    cr_assert_str_eq(e[0].seg_id, "HL");
    cr_assert_eq(e[0].position, 25);
    cr_assert_eq(e[0].element, 1);
    cr_assert_eq(e[1].element, 2);
    cr_assert_str_eq(e[2].msg, "SE01 says 25 segments, counted 34 (IK5 4)");
    cr_assert_eq(rep.groups[0].status, 'R');
    //  and the 999 says so
    cq_buf_t out;
    cq_buf_init(&out, 1u << 20);
    cq_x12_envelope_t env = {.date = cq_date_from_ymd(2026, 3, 2)};
    cr_assert_eq(cq_x12_999_write(&rep, &env, &out), 0);
    //  one IK3 for the HL, its two element errors (HL01 628, HL02 734:
    //  invalid code value) with the bad values copied back
    cr_assert(strstr(out.data, "AK2*837*987654*005010X222A1~IK3*HL*25*2000B*8~"
                               "IK4*1*628*7*2~IK4*2*734*7*3~IK5*R*5*4~"
                               "AK9*R*1*1*0~"),
              "%s", out.data);
    cq_buf_free(&out);
    cq_x12_report_free(&rep);
    free(buf);
}

Test(x12_conformance, the_999_sample_keeps_its_separators)
{
    if (cq_test_conformance() == NULL)
        cr_skip_test("no conformance folder (CQ_CONFORMANCE_DIR)");
    size_t len;
    char *buf = s_read("imsweb_x12-parser_x12_999_rejected.txt", &len);
    cq_x12_report_t rep;
    cr_assert_eq(cq_x12_parse(buf, len, NULL, NULL, &rep, NULL),
                 CQ_EUNSUPPORTED);
    cr_assert_eq(rep.interchanges[0].seps.component, '|');
    cr_assert_eq(rep.n_sets, 1);
    cr_assert_eq(rep.sets[0].status, 'A'); // its own envelope is right
    cr_assert_str_eq(rep.sets[0].id, "999");
    cq_x12_report_free(&rep);
    //  the document layer says what it is
    cq_diag_t d = {0};
    cr_assert_eq(cq_doc_decode((const uint8_t *)buf, len, 0, NULL, NULL, &d),
                 CQ_EUNSUPPORTED);
    cr_assert_str_eq(d.msg, "a 999 acknowledgment, not an 837 claim file");
    free(buf);
}

//  Counts the lines of s that start with prefix.
static int
s_lines(const char *s, const char *prefix)
{
    int n = 0;
    size_t k = strlen(prefix);
    while (s && *s) {
        n += strncmp(s, prefix, k) == 0;
        s = strchr(s, '\n');
        if (s)
            s++;
    }
    return n;
}

Test(x12_conformance, every_837_gets_a_999_read_back)
{
    //  each 837 sample's 999, read back with our own reader: an AK2 per
    //  transaction set, IK5*A for each (no IK3 / IK4) and AK9*A, but for
    //  the broken sample whose errors the 999 names; the 999 itself is
    //  valid X12 (envelopes, counts)
    const char *dir = cq_test_conformance();
    if (dir == NULL)
        cr_skip_test("no conformance folder (CQ_CONFORMANCE_DIR)");
    int n837 = 0;
    for (size_t i = 0; i < CQ_ARRAY_LEN(s_files); i++) {
        const s_expect_t *x = &s_files[i];
        if (strncmp(x->kind, "837", 3) != 0)
            continue;
        size_t len;
        char *buf = s_read(x->file, &len);
        cq_x12_report_t rep;
        cq_x12_parse(buf, len, NULL, NULL, &rep, NULL);
        cq_buf_t out, acks;
        cq_buf_init(&out, 1u << 20);
        cq_buf_init(&acks, 1u << 20);
        cq_x12_envelope_t env = {.date = cq_date_from_ymd(2026, 3, 2)};
        cr_assert_eq(cq_x12_999_write(&rep, &env, &out), 0, "%s", x->file);
        xb_read_999(out.data, out.len, &acks);
        cr_assert_eq(s_lines(acks.data, "AK2*"), (int)rep.n_sets, "%s: %s",
                     x->file, acks.data);
        if (x->refused == 0) {
            cr_assert_eq(s_lines(acks.data, "IK5*A\n"), (int)rep.n_sets,
                         "%s: %s", x->file, acks.data);
            cr_assert_eq(s_lines(acks.data, "IK3*"), 0, "%s", x->file);
            cr_assert_eq(s_lines(acks.data, "AK9*A*"), (int)rep.n_groups,
                         "%s: %s", x->file, acks.data);
        } else {
            cr_assert_str_eq(acks.data, "AK2*837*987654*005010X222A1\n"
                                        "IK3*HL*25*2000B*8\n"
                                        "IK4*1*628*7*2\n"
                                        "IK4*2*734*7*3\n"
                                        "IK5*R*5*4\n"
                                        "AK9*R*1*1*0\n");
        }
        cq_x12_report_t back;
        cq_diag_t d = {0};
        cr_assert_eq(cq_x12_parse(out.data, out.len, NULL, NULL, &back, &d),
                     CQ_EUNSUPPORTED, "%s", x->file);
        cr_assert_str_eq(back.kind, "999", "%s", x->file);
        for (uint32_t k = 0; k < back.n_sets; k++)
            cr_assert_eq(back.sets[k].status, 'A', "%s", x->file);
        for (uint32_t k = 0; k < back.n_groups; k++)
            cr_assert_eq(back.groups[k].n_codes, 0, "%s", x->file);
        cq_x12_report_free(&back);
        cq_x12_report_free(&rep);
        cq_buf_free(&out);
        cq_buf_free(&acks);
        free(buf);
        n837++;
    }
    cr_assert_eq(n837, 8);
}
