//  it_cli_guides.c: issue 9, "a CLI that guides" and the insurer's path,
//  tried as a new user would, on real processes:
//  - `claimq up` writes DIR/endpoints and the README's own `submit`,
//    `status`, `results`, `workers` lines find it without --broker;
//    --broker > $CLAIMQ_BROKER > the endpoints file; "unreachable" says
//    the address, where it came from and how to set it; a URL without a
//    scheme is a usage error; a client at the backend is told so (3);
//  - Ctrl-C during `submit` leaves --output whole, says how to resume,
//    exits 130; the printed command completes the batch, each claim once;
//    another --chunk adds no claim and its --output still holds every
//    decision; no workers is said, SIGTERM is Ctrl-C too;
//  - --received-date, a future one refused (5), claims reusing a decided
//    key with other contents are told;
//  - `claimq batches`, and `status` / `workers` / `batches`: JSON when
//    piped, a table on a terminal;
//  - logs carry the node id; --log-format json.
//  (posix_openpt and friends)
#define _XOPEN_SOURCE 700

#include "cq_proc.h"
#include "date.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define S_NOBODY "tcp://127.0.0.1:1" // a port nothing listens on

static void
s_dir(char *dir, size_t n)
{
    //  (cq_test_tmpdir's buffer is reused by later cq_test_* calls)
    const char *tmp = cq_test_tmpdir();
    cr_assert_not_null(tmp);
    snprintf(dir, n, "%s", tmp);
}

//  The absolute path of a built program (tests below change directory).
static void
s_bin(const char *name, char *out)
{
    cr_assert_not_null(realpath(cq_test_bin(name), out), "%s", name);
}

static json_t *
s_json(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    cr_assert_not_null(j, "not JSON (%s): %s", e.text, text);
    return j;
}

//  Polls (bounded) until the file holds what.
static void
s_wait_text(const char *path, const char *what, int timeout_ms)
{
    for (int i = 0; i < timeout_ms / 20; i++) {
        char *t = cq_test_read(path, NULL);
        bool found = t && strstr(t, what);
        free(t);
        if (found)
            return;
        usleep(20000);
    }
    char *t = cq_test_read(path, NULL);
    cr_assert_fail("%s: no \"%s\" in: %s", path, what, t ? t : "");
}

//  Runs argv on a pseudo-terminal (stdout and stderr); its output.
static char *
s_run_tty(char *const argv[])
{
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    cr_assert_geq(m, 0);
    cr_assert_eq(grantpt(m), 0);
    cr_assert_eq(unlockpt(m), 0);
    char *name = ptsname(m);
    cr_assert_not_null(name);
    char slave[256];
    snprintf(slave, sizeof slave, "%s", name);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        setsid();
        int s = open(slave, O_RDWR);
        if (s < 0)
            _exit(127);
        dup2(s, 1);
        dup2(s, 2);
        close(m);
        execv(argv[0], argv);
        _exit(127);
    }
    char *out = calloc(1, 1 << 20);
    size_t len = 0;
    for (int i = 0; i < 3000; i++) {
        struct pollfd p = {m, POLLIN, 0};
        if (poll(&p, 1, 10) <= 0) {
            if (waitpid(pid, NULL, WNOHANG) == pid)
                pid = 0;
            if (pid == 0 && poll(&p, 1, 0) <= 0)
                break;
            continue;
        }
        ssize_t k = read(m, out + len, (1 << 20) - 1 - len);
        if (k <= 0)
            break; // EIO: the child closed the terminal
        len += (size_t)k;
    }
    if (pid > 0)
        waitpid(pid, NULL, 0);
    close(m);
    return out;
}

//  ---- 1. endpoints: `claimq up` is found; addresses checked --------------

static cq_child_t s_up;

static void
s_up_stop(void)
{
    cq_child_stop(&s_up, SIGKILL, 5000);
    cq_proc_cleanup();
}

//  The README's lines, as written, after `claimq up` in the same
//  directory: no --broker anywhere.
Test(cli_guides, up_is_found_by_the_readme_lines, .timeout = 180,
     .fini = s_up_stop)
{
    char dir[1024], claimq[PATH_MAX];
    s_dir(dir, sizeof dir);
    s_bin("claimq", claimq);
    setenv("CQ_BINARY_DIR", dirname(strdup(claimq)), 1);
    unsetenv("CLAIMQ_BROKER");
    unsetenv("CLAIMQ_DIR");
    cr_assert_eq(cq_proc_gen(dir, 300, 40), 0);
    cr_assert_eq(chdir(dir), 0);
    char *argv[] = {claimq,      "up",        "--workers",     "1", "--plan",
                    "plan.json", "--members", "members.jsonl", NULL};
    int fd = open("up.log", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    cr_assert_geq(fd, 0);
    cr_assert_eq(cq_child_spawn(&s_up, argv, fd), 0);
    close(fd);
    cr_assert_eq(cq_child_wait_ready(&s_up, 60000), 0, "no READY line");
    char fe[256], be[256];
    cr_assert(cq_child_ready_get(&s_up, "frontend", fe, sizeof fe));
    cr_assert(cq_child_ready_get(&s_up, "backend", be, sizeof be));
    //  its endpoints file, in its default --dir
    char *ep = cq_test_read("claimq-data/endpoints", NULL);
    cr_assert_not_null(ep, "no claimq-data/endpoints");
    char want[600];
    snprintf(want, sizeof want, "\nfrontend=%s\nbackend=%s\npid=%d\n", fe, be,
             (int)s_up.pid);
    cr_assert(strstr(ep, want), "%s", ep);
    free(ep);

    cq_run_t r;
    int st = cq_proc_claimq(&r, 120, "submit", "--batch", "readme", "--wait",
                            "--output", "out.jsonl", "--quiet", "claims.jsonl",
                            NULL);
    cr_assert_eq(st, 0, "submit: %s", r.err);
    cq_run_free(&r);
    st = cq_proc_claimq(&r, 20, "status", "readme", NULL);
    cr_assert_eq(st, 0, "status: %s", r.err);
    json_t *j = s_json(r.out); // (stdout is a pipe: JSON)
    cr_assert(json_is_true(json_object_get(j, "complete")), "%s", r.out);
    cr_assert(json_is_true(json_object_get(j, "sealed")), "%s", r.out);
    cr_assert_eq(json_integer_value(json_object_get(j, "claims")), 300);
    json_decref(j);
    cq_run_free(&r);
    st = cq_proc_claimq(&r, 20, "results", "--format", "835", "readme", NULL);
    cr_assert_eq(st, 0, "results: %s", r.err);
    cr_assert(strstr(r.out, "CLP*"), "%s", r.out);
    cq_run_free(&r);
    st = cq_proc_claimq(&r, 20, "workers", NULL);
    cr_assert_eq(st, 0, "workers: %s", r.err);
    cr_assert(strstr(r.out, "\"node\": \"w1\", \"state\": \"live\""), "%s",
              r.out);
    cq_run_free(&r);
    st = cq_proc_claimq(&r, 20, "shards", NULL);
    cr_assert_eq(st, 0, "shards: %s", r.err);
    cr_assert(strstr(r.out, "\"owner\":\"w1\""), "%s", r.out);
    cq_run_free(&r);
    st = cq_proc_claimq(&r, 20, "top", "--count", "1", NULL);
    cr_assert_eq(st, 0, "top: %s", r.err);
    cr_assert(strstr(r.out, "w1"), "%s", r.out);
    cq_run_free(&r);

    //  explicit wins: $CLAIMQ_BROKER over the file, --broker over both
    setenv("CLAIMQ_BROKER", S_NOBODY, 1);
    st = cq_proc_claimq(&r, 20, "status", "--timeout", "1", "readme", NULL);
    cr_assert_eq(st, 4, "exit %d: %s", st, r.err);
    cr_assert(strstr(r.err, "unreachable at " S_NOBODY " ($CLAIMQ_BROKER)"),
              "%s", r.err);
    cr_assert(strstr(r.err, "--broker") && strstr(r.err, "CLAIMQ_BROKER=") &&
                  strstr(r.err, "claimq-data/endpoints"),
              "the ways to set it: %s", r.err);
    cq_run_free(&r);
    st = cq_proc_claimq(&r, 20, "status", "--broker", fe, "readme", NULL);
    cr_assert_eq(st, 0, "%s", r.err);
    cq_run_free(&r);
    unsetenv("CLAIMQ_BROKER");

    //  another directory's file, through CLAIMQ_DIR; "unreachable" names it
    cr_assert_eq(mkdir("other", 0755), 0);
    const char *fake = "# not running\nfrontend=" S_NOBODY "\n";
    cr_assert_eq(cq_test_write("other/endpoints", fake, strlen(fake)), 0);
    setenv("CLAIMQ_DIR", "other", 1);
    st = cq_proc_claimq(&r, 20, "workers", "--timeout", "1", NULL);
    cr_assert_eq(st, 4, "exit %d: %s", st, r.err);
    cr_assert(strstr(r.err, "unreachable at " S_NOBODY
                            " (claimq up's endpoints file other/endpoints)"),
              "%s", r.err);
    cq_run_free(&r);
    unsetenv("CLAIMQ_DIR");

    //  stopped: exit 0, and its file is gone
    cr_assert_eq(cq_child_stop(&s_up, SIGTERM, 60000), 0, "claimq up: exit");
    cr_assert_neq(access("claimq-data/endpoints", F_OK), 0,
                  "endpoints file left behind");
}

Test(cli_guides, urls_without_a_scheme_are_usage_errors, .timeout = 60)
{
    unsetenv("CLAIMQ_BROKER");
    cq_run_t r;
    const char *verbs[][2] = {{"status", "b1"},  {"results", "b1"},
                              {"workers", NULL}, {"batches", NULL},
                              {"shards", NULL},  {"top", NULL},
                              {"drain", "w1"},   {"submit", "/dev/null"}};
    for (size_t i = 0; i < sizeof verbs / sizeof *verbs; i++) {
        int st = cq_proc_claimq(&r, 20, verbs[i][0], "--broker",
                                "127.0.0.1:5555", verbs[i][1], NULL);
        cr_assert_eq(st, 2, "%s: exit %d: %s", verbs[i][0], st, r.err);
        cr_assert(strstr(r.err, "--broker") && strstr(r.err, "tcp://") &&
                      strstr(r.err, "'127.0.0.1:5555'") &&
                      strstr(r.err, "Try 'claimq "),
                  "%s: %s", verbs[i][0], r.err);
        cq_run_free(&r);
    }
    setenv("CLAIMQ_BROKER", "localhost:5555", 1);
    int st = cq_proc_claimq(&r, 20, "workers", NULL);
    cr_assert_eq(st, 2, "exit %d: %s", st, r.err);
    cr_assert(strstr(r.err, "CLAIMQ_BROKER") &&
                  strstr(r.err, "'localhost:5555'"),
              "%s", r.err);
    cq_run_free(&r);
    unsetenv("CLAIMQ_BROKER");
}

static cq_child_t s_broker;

static void
s_broker_stop(void)
{
    cq_child_stop(&s_broker, SIGKILL, 5000);
}

//  A broker alone (no workers); its endpoints into fe / be.
static void
s_broker_alone(char *fe, char *be)
{
    const char *argv[] = {cq_test_bin("claimq-broker"), "--frontend",
                          "tcp://127.0.0.1:*",          "--backend",
                          "tcp://127.0.0.1:*",          NULL};
    cr_assert_eq(cq_child_spawn(&s_broker, (char *const *)argv, -1), 0);
    cr_assert_eq(cq_child_wait_ready(&s_broker, 10000), 0);
    cr_assert(cq_child_ready_get(&s_broker, "frontend", fe, 256));
    cr_assert(cq_child_ready_get(&s_broker, "backend", be, 256));
}

//  Every verb that talks to the broker, pointed at its worker endpoint:
//  the broker's own words, exit 3, at once (not after a timeout).
Test(cli_guides, a_client_at_the_backend_is_told_so, .timeout = 60,
     .fini = s_broker_stop)
{
    char fe[256], be[256], dir[1024], doc[1100];
    s_broker_alone(fe, be);
    s_dir(dir, sizeof dir);
    cr_assert_eq(cq_proc_gen(dir, 5, 5), 0);
    snprintf(doc, sizeof doc, "%s/claims.jsonl", dir);
    const char *verbs[][3] = {
        {"status", "b1", NULL},       {"results", "b1", NULL},
        {"workers", NULL, NULL},      {"batches", NULL, NULL},
        {"quarantine", "list", NULL}, {"submit", "--wait", doc}};
    for (size_t i = 0; i < sizeof verbs / sizeof *verbs; i++) {
        cq_run_t r;
        int st = cq_proc_claimq(&r, 30, verbs[i][0], "--broker", be,
                                verbs[i][1], verbs[i][2], NULL);
        cr_assert_eq(st, 3, "%s: exit %d: %s", verbs[i][0], st, r.err);
        cr_assert(strstr(r.err, "this is the broker's worker endpoint"),
                  "%s: %s", verbs[i][0], r.err);
        cr_assert(strstr(r.err, be), "%s: %s", verbs[i][0], r.err);
        cq_run_free(&r);
    }
}

//  ---- 2. submit: Ctrl-C, resume, duplicates, no workers --------------------

#define S_CLAIMS 400

//  Ctrl-C at a certain point (the first document's decisions are in
//  --output, the worker is slow): whole lines, exit 130, the resume
//  command; it completes the batch, each claim once; a run with another
//  --chunk (every key already in the batch) writes every decision once.
Test(cli_guides, ctrl_c_then_resume, .timeout = 300, .fini = cq_proc_cleanup)
{
    char dir[1024];
    s_dir(dir, sizeof dir);
    cr_assert_eq(cq_proc_gen(dir, S_CLAIMS, 60), 0);
    char claims[1100], out[1100], out37[1100], log[1100];
    snprintf(claims, sizeof claims, "%s/claims.jsonl", dir);
    snprintf(out, sizeof out, "%s/out.jsonl", dir);
    snprintf(out37, sizeof out37, "%s/out37.jsonl", dir);
    snprintf(log, sizeof log, "%s/submit.log", dir);
    //  one worker, 10 ms a claim: 20 documents of 20 claims take 4 s
    setenv("CLAIMQ_TEST_FAULTS", "1", 1);
    setenv("CLAIMQ_FAULT", "delay-claim-us=10000", 1);
    static cq_cluster_t cl;
    cr_assert_eq(cq_proc_cluster(&cl, dir, 1, 1000, NULL), 0);
    unsetenv("CLAIMQ_FAULT");
    unsetenv("CLAIMQ_TEST_FAULTS");

    char *argv[] = {(char *)cq_test_bin("claimq"),
                    "submit",
                    "--broker",
                    cl.frontend,
                    "--batch",
                    "intr",
                    "--chunk",
                    "20",
                    "--window",
                    "2",
                    "--wait",
                    "--quiet",
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
    cr_assert(strstr(text, "interrupted: batch intr is open (not sealed)") &&
                  strstr(text, "of 20 documents received"),
              "%s", text);
    size_t lines, ids = cq_proc_distinct_ids(out, &lines); // whole lines only
    cr_assert_geq(lines, 20);
    cr_assert_lt(lines, S_CLAIMS, "it finished before the interrupt");
    cr_assert_eq(ids, lines);
    //  the broker: open, not complete; `claimq batches` says so
    cr_assert_eq(cq_proc_status_field(cl.frontend, "intr", "sealed"), 0);
    cr_assert_eq(cq_proc_status_field(cl.frontend, "intr", "complete"), 0);
    cr_assert_lt(cq_proc_status_field(cl.frontend, "intr", "documents"), 20);
    cq_run_t r;
    st = cq_proc_claimq(&r, 20, "batches", "--broker", cl.frontend, NULL);
    cr_assert_eq(st, 0, "%s", r.err);
    cr_assert(strstr(r.out, "\"batch_id\": \"intr\"") &&
                  strstr(r.out, "\"state\": \"open\""),
              "%s", r.out);
    cq_run_free(&r);

    //  the printed command, as printed
    char *rargv[64];
    cr_assert_geq(cq_proc_resume_argv(text, rargv, 64), 3);
    cr_assert_str_eq(rargv[0], cq_test_bin("claimq"));
    cr_assert(cq_test_run(rargv, NULL, 120, &r) == 0);
    cr_assert_eq(r.status, 0, "resume: %s", r.err);
    cq_run_free(&r);
    free(text);
    cr_assert_eq(cq_proc_status_field(cl.frontend, "intr", "claims"), S_CLAIMS);
    cr_assert_eq(cq_proc_status_field(cl.frontend, "intr", "decided"),
                 S_CLAIMS);
    cr_assert_eq(cq_proc_status_field(cl.frontend, "intr", "documents"), 20);
    cr_assert_eq(cq_proc_status_field(cl.frontend, "intr", "complete"), 1);
    ids = cq_proc_distinct_ids(out, &lines);
    cr_assert_eq(lines, S_CLAIMS);
    cr_assert_eq(ids, S_CLAIMS);

    //  other chunks: every key is the batch's already (no decision of
    //  their own is pushed): --output still holds each decision once
    st = cq_proc_claimq(&r, 120, "submit", "--broker", cl.frontend, "--batch",
                        "intr", "--chunk", "37", "--wait", "--output", out37,
                        claims, NULL);
    cr_assert_eq(st, 0, "%s", r.err);
    cr_assert(strstr(r.err, "400 claims decided") &&
                  strstr(r.err, "400 claims repeat a key the batch already "
                                "holds"),
              "%s", r.err);
    cq_run_free(&r);
    ids = cq_proc_distinct_ids(out37, &lines);
    cr_assert_eq(lines, S_CLAIMS);
    cr_assert_eq(ids, S_CLAIMS);
    cr_assert_eq(cq_proc_status_field(cl.frontend, "intr", "claims"), S_CLAIMS);
    cr_assert_eq(cq_cluster_stop(&cl), 0);
}

//  A broker without workers: said once, --timeout still ends it (4); and
//  SIGTERM is an interrupt too (130, the resume command).
Test(cli_guides, no_workers_is_said, .timeout = 120, .fini = s_broker_stop)
{
    char fe[256], be[256], dir[1024], claims[1100], log[1100];
    s_broker_alone(fe, be);
    s_dir(dir, sizeof dir);
    cr_assert_eq(cq_proc_gen(dir, 50, 10), 0);
    snprintf(claims, sizeof claims, "%s/claims.jsonl", dir);
    snprintf(log, sizeof log, "%s/submit.log", dir);
    cq_run_t r;
    int st = cq_proc_claimq(&r, 60, "submit", "--broker", fe, "--wait",
                            "--quiet", "--timeout", "8", claims, NULL);
    cr_assert_eq(st, 4, "exit %d: %s", st, r.err);
    char want[512];
    snprintf(want, sizeof want,
             "no workers are registered with the broker at %s: the batch "
             "waits until one is (see `claimq workers`)",
             fe);
    cr_assert(strstr(r.err, want), "%s", r.err);
    cr_assert_eq(strstr(strstr(r.err, want) + 1, want), NULL, "said twice");
    cq_run_free(&r);

    char *argv[] = {(char *)cq_test_bin("claimq"),
                    "submit",
                    "--broker",
                    fe,
                    "--wait",
                    "--quiet",
                    claims,
                    NULL};
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    cr_assert_geq(fd, 0);
    cq_child_t sub;
    cr_assert_eq(cq_child_spawn(&sub, argv, fd), 0);
    close(fd);
    s_wait_text(log, "no workers are registered", 30000);
    kill(sub.pid, SIGTERM);
    st = cq_proc_wait_exit(&sub, 20000);
    char *text = cq_test_read(log, NULL);
    cr_assert_eq(st, 130, "exit %d: %s", st, text);
    //  (no --batch given: the resume command names the one made up)
    cr_assert(strstr(text, "1 of 1 documents received") &&
                  strstr(text, " submit --batch b-"),
              "%s", text);
    free(text);
}

//  --received-date: kept and said to be the submitter's; malformed is a
//  usage error, a future one is refused by the broker (5). Claims that
//  reuse a decided key with other contents are told.
Test(cli_guides, received_date_and_conflicts, .timeout = 180,
     .fini = cq_proc_cleanup)
{
    char dir[1024];
    s_dir(dir, sizeof dir);
    cr_assert_eq(cq_proc_gen(dir, 20, 10), 0);
    static cq_cluster_t cl;
    cr_assert_eq(cq_proc_cluster(&cl, dir, 1, 1000, NULL), 0);
    char claims[1100], changed[1100], day[CQ_DATE_STRLEN],
        future[CQ_DATE_STRLEN];
    snprintf(claims, sizeof claims, "%s/claims.jsonl", dir);
    snprintf(changed, sizeof changed, "%s/changed.jsonl", dir);
    cq_date_format(cq_date_today() - 40, day);
    cq_date_format(cq_date_today() + 30, future);
    cq_run_t r;
    int st = cq_proc_claimq(&r, 60, "submit", "--broker", cl.frontend,
                            "--batch", "back", "--received-date", day, "--wait",
                            "--quiet", claims, NULL);
    cr_assert_eq(st, 0, "%s", r.err);
    cq_run_free(&r);
    st =
        cq_proc_claimq(&r, 20, "status", "--broker", cl.frontend, "back", NULL);
    json_t *j = s_json(r.out);
    cr_assert_str_eq(json_string_value(json_object_get(j, "received_date")),
                     day);
    cr_assert(json_is_true(json_object_get(j, "received_date_set")));
    cr_assert_eq(json_integer_value(json_object_get(j, "workers_live")), 1);
    json_decref(j);
    cq_run_free(&r);

    st = cq_proc_claimq(&r, 20, "submit", "--broker", cl.frontend,
                        "--received-date", "2026-02-30", claims, NULL);
    cr_assert_eq(st, 2, "exit %d: %s", st, r.err);
    cr_assert(strstr(r.err, "--received-date") && strstr(r.err, "2026-02-30"),
              "%s", r.err);
    cq_run_free(&r);
    st = cq_proc_claimq(&r, 60, "submit", "--broker", cl.frontend, "--batch",
                        "future", "--received-date", future, "--quiet", claims,
                        NULL);
    cr_assert_eq(st, 5, "exit %d: %s", st, r.err);
    cr_assert(strstr(r.err, "in the future"), "%s", r.err);
    cq_run_free(&r);

    //  the first claim again, another provider name: its key's decision
    char *text = cq_test_read(claims, NULL);
    cr_assert_not_null(text);
    *strchr(text, '\n') = '\0';
    char *name = strstr(text, "\"name\": \"");
    cr_assert_not_null(name, "%s", text);
    name[9] = name[9] == 'Z' ? 'Y' : 'Z';
    strcat(text, "\n");
    cr_assert_eq(cq_test_write(changed, text, strlen(text)), 0);
    free(text);
    st = cq_proc_claimq(&r, 60, "submit", "--broker", cl.frontend, "--batch",
                        "fix", "--wait", "--quiet", changed, NULL);
    cr_assert_eq(st, 0, "exit %d: %s", st, r.err);
    cr_assert(strstr(r.err,
                     "1 claims reuse a claim key already decided with other "
                     "contents: they carry that decision; send corrections "
                     "as replacements (frequency 7) naming the original"),
              "%s", r.err);
    cq_run_free(&r);
    cr_assert_eq(cq_cluster_stop(&cl), 0);
}

//  ---- 3. admin views: JSON for scripts, a table for people --------------

Test(cli_guides, batches_and_the_views, .timeout = 180, .fini = cq_proc_cleanup)
{
    char dir[1024];
    s_dir(dir, sizeof dir);
    cr_assert_eq(cq_proc_gen(dir, 50, 10), 0);
    static cq_cluster_t cl;
    cr_assert_eq(cq_proc_cluster(&cl, dir, 1, 1000, NULL), 0);
    char claims[1100];
    snprintf(claims, sizeof claims, "%s/claims.jsonl", dir);
    cq_run_t r;
    const char *names[] = {"view-1", "view-2"};
    for (int i = 0; i < 2; i++) {
        int st =
            cq_proc_claimq(&r, 60, "submit", "--broker", cl.frontend, "--batch",
                           names[i], "--wait", "--quiet", claims, NULL);
        cr_assert_eq(st, 0, "%s", r.err);
        cq_run_free(&r);
    }
    //  piped: JSON, built by a JSON library (a batch id is just a string)
    int st = cq_proc_claimq(&r, 20, "batches", "--broker", cl.frontend, NULL);
    cr_assert_eq(st, 0, "%s", r.err);
    json_t *j = s_json(r.out);
    cr_assert_eq(json_integer_value(json_object_get(j, "total")), 2);
    json_t *a = json_object_get(j, "batches");
    cr_assert_eq(json_array_size(a), 2);
    for (size_t i = 0; i < 2; i++) {
        json_t *b = json_array_get(a, i);
        cr_assert_str_eq(json_string_value(json_object_get(b, "batch_id")),
                         names[i]);
        cr_assert_str_eq(json_string_value(json_object_get(b, "state")),
                         "complete");
        cr_assert_eq(json_integer_value(json_object_get(b, "claims")), 50);
        cr_assert(json_is_true(json_object_get(b, "sealed")));
    }
    json_decref(j);
    cq_run_free(&r);
    //  --since: a duration, a date; nothing from the future
    st = cq_proc_claimq(&r, 20, "batches", "--broker", cl.frontend, "--since",
                        "1h", NULL);
    cr_assert_eq(st, 0, "%s", r.err);
    cr_assert(strstr(r.out, "\"total\": 2"), "%s", r.out);
    cq_run_free(&r);
    char tomorrow[CQ_DATE_STRLEN];
    cq_date_format(cq_date_today() + 1, tomorrow);
    st = cq_proc_claimq(&r, 20, "batches", "--broker", cl.frontend, "--since",
                        tomorrow, NULL);
    cr_assert_eq(st, 0, "%s", r.err);
    cr_assert(strstr(r.out, "\"total\": 0"), "%s", r.out);
    cq_run_free(&r);
    st = cq_proc_claimq(&r, 20, "batches", "--broker", cl.frontend, "--since",
                        "yesterday", NULL);
    cr_assert_eq(st, 2, "%s", r.err);
    cr_assert(strstr(r.err, "--since") && strstr(r.err, "'yesterday'"), "%s",
              r.err);
    cq_run_free(&r);

    //  on a terminal: tables; --json still JSON
    char *status[] = {(char *)cq_test_bin("claimq"),
                      "status",
                      "--broker",
                      cl.frontend,
                      "view-1",
                      NULL};
    char *t = s_run_tty(status);
    cr_assert(strstr(t, "state       complete") &&
                  strstr(t, "workers     1 live") && !strchr(t, '{'),
              "%s", t);
    free(t);
    char *workers[] = {(char *)cq_test_bin("claimq"), "workers", "--broker",
                       cl.frontend, NULL};
    t = s_run_tty(workers);
    cr_assert(strstr(t, "NODE") && strstr(t, "w1") && !strchr(t, '{'), "%s", t);
    free(t);
    char *batches[] = {(char *)cq_test_bin("claimq"), "batches", "--broker",
                       cl.frontend, NULL};
    t = s_run_tty(batches);
    cr_assert(strstr(t, "BATCH") && strstr(t, "view-2") &&
                  strstr(t, "complete") && !strchr(t, '{'),
              "%s", t);
    free(t);
    char *json[] = {(char *)cq_test_bin("claimq"),
                    "batches",
                    "--json",
                    "--broker",
                    cl.frontend,
                    NULL};
    t = s_run_tty(json);
    cr_assert(strstr(t, "\"batch_id\": \"view-1\""), "%s", t);
    free(t);
    cr_assert_eq(cq_cluster_stop(&cl), 0);
}

//  ---- 4. logs: the node id; --log-format json ---------------------------

Test(cli_guides, logs_carry_the_node, .timeout = 120, .fini = s_up_stop)
{
    char dir[1024];
    s_dir(dir, sizeof dir);
    cr_assert_eq(cq_proc_gen(dir, 20, 10), 0);
    char plan[1100], members[1100], run[1100], log[1100];
    snprintf(plan, sizeof plan, "%s/plan.json", dir);
    snprintf(members, sizeof members, "%s/members.jsonl", dir);
    snprintf(run, sizeof run, "%s/run", dir);
    snprintf(log, sizeof log, "%s/up.log", dir);
    char *argv[] = {(char *)cq_test_bin("claimq"),
                    "up",
                    "--workers",
                    "2",
                    "--log-format",
                    "json",
                    "--plan",
                    plan,
                    "--members",
                    members,
                    "--dir",
                    run,
                    NULL};
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    cr_assert_geq(fd, 0);
    cr_assert_eq(cq_child_spawn(&s_up, argv, fd), 0);
    close(fd);
    cr_assert_eq(cq_child_wait_ready(&s_up, 60000), 0, "no READY line");
    cr_assert_eq(cq_child_stop(&s_up, SIGTERM, 60000), 0);
    //  every line one JSON object; the broker's and each worker's named
    size_t len;
    char *text = cq_test_read(log, &len);
    cr_assert_not_null(text);
    bool seen_w1 = false, seen_w2 = false, seen_broker = false;
    for (char *p = text, *nl; *p; p = nl + 1) {
        nl = strchr(p, '\n');
        cr_assert_not_null(nl);
        *nl = '\0';
        json_t *j = s_json(p);
        const char *keys[] = {"ts", "level", "proc", "node", "pid", "msg"};
        for (size_t k = 0; k < 6; k++)
            cr_assert_not_null(json_object_get(j, keys[k]), "%s: %s", keys[k],
                               p);
        const char *node = json_string_value(json_object_get(j, "node"));
        const char *proc = json_string_value(json_object_get(j, "proc"));
        if (strcmp(node, "w1") == 0 || strcmp(node, "w2") == 0) {
            cr_assert_str_eq(proc, "claimq-worker");
            seen_w1 |= node[1] == '1';
            seen_w2 |= node[1] == '2';
        }
        if (strcmp(node, "broker") == 0) {
            cr_assert_str_eq(proc, "claimq-broker");
            seen_broker = true;
        }
        json_decref(j);
    }
    cr_assert(seen_w1 && seen_w2 && seen_broker, "%s", text);
    free(text);

    //  text (the default): the node after the pid and role
    static cq_cluster_t cl;
    cr_assert_eq(cq_proc_cluster(&cl, dir, 1, 1000, NULL), 0);
    cr_assert_eq(cq_cluster_stop(&cl), 0);
    char clog[1100];
    snprintf(clog, sizeof clog, "%s/cluster.log", dir);
    text = cq_test_read(clog, NULL);
    cr_assert(strstr(text, ":W w1 ") && strstr(text, ":B broker "), "%s", text);
    free(text);

    cq_run_t r;
    const char *bad[] = {"claimq-broker", "claimq-worker"};
    for (int i = 0; i < 2; i++) {
        const char *a[] = {cq_test_bin(bad[i]), "--log-format", "xml", NULL};
        cr_assert_eq(cq_test_run((char *const *)a, NULL, 20, &r), 0);
        cr_assert_eq(r.status, 2, "%s: %s", bad[i], r.err);
        cr_assert(strstr(r.err, "--log-format"), "%s", r.err);
        cq_run_free(&r);
    }
}
