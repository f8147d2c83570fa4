//  it_config.c: one configuration for the three programs (issue 14). A
//  broker, a worker and a client run from configuration files alone and
//  decide a batch; the command line beats the environment, which beats the
//  file, and --print-config says where each value came from, in a form the
//  program reads back; every mistake in a file is a usage error (exit 2)
//  naming the file, the line and the key; the examples in deploy/conf are
//  valid.
#include "cq_proc.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static cq_child_t s_broker, s_worker;

static void
s_fini(void)
{
    cq_child_stop(&s_worker, SIGKILL, 5000);
    cq_child_stop(&s_broker, SIGKILL, 5000);
}

static void
s_write(const char *path, const char *text)
{
    cr_assert_eq(cq_test_write(path, text, strlen(text)), 0);
}

//  Runs PROG (a program name) with the NULL-ended arguments; fills r.
static int
s_run(cq_run_t *r, const char *prog, ...)
{
    const char *argv[32];
    int n = 0;
    argv[n++] = cq_test_bin(prog);
    va_list ap;
    va_start(ap, prog);
    for (const char *a = va_arg(ap, const char *); a && n < 31;
         a = va_arg(ap, const char *))
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    cr_assert_eq(cq_test_run((char *const *)argv, NULL, 60, r), 0);
    return r->status;
}

Test(config, cluster_runs_from_files_alone, .timeout = 300, .fini = s_fini)
{
    char dir[1024]; // cq_test.c's paths are a ring of 8: copy
    const char *tmp = cq_test_tmpdir();
    cr_assert_not_null(tmp);
    snprintf(dir, sizeof dir, "%s", tmp);
    cr_assert_eq(cq_proc_gen(dir, 300, 60), 0);
    char path[1200], text[4096];

    //  the broker: endpoints and journal from its file, nothing typed
    snprintf(path, sizeof path, "%s/broker.conf", dir);
    snprintf(text, sizeof text,
             "# the broker of it_config\n"
             "frontend = tcp://127.0.0.1:*\n"
             "backend = tcp://127.0.0.1:*\n"
             "journal = %s/journal\n"
             "shards = 8\n",
             dir);
    s_write(path, text);
    char *bargv[] = {(char *)cq_test_bin("claimq-broker"), "--config", path,
                     NULL};
    cr_assert_eq(cq_child_spawn(&s_broker, bargv, -1), 0);
    cr_assert_eq(cq_child_wait_ready(&s_broker, 60000), 0);
    char fe[256], be[256];
    cr_assert(cq_child_ready_get(&s_broker, "frontend", fe, sizeof fe));
    cr_assert(cq_child_ready_get(&s_broker, "backend", be, sizeof be));
    char journal[1200];
    snprintf(journal, sizeof journal, "%s/journal/journal.db", dir);
    struct stat st;
    cr_assert_eq(stat(journal, &st), 0, "the file's journal is not used");

    //  the worker: everything from its file but the node id, which comes
    //  from the environment ($CLAIMQ_WORKER_NODE_ID)
    snprintf(path, sizeof path, "%s/worker.conf", dir);
    snprintf(text, sizeof text,
             "broker = %s\n"
             "ledger = %s/w.ledger\n"
             "plan = %s/plan.json\n"
             "members = %s/members.jsonl\n"
             "node-id = from-the-file\n",
             be, dir, dir, dir);
    s_write(path, text);
    setenv("CLAIMQ_WORKER_NODE_ID", "from-env", 1);
    char *wargv[] = {(char *)cq_test_bin("claimq-worker"), "--config", path,
                     NULL};
    cr_assert_eq(cq_child_spawn(&s_worker, wargv, -1), 0);
    unsetenv("CLAIMQ_WORKER_NODE_ID");
    cr_assert_eq(cq_child_wait_ready(&s_worker, 60000), 0);
    char node[64];
    cr_assert(cq_child_ready_get(&s_worker, "node", node, sizeof node));
    cr_assert_str_eq(node, "from-env");

    //  the client: the broker at the top, --wait in [submit]
    snprintf(path, sizeof path, "%s/claimq.conf", dir);
    snprintf(text, sizeof text,
             "broker = %s\n"
             "[submit]\n"
             "wait = true\n"
             "batch = cfg-1\n"
             "[status]\n"
             "json = true\n",
             fe);
    s_write(path, text);
    char claims[1200], out[1200];
    snprintf(claims, sizeof claims, "%s/claims.jsonl", dir);
    snprintf(out, sizeof out, "%s/decisions.jsonl", dir);
    cq_run_t r;
    cr_assert_eq(s_run(&r, "claimq", "submit", "--config", path, "--output",
                       out, claims, NULL),
                 0, "submit: %s", r.err);
    cq_run_free(&r);
    cr_assert_eq(cq_proc_count_lines(out), 300);
    //  $CLAIMQ_CONFIG names the file as --config does
    setenv("CLAIMQ_CONFIG", path, 1);
    cr_assert_eq(s_run(&r, "claimq", "status", "cfg-1", NULL), 0, "%s", r.err);
    unsetenv("CLAIMQ_CONFIG");
    cr_assert(r.out[0] == '{', "status is not JSON: %s", r.out);
    cr_assert(strstr(r.out, "\"decided\":300") ||
                  strstr(r.out, "\"decided\": 300"),
              "%s", r.out);
    cq_run_free(&r);
    cr_assert_eq(cq_child_stop(&s_worker, SIGTERM, 30000), 0);
    cr_assert_eq(cq_child_stop(&s_broker, SIGTERM, 30000), 0);
}

//  The lines "# SOURCE\nKEY = VALUE\n" in a --print-config output.
static void
s_expect(const char *out, const char *source, const char *entry)
{
    char want[600];
    snprintf(want, sizeof want, "# %s\n%s\n", source, entry);
    cr_assert(strstr(out, want), "no\n%swithin\n%s", want, out);
}

Test(config, command_line_beats_environment_beats_file)
{
    char dir[1024]; // cq_test.c's paths are a ring of 8: copy
    const char *tmp = cq_test_tmpdir();
    cr_assert_not_null(tmp);
    snprintf(dir, sizeof dir, "%s", tmp);
    char path[1200], where[1300];
    snprintf(path, sizeof path, "%s/b.conf", dir);
    s_write(path, "shards = 64\n"
                  "lease-ms = 5000\n"
                  "retain-days = 9\n"
                  "insecure = yes\n"
                  "journal = \" /a path with blanks \"\n");
    setenv("CLAIMQ_BROKER_SHARDS", "16", 1);
    setenv("CLAIMQ_BROKER_LEASE_MS", "6000", 1);
    cq_run_t r;
    int rc = s_run(&r, "claimq-broker", "--config", path, "--lease-ms", "7000",
                   "--print-config", NULL);
    unsetenv("CLAIMQ_BROKER_SHARDS");
    unsetenv("CLAIMQ_BROKER_LEASE_MS");
    cr_assert_eq(rc, 0, "%s", r.err);
    s_expect(r.out, "command line", "lease-ms = 7000");
    s_expect(r.out, "$CLAIMQ_BROKER_SHARDS", "shards = 16");
    snprintf(where, sizeof where, "%s:3", path);
    s_expect(r.out, where, "retain-days = 9");
    snprintf(where, sizeof where, "%s:4", path);
    s_expect(r.out, where, "insecure = true");
    snprintf(where, sizeof where, "%s:5", path);
    s_expect(r.out, where, "journal = \" /a path with blanks \"");
    s_expect(r.out, "built-in default", "heartbeat-ms = 1000");
    s_expect(r.out, "built-in default", "frontend = tcp://127.0.0.1:5555");

    //  the output is a configuration the broker reads back to the same
    char again[1200];
    snprintf(again, sizeof again, "%s/again.conf", dir);
    s_write(again, r.out);
    cq_run_free(&r);
    cr_assert_eq(
        s_run(&r, "claimq-broker", "--config", again, "--print-config", NULL),
        0, "%s", r.err);
    snprintf(where, sizeof where, "%s:", again);
    cr_assert(strstr(r.out, "\nlease-ms = 7000\n") &&
                  strstr(r.out, "\nshards = 16\n") &&
                  strstr(r.out, "\njournal = \" /a path with blanks \"\n"),
              "%s", r.out);
    cq_run_free(&r);

    //  a value from the file is checked as if typed, and says where it came
    //  from; so is one from the environment
    snprintf(path, sizeof path, "%s/bad.conf", dir);
    s_write(path, "\nshards = many\n");
    cr_assert_eq(s_run(&r, "claimq-broker", "--config", path, NULL), 2);
    snprintf(where, sizeof where,
             "claimq-broker: %s:2: --shards: 'many' is "
             "not valid (expected 1..65536)",
             path);
    cr_assert(strstr(r.err, where), "%s", r.err);
    cq_run_free(&r);
    setenv("CLAIMQ_WORKER_CREDIT", "-3", 1);
    rc = s_run(&r, "claimq-worker", "--config", "", "--node-id", "w", NULL);
    unsetenv("CLAIMQ_WORKER_CREDIT");
    cr_assert_eq(rc, 2);
    cr_assert(strstr(r.err, "$CLAIMQ_WORKER_CREDIT: --credit: '-3'"), "%s",
              r.err);
    cq_run_free(&r);
}

typedef struct {
    const char *prog; // program
    const char *verb; // claimq's verb, or NULL
    const char *text; // the file
    const char *want; // in stderr, after "FILE:"
} s_bad_t;

Test(config, mistakes_name_the_file_line_and_key)
{
    static const s_bad_t bad[] = {
        {"claimq-broker", NULL, "shards = 4\nshard = 3\n",
         "2: unknown key 'shard'; did you mean 'shards'?"},
        {"claimq-broker", NULL, "help = true\n", "1: unknown key 'help'"},
        {"claimq-broker", NULL, "insecure = maybe\n",
         "1: insecure: 'maybe' is not true or false"},
        {"claimq-broker", NULL, "[submit]\nchunk = 1\n",
         "1: [submit]: claimq-broker's file has no sections"},
        {"claimq-broker", NULL, "shards = 4\nshards = 5\n",
         "2: 'shards' given twice (first on line 1)"},
        {"claimq-broker", NULL, "shards: 4\n", "1: expected 'key = value'"},
        {"claimq-worker", NULL, "crdit = 5\n",
         "1: unknown key 'crdit'; did you mean 'credit'?"},
        {"claimq", "submit", "chunk = 5\n",
         "1: 'chunk' is not a key for every command"},
        {"claimq", "submit", "[sumbit]\nchunk = 5\n",
         "1: [sumbit]: no such command"},
        {"claimq", "submit", "[submit]\nchunck = 5\n",
         "2: unknown key 'chunck'; did you mean 'chunk'?"},
        {"claimq", "submit", "[submit]\nwait = perhaps\n",
         "2: wait: 'perhaps' is not true or false"},
    };
    char dir[1024]; // cq_test.c's paths are a ring of 8: copy
    const char *tmp = cq_test_tmpdir();
    cr_assert_not_null(tmp);
    snprintf(dir, sizeof dir, "%s", tmp);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char path[1200], want[1400];
        snprintf(path, sizeof path, "%s/bad-%zu.conf", dir, i);
        s_write(path, bad[i].text);
        cq_run_t r;
        int rc = bad[i].verb ? s_run(&r, bad[i].prog, bad[i].verb, "--config",
                                     path, "--print-config", NULL)
                             : s_run(&r, bad[i].prog, "--config", path,
                                     "--print-config", NULL);
        cr_assert_eq(rc, 2, "case %zu: exit %d: %s", i, rc, r.err);
        snprintf(want, sizeof want, "%s:%s", path, bad[i].want);
        cr_assert(strstr(r.err, want), "case %zu: want '%s' in: %s", i, want,
                  r.err);
        cr_assert(strstr(r.err, "Try '"), "case %zu: no hint: %s", i, r.err);
        cr_assert_eq(r.out[0], '\0', "case %zu printed: %s", i, r.out);
        cq_run_free(&r);
    }
    //  a named file that cannot be read is an error, never ignored
    cq_run_t r;
    cr_assert_eq(
        s_run(&r, "claimq-broker", "--config", "/nonexistent/b.conf", NULL), 2);
    cr_assert(strstr(r.err, "/nonexistent/b.conf: cannot read"), "%s", r.err);
    cq_run_free(&r);
    setenv("CLAIMQ_CONFIG", "/nonexistent/c.conf", 1);
    int rc = s_run(&r, "claimq", "status", "x", NULL);
    unsetenv("CLAIMQ_CONFIG");
    cr_assert_eq(rc, 2, "%s", r.err);
    cr_assert(strstr(r.err, "/nonexistent/c.conf: cannot read"), "%s", r.err);
    cq_run_free(&r);
}

Test(config, deploy_examples_are_valid)
{
    const char *progs[][2] = {{"claimq-broker", NULL},
                              {"claimq-worker", NULL},
                              {"claimq", "submit"},
                              {"claimq", "status"},
                              {"claimq", "bench"}};
    for (size_t i = 0; i < sizeof progs / sizeof progs[0]; i++) {
        char rel[128];
        snprintf(rel, sizeof rel, "deploy/conf/%s.conf", progs[i][0]);
        const char *path = cq_test_src(rel);
        cq_run_t r;
        int rc = progs[i][1] == NULL ? s_run(&r, progs[i][0], "--config", path,
                                             "--print-config", NULL)
                 : strcmp(progs[i][1], "bench") == 0
                     ? s_run(&r, "claimq", "bench", "e2e", "--config", path,
                             "--print-config", NULL)
                     : s_run(&r, "claimq", progs[i][1], "--config", path,
                             "--print-config", NULL);
        cr_assert_eq(rc, 0, "%s %s: %s", progs[i][0],
                     progs[i][1] ? progs[i][1] : "", r.err);
        cr_assert(strstr(r.out, path), "%s: the file is not named: %s", rel,
                  r.out);
        cq_run_free(&r);
    }
}
