//  The broker's journal (broker/journal.h): records written by a commit
//  come back from a load in order; nothing is written before a commit; a
//  corrupt or newer file is refused naming the file; compaction moves a
//  finished batch's claims into the archive.
#include "cq_test.h"
#include "capture.h"
#include "journal.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    char log[8192];
    size_t n;
} s_trace_t;

static void s_add(s_trace_t *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
s_add(s_trace_t *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(t->log + t->n, sizeof t->log - t->n, fmt, ap);
    va_end(ap);
    if (k > 0 && t->n + (size_t)k < sizeof t->log)
        t->n += (size_t)k;
}

static int
s_batch(void *arg, uint32_t id, const char *batch_id, int64_t ms,
        const char *tenants)
{
    s_add(arg, "B%u:%s:%lld:%s ", id, batch_id, (long long)ms, tenants);
    return 0;
}

static int
s_doc(void *arg, uint32_t id, uint32_t batch, uint32_t pos, const char *name,
      uint32_t first, int32_t rd, bool rd_set, const uint8_t *digest,
      const void *data, size_t len, size_t size)
{
    s_add(arg, "D%u:%u:%u:%s:%u:%d%s:%02x:%s:%zu ", id, batch, pos, name, first,
          rd, rd_set ? "(set)" : "", digest[0], data ? "data" : "nodata", size);
    (void)len;
    return 0;
}

static int
s_intake(void *arg, uint32_t doc, uint64_t seq, int32_t status,
         const char *message, uint32_t n_claims, uint32_t refused_sets,
         uint32_t refused_claims)
{
    s_add(arg, "I%u:%llu:%d:%s:%u ", doc, (unsigned long long)seq, status,
          message, n_claims);
    if (refused_sets || refused_claims)
        s_add(arg, "refused:%u/%u ", refused_sets, refused_claims);
    return 0;
}

static int
s_ack(void *arg, uint32_t doc, const void *ack, size_t len)
{
    s_add(arg, "A%u:%.*s ", doc, (int)len, (const char *)ack);
    return 0;
}

static int
s_claim(void *arg, uint32_t id, const char *key, uint32_t shard, uint32_t batch,
        uint32_t doc, uint32_t idx, const void *body, size_t len,
        const char *archived)
{
    s_add(arg, "C%u:%s:%u:%d:%d:%d:%.*s:%s ", id, key, shard, (int)batch,
          (int)doc, (int)idx, (int)len, (const char *)body,
          archived ? archived : "-");
    return 0;
}

static int
s_ref(void *arg, uint32_t doc, uint32_t idx, uint32_t claim)
{
    s_add(arg, "R%u:%u:%u ", doc, idx, claim);
    return 0;
}

static int
s_decision(void *arg, uint32_t claim, uint64_t seq, uint32_t result,
           const char *node, const char *ledger_id, uint64_t ledger_seq,
           int outcome, const void *body, size_t len)
{
    s_add(arg, "X%u:%llu:%d:%s:%s:%llu:%d:%.*s ", claim,
          (unsigned long long)seq, (int)result, node, ledger_id,
          (unsigned long long)ledger_seq, outcome, (int)len,
          (const char *)body);
    return 0;
}

static int
s_event(void *arg, const char *kind, uint32_t target, const char *node,
        uint32_t attempts, const char *detail, int64_t ms)
{
    s_add(arg, "E%s:%u:%s:%u:%s:%lld ", kind, target, node ? node : "-",
          attempts, detail ? detail : "-", (long long)ms);
    return 0;
}

static const cq_journal_loader_t s_loader = {
    s_batch, s_doc, s_intake, s_claim, s_ref, s_decision, s_event, s_ack, NULL};

static void
s_load(cq_journal_t *j, s_trace_t *t)
{
    memset(t, 0, sizeof *t);
    cq_diag_t diag = {0};
    cr_assert_eq(cq_journal_load(j, &s_loader, t, &diag), 0, "%s", diag.msg);
}

//  One batch: two documents, three entries (one a reference), decisions
//  made out of claim order in two results, an empty result (not
//  written), an event.
static void
s_fill(cq_journal_t *j)
{
    uint8_t dg[32] = {0xab};
    cq_journal_batch(j, 0, "b1", 1000, "P1,P2");
    cq_journal_doc(j, 0, 0, 0, "a.jsonl", 1, 20000, 1001, dg, "AAAA", 4);
    cq_journal_doc(j, 1, 0, 1, "b.jsonl", 3, 20000, 1002, dg, "BB", 2);
    cq_journal_intake_begin(j, 0, 1, 0, NULL, 2, 0, 0);
    cq_journal_entry_claim(j, 0, "P|1|c1|1", 7, "c1", 2);
    cq_journal_entry_claim(j, 1, "P|1|c2|1", 9, "c2", 2);
    cq_journal_intake_end(j);
    cq_journal_intake_begin(j, 1, 2, -20, "bad record", 1, 0, 0);
    cq_journal_entry_ref(j, 0);
    cq_journal_intake_end(j);
    cq_journal_result_begin(j, 0, "w2", "L2", 77, 1003);
    cq_journal_result_item(j, 1, 1, 5, 1, "d2", 2);
    cq_journal_result_end(j);
    cq_journal_result_begin(j, 1, "w1", "L1", 78, 1004);
    cq_journal_result_item(j, 0, 2, 9, 0, "d1", 2);
    cq_journal_result_end(j);
    cq_journal_result_begin(j, 2, "w1", "L1", 79, 1005);
    cq_journal_result_end(j); // nothing in it: not written
    cq_journal_event(j, "shard", 7, "w1", 0, NULL, 1005);
}

Test(journal, commit_then_load_in_order)
{
    const char *dir = cq_test_tmpdir();
    char jdir[1024];
    snprintf(jdir, sizeof jdir, "%s/j", dir);
    cq_diag_t diag = {0};
    cq_journal_t *j = cq_journal_open(jdir, 16, &diag);
    cr_assert_not_null(j, "%s", diag.msg);
    cr_assert_eq(cq_journal_epoch(j), 1);
    cr_assert_eq(cq_journal_shards(j), 16);
    s_fill(j);
    cr_assert_eq(cq_journal_pending(j), 8);
    //  nothing is in the file before the commit
    s_trace_t t;
    s_load(j, &t);
    cr_assert_str_eq(t.log, "");
    cr_assert_eq(cq_journal_commit(j, &diag), 0, "%s", diag.msg);
    cr_assert_eq(cq_journal_pending(j), 0);
    cq_journal_close(&j);
    //  again: a second start, the shard count kept
    j = cq_journal_open(jdir, 256, &diag);
    cr_assert_not_null(j, "%s", diag.msg);
    cr_assert_eq(cq_journal_epoch(j), 2);
    cr_assert_eq(cq_journal_shards(j), 16);
    s_load(j, &t);
    cr_assert_str_eq(
        t.log,
        "B0:b1:1000:P1,P2 "
        "D0:0:0:a.jsonl:1:20000:ab:nodata:4 D1:0:1:b.jsonl:3:20000:ab:nodata:2 "
        "I0:1:0::2 C0:P|1|c1|1:7:0:0:0:c1:- C1:P|1|c2|1:9:0:0:1:c2:- "
        "I1:2:-20:bad record:1 R1:0:0 "
        "X1:1:0:w2:L2:5:1:d2 X0:2:1:w1:L1:9:0:d1 Eshard:7:w1:0:-:1005 ",
        "%s", t.log);
    cq_journal_close(&j);
}

Test(journal, document_bytes_only_until_intake)
{
    const char *dir = cq_test_tmpdir();
    cq_diag_t diag = {0};
    cq_journal_t *j = cq_journal_open(dir, 4, &diag);
    cr_assert_not_null(j);
    uint8_t dg[32] = {1};
    cq_journal_batch(j, 0, "b", 1, "");
    cq_journal_doc(j, 0, 0, 0, "x", 1, 0, 1, dg, "XYZ", 3);
    cr_assert_eq(cq_journal_commit(j, &diag), 0);
    s_trace_t t;
    s_load(j, &t);
    cr_assert(strstr(t.log, "D0:0:0:x:1:0:01:data:3 "), "%s", t.log);
    zmq_msg_t m;
    cr_assert_eq(cq_journal_doc_data(j, 0, &m), 0);
    cr_assert_eq(zmq_msg_size(&m), 3);
    cr_assert_eq(memcmp(zmq_msg_data(&m), "XYZ", 3), 0);
    zmq_msg_close(&m);
    cr_assert_eq(cq_journal_doc_data(j, 5, &m), CQ_ENOTFOUND);
    cq_journal_close(&j);
}

Test(journal, corrupt_or_newer_file_refused_naming_it)
{
    const char *dir = cq_test_tmpdir();
    char path[1100];
    snprintf(path, sizeof path, "%s/journal.db", dir);
    char junk[8192];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (char)(i * 131 + 7);
    cr_assert_eq(cq_test_write(path, junk, sizeof junk), 0);
    cq_diag_t diag = {0};
    cr_assert_null(cq_journal_open(dir, 4, &diag));
    cr_assert(strstr(diag.msg, path), "%s", diag.msg);

    const char *d2 = cq_test_tmpdir();
    cq_journal_t *j = cq_journal_open(d2, 4, &diag);
    cr_assert_not_null(j);
    cq_journal_close(&j);
    snprintf(path, sizeof path, "%s/journal.db", d2);
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db,
                              "INSERT INTO schema_version VALUES (99, "
                              "'9999_future', 'x')",
                              NULL, NULL, NULL),
                 SQLITE_OK);
    sqlite3_close(db);
    memset(&diag, 0, sizeof diag);
    cr_assert_null(cq_journal_open(d2, 4, &diag));
    cr_assert_eq(diag.code, CQ_EUNSUPPORTED);
    cr_assert(strstr(diag.msg, "newer"), "%s", diag.msg);
}

Test(journal, compaction_moves_claims_to_the_archive)
{
    const char *dir = cq_test_tmpdir();
    cq_diag_t diag = {0};
    cq_journal_t *j = cq_journal_open(dir, 16, &diag);
    cr_assert_not_null(j);
    s_fill(j);
    cr_assert_eq(cq_journal_commit(j, &diag), 0);
    //  a second batch whose result row also holds a claim of b1's (the
    //  row is trimmed, not deleted)
    uint8_t dg[32] = {0xcd};
    cq_journal_batch(j, 1, "b2", 3000, "");
    cq_journal_doc(j, 2, 1, 0, "c.jsonl", 1, 20000, 3001, dg, "CC", 2);
    cq_journal_intake_begin(j, 2, 3, 0, NULL, 1, 0, 0);
    cq_journal_entry_claim(j, 2, "P|1|c3|1", 1, "c3", 2);
    cq_journal_intake_end(j);
    cr_assert_eq(cq_journal_commit(j, &diag), 0);
    cq_journal_arch_t arch[2] = {
        {0, "P|1|c1|1", 7, "c1", 2, 2, 1, "w1", "L1", 9, 0, "d1", 2},
        {1, "P|1|c2|1", 9, "c2", 2, 1, 0, "w2", "L2", 5, 1, "d2", 2},
    };
    uint32_t docs[] = {0, 1};
    cr_assert_eq(cq_journal_compact(j, 0, "b1", docs, 2, arch, 2, 2000, &diag),
                 0, "%s", diag.msg);
    s_trace_t t;
    s_load(j, &t);
    //  b1 and its documents are gone; its claims and decisions come back
    //  from the archive, in id and decision order
    cr_assert_str_eq(t.log,
                     "B1:b2:3000: D2:1:0:c.jsonl:1:20000:cd:nodata:2 "
                     "I2:3:0::1 C0:P|1|c1|1:7:-1:-1:-1:c1:b1 "
                     "C1:P|1|c2|1:9:-1:-1:-1:c2:b1 C2:P|1|c3|1:1:1:2:0:c3:- "
                     "X1:1:-1:w2:L2:5:1:d2 X0:2:-1:w1:L1:9:0:d1 "
                     "Eshard:7:w1:0:-:1005 ",
                     "%s", t.log);
    //  nothing is compacted while records wait for a commit
    cq_journal_event(j, "shard", 1, "w1", 0, NULL, 1);
    cr_assert_eq(cq_journal_compact(j, 1, "b2", NULL, 0, NULL, 0, 1, &diag),
                 CQ_EBUSY);
    cr_assert_eq(cq_journal_commit(j, &diag), 0);
    cq_journal_close(&j);
}

//  Issue 9's records: a submitter's received date, transaction sets
//  refused at intake, a document's 999 (after the decisions), and ids that
//  stay used when compaction removes the newest batch.
Test(journal, answers_and_id_floors)
{
    const char *dir = cq_test_tmpdir();
    cq_diag_t diag = {0};
    cq_journal_t *j = cq_journal_open(dir, 4, &diag);
    cr_assert_not_null(j, "%s", diag.msg);
    uint8_t dg[32] = {0x11};
    cq_journal_batch(j, 0, "b", 1, "");
    zmq_msg_t m;
    zmq_msg_init_size(&m, 3);
    memcpy(zmq_msg_data(&m), "ISA", 3);
    cq_journal_doc_msg(j, 0, 0, 0, "x.837", 1, 19000, true, 2, dg, &m);
    zmq_msg_close(&m);
    cq_journal_intake_begin(j, 0, 1, 0, NULL, 1, 2, 7);
    cq_journal_entry_claim(j, 0, "P|1|c1|1", 1, "c1", 2);
    cq_journal_intake_end(j);
    cq_journal_ack(j, 0, "ISA*999", 7);
    cq_journal_result_begin(j, 0, "w", "L", 5, 3);
    cq_journal_result_item(j, 0, 1, 1, 0, "d1", 2);
    cq_journal_result_end(j);
    cq_journal_event(j, "batch_sealed", 0, NULL, 1, NULL, 4);
    cr_assert_eq(cq_journal_commit(j, &diag), 0, "%s", diag.msg);
    s_trace_t t;
    s_load(j, &t);
    cr_assert_str_eq(t.log,
                     "B0:b:1: D0:0:0:x.837:1:19000(set):11:nodata:3 "
                     "I0:1:0::1 refused:2/7 C0:P|1|c1|1:1:0:0:0:c1:- "
                     "X0:1:0:w:L:1:0:d1 A0:ISA*999 "
                     "Ebatch_sealed:0:-:1:-:4 ",
                     "%s", t.log);
    uint32_t nb, nd;
    cq_journal_id_floors(j, &nb, &nd);
    cr_assert_eq(nb, 0);
    cr_assert_eq(nd, 0);
    cq_journal_arch_t arch[1] = {
        {0, "P|1|c1|1", 1, "c1", 2, 1, 0, "w", "L", 1, 0, "d1", 2}};
    uint32_t docs[] = {0};
    cr_assert_eq(cq_journal_compact(j, 0, "b", docs, 1, arch, 1, 9, &diag), 0,
                 "%s", diag.msg);
    cq_journal_close(&j);
    j = cq_journal_open(dir, 4, &diag);
    cr_assert_not_null(j, "%s", diag.msg);
    s_load(j, &t);
    //  the batch, its document and its 999 are gone; ids 0 stay used
    cr_assert(strstr(t.log, "A0:") == NULL, "%s", t.log);
    cr_assert(strstr(t.log, "B0:") == NULL, "%s", t.log);
    cq_journal_id_floors(j, &nb, &nd);
    cr_assert_eq(nb, 1);
    cr_assert_eq(nd, 1);
    cq_journal_close(&j);
}

Test(journal, segment_bytes_past_the_rows_are_cut_at_open)
{
    const char *dir = cq_test_tmpdir();
    cq_diag_t diag = {0};
    cq_journal_t *j = cq_journal_open(dir, 4, &diag);
    cr_assert_not_null(j);
    uint8_t dg[32] = {2};
    cq_journal_batch(j, 0, "b", 1, "");
    cq_journal_doc(j, 0, 0, 0, "x", 1, 0, 1, dg, "HELLO", 5);
    cr_assert_eq(cq_journal_commit(j, &diag), 0);
    cq_journal_close(&j);
    //  a commit that appended and then failed leaves bytes no row names
    char seg[1100];
    snprintf(seg, sizeof seg, "%s/docs-000001.seg", dir);
    FILE *f = fopen(seg, "a");
    cr_assert_not_null(f);
    fputs("GARBAGE", f);
    fclose(f);
    j = cq_journal_open(dir, 4, &diag);
    cr_assert_not_null(j, "%s", diag.msg);
    size_t len;
    char *text = cq_test_read(seg, &len);
    cr_assert_eq(len, 5);
    cr_assert_eq(memcmp(text, "HELLO", 5), 0);
    free(text);
    //  and a document whose bytes are missing is reported, naming it
    cq_journal_close(&j);
    cr_assert_eq(truncate(seg, 2), 0);
    j = cq_journal_open(dir, 4, &diag);
    cr_assert_not_null(j);
    s_trace_t t;
    memset(&t, 0, sizeof t);
    memset(&diag, 0, sizeof diag);
    cr_assert_eq(cq_journal_load(j, &s_loader, &t, &diag), CQ_EPROTO);
    cr_assert(strstr(diag.msg, "segment 1"), "%s", diag.msg);
    cq_journal_close(&j);
}

Test(journal, fsync_rate_is_measured)
{
    double r = cq_journal_fsync_rate(cq_test_tmpdir(), 100);
    cr_assert_gt(r, 0.0);
    cr_assert_lt(cq_journal_fsync_rate("/nonexistent/dir", 10), 0.0);
}

//  Data at rest (issue 13): the journal's directory is 0700 and its files
//  0600, and a capture file 0600, whatever the umask.
Test(journal, created_owner_only_whatever_the_umask)
{
    const char *tmp = cq_test_tmpdir();
    cr_assert_not_null(tmp);
    char jdir[1100], cap[1100];
    snprintf(jdir, sizeof jdir, "%s/j", tmp);
    snprintf(cap, sizeof cap, "%s/traffic.cap", tmp);
    mode_t old = umask(0);
    cq_diag_t diag = {0};
    cq_journal_t *j = cq_journal_open(jdir, 16, &diag);
    cr_assert_not_null(j, "%s", diag.msg);
    cq_journal_batch(j, 0, "b", 1, "");
    cr_assert_eq(cq_journal_commit(j, &diag), 0, "%s", diag.msg);
    cq_cap_writer_t *w = cq_cap_writer_open(cap, 1 << 20, 2, &diag);
    umask(old);
    cr_assert_not_null(w, "%s", diag.msg);
    cq_cap_writer_close(&w);
    struct stat st;
    cr_assert_eq(stat(jdir, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0700, "journal dir %o", st.st_mode & 0777);
    DIR *d = opendir(jdir);
    cr_assert_not_null(d);
    struct dirent *e;
    int files = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char p[1400];
        snprintf(p, sizeof p, "%s/%s", jdir, e->d_name);
        cr_assert_eq(stat(p, &st), 0);
        cr_assert_eq(st.st_mode & 0077, 0, "%s is mode %o", e->d_name,
                     st.st_mode & 0777);
        files++;
    }
    closedir(d);
    cr_assert_gt(files, 0);
    cr_assert_eq(stat(cap, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600, "capture %o", st.st_mode & 0777);
    cq_journal_close(&j);
}
