//  claimq bench adjudicate: claims per second of
//    1. the rules engine alone, on claims already decoded (generated outside
//       the timed region, in chunks so memory stays bounded), with member
//       state in memory; target >= 500,000 claims/s on one core;
//    2. the whole `claimq adjudicate --ledger` from a generated JSON Lines
//       file: this very binary, run as a child and timed end to end
//       (loading the plan and roster, decoding, deciding, the ledger,
//       writing decisions); target >= 100,000 claims/s.
//  A benchmark, not a test: it prints numbers and asserts nothing.
#include "cmds.h"
#include "date.h"
#include "decision.h"
#include "engine.h"
#include "gen.h"
#include "plan.h"
#include "roster.h"
#include "opts.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define S_ENGINE_TARGET 500000.0
#define S_WHOLE_TARGET 100000.0
#define S_CHUNK 1024 // claims decoded per chunk (about 4 MiB)

static double
s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

//  CPU seconds of the calling thread: "claims/s on one core" without the
//  time other processes take on a shared machine.
static double
s_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

//  Flushes a file to disk, so that its write-back does not compete with
//  the timed runs.
static int
s_flush(FILE *f)
{
    return fflush(f) == 0 && fsync(fileno(f)) == 0 ? 0 : -1;
}

static int
s_write(const char *path, const cq_buf_t *b)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    size_t n = fwrite(b->data, 1, b->len, f);
    int rc = s_flush(f);
    return fclose(f) == 0 && n == b->len && rc == 0 ? 0 : -1;
}

static void
s_rmtree(const char *dir)
{
    const char *names[] = {"plan.json",      "members.jsonl", "claims.jsonl",
                           "ledger.db",      "ledger.db-wal", "ledger.db-shm",
                           "decisions.jsonl"};
    char p[4200];
    for (size_t i = 0; i < CQ_ARRAY_LEN(names); i++) {
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        unlink(p);
    }
    rmdir(dir);
}

//  The engine alone. Returns claims/s (and the decision counts).
static double
s_engine(const cq_gen_t *g, const cq_buf_t *plan, const cq_buf_t *roster,
         uint64_t counts[3], double *secs, double *wall)
{
    cq_diag_t diag = {0};
    cq_plan_rules_t *r = cq_plan_parse(plan->data, plan->len, "plan", &diag);
    cq_roster_t *m =
        r ? cq_roster_parse(roster->data, roster->len, "roster", &diag) : NULL;
    if (m == NULL) {
        fprintf(stderr, "claimq bench adjudicate: %s\n", diag.msg);
        cq_plan_destroy(&r);
        return -1;
    }
    cq_engine_t *eng = cq_engine_new_from(&r, &m);
    cq_engine_set_node(eng, "bench");
    cq_state_t *st = cq_state_new_memory();
    cq_claim_t *claims = cq_xmalloc(S_CHUNK * sizeof *claims);
    cq_decision_t *d = cq_xmalloc(sizeof *d);
    size_t n = cq_gen_n_claims(g);
    int32_t today = cq_gen_today(g);
    double spent = 0, spent_wall = 0;
    for (size_t at = 0; at < n; at += S_CHUNK) {
        size_t k = n - at < S_CHUNK ? n - at : S_CHUNK;
        for (size_t i = 0; i < k; i++)
            cq_gen_claim(g, at + i, &claims[i]);
        double t = s_cpu(), w = s_now();
        for (size_t i = 0; i < k; i++) {
            //  as `claimq adjudicate` does: warm what the next claims read
            if (i + 2 < k)
                cq_engine_prefetch(eng, st, &claims[i + 2], 2);
            if (i + 1 < k)
                cq_engine_prefetch(eng, st, &claims[i + 1], 1);
            if (cq_engine_decide(eng, st, &claims[i], today, d, NULL) != 0)
                abort(); // memory state: cannot fail
            counts[d->decision]++;
        }
        spent += s_cpu() - t;
        spent_wall += s_now() - w;
    }
    free(d);
    free(claims);
    cq_state_destroy(&st);
    cq_engine_destroy(&eng);
    *secs = spent;
    *wall = spent_wall;
    return spent > 0 ? (double)n / spent : 0;
}

//  The whole `claimq adjudicate --ledger`, as a child process.
static double
s_whole(const char *dir, size_t n, double *secs, double *wall)
{
    char plan[4200], members[4200], claims[4200], ledger[4200], out[4200];
    snprintf(plan, sizeof plan, "%s/plan.json", dir);
    snprintf(members, sizeof members, "%s/members.jsonl", dir);
    snprintf(claims, sizeof claims, "%s/claims.jsonl", dir);
    snprintf(ledger, sizeof ledger, "%s/ledger.db", dir);
    snprintf(out, sizeof out, "%s/decisions.jsonl", dir);
    char *argv[] = {"claimq",  "adjudicate", "--plan", plan,       "--members",
                    members,   "--ledger",   ledger,   "--output", out,
                    "--quiet", claims,       NULL};
    double t = s_now();
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        execv("/proc/self/exe", argv);
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR)
        ;
    *wall = s_now() - t;
    //  CPU time of the child (user + system): one core's worth of work
    *secs = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
            (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr,
                "claimq bench adjudicate: the adjudicate run failed "
                "(status %d)\n",
                status);
        return -1;
    }
    return *secs > 0 ? (double)n / *secs : 0;
}

static int
s_usage(const char *msg)
{
    fprintf(stderr,
            "claimq bench adjudicate: %s\nTry 'claimq bench "
            "adjudicate --help'.\n",
            msg);
    return CQ_EXIT_USAGE;
}

int
cq_bench_adjudicate(int argc, char **argv)
{
    static const struct option longs[] = {
        {"claims", required_argument, NULL, 'c'},
        {"members", required_argument, NULL, 'm'},
        {"json", no_argument, NULL, 'j'},
        {"keep", no_argument, NULL, 'k'},
        {"only", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    size_t n = 1000000, members = 0;
    bool json = false, keep = false, do_engine = true, do_whole = true;
    int ch;
    while ((ch = cq_getopt(argc, argv, "c:m:jko:h", longs,
                           "claimq bench adjudicate")) != -1) {
        char *end;
        switch (ch) {
        case 'c':
            n = strtoul(optarg, &end, 10);
            if (*end || n == 0 || n > CQ_GEN_MAX_CLAIMS)
                return s_usage("--claims: a number from 1 to 100000000");
            break;
        case 'm':
            members = strtoul(optarg, &end, 10);
            if (*end || members == 0 || members > CQ_GEN_MAX_MEMBERS)
                return s_usage("--members: a number from 1 to 10000000");
            break;
        case 'j':
            json = true;
            break;
        case 'k':
            keep = true;
            break;
        case 'o':
            if (strcmp(optarg, "engine") == 0)
                do_whole = false;
            else if (strcmp(optarg, "whole") == 0)
                do_engine = false;
            else
                return s_usage("--only: engine or whole");
            break;
        case 'h':
            printf("usage: claimq bench adjudicate [--claims N] [--members M] "
                   "[--json] [--keep]\n\n"
                   "Claims per second of the rules engine alone (decoded "
                   "claims, state in\nmemory; target 500,000) and of the "
                   "whole `claimq adjudicate --ledger`\nfrom a JSON Lines "
                   "file (target 100,000), on generated data.\n\n"
                   "  -c, --claims N    claims (default 1,000,000)\n"
                   "  -m, --members M   roster size (default claims / 10)\n"
                   "  -j, --json        one JSON object on standard output\n"
                   "  -k, --keep        keep the generated files (their "
                   "directory is printed)\n"
                   "  -o, --only PART   run one part: engine or whole (for "
                   "profiling)\n"
                   "  -h, --help        this help\n");
            return CQ_EXIT_OK;
        default: // cq_getopt said why
            return CQ_EXIT_USAGE;
        }
    }
    if (optind < argc)
        return s_usage("unexpected argument");
    if (members == 0)
        members = n / 10 > 0 ? n / 10 : 1;

    cq_gen_opts_t o;
    cq_gen_opts_default(&o);
    o.n_claims = n;
    o.n_members = members;
    cq_gen_t *g = cq_gen_new(&o);
    if (g == NULL)
        return s_usage("options out of the generator's range");
    char dir[] = "/tmp/claimq-bench-XXXXXX";
    if (mkdtemp(dir) == NULL) {
        fprintf(stderr, "claimq bench adjudicate: mkdtemp: %s\n",
                strerror(errno));
        cq_gen_destroy(&g);
        return CQ_EXIT_FAIL;
    }
    double t = s_now();
    cq_buf_t plan, roster;
    cq_buf_init(&plan, 64u << 20);
    cq_buf_init(&roster, (size_t)1 << 32);
    char path[4200];
    int rc = cq_gen_plan_json(g, &plan) | cq_gen_members_jsonl(g, &roster);
    snprintf(path, sizeof path, "%s/plan.json", dir);
    rc |= s_write(path, &plan);
    snprintf(path, sizeof path, "%s/members.jsonl", dir);
    rc |= s_write(path, &roster);
    snprintf(path, sizeof path, "%s/claims.jsonl", dir);
    FILE *f = fopen(path, "w");
    if (f == NULL || cq_gen_write_claims(g, f) != 0 || s_flush(f) != 0)
        rc = -1;
    if (f && fclose(f) != 0)
        rc = -1;
    int exit_code = CQ_EXIT_OK;
    if (rc != 0) {
        fprintf(stderr,
                "claimq bench adjudicate: cannot write the data in "
                "%s\n",
                dir);
        exit_code = CQ_EXIT_FAIL;
        goto out;
    }
    struct stat st;
    stat(path, &st);
    fprintf(stderr,
            "claimq bench adjudicate: %zu claims (%.0f MB of JSON Lines), "
            "%zu members, generated in %.1f s in %s\n",
            n, (double)st.st_size / 1e6, members, s_now() - t, dir);

    uint64_t counts[3] = {0, 0, 0};
    double e_secs = 0, w_secs = 0, e_wall = 0, w_wall = 0;
    double e_rate =
        do_engine ? s_engine(g, &plan, &roster, counts, &e_secs, &e_wall) : 0;
    double w_rate =
        e_rate < 0 || !do_whole ? 0 : s_whole(dir, n, &w_secs, &w_wall);
    if (e_rate < 0 || w_rate < 0) {
        exit_code = CQ_EXIT_FAIL;
        goto out;
    }
    double e_wrate = e_wall > 0 ? (double)n / e_wall : 0;
    double w_wrate = w_wall > 0 ? (double)n / w_wall : 0;
    if (json) {
        printf("{\"claims\": %zu, \"members\": %zu, \"accept\": %llu, "
               "\"reject\": %llu, \"pend\": %llu, "
               "\"engine_cpu_seconds\": %.3f, \"engine_claims_per_s\": %.0f, "
               "\"engine_wall_claims_per_s\": %.0f, "
               "\"engine_target\": %.0f, \"engine_ratio\": %.2f, "
               "\"adjudicate_cpu_seconds\": %.3f, "
               "\"adjudicate_wall_seconds\": %.3f, "
               "\"adjudicate_claims_per_s\": %.0f, "
               "\"adjudicate_wall_claims_per_s\": %.0f, "
               "\"adjudicate_target\": %.0f, \"adjudicate_ratio\": %.2f}\n",
               n, members, (unsigned long long)counts[0],
               (unsigned long long)counts[1], (unsigned long long)counts[2],
               e_secs, e_rate, e_wrate, S_ENGINE_TARGET,
               e_rate / S_ENGINE_TARGET, w_secs, w_wall, w_rate, w_wrate,
               S_WHOLE_TARGET, w_rate / S_WHOLE_TARGET);
    } else {
        if (do_engine) {
            printf("decisions: %llu accept, %llu reject, %llu pend\n",
                   (unsigned long long)counts[0], (unsigned long long)counts[1],
                   (unsigned long long)counts[2]);
            printf("engine alone:        %zu claims, %.3f CPU s = %.0f "
                   "claims/s on one core (%.2fx the %.0f target); wall %.0f "
                   "claims/s\n",
                   n, e_secs, e_rate, e_rate / S_ENGINE_TARGET, S_ENGINE_TARGET,
                   e_wrate);
        }
        if (do_whole)
            printf("adjudicate --ledger: %zu claims, %.3f CPU s = %.0f "
                   "claims/s (%.2fx the %.0f target); wall %.3f s = %.0f "
                   "claims/s\n",
                   n, w_secs, w_rate, w_rate / S_WHOLE_TARGET, S_WHOLE_TARGET,
                   w_wall, w_wrate);
    }
out:
    cq_buf_free(&plan);
    cq_buf_free(&roster);
    cq_gen_destroy(&g);
    if (keep)
        fprintf(stderr, "claimq bench adjudicate: files kept in %s\n", dir);
    else
        s_rmtree(dir);
    return exit_code;
}
