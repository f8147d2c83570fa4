//  fault.h: test-only fault switches of claimq-worker, and its crash
//  marker.
//
//  Fault switches make failure tests certain instead of lucky (a worker
//  that crashes on one claim, one that stops itself while it holds work).
//  They are read from CLAIMQ_FAULT (comma-separated) and honoured only
//  when CLAIMQ_TEST_FAULTS=1 is set too; a worker started with
//  CLAIMQ_FAULT alone refuses to start (exit 2), so a stray variable in a
//  production environment cannot turn one on silently:
//    crash-claim=ID         abort() when deciding the claim with claim_id ID
//    crash-doc=NAME         abort() when decoding a document whose name
//                           ends with NAME
//    stop-on-adjudicate     raise SIGSTOP once, on the first ADJUDICATE
//                           (after it is received, before it is decided)
//    sleep-on-adjudicate-ms=N  sleep N milliseconds once, on the first
//                           ADJUDICATE (alive, holding work, silent)
//    delay-doc-ms=N         sleep N milliseconds before decoding each
//                           document (a long OCR document)
//    delay-claim-us=N       sleep N microseconds before deciding each claim
//                           (a slow node: keeps work in flight long enough
//                           for a test to act while it is)
//
//  The crash marker is a small file beside the ledger (LEDGER.inflight),
//  mapped in memory: before deciding a claim, and while decoding a
//  document, the worker stores what it works on there (a few bytes, no
//  system call). A process that dies leaves it behind; the next one tells
//  the broker in READY, which holds it against that claim or document
//  (poison detection: docs/operations.md).
#ifndef CQ_FAULT_H
#define CQ_FAULT_H

#include "err.h"

#include <stdint.h>

//  Reads the environment. Returns 0, or CQ_EINVAL with diag when
//  CLAIMQ_FAULT is set without CLAIMQ_TEST_FAULTS=1 or names an unknown
//  switch.
int cq_fault_init(cq_diag_t *diag);
void cq_fault_claim(const char *claim_id);
void cq_fault_doc(const char *name);
void cq_fault_adjudicate(void);
void cq_fault_delay(void);
void cq_fault_doc_delay(void);

//  One slot of the crash marker: what a thread works on.
typedef struct {
    volatile uint64_t kind; // 0 nothing, 1 a claim, 2 a document
    volatile uint64_t id;   // cid or document id
    volatile uint64_t lease;
    uint64_t pad;
} cq_marker_slot_t;

#define CQ_MARKER_SLOTS 128 // slot 0: adjudication; 1..: intake threads

//  Maps path (created with its 4 KiB allocated). Returns the slots, with
//  *found set from what a previous process left (kind 0: nothing), and
//  the file cleared; NULL when it cannot (the worker runs without).
cq_marker_slot_t *cq_marker_open(const char *path, cq_marker_slot_t *found);
void cq_marker_close(cq_marker_slot_t *slots);

static inline void
cq_marker_set(cq_marker_slot_t *s, uint64_t kind, uint64_t id, uint64_t lease)
{
    if (s) {
        s->id = id;
        s->lease = lease;
        s->kind = kind;
    }
}

#endif
