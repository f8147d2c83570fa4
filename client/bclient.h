//  bclient.h: the client side of the frontend protocol (schemas/proto.md):
//  a DEALER connected to a broker, and the request / reply verbs that
//  `claimq status|results|workers`, `submit` and the tests use.
#ifndef CQ_BCLIENT_H
#define CQ_BCLIENT_H

#include "proto.h"
#include "wire.h"

#define CQ_BROKER_DEFAULT "tcp://127.0.0.1:5555"

typedef struct cq_bclient cq_bclient_t;

//  The broker endpoint to use: arg if given, else $CLAIMQ_BROKER, else a
//  local `claimq up`'s, else CQ_BROKER_DEFAULT (broker_ep.h, which also
//  checks it and says where it came from). Valid until the next call.
const char *cq_bclient_endpoint(const char *arg);

//  Parses a --timeout argument: whole seconds, 1..86400. False if s is
//  not one.
bool cq_bclient_timeout_arg(const char *s, int *seconds);

//  Connects (lazily: nothing fails until a request times out), with CURVE
//  when $CLAIMQ_CURVE_KEY and $CLAIMQ_BROKER_KEY name key files (curve.h;
//  `claimq --curve-key/--broker-key` set them). NULL when the socket or
//  the keys are unusable: cq_bclient_new_why says why ("" for a socket).
//  A refused key, a wrong broker key, or CURVE on one side only shows as
//  CQ_EUNSUPPORTED from the first request, with cq_bclient_why.
cq_bclient_t *cq_bclient_new(const char *endpoint);
const char *cq_bclient_new_why(void);
//  A pair of brokers (--broker A,B): connects to the next endpoint (after
//  a silence, or a DISCONNECT from the passive one). False with one
//  endpoint. Requests made through this file's calls do it themselves.
bool cq_bclient_failover(cq_bclient_t *self);
int cq_bclient_n_endpoints(const cq_bclient_t *self);
uint64_t cq_bclient_failovers(const cq_bclient_t *self);
void cq_bclient_destroy(cq_bclient_t **self_p);
//  The raw zmq socket (for polling by the submit loop).
void *cq_bclient_sock(cq_bclient_t *self);
const char *cq_bclient_ep(const cq_bclient_t *self);
uint64_t cq_bclient_next_id(cq_bclient_t *self);

//  Sends one request body; returns 0 or an error (cq_wire_send).
int cq_bclient_send(cq_bclient_t *self, cq_cmd_t cmd, const cq_mpw_t *body,
                    zmq_msg_t *extra, int n_extra);
//  Receives the next message within timeout_ms (parsed: m->cmd, m->body).
//  Returns 0, CQ_ETIMEDOUT, CQ_EPROTO (a malformed message, dropped), or
//  CQ_EUNSUPPORTED: the endpoint is not a broker's client endpoint (the
//  broker said so: cq_bclient_why has its words).
int cq_bclient_recv(cq_bclient_t *self, cq_wire_msg_t *m, int timeout_ms);
//  Why the broker refused this client (after CQ_EUNSUPPORTED), or "".
const char *cq_bclient_why(const cq_bclient_t *self);

//  STATUS. Returns 0, CQ_ETIMEDOUT (broker unreachable) or CQ_EPROTO.
int cq_bclient_status(cq_bclient_t *self, const char *batch_id,
                      cq_msg_status_reply_t *out, int timeout_ms);
//  WORKERS; free out with cq_proto_workers_reply_free.
int cq_bclient_workers(cq_bclient_t *self, cq_msg_workers_reply_t *out,
                       int timeout_ms);
//  DRAIN_NODE: node_id's shards move away, it finishes and stops. Returns
//  0 (out->status says what the broker answered), CQ_EINVAL (not a node
//  id), CQ_ETIMEDOUT or CQ_EPROTO.
int cq_bclient_drain(cq_bclient_t *self, const char *node_id,
                     cq_msg_drain_reply_t *out, int timeout_ms);
//  SHARDS; free out with cq_proto_shards_reply_free.
int cq_bclient_shards(cq_bclient_t *self, cq_msg_shards_reply_t *out,
                      int timeout_ms);
//  BATCHES: the batches the broker holds, created at or after since_ms
//  (0: all). Free out with cq_proto_batches_reply_free.
int cq_bclient_batches(cq_bclient_t *self, uint64_t since_ms,
                       cq_msg_batches_reply_t *out, int timeout_ms);
//  QUARANTINE op (CQ_QOP_*) on id ("" for list); free out with
//  cq_proto_quarantine_reply_free. Returns 0 (out->status says what the
//  broker answered), CQ_EINVAL (id too long), CQ_ETIMEDOUT or CQ_EPROTO.
int cq_bclient_quarantine(cq_bclient_t *self, uint32_t op, const char *id,
                          cq_msg_quarantine_reply_t *out, int timeout_ms);

//  REVIEW (req_id set here); free out with cq_proto_review_reply_free.
//  Its views (claim, doc, ...) point into the received message: valid
//  until the next call on self. Returns 0 (out->status says what the
//  broker answered), CQ_ETIMEDOUT or CQ_EPROTO.
int cq_bclient_review(cq_bclient_t *self, cq_msg_review_t *m,
                      cq_msg_review_reply_t *out, int timeout_ms);
//  Walks a batch's entries in order with RESULTS pages. fn is called for
//  every entry (decision NULL when the claim has none yet or failed; claim
//  NULL unless with_claims). Returns 0 (and *complete: the batch had every
//  decision), CQ_ENOTFOUND (no such batch), CQ_ETIMEDOUT, CQ_EPROTO, or
//  fn's nonzero value.
typedef int(cq_bclient_entry_fn)(void *arg, uint64_t doc_id, uint32_t index,
                                 const cq_decision_t *d, const cq_claim_t *c);
int cq_bclient_results(cq_bclient_t *self, const char *batch_id, uint64_t from,
                       bool with_claims, cq_bclient_entry_fn *fn, void *arg,
                       bool *complete, int timeout_ms);

//  Walks a batch's 999 acknowledgments with ACKS pages: fn is called for
//  each X12 document through intake, in received order, with its 999
//  (documents that are not X12, or not through intake yet, have none and
//  are left out). Returns 0 (and *complete: every document of the batch
//  is through intake), CQ_ENOTFOUND (no such batch), CQ_EINVAL (batch id
//  too long), CQ_ETIMEDOUT, CQ_EPROTO, or fn's nonzero value.
typedef int(cq_bclient_ack_fn)(void *arg, uint64_t doc_id, const char *name,
                               const uint8_t *ack, size_t len);
int cq_bclient_acks(cq_bclient_t *self, const char *batch_id,
                    cq_bclient_ack_fn *fn, void *arg, bool *complete,
                    int timeout_ms);

#endif
