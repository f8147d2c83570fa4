//  A pair of brokers (claimq-broker --peer, docs/operations.md "Failover"):
//  the primary SIGKILLed mid-batch, the backup takes over, `submit --wait`
//  rides through; the old primary comes back, follows the new active one
//  (a snapshot of its journal), and a second failover, back to it, in the
//  middle of a second batch, loses nothing either. Every claim is decided
//  once and equals the oracle (`claimq adjudicate` over both batches in
//  order), and the journal of the broker active at the end reconciles
//  with the worker ledgers.
#include "cq_proc.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N_WORKERS 2

typedef struct {
    char dir[1024];
    char fe[2][256], be[2][256], metrics[2][256];
    char peer_ep[2][1200], journal[2][1200];
    cq_child_t broker[2];
    cq_child_t worker[N_WORKERS];
    char fe_list[600], be_list[600];
} s_pair_t;

static s_pair_t s_p;

static void
s_fini(void)
{
    for (int i = 0; i < 2; i++)
        if (s_p.broker[i].pid > 0)
            cq_child_stop(&s_p.broker[i], SIGKILL, 5000);
    for (int i = 0; i < N_WORKERS; i++)
        if (s_p.worker[i].pid > 0)
            cq_child_stop(&s_p.worker[i], SIGKILL, 5000);
}

static int
s_log(const char *name)
{
    char p[1300];
    snprintf(p, sizeof p, "%s/%s", s_p.dir, name);
    return open(p, O_WRONLY | O_CREAT | O_APPEND, 0644);
}

//  Starts broker i (0: primary a, 1: backup b) on its endpoints (kernel
//  picked the first time, the same ones after).
static void
s_broker(int i)
{
    char fe[300], be[300];
    snprintf(fe, sizeof fe, "%s",
             s_p.fe[i][0] ? s_p.fe[i] : "tcp://127.0.0.1:0");
    snprintf(be, sizeof be, "%s",
             s_p.be[i][0] ? s_p.be[i] : "tcp://127.0.0.1:0");
    char *argv[] = {(char *)cq_test_bin("claimq-broker"),
                    "--frontend",
                    fe,
                    "--backend",
                    be,
                    "--journal",
                    s_p.journal[i],
                    "--peer",
                    s_p.peer_ep[1 - i],
                    "--peer-bind",
                    s_p.peer_ep[i],
                    "--role",
                    i == 0 ? "primary" : "backup",
                    "--peer-timeout-ms",
                    "1500",
                    "--heartbeat-ms",
                    "250",
                    "--metrics",
                    "127.0.0.1:0",
                    NULL};
    //  (ipc: a killed broker leaves its socket file)
    unlink(s_p.peer_ep[i] + 6);
    int fd = s_log(i == 0 ? "broker-a.log" : "broker-b.log");
    cr_assert_eq(cq_child_spawn(&s_p.broker[i], argv, fd), 0);
    close(fd);
    cr_assert_eq(cq_child_wait_ready(&s_p.broker[i], 30000), 0,
                 "broker %d: no READY line", i);
    cr_assert(cq_child_ready_get(&s_p.broker[i], "frontend", s_p.fe[i],
                                 sizeof s_p.fe[i]));
    cr_assert(cq_child_ready_get(&s_p.broker[i], "backend", s_p.be[i],
                                 sizeof s_p.be[i]));
    cr_assert(cq_child_ready_get(&s_p.broker[i], "metrics", s_p.metrics[i],
                                 sizeof s_p.metrics[i]));
}

static void
s_worker(int i)
{
    char node[16], ledger[1300], plan[1300], members[1300];
    snprintf(node, sizeof node, "w%d", i + 1);
    snprintf(ledger, sizeof ledger, "%s/w%d.ledger", s_p.dir, i + 1);
    snprintf(plan, sizeof plan, "%s/plan.json", s_p.dir);
    snprintf(members, sizeof members, "%s/members.jsonl", s_p.dir);
    char *argv[] = {(char *)cq_test_bin("claimq-worker"),
                    "--broker",
                    s_p.be_list,
                    "--node-id",
                    node,
                    "--ledger",
                    ledger,
                    "--plan",
                    plan,
                    "--members",
                    members,
                    "--heartbeat-ms",
                    "250",
                    NULL};
    int fd = s_log("workers.log");
    cr_assert_eq(cq_child_spawn(&s_p.worker[i], argv, fd), 0);
    close(fd);
}

//  A gauge of broker i's metrics (-1: unreadable).
static double
s_metric(int i, const char *name)
{
    char *body = NULL;
    if (cq_test_http_get(s_p.metrics[i], "/metrics", &body) != 200) {
        free(body);
        return -1;
    }
    double v = cq_test_prom_value(body, name);
    free(body);
    return v;
}

//  Which broker is active: 0, 1, or -1 (neither, or both: the test fails
//  on both).
static int
s_active(void)
{
    double a = s_p.broker[0].pid > 0
                   ? s_metric(0, "claimq_broker_peer_state{state=\"active\"}")
                   : 0;
    double b = s_p.broker[1].pid > 0
                   ? s_metric(1, "claimq_broker_peer_state{state=\"active\"}")
                   : 0;
    cr_assert(!(a == 1 && b == 1), "two active brokers");
    return a == 1 ? 0 : b == 1 ? 1 : -1;
}

//  Waits until broker i reports metric == v.
static void
s_wait_metric(int i, const char *name, double v)
{
    double got = -1;
    for (int k = 0; k < 1200 && got != v; k++) {
        got = s_metric(i, name);
        if (got != v)
            usleep(50000);
    }
    cr_assert_eq(got, v, "broker %d: %s is %g, expected %g", i, name, got, v);
}

static void
s_submit_bg(const char *batch, const char *claims, const char *out,
            cq_child_t *c)
{
    char *argv[] = {(char *)cq_test_bin("claimq"),
                    "submit",
                    "--broker",
                    s_p.fe_list,
                    "--batch",
                    (char *)batch,
                    "--wait",
                    "--output",
                    (char *)out,
                    "--quiet",
                    "--timeout",
                    "300",
                    (char *)claims,
                    NULL};
    int fd = s_log("submit.log");
    cr_assert_eq(cq_child_spawn(c, argv, fd), 0);
    close(fd);
}

//  Kills broker i once `min` claims of batch are decided (and asserts the
//  batch was not finished: the kill is mid-batch).
static void
s_kill_mid_batch(int i, const char *batch, long long min, long long n)
{
    long long d = 0;
    for (int k = 0; k < 12000 && d < min; k++) {
        d = cq_proc_status_field(s_p.fe[i], batch, "decided");
        if (d < min)
            usleep(10000);
    }
    cr_assert_geq(d, min, "only %lld decided", d);
    cq_child_stop(&s_p.broker[i], SIGKILL, 5000);
    cr_assert_lt(d, n, "the batch finished before the kill");
}

static int
s_wait_exit(cq_child_t *c, int timeout_s)
{
    for (int k = 0; k < timeout_s * 10; k++) {
        if (cq_child_exited(c))
            return c->status;
        usleep(100000);
    }
    return cq_child_stop(c, SIGKILL, 1000);
}

//  Splits claims.jsonl at line `at` into b1.jsonl and b2.jsonl.
static void
s_split(size_t at)
{
    char in[1300], o1[1300], o2[1300];
    snprintf(in, sizeof in, "%s/claims.jsonl", s_p.dir);
    snprintf(o1, sizeof o1, "%s/b1.jsonl", s_p.dir);
    snprintf(o2, sizeof o2, "%s/b2.jsonl", s_p.dir);
    FILE *f = fopen(in, "r"), *a = fopen(o1, "w"), *b = fopen(o2, "w");
    cr_assert(f && a && b);
    char *line = NULL;
    size_t cap = 0, k = 0;
    while (getline(&line, &cap, f) > 0)
        fputs(line, k++ < at ? a : b);
    free(line);
    fclose(f);
    fclose(a);
    fclose(b);
}

Test(pair, primary_killed_backup_takes_over_and_back, .fini = s_fini,
     .timeout = 900)
{
    //  (100,000 claims; a fifth under the sanitizers)
    size_t n = CQ_TEST_BIG(100000);
#ifdef CQ_TEST_SANITIZED
    n = 20000;
#endif
    size_t n1 = n * 4 / 5, n2 = n - n1;
    const char *tmp = cq_test_tmpdir();
    cr_assert_not_null(tmp);
    snprintf(s_p.dir, sizeof s_p.dir, "%s", tmp);
    cr_assert_eq(cq_proc_gen(s_p.dir, n, n / 10), 0);
    s_split(n1);
    char oracle[1300], claims[1300], plan[1300], members[1300];
    snprintf(oracle, sizeof oracle, "%s/oracle.jsonl", s_p.dir);
    snprintf(claims, sizeof claims, "%s/claims.jsonl", s_p.dir);
    snprintf(plan, sizeof plan, "%s/plan.json", s_p.dir);
    snprintf(members, sizeof members, "%s/members.jsonl", s_p.dir);
    cq_run_t r;
    cr_assert_eq(cq_proc_claimq(&r, 600, "adjudicate", "--plan", plan,
                                "--members", members, "--output", oracle,
                                claims, NULL),
                 0, "oracle: %s", r.err);
    cq_run_free(&r);
    for (int i = 0; i < 2; i++) {
        snprintf(s_p.peer_ep[i], sizeof s_p.peer_ep[i], "ipc://%s/peer-%c",
                 s_p.dir, 'a' + i);
        snprintf(s_p.journal[i], sizeof s_p.journal[i], "%s/journal-%c",
                 s_p.dir, 'a' + i);
    }
    s_broker(0);
    s_broker(1);
    snprintf(s_p.fe_list, sizeof s_p.fe_list, "%s,%s", s_p.fe[0], s_p.fe[1]);
    snprintf(s_p.be_list, sizeof s_p.be_list, "%s,%s", s_p.be[0], s_p.be[1]);
    //  a is active, b holds its journal
    s_wait_metric(1, "claimq_broker_peer_synced", 1);
    cr_assert_eq(s_active(), 0);
    s_wait_metric(0, "claimq_broker_peer_synced", 1);
    for (int w = 0; w < N_WORKERS; w++)
        s_worker(w);

    //  1. batch 1; a is killed mid-batch; b takes over
    char b1[1300], out1[1300], b2[1300], out2[1300];
    snprintf(b1, sizeof b1, "%s/b1.jsonl", s_p.dir);
    snprintf(out1, sizeof out1, "%s/out1.jsonl", s_p.dir);
    snprintf(b2, sizeof b2, "%s/b2.jsonl", s_p.dir);
    snprintf(out2, sizeof out2, "%s/out2.jsonl", s_p.dir);
    cq_child_t sub;
    s_submit_bg("b1", b1, out1, &sub);
    s_kill_mid_batch(0, "b1", (long long)n1 / 5, (long long)n1);
    cr_assert_eq(s_wait_exit(&sub, 600), 0, "submit b1 (see submit.log)");
    cr_assert_eq(s_active(), 1);
    cr_assert_eq(s_metric(1, "claimq_broker_peer_takeovers_total"), 1);

    //  2. a comes back: it follows b (a snapshot), then b dies in batch 2
    s_broker(0);
    s_wait_metric(0, "claimq_broker_peer_synced", 1);
    s_wait_metric(1, "claimq_broker_peer_synced", 1);
    cr_assert_eq(s_active(), 1);
    cr_assert_eq(s_metric(0, "claimq_broker_peer_state{state=\"passive\"}"), 1);
    s_submit_bg("b2", b2, out2, &sub);
    s_kill_mid_batch(1, "b2", (long long)n2 / 5, (long long)n2);
    cr_assert_eq(s_wait_exit(&sub, 600), 0, "submit b2 (see submit.log)");
    cr_assert_eq(s_active(), 0);

    //  every claim once, as the oracle decided it, in order
    size_t n_o, n_1, n_2;
    char **o = cq_proc_decisions(oracle, &n_o);
    char **d1 = cq_proc_decisions(out1, &n_1);
    char **d2 = cq_proc_decisions(out2, &n_2);
    cr_assert(o && d1 && d2);
    cr_assert_eq(n_o, n);
    cr_assert_eq(n_1, n1, "%zu decisions in batch 1 for %zu claims", n_1, n1);
    cr_assert_eq(n_2, n2, "%zu decisions in batch 2 for %zu claims", n_2, n2);
    size_t differ = 0;
    for (size_t i = 0; i < n; i++)
        differ += strcmp(o[i], i < n1 ? d1[i] : d2[i - n1]) != 0;
    cr_assert_eq(differ, 0, "%zu decisions differ from the oracle", differ);
    cq_proc_lines_free(o, n_o);
    cq_proc_lines_free(d1, n_1);
    cq_proc_lines_free(d2, n_2);

    //  the journal of the broker active now reconciles with the ledgers
    cq_child_stop(&s_p.broker[0], SIGTERM, 10000);
    char l1[1300], l2[1300];
    snprintf(l1, sizeof l1, "%s/w1.ledger", s_p.dir);
    snprintf(l2, sizeof l2, "%s/w2.ledger", s_p.dir);
    cr_assert_eq(cq_proc_claimq(&r, 300, "ledger", "reconcile", "--journal",
                                s_p.journal[0], l1, l2, NULL),
                 0, "reconcile: %s\n%s", r.out, r.err);
    cq_run_free(&r);
}
