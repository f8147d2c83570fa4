//  it_hostile.c: hostile input against the real processes (issue 13).
//
//  1. Every command the broker reads, on both endpoints, sent truncated,
//     wrongly typed and as bytes that are not msgpack: each one counted as
//     malformed, the broker still serving.
//  2. One batch of good claims and hostile documents: JSON nested 100,000
//     deep, a PNG declaring 100,000 x 100,000 pixels, a TIFF of 10,000
//     pages, a PDF whose image inflates to 400 MB (a zip bomb), an 837
//     with a 10 MB segment and one with absurd counts. Each gets a clear
//     answer, the good claims are all decided, both processes stay up and
//     their peak memory stays bounded.
#include "cq_proc.h"
#include "mem.h"
#include "proto.h"
#include "wire.h"

#include <criterion/criterion.h>
#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define S_RSS_CAP_KB (400 * 1024) // peak resident set of a process, bounded

static void
s_send(void *sock, int cmd, const void *body, size_t blen)
{
    uint8_t hdr[CQ_PROTO_HDR_LEN];
    cq_proto_hdr_encode(cmd, hdr);
    const void *parts[2] = {hdr, body};
    size_t lens[2] = {sizeof hdr, blen};
    cr_assert_eq(cq_wire_send_raw(sock, parts, lens, 2, 0), 0);
}

//  Waits (up to 20 s) until counter name exceeds was; returns it.
static long long
s_counter_over(const char *fe, const char *name, long long was)
{
    long long v = was;
    for (int i = 0; i < 200 && v <= was; i++) {
        v = cq_proc_counter(fe, name);
        if (v <= was)
            usleep(100 * 1000);
    }
    return v;
}

static const struct {
    const char *what;
    const char *bytes;
    size_t len;
} s_bad[] = {
    {"truncated", "\x94\xcf\x00\x00", 4},         // array of 4, a cut uint64
    {"wrongly typed", "\xa5hello", 6},            // a string, not an array
    {"not msgpack", "\xc1\xc1\xc1\xc1", 4},       // the never-used byte
    {"absurd length", "\xdd\xff\xff\xff\xff", 5}, // array32 of 4 billion
};

Test(hostile, every_command_malformed_is_counted, .timeout = 180,
     .fini = cq_proc_cleanup)
{
    zsys_handler_set(NULL);
    char dir[1024];
    const char *tmp = cq_test_tmpdir();
    cr_assert_not_null(tmp);
    snprintf(dir, sizeof dir, "%s", tmp);
    cr_assert_eq(cq_proc_gen(dir, 50, 20), 0);
    static cq_cluster_t cl;
    cr_assert_eq(cq_proc_cluster(&cl, dir, 1, 1000, NULL), 0);
    zsock_t *front = zsock_new_dealer(cl.frontend);
    zsock_t *back = zsock_new_dealer(cl.backend);
    cr_assert_not_null(front);
    cr_assert_not_null(back);
    void *f = zsock_resolve(front), *b = zsock_resolve(back);

    static const int front_cmds[] = {
        CQ_CMD_SUBMIT,     CQ_CMD_STATUS, CQ_CMD_RESULTS, CQ_CMD_WORKERS,
        CQ_CMD_QUARANTINE, CQ_CMD_SEAL,   CQ_CMD_BATCHES, CQ_CMD_ACKS,
        CQ_CMD_DRAIN_NODE, CQ_CMD_SHARDS, CQ_CMD_HAVE,    CQ_CMD_REVIEW};
    long long was = cq_proc_counter(cl.frontend, "malformed");
    cr_assert_geq(was, 0);
    for (size_t c = 0; c < sizeof front_cmds / sizeof front_cmds[0]; c++)
        for (size_t k = 0; k < sizeof s_bad / sizeof s_bad[0]; k++) {
            s_send(f, front_cmds[c], s_bad[k].bytes, s_bad[k].len);
            long long now = s_counter_over(cl.frontend, "malformed", was);
            cr_assert_gt(now, was, "%s %s: not counted as malformed",
                         cq_cmd_name(front_cmds[c]), s_bad[k].what);
            was = now;
        }

    //  the backend: READY itself, then every command of a registered
    //  worker (one whose rules differ: registered, never given work)
    for (size_t k = 0; k < sizeof s_bad / sizeof s_bad[0]; k++) {
        s_send(b, CQ_CMD_READY, s_bad[k].bytes, s_bad[k].len);
        long long now = s_counter_over(cl.frontend, "malformed", was);
        cr_assert_gt(now, was, "READY %s: not counted", s_bad[k].what);
        was = now;
    }
    cq_msg_ready_t rd;
    memset(&rd, 0, sizeof rd);
    strcpy(rd.node_id, "hostile");
    rd.credit = 10;
    rd.intake_credit = 1;
    strcpy(rd.rules_version, "sha256:other");
    rd.heartbeat_ms = 60000;
    cq_mpw_t w;
    cq_mpw_init(&w);
    cq_proto_ready_encode(&w, &rd);
    s_send(b, CQ_CMD_READY, w.data, w.len);
    cq_mpw_free(&w);
    for (int i = 0;
         i < 100 && cq_proc_worker_field(cl.frontend, "hostile", "credit") < 0;
         i++)
        usleep(100 * 1000);
    cr_assert_geq(cq_proc_worker_field(cl.frontend, "hostile", "credit"), 0);
    static const int back_cmds[] = {CQ_CMD_INTAKE_DONE, CQ_CMD_RESULT,
                                    CQ_CMD_EXTEND, CQ_CMD_PAUSE};
    for (size_t c = 0; c < sizeof back_cmds / sizeof back_cmds[0]; c++)
        for (size_t k = 0; k < sizeof s_bad / sizeof s_bad[0]; k++) {
            s_send(b, back_cmds[c], s_bad[k].bytes, s_bad[k].len);
            long long now = s_counter_over(cl.frontend, "malformed", was);
            cr_assert_gt(now, was, "%s %s: not counted as malformed",
                         cq_cmd_name(back_cmds[c]), s_bad[k].what);
            was = now;
        }
    zsock_destroy(&front);
    zsock_destroy(&back);

    //  and it still serves: a batch decided in full
    char in[1100];
    snprintf(in, sizeof in, "%s/claims.jsonl", dir);
    cq_run_t r;
    int st = cq_proc_claimq(&r, 120, "submit", "--broker", cl.frontend,
                            "--wait", in, NULL);
    cr_assert_eq(st, 0, "%s", r.err);
    cq_run_free(&r);
    cr_assert_not(cq_child_exited(&cl.broker));
    cr_assert_not(cq_child_exited(&cl.workers[0]));
}

//  ---- hostile documents -------------------------------------------------

static void
s_write(const char *dir, const char *name, const void *p, size_t n)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    cr_assert_eq(cq_test_write(path, p, n), 0, "%s", path);
}

static void
s_png_chunk(cq_buf_t *b, const char *type, const uint8_t *d, uint32_t n)
{
    uint8_t be[4] = {n >> 24, n >> 16, n >> 8, n};
    cq_buf_add(b, be, 4);
    cq_buf_add(b, type, 4);
    cq_buf_add(b, d, n);
    uLong crc = crc32(0, (const Bytef *)type, 4);
    crc = crc32(crc, d, n);
    uint8_t c[4] = {crc >> 24, crc >> 16, crc >> 8, crc};
    cq_buf_add(b, c, 4);
}

//  A PNG that says 100,000 x 100,000 gray pixels, with 1 kB of data.
static void
s_huge_png(const char *dir)
{
    cq_buf_t b;
    cq_buf_init(&b, 1 << 20);
    cq_buf_add(&b, "\x89PNG\r\n\x1a\n", 8);
    uint8_t ihdr[13] = {0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0, 8, 0, 0, 0, 0};
    s_png_chunk(&b, "IHDR", ihdr, 13);
    uint8_t zeros[1000] = {0}, z[2000];
    uLongf zl = sizeof z;
    cr_assert_eq(compress(z, &zl, zeros, sizeof zeros), Z_OK);
    s_png_chunk(&b, "IDAT", z, (uint32_t)zl);
    s_png_chunk(&b, "IEND", NULL, 0);
    s_write(dir, "huge.png", b.data, b.len);
    cq_buf_free(&b);
}

static void
s_le16(uint8_t *p, uint16_t v)
{
    p[0] = v & 0xff;
    p[1] = v >> 8;
}

static void
s_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (v >> (8 * i)) & 0xff;
}

//  A TIFF of 10,000 bilevel 1,000 x 1,000 pages, all sharing one strip.
static void
s_many_tiff(const char *dir)
{
    enum { N = 10000, E = 9, IFD = 2 + E * 12 + 4, STRIP = 125 * 1000 };
    size_t len = 8 + (size_t)N * IFD + STRIP;
    uint8_t *t = cq_xcalloc(1, len);
    memcpy(t, "II*\0", 4);
    s_le32(t + 4, 8);
    uint32_t strip = 8 + N * IFD;
    static const uint16_t tags[E][3] = {
        {256, 3, 1000}, {257, 3, 1000}, {258, 3, 1},
        {259, 3, 1},    {262, 3, 0},    {273, 4, 0},
        {277, 3, 1},    {278, 3, 1000}, {279, 4, 0}};
    for (uint32_t i = 0; i < N; i++) {
        uint8_t *p = t + 8 + (size_t)i * IFD;
        s_le16(p, E);
        for (int e = 0; e < E; e++) {
            uint8_t *q = p + 2 + 12 * e;
            s_le16(q, tags[e][0]);
            s_le16(q + 2, tags[e][1]);
            s_le32(q + 4, 1);
            uint32_t v = tags[e][0] == 273   ? strip
                         : tags[e][0] == 279 ? STRIP
                                             : tags[e][2];
            if (tags[e][1] == 3)
                s_le16(q + 8, (uint16_t)v);
            else
                s_le32(q + 8, v);
        }
        s_le32(p + 2 + 12 * E, i + 1 < N ? 8 + (i + 1) * IFD : 0);
    }
    s_write(dir, "pages.tif", t, len);
    free(t);
}

//  A one-page PDF whose image is 20,000 x 20,000 gray pixels of zeros,
//  deflated: 400 MB of pixels in well under 1 MB.
static void
s_bomb_pdf(const char *dir)
{
    enum { W = 20000 };
    cq_buf_t z;
    cq_buf_init(&z, 64 << 20);
    z_stream s;
    memset(&s, 0, sizeof s);
    cr_assert_eq(deflateInit(&s, 9), Z_OK);
    uint8_t *row = cq_xcalloc(1, W), out[65536];
    for (int y = 0; y <= W; y++) {
        s.next_in = row;
        s.avail_in = y < W ? W : 0;
        int flush = y < W ? Z_NO_FLUSH : Z_FINISH;
        do {
            s.next_out = out;
            s.avail_out = sizeof out;
            deflate(&s, flush);
            cq_buf_add(&z, out, sizeof out - s.avail_out);
        } while (s.avail_out == 0);
    }
    deflateEnd(&s);
    free(row);
    cq_buf_t b;
    cq_buf_init(&b, 64 << 20);
    size_t off[6];
    char tmp[512];
    cq_buf_add(&b, "%PDF-1.4\n", 9);
    static const char page[] =
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources "
        "<< /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>";
    const char *objs[3] = {"<< /Type /Catalog /Pages 2 0 R >>",
                           "<< /Type /Pages /Kids [3 0 R] /Count 1 >>", page};
    for (int i = 0; i < 3; i++) {
        off[i] = b.len;
        int n =
            snprintf(tmp, sizeof tmp, "%d 0 obj\n%s\nendobj\n", i + 1, objs[i]);
        cq_buf_add(&b, tmp, (size_t)n);
    }
    off[3] = b.len;
    int n = snprintf(tmp, sizeof tmp,
                     "4 0 obj\n<< /Type /XObject /Subtype /Image /Width %d "
                     "/Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 "
                     "/Filter /FlateDecode /Length %zu >>\nstream\n",
                     W, W, z.len);
    cq_buf_add(&b, tmp, (size_t)n);
    cq_buf_add(&b, z.data, z.len);
    cq_buf_add(&b, "\nendstream\nendobj\n", 18);
    off[4] = b.len;
    const char *c = "q 612 0 0 792 0 0 cm /Im0 Do Q";
    n = snprintf(tmp, sizeof tmp,
                 "5 0 obj\n<< /Length %zu >>\nstream\n%s\nendstream\nendobj\n",
                 strlen(c), c);
    cq_buf_add(&b, tmp, (size_t)n);
    size_t xref = b.len;
    n = snprintf(tmp, sizeof tmp, "xref\n0 6\n0000000000 65535 f \n");
    cq_buf_add(&b, tmp, (size_t)n);
    for (int i = 0; i < 5; i++) {
        n = snprintf(tmp, sizeof tmp, "%010zu 00000 n \n", off[i]);
        cq_buf_add(&b, tmp, (size_t)n);
    }
    n = snprintf(
        tmp, sizeof tmp,
        "trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n", xref);
    cq_buf_add(&b, tmp, (size_t)n);
    s_write(dir, "bomb.pdf", b.data, b.len);
    cq_buf_free(&b);
    cq_buf_free(&z);
}

//  An 837 envelope around one 10 MB segment, its SE count absurd.
static void
s_bigseg_837(const char *dir)
{
    cq_buf_t b;
    cq_buf_init(&b, 64 << 20);
    const char *head =
        "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER     "
        "  *240101*1200*^*00501*000000001*0*P*:~GS*HC*SENDER*RECEIVER*"
        "20240101*1200*1*X*005010X222A1~ST*837*0001*005010X222A1~BHT*0019*00*"
        "1*20240101*1200*CH~NM1*41*2*";
    cq_buf_add(&b, head, strlen(head));
    char *a = cq_xmalloc(10u << 20);
    memset(a, 'A', 10u << 20);
    cq_buf_add(&b, a, 10u << 20);
    free(a);
    const char *tail = "~SE*999999999*0001~GE*1*1~IEA*1*000000001~";
    cq_buf_add(&b, tail, strlen(tail));
    s_write(dir, "bigseg.837", b.data, b.len);
    cq_buf_free(&b);
}

//  A generated 837 with absurd counts: every SE says 999,999,999
//  segments, every GE 4,294,967,296 sets, the IEA 999,999,999 groups.
static void
s_absurd_837(const char *dir)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/claims.837", dir);
    size_t len;
    char *x = cq_test_read(path, &len);
    cr_assert_not_null(x);
    cq_buf_t b;
    cq_buf_init(&b, 64 << 20);
    for (size_t i = 0; i < len;) {
        const char *seg = x + i;
        const char *end = memchr(seg, '~', len - i);
        size_t n = end ? (size_t)(end - seg) + 1 : len - i;
        const char *absurd = NULL, *tag = seg; // (after "~\n")
        while (tag < seg + n && (*tag == '\n' || *tag == '\r'))
            tag++;
        size_t tn = n - (size_t)(tag - seg);
        if (tn > 3 && memcmp(tag, "SE*", 3) == 0)
            absurd = "999999999";
        else if (tn > 3 && memcmp(tag, "GE*", 3) == 0)
            absurd = "4294967296";
        else if (tn > 4 && memcmp(tag, "IEA*", 4) == 0)
            absurd = "999999999";
        const char *star = memchr(seg, '*', n);
        const char *star2 =
            star ? memchr(star + 1, '*', n - (size_t)(star + 1 - seg)) : NULL;
        if (absurd && star2) {
            //  TAG*COUNT*REST~ -> TAG*ABSURD*REST~
            cq_buf_add(&b, seg, (size_t)(star + 1 - seg));
            cq_buf_add(&b, absurd, strlen(absurd));
            cq_buf_add(&b, star2, n - (size_t)(star2 - seg));
        } else {
            cq_buf_add(&b, seg, n);
        }
        i += n;
    }
    s_write(dir, "absurd.837", b.data, b.len);
    cq_buf_free(&b);
    free(x);
}

static long
s_hwm_kb(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    size_t len;
    char *s = cq_test_read(path, &len);
    if (s == NULL)
        return -1;
    const char *p = strstr(s, "VmHWM:");
    long kb = p ? strtol(p + 6, NULL, 10) : -1;
    free(s);
    return kb;
}

Test(hostile, documents_answered_rest_decided_memory_bounded, .timeout = 300,
     .fini = cq_proc_cleanup)
{
    char dir[1024];
    const char *tmp = cq_test_tmpdir();
    cr_assert_not_null(tmp);
    snprintf(dir, sizeof dir, "%s", tmp);
    cq_run_t r;
    int st = cq_proc_claimq(&r, 120, "gen", "--out", dir, "--claims", "120",
                            "--members", "40", "--x12", NULL);
    cr_assert_eq(st, 0, "%s", r.err);
    cq_run_free(&r);
    //  JSON nested 100,000 deep
    char *deep = cq_xmalloc(200000);
    memset(deep, '[', 100000);
    memset(deep + 100000, ']', 100000);
    s_write(dir, "deep.json", deep, 200000);
    free(deep);
    s_huge_png(dir);
    s_many_tiff(dir);
    s_bomb_pdf(dir);
    s_bigseg_837(dir);
    s_absurd_837(dir);

    static cq_cluster_t cl;
    //  the worker's metrics endpoint through its environment
    //  ($CLAIMQ_WORKER_METRICS is --metrics), to read the limit counters
    setenv("CLAIMQ_WORKER_METRICS", "127.0.0.1:0", 1);
    int started = cq_proc_cluster(&cl, dir, 1, 1000, NULL);
    unsetenv("CLAIMQ_WORKER_METRICS");
    cr_assert_eq(started, 0);
    static const char *names[] = {"claims.jsonl", "deep.json", "huge.png",
                                  "pages.tif",    "bomb.pdf",  "bigseg.837",
                                  "absurd.837"};
    char paths[7][1200], out[1200];
    char *argv[32];
    int a = 0;
    argv[a++] = (char *)cq_test_bin("claimq");
    argv[a++] = "submit";
    argv[a++] = "--broker";
    argv[a++] = cl.frontend;
    argv[a++] = "--batch";
    argv[a++] = "b-hostile";
    argv[a++] = "--wait";
    argv[a++] = "--timeout";
    argv[a++] = "240";
    argv[a++] = "--out";
    snprintf(out, sizeof out, "%s/out.jsonl", dir);
    argv[a++] = out;
    for (int i = 0; i < 7; i++) {
        snprintf(paths[i], sizeof paths[i], "%s/%s", dir, names[i]);
        argv[a++] = paths[i];
    }
    argv[a] = NULL;
    cr_assert_eq(cq_test_run(argv, NULL, 280, &r), 0);
    //  5: transaction sets refused (the two hostile 837s); never a timeout
    cr_assert(r.status == 0 || r.status == 5, "exit %d: %s", r.status, r.err);
    cr_assert(strstr(r.err, "longer than"), "10 MB segment: %s", r.err);
    cr_assert(strstr(r.err, "SE01 says 999999999"), "absurd SE01: %s", r.err);

    //  every good claim decided; each hostile image or JSON a clear reject
    size_t n;
    char *res = cq_test_read(out, &n);
    cr_assert_not_null(res);
    size_t good = 0;
    for (const char *p = res; (p = strstr(p, "\"claim_id\": \"PCN-")); p++)
        good++;
    cr_assert_eq(good, 120, "%zu good claims decided", good);
    static const char *answers[] = {"nested too deeply", "100000x100000",
                                    "more than 50 pages",
                                    "20000 x 20000 pixels"};
    for (int i = 0; i < 4; i++)
        cr_assert_not_null(strstr(res, answers[i]), "no answer '%s' in %s",
                           answers[i], res);
    free(res);
    cq_run_free(&r);
    //  the absurd counts: refused with a 999, not believed
    st = cq_proc_claimq(&r, 60, "results", "--broker", cl.frontend, "--format",
                        "999", "b-hostile", NULL);
    cr_assert_eq(st, 0, "%s", r.err);
    cr_assert(strstr(r.out, "IK5*R*4"), "no SE count refusal (IK5 R 4): %s",
              r.out);
    cq_run_free(&r);

    //  each refusal counted under its limit (the endpoint publishes at most
    //  every second: read until the last counter shows, or a minute)
    char url[256];
    cr_assert(cq_child_ready_get(&cl.workers[0], "metrics", url, sizeof url),
              "no metrics= in the worker's READY: %s", cl.workers[0].ready);
    static const char *limits[] = {"json_depth", "image_pixels", "image_pages",
                                   "x12_segment"};
    char *text = NULL;
    for (int tries = 0; tries < 600; tries++) {
        free(text);
        text = NULL;
        cr_assert_eq(cq_test_http_get(url, "/metrics", &text), 200);
        bool all = true;
        for (int i = 0; i < 4 && all; i++) {
            char sample[128];
            snprintf(sample, sizeof sample,
                     "claimq_worker_limit_refusals_total{limit=\"%s\"}",
                     limits[i]);
            all = cq_test_prom_value(text, sample) >= 1;
        }
        if (all)
            break;
        usleep(100 * 1000);
    }
    for (int i = 0; i < 4; i++) {
        char sample[128];
        snprintf(sample, sizeof sample,
                 "claimq_worker_limit_refusals_total{limit=\"%s\"}", limits[i]);
        cr_assert_geq(cq_test_prom_value(text, sample), 1, "%s not counted: %s",
                      limits[i], text);
    }
    free(text);

    //  both processes up, answering, their peak memory bounded
    cr_assert_not(cq_child_exited(&cl.broker));
    cr_assert_not(cq_child_exited(&cl.workers[0]));
    cr_assert_gt(cq_proc_counter(cl.frontend, "decided"), 0);
    long wk = s_hwm_kb(cl.workers[0].pid), bk = s_hwm_kb(cl.broker.pid);
    cr_assert(wk > 0 && wk < S_RSS_CAP_KB, "worker peak RSS %ld kB", wk);
    cr_assert(bk > 0 && bk < S_RSS_CAP_KB, "broker peak RSS %ld kB", bk);
    cr_assert_eq(cq_cluster_stop(&cl), 0);
}
