//  worker.h: claimq-worker (docs/architecture.md): one DEALER to the broker's
//  backend. Intake (decoding documents) runs on intake threads
//  (intake.h); adjudication runs on the main thread against the node's own
//  SQLite ledger: every ADJUDICATE waiting is decided, the ledger commits
//  once, then the RESULTs go out (a decision is reported only once it is
//  in the ledger). Heartbeats both ways; a broker silent for 3 of its
//  heartbeats is reconnected to (new socket, READY again).
#ifndef CQ_WORKER_H
#define CQ_WORKER_H

#include "err.h"

#include <signal.h>

typedef struct {
    const char *broker;      // backend endpoint
    const char *node_id;     // stable node id [A-Za-z0-9._-]{1,39}
    const char *ledger;      // ledger file
    const char *plan;        // plan rules file
    const char *members;     // member roster
    uint32_t credit;         // claims in flight (default 1024)
    uint32_t intake_threads; // intake threads (default 1)
    uint32_t intake_credit;  // documents in flight (default 2 per thread)
    uint32_t heartbeat_ms;   // default 1000
    //  Rules that differ from the cluster's: wait for the cluster to
    //  change (true), or stop (false, the default: cq_worker_run returns
    //  CQ_EUNSUPPORTED).
    bool wait_for_rules;
    //  CURVE (curve.h): this node's secret key file and the broker's
    //  public key file; NULL: $CLAIMQ_CURVE_KEY / $CLAIMQ_BROKER_KEY, else
    //  plain
    const char *curve_key;
    const char *broker_key;
    const char *metrics; // "HOST:PORT" of a Prometheus endpoint, or NULL
} cq_worker_config_t;

typedef struct cq_worker cq_worker_t;

void cq_worker_config_default(cq_worker_config_t *cfg);
//  Loads the engine and opens the ledger. NULL with diag on a setup error
//  (bad plan, roster or ledger: exit 3).
cq_worker_t *cq_worker_new(const cq_worker_config_t *cfg, cq_diag_t *diag);
void cq_worker_destroy(cq_worker_t **self_p);
const char *cq_worker_rules_version(const cq_worker_t *self);
//  The metrics endpoint's URL, or NULL without cfg.metrics.
const char *cq_worker_metrics_url(const cq_worker_t *self);

//  Called once, when the broker first accepts the worker.
typedef void(cq_worker_ready_fn)(void *arg, const char *node_id,
                                 const char *broker);

//  Works until *stop, then stops gracefully: GOODBYE, finishes what it
//  holds, commits, reports, returns 0. Returns CQ_EIO when the ledger
//  cannot commit (the process should exit 1: the broker gives the work to
//  another node). The broker may refuse it (the process should exit 3,
//  the log says why): CQ_EEXIST, its node id is live on another
//  connection; CQ_EUNSUPPORTED, its rules differ from the cluster's
//  (without wait_for_rules); CQ_EINVAL, the endpoint is the broker's
//  client endpoint, not the worker endpoint.
int cq_worker_run(cq_worker_t *self, volatile sig_atomic_t *stop,
                  cq_worker_ready_fn *ready, void *arg);

#endif
