//  cq_proc.h: helpers for the integration tests: generated data, a local
//  cluster of the real binaries (client/cluster.h) with kernel-picked
//  ports, running `claimq`, reading decisions and ledgers.
#ifndef CQ_PROC_H
#define CQ_PROC_H

#include "cluster.h"
#include "cq_test.h"

#include <stddef.h>

//  Writes plan.json, members.jsonl and claims.jsonl (claimq gen's data,
//  seed 1) into dir. Returns 0.
int cq_proc_gen(const char *dir, size_t n_claims, size_t n_members);

//  Starts a broker and `workers` workers from CQ_BINARY_DIR on 127.0.0.1
//  with data from dir (plan.json, members.jsonl), ledgers in dir. Their
//  stderr goes to dir/cluster.log. extra_broker: more broker arguments
//  (NULL-ended, or NULL). cl must outlive the test (static): it is
//  remembered for cq_proc_cleanup. Returns 0 (asserts in the caller).
int cq_proc_cluster(cq_cluster_t *cl, const char *dir, int workers,
                    int heartbeat_ms, const char *const *extra_broker);

//  Starts `claimq up --workers N` on dir's data (plan.json, members.jsonl;
//  run files in dir/run, stderr in dir/up.log), waits for its READY line
//  and writes the frontend endpoint into frontend. Returns 0, or -1 when it
//  could not start or printed no READY line within 60 s.
int cq_proc_up(cq_child_t *up, const char *dir, int workers, char *frontend,
               size_t frontend_size);

//  Starts worker i of cl again (after it exited or was killed): node id
//  w<i+1>, the same ledger, plan and roster, the environment of this
//  process. wait: until its READY line (60 s). Returns 0.
int cq_proc_restart_worker(cq_cluster_t *cl, int i, bool wait);
//  Starts cl's broker again (after it exited or was killed) on the same
//  endpoints with the same arguments (its journal), up to its READY line.
//  Returns 0.
int cq_proc_restart_broker(cq_cluster_t *cl);

//  Kills (SIGKILL) every process of the clusters started by
//  cq_proc_cluster that is still running: use as a test's .fini, so that a
//  failed assertion leaves nothing behind.
void cq_proc_cleanup(void);

//  Runs build/claimq with the NULL-ended arguments; fills r. Returns the
//  exit status.
int cq_proc_claimq(cq_run_t *r, int timeout_s, const char *arg, ...);

//  The decisions of a JSON Lines file, one string per line, each parsed
//  and written again with node, ledger_seq and batch_id cleared (what may
//  differ between the distributed run and the oracle). NULL if the file
//  cannot be read or a line does not parse.
char **cq_proc_decisions(const char *path, size_t *n);
void cq_proc_lines_free(char **lines, size_t n);

//  The claim keys of a ledger's decisions that count (orphans and their
//  markers left out), in seq order.
char **cq_proc_ledger_keys(const char *ledger, size_t *n);

//  A counter from `claimq workers` (-1 when absent or unreachable).
long long cq_proc_counter(const char *frontend, const char *name);
//  A worker's field ("intake_done", "decided", ...) from `claimq workers`
//  (-1 when absent).
long long cq_proc_worker_field(const char *frontend, const char *node,
                               const char *field);
//  A field of `claimq status BATCH` (-1 when absent).
long long cq_proc_status_field(const char *frontend, const char *batch,
                               const char *field);

//  ---- what `claimq submit` leaves behind --------------------------------

//  Lines in a file (0 when it cannot be read).
size_t cq_proc_count_lines(const char *path);
//  The distinct claim ids of a decisions file, *lines its lines; (size_t)-1
//  when a line is not JSON with a claim_id or the file ends mid-line.
size_t cq_proc_distinct_ids(const char *path, size_t *lines);
//  Polls (every 10 ms, up to timeout_ms) until path has n lines or more.
bool cq_proc_wait_lines(const char *path, size_t n, int timeout_ms);
//  Waits up to timeout_ms for c to exit: its exit status, or -1 when it
//  was still running (it is killed).
int cq_proc_wait_exit(cq_child_t *c, int timeout_ms);
//  The command printed after "to resume it, run" in a submit's messages,
//  split into argv in place (its arguments hold no spaces); argc, or -1.
int cq_proc_resume_argv(char *text, char **argv, int max);

#endif
