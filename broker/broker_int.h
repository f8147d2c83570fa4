//  broker_int.h: the inside of claimq-broker, shared by its files. Not a
//  public header: only broker/*.c include it.
//
//  Where each guarantee of docs/architecture.md lives:
//    1 no loss ............ journal.c (what is written, group commit), and
//                           broker.c (the turn: nothing leaves before the
//                           commit that makes it true; restart from the
//                           journal)
//    2 decided once ....... catalog.c (claim keys: one claim per key, one
//                           decision per claim) and leases.c (fencing
//                           tokens with the broker's epoch, deadlines,
//                           stale results refused, orphans found)
//    3 same answer ........ catalog.c (admission in document order) and
//                           shards.c (one owner per shard, moves only when
//                           quiet, the new owner gets the shard's history
//                           first)
//    4 no silent drops .... counters (k[]) at every drop, backend.c and
//                           frontend.c
//    5 bad input .......... backend.c / frontend.c (every message decoded
//                           by proto.c's bounded decoders before use)
//    6 poison ............. leases.c (strikes, quarantine, release)
//
//  One thread, one poll loop (broker.c), and the journal's writer thread.
//  All state is in memory and is rebuilt from the journal at start; the
//  journal is written only through journal.h's records, committed in
//  groups by the writer while the loop goes on; whatever a client or a
//  worker's orphan check must only see once it is journaled is tagged with
//  the record count at the time (cq_journal_recorded) and held until the
//  journal's committed count reaches it (self->committed).
#ifndef CQ_BROKER_INT_H
#define CQ_BROKER_INT_H

#include "broker.h"
#include "claim.h"
#include "journal.h"
#include "proto.h"
#include "tab.h"
#include "wire.h"

#include <czmq.h>

#define S_NONE UINT32_MAX
#define S_ADJ_MSG_ITEMS 512        // claims per ADJUDICATE
#define S_ADJ_MSG_BYTES (1u << 20) // bytes per ADJUDICATE (soft)
#define S_HIST_MSG_ITEMS 512       // claims per HISTORY
#define S_HIST_MSG_BYTES (1u << 20)
#define S_OUT_ITEMS 1024         // decisions per DECISIONS
#define S_OUT_BYTES (1u << 20)   // bytes per DECISIONS (soft)
#define S_REPLY_BYTES (4u << 20) // bytes per RESULTS_REPLY (soft)
#define S_HWM 100000             // messages queued per peer
#define S_TURN_MSGS 256          // messages read per socket per turn
#define S_MOVES_AT_ONCE 32       // planned shard moves in progress
#define S_TOKEN_SHIFT 40         // lease token = epoch << 40 | counter
//  A claim delivered this many times --max-attempts over without an
//  answer (every holder died, none said it died on this claim) is
//  quarantined: the last resort against poison that kills nodes which are
//  not restarted (no crash marker reaches the broker). High, so that a
//  storm of kills that has nothing to do with the claim does not reach it.
#define S_DELIVERIES_CAP_MUL 10

#define S_GROW(ptr, n, cap)                                                    \
    do {                                                                       \
        if ((n) == (cap)) {                                                    \
            (cap) = (cap) ? (cap)*2 : 16;                                      \
            (ptr) = cq_xrealloc((ptr), (size_t)(cap) * sizeof *(ptr));         \
        }                                                                      \
    } while (0)

//  ---- workers ------------------------------------------------------------

enum { W_LIVE, W_STOPPING, W_MISMATCH, W_DEAD, W_LEFT, W_PAUSED };
extern const char *const cqb_wstate[];

typedef struct {
    uint8_t rid[256]; // routing id
    size_t rid_len;
    char node_id[CQ_ID_LEN];
    char rules_version[CQ_RULES_VERSION_LEN];
    int state;                    // W_*
    uint32_t gen;                 // session count of this slot
    uint32_t credit;              // claims it may hold
    uint32_t inflight;            // claims it holds (sent, no result yet)
    uint32_t intake_credit;       // documents it may hold
    uint32_t intake_inflight;     // documents it holds
    uint32_t hb_ms;               // its heartbeat interval
    uint32_t shards;              // shards it owns
    int64_t last_recv;            // ms
    int64_t last_send;            // ms
    int64_t since_ms;             // registered at (wall clock)
    uint64_t intake_done;         // documents decoded
    uint64_t decided;             // claims decided
    char host[CQ_PROTO_HOST_LEN]; // where it runs (READY)
    uint64_t rate_base;           // decided at rate_at
    int64_t rate_at;              // ms
    uint32_t rate;                // claims decided per second, lately
    uint32_t ledger;              // its ledger (cqb_ledger_t), or S_NONE
    //  orphans to find after the next commit (READY's ledger position)
    bool orphan_check;
    uint64_t orphan_gen; // records that must be committed first
    bool goodbye_held;   // GOODBYE_OK waits for the orphan check
    uint64_t ready_seq, ready_resolved;
    char why[CQ_PROTO_MSG_LEN]; // paused / refused: why
    //  the ADJUDICATE being built this turn
    cq_mpw_t out;       // body
    size_t out_at;      // items array offset
    uint32_t out_lease; // lease slot, or S_NONE
    bool stalled;       // a send to it failed this dispatch
} cqb_worker_t;

//  The journal's knowledge of one worker ledger: which of its rows hold a
//  journaled decision (a bitmap by seq).
typedef struct {
    char id[CQ_LEDGER_ID_LEN];
    uint64_t *bits;
    size_t words;
} cqb_ledger_t;

//  ---- leases ---------------------------------------------------------

enum { L_FREE, L_INTAKE, L_ADJ };

typedef struct {
    uint64_t token;  // fencing token: epoch << 40 | counter, never reused
    int kind;        // L_*
    uint32_t worker; // holder
    uint32_t doc;    // L_INTAKE: the document
    uint32_t *cids;  // L_ADJ: claims, in send order
    uint32_t n;      // claims
    uint32_t cap;
    uint32_t remaining; // claims without a result yet
    int64_t deadline;   // ms (monotonic): after it the work is taken back
    int64_t started;    // ms: when it was given
    uint32_t next_free; // free list
} cqb_lease_t;

//  ---- claims, documents, batches ----------------------------------------

enum { C_QUEUED, C_LEASED, C_DECIDED, C_FAILED };

typedef struct {
    const char *key;     // claim key (arena)
    const uint8_t *blob; // encoded claim (arena)
    const uint8_t *dec;  // encoded decision (arena), once decided
    uint32_t blob_len;
    uint32_t dec_len;
    uint64_t key_hash;
    uint32_t same_hash; // next claim with the same key hash
    uint32_t batch;     // batch of its first submission
    uint32_t shard;
    uint8_t state;      // C_*
    uint8_t outcome;    // cq_outcome_t once decided
    uint8_t strikes;    // deliveries that certainly failed because of it
    uint8_t deliveries; // deliveries since it was queued (capped)
    uint64_t lease;     // token while leased
    uint32_t ref_doc;   // first reference: document and index
    uint32_t ref_index;
    uint32_t more_refs; // further references (cqb_ref_t list)
    //  where its decision is in the journal (compaction moves it)
    uint64_t dec_seq; // the order it was decided
    uint32_t result;  // the results row
    uint32_t ledger;  // the deciding worker's ledger (cqb_ledger_t)
    //  dec_seq of the pend its last release superseded (0: never
    //  released): while it is still dec_seq, the release waits for its
    //  new decision
    uint64_t release_of;
} cqb_claim_t;

typedef struct {
    uint32_t doc;
    uint32_t index;
    uint32_t next;
} cqb_ref_t;

enum { D_WAIT_RECEIPT, D_QUEUED, D_LEASED, D_PARKED, D_DONE, D_FAILED };

typedef struct {
    uint32_t off; // claim bytes in buf
    uint32_t len;
    uint32_t key_off; // key bytes in keys
    uint32_t key_len;
    uint64_t key_hash;
    uint32_t shard;
} cqb_pclaim_t;

typedef struct {
    uint32_t batch;
    uint32_t pos; // position in the batch
    char *name;
    uint32_t first_record;
    int32_t received_date;
    bool received_set; // the date came from the submitter
    int64_t arrived;   // wall ms its SUBMIT arrived (this run; capture)
    uint64_t size;
    zmq_msg_t data; // the document, until its intake is done
    bool has_data;
    uint8_t digest[32]; // of batch, name, first record and bytes
    uint32_t same_hash; // next document with the same digest key
    int state;          // D_*
    uint64_t lease;     // token while leased
    uint8_t strikes;    // failures that were certainly its own
    uint8_t deliveries; // deliveries since queued
    bool quarantined;   // given up (until released)
    bool gone;          // compacted away (a placeholder for its id)
    int32_t status;     // intake result
    char *message;      // why it failed
    uint32_t n_claims;
    uint32_t *cids; // its claims, in record order
    //  NULL, or per claim: 1 when its key was in the batch already (it
    //  has no entry of its own: the batch holds each key once)
    uint8_t *dup;
    uint32_t n_dup;     // claims marked in dup
    uint32_t conflicts; // claims whose key was decided with other contents
    //  X12: transaction sets refused at intake, the claims in them, and
    //  the 999 of its interchanges (from the worker's last intake part)
    uint32_t refused_sets, refused_claims;
    uint8_t *ack;
    uint32_t ack_len;
    uint32_t watcher; // client to notify, or S_NONE
    uint32_t watcher_gen;
    //  intake parts received under the current lease
    uint32_t next_part;
    cq_mpw_t pbuf;    // claim bytes
    cq_mpw_t pkeys;   // key bytes
    cqb_pclaim_t *pv; // claims
    uint32_t pn, pcap;
} cqb_doc_t;

typedef struct {
    uint32_t doc;
    uint32_t index;
} cqb_entry_t;

typedef struct {
    char id[CQ_BATCH_ID_LEN];
    char tenants[512]; // payers of the key that created it ("" plain)
    bool gone;         // compacted away (a placeholder for its id)
    uint64_t hash;
    uint32_t same_hash;
    int64_t created_ms;
    uint32_t *docs; // document indexes, in received order
    uint32_t n_docs, cap_docs;
    uint32_t next_admit;  // position of the next document to admit
    cqb_entry_t *entries; // claims in admission order, one per key
    uint32_t n_entries, cap_entries;
    cq_u64map_t in_batch; // claim id -> entry (each key once)
    bool sealed;          // its submitter sent its last document
    uint64_t sealed_docs; // documents the submitter said it sent
    uint64_t refused_sets, refused_claims; // summed over its documents
    uint64_t docs_done, docs_failed, decided, accept, reject, pend, failed;
} cqb_batch_t;

//  A failed delivery (for `claimq quarantine show`).
typedef struct {
    bool doc;        // a document (else a claim)
    uint32_t target; // its id
    int64_t at_ms;   // wall clock
    char node[CQ_ID_LEN];
    char what[96];
} cqb_fail_t;

//  ---- shards --------------------------------------------------------

typedef struct {
    uint32_t owner;    // worker slot, or S_NONE
    uint32_t target;   // planned move to this worker slot, or S_NONE
    bool moving;       // the move started: nothing more goes to owner
    uint32_t inflight; // claims leased and not answered
    cq_deque_t q;      // claims waiting, in arrival order
    uint32_t *hist;    // decided claims, in decision order
    uint32_t n_hist, cap_hist;
    int64_t moved_ms; // last owner change (wall clock), 0 never
    uint32_t moves;   // owner changes
} cqb_shard_t;

//  ---- the review queue (review.c) ---------------------------------------

//  A pended claim waiting for a person, and its lock.
typedef struct {
    uint32_t cid;
    uint8_t kind;                  // cq_review_kind_t
    int64_t pended_ms;             // wall clock
    char reason[CQ_PROTO_MSG_LEN]; // the pend's first reason (no values)
    char locked_by[CQ_ID_LEN];     // "" when free
    uint64_t token;                // the lock's, 0 when free
    int64_t lock_expires;          // wall ms
} cqb_review_t;

//  ---- clients -------------------------------------------------------

typedef struct {
    uint8_t rid[256];
    size_t rid_len;
    bool live;
    uint32_t gen;
    int64_t last_recv;
    //  the DECISIONS being built
    cq_mpw_t out;
    size_t out_at;
    uint32_t out_n;
    uint32_t out_batch;
} cqb_client_t;

typedef struct {
    uint32_t client;
    uint32_t gen;
    uint64_t rec_gen; // records that must be committed first
    uint64_t req_id;
    uint32_t batch;
    uint32_t n;
    uint32_t docs[CQ_PROTO_MAX_DOCS];
    bool fresh[CQ_PROTO_MAX_DOCS]; // new document (else a resubmission)
} cqb_receipt_t;

//  A message to a client held until the turn's commit.
typedef struct {
    uint32_t client, gen;
    int cmd;
    size_t off, len;  // bytes in outbox_bytes
    uint64_t rec_gen; // records that must be committed first (0: none)
} cqb_out_t;

//  Counters, in the order WORKERS_REPLY lists them.
enum {
    K_MSGS_IN,
    K_MSGS_OUT,
    K_MALFORMED,
    K_UNKNOWN_COMMAND,
    K_BAD_VERSION,
    K_OVERSIZED,
    K_UNEXPECTED,
    K_UNKNOWN_PEER,
    K_STALE_RESULTS,
    K_UNDELIVERABLE,
    K_PEER_BUSY,
    K_DOCS,
    K_DOCS_RESUBMITTED,
    K_DOCS_FAILED,
    K_CLAIMS,
    K_CLAIMS_RESUBMITTED,
    K_DECIDED,
    K_CLAIMS_FAILED,
    K_REQUEUED_DOCS,
    K_REQUEUED_CLAIMS,
    K_WORKERS_DEAD,
    K_SHARDS_MOVED,
    K_RECEIPT_STALLS,
    K_ARENA_BYTES,
    K_LEASES_EXPIRED,
    K_ORPHANS,
    K_QUARANTINED,
    K_RELEASED,
    K_HISTORY_SENT,
    K_JOURNAL_COMMITS,
    K_JOURNAL_FAILURES,
    K_REFUSED_FULL,
    K_WORKERS_PAUSED,
    K_NODE_ID_REFUSED,
    K_WRONG_ENDPOINT,
    K_RECORDED,
    K_RECORD_FAILURES,
    K_REVIEW_RELEASED,
    K_AUTH_REFUSED, // handshakes refused (unknown key, wrong endpoint)
    K_AUTH_REVOKED, // messages from a key revoked since its handshake
    K_AUTH_DENIED,  // requests a key's role may not make
    K_AUTH_RELOADS, // allow-lists reloaded (SIGHUP)
    K_COUNT
};
extern const char *const cqb_kname[K_COUNT];

//  ---- the pair (peer.c) -------------------------------------------------

enum { CQB_PEER_STARTING = 0, CQB_PEER_ACTIVE = 1, CQB_PEER_PASSIVE = 2 };
extern const char *const cqb_peer_states[];
typedef struct cqb_peer cqb_peer_t;

typedef struct {
    int state, role;
    int peer_state;          // CQB_PEER_*, -1 never heard
    uint64_t peer_silent_ms; // since it was last heard (UINT64_MAX never)
    uint64_t peer_epoch;
    bool synced;    // active: the backup holds the journal
    bool alone;     // active: receipts follow this disk only
    bool installed; // passive: holds the journal
    uint64_t lag;   // records not yet acknowledged by the backup
    uint64_t groups, bytes, snapshots, takeovers;
    uint64_t catchups; // a returning passive sent the tail, not a snapshot
    char peer_ep[256];
} cqb_peer_info_t;

cqb_peer_t *cqb_peer_new(cq_broker_t *b, cq_diag_t *diag);
void cqb_peer_destroy(cqb_peer_t **self_p);
void *cqb_peer_sock(cqb_peer_t *self);
const char *cqb_peer_bind_ep(const cqb_peer_t *self);
int cqb_peer_state(const cqb_peer_t *self);
//  Not active yet: follows the active peer until this broker is to be
//  active (1), or *stop (0), or a failure (<0).
int cqb_peer_standby(cq_broker_t *b, volatile sig_atomic_t *stop);
//  Active: the journal's records go to the backup from now on.
void cqb_peer_attach(cq_broker_t *b);
//  Active, stopping after the journal's last commit: when it stops to hand
//  over (--promote), the beacon that says so.
void cqb_peer_farewell(cq_broker_t *b);
//  Active: one turn of the link.
void cqb_peer_tick(cq_broker_t *b);
//  Active: what may be made visible of `local` committed records.
uint64_t cqb_peer_gate(cq_broker_t *b, uint64_t local);
bool cqb_peer_stopping(const cq_broker_t *b);
void cqb_peer_info(const cq_broker_t *b, cqb_peer_info_t *out);
//  metrics.c: the pair's samples; a standby broker's whole page.
void cqb_peer_metrics(const cq_broker_t *b, cq_buf_t *out);
void cqb_peer_metrics_standby(cq_broker_t *b);

struct cq_broker {
    cq_broker_config_t cfg;
    cqb_peer_t *peer; // the pair, or NULL alone
    zsock_t *front_sock;
    zsock_t *back_sock;
    void *front; // raw handles
    void *back;
    char front_ep[256];
    char back_ep[256];
    char rules_version[CQ_RULES_VERSION_LEN]; // the cluster's, or ""
    uint64_t seed;                            // hash seed for routing ids
    int64_t now;                              // ms, monotonic
    int64_t wall;                             // ms since 1970

    cq_journal_t *journal;         // NULL: in memory only (no --journal)
    struct cq_cap_writer *capture; // --record, or NULL
    uint64_t dec_seq;              // decisions journaled (their order)
    uint32_t next_result;          // the journal's next results row
    uint64_t intake_seq;           // documents admitted (their order)
    uint64_t epoch;     // start count on this journal (1 without one)
    uint64_t committed; // journal records committed (UINT64_MAX: none)
    bool journal_full;  // the last commit failed: hold everything
    char journal_why[CQ_PROTO_MSG_LEN];
    int64_t journal_retry; // ms: next commit attempt while failing

    cqb_worker_t *workers;
    uint32_t n_workers, cap_workers;
    cqb_ledger_t *ledgers;
    uint32_t n_ledgers, cap_ledgers;

    cqb_lease_t *leases;
    uint32_t n_leases, cap_leases, free_lease;
    cq_u64map_t lease_map; // token -> slot
    uint64_t next_token;

    cqb_claim_t *claims;
    uint32_t n_claims, cap_claims;
    cq_u64map_t key_map; // key hash -> first claim with it
    cqb_ref_t *refs;
    uint32_t n_refs, cap_refs;
    cq_arena_t arena;

    cqb_doc_t **docs;
    uint32_t n_docs, cap_docs;
    cq_u64map_t doc_map;     // digest prefix -> first document with it
    cq_deque_t intake_q;     // documents waiting for intake
    uint64_t intake_q_bytes; // their bytes

    cqb_batch_t *batches;
    uint32_t n_batches, cap_batches;
    cq_u64map_t batch_map;

    cqb_fail_t *fails; // failed deliveries, oldest first
    uint32_t n_fails, cap_fails;

    cqb_client_t *clients;
    uint32_t n_clients, cap_clients;
    cq_u64map_t client_map; // hash of routing id -> client

    cqb_receipt_t *receipts; // held receipts (FIFO)
    uint32_t rc_head, rc_n, rc_cap;

    cqb_out_t *outbox; // client messages held until the commit
    uint32_t n_out, cap_out;
    cq_buf_t outbox_bytes;

    uint32_t n_shards;
    cqb_shard_t *shards;
    uint64_t adj_queued; // claims in all shard queues
    uint32_t rotor;      // first shard looked at by the next dispatch
    uint32_t moves_active;
    bool rebalance;         // the set of eligible workers changed
    uint32_t compact_rotor; // next batch compaction looks at
    int64_t next_compact;   // ms: when compaction looks again

    cqb_review_t *reviews; // pended claims waiting, in the order pended
    uint32_t n_reviews, cap_reviews;
    uint64_t review_tokens; // locks given

    struct cqb_auth *auth;           // CURVE (auth.c), or NULL: plain
    const struct cqb_principal *who; // the key of the message being
                                     // handled (NULL: plain)
    volatile sig_atomic_t *reload;   // set by SIGHUP: reload allow-lists

    uint64_t k[K_COUNT];
    uint64_t outcomes[4];       // batch entries answered: accept,
                                // reject, pend, failed (metrics)
    struct cq_metrics *metrics; // --metrics, or NULL
    cq_mpw_t w;                 // scratch writer
    cq_wire_msg_t *in;          // scratch message
    cq_claim_t claim;           // scratch
    cq_decision_t decision;     // scratch
};

//  ---- auth.c: CURVE, allow-lists, roles and tenants ------------------
enum { CQB_ROLE_CLIENT, CQB_ROLE_WORKER, CQB_ROLE_ADMIN };
typedef struct cqb_principal {
    char key[41];     // Z85 public key
    char name[64];    // the certificate's name metadata, or the file's
    int role;         // CQB_ROLE_*
    char payers[512]; // comma-separated payer ids, "*": all (admins)
} cqb_principal_t;
//  Loads the broker's key and allow-lists and starts the ZAP handler
//  (before any socket binds). Returns 0 or CQ_EINVAL / CQ_EIO with diag.
int cqb_auth_start(cq_broker_t *self, cq_diag_t *diag);
void cqb_auth_stop(cq_broker_t *self);
//  Makes sock a CURVE server for domain (CQ_CURVE_ZAP_*).
void cqb_auth_server(cq_broker_t *self, zsock_t *sock, const char *domain);
//  The peer link of a pair: in a CURVE server admitting the broker's own
//  key only, out a CURVE client with it (both brokers hold the same key).
void cqb_auth_peer(cq_broker_t *self, zsock_t *in, zsock_t *out);
//  The ZAP socket (poll it), and its handler.
void *cqb_auth_sock(cq_broker_t *self);
void cqb_auth_handle(cq_broker_t *self);
//  Rereads the allow-lists (SIGHUP). Keys gone are refused from their next
//  message on.
void cqb_auth_reload(cq_broker_t *self);
//  Who sent in (by its CURVE key). Plain: sets self->who = NULL and
//  returns true. A key no longer allowed: counted, false.
bool cqb_auth_who(cq_broker_t *self, cq_wire_msg_t *in);
//  Is payer (n bytes) one of list's comma-separated ids, or list "*"?
bool cqb_auth_list_has(const char *list, const char *payer, size_t n);
//  May self->who act for payer (a claim's payer id)? Plain or admin: yes.
bool cqb_auth_payer(const cq_broker_t *self, const char *payer);
//  May a batch owned by tenants (payers list as stored) be seen by
//  self->who? Plain or admin: yes.
bool cqb_auth_tenants(const cq_broker_t *self, const char *tenants);

//  ---- metrics.c: the Prometheus endpoint ------------------------------
//  Publishes the metrics when due (once a second).
void cqb_metrics_tick(cq_broker_t *self);

//  ---- broker.c -----------------------------------------------------------
uint64_t cqb_str_hash(const char *s);

//  ---- record.c: the capture (--record) ---------------------------------
//  Opens cfg.record_path. Returns 0, or CQ_EIO / CQ_EPROTO with diag.
int cqb_record_open(cq_broker_t *self, cq_diag_t *diag);
//  Document di was received (its receipt goes out).
void cqb_record_doc(cq_broker_t *self, uint32_t di);
//  The claim at (doc, index) reached its end (dec NULL: failed).
void cqb_record_decision(cq_broker_t *self, uint32_t doc, uint32_t index,
                         const uint8_t *dec, size_t len);
//  End of a turn: what was recorded goes to the file.
void cqb_record_flush(cq_broker_t *self);
void cqb_record_close(cq_broker_t *self);

//  ---- catalog.c: batches, documents, claims ----------------------------
uint32_t cqb_batch_find(cq_broker_t *self, const char *id, bool add);
//  Adds document di (new) to its batch and the digest map.
void cqb_doc_index(cq_broker_t *self, uint32_t di);
//  A claim reached its end (decided or failed): count it in the batches
//  of its references and tell their watchers.
void cqb_claim_final(cq_broker_t *self, uint32_t cid);
//  Admits the batch's parked documents in received order.
void cqb_batch_admit(cq_broker_t *self, uint32_t bi);
//  Document di is parked (decoded or quarantined): admits what can be. A
//  document released from quarantine, behind its batch's admission point,
//  is admitted at once, after what its batch admitted meanwhile.
void cqb_doc_parked(cq_broker_t *self, uint32_t di);
//  Frees a document's intake parts.
void cqb_doc_parts_free(cqb_doc_t *d);
//  Compacts one finished batch older than the retention, if any (journal
//  commits must be done). Returns true when it compacted one.
bool cqb_compact_one(cq_broker_t *self);
//  Recounts every batch's counters from its entries (after a restart).
void cqb_batches_recount(cq_broker_t *self);
//  Every document through intake and every claim final; with sealed, the
//  batch is complete.
bool cqb_batch_final(const cqb_batch_t *b);
//  Adds entry (doc, index) for claim cid to batch bi unless the batch
//  holds cid already (then the document's claim is marked a duplicate).
//  True when it added one.
bool cqb_batch_enter(cq_broker_t *self, uint32_t bi, uint32_t cid, uint32_t doc,
                     uint32_t index);
//  Workers that can take work now.
uint32_t cqb_workers_live(const cq_broker_t *self);
//  Records claim cid's decision (raw, decoded in self->decision).
void cqb_claim_decided(cq_broker_t *self, uint32_t cid, const uint8_t *raw,
                       size_t len, uint8_t outcome);
//  A new claim entry (restart and admission share it).
uint32_t cqb_claim_add(cq_broker_t *self, const char *key, size_t key_len,
                       uint64_t key_hash, const uint8_t *blob, size_t len,
                       uint32_t batch, uint32_t shard, uint32_t doc,
                       uint32_t index);
//  Entry (doc, index) points at existing claim cid.
void cqb_claim_ref(cq_broker_t *self, uint32_t cid, uint32_t doc,
                   uint32_t index);
//  The claim with key, or S_NONE.
uint32_t cqb_claim_by_key(cq_broker_t *self, const char *key, size_t len,
                          uint64_t hash);

//  ---- leases.c: workers, leases, dispatch, poison ----------------------
bool cqb_eligible(const cqb_worker_t *w);
uint32_t cqb_worker_by_rid(cq_broker_t *self, const uint8_t *rid, size_t len);
int cqb_send_worker(cq_broker_t *self, cqb_worker_t *w, cq_cmd_t cmd,
                    const cq_mpw_t *body, zmq_msg_t *extra, int n_extra);
uint32_t cqb_lease_new(cq_broker_t *self, int kind, uint32_t worker);
void cqb_lease_free(cq_broker_t *self, uint32_t li);
//  Takes back the work of a lease. blame: the lost delivery counts as a
//  strike against each item (a timeout, or a crash the worker pinned on
//  it); counted: how many of its unanswered items, from its first, count
//  as delivered at all (0: never delivered; UINT32_MAX: all).
void cqb_lease_requeue(cq_broker_t *self, uint32_t li, bool blame,
                       uint32_t counted, const char *why);
//  A worker is gone (state W_DEAD / W_LEFT / W_PAUSED): its leases go
//  back, its shards get new owners.
void cqb_worker_gone(cq_broker_t *self, uint32_t wi, int state,
                     const char *why);
//  Leases past their deadline are taken back.
void cqb_leases_expire(cq_broker_t *self);
void cqb_dispatch_intake(cq_broker_t *self);
void cqb_dispatch_adj(cq_broker_t *self);
//  A strike against a claim (doc: a document) whose delivery failed
//  because of it; quarantines it at max_attempts.
void cqb_strike(cq_broker_t *self, bool doc, uint32_t id, const char *node,
                const char *why);
//  Quarantine a claim (doc: document) now.
void cqb_quarantine(cq_broker_t *self, bool doc, uint32_t id, const char *why);
//  Queues a quarantined item again. 0 or CQ_ENOTFOUND / CQ_EINVAL.
int cqb_release(cq_broker_t *self, bool doc, uint32_t id);
void cqb_fail_note(cq_broker_t *self, bool doc, uint32_t id, const char *node,
                   const char *what);
//  The ledger entry of id (added when add), or S_NONE.
uint32_t cqb_ledger_find(cq_broker_t *self, const char *id, bool add);
void cqb_ledger_set(cq_broker_t *self, uint32_t li, uint64_t seq);
bool cqb_ledger_has(const cq_broker_t *self, uint32_t li, uint64_t seq);
//  Finds and sends the orphans of workers that registered, once the
//  journal holds what they registered against.
void cqb_orphan_checks(cq_broker_t *self);

//  ---- shards.c: the shard map and moves ---------------------------------
//  The owner of shard s for dispatch now: assigns one (sending the shard's
//  history first) when it has none; S_NONE while moving or when no worker
//  can take it.
uint32_t cqb_shard_owner(cq_broker_t *self, uint32_t s);
//  Plans moves after the set of eligible workers changed, and completes
//  moves whose shards are quiet.
void cqb_shards_rebalance(cq_broker_t *self);
//  Forget owner wi (gone): its shards have no owner, moves to it stop.
void cqb_shards_drop_owner(cq_broker_t *self, uint32_t wi);

//  ---- frontend.c: client sessions ----------------------------------------
void cqb_on_frontend(cq_broker_t *self, cq_wire_msg_t *in);
//  Queues a message to a client (sent after the commit).
void cqb_send_client(cq_broker_t *self, uint32_t ci, cq_cmd_t cmd,
                     const cq_mpw_t *body, bool durable);
void cqb_client_flush(cq_broker_t *self, uint32_t ci);
void cqb_notify(cq_broker_t *self, uint32_t di, uint32_t index,
                const uint8_t *raw, size_t len);
void cqb_send_doc_done(cq_broker_t *self, uint32_t di);
//  Receipts whose documents are journaled (self->committed).
void cqb_release_receipts(cq_broker_t *self);
//  Sends what the outbox holds that the journal allows (self->committed).
void cqb_outbox_send(cq_broker_t *self);
//  The journal's record count now (0 without a journal).
uint64_t cqb_recorded(const cq_broker_t *self);
void cqb_clients_tick(cq_broker_t *self);

//  ---- backend.c: worker sessions -----------------------------------------
void cqb_on_backend(cq_broker_t *self, cq_wire_msg_t *in);
void cqb_workers_tick(cq_broker_t *self);
void cqb_count_drop(cq_broker_t *self, int rc, const cq_diag_t *diag,
                    const char *side);
//  Checks a received message's routing id and frames (counted); 0 when it
//  may be handled, else why it was dropped.
int cqb_parse(cq_broker_t *self, cq_wire_msg_t *in, const char *side);

//  ---- review.c: pended claims waiting for a person ----------------------
//  Claim cid was decided pend (at wall ms): it waits in the review queue.
void cqb_review_pended(cq_broker_t *self, uint32_t cid, int64_t at_ms);
//  After a restart: every claim whose decision is a pend waits.
void cqb_review_rebuild(cq_broker_t *self);
//  True when a claim of batch bi waits for a person (it is not compacted).
bool cqb_review_batch_waiting(const cq_broker_t *self, uint32_t bi);
void cqb_on_review(cq_broker_t *self, uint32_t ci, cq_wire_msg_t *in);
//  (catalog.c) A released claim is no longer final: its batches count it
//  undecided again.
void cqb_claim_unfinal(cq_broker_t *self, uint32_t cid);
//  (catalog.c) Takes cid's last entry out of shard s's history.
void cqb_shard_hist_drop(cq_broker_t *self, uint32_t s, uint32_t cid);
//  (catalog.c) Claim cid is known by another key from now on.
void cqb_claim_rekey(cq_broker_t *self, uint32_t cid, const char *key,
                     size_t len);

//  ---- restart.c: state from the journal ----------------------------------
int cqb_restore(cq_broker_t *self, cq_diag_t *diag);

#endif
