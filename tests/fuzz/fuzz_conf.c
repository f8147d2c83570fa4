//  fuzz_conf.c: the configuration file parser (common/conf.h) on arbitrary
//  bytes.
//
//  Invariants checked (abort on violation, so libFuzzer reports it):
//  1. the parser never crashes; a refusal has a code and names its line
//     ("line N: ..."), a line that exists;
//  2. a parsed file's entries are in line order, their keys and sections
//     are words of [a-z0-9-] (sections also single spaces), no key is
//     twice in one section, and a value holds no newline;
//  3. parsing the file again gives the same entries (no hidden state).
#include "conf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
s_check(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_conf: invariant broken: %s\n", what);
        abort();
    }
}

static bool
s_word(const char *s, bool spaces)
{
    if (*s == '\0')
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || (spaces && *s == ' ')))
            return false;
    return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cq_diag_t diag = {0};
    cq_conf_t *c = cq_conf_parse((const char *)data, size, "f", &diag);
    if (c == NULL) {
        unsigned line = 0;
        s_check(diag.code != 0, "a refusal has a code");
        if (diag.code != CQ_ETOOBIG || diag.offset != 0) {
            s_check(sscanf(diag.msg, "line %u:", &line) == 1 && line >= 1,
                    "a refusal names its line");
            size_t lines = 1;
            for (size_t i = 0; i < size; i++)
                lines += data[i] == '\n';
            s_check(line <= lines, "the line exists");
        }
        return 0;
    }
    for (size_t i = 0; i < c->n; i++) {
        const cq_conf_entry_t *e = &c->v[i];
        s_check(i == 0 || e->line > c->v[i - 1].line, "entries in line order");
        s_check(s_word(e->key, false), "a key is a word");
        s_check(e->section[0] == '\0' || s_word(e->section, true),
                "a section is words");
        s_check(strchr(e->value, '\n') == NULL, "no newline in a value");
        for (size_t j = 0; j < i; j++)
            s_check(strcmp(c->v[j].key, e->key) != 0 ||
                        strcmp(c->v[j].section, e->section) != 0,
                    "no key twice in a section");
    }
    cq_diag_t d2 = {0};
    cq_conf_t *again = cq_conf_parse((const char *)data, size, "f", &d2);
    s_check(again != NULL && again->n == c->n, "parses again alike");
    for (size_t i = 0; i < c->n; i++)
        s_check(strcmp(again->v[i].value, c->v[i].value) == 0 &&
                    again->v[i].line == c->v[i].line,
                "the same entries again");
    cq_conf_destroy(&again);
    cq_conf_destroy(&c);
    return 0;
}
