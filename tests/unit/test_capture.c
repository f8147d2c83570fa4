//  Capture files (common/capture.h) and the latency histogram
//  (client/hist.h): round trip, damage found at its offset and skipped, a
//  file cut short read up to the cut, rotation, permissions, percentiles.
#include "capture.h"
#include "cq_test.h"
#include "hist.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static cq_cap_rec_t
s_doc(const char *batch, uint32_t pos, const char *data)
{
    cq_cap_rec_t r;
    memset(&r, 0, sizeof r);
    r.type = CQ_CAP_DOC;
    r.t_ms = 1764800000000 + pos * 10;
    snprintf(r.batch, sizeof r.batch, "%s", batch);
    snprintf(r.tenant, sizeof r.tenant, "ACME");
    snprintf(r.name, sizeof r.name, "doc-%u.jsonl", pos);
    r.pos = pos;
    r.first_record = 1 + pos * 100;
    r.received_date = 20000 + (int32_t)pos;
    r.received_set = pos % 2;
    r.format = 1;
    r.data = (const uint8_t *)data;
    r.len = strlen(data);
    return r;
}

static char *
s_write(int n, size_t *len)
{
    const char *dir = cq_test_tmpdir();
    cr_assert_not_null(dir);
    char *path = malloc(4200);
    snprintf(path, 4200, "%s/cap", dir);
    cq_diag_t diag = {0};
    cq_cap_writer_t *w = cq_cap_writer_open(path, 1 << 30, 4, &diag);
    cr_assert_not_null(w, "%s", diag.msg);
    for (int i = 0; i < n; i++) {
        char body[64];
        snprintf(body, sizeof body, "{\"claim_id\": \"C%d\"}", i);
        cq_cap_rec_t r = s_doc("b-1", (uint32_t)i, body);
        cr_assert_eq(cq_cap_write(w, &r), 0);
        cq_cap_rec_t d;
        memset(&d, 0, sizeof d);
        d.type = CQ_CAP_DECISION;
        d.t_ms = r.t_ms + 5;
        snprintf(d.batch, sizeof d.batch, "b-1");
        d.pos = (uint32_t)i;
        d.index = 0;
        d.data = (const uint8_t *)"\x93\x01\x02\x03";
        d.len = 4;
        cr_assert_eq(cq_cap_write(w, &d), 0);
    }
    cq_cap_writer_close(&w);
    if (len) {
        struct stat st;
        cr_assert_eq(stat(path, &st), 0);
        *len = (size_t)st.st_size;
    }
    return path;
}

Test(capture, round_trip_keeps_every_field)
{
    size_t len;
    char *path = s_write(10, &len);
    char *buf = cq_test_read(path, &len);
    cq_cap_reader_t r;
    cq_diag_t diag = {0};
    cr_assert_eq(cq_cap_begin(&r, (uint8_t *)buf, len, &diag), 0, "%s",
                 diag.msg);
    cr_assert_eq(r.head.version, CQ_CAP_VERSION);
    cq_cap_rec_t rec;
    for (int i = 0; i < 10; i++) {
        cr_assert_eq(cq_cap_next(&r, &rec, &diag), 1);
        cr_assert_eq(rec.type, CQ_CAP_DOC);
        cr_assert_str_eq(rec.batch, "b-1");
        cr_assert_str_eq(rec.tenant, "ACME");
        char name[32], body[64];
        snprintf(name, sizeof name, "doc-%d.jsonl", i);
        snprintf(body, sizeof body, "{\"claim_id\": \"C%d\"}", i);
        cr_assert_str_eq(rec.name, name);
        cr_assert_eq(rec.pos, (uint32_t)i);
        cr_assert_eq(rec.first_record, 1u + (uint32_t)i * 100);
        cr_assert_eq(rec.received_date, 20000 + i);
        cr_assert_eq(rec.received_set, i % 2 == 1);
        cr_assert_eq(rec.format, 1);
        cr_assert_eq(rec.t_ms, 1764800000000 + i * 10);
        cr_assert_eq(rec.len, strlen(body));
        cr_assert_eq(memcmp(rec.data, body, rec.len), 0);
        cr_assert_eq(cq_cap_next(&r, &rec, &diag), 1);
        cr_assert_eq(rec.type, CQ_CAP_DECISION);
        cr_assert_eq(rec.pos, (uint32_t)i);
        cr_assert_eq(rec.len, 4);
    }
    cr_assert_eq(cq_cap_next(&r, &rec, &diag), 0);
    cr_assert(!r.truncated);
    cr_assert_eq(r.corrupt, 0);
    free(buf);
    free(path);
}

Test(capture, created_0600_whatever_the_umask)
{
    mode_t old = umask(0);
    char *path = s_write(1, NULL);
    umask(old);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600, "mode %o", st.st_mode & 0777);
    free(path);
}

Test(capture, damaged_record_named_by_offset_and_the_rest_read)
{
    size_t len;
    char *path = s_write(6, &len);
    char *buf = cq_test_read(path, &len);
    //  find the third document record and flip a byte of its body
    cq_cap_reader_t r;
    cq_cap_begin(&r, (uint8_t *)buf, len, NULL);
    cq_cap_rec_t rec;
    uint64_t off = 0;
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(cq_cap_next(&r, &rec, NULL), 1);
        off = rec.offset;
    }
    cr_assert_eq(rec.type, CQ_CAP_DOC);
    buf[off + 20] ^= 0x55;
    cq_cap_begin(&r, (uint8_t *)buf, len, NULL);
    int good = 0, bad = 0;
    for (;;) {
        cq_diag_t diag = {0};
        int k = cq_cap_next(&r, &rec, &diag);
        if (k == 0)
            break;
        if (k == 1) {
            good++;
            continue;
        }
        cr_assert_eq(k, CQ_EPROTO);
        cr_assert_eq(diag.offset, off);
        char want[64];
        snprintf(want, sizeof want, "offset %llu", (unsigned long long)off);
        cr_assert(strstr(diag.msg, want), "%s", diag.msg);
        bad++;
    }
    cr_assert_eq(bad, 1);
    cr_assert_eq(good, 11);
    cr_assert_eq(r.corrupt, 1);
    free(buf);
    free(path);
}

Test(capture, cut_short_reads_up_to_the_cut)
{
    size_t len;
    char *path = s_write(4, &len);
    char *buf = cq_test_read(path, &len);
    //  every cut inside the last record: 7 whole records, then the end
    size_t last = 0;
    cq_cap_reader_t r;
    cq_cap_rec_t rec;
    cq_cap_begin(&r, (uint8_t *)buf, len, NULL);
    while (cq_cap_next(&r, &rec, NULL) == 1)
        last = rec.offset;
    for (size_t cut = last + 1; cut < len; cut++) {
        cq_cap_begin(&r, (uint8_t *)buf, cut, NULL);
        int n = 0, k;
        cq_diag_t diag = {0};
        while ((k = cq_cap_next(&r, &rec, &diag)) == 1)
            n++;
        cr_assert_eq(k, 0, "cut %zu: %d", cut, k);
        cr_assert_eq(n, 7, "cut %zu", cut);
        cr_assert(r.truncated, "cut %zu", cut);
        cr_assert(strstr(diag.msg, "cut short"), "%s", diag.msg);
    }
    free(buf);
    free(path);
}

Test(capture, headers_refused_with_a_reason)
{
    uint8_t junk[64] = "not a capture at all, just bytes";
    cq_cap_reader_t r;
    cq_diag_t diag = {0};
    cr_assert_eq(cq_cap_begin(&r, junk, sizeof junk, &diag), CQ_EPROTO);
    cr_assert(strstr(diag.msg, "not a claimq capture"));
    size_t len;
    char *path = s_write(1, &len);
    char *buf = cq_test_read(path, &len);
    buf[8] = 9; // version 9
    memset(&diag, 0, sizeof diag);
    cr_assert_eq(cq_cap_begin(&r, (uint8_t *)buf, len, &diag), CQ_EPROTO,
                 "a changed header fails its checksum");
    uint32_t crc = cq_crc32c(0, buf, 28);
    memcpy(buf + 28, &crc, 4); // (little-endian machine)
    memset(&diag, 0, sizeof diag);
    cr_assert_eq(cq_cap_begin(&r, (uint8_t *)buf, len, &diag), CQ_EUNSUPPORTED);
    cr_assert(strstr(diag.msg, "version 9"), "%s", diag.msg);
    free(buf);
    free(path);
}

Test(capture, writer_appends_to_a_capture_and_refuses_another_file)
{
    size_t len1, len2;
    char *path = s_write(2, &len1);
    cq_diag_t diag = {0};
    cq_cap_writer_t *w = cq_cap_writer_open(path, 1 << 30, 4, &diag);
    cr_assert_not_null(w);
    cq_cap_rec_t r = s_doc("b-2", 0, "{}");
    cr_assert_eq(cq_cap_write(w, &r), 0);
    cq_cap_writer_close(&w);
    char *buf = cq_test_read(path, &len2);
    cq_cap_reader_t rd;
    cq_cap_begin(&rd, (uint8_t *)buf, len2, NULL);
    cq_cap_rec_t rec;
    int n = 0;
    while (cq_cap_next(&rd, &rec, NULL) == 1)
        n++;
    cr_assert_eq(n, 5);
    free(buf);
    char other[4300];
    snprintf(other, sizeof other, "%s.txt", path);
    cr_assert_eq(cq_test_write(other, "hello\n", 6), 0);
    memset(&diag, 0, sizeof diag);
    cr_assert_null(cq_cap_writer_open(other, 1 << 30, 4, &diag));
    cr_assert(strstr(diag.msg, "not a claimq capture"), "%s", diag.msg);
    free(path);
}

Test(capture, rotation_keeps_k_files_and_every_file_reads)
{
    const char *dir = cq_test_tmpdir();
    char path[4200];
    snprintf(path, sizeof path, "%s/rot", dir);
    cq_diag_t diag = {0};
    cq_cap_writer_t *w = cq_cap_writer_open(path, 8192, 3, &diag);
    cr_assert_not_null(w);
    char body[1000];
    memset(body, 'x', sizeof body - 1);
    body[sizeof body - 1] = '\0';
    for (int i = 0; i < 100; i++) {
        cq_cap_rec_t r = s_doc("b-r", (uint32_t)i, body);
        cr_assert_eq(cq_cap_write(w, &r), 0);
    }
    uint64_t recs, bytes;
    uint32_t rot;
    cq_cap_writer_stats(w, &recs, &bytes, &rot);
    cq_cap_writer_close(&w);
    cr_assert_eq(recs, 100);
    cr_assert_gt(rot, 5);
    uint32_t last_pos = 0, seqs[3];
    for (int k = 0; k < 4; k++) {
        char p[4300];
        if (k == 0)
            snprintf(p, sizeof p, "%s", path);
        else
            snprintf(p, sizeof p, "%s.%d", path, k);
        size_t len;
        char *buf = cq_test_read(p, &len);
        if (k == 3) {
            cr_assert_null(buf, "only 3 files kept");
            break;
        }
        cr_assert_not_null(buf, "%s", p);
        cr_assert_leq(len, 8192);
        cq_cap_reader_t rd;
        cr_assert_eq(cq_cap_begin(&rd, (uint8_t *)buf, len, NULL), 0);
        seqs[k] = rd.head.seq;
        cq_cap_rec_t rec;
        int n = 0;
        while (cq_cap_next(&rd, &rec, NULL) == 1) {
            if (k == 0)
                last_pos = rec.pos;
            n++;
        }
        cr_assert_gt(n, 0);
        cr_assert(!rd.truncated);
        free(buf);
    }
    cr_assert_eq(last_pos, 99, "the newest file ends with the last record");
    cr_assert_eq(seqs[1] + 1, seqs[0]);
    cr_assert_eq(seqs[2] + 1, seqs[1]);
}

Test(capture, oversized_fields_are_refused_before_writing)
{
    const char *dir = cq_test_tmpdir();
    char path[4200];
    snprintf(path, sizeof path, "%s/big", dir);
    cq_cap_writer_t *w = cq_cap_writer_open(path, 1 << 30, 1, NULL);
    cr_assert_not_null(w);
    cq_cap_rec_t r = s_doc("b", 0, "{}");
    r.len = (size_t)65 << 20; // (never read: the cap comes first)
    cr_assert_eq(cq_cap_write(w, &r), CQ_ETOOBIG);
    r = s_doc("", 0, "{}");
    cr_assert_eq(cq_cap_write(w, &r), CQ_ETOOBIG);
    cq_cap_writer_close(&w);
}

Test(hist, percentiles_within_two_percent)
{
    cq_hist_t h;
    cq_hist_init(&h);
    for (int i = 1; i <= 100000; i++)
        cq_hist_add_ms(&h, (double)i / 100.0); // 0.01 .. 1000 ms
    cr_assert_eq(h.n, 100000);
    double want[] = {0.5, 0.9, 0.99, 0.999};
    for (int k = 0; k < 4; k++) {
        double v = cq_hist_ms(&h, want[k]), exact = want[k] * 1000.0;
        cr_assert(v >= exact * 0.98 && v <= exact * 1.02, "q %.3f: %.3f",
                  want[k], v);
    }
    cr_assert_float_eq(cq_hist_ms(&h, 1.0), 1000.0, 1e-9);
    cq_hist_t g;
    cq_hist_init(&g);
    cq_hist_add_ms(&g, 5000.0);
    cq_hist_merge(&h, &g);
    cr_assert_eq(h.n, 100001);
    cr_assert_float_eq(cq_hist_ms(&h, 1.0), 5000.0, 1e-9);
    cq_hist_t e;
    cq_hist_init(&e);
    cr_assert_float_eq(cq_hist_ms(&e, 0.99), 0.0, 1e-12);
}
