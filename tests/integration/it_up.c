//  `claimq up`: the embedded default. One READY line on stdout, a batch
//  through it (its broker journaling under --dir), every child stopped on
//  SIGTERM, exit 0.
#include "cq_proc.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

Test(up, ready_submit_sigterm, .timeout = 120)
{
    char dir[1024];
    const char *tmp = cq_test_tmpdir();
    cr_assert_not_null(tmp);
    snprintf(dir, sizeof dir, "%s", tmp);
    cr_assert_eq(cq_proc_gen(dir, 500, 60), 0);
    char plan[1100], members[1100], run[1100], claims[1100], out[1100];
    snprintf(plan, sizeof plan, "%s/plan.json", dir);
    snprintf(members, sizeof members, "%s/members.jsonl", dir);
    snprintf(run, sizeof run, "%s/run", dir);
    snprintf(claims, sizeof claims, "%s/claims.jsonl", dir);
    snprintf(out, sizeof out, "%s/decisions.jsonl", dir);
    char *argv[] = {(char *)cq_test_bin("claimq"),
                    "up",
                    "--workers",
                    "2",
                    "--plan",
                    plan,
                    "--members",
                    members,
                    "--dir",
                    run,
                    NULL};
    char log[1100];
    snprintf(log, sizeof log, "%s/up.log", dir);
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    cr_assert_geq(fd, 0);
    cq_child_t up;
    cr_assert_eq(cq_child_spawn(&up, argv, fd), 0);
    close(fd);
    cr_assert_eq(cq_child_wait_ready(&up, 60000), 0, "no READY line");
    char fe[256];
    cr_assert(cq_child_ready_get(&up, "frontend", fe, sizeof fe), "%s",
              up.ready);
    cr_assert(strncmp(fe, "tcp://127.0.0.1:", 16) == 0, "%s", fe);
    cr_assert(strstr(up.ready, "workers=2") != NULL, "%s", up.ready);

    cq_run_t r;
    int st =
        cq_proc_claimq(&r, 60, "submit", "--broker", fe, "--batch", "it-up",
                       "--wait", "--output", out, "--quiet", claims, NULL);
    cr_assert_eq(st, 0, "%s", r.err);
    cr_assert(strstr(r.out, "\"claims\": 500") != NULL, "%s", r.out);
    cq_run_free(&r);
    //  its broker journals under --dir (receipts follow an fsync)
    cr_assert_eq(cq_proc_status_field(fe, "it-up", "durable"), 1);
    char journal[1200];
    snprintf(journal, sizeof journal, "%s/journal/journal.db", run);
    cr_assert_eq(access(journal, R_OK), 0, "%s", journal);
    cq_proc_claimq(&r, 10, "workers", "--broker", fe, NULL);
    cr_assert(strstr(r.out, "\"node\": \"w2\", \"state\": \"live\"") != NULL,
              "%s", r.out);
    cq_run_free(&r);
    cr_assert_eq(cq_child_stop(&up, SIGTERM, 60000), 0, "claimq up: exit");
    //  and its broker is gone: nothing answers for the batch at that
    //  endpoint (the port itself may already serve another test's broker)
    cr_assert_neq(cq_proc_claimq(&r, 10, "status", "--broker", fe, "--timeout",
                                 "1", "it-up", NULL),
                  0);
    cq_run_free(&r);
    char ledger[1200];
    snprintf(ledger, sizeof ledger, "%s/w1.ledger", run);
    cr_assert_eq(access(ledger, R_OK), 0);
}
