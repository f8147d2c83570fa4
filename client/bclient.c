#include "bclient.h"
#include "broker_ep.h"
#include "curve.h"
#include "log.h"
#include "mem.h"

#include <czmq.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define S_BACKLOG 1024

#define S_MAX_EPS 8

struct cq_bclient {
    zsock_t *sock;
    void *raw;
    char *ep;             // the endpoint connected to
    char *eps[S_MAX_EPS]; // every endpoint (a pair: --broker A,B)
    int n_eps, cur_ep;
    uint64_t failovers;
    uint64_t next_id;
    cq_wire_msg_t *in;
    //  messages that arrived while a reply was awaited, for the next
    //  cq_bclient_recv (a receipt or a push is never thrown away)
    cq_wire_msg_t *backlog[S_BACKLOG];
    size_t bl_head, bl_n;
    char why[CQ_PROTO_MSG_LEN]; // the broker's reason (CQ_EUNSUPPORTED)
    cq_curve_client_t curve;    // keys (curve.cert NULL: plain)
    cq_curve_watch_t *watch;    // handshakes, until one succeeded
    bool settled;               // a handshake succeeded
};

static char s_new_why[512];

const char *
cq_bclient_new_why(void)
{
    return s_new_why;
}

//  The handshake's outcome, if one came: CQ_EUNSUPPORTED (refused, wrong
//  broker key, CURVE on one side only; self->why says which), else 0.
static int
s_watch(cq_bclient_t *self)
{
    if (self->settled || self->watch == NULL)
        return 0;
    int rc = cq_curve_watch_wait(self->watch, 0, self->why, sizeof self->why);
    if (rc == 0)
        self->settled = true;
    return rc == CQ_EUNSUPPORTED ? rc : 0;
}

//  Polls the socket and, until the handshake is settled, its watch.
static int
s_poll(cq_bclient_t *self, long ms)
{
    zmq_pollitem_t it[2] = {{self->raw, 0, ZMQ_POLLIN, 0},
                            {NULL, 0, ZMQ_POLLIN, 0}};
    int n = 1;
    if (!self->settled && self->watch)
        it[n++].socket = cq_curve_watch_sock(self->watch);
    if (zmq_poll(it, n, ms) < 0 && zmq_errno() != EINTR)
        return CQ_EIO;
    return s_watch(self);
}

//  DISCONNECT from the broker that ends this client: not its client
//  endpoint, or this key refused. Fills self->why.
static bool
s_fatal_disconnect(cq_bclient_t *self, const cq_wire_msg_t *m)
{
    uint32_t code = 0;
    return m->cmd == CQ_CMD_DISCONNECT &&
           cq_proto_disconnect_decode(m->body, m->body_len, self->why, &code,
                                      NULL) == 0 &&
           (code == CQ_DISCONNECT_WRONG_EP || code == CQ_DISCONNECT_REFUSED);
}

const char *
cq_bclient_why(const cq_bclient_t *self)
{
    return self->why;
}

const char *
cq_bclient_endpoint(const char *arg)
{
    //  (unchecked; the verbs use cq_broker_ep_resolve, which says what is
    //  wrong with an address and where it came from)
    static cq_broker_ep_t e;
    cq_broker_ep_resolve(arg && *arg ? arg : NULL, &e, NULL);
    return e.ep;
}

bool
cq_bclient_timeout_arg(const char *s, int *seconds)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 1 || v > 86400)
        return false;
    *seconds = (int)v;
    return true;
}

cq_bclient_t *
cq_bclient_new(const char *endpoint)
{
    zsys_handler_set(NULL);
    zsys_set_logstream(stderr);
    cq_bclient_t *self = cq_xcalloc(1, sizeof *self);
    s_new_why[0] = '\0';
    cq_diag_t diag = {0};
    if (cq_curve_client_init(&self->curve, NULL, NULL, &diag) < 0) {
        cq_strlcpy(s_new_why, diag.msg, sizeof s_new_why);
        free(self);
        return NULL;
    }
    self->sock = zsock_new(ZMQ_DEALER);
    if (self->sock == NULL) {
        cq_curve_client_fini(&self->curve);
        free(self);
        return NULL;
    }
    if (self->curve.cert)
        cq_curve_client_apply(&self->curve, self->sock);
    self->watch = cq_curve_watch_new(self->sock);
    zsock_set_sndhwm(self->sock, 100000);
    zsock_set_rcvhwm(self->sock, 100000);
    zsock_set_linger(self->sock, 0);
    zsock_set_maxmsgsize(self->sock, (int)CQ_PROTO_MAX_FRAME + 4096);
    //  A, or A,B,...: the first connected, the next ones on failover
    char *list = cq_xstrdup(endpoint), *save = NULL;
    for (char *t = strtok_r(list, ",", &save); t && self->n_eps < S_MAX_EPS;
         t = strtok_r(NULL, ",", &save))
        if (*t)
            self->eps[self->n_eps++] = cq_xstrdup(t);
    free(list);
    if (self->n_eps == 0 || zsock_connect(self->sock, "%s", self->eps[0]) < 0) {
        for (int i = 0; i < self->n_eps; i++)
            free(self->eps[i]);
        cq_curve_watch_destroy(&self->watch);
        zsock_destroy(&self->sock);
        cq_curve_client_fini(&self->curve);
        free(self);
        return NULL;
    }
    self->raw = zsock_resolve(self->sock);
    self->ep = self->eps[0];
    self->next_id = (uint64_t)zclock_usecs();
    self->in = cq_xmalloc(sizeof *self->in);
    cq_wire_msg_init(self->in);
    return self;
}

void
cq_bclient_destroy(cq_bclient_t **self_p)
{
    cq_bclient_t *self = *self_p;
    if (self == NULL)
        return;
    cq_curve_watch_destroy(&self->watch);
    zsock_destroy(&self->sock);
    cq_curve_client_fini(&self->curve);
    cq_wire_msg_close(self->in);
    free(self->in);
    for (size_t i = 0; i < self->bl_n; i++) {
        cq_wire_msg_t *m = self->backlog[(self->bl_head + i) % S_BACKLOG];
        cq_wire_msg_close(m);
        free(m);
    }
    for (int i = 0; i < self->n_eps; i++)
        free(self->eps[i]);
    free(self);
    *self_p = NULL;
}

bool
cq_bclient_failover(cq_bclient_t *self)
{
    if (self->n_eps < 2)
        return false;
    zsock_disconnect(self->sock, "%s", self->eps[self->cur_ep]);
    self->cur_ep = (self->cur_ep + 1) % self->n_eps;
    self->ep = self->eps[self->cur_ep];
    zsock_connect(self->sock, "%s", self->ep);
    self->failovers++;
    cq_log_info(NULL, "broker: trying %s", self->ep);
    return true;
}

int
cq_bclient_n_endpoints(const cq_bclient_t *self)
{
    return self->n_eps;
}

uint64_t
cq_bclient_failovers(const cq_bclient_t *self)
{
    return self->failovers;
}

//  DISCONNECT from a broker of a pair that is not the active one.
static bool
s_passive(const cq_wire_msg_t *m)
{
    uint32_t code = 0;
    char why[CQ_PROTO_MSG_LEN];
    return m->cmd == CQ_CMD_DISCONNECT &&
           cq_proto_disconnect_decode(m->body, m->body_len, why, &code, NULL) ==
               0 &&
           code == CQ_DISCONNECT_PASSIVE;
}

void *
cq_bclient_sock(cq_bclient_t *self)
{
    return self->raw;
}

const char *
cq_bclient_ep(const cq_bclient_t *self)
{
    return self->ep;
}

uint64_t
cq_bclient_next_id(cq_bclient_t *self)
{
    return ++self->next_id;
}

int
cq_bclient_send(cq_bclient_t *self, cq_cmd_t cmd, const cq_mpw_t *body,
                zmq_msg_t *extra, int n_extra)
{
    //  A DEALER with a connect pending queues the message (up to its HWM):
    //  an unreachable broker shows as a reply that never comes.
    return cq_wire_send(self->raw, NULL, 0, cmd, body->data, body->len, extra,
                        n_extra, 0);
}

//  Moves the parts of src into dst (both initialised); src is left empty.
static void
s_move(cq_wire_msg_t *dst, cq_wire_msg_t *src)
{
    cq_wire_msg_close(dst);
    for (int i = 0; i < src->n; i++) {
        zmq_msg_init(&dst->parts[i]);
        zmq_msg_move(&dst->parts[i], &src->parts[i]);
        zmq_msg_close(&src->parts[i]);
    }
    dst->n = src->n;
    dst->has_rid = src->has_rid;
    dst->largest = src->largest;
    src->n = 0;
    cq_wire_msg_close(src);
    cq_wire_parse(dst, CQ_PROTO_MAX_FRAME, NULL);
}

static void
s_keep(cq_bclient_t *self, cq_wire_msg_t *m)
{
    if (self->bl_n == S_BACKLOG) {
        cq_log_warn(NULL,
                    "%s from the broker dropped while waiting for a "
                    "reply",
                    cq_cmd_name(m->cmd));
        return;
    }
    cq_wire_msg_t *copy = cq_xmalloc(sizeof *copy);
    cq_wire_msg_init(copy);
    s_move(copy, m);
    self->backlog[(self->bl_head + self->bl_n) % S_BACKLOG] = copy;
    self->bl_n++;
}

int
cq_bclient_recv(cq_bclient_t *self, cq_wire_msg_t *m, int timeout_ms)
{
    if (self->bl_n > 0) {
        cq_wire_msg_t *b = self->backlog[self->bl_head];
        self->bl_head = (self->bl_head + 1) % S_BACKLOG;
        self->bl_n--;
        s_move(m, b);
        free(b);
        return 0;
    }
    int64_t deadline = cq_wire_now_ms() + timeout_ms;
    for (;;) {
        int rc = cq_wire_recv(self->raw, false, m, ZMQ_DONTWAIT);
        if (rc == 0) {
            cq_diag_t diag = {0};
            if (cq_wire_parse(m, CQ_PROTO_MAX_FRAME, &diag) != 0) {
                cq_log_warn(NULL, "message from the broker dropped: %s",
                            diag.msg);
                cq_wire_msg_close(m);
                return CQ_EPROTO;
            }
            if (s_passive(m)) {
                //  the pair's other broker is the active one
                cq_wire_msg_close(m);
                if (cq_bclient_failover(self))
                    continue;
                cq_strlcpy(self->why,
                           "this broker is the passive one of a pair; give "
                           "both: --broker A,B",
                           sizeof self->why);
                return CQ_EUNSUPPORTED;
            }
            if (m->cmd == CQ_CMD_DISCONNECT) {
                //  (a broker says this is not its client endpoint, or
                //  refuses this key)
                if (s_fatal_disconnect(self, m)) {
                    cq_wire_msg_close(m);
                    return CQ_EUNSUPPORTED;
                }
                self->why[0] = '\0';
            }
            return 0;
        }
        int64_t left = deadline - cq_wire_now_ms();
        if (left <= 0)
            return CQ_ETIMEDOUT;
        rc = s_poll(self, (long)left);
        if (rc != 0)
            return rc;
    }
}

//  Waits for the reply of type cmd; other messages are kept for the next
//  cq_bclient_recv.
static int
s_reply(cq_bclient_t *self, int cmd, int timeout_ms)
{
    int64_t deadline = cq_wire_now_ms() + timeout_ms;
    for (;;) {
        int rc = cq_wire_recv(self->raw, false, self->in, ZMQ_DONTWAIT);
        if (rc == 0) {
            if (cq_wire_parse(self->in, CQ_PROTO_MAX_FRAME, NULL) != 0)
                continue; // malformed: dropped
            if (self->in->cmd == cmd)
                return 0;
            if (s_passive(self->in)) {
                if (cq_bclient_failover(self))
                    return CQ_EBUSY; // (asked again, there)
                cq_strlcpy(self->why,
                           "this broker is the passive one of a pair; give "
                           "both: --broker A,B",
                           sizeof self->why);
                return CQ_EUNSUPPORTED;
            }
            if (s_fatal_disconnect(self, self->in))
                return CQ_EUNSUPPORTED; // (not a client endpoint, or refused)
            s_keep(self, self->in);
            continue;
        }
        int64_t left = deadline - cq_wire_now_ms();
        if (left <= 0)
            return CQ_ETIMEDOUT;
        rc = s_poll(self, (long)left);
        if (rc != 0)
            return rc;
    }
}

//  How a reply is read: its command, a decoder that also says its req_id,
//  and what frees a decoded reply that was not ours (NULL: nothing).
typedef struct {
    int cmd;
    int (*decode)(const uint8_t *p, size_t n, void *out, uint64_t *req_id);
    void (*drop)(void *out);
} s_how_t;

//  A reply's decoder for s_how_t (it says the reply's req_id), and the
//  free of one that has arrays: cq_proto_NAME_reply_decode / _free.
#define S_REPLY(name)                                                          \
    static int s_##name##_decode(const uint8_t *p, size_t n, void *out,        \
                                 uint64_t *req_id)                             \
    {                                                                          \
        cq_msg_##name##_reply_t *m = out;                                      \
        int rc = cq_proto_##name##_reply_decode(p, n, m, NULL);                \
        *req_id = m->req_id;                                                   \
        return rc;                                                             \
    }
#define S_REPLY_FREE(name)                                                     \
    static void s_##name##_drop(void *out)                                     \
    {                                                                          \
        cq_proto_##name##_reply_free(out);                                     \
    }

//  Sends body w (freed) as cmd and waits for the reply with req_id,
//  decoded into out; replies to earlier requests are skipped.
static int
s_call(cq_bclient_t *self, cq_cmd_t cmd, cq_mpw_t *w, uint64_t req_id,
       const s_how_t *how, void *out, int timeout_ms)
{
    //  A pair: each endpoint is given a share of the time, and asked
    //  again when it is silent or says it is not the active one.
    int64_t deadline = cq_wire_now_ms() + timeout_ms;
    int share = self->n_eps > 1 ? timeout_ms / (2 * self->n_eps) : timeout_ms;
    if (share < 1000)
        share = timeout_ms < 1000 ? timeout_ms : 1000;
    int rc = cq_bclient_send(self, cmd, w, NULL, 0);
    while (rc == 0) {
        uint64_t id = 0;
        int64_t left = deadline - cq_wire_now_ms();
        if (left <= 0) {
            rc = CQ_ETIMEDOUT;
            break;
        }
        rc = s_reply(self, how->cmd, (int)(left < share ? left : share));
        if ((rc == CQ_ETIMEDOUT && self->n_eps > 1 &&
             cq_wire_now_ms() < deadline && cq_bclient_failover(self)) ||
            rc == CQ_EBUSY) {
            rc = cq_bclient_send(self, cmd, w, NULL, 0);
            continue;
        }
        if (rc == 0)
            rc = how->decode(self->in->body, self->in->body_len, out, &id);
        if (rc == 0 && id == req_id)
            break;
        if (rc == 0 && how->drop)
            how->drop(out);
    }
    cq_mpw_free(w);
    return rc;
}

S_REPLY(status)

int
cq_bclient_status(cq_bclient_t *self, const char *batch_id,
                  cq_msg_status_reply_t *out, int timeout_ms)
{
    static const s_how_t how = {CQ_CMD_STATUS_REPLY, s_status_decode, NULL};
    cq_msg_status_t m;
    memset(&m, 0, sizeof m);
    m.req_id = cq_bclient_next_id(self);
    if (cq_strlcpy(m.batch_id, batch_id, sizeof m.batch_id) != 0)
        return CQ_EINVAL;
    cq_mpw_t w;
    cq_mpw_init(&w);
    cq_proto_status_encode(&w, &m);
    return s_call(self, CQ_CMD_STATUS, &w, m.req_id, &how, out, timeout_ms);
}

S_REPLY(workers)
S_REPLY_FREE(workers)

int
cq_bclient_workers(cq_bclient_t *self, cq_msg_workers_reply_t *out,
                   int timeout_ms)
{
    static const s_how_t how = {CQ_CMD_WORKERS_REPLY, s_workers_decode,
                                s_workers_drop};
    uint64_t id = cq_bclient_next_id(self);
    cq_mpw_t w;
    cq_mpw_init(&w);
    cq_proto_workers_encode(&w, id);
    return s_call(self, CQ_CMD_WORKERS, &w, id, &how, out, timeout_ms);
}

S_REPLY(drain)

int
cq_bclient_drain(cq_bclient_t *self, const char *node_id,
                 cq_msg_drain_reply_t *out, int timeout_ms)
{
    static const s_how_t how = {CQ_CMD_DRAIN_REPLY, s_drain_decode, NULL};
    cq_msg_drain_t m;
    memset(&m, 0, sizeof m);
    m.req_id = cq_bclient_next_id(self);
    if (cq_strlcpy(m.node_id, node_id, sizeof m.node_id) != 0 ||
        !cq_proto_node_id_ok(node_id))
        return CQ_EINVAL;
    cq_mpw_t w;
    cq_mpw_init(&w);
    cq_proto_drain_encode(&w, &m);
    return s_call(self, CQ_CMD_DRAIN_NODE, &w, m.req_id, &how, out, timeout_ms);
}

S_REPLY(shards)
S_REPLY_FREE(shards)

int
cq_bclient_shards(cq_bclient_t *self, cq_msg_shards_reply_t *out,
                  int timeout_ms)
{
    static const s_how_t how = {CQ_CMD_SHARDS_REPLY, s_shards_decode,
                                s_shards_drop};
    uint64_t id = cq_bclient_next_id(self);
    cq_mpw_t w;
    cq_mpw_init(&w);
    cq_proto_shards_encode(&w, id);
    return s_call(self, CQ_CMD_SHARDS, &w, id, &how, out, timeout_ms);
}

S_REPLY(quarantine)
S_REPLY_FREE(quarantine)

int
cq_bclient_quarantine(cq_bclient_t *self, uint32_t op, const char *id,
                      cq_msg_quarantine_reply_t *out, int timeout_ms)
{
    static const s_how_t how = {CQ_CMD_QUARANTINE_REPLY, s_quarantine_decode,
                                s_quarantine_drop};
    cq_msg_quarantine_t m;
    memset(&m, 0, sizeof m);
    m.req_id = cq_bclient_next_id(self);
    m.op = op;
    if (cq_strlcpy(m.id, id, sizeof m.id) != 0)
        return CQ_EINVAL;
    cq_mpw_t w;
    cq_mpw_init(&w);
    cq_proto_quarantine_encode(&w, &m);
    return s_call(self, CQ_CMD_QUARANTINE, &w, m.req_id, &how, out, timeout_ms);
}

S_REPLY(review)
S_REPLY_FREE(review)

int
cq_bclient_review(cq_bclient_t *self, cq_msg_review_t *m,
                  cq_msg_review_reply_t *out, int timeout_ms)
{
    static const s_how_t how = {CQ_CMD_REVIEW_REPLY, s_review_decode,
                                s_review_drop};
    m->req_id = cq_bclient_next_id(self);
    cq_mpw_t w;
    cq_mpw_init(&w);
    cq_proto_review_encode(&w, m);
    return s_call(self, CQ_CMD_REVIEW, &w, m->req_id, &how, out, timeout_ms);
}

int
cq_bclient_results(cq_bclient_t *self, const char *batch_id, uint64_t from,
                   bool with_claims, cq_bclient_entry_fn *fn, void *arg,
                   bool *complete, int timeout_ms)
{
    cq_msg_results_t q;
    memset(&q, 0, sizeof q);
    if (cq_strlcpy(q.batch_id, batch_id, sizeof q.batch_id) != 0)
        return CQ_EINVAL;
    q.cursor = from;
    q.max = 1024;
    q.with_claims = with_claims;
    cq_mpw_t w;
    cq_mpw_init(&w);
    cq_decision_t *d = cq_xmalloc(sizeof *d);
    cq_claim_t *c = with_claims ? cq_xmalloc(sizeof *c) : NULL;
    int rc = 0;
    *complete = false;
    for (;;) {
        q.req_id = cq_bclient_next_id(self);
        cq_proto_results_encode(&w, &q);
        rc = cq_bclient_send(self, CQ_CMD_RESULTS, &w, NULL, 0);
        if (rc != 0)
            break;
        cq_msg_results_reply_t r;
        do {
            rc = s_reply(self, CQ_CMD_RESULTS_REPLY, timeout_ms);
            if (rc == 0)
                rc = cq_proto_results_reply_decode(
                    self->in->body, self->in->body_len, &r, NULL);
        } while (rc == 0 && r.req_id != q.req_id);
        if (rc != 0)
            break;
        if (r.status != 0) {
            rc = r.status;
            break;
        }
        uint64_t doc_id;
        uint32_t index;
        bool has_d, has_c;
        int k;
        while ((k = cq_proto_results_reply_next(&r, &doc_id, &index, &has_d, d,
                                                &has_c, c, NULL)) == 1) {
            rc = fn(arg, doc_id, index, has_d ? d : NULL, has_c ? c : NULL);
            if (rc != 0)
                goto out;
        }
        if (k < 0) {
            rc = CQ_EPROTO;
            break;
        }
        if (r.next_cursor >= r.total || r.next_cursor == q.cursor) {
            *complete = r.complete;
            break;
        }
        q.cursor = r.next_cursor;
    }
out:
    free(d);
    free(c);
    cq_mpw_free(&w);
    return rc;
}

S_REPLY(acks)

int
cq_bclient_acks(cq_bclient_t *self, const char *batch_id, cq_bclient_ack_fn *fn,
                void *arg, bool *complete, int timeout_ms)
{
    static const s_how_t how = {CQ_CMD_ACKS_REPLY, s_acks_decode, NULL};
    cq_msg_acks_t q;
    memset(&q, 0, sizeof q);
    *complete = false;
    if (cq_strlcpy(q.batch_id, batch_id, sizeof q.batch_id) != 0)
        return CQ_EINVAL;
    for (;;) {
        q.req_id = cq_bclient_next_id(self);
        cq_mpw_t w;
        cq_mpw_init(&w);
        cq_proto_acks_encode(&w, &q);
        cq_msg_acks_reply_t r;
        int rc = s_call(self, CQ_CMD_ACKS, &w, q.req_id, &how, &r, timeout_ms);
        if (rc != 0)
            return rc;
        if (r.status != 0)
            return r.status;
        //  the items are views into the reply, valid until the next one
        uint64_t doc_id;
        char name[CQ_DOC_NAME_LEN];
        const uint8_t *ack;
        size_t len;
        int k;
        while ((k = cq_proto_acks_reply_next(&r, &doc_id, name, &ack, &len,
                                             NULL)) == 1)
            if ((rc = fn(arg, doc_id, name, ack, len)) != 0)
                return rc;
        if (k < 0)
            return CQ_EPROTO;
        if (r.next_cursor >= r.total || r.next_cursor == q.cursor) {
            *complete = r.complete;
            return 0;
        }
        q.cursor = r.next_cursor;
    }
}

S_REPLY(batches)
S_REPLY_FREE(batches)

int
cq_bclient_batches(cq_bclient_t *self, uint64_t since_ms,
                   cq_msg_batches_reply_t *out, int timeout_ms)
{
    static const s_how_t how = {CQ_CMD_BATCHES_REPLY, s_batches_decode,
                                s_batches_drop};
    cq_msg_batches_t m;
    memset(&m, 0, sizeof m);
    m.req_id = cq_bclient_next_id(self);
    m.since_ms = since_ms;
    cq_mpw_t w;
    cq_mpw_init(&w);
    cq_proto_batches_encode(&w, &m);
    return s_call(self, CQ_CMD_BATCHES, &w, m.req_id, &how, out, timeout_ms);
}
