//  Issue 3, scenario 2: a worker started in the middle of a batch takes
//  intake work at once, and the results still equal the oracle.
//
//  To make "in the middle" certain rather than a race, the first worker is
//  paused (SIGSTOP) once the batch is received and holds its first
//  documents: the batch cannot finish without new help. A second worker
//  joins, must decode documents while the first is still paused, then the
//  first resumes (well inside its 3 heartbeats) and the batch completes.
#include "cq_proc.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define N_CLAIMS 6000

Test(scaleout, joining_worker_takes_intake_at_once, .timeout = 240,
     .fini = cq_proc_cleanup)
{
    //  (cq_test_tmpdir's buffer is reused by later cq_test_* calls)
    char dir[1024];
    const char *tmp = cq_test_tmpdir();
    cr_assert_not_null(tmp);
    snprintf(dir, sizeof dir, "%s", tmp);
    cr_assert_eq(cq_proc_gen(dir, N_CLAIMS, N_CLAIMS / 10 + 10), 0);
    char plan[4096], members[4096], claims[4096], oracle[4096], out[4096];
    snprintf(plan, sizeof plan, "%s/plan.json", dir);
    snprintf(members, sizeof members, "%s/members.jsonl", dir);
    snprintf(claims, sizeof claims, "%s/claims.jsonl", dir);
    snprintf(oracle, sizeof oracle, "%s/oracle.jsonl", dir);
    snprintf(out, sizeof out, "%s/decisions.jsonl", dir);
    cq_run_t r;
    cr_assert_eq(cq_proc_claimq(&r, 120, "adjudicate", "--plan", plan,
                                "--members", members, "--output", oracle,
                                claims, NULL),
                 0, "%s", r.err);
    cq_run_free(&r);

    //  Heartbeats of 2 s: a worker is dead after 6 s of silence.
    static cq_cluster_t cl; // static: .fini may reach it after a failure
    cr_assert_eq(cq_proc_cluster(&cl, dir, 1, 2000, NULL), 0);
    pid_t w1 = cl.workers[0].pid;
    cr_assert_eq(kill(w1, SIGSTOP), 0);
    //  The batch: 120 documents of 50 claims; the broker takes them all.
    int st = cq_proc_claimq(&r, 60, "submit", "--broker", cl.frontend,
                            "--batch", "it-scale", "--chunk", "50", "--window",
                            "1000", "--quiet", claims, NULL);
    cr_assert_eq(st, 0, "submit: %s", r.err);
    cq_run_free(&r);
    cr_assert_eq(cq_proc_status_field(cl.frontend, "it-scale", "documents"),
                 120);
    cr_assert_eq(cq_proc_status_field(cl.frontend, "it-scale", "decided"), 0);

    //  A second worker joins the batch in progress.
    cq_diag_t diag = {0};
    cr_assert_eq(cq_cluster_add_worker(&cl, &diag), 0, "%s", diag.msg);
    long long w2_intake = 0;
    for (int i = 0; i < 100 && w2_intake <= 0; i++) {
        w2_intake = cq_proc_worker_field(cl.frontend, "w2", "intake_done");
        if (w2_intake <= 0)
            usleep(20000);
    }
    //  ... and decoded documents while w1 was still paused.
    cr_assert_gt(w2_intake, 0, "w2 took no intake work");
    cr_assert_eq(cq_proc_worker_field(cl.frontend, "w1", "intake_done"), 0);
    cr_assert_eq(kill(w1, SIGCONT), 0);

    //  The batch completes; its decisions equal the oracle's.
    long long complete = 0;
    for (int i = 0; i < 600 && complete != 1; i++) {
        complete = cq_proc_status_field(cl.frontend, "it-scale", "complete");
        if (complete != 1)
            usleep(100000);
    }
    cr_assert_eq(complete, 1, "the batch did not complete");
    st = cq_proc_claimq(&r, 60, "results", "--broker", cl.frontend, "--output",
                        out, "it-scale", NULL);
    cr_assert_eq(st, 0, "results: %s", r.err);
    cq_run_free(&r);
    cr_assert_gt(cq_proc_worker_field(cl.frontend, "w1", "intake_done"), 0);
    cr_assert_eq(cq_proc_counter(cl.frontend, "workers_dead"), 0,
                 "w1 was declared dead: the pause was too long");
    cr_assert_eq(cq_cluster_stop(&cl), 0, "a process did not exit 0");

    size_t n_o, n_d;
    char **o = cq_proc_decisions(oracle, &n_o);
    char **d = cq_proc_decisions(out, &n_d);
    cr_assert_not_null(o);
    cr_assert_not_null(d);
    cr_assert_eq(n_o, N_CLAIMS);
    cr_assert_eq(n_d, N_CLAIMS);
    for (size_t i = 0; i < n_o; i++)
        cr_assert_str_eq(d[i], o[i], "claim %zu differs", i + 1);
    cq_proc_lines_free(o, n_o);
    cq_proc_lines_free(d, n_d);
}
