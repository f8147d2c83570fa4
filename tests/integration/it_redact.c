//  it_redact.c: `claimq ledger export --redact` (client/ledger_export.h).
//  Ledgers a real cluster wrote, and one written here through the ledger
//  API with reviewers' releases whose audit trails change member names, ids
//  and birth dates (and orphan markers), are exported: no member id, name
//  or birth date of the roster is anywhere in the copy's bytes; one member
//  gets one token under one key, another under another key; `ledger
//  verify` holds on the copy and names it an export of the source's chain;
//  `ledger query` prints the same decisions (ids, amounts, outcomes). The
//  refusals (no --redact, an existing OUT, a key of the wrong size), the
//  copy's mode whatever the umask, a source never written, and inputs that
//  are not ledgers (clear error, no crash, nothing left behind).
#include "cq_proc.h"
#include "date.h"
#include "engine.h"
#include "gen.h"
#include "ledger.h"
#include "log.h"
#include "plan.h"
#include "roster.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static cq_cluster_t s_cl;

static void
s_fini(void)
{
    cq_proc_cleanup();
}

TestSuite(redact, .fini = s_fini);

//  Runs `claimq ledger export --redact --key KEY --out OUT SRC`.
static int
s_export(cq_run_t *r, const char *key, const char *out, const char *src)
{
    return cq_proc_claimq(r, 120, "ledger", "export", "--redact", "--key", key,
                          "--out", out, src, NULL);
}

static void
s_has(const char *text, const char *what)
{
    cr_assert(text && strstr(text, what) != NULL, "no \"%s\" in:\n%s", what,
              text ? text : "(null)");
}

static void
s_tmpdir(char *out, size_t size)
{
    const char *tmp = cq_test_tmpdir();
    cr_assert_not_null(tmp);
    snprintf(out, size, "%s", tmp);
}

static bool
s_exists(const char *path)
{
    struct stat sb;
    return lstat(path, &sb) == 0;
}

//  ---- what must not be in a copy -------------------------------------------

static void *
s_memmem(const void *hay, size_t n, const void *needle, size_t m)
{
    const unsigned char *h = hay;
    if (m == 0 || m > n)
        return NULL;
    for (size_t i = 0; i + m <= n; i++)
        if (h[i] == *(const unsigned char *)needle &&
            memcmp(h + i, needle, m) == 0)
            return (void *)(h + i);
    return NULL;
}

typedef struct {
    char **s;
    size_t n, cap;
} s_strs_t;

static void
s_add(s_strs_t *v, const char *s)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 64;
        v->s = realloc(v->s, v->cap * sizeof *v->s);
    }
    v->s[v->n++] = strdup(s);
}

static void
s_strs_free(s_strs_t *v)
{
    for (size_t i = 0; i < v->n; i++)
        free(v->s[i]);
    free(v->s);
    memset(v, 0, sizeof *v);
}

//  Every member's id, name ("LAST, FIRST", "LAST FIRST") and birth date
//  (ISO, CCYYMMDD, "MM DD CCYY", MM/DD/CCYY) from a roster (JSON Lines).
static void
s_needles(const char *roster, size_t len, s_strs_t *v)
{
    const char *p = roster, *end = roster + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        json_t *m = json_loadb(p, n, 0, NULL);
        p += n + 1;
        if (m == NULL)
            continue;
        const char *id = json_string_value(json_object_get(m, "member_id"));
        const char *last = json_string_value(json_object_get(m, "last_name"));
        const char *first = json_string_value(json_object_get(m, "first_name"));
        const char *b = json_string_value(json_object_get(m, "birth_date"));
        cr_assert(id && last && first && b && strlen(b) == 10);
        char t[256];
        s_add(v, id);
        snprintf(t, sizeof t, "%s, %s", last, first);
        s_add(v, t);
        snprintf(t, sizeof t, "%s %s", last, first);
        s_add(v, t);
        s_add(v, b);
        snprintf(t, sizeof t, "%.4s%.2s%.2s", b, b + 5, b + 8);
        s_add(v, t);
        snprintf(t, sizeof t, "%.2s %.2s %.4s", b + 5, b + 8, b);
        s_add(v, t);
        snprintf(t, sizeof t, "%.2s/%.2s/%.4s", b + 5, b + 8, b);
        s_add(v, t);
        json_decref(m);
    }
    cr_assert_geq(v->n, 7 * 5, "%zu needles", v->n);
}

//  The number of needles in the bytes of path.
static size_t
s_found(const char *path, const s_strs_t *v, const char **first)
{
    size_t len = 0;
    char *bytes = cq_test_read(path, &len);
    cr_assert_not_null(bytes, "%s cannot be read", path);
    size_t hits = 0;
    for (size_t i = 0; i < v->n; i++)
        if (s_memmem(bytes, len, v->s[i], strlen(v->s[i])) != NULL) {
            if (hits++ == 0 && first)
                *first = v->s[i];
        }
    free(bytes);
    return hits;
}

//  No needle anywhere in the copy's bytes (read whole; no journal, WAL or
//  free page beside it).
static void
s_clean(const char *out, const s_strs_t *v)
{
    const char *hit = NULL;
    size_t n = s_found(out, v, &hit);
    cr_assert_eq(n, 0, "%zu member values in %s, e.g. \"%s\"", n, out,
                 hit ? hit : "");
    char side[1200];
    const char *sfx[] = {"-journal", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        snprintf(side, sizeof side, "%s%s", out, sfx[i]);
        if (s_exists(side))
            cr_assert_eq(s_found(side, v, NULL), 0, "%s", side);
    }
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open_v2(out, &db, SQLITE_OPEN_READONLY, NULL),
                 SQLITE_OK);
    sqlite3_stmt *q = NULL;
    sqlite3_prepare_v2(db, "PRAGMA freelist_count", -1, &q, NULL);
    cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
    cr_assert_eq(sqlite3_column_int(q, 0), 0, "free pages in %s", out);
    sqlite3_finalize(q);
    sqlite3_close(db);
}

static void
s_mode_0600(const char *path)
{
    struct stat sb;
    cr_assert_eq(stat(path, &sb), 0, "%s", path);
    cr_assert_eq(sb.st_mode & 07777, 0600, "%s: mode %04o", path,
                 (unsigned)(sb.st_mode & 07777));
}

//  ---- reading ledgers ------------------------------------------------------

//  decisions.member by seq ("\x01" for NULL), and meta values.
typedef struct {
    char (*member)[64];
    size_t n;
} s_members_t;

static sqlite3 *
s_open_ro(const char *path)
{
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
                 SQLITE_OK, "%s", path);
    sqlite3_busy_timeout(db, 5000);
    return db;
}

static void
s_members(const char *path, s_members_t *m)
{
    sqlite3 *db = s_open_ro(path);
    sqlite3_stmt *q = NULL;
    cr_assert_eq(sqlite3_prepare_v2(db,
                                    "SELECT seq, member FROM decisions ORDER "
                                    "BY seq",
                                    -1, &q, NULL),
                 SQLITE_OK);
    m->n = 0;
    m->member = NULL;
    while (sqlite3_step(q) == SQLITE_ROW) {
        cr_assert_eq(sqlite3_column_int64(q, 0), (int64_t)m->n + 1);
        m->member = realloc(m->member, (m->n + 1) * sizeof *m->member);
        const char *v = (const char *)sqlite3_column_text(q, 1);
        snprintf(m->member[m->n], sizeof m->member[0], "%s", v ? v : "\x01");
        m->n++;
    }
    sqlite3_finalize(q);
    sqlite3_close(db);
}

static void
s_meta(const char *path, const char *key, char *out, size_t size)
{
    sqlite3 *db = s_open_ro(path);
    sqlite3_stmt *q = NULL;
    sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?", -1, &q,
                       NULL);
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    out[0] = '\0';
    if (sqlite3_step(q) == SQLITE_ROW)
        snprintf(out, size, "%s", sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    sqlite3_close(db);
}

//  The last row's hash, hex.
static void
s_last_hash(const char *path, char out[72])
{
    sqlite3 *db = s_open_ro(path);
    sqlite3_stmt *q = NULL;
    sqlite3_prepare_v2(db,
                       "SELECT lower(hex(hash)) FROM decisions ORDER BY seq "
                       "DESC LIMIT 1",
                       -1, &q, NULL);
    cr_assert_eq(sqlite3_step(q), SQLITE_ROW, "%s has no rows", path);
    snprintf(out, 72, "%s", sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    sqlite3_close(db);
}

static bool
s_is_token(const char *s)
{
    if (strncmp(s, "h:", 2) != 0 || strlen(s) != 34)
        return false;
    for (const char *p = s + 2; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

//  Checks the copy's member tokens against the source's members: every
//  non-empty member a token, one token per member and one member per
//  token (within this pair and against map, which grows: across ledgers
//  under one key). Returns how many members have two or more rows.
typedef struct {
    char member[64], token[64];
} s_pair_t;

typedef struct {
    s_pair_t *p;
    size_t n;
} s_map_t;

static size_t
s_tokens(const char *src, const char *out, s_map_t *map)
{
    s_members_t a, b;
    s_members(src, &a);
    s_members(out, &b);
    cr_assert_eq(a.n, b.n, "%s: %zu rows, %s: %zu", src, a.n, out, b.n);
    size_t repeated = 0;
    for (size_t i = 0; i < a.n; i++) {
        if (a.member[i][0] == '\0' || a.member[i][0] == '\x01') {
            cr_assert_str_eq(b.member[i], a.member[i], "seq %zu", i + 1);
            continue;
        }
        cr_assert(s_is_token(b.member[i]), "seq %zu: \"%s\" is not a token",
                  i + 1, b.member[i]);
        size_t k;
        for (k = 0; k < map->n; k++)
            if (strcmp(map->p[k].member, a.member[i]) == 0 ||
                strcmp(map->p[k].token, b.member[i]) == 0)
                break;
        if (k == map->n) {
            map->p = realloc(map->p, (map->n + 1) * sizeof *map->p);
            snprintf(map->p[k].member, 64, "%s", a.member[i]);
            snprintf(map->p[k].token, 64, "%s", b.member[i]);
            map->n++;
            continue;
        }
        cr_assert_str_eq(map->p[k].member, a.member[i],
                         "seq %zu: one token for two members", i + 1);
        cr_assert_str_eq(map->p[k].token, b.member[i],
                         "seq %zu: one member, two tokens", i + 1);
        repeated++;
    }
    free(a.member);
    free(b.member);
    return repeated;
}

//  Under another key: a different token on every row with a member.
static void
s_tokens_differ(const char *out1, const char *out2)
{
    s_members_t a, b;
    s_members(out1, &a);
    s_members(out2, &b);
    cr_assert_eq(a.n, b.n);
    size_t n = 0;
    for (size_t i = 0; i < a.n; i++) {
        if (!s_is_token(a.member[i]))
            continue;
        cr_assert(s_is_token(b.member[i]));
        cr_assert_str_neq(a.member[i], b.member[i],
                          "seq %zu: the same token under two keys", i + 1);
        n++;
    }
    cr_assert_gt(n, 0);
    free(a.member);
    free(b.member);
}

//  `ledger verify` holds on the copy, with the source's counts, and names
//  it an export of the source's final chain hash.
static void
s_verify_copy(const char *src, const char *out)
{
    cq_run_t r1, r2;
    int st = cq_proc_claimq(&r1, 60, "ledger", "verify", src, NULL);
    cr_assert_eq(st, 0, "verify %s: %s%s", src, r1.out, r1.err);
    st = cq_proc_claimq(&r2, 60, "ledger", "verify", out, NULL);
    cr_assert_eq(st, 0, "verify %s: exit %d: %s%s", out, st, r2.out, r2.err);
    //  "N rows: ... markers;" the same
    const char *a = strstr(r1.out, " rows: "), *b = strstr(r2.out, " rows: ");
    cr_assert(a && b);
    while (a > r1.out && a[-1] != ' ')
        a--;
    while (b > r2.out && b[-1] != ' ')
        b--;
    size_t n = strcspn(a, ";");
    cr_assert(strncmp(a, b, n) == 0, "%s\n%s", r1.out, r2.out);
    char hash[72], want[200];
    s_last_hash(src, hash);
    snprintf(want, sizeof want,
             "a redacted export, not the node's ledger: made from %.*s rows "
             "whose chain ends with hash %s",
             (int)strcspn(a, " "), a, hash);
    s_has(r2.out, want);
    cr_assert_null(strstr(r1.out, "export"), "%s", r1.out);
    cq_run_free(&r1);
    cq_run_free(&r2);
    char v[128];
    s_meta(out, "export", v, sizeof v);
    cr_assert_str_eq(v, "redacted");
    s_meta(out, "export_of_hash", v, sizeof v);
    cr_assert_str_eq(v, hash);
}

//  `ledger query` prints the same decisions, in the same order: claim ids,
//  amounts, outcomes, seqs (and everything else but "review", which the
//  copy redacts). Returns the number.
static size_t
s_query_same(const char *src, const char *out)
{
    cq_run_t r1, r2;
    cr_assert_eq(cq_proc_claimq(&r1, 60, "ledger", "query", src, NULL), 0, "%s",
                 r1.err);
    cr_assert_eq(cq_proc_claimq(&r2, 60, "ledger", "query", out, NULL), 0, "%s",
                 r2.err);
    char *s1 = NULL, *s2 = NULL;
    char *l1 = strtok_r(r1.out, "\n", &s1), *l2 = strtok_r(r2.out, "\n", &s2);
    size_t n = 0;
    for (; l1 && l2;
         l1 = strtok_r(NULL, "\n", &s1), l2 = strtok_r(NULL, "\n", &s2)) {
        json_t *a = json_loads(l1, 0, NULL), *b = json_loads(l2, 0, NULL);
        cr_assert(a && b, "%s\n%s", l1, l2);
        const char *keys[] = {"claim_id",
                              "payer_id",
                              "decision",
                              "billed",
                              "allowed",
                              "paid",
                              "patient_responsibility"};
        for (size_t k = 0; k < sizeof keys / sizeof *keys; k++)
            cr_assert_str_eq(json_string_value(json_object_get(a, keys[k])),
                             json_string_value(json_object_get(b, keys[k])),
                             "%s", keys[k]);
        json_object_del(a, "review");
        json_object_del(b, "review");
        cr_assert(json_equal(a, b), "%s\n%s", l1, l2);
        json_decref(a);
        json_decref(b);
        n++;
    }
    cr_assert(l1 == NULL && l2 == NULL, "a different number of decisions");
    cq_run_free(&r1);
    cq_run_free(&r2);
    return n;
}

//  ---- ledgers a cluster wrote
//  ------------------------------------------------

static void
s_said(cq_buf_t *said, const cq_run_t *r)
{
    if (r->out)
        cq_buf_addstr(said, r->out);
    if (r->err)
        cq_buf_addstr(said, r->err);
}

Test(redact, cluster_ledgers, .timeout = 600)
{
    char dir[1024];
    s_tmpdir(dir, sizeof dir);
    cr_assert_eq(cq_proc_gen(dir, 300, 25), 0);
    cr_assert_eq(cq_proc_cluster(&s_cl, dir, 2, 200, NULL), 0);
    char in[1100], outp[1100];
    snprintf(in, sizeof in, "%s/claims.jsonl", dir);
    snprintf(outp, sizeof outp, "%s/decisions.jsonl", dir);
    cq_run_t r;
    int st =
        cq_proc_claimq(&r, 300, "submit", "--broker", s_cl.frontend, "--batch",
                       "b-redact", "--wait", "--output", outp, in, NULL);
    cr_assert(st == 0 || st == 5, "submit: exit %d: %s", st, r.err);
    cq_run_free(&r);

    char w[2][1100], key1[1100], key2[1100], live[1100];
    for (int i = 0; i < 2; i++)
        snprintf(w[i], sizeof w[i], "%s/w%d.ledger", dir, i + 1);
    snprintf(key1, sizeof key1, "%s/audit1.key", dir);
    snprintf(key2, sizeof key2, "%s/audit2.key", dir);
    snprintf(live, sizeof live, "%s/live.db", dir);
    cq_buf_t said; // every message the exports printed
    cq_buf_init(&said, 1u << 24);

    //  while the node has its ledger open: read-only, its own snapshot;
    //  under a umask that would leave the owner no write bit
    mode_t um = umask(0277);
    st = s_export(&r, key1, live, w[0]);
    umask(um);
    cr_assert_eq(st, 0, "exit %d: %s%s", st, r.out, r.err);
    s_has(r.err, "did not exist: wrote a new random key");
    s_said(&said, &r);
    cq_run_free(&r);
    s_mode_0600(live);
    s_mode_0600(key1);
    struct stat sb;
    cr_assert_eq(stat(key1, &sb), 0);
    cr_assert_eq(sb.st_size, 32);
    st = cq_proc_claimq(&r, 60, "ledger", "verify", live, NULL);
    cr_assert_eq(st, 0, "%s%s", r.out, r.err);
    s_has(r.out, "a redacted export");
    cq_run_free(&r);

    cr_assert_eq(cq_cluster_stop(&s_cl), 0);

    size_t len = 0;
    char path[1100];
    snprintf(path, sizeof path, "%s/members.jsonl", dir);
    char *roster = cq_test_read(path, &len);
    cr_assert_not_null(roster);
    s_strs_t needles = {0};
    s_needles(roster, len, &needles);
    free(roster);

    s_map_t map = {0};
    size_t repeated = 0, decisions = 0;
    for (int i = 0; i < 2; i++) {
        char o1[1100], o2[1100];
        snprintf(o1, sizeof o1, "%s/w%d.key1.db", dir, i + 1);
        snprintf(o2, sizeof o2, "%s/w%d.key2.db", dir, i + 1);
        //  the source holds member ids (the search means something); ids
        //  of claims whose member is not in the roster are searched too
        s_members_t m;
        s_members(w[i], &m);
        cr_assert_gt(m.n, 10, "%s: %zu rows", w[i], m.n);
        size_t known = 0;
        for (size_t k = 0; k < m.n; k++) {
            bool have = false;
            for (size_t j = 0; j < needles.n && !have; j++)
                have = strcmp(m.member[k], needles.s[j]) == 0;
            known += have;
            if (!have && m.member[k][0] != '\0' && m.member[k][0] != '\x01')
                s_add(&needles, m.member[k]);
        }
        cr_assert_gt(known, m.n / 2, "%s: members not in the roster", w[i]);
        free(m.member);

        st = s_export(&r, key1, o1, w[i]);
        cr_assert_eq(st, 0, "exit %d: %s%s", st, r.out, r.err);
        cr_assert_null(strstr(r.err, "new random key"), "%s", r.err);
        s_has(r.out, "redacted export of");
        char hash[72];
        s_last_hash(w[i], hash);
        s_has(r.out, hash);
        s_said(&said, &r);
        cq_run_free(&r);
        st = s_export(&r, key2, o2, w[i]);
        cr_assert_eq(st, 0, "exit %d: %s%s", st, r.out, r.err);
        s_said(&said, &r);
        cq_run_free(&r);

        s_mode_0600(o1);
        s_clean(o1, &needles);
        s_clean(o2, &needles);
        repeated += s_tokens(w[i], o1, &map);
        s_tokens_differ(o1, o2);
        s_verify_copy(w[i], o1);
        decisions += s_query_same(w[i], o1);
        s_query_same(w[i], o2);
    }
    //  one member, several claims, one token (across both nodes' ledgers)
    cr_assert_gt(repeated, 0);
    cr_assert_geq(map.n, 10, "%zu members", map.n);
    cr_assert_geq(decisions, 300);
    //  the copy made while the node ran is clean too
    s_clean(live, &needles);
    //  the same key id in exports made with the same key, another with
    //  another
    char k1a[64], k1b[64], k2[64];
    snprintf(path, sizeof path, "%s/w1.key1.db", dir);
    s_meta(path, "export_key_id", k1a, sizeof k1a);
    s_meta(live, "export_key_id", k1b, sizeof k1b);
    snprintf(path, sizeof path, "%s/w1.key2.db", dir);
    s_meta(path, "export_key_id", k2, sizeof k2);
    cr_assert(s_is_token(k1a), "%s", k1a);
    cr_assert_str_eq(k1a, k1b);
    cr_assert_str_neq(k1a, k2);
    //  no member value in what the exports printed
    cq_buf_add(&said, "", 1);
    for (size_t j = 0; j < needles.n; j++)
        cr_assert_null(strstr(said.data, needles.s[j]), "\"%s\" printed",
                       needles.s[j]);
    cq_buf_free(&said);
    free(map.p);
    s_strs_free(&needles);
}

//  ---- review audits and orphans, through the ledger API ---------------------

#define S_CLAIMS 40
#define S_REVIEWED 6 // claims 30..35 are releases of a reviewer

static char s_roster[1 << 16];
static size_t s_roster_len;

//  Decides the generated claims into a log ledger of node w1 as a worker
//  does; claims 30..35 as a reviewer's releases whose audits change the
//  member's id, name and birth date; claims 3 and 4 marked orphan.
static void
s_ledger(const char *path)
{
    cq_log_set_level(CQ_LOG_ERROR);
    cq_gen_opts_t o;
    cq_gen_opts_default(&o);
    o.n_members = 8;
    o.n_claims = S_CLAIMS;
    cq_gen_t *gen = cq_gen_new(&o);
    cr_assert_not_null(gen);
    cq_buf_t plan, roster;
    cq_buf_init(&plan, 1 << 24);
    cq_buf_init(&roster, 1 << 24);
    cr_assert_eq(cq_gen_plan_json(gen, &plan), 0);
    cr_assert_eq(cq_gen_members_jsonl(gen, &roster), 0);
    cr_assert_lt(roster.len, sizeof s_roster);
    memcpy(s_roster, roster.data, roster.len);
    s_roster_len = roster.len;
    cq_diag_t diag = {0};
    cq_plan_rules_t *r = cq_plan_parse(plan.data, plan.len, "plan", &diag);
    cr_assert_not_null(r, "%s", diag.msg);
    cq_roster_t *m = cq_roster_parse(roster.data, roster.len, "roster", &diag);
    cr_assert_not_null(m, "%s", diag.msg);
    cq_engine_t *eng = cq_engine_new_from(&r, &m);
    cq_engine_set_node(eng, "w1");
    cq_ledger_t *l = cq_ledger_open_log(path, "w1", &diag);
    cr_assert_not_null(l, "%s", diag.msg);
    cq_state_t *st = cq_ledger_session_state(l);
    static cq_claim_t c;
    static cq_decision_t d;
    for (size_t i = 0; i < S_CLAIMS; i++) {
        cq_gen_claim(gen, i, &c);
        if (i >= 30 && i < 30 + S_REVIEWED) {
            char iso[CQ_DATE_STRLEN], form[16], name1[200], name2[200];
            cq_date_format(c.member.birth_date, iso);
            snprintf(form, sizeof form, "%.2s %.2s %.4s", iso + 5, iso + 8,
                     iso);
            snprintf(name1, sizeof name1, "%s, %s", c.member.last_name,
                     c.member.first_name);
            snprintf(name2, sizeof name2, "%s %s", c.member.last_name,
                     c.member.first_name);
            json_t *a = json_pack(
                "{s:s, s:s, s:[{s:s, s:s, s:s}, {s:s, s:s, s:s}, {s:s, s:s, "
                "s:s}, {s:s, s:s, s:s}]}",
                "reviewer", "alice", "action", "corrected", "changes", "field",
                "member.id", "old", c.member.id, "new", c.member.id, "field",
                "member.name", "old", name1, "new", name2, "field",
                "member.birth_date", "old", form, "new", iso, "field",
                "prior_auth", "old", "", "new", "PA-1");
            char *txt = json_dumps(a, JSON_COMPACT | JSON_PRESERVE_ORDER);
            json_decref(a);
            snprintf(c.review_audit, sizeof c.review_audit, "%s", txt);
            free(txt);
            c.review = 1;
            snprintf(c.supersedes_node, sizeof c.supersedes_node, "w1");
            c.supersedes_seq = 1;
        }
        cr_assert_eq(cq_engine_decide(eng, st, &c, cq_gen_today(gen), &d, NULL),
                     0);
        cr_assert_eq(d.ledger_seq, (int64_t)i + 1);
    }
    cr_assert_eq(cq_ledger_commit(l), 0);
    const uint64_t orphans[][2] = {{4, 5}};
    size_t marked = 0;
    cr_assert_eq(cq_ledger_mark_orphans(l, orphans, 1, 0, &marked), 0);
    cr_assert_eq(marked, 2);
    cq_state_destroy(&st);
    cq_ledger_destroy(&l);
    cq_engine_destroy(&eng);
    cq_gen_destroy(&gen);
    cq_buf_free(&plan);
    cq_buf_free(&roster);
}

//  A ledger's decisions as `ledger query` prints them, at [ledger_seq - 1]
//  (null at markers).
static json_t *
s_by_seq(const char *ledger)
{
    cq_run_t r;
    int st = cq_proc_claimq(&r, 60, "ledger", "query", ledger, NULL);
    cr_assert_eq(st, 0, "%s", r.err);
    json_t *all = json_array();
    char *sv = NULL;
    for (char *l = strtok_r(r.out, "\n", &sv); l;
         l = strtok_r(NULL, "\n", &sv)) {
        json_t *j = json_loads(l, 0, NULL);
        cr_assert_not_null(j, "%s", l);
        size_t seq =
            (size_t)json_integer_value(json_object_get(j, "ledger_seq"));
        cr_assert_gt(seq, 0);
        while (json_array_size(all) < seq)
            json_array_append_new(all, json_null());
        json_array_set_new(all, seq - 1, j);
    }
    cq_run_free(&r);
    return all;
}

Test(redact, review_values_and_orphans, .timeout = 300)
{
    char tmp[1024];
    s_tmpdir(tmp, sizeof tmp);
    char src[1100], out[1100], out2[1100], key[1100], key2[1100];
    snprintf(src, sizeof src, "%s/w1.ledger", tmp);
    snprintf(out, sizeof out, "%s/w1.redacted.db", tmp);
    snprintf(out2, sizeof out2, "%s/w1.redacted2.db", tmp);
    snprintf(key, sizeof key, "%s/k", tmp);
    snprintf(key2, sizeof key2, "%s/k2", tmp);
    s_ledger(src);
    s_strs_t needles = {0};
    s_needles(s_roster, s_roster_len, &needles);
    //  the source holds names and birth dates (in the audits)
    size_t before_len = 0;
    char *before = cq_test_read(src, &before_len);
    cr_assert_not_null(before);
    cr_assert_geq(s_found(src, &needles, NULL), 6);

    cq_run_t r;
    int st = s_export(&r, key, out, src);
    cr_assert_eq(st, 0, "exit %d: %s%s", st, r.out, r.err);
    s_has(r.out, "42 rows (40 decisions)");
    cq_run_free(&r);
    cr_assert_eq(s_export(&r, key2, out2, src), 0, "%s", r.err);
    cq_run_free(&r);

    //  the source was not written
    size_t after_len = 0;
    char *after = cq_test_read(src, &after_len);
    cr_assert(after_len == before_len && memcmp(before, after, after_len) == 0,
              "the source ledger changed");
    free(before);
    free(after);

    s_mode_0600(out);
    s_clean(out, &needles);
    s_clean(out2, &needles);
    s_map_t map = {0};
    cr_assert_gt(s_tokens(src, out, &map), 0);
    s_tokens_differ(out, out2);
    s_verify_copy(src, out);
    s_verify_copy(src, out2);
    cr_assert_eq(s_query_same(src, out), 40); // orphans too, not markers
    //  the orphans stay orphans
    cr_assert_eq(
        cq_proc_claimq(&r, 60, "ledger", "query", out, "--orphans", NULL), 0);
    size_t lines = 0;
    for (const char *p = r.out; (p = strchr(p, '\n')) != NULL; p++)
        lines++;
    cr_assert_eq(lines, 2, "%s", r.out);
    cq_run_free(&r);

    //  a reviewed decision: who and how stay; every value is a token, the
    //  member id's the same as the member column's ("" stays "")
    s_members_t om;
    s_members(out, &om);
    json_t *sq = s_by_seq(src), *oq = s_by_seq(out);
    for (int k = 0; k < S_REVIEWED; k++) {
        size_t seq = 31 + (size_t)k;
        json_t *sd = json_array_get(sq, seq - 1),
               *d = json_array_get(oq, seq - 1);
        cr_assert(json_is_object(sd) && json_is_object(d), "seq %zu", seq);
        json_t *rv = json_object_get(d, "review");
        cr_assert_str_eq(json_string_value(json_object_get(rv, "reviewer")),
                         "alice");
        cr_assert_str_eq(json_string_value(json_object_get(rv, "action")),
                         "corrected");
        json_t *ch = json_object_get(rv, "changes");
        cr_assert_eq(json_array_size(ch), 4);
        const char *fields[] = {"member.id", "member.name", "member.birth_date",
                                "prior_auth"};
        for (size_t i = 0; i < 4; i++) {
            json_t *c = json_array_get(ch, i);
            cr_assert_str_eq(json_string_value(json_object_get(c, "field")),
                             fields[i]);
            const char *ov = json_string_value(json_object_get(c, "old"));
            const char *nv = json_string_value(json_object_get(c, "new"));
            cr_assert(ov && nv);
            cr_assert(i == 3 ? ov[0] == '\0' : s_is_token(ov), "%s", ov);
            cr_assert(s_is_token(nv), "%s", nv);
        }
        //  the member id: one token in the audit and in the member column
        json_t *c0 = json_array_get(ch, 0);
        cr_assert_str_eq(json_string_value(json_object_get(c0, "old")),
                         om.member[seq - 1]);
        //  the source's audit held the values themselves
        json_t *sc0 = json_array_get(
            json_object_get(json_object_get(sd, "review"), "changes"), 0);
        cr_assert(!s_is_token(json_string_value(json_object_get(sc0, "old"))));
        //  the supersedes link stays
        cr_assert(json_equal(json_object_get(d, "supersedes"),
                             json_object_get(sd, "supersedes")));
    }
    json_decref(sq);
    json_decref(oq);
    free(om.member);
    //  the chains differ (the audits changed), each holds
    char h1[72], h2[72];
    s_last_hash(src, h1);
    s_last_hash(out, h2);
    cr_assert_str_neq(h1, h2);
    free(map.p);
    s_strs_free(&needles);
}

//  ---- refusals
//  ---------------------------------------------------------------

Test(redact, refusals, .timeout = 300)
{
    char tmp[1024];
    s_tmpdir(tmp, sizeof tmp);
    char src[1100], out[1100], key[1100], path[1100];
    snprintf(src, sizeof src, "%s/w1.ledger", tmp);
    snprintf(out, sizeof out, "%s/out.db", tmp);
    snprintf(key, sizeof key, "%s/k", tmp);
    s_ledger(src);
    cq_run_t r;

    //  without --redact: usage, nothing made (not even the key)
    int st = cq_proc_claimq(&r, 60, "ledger", "export", "--key", key, "--out",
                            out, src, NULL);
    cr_assert_eq(st, 2, "exit %d: %s", st, r.err);
    s_has(r.err, "only a redacted export is offered");
    s_has(r.err, "--redact");
    s_has(r.err, "Try 'claimq ledger --help'");
    cr_assert_eq(r.out_len, 0);
    cq_run_free(&r);
    cr_assert(!s_exists(out) && !s_exists(key));
    //  --key, --out, one LEDGER
    cr_assert_eq(cq_proc_claimq(&r, 60, "ledger", "export", "--redact", "--out",
                                out, src, NULL),
                 2);
    s_has(r.err, "--key");
    cq_run_free(&r);
    cr_assert_eq(cq_proc_claimq(&r, 60, "ledger", "export", "--redact", "--key",
                                key, src, NULL),
                 2);
    s_has(r.err, "--out");
    cq_run_free(&r);
    cr_assert_eq(cq_proc_claimq(&r, 60, "ledger", "export", "--redact", "--key",
                                key, "--out", out, src, src, NULL),
                 2);
    cq_run_free(&r);
    cr_assert_eq(cq_proc_claimq(&r, 60, "ledger", "export", "--redact", "--key",
                                key, "--out", out, NULL),
                 2);
    cq_run_free(&r);
    cr_assert(!s_exists(out) && !s_exists(key));

    //  OUT exists: refused, untouched
    cr_assert_eq(cq_test_write(out, "keep me", 7), 0);
    st = s_export(&r, key, out, src);
    cr_assert_eq(st, 1, "exit %d: %s", st, r.err);
    s_has(r.err, "already exists");
    s_has(r.err, out);
    cq_run_free(&r);
    size_t n = 0;
    char *kept = cq_test_read(out, &n);
    cr_assert(n == 7 && memcmp(kept, "keep me", 7) == 0);
    free(kept);
    //  nor through a symbolic link (to a file that does not exist yet)
    snprintf(path, sizeof path, "%s/link.db", tmp);
    char target[1100];
    snprintf(target, sizeof target, "%s/target.db", tmp);
    cr_assert_eq(symlink(target, path), 0);
    st = s_export(&r, key, path, src);
    cr_assert_eq(st, 1, "exit %d: %s", st, r.err);
    cq_run_free(&r);
    cr_assert(!s_exists(target));
    //  the source itself as OUT
    st = s_export(&r, key, src, src);
    cr_assert_eq(st, 1, "exit %d: %s", st, r.err);
    cq_run_free(&r);

    //  a key of the wrong size, or not a file: refused, nothing written;
    //  the message names the file and the size, not the bytes
    snprintf(out, sizeof out, "%s/out2.db", tmp);
    const size_t sizes[] = {0, 16, 31, 33, 64};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        char bad[1100], bytes[64];
        snprintf(bad, sizeof bad, "%s/bad%zu.key", tmp, sizes[i]);
        memset(bytes, 'K', sizeof bytes);
        cr_assert_eq(cq_test_write(bad, bytes, sizes[i]), 0);
        st = s_export(&r, bad, out, src);
        cr_assert_eq(st, 3, "%zu bytes: exit %d: %s", sizes[i], st, r.err);
        s_has(r.err, bad);
        s_has(r.err, "exactly 32 bytes");
        cr_assert_null(strstr(r.err, "KKKK"));
        cq_run_free(&r);
        cr_assert(!s_exists(out));
    }
    st = s_export(&r, tmp, out, src); // a directory
    cr_assert_eq(st, 3, "exit %d: %s", st, r.err);
    s_has(r.err, "not a regular file");
    cq_run_free(&r);
    snprintf(path, sizeof path, "%s/no/such/dir/k", tmp);
    st = s_export(&r, path, out, src); // cannot be made
    cr_assert_eq(st, 3, "exit %d: %s", st, r.err);
    s_has(r.err, "cannot create the key");
    cq_run_free(&r);
    cr_assert(!s_exists(out));

    //  a key readable by others works, with a warning
    snprintf(path, sizeof path, "%s/open.key", tmp);
    cr_assert_eq(cq_test_write(path, "0123456789abcdef0123456789abcdef", 32),
                 0);
    cr_assert_eq(chmod(path, 0644), 0);
    st = s_export(&r, path, out, src);
    cr_assert_eq(st, 0, "exit %d: %s", st, r.err);
    s_has(r.err, "can be read by other users");
    cq_run_free(&r);
    s_mode_0600(out);

    //  --help documents it
    cr_assert_eq(cq_proc_claimq(&r, 60, "ledger", "export", "--help", NULL), 0);
    const char *words[] = {"export --redact --key KEYFILE --out OUT LEDGER",
                           "--redact",
                           "--key",
                           "--out",
                           "BLAKE2b",
                           "0600"};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        s_has(r.out, words[i]);
    cq_run_free(&r);
    cr_assert_eq(cq_proc_claimq(&r, 60, "ledger", "exprot", NULL), 2);
    s_has(r.err, "did you mean 'export'?");
    cq_run_free(&r);
}

//  ---- inputs that are not ledgers ------------------------------------------

static void
s_sql(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    char *why = NULL;
    cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, &why), SQLITE_OK, "%s",
                 why ? why : "");
    sqlite3_close(db);
}

//  Changes one byte of the claim id in row seq's stored decision.
static void
s_tamper(const char *path, int seq)
{
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *q = NULL;
    sqlite3_prepare_v2(db, "SELECT body FROM decisions WHERE seq = ?", -1, &q,
                       NULL);
    sqlite3_bind_int(q, 1, seq);
    cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
    size_t n = (size_t)sqlite3_column_bytes(q, 0);
    unsigned char *body = malloc(n);
    memcpy(body, sqlite3_column_blob(q, 0), n);
    sqlite3_finalize(q);
    unsigned char *at = s_memmem(body, n, "PCN-", 4);
    cr_assert_not_null(at);
    at[3] = '_';
    sqlite3_prepare_v2(db, "UPDATE decisions SET body = ? WHERE seq = ?", -1,
                       &q, NULL);
    sqlite3_bind_blob(q, 1, body, (int)n, SQLITE_STATIC);
    sqlite3_bind_int(q, 2, seq);
    cr_assert_eq(sqlite3_step(q), SQLITE_DONE);
    sqlite3_finalize(q);
    sqlite3_close(db);
    free(body);
}

//  Export of src fails with exit `want`, a message naming the file and
//  containing `what`, no crash, and no OUT left behind.
static void
s_refused(const char *tmp, const char *src, int want, const char *what)
{
    char out[1100], key[1100];
    snprintf(out, sizeof out, "%s/never.db", tmp);
    snprintf(key, sizeof key, "%s/k", tmp);
    cq_run_t r;
    int st = s_export(&r, key, out, src);
    cr_assert_eq(st, want, "%s: exit %d: %s", src, st, r.err);
    s_has(r.err, src);
    s_has(r.err, what);
    cr_assert_eq(r.out_len, 0, "%s", r.out);
    cq_run_free(&r);
    cr_assert(!s_exists(out), "%s: OUT left behind", src);
    char j[1200];
    snprintf(j, sizeof j, "%s-journal", out);
    cr_assert(!s_exists(j));
}

Test(redact, inputs_that_are_not_ledgers, .timeout = 300)
{
    char tmp[1024];
    s_tmpdir(tmp, sizeof tmp);
    char p[1100];
    snprintf(p, sizeof p, "%s/text.ledger", tmp);
    cr_assert_eq(cq_test_write(p, "not a ledger at all\n", 20), 0);
    s_refused(tmp, p, 3, "not a ledger");
    char junk[8192];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (char)(i * 131 + 7);
    memcpy(junk, "SQLite format 3", 16); // a header, then garbage
    snprintf(p, sizeof p, "%s/junk.ledger", tmp);
    cr_assert_eq(cq_test_write(p, junk, sizeof junk), 0);
    s_refused(tmp, p, 3, "ledger");
    snprintf(p, sizeof p, "%s/empty.ledger", tmp);
    cr_assert_eq(cq_test_write(p, "", 0), 0);
    s_refused(tmp, p, 3, "not a ledger");
    snprintf(p, sizeof p, "%s/other.db", tmp);
    s_sql(p, "CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('x');");
    s_refused(tmp, p, 3, "not a ledger");
    //  looks like one, lacks its tables
    snprintf(p, sizeof p, "%s/half.db", tmp);
    s_sql(p, "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name "
             "TEXT, applied_at TEXT); INSERT INTO schema_version VALUES (2, "
             "'x', 'y'); CREATE TABLE rules (id INTEGER PRIMARY KEY, version "
             "TEXT); CREATE TABLE meta (key TEXT, value TEXT);");
    s_refused(tmp, p, 3, "not a ledger");
    //  a newer schema than this program knows
    char src[1100];
    snprintf(src, sizeof src, "%s/new.ledger", tmp);
    s_ledger(src);
    s_sql(src, "INSERT INTO schema_version VALUES (99, 'future', 'now')");
    s_refused(tmp, src, 3, "schema version 99");
    snprintf(p, sizeof p, "%s/no/such.ledger", tmp);
    s_refused(tmp, p, 3, "cannot open");

    //  a broken chain: refused (exit 1, the seq named), nothing written
    snprintf(src, sizeof src, "%s/tampered.ledger", tmp);
    s_ledger(src);
    s_tamper(src, 7);
    s_refused(tmp, src, 1, "hash chain broken at seq 7");

    //  an empty ledger is a ledger: a copy of 0 rows
    snprintf(src, sizeof src, "%s/empty-ledger.db", tmp);
    cq_diag_t diag = {0};
    cq_ledger_t *l = cq_ledger_open_log(src, "w9", &diag);
    cr_assert_not_null(l, "%s", diag.msg);
    cq_ledger_destroy(&l);
    char out[1100], key[1100];
    snprintf(out, sizeof out, "%s/empty-copy.db", tmp);
    snprintf(key, sizeof key, "%s/k", tmp);
    cq_run_t r;
    cr_assert_eq(s_export(&r, key, out, src), 0, "%s", r.err);
    s_has(r.out, "0 rows (0 decisions)");
    cq_run_free(&r);
    cr_assert_eq(cq_proc_claimq(&r, 60, "ledger", "verify", out, NULL), 0, "%s",
                 r.err);
    s_has(r.out, "0 rows");
    s_has(r.out, "a redacted export");
    cq_run_free(&r);
}
