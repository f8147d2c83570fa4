//  wire.h: proto.h messages through ZeroMQ sockets. A message on the wire
//  is [routing id] (ROUTER side only), header, body, [document frames].
//  Receiving reads every part of a message (so a bad message never leaves
//  parts behind) but keeps at most CQ_WIRE_MAX_PARTS; sending to a ROUTER
//  peer reports EHOSTUNREACH / EAGAIN (ZMQ_ROUTER_MANDATORY) as errors the
//  caller counts, never as silent drops.
#ifndef CQ_WIRE_H
#define CQ_WIRE_H

#include "proto.h"

#include <zmq.h>

#define CQ_WIRE_MAX_PARTS (CQ_PROTO_MAX_FRAMES + 1)

typedef struct {
    zmq_msg_t parts[CQ_WIRE_MAX_PARTS]; // received parts (first n open)
    int n;                              // parts kept
    int dropped;                        // parts over the limit, discarded
    size_t largest;                     // size of the largest part seen
    bool has_rid;                       // parts[0] is a routing id
    int cmd;                            // command (after cq_wire_parse)
    const uint8_t *body;                // body (after cq_wire_parse)
    size_t body_len;
    int first_extra; // index of the first document part
} cq_wire_msg_t;

//  Initializes m (no parts open).
void cq_wire_msg_init(cq_wire_msg_t *m);
//  Closes the parts of m; m can be reused.
void cq_wire_msg_close(cq_wire_msg_t *m);

//  Receives one whole message. router: the socket is a ROUTER (first part
//  is the routing id). flags: 0 or ZMQ_DONTWAIT. Returns 0, CQ_EBUSY (no
//  message waiting, with ZMQ_DONTWAIT), CQ_ETIMEDOUT (EINTR/timeout) or
//  CQ_EIO.
int cq_wire_recv(void *sock, bool router, cq_wire_msg_t *m, int flags);

//  Checks the frames of a received message: count, sizes against
//  max_frame, header. Returns 0 with m->cmd/body set, or CQ_ETOOBIG
//  (a part over max_frame or too many parts), CQ_EPROTO (bad header or
//  missing body), CQ_EUNSUPPORTED (other version), CQ_ENOTFOUND (unknown
//  command), with diag saying which.
int cq_wire_parse(cq_wire_msg_t *m, size_t max_frame, cq_diag_t *diag);

//  Sends header + body + n_extra document parts (their content is moved
//  out: they are left empty and must still be closed by the caller).
//  rid/rid_len: the peer's routing id on a ROUTER socket, else NULL.
//  flags: ZMQ_DONTWAIT or 0. Returns 0, CQ_EUNREACH (no such peer),
//  CQ_EBUSY (peer's queue full) or CQ_EIO.
int cq_wire_send(void *sock, const void *rid, size_t rid_len, cq_cmd_t cmd,
                 const void *body, size_t body_len, zmq_msg_t *extra,
                 int n_extra, int flags);

//  Sends raw parts as they are (for tests that need malformed messages).
int cq_wire_send_raw(void *sock, const void *const *parts, const size_t *lens,
                     int n, int flags);

//  Monotonic milliseconds.
int64_t cq_wire_now_ms(void);

#endif
