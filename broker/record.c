//  record.c: the capture (claimq-broker --record FILE; common/capture.h):
//  every document the broker received, as it was received (batch, tenant,
//  name, first record, received date, format, bytes, arrival time), and
//  every claim's end (its decision, or failed), for `claimq replay` and
//  its comparison with the recorded run.
//
//  Not part of any guarantee: a document is recorded when its receipt goes
//  out (the journal holds it), and the file is written at the end of each
//  turn without fsync. A broker killed mid-write leaves a capture that
//  reads up to the cut. A capture that cannot be written (disk full) is
//  given up with one error in the log and a counter; the broker goes on.
//  A capture holds patient data: created 0600 (capture.c).
#include "broker_int.h"
#include "capture.h"
#include "doc.h"
#include "log.h"

#include <string.h>

int
cqb_record_open(cq_broker_t *self, cq_diag_t *diag)
{
    self->capture =
        cq_cap_writer_open(self->cfg.record_path, self->cfg.record_max_bytes,
                           self->cfg.record_files, diag);
    if (self->capture == NULL)
        return diag->code ? diag->code : CQ_EIO;
    cq_log_notice(NULL,
                  "recording received documents and decisions to %s "
                  "(rotates at %llu MiB, %u files kept)",
                  self->cfg.record_path,
                  (unsigned long long)(self->cfg.record_max_bytes >> 20),
                  self->cfg.record_files);
    return 0;
}

//  A write failed: the capture stops (once, said once).
static void
s_failed(cq_broker_t *self, int rc)
{
    self->k[K_RECORD_FAILURES]++;
    if (rc == CQ_ETOOBIG)
        return; // (that record only)
    cq_log_error(NULL,
                 "capture %s cannot be written (%s): recording stopped; "
                 "the broker goes on",
                 self->cfg.record_path, cq_strerror(rc));
    cq_cap_writer_close(&self->capture);
}

void
cqb_record_doc(cq_broker_t *self, uint32_t di)
{
    if (self->capture == NULL)
        return;
    const cqb_doc_t *d = self->docs[di];
    if (!d->has_data)
        return;
    cq_cap_rec_t rec;
    memset(&rec, 0, sizeof rec);
    rec.type = CQ_CAP_DOC;
    rec.t_ms = d->arrived ? d->arrived : self->wall;
    cq_strlcpy(rec.batch, self->batches[d->batch].id, sizeof rec.batch);
    cq_strlcpy(rec.name, d->name, sizeof rec.name);
    rec.pos = d->pos;
    rec.first_record = d->first_record;
    rec.received_date = d->received_date;
    rec.received_set = d->received_set;
    rec.data = zmq_msg_data((zmq_msg_t *)&d->data);
    rec.len = zmq_msg_size((zmq_msg_t *)&d->data);
    rec.format = (uint8_t)cq_doc_sniff(rec.data, rec.len);
    int rc = cq_cap_write(self->capture, &rec);
    if (rc != 0)
        s_failed(self, rc);
    else
        self->k[K_RECORDED]++;
}

void
cqb_record_decision(cq_broker_t *self, uint32_t doc, uint32_t index,
                    const uint8_t *dec, size_t len)
{
    if (self->capture == NULL)
        return;
    const cqb_doc_t *d = self->docs[doc];
    cq_cap_rec_t rec;
    memset(&rec, 0, sizeof rec);
    rec.type = CQ_CAP_DECISION;
    rec.t_ms = self->wall;
    cq_strlcpy(rec.batch, self->batches[d->batch].id, sizeof rec.batch);
    rec.pos = d->pos;
    rec.index = index;
    rec.data = dec;
    rec.len = dec ? len : 0;
    int rc = cq_cap_write(self->capture, &rec);
    if (rc != 0)
        s_failed(self, rc);
    else
        self->k[K_RECORDED]++;
}

void
cqb_record_flush(cq_broker_t *self)
{
    if (self->capture == NULL)
        return;
    int rc = cq_cap_flush(self->capture);
    if (rc != 0)
        s_failed(self, rc);
}

void
cqb_record_close(cq_broker_t *self)
{
    cq_cap_writer_close(&self->capture);
}
