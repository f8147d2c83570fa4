//  Issue 11: `claimq bench e2e --peers` runs the peer queues of
//  bench/peers (Redis Streams with AOF fsync always, RabbitMQ with a
//  quorum queue and publisher confirms, Beanstalkd with fsync on every
//  write), each started on 127.0.0.1 by its script and stopped by it, and
//  prints claimq's durable figure beside theirs from the same run.
//  deploy/setup.sh installs the peers' Debian packages, so here they must
//  run, not be skipped.
#include "cq_test.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  Processes named `name` running now (pgrep -c -x).
static int
s_count(const char *name)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "pgrep -c -x %s", name);
    FILE *p = popen(cmd, "r");
    int n = 0;
    if (p) {
        if (fscanf(p, "%d", &n) != 1)
            n = 0;
        pclose(p);
    }
    return n;
}

Test(bench_peers, e2e_beside_redis_rabbitmq_beanstalkd, .timeout = 600)
{
    static const char *const servers[] = {"redis-server", "beam.smp",
                                          "beanstalkd", "epmd"};
    int before[4];
    for (int i = 0; i < 4; i++)
        before[i] = s_count(servers[i]);
    char dir[4200];
    snprintf(dir, sizeof dir, "%s", cq_test_src("bench/peers"));
    char *argv[] = {(char *)cq_test_bin("claimq"),
                    "bench",
                    "e2e",
                    "--claims",
                    "5000",
                    "--workers",
                    "2",
                    "--peers-dir",
                    dir,
                    "--json",
                    NULL};
    cq_run_t r;
    cr_assert_eq(cq_test_run(argv, NULL, 500, &r), 0);
    cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
    json_error_t e;
    json_t *o = json_loads(r.out, 0, &e);
    cr_assert_not_null(o, "%s: %s", e.text, r.out);
    cr_assert(json_is_true(json_object_get(o, "durable")));
    cr_assert_eq(json_integer_value(json_object_get(o, "decided")), 5000);
    json_t *peers = json_object_get(o, "peers");
    cr_assert(json_is_array(peers), "%s", r.out);
    static const char *const want[] = {"redis-streams", "rabbitmq-quorum",
                                       "beanstalkd"};
    for (int k = 0; k < 3; k++) {
        json_t *found = NULL, *p;
        size_t i;
        json_array_foreach(peers, i, p)
        {
            const char *nm = json_string_value(json_object_get(p, "peer"));
            if (nm && strcmp(nm, want[k]) == 0)
                found = p;
        }
        cr_assert_not_null(found, "no %s line: %s / %s", want[k], r.out, r.err);
        cr_assert_null(json_object_get(found, "skipped"), "%s skipped: %s",
                       want[k], r.err);
        cr_assert_eq(json_integer_value(json_object_get(found, "messages")),
                     5000);
        cr_assert_gt(json_number_value(json_object_get(found, "per_s")), 0);
        cr_assert_geq(json_number_value(json_object_get(found, "p99_ms")),
                      json_number_value(json_object_get(found, "p50_ms")));
    }
    cr_assert(json_is_string(json_object_get(o, "best_peer")));
    cr_assert_gt(json_number_value(json_object_get(o, "vs_best_peer")), 0);
    json_decref(o);
    cq_run_free(&r);
    //  each script stopped what it started, and only that
    for (int i = 0; i < 4; i++)
        cr_assert_eq(s_count(servers[i]), before[i], "%s left running",
                     servers[i]);
}

Test(bench_peers, a_missing_peers_dir_is_a_setup_error, .timeout = 60)
{
    char *argv[] = {(char *)cq_test_bin("claimq"),
                    "bench",
                    "e2e",
                    "--claims",
                    "100",
                    "--peers-dir",
                    "/nonexistent/peers",
                    NULL};
    cq_run_t r;
    cr_assert_eq(cq_test_run(argv, NULL, 50, &r), 0);
    cr_assert_eq(r.status, 3, "%s", r.err);
    cr_assert(strstr(r.err, "/nonexistent/peers"), "%s", r.err);
    cq_run_free(&r);
}
