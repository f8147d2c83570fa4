//  it_install.c: `cmake --install` gives a tree that works on its own
//  (issue 14): the programs, the form template and the schemas under a
//  scratch prefix; from there `--version` names the git revision, `claimq
//  ocr` reads a generated form with the template found beside the
//  installed programs, and `claimq up` + `claimq submit --wait` decide a
//  batch with the installed broker and worker.
#include "cq_proc.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static cq_child_t s_up;

static void
s_fini(void)
{
    if (s_up.pid > 0)
        cq_child_stop(&s_up, SIGKILL, 5000);
}

Test(install, the_installed_tree_runs_alone, .timeout = 300, .fini = s_fini)
{
    const char *bin = getenv("CQ_BINARY_DIR");
    cr_assert_not_null(bin, "CQ_BINARY_DIR unset");
    char prefix[1100], dir[1100];
    const char *tmp = cq_test_tmpdir();
    cr_assert_not_null(tmp);
    snprintf(prefix, sizeof prefix, "%s/prefix", tmp);
    snprintf(dir, sizeof dir, "%s/data", tmp);
    cq_run_t r;
    const char *cmake = getenv("CQ_CMAKE"); // (ctest's; else Debian's)
    char *inst[] = {(char *)(cmake ? cmake : "/usr/bin/cmake"),
                    "--install",
                    (char *)bin,
                    "--prefix",
                    prefix,
                    NULL};
    cr_assert_eq(cq_test_run(inst, NULL, 120, &r), 0);
    cr_assert_eq(r.status, 0, "cmake --install: %s %s", r.out, r.err);
    cq_run_free(&r);

    char claimq[1200], tmpl[1200];
    snprintf(claimq, sizeof claimq, "%s/bin/claimq", prefix);
    snprintf(tmpl, sizeof tmpl, "%s/share/claimq/forms/cms1500.json", prefix);
    cr_assert_eq(access(tmpl, R_OK), 0, "no form template in %s", tmpl);
    const char *progs[] = {"claimq", "claimq-broker", "claimq-worker"};
    for (int i = 0; i < 3; i++) {
        char p[1200];
        snprintf(p, sizeof p, "%s/bin/%s", prefix, progs[i]);
        char *v[] = {p, "--version", NULL};
        cr_assert_eq(cq_test_run(v, NULL, 30, &r), 0);
        cr_assert_eq(r.status, 0, "%s --version: %s", progs[i], r.err);
        cr_assert(strncmp(r.out, progs[i], strlen(progs[i])) == 0 &&
                      strstr(r.out, "(git "),
                  "%s --version: %s", progs[i], r.out);
        cq_run_free(&r);
    }

    //  data, and a scanned form read with the installed template
    unsetenv("CQ_FORM");
    char *gen[] = {claimq, "gen",     "--out", dir, "--claims",
                   "40",   "--paper", "1",     NULL};
    cr_assert_eq(cq_test_run(gen, NULL, 120, &r), 0);
    cr_assert_eq(r.status, 0, "gen: %s", r.err);
    cq_run_free(&r);
    char form[1200];
    snprintf(form, sizeof form, "%s/forms/form-000001.png", dir);
    char *ocr[] = {claimq, "ocr", form, NULL};
    cr_assert_eq(cq_test_run(ocr, NULL, 120, &r), 0);
    cr_assert_eq(r.status, 0, "ocr: %s", r.err);
    cr_assert_not_null(strstr(r.out, "\"claim_id\""), "%s", r.out);
    cq_run_free(&r);

    //  a local cluster of the installed programs
    char plan[1200], members[1200], run[1200], log[1200], claims[1200];
    snprintf(plan, sizeof plan, "%s/plan.json", dir);
    snprintf(members, sizeof members, "%s/members.jsonl", dir);
    snprintf(run, sizeof run, "%s/run", dir);
    snprintf(log, sizeof log, "%s/up.log", dir);
    snprintf(claims, sizeof claims, "%s/claims.jsonl", dir);
    char *up[] = {claimq,      "up",    "--workers", "1", "--plan", plan,
                  "--members", members, "--dir",     run, NULL};
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    cr_assert_geq(fd, 0);
    cr_assert_eq(cq_child_spawn(&s_up, up, fd), 0);
    close(fd);
    cr_assert_eq(cq_child_wait_ready(&s_up, 60000), 0, "claimq up: see %s",
                 log);
    char fe[256];
    cr_assert(cq_child_ready_get(&s_up, "frontend", fe, sizeof fe));
    char *sub[] = {claimq, "submit", "--broker", fe, "--wait", claims, NULL};
    cr_assert_eq(cq_test_run(sub, NULL, 120, &r), 0);
    cr_assert_eq(r.status, 0, "submit: %s", r.err);
    cr_assert_not_null(strstr(r.err, "40/40 claims decided"), "%s", r.err);
    cq_run_free(&r);
    cr_assert_eq(cq_child_stop(&s_up, SIGTERM, 60000), 0);
}
