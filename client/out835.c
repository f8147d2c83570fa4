#include "out835.h"
#include "mem.h"
#include "x12.h"

#include <stdlib.h>
#include <string.h>

struct cq_out835 {
    FILE *out;                // where the 835 goes (borrowed), or NULL
    cq_buf_t *to_buf;         // or there (borrowed)
    int32_t date;             // production date
    uint32_t control;         // next ISA13 / GS06
    size_t n;                 // pairs buffered
    bool with_claims;         // every buffered pair has its claim
    cq_claim_t *claims;       // CQ_OUT835_CHUNK claims
    cq_decision_t *decisions; // CQ_OUT835_CHUNK decisions
    cq_buf_t buf;             // one interchange
    bool ca277;               // a 277CA instead (cq_out835_new_277ca)
};

cq_out835_t *
cq_out835_new_277ca(FILE *out, int32_t date)
{
    cq_out835_t *self = cq_out835_new(out, date);
    self->ca277 = true;
    return self;
}

cq_out835_t *
cq_out835_new_buf(cq_buf_t *buf, int32_t date)
{
    cq_out835_t *self = cq_out835_new(NULL, date);
    self->to_buf = buf;
    return self;
}

cq_out835_t *
cq_out835_new(FILE *out, int32_t date)
{
    cq_out835_t *self = cq_xcalloc(1, sizeof *self);
    self->out = out;
    self->date = date;
    self->control = 1;
    self->with_claims = true;
    self->claims = cq_xmalloc(CQ_OUT835_CHUNK * sizeof *self->claims);
    self->decisions = cq_xmalloc(CQ_OUT835_CHUNK * sizeof *self->decisions);
    cq_buf_init(&self->buf, (size_t)256 << 20);
    return self;
}

//  A replacement or void names its original by claim id (same payer and
//  provider): find the original's decision among the buffered pairs so
//  the 835 carries the reversal. Originals in an earlier chunk are not
//  found; the writer then reports the void or replacement on its own.
static const cq_decision_t *
s_original(void *arg, const cq_claim_t *claim)
{
    cq_out835_t *self = arg;
    for (size_t i = 0; i < self->n; i++) {
        const cq_decision_t *d = &self->decisions[i];
        if (d->frequency != '8' &&
            strcmp(d->claim_id, claim->original_claim_id) == 0 &&
            strcmp(d->payer_id, claim->payer_id) == 0 &&
            strcmp(d->billing_npi, claim->billing_npi) == 0 &&
            d->decision == CQ_DECISION_ACCEPT)
            return d;
    }
    return NULL;
}

static int
s_flush(cq_out835_t *self)
{
    if (self->n == 0)
        return 0;
    cq_x12_envelope_t env = {.newline = true,
                             .date = self->date,
                             .hhmm = 1200,
                             .control = self->control++};
    const cq_claim_t *claims = self->with_claims ? self->claims : NULL;
    cq_buf_reset(&self->buf);
    int rc;
    if (self->ca277) {
        cq_x12_277_opts_t o = {.env = env};
        rc = cq_x12_277_write(claims, self->decisions, self->n, &o, &self->buf);
    } else {
        cq_x12_835_opts_t o = {.env = env};
        o.original = s_original;
        o.original_arg = self;
        rc = cq_x12_835_write(claims, self->decisions, self->n, &o, &self->buf);
    }
    if (rc == 0 && self->buf.len > 0) {
        if (self->to_buf)
            rc = cq_buf_add(self->to_buf, self->buf.data, self->buf.len);
        else if (fwrite(self->buf.data, 1, self->buf.len, self->out) !=
                 self->buf.len)
            rc = CQ_EIO;
    }
    self->n = 0;
    self->with_claims = true;
    return rc;
}

int
cq_out835_add(cq_out835_t *self, const cq_claim_t *claim,
              const cq_decision_t *decision)
{
    if (self->n == CQ_OUT835_CHUNK) {
        int rc = s_flush(self);
        if (rc != 0)
            return rc;
    }
    if (claim)
        self->claims[self->n] = *claim;
    else {
        cq_claim_init(&self->claims[self->n]);
        self->with_claims = false;
    }
    self->decisions[self->n++] = *decision;
    return 0;
}

int
cq_out835_finish(cq_out835_t *self)
{
    int rc = s_flush(self);
    if (rc == 0 && self->out && fflush(self->out) != 0)
        rc = CQ_EIO;
    return rc;
}

void
cq_out835_destroy(cq_out835_t **self_p)
{
    assert(self_p);
    cq_out835_t *self = *self_p;
    if (self == NULL)
        return;
    free(self->claims);
    free(self->decisions);
    cq_buf_free(&self->buf);
    free(self);
    *self_p = NULL;
}
