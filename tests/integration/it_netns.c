//  Issue 10: many hosts. The broker, three workers and the client each in
//  a network namespace of their own (made by this test: veth pairs to a
//  bridge in a hub namespace; addresses exist only inside them), talking
//  real TCP. One worker's link is cut mid-batch: after the heartbeat
//  timeout its shards move and the batch completes equal to the oracle;
//  the link comes back: the node registers again and gets shards again.
//  Added link delay (tc netem) is skipped where the kernel has no netem,
//  saying so. The test skips, saying why, where namespaces cannot be made
//  (not root); CI runs as root.
#include "cq_proc.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define N_CLAIMS 20000
#define N_WORKERS 3

static char s_tag[16]; // per-run suffix of every name made here
static bool s_made;

static int CQ_PRINTF(1, 2) s_sh(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

//  Namespaces: hub (the bridge), b (broker), w1..w3, c (client).
static const char *const s_roles[] = {"b", "w1", "w2", "w3", "c"};
#define N_ROLES 5

static void
s_teardown(void)
{
    if (!s_made)
        return;
    for (int i = 0; i < N_ROLES; i++)
        s_sh("ip netns del cq%s%s 2>/dev/null", s_roles[i], s_tag);
    s_sh("ip netns del cqhub%s 2>/dev/null", s_tag);
    s_made = false;
}

static void
s_fini(void)
{
    cq_proc_cleanup();
    s_teardown();
}

//  10.231.0.(i+1) in namespace cq<role><tag>, linked to the hub's bridge.
static bool
s_setup(void)
{
    snprintf(s_tag, sizeof s_tag, "%d", (int)getpid() % 100000);
    if (s_sh("ip netns add cqhub%s 2>/dev/null", s_tag) != 0)
        return false;
    s_made = true;
    bool ok = s_sh("ip -n cqhub%s link add cqbr type bridge && "
                   "ip -n cqhub%s link set cqbr up && "
                   "ip -n cqhub%s link set lo up",
                   s_tag, s_tag, s_tag) == 0;
    for (int i = 0; i < N_ROLES && ok; i++) {
        const char *r = s_roles[i];
        ok = s_sh("ip netns add cq%s%s && "
                  "ip link add h%s%s type veth peer name v%s%s && "
                  "ip link set h%s%s netns cqhub%s && "
                  "ip link set v%s%s netns cq%s%s && "
                  "ip -n cqhub%s link set h%s%s master cqbr && "
                  "ip -n cqhub%s link set h%s%s up && "
                  "ip -n cq%s%s addr add 10.231.0.%d/24 dev v%s%s && "
                  "ip -n cq%s%s link set v%s%s up && "
                  "ip -n cq%s%s link set lo up",
                  r, s_tag, r, s_tag, r, s_tag, r, s_tag, s_tag, r, s_tag, r,
                  s_tag, s_tag, r, s_tag, s_tag, r, s_tag, r, s_tag, i + 1, r,
                  s_tag, r, s_tag, r, s_tag, r, s_tag) == 0;
    }
    cr_assert(ok, "setting up the namespaces failed");
    return true;
}

//  Starts argv (a NULL-ended list) inside namespace cq<role><tag>, stderr
//  to log.
static void
s_spawn(cq_child_t *c, const char *role, const char *log, const char **argv)
{
    char ns[64];
    snprintf(ns, sizeof ns, "cq%s%s", role, s_tag);
    const char *full[64] = {"/usr/sbin/ip", "netns", "exec", ns};
    int n = 4;
    for (int i = 0; argv[i] && n < 63; i++)
        full[n++] = argv[i];
    full[n] = NULL;
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    cr_assert_geq(fd, 0);
    cr_assert_eq(cq_child_spawn(c, (char *const *)full, fd), 0);
    close(fd);
}

//  `claimq ARGS` run in the client's namespace; its exit code, stdout in
//  out (caller frees, may be NULL).
static int CQ_PRINTF(2, 3) s_claimq(char **out, const char *fmt, ...)
{
    char args[4096], cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "ip netns exec cqc%s %s %s 2>&1", s_tag,
             cq_test_bin("claimq"), args);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t cap = 1 << 20, n = 0, k;
    char *buf = malloc(cap);
    while ((k = fread(buf + n, 1, cap - 1 - n, p)) > 0)
        n += k;
    buf[n] = '\0';
    int st = pclose(p);
    if (out)
        *out = buf;
    else
        free(buf);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static long long
s_status(const char *fe, const char *field)
{
    char *out;
    s_claimq(&out, "status --json --broker %s net", fe);
    json_t *j = json_loads(out, 0, NULL);
    free(out);
    json_t *v = json_object_get(j, field);
    long long x = json_is_integer(v) ? json_integer_value(v) : -1;
    json_decref(j);
    return x;
}

//  A broker counter (from `claimq workers --json`), -1 unreachable.
static long long
s_counter(const char *fe, const char *name)
{
    char *out;
    s_claimq(&out, "workers --json --broker %s", fe);
    json_t *j = json_loads(out, 0, NULL);
    free(out);
    json_t *v = json_object_get(json_object_get(j, "counters"), name);
    long long x = json_is_integer(v) ? json_integer_value(v) : -1;
    json_decref(j);
    return x;
}

//  Shards owned by node (from `claimq shards --json`), -1 unreachable.
static int
s_owned(const char *fe, const char *node)
{
    char *out;
    s_claimq(&out, "shards --json --broker %s", fe);
    json_t *j = json_loads(out, 0, NULL);
    free(out);
    if (j == NULL)
        return -1;
    int n = 0;
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(j, "items"), i, it)
    {
        n += strcmp(json_string_value(json_object_get(it, "owner")), node) == 0;
    }
    json_decref(j);
    return n;
}

Test(netns, workers_on_other_hosts_link_cut_and_healed, .timeout = 600,
     .fini = s_fini)
{
    if (geteuid() != 0)
        cr_skip_test("network namespaces need root (CI runs as root)");
    if (!s_setup())
        cr_skip_test("cannot make network namespaces here (ip netns add "
                     "failed: not permitted in this container?)");
    char dir[1024];
    const char *tmp = cq_test_tmpdir();
    cr_assert_not_null(tmp);
    snprintf(dir, sizeof dir, "%s", tmp);
    cr_assert_eq(cq_proc_gen(dir, N_CLAIMS, N_CLAIMS / 12), 0);
    char plan[1100], members[1100], claims[1100], oracle[1100], out[1100],
        log[1100], jdir[1100];
    snprintf(plan, sizeof plan, "%s/plan.json", dir);
    snprintf(members, sizeof members, "%s/members.jsonl", dir);
    snprintf(claims, sizeof claims, "%s/claims.jsonl", dir);
    snprintf(oracle, sizeof oracle, "%s/oracle.jsonl", dir);
    snprintf(out, sizeof out, "%s/decisions.jsonl", dir);
    snprintf(log, sizeof log, "%s/cluster.log", dir);
    snprintf(jdir, sizeof jdir, "%s/journal", dir);
    cq_run_t r;
    cr_assert_eq(cq_proc_claimq(&r, 300, "adjudicate", "--plan", plan,
                                "--members", members, "--output", oracle,
                                claims, NULL),
                 0, "%s", r.err);
    cq_run_free(&r);

    //  the broker, in its namespace, on its address there
    static cq_child_t broker, workers[N_WORKERS], client;
    const char *bargv[] = {cq_test_bin("claimq-broker"),
                           "--frontend",
                           "tcp://10.231.0.1:*",
                           "--backend",
                           "tcp://10.231.0.1:*",
                           "--insecure",
                           "--journal",
                           jdir,
                           "--heartbeat-ms",
                           "500",
                           NULL};
    s_spawn(&broker, "b", log, bargv);
    cr_assert_eq(cq_child_wait_ready(&broker, 30000), 0, "broker not ready");
    char fe[256], be[256];
    cr_assert(cq_child_ready_get(&broker, "frontend", fe, sizeof fe));
    cr_assert(cq_child_ready_get(&broker, "backend", be, sizeof be));
    cr_assert(strstr(fe, "10.231.0.1:") != NULL, "%s", fe);

    //  three workers, each in its namespace; slowed so that the batch
    //  lasts while the link is cut and healed
    setenv("CLAIMQ_TEST_FAULTS", "1", 1);
    setenv("CLAIMQ_FAULT", "delay-claim-us=500", 1);
    char ledgers[N_WORKERS][1100];
    for (int i = 0; i < N_WORKERS; i++) {
        char node[8];
        snprintf(node, sizeof node, "w%d", i + 1);
        snprintf(ledgers[i], sizeof ledgers[i], "%s/w%d.ledger", dir, i + 1);
        const char *wargv[] = {cq_test_bin("claimq-worker"),
                               "--broker",
                               be,
                               "--node-id",
                               node,
                               "--ledger",
                               ledgers[i],
                               "--plan",
                               plan,
                               "--members",
                               members,
                               "--heartbeat-ms",
                               "500",
                               NULL};
        s_spawn(&workers[i], s_roles[i + 1], log, wargv);
        cr_assert_eq(cq_child_wait_ready(&workers[i], 30000), 0,
                     "w%d not ready", i + 1);
    }
    unsetenv("CLAIMQ_TEST_FAULTS");
    unsetenv("CLAIMQ_FAULT");

    //  the client, in the fifth namespace
    const char *cargv[] = {cq_test_bin("claimq"),
                           "submit",
                           "--broker",
                           fe,
                           "--batch",
                           "net",
                           "--wait",
                           "--quiet",
                           "--output",
                           out,
                           claims,
                           NULL};
    s_spawn(&client, "c", log, cargv);
    long long d = 0;
    for (int i = 0; i < 600 && d < 2000; i++) {
        d = s_status(fe, "decided");
        usleep(100000);
    }
    cr_assert_geq(d, 2000, "decided %lld", d);
    int w3_before = s_owned(fe, "w3");
    cr_assert_gt(w3_before, 0);

    //  cut w3's link: after 3 heartbeats it is dead, its shards move
    cr_assert_eq(s_sh("ip -n cqw3%s link set vw3%s down", s_tag, s_tag), 0);
    int owned = w3_before;
    for (int i = 0; i < 300 && owned != 0; i++) {
        owned = s_owned(fe, "w3");
        usleep(100000);
    }
    cr_assert_eq(owned, 0, "w3 still owns %d shards", owned);
    cr_assert_lt(s_status(fe, "decided"), N_CLAIMS,
                 "the batch finished before the cut was noticed");

    //  heal it: w3 registers again and gets shards again
    cr_assert_eq(s_sh("ip -n cqw3%s link set vw3%s up", s_tag, s_tag), 0);
    for (int i = 0; i < 600 && owned == 0; i++) {
        owned = s_owned(fe, "w3");
        usleep(100000);
    }
    cr_assert_gt(owned, 0, "w3 got no shards back");
    //  what w3 decided under the leases it lost is refused: its late
    //  RESULTs (stale) or, sent into a dead connection, its ledger rows
    //  the journal never took (orphans, marked when it registered again)
    long long refused = 0;
    for (int i = 0; i < 300 && refused <= 0; i++) {
        refused = s_counter(fe, "stale_results") + s_counter(fe, "orphans");
        if (refused <= 0)
            usleep(100000);
    }
    cr_assert_gt(refused, 0, "w3's results under lost leases were taken");

    //  latency on a link: only where the kernel has netem
    if (s_sh("ip netns exec cqw2%s tc qdisc add dev vw2%s root netem delay "
             "50ms 2>/dev/null",
             s_tag, s_tag) != 0)
        //  (not cr_log_warn: Criterion 2.4 fails the run on a warning)
        fprintf(stderr, "it_netns: skipped: 50 ms link delay (this kernel "
                        "has no netem qdisc)\n");

    for (int i = 0; i < 3000 && !cq_child_exited(&client); i++)
        usleep(100000);
    cr_assert(cq_child_exited(&client), "submit did not finish");
    cr_assert_eq(client.status, 0, "submit: exit %d", client.status);
    for (int i = 0; i < N_WORKERS; i++)
        cr_assert_eq(cq_child_stop(&workers[i], SIGTERM, 30000), 0,
                     "w%d did not stop cleanly", i + 1);
    cr_assert_eq(cq_child_stop(&broker, SIGTERM, 30000), 0);

    size_t n_o, n_d;
    char **o = cq_proc_decisions(oracle, &n_o);
    char **dd = cq_proc_decisions(out, &n_d);
    cr_assert_not_null(o);
    cr_assert_not_null(dd);
    cr_assert_eq(n_d, N_CLAIMS);
    for (size_t i = 0; i < n_o; i++)
        cr_assert_str_eq(dd[i], o[i], "claim %zu differs", i + 1);
    cq_proc_lines_free(o, n_o);
    cq_proc_lines_free(dd, n_d);
    //  exactly once across the ledgers (orphans of the cut left out)
    size_t total = 0;
    for (int i = 0; i < N_WORKERS; i++) {
        size_t n;
        char **keys = cq_proc_ledger_keys(ledgers[i], &n);
        cr_assert_not_null(keys);
        total += n;
        cq_proc_lines_free(keys, n);
    }
    cr_assert_eq(total, N_CLAIMS, "%zu ledger rows", total);
    s_teardown();
}
