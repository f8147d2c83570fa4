//  submit.h: sending documents to a broker and collecting what comes back
//  (receipts, intake results, decisions), for `claimq submit` and
//  `claimq bench e2e`.
//
//  Flow control is end to end: at most `window` documents are in flight
//  (sent and not yet fully decided with wait, not yet receipted without),
//  so the broker's queues and the latency of what is queued stay bounded;
//  one SUBMIT of new documents is outstanding at a time, so documents keep
//  their order whatever is sent again. Decisions are pushed by the broker.
//  A silence while work is outstanding is answered with STATUS: a broker
//  that restarted (its epoch changed) gets again the documents it may not
//  have received (it recognises those it has), and what was missed is
//  read back with RESULTS from a cursor below which everything is
//  answered, asking for the pushes again. A "journal full" refusal holds
//  the documents and sends them again (1 s, growing to 5 s).
#ifndef CQ_SUBMIT_H
#define CQ_SUBMIT_H

#include "bclient.h"

#include <signal.h>

//  One document to send. name, data are borrowed.
typedef struct {
    const char *name;    // for messages (the file name)
    const uint8_t *data; // the bytes
    size_t len;
    uint32_t first_record; // record number of its first record (>= 1)
} cq_sdoc_t;

//  A list of documents, from files (mapped) or memory.
typedef struct {
    cq_sdoc_t *v;
    size_t n, cap;
    void **maps; // mapped files
    size_t *map_lens;
    char **names; // owned names
    size_t n_maps, n_names;
} cq_sdocs_t;

void cq_sdocs_init(cq_sdocs_t *d);
void cq_sdocs_free(cq_sdocs_t *d);
//  Adds a file, or every regular file under a directory (sorted by path,
//  hidden entries skipped). A .jsonl / .ndjson file is sent in pieces of
//  `chunk` records (one record per non-blank line). Returns 0, CQ_EIO
//  (cannot read) or CQ_ETOOBIG (a document over CQ_PROTO_MAX_FRAME), with
//  diag naming the file.
int cq_sdocs_add_path(cq_sdocs_t *d, const char *path, uint32_t chunk,
                      cq_diag_t *diag);
//  Adds a document held in memory (borrowed; name copied).
void cq_sdocs_add_mem(cq_sdocs_t *d, const char *name, const uint8_t *data,
                      size_t len, uint32_t first_record);

typedef struct {
    const char *batch_id; // required, cq_proto_batch_id_ok
    bool wait;            // wait for every decision
    //  (with wait) a pend is not an answer: wait through review for the
    //  decision that supersedes it (claimq review); pends are not passed
    //  to on_decision
    bool until_final;
    uint32_t window; // documents in flight (default 64)
    int timeout_ms;  // give up after this long without progress
                     // (0: never)
    bool progress;   // progress on stderr
    //  the received date of every document (back-dated batches, replays):
    //  with received_set; else the broker stamps the day it journals each
    bool received_set;
    int32_t received_date;
    //  Called for each decision as it arrives (d NULL: the claim failed);
    //  latency_ms: since its document was sent.
    void (*on_decision)(void *arg, size_t doc, uint32_t index,
                        const cq_decision_t *d, double latency_ms);
    //  Called once a document's intake is known (n claims, status < 0
    //  when the document itself failed, with a message).
    void (*on_doc)(void *arg, size_t doc, uint32_t n_claims, int status,
                   const char *message);
    //  Called when every claim of a document has its decision.
    void (*on_doc_complete)(void *arg, size_t doc);
    //  Called once a document's intake is known, with all the broker said
    //  of it (refused X12 sets, claims whose key the batch held, ...);
    //  after on_doc.
    void (*on_doc_done)(void *arg, size_t doc, const cq_msg_doc_done_t *m);
    void *arg;
    //  When *stop becomes nonzero (a signal handler sets it), the run ends
    //  within 100 ms, leaving the batch open (not sealed): res->interrupted.
    volatile sig_atomic_t *stop;
    //  (issue 9) the batch may hold some of the documents already (a
    //  resumed run): before sending, ask the broker which (HAVE, by the
    //  digest it recognises documents by) and send only the others; those
    //  it holds count as received, their decisions are replayed. A broker
    //  that does not answer HAVE within a moment gets every document.
    bool resume;
    //  (replay) open-loop pacing: document i is not sent before
    //  sched_t0 + send_at[i] (ms, on cq_submit_clock's clock), and its
    //  latencies count from then, not from when it went (a cluster that
    //  cannot keep up shows as latency, not as a slower sender). NULL:
    //  send as the window allows.
    const double *send_at;
    double sched_t0;
    //  per document received dates (CQ_DATE_NONE: the broker's), or NULL;
    //  documents with different dates never share a SUBMIT
    const int32_t *received_dates;
    //  Called when a document's receipt arrives, with the ms since it was
    //  sent (or scheduled).
    void (*on_receipt)(void *arg, size_t doc, double latency_ms);
} cq_submit_opts_t;

typedef struct {
    uint64_t docs;           // documents received by the broker
    uint64_t docs_failed;    // documents that failed intake
    uint64_t claims;         // claims found (each key once)
    uint64_t dup_claims;     // claims whose key the batch held already
    uint64_t conflicts;      // of them, with other contents than decided
    uint64_t refused_sets;   // X12 transaction sets refused at intake
    uint64_t refused_claims; // claims in them
    uint64_t decided;        // claims decided
    uint64_t failed;         // claims given up by the broker
    double elapsed_s;        // first send to last decision (or receipt)
    bool durable;            // every receipt followed an fsync
    bool reachable;          // the broker answered (receipts or not)
    uint32_t restarts;       // broker restarts ridden through
    uint64_t resent;         // documents sent again (lost, refused, replayed)
    int holding;             // the broker refuses documents for now:
                             // CQ_ENOSPC (journal full) or CQ_EBUSY; else 0
    bool sealed;             // the broker sealed the batch (every document
                             // sent and received)
    bool interrupted;        // *stop ended the run
    int refused;             // the broker refused the documents of a SUBMIT
                             // (its status, e.g. CQ_EINVAL for a received
                             // date in the future), else 0
    uint32_t workers_live;   // as the broker said last (STATUS)
    uint64_t held;           // (resume) documents the broker held already:
                             // received, not sent again
    double max_lag_ms;       // (send_at) the latest a document went after
                             // its time
    double last_lag_ms;      // ... and how late the last one went
} cq_submit_result_t;

//  The clock of send_at / sched_t0: monotonic ms.
double cq_submit_clock(void);

//  Sends every document and (with wait) collects every decision, each
//  claim counted once. Returns 0 (res->interrupted: *o->stop ended it),
//  CQ_ETIMEDOUT (no progress for timeout_ms: broker unreachable, no
//  workers, or its journal full all that time), CQ_EPROTO (the broker
//  refused the batch: res->refused), CQ_EUNSUPPORTED (the address is not
//  the broker's client endpoint: cq_bclient_why) or CQ_ENOTFOUND (the
//  broker lost documents it had received: restarted without a journal).
int cq_submit_run(cq_bclient_t *c, const cq_sdocs_t *docs,
                  const cq_submit_opts_t *o, cq_submit_result_t *res);

#endif
