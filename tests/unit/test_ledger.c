//  test_ledger.c: the SQLite ledger (common/ledger.h): migrations, reopen
//  restores state (same claims, same decisions), the hash chain, write
//  failures as CQ_EIO; and the ledger as a log (issue 8): session states,
//  persistence off, orphan markers, recovery after a full disk or an I/O
//  error, corrupt files, migrating a 0001 ledger.
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
#include <sys/stat.h>

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
    cr_assert_eq(s_int(db, "SELECT count(*) FROM schema_version"), 2);
    cr_assert_eq(s_int(db, "SELECT min(version) FROM schema_version"), 1);
    cr_assert_eq(s_int(db, "SELECT max(version) FROM schema_version"), 2);
    cr_assert_eq(s_int(db, "SELECT count(*) FROM schema_version WHERE name = "
                           "'0001_init'"),
                 1);
    cr_assert_eq(s_int(db, "SELECT count(*) FROM schema_version WHERE name = "
                           "'0002_log'"),
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

//  The oracle: every claim decided in memory, into mem (initialised here).
static void
s_oracle(s_world_t *w, cq_buf_t *mem)
{
    cq_buf_init(mem, 1 << 28);
    cq_state_t *st = cq_state_new_memory();
    s_run(w, st, 0, cq_gen_n_claims(w->gen), mem, NULL);
    cq_state_destroy(&st);
}

Test(ledger, reopen_restores_state_same_claims_same_decisions)
{
    s_world_t w;
    s_world(&w, 300, 4000);
    size_t n = cq_gen_n_claims(w.gen);
    cq_buf_t mem, led;
    s_oracle(&w, &mem);
    cq_buf_init(&led, 1 << 28);

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

//  ---- the ledger as a log (issue 8)
//  ------------------------------------------

//  The decisions of out (JSON Lines) again with ledger_seq 0: what a run
//  with persistence off for some claims must still equal.
static void
s_strip_seq(const cq_buf_t *in, cq_buf_t *out)
{
    cq_decision_t *d = malloc(sizeof *d);
    cq_diag_t diag = {0};
    for (const char *p = in->data; p && *p;) {
        const char *nl = strchr(p, '\n');
        cr_assert_eq(cq_decision_from_json(p, (size_t)(nl - p), d, &diag), 0,
                     "%s", diag.msg);
        d->ledger_seq = 0;
        cr_assert_eq(cq_decision_to_json(d, out), 0);
        cq_buf_add(out, "\n", 1);
        p = nl + 1;
    }
    free(d);
}

//  What cq_ledger_walk saw, by seq (1-based; up to 1000 rows).
typedef struct {
    int64_t n;
    int kind[1001];
    bool orphaned[1001];
    int64_t orphan_of[1001];
    char json[1001][128]; // a marker's text
    bool member[1001];    // kind 0: member_id was not ""
} s_rows_t;

static int
s_collect(void *arg, const cq_ledger_row_t *row)
{
    s_rows_t *r = arg;
    cr_assert_eq(row->seq, r->n + 1);
    cr_assert_lt(row->seq, 1001);
    r->n = row->seq;
    r->kind[row->seq] = row->kind;
    r->orphaned[row->seq] = row->orphaned;
    r->orphan_of[row->seq] = row->orphan_of;
    r->member[row->seq] = row->member_id[0] != '\0';
    if (row->kind == 1) {
        cr_assert_null(row->d);
        snprintf(r->json[row->seq], sizeof r->json[0], "%.*s",
                 (int)row->json_len, row->json);
    } else {
        cr_assert_not_null(row->d);
        cr_assert_eq(row->d->ledger_seq, row->seq);
    }
    return 0;
}

static cq_ledger_t *
s_open_log(void)
{
    cq_diag_t diag = {0};
    cq_ledger_t *l = cq_ledger_open_log(s_path, "w1", &diag);
    cr_assert_not_null(l, "%s", diag.msg);
    return l;
}

static bool
s_is_hex32(const char *s)
{
    if (strlen(s) != 32)
        return false;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return false;
    return true;
}

Test(ledger, open_log_creates_an_empty_log_and_reopens_it)
{
    cq_ledger_t *l = s_open_log();
    cr_assert_null(cq_ledger_state(l), "a log has no state of its own");
    cr_assert_eq(cq_ledger_last_seq(l), 0);
    cr_assert_eq(cq_ledger_resolved(l), 0);
    char id[64];
    snprintf(id, sizeof id, "%s", cq_ledger_id(l));
    cr_assert(s_is_hex32(id), "ledger id \"%s\"", id);
    cq_ledger_destroy(&l);

    l = s_open_log();
    cr_assert_str_eq(cq_ledger_id(l), id, "the id is made once");
    cq_ledger_destroy(&l);
    cq_diag_t diag = {0};
    cr_assert_null(cq_ledger_open_log(s_path, "w2", &diag));
    cr_assert(strstr(diag.msg, "belongs to node \"w1\"") != NULL, "%s",
              diag.msg);

    //  another file, another id
    char other[4200];
    snprintf(other, sizeof other, "%s.2", s_path);
    l = cq_ledger_open_log(other, "w1", &diag);
    cr_assert_not_null(l, "%s", diag.msg);
    cr_assert_str_neq(cq_ledger_id(l), id);
    cq_ledger_destroy(&l);

    cq_ledger_meta_t meta;
    int64_t rows = -1;
    cr_assert_eq(cq_ledger_walk(s_path, NULL, NULL, &meta, &rows, &diag), 0,
                 "%s", diag.msg);
    cr_assert_eq(rows, 0);
    cr_assert_str_eq(meta.node_id, "w1");
    cr_assert_str_eq(meta.ledger_id, id);
    cr_assert_eq(meta.schema, 2);
    cr_assert_eq(meta.resolved, 0);
}

Test(ledger, session_state_appends_consecutive_seqs_and_a_valid_chain)
{
    s_world_t w;
    s_world(&w, 200, 1500);
    size_t n = cq_gen_n_claims(w.gen);
    cq_buf_t mem, led;
    s_oracle(&w, &mem);
    cq_buf_init(&led, 1 << 28);

    //  one session, committed in two parts: the same decisions as the
    //  oracle, seq for seq
    cq_ledger_t *l = s_open_log();
    cq_state_t *st = cq_ledger_session_state(l);
    s_run(&w, st, 0, n / 2, &led, NULL);
    cr_assert_eq(cq_ledger_pending(l), n / 2);
    cr_assert_eq(cq_ledger_last_seq(l), (int64_t)(n / 2));
    cr_assert_eq(cq_ledger_commit(l), 0);
    s_run(&w, st, n / 2, n, &led, NULL);
    cr_assert_eq(cq_ledger_commit(l), 0);
    cr_assert_eq(cq_ledger_last_seq(l), (int64_t)n);
    cr_assert(led.len == mem.len && memcmp(led.data, mem.data, mem.len) == 0,
              "log decisions differ from the in-memory ones");
    cq_state_destroy(&st);
    cq_ledger_destroy(&l);

    cq_diag_t diag = {0};
    int64_t rows = 0;
    cr_assert_eq(cq_ledger_verify(s_path, &rows, &diag), 0, "%s", diag.msg);
    cr_assert_eq(rows, (int64_t)n);
    sqlite3 *db = s_db();
    cr_assert_eq(s_int(db, "SELECT count(*) FROM decisions WHERE member IS "
                           "NULL OR kind != 0"),
                 0, "every decision row names its member");
    cr_assert_gt(s_int(db, "SELECT count(*) FROM decisions WHERE history IS "
                           "NULL AND member != ''"),
                 0, "rejected claims too");
    int64_t reverses =
        s_int(db, "SELECT count(*) FROM decisions WHERE reverses IS NOT NULL");
    cr_assert_gt(reverses, 0, "the data has voids or replacements");
    sqlite3_close(db);

    //  reopened: nothing rebuilt, the next session goes on after the last
    //  row, with an empty state (the same claims are decided again)
    l = s_open_log();
    cr_assert_eq(cq_ledger_last_seq(l), (int64_t)n);
    st = cq_ledger_session_state(l);
    cq_buf_t again;
    cq_buf_init(&again, 1 << 24);
    s_run(&w, st, 0, 50, &again, NULL);
    cr_assert_eq(cq_ledger_commit(l), 0);
    cr_assert_eq(cq_ledger_last_seq(l), (int64_t)n + 50);
    cq_state_destroy(&st);
    cq_ledger_destroy(&l);
    cr_assert_eq(cq_ledger_verify(s_path, &rows, &diag), 0, "%s", diag.msg);
    cr_assert_eq(rows, (int64_t)n + 50);

    cq_buf_free(&mem);
    cq_buf_free(&led);
    cq_buf_free(&again);
    s_world_free(&w);
}

Test(ledger, persist_off_decisions_are_not_written)
{
    s_world_t w;
    s_world(&w, 100, 1200);
    size_t n = cq_gen_n_claims(w.gen), k = n / 3;
    cq_buf_t mem, led;
    s_oracle(&w, &mem);
    cq_buf_init(&led, 1 << 28);

    //  the first third is "the journal's history": memory only
    cq_ledger_t *l = s_open_log();
    cq_state_t *st = cq_ledger_session_state(l);
    cq_state_set_persist(st, false);
    s_run(&w, st, 0, k, &led, NULL);
    cr_assert_eq(cq_ledger_pending(l), 0);
    cr_assert_eq(cq_ledger_last_seq(l), 0);
    cr_assert(strstr(led.data, "\"ledger_seq\": 0,") != NULL);
    cq_state_set_persist(st, true);
    s_run(&w, st, k, n, &led, NULL);
    cr_assert_eq(cq_ledger_commit(l), 0);
    cr_assert_eq(cq_ledger_last_seq(l), (int64_t)(n - k));
    cq_state_destroy(&st);
    cq_ledger_destroy(&l);

    //  the same decisions as deciding everything at once
    cq_buf_t a, b;
    cq_buf_init(&a, 1 << 28);
    cq_buf_init(&b, 1 << 28);
    s_strip_seq(&mem, &a);
    s_strip_seq(&led, &b);
    cr_assert(a.len == b.len && memcmp(a.data, b.data, a.len) == 0,
              "persistence changed decisions");

    cq_diag_t diag = {0};
    int64_t rows = 0;
    cr_assert_eq(cq_ledger_verify(s_path, &rows, &diag), 0, "%s", diag.msg);
    cr_assert_eq(rows, (int64_t)(n - k));
    sqlite3 *db = s_db();
    cr_assert_eq(s_int(db, "SELECT min(seq) FROM decisions"), 1);
    //  reverses names rows of this ledger only (a void of a claim decided
    //  while persistence was off names none)
    cr_assert_eq(s_int(db, "SELECT count(*) FROM decisions WHERE reverses IS "
                           "NOT NULL AND reverses NOT IN (SELECT seq FROM "
                           "decisions)"),
                 0);
    sqlite3_close(db);
    cq_buf_free(&mem);
    cq_buf_free(&led);
    cq_buf_free(&a);
    cq_buf_free(&b);
    s_world_free(&w);
}

//  Decides claims [0, n) into a new log ledger and commits.
static void
s_log_rows(s_world_t *w, size_t n)
{
    cq_ledger_t *l = s_open_log();
    cq_state_t *st = cq_ledger_session_state(l);
    cq_buf_t out;
    cq_buf_init(&out, 1 << 24);
    s_run(w, st, 0, n, &out, NULL);
    cr_assert_eq(cq_ledger_commit(l), 0);
    cq_buf_free(&out);
    cq_state_destroy(&st);
    cq_ledger_destroy(&l);
}

static int
s_count_each(void *arg, const cq_decision_t *d, const char *json, size_t len)
{
    (void)d;
    (void)json;
    (void)len;
    (*(int *)arg)++;
    return 0;
}

Test(ledger, mark_orphans_appends_chained_markers_once)
{
    s_world_t w;
    s_world(&w, 30, 20);
    s_log_rows(&w, 20);
    cq_ledger_t *l = s_open_log();
    cr_assert_eq(cq_ledger_last_seq(l), 20);

    //  no ranges: only the watermark moves
    size_t marked = 99;
    cr_assert_eq(cq_ledger_mark_orphans(l, NULL, 0, 2, &marked), 0);
    cr_assert_eq(marked, 0);
    cr_assert_eq(cq_ledger_resolved(l), 2);
    cr_assert_eq(cq_ledger_last_seq(l), 20);

    //  3..5, 10, 15..20 (the range runs past the end)
    const uint64_t r1[][2] = {{3, 5}, {10, 10}, {15, 100}, {4, 4}};
    cr_assert_eq(cq_ledger_mark_orphans(l, r1, 4, 20, &marked), 0);
    cr_assert_eq(marked, 10);
    cr_assert_eq(cq_ledger_last_seq(l), 30);
    cr_assert_eq(cq_ledger_resolved(l), 30, "markers are resolved too");
    //  again, and ranges over the markers: nothing
    const uint64_t r2[][2] = {{21, 30}};
    cr_assert_eq(cq_ledger_mark_orphans(l, r1, 4, 20, &marked), 0);
    cr_assert_eq(marked, 0);
    cr_assert_eq(cq_ledger_mark_orphans(l, r2, 1, 0, &marked), 0);
    cr_assert_eq(marked, 0);
    cr_assert_eq(cq_ledger_last_seq(l), 30);
    cq_ledger_destroy(&l);

    l = s_open_log();
    cr_assert_eq(cq_ledger_resolved(l), 30);
    cr_assert_eq(cq_ledger_last_seq(l), 30);
    cq_ledger_destroy(&l);

    static s_rows_t rows;
    cq_ledger_meta_t meta;
    cq_diag_t diag = {0};
    int64_t n = 0;
    cr_assert_eq(cq_ledger_walk(s_path, s_collect, &rows, &meta, &n, &diag), 0,
                 "%s", diag.msg);
    cr_assert_eq(n, 30);
    cr_assert_eq(meta.resolved, 30);
    static const int64_t orphans[] = {3, 4, 5, 10, 15, 16, 17, 18, 19, 20};
    for (int64_t s = 1; s <= 20; s++) {
        bool want = false;
        for (size_t i = 0; i < 10; i++)
            want |= orphans[i] == s;
        cr_assert_eq(rows.kind[s], 0);
        cr_assert_eq(rows.orphaned[s], want, "seq %lld", (long long)s);
        cr_assert(rows.member[s]);
    }
    sqlite3 *db = s_db();
    for (int64_t s = 21; s <= 30; s++) {
        cr_assert_eq(rows.kind[s], 1);
        cr_assert_eq(rows.orphan_of[s], orphans[s - 21]);
        //  the marker's text: its orphan's seq and claim key
        char sql[160], want[128];
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM decisions WHERE seq = %lld AND "
                 "claim_key = (SELECT claim_key FROM decisions WHERE seq = "
                 "%lld)",
                 (long long)s, (long long)orphans[s - 21]);
        cr_assert_eq(s_int(db, sql), 1);
        snprintf(want, sizeof want, "{\"orphan_of\":%lld,\"claim_key\":\"",
                 (long long)orphans[s - 21]);
        cr_assert(strncmp(rows.json[s], want, strlen(want)) == 0, "%s",
                  rows.json[s]);
    }
    //  orphans never count: not in cq_ledger_each, not in the views
    int each = 0;
    cr_assert_eq(cq_ledger_each(s_path, s_count_each, &each, &n, &diag), 0);
    cr_assert_eq(each, 10);
    cr_assert_eq(s_int(db, "SELECT count(*) FROM effective_decisions"), 10);
    cr_assert_eq(s_int(db, "SELECT count(*) FROM orphans"), 10);
    cr_assert_eq(s_int(db, "SELECT count(*) FROM lines WHERE seq IN (SELECT "
                           "seq FROM orphans) OR seq > 20"),
                 0);
    sqlite3_close(db);

    //  the ledger opened in state mode counts the 10 decisions, and goes on
    //  after the markers
    l = cq_ledger_open(s_path, "w1", &diag);
    cr_assert_not_null(l, "%s", diag.msg);
    cr_assert_eq(cq_ledger_count(l), 10);
    static cq_claim_t c;
    static cq_decision_t d;
    cq_gen_claim(w.gen, 3, &c); // an orphan: decided again
    bool replayed = true;
    cr_assert_eq(cq_engine_decide(w.eng, cq_ledger_state(l), &c,
                                  cq_gen_today(w.gen), &d, &replayed),
                 0);
    cr_assert_not(replayed);
    cr_assert_eq(d.ledger_seq, 31);
    cr_assert_eq(cq_ledger_commit(l), 0);
    cq_ledger_destroy(&l);
    cr_assert_eq(cq_ledger_verify(s_path, &n, &diag), 0, "%s", diag.msg);
    cr_assert_eq(n, 31);
    s_world_free(&w);
}

//  A full disk, made certain: a VFS over the default one whose writes fail
//  with SQLITE_FULL while s_disk_full is set (as the unix VFS reports
//  ENOSPC). Each test runs in its own process, so it stays in this one.
static sqlite3_vfs *s_real_vfs;
static sqlite3_vfs s_full_vfs;
static bool s_disk_full;
static struct {
    const sqlite3_io_methods *real;
    sqlite3_io_methods wrap;
} s_io[8];
static size_t s_n_io;

static int
s_full_write(sqlite3_file *f, const void *p, int n, sqlite3_int64 off)
{
    for (size_t i = 0; i < s_n_io; i++)
        if (f->pMethods == &s_io[i].wrap)
            return s_disk_full ? SQLITE_FULL
                               : s_io[i].real->xWrite(f, p, n, off);
    return SQLITE_IOERR_WRITE;
}

static int
s_full_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags,
            int *out)
{
    (void)vfs;
    int rc = s_real_vfs->xOpen(s_real_vfs, name, f, flags, out);
    if (rc != SQLITE_OK || f->pMethods == NULL)
        return rc;
    size_t i = 0;
    while (i < s_n_io && s_io[i].real != f->pMethods)
        i++;
    if (i == s_n_io) {
        cr_assert_lt(s_n_io, 8);
        s_io[i].real = f->pMethods;
        s_io[i].wrap = *f->pMethods;
        s_io[i].wrap.xWrite = s_full_write;
        s_n_io++;
    }
    f->pMethods = &s_io[i].wrap;
    return rc;
}

static void
s_full_install(void)
{
    s_real_vfs = sqlite3_vfs_find(NULL);
    cr_assert_not_null(s_real_vfs);
    s_full_vfs = *s_real_vfs;
    s_full_vfs.zName = "cq-test-full";
    s_full_vfs.xOpen = s_full_open;
    s_full_vfs.pNext = NULL;
    cr_assert_eq(sqlite3_vfs_register(&s_full_vfs, 1), SQLITE_OK);
}

Test(ledger, recover_after_a_full_disk)
{
    s_full_install();
    s_world_t w;
    s_world(&w, 50, 40);
    cq_ledger_t *l = s_open_log();
    cq_state_t *st = cq_ledger_session_state(l);
    cq_buf_t out;
    cq_buf_init(&out, 1 << 24);
    s_run(&w, st, 0, 10, &out, NULL);
    cr_assert_eq(cq_ledger_commit(l), 0);

    //  the disk fills: the rows sit in the page cache until the commit
    s_disk_full = true;
    s_run(&w, st, 10, 20, &out, NULL);
    cr_assert_eq(cq_ledger_commit(l), CQ_ENOSPC);
    cr_assert_eq(cq_ledger_commit(l), CQ_ENOSPC, "refuses until recovered");
    static cq_claim_t c;
    static cq_decision_t d;
    cq_gen_claim(w.gen, 20, &c);
    cr_assert_eq(cq_engine_decide(w.eng, st, &c, cq_gen_today(w.gen), &d, NULL),
                 CQ_ENOSPC);
    size_t marked;
    const uint64_t r[][2] = {{1, 1}};
    cr_assert_eq(cq_ledger_mark_orphans(l, r, 1, 1, &marked), CQ_ENOSPC);
    cr_assert_eq(cq_ledger_recover(l), CQ_ENOSPC, "still full");
    cq_state_destroy(&st);

    //  space again: the file has the 10 committed rows, and the log goes
    //  on after them
    s_disk_full = false;
    cr_assert_eq(cq_ledger_recover(l), 0);
    cr_assert_eq(cq_ledger_last_seq(l), 10);
    cr_assert_eq(cq_ledger_pending(l), 0);
    st = cq_ledger_session_state(l);
    cq_gen_claim(w.gen, 30, &c);
    cr_assert_eq(cq_engine_decide(w.eng, st, &c, cq_gen_today(w.gen), &d, NULL),
                 0);
    cr_assert_eq(d.ledger_seq, 11);
    cr_assert_eq(cq_ledger_commit(l), 0);
    cr_assert_eq(cq_ledger_mark_orphans(l, r, 1, 11, &marked), 0);
    cr_assert_eq(marked, 1);
    cq_state_destroy(&st);
    cq_ledger_destroy(&l);

    cq_diag_t diag = {0};
    int64_t rows = 0;
    cr_assert_eq(cq_ledger_verify(s_path, &rows, &diag), 0, "%s", diag.msg);
    cr_assert_eq(rows, 12);
    sqlite3 *db = s_db();
    cr_assert_eq(s_int(db, "SELECT count(*) FROM meta WHERE key = "
                           "'last_check'"),
                 1, "the test write");
    sqlite3_close(db);
    cq_buf_free(&out);
    s_world_free(&w);
}

Test(ledger, recover_after_an_io_error)
{
    s_world_t w;
    s_world(&w, 50, 40);
    cq_ledger_t *l = s_open_log();
    cq_state_t *st = cq_ledger_session_state(l);
    cq_buf_t out;
    cq_buf_init(&out, 1 << 24);
    s_run(&w, st, 0, 10, &out, NULL);
    cr_assert_eq(cq_ledger_commit(l), 0);

    //  somebody moves the table away under the node
    sqlite3 *db = s_db();
    s_sql(db, "ALTER TABLE decisions RENAME TO gone");
    sqlite3_close(db);
    static cq_claim_t c;
    static cq_decision_t d;
    cq_gen_claim(w.gen, 10, &c);
    cr_assert_eq(cq_engine_decide(w.eng, st, &c, cq_gen_today(w.gen), &d, NULL),
                 CQ_EIO);
    cr_assert_eq(cq_ledger_commit(l), CQ_EIO);
    cr_assert_eq(cq_ledger_recover(l), CQ_EIO, "no table: not recovered");
    cq_state_destroy(&st);
    //  (opening such a file fails, naming it)
    cq_diag_t diag = {0};
    cr_assert_null(cq_ledger_open_log(s_path, "w1", &diag));
    cr_assert(strstr(diag.msg, s_path) != NULL, "%s", diag.msg);

    db = s_db();
    s_sql(db, "ALTER TABLE gone RENAME TO decisions");
    sqlite3_close(db);
    cr_assert_eq(cq_ledger_recover(l), 0);
    cr_assert_eq(cq_ledger_last_seq(l), 10);
    st = cq_ledger_session_state(l);
    cr_assert_eq(cq_engine_decide(w.eng, st, &c, cq_gen_today(w.gen), &d, NULL),
                 0);
    cr_assert_eq(d.ledger_seq, 11);
    cr_assert_eq(cq_ledger_commit(l), 0);
    cq_state_destroy(&st);
    cq_ledger_destroy(&l);
    int64_t rows = 0;
    cr_assert_eq(cq_ledger_verify(s_path, &rows, &diag), 0, "%s", diag.msg);
    cr_assert_eq(rows, 11);
    cq_buf_free(&out);
    s_world_free(&w);
}

Test(ledger, corrupt_files_are_refused_naming_the_path)
{
    //  not a database at all
    char junk[4200];
    snprintf(junk, sizeof junk, "%s.junk", s_path);
    char text[70000];
    memset(text, 'x', sizeof text);
    cr_assert_eq(cq_test_write(junk, text, sizeof text), 0);
    cq_diag_t diag = {0};
    cr_assert_null(cq_ledger_open_log(junk, "w1", &diag));
    cr_assert(strstr(diag.msg, junk) != NULL, "%s", diag.msg);
    int64_t rows = 0;
    memset(&diag, 0, sizeof diag);
    cr_assert_eq(cq_ledger_walk(junk, NULL, NULL, NULL, &rows, &diag), CQ_EIO);
    cr_assert(strstr(diag.msg, junk) != NULL, "%s", diag.msg);

    //  a ledger whose pages after the first were overwritten
    s_world_t w;
    s_world(&w, 20, 30);
    s_log_rows(&w, 30);
    size_t len = 0;
    char *file = cq_test_read(s_path, &len);
    cr_assert_not_null(file);
    cr_assert_gt(len, 65536u);
    memset(file + 65536, 0x5a, len - 65536);
    cr_assert_eq(cq_test_write(s_path, file, len), 0);
    free(file);
    memset(&diag, 0, sizeof diag);
    cr_assert_null(cq_ledger_open_log(s_path, "w1", &diag));
    cr_assert(strstr(diag.msg, s_path) != NULL, "%s", diag.msg);
    memset(&diag, 0, sizeof diag);
    cr_assert_neq(cq_ledger_verify(s_path, &rows, &diag), 0);
    cr_assert(strstr(diag.msg, s_path) != NULL, "%s", diag.msg);
    s_world_free(&w);
}

Test(ledger, a_0001_ledger_is_migrated_and_keeps_its_chain)
{
    //  a ledger with rows, copied into a file made by 0001_init.sql alone
    s_world_t w;
    s_world(&w, 50, 60);
    char full[4200];
    snprintf(full, sizeof full, "%s.full", s_path);
    cq_diag_t diag = {0};
    cq_ledger_t *l = cq_ledger_open(full, "w1", &diag);
    cr_assert_not_null(l, "%s", diag.msg);
    cq_buf_t out;
    cq_buf_init(&out, 1 << 24);
    s_run(&w, cq_ledger_state(l), 0, 60, &out, NULL);
    cr_assert_eq(cq_ledger_commit(l), 0);
    cq_ledger_destroy(&l);

    size_t len = 0;
    char *sql = cq_test_read(cq_test_src("schemas/ledger/0001_init.sql"), &len);
    cr_assert_not_null(sql);
    sqlite3 *db = s_db();
    s_sql(db, "PRAGMA journal_mode=WAL");
    s_sql(db, sql);
    free(sql);
    s_sql(db, "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name "
              "TEXT NOT NULL, applied_at TEXT NOT NULL)");
    s_sql(db, "INSERT INTO schema_version VALUES (1, '0001_init', 'then')");
    char attach[4300];
    snprintf(attach, sizeof attach, "ATTACH '%s' AS f", full);
    s_sql(db, attach);
    s_sql(db, "INSERT INTO meta SELECT * FROM f.meta WHERE key IN "
              "('node_id', 'created_at')");
    s_sql(db, "INSERT INTO rules SELECT * FROM f.rules");
    s_sql(db, "INSERT INTO decisions SELECT seq, claim_key, keyed, outcome, "
              "original, reverses, rules_id, CASE WHEN history IS NULL THEN "
              "NULL ELSE member END, history, hash, body FROM f.decisions");
    s_sql(db, "DETACH f");
    cr_assert_eq(s_int(db, "SELECT count(*) FROM decisions"), 60);
    sqlite3_close(db);

    //  read as it is
    cq_ledger_meta_t meta;
    int64_t rows = 0;
    cr_assert_eq(cq_ledger_walk(s_path, NULL, NULL, &meta, &rows, &diag), 0,
                 "%s", diag.msg);
    cr_assert_eq(rows, 60);
    cr_assert_eq(meta.schema, 1);
    cr_assert_str_eq(meta.ledger_id, "");

    //  migrated at open
    l = s_open_log();
    cr_assert(s_is_hex32(cq_ledger_id(l)), "%s", cq_ledger_id(l));
    cr_assert_eq(cq_ledger_last_seq(l), 60);
    cr_assert_eq(cq_ledger_resolved(l), 0);
    const uint64_t r[][2] = {{7, 8}};
    size_t marked = 0;
    cr_assert_eq(cq_ledger_mark_orphans(l, r, 1, 0, &marked), 0);
    cr_assert_eq(marked, 2);
    cq_state_t *st = cq_ledger_session_state(l);
    cq_buf_t more;
    cq_buf_init(&more, 1 << 24);
    s_run(&w, st, 0, 5, &more, NULL);
    cr_assert_eq(cq_ledger_commit(l), 0);
    cr_assert_eq(cq_ledger_last_seq(l), 67);
    cq_state_destroy(&st);
    cq_ledger_destroy(&l);

    db = s_db();
    cr_assert_eq(s_int(db, "SELECT max(version) FROM schema_version"), 2);
    cr_assert_eq(s_int(db, "SELECT count(*) FROM decisions WHERE kind = 0"),
                 65);
    cr_assert_eq(s_int(db, "SELECT count(*) FROM effective_decisions"), 63);
    sqlite3_close(db);
    cr_assert_eq(cq_ledger_walk(s_path, NULL, NULL, &meta, &rows, &diag), 0,
                 "%s", diag.msg);
    cr_assert_eq(rows, 67);
    cr_assert_eq(meta.schema, 2);
    cq_buf_free(&out);
    cq_buf_free(&more);
    s_world_free(&w);
}

//  Issue 13 (part): a ledger holds patient data: it is created 0600
//  whatever the umask, and so are its WAL files.
Test(ledger, created_owner_only_whatever_the_umask)
{
    const char *dir = cq_test_tmpdir();
    char path[4200], wal[4300];
    snprintf(path, sizeof path, "%s/open.ledger", dir);
    snprintf(wal, sizeof wal, "%s-wal", path);
    mode_t old = umask(0);
    cq_diag_t diag = {0};
    cq_ledger_t *l = cq_ledger_open_log(path, "w1", &diag);
    umask(old);
    cr_assert_not_null(l, "%s", diag.msg);
    struct stat sb;
    cr_assert_eq(stat(path, &sb), 0);
    cr_assert_eq(sb.st_mode & 0777, 0600, "ledger mode %o", sb.st_mode & 0777);
    if (stat(wal, &sb) == 0)
        cr_assert_eq(sb.st_mode & 0777, 0600, "wal mode %o", sb.st_mode & 0777);
    cq_ledger_destroy(&l);
}
