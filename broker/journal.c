//  journal.c: see journal.h. Guarantee 1 of DESIGN.md §4 (no loss) rests
//  on two rules kept here: a record is in the journal only after a COMMIT
//  returned SQLITE_OK with synchronous=FULL (the WAL fsynced), and a
//  failed commit loses nothing (the records stay buffered and are written
//  again, whole, by the next commit).
#include "journal.h"
#include "log.h"
#include "mem.h"
#include "migrations.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define S_BUSY_MS 5000

enum {
    R_BATCH,
    R_DOC,
    R_INTAKE,
    R_CLAIM,
    R_REF,
    R_DECISION,
    R_EVENT,
    R_KINDS
};

//  One buffered record: integers, up to three strings and one blob, the
//  bytes in self->bytes (offsets: the buffer moves as it grows).
#define S_NO_STR SIZE_MAX
typedef struct {
    uint8_t type;
    int64_t v[6];
    size_t s[3], sl[3]; // string offsets / lengths (S_NO_STR: NULL)
    size_t b, bl;       // blob offset / length
} s_rec_t;

static const char *const s_insert[R_KINDS] = {
    [R_BATCH] = "INSERT INTO batches (id, batch_id, created_ms) "
                "VALUES (?1, ?7, ?2)",
    [R_DOC] = "INSERT INTO docs (id, batch, pos, name, first_record, "
              "received_date, received_ms, digest, data) VALUES (?1, ?2, ?3, "
              "?7, ?4, ?5, ?6, ?8, ?10)",
    [R_INTAKE] = "INSERT OR REPLACE INTO intake (doc, seq, status, message, "
                 "n_claims) VALUES (?1, ?4, ?2, ?7, ?3)",
    [R_CLAIM] = "INSERT INTO claims (id, claim_key, shard, batch, doc, idx, "
                "body) VALUES (?1, ?7, ?2, ?3, ?4, ?5, ?10)",
    [R_REF] = "INSERT OR REPLACE INTO refs (doc, idx, claim) VALUES (?1, ?2, "
              "?3)",
    [R_DECISION] = "INSERT INTO decisions (claim, seq, node, ledger_id, "
                   "ledger_seq, lease, outcome, decided_ms, body) VALUES "
                   "(?1, ?6, ?7, ?8, ?2, ?3, ?4, ?5, ?10)",
    [R_EVENT] = "INSERT INTO events (kind, target, node, attempts, detail, "
                "at_ms) VALUES (?7, ?1, ?8, ?2, ?9, ?3)",
};

struct cq_journal {
    sqlite3 *db;
    char *path;
    uint64_t epoch;
    uint32_t shards;
    sqlite3_stmt *ins[R_KINDS];
    s_rec_t *recs; // buffered, in order
    size_t n_recs, cap_recs;
    cq_buf_t bytes;
    uint64_t last_commit_us;
};

static int
s_exec(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

static int
s_fail(cq_diag_t *diag, const cq_journal_t *self, const char *what)
{
    return cq_diag_set(diag, CQ_EIO, 0, "%s: %s: %s", self->path, what,
                       self->db ? sqlite3_errmsg(self->db) : "out of memory");
}

//  A failed write: disk full or read-only is CQ_ENOSPC (it may pass).
static int
s_write_err(sqlite3 *db, int rc)
{
    int sys = sqlite3_system_errno(db);
    int prim = rc & 0xff;
    if (prim == SQLITE_FULL || prim == SQLITE_READONLY || sys == ENOSPC ||
        sys == EROFS || sys == EDQUOT || sys == EPERM || sys == EACCES)
        return CQ_ENOSPC;
    if (prim == SQLITE_BUSY || prim == SQLITE_LOCKED)
        return CQ_EBUSY;
    return CQ_EIO;
}

static void
s_now_iso(char *out, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

//  ---- opening -------------------------------------------------------------

static int
s_migrate(cq_journal_t *self, cq_diag_t *diag)
{
    sqlite3 *db = self->db;
    if (s_exec(db, "BEGIN IMMEDIATE") != SQLITE_OK)
        return s_fail(diag, self, "cannot lock the journal");
    int err = CQ_EIO;
    sqlite3_stmt *q = NULL;
    if (s_exec(db, "CREATE TABLE IF NOT EXISTS schema_version (version "
                   "INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT "
                   "NOT NULL)") != SQLITE_OK) {
        //  the first statement that reads the file: "file is not a
        //  database" shows up here
        s_fail(diag, self, "not a usable journal");
        goto out_rollback;
    }
    if (sqlite3_prepare_v2(db,
                           "SELECT coalesce(max(version), 0) FROM "
                           "schema_version",
                           -1, &q, NULL) != SQLITE_OK ||
        sqlite3_step(q) != SQLITE_ROW) {
        s_fail(diag, self, "cannot read schema_version");
        goto out_rollback;
    }
    int have = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    q = NULL;
    int newest = 0;
    for (const cq_migration_t *m = cq_journal_migrations; m->sql; m++)
        newest = m->version;
    if (have > newest) {
        err = cq_diag_set(diag, CQ_EUNSUPPORTED, 0,
                          "%s: journal schema version %d is newer than this "
                          "program's (%d)",
                          self->path, have, newest);
        goto out_rollback;
    }
    for (const cq_migration_t *m = cq_journal_migrations; m->sql; m++) {
        if (m->version <= have)
            continue;
        char *why = NULL;
        if (sqlite3_exec(db, (const char *)m->sql, NULL, NULL, &why) !=
            SQLITE_OK) {
            cq_diag_set(diag, CQ_EIO, 0, "%s: migration %s failed: %s",
                        self->path, m->name, why ? why : "?");
            sqlite3_free(why);
            goto out_rollback;
        }
        char now[32];
        s_now_iso(now, sizeof now);
        if (sqlite3_prepare_v2(db, "INSERT INTO schema_version VALUES (?, ?, ?)",
                               -1, &q, NULL) != SQLITE_OK) {
            s_fail(diag, self, "cannot record the migration");
            goto out_rollback;
        }
        sqlite3_bind_int(q, 1, m->version);
        sqlite3_bind_text(q, 2, m->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 3, now, -1, SQLITE_TRANSIENT);
        int rc = sqlite3_step(q);
        sqlite3_finalize(q);
        q = NULL;
        if (rc != SQLITE_DONE) {
            s_fail(diag, self, "cannot record the migration");
            goto out_rollback;
        }
    }
    if (s_exec(db, "COMMIT") != SQLITE_OK)
        return s_fail(diag, self, "cannot commit the migration");
    return 0;
out_rollback:
    sqlite3_finalize(q);
    s_exec(db, "ROLLBACK");
    return err;
}

//  meta: the journal id and S at creation; checks them after. Then a new
//  row in starts: the epoch.
static int
s_start(cq_journal_t *self, uint32_t shards, cq_diag_t *diag)
{
    sqlite3 *db = self->db;
    sqlite3_stmt *q = NULL;
    if (s_exec(db, "BEGIN IMMEDIATE") != SQLITE_OK)
        return s_fail(diag, self, "cannot lock the journal");
    int rc = sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'shards'",
                                -1, &q, NULL);
    if (rc != SQLITE_OK)
        goto out_fail;
    rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        long v = strtol((const char *)sqlite3_column_text(q, 0), NULL, 10);
        if (v < 1 || v > 65536) {
            sqlite3_finalize(q);
            s_exec(db, "ROLLBACK");
            return cq_diag_set(diag, CQ_EPROTO, 0,
                               "%s: meta.shards is not a shard count",
                               self->path);
        }
        self->shards = (uint32_t)v;
    } else if (rc == SQLITE_DONE) {
        sqlite3_finalize(q);
        q = NULL;
        char now[32], sh[16], id[33];
        s_now_iso(now, sizeof now);
        snprintf(sh, sizeof sh, "%u", shards);
        uint8_t rnd[16];
        sqlite3_randomness(sizeof rnd, rnd);
        for (int i = 0; i < 16; i++)
            snprintf(id + 2 * i, 3, "%02x", rnd[i]);
        rc = sqlite3_prepare_v2(db,
                                "INSERT INTO meta VALUES ('shards', ?1), "
                                "('created_at', ?2), ('journal_id', ?3)",
                                -1, &q, NULL);
        if (rc != SQLITE_OK)
            goto out_fail;
        sqlite3_bind_text(q, 1, sh, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(q, 2, now, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(q, 3, id, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(q) != SQLITE_DONE)
            goto out_fail;
        self->shards = shards;
    } else {
        goto out_fail;
    }
    sqlite3_finalize(q);
    q = NULL;
    char now[32];
    s_now_iso(now, sizeof now);
    rc = sqlite3_prepare_v2(db,
                            "INSERT INTO starts (started_at, pid, version) "
                            "VALUES (?1, ?2, ?3)",
                            -1, &q, NULL);
    if (rc != SQLITE_OK)
        goto out_fail;
    sqlite3_bind_text(q, 1, now, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(q, 2, (sqlite3_int64)getpid());
    sqlite3_bind_text(q, 3, CQ_VERSION, -1, SQLITE_STATIC);
    if (sqlite3_step(q) != SQLITE_DONE)
        goto out_fail;
    self->epoch = (uint64_t)sqlite3_last_insert_rowid(db);
    sqlite3_finalize(q);
    q = NULL;
    if (s_exec(db, "COMMIT") != SQLITE_OK)
        goto out_fail;
    return 0;
out_fail:
    s_fail(diag, self, "cannot record this start");
    sqlite3_finalize(q);
    s_exec(db, "ROLLBACK");
    return CQ_EIO;
}

cq_journal_t *
cq_journal_open(const char *dir, uint32_t shards, cq_diag_t *diag)
{
    cq_journal_t *self = cq_xcalloc(1, sizeof *self);
    size_t n = strlen(dir) + sizeof "/journal.db";
    self->path = cq_xmalloc(n);
    snprintf(self->path, n, "%s/journal.db", dir);
    cq_buf_init(&self->bytes, SIZE_MAX / 2);
    struct stat st;
    if (stat(dir, &st) != 0) {
        if (errno != ENOENT || mkdir(dir, 0700) != 0) {
            cq_diag_set(diag, CQ_EIO, 0, "%s: cannot create the journal "
                        "directory: %s", dir, strerror(errno));
            goto out_destroy;
        }
    } else if (!S_ISDIR(st.st_mode)) {
        cq_diag_set(diag, CQ_EINVAL, 0, "%s: not a directory", dir);
        goto out_destroy;
    }
    //  the journal holds patient data: only its owner reads it
    int fd = open(self->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        cq_diag_set(diag, CQ_EIO, 0, "%s: %s", self->path, strerror(errno));
        goto out_destroy;
    }
    close(fd);
    if (sqlite3_open_v2(self->path, &self->db, SQLITE_OPEN_READWRITE,
                        NULL) != SQLITE_OK) {
        s_fail(diag, self, "cannot open the journal");
        goto out_destroy;
    }
    sqlite3_extended_result_codes(self->db, 1);
    sqlite3_busy_timeout(self->db, S_BUSY_MS);
    sqlite3_stmt *q = NULL;
    const char *mode = NULL;
    if (sqlite3_prepare_v2(self->db, "PRAGMA journal_mode=WAL", -1, &q,
                           NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW)
        mode = (const char *)sqlite3_column_text(q, 0);
    if (mode == NULL || strcmp(mode, "wal") != 0) {
        if (mode == NULL)
            s_fail(diag, self, "not a usable journal");
        else
            cq_diag_set(diag, CQ_EIO, 0,
                        "%s: cannot switch the journal to WAL mode (%s)",
                        self->path, mode);
        sqlite3_finalize(q);
        goto out_destroy;
    }
    sqlite3_finalize(q);
    //  FULL: a receipt follows an fsync of the WAL
    if (s_exec(self->db, "PRAGMA synchronous=FULL") != SQLITE_OK ||
        s_exec(self->db, "PRAGMA cache_size=-65536") != SQLITE_OK) {
        s_fail(diag, self, "cannot configure the journal");
        goto out_destroy;
    }
    if (s_migrate(self, diag) != 0 || s_start(self, shards, diag) != 0)
        goto out_destroy;
    for (int k = 0; k < R_KINDS; k++)
        if (sqlite3_prepare_v3(self->db, s_insert[k], -1,
                               SQLITE_PREPARE_PERSISTENT, &self->ins[k],
                               NULL) != SQLITE_OK) {
            s_fail(diag, self, "cannot prepare the journal's statements");
            goto out_destroy;
        }
    return self;
out_destroy:
    cq_journal_close(&self);
    return NULL;
}

void
cq_journal_close(cq_journal_t **self_p)
{
    assert(self_p);
    cq_journal_t *self = *self_p;
    if (self == NULL)
        return;
    if (self->n_recs > 0)
        cq_log_warn(NULL, "journal closed with %zu records not committed",
                    self->n_recs);
    for (int k = 0; k < R_KINDS; k++)
        sqlite3_finalize(self->ins[k]);
    sqlite3_close(self->db);
    free(self->recs);
    cq_buf_free(&self->bytes);
    free(self->path);
    free(self);
    *self_p = NULL;
}

const char *
cq_journal_path(const cq_journal_t *self)
{
    return self->path;
}

uint64_t
cq_journal_epoch(const cq_journal_t *self)
{
    return self->epoch;
}

uint32_t
cq_journal_shards(const cq_journal_t *self)
{
    return self->shards;
}

uint64_t
cq_journal_last_commit_us(const cq_journal_t *self)
{
    return self->last_commit_us;
}

size_t
cq_journal_pending(const cq_journal_t *self)
{
    return self->n_recs;
}

//  ---- records -------------------------------------------------------------

static s_rec_t *
s_rec(cq_journal_t *self, int type)
{
    if (self->n_recs == self->cap_recs) {
        self->cap_recs = self->cap_recs ? self->cap_recs * 2 : 1024;
        self->recs =
            cq_xrealloc(self->recs, self->cap_recs * sizeof *self->recs);
    }
    s_rec_t *r = &self->recs[self->n_recs++];
    memset(r, 0, sizeof *r);
    r->type = (uint8_t)type;
    for (int i = 0; i < 3; i++)
        r->s[i] = S_NO_STR;
    r->b = S_NO_STR;
    return r;
}

static size_t
s_bytes(cq_journal_t *self, const void *p, size_t n)
{
    size_t at = self->bytes.len;
    //  the cap is SIZE_MAX / 2: a failure here is memory exhausted
    if (n > 0 && cq_buf_add(&self->bytes, p, n) != 0)
        abort();
    return at;
}

static void
s_str(cq_journal_t *self, s_rec_t *r, int i, const char *s)
{
    if (s == NULL)
        return;
    r->sl[i] = strlen(s);
    r->s[i] = s_bytes(self, s, r->sl[i]);
}

static void
s_blob(cq_journal_t *self, s_rec_t *r, const void *p, size_t n)
{
    r->bl = n;
    r->b = s_bytes(self, p, n);
}

void
cq_journal_batch(cq_journal_t *self, uint32_t id, const char *batch_id,
                 int64_t created_ms)
{
    s_rec_t *r = s_rec(self, R_BATCH);
    r->v[0] = id;
    r->v[1] = created_ms;
    s_str(self, r, 0, batch_id);
}

void
cq_journal_doc(cq_journal_t *self, uint32_t id, uint32_t batch, uint32_t pos,
               const char *name, uint32_t first_record, int32_t received_date,
               int64_t received_ms, const uint8_t digest[32], const void *data,
               size_t len)
{
    s_rec_t *r = s_rec(self, R_DOC);
    r->v[0] = id;
    r->v[1] = batch;
    r->v[2] = pos;
    r->v[3] = first_record;
    r->v[4] = received_date;
    r->v[5] = received_ms;
    s_str(self, r, 0, name);
    r->sl[1] = 32;
    r->s[1] = s_bytes(self, digest, 32); // bound as a blob
    s_blob(self, r, data, len);
}

void
cq_journal_intake(cq_journal_t *self, uint32_t doc, uint64_t seq,
                  int32_t status, const char *message, uint32_t n_claims)
{
    s_rec_t *r = s_rec(self, R_INTAKE);
    r->v[0] = doc;
    r->v[1] = status;
    r->v[2] = n_claims;
    r->v[3] = (int64_t)seq;
    s_str(self, r, 0, message);
}

void
cq_journal_claim(cq_journal_t *self, uint32_t id, const char *key,
                 uint32_t shard, uint32_t batch, uint32_t doc, uint32_t idx,
                 const void *body, size_t len)
{
    s_rec_t *r = s_rec(self, R_CLAIM);
    r->v[0] = id;
    r->v[1] = shard;
    r->v[2] = batch;
    r->v[3] = doc;
    r->v[4] = idx;
    s_str(self, r, 0, key);
    s_blob(self, r, body, len);
}

void
cq_journal_ref(cq_journal_t *self, uint32_t doc, uint32_t idx, uint32_t claim)
{
    s_rec_t *r = s_rec(self, R_REF);
    r->v[0] = doc;
    r->v[1] = idx;
    r->v[2] = claim;
}

void
cq_journal_decision(cq_journal_t *self, uint32_t claim, uint64_t seq,
                    const char *node, const char *ledger_id,
                    uint64_t ledger_seq, uint64_t lease, int outcome,
                    int64_t decided_ms, const void *body, size_t len)
{
    s_rec_t *r = s_rec(self, R_DECISION);
    r->v[0] = claim;
    r->v[5] = (int64_t)seq;
    r->v[1] = (int64_t)ledger_seq;
    r->v[2] = (int64_t)lease;
    r->v[3] = outcome;
    r->v[4] = decided_ms;
    s_str(self, r, 0, node);
    s_str(self, r, 1, ledger_id ? ledger_id : "");
    s_blob(self, r, body, len);
}

void
cq_journal_event(cq_journal_t *self, const char *kind, uint32_t target,
                 const char *node, uint32_t attempts, const char *detail,
                 int64_t at_ms)
{
    s_rec_t *r = s_rec(self, R_EVENT);
    r->v[0] = target;
    r->v[1] = attempts;
    r->v[2] = at_ms;
    s_str(self, r, 0, kind);
    s_str(self, r, 1, node);
    s_str(self, r, 2, detail);
}

//  ---- commit --------------------------------------------------------------

//  Binds record r to its statement: ?1..?6 the integers, ?7..?9 the
//  strings, ?10 the blob (a document's digest is bound as a blob at ?8).
static void
s_bind(cq_journal_t *self, sqlite3_stmt *q, const s_rec_t *r)
{
    const char *base = self->bytes.data;
    int np = sqlite3_bind_parameter_count(q);
    for (int i = 0; i < 6; i++)
        if (i + 1 <= np)
            sqlite3_bind_int64(q, i + 1, r->v[i]);
    for (int i = 0; i < 3; i++) {
        if (i + 7 > np)
            break;
        if (r->s[i] == S_NO_STR)
            sqlite3_bind_null(q, i + 7);
        else if (r->type == R_DOC && i == 1)
            sqlite3_bind_blob(q, i + 7, base + r->s[i], (int)r->sl[i],
                              SQLITE_STATIC);
        else
            sqlite3_bind_text(q, i + 7, base + r->s[i], (int)r->sl[i],
                              SQLITE_STATIC);
    }
    if (np >= 10) {
        if (r->b == S_NO_STR)
            sqlite3_bind_zeroblob(q, 10, 0);
        else
            sqlite3_bind_blob64(q, 10, base + r->b, r->bl, SQLITE_STATIC);
    }
}

static uint64_t
s_usecs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int
cq_journal_commit(cq_journal_t *self, cq_diag_t *diag)
{
    if (self->n_recs == 0)
        return 0;
    uint64_t t0 = s_usecs();
    int rc = s_exec(self->db, "BEGIN IMMEDIATE");
    if (rc != SQLITE_OK)
        goto out_fail;
    for (size_t i = 0; i < self->n_recs; i++) {
        const s_rec_t *r = &self->recs[i];
        sqlite3_stmt *q = self->ins[r->type];
        s_bind(self, q, r);
        rc = sqlite3_step(q);
        sqlite3_reset(q);
        if (rc != SQLITE_DONE)
            goto out_fail;
    }
    rc = s_exec(self->db, "COMMIT");
    if (rc != SQLITE_OK)
        goto out_fail;
    self->n_recs = 0;
    cq_buf_reset(&self->bytes);
    if (self->bytes.cap > (64u << 20)) { // after a burst, give it back
        cq_buf_free(&self->bytes);
        cq_buf_init(&self->bytes, SIZE_MAX / 2);
    }
    self->last_commit_us = s_usecs() - t0;
    return 0;
out_fail:;
    int err = s_write_err(self->db, rc);
    cq_diag_set(diag, err, 0, "%s: %s", self->path,
                err == CQ_ENOSPC ? "journal full (no space left on its "
                                   "disk, or read-only)"
                                 : sqlite3_errmsg(self->db));
    if (!sqlite3_get_autocommit(self->db))
        s_exec(self->db, "ROLLBACK");
    return err;
}

//  ---- load ------------------------------------------------------------------

static const char *
s_text(sqlite3_stmt *q, int col)
{
    const char *s = (const char *)sqlite3_column_text(q, col);
    return s ? s : "";
}

static uint32_t
s_u32(sqlite3_stmt *q, int col)
{
    return (uint32_t)sqlite3_column_int64(q, col);
}

//  Prepares sql; on failure fills diag.
static sqlite3_stmt *
s_query(cq_journal_t *self, const char *sql, cq_diag_t *diag)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(self->db, sql, -1, &q, NULL) != SQLITE_OK) {
        s_fail(diag, self, "cannot read the journal");
        return NULL;
    }
    return q;
}

//  The end of a read loop: SQLITE_DONE is fine, anything else is an error.
static int
s_done(cq_journal_t *self, sqlite3_stmt *q, int step, int cb, const char *table,
       cq_diag_t *diag)
{
    sqlite3_finalize(q);
    if (cb != 0)
        return cb;
    if (step != SQLITE_DONE)
        return cq_diag_set(diag, (step & 0xff) == SQLITE_CORRUPT ? CQ_EPROTO
                                                                  : CQ_EIO,
                           0, "%s: cannot read %s: %s", self->path, table,
                           sqlite3_errmsg(self->db));
    return 0;
}

int
cq_journal_load(cq_journal_t *self, const cq_journal_loader_t *l, void *arg,
                cq_diag_t *diag)
{
    int step, cb = 0;
    //  documents whose intake is done: their bytes are not read
    uint8_t *done = NULL;
    size_t n_done = 0;
    sqlite3_stmt *q = s_query(self, "SELECT doc FROM intake", diag);
    if (q == NULL)
        return CQ_EIO;
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t d = sqlite3_column_int64(q, 0);
        if (d < 0 || d >= UINT32_MAX)
            continue;
        if ((size_t)d >= n_done) {
            size_t nn = n_done ? n_done : 1024;
            while (nn <= (size_t)d)
                nn *= 2;
            done = cq_xrealloc(done, nn);
            memset(done + n_done, 0, nn - n_done);
            n_done = nn;
        }
        done[d] = 1;
    }
    int rc = s_done(self, q, step, 0, "intake", diag);
    if (rc != 0)
        goto out;

    q = s_query(self, "SELECT id, batch_id, created_ms FROM batches ORDER BY id",
                diag);
    if (q == NULL)
        goto out_io;
    while (cb == 0 && (step = sqlite3_step(q)) == SQLITE_ROW)
        cb = l->batch(arg, s_u32(q, 0), s_text(q, 1),
                      sqlite3_column_int64(q, 2));
    if ((rc = s_done(self, q, step, cb, "batches", diag)) != 0)
        goto out;

    sqlite3_stmt *dq = s_query(self, "SELECT data FROM docs WHERE id = ?1", diag);
    q = s_query(self,
                "SELECT id, batch, pos, name, first_record, received_date, "
                "digest, length(data) FROM docs ORDER BY id",
                diag);
    if (q == NULL || dq == NULL) {
        sqlite3_finalize(q);
        sqlite3_finalize(dq);
        goto out_io;
    }
    while (cb == 0 && (step = sqlite3_step(q)) == SQLITE_ROW) {
        uint32_t id = s_u32(q, 0);
        const void *data = NULL;
        size_t len = 0, size = (size_t)sqlite3_column_int64(q, 7);
        bool is_done = id < n_done && done[id];
        if (!is_done) {
            sqlite3_bind_int64(dq, 1, id);
            if (sqlite3_step(dq) != SQLITE_ROW) {
                cb = cq_diag_set(diag, CQ_EIO, 0, "%s: document %u unreadable",
                                 self->path, id);
                sqlite3_reset(dq);
                break;
            }
            data = sqlite3_column_blob(dq, 0);
            len = (size_t)sqlite3_column_bytes(dq, 0);
            if (data == NULL)
                data = "";
        }
        if (sqlite3_column_bytes(q, 6) != 32) {
            cb = cq_diag_set(diag, CQ_EPROTO, 0, "%s: document %u: bad digest",
                             self->path, id);
        } else {
            cb = l->doc(arg, id, s_u32(q, 1), s_u32(q, 2), s_text(q, 3),
                        s_u32(q, 4), (int32_t)sqlite3_column_int64(q, 5),
                        sqlite3_column_blob(q, 6), data, len, size);
        }
        if (!is_done)
            sqlite3_reset(dq);
    }
    sqlite3_finalize(dq);
    if ((rc = s_done(self, q, step, cb, "docs", diag)) != 0)
        goto out;

    q = s_query(self,
                "SELECT doc, status, message, n_claims, seq FROM intake ORDER "
                "BY seq",
                diag);
    if (q == NULL)
        goto out_io;
    while (cb == 0 && (step = sqlite3_step(q)) == SQLITE_ROW)
        cb = l->intake(arg, s_u32(q, 0), (uint64_t)sqlite3_column_int64(q, 4),
                       (int32_t)sqlite3_column_int64(q, 1), s_text(q, 2),
                       s_u32(q, 3));
    if ((rc = s_done(self, q, step, cb, "intake", diag)) != 0)
        goto out;

    q = s_query(self,
                "SELECT id, claim_key, shard, batch, doc, idx, body, NULL "
                "FROM claims UNION ALL SELECT claim, claim_key, shard, -1, -1, "
                "-1, body, batch_id FROM archive ORDER BY 1",
                diag);
    if (q == NULL)
        goto out_io;
    while (cb == 0 && (step = sqlite3_step(q)) == SQLITE_ROW)
        cb = l->claim(arg, s_u32(q, 0), s_text(q, 1), s_u32(q, 2), s_u32(q, 3),
                      s_u32(q, 4), s_u32(q, 5), sqlite3_column_blob(q, 6),
                      (size_t)sqlite3_column_bytes(q, 6),
                      sqlite3_column_type(q, 7) == SQLITE_NULL
                          ? NULL
                          : s_text(q, 7));
    if ((rc = s_done(self, q, step, cb, "claims", diag)) != 0)
        goto out;

    q = s_query(self, "SELECT doc, idx, claim FROM refs ORDER BY doc, idx", diag);
    if (q == NULL)
        goto out_io;
    while (cb == 0 && (step = sqlite3_step(q)) == SQLITE_ROW)
        cb = l->ref(arg, s_u32(q, 0), s_u32(q, 1), s_u32(q, 2));
    if ((rc = s_done(self, q, step, cb, "refs", diag)) != 0)
        goto out;

    q = s_query(self,
                "SELECT claim, node, ledger_id, ledger_seq, outcome, body, seq "
                "FROM decisions UNION ALL SELECT claim, node, ledger_id, "
                "ledger_seq, outcome, decision, seq FROM archive ORDER BY 7",
                diag);
    if (q == NULL)
        goto out_io;
    while (cb == 0 && (step = sqlite3_step(q)) == SQLITE_ROW)
        cb = l->decision(arg, s_u32(q, 0), (uint64_t)sqlite3_column_int64(q, 6),
                         s_text(q, 1), s_text(q, 2),
                         (uint64_t)sqlite3_column_int64(q, 3),
                         (int)sqlite3_column_int64(q, 4),
                         sqlite3_column_blob(q, 5),
                         (size_t)sqlite3_column_bytes(q, 5));
    if ((rc = s_done(self, q, step, cb, "decisions", diag)) != 0)
        goto out;

    q = s_query(self,
                "SELECT kind, target, node, attempts, detail, at_ms FROM "
                "events ORDER BY rowid",
                diag);
    if (q == NULL)
        goto out_io;
    while (cb == 0 && (step = sqlite3_step(q)) == SQLITE_ROW)
        cb = l->event(arg, s_text(q, 0), s_u32(q, 1),
                      sqlite3_column_type(q, 2) == SQLITE_NULL ? NULL
                                                               : s_text(q, 2),
                      s_u32(q, 3),
                      sqlite3_column_type(q, 4) == SQLITE_NULL ? NULL
                                                               : s_text(q, 4),
                      sqlite3_column_int64(q, 5));
    rc = s_done(self, q, step, cb, "events", diag);
    goto out;
out_io:
    rc = CQ_EIO;
out:
    free(done);
    return rc;
}

int
cq_journal_compact(cq_journal_t *self, uint32_t batch, const char *batch_id,
                   const uint32_t *docs, size_t n_docs, const uint32_t *claims,
                   size_t n_claims, int64_t now_ms, cq_diag_t *diag)
{
    if (self->n_recs > 0)
        return CQ_EBUSY;
    static const char *const sql[] = {
        ("INSERT INTO archive (claim, seq, claim_key, shard, batch_id, body, "
         "node, ledger_id, ledger_seq, lease, outcome, decided_ms, decision) "
         "SELECT c.id, d.seq, c.claim_key, c.shard, ?2, c.body, d.node, "
         "d.ledger_id, d.ledger_seq, d.lease, d.outcome, d.decided_ms, d.body "
         "FROM claims AS c JOIN decisions AS d ON d.claim = c.id WHERE c.id = "
         "?1"),
        "DELETE FROM decisions WHERE claim = ?1",
        "DELETE FROM claims WHERE id = ?1",
        "DELETE FROM refs WHERE doc = ?1",
        "DELETE FROM intake WHERE doc = ?1",
        "DELETE FROM docs WHERE id = ?1",
        "DELETE FROM batches WHERE id = ?1",
        ("INSERT INTO compacted (batch, batch_id, claims, at_ms) VALUES "
         "(?1, ?2, ?3, ?4)"),
    };
    enum { N = sizeof sql / sizeof sql[0] };
    sqlite3_stmt *q[N] = {0};
    int rc = s_exec(self->db, "BEGIN IMMEDIATE");
    for (size_t i = 0; i < N && rc == SQLITE_OK; i++)
        rc = sqlite3_prepare_v2(self->db, sql[i], -1, &q[i], NULL);
    //  claims: archive, then out of the hot tables
    for (size_t c = 0; c < n_claims && rc == SQLITE_OK; c++)
        for (size_t i = 0; i < 3 && rc == SQLITE_OK; i++) {
            sqlite3_bind_int64(q[i], 1, claims[c]);
            if (i == 0)
                sqlite3_bind_text(q[i], 2, batch_id, -1, SQLITE_STATIC);
            rc = sqlite3_step(q[i]);
            rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
            if (i == 0 && rc == SQLITE_OK && sqlite3_changes(self->db) != 1)
                rc = SQLITE_CONSTRAINT; // a claim without its decision
            sqlite3_reset(q[i]);
        }
    for (size_t d = 0; d < n_docs && rc == SQLITE_OK; d++)
        for (size_t i = 3; i < 6 && rc == SQLITE_OK; i++) {
            sqlite3_bind_int64(q[i], 1, docs[d]);
            rc = sqlite3_step(q[i]);
            rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
            sqlite3_reset(q[i]);
        }
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(q[6], 1, batch);
        rc = sqlite3_step(q[6]);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(q[7], 1, batch);
        sqlite3_bind_text(q[7], 2, batch_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q[7], 3, (sqlite3_int64)n_claims);
        sqlite3_bind_int64(q[7], 4, now_ms);
        rc = sqlite3_step(q[7]);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    for (size_t i = 0; i < N; i++)
        sqlite3_finalize(q[i]);
    if (rc == SQLITE_OK)
        rc = s_exec(self->db, "COMMIT");
    if (rc == SQLITE_OK)
        return 0;
    int err = s_write_err(self->db, rc);
    cq_diag_set(diag, err, 0, "%s: compacting batch %s: %s", self->path,
                batch_id, sqlite3_errmsg(self->db));
    if (!sqlite3_get_autocommit(self->db))
        s_exec(self->db, "ROLLBACK");
    return err;
}

int
cq_journal_doc_data(cq_journal_t *self, uint32_t id, zmq_msg_t *out)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(self->db, "SELECT data FROM docs WHERE id = ?1", -1,
                           &q, NULL) != SQLITE_OK)
        return CQ_EIO;
    sqlite3_bind_int64(q, 1, id);
    int rc = sqlite3_step(q);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(q);
        return rc == SQLITE_DONE ? CQ_ENOTFOUND : CQ_EIO;
    }
    size_t n = (size_t)sqlite3_column_bytes(q, 0);
    zmq_msg_init_size(out, n);
    if (n)
        memcpy(zmq_msg_data(out), sqlite3_column_blob(q, 0), n);
    sqlite3_finalize(q);
    return 0;
}

//  ---- the disk's fsync rate -------------------------------------------------

double
cq_journal_fsync_rate(const char *dir, int ms)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/.fsync-probe-%d", dir, (int)getpid());
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return CQ_EIO;
    char rec[400];
    memset(rec, 'x', sizeof rec);
    uint64_t t0 = s_usecs(), end = t0 + (uint64_t)ms * 1000u, t = t0;
    long n = 0;
    while (t < end) {
        if (write(fd, rec, sizeof rec) != (ssize_t)sizeof rec ||
            fdatasync(fd) != 0) {
            close(fd);
            unlink(path);
            return CQ_EIO;
        }
        n++;
        t = s_usecs();
    }
    close(fd);
    unlink(path);
    return t > t0 ? (double)n * 1e6 / (double)(t - t0) : 0;
}
