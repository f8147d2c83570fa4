//  bclient.h: the client side of the frontend protocol (schemas/proto.md):
//  a DEALER connected to a broker, and the request / reply verbs that
//  `claimq status|results|workers`, `submit` and the tests use.
#ifndef CQ_BCLIENT_H
#define CQ_BCLIENT_H

#include "proto.h"
#include "wire.h"

#define CQ_BROKER_DEFAULT "tcp://127.0.0.1:5555"

typedef struct cq_bclient cq_bclient_t;

//  The broker endpoint to use: arg if given, else $CLAIMQ_BROKER, else
//  CQ_BROKER_DEFAULT.
const char *cq_bclient_endpoint(const char *arg);

//  Parses a --timeout argument: whole seconds, 1..86400. False if s is
//  not one.
bool cq_bclient_timeout_arg(const char *s, int *seconds);

//  Connects (lazily: nothing fails until a request times out).
cq_bclient_t *cq_bclient_new(const char *endpoint);
void cq_bclient_destroy(cq_bclient_t **self_p);
//  The raw zmq socket (for polling by the submit loop).
void *cq_bclient_sock(cq_bclient_t *self);
const char *cq_bclient_ep(const cq_bclient_t *self);
uint64_t cq_bclient_next_id(cq_bclient_t *self);

//  Sends one request body; returns 0 or an error (cq_wire_send).
int cq_bclient_send(cq_bclient_t *self, cq_cmd_t cmd, const cq_mpw_t *body,
                    zmq_msg_t *extra, int n_extra);
//  Receives the next message within timeout_ms (parsed: m->cmd, m->body).
//  Returns 0, CQ_ETIMEDOUT, or CQ_EPROTO (a malformed message, dropped).
int cq_bclient_recv(cq_bclient_t *self, cq_wire_msg_t *m, int timeout_ms);

//  STATUS. Returns 0, CQ_ETIMEDOUT (broker unreachable) or CQ_EPROTO.
int cq_bclient_status(cq_bclient_t *self, const char *batch_id,
                      cq_msg_status_reply_t *out, int timeout_ms);
//  WORKERS; free out with cq_proto_workers_reply_free.
int cq_bclient_workers(cq_bclient_t *self, cq_msg_workers_reply_t *out,
                       int timeout_ms);
//  QUARANTINE op (CQ_QOP_*) on id ("" for list); free out with
//  cq_proto_quarantine_reply_free. Returns 0 (out->status says what the
//  broker answered), CQ_EINVAL (id too long), CQ_ETIMEDOUT or CQ_EPROTO.
int cq_bclient_quarantine(cq_bclient_t *self, uint32_t op, const char *id,
                          cq_msg_quarantine_reply_t *out, int timeout_ms);

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

#endif
