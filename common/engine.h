//  engine.h: the adjudication engine's public face
//  (docs/adjudication.md). Pure: no I/O of its own beyond loading its inputs at
//  construction; member state comes through a cq_state_t (state.h).
#ifndef CQ_ENGINE_H
#define CQ_ENGINE_H

#include "decision.h"
#include "err.h"
#include "state.h"

typedef struct cq_engine cq_engine_t;

//  Loads a plan rules file (plan.schema.json) and a member roster (JSON
//  Lines or CSV, by content). On a bad file returns NULL and fills diag
//  with the file, line and field (the caller exits 3).
cq_engine_t *cq_engine_new(const char *plan_path, const char *members_path,
                           cq_diag_t *diag);
void cq_engine_destroy(cq_engine_t **self_p);

//  "sha256:<hex of the plan file's bytes>".
const char *cq_engine_rules_version(const cq_engine_t *self);

//  Decides one claim against the member state and records the decision in
//  the state (which may assign ledger_seq). received_default is used when
//  the claim carries no received_date (CQ_DATE_NONE = today).
//  A claim key already decided returns the decision made then, unchanged
//  (and *replayed = true when replayed is not NULL).
//  Returns 0, or a retryable error from the state store (CQ_EIO, CQ_EBUSY);
//  bad claim content is never an error here, it is a reject.
int cq_engine_decide(cq_engine_t *self, cq_state_t *state,
                     const cq_claim_t *claim, int32_t received_default,
                     cq_decision_t *out, bool *replayed);

//  ---- added with the engine (issue 2) -------------------------------------
//
//  What the decisions look like where the claims contract leaves things
//  open (docs/adjudication.md; engine.c has the rule-by-rule list):
//  - Every decision balances like an 835: billed - paid = sum of its
//    adjustments. A claim-level reject carries one adjustment on line 0
//    (its group and CARC, the billed amount); a denied line carries its
//    group and CARC for the line's charge; an accepted line carries CO-45,
//    PR-3, PR-1, PR-2 (amounts of 0 left out). A pend has no adjustments.
//  - Reasons: claim-level first (line 0), then one per denied line in line
//    order. CO-16 always has a RARC: the decoder's (claim.invalid_rarc),
//    else MA130; M47 when the original claim of a void / replacement is
//    missing, not accepted (void) or already voided; M51/M52/M53 for a line
//    without procedure / service date / units. CO-26 and CO-27 carry N30,
//    CO-96 N130. Messages name fields and codes, never patient data.
//  - pend: OA-133 ("disposition pending review"), no RARC: one reason per
//    OCR pend field (claim.pend_fields; checked before anything else, so an
//    OCR claim with doubtful fields pends rather than being rejected), or
//    per line that is a possible duplicate: same member, service date,
//    procedure and modifiers as an accepted line of another claim, but
//    another billing provider or charge (an exact match is OA-18).
//  - Eligibility: a service date in a gap between two coverage periods is
//    CO-27 (after the earlier one ended). Each line is priced under the
//    plan of the period covering its date; timely filing uses the plan of
//    the first covered line and the earliest service date of all lines.
//  - Frequency limits count accepted lines (of any provider) with a service
//    date in the same period (plan year of the line's plan, calendar year,
//    or lifetime), earlier lines of the same claim included.
//  - Void (8): accepted when the claim it names (same payer and billing
//    provider) is in effect; its amounts, adjustments and lines are the
//    original's negated (an 835 reversal, CLP02 22), and the original's
//    history and accumulator effects are removed. Voiding a claim that was
//    not accepted, or twice: CO-16 M47.
//  - Replacement (7): adjudicated as if the claim it names had never been
//    (its lines are no duplicates, its cost share is given back). Accepted:
//    it takes the original's place (reversing it); a later void or
//    replacement naming either id reaches it. Rejected or pended: the
//    original stands unchanged. The original may have been rejected.
//  - A claim without a usable id named "#<n>" by a decoder is never found
//    again as a resubmission; scoped by its document ("#<tag>:<n>", doc.c)
//    it is, like any claim key.

//  Per-call settings of a decision. NULL fields take the defaults.
typedef struct {
    const char *batch_id; // decision's batch_id ("" / NULL: none)
    const char *node;     // deciding node (NULL: cq_engine_set_node's)
} cq_decide_opts_t;

//  cq_engine_decide with options (cq_engine_decide = opts NULL).
int cq_engine_decide_with(cq_engine_t *self, cq_state_t *state,
                          const cq_claim_t *claim, int32_t received_default,
                          const cq_decide_opts_t *opts, cq_decision_t *out,
                          bool *replayed);

//  The node id written into decisions (default ""; `claimq adjudicate`
//  uses "local").
void cq_engine_set_node(cq_engine_t *self, const char *node);

//  Starts loading what deciding claim c will read first into the cache
//  (software pipelining; changes nothing): stage 2, its claim key's and
//  its member's hash slots; stage 1, its member's roster block (reads the
//  slot: do stage 2 for that claim first). Before deciding claim i:
//      cq_engine_prefetch(e, st, &claim[i + 2], 2);
//      cq_engine_prefetch(e, st, &claim[i + 1], 1);
void cq_engine_prefetch(const cq_engine_t *self, const cq_state_t *state,
                        const cq_claim_t *claim, int stage);

struct cq_plan_rules;
struct cq_roster;
//  Builds an engine from rules and a roster already loaded (plan.h,
//  roster.h); takes both (the pointers are set to NULL). Never fails.
cq_engine_t *cq_engine_new_from(struct cq_plan_rules **rules_p,
                                struct cq_roster **roster_p);

#endif
