//  it_paper.c: `claimq gen --paper` writes forms with their truth, and a
//  scanned form submitted to a real cluster (claimq up) is read by a
//  worker's OCR and decided like the same claim sent as JSON (source
//  "ocr", with ocr_confidence), or pended — never decided on a wrong
//  value. A file that is not an image of a form is rejected CO-16.
#include "cq_proc.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static bool
s_exists(const char *dir, const char *name)
{
    char p[2048];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    struct stat st;
    return stat(p, &st) == 0 && st.st_size > 0;
}

Test(paper, gen_writes_forms_and_truth, .timeout = 120)
{
    const char *dir = cq_test_tmpdir();
    cr_assert_not_null(dir);
    cq_run_t r;
    int st = cq_proc_claimq(&r, 60, "gen", "--out", dir, "--claims", "40",
                            "--paper", "2", NULL);
    cr_assert_eq(st, 0, "%s", r.err);
    cq_run_free(&r);
    char forms[1100];
    snprintf(forms, sizeof forms, "%s/forms", dir);
    cr_assert(s_exists(forms, "form-000001.png"));
    //  the truth is in a hidden folder, where `claimq submit forms` does
    //  not take it for claims
    cr_assert(s_exists(forms, ".truth/form-000001.json"));
    cr_assert(!s_exists(forms, "form-000001.truth.json"));
    cr_assert(s_exists(forms, "form-000002.png"));
    cr_assert(!s_exists(forms, "form-000003.png"));

    const char *dir2 = cq_test_tmpdir();
    st = cq_proc_claimq(&r, 60, "gen", "--out", dir2, "--claims", "40",
                        "--paper", "3", "--tiff", "--dpi", "200", "--skew",
                        "1.5", "--noise", "0.5", NULL);
    cr_assert_eq(st, 0, "%s", r.err);
    cq_run_free(&r);
    snprintf(forms, sizeof forms, "%s/forms", dir2);
    cr_assert(s_exists(forms, "forms.tif"));
    cr_assert(s_exists(forms, ".truth/forms.json"));

    st = cq_proc_claimq(&r, 60, "gen", "--out", dir2, "--paper", "2", "--dpi",
                        "5000", NULL);
    cr_assert_eq(st, 2, "an out-of-range --dpi is a usage error");
    cq_run_free(&r);
}

//  The decision of claim_id in a JSON Lines buffer, as a parsed object.
static json_t *
s_find(const char *jsonl, const char *claim_id)
{
    const char *p = jsonl;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        json_t *o = json_loadb(p, n, 0, NULL);
        if (o && strcmp(json_string_value(json_object_get(o, "claim_id")),
                        claim_id) == 0)
            return o;
        json_decref(o);
        p += n + (nl ? 1 : 0);
    }
    return NULL;
}

Test(paper, scanned_form_through_a_cluster, .timeout = 300)
{
    const char *tmp = cq_test_tmpdir();
    cr_assert_not_null(tmp);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", tmp);
    cq_run_t r;
    int st = cq_proc_claimq(&r, 60, "gen", "--out", dir, "--claims", "30",
                            "--members", "50", "--paper", "1", NULL);
    cr_assert_eq(st, 0, "%s", r.err);
    cq_run_free(&r);
    char forms[1100], truth[1100], bogus[1100], out[1100];
    snprintf(forms, sizeof forms, "%s/forms", dir);
    snprintf(truth, sizeof truth, "%s/forms/.truth/form-000001.json", dir);
    snprintf(bogus, sizeof bogus, "%s/scan.png", dir);
    snprintf(out, sizeof out, "%s/decisions.jsonl", dir);
    //  a PDF renamed .png: the PNG signature is missing, so it is sniffed
    //  as nothing; give it a PNG signature and garbage instead, which only
    //  the OCR engine can refuse
    cr_assert_eq(cq_test_write(bogus, "\x89PNG\r\n\x1a\n%PDF-1.7 junk", 22), 0);

    cq_child_t up;
    char fe[256];
    cr_assert_eq(cq_proc_up(&up, dir, 1, fe, sizeof fe), 0,
                 "claimq up did not start");
    st = cq_proc_claimq(&r, 240, "submit", "--broker", fe, "--wait", "--output",
                        out, "--quiet", "--timeout", "200", forms, bogus, NULL);
    cq_run_free(&r);
    size_t n = 0;
    char *dec = cq_test_read(out, &n);
    cr_assert_not_null(dec);
    //  the folder of forms is one claim (its image; the truth beside it is
    //  hidden), the bogus scan the other
    size_t lines = 0;
    for (const char *q = dec; *q; q++)
        lines += *q == '\n';
    cr_assert_eq(lines, 2, "%s", dec);

    json_t *t = json_load_file(truth, 0, NULL);
    cr_assert_not_null(t);
    const char *id = json_string_value(json_object_get(t, "claim_id"));
    json_t *d = s_find(dec, id);
    cr_assert_not_null(d, "no decision for the form's claim %s:\n%s", id, dec);
    cr_assert_str_eq(json_string_value(json_object_get(d, "source")), "ocr");
    json_t *conf = json_object_get(d, "ocr_confidence");
    cr_assert(json_is_integer(conf));
    cr_assert(json_integer_value(conf) >= 0 && json_integer_value(conf) <= 100);
    const char *what = json_string_value(json_object_get(d, "decision"));
    if (strcmp(what, "pend") != 0) {
        //  read without doubt: billed must be exactly the form's total
        cr_assert_str_eq(json_string_value(json_object_get(d, "billed")),
                         json_string_value(json_object_get(t, "total_charge")));
    }
    json_decref(d);
    json_decref(t);

    //  the unreadable scan is answered too: rejected CO-16
    cr_assert(strstr(dec, "\"carc\": \"16\"") != NULL, "%s", dec);
    cr_assert(strstr(dec, "\"decision\": \"reject\"") != NULL, "%s", dec);
    //  under an id scoped by the document ("#<hash>:1"), so that another
    //  unreadable scan is not taken for a resubmission of this one
    const char *hash = strstr(dec, "\"claim_id\": \"#");
    cr_assert_not_null(hash, "%s", dec);
    cr_assert_eq(hash[22], ':', "%.40s", hash);
    free(dec);
    cr_assert_eq(cq_child_stop(&up, SIGTERM, 60000), 0, "claimq up: exit");
}

//  Issue 12: a scanned multi-page PDF (what fax servers and clearinghouses
//  send) through a cluster: one claim, one decision, a page; source "ocr";
//  each page read at the scan's own resolution (200 dpi here).
Test(paper, multi_page_pdf_through_a_cluster, .timeout = 300)
{
    const char *tmp = cq_test_tmpdir();
    cr_assert_not_null(tmp);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", tmp);
    cq_run_t r;
    int st = cq_proc_claimq(&r, 120, "gen", "--out", dir, "--claims", "40",
                            "--members", "50", "--paper", "4", "--pdf", "--dpi",
                            "200", NULL);
    cr_assert_eq(st, 0, "%s", r.err);
    cq_run_free(&r);
    char pdf[1100], truth[1100], out[1100];
    snprintf(pdf, sizeof pdf, "%s/forms/forms.pdf", dir);
    snprintf(truth, sizeof truth, "%s/forms/.truth/forms.json", dir);
    snprintf(out, sizeof out, "%s/decisions.jsonl", dir);
    size_t len = 0;
    char *head = cq_test_read(pdf, &len);
    cr_assert_not_null(head);
    cr_assert(len > 5 && memcmp(head, "%PDF-", 5) == 0);
    free(head);

    //  offline first: the pages as claims, at the scan's resolution
    st = cq_proc_claimq(&r, 120, "ocr", pdf, NULL);
    cr_assert_eq(st, 0, "%s", r.err);
    size_t pages = 0;
    for (const char *q = r.out; *q; q++)
        pages += *q == '\n';
    cr_assert_eq(pages, 4, "%s", r.out);
    cr_assert(strstr(r.out, "\"dpi\": 200"), "%.600s", r.out);
    cq_run_free(&r);

    cq_child_t up;
    char fe[256];
    cr_assert_eq(cq_proc_up(&up, dir, 1, fe, sizeof fe), 0,
                 "claimq up did not start");
    st = cq_proc_claimq(&r, 240, "submit", "--broker", fe, "--wait", "--output",
                        out, "--quiet", "--timeout", "200", pdf, NULL);
    cr_assert_eq(st, 0, "%s", r.err);
    cq_run_free(&r);
    char *dec = cq_test_read(out, NULL);
    cr_assert_not_null(dec);
    json_t *t = json_load_file(truth, 0, NULL);
    cr_assert(json_is_array(t));
    cr_assert_eq(json_array_size(t), 4);
    size_t lines = 0;
    for (const char *q = dec; *q; q++)
        lines += *q == '\n';
    cr_assert_eq(lines, 4, "one decision a page:\n%s", dec);
    size_t i;
    json_t *c;
    json_array_foreach(t, i, c)
    {
        const char *id = json_string_value(json_object_get(c, "claim_id"));
        json_t *d = s_find(dec, id);
        cr_assert_not_null(d, "no decision for page %zu (%s):\n%s", i + 1, id,
                           dec);
        cr_assert_str_eq(json_string_value(json_object_get(d, "source")),
                         "ocr");
        if (strcmp(json_string_value(json_object_get(d, "decision")), "pend") !=
            0)
            cr_assert_str_eq(
                json_string_value(json_object_get(d, "billed")),
                json_string_value(json_object_get(c, "total_charge")));
        json_decref(d);
    }
    json_decref(t);
    free(dec);
    cr_assert_eq(cq_child_stop(&up, SIGTERM, 60000), 0, "claimq up: exit");
}
