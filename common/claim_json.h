//  claim_json.h: the claim JSON codec (docs/formats.md "Claim"), on jansson.
#ifndef CQ_CLAIM_JSON_H
#define CQ_CLAIM_JSON_H

#include "limit.h"
#include "claim.h"
#include "err.h"
#include "mem.h"

#include <stdio.h>

//  Called once per claim found; c is only valid during the call. Return
//  nonzero to stop parsing (that value is returned by the parser).
typedef int(cq_claim_fn)(void *arg, cq_claim_t *c);

//  Parses a JSON document holding one claim object, an array of claim
//  objects, or JSON Lines (one object per line; blank lines skipped).
//  Layout is chosen from the content: '[' first is an array (read one
//  element at a time); '{' first whose first line is not a whole object
//  (a pretty-printed claim) is a stream of objects; anything else is JSON
//  Lines (LF or CRLF). Each record is at most CQ_JSON_MAX_LINE bytes; a
//  longer JSON Lines record is refused on its own, a longer element of an
//  array or stream ends the document (it cannot be resynchronised).
//  Field rules (docs/formats.md "Claim", schemas/claim.schema.json): ids are
//  printable ASCII without '|' (the claim key separator) or outer spaces,
//  and claim_id (1..38 chars) must not start with '#'; money is a decimal
//  string (a JSON number is refused); dates are "YYYY-MM-DD"; ICD-10 codes
//  are normalised to the dotted form ("E119" -> "E11.9"); units are a
//  JSON integer or a decimal string (at most 3 decimals); total_charge
//  must equal the sum of the line charges; a service date must not follow
//  received_date nor precede the birth date. Messages name the field with
//  1-based indexes ("lines[2].charge"), like the line numbers of decisions.
//  RARCs: M51 procedure or modifier, M52 service date, M53 units, M54
//  total charge, M76 diagnosis or pointer, M77 place of service, M79 line
//  charge, N382 member id, MA130 anything else (and not JSON at all).
//  Every record becomes a claim passed to fn: a record with bad content
//  (missing or mistyped field, bad date, negative or non-numeric money,
//  over-long value) is passed with c->invalid set and c->invalid_msg naming
//  the field, so the engine rejects it CO-16. A record that is not JSON at
//  all, or has no usable claim_id, still yields an invalid claim whose
//  claim_id is "#<record number>" (1-based) so that it gets an answer.
//  Returns the number of claims passed (>= 0), fn's nonzero value, or
//  CQ_ETOOBIG / CQ_EPROTO when the document as a whole is unusable.
int cq_claim_json_parse(const char *buf, size_t len, cq_claim_fn *fn, void *arg,
                        cq_diag_t *diag);

//  As cq_claim_json_parse, from a stream. JSON Lines are read in chunks,
//  so a file of any size needs only a few MiB (record and line numbers run
//  on across chunks); an array or a pretty-printed document is read whole
//  (at most CQ_JSON_MAX_DOC). Returns as cq_claim_json_parse, or CQ_EIO.
int cq_claim_json_parse_file(FILE *f, cq_claim_fn *fn, void *arg,
                             cq_diag_t *diag);

//  Checks that s[0..n) is exactly one JSON text (an object or an array,
//  with optional surrounding whitespace), with the rules the claim parser
//  uses: RFC 8259, UTF-8, no \u0000, numbers within int64 / double range,
//  nesting at most 2048 (jansson's json_loadb accepts the same texts).
//  Returns 0, or CQ_EPROTO with diag->offset at the first bad byte.
int cq_json_validate(const char *s, size_t n, cq_diag_t *diag);

//  Appends c as one JSON object (docs/formats.md key order, no newline).
//  Absent optional values are written as null; the line fields
//  revenue_code, service_date_end and rendering_npi only when set.
//  A source-JSON claim round-trips: decoding the output gives c back.
//  Returns 0 or CQ_ETOOBIG (out is then left as it was).
int cq_claim_to_json(const cq_claim_t *c, cq_buf_t *out);

//  Appends s[0..n) as a quoted JSON string: escapes '"', '\\' and control
//  characters (\n \r \t \b \f, others as \u00XX); bytes that are not
//  valid UTF-8 are written as \ufffd. Returns 0 or CQ_ETOOBIG.
int cq_json_put_string(cq_buf_t *out, const char *s, size_t n);
//  Appends a quoted money string ("125.00", "-1.27"). Returns 0 or
//  CQ_ETOOBIG.
int cq_json_put_money(cq_buf_t *out, int64_t cents);
//  Appends a quoted ISO date ("2026-02-20"), or null for CQ_DATE_NONE.
int cq_json_put_date(cq_buf_t *out, int32_t days);
//  Appends a decimal integer.
int cq_json_put_int(cq_buf_t *out, int64_t v);

#endif
