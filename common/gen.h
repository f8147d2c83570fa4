//  gen.h: deterministic synthetic data for claimq: a plan rules file, a
//  member roster and claims, all a pure function of the options.
//
//  Usage (claimq gen, benchmarks, tests):
//
//      cq_gen_opts_t o;
//      cq_gen_opts_default(&o);       // seed 1, 1,000 members, 10,000 claims
//      o.n_claims = 1000000;
//      cq_gen_t *g = cq_gen_new(&o);  // NULL when an option is out of range
//      cq_buf_t plan;
//      cq_buf_init(&plan, 1 << 20);
//      cq_gen_plan_json(g, &plan);    // bytes of plan.json
//      cq_claim_t c;
//      for (size_t i = 0; i < cq_gen_n_claims(g); i++) {
//          cq_gen_claim(g, i, &c);    // claim i, identical on every call
//          ...                        // cq_gen_kind(g, i) says what it tests
//      }
//      cq_buf_free(&plan);
//      cq_gen_destroy(&g);
//
//  Claim i depends only on (options, i): claims can be made in any order
//  and from several threads (the generator is read-only after _new). Claims
//  that name or copy an earlier claim (duplicates, voids, replacements)
//  always come after it in index order, CQ_GEN_REF_GAP claims later.
//
//  The data is synthetic and must look it: member ids are "W1" + 8 digits
//  (members who are not on the roster: "W9" + 8 digits), names come from a
//  short list of obviously fake words, NPIs are made up (with a valid check
//  digit), tax ids start with "99".
//
//  The mix: 3 plans (GOLD-PPO and BRONZE-POS price out-of-network care,
//  SILVER-HMO denies it), ~15% out-of-network providers, 1-6 lines per
//  claim from a fee schedule (99213 99214 99203 81002 80053 85025 36415
//  97110 90834 71046 73030, 70553 needing prior auth, D1110 limited to 2
//  per plan year, S9999 excluded, 99499 A9270 J3490 not in the schedule),
//  members with skewed claim counts (a few members have many claims, as
//  real traffic does; with so many claims a few of theirs are incidental
//  same-day duplicates), and the special kinds below. Every claim is
//  received on opts.today, after its service dates.
#ifndef CQ_GEN_H
#define CQ_GEN_H

#include "claim.h"
#include "mem.h"

#include <stdio.h>

#define CQ_GEN_REF_GAP 64           // claim i names claim i - 64
#define CQ_GEN_MAX_MEMBERS 10000000 // "W1" + 8 digits, with room
#define CQ_GEN_MAX_CLAIMS 100000000

//  What a claim is made to test (docs/adjudication.md).
typedef enum {
    CQ_GEN_NORMAL = 0,       // ordinary; some lines may still be denied
    CQ_GEN_DUPLICATE,        // copy of an earlier claim, new claim_id: OA-18
    CQ_GEN_UNKNOWN_MEMBER,   // member id not on the roster: CO-31
    CQ_GEN_MISMATCH,         // right id, wrong last name or birth date: CO-140
    CQ_GEN_OUTSIDE_COVERAGE, // service before / after coverage: CO-26 / 27
    CQ_GEN_LATE,             // past the plan's timely filing limit: CO-29
    CQ_GEN_NO_PRIOR_AUTH,    // 70553 without prior_auth: CO-197
    CQ_GEN_VOID,             // frequency 8 naming an earlier claim
    CQ_GEN_REPLACEMENT,      // frequency 7 naming an earlier claim
    CQ_GEN_KIND_COUNT
} cq_gen_kind_t;

typedef struct {
    uint64_t seed;        // same seed, same data (default 1)
    size_t n_members;     // roster size, 1..CQ_GEN_MAX_MEMBERS (1,000)
    size_t n_claims;      // claims, 0..CQ_GEN_MAX_CLAIMS (10,000)
    const char *payer_id; // payer (default "ACME"); copied
    int plan_year;        // default 2026
    int32_t today;        // received date of every claim, as days
                          // (date.h); CQ_DATE_NONE: plan_year-07-01
} cq_gen_opts_t;

typedef struct cq_gen cq_gen_t;

void cq_gen_opts_default(cq_gen_opts_t *o);
//  Returns a generator, or NULL when an option is out of range. Caller
//  owns it.
cq_gen_t *cq_gen_new(const cq_gen_opts_t *opts);
void cq_gen_destroy(cq_gen_t **self_p);

size_t cq_gen_n_claims(const cq_gen_t *self);
size_t cq_gen_n_members(const cq_gen_t *self);
int32_t cq_gen_today(const cq_gen_t *self);

//  Appends the plan rules file (docs/formats.md "Plan rules", pretty-printed,
//  ends with a newline). Returns 0 or CQ_ETOOBIG.
int cq_gen_plan_json(const cq_gen_t *self, cq_buf_t *out);
//  Appends the roster rows of member m (0-based; one row, or two for a
//  member with a gap in coverage), each a JSON line ending in '\n'.
int cq_gen_member_rows(const cq_gen_t *self, size_t m, cq_buf_t *out);
//  Appends the whole roster (JSON Lines).
int cq_gen_members_jsonl(const cq_gen_t *self, cq_buf_t *out);

//  Fills *out with claim i (i < n_claims); cheap (about a microsecond).
void cq_gen_claim(const cq_gen_t *self, size_t i, cq_claim_t *out);
//  What claim i tests, and (for duplicates, voids, replacements) the index
//  of the claim it copies or names, else SIZE_MAX.
cq_gen_kind_t cq_gen_kind(const cq_gen_t *self, size_t i);
size_t cq_gen_ref(const cq_gen_t *self, size_t i);
const char *cq_gen_kind_name(cq_gen_kind_t k); // "normal", "duplicate", ...
//  Appends claims [0, n_claims) as JSON Lines (for small sets and tests).
int cq_gen_claims_jsonl(const cq_gen_t *self, cq_buf_t *out);

//  Whole files to a stream. Return 0 or CQ_EIO.
int cq_gen_write_plan(const cq_gen_t *self, FILE *f);
int cq_gen_write_members(const cq_gen_t *self, FILE *f);
int cq_gen_write_claims(const cq_gen_t *self, FILE *f);

//  True when npi is 10 digits with a valid check digit (Luhn over "80840"
//  and the first 9 digits).
bool cq_gen_npi_valid(const char *npi);

#endif
