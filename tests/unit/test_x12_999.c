//  test_x12_999.c: the 999 acknowledgment written from a parse report.
#include "x12.h"
#include "x12_fixture.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

//  Parses doc and writes its 999 into out (newline after each segment).
static void
s_999(const xb_t *x, cq_buf_t *out, const cq_x12_envelope_t *env)
{
    cq_x12_report_t rep;
    cq_x12_parse(x->b.data, x->b.len, NULL, NULL, &rep, NULL);
    cq_buf_init(out, 1u << 20);
    cq_x12_envelope_t e = {0};
    if (env)
        e = *env;
    e.newline = true;
    if (e.date == 0)
        e.date = cq_date_from_ymd(2026, 3, 3);
    cr_assert_eq(cq_x12_999_write(&rep, &e, out), 0);
    cq_x12_report_free(&rep);
}

//  The 999 itself is valid X12: an acknowledgment whose envelopes hold.
static void
s_assert_valid_999(const cq_buf_t *out, uint32_t sets)
{
    cq_x12_report_t rep;
    cq_diag_t d = {0};
    cr_assert_eq(cq_x12_parse(out->data, out->len, NULL, NULL, &rep, &d),
                 CQ_EUNSUPPORTED);
    cr_assert_str_eq(d.msg, "a 999 acknowledgment, not an 837 claim file");
    cr_assert_str_eq(rep.kind, "999");
    cr_assert_eq(rep.n_sets, sets);
    for (uint32_t i = 0; i < rep.n_sets; i++) {
        cr_assert_eq(rep.sets[i].status, 'A', "set %u: %s", i,
                     rep.sets[i].n_errors
                         ? rep.errors[rep.sets[i].first_error].msg
                         : "");
        cr_assert_str_eq(rep.sets[i].version, "005010X231A1");
    }
    for (uint32_t i = 0; i < rep.n_interchanges; i++)
        cr_assert_str_eq(rep.interchanges[i].ta1, "000");
    for (uint32_t i = 0; i < rep.n_groups; i++) {
        cr_assert_str_eq(rep.groups[i].id, "FA");
        cr_assert_eq(rep.groups[i].n_codes, 0);
    }
    cq_x12_report_free(&rep);
}

Test(x12_999, accepted_interchange)
{
    xb_t x;
    xb_std(&x);
    xb_simple_837(&x, 2);
    cq_buf_t out;
    s_999(&x, &out, NULL);
    cr_assert(strstr(out.data, "ISA*00*          *00*          *ZZ*RECEIVER  "
                               "     *ZZ*SUBMITTER      *260303*0000*^*00501*"
                               "000000001*0*T*:~\n"),
              "%s", out.data);
    cr_assert(strstr(out.data, "\nGS*FA*RECEIVER*SUBMITTER*20260303*0000*1*X*"
                               "005010X231A1~\n"
                               "ST*999*0001*005010X231A1~\n"
                               "AK1*HC*1*005010X222A1~\n"
                               "AK2*837*0001*005010X222A1~\n"
                               "IK5*A~\n"
                               "AK9*A*1*1*1~\n"
                               "SE*6*0001~\n"
                               "GE*1*1~\n"
                               "IEA*1*000000001~\n"),
              "%s", out.data);
    s_assert_valid_999(&out, 1);
    cq_buf_free(&out);
    xb_free(&x);
}

static void
s_set(xb_t *x, const char *ctl, void (*body)(xb_t *))
{
    xb_st(x, "837", ctl, "005010X222A1");
    xb_837_header(x);
    xb_billing(x, 1);
    xb_subscriber(x, 2, 1, "W100000001", 0);
    xb_claim(x, ctl, "100", "20260220");
    if (body)
        body(x);
    else
        xb_se(x, 0);
}

static void
s_wrong_count(xb_t *x)
{
    xb_se(x, -2);
}

static void
s_segment_errors(xb_t *x)
{
    char big[700];
    memset(big, 'A', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    xb_seg(x, "ZZZ*1");           // unknown segment
    xb_seg(x, "NTE*ADD*%s", big); // element too long
    xb_se(x, 0);
}

Test(x12_999, partly_accepted_group_with_errors)
{
    xb_t x;
    xb_std(&x);
    xb_isa(&x, "000000777");
    xb_gs(&x, "HC", "31", "005010X222A1");
    s_set(&x, "0001", NULL);
    s_set(&x, "0002", s_wrong_count);
    s_set(&x, "0003", s_segment_errors);
    xb_ge(&x);
    xb_gs(&x, "HC", "32", "005010X222A1");
    s_set(&x, "0004", NULL);
    xb_ge(&x);
    xb_iea(&x);
    cq_buf_t out;
    cq_x12_envelope_t env = {.control = 5000, .sender_id = "ACMEPAYER"};
    s_999(&x, &out, &env);
    const char *want1 = "ST*999*0001*005010X231A1~\n"
                        "AK1*HC*31*005010X222A1~\n"
                        "AK2*837*0001*005010X222A1~\n"
                        "IK5*A~\n"
                        "AK2*837*0002*005010X222A1~\n"
                        "IK5*R*4~\n"
                        "AK2*837*0003*005010X222A1~\n"
                        "IK3*ZZZ*21*2400*1~\n"
                        "IK3*NTE*22*2400*8~\n"
                        "IK4*2**5~\n"
                        "IK5*R*5~\n"
                        "AK9*P*3*3*1~\n"
                        "SE*13*0001~\n";
    cr_assert(strstr(out.data, want1), "%s", out.data);
    const char *want2 = "ST*999*0002*005010X231A1~\n"
                        "AK1*HC*32*005010X222A1~\n"
                        "AK2*837*0004*005010X222A1~\n"
                        "IK5*A~\n"
                        "AK9*A*1*1*1~\n"
                        "SE*6*0002~\n"
                        "GE*2*5000~\n"
                        "IEA*1*000005000~\n";
    cr_assert(strstr(out.data, want2), "%s", out.data);
    cr_assert(strstr(out.data, "*ZZ*ACMEPAYER      *ZZ*SUBMITTER      *"));
    s_assert_valid_999(&out, 2);
    cq_buf_free(&out);
    xb_free(&x);
}

static void
s_bad_hl(xb_t *x)
{
    xb_seg(x, "HL*3*9*23*0");
    xb_seg(x, "NM1*QC*1*DOE*TOM");
    xb_se(x, 0);
}

Test(x12_999, hl_errors_and_rejected_group)
{
    xb_t x;
    xb_std(&x);
    xb_isa(&x, "000000778");
    xb_gs(&x, "HC", "40", "005010X222A1");
    s_set(&x, "0001", s_bad_hl);
    xb_ge(&x);
    xb_iea(&x);
    cq_buf_t out;
    s_999(&x, &out, NULL);
    cr_assert(strstr(out.data, "IK3*HL*21*2000C*8~\nIK4*2**7~\n"), "%s",
              out.data);
    cr_assert(strstr(out.data, "IK5*R*5~\nAK9*R*1*1*0~\n"), "%s", out.data);
    s_assert_valid_999(&out, 1);
    cq_buf_free(&out);
    xb_free(&x);
}

Test(x12_999, ta1_for_interchange_errors)
{
    xb_t x;
    xb_std(&x);
    xb_isa(&x, "000000005");
    xb_gs(&x, "HC", "11", "005010X222A1");
    s_set(&x, "0001", NULL);
    xb_seg(&x, "GE*3*11");
    xb_seg(&x, "IEA*1*000000006");
    cq_buf_t out;
    s_999(&x, &out, NULL);
    cr_assert(strstr(out.data, "~\nTA1*000000005*260302*1200*E*001~\nGS*FA*"),
              "%s", out.data);
    cr_assert(strstr(out.data, "AK9*E*3*1*1*5~\n"), "%s", out.data);
    s_assert_valid_999(&out, 1);
    cq_buf_free(&out);
    xb_free(&x);
}

Test(x12_999, never_acknowledges_an_acknowledgment)
{
    xb_t x;
    xb_std(&x);
    xb_isa(&x, "000000005");
    xb_gs(&x, "FA", "11", "005010X231A1");
    xb_st(&x, "999", "0001", "005010X231A1");
    xb_seg(&x, "AK1*HC*28*005010X223A2");
    xb_seg(&x, "AK2*837*0028");
    xb_seg(&x, "IK3*NM*17**1");
    xb_seg(&x, "IK5*R*5");
    xb_seg(&x, "AK9*R*1*1*0");
    xb_se(&x, 0);
    xb_ge(&x);
    xb_iea(&x);
    cq_x12_report_t rep;
    cr_assert_eq(cq_x12_parse(x.b.data, x.b.len, NULL, NULL, &rep, NULL),
                 CQ_EUNSUPPORTED);
    cq_buf_t out;
    cq_buf_init(&out, 1u << 20);
    cr_assert_eq(cq_x12_999_write(&rep, NULL, &out), 0);
    cr_assert_eq(out.len, 0);
    cq_x12_report_free(&rep);
    cq_buf_free(&out);
    xb_free(&x);
}

Test(x12_999, an_835_in_a_claims_feed_is_refused_as_unsupported)
{
    xb_t x;
    xb_std(&x);
    xb_isa(&x, "000000005");
    xb_gs(&x, "HC", "1", "005010X222A1");
    s_set(&x, "0001", NULL);
    xb_ge(&x);
    xb_gs(&x, "HP", "2", "005010X221A1");
    xb_st(&x, "835", "0002", NULL);
    xb_seg(&x, "BPR*H*0*C*NON************20260302");
    xb_se(&x, 0);
    xb_ge(&x);
    xb_iea(&x);
    cq_buf_t out;
    cq_x12_envelope_t env = {.seps = {'|', '^', '!', '\n'}};
    s_999(&x, &out, &env);
    cr_assert(strstr(out.data, "AK1|HP|2|005010X221A1\nAK2|835|0002|"
                               "005010X221A1\nIK5|R|1\nAK9|R|1|1|0|1\n"),
              "%s", out.data);
    cq_buf_free(&out);
    xb_free(&x);
}

Test(x12_999, output_cap)
{
    xb_t x;
    xb_std(&x);
    xb_simple_837(&x, 1);
    cq_x12_report_t rep;
    cq_x12_parse(x.b.data, x.b.len, NULL, NULL, &rep, NULL);
    cq_buf_t out;
    cq_buf_init(&out, 100);
    cr_assert_eq(cq_x12_999_write(&rep, NULL, &out), CQ_ETOOBIG);
    cq_buf_free(&out);
    cq_x12_report_free(&rep);
    xb_free(&x);
}
