//  The client verbs' contract with their users (DESIGN.md §10): exit codes
//  and messages when a file cannot be read, an argument is out of range,
//  or no broker answers (4, in a bounded time, saying so).
#include "cq_proc.h"
#include "proto.h"
#include "wire.h"

#include <criterion/criterion.h>
#include <czmq.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

//  A port nothing listens on.
#define S_NOBODY "tcp://127.0.0.1:1"

Test(cli, submit_of_an_unreadable_file_fails_with_1, .timeout = 60)
{
    cq_run_t r;
    int st = cq_proc_claimq(&r, 20, "submit", "--broker", S_NOBODY,
                            "/nonexistent/claims.json", NULL);
    cr_assert_eq(st, 1, "exit %d: %s", st, r.err);
    cr_assert(strstr(r.err, "/nonexistent/claims.json") != NULL, "%s", r.err);
    cr_assert_eq(r.out_len, 0, "%s", r.out);
    cq_run_free(&r);
}

//  --timeout is whole seconds in 1..86400: anything else is a usage error
//  (exit 2, "Try"), not a number read in part, nor an overflow.
Test(cli, timeouts_out_of_range_are_usage_errors, .timeout = 60)
{
    const char *bad[] = {"99999999999", "5x", "0", ""};
    const char *verbs[] = {"status", "results", "workers"};
    for (size_t v = 0; v < 3; v++)
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
            cq_run_t r;
            int st;
            if (strcmp(verbs[v], "workers") == 0)
                st = cq_proc_claimq(&r, 20, verbs[v], "--broker", S_NOBODY,
                                    "--timeout", bad[i], NULL);
            else
                st = cq_proc_claimq(&r, 20, verbs[v], "--broker", S_NOBODY,
                                    "--timeout", bad[i], "b1", NULL);
            cr_assert_eq(st, 2, "%s --timeout '%s': exit %d: %s", verbs[v],
                         bad[i], st, r.err);
            cr_assert(strstr(r.err, "Try 'claimq ") != NULL, "%s", r.err);
            cq_run_free(&r);
        }
}

Test(cli, no_broker_means_exit_4_in_bounded_time, .timeout = 60)
{
    char dir[1024];
    const char *tmp = cq_test_tmpdir();
    cr_assert_not_null(tmp);
    snprintf(dir, sizeof dir, "%s", tmp);
    cr_assert_eq(cq_proc_gen(dir, 5, 5), 0);
    char claims[1100];
    snprintf(claims, sizeof claims, "%s/claims.jsonl", dir);
    cq_run_t r;
    int st = cq_proc_claimq(&r, 20, "submit", "--broker", S_NOBODY, "--quiet",
                            "--timeout", "1", claims, NULL);
    cr_assert_eq(st, 4, "submit: exit %d: %s", st, r.err);
    cr_assert(strstr(r.err, "unreachable") != NULL, "%s", r.err);
    cr_assert_eq(r.out_len, 0, "%s", r.out);
    cq_run_free(&r);
    st = cq_proc_claimq(&r, 20, "submit", "--broker", S_NOBODY, "--quiet",
                        "--wait", "--timeout", "1", claims, NULL);
    cr_assert_eq(st, 4, "submit --wait: exit %d: %s", st, r.err);
    cr_assert(strstr(r.err, "unreachable") != NULL, "%s", r.err);
    cq_run_free(&r);
    const char *verbs[] = {"status", "results"};
    for (int v = 0; v < 2; v++) {
        st = cq_proc_claimq(&r, 20, verbs[v], "--broker", S_NOBODY, "--timeout",
                            "1", "b1", NULL);
        cr_assert_eq(st, 4, "%s: exit %d: %s", verbs[v], st, r.err);
        cr_assert(strstr(r.err, "unreachable") != NULL, "%s", r.err);
        cq_run_free(&r);
    }
}

//  A broker that answers with a decision for a claim the document does not
//  have (index 2^32-1, then 2^31): the client drops it, and still takes the
//  real one, writes it and exits 0. (A client must not trust indexes off the
//  wire to size its tables.)
Test(cli, submit_drops_decisions_for_claims_that_do_not_exist, .timeout = 60)
{
    zsys_handler_set(NULL);
    char dir[1024];
    const char *tmp = cq_test_tmpdir();
    cr_assert_not_null(tmp);
    snprintf(dir, sizeof dir, "%s", tmp);
    char doc[1100], out[1100], log[1100];
    snprintf(doc, sizeof doc, "%s/one.json", dir);
    snprintf(out, sizeof out, "%s/out.jsonl", dir);
    snprintf(log, sizeof log, "%s/client.log", dir);
    cr_assert_eq(cq_test_write(doc, "{}\n", 3), 0);
    zsock_t *router = zsock_new(ZMQ_ROUTER);
    cr_assert_not_null(router);
    cr_assert_geq(zsock_bind(router, "tcp://127.0.0.1:*"), 0);
    char *ep = zsock_last_endpoint(router);
    void *raw = zsock_resolve(router);

    char *argv[] = {(char *)cq_test_bin("claimq"),
                    "submit",
                    "--broker",
                    ep,
                    "--batch",
                    "b-fake",
                    "--wait",
                    "--quiet",
                    "--timeout",
                    "10",
                    "--output",
                    out,
                    doc,
                    NULL};
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    cr_assert_geq(fd, 0);
    cq_child_t client;
    cr_assert_eq(cq_child_spawn(&client, argv, fd), 0);
    close(fd);

    cq_wire_msg_t in;
    cq_wire_msg_init(&in);
    zmq_pollitem_t it = {raw, 0, ZMQ_POLLIN, 0};
    cr_assert_eq(zmq_poll(&it, 1, 10000), 1, "no SUBMIT");
    cr_assert_eq(cq_wire_recv(raw, true, &in, 0), 0);
    cr_assert_eq(cq_wire_parse(&in, CQ_PROTO_MAX_FRAME, NULL), 0);
    while (in.cmd == CQ_CMD_HAVE || in.cmd == CQ_CMD_STATUS) {
        //  (--batch: it asks first which documents are held; this broker
        //  predates HAVE and drops it, as it drops a STATUS meanwhile: the
        //  client then sends them all)
        cq_wire_msg_close(&in);
        cr_assert_eq(zmq_poll(&it, 1, 10000), 1, "no SUBMIT");
        cr_assert_eq(cq_wire_recv(raw, true, &in, 0), 0);
        cr_assert_eq(cq_wire_parse(&in, CQ_PROTO_MAX_FRAME, NULL), 0);
    }
    cr_assert_eq(in.cmd, CQ_CMD_SUBMIT);
    cq_msg_submit_t *sm = calloc(1, sizeof *sm);
    cr_assert_eq(cq_proto_submit_decode(in.body, in.body_len, sm, NULL), 0);
    uint8_t rid[256];
    size_t rid_len = zmq_msg_size(&in.parts[0]);
    memcpy(rid, zmq_msg_data(&in.parts[0]), rid_len);

    cq_mpw_t w;
    cq_mpw_init(&w);
    cq_msg_receipt_t *rc = calloc(1, sizeof *rc);
    rc->req_id = sm->req_id;
    strcpy(rc->batch_id, "b-fake");
    rc->n_docs = 1;
    rc->doc_ids[0] = 7;
    cq_proto_receipt_encode(&w, rc);
    cr_assert_eq(cq_wire_send(raw, rid, rid_len, CQ_CMD_RECEIPT, w.data, w.len,
                              NULL, 0, 0),
                 0);
    cq_msg_doc_done_t dd;
    memset(&dd, 0, sizeof dd);
    strcpy(dd.batch_id, "b-fake");
    dd.doc_id = 7;
    dd.n_claims = 1;
    cq_proto_doc_done_encode(&w, &dd);
    cr_assert_eq(cq_wire_send(raw, rid, rid_len, CQ_CMD_DOC_DONE, w.data, w.len,
                              NULL, 0, 0),
                 0);
    cq_decision_t *d = calloc(1, sizeof *d);
    strcpy(d->claim_id, "C1");
    strcpy(d->payer_id, "ACME");
    strcpy(d->billing_npi, "1234567893");
    d->frequency = '1';
    strcpy(d->batch_id, "b-fake");
    d->decision = CQ_DECISION_ACCEPT;
    d->billed = d->allowed = d->paid = 100;
    strcpy(d->node, "n1");
    strcpy(d->rules_version, "sha256:fake");
    d->ocr_confidence = -1;
    cq_mpw_t dw;
    cq_mpw_init(&dw);
    cq_proto_decision_encode(&dw, d);
    const uint32_t idx[] = {UINT32_MAX, UINT32_C(1) << 31, 0};
    for (int i = 0; i < 3; i++) {
        size_t at = cq_proto_decisions_begin(&w, "b-fake");
        cq_proto_decisions_add(&w, 7, idx[i], dw.data, dw.len);
        cq_proto_decisions_end(&w, at, 1);
        cr_assert_eq(cq_wire_send(raw, rid, rid_len, CQ_CMD_DECISIONS, w.data,
                                  w.len, NULL, 0, 0),
                     0);
    }
    //  (the client seals the batch once its document is receipted: the
    //  seal is answered; anything else it asks is left unanswered)
    int st = -1;
    for (int i = 0; i < 1500 && !cq_child_exited(&client); i++) {
        if (zmq_poll(&it, 1, 10) != 1)
            continue;
        cq_wire_msg_close(&in);
        cr_assert_eq(cq_wire_recv(raw, true, &in, 0), 0);
        cr_assert_eq(cq_wire_parse(&in, CQ_PROTO_MAX_FRAME, NULL), 0);
        if (in.cmd != CQ_CMD_SEAL)
            continue;
        cq_msg_seal_t sq;
        cr_assert_eq(cq_proto_seal_decode(in.body, in.body_len, &sq, NULL), 0);
        cq_msg_seal_reply_t sr;
        memset(&sr, 0, sizeof sr);
        sr.req_id = sq.req_id;
        strcpy(sr.batch_id, "b-fake");
        sr.docs = 1;
        cq_proto_seal_reply_encode(&w, &sr);
        cr_assert_eq(cq_wire_send(raw, rid, rid_len, CQ_CMD_SEAL_REPLY, w.data,
                                  w.len, NULL, 0, 0),
                     0);
    }
    st = cq_child_stop(&client, SIGKILL, 1000);
    size_t n;
    char *text = cq_test_read(log, &n);
    cr_assert_eq(st, 0, "claimq submit: exit %d: %s", st, text ? text : "");
    free(text);
    text = cq_test_read(out, &n);
    cr_assert_not_null(text);
    cr_assert(strstr(text, "\"claim_id\": \"C1\"") != NULL, "%s", text);
    cr_assert_eq(memchr(text, '\n', n), text + n - 1, "one line: %s", text);
    free(text);
    free(d);
    free(rc);
    free(sm);
    cq_mpw_free(&w);
    cq_mpw_free(&dw);
    cq_wire_msg_close(&in);
    freen(ep);
    zsock_destroy(&router);
}

//  A broker that is there but holds receipts back (its intake queue is
//  full): submit gives up after --timeout, saying there was no progress;
//  it must not call a broker that answers "unreachable".
Test(cli, a_broker_holding_receipts_is_not_unreachable, .timeout = 60)
{
    zsys_handler_set(NULL);
    char dir[1024];
    const char *tmp = cq_test_tmpdir();
    cr_assert_not_null(tmp);
    snprintf(dir, sizeof dir, "%s", tmp);
    char doc[1100], log[1100];
    snprintf(doc, sizeof doc, "%s/one.json", dir);
    snprintf(log, sizeof log, "%s/client.log", dir);
    cr_assert_eq(cq_test_write(doc, "{}\n", 3), 0);
    zsock_t *router = zsock_new(ZMQ_ROUTER);
    cr_assert_not_null(router);
    cr_assert_geq(zsock_bind(router, "tcp://127.0.0.1:*"), 0);
    char *ep = zsock_last_endpoint(router);
    void *raw = zsock_resolve(router);
    char *argv[] = {(char *)cq_test_bin("claimq"),
                    "submit",
                    "--broker",
                    ep,
                    "--quiet",
                    "--timeout",
                    "1",
                    doc,
                    NULL};
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    cr_assert_geq(fd, 0);
    cq_child_t client;
    cr_assert_eq(cq_child_spawn(&client, argv, fd), 0);
    close(fd);
    cq_wire_msg_t in;
    cq_wire_msg_init(&in);
    cq_mpw_t w;
    cq_mpw_init(&w);
    int submits = 0;
    for (int i = 0; i < 1000 && !cq_child_exited(&client); i++) {
        zmq_pollitem_t it = {raw, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, 10) != 1)
            continue;
        cr_assert_eq(cq_wire_recv(raw, true, &in, 0), 0);
        cr_assert_eq(cq_wire_parse(&in, CQ_PROTO_MAX_FRAME, NULL), 0);
        if (in.cmd == CQ_CMD_SUBMIT) {
            submits++; // held: no RECEIPT
            continue;
        }
        cr_assert_eq(in.cmd, CQ_CMD_STATUS);
        cq_msg_status_t sq;
        cr_assert_eq(cq_proto_status_decode(in.body, in.body_len, &sq, NULL),
                     0);
        cq_msg_status_reply_t sr;
        memset(&sr, 0, sizeof sr);
        sr.req_id = sq.req_id;
        strcpy(sr.batch_id, sq.batch_id);
        cq_proto_status_reply_encode(&w, &sr);
        cr_assert_eq(cq_wire_send(raw, zmq_msg_data(&in.parts[0]),
                                  zmq_msg_size(&in.parts[0]),
                                  CQ_CMD_STATUS_REPLY, w.data, w.len, NULL, 0,
                                  0),
                     0);
    }
    int st = cq_child_stop(&client, SIGKILL, 1000);
    size_t n;
    char *text = cq_test_read(log, &n);
    cr_assert_not_null(text);
    cr_assert_eq(submits, 1);
    cr_assert_eq(st, 4, "exit %d: %s", st, text);
    cr_assert(strstr(text, "no progress") != NULL, "%s", text);
    cr_assert(strstr(text, "unreachable") == NULL, "%s", text);
    free(text);
    cq_mpw_free(&w);
    cq_wire_msg_close(&in);
    freen(ep);
    zsock_destroy(&router);
}

//  `claimq quarantine` against a broker with nothing quarantined (no
//  workers needed): 0 with a readable answer, 1 when the broker refuses
//  (no such item), 2 for a malformed id, 4 when nobody answers.
static cq_child_t s_broker;

static void
s_broker_stop(void)
{
    cq_child_stop(&s_broker, SIGKILL, 5000);
}

Test(cli, quarantine_exit_codes, .timeout = 60, .fini = s_broker_stop)
{
    const char *argv[] = {cq_test_bin("claimq-broker"), "--frontend",
                          "tcp://127.0.0.1:*",          "--backend",
                          "tcp://127.0.0.1:*",          NULL};
    cq_child_t *broker = &s_broker;
    cr_assert_eq(cq_child_spawn(broker, (char *const *)argv, -1), 0);
    cr_assert_eq(cq_child_wait_ready(broker, 10000), 0);
    char fe[256];
    cr_assert(cq_child_ready_get(broker, "frontend", fe, sizeof fe));
    cq_run_t r;
    int st = cq_proc_claimq(&r, 20, "quarantine", "list", "--broker", fe, NULL);
    cr_assert_eq(st, 0, "%s", r.err);
    cr_assert(strstr(r.out, "nothing is quarantined") != NULL, "%s", r.out);
    cq_run_free(&r);
    st = cq_proc_claimq(&r, 20, "quarantine", "list", "--json", "--broker", fe,
                        NULL);
    cr_assert_eq(st, 0, "%s", r.err);
    cr_assert(strstr(r.out, "\"items\": []") != NULL, "%s", r.out);
    cq_run_free(&r);
    st = cq_proc_claimq(&r, 20, "quarantine", "show", "claim:7", "--broker", fe,
                        NULL);
    cr_assert_eq(st, 1, "exit %d: %s", st, r.err);
    cr_assert(strstr(r.err, "claim:7") != NULL, "%s", r.err);
    cq_run_free(&r);
    st = cq_proc_claimq(&r, 20, "quarantine", "release", "doc:3", "--json",
                        "--broker", fe, NULL);
    cr_assert_eq(st, 1, "exit %d: %s", st, r.err);
    cr_assert(strstr(r.out, "\"status\": -23") != NULL, "%s", r.out);
    cq_run_free(&r);
    const char *bad[][2] = {{"show", "7"},
                            {"release", "claim:"},
                            {"show", "claim:1x"},
                            {"list", "claim:1"}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        st = cq_proc_claimq(&r, 20, "quarantine", bad[i][0], bad[i][1],
                            "--broker", fe, NULL);
        cr_assert_eq(st, 2, "%s %s: exit %d: %s", bad[i][0], bad[i][1], st,
                     r.err);
        cr_assert(strstr(r.err, "Try 'claimq quarantine --help'") != NULL, "%s",
                  r.err);
        cq_run_free(&r);
    }
    cr_assert_eq(cq_child_stop(broker, SIGTERM, 10000), 0);
    st = cq_proc_claimq(&r, 20, "quarantine", "list", "--broker", S_NOBODY,
                        "--timeout", "1", NULL);
    cr_assert_eq(st, 4, "exit %d: %s", st, r.err);
    cr_assert(strstr(r.err, "unreachable") != NULL, "%s", r.err);
    cq_run_free(&r);
}

//  Issue 13 (part): without encryption the broker binds loopback by
//  default and refuses an endpoint beyond it unless --insecure is said
//  (nothing is bound: the refusal comes first).
Test(cli, plain_bind_beyond_loopback_is_refused, .timeout = 60)
{
    static const char *const eps[][2] = {
        {"--frontend", "tcp://*:0"},
        {"--backend", "tcp://0.0.0.0:0"},
        {"--frontend", "tcp://10.99.0.1:0"},
    };
    for (size_t i = 0; i < sizeof eps / sizeof eps[0]; i++) {
        const char *argv[] = {cq_test_bin("claimq-broker"), eps[i][0],
                              eps[i][1], NULL};
        cq_run_t r;
        cr_assert_eq(cq_test_run((char *const *)argv, NULL, 30, &r), 0);
        cr_assert_eq(r.status, 2, "%s %s: exit %d", eps[i][0], eps[i][1],
                     r.status);
        cr_assert(strstr(r.err, "--insecure") != NULL, "%s", r.err);
        cr_assert(strstr(r.err, eps[i][1]) != NULL, "%s", r.err);
        cr_assert_eq(r.out_len, 0, "READY printed: %s", r.out);
        cq_run_free(&r);
    }
    const char *help[] = {cq_test_bin("claimq-broker"), "--help", NULL};
    cq_run_t r;
    cr_assert_eq(cq_test_run((char *const *)help, NULL, 30, &r), 0);
    cr_assert(strstr(r.out, "default tcp://127.0.0.1:5555") != NULL, "%s",
              r.out);
    cr_assert(strstr(r.out, "--insecure") != NULL);
    cq_run_free(&r);
}
