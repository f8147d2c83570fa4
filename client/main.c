//  claimq: the command-line client (DESIGN.md §10).
#include "cmds.h"
#include "log.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    const char *name;                 // verb
    int (*fn)(int argc, char **argv); // implementation
    const char *help;                 // one line for `claimq --help`
} s_verb_t;

static const s_verb_t s_verbs[] = {
    {"adjudicate", cq_cmd_adjudicate,
     "decide claims in one process, in file order (the oracle; a dry run)"},
    {"gen", cq_cmd_gen, "write a synthetic plan, roster, claims, 837s, forms"},
    {"check", cq_cmd_check, "check X12 files locally; 999-style report"},
    {"ocr", cq_cmd_ocr, "read a scanned CMS-1500 form; print the claim"},
    {"up", cq_cmd_up, "start a local broker and N workers (embedded default)"},
    {"submit", cq_cmd_submit,
     "send claim files to a broker; --wait for decisions"},
    {"status", cq_cmd_status, "show a batch's progress"},
    {"results", cq_cmd_results, "print a batch's decisions (jsonl, csv, 835)"},
    {"workers", cq_cmd_workers, "list the broker's worker nodes"},
    {"quarantine", cq_cmd_quarantine,
     "list, show or release quarantined claims and documents"},
    {"bench", cq_cmd_bench, "benchmarks: adjudicate | x12 | ocr | e2e"},
    {"ledger", cq_cmd_ledger,
     "verify, query and reconcile worker ledgers (with the journal)"},
};

static void
s_usage(FILE *out)
{
    fprintf(out, "usage: claimq VERB [OPTIONS] [ARGS]\n\n"
                 "claimq is the client of a distributed claims queue.\n\n"
                 "verbs:\n");
    for (size_t i = 0; i < sizeof s_verbs / sizeof s_verbs[0]; i++)
        fprintf(out, "  %-11s %s\n", s_verbs[i].name, s_verbs[i].help);
    fprintf(out,
            "\n`claimq VERB --help` describes a verb's options.\n"
            "exit codes: 0 ok, 1 failure, 2 usage, 3 setup (bad plan, roster "
            "or ledger),\n"
            "            4 timeout or broker unreachable, 5 claims rejected "
            "(when asked for)\n");
}

int
main(int argc, char **argv)
{
    cq_log_init('C', CQ_LOG_NOTICE);
    if (argc < 2) {
        s_usage(stderr);
        return CQ_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        s_usage(stdout);
        return CQ_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("claimq %s\n", CQ_VERSION);
        return CQ_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof s_verbs / sizeof s_verbs[0]; i++)
        if (strcmp(argv[1], s_verbs[i].name) == 0)
            return s_verbs[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "claimq: unknown verb '%s'\nTry 'claimq --help'.\n",
            argv[1]);
    return CQ_EXIT_USAGE;
}
