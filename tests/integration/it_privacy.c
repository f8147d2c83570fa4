//  it_privacy.c: no patient data in logs (DESIGN §4 guarantee 7; issue 13).
//  A cluster at debug level decides the same members' claims as JSON, as
//  an X12 837 and as scanned forms; then every log line of every process
//  (broker, workers, the submitting client) is searched for every member's
//  id, name ("LAST, FIRST" and "LAST FIRST") and birth date (ISO, and as
//  an 837 writes it, CCYYMMDD): none may appear.
#include "cq_proc.h"
#include "mem.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cq_cluster_t s_cl;

static void
s_fini(void)
{
    cq_proc_cleanup();
}

TestSuite(privacy, .fini = s_fini);

//  Appends the client's stderr to the log being searched.
static void
s_keep(cq_buf_t *all, const cq_run_t *r)
{
    if (r->err)
        cq_buf_add(all, r->err, strlen(r->err));
}

Test(privacy, no_member_name_id_or_birth_date_in_any_log, .timeout = 600)
{
    const char *tmp = cq_test_tmpdir();
    cr_assert_not_null(tmp);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", tmp);
    cq_run_t r;
    int st = cq_proc_claimq(&r, 120, "gen", "--out", dir, "--claims", "300",
                            "--members", "40", "--x12", "--paper", "3", NULL);
    cr_assert_eq(st, 0, "%s", r.err);
    cq_run_free(&r);

    setenv("CQ_LOG_LEVEL", "debug", 1);
    char journal[1100];
    snprintf(journal, sizeof journal, "%s/journal", dir);
    const char *const extra[] = {"--journal", journal, NULL};
    int rc = cq_proc_cluster(&s_cl, dir, 2, 200, extra);
    cr_assert_eq(rc, 0);
    cq_buf_t all;
    cq_buf_init(&all, 256u << 20);
    const char *inputs[] = {"claims.jsonl", "claims.837", "forms"};
    for (int i = 0; i < 3; i++) {
        char in[1100], batch[32];
        snprintf(in, sizeof in, "%s/%s", dir, inputs[i]);
        snprintf(batch, sizeof batch, "b-privacy-%d", i);
        st = cq_proc_claimq(&r, 300, "submit", "--broker", s_cl.frontend,
                            "--batch", batch, "--wait", "--output", "/dev/null",
                            in, NULL);
        cr_assert(st == 0 || st == 5, "submit %s: exit %d: %s", inputs[i], st,
                  r.err);
        s_keep(&all, &r);
        cq_run_free(&r);
    }
    cr_assert_eq(cq_cluster_stop(&s_cl), 0);
    unsetenv("CQ_LOG_LEVEL");
    char logp[1100];
    snprintf(logp, sizeof logp, "%s/cluster.log", dir);
    size_t ll = 0;
    char *log = cq_test_read(logp, &ll);
    cr_assert_not_null(log);
    cq_buf_add(&all, log, ll);
    free(log);
    //  debug logging was on, OCR pages were logged: the search means
    //  something
    cr_assert(strstr(all.data, "ocr page 1: ") != NULL,
              "no OCR debug line in the logs:\n%s", all.data);
    char members[1100];
    snprintf(members, sizeof members, "%s/members.jsonl", dir);
    FILE *f = fopen(members, "r");
    cr_assert_not_null(f);
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        json_t *m = json_loads(line, 0, NULL);
        cr_assert_not_null(m);
        const char *id = json_string_value(json_object_get(m, "member_id"));
        const char *last = json_string_value(json_object_get(m, "last_name"));
        const char *first = json_string_value(json_object_get(m, "first_name"));
        const char *birth = json_string_value(json_object_get(m, "birth_date"));
        char name1[256], name2[256], b8[16];
        snprintf(name1, sizeof name1, "%s, %s", last, first);
        snprintf(name2, sizeof name2, "%s %s", last, first);
        snprintf(b8, sizeof b8, "%.4s%.2s%.2s", birth, birth + 5, birth + 8);
        const char *needles[] = {id, name1, name2, birth, b8};
        for (size_t k = 0; k < sizeof needles / sizeof needles[0]; k++) {
            const char *hit = strstr(all.data, needles[k]);
            if (hit) {
                const char *ls = hit;
                while (ls > all.data && ls[-1] != '\n')
                    ls--;
                const char *le = strchr(hit, '\n');
                cr_assert_fail("patient data (\"%s\") in a log line:\n%.*s",
                               needles[k],
                               (int)(le ? le - ls : (ptrdiff_t)strlen(ls)), ls);
            }
        }
        json_decref(m);
        n++;
    }
    fclose(f);
    cr_assert_geq(n, 40, "%d roster rows", n);
    cq_buf_free(&all);
}
