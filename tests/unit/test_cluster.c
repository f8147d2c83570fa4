//  test_cluster.c: how client/cluster.c starts the broker (`claimq up`,
//  bench e2e, the integration tests): with --journal DIR when asked, none
//  otherwise, and again on the endpoints it had bound. The daemons here
//  are shell scripts that print their arguments in their READY line.
#include "cluster.h"
#include "cq_test.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

//  READY frontend=... backend=... args=A,B,C (the arguments, joined by
//  commas), then waits for SIGTERM.
static const char s_fake[] =
    "#!/bin/sh\n"
    "trap 'exit 0' TERM\n"
    "fe=tcp://127.0.0.1:1\n"
    "[ \"$2\" = \"tcp://127.0.0.1:*\" ] || fe=$2\n"
    "echo \"READY frontend=$fe backend=tcp://127.0.0.1:2 "
    "args=$(echo \"$@\" | tr ' ' ,)\"\n"
    "while :; do sleep 0.05; done\n";

//  A cluster of the fake daemons (one worker) in a new directory; with a
//  journal (its --journal argument into want) or without.
static void
s_start(cq_cluster_t *cl, bool journal, char *want, size_t n)
{
    static char dir[1024], data[1100], path[1200];
    const char *tmp = cq_test_tmpdir();
    cr_assert_not_null(tmp);
    snprintf(dir, sizeof dir, "%s", tmp);
    const char *names[] = {"claimq-broker", "claimq-worker"};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        cr_assert_eq(cq_test_write(path, s_fake, sizeof s_fake - 1), 0);
        cr_assert_eq(chmod(path, 0755), 0);
    }
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(path, sizeof path, "%s/journal", data);
    snprintf(want, n, "--journal,%s", path);
    cq_cluster_opts_t o;
    memset(&o, 0, sizeof o);
    o.bin_dir = dir;
    o.dir = data;
    o.plan = "plan.json";
    o.members = "members.jsonl";
    o.workers = 1;
    o.stderr_fd = -1;
    o.journal = journal ? path : NULL;
    cq_diag_t diag = {0};
    cr_assert_eq(cq_cluster_start(cl, &o, &diag), 0, "%s", diag.msg);
}

static void
s_args(const cq_cluster_t *cl, char *out, size_t n)
{
    cr_assert(cq_child_ready_get(&cl->broker, "args", out, n), "%s",
              cl->broker.ready);
}

Test(cluster, journal_is_passed_to_the_broker)
{
    char args[1024], want[1300];
    static cq_cluster_t cl;
    s_start(&cl, true, want, sizeof want);
    s_args(&cl, args, sizeof args);
    cr_assert_not_null(strstr(args, want), "%s", args);
    cr_assert_eq(cq_cluster_stop(&cl), 0);
}

Test(cluster, no_journal_means_none)
{
    char args[1024], want[1300];
    static cq_cluster_t cl;
    s_start(&cl, false, want, sizeof want);
    s_args(&cl, args, sizeof args);
    cr_assert_null(strstr(args, "--journal"), "%s", args);
    cr_assert_eq(cq_cluster_stop(&cl), 0);
}

//  A restarted broker gets the same arguments, and the endpoints the first
//  one had bound (kernel-picked ports are kept: clients reconnect).
Test(cluster, restart_keeps_endpoints_and_journal)
{
    char args[1024], want[1300];
    static cq_cluster_t cl;
    s_start(&cl, true, want, sizeof want);
    cq_diag_t diag = {0};
    cr_assert_neq(cq_cluster_restart_broker(&cl, &diag), 0, "still running");
    cr_assert_eq(cq_child_stop(&cl.broker, SIGKILL, 5000), 128 + SIGKILL);
    cr_assert_eq(cq_cluster_restart_broker(&cl, &diag), 0, "%s", diag.msg);
    s_args(&cl, args, sizeof args);
    cr_assert_not_null(strstr(args, "--frontend,tcp://127.0.0.1:1,"), "%s",
                       args);
    cr_assert_not_null(strstr(args, "--backend,tcp://127.0.0.1:2,"), "%s",
                       args);
    cr_assert_not_null(strstr(args, want), "%s", args);
    cr_assert_str_eq(cl.frontend, "tcp://127.0.0.1:1");
    cr_assert_eq(cq_cluster_stop(&cl), 0);
}
