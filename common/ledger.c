//  ledger.c: a node's SQLite ledger (ledger.h, schemas/ledger/*.sql).
//
//  Writes are appends to rowid tables inside one transaction per
//  cq_ledger_commit. Two ways to use a ledger:
//    - state mode (cq_ledger_open, `claimq adjudicate --ledger`): what the
//      engine looks up lives in the in-memory state (state_impl.h), which
//      this file rebuilds from the tables at open;
//    - log mode (cq_ledger_open_log, the worker): nothing is rebuilt; each
//      session with the broker gets a new in-memory state whose decisions
//      are appended here, and rows written under a lost lease are marked
//      orphan by appending marker rows (0002_log.sql).
//  Either way the state's hooks send each decision here before the memory
//  is updated, so a failed write leaves the memory as it was.
#include "ledger.h"
#include "claim_json.h"
#include "date.h"
#include "decision.h"
#include "hash.h"
#include "log.h"
#include "migrations.h"
#include "state_impl.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <time.h>

#define S_BUSY_MS 5000
#define S_ID_LEN 40 // a ledger id (32 hex digits) and its NUL, with room

//  A rules version and its rules.id.
typedef struct {
    char *version;
    int64_t id;
} s_rules_t;

struct cq_ledger {
    sqlite3 *db;
    char *path;             // for messages
    char node[CQ_ID_LEN];   // node id (meta.node_id)
    char id[S_ID_LEN];      // meta.ledger_id
    bool log;               // opened by cq_ledger_open_log
    cq_state_t *state;      // state mode: the lookups, in memory; else NULL
    sqlite3_stmt *ins_row;  // INSERT INTO decisions (decision or marker)
    sqlite3_stmt *get_body; // SELECT body ... WHERE seq = ?
    s_rules_t *rules;       // rules versions in the file (few)
    size_t n_rules, cap_rules;
    size_t rules_hit;      // index of the last one used
    bool in_tx;            // a write transaction is open
    int broken;            // the error that broke a write, or 0: refuse more
    size_t pending;        // decisions since the last commit
    int64_t last_seq;      // seq of the last row (committed or not)
    int64_t resolved;      // meta.resolved_seq
    uint8_t last_hash[32]; // hash of the last row
    cq_buf_t json;         // scratch: decision JSON / marker text
    cq_buf_t body;         // scratch: packed decision
    cq_buf_t hist;         // scratch: history column
    int64_t json_seq;      // seq of the decision in json, or 0
    EVP_MD_CTX *md_ctx;    // SHA-256, reused
    EVP_MD *md;
};

static int
s_fail(cq_diag_t *diag, const char *path, sqlite3 *db, const char *what)
{
    return cq_diag_set(diag, CQ_EIO, 0, "%s: %s: %s", path, what,
                       db ? sqlite3_errmsg(db) : "out of memory");
}

static int
s_exec(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

//  Maps a SQLite result to a claimq error: a full disk, or a file or
//  directory that cannot be written, is CQ_ENOSPC (waiting, or another
//  disk, helps); other failures CQ_EIO.
static int
s_err(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
        return 0;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return CQ_EBUSY;
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_PERM:
        return CQ_ENOSPC;
    default:
        return CQ_EIO;
    }
}

static void
s_now(char *out, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

//  ---- migrations ----------------------------------------------------------

static int
s_migrate(sqlite3 *db, const char *path, cq_diag_t *diag)
{
    int err = CQ_EIO;
    if (s_exec(db, "BEGIN IMMEDIATE") != SQLITE_OK)
        return s_fail(diag, path, db, "cannot lock the ledger to migrate it");
    int rc = s_exec(db, "CREATE TABLE IF NOT EXISTS schema_version ("
                        "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                        "applied_at TEXT NOT NULL)");
    if (rc != SQLITE_OK) {
        //  the first statement that reads the file: "file is not a
        //  database" shows up here
        s_fail(diag, path, db, "not a usable ledger");
        goto out_rollback;
    }
    sqlite3_stmt *q = NULL;
    int have = 0;
    if (sqlite3_prepare_v2(db,
                           "SELECT coalesce(max(version), 0) FROM "
                           "schema_version",
                           -1, &q, NULL) != SQLITE_OK ||
        sqlite3_step(q) != SQLITE_ROW) {
        sqlite3_finalize(q);
        s_fail(diag, path, db, "cannot read schema_version");
        goto out_rollback;
    }
    have = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    int newest = 0;
    for (const cq_migration_t *m = cq_ledger_migrations; m->sql; m++)
        newest = m->version;
    if (have > newest) {
        err = CQ_EUNSUPPORTED;
        cq_diag_set(diag, CQ_EUNSUPPORTED, 0,
                    "%s: ledger schema version %d is newer than this "
                    "program's (%d)",
                    path, have, newest);
        goto out_rollback;
    }
    for (const cq_migration_t *m = cq_ledger_migrations; m->sql; m++) {
        if (m->version <= have)
            continue;
        char *why = NULL;
        if (sqlite3_exec(db, (const char *)m->sql, NULL, NULL, &why) !=
            SQLITE_OK) {
            cq_diag_set(diag, CQ_EIO, 0, "%s: migration %s failed: %s", path,
                        m->name, why ? why : "?");
            sqlite3_free(why);
            goto out_rollback;
        }
        char now[32];
        s_now(now, sizeof now);
        if (sqlite3_prepare_v2(db,
                               "INSERT INTO schema_version VALUES "
                               "(?, ?, ?)",
                               -1, &q, NULL) != SQLITE_OK) {
            s_fail(diag, path, db, "cannot record the migration");
            goto out_rollback;
        }
        sqlite3_bind_int(q, 1, m->version);
        sqlite3_bind_text(q, 2, m->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 3, now, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(q);
        sqlite3_finalize(q);
        if (rc != SQLITE_DONE) {
            s_fail(diag, path, db, "cannot record the migration");
            goto out_rollback;
        }
    }
    if (s_exec(db, "COMMIT") != SQLITE_OK)
        return s_fail(diag, path, db, "cannot commit the migration");
    return 0;
out_rollback:
    s_exec(db, "ROLLBACK");
    return err;
}

//  Records node_id in meta, or checks it against the one there.
static int
s_node(cq_ledger_t *self, const char *path, cq_diag_t *diag)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(self->db,
                           "SELECT value FROM meta WHERE key = 'node_id'", -1,
                           &q, NULL) != SQLITE_OK)
        return s_fail(diag, path, self->db, "cannot read meta");
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        const char *have = (const char *)sqlite3_column_text(q, 0);
        if (have == NULL || strcmp(have, self->node) != 0) {
            cq_diag_set(diag, CQ_EINVAL, 0,
                        "%s: the ledger belongs to node \"%.39s\", not "
                        "\"%s\"",
                        path, have ? have : "", self->node);
            sqlite3_finalize(q);
            return CQ_EINVAL;
        }
        sqlite3_finalize(q);
        return 0;
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return s_fail(diag, path, self->db, "cannot read meta");
    char now[32];
    s_now(now, sizeof now);
    if (sqlite3_prepare_v2(self->db,
                           "INSERT INTO meta VALUES ('node_id', ?), "
                           "('created_at', ?)",
                           -1, &q, NULL) != SQLITE_OK)
        return s_fail(diag, path, self->db, "cannot write meta");
    sqlite3_bind_text(q, 1, self->node, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, now, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return s_fail(diag, path, self->db, "cannot write meta");
    return 0;
}

//  ---- what a ledger knows about itself -----------------------------------

static const char *
s_col_text(sqlite3_stmt *q, int col)
{
    const char *s = (const char *)sqlite3_column_text(q, col);
    return s ? s : "";
}

//  Reads ledger_id (making one if the file has none) and resolved_seq.
static int
s_meta(cq_ledger_t *self)
{
    sqlite3_stmt *q = NULL;
    int rc = s_exec(self->db, "INSERT OR IGNORE INTO meta VALUES ('ledger_id', "
                              "lower(hex(randomblob(16))))");
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(self->db,
                                "SELECT (SELECT value FROM meta WHERE key = "
                                "'ledger_id'), coalesce((SELECT CAST(value AS "
                                "INTEGER) FROM meta WHERE key = "
                                "'resolved_seq'), 0)",
                                -1, &q, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        cq_strlcpy(self->id, s_col_text(q, 0), sizeof self->id);
        self->resolved = sqlite3_column_int64(q, 1);
    }
    sqlite3_finalize(q);
    return s_err(rc);
}

//  Reads the seq and hash of the last row.
static int
s_tail(cq_ledger_t *self)
{
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(self->db,
                                "SELECT seq, hash FROM decisions ORDER BY seq "
                                "DESC LIMIT 1",
                                -1, &q, NULL);
    self->last_seq = 0;
    memset(self->last_hash, 0, 32);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        self->last_seq = sqlite3_column_int64(q, 0);
        if (sqlite3_column_bytes(q, 1) == 32)
            memcpy(self->last_hash, sqlite3_column_blob(q, 1), 32);
    }
    sqlite3_finalize(q);
    return s_err(rc);
}

static void
s_rules_free(cq_ledger_t *self)
{
    for (size_t i = 0; i < self->n_rules; i++)
        free(self->rules[i].version);
    self->n_rules = 0;
    self->rules_hit = 0;
}

static void
s_rules_add(cq_ledger_t *self, const char *version, int64_t id)
{
    if (self->n_rules == self->cap_rules) {
        self->cap_rules = self->cap_rules ? self->cap_rules * 2 : 8;
        self->rules =
            cq_xrealloc(self->rules, self->cap_rules * sizeof *self->rules);
    }
    self->rules[self->n_rules].version = cq_xstrdup(version);
    self->rules[self->n_rules].id = id;
    self->n_rules++;
}

//  Reads the rules versions in the file (again: after a rollback the rows
//  inserted in it are gone).
static int
s_rules_load(cq_ledger_t *self)
{
    s_rules_free(self);
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(self->db, "SELECT id, version FROM rules", -1,
                                &q, NULL);
    while (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        s_rules_add(self, s_col_text(q, 1), sqlite3_column_int64(q, 0));
        rc = SQLITE_OK;
    }
    sqlite3_finalize(q);
    return s_err(rc);
}

//  rules.id of a rules version, inserting the row (first_seq seq) when new.
static int
s_rules_id(cq_ledger_t *self, const char *version, int64_t seq, int64_t *out)
{
    if (self->rules_hit < self->n_rules &&
        strcmp(self->rules[self->rules_hit].version, version) == 0) {
        *out = self->rules[self->rules_hit].id;
        return 0;
    }
    for (size_t i = 0; i < self->n_rules; i++)
        if (strcmp(self->rules[i].version, version) == 0) {
            self->rules_hit = i;
            *out = self->rules[i].id;
            return 0;
        }
    sqlite3_stmt *q = NULL;
    char now[32];
    s_now(now, sizeof now);
    int rc = sqlite3_prepare_v2(self->db,
                                "INSERT INTO rules (version, first_seq, "
                                "seen_at) VALUES (?, ?, ?)",
                                -1, &q, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(q, 1, version, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 2, seq);
        sqlite3_bind_text(q, 3, now, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(q);
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return s_err(rc) ? s_err(rc) : CQ_EIO;
    //  the id stays valid only if the transaction commits: after a failed
    //  commit the ledger is broken until cq_ledger_recover reloads them
    s_rules_add(self, version, sqlite3_last_insert_rowid(self->db));
    self->rules_hit = self->n_rules - 1;
    *out = self->rules[self->rules_hit].id;
    return 0;
}

//  ---- rebuilding the memory at open --------------------------------------

static uint64_t
s_mods_parse(const char *s)
{
    char mods[CQ_MAX_MODIFIERS][3];
    size_t n = 0;
    while (s && *s && n < CQ_MAX_MODIFIERS) {
        mods[n][0] = s[0];
        mods[n][1] = s[1] ? s[1] : '\0';
        mods[n][2] = '\0';
        n++;
        s += s[1] ? 2 : 1;
        if (*s == ',')
            s++;
    }
    return cq_state_pack_mods(mods, n);
}

static char *
s_mods_format(uint64_t v, char *out)
{
    size_t n = 0;
    for (int i = 0; i < 4; i++) {
        char a = (char)(v >> (16 * i)), b = (char)(v >> (16 * i + 8));
        if (a == 0)
            break;
        if (n)
            out[n++] = ',';
        out[n++] = a;
        if (b)
            out[n++] = b;
    }
    out[n] = '\0';
    return out;
}

//  Parses one decision's history column into lines (strings in arena).
//  Returns the number of lines, or -1 when it is not a history array.
static int
s_history_parse(const char *text, size_t n, const char *payer_member,
                const char *npi, cq_arena_t *arena, cq_state_line_t *lines,
                size_t cap)
{
    json_error_t jerr;
    json_t *a = json_loadb(text, n, 0, &jerr);
    if (!json_is_array(a) || json_array_size(a) > cap) {
        json_decref(a);
        return -1;
    }
    size_t i;
    json_t *v;
    int rc = (int)json_array_size(a);
    json_array_foreach(a, i, v)
    {
        cq_state_line_t *l = &lines[i];
        memset(l, 0, sizeof *l);
        l->member_id = l->npi_id = l->proc_id = l->plan_id = CQ_STATE_NONE;
        //  whatever the rules say now: chain every line for frequency limits
        l->track_freq = true;
        l->acc_hint = CQ_STATE_NONE;
        l->member_key = payer_member;
        l->npi = npi;
        json_t *f[10];
        bool ok = json_is_array(v) && json_array_size(v) == 10;
        for (size_t k = 0; ok && k < 10; k++) {
            f[k] = json_array_get(v, k);
            bool want_str = k == 1 || k == 2 || k == 3 || k == 5 || k == 6;
            ok = want_str ? json_is_string(f[k]) : json_is_integer(f[k]);
        }
        if (!ok) {
            rc = -1;
            break;
        }
        l->line = (uint8_t)json_integer_value(f[0]);
        const char *date = json_string_value(f[1]);
        const char *py = json_string_value(f[6]);
        if (cq_date_parse(date, strlen(date), &l->date) != 0 ||
            cq_date_parse(py, strlen(py), &l->py_start) != 0) {
            rc = -1;
            break;
        }
        const char *proc = json_string_value(f[2]);
        l->proc = cq_arena_strndup(arena, proc, strlen(proc));
        l->mods = s_mods_parse(json_string_value(f[3]));
        l->charge = json_integer_value(f[4]);
        const char *plan = json_string_value(f[5]);
        l->plan = cq_arena_strndup(arena, plan, strlen(plan));
        l->copay = json_integer_value(f[7]);
        l->ded = json_integer_value(f[8]);
        l->coins = json_integer_value(f[9]);
    }
    json_decref(a);
    return rc;
}

//  State mode: replays the decisions that count (not markers, not
//  orphans) into the in-memory state.
static int
s_rebuild(cq_ledger_t *self, const char *path, cq_diag_t *diag)
{
    sqlite3_stmt *rq = NULL, *dq = NULL;
    int rc = 0;
    //  rules versions: rules.id -> state index
    if (sqlite3_prepare_v2(self->db, "SELECT id, version FROM rules", -1, &rq,
                           NULL) != SQLITE_OK)
        return s_fail(diag, path, self->db, "cannot read rules");
    size_t cap = 0;
    uint16_t *map = NULL; // rules.id -> state index (dense ids expected)
    while (sqlite3_step(rq) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(rq, 0);
        if (id <= 0 || id > 65535)
            continue;
        if ((size_t)id >= cap) {
            size_t ncap = cap ? cap : 16;
            while (ncap <= (size_t)id)
                ncap *= 2;
            map = cq_xrealloc(map, ncap * sizeof *map);
            memset(map + cap, 0xff, (ncap - cap) * sizeof *map);
            cap = ncap;
        }
        map[id] = cq_state_rules_id(self->state, s_col_text(rq, 1));
    }
    sqlite3_finalize(rq);

    if (sqlite3_prepare_v2(self->db,
                           "SELECT seq, claim_key, keyed, outcome, original, "
                           "reverses, rules_id, member, history, kind != 0 OR "
                           "EXISTS (SELECT 1 FROM decisions AS m WHERE "
                           "m.orphan_of = d.seq) FROM decisions AS d ORDER BY "
                           "seq",
                           -1, &dq, NULL) != SQLITE_OK) {
        rc = s_fail(diag, path, self->db, "cannot read the ledger");
        goto out;
    }
    cq_state_line_t lines[CQ_MAX_LINES];
    cq_arena_t strs; // strings of the current decision's lines
    cq_arena_init(&strs);
    int64_t expect = 0;
    while ((rc = sqlite3_step(dq)) == SQLITE_ROW) {
        int64_t seq = sqlite3_column_int64(dq, 0);
        if (expect && seq != expect) {
            cq_diag_set(diag, CQ_EPROTO, 0,
                        "%s: decisions skip from seq %lld to %lld", path,
                        (long long)expect - 1, (long long)seq);
            rc = CQ_EPROTO;
            break;
        }
        expect = seq + 1;
        if (sqlite3_column_int(dq, 9) != 0)
            continue; // a marker, or an orphan: they never count
        cq_state_entry_t e;
        memset(&e, 0, sizeof e);
        e.key = s_col_text(dq, 1);
        e.index_key = sqlite3_column_int(dq, 2) != 0;
        int outcome = sqlite3_column_int(dq, 3);
        if (outcome < 0 || outcome > CQ_DECISION_PEND) {
            cq_diag_set(diag, CQ_EPROTO, 0, "%s: decision %lld has outcome %d",
                        path, (long long)seq, outcome);
            rc = CQ_EPROTO;
            break;
        }
        e.orig_lineage = sqlite3_column_type(dq, 4) == SQLITE_NULL
                             ? NULL
                             : s_col_text(dq, 4);
        e.reverses = CQ_STATE_NONE;
        e.replaces = CQ_STATE_NONE;
        if (sqlite3_column_type(dq, 5) != SQLITE_NULL)
            e.reverses =
                cq_state_rec_by_seq(self->state, sqlite3_column_int64(dq, 5));
        size_t klen = strlen(e.key);
        char freq = klen >= 2 ? e.key[klen - 1] : '1';
        //  an accepted replacement replaced what its original_claim_id
        //  named then; the memory is in the same state now
        if (freq == '7' && outcome == CQ_DECISION_ACCEPT && e.orig_lineage)
            e.replaces = cq_state_find_lineage(self->state, e.orig_lineage,
                                               strlen(e.orig_lineage));
        //  this decision's accepted lines
        cq_arena_free(&strs);
        cq_arena_init(&strs);
        char member_key[2 * CQ_ID_LEN + 2], npi[16] = "";
        if (sqlite3_column_type(dq, 8) != SQLITE_NULL) {
            //  the key is "payer|npi|claim_id|f"
            const char *payer_end = strchr(e.key, '|');
            const char *npi_end = payer_end ? strchr(payer_end + 1, '|') : NULL;
            if (npi_end && npi_end - payer_end - 1 < (ptrdiff_t)sizeof npi)
                cq_strncpy_n(npi, sizeof npi, payer_end + 1,
                             (size_t)(npi_end - payer_end - 1));
            snprintf(member_key, sizeof member_key, "%.*s\x1f%.39s",
                     (int)(payer_end ? payer_end - e.key : 0), e.key,
                     s_col_text(dq, 7));
            int n =
                s_history_parse((const char *)sqlite3_column_text(dq, 8),
                                (size_t)sqlite3_column_bytes(dq, 8), member_key,
                                npi, &strs, lines, CQ_MAX_LINES);
            if (n < 0) {
                cq_diag_set(diag, CQ_EPROTO, 0,
                            "%s: decision %lld: history is not readable", path,
                            (long long)seq);
                rc = CQ_EPROTO;
                break;
            }
            e.lines = lines;
            e.n_lines = (size_t)n;
        }
        int64_t rid = sqlite3_column_int64(dq, 6);
        uint16_t si =
            rid > 0 && (size_t)rid < cap && map[rid] != 0xffff ? map[rid] : 0;
        cq_state_apply(self->state, &e, seq, (cq_outcome_t)outcome, freq, si,
                       NULL);
    }
    cq_arena_free(&strs);
    if (rc == SQLITE_DONE)
        rc = 0;
    else if (rc > 0)
        rc = s_fail(diag, path, self->db, "cannot read the ledger");
out:
    free(map);
    sqlite3_finalize(dq);
    return rc;
}

//  ---- writing rows ---------------------------------------------------------

static int
s_begin(cq_ledger_t *self)
{
    if (self->in_tx)
        return 0;
    int rc = s_exec(self->db, "BEGIN IMMEDIATE");
    if (rc != SQLITE_OK)
        return s_err(rc);
    self->in_tx = true;
    return 0;
}

//  "YYYY-MM-DD" into out (11 bytes), without printf.
static void
s_date10(int32_t days, char *out)
{
    int y, m, d;
    cq_date_to_ymd(days, &y, &m, &d);
    unsigned uy = (unsigned)y % 10000u;
    out[0] = (char)('0' + uy / 1000);
    out[1] = (char)('0' + uy / 100 % 10);
    out[2] = (char)('0' + uy / 10 % 10);
    out[3] = (char)('0' + uy % 10);
    out[4] = '-';
    out[5] = (char)('0' + m / 10);
    out[6] = (char)('0' + m % 10);
    out[7] = '-';
    out[8] = (char)('0' + d / 10);
    out[9] = (char)('0' + d % 10);
    out[10] = '\0';
}

//  The accepted lines as the history column (0001_init.sql).
static int
s_history(cq_buf_t *b, const cq_state_entry_t *e)
{
    int rc = cq_buf_add(b, "[", 1);
    for (size_t i = 0; i < e->n_lines && rc == 0; i++) {
        const cq_state_line_t *l = &e->lines[i];
        char date[CQ_DATE_STRLEN], py[CQ_DATE_STRLEN], mods[16];
        s_date10(l->date, date);
        s_date10(l->py_start, py);
        s_mods_format(l->mods, mods);
        rc |= cq_buf_add(b, i ? ",[" : "[", i ? 2 : 1);
        rc |= cq_json_put_int(b, l->line);
        rc |= cq_buf_add(b, ",\"", 2);
        rc |= cq_buf_add(b, date, 10);
        rc |= cq_buf_add(b, "\",", 2);
        rc |= cq_json_put_string(b, l->proc, strlen(l->proc));
        rc |= cq_buf_add(b, ",", 1);
        rc |= cq_json_put_string(b, mods, strlen(mods));
        rc |= cq_buf_add(b, ",", 1);
        rc |= cq_json_put_int(b, l->charge);
        rc |= cq_buf_add(b, ",", 1);
        rc |= cq_json_put_string(b, l->plan, strlen(l->plan));
        rc |= cq_buf_add(b, ",\"", 2);
        rc |= cq_buf_add(b, py, 10);
        rc |= cq_buf_add(b, "\",", 2);
        rc |= cq_json_put_int(b, l->copay);
        rc |= cq_buf_add(b, ",", 1);
        rc |= cq_json_put_int(b, l->ded);
        rc |= cq_buf_add(b, ",", 1);
        rc |= cq_json_put_int(b, l->coins);
        rc |= cq_buf_add(b, "]", 1);
    }
    rc |= cq_buf_add(b, "]", 1);
    return rc;
}

//  The text a marker row hashes (0002_log.sql):
//  {"orphan_of":17,"claim_key":"..."}
static int
s_marker_text(cq_buf_t *b, int64_t orphan_of, const char *key)
{
    int rc = cq_buf_addstr(b, "{\"orphan_of\":");
    rc |= cq_json_put_int(b, orphan_of);
    rc |= cq_buf_addstr(b, ",\"claim_key\":");
    rc |= cq_json_put_string(b, key, strlen(key));
    rc |= cq_buf_addstr(b, "}");
    return rc;
}

//  SHA-256(last hash || self->json) into out.
static int
s_chain(cq_ledger_t *self, uint8_t out[32])
{
    unsigned int hlen = 32;
    if (EVP_DigestInit_ex(self->md_ctx, self->md, NULL) != 1 ||
        EVP_DigestUpdate(self->md_ctx, self->last_hash, 32) != 1 ||
        EVP_DigestUpdate(self->md_ctx, self->json.data, self->json.len) != 1 ||
        EVP_DigestFinal_ex(self->md_ctx, out, &hlen) != 1)
        return CQ_EIO;
    return 0;
}

//  One row as ins_row writes it. Text columns may be NULL (SQL NULL).
typedef struct {
    int64_t seq;
    const char *key;
    bool keyed;
    int outcome;
    const char *original;
    int64_t reverses; // 0: NULL
    int64_t rules_id;
    const char *member;
    const cq_buf_t *history; // NULL: NULL
    const cq_buf_t *body;    // NULL: an empty blob (a marker)
    int kind;
    int64_t orphan_of; // 0: NULL
} s_row_t;

static void
s_bind_text(sqlite3_stmt *q, int col, const char *s)
{
    if (s)
        sqlite3_bind_text(q, col, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(q, col);
}

static void
s_bind_seq(sqlite3_stmt *q, int col, int64_t seq)
{
    if (seq > 0)
        sqlite3_bind_int64(q, col, seq);
    else
        sqlite3_bind_null(q, col);
}

//  Appends row r, hashing self->json into the chain. 0 or the SQLite error
//  mapped (CQ_EIO, CQ_ENOSPC, CQ_EBUSY).
static int
s_insert(cq_ledger_t *self, const s_row_t *r)
{
    uint8_t hash[32];
    if (s_chain(self, hash) != 0)
        return CQ_EIO;
    sqlite3_stmt *q = self->ins_row;
    sqlite3_bind_int64(q, 1, r->seq);
    sqlite3_bind_text(q, 2, r->key, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 3, r->keyed ? 1 : 0);
    sqlite3_bind_int(q, 4, r->outcome);
    s_bind_text(q, 5, r->original);
    s_bind_seq(q, 6, r->reverses);
    sqlite3_bind_int64(q, 7, r->rules_id);
    s_bind_text(q, 8, r->member);
    if (r->history)
        sqlite3_bind_text(q, 9, r->history->data, (int)r->history->len,
                          SQLITE_STATIC);
    else
        sqlite3_bind_null(q, 9);
    sqlite3_bind_blob(q, 10, hash, 32, SQLITE_STATIC);
    if (r->body)
        sqlite3_bind_blob(q, 11, r->body->data, (int)r->body->len,
                          SQLITE_STATIC);
    else
        sqlite3_bind_zeroblob(q, 11, 0);
    sqlite3_bind_int(q, 12, r->kind);
    s_bind_seq(q, 13, r->orphan_of);
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    if (rc != SQLITE_DONE)
        return s_err(rc) ? s_err(rc) : CQ_EIO;
    memcpy(self->last_hash, hash, 32);
    self->last_seq = r->seq;
    return 0;
}

//  The member id of a decision's entry ("payer\x1fmember_id"), or NULL.
static const char *
s_member(const cq_state_entry_t *e)
{
    const char *mk = e->member_key;
    if (mk == NULL && e->n_lines > 0)
        mk = e->lines[0].member_key;
    if (mk == NULL)
        return NULL;
    const char *sep = strchr(mk, '\x1f');
    return sep ? sep + 1 : mk;
}

//  The state's record hook, in both modes: appends decision d as the next
//  row (d->ledger_seq set to its seq). reverses names the reversed
//  decision's row when it has one here (seq > 0: a decision replayed with
//  persistence off has none).
static int
s_record(void *arg, const cq_state_t *st, cq_decision_t *d,
         const cq_state_entry_t *e)
{
    cq_ledger_t *self = arg;
    if (self->broken)
        return self->broken;
    int rc = s_begin(self);
    if (rc != 0)
        return rc;
    d->ledger_seq = self->last_seq + 1;
    s_row_t r = {.seq = d->ledger_seq,
                 .key = e->key,
                 .keyed = e->index_key,
                 .outcome = (int)d->decision,
                 .original = e->orig_lineage,
                 .member = s_member(e),
                 .history = e->n_lines > 0 ? &self->hist : NULL,
                 .body = &self->body};
    if (e->reverses != CQ_STATE_NONE)
        r.reverses = st->recs[e->reverses].seq;
    if ((rc = s_rules_id(self, d->rules_version, d->ledger_seq, &r.rules_id)) !=
        0)
        goto out_broken;

    cq_buf_reset(&self->json);
    cq_buf_reset(&self->body);
    cq_buf_reset(&self->hist);
    self->json_seq = 0;
    if (cq_decision_to_json(d, &self->json) != 0 ||
        cq_decision_pack(d, &self->body) != 0 ||
        (e->n_lines > 0 && s_history(&self->hist, e) != 0)) {
        rc = CQ_EIO;
        goto out_broken;
    }
    if ((rc = s_insert(self, &r)) != 0)
        goto out_broken;
    self->json_seq = d->ledger_seq;
    self->pending++;
    return 0;
out_broken:
    //  the transaction may hold part of this decision: nothing recorded
    //  since the last commit can be trusted any more
    cq_log_error(d->claim_id, "ledger write failed: %s (%s)", cq_strerror(rc),
                 sqlite3_errmsg(self->db));
    self->broken = rc;
    return rc;
}

static int
s_load(void *arg, const cq_rec_t *rec, cq_decision_t *d)
{
    cq_ledger_t *self = arg;
    sqlite3_stmt *q = self->get_body;
    sqlite3_bind_int64(q, 1, rec->seq);
    int rc = sqlite3_step(q);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(q);
        return rc == SQLITE_DONE ? CQ_ENOTFOUND : CQ_EIO;
    }
    rc = cq_decision_unpack(sqlite3_column_blob(q, 0),
                            (size_t)sqlite3_column_bytes(q, 0), d);
    sqlite3_reset(q);
    return rc == 0 ? 0 : CQ_EIO;
}

//  ---- opening -------------------------------------------------------------

static cq_ledger_t *
s_open(const char *path, const char *node_id, bool log, cq_diag_t *diag)
{
    assert(path && node_id);
    cq_ledger_t *self = cq_xcalloc(1, sizeof *self);
    self->path = cq_xstrdup(path);
    self->log = log;
    cq_strlcpy(self->node, node_id, sizeof self->node);
    cq_buf_init(&self->json, 1u << 20);
    cq_buf_init(&self->body, 1u << 20);
    cq_buf_init(&self->hist, 1u << 20);
    self->md_ctx = EVP_MD_CTX_new();
    self->md = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (self->md_ctx == NULL || self->md == NULL) {
        cq_diag_set(diag, CQ_EIO, 0, "%s: SHA-256 is not available", path);
        goto out_destroy;
    }
    if (!log) {
        cq_state_hooks_t hooks = {s_record, s_load, self};
        self->state = cq_state_new_hooked(&hooks, false);
    }

    //  a ledger holds patient data: only its owner reads it, whatever the
    //  umask (SQLite gives its -wal and -shm files the same mode)
    int fd0 = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd0 >= 0) {
        struct stat sb;
        if (fstat(fd0, &sb) == 0 && sb.st_size == 0)
            fchmod(fd0, 0600);
        close(fd0);
    }
    int rc = sqlite3_open_v2(path, &self->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        s_fail(diag, path, self->db, "cannot open the ledger");
        goto out_destroy;
    }
    sqlite3_busy_timeout(self->db, S_BUSY_MS);
    //  big pages: rows are appended, and a 4 KiB page would cost a write
    //  (and at checkpoint a read and a write) per 3 decisions. Takes effect
    //  only on a new file, before its first write.
    s_exec(self->db, "PRAGMA page_size=65536");
    sqlite3_stmt *q = NULL;
    const char *mode = NULL;
    if (sqlite3_prepare_v2(self->db, "PRAGMA journal_mode=WAL", -1, &q, NULL) ==
            SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW)
        mode = (const char *)sqlite3_column_text(q, 0);
    if (mode == NULL || strcmp(mode, "wal") != 0) {
        if (mode == NULL)
            s_fail(diag, path, self->db, "not a usable ledger");
        else
            cq_diag_set(diag, CQ_EIO, 0,
                        "%s: cannot switch the ledger to WAL mode (%s)", path,
                        mode);
        sqlite3_finalize(q);
        goto out_destroy;
    }
    sqlite3_finalize(q);
    //  FULL: a committed decision survives power loss (a decision leaves
    //  the node only after it is in the ledger)
    if (s_exec(self->db, "PRAGMA synchronous=FULL") != SQLITE_OK ||
        s_exec(self->db, "PRAGMA foreign_keys=OFF") != SQLITE_OK ||
        s_exec(self->db, "PRAGMA cache_size=-65536") != SQLITE_OK) {
        s_fail(diag, path, self->db, "cannot configure the ledger");
        goto out_destroy;
    }
    if (s_migrate(self->db, path, diag) != 0 || s_node(self, path, diag) != 0)
        goto out_destroy;
    if (s_meta(self) != 0) {
        s_fail(diag, path, self->db, "cannot read meta");
        goto out_destroy;
    }
    if (!log && s_rebuild(self, path, diag) != 0)
        goto out_destroy;
    if (s_tail(self) != 0 || s_rules_load(self) != 0) {
        s_fail(diag, path, self->db, "cannot read the ledger");
        goto out_destroy;
    }
    if (sqlite3_prepare_v2(self->db,
                           "INSERT INTO decisions (seq, claim_key, keyed, "
                           "outcome, original, reverses, rules_id, member, "
                           "history, hash, body, kind, orphan_of) VALUES (?, "
                           "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           -1, &self->ins_row, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(self->db, "SELECT body FROM decisions WHERE seq = ?",
                           -1, &self->get_body, NULL) != SQLITE_OK) {
        s_fail(diag, path, self->db, "cannot prepare the ledger statements");
        goto out_destroy;
    }
    if (log)
        cq_log_info(NULL, "ledger %s: %lld rows, resolved through %lld", path,
                    (long long)self->last_seq, (long long)self->resolved);
    else
        cq_log_info(NULL, "ledger %s: %zu decisions, %zu history lines", path,
                    self->state->n_recs, self->state->n_hist);
    return self;
out_destroy:
    cq_ledger_destroy(&self);
    return NULL;
}

cq_ledger_t *
cq_ledger_open(const char *path, const char *node_id, cq_diag_t *diag)
{
    return s_open(path, node_id, false, diag);
}

cq_ledger_t *
cq_ledger_open_log(const char *path, const char *node_id, cq_diag_t *diag)
{
    return s_open(path, node_id, true, diag);
}

void
cq_ledger_destroy(cq_ledger_t **self_p)
{
    assert(self_p);
    cq_ledger_t *self = *self_p;
    if (self == NULL)
        return;
    if (self->in_tx) {
        if (self->pending > 0)
            cq_log_warn(NULL,
                        "ledger closed with %zu uncommitted decisions; they "
                        "are discarded",
                        self->pending);
        s_exec(self->db, "ROLLBACK");
    }
    sqlite3_finalize(self->ins_row);
    sqlite3_finalize(self->get_body);
    sqlite3_close(self->db);
    cq_state_destroy(&self->state);
    cq_buf_free(&self->json);
    cq_buf_free(&self->body);
    cq_buf_free(&self->hist);
    EVP_MD_CTX_free(self->md_ctx);
    EVP_MD_free(self->md);
    s_rules_free(self);
    free(self->rules);
    free(self->path);
    free(self);
    *self_p = NULL;
}

cq_state_t *
cq_ledger_state(cq_ledger_t *self)
{
    assert(self);
    return self->state;
}

cq_state_t *
cq_ledger_session_state(cq_ledger_t *self)
{
    assert(self);
    assert(self->log);
    //  bodies in memory: a void or replacement reads its original from
    //  there, whether this node decided it or the journal's history did
    cq_state_hooks_t hooks = {s_record, NULL, self};
    return cq_state_new_hooked(&hooks, true);
}

//  Ends the open transaction after a failure.
static void
s_rollback(cq_ledger_t *self)
{
    if (self->in_tx)
        s_exec(self->db, "ROLLBACK");
    self->in_tx = false;
}

int
cq_ledger_commit(cq_ledger_t *self)
{
    assert(self);
    if (self->broken) {
        s_rollback(self);
        return self->broken;
    }
    if (!self->in_tx)
        return 0;
    int rc = s_exec(self->db, "COMMIT");
    if (rc == SQLITE_BUSY)
        return CQ_EBUSY; // still open: the caller may retry
    if (rc != SQLITE_OK) {
        cq_log_error(NULL, "ledger commit failed: %s",
                     sqlite3_errmsg(self->db));
        self->broken = s_err(rc) ? s_err(rc) : CQ_EIO;
        s_rollback(self);
        return self->broken;
    }
    self->in_tx = false;
    self->pending = 0;
    return 0;
}

int
cq_ledger_recover(cq_ledger_t *self)
{
    assert(self);
    if (!self->log)
        //  state mode: the memory may hold decisions the file lost, and
        //  only reopening rebuilds it from the file
        return self->broken;
    s_rollback(self);
    self->pending = 0;
    self->json_seq = 0;
    if (self->broken == 0)
        self->broken = CQ_EIO; // until the test write below worked
    //  what the file holds now (the rollback dropped rows and rules)
    int rc = s_tail(self);
    if (rc == 0)
        rc = s_rules_load(self);
    if (rc == 0)
        rc = s_meta(self);
    if (rc != 0)
        return rc;
    sqlite3_stmt *q = NULL;
    char now[32];
    s_now(now, sizeof now);
    int src = s_exec(self->db, "BEGIN IMMEDIATE");
    if (src == SQLITE_OK)
        src = sqlite3_prepare_v2(self->db,
                                 "INSERT OR REPLACE INTO meta VALUES "
                                 "('last_check', ?)",
                                 -1, &q, NULL);
    if (src == SQLITE_OK) {
        sqlite3_bind_text(q, 1, now, -1, SQLITE_TRANSIENT);
        src = sqlite3_step(q);
    }
    sqlite3_finalize(q);
    if (src == SQLITE_DONE)
        src = s_exec(self->db, "COMMIT");
    if (src != SQLITE_OK) {
        s_exec(self->db, "ROLLBACK");
        return s_err(src) ? s_err(src) : CQ_EIO;
    }
    self->broken = 0;
    return 0;
}

const char *
cq_ledger_id(const cq_ledger_t *self)
{
    assert(self);
    return self->id;
}

int64_t
cq_ledger_last_seq(const cq_ledger_t *self)
{
    assert(self);
    return self->last_seq;
}

int64_t
cq_ledger_resolved(const cq_ledger_t *self)
{
    assert(self);
    return self->resolved;
}

const char *
cq_ledger_last_json(const cq_ledger_t *self, int64_t seq, size_t *len)
{
    if (self->json_seq == 0 || self->json_seq != seq)
        return NULL;
    *len = self->json.len;
    return self->json.data;
}

size_t
cq_ledger_pending(const cq_ledger_t *self)
{
    return self->pending;
}

int64_t
cq_ledger_count(const cq_ledger_t *self)
{
    return self->state ? (int64_t)self->state->n_recs : self->last_seq;
}

//  ---- orphans --------------------------------------------------------------

//  A decision row to mark.
typedef struct {
    int64_t seq;
    char *key;
    char *member; // NULL when NULL
    int outcome;
    int64_t rules_id;
} s_orphan_t;

static int
s_orphan_cmp(const void *a, const void *b)
{
    int64_t x = ((const s_orphan_t *)a)->seq, y = ((const s_orphan_t *)b)->seq;
    return (x > y) - (x < y);
}

//  The unmarked decision rows in ranges (seq <= upto_seq), in seq order,
//  each once. 0 or the SQLite error mapped.
static int
s_orphans_find(cq_ledger_t *self, const uint64_t (*ranges)[2], size_t n_ranges,
               int64_t upto_seq, s_orphan_t **out, size_t *n_out)
{
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(
        self->db,
        "SELECT seq, claim_key, member, outcome, rules_id FROM decisions AS d "
        "WHERE seq BETWEEN ?1 AND ?2 AND kind = 0 AND NOT EXISTS (SELECT 1 "
        "FROM decisions AS m WHERE m.orphan_of = d.seq) ORDER BY seq",
        -1, &q, NULL);
    s_orphan_t *o = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < n_ranges && rc == SQLITE_OK; i++) {
        uint64_t from = ranges[i][0] ? ranges[i][0] : 1;
        uint64_t to = ranges[i][1];
        if (to > (uint64_t)upto_seq)
            to = (uint64_t)upto_seq;
        if (from > to)
            continue;
        sqlite3_bind_int64(q, 1, (int64_t)from);
        sqlite3_bind_int64(q, 2, (int64_t)to);
        while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                o = cq_xrealloc(o, cap * sizeof *o);
            }
            o[n].seq = sqlite3_column_int64(q, 0);
            o[n].key = cq_xstrdup(s_col_text(q, 1));
            o[n].member = sqlite3_column_type(q, 2) == SQLITE_NULL
                              ? NULL
                              : cq_xstrdup(s_col_text(q, 2));
            o[n].outcome = sqlite3_column_int(q, 3);
            o[n].rules_id = sqlite3_column_int64(q, 4);
            n++;
        }
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
        sqlite3_reset(q);
    }
    sqlite3_finalize(q);
    //  ranges may overlap: each row once
    if (n > 1)
        qsort(o, n, sizeof *o, s_orphan_cmp);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k > 0 && o[k - 1].seq == o[i].seq) {
            free(o[i].key);
            free(o[i].member);
            continue;
        }
        o[k++] = o[i];
    }
    *out = o;
    *n_out = k;
    return s_err(rc);
}

static void
s_orphans_free(s_orphan_t *o, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(o[i].key);
        free(o[i].member);
    }
    free(o);
}

static int
s_resolved_set(cq_ledger_t *self, int64_t resolved)
{
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(self->db,
                                "INSERT OR REPLACE INTO meta VALUES "
                                "('resolved_seq', ?)",
                                -1, &q, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(q, 1, resolved);
        rc = sqlite3_step(q);
    }
    sqlite3_finalize(q);
    return s_err(rc);
}

int
cq_ledger_mark_orphans(cq_ledger_t *self, const uint64_t (*ranges)[2],
                       size_t n_ranges, int64_t upto, size_t *marked)
{
    assert(self);
    assert(ranges || n_ranges == 0);
    if (marked)
        *marked = 0;
    //  what the session recorded goes first, in its own transaction
    int rc = cq_ledger_commit(self);
    if (rc != 0)
        return rc;
    if ((rc = s_begin(self)) != 0)
        return rc;
    int64_t seq0 = self->last_seq;
    uint8_t hash0[32];
    memcpy(hash0, self->last_hash, 32);
    s_orphan_t *o = NULL;
    size_t n = 0;
    if ((rc = s_orphans_find(self, ranges, n_ranges, seq0, &o, &n)) != 0)
        goto out_rollback;
    self->json_seq = 0;
    for (size_t i = 0; i < n; i++) {
        cq_buf_reset(&self->json);
        if (s_marker_text(&self->json, o[i].seq, o[i].key) != 0) {
            rc = CQ_EIO;
            goto out_rollback;
        }
        s_row_t r = {.seq = self->last_seq + 1,
                     .key = o[i].key,
                     .outcome = o[i].outcome,
                     .rules_id = o[i].rules_id,
                     .member = o[i].member,
                     .kind = 1,
                     .orphan_of = o[i].seq};
        if ((rc = s_insert(self, &r)) != 0)
            goto out_rollback;
    }
    //  the markers just written are resolved too when everything before
    //  them is
    int64_t resolved = upto >= seq0 ? self->last_seq : upto;
    if (resolved > self->resolved && (rc = s_resolved_set(self, resolved)) != 0)
        goto out_rollback;
    int src = s_exec(self->db, "COMMIT");
    if (src != SQLITE_OK) {
        rc = s_err(src) ? s_err(src) : CQ_EIO;
        goto out_rollback;
    }
    self->in_tx = false;
    if (resolved > self->resolved)
        self->resolved = resolved;
    if (marked)
        *marked = n;
    s_orphans_free(o, n);
    return 0;
out_rollback:
    cq_log_error(NULL, "ledger: marking %zu orphans failed: %s (%s)", n,
                 cq_strerror(rc), sqlite3_errmsg(self->db));
    s_rollback(self);
    self->last_seq = seq0;
    memcpy(self->last_hash, hash0, 32);
    s_orphans_free(o, n);
    return rc;
}

//  ---- reading a ledger: walk, each, verify ---------------------------------

//  What cq_ledger_walk keeps while it reads.
typedef struct {
    sqlite3 *db;
    const char *path;
    cq_diag_t *diag;
    int schema;        // schema_version
    char **rules;      // rules.id -> version
    size_t n_rules;    //
    int64_t *orphaned; // seqs some marker names, sorted
    size_t n_orphaned; //
    uint8_t *flags;    // per seq - 1: S_DECISION, S_MARKED
    size_t cap_flags;  //
    cq_buf_t buf;      // previous hash || the row's text
    cq_decision_t *d;  // the row's decision
    uint8_t prev[32];  // hash of the previous row
    bool full;         // cq_ledger_copy: the row query reads every column
    sqlite3_stmt *cur; // the row query, while fn runs
} s_walk_t;

#define S_DECISION 1 // the row is a decision
#define S_MARKED 2   // a marker before this point named it

static int
s_walk_fail(s_walk_t *w, const char *what)
{
    return s_fail(w->diag, w->path, w->db, what);
}

//  Reads the schema version, the rules, the orphaned seqs; all within the
//  read transaction the caller opened.
static int
s_walk_begin(s_walk_t *w, cq_ledger_meta_t *meta)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(w->db,
                           "SELECT coalesce(max(version), 0) FROM "
                           "schema_version",
                           -1, &q, NULL) != SQLITE_OK ||
        sqlite3_step(q) != SQLITE_ROW) {
        sqlite3_finalize(q);
        return s_walk_fail(w, "not a ledger");
    }
    w->schema = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    int newest = 0;
    for (const cq_migration_t *m = cq_ledger_migrations; m->sql; m++)
        newest = m->version;
    if (w->schema < 1 || w->schema > newest)
        return cq_diag_set(w->diag, CQ_EUNSUPPORTED, 0,
                           "%s: ledger schema version %d is not one this "
                           "program reads (1..%d)",
                           w->path, w->schema, newest);
    if (sqlite3_prepare_v2(w->db, "SELECT id, version FROM rules", -1, &q,
                           NULL) != SQLITE_OK)
        return s_walk_fail(w, "not a ledger");
    while (sqlite3_step(q) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(q, 0);
        if (id <= 0 || id > 65535)
            continue;
        if ((size_t)id >= w->n_rules) {
            w->rules =
                cq_xrealloc(w->rules, ((size_t)id + 1) * sizeof *w->rules);
            for (size_t k = w->n_rules; k <= (size_t)id; k++)
                w->rules[k] = NULL;
            w->n_rules = (size_t)id + 1;
        }
        free(w->rules[id]);
        w->rules[id] = cq_xstrdup(s_col_text(q, 1));
    }
    sqlite3_finalize(q);
    if (w->schema >= 2) {
        if (sqlite3_prepare_v2(w->db,
                               "SELECT orphan_of FROM decisions WHERE kind = 1 "
                               "AND orphan_of IS NOT NULL ORDER BY orphan_of",
                               -1, &q, NULL) != SQLITE_OK)
            return s_walk_fail(w, "not a ledger");
        size_t cap = 0;
        while (sqlite3_step(q) == SQLITE_ROW) {
            if (w->n_orphaned == cap) {
                cap = cap ? cap * 2 : 64;
                w->orphaned =
                    cq_xrealloc(w->orphaned, cap * sizeof *w->orphaned);
            }
            w->orphaned[w->n_orphaned++] = sqlite3_column_int64(q, 0);
        }
        sqlite3_finalize(q);
    }
    if (meta) {
        meta->schema = w->schema;
        if (sqlite3_prepare_v2(w->db, "SELECT key, value FROM meta", -1, &q,
                               NULL) != SQLITE_OK)
            return s_walk_fail(w, "not a ledger");
        while (sqlite3_step(q) == SQLITE_ROW) {
            const char *k = s_col_text(q, 0), *v = s_col_text(q, 1);
            if (strcmp(k, "node_id") == 0)
                cq_strlcpy(meta->node_id, v, sizeof meta->node_id);
            else if (strcmp(k, "ledger_id") == 0)
                cq_strlcpy(meta->ledger_id, v, sizeof meta->ledger_id);
            else if (strcmp(k, "resolved_seq") == 0)
                meta->resolved = sqlite3_column_int64(q, 1);
            else if (strcmp(k, "export") == 0)
                cq_strlcpy(meta->export_kind, v, sizeof meta->export_kind);
            else if (strcmp(k, "export_of_rows") == 0)
                meta->export_of_rows = sqlite3_column_int64(q, 1);
            else if (strcmp(k, "export_of_hash") == 0)
                cq_strlcpy(meta->export_of_hash, v,
                           sizeof meta->export_of_hash);
        }
        sqlite3_finalize(q);
    }
    return 0;
}

static bool
s_walk_orphaned(const s_walk_t *w, int64_t seq)
{
    size_t lo = 0, hi = w->n_orphaned;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (w->orphaned[mid] < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < w->n_orphaned && w->orphaned[lo] == seq;
}

//  Fills row with row q's decision (kind 0) or marker (kind 1) and its
//  hashed text in w->buf after the previous hash. 0 or CQ_EPROTO.
static int
s_walk_text(s_walk_t *w, sqlite3_stmt *q, cq_ledger_row_t *row)
{
    int64_t seq = row->seq;
    cq_buf_reset(&w->buf);
    cq_buf_add(&w->buf, w->prev, 32);
    if (row->kind == 1) {
        int64_t of = row->orphan_of;
        if (of < 1 || of >= seq || !(w->flags[of - 1] & S_DECISION) ||
            (w->flags[of - 1] & S_MARKED))
            return cq_diag_set(w->diag, CQ_EPROTO, (size_t)seq,
                               "%s: marker at seq %lld names seq %lld, which "
                               "is not an unmarked decision before it",
                               w->path, (long long)seq, (long long)of);
        w->flags[of - 1] |= S_MARKED;
        if (s_marker_text(&w->buf, of, row->claim_key) != 0)
            return cq_diag_set(w->diag, CQ_EPROTO, (size_t)seq,
                               "%s: marker at seq %lld is too large", w->path,
                               (long long)seq);
        return 0;
    }
    if (row->kind != 0)
        return cq_diag_set(w->diag, CQ_EPROTO, (size_t)seq,
                           "%s: row at seq %lld has unknown kind %d", w->path,
                           (long long)seq, row->kind);
    int64_t rid = sqlite3_column_int64(q, 5);
    if (cq_decision_unpack(sqlite3_column_blob(q, 7),
                           (size_t)sqlite3_column_bytes(q, 7), w->d) != 0 ||
        rid <= 0 || (size_t)rid >= w->n_rules || w->rules[rid] == NULL)
        return cq_diag_set(w->diag, CQ_EPROTO, (size_t)seq,
                           "%s: decision at seq %lld is not readable", w->path,
                           (long long)seq);
    w->d->ledger_seq = seq;
    cq_strlcpy(w->d->rules_version, w->rules[rid], sizeof w->d->rules_version);
    if (cq_decision_to_json(w->d, &w->buf) != 0)
        return cq_diag_set(w->diag, CQ_EPROTO, (size_t)seq,
                           "%s: decision at seq %lld is too large", w->path,
                           (long long)seq);
    w->flags[seq - 1] |= S_DECISION;
    row->orphaned = s_walk_orphaned(w, seq);
    row->d = w->d;
    return 0;
}

static int
s_walk_rows(s_walk_t *w, cq_ledger_row_fn *fn, void *arg, int64_t *rows)
{
    sqlite3_stmt *q = NULL;
    //  columns 0..7 for every walk; cq_ledger_copy also reads the rest
    static const char *const sql[2][2] = {
        {"SELECT seq, 0, NULL, claim_key, member, rules_id, hash, body FROM "
         "decisions ORDER BY seq",
         "SELECT seq, kind, orphan_of, claim_key, member, rules_id, hash, "
         "body FROM decisions ORDER BY seq"},
        {"SELECT seq, 0, NULL, claim_key, member, rules_id, hash, body, "
         "keyed, outcome, original, reverses, history FROM decisions ORDER BY "
         "seq",
         "SELECT seq, kind, orphan_of, claim_key, member, rules_id, hash, "
         "body, keyed, outcome, original, reverses, history FROM decisions "
         "ORDER BY seq"}};
    if (sqlite3_prepare_v2(w->db, sql[w->full][w->schema >= 2], -1, &q, NULL) !=
        SQLITE_OK)
        return s_walk_fail(w, "not a ledger");
    w->cur = q;
    int rc = 0, step;
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        cq_ledger_row_t row = {.seq = sqlite3_column_int64(q, 0),
                               .kind = sqlite3_column_int(q, 1),
                               .orphan_of = sqlite3_column_int64(q, 2),
                               .claim_key = s_col_text(q, 3),
                               .member_id = s_col_text(q, 4)};
        int64_t seq = row.seq;
        if (seq != *rows + 1) {
            rc = cq_diag_set(w->diag, CQ_EPROTO, (size_t)seq,
                             *rows ? "%s: seq %lld follows %lld"
                                   : "%s: seq %lld is the first row, not 1",
                             w->path, (long long)seq, (long long)*rows);
            break;
        }
        if ((size_t)seq > w->cap_flags) {
            w->cap_flags = w->cap_flags ? w->cap_flags * 2 : 4096;
            w->flags = cq_xrealloc(w->flags, w->cap_flags);
        }
        w->flags[seq - 1] = 0;
        if ((rc = s_walk_text(w, q, &row)) != 0)
            break;
        uint8_t h[32];
        cq_sha256(w->buf.data, w->buf.len, h);
        if (sqlite3_column_bytes(q, 6) != 32 ||
            memcmp(h, sqlite3_column_blob(q, 6), 32) != 0) {
            rc = cq_diag_set(w->diag, CQ_EPROTO, (size_t)seq,
                             "%s: hash chain broken at seq %lld", w->path,
                             (long long)seq);
            break;
        }
        memcpy(w->prev, h, 32);
        (*rows)++;
        row.json = w->buf.data + 32;
        row.json_len = w->buf.len - 32;
        if (fn && (rc = fn(arg, &row)) != 0)
            break;
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = s_walk_fail(w, "cannot read the ledger");
    w->cur = NULL;
    sqlite3_finalize(q);
    return rc;
}

//  Opens the ledger at w->path read-only and begins one read transaction
//  (the orphans read first and the rows read after are of the same moment,
//  while a node appends); reads schema, rules, orphans and meta. 0 or the
//  error (diag set); s_walk_close in every case.
static int
s_walk_open(s_walk_t *w, cq_ledger_meta_t *meta)
{
    if (meta)
        memset(meta, 0, sizeof *meta);
    cq_buf_init(&w->buf, 1u << 24);
    w->d = cq_xmalloc(sizeof *w->d);
    if (sqlite3_open_v2(w->path, &w->db, SQLITE_OPEN_READONLY, NULL) !=
        SQLITE_OK)
        return s_walk_fail(w, "cannot open the ledger");
    sqlite3_busy_timeout(w->db, S_BUSY_MS);
    if (s_exec(w->db, "BEGIN") != SQLITE_OK)
        return s_walk_fail(w, "cannot read the ledger");
    return s_walk_begin(w, meta);
}

static void
s_walk_close(s_walk_t *w)
{
    if (w->db) {
        s_exec(w->db, "COMMIT");
        sqlite3_close(w->db);
        w->db = NULL;
    }
    for (size_t k = 0; k < w->n_rules; k++)
        free(w->rules[k]);
    free(w->rules);
    free(w->orphaned);
    free(w->flags);
    free(w->d);
    cq_buf_free(&w->buf);
}

int
cq_ledger_walk(const char *path, cq_ledger_row_fn *fn, void *arg,
               cq_ledger_meta_t *meta, int64_t *rows, cq_diag_t *diag)
{
    assert(path && rows);
    *rows = 0;
    s_walk_t w = {.path = path, .diag = diag};
    int rc = s_walk_open(&w, meta);
    if (rc == 0)
        rc = s_walk_rows(&w, fn, arg, rows);
    s_walk_close(&w);
    return rc;
}

//  cq_ledger_each's callback over cq_ledger_walk's rows.
typedef struct {
    cq_ledger_each_fn *fn;
    void *arg;
} s_each_t;

static int
s_each_row(void *arg, const cq_ledger_row_t *row)
{
    s_each_t *e = arg;
    if (row->kind != 0 || row->orphaned || e->fn == NULL)
        return 0;
    return e->fn(e->arg, row->d, row->json, row->json_len);
}

int
cq_ledger_each(const char *path, cq_ledger_each_fn *fn, void *arg,
               int64_t *rows, cq_diag_t *diag)
{
    s_each_t e = {fn, arg};
    return cq_ledger_walk(path, s_each_row, &e, NULL, rows, diag);
}

int
cq_ledger_verify(const char *path, int64_t *rows, cq_diag_t *diag)
{
    return cq_ledger_walk(path, NULL, NULL, NULL, rows, diag);
}

//  ---- a copy with values replaced (claimq ledger export) -------------------

//  What cq_ledger_copy keeps while it writes.
typedef struct {
    s_walk_t *w; // the source, being walked
    const cq_ledger_rewrite_t *rw;
    const char *dst;
    sqlite3 *db;       // the copy
    sqlite3_stmt *ins; // INSERT INTO decisions
    cq_buf_t text;     // the copy's previous hash || the row's new text
    cq_buf_t body;     // the rewritten decision, packed
    uint8_t prev[32];  // the copy's chain
    int64_t decisions;
    char member[256]; // the member id's replacement
    bool dst_error;   // the error is the copy's
} s_copy_t;

static void
s_hex(const uint8_t *h, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[h[i] >> 4];
        out[2 * i + 1] = digits[h[i] & 15];
    }
    out[2 * n] = '\0';
}

static int
s_copy_fail(s_copy_t *c, const char *what)
{
    c->dst_error = true;
    return s_fail(c->w->diag, c->dst, c->db, what);
}

//  One row of the source (checked), rewritten into the copy.
static int
s_copy_row(void *arg, const cq_ledger_row_t *row)
{
    s_copy_t *c = arg;
    sqlite3_stmt *q = c->w->cur;
    cq_diag_t *diag = c->w->diag;
    long long seq = (long long)row->seq;
    cq_buf_reset(&c->text);
    cq_buf_reset(&c->body);
    cq_buf_add(&c->text, c->prev, 32);
    int rc;
    if (row->kind == 0) {
        cq_decision_t *d = c->w->d; // row->d, ours to change
        if (c->rw->decision && (rc = c->rw->decision(c->rw->arg, d)) != 0)
            return cq_diag_set(diag, rc, (size_t)seq,
                               "%s: the decision at seq %lld cannot be "
                               "rewritten (%s)",
                               c->w->path, seq, cq_strerror(rc));
        if (cq_decision_to_json(d, &c->text) != 0 ||
            cq_decision_pack(d, &c->body) != 0)
            return cq_diag_set(diag, CQ_ETOOBIG, (size_t)seq,
                               "%s: the decision at seq %lld is too large "
                               "once rewritten",
                               c->w->path, seq);
        c->decisions++;
    } else if (s_marker_text(&c->text, row->orphan_of, row->claim_key) != 0) {
        return cq_diag_set(diag, CQ_ETOOBIG, (size_t)seq,
                           "%s: marker at seq %lld is too large", c->w->path,
                           seq);
    }
    uint8_t h[32];
    cq_sha256(c->text.data, c->text.len, h);
    const char *member = NULL; // NULL stays NULL, '' stays ''
    if (sqlite3_column_type(q, 4) != SQLITE_NULL) {
        member = s_col_text(q, 4);
        if (member[0] != '\0' && c->rw->member) {
            c->member[0] = '\0';
            if ((rc = c->rw->member(c->rw->arg, member, c->member,
                                    sizeof c->member)) != 0)
                return cq_diag_set(diag, rc, (size_t)seq,
                                   "%s: the member id at seq %lld cannot be "
                                   "rewritten (%s)",
                                   c->w->path, seq, cq_strerror(rc));
            member = c->member;
        }
    }
    sqlite3_stmt *ins = c->ins;
    sqlite3_bind_int64(ins, 1, row->seq);
    sqlite3_bind_text(ins, 2, row->claim_key, -1, SQLITE_STATIC);
    sqlite3_bind_value(ins, 3, sqlite3_column_value(q, 8));  // keyed
    sqlite3_bind_value(ins, 4, sqlite3_column_value(q, 9));  // outcome
    sqlite3_bind_value(ins, 5, sqlite3_column_value(q, 10)); // original
    sqlite3_bind_value(ins, 6, sqlite3_column_value(q, 11)); // reverses
    sqlite3_bind_value(ins, 7, sqlite3_column_value(q, 5));  // rules_id
    s_bind_text(ins, 8, member);
    sqlite3_bind_value(ins, 9, sqlite3_column_value(q, 12)); // history
    sqlite3_bind_blob(ins, 10, h, 32, SQLITE_STATIC);
    if (row->kind == 0)
        sqlite3_bind_blob(ins, 11, c->body.data, (int)c->body.len,
                          SQLITE_STATIC);
    else
        sqlite3_bind_zeroblob(ins, 11, 0);
    sqlite3_bind_int(ins, 12, row->kind);
    s_bind_seq(ins, 13, row->kind == 1 ? row->orphan_of : 0);
    int step = sqlite3_step(ins);
    sqlite3_reset(ins);
    sqlite3_clear_bindings(ins);
    if (step != SQLITE_DONE)
        return s_copy_fail(c, "cannot write the copy");
    memcpy(c->prev, h, 32);
    return 0;
}

//  INSERT OR REPLACE INTO meta of the copy.
static int
s_copy_meta(s_copy_t *c, const char *key, const char *value)
{
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(c->db,
                                "INSERT OR REPLACE INTO meta VALUES "
                                "(?, ?)",
                                -1, &q, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, value, -1, SQLITE_STATIC);
        rc = sqlite3_step(q);
    }
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? 0 : s_copy_fail(c, "cannot write the copy");
}

//  The source's rules rows and its own meta rows (the ones a node writes;
//  not an earlier export's), read in the walk's transaction.
static int
s_copy_head(s_copy_t *c)
{
    sqlite3_stmt *q = NULL, *ins = NULL;
    int rc = 0;
    if (sqlite3_prepare_v2(c->w->db,
                           "SELECT id, version, first_seq, seen_at FROM rules "
                           "ORDER BY id",
                           -1, &q, NULL) != SQLITE_OK)
        return s_walk_fail(c->w, "not a ledger");
    if (sqlite3_prepare_v2(c->db,
                           "INSERT INTO rules (id, version, first_seq, "
                           "seen_at) VALUES (?, ?, ?, ?)",
                           -1, &ins, NULL) != SQLITE_OK) {
        sqlite3_finalize(q);
        return s_copy_fail(c, "cannot write the copy");
    }
    int step = SQLITE_DONE;
    while (rc == 0 && (step = sqlite3_step(q)) == SQLITE_ROW) {
        for (int k = 0; k < 4; k++)
            sqlite3_bind_value(ins, k + 1, sqlite3_column_value(q, k));
        if (sqlite3_step(ins) != SQLITE_DONE)
            rc = s_copy_fail(c, "cannot write the copy");
        sqlite3_reset(ins);
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = s_walk_fail(c->w, "cannot read the ledger");
    sqlite3_finalize(q);
    sqlite3_finalize(ins);
    if (rc != 0)
        return rc;
    if (sqlite3_prepare_v2(c->w->db,
                           "SELECT key, value FROM meta WHERE key IN "
                           "('node_id', 'created_at', 'ledger_id', "
                           "'resolved_seq')",
                           -1, &q, NULL) != SQLITE_OK)
        return s_walk_fail(c->w, "not a ledger");
    while (rc == 0 && (step = sqlite3_step(q)) == SQLITE_ROW)
        rc = s_copy_meta(c, s_col_text(q, 0), s_col_text(q, 1));
    if (rc == 0 && step != SQLITE_DONE)
        rc = s_walk_fail(c->w, "cannot read the ledger");
    sqlite3_finalize(q);
    return rc;
}

//  Creates dst (mode 0600, never an existing file) and makes it an empty
//  ledger of the newest schema, ready for one transaction.
static int
s_copy_create(s_copy_t *c, bool *made)
{
    const char *dst = c->dst;
    cq_diag_t *diag = c->w->diag;
    c->dst_error = true; // until it is made
    int fd =
        open(dst, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return errno == EEXIST
                   ? cq_diag_set(diag, CQ_EEXIST, 0,
                                 "%s already exists: an export never "
                                 "overwrites a file",
                                 dst)
                   : cq_diag_set(diag, CQ_EIO, 0, "%s: cannot create it: %s",
                                 dst, strerror(errno));
    *made = true;
    //  whatever the umask (SQLite gives its journal the same mode)
    int ok = fchmod(fd, 0600);
    close(fd);
    if (ok != 0)
        return cq_diag_set(diag, CQ_EIO, 0, "%s: cannot set its mode: %s", dst,
                           strerror(errno));
    if (sqlite3_open_v2(dst, &c->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        return s_copy_fail(c, "cannot open the copy");
    //  a self-contained file: a rollback journal, gone after the commit;
    //  secure_delete: no freed page keeps what was on it
    if (s_exec(c->db, "PRAGMA journal_mode=DELETE") != SQLITE_OK ||
        s_exec(c->db, "PRAGMA secure_delete=ON") != SQLITE_OK ||
        s_exec(c->db, "PRAGMA synchronous=FULL") != SQLITE_OK)
        return s_copy_fail(c, "cannot configure the copy");
    int rc = s_migrate(c->db, dst, diag);
    if (rc != 0)
        return rc;
    c->dst_error = false;
    if (s_exec(c->db, "BEGIN IMMEDIATE") != SQLITE_OK)
        return s_copy_fail(c, "cannot write the copy");
    if (sqlite3_prepare_v2(c->db,
                           "INSERT INTO decisions (seq, claim_key, keyed, "
                           "outcome, original, reverses, rules_id, member, "
                           "history, hash, body, kind, orphan_of) VALUES (?, "
                           "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           -1, &c->ins, NULL) != SQLITE_OK)
        return s_copy_fail(c, "cannot write the copy");
    return 0;
}

int
cq_ledger_copy(const char *src, const char *dst, const cq_ledger_rewrite_t *rw,
               cq_ledger_copy_info_t *info, cq_diag_t *diag)
{
    assert(src && dst && rw);
    if (info)
        memset(info, 0, sizeof *info);
    struct stat sb;
    if (info)
        info->dst_error = true;
    if (lstat(dst, &sb) == 0)
        return cq_diag_set(diag, CQ_EEXIST, 0,
                           "%s already exists: an export never overwrites a "
                           "file",
                           dst);
    s_walk_t w = {.path = src, .diag = diag, .full = true};
    s_copy_t c = {.w = &w, .rw = rw, .dst = dst};
    cq_buf_init(&c.text, 1u << 24);
    cq_buf_init(&c.body, 1u << 24);
    bool made = false;
    int64_t rows = 0;
    int rc = s_walk_open(&w, NULL);
    if (rc == 0)
        rc = s_copy_create(&c, &made);
    if (rc == 0)
        rc = s_copy_head(&c);
    if (rc == 0)
        rc = s_walk_rows(&w, s_copy_row, &c, &rows);
    char src_hash[72], hash[72], n[32], now[32];
    s_hex(w.prev, 32, src_hash);
    s_hex(c.prev, 32, hash);
    snprintf(n, sizeof n, "%lld", (long long)rows);
    s_now(now, sizeof now);
    if (rc == 0)
        rc = s_copy_meta(&c, "export", rw->kind ? rw->kind : "copy");
    if (rc == 0)
        rc = s_copy_meta(&c, "export_of_rows", n);
    if (rc == 0)
        rc = s_copy_meta(&c, "export_of_hash", src_hash);
    if (rc == 0)
        rc = s_copy_meta(&c, "exported_at", now);
    for (size_t k = 0; rc == 0 && rw->meta && rw->meta[k]; k += 2)
        rc = s_copy_meta(&c, rw->meta[k],
                         rw->meta[k + 1] ? rw->meta[k + 1] : "");
    sqlite3_finalize(c.ins);
    if (rc == 0 && s_exec(c.db, "COMMIT") != SQLITE_OK)
        rc = s_copy_fail(&c, "cannot commit the copy");
    if (c.db && sqlite3_close(c.db) != SQLITE_OK && rc == 0)
        rc = s_copy_fail(&c, "cannot close the copy");
    s_walk_close(&w);
    if (rc != 0 && made) {
        //  only what this call made: the file and its journal
        char journal[4200];
        snprintf(journal, sizeof journal, "%s-journal", dst);
        unlink(journal);
        unlink(dst);
    }
    if (info)
        info->dst_error = rc != 0 && c.dst_error;
    if (rc == 0 && info) {
        info->rows = rows;
        info->decisions = c.decisions;
        memcpy(info->source_hash, src_hash, sizeof src_hash);
        memcpy(info->hash, hash, sizeof hash);
    }
    cq_buf_free(&c.text);
    cq_buf_free(&c.body);
    return rc;
}
