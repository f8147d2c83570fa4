//  x12.h: ASC X12 005010 for claimq (docs/formats.md "X12 837").
//
//  - a zero-copy tokenizer: segment / element / component views over the
//    caller's buffer, separators read from each ISA (never assumed);
//  - the 837P (005010X222A1) / 837I (005010X223A2) parser: envelope and
//    syntax checks per transaction set, then claims (claim.h), plus a
//    report of every interchange / group / transaction set;
//  - writers: the 999 acknowledgment (from a report), the 277CA claim
//    acknowledgment and the 835 remittance (from claims + decisions), the
//    837P / 837I claim file (from claims);
//  - readers that check an 835's balancing rules and a 277CA's structure.
//
//  Pure: no I/O, no global state; every size from the input is checked
//  against the caps below before anything is allocated for it.
#ifndef CQ_X12_H
#define CQ_X12_H

#include "limit.h"
#include "claim_json.h"
#include "decision.h"
#include "err.h"
#include "mem.h"

// ---------------------------------------------------------------- limits

#define CQ_X12_MAX_ERRORS 10000  // errors kept in a report
#define CQ_X12_MAX_SET_ERRORS 50 // errors kept per transaction set

// ------------------------------------------------------------- tokenizer

//  The four delimiters of an interchange, read from its ISA segment.
typedef struct {
    char element;    // ISA byte 3, usually '*'
    char component;  // ISA16, usually ':'
    char repetition; // ISA11 (00501+), usually '^'; 0 when none
    char segment;    // the byte after ISA16, usually '~'
} cq_x12_seps_t;

//  A view of bytes inside the document: not NUL-terminated, borrowed.
typedef struct {
    const char *p; // first byte (never NULL; "" when empty)
    size_t n;      // length
} cq_x12_str_t;

//  Syntax problems the tokenizer finds in one segment (the segment is
//  still delivered; the caller decides what they mean).
typedef enum {
    CQ_X12_SEG_OK = 0,
    CQ_X12_SEG_BAD_ID = 1,         // id is not 2-3 letters/digits (IK304 1)
    CQ_X12_SEG_TOO_LONG = 2,       // over CQ_X12_MAX_SEGMENT_LEN (IK304 8)
    CQ_X12_SEG_TOO_MANY_ELEMS = 3, // over CQ_X12_MAX_ELEMENTS (IK403 3)
    CQ_X12_SEG_ELEM_TOO_LONG = 4,  // over CQ_X12_MAX_ELEMENT_LEN (IK403 5)
    CQ_X12_SEG_BAD_CHAR = 5,       // a control character (IK403 6)
} cq_x12_seg_err_t;

#define CQ_X12_SEG_SPLIT 1 // elements found (start[], n_elems valid)
#define CQ_X12_SEG_CTL 2   // a byte below 0x20 in the data

//  One segment. All views point into the document given to the reader.
typedef struct {
    const char *data;   // the segment, id first, terminator excluded
    uint32_t len;       // bytes in data
    size_t offset;      // byte offset of data in the document
    size_t number;      // 1-based segment number in the document
    char id[4];         // "NM1", NUL-terminated ("" when unusable)
    uint16_t n_elems;   // elements after the id (trailing empty ones too)
    uint8_t err;        // cq_x12_seg_err_t
    uint8_t err_elem;   // element position of err (1-based), or 0
    uint8_t flags;      // CQ_X12_SEG_SPLIT, CQ_X12_SEG_CTL
    uint16_t id_len;    // bytes of the id in data
    cq_x12_seps_t seps; // the delimiters in force
    //  Element i (1-based) is data[start[i-1] .. start[i]-1): start[] holds
    //  the offset of each element and, at n_elems, len + 1.
    uint16_t start[CQ_X12_MAX_ELEMENTS + 1];
} cq_x12_seg_t;

//  Reads segments one after another. Fatal problems (no ISA, an ISA whose
//  delimiters cannot be read, more than CQ_X12_MAX_SEGMENTS) are sticky:
//  once err is set every read returns it.
typedef struct {
    const char *buf;    // the document (borrowed)
    size_t len;         // its length
    size_t pos;         // next unread byte
    cq_x12_seps_t seps; // delimiters of the current interchange
    bool have_seps;     // an ISA was read
    size_t n_segments;  // segments delivered so far
    int err;            // first fatal error (cq_err_t), sticky
    size_t err_at;      // byte offset of that error
    char err_msg[160];  // what was wrong (no data values)
} cq_x12_reader_t;

//  Starts reading buf[0..len): a UTF-8 BOM and leading CR/LF/spaces are
//  skipped. The buffer must outlive the reader and every segment read.
void cq_x12_reader_init(cq_x12_reader_t *r, const void *buf, size_t len);
//  Reads the next segment into *seg. Returns 1 when a segment was read,
//  0 at the end of the document, or a negative cq_err_t (sticky) with
//  r->err_msg saying why. Whitespace between segments (CR, LF, blanks) is
//  skipped, as are NUL / ^Z bytes at the very end; an ISA anywhere
//  re-reads the delimiters; a last segment without terminator is accepted.
int cq_x12_reader_next(cq_x12_reader_t *r, cq_x12_seg_t *seg);

//  As cq_x12_reader_next, but leaves the elements unsplit (only id, data
//  and len are set; n_elems is 0): for callers that look at most segments'
//  id only. cq_x12_seg_split finds the elements (and checks their caps)
//  when needed; it does nothing the second time.
int cq_x12_reader_raw(cq_x12_reader_t *r, cq_x12_seg_t *seg);
void cq_x12_seg_split(cq_x12_seg_t *seg);

//  Reads the delimiters of the ISA at buf (106 bytes by the standard; a
//  non-standard length is tolerated). Returns 0 or CQ_EPROTO.
int cq_x12_read_isa(const char *buf, size_t len, cq_x12_seps_t *seps,
                    size_t *isa_len);

//  Element i (1-based) of seg; an empty view when i is past the last one.
static inline cq_x12_str_t
cq_x12_elem(const cq_x12_seg_t *seg, unsigned i)
{
    cq_x12_str_t s = {"", 0};
    if (i == 0 || i > seg->n_elems)
        return s;
    s.p = seg->data + seg->start[i - 1];
    s.n = (size_t)(seg->start[i] - seg->start[i - 1] - 1);
    return s;
}
//  Component k (1-based) of a composite element, split on sep.
cq_x12_str_t cq_x12_comp(cq_x12_str_t e, char sep, unsigned k);
//  Number of components of e (1 for a simple element, 0 when empty).
unsigned cq_x12_ncomp(cq_x12_str_t e, char sep);
//  True when s holds exactly the NUL-terminated lit.
static inline bool
cq_x12_eq(cq_x12_str_t s, const char *lit)
{
    size_t i = 0;
    for (; i < s.n; i++)
        if (lit[i] != s.p[i] || lit[i] == '\0')
            return false;
    return lit[i] == '\0';
}
//  Strips leading and trailing spaces (ISA fields are space padded).
cq_x12_str_t cq_x12_trim(cq_x12_str_t s);
//  Copies s into dst (NUL-terminated). Returns 0, or CQ_ETOOBIG when it
//  did not fit (dst then holds a truncated copy).
int cq_x12_copy(char *dst, size_t dstsize, cq_x12_str_t s);
//  Unsigned decimal number (digits only, at most 18). Returns 0 or
//  CQ_EINVAL.
int cq_x12_uint(cq_x12_str_t s, uint64_t *v);
//  X12 "R" amount ("12.5", "-1.27", at most 2 decimals) into cents.
int cq_x12_amount(cq_x12_str_t s, int64_t *cents);
//  X12 "R" quantity ("1", "1.00", "21.5", at most 3 decimals) into
//  thousandths. Negative quantities are refused.
int cq_x12_quantity(cq_x12_str_t s, int64_t *milli);

// ------------------------------------------------------------ the report

#define CQ_X12_MAX_BAD 99 // IK404: bytes of a bad element copied back

//  One problem found in the envelope or in a segment. Messages name the
//  segment and element, never the data (they may be logged).
typedef struct {
    uint32_t set;      // index into report.sets, or UINT32_MAX (envelope)
    uint32_t position; // segment position in the set (ST = 1), or 0
    size_t offset;     // byte offset of the segment in the document
    size_t number;     // segment number in the document
    char seg_id[4];    // IK301: the segment's id ("" none)
    char loop[8];      // IK303: loop id ("2300"), "" when unknown
    char seg_code[4];  // IK304: 1 unrecognized, 2 unexpected, 3 missing,
                       //        4 loop over max, 7 out of order, 8 has
                       //        element errors ...; "" = envelope
    uint8_t element;   // IK401 element position (0 = no IK4)
    uint8_t component; // IK401-2 component position, or 0
    uint16_t elem_ref; // IK402 data element reference number, or 0
    char elem_code[4]; // IK403: 1 missing, 3 too many, 4 too short, 5 too
                       //        long, 6 bad character, 7 invalid code, 8
                       //        bad date, 13 too many components, I12
                       //        pattern (an NPI) ...
    char claim_id[CQ_ID_LEN];     // CTX*CLM01: the claim the error is in, or ""
    char bad[CQ_X12_MAX_BAD + 1]; // IK404: a copy of the bad element, or
                                  // "" (never for names, ids, addresses,
                                  // birth dates: NM1 N3 N4 DMG PER REF PAT;
                                  // never logged: for the 999 only)
    char msg[160];                // for a person
} cq_x12_error_t;

//  One transaction set (ST..SE).
typedef struct {
    char id[4];              // ST01 ("837")
    char control[10];        // ST02
    char version[16];        // ST03, else the group's GS08
    uint32_t group;          // index into report.groups
    size_t offset;           // byte offset of the ST segment
    uint32_t segments;       // segments counted, ST..SE inclusive
    cq_claim_type_t type;    // professional (X222) or institutional (X223)
    char status;             // IK501: 'A' accepted, 'E' accepted with
                             // errors noted (data element errors in some
                             // claims: those claims are invalid, CO-16),
                             // 'R' refused as a whole (no claims)
    uint8_t n_codes;         // IK502..IK506 used
    char codes[5][4];        // 1 not supported, 2 no SE, 3 SE02 != ST02,
                             // 4 SE01 wrong, 5 segment errors, 23 dup ST02
    uint32_t first_error;    // errors of this set: report.errors[first ..
    uint32_t n_errors;       //   first + n) (n counts those kept)
    uint32_t claims;         // claims passed on
    uint32_t invalid_claims; // of which invalid (CO-16)
    uint32_t clm_segments;   // CLM segments in the set (refused or not)
    int64_t total_charge;    // sum of CLM02, cents
} cq_x12_set_t;

//  One functional group (GS..GE).
typedef struct {
    char id[3];             // GS01 ("HC" = 837, "HP" = 835, "FA" = 999)
    char sender[16];        // GS02
    char receiver[16];      // GS03
    char control[10];       // GS06
    char version[16];       // GS08
    uint32_t interchange;   // index into report.interchanges
    size_t offset;          // byte offset of GS
    uint32_t first_set;     // sets of this group: report.sets[first ..
    uint32_t n_sets;        //   first + n)
    uint32_t declared_sets; // GE01 (0 when GE is missing)
    uint32_t accepted;      // sets accepted (IK5 A or E)
    bool acknowledge;       // false for acknowledgments (never ack a 999)
    char status;            // AK901: A, E (errors noted), P (partly), R
    uint8_t n_codes;        // AK905..AK909 used
    char codes[5][4];       // 1 not supported, 2 version, 3 no GE,
                            // 4 GE02 != GS06, 5 GE01 wrong, 6 dup GS06
} cq_x12_group_t;

//  One interchange (ISA..IEA).
typedef struct {
    char sender_qual[3];   // ISA05
    char sender[16];       // ISA06, trimmed
    char receiver_qual[3]; // ISA07
    char receiver[16];     // ISA08, trimmed
    char date[7];          // ISA09 YYMMDD
    char time[5];          // ISA10 HHMM
    char version[6];       // ISA12
    char control[10];      // ISA13
    char ack_requested;    // ISA14 '0' / '1'
    char usage;            // ISA15 'P' production / 'T' test
    cq_x12_seps_t seps;    // its delimiters
    size_t offset;         // byte offset of ISA
    uint32_t first_group;  // report.groups[first .. first + n)
    uint32_t n_groups;
    uint32_t declared_groups; // IEA01 (0 when IEA is missing)
    char ta1[4];              // TA105 note code: "000" no error, "001"
                              // IEA02 != ISA13, "021" IEA01 wrong, "023" no
                              // IEA, "025" duplicate ISA13
} cq_x12_interchange_t;

//  What a document held, interchange by interchange. Owns its arrays:
//  release with cq_x12_report_free.
typedef struct {
    cq_x12_interchange_t *interchanges;
    uint32_t n_interchanges;
    cq_x12_group_t *groups;
    uint32_t n_groups;
    cq_x12_set_t *sets;
    uint32_t n_sets;
    cq_x12_error_t *errors; // kept errors (at most CQ_X12_MAX_ERRORS)
    uint32_t n_errors;
    uint32_t errors_dropped; // errors found past the caps
    uint32_t cap_interchanges, cap_groups, cap_sets, cap_errors;
    uint32_t sets_accepted;  // transaction sets accepted (A or E)
    uint32_t sets_refused;   // refused as a whole (no claims from them)
    uint32_t refused_claims; // CLM segments in the refused sets
    uint32_t claims;         // claims passed on
    uint32_t invalid_claims; // of which invalid (rejected CO-16)
    int64_t total_charge;    // sum of CLM02 of the claims passed, cents
    char kind[8];            // "837P", "837I", "835", "999"...: the first
                             // group's content ("" when none)
    int status;              // 0, or why the document is unusable (< 0)
    char msg[256];           // document-level message when status < 0
} cq_x12_report_t;

void cq_x12_report_free(cq_x12_report_t *rep);
//  True when every transaction set was accepted, every envelope was
//  right, and no claim was invalid.
bool cq_x12_report_ok(const cq_x12_report_t *rep);
//  "an 835 remittance" for GS01 "HP", "a 999 acknowledgment" for "FA" ...
const char *cq_x12_group_name(const char *gs01);

// ------------------------------------------------------------ 837 parser

//  Parses a whole X12 document (one or more ISA..IEA) holding 837P and/or
//  837I transaction sets. Each transaction set is checked first (control
//  numbers and counts, segment syntax, HL tree, loop order); a set that
//  fails is refused as a whole (no claims; the report says why, and
//  cq_x12_999_write turns that into a 999), the others go on. Each claim
//  of an accepted set is passed to fn (claim_json.h) with source X12 and
//  the received date of its 2300 DTP*050, if any (else none); a claim
//  whose content is wrong (CLM02 != sum of the line charges, missing NPI,
//  bad date, a service after the received date...) is passed with invalid
//  set and invalid_msg naming the element, so the engine rejects it CO-16.
//  Content errors that are X12 data element errors (a required element
//  missing, too long, an invalid date, character or code value) are also
//  reported as errors of the set (IK3 code 8 + IK4, with the claim's
//  CLM01): the set is then accepted with errors noted (status 'E').
//  fn may be NULL (a check only). rep (may be NULL) receives the report;
//  the caller frees it with cq_x12_report_free even on error.
//  Returns the number of claims passed (>= 0), fn's nonzero value, or
//  CQ_EPROTO (not X12), CQ_ETOOBIG (over a cap), CQ_EUNSUPPORTED (X12 but
//  no 837 in it: diag says "an 835 remittance, not an 837 claim file").
int cq_x12_parse(const void *buf, size_t len, cq_claim_fn *fn, void *arg,
                 cq_x12_report_t *rep, cq_diag_t *diag);

//  ICD-10-CM / ICD-9-CM code as sent in HI (no point) to the usual form:
//  "E119" -> "E11.9"; ICD-9 "V7389" -> "V73.89", "E8888" -> "E888.8".
//  icd9 selects the ICD-9 rule (HI qualifier BK/BF). Returns 0 or
//  CQ_EINVAL (not 3-7 letters/digits, or out does not fit).
int cq_x12_icd_format(cq_x12_str_t code, bool icd9, char *out, size_t n);

// ------------------------------------------------------------ 999 writer

//  Envelope of generated documents (999, 835, 837). Zero / NULL fields
//  take the defaults given, so {0} is a usable envelope. Values must not
//  hold a delimiter (ids longer than 15 are cut).
typedef struct {
    const char *sender_qual;   // ISA05, default "ZZ"
    const char *sender_id;     // ISA06 / GS02 (<= 15), default per writer
    const char *receiver_qual; // ISA07, default "ZZ"
    const char *receiver_id;   // ISA08 / GS03 (<= 15), default per writer
    int32_t date;              // days; 0 or CQ_DATE_NONE: now (UTC), and
                               // then hhmm is ignored
    int hhmm;                  // time HHMM (0..2359) when date is given
    uint32_t control;          // first ISA13 / GS06 (1..999999999), 0 = 1
    char usage;                // ISA15 'P' or 'T'; 0 = 'P'
    cq_x12_seps_t seps;        // delimiters; zero = '*' ':' '^' '~'
    bool newline;              // write "\n" after every segment terminator
    cq_diag_t *diag;           // optional: why a write failed
} cq_x12_envelope_t;

//  Appends to out one 999 interchange per received interchange that had a
//  group to acknowledge: TA1 when the interchange envelope was wrong (or
//  ISA14 asked for it), then GS*FA and one ST*999 per functional group:
//  AK1, then per transaction set AK2, an IK3 loop per segment error
//  (IK3*id*position*loop*code, CTX*CLM01:id when the error sits in a
//  claim, IK4*element[:component]*reference*code*copy of the bad value
//  when it is an element error), IK5 (A, E or R with its IK502.. codes),
//  and AK9 (A, E, P or R, counts, codes). Envelope problems of a set (SE
//  count, control numbers) are said by IK5 codes only, as the guide has
//  it. Acknowledgments (999, 997, TA1) are never acknowledged. By default
//  the 999 goes back to the sender: ISA06/08 and GS02/03 swapped, usage
//  echoed. Returns 0, or CQ_ETOOBIG when out reached its cap (out then
//  holds part of the 999: callers drop it).
int cq_x12_999_write(const cq_x12_report_t *rep, const cq_x12_envelope_t *o,
                     cq_buf_t *out);

// ------------------------------------------------------------ 835 writer

typedef struct cq_x12_835_opts cq_x12_835_opts_t;
//  Finds the decision of the claim a replacement or void names (its
//  original_claim_id, same payer and provider); NULL when unknown.
typedef const cq_decision_t *(cq_x12_original_fn)(void *arg,
                                                  const cq_claim_t *claim);

struct cq_x12_835_opts {
    cq_x12_envelope_t env;        // sender default: the first payer id;
                                  // receiver: the first billing NPI
    const char *payer_name;       // N1*PR name, default the payer id
    const char *payer_tin;        // TRN03 = "1" + 9 digits, default 0s
    const char *trace_prefix;     // TRN02 = prefix + date + ST, "CQ"
    const char *filing_indicator; // CLP06, default "12" (PPO)
    cq_x12_original_fn *original; // optional: reversal of replaced claims
    void *original_arg;
};

//  Appends an 835 (005010X221A1): one ST*835 per (payer, billing NPI) in
//  order of first appearance, all in one GS*HP in one ISA. claims[i] and
//  decisions[i] belong together; pended decisions are left out (not final).
//  claims may be NULL when only the decisions are at hand: each CLP then
//  carries its adjustments at claim level, without SVC loops or names.
//  CLP02: 1 paid/processed, 4 denied, 22 reversal. A void (frequency 8)
//  becomes a reversal: its amounts negated (the original's decision when
//  o->original finds it). A replacement (7) is preceded by the reversal
//  of the original when o->original finds it. Balancing holds by
//  construction: a line or claim whose adjustments do not explain
//  billed - paid gets the difference as an adjustment with the group and
//  CARC of its first reason (else claim-level reason, else OA-A1);
//  CLP05 = the PR adjustments; BPR02 = sum CLP04 - PLB, where a negative
//  total is carried as a PLB FB forwarding balance (BPR02 = 0).
//  CLP07 (payer claim control number) is the claim id, so a later
//  replacement's REF*F8 names it. Returns 0, CQ_EINVAL (a value holds a
//  delimiter; o->env.diag names the field) or CQ_ETOOBIG.
int cq_x12_835_write(const cq_claim_t *claims, const cq_decision_t *decisions,
                     size_t n, const cq_x12_835_opts_t *o, cq_buf_t *out);

// ------------------------------------------------------------ 835 reader

//  One CLP loop as read back from an 835.
typedef struct {
    char claim_id[CQ_ID_LEN];       // CLP01
    char status[4];                 // CLP02
    char payer_claim_id[CQ_ID_LEN]; // CLP07
    int64_t billed;                 // CLP03
    int64_t paid;                   // CLP04
    int64_t patient_resp;           // CLP05 (0 when empty)
    int64_t cas_claim;              // claim-level CAS total
    int64_t cas_lines;              // line-level CAS total
    int64_t cas_pr;                 // PR adjustments (claim + lines)
    uint16_t n_services;            // SVC loops
    uint16_t n_unbalanced;          // balancing failures in this claim
    struct {
        char procedure[CQ_CODE_LEN]; // SVC01-2
        int64_t billed;              // SVC02
        int64_t paid;                // SVC03
        int64_t cas;                 // its CAS total
    } services[CQ_MAX_LINES];        // the first CQ_MAX_LINES
} cq_x12_835_claim_t;

typedef int(cq_x12_835_claim_fn)(void *arg, const cq_x12_835_claim_t *c);

//  Totals of an 835 document, and whether it balances.
typedef struct {
    uint32_t sets;       // ST*835
    uint32_t claims;     // CLP
    uint32_t services;   // SVC
    int64_t bpr_total;   // sum of BPR02
    int64_t paid_total;  // sum of CLP04
    int64_t plb_total;   // sum of PLB amounts
    uint32_t unbalanced; // balancing failures
    char problem[200];   // the first failure ("" when it balances)
} cq_x12_835_check_t;

//  Reads every ST*835 of buf with the tokenizer and checks the rules of
//  notes §1.6: SVC02 - SVC03 = line CAS; CLP03 - CLP04 = claim + line CAS;
//  CLP05 = PR adjustments (when given); BPR02 = sum CLP04 - sum PLB;
//  SE01 = segments counted. fn (may be NULL) sees every claim.
//  Returns the number of claims (>= 0), fn's nonzero value, or CQ_EPROTO
//  (not X12 / no 835 in it). Balancing failures are counted in out, not
//  returned as errors.
int cq_x12_835_check(const void *buf, size_t len, cq_x12_835_claim_fn *fn,
                     void *arg, cq_x12_835_check_t *out, cq_diag_t *diag);

// ---------------------------------------------------------- 277CA writer

typedef struct {
    cq_x12_envelope_t env;     // sender default: the first payer id;
                               // receiver default: "SUBMITTER"
    const char *payer_name;    // 2100A NM1*PR name (of every ST: for a
                               // batch of one payer), default the payer id
    const char *receiver_name; // 2100B NM1*41 name (the submitter),
                               // default the receiver id
    const char *trace;         // BHT03 / TRN02 of 2200A and 2200B (<= 30),
                               // default "CQ" + date + ST number
    int32_t received_date;     // 2200A DTP*050; 0 / CQ_DATE_NONE: the
                               // earliest received date of the claims
} cq_x12_277_opts_t;

//  The claim status a 277CA gives one claim (2200D STC01).
typedef struct {
    bool accepted;  // reached adjudication (STC03 WQ), else rejected (U)
    char cat[3];    // STC01-1 category: A2 accepted into adjudication,
                    // A3 returned as unprocessable (not adjudicated)
    char code[5];   // STC01-2 claim status code: 20 accepted for
                    // processing, 21 missing or invalid information, or
                    // the field's own (454 procedure, 187 dates...)
    char entity[3]; // STC01-3 entity (85 billing provider, 82 rendering,
                    // IL subscriber), or ""
} cq_x12_277_status_t;

//  The status of claim c given its decision d (NULL: from c alone). A claim
//  is rejected before adjudication (A3) when the decoder found it invalid,
//  or when its decision rejects it only with claim-level CO-16 reasons
//  (the engine's front-end checks); the status code comes from the RARC
//  (invalid_rarc, else the CO-16's). Every other claim, paid, denied or
//  pended, was accepted into adjudication (A2:20).
void cq_x12_277_status(const cq_claim_t *c, const cq_decision_t *d,
                       cq_x12_277_status_t *st);

//  Appends a 277CA claim acknowledgment (005010X214), one interchange with
//  one GS*HN: one ST*277 per payer in order of first appearance, each with
//  the HL tree 20 information source (the payer) > 21 information receiver
//  (the submitter, with QTY/AMT totals accepted and rejected) > 19 billing
//  provider (one per billing NPI, with its totals) > PT patient, one per
//  claim: NM1*QC, TRN*2*CLM01, STC (cq_x12_277_status, the claim's
//  CLM02, STC12 the reason for a rejected claim), REF*1K (accepted claims:
//  the payer claim control number, the claim id as in the 835's CLP07),
//  DTP*472 (the claim's service dates). claims[i] and decisions[i] belong
//  together; claims may be NULL (bare claims made from the decisions) and
//  decisions may be NULL (statuses from the claims' invalid flags).
//  Returns 0, CQ_EINVAL (o->env.diag names the field) or CQ_ETOOBIG.
int cq_x12_277_write(const cq_claim_t *claims, const cq_decision_t *decisions,
                     size_t n, const cq_x12_277_opts_t *o, cq_buf_t *out);

// ---------------------------------------------------------- 277CA reader

//  One 2000D patient level (a claim) as read back from a 277CA.
typedef struct {
    char claim_id[CQ_ID_LEN];        // 2200D TRN02
    char cat[4], code[8], entity[4]; // STC01 components
    char action[4];                  // STC03 (WQ, U)
    int64_t amount;                  // STC04, cents
    char payer_claim_id[CQ_ID_LEN];  // REF*1K, or ""
    char billing_npi[16];            // NM109 of its 2000C
    uint32_t hl;                     // HL01 of the claim
} cq_x12_277_claim_t;

typedef int(cq_x12_277_claim_fn)(void *arg, const cq_x12_277_claim_t *c);

//  What a 277CA held, and whether its structure holds.
typedef struct {
    uint32_t sets;     // ST*277
    uint32_t hl[4];    // HL levels 20, 21, 19, PT
    uint32_t claims;   // claims (PT levels)
    uint32_t accepted; // of which STC03 WQ
    uint32_t rejected; // of which STC03 U
    uint32_t problems; // structure failures
    char problem[200]; // the first one ("" when none)
} cq_x12_277_check_t;

//  Reads every ST*277 of buf with the tokenizer and checks its structure:
//  SE01 = segments counted and SE02 = ST02; HL01 unique and increasing,
//  each HL02 naming an earlier HL of the parent level (20 <- 21 <- 19 <-
//  PT; 20 has none), HL04 1 exactly when children follow; each PT level
//  has NM1*QC, TRN*2 and an STC; the QTY (90/AA, QA/QC) and AMT (YU/YY)
//  totals of the 21 and 19 levels equal what their claims say. fn (may be
//  NULL) sees every claim. Returns the number of claims (>= 0), fn's
//  nonzero value, or CQ_EPROTO (not X12 / no 277 in it).
int cq_x12_277_check(const void *buf, size_t len, cq_x12_277_claim_fn *fn,
                     void *arg, cq_x12_277_check_t *out, cq_diag_t *diag);

// ------------------------------------------------------------ 837 writer

typedef struct {
    cq_x12_envelope_t env;     // sender default "CLAIMQ"; receiver: the
                               // first claim's payer id
    size_t claims_per_set;     // claims per ST..SE, default 1000 (<= 5000)
    size_t sets_per_group;     // ST per GS, default unlimited
    const char *submitter;     // NM1*41 name, default "CLAIMQ"
    const char *receiver_name; // NM1*40 name, default the receiver id
    const char *filing;        // SBR09 claim filing indicator, "CI"
    const char *bill_type;     // 837I CLM05-1 (2 digits), default "13"
} cq_x12_write_opts_t;

//  A streaming 837 writer: claims are added one at a time (a 100 MB file
//  needs no array of claims). Professional claims go to 837P sets
//  (005010X222A1), institutional ones to 837I sets (005010X223A2), each
//  kind in its own functional group; a new ST starts every
//  claims_per_set claims, with an HL tree per set (20 billing provider,
//  22 subscriber = patient). Control numbers and counts are consistent.
typedef struct cq_x12_837w cq_x12_837w_t;

//  Starts writing to out (borrowed; must outlive the writer). Caller owns
//  the writer. The writer only appends to out and keeps no pointer into
//  it: between calls the caller may write out's bytes to a file and
//  cq_buf_reset it, so a file of any size needs a small buffer.
cq_x12_837w_t *cq_x12_837w_new(const cq_x12_write_opts_t *o, cq_buf_t *out);
//  Appends one claim. Returns 0, CQ_EINVAL (a value holds a delimiter or
//  does not fit X12; o->env.diag names the field, the claim is skipped),
//  or CQ_ETOOBIG (out is full; the writer is then unusable).
int cq_x12_837w_add(cq_x12_837w_t *w, const cq_claim_t *c);
//  Closes the open SE / GE / IEA. Returns 0 or CQ_ETOOBIG.
int cq_x12_837w_finish(cq_x12_837w_t *w);
//  Claims written so far.
size_t cq_x12_837w_count(const cq_x12_837w_t *w);
void cq_x12_837w_destroy(cq_x12_837w_t **w_p);

//  The whole thing for an array: appends one interchange with claims
//  [0, n). Returns 0 or the first error of cq_x12_837w_add / _finish
//  (on CQ_EINVAL the other claims are still written).
int cq_x12_837_write(const cq_claim_t *claims, size_t n,
                     const cq_x12_write_opts_t *o, cq_buf_t *out);

#endif
