//  proto.c: the message bodies of schemas/proto.md, as tables
//  (proto_table.h), and the functions of proto.h over them. What a message
//  holds, its limits and its rules are here; how a table becomes msgpack
//  is proto_codec.c's. Encoders trust their input (our own structs);
//  decoders trust nothing.
#include "proto_table.h"
#include "date.h"
#include "hash.h"
#include "mem.h"
#include "money.h"

#include <stdio.h>
#include <string.h>

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

//  ---- values with rules of their own -------------------------------------

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

//  ---- the tables ---------------------------------------------------------
//
//  One table a message (and one a nested structure): its fields in wire
//  order, as schemas/proto.md lists them. T names the C struct the rows
//  describe. A row is one of:
//    U(field, what, max)          uint 0..max
//    I(field, what, min, max)     int min..max
//    B, STR, CH (one character), DT (a date or none), ST (a status code)
//    BIN(field, len, what, max, flags), NIL(what) (reserved)
//    STRUCT(field, what, table), ARR(field, count, what, min, max, table)
//    STRS / UINTS(field, count, what, min, max), ITEMS(field, what)
//  and X_SINCE(..., n) marks a field appended in version 1: read only from
//  a body of at least n fields.

#define S_ROW(ty, w_, fld, ...)                                                \
    {                                                                          \
        .what = (w_), .type = (ty), .op = CQ_PT_OP(ty, sizeof(((T *)0)->fld)), \
        .size = sizeof(((T *)0)->fld), .off = offsetof(T, fld), __VA_ARGS__    \
    }
#define U(fld, w_, mx) S_ROW(CQ_PT_UINT, w_, fld, .max = (mx))
#define U_SINCE(fld, w_, mx, s)                                                \
    S_ROW(CQ_PT_UINT, w_, fld, .max = (mx), .since = (s))
#define I(fld, w_, mn, mx)                                                     \
    S_ROW(CQ_PT_INT, w_, fld, .min = (mn), .max = (uint64_t)(mx))
#define I_SINCE(fld, w_, mn, mx, s)                                            \
    S_ROW(CQ_PT_INT, w_, fld, .min = (mn), .max = (uint64_t)(mx), .since = (s))
#define ST(fld, w_) I(fld, w_, S_ERR_MIN, 0)
#define B(fld, w_) S_ROW(CQ_PT_BOOL, w_, fld)
#define B_SINCE(fld, w_, s) S_ROW(CQ_PT_BOOL, w_, fld, .since = (s))
#define STR(fld, w_) S_ROW(CQ_PT_STR, w_, fld)
#define STR_SINCE(fld, w_, s) S_ROW(CQ_PT_STR, w_, fld, .since = (s))
#define STR_OK(fld, w_, okf) S_ROW(CQ_PT_STR, w_, fld, .ok = (okf))
#define CH(fld, w_) S_ROW(CQ_PT_CHAR, w_, fld)
#define DT(fld, w_) S_ROW(CQ_PT_DATE, w_, fld)
#define STRUCT(fld, w_, t) S_ROW(CQ_PT_STRUCT, w_, fld, .sub = &(t))
#define BIN(fld, len, w_, mx, fl)                                              \
    {                                                                          \
        .what = (w_), .type = CQ_PT_BIN, .op = CQ_PT_OP(CQ_PT_BIN, 0),         \
        .flags = (fl), .off = offsetof(T, fld), .aux = offsetof(T, len),       \
        .max = (mx)                                                            \
    }
#define NIL(w_)                                                                \
    {                                                                          \
        .what = (w_), .type = CQ_PT_NIL, .op = CQ_PT_OP(CQ_PT_NIL, 0)          \
    }
#define ITEMS(fld, w_)                                                         \
    {                                                                          \
        .what = (w_), .type = CQ_PT_ITEMS, .op = CQ_PT_OP(CQ_PT_ITEMS, 0),     \
        .off = offsetof(T, fld)                                                \
    }
#define S_ARR(ty, fld, cnt, w_, mn, mx, ...)                                   \
    {                                                                          \
        .what = (w_), .type = (ty), .op = CQ_PT_OP(ty, 0),                     \
        .off = offsetof(T, fld), .aux = offsetof(T, cnt),                      \
        .cw = sizeof(((T *)0)->cnt), .min = (mn), .max = (mx), __VA_ARGS__     \
    }
#define ARR(fld, cnt, w_, mn, mx, t)                                           \
    S_ARR(CQ_PT_ARRAY, fld, cnt, w_, mn, mx, .sub = &(t),                      \
          .size = sizeof(((T *)0)->fld[0]))
#define ARR_ALLOC(fld, cnt, w_, mx, t)                                         \
    S_ARR(CQ_PT_ARRAY, fld, cnt, w_, 0, mx, .sub = &(t),                       \
          .size = sizeof(*((T *)0)->fld), .flags = CQ_PTF_ALLOC)
#define STRS(fld, cnt, w_, mx)                                                 \
    S_ARR(CQ_PT_STRS, fld, cnt, w_, 0, mx, .size = sizeof(((T *)0)->fld[0]))
#define UINTS(fld, cnt, w_, mn, mx)                                            \
    S_ARR(CQ_PT_UINTS, fld, cnt, w_, mn, mx, .size = sizeof(((T *)0)->fld[0]))
#define CUSTOM(w_, e, d)                                                       \
    {                                                                          \
        .what = (w_), .type = CQ_PT_CUSTOM, .op = CQ_PT_OP(CQ_PT_CUSTOM, 0),   \
        .enc = (e), .dec = (d)                                                 \
    }
//  The table of struct T: var (its rows var_f), its name, the fewest fields
//  a body may have, its rule across fields and its tail's count (or NULL).
#define TABLE(var, name_, need_, chk, cnt)                                     \
    static const cq_pt_msg_t var = {.name = (name_),                           \
                                    .f = var##_f,                              \
                                    .n = CQ_ARRAY_LEN(var##_f),                \
                                    .need = (need_),                           \
                                    .size = sizeof(T),                         \
                                    .check = (chk),                            \
                                    .count = (cnt)}

//  ---- claims and decisions (section 5): the hot structures -----------------
//
//  Every claim the cluster sees is encoded and decoded several times, and
//  its decision too (tens of thousands a second). Their tables are written
//  as lists of rows (X-macros) and expanded three times: into the table
//  (S_DESC), like every other, and into an encoder and a decoder in
//  straight lines (S_ENC, S_DEC) that do what the walk does without the
//  walk, which costs 20-30% more on these. The rows stay the one place a
//  field is described; test_proto_table checks that the straight lines
//  and the walk give the same bytes and the same structs.

#define S_DESC(kind, ...) kind(__VA_ARGS__),
#define S_ENC(kind, ...) S_ENC_##kind(__VA_ARGS__);
#define S_DEC(kind, ...) S_DEC_##kind(__VA_ARGS__);

static inline uint32_t
s_cap(uint64_t n, uint32_t max)
{
    if (CQ_NEVER(n > max))
        return max;
    return (uint32_t)n;
}

//  The encoder's rows: m is the struct, n_ the fields being sent.
#define S_ENC_STR(fld, w_)                                                     \
    cq_mpw_strn(w, m->fld, strnlen(m->fld, sizeof m->fld))
#define S_ENC_CH(fld, w_) cq_mpw_strn(w, &m->fld, m->fld ? 1 : 0)
#define S_ENC_U(fld, w_, mx) cq_mpw_uint(w, (uint64_t)m->fld)
#define S_ENC_I(fld, w_, mn, mx) cq_mpw_int(w, (int64_t)m->fld)
#define S_ENC_B(fld, w_) cq_mpw_bool(w, m->fld)
#define S_ENC_DT(fld, w_) cq_mpw_int(w, m->fld)
#define S_ENC_STRUCT(fld, w_, t) t##_enc(w, &m->fld)
#define S_ENC_EACH(fld, cnt, mx, one)                                          \
    do {                                                                       \
        uint32_t k_ = s_cap(m->cnt, mx);                                       \
        cq_mpw_array(w, k_);                                                   \
        for (uint32_t i_ = 0; i_ < k_; i_++)                                   \
            one;                                                               \
    } while (0)
#define S_ENC_ARR(fld, cnt, w_, mn, mx, t)                                     \
    S_ENC_EACH(fld, cnt, mx, t##_enc(w, &m->fld[i_]))
#define S_ENC_STRS(fld, cnt, w_, mx)                                           \
    S_ENC_EACH(                                                                \
        fld, cnt, mx,                                                          \
        cq_mpw_strn(w, m->fld[i_], strnlen(m->fld[i_], sizeof m->fld[i_])))
#define S_ENC_UINTS(fld, cnt, w_, mn, mx)                                      \
    S_ENC_EACH(fld, cnt, mx, cq_mpw_uint(w, m->fld[i_]))
#define S_ENC_STR_SINCE(fld, w_, s)                                            \
    if (n_ >= (s))                                                             \
    S_ENC_STR(fld, w_)
#define S_ENC_U_SINCE(fld, w_, mx, s)                                          \
    if (n_ >= (s))                                                             \
    S_ENC_U(fld, w_, mx)
#define S_ENC_I_SINCE(fld, w_, mn, mx, s)                                      \
    if (n_ >= (s))                                                             \
    S_ENC_I(fld, w_, mn, mx)

//  The decoder's rows: c the cursor, m the struct, have the fields the
//  body has, used those read. An appended field's group ends at its
//  `since` (true of every group here).
#define S_SET(fld, v) m->fld = (__typeof__(m->fld))(v)
#define S_DEC_STR(fld, w_) cq_cur_str(c, m->fld, sizeof m->fld, w_)
#define S_DEC_CH(fld, w_) m->fld = cq_pt_cur_char(c, w_)
#define S_DEC_U(fld, w_, mx) S_SET(fld, cq_cur_uint(c, mx, w_))
#define S_DEC_I(fld, w_, mn, mx) S_SET(fld, cq_cur_int(c, mn, mx, w_))
#define S_DEC_B(fld, w_) m->fld = cq_cur_bool(c, w_)
#define S_DEC_DT(fld, w_) m->fld = cq_pt_cur_date(c, w_)
#define S_DEC_STRUCT(fld, w_, t) t##_dec(c, &m->fld, w_)
#define S_DEC_EACH(fld, cnt, mn, mx, w_, one)                                  \
    do {                                                                       \
        uint32_t k_ = cq_cur_array(c, mn, mx, w_);                             \
        S_SET(cnt, k_);                                                        \
        for (uint32_t i_ = 0; i_ < k_ && c->err == 0; i_++)                    \
            one;                                                               \
    } while (0)
#define S_DEC_ARR(fld, cnt, w_, mn, mx, t)                                     \
    S_DEC_EACH(fld, cnt, mn, mx, w_,                                           \
               (memset(&m->fld[i_], 0, sizeof m->fld[i_]),                     \
                t##_dec(c, &m->fld[i_], t.name)))
#define S_DEC_STRS(fld, cnt, w_, mx)                                           \
    S_DEC_EACH(fld, cnt, 0, mx, w_,                                            \
               cq_cur_str(c, m->fld[i_], sizeof m->fld[i_], w_))
#define S_DEC_UINTS(fld, cnt, w_, mn, mx)                                      \
    S_DEC_EACH(fld, cnt, mn, mx, w_,                                           \
               m->fld[i_] = (__typeof__(m->fld[0]))cq_cur_uint(                \
                   c, (UINT64_MAX >> (64 - 8 * sizeof m->fld[0])), w_))
#define S_DEC_SINCE(s, read, none)                                             \
    if (have >= (s)) {                                                         \
        read;                                                                  \
        used = (s);                                                            \
    } else {                                                                   \
        none;                                                                  \
    }
#define S_DEC_STR_SINCE(fld, w_, s)                                            \
    S_DEC_SINCE(s, S_DEC_STR(fld, w_), m->fld[0] = '\0')
#define S_DEC_U_SINCE(fld, w_, mx, s)                                          \
    S_DEC_SINCE(s, S_DEC_U(fld, w_, mx), m->fld = 0)
#define S_DEC_I_SINCE(fld, w_, mn, mx, s)                                      \
    S_DEC_SINCE(s, S_DEC_I(fld, w_, mn, mx), m->fld = 0)

//  The table of struct T_ from its rows, and its straight-line t_enc and
//  t_dec (a table with a `check` cannot be one of these).
#define S_HOT(t, T_, ROWS, name_, need_, cnt)                                  \
    static const cq_pt_field_t t##_f[] = {ROWS(S_DESC)};                       \
    static const cq_pt_msg_t t = {.name = (name_),                             \
                                  .f = t##_f,                                  \
                                  .n = CQ_ARRAY_LEN(t##_f),                    \
                                  .need = (need_),                             \
                                  .size = sizeof(T_),                          \
                                  .count = (cnt)};                             \
    static void t##_enc(cq_mpw_t *w, const T_ *m)                              \
    {                                                                          \
        uint32_t n_ = t.count ? t.count(m) : t.n;                              \
        cq_mpw_array(w, n_);                                                   \
        ROWS(S_ENC)                                                            \
    }                                                                          \
    static void t##_dec(cq_cur_t *c, T_ *m, const char *what)                  \
    {                                                                          \
        uint32_t have = cq_cur_array(c, (need_), UINT32_MAX, what);            \
        uint32_t used = (need_);                                               \
        ROWS(S_DEC)                                                            \
        cq_cur_rest(c, have, used);                                            \
    }

#define S_CLAIM_FIELDS 20    // and 4 more on a claim a reviewer released
#define S_DECISION_FIELDS 18 // and 3 more on one that supersedes a pend

#define T cq_member_ref_t
#define S_MEMBER_ROWS(X)                                                       \
    X(STR, id, "member.id")                                                    \
    X(STR, last_name, "member.last_name")                                      \
    X(STR, first_name, "member.first_name")                                    \
    X(DT, birth_date, "member.birth_date")                                     \
    X(CH, sex, "member.sex")
S_HOT(s_member, T, S_MEMBER_ROWS, "member", 5, NULL)
#undef T

#define T cq_line_t
#define S_LINE_ROWS(X)                                                         \
    X(STR, procedure, "line.procedure")                                        \
    X(STRS, modifiers, n_modifiers, "line.modifiers", CQ_MAX_MODIFIERS)        \
    X(STR, revenue_code, "line.revenue_code")                                  \
    X(DT, service_date, "line.service_date")                                   \
    X(DT, service_date_end, "line.service_date_end")                           \
    X(STR, place_of_service, "line.place_of_service")                          \
    X(I, units_milli, "line.units", -S_UNITS_MAX, S_UNITS_MAX)                 \
    X(I, charge, "line.charge", -CQ_MONEY_MAX, CQ_MONEY_MAX)                   \
    X(UINTS, dx_pointers, n_pointers, "line.dx_pointers", 0, CQ_MAX_POINTERS)  \
    X(STR, rendering_npi, "line.rendering_npi")
S_HOT(s_line, T, S_LINE_ROWS, "line", 10, NULL)
#undef T

static uint16_t
s_claim_count(const void *m)
{
    return ((const cq_claim_t *)m)->review ? S_CLAIM_FIELDS + 4
                                           : S_CLAIM_FIELDS;
}

#define T cq_claim_t
#define S_CLAIM_ROWS(X)                                                        \
    X(STR, claim_id, "claim.claim_id")                                         \
    X(STR, payer_id, "claim.payer_id")                                         \
    X(U, type, "claim.type", 1)                                                \
    X(CH, frequency, "claim.frequency")                                        \
    X(STR, original_claim_id, "claim.original_claim_id")                       \
    X(DT, received_date, "claim.received_date")                                \
    X(STRUCT, member, "claim.member", s_member)                                \
    X(STR, billing_npi, "claim.billing_npi")                                   \
    X(STR, billing_tax_id, "claim.billing_tax_id")                             \
    X(STR, billing_name, "claim.billing_name")                                 \
    X(STR, prior_auth, "claim.prior_auth")                                     \
    X(STRS, diagnoses, n_diagnoses, "claim.diagnoses", CQ_MAX_DX)              \
    X(I, total_charge, "claim.total_charge", -CQ_MONEY_MAX, CQ_MONEY_MAX)      \
    X(ARR, lines, n_lines, "claim.lines", 0, CQ_MAX_LINES, s_line)             \
    X(U, source, "claim.source", 2)                                            \
    X(I, ocr_confidence, "claim.ocr_confidence", -1, 100)                      \
    X(B, invalid, "claim.invalid")                                             \
    X(STR, invalid_rarc, "claim.invalid_rarc")                                 \
    X(STR, invalid_msg, "claim.invalid_msg")                                   \
    X(STRS, pend_fields, n_pend, "claim.pend_fields", CQ_MAX_PEND)             \
    X(U_SINCE, review, "claim.review", 3, S_CLAIM_FIELDS + 4)                  \
    X(STR_SINCE, supersedes_node, "claim.supersedes_node", S_CLAIM_FIELDS + 4) \
    X(I_SINCE, supersedes_seq, "claim.supersedes_seq", 0, INT64_MAX,           \
      S_CLAIM_FIELDS + 4)                                                      \
    X(STR_SINCE, review_audit, "claim.review_audit", S_CLAIM_FIELDS + 4)
S_HOT(s_claim, T, S_CLAIM_ROWS, "claim", S_CLAIM_FIELDS, s_claim_count)
#undef T

void
cq_proto_claim_encode(cq_mpw_t *w, const cq_claim_t *c)
{
    s_claim_enc(w, c);
}

int
cq_proto_claim_decode(cq_cur_t *c, cq_claim_t *out)
{
    cq_claim_init(out);
    s_claim_dec(c, out, "claim");
    return c->err;
}

#define T cq_adjustment_t
#define S_ADJUSTMENT_ROWS(X)                                                   \
    X(U, line, "adjustment.line", CQ_MAX_LINES)                                \
    X(STR, group, "adjustment.group")                                          \
    X(STR, code, "adjustment.code")                                            \
    X(I, amount, "adjustment.amount", -S_AMOUNT_MAX, S_AMOUNT_MAX)
S_HOT(s_adjustment, T, S_ADJUSTMENT_ROWS, "adjustment", 4, NULL)
#undef T

#define T cq_reason_t
#define S_REASON_ROWS(X)                                                       \
    X(U, line, "reason.line", CQ_MAX_LINES)                                    \
    X(STR, group, "reason.group")                                              \
    X(STR, carc, "reason.carc")                                                \
    X(STR, rarc, "reason.rarc")                                                \
    X(STR, message, "reason.message")
S_HOT(s_reason, T, S_REASON_ROWS, "reason", 5, NULL)
#undef T

#define T cq_line_result_t
#define S_LINE_RESULT_ROWS(X)                                                  \
    X(I, billed, "line.billed", -S_AMOUNT_MAX, S_AMOUNT_MAX)                   \
    X(I, allowed, "line.allowed", -S_AMOUNT_MAX, S_AMOUNT_MAX)                 \
    X(I, paid, "line.paid", -S_AMOUNT_MAX, S_AMOUNT_MAX)                       \
    X(B, denied, "line.denied")
S_HOT(s_line_result, T, S_LINE_RESULT_ROWS, "line_result", 4, NULL)
#undef T

static uint16_t
s_decision_count(const void *m)
{
    const cq_decision_t *d = m;
    bool sup = d->supersedes_seq > 0 || d->review_audit[0] != '\0';
    return sup ? S_DECISION_FIELDS + 3 : S_DECISION_FIELDS;
}

#define T cq_decision_t
#define S_SUP (S_DECISION_FIELDS + 3)
#define S_DECISION_ROWS(X)                                                     \
    X(STR, claim_id, "decision.claim_id")                                      \
    X(STR, payer_id, "decision.payer_id")                                      \
    X(STR, billing_npi, "decision.billing_npi")                                \
    X(CH, frequency, "decision.frequency")                                     \
    X(STR, batch_id, "decision.batch_id")                                      \
    X(U, decision, "decision.decision", 2)                                     \
    X(I, billed, "decision.billed", -S_AMOUNT_MAX, S_AMOUNT_MAX)               \
    X(I, allowed, "decision.allowed", -S_AMOUNT_MAX, S_AMOUNT_MAX)             \
    X(I, paid, "decision.paid", -S_AMOUNT_MAX, S_AMOUNT_MAX)                   \
    X(I, patient_resp, "decision.patient_responsibility", -S_AMOUNT_MAX,       \
      S_AMOUNT_MAX)                                                            \
    X(ARR, adj, n_adj, "decision.adjustments", 0, CQ_MAX_ADJ, s_adjustment)    \
    X(ARR, reasons, n_reasons, "decision.reasons", 0, CQ_MAX_REASONS,          \
      s_reason)                                                                \
    X(ARR, lines, n_lines, "decision.lines", 0, CQ_MAX_LINES, s_line_result)   \
    X(STR, node, "decision.node")                                              \
    X(I, ledger_seq, "decision.ledger_seq", 0, INT64_MAX)                      \
    X(STR, rules_version, "decision.rules_version")                            \
    X(U, source, "decision.source", 2)                                         \
    X(I, ocr_confidence, "decision.ocr_confidence", -1, 100)                   \
    X(STR_SINCE, supersedes_node, "decision.supersedes_node", S_SUP)           \
    X(I_SINCE, supersedes_seq, "decision.supersedes_seq", 0, INT64_MAX, S_SUP) \
    X(STR_SINCE, review_audit, "decision.review_audit", S_SUP)
S_HOT(s_decision, T, S_DECISION_ROWS, "decision", S_DECISION_FIELDS,
      s_decision_count)
#undef S_SUP
#undef T

void
cq_proto_decision_encode(cq_mpw_t *w, const cq_decision_t *d)
{
    s_decision_enc(w, d);
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
    s_decision_dec(c, d, "decision");
    if (c->err)
        cq_pt_undo(&s_decision, d);
    return c->err;
}

//  ---- backend messages (section 6) -----------------------------------------

static const char *
s_ready_check(const void *p)
{
    const cq_msg_ready_t *m = p;
    if (m->credit == 0 || m->intake_credit == 0)
        return "credit";
    if (m->heartbeat_ms < 10)
        return "heartbeat_ms";
    if (!s_ledger_id_ok(m->ledger_id))
        return "ledger_id";
    if (m->resolved_seq > m->ledger_seq)
        return "resolved_seq";
    return NULL;
}

#define T cq_msg_ready_t
static const cq_pt_field_t s_ready_f[] = {
    STR_OK(node_id, "node_id", cq_proto_node_id_ok),
    U(credit, "credit", CQ_PROTO_MAX_CREDIT),
    U(intake_credit, "intake_credit", CQ_PROTO_MAX_INTAKE_CREDIT),
    STR(rules_version, "rules_version"),
    U(heartbeat_ms, "heartbeat_ms", 600000),
    STR(ledger_id, "ledger_id"),
    U(ledger_seq, "ledger_seq", S_SEQ_MAX),
    U(resolved_seq, "resolved_seq", S_SEQ_MAX),
    U(crash_kind, "crash_kind", 2),
    U(crash_id, "crash_id", UINT64_MAX),
    U(crash_lease, "crash_lease", UINT64_MAX),
    STR(host, "host"),
};
TABLE(s_ready, "READY", 12, s_ready_check, NULL);
#undef T

static const char *
s_welcome_check(const void *p)
{
    const cq_msg_welcome_t *m = p;
    if (m->heartbeat_ms < 10)
        return "heartbeat_ms";
    if (m->shards == 0)
        return "shards";
    if (m->accepted && m->code != CQ_WELCOME_OK)
        return "code";
    return NULL;
}

#define T cq_msg_welcome_t
static const cq_pt_field_t s_welcome_f[] = {
    STR(rules_version, "rules_version"),
    U(heartbeat_ms, "heartbeat_ms", 600000),
    B(accepted, "accepted"),
    STR(reason, "reason"),
    U(shards, "shards", S_SHARDS_MAX),
    U(epoch, "epoch", UINT64_MAX),
    U(code, "code", CQ_WELCOME_NODE_ID),
};
TABLE(s_welcome, "WELCOME", 7, s_welcome_check, NULL);
#undef T

//  HEARTBEAT, GOODBYE, GOODBYE_OK, DRAIN: an empty body.
typedef struct {
    char none;
} s_empty_t;
#define T s_empty_t
static const cq_pt_msg_t s_empty = {.name = "body", .size = sizeof(T)};
#undef T

//  DISCONNECT: [reason, code] (an older broker: [reason]); PAUSE: [reason].
typedef struct {
    char reason[CQ_PROTO_MSG_LEN];
    uint32_t code;
} s_disconnect_t;
#define T s_disconnect_t
static const cq_pt_field_t s_pause_f[] = {STR(reason, "reason")};
TABLE(s_pause, "PAUSE", 1, NULL, NULL);
static const cq_pt_field_t s_disconnect_f[] = {
    STR(reason, "reason"),
    U_SINCE(code, "code", CQ_DISCONNECT_PASSIVE, 2),
};
TABLE(s_disconnect, "DISCONNECT", 1, NULL, NULL);
#undef T

static const char *
s_intake_check(const void *p)
{
    const cq_msg_intake_t *m = p;
    if (m->received_date == CQ_DATE_NONE || m->first_record == 0)
        return "received_date";
    return NULL;
}

#define T cq_msg_intake_t
static const cq_pt_field_t s_intake_f[] = {
    U(lease, "lease", UINT64_MAX),
    U(doc_id, "doc_id", UINT64_MAX),
    STR_OK(batch_id, "batch_id", cq_proto_batch_id_ok),
    STR(name, "name"),
    DT(received_date, "received_date"),
    U(first_record, "first_record", UINT32_MAX),
    U(size, "size", CQ_PROTO_MAX_FRAME),
};
TABLE(s_intake, "INTAKE", 7, s_intake_check, NULL);
#undef T

#define T cq_msg_intake_done_t
static const cq_pt_field_t s_intake_done_f[] = {
    U(lease, "lease", UINT64_MAX),
    U(doc_id, "doc_id", UINT64_MAX),
    U(part, "part", UINT32_MAX),
    B(last, "last"),
    ST(status, "status"),
    STR(message, "message"),
    ITEMS(claims, "claims"),
    U(refused_sets, "refused_sets", UINT32_MAX),
    U(refused_claims, "refused_claims", UINT32_MAX),
    BIN(ack, ack_len, "ack", CQ_PROTO_MAX_ACK, 0),
};
TABLE(s_intake_done, "INTAKE_DONE", 10, NULL, NULL);
#undef T

#define T cq_msg_adjudicate_t
static const cq_pt_field_t s_adjudicate_f[] = {
    U(lease, "lease", UINT64_MAX),
    ITEMS(items, "items"),
};
TABLE(s_adjudicate, "ADJUDICATE", 2, NULL, NULL);
#undef T

#define T cq_msg_result_t
static const cq_pt_field_t s_result_f[] = {
    U(lease, "lease", UINT64_MAX),
    ITEMS(items, "items"),
};
TABLE(s_result, "RESULT", 2, NULL, NULL);
#undef T

#define T cq_msg_history_t
static const cq_pt_field_t s_history_f[] = {
    U(shard, "shard", S_SHARDS_MAX - 1),
    U(part, "part", UINT32_MAX),
    B(last, "last"),
    ITEMS(items, "items"),
};
TABLE(s_history, "HISTORY", 4, NULL, NULL);
#undef T

//  ORPHANS' ranges are uint64_t[2]: [from, to].
typedef struct {
    uint64_t from, to;
} s_range_t;
_Static_assert(sizeof(s_range_t) == sizeof(((cq_msg_orphans_t *)0)->ranges[0]),
               "a range is two uint64_t");

static const char *
s_range_check(const void *p)
{
    const s_range_t *r = p;
    return r->from == 0 || r->from > r->to ? "range" : NULL;
}

#define T s_range_t
static const cq_pt_field_t s_range_f[] = {
    U(from, "range.from", S_SEQ_MAX),
    U(to, "range.to", S_SEQ_MAX),
};
TABLE(s_range, "range", 2, s_range_check, NULL);
#undef T

#define T cq_msg_orphans_t
static const cq_pt_field_t s_orphans_f[] = {
    U(upto, "upto", S_SEQ_MAX),
    ARR(ranges, n_ranges, "ranges", 0, CQ_PROTO_MAX_RANGES, s_range),
};
TABLE(s_orphans, "ORPHANS", 2, NULL, NULL);
#undef T

#define T cq_msg_extend_t
static const cq_pt_field_t s_extend_f[] = {
    UINTS(leases, n, "leases", 1, CQ_PROTO_MAX_EXTEND),
};
TABLE(s_extend, "EXTEND", 1, NULL, NULL);
#undef T

//  ---- frontend messages (section 7) ----------------------------------------

static const char *
s_doc_check(const void *p)
{
    return ((const cq_doc_ref_t *)p)->first_record == 0 ? "doc.first_record"
                                                        : NULL;
}

#define T cq_doc_ref_t
static const cq_pt_field_t s_doc_f[] = {
    STR(name, "doc.name"),
    U(first_record, "doc.first_record", UINT32_MAX),
    U(size, "doc.size", CQ_PROTO_MAX_FRAME),
};
TABLE(s_doc, "doc", 3, s_doc_check, NULL);
#undef T

#define T cq_msg_submit_t
static const cq_pt_field_t s_submit_f[] = {
    U(req_id, "req_id", UINT64_MAX),
    STR_OK(batch_id, "batch_id", cq_proto_batch_id_ok),
    ARR(docs, n_docs, "docs", 1, CQ_PROTO_MAX_DOCS, s_doc),
    DT(received_date, "received_date"),
};
TABLE(s_submit, "SUBMIT", 4, NULL, NULL);
#undef T

#define T cq_msg_receipt_t
static const cq_pt_field_t s_receipt_f[] = {
    U(req_id, "req_id", UINT64_MAX),
    STR(batch_id, "batch_id"),
    ST(status, "status"),
    STR(message, "message"),
    B(durable, "durable"),
    UINTS(doc_ids, n_docs, "doc_ids", 0, CQ_PROTO_MAX_DOCS),
};
TABLE(s_receipt, "RECEIPT", 6, NULL, NULL);
#undef T

static const char *
s_doc_done_check(const void *p)
{
    const cq_msg_doc_done_t *m = p;
    if (m->dup_claims > m->n_claims)
        return "dup_claims";
    if (m->conflicts > m->n_claims)
        return "conflicts";
    return NULL;
}

#define T cq_msg_doc_done_t
static const cq_pt_field_t s_doc_done_f[] = {
    STR(batch_id, "batch_id"),
    U(doc_id, "doc_id", UINT64_MAX),
    U(n_claims, "n_claims", UINT32_MAX),
    ST(status, "status"),
    STR(message, "message"),
    U(refused_sets, "refused_sets", UINT32_MAX),
    U(refused_claims, "refused_claims", UINT32_MAX),
    U(dup_claims, "dup_claims", UINT32_MAX),
    U(conflicts, "conflicts", UINT32_MAX),
};
TABLE(s_doc_done, "DOC_DONE", 9, s_doc_done_check, NULL);
#undef T

#define T cq_msg_decisions_t
static const cq_pt_field_t s_decisions_f[] = {
    STR(batch_id, "batch_id"),
    ITEMS(items, "items"),
};
TABLE(s_decisions, "DECISIONS", 2, NULL, NULL);
#undef T

#define T cq_msg_status_t
static const cq_pt_field_t s_status_f[] = {
    U(req_id, "req_id", UINT64_MAX),
    STR(batch_id, "batch_id"),
};
TABLE(s_status, "STATUS", 2, NULL, NULL);
#undef T

#define S_STATUS_REPLY_FIELDS 21 // required; the pair's 5 are appended
#define S_PAIR (S_STATUS_REPLY_FIELDS + 5)

#define T cq_msg_status_reply_t
static const cq_pt_field_t s_status_reply_f[] = {
    U(req_id, "req_id", UINT64_MAX),
    STR(batch_id, "batch_id"),
    B(found, "found"),
    U(docs, "docs", UINT64_MAX),
    U(docs_done, "docs_done", UINT64_MAX),
    U(docs_failed, "docs_failed", UINT64_MAX),
    U(claims, "claims", UINT64_MAX),
    U(decided, "decided", UINT64_MAX),
    U(accept, "accept", UINT64_MAX),
    U(reject, "reject", UINT64_MAX),
    U(pend, "pend", UINT64_MAX),
    U(failed, "failed", UINT64_MAX),
    B(durable, "durable"),
    U(epoch, "epoch", UINT64_MAX),
    B(sealed, "sealed"),
    B(complete, "complete"),
    U(refused_sets, "refused_sets", UINT64_MAX),
    U(refused_claims, "refused_claims", UINT64_MAX),
    U(workers_live, "workers_live", S_WORKERS_LIVE_MAX),
    DT(received_date, "received_date"),
    B(received_set, "received_set"),
    U_SINCE(pair_role, "pair_role", 2, S_PAIR),
    U_SINCE(pair_state, "pair_state", 2, S_PAIR),
    U_SINCE(peer_state, "peer_state", 3, S_PAIR),
    B_SINCE(pair_synced, "pair_synced", S_PAIR),
    U_SINCE(pair_lag, "pair_lag", UINT64_MAX, S_PAIR),
};
TABLE(s_status_reply, "STATUS_REPLY", S_STATUS_REPLY_FIELDS, NULL, NULL);
#undef T

static const char *
s_results_check(const void *p)
{
    return ((const cq_msg_results_t *)p)->max == 0 ? "max" : NULL;
}

#define T cq_msg_results_t
static const cq_pt_field_t s_results_f[] = {
    U(req_id, "req_id", UINT64_MAX), STR(batch_id, "batch_id"),
    U(cursor, "cursor", UINT64_MAX), U(max, "max", CQ_PROTO_MAX_ITEMS),
    B(with_claims, "with_claims"),   B(watch, "watch"),
};
TABLE(s_results, "RESULTS", 6, s_results_check, NULL);
#undef T

//  A page of a batch: RESULTS_REPLY and ACKS_REPLY, whose structs are
//  spelled alike (one table, two names).
#define S_SAME(f)                                                              \
    offsetof(cq_msg_results_reply_t, f) == offsetof(cq_msg_acks_reply_t, f)
_Static_assert(sizeof(cq_msg_results_reply_t) == sizeof(cq_msg_acks_reply_t) &&
                   S_SAME(req_id) && S_SAME(batch_id) && S_SAME(status) &&
                   S_SAME(next_cursor) && S_SAME(total) && S_SAME(complete) &&
                   S_SAME(items),
               "RESULTS_REPLY and ACKS_REPLY share a table");
#undef S_SAME

#define T cq_msg_results_reply_t
static const cq_pt_field_t s_page_f[] = {
    U(req_id, "req_id", UINT64_MAX),
    STR(batch_id, "batch_id"),
    ST(status, "status"),
    U(next_cursor, "next_cursor", UINT64_MAX),
    U(total, "total", UINT64_MAX),
    B(complete, "complete"),
    ITEMS(items, "items"),
};
#define s_results_reply_f s_page_f
#define s_acks_reply_f s_page_f
TABLE(s_results_reply, "RESULTS_REPLY", 7, NULL, NULL);
TABLE(s_acks_reply, "ACKS_REPLY", 7, NULL, NULL);
#undef s_results_reply_f
#undef s_acks_reply_f
#undef T

//  WORKERS and SHARDS: [req_id].
typedef struct {
    uint64_t req_id;
} s_req_t;
#define T s_req_t
static const cq_pt_field_t s_req_f[] = {U(req_id, "req_id", UINT64_MAX)};
#define s_workers_f s_req_f
#define s_shards_f s_req_f
TABLE(s_workers, "WORKERS", 1, NULL, NULL);
TABLE(s_shards, "SHARDS", 1, NULL, NULL);
#undef s_workers_f
#undef s_shards_f
#undef T

#define T cq_worker_info_t
static const cq_pt_field_t s_worker_f[] = {
    STR(node_id, "worker.node_id"),
    STR(state, "worker.state"),
    STR(rules_version, "worker.rules_version"),
    U(credit, "worker.credit", UINT32_MAX),
    U(inflight, "worker.inflight", UINT32_MAX),
    U(intake_credit, "worker.intake_credit", UINT32_MAX),
    U(intake_inflight, "worker.intake_inflight", UINT32_MAX),
    U(shards, "worker.shards", UINT32_MAX),
    U(intake_done, "worker.intake_done", UINT64_MAX),
    U(decided, "worker.decided", UINT64_MAX),
    U(idle_ms, "worker.idle_ms", UINT64_MAX),
    STR(host, "worker.host"),
    U(since_ms, "worker.since_ms", UINT64_MAX),
    U(claims_per_s, "worker.claims_per_s", UINT32_MAX),
    U(heartbeat_ms, "worker.heartbeat_ms", UINT32_MAX),
};
TABLE(s_worker, "worker", 15, NULL, NULL);
#undef T

#define T cq_counter_t
static const cq_pt_field_t s_counter_f[] = {
    STR(name, "counter.name"),
    U(value, "counter.value", UINT64_MAX),
};
TABLE(s_counter, "counter", 2, NULL, NULL);
#undef T

#define T cq_msg_workers_reply_t
static const cq_pt_field_t s_workers_reply_f[] = {
    U(req_id, "req_id", UINT64_MAX),
    STR(rules_version, "rules_version"),
    U(shards, "shards", UINT32_MAX),
    ARR_ALLOC(workers, n_workers, "workers", CQ_PROTO_MAX_WORKERS, s_worker),
    ARR(counters, n_counters, "counters", 0, CQ_PROTO_MAX_COUNTERS, s_counter),
};
TABLE(s_workers_reply, "WORKERS_REPLY", 5, NULL, NULL);
#undef T

#define T cq_msg_quarantine_t
static const cq_pt_field_t s_quarantine_f[] = {
    U(req_id, "req_id", UINT64_MAX),
    U(op, "op", CQ_QOP_RELEASE),
    STR(id, "id"),
};
TABLE(s_quarantine, "QUARANTINE", 3, NULL, NULL);
#undef T

#define T cq_qhist_t
static const cq_pt_field_t s_qhist_f[] = {
    U(at_ms, "hist.at_ms", UINT64_MAX),
    STR(node_id, "hist.node_id"),
    STR(what, "hist.what"),
};
TABLE(s_qhist, "hist", 3, NULL, NULL);
#undef T

#define T cq_qitem_t
static const cq_pt_field_t s_qitem_f[] = {
    STR(id, "item.id"),
    STR(kind, "item.kind"),
    STR(batch_id, "item.batch_id"),
    STR(name, "item.name"),
    U(attempts, "item.attempts", UINT32_MAX),
    U(since_ms, "item.since_ms", UINT64_MAX),
    STR(reason, "item.reason"),
    ARR(hist, n_hist, "item.hist", 0, CQ_PROTO_MAX_QHIST, s_qhist),
};
TABLE(s_qitem, "item", 8, NULL, NULL);
#undef T

#define T cq_msg_quarantine_reply_t
static const cq_pt_field_t s_quarantine_reply_f[] = {
    U(req_id, "req_id", UINT64_MAX),
    ST(status, "status"),
    STR(message, "message"),
    ARR_ALLOC(items, n_items, "items", CQ_PROTO_MAX_QITEMS, s_qitem),
};
TABLE(s_quarantine_reply, "QUARANTINE_REPLY", 4, NULL, NULL);
#undef T

#define T cq_msg_seal_t
static const cq_pt_field_t s_seal_f[] = {
    U(req_id, "req_id", UINT64_MAX),
    STR(batch_id, "batch_id"),
    U(docs, "docs", UINT64_MAX),
};
TABLE(s_seal, "SEAL", 3, NULL, NULL);
#undef T

#define T cq_msg_seal_reply_t
static const cq_pt_field_t s_seal_reply_f[] = {
    U(req_id, "req_id", UINT64_MAX),
    STR(batch_id, "batch_id"),
    ST(status, "status"),
    STR(message, "message"),
    U(docs, "docs", UINT64_MAX),
};
TABLE(s_seal_reply, "SEAL_REPLY", 5, NULL, NULL);
#undef T

#define T cq_msg_batches_t
static const cq_pt_field_t s_batches_f[] = {
    U(req_id, "req_id", UINT64_MAX),
    U(since_ms, "since_ms", UINT64_MAX),
};
TABLE(s_batches, "BATCHES", 2, NULL, NULL);
#undef T

#define T cq_batch_info_t
static const cq_pt_field_t s_batch_f[] = {
    STR(batch_id, "item.batch_id"),
    U(created_ms, "item.created_ms", UINT64_MAX),
    U(docs, "item.docs", UINT64_MAX),
    U(docs_done, "item.docs_done", UINT64_MAX),
    U(claims, "item.claims", UINT64_MAX),
    U(decided, "item.decided", UINT64_MAX),
    U(failed, "item.failed", UINT64_MAX),
    U(refused_sets, "item.refused_sets", UINT64_MAX),
    B(sealed, "item.sealed"),
    B(complete, "item.complete"),
};
TABLE(s_batch, "item", 10, NULL, NULL);
#undef T

#define T cq_msg_batches_reply_t
static const cq_pt_field_t s_batches_reply_f[] = {
    U(req_id, "req_id", UINT64_MAX),
    U(total, "total", UINT64_MAX),
    ARR_ALLOC(items, n_items, "items", CQ_PROTO_MAX_BATCHES, s_batch),
};
TABLE(s_batches_reply, "BATCHES_REPLY", 3, NULL, NULL);
#undef T

#define T cq_msg_acks_t
static const cq_pt_field_t s_acks_f[] = {
    U(req_id, "req_id", UINT64_MAX),
    STR(batch_id, "batch_id"),
    U(cursor, "cursor", UINT64_MAX),
};
TABLE(s_acks, "ACKS", 3, NULL, NULL);
#undef T

#define T cq_msg_drain_t
static const cq_pt_field_t s_drain_f[] = {
    U(req_id, "req_id", UINT64_MAX),
    STR_OK(node_id, "node_id", cq_proto_node_id_ok),
};
TABLE(s_drain, "DRAIN_NODE", 2, NULL, NULL);
#undef T

#define T cq_msg_drain_reply_t
static const cq_pt_field_t s_drain_reply_f[] = {
    U(req_id, "req_id", UINT64_MAX),
    STR(node_id, "node_id"),
    ST(status, "status"),
    STR(message, "message"),
    U(shards, "shards", S_SHARDS_MAX),
};
TABLE(s_drain_reply, "DRAIN_REPLY", 5, NULL, NULL);
#undef T

#define T cq_shard_info_t
static const cq_pt_field_t s_shard_f[] = {
    U(shard, "item.shard", S_SHARDS_MAX - 1),
    STR(owner, "item.owner"),
    STR(target, "item.target"),
    U(queued, "item.queued", UINT64_MAX),
    U(inflight, "item.inflight", UINT32_MAX),
    U(moved_ms, "item.moved_ms", UINT64_MAX),
    U(moves, "item.moves", UINT32_MAX),
};
TABLE(s_shard, "item", 7, NULL, NULL);
#undef T

#define T cq_msg_shards_reply_t
static const cq_pt_field_t s_shards_reply_f[] = {
    U(req_id, "req_id", UINT64_MAX),
    U(shards, "shards", S_SHARDS_MAX),
    U(moves_active, "moves_active", S_SHARDS_MAX),
    ARR_ALLOC(items, n_items, "items", CQ_PROTO_MAX_SHARDS, s_shard),
};
TABLE(s_shards_reply, "SHARDS_REPLY", 4, NULL, NULL);
#undef T

//  HAVE's digests: 1..CQ_PROTO_MAX_HAVE bins of exactly CQ_DIGEST_LEN
//  bytes, allocated once their count fits the bytes left.
#define S_DIGEST_BYTES (2 + CQ_DIGEST_LEN) // a bin8 of 32 bytes

static void
s_digests_enc(cq_mpw_t *w, const void *p)
{
    const cq_msg_have_t *m = p;
    uint32_t n = m->n;
    if (CQ_NEVER(n > CQ_PROTO_MAX_HAVE))
        n = CQ_PROTO_MAX_HAVE;
    cq_mpw_array(w, n);
    for (uint32_t i = 0; i < n; i++)
        cq_mpw_bin(w, m->digests[i], CQ_DIGEST_LEN);
}

static void
s_digests_dec(cq_cur_t *c, void *p)
{
    cq_msg_have_t *m = p;
    if (c->err)
        return;
    uint32_t nd = cq_cur_array(c, 1, CQ_PROTO_MAX_HAVE, "digests");
    if (c->err == 0 &&
        (uint64_t)nd * S_DIGEST_BYTES > (size_t)(c->end - c->pos))
        cq_cur_fail(c, CQ_EPROTO, "digests");
    if (c->err)
        return;
    m->digests = cq_xmalloc((size_t)nd * CQ_DIGEST_LEN);
    m->n = nd;
    for (uint32_t i = 0; i < nd && c->err == 0; i++) {
        size_t len;
        const uint8_t *b = cq_cur_bin(c, &len, CQ_DIGEST_LEN, "digest");
        if (c->err == 0 && len != CQ_DIGEST_LEN)
            cq_cur_fail(c, CQ_EPROTO, "digest");
        if (c->err == 0)
            memcpy(m->digests[i], b, CQ_DIGEST_LEN);
    }
}

#define T cq_msg_have_t
static const cq_pt_field_t s_have_f[] = {
    U(req_id, "req_id", UINT64_MAX),
    STR_OK(batch_id, "batch_id", cq_proto_batch_id_ok),
    CUSTOM("digests", s_digests_enc, s_digests_dec),
};
TABLE(s_have, "HAVE", 3, NULL, NULL);
#undef T

//  HAVE_REPLY's doc_ids: an id, or nil (CQ_HAVE_NONE), each.
static void
s_doc_ids_enc(cq_mpw_t *w, const void *p)
{
    const cq_msg_have_reply_t *m = p;
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

static void
s_doc_ids_dec(cq_cur_t *c, void *p)
{
    cq_msg_have_reply_t *m = p;
    uint32_t n = cq_cur_array(c, 0, CQ_PROTO_MAX_HAVE, "doc_ids");
    //  (an id or a nil: at least one byte each)
    if (c->err == 0 && n > (size_t)(c->end - c->pos))
        cq_cur_fail(c, CQ_EPROTO, "doc_ids");
    if (c->err || n == 0)
        return;
    m->doc_ids = cq_xcalloc(n, sizeof *m->doc_ids);
    m->n = n;
    for (uint32_t i = 0; i < n && c->err == 0; i++)
        m->doc_ids[i] = cq_cur_nil(c)
                            ? CQ_HAVE_NONE
                            : cq_cur_uint(c, CQ_HAVE_NONE - 1, "doc_id");
}

#define T cq_msg_have_reply_t
static const cq_pt_field_t s_have_reply_f[] = {
    U(req_id, "req_id", UINT64_MAX),
    STR(batch_id, "batch_id"),
    ST(status, "status"),
    CUSTOM("doc_ids", s_doc_ids_enc, s_doc_ids_dec),
};
TABLE(s_have_reply, "HAVE_REPLY", 4, NULL, NULL);
#undef T

#define S_REVIEW_FIELDS 12 // and no_doc, appended
//  A claim as REVIEW carries it (encoded): the largest claim encodes in
//  far less.
#define S_REVIEW_CLAIM_MAX (256u << 10)

#define T cq_msg_review_t
static const cq_pt_field_t s_review_f[] = {
    U(req_id, "req_id", UINT64_MAX),
    U(op, "op", CQ_ROP_RELEASE),
    STRS(tenants, n_tenants, "tenants", CQ_REVIEW_MAX_TENANTS),
    U(id, "id", UINT32_MAX),
    STR(reviewer, "reviewer"),
    U(token, "token", UINT64_MAX),
    U(ttl_ms, "ttl_ms", 86400000u),
    U(action, "action", CQ_RELEASE_NOT_DUPLICATE),
    U(max, "max", CQ_REVIEW_MAX_ITEMS),
    BIN(claim, claim_len, "claim", S_REVIEW_CLAIM_MAX, CQ_PTF_NIL),
    STR(changes, "changes"),
    NIL("(reserved)"),
    B_SINCE(no_doc, "no_doc", S_REVIEW_FIELDS + 1),
};
TABLE(s_review, "REVIEW", S_REVIEW_FIELDS, NULL, NULL);
#undef T

#define S_REVIEW_REPLY_FIELDS 18 // and oldest_ms, appended

#define T cq_review_item_t
static const cq_pt_field_t s_ritem_f[] = {
    U(id, "item.id", UINT32_MAX),
    STR(claim_id, "item.claim_id"),
    STR(payer_id, "item.payer_id"),
    STR(batch_id, "item.batch_id"),
    U(kind, "item.kind", CQ_REVIEW_OTHER),
    STR(reason, "item.reason"),
    I(pended_ms, "item.pended_ms", 0, INT64_MAX),
    STR(locked_by, "item.locked_by"),
    I(lock_expires_ms, "item.lock_expires_ms", 0, INT64_MAX),
};
TABLE(s_ritem, "item", 9, NULL, NULL);
#undef T

//  A review reply's bins: nil when none (or over a frame).
#define RBIN(fld, len, w_) BIN(fld, len, w_, CQ_PROTO_MAX_FRAME, CQ_PTF_NIL)

#define T cq_msg_review_reply_t
static const cq_pt_field_t s_review_reply_f[] = {
    U(req_id, "req_id", UINT64_MAX),
    ST(status, "status"),
    STR(message, "message"),
    U(total, "total", UINT64_MAX),
    {.what = "by_kind",
     .type = CQ_PT_UINTS,
     .op = CQ_PT_OP(CQ_PT_UINTS, 0),
     .size = sizeof(uint64_t),
     .off = offsetof(T, by_kind),
     .min = 5,
     .max = 5},
    ARR_ALLOC(items, n_items, "items", CQ_REVIEW_MAX_ITEMS, s_ritem),
    U(token, "token", UINT64_MAX),
    STR(holder, "holder"),
    I(expires_ms, "expires_ms", 0, INT64_MAX),
    RBIN(claim, claim_len, "claim"),
    RBIN(pend, pend_len, "pend"),
    RBIN(doc, doc_len, "doc"),
    RBIN(other, other_len, "other"),
    RBIN(other_dec, other_dec_len, "other_decision"),
    STR(doc_name, "doc_name"),
    U(page, "page", UINT32_MAX),
    NIL("(reserved)"),
    NIL("(reserved)"),
    {.what = "oldest_ms",
     .type = CQ_PT_INT,
     .op = CQ_PT_OP(CQ_PT_INT, sizeof(int64_t)),
     .flags = CQ_PTF_CLAMP,
     .size = sizeof(int64_t),
     .off = offsetof(T, oldest_ms),
     .min = 0,
     .max = INT64_MAX,
     .since = S_REVIEW_REPLY_FIELDS + 1},
};
TABLE(s_review_reply, "REVIEW_REPLY", S_REVIEW_REPLY_FIELDS, NULL, NULL);
#undef T
#undef RBIN

//  ---- the peer link (section 11) -------------------------------------------

#define S_BEACON_FIELDS 5 // and stream, applied, compacts, handover, appended

#define T cq_msg_peer_beacon_t
static const cq_pt_field_t s_peer_beacon_f[] = {
    U(state, "state", 2),
    U(role, "role", 2),
    U(epoch, "epoch", UINT64_MAX),
    U(session, "session", UINT64_MAX),
    U(pos, "pos", UINT64_MAX),
    U_SINCE(stream, "stream", UINT64_MAX, S_BEACON_FIELDS + 3),
    U_SINCE(applied, "applied", UINT64_MAX, S_BEACON_FIELDS + 3),
    U_SINCE(compacts, "compacts", UINT32_MAX, S_BEACON_FIELDS + 3),
    U_SINCE(handover, "handover", 2, S_BEACON_FIELDS + 4),
};
TABLE(s_peer_beacon, "PEER_BEACON", S_BEACON_FIELDS, NULL, NULL);
#undef T

static const char *
s_peer_snap_check(const void *p)
{
    const cq_msg_peer_snap_t *m = p;
    if (strchr(m->name, '/') != NULL || m->name[0] == '.' ||
        (m->name[0] == '\0') != m->last)
        return "name";
    return NULL;
}

#define T cq_msg_peer_snap_t
static const cq_pt_field_t s_peer_snap_f[] = {
    U(session, "session", UINT64_MAX),
    U(chunk, "chunk", UINT64_MAX),
    STR(name, "name"),
    U(off, "off", (uint64_t)1 << 48),
    BIN(data, len, "data", CQ_PEER_MAX_CHUNK, 0),
    B(last, "last"),
    U(pos, "pos", UINT64_MAX / 2),
};
TABLE(s_peer_snap, "PEER_SNAP", 7, s_peer_snap_check, NULL);
#undef T

#define T cq_msg_peer_group_t
static const cq_pt_field_t s_peer_group_f[] = {
    U(session, "session", UINT64_MAX),
    U(kind, "kind", 1),
    U(first, "first", UINT64_MAX / 2),
    U(n, "n", UINT32_MAX),
    BIN(body, len, "body", CQ_PEER_MAX_FRAME, 0),
};
TABLE(s_peer_group, "PEER_GROUP", 5, NULL, NULL);
#undef T

#define T cq_msg_peer_ack_t
static const cq_pt_field_t s_peer_ack_f[] = {
    U(session, "session", UINT64_MAX),
    U(chunks, "chunks", UINT64_MAX),
    U(pos, "pos", UINT64_MAX),
};
TABLE(s_peer_ack, "PEER_ACK", 3, NULL, NULL);
#undef T

//  Every command's body table.
static const cq_pt_msg_t *const s_tables[] = {
    [CQ_CMD_READY] = &s_ready,
    [CQ_CMD_WELCOME] = &s_welcome,
    [CQ_CMD_HEARTBEAT] = &s_empty,
    [CQ_CMD_DISCONNECT] = &s_disconnect,
    [CQ_CMD_INTAKE] = &s_intake,
    [CQ_CMD_INTAKE_DONE] = &s_intake_done,
    [CQ_CMD_ADJUDICATE] = &s_adjudicate,
    [CQ_CMD_RESULT] = &s_result,
    [CQ_CMD_GOODBYE] = &s_empty,
    [CQ_CMD_GOODBYE_OK] = &s_empty,
    [CQ_CMD_HISTORY] = &s_history,
    [CQ_CMD_ORPHANS] = &s_orphans,
    [CQ_CMD_EXTEND] = &s_extend,
    [CQ_CMD_PAUSE] = &s_pause,
    [CQ_CMD_DRAIN] = &s_empty,
    [CQ_CMD_SUBMIT] = &s_submit,
    [CQ_CMD_RECEIPT] = &s_receipt,
    [CQ_CMD_DOC_DONE] = &s_doc_done,
    [CQ_CMD_DECISIONS] = &s_decisions,
    [CQ_CMD_STATUS] = &s_status,
    [CQ_CMD_STATUS_REPLY] = &s_status_reply,
    [CQ_CMD_RESULTS] = &s_results,
    [CQ_CMD_RESULTS_REPLY] = &s_results_reply,
    [CQ_CMD_WORKERS] = &s_workers,
    [CQ_CMD_WORKERS_REPLY] = &s_workers_reply,
    [CQ_CMD_QUARANTINE] = &s_quarantine,
    [CQ_CMD_QUARANTINE_REPLY] = &s_quarantine_reply,
    [CQ_CMD_SEAL] = &s_seal,
    [CQ_CMD_SEAL_REPLY] = &s_seal_reply,
    [CQ_CMD_BATCHES] = &s_batches,
    [CQ_CMD_BATCHES_REPLY] = &s_batches_reply,
    [CQ_CMD_ACKS] = &s_acks,
    [CQ_CMD_ACKS_REPLY] = &s_acks_reply,
    [CQ_CMD_DRAIN_NODE] = &s_drain,
    [CQ_CMD_DRAIN_REPLY] = &s_drain_reply,
    [CQ_CMD_SHARDS] = &s_shards,
    [CQ_CMD_SHARDS_REPLY] = &s_shards_reply,
    [CQ_CMD_HAVE] = &s_have,
    [CQ_CMD_HAVE_REPLY] = &s_have_reply,
    [CQ_CMD_REVIEW] = &s_review,
    [CQ_CMD_REVIEW_REPLY] = &s_review_reply,
    [CQ_CMD_PEER_BEACON] = &s_peer_beacon,
    [CQ_CMD_PEER_SNAP] = &s_peer_snap,
    [CQ_CMD_PEER_GROUP] = &s_peer_group,
    [CQ_CMD_PEER_ACK] = &s_peer_ack,
};

const cq_pt_msg_t *
cq_proto_table(int cmd)
{
    if (cmd < 0 || (size_t)cmd >= CQ_ARRAY_LEN(s_tables))
        return NULL;
    return s_tables[cmd];
}

const cq_pt_msg_t *
cq_proto_struct_table(const char *name)
{
    static const cq_pt_msg_t *const structs[] = {
        &s_claim,  &s_member,      &s_line,   &s_decision, &s_adjustment,
        &s_reason, &s_line_result, &s_worker, &s_counter,
    };
    for (size_t i = 0; i < CQ_ARRAY_LEN(structs); i++)
        if (strcmp(structs[i]->name, name) == 0)
            return structs[i];
    return NULL;
}

//  ---- the functions of proto.h: the tables' walks
//  ----------------------------
//
//  A message's encode and decode are one line each: S_CODEC(x, T) defines
//  cq_proto_x_encode and cq_proto_x_decode over the table s_x. Decoders
//  clear the struct first, except where it is large and the table writes
//  every field (S_CODEC_NOCLEAR).

#define S_CODEC_ENC(x, T_)                                                     \
    void cq_proto_##x##_encode(cq_mpw_t *w, const T_ *m)                       \
    {                                                                          \
        cq_pt_encode(w, &s_##x, m);                                            \
    }
#define S_CODEC(x, T_)                                                         \
    S_CODEC_ENC(x, T_)                                                         \
    int cq_proto_##x##_decode(const uint8_t *p, size_t n, T_ *m,               \
                              cq_diag_t *diag)                                 \
    {                                                                          \
        memset(m, 0, sizeof *m);                                               \
        return cq_pt_decode(p, n, &s_##x, m, diag);                            \
    }
#define S_CODEC_NOCLEAR(x, T_)                                                 \
    S_CODEC_ENC(x, T_)                                                         \
    int cq_proto_##x##_decode(const uint8_t *p, size_t n, T_ *m,               \
                              cq_diag_t *diag)                                 \
    {                                                                          \
        return cq_pt_decode(p, n, &s_##x, m, diag);                            \
    }
//  Messages whose decode allocates: cq_proto_x_free frees (m->f, count c).
#define S_FREE(x, T_, f, c)                                                    \
    void cq_proto_##x##_free(T_ *m)                                            \
    {                                                                          \
        free(m->f);                                                            \
        m->f = NULL;                                                           \
        m->c = 0;                                                              \
    }

S_CODEC(ready, cq_msg_ready_t)
S_CODEC(welcome, cq_msg_welcome_t)
S_CODEC(intake, cq_msg_intake_t)
S_CODEC_NOCLEAR(orphans, cq_msg_orphans_t)
S_CODEC_NOCLEAR(extend, cq_msg_extend_t)
S_CODEC_NOCLEAR(submit, cq_msg_submit_t)
S_CODEC(receipt, cq_msg_receipt_t)
S_CODEC(doc_done, cq_msg_doc_done_t)
S_CODEC(status, cq_msg_status_t)
S_CODEC(status_reply, cq_msg_status_reply_t)
S_CODEC(results, cq_msg_results_t)
S_CODEC(workers_reply, cq_msg_workers_reply_t)
S_CODEC(quarantine, cq_msg_quarantine_t)
S_CODEC(quarantine_reply, cq_msg_quarantine_reply_t)
S_CODEC(seal, cq_msg_seal_t)
S_CODEC(seal_reply, cq_msg_seal_reply_t)
S_CODEC(batches, cq_msg_batches_t)
S_CODEC(batches_reply, cq_msg_batches_reply_t)
S_CODEC(acks, cq_msg_acks_t)
S_CODEC(drain, cq_msg_drain_t)
S_CODEC(drain_reply, cq_msg_drain_reply_t)
S_CODEC(shards_reply, cq_msg_shards_reply_t)
S_CODEC(review, cq_msg_review_t)
S_CODEC(review_reply, cq_msg_review_reply_t)
S_CODEC(peer_beacon, cq_msg_peer_beacon_t)
S_CODEC(peer_snap, cq_msg_peer_snap_t)
S_CODEC(peer_group, cq_msg_peer_group_t)
S_CODEC(peer_ack, cq_msg_peer_ack_t)

S_FREE(workers_reply, cq_msg_workers_reply_t, workers, n_workers)
S_FREE(quarantine_reply, cq_msg_quarantine_reply_t, items, n_items)
S_FREE(batches_reply, cq_msg_batches_reply_t, items, n_items)
S_FREE(shards_reply, cq_msg_shards_reply_t, items, n_items)
S_FREE(have, cq_msg_have_t, digests, n)
S_FREE(have_reply, cq_msg_have_reply_t, doc_ids, n)
S_FREE(review_reply, cq_msg_review_reply_t, items, n_items)

//  HAVE and HAVE_REPLY: their arrays are the custom rows' allocations,
//  freed on an error by the message's free function.
#define S_CODEC_FREE(x, T_)                                                    \
    S_CODEC_ENC(x, T_)                                                         \
    int cq_proto_##x##_decode(const uint8_t *p, size_t n, T_ *m,               \
                              cq_diag_t *diag)                                 \
    {                                                                          \
        memset(m, 0, sizeof *m);                                               \
        int rc = cq_pt_decode(p, n, &s_##x, m, diag);                          \
        if (rc != 0)                                                           \
            cq_proto_##x##_free(m);                                            \
        return rc;                                                             \
    }

S_CODEC_FREE(have, cq_msg_have_t)
S_CODEC_FREE(have_reply, cq_msg_have_reply_t)

//  Bodies given as arguments rather than a struct.

void
cq_proto_empty_encode(cq_mpw_t *w)
{
    cq_pt_encode(w, &s_empty, NULL);
}

int
cq_proto_empty_decode(const uint8_t *p, size_t n, cq_diag_t *diag)
{
    s_empty_t m;
    return cq_pt_decode(p, n, &s_empty, &m, diag);
}

//  PAUSE: [reason]; DISCONNECT: [reason, code] (an older broker: [reason],
//  code 0).
static void
s_reason_encode(cq_mpw_t *w, const cq_pt_msg_t *t, const char *reason,
                uint32_t code)
{
    s_disconnect_t m = {.code = code};
    cq_strlcpy(m.reason, reason, sizeof m.reason);
    cq_pt_encode(w, t, &m);
}

static int
s_reason_decode(const uint8_t *p, size_t n, const cq_pt_msg_t *t,
                char reason[CQ_PROTO_MSG_LEN], uint32_t *code, cq_diag_t *diag)
{
    s_disconnect_t m;
    int rc = cq_pt_decode(p, n, t, &m, diag);
    memcpy(reason, m.reason, CQ_PROTO_MSG_LEN);
    *code = rc == 0 ? m.code : CQ_DISCONNECT_AGAIN;
    return rc;
}

void
cq_proto_reason_encode(cq_mpw_t *w, const char *reason)
{
    s_reason_encode(w, &s_pause, reason, 0);
}

int
cq_proto_reason_decode(const uint8_t *p, size_t n,
                       char reason[CQ_PROTO_MSG_LEN], cq_diag_t *diag)
{
    uint32_t code;
    return s_reason_decode(p, n, &s_pause, reason, &code, diag);
}

void
cq_proto_disconnect_encode(cq_mpw_t *w, const char *reason, uint32_t code)
{
    s_reason_encode(w, &s_disconnect, reason, code);
}

int
cq_proto_disconnect_decode(const uint8_t *p, size_t n,
                           char reason[CQ_PROTO_MSG_LEN], uint32_t *code,
                           cq_diag_t *diag)
{
    return s_reason_decode(p, n, &s_disconnect, reason, code, diag);
}

//  WORKERS and SHARDS: [req_id].
#define S_CODEC_REQ(x)                                                         \
    void cq_proto_##x##_encode(cq_mpw_t *w, uint64_t req_id)                   \
    {                                                                          \
        cq_pt_encode(w, &s_##x, &(s_req_t){req_id});                           \
    }                                                                          \
    int cq_proto_##x##_decode(const uint8_t *p, size_t n, uint64_t *req_id,    \
                              cq_diag_t *diag)                                 \
    {                                                                          \
        s_req_t m;                                                             \
        int rc = cq_pt_decode(p, n, &s_##x, &m, diag);                         \
        *req_id = m.req_id;                                                    \
        return rc;                                                             \
    }

S_CODEC_REQ(workers)
S_CODEC_REQ(shards)

//  ---- messages with items
//  ----------------------------------------------------
//
//  Their heads and tails are the tables' (X_begin, X_end, X_decode); each
//  item is written by X_add and read by X_next, because items carry
//  encoded claims and decisions through unchanged (the broker forwards
//  the bytes it journaled).

#define S_ITEMS_DECODE(x, T_)                                                  \
    int cq_proto_##x##_decode(const uint8_t *p, size_t n, T_ *m,               \
                              cq_diag_t *diag)                                 \
    {                                                                          \
        memset(m, 0, sizeof *m);                                               \
        return cq_pt_decode(p, n, &s_##x, m, diag);                            \
    }
#define S_ITEMS_END(x)                                                         \
    void cq_proto_##x##_end(cq_mpw_t *w, size_t at, uint32_t n_items)          \
    {                                                                          \
        cq_mpw_array_close(w, at, n_items);                                    \
    }

S_ITEMS_DECODE(intake_done, cq_msg_intake_done_t)
S_ITEMS_DECODE(adjudicate, cq_msg_adjudicate_t)
S_ITEMS_DECODE(result, cq_msg_result_t)
S_ITEMS_DECODE(history, cq_msg_history_t)
S_ITEMS_DECODE(decisions, cq_msg_decisions_t)
S_ITEMS_DECODE(results_reply, cq_msg_results_reply_t)
S_ITEMS_DECODE(acks_reply, cq_msg_acks_reply_t)
S_ITEMS_END(adjudicate)
S_ITEMS_END(result)
S_ITEMS_END(history)
S_ITEMS_END(decisions)
S_ITEMS_END(results_reply)
S_ITEMS_END(acks_reply)

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

//  Encoded bytes, or nil when there are none.
static void
s_raw_or_nil(cq_mpw_t *w, const uint8_t *raw, size_t len)
{
    if (raw)
        cq_mpw_raw(w, raw, len);
    else
        cq_mpw_nil(w);
}

//  INTAKE_DONE: [..., claims, refused_sets, refused_claims, ack].

size_t
cq_proto_intake_done_begin(cq_mpw_t *w, const cq_msg_intake_done_t *m)
{
    return cq_pt_begin(w, &s_intake_done, m);
}

void
cq_proto_intake_done_end(cq_mpw_t *w, size_t at, uint32_t n_claims,
                         const cq_msg_intake_done_t *m)
{
    cq_pt_end(w, &s_intake_done, at, n_claims, m);
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

//  ADJUDICATE and HISTORY items begin alike: [cid, batch_id, claim, ...].
static void
s_claim_item_add(cq_mpw_t *w, uint32_t n, uint64_t cid, const char *batch_id,
                 const uint8_t *claim_raw, size_t claim_len)
{
    cq_mpw_array(w, n);
    cq_mpw_uint(w, cid);
    cq_mpw_strn(w, batch_id, strnlen(batch_id, CQ_BATCH_ID_LEN - 1));
    cq_mpw_raw(w, claim_raw, claim_len);
}

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

size_t
cq_proto_adjudicate_begin(cq_mpw_t *w, uint64_t lease)
{
    cq_msg_adjudicate_t m = {.lease = lease};
    return cq_pt_begin(w, &s_adjudicate, &m);
}

void
cq_proto_adjudicate_add(cq_mpw_t *w, uint64_t cid, const char *batch_id,
                        const uint8_t *claim_raw, size_t claim_len)
{
    s_claim_item_add(w, 3, cid, batch_id, claim_raw, claim_len);
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
    cq_msg_result_t m = {.lease = lease};
    return cq_pt_begin(w, &s_result, &m);
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
    *status = (int32_t)cq_cur_int(c, S_ERR_MIN, 0, "status");
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

size_t
cq_proto_history_begin(cq_mpw_t *w, uint32_t shard, uint32_t part, bool last)
{
    cq_msg_history_t m = {.shard = shard, .part = part, .last = last};
    return cq_pt_begin(w, &s_history, &m);
}

void
cq_proto_history_add(cq_mpw_t *w, uint64_t cid, const char *batch_id,
                     const uint8_t *claim_raw, size_t claim_len,
                     const uint8_t *decision_raw, size_t decision_len)
{
    s_claim_item_add(w, 4, cid, batch_id, claim_raw, claim_len);
    cq_mpw_raw(w, decision_raw, decision_len);
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

size_t
cq_proto_decisions_begin(cq_mpw_t *w, const char *batch_id)
{
    cq_msg_decisions_t m;
    cq_strlcpy(m.batch_id, batch_id, sizeof m.batch_id);
    return cq_pt_begin(w, &s_decisions, &m);
}

void
cq_proto_decisions_add(cq_mpw_t *w, uint64_t doc_id, uint32_t index,
                       const uint8_t *decision_raw, size_t len)
{
    cq_mpw_array(w, 3);
    cq_mpw_uint(w, doc_id);
    cq_mpw_uint(w, index);
    s_raw_or_nil(w, decision_raw, len);
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

size_t
cq_proto_results_reply_begin(cq_mpw_t *w, const cq_msg_results_reply_t *m)
{
    return cq_pt_begin(w, &s_results_reply, m);
}

void
cq_proto_results_reply_add(cq_mpw_t *w, uint64_t doc_id, uint32_t index,
                           const uint8_t *decision_raw, size_t dlen,
                           const uint8_t *claim_raw, size_t clen)
{
    cq_mpw_array(w, 4);
    cq_mpw_uint(w, doc_id);
    cq_mpw_uint(w, index);
    s_raw_or_nil(w, decision_raw, dlen);
    s_raw_or_nil(w, claim_raw, clen);
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

size_t
cq_proto_acks_reply_begin(cq_mpw_t *w, const cq_msg_acks_reply_t *m)
{
    return cq_pt_begin(w, &s_acks_reply, m);
}

#define S_ACK_ITEM_FIELDS 3

void
cq_proto_acks_reply_add(cq_mpw_t *w, uint64_t doc_id, const char *name,
                        const uint8_t *ack, size_t len)
{
    cq_mpw_array(w, S_ACK_ITEM_FIELDS);
    cq_mpw_uint(w, doc_id);
    cq_mpw_strn(w, name, strnlen(name, CQ_DOC_NAME_LEN - 1));
    if (CQ_NEVER(len > CQ_PROTO_MAX_ACK))
        len = 0; // no 999 rather than a cut one
    cq_mpw_bin(w, ack, len);
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
    *ack = cq_cur_bin(c, len, CQ_PROTO_MAX_ACK, "ack");
    return s_item_close(&m->items, have, S_ACK_ITEM_FIELDS, diag);
}

//  ---- not messages
//  -----------------------------------------------------------

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
