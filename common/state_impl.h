//  state_impl.h: the inside of cq_state_t (state.h), shared by the engine
//  (engine.c), the in-memory store (state.c) and the SQLite ledger
//  (ledger.c). Internal to common/.
//
//  One concrete structure holds every lookup the engine needs, in memory:
//    - decisions by claim key (resubmissions return the earlier decision);
//    - the decision in effect for (payer, npi, claim_id), which a void or
//      replacement naming that claim_id reverses: found through the claim
//      key ("...|1", else "...|7") and the replaced_by links;
//    - accepted service lines (history) indexed for duplicates (member,
//      date, procedure) and for frequency limits (member, procedure); each
//      row also holds the cost share it added, so reversing a claim is
//      subtracting its rows;
//    - plan-year accumulators (deductible and out-of-pocket used).
//  What differs between the stores is behind cq_state_hooks_t: the ledger
//  writes each decision and its rows to SQLite before the memory is
//  updated (and, in state mode, rebuilds the memory from its tables at
//  open); the memory store and a log ledger's session state keep the
//  decisions themselves (packed) in an arena.
#ifndef CQ_STATE_IMPL_H
#define CQ_STATE_IMPL_H

#include "mem.h"
#include "state.h"
#include "tab.h"

#define CQ_STATE_NONE UINT32_MAX

//  One accepted service line.
typedef struct {
    uint32_t member;    // interned member ("payer\x1fmember_id")
    uint32_t npi;       // interned billing NPI
    uint32_t proc;      // interned procedure code
    uint32_t rec;       // decision record that accepted it
    int32_t date;       // service date (days)
    uint32_t acc;       // accumulator it added to
    uint64_t mods;      // modifiers, packed (cq_state_pack_mods)
    int64_t charge;     // line charge, cents
    int64_t ded;        // deductible it added, cents
    int64_t oop;        // out-of-pocket it added (copay + ded + coins), cents
    uint32_t next_dup;  // older row with the same (member, date, proc)
    uint32_t next_freq; // older row with the same (member, proc)
    bool active;        // false once its claim is voided or replaced
} cq_hist_t;

//  Deductible and out-of-pocket used by a member in one plan year.
typedef struct {
    uint32_t member;  // interned member
    uint32_t plan;    // interned plan_id
    int32_t py_start; // first day of the plan year
    int64_t ded;      // deductible used, cents
    int64_t oop;      // out-of-pocket used, cents
} cq_acc_t;

//  One decision.
typedef struct {
    int64_t seq;          // ledger_seq
    const char *key;      // claim key "payer|npi|claim_id|f" (arena)
    const void *body;     // memory store: the packed decision, else NULL
    uint32_t body_len;    // bytes at body
    uint32_t first_hist;  // its accepted lines: hist[first_hist ..
    uint32_t n_hist;      //                        .. + n_hist)
    uint16_t rules;       // index into rules versions
    uint8_t outcome;      // cq_outcome_t
    char freq;            // '1', '7', '8'
    bool reversed;        // a void or replacement reversed its effects
    uint32_t replaced_by; // the replacement that reversed it, or NONE
} cq_rec_t;

//  Interned strings (codes, NPIs, plan ids, members) -> small ids.
typedef struct {
    const char **str; // id -> string (arena)
    size_t n, cap;
    cq_htab_t index; // hash -> id
} cq_intern_t;

//  An accepted line as the engine hands it over (strings, not ids, so the
//  ledger can store it as text).
typedef struct {
    uint8_t line;       // 1-based line number
    uint32_t member_id; // ids when the caller has them interned,
    uint32_t npi_id;    // else CQ_STATE_NONE (then interned from
    uint32_t proc_id;   // the strings below)
    uint32_t plan_id;
    bool track_freq;           // chain it for frequency limits (a plan
                               // limits its procedure)
    uint32_t acc_hint;         // its accumulator's index if the caller
                               // knows it (checked), else CQ_STATE_NONE
    const char *member_key;    // "payer\x1fmember_id"
    const char *npi;           // billing NPI
    const char *proc;          // procedure code
    const char *plan;          // plan_id
    int32_t date;              // service date
    int32_t py_start;          // plan year of the accumulator it adds to
    uint64_t mods;             // packed modifiers
    int64_t charge;            // line charge
    int64_t copay, ded, coins; // cost share (oop = copay + ded + coins)
} cq_state_line_t;

//  A decision's effect on the state.
typedef struct {
    const char *key;          // claim key
    bool index_key;           // false: not found again by key (synthetic id)
    const char *orig_lineage; // 7/8: "payer|npi|original_claim_id", or NULL
    uint32_t reverses;        // rec whose effects it reverses, or NONE
    uint32_t replaces;        // accepted replacement: the rec it replaces
                              // (reversed or not), or NONE
    const cq_state_line_t *lines; // accepted lines it adds
    size_t n_lines;
    const char *member_key; // the claim's "payer\x1fmember_id" (every
                            // decision; member_id may be ""), or NULL
    //  1 + the rec of a pend this decision supersedes (a person released
    //  the claim: claimq review): the key finds this decision from now
    //  on. 0: none (so that zeroed entries supersede nothing).
    uint32_t supersedes1;
} cq_state_entry_t;

//  What a store does beyond memory.
typedef struct {
    //  Persists one decision and its entry before the memory is updated.
    //  d->ledger_seq comes set to the state's next seq; a store that
    //  numbers its own rows (a log ledger, ledger.h) sets it to the seq it
    //  wrote. 0 or CQ_EIO / CQ_ENOSPC / CQ_EBUSY.
    //  st is the state recording (entry->reverses indexes st->recs).
    int (*record)(void *arg, const cq_state_t *st, cq_decision_t *d,
                  const cq_state_entry_t *entry);
    //  Reads back the decision of record rec (when rec->body is NULL).
    int (*load)(void *arg, const cq_rec_t *rec, cq_decision_t *d);
    void *arg;
} cq_state_hooks_t;

struct cq_state {
    cq_arena_t arena;    // keys, interned strings, packed decisions
    cq_intern_t codes;   // NPIs, procedure codes, plan ids
    cq_intern_t members; // "payer\x1fmember_id"
    cq_rec_t *recs;      // decisions in seq order
    size_t n_recs, cap_recs;
    cq_htab_t key_index; // hash(claim key) -> rec
    cq_hist_t *hist;     // accepted lines, in decision order
    size_t n_hist, cap_hist;
    cq_htab_t dup_index;  // (member, date, proc) -> newest hist row
    cq_htab_t freq_index; // (member, proc) -> newest hist row
    cq_acc_t *accs;       // accumulators
    size_t n_accs, cap_accs;
    cq_htab_t acc_index; // hash(member, plan, py) -> acc
    const char **rules;  // rules versions seen (arena)
    size_t n_rules, cap_rules;
    int64_t next_seq;       // ledger_seq of the next decision
    uint64_t serial;        // unique per state object (the engine caches by it)
    bool keep_bodies;       // memory store: keep packed decisions
    bool persist;           // false: record skips hooks.record (seq 0)
    cq_buf_t pack_buf;      // scratch for packing
    cq_state_hooks_t hooks; // persistence (all NULL for memory)
};

//  Makes an empty state with the given hooks (NULL: memory only).
cq_state_t *cq_state_new_hooked(const cq_state_hooks_t *hooks,
                                bool keep_bodies);

//  Interning. find returns CQ_STATE_NONE when s was never interned.
uint32_t cq_intern_find(const cq_intern_t *t, const char *s, size_t n);
uint32_t cq_intern_add(cq_intern_t *t, cq_arena_t *a, const char *s, size_t n);
uint32_t cq_state_member_find(const cq_state_t *st, const char *payer,
                              const char *member_id);

//  Index of the rules version string (added if new).
uint16_t cq_state_rules_id(cq_state_t *st, const char *rules_version);

//  The decision recorded for a claim key, or CQ_STATE_NONE.
uint32_t cq_state_find_key(const cq_state_t *st, const char *key, size_t n);
//  The decision in effect for lineage "payer|npi|claim_id" (following
//  replacements of replacements), or NONE.
uint32_t cq_state_find_lineage(const cq_state_t *st, const char *lin, size_t n);
//  Reads back record rec's decision into d. 0 or CQ_EIO.
int cq_state_get(cq_state_t *st, uint32_t rec, cq_decision_t *d);
//  Accumulator of (member, plan, py_start) or CQ_STATE_NONE.
uint32_t cq_state_acc_find(const cq_state_t *st, uint32_t member, uint32_t plan,
                           int32_t py_start);
//  Record index of ledger seq, or NONE. Needs seqs ascending in record
//  order (a state-mode ledger's; not a session state's, where decisions
//  replayed with persistence off have seq 0).
uint32_t cq_state_rec_by_seq(const cq_state_t *st, int64_t seq);

//  Newest history row of (member, date, proc) / of (member, proc), or
//  NONE; older ones follow through next_dup / next_freq (inactive rows
//  included: check active).
uint32_t cq_state_dup_head(const cq_state_t *st, uint32_t member, int32_t date,
                           uint32_t proc);
uint32_t cq_state_freq_head(const cq_state_t *st, uint32_t member,
                            uint32_t proc);
//  Starts loading the dup index slot of (member, date, proc) (recording an
//  accepted line will need it).
void cq_state_dup_prefetch(const cq_state_t *st, uint32_t member, int32_t date,
                           uint32_t proc);
//  Packs up to 4 two-character modifiers into 64 bits.
uint64_t cq_state_pack_mods(const char mods[][3], size_t n);

//  Records decision d with its effect: assigns d->ledger_seq, persists it
//  through the hooks, then updates memory. 0 or the hook's error (memory
//  is then unchanged). With persistence off (cq_state_set_persist) the
//  hooks are skipped and d->ledger_seq is 0.
int cq_state_record(cq_state_t *st, cq_decision_t *d,
                    const cq_state_entry_t *e);
//  Updates memory only (the ledger's rebuild at open). d may be NULL when
//  the store does not keep bodies; then outcome, freq, seq and rules are
//  taken from the arguments.
void cq_state_apply(cq_state_t *st, const cq_state_entry_t *e, int64_t seq,
                    cq_outcome_t outcome, char freq, uint16_t rules,
                    const cq_decision_t *d);

//  Compact binary form of a decision (no rules_version: the record keeps
//  its index). Used for the memory store and the ledger's body column.
int cq_decision_pack(const cq_decision_t *d, cq_buf_t *out);
int cq_decision_unpack(const void *p, size_t n, cq_decision_t *d);

#endif
