//  it_metrics.c: the Prometheus endpoints of a live broker and worker
//  (issue 14): `promtool check metrics` accepts both, /healthz answers, an
//  unknown path is 404, and the values move as a batch runs.
#include "cq_proc.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static cq_cluster_t s_cl;
static cq_child_t s_w;

static void
s_fini(void)
{
    if (s_w.pid > 0)
        cq_child_stop(&s_w, SIGKILL, 5000);
    cq_proc_cleanup();
}

TestSuite(metrics, .fini = s_fini);

static void
s_promtool(const char *dir, const char *text, const char *what)
{
    if (access("/usr/bin/promtool", X_OK) != 0) {
        cr_log_warn("promtool absent (Debian package prometheus): %s not "
                    "linted",
                    what);
        return;
    }
    char path[1200];
    snprintf(path, sizeof path, "%s/%s.prom", dir, what);
    cr_assert_eq(cq_test_write(path, text, strlen(text)), 0);
    char *argv[] = {"/usr/bin/promtool", "check", "metrics", NULL};
    cq_run_t r;
    cr_assert_eq(cq_test_run(argv, path, 60, &r), 0);
    cr_assert_eq(r.status, 0, "promtool check metrics (%s): %s %s", what, r.out,
                 r.err);
    cr_assert(r.out[0] == '\0' && r.err[0] == '\0',
              "promtool has remarks on %s: %s %s", what, r.out, r.err);
    cq_run_free(&r);
}

//  Sums over the lines of text whose sample name starts with prefix.
static double
s_sum(const char *text, const char *prefix)
{
    double sum = 0;
    size_t n = strlen(prefix);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
        if (strncmp(p, prefix, n) == 0) {
            const char *sp = strchr(p, ' ');
            if (sp)
                sum += strtod(sp + 1, NULL);
        }
    return sum;
}

//  Once both workers' endpoints have published the whole batch (401
//  claims: the 400 and the form's page): decisions by payer and decision
//  add up to what was decided, every decided claim's reason codes are
//  counted, ledger commits were timed, the page was read and timed; and
//  both texts pass promtool.
static void
s_worker_totals(const char *dir, const char *wurl, const char *w1url)
{
    char *a = NULL, *b = NULL;
    for (int i = 0; i < 600; i++) {
        free(a);
        free(b);
        cr_assert_eq(cq_test_http_get(wurl, "/metrics", &a), 200);
        cr_assert_eq(cq_test_http_get(w1url, "/metrics", &b), 200);
        if (cq_test_prom_value(a, "claimq_worker_decided_total") +
                    cq_test_prom_value(b, "claimq_worker_decided_total") ==
                401 &&
            s_sum(a, "claimq_worker_ocr_pages_total") +
                    s_sum(b, "claimq_worker_ocr_pages_total") ==
                1)
            break;
        usleep(100 * 1000);
    }
    double decided = cq_test_prom_value(a, "claimq_worker_decided_total") +
                     cq_test_prom_value(b, "claimq_worker_decided_total");
    cr_assert_eq(decided, 401);
    double by_payer = s_sum(a, "claimq_worker_decisions_total{payer=") +
                      s_sum(b, "claimq_worker_decisions_total{payer=");
    cr_assert_eq(by_payer, decided, "decisions by payer %g, decided %g",
                 by_payer, decided);
    cr_assert_gt(s_sum(a, "claimq_worker_carc_total{payer=") +
                     s_sum(b, "claimq_worker_carc_total{payer="),
                 0);
    cr_assert_gt(
        cq_test_prom_value(a, "claimq_worker_ledger_commit_seconds_count") +
            cq_test_prom_value(b, "claimq_worker_ledger_commit_seconds_count"),
        0);
    cr_assert_eq(s_sum(a, "claimq_worker_ocr_pages_total") +
                     s_sum(b, "claimq_worker_ocr_pages_total"),
                 1);
    cr_assert_eq(
        cq_test_prom_value(a, "claimq_worker_ocr_page_seconds_count") +
            cq_test_prom_value(b, "claimq_worker_ocr_page_seconds_count"),
        1);
    s_promtool(dir, a, "worker-after");
    s_promtool(dir, b, "w1-after");
    free(a);
    free(b);
}

Test(metrics, broker_and_worker_endpoints_lint_and_move, .timeout = 300)
{
    char dir[1024];
    const char *tmp = cq_test_tmpdir();
    cr_assert_not_null(tmp);
    snprintf(dir, sizeof dir, "%s", tmp);
    cr_assert_eq(cq_proc_gen(dir, 400, 100), 0);
    //  and one scanned form, for the OCR metrics
    char forms[1100];
    snprintf(forms, sizeof forms, "%s/paper", dir);
    cq_run_t r;
    int st = cq_proc_claimq(&r, 120, "gen", "--out", forms, "--claims", "2",
                            "--members", "2", "--paper", "1", NULL);
    cr_assert_eq(st, 0, "%s", r.err);
    cq_run_free(&r);
    char journal[1100];
    snprintf(journal, sizeof journal, "%s/journal", dir);
    const char *extra[] = {"--metrics", "127.0.0.1:0", "--journal", journal,
                           NULL};
    //  the cluster's worker gets an endpoint too, through its environment
    setenv("CLAIMQ_WORKER_METRICS", "127.0.0.1:0", 1);
    st = cq_proc_cluster(&s_cl, dir, 1, 500, extra);
    unsetenv("CLAIMQ_WORKER_METRICS");
    cr_assert_eq(st, 0);
    char burl[256], wurl[256], w1url[256];
    cr_assert(
        cq_child_ready_get(&s_cl.workers[0], "metrics", w1url, sizeof w1url),
        "no metrics= in w1's READY: %s", s_cl.workers[0].ready);
    cr_assert(cq_child_ready_get(&s_cl.broker, "metrics", burl, sizeof burl),
              "no metrics= in the broker's READY: %s", s_cl.broker.ready);

    //  a second worker, with its own endpoint (its shards: some of the claims)
    char ledger[1200], plan[1200], members[1200];
    snprintf(ledger, sizeof ledger, "%s/wm.ledger", dir);
    snprintf(plan, sizeof plan, "%s/plan.json", dir);
    snprintf(members, sizeof members, "%s/members.jsonl", dir);
    char *argv[] = {(char *)cq_test_bin("claimq-worker"),
                    "--broker",
                    s_cl.backend,
                    "--node-id",
                    "wm",
                    "--ledger",
                    ledger,
                    "--plan",
                    plan,
                    "--members",
                    members,
                    "--metrics",
                    "127.0.0.1:0",
                    NULL};
    cr_assert_eq(cq_child_spawn(&s_w, argv, -1), 0);
    cr_assert_eq(cq_child_wait_ready(&s_w, 60000), 0);
    cr_assert(cq_child_ready_get(&s_w, "metrics", wurl, sizeof wurl),
              "no metrics= in the worker's READY: %s", s_w.ready);

    char *text;
    cr_assert_eq(cq_test_http_get(burl, "/healthz", &text), 200);
    cr_assert_str_eq(text, "ok\n");
    free(text);
    cr_assert_eq(cq_test_http_get(burl, "/secrets", &text), 404);
    free(text);
    cr_assert_eq(cq_test_http_get(burl, "/metrics", &text), 200);
    s_promtool(dir, text, "broker");
    cr_assert_eq(
        cq_test_prom_value(
            text, "claimq_broker_claims_answered_total{decision=\"accept\"}"),
        0);
    free(text);
    cr_assert_eq(cq_test_http_get(wurl, "/metrics", &text), 200);
    s_promtool(dir, text, "worker");
    cr_assert_eq(cq_test_prom_value(text, "claimq_worker_decided_total"), 0);
    cr_assert_gt(cq_test_prom_value(text, "process_resident_memory_bytes"), 0);
    free(text);

    //  a batch runs; the values follow (published once a second: waited
    //  for, not slept on)
    char in[1100], form[1200];
    snprintf(in, sizeof in, "%s/claims.jsonl", dir);
    snprintf(form, sizeof form, "%s/forms/form-000001.png", forms);
    st = cq_proc_claimq(&r, 120, "submit", "--broker", s_cl.frontend, "--wait",
                        in, form, NULL);
    cr_assert_eq(st, 0, "%s", r.err);
    cq_run_free(&r);
    double accepted = 0, decided = 0, msgs = 0;
    for (int i = 0; i < 300 && (accepted <= 0 || decided <= 0); i++) {
        usleep(100 * 1000);
        cr_assert_eq(cq_test_http_get(burl, "/metrics", &text), 200);
        accepted = cq_test_prom_value(
            text, "claimq_broker_claims_answered_total{decision=\"accept\"}");
        msgs = cq_test_prom_value(text, "claimq_broker_msgs_in_total");
        free(text);
        cr_assert_eq(cq_test_http_get(wurl, "/metrics", &text), 200);
        decided = cq_test_prom_value(text, "claimq_worker_decided_total");
        free(text);
    }
    cr_assert_gt(accepted, 0, "broker accept counter did not move");
    cr_assert_gt(msgs, 0);
    cr_assert_gt(decided, 0, "the worker's decided counter did not move");
    cr_assert_eq(cq_test_http_get(burl, "/metrics", &text), 200);
    s_promtool(dir, text, "broker-after");
    cr_assert_gt(
        cq_test_prom_value(text, "claimq_broker_journal_commit_seconds_count"),
        0);
    s_worker_totals(dir, wurl, w1url);
    //  every metric the Grafana dashboard plots exists
    char *wtext;
    cr_assert_eq(cq_test_http_get(wurl, "/metrics", &wtext), 200);
    size_t n;
    char *dash = cq_test_read(cq_test_src("deploy/grafana/claimq.json"), &n);
    cr_assert_not_null(dash);
    int names = 0;
    for (char *p = dash; *p; p++) {
        if (strncmp(p, "claimq_", 7) != 0 && strncmp(p, "process_", 8) != 0)
            continue;
        if (p > dash && (p[-1] == '_' || (p[-1] >= 'a' && p[-1] <= 'z')))
            continue;
        char name[128];
        size_t k = 0;
        while (k + 1 < sizeof name &&
               ((p[k] >= 'a' && p[k] <= 'z') || p[k] == '_'))
            name[k] = p[k], k++;
        name[k] = '\0';
        p += k - 1;
        if (strcmp(name, "claimq_") == 0) // ("claimq-overview" etc.)
            continue;
        //  a histogram's series are NAME_bucket, _sum, _count
        static const char *const parts[] = {"_bucket", "_sum", "_count"};
        for (size_t k2 = 0; k2 < 3; k2++) {
            size_t nl = strlen(name), pl = strlen(parts[k2]);
            if (nl > pl && strcmp(name + nl - pl, parts[k2]) == 0 &&
                strstr(name, "_seconds_")) {
                name[nl - pl] = '\0';
                break;
            }
        }
        char head[160];
        snprintf(head, sizeof head, "# TYPE %s ", name);
        cr_assert(strstr(text, head) || strstr(wtext, head),
                  "the dashboard plots %s, which no endpoint serves", name);
        names++;
    }
    cr_assert_gt(names, 10);
    free(dash);
    free(wtext);
    free(text);
    cr_assert_eq(cq_child_stop(&s_w, SIGTERM, 30000), 0);
}
