//  intake.h: an intake thread of claimq-worker (docs/architecture.md, intake):
//  decodes documents (JSON, X12 via cq_doc_decode; images through OCR)
//  into claims, and answers each INTAKE with INTAKE_DONE parts, ready to
//  be sent to the broker. CPU-heavy work runs here so that the worker's
//  main thread keeps adjudicating and heartbeating.
//
//  Main -> thread, on the pipe: the INTAKE message's parts as received
//  (header, body, document). Thread -> main: a tag part ("P" a part, "L"
//  the document's last part), then the INTAKE_DONE header and body.
#ifndef CQ_INTAKE_H
#define CQ_INTAKE_H

#include "metrics.h"
#include "err.h"
#include "fault.h"

#include <czmq.h>

#define CQ_INTAKE_PART_CLAIMS 512       // claims per INTAKE_DONE part
#define CQ_INTAKE_PART_BYTES (1u << 20) // soft cap on a part's body

typedef struct {
    size_t part_claims;       // claims per part (default CQ_INTAKE_PART_CLAIMS)
    cq_marker_slot_t *marker; // crash marker slot of this thread, or NULL
} cq_intake_opts_t;

//  Starts the thread. Caller owns the actor (zactor_destroy stops it after
//  the document in hand).
zactor_t *cq_intake_new(const cq_intake_opts_t *opts);

//  Decodes one INTAKE (body and document bytes) in the calling thread,
//  calling emit for each encoded INTAKE_DONE body (last true for the last
//  part). Used by the thread; exposed for tests.
typedef void(cq_intake_emit_fn)(void *arg, const uint8_t *body, size_t len,
                                bool last);
int cq_intake_run(const uint8_t *body, size_t body_len, const uint8_t *doc,
                  size_t doc_len, size_t part_claims, cq_intake_emit_fn *emit,
                  void *arg);

//  Scanned pages read by this process's intake threads, and the time each
//  took (metrics).
uint64_t cq_intake_ocr_pages(void);
const cq_hist_t *cq_intake_ocr_hist(void);

#endif
