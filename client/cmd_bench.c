//  claimq bench NAME: dispatch to the benchmarks. Performance targets live
//  here, never in timed tests.
#include "cmds.h"

#include <stdio.h>
#include <string.h>

int
cq_cmd_bench(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(int, char **);
        const char *help;
    } benches[] = {
        {"adjudicate", cq_bench_adjudicate,
         "rules engine alone, and `claimq adjudicate --ledger` from JSONL"},
        {"x12", cq_bench_x12, "837 parse speed (claims/s, MB/s)"},
        {"ocr", cq_bench_ocr, "zonal OCR of generated forms vs the CLI"},
        {"e2e", cq_bench_e2e, "broker + workers + client, claims/s, p50/p99"},
    };
    if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        FILE *out = argc < 2 ? stderr : stdout;
        fprintf(out, "usage: claimq bench NAME [OPTIONS]\n\nbenchmarks:\n");
        for (size_t i = 0; i < sizeof benches / sizeof benches[0]; i++)
            fprintf(out, "  %-11s %s\n", benches[i].name, benches[i].help);
        return argc < 2 ? CQ_EXIT_USAGE : CQ_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof benches / sizeof benches[0]; i++)
        if (strcmp(argv[1], benches[i].name) == 0)
            return benches[i].fn(argc - 1, argv + 1);
    fprintf(stderr,
            "claimq bench: unknown benchmark '%s'\n"
            "Try 'claimq bench --help'.\n",
            argv[1]);
    return CQ_EXIT_USAGE;
}
