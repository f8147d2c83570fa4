//  test_review.c: the review station's own modules (claimq review, issue
//  12): what it parses from outside (form bodies, cookies, account lines,
//  --listen), the accounts file, a pended claim's page as read by the OCR,
//  the audit trail of a correction, and the pages — rendered from a
//  cq_review_claim_t filled here, with claim values that try to break out
//  of the HTML.
#include "cq_test.h"
#include "mem.h"
#include "ocr.h"
#include "paper.h"
#include "review_accounts.h"
#include "review_html.h"
#include "review_page.h"
#include "review_parse.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <leptonica/allheaders.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

//  ---- review_parse
//  -------------------------------------------------------------

Test(review_parse, form_bodies_decode_and_keep_their_order)
{
    const char *body = "csrf=ab12&f.member.id=W1%2B2+3&&empty=&bare&f.x=%C3%A9";
    cq_rv_form_t f;
    cr_assert_eq(cq_rv_form_parse(body, strlen(body), &f), 0);
    cr_assert_eq(f.n, 5);
    cr_assert_str_eq(cq_rv_form_get(&f, "csrf"), "ab12");
    cr_assert_str_eq(cq_rv_form_get(&f, "f.member.id"), "W1+2 3");
    cr_assert_str_eq(cq_rv_form_get(&f, "empty"), "");
    cr_assert_str_eq(cq_rv_form_get(&f, "bare"), "");
    cr_assert_str_eq(cq_rv_form_get(&f, "f.x"), "\xc3\xa9");
    cr_assert_null(cq_rv_form_get(&f, "missing"));
    cq_rv_form_free(&f);
    cr_assert_eq(cq_rv_form_parse("", 0, &f), 0);
    cr_assert_eq(f.n, 0);
    cq_rv_form_free(&f);
}

Test(review_parse, form_bodies_that_break_a_rule_are_refused)
{
    cq_rv_form_t f;
    cr_assert_eq(cq_rv_form_parse("a=%4", 4, &f), CQ_EPROTO);
    cr_assert_eq(f.n, 0);
    cr_assert_eq(cq_rv_form_parse("a=%zz", 5, &f), CQ_EPROTO);
    cr_assert_eq(cq_rv_form_parse("a=%00", 5, &f), CQ_EPROTO);
    //  caps: pairs, a name, a value, the body
    cq_buf_t b;
    cq_buf_init(&b, 1u << 20);
    for (int i = 0; i <= CQ_RV_MAX_PAIRS; i++)
        cq_buf_addstr(&b, "a=1&");
    cr_assert_eq(cq_rv_form_parse(b.data, b.len, &f), CQ_ETOOBIG);
    cq_buf_reset(&b);
    for (int i = 0; i <= CQ_RV_MAX_NAME; i++)
        cq_buf_addstr(&b, "n");
    cq_buf_addstr(&b, "=1");
    cr_assert_eq(cq_rv_form_parse(b.data, b.len, &f), CQ_ETOOBIG);
    cq_buf_reset(&b);
    cq_buf_addstr(&b, "v=");
    for (int i = 0; i <= CQ_RV_MAX_VALUE; i++)
        cq_buf_addstr(&b, "%41");
    cr_assert_eq(cq_rv_form_parse(b.data, b.len, &f), CQ_ETOOBIG);
    cr_assert_eq(cq_rv_form_parse(b.data, CQ_RV_MAX_BODY + 1, &f), CQ_ETOOBIG);
    cq_buf_free(&b);
}

Test(review_parse, cookies_are_found_by_their_whole_name)
{
    char v[80];
    const char *h = "xcqr_session=no; cqr_session=abc; other=1";
    cr_assert(cq_rv_cookie(h, "cqr_session", v, sizeof v));
    cr_assert_str_eq(v, "abc");
    cr_assert(cq_rv_cookie("cqr_session=abc", "cqr_session", v, sizeof v));
    cr_assert_not(cq_rv_cookie(h, "cqr", v, sizeof v));
    cr_assert_not(cq_rv_cookie(NULL, "cqr_session", v, sizeof v));
    cr_assert_not(cq_rv_cookie("cqr_session=abcdef", "cqr_session", v, 4),
                  "a value longer than the buffer is no value");
}

Test(review_parse, account_lines_round_trip_and_bad_ones_say_why)
{
    const char *line = "alice.b:ACME,BETA:$argon2id$v=19$m=65536,t=2,p=1$"
                       "c2FsdHNhbHQ$aGFzaGhhc2g";
    cq_rv_account_t a;
    const char *why = NULL;
    cr_assert_eq(cq_rv_account_parse(line, strlen(line), &a, &why), 0, "%s",
                 why);
    cr_assert_str_eq(a.name, "alice.b");
    cr_assert_eq(a.n_tenants, 2);
    cr_assert_str_eq(a.tenants[1], "BETA");
    char out[512];
    cr_assert(cq_rv_account_format(&a, out, sizeof out));
    cr_assert_str_eq(out, line);
    static const char *const bad[] = {
        "alice",                   // no fields
        "alice:ACME",              // no hash
        "al ice:ACME:$argon2id$x", // a space in the name
        ":ACME:$argon2id$v=19$m=1$x$y",
        "alice::$argon2id$v=19$m=1$x$y", // no tenant
        "alice:A,,B:$argon2id$v=19$m=1$x$y",
        "alice:ACME:plaintext-password", // not a hash
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why = NULL;
        cr_assert_eq(cq_rv_account_parse(bad[i], strlen(bad[i]), &a, &why),
                     CQ_EPROTO, "%s", bad[i]);
        cr_assert_not_null(why);
    }
    cr_assert(cq_rv_name_ok("carol_2-x.y"));
    cr_assert_not(cq_rv_name_ok(""));
    cr_assert_not(cq_rv_name_ok("a:b"));
}

Test(review_parse, listen_addresses)
{
    unsigned char ip[4];
    int port;
    bool lo;
    cr_assert_eq(cq_rv_listen_parse("127.0.0.1:0", ip, &port, &lo), 0);
    cr_assert(lo && port == 0 && ip[0] == 127 && ip[3] == 1);
    cr_assert_eq(cq_rv_listen_parse("localhost:8443", ip, &port, &lo), 0);
    cr_assert(lo && port == 8443);
    cr_assert_eq(cq_rv_listen_parse("10.1.2.3:443", ip, &port, &lo), 0);
    cr_assert_not(lo);
    cr_assert_eq(cq_rv_listen_parse("0.0.0.0:80", ip, &port, &lo), 0);
    cr_assert_not(lo);
    static const char *const bad[] = {
        "127.0.0.1",  "127.0.0.1:",    ":80",
        "1.2.3:80",   "1.2.3.4.5:80",  "256.0.0.1:80",
        "1.2.3.4:-1", "1.2.3.4:65536", "host.example:80"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(cq_rv_listen_parse(bad[i], ip, &port, &lo), CQ_EINVAL,
                     "%s", bad[i]);
}

//  ---- review_accounts
//  --------------------------------------------------------

Test(review_accounts, the_file_is_written_0600_and_read_back)
{
    const char *dir = cq_test_tmpdir();
    cr_assert_not_null(dir);
    char path[4200];
    snprintf(path, sizeof path, "%s/reviewers", dir);
    cq_rv_accounts_t a = {0};
    a.v = cq_xcalloc(2, sizeof *a.v);
    a.n = 2;
    const char *why = NULL;
    strcpy(a.v[0].name, "alice");
    cr_assert_eq(cq_rv_tenants_parse("ACME", &a.v[0], &why), 0);
    strcpy(a.v[0].hash, "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA");
    strcpy(a.v[1].name, "root");
    cr_assert_eq(cq_rv_tenants_parse("*", &a.v[1], &why), 0);
    strcpy(a.v[1].hash, "$argon2id$v=19$m=65536,t=2,p=1$c2FsdB$aGFzaB");
    char err[512];
    cr_assert_eq(cq_rv_accounts_write(path, &a, err, sizeof err), 0, "%s", err);
    struct stat sb;
    cr_assert_eq(stat(path, &sb), 0);
    cr_assert_eq(sb.st_mode & 0777, 0600);
    cq_rv_accounts_t b;
    cr_assert_eq(cq_rv_accounts_read(path, &b, err, sizeof err), 0, "%s", err);
    cr_assert_eq(b.n, 2);
    cr_assert_str_eq(cq_rv_accounts_find(&b, "root")->tenants[0], "*");
    cr_assert_null(cq_rv_accounts_find(&b, "bob"));
    cq_rv_accounts_free(&b);
    //  a name twice is refused, naming the line
    strcpy(a.v[1].name, "alice");
    cr_assert_eq(cq_rv_accounts_write(path, &a, err, sizeof err), 0);
    cr_assert_eq(cq_rv_accounts_read(path, &b, err, sizeof err), CQ_EPROTO);
    cr_assert(strstr(err, "line 3") != NULL, "%s", err);
    cq_rv_accounts_free(&a);
    snprintf(path, sizeof path, "%s/none", dir);
    cr_assert_eq(cq_rv_accounts_read(path, &b, err, sizeof err), CQ_ENOTFOUND);
}

//  ---- review_page
//  ------------------------------------------------------------

static cq_rv_field_t
s_field(const char *name, const char *value, bool unsure)
{
    cq_rv_field_t f;
    memset(&f, 0, sizeof f);
    snprintf(f.name, sizeof f.name, "%s", name);
    snprintf(f.box, sizeof f.box, "1a");
    snprintf(f.value, sizeof f.value, "%s", value);
    f.conf = value[0] ? 90 : -1;
    f.unsure = unsure;
    f.reason = unsure ? "blank" : NULL;
    f.x = 10;
    f.y = 20;
    f.w = 100;
    f.h = 12;
    return f;
}

Test(review_page, changes_name_what_the_person_changed)
{
    cq_rv_field_t f[3] = {s_field("member.id", "", true),
                          s_field("member.name", "ROE, RICHARD", false),
                          s_field("total_charge", "125.00", false)};
    cq_rv_page_t pg = {.f = f, .n = 3, .registered = true};
    const char *typed[3] = {"W100000042", "ROE, RICHARD", "126.00"};
    char *ch = cq_rv_changes(&pg, typed, 4000);
    cr_assert_not_null(ch);
    cr_assert_str_eq(
        ch, "[{\"field\":\"member.id\",\"old\":\"\",\"new\":\"W100000042\"},"
            "{\"field\":\"total_charge\",\"old\":\"125.00\",\"new\":"
            "\"126.00\"}]");
    free(ch);
    //  nothing changed
    const char *same[3] = {"", "ROE, RICHARD", "125.00"};
    ch = cq_rv_changes(&pg, same, 4000);
    cr_assert_str_eq(ch, "[]");
    free(ch);
}

Test(review_page, changes_too_long_for_the_trail_are_named_not_lost)
{
    enum { N = 90 };
    cq_rv_field_t *f = cq_xcalloc(N, sizeof *f);
    const char *typed[N];
    char names[N][40];
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "line%d.field%02d", i / 10, i);
        f[i] = s_field(names[i], i < 3 ? "OLD" : "", false);
        typed[i] = "A-RATHER-LONG-VALUE-TYPED-IN";
    }
    cq_rv_page_t pg = {.f = f, .n = N, .registered = false};
    char *ch = cq_rv_changes(&pg, typed, 3967);
    cr_assert_not_null(ch);
    cr_assert_leq(strlen(ch), 3967);
    json_t *j = json_loads(ch, 0, NULL);
    cr_assert(json_is_array(j), "%s", ch);
    //  the three corrections in full, the keyed-in fields by name
    cr_assert_eq(json_array_size(j), 4, "%s", ch);
    cr_assert_str_eq(
        json_string_value(json_object_get(json_array_get(j, 0), "old")), "OLD");
    const char *k =
        json_string_value(json_object_get(json_array_get(j, 3), "new"));
    cr_assert_str_eq(
        json_string_value(json_object_get(json_array_get(j, 3), "field")),
        "(keyed in)");
    cr_assert(strstr(k, "line8.field89") != NULL, "%s", k);
    json_decref(j);
    free(ch);
    //  a tiny trail: the names alone, cut
    ch = cq_rv_changes(&pg, typed, 300);
    cr_assert_not_null(ch);
    cr_assert_leq(strlen(ch), 300);
    cr_assert(strstr(ch, "\"(changed)\"") && strstr(ch, "90 fields: "), "%s",
              ch);
    free(ch);
    free(f);
}

//  Issue 12: a CMS-1500 keyed in whole (every field of the template, 6
//  service lines, each value as wide as its zone) keeps every old -> new
//  value in the trail the station sends (the former 4 KiB cap named them
//  "keyed in"), whether the page did not register (old values blank) or
//  every value the OCR read was corrected.
Test(review_page, a_fully_keyed_form_keeps_every_value)
{
    cq_form_t *form = NULL;
    cq_diag_t d = {0};
    cr_assert_eq(
        cq_form_load(cq_test_src("schemas/forms/cms1500.json"), &form, &d), 0,
        "%s", d.msg);
    size_t n = form->n_fields;
    cr_assert_eq(n, 26 + 6 * 9, "the template has %zu fields", n);
    cq_rv_field_t *f = cq_xcalloc(n, sizeof *f);
    char(*typed)[CQ_OCR_TEXT_LEN] = cq_xcalloc(n, sizeof *typed);
    char(*read)[CQ_OCR_TEXT_LEN] = cq_xcalloc(n, sizeof *read);
    const char **tv = cq_xcalloc(n, sizeof *tv);
    for (size_t i = 0; i < n; i++) {
        const cq_form_field_t *fd = &form->fields[i];
        size_t w = fd->width ? fd->width : 1;
        for (size_t k = 0; k < w; k++) {
            typed[i][k] = (char)('A' + (i + k) % 26);
            read[i][k] = (char)('0' + (i + k) % 10);
        }
        tv[i] = typed[i];
        f[i] = s_field(fd->name, "", true);
    }
    cq_rv_page_t pg = {.f = f, .n = n, .registered = false};
    for (int pass = 0; pass < 2; pass++) {
        //  pass 1: the page registered and the person changed every value
        if (pass == 1) {
            pg.registered = true;
            for (size_t i = 0; i < n; i++)
                cq_strlcpy(f[i].value, read[i], sizeof f[i].value);
        }
        char *ch = cq_rv_changes(&pg, tv, CQ_REVIEW_AUDIT_LEN - 129);
        cr_assert_not_null(ch);
        cr_assert_gt(strlen(ch), 4096, "pass %d: %zu bytes", pass, strlen(ch));
        json_t *j = json_loads(ch, 0, NULL);
        cr_assert(json_is_array(j), "%s", ch);
        cr_assert_eq(json_array_size(j), n, "pass %d: %s", pass, ch);
        for (size_t i = 0; i < n; i++) {
            json_t *e = json_array_get(j, i);
            cr_assert_str_eq(json_string_value(json_object_get(e, "field")),
                             form->fields[i].name);
            cr_assert_str_eq(json_string_value(json_object_get(e, "old")),
                             pass ? read[i] : "");
            cr_assert_str_eq(json_string_value(json_object_get(e, "new")),
                             typed[i]);
        }
        cr_assert_null(strstr(ch, "(keyed in)"));
        json_decref(j);
        free(ch);
    }
    free(tv);
    free(read);
    free(typed);
    free(f);
    cq_form_destroy(&form);
}

Test(review_page, png_size_from_the_header)
{
    PIX *p = pixCreate(321, 123, 8);
    uint8_t *png = NULL;
    size_t len = 0;
    cr_assert_eq(pixWriteMemPng(&png, &len, p, 0), 0);
    int w = 0, h = 0;
    cr_assert(cq_rv_png_size(png, len, &w, &h));
    cr_assert(w == 321 && h == 123);
    cr_assert_not(cq_rv_png_size(png, 20, &w, &h));
    cr_assert_not(
        cq_rv_png_size("GIF89a..........................", 32, &w, &h));
    free(png);
    pixDestroy(&p);
}

//  A page read by the OCR becomes the station's page: every template
//  field in order, zones on the image, the field the pend names unsure.
typedef struct {
    cq_ocr_t *ocr;
    const cq_claim_t *pended;
    cq_rv_page_t page;
    int rc;
} s_read_t;

static int
s_on_claim(void *arg, cq_claim_t *c)
{
    (void)c;
    s_read_t *x = arg;
    x->rc = cq_rv_page_from_ocr(&x->page, x->ocr, x->pended);
    return 0;
}

Test(review_page, a_page_read_by_the_ocr, .timeout = 120)
{
    cq_form_t *form = NULL;
    cq_diag_t d = {0};
    cr_assert_eq(
        cq_form_load(cq_test_src("schemas/forms/cms1500.json"), &form, &d), 0,
        "%s", d.msg);
    cq_claim_t c;
    cq_claim_init(&c);
    strcpy(c.claim_id, "PCN-000777");
    strcpy(c.payer_id, "ACME");
    strcpy(c.member.id, "W100000042");
    strcpy(c.member.last_name, "ROE");
    strcpy(c.member.first_name, "RICHARD");
    c.member.birth_date = cq_date_from_ymd(1975, 11, 3);
    c.member.sex = 'M';
    strcpy(c.billing_npi, "1234567893");
    strcpy(c.billing_tax_id, "123456789");
    strcpy(c.billing_name, "SOUTH CLINIC");
    strcpy(c.diagnoses[0], "E11.9");
    c.n_diagnoses = 1;
    c.n_lines = 1;
    strcpy(c.lines[0].procedure, "99213");
    c.lines[0].service_date = cq_date_from_ymd(2026, 2, 20);
    c.lines[0].service_date_end = CQ_DATE_NONE;
    strcpy(c.lines[0].place_of_service, "11");
    c.lines[0].units_milli = 1000;
    c.lines[0].charge = 12500;
    c.lines[0].dx_pointers[0] = 1;
    c.lines[0].n_pointers = 1;
    c.total_charge = 12500;
    cr_assert_eq(cq_form_fit_claim(form, &c, NULL), 0);
    cq_paper_opts_t po;
    cq_paper_opts_init(&po);
    po.seed = 5;
    PIX *pix = NULL;
    cr_assert_eq(cq_paper_render(form, &c, &po, 0, &pix, &d), 0, "%s", d.msg);
    uint8_t *png = NULL;
    size_t len = 0;
    cr_assert_eq(pixWriteMemPng(&png, &len, pix, 0), 0);
    pixDestroy(&pix);

    cq_ocr_opts_t oo;
    cq_ocr_opts_init(&oo);
    oo.form_path = cq_test_src("schemas/forms/cms1500.json");
    oo.keep_page = true;
    cq_ocr_t *ocr = cq_ocr_new(&oo, &d);
    cr_assert_not_null(ocr, "%s", d.msg);
    //  the pend names the billing NPI (as a cross-field check would)
    cq_claim_t pended = c;
    pended.n_pend = 0;
    cq_claim_add_pend(&pended, "billing_provider.npi: check digit");
    s_read_t x = {ocr, &pended, {0}, -1};
    cr_assert_eq(cq_ocr_read(ocr, png, len, s_on_claim, &x, &d), 1);
    cr_assert_eq(x.rc, 0);
    cq_rv_page_t *pg = &x.page;
    cr_assert(pg->registered);
    cr_assert_eq(pg->n, form->n_fields);
    cr_assert(pg->png_w > 0 && pg->png_w <= CQ_RV_PAGE_WIDTH);
    int zones = 0;
    for (size_t i = 0; i < pg->n; i++) {
        const cq_rv_field_t *f = &pg->f[i];
        cr_assert_str_eq(f->name, form->fields[i].name, "template order");
        if (f->x >= 0) {
            zones++;
            cr_assert(f->x + f->w <= pg->png_w + 1 &&
                          f->y + f->h <= pg->png_h + 1,
                      "%s: zone off the image", f->name);
        }
        if (strcmp(f->name, "member.id") == 0)
            cr_assert_str_eq(f->value, "W100000042");
        if (strcmp(f->name, "billing_provider.npi") == 0)
            cr_assert(f->unsure, "a field the pend names is unsure");
        else if (strcmp(f->name, "member.id") == 0)
            cr_assert_not(f->unsure);
    }
    cr_assert_eq(zones, (int)pg->n, "every field has its zone");
    cq_rv_page_free(pg);
    free(png);
    cq_ocr_destroy(&ocr);
    cq_form_destroy(&form);
}

//  A page where no form registers: the image to key from, every field
//  empty and unsure, no zones.
Test(review_page, a_page_that_did_not_register, .timeout = 60)
{
    PIX *blank = pixCreate(1700, 2200, 8);
    pixSetAllArbitrary(blank, 255);
    pixSetResolution(blank, 200, 200);
    for (int y = 300; y < 320; y++)
        for (int x = 400; x < 900; x++)
            pixSetPixel(blank, x, y, 0);
    uint8_t *png = NULL;
    size_t len = 0;
    cr_assert_eq(pixWriteMemPng(&png, &len, blank, 0), 0);
    pixDestroy(&blank);
    cq_ocr_opts_t oo;
    cq_ocr_opts_init(&oo);
    oo.form_path = cq_test_src("schemas/forms/cms1500.json");
    oo.keep_page = true;
    cq_diag_t d = {0};
    cq_ocr_t *ocr = cq_ocr_new(&oo, &d);
    cr_assert_not_null(ocr, "%s", d.msg);
    s_read_t x = {ocr, NULL, {0}, -1};
    cr_assert_eq(cq_ocr_read(ocr, png, len, s_on_claim, &x, &d), 1);
    cr_assert_eq(x.rc, 0);
    cr_assert_not(x.page.registered);
    cr_assert_gt(x.page.png.len, 100);
    cr_assert(x.page.png_w > 0 && x.page.png_h > 0);
    cr_assert_gt(x.page.n, 20);
    for (size_t i = 0; i < x.page.n; i++) {
        cr_assert_str_eq(x.page.f[i].value, "", "%s", x.page.f[i].name);
        cr_assert(x.page.f[i].unsure);
        cr_assert_eq(x.page.f[i].x, -1);
        cr_assert_eq(x.page.f[i].conf, -1);
    }
    cq_rv_page_free(&x.page);
    free(png);
    cq_ocr_destroy(&ocr);
}

//  ---- review_html
//  ------------------------------------------------------------

#define S_EVIL "<script>alert(1)</script>\"'&"
#define S_CSRF                                                                 \
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void
s_no_escape(const char *html)
{
    cr_assert_null(strstr(html, "<script>alert"), "unescaped: %s", html);
    cr_assert_null(strstr(html, "\"'&\""), "unescaped quote");
    cr_assert_not_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;"
                                    "&quot;&#39;&amp;"));
}

static void
s_evil_claim(cq_review_claim_t *rc)
{
    memset(rc, 0, sizeof *rc);
    rc->item.id = 42;
    snprintf(rc->item.claim_id, sizeof rc->item.claim_id, "%s", S_EVIL);
    snprintf(rc->item.payer_id, sizeof rc->item.payer_id, "ACME");
    snprintf(rc->item.batch_id, sizeof rc->item.batch_id, "%s", S_EVIL);
    snprintf(rc->item.reason, sizeof rc->item.reason, "%s", S_EVIL);
    rc->item.kind = CQ_REVIEW_OCR;
    rc->item.pended_ms = 1000;
    snprintf(rc->doc_name, sizeof rc->doc_name, "/in/%s.png", "form");
    rc->page = 1;
    cq_claim_init(&rc->claim);
    snprintf(rc->claim.claim_id, sizeof rc->claim.claim_id, "%s", S_EVIL);
    snprintf(rc->claim.member.last_name, sizeof rc->claim.member.last_name,
             "%s", S_EVIL);
    rc->claim.source = CQ_SOURCE_OCR;
}

Test(review_html, escaping)
{
    cq_buf_t b;
    cq_buf_init(&b, 1u << 20);
    cq_rv_esc(&b, "a<b>&\"'\x01z");
    cr_assert_str_eq(b.data, "a&lt;b&gt;&amp;&quot;&#39;?z");
    cq_buf_free(&b);
}

Test(review_html, the_queue_escapes_what_it_lists)
{
    cq_review_item_t it[2];
    memset(it, 0, sizeof it);
    it[0].id = 7;
    snprintf(it[0].claim_id, sizeof it[0].claim_id, "%s", S_EVIL);
    snprintf(it[0].payer_id, sizeof it[0].payer_id, "ACME");
    snprintf(it[0].reason, sizeof it[0].reason, "needs review");
    it[0].kind = CQ_REVIEW_OCR;
    it[0].pended_ms = 1000;
    it[1] = it[0];
    it[1].id = 8;
    it[1].kind = CQ_REVIEW_DUPLICATE;
    snprintf(it[1].locked_by, sizeof it[1].locked_by, "carol");
    it[1].lock_expires_ms = 10 * 3600 * 1000;
    cq_review_list_t l = {.items = it, .n = 2, .total = 2};
    l.by_kind[CQ_REVIEW_OCR] = 1;
    l.by_kind[CQ_REVIEW_DUPLICATE] = 1;
    cq_rv_who_t who = {"alice", S_CSRF};
    cq_buf_t b;
    cq_buf_init(&b, 1u << 20);
    cq_rv_html_queue(&b, &who, &l, 1000 + 95 * 1000);
    s_no_escape(b.data);
    cr_assert(strstr(b.data, "<span id=\"total\">2</span>"));
    cr_assert(strstr(b.data, "href=\"/claim/7\""));
    cr_assert(strstr(b.data, "carol until 10:00 UTC"), "%s", b.data);
    cr_assert(strstr(b.data, "<td>95 s</td>"));
    //  sign-out is a POST with the CSRF token
    cr_assert(strstr(b.data, "name=\"csrf\" value=\"" S_CSRF "\""));
    cq_buf_free(&b);
}

static cq_rv_page_t
s_page(cq_rv_field_t *f, size_t n, bool registered)
{
    cq_rv_page_t pg;
    memset(&pg, 0, sizeof pg);
    pg.id = 42;
    pg.png_w = 1275;
    pg.png_h = 1650;
    pg.registered = registered;
    pg.f = f;
    pg.n = n;
    return pg;
}

Test(review_html, a_scanned_claim_page)
{
    cq_review_claim_t rc;
    s_evil_claim(&rc);
    cq_rv_field_t f[4] = {s_field("payer_id", "ACME", false),
                          s_field("member.id", "", true),
                          s_field("member.name", S_EVIL, false),
                          s_field("total_charge", "12.00", true)};
    cq_rv_page_t pg = s_page(f, 4, true);
    cq_rv_claim_view_t v = {
        .rc = &rc, .page = &pg, .token = 99, .expires_ms = 3600 * 1000};
    cq_rv_who_t who = {"alice", S_CSRF};
    cq_buf_t b;
    cq_buf_init(&b, 1u << 20);
    cq_rv_html_claim(&b, &who, &v);
    const char *h = b.data;
    s_no_escape(h);
    cr_assert(strstr(h, "action=\"/claim/42/release\" id=\"release\""));
    cr_assert(strstr(h, "name=\"token\" value=\"99\""));
    cr_assert(strstr(h, "href=\"/claim/42/page.png\""));
    cr_assert(strstr(h, "Yours until 01:00 UTC"));
    //  fields in template order; the unsure ones first in tab order, the
    //  first of them focused
    const char *p0 = strstr(h, "id=\"f-payer_id\"");
    const char *p1 = strstr(h, "id=\"f-member.id\"");
    const char *p3 = strstr(h, "id=\"f-total_charge\"");
    cr_assert(p0 && p1 && p3 && p0 < p1 && p1 < p3);
    cr_assert(strstr(p1, "tabindex=\"1\"") < strstr(p1, ">"));
    cr_assert(strstr(p0, "tabindex=\"2\"") < strstr(p0, ">"));
    cr_assert(strstr(h, " autofocus") > p1 && strstr(h, " autofocus") < p3,
              "autofocus on the first unsure field");
    cr_assert_null(strstr(strstr(h, " autofocus") + 1, " autofocus"));
    cr_assert(strstr(h, "<rect class=\"box unsure\" data-field=\"member.id\""));
    cr_assert(strstr(h, "Ctrl</kbd>+<kbd>Enter"));
    cq_buf_free(&b);

    //  a refused release: what was typed is shown again, with why
    cq_rv_form_t typed;
    const char *body = "f.member.id=W9%3C&f.total_charge=1";
    cr_assert_eq(cq_rv_form_parse(body, strlen(body), &typed), 0);
    v.typed = &typed;
    v.error = "Not released: member.id: " S_EVIL;
    cq_buf_init(&b, 1u << 20);
    cq_rv_html_claim(&b, &who, &v);
    s_no_escape(b.data);
    cr_assert(strstr(b.data, "value=\"W9&lt;\""));
    cr_assert(strstr(b.data, "id=\"message\""));
    cq_buf_free(&b);
    cq_rv_form_free(&typed);
}

Test(review_html, a_form_that_did_not_register_is_keyed_in)
{
    cq_review_claim_t rc;
    s_evil_claim(&rc);
    rc.item.kind = CQ_REVIEW_REGISTRATION;
    cq_rv_field_t f[2] = {s_field("payer_id", "", true),
                          s_field("member.id", "", true)};
    f[0].x = f[1].x = -1;
    cq_rv_page_t pg = s_page(f, 2, false);
    cq_rv_claim_view_t v = {.rc = &rc, .page = &pg, .token = 1};
    cq_rv_who_t who = {"alice", S_CSRF};
    cq_buf_t b;
    cq_buf_init(&b, 1u << 20);
    cq_rv_html_claim(&b, &who, &v);
    cr_assert(strstr(b.data, "id=\"key-in\""));
    cr_assert(strstr(b.data, "page.png"), "the image is still shown");
    cr_assert_null(strstr(b.data, "<rect"), "no zones");
    cq_buf_free(&b);
}

Test(review_html, a_claim_taken_by_another_offers_no_release)
{
    cq_review_claim_t rc;
    s_evil_claim(&rc);
    cq_rv_claim_view_t v = {.rc = &rc,
                            .taken = true,
                            .holder = "carol<b>",
                            .expires_ms = (13 * 3600 + 30 * 60) * 1000LL};
    cq_rv_who_t who = {"alice", S_CSRF};
    cq_buf_t b;
    cq_buf_init(&b, 1u << 20);
    cq_rv_html_claim(&b, &who, &v);
    s_no_escape(b.data);
    cr_assert(strstr(b.data, "Taken by <b id=\"holder\">carol&lt;b&gt;</b> "
                             "until 13:30 UTC"),
              "%s", b.data);
    cr_assert_null(strstr(b.data, "/release"));
    cr_assert_null(strstr(b.data, "name=\"token\""));
    cq_buf_free(&b);
}

Test(review_html, a_suspect_duplicate_beside_the_earlier_claim)
{
    cq_review_claim_t rc;
    s_evil_claim(&rc);
    rc.item.kind = CQ_REVIEW_DUPLICATE;
    rc.claim.source = CQ_SOURCE_X12;
    snprintf(rc.claim.member.id, sizeof rc.claim.member.id, "W1");
    rc.claim.n_lines = 1;
    snprintf(rc.claim.lines[0].procedure, 12, "99213");
    rc.claim.lines[0].service_date = cq_date_from_ymd(2026, 2, 20);
    rc.claim.lines[0].service_date_end = CQ_DATE_NONE;
    rc.claim.lines[0].units_milli = 1000;
    rc.claim.lines[0].charge = 12600;
    rc.has_other = true;
    rc.other = rc.claim;
    snprintf(rc.other.claim_id, sizeof rc.other.claim_id, "EARLIER-1");
    rc.other.lines[0].charge = 12500;
    rc.other_decision.decision = CQ_DECISION_ACCEPT;
    rc.other_decision.paid = 9000;
    cq_rv_claim_view_t v = {.rc = &rc, .token = 5};
    cq_rv_who_t who = {"alice", S_CSRF};
    cq_buf_t b;
    cq_buf_init(&b, 1u << 20);
    cq_rv_html_claim(&b, &who, &v);
    const char *h = b.data;
    s_no_escape(h);
    cr_assert(strstr(h, "The earlier claim"));
    cr_assert(strstr(h, "EARLIER-1"));
    cr_assert(strstr(h, "value=\"duplicate\" id=\"dup-btn\""));
    cr_assert(strstr(h, "value=\"not-duplicate\" id=\"notdup-btn\""));
    cr_assert(strstr(h, "accept, paid 90.00"));
    //  the member is the same, the charge is not
    cr_assert(strstr(h, "<td class=\"same\">W1</td>"));
    cr_assert(strstr(h, "<td>2026-02-20 99213 &times; 1 126.00</td>"), "%s", h);
    cr_assert_null(strstr(h, "page.png"), "no image for an X12 claim");
    cq_buf_free(&b);
}

Test(review_html, a_claim_without_a_page_is_released_as_it_is)
{
    cq_review_claim_t rc;
    s_evil_claim(&rc);
    rc.item.kind = CQ_REVIEW_OTHER;
    rc.claim.source = CQ_SOURCE_JSON;
    cq_rv_claim_view_t v = {.rc = &rc, .token = 5};
    cq_rv_who_t who = {"alice", S_CSRF};
    cq_buf_t b;
    cq_buf_init(&b, 1u << 20);
    cq_rv_html_claim(&b, &who, &v);
    s_no_escape(b.data);
    cr_assert(strstr(b.data, "value=\"as-is\" id=\"release-btn\""));
    cq_buf_free(&b);
}

Test(review_html, sign_in)
{
    cq_buf_t b;
    cq_buf_init(&b, 1u << 20);
    cq_rv_html_signin(&b, S_CSRF, "Wrong name or password.");
    cr_assert(strstr(b.data, "action=\"/login\""));
    cr_assert(strstr(b.data, "value=\"" S_CSRF "\""));
    cr_assert(strstr(b.data, "type=\"password\""));
    cr_assert(strstr(b.data, "Wrong name or password."));
    cr_assert_null(strstr(b.data, "Sign out"));
    cq_buf_free(&b);
}
