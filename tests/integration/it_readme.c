//  it_readme.c: the README's commands run as written (issue 9, "a CLI
//  that guides"). Every ```sh block of README.md a user runs by hand is
//  taken from the file as it is — the ones under "Quickstart" (it installs
//  packages and builds) and "Build by hand" (it builds) aside — and run in
//  one shell with `set -e`, in a fresh temporary directory where `build/`
//  is the directory of the built programs. The blocks must succeed, and
//  what they promise must hold: the demo data set, the oracle's decisions,
//  a cluster's decisions equal to the oracle's claim for claim, an 835.
#include "cq_test.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

//  Sections whose blocks are not run: they install packages or build.
static const char *const s_skip[] = {"Quickstart", "Build by hand"};

//  Appends the README's runnable sh blocks to script; counts the blocks
//  and says whether the "Offline" and "Distributed" ones were among them.
static void
s_blocks(const char *readme, char *script, size_t cap, int *n_blocks,
         bool *offline, bool *distributed)
{
    char heading[256] = "";
    bool in_block = false, run = false;
    size_t used = strlen(script);
    const char *p = readme;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (!in_block && n > 0 && p[0] == '#') {
            size_t k = n < sizeof heading - 1 ? n : sizeof heading - 1;
            memcpy(heading, p, k);
            heading[k] = '\0';
        } else if (!in_block && n >= 5 && strncmp(p, "```sh", 5) == 0) {
            in_block = true;
            run = true;
            for (size_t i = 0; i < sizeof s_skip / sizeof s_skip[0]; i++)
                if (strstr(heading, s_skip[i]) != NULL)
                    run = false;
            if (run) {
                (*n_blocks)++;
                *offline |= strstr(heading, "Offline") != NULL;
                *distributed |= strstr(heading, "Distributed") != NULL;
                used += (size_t)snprintf(script + used, cap - used,
                                         "# --- %s\n", heading);
            }
        } else if (in_block && n >= 3 && strncmp(p, "```", 3) == 0) {
            in_block = false;
        } else if (in_block && run) {
            cr_assert_lt(used + n + 2, cap, "README blocks too long");
            memcpy(script + used, p, n);
            used += n;
            script[used++] = '\n';
            script[used] = '\0';
        }
        p += n + (nl ? 1 : 0);
    }
}

//  Stops what the blocks left running (`claimq up` in the background
//  when a block failed half-way): every process of ours whose working
//  directory is under dir, by its id.
static void
s_stop_leftovers(const char *dir)
{
    for (int round = 0; round < 2; round++) {
        DIR *d = opendir("/proc");
        if (d == NULL)
            return;
        struct dirent *e;
        int found = 0;
        while ((e = readdir(d)) != NULL) {
            char *end;
            long pid = strtol(e->d_name, &end, 10);
            if (*end != '\0' || pid <= 1 || pid == (long)getpid())
                continue;
            char link[64], cwd[PATH_MAX];
            snprintf(link, sizeof link, "/proc/%ld/cwd", pid);
            ssize_t k = readlink(link, cwd, sizeof cwd - 1);
            if (k <= 0)
                continue;
            cwd[k] = '\0';
            if (strncmp(cwd, dir, strlen(dir)) != 0)
                continue;
            kill((pid_t)pid, round == 0 ? SIGTERM : SIGKILL);
            found++;
        }
        closedir(d);
        if (found == 0)
            return;
        struct timespec ts = {3, 0};
        nanosleep(&ts, NULL);
    }
}

//  claim_id -> decision of a JSON Lines file of decisions, as one object.
static json_t *
s_decisions(const char *path, size_t *lines)
{
    size_t len = 0;
    char *buf = cq_test_read(path, &len);
    cr_assert_not_null(buf, "%s was not written", path);
    json_t *by_id = json_object();
    *lines = 0;
    for (char *p = buf; *p;) {
        char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        json_error_t je;
        json_t *o = json_loadb(p, n, 0, &je);
        cr_assert_not_null(o, "%s:%zu: %s", path, *lines + 1, je.text);
        const char *id = json_string_value(json_object_get(o, "claim_id"));
        const char *what = json_string_value(json_object_get(o, "decision"));
        cr_assert(id && what, "%s:%zu: no claim_id or decision", path,
                  *lines + 1);
        json_object_set_new(by_id, id, json_string(what));
        json_decref(o);
        (*lines)++;
        p += n + (nl ? 1 : 0);
    }
    free(buf);
    return by_id;
}

Test(readme, offline_and_distributed_blocks_run_as_written, .timeout = 900)
{
    char *readme = cq_test_read(cq_test_src("README.md"), NULL);
    cr_assert_not_null(readme, "README.md not found");
    static char script[1 << 16] = "set -e\n";
    int n_blocks = 0;
    bool offline = false, distributed = false;
    s_blocks(readme, script, sizeof script, &n_blocks, &offline, &distributed);
    free(readme);
    cr_assert(offline, "no ```sh block under an \"Offline\" heading");
    cr_assert(distributed, "no ```sh block under a \"Distributed\" heading");

    //  a fresh directory where build/ holds the programs under test
    const char *tmp = cq_test_tmpdir();
    cr_assert_not_null(tmp);
    char dir[PATH_MAX];
    cr_assert_not_null(realpath(tmp, dir));
    char bin[PATH_MAX], link[PATH_MAX + 16], path[PATH_MAX + 32];
    cr_assert_not_null(realpath(cq_test_bin("."), bin));
    snprintf(link, sizeof link, "%s/build", dir);
    cr_assert_eq(symlink(bin, link), 0, "symlink: %s", strerror(errno));
    snprintf(path, sizeof path, "%s/readme.sh", dir);
    cr_assert_eq(cq_test_write(path, script, strlen(script)), 0);

    char cmd[PATH_MAX + 64];
    snprintf(cmd, sizeof cmd, "cd '%s' && exec sh ./readme.sh", dir);
    char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    cq_run_t r;
    cr_assert_eq(cq_test_run(argv, NULL, 800, &r), 0);
    s_stop_leftovers(dir);
    cr_assert_eq(r.status, 0,
                 "the README's blocks failed (exit %d)\n--- script\n%s\n"
                 "--- stdout\n%.4000s\n--- stderr (end)\n%s",
                 r.status, script, r.out,
                 r.err_len > 6000 ? r.err + r.err_len - 6000 : r.err);
    cq_run_free(&r);

    //  what the Offline block promises: the data set and the oracle
    snprintf(path, sizeof path, "%s/demo/claims.jsonl", dir);
    cr_assert(access(path, R_OK) == 0, "no demo/claims.jsonl");
    size_t n_oracle = 0, n_cluster = 0;
    snprintf(path, sizeof path, "%s/decisions.jsonl", dir);
    json_t *oracle = s_decisions(path, &n_oracle);
    cr_assert_eq(n_oracle, 10000, "decisions.jsonl: %zu decisions", n_oracle);

    //  what the Distributed block promises: every claim decided, as the
    //  oracle decides it, and an 835 of the batch
    snprintf(path, sizeof path, "%s/out.jsonl", dir);
    json_t *cluster = s_decisions(path, &n_cluster);
    cr_assert_eq(n_cluster, n_oracle, "out.jsonl: %zu decisions", n_cluster);
    const char *id;
    json_t *v;
    json_object_foreach(oracle, id, v)
    {
        json_t *w = json_object_get(cluster, id);
        cr_assert_not_null(w, "claim %s not decided by the cluster", id);
        cr_assert_str_eq(json_string_value(w), json_string_value(v),
                         "claim %s: cluster %s, claimq adjudicate %s", id,
                         json_string_value(w), json_string_value(v));
    }
    json_decref(oracle);
    json_decref(cluster);
    snprintf(path, sizeof path, "%s/demo-1.835", dir);
    size_t len = 0;
    char *x835 = cq_test_read(path, &len);
    cr_assert_not_null(x835, "no demo-1.835");
    cr_assert(len > 106 && strncmp(x835, "ISA", 3) == 0,
              "demo-1.835 is not an X12 interchange");
    cr_assert_not_null(strstr(x835, "ST*835*"));
    free(x835);

    //  what the load-test block promises: a capture, 0600, that replayed
    //  with every decision as recorded (the block's replay exits 0 only so)
    struct stat st;
    snprintf(path, sizeof path, "%s/traffic.cap", dir);
    cr_assert_eq(stat(path, &st), 0, "no traffic.cap");
    cr_assert_eq(st.st_mode & 0777, 0600);
    cr_assert_gt(st.st_size, 1000000);
}
