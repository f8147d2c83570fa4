//  roster.h: the member roster (docs/formats.md "Member roster"): JSON Lines or
//  CSV with the same column names (header row, RFC 4180 quoting), told
//  apart by content. A member may have several rows (coverage periods);
//  members are found by (payer_id, member_id) in O(1).
//
//  The roster holds patient data: never log what it returns.
#ifndef CQ_ROSTER_H
#define CQ_ROSTER_H

#include "err.h"
#include "prelude.h"

#define CQ_ROSTER_MAX_FILE (1024u << 20) // a roster file is at most 1 GiB
#define CQ_ROSTER_MAX_LINE (64u << 10)   // one record is at most 64 KiB

//  One row: a coverage period of a member under a plan.
typedef struct {
    int32_t start;          // coverage_start, days (date.h)
    int32_t end;            // coverage_end, days; CQ_DATE_NONE = open-ended
    int32_t birth_date;     // days; PHI
    int32_t plan;           // free for the caller (the engine stores the
                            // plan's index here; -1 = not in the plan file)
    const char *plan_id;    // plan_id
    const char *last_name;  // upper-cased (ASCII); PHI
    const char *first_name; // as given, "" when absent; PHI
    char sex;               // 'F', 'M', 'U' or 0 when absent
    uint32_t line;          // line in the file (for messages)
} cq_coverage_t;

typedef struct {
    const char *payer_id;  // payer_id
    const char *member_id; // member_id; PHI
    cq_coverage_t *cov;    // this member's rows, in file order
    uint32_t n_cov;        // >= 1
    uint32_t user;         // free for the caller (UINT32_MAX at load; the
                           // engine caches the member's state id here)
    uint32_t user2;        // free for the caller (UINT32_MAX at load)
    uint64_t user_bits;    // free for the caller (0 at load)
} cq_member_t;

typedef struct cq_roster cq_roster_t;

//  Loads a roster file. On a bad file returns NULL with diag naming the
//  file, line and column and the field ("members.csv:7:31: birth_date: not
//  a date (YYYY-MM-DD)"); diag->offset is the line. Messages carry no
//  field values (they are patient data).
cq_roster_t *cq_roster_load(const char *path, cq_diag_t *diag);
//  The same from bytes in memory; name is used in messages.
cq_roster_t *cq_roster_parse(const char *buf, size_t len, const char *name,
                             cq_diag_t *diag);
void cq_roster_destroy(cq_roster_t **self_p);

//  The member, or NULL. Borrowed; valid until the roster is destroyed.
//  O(1): one hash probe and one block (header, rows and strings together).
cq_member_t *cq_roster_find(cq_roster_t *self, const char *payer_id,
                            const char *member_id);
//  Starts loading the hash slot cq_roster_find would read first.
void cq_roster_prefetch(const cq_roster_t *self, const char *payer_id,
                        const char *member_id);
//  Starts loading the member's block (one probe of the hash index: best
//  after cq_roster_prefetch).
void cq_roster_prefetch_block(const cq_roster_t *self, const char *payer_id,
                              const char *member_id);
size_t cq_roster_members(const cq_roster_t *self);
size_t cq_roster_rows(const cq_roster_t *self);
//  Member i (0..members-1), for callers that annotate rows (plan indexes).
cq_member_t *cq_roster_member_at(cq_roster_t *self, size_t i);

#endif
