//  tally.h: a worker's decisions counted by payer, for its metrics:
//  decisions by payer and outcome, and adjustment and denial reason codes
//  (CARC, with their group: "CO-45") by payer. Payer ids are the insurers'
//  (no patient data). The label sets are capped: past CQ_TALLY_MAX
//  distinct ones, further payers are counted as "other".
//
//  A round's decisions are tallied apart and merged once its ledger commit
//  succeeds, so the counts are of decisions on disk.
#ifndef CQ_TALLY_H
#define CQ_TALLY_H

#include "decision.h"
#include "mem.h"

#define CQ_TALLY_MAX 512

typedef struct {
    char payer[CQ_ID_LEN];
    char label[12]; // "accept" / "CO-45"
    uint64_t n;
} cq_tally_entry_t;

typedef struct {
    cq_tally_entry_t decisions[CQ_TALLY_MAX];
    size_t n_decisions;
    cq_tally_entry_t carcs[CQ_TALLY_MAX];
    size_t n_carcs;
} cq_tally_t;

//  Counts d: its outcome, and each distinct group-CARC of its adjustments
//  and reasons once.
void cq_tally_add(cq_tally_t *self, const cq_decision_t *d);
//  Adds src's counts to self and empties src.
void cq_tally_merge(cq_tally_t *self, cq_tally_t *src);
//  PREFIX_decisions_total{payer,decision} and PREFIX_carc_total{payer,carc}.
void cq_tally_prom(const cq_tally_t *self, cq_buf_t *b, const char *prefix);

#endif
