//  test_x12.c: the X12 tokenizer, the envelope checks and the 837 loops.
#include "doc.h"
#include "x12.h"
#include "x12_fixture.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

//  Reads every segment id of doc into ids ("ISA GS ST ..."); returns the
//  reader's final code.
static int
s_ids(const char *doc, size_t len, char *ids, size_t n)
{
    cq_x12_reader_t r;
    cq_x12_seg_t seg;
    cq_x12_reader_init(&r, doc, len);
    ids[0] = '\0';
    int rc;
    while ((rc = cq_x12_reader_next(&r, &seg)) > 0) {
        if (ids[0])
            strncat(ids, " ", n - strlen(ids) - 1);
        strncat(ids, seg.id[0] ? seg.id : "?", n - strlen(ids) - 1);
    }
    return rc;
}

static bool
s_str(cq_x12_str_t s, const char *lit)
{
    return s.n == strlen(lit) && memcmp(s.p, lit, s.n) == 0;
}

// ------------------------------------------------------------ separators

Test(x12_tokenizer, reads_standard_separators_from_isa)
{
    xb_t x;
    xb_std(&x);
    xb_simple_837(&x, 1);
    cq_x12_seps_t s;
    size_t isa_len;
    cr_assert_eq(cq_x12_read_isa(x.b.data, x.b.len, &s, &isa_len), 0);
    cr_assert_eq(isa_len, 105);
    cr_assert_eq(s.element, '*');
    cr_assert_eq(s.component, ':');
    cr_assert_eq(s.repetition, '^');
    cr_assert_eq(s.segment, '~');
    xb_free(&x);
}

Test(x12_tokenizer, reads_unusual_separators_and_4010_style_isa11)
{
    //  As the imsweb "different separators" sample: element '~',
    //  component '^', terminator '_', ISA11 'U' (no repetition separator).
    xb_t x;
    xb_init(&x, '~', '^', 0, '_', "\r\n");
    xb_simple_837(&x, 2);
    cq_x12_seps_t s;
    size_t isa_len;
    cr_assert_eq(cq_x12_read_isa(x.b.data, x.b.len, &s, &isa_len), 0);
    cr_assert_eq(s.element, '~');
    cr_assert_eq(s.component, '^');
    cr_assert_eq(s.repetition, 0);
    cr_assert_eq(s.segment, '_');
    xb_claims_t k = {0};
    cq_x12_report_t rep;
    int n = cq_x12_parse(x.b.data, x.b.len, xb_collect, &k, &rep, NULL);
    cr_assert_eq(n, 2);
    cr_assert(cq_x12_report_ok(&rep));
    cr_assert_str_eq(k.c[1].claim_id, "PCN-0002");
    cr_assert_str_eq(k.c[0].diagnoses[0], "E11.9");
    cr_assert_eq(k.c[0].lines[0].n_pointers, 2);
    cq_x12_report_free(&rep);
    xb_claims_free(&k);
    xb_free(&x);
}

Test(x12_tokenizer, control_characters_as_separators)
{
    xb_t x;
    xb_init(&x, 0x1D, 0x1F, 0x1E, 0x1C, "");
    xb_simple_837(&x, 1);
    xb_claims_t k = {0};
    cq_x12_report_t rep;
    cr_assert_eq(cq_x12_parse(x.b.data, x.b.len, xb_collect, &k, &rep, NULL),
                 1);
    cr_assert(cq_x12_report_ok(&rep));
    cr_assert_eq(k.c[0].lines[0].charge, 15000);
    cq_x12_report_free(&rep);
    xb_claims_free(&k);
    xb_free(&x);
}

Test(x12_tokenizer, isa_of_non_standard_length)
{
    //  Sender id not padded to 15: tolerated, delimiters still found.
    const char *doc =
        "ISA*00*          *00*          *ZZ*SHORT*ZZ*RECEIVER      "
        "  *260302*1200*^*00501*000000001*0*P*:~GS*HC*A*B*"
        "20260302*1200*1*X*005010X222A1~";
    cq_x12_seps_t s;
    size_t isa_len;
    cr_assert_eq(cq_x12_read_isa(doc, strlen(doc), &s, &isa_len), 0);
    cr_assert_eq(s.segment, '~');
    cr_assert_eq(s.component, ':');
    cr_assert_eq(s.repetition, '^');
    char ids[256];
    cr_assert_eq(s_ids(doc, strlen(doc), ids, sizeof ids), 0);
    cr_assert_str_eq(ids, "ISA GS");
}

Test(x12_tokenizer, rejects_isa_with_unusable_delimiters)
{
    cq_x12_seps_t s;
    size_t n;
    //  a letter as element separator; too short; terminator = element
    cr_assert_eq(cq_x12_read_isa("ISAX00", 6, &s, &n), CQ_EPROTO);
    cr_assert_eq(cq_x12_read_isa("ISA*00*", 7, &s, &n), CQ_EPROTO);
    char isa[107];
    memset(isa, ' ', sizeof isa);
    memcpy(isa, "ISA", 3);
    static const int at[] = {3,  6,  17, 20, 31, 34, 50,  53,
                             69, 76, 81, 83, 89, 99, 101, 103};
    for (size_t i = 0; i < 16; i++)
        isa[at[i]] = '*';
    isa[104] = ':';
    isa[105] = '*';
    cr_assert_eq(cq_x12_read_isa(isa, 106, &s, &n), CQ_EPROTO);
    isa[105] = '~';
    cr_assert_eq(cq_x12_read_isa(isa, 106, &s, &n), 0);
}

// ------------------------------------------------------------ layout

Test(x12_tokenizer, crlf_bom_and_blank_lines_between_segments)
{
    xb_t x;
    xb_init(&x, '*', ':', '^', '~', "\r\n\r\n");
    cq_buf_addstr(&x.b, "\xEF\xBB\xBF\r\n  \n");
    xb_simple_837(&x, 1);
    cq_buf_addstr(&x.b, "\r\n\n\n");
    char ids[1024];
    cr_assert_eq(s_ids(x.b.data, x.b.len, ids, sizeof ids), 0);
    cr_assert_str_eq(ids, "ISA GS ST BHT NM1 PER NM1 HL NM1 N3 N4 REF HL SBR "
                          "NM1 DMG NM1 CLM HI LX SV1 DTP SE GE IEA");
    cr_assert_eq(cq_x12_parse(x.b.data, x.b.len, NULL, NULL, NULL, NULL), 1);
    xb_free(&x);
}

Test(x12_tokenizer, whole_file_on_one_line_and_newline_terminator)
{
    xb_t x;
    xb_init(&x, '*', ':', '^', '~', "");
    xb_simple_837(&x, 3);
    cr_assert_null(memchr(x.b.data, '\n', x.b.len));
    cr_assert_eq(cq_x12_parse(x.b.data, x.b.len, NULL, NULL, NULL, NULL), 3);
    xb_free(&x);
    //  newline as the terminator, with CR LF line ends
    xb_init(&x, '*', ':', '^', '\n', "");
    xb_simple_837(&x, 2);
    cq_buf_t crlf;
    cq_buf_init(&crlf, 1u << 20);
    for (size_t i = 0; i < x.b.len; i++) {
        if (x.b.data[i] == '\n')
            cq_buf_add(&crlf, "\r", 1);
        cq_buf_add(&crlf, x.b.data + i, 1);
    }
    cq_x12_report_t rep;
    cr_assert_eq(cq_x12_parse(crlf.data, crlf.len, NULL, NULL, &rep, NULL), 2);
    cr_assert(cq_x12_report_ok(&rep));
    cq_x12_report_free(&rep);
    cq_buf_free(&crlf);
    xb_free(&x);
}

Test(x12_tokenizer, trailing_empty_elements_and_components)
{
    const char *doc = "ISA*00*          *00*          *ZZ*A              *ZZ*B "
                      "             *260302*1200*^*00501*000000001*0*P*:~"
                      "NM1*82*1*~SV1*HC:99213:25::59*10***~REF*G1*A^B^C~";
    cq_x12_reader_t r;
    cq_x12_seg_t seg;
    cq_x12_reader_init(&r, doc, strlen(doc));
    cr_assert_eq(cq_x12_reader_next(&r, &seg), 1);
    cr_assert_str_eq(seg.id, "ISA");
    cr_assert_eq(seg.n_elems, 16);
    cr_assert(s_str(cq_x12_elem(&seg, 16), ":"));
    cr_assert(s_str(cq_x12_trim(cq_x12_elem(&seg, 6)), "A"));
    cr_assert_eq(cq_x12_reader_next(&r, &seg), 1);
    cr_assert_str_eq(seg.id, "NM1");
    cr_assert_eq(seg.n_elems, 3);
    cr_assert(s_str(cq_x12_elem(&seg, 2), "1"));
    cr_assert_eq(cq_x12_elem(&seg, 3).n, 0);
    cr_assert_eq(cq_x12_elem(&seg, 9).n, 0);
    cr_assert_eq(cq_x12_elem(&seg, 0).n, 0);
    cr_assert_eq(cq_x12_reader_next(&r, &seg), 1);
    cr_assert_str_eq(seg.id, "SV1");
    cr_assert_eq(seg.n_elems, 5);
    cq_x12_str_t e1 = cq_x12_elem(&seg, 1);
    cr_assert_eq(cq_x12_ncomp(e1, ':'), 5);
    cr_assert(s_str(cq_x12_comp(e1, ':', 2), "99213"));
    cr_assert(s_str(cq_x12_comp(e1, ':', 3), "25"));
    cr_assert_eq(cq_x12_comp(e1, ':', 4).n, 0);
    cr_assert(s_str(cq_x12_comp(e1, ':', 5), "59"));
    cr_assert_eq(cq_x12_comp(e1, ':', 6).n, 0);
    cr_assert_eq(cq_x12_ncomp(cq_x12_elem(&seg, 3), ':'), 0);
    cr_assert_eq(cq_x12_reader_next(&r, &seg), 1);
    cr_assert(
        s_str(cq_x12_comp(cq_x12_elem(&seg, 2), seg.seps.repetition, 3), "C"));
    cr_assert_eq(cq_x12_reader_next(&r, &seg), 0);
    cr_assert_eq(r.n_segments, 4);
}

Test(x12_tokenizer, several_interchanges_with_their_own_separators)
{
    xb_t a, b;
    xb_std(&a);
    xb_simple_837(&a, 2);
    xb_init(&b, '|', '>', '!', '\n', "");
    xb_simple_837(&b, 3);
    cq_buf_add(&a.b, b.b.data, b.b.len);
    cq_x12_report_t rep;
    xb_claims_t k = {0};
    cr_assert_eq(cq_x12_parse(a.b.data, a.b.len, xb_collect, &k, &rep, NULL),
                 5);
    cr_assert_eq(rep.n_interchanges, 2);
    cr_assert_eq(rep.interchanges[1].seps.element, '|');
    cr_assert_eq(rep.interchanges[1].seps.component, '>');
    cr_assert_eq(rep.interchanges[1].seps.repetition, '!');
    //  both use ISA13 000000001: the second is a duplicate (TA1 025)
    cr_assert_str_eq(rep.interchanges[0].ta1, "000");
    cr_assert_str_eq(rep.interchanges[1].ta1, "025");
    cr_assert_str_eq(k.c[4].diagnoses[1], "I10");
    cr_assert_eq(k.c[4].lines[0].n_pointers, 2);
    cq_x12_report_free(&rep);
    xb_claims_free(&k);
    xb_free(&a);
    xb_free(&b);
}

// ------------------------------------------------------------ bad input

Test(x12_tokenizer, garbage_and_empty_input)
{
    char ids[64];
    cr_assert_eq(s_ids("", 0, ids, sizeof ids), 0);
    cr_assert_eq(s_ids("hello world~", 12, ids, sizeof ids), CQ_EPROTO);
    cr_assert_eq(s_ids("\x00\x01\x02ISA", 6, ids, sizeof ids), CQ_EPROTO);
    cq_diag_t d = {0};
    cq_x12_report_t rep;
    cr_assert_eq(cq_x12_parse("{\"claim_id\":1}", 14, NULL, NULL, &rep, &d),
                 CQ_EPROTO);
    cr_assert(strstr(d.msg, "does not start with ISA"));
    cq_x12_report_free(&rep);
    cr_assert_eq(cq_x12_parse("", 0, NULL, NULL, NULL, NULL), CQ_EPROTO);
    //  the reader's error is sticky
    cq_x12_reader_t r;
    cq_x12_seg_t seg;
    cq_x12_reader_init(&r, "XYZ*1~", 6);
    cr_assert_eq(cq_x12_reader_next(&r, &seg), CQ_EPROTO);
    cr_assert_eq(cq_x12_reader_next(&r, &seg), CQ_EPROTO);
    cr_assert_eq(r.err_at, 0);
}

Test(x12_tokenizer, truncated_input)
{
    xb_t x;
    xb_std(&x);
    xb_simple_837(&x, 2);
    //  cut inside the ISA: unreadable
    cr_assert_eq(cq_x12_parse(x.b.data, 60, NULL, NULL, NULL, NULL), CQ_EPROTO);
    //  cut inside the second claim: the set has no SE, refused (IK5 2),
    //  so not even the first claim comes out
    const char *cut = strstr(x.b.data, "CLM*PCN-0002");
    cr_assert_not_null(cut);
    size_t len = (size_t)(cut - x.b.data) + 20;
    cq_x12_report_t rep;
    xb_claims_t k = {0};
    cr_assert_eq(cq_x12_parse(x.b.data, len, xb_collect, &k, &rep, NULL), 0);
    cr_assert_eq(k.n, 0);
    cr_assert_eq(rep.n_sets, 1);
    cr_assert_eq(rep.sets[0].status, 'R');
    cr_assert_str_eq(rep.sets[0].codes[0], "2");
    cr_assert_str_eq(rep.groups[0].codes[0], "3");    // GE missing
    cr_assert_str_eq(rep.interchanges[0].ta1, "023"); // IEA missing
    cr_assert_not(cq_x12_report_ok(&rep));
    cq_x12_report_free(&rep);
    xb_claims_free(&k);
    //  a last segment without its terminator is accepted
    cr_assert_eq(x.b.data[x.b.len - 1], '\n');
    cr_assert_eq(x.b.data[x.b.len - 2], '~');
    cr_assert_eq(cq_x12_parse(x.b.data, x.b.len - 2, NULL, NULL, &rep, NULL),
                 2);
    cr_assert(cq_x12_report_ok(&rep));
    cq_x12_report_free(&rep);
    xb_free(&x);
}

Test(x12_tokenizer, segment_syntax_problems)
{
    char big[CQ_X12_MAX_SEGMENT_LEN + 200];
    const char *isa = "ISA*00*          *00*          *ZZ*A              *ZZ*B "
                      "             *260302*1200*^*00501*000000001*0*P*:~";
    cq_x12_reader_t r;
    cq_x12_seg_t seg;
    //  bad id, too many elements, element too long, control byte, too long
    struct {
        const char *body;
        int err;
        int elem;
    } t[] = {
        {"nm1*X~", CQ_X12_SEG_BAD_ID, 0},
        {"NM1X*1~", CQ_X12_SEG_BAD_ID, 0},
        {"N*1~", CQ_X12_SEG_BAD_ID, 0},
        {"1NM*1~", CQ_X12_SEG_BAD_ID, 0},
        {"NTE*A\x01"
         "B~",
         CQ_X12_SEG_BAD_CHAR, 1},
        {"NTE*A*B\tC~", CQ_X12_SEG_BAD_CHAR, 2},
    };
    for (size_t i = 0; i < CQ_ARRAY_LEN(t); i++) {
        snprintf(big, sizeof big, "%s%s", isa, t[i].body);
        cq_x12_reader_init(&r, big, strlen(big));
        cr_assert_eq(cq_x12_reader_next(&r, &seg), 1);
        cr_assert_eq(cq_x12_reader_next(&r, &seg), 1);
        cr_assert_eq(seg.err, t[i].err, "case %zu", i);
        cr_assert_eq(seg.err_elem, t[i].elem, "case %zu", i);
    }
    //  65 elements
    size_t n = (size_t)snprintf(big, sizeof big, "%sNTE", isa);
    for (int i = 0; i < 65; i++)
        n += (size_t)snprintf(big + n, sizeof big - n, "*%d", i);
    big[n++] = '~';
    cq_x12_reader_init(&r, big, n);
    cq_x12_reader_next(&r, &seg);
    cq_x12_reader_next(&r, &seg);
    cr_assert_eq(seg.err, CQ_X12_SEG_TOO_MANY_ELEMS);
    cr_assert_eq(seg.n_elems, CQ_X12_MAX_ELEMENTS);
    //  one element of 600 bytes
    n = (size_t)snprintf(big, sizeof big, "%sNTE*ADD*", isa);
    memset(big + n, 'A', 600);
    n += 600;
    big[n++] = '~';
    cq_x12_reader_init(&r, big, n);
    cq_x12_reader_next(&r, &seg);
    cq_x12_reader_next(&r, &seg);
    cr_assert_eq(seg.err, CQ_X12_SEG_ELEM_TOO_LONG);
    cr_assert_eq(seg.err_elem, 2);
    //  a segment over the cap (wrong terminator): id only
    n = (size_t)snprintf(big, sizeof big, "%sNTE*", isa);
    memset(big + n, 'B', CQ_X12_MAX_SEGMENT_LEN + 10);
    n += CQ_X12_MAX_SEGMENT_LEN + 10;
    cq_x12_reader_init(&r, big, n);
    cq_x12_reader_next(&r, &seg);
    cr_assert_eq(cq_x12_reader_next(&r, &seg), 1);
    cr_assert_eq(seg.err, CQ_X12_SEG_TOO_LONG);
    cr_assert_str_eq(seg.id, "NTE");
    cr_assert_eq(seg.n_elems, 0);
    cr_assert_eq(cq_x12_reader_next(&r, &seg), 0);
}

Test(x12_tokenizer, document_over_the_cap_is_refused_before_reading)
{
    cq_x12_reader_t r;
    cq_x12_seg_t seg;
    //  the length alone decides: the buffer is never touched
    cq_x12_reader_init(&r, "ISA", (size_t)CQ_X12_MAX_DOC + 1);
    cr_assert_eq(cq_x12_reader_next(&r, &seg), CQ_ETOOBIG);
}

// ------------------------------------------------------------ values

Test(x12_values, amounts_quantities_numbers)
{
    int64_t v;
    uint64_t u;
    cq_x12_str_t s = {"12.5", 4};
    cr_assert_eq(cq_x12_amount(s, &v), 0);
    cr_assert_eq(v, 1250);
    s = (cq_x12_str_t){"-1.27", 5};
    cr_assert_eq(cq_x12_amount(s, &v), 0);
    cr_assert_eq(v, -127);
    s = (cq_x12_str_t){"1.234", 5};
    cr_assert_eq(cq_x12_amount(s, &v), CQ_EINVAL);
    s = (cq_x12_str_t){"", 0};
    cr_assert_eq(cq_x12_amount(s, &v), CQ_EINVAL);
    s = (cq_x12_str_t){"21.00", 5};
    cr_assert_eq(cq_x12_quantity(s, &v), 0);
    cr_assert_eq(v, 21000);
    s = (cq_x12_str_t){"1.5", 3};
    cr_assert_eq(cq_x12_quantity(s, &v), 0);
    cr_assert_eq(v, 1500);
    s = (cq_x12_str_t){"0.1250", 6};
    cr_assert_eq(cq_x12_quantity(s, &v), 0);
    cr_assert_eq(v, 125);
    s = (cq_x12_str_t){"0.1255", 6};
    cr_assert_eq(cq_x12_quantity(s, &v), CQ_EINVAL);
    s = (cq_x12_str_t){"-1", 2};
    cr_assert_eq(cq_x12_quantity(s, &v), CQ_EINVAL);
    //  a number that ends the buffer is never read past
    s = (cq_x12_str_t){"123456", 3};
    cr_assert_eq(cq_x12_uint(s, &u), 0);
    cr_assert_eq(u, 123);
    s = (cq_x12_str_t){"12a", 3};
    cr_assert_eq(cq_x12_uint(s, &u), CQ_EINVAL);
}

Test(x12_values, icd_codes_get_their_point)
{
    char out[CQ_CODE_LEN];
    struct {
        const char *in;
        bool icd9;
        const char *out;
    } ok[] = {
        {"E119", false, "E11.9"},   {"I10", false, "I10"},
        {"F4310", false, "F43.10"}, {"S72001A", false, "S72.001A"},
        {"e119", false, "E11.9"},   {"E11.9", false, "E11.9"},
        {"8628", true, "862.8"},    {"E8888", true, "E888.8"},
        {"V7389", true, "V73.89"},  {"0340", true, "034.0"},
        {"3669", true, "366.9"},    {"401", true, "401"},
    };
    for (size_t i = 0; i < CQ_ARRAY_LEN(ok); i++) {
        cq_x12_str_t s = {ok[i].in, strlen(ok[i].in)};
        cr_assert_eq(cq_x12_icd_format(s, ok[i].icd9, out, sizeof out), 0, "%s",
                     ok[i].in);
        cr_assert_str_eq(out, ok[i].out);
    }
    const char *bad[] = {"",           "E1",   "E11*9", "E11.9.1",
                         "ABCDEFGHIJ", "1E19", "EE19"};
    for (size_t i = 0; i < CQ_ARRAY_LEN(bad); i++) {
        cq_x12_str_t s = {bad[i], strlen(bad[i])};
        cr_assert_eq(cq_x12_icd_format(s, false, out, sizeof out), CQ_EINVAL,
                     "%s", bad[i]);
    }
    //  ICD-9 shapes: digits, V + digits, E + 3-4 digits
    const char *bad9[] = {"12", "123456", "E88", "E88888", "V7", "A123", "8X2"};
    for (size_t i = 0; i < CQ_ARRAY_LEN(bad9); i++) {
        cq_x12_str_t s = {bad9[i], strlen(bad9[i])};
        cr_assert_eq(cq_x12_icd_format(s, true, out, sizeof out), CQ_EINVAL,
                     "%s", bad9[i]);
    }
    cq_x12_str_t e888 = {"E888", 4};
    cr_assert_eq(cq_x12_icd_format(e888, true, out, sizeof out), 0);
    cr_assert_str_eq(out, "E888");
}

// ------------------------------------------------------------ envelopes

//  Two groups: group 1 holds three sets, the second of which is broken by
//  make (a callback writing its segments); group 2 one good set.
typedef void (*s_breaker_t)(xb_t *x);

static void
s_set_with(xb_t *x, const char *ctl, const char *claim, s_breaker_t brk)
{
    xb_st(x, "837", ctl, "005010X222A1");
    xb_837_header(x);
    xb_billing(x, 1);
    xb_subscriber(x, 2, 1, "W100000001", 0);
    xb_claim(x, claim, "100", "20260220");
    if (brk)
        brk(x);
    else
        xb_se(x, 0);
}

static void
s_three_sets(xb_t *x, s_breaker_t brk)
{
    xb_std(x);
    xb_isa(x, "000000042");
    xb_gs(x, "HC", "7", "005010X222A1");
    s_set_with(x, "0001", "A1", NULL);
    s_set_with(x, "0002", "B2", brk);
    s_set_with(x, "0003", "C3", NULL);
    xb_ge(x);
    xb_gs(x, "HC", "8", "005010X222A1");
    s_set_with(x, "0004", "D4", NULL);
    xb_ge(x);
    xb_iea(x);
}

static void
s_bad_count(xb_t *x)
{
    xb_se(x, +3);
}

static void
s_bad_control(xb_t *x)
{
    xb_seg(x, "SE*%d*9999", x->st_segments + 1);
}

static void
s_unknown_segment(xb_t *x)
{
    xb_seg(x, "ZZZ*1");
    xb_se(x, 0);
}

static void
s_dup_control(xb_t *x)
{
    xb_se(x, 0);
    s_set_with(x, "0002", "B3", NULL); // ST02 0002 again
}

//  Runs doc and checks: the broken set refused with code, the others'
//  claims all there.
static void
s_expect_refused(s_breaker_t brk, const char *code, uint32_t set_index,
                 const char *claims)
{
    xb_t x;
    s_three_sets(&x, brk);
    xb_claims_t k = {0};
    cq_x12_report_t rep;
    int n = cq_x12_parse(x.b.data, x.b.len, xb_collect, &k, &rep, NULL);
    char got[64] = "";
    for (size_t i = 0; i < k.n; i++) {
        strcat(got, k.c[i].claim_id);
        strcat(got, " ");
    }
    cr_assert_str_eq(got, claims);
    cr_assert_eq((size_t)n, k.n);
    cr_assert_eq(rep.sets_refused, 1);
    const cq_x12_set_t *s = &rep.sets[set_index];
    cr_assert_eq(s->status, 'R');
    bool found = false;
    for (uint8_t i = 0; i < s->n_codes; i++)
        found |= strcmp(s->codes[i], code) == 0;
    cr_assert(found, "IK5 code %s expected", code);
    cr_assert_eq(rep.groups[0].status, 'P');
    cr_assert_eq(rep.groups[1].status, 'A');
    cr_assert_eq(s->claims, 0);
    cq_x12_report_free(&rep);
    xb_claims_free(&k);
    xb_free(&x);
}

Test(x12_envelope, all_good)
{
    xb_t x;
    s_three_sets(&x, NULL);
    cq_x12_report_t rep;
    cr_assert_eq(cq_x12_parse(x.b.data, x.b.len, NULL, NULL, &rep, NULL), 4);
    cr_assert(cq_x12_report_ok(&rep));
    cr_assert_eq(rep.n_groups, 2);
    cr_assert_eq(rep.n_sets, 4);
    cr_assert_eq(rep.groups[0].n_sets, 3);
    cr_assert_eq(rep.groups[0].declared_sets, 3);
    cr_assert_eq(rep.interchanges[0].declared_groups, 2);
    cr_assert_str_eq(rep.interchanges[0].control, "000000042");
    cr_assert_eq(rep.total_charge, 40000);
    cr_assert_str_eq(rep.kind, "837P");
    cq_x12_report_free(&rep);
    xb_free(&x);
}

Test(x12_envelope, set_with_wrong_se01_is_refused_whole)
{
    s_expect_refused(s_bad_count, "4", 1, "A1 C3 D4 ");
}

Test(x12_envelope, set_with_wrong_se02_is_refused_whole)
{
    s_expect_refused(s_bad_control, "3", 1, "A1 C3 D4 ");
}

Test(x12_envelope, set_with_unknown_segment_is_refused_whole)
{
    //  the bad segment comes after the claim: still no claim from the set
    s_expect_refused(s_unknown_segment, "5", 1, "A1 C3 D4 ");
}

Test(x12_envelope, duplicate_st02_is_refused)
{
    xb_t x;
    s_three_sets(&x, s_dup_control);
    xb_claims_t k = {0};
    cq_x12_report_t rep;
    cq_x12_parse(x.b.data, x.b.len, xb_collect, &k, &rep, NULL);
    cr_assert_eq(rep.n_sets, 5);
    cr_assert_eq(rep.sets[2].status, 'R');
    cr_assert_str_eq(rep.sets[2].codes[0], "23");
    cr_assert_eq(k.n, 4); // A1 B2 C3 D4, not B3
    //  GE01 counted 4 sets in group 1 but the fixture wrote 4: fine
    cr_assert_eq(rep.groups[0].n_codes, 0);
    cq_x12_report_free(&rep);
    xb_claims_free(&k);
    xb_free(&x);
}

Test(x12_envelope, group_and_interchange_trailers)
{
    xb_t x;
    xb_std(&x);
    xb_isa(&x, "000000005");
    xb_gs(&x, "HC", "11", "005010X222A1");
    s_set_with(&x, "0001", "A1", NULL);
    xb_seg(&x, "GE*2*12");         // wrong count and control number
    xb_seg(&x, "IEA*1*000000006"); // wrong control number
    xb_claims_t k = {0};
    cq_x12_report_t rep;
    cr_assert_eq(cq_x12_parse(x.b.data, x.b.len, xb_collect, &k, &rep, NULL),
                 1);
    //  the set itself is fine and its claim goes on
    cr_assert_eq(rep.sets[0].status, 'A');
    cr_assert_eq(rep.groups[0].status, 'E');
    cr_assert_eq(rep.groups[0].n_codes, 2);
    cr_assert_str_eq(rep.groups[0].codes[0], "4");
    cr_assert_str_eq(rep.groups[0].codes[1], "5");
    cr_assert_str_eq(rep.interchanges[0].ta1, "001");
    cr_assert_not(cq_x12_report_ok(&rep));
    cq_x12_report_free(&rep);
    xb_claims_free(&k);
    xb_free(&x);
}

Test(x12_envelope, duplicate_gs06_and_bad_iea01)
{
    xb_t x;
    xb_std(&x);
    xb_isa(&x, "000000005");
    xb_gs(&x, "HC", "3", "005010X222A1");
    s_set_with(&x, "0001", "A1", NULL);
    xb_ge(&x);
    xb_gs(&x, "HC", "3", "005010X222A1");
    s_set_with(&x, "0001", "B1", NULL);
    xb_ge(&x);
    xb_seg(&x, "IEA*3*000000005");
    cq_x12_report_t rep;
    cr_assert_eq(cq_x12_parse(x.b.data, x.b.len, NULL, NULL, &rep, NULL), 2);
    cr_assert_eq(rep.groups[0].status, 'A');
    cr_assert_eq(rep.groups[1].status, 'E');
    cr_assert_str_eq(rep.groups[1].codes[0], "6");
    cr_assert_str_eq(rep.interchanges[0].ta1, "021");
    cq_x12_report_free(&rep);
    xb_free(&x);
}

Test(x12_envelope, old_version_and_dental_are_refused)
{
    xb_t x;
    xb_std(&x);
    xb_isa(&x, "000000005");
    xb_gs(&x, "HC", "1", "004010X098A1");
    s_set_with(&x, "0001", "A1", NULL);
    xb_ge(&x);
    xb_gs(&x, "HC", "2", "005010X224A2");
    s_set_with(&x, "0002", "B1", NULL);
    xb_ge(&x);
    xb_iea(&x);
    cq_x12_report_t rep;
    xb_claims_t k = {0};
    cr_assert_eq(cq_x12_parse(x.b.data, x.b.len, xb_collect, &k, &rep, NULL),
                 0);
    cr_assert_eq(k.n, 0);
    cr_assert_str_eq(rep.groups[0].codes[0], "2"); // AK9 2: version
    cr_assert_eq(rep.groups[0].status, 'R');
    cr_assert_eq(rep.sets[1].status, 'R');
    cr_assert_str_eq(rep.sets[1].codes[0], "1");
    cq_x12_report_free(&rep);
    xb_claims_free(&k);
    xb_free(&x);
}

Test(x12_envelope, hl_tree_and_loop_order)
{
    //  a claim before any subscriber HL, an SV1 without LX, a 23 whose
    //  parent is not the 22, a reused HL01
    const char *cases[] = {"clm_outside", "sv1_alone", "bad_parent",
                           "reused_hl"};
    for (size_t c = 0; c < CQ_ARRAY_LEN(cases); c++) {
        xb_t x;
        xb_std(&x);
        xb_isa(&x, "000000005");
        xb_gs(&x, "HC", "1", "005010X222A1");
        xb_st(&x, "837", "0001", "005010X222A1");
        xb_837_header(&x);
        xb_billing(&x, 1);
        if (c == 0)
            xb_claim(&x, "X1", "100", "20260220");
        xb_subscriber(&x, 2, 1, "W100000001", c >= 2);
        if (c == 1) {
            xb_seg(&x, "CLM*X2*100***11:B:1*Y*A*Y*Y");
            xb_seg(&x, "HI*ABK:E119");
            xb_seg(&x, "SV1*HC:99213*100*UN*1***1");
        }
        if (c == 2) {
            xb_seg(&x, "HL*3*1*23*0");
            xb_claim(&x, "X3", "100", "20260220");
        }
        if (c == 3) {
            xb_seg(&x, "HL*2*2*23*0");
            xb_claim(&x, "X4", "100", "20260220");
        }
        xb_se(&x, 0);
        xb_ge(&x);
        xb_iea(&x);
        cq_x12_report_t rep;
        cr_assert_eq(cq_x12_parse(x.b.data, x.b.len, NULL, NULL, &rep, NULL), 0,
                     "%s", cases[c]);
        cr_assert_eq(rep.sets[0].status, 'R', "%s", cases[c]);
        cr_assert_str_eq(rep.sets[0].codes[0], "5", "%s", cases[c]);
        cr_assert_gt(rep.sets[0].n_errors, 0);
        const cq_x12_error_t *e = &rep.errors[rep.sets[0].first_error];
        cr_assert_neq(e->seg_code[0], '\0', "%s", cases[c]);
        cq_x12_report_free(&rep);
        xb_free(&x);
    }
}

Test(x12_envelope, not_an_837)
{
    xb_t x;
    xb_std(&x);
    xb_isa(&x, "000000005");
    xb_gs(&x, "HP", "1", "005010X221A1");
    xb_st(&x, "835", "0001", NULL);
    xb_seg(&x, "BPR*I*0*C*NON************20260302");
    xb_se(&x, 0);
    xb_ge(&x);
    xb_iea(&x);
    cq_diag_t d = {0};
    cq_x12_report_t rep;
    cr_assert_eq(cq_x12_parse(x.b.data, x.b.len, NULL, NULL, &rep, &d),
                 CQ_EUNSUPPORTED);
    cr_assert_str_eq(d.msg, "an 835 remittance, not an 837 claim file");
    cr_assert_str_eq(rep.kind, "835");
    cq_x12_report_free(&rep);
    //  and through the document layer
    memset(&d, 0, sizeof d);
    cr_assert_eq(
        cq_doc_decode((const uint8_t *)x.b.data, x.b.len, 0, NULL, NULL, &d),
        CQ_EUNSUPPORTED);
    cr_assert(strstr(d.msg, "an 835 remittance, not an 837 claim file"));
    xb_free(&x);
}

// ------------------------------------------------------------ 837 loops

static int
s_one(const char *doc, size_t len, cq_claim_t *out)
{
    xb_claims_t k = {0};
    int n = cq_x12_parse(doc, len, xb_collect, &k, NULL, NULL);
    if (k.n > 0)
        *out = k.c[0];
    xb_claims_free(&k);
    return n;
}

#define S_PROF "005010X222A1" // 837P
#define S_INST "005010X223A2" // 837I

//  A whole 837 with one claim, after x's separators are set: the
//  envelopes, the header, billing provider HL 1 and subscriber HL 2
//  (member; `dependent`: a patient HL follows), then segs (NULL-ended): the
//  claim's loops. impl: GS08 and ST03. A case is its segments.
static void
s_one_claim_837(xb_t *x, const char *impl, const char *member, int dependent,
                const char *const *segs)
{
    xb_isa(x, "000000005");
    xb_gs(x, "HC", "1", impl);
    xb_st(x, "837", "0001", impl);
    xb_837_header(x);
    xb_billing(x, 1);
    xb_subscriber(x, 2, 1, member, dependent);
    for (size_t i = 0; segs[i] != NULL; i++)
        xb_seg(x, "%s", segs[i]);
    xb_se(x, 0);
    xb_ge(x);
    xb_iea(x);
}

//  The one claim such an 837 holds (the parse must find exactly one).
static void
s_parse_one(const char *impl, const char *member, int dependent,
            const char *const *segs, cq_claim_t *c)
{
    xb_t x;
    xb_std(&x);
    s_one_claim_837(&x, impl, member, dependent, segs);
    cr_assert_eq(s_one(x.b.data, x.b.len, c), 1);
    xb_free(&x);
}

Test(x12_837, dependent_patient_prior_auth_replacement)
{
    const char *const segs[] = {
        "HL*3*2*23*0", "PAT*19", "NM1*QC*1*DOE*TOMMY", "DMG*D8*20100105*M",
        "CLM*PCN-7*250***11:B:7*Y*A*Y*Y", "REF*F8*PCN-1", "REF*G1*AUTH77",
        "HI*ABK:E119*ABF:I10*ABF:Z0000",
        "NM1*82*1*WELBY*MARCUS****XX*1912301953",
        //  COB: the other subscriber and payer must not replace ours
        "SBR*S*01**OTHER*****CI", "OI***Y*P**Y",
        "NM1*IL*1*OTHER*PERSON****MI*OTHER1",
        "NM1*PR*2*OTHER PAYER*****PI*OTHERPAYER", "REF*G1*NOT-OURS", "LX*1",
        "SV1*HC:99214:25:59*150*UN*1*22**1:3", "DTP*472*D8*20260220", "LX*2",
        "SV1*HC:81002*100*UN*2.5***2", "DTP*472*RD8*20260220-20260222",
        "NM1*82*1*OTHER*DOC****XX*1234567893", NULL};
    cq_claim_t c;
    s_parse_one(S_PROF, "W100000001", 1, segs, &c);
    cr_assert_not(c.invalid, "%s", c.invalid_msg);
    cr_assert_str_eq(c.claim_id, "PCN-7");
    cr_assert_str_eq(c.payer_id, "ACME");
    cr_assert_eq(c.frequency, '7');
    cr_assert_str_eq(c.original_claim_id, "PCN-1");
    cr_assert_str_eq(c.prior_auth, "AUTH77");
    cr_assert_str_eq(c.member.id, "W100000001");
    cr_assert_str_eq(c.member.last_name, "DOE");
    cr_assert_str_eq(c.member.first_name, "TOMMY");
    cr_assert_eq(c.member.birth_date, cq_date_from_ymd(2010, 1, 5));
    cr_assert_eq(c.member.sex, 'M');
    cr_assert_str_eq(c.billing_npi, "1234567893");
    cr_assert_str_eq(c.billing_tax_id, "123456789");
    cr_assert_str_eq(c.billing_name, "NORTH CLINIC");
    cr_assert_eq(c.n_diagnoses, 3);
    cr_assert_str_eq(c.diagnoses[2], "Z00.00");
    cr_assert_eq(c.total_charge, 25000);
    cr_assert_eq(c.type, CQ_CLAIM_PROFESSIONAL);
    cr_assert_eq(c.source, CQ_SOURCE_X12);
    cr_assert_eq(c.received_date, CQ_DATE_NONE);
    cr_assert_eq(c.n_lines, 2);
    const cq_line_t *l = &c.lines[0];
    cr_assert_str_eq(l->procedure, "99214");
    cr_assert_eq(l->n_modifiers, 2);
    cr_assert_str_eq(l->modifiers[1], "59");
    cr_assert_str_eq(l->place_of_service, "22");
    cr_assert_eq(l->units_milli, 1000);
    cr_assert_eq(l->n_pointers, 2);
    cr_assert_eq(l->dx_pointers[1], 3);
    cr_assert_str_eq(l->rendering_npi, "1912301953");
    cr_assert_eq(l->service_date, cq_date_from_ymd(2026, 2, 20));
    cr_assert_eq(l->service_date_end, CQ_DATE_NONE);
    l = &c.lines[1];
    cr_assert_str_eq(l->place_of_service, "11");
    cr_assert_eq(l->units_milli, 2500);
    cr_assert_eq(l->service_date_end, cq_date_from_ymd(2026, 2, 22));
    cr_assert_str_eq(l->rendering_npi, "1234567893");
}

Test(x12_837, institutional_claim)
{
    const char *const segs[] = {"CLM*INST-1*300***13:A:1**A*Y*Y",
                                "DTP*434*RD8*20260301-20260303",
                                "CL1*1**01",
                                "HI*ABK:R079",
                                "HI*ABF:I10*BE:A2:::15.31",
                                "NM1*71*1*JONES*JOHN****XX*1122334455",
                                "LX*1",
                                "SV2*0450*HC:99284*200*UN*1",
                                "DTP*472*D8*20260301",
                                "LX*2",
                                "SV2*0250**100*UN*3",
                                NULL};
    cq_claim_t c;
    s_parse_one(S_INST, "W100000002", 0, segs, &c);
    cr_assert_not(c.invalid, "%s", c.invalid_msg);
    cr_assert_eq(c.type, CQ_CLAIM_INSTITUTIONAL);
    cr_assert_eq(c.n_diagnoses, 2);
    cr_assert_str_eq(c.diagnoses[0], "R07.9");
    cr_assert_str_eq(c.lines[0].revenue_code, "0450");
    cr_assert_str_eq(c.lines[0].procedure, "99284");
    cr_assert_str_eq(c.lines[0].place_of_service, "");
    cr_assert_str_eq(c.lines[1].revenue_code, "0250");
    cr_assert_str_eq(c.lines[1].procedure, "");
    cr_assert_eq(c.lines[1].units_milli, 3000);
    //  no DTP*472: the statement period
    cr_assert_eq(c.lines[1].service_date, cq_date_from_ymd(2026, 3, 1));
    cr_assert_eq(c.lines[1].service_date_end, cq_date_from_ymd(2026, 3, 3));
}

//  Claims with a content error: the set is accepted (the error is the
//  claim's), and the claim is invalid with this message (whole, or a part
//  of it) and, where given, this RARC.
static const struct {
    const char *name;
    const char *segs[6]; // the claim's loops, NULL-ended
    const char *msg;     // the whole invalid_msg, or NULL
    const char *part;    // or a part of it
    const char *rarc;    // NULL: not checked
} s_content_errors[] = {
    {"total_mismatch",
     {"CLM*T1*500***11:B:1*Y*A*Y*Y", "HI*ABK:E119", "LX*1",
      "SV1*HC:99213*12.25*UN*1***1", "DTP*472*D8*20260220"},
     "total_charge: CLM02 500.00 does not equal the sum of the line "
     "charges 12.25",
     NULL,
     "M54"},
    {"no_date",
     {"CLM*T2*10***11:B:1*Y*A*Y*Y", "HI*ABK:E119", "LX*1",
      "SV1*HC:99213*10*UN*1***1"},
     "lines[1].service_date: DTP*472 missing",
     NULL,
     NULL},
    {"bad_pointer",
     {"CLM*T3*10***11:B:1*Y*A*Y*Y", "HI*ABK:E119", "LX*1",
      "SV1*HC:99213*10*UN*1***1:2", "DTP*472*D8*20260220"},
     NULL,
     "lines[1].diagnosis_pointers: pointer 2 but only 1",
     NULL},
    {"icd9_late",
     {"CLM*T4*10***11:B:1*Y*A*Y*Y", "HI*BK:4019", "LX*1",
      "SV1*HC:99213*10*UN*1***1", "DTP*472*D8*20260220"},
     NULL,
     "ICD-9",
     "M76"},
    {"void_without_f8",
     {"CLM*T5*10***11:B:8*Y*A*Y*Y", "HI*ABK:E119", "LX*1",
      "SV1*HC:99213*10*UN*1***1", "DTP*472*D8*20260220"},
     NULL,
     "original_claim_id: frequency 8 needs REF*F8",
     NULL},
    {"bad_amount",
     {"CLM*T6*1O.00***11:B:1*Y*A*Y*Y", "HI*ABK:E119", "LX*1",
      "SV1*HC:99213*10*UN*0***1", "DTP*472*D8*20261340"},
     NULL,
     "total_charge: CLM02",
     NULL},
};

Test(x12_837, content_errors_make_the_claim_invalid_not_the_set)
{
    for (size_t i = 0; i < CQ_ARRAY_LEN(s_content_errors); i++) {
        const char *name = s_content_errors[i].name;
        xb_t x;
        xb_std(&x);
        s_one_claim_837(&x, S_PROF, "W100000001", 0, s_content_errors[i].segs);
        cq_x12_report_t rep;
        xb_claims_t k = {0};
        cr_assert_eq(
            cq_x12_parse(x.b.data, x.b.len, xb_collect, &k, &rep, NULL), 1,
            "%s", name);
        const cq_claim_t *c = &k.c[0];
        //  accepted ('E' when the content error is an X12 element error)
        cr_assert_neq(rep.sets[0].status, 'R', "%s", name);
        cr_assert(c->invalid, "%s: valid", name);
        cr_assert_eq(rep.invalid_claims, 1, "%s", name);
        if (s_content_errors[i].msg)
            cr_assert_str_eq(c->invalid_msg, s_content_errors[i].msg, "%s",
                             name);
        else
            cr_assert(strstr(c->invalid_msg, s_content_errors[i].part),
                      "%s: %s", name, c->invalid_msg);
        if (s_content_errors[i].rarc)
            cr_assert_str_eq(c->invalid_rarc, s_content_errors[i].rarc, "%s",
                             name);
        cq_x12_report_free(&rep);
        xb_claims_free(&k);
        xb_free(&x);
    }
}

Test(x12_837, icd9_claims_from_before_2015_are_kept)
{
    //  the conformance samples' case: BK/BF codes on 2005 services
    const char *const segs[] = {
        "CLM*OLD*10***11:B:1*Y*A*Y*Y",  "HI*BK:8628*BF:E8888*BF:V7389", "LX*1",
        "SV1*HC:99213*10*UN*1***1:2:3", "DTP*472*D8*20050208",          NULL};
    cq_claim_t c;
    s_parse_one(S_PROF, "W1", 0, segs, &c);
    cr_assert_not(c.invalid, "%s", c.invalid_msg);
    cr_assert_str_eq(c.diagnoses[0], "862.8");
    cr_assert_str_eq(c.diagnoses[1], "E888.8");
    cr_assert_str_eq(c.diagnoses[2], "V73.89");
}

Test(x12_837, many_sets_and_lines_over_the_cap)
{
    xb_t x;
    xb_std(&x);
    xb_isa(&x, "000000005");
    xb_gs(&x, "HC", "1", "005010X222A1");
    for (int s = 0; s < 3; s++) {
        char ctl[8];
        snprintf(ctl, sizeof ctl, "%04d", s + 1);
        xb_st(&x, "837", ctl, "005010X222A1");
        xb_837_header(&x);
        xb_billing(&x, 1);
        xb_subscriber(&x, 2, 1, "W1", 0);
        xb_seg(&x, "CLM*BIG%d*%d***11:B:1*Y*A*Y*Y", s, 60);
        xb_seg(&x, "HI*ABK:E119");
        for (int i = 0; i < 60; i++) {
            xb_seg(&x, "LX*%d", i + 1);
            xb_seg(&x, "SV1*HC:99213*1*UN*1***1");
            xb_seg(&x, "DTP*472*D8*20260220");
        }
        xb_se(&x, 0);
    }
    xb_ge(&x);
    xb_iea(&x);
    xb_claims_t k = {0};
    cr_assert_eq(cq_x12_parse(x.b.data, x.b.len, xb_collect, &k, NULL, NULL),
                 3);
    cr_assert_eq(k.c[2].n_lines, CQ_MAX_LINES);
    cr_assert(k.c[2].invalid);
    cr_assert_str_eq(k.c[2].invalid_msg, "lines: more than 50 service lines");
    xb_claims_free(&k);
    xb_free(&x);
}

static int
s_stop_at_two(void *arg, cq_claim_t *c)
{
    int *n = arg;
    (void)c;
    return ++*n == 2 ? 77 : 0;
}

Test(x12_837, callback_value_stops_and_is_returned)
{
    xb_t x;
    xb_std(&x);
    xb_simple_837(&x, 5);
    int n = 0;
    cr_assert_eq(cq_x12_parse(x.b.data, x.b.len, s_stop_at_two, &n, NULL, NULL),
                 77);
    cr_assert_eq(n, 2);
    xb_free(&x);
}

static int
s_received(void *arg, cq_claim_t *c)
{
    int32_t *d = arg;
    *d = c->received_date;
    return 0;
}

Test(x12_837, doc_decode_stamps_the_received_date)
{
    xb_t x;
    xb_std(&x);
    xb_simple_837(&x, 1);
    int32_t got = 0;
    int32_t day = cq_date_from_ymd(2026, 3, 2);
    cr_assert_eq(cq_doc_decode((const uint8_t *)x.b.data, x.b.len, day,
                               s_received, &got, NULL),
                 1);
    cr_assert_eq(got, day);
    xb_free(&x);
    //  every set refused: an error that says why
    s_three_sets(&x, s_bad_count);
    cq_diag_t d = {0};
    cr_assert_eq(cq_doc_decode((const uint8_t *)x.b.data, x.b.len, day,
                               s_received, &got, &d),
                 3);
    xb_free(&x);
    xb_std(&x);
    xb_isa(&x, "000000009");
    xb_gs(&x, "HC", "1", "005010X222A1");
    s_set_with(&x, "0001", "Z", s_bad_count);
    xb_ge(&x);
    xb_iea(&x);
    cr_assert_eq(cq_doc_decode((const uint8_t *)x.b.data, x.b.len, day,
                               s_received, &got, &d),
                 CQ_EPROTO);
    cr_assert(strstr(d.msg, "SE01"), "%s", d.msg);
    xb_free(&x);
}

Test(x12_envelope, required_segments)
{
    //  an empty set, a set without BHT, a set without any claim
    for (int c = 0; c < 3; c++) {
        xb_t x;
        xb_std(&x);
        xb_isa(&x, "000000005");
        xb_gs(&x, "HC", "1", "005010X222A1");
        xb_st(&x, "837", "0001", "005010X222A1");
        if (c == 1) {
            xb_seg(&x, "NM1*41*2*SUB*****46*S1");
            xb_billing(&x, 1);
            xb_subscriber(&x, 2, 1, "W1", 0);
            xb_claim(&x, "C1", "150", "20260220");
        }
        if (c == 2) {
            xb_837_header(&x);
            xb_billing(&x, 1);
            xb_subscriber(&x, 2, 1, "W1", 0);
        }
        xb_se(&x, 0);
        xb_ge(&x);
        xb_iea(&x);
        cq_x12_report_t rep;
        cr_assert_eq(cq_x12_parse(x.b.data, x.b.len, NULL, NULL, &rep, NULL),
                     0);
        cr_assert_eq(rep.sets[0].status, 'R', "case %d", c);
        const cq_x12_error_t *e = &rep.errors[rep.sets[0].first_error];
        cr_assert_str_eq(e->seg_code, "3", "case %d", c);
        cr_assert_str_eq(e->seg_id, c == 2 ? "CLM" : "BHT", "case %d", c);
        cq_x12_report_free(&rep);
        xb_free(&x);
    }
}

Test(x12_837, claim_level_service_date_for_lines_without_one)
{
    const char *const segs[] = {"CLM*D1*10***11:B:1*Y*A*Y*Y",
                                "DTP*472*D8*20260105",
                                "HI*ABK:E119",
                                "LX*1",
                                "SV1*HC:99213*10*UN*1***1",
                                NULL};
    cq_claim_t c;
    s_parse_one(S_PROF, "W1", 0, segs, &c);
    cr_assert_not(c.invalid, "%s", c.invalid_msg);
    cr_assert_eq(c.lines[0].service_date, cq_date_from_ymd(2026, 1, 5));
}

Test(x12_tokenizer, nul_byte_is_data_error_without_repetition_separator)
{
    //  found by fuzz_x12: with ISA11 'U' there is no repetition separator,
    //  so a NUL inside an element must not pass for one
    xb_t x;
    xb_init(&x, '~', '^', 0, '_', "\r\n");
    xb_isa(&x, "000000001");
    xb_gs(&x, "HC", "1", "005010X222A1");
    xb_st(&x, "837", "0001", "005010X222A1");
    xb_837_header(&x);
    xb_billing(&x, 1);
    xb_subscriber(&x, 2, 1, "W1", 0);
    xb_claim(&x, "PCN-1", "150", "20260220");
    xb_se(&x, 0);
    xb_ge(&x);
    xb_iea(&x);
    char *p = strstr(x.b.data, "PCN-1");
    cr_assert_not_null(p);
    p[0] = '\0';
    cq_x12_report_t rep;
    cr_assert_eq(cq_x12_parse(x.b.data, x.b.len, NULL, NULL, &rep, NULL), 0);
    cr_assert_eq(rep.sets[0].status, 'R');
    const cq_x12_error_t *e = &rep.errors[rep.sets[0].first_error];
    cr_assert_str_eq(e->seg_id, "CLM");
    cr_assert_str_eq(e->elem_code, "6");
    cr_assert_eq(e->element, 1);
    cq_x12_report_free(&rep);
    xb_free(&x);
}
