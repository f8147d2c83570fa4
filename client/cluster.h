//  cluster.h: a local broker and N workers as child processes on loopback
//  (`claimq up`, `claimq bench e2e`, the integration tests). Each daemon
//  prints one READY line on stdout; it is read with a timeout.
#ifndef CQ_CLUSTER_H
#define CQ_CLUSTER_H

#include "err.h"

#include <sys/types.h>

//  One child process.
typedef struct {
    pid_t pid;        // 0 when not running
    int out_fd;       // its stdout (the READY line), or -1
    char ready[1024]; // the READY line, without the newline
    int status;       // exit code once reaped (128+sig when killed)
    bool reaped;
} cq_child_t;

//  Starts argv[0] (a path) with stdout on a pipe, stderr inherited (or to
//  stderr_fd when >= 0). Returns 0 or CQ_EIO.
int cq_child_spawn(cq_child_t *c, char *const argv[], int stderr_fd);
//  Reads the first line of its stdout within timeout_ms. Returns 0,
//  CQ_ETIMEDOUT, or CQ_EIO (it exited first: c->status says how).
int cq_child_wait_ready(cq_child_t *c, int timeout_ms);
//  The value of key=VALUE in the READY line into out. False if absent.
bool cq_child_ready_get(const cq_child_t *c, const char *key, char *out,
                        size_t n);
//  Sends sig and waits up to timeout_ms for the exit (then SIGKILL).
//  Returns its exit code (128+signal if killed by one).
int cq_child_stop(cq_child_t *c, int sig, int timeout_ms);
//  Non-blocking: true if it has exited (c->status set).
bool cq_child_exited(cq_child_t *c);

#define CQ_CLUSTER_MAX_WORKERS 64

typedef struct {
    const char *bin_dir;            // where claimq-broker / claimq-worker are;
                                    // NULL: next to /proc/self/exe
    const char *dir;                // ledgers go here (created)
    const char *plan;               // plan rules
    const char *members;            // roster
    const char *frontend;           // default tcp://127.0.0.1:*
    int workers;                    // default 2
    int credit;                     // worker --credit (0: default)
    int heartbeat_ms;               // 0: default
    int stderr_fd;                  // children's stderr (-1: inherit)
    const char *const *broker_args; // extra broker arguments, NULL-ended
    const char *journal;            // broker --journal DIR (NULL: none, the
                                    // broker keeps its state in memory)
    const char *log_format;         // --log-format for every child (NULL:
                                    // theirs, text)
} cq_cluster_opts_t;

typedef struct {
    cq_child_t broker;
    cq_child_t workers[CQ_CLUSTER_MAX_WORKERS];
    int n_workers;
    char frontend[256];
    char backend[256];
    cq_cluster_opts_t opts;
    char bin_dir[4096];
} cq_cluster_t;

//  Directory of the running executable (for finding the daemons).
int cq_cluster_self_dir(char *out, size_t n);
//  Starts the broker, then the workers, each up to its READY line.
//  Returns 0, or an error with diag (and nothing left running).
int cq_cluster_start(cq_cluster_t *cl, const cq_cluster_opts_t *o,
                     cq_diag_t *diag);
//  Starts one more worker (node id "w<index+1>"); returns 0 or an error.
int cq_cluster_add_worker(cq_cluster_t *cl, cq_diag_t *diag);
//  Starts worker i again after it exited (or was killed): the same node id
//  and ledger. wait: up to its READY line. Returns 0 or an error.
int cq_cluster_restart_worker(cq_cluster_t *cl, int i, bool wait,
                              cq_diag_t *diag);
//  Starts the broker again (after it exited or was killed) with the same
//  arguments (its journal) on the endpoints it had bound (cl->frontend,
//  cl->backend), up to its READY line. Returns 0, or an error with diag.
int cq_cluster_restart_broker(cq_cluster_t *cl, cq_diag_t *diag);
//  SIGTERM to the workers (they finish what they hold), then the broker.
//  Returns 0 when every process exited 0.
int cq_cluster_stop(cq_cluster_t *cl);

#endif
