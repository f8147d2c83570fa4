//  ledger.c: a node's SQLite ledger (ledger.h, schemas/ledger/*.sql).
//
//  Writes are appends to rowid tables inside one transaction per
//  cq_ledger_commit; what the engine looks up lives in the in-memory state
//  (state_impl.h), which this file rebuilds from the tables at open. The
//  state's hooks send each decision here before the memory is updated, so
//  a failed write leaves the memory as it was.
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
#include <time.h>

#define S_BUSY_MS 5000

struct cq_ledger {
    sqlite3 *db;
    char node[CQ_ID_LEN];  // node id (meta.node_id)
    cq_state_t *state;     // the lookups, in memory
    sqlite3_stmt *ins_dec; // INSERT INTO decisions

    sqlite3_stmt *get_body; // SELECT body ... WHERE seq = ?
    int64_t *rules_db;      // state rules index -> rules.id (0 unknown)
    size_t n_rules_db;
    bool in_tx;            // a write transaction is open
    bool broken;           // a write failed: refuse more
    size_t pending;        // decisions since the last commit
    uint8_t last_hash[32]; // hash of the last row
    cq_buf_t json;         // scratch: decision JSON
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

//  Maps a SQLite result to a claimq error.
static int
s_err(int rc)
{
    if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW)
        return 0;
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
        return CQ_EBUSY;
    return CQ_EIO;
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

static const char *
s_col_text(sqlite3_stmt *q, int col)
{
    const char *s = (const char *)sqlite3_column_text(q, col);
    return s ? s : "";
}

//  Remembers rules.id of the state's rules version index si.
static void
s_rules_db_set(cq_ledger_t *self, uint16_t si, int64_t id)
{
    if (si >= self->n_rules_db) {
        size_t n = (size_t)si + 1;
        self->rules_db =
            cq_xrealloc(self->rules_db, n * sizeof *self->rules_db);
        for (size_t k = self->n_rules_db; k < n; k++)
            self->rules_db[k] = 0;
        self->n_rules_db = n;
    }
    self->rules_db[si] = id;
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

//  Replays the tables into the in-memory state.
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
        uint16_t si = cq_state_rules_id(self->state, s_col_text(rq, 1));
        map[id] = si;
        s_rules_db_set(self, si, id);
    }
    sqlite3_finalize(rq);

    if (sqlite3_prepare_v2(self->db,
                           "SELECT seq, claim_key, keyed, outcome, original, "
                           "reverses, rules_id, member, history, hash FROM "
                           "decisions ORDER BY seq",
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
        if (sqlite3_column_bytes(dq, 9) == 32)
            memcpy(self->last_hash, sqlite3_column_blob(dq, 9), 32);
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

//  ---- the state's hooks ---------------------------------------------------

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

//  rules.id of the state's rules version index si, inserting the row.
static int
s_rules_id(cq_ledger_t *self, uint16_t si, const char *version, int64_t seq,
           int64_t *out)
{
    if (si < self->n_rules_db && self->rules_db[si] > 0) {
        *out = self->rules_db[si];
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
    //  the id stays valid only if the transaction commits; a failed commit
    //  breaks the ledger anyway
    s_rules_db_set(self, si, sqlite3_last_insert_rowid(self->db));
    *out = self->rules_db[si];
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

static int
s_record(void *arg, const cq_decision_t *d, const cq_state_entry_t *e)
{
    cq_ledger_t *self = arg;
    if (self->broken)
        return CQ_EIO;
    int rc = s_begin(self);
    if (rc != 0)
        return rc;
    uint16_t si = cq_state_rules_id(self->state, d->rules_version);
    int64_t rules_id;
    if ((rc = s_rules_id(self, si, d->rules_version, d->ledger_seq,
                         &rules_id)) != 0)
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
    uint8_t hash[32];
    unsigned int hlen = 32;
    if (EVP_DigestInit_ex(self->md_ctx, self->md, NULL) != 1 ||
        EVP_DigestUpdate(self->md_ctx, self->last_hash, 32) != 1 ||
        EVP_DigestUpdate(self->md_ctx, self->json.data, self->json.len) != 1 ||
        EVP_DigestFinal_ex(self->md_ctx, hash, &hlen) != 1) {
        rc = CQ_EIO;
        goto out_broken;
    }

    sqlite3_stmt *q = self->ins_dec;
    sqlite3_bind_int64(q, 1, d->ledger_seq);
    sqlite3_bind_text(q, 2, e->key, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 3, e->index_key ? 1 : 0);
    sqlite3_bind_int(q, 4, (int)d->decision);
    if (e->orig_lineage)
        sqlite3_bind_text(q, 5, e->orig_lineage, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(q, 5);
    if (e->reverses != CQ_STATE_NONE)
        sqlite3_bind_int64(q, 6, self->state->recs[e->reverses].seq);
    else
        sqlite3_bind_null(q, 6);
    sqlite3_bind_int64(q, 7, rules_id);
    if (e->n_lines > 0) {
        const char *mk = e->lines[0].member_key;
        const char *sep = strchr(mk, '\x1f');
        sqlite3_bind_text(q, 8, sep ? sep + 1 : mk, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 9, self->hist.data, (int)self->hist.len,
                          SQLITE_STATIC);
    } else {
        sqlite3_bind_null(q, 8);
        sqlite3_bind_null(q, 9);
    }
    sqlite3_bind_blob(q, 10, hash, 32, SQLITE_STATIC);
    sqlite3_bind_blob(q, 11, self->body.data, (int)self->body.len,
                      SQLITE_STATIC);
    int src = sqlite3_step(q);
    sqlite3_reset(q);
    if (src != SQLITE_DONE) {
        rc = CQ_EIO;
        goto out_broken;
    }
    memcpy(self->last_hash, hash, 32);
    self->json_seq = d->ledger_seq;
    self->pending++;
    return 0;
out_broken:
    //  the transaction may hold part of this decision: nothing recorded
    //  since the last commit can be trusted any more
    cq_log_error(d->claim_id, "ledger write failed: %s",
                 sqlite3_errmsg(self->db));
    self->broken = true;
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

//  ---- public -----------------------------------------------------------

cq_ledger_t *
cq_ledger_open(const char *path, const char *node_id, cq_diag_t *diag)
{
    assert(path && node_id);
    cq_ledger_t *self = cq_xcalloc(1, sizeof *self);
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
    cq_state_hooks_t hooks = {s_record, s_load, self};
    self->state = cq_state_new_hooked(&hooks, false);

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
    if (s_rebuild(self, path, diag) != 0)
        goto out_destroy;
    if (sqlite3_prepare_v2(self->db,
                           "INSERT INTO decisions (seq, claim_key, keyed, "
                           "outcome, original, reverses, rules_id, member, "
                           "history, hash, body) VALUES (?, ?, ?, ?, ?, ?, ?, "
                           "?, ?, ?, ?)",
                           -1, &self->ins_dec, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(self->db, "SELECT body FROM decisions WHERE seq = ?",
                           -1, &self->get_body, NULL) != SQLITE_OK) {
        s_fail(diag, path, self->db, "cannot prepare the ledger statements");
        goto out_destroy;
    }
    cq_log_info(NULL, "ledger %s: %zu decisions, %zu history lines", path,
                self->state->n_recs, self->state->n_hist);
    return self;
out_destroy:
    cq_ledger_destroy(&self);
    return NULL;
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
    sqlite3_finalize(self->ins_dec);

    sqlite3_finalize(self->get_body);
    sqlite3_close(self->db);
    cq_state_destroy(&self->state);
    cq_buf_free(&self->json);
    cq_buf_free(&self->body);
    cq_buf_free(&self->hist);
    EVP_MD_CTX_free(self->md_ctx);
    EVP_MD_free(self->md);
    free(self->rules_db);
    free(self);
    *self_p = NULL;
}

cq_state_t *
cq_ledger_state(cq_ledger_t *self)
{
    return self->state;
}

int
cq_ledger_commit(cq_ledger_t *self)
{
    if (self->broken) {
        if (self->in_tx) {
            s_exec(self->db, "ROLLBACK");
            self->in_tx = false;
        }
        return CQ_EIO;
    }
    if (!self->in_tx)
        return 0;
    int rc = s_exec(self->db, "COMMIT");
    if (rc == SQLITE_BUSY)
        return CQ_EBUSY; // still open: the caller may retry
    if (rc != SQLITE_OK) {
        cq_log_error(NULL, "ledger commit failed: %s",
                     sqlite3_errmsg(self->db));
        self->broken = true;
        s_exec(self->db, "ROLLBACK");
        self->in_tx = false;
        return CQ_EIO;
    }
    self->in_tx = false;
    self->pending = 0;
    return 0;
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
    return (int64_t)self->state->n_recs;
}

int
cq_ledger_each(const char *path, cq_ledger_each_fn *fn, void *arg,
               int64_t *rows, cq_diag_t *diag)
{
    sqlite3 *db = NULL;
    *rows = 0;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        s_fail(diag, path, db, "cannot open the ledger");
        sqlite3_close(db);
        return CQ_EIO;
    }
    sqlite3_busy_timeout(db, S_BUSY_MS);
    //  rules versions by id (few)
    sqlite3_stmt *q = NULL;
    char **rules = NULL;
    size_t n_rules = 0;
    int rc = 0;
    if (sqlite3_prepare_v2(db, "SELECT id, version FROM rules", -1, &q, NULL) !=
        SQLITE_OK) {
        s_fail(diag, path, db, "not a ledger");
        sqlite3_close(db);
        return CQ_EIO;
    }
    while (sqlite3_step(q) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(q, 0);
        if (id <= 0 || id > 65535)
            continue;
        if ((size_t)id >= n_rules) {
            rules = cq_xrealloc(rules, ((size_t)id + 1) * sizeof *rules);
            for (size_t k = n_rules; k <= (size_t)id; k++)
                rules[k] = NULL;
            n_rules = (size_t)id + 1;
        }
        free(rules[id]);
        rules[id] = cq_xstrdup(s_col_text(q, 1));
    }
    sqlite3_finalize(q);
    if (sqlite3_prepare_v2(db,
                           "SELECT seq, rules_id, hash, body FROM decisions "
                           "ORDER BY seq",
                           -1, &q, NULL) != SQLITE_OK) {
        s_fail(diag, path, db, "not a ledger");
        goto out;
    }
    uint8_t prev[32] = {0};
    cq_buf_t buf;
    cq_buf_init(&buf, 1u << 24);
    cq_decision_t *d = cq_xmalloc(sizeof *d);
    int step;
    int64_t expect = 0;
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t seq = sqlite3_column_int64(q, 0);
        int64_t rid = sqlite3_column_int64(q, 1);
        if (expect && seq != expect) {
            rc = cq_diag_set(diag, CQ_EPROTO, (size_t)seq,
                             "%s: seq %lld follows %lld", path, (long long)seq,
                             (long long)expect - 1);
            break;
        }
        expect = seq + 1;
        if (cq_decision_unpack(sqlite3_column_blob(q, 3),
                               (size_t)sqlite3_column_bytes(q, 3), d) != 0 ||
            rid <= 0 || (size_t)rid >= n_rules || rules[rid] == NULL) {
            rc = cq_diag_set(diag, CQ_EPROTO, (size_t)seq,
                             "%s: decision at seq %lld is not readable", path,
                             (long long)seq);
            break;
        }
        d->ledger_seq = seq;
        cq_strlcpy(d->rules_version, rules[rid], sizeof d->rules_version);
        //  SHA-256(previous hash || the decision's JSON)
        cq_buf_reset(&buf);
        cq_buf_add(&buf, prev, 32);
        if (cq_decision_to_json(d, &buf) != 0) {
            rc = cq_diag_set(diag, CQ_EPROTO, (size_t)seq,
                             "%s: decision at seq %lld is too large", path,
                             (long long)seq);
            break;
        }
        uint8_t h[32];
        cq_sha256(buf.data, buf.len, h);
        if (sqlite3_column_bytes(q, 2) != 32 ||
            memcmp(h, sqlite3_column_blob(q, 2), 32) != 0) {
            rc = cq_diag_set(diag, CQ_EPROTO, (size_t)seq,
                             "%s: hash chain broken at seq %lld", path,
                             (long long)seq);
            break;
        }
        memcpy(prev, h, 32);
        (*rows)++;
        if (fn && (rc = fn(arg, d, buf.data + 32, buf.len - 32)) != 0)
            break;
    }
    if (rc == 0 && step != SQLITE_DONE && step != SQLITE_ROW)
        rc = s_fail(diag, path, db, "cannot read the ledger");
    free(d);
    cq_buf_free(&buf);
out:
    for (size_t k = 0; k < n_rules; k++)
        free(rules[k]);
    free(rules);
    sqlite3_finalize(q);
    sqlite3_close(db);
    return rc;
}

int
cq_ledger_verify(const char *path, int64_t *rows, cq_diag_t *diag)
{
    return cq_ledger_each(path, NULL, NULL, rows, diag);
}
