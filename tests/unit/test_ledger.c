//  test_ledger.c: the SQLite ledger (common/ledger.h): migrations, reopen
//  restores state (same claims, same decisions), the hash chain, write
//  failures as CQ_EIO.
#include "cq_test.h"
#include "decision.h"
#include "engine.h"
#include "gen.h"
#include "hash.h"
#include "ledger.h"
#include "log.h"
#include "plan.h"
#include "roster.h"

#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char s_path[4096];

static void
s_setup(void)
{
    cq_log_set_level(CQ_LOG_ERROR);
    const char *dir = cq_test_tmpdir();
    cr_assert_not_null(dir);
    snprintf(s_path, sizeof s_path, "%s/ledger.db", dir);
}

TestSuite(ledger, .init = s_setup);

static sqlite3 *
s_db(void)
{
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open(s_path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    return db;
}

static int64_t
s_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *q = NULL;
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK, "%s: %s",
                 sql, sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_step(q), SQLITE_ROW, "%s", sql);
    int64_t v = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return v;
}

static void
s_sql(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, &err), SQLITE_OK, "%s: %s",
                 sql, err ? err : "");
}

Test(ledger, migrations_are_applied_once_and_recorded)
{
    cq_diag_t diag = {0};
    cq_ledger_t *l = cq_ledger_open(s_path, "w1", &diag);
    cr_assert_not_null(l, "%s", diag.msg);
    cr_assert_eq(cq_ledger_count(l), 0);
    cq_ledger_destroy(&l);
    cr_assert_null(l);
    l = cq_ledger_open(s_path, "w1", &diag);
    cr_assert_not_null(l, "%s", diag.msg);
    cq_ledger_destroy(&l);

    sqlite3 *db = s_db();
    cr_assert_eq(s_int(db, "SELECT count(*) FROM schema_version"), 1);
    cr_assert_eq(s_int(db, "SELECT version FROM schema_version"), 1);
    cr_assert_eq(s_int(db, "SELECT count(*) FROM schema_version WHERE name = "
                           "'0001_init'"),
                 1);
    cr_assert_eq(s_int(db, "SELECT count(*) FROM sqlite_master WHERE name IN "
                           "('decisions', 'lines', 'rules', 'meta', "
                           "'member_accumulators')"),
                 5);
    cr_assert_eq(s_int(db, "SELECT count(*) FROM meta WHERE key = 'node_id' "
                           "AND value = 'w1'"),
                 1);
    sqlite3_stmt *q = NULL;
    sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &q, NULL);
    cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
    cr_assert_str_eq((const char *)sqlite3_column_text(q, 0), "wal");
    sqlite3_finalize(q);
    sqlite3_close(db);
}

Test(ledger, newer_schema_other_node_and_garbage_are_refused)
{
    cq_diag_t diag = {0};
    cq_ledger_t *l = cq_ledger_open(s_path, "w1", &diag);
    cr_assert_not_null(l);
    cq_ledger_destroy(&l);

    memset(&diag, 0, sizeof diag);
    cr_assert_null(cq_ledger_open(s_path, "w2", &diag));
    cr_assert(strstr(diag.msg, "belongs to node \"w1\"") != NULL, "%s",
              diag.msg);

    sqlite3 *db = s_db();
    s_sql(db, "INSERT INTO schema_version VALUES (999, '0999_future', 'x')");
    sqlite3_close(db);
    memset(&diag, 0, sizeof diag);
    cr_assert_null(cq_ledger_open(s_path, "w1", &diag));
    cr_assert(strstr(diag.msg, "newer") != NULL, "%s", diag.msg);
    cr_assert(strstr(diag.msg, s_path) != NULL);

    char junk[4200];
    snprintf(junk, sizeof junk, "%s.junk", s_path);
    char text[8192];
    memset(text, 'x', sizeof text);
    cr_assert_eq(cq_test_write(junk, text, sizeof text), 0);
    memset(&diag, 0, sizeof diag);
    cr_assert_null(cq_ledger_open(junk, "w1", &diag));
    cr_assert(strstr(diag.msg, junk) != NULL, "%s", diag.msg);

    memset(&diag, 0, sizeof diag);
    cr_assert_null(cq_ledger_open("/nonexistent/dir/ledger.db", "w1", &diag));
    cr_assert(strstr(diag.msg, "/nonexistent/dir/ledger.db") != NULL, "%s",
              diag.msg);
}

//  ---- with an engine
//  ---------------------------------------------------------

typedef struct {
    cq_gen_t *gen;
    cq_engine_t *eng;
} s_world_t;

static void
s_world(s_world_t *w, size_t members, size_t claims)
{
    cq_gen_opts_t o;
    cq_gen_opts_default(&o);
    o.n_members = members;
    o.n_claims = claims;
    w->gen = cq_gen_new(&o);
    cr_assert_not_null(w->gen);
    cq_buf_t plan, roster;
    cq_buf_init(&plan, 1 << 24);
    cq_buf_init(&roster, 1 << 26);
    cr_assert_eq(cq_gen_plan_json(w->gen, &plan), 0);
    cr_assert_eq(cq_gen_members_jsonl(w->gen, &roster), 0);
    cq_diag_t diag = {0};
    cq_plan_rules_t *r = cq_plan_parse(plan.data, plan.len, "plan", &diag);
    cr_assert_not_null(r, "%s", diag.msg);
    cq_roster_t *m = cq_roster_parse(roster.data, roster.len, "roster", &diag);
    cr_assert_not_null(m, "%s", diag.msg);
    w->eng = cq_engine_new_from(&r, &m);
    cq_engine_set_node(w->eng, "w1");
    cq_buf_free(&plan);
    cq_buf_free(&roster);
}

static void
s_world_free(s_world_t *w)
{
    cq_engine_destroy(&w->eng);
    cq_gen_destroy(&w->gen);
}

//  Decides claims [from, to) and appends one JSON line per decision.
static void
s_run(s_world_t *w, cq_state_t *st, size_t from, size_t to, cq_buf_t *out,
      size_t *replays)
{
    static cq_claim_t c;
    static cq_decision_t d;
    for (size_t i = from; i < to; i++) {
        cq_gen_claim(w->gen, i, &c);
        bool replayed = false;
        int rc = cq_engine_decide(w->eng, st, &c, cq_gen_today(w->gen), &d,
                                  &replayed);
        cr_assert_eq(rc, 0, "claim %zu: %s", i, cq_strerror(rc));
        if (replayed && replays)
            (*replays)++;
        cr_assert_eq(cq_decision_to_json(&d, out), 0);
        cq_buf_add(out, "\n", 1);
    }
}

Test(ledger, reopen_restores_state_same_claims_same_decisions)
{
    s_world_t w;
    s_world(&w, 300, 4000);
    size_t n = cq_gen_n_claims(w.gen);

    //  the oracle: all claims in memory
    cq_buf_t mem, led;
    cq_buf_init(&mem, 1 << 28);
    cq_buf_init(&led, 1 << 28);
    cq_state_t *st = cq_state_new_memory();
    s_run(&w, st, 0, n, &mem, NULL);
    cq_state_destroy(&st);

    //  the ledger: first half, commit, close; reopen; the rest (with a
    //  commit in the middle of it)
    cq_diag_t diag = {0};
    cq_ledger_t *l = cq_ledger_open(s_path, "w1", &diag);
    cr_assert_not_null(l, "%s", diag.msg);
    s_run(&w, cq_ledger_state(l), 0, n / 2, &led, NULL);
    cr_assert_eq(cq_ledger_pending(l), n / 2);
    cr_assert_eq(cq_ledger_commit(l), 0);
    cr_assert_eq(cq_ledger_pending(l), 0);
    cq_ledger_destroy(&l);

    l = cq_ledger_open(s_path, "w1", &diag);
    cr_assert_not_null(l, "%s", diag.msg);
    cr_assert_eq(cq_ledger_count(l), (int64_t)(n / 2));
    s_run(&w, cq_ledger_state(l), n / 2, n * 3 / 4, &led, NULL);
    cr_assert_eq(cq_ledger_commit(l), 0);
    s_run(&w, cq_ledger_state(l), n * 3 / 4, n, &led, NULL);
    cr_assert_eq(cq_ledger_commit(l), 0);
    cq_ledger_destroy(&l);
    cr_assert_eq(led.len, mem.len);
    cr_assert(memcmp(led.data, mem.data, mem.len) == 0,
              "ledger decisions differ from the in-memory ones");

    //  every claim again: all replayed, byte for byte
    l = cq_ledger_open(s_path, "w1", &diag);
    cr_assert_not_null(l, "%s", diag.msg);
    cq_buf_t again;
    cq_buf_init(&again, 1 << 28);
    size_t replays = 0;
    s_run(&w, cq_ledger_state(l), 0, n, &again, &replays);
    cr_assert_eq(replays, n);
    cr_assert(again.len == mem.len &&
              memcmp(again.data, mem.data, mem.len) == 0);
    cr_assert_eq(cq_ledger_pending(l), 0, "replays write nothing");
    cq_ledger_destroy(&l);

    int64_t rows = 0;
    cr_assert_eq(cq_ledger_verify(s_path, &rows, &diag), 0, "%s", diag.msg);
    cr_assert_eq(rows, (int64_t)n);

    cq_buf_free(&mem);
    cq_buf_free(&led);
    cq_buf_free(&again);
    s_world_free(&w);
}

typedef struct {
    const char *at; // next expected line
    int mismatch;   // lines that differed
} s_walk_t;

static int
s_walk(void *arg, const cq_decision_t *d, const char *json, size_t len)
{
    s_walk_t *w = arg;
    const char *nl = strchr(w->at, '\n');
    if (nl == NULL || (size_t)(nl - w->at) != len ||
        memcmp(w->at, json, len) != 0)
        w->mismatch++;
    w->at = nl ? nl + 1 : w->at + strlen(w->at);
    (void)d;
    return 0;
}

Test(ledger, hash_chain_links_every_row_and_catches_tampering)
{
    s_world_t w;
    s_world(&w, 50, 200);
    cq_diag_t diag = {0};
    cq_ledger_t *l = cq_ledger_open(s_path, "w1", &diag);
    cr_assert_not_null(l);
    cq_buf_t out;
    cq_buf_init(&out, 1 << 24);
    s_run(&w, cq_ledger_state(l), 0, 200, &out, NULL);
    cr_assert_eq(cq_ledger_commit(l), 0);
    cq_ledger_destroy(&l);

    //  row 1: SHA-256(32 zero bytes || the first JSON line written)
    sqlite3 *db = s_db();
    sqlite3_stmt *q = NULL;
    sqlite3_prepare_v2(db, "SELECT hash FROM decisions WHERE seq = 1", -1, &q,
                       NULL);
    cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
    size_t jn = (size_t)(strchr(out.data, '\n') - out.data);
    uint8_t *buf = malloc(32 + jn), h[32];
    memset(buf, 0, 32);
    memcpy(buf + 32, out.data, jn);
    cq_sha256(buf, 32 + jn, h);
    free(buf);
    cr_assert_eq(sqlite3_column_bytes(q, 0), 32);
    cr_assert(memcmp(h, sqlite3_column_blob(q, 0), 32) == 0);
    sqlite3_finalize(q);

    //  walking the ledger gives back every line written, in order
    s_walk_t walk = {out.data, 0};
    int64_t rows = 0;
    cr_assert_eq(cq_ledger_each(s_path, s_walk, &walk, &rows, &diag), 0, "%s",
                 diag.msg);
    cr_assert_eq(rows, 200);
    cr_assert_eq(walk.mismatch, 0);
    cr_assert_eq(*walk.at, '\0', "every line was seen");

    //  change one stored decision (row 120 gets row 121's): the chain
    //  breaks there
    s_sql(db, "UPDATE decisions SET body = (SELECT body FROM decisions WHERE "
              "seq = 121) WHERE seq = 120");
    sqlite3_close(db);
    memset(&diag, 0, sizeof diag);
    cr_assert_eq(cq_ledger_verify(s_path, &rows, &diag), CQ_EPROTO);
    cr_assert(strstr(diag.msg, "seq 120") != NULL, "%s", diag.msg);
    cr_assert_eq(rows, 119);
    cq_buf_free(&out);
    s_world_free(&w);
}

Test(ledger, uncommitted_decisions_are_discarded)
{
    s_world_t w;
    s_world(&w, 50, 100);
    cq_diag_t diag = {0};
    cq_ledger_t *l = cq_ledger_open(s_path, "w1", &diag);
    cq_buf_t out;
    cq_buf_init(&out, 1 << 24);
    s_run(&w, cq_ledger_state(l), 0, 60, &out, NULL);
    cr_assert_eq(cq_ledger_commit(l), 0);
    s_run(&w, cq_ledger_state(l), 60, 100, &out, NULL);
    cq_ledger_destroy(&l); // no commit: the last 40 are gone
    l = cq_ledger_open(s_path, "w1", &diag);
    cr_assert_eq(cq_ledger_count(l), 60);
    //  and deciding them again gives the same lines as before
    cq_buf_t again;
    cq_buf_init(&again, 1 << 24);
    s_run(&w, cq_ledger_state(l), 60, 100, &again, NULL);
    const char *tail = out.data;
    for (int k = 0; k < 60; k++)
        tail = strchr(tail, '\n') + 1;
    cr_assert_str_eq(again.data, tail);
    cr_assert_eq(cq_ledger_commit(l), 0);
    cq_ledger_destroy(&l);
    cq_buf_free(&out);
    cq_buf_free(&again);
    s_world_free(&w);
}

Test(ledger, member_accumulators_view_matches_the_decisions)
{
    s_world_t w;
    s_world(&w, 20, 400);
    cq_diag_t diag = {0};
    cq_ledger_t *l = cq_ledger_open(s_path, "w1", &diag);
    cq_buf_t out;
    cq_buf_init(&out, 1 << 24);
    s_run(&w, cq_ledger_state(l), 0, 400, &out, NULL);
    cr_assert_eq(cq_ledger_commit(l), 0);
    cq_ledger_destroy(&l);
    //  out-of-pocket used over all members = patient responsibility of the
    //  decisions still in effect: accepted, not a void (a void mirrors its
    //  original with negative amounts) and not reversed by a later void or
    //  replacement
    sqlite3 *db = s_db();
    int64_t oop = s_int(db, "SELECT coalesce(sum(out_of_pocket_used), 0) "
                            "FROM member_accumulators");
    cr_assert_gt(s_int(db, "SELECT count(*) FROM decisions WHERE reverses IS "
                           "NOT NULL"),
                 0, "the data has voids or replacements");
    static bool reversed[1000];
    sqlite3_stmt *q = NULL;
    sqlite3_prepare_v2(db,
                       "SELECT reverses FROM decisions WHERE reverses IS NOT "
                       "NULL",
                       -1, &q, NULL);
    while (sqlite3_step(q) == SQLITE_ROW)
        reversed[sqlite3_column_int64(q, 0)] = true;
    sqlite3_finalize(q);
    sqlite3_close(db);
    int64_t pr = 0;
    cq_decision_t *d = malloc(sizeof *d);
    for (const char *p = out.data; *p;) {
        const char *nl = strchr(p, '\n');
        cr_assert_eq(cq_decision_from_json(p, (size_t)(nl - p), d, &diag), 0,
                     "%s", diag.msg);
        if (d->decision == CQ_DECISION_ACCEPT && d->billed >= 0 &&
            !reversed[d->ledger_seq])
            pr += d->patient_resp;
        p = nl + 1;
    }
    free(d);
    cr_assert_eq(oop, pr);
    cr_assert_gt(oop, 0);
    cq_buf_free(&out);
    s_world_free(&w);
}

Test(ledger, write_failure_is_eio_not_a_crash)
{
    s_world_t w;
    s_world(&w, 50, 100);
    cq_diag_t diag = {0};
    cq_ledger_t *l = cq_ledger_open(s_path, "w1", &diag);
    cr_assert_not_null(l);
    cq_buf_t out;
    cq_buf_init(&out, 1 << 24);
    s_run(&w, cq_ledger_state(l), 0, 10, &out, NULL);
    cr_assert_eq(cq_ledger_commit(l), 0);
    //  somebody breaks the file under the node: its decisions table goes
    sqlite3 *db = s_db();
    s_sql(db, "DROP VIEW member_accumulators");
    s_sql(db, "DROP VIEW lines");
    s_sql(db, "ALTER TABLE decisions RENAME TO gone");
    sqlite3_close(db);
    static cq_claim_t c;
    static cq_decision_t d;
    int64_t before = cq_ledger_count(l);
    cq_gen_claim(w.gen, 10, &c);
    cr_assert_eq(cq_engine_decide(w.eng, cq_ledger_state(l), &c,
                                  cq_gen_today(w.gen), &d, NULL),
                 CQ_EIO);
    //  the claim that failed is not in memory; later ones fail at once
    cr_assert_eq(cq_ledger_count(l), before);
    cq_gen_claim(w.gen, 11, &c);
    cr_assert_eq(cq_engine_decide(w.eng, cq_ledger_state(l), &c,
                                  cq_gen_today(w.gen), &d, NULL),
                 CQ_EIO);
    cr_assert_eq(cq_ledger_count(l), before);
    cr_assert_eq(cq_ledger_commit(l), CQ_EIO);
    cq_ledger_destroy(&l);
    cq_buf_free(&out);
    s_world_free(&w);
}
