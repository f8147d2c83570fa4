//  it_quickstart.c: the README's quickstart, `deploy/quickstart.sh`, run in
//  a temporary copy of the repository (its tracked and new files, no build
//  directory): it builds the programs there, generates the demo data, runs
//  a local cluster and prints the batch's summary line, whose counts must
//  add up to the claims generated.
#include "cq_test.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Test(quickstart, runs_in_a_fresh_copy_and_prints_its_summary, .timeout = 900)
{
    const char *tmp = cq_test_tmpdir();
    cr_assert_not_null(tmp);
    char clone[1024], src[1024], script[16384];
    snprintf(clone, sizeof clone, "%s/claimq", tmp);
    snprintf(src, sizeof src, "%s", cq_test_src("."));
    //  the repository's files as they are (committed or not), nothing else
    snprintf(script, sizeof script,
             "set -e\n"
             "mkdir -p '%s'\n"
             "cd '%s'\n"
             "git ls-files -z --cached --others --exclude-standard |\n"
             "  xargs -0 -r ls -d 2>/dev/null | tar -cf - -T - |\n"
             "  (cd '%s' && tar -xf -)\n"
             "test ! -e '%s/build'\n"
             "cd '%s'\n"
             "for v in $(env | sed -n 's/^\\(CLAIMQ_[A-Z_]*\\)=.*/\\1/p'); do "
             "unset $v; done\n"
             "unset CQ_FORM\n"
             "exec deploy/quickstart.sh --claims 300 --dir qs\n",
             clone, src, clone, clone, clone);
    char *argv[] = {"/bin/bash", "-c", script, NULL};
    cq_run_t r;
    cr_assert_eq(cq_test_run(argv, NULL, 880, &r), 0);
    cr_assert_eq(r.status, 0, "quickstart exited %d: %s", r.status, r.err);
    //  the summary: the last line on stdout
    char *last = r.out;
    for (char *p = r.out; *p; p++)
        if (*p == '\n' && p[1] != '\0')
            last = p + 1;
    json_error_t err;
    json_t *s = json_loads(last, 0, &err);
    cr_assert_not_null(s, "the summary is not JSON (%s): %s", err.text, last);
    json_int_t claims = json_integer_value(json_object_get(s, "claims"));
    json_int_t sum = json_integer_value(json_object_get(s, "accept")) +
                     json_integer_value(json_object_get(s, "reject")) +
                     json_integer_value(json_object_get(s, "pend"));
    cr_assert_eq(claims, 300, "%s", last);
    cr_assert_eq(sum, 300, "accept + reject + pend: %s", last);
    cr_assert_eq(json_integer_value(json_object_get(s, "failed")), 0);
    cr_assert(json_is_object(json_object_get(s, "carc")), "%s", last);
    json_decref(s);
    cq_run_free(&r);
    //  every decision written
    char path[1200];
    snprintf(path, sizeof path, "%s/qs/decisions.jsonl", clone);
    size_t n;
    char *text = cq_test_read(path, &n);
    cr_assert_not_null(text);
    size_t lines = 0;
    for (size_t i = 0; i < n; i++)
        lines += text[i] == '\n';
    cr_assert_eq(lines, 300);
    free(text);
}
