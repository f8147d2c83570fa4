//  decision.h: the outcome of adjudicating one claim (docs/formats.md).
#ifndef CQ_DECISION_H
#define CQ_DECISION_H

#include "claim.h"
#include "err.h"
#include "mem.h"

typedef enum {
    CQ_DECISION_ACCEPT = 0,
    CQ_DECISION_REJECT = 1,
    CQ_DECISION_PEND = 2
} cq_outcome_t;

#define CQ_MAX_ADJ (CQ_MAX_LINES * 6)
#define CQ_MAX_REASONS (CQ_MAX_LINES + 8)
#define CQ_RULES_VERSION_LEN 80 // "sha256:" + 64 hex + NUL

typedef struct {
    uint8_t line;   // 1-based service line; 0 = claim level
    char group[3];  // CO, PR, OA, PI
    char code[6];   // CARC, e.g. "45"
    int64_t amount; // cents
} cq_adjustment_t;

typedef struct {
    uint8_t line;      // 1-based service line; 0 = whole claim
    char group[3];     // CO, PR, OA, PI
    char carc[6];      // e.g. "27"
    char rarc[8];      // e.g. "N30", or ""
    char message[160]; // for a person; never patient data
} cq_reason_t;

typedef struct {
    int64_t billed;  // line charge, cents
    int64_t allowed; // cents
    int64_t paid;    // cents
    bool denied;     // the line was denied (its reasons say why)
} cq_line_result_t;

typedef struct {
    char claim_id[CQ_ID_LEN];
    char payer_id[CQ_ID_LEN];
    char billing_npi[11];
    char frequency;                  // '1', '7', '8'
    char batch_id[64];               // "" when none
    cq_outcome_t decision;           // accept | reject | pend
    int64_t billed;                  // sum of line charges, cents
    int64_t allowed;                 // cents
    int64_t paid;                    // cents
    int64_t patient_resp;            // sum of PR amounts, cents
    uint16_t n_adj;                  // adjustments used
    cq_adjustment_t adj[CQ_MAX_ADJ]; // in line order, CO before PR
    uint16_t n_reasons;              // reasons used
    cq_reason_t reasons[CQ_MAX_REASONS];
    uint8_t n_lines; // = claim's n_lines
    cq_line_result_t lines[CQ_MAX_LINES];
    char node[CQ_ID_LEN];                     // node that decided; "" offline
    int64_t ledger_seq;                       // ledger sequence number, or 0
    char rules_version[CQ_RULES_VERSION_LEN]; // "sha256:<hex>"
    cq_source_t source;                       // json | x12 | ocr
    int ocr_confidence;                       // 0..100 for OCR, else -1
    //  A decision made after a person released a pended claim (claimq
    //  review) supersedes the pend: ledger row supersedes_seq of node
    //  supersedes_node ("" / 0 otherwise). review_audit: the release's
    //  audit trail, one JSON object ("" otherwise): patient data (changed
    //  values), kept in the ledger, never logged. Kept last: the audit text
    //  is cleared only to its first byte.
    char supersedes_node[CQ_ID_LEN];
    int64_t supersedes_seq;
    char review_audit[CQ_REVIEW_AUDIT_LEN];
} cq_decision_t;

const char *cq_outcome_name(cq_outcome_t o); // "accept", ...
//  Parses "accept"/"reject"/"pend"; returns 0 or CQ_EINVAL.
int cq_outcome_parse(const char *s, cq_outcome_t *o);

//  Appends the decision as one JSON object (docs/formats.md key order, no
//  newline) to out. Returns 0 or CQ_ETOOBIG.
int cq_decision_to_json(const cq_decision_t *d, cq_buf_t *out);
//  Parses one decision JSON object (as written above). Returns 0 or
//  CQ_EPROTO with diag naming the field.
int cq_decision_from_json(const char *s, size_t n, cq_decision_t *d,
                          cq_diag_t *diag);

#endif
