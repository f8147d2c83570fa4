//  journal.c: see journal.h. Guarantee 1 (no loss, docs/architecture.md) rests
//  on three rules kept here: a record is in the journal only after a
//  COMMIT returned SQLITE_OK with synchronous=FULL (the WAL fsynced); a
//  document row names bytes already fsynced in its segment; and a failed
//  commit loses nothing (the records stay buffered and are written again,
//  whole, by the next commit).
//
//  Cost is what shaped it: on this kind of machine a row costs far more
//  than its bytes (schemas/journal/0001_init.sql), so a document's claims
//  are one row and a worker's RESULT one row; documents, the bulk of the
//  bytes, are appended to a plain file once instead of being written to
//  the WAL and copied again into the database at each checkpoint; and the
//  loop never waits for the disk (the writer thread).
#include "journal.h"
#include "log.h"
#include "mem.h"
#include "migrations.h"
#include "proto.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define S_BUSY_MS 5000
#define S_SEG_MAX (64u << 20) // a new segment file past this many bytes

enum { R_BATCH, R_DOC, R_INTAKE, R_RESULT, R_EVENT, R_ACK, R_RELEASE, R_KINDS };

//  One buffered record: integers, up to three strings and one blob, the
//  bytes in its buffer's bytes (offsets: the buffer moves as it grows).
#define S_NO_STR SIZE_MAX
typedef struct {
    uint8_t type;
    int64_t v[10];
    size_t s[3], sl[3]; // string offsets / lengths (S_NO_STR: NULL)
    size_t b, bl;       // blob offset / length
} s_rec_t;

static const char *const s_insert[R_KINDS] = {
    [R_BATCH] = "INSERT INTO batches (id, batch_id, created_ms, tenants) "
                "VALUES (?, ?, ?, ?)",
    [R_DOC] = "INSERT INTO docs (id, batch, pos, name, first_record, "
              "received_date, received_ms, digest, seg, off, len, "
              "received_set) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    [R_INTAKE] = "INSERT OR REPLACE INTO intake (doc, seq, status, message, "
                 "n_claims, seg, off, len, refused_sets, refused_claims) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    [R_ACK] = "INSERT OR REPLACE INTO acks (doc, seg, off, len) VALUES (?, ?, "
              "?, ?)",
    [R_RESULT] = "INSERT INTO results (id, node, ledger_id, lease, "
                 "decided_ms, seg, off, len) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    [R_EVENT] = "INSERT INTO events (kind, target, node, attempts, detail, "
                "at_ms) VALUES (?, ?, ?, ?, ?, ?)",
    [R_RELEASE] = "INSERT INTO releases (claim, pend_seq, claim_key, shard, "
                  "reviewer, action, released_ms, body) VALUES (?, ?, ?, ?, "
                  "?, ?, ?, ?)",
};

//  Records in order, and their bytes. A document's bytes are not copied:
//  its record holds a reference to them (msgs[r->b], sharing the bytes
//  the broker received).
typedef struct {
    s_rec_t *recs;
    size_t n, cap;
    cq_buf_t bytes;
    zmq_msg_t *msgs; // documents' bytes
    size_t n_msgs, cap_msgs;
} s_recbuf_t;

struct cq_journal {
    sqlite3 *db;
    char *dir;
    char *path;
    bool readonly;
    uint64_t epoch;
    uint32_t shards;
    sqlite3_stmt *ins[R_KINDS];
    s_recbuf_t fill;    // the loop adds records here
    s_recbuf_t work;    // the writer commits these (or a failed commit
                        // keeps them, to be written again)
    uint64_t fill_seq;  // records ever added
    uint64_t work_seq;  // fill_seq when work was last handed over
    uint64_t committed; // records ever committed (under mu)
    uint64_t last_commit_us;
    cq_hist_t commit_hist; // every commit's latency (metrics)
    //  a group being built (intake entries, result items)
    cq_mpw_t group;
    size_t group_at;  // its array's offset
    uint32_t group_n; // its items
    size_t group_rec; // its record in fill
    //  documents' bytes: the current segment (the writer's)
    uint32_t seg;       // its number
    int seg_fd;         // open for writing, or -1
    uint64_t seg_size;  // bytes in it
    uint32_t *seg_live; // documents each segment holds (by number)
    size_t n_seg_live;
    //  the writer thread (started by cq_journal_start)
    pthread_t thread;
    bool started, quit;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool busy;          // the writer owns work
    int last_rc;        // of the last commit (0 ok)
    char last_why[256]; // its message
    int efd;            // eventfd: the writer finished a commit
    //  replication (peer.c): what is handed to the writer goes to the tap
    cq_journal_tap_fn *tap;
    void *tap_arg;
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
s_errno_err(int sys)
{
    if (sys == ENOSPC || sys == EROFS || sys == EDQUOT || sys == EPERM ||
        sys == EACCES)
        return CQ_ENOSPC;
    return CQ_EIO;
}

static int
s_write_err(sqlite3 *db, int rc)
{
    int sys = sqlite3_system_errno(db);
    int prim = rc & 0xff;
    if (prim == SQLITE_FULL || prim == SQLITE_READONLY)
        return CQ_ENOSPC;
    if (prim == SQLITE_BUSY || prim == SQLITE_LOCKED)
        return CQ_EBUSY;
    return s_errno_err(sys);
}

static void
s_now_iso(char *out, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static uint64_t
s_usecs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

//  ---- record buffers --------------------------------------------------------

static void
s_recbuf_init(s_recbuf_t *b)
{
    memset(b, 0, sizeof *b);
    cq_buf_init(&b->bytes, SIZE_MAX / 2);
}

static void
s_recbuf_msgs_close(s_recbuf_t *b)
{
    for (size_t i = 0; i < b->n_msgs; i++)
        zmq_msg_close(&b->msgs[i]);
    b->n_msgs = 0;
}

static void
s_recbuf_free(s_recbuf_t *b)
{
    s_recbuf_msgs_close(b);
    free(b->recs);
    free(b->msgs);
    cq_buf_free(&b->bytes);
    memset(b, 0, sizeof *b);
}

//  A new slot for a document's bytes; returns its index.
static size_t
s_recbuf_msg(s_recbuf_t *b)
{
    if (b->n_msgs == b->cap_msgs) {
        b->cap_msgs = b->cap_msgs ? b->cap_msgs * 2 : 256;
        b->msgs = cq_xrealloc(b->msgs, b->cap_msgs * sizeof *b->msgs);
    }
    zmq_msg_init(&b->msgs[b->n_msgs]);
    return b->n_msgs++;
}

static void
s_recbuf_clear(s_recbuf_t *b)
{
    s_recbuf_msgs_close(b);
    b->n = 0;
    cq_buf_reset(&b->bytes);
    if (b->bytes.cap > (64u << 20)) { // after a burst, give it back
        cq_buf_free(&b->bytes);
        cq_buf_init(&b->bytes, SIZE_MAX / 2);
    }
}

//  Appends src's records (and bytes) to dst; src is cleared.
static void
s_recbuf_append(s_recbuf_t *dst, s_recbuf_t *src)
{
    size_t base = dst->bytes.len;
    if (src->bytes.len > 0 &&
        cq_buf_add(&dst->bytes, src->bytes.data, src->bytes.len) != 0)
        abort();
    if (dst->n + src->n > dst->cap) {
        dst->cap = dst->n + src->n;
        dst->recs = cq_xrealloc(dst->recs, dst->cap * sizeof *dst->recs);
    }
    size_t msg_base = dst->n_msgs;
    for (size_t i = 0; i < src->n_msgs; i++) {
        size_t k = s_recbuf_msg(dst); // (may move dst->msgs)
        zmq_msg_move(&dst->msgs[k], &src->msgs[i]);
    }
    for (size_t i = 0; i < src->n; i++) {
        s_rec_t r = src->recs[i];
        for (int k = 0; k < 3; k++)
            if (r.s[k] != S_NO_STR)
                r.s[k] += base;
        if (r.b != S_NO_STR)
            r.b += r.type == R_DOC ? msg_base : base;
        dst->recs[dst->n++] = r;
    }
    s_recbuf_clear(src);
}

//  ---- segments: the documents' bytes -----------------------------------

static void
s_seg_path(const cq_journal_t *self, uint32_t seg, char *out, size_t n)
{
    snprintf(out, n, "%s/docs-%06u.seg", self->dir, seg);
}

//  fsyncs the journal's directory (a segment file was created or removed).
static int
s_dir_sync(const cq_journal_t *self)
{
    int fd = open(self->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return CQ_EIO;
    int rc = fsync(fd) == 0 ? 0 : s_errno_err(errno);
    close(fd);
    return rc;
}

//  Opens segment seg for appending at size (created when absent; bytes
//  past size, left by a commit that failed, are cut off).
static int
s_seg_open(cq_journal_t *self, uint32_t seg, uint64_t size)
{
    if (self->seg_fd >= 0)
        close(self->seg_fd);
    char path[4200];
    s_seg_path(self, seg, path, sizeof path);
    struct stat st;
    bool existed = stat(path, &st) == 0;
    self->seg_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (self->seg_fd < 0)
        return s_errno_err(errno);
    if (existed && (uint64_t)st.st_size > size &&
        ftruncate(self->seg_fd, (off_t)size) != 0)
        return s_errno_err(errno);
    self->seg = seg;
    self->seg_size = size;
    return existed ? 0 : s_dir_sync(self);
}

static void
s_seg_live(cq_journal_t *self, uint32_t seg, int delta)
{
    if (seg >= self->n_seg_live) {
        size_t n = self->n_seg_live ? self->n_seg_live : 16;
        while (n <= seg)
            n *= 2;
        self->seg_live =
            cq_xrealloc(self->seg_live, n * sizeof *self->seg_live);
        memset(self->seg_live + self->n_seg_live, 0,
               (n - self->n_seg_live) * sizeof *self->seg_live);
        self->n_seg_live = n;
    }
    if (delta < 0 && self->seg_live[seg] > 0)
        self->seg_live[seg]--;
    else if (delta > 0)
        self->seg_live[seg]++;
}

//  At open: the current segment is the newest the rows name (its bytes
//  past the last they name are cut off); newer files, left by a commit that
//  rotated and then failed, are removed.
static int
s_segs_init(cq_journal_t *self, cq_diag_t *diag)
{
    sqlite3_stmt *q = NULL;
    uint32_t cur = 1;
    uint64_t end = 0;
    if (sqlite3_prepare_v2(self->db,
                           "SELECT seg, count(*), max(off + len) FROM (SELECT "
                           "seg, off, len FROM docs UNION ALL SELECT seg, off, "
                           "len FROM intake UNION ALL SELECT seg, off, len "
                           "FROM results UNION ALL SELECT seg, off, len FROM "
                           "acks) GROUP BY seg ORDER BY seg",
                           -1, &q, NULL) != SQLITE_OK)
        return s_fail(diag, self, "cannot read the journal's rows");
    while (sqlite3_step(q) == SQLITE_ROW) {
        uint32_t seg = (uint32_t)sqlite3_column_int64(q, 0);
        s_seg_live(self, seg, 0);
        self->seg_live[seg] = (uint32_t)sqlite3_column_int64(q, 1);
        cur = seg;
        end = (uint64_t)sqlite3_column_int64(q, 2);
    }
    sqlite3_finalize(q);
    DIR *dir = opendir(self->dir);
    struct dirent *e;
    while (dir && (e = readdir(dir)) != NULL) {
        unsigned n;
        char tail;
        if (sscanf(e->d_name, "docs-%u.se%c", &n, &tail) == 2 && n > cur) {
            char path[4200];
            s_seg_path(self, n, path, sizeof path);
            unlink(path);
        }
    }
    if (dir)
        closedir(dir);
    int rc = s_seg_open(self, cur, end);
    if (rc != 0)
        return cq_diag_set(diag, rc, 0, "%s: cannot open segment %u: %s",
                           self->dir, cur, strerror(errno));
    return 0;
}

//  Bytes at off in b's byte buffer; "" for none (the buffer may hold no
//  bytes at all, its data NULL).
static const char *
s_at(const s_recbuf_t *b, size_t off, size_t len)
{
    return len > 0 ? b->bytes.data + off : "";
}

//  True for records whose blob goes to a segment (and where it is).
static bool
s_seg_blob(const s_recbuf_t *b, const s_rec_t *r, const char **p)
{
    if (r->type == R_DOC)
        *p = zmq_msg_data(&b->msgs[r->b]);
    else if (r->type == R_INTAKE || r->type == R_RESULT || r->type == R_ACK)
        *p = s_at(b, r->b, r->bl);
    else
        return false;
    return true;
}

//  Appends the bulk bytes of b (documents, entries, items) to the current
//  segment (a new one when it is full), setting each record's seg and off,
//  and fsyncs what it wrote. On failure the segments are as they were.
static int
s_segs_write(cq_journal_t *self, s_recbuf_t *b)
{
    uint32_t seg0 = self->seg;
    uint64_t size0 = self->seg_size;
    bool wrote = false;
    int rc = 0;
    for (size_t i = 0; i < b->n && rc == 0; i++) {
        s_rec_t *r = &b->recs[i];
        const char *p;
        if (!s_seg_blob(b, r, &p))
            continue;
        if (self->seg_size > 0 && self->seg_size + r->bl > S_SEG_MAX) {
            if (fdatasync(self->seg_fd) != 0) {
                rc = s_errno_err(errno);
                break;
            }
            rc = s_seg_open(self, self->seg + 1, 0);
            if (rc != 0)
                break;
        }
        size_t left = r->bl;
        uint64_t at = self->seg_size;
        while (left > 0) {
            ssize_t k = pwrite(self->seg_fd, p, left, (off_t)at);
            if (k <= 0) {
                rc = s_errno_err(k < 0 ? errno : ENOSPC);
                break;
            }
            p += k;
            left -= (size_t)k;
            at += (uint64_t)k;
        }
        if (rc != 0)
            break;
        r->v[6] = self->seg;
        r->v[7] = (int64_t)self->seg_size;
        self->seg_size = at;
        wrote = true;
    }
    if (rc == 0 && wrote && fdatasync(self->seg_fd) != 0)
        rc = s_errno_err(errno);
    if (rc != 0) {
        //  back to what the journal's rows name: new files go, the old
        //  one is cut back (the space may be what the disk lacks)
        for (uint32_t s = self->seg; s > seg0; s--) {
            char path[4200];
            s_seg_path(self, s, path, sizeof path);
            unlink(path);
        }
        s_seg_open(self, seg0, size0);
    }
    return rc;
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
        if (sqlite3_prepare_v2(db,
                               "INSERT INTO schema_version VALUES (?, ?, ?)",
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
    int rc = sqlite3_prepare_v2(
        db, "SELECT value FROM meta WHERE key = 'shards'", -1, &q, NULL);
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

static cq_journal_t *
s_new(const char *dir, const char *path)
{
    cq_journal_t *self = cq_xcalloc(1, sizeof *self);
    self->dir = cq_xstrdup(dir);
    self->path = cq_xstrdup(path);
    s_recbuf_init(&self->fill);
    s_recbuf_init(&self->work);
    cq_mpw_init(&self->group);
    self->efd = -1;
    self->seg_fd = -1;
    return self;
}

cq_journal_t *
cq_journal_open(const char *dir, uint32_t shards, cq_diag_t *diag)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/journal.db", dir);
    cq_journal_t *self = s_new(dir, path);
    struct stat st;
    if (stat(dir, &st) != 0) {
        if (errno != ENOENT || mkdir(dir, 0700) != 0) {
            cq_diag_set(diag, CQ_EIO, 0,
                        "%s: cannot create the journal directory: %s", dir,
                        strerror(errno));
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
    if (sqlite3_open_v2(self->path, &self->db, SQLITE_OPEN_READWRITE, NULL) !=
        SQLITE_OK) {
        s_fail(diag, self, "cannot open the journal");
        goto out_destroy;
    }
    sqlite3_extended_result_codes(self->db, 1);
    sqlite3_busy_timeout(self->db, S_BUSY_MS);
    //  bigger pages than the default 4 KiB: fewer to write per group (the
    //  WAL writes each page it touches); takes effect on a new file only
    s_exec(self->db, "PRAGMA page_size=16384");
    sqlite3_stmt *q = NULL;
    const char *mode = NULL;
    if (sqlite3_prepare_v2(self->db, "PRAGMA journal_mode=WAL", -1, &q, NULL) ==
            SQLITE_OK &&
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
    if (s_migrate(self, diag) != 0 || s_start(self, shards, diag) != 0 ||
        s_segs_init(self, diag) != 0)
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

cq_journal_t *
cq_journal_open_readonly(const char *path, cq_diag_t *diag)
{
    char dir[4200], file[4200];
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(dir, sizeof dir, "%s", path);
        snprintf(file, sizeof file, "%s/journal.db", path);
    } else {
        snprintf(file, sizeof file, "%s", path);
        snprintf(dir, sizeof dir, "%s", path);
        char *slash = strrchr(dir, '/');
        if (slash)
            *slash = '\0';
        else
            snprintf(dir, sizeof dir, ".");
    }
    cq_journal_t *self = s_new(dir, file);
    self->readonly = true;
    sqlite3_stmt *q = NULL;
    if (stat(file, &st) != 0) {
        cq_diag_set(diag, CQ_EIO, 0, "%s: %s", file, strerror(errno));
        goto out_destroy;
    }
    if (sqlite3_open_v2(file, &self->db, SQLITE_OPEN_READONLY, NULL) !=
        SQLITE_OK) {
        s_fail(diag, self, "cannot open the journal");
        goto out_destroy;
    }
    sqlite3_busy_timeout(self->db, S_BUSY_MS);
    if (sqlite3_prepare_v2(self->db,
                           "SELECT count(*) FROM meta WHERE key = "
                           "'journal_id'",
                           -1, &q, NULL) != SQLITE_OK ||
        sqlite3_step(q) != SQLITE_ROW || sqlite3_column_int(q, 0) != 1) {
        cq_diag_set(diag, CQ_EPROTO, 0, "%s: not a claimq journal", file);
        goto out_destroy;
    }
    sqlite3_finalize(q);
    q = NULL;
    int newest = 0;
    for (const cq_migration_t *m = cq_journal_migrations; m->sql; m++)
        newest = m->version;
    if (sqlite3_prepare_v2(self->db, "SELECT max(version) FROM schema_version",
                           -1, &q, NULL) != SQLITE_OK ||
        sqlite3_step(q) != SQLITE_ROW) {
        s_fail(diag, self, "not a journal");
        goto out_destroy;
    }
    int have = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    q = NULL;
    if (have != newest) {
        cq_diag_set(diag, CQ_EUNSUPPORTED, 0,
                    "%s: journal schema version %d, this program's is %d%s",
                    file, have, newest,
                    have < newest ? " (start its broker once to migrate it)"
                                  : "");
        goto out_destroy;
    }
    if (sqlite3_prepare_v2(self->db,
                           "SELECT value FROM meta WHERE key = 'shards'", -1,
                           &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW)
        self->shards = (uint32_t)strtoul(
            (const char *)sqlite3_column_text(q, 0), NULL, 10);
    sqlite3_finalize(q);
    return self;
out_destroy:
    sqlite3_finalize(q);
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
    if (self->started) {
        pthread_mutex_lock(&self->mu);
        self->quit = true;
        pthread_cond_signal(&self->cv);
        pthread_mutex_unlock(&self->mu);
        pthread_join(self->thread, NULL);
        pthread_mutex_destroy(&self->mu);
        pthread_cond_destroy(&self->cv);
        close(self->efd);
    }
    if (self->fill.n + self->work.n > 0)
        cq_log_warn(NULL, "journal closed with %zu records not committed",
                    self->fill.n + self->work.n);
    for (int k = 0; k < R_KINDS; k++)
        sqlite3_finalize(self->ins[k]);
    sqlite3_close(self->db);
    if (self->seg_fd >= 0)
        close(self->seg_fd);
    s_recbuf_free(&self->fill);
    s_recbuf_free(&self->work);
    cq_mpw_free(&self->group);
    free(self->seg_live);
    free(self->dir);
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

//  ---- records -------------------------------------------------------------

static s_rec_t *
s_rec(cq_journal_t *self, int type)
{
    s_recbuf_t *f = &self->fill;
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 1024;
        f->recs = cq_xrealloc(f->recs, f->cap * sizeof *f->recs);
    }
    self->fill_seq++;
    s_rec_t *r = &f->recs[f->n++];
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
    size_t at = self->fill.bytes.len;
    //  the cap is SIZE_MAX / 2: a failure here is memory exhausted
    if (n > 0 && cq_buf_add(&self->fill.bytes, p, n) != 0)
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
                 int64_t created_ms, const char *tenants)
{
    s_rec_t *r = s_rec(self, R_BATCH);
    r->v[0] = id;
    r->v[1] = created_ms;
    s_str(self, r, 0, batch_id);
    s_str(self, r, 1, tenants);
}

void
cq_journal_doc_msg(cq_journal_t *self, uint32_t id, uint32_t batch,
                   uint32_t pos, const char *name, uint32_t first_record,
                   int32_t received_date, bool received_set,
                   int64_t received_ms, const uint8_t digest[32],
                   zmq_msg_t *data)
{
    s_rec_t *r = s_rec(self, R_DOC);
    r->v[8] = received_set;
    r->v[0] = id;
    r->v[1] = batch;
    r->v[2] = pos;
    r->v[3] = first_record;
    r->v[4] = received_date;
    r->v[5] = received_ms;
    s_str(self, r, 0, name);
    r->sl[1] = 32;
    r->s[1] = s_bytes(self, digest, 32); // bound as a blob
    //  to the segment, not the row; shared, not copied
    r->b = s_recbuf_msg(&self->fill);
    r->bl = zmq_msg_size(data);
    zmq_msg_copy(&self->fill.msgs[r->b], data);
}

void
cq_journal_doc(cq_journal_t *self, uint32_t id, uint32_t batch, uint32_t pos,
               const char *name, uint32_t first_record, int32_t received_date,
               int64_t received_ms, const uint8_t digest[32], const void *data,
               size_t len)
{
    zmq_msg_t m;
    zmq_msg_init_size(&m, len);
    if (len)
        memcpy(zmq_msg_data(&m), data, len);
    cq_journal_doc_msg(self, id, batch, pos, name, first_record, received_date,
                       false, received_ms, digest, &m);
    zmq_msg_close(&m);
}

static void
s_group_begin(cq_journal_t *self, size_t rec)
{
    cq_mpw_reset(&self->group);
    self->group_at = cq_mpw_array_open(&self->group);
    self->group_n = 0;
    self->group_rec = rec;
}

//  Ends the group: its bytes become its record's blob; a group of nothing
//  (drop) takes its record back.
static void
s_group_end(cq_journal_t *self, bool drop)
{
    assert(self->group_rec == self->fill.n - 1);
    if (drop) {
        self->fill.n--;
        self->fill_seq--;
        return;
    }
    cq_mpw_array_close(&self->group, self->group_at, self->group_n);
    s_blob(self, &self->fill.recs[self->group_rec], self->group.data,
           self->group.len);
}

void
cq_journal_intake_begin(cq_journal_t *self, uint32_t doc, uint64_t seq,
                        int32_t status, const char *message, uint32_t n_claims,
                        uint32_t refused_sets, uint32_t refused_claims)
{
    s_rec_t *r = s_rec(self, R_INTAKE);
    r->v[0] = doc;
    r->v[1] = (int64_t)seq;
    r->v[2] = status;
    r->v[3] = n_claims;
    r->v[4] = refused_sets;
    r->v[5] = refused_claims;
    s_str(self, r, 0, message);
    s_group_begin(self, self->fill.n - 1);
}

void
cq_journal_entry_claim(cq_journal_t *self, uint32_t cid, const char *key,
                       uint32_t shard, const void *body, size_t len)
{
    cq_mpw_t *w = &self->group;
    cq_mpw_array(w, 4);
    cq_mpw_uint(w, cid);
    cq_mpw_str(w, key);
    cq_mpw_uint(w, shard);
    cq_mpw_bin(w, body, len);
    self->group_n++;
}

void
cq_journal_entry_ref(cq_journal_t *self, uint32_t cid)
{
    cq_mpw_array(&self->group, 1);
    cq_mpw_uint(&self->group, cid);
    self->group_n++;
}

void
cq_journal_intake_end(cq_journal_t *self)
{
    s_group_end(self, false);
}

void
cq_journal_result_begin(cq_journal_t *self, uint32_t id, const char *node,
                        const char *ledger_id, uint64_t lease,
                        int64_t decided_ms)
{
    s_rec_t *r = s_rec(self, R_RESULT);
    r->v[0] = id;
    r->v[1] = (int64_t)lease;
    r->v[2] = decided_ms;
    s_str(self, r, 0, node);
    s_str(self, r, 1, ledger_id ? ledger_id : "");
    s_group_begin(self, self->fill.n - 1);
}

void
cq_journal_result_item(cq_journal_t *self, uint32_t cid, uint64_t seq,
                       uint64_t ledger_seq, int outcome, const void *body,
                       size_t len)
{
    cq_mpw_t *w = &self->group;
    cq_mpw_array(w, 5);
    cq_mpw_uint(w, cid);
    cq_mpw_uint(w, seq);
    cq_mpw_uint(w, ledger_seq);
    cq_mpw_uint(w, (uint64_t)outcome);
    cq_mpw_bin(w, body, len);
    self->group_n++;
}

void
cq_journal_result_end(cq_journal_t *self)
{
    s_group_end(self, self->group_n == 0);
}

void
cq_journal_ack(cq_journal_t *self, uint32_t doc, const void *ack, size_t len)
{
    s_rec_t *r = s_rec(self, R_ACK);
    r->v[0] = doc;
    s_blob(self, r, ack, len);
}

void
cq_journal_release(cq_journal_t *self, uint32_t claim, uint64_t pend_seq,
                   const char *key, uint32_t shard, const char *reviewer,
                   int action, int64_t at_ms, const void *body, size_t len)
{
    //  rare and small: the claim goes into the row, not a segment
    s_rec_t *r = s_rec(self, R_RELEASE);
    r->v[0] = claim;
    r->v[1] = (int64_t)pend_seq;
    r->v[2] = shard;
    r->v[3] = action;
    r->v[4] = at_ms;
    s_str(self, r, 0, key);
    s_str(self, r, 1, reviewer);
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

size_t
cq_journal_pending(const cq_journal_t *self)
{
    return self->fill.n + self->work.n;
}

uint64_t
cq_journal_recorded(const cq_journal_t *self)
{
    return self->fill_seq;
}

static void s_tap_fill(cq_journal_t *self);
static void s_tap_compact(cq_journal_t *self, uint32_t batch,
                          const char *batch_id, const uint32_t *docs,
                          size_t n_docs, const cq_journal_arch_t *claims,
                          size_t n_claims, int64_t now_ms);

//  ---- writing ---------------------------------------------------------------

static void
s_bind_str(const s_recbuf_t *b, sqlite3_stmt *q, int col, const s_rec_t *r,
           int i)
{
    if (r->s[i] == S_NO_STR)
        sqlite3_bind_null(q, col);
    else
        sqlite3_bind_text(q, col, s_at(b, r->s[i], r->sl[i]), (int)r->sl[i],
                          SQLITE_STATIC);
}

//  Where a record's blob went: seg, off, len at col, col+1, col+2.
static void
s_bind_place(sqlite3_stmt *q, int col, const s_rec_t *r)
{
    sqlite3_bind_int64(q, col, r->v[6]);
    sqlite3_bind_int64(q, col + 1, r->v[7]);
    sqlite3_bind_int64(q, col + 2, (int64_t)r->bl);
}

//  Binds record r to its statement (the columns of s_insert, in order).
static void
s_bind(const s_recbuf_t *b, sqlite3_stmt *q, const s_rec_t *r)
{
    switch (r->type) {
    case R_BATCH:
        sqlite3_bind_int64(q, 1, r->v[0]);
        s_bind_str(b, q, 2, r, 0);
        sqlite3_bind_int64(q, 3, r->v[1]);
        s_bind_str(b, q, 4, r, 1);
        break;
    case R_DOC:
        for (int i = 0; i < 3; i++)
            sqlite3_bind_int64(q, i + 1, r->v[i]); // id, batch, pos
        s_bind_str(b, q, 4, r, 0);
        for (int i = 3; i < 6; i++) // first_record, dates
            sqlite3_bind_int64(q, i + 2, r->v[i]);
        sqlite3_bind_blob(q, 8, b->bytes.data + r->s[1], 32, SQLITE_STATIC);
        s_bind_place(q, 9, r);
        sqlite3_bind_int64(q, 12, r->v[8]);
        break;
    case R_INTAKE:
        for (int i = 0; i < 3; i++) // doc, seq, status
            sqlite3_bind_int64(q, i + 1, r->v[i]);
        s_bind_str(b, q, 4, r, 0);
        sqlite3_bind_int64(q, 5, r->v[3]);
        s_bind_place(q, 6, r);
        sqlite3_bind_int64(q, 9, r->v[4]);
        sqlite3_bind_int64(q, 10, r->v[5]);
        break;
    case R_ACK:
        sqlite3_bind_int64(q, 1, r->v[0]);
        s_bind_place(q, 2, r);
        break;
    case R_RESULT:
        sqlite3_bind_int64(q, 1, r->v[0]);
        s_bind_str(b, q, 2, r, 0);
        s_bind_str(b, q, 3, r, 1);
        sqlite3_bind_int64(q, 4, r->v[1]);
        sqlite3_bind_int64(q, 5, r->v[2]);
        s_bind_place(q, 6, r);
        break;
    case R_EVENT:
        s_bind_str(b, q, 1, r, 0);
        sqlite3_bind_int64(q, 2, r->v[0]);
        s_bind_str(b, q, 3, r, 1);
        sqlite3_bind_int64(q, 4, r->v[1]);
        s_bind_str(b, q, 5, r, 2);
        sqlite3_bind_int64(q, 6, r->v[2]);
        break;
    case R_RELEASE:
        sqlite3_bind_int64(q, 1, r->v[0]);
        sqlite3_bind_int64(q, 2, r->v[1]);
        s_bind_str(b, q, 3, r, 0);
        sqlite3_bind_int64(q, 4, r->v[2]);
        s_bind_str(b, q, 5, r, 1);
        sqlite3_bind_int64(q, 6, r->v[3]);
        sqlite3_bind_int64(q, 7, r->v[4]);
        sqlite3_bind_blob(q, 8, s_at(b, r->b, r->bl), (int)r->bl,
                          SQLITE_STATIC);
        break;
    default:
        break;
    }
}

//  Writes b: the documents' bytes, then every row in one transaction (in
//  whichever thread owns b). Returns 0 or the error (why filled); b's
//  records are left as they were (but for the documents' places).
static int
s_write(cq_journal_t *self, s_recbuf_t *b, char *why, size_t why_len)
{
    uint64_t t0 = s_usecs();
    uint32_t seg0 = self->seg;
    uint64_t size0 = self->seg_size;
    int err = s_segs_write(self, b);
    if (err != 0) {
        snprintf(why, why_len, "%s: %s", self->dir,
                 err == CQ_ENOSPC ? "journal full (no space left on its "
                                    "disk, or read-only)"
                                  : "cannot write a document segment");
        return err;
    }
    int rc = s_exec(self->db, "BEGIN IMMEDIATE");
    if (rc != SQLITE_OK)
        goto out_fail;
    for (size_t i = 0; i < b->n; i++) {
        const s_rec_t *r = &b->recs[i];
        sqlite3_stmt *q = self->ins[r->type];
        s_bind(b, q, r);
        rc = sqlite3_step(q);
        sqlite3_reset(q);
        if (rc != SQLITE_DONE)
            goto out_fail;
    }
    rc = s_exec(self->db, "COMMIT");
    if (rc != SQLITE_OK)
        goto out_fail;
    for (size_t i = 0; i < b->n; i++) {
        const char *p;
        if (s_seg_blob(b, &b->recs[i], &p))
            s_seg_live(self, (uint32_t)b->recs[i].v[6], +1);
    }
    self->last_commit_us = s_usecs() - t0;
    cq_hist_observe_us(&self->commit_hist, self->last_commit_us);
    return 0;
out_fail:
    err = s_write_err(self->db, rc);
    snprintf(why, why_len, "%s: %s", self->path,
             err == CQ_ENOSPC ? "journal full (no space left on its disk, or "
                                "read-only)"
                              : sqlite3_errmsg(self->db));
    if (!sqlite3_get_autocommit(self->db))
        s_exec(self->db, "ROLLBACK");
    //  the documents' bytes of this attempt are named by nothing: cut
    for (uint32_t s = self->seg; s > seg0; s--) {
        char path[4200];
        s_seg_path(self, s, path, sizeof path);
        unlink(path);
    }
    s_seg_open(self, seg0, size0);
    return err;
}

//  The writer thread: commits work when handed some, then says so.
static void *
s_writer(void *arg)
{
    cq_journal_t *self = arg;
    pthread_mutex_lock(&self->mu);
    for (;;) {
        while (!self->busy && !self->quit)
            pthread_cond_wait(&self->cv, &self->mu);
        if (self->quit)
            break;
        pthread_mutex_unlock(&self->mu);
        char why[256] = "";
        int rc = s_write(self, &self->work, why, sizeof why);
        pthread_mutex_lock(&self->mu);
        self->last_rc = rc;
        if (rc == 0) {
            s_recbuf_clear(&self->work);
            self->committed = self->work_seq;
        } else {
            snprintf(self->last_why, sizeof self->last_why, "%s", why);
        }
        self->busy = false;
        uint64_t one = 1;
        if (write(self->efd, &one, sizeof one) != sizeof one) {
            //  (the loop also wakes on its timer)
        }
    }
    pthread_mutex_unlock(&self->mu);
    return NULL;
}

int
cq_journal_start(cq_journal_t *self)
{
    if (self->started)
        return 0;
    if (self->readonly)
        return CQ_EINVAL;
    self->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (self->efd < 0)
        return CQ_EIO;
    pthread_mutex_init(&self->mu, NULL);
    pthread_cond_init(&self->cv, NULL);
    if (pthread_create(&self->thread, NULL, s_writer, self) != 0) {
        close(self->efd);
        self->efd = -1;
        return CQ_EIO;
    }
    self->started = true;
    return 0;
}

int
cq_journal_fd(const cq_journal_t *self)
{
    return self->started ? self->efd : -1;
}

int
cq_journal_kick(cq_journal_t *self, bool retry, cq_diag_t *diag)
{
    assert(self->started);
    uint64_t n;
    if (read(self->efd, &n, sizeof n) < 0) {
        //  (nothing to read: EAGAIN)
    }
    pthread_mutex_lock(&self->mu);
    int rc = 0;
    if (!self->busy) {
        if (self->last_rc != 0 && !retry) {
            rc = self->last_rc;
            cq_diag_set(diag, rc, 0, "%s", self->last_why);
        } else {
            s_tap_fill(self);
            //  a failed commit keeps its records: new ones go after them
            if (self->work.n == 0) {
                s_recbuf_t t = self->work;
                self->work = self->fill;
                self->fill = t;
            } else {
                s_recbuf_append(&self->work, &self->fill);
            }
            self->work_seq = self->fill_seq;
            if (self->work.n > 0) {
                self->busy = true;
                pthread_cond_signal(&self->cv);
            }
        }
    }
    pthread_mutex_unlock(&self->mu);
    return rc;
}

int
cq_journal_status(cq_journal_t *self, uint64_t *committed, cq_diag_t *diag)
{
    if (!self->started) {
        *committed = self->committed;
        return self->last_rc;
    }
    pthread_mutex_lock(&self->mu);
    *committed = self->committed;
    int rc = self->last_rc; // (a retry in progress: still the failure)
    if (rc != 0)
        cq_diag_set(diag, rc, 0, "%s", self->last_why);
    pthread_mutex_unlock(&self->mu);
    return rc;
}

//  Waits until the writer holds nothing (the connection may then be used
//  by the loop's thread).
static void
s_idle(cq_journal_t *self)
{
    if (!self->started)
        return;
    for (;;) {
        pthread_mutex_lock(&self->mu);
        bool busy = self->busy;
        pthread_mutex_unlock(&self->mu);
        if (!busy)
            return;
        usleep(500);
    }
}

int
cq_journal_commit(cq_journal_t *self, cq_diag_t *diag)
{
    s_idle(self);
    if (self->started)
        pthread_mutex_lock(&self->mu);
    s_tap_fill(self);
    s_recbuf_append(&self->work, &self->fill);
    self->work_seq = self->fill_seq;
    char why[256] = "";
    int rc = self->work.n ? s_write(self, &self->work, why, sizeof why) : 0;
    if (rc == 0) {
        s_recbuf_clear(&self->work);
        self->committed = self->work_seq;
        self->last_rc = 0;
    } else {
        cq_diag_set(diag, rc, 0, "%s", why);
        self->last_rc = rc;
        snprintf(self->last_why, sizeof self->last_why, "%s", why);
    }
    if (self->started)
        pthread_mutex_unlock(&self->mu);
    return rc;
}

uint64_t
cq_journal_last_commit_us(const cq_journal_t *self)
{
    return self->last_commit_us;
}

const cq_hist_t *
cq_journal_commit_hist(const cq_journal_t *self)
{
    return &self->commit_hist;
}

//  ---- reading it back ------------------------------------------------------

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

typedef struct {
    cq_journal_t *j;
    const cq_journal_loader_t *l;
    void *arg;
    cq_diag_t *diag;
    sqlite3_stmt *ac; // archived claims, by id
    int ac_step;      // its last step
    sqlite3_stmt *ad; // archived decisions, by seq
    int ad_step;
    int seg_fd; // a segment open for reading, or -1
    uint32_t seg_no;
    void *buf; // a blob read from a segment
    size_t buf_cap;
} s_load_t;

static int
s_corrupt(s_load_t *x, const char *what, int64_t id)
{
    return cq_diag_set(x->diag, CQ_EPROTO, 0, "%s: %s %lld is not readable",
                       x->j->path, what, (long long)id);
}

static int
s_sql_err(s_load_t *x, const char *what)
{
    int rc = sqlite3_errcode(x->j->db) & 0xff;
    return cq_diag_set(
        x->diag,
        rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB ? CQ_EPROTO : CQ_EIO, 0,
        "%s: cannot read %s: %s", x->j->path, what, sqlite3_errmsg(x->j->db));
}

static sqlite3_stmt *
s_query(s_load_t *x, const char *sql)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(x->j->db, sql, -1, &q, NULL) != SQLITE_OK) {
        s_sql_err(x, "the journal");
        return NULL;
    }
    return q;
}

//  Reads a document's bytes from its segment into buf (len bytes).
static int
s_seg_read(s_load_t *x, uint32_t seg, uint64_t off, void *buf, size_t len)
{
    if (x->seg_fd < 0 || x->seg_no != seg) {
        if (x->seg_fd >= 0)
            close(x->seg_fd);
        char path[4200];
        s_seg_path(x->j, seg, path, sizeof path);
        x->seg_fd = open(path, O_RDONLY | O_CLOEXEC);
        x->seg_no = seg;
        if (x->seg_fd < 0)
            return cq_diag_set(x->diag, CQ_EIO, 0, "%s: %s", path,
                               strerror(errno));
    }
    size_t got = 0;
    while (got < len) {
        ssize_t k =
            pread(x->seg_fd, (char *)buf + got, len - got, (off_t)(off + got));
        if (k <= 0)
            return cq_diag_set(x->diag, CQ_EPROTO, 0,
                               "%s: segment %u ends before a document it "
                               "holds (%s)",
                               x->j->dir, seg,
                               k < 0 ? strerror(errno) : "truncated");
        got += (size_t)k;
    }
    return 0;
}

//  The blob of a row (columns seg, off, len from col), read from its
//  segment into x->buf.
static int
s_row_blob(s_load_t *x, sqlite3_stmt *q, int col, const char *what, int64_t id,
           size_t *len)
{
    int64_t n = sqlite3_column_int64(q, col + 2);
    if (n < 0 || (uint64_t)n > CQ_PROTO_MAX_FRAME * 2ull)
        return s_corrupt(x, what, id);
    if ((size_t)n + 1 > x->buf_cap) {
        x->buf_cap = (size_t)n + 1;
        x->buf = cq_xrealloc(x->buf, x->buf_cap);
    }
    *len = (size_t)n;
    return s_seg_read(x, s_u32(q, col),
                      (uint64_t)sqlite3_column_int64(q, col + 1), x->buf,
                      (size_t)n);
}

//  Archived claims with ids below limit (they come first, in id order).
static int
s_arch_claims(s_load_t *x, uint64_t limit)
{
    int cb = 0;
    while (cb == 0 && x->ac_step == SQLITE_ROW &&
           (uint64_t)sqlite3_column_int64(x->ac, 0) < limit) {
        if (x->l->claim)
            cb = x->l->claim(x->arg, s_u32(x->ac, 0), s_text(x->ac, 1),
                             s_u32(x->ac, 2), UINT32_MAX, UINT32_MAX,
                             UINT32_MAX, sqlite3_column_blob(x->ac, 3),
                             (size_t)sqlite3_column_bytes(x->ac, 3),
                             s_text(x->ac, 4));
        x->ac_step = sqlite3_step(x->ac);
    }
    if (cb == 0 && x->ac_step != SQLITE_ROW && x->ac_step != SQLITE_DONE)
        return s_sql_err(x, "archive");
    return cb;
}

//  Archived decisions with seq below limit.
static int
s_arch_decisions(s_load_t *x, uint64_t limit)
{
    int cb = 0;
    while (cb == 0 && x->ad_step == SQLITE_ROW &&
           (uint64_t)sqlite3_column_int64(x->ad, 1) < limit) {
        if (x->l->decision)
            cb = x->l->decision(x->arg, s_u32(x->ad, 0),
                                (uint64_t)sqlite3_column_int64(x->ad, 1),
                                UINT32_MAX, s_text(x->ad, 2), s_text(x->ad, 3),
                                (uint64_t)sqlite3_column_int64(x->ad, 4),
                                (int)sqlite3_column_int64(x->ad, 5),
                                sqlite3_column_blob(x->ad, 6),
                                (size_t)sqlite3_column_bytes(x->ad, 6));
        x->ad_step = sqlite3_step(x->ad);
    }
    if (cb == 0 && x->ad_step != SQLITE_ROW && x->ad_step != SQLITE_DONE)
        return s_sql_err(x, "archive");
    return cb;
}

static int
s_load_batches(s_load_t *x)
{
    sqlite3_stmt *q =
        s_query(x, "SELECT id, batch_id, created_ms, tenants FROM batches "
                   "ORDER BY id");
    if (q == NULL)
        return CQ_EIO;
    int step, cb = 0;
    while (cb == 0 && (step = sqlite3_step(q)) == SQLITE_ROW)
        if (x->l->batch)
            cb = x->l->batch(x->arg, s_u32(q, 0), s_text(q, 1),
                             sqlite3_column_int64(q, 2), s_text(q, 3));
    if (cb == 0 && step != SQLITE_DONE)
        cb = s_sql_err(x, "batches");
    sqlite3_finalize(q);
    return cb;
}

static int
s_load_docs(s_load_t *x)
{
    //  the bytes of documents not yet admitted (their intake is to do)
    sqlite3_stmt *q = s_query(
        x, "SELECT d.id, d.batch, d.pos, d.name, d.first_record, "
           "d.received_date, d.digest, d.seg, d.off, d.len, i.doc IS NULL, "
           "d.received_set FROM docs AS d LEFT JOIN intake AS i ON i.doc = "
           "d.id ORDER BY d.id");
    if (q == NULL)
        return CQ_EIO;
    int step, cb = 0;
    void *buf = NULL;
    while (cb == 0 && (step = sqlite3_step(q)) == SQLITE_ROW) {
        uint32_t id = s_u32(q, 0);
        int64_t len = sqlite3_column_int64(q, 9);
        if (sqlite3_column_bytes(q, 6) != 32 || len < 0 ||
            (uint64_t)len > (1ull << 32)) {
            cb = s_corrupt(x, "document", id);
            break;
        }
        const void *data = NULL;
        if (sqlite3_column_int(q, 10) && x->l->doc) {
            buf = cq_xrealloc(buf, (size_t)len + 1);
            cb =
                s_seg_read(x, s_u32(q, 7), (uint64_t)sqlite3_column_int64(q, 8),
                           buf, (size_t)len);
            if (cb != 0)
                break;
            data = buf;
        }
        if (x->l->doc)
            cb = x->l->doc(x->arg, id, s_u32(q, 1), s_u32(q, 2), s_text(q, 3),
                           s_u32(q, 4), (int32_t)sqlite3_column_int64(q, 5),
                           sqlite3_column_int(q, 11) != 0,
                           sqlite3_column_blob(q, 6), data,
                           data ? (size_t)len : 0, (size_t)len);
    }
    if (cb == 0 && step != SQLITE_DONE)
        cb = s_sql_err(x, "docs");
    free(buf);
    sqlite3_finalize(q);
    return cb;
}

//  One document's entries: its claims (merged with the archive, by id)
//  and references.
static int
s_load_entries(s_load_t *x, uint32_t doc, uint32_t batch, const void *p,
               size_t n)
{
    cq_cur_t c;
    cq_cur_init(&c, p, n);
    uint32_t k = cq_cur_array(&c, 0, UINT32_MAX / 2, "entries");
    int cb = 0;
    for (uint32_t i = 0; i < k && cb == 0 && c.err == 0; i++) {
        uint32_t f = cq_cur_array(&c, 1, 4, "entry");
        uint64_t cid = cq_cur_uint(&c, UINT32_MAX - 1, "cid");
        if (c.err)
            break;
        if (f == 1) {
            cb = s_arch_claims(x, cid + 1);
            if (cb == 0 && x->l->ref)
                cb = x->l->ref(x->arg, doc, i, (uint32_t)cid);
            continue;
        }
        char key[256];
        cq_cur_str(&c, key, sizeof key, "claim_key");
        uint64_t shard = cq_cur_uint(&c, UINT32_MAX, "shard");
        size_t blen = 0;
        const uint8_t *body =
            cq_cur_bin(&c, &blen, CQ_PROTO_MAX_FRAME, "claim");
        if (c.err || f != 4)
            break;
        cb = s_arch_claims(x, cid);
        if (cb == 0 && x->l->claim)
            cb = x->l->claim(x->arg, (uint32_t)cid, key, (uint32_t)shard, batch,
                             doc, i, body, blen, NULL);
    }
    if (cb == 0 && c.err)
        cb = s_corrupt(x, "admission of document", doc);
    return cb;
}

static int
s_load_intake(s_load_t *x)
{
    sqlite3_stmt *q = s_query(
        x, "SELECT i.doc, i.seq, i.status, i.message, i.n_claims, d.batch, "
           "i.seg, i.off, i.len, i.refused_sets, i.refused_claims FROM intake "
           "AS i JOIN docs AS d ON d.id = i.doc ORDER BY i.seq");
    if (q == NULL)
        return CQ_EIO;
    int step, cb = 0;
    while (cb == 0 && (step = sqlite3_step(q)) == SQLITE_ROW) {
        uint32_t doc = s_u32(q, 0);
        if (x->l->intake)
            cb = x->l->intake(x->arg, doc, (uint64_t)sqlite3_column_int64(q, 1),
                              (int32_t)sqlite3_column_int64(q, 2), s_text(q, 3),
                              s_u32(q, 4), s_u32(q, 9), s_u32(q, 10));
        size_t len = 0;
        if (cb == 0)
            cb = s_row_blob(x, q, 6, "admission of document", doc, &len);
        if (cb == 0)
            cb = s_load_entries(x, doc, s_u32(q, 5), x->buf, len);
    }
    if (cb == 0 && step != SQLITE_DONE)
        cb = s_sql_err(x, "intake");
    sqlite3_finalize(q);
    if (cb == 0)
        cb = s_arch_claims(x, UINT64_MAX); // the rest of the archive
    return cb;
}

static int
s_load_results(s_load_t *x)
{
    sqlite3_stmt *q = s_query(x, "SELECT id, node, ledger_id, seg, off, len "
                                 "FROM results ORDER BY id");
    if (q == NULL)
        return CQ_EIO;
    int step, cb = 0;
    while (cb == 0 && (step = sqlite3_step(q)) == SQLITE_ROW) {
        uint32_t id = s_u32(q, 0);
        size_t len = 0;
        if ((cb = s_row_blob(x, q, 3, "results row", id, &len)) != 0)
            break;
        cq_cur_t c;
        cq_cur_init(&c, x->buf, len);
        uint32_t k = cq_cur_array(&c, 0, UINT32_MAX / 2, "items");
        for (uint32_t i = 0; i < k && cb == 0 && c.err == 0; i++) {
            cq_cur_array(&c, 5, 5, "item");
            uint64_t cid = cq_cur_uint(&c, UINT32_MAX - 1, "cid");
            uint64_t seq = cq_cur_uint(&c, UINT64_MAX - 1, "seq");
            uint64_t lseq = cq_cur_uint(&c, INT64_MAX, "ledger_seq");
            uint64_t outcome = cq_cur_uint(&c, 2, "outcome");
            size_t blen = 0;
            const uint8_t *body =
                cq_cur_bin(&c, &blen, CQ_PROTO_MAX_FRAME, "decision");
            if (c.err)
                break;
            cb = s_arch_decisions(x, seq);
            if (cb == 0 && x->l->decision)
                cb = x->l->decision(x->arg, (uint32_t)cid, seq, id,
                                    s_text(q, 1), s_text(q, 2), lseq,
                                    (int)outcome, body, blen);
        }
        if (cb == 0 && c.err)
            cb = s_corrupt(x, "results row", id);
    }
    if (cb == 0 && step != SQLITE_DONE)
        cb = s_sql_err(x, "results");
    sqlite3_finalize(q);
    if (cb == 0)
        cb = s_arch_decisions(x, UINT64_MAX);
    return cb;
}

static int
s_load_acks(s_load_t *x)
{
    if (x->l->ack == NULL)
        return 0;
    sqlite3_stmt *q =
        s_query(x, "SELECT doc, seg, off, len FROM acks ORDER BY doc");
    if (q == NULL)
        return CQ_EIO;
    int step, cb = 0;
    while (cb == 0 && (step = sqlite3_step(q)) == SQLITE_ROW) {
        size_t len = 0;
        cb = s_row_blob(x, q, 1, "999 of document", s_u32(q, 0), &len);
        if (cb == 0)
            cb = x->l->ack(x->arg, s_u32(q, 0), x->buf, len);
    }
    if (cb == 0 && step != SQLITE_DONE)
        cb = s_sql_err(x, "acks");
    sqlite3_finalize(q);
    return cb;
}

static int
s_load_releases(s_load_t *x)
{
    if (x->l->release == NULL)
        return 0;
    sqlite3_stmt *q = s_query(x, "SELECT claim, pend_seq, claim_key, shard, "
                                 "body FROM releases ORDER BY id");
    if (q == NULL)
        return CQ_EIO;
    int step, cb = 0;
    while (cb == 0 && (step = sqlite3_step(q)) == SQLITE_ROW)
        cb = x->l->release(x->arg, s_u32(q, 0),
                           (uint64_t)sqlite3_column_int64(q, 1), s_text(q, 2),
                           s_u32(q, 3), sqlite3_column_blob(q, 4),
                           (size_t)sqlite3_column_bytes(q, 4));
    if (cb == 0 && step != SQLITE_DONE)
        cb = s_sql_err(x, "releases");
    sqlite3_finalize(q);
    return cb;
}

static int
s_load_events(s_load_t *x)
{
    sqlite3_stmt *q = s_query(x, "SELECT kind, target, node, attempts, detail, "
                                 "at_ms FROM events ORDER BY rowid");
    if (q == NULL)
        return CQ_EIO;
    int step, cb = 0;
    while (cb == 0 && (step = sqlite3_step(q)) == SQLITE_ROW)
        if (x->l->event)
            cb = x->l->event(
                x->arg, s_text(q, 0), s_u32(q, 1),
                sqlite3_column_type(q, 2) == SQLITE_NULL ? NULL : s_text(q, 2),
                s_u32(q, 3),
                sqlite3_column_type(q, 4) == SQLITE_NULL ? NULL : s_text(q, 4),
                sqlite3_column_int64(q, 5));
    if (cb == 0 && step != SQLITE_DONE)
        cb = s_sql_err(x, "events");
    sqlite3_finalize(q);
    return cb;
}

int
cq_journal_load(cq_journal_t *self, const cq_journal_loader_t *l, void *arg,
                cq_diag_t *diag)
{
    s_idle(self);
    s_load_t x = {self, l,           arg, diag, NULL, SQLITE_DONE,
                  NULL, SQLITE_DONE, -1,  0,    NULL, 0};
    int rc = 0;
    //  one read transaction: a consistent picture while a broker writes
    s_exec(self->db, "BEGIN");
    x.ac = s_query(&x, "SELECT claim, claim_key, shard, body, batch_id FROM "
                       "archive ORDER BY claim");
    x.ad = s_query(&x, "SELECT claim, seq, node, ledger_id, ledger_seq, "
                       "outcome, decision FROM archive ORDER BY seq");
    if (x.ac == NULL || x.ad == NULL) {
        rc = CQ_EIO;
        goto out;
    }
    x.ac_step = sqlite3_step(x.ac);
    x.ad_step = sqlite3_step(x.ad);
    if ((rc = s_load_batches(&x)) == 0 && (rc = s_load_docs(&x)) == 0 &&
        (rc = s_load_intake(&x)) == 0 && (rc = s_load_releases(&x)) == 0 &&
        (rc = s_load_results(&x)) == 0 && (rc = s_load_acks(&x)) == 0)
        rc = s_load_events(&x);
out:
    sqlite3_finalize(x.ac);
    sqlite3_finalize(x.ad);
    if (x.seg_fd >= 0)
        close(x.seg_fd);
    free(x.buf);
    s_exec(self->db, "COMMIT");
    return rc;
}

//  ---- compaction ----------------------------------------------------------

static int
s_cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

//  Runs a prepared statement to its end; SQLITE_OK or its error.
static int
s_run(sqlite3_stmt *q)
{
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

//  Segment bookkeeping of a compaction, applied once it commits.
typedef struct {
    uint32_t *seg;
    int *delta;
    size_t n, cap;
} s_segmoves_t;

static void
s_segmove(s_segmoves_t *m, uint32_t seg, int delta)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 64;
        m->seg = cq_xrealloc(m->seg, m->cap * sizeof *m->seg);
        m->delta = cq_xrealloc(m->delta, m->cap * sizeof *m->delta);
    }
    m->seg[m->n] = seg;
    m->delta[m->n++] = delta;
}

//  Appends p to the current segment (a new one when full): *seg, *off.
//  The caller fsyncs.
static int
s_seg_append(cq_journal_t *self, const void *p, size_t len, uint32_t *seg,
             uint64_t *off)
{
    if (self->seg_size > 0 && self->seg_size + len > S_SEG_MAX) {
        if (fdatasync(self->seg_fd) != 0)
            return s_errno_err(errno);
        int rc = s_seg_open(self, self->seg + 1, 0);
        if (rc != 0)
            return rc;
    }
    size_t got = 0;
    while (got < len) {
        ssize_t k = pwrite(self->seg_fd, (const char *)p + got, len - got,
                           (off_t)(self->seg_size + got));
        if (k <= 0)
            return s_errno_err(k < 0 ? errno : ENOSPC);
        got += (size_t)k;
    }
    *seg = self->seg;
    *off = self->seg_size;
    self->seg_size += len;
    return 0;
}

//  Rewrites results row id without the items of the claims in gone
//  (sorted): the trimmed items are appended to the current segment and the
//  row pointed at them, or the row goes when nothing is left.
static int
s_results_trim(cq_journal_t *self, s_load_t *x, uint32_t id,
               const uint32_t *gone, size_t n_gone, sqlite3_stmt *get,
               sqlite3_stmt *put, sqlite3_stmt *del, s_segmoves_t *moves)
{
    sqlite3_bind_int64(get, 1, id);
    int rc = sqlite3_step(get);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(get);
        return rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    size_t len = 0;
    uint32_t old_seg = s_u32(get, 0);
    int lrc = s_row_blob(x, get, 0, "results row", id, &len);
    sqlite3_reset(get);
    if (lrc != 0)
        return SQLITE_CORRUPT;
    cq_cur_t c;
    cq_cur_init(&c, x->buf, len);
    cq_mpw_t w;
    cq_mpw_init(&w);
    size_t at = cq_mpw_array_open(&w);
    uint32_t kept = 0;
    uint32_t k = cq_cur_array(&c, 0, UINT32_MAX / 2, "items");
    for (uint32_t i = 0; i < k && c.err == 0; i++) {
        const uint8_t *start = c.pos;
        cq_cur_array(&c, 5, 5, "item");
        uint32_t cid = (uint32_t)cq_cur_uint(&c, UINT32_MAX - 1, "cid");
        for (int f = 0; f < 4; f++)
            cq_cur_skip(&c, "item");
        if (c.err == 0 &&
            bsearch(&cid, gone, n_gone, sizeof *gone, s_cmp_u32) == NULL) {
            cq_mpw_raw(&w, start, (size_t)(c.pos - start));
            kept++;
        }
    }
    cq_mpw_array_close(&w, at, kept);
    if (c.err) {
        cq_mpw_free(&w);
        return SQLITE_CORRUPT;
    }
    s_segmove(moves, old_seg, -1);
    if (kept == 0) {
        sqlite3_bind_int64(del, 1, id);
        rc = s_run(del);
    } else {
        uint32_t seg;
        uint64_t off;
        if (s_seg_append(self, w.data, w.len, &seg, &off) != 0) {
            cq_mpw_free(&w);
            return SQLITE_FULL;
        }
        s_segmove(moves, seg, +1);
        sqlite3_bind_int64(put, 1, seg);
        sqlite3_bind_int64(put, 2, (int64_t)off);
        sqlite3_bind_int64(put, 3, (int64_t)w.len);
        sqlite3_bind_int64(put, 4, id);
        rc = s_run(put);
    }
    cq_mpw_free(&w);
    return rc;
}

void
cq_journal_id_floors(cq_journal_t *self, uint32_t *batches, uint32_t *docs)
{
    *batches = *docs = 0;
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(self->db,
                           "SELECT key, CAST(value AS INTEGER) FROM meta "
                           "WHERE key IN ('next_batch', 'next_doc')",
                           -1, &q, NULL) != SQLITE_OK)
        return;
    while (sqlite3_step(q) == SQLITE_ROW) {
        int64_t v = sqlite3_column_int64(q, 1);
        uint32_t u = v < 0                ? 0
                     : v > UINT32_MAX / 2 ? UINT32_MAX / 2
                                          : (uint32_t)v;
        if (strcmp((const char *)sqlite3_column_text(q, 0), "next_batch") == 0)
            *batches = u;
        else
            *docs = u;
    }
    sqlite3_finalize(q);
}

//  One claim of a batch being compacted into the archive (ins), its
//  releases gone (rel).
static int
s_archive_one(sqlite3_stmt *ins, sqlite3_stmt *rel, const cq_journal_arch_t *a,
              const char *batch_id, int64_t now_ms)
{
    sqlite3_bind_int64(ins, 1, a->cid);
    sqlite3_bind_int64(ins, 2, (int64_t)a->seq);
    sqlite3_bind_text(ins, 3, a->key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(ins, 4, a->shard);
    sqlite3_bind_text(ins, 5, batch_id, -1, SQLITE_STATIC);
    sqlite3_bind_blob(ins, 6, a->body, (int)a->body_len, SQLITE_STATIC);
    sqlite3_bind_text(ins, 7, a->node, -1, SQLITE_STATIC);
    sqlite3_bind_text(ins, 8, a->ledger_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(ins, 9, (int64_t)a->ledger_seq);
    sqlite3_bind_int64(ins, 10, a->outcome);
    sqlite3_bind_int64(ins, 11, now_ms);
    sqlite3_bind_blob(ins, 12, a->decision, (int)a->decision_len,
                      SQLITE_STATIC);
    int rc = s_run(ins);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(rel, 1, a->cid);
        rc = s_run(rel);
    }
    return rc;
}

int
cq_journal_compact(cq_journal_t *self, uint32_t batch, const char *batch_id,
                   const uint32_t *docs, size_t n_docs,
                   const cq_journal_arch_t *claims, size_t n_claims,
                   int64_t now_ms, cq_diag_t *diag)
{
    s_idle(self);
    if (cq_journal_pending(self) > 0)
        return CQ_EBUSY;
    static const char *const sql[] = {
        ("INSERT INTO archive (claim, seq, claim_key, shard, batch_id, body, "
         "node, ledger_id, ledger_seq, lease, outcome, decided_ms, decision) "
         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0, ?10, ?11, ?12)"),
        "SELECT seg, off, len FROM results WHERE id = ?1",
        "UPDATE results SET seg = ?1, off = ?2, len = ?3 WHERE id = ?4",
        "DELETE FROM results WHERE id = ?1",
        ("SELECT d.seg, i.seg, a.seg FROM docs AS d LEFT JOIN intake AS i ON "
         "i.doc = d.id LEFT JOIN acks AS a ON a.doc = d.id WHERE d.id = ?1"),
        "DELETE FROM intake WHERE doc = ?1",
        "DELETE FROM docs WHERE id = ?1",
        "DELETE FROM acks WHERE doc = ?1",
        "DELETE FROM batches WHERE id = ?1",
        ("INSERT INTO compacted (batch, batch_id, claims, at_ms) VALUES "
         "(?1, ?2, ?3, ?4)"),
        //  ids are never used again, even when the newest batch goes
        ("INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) "
         "DO UPDATE SET value = max(CAST(value AS INTEGER), ?2)"),
        //  a released claim's releases: the archive keeps it as released
        "DELETE FROM releases WHERE claim = ?1",
    };
    enum { Q_BATCH = 8, Q_COMPACTED = 9, Q_FLOOR = 10, Q_RELEASES = 11 };
    enum { N = sizeof sql / sizeof sql[0] };
    sqlite3_stmt *q[N] = {0};
    uint32_t *gone = cq_xmalloc((n_claims + 1) * sizeof *gone);
    uint32_t *rows = cq_xmalloc((n_claims + 1) * sizeof *rows);
    size_t n_rows = 0;
    s_segmoves_t moves = {0};
    s_load_t x = {self, NULL, NULL, diag, NULL, 0, NULL, 0, -1, 0, NULL, 0};
    uint32_t seg0 = self->seg;
    uint64_t size0 = self->seg_size;
    int rc = s_exec(self->db, "BEGIN IMMEDIATE");
    for (size_t i = 0; i < N && rc == SQLITE_OK; i++)
        rc = sqlite3_prepare_v2(self->db, sql[i], -1, &q[i], NULL);
    for (size_t c = 0; c < n_claims && rc == SQLITE_OK; c++) {
        rc = s_archive_one(q[0], q[Q_RELEASES], &claims[c], batch_id, now_ms);
        gone[c] = claims[c].cid;
        rows[n_rows++] = claims[c].result;
    }
    qsort(gone, n_claims, sizeof *gone, s_cmp_u32);
    qsort(rows, n_rows, sizeof *rows, s_cmp_u32);
    for (size_t i = 0; i < n_rows && rc == SQLITE_OK; i++)
        if (rows[i] != UINT32_MAX && (i == 0 || rows[i] != rows[i - 1]))
            rc = s_results_trim(self, &x, rows[i], gone, n_claims, q[1], q[2],
                                q[3], &moves);
    for (size_t d = 0; d < n_docs && rc == SQLITE_OK; d++) {
        sqlite3_bind_int64(q[4], 1, docs[d]);
        if (sqlite3_step(q[4]) == SQLITE_ROW) {
            s_segmove(&moves, s_u32(q[4], 0), -1);
            for (int col = 1; col <= 2; col++)
                if (sqlite3_column_type(q[4], col) != SQLITE_NULL)
                    s_segmove(&moves, s_u32(q[4], col), -1);
        }
        sqlite3_reset(q[4]);
        for (size_t i = 5; i < 8 && rc == SQLITE_OK; i++) {
            sqlite3_bind_int64(q[i], 1, docs[d]);
            rc = s_run(q[i]);
        }
    }
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(q[Q_BATCH], 1, batch);
        rc = s_run(q[Q_BATCH]);
    }
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(q[Q_COMPACTED], 1, batch);
        sqlite3_bind_text(q[Q_COMPACTED], 2, batch_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q[Q_COMPACTED], 3, (sqlite3_int64)n_claims);
        sqlite3_bind_int64(q[Q_COMPACTED], 4, now_ms);
        rc = s_run(q[Q_COMPACTED]);
    }
    uint32_t next_doc = 0;
    for (size_t d = 0; d < n_docs; d++)
        if (docs[d] + 1 > next_doc)
            next_doc = docs[d] + 1;
    for (int f = 0; f < 2 && rc == SQLITE_OK; f++) {
        sqlite3_bind_text(q[Q_FLOOR], 1, f ? "next_doc" : "next_batch", -1,
                          SQLITE_STATIC);
        sqlite3_bind_int64(q[Q_FLOOR], 2, f ? next_doc : (int64_t)batch + 1);
        rc = s_run(q[Q_FLOOR]);
    }
    for (size_t i = 0; i < N; i++)
        sqlite3_finalize(q[i]);
    //  what was appended is on disk before the rows that name it
    if (rc == SQLITE_OK && (self->seg != seg0 || self->seg_size != size0) &&
        fdatasync(self->seg_fd) != 0)
        rc = SQLITE_IOERR;
    if (rc == SQLITE_OK)
        rc = s_exec(self->db, "COMMIT");
    free(gone);
    free(rows);
    if (x.seg_fd >= 0)
        close(x.seg_fd);
    free(x.buf);
    if (rc != SQLITE_OK) {
        free(moves.seg);
        free(moves.delta);
        int err = s_write_err(self->db, rc);
        cq_diag_set(diag, err, 0, "%s: compacting batch %s: %s", self->path,
                    batch_id, sqlite3_errmsg(self->db));
        if (!sqlite3_get_autocommit(self->db))
            s_exec(self->db, "ROLLBACK");
        for (uint32_t sg = self->seg; sg > seg0; sg--) {
            char path[4200];
            s_seg_path(self, sg, path, sizeof path);
            unlink(path);
        }
        s_seg_open(self, seg0, size0);
        return err;
    }
    //  segments no row names any more go
    bool removed = false;
    for (size_t i = 0; i < moves.n; i++)
        s_seg_live(self, moves.seg[i], moves.delta[i]);
    for (size_t i = 0; i < moves.n; i++) {
        uint32_t sg = moves.seg[i];
        if (moves.delta[i] < 0 && self->seg_live[sg] == 0 && sg != self->seg) {
            char path[4200];
            s_seg_path(self, sg, path, sizeof path);
            removed |= unlink(path) == 0;
        }
    }
    free(moves.seg);
    free(moves.delta);
    if (removed)
        s_dir_sync(self);
    s_tap_compact(self, batch, batch_id, docs, n_docs, claims, n_claims,
                  now_ms);
    return 0;
}

int
cq_journal_doc_data(cq_journal_t *self, uint32_t id, zmq_msg_t *out)
{
    s_idle(self);
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(self->db,
                           "SELECT seg, off, len FROM docs WHERE id "
                           "= ?1",
                           -1, &q, NULL) != SQLITE_OK)
        return CQ_EIO;
    sqlite3_bind_int64(q, 1, id);
    int rc = sqlite3_step(q);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(q);
        return rc == SQLITE_DONE ? CQ_ENOTFOUND : CQ_EIO;
    }
    uint32_t seg = (uint32_t)sqlite3_column_int64(q, 0);
    uint64_t off = (uint64_t)sqlite3_column_int64(q, 1);
    size_t len = (size_t)sqlite3_column_int64(q, 2);
    sqlite3_finalize(q);
    cq_diag_t diag = {0};
    s_load_t x = {self, NULL, NULL, &diag, NULL, 0, NULL, 0, -1, 0, NULL, 0};
    zmq_msg_init_size(out, len);
    rc = s_seg_read(&x, seg, off, zmq_msg_data(out), len);
    if (x.seg_fd >= 0)
        close(x.seg_fd);
    if (rc != 0) {
        zmq_msg_close(out);
        return CQ_EIO;
    }
    return 0;
}

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

//  ---- replication (peer.c)
//  ---------------------------------------------------
//
//  A record goes to the tap as it is handed to the writer (or committed in
//  the caller's thread): [type, [v0..v9], s0, s1, s2, blob], strings and
//  blob as binaries or nil, a document's bytes as its blob. Records are
//  positioned by the count handed so far (cq_journal_recorded's units, of
//  this open): the tap's first is the position of its first record.

#define S_TAP_BYTES (32u << 20) // a tap call's body (soft: one record over)
#define S_TAP_INTS 10

void
cq_journal_set_tap(cq_journal_t *self, cq_journal_tap_fn *fn, void *arg)
{
    self->tap = fn;
    self->tap_arg = arg;
}

static void
s_tap_bin(cq_mpw_t *w, const s_recbuf_t *b, size_t off, size_t len)
{
    if (off == S_NO_STR)
        cq_mpw_nil(w);
    else
        cq_mpw_bin(w, s_at(b, off, len), len);
}

static void
s_tap_fill(cq_journal_t *self)
{
    const s_recbuf_t *b = &self->fill;
    if (self->tap == NULL || b->n == 0)
        return;
    cq_mpw_t w;
    cq_mpw_init(&w);
    uint64_t first = self->fill_seq - b->n;
    size_t i = 0;
    while (i < b->n) {
        cq_mpw_reset(&w);
        size_t at = cq_mpw_array_open(&w);
        uint32_t n = 0;
        for (; i < b->n && (n == 0 || w.len < S_TAP_BYTES); i++, n++) {
            const s_rec_t *r = &b->recs[i];
            cq_mpw_array(&w, 6);
            cq_mpw_uint(&w, r->type);
            cq_mpw_array(&w, S_TAP_INTS);
            for (int k = 0; k < S_TAP_INTS; k++)
                cq_mpw_int(&w, r->v[k]);
            for (int k = 0; k < 3; k++)
                s_tap_bin(&w, b, r->s[k], r->sl[k]);
            if (r->type == R_DOC)
                cq_mpw_bin(&w, zmq_msg_data((zmq_msg_t *)&b->msgs[r->b]),
                           r->bl);
            else
                s_tap_bin(&w, b, r->b, r->bl);
        }
        cq_mpw_array_close(&w, at, n);
        self->tap(self->tap_arg, CQ_JOURNAL_TAP_RECORDS, first, n, w.data,
                  w.len);
        first += n;
    }
    cq_mpw_free(&w);
}

static void
s_tap_compact(cq_journal_t *self, uint32_t batch, const char *batch_id,
              const uint32_t *docs, size_t n_docs,
              const cq_journal_arch_t *claims, size_t n_claims, int64_t now_ms)
{
    if (self->tap == NULL)
        return;
    cq_mpw_t w;
    cq_mpw_init(&w);
    cq_mpw_array(&w, 5);
    cq_mpw_uint(&w, batch);
    cq_mpw_str(&w, batch_id);
    cq_mpw_int(&w, now_ms);
    cq_mpw_array(&w, (uint32_t)n_docs);
    for (size_t d = 0; d < n_docs; d++)
        cq_mpw_uint(&w, docs[d]);
    cq_mpw_array(&w, (uint32_t)n_claims);
    for (size_t c = 0; c < n_claims; c++) {
        const cq_journal_arch_t *a = &claims[c];
        cq_mpw_array(&w, 11);
        cq_mpw_uint(&w, a->cid);
        cq_mpw_str(&w, a->key);
        cq_mpw_uint(&w, a->shard);
        cq_mpw_bin(&w, a->body, a->body_len);
        cq_mpw_uint(&w, a->seq);
        cq_mpw_uint(&w, a->result);
        cq_mpw_str(&w, a->node);
        cq_mpw_str(&w, a->ledger_id);
        cq_mpw_uint(&w, a->ledger_seq);
        cq_mpw_int(&w, a->outcome);
        cq_mpw_bin(&w, a->decision, a->decision_len);
    }
    self->tap(self->tap_arg, CQ_JOURNAL_TAP_COMPACT, self->fill_seq, 0, w.data,
              w.len);
    cq_mpw_free(&w);
}

//  A binary (or nil) into fill's bytes: its offset and length.
static void
s_apply_bin(cq_journal_t *self, cq_cur_t *c, size_t *off, size_t *len,
            const char *what)
{
    if (cq_cur_nil(c)) {
        *off = S_NO_STR;
        *len = 0;
        return;
    }
    size_t n = 0;
    const uint8_t *p = cq_cur_bin(c, &n, CQ_PROTO_MAX_FRAME, what);
    if (p == NULL) {
        *off = S_NO_STR;
        *len = 0;
        return;
    }
    *len = n;
    *off = s_bytes(self, p, n);
}

int
cq_journal_apply(cq_journal_t *self, const uint8_t *p, size_t len, uint32_t n,
                 cq_diag_t *diag)
{
    cq_cur_t c;
    cq_cur_init(&c, p, len);
    uint32_t have = cq_cur_array(&c, n, n, "records");
    size_t n0 = self->fill.n, bytes0 = self->fill.bytes.len;
    size_t msgs0 = self->fill.n_msgs;
    uint64_t seq0 = self->fill_seq;
    for (uint32_t i = 0; i < have && c.err == 0; i++) {
        cq_cur_array(&c, 6, 6, "record");
        uint64_t type = cq_cur_uint(&c, R_KINDS - 1, "type");
        if (c.err)
            break;
        s_rec_t *r = s_rec(self, (int)type);
        cq_cur_array(&c, S_TAP_INTS, S_TAP_INTS, "ints");
        for (int k = 0; k < S_TAP_INTS; k++)
            r->v[k] = cq_cur_int(&c, INT64_MIN, INT64_MAX, "int");
        for (int k = 0; k < 3; k++)
            s_apply_bin(self, &c, &r->s[k], &r->sl[k], "string");
        if (r->type == R_DOC) {
            size_t bl = 0;
            const uint8_t *d = cq_cur_bin(&c, &bl, CQ_PROTO_MAX_FRAME, "doc");
            if (d == NULL)
                break;
            r->b = s_recbuf_msg(&self->fill);
            r->bl = bl;
            zmq_msg_init_size(&self->fill.msgs[r->b], bl);
            if (bl)
                memcpy(zmq_msg_data(&self->fill.msgs[r->b]), d, bl);
        } else {
            s_apply_bin(self, &c, &r->b, &r->bl, "blob");
        }
        //  what s_bind and the segments read must be there
        bool blob = r->type == R_DOC || r->type == R_INTAKE ||
                    r->type == R_RESULT || r->type == R_ACK ||
                    r->type == R_RELEASE;
        if ((blob && r->b == S_NO_STR) ||
            (r->type == R_DOC && (r->s[1] == S_NO_STR || r->sl[1] != 32)))
            cq_cur_fail(&c, CQ_EPROTO, "record");
        for (int k = 0; k < 3; k++)
            if (r->s[k] != S_NO_STR && r->sl[k] > INT32_MAX)
                cq_cur_fail(&c, CQ_ETOOBIG, "string");
    }
    if (c.err == 0 && c.pos != c.end)
        cq_cur_fail(&c, CQ_EPROTO, "trailing bytes");
    if (c.err) {
        //  nothing of it stays
        for (size_t i = msgs0; i < self->fill.n_msgs; i++)
            zmq_msg_close(&self->fill.msgs[i]);
        self->fill.n_msgs = msgs0;
        self->fill.n = n0;
        self->fill.bytes.len = bytes0;
        self->fill_seq = seq0;
        return cq_cur_diag(&c, diag);
    }
    return 0;
}

int
cq_journal_apply_compact(cq_journal_t *self, const uint8_t *p, size_t len,
                         cq_diag_t *diag)
{
    cq_cur_t c;
    cq_cur_init(&c, p, len);
    cq_cur_array(&c, 5, 5, "compaction");
    uint32_t batch = (uint32_t)cq_cur_uint(&c, UINT32_MAX, "batch");
    char batch_id[CQ_BATCH_ID_LEN];
    cq_cur_str(&c, batch_id, sizeof batch_id, "batch_id");
    int64_t now_ms = cq_cur_int(&c, INT64_MIN, INT64_MAX, "at");
    uint32_t n_docs = cq_cur_array(&c, 0, UINT32_MAX / 8, "docs");
    if (c.err == 0 && n_docs > (size_t)(c.end - c.pos))
        cq_cur_fail(&c, CQ_EPROTO, "docs");
    if (c.err)
        return cq_cur_diag(&c, diag);
    uint32_t *docs = cq_xmalloc(((size_t)n_docs + 1) * sizeof *docs);
    for (uint32_t d = 0; d < n_docs; d++)
        docs[d] = (uint32_t)cq_cur_uint(&c, UINT32_MAX, "doc");
    uint32_t n_claims = cq_cur_array(&c, 0, UINT32_MAX / 8, "claims");
    if (c.err == 0 && n_claims > (size_t)(c.end - c.pos))
        cq_cur_fail(&c, CQ_EPROTO, "claims");
    cq_journal_arch_t *a =
        cq_xcalloc(c.err ? 1 : (size_t)n_claims + 1, sizeof *a);
    char(*strs)[3][CQ_PROTO_MSG_LEN] =
        cq_xcalloc(c.err ? 1 : (size_t)n_claims + 1, sizeof *strs);
    for (uint32_t i = 0; i < n_claims && c.err == 0; i++) {
        cq_cur_array(&c, 11, 11, "claim");
        a[i].cid = (uint32_t)cq_cur_uint(&c, UINT32_MAX, "cid");
        cq_cur_str(&c, strs[i][0], sizeof strs[i][0], "key");
        a[i].key = strs[i][0];
        a[i].shard = (uint32_t)cq_cur_uint(&c, UINT32_MAX, "shard");
        a[i].body = cq_cur_bin(&c, &a[i].body_len, CQ_PROTO_MAX_FRAME, "body");
        a[i].seq = cq_cur_uint(&c, UINT64_MAX, "seq");
        a[i].result = (uint32_t)cq_cur_uint(&c, UINT32_MAX, "result");
        cq_cur_str(&c, strs[i][1], sizeof strs[i][1], "node");
        a[i].node = strs[i][1];
        cq_cur_str(&c, strs[i][2], sizeof strs[i][2], "ledger");
        a[i].ledger_id = strs[i][2];
        a[i].ledger_seq = cq_cur_uint(&c, UINT64_MAX, "ledger_seq");
        a[i].outcome = (int)cq_cur_int(&c, 0, 255, "outcome");
        a[i].decision =
            cq_cur_bin(&c, &a[i].decision_len, CQ_PROTO_MAX_FRAME, "decision");
    }
    int rc = cq_cur_diag(&c, diag);
    if (rc == 0)
        rc = cq_journal_commit(self, diag);
    if (rc == 0)
        rc = cq_journal_compact(self, batch, batch_id, docs, n_docs, a,
                                n_claims, now_ms, diag);
    free(docs);
    free(a);
    free(strs);
    return rc;
}

int
cq_journal_snapshot(cq_journal_t *self, const char *dir, uint64_t *pos,
                    cq_diag_t *diag)
{
    int rc = cq_journal_commit(self, diag);
    if (rc != 0)
        return rc;
    *pos = self->fill_seq;
    if (mkdir(dir, 0700) != 0)
        return cq_diag_set(diag, CQ_EIO, 0, "%s: %s", dir, strerror(errno));
    char *sql = sqlite3_mprintf("VACUUM INTO '%q/journal.db'", dir);
    char *why = NULL;
    if (sqlite3_exec(self->db, sql, NULL, NULL, &why) != SQLITE_OK) {
        rc = cq_diag_set(diag, CQ_EIO, 0, "%s: snapshot: %s", self->path,
                         why ? why : "?");
        sqlite3_free(why);
        sqlite3_free(sql);
        return rc;
    }
    sqlite3_free(sql);
    //  segments: linked, not copied (appended to, never rewritten)
    uint32_t top = self->n_seg_live > self->seg ? (uint32_t)self->n_seg_live
                                                : self->seg + 1;
    for (uint32_t sg = 0; sg < top; sg++) {
        if (sg != self->seg && (sg >= self->n_seg_live || !self->seg_live[sg]))
            continue;
        char from[4200], to[4400];
        s_seg_path(self, sg, from, sizeof from);
        snprintf(to, sizeof to, "%s/docs-%06u.seg", dir, sg);
        if (link(from, to) != 0 && errno != ENOENT)
            return cq_diag_set(diag, CQ_EIO, 0, "%s: %s", to, strerror(errno));
    }
    return 0;
}
