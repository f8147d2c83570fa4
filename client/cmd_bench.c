//  claimq bench NAME: dispatch to the benchmarks. Performance targets live
//  here, never in timed tests.
#include "cmds.h"
#include "opts.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} s_benches[] = {
    {"adjudicate", cq_bench_adjudicate,
     "rules engine alone, and `claimq adjudicate --ledger` from JSONL"},
    {"x12", cq_bench_x12, "837 parse speed (claims/s, MB/s)"},
    {"ocr", cq_bench_ocr, "zonal OCR of generated forms vs the CLI"},
    {"e2e", cq_bench_e2e, "broker + workers + client, claims/s, p50/p99"},
    {"scale", cq_bench_scale,
     "throughput against workers (1..64), per-claim sleep in each"},
};
#define S_N_BENCHES (sizeof s_benches / sizeof s_benches[0])

static void
s_usage(FILE *out)
{
    fprintf(out, "usage: claimq bench NAME [OPTIONS]\n\nbenchmarks:\n");
    for (size_t i = 0; i < S_N_BENCHES; i++)
        fprintf(out, "  %-11s %s\n", s_benches[i].name, s_benches[i].help);
    fprintf(out, "\n`claimq bench NAME --help` describes a benchmark's "
                 "options.\n");
}

int
cq_cmd_bench(int argc, char **argv)
{
    if (argc < 2) {
        s_usage(stderr);
        return CQ_EXIT_USAGE;
    }
    if (argv[1][0] == '-') {
        //  an option before the benchmark's name: only --help
        static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
        optind = 1;
        switch (cq_getopt(2, argv, "+h", opts, "claimq bench")) {
        case 'h':
            s_usage(stdout);
            return CQ_EXIT_OK;
        case '?':
            return CQ_EXIT_USAGE;
        default: // "-" or "--": not a name
            break;
        }
    }
    const char *names[S_N_BENCHES];
    for (size_t i = 0; i < S_N_BENCHES; i++) {
        if (strcmp(argv[1], s_benches[i].name) == 0)
            return s_benches[i].fn(argc - 1, argv + 1);
        names[i] = s_benches[i].name;
    }
    return cq_opt_bad_command("claimq bench", argv[1], names, S_N_BENCHES);
}
