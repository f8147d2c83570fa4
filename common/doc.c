#include "doc.h"
#include "hash.h"
#include "log.h"
#include "x12.h"

#include <stdio.h>
#include <string.h>

static size_t
s_skip_ws(const uint8_t *buf, size_t len)
{
    size_t i = 0;
    if (len >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF)
        i = 3;
    while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' ||
                       buf[i] == '\n'))
        i++;
    return i;
}

cq_doc_kind_t
cq_doc_sniff(const uint8_t *buf, size_t len)
{
    if (len >= 8 && memcmp(buf, "\x89PNG\r\n\x1a\n", 8) == 0)
        return CQ_DOC_IMAGE;
    if (len >= 3 && buf[0] == 0xFF && buf[1] == 0xD8 && buf[2] == 0xFF)
        return CQ_DOC_IMAGE;
    if (len >= 4 &&
        (memcmp(buf, "II*\0", 4) == 0 || memcmp(buf, "MM\0*", 4) == 0))
        return CQ_DOC_IMAGE;
    if (len >= 5 && memcmp(buf, "%PDF-", 5) == 0)
        return CQ_DOC_IMAGE; // a scanned PDF: pages for the OCR
    size_t i = s_skip_ws(buf, len);
    if (i < len && (buf[i] == '{' || buf[i] == '['))
        return CQ_DOC_JSON;
    if (len - i >= 3 && memcmp(buf + i, "ISA", 3) == 0)
        return CQ_DOC_X12;
    return CQ_DOC_UNKNOWN;
}

const char *
cq_doc_kind_name(cq_doc_kind_t k)
{
    switch (k) {
    case CQ_DOC_JSON:
        return "json";
    case CQ_DOC_X12:
        return "x12";
    case CQ_DOC_IMAGE:
        return "image";
    default:
        return "unknown";
    }
}

typedef struct {
    cq_claim_fn *fn;
    void *arg;
    int32_t received_default;
    size_t recno;       // claims seen
    const uint8_t *doc; // the whole document (for cq_doc_scope_id)
    size_t doc_len;
    char doc_tag[9]; // 8 hex digits of the document's SHA-256, or ""
} s_stamp_t;

//  A record the decoder could not read gets claim_id "#<n>" (claim_json.h).
//  The same "#3" in two documents would share a claim key, and the second
//  would be answered with the first's decision as a resubmission. Scope it
//  by the document's content: "#<8 hex of SHA-256(document)>:<n>". The same
//  document sent twice keeps its ids, so it is still a resubmission.
void
cq_doc_scope_id(const uint8_t *doc, size_t len, char tag[9], cq_claim_t *c)
{
    if (c->claim_id[0] != '#' || !c->invalid || strchr(c->claim_id, ':'))
        return;
    if (tag[0] == '\0') {
        uint8_t d[32];
        cq_sha256(doc, len, d);
        snprintf(tag, 9, "%02x%02x%02x%02x", d[0], d[1], d[2], d[3]);
    }
    char id[CQ_ID_LEN];
    snprintf(id, sizeof id, "#%s:%s", tag, c->claim_id + 1);
    cq_strlcpy(c->claim_id, id, sizeof c->claim_id);
}

static int
s_stamp(void *arg, cq_claim_t *c)
{
    s_stamp_t *st = arg;
    if (c->received_date == CQ_DATE_NONE)
        c->received_date = st->received_default;
    st->recno++;
    cq_claim_check_key(c, st->recno);
    cq_doc_scope_id(st->doc, st->doc_len, st->doc_tag, c);
    return st->fn(st->arg, c);
}

//  X12 837 (x12.h). A transaction set that fails its envelope or syntax
//  checks is refused as a whole and yields no claim (its answer is a 999:
//  cq_x12_parse + cq_x12_999_write); the others go on. A file that is X12
//  but no 837 (an 835, a 999...) is refused with a message that says so.
//  ans (may be NULL) receives the refused counts and the 999.
static int
s_x12(const uint8_t *buf, size_t len, s_stamp_t *st, cq_doc_answer_t *ans,
      cq_diag_t *diag)
{
    cq_x12_report_t rep;
    int rc = cq_x12_parse(buf, len, s_stamp, st, &rep, diag);
    if (rc >= 0 && rep.sets_refused > 0) {
        const char *why = "";
        for (uint32_t i = 0; i < rep.n_sets && !why[0]; i++)
            if (rep.sets[i].status == 'R' && rep.sets[i].n_errors > 0)
                why = rep.errors[rep.sets[i].first_error].msg;
        if (rc == 0)
            rc = cq_diag_set(diag, CQ_EPROTO, 0,
                             "837 refused: %u transaction set(s) failed the "
                             "X12 checks (a 999 says why): %s",
                             (unsigned)rep.sets_refused, why);
        else
            cq_log_warn(NULL,
                        "x12: %u of %u transaction sets refused, %d claims "
                        "kept: %s",
                        (unsigned)rep.sets_refused, (unsigned)rep.n_sets, rc,
                        why);
    } else if (rc == 0 && rep.claims == 0) {
        rc = cq_diag_set(diag, CQ_EPROTO, 0, "837 without any claim (CLM)");
    }
    if (ans) {
        ans->sets = rep.n_sets;
        ans->refused_sets = rep.sets_refused;
        ans->refused_claims = rep.refused_claims;
        if (ans->ack) {
            size_t before = ans->ack->len;
            ans->ack_status = cq_x12_999_write(&rep, &ans->ack_env, ans->ack);
            if (ans->ack_status != 0) {
                //  a part of a 999 is no answer: drop it
                ans->ack->len = before;
                if (ans->ack->data)
                    ans->ack->data[before] = '\0';
            }
        }
    }
    cq_x12_report_free(&rep);
    return rc;
}

int
cq_doc_decode(const uint8_t *buf, size_t len, int32_t received_default,
              cq_claim_fn *fn, void *arg, cq_diag_t *diag)
{
    return cq_doc_decode_answer(buf, len, received_default, fn, arg, NULL,
                                diag);
}

int
cq_doc_decode_answer(const uint8_t *buf, size_t len, int32_t received_default,
                     cq_claim_fn *fn, void *arg, cq_doc_answer_t *ans,
                     cq_diag_t *diag)
{
    s_stamp_t st = {fn, arg, received_default, 0, buf, len, ""};
    cq_doc_kind_t kind = cq_doc_sniff(buf, len);
    if (ans) {
        ans->kind = kind;
        ans->sets = ans->refused_sets = ans->refused_claims = 0;
        ans->ack_status = 0;
    }
    switch (kind) {
    case CQ_DOC_JSON:
        return cq_claim_json_parse((const char *)buf, len, s_stamp, &st, diag);
    case CQ_DOC_X12:
        return s_x12(buf, len, &st, ans, diag);
    case CQ_DOC_IMAGE:
        return cq_diag_set(
            diag, CQ_EUNSUPPORTED, 0,
            "images are read by the OCR engine (claimq ocr, or a worker)");
    default:
        return cq_diag_set(diag, CQ_EPROTO, 0,
                           "not a claim document: expected JSON, X12 "
                           "(ISA...) or an image (PNG, JPEG, TIFF)");
    }
}
