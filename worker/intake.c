#include "intake.h"
#include "doc.h"
#include "log.h"
#include "mem.h"
#include "ocr.h"
#include "proto.h"
#include "wire.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  The OCR engine of this intake thread: Tesseract is initialised once per
//  thread (docs/ocr.md: one TessBaseAPI per thread, never shared), at the
//  first image, and kept for the thread's life (s_ocr_end).
static _Thread_local cq_ocr_t *s_ocr;
static _Thread_local bool s_ocr_failed; // and not tried again
static _Thread_local char s_ocr_why[sizeof(((cq_diag_t *)0)->msg)];

static uint64_t s_ocr_pages;
static cq_hist_t s_ocr_hist;

uint64_t
cq_intake_ocr_pages(void)
{
    return __atomic_load_n(&s_ocr_pages, __ATOMIC_RELAXED);
}

const cq_hist_t *
cq_intake_ocr_hist(void)
{
    return &s_ocr_hist;
}

static cq_ocr_t *
s_ocr_get(void)
{
    if (s_ocr == NULL && !s_ocr_failed) {
        cq_ocr_opts_t o;
        cq_ocr_opts_init(&o);
        cq_diag_t diag = {0};
        s_ocr = cq_ocr_new(&o, &diag);
        if (s_ocr == NULL) {
            s_ocr_failed = true;
            cq_strlcpy(s_ocr_why, diag.msg, sizeof s_ocr_why);
            cq_log_error(NULL, "OCR engine unavailable: %s", diag.msg);
        }
    }
    return s_ocr;
}

static void
s_ocr_end(void)
{
    cq_ocr_destroy(&s_ocr);
}

typedef struct {
    cq_msg_intake_t in; // the INTAKE being answered
    size_t part_claims; // claims per part
    cq_mpw_t items;     // claims of the part being built, encoded
    cq_mpw_t w;         // the part's body
    uint32_t n;         // claims in it
    uint32_t part;      // its number
    uint32_t total;     // claims so far
    cq_intake_emit_fn *emit;
    void *arg;
    const uint8_t *doc; // the document (to scope placeholder ids)
    size_t doc_len;
    char doc_tag[9];        // its hash tag, "" until needed
    size_t ocr_recno;       // OCR claims seen (pages)
    cq_doc_answer_t answer; // X12: refused sets and the 999 (last part)
    cq_buf_t ack;           // the 999, at most CQ_PROTO_MAX_ACK bytes
} s_run_t;

//  Sends the part being built; the last one carries the document's status.
static void
s_emit(s_run_t *r, bool last, int32_t status, const char *message)
{
    cq_msg_intake_done_t m;
    memset(&m, 0, sizeof m);
    m.lease = r->in.lease;
    m.doc_id = r->in.doc_id;
    m.part = r->part;
    m.last = last;
    m.status = status;
    cq_strlcpy(m.message, message ? message : "", sizeof m.message);
    if (last) {
        //  X12: the sets refused at intake and the document's 999 (0, 0
        //  and no 999 for other documents)
        m.refused_sets = r->answer.refused_sets;
        m.refused_claims = r->answer.refused_claims;
        m.ack = (const uint8_t *)r->ack.data;
        m.ack_len = r->ack.len;
    }
    size_t at = cq_proto_intake_done_begin(&r->w, &m);
    cq_mpw_raw(&r->w, r->items.data, r->items.len);
    cq_proto_intake_done_end(&r->w, at, r->n, &m);
    r->emit(r->arg, r->w.data, r->w.len, last);
    r->part++;
    r->n = 0;
    cq_mpw_reset(&r->items);
}

static int
s_on_claim(void *arg, cq_claim_t *c)
{
    s_run_t *r = arg;
    //  A record without a usable claim id is named "#<n>" by the JSON
    //  decoder, scoped by cq_doc_decode as "#<document hash>:<n>", n
    //  counting from the document's start: make n count from the file's
    //  start when the client sent the file in pieces.
    //  (OCR claims are not scoped by cq_doc_decode: do it here.)
    if (c->source == CQ_SOURCE_OCR) {
        r->ocr_recno++;
        cq_claim_check_key(c, r->ocr_recno);
        cq_doc_scope_id(r->doc, r->doc_len, r->doc_tag, c);
    }
    if (c->claim_id[0] == '#' && r->in.first_record > 1) {
        char *colon = strrchr(c->claim_id, ':');
        char *num = colon ? colon + 1 : c->claim_id + 1;
        char *end;
        unsigned long k = strtoul(num, &end, 10);
        if (end != num && *end == '\0') {
            char id[CQ_ID_LEN];
            snprintf(id, sizeof id, "%.*s%lu", (int)(num - c->claim_id),
                     c->claim_id, k + r->in.first_record - 1);
            cq_strlcpy(c->claim_id, id, sizeof c->claim_id);
        }
    }
    //  A form without a received stamp: the document's received date
    //  (cq_doc_decode stamps text documents the same way).
    if (c->received_date == CQ_DATE_NONE)
        c->received_date = r->in.received_date;
    cq_proto_claim_encode(&r->items, c);
    r->n++;
    r->total++;
    if (r->n >= r->part_claims || r->items.len >= CQ_INTAKE_PART_BYTES)
        s_emit(r, false, 0, NULL);
    return 0;
}

int
cq_intake_run(const uint8_t *body, size_t body_len, const uint8_t *doc,
              size_t doc_len, size_t part_claims, cq_intake_emit_fn *emit,
              void *arg)
{
    s_run_t r;
    memset(&r, 0, sizeof r);
    cq_diag_t diag = {0};
    int rc = cq_proto_intake_decode(body, body_len, &r.in, &diag);
    if (rc != 0) {
        cq_log_warn(NULL, "INTAKE dropped: %s", diag.msg);
        return rc;
    }
    if (r.in.size != doc_len) {
        cq_log_warn(NULL, "INTAKE dropped: document size differs");
        return CQ_EPROTO;
    }
    r.part_claims = part_claims ? part_claims : CQ_INTAKE_PART_CLAIMS;
    r.emit = emit;
    r.arg = arg;
    r.doc = doc;
    r.doc_len = doc_len;
    cq_buf_init(&r.ack, CQ_PROTO_MAX_ACK);
    cq_mpw_init(&r.w);
    cq_mpw_init(&r.items);
    int32_t status = 0;
    const char *message = NULL;
    if (cq_doc_sniff(doc, doc_len) == CQ_DOC_IMAGE) {
        //  Scanned CMS-1500 forms: one claim per page. An unreadable image
        //  still yields a claim (invalid: rejected CO-16 "unreadable
        //  image"), so the submitter gets an answer.
        cq_ocr_t *ocr = s_ocr_get();
        if (ocr == NULL) {
            status = CQ_EUNSUPPORTED;
            message = s_ocr_why;
        } else {
            int64_t t0 = zclock_usecs();
            rc = cq_ocr_read(ocr, doc, doc_len, s_on_claim, &r, &diag);
            if (rc > 0) {
                //  one claim a page: each page its share of the time
                uint64_t us = (uint64_t)(zclock_usecs() - t0) / (uint64_t)rc;
                for (int p = 0; p < rc; p++)
                    cq_hist_observe_us(&s_ocr_hist, us);
                __atomic_fetch_add(&s_ocr_pages, (uint64_t)rc,
                                   __ATOMIC_RELAXED);
            }
            if (rc < 0) {
                status = rc;
                message = diag.msg;
            }
        }
    } else {
        //  The 999's control numbers: 10000 per document (the most
        //  interchanges a document may hold), so that the 999s of a
        //  batch's documents, read one after another, never repeat one.
        r.answer.ack = &r.ack;
        r.answer.ack_env.newline = true;
        r.answer.ack_env.control =
            (uint32_t)(1 + (r.in.doc_id % 99999) * CQ_X12_MAX_INTERCHANGES);
        rc = cq_doc_decode_answer(doc, doc_len, r.in.received_date, s_on_claim,
                                  &r, &r.answer, &diag);
        if (rc < 0) {
            status = rc;
            message = diag.msg;
        }
        if (r.answer.ack_status != 0)
            cq_log_warn(NULL, "document %" PRIu64 ": no 999: %s", r.in.doc_id,
                        cq_strerror(r.answer.ack_status));
    }
    char x12[96] = "";
    if (r.answer.kind == CQ_DOC_X12)
        snprintf(x12, sizeof x12,
                 ", %u of %u transaction sets refused (%u claims)",
                 (unsigned)r.answer.refused_sets, (unsigned)r.answer.sets,
                 (unsigned)r.answer.refused_claims);
    cq_log_info(NULL, "document %" PRIu64 ": %u claims, %zu bytes%s%s%s",
                r.in.doc_id, r.total, doc_len, x12, status ? ": " : "",
                status ? cq_strerror(status) : "");
    s_emit(&r, true, status, message);
    cq_mpw_free(&r.w);
    cq_mpw_free(&r.items);
    cq_buf_free(&r.ack);
    return 0;
}

//  ---- the thread --------------------------------------------------------

typedef struct {
    void *pipe;
} s_out_t;

static void
s_pipe_emit(void *arg, const uint8_t *body, size_t len, bool last)
{
    s_out_t *o = arg;
    uint8_t hdr[CQ_PROTO_HDR_LEN];
    cq_proto_hdr_encode(CQ_CMD_INTAKE_DONE, hdr);
    const void *parts[3] = {last ? "L" : "P", hdr, body};
    size_t lens[3] = {1, sizeof hdr, len};
    cq_wire_send_raw(o->pipe, parts, lens, 3, 0);
}

static void
s_actor(zsock_t *pipe, void *args)
{
    cq_intake_opts_t opts = *(cq_intake_opts_t *)args;
    free(args);
    zsock_signal(pipe, 0);
    void *raw = zsock_resolve(pipe);
    s_out_t out = {raw};
    cq_wire_msg_t *m = cq_xmalloc(sizeof *m);
    cq_wire_msg_init(m);
    for (;;) {
        int rc = cq_wire_recv(raw, false, m, 0);
        if (rc == CQ_ETIMEDOUT)
            continue;
        if (rc != 0)
            break;
        if (m->n == 1 && zmq_msg_size(&m->parts[0]) == 5 &&
            memcmp(zmq_msg_data(&m->parts[0]), "$TERM", 5) == 0)
            break;
        int ok = m->n == 3 ? 0 : CQ_EPROTO;
        cq_msg_intake_t in;
        if (ok == 0 && cq_proto_intake_decode(zmq_msg_data(&m->parts[1]),
                                              zmq_msg_size(&m->parts[1]), &in,
                                              NULL) == 0) {
            //  what this thread works on, for the next process if this one
            //  dies on it
            cq_marker_set(opts.marker, 2, in.doc_id, in.lease);
            cq_fault_doc(in.name);
            cq_fault_doc_delay();
        }
        if (ok == 0)
            ok = cq_intake_run(
                zmq_msg_data(&m->parts[1]), zmq_msg_size(&m->parts[1]),
                zmq_msg_data(&m->parts[2]), zmq_msg_size(&m->parts[2]),
                opts.part_claims, s_pipe_emit, &out);
        cq_marker_set(opts.marker, 0, 0, 0);
        if (ok != 0) {
            //  Tell the main thread this one is over (nothing to send).
            const void *parts[1] = {"X"};
            size_t lens[1] = {1};
            cq_wire_send_raw(raw, parts, lens, 1, 0);
        }
    }
    cq_wire_msg_close(m);
    free(m);
    s_ocr_end();
}

zactor_t *
cq_intake_new(const cq_intake_opts_t *opts)
{
    cq_intake_opts_t *o = cq_xmalloc(sizeof *o);
    if (opts) {
        *o = *opts;
    } else {
        o->part_claims = CQ_INTAKE_PART_CLAIMS;
        o->marker = NULL;
    }
    return zactor_new(s_actor, o);
}
