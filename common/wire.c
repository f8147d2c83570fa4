#include "wire.h"

#include "limit.h"

#include <errno.h>
#include <string.h>
#include <time.h>

void
cq_wire_msg_init(cq_wire_msg_t *m)
{
    m->n = 0;
    m->dropped = 0;
    m->largest = 0;
    m->has_rid = false;
    m->cmd = -1;
    m->body = NULL;
    m->body_len = 0;
    m->first_extra = 0;
}

void
cq_wire_msg_close(cq_wire_msg_t *m)
{
    for (int i = 0; i < m->n; i++)
        zmq_msg_close(&m->parts[i]);
    cq_wire_msg_init(m);
}

int
cq_wire_recv(void *sock, bool router, cq_wire_msg_t *m, int flags)
{
    cq_wire_msg_close(m);
    m->has_rid = router;
    for (;;) {
        zmq_msg_t scratch;
        zmq_msg_t *part = m->n < CQ_WIRE_MAX_PARTS ? &m->parts[m->n] : &scratch;
        zmq_msg_init(part);
        int rc = zmq_msg_recv(part, sock, m->n == 0 ? flags : 0);
        if (rc < 0) {
            int e = errno;
            zmq_msg_close(part);
            if (m->n == 0 && e == EAGAIN)
                return CQ_EBUSY;
            cq_wire_msg_close(m);
            //  A message's parts arrive together: EINTR or EAGAIN here
            //  means a signal interrupted the first read.
            return (e == EINTR || e == EAGAIN) ? CQ_ETIMEDOUT : CQ_EIO;
        }
        size_t sz = zmq_msg_size(part);
        if (sz > m->largest)
            m->largest = sz;
        bool more = zmq_msg_more(part);
        if (part == &scratch) {
            zmq_msg_close(part);
            m->dropped++;
        } else {
            m->n++;
        }
        if (!more)
            return 0;
    }
}

int
cq_wire_parse(cq_wire_msg_t *m, size_t max_frame, cq_diag_t *diag)
{
    int base = m->has_rid ? 1 : 0;
    if (m->dropped > 0) {
        cq_limit_hit(CQ_LIMIT_MESSAGE_FIELD);
        return cq_diag_set(diag, CQ_ETOOBIG, 0, "message: over %d parts",
                           CQ_WIRE_MAX_PARTS);
    }
    if (m->largest > max_frame) {
        cq_limit_hit(CQ_LIMIT_FRAME);
        return cq_diag_set(diag, CQ_ETOOBIG, 0,
                           "message: a part of %zu bytes is over the "
                           "limit of %zu",
                           m->largest, max_frame);
    }
    if (m->n < base + 2)
        return cq_diag_set(diag, CQ_EPROTO, 0,
                           "message: %d parts, need header and body",
                           m->n - base);
    int rc = cq_proto_hdr_decode(zmq_msg_data(&m->parts[base]),
                                 zmq_msg_size(&m->parts[base]), &m->cmd, diag);
    if (rc != 0)
        return rc;
    m->body = zmq_msg_data(&m->parts[base + 1]);
    m->body_len = zmq_msg_size(&m->parts[base + 1]);
    m->first_extra = base + 2;
    return 0;
}

static int
s_errno_rc(void)
{
    if (errno == EHOSTUNREACH)
        return CQ_EUNREACH;
    if (errno == EAGAIN)
        return CQ_EBUSY;
    if (errno == EINTR)
        return CQ_ETIMEDOUT;
    return CQ_EIO;
}

int
cq_wire_send(void *sock, const void *rid, size_t rid_len, cq_cmd_t cmd,
             const void *body, size_t body_len, zmq_msg_t *extra, int n_extra,
             int flags)
{
    uint8_t hdr[CQ_PROTO_HDR_LEN];
    cq_proto_hdr_encode(cmd, hdr);
    //  With ZMQ_ROUTER_MANDATORY, a ROUTER refuses the routing-id part
    //  when the peer is unknown or its queue is full; once that part is
    //  taken, the rest of the message is taken too.
    if (rid != NULL) {
        if (zmq_send(sock, rid, rid_len, ZMQ_SNDMORE | flags) < 0)
            return s_errno_rc();
    }
    if (zmq_send(sock, hdr, sizeof hdr, ZMQ_SNDMORE | flags) < 0)
        return s_errno_rc();
    if (zmq_send(sock, body, body_len,
                 (n_extra > 0 ? ZMQ_SNDMORE : 0) | flags) < 0)
        return s_errno_rc();
    for (int i = 0; i < n_extra; i++) {
        if (zmq_msg_send(&extra[i], sock,
                         (i + 1 < n_extra ? ZMQ_SNDMORE : 0) | flags) < 0)
            return s_errno_rc();
    }
    return 0;
}

int
cq_wire_send_raw(void *sock, const void *const *parts, const size_t *lens,
                 int n, int flags)
{
    for (int i = 0; i < n; i++)
        if (zmq_send(sock, parts[i], lens[i],
                     (i + 1 < n ? ZMQ_SNDMORE : 0) | flags) < 0)
            return s_errno_rc();
    return 0;
}

int64_t
cq_wire_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
