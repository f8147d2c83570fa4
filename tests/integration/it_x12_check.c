//  it_x12_check.c: `claimq check` as a user runs it: exit codes, the text
//  report, the 999, and the shared X12 samples.
#include "cq_test.h"
#include "mem.h"
#include "x12.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
s_run(cq_run_t *r, const char *a1, const char *a2, const char *a3,
      const char *a4)
{
    char *argv[8] = {(char *)cq_test_bin("claimq"),
                     "check",
                     (char *)a1,
                     (char *)a2,
                     (char *)a3,
                     (char *)a4,
                     NULL};
    cr_assert_eq(cq_test_run(argv, NULL, 30, r), 0);
}

//  A one-claim 837P; count_delta breaks SE01.
static const char *
s_file(const char *dir, const char *name, int count_delta, const char *total)
{
    static char path[8][1024];
    static int k;
    char *p = path[k++ % 8];
    snprintf(p, 1024, "%s/%s", dir, name);
    char doc[4096];
    int n = snprintf(
        doc, sizeof doc,
        "ISA*00*          *00*          *ZZ*SUBMITTER      *ZZ*RECEIVER     "
        "  *260302*1200*^*00501*000000001*0*P*:~\n"
        "GS*HC*SUBMITTER*RECEIVER*20260302*1200*1*X*005010X222A1~\n"
        "ST*837*0001*005010X222A1~\n"
        "BHT*0019*00*1*20260302*1200*CH~\n"
        "NM1*41*2*SUB*****46*S1~\n"
        "PER*IC*DESK*TE*8005550100~\n"
        "NM1*40*2*ACME*****46*ACME~\n"
        "HL*1**20*1~\n"
        "NM1*85*2*NORTH CLINIC*****XX*1234567893~\n"
        "REF*EI*123456789~\n"
        "HL*2*1*22*0~\n"
        "SBR*P*18*******CI~\n"
        "NM1*IL*1*DOE*JANE****MI*W100000001~\n"
        "DMG*D8*19800412*F~\n"
        "NM1*PR*2*ACME*****PI*ACME~\n"
        "CLM*PCN-1*%s***11:B:1*Y*A*Y*Y~\n"
        "HI*ABK:E119~\n"
        "LX*1~\n"
        "SV1*HC:99213*150*UN*1***1~\n"
        "DTP*472*D8*20260220~\n"
        "SE*%d*0001~\n"
        "GE*1*1~\n"
        "IEA*1*000000001~\n",
        total, 19 + count_delta);
    cr_assert_eq(cq_test_write(p, doc, (size_t)n), 0);
    return p;
}

Test(x12_check, usage_and_help)
{
    cq_run_t r;
    s_run(&r, "--help", NULL, NULL, NULL);
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.out, "--format"));
    cr_assert(strstr(r.out, "exit codes"));
    cq_run_free(&r);
    s_run(&r, NULL, NULL, NULL, NULL);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "Try"));
    cq_run_free(&r);
    s_run(&r, "--format", "xml", "x.837", NULL);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "Try"));
    cq_run_free(&r);
    s_run(&r, "--bogus", "x.837", NULL, NULL);
    cr_assert_eq(r.status, 2);
    cq_run_free(&r);
}

Test(x12_check, valid_invalid_and_missing_files)
{
    const char *dir = cq_test_tmpdir();
    const char *good = s_file(dir, "good.837", 0, "150");
    const char *badse = s_file(dir, "bad_se.837", 3, "150");
    const char *badsum = s_file(dir, "bad_sum.edi", 0, "500");
    cq_run_t r;
    s_run(&r, good, NULL, NULL, NULL);
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    cr_assert(strstr(r.out, "good.837: valid\n"), "%s", r.out);
    cr_assert(strstr(r.out, "1 claim (0 invalid), total charge 150.00"));
    cq_run_free(&r);
    s_run(&r, good, badse, NULL, NULL);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.out, "bad_se.837: INVALID\n"), "%s", r.out);
    cr_assert(strstr(r.out, "SE01 says 22 segments, counted 19 (IK5 4)"), "%s",
              r.out);
    cr_assert(strstr(r.out, "refused: no claims taken"));
    cq_run_free(&r);
    s_run(&r, badsum, NULL, NULL, NULL);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.out, "claim PCN-1: invalid (CO-16 M54): total_charge: "
                            "CLM02 500.00 does not equal the sum of the line "
                            "charges 150.00"),
              "%s", r.out);
    cq_run_free(&r);
    char missing[1100];
    snprintf(missing, sizeof missing, "%s/nope.837", dir);
    s_run(&r, missing, NULL, NULL, NULL);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "cannot read"));
    cq_run_free(&r);
}

Test(x12_check, format_999)
{
    const char *dir = cq_test_tmpdir();
    const char *good = s_file(dir, "good.837", 0, "150");
    const char *bad = s_file(dir, "bad.837", -2, "150");
    cq_run_t r;
    s_run(&r, "--format", "999", good, bad);
    cr_assert_eq(r.status, 1);
    cr_assert_eq(strncmp(r.out, "ISA*00*", 7), 0, "%s", r.out);
    cr_assert(strstr(r.out, "AK2*837*0001*005010X222A1~\nIK5*A~\n"
                            "AK9*A*1*1*1~\n"),
              "%s", r.out);
    cr_assert(strstr(r.out, "IK5*R*4~\nAK9*R*1*1*0~\n"), "%s", r.out);
    //  the 999s are themselves valid X12 (two interchanges, one per file)
    cq_x12_report_t rep;
    cr_assert_eq(cq_x12_parse(r.out, r.out_len, NULL, NULL, &rep, NULL),
                 CQ_EUNSUPPORTED);
    cr_assert_eq(rep.n_interchanges, 2);
    cr_assert_str_eq(rep.kind, "999");
    cq_x12_report_free(&rep);
    cq_run_free(&r);
}

Test(x12_check, shared_samples)
{
    const char *conf = cq_test_conformance();
    if (conf == NULL)
        cr_skip_test("no conformance folder (CQ_CONFORMANCE_DIR)");
    char a[1024], b[1024], c[1024];
    snprintf(a, sizeof a, "%s/x12/LinuxForHealth_x12_demo.example1.837", conf);
    snprintf(b, sizeof b,
             "%s/x12/LinuxForHealth_x12_two-claims-single-provider.837i", conf);
    snprintf(c, sizeof c, "%s/x12/LinuxForHealth_x12_managed-care.835", conf);
    cq_run_t r;
    s_run(&r, a, b, NULL, NULL);
    cr_assert_eq(r.status, 0, "%s", r.out);
    cr_assert(strstr(r.out, "example1.837: 837P: 1 interchange, 1 group, 1 "
                            "transaction set (1 accepted, 0 refused), 1 claim "
                            "(0 invalid), total charge 100.00"),
              "%s", r.out);
    cr_assert(strstr(r.out, "2 claims (0 invalid), total charge 139.95"));
    cq_run_free(&r);
    s_run(&r, c, NULL, NULL, NULL);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.out, "managed-care.835: an 835 remittance, not an 837 "
                            "claim file (1 transaction set, 2 claims, 2 "
                            "service lines, paid 945.00; balances)"),
              "%s", r.out);
    cq_run_free(&r);
}
