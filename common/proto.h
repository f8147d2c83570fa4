//  proto.h: the claimq wire protocol (schemas/proto.md). Every message is a
//  4-byte header frame (signature "CQ", version, command), one msgpack body
//  frame (an array of positional fields), and for SUBMIT and INTAKE the
//  documents' bytes as raw frames after the body.
//
//  Pure: no zmq and no I/O here, so the codec is unit-tested and fuzzed on
//  its own (wire.h moves these buffers through sockets). Encoding goes
//  through msgpack-c's packer; decoding uses a bounded cursor with a sticky
//  error (cq_cur_t) instead of msgpack-c's unpacker, because the unpacker
//  allocates from counts it reads off the wire before it knows the elements
//  are there. Every count and length is checked against a cap below before
//  anything is allocated or copied; fixed-size C fields are the caps for
//  strings.
#ifndef CQ_PROTO_H
#define CQ_PROTO_H

#include "limit.h"
#include "claim.h"
#include "decision.h"
#include "err.h"

#include <msgpack.h>

#define CQ_PROTO_SIG0 0x43 // 'C'
#define CQ_PROTO_SIG1 0x51 // 'Q'
#define CQ_PROTO_VERSION 1
#define CQ_PROTO_HDR_LEN 4

//  Caps (schemas/proto.md "Limits"). A frame over max_frame (a receiver's
//  setting, default CQ_PROTO_MAX_FRAME) is dropped before it is decoded.
#define CQ_PROTO_MAX_FRAMES (CQ_PROTO_MAX_DOCS + 2) // frames per message
#define CQ_PROTO_MAX_WORKERS 1024       // workers in a WORKERS_REPLY
#define CQ_PROTO_MAX_COUNTERS 64        // counters in a WORKERS_REPLY
#define CQ_PROTO_MAX_DEPTH 8            // nesting of arrays anywhere in a body
#define CQ_PROTO_MAX_CREDIT 65536       // claims a worker may hold
#define CQ_PROTO_MAX_INTAKE_CREDIT 1024 // documents a worker may hold
#define CQ_BATCH_ID_LEN 64              // "b-20260302-0001" (with the NUL)
#define CQ_DOC_NAME_LEN 256             // a document's name (file name)
#define CQ_PROTO_MSG_LEN 256            // error / reason messages
#define CQ_PROTO_STATE_LEN 16           // worker state names
#define CQ_PROTO_COUNTER_LEN 32         // counter names
#define CQ_LEDGER_ID_LEN 40             // a ledger's id (32 hex digits)
#define CQ_PROTO_MAX_RANGES 4096        // ranges in an ORPHANS
#define CQ_PROTO_MAX_EXTEND 1024        // leases in an EXTEND
#define CQ_PROTO_MAX_QITEMS 1024        // items in a QUARANTINE_REPLY
#define CQ_PROTO_MAX_QHIST 32           // history entries per item
#define CQ_QID_LEN 24                   // "claim:123", "doc:45"
#define CQ_PROTO_MAX_ACK (4u << 20)     // a document's 999, bytes
#define CQ_PROTO_MAX_BATCHES 4096       // items in a BATCHES_REPLY
#define CQ_PROTO_MAX_SHARDS 65536       // items in a SHARDS_REPLY
#define CQ_PROTO_HOST_LEN 64            // a host name, with its NUL
#define CQ_PROTO_MAX_HAVE 4096          // digests per HAVE
//  A worker decides the claims it holds in delivery order, at most this
//  many between two ledger commits (a round); a worker that dies has not
//  reached the claims it held past its first round
#define CQ_PROTO_ROUND_CLAIMS 256
#define CQ_DIGEST_LEN 32         // a document's digest (SHA-256)
#define CQ_REVIEW_MAX_TENANTS 64 // tenants (payer ids) per REVIEW
#define CQ_REVIEW_MAX_ITEMS 1000 // items per REVIEW_REPLY

typedef enum {
    //  backend: worker <-> broker
    CQ_CMD_READY = 0x01,       // W->B register: node id, credit, rules
    CQ_CMD_WELCOME = 0x02,     // B->W registered (or refused, with reason)
    CQ_CMD_HEARTBEAT = 0x03,   // both ways when otherwise silent
    CQ_CMD_DISCONNECT = 0x04,  // B->W unknown / replaced peer: re-READY
    CQ_CMD_INTAKE = 0x05,      // B->W decode one document (+1 raw frame)
    CQ_CMD_INTAKE_DONE = 0x06, // W->B claims of a document, in parts
    CQ_CMD_ADJUDICATE = 0x07,  // B->W claims of owned shards, in order
    CQ_CMD_RESULT = 0x08,      // W->B decisions, after the ledger commit
    CQ_CMD_GOODBYE = 0x09,     // W->B stopping: send no more work
    CQ_CMD_GOODBYE_OK = 0x0A,  // B->W nothing more will come
    CQ_CMD_HISTORY = 0x0B,     // B->W a shard's decided claims (its state)
    CQ_CMD_ORPHANS = 0x0C,     // B->W ledger rows the journal never took
    CQ_CMD_EXTEND = 0x0D,      // W->B intake leases still being worked on
    CQ_CMD_PAUSE = 0x0E,       // W->B cannot take work (ledger failing)
    CQ_CMD_DRAIN = 0x0F,       // B->W stop as on SIGTERM (`claimq drain`)
    //  frontend: client <-> broker
    CQ_CMD_SUBMIT = 0x20,           // C->B documents of a batch (+raw frames)
    CQ_CMD_RECEIPT = 0x21,          // B->C documents received (doc ids)
    CQ_CMD_DOC_DONE = 0x22,         // B->C a document's intake finished
    CQ_CMD_DECISIONS = 0x23,        // B->C decisions of a batch
    CQ_CMD_STATUS = 0x24,           // C->B a batch's counts
    CQ_CMD_STATUS_REPLY = 0x25,     // B->C
    CQ_CMD_RESULTS = 0x26,          // C->B a page of a batch's decisions
    CQ_CMD_RESULTS_REPLY = 0x27,    // B->C
    CQ_CMD_WORKERS = 0x28,          // C->B workers and broker counters
    CQ_CMD_WORKERS_REPLY = 0x29,    // B->C
    CQ_CMD_QUARANTINE = 0x2A,       // C->B list / show / release quarantined
    CQ_CMD_QUARANTINE_REPLY = 0x2B, // B->C
    CQ_CMD_SEAL = 0x2C,             // C->B the submitter sent its last document
    CQ_CMD_SEAL_REPLY = 0x2D,       // B->C
    CQ_CMD_BATCHES = 0x2E,          // C->B the batches the broker holds
    CQ_CMD_BATCHES_REPLY = 0x2F,    // B->C
    CQ_CMD_ACKS = 0x30,             // C->B a batch's 999 acknowledgments
    CQ_CMD_ACKS_REPLY = 0x31,       // B->C
    CQ_CMD_DRAIN_NODE = 0x32,       // C->B drain a worker: its shards move
    CQ_CMD_DRAIN_REPLY = 0x33,      // B->C
    CQ_CMD_SHARDS = 0x34,           // C->B the shard map
    CQ_CMD_SHARDS_REPLY = 0x35,     // B->C
    CQ_CMD_HAVE = 0x36,             // C->B which of these documents are held
    CQ_CMD_HAVE_REPLY = 0x37,       // B->C
    CQ_CMD_REVIEW = 0x38,           // C->B the review queue (claimq review)
    CQ_CMD_REVIEW_REPLY = 0x39,     // B->C
    //  peer link: broker <-> broker (issue 15, broker/peer.c)
    CQ_CMD_PEER_BEACON = 0x40, // both ways: state, epoch, session, position
    CQ_CMD_PEER_SNAP = 0x41,   // A->P a piece of the journal's snapshot
    CQ_CMD_PEER_GROUP = 0x42,  // A->P journal records (or a compaction)
    CQ_CMD_PEER_ACK = 0x43,    // P->A applied and fsynced up to here
} cq_cmd_t;

//  "READY", ... or NULL for a byte that is no command.
const char *cq_cmd_name(int cmd);

//  Writes the header of cmd into out.
void cq_proto_hdr_encode(cq_cmd_t cmd, uint8_t out[CQ_PROTO_HDR_LEN]);
//  Checks signature, version and command. Returns 0 (*cmd set),
//  CQ_EPROTO (not a claimq header), CQ_EUNSUPPORTED (other version) or
//  CQ_ENOTFOUND (unknown command; *cmd holds the byte).
int cq_proto_hdr_decode(const uint8_t *p, size_t n, int *cmd, cq_diag_t *diag);

//  ---- msgpack writer: msgpack-c's packer into a growable buffer --------
typedef struct {
    uint8_t *data;     // encoded bytes (owned)
    size_t len;        // bytes used
    size_t cap;        // bytes allocated
    msgpack_packer pk; // writes into this struct (re-aimed on each use)
} cq_mpw_t;

void cq_mpw_init(cq_mpw_t *w);
void cq_mpw_free(cq_mpw_t *w);
void cq_mpw_reset(cq_mpw_t *w);
void cq_mpw_array(cq_mpw_t *w, uint32_t n);
void cq_mpw_uint(cq_mpw_t *w, uint64_t v);
void cq_mpw_int(cq_mpw_t *w, int64_t v);
void cq_mpw_bool(cq_mpw_t *w, bool v);
void cq_mpw_nil(cq_mpw_t *w);
void cq_mpw_str(cq_mpw_t *w, const char *s);
void cq_mpw_strn(cq_mpw_t *w, const char *s, size_t n);
void cq_mpw_bin(cq_mpw_t *w, const void *p, size_t n);
//  Appends already-encoded msgpack (one complete object) as is.
void cq_mpw_raw(cq_mpw_t *w, const void *p, size_t n);
//  An array whose count is known only at the end: _open writes a 5-byte
//  array32 header and returns its offset, _close patches the count.
size_t cq_mpw_array_open(cq_mpw_t *w);
void cq_mpw_array_close(cq_mpw_t *w, size_t at, uint32_t n);

//  ---- msgpack cursor: bounded reads with a sticky error ----------------
//  Every read is a no-op (returning 0 / NULL) once err is set; the caller
//  checks err once at the end (SQLite's sticky rc).
typedef struct {
    const uint8_t *start; // first byte of the body
    const uint8_t *pos;   // next unread byte
    const uint8_t *end;   // one past the last byte
    int err;              // first error (cq_err_t), 0 while fine
    size_t err_at;        // byte offset of the first error
    const char *err_what; // field being read at the first error
    int depth;            // arrays entered (for skipping)
} cq_cur_t;

void cq_cur_init(cq_cur_t *c, const void *p, size_t n);
//  Fails the cursor (first failure wins); returns code.
int cq_cur_fail(cq_cur_t *c, int code, const char *what);
//  An array header with min <= count <= max (else CQ_EPROTO / CQ_ETOOBIG).
uint32_t cq_cur_array(cq_cur_t *c, uint32_t min, uint32_t max,
                      const char *what);
uint64_t cq_cur_uint(cq_cur_t *c, uint64_t max, const char *what);
int64_t cq_cur_int(cq_cur_t *c, int64_t min, int64_t max, const char *what);
bool cq_cur_bool(cq_cur_t *c, const char *what);
//  True (and consumed) when the next object is nil.
bool cq_cur_nil(cq_cur_t *c);
//  A string copied into dst[dstsize] with its NUL: over-long strings and
//  strings with a NUL byte inside fail the cursor.
void cq_cur_str(cq_cur_t *c, char *dst, size_t dstsize, const char *what);
//  A binary of at most max bytes; returns a view into the body.
const uint8_t *cq_cur_bin(cq_cur_t *c, size_t *len, size_t max,
                          const char *what);
//  Skips one complete object (nesting bounded by CQ_PROTO_MAX_DEPTH).
void cq_cur_skip(cq_cur_t *c, const char *what);
//  After reading `used` fields of an array of `have`: skips the extra
//  trailing fields a newer peer of the same version may send.
void cq_cur_rest(cq_cur_t *c, uint32_t have, uint32_t used);
//  Copies the cursor's error into diag (if any) and returns it.
int cq_cur_diag(const cq_cur_t *c, cq_diag_t *diag);

//  ---- claims and decisions --------------------------------------------
//  All fields of a cq_claim_t / cq_decision_t, positional (proto.md).
void cq_proto_claim_encode(cq_mpw_t *w, const cq_claim_t *c);
//  Decodes and validates one claim (every string fits its field, counts
//  within the struct's caps, enums and dates in range). Returns 0 or the
//  cursor's error.
int cq_proto_claim_decode(cq_cur_t *c, cq_claim_t *out);
void cq_proto_decision_encode(cq_mpw_t *w, const cq_decision_t *d);
int cq_proto_decision_decode(cq_cur_t *c, cq_decision_t *out);

//  ---- messages ---------------------------------------------------------
//  Each encode writes one complete body into w (reset first). Each decode
//  reads a whole body: 0, or CQ_EPROTO / CQ_ETOOBIG with diag naming the
//  field. Messages with items decode their fixed fields and check that the
//  whole body is well-formed; the items are then read one at a time with
//  the _next function, which validates each item's content.

typedef struct {
    char node_id[CQ_ID_LEN];                  // stable, configured
    uint32_t credit;                          // claims (1..MAX_CREDIT)
    uint32_t intake_credit;                   // documents (1..)
    char rules_version[CQ_RULES_VERSION_LEN]; // "sha256:<hex>"
    uint32_t heartbeat_ms;                    // the worker's interval
    //  appended (issue 8): the worker's ledger, for finding orphans
    char ledger_id[CQ_LEDGER_ID_LEN]; // [0-9a-f]{1,39}, or "" (no ledger)
    uint64_t ledger_seq;              // its newest row's seq (0: empty)
    uint64_t resolved_seq; // rows <= this are known journaled or orphan
    //  appended (issue 8): what the worker was working on when its
    //  previous process died (a crash marker it keeps beside its ledger)
    uint32_t crash_kind;  // 0 none, 1 a claim, 2 a document
    uint64_t crash_id;    // the claim's cid / the document's id
    uint64_t crash_lease; // the lease token it was delivered under
    //  appended (issue 10): where it runs (for `claimq workers`)
    char host[CQ_PROTO_HOST_LEN]; // its host name, or ""
} cq_msg_ready_t;
void cq_proto_ready_encode(cq_mpw_t *w, const cq_msg_ready_t *m);
int cq_proto_ready_decode(const uint8_t *p, size_t n, cq_msg_ready_t *m,
                          cq_diag_t *diag);

typedef struct {
    char rules_version[CQ_RULES_VERSION_LEN]; // the cluster's
    uint32_t heartbeat_ms;                    // the broker's interval
    bool accepted;                            // false: no work (reason)
    char reason[CQ_PROTO_MSG_LEN];            // why not accepted
    //  appended (issue 8)
    uint32_t shards; // S: shard = member hash mod S (1..CQ_SHARDS_MAX)
    uint64_t epoch;  // the broker's start count (lease tokens carry it)
    //  appended (issue 9): why not accepted, for the worker to act on
    uint32_t code; // CQ_WELCOME_* (0 when accepted)
} cq_msg_welcome_t;
enum {
    CQ_WELCOME_OK = 0,
    CQ_WELCOME_RULES = 1,   // its rules differ from the cluster's
    CQ_WELCOME_NODE_ID = 2, // its node id is live on another connection
};
void cq_proto_welcome_encode(cq_mpw_t *w, const cq_msg_welcome_t *m);
int cq_proto_welcome_decode(const uint8_t *p, size_t n, cq_msg_welcome_t *m,
                            cq_diag_t *diag);

//  HEARTBEAT, GOODBYE, GOODBYE_OK and WORKERS' bodies carry no data
//  (an empty array; WORKERS a request id).
void cq_proto_empty_encode(cq_mpw_t *w);
int cq_proto_empty_decode(const uint8_t *p, size_t n, cq_diag_t *diag);

//  DISCONNECT (and PAUSE): a reason.
void cq_proto_reason_encode(cq_mpw_t *w, const char *reason);
int cq_proto_reason_decode(const uint8_t *p, size_t n,
                           char reason[CQ_PROTO_MSG_LEN], cq_diag_t *diag);
//  (issue 9) DISCONNECT may carry a code after its reason: [reason, code].
//  The plain codec above writes and accepts the reason alone (code 0).
enum {
    CQ_DISCONNECT_AGAIN = 0,    // not registered: send READY again
    CQ_DISCONNECT_WRONG_EP = 1, // a peer on the wrong endpoint: a client
                                // on the backend, a worker on the
                                // frontend (the reason says which)
    CQ_DISCONNECT_REFUSED = 2,  // CURVE: this key may not do that, or was
                                // revoked (the reason says which)
    CQ_DISCONNECT_PASSIVE = 3,  // this broker is the pair's backup (or
                                // starting): try the next endpoint
};
void cq_proto_disconnect_encode(cq_mpw_t *w, const char *reason, uint32_t code);
int cq_proto_disconnect_decode(const uint8_t *p, size_t n,
                               char reason[CQ_PROTO_MSG_LEN], uint32_t *code,
                               cq_diag_t *diag);

typedef struct {
    uint64_t lease;                 // lease token (fencing)
    uint64_t doc_id;                // broker's document id
    char batch_id[CQ_BATCH_ID_LEN]; // batch of the document
    char name[CQ_DOC_NAME_LEN];     // file name (for messages)
    int32_t received_date;          // stamped on claims without one
    uint32_t first_record;          // record number of its first record
    uint64_t size;                  // bytes in the document frame
} cq_msg_intake_t;
void cq_proto_intake_encode(cq_mpw_t *w, const cq_msg_intake_t *m);
int cq_proto_intake_decode(const uint8_t *p, size_t n, cq_msg_intake_t *m,
                           cq_diag_t *diag);

//  Items of INTAKE_DONE, ADJUDICATE, RESULT, HISTORY, DECISIONS,
//  RESULTS_REPLY, ACKS_REPLY.
typedef struct {
    cq_cur_t cur;  // positioned at the next item
    uint32_t n;    // items in the message
    uint32_t next; // items read so far
} cq_items_t;

typedef struct {
    uint64_t lease;                 // the INTAKE's lease
    uint64_t doc_id;                // the INTAKE's document
    uint32_t part;                  // 0, 1, ... in order
    bool last;                      // the document's last part
    int32_t status;                 // 0, or a cq_err_t for the document
    char message[CQ_PROTO_MSG_LEN]; // why the document failed
    cq_items_t claims;              // claims (cq_proto_intake_done_next)
    //  appended (issue 9), meaningful on the last part: X12 transaction
    //  sets refused at intake (envelope or syntax errors: none of their
    //  claims is in the document's claims) and the document's 999
    uint32_t refused_sets;   // 0..
    uint32_t refused_claims; // CLM segments in those sets
    const uint8_t *ack;      // the 999 for the document's interchanges
    size_t ack_len;          // (0: not X12), <= CQ_PROTO_MAX_ACK; decode:
                             // a view into the body
} cq_msg_intake_done_t;
//  Items are written with cq_proto_claim_encode between _begin and _end;
//  _end closes the claims and writes the fields that follow them
//  (refused_sets, refused_claims, ack) from m, which may have been filled
//  in meanwhile (the same m as _begin's, or a copy).
size_t cq_proto_intake_done_begin(cq_mpw_t *w, const cq_msg_intake_done_t *m);
void cq_proto_intake_done_end(cq_mpw_t *w, size_t at, uint32_t n_claims,
                              const cq_msg_intake_done_t *m);
int cq_proto_intake_done_decode(const uint8_t *p, size_t n,
                                cq_msg_intake_done_t *m, cq_diag_t *diag);
//  Next claim: 1 (claim and its encoded bytes [*raw, *raw_len) set), 0 at
//  the end, or an error (diag).
int cq_proto_intake_done_next(cq_msg_intake_done_t *m, cq_claim_t *claim,
                              const uint8_t **raw, size_t *raw_len,
                              cq_diag_t *diag);

typedef struct {
    uint64_t lease;   // one lease token for all the message's claims
    cq_items_t items; // [cid, batch_id, claim]
} cq_msg_adjudicate_t;
size_t cq_proto_adjudicate_begin(cq_mpw_t *w, uint64_t lease);
//  Appends one item; claim_raw is a claim already encoded (as kept by the
//  broker), written as is.
void cq_proto_adjudicate_add(cq_mpw_t *w, uint64_t cid, const char *batch_id,
                             const uint8_t *claim_raw, size_t claim_len);
void cq_proto_adjudicate_end(cq_mpw_t *w, size_t at, uint32_t n_items);
int cq_proto_adjudicate_decode(const uint8_t *p, size_t n,
                               cq_msg_adjudicate_t *m, cq_diag_t *diag);
int cq_proto_adjudicate_next(cq_msg_adjudicate_t *m, uint64_t *cid,
                             char batch_id[CQ_BATCH_ID_LEN], cq_claim_t *claim,
                             cq_diag_t *diag);

typedef struct {
    uint64_t lease;   // the ADJUDICATE's lease
    cq_items_t items; // [cid, status, decision | nil]
} cq_msg_result_t;
size_t cq_proto_result_begin(cq_mpw_t *w, uint64_t lease);
//  d is NULL when status < 0 (the claim could not be decided: retry).
void cq_proto_result_add(cq_mpw_t *w, uint64_t cid, int32_t status,
                         const cq_decision_t *d);
void cq_proto_result_end(cq_mpw_t *w, size_t at, uint32_t n_items);
int cq_proto_result_decode(const uint8_t *p, size_t n, cq_msg_result_t *m,
                           cq_diag_t *diag);
//  1 with *status; when status is 0, d and [*raw, *raw_len) hold the
//  decision. 0 at the end, or an error.
int cq_proto_result_next(cq_msg_result_t *m, uint64_t *cid, int32_t *status,
                         cq_decision_t *d, const uint8_t **raw, size_t *raw_len,
                         cq_diag_t *diag);

//  HISTORY (B->W): the decided claims of one shard, in the order they
//  were decided (the journal's), sent before the shard's first ADJUDICATE
//  to a new owner. The worker decides them again into its member state
//  (nothing is written to its ledger) and may compare each result with
//  the journal's decision. Several messages per shard (part 0, 1, ...; the
//  last with last=true); a shard with no history gets one empty last part.
typedef struct {
    uint32_t shard;   // < S
    uint32_t part;    // 0, 1, ... in order
    bool last;        // the shard's last part
    cq_items_t items; // [cid, batch_id, claim, decision]
} cq_msg_history_t;
size_t cq_proto_history_begin(cq_mpw_t *w, uint32_t shard, uint32_t part,
                              bool last);
//  claim_raw and decision_raw are encoded already (as the broker keeps
//  them) and written as they are.
void cq_proto_history_add(cq_mpw_t *w, uint64_t cid, const char *batch_id,
                          const uint8_t *claim_raw, size_t claim_len,
                          const uint8_t *decision_raw, size_t decision_len);
void cq_proto_history_end(cq_mpw_t *w, size_t at, uint32_t n_items);
int cq_proto_history_decode(const uint8_t *p, size_t n, cq_msg_history_t *m,
                            cq_diag_t *diag);
int cq_proto_history_next(cq_msg_history_t *m, uint64_t *cid,
                          char batch_id[CQ_BATCH_ID_LEN], cq_claim_t *claim,
                          cq_decision_t *decision, cq_diag_t *diag);

//  ORPHANS (B->W): rows of the worker's ledger that the journal does not
//  hold (decided under a lease that was lost): the worker marks each
//  decision row in the ranges as an orphan. upto > 0: every row up to it
//  is now accounted for (the worker's resolved_seq becomes upto).
typedef struct {
    uint64_t upto;                           // 0, or the new resolved_seq
    uint32_t n_ranges;                       // 0..CQ_PROTO_MAX_RANGES
    uint64_t ranges[CQ_PROTO_MAX_RANGES][2]; // [from, to], from <= to
} cq_msg_orphans_t;
void cq_proto_orphans_encode(cq_mpw_t *w, const cq_msg_orphans_t *m);
int cq_proto_orphans_decode(const uint8_t *p, size_t n, cq_msg_orphans_t *m,
                            cq_diag_t *diag);

//  EXTEND (W->B): intake leases the worker is still working on; the
//  broker moves their deadlines (up to its cap on a document's intake).
typedef struct {
    uint32_t n;                           // 1..CQ_PROTO_MAX_EXTEND
    uint64_t leases[CQ_PROTO_MAX_EXTEND]; // lease tokens
} cq_msg_extend_t;
void cq_proto_extend_encode(cq_mpw_t *w, const cq_msg_extend_t *m);
int cq_proto_extend_decode(const uint8_t *p, size_t n, cq_msg_extend_t *m,
                           cq_diag_t *diag);

//  PAUSE (W->B): the worker cannot take work (its ledger cannot be
//  written: disk full, read-only). Body: [reason str < 256] (the
//  DISCONNECT codec, cq_proto_reason_*). It sends READY again when it can.

typedef struct {
    char name[CQ_DOC_NAME_LEN]; // file name, for messages
    uint32_t first_record;      // record number of its first record (>= 1)
    uint64_t size;              // bytes of its frame
} cq_doc_ref_t;

typedef struct {
    uint64_t req_id;                      // client's request id, echoed
    char batch_id[CQ_BATCH_ID_LEN];       // [A-Za-z0-9._:-]{1,63}
    uint32_t n_docs;                      // 1..CQ_PROTO_MAX_DOCS
    cq_doc_ref_t docs[CQ_PROTO_MAX_DOCS]; // frame i+2 is document i
    //  appended (issue 9): the received date the submitter sets for these
    //  documents (a back-dated batch, a replay), or CQ_DATE_NONE: the day
    //  the broker first journals each
    int32_t received_date;
} cq_msg_submit_t;
void cq_proto_submit_encode(cq_mpw_t *w, const cq_msg_submit_t *m);
int cq_proto_submit_decode(const uint8_t *p, size_t n, cq_msg_submit_t *m,
                           cq_diag_t *diag);
//  True when s is a valid batch id: [A-Za-z0-9._:-]{1,63}.
bool cq_proto_batch_id_ok(const char *s);
//  True when s is a valid node id: [A-Za-z0-9._-]{1,39}.
bool cq_proto_node_id_ok(const char *s);

typedef struct {
    uint64_t req_id;                     // the SUBMIT's
    char batch_id[CQ_BATCH_ID_LEN];      // the SUBMIT's
    int32_t status;                      // 0, or why nothing was received
    char message[CQ_PROTO_MSG_LEN];      // for a person
    bool durable;                        // receipt follows an fsync
    uint32_t n_docs;                     // = the SUBMIT's n_docs when status 0
    uint64_t doc_ids[CQ_PROTO_MAX_DOCS]; // broker ids, in SUBMIT order
} cq_msg_receipt_t;
void cq_proto_receipt_encode(cq_mpw_t *w, const cq_msg_receipt_t *m);
int cq_proto_receipt_decode(const uint8_t *p, size_t n, cq_msg_receipt_t *m,
                            cq_diag_t *diag);

typedef struct {
    char batch_id[CQ_BATCH_ID_LEN];
    uint64_t doc_id;                // broker id
    uint32_t n_claims;              // claims found in the document
    int32_t status;                 // 0, or why the document failed
    char message[CQ_PROTO_MSG_LEN]; // for a person (no patient data)
    //  appended (issue 9): X12 transaction sets refused at intake
    uint32_t refused_sets;
    uint32_t refused_claims;
    //  claims whose key the batch held already (no decision of their
    //  own: the batch holds each key once), and claims whose key was
    //  known (in this batch or another) with other contents than those
    //  decided (they carry that decision; a correction is a replacement,
    //  frequency 7)
    uint32_t dup_claims;
    uint32_t conflicts;
} cq_msg_doc_done_t;
void cq_proto_doc_done_encode(cq_mpw_t *w, const cq_msg_doc_done_t *m);
int cq_proto_doc_done_decode(const uint8_t *p, size_t n, cq_msg_doc_done_t *m,
                             cq_diag_t *diag);

typedef struct {
    char batch_id[CQ_BATCH_ID_LEN];
    cq_items_t items; // [doc_id, index, decision | nil]
} cq_msg_decisions_t;
size_t cq_proto_decisions_begin(cq_mpw_t *w, const char *batch_id);
//  decision_raw NULL: the claim failed (written as nil).
void cq_proto_decisions_add(cq_mpw_t *w, uint64_t doc_id, uint32_t index,
                            const uint8_t *decision_raw, size_t len);
void cq_proto_decisions_end(cq_mpw_t *w, size_t at, uint32_t n_items);
int cq_proto_decisions_decode(const uint8_t *p, size_t n, cq_msg_decisions_t *m,
                              cq_diag_t *diag);
//  1 with *has_decision (false: the claim failed, no decision), 0 at the
//  end, or an error.
int cq_proto_decisions_next(cq_msg_decisions_t *m, uint64_t *doc_id,
                            uint32_t *index, bool *has_decision,
                            cq_decision_t *d, cq_diag_t *diag);

typedef struct {
    uint64_t req_id;
    char batch_id[CQ_BATCH_ID_LEN];
} cq_msg_status_t;
void cq_proto_status_encode(cq_mpw_t *w, const cq_msg_status_t *m);
int cq_proto_status_decode(const uint8_t *p, size_t n, cq_msg_status_t *m,
                           cq_diag_t *diag);

typedef struct {
    uint64_t req_id;
    char batch_id[CQ_BATCH_ID_LEN];
    bool found;           // the broker knows the batch
    uint64_t docs;        // documents received
    uint64_t docs_done;   // documents through intake (failed included)
    uint64_t docs_failed; // documents that yielded no claims (status < 0)
    uint64_t claims;      // claims found so far
    uint64_t decided;     // claims with a decision
    uint64_t accept;      // decided: accept
    uint64_t reject;      // decided: reject
    uint64_t pend;        // decided: pend
    uint64_t failed;      // claims given up after repeated errors
    //  appended (issue 8)
    bool durable;   // the broker journals (receipts follow an fsync)
    uint64_t epoch; // the broker's start count (changes on a restart)
    //  appended (issue 9)
    bool sealed;             // its submitter sent its last document (SEAL)
    bool complete;           // sealed, every document through intake,
                             // every claim decided (or quarantined)
    uint64_t refused_sets;   // X12 transaction sets refused at intake
    uint64_t refused_claims; // claims in them
    uint32_t workers_live;   // workers that can take work now
    int32_t received_date;   // the date stamped on its claims without one
                             // (days), or CQ_DATE_NONE
    bool received_set;       // that date was set by the submitter
    //  appended (issue 15): the pair of brokers, when this one is in one
    //  (all 0 alone, and from an older broker)
    uint32_t pair_role;  // 0 alone, 1 primary, 2 backup
    uint32_t pair_state; // this broker: 0 starting, 1 active, 2 passive
    uint32_t peer_state; // its peer, as last heard (3: never heard)
    bool pair_synced;    // the peer holds the journal (receipts: 2 disks)
    uint64_t pair_lag;   // journal records the peer has not acknowledged
} cq_msg_status_reply_t;
void cq_proto_status_reply_encode(cq_mpw_t *w, const cq_msg_status_reply_t *m);
int cq_proto_status_reply_decode(const uint8_t *p, size_t n,
                                 cq_msg_status_reply_t *m, cq_diag_t *diag);

typedef struct {
    uint64_t req_id;
    char batch_id[CQ_BATCH_ID_LEN];
    uint64_t cursor;  // first entry wanted (0 = the batch's first claim)
    uint32_t max;     // entries wanted (1..CQ_PROTO_MAX_ITEMS)
    bool with_claims; // also send each entry's claim (for the 835)
    //  appended (issue 8)
    bool watch; // push this batch's further decisions to this client
} cq_msg_results_t;
//  (issue 9) a batch holds each claim key once: RESULTS pages list one
//  entry per claim key, in admission order; `complete` also needs SEAL.
void cq_proto_results_encode(cq_mpw_t *w, const cq_msg_results_t *m);
int cq_proto_results_decode(const uint8_t *p, size_t n, cq_msg_results_t *m,
                            cq_diag_t *diag);

typedef struct {
    uint64_t req_id;
    char batch_id[CQ_BATCH_ID_LEN];
    int32_t status;       // 0 or CQ_ENOTFOUND
    uint64_t next_cursor; // cursor of the entry after the last sent
    uint64_t total;       // entries the batch has so far
    bool complete;        // every document through intake, every claim
                          // decided (or failed)
    cq_items_t items;     // [doc_id, index, decision|nil, claim|nil]
} cq_msg_results_reply_t;
size_t cq_proto_results_reply_begin(cq_mpw_t *w,
                                    const cq_msg_results_reply_t *m);
//  decision_raw / claim_raw may be NULL (written as nil).
void cq_proto_results_reply_add(cq_mpw_t *w, uint64_t doc_id, uint32_t index,
                                const uint8_t *decision_raw, size_t dlen,
                                const uint8_t *claim_raw, size_t clen);
void cq_proto_results_reply_end(cq_mpw_t *w, size_t at, uint32_t n_items);
int cq_proto_results_reply_decode(const uint8_t *p, size_t n,
                                  cq_msg_results_reply_t *m, cq_diag_t *diag);
//  1 with *has_decision / *has_claim saying which of d / claim were
//  filled (either may be NULL to skip it), 0 at the end, or an error.
int cq_proto_results_reply_next(cq_msg_results_reply_t *m, uint64_t *doc_id,
                                uint32_t *index, bool *has_decision,
                                cq_decision_t *d, bool *has_claim,
                                cq_claim_t *claim, cq_diag_t *diag);

typedef struct {
    char node_id[CQ_ID_LEN];
    char state[CQ_PROTO_STATE_LEN]; // live, stopping, dead, mismatch
    char rules_version[CQ_RULES_VERSION_LEN];
    uint32_t credit;          // claims it may hold
    uint32_t inflight;        // claims it holds
    uint32_t intake_credit;   // documents it may hold
    uint32_t intake_inflight; // documents it holds
    uint32_t shards;          // shards it owns
    uint64_t intake_done;     // documents it decoded
    uint64_t decided;         // claims it decided
    uint64_t idle_ms;         // since it was last heard
    //  appended (issue 10)
    char host[CQ_PROTO_HOST_LEN]; // where it runs (its READY's)
    uint64_t since_ms;            // registered at (ms since 1970)
    uint32_t claims_per_s;        // decided per second, lately
    uint32_t heartbeat_ms;        // its heartbeat interval
} cq_worker_info_t;

typedef struct {
    char name[CQ_PROTO_COUNTER_LEN];
    uint64_t value;
} cq_counter_t;

typedef struct {
    uint64_t req_id;
    char rules_version[CQ_RULES_VERSION_LEN]; // the cluster's, or ""
    uint32_t shards;                          // S
    uint32_t n_workers;
    cq_worker_info_t *workers; // n_workers (decode: caller frees)
    uint32_t n_counters;
    cq_counter_t counters[CQ_PROTO_MAX_COUNTERS];
} cq_msg_workers_reply_t;
void cq_proto_workers_encode(cq_mpw_t *w, uint64_t req_id);
int cq_proto_workers_decode(const uint8_t *p, size_t n, uint64_t *req_id,
                            cq_diag_t *diag);
void cq_proto_workers_reply_encode(cq_mpw_t *w,
                                   const cq_msg_workers_reply_t *m);
//  Allocates m->workers (at most CQ_PROTO_MAX_WORKERS, checked first);
//  free it with cq_proto_workers_reply_free.
int cq_proto_workers_reply_decode(const uint8_t *p, size_t n,
                                  cq_msg_workers_reply_t *m, cq_diag_t *diag);
void cq_proto_workers_reply_free(cq_msg_workers_reply_t *m);

//  QUARANTINE (C->B): list the quarantined claims and documents, show
//  one, or release one (it is queued again, its attempts reset).
enum { CQ_QOP_LIST = 0, CQ_QOP_SHOW = 1, CQ_QOP_RELEASE = 2 };
typedef struct {
    uint64_t req_id;
    uint32_t op;         // CQ_QOP_*
    char id[CQ_QID_LEN]; // show / release: "claim:<cid>" or "doc:<id>"
} cq_msg_quarantine_t;
void cq_proto_quarantine_encode(cq_mpw_t *w, const cq_msg_quarantine_t *m);
int cq_proto_quarantine_decode(const uint8_t *p, size_t n,
                               cq_msg_quarantine_t *m, cq_diag_t *diag);

//  One failed delivery of a quarantined item.
typedef struct {
    uint64_t at_ms;              // wall clock, ms since 1970
    char node_id[CQ_ID_LEN];     // the worker that had it
    char what[CQ_PROTO_MSG_LEN]; // "worker lost", "lease expired", ...
} cq_qhist_t;

typedef struct {
    char id[CQ_QID_LEN];           // "claim:<cid>" / "doc:<id>"
    char kind[CQ_PROTO_STATE_LEN]; // "claim" or "document"
    char batch_id[CQ_BATCH_ID_LEN];
    char name[CQ_DOC_NAME_LEN]; // claim id, or document name
    uint32_t attempts;          // deliveries
    uint64_t since_ms;          // quarantined at (wall clock)
    char reason[CQ_PROTO_MSG_LEN];
    uint32_t n_hist; // 0..CQ_PROTO_MAX_QHIST (show only)
    cq_qhist_t hist[CQ_PROTO_MAX_QHIST];
} cq_qitem_t;

typedef struct {
    uint64_t req_id;
    int32_t status; // 0, CQ_ENOTFOUND, CQ_EINVAL
    char message[CQ_PROTO_MSG_LEN];
    uint32_t n_items;  // list: every item (hist empty); show,
    cq_qitem_t *items; // release: the one (decode: caller
                       // frees with _reply_free)
} cq_msg_quarantine_reply_t;
void cq_proto_quarantine_reply_encode(cq_mpw_t *w,
                                      const cq_msg_quarantine_reply_t *m);
int cq_proto_quarantine_reply_decode(const uint8_t *p, size_t n,
                                     cq_msg_quarantine_reply_t *m,
                                     cq_diag_t *diag);
void cq_proto_quarantine_reply_free(cq_msg_quarantine_reply_t *m);

//  SEAL (C->B): the submitter sent its last document of the batch; the
//  batch is complete once its documents are through intake and its claims
//  decided. docs: how many documents the submitter sent (received
//  documents are checked against it).
typedef struct {
    uint64_t req_id;
    char batch_id[CQ_BATCH_ID_LEN];
    uint64_t docs;
} cq_msg_seal_t;
void cq_proto_seal_encode(cq_mpw_t *w, const cq_msg_seal_t *m);
int cq_proto_seal_decode(const uint8_t *p, size_t n, cq_msg_seal_t *m,
                         cq_diag_t *diag);

//  SEAL_REPLY (B->C): [req_id, batch_id, status (0, CQ_ENOTFOUND, or
//  CQ_EINVAL when the broker holds fewer documents than sealed: it names
//  how many), message, docs (the broker's count)].
typedef struct {
    uint64_t req_id;
    char batch_id[CQ_BATCH_ID_LEN];
    int32_t status;
    char message[CQ_PROTO_MSG_LEN];
    uint64_t docs;
} cq_msg_seal_reply_t;
void cq_proto_seal_reply_encode(cq_mpw_t *w, const cq_msg_seal_reply_t *m);
int cq_proto_seal_reply_decode(const uint8_t *p, size_t n,
                               cq_msg_seal_reply_t *m, cq_diag_t *diag);

//  BATCHES (C->B): [req_id, since_ms] the batches created at or after
//  since_ms (0: all), oldest first.
typedef struct {
    uint64_t req_id;
    uint64_t since_ms;
} cq_msg_batches_t;
void cq_proto_batches_encode(cq_mpw_t *w, const cq_msg_batches_t *m);
int cq_proto_batches_decode(const uint8_t *p, size_t n, cq_msg_batches_t *m,
                            cq_diag_t *diag);

typedef struct {
    char batch_id[CQ_BATCH_ID_LEN];
    uint64_t created_ms;
    uint64_t docs, docs_done, claims, decided, failed, refused_sets;
    bool sealed, complete;
} cq_batch_info_t;

//  BATCHES_REPLY (B->C): [req_id, total (batches matching), items (at most
//  CQ_PROTO_MAX_BATCHES, the newest kept) of [batch_id, created_ms, docs,
//  docs_done, claims, decided, failed, refused_sets, sealed, complete]].
typedef struct {
    uint64_t req_id;
    uint64_t total;
    uint32_t n_items;
    cq_batch_info_t *items; // decode: allocated (after the count is checked
                            // against the cap and the bytes left);
                            // cq_proto_batches_reply_free
} cq_msg_batches_reply_t;
void cq_proto_batches_reply_encode(cq_mpw_t *w,
                                   const cq_msg_batches_reply_t *m);
int cq_proto_batches_reply_decode(const uint8_t *p, size_t n,
                                  cq_msg_batches_reply_t *m, cq_diag_t *diag);
void cq_proto_batches_reply_free(cq_msg_batches_reply_t *m);

//  ACKS (C->B): [req_id, batch_id, cursor] a batch's 999s, one per X12
//  document received (in received order), from document position cursor.
typedef struct {
    uint64_t req_id;
    char batch_id[CQ_BATCH_ID_LEN];
    uint64_t cursor;
} cq_msg_acks_t;
void cq_proto_acks_encode(cq_mpw_t *w, const cq_msg_acks_t *m);
int cq_proto_acks_decode(const uint8_t *p, size_t n, cq_msg_acks_t *m,
                         cq_diag_t *diag);

//  ACKS_REPLY (B->C): [req_id, batch_id, status (0 or CQ_ENOTFOUND),
//  next_cursor, total (documents), complete (every document through
//  intake), items of [doc_id, name, ack bin]] -- documents that are not
//  X12 or not through intake yet are left out; a page holds at most about
//  4 MiB of acks (at least one).
typedef struct {
    uint64_t req_id;
    char batch_id[CQ_BATCH_ID_LEN];
    int32_t status;
    uint64_t next_cursor;
    uint64_t total;
    bool complete;
    cq_items_t items;
} cq_msg_acks_reply_t;
size_t cq_proto_acks_reply_begin(cq_mpw_t *w, const cq_msg_acks_reply_t *m);
void cq_proto_acks_reply_add(cq_mpw_t *w, uint64_t doc_id, const char *name,
                             const uint8_t *ack, size_t len);
void cq_proto_acks_reply_end(cq_mpw_t *w, size_t at, uint32_t n_items);
int cq_proto_acks_reply_decode(const uint8_t *p, size_t n,
                               cq_msg_acks_reply_t *m, cq_diag_t *diag);
//  1 with doc_id, name and a view of the ack, 0 at the end, or an error.
int cq_proto_acks_reply_next(cq_msg_acks_reply_t *m, uint64_t *doc_id,
                             char name[CQ_DOC_NAME_LEN], const uint8_t **ack,
                             size_t *len, cq_diag_t *diag);

//  DRAIN_NODE (C->B): [req_id, node_id] the worker's shards move to the
//  others (each once quiet), it gets no new work, finishes what it holds
//  and stops (DRAIN to it: as on SIGTERM; it exits 0).
typedef struct {
    uint64_t req_id;
    char node_id[CQ_ID_LEN];
} cq_msg_drain_t;
void cq_proto_drain_encode(cq_mpw_t *w, const cq_msg_drain_t *m);
int cq_proto_drain_decode(const uint8_t *p, size_t n, cq_msg_drain_t *m,
                          cq_diag_t *diag);

//  DRAIN_REPLY (B->C): [req_id, node_id, status (0, CQ_ENOTFOUND: no live
//  worker by that id, CQ_EINVAL: the last live worker, nowhere to move
//  its shards), message, shards (it owned when asked)].
typedef struct {
    uint64_t req_id;
    char node_id[CQ_ID_LEN];
    int32_t status;
    char message[CQ_PROTO_MSG_LEN];
    uint32_t shards;
} cq_msg_drain_reply_t;
void cq_proto_drain_reply_encode(cq_mpw_t *w, const cq_msg_drain_reply_t *m);
int cq_proto_drain_reply_decode(const uint8_t *p, size_t n,
                                cq_msg_drain_reply_t *m, cq_diag_t *diag);

//  SHARDS (C->B): [req_id].
//  SHARDS_REPLY (B->C): [req_id, shards (S), moves_active, items of
//  [shard, owner (node id, "" none), target ("" none: the node a planned
//  move goes to), queued, inflight, moved_ms (0 never), moves]], one item
//  per shard in shard order (at most CQ_PROTO_MAX_SHARDS).
typedef struct {
    uint32_t shard;
    char owner[CQ_ID_LEN];
    char target[CQ_ID_LEN];
    uint64_t queued;
    uint32_t inflight;
    uint64_t moved_ms;
    uint32_t moves;
} cq_shard_info_t;
typedef struct {
    uint64_t req_id;
    uint32_t shards;
    uint32_t moves_active;
    uint32_t n_items;
    cq_shard_info_t *items; // decode: allocated; cq_proto_shards_reply_free
} cq_msg_shards_reply_t;
void cq_proto_shards_encode(cq_mpw_t *w, uint64_t req_id);
int cq_proto_shards_decode(const uint8_t *p, size_t n, uint64_t *req_id,
                           cq_diag_t *diag);
void cq_proto_shards_reply_encode(cq_mpw_t *w, const cq_msg_shards_reply_t *m);
int cq_proto_shards_reply_decode(const uint8_t *p, size_t n,
                                 cq_msg_shards_reply_t *m, cq_diag_t *diag);
void cq_proto_shards_reply_free(cq_msg_shards_reply_t *m);

//  HAVE (C->B, issue 9): [req_id, batch_id, digests] which of these
//  documents the broker holds, by the digest SUBMIT recognises a document
//  by (cq_proto_doc_digest): a resumed submission sends only the others.
//  1..CQ_PROTO_MAX_HAVE digests, each a bin of exactly CQ_DIGEST_LEN bytes.
typedef struct {
    uint64_t req_id;
    char batch_id[CQ_BATCH_ID_LEN];    // batch id
    uint32_t n;                        // 1..CQ_PROTO_MAX_HAVE
    uint8_t (*digests)[CQ_DIGEST_LEN]; // n (decode: allocated after the
                                       // count is checked against the cap
                                       // and the bytes left;
                                       // cq_proto_have_free)
} cq_msg_have_t;
void cq_proto_have_encode(cq_mpw_t *w, const cq_msg_have_t *m);
int cq_proto_have_decode(const uint8_t *p, size_t n, cq_msg_have_t *m,
                         cq_diag_t *diag);
void cq_proto_have_free(cq_msg_have_t *m);

//  HAVE_REPLY (B->C): [req_id, batch_id, status (0, or CQ_ENOTFOUND: no
//  such batch, no ids), doc_ids: one per digest, in HAVE order, the
//  document's id (uint) or nil when the broker does not hold it]. Document
//  ids start at 0, hence nil rather than 0 for "not held"; in C that is
//  CQ_HAVE_NONE.
#define CQ_HAVE_NONE UINT64_MAX
typedef struct {
    uint64_t req_id;
    char batch_id[CQ_BATCH_ID_LEN];
    int32_t status;
    uint32_t n;        // 0..CQ_PROTO_MAX_HAVE
    uint64_t *doc_ids; // n: an id, or CQ_HAVE_NONE (decode: allocated;
                       // cq_proto_have_reply_free)
} cq_msg_have_reply_t;
void cq_proto_have_reply_encode(cq_mpw_t *w, const cq_msg_have_reply_t *m);
int cq_proto_have_reply_decode(const uint8_t *p, size_t n,
                               cq_msg_have_reply_t *m, cq_diag_t *diag);
void cq_proto_have_reply_free(cq_msg_have_reply_t *m);

//  The digest a broker recognises a document by: SHA-256 of
//  "batch_id\nname\nfirst_record\n" followed by the SHA-256 of its bytes.
//  name is cut as SUBMIT carries it (CQ_DOC_NAME_LEN - 1 bytes).
void cq_proto_doc_digest(const char *batch_id, const char *name,
                         uint32_t first_record, const uint8_t *data, size_t len,
                         uint8_t out[CQ_DIGEST_LEN]);

//  ---- REVIEW (issue 12): pended claims waiting for a person ----------
//  REVIEW (C->B) names the tenants (payer ids; "*" every one) the
//  reviewer may see; a claim of another tenant is answered CQ_ENOTFOUND,
//  as one that does not exist.
enum {
    CQ_ROP_LIST = 0,    // the queue, oldest first (max items; 0: the
                        // counts alone)
    CQ_ROP_GET = 1,     // one claim, its pend and its document (unless
                        // no_doc)
    CQ_ROP_LOCK = 2,    // take / renew the lock (reviewer, ttl_ms)
    CQ_ROP_UNLOCK = 3,  // give it back (token)
    CQ_ROP_RELEASE = 4, // the reviewer's decision (token, action, claim)
};

//  Why a claim waits for a person.
typedef enum {
    CQ_REVIEW_OCR = 1,          // OCR fields to check (named in the pend)
    CQ_REVIEW_REGISTRATION = 2, // the form did not register: key it in full
    CQ_REVIEW_DUPLICATE = 3,    // suspect duplicate (OA-133)
    CQ_REVIEW_OTHER = 4,        // any other pend
} cq_review_kind_t;
//  "ocr", "registration", "duplicate", "other"
const char *cq_review_kind_name(int kind);

//  What the reviewer decided (claim.review).
typedef enum {
    CQ_RELEASE_CORRECTED = 1,     // the (corrected) claim is adjudicated
    CQ_RELEASE_DUPLICATE = 2,     // confirmed duplicate: rejected (OA-18)
    CQ_RELEASE_NOT_DUPLICATE = 3, // not a duplicate: adjudicated without
                                  // the suspect-duplicate check
} cq_release_action_t;
//  "corrected", "duplicate", "not-duplicate"
const char *cq_release_action_name(int action);

typedef struct {
    uint64_t id;                    // the claim's id in the broker
    char claim_id[CQ_ID_LEN];       // the claim's own id (box 26 / CLM01)
    char payer_id[CQ_ID_LEN];       // its tenant
    char batch_id[CQ_BATCH_ID_LEN]; // the batch it came in
    int kind;                       // cq_review_kind_t
    char reason[CQ_PROTO_MSG_LEN];  // the pend's first reason (no values)
    int64_t pended_ms;              // when it pended (wall clock, ms)
    char locked_by[CQ_ID_LEN];      // reviewer holding it, "" when free
    int64_t lock_expires_ms;        // wall clock, ms (0 when free)
} cq_review_item_t;

typedef struct {
    uint64_t req_id;
    uint32_t op; // CQ_ROP_*
    uint32_t n_tenants;
    char tenants[CQ_REVIEW_MAX_TENANTS][CQ_ID_LEN];
    uint64_t id;              // GET, LOCK, UNLOCK, RELEASE
    char reviewer[CQ_ID_LEN]; // LOCK, RELEASE
    uint64_t token;           // UNLOCK, RELEASE
    uint32_t ttl_ms;          // LOCK
    uint32_t action;          // RELEASE: cq_release_action_t
    uint32_t max;             // LIST: items, 1..1,000; 0: counts only
    bool no_doc;              // GET: leave the document out (appended:
                              // absent, as from an older client, is false)
    //  RELEASE: the corrected claim, encoded (a view into the body, or
    //  NULL), and the changes, a JSON array
    const uint8_t *claim;
    size_t claim_len;
    char changes[CQ_REVIEW_AUDIT_LEN];
} cq_msg_review_t;
void cq_proto_review_encode(cq_mpw_t *w, const cq_msg_review_t *m);
int cq_proto_review_decode(const uint8_t *p, size_t n, cq_msg_review_t *m,
                           cq_diag_t *diag);

typedef struct {
    uint64_t req_id;
    int32_t status; // 0, CQ_ENOTFOUND, CQ_EBUSY, CQ_EINVAL
    char message[CQ_PROTO_MSG_LEN];
    //  LIST
    uint64_t total;      // waiting for these tenants
    uint64_t by_kind[5]; // by cq_review_kind_t
    int64_t oldest_ms;   // when the oldest of them pended (wall clock,
                         // ms); 0 when none waits, or from an older broker
                         // (appended)
    uint32_t n_items;
    cq_review_item_t *items; // decode: owned (cq_proto_review_reply_free)
    //  LOCK (and a refused RELEASE): the lock
    uint64_t token;
    char holder[CQ_ID_LEN];
    int64_t expires_ms;
    //  GET: the item, encoded claim and pend decision, the document (nil
    //  when the request said no_doc), a suspect duplicate's earlier claim
    //  and its decision (views into the body; NULL / 0 when absent)
    const uint8_t *claim, *pend, *doc, *other, *other_dec;
    size_t claim_len, pend_len, doc_len, other_len, other_dec_len;
    char doc_name[CQ_DOC_NAME_LEN];
    uint32_t page; // 1-based
} cq_msg_review_reply_t;
void cq_proto_review_reply_encode(cq_mpw_t *w, const cq_msg_review_reply_t *m);
int cq_proto_review_reply_decode(const uint8_t *p, size_t n,
                                 cq_msg_review_reply_t *m, cq_diag_t *diag);
void cq_proto_review_reply_free(cq_msg_review_reply_t *m);

//  ---- the peer link: broker <-> broker (issue 15) ----------------------
//  Each broker of a pair reads on the ROUTER it binds and writes on a
//  DEALER connected to the other's (broker/peer.c).
typedef struct {
    uint32_t state;   // 0 starting, 1 active, 2 passive
    uint32_t role;    // 1 primary, 2 backup
    uint64_t epoch;   // the active broker's (0 from a passive one)
    uint64_t session; // active: the session it serves; passive: its own
    uint64_t pos;     // active: records recorded; passive: applied
    //  appended (catch-up from a position instead of a snapshot); 0 from
    //  a peer that predates them
    uint64_t stream;   // active: its stream (one per activation);
                       // passive: the stream its journal follows (0: none)
    uint64_t applied;  // passive: records applied (the tail goes on here)
    uint32_t compacts; // passive: compactions applied at that position
    //  appended: a planned handover (claimq-broker --promote): 1 the
    //  passive asks the active broker for it; 2 the active one gives it
    //  (it has stopped: take over)
    uint32_t handover;
} cq_msg_peer_beacon_t;

typedef struct {
    uint64_t session;
    uint64_t chunk;              // 1, 2, ... in order
    char name[CQ_PEER_NAME_LEN]; // the file ("" on the last piece)
    uint64_t off;                // where data goes in it
    const uint8_t *data;         // a view into the body
    size_t len;                  // <= CQ_PEER_MAX_CHUNK
    bool last;                   // the snapshot is whole
    uint64_t pos;                // the records it holds
} cq_msg_peer_snap_t;

typedef struct {
    uint64_t session;
    uint32_t kind;       // 0 records, 1 a compaction
    uint64_t first;      // the position of its first record
    uint32_t n;          // records (0 for a compaction)
    const uint8_t *body; // journal.c's encoding (a view into the body)
    size_t len;
} cq_msg_peer_group_t;

typedef struct {
    uint64_t session;
    uint64_t chunks; // snapshot pieces received
    uint64_t pos;    // records applied and fsynced
} cq_msg_peer_ack_t;

void cq_proto_peer_beacon_encode(cq_mpw_t *w, const cq_msg_peer_beacon_t *m);
int cq_proto_peer_beacon_decode(const uint8_t *p, size_t n,
                                cq_msg_peer_beacon_t *m, cq_diag_t *diag);
void cq_proto_peer_snap_encode(cq_mpw_t *w, const cq_msg_peer_snap_t *m);
//  A name is "" (the last piece) or a plain file name: no '/', not
//  starting with '.'.
int cq_proto_peer_snap_decode(const uint8_t *p, size_t n, cq_msg_peer_snap_t *m,
                              cq_diag_t *diag);
void cq_proto_peer_group_encode(cq_mpw_t *w, const cq_msg_peer_group_t *m);
int cq_proto_peer_group_decode(const uint8_t *p, size_t n,
                               cq_msg_peer_group_t *m, cq_diag_t *diag);
void cq_proto_peer_ack_encode(cq_mpw_t *w, const cq_msg_peer_ack_t *m);
int cq_proto_peer_ack_decode(const uint8_t *p, size_t n, cq_msg_peer_ack_t *m,
                             cq_diag_t *diag);

#endif
