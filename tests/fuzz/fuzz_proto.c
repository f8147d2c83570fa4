//  libFuzzer target: the wire protocol's decoders (common/proto.h).
//  An input is a header frame (4 bytes) followed by a body; the header's
//  command picks the decoder, and items are read to the end. Whatever
//  claim or decision decodes must encode and decode again to the same
//  bytes; ORPHANS, EXTEND, WELCOME, DISCONNECT, BATCHES_REPLY,
//  SHARDS_REPLY, HAVE, HAVE_REPLY and the 999s of INTAKE_DONE and
//  ACKS_REPLY that decode must be within their limits (a HAVE_REPLY also
//  re-encodes to the same ids).
//  Without CQ_FUZZ this replays tests/fuzz/corpus/proto/.
#include "proto.h"

#include <stdlib.h>
#include <string.h>

static void
s_claim_stable(const cq_claim_t *c)
{
    cq_mpw_t a, b;
    cq_mpw_init(&a);
    cq_mpw_init(&b);
    cq_proto_claim_encode(&a, c);
    cq_claim_t *c2 = malloc(sizeof *c2);
    cq_cur_t cur;
    cq_cur_init(&cur, a.data, a.len);
    if (cq_proto_claim_decode(&cur, c2) != 0)
        abort();
    cq_proto_claim_encode(&b, c2);
    if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
        abort();
    free(c2);
    cq_mpw_free(&a);
    cq_mpw_free(&b);
}

//  A 999 that decoded: within the cap, and a view into the body.
static void
s_ack_within(const uint8_t *ack, size_t len, const uint8_t *p, size_t n)
{
    if (len > CQ_PROTO_MAX_ACK)
        abort();
    if (len > 0 &&
        (ack == NULL || ack < p || len > n || (size_t)(ack - p) > n - len))
        abort();
}

static void
s_decision_stable(const cq_decision_t *d)
{
    cq_mpw_t a, b;
    cq_mpw_init(&a);
    cq_mpw_init(&b);
    cq_proto_decision_encode(&a, d);
    cq_decision_t *d2 = malloc(sizeof *d2);
    cq_cur_t cur;
    cq_cur_init(&cur, a.data, a.len);
    if (cq_proto_decision_decode(&cur, d2) != 0)
        abort();
    cq_proto_decision_encode(&b, d2);
    if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
        abort();
    free(d2);
    cq_mpw_free(&a);
    cq_mpw_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < CQ_PROTO_HDR_LEN)
        return 0;
    int cmd;
    cq_proto_hdr_decode(data, CQ_PROTO_HDR_LEN, &cmd, NULL);
    cmd = data[3]; // decode whatever the command byte says
    const uint8_t *p = data + CQ_PROTO_HDR_LEN;
    size_t n = size - CQ_PROTO_HDR_LEN;
    cq_claim_t *c = malloc(sizeof *c);
    cq_decision_t *d = malloc(sizeof *d);
    cq_diag_t diag = {0};
    const uint8_t *raw;
    size_t raw_len;
    uint64_t u64;
    uint32_t u32;
    int32_t st;
    char batch[CQ_BATCH_ID_LEN];
    char name[CQ_DOC_NAME_LEN];
    const uint8_t *ack;
    size_t ack_len;
    switch (cmd) {
    case CQ_CMD_READY: {
        cq_msg_ready_t m;
        cq_proto_ready_decode(p, n, &m, &diag);
        break;
    }
    case CQ_CMD_WELCOME: {
        cq_msg_welcome_t m;
        if (cq_proto_welcome_decode(p, n, &m, &diag) == 0 &&
            (m.code > CQ_WELCOME_NODE_ID ||
             (m.accepted && m.code != CQ_WELCOME_OK)))
            abort();
        break;
    }
    case CQ_CMD_HEARTBEAT:
    case CQ_CMD_GOODBYE:
    case CQ_CMD_GOODBYE_OK:
        cq_proto_empty_decode(p, n, &diag);
        break;
    case CQ_CMD_DISCONNECT: {
        char reason[CQ_PROTO_MSG_LEN];
        if (cq_proto_disconnect_decode(p, n, reason, &u32, &diag) == 0 &&
            u32 > CQ_DISCONNECT_WRONG_EP)
            abort();
        break;
    }
    case CQ_CMD_PAUSE: {
        char reason[CQ_PROTO_MSG_LEN];
        cq_proto_reason_decode(p, n, reason, &diag);
        break;
    }
    case CQ_CMD_INTAKE: {
        cq_msg_intake_t m;
        cq_proto_intake_decode(p, n, &m, &diag);
        break;
    }
    case CQ_CMD_INTAKE_DONE: {
        cq_msg_intake_done_t m;
        if (cq_proto_intake_done_decode(p, n, &m, &diag) != 0)
            break;
        s_ack_within(m.ack, m.ack_len, p, n);
        while (cq_proto_intake_done_next(&m, c, &raw, &raw_len, &diag) == 1)
            s_claim_stable(c);
        break;
    }
    case CQ_CMD_ADJUDICATE: {
        cq_msg_adjudicate_t m;
        if (cq_proto_adjudicate_decode(p, n, &m, &diag) == 0)
            while (cq_proto_adjudicate_next(&m, &u64, batch, c, &diag) == 1)
                s_claim_stable(c);
        break;
    }
    case CQ_CMD_RESULT: {
        cq_msg_result_t m;
        if (cq_proto_result_decode(p, n, &m, &diag) == 0)
            while (cq_proto_result_next(&m, &u64, &st, d, &raw, &raw_len,
                                        &diag) == 1)
                if (st == 0)
                    s_decision_stable(d);
        break;
    }
    case CQ_CMD_HISTORY: {
        cq_msg_history_t m;
        if (cq_proto_history_decode(p, n, &m, &diag) == 0)
            while (cq_proto_history_next(&m, &u64, batch, c, d, &diag) == 1) {
                s_claim_stable(c);
                s_decision_stable(d);
            }
        break;
    }
    case CQ_CMD_ORPHANS: {
        cq_msg_orphans_t *m = malloc(sizeof *m);
        if (cq_proto_orphans_decode(p, n, m, &diag) == 0)
            for (uint32_t i = 0; i < m->n_ranges; i++)
                if (m->ranges[i][0] == 0 || m->ranges[i][0] > m->ranges[i][1])
                    abort();
        free(m);
        break;
    }
    case CQ_CMD_EXTEND: {
        cq_msg_extend_t *m = malloc(sizeof *m);
        if (cq_proto_extend_decode(p, n, m, &diag) == 0 &&
            (m->n == 0 || m->n > CQ_PROTO_MAX_EXTEND))
            abort();
        free(m);
        break;
    }
    case CQ_CMD_SUBMIT: {
        cq_msg_submit_t *m = malloc(sizeof *m);
        cq_proto_submit_decode(p, n, m, &diag);
        free(m);
        break;
    }
    case CQ_CMD_RECEIPT: {
        cq_msg_receipt_t *m = malloc(sizeof *m);
        cq_proto_receipt_decode(p, n, m, &diag);
        free(m);
        break;
    }
    case CQ_CMD_DOC_DONE: {
        cq_msg_doc_done_t m;
        cq_proto_doc_done_decode(p, n, &m, &diag);
        break;
    }
    case CQ_CMD_DECISIONS: {
        cq_msg_decisions_t m;
        bool has;
        if (cq_proto_decisions_decode(p, n, &m, &diag) == 0)
            while (cq_proto_decisions_next(&m, &u64, &u32, &has, d, &diag) == 1)
                if (has)
                    s_decision_stable(d);
        break;
    }
    case CQ_CMD_STATUS: {
        cq_msg_status_t m;
        cq_proto_status_decode(p, n, &m, &diag);
        break;
    }
    case CQ_CMD_STATUS_REPLY: {
        cq_msg_status_reply_t m;
        cq_proto_status_reply_decode(p, n, &m, &diag);
        break;
    }
    case CQ_CMD_RESULTS: {
        cq_msg_results_t m;
        cq_proto_results_decode(p, n, &m, &diag);
        break;
    }
    case CQ_CMD_RESULTS_REPLY: {
        cq_msg_results_reply_t m;
        bool hd, hc;
        if (cq_proto_results_reply_decode(p, n, &m, &diag) == 0)
            while (cq_proto_results_reply_next(&m, &u64, &u32, &hd, d, &hc, c,
                                               &diag) == 1) {
                if (hd)
                    s_decision_stable(d);
                if (hc)
                    s_claim_stable(c);
            }
        break;
    }
    case CQ_CMD_WORKERS:
        cq_proto_workers_decode(p, n, &u64, &diag);
        break;
    case CQ_CMD_WORKERS_REPLY: {
        cq_msg_workers_reply_t *m = malloc(sizeof *m);
        if (cq_proto_workers_reply_decode(p, n, m, &diag) == 0)
            cq_proto_workers_reply_free(m);
        free(m);
        break;
    }
    case CQ_CMD_QUARANTINE: {
        cq_msg_quarantine_t m;
        cq_proto_quarantine_decode(p, n, &m, &diag);
        break;
    }
    case CQ_CMD_QUARANTINE_REPLY: {
        cq_msg_quarantine_reply_t m;
        cq_proto_quarantine_reply_decode(p, n, &m, &diag);
        cq_proto_quarantine_reply_free(&m);
        break;
    }
    case CQ_CMD_SEAL: {
        cq_msg_seal_t m;
        cq_proto_seal_decode(p, n, &m, &diag);
        break;
    }
    case CQ_CMD_SEAL_REPLY: {
        cq_msg_seal_reply_t m;
        cq_proto_seal_reply_decode(p, n, &m, &diag);
        break;
    }
    case CQ_CMD_BATCHES: {
        cq_msg_batches_t m;
        cq_proto_batches_decode(p, n, &m, &diag);
        break;
    }
    case CQ_CMD_BATCHES_REPLY: {
        cq_msg_batches_reply_t m;
        if (cq_proto_batches_reply_decode(p, n, &m, &diag) == 0 &&
            (m.n_items > CQ_PROTO_MAX_BATCHES ||
             (m.n_items > 0) != (m.items != NULL)))
            abort();
        cq_proto_batches_reply_free(&m);
        break;
    }
    case CQ_CMD_ACKS: {
        cq_msg_acks_t m;
        cq_proto_acks_decode(p, n, &m, &diag);
        break;
    }
    case CQ_CMD_ACKS_REPLY: {
        cq_msg_acks_reply_t m;
        if (cq_proto_acks_reply_decode(p, n, &m, &diag) == 0)
            while (cq_proto_acks_reply_next(&m, &u64, name, &ack, &ack_len,
                                            &diag) == 1)
                s_ack_within(ack, ack_len, p, n);
        break;
    }
    case CQ_CMD_DRAIN_NODE: {
        cq_msg_drain_t m;
        cq_proto_drain_decode(p, n, &m, &diag);
        break;
    }
    case CQ_CMD_DRAIN_REPLY: {
        cq_msg_drain_reply_t m;
        cq_proto_drain_reply_decode(p, n, &m, &diag);
        break;
    }
    case CQ_CMD_SHARDS:
        cq_proto_shards_decode(p, n, &u64, &diag);
        break;
    case CQ_CMD_SHARDS_REPLY: {
        cq_msg_shards_reply_t m;
        if (cq_proto_shards_reply_decode(p, n, &m, &diag) == 0 &&
            (m.n_items > CQ_PROTO_MAX_SHARDS ||
             (m.n_items > 0) != (m.items != NULL)))
            abort();
        cq_proto_shards_reply_free(&m);
        break;
    }
    case CQ_CMD_HAVE: {
        cq_msg_have_t m;
        if (cq_proto_have_decode(p, n, &m, &diag) == 0 &&
            (m.n == 0 || m.n > CQ_PROTO_MAX_HAVE || m.digests == NULL))
            abort();
        cq_proto_have_free(&m);
        break;
    }
    case CQ_CMD_HAVE_REPLY: {
        cq_msg_have_reply_t m;
        if (cq_proto_have_reply_decode(p, n, &m, &diag) == 0) {
            if (m.n > CQ_PROTO_MAX_HAVE || (m.n > 0) != (m.doc_ids != NULL))
                abort();
            //  (re-encodes to the same ids, nil for CQ_HAVE_NONE)
            cq_mpw_t w;
            cq_mpw_init(&w);
            cq_proto_have_reply_encode(&w, &m);
            cq_msg_have_reply_t m2;
            if (cq_proto_have_reply_decode(w.data, w.len, &m2, NULL) != 0 ||
                m2.n != m.n ||
                (m.n > 0 &&
                 memcmp(m.doc_ids, m2.doc_ids, m.n * sizeof *m.doc_ids) != 0))
                abort();
            cq_proto_have_reply_free(&m2);
            cq_mpw_free(&w);
        }
        cq_proto_have_reply_free(&m);
        break;
    }
    case CQ_CMD_REVIEW: {
        cq_msg_review_t *m = malloc(sizeof *m);
        if (cq_proto_review_decode(p, n, m, &diag) == 0) {
            if (m->n_tenants > CQ_REVIEW_MAX_TENANTS ||
                m->op > CQ_ROP_RELEASE ||
                (m->claim == NULL && m->claim_len != 0))
                abort();
            //  re-encodes to what decodes the same
            cq_mpw_t w;
            cq_mpw_init(&w);
            cq_proto_review_encode(&w, m);
            cq_msg_review_t *m2 = malloc(sizeof *m2);
            if (cq_proto_review_decode(w.data, w.len, m2, NULL) != 0 ||
                m2->n_tenants != m->n_tenants || m2->id != m->id ||
                m2->claim_len != m->claim_len || m2->no_doc != m->no_doc ||
                strcmp(m2->changes, m->changes) != 0)
                abort();
            free(m2);
            cq_mpw_free(&w);
        }
        free(m);
        break;
    }
    case CQ_CMD_REVIEW_REPLY: {
        cq_msg_review_reply_t m;
        if (cq_proto_review_reply_decode(p, n, &m, &diag) == 0) {
            if (m.n_items > CQ_REVIEW_MAX_ITEMS ||
                (m.n_items > 0) != (m.items != NULL))
                abort();
            cq_mpw_t w;
            cq_mpw_init(&w);
            cq_proto_review_reply_encode(&w, &m);
            cq_msg_review_reply_t m2;
            if (cq_proto_review_reply_decode(w.data, w.len, &m2, NULL) != 0 ||
                m2.n_items != m.n_items || m2.doc_len != m.doc_len ||
                m2.oldest_ms != m.oldest_ms)
                abort();
            cq_proto_review_reply_free(&m2);
            cq_mpw_free(&w);
        }
        cq_proto_review_reply_free(&m);
        break;
    }
    case CQ_CMD_PEER_BEACON: {
        cq_msg_peer_beacon_t m;
        cq_proto_peer_beacon_decode(p, n, &m, &diag);
        break;
    }
    case CQ_CMD_PEER_SNAP: {
        cq_msg_peer_snap_t m;
        if (cq_proto_peer_snap_decode(p, n, &m, &diag) == 0 &&
            (m.len > CQ_PEER_MAX_CHUNK || strchr(m.name, '/') != NULL ||
             m.name[0] == '.' || (m.name[0] == '\0') != m.last))
            abort();
        break;
    }
    case CQ_CMD_PEER_GROUP: {
        cq_msg_peer_group_t m;
        if (cq_proto_peer_group_decode(p, n, &m, &diag) == 0 &&
            (m.kind > 1 || m.len > CQ_PEER_MAX_FRAME ||
             (m.len > 0 && (m.body < p || m.body + m.len > p + n))))
            abort();
        break;
    }
    case CQ_CMD_PEER_ACK: {
        cq_msg_peer_ack_t m;
        cq_proto_peer_ack_decode(p, n, &m, &diag);
        break;
    }
    default: {
        //  anything else: a bare claim, then a bare decision
        cq_cur_t cur;
        cq_cur_init(&cur, p, n);
        if (cq_proto_claim_decode(&cur, c) == 0)
            s_claim_stable(c);
        cq_cur_init(&cur, p, n);
        if (cq_proto_decision_decode(&cur, d) == 0)
            s_decision_stable(d);
        break;
    }
    }
    free(c);
    free(d);
    return 0;
}
