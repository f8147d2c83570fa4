//  broker.h: claimq-broker (docs/architecture.md): a frontend ROUTER for
//  clients, a backend ROUTER for workers, one thread, one poll loop.
//
//  The two stages: a document goes to any worker with free intake credit
//  (INTAKE); its claims come back (INTAKE_DONE) and are admitted in the
//  batch's document order, keyed by claim key (a key already known is not
//  decided again: the new entry points at the existing claim); each claim
//  joins the queue of its shard (member hash mod S), and goes, in arrival
//  order, to the shard's owner (ADJUDICATE), which reports its decision
//  after its ledger commit (RESULT). Decisions are pushed to the client
//  that submitted (DECISIONS) and kept for STATUS / RESULTS.
//
//  Durable by default: everything a client was told is in the journal
//  (journal.h) first, and a broker restarted on its journal resumes where
//  it stopped (restart.c). broker_int.h maps the guarantees
//  (docs/architecture.md) to the files that keep them.
#ifndef CQ_BROKER_H
#define CQ_BROKER_H

#include "err.h"

#include <signal.h>

typedef struct {
    const char *frontend;      // bind endpoint for clients
    const char *backend;       // bind endpoint for workers
    const char *journal_dir;   // journal directory, or NULL: in memory
                               // only (nothing survives a restart)
    const char *rules_version; // pin the cluster's rules, or NULL: the
                               // first worker's
    uint32_t shards;           // S (default 256)
    uint32_t heartbeat_ms;     // broker -> worker heartbeat (default 1000)
    size_t max_frame;          // any frame over this is dropped (64 MiB)
    size_t max_queued_bytes;   // receipts wait while this many document
                               // bytes wait for intake (256 MiB)
    uint32_t max_attempts;     // deliveries before a claim or document is
                               // failed (default 3)
    uint32_t client_idle_ms;   // a client silent this long is probed with
                               // HEARTBEAT; forgotten only when gone
                               // (default 10 min)
    uint32_t lease_ms;         // an ADJUDICATE not answered within this is
                               // taken back (default 30 s)
    uint32_t intake_lease_ms;  // likewise an INTAKE, unless the worker
                               // extends it (EXTEND; default 30 s)
    uint32_t max_intake_ms;    // extensions stop here (default 10 min)
    uint32_t retain_days;      // finished batches older than this leave
                               // the journal's hot tables (default 30)
    const char *record_path;   // capture file (record.c), or NULL
    uint64_t record_max_bytes; // a capture file rotates past this (1 GiB)
    uint32_t record_files;     // capture files kept, rotated ones included
                               // (default 4)
    //  CURVE (docs/security.md): the broker's secret key file, and the
    //  allow-list directories of public keys. curve_key NULL: plain.
    const char *curve_key;
    const char *allow_clients; // client keys (each with its payers)
    const char *allow_workers; // worker keys
    const char *allow_admins;  // admin keys (may be NULL)
    const char *metrics;       // "HOST:PORT" of the Prometheus endpoint,
                               // or NULL: none
    //  A pair (peer.c): the other broker's peer endpoint, this one's, the
    //  role, and how long a silent peer is waited for. peer NULL: alone.
    const char *peer;
    const char *peer_bind;
    int role; // CQ_BROKER_PRIMARY / CQ_BROKER_BACKUP
    uint32_t peer_timeout_ms;
    uint32_t peer_catchup_mb; // records kept for a returning passive
    bool promote; // a backup that may start active (its primary is dead)
} cq_broker_config_t;

enum { CQ_BROKER_ALONE = 0, CQ_BROKER_PRIMARY = 1, CQ_BROKER_BACKUP = 2 };

typedef struct cq_broker cq_broker_t;

void cq_broker_config_default(cq_broker_config_t *cfg);
//  Opens the journal and restores what it holds, then binds both sockets.
//  Returns NULL and fills diag (journal unusable or corrupt, or bind
//  failed: exit 3).
cq_broker_t *cq_broker_new(const cq_broker_config_t *cfg, cq_diag_t *diag);
void cq_broker_destroy(cq_broker_t **self_p);
//  The bound endpoints, ports resolved ("tcp://127.0.0.1:41873").
const char *cq_broker_frontend(const cq_broker_t *self);
const char *cq_broker_backend(const cq_broker_t *self);
//  True when it journals (receipts follow an fsync).
bool cq_broker_durable(const cq_broker_t *self);
//  Serves until *stop becomes nonzero. Returns 0.
int cq_broker_run(cq_broker_t *self, volatile sig_atomic_t *stop);
//  A flag that, once set (SIGHUP), makes the running broker reread its
//  allow-lists and clear it.
void cq_broker_set_reload(cq_broker_t *self, volatile sig_atomic_t *flag);
//  The metrics endpoint's URL, or NULL without --metrics.
const char *cq_broker_metrics_url(const cq_broker_t *self);
//  True when its sockets use CURVE.
bool cq_broker_curve(const cq_broker_t *self);
//  The peer endpoint it bound (--peer-bind resolved), or NULL alone.
const char *cq_broker_peer_endpoint(const cq_broker_t *self);
//  After cq_broker_run: true when it stopped because another broker of
//  its pair is active with a newer epoch (exit 4).
bool cq_broker_stepped_down(const cq_broker_t *self);

#endif
