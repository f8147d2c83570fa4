//  Issue 3, scenario 4: a malformed frame, an unknown command, an oversized
//  frame, a frame of another version, a stale result: each is dropped and
//  counted, and the broker keeps serving.
#include "cq_proc.h"
#include "proto.h"
#include "wire.h"

#include <criterion/criterion.h>
#include <czmq.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void
s_send(void *sock, const void *hdr, size_t hlen, const void *body, size_t blen)
{
    const void *parts[2] = {hdr, body};
    size_t lens[2] = {hlen, blen};
    cr_assert_eq(cq_wire_send_raw(sock, parts, lens, body ? 2 : 1, 0), 0);
}

//  Waits until counter `name` reaches want (the broker reads
//  asynchronously).
static long long
s_wait_counter(const char *fe, const char *name, long long want)
{
    long long v = -1;
    for (int i = 0; i < 100; i++) {
        v = cq_proc_counter(fe, name);
        if (v >= want)
            break;
        usleep(20000);
    }
    return v;
}

Test(badframes, dropped_counted_and_still_serving, .timeout = 120,
     .fini = cq_proc_cleanup)
{
    zsys_handler_set(NULL);
    //  (cq_test_tmpdir's buffer is reused by later cq_test_* calls)
    char dir[1024];
    const char *tmp = cq_test_tmpdir();
    cr_assert_not_null(tmp);
    snprintf(dir, sizeof dir, "%s", tmp);
    cr_assert_eq(cq_proc_gen(dir, 200, 50), 0);
    const char *extra[] = {"--max-frame", "65536", NULL};
    static cq_cluster_t cl; // static: .fini may reach it after a failure
    cr_assert_eq(cq_proc_cluster(&cl, dir, 1, 1000, extra), 0);

    zsock_t *front = zsock_new_dealer(cl.frontend);
    zsock_t *back = zsock_new_dealer(cl.backend);
    cr_assert_not_null(front);
    cr_assert_not_null(back);
    void *f = zsock_resolve(front), *b = zsock_resolve(back);

    uint8_t hdr[CQ_PROTO_HDR_LEN];
    cq_mpw_t w;
    cq_mpw_init(&w);

    //  1. a header alone (no body): malformed
    cq_proto_hdr_encode(CQ_CMD_STATUS, hdr);
    s_send(f, hdr, sizeof hdr, NULL, 0);
    //  2. not a claimq header: malformed
    s_send(f, "GET / HTTP/1.1", 14, "x", 1);
    //  3. a body that is not msgpack: malformed
    cq_proto_hdr_encode(CQ_CMD_SUBMIT, hdr);
    s_send(f, hdr, sizeof hdr, "\xc1\xc1\xc1", 3);
    //  4. a truncated body: malformed
    cq_msg_status_t st;
    memset(&st, 0, sizeof st);
    st.req_id = 7;
    strcpy(st.batch_id, "nope");
    cq_proto_status_encode(&w, &st);
    cq_proto_hdr_encode(CQ_CMD_STATUS, hdr);
    s_send(f, hdr, sizeof hdr, w.data, w.len - 1);
    cr_assert_eq(s_wait_counter(cl.frontend, "malformed", 4), 4);

    //  5. an unknown command
    uint8_t unk[CQ_PROTO_HDR_LEN] = {CQ_PROTO_SIG0, CQ_PROTO_SIG1,
                                     CQ_PROTO_VERSION, 0x7f};
    s_send(f, unk, sizeof unk, "\x90", 1);
    cr_assert_eq(s_wait_counter(cl.frontend, "unknown_command", 1), 1);
    //  6. another protocol version
    uint8_t v2[CQ_PROTO_HDR_LEN] = {CQ_PROTO_SIG0, CQ_PROTO_SIG1, 2,
                                    CQ_CMD_STATUS};
    s_send(f, v2, sizeof v2, w.data, w.len);
    cr_assert_eq(s_wait_counter(cl.frontend, "bad_version", 1), 1);
    //  7. an oversized frame (the broker runs with --max-frame 65536)
    size_t big = 100000;
    uint8_t *blob = calloc(1, big);
    cq_proto_hdr_encode(CQ_CMD_SUBMIT, hdr);
    s_send(f, hdr, sizeof hdr, blob, big);
    free(blob);
    cr_assert_eq(s_wait_counter(cl.frontend, "oversized", 1), 1);
    //  8. a worker command sent to the frontend: counted, and its sender
    //  is told which endpoint this is (DISCONNECT, code WRONG_EP)
    cq_proto_empty_encode(&w);
    cq_proto_hdr_encode(CQ_CMD_HEARTBEAT, hdr);
    s_send(f, hdr, sizeof hdr, w.data, w.len);
    cr_assert_eq(s_wait_counter(cl.frontend, "wrong_endpoint", 1), 1);
    {
        cq_wire_msg_t m;
        cq_wire_msg_init(&m);
        zmq_pollitem_t it = {f, 0, ZMQ_POLLIN, 0};
        cr_assert_eq(zmq_poll(&it, 1, 5000), 1, "no answer");
        cr_assert_eq(cq_wire_recv(f, false, &m, 0), 0);
        cr_assert_eq(cq_wire_parse(&m, CQ_PROTO_MAX_FRAME, NULL), 0);
        cr_assert_eq(m.cmd, CQ_CMD_DISCONNECT);
        char reason[CQ_PROTO_MSG_LEN];
        uint32_t code = 99;
        cr_assert_eq(
            cq_proto_disconnect_decode(m.body, m.body_len, reason, &code, NULL),
            0);
        cr_assert_eq(code, CQ_DISCONNECT_WRONG_EP);
        cr_assert(strstr(reason, "client endpoint (frontend)"), "%s", reason);
        cq_wire_msg_close(&m);
    }

    //  Backend: a peer that never sent READY is told to, and counted.
    s_send(b, hdr, sizeof hdr, w.data, w.len);
    cr_assert_eq(s_wait_counter(cl.frontend, "unknown_peer", 1), 1);
    //  A READY that does not decode.
    cq_proto_hdr_encode(CQ_CMD_READY, hdr);
    s_send(b, hdr, sizeof hdr, "\x92\xa1x", 3);
    cr_assert_eq(s_wait_counter(cl.frontend, "malformed", 5), 5);
    //  A registered worker's RESULT under a lease it does not hold: stale.
    cq_msg_ready_t rd;
    memset(&rd, 0, sizeof rd);
    strcpy(rd.node_id, "intruder");
    rd.credit = 10;
    rd.intake_credit = 1;
    strcpy(rd.rules_version, "sha256:other");
    rd.heartbeat_ms = 1000;
    cq_proto_ready_encode(&w, &rd);
    s_send(b, hdr, sizeof hdr, w.data, w.len);
    size_t at = cq_proto_result_begin(&w, 123456789);
    cq_proto_result_end(&w, at, 0);
    cq_proto_hdr_encode(CQ_CMD_RESULT, hdr);
    s_send(b, hdr, sizeof hdr, w.data, w.len);
    cr_assert_eq(s_wait_counter(cl.frontend, "stale_results", 1), 1);
    //  Its rules differ from the cluster's: it is registered, given no work.
    char state[32] = "";
    cq_run_t r;
    cq_proc_claimq(&r, 10, "workers", "--broker", cl.frontend, NULL);
    cr_assert(strstr(r.out,
                     "\"node\": \"intruder\", \"state\": \"mismatch\"") != NULL,
              "%s", r.out);
    cq_run_free(&r);
    (void)state;
    cq_mpw_free(&w);
    zsock_destroy(&front);
    zsock_destroy(&back);

    //  A document over the limit is refused with a reason, not ignored.
    char claims[4096], out[4096];
    snprintf(claims, sizeof claims, "%s/claims.jsonl", dir);
    snprintf(out, sizeof out, "%s/decisions.jsonl", dir);
    int rc = cq_proc_claimq(&r, 60, "submit", "--broker", cl.frontend,
                            "--quiet", "--chunk", "1000", claims, NULL);
    cr_assert_eq(rc, 5, "%s", r.err); // refused: exit 5
    cr_assert(strstr(r.err, "over this broker's limit") != NULL, "%s", r.err);
    cq_run_free(&r);
    cr_assert_eq(cq_proc_counter(cl.frontend, "oversized"), 2);

    //  The broker still serves: a batch goes through.
    rc = cq_proc_claimq(&r, 60, "submit", "--broker", cl.frontend, "--wait",
                        "--chunk", "50", "--output", out, "--quiet", claims,
                        NULL);
    cr_assert_eq(rc, 0, "%s", r.err);
    cq_run_free(&r);
    size_t n;
    char **d = cq_proc_decisions(out, &n);
    cr_assert_not_null(d);
    cr_assert_eq(n, 200);
    cq_proc_lines_free(d, n);
    cr_assert_eq(cq_cluster_stop(&cl), 0, "a process did not exit 0");
}
