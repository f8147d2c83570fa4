//  claim.h: the normalized claim (docs/formats.md "Claim"), shared by the JSON,
//  X12 and OCR decoders, the rules engine, the wire protocol and the tools.
//  Fixed-size fields: a claim needs no allocation and copies with memcpy.
//  Every decoder enforces these caps and reports a field that exceeds one.
#ifndef CQ_CLAIM_H
#define CQ_CLAIM_H

#include "limit.h"
#include "prelude.h"
#include "date.h"

#define CQ_MAX_POINTERS 4 // SV107
#define CQ_MAX_PEND 16    // pend reasons (OCR)

typedef enum {
    CQ_CLAIM_PROFESSIONAL = 0, // 837P / CMS-1500
    CQ_CLAIM_INSTITUTIONAL = 1 // 837I / UB-04
} cq_claim_type_t;

typedef enum {
    CQ_SOURCE_JSON = 0,
    CQ_SOURCE_X12 = 1,
    CQ_SOURCE_OCR = 2
} cq_source_t;

typedef struct {
    char procedure[CQ_CODE_LEN];          // CPT/HCPCS, e.g. "99213"
    char modifiers[CQ_MAX_MODIFIERS][3];  // 2-char modifiers
    uint8_t n_modifiers;                  // 0..4
    char revenue_code[6];                 // 837I SV201, else ""
    int32_t service_date;                 // days (date.h)
    int32_t service_date_end;             // RD8 end or CQ_DATE_NONE
    char place_of_service[3];             // "11"; "" if unknown
    int64_t units_milli;                  // units × 1000 (1 = 1000)
    int64_t charge;                       // cents
    uint8_t dx_pointers[CQ_MAX_POINTERS]; // 1-based into diagnoses
    uint8_t n_pointers;                   // 0..4
    char rendering_npi[11];               // 24J / 2420A, or ""
} cq_line_t;

typedef struct {
    char id[CQ_ID_LEN];           // member id (1a / 2010BA NM109)
    char last_name[CQ_NAME_LEN];  // PHI: never log
    char first_name[CQ_NAME_LEN]; // PHI: never log
    int32_t birth_date;           // days or CQ_DATE_NONE; PHI
    char sex;                     // 'F', 'M', 'U' or 0
} cq_member_ref_t;

typedef struct {
    char claim_id[CQ_ID_LEN];          // CLM01 / box 26
    char payer_id[CQ_ID_LEN];          // payer
    cq_claim_type_t type;              // professional | institutional
    char frequency;                    // '1' original, '7' replace, '8' void
    char original_claim_id[CQ_ID_LEN]; // for 7/8 (REF*F8 / box 22), or ""
    int32_t received_date;             // days or CQ_DATE_NONE (not given)
    cq_member_ref_t member;            // the patient
    char billing_npi[11];              // billing_provider.npi
    char billing_tax_id[16];           // billing_provider.tax_id
    char billing_name[CQ_NAME_LEN];    // billing_provider.name
    char prior_auth[CQ_ID_LEN];        // REF*G1 / box 23, or ""
    char diagnoses[CQ_MAX_DX][CQ_CODE_LEN]; // ICD-10 with the point: "E11.9"
    uint8_t n_diagnoses;                    // 0..12
    int64_t total_charge;                   // cents
    cq_line_t lines[CQ_MAX_LINES];          // service lines in order
    uint8_t n_lines;                        // 0..50
    cq_source_t source;                     // where the claim came from
    int ocr_confidence;                     // 0..100 for OCR claims, else -1
    //  A decoder that found the claim malformed still fills what it could
    //  and sets invalid: the engine then rejects it CO-16 with this message,
    //  which names the field ("total_charge: not a decimal string").
    bool invalid;          // content error found while decoding
    char invalid_rarc[8];  // RARC for the CO-16, e.g. "M51"
    char invalid_msg[160]; // names the field; never patient data
    //  OCR: fields a person must look at; the engine pends such a claim.
    uint8_t n_pend;                    // 0..CQ_MAX_PEND
    char pend_fields[CQ_MAX_PEND][48]; // field names / reasons, no values
    //  A person's release of a pended claim (claimq review): set only on a
    //  claim the broker sends again; its decision supersedes the pend
    //  (ledger row supersedes_seq of node supersedes_node).
    uint8_t review;                  // 0, or cq_release_action_t (1..3)
    char supersedes_node[CQ_ID_LEN]; // the pend's node
    int64_t supersedes_seq;          // the pend's ledger row
    //  {"reviewer":"…","action":"…","changes":[{"field","old","new"}…]}:
    //  patient data (the values): the ledger keeps it, logs never. Kept
    //  last, and only its string is meaningful: cq_claim_init clears it to
    //  its first byte (16 KiB, most of a claim, that almost every claim
    //  leaves empty, are neither cleared nor copied on the hot paths)
    char review_audit[CQ_REVIEW_AUDIT_LEN];
} cq_claim_t;

//  Resets a claim to empty: no dates, frequency '1', confidence -1. The
//  bytes of review_audit past its NUL are left as they were: compare
//  claims with cq_claim_equal, not memcmp.
void cq_claim_init(cq_claim_t *c);
//  True when a and b hold the same claim: every byte up to review_audit,
//  and the same review_audit string.
bool cq_claim_equal(const cq_claim_t *a, const cq_claim_t *b);
//  Marks the claim invalid (first call wins) with a printf message that
//  must name the field and must not contain patient data. rarc may be NULL.
void cq_claim_set_invalid(cq_claim_t *c, const char *rarc, const char *fmt, ...)
    CQ_PRINTF(3, 4);
//  What a claim key cannot hold: '|' (its separator) in claim_id,
//  payer_id, the billing NPI or original_claim_id, or as the frequency.
//  Such a claim is marked invalid (CO-16 MA130, naming the field, as the
//  JSON decoder does), and a claim_id or frequency with '|' is replaced
//  ("#<recno>", frequency '1') as for an unreadable record, so that two
//  such claims never share a key. Returns true when it changed the claim.
//  For decoders whose syntax lets '|' through (X12, OCR).
bool cq_claim_check_key(cq_claim_t *c, size_t recno);
//  Adds a pend reason (a field name); ignores more than CQ_MAX_PEND.
void cq_claim_add_pend(cq_claim_t *c, const char *field);

//  The claim key (docs/formats.md): payer_id, billing npi, claim_id, frequency,
//  written as "payer|npi|claim_id|freq" into out (size >= CQ_KEY_LEN).
#define CQ_KEY_LEN (3 * CQ_ID_LEN + 16)
char *cq_claim_key(const cq_claim_t *c, char *out);
//  64-bit hash of the claim key (for tables; not unique by itself).
uint64_t cq_claim_key_hash(const cq_claim_t *c);
//  The shard key: hash of (payer_id, member id).
uint64_t cq_claim_member_hash(const cq_claim_t *c);

//  Bounded copy into a fixed field: returns 0, or CQ_ETOOBIG when src does
//  not fit (dst then holds a truncated copy).
int cq_strlcpy(char *dst, const char *src, size_t dstsize);
int cq_strncpy_n(char *dst, size_t dstsize, const char *src, size_t n);

#endif
