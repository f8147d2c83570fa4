//  Issue 10: planned shard moves. Workers that join mid-batch take shards
//  (rendezvous hashing moves about 1/N of them, each once quiet, the new
//  owner rebuilding its members from the journal's history first); a
//  drained worker's shards move away, it finishes and exits 0. Either way
//  the decisions equal the one-process oracle and every claim is decided
//  exactly once.
//
//  To make "mid-batch" certain, the workers run with a per-claim delay
//  (the test fault switch delay-claim-us): one worker needs about a minute
//  for the batch, and the changes are made once a few thousand claims are
//  decided, with tens of thousands still to go.
#include "cq_proc.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

//  50,000 in every build: with fewer members some shards have none, and
//  the tests count every shard's owner
#define N_CLAIMS 50000

static int
s_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct {
    char dir[1024];
    char plan[1100], members[1100], claims[1100], oracle[1100], out[1100];
} s_env_t;

static void
s_setup(s_env_t *e)
{
    const char *tmp = cq_test_tmpdir();
    cr_assert_not_null(tmp);
    snprintf(e->dir, sizeof e->dir, "%s", tmp);
    //  members with about 12 claims each
    cr_assert_eq(cq_proc_gen(e->dir, N_CLAIMS, N_CLAIMS / 12), 0);
    snprintf(e->plan, sizeof e->plan, "%s/plan.json", e->dir);
    snprintf(e->members, sizeof e->members, "%s/members.jsonl", e->dir);
    snprintf(e->claims, sizeof e->claims, "%s/claims.jsonl", e->dir);
    snprintf(e->oracle, sizeof e->oracle, "%s/oracle.jsonl", e->dir);
    snprintf(e->out, sizeof e->out, "%s/decisions.jsonl", e->dir);
    cq_run_t r;
    int st =
        cq_proc_claimq(&r, 300, "adjudicate", "--plan", e->plan, "--members",
                       e->members, "--output", e->oracle, e->claims, NULL);
    cr_assert_eq(st, 0, "oracle: %s", r.err);
    cq_run_free(&r);
}

//  `claimq submit --wait` of the claims, in the background.
static void
s_submit_start(cq_child_t *c, const cq_cluster_t *cl, const s_env_t *e)
{
    char log[1200];
    snprintf(log, sizeof log, "%s/submit.log", e->dir);
    char *argv[] = {(char *)cq_test_bin("claimq"),
                    "submit",
                    "--broker",
                    (char *)cl->frontend,
                    "--batch",
                    "it-shards",
                    "--wait",
                    "--quiet",
                    "--output",
                    (char *)e->out,
                    (char *)e->claims,
                    NULL};
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    cr_assert_geq(fd, 0);
    cr_assert_eq(cq_child_spawn(c, argv, fd), 0);
    close(fd);
}

static void
s_wait_decided(const cq_cluster_t *cl, long long want)
{
    long long d = -1;
    for (int i = 0; i < 1200; i++) {
        d = cq_proc_status_field(cl->frontend, "it-shards", "decided");
        if (d >= want)
            return;
        usleep(100000);
    }
    cr_assert_fail("decided %lld, waited for %lld", d, want);
}

static int
s_submit_end(cq_child_t *c, const s_env_t *e)
{
    for (int i = 0; i < 3000 && !cq_child_exited(c); i++)
        usleep(100000);
    cr_assert(cq_child_exited(c), "submit did not finish");
    char log[1200];
    snprintf(log, sizeof log, "%s/submit.log", e->dir);
    size_t n;
    char *text = cq_test_read(log, &n);
    cr_assert_eq(c->status, 0, "submit: exit %d: %s", c->status,
                 text ? text : "");
    free(text);
    return c->status;
}

//  The shard map as JSON (`claimq shards --json`).
static json_t *
s_shards(const cq_cluster_t *cl)
{
    cq_run_t r;
    int st = cq_proc_claimq(&r, 10, "shards", "--json", "--broker",
                            cl->frontend, NULL);
    cr_assert_eq(st, 0, "shards: %s", r.err);
    json_t *j = json_loads(r.out, 0, NULL);
    cr_assert_not_null(j, "%s", r.out);
    cq_run_free(&r);
    return j;
}

//  Shards owned by node in the map.
static int
s_owned(json_t *map, const char *node)
{
    int n = 0;
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(map, "items"), i, it)
    {
        if (strcmp(json_string_value(json_object_get(it, "owner")), node) == 0)
            n++;
    }
    return n;
}

//  Decisions equal the oracle's, claim by claim; every key in exactly one
//  ledger row across workers w1..wN.
static void
s_check(const s_env_t *e, int workers)
{
    size_t n_o, n_d;
    char **o = cq_proc_decisions(e->oracle, &n_o);
    char **d = cq_proc_decisions(e->out, &n_d);
    cr_assert_not_null(o);
    cr_assert_not_null(d);
    cr_assert_eq(n_o, N_CLAIMS);
    cr_assert_eq(n_d, N_CLAIMS);
    for (size_t i = 0; i < n_o; i++)
        cr_assert_str_eq(d[i], o[i], "claim %zu differs", i + 1);
    cq_proc_lines_free(o, n_o);
    cq_proc_lines_free(d, n_d);
    char **all = NULL;
    size_t n_all = 0;
    for (int w = 1; w <= workers; w++) {
        char ledger[1200];
        snprintf(ledger, sizeof ledger, "%s/w%d.ledger", e->dir, w);
        size_t n;
        char **keys = cq_proc_ledger_keys(ledger, &n);
        cr_assert_not_null(keys);
        all = realloc(all, (n_all + n + 1) * sizeof *all);
        memcpy(all + n_all, keys, n * sizeof *keys);
        n_all += n;
        free(keys);
    }
    cr_assert_eq(n_all, N_CLAIMS, "%zu ledger rows for %d claims", n_all,
                 N_CLAIMS);
    qsort(all, n_all, sizeof *all, s_cmp);
    for (size_t i = 1; i < n_all; i++)
        cr_assert(strcmp(all[i - 1], all[i]) != 0, "%s decided twice", all[i]);
    cq_proc_lines_free(all, n_all);
}

//  `claimq workers --json`: each node with its host, uptime, load and
//  heartbeat age, live, on the cluster's rules.
static void
s_workers_view(const cq_cluster_t *cl)
{
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    cq_run_t r;
    int st = cq_proc_claimq(&r, 10, "workers", "--json", "--broker",
                            cl->frontend, NULL);
    cr_assert_eq(st, 0, "workers: %s", r.err);
    json_t *j = json_loads(r.out, 0, NULL);
    cr_assert_not_null(j, "%s", r.out);
    const char *rules = json_string_value(json_object_get(j, "rules_version"));
    cr_assert(rules != NULL && strncmp(rules, "sha256:", 7) == 0);
    json_t *ws = json_object_get(j, "workers");
    cr_assert_eq(json_array_size(ws), 4, "%s", r.out);
    size_t i;
    json_t *w;
    json_array_foreach(ws, i, w)
    {
        const char *node = json_string_value(json_object_get(w, "node"));
        cr_assert_str_eq(json_string_value(json_object_get(w, "state")), "live",
                         "%s", node);
        cr_assert_str_eq(json_string_value(json_object_get(w, "host")), host);
        json_int_t up = json_integer_value(json_object_get(w, "uptime_s"));
        cr_assert(up >= 0 && up < 600, "%s uptime %lld", node, (long long)up);
        cr_assert_gt(json_integer_value(json_object_get(w, "heartbeat_ms")), 0);
        cr_assert_geq(json_integer_value(json_object_get(w, "idle_ms")), 0);
        cr_assert_not_null(json_object_get(w, "claims_per_s"));
        cr_assert_gt(json_integer_value(json_object_get(w, "credit")), 0);
        cr_assert_not_null(json_object_get(w, "inflight"));
        cr_assert_gt(json_integer_value(json_object_get(w, "decided")), 0);
        cr_assert_str_eq(json_string_value(json_object_get(w, "rules_version")),
                         rules);
    }
    json_decref(j);
    cq_run_free(&r);
}

Test(shards, scale_out_mid_batch_one_to_four, .timeout = 600,
     .fini = cq_proc_cleanup)
{
    static s_env_t e;
    s_setup(&e);
    setenv("CLAIMQ_TEST_FAULTS", "1", 1);
    setenv("CLAIMQ_FAULT", "delay-claim-us=1000", 1);
    static cq_cluster_t cl;
    cr_assert_eq(cq_proc_cluster(&cl, e.dir, 1, 1000, NULL), 0);
    static cq_child_t sub;
    s_submit_start(&sub, &cl, &e);
    s_wait_decided(&cl, 2000);
    json_t *before = s_shards(&cl);
    int total = (int)json_integer_value(json_object_get(before, "shards"));
    cr_assert_eq(s_owned(before, "w1"), total, "w1 owns every shard");
    json_decref(before);
    cq_diag_t diag = {0};
    for (int i = 0; i < 3; i++)
        cr_assert_eq(cq_cluster_add_worker(&cl, &diag), 0, "%s", diag.msg);
    unsetenv("CLAIMQ_TEST_FAULTS");
    unsetenv("CLAIMQ_FAULT");
    s_submit_end(&sub, &e);

    //  Every node owns shards, about a quarter each; a shard moves at most
    //  once per join (its first owner counts as one).
    json_t *map = s_shards(&cl);
    int owned[4], sum = 0;
    for (int w = 0; w < 4; w++) {
        char node[8];
        snprintf(node, sizeof node, "w%d", w + 1);
        owned[w] = s_owned(map, node);
        cr_assert_gt(owned[w], total / 8, "%s owns %d of %d shards", node,
                     owned[w], total);
        sum += owned[w];
    }
    cr_assert_eq(sum, total);
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(map, "items"), i, it)
    {
        cr_assert_leq(json_integer_value(json_object_get(it, "moves")), 4);
        cr_assert_str_eq(json_string_value(json_object_get(it, "target")), "");
    }
    json_decref(map);
    for (int w = 2; w <= 4; w++) {
        char node[8];
        snprintf(node, sizeof node, "w%d", w);
        cr_assert_gt(cq_proc_worker_field(cl.frontend, node, "decided"), 0,
                     "%s decided nothing", node);
    }
    cr_assert_gt(cq_proc_counter(cl.frontend, "shards_moved"), 0);
    cr_assert_eq(cq_proc_counter(cl.frontend, "stale_results"), 0);
    s_workers_view(&cl);
    cr_assert_eq(cq_cluster_stop(&cl), 0, "a process did not exit 0");
    s_check(&e, 4);
}

Test(shards, drain_mid_batch, .timeout = 600, .fini = cq_proc_cleanup)
{
    static s_env_t e;
    s_setup(&e);
    setenv("CLAIMQ_TEST_FAULTS", "1", 1);
    setenv("CLAIMQ_FAULT", "delay-claim-us=500", 1);
    static cq_cluster_t cl;
    cr_assert_eq(cq_proc_cluster(&cl, e.dir, 3, 1000, NULL), 0);
    unsetenv("CLAIMQ_TEST_FAULTS");
    unsetenv("CLAIMQ_FAULT");
    static cq_child_t sub;
    s_submit_start(&sub, &cl, &e);
    s_wait_decided(&cl, 3000);
    json_t *map = s_shards(&cl);
    cr_assert_gt(s_owned(map, "w2"), 0);
    json_decref(map);

    //  drain w2 and wait until it has left: it exits 0 by itself
    cq_run_t r;
    int st = cq_proc_claimq(&r, 300, "drain", "w2", "--wait", "--broker",
                            cl.frontend, NULL);
    cr_assert_eq(st, 0, "drain: %s %s", r.out, r.err);
    cr_assert(strstr(r.out, "w2 draining") && strstr(r.out, "w2 has left"),
              "%s", r.out);
    cq_run_free(&r);
    for (int i = 0; i < 600 && !cq_child_exited(&cl.workers[1]); i++)
        usleep(50000);
    cr_assert(cq_child_exited(&cl.workers[1]), "w2 did not exit");
    cr_assert_eq(cl.workers[1].status, 0, "w2: exit %d", cl.workers[1].status);
    //  the batch was not done when w2 left
    cr_assert_lt(cq_proc_status_field(cl.frontend, "it-shards", "decided"),
                 N_CLAIMS);
    map = s_shards(&cl);
    cr_assert_eq(s_owned(map, "w2"), 0, "w2 still owns shards");
    json_decref(map);
    //  no such worker: exit 1 with a message
    st = cq_proc_claimq(&r, 30, "drain", "w9", "--broker", cl.frontend, NULL);
    cr_assert_eq(st, 1);
    cr_assert(strstr(r.err, "no worker w9"), "%s", r.err);
    cq_run_free(&r);

    s_submit_end(&sub, &e);
    cr_assert_eq(cq_proc_counter(cl.frontend, "stale_results"), 0);
    //  (w2 is gone: stop the others)
    cq_child_stop(&cl.workers[0], SIGTERM, 30000);
    cq_child_stop(&cl.workers[2], SIGTERM, 30000);
    cq_child_stop(&cl.broker, SIGTERM, 30000);
    s_check(&e, 3);
}

//  The broker SIGKILLed while planned moves wait for the old owner's
//  claims in flight, then restarted on its journal:
//  the moves finish, nothing is lost or decided twice, oracle-equal.
//  (w1 decides 500 claims/s: its 1,024 claims in flight hold their
//  shards' planned moves for seconds.)
Test(shards, broker_killed_mid_move, .timeout = 600, .fini = cq_proc_cleanup)
{
    static s_env_t e;
    s_setup(&e);
    static char journal[1200];
    static const char *args[3];
    snprintf(journal, sizeof journal, "%s/journal", e.dir);
    args[0] = "--journal";
    args[1] = journal;
    args[2] = NULL;
    setenv("CLAIMQ_TEST_FAULTS", "1", 1);
    setenv("CLAIMQ_FAULT", "delay-claim-us=2000", 1);
    static cq_cluster_t cl;
    cr_assert_eq(cq_proc_cluster(&cl, e.dir, 1, 1000, args), 0);
    unsetenv("CLAIMQ_TEST_FAULTS");
    unsetenv("CLAIMQ_FAULT");
    static cq_child_t sub;
    s_submit_start(&sub, &cl, &e);
    s_wait_decided(&cl, 50);
    cq_diag_t diag = {0};
    for (int i = 0; i < 3; i++)
        cr_assert_eq(cq_cluster_add_worker(&cl, &diag), 0, "%s", diag.msg);
    //  moves planned and waiting: some shard has a target
    int waiting = 0;
    for (int i = 0; i < 200 && waiting == 0; i++) {
        json_t *map = s_shards(&cl);
        size_t k;
        json_t *it;
        json_array_foreach(json_object_get(map, "items"), k, it)
        {
            if (json_string_value(json_object_get(it, "target"))[0])
                waiting++;
        }
        json_decref(map);
        if (waiting == 0)
            usleep(50000);
    }
    cr_assert_gt(waiting, 0, "no move was waiting");
    cr_assert_eq(cq_child_stop(&cl.broker, SIGKILL, 5000), 128 + SIGKILL);
    cr_assert_eq(cq_proc_restart_broker(&cl), 0);
    s_submit_end(&sub, &e);

    json_t *map = s_shards(&cl);
    int total = (int)json_integer_value(json_object_get(map, "shards"));
    int sum = 0;
    for (int w = 0; w < 4; w++) {
        char node[8];
        snprintf(node, sizeof node, "w%d", w + 1);
        int owned = s_owned(map, node);
        cr_assert_gt(owned, 0, "%s owns no shard after the restart", node);
        sum += owned;
    }
    cr_assert_eq(sum, total);
    json_decref(map);
    cr_assert_eq(cq_cluster_stop(&cl), 0, "a process did not exit 0");
    //  every claim decided as the oracle decides it, once
    size_t n_o, n_d;
    char **o = cq_proc_decisions(e.oracle, &n_o);
    char **d = cq_proc_decisions(e.out, &n_d);
    cr_assert_eq(n_o, N_CLAIMS);
    cr_assert_eq(n_d, N_CLAIMS);
    for (size_t i = 0; i < n_o; i++)
        cr_assert_str_eq(d[i], o[i], "claim %zu differs", i + 1);
    cq_proc_lines_free(o, n_o);
    cq_proc_lines_free(d, n_d);
    const char *argv[] = {cq_test_bin("claimq"),
                          "ledger",
                          "reconcile",
                          "--journal",
                          journal,
                          NULL,
                          NULL,
                          NULL,
                          NULL,
                          NULL};
    char ledgers[4][1200];
    for (int w = 0; w < 4; w++) {
        snprintf(ledgers[w], sizeof ledgers[w], "%s/w%d.ledger", e.dir, w + 1);
        argv[5 + w] = ledgers[w];
    }
    cq_run_t r;
    cr_assert_eq(cq_test_run((char *const *)argv, NULL, 120, &r), 0);
    cr_assert_eq(r.status, 0, "ledger reconcile:\n%s\n%s", r.out, r.err);
    cq_run_free(&r);
}
