//  fmt.h: decisions as `claimq submit` / `claimq results` write them, and
//  the summary of a batch (counts per decision and per CARC).
#ifndef CQ_FMT_H
#define CQ_FMT_H

#include "decision.h"
#include "mem.h"

typedef enum { CQ_FMT_JSONL = 0, CQ_FMT_CSV = 1 } cq_fmt_t;

//  Parses "jsonl" / "csv"; returns 0 or CQ_EINVAL.
int cq_fmt_parse(const char *s, cq_fmt_t *out);
//  The header line of the format ("" for jsonl), with its newline.
void cq_fmt_header(cq_fmt_t f, cq_buf_t *out);
//  One decision as one line, with its newline.
//  CSV columns: claim_id,payer_id,batch_id,decision,billed,allowed,paid,
//  patient_responsibility,reasons,adjustments,node,ledger_seq,source where
//  reasons is "line:GROUP-CARC[/RARC]" joined by ';' and adjustments is
//  "line:GROUP-CODE:amount" joined by ';'.
int cq_fmt_decision(cq_fmt_t f, const cq_decision_t *d, cq_buf_t *out);

#define CQ_SUMMARY_MAX_CARCS 128

//  Counts over a set of decisions.
typedef struct {
    uint64_t claims; // decisions counted
    uint64_t accept, reject, pend;
    uint64_t failed; // claims without a decision (given up)
    int64_t billed, allowed, paid, patient_resp; // cents
    uint32_t n_carcs;
    struct {
        char code[10];   // "CO-45"
        uint64_t claims; // decisions carrying it (once per decision)
    } carcs[CQ_SUMMARY_MAX_CARCS];
} cq_summary_t;

void cq_summary_init(cq_summary_t *s);
void cq_summary_add(cq_summary_t *s, const cq_decision_t *d);
//  One JSON object (no newline).
void cq_summary_json(const cq_summary_t *s, const char *batch_id,
                     cq_buf_t *out);
//  A few lines for a person.
void cq_summary_text(const cq_summary_t *s, const char *batch_id,
                     cq_buf_t *out);

//  A time span for people, coarse: "95 s", "12 min", "5 h", "3 days"
//  (negative: 0 s).
void cq_fmt_age(int64_t seconds, char *out, size_t n);

#endif
