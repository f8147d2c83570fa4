//  fuzz_roster.c: the member roster loader (common/roster.h), JSON Lines
//  and CSV, on arbitrary bytes.
//
//  Invariants checked (abort on violation, so libFuzzer reports it):
//  1. the loader never crashes; a refusal names the file, a line and a
//     column ("roster:LINE:COL: ...");
//  2. a loaded roster finds every member again by (payer_id, member_id),
//     the same member; every member has rows; every row's coverage ends on
//     or after it starts (or is open), and its last name is upper-cased;
//  3. the rows add up to cq_roster_rows.
#include "date.h"
#include "roster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
s_check(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_roster: invariant broken: %s\n", what);
        abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cq_diag_t diag = {0};
    cq_roster_t *r = cq_roster_parse((const char *)data, size, "roster", &diag);
    if (r == NULL) {
        unsigned line = 0, col = 0;
        s_check(diag.code != 0, "a refusal has a code");
        s_check(sscanf(diag.msg, "roster:%u:%u:", &line, &col) == 2 &&
                    line >= 1 && col >= 1,
                "a refusal names line and column");
        return 0;
    }
    size_t rows = 0;
    for (size_t i = 0; i < cq_roster_members(r); i++) {
        cq_member_t *m = cq_roster_member_at(r, i);
        s_check(cq_roster_find(r, m->payer_id, m->member_id) == m,
                "every member is found again");
        s_check(m->n_cov >= 1, "a member has rows");
        for (uint32_t k = 0; k < m->n_cov; k++) {
            const cq_coverage_t *c = &m->cov[k];
            s_check(c->end == CQ_DATE_NONE || c->end >= c->start,
                    "coverage ends after it starts");
            for (const char *s = c->last_name; *s; s++)
                s_check(!(*s >= 'a' && *s <= 'z'), "last names upper-cased");
            s_check(c->plan_id[0] != '\0', "a plan id");
        }
        rows += m->n_cov;
    }
    s_check(rows == cq_roster_rows(r), "rows add up");
    cq_roster_destroy(&r);
    return 0;
}
