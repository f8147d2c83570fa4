//  it_ocr.c: `claimq ocr FILE` prints the claim with an "ocr" key, rejects
//  what is not an image with exit 1, and re-executes itself with
//  OMP_THREAD_LIMIT=1 when the variable is missing.
#include "cq_test.h"
#include "form.h"
#include "gen.h"
#include "paper.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  Renders generated claim 3 as a clean 300 dpi page into dir.
static void
s_write_form(const char *dir)
{
    cq_form_t *f = NULL;
    cq_diag_t d = {0};
    cr_assert_eq(
        cq_form_load(cq_test_src("schemas/forms/cms1500.json"), &f, &d), 0,
        "%s", d.msg);
    cq_gen_opts_t go;
    cq_gen_opts_default(&go);
    go.n_claims = 4;
    cq_gen_t *g = cq_gen_new(&go);
    cq_claim_t c;
    cq_gen_claim(g, 3, &c);
    cq_paper_opts_t o;
    cq_paper_opts_init(&o);
    size_t n = 0;
    cr_assert_eq(cq_paper_write_set(dir, f, &c, 1, &o, &n, &d), 0, "%s", d.msg);
    cr_assert_eq(n, 1);
    cq_gen_destroy(&g);
    cq_form_destroy(&f);
}

Test(ocr_cli, prints_the_claim_with_the_ocr_key, .timeout = 120)
{
    const char *dir = cq_test_tmpdir();
    s_write_form(dir);
    char png[4200], truth[4200];
    snprintf(png, sizeof png, "%s/form-000001.png", dir);
    snprintf(truth, sizeof truth, "%s/.truth/form-000001.json", dir);
    //  without OMP_THREAD_LIMIT: the verb must set it and run again
    unsetenv("OMP_THREAD_LIMIT");
    char *argv[] = {(char *)cq_test_bin("claimq"), "ocr", png, NULL};
    cq_run_t r;
    cr_assert_eq(cq_test_run(argv, NULL, 90, &r), 0);
    cr_assert_eq(r.status, 0, "claimq ocr: %s", r.err);
    json_error_t je;
    json_t *got = json_loads(r.out, 0, &je);
    cr_assert_not_null(got, "stdout is not one JSON object: %s", je.text);
    json_t *want = json_load_file(truth, 0, &je);
    cr_assert_not_null(want, "%s", je.text);
    cr_assert_str_eq(json_string_value(json_object_get(got, "claim_id")),
                     json_string_value(json_object_get(want, "claim_id")));
    cr_assert_str_eq(json_string_value(json_object_get(got, "source")), "ocr");
    json_t *ocr = json_object_get(got, "ocr");
    cr_assert(json_is_object(ocr));
    cr_assert(json_is_array(json_object_get(ocr, "fields")));
    cr_assert_gt(json_array_size(json_object_get(ocr, "fields")), 50);
    cr_assert(json_is_true(json_object_get(ocr, "registered")));
    cr_assert(json_is_integer(json_object_get(got, "ocr_confidence")));
    json_decref(got);
    json_decref(want);
    cq_run_free(&r);
    setenv("OMP_THREAD_LIMIT", "1", 1);
}

Test(ocr_cli, unreadable_files_exit_1_with_a_clear_message, .timeout = 60)
{
    const char *dir = cq_test_tmpdir();
    char path[4200];
    snprintf(path, sizeof path, "%s/scan.png", dir);
    static const char pdf[] = "%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n";
    cr_assert_eq(cq_test_write(path, pdf, sizeof pdf - 1), 0);
    char *argv[] = {(char *)cq_test_bin("claimq"), "ocr", path, NULL};
    cq_run_t r;
    cr_assert_eq(cq_test_run(argv, NULL, 30, &r), 0);
    cr_assert_eq(r.status, 1);
    cr_assert_eq(r.out_len, 0);
    cr_assert(strstr(r.err, "unreadable image") != NULL, "%s", r.err);
    cr_assert(strstr(r.err, "PDF") != NULL, "%s", r.err);
    cq_run_free(&r);

    char *missing[] = {(char *)cq_test_bin("claimq"), "ocr",
                       "/nonexistent/scan.png", NULL};
    cr_assert_eq(cq_test_run(missing, NULL, 30, &r), 0);
    cr_assert_eq(r.status, 1);
    cq_run_free(&r);

    char *usage[] = {
        (char *)cq_test_bin("claimq"), "ocr", "--threshold", "101", path, NULL};
    cr_assert_eq(cq_test_run(usage, NULL, 30, &r), 0);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "Try") != NULL);
    cq_run_free(&r);

    char *help[] = {(char *)cq_test_bin("claimq"), "ocr", "--help", NULL};
    cr_assert_eq(cq_test_run(help, NULL, 30, &r), 0);
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.out, "usage: claimq ocr") != NULL);
    cq_run_free(&r);

    char *bench[] = {(char *)cq_test_bin("claimq"), "bench", "ocr", "--help",
                     NULL};
    cr_assert_eq(cq_test_run(bench, NULL, 30, &r), 0);
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.out, "usage: claimq bench ocr") != NULL);
    cq_run_free(&r);
}
