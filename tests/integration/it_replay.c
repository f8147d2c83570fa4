//  Issue 11: recording what a broker receives (claimq-broker --record),
//  `claimq capture info`, and `claimq replay` into other clusters of the
//  real binaries on 127.0.0.1: the same decisions at 1x and 4x, a shadow
//  cluster under changed rules, damaged and cut captures, open-loop
//  latency against a slowed cluster, a broker killed mid-write.
#include "capture.h"
#include "cq_proc.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

//  A data set in a new directory: plan, roster, n claims.
static void
s_data(char *dir, size_t n, size_t claims)
{
    const char *tmp = cq_test_tmpdir();
    cr_assert_not_null(tmp);
    snprintf(dir, n, "%s", tmp);
    cr_assert_eq(cq_proc_gen(dir, claims, claims / 8 + 10), 0);
}

//  Records `claims` claims submitted in documents of `chunk` into cap,
//  through a cluster of one worker that is stopped afterwards (the capture
//  complete); the submit's decisions go to dir/recorded.jsonl.
static void
s_record(cq_cluster_t *cl, const char *dir, const char *cap, int chunk)
{
    const char *extra[] = {"--record", cap, NULL};
    cr_assert_eq(cq_proc_cluster(cl, dir, 1, 1000, extra), 0);
    char claims[4200], out[4200], ch[16];
    snprintf(claims, sizeof claims, "%s/claims.jsonl", dir);
    snprintf(out, sizeof out, "%s/recorded.jsonl", dir);
    snprintf(ch, sizeof ch, "%d", chunk);
    cq_run_t r;
    int st = cq_proc_claimq(&r, 180, "submit", "--broker", cl->frontend,
                            "--batch", "rec-1", "--chunk", ch, "--wait",
                            "--quiet", "--output", out, claims, NULL);
    cr_assert_eq(st, 0, "submit: %s", r.err);
    cq_run_free(&r);
    cr_assert_eq(cq_cluster_stop(cl), 0);
}

static json_t *
s_json(const cq_run_t *r)
{
    json_error_t e;
    json_t *o = json_loads(r->out, 0, &e);
    cr_assert_not_null(o, "not JSON (%s): %s / %s", e.text, r->out, r->err);
    return o;
}

//  The value at "a.b.c" in o (asserted present).
static json_t *
s_get(json_t *o, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *x = o;
    for (char *k = strtok(buf, "."); k && x; k = strtok(NULL, "."))
        x = json_object_get(x, k);
    cr_assert_not_null(x, "no %s", path);
    return x;
}

static long long
s_int(json_t *o, const char *path)
{
    json_t *x = s_get(o, path);
    return json_is_integer(x) ? json_integer_value(x)
                              : (long long)json_number_value(x);
}

static double
s_num(json_t *o, const char *path)
{
    return json_number_value(s_get(o, path));
}

static json_t *
s_target(json_t *o, size_t i)
{
    json_t *t = json_array_get(json_object_get(o, "targets"), i);
    cr_assert_not_null(t);
    return t;
}

//  The decisions of a batch on a broker, as the oracle compares them.
static char **
s_results(const char *frontend, const char *batch, const char *path, size_t *n)
{
    cq_run_t r;
    int st = cq_proc_claimq(&r, 120, "results", batch, "--broker", frontend,
                            "--output", path, NULL);
    cr_assert_eq(st, 0, "results %s: %s", batch, r.err);
    cq_run_free(&r);
    char **lines = cq_proc_decisions(path, n);
    cr_assert_not_null(lines);
    return lines;
}

static int
s_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
s_same_sets(char **a, size_t na, char **b, size_t nb)
{
    cr_assert_eq(na, nb);
    qsort(a, na, sizeof *a, s_cmp);
    qsort(b, nb, sizeof *b, s_cmp);
    for (size_t i = 0; i < na; i++)
        cr_assert_str_eq(a[i], b[i]);
}

Test(replay, recorded_run_replayed_at_1x_and_4x_decides_the_same,
     .timeout = 400, .fini = cq_proc_cleanup)
{
    char a[1024], b[1024], c[1024], cap[1200];
    s_data(a, sizeof a, 3000);
    snprintf(cap, sizeof cap, "%s/traffic.cap", a);
    static cq_cluster_t ca, cb, cc;
    s_record(&ca, a, cap, 100);

    struct stat st;
    cr_assert_eq(stat(cap, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600, "a capture holds patient data");
    cq_run_t r;
    cr_assert_eq(cq_proc_claimq(&r, 60, "capture", "info", "--json", cap, NULL),
                 0, "%s", r.err);
    json_t *info = s_json(&r);
    cr_assert_eq(s_int(info, "documents"), 30);
    cr_assert_eq(s_int(info, "decisions"), 3000);
    cr_assert_eq(s_int(info, "batches"), 1);
    cr_assert_eq(s_int(info, "formats.json.documents"), 30);
    cr_assert_eq(s_int(info, "corrupt"), 0);
    json_decref(info);
    cq_run_free(&r);

    s_data(b, sizeof b, 3000);
    s_data(c, sizeof c, 3000);
    cr_assert_eq(cq_proc_cluster(&cb, b, 1, 1000, NULL), 0);
    cr_assert_eq(cq_proc_cluster(&cc, c, 2, 1000, NULL), 0);
    const char *speeds[2] = {"1", "4"};
    cq_cluster_t *to[2] = {&cb, &cc};
    for (int k = 0; k < 2; k++) {
        int rc = cq_proc_claimq(&r, 300, "replay", cap, "--broker",
                                to[k]->frontend, "--speed", speeds[k],
                                "--batch-prefix", "rp", "--json", NULL);
        cr_assert_eq(rc, 0, "speed %s: exit %d: %s", speeds[k], rc, r.err);
        json_t *o = s_json(&r);
        json_t *t = s_target(o, 0);
        cr_assert_eq(s_int(o, "documents"), 30);
        cr_assert_eq(s_int(t, "decided"), 3000);
        cr_assert_eq(s_int(t, "compare.same"), 3000, "%s", r.out);
        cr_assert_eq(s_int(t, "compare.differ"), 0);
        cr_assert_eq(s_int(t, "errors.claims_failed"), 0);
        cr_assert_eq(s_int(t, "decision.n"), 3000);
        cr_assert_eq(s_int(t, "receipt.n"), 30);
        cr_assert_geq(s_num(t, "decision.max_ms"), s_num(t, "decision.p50_ms"));
        json_decref(o);
        cq_run_free(&r);
    }
    //  and independently of replay's own comparison: the replayed batch's
    //  decisions, read back, are the recorded run's
    char p1[1200], p2[1200];
    snprintf(p1, sizeof p1, "%s/recorded.jsonl", a);
    snprintf(p2, sizeof p2, "%s/replayed.jsonl", b);
    size_t n1, n2;
    char **d1 = cq_proc_decisions(p1, &n1);
    cr_assert_not_null(d1);
    char **d2 = s_results(cb.frontend, "rp-rec-1", p2, &n2);
    s_same_sets(d1, n1, d2, n2);
    cq_proc_lines_free(d1, n1);
    cq_proc_lines_free(d2, n2);
}

Test(replay, shadow_under_changed_rules_is_explained_or_fails_strictly,
     .timeout = 400, .fini = cq_proc_cleanup)
{
    char a[1024], b[1024], d[1024], cap[1200];
    s_data(a, sizeof a, 1000);
    snprintf(cap, sizeof cap, "%s/traffic.cap", a);
    static cq_cluster_t ca, cb, cd;
    s_record(&ca, a, cap, 100);
    s_data(b, sizeof b, 1000);
    s_data(d, sizeof d, 1000);
    //  the shadow's rules: its first in-network provider is out of network
    char plan[1200];
    snprintf(plan, sizeof plan, "%s/plan.json", d);
    char *text = cq_test_read(plan, NULL);
    cr_assert_not_null(text);
    char *at = strstr(text, "\"in_network\": true");
    cr_assert_not_null(at);
    memcpy(at, "\"in_network\":false", 18);
    cr_assert_eq(cq_test_write(plan, text, strlen(text)), 0);
    free(text);
    cr_assert_eq(cq_proc_cluster(&cb, b, 1, 1000, NULL), 0);
    cr_assert_eq(cq_proc_cluster(&cd, d, 1, 1000, NULL), 0);

    char diff[1200];
    snprintf(diff, sizeof diff, "%s/diff.jsonl", a);
    cq_run_t r;
    int rc = cq_proc_claimq(&r, 300, "replay", cap, "--broker", cb.frontend,
                            "--shadow", cd.frontend, "--batch-prefix", "s1",
                            "--diff", diff, "--json", NULL);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, r.err);
    json_t *o = s_json(&r);
    json_t *t = s_target(o, 0), *s = s_target(o, 1);
    cr_assert_str_eq(json_string_value(json_object_get(s, "target")), "shadow");
    cr_assert_eq(s_int(t, "compare.same"), 1000);
    cr_assert_eq(s_int(s, "decided"), 1000);
    long long explained = s_int(s, "compare.explained");
    cr_assert_gt(explained, 0,
                 "the changed rules decide some claims "
                 "otherwise");
    cr_assert_eq(s_int(s, "compare.differ"), 0);
    cr_assert_eq(s_int(s, "compare.same") + explained, 1000);
    cr_assert_eq(cq_proc_count_lines(diff), (size_t)explained);
    char *dl = cq_test_read(diff, NULL);
    cr_assert(strstr(dl, "\"claim_id\"") && strstr(dl, "\"recorded\"") &&
              strstr(dl, "\"replayed\""));
    free(dl);
    json_decref(o);
    cq_run_free(&r);

    //  --strict: a rules change explains nothing (the shadow has decided
    //  these keys: it answers with the same decisions)
    rc = cq_proc_claimq(&r, 300, "replay", cap, "--broker", cb.frontend,
                        "--shadow", cd.frontend, "--batch-prefix", "s2",
                        "--strict", NULL);
    cr_assert_eq(rc, 1, "exit %d: %s", rc, r.out);
    cr_assert(strstr(r.out, "differ"), "%s", r.out);
    cq_run_free(&r);
}

//  The offset of the k-th document record of a capture (0-based), and of
//  the last document record.
static void
s_doc_offsets(const char *cap, int k, uint64_t *kth, uint64_t *last,
              size_t *len)
{
    char *buf = cq_test_read(cap, len);
    cr_assert_not_null(buf);
    cq_cap_reader_t rd;
    cr_assert_eq(cq_cap_begin(&rd, (uint8_t *)buf, *len, NULL), 0);
    cq_cap_rec_t rec;
    int n = 0;
    while (cq_cap_next(&rd, &rec, NULL) == 1)
        if (rec.type == CQ_CAP_DOC) {
            if (n++ == k)
                *kth = rec.offset;
            *last = rec.offset;
        }
    free(buf);
}

Test(replay, damaged_and_cut_captures_replay_the_rest, .timeout = 400,
     .fini = cq_proc_cleanup)
{
    char a[1024], e[1024], f[1024], cap[1200], bad[1200], cut[1200];
    s_data(a, sizeof a, 2000);
    snprintf(cap, sizeof cap, "%s/traffic.cap", a);
    snprintf(bad, sizeof bad, "%s/damaged.cap", a);
    snprintf(cut, sizeof cut, "%s/cut.cap", a);
    static cq_cluster_t ca, ce, cf;
    s_record(&ca, a, cap, 100); // 20 documents

    size_t len;
    uint64_t fifth = 0, last = 0;
    s_doc_offsets(cap, 4, &fifth, &last, &len);
    char *buf = cq_test_read(cap, &len);
    buf[fifth + 40] ^= 0x5a; // inside the fifth document's body
    cr_assert_eq(cq_test_write(bad, buf, len), 0);
    buf[fifth + 40] ^= 0x5a;
    //  cut inside the last document's record (its claims' decisions, after
    //  it, go too)
    cr_assert_eq(cq_test_write(cut, buf, last + 30), 0);
    free(buf);

    char where[64];
    snprintf(where, sizeof where, "offset %llu", (unsigned long long)fifth);
    cq_run_t r;
    cr_assert_eq(cq_proc_claimq(&r, 60, "capture", "info", bad, NULL), 0);
    cr_assert(strstr(r.err, where), "%s", r.err);
    cr_assert(strstr(r.out, "1 damaged records skipped"), "%s", r.out);
    cq_run_free(&r);
    cr_assert_eq(
        cq_proc_claimq(&r, 60, "capture", "info", "--strict", bad, NULL), 1);
    cq_run_free(&r);
    snprintf(where, sizeof where, "cut short at offset %llu",
             (unsigned long long)last);
    cr_assert_eq(cq_proc_claimq(&r, 60, "capture", "info", "--json", cut, NULL),
                 0);
    cr_assert(strstr(r.err, where), "%s", r.err);
    json_t *o = s_json(&r);
    cr_assert_eq(s_int(o, "documents"), 19);
    cr_assert_eq(s_int(o, "truncated_files"), 1);
    json_decref(o);
    cq_run_free(&r);

    s_data(e, sizeof e, 2000);
    s_data(f, sizeof f, 2000);
    cr_assert_eq(cq_proc_cluster(&ce, e, 1, 1000, NULL), 0);
    cr_assert_eq(cq_proc_cluster(&cf, f, 1, 1000, NULL), 0);
    //  (the damaged document's claims are missing: later claims of its
    //  members may decide otherwise, their accumulators being different,
    //  and replay says so with exit 1; the data are the same every run)
    int rc = cq_proc_claimq(&r, 300, "replay", bad, "--broker", ce.frontend,
                            "--speed", "4", "--json", NULL);
    snprintf(where, sizeof where, "offset %llu", (unsigned long long)fifth);
    cr_assert(strstr(r.err, where), "%s", r.err);
    o = s_json(&r);
    cr_assert_eq(s_int(o, "capture_damaged"), 1);
    json_t *t = s_target(o, 0);
    cr_assert_eq(s_int(t, "decided"), 1900);
    cr_assert_eq(s_int(t, "compare.same") + s_int(t, "compare.differ"), 1900);
    cr_assert_eq(rc, s_int(t, "compare.differ") > 0 ? 1 : 0, "exit %d: %s", rc,
                 r.err);
    json_decref(o);
    cq_run_free(&r);
    rc = cq_proc_claimq(&r, 300, "replay", cut, "--broker", cf.frontend,
                        "--speed", "4", "--json", NULL);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, r.err);
    o = s_json(&r);
    cr_assert_eq(s_int(o, "capture_truncated"), 1);
    cr_assert_eq(s_int(s_target(o, 0), "decided"), 1900);
    //  (the decisions were recorded after the last document: cut away)
    cr_assert_eq(s_int(s_target(o, 0), "compare.not_recorded"), 1900);
    cr_assert_eq(s_int(s_target(o, 0), "compare.differ"), 0);
    json_decref(o);
    cq_run_free(&r);
}

//  Open loop: a cluster that decides one claim every 5 ms (a test-only
//  worker delay) gets 20 documents of 50 claims within 0.2 s. Sent at
//  their times, the later documents wait behind the earlier ones, and
//  their latency, counted from their scheduled time, includes that wait:
//  the median claim cannot be decided before 500 x 5 ms = 2.5 s from the
//  start, 2.3 s after its time at the latest. A closed-loop client (one
//  document at a time, latency from its own send) sees only the service
//  time of one document (50 x 5 ms = 0.25 s and overhead).
Test(replay, open_loop_latency_includes_the_queueing, .timeout = 400,
     .fini = cq_proc_cleanup)
{
    char a[1024], s1[1024], s2[1024], cap[1200];
    s_data(a, sizeof a, 1000);
    snprintf(cap, sizeof cap, "%s/traffic.cap", a);
    static cq_cluster_t ca, cs1, cs2;
    s_record(&ca, a, cap, 50); // 20 documents
    s_data(s1, sizeof s1, 1000);
    s_data(s2, sizeof s2, 1000);
    setenv("CLAIMQ_TEST_FAULTS", "1", 1);
    setenv("CLAIMQ_FAULT", "delay-claim-us=5000", 1);
    cr_assert_eq(cq_proc_cluster(&cs1, s1, 1, 1000, NULL), 0);
    cr_assert_eq(cq_proc_cluster(&cs2, s2, 1, 1000, NULL), 0);
    unsetenv("CLAIMQ_FAULT");
    unsetenv("CLAIMQ_TEST_FAULTS");

    cq_run_t r;
    int rc = cq_proc_claimq(&r, 300, "replay", cap, "--broker", cs1.frontend,
                            "--rate", "100", "--json", NULL);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, r.err);
    json_t *o = s_json(&r);
    json_t *t = s_target(o, 0);
    cr_assert_eq(s_int(t, "decided"), 1000);
    double p50 = s_num(t, "decision.p50_ms"), mx = s_num(t, "decision.max_ms");
    cr_assert_geq(p50, 2300.0, "p50 %.0f ms: the queueing is missing", p50);
    cr_assert_geq(mx, 4800.0, "max %.0f ms", mx);
    //  the backlog at the end of the schedule is said
    cr_assert_geq(s_num(t, "drain_s"), 4.5, "drain %.1f s",
                  s_num(t, "drain_s"));
    json_decref(o);
    cq_run_free(&r);

    //  closed loop on an equally slow cluster: one document at a time
    char claims[1200], out[1200];
    snprintf(claims, sizeof claims, "%s/claims.jsonl", s2);
    snprintf(out, sizeof out, "%s/closed.jsonl", s2);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rc = cq_proc_claimq(&r, 300, "submit", "--broker", cs2.frontend, "--batch",
                        "closed-1", "--chunk", "50", "--window", "1", "--wait",
                        "--quiet", "--output", out, claims, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    cr_assert_eq(rc, 0, "%s", r.err);
    cq_run_free(&r);
    double per_doc = ((double)(t1.tv_sec - t0.tv_sec) * 1000.0 +
                      (double)(t1.tv_nsec - t0.tv_nsec) / 1e6) /
                     20.0;
    cr_assert_geq(per_doc, 250.0, "the delay is in force");
    cr_assert_gt(p50, 3.0 * per_doc,
                 "open loop p50 %.0f ms vs closed loop %.0f ms a document", p50,
                 per_doc);
}

Test(replay, broker_killed_mid_write_leaves_a_capture_that_replays,
     .timeout = 400, .fini = cq_proc_cleanup)
{
    char a[1024], b[1024], cap[1200], claims[1200], log[1200];
    s_data(a, sizeof a, 20000);
    snprintf(cap, sizeof cap, "%s/traffic.cap", a);
    snprintf(claims, sizeof claims, "%s/claims.jsonl", a);
    snprintf(log, sizeof log, "%s/submit.log", a);
    static cq_cluster_t ca, cb;
    const char *extra[] = {"--record", cap, NULL};
    cr_assert_eq(cq_proc_cluster(&ca, a, 1, 1000, extra), 0);
    char *argv[] = {(char *)cq_test_bin("claimq"),
                    "submit",
                    "--broker",
                    ca.frontend,
                    "--batch",
                    "kill-1",
                    "--chunk",
                    "100",
                    "--window",
                    "4",
                    "--wait",
                    "--quiet",
                    "--timeout",
                    "30",
                    claims,
                    NULL};
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    cq_child_t sub;
    cr_assert_eq(cq_child_spawn(&sub, argv, fd), 0);
    close(fd);
    //  some documents recorded, then the broker is killed
    struct stat st;
    for (int i = 0; i < 6000; i++) {
        if (stat(cap, &st) == 0 && st.st_size > 200000)
            break;
        usleep(10000);
    }
    cr_assert_gt(st.st_size, 200000);
    kill(ca.broker.pid, SIGKILL);
    cq_child_stop(&ca.broker, SIGKILL, 5000);
    kill(sub.pid, SIGKILL);
    cq_proc_wait_exit(&sub, 5000);

    cq_run_t r;
    cr_assert_eq(cq_proc_claimq(&r, 60, "capture", "info", "--json", cap, NULL),
                 0, "%s", r.err);
    json_t *o = s_json(&r);
    long long docs = s_int(o, "documents");
    cr_assert_gt(docs, 0);
    cr_assert_lt(docs, 200, "the broker was killed before the end");
    cr_assert_eq(s_int(o, "corrupt"), 0);
    json_decref(o);
    cq_run_free(&r);

    s_data(b, sizeof b, 20000);
    cr_assert_eq(cq_proc_cluster(&cb, b, 1, 1000, NULL), 0);
    int rc = cq_proc_claimq(&r, 300, "replay", cap, "--broker", cb.frontend,
                            "--speed", "4", "--json", NULL);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, r.err);
    o = s_json(&r);
    cr_assert_eq(s_int(s_target(o, 0), "decided"), docs * 100);
    cr_assert_eq(s_int(s_target(o, 0), "compare.differ"), 0);
    json_decref(o);
    cq_run_free(&r);
}

Test(replay, usage_and_refusals, .timeout = 120, .fini = cq_proc_cleanup)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", cq_test_tmpdir());
    char junk[1200], missing[1200];
    snprintf(junk, sizeof junk, "%s/junk.cap", dir);
    snprintf(missing, sizeof missing, "%s/none.cap", dir);
    cr_assert_eq(cq_test_write(junk, "{\"not\": \"a capture\"}\n", 21), 0);
    cq_run_t r;
    cr_assert_eq(cq_proc_claimq(&r, 30, "replay", NULL), 2);
    cr_assert(strstr(r.err, "no capture file given"), "%s", r.err);
    cq_run_free(&r);
    cr_assert_eq(cq_proc_claimq(&r, 30, "replay", junk, "--speed", "0", NULL),
                 2);
    cr_assert(strstr(r.err, "--speed"), "%s", r.err);
    cq_run_free(&r);
    cr_assert_eq(cq_proc_claimq(&r, 30, "replay", junk, "--broker",
                                "tcp://127.0.0.1:9", NULL),
                 3);
    cr_assert(strstr(r.err, "not a claimq capture"), "%s", r.err);
    cq_run_free(&r);
    cr_assert_eq(cq_proc_claimq(&r, 30, "capture", "info", missing, NULL), 3);
    cr_assert(strstr(r.err, "none.cap"), "%s", r.err);
    cq_run_free(&r);
    cr_assert_eq(cq_proc_claimq(&r, 30, "capture", NULL), 2);
    cq_run_free(&r);
    cr_assert_eq(cq_proc_claimq(&r, 30, "capture", "infp", NULL), 2);
    cr_assert(strstr(r.err, "did you mean 'info'"), "%s", r.err);
    cq_run_free(&r);
    //  the broker refuses to record over a file that is not a capture
    char *bargv[] = {(char *)cq_test_bin("claimq-broker"),
                     "--frontend",
                     "tcp://127.0.0.1:*",
                     "--backend",
                     "tcp://127.0.0.1:*",
                     "--record",
                     junk,
                     NULL};
    cr_assert_eq(cq_test_run(bargv, NULL, 30, &r), 0);
    cr_assert_eq(r.status, 3, "%s", r.err);
    cr_assert(strstr(r.err, "junk.cap") && strstr(r.err, "not a claimq "
                                                         "capture"),
              "%s", r.err);
    cq_run_free(&r);
    char *b2[] = {(char *)cq_test_bin("claimq-broker"), "--record-max-mb", "0",
                  NULL};
    cr_assert_eq(cq_test_run(b2, NULL, 30, &r), 0);
    cr_assert_eq(r.status, 2);
    cq_run_free(&r);
}
