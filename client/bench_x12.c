//  claimq bench x12: parse speed of a generated 837P (claims/s, MB/s) on
//  one core, against the 200 MB/s target. The file is made in memory from
//  the generator's claims (gen.h) with the 837 writer, many claims per ST
//  and many ST per file, then parsed --repeat times; the best run counts.
#include "cmds.h"
#include "gen.h"
#include "x12.h"
#include "opts.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S_TARGET_MB_S 200.0
#define S_PROG "claimq bench x12"

typedef struct {
    uint64_t claims;
    uint64_t lines;
    int64_t charge;
} s_count_t;

static int
s_count(void *arg, cq_claim_t *c)
{
    s_count_t *k = arg;
    k->claims++;
    k->lines += c->n_lines;
    k->charge += c->total_charge;
    return 0;
}

static double
s_clock(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
s_now(void)
{
    return s_clock(CLOCK_MONOTONIC);
}

//  CPU time of this thread: the speed "on one core" even when other
//  processes share the machine (wall time is reported too).
static double
s_cpu(void)
{
    return s_clock(CLOCK_THREAD_CPUTIME_ID);
}

static void
s_usage(FILE *out)
{
    fprintf(out,
            "usage: claimq bench x12 [--mb N] [--repeat K] [--seed S] "
            "[--json]\n\n"
            "Writes an N MB 837P in memory from generated claims (gen.h), "
            "then times\n"
            "parsing it into claims on one core (the best of K runs), and "
            "tokenizing\n"
            "it alone. Speeds are per CPU second of the parsing thread, so "
            "they hold\n"
            "on a busy machine; wall time is shown too. MB = 10^6 bytes. "
            "Target:\n"
            "%.0f MB/s.\n\n"
            "  --mb N       size of the file, 1..1000 (default 100)\n"
            "  --repeat K   timed parses, 1..20 (default 3)\n"
            "  --seed S     generator seed (default 1)\n"
            "  --json       one JSON object on stdout\n"
            "  -h, --help   this help\n",
            S_TARGET_MB_S);
}

int
cq_bench_x12(int argc, char **argv)
{
    static const struct option opts[] = {{"mb", required_argument, 0, 'm'},
                                         {"repeat", required_argument, 0, 'r'},
                                         {"seed", required_argument, 0, 's'},
                                         {"json", no_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    long mb = 100, repeat = 3;
    unsigned long long seed = 1;
    bool json = false;
    int c;
    char *end;
    while ((c = cq_getopt(argc, argv, "h", opts, S_PROG)) != -1) {
        switch (c) {
        case 'm':
            mb = strtol(optarg, &end, 10);
            if (*end || mb < 1 || mb > 1000)
                return cq_opt_bad_value(S_PROG, "--mb", optarg, "1..1000");
            break;
        case 'r':
            repeat = strtol(optarg, &end, 10);
            if (*end || repeat < 1 || repeat > 20)
                return cq_opt_bad_value(S_PROG, "--repeat", optarg, "1..20");
            break;
        case 's':
            seed = strtoull(optarg, &end, 10);
            if (*end)
                return cq_opt_bad_value(S_PROG, "--seed", optarg, "a number");
            break;
        case 'j':
            json = true;
            break;
        case 'h':
            s_usage(stdout);
            return CQ_EXIT_OK;
        default: // cq_getopt said why
            return CQ_EXIT_USAGE;
        }
    }
    if (optind < argc)
        goto usage;

    //  1. the file
    size_t want = (size_t)mb * 1000000u;
    cq_gen_opts_t go;
    cq_gen_opts_default(&go);
    go.seed = seed;
    go.n_members = 100000;
    go.n_claims = want / 200 + 1000; // more than enough: ~700 B a claim
    cq_gen_t *g = cq_gen_new(&go);
    if (g == NULL) {
        fprintf(stderr, "claimq bench x12: generator refused its options\n");
        return CQ_EXIT_FAIL;
    }
    cq_buf_t doc;
    cq_buf_init(&doc, want + (4u << 20));
    cq_x12_write_opts_t wo;
    memset(&wo, 0, sizeof wo);
    wo.env.date = cq_gen_today(g);
    wo.env.hhmm = 1200;
    wo.env.newline = true;
    wo.claims_per_set = 1000;
    cq_x12_837w_t *w = cq_x12_837w_new(&wo, &doc);
    cq_claim_t *claim = cq_xmalloc(sizeof *claim);
    double t0 = s_now();
    size_t i = 0;
    int rc = 0;
    for (; i < cq_gen_n_claims(g) && doc.len < want; i++) {
        cq_gen_claim(g, i, claim);
        rc = cq_x12_837w_add(w, claim);
        if (rc == CQ_ETOOBIG)
            break;
    }
    if (rc != CQ_ETOOBIG)
        rc = cq_x12_837w_finish(w);
    double t_write = s_now() - t0;
    size_t written = cq_x12_837w_count(w);
    cq_x12_837w_destroy(&w);
    free(claim);
    cq_gen_destroy(&g);
    if (rc == CQ_ETOOBIG) {
        fprintf(stderr, "claimq bench x12: 837 larger than its buffer\n");
        cq_buf_free(&doc);
        return CQ_EXIT_FAIL;
    }

    //  2. tokenizing alone
    double best_tok = 1e30;
    size_t segments = 0;
    for (long k = 0; k < repeat; k++) {
        cq_x12_reader_t r;
        cq_x12_seg_t seg;
        t0 = s_cpu();
        cq_x12_reader_init(&r, doc.data, doc.len);
        while (cq_x12_reader_next(&r, &seg) > 0)
            ;
        double t = s_cpu() - t0;
        if (t < best_tok)
            best_tok = t;
        segments = r.n_segments;
    }

    //  3. the whole parse: checks, loops, claims
    double best = 1e30, best_wall = 1e30;
    s_count_t k = {0};
    cq_x12_report_t rep;
    for (long run = 0; run < repeat; run++) {
        memset(&k, 0, sizeof k);
        double w0 = s_now();
        t0 = s_cpu();
        rc = cq_x12_parse(doc.data, doc.len, s_count, &k, &rep, NULL);
        double t = s_cpu() - t0, tw = s_now() - w0;
        if (t < best)
            best = t;
        if (tw < best_wall)
            best_wall = tw;
        if (run + 1 < repeat)
            cq_x12_report_free(&rep);
    }
    bool ok = rc >= 0 && (size_t)k.claims == written && rep.sets_refused == 0;
    double mbs = (double)doc.len / 1e6 / best;
    double cps = (double)k.claims / best;
    double tok = (double)doc.len / 1e6 / best_tok;
    double wall_mbs = (double)doc.len / 1e6 / best_wall;
    if (json) {
        printf("{\"bench\": \"x12\", \"bytes\": %zu, \"claims\": %llu, "
               "\"lines\": %llu, \"segments\": %zu, \"sets\": %u, "
               "\"cpu_seconds\": %.4f, \"mb_per_s\": %.1f, "
               "\"claims_per_s\": %.0f, \"wall_seconds\": %.4f, "
               "\"wall_mb_per_s\": %.1f, \"tokenize_mb_per_s\": %.1f, "
               "\"target_mb_per_s\": %.0f, \"ratio_to_target\": %.2f, "
               "\"write_mb_per_s\": %.1f, \"invalid_claims\": %u, "
               "\"ok\": %s}\n",
               doc.len, (unsigned long long)k.claims,
               (unsigned long long)k.lines, segments, (unsigned)rep.n_sets,
               best, mbs, cps, best_wall, wall_mbs, tok, S_TARGET_MB_S,
               mbs / S_TARGET_MB_S, (double)doc.len / 1e6 / t_write,
               (unsigned)rep.invalid_claims, ok ? "true" : "false");
    } else {
        printf("837P: %.1f MB, %llu claims, %llu lines, %zu segments, %u "
               "transaction sets\n",
               (double)doc.len / 1e6, (unsigned long long)k.claims,
               (unsigned long long)k.lines, segments, (unsigned)rep.n_sets);
        printf("parse:    %.3f s CPU, %.1f MB/s, %.0f claims/s = %.2fx the "
               "%.0f MB/s target (one core, best of %ld)\n",
               best, mbs, cps, mbs / S_TARGET_MB_S, S_TARGET_MB_S, repeat);
        printf("          %.3f s wall, %.1f MB/s\n", best_wall, wall_mbs);
        printf("tokenize: %.3f s CPU, %.1f MB/s\n", best_tok, tok);
        printf("write:    %.3f s wall, %.1f MB/s\n", t_write,
               (double)doc.len / 1e6 / t_write);
    }
    if (!ok)
        fprintf(stderr,
                "claimq bench x12: parsed %llu claims of %zu written, %u "
                "sets refused\n",
                (unsigned long long)k.claims, written,
                (unsigned)rep.sets_refused);
    cq_x12_report_free(&rep);
    cq_buf_free(&doc);
    return ok ? CQ_EXIT_OK : CQ_EXIT_FAIL;
usage:
    fprintf(stderr, "claimq bench x12: unexpected argument\n"
                    "Try 'claimq bench x12 --help'.\n");
    return CQ_EXIT_USAGE;
}
