//  it_resume.c: issue 9, "resuming sends only what the broker lacks".
//  `claimq submit --batch B` interrupted (Ctrl-C, exit 130) and run again
//  with the command it printed: the resumed run asks the broker which
//  documents it holds (HAVE) and sends only the others, so nothing is sent
//  twice (the broker's docs_resubmitted counter stays 0), it says how many
//  the broker held, and its --output (the same file) still holds every
//  claim's decision exactly once.
#include "cq_proc.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_CLAIMS 400 // 20 documents of 20 claims (--chunk 20)
#define S_DOCS 20

//  Ctrl-C once the first document's decisions are in --output (the worker
//  is slow: 10 ms a claim), then the printed command.
Test(resume, sends_only_what_the_broker_lacks, .timeout = 300,
     .fini = cq_proc_cleanup)
{
    char dir[1024];
    const char *tmp = cq_test_tmpdir();
    cr_assert_not_null(tmp);
    snprintf(dir, sizeof dir, "%s", tmp);
    cr_assert_eq(cq_proc_gen(dir, S_CLAIMS, 60), 0);
    char claims[1100], out[1100], log[1100];
    snprintf(claims, sizeof claims, "%s/claims.jsonl", dir);
    snprintf(out, sizeof out, "%s/out.jsonl", dir);
    snprintf(log, sizeof log, "%s/submit.log", dir);
    setenv("CLAIMQ_TEST_FAULTS", "1", 1);
    setenv("CLAIMQ_FAULT", "delay-claim-us=10000", 1);
    static cq_cluster_t cl;
    cr_assert_eq(cq_proc_cluster(&cl, dir, 1, 1000, NULL), 0);
    unsetenv("CLAIMQ_FAULT");
    unsetenv("CLAIMQ_TEST_FAULTS");

    //  (not --quiet: the resumed run says how many documents were held)
    char *argv[] = {(char *)cq_test_bin("claimq"),
                    "submit",
                    "--broker",
                    cl.frontend,
                    "--batch",
                    "resume-1",
                    "--chunk",
                    "20",
                    "--window",
                    "2",
                    "--wait",
                    "--output",
                    out,
                    claims,
                    NULL};
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    cr_assert_geq(fd, 0);
    cq_child_t sub;
    cr_assert_eq(cq_child_spawn(&sub, argv, fd), 0);
    close(fd);
    cr_assert(cq_proc_wait_lines(out, 20, 60000)); // the first document
    kill(sub.pid, SIGINT);
    int st = cq_proc_wait_exit(&sub, 20000);
    char *text = cq_test_read(log, NULL);
    cr_assert_eq(st, 130, "exit %d: %s", st, text);
    cr_assert(strstr(text, "interrupted: batch resume-1 is open"), "%s", text);
    size_t lines;
    cr_assert_lt(cq_proc_distinct_ids(out, &lines), S_CLAIMS,
                 "finished already");
    long long before =
        cq_proc_status_field(cl.frontend, "resume-1", "documents");
    cr_assert_gt(before, 0);
    cr_assert_lt(before, S_DOCS, "every document was received already");
    cr_assert_eq(cq_proc_counter(cl.frontend, "docs_resubmitted"), 0);

    //  the printed command, as printed (the same --output)
    char *rargv[64];
    cr_assert_geq(cq_proc_resume_argv(text, rargv, 64), 3);
    cq_run_t r;
    cr_assert(cq_test_run(rargv, NULL, 120, &r) == 0);
    cr_assert_eq(r.status, 0, "resume: %s", r.err);
    cr_assert_eq(cq_proc_counter(cl.frontend, "docs_resubmitted"), 0,
                 "documents were sent again: %s", r.err);
    //  it says how many the broker held (those received before the
    //  interrupt, and any that reached it as the first run stopped)
    const char *said = strstr(r.err, "claimq submit: batch resume-1: ");
    cr_assert_not_null(said, "%s", r.err);
    unsigned held = 0, of = 0;
    cr_assert_eq(sscanf(said,
                        "claimq submit: batch resume-1: %u of %u documents "
                        "already received (not sent again)",
                        &held, &of),
                 2, "%s", r.err);
    cr_assert_eq(of, S_DOCS);
    cr_assert_geq(held, (unsigned)before, "%s", r.err);
    cr_assert_lt(held, S_DOCS, "%s", r.err);
    cr_assert(strstr(r.err, "400 claims decided"), "%s", r.err);
    cq_run_free(&r);
    free(text);

    //  every document once; the batch complete
    cr_assert_eq(cq_proc_counter(cl.frontend, "docs"), S_DOCS);
    cr_assert_eq(cq_proc_status_field(cl.frontend, "resume-1", "documents"),
                 S_DOCS);
    cr_assert_eq(cq_proc_status_field(cl.frontend, "resume-1", "claims"),
                 S_CLAIMS);
    cr_assert_eq(cq_proc_status_field(cl.frontend, "resume-1", "decided"),
                 S_CLAIMS);
    cr_assert_eq(cq_proc_status_field(cl.frontend, "resume-1", "complete"), 1);
    //  --output: every claim's decision, each once
    size_t ids = cq_proc_distinct_ids(out, &lines);
    cr_assert_eq(lines, S_CLAIMS);
    cr_assert_eq(ids, S_CLAIMS);

    //  once more, complete: every document held, none sent, the same
    //  decisions written once each
    st = cq_proc_claimq(&r, 120, "submit", "--broker", cl.frontend, "--batch",
                        "resume-1", "--chunk", "20", "--wait", "--output", out,
                        claims, NULL);
    cr_assert_eq(st, 0, "%s", r.err);
    cr_assert(strstr(r.err, "claimq submit: batch resume-1: 20 of 20 documents "
                            "already received (not sent again)"),
              "%s", r.err);
    cq_run_free(&r);
    ids = cq_proc_distinct_ids(out, &lines);
    cr_assert_eq(lines, S_CLAIMS);
    cr_assert_eq(ids, S_CLAIMS);
    cr_assert_eq(cq_proc_counter(cl.frontend, "docs_resubmitted"), 0);
    cr_assert_eq(cq_proc_counter(cl.frontend, "docs"), S_DOCS);
    cr_assert_eq(cq_cluster_stop(&cl), 0);
}
