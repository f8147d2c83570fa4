//  cmds.h: the verbs of `claimq`. Each takes the arguments after the verb
//  (argv[0] is the verb) and returns the process exit code:
//  0 ok, 1 failure, 2 usage, 3 setup (also: the address given is the
//  broker's worker endpoint), 4 timeout / unreachable, 5 refused (submit:
//  the broker refused X12 transaction sets or documents), 130
//  interrupted (submit: SIGINT / SIGTERM, the batch left open).
#ifndef CQ_CMDS_H
#define CQ_CMDS_H

enum {
    CQ_EXIT_OK = 0,
    CQ_EXIT_FAIL = 1,
    CQ_EXIT_USAGE = 2,
    CQ_EXIT_SETUP = 3,
    CQ_EXIT_TIMEOUT = 4,
    CQ_EXIT_REJECTED = 5,
    CQ_EXIT_INTERRUPTED = 130
};

//  How claimq was invoked (main's argv[0]), for messages that print a
//  command to run again.
extern const char *cq_cmd_prog;

int cq_cmd_adjudicate(int argc, char **argv);
int cq_cmd_gen(int argc, char **argv);
int cq_cmd_check(int argc, char **argv);
int cq_cmd_keygen(int argc, char **argv);
int cq_cmd_ocr(int argc, char **argv);
int cq_cmd_bench(int argc, char **argv);
int cq_cmd_submit(int argc, char **argv);
int cq_cmd_status(int argc, char **argv);
int cq_cmd_results(int argc, char **argv);
int cq_cmd_workers(int argc, char **argv);
int cq_cmd_batches(int argc, char **argv);
int cq_cmd_quarantine(int argc, char **argv);
int cq_cmd_up(int argc, char **argv);
int cq_cmd_ledger(int argc, char **argv);
int cq_cmd_drain(int argc, char **argv);
int cq_cmd_shards(int argc, char **argv);
int cq_cmd_top(int argc, char **argv);
int cq_cmd_capture(int argc, char **argv);
int cq_cmd_review(int argc, char **argv);
int cq_cmd_replay(int argc, char **argv);

//  Benchmarks, dispatched by `claimq bench NAME`.
int cq_bench_adjudicate(int argc, char **argv);
int cq_bench_x12(int argc, char **argv);
int cq_bench_ocr(int argc, char **argv);
int cq_bench_e2e(int argc, char **argv);
int cq_bench_scale(int argc, char **argv);

#endif
