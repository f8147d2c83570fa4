//  it_ledger_cli.c: the real `claimq ledger verify|query|reconcile` on
//  ledgers written here through the ledger API (log mode, as a worker
//  writes them) and a broker journal built here from
//  schemas/journal/0001_init.sql: counts, a tampered row named by its seq,
//  orphans in query, and each reconcile problem kind (exit 1 naming it)
//  against a clean run (exit 0); usage errors exit 2, unreadable files 3.
#include "cq_proc.h"
#include "journal.h"
#include "engine.h"
#include "gen.h"
#include "ledger.h"
#include "log.h"
#include "plan.h"
#include "proto.h"
#include "roster.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_CLAIMS 60 // claims of the data set; w1 decides 0..29, w2 30..59

static char s_dir[1024];
static char s_w1[1100], s_w2[1100];
static char s_id[2][40]; // ledger ids of w1, w2
//  what the ledgers hold, for the journal: claim i's decision
static cq_decision_t s_dec[S_CLAIMS];
static int s_ledger_of[S_CLAIMS]; // 0 w1, 1 w2

static void
s_setup(void)
{
    cq_log_set_level(CQ_LOG_ERROR);
    const char *tmp = cq_test_tmpdir();
    cr_assert_not_null(tmp);
    snprintf(s_dir, sizeof s_dir, "%s", tmp);
    snprintf(s_w1, sizeof s_w1, "%s/w1.ledger", s_dir);
    snprintf(s_w2, sizeof s_w2, "%s/w2.ledger", s_dir);
}

TestSuite(ledger_cli, .init = s_setup, .timeout = 120);

//  Decides claims [from, to) of the generated data into a new log ledger
//  of node, as a worker does; keeps each decision in s_dec.
static void
s_ledger(const char *path, const char *node, int which, size_t from, size_t to)
{
    cq_gen_opts_t o;
    cq_gen_opts_default(&o);
    o.n_members = 40;
    o.n_claims = S_CLAIMS;
    cq_gen_t *gen = cq_gen_new(&o);
    cr_assert_not_null(gen);
    cq_buf_t plan, roster;
    cq_buf_init(&plan, 1 << 24);
    cq_buf_init(&roster, 1 << 24);
    cr_assert_eq(cq_gen_plan_json(gen, &plan), 0);
    cr_assert_eq(cq_gen_members_jsonl(gen, &roster), 0);
    cq_diag_t diag = {0};
    cq_plan_rules_t *r = cq_plan_parse(plan.data, plan.len, "plan", &diag);
    cr_assert_not_null(r, "%s", diag.msg);
    cq_roster_t *m = cq_roster_parse(roster.data, roster.len, "roster", &diag);
    cr_assert_not_null(m, "%s", diag.msg);
    cq_engine_t *eng = cq_engine_new_from(&r, &m);
    cq_engine_set_node(eng, node);

    cq_ledger_t *l = cq_ledger_open_log(path, node, &diag);
    cr_assert_not_null(l, "%s", diag.msg);
    snprintf(s_id[which], sizeof s_id[which], "%s", cq_ledger_id(l));
    cq_state_t *st = cq_ledger_session_state(l);
    static cq_claim_t c;
    for (size_t i = from; i < to; i++) {
        cq_gen_claim(gen, i, &c);
        cr_assert_eq(
            cq_engine_decide(eng, st, &c, cq_gen_today(gen), &s_dec[i], NULL),
            0);
        cr_assert_gt(s_dec[i].ledger_seq, 0);
        s_ledger_of[i] = which;
    }
    cr_assert_eq(cq_ledger_commit(l), 0);
    cq_state_destroy(&st);
    cq_ledger_destroy(&l);
    cq_engine_destroy(&eng);
    cq_gen_destroy(&gen);
    cq_buf_free(&plan);
    cq_buf_free(&roster);
}

static void
s_both(void)
{
    s_ledger(s_w1, "w1", 0, 0, S_CLAIMS / 2);
    s_ledger(s_w2, "w2", 1, S_CLAIMS / 2, S_CLAIMS);
}

static void
s_mark(const char *path, const char *node, uint64_t from, uint64_t to)
{
    cq_diag_t diag = {0};
    cq_ledger_t *l = cq_ledger_open_log(path, node, &diag);
    cr_assert_not_null(l, "%s", diag.msg);
    const uint64_t r[][2] = {{from, to}};
    size_t marked = 0;
    cr_assert_eq(cq_ledger_mark_orphans(l, r, 1, 0, &marked), 0);
    cr_assert_eq(marked, to - from + 1);
    cq_ledger_destroy(&l);
}

static sqlite3 *
s_open(const char *path)
{
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    return db;
}

//  How the journal built by s_journal differs from the ledgers.
typedef enum {
    J_CLEAN,
    J_MISSING,   // claim 3's decision names a row w1 does not have
    J_UNNAMED,   // claim 4 has no journal decision (w1's row: an orphan)
    J_TWICE,     // claim 0 admitted again under a second id, decided again
    J_DISAGREE,  // the journal says claim 5 was paid a cent more
    J_LOST_NODE, // a decision of a ledger w3 (not given)
} s_journal_case_t;

//  Writes DIR/journal.db through the broker's journal (broker/journal.h):
//  the claims, their decisions as the broker journals them (node, ledger
//  id, ledger seq, msgpack body), an undecided claim and a quarantined one.
static void
s_journal(s_journal_case_t how)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/journal.db", s_dir);
    remove(path);
    cq_diag_t diag = {0};
    cq_journal_t *j = cq_journal_open(s_dir, 16, &diag);
    cr_assert_not_null(j, "%s", diag.msg);
    uint8_t dg[32] = {1};
    cq_journal_batch(j, 0, "b", 1, "");
    cq_journal_doc(j, 0, 0, 0, "claims.jsonl", 1, 0, 1, dg, "x", 1);
    cq_journal_doc(j, 1, 0, 1, "more.jsonl", 1, 0, 1, dg, "y", 1);
    size_t n = S_CLAIMS + (how == J_TWICE);
    char keys[S_CLAIMS + 1][200];
    cq_journal_intake_begin(j, 0, 1, 0, NULL, (uint32_t)n, 0, 0);
    for (size_t k = 0; k < n; k++) {
        const cq_decision_t *d = &s_dec[k < S_CLAIMS ? k : 0];
        snprintf(keys[k], sizeof keys[k], "%.39s|%.10s|%.39s|%c", d->payer_id,
                 d->billing_npi, d->claim_id,
                 d->frequency ? d->frequency : '1');
        cq_journal_entry_claim(j, (uint32_t)k, keys[k], 0, "\xc0", 1);
    }
    cq_journal_intake_end(j);
    //  two claims not decided yet, one of them in quarantine (and one
    //  released from it, then quarantined again)
    cq_journal_intake_begin(j, 1, 2, 0, NULL, 2, 0, 0);
    cq_journal_entry_claim(j, 1000, "P|1|U1|1", 0, "\xc0", 1);
    cq_journal_entry_claim(j, 1001, "P|1|U2|1", 0, "\xc0", 1);
    cq_journal_intake_end(j);
    cq_mpw_t w;
    cq_mpw_init(&w);
    for (int which = 0; which < 2; which++) {
        cq_journal_result_begin(j, (uint32_t)which, which ? "w2" : "w1",
                                s_id[which], 7, 0);
        for (size_t k = 0; k < n; k++) {
            size_t i = k < S_CLAIMS ? k : 0; // J_TWICE: claim 0 again
            if (s_ledger_of[i] != which || (how == J_UNNAMED && k == 4))
                continue;
            cq_decision_t *d = &s_dec[i];
            int64_t seq = d->ledger_seq;
            int64_t paid = d->paid;
            if (how == J_MISSING && k == 3)
                seq = 999;
            if (how == J_DISAGREE && k == 5)
                d->paid++;
            cq_mpw_reset(&w);
            cq_proto_decision_encode(&w, d);
            d->paid = paid;
            if (how == J_LOST_NODE && k == 6) {
                //  (a ledger w3 that is not given: a result of its own)
                cq_journal_result_end(j);
                cq_journal_result_begin(j, 10, which ? "w2" : "w1",
                                        "0123456789abcdef0123456789abcdef", 7,
                                        0);
                cq_journal_result_item(j, (uint32_t)k, k + 1, (uint64_t)seq,
                                       (int)d->decision, w.data, w.len);
                cq_journal_result_end(j);
                cq_journal_result_begin(j, 20 + (uint32_t)which,
                                        which ? "w2" : "w1", s_id[which], 7, 0);
                continue;
            }
            cq_journal_result_item(j, (uint32_t)k, k + 1, (uint64_t)seq,
                                   (int)d->decision, w.data, w.len);
        }
        cq_journal_result_end(j);
    }
    cq_mpw_free(&w);
    cq_journal_event(j, "claim_quarantined", 1000, NULL, 0, NULL, 1);
    cq_journal_event(j, "claim_released", 1000, NULL, 0, NULL, 2);
    cq_journal_event(j, "claim_quarantined", 1001, NULL, 0, NULL, 3);
    cq_journal_event(j, "claim_released", 1001, NULL, 0, NULL, 4);
    cq_journal_event(j, "claim_quarantined", 1001, NULL, 0, NULL, 5);
    cr_assert_eq(cq_journal_commit(j, &diag), 0, "%s", diag.msg);
    cq_journal_close(&j);
}

//  Runs `claimq ledger ARGS...` and returns its exit status.
#define S_LEDGER(r, ...) cq_proc_claimq(r, 60, "ledger", __VA_ARGS__, NULL)

static void
s_has(const char *text, const char *what)
{
    cr_assert(strstr(text, what) != NULL, "no \"%s\" in:\n%s", what, text);
}

//  ---- verify ---------------------------------------------------------------

Test(ledger_cli, verify_counts_and_names_the_tampered_seq)
{
    s_both();
    s_mark(s_w1, "w1", 5, 6);
    cq_run_t r;
    int st = S_LEDGER(&r, "verify", s_w1, s_w2);
    cr_assert_eq(st, 0, "exit %d: %s%s", st, r.out, r.err);
    s_has(r.out, "w1.ledger: ok: schema 2, node w1");
    s_has(r.out, s_id[0]);
    s_has(r.out, "32 rows: 28 decisions");
    s_has(r.out, "2 orphans, 2 markers");
    s_has(r.out, "w2.ledger: ok: schema 2, node w2");
    s_has(r.out, "30 rows: 30 decisions");
    cq_run_free(&r);

    //  one byte of row 17's stored decision (claim 16) changes
    sqlite3 *db = s_open(s_w1);
    sqlite3_stmt *q = NULL;
    cr_assert_eq(sqlite3_prepare_v2(db,
                                    "SELECT body FROM decisions WHERE seq = 17",
                                    -1, &q, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
    size_t n = (size_t)sqlite3_column_bytes(q, 0);
    unsigned char *body = malloc(n);
    memcpy(body, sqlite3_column_blob(q, 0), n);
    sqlite3_finalize(q);
    //  a byte of the claim id (the chain covers the decision's JSON)
    const char *cid = s_dec[16].claim_id;
    size_t cl = strlen(cid), at = 0;
    while (at + cl <= n && memcmp(body + at, cid, cl) != 0)
        at++;
    cr_assert_leq(at + cl, n, "claim id not in the body");
    body[at + cl - 1] ^= 0x01;
    cr_assert_eq(sqlite3_prepare_v2(db,
                                    "UPDATE decisions SET body = ? WHERE seq = "
                                    "17",
                                    -1, &q, NULL),
                 SQLITE_OK);
    sqlite3_bind_blob(q, 1, body, (int)n, SQLITE_STATIC);
    cr_assert_eq(sqlite3_step(q), SQLITE_DONE);
    sqlite3_finalize(q);
    free(body);
    sqlite3_close(db);

    st = S_LEDGER(&r, "verify", s_w2, s_w1);
    cr_assert_eq(st, 1, "exit %d: %s%s", st, r.out, r.err);
    s_has(r.out, "w2.ledger: ok");
    s_has(r.out, "w1.ledger: BROKEN at seq 17");
    s_has(r.err, "seq 17");
    cq_run_free(&r);
}

Test(ledger_cli, verify_usage_and_unreadable_files)
{
    cq_run_t r;
    cr_assert_eq(S_LEDGER(&r, "verify"), 2, "%s", r.err);
    s_has(r.err, "Try 'claimq ledger --help'");
    cq_run_free(&r);
    cr_assert_eq(S_LEDGER(&r, "frobnicate"), 2, "%s", r.err);
    cq_run_free(&r);
    cr_assert_eq(S_LEDGER(&r, "verify", "--bogus", "x"), 2, "%s", r.err);
    cq_run_free(&r);

    char junk[1100];
    snprintf(junk, sizeof junk, "%s/junk.ledger", s_dir);
    cr_assert_eq(cq_test_write(junk, "not a ledger at all", 19), 0);
    cr_assert_eq(S_LEDGER(&r, "verify", junk), 3, "%s", r.err);
    s_has(r.err, junk);
    cq_run_free(&r);
    cr_assert_eq(S_LEDGER(&r, "verify", "/nonexistent/w9.ledger"), 3);
    s_has(r.err, "/nonexistent/w9.ledger");
    cq_run_free(&r);

    cr_assert_eq(S_LEDGER(&r, "--help"), 0);
    const char *opts[] = {"verify",    "query",          "reconcile",
                          "--claim",   "--member",       "--batch",
                          "--orphans", "--journal",      "--json",
                          "--help",    "orphan\": true", "exit codes"};
    for (size_t i = 0; i < sizeof opts / sizeof *opts; i++)
        s_has(r.out, opts[i]);
    cq_run_free(&r);
}

//  ---- query ----------------------------------------------------------------

static size_t
s_lines(const char *text)
{
    size_t n = 0;
    for (const char *p = text; (p = strchr(p, '\n')) != NULL; p++)
        n++;
    return n;
}

Test(ledger_cli, query_prints_decisions_and_marks_orphans)
{
    s_both();
    s_mark(s_w1, "w1", 5, 6); // claims 4 and 5
    cq_run_t r;
    int st = S_LEDGER(&r, "query", s_w1);
    cr_assert_eq(st, 0, "%s", r.err);
    cr_assert_eq(s_lines(r.out), 30, "decisions, orphans too, no markers");
    cq_run_free(&r);

    st = S_LEDGER(&r, "query", s_w1, "--claim", s_dec[7].claim_id);
    cr_assert_eq(st, 0, "%s", r.err);
    cr_assert_eq(s_lines(r.out), 1, "%s", r.out);
    cq_decision_t *d = malloc(sizeof *d);
    cq_diag_t diag = {0};
    cr_assert_eq(cq_decision_from_json(r.out, r.out_len - 1, d, &diag), 0, "%s",
                 diag.msg);
    cr_assert_str_eq(d->claim_id, s_dec[7].claim_id);
    cr_assert_eq(d->ledger_seq, 8);
    cr_assert_eq(d->paid, s_dec[7].paid);
    cr_assert(strstr(r.out, "orphan") == NULL);
    cq_run_free(&r);

    st = S_LEDGER(&r, "query", s_w1, "--orphans");
    cr_assert_eq(st, 0, "%s", r.err);
    cr_assert_eq(s_lines(r.out), 2, "%s", r.out);
    s_has(r.out, "\"ledger_seq\": 5,");
    s_has(r.out, "\"ledger_seq\": 6,");
    const char *p = r.out;
    for (int k = 0; k < 2; k++) {
        const char *nl = strchr(p, '\n');
        cr_assert(nl - p > 17 &&
                      memcmp(nl - 17, ", \"orphan\": true}", 17) == 0,
                  "%.*s", (int)(nl - p), p);
        json_t *j = json_loadb(p, (size_t)(nl - p), 0, NULL);
        cr_assert(json_is_true(json_object_get(j, "orphan")));
        json_decref(j);
        p = nl + 1;
    }
    cq_run_free(&r);

    //  the member of claim 0 (as the ledger row names it)
    sqlite3 *db = s_open(s_w1);
    sqlite3_stmt *q = NULL;
    sqlite3_prepare_v2(db, "SELECT member FROM decisions WHERE seq = 1", -1, &q,
                       NULL);
    cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
    char member[64];
    snprintf(member, sizeof member, "%s", sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    sqlite3_close(db);
    cr_assert_neq(member[0], '\0');
    st = S_LEDGER(&r, "query", s_w1, "--member", member);
    cr_assert_eq(st, 0, "%s", r.err);
    cr_assert_geq(s_lines(r.out), 1);
    s_has(r.out, s_dec[0].claim_id);
    cq_run_free(&r);

    //  no match: nothing, exit 0
    st = S_LEDGER(&r, "query", s_w1, "--batch", "no-such-batch");
    cr_assert_eq(st, 0, "%s", r.err);
    cr_assert_eq(r.out_len, 0, "%s", r.out);
    cq_run_free(&r);

    cr_assert_eq(S_LEDGER(&r, "query"), 2);
    cq_run_free(&r);
    cr_assert_eq(S_LEDGER(&r, "query", s_w1, "--frobnicate"), 2);
    cq_run_free(&r);
    cr_assert_eq(S_LEDGER(&r, "query", s_w1, s_w2), 2);
    cq_run_free(&r);
    cr_assert_eq(S_LEDGER(&r, "query", "/nonexistent/w9.ledger"), 3);
    cq_run_free(&r);
    free(d);
}

//  ---- reconcile ------------------------------------------------------------

//  Runs reconcile on both ledgers (r filled) and checks its exit status.
static void
s_reconcile(cq_run_t *r, bool json, int want)
{
    int st = json ? S_LEDGER(r, "reconcile", "--journal", s_dir, "--json", s_w1,
                             s_w2)
                  : S_LEDGER(r, "reconcile", "--journal", s_dir, s_w1, s_w2);
    cr_assert_eq(st, want, "exit %d:\n%s%s", st, r->out, r->err);
}

Test(ledger_cli, reconcile_clean)
{
    s_both();
    s_journal(J_CLEAN);
    cq_run_t r;
    s_reconcile(&r, false, 0);
    s_has(r.out, "60 decisions, 62 claims");
    s_has(r.out, "missing: 0");
    s_has(r.out, "decided twice: 0");
    s_has(r.out, "unmarked orphans: 0");
    s_has(r.out, "disagreements: 0");
    s_has(r.out, "ledgers not given: 0");
    s_has(r.out, "2 claims not decided yet (1 of them quarantined)");
    s_has(r.out, "reconcile: clean");
    cq_run_free(&r);

    s_reconcile(&r, true, 0);
    json_error_t jerr;
    json_t *j = json_loads(r.out, 0, &jerr);
    cr_assert_not_null(j, "%s: %s", jerr.text, r.out);
    cr_assert(json_is_true(json_object_get(j, "clean")));
    cr_assert_eq(json_integer_value(json_object_get(j, "journal_decisions")),
                 60);
    cr_assert_eq(json_integer_value(json_object_get(j, "quarantined")), 1);
    cr_assert_eq(json_array_size(json_object_get(j, "ledgers")), 2);
    json_decref(j);
    cq_run_free(&r);

    //  the journal file itself, as DIR
    char path[1100];
    snprintf(path, sizeof path, "%s/journal.db", s_dir);
    int st = S_LEDGER(&r, "reconcile", "--journal", path, s_w2, s_w1);
    cr_assert_eq(st, 0, "exit %d:\n%s%s", st, r.out, r.err);
    cq_run_free(&r);
}

Test(ledger_cli, reconcile_names_a_missing_row)
{
    s_both();
    s_journal(J_MISSING);
    cq_run_t r;
    s_reconcile(&r, false, 1);
    s_has(r.out, "missing: 1");
    s_has(r.out, s_dec[3].claim_id);
    s_has(r.out, "seq 999: no such row");
    //  and w1's row of that claim is named by nobody
    s_has(r.out, "unmarked orphans: 1");
    s_has(r.out, "reconcile: 2 problems");
    cq_run_free(&r);

    //  a journal decision naming an orphan is missing too
    s_journal(J_CLEAN);
    s_mark(s_w1, "w1", 9, 9);
    s_reconcile(&r, true, 1);
    json_t *j = json_loads(r.out, 0, NULL);
    cr_assert_not_null(j, "%s", r.out);
    json_t *m = json_array_get(json_object_get(j, "missing"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(m, "why")),
                     "the row is marked orphan");
    cr_assert_eq(json_integer_value(json_object_get(m, "seq")), 9);
    cr_assert_eq(json_integer_value(
                     json_object_get(json_object_get(j, "counts"), "missing")),
                 1);
    json_decref(j);
    cq_run_free(&r);
}

Test(ledger_cli, reconcile_names_an_unmarked_orphan_until_it_is_marked)
{
    s_both();
    s_journal(J_UNNAMED);
    cq_run_t r;
    s_reconcile(&r, false, 1);
    s_has(r.out, "unmarked orphans: 1");
    s_has(r.out, "w1.ledger seq 5:");
    s_has(r.out, "3 claims not decided yet");
    cq_run_free(&r);

    //  the node marks it (ORPHANS from the broker): clean
    s_mark(s_w1, "w1", 5, 5);
    s_reconcile(&r, false, 0);
    s_has(r.out, "info: 1 orphans marked");
    cq_run_free(&r);
}

Test(ledger_cli, reconcile_names_a_claim_decided_twice)
{
    s_both();
    s_journal(J_TWICE);
    cq_run_t r;
    s_reconcile(&r, false, 1);
    s_has(r.out, "decided twice: 1");
    s_has(r.out, "2 decisions in the journal");
    s_has(r.out, s_dec[0].claim_id);
    cq_run_free(&r);

    //  twice across the ledgers: w2 decides claim 0 as well
    s_journal(J_CLEAN);
    cq_decision_t keep = s_dec[0];
    s_ledger(s_w2, "w2", 1, 0, 1); // appended to w2 after its 30 rows
    s_dec[0] = keep;
    s_ledger_of[0] = 0;
    s_reconcile(&r, false, 1);
    s_has(r.out, "decided twice: 1");
    s_has(r.out, "2 decisions in the ledgers");
    s_has(r.out, "w2.ledger seq 31");
    s_has(r.out, "unmarked orphans: 1");
    cq_run_free(&r);
}

Test(ledger_cli, reconcile_names_a_disagreement)
{
    s_both();
    s_journal(J_DISAGREE);
    cq_run_t r;
    s_reconcile(&r, false, 1);
    s_has(r.out, "disagreements: 1");
    s_has(r.out, s_dec[5].claim_id);
    s_has(r.out, "w1.ledger seq 6");
    cq_run_free(&r);
}

Test(ledger_cli, reconcile_names_ledgers_not_given)
{
    s_both();
    s_journal(J_LOST_NODE);
    cq_run_t r;
    s_reconcile(&r, false, 1);
    s_has(r.out, "ledgers not given: 1");
    s_has(r.out, "ledger 0123456789abcdef0123456789abcdef (node w1): 1 "
                 "decisions");
    s_has(r.out, "unmarked orphans: 1"); // the row of claim 6 in w1
    cq_run_free(&r);

    //  only w1 given: w2's 30 decisions
    s_journal(J_CLEAN);
    int st = S_LEDGER(&r, "reconcile", "--journal", s_dir, s_w1);
    cr_assert_eq(st, 1, "exit %d:\n%s%s", st, r.out, r.err);
    s_has(r.out, s_id[1]);
    s_has(r.out, "(node w2): 30 decisions");
    cq_run_free(&r);
}

Test(ledger_cli, reconcile_usage_and_unreadable_files)
{
    s_both();
    cq_run_t r;
    cr_assert_eq(S_LEDGER(&r, "reconcile", s_w1), 2, "%s", r.err);
    s_has(r.err, "--journal");
    cq_run_free(&r);
    cr_assert_eq(S_LEDGER(&r, "reconcile", "--journal", s_dir), 2, "%s", r.err);
    cq_run_free(&r);
    cr_assert_eq(S_LEDGER(&r, "reconcile", "--journal", s_dir, s_w1, s_w1), 2,
                 "%s", r.err);
    s_has(r.err, "same ledger");
    cq_run_free(&r);
    //  no journal there yet
    cr_assert_eq(
        S_LEDGER(&r, "reconcile", "--journal", "/nonexistent/dir", s_w1), 3,
        "%s", r.err);
    cq_run_free(&r);
    cr_assert_eq(S_LEDGER(&r, "reconcile", "--journal", s_w2, s_w1), 3, "%s",
                 r.err);
    s_has(r.err, "not a claimq journal");
    cq_run_free(&r);
}
