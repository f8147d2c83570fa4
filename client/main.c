//  claimq: the command-line client (docs/architecture.md).
#include "bclient.h"
#include "cmds.h"
#include "log.h"
#include "version.h"
#include "opts.h"

#include <stdio.h>
#include <stdlib.h>
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
    {"keygen", cq_cmd_keygen,
     "write a CURVE key pair (NAME.key, NAME.pub) for a broker, worker or "
     "client"},
    {"ocr", cq_cmd_ocr, "read a scanned CMS-1500 form; print the claim"},
    {"up", cq_cmd_up, "start a local broker and N workers (embedded default)"},
    {"submit", cq_cmd_submit,
     "send claim files to a broker; --wait for decisions"},
    {"status", cq_cmd_status, "show a batch's progress"},
    {"results", cq_cmd_results, "print a batch's decisions (jsonl, csv, 835)"},
    {"workers", cq_cmd_workers, "list the broker's worker nodes"},
    {"batches", cq_cmd_batches,
     "list the batches the broker holds, with counts and state"},
    {"shards", cq_cmd_shards, "show the shard map: owners, queues, moves"},
    {"top", cq_cmd_top, "a live view of the cluster (q quits)"},
    {"drain", cq_cmd_drain,
     "take a worker out: its shards move, it finishes and stops"},
    {"quarantine", cq_cmd_quarantine,
     "list, show or release quarantined claims and documents"},
    {"review", cq_cmd_review,
     "the web review station for pended claims; its accounts"},
    {"replay", cq_cmd_replay,
     "send a recorded capture to a cluster, paced; latency, comparison"},
    {"capture", cq_cmd_capture, "what a capture (broker --record) holds"},
    {"bench", cq_cmd_bench, "benchmarks: adjudicate | x12 | ocr | e2e | scale"},
    {"ledger", cq_cmd_ledger,
     "verify, query, reconcile (with the journal) and export worker ledgers"},
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
            "\n`claimq VERB --help` describes a verb's options; "
            "`claimq --version`\n"
            "prints the version.\n"
            "The broker is --broker URL, else $CLAIMQ_BROKER, else the one a "
            "local\n"
            "`claimq up` runs (its endpoints file in $CLAIMQ_DIR, else "
            "claimq-data),\n"
            "else %s.\n"
            "CURVE: every verb that talks to a broker takes --curve-key FILE "
            "(this\n"
            "client's secret key, else $CLAIMQ_CURVE_KEY) and --broker-key "
            "FILE (the\n"
            "broker's public key, else $CLAIMQ_BROKER_KEY); `claimq keygen` "
            "makes them.\n"
            "Configuration: every verb also takes --config FILE (else\n"
            "$CLAIMQ_CONFIG, else /etc/claimq/claimq.conf if it exists) and\n"
            "--print-config. In the file, broker, timeout, curve-key and "
            "broker-key\n"
            "are for every verb; a verb's own options go under [VERB]. An "
            "option is\n"
            "also $CLAIMQ_NAME (--chunk: $CLAIMQ_CHUNK). Command line > "
            "environment\n"
            "> file > default.\n"
            "exit codes: 0 ok, 1 failure, 2 usage, 3 setup (bad plan, roster "
            "or ledger;\n"
            "            an address that is the broker's worker endpoint), 4 "
            "timeout or\n"
            "            broker unreachable, 5 refused (submit: X12 "
            "transaction sets or\n"
            "            documents the broker refused), 130 interrupted\n",
            CQ_BROKER_DEFAULT);
}

int
main(int argc, char **argv)
{
    cq_log_init('C', CQ_LOG_NOTICE);
    cq_cmd_prog = argv[0];
    if (argc < 2) {
        s_usage(stderr);
        return CQ_EXIT_USAGE;
    }
    if (strcmp(argv[1], "help") == 0) {
        s_usage(stdout);
        return CQ_EXIT_OK;
    }
    if (argv[1][0] == '-') {
        //  options before any verb: --help, --version (only the first word
        //  is looked at, as before; the verb's own options follow it)
        static const struct option opts[] = {
            {"help", no_argument, NULL, 'h'},
            {"version", no_argument, NULL, 'V'},
            {NULL, 0, NULL, 0}};
        optind = 1;
        switch (cq_getopt(2, argv, "+hV", opts, "claimq")) {
        case 'h':
            s_usage(stdout);
            return CQ_EXIT_OK;
        case 'V':
            printf("claimq %s (git %s)\n", CQ_VERSION, cq_git_rev);
            return CQ_EXIT_OK;
        case '?':
            return CQ_EXIT_USAGE;
        default:
            break;
        }
        //  "-" or "--": not a verb
        return cq_opt_bad_command("claimq", argv[1], NULL, 0);
    }
    //  --curve-key / --broker-key, anywhere among a verb's options: every
    //  broker connection reads them from the environment (bclient.c)
    int out = 2;
    for (int i = 2; i < argc; i++) {
        static const char *const names[2][2] = {
            {"--curve-key", "CLAIMQ_CURVE_KEY"},
            {"--broker-key", "CLAIMQ_BROKER_KEY"}};
        if (strcmp(argv[i], "--") == 0) {
            while (i < argc)
                argv[out++] = argv[i++];
            break;
        }
        bool taken = false;
        for (int k = 0; k < 2 && !taken; k++) {
            size_t n = strlen(names[k][0]);
            if (strncmp(argv[i], names[k][0], n) != 0)
                continue;
            if (argv[i][n] == '=') {
                setenv(names[k][1], argv[i] + n + 1, 1);
                taken = true;
            } else if (argv[i][n] == '\0') {
                if (i + 1 == argc) {
                    fprintf(stderr,
                            "claimq: %s needs a FILE\nTry 'claimq --help'.\n",
                            names[k][0]);
                    return CQ_EXIT_USAGE;
                }
                setenv(names[k][1], argv[++i], 1);
                taken = true;
            }
        }
        if (!taken)
            argv[out++] = argv[i];
    }
    argc = out;
    argv[argc] = NULL;
    enum { N_VERBS = sizeof s_verbs / sizeof s_verbs[0] };
    const char *names[N_VERBS];
    for (size_t i = 0; i < N_VERBS; i++)
        names[i] = s_verbs[i].name;
    cq_opt_commands(names, N_VERBS); // the sections of claimq.conf
    for (size_t i = 0; i < N_VERBS; i++)
        if (strcmp(argv[1], s_verbs[i].name) == 0)
            return s_verbs[i].fn(argc - 1, argv + 1);
    return cq_opt_bad_command("claimq", argv[1], names, N_VERBS);
}
