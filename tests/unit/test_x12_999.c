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
    char a99[100], want1[1024];
    memset(a99, 'A', 99);
    a99[99] = '\0';
    snprintf(want1, sizeof want1,
             "ST*999*0001*005010X231A1~\n"
             "AK1*HC*31*005010X222A1~\n"
             "AK2*837*0001*005010X222A1~\n"
             "IK5*A~\n"
             "AK2*837*0002*005010X222A1~\n"
             "IK5*R*4~\n"
             "AK2*837*0003*005010X222A1~\n"
             "IK3*ZZZ*21*2400*1~\n"
             "CTX*CLM01:0003~\n"
             "IK3*NTE*22*2400*8~\n"
             "CTX*CLM01:0003~\n"
             "IK4*2*352*5*%s~\n" // NTE02: its first 99 bytes
             "IK5*R*5~\n"
             "AK9*P*3*3*1~\n"
             "SE*15*0001~\n",
             a99);
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
    cr_assert(strstr(out.data, "IK3*HL*21*2000C*8~\nIK4*2*734*7*9~\n"), "%s",
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

// ----------------------------------------------- segment and element errors

//  A document, parsed (its claims, its report) and its 999 read back.
typedef struct {
    xb_t x;
    xb_claims_t k;       // the claims passed on
    cq_x12_report_t rep; // the parser's report
    cq_buf_t acks;       // the 999's AK2..AK9, read back (xb_read_999)
} s_case_t;

//  Parses t->x, writes its 999, checks that it is valid X12 and reads it
//  back into t->acks.
static void
s_run(s_case_t *t)
{
    memset(&t->k, 0, sizeof t->k);
    cq_x12_parse(t->x.b.data, t->x.b.len, xb_collect, &t->k, &t->rep, NULL);
    cq_buf_t out;
    cq_buf_init(&out, 1u << 20);
    cq_x12_envelope_t e = {.date = cq_date_from_ymd(2026, 3, 3),
                           .newline = true};
    cr_assert_eq(cq_x12_999_write(&t->rep, &e, &out), 0);
    s_assert_valid_999(&out, t->rep.n_groups);
    cq_buf_init(&t->acks, 1u << 20);
    xb_read_999(out.data, out.len, &t->acks);
    cq_buf_free(&out);
}

//  One 837P set: the standard header, billing provider and subscriber
//  (positions 1-15), then body (the claims), then SE; run.
static void
s_case(s_case_t *t, void (*body)(xb_t *))
{
    xb_std(&t->x);
    xb_isa(&t->x, "000000901");
    xb_gs(&t->x, "HC", "77", "005010X222A1");
    xb_st(&t->x, "837", "0001", "005010X222A1");
    xb_837_header(&t->x);
    xb_billing(&t->x, 1);
    xb_subscriber(&t->x, 2, 1, "W100000001", 0);
    body(&t->x);
    xb_se(&t->x, 0);
    xb_ge(&t->x);
    xb_iea(&t->x);
    s_run(t);
}

static void
s_case_free(s_case_t *t)
{
    xb_claims_free(&t->k);
    cq_x12_report_free(&t->rep);
    cq_buf_free(&t->acks);
    xb_free(&t->x);
}

//  s_case(body), then checks the 999 read back, that one claim was passed
//  and that it is invalid with RARC rarc.
static void
s_one_invalid(void (*body)(xb_t *), const char *acks, const char *rarc)
{
    s_case_t t;
    s_case(&t, body);
    cr_assert_str_eq(t.acks.data, acks);
    cr_assert_eq(t.k.n, 1);
    cr_assert(t.k.c[0].invalid);
    cr_assert_str_eq(t.k.c[0].invalid_rarc, rarc);
    s_case_free(&t);
}

Test(x12_999, bad_se_count_is_said_by_ik5_only)
{
    //  the guide's way: a wrong SE01 is IK502 4, no IK3 (no segment is
    //  in error); the set is refused, the group partly accepted
    s_case_t t;
    xb_std(&t.x);
    xb_isa(&t.x, "000000900");
    xb_gs(&t.x, "HC", "76", "005010X222A1");
    s_set(&t.x, "0001", NULL);
    s_set(&t.x, "0002", s_wrong_count);
    xb_ge(&t.x);
    xb_iea(&t.x);
    s_run(&t);
    cr_assert_str_eq(t.acks.data, "AK2*837*0001*005010X222A1\n"
                                  "IK5*A\n"
                                  "AK2*837*0002*005010X222A1\n"
                                  "IK5*R*4\n"
                                  "AK9*P*2*2*1\n");
    cr_assert_eq(t.rep.sets_refused, 1);
    cr_assert_eq(t.rep.refused_claims, 1); // its one CLM
    cr_assert_eq(t.rep.sets[1].clm_segments, 1);
    cr_assert_eq(t.k.n, 1);
    s_case_free(&t);
}

static void
s_lx_without_sv1(xb_t *x)
{
    xb_seg(x, "CLM*M1*100***11:B:1*Y*A*Y*Y"); // 16
    xb_seg(x, "HI*ABK:E119");                 // 17
    xb_seg(x, "LX*1");                        // 18
    xb_seg(x, "DTP*472*D8*20260220");         // 19: SV1 missing
}

Test(x12_999, missing_required_segment)
{
    s_case_t t;
    s_case(&t, s_lx_without_sv1);
    //  IK304 3 (required segment missing) at the position it belongs,
    //  in loop 2400 of claim M1; the set is refused (IK502 5)
    cr_assert_str_eq(t.acks.data, "AK2*837*0001*005010X222A1\n"
                                  "IK3*SV1*19*2400*3\n"
                                  "CTX*CLM01:M1\n"
                                  "IK5*R*5\n"
                                  "AK9*R*1*1*0\n");
    cr_assert_eq(t.rep.refused_claims, 1);
    cr_assert_eq(t.k.n, 0);
    s_case_free(&t);
}

static void
s_long_clm01(xb_t *x)
{
    //  1028 Claim Submitter's Identifier is AN 1-38: 39 is too long
    xb_claim(x, "L23456789012345678901234567890123456789", "100", "20260220");
    xb_claim(x, "OK1", "100", "20260220");
}

Test(x12_999, too_long_element_noted_and_its_claim_rejected)
{
    s_case_t t;
    s_case(&t, s_long_clm01);
    //  IK403 5 with the value copied back; the set is accepted with errors
    //  noted (IK5 E) and so is the group (AK9 E, 1 of 1 accepted)
    cr_assert_str_eq(t.acks.data,
                     "AK2*837*0001*005010X222A1\n"
                     "IK3*CLM*16*2300*8\n"
                     "CTX*CLM01:L23456789012345678901234567890123456789\n"
                     "IK4*1*1028*5*L23456789012345678901234567890123456789\n"
                     "IK5*E*5\n"
                     "AK9*E*1*1*1\n");
    cr_assert_eq(t.rep.sets[0].status, 'E');
    cr_assert_eq(t.rep.sets_accepted, 1);
    cr_assert_eq(t.rep.sets_refused, 0);
    cr_assert_eq(t.k.n, 2);
    cr_assert(t.k.c[0].invalid);
    cr_assert_str_eq(t.k.c[0].invalid_rarc, "M47");
    cr_assert_str_eq(t.k.c[0].invalid_msg, "claim_id: CLM01 longer than 38");
    cr_assert_not(t.k.c[1].invalid, "%s", t.k.c[1].invalid_msg);
    cr_assert_not(cq_x12_report_ok(&t.rep));
    s_case_free(&t);
}

static void
s_bad_date(xb_t *x)
{
    xb_claim(x, "D1", "100", "20261340"); // month 13: DTP at position 20
}

Test(x12_999, invalid_date)
{
    s_one_invalid(s_bad_date,
                  "AK2*837*0001*005010X222A1\n"
                  "IK3*DTP*20*2400*8\n"
                  "CTX*CLM01:D1\n"
                  "IK4*3*1251*8*20261340\n"
                  "IK5*E*5\n"
                  "AK9*E*1*1*1\n",
                  "M52");
}

static void
s_element_errors(xb_t *x)
{
    xb_seg(x, "CLM*F1*10***11:B:X*Y*A*Y*Y"); // 16: frequency X
    xb_seg(x, "HI*ABK:E119");
    xb_seg(x, "LX*1");
    xb_seg(x, "SV1*HC:99213:ABC*10*UN*1***1"); // 19: modifier of 3
    xb_seg(x, "DTP*472*D8*20260220");
    xb_seg(x, "CLM*F2*10***11:B:1*Y*A*Y*Y"); // 21
    xb_seg(x, "HI*ABK:1234");                // 22: not an ICD-10 code
    xb_seg(x, "LX*1");
    xb_seg(x, "SV1*HC:99213*1O*UN****A"); // 24: charge, units, pointer
    xb_seg(x, "DTP*472*D9*20260220");     // 25: not D8 / RD8
}

Test(x12_999, element_errors_with_their_codes)
{
    s_case_t t;
    s_case(&t, s_element_errors);
    cr_assert_str_eq(t.acks.data, "AK2*837*0001*005010X222A1\n"
                                  "IK3*CLM*16*2300*8\n"
                                  "CTX*CLM01:F1\n"
                                  "IK4*5:3*1325*7*X\n" // invalid code value
                                  "IK3*SV1*19*2400*8\n"
                                  "CTX*CLM01:F1\n"
                                  "IK4*1:3*1339*5*ABC\n" // too long
                                  "IK3*HI*22*2300*8\n"
                                  "CTX*CLM01:F2\n"
                                  "IK4*1:2*1271*7*1234\n"
                                  "IK3*SV1*24*2400*8\n"
                                  "CTX*CLM01:F2\n"
                                  "IK4*2*782*6*1O\n" // invalid character
                                  "IK4*4*380*1\n"    // required, missing
                                  "IK4*7:1*1328*6*A\n"
                                  "IK3*DTP*25*2400*8\n"
                                  "CTX*CLM01:F2\n"
                                  "IK4*2*1250*7*D9\n"
                                  "IK5*E*5\n"
                                  "AK9*E*1*1*1\n");
    cr_assert_eq(t.k.n, 2);
    cr_assert(t.k.c[0].invalid && t.k.c[1].invalid);
    s_case_free(&t);
}

static void
s_bad_context(xb_t *x)
{
    //  (in place of the standard 2000A / 2000B of s_case: positions 16-21)
    xb_seg(x, "HL*3**20*1");
    xb_seg(x, "NM1*85*2*NORTH CLINIC*****XX*12345"); // 17
    xb_seg(x, "HL*4*3*22*0");
    xb_seg(x, "SBR*P*18*GRP1******CI");
    xb_seg(x, "NM1*IL*1*DOE*JANE****MI*W1");
    xb_seg(x, "DMG*D8*19801340*F"); // 21
    xb_seg(x, "NM1*PR*2*ACME HEALTH*****PI*ACME");
    xb_claim(x, "C1", "100", "20260220");
}

Test(x12_999, context_errors_copy_no_personal_data)
{
    //  a bad billing NPI (IK403 I12, pattern) and a subscriber's birth
    //  date that is no date: said once at their segment, outside any
    //  claim (no CTX), without a copy of the value (names, ids, birth
    //  dates are never copied back); the claim below is rejected
    s_one_invalid(s_bad_context,
                  "AK2*837*0001*005010X222A1\n"
                  "IK3*NM1*17*2010AA*8\n"
                  "IK4*9*67*I12\n"
                  "IK3*DMG*21*2010BA*8\n"
                  "IK4*2*1251*8\n"
                  "IK5*E*5\n"
                  "AK9*E*1*1*1\n",
                  "N257");
}

static void
s_51_lines(xb_t *x)
{
    xb_seg(x, "CLM*B51*5100***11:B:1*Y*A*Y*Y"); // 16
    xb_seg(x, "HI*ABK:E119");
    for (int i = 1; i <= 51; i++) {
        xb_seg(x, "LX*%d", i); // 18 + 3 (i - 1)
        xb_seg(x, "SV1*HC:99213*100*UN*1***1");
        xb_seg(x, "DTP*472*D8*20260220");
    }
}

Test(x12_999, loop_over_its_maximum)
{
    //  IK304 4: the 51st 2400 loop (LX at 18 + 3 * 50 = 168)
    s_one_invalid(s_51_lines,
                  "AK2*837*0001*005010X222A1\n"
                  "IK3*LX*168*2400*4\n"
                  "CTX*CLM01:B51\n"
                  "IK5*E*5\n"
                  "AK9*E*1*1*1\n",
                  "");
}
