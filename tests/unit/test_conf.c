//  test_conf.c: the configuration file parser (common/conf.h): what it
//  reads, and a refusal naming the line for every malformed input.
#include "conf.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cq_conf_t *
s_parse(const char *text, cq_diag_t *diag)
{
    memset(diag, 0, sizeof *diag);
    return cq_conf_parse(text, strlen(text), "t.conf", diag);
}

Test(conf, reads_keys_sections_comments_and_quotes)
{
    cq_diag_t d;
    cq_conf_t *c = s_parse("# a comment\n"
                           "  ; another\n"
                           "\n"
                           "frontend = tcp://127.0.0.1:5555\n"
                           "journal=/var/lib/claimq/j#1\r\n"
                           "name = \"  two \\\"words\\\" \\\\ \"\n"
                           "empty =\n"
                           "[ ledger query ]\n"
                           "claim = C-1\n"
                           "[submit]\n"
                           "claim = C-2",
                           &d);
    cr_assert_not_null(c, "%s", d.msg);
    cr_assert_eq(c->n, 6);
    cr_assert_str_eq(c->v[0].key, "frontend");
    cr_assert_str_eq(c->v[0].value, "tcp://127.0.0.1:5555");
    cr_assert_eq(c->v[0].line, 4);
    cr_assert_str_eq(c->v[0].section, "");
    //  '#' inside a value is the value's; a CR is a blank
    cr_assert_str_eq(c->v[1].value, "/var/lib/claimq/j#1");
    cr_assert_str_eq(c->v[2].value, "  two \"words\" \\ ");
    cr_assert_str_eq(c->v[3].value, "");
    cr_assert_str_eq(c->v[4].section, "ledger query");
    cr_assert_str_eq(c->v[4].value, "C-1");
    //  the same key in two sections is two keys
    cr_assert_str_eq(c->v[5].section, "submit");
    cr_assert_eq(c->v[5].line, 11);
    cq_conf_destroy(&c);
    cr_assert_null(c);
}

typedef struct {
    const char *text;
    unsigned line;
    const char *why; // a part of the message
} s_bad_t;

Test(conf, malformed_input_is_refused_naming_the_line)
{
    static const s_bad_t bad[] = {
        {"a = 1\nnonsense\n", 2, "expected 'key = value'"},
        {"= 1\n", 1, "a key is"},
        {"Shards = 1\n", 1, "lower-case"},
        {"--shards = 1\n", 1, "without its dashes"},
        {"sh ards = 1\n", 1, "a key is"},
        {"-x = 1\n", 1, "a key is"},
        {"[submit\n", 1, "must end with ']'"},
        {"[]\n", 1, "a section is"},
        {"[Sub]\n", 1, "a section is"},
        {"[a  b]\n", 1, "a section is"},
        {"a = 1\n\nb = 2\na = 3\n", 4, "'a' given twice (first on line 1)"},
        {"v = \"open\n", 1, "must end with"},
        {"v = \"a\"b\"\n", 1, "written \\\""},
        {"v = \"a\\nb\"\n", 1, "escapes"},
        {"v = \"\n", 1, "must end with"},
        {"a = 1\nb = x\0y\n", 2, "NUL"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cq_diag_t d = {0};
        //  the NUL case needs its true length
        size_t len = strlen(bad[i].text);
        if (strstr(bad[i].why, "NUL"))
            len = 15;
        cq_conf_t *c = cq_conf_parse(bad[i].text, len, "t.conf", &d);
        cr_assert_null(c, "case %zu accepted", i);
        cr_assert_eq(d.offset, bad[i].line, "case %zu: line %zu", i, d.offset);
        cr_assert(strstr(d.msg, bad[i].why), "case %zu: %s", i, d.msg);
        char want[32];
        snprintf(want, sizeof want, "line %u: ", bad[i].line);
        cr_assert(strncmp(d.msg, want, strlen(want)) == 0, "case %zu: %s", i,
                  d.msg);
    }
}

Test(conf, sizes_are_capped_before_allocation)
{
    cq_diag_t d = {0};
    //  the file cap is checked on the length alone
    cr_assert_null(cq_conf_parse("", CQ_CONF_MAX_BYTES + 1, "t.conf", &d));
    cr_assert_eq(d.code, CQ_ETOOBIG);
    //  a line over 4096 bytes
    size_t n = CQ_CONF_MAX_LINE + 20;
    char *long_line = malloc(n + 1);
    memset(long_line, 'a', n);
    memcpy(long_line, "k = ", 4);
    long_line[n] = '\0';
    memset(&d, 0, sizeof d);
    cr_assert_null(cq_conf_parse(long_line, n, "t.conf", &d));
    cr_assert_eq(d.code, CQ_ETOOBIG);
    free(long_line);
    //  more than 10,000 entries
    size_t cap = (CQ_CONF_MAX_ENTRIES + 1) * 16;
    char *many = malloc(cap);
    size_t o = 0;
    for (int i = 0; i <= CQ_CONF_MAX_ENTRIES; i++)
        o += (size_t)snprintf(many + o, cap - o, "k%d = 1\n", i);
    memset(&d, 0, sizeof d);
    cr_assert_null(cq_conf_parse(many, o, "t.conf", &d));
    cr_assert_eq(d.code, CQ_ETOOBIG);
    cr_assert_eq(d.offset, CQ_CONF_MAX_ENTRIES + 1);
    free(many);
}

Test(conf, load_names_what_cannot_be_read)
{
    cq_diag_t d = {0};
    cr_assert_null(cq_conf_load("/nonexistent/claimq.conf", &d));
    cr_assert_eq(d.code, CQ_EIO);
    cr_assert(strstr(d.msg, "cannot read"), "%s", d.msg);
    memset(&d, 0, sizeof d);
    cr_assert_null(cq_conf_load("/tmp", &d));
    cr_assert(strstr(d.msg, "not a regular file"), "%s", d.msg);
}
