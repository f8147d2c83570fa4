//  plan.h: a payer's plan rules file (docs/formats.md "Plan rules") loaded into
//  lookup structures for the rules engine. One file per payer; it holds the
//  payer's provider network and one or more benefit plans.
//
//  Per procedure, everything the engine needs (fee, copay, exclusion, prior
//  auth, frequency limit) sits in one record found by one hash probe.
#ifndef CQ_PLAN_H
#define CQ_PLAN_H

#include "claim.h"
#include "decision.h"
#include "err.h"
#include "tab.h"

#define CQ_PLAN_MAX_FILE (64u << 20) // a plan file is at most 64 MiB

//  The period a frequency limit counts over.
typedef enum {
    CQ_PER_PLAN_YEAR = 0,     // "plan_year": the plan year of the service
    CQ_PER_CALENDAR_YEAR = 1, // "calendar_year"
    CQ_PER_LIFETIME = 2,      // "lifetime"
} cq_limit_per_t;

//  What a plan says about one procedure code.
typedef struct {
    char code[16];      // the code, NUL-padded (the hash key)
    int64_t fee;        // fee schedule amount per unit, cents; -1: absent
    int64_t copay;      // copay, cents; 0 when none
    bool excluded;      // listed in `excluded`
    bool prior_auth;    // listed in `prior_auth_required`
    int32_t freq_max;   // frequency limit (lines); -1 when none
    cq_limit_per_t per; // what freq_max counts over
    uint32_t user;      // free for the caller (the engine caches the code's
                        // id in its member state here); UINT32_MAX at load
} cq_proc_rule_t;

typedef struct {
    char plan_id[CQ_ID_LEN];    // "GOLD-PPO"
    int py_month;               // plan_year_start month, 1..12
    int py_day;                 // plan_year_start day, 1..31
    int32_t timely_filing_days; // received - earliest service date limit
    int64_t deductible;         // per plan year, cents
    int64_t oop_max;            // out-of-pocket maximum per plan year, cents
    int64_t coins_ppm;          // in-network coinsurance, millionths
    bool oon_covered;           // out_of_network is not null
    int64_t oon_factor_ppm;     // out-of-network allowed factor, millionths
    int64_t oon_coins_ppm;      // out-of-network coinsurance, millionths
    cq_proc_rule_t *procs;      // one record per code named anywhere
    size_t n_procs;
    cq_htab_t proc_index; // code hash -> index into procs
} cq_plan_t;

typedef struct cq_plan_rules cq_plan_rules_t;

//  Loads and checks a plan rules file (at most CQ_PLAN_MAX_FILE bytes). On
//  a bad file returns NULL with diag naming the file, the JSON path and why:
//  "plan.json: plans[0].fee_schedule.99213: expected a decimal string".
//  The rules version is "sha256:" + SHA-256 of the file's bytes.
cq_plan_rules_t *cq_plan_load(const char *path, cq_diag_t *diag);
//  The same from bytes in memory; name is used in messages.
cq_plan_rules_t *cq_plan_parse(const char *buf, size_t len, const char *name,
                               cq_diag_t *diag);
void cq_plan_destroy(cq_plan_rules_t **self_p);

const char *cq_plan_payer(const cq_plan_rules_t *self);
//  "sha256:<hex>". Borrowed.
const char *cq_plan_rules_version(const cq_plan_rules_t *self);
size_t cq_plan_count(const cq_plan_rules_t *self);
//  Plan i (0-based, file order). Borrowed.
const cq_plan_t *cq_plan_at(const cq_plan_rules_t *self, size_t i);
//  Index of plan_id, or -1 when the file has no such plan.
int cq_plan_find(const cq_plan_rules_t *self, const char *plan_id);
//  True when npi is listed in `providers` with in_network true.
bool cq_plan_in_network(const cq_plan_rules_t *self, const char *npi);

//  The plan's rule for a procedure code, or NULL when the plan names the
//  code nowhere (it is then not covered). O(1).
const cq_proc_rule_t *cq_plan_proc(const cq_plan_t *plan, const char *code);
//  The same for the owner of the rules, who may use the `user` fields.
cq_plan_t *cq_plan_at_rw(cq_plan_rules_t *self, size_t i);
cq_proc_rule_t *cq_plan_proc_rw(cq_plan_t *plan, const char *code);

#endif
