//  proto.c: message bodies of schemas/proto.md. Encoders trust their input
//  (our own structs); decoders trust nothing.
#include "proto.h"
#include "date.h"
#include "hash.h"
#include "mem.h"
#include "money.h"

#include <stdio.h>
#include <string.h>

#define S_DATE_MIN (-25567) // 1900-01-01
#define S_DATE_MAX 84005    // 2199-12-31
#define S_UNITS_MAX INT64_C(1000000000000)
#define S_AMOUNT_MAX (CQ_MONEY_MAX * 64) // sums over up to 50 lines
#define S_ERR_MIN (-99)                  // status codes are cq_err_t
#define S_SHARDS_MAX 65536  // = broker/shard.h CQ_SHARDS_MAX (not in common/)
#define S_SEQ_MAX INT64_MAX // ledger seqs are SQLite rowids
#define S_WORKERS_LIVE_MAX (1u << 20) // STATUS_REPLY workers_live

static const char *s_names[] = {
    [CQ_CMD_READY] = "READY",
    [CQ_CMD_WELCOME] = "WELCOME",
    [CQ_CMD_HEARTBEAT] = "HEARTBEAT",
    [CQ_CMD_DISCONNECT] = "DISCONNECT",
    [CQ_CMD_INTAKE] = "INTAKE",
    [CQ_CMD_INTAKE_DONE] = "INTAKE_DONE",
    [CQ_CMD_ADJUDICATE] = "ADJUDICATE",
    [CQ_CMD_RESULT] = "RESULT",
    [CQ_CMD_GOODBYE] = "GOODBYE",
    [CQ_CMD_GOODBYE_OK] = "GOODBYE_OK",
    [CQ_CMD_HISTORY] = "HISTORY",
    [CQ_CMD_ORPHANS] = "ORPHANS",
    [CQ_CMD_EXTEND] = "EXTEND",
    [CQ_CMD_PAUSE] = "PAUSE",
    [CQ_CMD_DRAIN] = "DRAIN",
    [CQ_CMD_SUBMIT] = "SUBMIT",
    [CQ_CMD_RECEIPT] = "RECEIPT",
    [CQ_CMD_DOC_DONE] = "DOC_DONE",
    [CQ_CMD_DECISIONS] = "DECISIONS",
    [CQ_CMD_STATUS] = "STATUS",
    [CQ_CMD_STATUS_REPLY] = "STATUS_REPLY",
    [CQ_CMD_RESULTS] = "RESULTS",
    [CQ_CMD_RESULTS_REPLY] = "RESULTS_REPLY",
    [CQ_CMD_WORKERS] = "WORKERS",
    [CQ_CMD_WORKERS_REPLY] = "WORKERS_REPLY",
    [CQ_CMD_QUARANTINE] = "QUARANTINE",
    [CQ_CMD_QUARANTINE_REPLY] = "QUARANTINE_REPLY",
    [CQ_CMD_SEAL] = "SEAL",
    [CQ_CMD_SEAL_REPLY] = "SEAL_REPLY",
    [CQ_CMD_BATCHES] = "BATCHES",
    [CQ_CMD_BATCHES_REPLY] = "BATCHES_REPLY",
    [CQ_CMD_ACKS] = "ACKS",
    [CQ_CMD_ACKS_REPLY] = "ACKS_REPLY",
    [CQ_CMD_DRAIN_NODE] = "DRAIN_NODE",
    [CQ_CMD_DRAIN_REPLY] = "DRAIN_REPLY",
    [CQ_CMD_SHARDS] = "SHARDS",
    [CQ_CMD_SHARDS_REPLY] = "SHARDS_REPLY",
    [CQ_CMD_HAVE] = "HAVE",
    [CQ_CMD_HAVE_REPLY] = "HAVE_REPLY",
    [CQ_CMD_REVIEW] = "REVIEW",
    [CQ_CMD_REVIEW_REPLY] = "REVIEW_REPLY",
    [CQ_CMD_PEER_BEACON] = "PEER_BEACON",
    [CQ_CMD_PEER_SNAP] = "PEER_SNAP",
    [CQ_CMD_PEER_GROUP] = "PEER_GROUP",
    [CQ_CMD_PEER_ACK] = "PEER_ACK",
};

const char *
cq_cmd_name(int cmd)
{
    if (cmd < 0 || (size_t)cmd >= CQ_ARRAY_LEN(s_names))
        return NULL;
    return s_names[cmd];
}

void
cq_proto_hdr_encode(cq_cmd_t cmd, uint8_t out[CQ_PROTO_HDR_LEN])
{
    out[0] = CQ_PROTO_SIG0;
    out[1] = CQ_PROTO_SIG1;
    out[2] = CQ_PROTO_VERSION;
    out[3] = (uint8_t)cmd;
}

int
cq_proto_hdr_decode(const uint8_t *p, size_t n, int *cmd, cq_diag_t *diag)
{
    *cmd = -1;
    if (n != CQ_PROTO_HDR_LEN || p[0] != CQ_PROTO_SIG0 || p[1] != CQ_PROTO_SIG1)
        return cq_diag_set(diag, CQ_EPROTO, 0, "header: not a claimq header");
    if (p[2] != CQ_PROTO_VERSION)
        return cq_diag_set(diag, CQ_EUNSUPPORTED, 2,
                           "header: protocol version %u, expected %u", p[2],
                           CQ_PROTO_VERSION);
    *cmd = p[3];
    if (cq_cmd_name(p[3]) == NULL)
        return cq_diag_set(diag, CQ_ENOTFOUND, 3,
                           "header: unknown command 0x%02x", p[3]);
    return 0;
}

//  ---- small helpers ----------------------------------------------------

//  A fixed C field: its bytes up to the NUL (or the whole field).
static void
s_field(cq_mpw_t *w, const char *s, size_t size)
{
    cq_mpw_strn(w, s, strnlen(s, size));
}
#define S_FIELD(w, f) s_field((w), (f), sizeof(f))

static void
s_char(cq_mpw_t *w, char ch)
{
    cq_mpw_strn(w, &ch, ch ? 1 : 0);
}

//  A one-character field: "" (0) or one printable ASCII character.
static char
s_cur_char(cq_cur_t *c, const char *what)
{
    char buf[2];
    cq_cur_str(c, buf, sizeof buf, what);
    if (c->err)
        return 0;
    unsigned char ch = (unsigned char)buf[0];
    if (ch != 0 && (ch < 0x21 || ch > 0x7e)) {
        cq_cur_fail(c, CQ_EPROTO, what);
        return 0;
    }
    return (char)ch;
}

static int32_t
s_cur_date(cq_cur_t *c, const char *what)
{
    int64_t v = cq_cur_int(c, INT32_MIN, S_DATE_MAX, what);
    if (c->err)
        return CQ_DATE_NONE;
    if (v != CQ_DATE_NONE && v < S_DATE_MIN) {
        cq_cur_fail(c, CQ_EPROTO, what);
        return CQ_DATE_NONE;
    }
    return (int32_t)v;
}

static int32_t
s_cur_status(cq_cur_t *c, const char *what)
{
    return (int32_t)cq_cur_int(c, S_ERR_MIN, 0, what);
}

//  Opens the body's top-level array of at least `need` fields.
static uint32_t
s_open(cq_cur_t *c, const uint8_t *p, size_t n, uint32_t need, const char *what)
{
    cq_cur_init(c, p, n);
    return cq_cur_array(c, need, UINT32_MAX, what);
}

//  Skips trailing fields, then requires the body to end there.
static int
s_close(cq_cur_t *c, uint32_t have, uint32_t used, cq_diag_t *diag)
{
    cq_cur_rest(c, have, used);
    if (c->err == 0 && c->pos != c->end)
        cq_cur_fail(c, CQ_EPROTO, "bytes after the body");
    return cq_cur_diag(c, diag);
}

//  An array of n uints.
static void
s_uints(cq_mpw_t *w, const uint64_t *v, uint32_t n)
{
    cq_mpw_array(w, n);
    for (uint32_t i = 0; i < n; i++)
        cq_mpw_uint(w, v[i]);
}

//  An array of min..max uints into dst[max]; returns the count.
static uint32_t
s_cur_uints(cq_cur_t *c, uint64_t *dst, uint32_t min, uint32_t max,
            const char *what)
{
    uint32_t n = cq_cur_array(c, min, max, what);
    for (uint32_t i = 0; i < n && c->err == 0; i++)
        dst[i] = cq_cur_uint(c, UINT64_MAX, what);
    return n;
}

//  For messages with items: reads the items' array header, checks that
//  every item is well-formed, and leaves items->cur at the first item (c
//  after the last: appended fields may follow).
static void
s_items_skip(cq_cur_t *c, cq_items_t *items, const char *what)
{
    memset(items, 0, sizeof *items);
    items->n = cq_cur_array(c, 0, CQ_PROTO_MAX_ITEMS, what);
    items->cur = *c;
    for (uint32_t i = 0; i < items->n && c->err == 0; i++) {
        c->depth = 0;
        cq_cur_skip(c, what);
    }
}

//  s_close for a message with items: on an error there are none.
static int
s_items_close(cq_cur_t *c, cq_items_t *items, uint32_t have, uint32_t used,
              cq_diag_t *diag)
{
    int rc = s_close(c, have, used, diag);
    if (rc != 0)
        items->n = 0;
    return rc;
}

//  For messages whose items are their last field: the items, then the
//  rest of the body.
static int
s_items(cq_cur_t *c, cq_items_t *items, uint32_t have, uint32_t used,
        const char *what, cq_diag_t *diag)
{
    s_items_skip(c, items, what);
    return s_items_close(c, items, have, used, diag);
}

//  An array of at most max items, each at least min_bytes when encoded:
//  the count must fit the bytes left before count * size bytes (zeroed)
//  are allocated. Returns them (NULL when none or on an error), *n the
//  count.
static void *
s_cur_alloc(cq_cur_t *c, uint32_t *n, size_t size, uint32_t max,
            size_t min_bytes, const char *what)
{
    *n = cq_cur_array(c, 0, max, what);
    if (c->err == 0 && (uint64_t)*n * min_bytes > (size_t)(c->end - c->pos))
        cq_cur_fail(c, CQ_EPROTO, what);
    if (c->err != 0 || *n == 0)
        return NULL;
    return cq_xcalloc(*n, size);
}

//  A document's 999 (ACKS_REPLY items, INTAKE_DONE): at most
//  CQ_PROTO_MAX_ACK bytes; an empty bin when there is none.
static void
s_ack(cq_mpw_t *w, const uint8_t *ack, size_t len)
{
    if (CQ_NEVER(len > CQ_PROTO_MAX_ACK))
        len = 0; // no 999 rather than a cut one
    cq_mpw_bin(w, ack, len);
}

static const uint8_t *
s_cur_ack(cq_cur_t *c, size_t *len, const char *what)
{
    return cq_cur_bin(c, len, CQ_PROTO_MAX_ACK, what);
}

//  Reads the next item's array header (>= need fields). Returns 1, 0 at
//  the end, or an error.
static int
s_item_open(cq_items_t *items, uint32_t need, uint32_t *have, const char *what,
            cq_diag_t *diag)
{
    if (items->next >= items->n)
        return 0;
    items->next++;
    *have = cq_cur_array(&items->cur, need, UINT32_MAX, what);
    if (items->cur.err)
        return cq_cur_diag(&items->cur, diag);
    return 1;
}

static int
s_item_close(cq_items_t *items, uint32_t have, uint32_t used, cq_diag_t *diag)
{
    cq_cur_rest(&items->cur, have, used);
    if (items->cur.err) {
        items->next = items->n; // nothing more can be read
        return cq_cur_diag(&items->cur, diag);
    }
    return 1;
}

bool
cq_proto_batch_id_ok(const char *s)
{
    size_t n = strnlen(s, CQ_BATCH_ID_LEN);
    if (n == 0 || n >= CQ_BATCH_ID_LEN)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == ':' ||
              ch == '-'))
            return false;
    }
    return true;
}

//  ---- claims ---------------------------------------------------------

#define S_CLAIM_FIELDS 20
#define S_LINE_FIELDS 10

void
cq_proto_claim_encode(cq_mpw_t *w, const cq_claim_t *c)
{
    //  a released claim (claimq review) carries 4 more fields
    cq_mpw_array(w, c->review ? S_CLAIM_FIELDS + 4 : S_CLAIM_FIELDS);
    S_FIELD(w, c->claim_id);
    S_FIELD(w, c->payer_id);
    cq_mpw_uint(w, (uint64_t)c->type);
    s_char(w, c->frequency);
    S_FIELD(w, c->original_claim_id);
    cq_mpw_int(w, c->received_date);
    cq_mpw_array(w, 5);
    S_FIELD(w, c->member.id);
    S_FIELD(w, c->member.last_name);
    S_FIELD(w, c->member.first_name);
    cq_mpw_int(w, c->member.birth_date);
    s_char(w, c->member.sex);
    S_FIELD(w, c->billing_npi);
    S_FIELD(w, c->billing_tax_id);
    S_FIELD(w, c->billing_name);
    S_FIELD(w, c->prior_auth);
    uint32_t n_dx = c->n_diagnoses;
    if (CQ_NEVER(n_dx > CQ_MAX_DX))
        n_dx = CQ_MAX_DX;
    cq_mpw_array(w, n_dx);
    for (uint32_t i = 0; i < n_dx; i++)
        S_FIELD(w, c->diagnoses[i]);
    cq_mpw_int(w, c->total_charge);
    uint32_t n_lines = c->n_lines;
    if (CQ_NEVER(n_lines > CQ_MAX_LINES))
        n_lines = CQ_MAX_LINES;
    cq_mpw_array(w, n_lines);
    for (uint32_t i = 0; i < n_lines; i++) {
        const cq_line_t *l = &c->lines[i];
        cq_mpw_array(w, S_LINE_FIELDS);
        S_FIELD(w, l->procedure);
        uint32_t n_mod = l->n_modifiers;
        if (CQ_NEVER(n_mod > CQ_MAX_MODIFIERS))
            n_mod = CQ_MAX_MODIFIERS;
        cq_mpw_array(w, n_mod);
        for (uint32_t k = 0; k < n_mod; k++)
            S_FIELD(w, l->modifiers[k]);
        S_FIELD(w, l->revenue_code);
        cq_mpw_int(w, l->service_date);
        cq_mpw_int(w, l->service_date_end);
        S_FIELD(w, l->place_of_service);
        cq_mpw_int(w, l->units_milli);
        cq_mpw_int(w, l->charge);
        uint32_t n_ptr = l->n_pointers;
        if (CQ_NEVER(n_ptr > CQ_MAX_POINTERS))
            n_ptr = CQ_MAX_POINTERS;
        cq_mpw_array(w, n_ptr);
        for (uint32_t k = 0; k < n_ptr; k++)
            cq_mpw_uint(w, l->dx_pointers[k]);
        S_FIELD(w, l->rendering_npi);
    }
    cq_mpw_uint(w, (uint64_t)c->source);
    cq_mpw_int(w, c->ocr_confidence);
    cq_mpw_bool(w, c->invalid);
    S_FIELD(w, c->invalid_rarc);
    S_FIELD(w, c->invalid_msg);
    uint32_t n_pend = c->n_pend;
    if (CQ_NEVER(n_pend > CQ_MAX_PEND))
        n_pend = CQ_MAX_PEND;
    cq_mpw_array(w, n_pend);
    for (uint32_t i = 0; i < n_pend; i++)
        S_FIELD(w, c->pend_fields[i]);
    if (c->review) {
        cq_mpw_uint(w, c->review);
        S_FIELD(w, c->supersedes_node);
        cq_mpw_int(w, c->supersedes_seq);
        S_FIELD(w, c->review_audit);
    }
}

#define S_STR(c, f, what) cq_cur_str((c), (f), sizeof(f), (what))

static void
s_line_decode(cq_cur_t *c, cq_line_t *l)
{
    uint32_t have = cq_cur_array(c, S_LINE_FIELDS, UINT32_MAX, "line");
    S_STR(c, l->procedure, "line.procedure");
    l->n_modifiers =
        (uint8_t)cq_cur_array(c, 0, CQ_MAX_MODIFIERS, "line.modifiers");
    for (uint32_t k = 0; k < l->n_modifiers && !c->err; k++)
        S_STR(c, l->modifiers[k], "line.modifiers");
    S_STR(c, l->revenue_code, "line.revenue_code");
    l->service_date = s_cur_date(c, "line.service_date");
    l->service_date_end = s_cur_date(c, "line.service_date_end");
    S_STR(c, l->place_of_service, "line.place_of_service");
    l->units_milli = cq_cur_int(c, -S_UNITS_MAX, S_UNITS_MAX, "line.units");
    l->charge = cq_cur_int(c, -CQ_MONEY_MAX, CQ_MONEY_MAX, "line.charge");
    l->n_pointers =
        (uint8_t)cq_cur_array(c, 0, CQ_MAX_POINTERS, "line.dx_pointers");
    for (uint32_t k = 0; k < l->n_pointers && !c->err; k++)
        l->dx_pointers[k] = (uint8_t)cq_cur_uint(c, 255, "line.dx_pointers");
    S_STR(c, l->rendering_npi, "line.rendering_npi");
    cq_cur_rest(c, have, S_LINE_FIELDS);
}

int
cq_proto_claim_decode(cq_cur_t *c, cq_claim_t *out)
{
    cq_claim_init(out);
    uint32_t have = cq_cur_array(c, S_CLAIM_FIELDS, UINT32_MAX, "claim");
    S_STR(c, out->claim_id, "claim.claim_id");
    S_STR(c, out->payer_id, "claim.payer_id");
    out->type = (cq_claim_type_t)cq_cur_uint(c, 1, "claim.type");
    out->frequency = s_cur_char(c, "claim.frequency");
    S_STR(c, out->original_claim_id, "claim.original_claim_id");
    out->received_date = s_cur_date(c, "claim.received_date");
    uint32_t mh = cq_cur_array(c, 5, UINT32_MAX, "claim.member");
    S_STR(c, out->member.id, "member.id");
    S_STR(c, out->member.last_name, "member.last_name");
    S_STR(c, out->member.first_name, "member.first_name");
    out->member.birth_date = s_cur_date(c, "member.birth_date");
    out->member.sex = s_cur_char(c, "member.sex");
    cq_cur_rest(c, mh, 5);
    S_STR(c, out->billing_npi, "claim.billing_npi");
    S_STR(c, out->billing_tax_id, "claim.billing_tax_id");
    S_STR(c, out->billing_name, "claim.billing_name");
    S_STR(c, out->prior_auth, "claim.prior_auth");
    out->n_diagnoses =
        (uint8_t)cq_cur_array(c, 0, CQ_MAX_DX, "claim.diagnoses");
    for (uint32_t i = 0; i < out->n_diagnoses && !c->err; i++)
        S_STR(c, out->diagnoses[i], "claim.diagnoses");
    out->total_charge =
        cq_cur_int(c, -CQ_MONEY_MAX, CQ_MONEY_MAX, "claim.total_charge");
    out->n_lines = (uint8_t)cq_cur_array(c, 0, CQ_MAX_LINES, "claim.lines");
    for (uint32_t i = 0; i < out->n_lines && !c->err; i++)
        s_line_decode(c, &out->lines[i]);
    out->source = (cq_source_t)cq_cur_uint(c, 2, "claim.source");
    out->ocr_confidence = (int)cq_cur_int(c, -1, 100, "claim.ocr_confidence");
    out->invalid = cq_cur_bool(c, "claim.invalid");
    S_STR(c, out->invalid_rarc, "claim.invalid_rarc");
    S_STR(c, out->invalid_msg, "claim.invalid_msg");
    out->n_pend = (uint8_t)cq_cur_array(c, 0, CQ_MAX_PEND, "claim.pend");
    for (uint32_t i = 0; i < out->n_pend && !c->err; i++)
        S_STR(c, out->pend_fields[i], "claim.pend");
    uint32_t used = S_CLAIM_FIELDS;
    if (have >= S_CLAIM_FIELDS + 4) {
        out->review = (uint8_t)cq_cur_uint(c, 3, "claim.review");
        S_STR(c, out->supersedes_node, "claim.supersedes_node");
        out->supersedes_seq =
            cq_cur_int(c, 0, INT64_MAX, "claim.supersedes_seq");
        S_STR(c, out->review_audit, "claim.review_audit");
        used += 4;
    }
    cq_cur_rest(c, have, used);
    return c->err;
}

//  ---- decisions ------------------------------------------------------

#define S_DECISION_FIELDS 18

void
cq_proto_decision_encode(cq_mpw_t *w, const cq_decision_t *d)
{
    //  a decision that supersedes a pend (claimq review): 3 more fields
    bool sup = d->supersedes_seq > 0 || d->review_audit[0] != '\0';
    cq_mpw_array(w, sup ? S_DECISION_FIELDS + 3 : S_DECISION_FIELDS);
    S_FIELD(w, d->claim_id);
    S_FIELD(w, d->payer_id);
    S_FIELD(w, d->billing_npi);
    s_char(w, d->frequency);
    S_FIELD(w, d->batch_id);
    cq_mpw_uint(w, (uint64_t)d->decision);
    cq_mpw_int(w, d->billed);
    cq_mpw_int(w, d->allowed);
    cq_mpw_int(w, d->paid);
    cq_mpw_int(w, d->patient_resp);
    uint32_t n_adj = d->n_adj;
    if (CQ_NEVER(n_adj > CQ_MAX_ADJ))
        n_adj = CQ_MAX_ADJ;
    cq_mpw_array(w, n_adj);
    for (uint32_t i = 0; i < n_adj; i++) {
        const cq_adjustment_t *a = &d->adj[i];
        cq_mpw_array(w, 4);
        cq_mpw_uint(w, a->line);
        S_FIELD(w, a->group);
        S_FIELD(w, a->code);
        cq_mpw_int(w, a->amount);
    }
    uint32_t n_reasons = d->n_reasons;
    if (CQ_NEVER(n_reasons > CQ_MAX_REASONS))
        n_reasons = CQ_MAX_REASONS;
    cq_mpw_array(w, n_reasons);
    for (uint32_t i = 0; i < n_reasons; i++) {
        const cq_reason_t *r = &d->reasons[i];
        cq_mpw_array(w, 5);
        cq_mpw_uint(w, r->line);
        S_FIELD(w, r->group);
        S_FIELD(w, r->carc);
        S_FIELD(w, r->rarc);
        S_FIELD(w, r->message);
    }
    uint32_t n_lines = d->n_lines;
    if (CQ_NEVER(n_lines > CQ_MAX_LINES))
        n_lines = CQ_MAX_LINES;
    cq_mpw_array(w, n_lines);
    for (uint32_t i = 0; i < n_lines; i++) {
        const cq_line_result_t *l = &d->lines[i];
        cq_mpw_array(w, 4);
        cq_mpw_int(w, l->billed);
        cq_mpw_int(w, l->allowed);
        cq_mpw_int(w, l->paid);
        cq_mpw_bool(w, l->denied);
    }
    S_FIELD(w, d->node);
    cq_mpw_int(w, d->ledger_seq);
    S_FIELD(w, d->rules_version);
    cq_mpw_uint(w, (uint64_t)d->source);
    cq_mpw_int(w, d->ocr_confidence);
    if (sup) {
        S_FIELD(w, d->supersedes_node);
        cq_mpw_int(w, d->supersedes_seq);
        S_FIELD(w, d->review_audit);
    }
}

//  Decisions are large structs (about 20 KiB): only the parts in use are
//  cleared, which matters at tens of thousands per second.
static void
s_decision_clear(cq_decision_t *d)
{
    memset(d, 0, offsetof(cq_decision_t, adj));
    d->n_adj = 0;
    d->n_reasons = 0;
    d->n_lines = 0;
    memset(d->node, 0,
           offsetof(cq_decision_t, review_audit) + 1 -
               offsetof(cq_decision_t, node));
}

int
cq_proto_decision_decode(cq_cur_t *c, cq_decision_t *d)
{
    s_decision_clear(d);
    uint32_t have = cq_cur_array(c, S_DECISION_FIELDS, UINT32_MAX, "decision");
    S_STR(c, d->claim_id, "decision.claim_id");
    S_STR(c, d->payer_id, "decision.payer_id");
    S_STR(c, d->billing_npi, "decision.billing_npi");
    d->frequency = s_cur_char(c, "decision.frequency");
    S_STR(c, d->batch_id, "decision.batch_id");
    d->decision = (cq_outcome_t)cq_cur_uint(c, 2, "decision.decision");
    d->billed = cq_cur_int(c, -S_AMOUNT_MAX, S_AMOUNT_MAX, "decision.billed");
    d->allowed = cq_cur_int(c, -S_AMOUNT_MAX, S_AMOUNT_MAX, "decision.allowed");
    d->paid = cq_cur_int(c, -S_AMOUNT_MAX, S_AMOUNT_MAX, "decision.paid");
    d->patient_resp = cq_cur_int(c, -S_AMOUNT_MAX, S_AMOUNT_MAX,
                                 "decision.patient_responsibility");
    d->n_adj = (uint16_t)cq_cur_array(c, 0, CQ_MAX_ADJ, "decision.adjustments");
    for (uint32_t i = 0; i < d->n_adj && !c->err; i++) {
        cq_adjustment_t *a = &d->adj[i];
        memset(a, 0, sizeof *a);
        uint32_t h = cq_cur_array(c, 4, UINT32_MAX, "adjustment");
        a->line = (uint8_t)cq_cur_uint(c, CQ_MAX_LINES, "adjustment.line");
        S_STR(c, a->group, "adjustment.group");
        S_STR(c, a->code, "adjustment.code");
        a->amount =
            cq_cur_int(c, -S_AMOUNT_MAX, S_AMOUNT_MAX, "adjustment.amount");
        cq_cur_rest(c, h, 4);
    }
    d->n_reasons =
        (uint16_t)cq_cur_array(c, 0, CQ_MAX_REASONS, "decision.reasons");
    for (uint32_t i = 0; i < d->n_reasons && !c->err; i++) {
        cq_reason_t *r = &d->reasons[i];
        memset(r, 0, sizeof *r);
        uint32_t h = cq_cur_array(c, 5, UINT32_MAX, "reason");
        r->line = (uint8_t)cq_cur_uint(c, CQ_MAX_LINES, "reason.line");
        S_STR(c, r->group, "reason.group");
        S_STR(c, r->carc, "reason.carc");
        S_STR(c, r->rarc, "reason.rarc");
        S_STR(c, r->message, "reason.message");
        cq_cur_rest(c, h, 5);
    }
    d->n_lines = (uint8_t)cq_cur_array(c, 0, CQ_MAX_LINES, "decision.lines");
    for (uint32_t i = 0; i < d->n_lines && !c->err; i++) {
        cq_line_result_t *l = &d->lines[i];
        uint32_t h = cq_cur_array(c, 4, UINT32_MAX, "line_result");
        l->billed = cq_cur_int(c, -S_AMOUNT_MAX, S_AMOUNT_MAX, "line.billed");
        l->allowed = cq_cur_int(c, -S_AMOUNT_MAX, S_AMOUNT_MAX, "line.allowed");
        l->paid = cq_cur_int(c, -S_AMOUNT_MAX, S_AMOUNT_MAX, "line.paid");
        l->denied = cq_cur_bool(c, "line.denied");
        cq_cur_rest(c, h, 4);
    }
    S_STR(c, d->node, "decision.node");
    d->ledger_seq = cq_cur_int(c, 0, INT64_MAX, "decision.ledger_seq");
    S_STR(c, d->rules_version, "decision.rules_version");
    d->source = (cq_source_t)cq_cur_uint(c, 2, "decision.source");
    d->ocr_confidence = (int)cq_cur_int(c, -1, 100, "decision.ocr_confidence");
    uint32_t used = S_DECISION_FIELDS;
    if (have >= S_DECISION_FIELDS + 3) {
        S_STR(c, d->supersedes_node, "decision.supersedes_node");
        d->supersedes_seq =
            cq_cur_int(c, 0, INT64_MAX, "decision.supersedes_seq");
        S_STR(c, d->review_audit, "decision.review_audit");
        used += 3;
    }
    cq_cur_rest(c, have, used);
    if (c->err) {
        d->n_adj = 0;
        d->n_reasons = 0;
        d->n_lines = 0;
    }
    return c->err;
}

//  ---- READY / WELCOME / empty / reason ----------------------------------

bool
cq_proto_node_id_ok(const char *s)
{
    size_t n = strnlen(s, CQ_ID_LEN);
    if (n == 0 || n >= CQ_ID_LEN)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-'))
            return false;
    }
    return true;
}

//  A ledger id: "" (no ledger) or [0-9a-f]{1,39}.
static bool
s_ledger_id_ok(const char *s)
{
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return false;
    return true;
}

#define S_READY_FIELDS 12

void
cq_proto_ready_encode(cq_mpw_t *w, const cq_msg_ready_t *m)
{
    cq_mpw_reset(w);
    cq_mpw_array(w, S_READY_FIELDS);
    S_FIELD(w, m->node_id);
    cq_mpw_uint(w, m->credit);
    cq_mpw_uint(w, m->intake_credit);
    S_FIELD(w, m->rules_version);
    cq_mpw_uint(w, m->heartbeat_ms);
    S_FIELD(w, m->ledger_id);
    cq_mpw_uint(w, m->ledger_seq);
    cq_mpw_uint(w, m->resolved_seq);
    cq_mpw_uint(w, m->crash_kind);
    cq_mpw_uint(w, m->crash_id);
    cq_mpw_uint(w, m->crash_lease);
    S_FIELD(w, m->host);
}

int
cq_proto_ready_decode(const uint8_t *p, size_t n, cq_msg_ready_t *m,
                      cq_diag_t *diag)
{
    memset(m, 0, sizeof *m);
    cq_cur_t c;
    uint32_t have = s_open(&c, p, n, S_READY_FIELDS, "READY");
    S_STR(&c, m->node_id, "node_id");
    if (c.err == 0 && !cq_proto_node_id_ok(m->node_id))
        cq_cur_fail(&c, CQ_EPROTO, "node_id");
    m->credit = (uint32_t)cq_cur_uint(&c, CQ_PROTO_MAX_CREDIT, "credit");
    m->intake_credit =
        (uint32_t)cq_cur_uint(&c, CQ_PROTO_MAX_INTAKE_CREDIT, "intake_credit");
    S_STR(&c, m->rules_version, "rules_version");
    m->heartbeat_ms = (uint32_t)cq_cur_uint(&c, 600000, "heartbeat_ms");
    S_STR(&c, m->ledger_id, "ledger_id");
    m->ledger_seq = cq_cur_uint(&c, S_SEQ_MAX, "ledger_seq");
    m->resolved_seq = cq_cur_uint(&c, S_SEQ_MAX, "resolved_seq");
    m->crash_kind = (uint32_t)cq_cur_uint(&c, 2, "crash_kind");
    m->crash_id = cq_cur_uint(&c, UINT64_MAX, "crash_id");
    m->crash_lease = cq_cur_uint(&c, UINT64_MAX, "crash_lease");
    S_STR(&c, m->host, "host");
    if (c.err == 0 && (m->credit == 0 || m->intake_credit == 0))
        cq_cur_fail(&c, CQ_EPROTO, "credit");
    if (c.err == 0 && m->heartbeat_ms < 10)
        cq_cur_fail(&c, CQ_EPROTO, "heartbeat_ms");
    if (c.err == 0 && !s_ledger_id_ok(m->ledger_id))
        cq_cur_fail(&c, CQ_EPROTO, "ledger_id");
    if (c.err == 0 && m->resolved_seq > m->ledger_seq)
        cq_cur_fail(&c, CQ_EPROTO, "resolved_seq");
    return s_close(&c, have, S_READY_FIELDS, diag);
}

#define S_WELCOME_FIELDS 7

void
cq_proto_welcome_encode(cq_mpw_t *w, const cq_msg_welcome_t *m)
{
    cq_mpw_reset(w);
    cq_mpw_array(w, S_WELCOME_FIELDS);
    S_FIELD(w, m->rules_version);
    cq_mpw_uint(w, m->heartbeat_ms);
    cq_mpw_bool(w, m->accepted);
    S_FIELD(w, m->reason);
    cq_mpw_uint(w, m->shards);
    cq_mpw_uint(w, m->epoch);
    cq_mpw_uint(w, m->code);
}

int
cq_proto_welcome_decode(const uint8_t *p, size_t n, cq_msg_welcome_t *m,
                        cq_diag_t *diag)
{
    memset(m, 0, sizeof *m);
    cq_cur_t c;
    uint32_t have = s_open(&c, p, n, S_WELCOME_FIELDS, "WELCOME");
    S_STR(&c, m->rules_version, "rules_version");
    m->heartbeat_ms = (uint32_t)cq_cur_uint(&c, 600000, "heartbeat_ms");
    m->accepted = cq_cur_bool(&c, "accepted");
    S_STR(&c, m->reason, "reason");
    m->shards = (uint32_t)cq_cur_uint(&c, S_SHARDS_MAX, "shards");
    m->epoch = cq_cur_uint(&c, UINT64_MAX, "epoch");
    m->code = (uint32_t)cq_cur_uint(&c, CQ_WELCOME_NODE_ID, "code");
    if (c.err == 0 && m->heartbeat_ms < 10)
        cq_cur_fail(&c, CQ_EPROTO, "heartbeat_ms");
    if (c.err == 0 && m->shards == 0)
        cq_cur_fail(&c, CQ_EPROTO, "shards");
    if (c.err == 0 && m->accepted && m->code != CQ_WELCOME_OK)
        cq_cur_fail(&c, CQ_EPROTO, "code");
    return s_close(&c, have, S_WELCOME_FIELDS, diag);
}

void
cq_proto_empty_encode(cq_mpw_t *w)
{
    cq_mpw_reset(w);
    cq_mpw_array(w, 0);
}

int
cq_proto_empty_decode(const uint8_t *p, size_t n, cq_diag_t *diag)
{
    cq_cur_t c;
    uint32_t have = s_open(&c, p, n, 0, "body");
    return s_close(&c, have, 0, diag);
}

void
cq_proto_reason_encode(cq_mpw_t *w, const char *reason)
{
    cq_mpw_reset(w);
    cq_mpw_array(w, 1);
    s_field(w, reason, CQ_PROTO_MSG_LEN - 1);
}

int
cq_proto_reason_decode(const uint8_t *p, size_t n,
                       char reason[CQ_PROTO_MSG_LEN], cq_diag_t *diag)
{
    cq_cur_t c;
    uint32_t have = s_open(&c, p, n, 1, "DISCONNECT/PAUSE");
    cq_cur_str(&c, reason, CQ_PROTO_MSG_LEN, "reason");
    return s_close(&c, have, 1, diag);
}

void
cq_proto_disconnect_encode(cq_mpw_t *w, const char *reason, uint32_t code)
{
    cq_mpw_reset(w);
    cq_mpw_array(w, 2);
    s_field(w, reason, CQ_PROTO_MSG_LEN - 1);
    cq_mpw_uint(w, code);
}

//  [reason] (an older broker: code 0) or [reason, code, ...].
int
cq_proto_disconnect_decode(const uint8_t *p, size_t n,
                           char reason[CQ_PROTO_MSG_LEN], uint32_t *code,
                           cq_diag_t *diag)
{
    *code = CQ_DISCONNECT_AGAIN;
    cq_cur_t c;
    uint32_t have = s_open(&c, p, n, 1, "DISCONNECT");
    cq_cur_str(&c, reason, CQ_PROTO_MSG_LEN, "reason");
    if (have < 2)
        return s_close(&c, have, 1, diag);
    *code = (uint32_t)cq_cur_uint(&c, CQ_DISCONNECT_PASSIVE, "code");
    return s_close(&c, have, 2, diag);
}

//  ---- INTAKE / INTAKE_DONE -----------------------------------------------

void
cq_proto_intake_encode(cq_mpw_t *w, const cq_msg_intake_t *m)
{
    cq_mpw_reset(w);
    cq_mpw_array(w, 7);
    cq_mpw_uint(w, m->lease);
    cq_mpw_uint(w, m->doc_id);
    S_FIELD(w, m->batch_id);
    S_FIELD(w, m->name);
    cq_mpw_int(w, m->received_date);
    cq_mpw_uint(w, m->first_record);
    cq_mpw_uint(w, m->size);
}

int
cq_proto_intake_decode(const uint8_t *p, size_t n, cq_msg_intake_t *m,
                       cq_diag_t *diag)
{
    memset(m, 0, sizeof *m);
    cq_cur_t c;
    uint32_t have = s_open(&c, p, n, 7, "INTAKE");
    m->lease = cq_cur_uint(&c, UINT64_MAX, "lease");
    m->doc_id = cq_cur_uint(&c, UINT64_MAX, "doc_id");
    S_STR(&c, m->batch_id, "batch_id");
    S_STR(&c, m->name, "name");
    m->received_date = s_cur_date(&c, "received_date");
    m->first_record = (uint32_t)cq_cur_uint(&c, UINT32_MAX, "first_record");
    m->size = cq_cur_uint(&c, CQ_PROTO_MAX_FRAME, "size");
    if (c.err == 0 && !cq_proto_batch_id_ok(m->batch_id))
        cq_cur_fail(&c, CQ_EPROTO, "batch_id");
    if (c.err == 0 &&
        (m->received_date == CQ_DATE_NONE || m->first_record == 0))
        cq_cur_fail(&c, CQ_EPROTO, "received_date");
    return s_close(&c, have, 7, diag);
}

#define S_INTAKE_DONE_FIELDS 10

size_t
cq_proto_intake_done_begin(cq_mpw_t *w, const cq_msg_intake_done_t *m)
{
    cq_mpw_reset(w);
    cq_mpw_array(w, S_INTAKE_DONE_FIELDS);
    cq_mpw_uint(w, m->lease);
    cq_mpw_uint(w, m->doc_id);
    cq_mpw_uint(w, m->part);
    cq_mpw_bool(w, m->last);
    cq_mpw_int(w, m->status);
    S_FIELD(w, m->message);
    return cq_mpw_array_open(w);
}

void
cq_proto_intake_done_end(cq_mpw_t *w, size_t at, uint32_t n_claims,
                         const cq_msg_intake_done_t *m)
{
    cq_mpw_array_close(w, at, n_claims);
    cq_mpw_uint(w, m->refused_sets);
    cq_mpw_uint(w, m->refused_claims);
    s_ack(w, m->ack, m->ack_len);
}

int
cq_proto_intake_done_decode(const uint8_t *p, size_t n, cq_msg_intake_done_t *m,
                            cq_diag_t *diag)
{
    memset(m, 0, sizeof *m);
    cq_cur_t c;
    uint32_t have = s_open(&c, p, n, S_INTAKE_DONE_FIELDS, "INTAKE_DONE");
    m->lease = cq_cur_uint(&c, UINT64_MAX, "lease");
    m->doc_id = cq_cur_uint(&c, UINT64_MAX, "doc_id");
    m->part = (uint32_t)cq_cur_uint(&c, UINT32_MAX, "part");
    m->last = cq_cur_bool(&c, "last");
    m->status = s_cur_status(&c, "status");
    S_STR(&c, m->message, "message");
    s_items_skip(&c, &m->claims, "claims");
    m->refused_sets = (uint32_t)cq_cur_uint(&c, UINT32_MAX, "refused_sets");
    m->refused_claims = (uint32_t)cq_cur_uint(&c, UINT32_MAX, "refused_claims");
    m->ack = s_cur_ack(&c, &m->ack_len, "ack");
    int rc = s_items_close(&c, &m->claims, have, S_INTAKE_DONE_FIELDS, diag);
    if (rc != 0) {
        m->ack = NULL;
        m->ack_len = 0;
    }
    return rc;
}

int
cq_proto_intake_done_next(cq_msg_intake_done_t *m, cq_claim_t *claim,
                          const uint8_t **raw, size_t *raw_len, cq_diag_t *diag)
{
    cq_items_t *it = &m->claims;
    if (it->next >= it->n)
        return 0;
    it->next++;
    const uint8_t *at = it->cur.pos;
    if (cq_proto_claim_decode(&it->cur, claim) != 0) {
        it->next = it->n;
        return cq_cur_diag(&it->cur, diag);
    }
    *raw = at;
    *raw_len = (size_t)(it->cur.pos - at);
    return 1;
}

//  ---- ADJUDICATE / RESULT ------------------------------------------------

size_t
cq_proto_adjudicate_begin(cq_mpw_t *w, uint64_t lease)
{
    cq_mpw_reset(w);
    cq_mpw_array(w, 2);
    cq_mpw_uint(w, lease);
    return cq_mpw_array_open(w);
}

//  The head of an ADJUDICATE or HISTORY item of n fields:
//  [cid, batch_id, claim, ...].
static void
s_claim_item_add(cq_mpw_t *w, uint32_t n, uint64_t cid, const char *batch_id,
                 const uint8_t *claim_raw, size_t claim_len)
{
    cq_mpw_array(w, n);
    cq_mpw_uint(w, cid);
    s_field(w, batch_id, CQ_BATCH_ID_LEN - 1);
    cq_mpw_raw(w, claim_raw, claim_len);
}

//  Reads the head of such an item (>= need fields): 1, 0 at the end, or
//  an error.
static int
s_claim_item_next(cq_items_t *items, uint32_t need, uint32_t *have,
                  uint64_t *cid, char batch_id[CQ_BATCH_ID_LEN],
                  cq_claim_t *claim, cq_diag_t *diag)
{
    int rc = s_item_open(items, need, have, "item", diag);
    if (rc <= 0)
        return rc;
    *cid = cq_cur_uint(&items->cur, UINT64_MAX, "cid");
    cq_cur_str(&items->cur, batch_id, CQ_BATCH_ID_LEN, "batch_id");
    cq_proto_claim_decode(&items->cur, claim);
    return 1;
}

void
cq_proto_adjudicate_add(cq_mpw_t *w, uint64_t cid, const char *batch_id,
                        const uint8_t *claim_raw, size_t claim_len)
{
    s_claim_item_add(w, 3, cid, batch_id, claim_raw, claim_len);
}

void
cq_proto_adjudicate_end(cq_mpw_t *w, size_t at, uint32_t n_items)
{
    cq_mpw_array_close(w, at, n_items);
}

int
cq_proto_adjudicate_decode(const uint8_t *p, size_t n, cq_msg_adjudicate_t *m,
                           cq_diag_t *diag)
{
    memset(m, 0, sizeof *m);
    cq_cur_t c;
    uint32_t have = s_open(&c, p, n, 2, "ADJUDICATE");
    m->lease = cq_cur_uint(&c, UINT64_MAX, "lease");
    return s_items(&c, &m->items, have, 2, "items", diag);
}

int
cq_proto_adjudicate_next(cq_msg_adjudicate_t *m, uint64_t *cid,
                         char batch_id[CQ_BATCH_ID_LEN], cq_claim_t *claim,
                         cq_diag_t *diag)
{
    uint32_t have;
    int rc = s_claim_item_next(&m->items, 3, &have, cid, batch_id, claim, diag);
    if (rc <= 0)
        return rc;
    return s_item_close(&m->items, have, 3, diag);
}

size_t
cq_proto_result_begin(cq_mpw_t *w, uint64_t lease)
{
    return cq_proto_adjudicate_begin(w, lease);
}

void
cq_proto_result_add(cq_mpw_t *w, uint64_t cid, int32_t status,
                    const cq_decision_t *d)
{
    cq_mpw_array(w, 3);
    cq_mpw_uint(w, cid);
    cq_mpw_int(w, status);
    if (status == 0 && d != NULL)
        cq_proto_decision_encode(w, d);
    else
        cq_mpw_nil(w);
}

void
cq_proto_result_end(cq_mpw_t *w, size_t at, uint32_t n_items)
{
    cq_mpw_array_close(w, at, n_items);
}

int
cq_proto_result_decode(const uint8_t *p, size_t n, cq_msg_result_t *m,
                       cq_diag_t *diag)
{
    memset(m, 0, sizeof *m);
    cq_cur_t c;
    uint32_t have = s_open(&c, p, n, 2, "RESULT");
    m->lease = cq_cur_uint(&c, UINT64_MAX, "lease");
    return s_items(&c, &m->items, have, 2, "items", diag);
}

int
cq_proto_result_next(cq_msg_result_t *m, uint64_t *cid, int32_t *status,
                     cq_decision_t *d, const uint8_t **raw, size_t *raw_len,
                     cq_diag_t *diag)
{
    uint32_t have;
    int rc = s_item_open(&m->items, 3, &have, "item", diag);
    if (rc <= 0)
        return rc;
    cq_cur_t *c = &m->items.cur;
    *cid = cq_cur_uint(c, UINT64_MAX, "cid");
    *status = s_cur_status(c, "status");
    *raw = NULL;
    *raw_len = 0;
    if (c->err == 0 && *status == 0) {
        const uint8_t *at = c->pos;
        cq_proto_decision_decode(c, d);
        *raw = at;
        *raw_len = (size_t)(c->pos - at);
    } else if (c->err == 0 && !cq_cur_nil(c)) {
        cq_cur_fail(c, CQ_EPROTO, "decision");
    }
    return s_item_close(&m->items, have, 3, diag);
}

//  ---- HISTORY / ORPHANS / EXTEND ------------------------------------------

size_t
cq_proto_history_begin(cq_mpw_t *w, uint32_t shard, uint32_t part, bool last)
{
    cq_mpw_reset(w);
    cq_mpw_array(w, 4);
    cq_mpw_uint(w, shard);
    cq_mpw_uint(w, part);
    cq_mpw_bool(w, last);
    return cq_mpw_array_open(w);
}

void
cq_proto_history_add(cq_mpw_t *w, uint64_t cid, const char *batch_id,
                     const uint8_t *claim_raw, size_t claim_len,
                     const uint8_t *decision_raw, size_t decision_len)
{
    s_claim_item_add(w, 4, cid, batch_id, claim_raw, claim_len);
    cq_mpw_raw(w, decision_raw, decision_len);
}

void
cq_proto_history_end(cq_mpw_t *w, size_t at, uint32_t n_items)
{
    cq_mpw_array_close(w, at, n_items);
}

int
cq_proto_history_decode(const uint8_t *p, size_t n, cq_msg_history_t *m,
                        cq_diag_t *diag)
{
    memset(m, 0, sizeof *m);
    cq_cur_t c;
    uint32_t have = s_open(&c, p, n, 4, "HISTORY");
    m->shard = (uint32_t)cq_cur_uint(&c, S_SHARDS_MAX - 1, "shard");
    m->part = (uint32_t)cq_cur_uint(&c, UINT32_MAX, "part");
    m->last = cq_cur_bool(&c, "last");
    return s_items(&c, &m->items, have, 4, "items", diag);
}

int
cq_proto_history_next(cq_msg_history_t *m, uint64_t *cid,
                      char batch_id[CQ_BATCH_ID_LEN], cq_claim_t *claim,
                      cq_decision_t *decision, cq_diag_t *diag)
{
    uint32_t have;
    int rc = s_claim_item_next(&m->items, 4, &have, cid, batch_id, claim, diag);
    if (rc <= 0)
        return rc;
    cq_proto_decision_decode(&m->items.cur, decision);
    return s_item_close(&m->items, have, 4, diag);
}

void
cq_proto_orphans_encode(cq_mpw_t *w, const cq_msg_orphans_t *m)
{
    cq_mpw_reset(w);
    cq_mpw_array(w, 2);
    cq_mpw_uint(w, m->upto);
    uint32_t n = m->n_ranges;
    if (CQ_NEVER(n > CQ_PROTO_MAX_RANGES))
        n = CQ_PROTO_MAX_RANGES;
    cq_mpw_array(w, n);
    for (uint32_t i = 0; i < n; i++) {
        cq_mpw_array(w, 2);
        cq_mpw_uint(w, m->ranges[i][0]);
        cq_mpw_uint(w, m->ranges[i][1]);
    }
}

int
cq_proto_orphans_decode(const uint8_t *p, size_t n, cq_msg_orphans_t *m,
                        cq_diag_t *diag)
{
    m->upto = 0;
    m->n_ranges = 0;
    cq_cur_t c;
    uint32_t have = s_open(&c, p, n, 2, "ORPHANS");
    m->upto = cq_cur_uint(&c, S_SEQ_MAX, "upto");
    uint32_t nr = cq_cur_array(&c, 0, CQ_PROTO_MAX_RANGES, "ranges");
    for (uint32_t i = 0; i < nr && c.err == 0; i++) {
        uint32_t h = cq_cur_array(&c, 2, UINT32_MAX, "range");
        uint64_t from = cq_cur_uint(&c, S_SEQ_MAX, "range.from");
        uint64_t to = cq_cur_uint(&c, S_SEQ_MAX, "range.to");
        if (c.err == 0 && (from == 0 || from > to))
            cq_cur_fail(&c, CQ_EPROTO, "range");
        m->ranges[i][0] = from;
        m->ranges[i][1] = to;
        cq_cur_rest(&c, h, 2);
    }
    int rc = s_close(&c, have, 2, diag);
    m->n_ranges = rc == 0 ? nr : 0;
    return rc;
}

void
cq_proto_extend_encode(cq_mpw_t *w, const cq_msg_extend_t *m)
{
    cq_mpw_reset(w);
    cq_mpw_array(w, 1);
    uint32_t n = m->n;
    if (CQ_NEVER(n > CQ_PROTO_MAX_EXTEND))
        n = CQ_PROTO_MAX_EXTEND;
    s_uints(w, m->leases, n);
}

int
cq_proto_extend_decode(const uint8_t *p, size_t n, cq_msg_extend_t *m,
                       cq_diag_t *diag)
{
    m->n = 0;
    cq_cur_t c;
    uint32_t have = s_open(&c, p, n, 1, "EXTEND");
    uint32_t nl = s_cur_uints(&c, m->leases, 1, CQ_PROTO_MAX_EXTEND, "leases");
    int rc = s_close(&c, have, 1, diag);
    m->n = rc == 0 ? nl : 0;
    return rc;
}

//  ---- SUBMIT / RECEIPT / DOC_DONE / DECISIONS ------------------------

#define S_SUBMIT_FIELDS 4

void
cq_proto_submit_encode(cq_mpw_t *w, const cq_msg_submit_t *m)
{
    cq_mpw_reset(w);
    cq_mpw_array(w, S_SUBMIT_FIELDS);
    cq_mpw_uint(w, m->req_id);
    S_FIELD(w, m->batch_id);
    uint32_t n = m->n_docs;
    if (CQ_NEVER(n > CQ_PROTO_MAX_DOCS))
        n = CQ_PROTO_MAX_DOCS;
    cq_mpw_array(w, n);
    for (uint32_t i = 0; i < n; i++) {
        cq_mpw_array(w, 3);
        S_FIELD(w, m->docs[i].name);
        cq_mpw_uint(w, m->docs[i].first_record);
        cq_mpw_uint(w, m->docs[i].size);
    }
    cq_mpw_int(w, m->received_date);
}

int
cq_proto_submit_decode(const uint8_t *p, size_t n, cq_msg_submit_t *m,
                       cq_diag_t *diag)
{
    m->req_id = 0;
    m->batch_id[0] = '\0';
    m->n_docs = 0;
    m->received_date = CQ_DATE_NONE;
    cq_cur_t c;
    uint32_t have = s_open(&c, p, n, S_SUBMIT_FIELDS, "SUBMIT");
    m->req_id = cq_cur_uint(&c, UINT64_MAX, "req_id");
    S_STR(&c, m->batch_id, "batch_id");
    if (c.err == 0 && !cq_proto_batch_id_ok(m->batch_id))
        cq_cur_fail(&c, CQ_EPROTO, "batch_id");
    uint32_t nd = cq_cur_array(&c, 1, CQ_PROTO_MAX_DOCS, "docs");
    for (uint32_t i = 0; i < nd && c.err == 0; i++) {
        cq_doc_ref_t *d = &m->docs[i];
        uint32_t h = cq_cur_array(&c, 3, UINT32_MAX, "doc");
        S_STR(&c, d->name, "doc.name");
        d->first_record =
            (uint32_t)cq_cur_uint(&c, UINT32_MAX, "doc.first_record");
        d->size = cq_cur_uint(&c, CQ_PROTO_MAX_FRAME, "doc.size");
        if (c.err == 0 && d->first_record == 0)
            cq_cur_fail(&c, CQ_EPROTO, "doc.first_record");
        cq_cur_rest(&c, h, 3);
    }
    m->received_date = s_cur_date(&c, "received_date");
    int rc = s_close(&c, have, S_SUBMIT_FIELDS, diag);
    m->n_docs = rc == 0 ? nd : 0;
    return rc;
}

void
cq_proto_receipt_encode(cq_mpw_t *w, const cq_msg_receipt_t *m)
{
    cq_mpw_reset(w);
    cq_mpw_array(w, 6);
    cq_mpw_uint(w, m->req_id);
    S_FIELD(w, m->batch_id);
    cq_mpw_int(w, m->status);
    S_FIELD(w, m->message);
    cq_mpw_bool(w, m->durable);
    uint32_t n = m->n_docs;
    if (CQ_NEVER(n > CQ_PROTO_MAX_DOCS))
        n = CQ_PROTO_MAX_DOCS;
    s_uints(w, m->doc_ids, n);
}

int
cq_proto_receipt_decode(const uint8_t *p, size_t n, cq_msg_receipt_t *m,
                        cq_diag_t *diag)
{
    memset(m, 0, sizeof *m);
    cq_cur_t c;
    uint32_t have = s_open(&c, p, n, 6, "RECEIPT");
    m->req_id = cq_cur_uint(&c, UINT64_MAX, "req_id");
    S_STR(&c, m->batch_id, "batch_id");
    m->status = s_cur_status(&c, "status");
    S_STR(&c, m->message, "message");
    m->durable = cq_cur_bool(&c, "durable");
    uint32_t nd = s_cur_uints(&c, m->doc_ids, 0, CQ_PROTO_MAX_DOCS, "doc_ids");
    int rc = s_close(&c, have, 6, diag);
    m->n_docs = rc == 0 ? nd : 0;
    return rc;
}

#define S_DOC_DONE_FIELDS 9

void
cq_proto_doc_done_encode(cq_mpw_t *w, const cq_msg_doc_done_t *m)
{
    cq_mpw_reset(w);
    cq_mpw_array(w, S_DOC_DONE_FIELDS);
    S_FIELD(w, m->batch_id);
    cq_mpw_uint(w, m->doc_id);
    cq_mpw_uint(w, m->n_claims);
    cq_mpw_int(w, m->status);
    S_FIELD(w, m->message);
    cq_mpw_uint(w, m->refused_sets);
    cq_mpw_uint(w, m->refused_claims);
    cq_mpw_uint(w, m->dup_claims);
    cq_mpw_uint(w, m->conflicts);
}

int
cq_proto_doc_done_decode(const uint8_t *p, size_t n, cq_msg_doc_done_t *m,
                         cq_diag_t *diag)
{
    memset(m, 0, sizeof *m);
    cq_cur_t c;
    uint32_t have = s_open(&c, p, n, S_DOC_DONE_FIELDS, "DOC_DONE");
    S_STR(&c, m->batch_id, "batch_id");
    m->doc_id = cq_cur_uint(&c, UINT64_MAX, "doc_id");
    m->n_claims = (uint32_t)cq_cur_uint(&c, UINT32_MAX, "n_claims");
    m->status = s_cur_status(&c, "status");
    S_STR(&c, m->message, "message");
    m->refused_sets = (uint32_t)cq_cur_uint(&c, UINT32_MAX, "refused_sets");
    m->refused_claims = (uint32_t)cq_cur_uint(&c, UINT32_MAX, "refused_claims");
    m->dup_claims = (uint32_t)cq_cur_uint(&c, m->n_claims, "dup_claims");
    m->conflicts = (uint32_t)cq_cur_uint(&c, m->n_claims, "conflicts");
    return s_close(&c, have, S_DOC_DONE_FIELDS, diag);
}

size_t
cq_proto_decisions_begin(cq_mpw_t *w, const char *batch_id)
{
    cq_mpw_reset(w);
    cq_mpw_array(w, 2);
    s_field(w, batch_id, CQ_BATCH_ID_LEN - 1);
    return cq_mpw_array_open(w);
}

void
cq_proto_decisions_add(cq_mpw_t *w, uint64_t doc_id, uint32_t index,
                       const uint8_t *decision_raw, size_t len)
{
    cq_mpw_array(w, 3);
    cq_mpw_uint(w, doc_id);
    cq_mpw_uint(w, index);
    if (decision_raw)
        cq_mpw_raw(w, decision_raw, len);
    else
        cq_mpw_nil(w);
}

void
cq_proto_decisions_end(cq_mpw_t *w, size_t at, uint32_t n_items)
{
    cq_mpw_array_close(w, at, n_items);
}

int
cq_proto_decisions_decode(const uint8_t *p, size_t n, cq_msg_decisions_t *m,
                          cq_diag_t *diag)
{
    memset(m, 0, sizeof *m);
    cq_cur_t c;
    uint32_t have = s_open(&c, p, n, 2, "DECISIONS");
    S_STR(&c, m->batch_id, "batch_id");
    return s_items(&c, &m->items, have, 2, "items", diag);
}

int
cq_proto_decisions_next(cq_msg_decisions_t *m, uint64_t *doc_id,
                        uint32_t *index, bool *has_decision, cq_decision_t *d,
                        cq_diag_t *diag)
{
    uint32_t have;
    int rc = s_item_open(&m->items, 3, &have, "item", diag);
    if (rc <= 0)
        return rc;
    cq_cur_t *c = &m->items.cur;
    *doc_id = cq_cur_uint(c, UINT64_MAX, "doc_id");
    *index = (uint32_t)cq_cur_uint(c, UINT32_MAX, "index");
    *has_decision = !cq_cur_nil(c);
    if (*has_decision)
        cq_proto_decision_decode(c, d);
    return s_item_close(&m->items, have, 3, diag);
}

//  ---- STATUS / RESULTS / WORKERS -------------------------------------

void
cq_proto_status_encode(cq_mpw_t *w, const cq_msg_status_t *m)
{
    cq_mpw_reset(w);
    cq_mpw_array(w, 2);
    cq_mpw_uint(w, m->req_id);
    S_FIELD(w, m->batch_id);
}

int
cq_proto_status_decode(const uint8_t *p, size_t n, cq_msg_status_t *m,
                       cq_diag_t *diag)
{
    memset(m, 0, sizeof *m);
    cq_cur_t c;
    uint32_t have = s_open(&c, p, n, 2, "STATUS");
    m->req_id = cq_cur_uint(&c, UINT64_MAX, "req_id");
    S_STR(&c, m->batch_id, "batch_id");
    return s_close(&c, have, 2, diag);
}

#define S_STATUS_REPLY_FIELDS 21 // (required; the pair's appended)
#define S_STATUS_REPLY_PAIR 5

void
cq_proto_status_reply_encode(cq_mpw_t *w, const cq_msg_status_reply_t *m)
{
    cq_mpw_reset(w);
    cq_mpw_array(w, S_STATUS_REPLY_FIELDS + S_STATUS_REPLY_PAIR);
    cq_mpw_uint(w, m->req_id);
    S_FIELD(w, m->batch_id);
    cq_mpw_bool(w, m->found);
    cq_mpw_uint(w, m->docs);
    cq_mpw_uint(w, m->docs_done);
    cq_mpw_uint(w, m->docs_failed);
    cq_mpw_uint(w, m->claims);
    cq_mpw_uint(w, m->decided);
    cq_mpw_uint(w, m->accept);
    cq_mpw_uint(w, m->reject);
    cq_mpw_uint(w, m->pend);
    cq_mpw_uint(w, m->failed);
    cq_mpw_bool(w, m->durable);
    cq_mpw_uint(w, m->epoch);
    cq_mpw_bool(w, m->sealed);
    cq_mpw_bool(w, m->complete);
    cq_mpw_uint(w, m->refused_sets);
    cq_mpw_uint(w, m->refused_claims);
    cq_mpw_uint(w, m->workers_live);
    cq_mpw_int(w, m->received_date);
    cq_mpw_bool(w, m->received_set);
    cq_mpw_uint(w, m->pair_role);
    cq_mpw_uint(w, m->pair_state);
    cq_mpw_uint(w, m->peer_state);
    cq_mpw_bool(w, m->pair_synced);
    cq_mpw_uint(w, m->pair_lag);
}

int
cq_proto_status_reply_decode(const uint8_t *p, size_t n,
                             cq_msg_status_reply_t *m, cq_diag_t *diag)
{
    memset(m, 0, sizeof *m);
    cq_cur_t c;
    uint32_t have = s_open(&c, p, n, S_STATUS_REPLY_FIELDS, "STATUS_REPLY");
    m->req_id = cq_cur_uint(&c, UINT64_MAX, "req_id");
    S_STR(&c, m->batch_id, "batch_id");
    m->found = cq_cur_bool(&c, "found");
    m->docs = cq_cur_uint(&c, UINT64_MAX, "docs");
    m->docs_done = cq_cur_uint(&c, UINT64_MAX, "docs_done");
    m->docs_failed = cq_cur_uint(&c, UINT64_MAX, "docs_failed");
    m->claims = cq_cur_uint(&c, UINT64_MAX, "claims");
    m->decided = cq_cur_uint(&c, UINT64_MAX, "decided");
    m->accept = cq_cur_uint(&c, UINT64_MAX, "accept");
    m->reject = cq_cur_uint(&c, UINT64_MAX, "reject");
    m->pend = cq_cur_uint(&c, UINT64_MAX, "pend");
    m->failed = cq_cur_uint(&c, UINT64_MAX, "failed");
    m->durable = cq_cur_bool(&c, "durable");
    m->epoch = cq_cur_uint(&c, UINT64_MAX, "epoch");
    m->sealed = cq_cur_bool(&c, "sealed");
    m->complete = cq_cur_bool(&c, "complete");
    m->refused_sets = cq_cur_uint(&c, UINT64_MAX, "refused_sets");
    m->refused_claims = cq_cur_uint(&c, UINT64_MAX, "refused_claims");
    m->workers_live =
        (uint32_t)cq_cur_uint(&c, S_WORKERS_LIVE_MAX, "workers_live");
    m->received_date = s_cur_date(&c, "received_date");
    m->received_set = cq_cur_bool(&c, "received_set");
    if (have < S_STATUS_REPLY_FIELDS + S_STATUS_REPLY_PAIR)
        return s_close(&c, have, S_STATUS_REPLY_FIELDS, diag);
    m->pair_role = (uint32_t)cq_cur_uint(&c, 2, "pair_role");
    m->pair_state = (uint32_t)cq_cur_uint(&c, 2, "pair_state");
    m->peer_state = (uint32_t)cq_cur_uint(&c, 3, "peer_state");
    m->pair_synced = cq_cur_bool(&c, "pair_synced");
    m->pair_lag = cq_cur_uint(&c, UINT64_MAX, "pair_lag");
    return s_close(&c, have, S_STATUS_REPLY_FIELDS + S_STATUS_REPLY_PAIR, diag);
}

void
cq_proto_results_encode(cq_mpw_t *w, const cq_msg_results_t *m)
{
    cq_mpw_reset(w);
    cq_mpw_array(w, 6);
    cq_mpw_uint(w, m->req_id);
    S_FIELD(w, m->batch_id);
    cq_mpw_uint(w, m->cursor);
    cq_mpw_uint(w, m->max);
    cq_mpw_bool(w, m->with_claims);
    cq_mpw_bool(w, m->watch);
}

int
cq_proto_results_decode(const uint8_t *p, size_t n, cq_msg_results_t *m,
                        cq_diag_t *diag)
{
    memset(m, 0, sizeof *m);
    cq_cur_t c;
    uint32_t have = s_open(&c, p, n, 6, "RESULTS");
    m->req_id = cq_cur_uint(&c, UINT64_MAX, "req_id");
    S_STR(&c, m->batch_id, "batch_id");
    m->cursor = cq_cur_uint(&c, UINT64_MAX, "cursor");
    m->max = (uint32_t)cq_cur_uint(&c, CQ_PROTO_MAX_ITEMS, "max");
    m->with_claims = cq_cur_bool(&c, "with_claims");
    m->watch = cq_cur_bool(&c, "watch");
    if (c.err == 0 && m->max == 0)
        cq_cur_fail(&c, CQ_EPROTO, "max");
    return s_close(&c, have, 6, diag);
}

//  A page of a batch (RESULTS_REPLY, ACKS_REPLY): [req_id, batch_id,
//  status, next_cursor, total, complete, items]. Where decode puts its
//  head (both messages' structs spell it alike).
typedef struct {
    uint64_t *req_id;
    char *batch_id; // [CQ_BATCH_ID_LEN]
    int32_t *status;
    uint64_t *next_cursor;
    uint64_t *total;
    bool *complete;
} s_page_t;
#define S_PAGE(m)                                                              \
    ((s_page_t){&(m)->req_id, (m)->batch_id, &(m)->status, &(m)->next_cursor,  \
                &(m)->total, &(m)->complete})
#define S_PAGE_FIELDS 7

static size_t
s_page_begin(cq_mpw_t *w, uint64_t req_id, const char *batch_id, int32_t status,
             uint64_t next_cursor, uint64_t total, bool complete)
{
    cq_mpw_reset(w);
    cq_mpw_array(w, S_PAGE_FIELDS);
    cq_mpw_uint(w, req_id);
    s_field(w, batch_id, CQ_BATCH_ID_LEN - 1);
    cq_mpw_int(w, status);
    cq_mpw_uint(w, next_cursor);
    cq_mpw_uint(w, total);
    cq_mpw_bool(w, complete);
    return cq_mpw_array_open(w);
}

static int
s_page_decode(const uint8_t *p, size_t n, s_page_t pg, cq_items_t *items,
              const char *what, cq_diag_t *diag)
{
    cq_cur_t c;
    uint32_t have = s_open(&c, p, n, S_PAGE_FIELDS, what);
    *pg.req_id = cq_cur_uint(&c, UINT64_MAX, "req_id");
    cq_cur_str(&c, pg.batch_id, CQ_BATCH_ID_LEN, "batch_id");
    *pg.status = s_cur_status(&c, "status");
    *pg.next_cursor = cq_cur_uint(&c, UINT64_MAX, "next_cursor");
    *pg.total = cq_cur_uint(&c, UINT64_MAX, "total");
    *pg.complete = cq_cur_bool(&c, "complete");
    return s_items(&c, items, have, S_PAGE_FIELDS, "items", diag);
}

size_t
cq_proto_results_reply_begin(cq_mpw_t *w, const cq_msg_results_reply_t *m)
{
    return s_page_begin(w, m->req_id, m->batch_id, m->status, m->next_cursor,
                        m->total, m->complete);
}

void
cq_proto_results_reply_add(cq_mpw_t *w, uint64_t doc_id, uint32_t index,
                           const uint8_t *decision_raw, size_t dlen,
                           const uint8_t *claim_raw, size_t clen)
{
    cq_mpw_array(w, 4);
    cq_mpw_uint(w, doc_id);
    cq_mpw_uint(w, index);
    if (decision_raw)
        cq_mpw_raw(w, decision_raw, dlen);
    else
        cq_mpw_nil(w);
    if (claim_raw)
        cq_mpw_raw(w, claim_raw, clen);
    else
        cq_mpw_nil(w);
}

void
cq_proto_results_reply_end(cq_mpw_t *w, size_t at, uint32_t n_items)
{
    cq_mpw_array_close(w, at, n_items);
}

int
cq_proto_results_reply_decode(const uint8_t *p, size_t n,
                              cq_msg_results_reply_t *m, cq_diag_t *diag)
{
    memset(m, 0, sizeof *m);
    return s_page_decode(p, n, S_PAGE(m), &m->items, "RESULTS_REPLY", diag);
}

int
cq_proto_results_reply_next(cq_msg_results_reply_t *m, uint64_t *doc_id,
                            uint32_t *index, bool *has_decision,
                            cq_decision_t *d, bool *has_claim,
                            cq_claim_t *claim, cq_diag_t *diag)
{
    uint32_t have;
    int rc = s_item_open(&m->items, 4, &have, "item", diag);
    if (rc <= 0)
        return rc;
    cq_cur_t *c = &m->items.cur;
    *doc_id = cq_cur_uint(c, UINT64_MAX, "doc_id");
    *index = (uint32_t)cq_cur_uint(c, UINT32_MAX, "index");
    *has_decision = !cq_cur_nil(c);
    if (*has_decision) {
        if (d)
            cq_proto_decision_decode(c, d);
        else
            cq_cur_skip(c, "decision");
    }
    *has_claim = !cq_cur_nil(c);
    if (*has_claim) {
        if (claim)
            cq_proto_claim_decode(c, claim);
        else
            cq_cur_skip(c, "claim");
    }
    return s_item_close(&m->items, have, 4, diag);
}

void
cq_proto_workers_encode(cq_mpw_t *w, uint64_t req_id)
{
    cq_mpw_reset(w);
    cq_mpw_array(w, 1);
    cq_mpw_uint(w, req_id);
}

int
cq_proto_workers_decode(const uint8_t *p, size_t n, uint64_t *req_id,
                        cq_diag_t *diag)
{
    cq_cur_t c;
    uint32_t have = s_open(&c, p, n, 1, "WORKERS");
    *req_id = cq_cur_uint(&c, UINT64_MAX, "req_id");
    return s_close(&c, have, 1, diag);
}

#define S_WORKER_FIELDS 15

void
cq_proto_workers_reply_encode(cq_mpw_t *w, const cq_msg_workers_reply_t *m)
{
    cq_mpw_reset(w);
    cq_mpw_array(w, 5);
    cq_mpw_uint(w, m->req_id);
    S_FIELD(w, m->rules_version);
    cq_mpw_uint(w, m->shards);
    uint32_t nw = m->n_workers;
    if (CQ_NEVER(nw > CQ_PROTO_MAX_WORKERS))
        nw = CQ_PROTO_MAX_WORKERS;
    cq_mpw_array(w, nw);
    for (uint32_t i = 0; i < nw; i++) {
        const cq_worker_info_t *x = &m->workers[i];
        cq_mpw_array(w, S_WORKER_FIELDS);
        S_FIELD(w, x->node_id);
        S_FIELD(w, x->state);
        S_FIELD(w, x->rules_version);
        cq_mpw_uint(w, x->credit);
        cq_mpw_uint(w, x->inflight);
        cq_mpw_uint(w, x->intake_credit);
        cq_mpw_uint(w, x->intake_inflight);
        cq_mpw_uint(w, x->shards);
        cq_mpw_uint(w, x->intake_done);
        cq_mpw_uint(w, x->decided);
        cq_mpw_uint(w, x->idle_ms);
        S_FIELD(w, x->host);
        cq_mpw_uint(w, x->since_ms);
        cq_mpw_uint(w, x->claims_per_s);
        cq_mpw_uint(w, x->heartbeat_ms);
    }
    uint32_t nc = m->n_counters;
    if (CQ_NEVER(nc > CQ_PROTO_MAX_COUNTERS))
        nc = CQ_PROTO_MAX_COUNTERS;
    cq_mpw_array(w, nc);
    for (uint32_t i = 0; i < nc; i++) {
        cq_mpw_array(w, 2);
        S_FIELD(w, m->counters[i].name);
        cq_mpw_uint(w, m->counters[i].value);
    }
}

int
cq_proto_workers_reply_decode(const uint8_t *p, size_t n,
                              cq_msg_workers_reply_t *m, cq_diag_t *diag)
{
    memset(m, 0, sizeof *m);
    cq_cur_t c;
    uint32_t have = s_open(&c, p, n, 5, "WORKERS_REPLY");
    m->req_id = cq_cur_uint(&c, UINT64_MAX, "req_id");
    S_STR(&c, m->rules_version, "rules_version");
    m->shards = (uint32_t)cq_cur_uint(&c, UINT32_MAX, "shards");
    uint32_t nw = cq_cur_array(&c, 0, CQ_PROTO_MAX_WORKERS, "workers");
    if (c.err == 0 && nw > 0)
        m->workers = cq_xcalloc(nw, sizeof *m->workers);
    for (uint32_t i = 0; i < nw && c.err == 0; i++) {
        cq_worker_info_t *x = &m->workers[i];
        uint32_t h = cq_cur_array(&c, S_WORKER_FIELDS, UINT32_MAX, "worker");
        S_STR(&c, x->node_id, "worker.node_id");
        S_STR(&c, x->state, "worker.state");
        S_STR(&c, x->rules_version, "worker.rules_version");
        x->credit = (uint32_t)cq_cur_uint(&c, UINT32_MAX, "worker.credit");
        x->inflight = (uint32_t)cq_cur_uint(&c, UINT32_MAX, "worker.inflight");
        x->intake_credit =
            (uint32_t)cq_cur_uint(&c, UINT32_MAX, "worker.intake_credit");
        x->intake_inflight =
            (uint32_t)cq_cur_uint(&c, UINT32_MAX, "worker.intake_inflight");
        x->shards = (uint32_t)cq_cur_uint(&c, UINT32_MAX, "worker.shards");
        x->intake_done = cq_cur_uint(&c, UINT64_MAX, "worker.intake_done");
        x->decided = cq_cur_uint(&c, UINT64_MAX, "worker.decided");
        x->idle_ms = cq_cur_uint(&c, UINT64_MAX, "worker.idle_ms");
        S_STR(&c, x->host, "worker.host");
        x->since_ms = cq_cur_uint(&c, UINT64_MAX, "worker.since_ms");
        x->claims_per_s =
            (uint32_t)cq_cur_uint(&c, UINT32_MAX, "worker.claims_per_s");
        x->heartbeat_ms =
            (uint32_t)cq_cur_uint(&c, UINT32_MAX, "worker.heartbeat_ms");
        cq_cur_rest(&c, h, S_WORKER_FIELDS);
    }
    uint32_t nc = cq_cur_array(&c, 0, CQ_PROTO_MAX_COUNTERS, "counters");
    for (uint32_t i = 0; i < nc && c.err == 0; i++) {
        uint32_t h = cq_cur_array(&c, 2, UINT32_MAX, "counter");
        S_STR(&c, m->counters[i].name, "counter.name");
        m->counters[i].value = cq_cur_uint(&c, UINT64_MAX, "counter.value");
        cq_cur_rest(&c, h, 2);
    }
    int rc = s_close(&c, have, 5, diag);
    if (rc != 0) {
        cq_proto_workers_reply_free(m);
        return rc;
    }
    m->n_workers = nw;
    m->n_counters = nc;
    return 0;
}

void
cq_proto_workers_reply_free(cq_msg_workers_reply_t *m)
{
    free(m->workers);
    m->workers = NULL;
    m->n_workers = 0;
}

//  ---- QUARANTINE ---------------------------------------------------------

void
cq_proto_quarantine_encode(cq_mpw_t *w, const cq_msg_quarantine_t *m)
{
    cq_mpw_reset(w);
    cq_mpw_array(w, 3);
    cq_mpw_uint(w, m->req_id);
    cq_mpw_uint(w, m->op);
    S_FIELD(w, m->id);
}

int
cq_proto_quarantine_decode(const uint8_t *p, size_t n, cq_msg_quarantine_t *m,
                           cq_diag_t *diag)
{
    memset(m, 0, sizeof *m);
    cq_cur_t c;
    uint32_t have = s_open(&c, p, n, 3, "QUARANTINE");
    m->req_id = cq_cur_uint(&c, UINT64_MAX, "req_id");
    m->op = (uint32_t)cq_cur_uint(&c, CQ_QOP_RELEASE, "op");
    S_STR(&c, m->id, "id");
    return s_close(&c, have, 3, diag);
}

#define S_QITEM_FIELDS 8
#define S_QITEM_MIN_BYTES (1 + S_QITEM_FIELDS) // header + 1 byte a field
#define S_QHIST_FIELDS 3

void
cq_proto_quarantine_reply_encode(cq_mpw_t *w,
                                 const cq_msg_quarantine_reply_t *m)
{
    cq_mpw_reset(w);
    cq_mpw_array(w, 4);
    cq_mpw_uint(w, m->req_id);
    cq_mpw_int(w, m->status);
    S_FIELD(w, m->message);
    uint32_t ni = m->n_items;
    if (CQ_NEVER(ni > CQ_PROTO_MAX_QITEMS))
        ni = CQ_PROTO_MAX_QITEMS;
    cq_mpw_array(w, ni);
    for (uint32_t i = 0; i < ni; i++) {
        const cq_qitem_t *x = &m->items[i];
        cq_mpw_array(w, S_QITEM_FIELDS);
        S_FIELD(w, x->id);
        S_FIELD(w, x->kind);
        S_FIELD(w, x->batch_id);
        S_FIELD(w, x->name);
        cq_mpw_uint(w, x->attempts);
        cq_mpw_uint(w, x->since_ms);
        S_FIELD(w, x->reason);
        uint32_t nh = x->n_hist;
        if (CQ_NEVER(nh > CQ_PROTO_MAX_QHIST))
            nh = CQ_PROTO_MAX_QHIST;
        cq_mpw_array(w, nh);
        for (uint32_t k = 0; k < nh; k++) {
            cq_mpw_array(w, S_QHIST_FIELDS);
            cq_mpw_uint(w, x->hist[k].at_ms);
            S_FIELD(w, x->hist[k].node_id);
            S_FIELD(w, x->hist[k].what);
        }
    }
}

static void
s_qitem_decode(cq_cur_t *c, cq_qitem_t *x)
{
    uint32_t have = cq_cur_array(c, S_QITEM_FIELDS, UINT32_MAX, "item");
    S_STR(c, x->id, "item.id");
    S_STR(c, x->kind, "item.kind");
    S_STR(c, x->batch_id, "item.batch_id");
    S_STR(c, x->name, "item.name");
    x->attempts = (uint32_t)cq_cur_uint(c, UINT32_MAX, "item.attempts");
    x->since_ms = cq_cur_uint(c, UINT64_MAX, "item.since_ms");
    S_STR(c, x->reason, "item.reason");
    x->n_hist = cq_cur_array(c, 0, CQ_PROTO_MAX_QHIST, "item.hist");
    for (uint32_t k = 0; k < x->n_hist && c->err == 0; k++) {
        cq_qhist_t *h = &x->hist[k];
        uint32_t hh = cq_cur_array(c, S_QHIST_FIELDS, UINT32_MAX, "hist");
        h->at_ms = cq_cur_uint(c, UINT64_MAX, "hist.at_ms");
        S_STR(c, h->node_id, "hist.node_id");
        S_STR(c, h->what, "hist.what");
        cq_cur_rest(c, hh, S_QHIST_FIELDS);
    }
    cq_cur_rest(c, have, S_QITEM_FIELDS);
}

int
cq_proto_quarantine_reply_decode(const uint8_t *p, size_t n,
                                 cq_msg_quarantine_reply_t *m, cq_diag_t *diag)
{
    memset(m, 0, sizeof *m);
    cq_cur_t c;
    uint32_t have = s_open(&c, p, n, 4, "QUARANTINE_REPLY");
    m->req_id = cq_cur_uint(&c, UINT64_MAX, "req_id");
    m->status = s_cur_status(&c, "status");
    S_STR(&c, m->message, "message");
    //  An item is about 10 KiB in memory.
    uint32_t ni;
    m->items = s_cur_alloc(&c, &ni, sizeof *m->items, CQ_PROTO_MAX_QITEMS,
                           S_QITEM_MIN_BYTES, "items");
    for (uint32_t i = 0; i < ni && c.err == 0; i++)
        s_qitem_decode(&c, &m->items[i]);
    int rc = s_close(&c, have, 4, diag);
    if (rc != 0) {
        cq_proto_quarantine_reply_free(m);
        return rc;
    }
    m->n_items = ni;
    return 0;
}

void
cq_proto_quarantine_reply_free(cq_msg_quarantine_reply_t *m)
{
    free(m->items);
    m->items = NULL;
    m->n_items = 0;
}

//  ---- SEAL / BATCHES / ACKS ----------------------------------------------

//  [req_id, batch_id, v]: SEAL (docs) and ACKS (cursor).
static void
s_batch_req_encode(cq_mpw_t *w, uint64_t req_id, const char *batch_id,
                   uint64_t v)
{
    cq_mpw_reset(w);
    cq_mpw_array(w, 3);
    cq_mpw_uint(w, req_id);
    s_field(w, batch_id, CQ_BATCH_ID_LEN - 1);
    cq_mpw_uint(w, v);
}

static int
s_batch_req_decode(const uint8_t *p, size_t n, const char *what,
                   uint64_t *req_id, char batch_id[CQ_BATCH_ID_LEN],
                   uint64_t *v, const char *v_what, cq_diag_t *diag)
{
    cq_cur_t c;
    uint32_t have = s_open(&c, p, n, 3, what);
    *req_id = cq_cur_uint(&c, UINT64_MAX, "req_id");
    cq_cur_str(&c, batch_id, CQ_BATCH_ID_LEN, "batch_id");
    *v = cq_cur_uint(&c, UINT64_MAX, v_what);
    return s_close(&c, have, 3, diag);
}

void
cq_proto_seal_encode(cq_mpw_t *w, const cq_msg_seal_t *m)
{
    s_batch_req_encode(w, m->req_id, m->batch_id, m->docs);
}

int
cq_proto_seal_decode(const uint8_t *p, size_t n, cq_msg_seal_t *m,
                     cq_diag_t *diag)
{
    memset(m, 0, sizeof *m);
    return s_batch_req_decode(p, n, "SEAL", &m->req_id, m->batch_id, &m->docs,
                              "docs", diag);
}

#define S_SEAL_REPLY_FIELDS 5

void
cq_proto_seal_reply_encode(cq_mpw_t *w, const cq_msg_seal_reply_t *m)
{
    cq_mpw_reset(w);
    cq_mpw_array(w, S_SEAL_REPLY_FIELDS);
    cq_mpw_uint(w, m->req_id);
    S_FIELD(w, m->batch_id);
    cq_mpw_int(w, m->status);
    S_FIELD(w, m->message);
    cq_mpw_uint(w, m->docs);
}

int
cq_proto_seal_reply_decode(const uint8_t *p, size_t n, cq_msg_seal_reply_t *m,
                           cq_diag_t *diag)
{
    memset(m, 0, sizeof *m);
    cq_cur_t c;
    uint32_t have = s_open(&c, p, n, S_SEAL_REPLY_FIELDS, "SEAL_REPLY");
    m->req_id = cq_cur_uint(&c, UINT64_MAX, "req_id");
    S_STR(&c, m->batch_id, "batch_id");
    m->status = s_cur_status(&c, "status");
    S_STR(&c, m->message, "message");
    m->docs = cq_cur_uint(&c, UINT64_MAX, "docs");
    return s_close(&c, have, S_SEAL_REPLY_FIELDS, diag);
}

void
cq_proto_batches_encode(cq_mpw_t *w, const cq_msg_batches_t *m)
{
    cq_mpw_reset(w);
    cq_mpw_array(w, 2);
    cq_mpw_uint(w, m->req_id);
    cq_mpw_uint(w, m->since_ms);
}

int
cq_proto_batches_decode(const uint8_t *p, size_t n, cq_msg_batches_t *m,
                        cq_diag_t *diag)
{
    memset(m, 0, sizeof *m);
    cq_cur_t c;
    uint32_t have = s_open(&c, p, n, 2, "BATCHES");
    m->req_id = cq_cur_uint(&c, UINT64_MAX, "req_id");
    m->since_ms = cq_cur_uint(&c, UINT64_MAX, "since_ms");
    return s_close(&c, have, 2, diag);
}

#define S_BATCH_FIELDS 10
#define S_BATCH_MIN_BYTES (1 + S_BATCH_FIELDS) // header + 1 byte a field

void
cq_proto_batches_reply_encode(cq_mpw_t *w, const cq_msg_batches_reply_t *m)
{
    cq_mpw_reset(w);
    cq_mpw_array(w, 3);
    cq_mpw_uint(w, m->req_id);
    cq_mpw_uint(w, m->total);
    uint32_t ni = m->n_items;
    if (CQ_NEVER(ni > CQ_PROTO_MAX_BATCHES))
        ni = CQ_PROTO_MAX_BATCHES;
    cq_mpw_array(w, ni);
    for (uint32_t i = 0; i < ni; i++) {
        const cq_batch_info_t *x = &m->items[i];
        cq_mpw_array(w, S_BATCH_FIELDS);
        S_FIELD(w, x->batch_id);
        cq_mpw_uint(w, x->created_ms);
        cq_mpw_uint(w, x->docs);
        cq_mpw_uint(w, x->docs_done);
        cq_mpw_uint(w, x->claims);
        cq_mpw_uint(w, x->decided);
        cq_mpw_uint(w, x->failed);
        cq_mpw_uint(w, x->refused_sets);
        cq_mpw_bool(w, x->sealed);
        cq_mpw_bool(w, x->complete);
    }
}

static void
s_batch_info_decode(cq_cur_t *c, cq_batch_info_t *x)
{
    uint32_t have = cq_cur_array(c, S_BATCH_FIELDS, UINT32_MAX, "item");
    S_STR(c, x->batch_id, "item.batch_id");
    x->created_ms = cq_cur_uint(c, UINT64_MAX, "item.created_ms");
    x->docs = cq_cur_uint(c, UINT64_MAX, "item.docs");
    x->docs_done = cq_cur_uint(c, UINT64_MAX, "item.docs_done");
    x->claims = cq_cur_uint(c, UINT64_MAX, "item.claims");
    x->decided = cq_cur_uint(c, UINT64_MAX, "item.decided");
    x->failed = cq_cur_uint(c, UINT64_MAX, "item.failed");
    x->refused_sets = cq_cur_uint(c, UINT64_MAX, "item.refused_sets");
    x->sealed = cq_cur_bool(c, "item.sealed");
    x->complete = cq_cur_bool(c, "item.complete");
    cq_cur_rest(c, have, S_BATCH_FIELDS);
}

int
cq_proto_batches_reply_decode(const uint8_t *p, size_t n,
                              cq_msg_batches_reply_t *m, cq_diag_t *diag)
{
    memset(m, 0, sizeof *m);
    cq_cur_t c;
    uint32_t have = s_open(&c, p, n, 3, "BATCHES_REPLY");
    m->req_id = cq_cur_uint(&c, UINT64_MAX, "req_id");
    m->total = cq_cur_uint(&c, UINT64_MAX, "total");
    uint32_t ni;
    m->items = s_cur_alloc(&c, &ni, sizeof *m->items, CQ_PROTO_MAX_BATCHES,
                           S_BATCH_MIN_BYTES, "items");
    for (uint32_t i = 0; i < ni && c.err == 0; i++)
        s_batch_info_decode(&c, &m->items[i]);
    int rc = s_close(&c, have, 3, diag);
    if (rc != 0) {
        cq_proto_batches_reply_free(m);
        return rc;
    }
    m->n_items = ni;
    return 0;
}

void
cq_proto_batches_reply_free(cq_msg_batches_reply_t *m)
{
    free(m->items);
    m->items = NULL;
    m->n_items = 0;
}

void
cq_proto_acks_encode(cq_mpw_t *w, const cq_msg_acks_t *m)
{
    s_batch_req_encode(w, m->req_id, m->batch_id, m->cursor);
}

int
cq_proto_acks_decode(const uint8_t *p, size_t n, cq_msg_acks_t *m,
                     cq_diag_t *diag)
{
    memset(m, 0, sizeof *m);
    return s_batch_req_decode(p, n, "ACKS", &m->req_id, m->batch_id, &m->cursor,
                              "cursor", diag);
}

size_t
cq_proto_acks_reply_begin(cq_mpw_t *w, const cq_msg_acks_reply_t *m)
{
    return s_page_begin(w, m->req_id, m->batch_id, m->status, m->next_cursor,
                        m->total, m->complete);
}

#define S_ACK_ITEM_FIELDS 3

void
cq_proto_acks_reply_add(cq_mpw_t *w, uint64_t doc_id, const char *name,
                        const uint8_t *ack, size_t len)
{
    cq_mpw_array(w, S_ACK_ITEM_FIELDS);
    cq_mpw_uint(w, doc_id);
    s_field(w, name, CQ_DOC_NAME_LEN - 1);
    s_ack(w, ack, len);
}

void
cq_proto_acks_reply_end(cq_mpw_t *w, size_t at, uint32_t n_items)
{
    cq_mpw_array_close(w, at, n_items);
}

int
cq_proto_acks_reply_decode(const uint8_t *p, size_t n, cq_msg_acks_reply_t *m,
                           cq_diag_t *diag)
{
    memset(m, 0, sizeof *m);
    return s_page_decode(p, n, S_PAGE(m), &m->items, "ACKS_REPLY", diag);
}

int
cq_proto_acks_reply_next(cq_msg_acks_reply_t *m, uint64_t *doc_id,
                         char name[CQ_DOC_NAME_LEN], const uint8_t **ack,
                         size_t *len, cq_diag_t *diag)
{
    uint32_t have;
    int rc = s_item_open(&m->items, S_ACK_ITEM_FIELDS, &have, "item", diag);
    if (rc <= 0)
        return rc;
    cq_cur_t *c = &m->items.cur;
    *doc_id = cq_cur_uint(c, UINT64_MAX, "doc_id");
    cq_cur_str(c, name, CQ_DOC_NAME_LEN, "name");
    *ack = s_cur_ack(c, len, "ack");
    return s_item_close(&m->items, have, S_ACK_ITEM_FIELDS, diag);
}

//  ---- issue 10: drain and the shard map ----------------------------------

void
cq_proto_drain_encode(cq_mpw_t *w, const cq_msg_drain_t *m)
{
    cq_mpw_reset(w);
    cq_mpw_array(w, 2);
    cq_mpw_uint(w, m->req_id);
    S_FIELD(w, m->node_id);
}

int
cq_proto_drain_decode(const uint8_t *p, size_t n, cq_msg_drain_t *m,
                      cq_diag_t *diag)
{
    memset(m, 0, sizeof *m);
    cq_cur_t c;
    uint32_t have = s_open(&c, p, n, 2, "DRAIN_NODE");
    m->req_id = cq_cur_uint(&c, UINT64_MAX, "req_id");
    S_STR(&c, m->node_id, "node_id");
    if (c.err == 0 && !cq_proto_node_id_ok(m->node_id))
        cq_cur_fail(&c, CQ_EPROTO, "node_id");
    return s_close(&c, have, 2, diag);
}

#define S_DRAIN_REPLY_FIELDS 5

void
cq_proto_drain_reply_encode(cq_mpw_t *w, const cq_msg_drain_reply_t *m)
{
    cq_mpw_reset(w);
    cq_mpw_array(w, S_DRAIN_REPLY_FIELDS);
    cq_mpw_uint(w, m->req_id);
    S_FIELD(w, m->node_id);
    cq_mpw_int(w, m->status);
    S_FIELD(w, m->message);
    cq_mpw_uint(w, m->shards);
}

int
cq_proto_drain_reply_decode(const uint8_t *p, size_t n, cq_msg_drain_reply_t *m,
                            cq_diag_t *diag)
{
    memset(m, 0, sizeof *m);
    cq_cur_t c;
    uint32_t have = s_open(&c, p, n, S_DRAIN_REPLY_FIELDS, "DRAIN_REPLY");
    m->req_id = cq_cur_uint(&c, UINT64_MAX, "req_id");
    S_STR(&c, m->node_id, "node_id");
    m->status = s_cur_status(&c, "status");
    S_STR(&c, m->message, "message");
    m->shards = (uint32_t)cq_cur_uint(&c, S_SHARDS_MAX, "shards");
    return s_close(&c, have, S_DRAIN_REPLY_FIELDS, diag);
}

void
cq_proto_shards_encode(cq_mpw_t *w, uint64_t req_id)
{
    cq_mpw_reset(w);
    cq_mpw_array(w, 1);
    cq_mpw_uint(w, req_id);
}

int
cq_proto_shards_decode(const uint8_t *p, size_t n, uint64_t *req_id,
                       cq_diag_t *diag)
{
    cq_cur_t c;
    uint32_t have = s_open(&c, p, n, 1, "SHARDS");
    *req_id = cq_cur_uint(&c, UINT64_MAX, "req_id");
    return s_close(&c, have, 1, diag);
}

#define S_SHARD_FIELDS 7
#define S_SHARD_MIN_BYTES 8 // an item's smallest encoding

void
cq_proto_shards_reply_encode(cq_mpw_t *w, const cq_msg_shards_reply_t *m)
{
    cq_mpw_reset(w);
    cq_mpw_array(w, 4);
    cq_mpw_uint(w, m->req_id);
    cq_mpw_uint(w, m->shards);
    cq_mpw_uint(w, m->moves_active);
    uint32_t ni = m->n_items;
    if (CQ_NEVER(ni > CQ_PROTO_MAX_SHARDS))
        ni = CQ_PROTO_MAX_SHARDS;
    cq_mpw_array(w, ni);
    for (uint32_t i = 0; i < ni; i++) {
        const cq_shard_info_t *x = &m->items[i];
        cq_mpw_array(w, S_SHARD_FIELDS);
        cq_mpw_uint(w, x->shard);
        S_FIELD(w, x->owner);
        S_FIELD(w, x->target);
        cq_mpw_uint(w, x->queued);
        cq_mpw_uint(w, x->inflight);
        cq_mpw_uint(w, x->moved_ms);
        cq_mpw_uint(w, x->moves);
    }
}

int
cq_proto_shards_reply_decode(const uint8_t *p, size_t n,
                             cq_msg_shards_reply_t *m, cq_diag_t *diag)
{
    memset(m, 0, sizeof *m);
    cq_cur_t c;
    uint32_t have = s_open(&c, p, n, 4, "SHARDS_REPLY");
    m->req_id = cq_cur_uint(&c, UINT64_MAX, "req_id");
    m->shards = (uint32_t)cq_cur_uint(&c, S_SHARDS_MAX, "shards");
    m->moves_active = (uint32_t)cq_cur_uint(&c, S_SHARDS_MAX, "moves_active");
    uint32_t ni;
    m->items = s_cur_alloc(&c, &ni, sizeof *m->items, CQ_PROTO_MAX_SHARDS,
                           S_SHARD_MIN_BYTES, "items");
    for (uint32_t i = 0; i < ni && c.err == 0; i++) {
        cq_shard_info_t *x = &m->items[i];
        uint32_t h = cq_cur_array(&c, S_SHARD_FIELDS, UINT32_MAX, "item");
        x->shard = (uint32_t)cq_cur_uint(&c, S_SHARDS_MAX - 1, "item.shard");
        S_STR(&c, x->owner, "item.owner");
        S_STR(&c, x->target, "item.target");
        x->queued = cq_cur_uint(&c, UINT64_MAX, "item.queued");
        x->inflight = (uint32_t)cq_cur_uint(&c, UINT32_MAX, "item.inflight");
        x->moved_ms = cq_cur_uint(&c, UINT64_MAX, "item.moved_ms");
        x->moves = (uint32_t)cq_cur_uint(&c, UINT32_MAX, "item.moves");
        cq_cur_rest(&c, h, S_SHARD_FIELDS);
    }
    int rc = s_close(&c, have, 4, diag);
    if (rc != 0) {
        cq_proto_shards_reply_free(m);
        return rc;
    }
    m->n_items = ni;
    return 0;
}

void
cq_proto_shards_reply_free(cq_msg_shards_reply_t *m)
{
    free(m->items);
    m->items = NULL;
    m->n_items = 0;
}

//  ---- issue 9: HAVE, what the broker holds already ------------------------

#define S_DIGEST_BYTES (2 + CQ_DIGEST_LEN) // a bin8 of 32 bytes

void
cq_proto_have_encode(cq_mpw_t *w, const cq_msg_have_t *m)
{
    cq_mpw_reset(w);
    cq_mpw_array(w, 3);
    cq_mpw_uint(w, m->req_id);
    S_FIELD(w, m->batch_id);
    uint32_t n = m->n;
    if (CQ_NEVER(n > CQ_PROTO_MAX_HAVE))
        n = CQ_PROTO_MAX_HAVE;
    cq_mpw_array(w, n);
    for (uint32_t i = 0; i < n; i++)
        cq_mpw_bin(w, m->digests[i], CQ_DIGEST_LEN);
}

int
cq_proto_have_decode(const uint8_t *p, size_t n, cq_msg_have_t *m,
                     cq_diag_t *diag)
{
    memset(m, 0, sizeof *m);
    cq_cur_t c;
    uint32_t have = s_open(&c, p, n, 3, "HAVE");
    m->req_id = cq_cur_uint(&c, UINT64_MAX, "req_id");
    S_STR(&c, m->batch_id, "batch_id");
    if (c.err == 0 && !cq_proto_batch_id_ok(m->batch_id))
        cq_cur_fail(&c, CQ_EPROTO, "batch_id");
    uint32_t nd = 0;
    if (c.err == 0) {
        nd = cq_cur_array(&c, 1, CQ_PROTO_MAX_HAVE, "digests");
        //  (every digest takes S_DIGEST_BYTES: a count the body cannot
        //  hold is refused before anything is allocated)
        if (c.err == 0 &&
            (uint64_t)nd * S_DIGEST_BYTES > (size_t)(c.end - c.pos))
            cq_cur_fail(&c, CQ_EPROTO, "digests");
    }
    if (c.err == 0)
        m->digests = cq_xmalloc((size_t)nd * CQ_DIGEST_LEN);
    for (uint32_t i = 0; i < nd && c.err == 0; i++) {
        size_t len;
        const uint8_t *b = cq_cur_bin(&c, &len, CQ_DIGEST_LEN, "digest");
        if (c.err == 0 && len != CQ_DIGEST_LEN)
            cq_cur_fail(&c, CQ_EPROTO, "digest");
        if (c.err == 0)
            memcpy(m->digests[i], b, CQ_DIGEST_LEN);
    }
    int rc = s_close(&c, have, 3, diag);
    if (rc != 0) {
        cq_proto_have_free(m);
        return rc;
    }
    m->n = nd;
    return 0;
}

void
cq_proto_have_free(cq_msg_have_t *m)
{
    free(m->digests);
    m->digests = NULL;
    m->n = 0;
}

#define S_HAVE_REPLY_FIELDS 4

void
cq_proto_have_reply_encode(cq_mpw_t *w, const cq_msg_have_reply_t *m)
{
    cq_mpw_reset(w);
    cq_mpw_array(w, S_HAVE_REPLY_FIELDS);
    cq_mpw_uint(w, m->req_id);
    S_FIELD(w, m->batch_id);
    cq_mpw_int(w, m->status);
    uint32_t n = m->n;
    if (CQ_NEVER(n > CQ_PROTO_MAX_HAVE))
        n = CQ_PROTO_MAX_HAVE;
    cq_mpw_array(w, n);
    for (uint32_t i = 0; i < n; i++) {
        if (m->doc_ids[i] == CQ_HAVE_NONE)
            cq_mpw_nil(w);
        else
            cq_mpw_uint(w, m->doc_ids[i]);
    }
}

int
cq_proto_have_reply_decode(const uint8_t *p, size_t n, cq_msg_have_reply_t *m,
                           cq_diag_t *diag)
{
    memset(m, 0, sizeof *m);
    cq_cur_t c;
    uint32_t have = s_open(&c, p, n, S_HAVE_REPLY_FIELDS, "HAVE_REPLY");
    m->req_id = cq_cur_uint(&c, UINT64_MAX, "req_id");
    S_STR(&c, m->batch_id, "batch_id");
    m->status = s_cur_status(&c, "status");
    uint32_t ni;
    //  (an id or a nil: at least one byte each)
    m->doc_ids = s_cur_alloc(&c, &ni, sizeof *m->doc_ids, CQ_PROTO_MAX_HAVE, 1,
                             "doc_ids");
    for (uint32_t i = 0; i < ni && c.err == 0; i++)
        m->doc_ids[i] = cq_cur_nil(&c)
                            ? CQ_HAVE_NONE
                            : cq_cur_uint(&c, CQ_HAVE_NONE - 1, "doc_id");
    int rc = s_close(&c, have, S_HAVE_REPLY_FIELDS, diag);
    if (rc != 0) {
        cq_proto_have_reply_free(m);
        return rc;
    }
    m->n = ni;
    return 0;
}

void
cq_proto_have_reply_free(cq_msg_have_reply_t *m)
{
    free(m->doc_ids);
    m->doc_ids = NULL;
    m->n = 0;
}

void
cq_proto_doc_digest(const char *batch_id, const char *name,
                    uint32_t first_record, const uint8_t *data, size_t len,
                    uint8_t out[CQ_DIGEST_LEN])
{
    //  the fields as SUBMIT carries them (cut to their C fields)
    char b[CQ_BATCH_ID_LEN], nm[CQ_DOC_NAME_LEN];
    cq_strlcpy(b, batch_id, sizeof b);
    cq_strlcpy(nm, name, sizeof nm);
    uint8_t buf[CQ_BATCH_ID_LEN + CQ_DOC_NAME_LEN + 16 + CQ_DIGEST_LEN];
    int k = snprintf((char *)buf, sizeof buf - CQ_DIGEST_LEN, "%s\n%s\n%u\n", b,
                     nm, first_record);
    size_t at = k > 0 ? (size_t)k : 0;
    cq_sha256(data, len, buf + at);
    cq_sha256(buf, at + CQ_DIGEST_LEN, out);
}

//  ---- REVIEW / REVIEW_REPLY ---------------------------------------------

const char *
cq_review_kind_name(int kind)
{
    switch (kind) {
    case CQ_REVIEW_OCR:
        return "ocr";
    case CQ_REVIEW_REGISTRATION:
        return "registration";
    case CQ_REVIEW_DUPLICATE:
        return "duplicate";
    default:
        return "other";
    }
}

const char *
cq_release_action_name(int action)
{
    switch (action) {
    case CQ_RELEASE_CORRECTED:
        return "corrected";
    case CQ_RELEASE_DUPLICATE:
        return "duplicate";
    case CQ_RELEASE_NOT_DUPLICATE:
        return "not-duplicate";
    default:
        return "unknown";
    }
}

#define S_REVIEW_FIELDS 12 // and no_doc, appended
//  A claim as REVIEW carries it (encoded): the largest claim encodes in
//  far less.
#define S_REVIEW_CLAIM_MAX (256u << 10)

void
cq_proto_review_encode(cq_mpw_t *w, const cq_msg_review_t *m)
{
    cq_mpw_reset(w);
    cq_mpw_array(w, S_REVIEW_FIELDS + 1);
    cq_mpw_uint(w, m->req_id);
    cq_mpw_uint(w, m->op);
    uint32_t nt = m->n_tenants;
    if (CQ_NEVER(nt > CQ_REVIEW_MAX_TENANTS))
        nt = CQ_REVIEW_MAX_TENANTS;
    cq_mpw_array(w, nt);
    for (uint32_t i = 0; i < nt; i++)
        S_FIELD(w, m->tenants[i]);
    cq_mpw_uint(w, m->id);
    S_FIELD(w, m->reviewer);
    cq_mpw_uint(w, m->token);
    cq_mpw_uint(w, m->ttl_ms);
    cq_mpw_uint(w, m->action);
    cq_mpw_uint(w, m->max);
    if (m->claim != NULL && m->claim_len <= S_REVIEW_CLAIM_MAX)
        cq_mpw_bin(w, m->claim, m->claim_len);
    else
        cq_mpw_nil(w);
    S_FIELD(w, m->changes);
    cq_mpw_nil(w); // reserved
    cq_mpw_bool(w, m->no_doc);
}

int
cq_proto_review_decode(const uint8_t *p, size_t n, cq_msg_review_t *m,
                       cq_diag_t *diag)
{
    memset(m, 0, sizeof *m);
    cq_cur_t c;
    uint32_t have = s_open(&c, p, n, S_REVIEW_FIELDS, "REVIEW");
    m->req_id = cq_cur_uint(&c, UINT64_MAX, "req_id");
    m->op = (uint32_t)cq_cur_uint(&c, CQ_ROP_RELEASE, "op");
    m->n_tenants = cq_cur_array(&c, 0, CQ_REVIEW_MAX_TENANTS, "tenants");
    for (uint32_t i = 0; i < m->n_tenants && c.err == 0; i++)
        S_STR(&c, m->tenants[i], "tenants");
    m->id = cq_cur_uint(&c, UINT32_MAX, "id");
    S_STR(&c, m->reviewer, "reviewer");
    m->token = cq_cur_uint(&c, UINT64_MAX, "token");
    m->ttl_ms = (uint32_t)cq_cur_uint(&c, 86400000u, "ttl_ms");
    m->action = (uint32_t)cq_cur_uint(&c, CQ_RELEASE_NOT_DUPLICATE, "action");
    m->max = (uint32_t)cq_cur_uint(&c, CQ_REVIEW_MAX_ITEMS, "max");
    if (!cq_cur_nil(&c))
        m->claim = cq_cur_bin(&c, &m->claim_len, S_REVIEW_CLAIM_MAX, "claim");
    S_STR(&c, m->changes, "changes");
    cq_cur_skip(&c, "reserved");
    uint32_t used = S_REVIEW_FIELDS;
    if (have > used) {
        m->no_doc = cq_cur_bool(&c, "no_doc");
        used++;
    }
    if (c.err != 0)
        m->n_tenants = 0;
    return s_close(&c, have, used, diag);
}

#define S_RITEM_FIELDS 9
#define S_RITEM_MIN_BYTES 10
#define S_REVIEW_REPLY_FIELDS 18 // and oldest_ms, appended

static void
s_ritem_encode(cq_mpw_t *w, const cq_review_item_t *it)
{
    cq_mpw_array(w, S_RITEM_FIELDS);
    cq_mpw_uint(w, it->id);
    S_FIELD(w, it->claim_id);
    S_FIELD(w, it->payer_id);
    S_FIELD(w, it->batch_id);
    cq_mpw_uint(w, (uint64_t)it->kind);
    S_FIELD(w, it->reason);
    cq_mpw_int(w, it->pended_ms);
    S_FIELD(w, it->locked_by);
    cq_mpw_int(w, it->lock_expires_ms);
}

static void
s_ritem_decode(cq_cur_t *c, cq_review_item_t *it)
{
    uint32_t have = cq_cur_array(c, S_RITEM_FIELDS, UINT32_MAX, "item");
    it->id = cq_cur_uint(c, UINT32_MAX, "item.id");
    S_STR(c, it->claim_id, "item.claim_id");
    S_STR(c, it->payer_id, "item.payer_id");
    S_STR(c, it->batch_id, "item.batch_id");
    it->kind = (int)cq_cur_uint(c, CQ_REVIEW_OTHER, "item.kind");
    S_STR(c, it->reason, "item.reason");
    it->pended_ms = cq_cur_int(c, 0, INT64_MAX, "item.pended_ms");
    S_STR(c, it->locked_by, "item.locked_by");
    it->lock_expires_ms = cq_cur_int(c, 0, INT64_MAX, "item.lock_expires_ms");
    cq_cur_rest(c, have, S_RITEM_FIELDS);
}

static void
s_rbin(cq_mpw_t *w, const uint8_t *b, size_t len)
{
    if (b != NULL && len <= CQ_PROTO_MAX_FRAME)
        cq_mpw_bin(w, b, len);
    else
        cq_mpw_nil(w);
}

static const uint8_t *
s_cur_rbin(cq_cur_t *c, size_t *len, const char *what)
{
    *len = 0;
    if (cq_cur_nil(c))
        return NULL;
    return cq_cur_bin(c, len, CQ_PROTO_MAX_FRAME, what);
}

void
cq_proto_review_reply_encode(cq_mpw_t *w, const cq_msg_review_reply_t *m)
{
    cq_mpw_reset(w);
    cq_mpw_array(w, S_REVIEW_REPLY_FIELDS + 1);
    cq_mpw_uint(w, m->req_id);
    cq_mpw_int(w, m->status);
    S_FIELD(w, m->message);
    cq_mpw_uint(w, m->total);
    cq_mpw_array(w, 5);
    for (int i = 0; i < 5; i++)
        cq_mpw_uint(w, m->by_kind[i]);
    uint32_t ni = m->n_items;
    if (CQ_NEVER(ni > CQ_REVIEW_MAX_ITEMS))
        ni = CQ_REVIEW_MAX_ITEMS;
    cq_mpw_array(w, ni);
    for (uint32_t i = 0; i < ni; i++)
        s_ritem_encode(w, &m->items[i]);
    cq_mpw_uint(w, m->token);
    S_FIELD(w, m->holder);
    cq_mpw_int(w, m->expires_ms);
    s_rbin(w, m->claim, m->claim_len);
    s_rbin(w, m->pend, m->pend_len);
    s_rbin(w, m->doc, m->doc_len);
    s_rbin(w, m->other, m->other_len);
    s_rbin(w, m->other_dec, m->other_dec_len);
    S_FIELD(w, m->doc_name);
    cq_mpw_uint(w, m->page);
    cq_mpw_nil(w); // reserved
    cq_mpw_nil(w);
    cq_mpw_int(w, m->oldest_ms > 0 ? m->oldest_ms : 0);
}

int
cq_proto_review_reply_decode(const uint8_t *p, size_t n,
                             cq_msg_review_reply_t *m, cq_diag_t *diag)
{
    memset(m, 0, sizeof *m);
    cq_cur_t c;
    uint32_t have = s_open(&c, p, n, S_REVIEW_REPLY_FIELDS, "REVIEW_REPLY");
    m->req_id = cq_cur_uint(&c, UINT64_MAX, "req_id");
    m->status = s_cur_status(&c, "status");
    S_STR(&c, m->message, "message");
    m->total = cq_cur_uint(&c, UINT64_MAX, "total");
    uint32_t nk = cq_cur_array(&c, 5, 5, "by_kind");
    for (uint32_t i = 0; i < nk && c.err == 0; i++)
        m->by_kind[i] = cq_cur_uint(&c, UINT64_MAX, "by_kind");
    uint32_t ni;
    m->items = s_cur_alloc(&c, &ni, sizeof *m->items, CQ_REVIEW_MAX_ITEMS,
                           S_RITEM_MIN_BYTES, "items");
    for (uint32_t i = 0; i < ni && c.err == 0; i++)
        s_ritem_decode(&c, &m->items[i]);
    m->token = cq_cur_uint(&c, UINT64_MAX, "token");
    S_STR(&c, m->holder, "holder");
    m->expires_ms = cq_cur_int(&c, 0, INT64_MAX, "expires_ms");
    m->claim = s_cur_rbin(&c, &m->claim_len, "claim");
    m->pend = s_cur_rbin(&c, &m->pend_len, "pend");
    m->doc = s_cur_rbin(&c, &m->doc_len, "doc");
    m->other = s_cur_rbin(&c, &m->other_len, "other");
    m->other_dec = s_cur_rbin(&c, &m->other_dec_len, "other_decision");
    S_STR(&c, m->doc_name, "doc_name");
    m->page = (uint32_t)cq_cur_uint(&c, UINT32_MAX, "page");
    cq_cur_skip(&c, "reserved");
    cq_cur_skip(&c, "reserved");
    uint32_t used = S_REVIEW_REPLY_FIELDS;
    if (have > used) {
        m->oldest_ms = cq_cur_int(&c, 0, INT64_MAX, "oldest_ms");
        used++;
    }
    int rc = s_close(&c, have, used, diag);
    if (rc != 0) {
        cq_proto_review_reply_free(m);
        return rc;
    }
    m->n_items = ni;
    return 0;
}

void
cq_proto_review_reply_free(cq_msg_review_reply_t *m)
{
    free(m->items);
    m->items = NULL;
    m->n_items = 0;
}

//  ---- the peer link (issue 15)
//  -----------------------------------------------

#define S_BEACON_FIELDS 5 // and stream, applied, compacts, handover, appended

void
cq_proto_peer_beacon_encode(cq_mpw_t *w, const cq_msg_peer_beacon_t *m)
{
    cq_mpw_reset(w);
    cq_mpw_array(w, S_BEACON_FIELDS + 4);
    cq_mpw_uint(w, m->state);
    cq_mpw_uint(w, m->role);
    cq_mpw_uint(w, m->epoch);
    cq_mpw_uint(w, m->session);
    cq_mpw_uint(w, m->pos);
    cq_mpw_uint(w, m->stream);
    cq_mpw_uint(w, m->applied);
    cq_mpw_uint(w, m->compacts);
    cq_mpw_uint(w, m->handover);
}

int
cq_proto_peer_beacon_decode(const uint8_t *p, size_t n, cq_msg_peer_beacon_t *m,
                            cq_diag_t *diag)
{
    memset(m, 0, sizeof *m);
    cq_cur_t c;
    uint32_t have = s_open(&c, p, n, S_BEACON_FIELDS, "PEER_BEACON");
    m->state = (uint32_t)cq_cur_uint(&c, 2, "state");
    m->role = (uint32_t)cq_cur_uint(&c, 2, "role");
    m->epoch = cq_cur_uint(&c, UINT64_MAX, "epoch");
    m->session = cq_cur_uint(&c, UINT64_MAX, "session");
    m->pos = cq_cur_uint(&c, UINT64_MAX, "pos");
    uint32_t used = S_BEACON_FIELDS;
    if (have >= used + 3) {
        m->stream = cq_cur_uint(&c, UINT64_MAX, "stream");
        m->applied = cq_cur_uint(&c, UINT64_MAX, "applied");
        m->compacts = (uint32_t)cq_cur_uint(&c, UINT32_MAX, "compacts");
        used += 3;
    }
    if (have > used && used > S_BEACON_FIELDS) {
        m->handover = (uint32_t)cq_cur_uint(&c, 2, "handover");
        used++;
    }
    return s_close(&c, have, used, diag);
}

void
cq_proto_peer_snap_encode(cq_mpw_t *w, const cq_msg_peer_snap_t *m)
{
    cq_mpw_reset(w);
    cq_mpw_array(w, 7);
    cq_mpw_uint(w, m->session);
    cq_mpw_uint(w, m->chunk);
    S_FIELD(w, m->name);
    cq_mpw_uint(w, m->off);
    cq_mpw_bin(w, m->data, m->len);
    cq_mpw_bool(w, m->last);
    cq_mpw_uint(w, m->pos);
}

int
cq_proto_peer_snap_decode(const uint8_t *p, size_t n, cq_msg_peer_snap_t *m,
                          cq_diag_t *diag)
{
    memset(m, 0, sizeof *m);
    cq_cur_t c;
    uint32_t have = s_open(&c, p, n, 7, "PEER_SNAP");
    m->session = cq_cur_uint(&c, UINT64_MAX, "session");
    m->chunk = cq_cur_uint(&c, UINT64_MAX, "chunk");
    cq_cur_str(&c, m->name, sizeof m->name, "name");
    m->off = cq_cur_uint(&c, (uint64_t)1 << 48, "off");
    m->data = cq_cur_bin(&c, &m->len, CQ_PEER_MAX_CHUNK, "data");
    m->last = cq_cur_bool(&c, "last");
    m->pos = cq_cur_uint(&c, UINT64_MAX / 2, "pos");
    if (c.err == 0 && (strchr(m->name, '/') != NULL || m->name[0] == '.' ||
                       (m->name[0] == '\0') != m->last))
        cq_cur_fail(&c, CQ_EPROTO, "name");
    return s_close(&c, have, 7, diag);
}

void
cq_proto_peer_group_encode(cq_mpw_t *w, const cq_msg_peer_group_t *m)
{
    cq_mpw_reset(w);
    cq_mpw_array(w, 5);
    cq_mpw_uint(w, m->session);
    cq_mpw_uint(w, m->kind);
    cq_mpw_uint(w, m->first);
    cq_mpw_uint(w, m->n);
    cq_mpw_bin(w, m->body, m->len);
}

int
cq_proto_peer_group_decode(const uint8_t *p, size_t n, cq_msg_peer_group_t *m,
                           cq_diag_t *diag)
{
    memset(m, 0, sizeof *m);
    cq_cur_t c;
    uint32_t have = s_open(&c, p, n, 5, "PEER_GROUP");
    m->session = cq_cur_uint(&c, UINT64_MAX, "session");
    m->kind = (uint32_t)cq_cur_uint(&c, 1, "kind");
    m->first = cq_cur_uint(&c, UINT64_MAX / 2, "first");
    m->n = (uint32_t)cq_cur_uint(&c, UINT32_MAX, "n");
    m->body = cq_cur_bin(&c, &m->len, CQ_PEER_MAX_FRAME, "body");
    return s_close(&c, have, 5, diag);
}

void
cq_proto_peer_ack_encode(cq_mpw_t *w, const cq_msg_peer_ack_t *m)
{
    cq_mpw_reset(w);
    cq_mpw_array(w, 3);
    cq_mpw_uint(w, m->session);
    cq_mpw_uint(w, m->chunks);
    cq_mpw_uint(w, m->pos);
}

int
cq_proto_peer_ack_decode(const uint8_t *p, size_t n, cq_msg_peer_ack_t *m,
                         cq_diag_t *diag)
{
    memset(m, 0, sizeof *m);
    cq_cur_t c;
    uint32_t have = s_open(&c, p, n, 3, "PEER_ACK");
    m->session = cq_cur_uint(&c, UINT64_MAX, "session");
    m->chunks = cq_cur_uint(&c, UINT64_MAX, "chunks");
    m->pos = cq_cur_uint(&c, UINT64_MAX, "pos");
    return s_close(&c, have, 3, diag);
}
